//! Records inference calls from JSONL in batches, resumably: every batch is
//! journaled to a file before it is sent, and the grant's on-chain sequence
//! number decides, after a crash, whether a journaled batch already landed.
//! Re-running the same command therefore never pays for a call twice.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use model_ledger::state::AttributionEntry;
use model_ledger_gateway::LandedBatch;
use model_ledger_sdk::{
    events::LedgerEvent,
    merkle::CallRecord,
    meter::{Batch, InferenceMeter, MeteredGrant, Submission},
    SdkError,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use solana_sdk::pubkey::Pubkey;

use crate::{
    output::{hex, parse_hash, OutputFormat},
    session::Session,
};

mod lines;

use lines::{check_contributions, read_calls, NumberedCall};

#[derive(Args, Debug)]
pub struct MeterArgs {
    /// The grant to record on
    #[arg(long)]
    pub grant: Pubkey,
    /// JSONL file of call records; `-` or absent reads standard input
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Most calls per batch
    #[arg(long, default_value_t = 1_000)]
    pub batch_calls: usize,
    /// Where batch files and progress are kept [default: model-ledger-batches/<grant>]
    #[arg(long)]
    pub batches: Option<PathBuf>,
    /// Paying token account [default: the licensee's associated account]
    #[arg(long)]
    pub from: Option<Pubkey>,
}

/// A batch as journaled on disk.
#[derive(Serialize, Deserialize)]
pub struct BatchFile {
    pub grant: String,
    pub seq: u64,
    /// Position of the batch's first call among the input's calls.
    pub first_call: usize,
    pub merkle_root: String,
    pub calls: Vec<StoredCall>,
    /// Set once the batch landed.
    pub signature: Option<String>,
    /// The root the on-chain `InferenceRecorded` event carried.
    pub event_root: Option<String>,
    /// Compute units the landed transaction consumed, as the cluster
    /// reports them (the record and its compute-budget instruction).
    #[serde(default)]
    pub compute_units: Option<u64>,
}

#[derive(Serialize, Deserialize)]
pub struct StoredCall {
    pub request_hash: String,
    pub output_hash: String,
    pub attribution: Vec<(u32, u16)>,
}

impl StoredCall {
    pub fn record(&self) -> Result<CallRecord> {
        Ok(CallRecord {
            request_hash: parse_hash(&self.request_hash)?,
            output_hash: parse_hash(&self.output_hash)?,
            attribution: self
                .attribution
                .iter()
                .map(|(index, weight)| AttributionEntry {
                    index: *index,
                    weight: *weight,
                })
                .collect(),
        })
    }
}

/// How far the input has been recorded, and which input that was.
#[derive(Serialize, Deserialize, Default)]
struct Progress {
    calls_done: usize,
    /// [`InputDigest`] of the first `calls_done` calls, hex: a rerun, or a
    /// longer log that begins with the same calls, resumes; any other input
    /// is refused instead of having its first calls silently skipped.
    input_digest: String,
}

/// A running digest of the calls recorded so far, in order: each step
/// hashes the digest before it with the call's Merkle leaf.
#[derive(Clone, Copy, Default)]
struct InputDigest([u8; 32]);

impl InputDigest {
    fn of(calls: &[CallRecord]) -> Self {
        let mut digest = Self::default();
        digest.extend(calls);
        digest
    }

    fn extend(&mut self, calls: &[CallRecord]) {
        for call in calls {
            let mut hasher = Sha256::new();
            hasher.update(self.0);
            hasher.update(call.leaf());
            self.0 = hasher.finalize().into();
        }
    }
}

pub fn batch_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("batch-{seq:08}.json"))
}

/// Replaces `path` with `value` whole, on disk before it returns: a batch
/// file lost to a power cut after its transaction landed would let the next
/// run cut a different batch at the same place.
fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    crate::files::replace_whole(path, &serde_json::to_vec_pretty(value)?)
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => {
            Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
                format!("{} is damaged", path.display())
            })?))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// The journaled batch that starts at `first_call`, the first call the
/// progress file does not count, if any. A batch is journaled as the
/// grant's `next_seq` before it is sent, so it is either that batch (not
/// landed) or the one before (landed, then the run stopped before counting
/// it: before or after journaling its signature).
fn pending_batch(dir: &Path, first_call: usize, next_seq: u64) -> Result<Option<BatchFile>> {
    for seq in [Some(next_seq), next_seq.checked_sub(1)]
        .into_iter()
        .flatten()
    {
        if let Some(batch) = read_json::<BatchFile>(&batch_path(dir, seq))? {
            if batch.first_call == first_call {
                return Ok(Some(batch));
            }
        }
    }
    Ok(None)
}

pub async fn execute(session: &Session, args: MeterArgs) -> Result<()> {
    anyhow::ensure!(
        session.is_online(),
        "meter sends many transactions: it cannot run with --sign-only, --nonce or --blockhash"
    );
    anyhow::ensure!(args.batch_calls > 0, "--batch-calls must be at least 1");
    let numbered = read_calls(&args.input)?;
    let metered = MeteredGrant::resolve(&session.client, &args.grant, args.from).await?;
    check_contributions(session, &metered.accounts.model, &numbered).await?;
    let calls: Vec<CallRecord> = numbered
        .iter()
        .map(|numbered| numbered.call.clone())
        .collect();
    let dir = args
        .batches
        .clone()
        .unwrap_or_else(|| PathBuf::from("model-ledger-batches").join(args.grant.to_string()));
    let bar = if session.output == OutputFormat::Json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(calls.len() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} calls {msg}").expect("template"),
    );
    let mut run = Run::open(session, metered, dir, &calls, Some(&numbered)).await?;
    bar.set_position(run.calls_done() as u64);
    let done = run.calls_done();
    run.record(&calls[done..], args.batch_calls, &mut |done| {
        bar.set_position(done as u64)
    })
    .await?;
    bar.finish_and_clear();
    let grant = session.client.grant(&args.grant).await?;
    let (batches, found_landed, dir) = (run.sent, run.found_landed, run.dir.display());
    session.output.print(
        serde_json::json!({
            "grant": args.grant.to_string(), "calls": calls.len(), "batches_sent": batches,
            "batches_found_landed": found_landed, "calls_used": grant.calls_used, "next_seq": grant.next_seq,
            "batches_dir": dir.to_string(),
        }),
        || format!(
            "Recorded {} calls on {}: {batches} batch(es) sent now, {found_landed} found already landed\n  grant: {} calls used, next batch #{}\n  batch files: {dir}",
            calls.len(),
            args.grant,
            grant.calls_used,
            grant.next_seq,
        ),
    );
    Ok(())
}

/// One `meter` run (or a gateway's recorder): where it journals, how far it
/// got, what it did.
pub struct Run<'a> {
    session: &'a Session,
    /// The input's calls with their line numbers, to name a refused batch's;
    /// without them (a gateway's log) a call's line is its position + 1.
    lines: Option<&'a [NumberedCall]>,
    pub metered: MeteredGrant,
    pub dir: PathBuf,
    progress_path: PathBuf,
    progress: Progress,
    /// Digest of the first `progress.calls_done` calls.
    digest: InputDigest,
    pub sent: usize,
    pub found_landed: usize,
}

impl<'a> Run<'a> {
    /// Opens the journal in `dir` for `calls` (the input so far), takes up
    /// an earlier run's progress if it was made on the same calls, and
    /// settles a batch it left journaled: recorded as landed if the grant
    /// moved past it, sent otherwise.
    pub async fn open(
        session: &'a Session,
        metered: MeteredGrant,
        dir: PathBuf,
        calls: &[CallRecord],
        lines: Option<&'a [NumberedCall]>,
    ) -> Result<Run<'a>> {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let mut run = Run {
            session,
            lines,
            metered,
            progress_path: dir.join("progress.json"),
            digest: InputDigest::default(),
            progress: Progress::default(),
            dir,
            sent: 0,
            found_landed: 0,
        };
        run.resume(calls)?;
        if let Some(pending) =
            pending_batch(&run.dir, run.progress.calls_done, run.metered.next_seq)?
        {
            run.finish_pending(pending).await?;
        }
        Ok(run)
    }

    /// Calls of the input recorded in landed batches.
    pub fn calls_done(&self) -> usize {
        self.progress.calls_done
    }

    /// Records `pending`, the input's calls that follow the first
    /// `calls_done`, in batches of at most `batch_calls`, each journaled
    /// before it is sent; `on_batch` hears the calls done after each.
    pub async fn record(
        &mut self,
        pending: &[CallRecord],
        batch_calls: usize,
        on_batch: &mut dyn FnMut(usize),
    ) -> Result<()> {
        // One meter for the whole run: it cuts the remaining calls into batches.
        let mut meter = InferenceMeter::new(batch_calls);
        for call in pending {
            meter.push(call.clone());
        }
        while let Some(batch) = meter.cut_batch() {
            self.send(batch).await?;
            on_batch(self.progress.calls_done);
        }
        Ok(())
    }

    /// The batches of the journal that landed, in order, from batch `from`.
    pub fn landed_from(&self, from: u64) -> Result<Vec<LandedBatch>> {
        let mut landed = Vec::new();
        for seq in from..self.metered.next_seq {
            let Some(batch) = read_json::<BatchFile>(&batch_path(&self.dir, seq))? else {
                continue;
            };
            if batch.signature.is_none() {
                continue;
            }
            landed.push(LandedBatch {
                seq,
                first_call: batch.first_call,
                calls: batch.calls.len(),
                merkle_root: parse_hash(&batch.merkle_root)?,
                signature: batch.signature.filter(|signature| {
                    signature
                        .parse::<solana_sdk::signature::Signature>()
                        .is_ok()
                }),
            });
        }
        Ok(landed)
    }

    /// Takes up the progress an earlier run left, if it was made on this
    /// input (or on the beginning of it).
    fn resume(&mut self, calls: &[CallRecord]) -> Result<()> {
        let Some(progress) = read_json::<Progress>(&self.progress_path)? else {
            return Ok(());
        };
        let path = self.progress_path.display();
        anyhow::ensure!(
            progress.calls_done <= calls.len(),
            "{path} records {} calls already sent from a different input: this one has only {}; \
             use another --batches directory for a different log",
            progress.calls_done,
            calls.len()
        );
        let digest = InputDigest::of(&calls[..progress.calls_done]);
        anyhow::ensure!(
            hex(&digest.0) == progress.input_digest,
            "{path} records progress on a different input: its first {} calls are not this input's; \
             use another --batches directory for a different log",
            progress.calls_done
        );
        self.progress = progress;
        self.digest = digest;
        Ok(())
    }

    /// A batch journaled by an interrupted run: recorded as landed if the
    /// grant moved past it, sent otherwise.
    async fn finish_pending(&mut self, pending: BatchFile) -> Result<()> {
        let records = pending
            .calls
            .iter()
            .map(StoredCall::record)
            .collect::<Result<Vec<_>>>()?;
        if pending.seq < self.metered.next_seq {
            // Landed: counted now, whether or not its signature was
            // journaled before the run stopped (never cut and paid again).
            self.found_landed += 1;
            if pending.signature.is_none() {
                let mut pending = pending;
                pending.signature = Some("landed before resume".into());
                write_json(&batch_path(&self.dir, pending.seq), &pending)?;
            }
            self.advance(&records)
        } else {
            self.submit(pending.seq, Batch::new(records)).await
        }
    }

    /// Journals `batch` under the grant's next sequence number, then sends it.
    async fn send(&mut self, batch: Batch) -> Result<()> {
        let seq = self.metered.next_seq;
        let stored = BatchFile {
            grant: self.metered.grant.to_string(),
            seq,
            first_call: self.progress.calls_done,
            merkle_root: hex(&batch.merkle_root()),
            calls: batch
                .calls
                .iter()
                .map(|call| StoredCall {
                    request_hash: hex(&call.request_hash),
                    output_hash: hex(&call.output_hash),
                    attribution: call
                        .attribution
                        .iter()
                        .map(|entry| (entry.index, entry.weight))
                        .collect(),
                })
                .collect(),
            signature: None,
            event_root: None,
            compute_units: None,
        };
        write_json(&batch_path(&self.dir, seq), &stored)?;
        self.submit(seq, batch).await
    }

    async fn submit(&mut self, seq: u64, batch: Batch) -> Result<()> {
        let session = self.session;
        let path = batch_path(&self.dir, seq);
        let submission = match InferenceMeter::submit(
            &session.client,
            &session.wallet,
            &self.metered,
            seq,
            &batch,
        )
        .await
        {
            Ok(submission) => submission,
            Err(error) => return Err(self.refused(seq, &batch, error).await),
        };
        session.checkpoint().await?;
        let mut stored: BatchFile = read_json(&path)?.expect("journaled");
        match &submission {
            Submission::Recorded(outcome) => {
                stored.signature = Some(outcome.signature.to_string());
                stored.event_root = outcome.events.iter().find_map(|event| match event {
                    LedgerEvent::InferenceRecorded(event) => Some(hex(&event.merkle_root)),
                    _ => None,
                });
                stored.compute_units = outcome.compute_units;
                self.sent += 1;
            }
            Submission::AlreadyRecorded { .. } => {
                stored.signature = Some("landed before resume".into());
                self.found_landed += 1;
            }
        }
        write_json(&path, &stored)?;
        self.metered.next_seq = seq + 1;
        self.advance(&batch.calls)
    }

    /// What became of a batch whose sending failed. A lost connection
    /// leaves it journaled, to be resent (or found landed) by the next run.
    /// Any other failure is the cluster's answer: if the grant did not move
    /// past it, nothing was paid, and the journaled batch is set aside as
    /// refused, so that the next run cuts its batches afresh from the input,
    /// corrected or not, instead of sending the refused one again.
    async fn refused(&mut self, seq: u64, batch: &Batch, error: SdkError) -> anyhow::Error {
        if matches!(error, SdkError::Connection(_)) {
            return error.into();
        }
        let grant = match self.session.client.grant(&self.metered.grant).await {
            Ok(grant) if grant.next_seq <= seq => grant,
            _ => return error.into(),
        };
        let path = batch_path(&self.dir, seq);
        let set_aside = path.with_extension("refused.json");
        if let Err(rename) = std::fs::rename(&path, &set_aside) {
            return anyhow::anyhow!(
                "{error}; and the refused batch {} could not be set aside: {rename}",
                path.display()
            );
        }
        let first = self.progress.calls_done;
        let last = first + batch.calls.len().saturating_sub(1);
        let (from, to) = match self.lines {
            Some(lines) => (
                lines.get(first).map_or(0, |numbered| numbered.line),
                lines.get(last).map_or(0, |numbered| numbered.line),
            ),
            None => (first + 1, last + 1),
        };
        anyhow::Error::new(error).context(format!(
            "the cluster refused the batch of lines {from} to {to} (batch #{seq} of grant {}; the grant's next batch is still #{}): nothing was paid; it is set aside as {}, so fix the input and run meter again",
            self.metered.grant,
            grant.next_seq,
            set_aside.display()
        ))
    }

    /// Counts `calls` as recorded, in the progress file too.
    fn advance(&mut self, calls: &[CallRecord]) -> Result<()> {
        self.digest.extend(calls);
        self.progress.calls_done += calls.len();
        self.progress.input_digest = hex(&self.digest.0);
        write_json(&self.progress_path, &self.progress)
    }
}
