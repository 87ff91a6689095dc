//! Which chain a command talks to is never a surprise: with a Solana CLI
//! config pointing elsewhere (most developers have one), a flag naming the
//! embedded chain wins, the config's URL is used only when no flag names a
//! chain, and a command going to a cluster says which before it sends.

use std::{path::Path, process::Output};

use assert_cmd::Command;
use solana_sdk::{
    signature::{write_keypair_file, Keypair},
    signer::Signer,
};

/// A HOME whose Solana CLI config names an RPC endpoint nothing listens
/// on, and a wallet of its own: `(home, the config's wallet)`.
fn home_with_a_config() -> (tempfile::TempDir, Keypair) {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join(".config/solana/cli");
    std::fs::create_dir_all(&config).unwrap();
    let wallet = Keypair::new();
    let keypair = home.path().join("id.json");
    write_keypair_file(&wallet, &keypair).unwrap();
    std::fs::write(
        config.join("config.yml"),
        format!(
            "---\njson_rpc_url: \"http://127.0.0.1:9\"\nwebsocket_url: \"\"\nkeypair_path: {}\ncommitment: confirmed\n",
            keypair.display()
        ),
    )
    .unwrap();
    (home, wallet)
}

fn run(home: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("model-ledger")
        .unwrap()
        .env("HOME", home)
        .env_remove("MODEL_LEDGER_DATABASE")
        .current_dir(home)
        .args(args)
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

#[test]
fn a_flag_naming_the_embedded_chain_wins_over_the_config_file() {
    let (home, wallet) = home_with_a_config();
    for flags in [
        &["--ledger", "chain"][..],
        &["-u", "embedded"],
        &["-u", "embedded", "--ledger", "chain"],
    ] {
        let output = run(
            home.path(),
            &[flags, &["--output", "json", "airdrop", "2"]].concat(),
        );
        assert!(output.status.success(), "{flags:?}: {}", stderr(&output));
        let airdrop: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        // The config's keypair is still the wallet: only the cluster is the flag's.
        assert_eq!(airdrop["to"], wallet.pubkey().to_string(), "{flags:?}");
        assert!(
            !stderr(&output).contains("127.0.0.1:9"),
            "{flags:?}: {}",
            stderr(&output)
        );
    }
    assert!(home.path().join("chain/state.bin").exists());
    assert!(home.path().join(".model-ledger/state.bin").exists());
}

#[test]
fn without_a_flag_the_config_files_cluster_is_used_and_named_before_anything() {
    let (home, _) = home_with_a_config();
    let output = run(home.path(), &["airdrop", "1"]);
    assert!(!output.status.success());
    let said = stderr(&output);
    let named = said
        .find("Cluster: http://127.0.0.1:9 (from the Solana CLI config ")
        .unwrap_or_else(|| panic!("the cluster is not named first: {said}"));
    let failed = said.find("error:").unwrap_or(said.len());
    assert!(named < failed, "{said}");
    assert!(
        !home.path().join(".model-ledger").exists(),
        "nothing embedded was touched"
    );
    // Named by -u, it says so too.
    let output = run(home.path(), &["-u", "http://127.0.0.1:9", "airdrop", "1"]);
    assert!(
        stderr(&output).contains("Cluster: http://127.0.0.1:9 (named by -u)"),
        "{}",
        stderr(&output)
    );
    // JSON keeps standard output one document, the error naming the endpoint.
    let output = run(home.path(), &["--output", "json", "model", "list"]);
    assert!(!stderr(&output).contains("Cluster:"), "{}", stderr(&output));
    let error: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(error["error"]["name"], "ConnectionFailed", "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1:9"),
        "{error}"
    );
}

#[test]
fn ambiguous_or_misspelt_clusters_are_refused_by_name() {
    let (home, _) = home_with_a_config();
    let output = run(
        home.path(),
        &["--ledger", "chain", "-u", "devnet", "model", "list"],
    );
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--ledger names the embedded chain and -u names https://api.devnet.solana.com: give one of them"), "{}", stderr(&output));

    let output = run(home.path(), &["-u", "devnett", "model", "list"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("\"devnett\" is not a cluster"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("builder error"));

    std::fs::write(home.path().join("a-file"), "not a ledger").unwrap();
    let output = run(home.path(), &["--ledger", "a-file", "model", "list"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("the ledger a-file is a file"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("os error 17"));

    let output = run(
        home.path(),
        &["--output", "json", "-u", "devnett", "model", "list"],
    );
    let error: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(error["error"]["name"], "UsageError");
}
