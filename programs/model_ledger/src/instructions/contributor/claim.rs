use anchor_lang::prelude::*;
use anchor_spl::token_interface::{TokenAccount, TokenInterface};

use crate::{
    book::Book,
    errors::LedgerError,
    events::RoyaltyClaimed,
    instructions::reject_remaining_accounts,
    state::{Contribution, Model, RoyaltyBook},
    token::TokenMove,
};

#[event_cpi]
#[derive(Accounts)]
pub struct Claim<'info> {
    pub payout_wallet: Signer<'info>,
    #[account(
        has_one = royalty_book @ LedgerError::BookMismatch,
        has_one = vault @ LedgerError::VaultMismatch,
        has_one = payment_mint @ LedgerError::MintMismatch,
        has_one = token_program @ LedgerError::MintMismatch,
    )]
    pub model: Box<Account<'info, Model>>,
    #[account(
        has_one = model @ LedgerError::ModelMismatch,
        has_one = payout_wallet @ LedgerError::NotPayoutWallet,
    )]
    pub contribution: Box<Account<'info, Contribution>>,
    #[account(mut)]
    pub royalty_book: AccountLoader<'info, RoyaltyBook>,
    #[account(mut)]
    /// CHECK: the model's vault (checked against the model above), a token account this
    /// program created; the token program checks it again on every transfer.
    pub vault: UncheckedAccount<'info>,
    /// Any token account of the payment mint the payout wallet chooses.
    #[account(mut, constraint = destination.mint == payment_mint.key() @ LedgerError::MintMismatch)]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: the model's mint (checked against the model above); `transfer_checked` checks
    /// it and the decimals recorded at registration.
    pub payment_mint: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// Withdraws everything one contribution has earned: its shares accrual and its
/// attributed balance.
///
/// Specification:
/// - Signed by the contribution's payout wallet, else `NotPayoutWallet`.
/// - The contribution must belong to the model (`ModelMismatch`); book, vault, mint and token
///   program must be the model's (`BookMismatch`, `VaultMismatch`, `MintMismatch`); the
///   destination must hold the payment mint (`MintMismatch`).
/// - Never blocked by the pause, and never by other contributions: it touches one book entry.
/// - Pays every whole token owed; the sub-token fraction of the shares accrual stays for the
///   next claim. Revoked contributions keep and can claim what they earned.
/// - A second claim moves nothing (and succeeds).
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `RoyaltyClaimed`.
pub fn handle_claim(ctx: Context<Claim>) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;

    let accounts = &ctx.accounts;
    let index = accounts.contribution.index;
    let book_info = accounts.royalty_book.to_account_info();
    let mut book = Book::load(&book_info)?;
    let claimed = book.claim(index)?;
    book.commit(&accounts.model.key())?;
    TokenMove::new(
        &accounts.token_program,
        &accounts.payment_mint,
        accounts.model.payment_decimals,
    )
    .pay_out(
        &accounts.model,
        accounts.vault.as_ref(),
        &accounts.destination.to_account_info(),
        claimed.amount,
    )?;

    emit_event!(
        ctx,
        RoyaltyClaimed {
            model: ctx.accounts.model.key(),
            contribution: ctx.accounts.contribution.key(),
            index,
            payout_wallet: ctx.accounts.payout_wallet.key(),
            destination: ctx.accounts.destination.key(),
            amount: claimed.amount,
            claimed_total: claimed.claimed_total,
            accrued_scaled_left: claimed.accrued_scaled_left,
            snapshot: claimed.snapshot,
        }
    );
    Ok(())
}
