//! The host side of metering: buffer call records, cut them into batches that
//! fit one transaction, and record each batch exactly once.

use std::collections::{BTreeMap, VecDeque};

use model_ledger::{errors::LedgerError, state::AttributionEntry};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

use crate::{
    client::{associated_token, LedgerClient, LedgerConnection, TransactionOutcome},
    instructions::{self as ix, ModelAccounts, RecordInferenceArgs},
    merkle::{CallRecord, CallTree},
    SdkError,
};

/// Distinct contributions one batch may attribute to: the program's own
/// bound, which fits a single-signer legacy transaction (measured in the tests).
pub const MAX_BATCH_ENTRIES: usize = model_ledger::constants::MAX_ATTRIBUTION_ENTRIES as usize;

/// A batch ready to record: its calls, their Merkle tree, and the batch-level
/// attribution (per-call weights summed per contribution).
#[derive(Clone, Debug)]
pub struct Batch {
    pub calls: Vec<CallRecord>,
    pub tree: CallTree,
    pub attribution: Vec<AttributionEntry>,
}

impl Batch {
    /// Builds a batch from calls, which must name at most
    /// [`MAX_BATCH_ENTRIES`] distinct contributions together.
    pub fn new(calls: Vec<CallRecord>) -> Self {
        let attribution = aggregate_attribution(&calls);
        assert!(attribution.len() <= MAX_BATCH_ENTRIES);
        Self {
            tree: CallTree::new(&calls),
            calls,
            attribution,
        }
    }

    pub fn merkle_root(&self) -> [u8; 32] {
        self.tree.root()
    }
}

/// Sums per-call weights per contribution, then scales them so the largest
/// fits a u16 (keeping every named contribution at weight ≥ 1). Proportions
/// are kept to within one part in 65 535.
///
/// ```
/// use model_ledger::state::AttributionEntry;
/// use model_ledger_sdk::{merkle::CallRecord, meter::aggregate_attribution};
/// let call = |index, weight| CallRecord {
///     request_hash: [0; 32],
///     output_hash: [0; 32],
///     attribution: vec![AttributionEntry { index, weight }],
/// };
/// let batch = aggregate_attribution(&[call(4, 1), call(2, 3), call(4, 2)]);
/// assert_eq!(batch, vec![AttributionEntry { index: 2, weight: 3 }, AttributionEntry { index: 4, weight: 3 }]);
/// ```
pub fn aggregate_attribution(calls: &[CallRecord]) -> Vec<AttributionEntry> {
    let mut sums: BTreeMap<u32, u64> = BTreeMap::new();
    for call in calls {
        for entry in &call.attribution {
            *sums.entry(entry.index).or_default() += u64::from(entry.weight);
        }
    }
    let largest = sums.values().copied().max().unwrap_or(0);
    sums.into_iter()
        .filter(|(_, weight)| *weight > 0)
        .map(|(index, weight)| {
            let scaled = if largest <= u64::from(u16::MAX) {
                weight
            } else {
                (u128::from(weight) * u128::from(u16::MAX) / u128::from(largest)).max(1) as u64
            };
            AttributionEntry {
                index,
                weight: u16::try_from(scaled).unwrap_or(u16::MAX),
            }
        })
        .collect()
}

/// Buffers calls and cuts batches.
/// What recording on a grant needs, read from chain once per run so that a
/// batch costs one transaction and no reads.
#[derive(Clone, Debug)]
pub struct MeteredGrant {
    pub grant: Pubkey,
    pub accounts: ModelAccounts,
    /// The token account paying for the calls.
    pub payer_token: Pubkey,
    /// The grant's next batch number when it was read.
    pub next_seq: u64,
}

impl MeteredGrant {
    /// Reads `grant` and its model; `payer_token` defaults to the
    /// licensee's associated token account for the model's payment mint.
    pub async fn resolve<C: LedgerConnection, P: Signer>(
        client: &LedgerClient<C, P>,
        grant: &Pubkey,
        payer_token: Option<Pubkey>,
    ) -> Result<Self, SdkError> {
        let record = client.grant(grant).await?;
        let accounts = client.model_accounts(&record.model).await?;
        Ok(Self {
            grant: *grant,
            payer_token: payer_token
                .unwrap_or_else(|| associated_token(&record.licensee, &accounts)),
            accounts,
            next_seq: record.next_seq,
        })
    }
}

#[derive(Debug)]
pub struct InferenceMeter {
    pending: VecDeque<CallRecord>,
    max_calls_per_batch: usize,
}

/// How a submission ended.
#[derive(Debug)]
pub enum Submission {
    /// This call recorded (and paid for) the batch.
    Recorded(TransactionOutcome),
    /// The grant had already moved past this sequence number: an earlier
    /// attempt landed. Nothing was paid again.
    AlreadyRecorded { seq: u64 },
}

impl InferenceMeter {
    pub fn new(max_calls_per_batch: usize) -> Self {
        assert!(max_calls_per_batch > 0);
        Self {
            pending: VecDeque::new(),
            max_calls_per_batch,
        }
    }

    pub fn push(&mut self, call: CallRecord) {
        self.pending.push_back(call);
    }

    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Takes the longest prefix of pending calls that stays within the call
    /// cap and names at most [`MAX_BATCH_ENTRIES`] distinct contributions.
    pub fn cut_batch(&mut self) -> Option<Batch> {
        let mut distinct = std::collections::BTreeSet::new();
        let mut take = 0;
        for call in self.pending.iter().take(self.max_calls_per_batch) {
            let mut with_call = distinct.clone();
            with_call.extend(call.attribution.iter().map(|entry| entry.index));
            if with_call.len() > MAX_BATCH_ENTRIES {
                break;
            }
            distinct = with_call;
            take += 1;
        }
        if take == 0 {
            // A single call naming too many contributions cannot be recorded as is.
            return self.pending.pop_front().map(|mut call| {
                call.attribution.truncate(MAX_BATCH_ENTRIES);
                Batch::new(vec![call])
            });
        }
        Some(Batch::new(self.pending.drain(..take).collect()))
    }

    /// Records `batch` as batch `seq` of the grant. If the outcome is
    /// unknown (a lost connection, a repeat, or the grant already past
    /// `seq`), the grant's sequence number decides: a batch that landed is
    /// reported as [`Submission::AlreadyRecorded`], never paid twice.
    pub async fn submit<C: LedgerConnection, P: Signer>(
        client: &LedgerClient<C, P>,
        recorder: &dyn Signer,
        metered: &MeteredGrant,
        seq: u64,
        batch: &Batch,
    ) -> Result<Submission, SdkError> {
        let instruction = ix::record_inference(
            &recorder.pubkey(),
            &metered.grant,
            &metered.accounts,
            &metered.payer_token,
            RecordInferenceArgs {
                seq,
                calls: batch.calls.len() as u64,
                merkle_root: batch.merkle_root(),
                attribution: batch.attribution.clone(),
            },
        );
        let sent = client.send(&[instruction], &[recorder]).await;
        let grant = &metered.grant;
        match sent {
            Ok(outcome) => Ok(Submission::Recorded(outcome)),
            Err(error) => {
                let unknown_outcome =
                    matches!(error, SdkError::Connection(_) | SdkError::AlreadyProcessed)
                        || error.ledger_error().map(u32::from)
                            == Some(u32::from(LedgerError::SequenceMismatch));
                if unknown_outcome && client.grant(grant).await?.next_seq > seq {
                    Ok(Submission::AlreadyRecorded { seq })
                } else {
                    Err(error)
                }
            }
        }
    }
}

#[cfg(feature = "attribution")]
impl InferenceMeter {
    /// Attributes `output` with `attributor` and queues the call: a host's
    /// server meters each response in-process, paying the contributions
    /// whose data it used. Returns the attribution (spans and weights) for
    /// the host's own records.
    pub fn push_output(
        &mut self,
        attributor: &model_ledger_attribution::Attributor,
        request: &[u8],
        output: &str,
    ) -> model_ledger_attribution::Attribution {
        use sha2::{Digest, Sha256};
        let attribution = attributor.attribute(output);
        self.push(CallRecord {
            request_hash: Sha256::digest(request).into(),
            output_hash: Sha256::digest(output.as_bytes()).into(),
            attribution: attribution
                .meter_weights()
                .into_iter()
                .map(|(index, weight)| AttributionEntry { index, weight })
                .collect(),
        });
        attribution
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(indices: &[u32]) -> CallRecord {
        CallRecord {
            request_hash: [1; 32],
            output_hash: [2; 32],
            attribution: indices
                .iter()
                .map(|index| AttributionEntry {
                    index: *index,
                    weight: 1,
                })
                .collect(),
        }
    }

    #[test]
    fn batches_respect_the_call_cap_and_keep_order() {
        let mut meter = InferenceMeter::new(100);
        for i in 0..250 {
            meter.push(call(&[i % 3]));
        }
        let sizes: Vec<usize> = std::iter::from_fn(|| meter.cut_batch())
            .map(|b| b.calls.len())
            .collect();
        assert_eq!(sizes, vec![100, 100, 50]);
        assert_eq!(meter.pending(), 0);
    }

    #[test]
    fn batches_name_at_most_a_transaction_s_worth_of_contributions() {
        let mut meter = InferenceMeter::new(10_000);
        for i in 0..150 {
            meter.push(call(&[i]));
        }
        let first = meter.cut_batch().unwrap();
        assert_eq!(first.calls.len(), MAX_BATCH_ENTRIES);
        assert_eq!(first.attribution.len(), MAX_BATCH_ENTRIES);
        assert_eq!(meter.cut_batch().unwrap().calls.len(), 50);
    }

    #[test]
    fn heavy_weights_are_scaled_into_u16_keeping_every_entry() {
        let heavy = CallRecord {
            request_hash: [0; 32],
            output_hash: [0; 32],
            attribution: vec![
                AttributionEntry {
                    index: 0,
                    weight: u16::MAX,
                },
                AttributionEntry {
                    index: 1,
                    weight: 1,
                },
            ],
        };
        let batch = aggregate_attribution(&vec![heavy; 4]);
        assert_eq!(batch[0].weight, u16::MAX);
        assert_eq!(batch[1].weight, 1, "4 scaled by 65 535 / 262 140");
    }

    /// A host's server attributes each response in-process: the call it
    /// queues pays the contribution whose text the output quoted.
    #[cfg(feature = "attribution")]
    #[test]
    fn an_output_is_attributed_and_queued_with_its_hashes() {
        use model_ledger_attribution::{
            Attributor, BuildOptions, Index, Source, Tokenizer, Tuning,
        };
        use sha2::{Digest, Sha256};

        let dir = tempfile::tempdir().unwrap();
        let vocabulary = [
            "kelp", "quartz", "heron", "saffron", "tundra", "violet", "ember",
        ];
        // A linear congruential sequence: no run of seven words repeats.
        let text = |seed: u64| -> String {
            let mut state = seed;
            (0..600)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    vocabulary[((state >> 33) % vocabulary.len() as u64) as usize]
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let sources: Vec<Source> = [(3u32, text(1)), (5, text(2))]
            .into_iter()
            .map(|(contribution, body)| {
                let path = dir.path().join(format!("{contribution}.txt"));
                std::fs::write(&path, body).unwrap();
                Source { contribution, path }
            })
            .collect();
        let out = dir.path().join("index");
        let tokenizer = Tokenizer::gpt2().unwrap();
        Index::build(&sources, &tokenizer, &out, BuildOptions::default()).unwrap();
        let attributor =
            Attributor::new(Index::open(&out).unwrap(), tokenizer, Tuning::default()).unwrap();

        let second = text(2);
        let quote: Vec<&str> = second.split(' ').skip(200).take(40).collect();
        let output = format!("Here is the passage: {}", quote.join(" "));
        let mut meter = InferenceMeter::new(10);
        let attribution = meter.push_output(&attributor, b"request 1", &output);
        assert_eq!(
            attribution
                .weights
                .iter()
                .map(|(c, _)| *c)
                .collect::<Vec<_>>(),
            vec![5]
        );
        let batch = meter.cut_batch().unwrap();
        let call = &batch.calls[0];
        assert_eq!(
            call.request_hash,
            <[u8; 32]>::from(Sha256::digest(b"request 1"))
        );
        assert_eq!(
            call.output_hash,
            <[u8; 32]>::from(Sha256::digest(output.as_bytes()))
        );
        assert_eq!(call.attribution.len(), 1);
        assert_eq!(call.attribution[0].index, 5);
        assert_eq!(
            u32::from(call.attribution[0].weight),
            attribution.weights[0].1
        );
    }
}
