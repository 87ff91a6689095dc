use anyhow::Result;
use clap::Args;
use model_ledger_sdk::instructions::{self as ix, InitializeConfigArgs};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

use super::print_landed;
use crate::session::Session;

#[derive(Args, Debug)]
pub struct InitConfigArgs {
    /// Protocol fee in basis points (0..=10000)
    #[arg(long)]
    pub fee_bps: u16,
    /// Wallet whose token accounts receive protocol fees
    #[arg(long)]
    pub treasury: Pubkey,
}

/// Initialises the protocol config; the wallet becomes the admin.
pub async fn execute(session: &Session, args: InitConfigArgs) -> Result<()> {
    let instruction = ix::initialize_config(
        &session.wallet.pubkey(),
        InitializeConfigArgs {
            protocol_fee_bps: args.fee_bps,
            treasury: args.treasury,
        },
    );
    let outcome = session.send(&[instruction], &[&session.wallet]).await?;
    print_landed(
        session,
        &outcome,
        "Protocol config initialised",
        serde_json::json!({
            "config": model_ledger_sdk::pda::config().0.to_string(),
            "admin": session.wallet.pubkey().to_string(),
            "treasury": args.treasury.to_string(),
            "fee_bps": args.fee_bps,
        }),
    );
    Ok(())
}
