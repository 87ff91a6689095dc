use anchor_lang::prelude::*;

use crate::{
    errors::LedgerError, events::ModelAuthorityTransferred,
    instructions::reject_remaining_accounts, state::Model,
};

#[event_cpi]
#[derive(Accounts)]
pub struct AcceptModelAuthority<'info> {
    pub new_authority: Signer<'info>,
    #[account(mut)]
    pub model: Box<Account<'info, Model>>,
}

impl AcceptModelAuthority<'_> {
    fn validate(&self) -> Result<()> {
        let pending = self
            .model
            .pending_authority
            .ok_or(LedgerError::NoPendingAuthority)?;
        require_keys_eq!(
            pending,
            self.new_authority.key(),
            LedgerError::NotPendingAuthority
        );
        Ok(())
    }
}

/// Second step of a model authority transfer: the proposed wallet takes over.
///
/// Specification:
/// - A transfer must be pending, else `NoPendingAuthority`.
/// - Only the proposed wallet may sign, else `NotPendingAuthority`.
/// - The signer becomes the authority and the pending proposal is cleared.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `ModelAuthorityTransferred`.
pub fn handle_accept_model_authority(ctx: Context<AcceptModelAuthority>) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    ctx.accounts.validate()?;

    let model = &mut ctx.accounts.model;
    let previous_authority = model.authority;
    model.authority = ctx.accounts.new_authority.key();
    model.pending_authority = None;
    model.invariant()?;

    emit_event!(
        ctx,
        ModelAuthorityTransferred {
            model: model.key(),
            previous_authority,
            new_authority: model.authority,
        }
    );
    Ok(())
}
