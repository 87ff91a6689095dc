//! Why a request failed, answered as a page or as the API's JSON error.

use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Response},
    Json,
};
use model_ledger_indexer::IndexError;

use crate::{pages, PoolError};

/// Why a request failed, as the page or the API says it.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    BadInput(String),
    #[error("{0}")]
    NotFound(String),
    #[error("the index could not answer: {0}")]
    Index(#[from] IndexError),
    /// Every database worker is taken, or the answer took longer than
    /// [`REQUEST_TIMEOUT`]: try again.
    #[error("{0}")]
    Busy(String),
}

impl Failure {
    fn status(&self) -> StatusCode {
        match self {
            Failure::BadInput(_) => StatusCode::BAD_REQUEST,
            Failure::NotFound(_) => StatusCode::NOT_FOUND,
            Failure::Index(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Failure::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl From<PoolError> for Failure {
    fn from(error: PoolError) -> Self {
        match error {
            PoolError::Index(error) => Failure::Index(error),
            PoolError::Busy => Failure::Busy(error.to_string()),
        }
    }
}

impl From<PoolError> for PageFailure {
    fn from(error: PoolError) -> Self {
        PageFailure(error.into())
    }
}

impl From<PoolError> for ApiFailure {
    fn from(error: PoolError) -> Self {
        ApiFailure(error.into())
    }
}

/// A failure answered as a page.
pub(crate) struct PageFailure(pub(crate) Failure);

impl From<Failure> for PageFailure {
    fn from(failure: Failure) -> Self {
        PageFailure(failure)
    }
}

impl From<IndexError> for PageFailure {
    fn from(error: IndexError) -> Self {
        PageFailure(Failure::Index(error))
    }
}

impl IntoResponse for PageFailure {
    fn into_response(self) -> Response {
        (self.0.status(), Html(pages::failure(&self.0).into_string())).into_response()
    }
}

/// A failure answered as JSON: `{"error": {"status", "message"}}`.
pub(crate) struct ApiFailure(pub(crate) Failure);

impl From<Failure> for ApiFailure {
    fn from(failure: Failure) -> Self {
        ApiFailure(failure)
    }
}

impl From<IndexError> for ApiFailure {
    fn from(error: IndexError) -> Self {
        ApiFailure(Failure::Index(error))
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let status = self.0.status();
        (
            status,
            Json(serde_json::json!({ "error": { "status": status.as_u16(), "message": self.0.to_string() } })),
        )
            .into_response()
    }
}
