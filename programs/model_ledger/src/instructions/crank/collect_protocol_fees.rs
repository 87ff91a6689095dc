use anchor_lang::prelude::*;
use anchor_spl::token_interface::{TokenAccount, TokenInterface};

use crate::{
    book::Book,
    errors::LedgerError,
    events::ProtocolFeesCollected,
    instructions::reject_remaining_accounts,
    state::{Config, RoyaltyBook},
    token::TokenMove,
};

#[event_cpi]
#[derive(Accounts)]
pub struct CollectProtocolFees<'info> {
    #[account(address = Config::ADDRESS)]
    pub config: Box<Account<'info, Config>>,
    /// CHECK: only its address: the book must record it (checked in the handler).
    pub model: UncheckedAccount<'info>,
    #[account(mut)]
    pub royalty_book: AccountLoader<'info, RoyaltyBook>,
    /// CHECK: the vault the book records (checked in the handler); the token program checks
    /// it again.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
    #[account(
        mut,
        constraint = treasury_token.owner == config.treasury @ LedgerError::TreasuryMismatch,
        constraint = treasury_token.mint == payment_mint.key() @ LedgerError::MintMismatch,
    )]
    pub treasury_token: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: the mint the book records (checked in the handler); `transfer_checked` checks
    /// it and the decimals recorded at registration.
    pub payment_mint: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// Permissionless crank: sweeps the protocol fees a model's book owes the
/// treasury from the model's vault to a token account of the treasury.
///
/// Payments book the fee instead of sending it (as Orca's Whirlpools book
/// `protocol_fee_owed`), so each payment is one token transfer, not two:
/// some 6 500 compute units less for every inference batch and grant.
///
/// Specification:
/// - Anyone may call it, paused or not: the fees are already the treasury's.
/// - The destination must be a token account owned by the configured treasury
///   (`TreasuryMismatch`) holding the model's mint (`MintMismatch`); the book must be the
///   model's (`BookMismatch`), vault, mint and token program the ones it records
///   (`VaultMismatch`, `MintMismatch`).
/// - Moves exactly the fees booked, signed by the book PDA; with none booked it moves
///   nothing and succeeds.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `ProtocolFeesCollected`.
pub fn handle_collect_protocol_fees(ctx: Context<CollectProtocolFees>) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;

    let accounts = &ctx.accounts;
    let book_info = accounts.royalty_book.to_account_info();
    let mut book = Book::load(&book_info)?;
    book.require_money_accounts(
        accounts.model.key,
        accounts.vault.key,
        accounts.payment_mint.key,
        accounts.token_program.key,
    )?;
    let amount = book.collect_protocol_fees()?;
    book.commit(accounts.model.key)?;
    TokenMove::new(&accounts.token_program, &accounts.payment_mint, &book).pay_out(
        &book,
        accounts.vault.as_ref(),
        &accounts.treasury_token.to_account_info(),
        amount,
    )?;

    emit_event!(
        ctx,
        ProtocolFeesCollected {
            model: ctx.accounts.model.key(),
            treasury_token: ctx.accounts.treasury_token.key(),
            amount,
        }
    );
    Ok(())
}
