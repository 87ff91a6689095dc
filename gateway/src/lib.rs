//! A metering gateway in front of an OpenAI-compatible inference server.
//!
//! Requests pass through to `--upstream` as they came (hop-by-hop headers
//! aside, as HTTP requires); each `/v1/chat/completions` and
//! `/v1/completions` response that the upstream completes with 2xx becomes
//! one call record, attributed by the engine, journaled to disk
//! ([`journal`]) before the response ends, and recorded on chain in the
//! background by `meter`'s journal (the CLI's `gateway` command drives it).
//! The caller gets the call's id in `x-model-ledger-call` and its receipt at
//! `GET /ledger/receipts/{id}` ([`receipts`]).

pub mod canonical;
pub mod journal;
pub mod output;
mod proxy;
pub mod receipts;

use std::{
    collections::BTreeSet,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use axum::{routing::get, Router};
use model_ledger_attribution::Engine;

pub use proxy::Upstream;
pub use receipts::{LandedBatch, LedgerView};

/// The header a caller reads its call's id from.
pub const CALL_HEADER: &str = "x-model-ledger-call";
/// The header a host doing retrieval names the documents it retrieved in
/// (a JSON list of index paths or `{"id", "score"}`); the gateway strips it
/// before forwarding and pays those documents' contributions by score.
pub const RETRIEVED_HEADER: &str = "x-model-ledger-retrieved";
/// Largest request body the gateway reads to meter (a larger one is refused
/// with 413 before it reaches the upstream).
pub const MAX_REQUEST_BYTES: usize = 16 << 20;

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("call log: {0}")]
    Journal(String),
    #[error("upstream: {0}")]
    Upstream(String),
}

/// What the gateway does when the chain has fallen behind by more than
/// `max_pending` calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenChainDown {
    /// Keep serving and journaling: the calls are recorded when the chain
    /// returns.
    Serve,
    /// Answer new metered requests 503 until the backlog is under the bound.
    Refuse,
}

/// Everything a request handler reads.
pub struct Gateway {
    pub upstream: Upstream,
    pub journal: journal::Journal,
    /// The attribution engine (the paraphrase stage too, if the host named its model).
    pub engine: Arc<Engine>,
    pub ledger: Arc<LedgerView>,
    pub when_chain_down: WhenChainDown,
    pub max_pending: usize,
    /// Contributions that earn (accepted, active shares), as last read from
    /// the chain: attribution to any other would make the program refuse
    /// the whole batch, so it is left out of the record. `None` until read.
    pub earning: Mutex<Option<BTreeSet<u32>>>,
    /// Outputs attributed by the engine, and the time it took, for
    /// `/ledger/status` (what attribution adds to each response).
    pub attribution_timing: AttributionTiming,
}

#[derive(Default)]
pub struct AttributionTiming {
    pub outputs: AtomicU64,
    pub nanos: AtomicU64,
}

impl AttributionTiming {
    pub fn add(&self, elapsed: std::time::Duration) {
        self.outputs.fetch_add(1, Ordering::Relaxed);
        self.nanos
            .fetch_add(elapsed.as_nanos() as u64, Ordering::Relaxed);
    }

    /// Mean microseconds per attributed output.
    pub fn mean_micros(&self) -> f64 {
        let outputs = self.outputs.load(Ordering::Relaxed);
        if outputs == 0 {
            return 0.0;
        }
        self.nanos.load(Ordering::Relaxed) as f64 / outputs as f64 / 1_000.0
    }
}

impl Gateway {
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route(
                "/v1/chat/completions",
                axum::routing::post(proxy::metered_chat),
            )
            .route("/v1/completions", axum::routing::post(proxy::metered_text))
            .route("/ledger/receipts/{id}", get(receipts::receipt))
            .route("/ledger/status", get(receipts::status))
            .fallback(proxy::pass_through)
            .with_state(self)
    }

    /// Serves the gateway on `listener` until `shutdown` resolves, then lets
    /// the requests in flight finish. Replies go out without Nagle's delay:
    /// a response is written in pieces (head, chunks), and waiting for the
    /// caller's delayed acknowledgement would add 40 ms to each.
    pub async fn serve(
        self: Arc<Self>,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        use axum::serve::ListenerExt;
        let listener = listener.tap_io(|connection| {
            let _ = connection.set_nodelay(true);
        });
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }

    /// Calls journaled but not yet in a landed batch.
    pub fn backlog(&self) -> usize {
        let journaled = self.journal.journaled();
        journaled.saturating_sub(self.ledger.calls_done())
    }
}
