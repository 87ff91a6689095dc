use anchor_lang::prelude::*;

use crate::{
    errors::LedgerError, events::MeterSet, instructions::reject_remaining_accounts, state::Grant,
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SetMeterArgs {
    /// The hot key allowed to record inference; `None` removes it.
    pub meter: Option<Pubkey>,
}

#[event_cpi]
#[derive(Accounts)]
pub struct SetMeter<'info> {
    pub licensee: Signer<'info>,
    #[account(mut, has_one = licensee @ LedgerError::NotLicensee)]
    pub grant: Box<Account<'info, Grant>>,
}

/// The licensee names (or removes) the meter key that may record inference for its grant.
///
/// Specification:
/// - Only the grant's licensee may sign, else `NotLicensee`.
/// - The meter replaces any previous one at once; `None` removes it, after which only the
///   licensee can record.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `MeterSet`.
pub fn handle_set_meter(ctx: Context<SetMeter>, args: SetMeterArgs) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    let grant = &mut ctx.accounts.grant;
    let previous_meter = grant.meter;
    grant.meter = args.meter;
    grant.invariant()?;

    emit_event!(
        ctx,
        MeterSet {
            grant: grant.key(),
            licensee: grant.licensee,
            previous_meter,
            meter: grant.meter,
        }
    );
    Ok(())
}
