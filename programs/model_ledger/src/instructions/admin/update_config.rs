use anchor_lang::prelude::*;

use crate::{
    errors::LedgerError,
    events::ConfigUpdated,
    instructions::reject_remaining_accounts,
    math::{bps::is_valid_bps, SafeMath},
    state::Config,
};

/// Each `Some` field replaces the current value; `None` leaves it.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct UpdateConfigArgs {
    /// Proposes a new admin, who takes over with `accept_admin`; proposing
    /// the current admin withdraws a pending proposal.
    pub admin: Option<Pubkey>,
    pub treasury: Option<Pubkey>,
    pub protocol_fee_bps: Option<u16>,
    pub paused: Option<bool>,
}

#[event_cpi]
#[derive(Accounts)]
pub struct UpdateConfig<'info> {
    pub admin: Signer<'info>,
    #[account(
        mut,
        address = Config::ADDRESS,
        has_one = admin @ LedgerError::NotAdmin,
    )]
    pub config: Box<Account<'info, Config>>,
}

impl UpdateConfig<'_> {
    fn validate(&self, args: &UpdateConfigArgs) -> Result<()> {
        require!(
            args.admin.is_some()
                || args.treasury.is_some()
                || args.protocol_fee_bps.is_some()
                || args.paused.is_some(),
            LedgerError::NothingToUpdate
        );
        if let Some(fee) = args.protocol_fee_bps {
            require!(is_valid_bps(fee), LedgerError::BasisPointsOutOfRange);
        }
        if let Some(treasury) = args.treasury {
            require_keys_neq!(treasury, Pubkey::default(), LedgerError::TreasuryMissing);
        }
        Ok(())
    }
}

/// Proposes a new admin, or changes the treasury, protocol fee or pause flag.
///
/// Specification:
/// - Only the config's admin may sign, else `NotAdmin`.
/// - At least one field must be given, else `NothingToUpdate`.
/// - `protocol_fee_bps` ≤ 10 000, else `BasisPointsOutOfRange`.
/// - `treasury` may not be the default key, else `TreasuryMissing`.
/// - `admin` only proposes: the admin changes when the proposed key signs `accept_admin`;
///   proposing the current admin withdraws the proposal.
/// - Fields not given keep their value; `update_count` grows by one.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `ConfigUpdated` with the whole new configuration.
pub fn handle_update_config(ctx: Context<UpdateConfig>, args: UpdateConfigArgs) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    ctx.accounts.validate(&args)?;

    let config = &mut ctx.accounts.config;
    if let Some(admin) = args.admin {
        config.pending_admin = (admin != config.admin).then_some(admin);
    }
    if let Some(treasury) = args.treasury {
        config.treasury = treasury;
    }
    if let Some(fee) = args.protocol_fee_bps {
        config.protocol_fee_bps = fee;
    }
    if let Some(paused) = args.paused {
        config.paused = paused;
    }
    config.update_count = config.update_count.safe_add(1)?;
    config.invariant()?;

    emit_event!(ctx, ConfigUpdated::of(config.key(), config));
    Ok(())
}
