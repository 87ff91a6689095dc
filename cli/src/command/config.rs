//! The protocol admin's commands: read the configuration, change it (fee,
//! treasury, pause, a new admin proposed), and take it over as the proposed
//! admin.

use anyhow::Result;
use clap::{Args, Subcommand};
use model_ledger_sdk::{instructions::UpdateConfigArgs, pda};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

use super::print_landed;
use crate::session::Session;

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// The protocol configuration: admin, pending admin, treasury, fee, pause
    Show,
    /// Change the fee, the treasury or the pause, or propose a new admin (the admin signs)
    Update(UpdateArgs),
    /// Take the configuration over as the proposed admin (the proposed admin signs)
    AcceptAdmin,
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// New protocol fee in basis points (0..=10000)
    #[arg(long)]
    pub fee_bps: Option<u16>,
    /// New treasury wallet (its token accounts receive the fees)
    #[arg(long)]
    pub treasury: Option<Pubkey>,
    /// Stop new payments (claims never stop)
    #[arg(long, conflicts_with = "unpause")]
    pub pause: bool,
    /// Let payments through again
    #[arg(long)]
    pub unpause: bool,
    /// Propose this wallet as the next admin; it takes over with `config accept-admin`
    /// (proposing the current admin withdraws a proposal)
    #[arg(long, value_name = "WALLET")]
    pub propose_admin: Option<Pubkey>,
}

pub async fn execute(session: &Session, command: ConfigCommand) -> Result<()> {
    match command {
        ConfigCommand::Show => show(session).await,
        ConfigCommand::Update(args) => {
            let update = UpdateConfigArgs {
                admin: args.propose_admin,
                treasury: args.treasury,
                protocol_fee_bps: args.fee_bps,
                paused: match (args.pause, args.unpause) {
                    (true, _) => Some(true),
                    (_, true) => Some(false),
                    _ => None,
                },
            };
            anyhow::ensure!(
                update.admin.is_some()
                    || update.treasury.is_some()
                    || update.protocol_fee_bps.is_some()
                    || update.paused.is_some(),
                "nothing to change: give --fee-bps, --treasury, --pause, --unpause or --propose-admin"
            );
            let instruction =
                model_ledger_sdk::instructions::update_config(&session.wallet.pubkey(), update);
            let outcome = session.send(&[instruction], &[&session.wallet]).await?;
            if outcome.is_some() {
                show(session).await?;
            }
            Ok(())
        }
        ConfigCommand::AcceptAdmin => {
            let instruction =
                model_ledger_sdk::instructions::accept_admin(&session.wallet.pubkey());
            let outcome = session.send(&[instruction], &[&session.wallet]).await?;
            print_landed(
                session,
                &outcome,
                "The configuration's admin is now the wallet",
                serde_json::json!({ "admin": session.wallet.pubkey().to_string() }),
            );
            Ok(())
        }
    }
}

async fn show(session: &Session) -> Result<()> {
    let config = session.client.config().await.map_err(|error| match error {
        model_ledger_sdk::SdkError::AccountNotFound(_) => anyhow::anyhow!(
            "the protocol is not initialised on this cluster: its upgrade authority runs `init-config` first"
        ),
        other => other.into(),
    })?;
    let pending = config.pending_admin.map(|admin| admin.to_string());
    session.output.print(
        serde_json::json!({
            "config": pda::config().0.to_string(),
            "admin": config.admin.to_string(),
            "pending_admin": pending,
            "treasury": config.treasury.to_string(),
            "fee_bps": config.protocol_fee_bps,
            "paused": config.paused,
            "update_count": config.update_count,
        }),
        || {
            format!(
                "Protocol config {}\n  admin: {}{}\n  treasury: {}\n  fee: {} bps ({} %)\n  payments: {}",
                pda::config().0,
                config.admin,
                pending
                    .as_ref()
                    .map(|pending| format!(" (proposed next: {pending})"))
                    .unwrap_or_default(),
                config.treasury,
                config.protocol_fee_bps,
                f64::from(config.protocol_fee_bps) / 100.0,
                if config.paused { "paused (claims still run)" } else { "running" }
            )
        },
    );
    Ok(())
}
