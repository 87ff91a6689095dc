use anchor_lang::prelude::*;

use crate::{
    account_init::Creation,
    constants::{seeds, ACCOUNT_VERSION, DISCRIMINATOR_LEN},
    errors::LedgerError,
    events::ProposerAllowed,
    instructions::reject_remaining_accounts,
    state::{Model, ProposerPermit},
};

#[event_cpi]
#[derive(Accounts)]
pub struct AllowProposer<'info> {
    /// The model authority; pays the permit's rent.
    #[account(mut)]
    pub authority: Signer<'info>,
    /// The model the wallet may propose to.
    /// CHECK: a model of this program whose authority signs, read from its fixed prefix.
    #[account(
        constraint = Model::authority_of(&model)? == authority.key() @ LedgerError::NotModelAuthority,
    )]
    pub model: UncheckedAccount<'info>,
    /// The wallet allowed to propose (it need not sign: being allowed costs it nothing).
    /// CHECK: any address; only its key is recorded.
    pub wallet: UncheckedAccount<'info>,
    /// The permit, created here.
    /// CHECK: created by this instruction through `Creation::create_record`, which refuses an existing account; the seeds fix its address.
    #[account(
        mut,
        seeds = [seeds::PROPOSER, model.key().as_ref(), wallet.key().as_ref()],
        bump,
    )]
    pub permit: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

/// The model authority allows a wallet to propose contributions while the
/// model's policy is `AllowListed`.
///
/// Specification:
/// - Only the model authority may sign (`NotModelAuthority`); it pays the permit's rent.
/// - One permit per model and wallet: allowing twice fails with `AccountAlreadyExists`;
///   lamports sent to the permit's address beforehand do not block it.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `ProposerAllowed`.
pub fn handle_allow_proposer(ctx: Context<AllowProposer>) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    let accounts = &ctx.accounts;
    let model = accounts.model.key();
    let wallet = accounts.wallet.key();
    let slot = Clock::get()?.slot;
    let permit = ProposerPermit {
        version: ACCOUNT_VERSION,
        bump: ctx.bumps.permit,
        model,
        wallet,
        allowed_slot: slot,
        reserved: [0; 32],
    };
    Creation {
        payer: &accounts.authority.to_account_info(),
        system_program: &accounts.system_program.to_account_info(),
    }
    .create_record(
        &accounts.permit.to_account_info(),
        DISCRIMINATOR_LEN + ProposerPermit::INIT_SPACE,
        (&ProposerPermit::seeds(&model, &wallet), ctx.bumps.permit),
        &permit,
    )?;

    emit_event!(
        ctx,
        ProposerAllowed {
            model,
            wallet,
            permit: ctx.accounts.permit.key(),
            slot,
        }
    );
    Ok(())
}
