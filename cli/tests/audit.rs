//! `attribute audit`: a batch's attribution recomputed from its outputs and
//! the published index, and every call checked against the leaf under the
//! batch's on-chain root. An attribution the host altered before sending,
//! and a record edited after the batch landed, are both found.

mod common;

use common::*;
use model_ledger_sdk::merkle::{CallRecord, CallTree};
use model_ledger_sdk::model_ledger::state::AttributionEntry;
use serde_json::{json, Value};

fn write_lines(s: &Session, name: &str, lines: &[Value]) -> std::path::PathBuf {
    let path = s.path(name);
    let text: Vec<String> = lines.iter().map(Value::to_string).collect();
    std::fs::write(&path, text.join("\n")).unwrap();
    path
}

fn read_lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn an_audit_recomputes_every_call_and_finds_an_altered_attribution() {
    let s = Session::new();
    let datasets = [prose(1, 2_000), prose(2, 2_000)];
    let (_, grant, index, built) = s.model_with_two_datasets([&datasets[0], &datasets[1]]);
    let outputs = write_lines(
        &s,
        "outputs.jsonl",
        &[
            json!({ "request_id": "r0", "output": format!("As written: {}", excerpt(&datasets[0], 300, 60)) }),
            json!({ "request_id": "r1", "output": excerpt(&datasets[1], 900, 50) }),
            json!({ "request_id": "r2", "output": prose(77, 40) }),
        ],
    );
    let attributed = s.path("attributed.jsonl");
    s.json(&[
        "attribute",
        "--index",
        text(&index),
        "--input",
        text(&outputs),
        "--attributed",
        text(&attributed),
    ]);
    let calls = read_lines(&attributed);
    assert_eq!(calls[0]["attribution"][0][0], 0, "{}", calls[0]);
    assert_eq!(calls[1]["attribution"][0][0], 1, "{}", calls[1]);
    assert_eq!(calls[2]["attribution"], json!([]), "{}", calls[2]);
    let meter = |input: &std::path::Path, batches: &str| {
        s.json(&[
            "meter",
            "--grant",
            &grant,
            "--input",
            text(input),
            "--batches",
            text(&s.path(batches)),
        ]);
    };
    meter(&attributed, "batches");
    let batch = s.path("batches/batch-00000000.json");

    // Honest: every call matches the engine, each record proves to the root
    // on chain.
    let report = s.json(&[
        "attribute",
        "audit",
        "--index",
        text(&index),
        "--batch",
        text(&batch),
        "--outputs",
        text(&outputs),
    ]);
    assert_eq!(report["index"], built["content_hash"]);
    assert_eq!(report["audited"], 3, "{report}");
    assert_eq!(report["matching"], 3, "{report}");
    assert_eq!(report["differing"], 0);
    assert_eq!(report["batches"][0]["root_matches_event"], true);
    for (position, call) in report["calls"].as_array().unwrap().iter().enumerate() {
        assert_eq!(call["status"], "matches", "{call}");
        assert_eq!(call["committed"], calls[position]["attribution"], "{call}");
        assert_eq!(call["recomputed"], call["committed"]);
    }
    // A call whose output is not given is listed, not judged.
    let two = write_lines(&s, "two.jsonl", &read_lines(&outputs)[..2]);
    let report = s.json(&[
        "attribute",
        "audit",
        "--index",
        text(&index),
        "--batch",
        text(&batch),
        "--outputs",
        text(&two),
    ]);
    assert_eq!(report["calls"][2]["status"], "no output given");
    assert_eq!(
        (report["audited"].clone(), report["without_output"].clone()),
        (json!(2), json!(1))
    );

    // A host that paid contribution 1 for call 0's copy of contribution 0.
    let mut altered = calls.clone();
    let weight = altered[0]["attribution"][0][1].clone();
    altered[0]["attribution"] = json!([[1, weight]]);
    let altered_path = write_lines(&s, "altered.jsonl", &altered);
    meter(&altered_path, "altered-batches");
    let error = s.fails(&[
        "attribute",
        "audit",
        "--index",
        text(&index),
        "--batch",
        text(&s.path("altered-batches/batch-00000001.json")),
        "--outputs",
        text(&outputs),
    ]);
    assert!(error.contains("AttributionAuditFailed"), "{error}");
    assert!(
        error.contains(&format!(
            "call 0 of batch #1: committed [[1,{weight}]] but the engine gives [[0,{weight}]]"
        )),
        "{error}"
    );
    assert!(!error.contains("call 1 of"), "{error}");

    // A landed batch's file edited, call 1 paid to contribution 0, and its
    // root recomputed to match: the root is not the chain's.
    let mut file: Value = serde_json::from_slice(&std::fs::read(&batch).unwrap()).unwrap();
    file["calls"][1]["attribution"] = json!([[0, 5]]);
    let records: Vec<CallRecord> = file["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|call| CallRecord {
            request_hash: hash(&call["request_hash"]),
            output_hash: hash(&call["output_hash"]),
            attribution: call["attribution"]
                .as_array()
                .unwrap()
                .iter()
                .map(|entry| AttributionEntry {
                    index: entry[0].as_u64().unwrap() as u32,
                    weight: entry[1].as_u64().unwrap() as u16,
                })
                .collect(),
        })
        .collect();
    let forged_root: String = CallTree::new(&records)
        .root()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    file["merkle_root"] = forged_root.clone().into();
    file["event_root"] = forged_root.clone().into();
    let forged = s.path("forged.json");
    std::fs::write(&forged, file.to_string()).unwrap();
    let error = s.fails(&[
        "attribute",
        "audit",
        "--index",
        text(&index),
        "--batch",
        text(&forged),
        "--outputs",
        text(&outputs),
    ]);
    assert!(
        error.contains(&format!(
            "batch #0 of {grant}: its root {forged_root} is not the one its InferenceRecorded event carries"
        )),
        "{error}"
    );
    assert!(
        error.contains("call 1 of batch #0: committed [[0,5]]"),
        "{error}"
    );
}

fn hash(value: &Value) -> [u8; 32] {
    let text = value.as_str().unwrap();
    let mut bytes = [0u8; 32];
    for (n, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * n..2 * n + 2], 16).unwrap();
    }
    bytes
}
