//! The bench predicts what a cluster charges. A batch recorded by `meter`
//! on the session's cluster (with `MODEL_LEDGER_TEST_URL`, a real
//! `solana-test-validator` running the same SBF binary and p-token) costs
//! within 2 % of what `model-ledger bench` measures for the same data: the
//! bench's "10 contributions, medium payment, 10 entries" batch (1 000
//! calls at 1 000 base units, contribution n weighted 1 + n % 9).

mod common;

use assert_cmd::Command;
use common::*;
use serde_json::Value;

/// What the runtime charges for the compute-budget instruction every
/// transaction `meter` sends carries beside the record (a builtin's
/// default cost); the bench measures the record alone.
const COMPUTE_BUDGET_INSTRUCTION_UNITS: u64 = 150;

fn bench_units() -> u64 {
    let output = Command::cargo_bin("model-ledger")
        .unwrap()
        .current_dir(tempfile::tempdir().unwrap().path())
        .args([
            "bench",
            "--rounds",
            "1",
            "--large-contributions",
            "10",
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bench: Value = serde_json::from_slice(&output.stdout).unwrap();
    bench["record_inference_by_model_size"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| {
            row["model"] == "10 contributions"
                && row["payment"] == "medium"
                && row["attribution_entries"] == 10
        })
        .and_then(|row| row["compute_units_median"].as_u64())
        .unwrap_or_else(|| panic!("no such row in {bench}"))
}

#[test]
fn a_batch_recorded_on_the_cluster_costs_what_the_bench_measures() {
    let s = Session::new();
    let mint = s.bootstrap();
    let model = s.model(&mint, "costed", &["--attribution-bps", "5000"]);
    for n in 0..10 {
        s.json(&proposal(&model, "dataset", &format!("ar://costed-{n}")));
        s.json(&[
            "contribution",
            "accept",
            &model,
            &n.to_string(),
            "--shares",
            "100",
        ]);
    }
    s.json(&[
        "license",
        "publish",
        &model,
        "--commercial",
        "--price-per-call",
        "0.001",
        "--terms-uri",
        "https://terms.example/costed",
        "--terms-hash",
        HASH,
    ]);
    let grant = s.json(&[
        "grant",
        "acquire",
        &model,
        "1",
        "--max-fee",
        "0",
        "--max-price",
        "0.001",
    ])["grant"]
        .as_str()
        .unwrap()
        .to_string();
    let lines: Vec<String> = (0..1_000)
        .map(|n| {
            let attribution = if n < 10 {
                format!("[[{n},{}]]", 1 + n % 9)
            } else {
                "[]".to_string()
            };
            format!(r#"{{"request_id":"c{n}","output":"o{n}","attribution":{attribution}}}"#)
        })
        .collect();
    let input = s.path("calls.jsonl");
    std::fs::write(&input, lines.join("\n")).unwrap();
    let batches = s.path("batches");
    let metered = s.json(&[
        "meter",
        "--grant",
        &grant,
        "--input",
        text(&input),
        "--batch-calls",
        "1000",
        "--batches",
        text(&batches),
    ]);
    assert_eq!(metered["batches_sent"], 1);
    let batch: Value =
        serde_json::from_slice(&std::fs::read(batches.join("batch-00000000.json")).unwrap())
            .unwrap();
    let cluster = batch["compute_units"]
        .as_u64()
        .expect("the batch's compute units")
        - COMPUTE_BUDGET_INSTRUCTION_UNITS;
    let bench = bench_units();
    let difference = cluster.abs_diff(bench) as f64 / bench as f64;
    eprintln!(
        "record_inference, 10 entries: the cluster charged {cluster}, the bench measured {bench}"
    );
    assert!(
        difference <= 0.02,
        "the cluster charged {cluster} compute units for the batch, the bench measured {bench}: {:.1} % apart",
        difference * 100.0
    );
    if let Cluster::Rpc { url, .. } = &s.cluster {
        assert_runs_p_token(url);
    }
}

/// The validator's genesis carries p-token at SPL Token's address, as
/// mainnet does since SIMD-0266: the program data behind the address is
/// the very ELF the SDK's runtime loads.
fn assert_runs_p_token(url: &str) {
    use anchor_lang::solana_program::bpf_loader_upgradeable::UpgradeableLoaderState;
    let client = solana_rpc_client::rpc_client::RpcClient::new(url.to_string());
    let program = client.get_account(&anchor_spl::token::ID).unwrap();
    let UpgradeableLoaderState::Program {
        programdata_address,
    } = bincode::deserialize(&program.data).unwrap()
    else {
        panic!("SPL Token's address holds no upgradeable program");
    };
    let data = client.get_account(&programdata_address).unwrap().data;
    let elf = &data[UpgradeableLoaderState::size_of_programdata_metadata()..];
    assert!(
        elf == model_ledger_sdk::embedded::P_TOKEN_ELF,
        "the cluster's token program is not p-token 1.0.0"
    );
}
