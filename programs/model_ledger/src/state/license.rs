use anchor_lang::prelude::*;

use crate::{constants::MAX_URI_LEN, errors::LedgerError, math::bps::is_valid_bps};

use super::{is_zero_hash, AiTerms};

/// Machine-readable licence terms, as published and as locked into grants.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LicenseTerms {
    /// Token base units of the model's payment mint per recorded inference call.
    pub price_per_call: u64,
    /// Token base units paid once when a grant is bought.
    pub upfront_fee: u64,
    pub commercial_use: bool,
    pub derivatives_allowed: bool,
    /// On chain: every batch recorded under a grant of this licence must name
    /// the contributions its outputs used (`AttributionRequired`), and a model
    /// derived under it keeps its parent link for good. Off chain, stated in
    /// the licence summary: the host's weights come from evidence it can show.
    pub attribution_required: bool,
    /// Whether a grant of this licence may be handed to another licensee.
    pub transferable: bool,
    /// Share of every payment a derived model owes this model, in basis points.
    pub derivative_royalty_bps: u16,
    /// Calls a grant may record in total; 0 = unlimited.
    pub call_limit: u64,
    /// Seconds a grant stays live after purchase; 0 = no expiry.
    pub duration_seconds: u64,
    #[max_len(MAX_URI_LEN)]
    pub terms_uri: String,
    /// Hash of the human-readable terms document at `terms_uri`.
    pub terms_hash: [u8; 32],
}

impl LicenseTerms {
    /// When a term of this licence that starts at `start` ends; `None` when
    /// the licence has no duration (grants never expire).
    pub fn term_end(&self, start: i64) -> Result<Option<i64>> {
        let duration =
            i64::try_from(self.duration_seconds).map_err(|_| error!(LedgerError::MathOverflow))?;
        if duration == 0 {
            return Ok(None);
        }
        Ok(Some(
            start
                .checked_add(duration)
                .ok_or(LedgerError::MathOverflow)?,
        ))
    }

    /// Neither commercial nor priced: what a non-commercial lineage may
    /// publish (it may not sell, per call or up front).
    pub fn charges_nothing(&self) -> bool {
        !self.commercial_use && self.price_per_call == 0 && self.upfront_fee == 0
    }

    /// Rejects terms that contradict themselves or cannot be enforced.
    pub fn validate(&self) -> Result<()> {
        require!(
            is_valid_bps(self.derivative_royalty_bps),
            LedgerError::BasisPointsOutOfRange
        );
        require!(
            self.commercial_use || self.price_per_call == 0,
            LedgerError::NonCommercialLicenseWithPrice
        );
        require!(
            self.derivatives_allowed || self.derivative_royalty_bps == 0,
            LedgerError::RoyaltyWithoutDerivatives
        );
        require!(
            i64::try_from(self.duration_seconds).is_ok(),
            LedgerError::DurationOutOfRange
        );
        require!(!self.terms_uri.is_empty(), LedgerError::UriEmpty);
        require!(self.terms_uri.len() <= MAX_URI_LEN, LedgerError::UriTooLong);
        require!(
            crate::state::text::is_printable_text(&self.terms_uri),
            LedgerError::TextNotPrintable
        );
        require!(
            !is_zero_hash(&self.terms_hash),
            LedgerError::TermsHashMissing
        );
        Ok(())
    }
}

/// One immutable licence version of a model (PDA `["license", model, version_le]`).
#[account]
#[derive(InitSpace, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct License {
    pub version: u8,
    pub bump: u8,
    pub model: Pubkey,
    pub license_version: u32,
    pub payment_mint: Pubkey,
    pub terms: LicenseTerms,
    pub published_slot: u64,
    /// Slot of retirement. A retired licence sells no new grants; existing
    /// grants keep their terms.
    pub retired_slot: Option<u64>,
    /// AI uses and use restrictions, in bytes that were reserved (and
    /// zero, read as `NotStated`) in licences published before them.
    pub ai: AiTerms,
    #[cfg_attr(feature = "serde", serde(skip))]
    pub reserved: [u8; 44],
}

impl License {
    /// `["license", model, version as u32 LE]`.
    pub fn seeds<'a>(model: &'a Pubkey, version: &'a u32) -> [&'a [u8]; 3] {
        [
            crate::constants::seeds::LICENSE,
            model.as_ref(),
            bytemuck::bytes_of(version),
        ]
    }

    pub fn invariant(&self) -> Result<()> {
        self.terms
            .validate()
            .map_err(|_| error!(LedgerError::InvariantViolated))
    }

    pub fn is_retired(&self) -> bool {
        self.retired_slot.is_some()
    }
}
