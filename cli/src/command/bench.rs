//! Reruns the protocol's size and cost figures on a fresh embedded chain and
//! prints them as a table: `record_inference` by attribution length
//! (transaction bytes with one signer, accounts, native execution time per
//! batch), and the rent a contribution costs.
//!
//! Times are wall-clock time of the program running natively in the
//! in-process runtime, simulation and commit included: comparable between
//! runs on one machine, not compute units (a native builtin is charged 1 CU).

use std::time::Instant;

use anyhow::Result;
use clap::Args;
use model_ledger::state::{AttributionEntry, LicenseTerms, RoyaltyBook};
use model_ledger_sdk::{
    client::LedgerConnection,
    instructions::{
        self as ix, InitializeConfigArgs, ModelAccounts, ProposeContributionArgs,
        RecordInferenceArgs, RegisterModelArgs,
    },
    pda,
};
use serde_json::json;
use solana_sdk::{signature::Keypair, signer::Signer, transaction::Transaction};

use super::sandbox::Sandbox;
use crate::output::OutputFormat;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Batches recorded per attribution length
    #[arg(long, default_value_t = 50)]
    pub rounds: u32,
}

const LENGTHS: [u32; 6] = [0, 1, 10, 25, 50, 100];

pub async fn execute(args: BenchArgs, output: OutputFormat) -> Result<()> {
    anyhow::ensure!(args.rounds > 0, "rounds must be positive");
    let sandbox = Sandbox::start().await;
    let client = &sandbox.client;
    let admin = Keypair::new();
    let authority = Keypair::new();
    let host = Keypair::new();
    let sol = |to: &Keypair| sandbox.send_sol(&to.pubkey(), 10_000_000_000);
    client
        .send(&[sol(&admin), sol(&authority), sol(&host)], &[])
        .await?;
    client
        .initialize_config(
            &admin,
            InitializeConfigArgs {
                protocol_fee_bps: 250,
                treasury: admin.pubkey(),
            },
        )
        .await?;
    let mint = sandbox.create_mint(6).await?;
    let accounts = ModelAccounts {
        model: pda::model(&authority.pubkey(), &[1; 32]).0,
        payment_mint: mint,
        token_program: anchor_spl::token::ID,
    };
    let ata = |owner: &Keypair| Sandbox::token_account(&owner.pubkey(), &mint);
    client
        .send(
            &[
                sandbox.create_token_account(&admin.pubkey(), &mint),
                sandbox.create_token_account(&host.pubkey(), &mint),
                sandbox.mint_to(&mint, &host.pubkey(), u64::MAX / 2)?,
            ],
            &[],
        )
        .await?;
    client
        .register_model(
            &authority,
            &mint,
            RegisterModelArgs {
                model_id: [1; 32],
                name: "bench".into(),
                metadata_uri: String::new(),
                content_hash: [1; 32],
                attribution_bps: 5_000,
            },
        )
        .await?;
    let model = accounts.model;
    let contributor = Keypair::new();
    client.send(&[sol(&contributor)], &[]).await?;
    let contributions = *LENGTHS.iter().max().expect("lengths");
    for first in (0..contributions).step_by(10) {
        let proposals: Vec<_> = (first..first + 10)
            .map(|index| {
                ix::propose_contribution(
                    &contributor.pubkey(),
                    &model,
                    index,
                    ProposeContributionArgs {
                        kind: model_ledger::state::ContributionKind::Dataset,
                        content_hash: [2; 32],
                        uri: "ar://bench".into(),
                    },
                )
            })
            .collect();
        client.send(&proposals, &[&contributor]).await?;
        let acceptances: Vec<_> = (first..first + 10)
            .map(|index| ix::accept_contribution(&authority.pubkey(), &model, index, 100))
            .collect();
        client.send(&acceptances, &[&authority]).await?;
    }
    let terms = LicenseTerms {
        price_per_call: 1_000,
        upfront_fee: 0,
        commercial_use: true,
        derivatives_allowed: false,
        attribution_required: true,
        transferable: false,
        derivative_royalty_bps: 0,
        call_limit: 0,
        duration_seconds: 0,
        terms_uri: "https://terms.example".into(),
        terms_hash: [3; 32],
    };
    client.publish_license(&authority, &model, terms).await?;
    let (grant, _) = client
        .acquire_grant(&host, &model, 1, 0, 1_000, &ata(&host))
        .await?;

    // The host pays its own fees: one signer, as a metering server would.
    let host_client = sandbox.client_paid_by(&host);
    let mut rows = Vec::new();
    let mut seq = 0u64;
    for length in LENGTHS {
        let attribution: Vec<AttributionEntry> = (0..length)
            .map(|index| AttributionEntry {
                index,
                weight: 1 + (index % 9) as u16,
            })
            .collect();
        let mut total = std::time::Duration::ZERO;
        let mut bytes = 0;
        let mut accounts_used = 0;
        for _ in 0..args.rounds {
            let instruction = ix::record_inference(
                &host.pubkey(),
                &grant,
                &accounts,
                &ata(&host),
                &ata(&admin),
                RecordInferenceArgs {
                    seq,
                    calls: 1_000,
                    merkle_root: [seq as u8; 32],
                    attribution: attribution.clone(),
                },
            );
            let blockhash = host_client.connection.latest_blockhash().await?;
            let transaction = Transaction::new_signed_with_payer(
                &[instruction],
                Some(&host.pubkey()),
                &[&host],
                blockhash,
            );
            bytes = bincode::serialize(&transaction)?.len();
            accounts_used = transaction.message.account_keys.len();
            let started = Instant::now();
            host_client
                .connection
                .send_transaction(&transaction)
                .await?;
            total += started.elapsed();
            seq += 1;
        }
        rows.push((
            length,
            bytes,
            accounts_used,
            total.as_secs_f64() * 1e6 / f64::from(args.rounds),
        ));
    }
    let audit = client.audit(&model).await?;
    anyhow::ensure!(audit.balanced(), "the bench model's books do not balance");
    let contribution_rent = client
        .connection
        .get_account(&pda::contribution(&model, 0).0)
        .await?
        .map(|a| a.lamports)
        .unwrap_or(0);
    let rent = sandbox.rent().await?;
    let entry_rent = rent.minimum_balance(RoyaltyBook::space_for(contributions))
        - rent.minimum_balance(RoyaltyBook::space_for(contributions - 1));

    let json_rows: Vec<_> = rows
        .iter()
        .map(|(length, bytes, accounts, micros)| json!({ "attribution_entries": length, "transaction_bytes": bytes, "accounts": accounts, "micros_per_batch": micros }))
        .collect();
    output.print(
        json!({ "record_inference": json_rows, "rounds": args.rounds, "rent_per_contribution": { "record": contribution_rent, "book_entry": entry_rent, "total": contribution_rent + entry_rent } }),
        || {
            let mut text = format!("record_inference, {} batches of 1 000 calls per row (one signer, legacy transaction ≤ 1 232 bytes)\n", args.rounds);
            text.push_str("  entries  tx bytes  accounts  µs per batch (native)\n");
            for (length, bytes, accounts, micros) in &rows {
                text.push_str(&format!("  {length:>7}  {bytes:>8}  {accounts:>8}  {micros:>12.0}\n"));
            }
            text.push_str(&format!(
                "rent per contribution: record {contribution_rent} + book entry {entry_rent} = {} lamports",
                contribution_rent + entry_rent
            ));
            text
        },
    );
    Ok(())
}
