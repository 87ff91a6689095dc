use anchor_lang::prelude::*;

use crate::{
    account_init::Creation,
    constants::{seeds, ACCOUNT_VERSION, DISCRIMINATOR_LEN, MAX_URI_LEN},
    errors::LedgerError,
    events::ContributionProposed,
    instructions::reject_remaining_accounts,
    math::SafeMath,
    state::{is_zero_hash, Contribution, ContributionKind, ContributionStatus, Model},
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct ProposeContributionArgs {
    pub kind: ContributionKind,
    /// Hash of the contributed artifact (data set, weights delta, code…).
    pub content_hash: [u8; 32],
    pub uri: String,
}

#[event_cpi]
#[derive(Accounts)]
#[instruction(args: ProposeContributionArgs)]
pub struct ProposeContribution<'info> {
    /// Proposes and pays rent for the record; becomes its contributor.
    #[account(mut)]
    pub contributor: Signer<'info>,
    #[account(mut)]
    pub model: Box<Account<'info, Model>>,
    /// CHECK: created by this instruction through `Creation::create_record`, which refuses
    /// an existing account. Its index comes from the model's counter inside the seeds, so a
    /// client can neither skip nor reuse one.
    #[account(
        mut,
        seeds = [
            seeds::CONTRIBUTION,
            model.key().as_ref(),
            model.contribution_count.to_le_bytes().as_ref(),
        ],
        bump,
    )]
    pub contribution: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

impl ProposeContribution<'_> {
    fn validate(&self, args: &ProposeContributionArgs) -> Result<()> {
        require!(
            !is_zero_hash(&args.content_hash),
            LedgerError::ContentHashMissing
        );
        require!(!args.uri.is_empty(), LedgerError::UriEmpty);
        require!(args.uri.len() <= MAX_URI_LEN, LedgerError::UriTooLong);
        Ok(())
    }
}

/// Anyone proposes a contribution to a model; the model authority decides on it later.
///
/// Specification:
/// - The record's index is the model's `contribution_count`, which grows by one; any other
///   address is refused by the seeds constraint.
/// - Lamports sent to the next contribution address beforehand do not block the proposal.
/// - `content_hash` must not be all zeros, else `ContentHashMissing`.
/// - `uri` must not be empty (`UriEmpty`) nor longer than 200 bytes (`UriTooLong`).
/// - The record starts `Proposed` with zero shares, the signer as contributor and payout wallet.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `ContributionProposed`.
pub fn handle_propose_contribution(
    ctx: Context<ProposeContribution>,
    args: ProposeContributionArgs,
) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    ctx.accounts.validate(&args)?;

    let slot = Clock::get()?.slot;
    let model = &mut ctx.accounts.model;
    let index = model.contribution_count;
    model.contribution_count = index.safe_add(1)?;
    model.invariant()?;

    let model_key = model.key();
    let contributor = ctx.accounts.contributor.key();
    let contribution = Contribution {
        version: ACCOUNT_VERSION,
        bump: ctx.bumps.contribution,
        model: model_key,
        index,
        contributor,
        kind: args.kind,
        content_hash: args.content_hash,
        uri: args.uri,
        proposed_slot: slot,
        status: ContributionStatus::Proposed,
        shares: 0,
        payout_wallet: contributor,
        status_slot: slot,
        reserved: [0; 64],
    };
    contribution.invariant()?;
    let creation = Creation {
        payer: &ctx.accounts.contributor.to_account_info(),
        system_program: &ctx.accounts.system_program.to_account_info(),
    };
    creation.create_record(
        &ctx.accounts.contribution.to_account_info(),
        DISCRIMINATOR_LEN + Contribution::INIT_SPACE,
        (
            &Contribution::seeds(&model_key, &index),
            ctx.bumps.contribution,
        ),
        &contribution,
    )?;

    emit_event!(
        ctx,
        ContributionProposed {
            model: model_key,
            contribution: ctx.accounts.contribution.key(),
            index,
            contributor,
            kind: contribution.kind,
            content_hash: contribution.content_hash,
            uri: contribution.uri,
            slot,
            contribution_count: ctx.accounts.model.contribution_count,
        }
    );
    Ok(())
}
