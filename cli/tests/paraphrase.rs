//! `attribute --paraphrase-model`: a call whose output paraphrases a
//! contribution is paid to it, with the span's similarity and the model's
//! hash in the explanation; an audit recomputes it only with the model the
//! host published. Needs the real all-MiniLM-L6-v2
//! (`attribution/bench/fetch-model`, `MODEL_LEDGER_TEST_MINILM`); without
//! it the tests say so and do nothing, except under CI, where they fail.

mod common;

use common::*;
use serde_json::{json, Value};

fn model() -> Option<String> {
    match std::env::var("MODEL_LEDGER_TEST_MINILM") {
        Ok(dir) => Some(dir),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("CI runs attribution/bench/fetch-model and sets MODEL_LEDGER_TEST_MINILM")
        }
        Err(_) => {
            eprintln!("the paraphrase tests need attribution/bench/fetch-model and MODEL_LEDGER_TEST_MINILM");
            None
        }
    }
}

const BEES: &str = "Bees collect nectar from flowers and turn it into honey inside the hive. \
A healthy colony can produce more than thirty kilograms of honey in a single summer. \
Beekeepers wear protective veils and use smoke to calm the insects before opening the boxes.";
const LIGHTHOUSE: &str =
    "The lighthouse keeper climbed the spiral staircase every evening to light the great lamp. \
Ships passing the rocky headland relied on its beam to avoid the hidden reefs. \
During winter storms the keeper stayed awake all night, trimming the wick and polishing the lens.";
const PARAPHRASE: &str =
    "Ships going past the rocky headland depended on its light to steer clear of the concealed reefs.";

#[test]
fn a_paraphrase_is_paid_and_audited_with_the_published_model_only() {
    let Some(minilm) = model() else { return };
    let s = Session::new();
    let (_, grant, index, _) = s.model_with_two_datasets([BEES, LIGHTHOUSE]);
    let outputs = s.path("outputs.jsonl");
    std::fs::write(
        &outputs,
        json!({ "request_id": "r0", "output": PARAPHRASE }).to_string(),
    )
    .unwrap();

    let attribute = |extra: &[&str], to: &str| -> (Value, Value) {
        let attributed = s.path(to);
        let mut args = vec![
            "attribute",
            "--index",
            text(&index),
            "--input",
            text(&outputs),
            "--attributed",
            text(&attributed),
            "--explain",
        ];
        args.extend_from_slice(extra);
        let output = s.command(&args).output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let call: Value =
            serde_json::from_str(std::fs::read_to_string(&attributed).unwrap().trim()).unwrap();
        let explanation: Value = serde_json::from_slice(&output.stderr).unwrap();
        (call, explanation["explanation"].clone())
    };
    let (exact, _) = attribute(&[], "exact.jsonl");
    assert_eq!(
        exact["attribution"],
        json!([]),
        "no exact run is long enough to be a copy"
    );
    let (call, explanation) = attribute(&["--paraphrase-model", &minilm], "attributed.jsonl");
    let tokens = call["attribution"][0][1].as_u64().unwrap();
    assert_eq!(call["attribution"], json!([[1, tokens]]), "{call}");
    let span = &explanation["spans"][0];
    assert_eq!(
        (
            span["start"].clone(),
            span["end"].clone(),
            span["contribution"].clone()
        ),
        (json!(0), json!(tokens), json!(1)),
        "{explanation}"
    );
    assert!(span["similarity"].as_u64().unwrap() >= 700, "{span}");
    let model_sha256 = explanation["paraphrase_model"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(model_sha256.len(), 64);
    let passages: Vec<String> = std::fs::read_dir(&index)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("paraphrase-") && name.ends_with(".passages"))
        .collect();
    assert_eq!(passages.len(), 1, "the passages are kept beside the index");

    s.json(&[
        "meter",
        "--grant",
        &grant,
        "--input",
        text(&s.path("attributed.jsonl")),
        "--batches",
        text(&s.path("batches")),
    ]);
    let batch = s.path("batches/batch-00000000.json");
    let audit = [
        "attribute",
        "audit",
        "--index",
        text(&index),
        "--batch",
        text(&batch),
        "--outputs",
        text(&outputs),
    ];
    let report = s.json(&[&audit[..], &["--paraphrase-model", &minilm]].concat());
    assert_eq!(report["matching"], 1, "{report}");
    assert_eq!(report["paraphrase_model"], model_sha256);
    // Without the model the host published, the call's payment is not the engine's.
    let error = s.fails(&audit);
    assert!(
        error.contains(&format!(
            "call 0 of batch #0: committed [[1,{tokens}]] but the engine gives []"
        )),
        "{error}"
    );
}
