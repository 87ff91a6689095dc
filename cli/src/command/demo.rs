//! The end-to-end demo on a fresh embedded chain: a base model, a fine-tune
//! derived from it, an adapter derived from the fine-tune; dozens of
//! contributors of every kind; two hosts metering a generated log of
//! inference calls with per-call attribution; settlement up the lineage;
//! every contributor claims; then the books are audited against the tokens.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::Instant,
};

use anchor_lang::solana_program::program_pack::Pack;

use anyhow::{ensure, Result};
use clap::Args;
use model_ledger::state::{ContributionKind, LicenseTerms};
use model_ledger_sdk::{
    client::LedgerConnection,
    instructions::{InitializeConfigArgs, ParentGrant, ProposeContributionArgs, RegisterModelArgs},
    merkle::CallRecord,
    meter::{InferenceMeter, MeteredGrant, Submission},
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::json;
use sha2::{Digest, Sha256};
use solana_sdk::{pubkey::Pubkey, signature::Keypair, signer::Signer};

mod datasets;

use super::sandbox::Sandbox;
use crate::output::{tokens, OutputFormat};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Inference calls to generate and meter
    #[arg(long, default_value_t = 100_000)]
    pub calls: u64,
    /// Most calls per batch
    #[arg(long, default_value_t = 1_000)]
    pub batch_calls: usize,
    /// Seed of the generated call log
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Directory the demo's chain is saved in, for the CLI, the indexer and
    /// the explorer to open (`--ledger DIR`); an earlier demo there is replaced
    #[arg(long, value_name = "DIR", default_value = ".model-ledger-demo")]
    pub save: PathBuf,
}

const DECIMALS: u8 = 6;
/// Every metering transaction has one signature: the meter key pays.
const FEE_PER_SIGNATURE: u64 = 5_000;

struct Contributor {
    name: String,
    wallet: Keypair,
    model: usize,
    index: u32,
    kind: ContributionKind,
    shares: u64,
    claimed: u64,
    /// Metered calls whose output the engine attributed to its data.
    used_in_calls: u64,
}

struct DemoModel {
    name: &'static str,
    authority: Keypair,
    address: Pubkey,
    parent: Option<usize>,
    terms: LicenseTerms,
}

struct Host {
    name: &'static str,
    wallet: Keypair,
    meter: Keypair,
    model: usize,
    grant: Pubkey,
    token: Pubkey,
    calls: u64,
}

fn terms(price: u64, fee: u64, royalty: u16) -> LicenseTerms {
    LicenseTerms {
        price_per_call: price,
        upfront_fee: fee,
        commercial_use: true,
        derivatives_allowed: true,
        attribution_required: true,
        transferable: false,
        derivative_royalty_bps: royalty,
        call_limit: 0,
        duration_seconds: 365 * 24 * 3600,
        terms_uri: "https://model-ledger.example/terms/commercial-v1".into(),
        terms_hash: [0x5a; 32],
    }
}

/// The demo's state as it goes: every actor and what each step left.
struct Demo<'a> {
    sandbox: &'a Sandbox,
    mint: Pubkey,
    treasury: Pubkey,
    rng: StdRng,
    output: OutputFormat,
    models: Vec<DemoModel>,
    contributors: Vec<Contributor>,
    hosts: Vec<Host>,
    workspace: datasets::Workspace,
    datasets: Vec<datasets::Dataset>,
}

/// What metering the call log cost.
struct Metering {
    batches: u64,
    seconds: f64,
    /// Compute units of each metering transaction (real ones when the
    /// chain runs the SBF binary).
    batch_units: Vec<u64>,
    /// Per host: its model's index hash and how well the engine found the
    /// passages its outputs quoted.
    attribution: Vec<serde_json::Value>,
}

pub async fn execute(args: DemoArgs, output: OutputFormat) -> Result<()> {
    ensure!(
        args.calls > 0 && args.batch_calls > 0,
        "calls and batch size must be positive"
    );
    let started = Instant::now();
    let sandbox = Sandbox::start_saved(&args.save, Keypair::new()).await?;
    let mut demo = Demo::open_protocol(&sandbox, args.seed, output).await?;
    demo.register_models().await?;
    demo.accept_contributors().await?;
    demo.write_datasets()?;
    demo.open_hosts(args.calls).await?;
    let metering = demo.meter_calls(args.batch_calls).await?;
    let unallocated = demo.settle_and_claim().await?;
    sandbox
        .save_as(
            &args.save,
            json!({ "demo": { "seed": args.seed, "calls": args.calls } }),
        )
        .await?;
    demo.report(&args, &metering, &unallocated, started).await
}

impl<'a> Demo<'a> {
    fn say(&self, line: String) {
        if self.output == OutputFormat::Human {
            eprintln!("{line}");
        }
    }

    fn token_account(&self, owner: &Pubkey) -> Pubkey {
        Sandbox::token_account(owner, &self.mint)
    }

    /// The deployer initialises the config (and is its admin); the payment
    /// mint and the treasury's token account are created.
    async fn open_protocol(
        sandbox: &'a Sandbox,
        seed: u64,
        output: OutputFormat,
    ) -> Result<Demo<'a>> {
        let client = &sandbox.client;
        let treasury = Keypair::new().pubkey();
        client
            .initialize_config(
                &sandbox.deployer,
                InitializeConfigArgs {
                    protocol_fee_bps: 250,
                    treasury,
                },
            )
            .await?;
        let mint = sandbox.create_mint(DECIMALS).await?;
        client
            .send(&[sandbox.create_token_account(&treasury, &mint)], &[])
            .await?;
        Ok(Demo {
            sandbox,
            mint,
            treasury,
            rng: StdRng::seed_from_u64(seed),
            output,
            models: Vec::new(),
            contributors: Vec::new(),
            hosts: Vec::new(),
            workspace: datasets::Workspace::create(seed)?,
            datasets: Vec::new(),
        })
    }

    /// SOL for rent and fees, a token account and `amount` tokens.
    async fn fund(&self, owner: Pubkey, amount: u64) -> Result<()> {
        let sandbox = self.sandbox;
        let instructions = [
            sandbox.send_sol(&owner, 2_000_000_000),
            sandbox.create_token_account(&owner, &self.mint),
            sandbox.mint_to(&self.mint, &owner, amount)?,
        ];
        sandbox.client.send(&instructions, &[]).await?;
        Ok(())
    }

    /// Three generations of models, each deriving from the one before
    /// under a grant, each with its licence.
    async fn register_models(&mut self) -> Result<()> {
        let client = &self.sandbox.client;
        self.models = vec![
            DemoModel {
                name: "atlas-base-7b",
                authority: Keypair::new(),
                address: Pubkey::default(),
                parent: None,
                terms: terms(200, 5_000_000, 1_000),
            },
            DemoModel {
                name: "atlas-chat-7b",
                authority: Keypair::new(),
                address: Pubkey::default(),
                parent: Some(0),
                terms: terms(500, 10_000_000, 1_500),
            },
            DemoModel {
                name: "atlas-med-lora",
                authority: Keypair::new(),
                address: Pubkey::default(),
                parent: Some(1),
                terms: terms(800, 20_000_000, 0),
            },
        ];
        for position in 0..self.models.len() {
            self.fund(self.models[position].authority.pubkey(), 100_000_000)
                .await?;
            let parents = match self.models[position].parent {
                Some(parent) => {
                    let parent_model = self.models[parent].address;
                    let (grant, _) = client
                        .acquire_grant(
                            &self.models[position].authority,
                            &parent_model,
                            1,
                            self.models[parent].terms.upfront_fee,
                            self.models[parent].terms.price_per_call,
                            &self.token_account(&self.models[position].authority.pubkey()),
                        )
                        .await?;
                    vec![ParentGrant {
                        model: parent_model,
                        grant,
                    }]
                }
                None => Vec::new(),
            };
            let model = &self.models[position];
            let id: [u8; 32] = sha(model.name);
            let (address, _) = client
                .register_derived_model(
                    &model.authority,
                    &self.mint,
                    RegisterModelArgs {
                        model_id: id,
                        name: model.name.into(),
                        metadata_uri: format!("ipfs://{}/model-card.json", model.name),
                        content_hash: sha(format!("{}-weights", model.name)),
                        attribution_bps: 4_000,
                    },
                    &parents,
                )
                .await?;
            self.models[position].address = address;
            client
                .publish_license(
                    &self.models[position].authority,
                    &address,
                    self.models[position].terms.clone(),
                    demo_ai_terms(),
                )
                .await?;
            self.say(format!(
                "registered {} ({address})",
                self.models[position].name
            ));
        }
        Ok(())
    }

    /// Contributors of every kind, each proposing and being accepted with
    /// random shares.
    async fn accept_contributors(&mut self) -> Result<()> {
        let client = &self.sandbox.client;
        let plan: [&[(ContributionKind, &str, usize)]; 3] = [
            &[
                (ContributionKind::BaseModel, "pretraining", 2),
                (ContributionKind::Dataset, "corpus", 12),
                (ContributionKind::Code, "trainer", 3),
                (ContributionKind::Evaluation, "eval", 3),
            ],
            &[
                (ContributionKind::FineTune, "sft", 3),
                (ContributionKind::Dataset, "dialogues", 10),
                (ContributionKind::Evaluation, "redteam", 3),
                (ContributionKind::Code, "rlhf", 2),
            ],
            &[
                (ContributionKind::Adapter, "lora", 2),
                (ContributionKind::Dataset, "clinical-notes", 8),
                (ContributionKind::Evaluation, "med-bench", 2),
                (ContributionKind::Other, "review-board", 2),
            ],
        ];
        for (model_position, groups) in plan.iter().enumerate() {
            for (kind, label, count) in groups.iter() {
                for n in 0..*count {
                    let wallet = Keypair::new();
                    client
                        .send(&[self.sandbox.send_sol(&wallet.pubkey(), 100_000_000)], &[])
                        .await?;
                    let model = self.models[model_position].address;
                    let name = format!("{label}-{}", n + 1);
                    let (index, _) = client
                        .propose_contribution(
                            &wallet,
                            &model,
                            ProposeContributionArgs {
                                kind: *kind,
                                content_hash: sha(&name),
                                uri: format!("ar://{}/{name}", self.models[model_position].name),
                            },
                        )
                        .await?;
                    let shares = self.rng.gen_range(100..=1_000);
                    client
                        .accept_contribution(
                            &self.models[model_position].authority,
                            &model,
                            index,
                            shares,
                        )
                        .await?;
                    self.contributors.push(Contributor {
                        name,
                        wallet,
                        model: model_position,
                        index,
                        kind: *kind,
                        shares,
                        claimed: 0,
                        used_in_calls: 0,
                    });
                }
            }
        }
        self.say(format!(
            "{} contributors accepted across {} models",
            self.contributors.len(),
            self.models.len()
        ));
        Ok(())
    }

    /// Every contribution's data: a generated text each, on disk.
    fn write_datasets(&mut self) -> Result<()> {
        let contributions: Vec<(usize, u32)> = self
            .contributors
            .iter()
            .map(|c| (c.model, c.index))
            .collect();
        self.datasets = datasets::write(&self.workspace.0, &contributions, &mut self.rng)?;
        Ok(())
    }

    /// Two hosts with grants and hot meter keys capped by an SPL approve;
    /// each of the `calls` goes to one of them (60 / 40).
    async fn open_hosts(&mut self, calls: u64) -> Result<()> {
        let client = &self.sandbox.client;
        let host_a_calls = (0..calls).filter(|_| self.rng.gen_bool(0.6)).count() as u64;
        for (name, model_position, host_calls) in [
            ("host-a (adapter)", 2usize, host_a_calls),
            ("host-b (chat)", 1usize, calls - host_a_calls),
        ] {
            let wallet = Keypair::new();
            let meter = Keypair::new();
            let model = &self.models[model_position];
            let budget = model.terms.upfront_fee + host_calls * model.terms.price_per_call;
            self.fund(wallet.pubkey(), budget).await?;
            client
                .send(
                    &[self.sandbox.send_sol(&meter.pubkey(), 1_000_000_000)],
                    &[],
                )
                .await?;
            let token = self.token_account(&wallet.pubkey());
            let (grant, _) = client
                .acquire_grant(
                    &wallet,
                    &model.address,
                    1,
                    model.terms.upfront_fee,
                    model.terms.price_per_call,
                    &token,
                )
                .await?;
            client
                .set_meter(&wallet, &grant, Some(meter.pubkey()))
                .await?;
            let approve = anchor_spl::token::spl_token::instruction::approve(
                &anchor_spl::token::ID,
                &token,
                &meter.pubkey(),
                &wallet.pubkey(),
                &[],
                budget,
            )?;
            client.send(&[approve], &[&wallet]).await?;
            self.hosts.push(Host {
                name,
                wallet,
                meter,
                model: model_position,
                grant,
                token,
                calls: host_calls,
            });
        }
        Ok(())
    }

    /// The call log, generated with per-call attribution and metered in
    /// batches by each host's meter key (the batch's only signer).
    async fn meter_calls(&mut self, batch_calls: usize) -> Result<Metering> {
        let metering_started = Instant::now();
        let mut batches = 0u64;
        let mut batch_units: Vec<u64> = Vec::new();
        let mut attribution_summary = Vec::new();
        for host in &self.hosts {
            // The host's outputs quote its model's datasets; the engine,
            // over the model's index, says whose data each one used.
            let (attributor, index_hash) =
                datasets::attributor(&self.workspace.0, host.model, &self.datasets)?;
            let outputs = datasets::outputs(&attributor, host.model, &self.datasets, &mut self.rng);
            let found = outputs
                .iter()
                .filter(|output| {
                    output
                        .attribution
                        .iter()
                        .map(|e| e.index)
                        .collect::<std::collections::BTreeSet<_>>()
                        == output.quoted
                })
                .count();
            attribution_summary.push(json!({
                "host": host.name, "model": self.models[host.model].name, "index_content_hash": index_hash,
                "outputs": outputs.len(), "outputs_attributed_to_exactly_what_they_quoted": found,
            }));
            let meter_client = self.sandbox.client_paid_by(&host.meter);
            let metered =
                MeteredGrant::resolve(&meter_client, &host.grant, Some(host.token)).await?;
            let mut meter = InferenceMeter::new(batch_calls);
            let mut seq = metered.next_seq;
            let mut generated = 0u64;
            while generated < host.calls || meter.pending() > 0 {
                while generated < host.calls && meter.pending() < batch_calls {
                    let output = &outputs[self.rng.gen_range(0..outputs.len())];
                    for entry in &output.attribution {
                        if let Some(contributor) = self
                            .contributors
                            .iter_mut()
                            .find(|c| c.model == host.model && c.index == entry.index)
                        {
                            contributor.used_in_calls += 1;
                        }
                    }
                    meter.push(CallRecord {
                        request_hash: self.rng.gen(),
                        output_hash: sha(&output.text),
                        attribution: output.attribution.clone(),
                    });
                    generated += 1;
                }
                let Some(batch) = meter.cut_batch() else {
                    break;
                };
                match InferenceMeter::submit(&meter_client, &host.meter, &metered, seq, &batch)
                    .await?
                {
                    Submission::Recorded(outcome) => batch_units.extend(outcome.compute_units),
                    Submission::AlreadyRecorded { seq } => {
                        anyhow::bail!("batch {seq} unexpectedly recorded twice")
                    }
                }
                seq += 1;
                batches += 1;
            }
            self.say(format!(
                "{} metered {} calls in {seq} batches",
                host.name, host.calls
            ));
        }
        Ok(Metering {
            batches,
            seconds: metering_started.elapsed().as_secs_f64(),
            batch_units,
            attribution: attribution_summary,
        })
    }

    /// Royalties flow up the lineage, every contributor claims, each
    /// authority withdraws what went unallocated, and the protocol fees are
    /// swept. Returns what each authority withdrew.
    async fn settle_and_claim(&mut self) -> Result<BTreeMap<&'static str, u64>> {
        let client = &self.sandbox.client;
        for (child, parent) in [(2usize, 1usize), (1, 0)] {
            client
                .settle_upstream(&self.models[child].address, &self.models[parent].address)
                .await?;
        }
        for contributor in &mut self.contributors {
            let model = self.models[contributor.model].address;
            let destination = Sandbox::token_account(&contributor.wallet.pubkey(), &self.mint);
            client
                .send(
                    &[self
                        .sandbox
                        .create_token_account(&contributor.wallet.pubkey(), &self.mint)],
                    &[],
                )
                .await?;
            let before = client.token_balance(&destination).await?;
            client
                .claim(&contributor.wallet, &model, contributor.index, &destination)
                .await?;
            contributor.claimed = client.token_balance(&destination).await? - before;
        }
        let mut unallocated = BTreeMap::new();
        for model in &self.models {
            let destination = self.token_account(&model.authority.pubkey());
            let before = client.token_balance(&destination).await?;
            client
                .claim_unallocated(&model.authority, &model.address, &destination)
                .await?;
            unallocated.insert(
                model.name,
                client.token_balance(&destination).await? - before,
            );
            // Payments book the protocol fee; anyone sweeps it to the treasury.
            client.collect_protocol_fees(&model.address).await?;
        }
        Ok(unallocated)
    }

    /// Audits every book against its vault and the whole token supply
    /// against what was paid in and out, then prints the report.
    async fn report(
        &self,
        args: &DemoArgs,
        metering: &Metering,
        unallocated: &BTreeMap<&'static str, u64>,
        started: Instant,
    ) -> Result<()> {
        let (client, models, contributors, hosts, mint, treasury, output) = (
            &self.sandbox.client,
            &self.models,
            &self.contributors,
            &self.hosts,
            self.mint,
            self.treasury,
            self.output,
        );
        let ata = |owner: &Pubkey| Sandbox::token_account(owner, &mint);
        let (batches, metering_seconds) = (metering.batches, metering.seconds);
        let mut batch_units = metering.batch_units.clone();
        let mut per_model = Vec::new();
        let mut all_balanced = true;
        for model in models {
            let audit = client.audit(&model.address).await?;
            all_balanced &= audit.balanced();
            let book = client.royalty_book(&model.address).await?;
            let claimed: u64 = contributors
                .iter()
                .filter(|c| {
                    c.model
                        == models
                            .iter()
                            .position(|m| m.address == model.address)
                            .unwrap()
                })
                .map(|c| c.claimed)
                .sum();
            per_model.push(json!({
                "model": model.name, "address": model.address.to_string(),
                "received": book.total_received(), "paid_out": book.total_paid_out(),
                "claimed_by_contributors": claimed, "vault_left": audit.vault_balance, "balanced": audit.balanced(),
                "unallocated_withdrawn": unallocated[model.name],
            }));
        }
        let supply = {
            let account = client.connection.get_account(&mint).await?.expect("mint");
            anchor_spl::token::spl_token::state::Mint::unpack_from_slice(&account.data)?.supply
        };
        let mut holders: Vec<Pubkey> = vec![treasury];
        holders.extend(models.iter().map(|m| m.authority.pubkey()));
        holders.extend(hosts.iter().map(|h| h.wallet.pubkey()));
        holders.extend(contributors.iter().map(|c| c.wallet.pubkey()));
        let mut held: u64 = 0;
        for owner in &holders {
            held += client.token_balance(&ata(owner)).await?;
        }
        let in_vaults: u64 = per_model
            .iter()
            .map(|m| m["vault_left"].as_u64().unwrap_or(0))
            .sum();
        let treasury_fees = client.token_balance(&ata(&treasury)).await?;
        let paid_in: u64 = hosts
            .iter()
            .map(|h| {
                models[h.model].terms.upfront_fee + h.calls * models[h.model].terms.price_per_call
            })
            .sum::<u64>()
            + models
                .iter()
                .filter_map(|m| m.parent.map(|p| models[p].terms.upfront_fee))
                .sum::<u64>();
        let paid_out: u64 = contributors.iter().map(|c| c.claimed).sum::<u64>()
            + unallocated.values().sum::<u64>()
            + treasury_fees;
        let conserved =
            all_balanced && held + in_vaults == supply && paid_in == paid_out + in_vaults;
        let fee_lamports = batches * FEE_PER_SIGNATURE;
        batch_units.sort_unstable();
        let units_median = batch_units.get(batch_units.len() / 2).copied();
        let units_max = batch_units.last().copied();
        let program = match model_ledger_sdk::embedded::ProgramBuild::from_env()? {
            model_ledger_sdk::embedded::ProgramBuild::Native => "native",
            model_ledger_sdk::embedded::ProgramBuild::Sbf(_) => "SBF binary in the VM",
        };
        let wall = started.elapsed().as_secs_f64();

        let lineage: Vec<_> = models
            .iter()
            .map(|m| json!({ "model": m.name, "address": m.address.to_string(), "parent": m.parent.map(|p| models[p].name), "royalty_to_parent_bps": m.parent.map(|p| models[p].terms.derivative_royalty_bps) }))
            .collect();
        let licences: Vec<_> = models.iter().map(|m| json!({ "model": m.name, "version": 1, "summary": super::license::summary(&m.terms, DECIMALS) })).collect();
        let table: Vec<_> = contributors
            .iter()
            .map(|c| json!({ "contributor": c.name, "model": models[c.model].name, "index": c.index, "kind": format!("{:?}", c.kind), "shares": c.shares, "used_in_calls": c.used_in_calls, "claimed": c.claimed }))
            .collect();
        let figures = json!({
            "calls": args.calls, "batches": batches, "metering_transactions": batches,
            "fee_lamports_per_call": fee_lamports as f64 / args.calls as f64,
            "metering_seconds": metering_seconds, "wall_seconds": wall, "contributors": contributors.len(),
            "program": program, "compute_units_per_batch": { "median": units_median, "max": units_max },
        });
        let report = json!({
            "lineage": lineage, "licences": licences, "contributors": table, "models": per_model,
            "totals": { "paid_in": paid_in, "paid_out": paid_out, "left_in_vaults": in_vaults, "treasury_fees": treasury_fees, "token_supply": supply, "held_in_wallets": held },
            "conserved": conserved, "figures": figures, "attribution": metering.attribution,
            "ledger": args.save.display().to_string(),
            "explore": explore_command(&args.save),
        });
        output.print(report, || {
            let mut text = String::from("\nAttribution (the open engine over each metered model's contributed texts)\n");
            for host in &metering.attribution {
                text.push_str(&format!(
                    "  {} on {}: {} of {} distinct outputs paid exactly the contributions they quoted; index {}\n",
                    host["host"].as_str().unwrap_or_default(),
                    host["model"].as_str().unwrap_or_default(),
                    host["outputs_attributed_to_exactly_what_they_quoted"],
                    host["outputs"],
                    host["index_content_hash"].as_str().unwrap_or_default(),
                ));
            }
            text.push_str("\nLineage\n");
            for (depth, model) in models.iter().enumerate() {
                let royalty = model.parent.map(|p| format!("  (pays {} bps to {})", models[p].terms.derivative_royalty_bps, models[p].name)).unwrap_or_default();
                text.push_str(&format!("  {}{}{}{royalty}\n", "   ".repeat(depth), if depth > 0 { "└─ " } else { "" }, model.name));
            }
            text.push_str("\nLicences (v1)\n");
            for model in models {
                text.push_str(&format!("  {:<15} {}\n", model.name, super::license::summary(&model.terms, DECIMALS)));
            }
            text.push_str("\nRoyalties per contributor (calls: metered calls whose output the engine attributed to its data)\n  contributor          model           kind        shares    calls       claimed\n");
            for c in contributors {
                text.push_str(&format!("  {:<20} {:<15} {:<11} {:>6} {:>8} {:>13}\n", c.name, models[c.model].name, format!("{:?}", c.kind), c.shares, c.used_in_calls, tokens(c.claimed, DECIMALS)));
            }
            text.push_str("\nPer model\n  model           received       paid out       to contributors  left in vault  balanced\n");
            for m in &per_model {
                text.push_str(&format!(
                    "  {:<15} {:>14} {:>14} {:>16} {:>14}  {}\n",
                    m["model"].as_str().unwrap_or(""),
                    tokens(m["received"].as_u64().unwrap_or(0), DECIMALS),
                    tokens(m["paid_out"].as_u64().unwrap_or(0), DECIMALS),
                    tokens(m["claimed_by_contributors"].as_u64().unwrap_or(0), DECIMALS),
                    tokens(m["vault_left"].as_u64().unwrap_or(0), DECIMALS),
                    if m["balanced"].as_bool() == Some(true) { "yes" } else { "NO" }
                ));
            }
            text.push_str(&format!(
                "\nTotals\n  paid in by hosts and derivers {}\n  paid out (contributors {}, authorities {}, protocol treasury {}) {}\n  left in vaults (sub-token remainders) {}\n  conservation: {}\n",
                tokens(paid_in, DECIMALS),
                tokens(contributors.iter().map(|c| c.claimed).sum::<u64>(), DECIMALS),
                tokens(unallocated.values().sum::<u64>(), DECIMALS),
                tokens(treasury_fees, DECIMALS),
                tokens(paid_out, DECIMALS),
                tokens(in_vaults, DECIMALS),
                if conserved { "every token unit accounted for" } else { "VIOLATED" }
            ));
            text.push_str(&format!(
                "\nFigures\n  calls {}\n  batches {batches} ({} transactions, one signer each)\n  fee {:.3} lamports per call\n  metering {:.2} s, wall time {:.2} s\n",
                args.calls,
                batches,
                fee_lamports as f64 / args.calls as f64,
                metering_seconds,
                wall
            ));
            match (program, units_median, units_max) {
                ("native", ..) => text.push_str("  compute units: the program ran natively (MODEL_LEDGER_SBF=target/deploy runs the SBF binary and shows them)\n"),
                (_, Some(median), Some(max)) => text.push_str(&format!(
                    "  compute units per metering transaction ({program}): median {median}, max {max}\n"
                )),
                _ => {}
            }
            text.push_str(&format!(
                "\nExplore it\n  the chain is saved in {}: index it and open the explorer with\n    {}\n  then browse http://127.0.0.1:8080 (lineage, licences, earnings, batches and their proofs)\n",
                args.save.display(),
                explore_command(&args.save)
            ));
            text
        });
        ensure!(conserved, "conservation check failed");
        Ok(())
    }
}

/// How to open the explorer on the demo's chain.
fn explore_command(ledger: &Path) -> String {
    format!(
        "cargo run -q -p model-ledger-cli -- --ledger {} serve",
        ledger.display()
    )
}

fn sha(text: impl AsRef<[u8]>) -> [u8; 32] {
    Sha256::digest(text).into()
}

/// The AI terms every licence of the demo's lineage publishes: generative
/// training only under the terms document's conditions, no military use
/// and no help with weapons, both carried to every derived model (which
/// the program holds each child's licence to).
fn demo_ai_terms() -> model_ledger_sdk::accounts::AiTerms {
    use model_ledger_sdk::accounts::{AiTerms, AiUse};
    let carried = 1 << 0 | 1 << 11;
    AiTerms {
        data_mining: AiUse::Allowed,
        ai_inference: AiUse::Allowed,
        ai_generative_training: AiUse::Constrained,
        ai_training: AiUse::Allowed,
        restrictions: carried,
        carried_restrictions: carried,
    }
}
