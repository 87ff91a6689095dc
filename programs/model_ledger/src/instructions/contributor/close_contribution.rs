use anchor_lang::prelude::*;

use crate::{
    errors::LedgerError,
    events::ContributionClosed,
    instructions::reject_remaining_accounts,
    state::{Contribution, ContributionStatus},
};

#[event_cpi]
#[derive(Accounts)]
pub struct CloseContribution<'info> {
    /// Proposed the contribution and paid its rent; takes the rent back.
    #[account(mut)]
    pub contributor: Signer<'info>,
    #[account(mut, has_one = contributor @ LedgerError::NotContributor, close = contributor)]
    pub contribution: Box<Account<'info, Contribution>>,
}

/// The proposer of a rejected contribution closes its record and takes the
/// rent back. A rejection is final and the record earned nothing, so nothing
/// is lost; its index is never reused (a proposal must take the book's next
/// index, which only grows), and `ContributionStatusChanged` keeps the history.
///
/// Specification:
/// - Only the contributor may sign, else `NotContributor`.
/// - The contribution must be `Rejected`, else `ContributionNotRejected`.
/// - The record's lamports go to the contributor and the account is closed.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `ContributionClosed`.
pub fn handle_close_contribution(ctx: Context<CloseContribution>) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    let contribution = &ctx.accounts.contribution;
    require!(
        contribution.status == ContributionStatus::Rejected,
        LedgerError::ContributionNotRejected
    );

    emit_event!(
        ctx,
        ContributionClosed {
            model: contribution.model,
            contribution: contribution.key(),
            index: contribution.index,
            contributor: contribution.contributor,
            rent_returned: contribution.to_account_info().lamports(),
        }
    );
    Ok(())
}
