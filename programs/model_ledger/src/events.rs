//! Every event the program emits (as a self-CPI, so log truncation can never
//! drop one: `emit_event!`). Each carries enough to rebuild the changed
//! account from events alone, plus a running counter so an indexer can
//! detect a gap. Token amounts are base units of the model's payment mint;
//! slots are the slot of the emitting transaction.

use anchor_lang::{
    prelude::*,
    solana_program::{
        instruction::{AccountMeta, Instruction},
        program::invoke_signed_unchecked,
    },
};

/// The event authority's seed, as Anchor's `#[event_cpi]` derives
/// `EVENT_AUTHORITY_AND_BUMP` from it.
pub const EVENT_AUTHORITY_SEED: &[u8] = b"__event_authority";

/// Emits `event` as a self-CPI signed by the event authority: the same
/// instruction `emit_cpi!` sends (Anchor's event tag, the event's
/// discriminator, its Borsh bytes), so every Anchor client decodes it. The
/// data is written into one buffer; `emit_cpi!` collects it byte by byte
/// through an iterator chain, which cost about 10 compute units per byte in
/// the VM (some 14,000 for a 100-entry `InferenceRecorded`).
pub fn emit_self_cpi<E: anchor_lang::Event>(
    event_authority: &AccountInfo,
    event: &E,
) -> Result<()> {
    let mut data = Vec::with_capacity(1_024);
    data.extend_from_slice(anchor_lang::event::EVENT_IX_TAG_LE);
    data.extend_from_slice(E::DISCRIMINATOR);
    event.serialize(&mut data)?;
    let instruction = Instruction {
        program_id: crate::ID,
        accounts: vec![AccountMeta::new_readonly(*event_authority.key, true)],
        data,
    };
    // The event authority is never borrowed (it holds no data), which is
    // all `invoke_signed`'s borrow search would check.
    invoke_signed_unchecked(
        &instruction,
        core::slice::from_ref(event_authority),
        &[&[EVENT_AUTHORITY_SEED, &[crate::EVENT_AUTHORITY_AND_BUMP.1]]],
    )?;
    Ok(())
}

/// `emit_event!(ctx, Event { … })`: emits the event through the
/// instruction's `event_authority` (added by `#[event_cpi]`), returning
/// early on failure like `emit_cpi!`.
macro_rules! emit_event {
    ($ctx:expr, $event:expr) => {
        $crate::events::emit_self_cpi(&$ctx.accounts.event_authority.to_account_info(), &$event)?
    };
}

use crate::math::{
    book_money::BookMoney,
    royalty::{Distribution, MAX_PARENTS},
};
use crate::state::{
    AiTerms, AttributionEntry, ContributionKind, ContributionStatus, LicenseTerms, ParentLink,
    ProposalPolicy,
};

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ConfigInitialized {
    pub config: Pubkey,
    pub admin: Pubkey,
    pub treasury: Pubkey,
    pub protocol_fee_bps: u16,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ConfigUpdated {
    pub config: Pubkey,
    pub admin: Pubkey,
    pub pending_admin: Option<Pubkey>,
    pub treasury: Pubkey,
    pub protocol_fee_bps: u16,
    pub paused: bool,
    /// `Config::update_count` after this change.
    pub update_count: u64,
}

impl ConfigUpdated {
    /// The whole configuration at `address` after a change.
    pub fn of(address: Pubkey, config: &crate::state::Config) -> Self {
        ConfigUpdated {
            config: address,
            admin: config.admin,
            pending_admin: config.pending_admin,
            treasury: config.treasury,
            protocol_fee_bps: config.protocol_fee_bps,
            paused: config.paused,
            update_count: config.update_count,
        }
    }
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ModelRegistered {
    pub model: Pubkey,
    pub creator: Pubkey,
    pub authority: Pubkey,
    pub model_id: [u8; 32],
    pub name: String,
    pub metadata_uri: String,
    pub content_hash: [u8; 32],
    pub payment_mint: Pubkey,
    /// The payment mint's decimals, as the royalty book records them.
    pub payment_decimals: u8,
    pub token_program: Pubkey,
    pub vault: Pubkey,
    pub royalty_book: Pubkey,
    pub attribution_bps: u16,
    pub parents: Vec<ParentLink>,
    /// Derived under a non-commercial grant: only non-commercial licences.
    pub non_commercial_lineage: bool,
    pub slot: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ModelAuthorityTransferProposed {
    pub model: Pubkey,
    pub authority: Pubkey,
    /// `None` when the authority cancelled a pending transfer.
    pub pending_authority: Option<Pubkey>,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ModelAuthorityTransferred {
    pub model: Pubkey,
    pub previous_authority: Pubkey,
    pub new_authority: Pubkey,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ContributionProposed {
    pub model: Pubkey,
    pub contribution: Pubkey,
    pub index: u32,
    pub contributor: Pubkey,
    pub kind: ContributionKind,
    pub content_hash: [u8; 32],
    pub uri: String,
    pub slot: u64,
    /// `RoyaltyBook::contribution_count` after this proposal.
    pub contribution_count: u32,
}

/// One event for every status change of a contribution (accept, reject, revoke).
#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ContributionStatusChanged {
    pub model: Pubkey,
    pub contribution: Pubkey,
    pub index: u32,
    pub previous_status: ContributionStatus,
    pub status: ContributionStatus,
    /// The contribution's shares after the change.
    pub shares: u64,
    /// `RoyaltyBook::total_shares` after the change.
    pub model_total_shares: u64,
    /// `RoyaltyBook::accepted_count` after the change.
    pub model_accepted_count: u32,
    /// The book's reward per share at the change: an accepted contribution
    /// earns from here on, a revoked one has earned up to here.
    pub acc_per_share: u128,
    pub slot: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PayoutWalletSet {
    pub model: Pubkey,
    pub contribution: Pubkey,
    pub index: u32,
    pub previous_payout_wallet: Pubkey,
    pub payout_wallet: Pubkey,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LicensePublished {
    pub model: Pubkey,
    pub license: Pubkey,
    pub license_version: u32,
    pub payment_mint: Pubkey,
    pub terms: LicenseTerms,
    pub slot: u64,
}

/// A licence published with its AI uses and use restrictions: what
/// `publish_license` emits now. It supersedes `LicensePublished`, which
/// programs emitted before AI terms existed and readers of their history
/// still decode as it was (a new event, rather than a field added to the
/// old one, so that old events keep their bytes' meaning).
#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LicensePublishedV2 {
    pub model: Pubkey,
    pub license: Pubkey,
    pub license_version: u32,
    pub payment_mint: Pubkey,
    pub terms: LicenseTerms,
    pub ai: AiTerms,
    pub slot: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LicenseRetired {
    pub model: Pubkey,
    pub license: Pubkey,
    pub license_version: u32,
    pub slot: u64,
}

/// How one payment was booked into a model's royalty book, with the book's
/// pools after it, so an indexer can follow every balance from events alone.
/// Amounts in "scaled" fields are 1/10^12 of a token base unit
/// (`math::royalty::SCALE`).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PaymentRecord {
    /// The payment, before the protocol fee.
    pub amount: u64,
    /// Booked for the treasury (0 on upstream settlements): the fee's exact
    /// value plus the carried fraction, floored. It stays in the vault until
    /// `collect_protocol_fees` sweeps it.
    pub protocol_fee: u64,
    /// Booked for each parent, in `Model::parents` order (carried fraction
    /// included, floored).
    pub upstream: Vec<u64>,
    /// The contributors' part of the payment, exact (scaled).
    pub contributors_scaled: u128,
    /// Credited to each attribution entry per unit of its weight (scaled);
    /// entry `i` received `weight_i × per_weight_scaled`.
    pub per_weight_scaled: u128,
    /// Credited to all shares (scaled): the contributors' part less the
    /// attributed credits.
    pub shares_scaled: u128,
    /// Whole tokens of the shares part owed to the authority because no
    /// shares existed.
    pub to_unallocated: u64,
    /// Book state after the payment.
    pub acc_per_share: u128,
    pub shares_carry: u128,
    pub owed_protocol: u64,
    pub fee_carry: u16,
    pub upstream_carry: Vec<u16>,
    pub unallocated: u64,
    pub total_shares: u64,
    pub owed_upstream: Vec<u64>,
    /// `RoyaltyBook::payment_count` after this payment.
    pub payment_count: u64,
}

impl PaymentRecord {
    /// The record of a payment of `amount` that `distribution` split, made
    /// to a model with `parents` parents, its book's money now `after`. The
    /// program emits it; an indexer that recomputed the payment builds it
    /// again and compares.
    pub fn of(
        amount: u64,
        distribution: &Distribution,
        parents: usize,
        after: &BookMoney,
    ) -> PaymentRecord {
        let pools = &after.pools;
        let parents = parents.min(MAX_PARENTS);
        PaymentRecord {
            amount,
            protocol_fee: distribution.protocol_fee,
            upstream: distribution.upstream[..parents].to_vec(),
            contributors_scaled: distribution.contributors_scaled,
            per_weight_scaled: distribution.per_weight_scaled,
            shares_scaled: distribution.shares_scaled,
            to_unallocated: distribution.to_unallocated,
            acc_per_share: pools.acc_per_share,
            shares_carry: pools.shares_carry,
            owed_protocol: pools.owed_protocol,
            fee_carry: pools.fee_carry,
            upstream_carry: pools.upstream_carry[..parents].to_vec(),
            unallocated: pools.unallocated,
            total_shares: pools.total_shares,
            owed_upstream: pools.owed_upstream[..parents].to_vec(),
            payment_count: after.payment_count,
        }
    }
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct GrantAcquired {
    pub model: Pubkey,
    pub license: Pubkey,
    pub license_version: u32,
    pub grant: Pubkey,
    pub licensee: Pubkey,
    pub price_per_call: u64,
    pub call_limit: u64,
    pub granted_at: i64,
    pub expires_at: Option<i64>,
    /// The up-front fee as booked (amount 0 when the licence has none).
    pub payment: PaymentRecord,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MeterSet {
    pub grant: Pubkey,
    pub licensee: Pubkey,
    pub previous_meter: Option<Pubkey>,
    pub meter: Option<Pubkey>,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct GrantRenewed {
    pub grant: Pubkey,
    pub licensee: Pubkey,
    pub license_version: u32,
    /// The new expiry (`None`: never).
    pub expires_at: Option<i64>,
    pub total_paid: u128,
    /// The renewal fee as booked.
    pub payment: PaymentRecord,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct GrantTransferred {
    pub grant: Pubkey,
    pub previous_licensee: Pubkey,
    pub licensee: Pubkey,
    /// Cleared by the transfer.
    pub previous_meter: Option<Pubkey>,
    /// Moved with the grant: the batch numbering never restarts.
    pub calls_used: u64,
    pub next_seq: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct InferenceRecorded {
    pub model: Pubkey,
    pub grant: Pubkey,
    pub licensee: Pubkey,
    /// The licensee or its meter.
    pub recorder: Pubkey,
    pub seq: u64,
    pub calls: u64,
    /// Root of the Merkle tree over the batch's call records.
    pub merkle_root: [u8; 32],
    // The same bytes as derived; the IDL builder reads the field as derived.
    #[cfg_attr(
        not(feature = "idl-build"),
        borsh(serialize_with = "crate::state::attribution_wire::serialize")
    )]
    pub attribution: Vec<AttributionEntry>,
    pub payment: PaymentRecord,
    /// `Grant::calls_used` after the batch.
    pub calls_used: u64,
    pub slot: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ContributionClosed {
    pub model: Pubkey,
    pub contribution: Pubkey,
    pub index: u32,
    pub contributor: Pubkey,
    /// Lamports returned to the contributor.
    pub rent_returned: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SurplusBooked {
    pub model: Pubkey,
    /// Tokens found in the vault beyond what the book held (0: nothing booked).
    pub amount: u64,
    /// How it was booked, as a first-hop payment without attribution.
    pub payment: PaymentRecord,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ProtocolFeesCollected {
    pub model: Pubkey,
    /// The treasury's token account that received them.
    pub treasury_token: Pubkey,
    pub amount: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct UpstreamSettled {
    pub child: Pubkey,
    pub parent: Pubkey,
    /// Position of the parent in the child's `parents`.
    pub parent_position: u8,
    pub amount: u64,
    /// How the parent booked it (no protocol fee, no attribution).
    pub payment: PaymentRecord,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RoyaltyClaimed {
    pub model: Pubkey,
    pub contribution: Pubkey,
    pub index: u32,
    pub payout_wallet: Pubkey,
    pub destination: Pubkey,
    pub amount: u64,
    /// Book entry after the claim.
    pub claimed_total: u128,
    pub accrued_scaled_left: u128,
    pub snapshot: u128,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct UnallocatedClaimed {
    pub model: Pubkey,
    pub authority: Pubkey,
    pub destination: Pubkey,
    pub amount: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RoyaltyBookExtended {
    pub model: Pubkey,
    pub entry_count: u32,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ProposalPolicySet {
    pub model: Pubkey,
    pub previous_policy: ProposalPolicy,
    pub policy: ProposalPolicy,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ProposerAllowed {
    pub model: Pubkey,
    pub wallet: Pubkey,
    pub permit: Pubkey,
    pub slot: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ProposerDisallowed {
    pub model: Pubkey,
    pub wallet: Pubkey,
    pub permit: Pubkey,
    /// Lamports of the permit's rent, back to the model authority.
    pub rent_returned: u64,
}
