use anchor_lang::prelude::*;

use crate::{
    errors::LedgerError, events::UnallocatedClaimed, instructions::reject_remaining_accounts,
    state::Model,
};

#[event_cpi]
#[derive(Accounts)]
pub struct ClaimUnallocated<'info> {
    pub authority: Signer<'info>,
    #[account(has_one = authority @ LedgerError::NotModelAuthority)]
    pub model: Box<Account<'info, Model>>,
    /// The model's book, vault, mint and token program, checked against the book.
    pub money: crate::instructions::ModelMoney<'info>,
    /// CHECK: any token account of the payment mint the authority chooses
    /// (`token::require_holds_mint`, in the handler).
    #[account(mut)]
    pub destination: UncheckedAccount<'info>,
}

/// The model authority withdraws the shares part of payments that arrived
/// while the model had no accepted shares (nobody else could be owed it).
///
/// Specification:
/// - Only the model authority may sign, else `NotModelAuthority`.
/// - Book, vault, mint and token program must be the model's (`BookMismatch`,
///   `VaultMismatch`, `MintMismatch`); the destination must hold the mint (`MintMismatch`) and
///   not be the vault itself (`DestinationIsVault`).
/// - Never blocked by the pause. Moves the whole unallocated balance; a second call moves nothing.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `UnallocatedClaimed`.
pub fn handle_claim_unallocated(ctx: Context<ClaimUnallocated>) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;

    let accounts = &ctx.accounts;
    let money = &accounts.money;
    let mut book = money.book(&accounts.model.key())?;
    money.require_destination(&accounts.destination)?;
    let amount = book.take_unallocated()?;
    book.commit(&accounts.model.key())?;
    money.transfers(&book).pay_out(
        &book,
        money.vault.as_ref(),
        accounts.destination.as_ref(),
        amount,
    )?;

    emit_event!(
        ctx,
        UnallocatedClaimed {
            model: ctx.accounts.model.key(),
            authority: ctx.accounts.authority.key(),
            destination: ctx.accounts.destination.key(),
            amount,
        }
    );
    Ok(())
}
