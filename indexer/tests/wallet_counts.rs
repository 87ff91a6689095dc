//! A wallet's page counts the contributions it proposed that pay others
//! from `wallet_counts`, kept as payout wallets move (away, on, back), on
//! SQLite and on PostgreSQL (when `MODEL_LEDGER_TEST_POSTGRES` names a
//! server): the count always equals what the contributions table says.

use model_ledger_indexer::{query, synthetic::SyntheticChain, ChainIdentity, DatabaseUrl, Indexer};
use solana_sdk::pubkey::Pubkey;

fn indexes(dir: &std::path::Path) -> Vec<Indexer> {
    let mut urls = vec![DatabaseUrl::Sqlite(dir.join("counts.sqlite"))];
    if let Ok(server) = std::env::var("MODEL_LEDGER_TEST_POSTGRES") {
        let name = format!("wallet_counts_{}", std::process::id());
        urls.push(DatabaseUrl::fresh_postgres(&server, &name).expect("a fresh database"));
    }
    urls.iter()
        .map(|url| {
            Indexer::open(
                url,
                &ChainIdentity {
                    program_id: model_ledger::ID,
                    cluster: "synthetic".into(),
                },
            )
            .expect("open")
        })
        .collect()
}

/// What the page says, and what counting the table says.
fn counts(indexer: &mut Indexer, wallet: &Pubkey) -> (u64, u64) {
    let shown = wallet.to_string();
    let page = query::wallet(indexer.sql(), &shown, 0, 50, None).unwrap();
    let counted = indexer
        .sql()
        .query_one(
            "SELECT COUNT(*) FROM contributions WHERE contributor = $1 OR payout_wallet = $1",
            &[shown.as_str().into()],
        )
        .unwrap()
        .u64(0)
        .unwrap();
    (page.contribution_count, counted)
}

#[test]
fn proposals_paying_others_are_counted_as_payouts_move() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = SyntheticChain::new();
    let model = chain.register_model("m", "ipfs://m", &[]);
    let (proposer, other, third) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    for _ in 0..5 {
        chain.propose(&model, &proposer, "ar://d");
    }
    let mut steps = vec![chain.transactions().len()];
    // Away to another wallet, on to a third, back to the proposer.
    chain.set_payout(&model, 0, &proposer, &other);
    chain.set_payout(&model, 1, &proposer, &other);
    steps.push(chain.transactions().len());
    chain.set_payout(&model, 0, &other, &third);
    steps.push(chain.transactions().len());
    chain.set_payout(&model, 0, &third, &proposer);
    chain.set_payout(&model, 1, &other, &proposer);
    steps.push(chain.transactions().len());
    let expected_proposer = [5, 5, 5, 5];
    let expected_other = [0, 2, 1, 0];
    for mut indexer in indexes(dir.path()) {
        let mut applied = 0;
        for (step, end) in steps.iter().enumerate() {
            for transaction in &chain.transactions()[applied..*end] {
                indexer.apply(transaction, None).unwrap();
            }
            applied = *end;
            let (shown, counted) = counts(&mut indexer, &proposer);
            assert_eq!(
                (shown, counted),
                (expected_proposer[step], expected_proposer[step]),
                "step {step}"
            );
            let (shown, counted) = counts(&mut indexer, &other);
            assert_eq!(
                (shown, counted),
                (expected_other[step], expected_other[step]),
                "step {step}"
            );
        }
        // Every payout back home: no row is left behind.
        let rows = indexer
            .sql()
            .query_one("SELECT COUNT(*) FROM wallet_counts", &[])
            .unwrap()
            .u64(0)
            .unwrap();
        assert_eq!(rows, 0);
    }
}
