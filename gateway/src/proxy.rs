//! Forwarding to the upstream, and metering what comes back.

use std::{
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, uri::PathAndQuery, HeaderMap, HeaderName, HeaderValue, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper_util::{
    client::legacy::{connect::HttpConnector, Client},
    rt::TokioExecutor,
};
use model_ledger::state::AttributionEntry;
use model_ledger_attribution::{retrieved_meter_weights, Retrieved};
use model_ledger_sdk::merkle::CallRecord;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::{
    canonical::request_hash,
    journal::{LoggedCall, ReceiptFields},
    output::{self, Completed},
    Gateway, GatewayError, WhenChainDown, CALL_HEADER, MAX_REQUEST_BYTES, RETRIEVED_HEADER,
};

/// The inference server the gateway stands in front of (plain HTTP: it is
/// meant to run beside the gateway, on loopback or a private network).
#[derive(Clone)]
pub struct Upstream {
    client: Client<HttpConnector, Body>,
    base: Uri,
}

impl Upstream {
    pub fn new(base: Uri) -> Result<Self, GatewayError> {
        if base.scheme_str() != Some("http") || base.authority().is_none() {
            return Err(GatewayError::Upstream(format!(
                "{base} is not an http://host:port URL"
            )));
        }
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            base,
        })
    }

    /// Sends `parts` and `body` to the same path under the upstream's URL.
    async fn send(
        &self,
        mut parts: axum::http::request::Parts,
        body: Body,
    ) -> Result<Response<Body>, GatewayError> {
        let prefix = self.base.path().trim_end_matches('/');
        let path = parts.uri.path_and_query().map_or("/", PathAndQuery::as_str);
        let uri = Uri::builder()
            .scheme("http")
            .authority(self.base.authority().expect("checked").clone())
            .path_and_query(format!("{prefix}{path}"))
            .build()
            .map_err(|error| GatewayError::Upstream(error.to_string()))?;
        parts.uri = uri;
        strip_hop_by_hop(&mut parts.headers);
        parts.headers.remove(RETRIEVED_HEADER);
        if let Some(authority) = self.base.authority() {
            if let Ok(host) = HeaderValue::from_str(authority.as_str()) {
                parts.headers.insert(header::HOST, host);
            }
        }
        let response = self
            .client
            .request(Request::from_parts(parts, body))
            .await
            .map_err(|error| GatewayError::Upstream(format!("{}: {error}", self.base)))?;
        let (mut parts, body) = response.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        Ok(Response::from_parts(parts, Body::new(body)))
    }
}

/// Headers that belong to one connection, not to the message (RFC 9110
/// §7.6.1), including any the `Connection` header names.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
    ] {
        headers.remove(name);
    }
}

/// The gateway's own refusals, in the OpenAI error shape clients parse.
fn refusal(status: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({ "error": { "message": message.into(), "type": "model_ledger_gateway" } });
    (status, axum::Json(body)).into_response()
}

/// Anything not metered: forwarded and answered as it is, streaming both ways.
pub async fn pass_through(State(gateway): State<Arc<Gateway>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    forward(&gateway, parts, body).await
}

/// The upstream's answer as it is, or the gateway's 502 when it has none.
async fn forward(gateway: &Gateway, parts: axum::http::request::Parts, body: Body) -> Response {
    match gateway.upstream.send(parts, body).await {
        Ok(response) => response,
        Err(error) => refusal(StatusCode::BAD_GATEWAY, error.to_string()),
    }
}

pub async fn metered_chat(gateway: State<Arc<Gateway>>, request: Request) -> Response {
    metered(gateway, request, "/v1/chat/completions").await
}

pub async fn metered_text(gateway: State<Arc<Gateway>>, request: Request) -> Response {
    metered(gateway, request, "/v1/completions").await
}

/// A completion: forwarded; if the upstream answers 2xx, its body goes to
/// the caller as it arrives while a copy is kept, and once the upstream has
/// finished the call is attributed and journaled before the response ends.
async fn metered(
    State(gateway): State<Arc<Gateway>>,
    request: Request,
    endpoint: &'static str,
) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("a metered request body is at most {MAX_REQUEST_BYTES} bytes"),
            )
        }
    };
    let retrieved = match parts.headers.get(RETRIEVED_HEADER).map(retrieved_documents) {
        None => None,
        Some(Ok(documents)) => {
            match retrieved_meter_weights(&gateway.engine.attributor.index, &documents) {
                Ok(weights) => Some(weights),
                Err(error) => {
                    return refusal(
                        StatusCode::BAD_REQUEST,
                        format!("{RETRIEVED_HEADER}: {error}"),
                    )
                }
            }
        }
        Some(Err(message)) => return refusal(StatusCode::BAD_REQUEST, message),
    };
    // A body that is not a JSON object is not a completion request: the
    // upstream answers it and nothing is metered.
    let Some(request_json) = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .filter(Value::is_object)
    else {
        return forward(&gateway, parts, Body::from(bytes)).await;
    };
    if gateway.when_chain_down == WhenChainDown::Refuse && gateway.backlog() >= gateway.max_pending
    {
        return refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{} call(s) served here are not yet recorded on chain, the bound this gateway was given (--max-pending-calls {}): it refuses calls until they are",
                gateway.backlog(),
                gateway.max_pending
            ),
        );
    }
    let stream = request_json["stream"] == Value::Bool(true);
    // An upstream that is down is the gateway's own 502: not a success,
    // so not metered either.
    let response = forward(&gateway, parts, Body::from(bytes)).await;
    if !response.status().is_success() {
        return response;
    }
    let id = call_id();
    let (mut parts, upstream_body) = response.into_parts();
    if let Ok(value) = HeaderValue::from_str(&id) {
        parts.headers.insert(CALL_HEADER, value);
    }
    let event_stream = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/event-stream"));
    let pending = Pending {
        gateway,
        id,
        endpoint,
        request_hash: request_hash(&request_json),
        retrieved,
        stream: stream || event_stream,
    };
    let (sender, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    tokio::spawn(pending.relay(upstream_body, sender));
    let body = Body::from_stream(tokio_stream(receiver));
    Response::from_parts(parts, body)
}

/// The receiver as a stream of body chunks.
fn tokio_stream(
    mut receiver: mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::poll_fn(move |context| receiver.poll_recv(context))
}

fn retrieved_documents(value: &HeaderValue) -> Result<Vec<Retrieved>, String> {
    let text = value
        .to_str()
        .map_err(|_| format!("{RETRIEVED_HEADER} is not ASCII JSON"))?;
    serde_json::from_str(text).map_err(|error| {
        format!("{RETRIEVED_HEADER} must be a JSON list of document ids or {{\"id\", \"score\"}} ({error})")
    })
}

/// Whether a stream's chunk carries its end marker, `data: [DONE]`.
fn is_terminal_event(chunk: &[u8]) -> bool {
    chunk.windows(6).any(|window| window == b"[DONE]")
}

/// A random 128-bit id, hex: unguessable, so a receipt is found by the
/// caller that holds its id.
fn call_id() -> String {
    let bytes: [u8; 16] = rand::random();
    model_ledger_sdk::hex::encode(&bytes)
}

/// A metered response on its way to the caller.
struct Pending {
    gateway: Arc<Gateway>,
    id: String,
    endpoint: &'static str,
    request_hash: [u8; 32],
    /// Weights of the documents the host retrieved (RAG), if it named any.
    retrieved: Option<Vec<(u32, u16)>>,
    stream: bool,
}

impl Pending {
    /// Relays the upstream's body. A whole response's last chunk, and a
    /// stream's `data: [DONE]`, are held until the call is journaled: a
    /// caller that has seen its response complete has a call on disk (and
    /// one killed in between sees it fail). A stream's other chunks go at
    /// once. A caller gone before the end is not metered.
    async fn relay(self, mut upstream: Body, sender: mpsc::Sender<Result<Bytes, std::io::Error>>) {
        let mut copy = Vec::new();
        let mut held: Option<Bytes> = None;
        loop {
            match upstream.frame().await {
                None => break,
                Some(Err(error)) => {
                    // The upstream broke off: the caller sees the error and
                    // nothing is metered.
                    eprintln!(
                        "call {}: not metered: the upstream broke off: {error}",
                        self.id
                    );
                    let _ = sender.send(Err(std::io::Error::other(error))).await;
                    return;
                }
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else {
                        continue; // trailers: not part of the output
                    };
                    copy.extend_from_slice(&data);
                    // What tells the caller it has everything waits for the
                    // journal: a whole response's last chunk (only known as
                    // last when the next arrives), a stream's `[DONE]`.
                    let hold = !self.stream || is_terminal_event(&data);
                    let ready = [held.take(), (!hold).then(|| data.clone())];
                    for chunk in ready.into_iter().flatten() {
                        if sender.send(Ok(chunk)).await.is_err() {
                            eprintln!("call {}: not metered: the caller left", self.id);
                            return;
                        }
                    }
                    if hold {
                        held = Some(data);
                    }
                }
            }
        }
        if sender.is_closed() {
            eprintln!(
                "call {}: not metered: the caller left before the end",
                self.id
            );
            return;
        }
        let parsed = if self.stream {
            output::streamed(&copy)
        } else {
            output::whole(&copy)
        };
        match parsed {
            Ok(completed) => {
                let id = self.id.clone();
                if let Err(error) = self.journal(completed).await {
                    eprintln!("call {id}: not metered: {error}");
                    let _ = sender.send(Err(std::io::Error::other(error))).await;
                    return;
                }
            }
            Err(reason) => eprintln!("call {}: not metered: {reason}", self.id),
        }
        if let Some(data) = held {
            let _ = sender.send(Ok(data)).await;
        }
    }

    /// Attributes the output and writes the call to the log.
    async fn journal(self, completed: Completed) -> Result<(), GatewayError> {
        let gateway = self.gateway.clone();
        let retrieved = self.retrieved.clone();
        let output = completed.output.clone();
        let weights = match retrieved {
            Some(weights) => weights,
            None => tokio::task::spawn_blocking(move || {
                let started = std::time::Instant::now();
                let weights = gateway.engine.attribute(&output).meter_weights();
                gateway.attribution_timing.add(started.elapsed());
                weights
            })
            .await
            .map_err(|error| GatewayError::Journal(error.to_string()))?,
        };
        let earning = self.gateway.earning.lock().expect("not poisoned").clone();
        let attribution = weights
            .into_iter()
            .filter(|(index, weight)| {
                *weight > 0
                    && earning
                        .as_ref()
                        .is_none_or(|earning| earning.contains(index))
            })
            .map(|(index, weight)| AttributionEntry { index, weight })
            .collect();
        let record = CallRecord {
            request_hash: self.request_hash,
            output_hash: Sha256::digest(completed.output.as_bytes()).into(),
            attribution,
        };
        let at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let call = LoggedCall::new(
            &record,
            ReceiptFields {
                id: self.id,
                endpoint: self.endpoint.to_string(),
                model: completed.model,
                usage: completed.usage,
                stream: self.stream,
                at,
            },
        );
        self.gateway.journal.append(call, record).await.map(drop)
    }
}
