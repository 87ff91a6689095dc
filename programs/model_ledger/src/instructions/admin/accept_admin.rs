use anchor_lang::prelude::*;

use crate::{
    errors::LedgerError, events::ConfigUpdated, instructions::reject_remaining_accounts,
    math::SafeMath, state::Config,
};

#[event_cpi]
#[derive(Accounts)]
pub struct AcceptAdmin<'info> {
    pub pending_admin: Signer<'info>,
    #[account(
        mut,
        address = Config::ADDRESS,
        constraint = config.pending_admin == Some(pending_admin.key()) @ LedgerError::NotPendingAdmin,
    )]
    pub config: Box<Account<'info, Config>>,
}

/// The admin proposed by `update_config` takes over the protocol's configuration.
///
/// Specification:
/// - Only the pending admin may sign, else `NotPendingAdmin` (also when none is pending).
/// - The signer becomes admin and the proposal is cleared; `update_count` grows by one.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `ConfigUpdated` with the whole new configuration.
pub fn handle_accept_admin(ctx: Context<AcceptAdmin>) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    let config = &mut ctx.accounts.config;
    config.admin = ctx.accounts.pending_admin.key();
    config.pending_admin = None;
    config.update_count = config.update_count.safe_add(1)?;
    config.invariant()?;

    emit_event!(ctx, ConfigUpdated::of(config.key(), config));
    Ok(())
}
