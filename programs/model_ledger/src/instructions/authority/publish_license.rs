use anchor_lang::prelude::*;

use crate::{
    account_init::Creation,
    constants::{seeds, ACCOUNT_VERSION, DISCRIMINATOR_LEN},
    errors::LedgerError,
    events::LicensePublishedV2,
    instructions::reject_remaining_accounts,
    math::SafeMath,
    state::{AiTerms, License, LicenseTerms, Model},
};

#[event_cpi]
#[derive(Accounts)]
pub struct PublishLicense<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ LedgerError::NotModelAuthority)]
    pub model: Box<Account<'info, Model>>,
    /// CHECK: created by this instruction through `Creation::create_record`, which refuses
    /// an existing account. The version comes from the model's counter inside the seeds, so
    /// versions are gapless and never reused.
    #[account(
        mut,
        seeds = [
            seeds::LICENSE,
            model.key().as_ref(),
            model.next_license_version.to_le_bytes().as_ref(),
        ],
        bump,
    )]
    pub license: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

/// Publishes the model's next licence version. A published version never changes.
///
/// Specification:
/// - Only the model authority may sign, else `NotModelAuthority`.
/// - The version is the model's `next_license_version` (starting at 1), which grows by one;
///   any other address is refused by the seeds constraint.
/// - Lamports sent to the next licence address beforehand do not block publication.
/// - `derivative_royalty_bps` ≤ 10 000, else `BasisPointsOutOfRange`.
/// - A non-commercial licence cannot charge per call, else `NonCommercialLicenseWithPrice`.
/// - A licence that forbids derivatives cannot set a derivative royalty, else
///   `RoyaltyWithoutDerivatives`.
/// - `duration_seconds` must fit an i64, else `DurationOutOfRange`.
/// - A model derived under a non-commercial grant may publish only non-commercial licences
///   that charge nothing (no price per call, no up-front fee), else `NonCommercialLineage`:
///   a non-commercial lineage cannot sell in any form.
/// - `terms_uri` must not be empty (`UriEmpty`) nor longer than 200 bytes (`UriTooLong`), and
///   printable: no control character nor bidirectional override (`TextNotPrintable`).
/// - `terms_hash` must not be all zeros, else `TermsHashMissing`.
/// - The licence's payment mint is the model's.
/// - Every AI use (`data_mining`, `ai_inference`, `ai_generative_training`, `ai_training`)
///   must be stated (allowed, constrained or not allowed), else `AiUseNotStated`.
/// - A restriction carried to derivatives must be one the licence imposes, else
///   `CarriedRestrictionNotImposed`.
/// - A derived model's licence may allow no AI use more than its lineage does (the
///   strictest parent grant's, `Model::lineage_ai`; constrained is less than allowed, not
///   allowed less than constrained), else `AiUseBeyondLineage`.
/// - A derived model's licence must impose and carry on every restriction its parents'
///   licences carry to derivatives, else `RestrictionNotCarried`.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `LicensePublishedV2` with the full terms and the AI terms.
pub fn handle_publish_license(
    ctx: Context<PublishLicense>,
    terms: LicenseTerms,
    ai: AiTerms,
) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    terms.validate()?;
    ai.validate()?;
    let lineage = &ctx.accounts.model.lineage_ai;
    require!(
        !ctx.accounts.model.non_commercial_lineage || terms.charges_nothing(),
        LedgerError::NonCommercialLineage
    );
    require!(ai.uses_within(lineage), LedgerError::AiUseBeyondLineage);
    require!(ai.carries(lineage), LedgerError::RestrictionNotCarried);

    let slot = Clock::get()?.slot;
    let model = &mut ctx.accounts.model;
    let license_version = model.next_license_version;
    model.next_license_version = license_version.safe_add(1)?;
    model.invariant()?;

    let model_key = model.key();
    let license = License {
        version: ACCOUNT_VERSION,
        bump: ctx.bumps.license,
        model: model_key,
        license_version,
        payment_mint: model.payment_mint,
        terms,
        published_slot: slot,
        retired_slot: None,
        ai,
        reserved: [0; 44],
    };
    license.invariant()?;
    let creation = Creation {
        payer: &ctx.accounts.authority.to_account_info(),
        system_program: &ctx.accounts.system_program.to_account_info(),
    };
    creation.create_record(
        &ctx.accounts.license.to_account_info(),
        DISCRIMINATOR_LEN + License::INIT_SPACE,
        (
            &License::seeds(&model_key, &license_version),
            ctx.bumps.license,
        ),
        &license,
    )?;

    emit_event!(
        ctx,
        LicensePublishedV2 {
            model: model_key,
            license: ctx.accounts.license.key(),
            license_version,
            payment_mint: license.payment_mint,
            terms: license.terms,
            ai,
            slot,
        }
    );
    Ok(())
}
