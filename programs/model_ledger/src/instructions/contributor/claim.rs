use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenInterface;

use crate::{
    book::Book,
    errors::LedgerError,
    events::RoyaltyClaimed,
    instructions::reject_remaining_accounts,
    state::{Contribution, RoyaltyBook},
    token::{require_holds_mint, TokenMove},
};

#[event_cpi]
#[derive(Accounts)]
pub struct Claim<'info> {
    pub payout_wallet: Signer<'info>,
    #[account(has_one = payout_wallet @ LedgerError::NotPayoutWallet)]
    pub contribution: Box<Account<'info, Contribution>>,
    /// The contribution's model's book (checked in the handler): it signs for the vault.
    #[account(mut)]
    pub royalty_book: AccountLoader<'info, RoyaltyBook>,
    /// CHECK: the vault the book records (checked in the handler), a token account this
    /// program created; the token program checks it again on every transfer.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
    /// CHECK: any token account of the payment mint the payout wallet chooses
    /// (`token::require_holds_mint`, in the handler).
    #[account(mut)]
    pub destination: UncheckedAccount<'info>,
    /// CHECK: the mint the book records (checked in the handler); `transfer_checked` checks
    /// it and the decimals recorded at registration.
    pub payment_mint: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// Withdraws everything one contribution has earned: its shares accrual and its
/// attributed balance.
///
/// Specification:
/// - Signed by the contribution's payout wallet, else `NotPayoutWallet`.
/// - The book must be the contribution's model's (`BookMismatch`); vault, mint and token
///   program the ones it records (`VaultMismatch`, `MintMismatch`); the destination must hold
///   the payment mint (`MintMismatch`) and not be the vault itself (`DestinationIsVault`: the
///   claim would move nothing and book a payout).
/// - Never blocked by the pause, and never by other contributions: it touches one book entry.
/// - Pays every whole token owed; the sub-token fraction stays for the next claim. Revoked
///   contributions keep and can claim what they earned.
/// - A second claim moves nothing (and succeeds).
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `RoyaltyClaimed`.
pub fn handle_claim(ctx: Context<Claim>) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;

    let accounts = &ctx.accounts;
    let contribution = &accounts.contribution;
    let book_info = accounts.royalty_book.to_account_info();
    let mut book = Book::load(&book_info)?;
    book.require_money_accounts(
        &contribution.model,
        accounts.vault.key,
        accounts.payment_mint.key,
        accounts.token_program.key,
    )?;
    require_keys_neq!(
        *accounts.destination.key,
        *accounts.vault.key,
        LedgerError::DestinationIsVault
    );
    require_holds_mint(
        &accounts.destination,
        accounts.payment_mint.key,
        accounts.token_program.key,
    )?;
    let claimed = book.claim(contribution.index)?;
    book.commit(&contribution.model)?;
    TokenMove::new(&accounts.token_program, &accounts.payment_mint, &book).pay_out(
        &book,
        accounts.vault.as_ref(),
        accounts.destination.as_ref(),
        claimed.amount,
    )?;

    emit_event!(
        ctx,
        RoyaltyClaimed {
            model: ctx.accounts.contribution.model,
            contribution: ctx.accounts.contribution.key(),
            index: ctx.accounts.contribution.index,
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
