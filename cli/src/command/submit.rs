use anyhow::{Context, Result};
use base64::Engine;
use clap::Args;
use model_ledger_sdk::client::LedgerConnection;
use solana_sdk::transaction::Transaction;

use crate::session::Session;

#[derive(Args, Debug)]
pub struct SubmitArgs {
    /// The base64 transaction printed by --sign-only
    pub transaction: String,
}

pub async fn execute(session: &Session, args: SubmitArgs) -> Result<()> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(args.transaction.trim())
        .context("the transaction is not base64")?;
    let transaction: Transaction =
        bincode::deserialize(&bytes).context("not a serialised transaction")?;
    let absent: Vec<String> = transaction
        .message
        .account_keys
        .iter()
        .zip(&transaction.signatures)
        .take(usize::from(
            transaction.message.header.num_required_signatures,
        ))
        .filter(|(_, signature)| **signature == Default::default())
        .map(|(key, _)| key.to_string())
        .collect();
    anyhow::ensure!(
        absent.is_empty(),
        "the transaction is not fully signed: {} must still sign (run the same command with --sign-only and --signer for the signatures already made)",
        absent.join(", ")
    );
    let advances_a_nonce = transaction
        .message
        .instructions
        .first()
        .is_some_and(|first| {
            transaction
                .message
                .account_keys
                .get(usize::from(first.program_id_index))
                == Some(&solana_system_interface::program::ID)
                && matches!(
                bincode::deserialize(&first.data),
                Ok(solana_system_interface::instruction::SystemInstruction::AdvanceNonceAccount)
            )
        });
    anyhow::ensure!(
        session.embedded().is_none() || advances_a_nonce,
        "the embedded chain keeps no recent blockhashes from one command to the next: a transaction submitted to it later must be signed under a durable nonce (`create-nonce`, then --nonce ADDRESS)"
    );
    let outcome = session
        .client
        .connection
        .send_transaction(&transaction)
        .await?;
    let events = crate::event_text::describe(session, &outcome.events).await?;
    let signature = outcome.signature.to_string();
    session.output.print(
        serde_json::json!({ "signature": signature, "events": events }),
        || {
            format!(
                "Transaction submitted\n  signature: {signature}\n{}",
                crate::event_text::text(&events)
                    .lines()
                    .map(|line| format!("  {line}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        },
    );
    Ok(())
}
