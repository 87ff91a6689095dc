use anchor_lang::prelude::*;
use anchor_spl::token_interface::{TokenAccount, TokenInterface};

use crate::{
    book::Book,
    errors::LedgerError,
    events::UnallocatedClaimed,
    instructions::reject_remaining_accounts,
    state::{Model, RoyaltyBook},
    token::TokenMove,
};

#[event_cpi]
#[derive(Accounts)]
pub struct ClaimUnallocated<'info> {
    pub authority: Signer<'info>,
    #[account(
        has_one = authority @ LedgerError::NotModelAuthority,
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
        constraint = destination.mint == payment_mint.key() @ LedgerError::MintMismatch,
        constraint = destination.key() != vault.key() @ LedgerError::DestinationIsVault,
    )]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: the model's mint (checked against the model above); `transfer_checked` checks
    /// it and the decimals recorded at registration.
    pub payment_mint: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
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
    let book_info = accounts.royalty_book.to_account_info();
    let mut book = Book::load(&book_info)?;
    let amount = book.take_unallocated()?;
    book.commit(&accounts.model.key())?;
    TokenMove::new(&accounts.token_program, &accounts.payment_mint, &book).pay_out(
        &book,
        accounts.vault.as_ref(),
        &accounts.destination.to_account_info(),
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
