use anchor_lang::prelude::*;

use crate::{
    errors::LedgerError,
    events::LicenseRetired,
    instructions::reject_remaining_accounts,
    state::{License, Model},
};

#[event_cpi]
#[derive(Accounts)]
pub struct RetireLicense<'info> {
    pub authority: Signer<'info>,
    #[account(has_one = authority @ LedgerError::NotModelAuthority)]
    pub model: Box<Account<'info, Model>>,
    #[account(mut, has_one = model @ LedgerError::ModelMismatch)]
    pub license: Box<Account<'info, License>>,
}

impl RetireLicense<'_> {
    fn validate(&self) -> Result<()> {
        require!(
            !self.license.is_retired(),
            LedgerError::LicenseAlreadyRetired
        );
        Ok(())
    }
}

/// Retires a licence version: no new grants, existing grants untouched.
///
/// Specification:
/// - Only the model authority may sign, else `NotModelAuthority`.
/// - The licence must belong to the model, else `ModelMismatch`.
/// - A licence is retired once, else `LicenseAlreadyRetired`.
/// - The terms stay exactly as published; only the retirement slot is set.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `LicenseRetired`.
pub fn handle_retire_license(ctx: Context<RetireLicense>) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    ctx.accounts.validate()?;

    let slot = Clock::get()?.slot;
    let license = &mut ctx.accounts.license;
    license.retired_slot = Some(slot);
    license.invariant()?;

    emit_event!(
        ctx,
        LicenseRetired {
            model: license.model,
            license: license.key(),
            license_version: license.license_version,
            slot,
        }
    );
    Ok(())
}
