//! A seeded random sequence of thousands of instructions across a
//! three-generation lineage (grandparent → parent → child), with several
//! grants, a meter, new contributions, revocations, settlements and claims.
//! After every instruction the books must account for every token unit in
//! the real vaults, and the token supply must sit, whole, in known accounts.
//! After every step, indexes that follow the chain (SQLite, and PostgreSQL
//! when a server is named), fed only the events of the step's transactions,
//! must hold every book, entry, contribution, licence and grant exactly as
//! the chain does (`model_ledger_indexer::verify_accounts`); at the end, an
//! index of the whole history must also equal its rebuild row for row
//! (`model_ledger_indexer::verify`).
//!
//! Every run replays the regression seeds (sequences that once failed) and
//! one new random seed. Set CONSERVATION_SEED to replay a failure (the seed
//! is printed when the test fails) and CONSERVATION_STEPS to change the
//! length of the random sequence.

use std::collections::BTreeMap;

use model_ledger::state::AttributionEntry;
use model_ledger_sdk::{client::TransactionOutcome, SdkError};
use model_ledger_tests::{commercial_terms, pda, FollowingIndexes, Market, TestLedger};
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};
use solana_sdk::{pubkey::Pubkey, signature::Keypair, signer::Signer};

/// Prints the seed if the test panics, so the sequence can be replayed.
struct SeedReport(u64);

impl Drop for SeedReport {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "conservation sequence failed; replay with CONSERVATION_SEED={}",
                self.0
            );
        }
    }
}

/// One model of the lineage as the sequence sees it.
struct Node {
    market: Market,
    /// (payout wallet, index, accepted?) of every contribution.
    contributions: Vec<(Keypair, u32, bool)>,
    parents: Vec<Pubkey>,
    next_seq: u64,
    meter: Option<Keypair>,
}

struct Sequence<'a> {
    ledger: &'a TestLedger,
    nodes: Vec<Node>,
    /// Token accounts that together must hold the whole supply.
    known_token_accounts: Vec<Pubkey>,
    instructions: usize,
    /// Refusals by error name.
    refused: BTreeMap<String, usize>,
}

impl Sequence<'_> {
    fn observe(&mut self, outcome: Result<TransactionOutcome, SdkError>) -> bool {
        self.instructions += 1;
        match outcome {
            Ok(_) => true,
            Err(error) => {
                // Refusals are part of the sequence (e.g. an exhausted
                // attribution); they must leave everything unchanged, which
                // the conservation check after each step confirms.
                let name = error
                    .ledger_error()
                    .map(|error| error.name())
                    .unwrap_or_else(|| panic!("unexpected failure: {error}"));
                *self.refused.entry(name).or_default() += 1;
                false
            }
        }
    }

    async fn check(&self) {
        for node in &self.nodes {
            self.ledger.assert_conserved(&node.market.model).await;
        }
        let mut held = 0u128;
        for account in &self.known_token_accounts {
            held += u128::from(self.ledger.balance(account).await);
        }
        let mint = self.ledger.account(&self.ledger.mint).await.unwrap();
        let supply = anchor_spl::token::spl_token::state::Mint::unpack_from_slice(&mint.data)
            .unwrap()
            .supply;
        assert_eq!(held, u128::from(supply), "tokens appeared or vanished");
    }

    async fn step(&mut self, rng: &mut StdRng) {
        let node_index = rng.gen_range(0..self.nodes.len());
        match rng.gen_range(0..100) {
            0..=49 => self.record(rng, node_index).await,
            50..=59 => self.claim(rng, node_index).await,
            60..=69 => self.settle(rng).await,
            70..=77 => self.contribute(rng, node_index).await,
            78..=81 => self.revoke(rng, node_index).await,
            82..=87 => self.toggle_meter(node_index).await,
            88..=93 => self.claim_unallocated(node_index).await,
            _ => self.collect_protocol_fees(node_index).await,
        }
    }

    async fn record(&mut self, rng: &mut StdRng, node_index: usize) {
        let node = &self.nodes[node_index];
        let accepted: Vec<u32> = node
            .contributions
            .iter()
            .filter(|(_, _, accepted)| *accepted)
            .map(|(_, index, _)| *index)
            .collect();
        let count = rng.gen_range(0..=accepted.len().min(8));
        let mut chosen: Vec<u32> = accepted.choose_multiple(rng, count).copied().collect();
        chosen.sort_unstable();
        let attribution = chosen
            .into_iter()
            .map(|index| AttributionEntry {
                index,
                weight: rng.gen_range(1..=1_000),
            })
            .collect();
        let calls = rng.gen_range(1..=500);
        let recorder: &Keypair = node.meter.as_ref().unwrap_or(&node.market.licensee);
        let outcome = self
            .ledger
            .client
            .record_inference(
                recorder,
                &node.market.grant,
                &node.market.licensee_token,
                node.next_seq,
                calls,
                rng.gen(),
                attribution,
            )
            .await;
        if self.observe(outcome) {
            self.nodes[node_index].next_seq += 1;
        }
    }

    async fn claim(&mut self, rng: &mut StdRng, node_index: usize) {
        let node = &self.nodes[node_index];
        let Some((wallet, index, _)) = node.contributions.choose(rng) else {
            return;
        };
        let destination = self
            .ledger
            .token_account(&wallet.pubkey(), &self.ledger.mint)
            .await;
        if !self.known_token_accounts.contains(&destination) {
            self.known_token_accounts.push(destination);
        }
        let outcome = self
            .ledger
            .client
            .claim(wallet, &node.market.model, *index, &destination)
            .await;
        self.observe(outcome);
    }

    async fn settle(&mut self, rng: &mut StdRng) {
        let children: Vec<usize> = (0..self.nodes.len())
            .filter(|i| !self.nodes[*i].parents.is_empty())
            .collect();
        let child = &self.nodes[*children.choose(rng).unwrap()];
        let parent = *child.parents.choose(rng).unwrap();
        let outcome = self
            .ledger
            .client
            .settle_upstream(&child.market.model, &parent)
            .await;
        self.observe(outcome);
    }

    async fn contribute(&mut self, rng: &mut StdRng, node_index: usize) {
        let (contributor, index) = self
            .ledger
            .propose(&self.nodes[node_index].market.model)
            .await;
        self.instructions += 1;
        let node = &self.nodes[node_index];
        let outcome = self
            .ledger
            .client
            .accept_contribution(
                &node.market.authority,
                &node.market.model,
                index,
                rng.gen_range(1..=10_000),
            )
            .await;
        let accepted = self.observe(outcome);
        self.nodes[node_index]
            .contributions
            .push((contributor, index, accepted));
    }

    async fn revoke(&mut self, rng: &mut StdRng, node_index: usize) {
        let node = &self.nodes[node_index];
        let accepted: Vec<usize> = (0..node.contributions.len())
            .filter(|i| node.contributions[*i].2)
            .collect();
        let Some(position) = accepted.choose(rng).copied() else {
            return;
        };
        let index = node.contributions[position].1;
        let outcome = self
            .ledger
            .client
            .revoke_contribution(&node.market.authority, &node.market.model, index)
            .await;
        if self.observe(outcome) {
            self.nodes[node_index].contributions[position].2 = false;
        }
    }

    async fn toggle_meter(&mut self, node_index: usize) {
        let node = &self.nodes[node_index];
        let next = match node.meter {
            Some(_) => None,
            None => Some(self.ledger.wallet().await),
        };
        if let Some(meter) = &next {
            self.ledger
                .approve_meter(&node.market, &meter.pubkey(), u64::MAX)
                .await;
            self.instructions += 1;
        }
        let outcome = self
            .ledger
            .client
            .set_meter(
                &node.market.licensee,
                &node.market.grant,
                next.as_ref().map(|k| k.pubkey()),
            )
            .await;
        if self.observe(outcome) {
            self.nodes[node_index].meter = next;
        }
    }

    async fn claim_unallocated(&mut self, node_index: usize) {
        let node = &self.nodes[node_index];
        let destination = self
            .ledger
            .token_account(&node.market.authority.pubkey(), &self.ledger.mint)
            .await;
        if !self.known_token_accounts.contains(&destination) {
            self.known_token_accounts.push(destination);
        }
        let outcome = self
            .ledger
            .client
            .claim_unallocated(&node.market.authority, &node.market.model, &destination)
            .await;
        self.observe(outcome);
    }

    async fn collect_protocol_fees(&mut self, node_index: usize) {
        let model = self.nodes[node_index].market.model;
        let outcome = self.ledger.client.collect_protocol_fees(&model).await;
        self.observe(outcome);
    }
}

use solana_sdk::program_pack::Pack;

/// Seeds whose sequence once failed, replayed on every run. The first five
/// met byte-identical repeated transactions (an idempotent token-account
/// creation at set-up, repeated claims and settlements at instructions 32,
/// 48, 77 and 452), which a fast machine sent under one blockhash.
const REGRESSION_SEEDS: [u64; 5] = [9_924_031_932_296_802_479, 1, 2, 3, 4];

/// Each regression seed runs past the latest point where one failed (452)
/// with room to spare; the random sequence runs the protocol's 2,000.
const REGRESSION_STEPS: usize = 1_000;
const RANDOM_STEPS: usize = 2_000;

fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value} is not a number")),
    )
}

#[tokio::test]
async fn every_token_unit_is_accounted_for_through_thousands_of_instructions() {
    let seed = env_number("CONSERVATION_SEED").unwrap_or_else(rand::random);
    let steps = env_number("CONSERVATION_STEPS").unwrap_or(RANDOM_STEPS);
    run_sequence(seed, steps, true).await;
}

#[tokio::test]
async fn regression_seeds_stay_conserved() {
    for seed in REGRESSION_SEEDS {
        // Each step indexed into SQLite (PostgreSQL at the end): five
        // sequences checked step by step on both would double the suite.
        run_sequence(seed, REGRESSION_STEPS, false).await;
    }
}

async fn run_sequence(seed: u64, steps: usize, follow_on_postgres: bool) {
    let _report = SeedReport(seed);
    let mut rng = StdRng::seed_from_u64(seed);
    let ledger = TestLedger::start().await;

    // grandparent → parent → child, each with contributions and a licensee;
    // the child has a second licensee on its own grant.
    let mut nodes = Vec::new();
    let grandparent = ledger.market(1, &[500, 300, 200], commercial_terms()).await;
    let parent_authority = ledger.wallet().await;
    let (parent, _) = ledger
        .derive(&parent_authority, 2, &[grandparent.model])
        .await;
    let parent_market = ledger
        .open_market(parent_authority, parent, &[700, 300], commercial_terms())
        .await;
    let child_authority = ledger.wallet().await;
    let (child, _) = ledger
        .derive(
            &child_authority,
            3,
            &[parent_market.model, grandparent.model],
        )
        .await;
    let child_authority_clone = child_authority.insecure_clone();
    let child_market = ledger
        .open_market(child_authority, child, &[400, 400, 200], commercial_terms())
        .await;
    // A second host on the child buys licence v1 too.
    let second_host = ledger.wallet().await;
    let second_token = ledger
        .token_account(&second_host.pubkey(), &ledger.mint)
        .await;
    ledger
        .mint_to(
            &ledger.mint,
            &second_token,
            model_ledger_tests::LICENSEE_FUNDS,
        )
        .await;
    let (second_grant, _) = ledger
        .client
        .acquire_grant(&second_host, &child, 1, 50_000, 1_000, &second_token)
        .await
        .unwrap();
    let second_market = Market {
        authority: child_authority_clone,
        model: child,
        contributors: Vec::new(),
        license: child_market.license,
        licensee: second_host,
        licensee_token: second_token,
        grant: second_grant,
        treasury_token: child_market.treasury_token,
    };

    let mut known = vec![ledger.treasury_token().await];
    for (market, parents) in [
        (grandparent, vec![]),
        (parent_market, vec![]),
        (child_market, vec![]),
        (second_market, vec![]),
    ] {
        known.push(market.licensee_token);
        known.push(pda::vault(&market.model).0);
        let contributions = market
            .contributors
            .iter()
            .map(|(wallet, index, _)| (wallet.insecure_clone(), *index, true))
            .collect();
        let _: Vec<Pubkey> = parents;
        nodes.push(Node {
            market,
            contributions,
            parents: Vec::new(),
            next_seq: 0,
            meter: None,
        });
    }
    nodes[1].parents = vec![nodes[0].market.model];
    nodes[2].parents = vec![nodes[1].market.model, nodes[0].market.model];
    nodes[3].parents = nodes[2].parents.clone();
    // The second host shares the child's contributions (same model).
    nodes[3].contributions = nodes[2]
        .contributions
        .iter()
        .map(|(wallet, index, accepted)| (wallet.insecure_clone(), *index, *accepted))
        .collect();
    // Parent grants were paid from the derivers' own accounts.
    for authority in [&nodes[1].market.authority, &nodes[2].market.authority] {
        known.push(
            ledger
                .token_account(&authority.pubkey(), &ledger.mint)
                .await,
        );
    }
    known.sort();
    known.dedup();

    let mut sequence = Sequence {
        ledger: &ledger,
        nodes,
        known_token_accounts: known,
        instructions: 0,
        refused: BTreeMap::new(),
    };
    sequence.check().await;
    let mut indexes = FollowingIndexes::open("following", follow_on_postgres);
    let mut indexed = 0;
    let started = std::time::Instant::now();
    while sequence.instructions < steps {
        sequence.step(&mut rng).await;
        sequence.check().await;
        // The indexer, fed each step's transactions as they land, holds
        // every book, entry, contribution, licence and grant as the chain
        // does after every one of them.
        indexed += indexes
            .catch_up(&ledger)
            .await
            .unwrap_or_else(|difference| {
                panic!(
                    "seed {seed}, after instruction {}: {difference}",
                    sequence.instructions
                )
            });
    }
    // The events alone, through the indexer, rebuild every book and entry
    // (SQLite, and PostgreSQL when a server is named).
    let dir = tempfile::tempdir().unwrap();
    for database in model_ledger_tests::index_databases(dir.path(), "conservation") {
        ledger
            .index_and_verify(&database)
            .await
            .unwrap_or_else(|difference| panic!("seed {seed}, {database}: {difference}"));
    }
    println!(
        "conservation sequence: seed {seed}, {} instructions (refused by rule: {:?}), {indexed} transactions indexed and checked one step at a time, {:.1} s",
        sequence.instructions,
        sequence.refused,
        started.elapsed().as_secs_f64()
    );
}
