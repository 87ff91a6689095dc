//! Cross-origin reads: every JSON route under `/api/` answers any origin
//! (the data is public and no request carries credentials), and the Solana
//! Actions routes carry the headers the Actions specification asks for,
//! preflight included.

use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{actions::ACTION_VERSION, AppState};

fn is_action(path: &str) -> bool {
    path == "/actions.json" || path.starts_with("/api/actions/")
}

pub async fn headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let open = path.starts_with("/api/") || path == "/actions.json";
    if !open {
        return next.run(request).await;
    }
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("access-control-allow-origin", "*".into());
    if is_action(&path) {
        set(
            "access-control-allow-methods",
            "GET,POST,PUT,OPTIONS".into(),
        );
        set(
            "access-control-allow-headers",
            "Content-Type, Authorization, Content-Encoding, Accept-Encoding".into(),
        );
        set(
            "access-control-expose-headers",
            "X-Action-Version, X-Blockchain-Ids".into(),
        );
        set("x-action-version", ACTION_VERSION.into());
        if let Some(id) = state.chain.as_ref().and_then(|chain| chain.blockchain_id()) {
            set("x-blockchain-ids", id);
        }
    } else {
        set("access-control-allow-methods", "GET,OPTIONS".into());
        set("access-control-allow-headers", "Content-Type".into());
    }
    response
}
