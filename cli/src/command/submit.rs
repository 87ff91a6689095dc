use anyhow::{Context, Result};
use base64::Engine;
use clap::Args;
use model_ledger_sdk::client::LedgerConnection;
use solana_sdk::transaction::Transaction;

use super::print_landed;
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
    anyhow::ensure!(
        transaction.is_signed(),
        "the transaction is not fully signed"
    );
    let outcome = session
        .client
        .connection
        .send_transaction(&transaction)
        .await?;
    let events: Vec<String> = outcome
        .events
        .iter()
        .map(|event| format!("{event:?}"))
        .collect();
    print_landed(
        session,
        &Some(outcome),
        "Transaction submitted",
        serde_json::json!({ "events": events }),
    );
    Ok(())
}
