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

use std::{collections::HashSet, time::Instant};

use solana_sdk::pubkey::Pubkey;

use crate::{
    store::mark_final, ChainAccounts, ChainIdentity, ChainTransaction, IndexError, Indexer,
};

/// Chain transactions applied per database transaction while catching up:
/// one commit (and, on PostgreSQL, few round trips) for many.
pub const BATCH: usize = 256;

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
    /// hold, in chain order, up to [`BATCH`] of them per database
    /// transaction; `progress` hears the running counts as they commit. At a
    /// transaction that cannot be indexed (a gap, a transaction the program
    /// could not have made), those before it are kept and the error says
    /// which one.
    pub fn catch_up(
        &mut self,
        source: &dyn Source,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<CaughtUp, IndexError> {
        let started = Instant::now();
        let mut done = CaughtUp::default();
        let resume = self.cursor()?.source_position;
        let mut listing = source.list_after(resume.as_deref())?;
        // Of what the listing holds, the index can hold only what it read
        // after the last final transaction.
        let not_final = self.not_final()?;
        let dropped = {
            let listed: HashSet<&str> = listing
                .iter()
                .map(|listed| listed.signature.as_str())
                .collect();
            not_final
                .iter()
                .find(|signature| !listed.contains(signature.as_str()))
                .cloned()
        };
        let mut indexed: HashSet<String> = not_final.into_iter().collect();
        if let Some(dropped) = dropped {
            // Every later row may depend on it (a payment's pools, an
            // entry's accrual): the index reads the history again rather
            // than guess what to undo.
            self.forget_history()?;
            done.rolled_back = Some(dropped);
            indexed.clear();
            listing = source.list_after(None)?;
        }
        let mut batch: Vec<(ChainTransaction, Option<String>)> = Vec::new();
        // The latest transaction read while it was not final that is final
        // now: the resume point moves past it once, not once per transaction.
        let mut now_final: Option<(String, String)> = None;
        for listed in listing {
            if indexed.contains(&listed.signature) {
                if let Some(resume) = listed.resume {
                    now_final = Some((listed.signature, resume));
                }
                continue;
            }
            if let Some(marked) = now_final.take() {
                self.commit_batch(&mut batch, &mut done, progress)?;
                self.mark_final(&marked)?;
            }
            let transaction = match listed.transaction {
                Some(transaction) => transaction,
                None => source.transaction(&listed.signature)?,
            };
            batch.push((transaction, listed.resume));
            if batch.len() == BATCH {
                self.commit_batch(&mut batch, &mut done, progress)?;
            }
        }
        self.commit_batch(&mut batch, &mut done, progress)?;
        if let Some(marked) = now_final {
            self.mark_final(&marked)?;
        }
        done.seconds = started.elapsed().as_secs_f64();
        Ok(done)
    }

    /// The indexed transaction `signature` is final: the source resumes at
    /// `resume` after it.
    fn mark_final(&mut self, (signature, resume): &(String, String)) -> Result<(), IndexError> {
        self.database
            .transaction(|sql| mark_final(sql, signature, resume))
    }

    /// Applies `batch` in one database transaction and empties it; if one
    /// of its transactions fails, applies those before it and returns the
    /// failure.
    fn commit_batch(
        &mut self,
        batch: &mut Vec<(ChainTransaction, Option<String>)>,
        done: &mut CaughtUp,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(), IndexError> {
        let result = self.apply_new(batch);
        let (applied, failure) = match result {
            Ok(events) => (events, None),
            Err((failed_at, error)) => {
                let before = &batch[..failed_at];
                let events = if before.is_empty() {
                    Vec::new()
                } else {
                    self.apply_new(before).map_err(|(_, error)| error)?
                };
                (events, Some(error))
            }
        };
        for events in applied {
            done.transactions += 1;
            done.events += events as u64;
            progress(done.transactions, done.events);
        }
        batch.clear();
        failure.map_or(Ok(()), Err)
    }

    /// Whether `source` lists a transaction the index does not hold.
    pub fn has_news(&mut self, source: &dyn Source) -> Result<bool, IndexError> {
        let resume = self.cursor()?.source_position;
        let listing = source.list_after(resume.as_deref())?;
        // As in `catch_up`: of the listing, the index holds only what it read
        // after the last final transaction (one query, not one per listed).
        let indexed: HashSet<String> = self.not_final()?.into_iter().collect();
        Ok(listing
            .iter()
            .any(|listed| !indexed.contains(&listed.signature)))
    }
}
