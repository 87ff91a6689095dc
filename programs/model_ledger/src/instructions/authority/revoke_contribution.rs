use anchor_lang::prelude::*;

use crate::state::ContributionStatus;

use super::contribution_status::{change_status, DecideContribution};

/// The model authority revokes an accepted contribution: it stops earning from
/// future payments, and what it has earned stays claimable.
///
/// Specification:
/// - Only the model authority may sign, else `NotModelAuthority`.
/// - The contribution must belong to the model, else `ModelMismatch`.
/// - The contribution must be `Accepted`, else `ContributionNotAccepted`.
/// - The book's `total_shares` drops by the contribution's shares and its
///   `accepted_count` by one; the record keeps its shares as history.
/// - Its book entry stops earning; everything earned so far stays claimable.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `ContributionStatusChanged` (Accepted → Revoked).
pub fn handle_revoke_contribution<'info>(
    ctx: Context<'info, DecideContribution<'info>>,
) -> Result<()> {
    ctx.accounts.require_status(ContributionStatus::Accepted)?;
    let shares = ctx.accounts.contribution.shares;
    change_status(ctx, ContributionStatus::Revoked, shares)
}
