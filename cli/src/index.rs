//! The CLI's side of the index: which database, which source (the embedded
//! ledger's journal or an RPC cluster), catching up, and the lookups that
//! spare `earnings`, `claim --all` and `model list` a scan of the chain.
//!
//! The index's drivers block, so everything here runs on a thread of its
//! own ([`on_index_thread`]), never on the async executor.

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use anyhow::{anyhow, bail, Context, Result};
use model_ledger_indexer::{
    rpc::RpcSource, ChainAccounts, ChainIdentity, ChainTransaction, DatabaseUrl, IndexError,
    Indexer,
};
use model_ledger_sdk::{events::LedgerEvent, PROGRAM_ID};
use solana_commitment_config::CommitmentConfig;

use crate::{cluster::Cluster, embedded::SavedLedger, session::GlobalArgs};

/// Where the index's transactions come from.
pub enum Source {
    /// The embedded ledger in this directory (its journal).
    Embedded(PathBuf),
    Rpc(RpcSource),
}

/// The cluster the global options name.
pub fn cluster(global: &GlobalArgs) -> Result<Cluster> {
    Ok(crate::session::resolve_cluster(global)?.0)
}

/// The database the global options name: `--database` (or
/// `MODEL_LEDGER_DATABASE`), else a SQLite file beside the embedded ledger
/// (`index.sqlite`, or `index-<host>.sqlite` for an RPC cluster).
pub fn database(global: &GlobalArgs, cluster: &Cluster) -> DatabaseUrl {
    if let Some(url) = &global.database {
        return url.clone();
    }
    let file = match cluster {
        Cluster::Embedded => "index.sqlite".to_string(),
        Cluster::Rpc(url) => {
            let host: String = url
                .split("://")
                .last()
                .unwrap_or(url)
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            format!("index-{}.sqlite", host.trim_matches('-'))
        }
    };
    DatabaseUrl::Sqlite(global.ledger_dir().join(file))
}

/// The database to read instead of scanning the chain, if one is
/// configured: `--database`, or the default one once `index` created it.
pub fn configured(global: &GlobalArgs, cluster: &Cluster) -> Option<DatabaseUrl> {
    let url = database(global, cluster);
    match &url {
        DatabaseUrl::Sqlite(path) if global.database.is_none() && !path.exists() => None,
        _ => Some(url),
    }
}

impl Source {
    pub fn open(
        global: &GlobalArgs,
        cluster: &Cluster,
        commitment: CommitmentConfig,
    ) -> Result<Self> {
        Ok(match cluster {
            Cluster::Embedded => Source::Embedded(global.ledger_dir()),
            Cluster::Rpc(url) => Source::Rpc(RpcSource::new(url, commitment)?),
        })
    }

    pub fn identity(&self) -> Result<ChainIdentity> {
        Ok(match self {
            Source::Embedded(dir) => ChainIdentity {
                program_id: PROGRAM_ID,
                cluster: SavedLedger::read(dir)?.cluster(),
            },
            Source::Rpc(rpc) => rpc.identity()?,
        })
    }

    /// The accounts `addresses` as the chain holds them now.
    pub fn accounts(&self, addresses: &[solana_sdk::pubkey::Pubkey]) -> Result<ChainAccounts> {
        Ok(match self {
            Source::Embedded(dir) => {
                let all = SavedLedger::read(dir)?.accounts();
                addresses
                    .iter()
                    .filter_map(|address| {
                        all.get(address).map(|account| (*address, account.clone()))
                    })
                    .collect()
            }
            Source::Rpc(rpc) => rpc.accounts(addresses)?,
        })
    }

    /// Whether the chain has moved past what the index has read.
    pub fn has_news(&self, indexer: &mut Indexer) -> Result<bool> {
        let cursor = indexer.cursor()?;
        Ok(match self {
            Source::Embedded(dir) => {
                let offset: u64 = cursor
                    .source_position
                    .as_deref()
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0);
                !SavedLedger::read(dir)?.journal_from(offset)?.is_empty()
            }
            Source::Rpc(rpc) => {
                let resume = indexer.source_hint(RPC_RESUME)?;
                let listed = rpc.signatures_after(resume.as_deref())?;
                let mut news = false;
                for entry in listed {
                    news |= !indexer.contains(&entry.signature)?;
                }
                news
            }
        })
    }
}

/// Where an RPC source resumes listing: the newest signature of a finalized slot.
const RPC_RESUME: &str = "rpc_resume";

/// What a catch-up did.
#[derive(Debug, Default, Clone, Copy)]
pub struct CaughtUp {
    pub transactions: u64,
    pub events: u64,
    pub seconds: f64,
}

/// Indexes every transaction the source has that the index has not, in
/// chain order, each in one database transaction; `progress` hears of each.
pub fn catch_up(
    indexer: &mut Indexer,
    source: &Source,
    mut progress: impl FnMut(u64, u64),
) -> Result<CaughtUp> {
    let started = Instant::now();
    let mut done = CaughtUp::default();
    let mut apply = |indexer: &mut Indexer,
                     transaction: &ChainTransaction,
                     position: Option<&str>|
     -> Result<()> {
        if let model_ledger_indexer::Applied::New { events } =
            indexer.apply(transaction, position)?
        {
            done.transactions += 1;
            done.events += events as u64;
            progress(done.transactions, done.events);
        }
        Ok(())
    };
    match source {
        Source::Embedded(dir) => {
            let saved = SavedLedger::read(dir)?;
            let offset: u64 = match indexer.cursor()?.source_position {
                Some(text) => text.parse().map_err(|_| {
                    anyhow!("the index's journal position {text:?} is not a number")
                })?,
                None => 0,
            };
            for (entry, end) in saved.journal_from(offset)? {
                let transaction = journal_transaction(&entry.signature, entry.slot, &entry.events)?;
                apply(indexer, &transaction, Some(&end.to_string()))?;
            }
        }
        Source::Rpc(rpc) => {
            // Listing resumes at the last transaction of a finalized slot,
            // not at the newest one indexed: a confirmed slot can still be
            // abandoned in a fork, and a resume point the cluster no longer
            // has would send the listing back to the program's first
            // transaction. What is listed again is recognised and skipped.
            let finalized = rpc.finalized_slot()?;
            let resume = indexer.source_hint(RPC_RESUME)?;
            let listed = rpc.signatures_after(resume.as_deref())?;
            let mut settled = None;
            for entry in &listed {
                if entry.slot <= finalized {
                    settled = Some(entry.signature.clone());
                }
                if indexer.contains(&entry.signature)? {
                    continue;
                }
                let transaction = rpc.transaction(&entry.signature, false)?;
                apply(indexer, &transaction, None)?;
            }
            if let Some(settled) = settled {
                indexer.set_source_hint(RPC_RESUME, &settled)?;
            }
        }
    }
    done.seconds = started.elapsed().as_secs_f64();
    Ok(done)
}

/// A journal entry as a chain transaction; an event that does not decode is
/// refused by name (the journal was written by another program version?).
pub fn journal_transaction(
    signature: &str,
    slot: u64,
    events: &[Vec<u8>],
) -> Result<ChainTransaction> {
    let mut decoded = Vec::with_capacity(events.len());
    for (number, data) in events.iter().enumerate() {
        let reason = match LedgerEvent::decode_strict(data) {
            Ok(Some(event)) => {
                decoded.push(event);
                continue;
            }
            Ok(None) => "not an event".to_string(),
            Err(error) => error.to_string(),
        };
        return Err(IndexError::BadTransaction {
            signature: signature.to_string(),
            reason: format!("journal event {number}: {reason}"),
        }
        .into());
    }
    Ok(ChainTransaction {
        signature: signature.to_string(),
        slot,
        block_time: None,
        failed: false,
        events: decoded,
    })
}

/// Runs `work` on a thread of its own (the index's drivers block) and
/// waits for it.
pub fn on_index_thread<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    std::thread::Builder::new()
        .name("model-ledger-index".into())
        .spawn(work)
        .context("cannot start the index thread")?
        .join()
        .map_err(|_| anyhow!("the index thread panicked"))?
}

/// Opens the index at `url` for the chain `source` follows.
pub fn open(url: &DatabaseUrl, source: &Source) -> Result<Indexer> {
    Ok(Indexer::open(url, &source.identity()?)?)
}

/// Runs `query` on the index configured for the global options (`None`
/// when there is none), once it has caught up with the chain: the index is
/// a copy of the chain's events, and an answer is for the chain as it is.
pub fn lookup<T: Send + 'static>(
    global: &GlobalArgs,
    query: impl FnOnce(&mut Indexer) -> Result<T> + Send + 'static,
) -> Result<Option<T>> {
    let cluster = cluster(global)?;
    let Some(url) = configured(global, &cluster) else {
        return Ok(None);
    };
    let global = global.clone();
    on_index_thread(move || {
        let source = Source::open(&global, &cluster, CommitmentConfig::confirmed())?;
        let mut indexer = open(&url, &source)?;
        // A lookup answers for the chain as it is: the index catches up first.
        catch_up(&mut indexer, &source, |_, _| {})?;
        query(&mut indexer).map(Some)
    })
}

/// The ledger directory's path as shown to people.
pub fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// Refuses a cluster without a journal (nothing to index yet).
pub fn require_ledger(global: &GlobalArgs, cluster: &Cluster) -> Result<()> {
    if let Cluster::Embedded = cluster {
        if !global.ledger_dir().join("state.bin").exists() {
            bail!(
                "{} holds no embedded ledger to index (run a command on it first, or `demo`)",
                shown(&global.ledger_dir())
            );
        }
    }
    Ok(())
}
