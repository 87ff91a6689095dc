//! "Claim my royalties" as a Solana Action (the Actions specification, v2.4):
//! `GET /api/actions/claim/{wallet}` says what the wallet can claim, in
//! tokens, with the models paying it; `POST` with `{"account": …}` answers
//! the transaction that claims for that account (the first transaction of
//! them when more are needed, with a "claim the rest" action chained after
//! it). Amounts come from the chain's books at the moment of asking, the
//! list of contributions from the index. The server never holds a key: the
//! transaction is unsigned, its fee payer the account.

use std::sync::Arc;

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use base64::Engine;
use model_ledger_indexer::query;
use model_ledger_sdk::{
    claims::{claim_transactions, claimable_in, ClaimTarget},
    display::tokens,
    instructions::ModelAccounts,
    pda,
};
use serde::Deserialize;
use serde_json::{json, Value};
use solana_sdk::{
    account::Account, hash::Hash, message::Message, pubkey::Pubkey, transaction::Transaction,
};

use crate::{AppState, ReadPool};

/// What the Actions need from the chain that the index does not hold: the
/// books as they are now, and a blockhash to sign under.
#[async_trait::async_trait]
pub trait Chain: Send + Sync + 'static {
    /// The accounts at `addresses`, `None` where none exists.
    async fn accounts(&self, addresses: &[Pubkey]) -> Result<Vec<Option<Account>>, String>;
    /// A recent blockhash; an error says why this chain takes no
    /// transactions from wallets (an embedded ledger).
    async fn recent_blockhash(&self) -> Result<Hash, String>;
    /// The chain's CAIP-2 id (`solana:` and the genesis hash's first 32
    /// characters), for the `X-Blockchain-Ids` header.
    fn blockchain_id(&self) -> Option<String>;
}

/// The Actions specification version these answers follow.
pub const ACTION_VERSION: &str = "2.4";

/// Contributions read per request: a wallet paid by more claims the rest
/// from a later request (each landed claim leaves the list).
pub const MAX_CONTRIBUTIONS_READ: usize = 200;

/// An Action's error: `{"message": …}` with a 4xx or 5xx status.
pub struct ActionError(StatusCode, String);

impl IntoResponse for ActionError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "message": self.1 }))).into_response()
    }
}

impl From<crate::PoolError> for ActionError {
    fn from(error: crate::PoolError) -> Self {
        ActionError(StatusCode::SERVICE_UNAVAILABLE, error.to_string())
    }
}

fn bad(message: impl Into<String>) -> ActionError {
    ActionError(StatusCode::BAD_REQUEST, message.into())
}

fn key(text: &str, what: &str) -> Result<Pubkey, ActionError> {
    text.parse().map_err(|_| {
        bad(format!(
            "{text:?} is not a {what} address (base58, 32 bytes)"
        ))
    })
}

fn chain(state: &AppState) -> Result<Arc<dyn Chain>, ActionError> {
    state.chain.clone().ok_or_else(|| {
        ActionError(
            StatusCode::SERVICE_UNAVAILABLE,
            "this explorer reads no chain, so it cannot tell what is claimable now".into(),
        )
    })
}

/// One contribution paying the wallet, with what it can claim now.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Claimable {
    pub model: String,
    pub model_name: String,
    pub index: u32,
    pub amount: query::Amount,
    pub payment_mint: String,
    pub decimals: u8,
    #[serde(skip)]
    target: ClaimTarget,
    #[serde(skip)]
    base_units: u64,
}

/// Every contribution paying `wallet` (the first [`MAX_CONTRIBUTIONS_READ`])
/// with its claimable amount read from its model's book now.
async fn claimables(
    pool: &ReadPool,
    chain: Arc<dyn Chain>,
    wallet: Pubkey,
) -> Result<Vec<Claimable>, ActionError> {
    let shown = wallet.to_string();
    let paying = pool
        .run(move |sql| {
            let mut rows = query::paying(sql, &shown)?;
            rows.truncate(MAX_CONTRIBUTIONS_READ);
            let mut named = Vec::with_capacity(rows.len());
            let mut names: Vec<(Pubkey, String)> = Vec::new();
            for (model, index) in rows {
                let name = match names.iter().find(|(known, _)| *known == model) {
                    Some((_, name)) => name.clone(),
                    None => {
                        let name = query::model(sql, &model.to_string())?
                            .map(|detail| detail.summary.name)
                            .unwrap_or_default();
                        names.push((model, name.clone()));
                        name
                    }
                };
                named.push((model, index, name));
            }
            Ok(named)
        })
        .await?;
    let mut models: Vec<Pubkey> = paying.iter().map(|(model, _, _)| *model).collect();
    models.dedup();
    let books: Vec<Pubkey> = models
        .iter()
        .map(|model| pda::royalty_book(model).0)
        .collect();
    let found = chain.accounts(&books).await.map_err(|error| {
        ActionError(
            StatusCode::BAD_GATEWAY,
            format!("the chain did not answer: {error}"),
        )
    })?;
    let mut lines = Vec::with_capacity(paying.len());
    for (model, index, model_name) in paying {
        let at = models.iter().position(|known| *known == model).unwrap_or(0);
        // Borrowed: a book holds 64 bytes per contribution, read once per model.
        let (book_address, Some(book)) = (books[at], found.get(at).and_then(Option::as_ref)) else {
            return Err(ActionError(
                StatusCode::BAD_GATEWAY,
                format!("the royalty book of model {model} is not on the chain"),
            ));
        };
        let failed = |error: model_ledger_sdk::SdkError| {
            ActionError(StatusCode::BAD_GATEWAY, error.to_string())
        };
        let header =
            model_ledger_sdk::accounts::decode_royalty_book(&book_address, book).map_err(failed)?;
        let base_units = claimable_in(&book_address, book, index).map_err(failed)?;
        lines.push(Claimable {
            model: model.to_string(),
            model_name,
            index,
            amount: query::Amount::new(u128::from(base_units), header.payment_decimals),
            payment_mint: header.payment_mint.to_string(),
            target: ClaimTarget {
                model: ModelAccounts {
                    model,
                    payment_mint: header.payment_mint,
                    token_program: header.token_program,
                },
                index,
            },
            base_units,
            decimals: header.payment_decimals,
        });
    }
    Ok(lines)
}

/// The sum of `lines` per mint, in tokens: "0.5 (mint Abc…)" parts.
fn totals(lines: &[&Claimable]) -> String {
    let mut sums: Vec<(Pubkey, u8, u128)> = Vec::new();
    for line in lines {
        let mint = line.target.model.payment_mint;
        match sums.iter_mut().find(|(known, _, _)| *known == mint) {
            Some(sum) => sum.2 += u128::from(line.base_units),
            None => sums.push((mint, line.decimals, u128::from(line.base_units))),
        }
    }
    sums.iter()
        .map(|(mint, decimals, sum)| {
            if sums.len() == 1 {
                format!("{} tokens", tokens(*sum, *decimals))
            } else {
                format!("{} tokens of mint {mint}", tokens(*sum, *decimals))
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

fn icon(headers: &HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}/actions/icon.svg")
}

/// The action that claims for `wallet`, as GET answers it (and as the
/// inline "next" action after a partial claim).
fn claim_action(wallet: &Pubkey, lines: &[Claimable], headers: &HeaderMap) -> Value {
    let owed: Vec<&Claimable> = lines.iter().filter(|line| line.base_units > 0).collect();
    let href = format!("/api/actions/claim/{wallet}");
    let (label, description) = if owed.is_empty() {
        (
            "Nothing to claim".to_string(),
            format!(
                "{wallet} has nothing to claim now ({} contribution(s) pay it).",
                lines.len()
            ),
        )
    } else {
        let mut names: Vec<&str> = owed.iter().map(|line| line.model_name.as_str()).collect();
        names.dedup();
        (
            format!("Claim {}", totals(&owed)),
            format!(
                "{wallet} can claim {} from {} contribution(s) to {}.",
                totals(&owed),
                owed.len(),
                names.join(", ")
            ),
        )
    };
    json!({
        "type": "action",
        "icon": icon(headers),
        "title": "Claim your Model Ledger royalties",
        "description": description,
        "label": label,
        "disabled": owed.is_empty(),
        "links": { "actions": [{ "type": "transaction", "label": label, "href": href }] },
        // Beyond the specification (clients ignore it): each contribution's amount.
        "claimable": owed,
    })
}

pub async fn get_claim(
    State(state): State<AppState>,
    Path(wallet): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ActionError> {
    let wallet = key(&wallet, "wallet")?;
    let chain = chain(&state)?;
    let lines = claimables(&state.pool, chain.clone(), wallet).await?;
    let mut action = claim_action(&wallet, &lines, &headers);
    action["balances"] = balances(chain.as_ref(), &wallet, &lines).await?;
    Ok(Json(action))
}

/// The wallet's balance in each mint paying it: its associated token
/// account's, where a claim pays (beyond the specification, for the page).
async fn balances(
    chain: &dyn Chain,
    wallet: &Pubkey,
    lines: &[Claimable],
) -> Result<Value, ActionError> {
    let mut mints: Vec<(ModelAccounts, u8)> = Vec::new();
    for line in lines {
        if !mints
            .iter()
            .any(|(known, _)| known.payment_mint == line.target.model.payment_mint)
        {
            mints.push((line.target.model, line.decimals));
        }
    }
    let addresses: Vec<Pubkey> = mints
        .iter()
        .map(|(model, _)| model_ledger_sdk::client::associated_token(wallet, model))
        .collect();
    let found = chain.accounts(&addresses).await.map_err(|error| {
        ActionError(
            StatusCode::BAD_GATEWAY,
            format!("the chain did not answer: {error}"),
        )
    })?;
    Ok(Value::Array(
        mints
            .iter()
            .zip(&addresses)
            .zip(found)
            .map(|(((model, decimals), address), account)| {
                // A token account keeps its amount after the mint and the owner.
                let amount = account
                    .and_then(|account| {
                        account
                            .data
                            .get(64..72)
                            .map(|bytes| u64::from_le_bytes(bytes.try_into().unwrap_or_default()))
                    })
                    .unwrap_or(0);
                json!({
                    "mint": model.payment_mint.to_string(),
                    "token_account": address.to_string(),
                    "amount": query::Amount::new(u128::from(amount), *decimals),
                })
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
pub struct PostBody {
    account: Option<String>,
}

#[derive(Deserialize)]
pub struct PostQuery {
    /// Micro-lamports per compute unit, for a priority fee.
    priority_fee: Option<String>,
    /// Claim this contribution only (with `index`).
    model: Option<String>,
    index: Option<String>,
}

pub async fn post_claim(
    State(state): State<AppState>,
    Path(wallet): Path<String>,
    Query(query): Query<PostQuery>,
    headers: HeaderMap,
    body: String,
) -> Result<Json<Value>, ActionError> {
    key(&wallet, "wallet")?;
    let body: PostBody = serde_json::from_str(&body).map_err(|error| {
        bad(format!(
            "the body is not {{\"account\": \"<address>\"}}: {error}"
        ))
    })?;
    let account = key(
        body.account
            .as_deref()
            .ok_or_else(|| bad("the body names no account"))?,
        "account",
    )?;
    let priority_fee = match query.priority_fee.as_deref() {
        None | Some("") => None,
        Some(text) => Some(text.parse::<u64>().map_err(|_| {
            bad(format!(
                "priority_fee {text:?} is not a number of micro-lamports"
            ))
        })?),
    };
    let only = match (query.model.as_deref(), query.index.as_deref()) {
        (None, None) => None,
        (Some(model), Some(index)) => Some((
            key(model, "model")?,
            index
                .parse::<u32>()
                .map_err(|_| bad(format!("index {index:?} is not a contribution index")))?,
        )),
        _ => {
            return Err(bad(
                "a single contribution is named by both model and index",
            ))
        }
    };
    let chain = chain(&state)?;
    // Built for the account that signs, whichever wallet the link named.
    let mut lines = claimables(&state.pool, chain.clone(), account).await?;
    if let Some((model, index)) = only {
        lines.retain(|line| line.target.model.model == model && line.index == index);
    }
    let owed: Vec<ClaimTarget> = lines
        .iter()
        .filter(|line| line.base_units > 0)
        .map(|line| line.target)
        .collect();
    if owed.is_empty() {
        return Err(ActionError(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{account} has nothing to claim now"),
        ));
    }
    let plan = claim_transactions(&account, &owed, priority_fee);
    let first = plan.first().cloned().unwrap_or_default();
    let claims_in_first = first
        .iter()
        .filter(|instruction| instruction.program_id == model_ledger_sdk::PROGRAM_ID)
        .count();
    let blockhash = chain
        .recent_blockhash()
        .await
        .map_err(|reason| ActionError(StatusCode::UNPROCESSABLE_ENTITY, reason))?;
    let message = Message::new_with_blockhash(&first, Some(&account), &blockhash);
    let transaction = Transaction::new_unsigned(message);
    let bytes = bincode::serialize(&transaction)
        .map_err(|error| ActionError(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))?;
    let claimed: Vec<&Claimable> = lines
        .iter()
        .filter(|line| line.base_units > 0)
        .take(claims_in_first)
        .collect();
    let rest = owed.len() - claims_in_first;
    let mut answer = json!({
        "type": "transaction",
        "transaction": base64::engine::general_purpose::STANDARD.encode(bytes),
        "message": if rest == 0 {
            format!("Claims {} from {} contribution(s).", totals(&claimed), claims_in_first)
        } else {
            format!(
                "Claims {} from {} of {} contribution(s); {} more follow in the next transaction.",
                totals(&claimed),
                claims_in_first,
                owed.len(),
                rest
            )
        },
    });
    if rest > 0 {
        let remaining: Vec<Claimable> = lines
            .iter()
            .filter(|line| line.base_units > 0)
            .skip(claims_in_first)
            .cloned()
            .collect();
        answer["links"] = json!({ "next": { "type": "inline", "action": claim_action(&account, &remaining, &headers) } });
    }
    Ok(Json(answer))
}

/// `/actions.json`: which of this site's paths have an Action.
pub async fn actions_json() -> Json<Value> {
    Json(json!({
        "rules": [
            { "pathPattern": "/wallets/*", "apiPath": "/api/actions/claim/*" },
            { "pathPattern": "/api/actions/**", "apiPath": "/api/actions/**" },
        ]
    }))
}

/// The Action's icon.
pub async fn icon_svg() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "image/svg+xml")], ICON).into_response()
}

const ICON: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128"><rect width="128" height="128" rx="24" fill="#14213d"/><path d="M28 92V36l36 28 36-28v56" fill="none" stroke="#fca311" stroke-width="10" stroke-linejoin="round"/></svg>"##;
