//! The account list and bookkeeping shared by accept, reject and revoke: each is
//! one edge of the contribution's status machine, decided by the model authority.

use anchor_lang::prelude::*;

use crate::{
    account_init::Creation,
    errors::LedgerError,
    events::ContributionStatusChanged,
    instructions::reject_remaining_accounts,
    math::SafeMath,
    state::{Contribution, ContributionStatus, Model, RoyaltyBook},
};

#[event_cpi]
#[derive(Accounts)]
pub struct DecideContribution<'info> {
    /// Pays the rent of the contribution's royalty book entry on acceptance.
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(
        mut,
        has_one = authority @ LedgerError::NotModelAuthority,
        has_one = royalty_book @ LedgerError::BookMismatch,
    )]
    pub model: Box<Account<'info, Model>>,
    #[account(mut, has_one = model @ LedgerError::ModelMismatch)]
    pub contribution: Box<Account<'info, Contribution>>,
    #[account(mut)]
    pub royalty_book: AccountLoader<'info, RoyaltyBook>,
    pub system_program: Program<'info, System>,
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
/// accepted count and share total and the royalty book in step (an accepted
/// contribution starts earning now, a revoked one stops, keeping what it
/// earned), checks the accounts and emits `ContributionStatusChanged`.
pub(crate) fn change_status<'info>(
    ctx: Context<'info, DecideContribution<'info>>,
    status: ContributionStatus,
    shares: u64,
) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    let slot = Clock::get()?.slot;
    let previous_status = ctx.accounts.contribution.status;
    let acc_per_share = update_book(ctx.accounts, previous_status, status, shares)?;
    let model = &mut ctx.accounts.model;
    let contribution = &mut ctx.accounts.contribution;

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

    emit_event!(
        ctx,
        ContributionStatusChanged {
            model: model.key(),
            contribution: contribution.key(),
            index: contribution.index,
            previous_status,
            status,
            shares,
            model_total_shares: model.total_shares,
            model_accepted_count: model.accepted_count,
            acc_per_share,
            slot,
        }
    );
    Ok(())
}

/// Activates or deactivates the contribution's book entry; returns the book's
/// reward per share at the change.
fn update_book(
    accounts: &DecideContribution,
    previous: ContributionStatus,
    next: ContributionStatus,
    shares: u64,
) -> Result<u128> {
    let book_info = accounts.royalty_book.to_account_info();
    let mut book = RoyaltyBook::read(&book_info)?;
    let index = accounts.contribution.index;
    let mut pools = book.pools();
    if next == ContributionStatus::Accepted {
        let creation = Creation {
            payer: &accounts.authority.to_account_info(),
            system_program: &accounts.system_program.to_account_info(),
        };
        book.ensure_entries(&book_info, &creation, index.safe_add(1)?)?;
        let mut entry = book.read_entry(&book_info, index)?;
        let mut balance = entry.balance();
        balance.activate(shares, &mut pools)?;
        entry.set_balance(&balance);
        book.write_entry(&book_info, index, &entry)?;
    } else if previous == ContributionStatus::Accepted {
        let mut entry = book.read_entry(&book_info, index)?;
        let mut balance = entry.balance();
        balance.deactivate(&mut pools)?;
        entry.set_balance(&balance);
        book.write_entry(&book_info, index, &entry)?;
    }
    book.set_pools(&pools);
    book.write(&book_info)?;
    book.invariant(&accounts.model.key(), book_info.data_len())?;
    Ok(pools.acc_per_share)
}
