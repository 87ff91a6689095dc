use anchor_lang::prelude::*;
use anchor_spl::token_interface::{TokenAccount, TokenInterface};

use crate::{
    book::Book,
    errors::LedgerError,
    events::ProtocolFeesCollected,
    instructions::reject_remaining_accounts,
    state::{Config, Model, RoyaltyBook},
    token::TokenMove,
};

#[event_cpi]
#[derive(Accounts)]
pub struct CollectProtocolFees<'info> {
    #[account(address = Config::ADDRESS)]
    pub config: Box<Account<'info, Config>>,
    #[account(
        has_one = royalty_book @ LedgerError::BookMismatch,
        has_one = vault @ LedgerError::VaultMismatch,
        has_one = payment_mint @ LedgerError::MintMismatch,
        has_one = token_program @ LedgerError::MintMismatch,
    )]
    pub model: Box<Account<'info, Model>>,
    #[account(mut)]
    pub royalty_book: AccountLoader<'info, RoyaltyBook>,
    #[account(mut)]
    /// CHECK: the model's vault (checked against the model above), a token account this
    /// program created; the token program checks it again on every transfer.
    pub vault: UncheckedAccount<'info>,
    #[account(
        mut,
        constraint = treasury_token.owner == config.treasury @ LedgerError::TreasuryMismatch,
        constraint = treasury_token.mint == payment_mint.key() @ LedgerError::MintMismatch,
    )]
    pub treasury_token: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: the model's mint (checked against the model above); `transfer_checked` checks
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
///   (`TreasuryMismatch`) holding the model's mint (`MintMismatch`); book, vault, mint and
///   token program must be the model's (`BookMismatch`, `VaultMismatch`, `MintMismatch`).
/// - Moves exactly the fees booked, signed by the model PDA; with none booked it moves
///   nothing and succeeds.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `ProtocolFeesCollected`.
pub fn handle_collect_protocol_fees(ctx: Context<CollectProtocolFees>) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;

    let accounts = &ctx.accounts;
    let book_info = accounts.royalty_book.to_account_info();
    let mut book = Book::load(&book_info)?;
    let amount = book.collect_protocol_fees()?;
    book.commit(&accounts.model.key())?;
    TokenMove::new(
        &accounts.token_program,
        &accounts.payment_mint,
        accounts.model.payment_decimals,
    )
    .pay_out(
        &accounts.model,
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
