use anchor_lang::prelude::*;

use crate::{
    constants::{DISCRIMINATOR_LEN, MAX_URI_LEN},
    errors::LedgerError,
};

#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum ContributionKind {
    BaseModel,
    Dataset,
    FineTune,
    Adapter,
    Evaluation,
    Code,
    Other,
}

/// Proposed → Accepted → Revoked, or Proposed → Rejected. No other edge exists.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum ContributionStatus {
    Proposed,
    Accepted,
    Rejected,
    Revoked,
}

/// One contribution to a model (PDA `["contribution", model, index_le]`).
/// `model`, `index`, `contributor`, `kind`, `content_hash`, `uri` and
/// `proposed_slot` are written once at proposal and never again.
#[account]
#[derive(InitSpace, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Contribution {
    pub version: u8,
    pub bump: u8,
    pub model: Pubkey,
    pub index: u32,
    pub contributor: Pubkey,
    pub kind: ContributionKind,
    pub content_hash: [u8; 32],
    #[max_len(MAX_URI_LEN)]
    pub uri: String,
    pub proposed_slot: u64,
    pub status: ContributionStatus,
    /// Shares granted on acceptance; kept after revocation as a record of what
    /// the contribution held, but counted in the model's total only while accepted.
    pub shares: u64,
    /// Where royalties go; the contributor by default.
    pub payout_wallet: Pubkey,
    /// Slot of the last status change (proposal, acceptance, rejection, revocation).
    pub status_slot: u64,
    #[cfg_attr(feature = "serde", serde(skip))]
    pub reserved: [u8; 64],
}

impl Contribution {
    /// `["contribution", model, index as u32 LE]`.
    pub fn seeds<'a>(model: &'a Pubkey, index: &'a u32) -> [&'a [u8]; 3] {
        [
            crate::constants::seeds::CONTRIBUTION,
            model.as_ref(),
            bytemuck::bytes_of(index),
        ]
    }

    /// What a claim needs of the contribution in `account`, read from its
    /// bytes (deserialising the whole record, URI and all, costs a claim
    /// some 500 compute units): the same checks as Anchor's `Account`, with
    /// the same errors (`AccountOwnedByWrongProgram`,
    /// `AccountDiscriminatorMismatch`, `AccountDidNotDeserialize`).
    pub fn claim_keys(account: &AccountInfo) -> Result<ClaimKeys> {
        require_keys_eq!(
            *account.owner,
            crate::ID,
            anchor_lang::error::ErrorCode::AccountOwnedByWrongProgram
        );
        let data = account.try_borrow_data()?;
        require!(
            data.get(..DISCRIMINATOR_LEN) == Some(Contribution::DISCRIMINATOR),
            anchor_lang::error::ErrorCode::AccountDiscriminatorMismatch
        );
        ClaimKeys::from_record(&data)
            .ok_or_else(|| error!(anchor_lang::error::ErrorCode::AccountDidNotDeserialize))
    }

    pub fn invariant(&self) -> Result<()> {
        let shares_match_status = match self.status {
            ContributionStatus::Proposed | ContributionStatus::Rejected => self.shares == 0,
            ContributionStatus::Accepted | ContributionStatus::Revoked => self.shares > 0,
        };
        require!(
            shares_match_status && self.uri.len() <= MAX_URI_LEN,
            LedgerError::InvariantViolated
        );
        Ok(())
    }
}

/// A contribution's model, index and payout wallet ([`Contribution::claim_keys`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimKeys {
    pub model: Pubkey,
    pub index: u32,
    pub payout_wallet: Pubkey,
}

impl ClaimKeys {
    /// From a record's bytes (discriminator first), following its Borsh
    /// layout: `None` if it is cut short.
    fn from_record(data: &[u8]) -> Option<Self> {
        let key = |at: usize| -> Option<Pubkey> {
            Some(Pubkey::new_from_array(
                data.get(at..at + 32)?.try_into().ok()?,
            ))
        };
        // discriminator, version, bump
        let model_at = DISCRIMINATOR_LEN + 2;
        let index_at = model_at + 32;
        let index = u32::from_le_bytes(data.get(index_at..index_at + 4)?.try_into().ok()?);
        // contributor, kind, content hash, then the URI's length and bytes
        let uri_at = index_at + 4 + 32 + 1 + 32;
        let uri_len = u32::from_le_bytes(data.get(uri_at..uri_at + 4)?.try_into().ok()?);
        // proposed slot, status, shares
        let payout_at = (uri_at + 4).checked_add(usize::try_from(uri_len).ok()?)? + 8 + 1 + 8;
        Some(Self {
            model: key(model_at)?,
            index,
            payout_wallet: key(payout_at)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_keys_are_read_where_borsh_writes_them() {
        for uri in ["", "ar://x", &"u".repeat(MAX_URI_LEN)] {
            let record = Contribution {
                version: 1,
                bump: 254,
                model: Pubkey::new_unique(),
                index: 77_001,
                contributor: Pubkey::new_unique(),
                kind: ContributionKind::Dataset,
                content_hash: [3; 32],
                uri: uri.to_string(),
                proposed_slot: 9,
                status: ContributionStatus::Accepted,
                shares: 5,
                payout_wallet: Pubkey::new_unique(),
                status_slot: 10,
                reserved: [0; 64],
            };
            let mut data = Vec::new();
            record.try_serialize(&mut data).unwrap();
            assert_eq!(
                ClaimKeys::from_record(&data),
                Some(ClaimKeys {
                    model: record.model,
                    index: record.index,
                    payout_wallet: record.payout_wallet,
                })
            );
            let cut = data.len() - 64 - 8 - 1;
            assert_eq!(ClaimKeys::from_record(&data[..cut]), None);
        }
    }

    #[test]
    fn index_seed_is_the_documented_little_endian_u32() {
        let model = Pubkey::new_unique();
        let seeds = Contribution::seeds(&model, &0x0102_0304);
        assert_eq!(seeds[2], 0x0102_0304u32.to_le_bytes());
    }
}
