//! Signers as wallet holders hold them, and signatures made apart: the
//! `solana` CLI's conventions through the real binary, on the embedded chain
//! and (with `MODEL_LEDGER_TEST_URL`) over JSON-RPC.

mod common;

use base64::Engine;
use common::*;
use model_ledger_sdk::compute_units::offline_limit;
use serde_json::Value;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_sdk::{
    instruction::Instruction, signature::Keypair, signer::Signer, transaction::Transaction,
};

/// A model with a durable nonce whose authority is the session wallet:
/// `(model, nonce)`.
fn model_and_nonce(s: &Session) -> (String, String) {
    let mint = s.bootstrap();
    let model = s.model(&mint, "signed-apart", &[]);
    let nonce = s.json(&["create-nonce"])["nonce"]
        .as_str()
        .unwrap()
        .to_string();
    (model, nonce)
}

/// The signatures a `--sign-only` run printed, as `--signer` takes them.
fn signatures(signed: &Value) -> Vec<String> {
    signed["signers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| pair.as_str().unwrap().to_string())
        .collect()
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item.as_str().unwrap())
        .collect()
}

/// The wallet proposes a contribution; a second party pays its fee. Each
/// signs on its own (`--sign-only`, the other's key given as a public key),
/// and a third run with both signatures sends it, as `solana` does it.
#[test]
fn two_parties_sign_one_transaction_separately_and_it_lands() {
    let s = Session::new();
    let (model, nonce) = model_and_nonce(&s);
    let (wallet_path, wallet) = s.wallet();
    let (payer_path, payer) = s.keypair("payer");
    s.json(&["airdrop", "1", "--to", &payer]);
    let propose = proposal(&model, "evaluation", "ar://signed-apart");
    // The same command each time, signed by whom each party can.
    let run = |signing: &[&str]| {
        let args: Vec<&str> = signing
            .iter()
            .copied()
            .chain(["--nonce", nonce.as_str()])
            .chain(propose.iter().copied())
            .collect();
        s.json(&args)
    };

    // The contributor signs first; the fee payer is only a public key.
    let first = run(&[
        "--sign-only",
        "--keypair",
        text(&wallet_path),
        "--fee-payer",
        &payer,
    ]);
    assert_eq!(strings(&first["absent"]), vec![payer.as_str()]);
    let contributor_signature = signatures(&first);
    assert_eq!(contributor_signature.len(), 1);
    assert!(contributor_signature[0].starts_with(&format!("{wallet}=")));
    assert!(strings(&first["badSig"]).is_empty());

    // The fee payer signs the same transaction, given the first signature.
    let second = run(&[
        "--sign-only",
        "--keypair",
        &wallet,
        "--signer",
        &contributor_signature[0],
        "--fee-payer",
        text(&payer_path),
    ]);
    assert_eq!(second["blockhash"], first["blockhash"]);
    assert!(strings(&second["absent"]).is_empty());
    let both = signatures(&second);
    assert_eq!(both.len(), 2);
    assert!(both.contains(&contributor_signature[0]));

    // Nothing ran yet; then anyone sends it with both signatures.
    assert!(s.json(&["model", "show", &model])["contributions"]
        .as_array()
        .unwrap()
        .is_empty());
    let sent = run(&[
        "--keypair",
        &wallet,
        "--fee-payer",
        &payer,
        "--signer",
        &both[0],
        "--signer",
        &both[1],
    ]);
    assert!(sent["signature"].is_string(), "{sent}");
    let shown = s.json(&["model", "show", &model]);
    assert_eq!(shown["contributions"][0]["kind"], "Evaluation");
    assert_eq!(shown["contributions"][0]["contributor"], wallet.as_str());
}

/// A signature over other bytes (here another URI) is refused by name
/// before anything is sent.
#[test]
fn a_signature_over_other_bytes_is_named() {
    let s = Session::new();
    let (model, nonce) = model_and_nonce(&s);
    let (_, wallet) = s.wallet();
    let signed = s.json(
        &[
            &["--sign-only", "--nonce", &nonce][..],
            &proposal(&model, "code", "ar://one"),
        ]
        .concat(),
    );
    let signature = &signatures(&signed)[0];
    let error = s.fails(
        &[
            &[
                "--keypair",
                &wallet,
                "--signer",
                signature,
                "--nonce",
                &nonce,
            ][..],
            &proposal(&model, "code", "ar://another"),
        ]
        .concat(),
    );
    assert!(error.contains("does not sign this transaction"), "{error}");
}

/// What `--sign-only` prints, in `solana`'s words, and the limit the
/// transaction carries although nothing could be simulated.
#[test]
fn sign_only_prints_signers_and_absent_signers_and_carries_a_compute_unit_limit() {
    let s = Session::new();
    let (model, nonce) = model_and_nonce(&s);
    let (_, payer) = s.keypair("payer");
    let args = [
        &["--sign-only", "--nonce", &nonce, "--fee-payer", &payer][..],
        &proposal(&model, "dataset", "ar://offline"),
    ]
    .concat();
    let human = s.human(&args);
    for section in [
        "Blockhash: ",
        "Signers (Pubkey=Signature):",
        "Absent Signers (Pubkey):",
    ] {
        assert!(human.contains(section), "{section} missing from:\n{human}");
    }
    assert!(human.contains(&payer), "{human}");

    let signed = s.json(&args);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(signed["transaction"].as_str().unwrap())
        .unwrap();
    let transaction: Transaction = bincode::deserialize(&bytes).unwrap();
    let message = &transaction.message;
    let instructions: Vec<Instruction> = message
        .instructions
        .iter()
        .map(|compiled| Instruction {
            program_id: message.account_keys[usize::from(compiled.program_id_index)],
            accounts: compiled
                .accounts
                .iter()
                .map(|index| solana_sdk::instruction::AccountMeta {
                    pubkey: message.account_keys[usize::from(*index)],
                    is_signer: message.is_signer(usize::from(*index)),
                    is_writable: message.is_maybe_writable(usize::from(*index), None),
                })
                .collect(),
            data: compiled.data.clone(),
        })
        .collect();
    let (budget, rest): (Vec<_>, Vec<_>) = instructions
        .into_iter()
        .partition(|instruction| instruction.program_id == solana_compute_budget_interface::ID);
    assert_eq!(
        budget,
        vec![ComputeBudgetInstruction::set_compute_unit_limit(
            offline_limit(&rest)
        )],
        "the offline limit, computed from the instructions signed"
    );
}

/// A seed phrase as wallets derive it: `prompt://?key=0/0` is the first
/// account of Phantom, Solflare and Backpack (m/44'/501'/0'/0'),
/// `prompt://` solana-keygen's default (m/44'/501'), `ASK` the legacy
/// seed; and such a wallet signs.
#[test]
fn a_seed_phrase_signs_under_the_derivation_path_asked_for() {
    use bip39::{Language, Mnemonic, Seed};
    use solana_derivation_path::DerivationPath;
    use solana_keypair::seed_derivable::keypair_from_seed_and_derivation_path;
    let s = Session::new();
    let mint = s.bootstrap();
    let model = s.model(&mint, "phrase", &[]);
    let phrase = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    let seed = Seed::new(
        &Mnemonic::from_phrase(phrase, Language::English).unwrap(),
        "",
    );
    let derived = |path: Option<DerivationPath>| {
        keypair_from_seed_and_derivation_path(seed.as_bytes(), path)
            .unwrap()
            .pubkey()
            .to_string()
    };
    let address = |source: &str| -> String {
        let output = s
            .command(&["--keypair", source, "address"])
            .write_stdin(format!("{phrase}\n\n"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let json: Value = serde_json::from_slice(&output.stdout).unwrap();
        json["address"].as_str().unwrap().to_string()
    };
    let first_account = address("prompt://?key=0/0");
    assert_eq!(
        first_account,
        derived(Some(DerivationPath::new_bip44(Some(0), Some(0))))
    );
    assert_eq!(address("prompt://"), derived(None));
    assert_eq!(
        address("ASK"),
        solana_keypair::keypair_from_seed(seed.as_bytes())
            .unwrap()
            .pubkey()
            .to_string()
    );
    assert_ne!(address("prompt://"), first_account);

    s.json(&["airdrop", "1", "--to", &first_account]);
    let output = s
        .command(
            &[
                &["--keypair", "prompt://?key=0/0"][..],
                &proposal(&model, "dataset", "ar://from-a-phrase"),
            ]
            .concat(),
        )
        .write_stdin(format!("{phrase}\n\n"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        s.json(&["model", "show", &model])["contributions"][0]["contributor"],
        first_account.as_str()
    );

    let output = s
        .command(&["--keypair", "prompt://", "address"])
        .write_stdin("abandon abandon abandon\n\n")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("not a BIP-39 phrase (3 words"), "{stdout}");
}

/// A keypair's JSON on standard input (`stdin`, or `-`) signs; two signers
/// cannot both read it.
#[test]
fn a_keypair_on_standard_input_signs() {
    let s = Session::new();
    let keypair = Keypair::new();
    let json = serde_json::to_string(&keypair.to_bytes().to_vec()).unwrap();
    let output = s
        .command(&["--keypair", "stdin", "address"])
        .write_stdin(json.clone())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let shown: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(shown["address"], keypair.pubkey().to_string());
    let error = s.fails(&["--keypair", "stdin", "--fee-payer", "-", "address"]);
    assert!(error.contains("both read standard input"), "{error}");
}

/// With no Ledger attached (as on every CI machine) `usb://ledger` is
/// answered by name, never taken for a file.
#[test]
fn a_missing_ledger_is_named() {
    let s = Session::new();
    let error = s.fails(&["--keypair", "usb://ledger", "address"]);
    if !error.contains("no Ledger was found") {
        panic!("expected the Ledger to be named as missing: {error}");
    }
    assert!(!error.contains("No such file"), "{error}");
    let error = s.fails(&["--keypair", "usb://trezor", "address"]);
    assert!(error.contains("usb://trezor"), "{error}");
}

/// With a Ledger attached, unlocked and in its Solana app, its address is
/// the wallet's. The one test that needs hardware: without a device it says
/// so and checks nothing more.
#[test]
fn an_attached_ledger_gives_its_address() {
    let s = Session::new();
    let output = s
        .command(&["--keypair", "usb://ledger?key=0/0", "address"])
        .output()
        .unwrap();
    if !output.status.success() {
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("no Ledger was found"), "{stdout}");
        eprintln!("skipped: no Ledger is attached to this machine");
        return;
    }
    let shown: Value = serde_json::from_slice(&output.stdout).unwrap();
    let address: solana_sdk::pubkey::Pubkey = shown["address"].as_str().unwrap().parse().unwrap();
    assert!(address.is_on_curve());
}
