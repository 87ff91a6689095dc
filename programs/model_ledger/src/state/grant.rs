use anchor_lang::prelude::*;

use crate::errors::LedgerError;

/// A licence bought by a licensee (PDA `["grant", license, licensee]`). The
/// terms that matter for payment are copied in at purchase, so a newer licence
/// version, or the licence's retirement, never changes an existing grant.
#[account]
#[derive(InitSpace, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Grant {
    pub version: u8,
    pub bump: u8,
    pub model: Pubkey,
    pub license: Pubkey,
    pub license_version: u32,
    pub licensee: Pubkey,
    /// A hot key that may record inference for the licensee.
    pub meter: Option<Pubkey>,
    pub price_per_call: u64,
    /// 0 = unlimited.
    pub call_limit: u64,
    pub commercial_use: bool,
    pub derivatives_allowed: bool,
    pub derivative_royalty_bps: u16,
    /// Copied from the licence: every batch must carry an attribution vector.
    pub attribution_required: bool,
    /// Copied from the licence: the licensee may hand the grant on (`transfer_grant`).
    pub transferable: bool,
    pub granted_at: i64,
    /// `None` = never expires.
    pub expires_at: Option<i64>,
    pub calls_used: u64,
    /// The `seq` the next `record_inference` must carry.
    pub next_seq: u64,
    /// Tokens paid under this grant, up-front fee and every batch (u128: a
    /// lifetime total must never refuse a payment).
    pub total_paid: u128,
    /// Copied from the licence: its AI uses and use restrictions (reserved,
    /// zero bytes, read as `NotStated`, in grants bought before them).
    pub ai: super::AiTerms,
    #[cfg_attr(feature = "serde", serde(skip))]
    pub reserved: [u8; 44],
}

impl Grant {
    /// `["grant", license, licensee]`.
    pub fn seeds<'a>(license: &'a Pubkey, licensee: &'a Pubkey) -> [&'a [u8]; 3] {
        [
            crate::constants::seeds::GRANT,
            license.as_ref(),
            licensee.as_ref(),
        ]
    }

    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|expires_at| now >= expires_at)
    }

    /// Whether `calls` more calls stay within the call limit.
    pub fn has_room_for(&self, calls: u64) -> bool {
        self.call_limit == 0
            || self
                .calls_used
                .checked_add(calls)
                .is_some_and(|total| total <= self.call_limit)
    }

    pub fn may_record(&self, signer: &Pubkey) -> bool {
        *signer == self.licensee || self.meter.as_ref() == Some(signer)
    }

    pub fn invariant(&self) -> Result<()> {
        require!(
            (self.call_limit == 0 || self.calls_used <= self.call_limit)
                && (self.commercial_use || self.price_per_call == 0)
                && self
                    .expires_at
                    .is_none_or(|expires_at| expires_at >= self.granted_at),
            LedgerError::InvariantViolated
        );
        Ok(())
    }
}
