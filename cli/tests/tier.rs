//! `attribute index --tier compressed`: an index under 2 bytes a token that
//! pays a call exactly as the suffix-array index of the same data does.

mod common;

use common::*;
use serde_json::{json, Value};

#[test]
fn a_compressed_index_pays_a_call_as_the_suffix_array_index_does() {
    let s = Session::embedded();
    let (first, second) = (prose(11, 3_000), prose(12, 3_000));
    for (name, body) in [("a/one.txt", &first), ("b/two.txt", &second)] {
        let path = s.path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, body).unwrap();
    }
    let build = |tier: &str| -> (std::path::PathBuf, Value) {
        let out = s.path(&format!("index-{tier}"));
        let report = s.json(&[
            "attribute",
            "index",
            "--contribution",
            &format!("0={}", text(&s.path("a"))),
            "--contribution",
            &format!("1={}", text(&s.path("b"))),
            "--tier",
            tier,
            "--out",
            text(&out),
        ]);
        (out, report)
    };
    let (plain, plain_report) = build("suffix-array");
    let (packed, packed_report) = build("compressed");
    let tokens = packed_report["tokens"].as_f64().unwrap();
    assert_eq!(plain_report["tokens"], packed_report["tokens"]);
    assert_ne!(plain_report["content_hash"], packed_report["content_hash"]);
    assert_eq!(
        (
            plain_report["tier"].as_str(),
            packed_report["tier"].as_str()
        ),
        (Some("suffix-array"), Some("compressed"))
    );
    // The counts file (512 KiB) is the same in both; the rest is the tier.
    let counts = 8.0 * 65_536.0;
    let per_token = |report: &Value| (report["index_bytes"].as_f64().unwrap() - counts) / tokens;
    assert!(per_token(&packed_report) < 2.0, "{packed_report}");
    assert!(per_token(&plain_report) > 5.9, "{plain_report}");

    let words: Vec<&str> = second.split(' ').collect();
    let output = format!(
        "{} and then, in words of its own, {}",
        words[100..160].join(" "),
        words[900..940].join(" ")
    );
    let outputs = s.path("outputs.jsonl");
    std::fs::write(
        &outputs,
        json!({ "request_id": "r0", "output": output }).to_string(),
    )
    .unwrap();
    let attribute = |index: &std::path::Path, to: &str| -> Value {
        let attributed = s.path(to);
        s.json(&[
            "attribute",
            "--index",
            text(index),
            "--input",
            text(&outputs),
            "--attributed",
            text(&attributed),
        ]);
        serde_json::from_str(std::fs::read_to_string(&attributed).unwrap().trim()).unwrap()
    };
    let plain_call = attribute(&plain, "plain.jsonl");
    let packed_call = attribute(&packed, "packed.jsonl");
    assert_eq!(plain_call["attribution"][0][0], json!(1), "{plain_call}");
    assert!(
        plain_call["attribution"][0][1].as_u64().unwrap() > 100,
        "{plain_call}"
    );
    assert_eq!(packed_call["attribution"], plain_call["attribution"]);

    let refused = s.fails(&[
        "attribute",
        "index",
        "--contribution",
        &format!("0={}", text(&s.path("a"))),
        "--tier",
        "zip",
        "--out",
        text(&s.path("never")),
    ]);
    assert!(
        refused.contains("the index tier is suffix-array or compressed, not \"zip\""),
        "{refused}"
    );
}
