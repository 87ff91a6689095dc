use anchor_lang::prelude::*;

use crate::state::ContributionStatus;

use super::contribution_status::{change_status, DecideContribution};

/// The model authority turns down a proposed contribution. Final: a rejected
/// record stays as history and is never accepted later; the contributor may
/// propose again under a new index.
///
/// Specification:
/// - Only the model authority may sign, else `NotModelAuthority`.
/// - The contribution must belong to the model, else `ModelMismatch`.
/// - The contribution must be `Proposed`, else `ContributionNotProposed`.
/// - The model's share total and accepted count do not change.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `ContributionStatusChanged` (Proposed → Rejected).
pub fn handle_reject_contribution<'info>(
    ctx: Context<'info, DecideContribution<'info>>,
) -> Result<()> {
    ctx.accounts.require_status(ContributionStatus::Proposed)?;
    change_status(ctx, ContributionStatus::Rejected, 0)
}
