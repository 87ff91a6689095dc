//! The indexer against a real runtime: every instruction's events into
//! SQLite (and PostgreSQL when `MODEL_LEDGER_TEST_POSTGRES` names a server),
//! verified against the chain; gaps, repeats, another chain's database and a
//! tampered row, each caught by name.

use model_ledger::{
    instructions::{AcquireGrantArgs, UpdateConfigArgs},
    state::LicenseTerms,
};
use model_ledger_indexer::{query, Applied, ChainIdentity, ChainTransaction, IndexError, Indexer};
use model_ledger_sdk::{display::tokens, events::LedgerEvent};
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
        .publish_license(&base.authority, &base.model, commercial_terms())
        .await
        .unwrap();
    ledger
        .client
        .retire_license(&base.authority, &base.model, 1)
        .await
        .unwrap();

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
                let wallet = query::wallet(sql, &payout, 0, 100).unwrap();
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
        let (transactions, url) = (transactions.clone(), database.clone());
        let indexer = on_thread(move || {
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
        on_thread(move || model_ledger_indexer::verify(&mut indexer, &accounts).unwrap())
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

#[tokio::test]
async fn verification_names_the_first_difference() {
    let (ledger, _) = market_with_a_batch().await;
    let dir = tempfile::tempdir().unwrap();
    for database in index_databases(dir.path(), "tampered") {
        let (verified, (indexer, addresses)) = ledger
            .index_verify_then(&database, |indexer| {
                indexer
                    .sql()
                    .execute(
                        "UPDATE contributions SET claimed_total = '5' WHERE idx = 1",
                        &[],
                    )
                    .unwrap();
                // Verify again from a second connection to the same database.
                let mut again = Indexer::open(indexer.url(), &test_chain()).unwrap();
                let addresses = model_ledger_indexer::accounts_to_verify(&mut again).unwrap();
                (ThreadBound(Some(again)), addresses)
            })
            .await;
        verified.unwrap();
        let mut indexer = indexer;
        let accounts = ledger.chain_accounts(&addresses).await;
        let mut again = indexer.0.take().unwrap();
        let difference =
            on_thread(move || model_ledger_indexer::verify(&mut again, &accounts).unwrap())
                .expect_err("a tampered row is found");
        assert!(
            difference.what.contains("contribution #1 of model model-3")
                && difference
                    .what
                    .contains("claimed is 5 in the index, 0 on chain"),
            "{difference}"
        );
    }
}
