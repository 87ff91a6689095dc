//! Reruns the protocol's cost figures on a fresh embedded chain and prints
//! them as tables: the compute units of every instruction, `record_inference`
//! by attribution length (compute units, transaction bytes with one signer,
//! accounts, time per batch) and by the size of the model, and the rent a
//! contribution costs.
//!
//! Compute units are real only when the chain runs the SBF binary
//! (`MODEL_LEDGER_SBF=target/deploy`, built by `../shared/sbf/build-sbf`):
//! natively the program is a builtin charged 1 unit per instruction, and the
//! figures count only the SPL Token program's units. Times are wall-clock
//! time in the in-process runtime (simulation and commit): comparable between
//! runs on one machine.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use model_ledger::state::{
    AttributionEntry, ContributionKind, LicenseTerms, ProposalPolicy, RoyaltyBook,
};
use model_ledger_sdk::{
    client::{ComputeBudget, LedgerClient, LedgerConnection, TransactionOutcome},
    embedded::{ProgramBuild, TokenProgram},
    instructions::{
        self as ix, AcquireGrantArgs, InitializeConfigArgs, ModelAccounts, ParentGrant,
        ProposeContributionArgs, RecordInferenceArgs, RegisterModelArgs, UpdateConfigArgs,
    },
    pda,
};
use serde_json::json;
use solana_sdk::{pubkey::Pubkey, signature::Keypair, signer::Signer, transaction::Transaction};

use super::sandbox::Sandbox;
use crate::{embedded::RecordingConnection, output::OutputFormat};

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Batches recorded per attribution length
    #[arg(long, default_value_t = 20)]
    pub rounds: u32,
    /// Contributions of the large model that `record_inference` is compared on
    #[arg(long, default_value_t = 10_000)]
    pub large_contributions: u32,
    /// Save the bench's chain in this directory (a ledger for `--ledger DIR`:
    /// the explorer's benchmark serves its large model)
    #[arg(long, value_name = "DIR")]
    pub save: Option<std::path::PathBuf>,
}

const LENGTHS: [u32; 6] = [0, 1, 10, 25, 50, 100];
const SMALL_CONTRIBUTIONS: u32 = 10;

/// A batch's payment: `calls` calls at `price` base units each. Costs depend
/// on the amount: the royalty arithmetic works in 1/10^12 token, so past
/// about 2 × 10^7 base units its 128-bit values no longer fit 64 bits.
#[derive(Clone, Copy, Debug)]
pub struct PaymentSize {
    pub name: &'static str,
    pub calls: u64,
    pub price: u64,
}

/// Small (what a metering server records for cheap calls: 100 calls at one
/// base unit, as `.ci/validator-sessions` records on a real validator),
/// medium, and large (10 000 tokens of a 6-decimal mint per batch).
pub const PAYMENTS: [PaymentSize; 3] = [
    PaymentSize {
        name: "small",
        calls: 100,
        price: 1,
    },
    PaymentSize {
        name: "medium",
        calls: 1_000,
        price: 1_000,
    },
    PaymentSize {
        name: "large",
        calls: 1_000,
        price: 10_000_000,
    },
];

/// The attribution the bench records with `entries` entries over
/// `contributions` contributions: spread evenly, weights 1 to 9.
pub fn bench_attribution(entries: u32, contributions: u32) -> Vec<AttributionEntry> {
    let stride = (contributions / entries.max(1)).max(1);
    (0..entries)
        .map(|n| AttributionEntry {
            index: (n * stride).min(contributions - 1),
            weight: 1 + (n % 9) as u16,
        })
        .collect()
}

/// One instruction's figure: its name and the compute units its transaction
/// (that instruction alone, no compute-budget instructions) consumed.
struct Row {
    instruction: String,
    compute_units: Option<u64>,
    /// For an instruction that creates a PDA: the bumps its address search
    /// tried (1 500 units each), which depend on the key bytes alone.
    bump_tries: Option<u8>,
}

/// One `record_inference` series.
struct Series {
    label: String,
    payment: PaymentSize,
    entries: u32,
    bytes: usize,
    accounts: usize,
    median_units: Option<u64>,
    max_units: Option<u64>,
    micros_per_batch: f64,
}

fn units(outcome: &TransactionOutcome) -> Option<u64> {
    outcome.compute_units
}

fn median(mut values: Vec<u64>) -> Option<u64> {
    values.sort_unstable();
    values.get(values.len() / 2).copied()
}

/// The `n`th key of the bench. Every key the measured transactions carry
/// is drawn from this fixed sequence, so the figures repeat exactly from run
/// to run: some costs depend on key bytes (a comparison of two different
/// keys stops at the first byte that differs), which random keys would turn
/// into jitter of a few units.
fn bench_key(n: u64) -> Keypair {
    let mut seed = [7u8; 32];
    seed[..8].copy_from_slice(&n.to_le_bytes());
    Keypair::new_from_array(seed)
}

/// A model for the bench: its authority, a funded contributor, and helpers.
struct Bench<'a> {
    sandbox: &'a Sandbox,
    client: &'a LedgerClient<RecordingConnection>,
    mint: Pubkey,
    rows: Vec<Row>,
    /// The next [`bench_key`] to hand out.
    next_key: std::cell::Cell<u64>,
}

impl Bench<'_> {
    fn key(&self) -> Keypair {
        let n = self.next_key.get();
        self.next_key.set(n + 1);
        bench_key(n)
    }

    fn note(&mut self, instruction: &str, outcome: &TransactionOutcome) {
        self.rows.push(Row {
            instruction: instruction.into(),
            compute_units: units(outcome),
            bump_tries: None,
        });
    }

    /// [`Self::note`] for an instruction whose cost includes finding the
    /// canonical bump of the PDA it created (`bump`).
    fn note_created(&mut self, instruction: &str, outcome: &TransactionOutcome, bump: u8) {
        self.note(instruction, outcome);
        if let Some(row) = self.rows.last_mut() {
            row.bump_tries = Some(u8::MAX - bump + 1);
        }
    }

    async fn wallet(&self) -> Result<Keypair> {
        let wallet = self.key();
        self.client
            .send(
                &[self.sandbox.send_sol(&wallet.pubkey(), 1_000_000_000_000)],
                &[],
            )
            .await?;
        Ok(wallet)
    }

    /// A wallet with a token account holding plenty of the mint.
    async fn funded_wallet(&self) -> Result<Keypair> {
        let wallet = self.wallet().await?;
        self.client
            .send(
                &[
                    self.sandbox
                        .create_token_account(&wallet.pubkey(), &self.mint),
                    self.sandbox
                        .mint_to(&self.mint, &wallet.pubkey(), u64::MAX / 8)?,
                ],
                &[],
            )
            .await?;
        Ok(wallet)
    }

    fn token(&self, owner: &Keypair) -> Pubkey {
        Sandbox::token_account(&owner.pubkey(), &self.mint)
    }

    fn model_args(id: u8) -> RegisterModelArgs {
        RegisterModelArgs {
            model_id: [id; 32],
            name: format!("bench-{id}"),
            metadata_uri: "ipfs://bench".into(),
            content_hash: [id; 32],
            attribution_bps: 5_000,
        }
    }

    fn proposal() -> ProposeContributionArgs {
        ProposeContributionArgs {
            kind: ContributionKind::Dataset,
            content_hash: [2; 32],
            uri: "ar://bench".into(),
        }
    }

    /// `count` accepted contributions (100 shares each) on `model`, proposed
    /// ten and accepted twenty per transaction.
    async fn contributions(&self, authority: &Keypair, model: &Pubkey, count: u32) -> Result<()> {
        let contributor = self.wallet().await?;
        let first = self.client.next_contribution_index(model).await?;
        let indices: Vec<u32> = (first..first + count).collect();
        for chunk in indices.chunks(10) {
            let proposals: Vec<_> = chunk
                .iter()
                .map(|index| {
                    ix::propose_contribution(&contributor.pubkey(), model, *index, Self::proposal())
                })
                .collect();
            self.client.send(&proposals, &[&contributor]).await?;
        }
        for chunk in indices.chunks(20) {
            let acceptances: Vec<_> = chunk
                .iter()
                .map(|index| ix::accept_contribution(&authority.pubkey(), model, *index, 100))
                .collect();
            self.client.send(&acceptances, &[authority]).await?;
        }
        Ok(())
    }

    /// Model `id` with `contributions` accepted contributions, a licence per
    /// payment size priced at its `price`, and `host`'s grant on each:
    /// `(model, grants in the order of PAYMENTS, accounts)`.
    async fn licensed_model(
        &self,
        id: u8,
        contributions: u32,
        host: &Keypair,
    ) -> Result<(Pubkey, Vec<Pubkey>, ModelAccounts)> {
        let owner = self.funded_wallet().await?;
        let (model, _) = self
            .client
            .register_model(&owner, &self.mint, Self::model_args(id))
            .await?;
        self.contributions(&owner, &model, contributions).await?;
        let mut grants = Vec::new();
        for payment in PAYMENTS {
            let terms = LicenseTerms {
                price_per_call: payment.price,
                ..Self::terms(false)
            };
            let (version, _) = self
                .client
                .publish_license(&owner, &model, terms, Bench::ai())
                .await?;
            let (grant, _) = self
                .client
                .acquire_grant(
                    host,
                    &model,
                    version,
                    10_000,
                    payment.price,
                    &self.token(host),
                )
                .await?;
            grants.push(grant);
        }
        Ok((model, grants, self.client.model_accounts(&model).await?))
    }

    /// AI terms as a real licence states them: every use, two restrictions
    /// carried to derivatives.
    fn ai() -> model_ledger_sdk::accounts::AiTerms {
        use model_ledger_sdk::accounts::{AiTerms, AiUse};
        AiTerms {
            data_mining: AiUse::Allowed,
            ai_inference: AiUse::Allowed,
            ai_generative_training: AiUse::Constrained,
            ai_training: AiUse::Allowed,
            restrictions: 0b11,
            carried_restrictions: 0b11,
        }
    }

    fn terms(derivatives: bool) -> LicenseTerms {
        LicenseTerms {
            price_per_call: 1_000,
            upfront_fee: 10_000,
            commercial_use: true,
            derivatives_allowed: derivatives,
            // The bench records batches without attribution too.
            attribution_required: false,
            transferable: true,
            derivative_royalty_bps: if derivatives { 1_000 } else { 0 },
            call_limit: 0,
            duration_seconds: 0,
            terms_uri: "https://terms.example".into(),
            terms_hash: [3; 32],
        }
    }

    /// Records `rounds` batches of `payment` attributing `entries`
    /// contributions spread over `0..contributions`, the host paying its own
    /// fees (one signer, as a metering server would).
    #[allow(clippy::too_many_arguments)]
    async fn series(
        &self,
        label: &str,
        host: &Keypair,
        grant: &Pubkey,
        accounts: &ModelAccounts,
        contributions: u32,
        entries: u32,
        payment: PaymentSize,
        rounds: u32,
    ) -> Result<Series> {
        let host_client = self.sandbox.client_paid_by(host);
        let attribution = bench_attribution(entries, contributions);
        let mut seq = self.client.grant(grant).await?.next_seq;
        let mut spent = Duration::ZERO;
        let mut consumed = Vec::new();
        let (mut bytes, mut accounts_used) = (0, 0);
        for _ in 0..rounds {
            let instruction = ix::record_inference(
                &host.pubkey(),
                grant,
                accounts,
                &self.token(host),
                RecordInferenceArgs {
                    seq,
                    calls: payment.calls,
                    merkle_root: [seq as u8; 32],
                    attribution: attribution.clone(),
                },
            );
            let blockhash = host_client.connection.latest_blockhash().await?;
            let transaction = Transaction::new_signed_with_payer(
                &[instruction],
                Some(&host.pubkey()),
                &[host],
                blockhash,
            );
            bytes = bincode::serialize(&transaction)?.len();
            accounts_used = transaction.message.account_keys.len();
            let started = Instant::now();
            let outcome = host_client
                .connection
                .send_transaction(&transaction)
                .await
                .with_context(|| format!("record_inference with {entries} entries ({label})"))?;
            spent += started.elapsed();
            consumed.extend(units(&outcome));
            seq += 1;
        }
        Ok(Series {
            label: label.into(),
            payment,
            entries,
            bytes,
            accounts: accounts_used,
            max_units: consumed.iter().max().copied(),
            median_units: median(consumed),
            micros_per_batch: spent.as_secs_f64() * 1e6 / f64::from(rounds),
        })
    }
}

pub async fn execute(args: BenchArgs, output: OutputFormat) -> Result<()> {
    anyhow::ensure!(args.rounds > 0, "--rounds must be positive");
    anyhow::ensure!(
        args.large_contributions >= SMALL_CONTRIBUTIONS,
        "--large-contributions must be at least {SMALL_CONTRIBUTIONS}"
    );
    let build = ProgramBuild::from_env()?;
    let mut sandbox = match &args.save {
        Some(dir) => Sandbox::start_saved(dir, bench_key(0)).await?,
        None => Sandbox::start_with_deployer(bench_key(0)).await?,
    };
    // Each figure is one instruction's own: no compute-budget instructions.
    sandbox.client.compute_budget = ComputeBudget {
        limit_from_simulation: false,
        ..ComputeBudget::default()
    };
    let sandbox = sandbox;
    let client = &sandbox.client;
    let mint = sandbox.create_mint_at(bench_key(1), 6).await?;
    let mut bench = Bench {
        sandbox: &sandbox,
        client,
        mint,
        rows: Vec::new(),
        next_key: std::cell::Cell::new(2),
    };

    // Protocol.
    let admin = &sandbox.deployer;
    let outcome = client
        .initialize_config(
            admin,
            InitializeConfigArgs {
                protocol_fee_bps: 250,
                treasury: admin.pubkey(),
            },
        )
        .await?;
    bench.note("initialize_config", &outcome);
    client
        .send(&[sandbox.create_token_account(&admin.pubkey(), &mint)], &[])
        .await?;
    let outcome = client
        .update_config(
            admin,
            UpdateConfigArgs {
                protocol_fee_bps: Some(200),
                ..Default::default()
            },
        )
        .await?;
    bench.note("update_config", &outcome);

    // A base model with its contributions and a licence.
    let authority = bench.funded_wallet().await?;
    let (base, outcome) = client
        .register_model(&authority, &mint, Bench::model_args(1))
        .await?;
    bench.note("register_model (no parents)", &outcome);
    let contributor = bench.wallet().await?;
    let (index, outcome) = client
        .propose_contribution(&contributor, &base, Bench::proposal())
        .await?;
    bench.note_created(
        "propose_contribution",
        &outcome,
        pda::contribution(&base, index).1,
    );
    let outcome = client
        .accept_contribution(&authority, &base, index, 100)
        .await?;
    bench.note("accept_contribution", &outcome);
    let payee = bench.wallet().await?;
    let outcome = client
        .set_payout_wallet(
            &contributor,
            &pda::contribution(&base, index).0,
            payee.pubkey(),
        )
        .await?;
    bench.note("set_payout_wallet", &outcome);
    let (rejected, _) = client
        .propose_contribution(&contributor, &base, Bench::proposal())
        .await?;
    let outcome = client
        .reject_contribution(&authority, &base, rejected)
        .await?;
    bench.note("reject_contribution", &outcome);
    let outcome = client
        .send(
            &[ix::close_contribution(
                &contributor.pubkey(),
                &base,
                rejected,
            )],
            &[&contributor],
        )
        .await?;
    bench.note("close_contribution", &outcome);
    bench
        .contributions(&authority, &base, SMALL_CONTRIBUTIONS - 1)
        .await?;
    let (version, outcome) = client
        .publish_license(&authority, &base, Bench::terms(true), Bench::ai())
        .await?;
    bench.note("publish_license", &outcome);
    let (retired, _) = client
        .publish_license(&authority, &base, Bench::terms(false), Bench::ai())
        .await?;
    let outcome = client.retire_license(&authority, &base, retired).await?;
    bench.note("retire_license", &outcome);

    // A host on the base model.
    let host = bench.funded_wallet().await?;
    let (grant, outcome) = client
        .acquire_grant(&host, &base, version, 10_000, 1_000, &bench.token(&host))
        .await?;
    bench.note_created(
        "acquire_grant",
        &outcome,
        pda::grant(&pda::license(&base, version).0, &host.pubkey()).1,
    );
    let meter = bench.key();
    let outcome = client
        .set_meter(&host, &grant, Some(meter.pubkey()))
        .await?;
    bench.note("set_meter", &outcome);
    client.set_meter(&host, &grant, None).await?;
    let base_accounts = client.model_accounts(&base).await?;
    let license = pda::license(&base, version).0;
    let renewal = ix::renew_grant(
        &host.pubkey(),
        &base_accounts,
        &license,
        &grant,
        &bench.token(&host),
        AcquireGrantArgs {
            expected_version: version,
            max_fee: 10_000,
            max_price_per_call: 1_000,
        },
    );
    let outcome = client.send(&[renewal], &[&host]).await?;
    bench.note("renew_grant", &outcome);
    // A second host buys a grant and hands it on (the licence is transferable).
    let seller = bench.funded_wallet().await?;
    let (sold, _) = client
        .acquire_grant(
            &seller,
            &base,
            version,
            10_000,
            1_000,
            &bench.token(&seller),
        )
        .await?;
    let outcome = client
        .send(
            &[ix::transfer_grant(
                &seller.pubkey(),
                &sold,
                &bench.key().pubkey(),
            )],
            &[&seller],
        )
        .await?;
    bench.note("transfer_grant", &outcome);
    // Tokens sent straight to the vault, then booked as a payment.
    let donation = anchor_spl::token::spl_token::instruction::transfer(
        &anchor_spl::token::ID,
        &bench.token(&host),
        &base_accounts.vault(),
        &host.pubkey(),
        &[],
        5_000,
    )?;
    client.send(&[donation], &[&host]).await?;
    let outcome = client.book_surplus(&base).await?;
    bench.note("book_surplus", &outcome);

    // A derived model paying its parent, then settlement and claims.
    let deriver = bench.funded_wallet().await?;
    let (parent_grant, _) = client
        .acquire_grant(
            &deriver,
            &base,
            version,
            10_000,
            1_000,
            &bench.token(&deriver),
        )
        .await?;
    let (child, outcome) = client
        .register_derived_model(
            &deriver,
            &mint,
            Bench::model_args(2),
            &[ParentGrant {
                model: base,
                grant: parent_grant,
            }],
        )
        .await?;
    bench.note("register_model (one parent)", &outcome);
    client
        .publish_license(&deriver, &child, Bench::terms(false), Bench::ai())
        .await?;
    let (child_grant, _) = client
        .acquire_grant(&host, &child, 1, 10_000, 1_000, &bench.token(&host))
        .await?;
    let outcome = client
        .record_inference(
            &host,
            &child_grant,
            &bench.token(&host),
            0,
            1_000,
            [1; 32],
            Vec::new(),
        )
        .await?;
    bench.note("record_inference (no entries, one parent)", &outcome);
    let outcome = client.settle_upstream(&child, &base).await?;
    bench.note("settle_upstream", &outcome);
    let payout = bench.token(&payee);
    client
        .send(&[sandbox.create_token_account(&payee.pubkey(), &mint)], &[])
        .await?;
    let outcome = client.claim(&payee, &base, index, &payout).await?;
    bench.note("claim", &outcome);
    let outcome = client
        .claim_unallocated(&deriver, &child, &bench.token(&deriver))
        .await?;
    bench.note("claim_unallocated", &outcome);
    let sweep = ix::collect_protocol_fees(
        &client.model_accounts(&child).await?,
        &bench.token(&sandbox.deployer),
    );
    let outcome = client.send(&[sweep], &[]).await?;
    bench.note("collect_protocol_fees", &outcome);
    let outcome = client.revoke_contribution(&authority, &base, index).await?;
    bench.note("revoke_contribution", &outcome);
    let outcome = client
        .send(
            &[ix::extend_royalty_book(&authority.pubkey(), &base, 16)],
            &[&authority],
        )
        .await?;
    bench.note("extend_royalty_book (16 entries)", &outcome);
    let successor = bench.wallet().await?;
    let outcome = client
        .transfer_model_authority(&deriver, &child, Some(successor.pubkey()))
        .await?;
    bench.note("transfer_model_authority", &outcome);
    let outcome = client.accept_model_authority(&successor, &child).await?;
    bench.note("accept_model_authority", &outcome);
    let guest = bench.wallet().await?;
    for (name, instruction) in [
        (
            "set_proposal_policy",
            ix::set_proposal_policy(&authority.pubkey(), &base, ProposalPolicy::AllowListed),
        ),
        (
            "allow_proposer",
            ix::allow_proposer(&authority.pubkey(), &base, &guest.pubkey()),
        ),
        (
            "disallow_proposer",
            ix::disallow_proposer(&authority.pubkey(), &base, &guest.pubkey()),
        ),
    ] {
        let outcome = client.send(&[instruction], &[&authority]).await?;
        bench.note(name, &outcome);
    }
    let next_admin = bench.funded_wallet().await?;
    client
        .update_config(
            admin,
            UpdateConfigArgs {
                admin: Some(next_admin.pubkey()),
                ..Default::default()
            },
        )
        .await?;
    let outcome = client.accept_admin(&next_admin).await?;
    bench.note("accept_admin", &outcome);

    // record_inference by attribution length and payment size, on a model
    // of 100 contributions.
    let widest = *LENGTHS.iter().max().expect("lengths");
    let (wide, wide_grants, wide_accounts) = bench.licensed_model(3, widest, &host).await?;
    let mut series = Vec::new();
    for (payment, grant) in PAYMENTS.into_iter().zip(&wide_grants) {
        for entries in LENGTHS {
            series.push(
                bench
                    .series(
                        &format!("{widest} contributions"),
                        &host,
                        grant,
                        &wide_accounts,
                        widest,
                        entries,
                        payment,
                        args.rounds,
                    )
                    .await?,
            );
        }
    }

    // The same batch on a small and on a large model: the cost must not grow.
    let medium = PAYMENTS[1];
    let mut scale = Vec::new();
    let mut sized = Vec::new();
    for (id, contributions) in [(4, SMALL_CONTRIBUTIONS), (5, args.large_contributions)] {
        let (model, grants, accounts) = bench.licensed_model(id, contributions, &host).await?;
        sized.push(model);
        let label = format!("{contributions} contributions");
        for entries in [1, 10] {
            scale.push(
                bench
                    .series(
                        &label,
                        &host,
                        &grants[1],
                        &accounts,
                        contributions,
                        entries,
                        medium,
                        args.rounds,
                    )
                    .await?,
            );
        }
    }

    for model in [base, child, wide].into_iter().chain(sized) {
        anyhow::ensure!(
            client.audit(&model).await?.balanced(),
            "the bench model {model}'s books do not balance"
        );
    }
    let contribution_rent = client
        .connection
        .get_account(&pda::contribution(&base, 0).0)
        .await?
        .map(|account| account.lamports)
        .unwrap_or(0);
    let rent = sandbox.rent().await?;
    let entry_rent = rent.minimum_balance(RoyaltyBook::space_for(widest))
        - rent.minimum_balance(RoyaltyBook::space_for(widest - 1));

    let program = match &build {
        ProgramBuild::Native => "native (compute units count only the token program's: run with MODEL_LEDGER_SBF for the VM's)".to_string(),
        ProgramBuild::Sbf(path) => format!("SBF binary {} in the VM", path.display()),
    };
    let program = format!(
        "{program}; token program: {}",
        TokenProgram::from_env()?.name()
    );
    print(
        output,
        &program,
        args.rounds,
        &bench.rows,
        &series,
        &scale,
        (contribution_rent, entry_rent),
    );
    if let Some(dir) = &args.save {
        sandbox
            .save_as(dir, json!({ "bench": { "rounds": args.rounds, "large_contributions": args.large_contributions } }))
            .await?;
    }
    Ok(())
}

fn cell(units: Option<u64>) -> String {
    units.map_or_else(|| "-".into(), |units| units.to_string())
}

fn print(
    output: OutputFormat,
    program: &str,
    rounds: u32,
    rows: &[Row],
    series: &[Series],
    scale: &[Series],
    (contribution_rent, entry_rent): (u64, u64),
) {
    let series_json = |series: &[Series]| -> Vec<serde_json::Value> {
        series
            .iter()
            .map(|s| {
                json!({
                    "model": s.label,
                    "payment": s.payment.name,
                    "calls": s.payment.calls,
                    "price_per_call": s.payment.price,
                    "attribution_entries": s.entries,
                    "compute_units_median": s.median_units,
                    "compute_units_max": s.max_units,
                    "transaction_bytes": s.bytes,
                    "accounts": s.accounts,
                    "micros_per_batch": s.micros_per_batch,
                })
            })
            .collect()
    };
    let instructions: Vec<_> = rows
        .iter()
        .map(|row| json!({ "instruction": row.instruction, "compute_units": row.compute_units, "bump_tries": row.bump_tries }))
        .collect();
    output.print(
        json!({
            "program": program,
            "rounds": rounds,
            "instructions": instructions,
            "record_inference": series_json(series),
            "record_inference_by_model_size": series_json(scale),
            "rent_per_contribution": {
                "record": contribution_rent,
                "book_entry": entry_rent,
                "total": contribution_rent + entry_rent,
            },
        }),
        || {
            let mut text = format!("program: {program}\n\n");
            text.push_str("| instruction | compute units | new PDA: bump tries |\n|---|---:|---:|\n");
            for row in rows {
                text.push_str(&format!(
                    "| {} | {} | {} |\n",
                    row.instruction,
                    cell(row.compute_units),
                    row.bump_tries.map(|tries| tries.to_string()).unwrap_or_default()
                ));
            }
            let table = |title: &str, series: &[Series]| {
                let mut text = format!(
                    "\n{title} ({rounds} batches per row, one signer)\n\n\
                     | model | payment (calls × price) | entries | CU median | CU max | tx bytes | accounts | µs per batch |\n\
                     |---|---|---:|---:|---:|---:|---:|---:|\n"
                );
                for s in series {
                    text.push_str(&format!(
                        "| {} | {} ({} × {}) | {} | {} | {} | {} | {} | {:.0} |\n",
                        s.label,
                        s.payment.name,
                        s.payment.calls,
                        s.payment.price,
                        s.entries,
                        cell(s.median_units),
                        cell(s.max_units),
                        s.bytes,
                        s.accounts,
                        s.micros_per_batch
                    ));
                }
                text
            };
            text.push_str(&table("record_inference by attribution length", series));
            text.push_str(&table("record_inference by model size", scale));
            text.push_str(&format!(
                "\nrent per contribution: record {contribution_rent} + book entry {entry_rent} = {} lamports",
                contribution_rent + entry_rent
            ));
            text
        },
    );
}
