use anchor_lang::prelude::*;

use crate::{errors::LedgerError, state::ContributionStatus};

use super::contribution_status::{change_status, DecideContribution};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AcceptContributionArgs {
    /// Weight of this contribution in the shares part of every payment.
    pub shares: u64,
}

fn validate(accounts: &DecideContribution, args: &AcceptContributionArgs) -> Result<()> {
    accounts.require_status(ContributionStatus::Proposed)?;
    require!(args.shares > 0, LedgerError::ZeroShares);
    Ok(())
}

/// The model authority accepts a proposed contribution with its shares.
///
/// Specification:
/// - Only the model authority may sign, else `NotModelAuthority`.
/// - The contribution must belong to the model, else `ModelMismatch`.
/// - The contribution must be `Proposed`, else `ContributionNotProposed`.
/// - `shares` > 0, else `ZeroShares`.
/// - The book's `total_shares` grows by `shares` and its `accepted_count` by one; the total
///   may not pass 1 000 000 000 (`SharesAboveLimit`: the cap keeps every payment, however
///   small, moving the reward accumulator, so nothing earned waits in its carry).
/// - The royalty book must be the model's (`BookMismatch`); it grows to hold the
///   contribution's entry, the authority paying the rent, by at most 160 entries per
///   instruction (`BookGrowthTooLarge`; `extend_royalty_book` adds room in steps). The entry
///   earns from payments booked after the acceptance only.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `ContributionStatusChanged` (Proposed → Accepted).
pub fn handle_accept_contribution<'info>(
    ctx: Context<'info, DecideContribution<'info>>,
    args: AcceptContributionArgs,
) -> Result<()> {
    validate(ctx.accounts, &args)?;
    change_status(ctx, ContributionStatus::Accepted, args.shares)
}
