use anyhow::{Context, Result};
use clap::Subcommand;
use model_ledger_sdk::{
    client::associated_token,
    instructions::{self as ix, AcquireGrantArgs},
    pda,
};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

use super::print_landed;
use crate::{
    output::{date, tokens, with_ui_amounts, TokenAmount},
    session::Session,
};

#[derive(Subcommand, Debug)]
pub enum GrantCommand {
    /// Buy a grant on a licence version, paying its up-front fee
    Acquire {
        /// The licensed model
        model: Pubkey,
        /// Licence version to buy (`license show` describes it)
        version: u32,
        /// Refuse if the up-front fee is higher than this many tokens
        #[arg(long, value_name = "TOKENS", allow_negative_numbers = true)]
        max_fee: TokenAmount,
        /// Refuse if the price per call is higher than this many tokens
        #[arg(long, value_name = "TOKENS", allow_negative_numbers = true)]
        max_price: TokenAmount,
        /// Paying token account [default: the wallet's associated account]
        #[arg(long)]
        from: Option<Pubkey>,
    },
    /// Renew a grant on the same licence version: pay the up-front fee again for a new term
    Renew {
        /// The grant to renew (the wallet must hold it)
        grant: Pubkey,
        /// Refuse if the up-front fee is higher than this many tokens
        #[arg(long, value_name = "TOKENS", allow_negative_numbers = true)]
        max_fee: TokenAmount,
        /// Refuse if the price per call is higher than this many tokens
        #[arg(long, value_name = "TOKENS", allow_negative_numbers = true)]
        max_price: TokenAmount,
        /// Paying token account [default: the wallet's associated account]
        #[arg(long)]
        from: Option<Pubkey>,
    },
    /// Hand a grant to another wallet (only where its licence says transferable)
    Transfer {
        /// The grant to hand on (the wallet must hold it)
        grant: Pubkey,
        /// The wallet that takes the grant over
        #[arg(long)]
        to: Pubkey,
    },
    /// Name (or with no --meter, remove) the hot key that records inference
    SetMeter {
        /// The grant (the wallet must hold it)
        grant: Pubkey,
        /// The meter key's public address; omit to remove the meter
        #[arg(long)]
        meter: Option<Pubkey>,
    },
    /// Show a grant: terms, expiry, calls used, next batch number
    Show {
        /// The grant's address
        grant: Pubkey,
    },
}

pub async fn execute(session: &Session, command: GrantCommand) -> Result<()> {
    let me = session.wallet.pubkey();
    match command {
        GrantCommand::Acquire {
            model,
            version,
            max_fee,
            max_price,
            from,
        } => {
            let accounts = session.client.model_accounts(&model).await?;
            let decimals = session.model_decimals(&model).await?;
            let payer_token = from.unwrap_or_else(|| associated_token(&me, &accounts));
            let license = pda::license(&model, version).0;
            session.licence_of(&model, version).await?;
            let instruction = ix::acquire_grant(
                &me,
                &accounts,
                &license,
                &payer_token,
                AcquireGrantArgs {
                    expected_version: version,
                    max_fee: max_fee.base_units(decimals).context("--max-fee")?,
                    max_price_per_call: max_price.base_units(decimals).context("--max-price")?,
                },
            );
            let outcome = session.send(&[instruction], &[&session.wallet]).await?;
            print_landed(
                session,
                &outcome,
                "Grant acquired",
                serde_json::json!({ "grant": pda::grant(&license, &me).0.to_string(), "model": model.to_string(), "version": version }),
            );
        }
        GrantCommand::Renew {
            grant,
            max_fee,
            max_price,
            from,
        } => {
            let record = session.grant_at(&grant).await?;
            let accounts = session.client.model_accounts(&record.model).await?;
            let decimals = session.model_decimals(&record.model).await?;
            let payer_token = from.unwrap_or_else(|| associated_token(&me, &accounts));
            let instruction = ix::renew_grant(
                &me,
                &accounts,
                &record.license,
                &grant,
                &payer_token,
                AcquireGrantArgs {
                    expected_version: record.license_version,
                    max_fee: max_fee.base_units(decimals).context("--max-fee")?,
                    max_price_per_call: max_price.base_units(decimals).context("--max-price")?,
                },
            );
            let outcome = session.send(&[instruction], &[&session.wallet]).await?;
            print_landed(
                session,
                &outcome,
                "Grant renewed",
                serde_json::json!({ "grant": grant.to_string(), "version": record.license_version }),
            );
        }
        GrantCommand::Transfer { grant, to } => {
            let outcome = session
                .send(&[ix::transfer_grant(&me, &grant, &to)], &[&session.wallet])
                .await?;
            print_landed(
                session,
                &outcome,
                "Grant transferred",
                serde_json::json!({ "grant": grant.to_string(), "licensee": to.to_string() }),
            );
        }
        GrantCommand::SetMeter { grant, meter } => {
            let outcome = session
                .send(&[ix::set_meter(&me, &grant, meter)], &[&session.wallet])
                .await?;
            print_landed(
                session,
                &outcome,
                "Meter set",
                serde_json::json!({ "grant": grant.to_string(), "meter": meter.map(|key| key.to_string()) }),
            );
        }
        GrantCommand::Show { grant } => {
            let record = session.grant_at(&grant).await?;
            let decimals = session.model_decimals(&record.model).await?;
            let expires = record
                .expires_at
                .map(|at| format!("on {}", date(at)))
                .unwrap_or_else(|| "never".into());
            let limit = if record.call_limit == 0 {
                "unlimited".to_string()
            } else {
                record.call_limit.to_string()
            };
            session.output.print(
                with_ui_amounts(serde_json::json!({
                    "grant": grant.to_string(), "model": record.model.to_string(), "license": record.license.to_string(),
                    "license_version": record.license_version, "licensee": record.licensee.to_string(),
                    "meter": record.meter.map(|key| key.to_string()), "price_per_call": record.price_per_call,
                    "call_limit": record.call_limit, "calls_used": record.calls_used, "next_seq": record.next_seq,
                    "granted_at": record.granted_at, "granted_at_utc": date(record.granted_at),
                    "expires_at": record.expires_at, "expires_at_utc": record.expires_at.map(date),
                    "total_paid": record.total_paid,
                }), &["price_per_call", "total_paid"], decimals),
                || format!(
                    "Grant {grant}\n  licence v{} of {}\n  licensee {}  meter {}\n  {} tokens per call; calls used {} of {limit}; next batch #{}\n  granted on {}, expires {expires}; paid {} tokens",
                    record.license_version,
                    record.model,
                    record.licensee,
                    record.meter.map(|key| key.to_string()).unwrap_or_else(|| "none".into()),
                    tokens(record.price_per_call, decimals),
                    record.calls_used,
                    record.next_seq,
                    date(record.granted_at),
                    tokens(record.total_paid, decimals)
                ),
            );
        }
    }
    Ok(())
}
