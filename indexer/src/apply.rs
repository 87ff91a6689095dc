//! One chain transaction into the database, in one database transaction.
//! Each event updates the rows it concerns; the money follows the program's
//! own arithmetic (`model_ledger::math::royalty`), and each running counter
//! an event carries is checked against what was indexed before it, so a
//! missing transaction is reported ([`IndexError::Gap`]) instead of
//! producing wrong balances.

use base64::Engine;
use model_ledger::{
    events::{ContributionStatusChanged, ModelRegistered, PaymentRecord, UpstreamSettled},
    math::royalty::{EntryBalance, Pools, MAX_PARENTS},
    state::{ContributionStatus, LicenseTerms},
};
use model_ledger_sdk::{
    events::LedgerEvent,
    hex::{decode32, encode as hex},
};
use solana_sdk::pubkey::Pubkey;

use crate::{
    db::{amount, int, Row, Sql, Value},
    store::{set_meta, SOURCE_POSITION},
    wallets::{Earnings, Paying},
    ChainTransaction, IndexError, Indexer,
};

/// What [`Indexer::apply`] did with a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Indexed now, with this many events.
    New { events: usize },
    /// Indexed before: nothing changed.
    AlreadyIndexed,
}

impl Indexer {
    /// Applies `transaction`, and records `source_position` (where the
    /// source resumes) with it, all in one database transaction.
    pub fn apply(
        &mut self,
        transaction: &ChainTransaction,
        source_position: Option<&str>,
    ) -> Result<Applied, IndexError> {
        self.database.transaction(|sql| {
            let applied = apply_transaction(sql, transaction)?;
            if let Some(position) = source_position {
                set_meta(sql, SOURCE_POSITION, position)?;
            }
            Ok(applied)
        })
    }
}

/// Where an event sits in the chain (its transaction and its order
/// there), and the books the transaction has changed so far: each is read
/// once and written once per transaction, however many of its events touch it.
pub(crate) struct At<'a> {
    signature: &'a str,
    slot: u64,
    position: i64,
    ordinal: usize,
    books: &'a std::cell::RefCell<BookCache>,
}

/// Books read or changed by the transaction being applied, and the wallet
/// sums its entries changed.
#[derive(Default)]
struct BookCache {
    books: std::collections::HashMap<Pubkey, Book>,
    changed: std::collections::BTreeSet<Pubkey>,
    earnings: Earnings,
}

impl At<'_> {
    pub(crate) fn gap(&self, what: String) -> IndexError {
        IndexError::Gap {
            signature: self.signature.to_string(),
            what,
        }
    }

    pub(crate) fn common(&self) -> Result<[Value; 3], IndexError> {
        Ok([
            Value::Int(self.position),
            int(self.slot)?,
            self.signature.into(),
        ])
    }
}

fn apply_transaction(
    sql: &mut dyn Sql,
    transaction: &ChainTransaction,
) -> Result<Applied, IndexError> {
    let signature = transaction.signature.as_str();
    if sql
        .query_opt(
            "SELECT 1 FROM transactions WHERE signature = $1",
            &[signature.into()],
        )?
        .is_some()
    {
        return Ok(Applied::AlreadyIndexed);
    }
    let position = sql
        .query_one(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM transactions",
            &[],
        )?
        .int(0)?;
    let events: &[LedgerEvent] = if transaction.failed {
        &[]
    } else {
        &transaction.events
    };
    sql.execute(
        "INSERT INTO transactions (signature, position, slot, block_time, failed, events) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            signature.into(),
            Value::Int(position),
            int(transaction.slot)?,
            transaction.block_time.into(),
            transaction.failed.into(),
            int(events.len() as u64)?,
        ],
    )?;
    let books = std::cell::RefCell::new(BookCache::default());
    for (ordinal, event) in events.iter().enumerate() {
        let at = At {
            signature,
            slot: transaction.slot,
            position,
            ordinal,
            books: &books,
        };
        sql.execute(
            "INSERT INTO events (signature, ordinal, position, name, slot, body) VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                signature.into(),
                int(ordinal as u64)?,
                Value::Int(position),
                event.name().into(),
                int(transaction.slot)?,
                base64::engine::general_purpose::STANDARD
                    .encode(event.encode())
                    .into(),
            ],
        )?;
        apply_event(sql, &at, event).map_err(|error| match error {
            // Name where a database error happened; a gap already does.
            IndexError::Database(reason) => IndexError::Database(format!(
                "transaction {signature}, event {ordinal} ({}): {reason}",
                event.name()
            )),
            other => other,
        })?;
    }
    let books = books.into_inner();
    for model in &books.changed {
        write_book(sql, model, &books.books[model])?;
    }
    books.earnings.write(sql)?;
    crate::counts::add(sql, events)?;
    Ok(Applied::New {
        events: events.len(),
    })
}

pub(crate) fn key(address: &Pubkey) -> Value {
    Value::Text(address.to_string())
}

/// A contribution's status as the `status` column spells it.
pub(crate) fn status_name(status: ContributionStatus) -> &'static str {
    match status {
        ContributionStatus::Proposed => "proposed",
        ContributionStatus::Accepted => "accepted",
        ContributionStatus::Rejected => "rejected",
        ContributionStatus::Revoked => "revoked",
    }
}

/// A licence's terms as the `terms` column keeps them (JSON; amounts as text).
pub(crate) fn terms_json(terms: &LicenseTerms) -> String {
    serde_json::json!({
        "price_per_call": terms.price_per_call.to_string(),
        "upfront_fee": terms.upfront_fee.to_string(),
        "commercial_use": terms.commercial_use,
        "derivatives_allowed": terms.derivatives_allowed,
        "attribution_required": terms.attribution_required,
        "transferable": terms.transferable,
        "derivative_royalty_bps": terms.derivative_royalty_bps,
        "call_limit": terms.call_limit.to_string(),
        "duration_seconds": terms.duration_seconds.to_string(),
        "terms_uri": terms.terms_uri,
        "terms_hash": hex(&terms.terms_hash),
    })
    .to_string()
}

/// The terms back from their JSON.
pub(crate) fn terms_from_json(text: &str) -> Result<LicenseTerms, IndexError> {
    let bad = || IndexError::Database(format!("licence terms that do not parse: {text}"));
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| bad())?;
    let number = |name: &str| -> Result<u64, IndexError> {
        value[name]
            .as_str()
            .and_then(|text| text.parse().ok())
            .ok_or_else(bad)
    };
    let flag = |name: &str| value[name].as_bool().ok_or_else(bad);
    let terms_hash = value["terms_hash"]
        .as_str()
        .and_then(|text| decode32(text).ok())
        .ok_or_else(bad)?;
    Ok(LicenseTerms {
        price_per_call: number("price_per_call")?,
        upfront_fee: number("upfront_fee")?,
        commercial_use: flag("commercial_use")?,
        derivatives_allowed: flag("derivatives_allowed")?,
        attribution_required: flag("attribution_required")?,
        transferable: flag("transferable")?,
        derivative_royalty_bps: value["derivative_royalty_bps"]
            .as_u64()
            .and_then(|bps| u16::try_from(bps).ok())
            .ok_or_else(bad)?,
        call_limit: number("call_limit")?,
        duration_seconds: number("duration_seconds")?,
        terms_uri: value["terms_uri"].as_str().ok_or_else(bad)?.to_string(),
        terms_hash,
    })
}

/// A model's book as the index keeps it.
#[derive(Clone)]
pub(crate) struct Book {
    pub pools: Pools,
    pub payment_count: u64,
    pub total_received: u128,
    pub total_paid_out: u128,
    pub contribution_count: u64,
    pub license_count: u64,
}

pub(crate) const BOOK_COLUMNS: &str = "total_shares, accepted_count, acc_per_share, shares_carry, owed_protocol, fee_carry, upstream_carry, unallocated, owed_upstream, payment_count, total_received, total_paid_out, contribution_count, license_count";

pub(crate) fn book_from_row(row: &Row) -> Result<Book, IndexError> {
    let array = |column: usize| -> Result<Vec<u128>, IndexError> {
        let text = row.text(column)?;
        let values: Vec<String> = serde_json::from_str(text).map_err(|_| {
            IndexError::Database(format!("column {column}: {text:?} is not a list"))
        })?;
        values
            .iter()
            .map(|value| {
                value
                    .parse()
                    .map_err(|_| IndexError::Database(format!("column {column}: {value:?}")))
            })
            .collect()
    };
    let mut upstream_carry = [0u16; MAX_PARENTS];
    for (slot, value) in upstream_carry.iter_mut().zip(array(6)?) {
        *slot =
            u16::try_from(value).map_err(|_| IndexError::Database("a carry beyond u16".into()))?;
    }
    let mut owed_upstream = [0u64; MAX_PARENTS];
    for (slot, value) in owed_upstream.iter_mut().zip(array(8)?) {
        *slot = u64::try_from(value)
            .map_err(|_| IndexError::Database("an amount beyond u64".into()))?;
    }
    Ok(Book {
        pools: Pools {
            total_shares: row.amount_u64(0)?,
            accepted_count: u32::try_from(row.int(1)?)
                .map_err(|_| IndexError::Database("an accepted count beyond u32".into()))?,
            acc_per_share: row.amount(2)?,
            shares_carry: row.amount(3)?,
            owed_protocol: row.amount_u64(4)?,
            fee_carry: u16::try_from(row.int(5)?)
                .map_err(|_| IndexError::Database("a fee carry beyond u16".into()))?,
            upstream_carry,
            unallocated: row.amount_u64(7)?,
            owed_upstream,
        },
        payment_count: row.u64(9)?,
        total_received: row.amount(10)?,
        total_paid_out: row.amount(11)?,
        contribution_count: row.u64(12)?,
        license_count: row.u64(13)?,
    })
}

fn list(values: impl IntoIterator<Item = u128>) -> Value {
    Value::Text(
        serde_json::to_string(
            &values
                .into_iter()
                .map(|value| value.to_string())
                .collect::<Vec<_>>(),
        )
        .expect("a list serialises"),
    )
}

pub(crate) fn load_book(sql: &mut dyn Sql, model: &Pubkey) -> Result<Option<Book>, IndexError> {
    sql.query_opt(
        &format!("SELECT {BOOK_COLUMNS} FROM models WHERE address = $1"),
        &[key(model)],
    )?
    .map(|row| book_from_row(&row))
    .transpose()
}

fn book_of(sql: &mut dyn Sql, at: &At, model: &Pubkey) -> Result<Book, IndexError> {
    if let Some(book) = at.books.borrow().books.get(model) {
        return Ok(book.clone());
    }
    let book = load_book(sql, model)?
        .ok_or_else(|| at.gap(format!("model {model} was never registered")))?;
    at.books.borrow_mut().books.insert(*model, book.clone());
    Ok(book)
}

/// Keeps `book` as the transaction's latest for `model`; written once, at its end.
fn store_book(at: &At, model: &Pubkey, book: &Book) {
    let mut cache = at.books.borrow_mut();
    cache.books.insert(*model, book.clone());
    cache.changed.insert(*model);
}

fn write_book(sql: &mut dyn Sql, model: &Pubkey, book: &Book) -> Result<(), IndexError> {
    let pools = &book.pools;
    sql.execute(
        "UPDATE models SET total_shares = $2, accepted_count = $3, acc_per_share = $4, shares_carry = $5, owed_protocol = $6, fee_carry = $7, upstream_carry = $8, unallocated = $9, owed_upstream = $10, payment_count = $11, total_received = $12, total_paid_out = $13, contribution_count = $14, license_count = $15 WHERE address = $1",
        &[
            key(model),
            amount(pools.total_shares),
            pools.accepted_count.into(),
            amount(pools.acc_per_share),
            amount(pools.shares_carry),
            amount(pools.owed_protocol),
            pools.fee_carry.into(),
            list(pools.upstream_carry.iter().map(|carry| u128::from(*carry))),
            amount(pools.unallocated),
            list(pools.owed_upstream.iter().map(|owed| u128::from(*owed))),
            int(book.payment_count)?,
            amount(book.total_received),
            amount(book.total_paid_out),
            int(book.contribution_count)?,
            int(book.license_count)?,
        ],
    )?;
    Ok(())
}

/// A contribution's status and book entry as the index keeps them.
#[derive(Clone)]
pub(crate) struct Entry {
    pub address: Pubkey,
    pub status: String,
    pub payout_wallet: String,
    pub balance: EntryBalance,
    pub claimed_total: u128,
}

pub(crate) const ENTRY_COLUMNS: &str =
    "address, status, payout_wallet, active_shares, snapshot, accrued_scaled, claimed_total";

pub(crate) fn entry_from_row(row: &Row) -> Result<Entry, IndexError> {
    Ok(Entry {
        address: row.address(0)?,
        status: row.text(1)?.to_string(),
        payout_wallet: row.text(2)?.to_string(),
        balance: EntryBalance {
            active_shares: row.amount_u64(3)?,
            snapshot: row.amount(4)?,
            accrued_scaled: row.amount(5)?,
        },
        claimed_total: row.amount(6)?,
    })
}

fn entry_of(sql: &mut dyn Sql, at: &At, model: &Pubkey, index: u32) -> Result<Entry, IndexError> {
    sql.query_opt(
        &format!("SELECT {ENTRY_COLUMNS} FROM contributions WHERE model = $1 AND idx = $2"),
        &[key(model), index.into()],
    )?
    .map(|row| entry_from_row(&row))
    .transpose()?
    .ok_or_else(|| {
        at.gap(format!(
            "contribution #{index} of model {model} was never proposed"
        ))
    })
}

fn store_entry(sql: &mut dyn Sql, entry: &Entry) -> Result<(), IndexError> {
    sql.execute(
        "UPDATE contributions SET active_shares = $2, snapshot = $3, accrued_scaled = $4, claimed_total = $5 WHERE address = $1",
        &[
            key(&entry.address),
            amount(entry.balance.active_shares),
            amount(entry.balance.snapshot),
            amount(entry.balance.accrued_scaled),
            amount(entry.claimed_total),
        ],
    )?;
    Ok(())
}

impl Entry {
    fn paying(&self) -> Paying<'_> {
        Paying {
            wallet: &self.payout_wallet,
            balance: &self.balance,
            claimed_total: self.claimed_total,
        }
    }
}

/// Moves an entry of `model` from `before` to `after` in its wallets' sums.
fn rebalance(
    sql: &mut dyn Sql,
    at: &At,
    model: &Pubkey,
    before: &Entry,
    after: &Entry,
) -> Result<(), IndexError> {
    at.books
        .borrow_mut()
        .earnings
        .change(sql, model, Some(before.paying()), after.paying())
}

fn math(at: &At, what: &str) -> IndexError {
    IndexError::BadTransaction {
        signature: at.signature.to_string(),
        reason: format!("{what} does not compute from the indexed book (an overflow the program would have refused)"),
    }
}

fn apply_event(sql: &mut dyn Sql, at: &At, event: &LedgerEvent) -> Result<(), IndexError> {
    match event {
        LedgerEvent::ConfigInitialized(e) => {
            sql.execute(
                "INSERT INTO config (address, admin, pending_admin, treasury, protocol_fee_bps, paused, update_count) VALUES ($1, $2, NULL, $3, $4, 0, 0)",
                &[key(&e.config), key(&e.admin), key(&e.treasury), e.protocol_fee_bps.into()],
            )?;
        }
        LedgerEvent::ConfigUpdated(e) => {
            let stored = sql
                .query_opt(
                    "SELECT update_count FROM config WHERE address = $1",
                    &[key(&e.config)],
                )?
                .ok_or_else(|| at.gap("the configuration was never initialised".into()))?
                .u64(0)?;
            if e.update_count != stored + 1 {
                return Err(at.gap(format!(
                    "configuration update {} follows update {stored}",
                    e.update_count
                )));
            }
            sql.execute(
                "UPDATE config SET admin = $2, pending_admin = $3, treasury = $4, protocol_fee_bps = $5, paused = $6, update_count = $7 WHERE address = $1",
                &[
                    key(&e.config),
                    key(&e.admin),
                    e.pending_admin.map(|admin| admin.to_string()).into(),
                    key(&e.treasury),
                    e.protocol_fee_bps.into(),
                    e.paused.into(),
                    int(e.update_count)?,
                ],
            )?;
        }
        LedgerEvent::ModelRegistered(e) => register_model(sql, at, e)?,
        LedgerEvent::ModelAuthorityTransferProposed(e) => {
            book_of(sql, at, &e.model)?;
            sql.execute(
                "UPDATE models SET pending_authority = $2 WHERE address = $1",
                &[
                    key(&e.model),
                    e.pending_authority.map(|a| a.to_string()).into(),
                ],
            )?;
        }
        LedgerEvent::ModelAuthorityTransferred(e) => {
            book_of(sql, at, &e.model)?;
            sql.execute(
                "UPDATE models SET authority = $2, pending_authority = NULL WHERE address = $1",
                &[key(&e.model), key(&e.new_authority)],
            )?;
        }
        LedgerEvent::ContributionProposed(e) => {
            let mut book = book_of(sql, at, &e.model)?;
            if u64::from(e.index) != book.contribution_count
                || u64::from(e.contribution_count) != book.contribution_count + 1
            {
                return Err(at.gap(format!(
                    "contribution #{} of model {} follows {} indexed proposals",
                    e.index, e.model, book.contribution_count
                )));
            }
            book.contribution_count += 1;
            store_book(at, &e.model, &book);
            // A book in step with its proposals grows by the new entry, paid
            // by the proposer (the program's `book::propose_contribution`).
            sql.execute(
                "UPDATE models SET entry_count = $2 WHERE address = $1 AND entry_count = $3",
                &[key(&e.model), int(u64::from(e.index) + 1)?, e.index.into()],
            )?;
            sql.execute(
                "INSERT INTO contributions (address, model, idx, contributor, kind, content_hash, uri, proposed_slot, status, shares, payout_wallet, closed, active_shares, snapshot, accrued_scaled, claimed_total, attributed_scaled, attributed_batches) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'proposed', '0', $4, 0, '0', '0', '0', '0', '0', 0)",
                &[
                    key(&e.contribution),
                    key(&e.model),
                    e.index.into(),
                    key(&e.contributor),
                    format!("{:?}", e.kind).into(),
                    hex(&e.content_hash).into(),
                    e.uri.as_str().into(),
                    int(e.slot)?,
                ],
            )?;
            let contributor = e.contributor.to_string();
            let nothing = EntryBalance::default();
            let paying = Paying {
                wallet: &contributor,
                balance: &nothing,
                claimed_total: 0,
            };
            at.books
                .borrow_mut()
                .earnings
                .change(sql, &e.model, None, paying)?;
        }
        LedgerEvent::ContributionStatusChanged(e) => change_status(sql, at, e)?,
        LedgerEvent::PayoutWalletSet(e) => {
            let entry = entry_of(sql, at, &e.model, e.index)?;
            if entry.payout_wallet != e.previous_payout_wallet.to_string() {
                return Err(at.gap(format!(
                    "contribution #{} of {} was paying {}, not {}",
                    e.index, e.model, entry.payout_wallet, e.previous_payout_wallet
                )));
            }
            sql.execute(
                "UPDATE contributions SET payout_wallet = $2 WHERE address = $1",
                &[key(&e.contribution), key(&e.payout_wallet)],
            )?;
            let contributor = sql
                .query_one(
                    "SELECT contributor FROM contributions WHERE address = $1",
                    &[key(&e.contribution)],
                )?
                .text(0)?
                .to_string();
            crate::wallets::payout_moved(
                sql,
                &contributor,
                &entry.payout_wallet,
                &e.payout_wallet.to_string(),
            )?;
            let moved = Entry {
                payout_wallet: e.payout_wallet.to_string(),
                ..entry.clone()
            };
            rebalance(sql, at, &e.model, &entry, &moved)?;
        }
        LedgerEvent::LicensePublished(e) => {
            let mut book = book_of(sql, at, &e.model)?;
            if u64::from(e.license_version) != book.license_count + 1 {
                return Err(at.gap(format!(
                    "licence version {} of model {} follows {} indexed versions",
                    e.license_version, e.model, book.license_count
                )));
            }
            book.license_count += 1;
            store_book(at, &e.model, &book);
            sql.execute(
                "INSERT INTO licenses (address, model, version, payment_mint, terms, published_slot, retired_slot) VALUES ($1, $2, $3, $4, $5, $6, NULL)",
                &[
                    key(&e.license),
                    key(&e.model),
                    e.license_version.into(),
                    key(&e.payment_mint),
                    terms_json(&e.terms).into(),
                    int(e.slot)?,
                ],
            )?;
        }
        LedgerEvent::LicenseRetired(e) => {
            let changed = sql.execute(
                "UPDATE licenses SET retired_slot = $2 WHERE address = $1",
                &[key(&e.license), int(e.slot)?],
            )?;
            if changed == 0 {
                return Err(at.gap(format!("licence {} was never published", e.license)));
            }
        }
        LedgerEvent::RoyaltyBookExtended(e) => {
            book_of(sql, at, &e.model)?;
            sql.execute(
                "UPDATE models SET entry_count = $2 WHERE address = $1",
                &[key(&e.model), e.entry_count.into()],
            )?;
        }
        LedgerEvent::GrantAcquired(e) => {
            book_of(sql, at, &e.model)?;
            let [_, slot, signature] = at.common()?;
            sql.execute(
                "INSERT INTO grants (address, model, license, license_version, licensee, meter, price_per_call, call_limit, granted_at, expires_at, calls_used, next_seq, total_paid, slot, signature) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $9, '0', 0, $10, $11, $12)",
                &[
                    key(&e.grant),
                    key(&e.model),
                    key(&e.license),
                    e.license_version.into(),
                    key(&e.licensee),
                    amount(e.price_per_call),
                    amount(e.call_limit),
                    Value::Int(e.granted_at),
                    e.expires_at.map(Value::Int).unwrap_or(Value::Null),
                    amount(e.payment.amount),
                    slot,
                    signature,
                ],
            )?;
            pay(
                sql,
                at,
                &e.model,
                &e.payment,
                "grant",
                &e.grant.to_string(),
                &[],
                0,
            )?;
        }
        LedgerEvent::MeterSet(e) => {
            let meter = grant_field(sql, at, &e.grant, "meter")?;
            if meter.as_deref() != e.previous_meter.map(|m| m.to_string()).as_deref() {
                return Err(at.gap(format!("grant {}'s meter changed unseen", e.grant)));
            }
            sql.execute(
                "UPDATE grants SET meter = $2 WHERE address = $1",
                &[key(&e.grant), e.meter.map(|m| m.to_string()).into()],
            )?;
        }
        LedgerEvent::GrantRenewed(e) => {
            let model = grant_field(sql, at, &e.grant, "model")?
                .expect("a grant has a model")
                .parse::<Pubkey>()
                .map_err(|_| IndexError::Database("a grant's model is not an address".into()))?;
            sql.execute(
                // A renewal is a new term with a fresh call allowance.
                "UPDATE grants SET expires_at = $2, total_paid = $3, calls_used = '0' WHERE address = $1",
                &[
                    key(&e.grant),
                    e.expires_at.map(Value::Int).unwrap_or(Value::Null),
                    amount(e.total_paid),
                ],
            )?;
            pay(
                sql,
                at,
                &model,
                &e.payment,
                "renewal",
                &e.grant.to_string(),
                &[],
                0,
            )?;
        }
        LedgerEvent::GrantTransferred(e) => {
            let licensee = grant_field(sql, at, &e.grant, "licensee")?;
            if licensee.as_deref() != Some(e.previous_licensee.to_string().as_str()) {
                return Err(at.gap(format!("grant {} changed hands unseen", e.grant)));
            }
            sql.execute(
                "UPDATE grants SET licensee = $2, meter = NULL WHERE address = $1",
                &[key(&e.grant), key(&e.licensee)],
            )?;
        }
        LedgerEvent::InferenceRecorded(e) => {
            let next = grant_field(sql, at, &e.grant, "next_seq")?
                .and_then(|text| text.parse::<u64>().ok())
                .unwrap_or(0);
            if e.seq != next {
                return Err(at.gap(format!(
                    "batch {} of grant {} follows {next} indexed batches",
                    e.seq, e.grant
                )));
            }
            // The grant keeps what its licensee paid in all: fees and batches.
            let paid = grant_field(sql, at, &e.grant, "total_paid")?
                .and_then(|text| text.parse::<u128>().ok())
                .ok_or_else(|| {
                    IndexError::Database(format!("grant {}'s total paid is not an amount", e.grant))
                })?;
            let total_paid = paid
                .checked_add(u128::from(e.payment.amount))
                .ok_or_else(|| at.gap(format!("grant {}'s total paid passes u128", e.grant)))?;
            sql.execute(
                "UPDATE grants SET next_seq = $2, calls_used = $3, total_paid = $4 WHERE address = $1",
                &[key(&e.grant), int(e.seq + 1)?, amount(e.calls_used), amount(total_paid)],
            )?;
            let [position, slot, signature] = at.common()?;
            let attribution: Vec<[u32; 2]> = e
                .attribution
                .iter()
                .map(|entry| [entry.index, u32::from(entry.weight)])
                .collect();
            sql.execute(
                "INSERT INTO batches (grant_address, seq, model, position, recorder, calls, merkle_root, attribution, amount, payment_count, calls_used, slot, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                &[
                    key(&e.grant),
                    int(e.seq)?,
                    key(&e.model),
                    position,
                    key(&e.recorder),
                    amount(e.calls),
                    hex(&e.merkle_root).into(),
                    serde_json::to_string(&attribution).expect("a list").into(),
                    amount(e.payment.amount),
                    int(e.payment.payment_count)?,
                    amount(e.calls_used),
                    slot,
                    signature,
                ],
            )?;
            let weights: Vec<(u32, u16)> = e
                .attribution
                .iter()
                .map(|entry| (entry.index, entry.weight))
                .collect();
            pay(
                sql,
                at,
                &e.model,
                &e.payment,
                "inference",
                &e.grant.to_string(),
                &weights,
                e.calls,
            )?;
        }
        LedgerEvent::UpstreamSettled(e) => settle(sql, at, e)?,
        LedgerEvent::RoyaltyClaimed(e) => {
            let mut entry = entry_of(sql, at, &e.model, e.index)?;
            let claimed = entry
                .claimed_total
                .checked_add(u128::from(e.amount))
                .ok_or_else(|| math(at, "the claimed total"))?;
            if claimed != e.claimed_total {
                return Err(at.gap(format!(
                    "contribution #{} of {} had claimed {} when it claimed {} more; the chain's total after is {}",
                    e.index, e.model, entry.claimed_total, e.amount, e.claimed_total
                )));
            }
            let before = entry.clone();
            entry.claimed_total = claimed;
            entry.balance.accrued_scaled = e.accrued_scaled_left;
            entry.balance.snapshot = e.snapshot;
            store_entry(sql, &entry)?;
            rebalance(sql, at, &e.model, &before, &entry)?;
            pay_out(sql, at, &e.model, e.amount)?;
            record_claim(
                sql,
                at,
                &e.model,
                "contribution",
                Some(e.index),
                &e.payout_wallet,
                &e.destination,
                e.amount,
            )?;
        }
        LedgerEvent::UnallocatedClaimed(e) => {
            withdraw_whole(sql, at, &e.model, Pool::Unallocated, e.amount)?;
            record_claim(
                sql,
                at,
                &e.model,
                "unallocated",
                None,
                &e.authority,
                &e.destination,
                e.amount,
            )?;
        }
        LedgerEvent::ProtocolFeesCollected(e) => {
            withdraw_whole(sql, at, &e.model, Pool::ProtocolFees, e.amount)?;
            record_claim(
                sql,
                at,
                &e.model,
                "protocol_fees",
                None,
                &e.treasury_token,
                &e.treasury_token,
                e.amount,
            )?;
        }
        LedgerEvent::SurplusBooked(e) => {
            if e.amount > 0 {
                pay(sql, at, &e.model, &e.payment, "surplus", "", &[], 0)?;
            }
        }
        LedgerEvent::ContributionClosed(e) => {
            entry_of(sql, at, &e.model, e.index)?;
            sql.execute(
                "UPDATE contributions SET closed = 1 WHERE address = $1",
                &[key(&e.contribution)],
            )?;
        }
        LedgerEvent::ProposalPolicySet(_)
        | LedgerEvent::ProposerAllowed(_)
        | LedgerEvent::ProposerDisallowed(_) => {
            crate::apply_proposals::apply(sql, at, event)?;
        }
    }
    Ok(())
}

fn register_model(sql: &mut dyn Sql, at: &At, e: &ModelRegistered) -> Result<(), IndexError> {
    for parent in &e.parents {
        book_of(sql, at, &parent.model)?;
    }
    // The slot the program recorded, as for proposals and licences.
    let [position, _, signature] = at.common()?;
    let slot = int(e.slot)?;
    let zeros = list([0u128; MAX_PARENTS]);
    sql.execute(
        "INSERT INTO models (address, position, model_id, creator, authority, pending_authority, name, name_lower, metadata_uri, content_hash, payment_mint, payment_decimals, token_program, vault, royalty_book, attribution_bps, non_commercial_lineage, registered_slot, registered_signature, contribution_count, license_count, entry_count, accepted_count, total_shares, acc_per_share, shares_carry, owed_protocol, fee_carry, upstream_carry, unallocated, owed_upstream, payment_count, total_received, total_paid_out, batches, calls) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 0, 0, 0, 0, '0', '0', '0', '0', 0, $19, '0', $19, 0, '0', '0', 0, '0')",
        &[
            key(&e.model),
            position,
            hex(&e.model_id).into(),
            key(&e.creator),
            key(&e.authority),
            e.name.as_str().into(),
            e.name.to_lowercase().into(),
            e.metadata_uri.as_str().into(),
            hex(&e.content_hash).into(),
            key(&e.payment_mint),
            e.payment_decimals.into(),
            key(&e.token_program),
            key(&e.vault),
            key(&e.royalty_book),
            e.attribution_bps.into(),
            e.non_commercial_lineage.into(),
            slot,
            signature,
            zeros,
        ],
    )?;
    for (number, parent) in e.parents.iter().enumerate() {
        sql.execute(
            "UPDATE models SET derived_count = derived_count + 1 WHERE address = $1",
            &[key(&parent.model)],
        )?;
        sql.execute(
            "INSERT INTO lineage (child, parent_position, parent, license, grant_address, derivative_bps) VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                key(&e.model),
                int(number as u64)?,
                key(&parent.model),
                key(&parent.license),
                key(&parent.grant),
                parent.derivative_bps.into(),
            ],
        )?;
    }
    Ok(())
}

fn change_status(
    sql: &mut dyn Sql,
    at: &At,
    e: &ContributionStatusChanged,
) -> Result<(), IndexError> {
    let mut book = book_of(sql, at, &e.model)?;
    let mut entry = entry_of(sql, at, &e.model, e.index)?;
    let before = entry.clone();
    if entry.status != status_name(e.previous_status) {
        return Err(at.gap(format!(
            "contribution #{} of {} was {}, the chain moved it from {}",
            e.index,
            e.model,
            entry.status,
            status_name(e.previous_status)
        )));
    }
    book.pools.acc_per_share = e.acc_per_share;
    match e.status {
        ContributionStatus::Accepted => entry
            .balance
            .activate(e.shares, &mut book.pools)
            .map_err(|_| math(at, "the acceptance"))?,
        ContributionStatus::Revoked => entry
            .balance
            .deactivate(&mut book.pools)
            .map_err(|_| math(at, "the revocation"))?,
        ContributionStatus::Proposed | ContributionStatus::Rejected => {}
    }
    if book.pools.total_shares != e.model_total_shares
        || book.pools.accepted_count != e.model_accepted_count
    {
        return Err(at.gap(format!(
            "model {} had {} shares over {} accepted contributions, the chain says {} over {}",
            e.model,
            book.pools.total_shares,
            book.pools.accepted_count,
            e.model_total_shares,
            e.model_accepted_count
        )));
    }
    store_book(at, &e.model, &book);
    if e.status == ContributionStatus::Accepted {
        // An acceptance grows the book to hold the entry (the program's
        // `Book::activate`), as `extend_royalty_book` does ahead of time.
        sql.execute(
            "UPDATE models SET entry_count = $2 WHERE address = $1 AND entry_count < $2",
            &[key(&e.model), int(u64::from(e.index) + 1)?],
        )?;
    }
    sql.execute(
        "UPDATE contributions SET status = $2, shares = $3, active_shares = $4, snapshot = $5, accrued_scaled = $6 WHERE address = $1",
        &[
            key(&entry.address),
            status_name(e.status).into(),
            amount(e.shares),
            amount(entry.balance.active_shares),
            amount(entry.balance.snapshot),
            amount(entry.balance.accrued_scaled),
        ],
    )?;
    rebalance(sql, at, &e.model, &before, &entry)?;
    let [position, slot, signature] = at.common()?;
    sql.execute(
        "INSERT INTO contribution_status (model, idx, position, ordinal, previous_status, status, shares, slot, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            key(&e.model),
            e.index.into(),
            position,
            int(at.ordinal as u64)?,
            status_name(e.previous_status).into(),
            status_name(e.status).into(),
            amount(e.shares),
            slot,
            signature,
        ],
    )?;
    Ok(())
}

fn settle(sql: &mut dyn Sql, at: &At, e: &UpstreamSettled) -> Result<(), IndexError> {
    let mut child = book_of(sql, at, &e.child)?;
    let position = usize::from(e.parent_position);
    let owed = child
        .pools
        .owed_upstream
        .get_mut(position)
        .ok_or_else(|| at.gap(format!("model {} has no parent #{position}", e.child)))?;
    *owed = owed.checked_sub(e.amount).ok_or_else(|| {
        at.gap(format!(
            "model {} owed its parent #{position} less than {}",
            e.child, e.amount
        ))
    })?;
    child.total_paid_out += u128::from(e.amount);
    store_book(at, &e.child, &child);
    let [chain_position, slot, signature] = at.common()?;
    sql.execute(
        "INSERT INTO settlements (signature, ordinal, child, parent, parent_position, amount, position, slot) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            signature,
            int(at.ordinal as u64)?,
            key(&e.child),
            key(&e.parent),
            e.parent_position.into(),
            amount(e.amount),
            chain_position,
            slot,
        ],
    )?;
    if e.amount > 0 {
        pay(
            sql,
            at,
            &e.parent,
            &e.payment,
            "upstream",
            &e.child.to_string(),
            &[],
            0,
        )?;
    }
    Ok(())
}

/// Books one payment into `model`: the pools as the event reports them
/// after it, the attributed credits, the payment row.
#[allow(clippy::too_many_arguments)]
fn pay(
    sql: &mut dyn Sql,
    at: &At,
    model: &Pubkey,
    payment: &PaymentRecord,
    kind: &str,
    source: &str,
    attribution: &[(u32, u16)],
    calls: u64,
) -> Result<(), IndexError> {
    let mut book = book_of(sql, at, model)?;
    if payment.payment_count != book.payment_count + 1 {
        return Err(at.gap(format!(
            "payment {} of model {model} follows {} indexed payments",
            payment.payment_count, book.payment_count
        )));
    }
    let pools = &mut book.pools;
    pools.acc_per_share = payment.acc_per_share;
    pools.shares_carry = payment.shares_carry;
    pools.fee_carry = payment.fee_carry;
    pools.owed_protocol = payment.owed_protocol;
    pools.unallocated = payment.unallocated;
    pools.total_shares = payment.total_shares;
    for (slot, owed) in payment.owed_upstream.iter().enumerate().take(MAX_PARENTS) {
        pools.owed_upstream[slot] = *owed;
    }
    for (slot, carry) in payment.upstream_carry.iter().enumerate().take(MAX_PARENTS) {
        pools.upstream_carry[slot] = *carry;
    }
    book.payment_count = payment.payment_count;
    book.total_received += u128::from(payment.amount);
    store_book(at, model, &book);
    if kind == "inference" {
        let metered = sql
            .query_one("SELECT calls FROM models WHERE address = $1", &[key(model)])?
            .amount(0)?;
        sql.execute(
            "UPDATE models SET batches = batches + 1, calls = $2 WHERE address = $1",
            &[key(model), amount(metered + u128::from(calls))],
        )?;
    }
    for (index, weight) in attribution {
        // The entry and what attribution paid it so far, in one read; both
        // written back in one statement.
        let row = sql
            .query_opt(
                &format!("SELECT {ENTRY_COLUMNS}, attributed_scaled FROM contributions WHERE model = $1 AND idx = $2"),
                &[key(model), (*index).into()],
            )?
            .ok_or_else(|| at.gap(format!("contribution #{index} of model {model} was never proposed")))?;
        let mut entry = entry_from_row(&row)?;
        let before = entry.clone();
        entry
            .balance
            .credit_attributed(*weight, payment.per_weight_scaled)
            .map_err(|_| math(at, "an attributed credit"))?;
        let attributed = payment
            .per_weight_scaled
            .checked_mul(u128::from(*weight))
            .and_then(|credit| credit.checked_add(row.amount(7).ok()?))
            .ok_or_else(|| math(at, "an attributed credit"))?;
        sql.execute(
            "UPDATE contributions SET accrued_scaled = $2, attributed_scaled = $3, attributed_batches = attributed_batches + 1 WHERE address = $1",
            &[
                key(&entry.address),
                amount(entry.balance.accrued_scaled),
                amount(attributed),
            ],
        )?;
        rebalance(sql, at, model, &before, &entry)?;
    }
    let [position, slot, signature] = at.common()?;
    sql.execute(
        "INSERT INTO payments (model, payment_count, kind, source, amount, protocol_fee, upstream, contributors_scaled, per_weight_scaled, shares_scaled, to_unallocated, position, slot, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        &[
            key(model),
            int(payment.payment_count)?,
            kind.into(),
            source.into(),
            amount(payment.amount),
            amount(payment.protocol_fee),
            list(payment.upstream.iter().map(|owed| u128::from(*owed))),
            amount(payment.contributors_scaled),
            amount(payment.per_weight_scaled),
            amount(payment.shares_scaled),
            amount(payment.to_unallocated),
            position,
            slot,
            signature,
        ],
    )?;
    Ok(())
}

/// A pool the program empties in one withdrawal.
enum Pool {
    /// The authority's share of what arrived while no shares existed.
    Unallocated,
    /// Protocol fees booked for the treasury.
    ProtocolFees,
}

/// The whole of `pool` leaves `model`'s vault; the event's amount must be
/// all of it.
fn withdraw_whole(
    sql: &mut dyn Sql,
    at: &At,
    model: &Pubkey,
    pool: Pool,
    withdrawn: u64,
) -> Result<(), IndexError> {
    let mut book = book_of(sql, at, model)?;
    let (held, what) = match pool {
        Pool::Unallocated => (&mut book.pools.unallocated, "unallocated"),
        Pool::ProtocolFees => (&mut book.pools.owed_protocol, "protocol fees owed"),
    };
    if *held != withdrawn {
        return Err(at.gap(format!(
            "model {model} had {held} {what}, {withdrawn} were withdrawn"
        )));
    }
    *held = 0;
    book.total_paid_out += u128::from(withdrawn);
    store_book(at, model, &book);
    Ok(())
}

fn pay_out(sql: &mut dyn Sql, at: &At, model: &Pubkey, amount_out: u64) -> Result<(), IndexError> {
    let mut book = book_of(sql, at, model)?;
    book.total_paid_out += u128::from(amount_out);
    store_book(at, model, &book);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn record_claim(
    sql: &mut dyn Sql,
    at: &At,
    model: &Pubkey,
    kind: &str,
    index: Option<u32>,
    wallet: &Pubkey,
    destination: &Pubkey,
    paid: u64,
) -> Result<(), IndexError> {
    let [position, slot, signature] = at.common()?;
    sql.execute(
        "INSERT INTO claims (signature, ordinal, model, kind, idx, wallet, destination, amount, position, slot) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            signature,
            int(at.ordinal as u64)?,
            key(model),
            kind.into(),
            index.into(),
            key(wallet),
            key(destination),
            amount(paid),
            position,
            slot,
        ],
    )?;
    Ok(())
}

/// One column of the grant at `address` (text), or a gap if it was never acquired.
fn grant_field(
    sql: &mut dyn Sql,
    at: &At,
    address: &Pubkey,
    column: &'static str,
) -> Result<Option<String>, IndexError> {
    let row = sql
        .query_opt(
            &format!("SELECT {column} FROM grants WHERE address = $1"),
            &[key(address)],
        )?
        .ok_or_else(|| at.gap(format!("grant {address} was never acquired")))?;
    Ok(match row.0.first() {
        Some(Value::Text(text)) => Some(text.clone()),
        Some(Value::Int(number)) => Some(number.to_string()),
        _ => None,
    })
}
