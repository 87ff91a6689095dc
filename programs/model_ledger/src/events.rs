//! Every event the program emits (through `emit_cpi!`, so log truncation can
//! never drop one). Each carries enough to rebuild the changed account from
//! events alone, plus a running counter so an indexer can detect a gap.
//! Token amounts are base units of the model's payment mint; slots are the
//! slot of the emitting transaction.

use anchor_lang::prelude::*;

use crate::state::{ContributionKind, ContributionStatus, LicenseTerms, ParentLink};

#[event]
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigInitialized {
    pub config: Pubkey,
    pub admin: Pubkey,
    pub treasury: Pubkey,
    pub protocol_fee_bps: u16,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigUpdated {
    pub config: Pubkey,
    pub admin: Pubkey,
    pub treasury: Pubkey,
    pub protocol_fee_bps: u16,
    pub paused: bool,
    /// `Config::update_count` after this change.
    pub update_count: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRegistered {
    pub model: Pubkey,
    pub creator: Pubkey,
    pub authority: Pubkey,
    pub model_id: [u8; 32],
    pub name: String,
    pub metadata_uri: String,
    pub content_hash: [u8; 32],
    pub payment_mint: Pubkey,
    pub token_program: Pubkey,
    pub vault: Pubkey,
    pub royalty_book: Pubkey,
    pub attribution_bps: u16,
    pub parents: Vec<ParentLink>,
    pub slot: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
pub struct ModelAuthorityTransferProposed {
    pub model: Pubkey,
    pub authority: Pubkey,
    /// `None` when the authority cancelled a pending transfer.
    pub pending_authority: Option<Pubkey>,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
pub struct ModelAuthorityTransferred {
    pub model: Pubkey,
    pub previous_authority: Pubkey,
    pub new_authority: Pubkey,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
pub struct ContributionProposed {
    pub model: Pubkey,
    pub contribution: Pubkey,
    pub index: u32,
    pub contributor: Pubkey,
    pub kind: ContributionKind,
    pub content_hash: [u8; 32],
    pub uri: String,
    pub slot: u64,
    /// `Model::contribution_count` after this proposal.
    pub contribution_count: u32,
}

/// One event for every status change of a contribution (accept, reject, revoke).
#[event]
#[derive(Debug, Clone, PartialEq)]
pub struct ContributionStatusChanged {
    pub model: Pubkey,
    pub contribution: Pubkey,
    pub index: u32,
    pub previous_status: ContributionStatus,
    pub status: ContributionStatus,
    /// The contribution's shares after the change.
    pub shares: u64,
    /// `Model::total_shares` after the change.
    pub model_total_shares: u64,
    /// `Model::accepted_count` after the change.
    pub model_accepted_count: u32,
    pub slot: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
pub struct PayoutWalletSet {
    pub model: Pubkey,
    pub contribution: Pubkey,
    pub index: u32,
    pub previous_payout_wallet: Pubkey,
    pub payout_wallet: Pubkey,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
pub struct LicensePublished {
    pub model: Pubkey,
    pub license: Pubkey,
    pub license_version: u32,
    pub payment_mint: Pubkey,
    pub terms: LicenseTerms,
    pub slot: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
pub struct LicenseRetired {
    pub model: Pubkey,
    pub license: Pubkey,
    pub license_version: u32,
    pub slot: u64,
}
