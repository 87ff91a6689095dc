//! The explorer's "claim my royalties" Solana Action, driven as a Blink
//! client drives it: GET the action, POST the account, sign the returned
//! transaction with the contributor's key alone, send it, and again while
//! a "next" action follows; on a real validator the contributor's token
//! balance then holds exactly what `earnings` said. On an embedded ledger
//! (which no wallet can send to) the POST says so and names the CLI.

mod common;

use common::*;
use serde_json::Value;
use solana_sdk::{
    signature::{read_keypair_file, write_keypair_file, Keypair},
    signer::Signer,
    transaction::Transaction,
};

/// A model with `contributions` accepted contributions, all proposed by one
/// contributor (its own keypair), a licence, a grant and metered calls
/// attributed across them; returns the contributor's keypair file and address.
fn royalties_for(s: &Session, contributions: u32) -> (std::path::PathBuf, String) {
    let mint = s.bootstrap();
    let model = s.model(&mint, "actions-7b", &[]);
    let contributor = Keypair::new();
    let path = s.path("contributor.json");
    write_keypair_file(&contributor, &path).unwrap();
    let address = contributor.pubkey().to_string();
    s.json(&["airdrop", "1", "--to", &address]);
    for index in 0..contributions {
        let uri = format!("ar://d{index}");
        let mut propose = vec!["--keypair", text(&path)];
        propose.extend(proposal(&model, "dataset", &uri));
        s.json(&propose);
        let shares = (index + 1).to_string();
        s.json(&[
            "contribution",
            "accept",
            &model,
            &index.to_string(),
            "--shares",
            &shares,
        ]);
    }
    s.licence(&model, &[]);
    let grant = s.acquire(&model, &[]);
    let lines: Vec<String> = (0..contributions * 3)
        .map(|n| {
            format!(
                r#"{{"request_id":"r{n}","output":"o{n}","attribution":[[{},{}]]}}"#,
                n % contributions,
                1 + n % 5
            )
        })
        .collect();
    std::fs::write(s.path("calls.jsonl"), lines.join("\n")).unwrap();
    let calls = s.path("calls.jsonl");
    s.json(&["meter", "--grant", &grant, "--input", text(&calls)]);
    (path, address)
}

/// One request as a Blink client sends it (from another origin).
fn request(url: &str, method: &str, body: &str) -> (u16, Vec<(String, String)>, String) {
    http_response(url, method, body, &[("Origin", "https://dial.to")])
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(known, _)| known == name)
        .map(|(_, value)| value.as_str())
}

#[test]
fn a_contributor_claims_through_the_solana_action_with_its_key_alone() {
    let s = Session::new();
    let (keypair_path, contributor) = royalties_for(&s, 20);
    let earnings = s.json(&["earnings", "--wallet", &contributor]);
    let owed: u64 = earnings["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["claimable"].as_u64().unwrap())
        .sum();
    assert!(owed > 0);
    s.json(&["index"]);
    let mut server = Stopped(s.spawn(&["serve", "--bind", "127.0.0.1:0", "--follow", "1"]));
    let url = explorer_url(&mut server.0);
    let action = format!("{url}/api/actions/claim/{contributor}");

    // The Actions discovery file and the preflight a Blink client sends.
    let (status, headers, rules) = request(&format!("{url}/actions.json"), "GET", "");
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
    let rules: Value = serde_json::from_str(&rules).unwrap();
    assert_eq!(rules["rules"][0]["apiPath"], "/api/actions/claim/*");
    let (status, headers, _) = request(&action, "OPTIONS", "");
    assert_eq!(status, 204);
    assert_eq!(
        header(&headers, "access-control-allow-methods"),
        Some("GET,POST,PUT,OPTIONS")
    );
    assert_eq!(header(&headers, "x-action-version"), Some("2.4"));

    // GET: what the wallet can claim, by contribution, in tokens.
    let (status, headers, body) = request(&action, "GET", "");
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
    let got: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(got["type"], "action");
    assert_eq!(got["disabled"], false);
    assert!(got["icon"].as_str().unwrap().starts_with("http://"));
    let listed: Vec<u64> = got["claimable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| {
            line["amount"]["base_units"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(listed.len(), 20);
    assert_eq!(
        listed.iter().sum::<u64>(),
        owed,
        "the action lists what earnings says"
    );
    assert!(got["description"].as_str().unwrap().contains("actions-7b"));
    assert_eq!(
        got["links"]["actions"][0]["href"],
        format!("/api/actions/claim/{contributor}")
    );

    let post = |account: &str| request(&action, "POST", &format!(r#"{{"account":"{account}"}}"#));
    let (status, _, body) = request(&action, "POST", r#"{"acount":"x"}"#);
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["message"],
        "the body names no account"
    );

    let Cluster::Rpc { url: rpc_url, .. } = &s.cluster else {
        // An embedded ledger: the transaction could be built, but no wallet could send it.
        let (status, _, body) = post(&contributor);
        assert_eq!(status, 422);
        let message = serde_json::from_str::<Value>(&body).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(message.contains("claim --all"), "{message}");
        return;
    };
    let client = solana_rpc_client::rpc_client::RpcClient::new_with_commitment(
        rpc_url.clone(),
        solana_commitment_config::CommitmentConfig::confirmed(),
    );
    let signer = read_keypair_file(&keypair_path).unwrap();
    let mut transactions = 0;
    loop {
        let (status, _, body) = post(&contributor);
        if transactions > 0 && status == 422 {
            assert!(body.contains("nothing to claim"), "{body}");
            break;
        }
        assert_eq!(status, 200, "{body}");
        let answer: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(answer["type"], "transaction");
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(answer["transaction"].as_str().unwrap())
            .unwrap();
        let mut transaction: Transaction = bincode::deserialize(&bytes).unwrap();
        // Built for the account alone: it pays and is the only signer.
        assert_eq!(transaction.message.account_keys[0], signer.pubkey());
        assert_eq!(transaction.message.header.num_required_signatures, 1);
        let blockhash = transaction.message.recent_blockhash;
        transaction.sign(&[&signer], blockhash);
        client.send_and_confirm_transaction(&transaction).unwrap();
        transactions += 1;
        if transactions == 1 {
            // 20 claims do not fit one transaction: the rest is chained.
            assert_eq!(answer["links"]["next"]["type"], "inline", "{answer}");
        }
        assert!(transactions < 5, "the claims never ended");
    }
    assert!(transactions >= 2);
    let mint = earnings["contributions"][0]["mint"].as_str().unwrap();
    let destination = anchor_spl::associated_token::get_associated_token_address(
        &signer.pubkey(),
        &mint.parse().unwrap(),
    );
    let balance: u64 = client
        .get_token_account_balance(&destination)
        .unwrap()
        .amount
        .parse()
        .unwrap();
    assert_eq!(
        balance, owed,
        "the balance grew by exactly what earnings showed"
    );
    let (_, _, body) = request(&action, "GET", "");
    let after: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(after["disabled"], true);
    assert_eq!(after["label"], "Nothing to claim");
}
