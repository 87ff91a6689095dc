//! The real `model-ledger` binary through whole sessions: every command a
//! host, a contributor and a wallet use, the crash/resume of `meter`, bad
//! JSONL, and offline signing with a durable nonce and a separate fee payer.
//!
//! By default each session runs on its own embedded ledger. With
//! `MODEL_LEDGER_TEST_URL` (a JSON-RPC endpoint, e.g. a `solana-test-validator`
//! that `.ci/run` starts with the program deployed) the same sessions run
//! against that cluster over RPC, each with a wallet of its own funded by the
//! cluster's faucet; `MODEL_LEDGER_TEST_DEPLOYER` then names the keypair file
//! of the program's upgrade authority, which initialises the shared config
//! (its treasury is the deployer's wallet). Sessions about the embedded
//! ledger itself (a corrupt ledger file, the demo, the bench) always run
//! embedded.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::*;
use serde_json::Value;
use solana_sdk::{signature::Keypair, signer::Signer};

#[test]
fn a_whole_session_from_mint_to_claim() {
    let s = Session::new();
    let mint = s.bootstrap();
    let model = s.model(&mint, "base-7b", &[]);
    let proposed = s.json(&proposal(&model, "dataset", "ar://corpus"));
    assert_eq!(proposed["index"], 0);
    s.json(&["contribution", "accept", &model, "0", "--shares", "100"]);
    s.licence(&model, &[]);
    let toml = s.path("licence.toml");
    std::fs::write(
        &toml,
        format!("price_per_call = \"0.00002\"\ncommercial = true\nterms_uri = \"https://terms.example/v2\"\nterms_hash = \"{HASH}\"\n"),
    )
    .unwrap();
    s.json(&["license", "publish", &model, "--terms-file", text(&toml)]);
    assert_eq!(
        s.json(&["license", "show", &model, "2"])["price_per_call"],
        20
    );
    let licence = s.json(&["license", "show", &model, "1"]);
    assert_eq!(licence["price_per_call"], 10);
    assert!(licence["summary"]
        .as_str()
        .unwrap()
        .contains("may use commercially"));

    let grant = s.acquire(&model, &[]);
    let calls = s.write_calls("calls.jsonl", 250);
    let batches = s.path("batches");
    let metered = s.json(&[
        "meter",
        "--grant",
        &grant,
        "--input",
        text(&calls),
        "--batch-calls",
        "100",
        "--batches",
        text(&batches),
    ]);
    assert_eq!(
        (metered["calls_used"].as_u64(), metered["next_seq"].as_u64()),
        (Some(250), Some(3))
    );

    let proof = s.json(&[
        "prove",
        "--batch",
        text(&batches.join("batch-00000001.json")),
        "--call",
        "5",
    ]);
    assert_eq!(proof["verified"], true);
    assert_eq!(proof["batch_landed"], true);
    assert_eq!(proof["root_matches_event"], true);

    let shown = s.json(&["model", "show", &model]);
    assert_eq!(shown["contributions"][0]["status"], "Accepted");
    let claimable = shown["contributions"][0]["claimable"].as_u64().unwrap();
    assert!(claimable > 0);
    let balance_before = s.rpc_token_balance(&mint);
    let claimed = s.json(&["claim", &model, "0"]);
    assert_eq!(claimed["total"].as_u64(), Some(claimable));
    if let (Some(before), Some(after)) = (balance_before, s.rpc_token_balance(&mint)) {
        assert_eq!(after, before + claimable, "the cluster shows the claim");
    }
    // The same claim at once again: a transaction of its own that moves nothing.
    let again = s.json(&["claim", &model, "0"]);
    assert_eq!(again["total"], 0);
    assert_ne!(
        again["claims"][0]["signature"],
        claimed["claims"][0]["signature"]
    );
    let earnings = s.json(&["earnings"]);
    assert_eq!(earnings["totals"][0]["claimed"].as_u64(), Some(claimable));
    assert_eq!(earnings["totals"][0]["claimable"], 0);
    let listed = s.json(&["model", "list"]);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|row| row["model"].as_str() == Some(model.as_str())),
        "{listed}"
    );

    // A derived model under a grant on the base licence, then settlement.
    let (child_keypair, child_wallet) = s.keypair("child");
    s.json(&["airdrop", "5", "--to", &child_wallet]);
    s.json(&["mint-to", &mint, "0.1", "--to", &child_wallet]);
    let child_grant = s.acquire(&model, &["--keypair", text(&child_keypair)]);
    let parent = format!("{model}:{child_grant}");
    let child = s.model(
        &mint,
        "chat-7b",
        &["--keypair", text(&child_keypair), "--parent", &parent],
    );
    let lineage = s.json(&["model", "show", &child])["lineage"].clone();
    assert_eq!(lineage[0]["parent"].as_str(), Some(model.as_str()));
    assert_eq!(lineage[0]["royalty_bps"], 1000);
    let settled = s.json(&["settle", &child, "--all"]);
    assert_eq!(settled[0]["parent"].as_str(), Some(model.as_str()));
    let again = s.json(&["settle", &child, "--all"]);
    assert_eq!(again[0]["amount"], 0);
    assert_ne!(again[0]["signature"], settled[0]["signature"]);

    // Anyone sweeps the protocol fees a model booked to the treasury, once.
    let owed = s.json(&["model", "show", &model])["protocol_fees_owed"].clone();
    assert!(owed.as_u64().unwrap() > 0);
    assert_eq!(s.json(&["collect-fees", &model])["amount"], owed);
    assert_eq!(s.json(&["model", "show", &model])["protocol_fees_owed"], 0);
    assert_eq!(s.json(&["collect-fees", &model])["amount"], 0);
    // Nothing reached the vault outside the protocol: nothing to book.
    assert_eq!(s.json(&["book-surplus", &model])["amount"], 0);

    // Authority hand-over in two steps.
    let (next_keypair, next_wallet) = s.keypair("next");
    s.json(&["airdrop", "1", "--to", &next_wallet]);
    s.json(&["model", "transfer-authority", &model, "--to", &next_wallet]);
    s.json(&[
        "--keypair",
        text(&next_keypair),
        "model",
        "accept-authority",
        &model,
    ]);
    assert_eq!(
        s.json(&["model", "show", &model])["authority"].as_str(),
        Some(next_wallet.as_str())
    );
}

#[test]
fn program_errors_are_named_and_exit_non_zero() {
    let s = Session::new();
    let mint = s.bootstrap();
    let model = s.model(&mint, "base-7b", &[]);
    let error = s.fails(&["contribution", "accept", &model, "0", "--shares", "1"]);
    assert!(error.contains("has no contribution #0"), "{error}");
    s.json(&proposal(&model, "code", "ar://x"));
    let error = s.fails(&["contribution", "accept", &model, "0", "--shares", "0"]);
    assert!(error.contains("ZeroShares"), "{error}");
    let error = s.fails(&[
        "license",
        "publish",
        &model,
        "--price-per-call",
        "0.000005",
        "--terms-uri",
        "u",
        "--terms-hash",
        HASH,
    ]);
    assert!(error.contains("NonCommercialLicenseWithPrice"), "{error}");
    let (poor, _) = s.keypair("poor");
    let error = s.fails(
        &[
            &["--keypair", text(&poor)][..],
            &proposal(&model, "code", "ar://y"),
        ]
        .concat(),
    );
    assert!(error.contains("airdrop"), "{error}");
    let error = s.fails(&["grant", "show", &model]);
    assert!(
        error.contains("could not be decoded") || error.contains("does not exist"),
        "{error}"
    );
    let error = s.fails(&["license", "show", &model, "9"]);
    assert!(error.contains("no licence version 9"), "{error}");
    let missing = s.fails(&["meter", "--grant", &model, "--input", "/no/such/file.jsonl"]);
    assert!(
        missing.contains("cannot open /no/such/file.jsonl"),
        "{missing}"
    );
}

/// `meter` over `total` calls in batches of 100, after a first run over
/// the first 100 whose progress file the "crash" removed: the grant, the
/// meter's arguments and its batches directory.
fn metered_first_hundred_then_crashed(s: &Session, total: usize) -> (String, Vec<String>, PathBuf) {
    let grant = s.grant_on_one_contribution();
    let calls = s.write_calls("calls.jsonl", total);
    let batches = s.path("batches");
    let args = |input: &Path| -> Vec<String> {
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
        .to_vec()
    };
    let first_hundred = s.path("first-100.jsonl");
    let log = std::fs::read_to_string(&calls).unwrap();
    std::fs::write(
        &first_hundred,
        log.lines().take(100).collect::<Vec<_>>().join("\n"),
    )
    .unwrap();
    let first_run = args(&first_hundred);
    s.json(&first_run.iter().map(String::as_str).collect::<Vec<_>>());
    std::fs::remove_file(batches.join("progress.json")).unwrap();
    let all = args(&calls);
    (grant, all, batches)
}

#[test]
fn meter_resumes_after_a_crash_without_paying_twice() {
    let s = Session::new();
    // A run that stopped after its first batch landed and the ledger was
    // saved, before the meter recorded its own progress: the batch is
    // journaled without a signature and no progress file exists.
    let (grant, args, batches) = metered_first_hundred_then_crashed(&s, 300);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let journal = batches.join("batch-00000000.json");
    let mut batch: Value = serde_json::from_slice(&std::fs::read(&journal).unwrap()).unwrap();
    batch["signature"] = Value::Null;
    std::fs::write(&journal, serde_json::to_vec(&batch).unwrap()).unwrap();
    let grant_after_crash = s.json(&["grant", "show", &grant]);
    assert_eq!(grant_after_crash["calls_used"], 100);

    let resumed = s.json(&args);
    assert_eq!(
        resumed["batches_found_landed"], 1,
        "the landed batch is recognised, not re-sent"
    );
    assert_eq!(resumed["calls_used"], 300);
    assert_eq!(resumed["next_seq"], 3);
    let grant = s.json(&["grant", "show", &grant]);
    assert_eq!(
        grant["total_paid"],
        1000 + 300 * 10,
        "every call paid exactly once"
    );

    let again = s.json(&args);
    assert_eq!(
        again["batches_sent"], 0,
        "re-running a finished log sends nothing"
    );
    assert_eq!(again["calls_used"], 300);
}

/// The other instant a crash can hit: the landed batch's signature is
/// journaled, the run's progress is not. Found by the gateway's kill test
/// on a real validator (13 calls paid for 12): the resumed run cut the same
/// calls into the next batch and paid them again.
#[test]
fn meter_resumes_without_paying_twice_after_a_crash_between_the_signature_and_the_progress() {
    let s = Session::new();
    let (_, args, batches) = metered_first_hundred_then_crashed(&s, 200);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let journal = batches.join("batch-00000000.json");
    let batch: Value = serde_json::from_slice(&std::fs::read(&journal).unwrap()).unwrap();
    assert!(
        batch["signature"].is_string(),
        "the signature stays journaled"
    );

    let resumed = s.json(&args);
    assert_eq!(resumed["batches_found_landed"], 1, "{resumed}");
    assert_eq!(resumed["batches_sent"], 1, "{resumed}");
    assert_eq!(resumed["calls_used"], 200, "every call paid exactly once");
    assert_eq!(resumed["next_seq"], 2);
}

#[test]
fn bad_jsonl_is_refused_with_its_line_number_before_anything_is_paid() {
    let s = Session::new();
    let mint = s.bootstrap();
    let model = s.model(&mint, "base-7b", &[]);
    s.licence(&model, &[]);
    let grant = s.acquire(&model, &[]);
    let path = s.path("bad.jsonl");
    std::fs::write(
        &path,
        "{\"request_id\":\"a\",\"output\":\"b\"}\n{\"request_id\":\"c\",\"output\":\"d\"}\n{oops\n",
    )
    .unwrap();
    let error = s.fails(&["meter", "--grant", &grant, "--input", text(&path)]);
    assert!(error.contains("line 3"), "{error}");
    assert_eq!(s.json(&["grant", "show", &grant])["calls_used"], 0);
}

#[test]
fn a_corrupt_ledger_is_reported_not_loaded() {
    let s = Session::embedded();
    s.json(&["airdrop", "1"]);
    let state = s.path("ledger").join("state.bin");
    let mut bytes = std::fs::read(&state).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&state, &bytes).unwrap();
    let error = s.fails(&["model", "list"]);
    assert!(
        error.contains("corrupt") && error.contains("checksum"),
        "{error}"
    );
    std::fs::write(&state, b"not a ledger").unwrap();
    let error = s.fails(&["model", "list"]);
    assert!(error.contains("corrupt"), "{error}");
    assert!(!error.contains("panicked"), "{error}");
}

#[test]
fn offline_signing_with_a_nonce_and_a_separate_fee_payer() {
    let s = Session::new();
    let mint = s.bootstrap();
    let model = s.model(&mint, "base-7b", &[]);
    let nonce = s.json(&["create-nonce"])["nonce"]
        .as_str()
        .unwrap()
        .to_string();
    let (payer, payer_wallet) = s.keypair("payer");
    s.json(&["airdrop", "1", "--to", &payer_wallet]);

    // Sign offline (no transaction is sent), then submit later from another process.
    let signed = s.json(
        &[
            &[
                "--sign-only",
                "--nonce",
                &nonce,
                "--fee-payer",
                text(&payer),
            ][..],
            &proposal(&model, "evaluation", "ar://eval"),
        ]
        .concat(),
    );
    assert!(signed["absent"].as_array().unwrap().is_empty(), "{signed}");
    assert_eq!(
        signed["signers"].as_array().unwrap().len(),
        2,
        "wallet and fee payer"
    );
    assert_eq!(
        s.json(&["model", "show", &model])["contributions"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let transaction = signed["transaction"].as_str().unwrap();
    s.json(&["submit", transaction]);
    let shown = s.json(&["model", "show", &model]);
    assert_eq!(shown["contributions"][0]["kind"], "Evaluation");
    // The nonce advanced: the same signed transaction cannot land twice.
    s.fails(&["submit", transaction]);
}

#[test]
fn the_demo_runs_end_to_end_and_conserves_every_token() {
    let s = Session::embedded();
    let report = s.json(&["demo", "--calls", "3000", "--batch-calls", "500"]);
    assert_eq!(report["conserved"], true);
    assert_eq!(report["figures"]["calls"], 3000);
    assert!(report["contributors"].as_array().unwrap().len() >= 50);
    assert_eq!(report["lineage"].as_array().unwrap().len(), 3);
    let totals = &report["totals"];
    assert_eq!(
        totals["paid_in"].as_u64().unwrap(),
        totals["paid_out"].as_u64().unwrap() + totals["left_in_vaults"].as_u64().unwrap()
    );
    assert!(report["contributors"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["claimed"].as_u64().unwrap() > 0));
}

#[test]
fn bench_prints_sizes_within_the_transaction_limit() {
    let s = Session::embedded();
    let report = s.json(&["bench", "--rounds", "2", "--large-contributions", "30"]);
    let rows = report["record_inference"].as_array().unwrap();
    let hundred = rows
        .iter()
        .find(|row| row["attribution_entries"] == 100)
        .unwrap();
    assert!(hundred["transaction_bytes"].as_u64().unwrap() <= 1_232);
    assert!(
        rows.iter().all(|row| row["accounts"] == 11),
        "same accounts whatever the attribution"
    );
    assert!(report["rent_per_contribution"]["total"].as_u64().unwrap() > 0);
    // Every instruction of the program has its row.
    let measured: Vec<&str> = report["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["instruction"].as_str().unwrap())
        .collect();
    for instruction in [
        "initialize_config",
        "update_config",
        "register_model (no parents)",
        "register_model (one parent)",
        "transfer_model_authority",
        "accept_model_authority",
        "propose_contribution",
        "accept_contribution",
        "reject_contribution",
        "revoke_contribution",
        "set_payout_wallet",
        "publish_license",
        "retire_license",
        "extend_royalty_book (16 entries)",
        "acquire_grant",
        "set_meter",
        "settle_upstream",
        "collect_protocol_fees",
        "book_surplus",
        "accept_admin",
        "renew_grant",
        "transfer_grant",
        "close_contribution",
        "claim",
        "claim_unallocated",
    ] {
        assert!(
            measured.contains(&instruction),
            "{instruction} not measured"
        );
    }
    let sizes = report["record_inference_by_model_size"].as_array().unwrap();
    let units = |contributions: &str| -> Vec<&serde_json::Value> {
        sizes
            .iter()
            .filter(|row| row["model"] == contributions)
            .map(|row| &row["compute_units_median"])
            .collect()
    };
    assert_eq!(
        units("10 contributions"),
        units("30 contributions"),
        "a batch costs the same on a larger model"
    );
}

#[test]
fn authorities_contributors_and_hosts_use_the_remaining_commands() {
    let s = Session::new();
    let mint = s.bootstrap();
    let model = s.model(&mint, "base-7b", &[]);
    for uri in ["ar://kept", "ar://refused", "ar://withdrawn"] {
        s.json(&proposal(&model, "dataset", uri));
    }
    s.json(&["contribution", "accept", &model, "0", "--shares", "60"]);
    s.json(&["contribution", "reject", &model, "1"]);
    s.json(&["contribution", "accept", &model, "2", "--shares", "40"]);
    s.licence(&model, &[]);
    s.licence(&model, &[]);
    let retired = s.json(&["license", "retire", &model, "2"]);
    assert_eq!(retired["version"], 2);
    assert_eq!(s.json(&["license", "show", &model, "2"])["retired"], true);
    let error = s.fails(&[
        "grant",
        "acquire",
        &model,
        "2",
        "--max-fee",
        FEE,
        "--max-price",
        PRICE,
    ]);
    assert!(error.contains("LicenseRetired"), "{error}");

    // A host names a meter key, then takes it back.
    let grant = s.acquire(&model, &[]);
    let (_, meter) = s.keypair("meter");
    s.json(&["grant", "set-meter", &grant, "--meter", &meter]);
    assert_eq!(
        s.json(&["grant", "show", &grant])["meter"].as_str(),
        Some(meter.as_str())
    );
    s.json(&["grant", "set-meter", &grant]);
    assert_eq!(s.json(&["grant", "show", &grant])["meter"], Value::Null);
    let calls = s.write_calls("calls.jsonl", 100);
    s.json(&["meter", "--grant", &grant, "--input", text(&calls)]);
    // A new term on the same version restarts the allowance; the licence does
    // not allow handing the grant on.
    assert_eq!(s.json(&["grant", "show", &grant])["calls_used"], 100);
    s.json(&[
        "grant",
        "renew",
        &grant,
        "--max-fee",
        FEE,
        "--max-price",
        PRICE,
    ]);
    assert_eq!(s.json(&["grant", "show", &grant])["calls_used"], 0);
    let error = s.fails(&["grant", "transfer", &grant, "--to", &meter]);
    assert!(error.contains("GrantNotTransferable"), "{error}");

    // Revoked: no new earnings, what it earned stays claimable.
    s.json(&["contribution", "revoke", &model, "2"]);
    let shown = s.json(&["model", "show", &model]);
    let statuses: Vec<&str> = shown["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["Accepted", "Rejected", "Revoked"]);
    let earned = shown["contributions"][2]["claimable"].as_u64().unwrap();
    assert!(earned > 0, "the revoked contribution keeps its earnings");

    // The contributor sends future payouts elsewhere; the new wallet claims
    // everything of every contribution it is paid for at once.
    let (payee_keypair, payee) = s.keypair("payee");
    s.json(&["airdrop", "1", "--to", &payee]);
    s.json(&["contribution", "set-payout", &model, "2", &payee]);
    let claimed = s.json(&["--keypair", text(&payee_keypair), "claim", "--all"]);
    assert_eq!(claimed["total"].as_u64(), Some(earned));
    assert_eq!(claimed["claims"].as_array().unwrap().len(), 1);
    let earnings = s.json(&["--keypair", text(&payee_keypair), "earnings"]);
    assert_eq!(earnings["totals"][0]["claimed"].as_u64(), Some(earned));
    assert_eq!(earnings["totals"][0]["claimable"], 0);

    // The rejected proposal's record is closed and its rent returned; the
    // model keeps the rest.
    s.json(&["contribution", "close", &model, "1"]);
    let statuses: Vec<String> = s.json(&["model", "show", &model])["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(statuses, ["Accepted", "Revoked"]);

    // A mint whose freeze authority could stop claims is accepted and named.
    let (_, freezer) = s.keypair("freezer");
    let frozen_mint = s.json(&["create-mint", "--freeze-authority", &freezer])["mint"]
        .as_str()
        .unwrap()
        .to_string();
    let registered = s.json(&[
        "model",
        "register",
        "--id",
        "stable-paid",
        "--name",
        "stable-paid",
        "--content-hash",
        HASH,
        "--mint",
        &frozen_mint,
    ]);
    assert_eq!(
        registered["freeze_authority"].as_str(),
        Some(freezer.as_str())
    );
}

/// Runs the binary and returns its exit code and standard output.
fn status_and_stdout(command: &mut Command) -> (Option<i32>, String) {
    let output = command.output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).to_string(),
    )
}

#[test]
fn amounts_are_typed_and_shown_in_tokens_and_kept_exact_in_json() {
    let s = Session::new();
    let mint = s.bootstrap();
    let model = s.model(&mint, "base-7b", &[]);
    s.licence(&model, &[]);
    let licence = s.json(&["license", "show", &model, "1"]);
    assert_eq!(licence["price_per_call"], 10, "base units for scripts");
    assert_eq!(licence["price_per_call_ui"], "0.000010");
    assert_eq!(licence["upfront_fee_ui"], "0.001000");
    assert!(
        licence["summary"]
            .as_str()
            .unwrap()
            .contains("0.000010 tokens per call + 0.001000 tokens up front"),
        "{licence}"
    );

    // Finer than the mint's 6 decimals: refused naming the flag, nothing published.
    let error = s.fails(&[
        "license",
        "publish",
        &model,
        "--price-per-call",
        "0.0000001",
        "--commercial",
        "--terms-uri",
        "https://terms.example/v2",
    ]);
    assert!(
        error.contains("--price-per-call") && error.contains("6 decimals"),
        "{error}"
    );
    let error = s.fails(&["license", "publish", &model, "--upfront-fee", "1,5"]);
    assert!(error.contains("not a token amount"), "{error}");
    assert!(s
        .fails(&["license", "show", &model, "2"])
        .contains("no licence version 2"));

    let grant = s.acquire(&model, &[]);
    let shown = s.json(&["grant", "show", &grant]);
    assert_eq!(shown["total_paid"], 1000);
    assert_eq!(shown["total_paid_ui"], "0.001000");
    let human = s.human(&["grant", "show", &grant]);
    assert!(human.contains("0.000010 tokens per call"), "{human}");
    assert!(human.contains("paid 0.001000 tokens"), "{human}");
}

#[test]
fn a_licence_takes_its_terms_document_a_hash_or_neither() {
    let s = Session::new();
    let mint = s.bootstrap();
    let model = s.model(&mint, "base-7b", &[]);
    let publish = |extra: &[&str]| {
        let mut args = vec![
            "license",
            "publish",
            &model,
            "--commercial",
            "--price-per-call",
            PRICE,
            "--terms-uri",
            "https://terms.example/v1",
        ];
        args.extend_from_slice(extra);
        s.json(&args)
    };

    let document = s.path("terms.md");
    std::fs::write(&document, "# Terms\nUse it well.\n").unwrap();
    let from_document = publish(&["--terms-document", text(&document)]);
    assert_eq!(
        from_document["terms_hash"],
        sha256_hex(b"# Terms\nUse it well.\n")
    );
    assert_eq!(
        from_document["terms_hash_source"],
        "SHA-256 of the terms document"
    );

    let given = publish(&["--terms-hash", HASH]);
    assert_eq!(given["terms_hash"], HASH);
    assert_eq!(given["terms_hash_source"], "as given");

    // Neither: the hash of the terms themselves, the same for the same terms.
    let neither = publish(&[]);
    let again = publish(&[]);
    assert!(neither["terms_hash_source"]
        .as_str()
        .unwrap()
        .contains("canonical JSON"));
    assert_eq!(neither["terms_hash"], again["terms_hash"]);
    assert_ne!(neither["terms_hash"], HASH);
    let shown = s.json(&["license", "show", &model, "3"]);
    assert_eq!(shown["terms_hash"], neither["terms_hash"]);

    let error = s.fails(&["license", "publish", &model, "--commercial"]);
    assert!(error.contains("--terms-uri is required"), "{error}");
    let error = s.fails(&[
        "license",
        "publish",
        &model,
        "--terms-uri",
        "u",
        "--terms-document",
        "/no/such/terms.md",
    ]);
    assert!(error.contains("/no/such/terms.md"), "{error}");
    assert!(s
        .fails(&["license", "show", &model, "5"])
        .contains("no licence version 5"));
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[test]
fn failures_name_the_input_and_come_as_json_objects_for_scripts() {
    let s = Session::new();
    let mint = s.bootstrap();
    let model = s.model(&mint, "base-7b", &[]);

    // A licence that does not exist, checked before anything is signed.
    let error = s.fails(&[
        "grant",
        "acquire",
        &model,
        "1",
        "--max-fee",
        FEE,
        "--max-price",
        PRICE,
    ]);
    assert!(
        error.contains(&format!("model {model} has no licence version 1")),
        "{error}"
    );
    let error = s.fails(&["contribution", "accept", &model, "5", "--shares", "1"]);
    assert!(
        error.contains(&format!("model {model} has no contribution #5"))
            && error.contains("AccountNotFound"),
        "{error}"
    );
    // A grant that does not exist, as the program's account check reports
    // it: in words, with the framework's name and code (in the VM the
    // program's log also names the account: "the grant does not exist").
    let (_, nowhere) = s.keypair("nowhere");
    let error = s.fails(&["grant", "set-meter", &nowhere, "--meter", &nowhere]);
    assert!(
        error.contains("does not exist") && error.contains("(AccountNotInitialized, code 3012)"),
        "{error}"
    );
    assert!(!error.contains("0xbc4"), "{error}");

    // --output json: one error object on standard output, a non-zero exit.
    s.json(&proposal(&model, "dataset", "ar://d"));
    let (code, stdout) = status_and_stdout(&mut s.command(&[
        "contribution",
        "accept",
        &model,
        "0",
        "--shares",
        "0",
    ]));
    assert_eq!(code, Some(1));
    let error: Value = serde_json::from_str(&stdout).expect("a JSON error object");
    assert_eq!(error["error"]["name"], "ZeroShares");
    assert_eq!(
        error["error"]["code"],
        u32::from(model_ledger::errors::LedgerError::ZeroShares)
    );
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("ZeroShares"));
    let (code, stdout) = status_and_stdout(&mut s.command(&["grant", "set-meter", &nowhere]));
    assert_eq!(code, Some(1));
    let error: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(error["error"]["name"], "AccountNotInitialized");
    assert_eq!(error["error"]["code"], 3012);
    // A command line that does not parse: the same shape, exit code 2.
    let (code, stdout) = status_and_stdout(&mut s.command(&["grant", "acquire", &model]));
    assert_eq!(code, Some(2));
    let error: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(error["error"]["name"], "UsageError");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--max-fee"),
        "{error}"
    );
}

#[test]
fn completions_are_printed_for_each_shell() {
    let s = Session::embedded();
    for shell in ["bash", "zsh", "fish"] {
        let (code, script) = status_and_stdout(&mut s.command(&["completions", shell]));
        assert_eq!(code, Some(0), "{shell}");
        assert!(
            script.contains("model-ledger") && script.contains("collect-fees"),
            "{shell}: {script}"
        );
    }
    assert!(s.fails(&["completions", "tcsh"]).contains("tcsh"));
}

#[test]
fn meter_refuses_another_input_in_the_same_batches_directory() {
    let s = Session::new();
    let grant = s.grant_on_one_contribution();
    let batches = s.path("batches");
    let meter = |input: &Path| {
        vec![
            "meter".to_string(),
            "--grant".into(),
            grant.clone(),
            "--input".into(),
            text(input).into(),
            "--batches".into(),
            text(&batches).into(),
        ]
    };
    let first = s.write_calls("first.jsonl", 50);
    let args = meter(&first);
    s.json(&args.iter().map(String::as_str).collect::<Vec<_>>());

    // Another log at least as long: its first 50 calls differ, so nothing
    // of it may be skipped as "already sent".
    let other = s.path("other.jsonl");
    let lines: Vec<String> = (0..60)
        .map(|n| format!(r#"{{"request_id":"other-{n}","output":"o-{n}","attribution":[[0,1]]}}"#))
        .collect();
    std::fs::write(&other, lines.join("\n")).unwrap();
    let args = meter(&other);
    let error = s.fails(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        error.contains("different input") && error.contains("--batches"),
        "{error}"
    );
    assert_eq!(s.json(&["grant", "show", &grant])["calls_used"], 50);

    // The same log grown by 30 calls resumes where it stopped.
    let grown = s.write_calls("first.jsonl", 80);
    let args = meter(&grown);
    let resumed = s.json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(resumed["calls_used"], 80);
}

#[test]
fn outputs_are_attributed_by_the_engine_then_metered_as_they_are() {
    let s = Session::new();
    let mint = s.bootstrap();
    let model = s.model(&mint, "base-7b", &[]);
    for uri in ["ar://a", "ar://b"] {
        s.json(&proposal(&model, "dataset", uri));
    }
    s.json(&["contribution", "accept", &model, "0", "--shares", "1"]);
    s.json(&["contribution", "accept", &model, "1", "--shares", "1"]);
    s.licence(&model, &[]);
    let grant = s.acquire(&model, &[]);

    // Two datasets; the outputs quote the second one only.
    let vocabulary = [
        "gradient", "corpus", "kernel", "tensor", "ledger", "glacier", "falcon", "lantern",
        "quartz", "saffron", "thistle", "willow", "zephyr", "copper", "estuary", "heron",
    ];
    // A linear congruential sequence: no run of words repeats.
    let dataset = |seed: u64| -> Vec<&str> {
        let mut state = seed;
        (0..800)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                vocabulary[((state >> 33) % vocabulary.len() as u64) as usize]
            })
            .collect()
    };
    let (first, second) = (dataset(1), dataset(2));
    std::fs::write(s.path("first.txt"), first.join(" ")).unwrap();
    std::fs::write(s.path("second.txt"), second.join(" ")).unwrap();
    let index = s.path("index");
    let built = s.json(&[
        "attribute",
        "index",
        "--contribution",
        &format!("0={}", text_of(&s.path("first.txt"))),
        "--contribution",
        &format!("1={}", text_of(&s.path("second.txt"))),
        "--out",
        text(&index),
    ]);
    assert_eq!(built["documents"], 2);
    assert_eq!(built["content_hash"].as_str().unwrap().len(), 64);

    let calls: Vec<String> = (0..20)
        .map(|n| {
            let quote = second[100 + n * 10..140 + n * 10].join(" ");
            serde_json::json!({ "request_id": format!("r{n}"), "prompt": "summarise", "output": format!("Sure, here it is: {quote}") })
                .to_string()
        })
        .collect();
    let input = s.path("calls.jsonl");
    std::fs::write(&input, calls.join("\n")).unwrap();
    let attributed = s.path("attributed.jsonl");
    let attribute = |input: &Path, attributed: &Path| -> Vec<String> {
        ["attribute", "--index", text(&index), "--input", text(input)]
            .into_iter()
            .chain(["--attributed", text(attributed), "--explain"])
            .map(String::from)
            .collect()
    };
    let args = attribute(&input, &attributed);
    let ran = s
        .command(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .output()
        .unwrap();
    assert_eq!(ran.status.code(), Some(0));
    // --explain names, for each call, the document its span came from
    // (one JSON object per call under --output json).
    let explained: Vec<Value> = String::from_utf8_lossy(&ran.stderr)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(explained.len(), 20);
    for (n, call) in explained.iter().enumerate() {
        assert_eq!(call["line"], n + 1);
        let span = &call["explanation"]["spans"][0];
        assert_eq!(span["contribution"], 1, "{call}");
        assert!(
            span["document"].as_str().unwrap().ends_with("second.txt"),
            "{call}"
        );
        assert!(span["matched_tokens"].as_u64().unwrap() >= 40, "{call}");
    }
    let lines = std::fs::read_to_string(&attributed).unwrap();
    for line in lines.lines() {
        let call: Value = serde_json::from_str(line).unwrap();
        let attribution = call["attribution"].as_array().unwrap();
        assert_eq!(attribution.len(), 1, "{call}");
        assert_eq!(attribution[0][0], 1, "paid to the quoted dataset: {call}");
        assert!(attribution[0][1].as_u64().unwrap() >= 40, "{call}");
    }
    let metered = s.json(&["meter", "--grant", &grant, "--input", text(&attributed)]);
    assert_eq!(metered["calls_used"], 20);
    let shown = s.json(&["model", "show", &model]);
    let claimable = |n: usize| shown["contributions"][n]["claimable"].as_u64().unwrap();
    assert!(claimable(1) > claimable(0), "{shown}");

    // Bad input: named, nothing written.
    std::fs::write(&input, "{\"request_id\":\"x\"}\n").unwrap();
    let args = attribute(&input, &s.path("none.jsonl"));
    let error = s.fails(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        error.contains("line 1") && error.contains("\"output\""),
        "{error}"
    );
    assert!(!s.path("none.jsonl").exists());
    let tokens_file = std::fs::read_dir(&index)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            path.extension()
                .is_some_and(|extension| extension == "tokens")
        })
        .unwrap();
    std::fs::write(&tokens_file, b"garbage").unwrap();
    let args = attribute(&input, &s.path("none.jsonl"));
    let error = s.fails(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let name = tokens_file.file_name().unwrap().to_string_lossy();
    assert!(error.contains(&*name), "{error}");
}

#[test]
fn the_index_follows_the_chain_serves_the_explorer_and_answers_earnings() {
    let s = Session::new();
    let (model, grant) = s.model_with_grant();
    let calls = s.write_calls("calls.jsonl", 30);
    s.json(&["meter", "--grant", &grant, "--input", text(&calls)]);
    // Before any index: the earnings the chain gives.
    let scanned = s.json(&["earnings"]);
    assert_eq!(scanned["found_through_index"], false);

    let indexed = s.json(&["index"]);
    assert!(indexed["transactions"].as_u64().unwrap() >= 5, "{indexed}");
    assert!(
        indexed["index"]["batches"].as_u64().unwrap() >= 1,
        "{indexed}"
    );
    let verified = s.json(&["index", "verify"]);
    assert_eq!(verified["verified"], true, "{verified}");
    assert!(verified["models"].as_u64().unwrap() >= 1);
    // A second read of the same chain adds nothing.
    if let Cluster::Embedded = s.cluster {
        assert_eq!(s.json(&["index"])["transactions"], 0);
    }
    // With an index, earnings find the wallet's contributions through it;
    // the amounts still come from the chain and are the same.
    let through_index = s.json(&["earnings"]);
    assert_eq!(through_index["found_through_index"], true);
    assert_eq!(through_index["contributions"], scanned["contributions"]);
    assert_eq!(through_index["totals"], scanned["totals"]);
    let listed = s.json(&["model", "list"]);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["model"] == model.as_str() && m["contributions"] == 1),
        "{model} not in {listed}; index: {}",
        s.json(&["index", "status"])
    );

    // The explorer on the index, on a free loopback port.
    let mut server = Stopped(s.spawn(&["serve", "--bind", "127.0.0.1:0", "--follow", "0"]));
    let url = explorer_url(&mut server.0);
    let (status, body) = http_get(&format!("{url}/api/models/{model}"));
    assert_eq!(status, 200, "{body}");
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["model"]["name"], "base-7b");
    assert_eq!(
        page["contributions"]["contributions"][0]["status"], "accepted",
        "{page}"
    );
    let earned = &page["contributions"]["contributions"][0];
    let chain = &scanned["contributions"][0];
    assert_eq!(
        earned["claimable"]["base_units"],
        chain["claimable"].to_string().as_str()
    );
    let (status, html) = http_get(&format!("{url}/models/{model}"));
    assert_eq!(status, 200);
    assert!(html.contains("base-7b") && html.contains("<svg"), "{html}");
    let (status, body) = http_get(&format!("{url}/api/models/not-an-address"));
    assert_eq!(status, 400);
    assert!(
        body.contains("\\\"not-an-address\\\" is not a model address"),
        "{body}"
    );
    let (status, _) = http_get(&format!("{url}/models/{}", Keypair::new().pubkey()));
    assert_eq!(status, 404);
    // A call proven by `prove` checks against the batch's root the index holds;
    // the same call with another output does not; a text that is no proof is named.
    let batch = s
        .path("model-ledger-batches")
        .join(&grant)
        .join("batch-00000000.json");
    // The batch page says how to audit its attribution.
    let (status, html) = http_get(&format!("{url}/batches/{grant}/0"));
    assert_eq!(status, 200);
    assert!(
        html.contains("attribute audit --index &lt;published index&gt;")
            && html.contains("--batch batch-00000000.json"),
        "{html}"
    );
    let proven = s.json(&["prove", "--batch", text(&batch), "--call", "3"]);
    let verify = format!("{url}/api/batches/{grant}/0/verify");
    let (status, body) = http(&verify, "POST", &proven.to_string());
    assert_eq!(status, 200, "{body}");
    let checked: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (checked["in_batch"].clone(), checked["leaf"].clone()),
        (Value::Bool(true), proven["leaf"].clone())
    );
    let mut forged = proven.clone();
    forged["call"]["output_hash"] = Value::String("00".repeat(32));
    let (_, body) = http(&verify, "POST", &forged.to_string());
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["in_batch"],
        false,
        "{body}"
    );
    let (status, body) = http(&verify, "POST", "{\"call\": 1}");
    assert_eq!(status, 400);
    assert!(body.contains("no \\\"call\\\" object"), "{body}");
    drop(server);

    match &s.cluster {
        Cluster::Embedded => {
            // The index belongs to this ledger: another's is refused.
            let other = Session::embedded();
            other.json(&["airdrop", "1"]);
            other.json(&["create-mint"]);
            let database = s.path("ledger").join("index.sqlite");
            let error = other.fails(&["--database", text(&database), "index"]);
            assert!(
                error.contains("IndexOfAnotherChain") && error.contains("--database"),
                "{error}"
            );
            // A damaged journal is named, and a fresh index of it writes nothing.
            let journal = s.path("ledger").join("journal.bin");
            let mut bytes = std::fs::read(&journal).unwrap();
            let last = bytes.len() - 40;
            bytes[last] ^= 0xff;
            std::fs::write(&journal, &bytes).unwrap();
            let fresh = s.path("fresh.sqlite");
            let error = s.fails(&["--database", text(&fresh), "index"]);
            assert!(
                error.contains("journal.bin") && error.contains("damaged"),
                "{error}"
            );
            let error = s.fails(&[
                "index",
                "--transaction",
                "1111111111111111111111111111111111111111111111111111111111111111",
            ]);
            assert!(
                error.contains("--transaction reads an RPC cluster"),
                "{error}"
            );
        }
        Cluster::Rpc { .. } => {
            // A transaction that is not the program's is refused by name.
            let airdrop = s.json(&["airdrop", "0.001"]);
            let signature = airdrop["signature"].as_str().unwrap();
            let error = s.fails(&["index", "--transaction", signature]);
            assert!(
                error.contains(signature) && error.contains("does not invoke the program"),
                "{error}"
            );
        }
    }
}

/// The audit's first finding, replayed: a mint of 255 decimals (SPL Token
/// allows any u8) with a contribution paying a victim's wallet. Every
/// amount is shown (a decimal point 255 places in), `model show` and
/// `earnings --wallet` answer, and the explorer serves the model, the wallet
/// and its status page, again and again.
#[test]
fn a_mint_of_255_decimals_is_shown_everywhere_without_harm() {
    let s = Session::embedded();
    s.bootstrap();
    let odd_mint = s.json(&["create-mint", "--decimals", "255"])["mint"]
        .as_str()
        .unwrap()
        .to_string();
    let model = s.model(&odd_mint, "odd", &[]);
    let (_, victim) = s.keypair("victim");
    s.json(&proposal(&model, "dataset", "ar://odd"));
    s.json(&["contribution", "accept", &model, "0", "--shares", "1"]);
    s.json(&["contribution", "set-payout", &model, "0", &victim]);
    let shown = s.json(&["model", "show", &model]);
    assert_eq!(shown["contributions"][0]["claimable"], 0, "{shown}");
    let claimable_ui = shown["contributions"][0]["claimable_ui"].as_str().unwrap();
    assert!(claimable_ui.starts_with('0'), "{claimable_ui}");
    let earnings = s.json(&["earnings", "--wallet", &victim]);
    assert!(earnings.to_string().contains(&model), "{earnings}");
    s.json(&["index"]);
    let mut server = Stopped(s.spawn(&["serve", "--bind", "127.0.0.1:0", "--follow", "0"]));
    let url = explorer_url(&mut server.0);
    for _ in 0..8 {
        for path in [
            format!("/models/{model}"),
            format!("/wallets/{victim}"),
            "/".to_string(),
            "/api/status".to_string(),
        ] {
            let (status, body) = http_get(&format!("{url}{path}"));
            assert_eq!(status, 200, "{path}: {body}");
        }
    }
}
