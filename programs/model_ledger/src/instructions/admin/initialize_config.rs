use anchor_lang::{prelude::*, solana_program::bpf_loader_upgradeable};

use crate::{
    account_init::Creation,
    constants::{seeds, ACCOUNT_VERSION, DISCRIMINATOR_LEN},
    errors::LedgerError,
    events::ConfigInitialized,
    instructions::reject_remaining_accounts,
    math::bps::is_valid_bps,
    state::Config,
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct InitializeConfigArgs {
    pub protocol_fee_bps: u16,
    pub treasury: Pubkey,
}

#[event_cpi]
#[derive(Accounts)]
pub struct InitializeConfig<'info> {
    /// The program's upgrade authority, who becomes the first admin.
    #[account(mut)]
    pub admin: Signer<'info>,
    /// Where the upgradeable loader records who may upgrade this program; its
    /// address is fixed by the program id, so no other account can stand in.
    #[account(
        seeds = [crate::ID.as_ref()],
        bump,
        seeds::program = bpf_loader_upgradeable::ID,
        constraint = program_data.upgrade_authority_address == Some(admin.key())
            @ LedgerError::NotUpgradeAuthority,
    )]
    pub program_data: Account<'info, ProgramData>,
    /// CHECK: created by this instruction through `Creation::create_record`, which refuses
    /// an existing account; the seeds fix its address.
    #[account(mut, seeds = [seeds::CONFIG], bump)]
    pub config: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

impl InitializeConfig<'_> {
    fn validate(&self, args: &InitializeConfigArgs) -> Result<()> {
        require!(
            is_valid_bps(args.protocol_fee_bps),
            LedgerError::BasisPointsOutOfRange
        );
        require_keys_neq!(
            args.treasury,
            Pubkey::default(),
            LedgerError::TreasuryMissing
        );
        Ok(())
    }
}

/// Creates the protocol's configuration; the signer becomes its admin.
///
/// Specification:
/// - Signed by the program's upgrade authority as recorded in its ProgramData account, else
///   `NotUpgradeAuthority` (so no one can seize the config between deploy and initialisation);
///   another account in place of the ProgramData fails its seeds check.
/// - The config is a singleton PDA: a second initialisation fails with `AccountAlreadyExists`.
/// - Lamports sent to the config address beforehand do not block initialisation.
/// - `protocol_fee_bps` ≤ 10 000, else `BasisPointsOutOfRange`.
/// - The treasury may not be the default key, else `TreasuryMissing`.
/// - The protocol starts unpaused, with the signer as admin and the given treasury.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `ConfigInitialized`.
pub fn handle_initialize_config(
    ctx: Context<InitializeConfig>,
    args: InitializeConfigArgs,
) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    ctx.accounts.validate(&args)?;

    let config = Config {
        version: ACCOUNT_VERSION,
        bump: ctx.bumps.config,
        admin: ctx.accounts.admin.key(),
        pending_admin: None,
        treasury: args.treasury,
        protocol_fee_bps: args.protocol_fee_bps,
        paused: false,
        update_count: 0,
        reserved: [0; 64],
    };
    config.invariant()?;
    let creation = Creation {
        payer: &ctx.accounts.admin.to_account_info(),
        system_program: &ctx.accounts.system_program.to_account_info(),
    };
    creation.create_record(
        &ctx.accounts.config.to_account_info(),
        DISCRIMINATOR_LEN + Config::INIT_SPACE,
        (&Config::seeds(), ctx.bumps.config),
        &config,
    )?;

    emit_event!(
        ctx,
        ConfigInitialized {
            config: ctx.accounts.config.key(),
            admin: config.admin,
            treasury: config.treasury,
            protocol_fee_bps: config.protocol_fee_bps,
        }
    );
    Ok(())
}
