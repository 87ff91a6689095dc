//! Decoding of the program's self-CPI events (`emit_cpi!`).
//!
//! An event is an inner instruction of the program to itself whose data is
//! Anchor's event tag, the event's discriminator, then the borsh-encoded event.

use anchor_lang::{event::EVENT_IX_TAG_LE, AnchorDeserialize, AnchorSerialize, Discriminator};
use model_ledger::events::*;
use solana_sdk::pubkey::Pubkey;

use crate::PROGRAM_ID;

/// Declares [`LedgerEvent`], its decoder, encoder and [`LedgerEvent::NAMES`]
/// from one list; a test holds that list to the IDL's events (generated from
/// the program and checked by CI), so an event the program adds cannot be
/// silently left undecoded.
macro_rules! ledger_events {
    ($($name:ident,)*) => {
        /// Every event the program emits (as JSON: `{"EventName": {fields}}`).
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        pub enum LedgerEvent {
            $($name($name),)*
        }

        impl LedgerEvent {
            /// Every event's name, as the IDL spells it.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name),)*];

            fn decode_payload(payload: &[u8]) -> Result<LedgerEvent, EventDecodeError> {
                $(
                    if let Some(body) = payload.strip_prefix($name::DISCRIMINATOR) {
                        return $name::try_from_slice(body)
                            .map(LedgerEvent::$name)
                            .map_err(|error| EventDecodeError::Malformed {
                                event: stringify!($name),
                                reason: error.to_string(),
                            });
                    }
                )*
                Err(EventDecodeError::UnknownEvent(
                    crate::hex::encode(&payload[..payload.len().min(8)]),
                ))
            }

            /// The event's name, as the IDL spells it.
            pub fn name(&self) -> &'static str {
                match self {
                    $(LedgerEvent::$name(_) => stringify!($name),)*
                }
            }

            /// The inner instruction's data that carries this event, as the
            /// program emits it (Anchor's event tag, the discriminator, Borsh).
            pub fn encode(&self) -> Vec<u8> {
                let mut data = EVENT_IX_TAG_LE.to_vec();
                match self {
                    $(LedgerEvent::$name(event) => {
                        data.extend_from_slice($name::DISCRIMINATOR);
                        event.serialize(&mut data).expect("an event serialises");
                    })*
                }
                data
            }
        }
    };
}

ledger_events! {
    ConfigInitialized,
    ConfigUpdated,
    ModelRegistered,
    ModelAuthorityTransferProposed,
    ModelAuthorityTransferred,
    ContributionProposed,
    ContributionStatusChanged,
    PayoutWalletSet,
    LicensePublished,
    LicenseRetired,
    RoyaltyBookExtended,
    GrantAcquired,
    MeterSet,
    InferenceRecorded,
    UpstreamSettled,
    RoyaltyClaimed,
    UnallocatedClaimed,
    ProtocolFeesCollected,
    SurplusBooked,
    GrantTransferred,
    GrantRenewed,
    ContributionClosed,
    ProposalPolicySet,
    ProposerAllowed,
    ProposerDisallowed,
    LicensePublishedV2,
}

/// Why the data of an inner instruction of the program that carries
/// Anchor's event tag is not an event this SDK knows: a transaction read
/// from a cluster whose data was cut short, or a program newer than the SDK.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventDecodeError {
    #[error("an event with discriminator {0} that this SDK does not know")]
    UnknownEvent(String),
    #[error("a {event} event that does not decode ({reason}): cut short?")]
    Malformed { event: &'static str, reason: String },
}

impl LedgerEvent {
    /// Decodes the data of one inner instruction; `None` if it is not a
    /// Model Ledger event or does not decode (an indexer uses
    /// [`LedgerEvent::decode_strict`], which tells the two apart).
    ///
    /// ```
    /// use model_ledger_sdk::events::LedgerEvent;
    /// assert!(LedgerEvent::decode(&[0u8; 4]).is_none());
    /// ```
    pub fn decode(instruction_data: &[u8]) -> Option<LedgerEvent> {
        LedgerEvent::decode_strict(instruction_data).ok().flatten()
    }

    /// Decodes the data of one inner instruction of the program: `Ok(None)`
    /// when it is not an event (no event tag), an error when it carries the
    /// tag but not a whole event the SDK knows.
    ///
    /// ```
    /// use model_ledger::events::RoyaltyBookExtended;
    /// use model_ledger_sdk::events::LedgerEvent;
    /// use solana_sdk::pubkey::Pubkey;
    /// let event = LedgerEvent::RoyaltyBookExtended(RoyaltyBookExtended {
    ///     model: Pubkey::new_unique(),
    ///     entry_count: 16,
    /// });
    /// let data = event.encode();
    /// assert_eq!(LedgerEvent::decode_strict(&data), Ok(Some(event)));
    /// assert!(LedgerEvent::decode_strict(&data[..data.len() - 1]).is_err());
    /// assert_eq!(LedgerEvent::decode_strict(&[1, 2, 3]), Ok(None));
    /// ```
    pub fn decode_strict(instruction_data: &[u8]) -> Result<Option<LedgerEvent>, EventDecodeError> {
        match instruction_data.strip_prefix(EVENT_IX_TAG_LE) {
            Some(payload) => LedgerEvent::decode_payload(payload).map(Some),
            None => Ok(None),
        }
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

#[cfg(test)]
mod tests {
    use super::LedgerEvent;

    /// The program's events as its IDL lists them (`idl/model_ledger.json`,
    /// regenerated by `cargo run -p idl-gen`, which CI checks for drift).
    #[test]
    fn every_event_in_the_idl_is_decoded() {
        let idl: serde_json::Value =
            serde_json::from_str(include_str!("../../idl/model_ledger.json"))
                .expect("the IDL is JSON");
        let mut in_idl: Vec<&str> = idl["events"]
            .as_array()
            .expect("the IDL lists events")
            .iter()
            .map(|event| event["name"].as_str().expect("an event has a name"))
            .collect();
        let mut decoded = LedgerEvent::NAMES.to_vec();
        in_idl.sort_unstable();
        decoded.sort_unstable();
        assert_eq!(decoded, in_idl);
    }
}
