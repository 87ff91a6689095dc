use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use clap::Args;
use model_ledger_sdk::{
    events::LedgerEvent,
    merkle::{verify, CallRecord, CallTree, ProofStep},
};
use serde::Deserialize;
use solana_sdk::{pubkey::Pubkey, signature::Signature};

use super::meter::{BatchFile, StoredCall};
use crate::{
    output::{hex, parse_hash},
    session::Session,
};

#[derive(Args, Debug)]
pub struct ProveArgs {
    /// A batch file written by `meter` (with --call)
    #[arg(long, requires = "call", required_unless_present = "receipt")]
    pub batch: Option<PathBuf>,
    /// Position of the call in the batch (from 0)
    #[arg(long, requires = "batch")]
    pub call: Option<usize>,
    /// A gateway's receipt (`GET /ledger/receipts/{id}`), as it came; `-` reads standard input
    #[arg(long, conflicts_with = "batch")]
    pub receipt: Option<PathBuf>,
}

/// What a proof rests on: a call, the batch it was recorded in, and the
/// path from one to the other.
pub(super) struct Claim {
    pub grant: Pubkey,
    pub seq: u64,
    pub position: usize,
    pub call: CallRecord,
    pub root: [u8; 32],
    pub proof: Vec<ProofStep>,
    pub signature: Option<Signature>,
    /// The root a batch file recorded from the landed event (meter's).
    pub recorded_event_root: Option<String>,
}

/// Proves one call against its batch's Merkle root, and checks that root
/// against the chain: the grant must have moved past the batch, and the
/// transaction's `InferenceRecorded` event must carry it (read over RPC, or
/// from the embedded ledger's journal).
pub async fn execute(session: &Session, args: ProveArgs) -> Result<()> {
    let claim = match (&args.batch, args.call, &args.receipt) {
        (Some(batch), Some(call), _) => from_batch_file(batch, call)?,
        (_, _, Some(receipt)) => from_receipt(receipt)?,
        _ => anyhow::bail!("give --batch FILE --call N, or --receipt FILE"),
    };
    anyhow::ensure!(
        verify(&claim.root, &claim.call, &claim.proof),
        "the proof does not lead from the call to the root {}",
        hex(&claim.root)
    );
    let (landed, root_on_chain) = on_chain(session, &claim, true).await?;
    let root = hex(&claim.root);
    let call = &claim.call;
    let steps: Vec<_> = claim
        .proof
        .iter()
        .map(|step| serde_json::json!({ "sibling": hex(&step.sibling), "sibling_is_left": step.sibling_is_left }))
        .collect();
    session.output.print(
        serde_json::json!({
            "batch_seq": claim.seq, "grant": claim.grant.to_string(), "call_position": claim.position,
            // The record itself: with the proof, what an explorer checks against the batch's root.
            "call": {
                "request_hash": hex(&call.request_hash), "output_hash": hex(&call.output_hash),
                "attribution": call.attribution.iter().map(|entry| [entry.index, u32::from(entry.weight)]).collect::<Vec<_>>(),
            },
            "leaf": hex(&call.leaf()), "root": root,
            "proof": steps, "verified": true, "batch_landed": landed, "root_matches_event": root_on_chain,
        }),
        || format!(
            "Call {} of batch #{} is in the batch: leaf {} proves to root {} in {} step(s)\n  batch landed on chain: {}\n  root equals the InferenceRecorded event's: {}",
            claim.position,
            claim.seq,
            hex(&call.leaf()),
            root,
            claim.proof.len(),
            if landed { "yes" } else { "NO" },
            if root_on_chain { "yes" } else { "NO (no event root found for this batch)" }
        ),
    );
    anyhow::ensure!(
        landed,
        "batch #{} of {} has not landed on chain",
        claim.seq,
        claim.grant
    );
    Ok(())
}

/// Whether the claim's batch landed (the grant moved past it), and whether
/// its root is the one its transaction's `InferenceRecorded` event carried
/// (read from the chain; or, with `recorded_root`, as a batch file wrote
/// it down when the transaction is not named).
pub(super) async fn on_chain(
    session: &Session,
    claim: &Claim,
    recorded_root: bool,
) -> Result<(bool, bool)> {
    let landed = session.client.grant(&claim.grant).await?.next_seq > claim.seq;
    let chain_root = match claim.signature {
        Some(signature) => event_root(session, &signature).await?,
        None => None,
    }
    .or(claim.recorded_event_root.clone().filter(|_| recorded_root));
    Ok((
        landed,
        chain_root.as_deref() == Some(hex(&claim.root).as_str()),
    ))
}

fn from_batch_file(path: &PathBuf, position: usize) -> Result<Claim> {
    let mut claims = batch_claims(path)?;
    let calls = claims.len();
    anyhow::ensure!(
        position < calls,
        "the batch has {calls} calls; there is no call {position}"
    );
    Ok(claims.swap_remove(position))
}

/// Every call of a batch file written by `meter`, each with its proof; the
/// calls must hash to the root the file recorded.
pub(super) fn batch_claims(path: &PathBuf) -> Result<Vec<Claim>> {
    let batch: BatchFile = serde_json::from_slice(
        &std::fs::read(path).map_err(|error| anyhow!("cannot read {}: {error}", path.display()))?,
    )
    .with_context(|| format!("{} is not a batch file written by `meter`", path.display()))?;
    let records = batch
        .calls
        .iter()
        .map(StoredCall::record)
        .collect::<Result<Vec<_>>>()?;
    anyhow::ensure!(
        !records.is_empty(),
        "{}: the batch has no calls",
        path.display()
    );
    let tree = CallTree::new(&records);
    let root = parse_hash(&batch.merkle_root)?;
    anyhow::ensure!(
        tree.root() == root,
        "{}: the batch file's calls do not hash to its recorded root",
        path.display()
    );
    let grant: Pubkey = batch.grant.parse()?;
    let signature = batch.signature.as_deref().and_then(|s| s.parse().ok());
    Ok(records
        .into_iter()
        .enumerate()
        .map(|(position, call)| Claim {
            grant,
            seq: batch.seq,
            position,
            call,
            root,
            proof: tree.proof(position),
            signature,
            recorded_event_root: batch.event_root.clone(),
        })
        .collect())
}

/// A receipt as the gateway serves it (its other fields are for people).
#[derive(Deserialize)]
struct Receipt {
    status: Option<String>,
    grant: String,
    batch_seq: Option<u64>,
    call_position: Option<usize>,
    call: StoredCall,
    root: Option<String>,
    #[serde(default)]
    proof: Vec<ReceiptStep>,
    signature: Option<String>,
}

#[derive(Deserialize)]
struct ReceiptStep {
    sibling: String,
    sibling_is_left: bool,
}

pub(super) fn from_receipt(path: &PathBuf) -> Result<Claim> {
    let bytes = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)?;
        bytes
    } else {
        std::fs::read(path).map_err(|error| anyhow!("cannot read {}: {error}", path.display()))?
    };
    let receipt: Receipt = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a gateway receipt", path.display()))?;
    let (Some(seq), Some(position), Some(root)) = (
        receipt.batch_seq,
        receipt.call_position,
        receipt.root.as_deref(),
    ) else {
        anyhow::bail!(
            "the receipt's call is not in a landed batch yet ({}): fetch it again once it is",
            receipt.status.as_deref().unwrap_or("no status")
        );
    };
    let proof = receipt
        .proof
        .iter()
        .map(|step| {
            Ok(ProofStep {
                sibling: parse_hash(&step.sibling)?,
                sibling_is_left: step.sibling_is_left,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Claim {
        grant: receipt.grant.parse().context("the receipt's grant")?,
        seq,
        position,
        call: receipt.call.record()?,
        root: parse_hash(root)?,
        proof,
        signature: receipt.signature.as_deref().and_then(|s| s.parse().ok()),
        recorded_event_root: None,
    })
}

/// The Merkle root the batch's `InferenceRecorded` event carried.
async fn event_root(session: &Session, signature: &Signature) -> Result<Option<String>> {
    let events: Vec<LedgerEvent> = match (session.client.connection.rpc(), session.embedded()) {
        (Some(rpc), _) => rpc.events_of(signature).await?,
        (None, Some(embedded)) => embedded
            .events_of(&signature.to_string())?
            .unwrap_or_default()
            .iter()
            .filter_map(|bytes| LedgerEvent::decode(bytes))
            .collect(),
        (None, None) => Vec::new(),
    };
    Ok(events.into_iter().find_map(|event| match event {
        LedgerEvent::InferenceRecorded(event) => Some(hex(&event.merkle_root)),
        _ => None,
    }))
}
