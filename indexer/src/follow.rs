//! Following a chain. A [`Source`] lists what the chain holds after the
//! index's resume point, in chain order; [`Indexer::catch_up`] applies what
//! the index does not hold yet, each transaction in one database
//! transaction together with the point to resume after it — once that
//! transaction is final, so a transaction a fork may still drop is listed
//! again after a restart and recognised (never applied twice).
//!
//! A transaction read before it was final that the chain stops listing (a
//! fork abandoned its slot) is noticed at the next catch-up: everything
//! after the last final transaction is what the listing holds, so one the
//! index holds there and the listing does not was rolled back. The index
//! then forgets the whole history and reads it again
//! ([`CaughtUp::rolled_back`]), since every later row may depend on it.
//!
//! Sources: an RPC cluster ([`crate::rpc::RpcSource`], live with
//! [`crate::live`]) and the CLI's embedded ledger (its journal, in the CLI).

use std::time::Instant;

use solana_sdk::pubkey::Pubkey;

use crate::{
    store::mark_final, Applied, ChainAccounts, ChainIdentity, ChainTransaction, IndexError, Indexer,
};

/// One transaction a source lists.
#[derive(Clone, Debug)]
pub struct Listed {
    pub signature: String,
    pub slot: u64,
    /// Where the source resumes once this transaction is indexed; `None`
    /// while it is not final (a confirmed slot a fork may still abandon).
    pub resume: Option<String>,
    /// The transaction itself, when listing it cost nothing (a journal);
    /// otherwise [`Source::transaction`] reads it.
    pub transaction: Option<ChainTransaction>,
}

/// Where an index's transactions come from.
pub trait Source {
    /// The chain the source reads (a database of another is refused).
    fn identity(&self) -> Result<ChainIdentity, IndexError>;
    /// The accounts `addresses` as the chain holds them now (absent ones left out).
    fn accounts(&self, addresses: &[Pubkey]) -> Result<ChainAccounts, IndexError>;
    /// The program's transactions after `resume` (from the first when
    /// `None`), oldest first, in execution order.
    fn list_after(&self, resume: Option<&str>) -> Result<Vec<Listed>, IndexError>;
    /// The transaction `signature`, its events decoded.
    fn transaction(&self, signature: &str) -> Result<ChainTransaction, IndexError>;
}

/// What a catch-up did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CaughtUp {
    pub transactions: u64,
    pub events: u64,
    pub seconds: f64,
    /// A transaction the index had read before it was final, which the
    /// chain no longer lists (a fork dropped its slot): the index forgot
    /// everything and read the history again.
    pub rolled_back: Option<String>,
}

impl Indexer {
    /// Indexes every transaction `source` lists that the index does not
    /// hold, in chain order, each in one database transaction; `progress`
    /// hears the running counts after each.
    pub fn catch_up(
        &mut self,
        source: &dyn Source,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<CaughtUp, IndexError> {
        let started = Instant::now();
        let mut done = CaughtUp::default();
        let resume = self.cursor()?.source_position;
        let mut listing = source.list_after(resume.as_deref())?;
        if let Some(dropped) = self.dropped_by_a_fork(&listing)? {
            // Every later row may depend on it (a payment's pools, an
            // entry's accrual): the index reads the history again rather
            // than guess what to undo.
            self.forget_history()?;
            done.rolled_back = Some(dropped);
            listing = source.list_after(None)?;
        }
        for listed in listing {
            if self.contains(&listed.signature)? {
                // Indexed while it was not final; now it may be.
                if let Some(resume) = &listed.resume {
                    mark_final(&mut self.database, &listed.signature, resume)?;
                }
                continue;
            }
            let transaction = match listed.transaction {
                Some(transaction) => transaction,
                None => source.transaction(&listed.signature)?,
            };
            if let Applied::New { events } = self.apply(&transaction, listed.resume.as_deref())? {
                done.transactions += 1;
                done.events += events as u64;
                progress(done.transactions, done.events);
            }
        }
        done.seconds = started.elapsed().as_secs_f64();
        Ok(done)
    }

    /// The first transaction the index read before it was final that
    /// `listing` (everything after the last final one) no longer holds.
    fn dropped_by_a_fork(&mut self, listing: &[Listed]) -> Result<Option<String>, IndexError> {
        let not_final = self.not_final()?;
        if not_final.is_empty() {
            return Ok(None);
        }
        let listed: std::collections::HashSet<&str> = listing
            .iter()
            .map(|listed| listed.signature.as_str())
            .collect();
        Ok(not_final
            .into_iter()
            .find(|signature| !listed.contains(signature.as_str())))
    }

    /// Whether `source` lists a transaction the index does not hold.
    pub fn has_news(&mut self, source: &dyn Source) -> Result<bool, IndexError> {
        let resume = self.cursor()?.source_position;
        for listed in source.list_after(resume.as_deref())? {
            if !self.contains(&listed.signature)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
