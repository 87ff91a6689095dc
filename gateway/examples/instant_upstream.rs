//! The benchmark's upstream: an OpenAI-style server on loopback that answers
//! every completion at once with the same text (whole, or as a stream of
//! three chunks), so that what the benchmark measures is the gateway's own
//! cost. Not a stand-in for a model in any test: the tests use a real one.
//!
//!   cargo run --release -p model-ledger-gateway --example instant_upstream -- PORT

use axum::{
    body::Bytes,
    http::header,
    response::{IntoResponse, Response},
    routing::post,
    Router,
};

const TEXT: &str =
    "The lighthouse keeper counted forty one herons on the morning the tide came in.";

async fn complete(body: Bytes) -> Response {
    let stream = serde_json::from_slice::<serde_json::Value>(&body)
        .is_ok_and(|request| request["stream"] == true);
    if stream {
        let words: Vec<&str> = TEXT.splitn(3, ' ').collect();
        let mut events = String::new();
        for (position, piece) in words.iter().enumerate() {
            let piece = if position + 1 < words.len() {
                format!("{piece} ")
            } else {
                piece.to_string()
            };
            let finish = if position + 1 == words.len() {
                "\"stop\""
            } else {
                "null"
            };
            events.push_str(&format!(
                "data: {{\"model\":\"instant\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":{}}},\"finish_reason\":{finish}}}]}}\n\n",
                serde_json::Value::String(piece)
            ));
        }
        events.push_str("data: [DONE]\n\n");
        ([(header::CONTENT_TYPE, "text/event-stream")], events).into_response()
    } else {
        let answer = serde_json::json!({
            "id": "instant", "object": "chat.completion", "model": "instant",
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": TEXT }, "finish_reason": "stop" }],
            "usage": { "prompt_tokens": 10, "completion_tokens": 16, "total_tokens": 26 },
        });
        axum::Json(answer).into_response()
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|port| port.parse().ok())
        .expect("usage: instant_upstream PORT");
    let app = Router::new()
        .route("/v1/chat/completions", post(complete))
        .route("/v1/completions", post(complete));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the port is free");
    axum::serve(listener, app).await.expect("serving");
}
