//! The account list and bookkeeping shared by accept, reject and revoke: each is
//! one edge of the contribution's status machine, decided by the model authority.

use anchor_lang::prelude::*;

use crate::{
    account_init::Creation,
    book::Book,
    errors::LedgerError,
    events::ContributionStatusChanged,
    instructions::reject_remaining_accounts,
    state::{Contribution, ContributionStatus, Model, RoyaltyBook},
};

#[event_cpi]
#[derive(Accounts)]
pub struct DecideContribution<'info> {
    /// Pays the rent of the contribution's royalty book entry on acceptance.
    #[account(mut)]
    pub authority: Signer<'info>,
    /// CHECK: a model of this program whose authority signs, read from its fixed prefix
    /// (`Model::authority_of`); its book is checked in the handler.
    #[account(
        constraint = Model::authority_of(&model)? == authority.key() @ LedgerError::NotModelAuthority,
    )]
    pub model: UncheckedAccount<'info>,
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

/// Moves the contribution to `status` with `shares`, keeps the royalty book
/// in step (an accepted contribution starts earning now, a revoked one
/// stops, keeping what it earned), checks the accounts and emits
/// `ContributionStatusChanged`.
pub(crate) fn change_status<'info>(
    ctx: Context<'info, DecideContribution<'info>>,
    status: ContributionStatus,
    shares: u64,
) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    let slot = Clock::get()?.slot;
    let accounts = &ctx.accounts;
    let previous_status = accounts.contribution.status;
    let index = accounts.contribution.index;
    let book_info = accounts.royalty_book.to_account_info();
    let mut book = Book::load(&book_info)?;
    require_keys_eq!(
        book.header().model,
        accounts.model.key(),
        LedgerError::BookMismatch
    );
    let change = if status == ContributionStatus::Accepted {
        let creation = Creation {
            payer: &accounts.authority.to_account_info(),
            system_program: &accounts.system_program.to_account_info(),
        };
        book.activate(index, shares, &creation)?
    } else if previous_status == ContributionStatus::Accepted {
        book.deactivate(index)?
    } else {
        book.unchanged_shares()
    };
    book.commit(&accounts.model.key())?;

    let contribution = &mut ctx.accounts.contribution;
    contribution.status = status;
    contribution.shares = shares;
    contribution.status_slot = slot;
    contribution.invariant()?;

    emit_event!(
        ctx,
        ContributionStatusChanged {
            model: ctx.accounts.model.key(),
            contribution: contribution.key(),
            index,
            previous_status,
            status,
            shares,
            model_total_shares: change.total_shares,
            model_accepted_count: change.accepted_count,
            acc_per_share: change.acc_per_share,
            slot,
        }
    );
    Ok(())
}
