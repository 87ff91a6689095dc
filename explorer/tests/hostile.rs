//! The explorer over data anyone can create cheaply, served on loopback and
//! read over HTTP: a model with thousands of derived models, a wallet that
//! thousands of contributions pay, numbers past what any index counts. Each
//! page's work is bounded, and bad numbers are 400s that name them.

use model_ledger_explorer::{ReadPool, CHILDREN_PER_PAGE, MAX_PAGE, WALLET_PER_PAGE};
use model_ledger_indexer::{
    query::{CHILDREN_DRAWN, LINEAGE_NODES},
    synthetic::SyntheticChain,
    ChainIdentity, DatabaseUrl, Indexer,
};
use serde_json::Value;
use solana_sdk::pubkey::Pubkey;

/// `chain` indexed into a SQLite file in `dir` (and a fresh PostgreSQL
/// database when `MODEL_LEDGER_TEST_POSTGRES` names a server), each served
/// on a free port.
async fn servers(dir: &std::path::Path, chain: &SyntheticChain) -> Vec<String> {
    let mut urls = vec![DatabaseUrl::Sqlite(dir.join("index.sqlite"))];
    if let Ok(server) = std::env::var("MODEL_LEDGER_TEST_POSTGRES") {
        let name = format!("explorer_{}", rand_suffix());
        urls.push(
            std::thread::spawn(move || DatabaseUrl::fresh_postgres(&server, &name).unwrap())
                .join()
                .unwrap(),
        );
    }
    let mut served = Vec::new();
    for url in urls {
        served.push(serve(url, chain).await);
    }
    served
}

fn rand_suffix() -> String {
    Pubkey::new_unique().to_bytes()[..6]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

async fn serve(url: DatabaseUrl, chain: &SyntheticChain) -> String {
    let transactions = chain.transactions().to_vec();
    let indexed = url.clone();
    std::thread::spawn(move || {
        let identity = ChainIdentity {
            program_id: model_ledger::ID,
            cluster: "synthetic".into(),
        };
        let mut indexer = Indexer::open(&indexed, &identity).unwrap();
        for transaction in &transactions {
            indexer.apply(transaction, None).unwrap();
        }
    })
    .join()
    .unwrap();
    let pool = std::thread::spawn(move || ReadPool::open(&url, 2).unwrap())
        .join()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(model_ledger_explorer::serve(
        listener,
        pool,
        std::future::pending(),
    ));
    format!("http://{address}")
}

/// A GET over a fresh connection: (status, body).
async fn get(url: String) -> (u16, String) {
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let rest = url.strip_prefix("http://").unwrap();
        let (host, path) = rest.split_at(rest.find('/').unwrap());
        let mut stream = std::net::TcpStream::connect(host).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_string())
            .unwrap_or_default();
        (status, body)
    })
    .await
    .unwrap()
}

async fn json(url: String) -> Value {
    let (status, body) = get(url).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_with_thousands_of_derived_models_draws_a_bounded_lineage() {
    const CHILDREN: u64 = 2_000;
    let mut chain = SyntheticChain::new();
    let parent = chain.register_model("base", "ipfs://base", &[]);
    let license = Pubkey::new_unique();
    let grant = Pubkey::new_unique();
    for number in 0..CHILDREN {
        chain.register_model(
            &format!("child-{number}"),
            "ipfs://child",
            &[(parent, license, grant)],
        );
    }
    let dir = tempfile::tempdir().unwrap();
    for url in servers(dir.path(), &chain).await {
        let page = json(format!("{url}/api/models/{parent}")).await;
        let nodes = page["lineage"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len() as u64, 1 + CHILDREN_DRAWN);
        assert!(nodes.len() <= LINEAGE_NODES);
        assert_eq!(
            page["lineage"]["more_children"],
            serde_json::json!([[parent.to_string(), CHILDREN - CHILDREN_DRAWN]])
        );
        let (status, html) = get(format!("{url}/models/{parent}")).await;
        assert_eq!(status, 200);
        assert!(html.len() < 100_000, "a model page of {} bytes", html.len());
        assert!(
            html.contains(&format!("/models/{parent}/children")),
            "the page links the whole list"
        );

        // The whole list, a page at a time.
        let first = json(format!("{url}/api/models/{parent}/children")).await;
        assert_eq!(first["total"], CHILDREN);
        assert_eq!(
            first["models"].as_array().unwrap().len() as u64,
            CHILDREN_PER_PAGE
        );
        let last_page = CHILDREN / CHILDREN_PER_PAGE - 1;
        let last = json(format!(
            "{url}/api/models/{parent}/children?page={last_page}"
        ))
        .await;
        assert_eq!(
            last["models"].as_array().unwrap().len() as u64,
            CHILDREN_PER_PAGE
        );
        let past = json(format!(
            "{url}/api/models/{parent}/children?page={}",
            last_page + 1
        ))
        .await;
        assert!(past["models"].as_array().unwrap().is_empty());
        let (status, html) = get(format!("{url}/models/{parent}/children?page=3")).await;
        assert_eq!(status, 200);
        assert!(html.contains("child-"), "{html}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallet_thousands_of_contributions_pay_reads_one_row_per_model() {
    const SPAM: u32 = 3_000;
    let mut chain = SyntheticChain::new();
    let victim = Pubkey::new_unique();
    let attacker = Pubkey::new_unique();
    let spammed = chain.register_model("spammed", "ipfs://a", &[]);
    for _ in 0..SPAM {
        let index = chain.propose(&spammed, &attacker, "ipfs://spam");
        chain.set_payout(&spammed, index, &attacker, &victim);
    }
    let own = chain.register_model("own", "ipfs://b", &[]);
    for _ in 0..5 {
        chain.propose(&own, &victim, "ipfs://mine");
    }
    let dir = tempfile::tempdir().unwrap();
    for url in servers(dir.path(), &chain).await {
        let wallet = json(format!("{url}/api/wallets/{victim}")).await;
        assert_eq!(wallet["contribution_count"], u64::from(SPAM) + 5);
        assert_eq!(wallet["models_paying"], 2);
        assert_eq!(wallet["totals_complete"], true);
        assert_eq!(wallet["totals"][0]["earned"]["base_units"], "0");
        let listed = wallet["contributions"].as_array().unwrap();
        assert_eq!(listed.len() as u64, WALLET_PER_PAGE);
        assert!(listed
            .iter()
            .all(|contribution| contribution["payout_wallet"] == victim.to_string()));
        let (status, html) = get(format!("{url}/wallets/{victim}")).await;
        assert_eq!(status, 200);
        assert!(html.contains("3005 contributions"), "{html}");
        // Page after page by the cursor each page gives: every contribution
        // paying the wallet once, in order, then its own.
        let mut seen = std::collections::BTreeSet::new();
        let mut page = 0;
        let mut after = String::new();
        loop {
            let view = json(format!(
                "{url}/api/wallets/{victim}?page={page}&after={after}"
            ))
            .await;
            for contribution in view["contributions"].as_array().unwrap() {
                let key = (
                    contribution["model"].as_str().unwrap().to_string(),
                    contribution["index"].as_u64().unwrap(),
                );
                assert!(seen.insert(key), "listed twice");
            }
            match view["next"].as_str() {
                Some(next) => after = next.to_string(),
                None if view["contributions"].as_array().unwrap().is_empty() => break,
                None => after.clear(),
            }
            page += 1;
        }
        assert_eq!(seen.len() as u64, u64::from(SPAM) + 5);
        let (status, body) = get(format!("{url}/api/wallets/{victim}?page=30")).await;
        assert_eq!(status, 400);
        assert!(body.contains("by its cursor"), "{body}");
        let (status, body) = get(format!("{url}/api/wallets/{victim}?after=nonsense")).await;
        assert_eq!(status, 400);
        assert!(body.contains("is not a cursor (MODEL:INDEX)"), "{body}");
        // The attacker's own page lists the spam it proposed, paying another wallet.
        let attacker_page = json(format!("{url}/api/wallets/{attacker}")).await;
        assert_eq!(attacker_page["contribution_count"], u64::from(SPAM));
        assert_eq!(attacker_page["models_paying"], 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_past_what_an_index_counts_are_named_400s() {
    let mut chain = SyntheticChain::new();
    let model = chain.register_model("m", "ipfs://m", &[]);
    let dir = tempfile::tempdir().unwrap();
    for url in servers(dir.path(), &chain).await {
        let grant = Pubkey::new_unique();
        let cases = [
            (
                format!("/api/batches/{grant}/18446744073709551615"),
                "batch number 18446744073709551615 is beyond any grant's batches",
            ),
            (
                format!("/batches/{grant}/9223372036854775808"),
                "batch number 9223372036854775808 is beyond any grant's batches",
            ),
            (
                format!("/api/batches/{grant}/-1"),
                "batch number \\\"-1\\\" is not a number",
            ),
            (
                format!("/api/models/{model}/contributions?page={}", MAX_PAGE + 1),
                "is beyond any index",
            ),
            (
                format!("/api/models/{model}/children?page=99999999999999999999"),
                "page \\\"99999999999999999999\\\" is not a number",
            ),
            (
                format!("/models/{model}?page={}", u64::MAX),
                "is beyond any index",
            ),
            (format!("/api/wallets/{model}?page=1e3"), "is not a number"),
        ];
        for (path, message) in cases {
            let (status, body) = get(format!("{url}{path}")).await;
            assert_eq!(status, 400, "{path}: {body}");
            assert!(body.contains(message), "{path}: {body}");
        }
        // The largest page still answers (empty).
        let page = json(format!(
            "{url}/api/models/{model}/contributions?page={MAX_PAGE}"
        ))
        .await;
        assert!(page["contributions"].as_array().unwrap().is_empty());
    }
}

/// A query that panics is answered as an error, and its worker serves on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_that_panics_leaves_its_worker_serving() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("empty.sqlite"));
    let pool = std::thread::spawn(move || ReadPool::open(&url, 1).unwrap())
        .join()
        .unwrap();
    let failed = pool
        .run(|_| -> Result<(), model_ledger_indexer::IndexError> { panic!("a bug in a query") })
        .await
        .expect_err("a panic is an error");
    assert!(failed.to_string().contains("stopped mid-query"), "{failed}");
    let answered = pool
        .run(|sql| sql.query_one("SELECT 41 + 1", &[])?.int(0))
        .await
        .unwrap();
    assert_eq!(answered, 42);
}
