//! The only indexer code that changes a model's book or a contribution's
//! entry. Every change is the program's own (`model_ledger::math::book_money`
//! and `math::royalty`), recomputed from the index's rows, and then held
//! against what the event says the chain did: a payment's whole record, a
//! claim's amount and what it left, a settlement's amount. A difference is a
//! gap (a transaction the index missed) and nothing of the transaction is
//! written.

use model_ledger::{
    events::{ContributionStatusChanged, PaymentRecord, RoyaltyClaimed, UpstreamSettled},
    math::{
        book_money::{add_to_total, BookMoney},
        royalty::{Pools, MAX_PARENTS},
    },
    state::ContributionStatus,
};
use solana_sdk::pubkey::Pubkey;

use super::{
    entries::{entry_of, store_entry},
    key, status_name, At,
};
use crate::{
    db::{amount, int, Row, Sql, Value},
    IndexError,
};

/// A model's book as the index keeps it, with the terms its payments split by.
#[derive(Clone)]
pub(crate) struct Book {
    pub money: BookMoney,
    pub contribution_count: u64,
    pub license_count: u64,
    /// Entries the book's account has room for.
    pub entry_count: u64,
}

pub(crate) const BOOK_COLUMNS: &str = "total_shares, accepted_count, acc_per_share, shares_carry, owed_protocol, fee_carry, upstream_carry, unallocated, owed_upstream, payment_count, total_received, total_paid_out, contribution_count, license_count, entry_count";

impl Book {
    /// From a row holding [`BOOK_COLUMNS`] (by name, among any others).
    pub(crate) fn from_row(row: &Row) -> Result<Book, IndexError> {
        Ok(Book {
            money: BookMoney {
                pools: Pools {
                    total_shares: row.amount_u64("total_shares")?,
                    accepted_count: row.small("accepted_count")?,
                    acc_per_share: row.amount("acc_per_share")?,
                    shares_carry: row.amount("shares_carry")?,
                    owed_protocol: row.amount_u64("owed_protocol")?,
                    fee_carry: row.small("fee_carry")?,
                    upstream_carry: row.amount_list("upstream_carry")?,
                    unallocated: row.amount_u64("unallocated")?,
                    owed_upstream: row.amount_list("owed_upstream")?,
                },
                payment_count: row.u64("payment_count")?,
                total_received: row.amount("total_received")?,
                total_paid_out: row.amount("total_paid_out")?,
            },
            contribution_count: row.u64("contribution_count")?,
            license_count: row.u64("license_count")?,
            entry_count: row.u64("entry_count")?,
        })
    }

    fn write(&self, sql: &mut dyn Sql, model: &Pubkey) -> Result<(), IndexError> {
        let money = &self.money;
        let pools = &money.pools;
        sql.write(
            "UPDATE models SET total_shares = $2, accepted_count = $3, acc_per_share = $4, shares_carry = $5, owed_protocol = $6, fee_carry = $7, upstream_carry = $8, unallocated = $9, owed_upstream = $10, payment_count = $11, total_received = $12, total_paid_out = $13, contribution_count = $14, license_count = $15, entry_count = $16 WHERE address = $1",
            &[
                key(model),
                amount(pools.total_shares),
                pools.accepted_count.into(),
                amount(pools.acc_per_share),
                amount(pools.shares_carry),
                amount(pools.owed_protocol),
                pools.fee_carry.into(),
                amount_list(pools.upstream_carry.iter().map(|carry| u128::from(*carry))),
                amount(pools.unallocated),
                amount_list(pools.owed_upstream.iter().map(|owed| u128::from(*owed))),
                int(money.payment_count)?,
                amount(money.total_received),
                amount(money.total_paid_out),
                int(self.contribution_count)?,
                int(self.license_count)?,
                int(self.entry_count)?,
            ],
        )?;
        Ok(())
    }
}

/// Amounts as the list columns keep them (JSON of decimal strings).
pub(crate) fn amount_list(values: impl IntoIterator<Item = u128>) -> Value {
    Value::Text(
        serde_json::to_string(
            &values
                .into_iter()
                .map(|value| value.to_string())
                .collect::<Vec<_>>(),
        )
        .expect("a list of strings serialises"),
    )
}

pub(crate) fn load_book(sql: &mut dyn Sql, model: &Pubkey) -> Result<Option<Book>, IndexError> {
    sql.query_opt(
        &format!("SELECT {BOOK_COLUMNS} FROM models WHERE address = $1"),
        &[key(model)],
    )?
    .map(|row| Book::from_row(&row))
    .transpose()
}

/// `model`'s book as the transaction has left it so far.
pub(crate) fn book_of(sql: &mut dyn Sql, at: &At, model: &Pubkey) -> Result<Book, IndexError> {
    if let Some(book) = at.books.borrow().books.get(model) {
        return Ok(book.clone());
    }
    let book = load_book(sql, model)?
        .ok_or_else(|| at.gap(format!("model {model} was never registered")))?;
    at.books.borrow_mut().books.insert(*model, book.clone());
    Ok(book)
}

/// Keeps `book` as the transaction's latest for `model`; written once, at its end.
pub(crate) fn store_book(at: &At, model: &Pubkey, book: &Book) {
    let mut cache = at.books.borrow_mut();
    cache.books.insert(*model, book.clone());
    cache.changed.insert(*model);
}

/// Writes every book the batch changed.
pub(super) fn write_books(sql: &mut dyn Sql, cache: &super::Cache) -> Result<(), IndexError> {
    for model in &cache.changed {
        cache.books[model].write(sql, model)?;
    }
    Ok(())
}

fn overflow(at: &At, what: &str) -> IndexError {
    IndexError::BadTransaction {
        signature: at.signature.to_string(),
        reason: format!(
            "{what} does not compute from the indexed book (an overflow the program would have refused)"
        ),
    }
}

/// How a model splits what it is paid: the protocol fee (0 for what a
/// child settles upstream: the fee was taken at the first hop), each
/// parent's royalty, the attributed share.
pub(crate) struct Split {
    pub fee_bps: u16,
    pub terms: Terms,
}

/// What a model fixed at registration: its parents' royalties, its
/// attribution ratio.
#[derive(Clone)]
pub(crate) struct Terms {
    pub parent_bps: Vec<u16>,
    pub attribution_bps: u16,
}

impl Split {
    /// How `model` splits a first-hop payment (`first_hop`) or an upstream
    /// settlement, from its indexed terms and the configuration's fee now.
    pub(crate) fn of(
        sql: &mut dyn Sql,
        at: &At,
        model: &Pubkey,
        first_hop: bool,
    ) -> Result<Split, IndexError> {
        let cached_fee = at.books.borrow().fee_bps;
        let fee_bps = match (first_hop, cached_fee) {
            (false, _) => 0,
            (true, Some(fee_bps)) => fee_bps,
            (true, None) => {
                let fee_bps = sql
                    .query_opt("SELECT protocol_fee_bps FROM config", &[])?
                    .ok_or_else(|| at.gap("a payment before the configuration".into()))?
                    .small("protocol_fee_bps")?;
                at.books.borrow_mut().fee_bps = Some(fee_bps);
                fee_bps
            }
        };
        let cached_terms = at.books.borrow().splits.get(model).cloned();
        if let Some(terms) = cached_terms {
            return Ok(Split { fee_bps, terms });
        }
        let attribution_bps = sql
            .query_one(
                "SELECT attribution_bps FROM models WHERE address = $1",
                &[key(model)],
            )?
            .small("attribution_bps")?;
        let parent_bps = sql
            .query(
                "SELECT derivative_bps FROM lineage WHERE child = $1 ORDER BY parent_position",
                &[key(model)],
            )?
            .iter()
            .map(|row| row.small("derivative_bps"))
            .collect::<Result<Vec<u16>, _>>()?;
        let terms = Terms {
            parent_bps,
            attribution_bps,
        };
        at.books.borrow_mut().splits.insert(*model, terms.clone());
        Ok(Split { fee_bps, terms })
    }
}

/// The configuration changed: the next payment reads its fee again.
pub(crate) fn forget_fee(at: &At) {
    at.books.borrow_mut().fee_bps = None;
}

/// What a payment was, for its row in `payments`.
pub(crate) struct Paid<'a> {
    /// `grant`, `renewal`, `inference`, `upstream` or `surplus`.
    pub kind: &'a str,
    /// The grant, or the child that settled; empty for a surplus.
    pub source: String,
}

/// Books one payment into `model` by the program's arithmetic, checks it
/// against the chain's record, credits the attributed entries, and keeps
/// the payment's row.
pub(crate) fn pay(
    sql: &mut dyn Sql,
    at: &At,
    model: &Pubkey,
    paid: Paid,
    payment: &PaymentRecord,
    attribution: &[(u32, u16)],
) -> Result<(), IndexError> {
    let split = Split::of(sql, at, model, paid.kind != "upstream")?;
    let mut book = book_of(sql, at, model)?;
    let weight_total = attribution
        .iter()
        .map(|(_, weight)| u64::from(*weight))
        .try_fold(0u64, u64::checked_add)
        .ok_or_else(|| overflow(at, "the attribution's total weight"))?;
    let distribution = book
        .money
        .pay(
            payment.amount,
            split.fee_bps,
            &split.terms.parent_bps,
            split.terms.attribution_bps,
            weight_total,
        )
        .map_err(|_| overflow(at, "a payment"))?;
    let parents = split.terms.parent_bps.len().min(MAX_PARENTS);
    let computed = PaymentRecord::of(payment.amount, &distribution, parents, &book.money);
    if computed != *payment {
        return Err(at.gap(format!(
            "payment {} of model {model}: the indexed book computes {computed:?}, the chain recorded {payment:?}",
            payment.payment_count
        )));
    }
    store_book(at, model, &book);
    for (index, weight) in attribution {
        let before = entry_of(sql, at, model, *index)?;
        let mut entry = before.clone();
        let credit = entry
            .balance
            .credit_attributed(*weight, payment.per_weight_scaled)
            .map_err(|_| overflow(at, "an attributed credit"))?;
        entry.attributed_scaled = add_to_total(entry.attributed_scaled, credit)
            .map_err(|_| overflow(at, "an attributed credit"))?;
        entry.attributed_batches += 1;
        store_entry(sql, at, (model, *index), &before, &entry)?;
    }
    let [position, slot, signature] = at.common()?;
    sql.write(
        "INSERT INTO payments (model, payment_count, kind, source, amount, protocol_fee, upstream, contributors_scaled, per_weight_scaled, shares_scaled, to_unallocated, position, slot, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        &[
            key(model),
            int(payment.payment_count)?,
            paid.kind.into(),
            paid.source.into(),
            amount(payment.amount),
            amount(payment.protocol_fee),
            amount_list(payment.upstream.iter().map(|owed| u128::from(*owed))),
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

/// A contribution claims: the program's claim on the indexed entry must
/// withdraw what the chain withdrew and leave what it left.
pub(crate) fn claim(sql: &mut dyn Sql, at: &At, e: &RoyaltyClaimed) -> Result<(), IndexError> {
    let mut book = book_of(sql, at, &e.model)?;
    let before = entry_of(sql, at, &e.model, e.index)?;
    let mut entry = before.clone();
    let withdrawal = book
        .money
        .claim(&mut entry.balance, entry.claimed_total)
        .map_err(|_| overflow(at, "a claim"))?;
    entry.claimed_total = withdrawal.claimed_total;
    if (withdrawal.amount, withdrawal.claimed_total) != (e.amount, e.claimed_total)
        || (entry.balance.accrued_scaled, entry.balance.snapshot)
            != (e.accrued_scaled_left, e.snapshot)
    {
        return Err(at.gap(format!(
            "contribution #{} of {}: the index has it claim {} (total {}), the chain {} (total {})",
            e.index,
            e.model,
            withdrawal.amount,
            withdrawal.claimed_total,
            e.amount,
            e.claimed_total
        )));
    }
    store_book(at, &e.model, &book);
    store_entry(sql, at, (&e.model, e.index), &before, &entry)
}

/// A pool the program empties in one withdrawal.
pub(crate) enum Sweep {
    /// The authority's share of what arrived while no shares existed.
    Unallocated,
    /// Protocol fees booked for the treasury.
    ProtocolFees,
}

/// The whole of a pool leaves `model`'s vault; the chain must have taken
/// exactly what the indexed book holds.
pub(crate) fn sweep(
    sql: &mut dyn Sql,
    at: &At,
    model: &Pubkey,
    sweep: Sweep,
    withdrawn: u64,
) -> Result<(), IndexError> {
    let mut book = book_of(sql, at, model)?;
    let (taken, what) = match sweep {
        Sweep::Unallocated => (book.money.take_unallocated(), "unallocated"),
        Sweep::ProtocolFees => (book.money.collect_protocol_fees(), "protocol fees owed"),
    };
    let taken = taken.map_err(|_| overflow(at, what))?;
    if taken != withdrawn {
        return Err(at.gap(format!(
            "model {model} had {taken} {what}, {withdrawn} were withdrawn"
        )));
    }
    store_book(at, model, &book);
    Ok(())
}

/// A child settles with a parent: everything it owed that parent leaves
/// its vault (the program never settles part), and enters the parent's
/// book as a payment without protocol fee.
pub(crate) fn settle(sql: &mut dyn Sql, at: &At, e: &UpstreamSettled) -> Result<(), IndexError> {
    let mut child = book_of(sql, at, &e.child)?;
    let position = usize::from(e.parent_position);
    let owed = child
        .money
        .settle_upstream(position)
        .map_err(|_| at.gap(format!("model {} has no parent #{position}", e.child)))?;
    if owed != e.amount {
        return Err(at.gap(format!(
            "model {} owed its parent #{position} {owed}, the chain settled {}",
            e.child, e.amount
        )));
    }
    store_book(at, &e.child, &child);
    let [chain_position, slot, signature] = at.common()?;
    sql.write(
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
        let paid = Paid {
            kind: "upstream",
            source: e.child.to_string(),
        };
        pay(sql, at, &e.parent, paid, &e.payment, &[])?;
    }
    Ok(())
}

/// A contribution starts or stops earning (or is rejected): the program's
/// activation on the indexed entry must leave the model's shares where the
/// chain says they are.
pub(crate) fn change_status(
    sql: &mut dyn Sql,
    at: &At,
    e: &ContributionStatusChanged,
) -> Result<(), IndexError> {
    let mut book = book_of(sql, at, &e.model)?;
    let before = entry_of(sql, at, &e.model, e.index)?;
    if before.status != status_name(e.previous_status) {
        return Err(at.gap(format!(
            "contribution #{} of {} was {}, the chain moved it from {}",
            e.index,
            e.model,
            before.status,
            status_name(e.previous_status)
        )));
    }
    if book.money.pools.acc_per_share != e.acc_per_share {
        return Err(at.gap(format!(
            "model {} had reward per share {} when contribution #{} changed, the chain says {}",
            e.model, book.money.pools.acc_per_share, e.index, e.acc_per_share
        )));
    }
    let mut entry = before.clone();
    let pools = &mut book.money.pools;
    match e.status {
        ContributionStatus::Accepted => entry
            .balance
            .activate(e.shares, pools)
            .map_err(|_| overflow(at, "the acceptance"))?,
        ContributionStatus::Revoked => entry
            .balance
            .deactivate(pools)
            .map_err(|_| overflow(at, "the revocation"))?,
        ContributionStatus::Proposed | ContributionStatus::Rejected => {}
    }
    if (pools.total_shares, pools.accepted_count) != (e.model_total_shares, e.model_accepted_count)
    {
        return Err(at.gap(format!(
            "model {} had {} shares over {} accepted contributions, the chain says {} over {}",
            e.model,
            pools.total_shares,
            pools.accepted_count,
            e.model_total_shares,
            e.model_accepted_count
        )));
    }
    entry.status = status_name(e.status).to_string();
    entry.shares = e.shares.to_string();
    store_book(at, &e.model, &book);
    store_entry(sql, at, (&e.model, e.index), &before, &entry)
}
