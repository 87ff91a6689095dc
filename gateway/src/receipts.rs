//! Receipts: what a caller can check about its call. Before its batch
//! lands, the call record as journaled; after, also the grant, the batch's
//! sequence number, the transaction, the Merkle proof from the call to the
//! batch's root (the shape `model-ledger prove --output json` prints, which
//! `prove --receipt` and the explorer's proof form take as they are) and
//! what the call paid.

use std::sync::{Arc, Mutex};

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use model_ledger_sdk::{hex, merkle::CallTree};
use serde_json::{json, Value};

use crate::Gateway;

/// A batch of the call log that landed on chain.
#[derive(Clone, Debug)]
pub struct LandedBatch {
    pub seq: u64,
    /// Position in the log of the batch's first call.
    pub first_call: usize,
    pub calls: usize,
    pub merkle_root: [u8; 32],
    /// The transaction, or `None` when a restart found the batch landed
    /// by an earlier run that did not keep its signature.
    pub signature: Option<String>,
}

/// The chain side as the recorder last saw it.
#[derive(Default)]
pub struct ChainState {
    pub grant: String,
    pub price_per_call: u64,
    pub mint: String,
    pub decimals: u8,
    pub attribution_required: bool,
    /// Calls of the log recorded in landed batches (a prefix of the log).
    pub calls_done: usize,
    pub batches: Vec<LandedBatch>,
    /// Why the last attempt to record failed, while it keeps failing.
    pub last_error: Option<String>,
    /// Calls waiting for an attributed call, under `attribution_required`.
    pub held_for_attribution: usize,
}

#[derive(Default)]
pub struct LedgerView {
    pub state: Mutex<ChainState>,
}

impl LedgerView {
    pub fn calls_done(&self) -> usize {
        self.state.lock().expect("not poisoned").calls_done
    }

    /// The landed batch holding the call at `position`.
    fn batch_of(&self, position: usize) -> Option<LandedBatch> {
        let state = self.state.lock().expect("not poisoned");
        let at = state
            .batches
            .partition_point(|batch| batch.first_call + batch.calls <= position);
        state
            .batches
            .get(at)
            .filter(|batch| batch.first_call <= position)
            .cloned()
    }
}

fn not_found(message: String) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": { "message": message, "type": "model_ledger_gateway" } })),
    )
        .into_response()
}

pub async fn receipt(State(gateway): State<Arc<Gateway>>, Path(id): Path<String>) -> Response {
    let (position, logged, records) = {
        let calls = gateway.journal.calls.lock().expect("not poisoned");
        let Some(&position) = calls.by_id.get(&id) else {
            return not_found(format!(
                "no metered call has id {id} (an upstream error, a refused request, a body that is not JSON or a caller that left before the end is not metered)"
            ));
        };
        let batch = gateway.ledger.batch_of(position);
        let records = batch.map(|batch| {
            (
                batch.clone(),
                calls.records[batch.first_call..batch.first_call + batch.calls].to_vec(),
            )
        });
        (position, calls.log[position].clone(), records)
    };
    let call = json!({
        "request_hash": logged.request_hash,
        "output_hash": logged.output_hash,
        "attribution": logged.attribution.iter().map(|(index, weight)| [*index, u32::from(*weight)]).collect::<Vec<_>>(),
    });
    let mut receipt = json!({
        "id": logged.receipt.id,
        "endpoint": logged.receipt.endpoint,
        "model": logged.receipt.model,
        "usage": logged.receipt.usage,
        "stream": logged.receipt.stream,
        "journaled_at": logged.receipt.at,
        "log_position": position,
        "call": call,
    });
    let state = gateway.ledger.state.lock().expect("not poisoned");
    receipt["grant"] = Value::String(state.grant.clone());
    let Some((batch, records)) = records else {
        receipt["status"] = Value::String(
            if state.attribution_required && state.held_for_attribution > 0 {
                "held: the licence requires attribution and no call since the last batch was attributed"
            } else {
                "journaled: its batch has not landed yet"
            }
            .into(),
        );
        return Json(receipt).into_response();
    };
    let in_batch = position - batch.first_call;
    let tree = CallTree::new(&records);
    let record = &records[in_batch];
    let proof: Vec<Value> = tree
        .proof(in_batch)
        .iter()
        .map(|step| json!({ "sibling": hex::encode(&step.sibling), "sibling_is_left": step.sibling_is_left }))
        .collect();
    receipt["status"] = Value::String("landed".into());
    receipt["batch_seq"] = json!(batch.seq);
    receipt["call_position"] = json!(in_batch);
    receipt["batch_calls"] = json!(batch.calls);
    receipt["signature"] = json!(batch.signature);
    receipt["leaf"] = Value::String(hex::encode(&record.leaf()));
    receipt["root"] = Value::String(hex::encode(&batch.merkle_root));
    receipt["proof"] = Value::Array(proof);
    receipt["verified"] = Value::Bool(tree.root() == batch.merkle_root);
    receipt["paid"] = json!({
        "amount": state.price_per_call.to_string(),
        "mint": state.mint,
        "decimals": state.decimals,
        "to": if record.attribution.is_empty() { "the contributions, by shares" } else { "the contributions it names, by weight (the licence's attribution ratio), the rest by shares" },
    });
    Json(receipt).into_response()
}

pub async fn status(State(gateway): State<Arc<Gateway>>) -> Response {
    let journaled = gateway.journal.journaled();
    let state = gateway.ledger.state.lock().expect("not poisoned");
    Json(json!({
        "grant": state.grant,
        "calls_journaled": journaled,
        "calls_recorded": state.calls_done,
        "batches_landed": state.batches.len(),
        "last_batch_seq": state.batches.last().map(|batch| batch.seq),
        "attribution_mean_micros": gateway.attribution_timing.mean_micros(),
        "held_for_attribution": state.held_for_attribution,
        "last_error": state.last_error,
    }))
    .into_response()
}
