//! Checking one call against a batch: the call record and its Merkle proof,
//! as `model-ledger prove --output json` prints them, against the root the
//! batch's event carried.

use model_ledger::state::AttributionEntry;
use model_ledger_indexer::query::BatchView;
use model_ledger_sdk::{
    hex::{decode32, NotHash},
    merkle::{verify, CallRecord, ProofStep},
};
use serde::Serialize;
use serde_json::Value;

/// What a check found.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Checked {
    /// The call is in the batch: its leaf proves to the batch's root.
    pub in_batch: bool,
    pub leaf: String,
    pub root: String,
    pub steps: usize,
}

pub enum Outcome {
    Checked(Checked),
    /// The text is not a call and a proof; why, in words.
    Unreadable(String),
}

fn hash(value: &Value, what: &str) -> Result<[u8; 32], String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("{what} is missing (64 hex digits)"))?;
    decode32(text).map_err(|reason| match reason {
        NotHash::Length(length) => format!("{what} is {length} characters, not 64 hex digits"),
        NotHash::NotHex => format!("{what} is not hex: {text}"),
    })
}

fn read(text: &str) -> Result<(CallRecord, Vec<ProofStep>), String> {
    let value: Value = serde_json::from_str(text).map_err(|error| {
        format!("not JSON ({error}): paste the output of `model-ledger prove --output json`")
    })?;
    let call = &value["call"];
    if !call.is_object() {
        return Err("no \"call\" object (request_hash, output_hash, attribution)".into());
    }
    let attribution = call["attribution"]
        .as_array()
        .ok_or("the call's \"attribution\" is missing (a list of [index, weight])")?
        .iter()
        .map(|entry| {
            let pair = entry.as_array().filter(|pair| pair.len() == 2);
            let index = pair
                .and_then(|pair| pair[0].as_u64())
                .and_then(|v| u32::try_from(v).ok());
            let weight = pair
                .and_then(|pair| pair[1].as_u64())
                .and_then(|v| u16::try_from(v).ok());
            match (index, weight) {
                (Some(index), Some(weight)) => Ok(AttributionEntry { index, weight }),
                _ => Err(format!("attribution entry {entry} is not [index, weight]")),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let record = CallRecord {
        request_hash: hash(&call["request_hash"], "the call's request_hash")?,
        output_hash: hash(&call["output_hash"], "the call's output_hash")?,
        attribution,
    };
    let proof = value["proof"]
        .as_array()
        .ok_or("no \"proof\" list of {sibling, sibling_is_left}")?
        .iter()
        .enumerate()
        .map(|(number, step)| {
            Ok(ProofStep {
                sibling: hash(&step["sibling"], &format!("proof step {number}'s sibling"))?,
                sibling_is_left: step["sibling_is_left"].as_bool().ok_or_else(|| {
                    format!("proof step {number}'s sibling_is_left is not true or false")
                })?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok((record, proof))
}

/// Checks `text` (a call and its proof) against `batch`'s root.
pub fn check(batch: &BatchView, text: &str) -> Outcome {
    let (record, proof) = match read(text) {
        Ok(read) => read,
        Err(reason) => return Outcome::Unreadable(reason),
    };
    let root = match hash(
        &Value::String(batch.merkle_root.clone()),
        "the batch's root",
    ) {
        Ok(root) => root,
        Err(reason) => return Outcome::Unreadable(reason),
    };
    Outcome::Checked(Checked {
        in_batch: verify(&root, &record, &proof),
        leaf: model_ledger_sdk::hex::encode(&record.leaf()),
        root: batch.merkle_root.clone(),
        steps: proof.len(),
    })
}
