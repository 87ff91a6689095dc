//! What `--sign-only` prints, as `solana` prints it: the blockhash (a
//! nonce's stored one), each signature as `PUBKEY=SIGNATURE`, the signers
//! still absent and any signature that does not verify; in JSON the same
//! under `solana`'s names (`blockhash`, `signers`, `absent`, `badSig`), plus
//! the transaction itself for `submit`. A command that signs several
//! transactions prints them as one document.

use model_ledger_sdk::client::SignedTransaction;
use serde_json::{json, Value};

use crate::output::OutputFormat;

/// Each required signer of `signed`, sorted as `solana` sorts them.
struct Signatures {
    signed: Vec<String>,
    absent: Vec<String>,
    bad: Vec<String>,
}

fn signatures(signed: &SignedTransaction) -> Signatures {
    let transaction = &signed.transaction;
    let message = transaction.message_data();
    let required = usize::from(transaction.message.header.num_required_signatures);
    let mut sorted = Signatures {
        signed: Vec::new(),
        absent: Vec::new(),
        bad: Vec::new(),
    };
    for (key, signature) in transaction
        .message
        .account_keys
        .iter()
        .zip(&transaction.signatures)
        .take(required)
    {
        if *signature == Default::default() {
            sorted.absent.push(key.to_string());
        } else if signature.verify(key.as_ref(), &message) {
            sorted.signed.push(format!("{key}={signature}"));
        } else {
            sorted.bad.push(key.to_string());
        }
    }
    sorted
}

fn to_json(signed: &SignedTransaction) -> Value {
    let sorted = signatures(signed);
    json!({
        "blockhash": signed.blockhash.to_string(),
        "signers": sorted.signed,
        "absent": sorted.absent,
        "badSig": sorted.bad,
        "transaction": signed.to_base64(),
    })
}

fn to_text(signed: &SignedTransaction) -> String {
    let sorted = signatures(signed);
    let mut text = format!("Blockhash: {}\n", signed.blockhash);
    let mut section = |title: &str, lines: &[String]| {
        if !lines.is_empty() {
            text.push_str(title);
            for line in lines {
                text.push_str(&format!("\n {line}"));
            }
            text.push('\n');
        }
    };
    section("Signers (Pubkey=Signature):", &sorted.signed);
    section("Absent Signers (Pubkey):", &sorted.absent);
    section("Bad Signatures (Pubkey):", &sorted.bad);
    text.push_str(&format!(
        "Transaction (base64, for `submit` once fully signed):\n {}",
        signed.to_base64()
    ));
    text
}

/// The one document a `--sign-only` command prints for `signed`.
pub fn document(output: OutputFormat, signed: &[SignedTransaction]) -> String {
    match (output, signed) {
        (OutputFormat::Json, [one]) => {
            serde_json::to_string_pretty(&to_json(one)).expect("JSON value")
        }
        (OutputFormat::Json, many) => serde_json::to_string_pretty(
            &json!({ "transactions": many.iter().map(to_json).collect::<Vec<_>>() }),
        )
        .expect("JSON value"),
        (OutputFormat::Human, [one]) => to_text(one),
        (OutputFormat::Human, many) => many
            .iter()
            .enumerate()
            .map(|(n, signed)| {
                format!(
                    "Transaction {} of {}\n{}",
                    n + 1,
                    many.len(),
                    to_text(signed)
                )
            })
            .collect::<Vec<_>>()
            .join("\n\n"),
    }
}
