//! Provenance downloads: a model's SPDX 3.0.1 document and Hugging Face
//! model card, read from the chain the explorer follows and written by
//! `model_ledger_sdk::provenance`, as `model-ledger export` writes them.
//! Without a chain to read they answer 503, as the Actions do.

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};
use model_ledger_sdk::{
    client::LedgerClient,
    connection::{LedgerConnection, TransactionOutcome},
    provenance::{chain_label, model_card, slug, spdx, spdx_time},
    SdkError,
};
use solana_sdk::{
    account::Account, hash::Hash, pubkey::Pubkey, signature::Keypair, transaction::Transaction,
};

use crate::{actions::Chain, failure::ApiFailure, AppState, Failure};

/// The SDK's reads, over the explorer's chain; it sends nothing.
struct ReadOnly(Arc<dyn Chain>);

fn read_only() -> SdkError {
    SdkError::Connection("the explorer reads the chain and sends nothing".into())
}

#[async_trait::async_trait]
impl LedgerConnection for ReadOnly {
    async fn get_account(&self, address: &Pubkey) -> Result<Option<Account>, SdkError> {
        let mut found = self
            .0
            .accounts(&[*address])
            .await
            .map_err(SdkError::Connection)?;
        Ok(found.pop().flatten())
    }

    async fn latest_blockhash(&self) -> Result<Hash, SdkError> {
        Err(read_only())
    }

    async fn blockhash_after(&self, _: &Hash) -> Result<Hash, SdkError> {
        Err(read_only())
    }

    async fn simulate(&self, _: &Transaction) -> Result<u64, SdkError> {
        Err(read_only())
    }

    async fn send_transaction(&self, _: &Transaction) -> Result<TransactionOutcome, SdkError> {
        Err(read_only())
    }
}

#[derive(Clone, Copy)]
enum Format {
    Spdx,
    ModelCard,
}

async fn export(state: &AppState, model: &str, format: Format) -> Result<Response, Failure> {
    let model: Pubkey = model.parse().map_err(|_| {
        Failure::BadInput(format!(
            "{model:?} is not a model address (base58, 32 bytes)"
        ))
    })?;
    let chain = state.chain.clone().ok_or_else(|| {
        Failure::Busy("this explorer reads no chain, so it cannot export a model".into())
    })?;
    let label = chain_label(
        chain
            .blockchain_id()
            .as_deref()
            .and_then(|id| id.strip_prefix("solana:")),
    );
    let client = LedgerClient::new(ReadOnly(chain), Keypair::new());
    let provenance = client
        .provenance(&model, &label)
        .await
        .map_err(|error| match error {
            SdkError::AccountNotFound(_) => {
                Failure::NotFound(format!("no model {model} on the chain"))
            }
            other => Failure::Busy(format!("the chain did not answer: {other}")),
        })?;
    let name = slug(&provenance.subject().model.name);
    let (body, content_type, file) = match format {
        Format::Spdx => (
            serde_json::to_string_pretty(&spdx::document(
                &provenance,
                &spdx_time(std::time::SystemTime::now()),
            ))
            .map_err(|error| Failure::Busy(error.to_string()))?,
            "application/ld+json",
            format!("{name}.spdx.json"),
        ),
        Format::ModelCard => (
            model_card::front_matter(&provenance),
            "text/markdown; charset=utf-8",
            format!("{name}.README.md"),
        ),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}

/// `GET /models/{model}/provenance.spdx.json`
pub(crate) async fn spdx_download(
    State(state): State<AppState>,
    Path(model): Path<String>,
) -> Result<Response, ApiFailure> {
    export(&state, &model, Format::Spdx)
        .await
        .map_err(ApiFailure)
}

/// `GET /models/{model}/model-card.md`
pub(crate) async fn model_card_download(
    State(state): State<AppState>,
    Path(model): Path<String>,
) -> Result<Response, ApiFailure> {
    export(&state, &model, Format::ModelCard)
        .await
        .map_err(ApiFailure)
}
