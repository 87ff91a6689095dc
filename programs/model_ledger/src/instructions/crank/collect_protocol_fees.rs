use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::{
    errors::LedgerError, events::ProtocolFeesCollected, instructions::reject_remaining_accounts,
    state::Config,
};

#[event_cpi]
#[derive(Accounts)]
pub struct CollectProtocolFees<'info> {
    #[account(address = Config::ADDRESS)]
    pub config: Box<Account<'info, Config>>,
    /// CHECK: only its address: the book must record it (checked in the handler).
    pub model: UncheckedAccount<'info>,
    /// The model's book, vault, mint and token program, checked against the book.
    pub money: crate::instructions::ModelMoney<'info>,
    #[account(
        mut,
        constraint = treasury_token.owner == config.treasury @ LedgerError::TreasuryMismatch,
        constraint = treasury_token.mint == money.payment_mint.key() @ LedgerError::MintMismatch,
    )]
    pub treasury_token: Box<InterfaceAccount<'info, TokenAccount>>,
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
    let money = &accounts.money;
    let mut book = money.book(accounts.model.key)?;
    let amount = book.collect_protocol_fees()?;
    book.commit(accounts.model.key)?;
    money.transfers(&book).pay_out(
        &book,
        money.vault.as_ref(),
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
