use anchor_lang::prelude::*;

use crate::{constants::MAX_URI_LEN, errors::LedgerError};

#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_seed_is_the_documented_little_endian_u32() {
        let model = Pubkey::new_unique();
        let seeds = Contribution::seeds(&model, &0x0102_0304);
        assert_eq!(seeds[2], 0x0102_0304u32.to_le_bytes());
    }
}
