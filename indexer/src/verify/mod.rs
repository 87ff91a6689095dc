//! `index verify`: the index against the chain, two ways.
//!
//! - Against a rebuild ([`rows`]): the chain's history applied to an empty
//!   database must give every row of every table, no more and no fewer:
//!   batch roots, payments, status history, lineage, everything only the
//!   history shows, and rows deleted or added by hand; the running counts
//!   the status shows must be those tables' sizes.
//! - Against the accounts ([`accounts`]): every field the index keeps of the
//!   configuration, models, royalty books and their entries, contributions,
//!   licences, grants and proposer permits, as the chain holds them now.
//!   This catches what a rebuild cannot: an indexer that applies an event
//!   wrongly the same way twice.

mod accounts;
mod rows;

use std::collections::HashMap;

use solana_sdk::{account::Account, pubkey::Pubkey};

use crate::{db::Value, IndexError, Indexer};

/// A value as a difference names it: text quoted, numbers bare.
fn shown(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Int(number) => number.to_string(),
        Value::Text(text) => format!("{text:?}"),
    }
}

/// Accounts read from the chain the index follows (an RPC cluster, the
/// embedded ledger's saved state, a test's runtime), by address; an address
/// without an account is absent.
pub type ChainAccounts = HashMap<Pubkey, Account>;

/// The accounts [`verify`] compares the index with, by the rows that name
/// them. Read them (in any way), then verify.
pub fn accounts_to_verify(indexer: &mut Indexer) -> Result<Vec<Pubkey>, IndexError> {
    accounts::addresses(indexer.sql())
}

/// What a passing verification compared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verified {
    /// Rows of every table, against the rebuild.
    pub rows: usize,
    pub models: usize,
    pub contributions: usize,
    pub licenses: usize,
    pub grants: usize,
    pub permits: usize,
}

/// The first difference between the index and the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The account that differs, when an account does.
    pub account: Option<Pubkey>,
    /// What differs, with both values: "model atlas-base-7b's royalty book:
    /// reward per share is "5" in the index, "6" on chain".
    pub what: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.account {
            Some(account) => write!(f, "{} (account {account})", self.what),
            None => f.write_str(&self.what),
        }
    }
}

/// Compares `indexer` with `rebuilt` (a fresh index of the same chain's
/// whole history) and with `chain`'s accounts: `Ok(Ok(counts))` when all
/// agree, `Ok(Err(difference))` at the first that does not.
pub fn verify(
    indexer: &mut Indexer,
    rebuilt: &mut Indexer,
    chain: &ChainAccounts,
) -> Result<Result<Verified, Difference>, IndexError> {
    let rows = match verify_rows(indexer, rebuilt)? {
        Ok(rows) => rows,
        Err(difference) => return Ok(Err(difference)),
    };
    Ok(accounts::compare(indexer.sql(), chain)?.map(|verified| Verified { rows, ..verified }))
}

/// Compares every row of `indexer` with `rebuilt` (a fresh index of the
/// same history), and its running counts with its tables: `Ok(Ok(rows))`
/// when they agree.
pub fn verify_rows(
    indexer: &mut Indexer,
    rebuilt: &mut Indexer,
) -> Result<Result<usize, Difference>, IndexError> {
    let rows = match rows::compare(&mut indexer.database, &mut rebuilt.database)? {
        Ok(rows) => rows,
        Err(difference) => return Ok(Err(difference)),
    };
    Ok(counts_agree(indexer)?.map(|()| rows))
}

/// Compares `indexer` with `chain`'s accounts alone (and its running counts
/// with its tables): what an index following a chain can check after every
/// transaction, without a rebuild of the whole history.
pub fn verify_accounts(
    indexer: &mut Indexer,
    chain: &ChainAccounts,
) -> Result<Result<Verified, Difference>, IndexError> {
    if let Err(difference) = counts_agree(indexer)? {
        return Ok(Err(difference));
    }
    accounts::compare(indexer.sql(), chain)
}

fn counts_agree(indexer: &mut Indexer) -> Result<Result<(), Difference>, IndexError> {
    Ok(match crate::counts::disagreement(indexer.sql())? {
        Some((table, kept, counted)) => Err(Difference {
            account: None,
            what: format!("the index counts {kept} {table}, its {table} table holds {counted}"),
        }),
        None => Ok(()),
    })
}
