use anchor_lang::prelude::*;

use crate::{
    errors::LedgerError,
    events::ProposerDisallowed,
    instructions::reject_remaining_accounts,
    state::{Model, ProposerPermit},
};

#[event_cpi]
#[derive(Accounts)]
pub struct DisallowProposer<'info> {
    /// The model authority; takes the permit's rent back.
    #[account(mut)]
    pub authority: Signer<'info>,
    /// The model the permit is for.
    /// CHECK: a model of this program whose authority signs, read from its fixed prefix.
    #[account(
        constraint = Model::authority_of(&model)? == authority.key() @ LedgerError::NotModelAuthority,
    )]
    pub model: UncheckedAccount<'info>,
    #[account(mut, has_one = model @ LedgerError::PermitMismatch, close = authority)]
    pub permit: Box<Account<'info, ProposerPermit>>,
}

/// The model authority withdraws a wallet's permit to propose; the permit
/// is closed and its rent goes back to the authority.
///
/// Specification:
/// - Only the model authority may sign, else `NotModelAuthority`.
/// - The permit must be one of the model's, else `PermitMismatch`.
/// - The permit's lamports go to the authority and the account is closed.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `ProposerDisallowed`.
pub fn handle_disallow_proposer(ctx: Context<DisallowProposer>) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    let permit = &ctx.accounts.permit;
    emit_event!(
        ctx,
        ProposerDisallowed {
            model: permit.model,
            wallet: permit.wallet,
            permit: permit.key(),
            rent_returned: permit.to_account_info().lamports(),
        }
    );
    Ok(())
}
