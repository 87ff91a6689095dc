use anyhow::Result;
use clap::Args;
use model_ledger_sdk::{client::associated_token, events::LedgerEvent, instructions as ix};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

use crate::{output::tokens, session::Session};

#[derive(Args, Debug)]
pub struct CollectFeesArgs {
    /// The model whose booked protocol fees are swept
    pub model: Pubkey,
}

/// Permissionless: moves the protocol fees the model's book owes into the
/// treasury's associated token account (created if missing, the wallet
/// paying its rent).
pub async fn execute(session: &Session, args: CollectFeesArgs) -> Result<()> {
    let accounts = session.client.model_accounts(&args.model).await?;
    let decimals = session.model_decimals(&args.model).await?;
    let treasury = session.client.config().await?.treasury;
    let treasury_token = associated_token(&treasury, &accounts);
    let instructions =
        ix::collect_protocol_fees_to_associated(&session.wallet.pubkey(), &treasury, &accounts);
    let Some(outcome) = session.send(&instructions, &[]).await? else {
        return Ok(());
    };
    let amount = outcome
        .events
        .iter()
        .find_map(|event| match event {
            LedgerEvent::ProtocolFeesCollected(event) => Some(event.amount),
            _ => None,
        })
        .unwrap_or(0);
    session.output.print(
        serde_json::json!({ "model": args.model.to_string(), "treasury_token": treasury_token.to_string(), "amount": amount, "amount_ui": tokens(amount, decimals), "signature": outcome.signature.to_string() }),
        || format!("Collected {} tokens in protocol fees from {} to {treasury_token}", tokens(amount, decimals), args.model),
    );
    Ok(())
}
