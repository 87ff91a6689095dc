//! `attribute audit`: anyone holding a batch's call records (a batch file
//! from `meter`, or a gateway's receipts), the calls' outputs and the
//! published index recomputes every call's attribution and checks it
//! against the leaf committed under the batch's on-chain Merkle root.
//!
//! A call matches when its committed attribution is the engine's, except
//! for contributions the engine names that do not earn (the gateway and
//! `meter` leave those out: the program would refuse the batch). The
//! records must prove to the root the batch's `InferenceRecorded` event
//! carries, read from the chain, so a record edited after the fact is
//! caught there and an attribution altered before the batch was sent is
//! caught by the recomputation.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    io::BufRead,
    path::PathBuf,
};

use anyhow::{anyhow, Context, Result};
use clap::Args;
use model_ledger_sdk::{attribution::HOLDER_RULE, merkle::verify};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use solana_sdk::pubkey::Pubkey;

use super::{
    attribute::{engine, weigh_call},
    prove::{batch_claims, from_receipt, on_chain, Claim},
};
use crate::{output::hex, session::Session};

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// The published index the calls were attributed with
    #[arg(long, value_name = "DIR")]
    pub index: PathBuf,
    /// A batch file written by `meter`: every call in it is audited
    #[arg(long, value_name = "FILE", required_unless_present = "receipts")]
    pub batch: Option<PathBuf>,
    /// A gateway's receipt (`GET /ledger/receipts/{id}`); repeat for each call
    #[arg(long = "receipt", value_name = "FILE", conflicts_with = "batch")]
    pub receipts: Vec<PathBuf>,
    /// The calls' outputs, JSONL: each line with its "output" text (and
    /// "retrieved" for a RAG call), as `attribute` reads them; matched to
    /// the calls by the SHA-256 of the output
    #[arg(long, value_name = "PATH")]
    pub outputs: PathBuf,
    /// The tokenizer.json the index was built with [default: GPT-2's, built in]
    #[arg(long, value_name = "PATH")]
    pub tokenizer: Option<PathBuf>,
    /// The paraphrase model the host attributed with, if it published one
    /// (see `attribute --paraphrase-model`)
    #[arg(long, value_name = "DIR")]
    pub paraphrase_model: Option<PathBuf>,
}

/// An audit that found calls whose attribution is not the engine's, or
/// records that are not the chain's.
#[derive(Debug)]
pub struct AuditFailed(pub String);

impl std::fmt::Display for AuditFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AuditFailed {}

/// One audited call, as the report lists it.
struct Audited {
    claim: Claim,
    recomputed: Option<Vec<(u32, u16)>>,
    matches: bool,
}

pub async fn execute(session: &Session, args: AuditArgs) -> Result<()> {
    let claims = match &args.batch {
        Some(batch) => batch_claims(batch)?,
        None => args
            .receipts
            .iter()
            .map(from_receipt)
            .collect::<Result<Vec<_>>>()?,
    };
    let engine = engine(&args.index, &args.tokenizer, &args.paraphrase_model)?;
    let attributor = &engine.attributor;
    let outputs = read_outputs(&args.outputs)?;

    // Every record must prove to its batch's root, and that root must be
    // the one on chain.
    let mut problems = Vec::new();
    let mut batches: BTreeMap<(Pubkey, u64), Value> = BTreeMap::new();
    for claim in &claims {
        if !verify(&claim.root, &claim.call, &claim.proof) {
            problems.push(format!(
                "call {} of batch #{}: its record does not prove to the root {}",
                claim.position,
                claim.seq,
                hex(&claim.root)
            ));
        }
        if let std::collections::btree_map::Entry::Vacant(entry) =
            batches.entry((claim.grant, claim.seq))
        {
            let (landed, root_on_chain) = on_chain(session, claim, false).await?;
            if !landed {
                problems.push(format!(
                    "batch #{} of {} has not landed on chain",
                    claim.seq, claim.grant
                ));
            } else if !root_on_chain {
                problems.push(format!(
                    "batch #{} of {}: its root {} is not the one its InferenceRecorded event carries (or the transaction was not named)",
                    claim.seq,
                    claim.grant,
                    hex(&claim.root)
                ));
            }
            entry.insert(json!({
                "grant": claim.grant.to_string(), "seq": claim.seq, "root": hex(&claim.root),
                "landed": landed, "root_matches_event": root_on_chain,
            }));
        }
    }

    let mut earning: HashMap<Pubkey, BTreeSet<u32>> = HashMap::new();
    let mut audited = Vec::new();
    for claim in claims {
        let Some(call) = outputs.get(&claim.call.output_hash) else {
            audited.push(Audited {
                claim,
                recomputed: None,
                matches: false,
            });
            continue;
        };
        let (weights, _) = weigh_call(&engine, call)?;
        let model_earning = match earning.get(&claim.grant) {
            Some(set) => set,
            None => {
                let model = session.client.grant(&claim.grant).await?.model;
                let set = session.client.earning_contributions(&model).await?;
                earning.entry(claim.grant).or_insert(set)
            }
        };
        let committed: Vec<(u32, u16)> = claim
            .call
            .attribution
            .iter()
            .map(|entry| (entry.index, entry.weight))
            .collect();
        // What the record may leave out: contributions that do not earn.
        let expected: Vec<(u32, u16)> = weights
            .iter()
            .copied()
            .filter(|(index, weight)| {
                *weight > 0
                    && (model_earning.contains(index)
                        || committed.iter().any(|(named, _)| named == index))
            })
            .collect();
        let matches = committed == expected;
        if !matches {
            problems.push(format!(
                "call {} of batch #{}: committed {} but the engine gives {}",
                claim.position,
                claim.seq,
                pairs(&committed),
                pairs(&expected)
            ));
        }
        audited.push(Audited {
            claim,
            recomputed: Some(expected),
            matches,
        });
    }

    let without_output = audited
        .iter()
        .filter(|call| call.recomputed.is_none())
        .count();
    let matching = audited.iter().filter(|call| call.matches).count();
    let report = json!({
        "index": attributor.index.content_hash, "holder_rule": HOLDER_RULE,
        "paraphrase_model": engine.paraphrase_model(),
        "batches": batches.into_values().collect::<Vec<_>>(),
        "calls": audited.iter().map(|call| json!({
            "grant": call.claim.grant.to_string(), "batch_seq": call.claim.seq,
            "call_position": call.claim.position, "output_hash": hex(&call.claim.call.output_hash),
            "committed": call.claim.call.attribution.iter().map(|entry| json!([entry.index, entry.weight])).collect::<Vec<_>>(),
            "recomputed": call.recomputed.as_ref().map(|weights| weights.iter().map(|(index, weight)| json!([index, weight])).collect::<Vec<_>>()),
            "status": match (&call.recomputed, call.matches) {
                (None, _) => "no output given",
                (Some(_), true) => "matches",
                (Some(_), false) => "differs",
            },
        })).collect::<Vec<_>>(),
        "audited": audited.len() - without_output, "matching": matching,
        "differing": audited.len() - without_output - matching, "without_output": without_output,
    });
    if !problems.is_empty() {
        return Err(AuditFailed(format!("the audit failed: {}", problems.join("; "))).into());
    }
    session.output.print(report, || {
        format!(
            "{matching} of {} calls recomputed against the index {} match their committed attribution; {without_output} without an output given; every record proves to its batch's root on chain",
            audited.len(),
            attributor.index.content_hash
        )
    });
    Ok(())
}

fn pairs(weights: &[(u32, u16)]) -> String {
    serde_json::to_string(weights).expect("JSON")
}

/// The outputs file's calls by the SHA-256 of their output text (a RAG call
/// without an output is found by nothing: its record's output hash is of
/// the text, so the line must carry it).
fn read_outputs(path: &PathBuf) -> Result<HashMap<[u8; 32], Map<String, Value>>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut outputs = HashMap::new();
    for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let call: Map<String, Value> = serde_json::from_str(&line).with_context(|| {
            format!("{} line {}: not a JSON object", path.display(), number + 1)
        })?;
        let output = call
            .get("output")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("{} line {}: no \"output\" text", path.display(), number + 1))?;
        outputs.insert(Sha256::digest(output.as_bytes()).into(), call);
    }
    Ok(outputs)
}
