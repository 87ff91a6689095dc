use anchor_lang::prelude::*;

use crate::{
    constants::{seeds, ACCOUNT_VERSION, DISCRIMINATOR_LEN},
    errors::LedgerError,
    events::LicensePublished,
    instructions::reject_remaining_accounts,
    math::SafeMath,
    state::{License, LicenseTerms, Model},
};

#[event_cpi]
#[derive(Accounts)]
#[instruction(terms: LicenseTerms)]
pub struct PublishLicense<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ LedgerError::NotModelAuthority)]
    pub model: Box<Account<'info, Model>>,
    /// The version comes from the model's counter, so versions are gapless and never reused.
    #[account(
        init,
        payer = authority,
        space = DISCRIMINATOR_LEN + License::INIT_SPACE,
        seeds = [
            seeds::LICENSE,
            model.key().as_ref(),
            model.next_license_version.to_le_bytes().as_ref(),
        ],
        bump,
    )]
    pub license: Box<Account<'info, License>>,
    pub system_program: Program<'info, System>,
}

/// Publishes the model's next licence version. A published version never changes.
///
/// Specification:
/// - Only the model authority may sign, else `NotModelAuthority`.
/// - The version is the model's `next_license_version` (starting at 1), which grows by one.
/// - `derivative_royalty_bps` ≤ 10 000, else `BasisPointsOutOfRange`.
/// - A non-commercial licence cannot charge per call, else `NonCommercialLicenseWithPrice`.
/// - A licence that forbids derivatives cannot set a derivative royalty, else
///   `RoyaltyWithoutDerivatives`.
/// - `duration_seconds` must fit an i64, else `DurationOutOfRange`.
/// - `terms_uri` must not be empty (`UriEmpty`) nor longer than 200 bytes (`UriTooLong`).
/// - `terms_hash` must not be all zeros, else `TermsHashMissing`.
/// - The licence's payment mint is the model's.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `LicensePublished` with the full terms.
pub fn handle_publish_license(ctx: Context<PublishLicense>, terms: LicenseTerms) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    terms.validate()?;

    let slot = Clock::get()?.slot;
    let model = &mut ctx.accounts.model;
    let license_version = model.next_license_version;
    model.next_license_version = license_version.safe_add(1)?;
    model.invariant()?;

    let license = &mut ctx.accounts.license;
    license.set_inner(License {
        version: ACCOUNT_VERSION,
        bump: ctx.bumps.license,
        model: model.key(),
        license_version,
        payment_mint: model.payment_mint,
        terms,
        published_slot: slot,
        retired_slot: None,
        reserved: [0; 64],
    });
    license.invariant()?;

    emit_cpi!(LicensePublished {
        model: model.key(),
        license: license.key(),
        license_version,
        payment_mint: license.payment_mint,
        terms: license.terms.clone(),
        slot,
    });
    Ok(())
}
