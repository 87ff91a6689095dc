use anyhow::Result;
use clap::Args;
use model_ledger_sdk::queries::Earning;
use solana_sdk::{pubkey::Pubkey, signer::Signer};

use super::model::list_models;
use crate::{
    output::{tokens, with_ui_amounts},
    session::Session,
};

#[derive(Args, Debug)]
pub struct EarningsArgs {
    /// Whose earnings [default: the wallet]
    #[arg(long)]
    pub wallet: Option<Pubkey>,
}

/// What every contribution `wallet` is paid by can claim and has claimed:
/// found through the index when one is configured, by reading every model
/// otherwise; the amounts always come from the chain.
pub async fn earnings_of(session: &Session, wallet: &Pubkey) -> Result<(Vec<Earning>, bool)> {
    let shown = wallet.to_string();
    let targets = crate::index::lookup(&session.global, move |indexer| {
        Ok(model_ledger_indexer::query::paying(indexer.sql(), &shown)?)
    })?;
    Ok(match targets {
        Some(targets) => (session.client.earnings_of(&targets).await?, true),
        None => {
            let models: Vec<Pubkey> = list_models(session)
                .await?
                .into_iter()
                .map(|(address, _)| address)
                .collect();
            (session.client.earnings(wallet, &models).await?, false)
        }
    })
}

pub async fn execute(session: &Session, args: EarningsArgs) -> Result<()> {
    let wallet = args.wallet.unwrap_or_else(|| session.wallet.pubkey());
    let (earnings, from_index) = earnings_of(session, &wallet).await?;
    // Totals add amounts of one mint only: tokens of different mints do not add up.
    let mut totals: std::collections::BTreeMap<Pubkey, (u8, u128, u128)> = Default::default();
    for earning in &earnings {
        let total = totals
            .entry(earning.payment_mint)
            .or_insert((earning.decimals, 0, 0));
        total.1 += u128::from(earning.claimable);
        total.2 += earning.claimed;
    }
    let json: Vec<_> = earnings
        .iter()
        .map(|e| {
            with_ui_amounts(
                serde_json::json!({ "model": e.model.to_string(), "index": e.index, "contribution": e.contribution.to_string(), "mint": e.payment_mint.to_string(), "claimable": e.claimable, "claimed": e.claimed }),
                &["claimable", "claimed"],
                e.decimals,
            )
        })
        .collect();
    let per_mint: Vec<_> = totals
        .iter()
        .map(|(mint, (decimals, claimable, claimed))| {
            with_ui_amounts(
                serde_json::json!({ "mint": mint.to_string(), "claimable": claimable, "claimed": claimed }),
                &["claimable", "claimed"],
                *decimals,
            )
        })
        .collect();
    session.output.print(
        serde_json::json!({ "wallet": wallet.to_string(), "found_through_index": from_index, "totals": per_mint, "contributions": json }),
        || {
            let mut text = format!("Earnings of {wallet}\n");
            for (mint, (decimals, claimable, claimed)) in &totals {
                text.push_str(&format!(
                    "  {} claimable, {} claimed (tokens of {mint})\n",
                    tokens(*claimable, *decimals),
                    tokens(*claimed, *decimals)
                ));
            }
            if earnings.is_empty() {
                text.push_str("  no contributions paying this wallet\n");
            }
            for earning in &earnings {
                text.push_str(&format!(
                    "  {} #{}: claimable {}, claimed {}\n",
                    earning.model,
                    earning.index,
                    tokens(earning.claimable, earning.decimals),
                    tokens(earning.claimed, earning.decimals)
                ));
            }
            text.trim_end().to_string()
        },
    );
    Ok(())
}
