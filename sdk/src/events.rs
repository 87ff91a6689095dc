//! Decoding of the program's self-CPI events (`emit_cpi!`).
//!
//! An event is an inner instruction of the program to itself whose data is
//! Anchor's event tag, the event's discriminator, then the borsh-encoded event.

use anchor_lang::{event::EVENT_IX_TAG_LE, AnchorDeserialize, Discriminator};
use model_ledger::events::*;
use solana_sdk::pubkey::Pubkey;

use crate::PROGRAM_ID;

/// Every event the program emits.
#[derive(Debug, Clone, PartialEq)]
pub enum LedgerEvent {
    ConfigInitialized(ConfigInitialized),
    ConfigUpdated(ConfigUpdated),
    ModelRegistered(ModelRegistered),
    ModelAuthorityTransferProposed(ModelAuthorityTransferProposed),
    ModelAuthorityTransferred(ModelAuthorityTransferred),
    ContributionProposed(ContributionProposed),
    ContributionStatusChanged(ContributionStatusChanged),
    PayoutWalletSet(PayoutWalletSet),
    LicensePublished(LicensePublished),
    LicenseRetired(LicenseRetired),
    RoyaltyBookExtended(RoyaltyBookExtended),
    GrantAcquired(GrantAcquired),
    MeterSet(MeterSet),
    InferenceRecorded(InferenceRecorded),
    UpstreamSettled(UpstreamSettled),
    RoyaltyClaimed(RoyaltyClaimed),
    UnallocatedClaimed(UnallocatedClaimed),
    ProtocolFeesCollected(ProtocolFeesCollected),
    SurplusBooked(SurplusBooked),
    GrantTransferred(GrantTransferred),
    GrantRenewed(GrantRenewed),
    ContributionClosed(ContributionClosed),
}

fn decode_as<T: AnchorDeserialize + Discriminator>(
    payload: &[u8],
    wrap: fn(T) -> LedgerEvent,
) -> Option<LedgerEvent> {
    let body = payload.strip_prefix(T::DISCRIMINATOR)?;
    T::try_from_slice(body).ok().map(wrap)
}

impl LedgerEvent {
    /// Decodes the data of one inner instruction; `None` if it is not a Model Ledger event.
    ///
    /// ```
    /// use model_ledger_sdk::events::LedgerEvent;
    /// assert!(LedgerEvent::decode(&[0u8; 4]).is_none());
    /// ```
    pub fn decode(instruction_data: &[u8]) -> Option<LedgerEvent> {
        let payload = instruction_data.strip_prefix(EVENT_IX_TAG_LE)?;
        decode_as(payload, LedgerEvent::ConfigInitialized)
            .or_else(|| decode_as(payload, LedgerEvent::ConfigUpdated))
            .or_else(|| decode_as(payload, LedgerEvent::ModelRegistered))
            .or_else(|| decode_as(payload, LedgerEvent::ModelAuthorityTransferProposed))
            .or_else(|| decode_as(payload, LedgerEvent::ModelAuthorityTransferred))
            .or_else(|| decode_as(payload, LedgerEvent::ContributionProposed))
            .or_else(|| decode_as(payload, LedgerEvent::ContributionStatusChanged))
            .or_else(|| decode_as(payload, LedgerEvent::PayoutWalletSet))
            .or_else(|| decode_as(payload, LedgerEvent::LicensePublished))
            .or_else(|| decode_as(payload, LedgerEvent::LicenseRetired))
            .or_else(|| decode_as(payload, LedgerEvent::RoyaltyBookExtended))
            .or_else(|| decode_as(payload, LedgerEvent::GrantAcquired))
            .or_else(|| decode_as(payload, LedgerEvent::MeterSet))
            .or_else(|| decode_as(payload, LedgerEvent::InferenceRecorded))
            .or_else(|| decode_as(payload, LedgerEvent::UpstreamSettled))
            .or_else(|| decode_as(payload, LedgerEvent::RoyaltyClaimed))
            .or_else(|| decode_as(payload, LedgerEvent::UnallocatedClaimed))
            .or_else(|| decode_as(payload, LedgerEvent::ProtocolFeesCollected))
            .or_else(|| decode_as(payload, LedgerEvent::SurplusBooked))
            .or_else(|| decode_as(payload, LedgerEvent::GrantTransferred))
            .or_else(|| decode_as(payload, LedgerEvent::GrantRenewed))
            .or_else(|| decode_as(payload, LedgerEvent::ContributionClosed))
    }

    /// Collects the events among a transaction's inner instructions, given as
    /// (program id, data) pairs in execution order.
    pub fn from_inner_instructions<'a>(
        instructions: impl IntoIterator<Item = (Pubkey, &'a [u8])>,
    ) -> Vec<LedgerEvent> {
        instructions
            .into_iter()
            .filter(|(program, _)| *program == PROGRAM_ID)
            .filter_map(|(_, data)| LedgerEvent::decode(data))
            .collect()
    }
}
