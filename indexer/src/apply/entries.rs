//! Contributions' rows: a contribution's entry as the batch has left it
//! (read once, written once at the batch's end), and the rows of those
//! proposed in the batch, written whole then. A contribution proposed and
//! accepted in one batch is one insert, not an insert and an update (which
//! rewrites the row and every index on the table).

use model_ledger::math::royalty::EntryBalance;
use solana_sdk::pubkey::Pubkey;

use super::{key, At, Cache};
use crate::{
    db::{amount, int, Row, Sql, Value},
    wallets::Paying,
    IndexError,
};

/// What a proposal fixes about a contribution, kept until its row is written.
pub(crate) struct Proposal {
    pub contributor: String,
    pub kind: String,
    pub content_hash: String,
    pub uri: String,
    pub proposed_slot: u64,
    pub closed: bool,
}

/// A contribution's status and book entry as the index keeps them.
#[derive(Clone)]
pub(crate) struct Entry {
    pub address: Pubkey,
    pub status: String,
    pub payout_wallet: String,
    pub balance: EntryBalance,
    pub claimed_total: u128,
    /// What attribution credited it over its life, in 1/SCALE token.
    pub attributed_scaled: u128,
    /// Batches whose attribution named it.
    pub attributed_batches: u64,
    /// The shares its acceptance gave it (text, as the column keeps them).
    pub shares: String,
}

pub(crate) const ENTRY_COLUMNS: &str = "address, status, payout_wallet, active_shares, snapshot, accrued_scaled, claimed_total, attributed_scaled, attributed_batches, shares";

impl Entry {
    /// From a row holding [`ENTRY_COLUMNS`] (by name, among any others).
    pub(crate) fn from_row(row: &Row) -> Result<Entry, IndexError> {
        Ok(Entry {
            address: row.address("address")?,
            status: row.text("status")?.to_string(),
            payout_wallet: row.text("payout_wallet")?.to_string(),
            balance: EntryBalance {
                active_shares: row.amount_u64("active_shares")?,
                snapshot: row.amount("snapshot")?,
                accrued_scaled: row.amount("accrued_scaled")?,
            },
            claimed_total: row.amount("claimed_total")?,
            attributed_scaled: row.amount("attributed_scaled")?,
            attributed_batches: row.u64("attributed_batches")?,
            shares: row.text("shares")?.to_string(),
        })
    }

    /// The entry's columns, in [`ENTRY_COLUMNS`]' order.
    fn values(&self) -> Result<[Value; 10], IndexError> {
        Ok([
            key(&self.address),
            self.status.as_str().into(),
            self.payout_wallet.as_str().into(),
            amount(self.balance.active_shares),
            amount(self.balance.snapshot),
            amount(self.balance.accrued_scaled),
            amount(self.claimed_total),
            amount(self.attributed_scaled),
            int(self.attributed_batches)?,
            self.shares.as_str().into(),
        ])
    }

    fn update(&self, sql: &mut dyn Sql) -> Result<(), IndexError> {
        sql.write(
            "UPDATE contributions SET status = $2, payout_wallet = $3, active_shares = $4, snapshot = $5, accrued_scaled = $6, claimed_total = $7, attributed_scaled = $8, attributed_batches = $9, shares = $10 WHERE address = $1",
            &self.values()?,
        )
    }

    pub(crate) fn paying(&self) -> Paying<'_> {
        Paying {
            wallet: &self.payout_wallet,
            balance: &self.balance,
            claimed_total: self.claimed_total,
        }
    }
}

/// Contribution `index` of `model` as the batch has left it so far.
pub(crate) fn entry_of(
    sql: &mut dyn Sql,
    at: &At,
    model: &Pubkey,
    index: u32,
) -> Result<Entry, IndexError> {
    if let Some(entry) = at.books.borrow().entries.get(&(*model, index)) {
        return Ok(entry.clone());
    }
    let entry = sql
        .query_opt(
            &format!("SELECT {ENTRY_COLUMNS} FROM contributions WHERE model = $1 AND idx = $2"),
            &[key(model), index.into()],
        )?
        .map(|row| Entry::from_row(&row))
        .transpose()?
        .ok_or_else(|| {
            at.gap(format!(
                "contribution #{index} of model {model} was never proposed"
            ))
        })?;
    at.books
        .borrow_mut()
        .entries
        .insert((*model, index), entry.clone());
    Ok(entry)
}

/// A contribution just proposed: its row is written with its entry at the
/// batch's end, whole ([`write_entries`]).
pub(crate) fn propose(at: &At, model: &Pubkey, index: u32, proposal: Proposal, entry: Entry) {
    let mut cache = at.books.borrow_mut();
    cache.entries.insert((*model, index), entry);
    cache.changed_entries.insert((*model, index));
    cache.proposed.insert((*model, index), proposal);
}

/// Who proposed contribution `index` of `model`.
pub(crate) fn contributor_of(
    sql: &mut dyn Sql,
    at: &At,
    (model, index): (&Pubkey, u32),
) -> Result<String, IndexError> {
    if let Some(proposal) = at.books.borrow().proposed.get(&(*model, index)) {
        return Ok(proposal.contributor.clone());
    }
    Ok(sql
        .query_one(
            "SELECT contributor FROM contributions WHERE model = $1 AND idx = $2",
            &[key(model), index.into()],
        )?
        .text("contributor")?
        .to_string())
}

/// Contribution `index` of `model` closed its entry (its row stays, marked).
pub(crate) fn close(
    sql: &mut dyn Sql,
    at: &At,
    (model, index): (&Pubkey, u32),
) -> Result<(), IndexError> {
    entry_of(sql, at, model, index)?;
    if let Some(proposal) = at.books.borrow_mut().proposed.get_mut(&(*model, index)) {
        proposal.closed = true;
        return Ok(());
    }
    sql.write(
        "UPDATE contributions SET closed = 1 WHERE model = $1 AND idx = $2",
        &[key(model), index.into()],
    )
}

/// Writes every entry the batch changed: an update of those indexed
/// before, the whole row of those proposed in the batch.
pub(super) fn write_entries(sql: &mut dyn Sql, cache: &Cache) -> Result<(), IndexError> {
    for changed @ (model, index) in &cache.changed_entries {
        let entry = &cache.entries[changed];
        let Some(proposal) = cache.proposed.get(changed) else {
            entry.update(sql)?;
            continue;
        };
        let [address, status, payout_wallet, active_shares, snapshot, accrued_scaled, claimed_total, attributed_scaled, attributed_batches, shares] =
            entry.values()?;
        sql.write(
            "INSERT INTO contributions (address, model, idx, contributor, kind, content_hash, uri, proposed_slot, closed, status, payout_wallet, active_shares, snapshot, accrued_scaled, claimed_total, attributed_scaled, attributed_batches, shares) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
            &[
                address,
                key(model),
                (*index).into(),
                proposal.contributor.as_str().into(),
                proposal.kind.as_str().into(),
                proposal.content_hash.as_str().into(),
                proposal.uri.as_str().into(),
                int(proposal.proposed_slot)?,
                proposal.closed.into(),
                status,
                payout_wallet,
                active_shares,
                snapshot,
                accrued_scaled,
                claimed_total,
                attributed_scaled,
                attributed_batches,
                shares,
            ],
        )?;
    }
    Ok(())
}

/// Keeps `after` as the batch's latest for contribution `index` of `model`
/// (written once, at the batch's end) and moves it in its wallets' sums.
pub(crate) fn store_entry(
    sql: &mut dyn Sql,
    at: &At,
    (model, index): (&Pubkey, u32),
    before: &Entry,
    after: &Entry,
) -> Result<(), IndexError> {
    let mut cache = at.books.borrow_mut();
    cache.entries.insert((*model, index), after.clone());
    cache.changed_entries.insert((*model, index));
    cache
        .earnings
        .change(sql, model, Some(before.paying()), after.paying())
}
