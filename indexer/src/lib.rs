//! The read side of Model Ledger: follows the program's self-CPI events into
//! a database (SQLite by default, PostgreSQL for a deployment that outgrows
//! one file), checks it against the chain, and answers the queries of the
//! CLI and the explorer without scanning program accounts.
//!
//! - [`Indexer::apply`] writes one chain transaction in one database
//!   transaction: its events, and the state they imply (models, lineage,
//!   contributions with their status history and royalty-book entries,
//!   licence versions, grants, batches, payments, settlements, claims). The
//!   money is followed with the program's own arithmetic
//!   (`model_ledger::math`), so every balance is the one the book holds.
//! - The running counters the events carry (payment, contribution, licence
//!   and configuration counters, batch sequence numbers, previous statuses)
//!   reveal a missing transaction: [`IndexError::Gap`] names it and nothing
//!   of the transaction is written.
//! - A transaction already indexed is skipped, so reading a range twice
//!   changes nothing.
//! - [`verify`] compares every balance with the on-chain royalty books.
//!
//! - [`Indexer::catch_up`] follows a [`Source`] from the index's resume
//!   point, which advances only past final transactions; [`live::follow`]
//!   keeps an RPC cluster's index current as each transaction is confirmed.
//!
//! Sources: any RPC cluster ([`rpc::RpcSource`]) and the CLI's embedded
//! chain (its journal, read by the CLI's own [`Source`]).

mod apply;
mod counts;
pub mod db;
mod deferred;
pub mod follow;
pub mod live;
mod postgres_sql;
pub mod query;
pub mod rpc;
mod schema;
mod store;
#[cfg(feature = "synthetic")]
pub mod synthetic;
mod verify;
mod wallets;

pub use apply::Applied;
pub use db::{Database, DatabaseUrl};
pub use follow::{CaughtUp, Listed, Source};
pub use schema::SCHEMA_VERSION;
pub use store::{ChainIdentity, Cursor, Indexer};
pub use verify::{
    accounts_to_verify, verify, verify_accounts, verify_rows, ChainAccounts, Difference, Verified,
};

use model_ledger_sdk::events::LedgerEvent;

/// One transaction of the chain as a source hands it over, in chain order.
#[derive(Clone, Debug)]
pub struct ChainTransaction {
    pub signature: String,
    pub slot: u64,
    pub block_time: Option<i64>,
    /// A failed transaction changed nothing; it is recorded as read.
    pub failed: bool,
    pub events: Vec<LedgerEvent>,
}

impl From<&model_ledger_sdk::client::TransactionOutcome> for ChainTransaction {
    /// A transaction that landed through the SDK (a test's, the CLI's).
    fn from(outcome: &model_ledger_sdk::client::TransactionOutcome) -> Self {
        Self {
            signature: outcome.signature.to_string(),
            slot: outcome.slot,
            block_time: None,
            failed: false,
            events: outcome.events.clone(),
        }
    }
}

/// Why indexing stopped. Whatever the error, the transaction being applied
/// left nothing in the database.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("database: {0}")]
    Database(String),
    /// The database belongs to another cluster or program.
    #[error("{database} indexes {what} {indexed}, not {asked}: pass another --database")]
    Foreign {
        database: String,
        what: &'static str,
        indexed: String,
        asked: String,
    },
    /// An event does not follow from what was indexed before it: a
    /// transaction of the program is missing from the source.
    #[error("gap before transaction {signature}: {what} (a transaction of the program is missing from the source; nothing of this one was written)")]
    Gap { signature: String, what: String },
    /// A transaction that cannot be read as the program's.
    #[error("transaction {signature}: {reason}")]
    BadTransaction { signature: String, reason: String },
    #[error("source: {0}")]
    Source(String),
    /// `index verify` found the index and the chain apart.
    #[error("the index differs from the chain: {0}")]
    Differs(Difference),
}
