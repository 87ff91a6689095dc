//! The indexer against a real runtime: every instruction's events into
//! SQLite (and PostgreSQL when `MODEL_LEDGER_TEST_POSTGRES` names a server),
//! verified against the chain; gaps, repeats, another chain's database and a
//! tampered row, each caught by name.

use model_ledger::{
    instructions::{AcquireGrantArgs, UpdateConfigArgs},
    state::{LicenseTerms, ProposalPolicy},
};
use model_ledger_indexer::{
    query, Applied, ChainIdentity, ChainTransaction, DatabaseUrl, IndexError, Indexer, Listed,
    Source,
};
use model_ledger_sdk::{display::tokens, events::LedgerEvent};
use model_ledger_tests::open_ai;
use model_ledger_tests::{
    attribution, commercial_terms, index_databases, ix, on_thread, pda, test_chain, Market,
    TestLedger, ThreadBound,
};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

/// A lineage of two models and every kind of event: contributions accepted,
/// rejected and closed, revoked; a payout wallet moved; licences published
/// and retired; grants bought, renewed, transferred, metered; batches with
/// attribution; royalties settled upstream; claims; fees collected; surplus
/// booked; authority handed over; the configuration changed.
async fn busy_chain() -> (TestLedger, Market, Pubkey) {
    let ledger = TestLedger::start().await;
    let terms = LicenseTerms {
        derivative_royalty_bps: 1_000,
        transferable: true,
        ..commercial_terms()
    };
    let base = ledger.market(1, &[300, 700], terms.clone()).await;
    let child_authority = ledger.wallet().await;
    let (child, _) = ledger.derive(&child_authority, 2, &[base.model]).await;
    let fine_tune = ledger
        .open_market(
            child_authority.insecure_clone(),
            child,
            &[500],
            terms.clone(),
        )
        .await;

    ledger
        .record(&base, 0, 40, attribution(&[(0, 3), (1, 1)]))
        .await
        .unwrap();
    ledger
        .record(&fine_tune, 0, 25, attribution(&[(0, 2)]))
        .await
        .unwrap();
    let meter = ledger.wallet().await;
    ledger
        .client
        .set_meter(&fine_tune.licensee, &fine_tune.grant, Some(meter.pubkey()))
        .await
        .unwrap();
    let settled = ledger
        .client
        .settle_upstream(&child, &base.model)
        .await
        .unwrap();
    assert!(matches!(settled.events[0], LedgerEvent::UpstreamSettled(_)));

    // A rejected proposal closed by its proposer; a revocation; a new payout wallet.
    let (proposer, rejected) = ledger.propose(&base.model).await;
    ledger
        .client
        .reject_contribution(&base.authority, &base.model, rejected)
        .await
        .unwrap();
    ledger
        .client
        .send(
            &[ix::close_contribution(
                &proposer.pubkey(),
                &base.model,
                rejected,
            )],
            &[&proposer],
        )
        .await
        .unwrap();
    ledger
        .client
        .revoke_contribution(&base.authority, &base.model, 1)
        .await
        .unwrap();
    let (contributor, index, _) = &base.contributors[0];
    let payout = ledger.wallet().await;
    ledger
        .client
        .set_payout_wallet(
            contributor,
            &pda::contribution(&base.model, *index).0,
            payout.pubkey(),
        )
        .await
        .unwrap();
    ledger
        .record(&base, 1, 10, attribution(&[(0, 1)]))
        .await
        .unwrap();
    let destination = ledger.token_account(&payout.pubkey(), &ledger.mint).await;
    ledger
        .client
        .claim(&payout, &base.model, 0, &destination)
        .await
        .unwrap();
    let revoked_owner = &base.contributors[1].0;
    let revoked_token = ledger
        .token_account(&revoked_owner.pubkey(), &ledger.mint)
        .await;
    ledger
        .client
        .claim(revoked_owner, &base.model, 1, &revoked_token)
        .await
        .unwrap();

    // Grants renewed and handed on; a licence retired after a second version.
    let accounts = base.accounts(&ledger.mint);
    ledger
        .client
        .send(
            &[ix::renew_grant(
                &base.licensee.pubkey(),
                &accounts,
                &base.license,
                &base.grant,
                &base.licensee_token,
                AcquireGrantArgs {
                    expected_version: 1,
                    max_fee: terms.upfront_fee,
                    max_price_per_call: terms.price_per_call,
                },
            )],
            &[&base.licensee],
        )
        .await
        .unwrap();
    let heir = ledger.wallet().await;
    ledger
        .client
        .send(
            &[ix::transfer_grant(
                &base.licensee.pubkey(),
                &base.grant,
                &heir.pubkey(),
            )],
            &[&base.licensee],
        )
        .await
        .unwrap();
    ledger
        .client
        .publish_license(&base.authority, &base.model, commercial_terms(), open_ai())
        .await
        .unwrap();
    ledger
        .client
        .retire_license(&base.authority, &base.model, 1)
        .await
        .unwrap();

    // The child's authority lets two wallets propose and takes one back.
    let (kept, dropped) = (ledger.wallet().await, ledger.wallet().await);
    let admitting = [
        ix::set_proposal_policy(
            &child_authority.pubkey(),
            &child,
            ProposalPolicy::AllowListed,
        ),
        ix::allow_proposer(&child_authority.pubkey(), &child, &kept.pubkey()),
        ix::allow_proposer(&child_authority.pubkey(), &child, &dropped.pubkey()),
        ix::disallow_proposer(&child_authority.pubkey(), &child, &dropped.pubkey()),
    ];
    for instruction in admitting {
        ledger
            .client
            .send(&[instruction], &[&child_authority])
            .await
            .unwrap();
    }

    // Anyone's cranks, the authority's share, a handover, the admin's change.
    ledger
        .client
        .collect_protocol_fees(&base.model)
        .await
        .unwrap();
    ledger
        .mint_to(&ledger.mint, &pda::vault(&base.model).0, 1_234)
        .await;
    ledger.client.book_surplus(&base.model).await.unwrap();
    let successor = ledger.wallet().await;
    ledger
        .client
        .transfer_model_authority(&base.authority, &base.model, Some(successor.pubkey()))
        .await
        .unwrap();
    ledger
        .client
        .accept_model_authority(&successor, &base.model)
        .await
        .unwrap();
    ledger
        .client
        .update_config(
            &ledger.admin,
            UpdateConfigArgs {
                protocol_fee_bps: Some(300),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    (ledger, base, child)
}

#[tokio::test]
async fn every_event_indexes_and_the_index_agrees_with_the_chain() {
    let (ledger, base, child) = busy_chain().await;
    let dir = tempfile::tempdir().unwrap();
    for database in index_databases(dir.path(), "every_event") {
        // What the explorer and the CLI read, against the chain.
        let (base_model, child_model) = (base.model.to_string(), child.to_string());
        let (verified, (models, lineage, wallet, page)) = ledger
            .index_verify_then(&database, move |indexer| {
                let sql = indexer.sql();
                let models = query::models(sql).unwrap();
                let lineage = query::lineage(sql, &child_model, 8).unwrap();
                let payout = query::contribution(sql, &base_model, 0)
                    .unwrap()
                    .unwrap()
                    .payout_wallet;
                let wallet = query::wallet(sql, &payout, 0, 100, None).unwrap();
                let page = query::contributions(sql, &base_model, 0, 50, 3).unwrap();
                (models, lineage, wallet, page)
            })
            .await;
        let verified = verified.unwrap_or_else(|difference| panic!("{database}: {difference}"));
        assert_eq!(
            (verified.models, verified.contributions),
            (2, 4),
            "{database}"
        );
        assert_eq!(
            verified.grants, 3,
            "{database}: two licensees and the child's parent grant"
        );
        assert_eq!(
            (verified.licenses, verified.permits),
            (3, 1),
            "{database}: two versions of the base's, one of the child's; one permit kept"
        );
        assert!(verified.rows > 100, "{database}: {verified:?}");
        assert_eq!(models.len(), 2);
        assert_eq!(lineage.edges.len(), 1);
        let edge = &lineage.edges[0];
        assert_eq!(
            (edge.parent.as_str(), edge.derivative_bps),
            (base.model.to_string().as_str(), 1_000)
        );
        assert_eq!(edge.licence_version, Some(1));
        assert_eq!(
            lineage
                .nodes
                .iter()
                .map(|node| node.generation)
                .collect::<Vec<_>>(),
            vec![-1, 0]
        );

        let statuses: Vec<&str> = page
            .contributions
            .iter()
            .map(|c| c.status.as_str())
            .collect();
        assert_eq!(statuses, vec!["accepted", "revoked", "rejected"]);
        assert!(page.contributions[2].closed);
        for contribution in &page.contributions {
            let earning = ledger
                .client
                .earnings_of(&[(base.model, contribution.index)])
                .await
                .unwrap();
            if contribution.closed {
                assert!(earning.is_empty());
                continue;
            }
            assert_eq!(
                contribution.claimable.base_units,
                earning[0].claimable.to_string()
            );
            assert_eq!(
                contribution.claimed.base_units,
                earning[0].claimed.to_string()
            );
            assert_eq!(
                contribution.claimable.tokens,
                tokens(earning[0].claimable, 6)
            );
        }
        assert_eq!(wallet.contributions.len(), 1);
        assert!(wallet.contributions[0].claimed.base_units != "0");
        // The wallet's totals, from the sums kept as events arrived, are
        // what the chain says its one contribution earned.
        let earned = ledger.client.earnings_of(&[(base.model, 0)]).await.unwrap();
        assert_eq!(wallet.totals.len(), 1);
        assert_eq!(
            wallet.totals[0].claimable.base_units,
            earned[0].claimable.to_string()
        );
        assert_eq!(
            wallet.totals[0].claimed.base_units,
            earned[0].claimed.to_string()
        );
        assert_eq!((wallet.models_paying, wallet.totals_complete), (1, true));
    }
}

/// The transactions of a small market, and the signature of the batch left out.
async fn market_with_a_batch() -> (TestLedger, Vec<ChainTransaction>) {
    let ledger = TestLedger::start().await;
    let market = ledger.market(3, &[100, 100], commercial_terms()).await;
    ledger
        .record(&market, 0, 10, attribution(&[(0, 1)]))
        .await
        .unwrap();
    ledger
        .record(&market, 1, 10, attribution(&[(1, 1)]))
        .await
        .unwrap();
    let transactions = ledger.landed();
    (ledger, transactions)
}

fn is_batch(transaction: &ChainTransaction, seq: u64) -> bool {
    transaction
        .events
        .iter()
        .any(|event| matches!(event, LedgerEvent::InferenceRecorded(e) if e.seq == seq))
}

#[tokio::test]
async fn a_missing_transaction_is_named_and_nothing_of_the_next_is_written() {
    let (ledger, transactions) = market_with_a_batch().await;
    let dir = tempfile::tempdir().unwrap();
    for database in index_databases(dir.path(), "gap") {
        let first_batch = transactions.iter().position(|t| is_batch(t, 0)).unwrap();
        let (history, url) = (transactions.clone(), database.clone());
        let indexer = on_thread(move || {
            let transactions = history;
            let mut indexer = Indexer::open(&url, &test_chain()).unwrap();
            for (number, transaction) in transactions.iter().enumerate() {
                if number == first_batch {
                    continue;
                }
                match indexer.apply(transaction, None) {
                    Ok(_) => assert!(number < first_batch, "applied after the gap"),
                    Err(IndexError::Gap { signature, what }) => {
                        assert!(is_batch(transaction, 1), "the gap shows at the next batch");
                        assert_eq!(signature, transaction.signature);
                        assert!(
                            what.contains("batch 1 of grant")
                                && what.contains("follows 0 indexed batches"),
                            "{what}"
                        );
                        // Nothing of the refused transaction was written.
                        assert!(!indexer.contains(&transaction.signature).unwrap());
                        let status = query::status(indexer.sql()).unwrap();
                        assert_eq!(status.transactions, first_batch as u64);
                        assert_eq!(status.batches, 0);
                        // With the missing batch, everything follows.
                        indexer.apply(&transactions[first_batch], None).unwrap();
                        for later in &transactions[number..] {
                            indexer.apply(later, None).unwrap();
                        }
                        return ThreadBound(Some(indexer));
                    }
                    Err(other) => panic!("{other}"),
                }
            }
            panic!("no gap was found");
        });
        let (mut indexer, addresses) = on_thread(move || {
            let mut bound = indexer;
            let addresses =
                model_ledger_indexer::accounts_to_verify(bound.0.as_mut().unwrap()).unwrap();
            (bound, addresses)
        });
        let accounts = ledger.chain_accounts(&addresses).await;
        let mut indexer = indexer.0.take().unwrap();
        let transactions = transactions.clone();
        on_thread(move || {
            let mut rebuilt = Indexer::open(&DatabaseUrl::in_memory(), &test_chain()).unwrap();
            for transaction in &transactions {
                rebuilt.apply(transaction, None).unwrap();
            }
            model_ledger_indexer::verify(&mut indexer, &mut rebuilt, &accounts).unwrap()
        })
        .unwrap_or_else(|difference| panic!("{database}: {difference}"));
    }
}

#[tokio::test]
async fn reading_a_range_twice_changes_nothing() {
    let (ledger, transactions) = market_with_a_batch().await;
    let dir = tempfile::tempdir().unwrap();
    for database in index_databases(dir.path(), "twice") {
        let transactions = transactions.clone();
        let (verified, (before, after)) = ledger
            .index_verify_then(&database, move |indexer| {
                let before = query::status(indexer.sql()).unwrap();
                for transaction in &transactions {
                    assert_eq!(
                        indexer.apply(transaction, None).unwrap(),
                        Applied::AlreadyIndexed
                    );
                }
                (before, query::status(indexer.sql()).unwrap())
            })
            .await;
        verified.unwrap();
        assert_eq!(
            (before.transactions, before.events, before.batches),
            (after.transactions, after.events, after.batches)
        );
        assert_eq!(before.transactions, transactions_count(&ledger));
    }
}

fn transactions_count(ledger: &TestLedger) -> u64 {
    ledger.landed().len() as u64
}

#[tokio::test]
async fn a_database_of_another_chain_or_program_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for database in index_databases(dir.path(), "foreign") {
        let url = database.clone();
        on_thread(move || {
            Indexer::open(&url, &test_chain()).unwrap();
            let other_cluster = ChainIdentity {
                cluster: "genesis:another".into(),
                ..test_chain()
            };
            let message = Indexer::open(&url, &other_cluster)
                .err()
                .unwrap()
                .to_string();
            assert!(
                message.contains("indexes cluster program-test, not genesis:another")
                    && message.contains("--database"),
                "{message}"
            );
            let other_program = ChainIdentity {
                program_id: Pubkey::new_unique(),
                ..test_chain()
            };
            let error = Indexer::open(&url, &other_program).err().unwrap();
            assert!(
                matches!(
                    error,
                    IndexError::Foreign {
                        what: "program",
                        ..
                    }
                ),
                "{error}"
            );
        });
    }
}

/// A tampered index: each change made by hand is named by `index verify`,
/// whichever table it touches: a batch's Merkle root (which would let the
/// explorer confirm a forged call), a model's authority or name, a royalty
/// to a parent, a licence's terms, a row deleted, a row added.
#[tokio::test]
async fn verification_names_every_tampered_row() {
    let (ledger, base, child) = busy_chain().await;
    let grant = base.grant.to_string();
    let (base_model, child_model) = (base.model.to_string(), child.to_string());
    let forged = Pubkey::new_unique().to_string();
    let cases: Vec<(String, String)> = vec![
        (
            format!("UPDATE batches SET merkle_root = '{}' WHERE grant_address = '{grant}' AND seq = 0", "00".repeat(32)),
            "table batches, row (grant_address = ".to_string() + &format!("{grant:?}, seq = 0): merkle_root is"),
        ),
        (
            format!("UPDATE models SET authority = '{forged}' WHERE address = '{base_model}'"),
            format!("table models, row (address = {base_model:?}): authority is {forged:?} in the index"),
        ),
        (
            format!("UPDATE models SET name = 'forged' WHERE address = '{child_model}'"),
            format!("table models, row (address = {child_model:?}): name is \"forged\" in the index"),
        ),
        (
            format!("UPDATE lineage SET derivative_bps = 9000 WHERE child = '{child_model}'"),
            "derivative_bps is 9000 in the index, 1000 from the chain's history".to_string(),
        ),
        (
            format!("UPDATE licenses SET terms = '{{}}' WHERE model = '{base_model}' AND version = 1"),
            "table licenses, row (address = ".to_string(),
        ),
        (
            format!("DELETE FROM batches WHERE grant_address = '{grant}' AND seq = 1"),
            format!("table batches: the row (grant_address = {grant:?}, seq = 1) the chain's history makes is missing from the index"),
        ),
        (
            format!("DELETE FROM contribution_status WHERE model = '{base_model}' AND idx = 1 AND status = 'revoked'"),
            "table contribution_status: the row (model = ".to_string(),
        ),
        (
            "UPDATE wallet_counts SET proposed_for_others = 7".to_string(),
            "table wallet_counts, row (wallet = ".to_string(),
        ),
        (
            "UPDATE meta SET value = '999' WHERE key = 'count.batches'".to_string(),
            "the index counts 999 batches, its batches table holds".to_string(),
        ),
        (
            format!("INSERT INTO proposer_permits (address, model, wallet, allowed_slot, signature) VALUES ('{forged}', '{child_model}', '{forged}', 1, 'x')"),
            format!("table proposer_permits: the index holds a row (address = {forged:?}) the chain's history does not make"),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (number, (statement, expected)) in cases.into_iter().enumerate() {
        for database in index_databases(dir.path(), &format!("tampered_{number}")) {
            let tamper = statement.clone();
            let (verified, ()) = ledger
                .index_tamper_verify_then(
                    &database,
                    move |indexer| {
                        assert_eq!(indexer.sql().execute(&tamper, &[]).unwrap(), 1, "{tamper}");
                    },
                    |_| (),
                )
                .await;
            let difference = verified.expect_err("a tampered index is found out");
            assert!(
                difference.to_string().contains(&expected),
                "{database}: {statement}\n  expected {expected}\n  found {difference}"
            );
        }
    }
}

/// An indexer that applied an event wrongly would make the same rows twice:
/// the accounts, compared field by field, still name the difference.
#[tokio::test]
async fn verification_names_an_index_wrong_in_the_same_way_as_its_rebuild() {
    let (ledger, base, child) = busy_chain().await;
    let (base_model, child_model) = (base.model.to_string(), child.to_string());
    let forged = Pubkey::new_unique().to_string();
    let cases: Vec<(String, String)> = vec![
        (
            format!("UPDATE models SET authority = '{forged}' WHERE address = '{base_model}'"),
            format!("model model-1: authority is {forged:?} in the index"),
        ),
        (
            format!("UPDATE lineage SET derivative_bps = 9000 WHERE child = '{child_model}'"),
            "royalty to the parent is 9000 in the index, 1000 on chain".to_string(),
        ),
        (
            format!(
                "UPDATE licenses SET terms = '{{}}' WHERE model = '{base_model}' AND version = 2"
            ),
            "terms is \"{}\" in the index".to_string(),
        ),
        (
            format!(
                "UPDATE grants SET next_seq = 7 WHERE address = '{}'",
                base.grant
            ),
            "next batch is 7 in the index, 2 on chain".to_string(),
        ),
        (
            format!("UPDATE models SET proposal_policy = 'open' WHERE address = '{child_model}'"),
            "proposal policy is \"open\" in the index, \"allow-listed\" on chain".to_string(),
        ),
        (
            format!("UPDATE wallet_earnings SET claimed_total = '1' WHERE model = '{base_model}' AND wallet = (SELECT payout_wallet FROM contributions WHERE model = '{base_model}' AND idx = 0)"),
            "earnings are Some(".to_string(),
        ),
        (
            format!(
                "UPDATE contributions SET uri = 'forged' WHERE model = '{base_model}' AND idx = 0"
            ),
            "contribution #0 of model model-1: URI is \"forged\" in the index".to_string(),
        ),
    ];
    for (statement, expected) in cases {
        let tamper = statement.clone();
        let difference = ledger
            .verify_wrong_twice(move |indexer| {
                assert_eq!(indexer.sql().execute(&tamper, &[]).unwrap(), 1, "{tamper}");
            })
            .await
            .expect_err("the accounts show the wrong row");
        assert!(
            difference.to_string().contains(&expected),
            "{statement}\n  expected {expected}\n  found {difference}"
        );
    }
}

/// Indexes `transactions` with the first event `tamper` changes (it returns
/// `true` for the one it changed) and returns what the refusal names; the
/// refused transaction leaves nothing behind.
fn refusal_of_a_tampered_event(
    database: &DatabaseUrl,
    transactions: &[ChainTransaction],
    tamper: impl Fn(&mut LedgerEvent) -> bool + Send + 'static,
) -> String {
    let (url, mut history) = (database.clone(), transactions.to_vec());
    on_thread(move || {
        let target = history
            .iter_mut()
            .position(|transaction| transaction.events.iter_mut().any(&tamper))
            .expect("an event to tamper with");
        let mut indexer = Indexer::open(&url, &test_chain()).unwrap();
        for transaction in &history[..target] {
            indexer.apply(transaction, None).unwrap();
        }
        let before = query::status(indexer.sql()).unwrap();
        match indexer.apply(&history[target], None) {
            Err(IndexError::Gap { signature, what }) => {
                assert_eq!(signature, history[target].signature);
                assert!(!indexer.contains(&signature).unwrap(), "nothing written");
                let after = query::status(indexer.sql()).unwrap();
                assert_eq!(after.transactions, before.transactions);
                what
            }
            other => panic!("the tampered event was not refused as a gap: {other:?}"),
        }
    })
}

/// The index recomputes every payment, claim and settlement with the
/// program's arithmetic and holds the result against the event: an event
/// whose money the indexed book does not give is refused by name, even when
/// every running counter it carries is in sequence.
#[tokio::test]
async fn money_the_indexed_book_does_not_compute_is_refused() {
    let (ledger, _, _) = busy_chain().await;
    let transactions = ledger.landed();
    let dir = tempfile::tempdir().unwrap();
    for database in index_databases(dir.path(), "recompute") {
        // A batch that says the reward per share rose one sub-unit more.
        let what = refusal_of_a_tampered_event(&database, &transactions, |event| {
            let LedgerEvent::InferenceRecorded(e) = event else {
                return false;
            };
            e.payment.acc_per_share += 1;
            true
        });
        assert!(
            what.contains("the indexed book computes") && what.contains("the chain recorded"),
            "{database}: {what}"
        );
        // A settlement of part of what the child owed (the program always
        // settles the whole amount).
        let what = refusal_of_a_tampered_event(&database, &transactions, |event| {
            let LedgerEvent::UpstreamSettled(e) = event else {
                return false;
            };
            e.amount -= 1;
            true
        });
        assert!(
            what.contains("owed its parent #0") && what.contains("the chain settled"),
            "{database}: {what}"
        );
        // A claim of one token unit more than the entry had earned.
        let what = refusal_of_a_tampered_event(&database, &transactions, |event| {
            let LedgerEvent::RoyaltyClaimed(e) = event else {
                return false;
            };
            e.amount += 1;
            e.claimed_total += 1;
            true
        });
        assert!(
            what.contains("the index has it claim") && what.contains("the chain"),
            "{database}: {what}"
        );
    }
}

/// A chain's history as a cluster lists it at `confirmed`: the last
/// `unsettled` transactions are not final yet.
struct Listing {
    transactions: Vec<ChainTransaction>,
    unsettled: usize,
}

impl Source for Listing {
    fn identity(&self) -> Result<ChainIdentity, IndexError> {
        Ok(test_chain())
    }

    fn accounts(&self, _: &[Pubkey]) -> Result<model_ledger_indexer::ChainAccounts, IndexError> {
        Err(IndexError::Source("a listing holds no accounts".into()))
    }

    fn list_after(&self, resume: Option<&str>) -> Result<Vec<Listed>, IndexError> {
        let first = resume.map_or(0, |number| number.parse::<usize>().unwrap() + 1);
        let settled = self.transactions.len() - self.unsettled;
        Ok(self.transactions[first..]
            .iter()
            .enumerate()
            .map(|(offset, transaction)| Listed {
                signature: transaction.signature.clone(),
                slot: transaction.slot,
                resume: (first + offset < settled).then(|| (first + offset).to_string()),
                transaction: Some(transaction.clone()),
            })
            .collect())
    }

    fn transaction(&self, signature: &str) -> Result<ChainTransaction, IndexError> {
        Err(IndexError::Source(format!("{signature} is listed whole")))
    }
}

/// A transaction read at `confirmed` that a fork then drops: the next
/// catch-up notices the listing no longer holds it, forgets the history and
/// reads it again, ending row for row as an index of the surviving history;
/// one that becomes final is neither read twice nor a reason to rebuild.
#[tokio::test]
async fn a_transaction_a_fork_dropped_after_it_was_indexed_is_rolled_back() {
    let (_ledger, transactions) = market_with_a_batch().await;
    let last_batch = transactions.len() - 1;
    assert!(is_batch(&transactions[last_batch], 1));
    let dir = tempfile::tempdir().unwrap();
    for database in index_databases(dir.path(), "fork") {
        let (url, history) = (database.clone(), transactions.clone());
        on_thread(move || {
            let confirmed = Listing {
                transactions: history.clone(),
                unsettled: 2,
            };
            let mut indexer = Indexer::open(&url, &test_chain()).unwrap();
            let read = indexer.catch_up(&confirmed, &mut |_, _| {}).unwrap();
            assert_eq!(read.transactions, history.len() as u64);
            assert_eq!(read.rolled_back, None);
            assert_eq!(query::status(indexer.sql()).unwrap().batches, 2);

            // The slot of the second batch is abandoned; the one before it
            // is finalized.
            let forked = Listing {
                transactions: history[..last_batch].to_vec(),
                unsettled: 0,
            };
            let read = indexer.catch_up(&forked, &mut |_, _| {}).unwrap();
            assert_eq!(
                read.rolled_back.as_deref(),
                Some(history[last_batch].signature.as_str())
            );
            assert_eq!(
                read.transactions, last_batch as u64,
                "the history read again"
            );
            assert_eq!(query::status(indexer.sql()).unwrap().batches, 1);
            assert!(!indexer.contains(&history[last_batch].signature).unwrap());
            let mut survivors = Indexer::open(&DatabaseUrl::in_memory(), &test_chain()).unwrap();
            for transaction in &history[..last_batch] {
                survivors.apply(transaction, None).unwrap();
            }
            model_ledger_indexer::verify_rows(&mut indexer, &mut survivors)
                .unwrap()
                .unwrap_or_else(|difference| panic!("{url}: {difference}"));

            // Everything final now: nothing dropped, nothing read twice.
            let again = indexer.catch_up(&forked, &mut |_, _| {}).unwrap();
            assert_eq!((again.transactions, again.rolled_back), (0, None));
            ThreadBound(Some(indexer))
        });
    }
}

/// Two indexers writing one database in turn (`serve` following while a
/// CLI command catches the same index up): each notices the other's
/// transactions and reads books and entries again rather than trust what it
/// remembers, so the index ends row for row as one indexer would leave it.
#[tokio::test]
async fn two_indexers_taking_turns_on_one_database_agree_with_one() {
    let (_ledger, transactions) = market_with_a_batch().await;
    let dir = tempfile::tempdir().unwrap();
    for database in index_databases(dir.path(), "turns") {
        let (url, history) = (database.clone(), transactions.clone());
        on_thread(move || {
            let mut first = Indexer::open(&url, &test_chain()).unwrap();
            let mut second = Indexer::open(&url, &test_chain()).unwrap();
            let third = history.len() / 3;
            for (turn, part) in history.chunks(third.max(1)).enumerate() {
                let writer = if turn % 2 == 0 {
                    &mut first
                } else {
                    &mut second
                };
                for (number, transaction) in part.iter().enumerate() {
                    let resume = (turn * third + number).to_string();
                    writer.apply(transaction, Some(&resume)).unwrap();
                }
            }
            let mut one = Indexer::open(&DatabaseUrl::in_memory(), &test_chain()).unwrap();
            for transaction in &history {
                one.apply(transaction, None).unwrap();
            }
            model_ledger_indexer::verify_rows(&mut first, &mut one)
                .unwrap()
                .unwrap_or_else(|difference| panic!("{url}: {difference}"));
            ThreadBound(Some(first));
            ThreadBound(Some(second));
        });
    }
}
