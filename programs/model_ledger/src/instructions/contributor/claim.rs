use anchor_lang::prelude::*;

use crate::{
    errors::LedgerError, events::RoyaltyClaimed, instructions::reject_remaining_accounts,
    state::Contribution,
};

#[event_cpi]
#[derive(Accounts)]
pub struct Claim<'info> {
    pub payout_wallet: Signer<'info>,
    /// The contribution claimed for; its payout wallet must sign.
    /// CHECK: `Contribution::claim_keys` checks owner and discriminator and reads its keys.
    pub contribution: UncheckedAccount<'info>,
    /// The contribution's model's book, vault, mint and token program, checked against the book.
    pub money: crate::instructions::ModelMoney<'info>,
    /// CHECK: any token account of the payment mint the payout wallet chooses
    /// (`token::require_holds_mint`, in the handler).
    #[account(mut)]
    pub destination: UncheckedAccount<'info>,
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
    let contribution = Contribution::claim_keys(&accounts.contribution)?;
    require_keys_eq!(
        contribution.payout_wallet,
        accounts.payout_wallet.key(),
        LedgerError::NotPayoutWallet
    );
    let money = &accounts.money;
    let mut book = money.book(&contribution.model)?;
    money.require_destination(&accounts.destination)?;
    let claimed = book.claim(contribution.index)?;
    book.commit(&contribution.model)?;
    money.transfers(&book).pay_out(
        &book,
        money.vault.as_ref(),
        accounts.destination.as_ref(),
        claimed.amount,
    )?;

    emit_event!(
        ctx,
        RoyaltyClaimed {
            model: contribution.model,
            contribution: ctx.accounts.contribution.key(),
            index: contribution.index,
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
