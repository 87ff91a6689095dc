use anyhow::Result;
use clap::Args;
use solana_sdk::{pubkey::Pubkey, signer::Signer};

use super::model::list_models;
use crate::session::Session;

#[derive(Args, Debug)]
pub struct EarningsArgs {
    /// Whose earnings [default: the wallet]
    #[arg(long)]
    pub wallet: Option<Pubkey>,
}

pub async fn execute(session: &Session, args: EarningsArgs) -> Result<()> {
    let wallet = args.wallet.unwrap_or_else(|| session.wallet.pubkey());
    let models: Vec<Pubkey> = list_models(session)
        .await?
        .into_iter()
        .map(|(address, _)| address)
        .collect();
    let earnings = session.client.earnings(&wallet, &models).await?;
    let claimable: u64 = earnings.iter().map(|earning| earning.claimable).sum();
    let claimed: u128 = earnings.iter().map(|earning| earning.claimed).sum();
    let json: Vec<_> = earnings
        .iter()
        .map(|e| serde_json::json!({ "model": e.model.to_string(), "index": e.index, "contribution": e.contribution.to_string(), "claimable": e.claimable, "claimed": e.claimed }))
        .collect();
    session.output.print(
        serde_json::json!({ "wallet": wallet.to_string(), "claimable": claimable, "claimed": claimed, "contributions": json }),
        || {
            let mut text = format!("Earnings of {wallet}: {claimable} claimable, {claimed} claimed\n");
            for earning in &earnings {
                text.push_str(&format!("  {} #{}: claimable {}, claimed {}\n", earning.model, earning.index, earning.claimable, earning.claimed));
            }
            text.trim_end().to_string()
        },
    );
    Ok(())
}
