//! Time from sending a streamed completion to its first body chunk, over
//! `REQUESTS` requests one after another (keep-alive): p50 and p99 in
//! microseconds, printed as one JSON line. Run against the upstream and
//! against the gateway in front of it, the difference is what the gateway
//! adds to the first chunk.
//!
//!   cargo run --release -p model-ledger-gateway --example first_chunk -- URL REQUESTS

use std::time::Instant;

use http_body_util::BodyExt;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: first_chunk URL REQUESTS");
    let requests: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1_000);
    let client = Client::builder(TokioExecutor::new()).build_http::<String>();
    let body = r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}"#;
    let mut micros = Vec::with_capacity(requests);
    for _ in 0..requests {
        let request = hyper::Request::post(format!("{url}/v1/chat/completions"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .expect("a request");
        let started = Instant::now();
        let response = client.request(request).await.expect("an answer");
        let mut body = response.into_body();
        let first = body.frame().await;
        micros.push(started.elapsed().as_micros() as u64);
        assert!(first.is_some(), "a streamed body");
        while body.frame().await.is_some() {}
    }
    micros.sort_unstable();
    let at =
        |quantile: f64| micros[((micros.len() as f64 * quantile) as usize).min(micros.len() - 1)];
    println!(
        "{}",
        serde_json::json!({ "requests": requests, "p50_us": at(0.50), "p99_us": at(0.99) })
    );
}
