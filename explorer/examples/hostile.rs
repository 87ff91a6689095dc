//! Serves the explorer over an index holding what anyone can create
//! cheaply, for `explorer/bench/run --hostile`: a model with `--children`
//! models deriving from it under one grant, a wallet that `--spam`
//! contributions pay (pointed at it by someone else), and an ordinary model
//! and wallet beside them. Prints one JSON line with the server's URL and the
//! addresses to load, then serves until killed.
//!
//!   cargo run --release -p model-ledger-explorer --example hostile -- \
//!     [--children 20000] [--spam 100000] [--database PATH]

use model_ledger_explorer::ReadPool;
use model_ledger_indexer::{synthetic::SyntheticChain, ChainIdentity, DatabaseUrl, Indexer};
use solana_sdk::pubkey::Pubkey;

fn main() {
    let mut children = 20_000u32;
    let mut spam = 100_000u32;
    let mut database: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{arg} takes a value"));
        match arg.as_str() {
            "--children" => children = value.parse().expect("--children: a number"),
            "--spam" => spam = value.parse().expect("--spam: a number"),
            "--database" => database = Some(value),
            other => panic!("unknown option {other}"),
        }
    }
    let dir = tempfile::tempdir().expect("a directory");
    let url: DatabaseUrl = database
        .unwrap_or_else(|| dir.path().join("hostile.sqlite").display().to_string())
        .parse()
        .expect("a database");

    let mut chain = SyntheticChain::new();
    let parent = chain.register_model("popular base", "ipfs://base", &[]);
    let (license, grant) = (Pubkey::new_unique(), Pubkey::new_unique());
    for number in 0..children {
        chain.register_model(
            &format!("derived-{number}"),
            "ipfs://d",
            &[(parent, license, grant)],
        );
    }
    let victim = Pubkey::new_unique();
    let attacker = Pubkey::new_unique();
    let spammed = chain.register_model("spammed", "ipfs://s", &[]);
    for _ in 0..spam {
        let index = chain.propose(&spammed, &attacker, "ar://spam");
        chain.set_payout(&spammed, index, &attacker, &victim);
    }
    let ordinary = chain.register_model("ordinary", "ipfs://o", &[]);
    let person = Pubkey::new_unique();
    for _ in 0..20 {
        chain.propose(&ordinary, &person, "ar://work");
    }
    let started = std::time::Instant::now();
    let mut indexer = Indexer::open(
        &url,
        &ChainIdentity {
            program_id: model_ledger::ID,
            cluster: "hostile".into(),
        },
    )
    .expect("an index");
    for transaction in chain.transactions() {
        indexer
            .apply(transaction, None)
            .expect("the history indexes");
    }
    let indexed = started.elapsed().as_secs_f64();
    drop(indexer);

    let pool = ReadPool::open(&url, 4).expect("a pool");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let address = listener.local_addr().expect("an address");
        println!(
            "{}",
            serde_json::json!({
                "url": format!("http://{address}"),
                "parent": parent.to_string(),
                "children": children,
                "victim": victim.to_string(),
                "spammed": spammed.to_string(),
                "spam": spam,
                "ordinary": ordinary.to_string(),
                "person": person.to_string(),
                "indexed_seconds": indexed,
            })
        );
        model_ledger_explorer::serve(listener, pool, std::future::pending())
            .await
            .expect("serve");
    });
}
