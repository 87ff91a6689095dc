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
pub struct UpdateConfigArgs {
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
        Ok(())
    }
}

/// Changes the admin, treasury, protocol fee or pause flag.
///
/// Specification:
/// - Only the config's admin may sign, else `NotAdmin`.
/// - At least one field must be given, else `NothingToUpdate`.
/// - `protocol_fee_bps` ≤ 10 000, else `BasisPointsOutOfRange`.
/// - Fields not given keep their value; `update_count` grows by one.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `ConfigUpdated` with the whole new configuration.
pub fn handle_update_config(ctx: Context<UpdateConfig>, args: UpdateConfigArgs) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    ctx.accounts.validate(&args)?;

    let config = &mut ctx.accounts.config;
    if let Some(admin) = args.admin {
        config.admin = admin;
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

    emit_event!(
        ctx,
        ConfigUpdated {
            config: config.key(),
            admin: config.admin,
            treasury: config.treasury,
            protocol_fee_bps: config.protocol_fee_bps,
            paused: config.paused,
            update_count: config.update_count,
        }
    );
    Ok(())
}
