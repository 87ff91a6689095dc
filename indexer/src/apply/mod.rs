//! One chain transaction into the database, in one database transaction.
//! Each event updates the rows it concerns, in the module of its kind
//! (configuration, models, licences, contributions, grants and batches,
//! proposal policy); every change of money goes through [`money`], which
//! recomputes it with the program's own arithmetic. Each running counter
//! and each amount an event carries is checked against what was indexed
//! before it, so a missing transaction is reported ([`IndexError::Gap`])
//! instead of producing wrong balances.

use base64::Engine;
use model_ledger::state::ContributionStatus;
use model_ledger_sdk::events::LedgerEvent;
use solana_sdk::pubkey::Pubkey;

use crate::{
    db::{int, Sql, Value},
    store::{mark_final, mark_final_at},
    wallets::Earnings,
    ChainTransaction, IndexError, Indexer,
};

mod config;
mod contributions;
mod entries;
mod grants;
mod licences;
mod models;
pub(crate) mod money;
mod proposals;

pub(crate) use entries::{Entry, ENTRY_COLUMNS};
pub(crate) use licences::{ai_from_json, ai_json, terms_from_json, terms_json};
pub(crate) use money::{load_book, Book, BOOK_COLUMNS};

/// What [`Indexer::apply`] did with a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Indexed now, with this many events.
    New { events: usize },
    /// Indexed before: nothing changed.
    AlreadyIndexed,
}

impl Indexer {
    /// Applies `transaction` (nothing, if it is indexed already), and
    /// records `source_position` (where the source resumes: the transaction
    /// is final) with it, all in one database transaction.
    pub fn apply(
        &mut self,
        transaction: &ChainTransaction,
        source_position: Option<&str>,
    ) -> Result<Applied, IndexError> {
        let cache = std::mem::take(&mut self.cache);
        let (applied, cache) = self.database.transaction(|sql| {
            let indexed = sql.query_opt(
                "SELECT 1 FROM transactions WHERE signature = $1",
                &[transaction.signature.as_str().into()],
            )?;
            let (applied, cache) = match indexed {
                Some(_) => (Applied::AlreadyIndexed, cache),
                None => {
                    let mut batch = Batch::starting(sql, cache)?;
                    let events = batch.apply(sql, transaction)?;
                    (Applied::New { events }, batch.finish(sql)?)
                }
            };
            if let Some(position) = source_position {
                mark_final(sql, &transaction.signature, position)?;
            }
            Ok((applied, cache))
        })?;
        // Only a committed batch's cache is kept; a failure dropped it.
        self.cache = cache;
        Ok(applied)
    }

    /// Applies `transactions`, none of them indexed yet, in one database
    /// transaction, each with the point to resume after it when it is
    /// final; their event counts. At a failure nothing is written, and the
    /// failing transaction's place comes with the error.
    pub(crate) fn apply_new(
        &mut self,
        transactions: &[(ChainTransaction, Option<String>)],
    ) -> Result<Vec<usize>, (usize, IndexError)> {
        let mut failed_at = 0;
        let cache = std::mem::take(&mut self.cache);
        let (events, cache) = self
            .database
            .transaction(|sql| {
                let mut batch = Batch::starting(sql, cache)?;
                let mut events = Vec::with_capacity(transactions.len());
                // The batch commits whole: its last final transaction is
                // where the source resumes.
                let mut last_final = None;
                for (number, (transaction, resume)) in transactions.iter().enumerate() {
                    failed_at = number;
                    events.push(batch.apply(sql, transaction)?);
                    if let Some(resume) = resume {
                        last_final = Some((batch.last_position(), resume));
                    }
                }
                failed_at = transactions.len();
                if let Some((position, resume)) = last_final {
                    mark_final_at(sql, position, resume)?;
                }
                Ok((events, batch.finish(sql)?))
            })
            .map_err(|error| (failed_at.min(transactions.len().saturating_sub(1)), error))?;
        self.cache = cache;
        Ok(events)
    }
}

/// Chain transactions applied in one database transaction: where the next
/// one goes, and the books and wallet sums they changed, each read once
/// and written once, at the end ([`Batch::finish`]).
struct Batch {
    next_position: i64,
    books: std::cell::RefCell<Cache>,
}

/// Where an event sits in the chain (its transaction and its order
/// there), and the books its batch has changed so far: each is read once
/// and written once per batch, however many of its events touch it.
pub(crate) struct At<'a> {
    pub signature: &'a str,
    pub slot: u64,
    pub position: i64,
    pub ordinal: usize,
    books: &'a std::cell::RefCell<Cache>,
}

/// What applying transactions remembers between them: books, entries and
/// how each model splits a payment (kept by the [`Indexer`] from batch to
/// batch), and what the batch being applied changed (written at its end).
#[derive(Default)]
pub(crate) struct Cache {
    books: std::collections::HashMap<Pubkey, Book>,
    changed: std::collections::BTreeSet<Pubkey>,
    splits: std::collections::HashMap<Pubkey, money::Terms>,
    /// The configuration's protocol fee, once read (its events forget it).
    fee_bps: Option<u16>,
    /// Entries by (model, index); those changed are written at the batch's end.
    entries: std::collections::HashMap<(Pubkey, u32), Entry>,
    changed_entries: std::collections::BTreeSet<(Pubkey, u32)>,
    /// Contributions proposed in the batch, their rows not yet written.
    proposed: std::collections::HashMap<(Pubkey, u32), entries::Proposal>,
    earnings: Earnings,
    /// What the batch adds to the running counts (`crate::counts`).
    counted: [u64; 4],
    /// Where the next transaction goes, as the batch that filled the cache
    /// left it: another writer (a second `index`, a CLI lookup beside
    /// `serve`) moves it, and then nothing remembered is trusted.
    next_position: Option<i64>,
}

/// Entries remembered at most; past it the cache starts afresh (a large
/// index reads an entry again rather than hold every one).
const CACHED_ENTRIES: usize = 200_000;

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

impl Batch {
    /// A batch starting from what the last one left (`cache`).
    fn starting(sql: &mut dyn Sql, cache: Cache) -> Result<Self, IndexError> {
        let next_position = sql
            .query_one(
                "SELECT COALESCE(MAX(position) + 1, 0) FROM transactions",
                &[],
            )?
            .int(0)?;
        let cache = if cache.next_position == Some(next_position) {
            cache
        } else {
            Cache::default()
        };
        Ok(Self {
            next_position,
            books: std::cell::RefCell::new(cache),
        })
    }

    fn last_position(&self) -> i64 {
        self.next_position - 1
    }

    /// Applies `transaction`, which is not indexed; its number of events.
    fn apply(
        &mut self,
        sql: &mut dyn Sql,
        transaction: &ChainTransaction,
    ) -> Result<usize, IndexError> {
        let signature = transaction.signature.as_str();
        let position = self.next_position;
        let events: &[LedgerEvent] = if transaction.failed {
            &[]
        } else {
            &transaction.events
        };
        sql.write(
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
        for (ordinal, event) in events.iter().enumerate() {
            let at = At {
                signature,
                slot: transaction.slot,
                position,
                ordinal,
                books: &self.books,
            };
            sql.write(
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
        let cache = self.books.get_mut();
        for (count, added) in cache.counted.iter_mut().zip(crate::counts::tally(events)) {
            *count += added;
        }
        self.next_position += 1;
        Ok(events.len())
    }

    /// Writes the books, entries and wallet sums the batch changed; what
    /// the next batch may start from.
    fn finish(self, sql: &mut dyn Sql) -> Result<Cache, IndexError> {
        let mut cache = self.books.into_inner();
        money::write_books(sql, &cache)?;
        entries::write_entries(sql, &cache)?;
        cache.next_position = Some(self.next_position);
        std::mem::take(&mut cache.earnings).write(sql)?;
        crate::counts::add(sql, std::mem::take(&mut cache.counted))?;
        cache.changed.clear();
        cache.changed_entries.clear();
        cache.proposed.clear();
        if cache.entries.len() > CACHED_ENTRIES {
            cache = Cache::default();
        }
        Ok(cache)
    }
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

/// Hands each event to the module of its kind.
fn apply_event(sql: &mut dyn Sql, at: &At, event: &LedgerEvent) -> Result<(), IndexError> {
    use LedgerEvent as E;
    match event {
        E::ConfigInitialized(e) => config::initialized(sql, at, e),
        E::ConfigUpdated(e) => config::updated(sql, at, e),
        E::ModelRegistered(e) => models::registered(sql, at, e),
        E::ModelAuthorityTransferProposed(e) => models::transfer_proposed(sql, at, e),
        E::ModelAuthorityTransferred(e) => models::transferred(sql, at, e),
        E::RoyaltyBookExtended(e) => models::book_extended(sql, at, e),
        E::LicensePublished(e) => licences::published(sql, at, e),
        E::LicensePublishedV2(e) => licences::published_v2(sql, at, e),
        E::LicenseRetired(e) => licences::retired(sql, at, e),
        E::ContributionProposed(e) => contributions::proposed(sql, at, e),
        E::ContributionStatusChanged(e) => contributions::status_changed(sql, at, e),
        E::PayoutWalletSet(e) => contributions::payout_wallet_set(sql, at, e),
        E::ContributionClosed(e) => contributions::closed(sql, at, e),
        E::RoyaltyClaimed(e) => contributions::claimed(sql, at, e),
        E::GrantAcquired(e) => grants::acquired(sql, at, e),
        E::MeterSet(e) => grants::meter_set(sql, at, e),
        E::GrantRenewed(e) => grants::renewed(sql, at, e),
        E::GrantTransferred(e) => grants::transferred(sql, at, e),
        E::InferenceRecorded(e) => grants::inference_recorded(sql, at, e),
        E::UpstreamSettled(e) => money::settle(sql, at, e),
        E::UnallocatedClaimed(e) => {
            money::sweep(sql, at, &e.model, money::Sweep::Unallocated, e.amount)?;
            record_claim(
                sql,
                at,
                &e.model,
                Claim::pool("unallocated", &e.authority, &e.destination),
                e.amount,
            )
        }
        E::ProtocolFeesCollected(e) => {
            money::sweep(sql, at, &e.model, money::Sweep::ProtocolFees, e.amount)?;
            let treasury = &e.treasury_token;
            record_claim(
                sql,
                at,
                &e.model,
                Claim::pool("protocol_fees", treasury, treasury),
                e.amount,
            )
        }
        E::SurplusBooked(e) if e.amount == 0 => Ok(()),
        E::SurplusBooked(e) => {
            let paid = money::Paid {
                kind: "surplus",
                source: String::new(),
            };
            money::pay(sql, at, &e.model, paid, &e.payment, &[])
        }
        E::ProposalPolicySet(e) => proposals::policy_set(sql, at, e),
        E::ProposerAllowed(e) => proposals::allowed(sql, at, e),
        E::ProposerDisallowed(e) => proposals::disallowed(sql, at, e),
    }
}

/// Who took money out of a model's vault, for the `claims` row.
pub(crate) struct Claim<'a> {
    pub kind: &'a str,
    pub index: Option<u32>,
    pub wallet: &'a Pubkey,
    pub destination: &'a Pubkey,
}

impl<'a> Claim<'a> {
    fn pool(kind: &'a str, wallet: &'a Pubkey, destination: &'a Pubkey) -> Self {
        Self {
            kind,
            index: None,
            wallet,
            destination,
        }
    }
}

pub(crate) fn record_claim(
    sql: &mut dyn Sql,
    at: &At,
    model: &Pubkey,
    claim: Claim,
    paid: u64,
) -> Result<(), IndexError> {
    let [position, slot, signature] = at.common()?;
    sql.write(
        "INSERT INTO claims (signature, ordinal, model, kind, idx, wallet, destination, amount, position, slot) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            signature,
            int(at.ordinal as u64)?,
            key(model),
            claim.kind.into(),
            claim.index.into(),
            key(claim.wallet),
            key(claim.destination),
            crate::db::amount(paid),
            position,
            slot,
        ],
    )?;
    Ok(())
}
