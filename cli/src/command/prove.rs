use std::path::PathBuf;

use anyhow::{anyhow, Result};
use clap::Args;
use model_ledger_sdk::{
    events::LedgerEvent,
    merkle::{verify, CallTree},
};
use solana_sdk::{pubkey::Pubkey, signature::Signature};

use super::meter::{BatchFile, StoredCall};
use crate::{
    output::{hex, parse_hash},
    session::Session,
};

#[derive(Args, Debug)]
pub struct ProveArgs {
    /// A batch file written by `meter`
    #[arg(long)]
    pub batch: PathBuf,
    /// Position of the call in the batch (from 0)
    #[arg(long)]
    pub call: usize,
}

/// Proves one call against its batch's Merkle root, and checks that root
/// against the chain: the grant must have moved past the batch, and (on an
/// RPC cluster) the transaction's `InferenceRecorded` event must carry it.
pub async fn execute(session: &Session, args: ProveArgs) -> Result<()> {
    let batch: BatchFile = serde_json::from_slice(
        &std::fs::read(&args.batch)
            .map_err(|error| anyhow!("cannot read {}: {error}", args.batch.display()))?,
    )?;
    let records = batch
        .calls
        .iter()
        .map(StoredCall::record)
        .collect::<Result<Vec<_>>>()?;
    let call = records.get(args.call).ok_or_else(|| {
        anyhow!(
            "the batch has {} calls; there is no call {}",
            records.len(),
            args.call
        )
    })?;
    let tree = CallTree::new(&records);
    let root = parse_hash(&batch.merkle_root)?;
    anyhow::ensure!(
        tree.root() == root,
        "the batch file's calls do not hash to its recorded root"
    );
    let proof = tree.proof(args.call);
    anyhow::ensure!(verify(&root, call, &proof), "the proof does not verify");

    let grant: Pubkey = batch.grant.parse()?;
    let landed = session.client.grant(&grant).await?.next_seq > batch.seq;
    let chain_root = match (
        session.client.connection.rpc(),
        batch
            .signature
            .as_deref()
            .and_then(|s| s.parse::<Signature>().ok()),
    ) {
        (Some(rpc), Some(signature)) => {
            rpc.events_of(&signature)
                .await?
                .into_iter()
                .find_map(|event| match event {
                    LedgerEvent::InferenceRecorded(event) => Some(hex(&event.merkle_root)),
                    _ => None,
                })
        }
        _ => batch.event_root.clone(),
    };
    let root_on_chain = chain_root.as_deref() == Some(batch.merkle_root.as_str());
    let steps: Vec<_> = proof
        .iter()
        .map(|step| serde_json::json!({ "sibling": hex(&step.sibling), "sibling_is_left": step.sibling_is_left }))
        .collect();
    session.output.print(
        serde_json::json!({
            "batch_seq": batch.seq, "grant": batch.grant, "call_position": args.call,
            // The record itself: with the proof, what an explorer checks against the batch's root.
            "call": {
                "request_hash": hex(&call.request_hash), "output_hash": hex(&call.output_hash),
                "attribution": call.attribution.iter().map(|entry| [entry.index, u32::from(entry.weight)]).collect::<Vec<_>>(),
            },
            "leaf": hex(&call.leaf()), "root": batch.merkle_root,
            "proof": steps, "verified": true, "batch_landed": landed, "root_matches_event": root_on_chain,
        }),
        || format!(
            "Call {} of batch #{} is in the batch: leaf {} proves to root {} in {} step(s)\n  batch landed on chain: {}\n  root equals the InferenceRecorded event's: {}",
            args.call,
            batch.seq,
            hex(&call.leaf()),
            batch.merkle_root,
            proof.len(),
            if landed { "yes" } else { "NO" },
            if root_on_chain { "yes" } else { "NO (no event root recorded for this batch)" }
        ),
    );
    anyhow::ensure!(
        landed,
        "batch #{} of {grant} has not landed on chain",
        batch.seq
    );
    Ok(())
}
