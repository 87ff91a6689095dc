//! The account list and bookkeeping shared by accept, reject and revoke: each is
//! one edge of the contribution's status machine, decided by the model authority.

use anchor_lang::prelude::*;

use crate::{
    errors::LedgerError,
    events::ContributionStatusChanged,
    instructions::reject_remaining_accounts,
    math::SafeMath,
    state::{Contribution, ContributionStatus, Model},
};

#[event_cpi]
#[derive(Accounts)]
pub struct DecideContribution<'info> {
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ LedgerError::NotModelAuthority)]
    pub model: Box<Account<'info, Model>>,
    #[account(mut, has_one = model @ LedgerError::ModelMismatch)]
    pub contribution: Box<Account<'info, Contribution>>,
}

impl DecideContribution<'_> {
    pub(crate) fn require_status(&self, expected: ContributionStatus) -> Result<()> {
        let error = match expected {
            ContributionStatus::Proposed => LedgerError::ContributionNotProposed,
            _ => LedgerError::ContributionNotAccepted,
        };
        if self.contribution.status != expected {
            return Err(error.into());
        }
        Ok(())
    }
}

/// Moves the contribution to `status` with `shares`, keeps the model's
/// accepted count and share total in step, checks both accounts and emits
/// `ContributionStatusChanged`.
pub(crate) fn change_status<'info>(
    ctx: Context<'info, DecideContribution<'info>>,
    status: ContributionStatus,
    shares: u64,
) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    let slot = Clock::get()?.slot;
    let model = &mut ctx.accounts.model;
    let contribution = &mut ctx.accounts.contribution;
    let previous_status = contribution.status;

    if previous_status == ContributionStatus::Accepted {
        model.total_shares = model.total_shares.safe_sub(contribution.shares)?;
        model.accepted_count = model.accepted_count.safe_sub(1)?;
    }
    if status == ContributionStatus::Accepted {
        model.total_shares = model.total_shares.safe_add(shares)?;
        model.accepted_count = model.accepted_count.safe_add(1)?;
    }
    contribution.status = status;
    contribution.shares = shares;
    contribution.status_slot = slot;
    model.invariant()?;
    contribution.invariant()?;

    emit_cpi!(ContributionStatusChanged {
        model: model.key(),
        contribution: contribution.key(),
        index: contribution.index,
        previous_status,
        status,
        shares,
        model_total_shares: model.total_shares,
        model_accepted_count: model.accepted_count,
        slot,
    });
    Ok(())
}
