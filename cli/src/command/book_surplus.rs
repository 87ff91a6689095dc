use anyhow::Result;
use clap::Args;
use model_ledger_sdk::{events::LedgerEvent, instructions as ix};
use solana_sdk::pubkey::Pubkey;

use crate::{output::tokens, session::Session};

#[derive(Args, Debug)]
pub struct BookSurplusArgs {
    /// The model whose vault surplus is booked
    pub model: Pubkey,
}

/// Permissionless: books tokens that reached the model's vault outside the
/// protocol (a plain transfer) as a payment of the model.
pub async fn execute(session: &Session, args: BookSurplusArgs) -> Result<()> {
    let accounts = session.client.model_accounts(&args.model).await?;
    let decimals = session.model_decimals(&args.model).await?;
    let Some(outcome) = session.send(&[ix::book_surplus(&accounts)], &[]).await? else {
        return Ok(());
    };
    let amount = outcome
        .events
        .iter()
        .find_map(|event| match event {
            LedgerEvent::SurplusBooked(event) => Some(event.amount),
            _ => None,
        })
        .unwrap_or(0);
    session.output.print(
        serde_json::json!({ "model": args.model.to_string(), "amount": amount, "amount_ui": tokens(amount, decimals), "signature": outcome.signature.to_string() }),
        || format!("Booked {} tokens of vault surplus as a payment of {}", tokens(amount, decimals), args.model),
    );
    Ok(())
}
