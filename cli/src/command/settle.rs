use anyhow::Result;
use clap::Args;
use model_ledger_sdk::events::LedgerEvent;
use solana_sdk::pubkey::Pubkey;

use crate::{output::tokens, session::Session};

#[derive(Args, Debug)]
pub struct SettleArgs {
    /// The derived model whose debts to its parents are settled
    pub model: Pubkey,
    /// Settle the whole ancestry, nearest links first
    #[arg(long)]
    pub all: bool,
}

/// Permissionless: moves what the model owes its parents into their vaults.
pub async fn execute(session: &Session, args: SettleArgs) -> Result<()> {
    let links: Vec<(Pubkey, Pubkey)> = if args.all {
        session
            .client
            .lineage(&args.model)
            .await?
            .into_iter()
            .map(|link| (link.child, link.link.model))
            .collect()
    } else {
        session
            .client
            .model(&args.model)
            .await?
            .parents
            .into_iter()
            .map(|parent| (args.model, parent.model))
            .collect()
    };
    let mut settled = Vec::new();
    for (child, parent) in links {
        let decimals = session.model_decimals(&child).await?;
        let instruction = model_ledger_sdk::instructions::settle_upstream(
            &session.client.model_accounts(&child).await?,
            &parent,
        );
        let Some(outcome) = session.send(&[instruction], &[]).await? else {
            continue;
        };
        let amount = outcome
            .events
            .iter()
            .find_map(|event| match event {
                LedgerEvent::UpstreamSettled(event) => Some(event.amount),
                _ => None,
            })
            .unwrap_or(0);
        settled.push((child, parent, amount, decimals, outcome.signature));
    }
    let json: Vec<_> = settled
        .iter()
        .map(|(child, parent, amount, decimals, signature)| serde_json::json!({ "child": child.to_string(), "parent": parent.to_string(), "amount": amount, "amount_ui": tokens(*amount, *decimals), "signature": signature.to_string() }))
        .collect();
    session.output.print(serde_json::Value::Array(json), || {
        if settled.is_empty() {
            return "No parents to settle.".into();
        }
        settled
            .iter()
            .map(|(child, parent, amount, decimals, _)| {
                format!(
                    "Settled {} tokens from {child} to {parent}",
                    tokens(*amount, *decimals)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}
