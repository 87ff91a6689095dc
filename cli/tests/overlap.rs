//! `attribute overlap`: an authority sees, before accepting a proposal, how
//! much of the candidate dataset the model's index already holds and whose
//! it is; a re-upload of an accepted dataset shows as held by the original.

mod common;

use common::*;
use sha2::{Digest, Sha256};

fn write(s: &Session, name: &str, text: &str) -> std::path::PathBuf {
    let path = s.path(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn held_by(report: &serde_json::Value, contribution: u64) -> u64 {
    report["held"]
        .as_array()
        .unwrap()
        .iter()
        .find(|held| held["contribution"] == contribution)
        .map_or(0, |held| held["tokens"].as_u64().unwrap())
}

#[test]
fn a_reupload_shows_as_held_by_the_original_before_it_is_accepted() {
    let s = Session::embedded();
    let original = [prose(1, 2_000), prose(2, 2_000)];
    write(&s, "original/a.txt", &original[0]);
    write(&s, "original/b.txt", &original[1]);
    write(&s, "other/c.txt", &prose(3, 2_000));
    let index = s.path("index");
    let built = s.json(&[
        "attribute",
        "index",
        "--contribution",
        &format!("4={}", text(&s.path("original"))),
        "--contribution",
        &format!("9={}", text(&s.path("other"))),
        "--out",
        text(&index),
    ]);

    // The candidate: the original's first file as is, and new text.
    let copied = write(&s, "candidate/a-copy.txt", &original[0]);
    let new = write(&s, "candidate/new.txt", &prose(4, 1_000));
    let report_file = s.path("overlap.json");
    let report = s.json(&[
        "attribute",
        "overlap",
        "--index",
        text(&index),
        text(&s.path("candidate")),
        "--report",
        text(&report_file),
    ]);
    assert_eq!(report["index"], built["content_hash"]);
    assert_eq!(report["holder_rule"], "earliest-contribution");
    let documents = report["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 2);
    let (copy, fresh) = (&documents[0], &documents[1]);
    assert_eq!(copy["path"], text(&copied));
    assert_eq!(fresh["path"], text(&new));
    // The SHA-256 a proposal of this file records (`propose --content-file`).
    let sha256: String = Sha256::digest(std::fs::read(&copied).unwrap())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    assert_eq!(copy["sha256"], sha256);
    let copy_tokens = copy["tokens"].as_u64().unwrap();
    let copy_held = held_by(copy, 4);
    assert!(
        copy_held + 2 >= copy_tokens && copy_held <= copy_tokens,
        "{copy}"
    );
    assert_eq!(copy["held"].as_array().unwrap().len(), 1, "{copy}");
    assert_eq!(fresh["held"], serde_json::json!([]), "{fresh}");
    let tokens = report["tokens"].as_u64().unwrap();
    assert_eq!(tokens, copy_tokens + fresh["tokens"].as_u64().unwrap());
    assert_eq!(held_by(&report, 4), copy_held);
    assert_eq!(held_by(&report, 9), 0);
    assert_eq!(report["held_tokens"], copy_held);
    assert_eq!(report["held_bps"], copy_held * 10_000 / tokens);
    // The report file is what was printed.
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report_file).unwrap()).unwrap();
    assert_eq!(written, report);

    // What a person reads.
    let human = s.human(&[
        "attribute",
        "overlap",
        "--index",
        text(&index),
        text(&copied),
    ]);
    assert!(
        human.contains(&format!("contribution 4 already holds {copy_held} tokens")),
        "{human}"
    );
    assert!(human.contains("new to the index: "), "{human}");

    // A candidate of new text only: nothing held.
    let report = s.json(&["attribute", "overlap", "--index", text(&index), text(&new)]);
    assert_eq!(report["held"], serde_json::json!([]));
    assert_eq!(report["held_bps"], 0);
}

#[test]
fn a_candidate_that_cannot_be_read_is_refused_by_name() {
    let s = Session::embedded();
    write(&s, "original/a.txt", &prose(1, 500));
    let index = s.path("index");
    s.json(&[
        "attribute",
        "index",
        "--contribution",
        &format!("0={}", text(&s.path("original"))),
        "--out",
        text(&index),
    ]);
    let missing = s.path("no-such-dataset");
    let error = s.fails(&[
        "attribute",
        "overlap",
        "--index",
        text(&index),
        text(&missing),
    ]);
    assert!(error.contains(text(&missing)), "{error}");
    let blank = write(&s, "blank/empty.txt", " \n\t\n");
    let error = s.fails(&[
        "attribute",
        "overlap",
        "--index",
        text(&index),
        text(&blank),
    ]);
    assert!(
        error.contains("empty") && error.contains(text(&blank)),
        "{error}"
    );
    let binary = s.path("binary.bin");
    std::fs::write(&binary, [0u8, 159, 146, 150, 0, 1]).unwrap();
    let error = s.fails(&[
        "attribute",
        "overlap",
        "--index",
        text(&index),
        text(&binary),
    ]);
    assert!(error.contains(text(&binary)), "{error}");
}

/// The explorer, given the reports, shows a proposal's overlap beside it:
/// the proposal's content hash is the SHA-256 of the file measured.
#[test]
fn the_explorer_shows_a_proposals_overlap_beside_it() {
    let s = Session::embedded();
    let mint = s.bootstrap();
    let model = s.model(&mint, "with-overlap", &[]);
    let original = write(&s, "original.txt", &prose(1, 2_000));
    let candidate = write(
        &s,
        "candidate.txt",
        &format!("{}\n{}", prose(1, 2_000), prose(5, 1_000)),
    );
    let propose = |file: &std::path::Path, uri: &str| {
        s.json(&[
            "contribution",
            "propose",
            &model,
            "--kind",
            "dataset",
            "--content-file",
            text(file),
            "--uri",
            uri,
        ]);
    };
    propose(&original, "ar://original");
    s.json(&["contribution", "accept", &model, "0", "--shares", "1"]);
    propose(&candidate, "ar://candidate");
    let index = s.path("index");
    s.json(&[
        "attribute",
        "index",
        "--contribution",
        &format!("0={}", text(&original)),
        "--out",
        text(&index),
    ]);
    let reports = s.path("reports");
    std::fs::create_dir_all(&reports).unwrap();
    let report = s.json(&[
        "attribute",
        "overlap",
        "--index",
        text(&index),
        text(&candidate),
        "--report",
        text(&reports.join("candidate.json")),
    ]);
    // A file that is no report is left out, not a reason to fail pages.
    std::fs::write(reports.join("broken.json"), "{ not a report").unwrap();
    let document = &report["documents"][0];
    let held_bps = document["held_bps"].as_u64().unwrap();
    assert!((6_000..=7_000).contains(&held_bps), "{report}");
    let percent = |bps: u64| format!("{}.{:02} %", bps / 100, bps % 100);

    let stderr = s.path("serve.stderr");
    let mut server = Stopped(s.spawn_with_stderr(
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--follow",
            "0",
            "--overlap-reports",
            text(&reports),
        ],
        std::fs::File::create(&stderr).unwrap(),
    ));
    let url = explorer_url(&mut server.0);
    let (status, html) = http_get(&format!("{url}/models/{model}"));
    assert_eq!(status, 200, "{html}");
    let row = |index: u32| {
        let start = html
            .find(&format!("id=\"contribution-{index}\""))
            .unwrap_or_else(|| panic!("no row {index}: {html}"));
        html[start..start + html[start..].find("</tr>").unwrap()].to_string()
    };
    let shown = format!(
        "{} already held · #0 {}",
        percent(held_bps),
        percent(document["held"][0]["share_bps"].as_u64().unwrap())
    );
    assert!(row(1).contains(&shown), "{shown} not in {}", row(1));
    assert!(!row(0).contains("already held"), "{}", row(0));
    // The API carries the same, by content hash.
    let (status, body) = http_get(&format!("{url}/api/models/{model}/contributions"));
    assert_eq!(status, 200, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    let hash = page["contributions"][1]["content_hash"].as_str().unwrap();
    assert_eq!(hash, document["sha256"].as_str().unwrap());
    assert_eq!(page["overlaps"][hash]["held_bps"], held_bps, "{page}");
    assert_eq!(
        page["overlaps"][hash]["held"][0],
        serde_json::json!([
            0,
            document["held"][0]["tokens"],
            document["held"][0]["share_bps"]
        ])
    );
    assert_eq!(page["overlaps"].as_object().unwrap().len(), 1, "{page}");

    // A report written while the explorer runs shows on the next request.
    let report = s.json(&[
        "attribute",
        "overlap",
        "--index",
        text(&index),
        text(&original),
        "--report",
        text(&reports.join("original.json")),
    ]);
    let (_, html) = http_get(&format!("{url}/models/{model}"));
    let start = html.find("id=\"contribution-0\"").unwrap();
    let row0 = &html[start..start + html[start..].find("</tr>").unwrap()];
    let held = percent(report["documents"][0]["held_bps"].as_u64().unwrap());
    assert!(row0.contains(&format!("{held} already held")), "{row0}");
    drop(server);
    let said = std::fs::read_to_string(&stderr).unwrap();
    assert!(
        said.contains("broken.json left out: not a report"),
        "{said}"
    );
}
