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
    store::mark_final,
    wallets::Earnings,
    ChainTransaction, IndexError, Indexer,
};

mod config;
mod contributions;
mod grants;
mod licences;
mod models;
pub(crate) mod money;
mod proposals;

pub(crate) use licences::{terms_from_json, terms_json};
pub(crate) use money::{load_book, Book, Entry, BOOK_COLUMNS, ENTRY_COLUMNS};

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
    /// source resumes: the transaction is final) with it, all in one
    /// database transaction.
    pub fn apply(
        &mut self,
        transaction: &ChainTransaction,
        source_position: Option<&str>,
    ) -> Result<Applied, IndexError> {
        self.database.transaction(|sql| {
            let applied = apply_transaction(sql, transaction)?;
            if let Some(position) = source_position {
                mark_final(sql, &transaction.signature, position)?;
            }
            Ok(applied)
        })
    }
}

/// Where an event sits in the chain (its transaction and its order
/// there), and the books the transaction has changed so far: each is read
/// once and written once per transaction, however many of its events touch it.
pub(crate) struct At<'a> {
    pub signature: &'a str,
    pub slot: u64,
    pub position: i64,
    pub ordinal: usize,
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
    let at = At {
        signature,
        slot: transaction.slot,
        position,
        ordinal: events.len(),
        books: &books,
    };
    money::write_books(sql, &at)?;
    books.into_inner().earnings.write(sql)?;
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

/// Hands each event to the module of its kind.
fn apply_event(sql: &mut dyn Sql, at: &At, event: &LedgerEvent) -> Result<(), IndexError> {
    use LedgerEvent as E;
    match event {
        E::ConfigInitialized(e) => config::initialized(sql, e),
        E::ConfigUpdated(e) => config::updated(sql, at, e),
        E::ModelRegistered(e) => models::registered(sql, at, e),
        E::ModelAuthorityTransferProposed(e) => models::transfer_proposed(sql, at, e),
        E::ModelAuthorityTransferred(e) => models::transferred(sql, at, e),
        E::RoyaltyBookExtended(e) => models::book_extended(sql, at, e),
        E::LicensePublished(e) => licences::published(sql, at, e),
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
    sql.execute(
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
