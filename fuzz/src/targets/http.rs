//! HTTP requests into the explorer's router, over an index with a lineage,
//! contributions and a licence. An input is `[method, path… 0, body…]`.
//! Invariants: no request panics the server, and none is answered 500 (an
//! error of the index itself): bad input is a 4xx that names it.

use axum::{body::Body, http::Request};
use model_ledger::state::LicenseTerms;
use model_ledger_explorer::ReadPool;
use model_ledger_indexer::{synthetic::SyntheticChain, ChainIdentity, DatabaseUrl, Indexer};
use solana_sdk::pubkey::Pubkey;
use tower::ServiceExt;

use crate::Target;

const METHODS: [&str; 5] = ["GET", "POST", "HEAD", "PUT", "DELETE"];

pub struct Http {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    paths: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Http {
    pub fn new() -> Self {
        let mut chain = SyntheticChain::new();
        let base = chain.register_model("base <b>", "ipfs://base", &[]);
        let license = chain.publish_license(
            &base,
            LicenseTerms {
                price_per_call: 10,
                upfront_fee: 100,
                commercial_use: true,
                derivatives_allowed: true,
                attribution_required: false,
                transferable: true,
                derivative_royalty_bps: 500,
                call_limit: 0,
                duration_seconds: 0,
                terms_uri: "https://example.org/terms".into(),
                terms_hash: [1; 32],
            },
        );
        let grant = Pubkey::new_unique();
        let child = chain.register_model("child", "ipfs://child", &[(base, license, grant)]);
        let wallet = Pubkey::new_unique();
        for _ in 0..30 {
            let index = chain.propose(&base, &wallet, "ar://data");
            if index.is_multiple_of(3) {
                chain.set_payout(&base, index, &wallet, &Pubkey::new_unique());
            }
        }
        let dir = tempfile::tempdir().expect("a directory");
        let url = DatabaseUrl::Sqlite(dir.path().join("index.sqlite"));
        let mut indexer = Indexer::open(
            &url,
            &ChainIdentity {
                program_id: model_ledger::ID,
                cluster: "fuzz".into(),
            },
        )
        .expect("an index");
        for transaction in chain.transactions() {
            indexer
                .apply(transaction, None)
                .expect("the history indexes");
        }
        drop(indexer);
        let pool = ReadPool::open(&url, 2).expect("a pool");
        let router = model_ledger_explorer::router(pool);
        let paths = vec![
            "/".to_string(),
            "/search?q=base".into(),
            format!("/search?q={wallet}"),
            format!("/models/{base}"),
            format!("/models/{base}?page=0"),
            format!("/models/{base}/children?page=0"),
            format!("/models/{child}"),
            format!("/wallets/{wallet}?page=1"),
            format!("/batches/{grant}/0"),
            "/api/status".into(),
            "/api/models".into(),
            format!("/api/models/{base}"),
            format!("/api/models/{base}/contributions?page=0"),
            format!("/api/models/{base}/children?page=0"),
            format!("/api/wallets/{wallet}?page=0"),
            format!("/api/batches/{grant}/0"),
            "/api/search?q=child".into(),
        ];
        Self {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
            router,
            paths,
            _dir: dir,
        }
    }
}

impl Default for Http {
    fn default() -> Self {
        Self::new()
    }
}

impl Target for Http {
    fn name(&self) -> &'static str {
        "http"
    }

    fn seeds(&mut self) -> Vec<Vec<u8>> {
        let mut seeds: Vec<Vec<u8>> = self
            .paths
            .iter()
            .map(|path| {
                let mut input = vec![0u8];
                input.extend_from_slice(path.as_bytes());
                input
            })
            .collect();
        seeds.push(
            b"\x01/api/batches/11111111111111111111111111111111/0/verify\0{\"call\": {}}".to_vec(),
        );
        seeds
            .push(b"\x01/batches/11111111111111111111111111111111/0/verify\0proof=%7B%7D".to_vec());
        seeds
    }

    fn run(&mut self, input: &[u8]) -> Result<String, String> {
        let [method, rest @ ..] = input else {
            return Ok("empty".into());
        };
        let method = METHODS[usize::from(*method) % METHODS.len()];
        let (path, body) = match rest.iter().position(|byte| *byte == 0) {
            Some(at) => (&rest[..at], rest[at + 1..].to_vec()),
            None => (rest, Vec::new()),
        };
        let Ok(path) = std::str::from_utf8(path) else {
            return Ok("path not UTF-8".into());
        };
        let mut request = Request::builder().method(method).uri(path);
        if path.contains("/verify") && !body.starts_with(b"{") {
            request = request.header("content-type", "application/x-www-form-urlencoded");
        }
        let Ok(request) = request.body(Body::from(body)) else {
            return Ok("not a request".into());
        };
        let router = self.router.clone();
        let status = self
            .runtime
            .block_on(async move { router.oneshot(request).await })
            .map_err(|error| format!("{method} {path}: {error}"))?
            .status();
        if status.is_server_error() && status.as_u16() != 503 {
            return Err(format!("{method} {path:?}: answered {status}"));
        }
        Ok(format!("{method} {}", status.as_u16()))
    }
}
