//! What the CLI and the explorer read from the index: models, a model's
//! lineage, licences, contributions and batches, a wallet's earnings,
//! search. Amounts are base units as decimal strings (exact whatever their
//! size, in JSON too) with the same amount in tokens beside them.

use std::collections::BTreeMap;

use model_ledger::{
    math::royalty::{whole_tokens, Pools},
    state::LicenseTerms,
};
use model_ledger_sdk::display::{licence_summary, tokens};
use serde::Serialize;
use solana_sdk::pubkey::Pubkey;

use crate::{
    apply::{ai_from_json, load_book, terms_from_json, Book, Entry, ENTRY_COLUMNS},
    db::{Row, Sql},
    IndexError,
};

mod lineage;
mod search;
mod wallet;

pub use lineage::{
    children, lineage, Lineage, LineageEdge, LineageNode, CHILDREN_DRAWN, LINEAGE_NODES,
};
pub use search::{model_id_hex, paying, search, Found};
pub use wallet::{paying_count, wallet, MintTotal, WalletView, WALLET_LISTS, WALLET_TOTAL_MODELS};

/// An amount in base units and in tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Amount {
    pub base_units: String,
    pub tokens: String,
}

impl Amount {
    pub fn new(base_units: u128, decimals: u8) -> Self {
        Self {
            base_units: base_units.to_string(),
            tokens: tokens(base_units, decimals),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ModelSummary {
    pub address: String,
    pub name: String,
    pub model_id: String,
    pub authority: String,
    pub payment_mint: String,
    pub decimals: u8,
    pub contributions: u64,
    pub accepted: u64,
    pub parents: u64,
    pub children: u64,
    pub received: Amount,
    pub batches: u64,
    pub calls: String,
    pub registered_slot: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ModelDetail {
    #[serde(flatten)]
    pub summary: ModelSummary,
    pub creator: String,
    pub pending_authority: Option<String>,
    pub metadata_uri: String,
    pub content_hash: String,
    pub attribution_bps: u16,
    pub non_commercial_lineage: bool,
    /// For a derived model: what its parents' licences leave its own, in
    /// plain words (`AiTerms::lineage` of the licences its parent grants
    /// were bought on).
    pub lineage_ai: Option<String>,
    pub vault: String,
    pub royalty_book: String,
    pub licences: u64,
    pub paid_out: Amount,
    pub unallocated: Amount,
    pub protocol_fees_owed: Amount,
    pub owed_upstream: Amount,
    pub registered_signature: String,
}

pub(crate) const SUMMARY_COLUMNS: &str = "address, name, model_id, authority, payment_mint, payment_decimals, contribution_count, accepted_count, (SELECT COUNT(*) FROM lineage WHERE child = models.address) AS parent_count, derived_count, total_received, batches, calls, registered_slot";

pub(crate) fn summary_from(row: &Row) -> Result<ModelSummary, IndexError> {
    let decimals = decimals(row.int("payment_decimals")?)?;
    Ok(ModelSummary {
        address: row.text("address")?.into(),
        name: row.text("name")?.into(),
        model_id: row.text("model_id")?.into(),
        authority: row.text("authority")?.into(),
        payment_mint: row.text("payment_mint")?.into(),
        decimals,
        contributions: row.u64("contribution_count")?,
        accepted: row.u64("accepted_count")?,
        parents: row.u64("parent_count")?,
        children: row.u64("derived_count")?,
        received: Amount::new(row.amount("total_received")?, decimals),
        batches: row.u64("batches")?,
        calls: row.text("calls")?.into(),
        registered_slot: row.u64("registered_slot")?,
    })
}

pub(crate) fn decimals(value: i64) -> Result<u8, IndexError> {
    u8::try_from(value).map_err(|_| IndexError::Database(format!("{value} decimals")))
}

/// Every model, in the order they were registered.
/// Models a page of the explorer lists.
pub const MODELS_PER_PAGE: u64 = 100;

/// Page `page` (from 0) of the models, in the order they registered.
pub fn models_page(sql: &mut dyn Sql, page: u64) -> Result<Vec<ModelSummary>, IndexError> {
    sql.query(
        &format!("SELECT {SUMMARY_COLUMNS} FROM models ORDER BY position LIMIT $1 OFFSET $2"),
        &[
            crate::db::int(MODELS_PER_PAGE)?,
            crate::db::int(page.saturating_mul(MODELS_PER_PAGE))?,
        ],
    )?
    .iter()
    .map(summary_from)
    .collect()
}

/// Every model, in the order they registered (the CLI's `model list`).
pub fn models(sql: &mut dyn Sql) -> Result<Vec<ModelSummary>, IndexError> {
    sql.query(
        &format!("SELECT {SUMMARY_COLUMNS} FROM models ORDER BY position"),
        &[],
    )?
    .iter()
    .map(summary_from)
    .collect()
}

/// One model, if indexed.
pub fn model(sql: &mut dyn Sql, address: &str) -> Result<Option<ModelDetail>, IndexError> {
    let Some(row) = sql.query_opt(
        &format!("SELECT {SUMMARY_COLUMNS}, creator, pending_authority, metadata_uri, content_hash, attribution_bps, non_commercial_lineage, vault, royalty_book, registered_signature, payment_count, shares_carry, fee_carry, upstream_carry, owed_protocol, owed_upstream, unallocated, acc_per_share, total_paid_out, license_count, total_shares, entry_count FROM models WHERE address = $1"),
        &[address.into()],
    )?
    else {
        return Ok(None);
    };
    let summary = summary_from(&row)?;
    let decimals = summary.decimals;
    let book = Book::from_row(&row)?;
    let pools = &book.money.pools;
    let owed_upstream = pools
        .owed_upstream_total()
        .map_err(|_| IndexError::Database("a model's upstream debts pass u128".into()))?;
    let parents_ai = sql
        .query(
            "SELECT licenses.ai_terms FROM lineage JOIN licenses ON licenses.address = lineage.license WHERE lineage.child = $1",
            &[address.into()],
        )?
        .iter()
        .map(|row| ai_from_json(row.opt_text("ai_terms")?))
        .collect::<Result<Vec<_>, _>>()?;
    let lineage_ai = (!parents_ai.is_empty()).then(|| {
        model_ledger_sdk::display::ai_summary(&model_ledger::state::AiTerms::lineage(&parents_ai))
    });
    Ok(Some(ModelDetail {
        lineage_ai,
        creator: row.text("creator")?.into(),
        pending_authority: row.opt_text("pending_authority")?.map(String::from),
        metadata_uri: row.text("metadata_uri")?.into(),
        content_hash: row.text("content_hash")?.into(),
        attribution_bps: row.small("attribution_bps")?,
        non_commercial_lineage: row.int("non_commercial_lineage")? != 0,
        vault: row.text("vault")?.into(),
        royalty_book: row.text("royalty_book")?.into(),
        licences: book.license_count,
        paid_out: Amount::new(book.money.total_paid_out, decimals),
        registered_signature: row.text("registered_signature")?.into(),
        unallocated: Amount::new(u128::from(pools.unallocated), decimals),
        protocol_fees_owed: Amount::new(u128::from(pools.owed_protocol), decimals),
        owed_upstream: Amount::new(owed_upstream, decimals),
        summary,
    }))
}

#[derive(Clone, Debug, Serialize)]
pub struct LicenceView {
    pub address: String,
    pub version: u32,
    pub summary: String,
    /// The AI uses and restrictions in plain words ("AI uses not stated"
    /// for a licence published before AI terms existed).
    pub ai_summary: String,
    /// Restriction names (`military`…, `code-N`), imposed and carried on.
    pub restrictions: Vec<String>,
    pub carried_restrictions: Vec<String>,
    pub terms_uri: String,
    pub terms_hash: String,
    pub price_per_call: Amount,
    pub upfront_fee: Amount,
    pub derivative_royalty_bps: u16,
    pub retired_slot: Option<u64>,
    pub published_slot: u64,
    #[serde(skip)]
    pub terms: Option<LicenseTerms>,
    #[serde(skip)]
    pub ai: Option<model_ledger::state::AiTerms>,
}

/// Every licence version of `model`, oldest first, in plain words.
pub fn licences(sql: &mut dyn Sql, model: &str) -> Result<Vec<LicenceView>, IndexError> {
    let decimals = match sql.query_opt(
        "SELECT payment_decimals FROM models WHERE address = $1",
        &[model.into()],
    )? {
        Some(row) => decimals(row.int(0)?)?,
        None => return Ok(Vec::new()),
    };
    sql.query(
        "SELECT address, version, terms, ai_terms, retired_slot, published_slot FROM licenses WHERE model = $1 ORDER BY version",
        &[model.into()],
    )?
    .iter()
    .map(|row| {
        let terms = terms_from_json(row.text("terms")?)?;
        let ai = ai_from_json(row.opt_text("ai_terms")?)?;
        Ok(LicenceView {
            address: row.text("address")?.into(),
            version: row.small("version")?,
            summary: licence_summary(&terms, decimals),
            ai_summary: model_ledger_sdk::display::ai_summary(&ai),
            restrictions: model_ledger_sdk::display::restriction_names(ai.restrictions),
            carried_restrictions: model_ledger_sdk::display::restriction_names(
                ai.carried_restrictions,
            ),
            ai: Some(ai),
            terms_uri: terms.terms_uri.clone(),
            terms_hash: model_ledger_sdk::hex::encode(&terms.terms_hash),
            price_per_call: Amount::new(u128::from(terms.price_per_call), decimals),
            upfront_fee: Amount::new(u128::from(terms.upfront_fee), decimals),
            derivative_royalty_bps: terms.derivative_royalty_bps,
            retired_slot: row.opt_int("retired_slot")?.map(|slot| slot as u64),
            published_slot: row.u64("published_slot")?,
            terms: Some(terms),
        })
    })
    .collect()
}

/// One contribution with what it earned.
#[derive(Clone, Debug, Serialize)]
pub struct ContributionView {
    pub model: String,
    pub model_name: String,
    pub index: u32,
    pub address: String,
    pub contributor: String,
    pub payout_wallet: String,
    pub kind: String,
    pub uri: String,
    pub content_hash: String,
    pub status: String,
    pub shares: String,
    /// Claimed plus claimable: everything earned in whole tokens.
    pub earned: Amount,
    pub claimed: Amount,
    pub claimable: Amount,
    /// Earned through batches that named it (a part of `earned`).
    pub earned_by_attribution: Amount,
    /// Batches whose attribution named it.
    pub attributed_batches: u64,
    pub closed: bool,
    pub payment_mint: String,
    pub decimals: u8,
}

const CONTRIBUTION_COLUMNS: &str = "contributions.model, models.name, contributions.idx, contributions.contributor, contributions.kind, contributions.uri, contributions.content_hash, contributions.closed, models.payment_mint, models.payment_decimals";

/// Columns of a contribution row, then the entry's.
pub(crate) fn contribution_select(filter: &str) -> String {
    let entry = ENTRY_COLUMNS
        .split(", ")
        .map(|column| format!("contributions.{column}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {CONTRIBUTION_COLUMNS}, {entry} FROM contributions JOIN models ON models.address = contributions.model WHERE {filter}"
    )
}

/// Models' pools, each read once however many of its contributions a
/// query shows.
#[derive(Default)]
struct Books(BTreeMap<String, Pools>);

impl Books {
    fn pools(&mut self, sql: &mut dyn Sql, model: &str) -> Result<&Pools, IndexError> {
        if !self.0.contains_key(model) {
            let address: Pubkey = model
                .parse()
                .map_err(|_| IndexError::Database(format!("{model:?} is not an address")))?;
            let book = load_book(sql, &address)?
                .ok_or_else(|| IndexError::Database(format!("no book for model {model}")))?;
            self.0.insert(model.to_string(), book.money.pools);
        }
        Ok(&self.0[model])
    }
}

/// Contribution rows with what each earned: every model's book is read
/// once, however many of its contributions the rows hold.
pub(crate) fn contributions_from(
    sql: &mut dyn Sql,
    rows: &[Row],
) -> Result<Vec<ContributionView>, IndexError> {
    let mut books = Books::default();
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        let pools = books.pools(sql, row.text("model")?)?;
        views.push(contribution_from(row, pools)?);
    }
    Ok(views)
}

fn contribution_from(row: &Row, pools: &Pools) -> Result<ContributionView, IndexError> {
    let decimals = decimals(row.int("payment_decimals")?)?;
    let entry = Entry::from_row(row)?;
    let earnings = entry
        .balance
        .earnings(pools, entry.claimed_total)
        .map_err(|_| IndexError::Database("a contribution's earnings overflow".into()))?;
    let by_attribution = whole_tokens(entry.attributed_scaled)
        .map_err(|_| IndexError::Database("an attributed total beyond u128".into()))?;
    Ok(ContributionView {
        model: row.text("model")?.into(),
        model_name: row.text("name")?.into(),
        index: row.small("idx")?,
        address: entry.address.to_string(),
        contributor: row.text("contributor")?.into(),
        payout_wallet: entry.payout_wallet.clone(),
        kind: row.text("kind")?.into(),
        uri: row.text("uri")?.into(),
        content_hash: row.text("content_hash")?.into(),
        status: entry.status.clone(),
        shares: row.text("shares")?.into(),
        earned: Amount::new(earnings.earned, decimals),
        claimed: Amount::new(entry.claimed_total, decimals),
        claimable: Amount::new(u128::from(earnings.claimable), decimals),
        earned_by_attribution: Amount::new(by_attribution, decimals),
        attributed_batches: row.u64("attributed_batches")?,
        closed: row.int("closed")? != 0,
        payment_mint: row.text("payment_mint")?.into(),
        decimals,
    })
}

#[derive(Clone, Debug, Serialize)]
pub struct ContributionsPage {
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub contributions: Vec<ContributionView>,
}

/// Page `page` (from 0) of `model`'s contributions, by index; `total` is
/// the model's count of them (its summary's `contributions`).
pub fn contributions(
    sql: &mut dyn Sql,
    model: &str,
    page: u64,
    per_page: u64,
    total: u64,
) -> Result<ContributionsPage, IndexError> {
    let per_page = per_page.clamp(1, 500);
    let rows = sql.query(
        &format!(
            "{} ORDER BY contributions.idx LIMIT $2 OFFSET $3",
            contribution_select("contributions.model = $1")
        ),
        &[
            model.into(),
            crate::db::int(per_page)?,
            crate::db::int(page.saturating_mul(per_page))?,
        ],
    )?;
    Ok(ContributionsPage {
        total,
        page,
        per_page,
        contributions: contributions_from(sql, &rows)?,
    })
}

/// The contribution `index` of `model`.
pub fn contribution(
    sql: &mut dyn Sql,
    model: &str,
    index: u32,
) -> Result<Option<ContributionView>, IndexError> {
    let rows = sql.query(
        &contribution_select("contributions.model = $1 AND contributions.idx = $2"),
        &[model.into(), index.into()],
    )?;
    Ok(contributions_from(sql, &rows)?.into_iter().next())
}

#[derive(Clone, Debug, Serialize)]
pub struct BatchView {
    pub grant: String,
    pub seq: u64,
    pub model: String,
    pub recorder: String,
    pub calls: String,
    pub merkle_root: String,
    /// (contribution index, weight) as recorded.
    pub attribution: Vec<[u32; 2]>,
    pub amount: Amount,
    pub slot: u64,
    pub signature: String,
}

const BATCH_COLUMNS: &str = "batches.grant_address, batches.seq, batches.model, batches.recorder, batches.calls, batches.merkle_root, batches.attribution, batches.amount, batches.slot, batches.signature, models.payment_decimals";

fn batch_from(row: &Row) -> Result<BatchView, IndexError> {
    let attribution: Vec<[u32; 2]> = serde_json::from_str(row.text("attribution")?)
        .map_err(|_| IndexError::Database("a batch's attribution does not parse".into()))?;
    Ok(BatchView {
        grant: row.text("grant_address")?.into(),
        seq: row.u64("seq")?,
        model: row.text("model")?.into(),
        recorder: row.text("recorder")?.into(),
        calls: row.text("calls")?.into(),
        merkle_root: row.text("merkle_root")?.into(),
        attribution,
        amount: Amount::new(
            row.amount("amount")?,
            decimals(row.int("payment_decimals")?)?,
        ),
        slot: row.u64("slot")?,
        signature: row.text("signature")?.into(),
    })
}

/// The `limit` latest batches recorded for `model`.
pub fn latest_batches(
    sql: &mut dyn Sql,
    model: &str,
    limit: u64,
) -> Result<Vec<BatchView>, IndexError> {
    sql.query(
        &format!("SELECT {BATCH_COLUMNS} FROM batches JOIN models ON models.address = batches.model WHERE batches.model = $1 ORDER BY batches.position DESC, batches.seq DESC LIMIT $2"),
        &[model.into(), crate::db::int(limit.clamp(1, 200))?],
    )?
    .iter()
    .map(batch_from)
    .collect()
}

pub fn batch(sql: &mut dyn Sql, grant: &str, seq: u64) -> Result<Option<BatchView>, IndexError> {
    sql.query_opt(
        &format!("SELECT {BATCH_COLUMNS} FROM batches JOIN models ON models.address = batches.model WHERE batches.grant_address = $1 AND batches.seq = $2"),
        &[grant.into(), crate::db::int(seq)?],
    )?
    .map(|row| batch_from(&row))
    .transpose()
}

/// The index's own figures.
#[derive(Clone, Debug, Serialize)]
pub struct Status {
    /// Rows in all the index's tables ([`status_with_rows`] only: counting
    /// them reads every table).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    pub transactions: u64,
    pub events: u64,
    pub models: u64,
    pub contributions: u64,
    pub batches: u64,
    pub last_slot: Option<u64>,
}

/// How far the index has read and what it holds, from running counts: a
/// few key lookups, however large the index.
pub fn status(sql: &mut dyn Sql) -> Result<Status, IndexError> {
    let [events, models, contributions, batches] = crate::counts::read(sql)?;
    let last = sql.query_opt(
        "SELECT position, slot FROM transactions ORDER BY position DESC LIMIT 1",
        &[],
    )?;
    Ok(Status {
        rows: None,
        transactions: last
            .as_ref()
            .map(|row| row.u64("position").map(|position| position + 1))
            .transpose()?
            .unwrap_or(0),
        events,
        models,
        contributions,
        batches,
        last_slot: last.as_ref().map(|row| row.u64("slot")).transpose()?,
    })
}

/// [`status`] with the rows of every table counted (what the indexing
/// benchmark reports).
pub fn status_with_rows(sql: &mut dyn Sql) -> Result<Status, IndexError> {
    let mut status = status(sql)?;
    let mut rows = 0;
    for table in [
        "meta",
        "transactions",
        "events",
        "config",
        "models",
        "lineage",
        "contributions",
        "contribution_status",
        "licenses",
        "grants",
        "batches",
        "payments",
        "settlements",
        "claims",
        "proposer_permits",
        "wallet_earnings",
    ] {
        rows += sql
            .query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])?
            .u64(0)?;
    }
    status.rows = Some(rows);
    Ok(status)
}
