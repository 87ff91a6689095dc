//! What a newcomer met, each fixed and held here: a refused batch that
//! was re-sent forever, a weight of 0 silently paid by shares, several JSON
//! documents from one command, messages that named nothing, debug text,
//! unix seconds, and offline signing the embedded chain could never submit.

mod common;

use common::*;
use serde_json::Value;

fn write_lines(s: &Session, name: &str, lines: &[String]) -> std::path::PathBuf {
    let path = s.path(name);
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

fn call(n: usize, attribution: &str) -> String {
    format!(r#"{{"request_id":"r{n}","output":"o{n}","attribution":{attribution}}}"#)
}

/// A log naming a contribution the model does not have, or one that is not
/// accepted, or a weight of 0, is refused by its line before anything is
/// journaled or paid; corrected, it goes through.
#[test]
fn meter_refuses_a_line_the_program_would_refuse_and_takes_it_corrected() {
    let s = Session::new();
    let (model, grant) = s.model_with_grant();
    s.json(&proposal(&model, "dataset", "ar://proposed-only"));
    let batches = s.path("batches");
    let meter = |input: &std::path::Path| {
        [
            "meter",
            "--grant",
            &grant,
            "--input",
            text(input),
            "--batches",
            text(&batches),
        ]
        .map(String::from)
    };
    let fails = |input: &std::path::Path| s.fails(&meter(input).each_ref().map(String::as_str));
    let mut lines: Vec<String> = (0..5).map(|n| call(n, "[[0,1]]")).collect();
    lines[3] = call(3, "[[0,1],[7,2]]");
    let error = fails(&write_lines(&s, "unknown.jsonl", &lines));
    assert!(error.contains("line 4: model"), "{error}");
    assert!(
        error.contains("has no contribution #7 (it has 2, #0 to #1)"),
        "{error}"
    );
    assert!(error.contains("nothing was sent"), "{error}");

    lines[3] = call(3, "[[1,2]]");
    let error = fails(&write_lines(&s, "proposed.jsonl", &lines));
    assert!(error.contains("line 4: contribution #1"), "{error}");
    assert!(error.contains("is proposed, not accepted"), "{error}");

    lines[3] = call(3, "[[0,0]]");
    let error = fails(&write_lines(&s, "zero.jsonl", &lines));
    assert!(
        error.contains("line 4: attribution entry 1 gives contribution #0 weight 0"),
        "{error}"
    );

    lines[3] = call(3, "[[0]]");
    let error = fails(&write_lines(&s, "shape.jsonl", &lines));
    assert!(
        error.contains("line 4: attribution entry 1 is [0]: give [index, weight]"),
        "{error}"
    );
    assert!(!error.contains("untagged enum"), "{error}");

    assert_eq!(
        s.json(&["grant", "show", &grant])["calls_used"],
        0,
        "nothing was paid"
    );
    lines[3] = call(3, "[[0,2]]");
    let metered = s.json(
        &meter(&write_lines(&s, "fixed.jsonl", &lines))
            .each_ref()
            .map(String::as_str),
    );
    assert_eq!(metered["calls_used"], 5);
}

/// A batch the cluster refuses (here: past the grant's call limit) is set
/// aside, named by its lines, with nothing paid; the corrected log then goes
/// through without a file deleted by hand.
#[test]
fn a_batch_the_cluster_refuses_is_set_aside_and_the_corrected_log_goes_through() {
    let s = Session::new();
    let mint = s.bootstrap();
    let model = s.model(&mint, "limited", &[]);
    s.json(&proposal(&model, "dataset", "ar://d"));
    s.json(&["contribution", "accept", &model, "0", "--shares", "1"]);
    s.licence(&model, &["--call-limit", "150"]);
    let grant = s.acquire(&model, &[]);
    let batches = s.path("batches");
    let lines: Vec<String> = (0..200).map(|n| call(n, "[[0,1]]")).collect();
    let input = write_lines(&s, "calls.jsonl", &lines);
    let run = |input: &std::path::Path| {
        [
            "meter",
            "--grant",
            &grant,
            "--input",
            text(input),
            "--batch-calls",
            "100",
            "--batches",
            text(&batches),
        ]
        .map(String::from)
    };
    let error = s.fails(&run(&input).each_ref().map(String::as_str));
    assert!(error.contains("GrantExhausted"), "{error}");
    assert!(
        error.contains("the cluster refused the batch of lines 101 to 200 (batch #1"),
        "{error}"
    );
    assert!(error.contains("nothing was paid"), "{error}");
    assert!(batches.join("batch-00000001.refused.json").exists());
    assert!(!batches.join("batch-00000001.json").exists());
    assert_eq!(s.json(&["grant", "show", &grant])["calls_used"], 100);

    // The log cut to what the grant allows: the first 100 calls were
    // recorded, the next 50 go now, nothing twice.
    let corrected = write_lines(&s, "calls.jsonl", &lines[..150]);
    let metered = s.json(&run(&corrected).each_ref().map(String::as_str));
    assert_eq!(metered["batches_sent"], 1);
    assert_eq!(metered["calls_used"], 150);
    assert_eq!(s.json(&["grant", "show", &grant])["next_seq"], 2);
}

/// `claim --all` and `settle --all` print one JSON document whatever they
/// did, and so does `--sign-only` over several transactions.
#[test]
fn commands_of_several_transactions_print_one_json_document() {
    let s = Session::new();
    let mint = s.bootstrap();
    let base = s.model(&mint, "base", &[]);
    for uri in ["ar://a", "ar://b"] {
        s.json(&proposal(&base, "dataset", uri));
    }
    s.json(&["contribution", "accept", &base, "0", "--shares", "1"]);
    s.json(&["contribution", "accept", &base, "1", "--shares", "1"]);
    s.licence(&base, &[]);
    let parent_grant = s.acquire(&base, &[]);
    let child = s.model(
        &mint,
        "child",
        &["--parent", &format!("{base}:{parent_grant}")],
    );
    s.licence(&child, &[]);
    let grant = s.acquire(&child, &[]);
    let calls: Vec<String> = (0..20).map(|n| call(n, "[]")).collect();
    let calls = write_lines(&s, "calls.jsonl", &calls);
    s.json(&["meter", "--grant", &grant, "--input", text(&calls)]);
    // Every `s.json` parses standard output as exactly one JSON document.
    let settled = s.json(&["settle", &child, "--all"]);
    assert_eq!(settled.as_array().unwrap().len(), 1, "{settled}");
    assert!(settled[0]["amount"].as_u64().unwrap() > 0, "{settled}");
    let claimed = s.json(&["claim", "--all"]);
    assert_eq!(claimed["claims"].as_array().unwrap().len(), 2, "{claimed}");

    // Two more payments to claim, signed for later as several transactions.
    s.json(&[
        "grant",
        "renew",
        &parent_grant,
        "--max-fee",
        FEE,
        "--max-price",
        PRICE,
    ]);
    match s.cluster {
        Cluster::Rpc { .. } => {
            let signed = s.json(&["--sign-only", "claim", "--all"]);
            assert_eq!(
                signed["transactions"].as_array().unwrap().len(),
                2,
                "{signed}"
            );
            for transaction in signed["transactions"].as_array().unwrap() {
                assert!(transaction["absent"].as_array().unwrap().is_empty());
            }
        }
        // One durable nonce signs one transaction (the first to land
        // advances it): a command needing more says so before signing.
        Cluster::Embedded => {
            let nonce = s.json(&["create-nonce"])["nonce"]
                .as_str()
                .unwrap()
                .to_string();
            let error = s.fails(&["--sign-only", "--nonce", &nonce, "claim", "--all"]);
            assert!(
                error.contains("a durable nonce signs one transaction"),
                "{error}"
            );
        }
    }
}

/// What commands print reads as what it is: events in tokens, dates, and
/// what `attribute` wrote.
#[test]
fn outputs_are_in_tokens_dates_and_sentences() {
    let s = Session::embedded();
    let (model, grant) = s.model_with_grant();
    let shown = s.json(&["grant", "show", &grant]);
    let granted = shown["granted_at_utc"].as_str().unwrap();
    assert!(granted.ends_with('Z') && granted.len() == 20, "{granted}");
    let human = s.human(&["grant", "show", &grant]);
    assert!(human.contains(&format!("granted on {granted}")), "{human}");
    assert!(!human.contains("(unix)"), "{human}");

    // A transaction signed under a nonce and submitted: its events in tokens.
    let nonce = s.json(&["create-nonce"])["nonce"]
        .as_str()
        .unwrap()
        .to_string();
    let signed = s.json(&["--sign-only", "--nonce", &nonce, "claim", &model, "0"]);
    let submitted = s.json(&["submit", signed["transaction"].as_str().unwrap()]);
    let claimed = submitted["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|event| event["name"] == "RoyaltyClaimed")
        .unwrap_or_else(|| panic!("{submitted}"));
    assert_eq!(claimed["amount"], 975);
    assert_eq!(claimed["amount_ui"], "0.000975");
    let signed = s.human(&["--sign-only", "--nonce", &nonce, "claim", &model, "0"]);
    let transaction = signed
        .lines()
        .skip_while(|line| !line.starts_with("Transaction (base64"))
        .nth(1)
        .unwrap()
        .trim()
        .to_string();
    let human = s.human(&["submit", &transaction]);
    let line = human
        .lines()
        .find(|line| line.trim_start().starts_with("RoyaltyClaimed ("))
        .unwrap_or_else(|| panic!("{human}"));
    assert!(line.contains(&format!("model {model}")), "{line}");
    assert!(line.ends_with(": 0.000000 tokens"), "{line}");
    assert!(!human.contains("PaymentRecord"), "no debug text: {human}");

    // `attribute --attributed` says what it wrote.
    let corpus = s.path("corpus.txt");
    std::fs::write(
        &corpus,
        "the quick brown fox jumps over the lazy dog ".repeat(50),
    )
    .unwrap();
    let index = s.path("index");
    s.json(&[
        "attribute",
        "index",
        "--contribution",
        &format!("0={}", text(&corpus)),
        "--out",
        text(&index),
    ]);
    let outputs = write_lines(
        &s,
        "outputs.jsonl",
        &[r#"{"request_id":"a","output":"nothing copied here at all"}"#.to_string()],
    );
    let attributed = s.path("attributed.jsonl");
    let human = s.human(&[
        "attribute",
        "--index",
        text(&index),
        "--input",
        text(&outputs),
        "--attributed",
        text(&attributed),
    ]);
    assert!(
        human.contains(&format!(
            "Wrote 1 attributed calls to {}",
            attributed.display()
        )),
        "{human}"
    );
}

/// Messages that named nothing now name the input.
#[test]
fn failures_name_what_was_wrong() {
    let s = Session::embedded();
    let mint = s.bootstrap();
    let (other, other_wallet) = s.keypair("not-the-mint-authority");
    s.json(&["airdrop", "1", "--to", &other_wallet]);
    let error = s.fails(&["--keypair", text(&other), "mint-to", &mint, "5"]);
    assert!(
        error.contains("the token program refused: Owner does not match (OwnerMismatch"),
        "{error}"
    );
    assert!(error.contains("not the mint's authority"), "{error}");
    let error = s.fails(&[
        "grant",
        "acquire",
        &mint,
        "1",
        "--max-fee",
        "-5",
        "--max-price",
        "1",
    ]);
    assert!(error.contains("\"-5\" is negative"), "{error}");
    assert!(!error.contains("tip: to pass"), "{error}");

    // The embedded chain keeps no blockhash between commands: offline
    // signing there needs a nonce, said at once.
    let error = s.fails(&["--sign-only", "claim", "--all"]);
    assert!(error.contains("must use a durable nonce"), "{error}");
    let parsed: Value = serde_json::from_slice(
        &s.command(&["--sign-only", "claim", "--all"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(parsed["error"]["message"]
        .as_str()
        .unwrap()
        .contains("create-nonce"));
}
