//! The explorer: where anyone traces a model's ancestry and earnings. Pages
//! are rendered on the server (no script to build or download) and every
//! page's data is also a JSON API:
//!
//! | page | API |
//! |---|---|
//! | `/` models (100 a page), search | `/api/models?page=`, `/api/status` |
//! | `/search?q=` | `/api/search?q=` |
//! | `/models/{address}` lineage graph, licences, contributions, batches | `/api/models/{address}`, `/api/models/{address}/contributions?page=` |
//! | `/wallets/{address}` contributions across models, earned, claimed | `/api/wallets/{address}?page=&after=` |
//! | `/batches/{grant}/{seq}` a batch, and a form that checks a call's proof | `/api/batches/{grant}/{seq}`, `POST …/verify` |
//!
//! Bad input (an address that is not one, a page that is not a number, a
//! proof that does not parse) is answered 400 with a sentence naming it;
//! what the index does not hold, 404.

pub mod actions;
mod cors;
mod failure;
mod limit;
pub mod overlap;
mod pages;
mod pool;
mod proof;
mod provenance;

use std::collections::BTreeMap;

use axum::{
    extract::{Path, Query, State},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
    Form, Json, Router,
};
use model_ledger_indexer::query::{self, ModelSummary};
use serde::Deserialize;
use solana_sdk::pubkey::Pubkey;

pub use actions::Chain;
pub use failure::Failure;
use failure::{ApiFailure, PageFailure};
pub use pool::{PoolError, ReadPool};

/// What every request may use: the index, and the chain when the explorer
/// reads one (the Solana Actions need the books as they are now).
#[derive(Clone)]
pub struct AppState {
    pub pool: ReadPool,
    pub chain: Option<std::sync::Arc<dyn Chain>>,
    /// Overlap reports shown beside the contributions they measured.
    pub overlap: Option<std::sync::Arc<overlap::OverlapReports>>,
}

impl AppState {
    /// The index alone: no chain to read, no overlap reports.
    pub fn of(pool: ReadPool) -> Self {
        Self {
            pool,
            chain: None,
            overlap: None,
        }
    }

    /// The overlap reports know of each content hash in `hashes`.
    async fn overlaps(&self, hashes: Vec<String>) -> BTreeMap<String, overlap::Shown> {
        let Some(reports) = self.overlap.clone() else {
            return BTreeMap::new();
        };
        // Reading the directory again when it changed is file work.
        tokio::task::spawn_blocking(move || reports.of_all(hashes.iter().map(String::as_str)))
            .await
            .unwrap_or_default()
    }
}

impl axum::extract::FromRef<AppState> for ReadPool {
    fn from_ref(state: &AppState) -> ReadPool {
        state.pool.clone()
    }
}

/// Contributions per page of a model.
pub const PER_PAGE: u64 = 50;
/// Contributions per page of a wallet.
pub const WALLET_PER_PAGE: u64 = 50;

/// Pages of a wallet reached by number; past them, by the cursor each page
/// gives (skipping pages costs the database every contribution skipped).
pub const WALLET_PAGES_BY_NUMBER: u64 = 20;
/// Batches listed on a model's page.
pub const LATEST_BATCHES: u64 = 10;
/// Generations of ancestors and of descendants drawn around a model.
pub const LINEAGE_DEPTH: i32 = 8;

/// The longest a request may take before it is answered 503.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Connections served at once; the next waits to be accepted.
pub const MAX_CONNECTIONS: usize = 512;

fn address(text: &str, what: &str) -> Result<String, Failure> {
    text.parse::<Pubkey>()
        .map(|key| key.to_string())
        .map_err(|_| {
            Failure::BadInput(format!(
                "{text:?} is not a {what} address (base58, 32 bytes)"
            ))
        })
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<String>,
}

/// A page number from the query: a number whose page starts within what a
/// database counts (i64), else 400, whatever the route's page size.
fn page_number(query: &PageQuery) -> Result<u64, Failure> {
    let text = match query.page.as_deref() {
        None | Some("") => return Ok(0),
        Some(text) => text,
    };
    let page: u64 = text
        .parse()
        .map_err(|_| Failure::BadInput(format!("page {text:?} is not a number")))?;
    if page > MAX_PAGE {
        return Err(Failure::BadInput(format!(
            "page {page} is beyond any index (pages go up to {MAX_PAGE})"
        )));
    }
    Ok(page)
}

/// The last page number any route answers: its first row must be
/// addressable as an i64 offset at the largest page size (500).
pub const MAX_PAGE: u64 = (i64::MAX as u64) / 500;

/// Derived models listed per page.
pub const CHILDREN_PER_PAGE: u64 = 100;

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

#[derive(Deserialize)]
struct ProofForm {
    proof: String,
}

/// Everything a model's page shows.
#[derive(serde::Serialize)]
pub struct ModelPage {
    pub model: query::ModelDetail,
    pub lineage: query::Lineage,
    pub licences: Vec<query::LicenceView>,
    pub contributions: query::ContributionsPage,
    pub latest_batches: Vec<query::BatchView>,
}

async fn model_page_data(pool: &ReadPool, model: String, page: u64) -> Result<ModelPage, Failure> {
    let asked = model.clone();
    pool.run(move |sql| {
        let Some(detail) = query::model(sql, &model)? else {
            return Ok(None);
        };
        Ok(Some(ModelPage {
            lineage: query::lineage(sql, &model, LINEAGE_DEPTH)?,
            licences: query::licences(sql, &model)?,
            contributions: query::contributions(
                sql,
                &model,
                page,
                PER_PAGE,
                detail.summary.contributions,
            )?,
            latest_batches: query::latest_batches(sql, &model, LATEST_BATCHES)?,
            model: detail,
        }))
    })
    .await?
    .ok_or_else(|| Failure::NotFound(format!("no model {asked} in the index")))
}

#[derive(Deserialize)]
struct WalletQuery {
    page: Option<String>,
    after: Option<String>,
}

/// `MODEL:INDEX`, the cursor a wallet page's "next" link carries.
fn cursor(text: Option<&str>) -> Result<Option<(String, u32)>, Failure> {
    let Some(text) = text.filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    let bad = || Failure::BadInput(format!("{text:?} is not a cursor (MODEL:INDEX)"));
    let (model, index) = text.split_once(':').ok_or_else(bad)?;
    Ok(Some((
        address(model, "model")?,
        index.parse().map_err(|_| bad())?,
    )))
}

async fn wallet_data(
    pool: &ReadPool,
    wallet: String,
    query: WalletQuery,
) -> Result<query::WalletView, Failure> {
    let page = page_number(&PageQuery { page: query.page })?;
    let after = cursor(query.after.as_deref())?;
    pool.run(move |sql| {
        // Skipping to a page among the contributions paying the wallet
        // reads every one skipped: far pages are reached by cursor.
        if after.is_none()
            && page >= WALLET_PAGES_BY_NUMBER
            && page.saturating_mul(WALLET_PER_PAGE) < query::paying_count(sql, &wallet)?
        {
            return Ok(Err(Failure::BadInput(format!(
                "page {page} of a wallet is reached from the page before it, by its cursor (after=MODEL:INDEX): only the first {WALLET_PAGES_BY_NUMBER} are reached by number"
            ))));
        }
        let after = after.as_ref().map(|(model, index)| (model.as_str(), *index));
        query::wallet(sql, &wallet, page, WALLET_PER_PAGE, after).map(Ok)
    })
    .await?
}

async fn batch_data(
    pool: &ReadPool,
    grant: String,
    seq: u64,
) -> Result<(query::BatchView, String), Failure> {
    let asked = grant.clone();
    pool.run(move |sql| {
        let Some(batch) = query::batch(sql, &grant, seq)? else {
            return Ok(None);
        };
        let name = query::model(sql, &batch.model)?
            .map(|model| model.summary.name)
            .unwrap_or_default();
        Ok(Some((batch, name)))
    })
    .await?
    .ok_or_else(|| Failure::NotFound(format!("no batch #{seq} of grant {asked} in the index")))
}

fn seq_number(text: &str) -> Result<u64, Failure> {
    let seq: u64 = text
        .parse()
        .map_err(|_| Failure::BadInput(format!("batch number {text:?} is not a number")))?;
    i64::try_from(seq)
        .map(|_| seq)
        .map_err(|_| Failure::BadInput(format!("batch number {seq} is beyond any grant's batches")))
}

async fn children_data(
    pool: &ReadPool,
    parent: String,
    page: u64,
) -> Result<(ModelSummary, u64, Vec<ModelSummary>), Failure> {
    let asked = parent.clone();
    pool.run(move |sql| {
        let Some(detail) = query::model(sql, &parent)? else {
            return Ok(None);
        };
        let (total, models) = query::children(sql, &parent, page, CHILDREN_PER_PAGE)?;
        Ok(Some((detail.summary, total, models)))
    })
    .await?
    .ok_or_else(|| Failure::NotFound(format!("no model {asked} in the index")))
}

async fn children_page(
    State(pool): State<ReadPool>,
    Path(model): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Html<String>, PageFailure> {
    let model = address(&model, "model")?;
    let page = page_number(&page)?;
    let (parent, total, models) = children_data(&pool, model, page).await?;
    Ok(Html(
        pages::children(&parent, total, page, CHILDREN_PER_PAGE, &models).into_string(),
    ))
}

#[derive(serde::Serialize)]
struct ChildrenView {
    parent: String,
    total: u64,
    page: u64,
    models: Vec<ModelSummary>,
}

async fn api_children(
    State(pool): State<ReadPool>,
    Path(model): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<ChildrenView>, ApiFailure> {
    let model = address(&model, "model")?;
    let page = page_number(&page)?;
    let (parent, total, models) = children_data(&pool, model, page).await?;
    Ok(Json(ChildrenView {
        parent: parent.address,
        total,
        page,
        models,
    }))
}

async fn home(
    State(pool): State<ReadPool>,
    Query(page): Query<PageQuery>,
) -> Result<Html<String>, PageFailure> {
    let page = page_number(&page)?;
    let (models, status) = pool
        .run(move |sql| Ok((query::models_page(sql, page)?, query::status(sql)?)))
        .await?;
    Ok(Html(pages::home(&models, &status, page).into_string()))
}

async fn search(
    State(pool): State<ReadPool>,
    Query(search): Query<SearchQuery>,
) -> Result<Response, PageFailure> {
    let text = search.q.unwrap_or_default();
    let asked = text.clone();
    let found = pool.run(move |sql| query::search(sql, &text)).await?;
    Ok(match found {
        query::Found::Model { address } => {
            Redirect::to(&format!("/models/{address}")).into_response()
        }
        query::Found::Contribution { model, index } => Redirect::to(&format!(
            "/models/{model}?page={}#contribution-{index}",
            u64::from(index) / PER_PAGE
        ))
        .into_response(),
        query::Found::Batch { model, .. } => {
            Redirect::to(&format!("/models/{model}")).into_response()
        }
        query::Found::Wallet { address } => {
            Redirect::to(&format!("/wallets/{address}")).into_response()
        }
        other => Html(pages::search_results(&asked, &other).into_string()).into_response(),
    })
}

async fn model_page(
    State(state): State<AppState>,
    Path(model): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Html<String>, PageFailure> {
    let model = address(&model, "model")?;
    let data = model_page_data(&state.pool, model, page_number(&page)?).await?;
    let hashes = data
        .contributions
        .contributions
        .iter()
        .map(|row| row.content_hash.clone())
        .collect();
    let overlaps = state.overlaps(hashes).await;
    Ok(Html(pages::model(&data, &overlaps).into_string()))
}

async fn wallet_page(
    State(pool): State<ReadPool>,
    Path(wallet): Path<String>,
    Query(query): Query<WalletQuery>,
) -> Result<Html<String>, PageFailure> {
    let wallet = address(&wallet, "wallet")?;
    let data = wallet_data(&pool, wallet, query).await?;
    Ok(Html(pages::wallet(&data).into_string()))
}

async fn batch_page(
    State(pool): State<ReadPool>,
    Path((grant, seq)): Path<(String, String)>,
) -> Result<Html<String>, PageFailure> {
    let grant = address(&grant, "grant")?;
    let (batch, name) = batch_data(&pool, grant, seq_number(&seq)?).await?;
    Ok(Html(pages::batch(&batch, &name, None).into_string()))
}

async fn batch_verify_page(
    State(pool): State<ReadPool>,
    Path((grant, seq)): Path<(String, String)>,
    Form(form): Form<ProofForm>,
) -> Result<Html<String>, PageFailure> {
    let grant = address(&grant, "grant")?;
    let (batch, name) = batch_data(&pool, grant, seq_number(&seq)?).await?;
    let checked = proof::check(&batch, &form.proof);
    Ok(Html(
        pages::batch(&batch, &name, Some((&form.proof, &checked))).into_string(),
    ))
}

async fn api_status(State(pool): State<ReadPool>) -> Result<Json<query::Status>, ApiFailure> {
    Ok(Json(pool.run(query::status).await?))
}

async fn api_models(
    State(pool): State<ReadPool>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Vec<query::ModelSummary>>, ApiFailure> {
    let page = page_number(&page)?;
    Ok(Json(
        pool.run(move |sql| query::models_page(sql, page)).await?,
    ))
}

async fn api_model(
    State(pool): State<ReadPool>,
    Path(model): Path<String>,
) -> Result<Json<ModelPage>, ApiFailure> {
    let model = address(&model, "model")?;
    Ok(Json(model_page_data(&pool, model, 0).await?))
}

async fn api_contributions(
    State(state): State<AppState>,
    Path(model): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    let model = address(&model, "model")?;
    let page = page_number(&page)?;
    let asked = model.clone();
    let found = state
        .pool
        .run(move |sql| {
            let Some(detail) = query::model(sql, &model)? else {
                return Ok(None);
            };
            query::contributions(sql, &model, page, PER_PAGE, detail.summary.contributions)
                .map(Some)
        })
        .await?
        .ok_or_else(|| Failure::NotFound(format!("no model {asked} in the index")))?;
    let hashes = found
        .contributions
        .iter()
        .map(|row| row.content_hash.clone())
        .collect();
    let overlaps = state.overlaps(hashes).await;
    let mut body = serde_json::to_value(&found).expect("a page serialises");
    // The overlap reports the explorer was given, by content hash.
    if state.overlap.is_some() {
        body["overlaps"] = serde_json::to_value(&overlaps).expect("reports serialise");
    }
    Ok(Json(body))
}

async fn api_wallet(
    State(pool): State<ReadPool>,
    Path(wallet): Path<String>,
    Query(query): Query<WalletQuery>,
) -> Result<Json<query::WalletView>, ApiFailure> {
    let wallet = address(&wallet, "wallet")?;
    Ok(Json(wallet_data(&pool, wallet, query).await?))
}

async fn api_batch(
    State(pool): State<ReadPool>,
    Path((grant, seq)): Path<(String, String)>,
) -> Result<Json<query::BatchView>, ApiFailure> {
    let grant = address(&grant, "grant")?;
    Ok(Json(batch_data(&pool, grant, seq_number(&seq)?).await?.0))
}

async fn api_batch_verify(
    State(pool): State<ReadPool>,
    Path((grant, seq)): Path<(String, String)>,
    body: String,
) -> Result<Json<proof::Checked>, ApiFailure> {
    let grant = address(&grant, "grant")?;
    let (batch, _) = batch_data(&pool, grant, seq_number(&seq)?).await?;
    match proof::check(&batch, &body) {
        proof::Outcome::Checked(checked) => Ok(Json(checked)),
        proof::Outcome::Unreadable(reason) => Err(Failure::BadInput(reason).into()),
    }
}

async fn api_search(
    State(pool): State<ReadPool>,
    Query(search): Query<SearchQuery>,
) -> Result<Json<query::Found>, ApiFailure> {
    let text = search.q.unwrap_or_default();
    Ok(Json(pool.run(move |sql| query::search(sql, &text)).await?))
}

/// The wallet page's claim button (explorer/web, built into one file by CI
/// and committed: the server needs no network and no build step).
async fn claim_script() -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "public, max-age=300"),
        ],
        include_str!("../static/claim.js"),
    )
        .into_response()
}

/// An unknown path: a JSON error under `/api/`, a page elsewhere.
async fn not_found(uri: axum::http::Uri) -> Response {
    let failure = Failure::NotFound(format!("no such page: {}", uri.path()));
    if uri.path().starts_with("/api/") {
        ApiFailure(failure).into_response()
    } else {
        PageFailure(failure).into_response()
    }
}

/// Every route of the explorer over `pool`, each request answered within
/// [`REQUEST_TIMEOUT`]; the Actions answer 503 without a chain to read.
pub fn router(pool: ReadPool) -> Router {
    router_with_state(AppState::of(pool))
}

/// The explorer's routes over `state`.
pub fn router_with_state(state: AppState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/search", get(search))
        .route("/models/{model}", get(model_page))
        .route("/models/{model}/children", get(children_page))
        .route(
            "/models/{model}/provenance.spdx.json",
            get(provenance::spdx_download),
        )
        .route(
            "/models/{model}/model-card.md",
            get(provenance::model_card_download),
        )
        .route("/wallets/{wallet}", get(wallet_page))
        .route("/batches/{grant}/{seq}", get(batch_page))
        .route("/batches/{grant}/{seq}/verify", post(batch_verify_page))
        .route("/api/status", get(api_status))
        .route("/api/models", get(api_models))
        .route("/api/models/{model}", get(api_model))
        .route("/api/models/{model}/contributions", get(api_contributions))
        .route("/api/models/{model}/children", get(api_children))
        .route("/api/wallets/{wallet}", get(api_wallet))
        .route("/api/batches/{grant}/{seq}", get(api_batch))
        .route("/api/batches/{grant}/{seq}/verify", post(api_batch_verify))
        .route("/api/search", get(api_search))
        .route("/actions.json", get(actions::actions_json))
        .route("/actions/icon.svg", get(actions::icon_svg))
        .route("/static/claim.js", get(claim_script))
        .route(
            "/api/actions/claim/{wallet}",
            get(actions::get_claim).post(actions::post_claim),
        )
        .fallback(not_found)
        .layer(axum::middleware::from_fn(within_timeout))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cors::headers,
        ))
        .with_state(state)
}

/// Answers 503 for a request not answered within [`REQUEST_TIMEOUT`] (its
/// query, if any, finishes on its worker and is dropped).
async fn within_timeout(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let failure = Failure::Busy(format!(
                "no answer within {} s: try again in a moment",
                REQUEST_TIMEOUT.as_secs()
            ));
            if api {
                ApiFailure(failure).into_response()
            } else {
                PageFailure(failure).into_response()
            }
        }
    }
}

/// Serves the explorer on `listener` until `shutdown` resolves, at most
/// [`MAX_CONNECTIONS`] connections at once.
pub async fn serve(
    listener: tokio::net::TcpListener,
    pool: ReadPool,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_state(listener, AppState::of(pool), shutdown).await
}

/// [`serve`] over `state`.
pub async fn serve_with_state(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limited = limit::LimitedListener::new(listener, MAX_CONNECTIONS);
    axum::serve(limited, router_with_state(state))
        .with_graceful_shutdown(shutdown)
        .await
}
