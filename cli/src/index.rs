//! The CLI's side of the index: which database, which source (the embedded
//! ledger's journal or an RPC cluster), catching up, and the lookups that
//! spare `earnings`, `claim --all` and `model list` a scan of the chain.
//!
//! The index's drivers block, so everything here runs on a thread of its
//! own ([`on_index_thread`]), never on the async executor.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use model_ledger_indexer::{
    rpc::RpcSource, CaughtUp, ChainAccounts, ChainIdentity, ChainTransaction, DatabaseUrl,
    IndexError, Indexer, Listed,
};
use model_ledger_sdk::{events::LedgerEvent, PROGRAM_ID};
use solana_commitment_config::CommitmentConfig;
use solana_sdk::pubkey::Pubkey;

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
}

fn saved(dir: &Path) -> Result<SavedLedger, IndexError> {
    SavedLedger::read(dir).map_err(|error| IndexError::Source(format!("{error:#}")))
}

/// The embedded ledger's journal is final as written: every entry is a
/// resume point (its end offset).
impl model_ledger_indexer::Source for Source {
    fn identity(&self) -> Result<ChainIdentity, IndexError> {
        match self {
            Source::Embedded(dir) => Ok(ChainIdentity {
                program_id: PROGRAM_ID,
                cluster: saved(dir)?.cluster(),
            }),
            Source::Rpc(rpc) => rpc.identity(),
        }
    }

    fn accounts(&self, addresses: &[Pubkey]) -> Result<ChainAccounts, IndexError> {
        match self {
            Source::Embedded(dir) => {
                let all = saved(dir)?.accounts();
                Ok(addresses
                    .iter()
                    .filter_map(|address| {
                        all.get(address).map(|account| (*address, account.clone()))
                    })
                    .collect())
            }
            Source::Rpc(rpc) => rpc.accounts(addresses),
        }
    }

    fn list_after(&self, resume: Option<&str>) -> Result<Vec<Listed>, IndexError> {
        let dir = match self {
            Source::Embedded(dir) => dir,
            Source::Rpc(rpc) => return model_ledger_indexer::Source::list_after(rpc, resume),
        };
        let offset: u64 = match resume {
            Some(text) => text.parse().map_err(|_| {
                IndexError::Source(format!(
                    "the index's journal position {text:?} is not a number"
                ))
            })?,
            None => 0,
        };
        let journal = saved(dir)?
            .journal_from(offset)
            .map_err(|error| IndexError::Source(format!("{error:#}")))?;
        journal
            .into_iter()
            .map(|(entry, end)| {
                Ok(Listed {
                    signature: entry.signature.clone(),
                    slot: entry.slot,
                    resume: Some(end.to_string()),
                    transaction: Some(journal_transaction(
                        &entry.signature,
                        entry.slot,
                        &entry.events,
                    )?),
                })
            })
            .collect()
    }

    fn transaction(&self, signature: &str) -> Result<ChainTransaction, IndexError> {
        match self {
            Source::Embedded(_) => Err(IndexError::Source(format!(
                "the journal lists {signature} with its events; nothing to read apart"
            ))),
            Source::Rpc(rpc) => model_ledger_indexer::Source::transaction(rpc, signature),
        }
    }
}

/// Indexes every transaction the source has that the index has not, in
/// chain order, each in one database transaction; `progress` hears of each.
pub fn catch_up(
    indexer: &mut Indexer,
    source: &Source,
    mut progress: impl FnMut(u64, u64),
) -> Result<CaughtUp> {
    Ok(indexer.catch_up(source, &mut progress)?)
}

/// A journal entry as a chain transaction; an event that does not decode is
/// refused by name (the journal was written by another program version?).
pub fn journal_transaction(
    signature: &str,
    slot: u64,
    events: &[Vec<u8>],
) -> Result<ChainTransaction, IndexError> {
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
        });
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
    Ok(Indexer::open(
        url,
        &model_ledger_indexer::Source::identity(source)?,
    )?)
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

/// How a follower keeps an index current.
#[derive(Clone, Debug)]
pub struct Following {
    pub commitment: CommitmentConfig,
    /// Between catch-ups when nothing else wakes the follower.
    pub poll: std::time::Duration,
    /// An RPC node's websocket; `None`: derived from its URL.
    pub websocket_url: Option<String>,
}

/// One catch-up of a follower, for its report.
pub struct FollowReport {
    /// Why it caught up: `subscribed`, `notified`, `polled`, `disconnected`.
    pub wake: &'static str,
    /// The notified transaction, or why the subscription ended.
    pub detail: Option<String>,
    pub caught_up: Result<CaughtUp, IndexError>,
}

/// Follows the chain into the index at `url` until `report` breaks: an RPC
/// cluster live over its websocket ([`model_ledger_indexer::live`]),
/// polling besides; the embedded ledger by polling its journal (only this
/// machine's CLI writes to it). A failure is reported and following goes on
/// (a database that cannot be opened is tried again at the next poll).
pub fn follow(
    global: &GlobalArgs,
    cluster: &Cluster,
    url: &DatabaseUrl,
    following: &Following,
    mut report: impl FnMut(FollowReport) -> std::ops::ControlFlow<()>,
) -> Result<()> {
    let source = Source::open(global, cluster, following.commitment)?;
    loop {
        let mut indexer = match open(url, &source) {
            Ok(indexer) => indexer,
            Err(error) => {
                let failed = FollowReport {
                    wake: "polled",
                    detail: None,
                    caught_up: Err(IndexError::Source(format!("{error:#}"))),
                };
                if report(failed).is_break() {
                    return Ok(());
                }
                std::thread::sleep(following.poll);
                continue;
            }
        };
        match &source {
            Source::Rpc(rpc) => {
                let websocket = match &following.websocket_url {
                    Some(websocket) => websocket.clone(),
                    None => model_ledger_indexer::live::websocket_url(rpc.url())?,
                };
                model_ledger_indexer::live::follow(
                    &mut indexer,
                    rpc,
                    &websocket,
                    following.poll,
                    |wake, caught_up| {
                        use model_ledger_indexer::live::Wake;
                        let (wake, detail) = match wake {
                            Wake::Subscribed => ("subscribed", None),
                            Wake::Notified(signature) => ("notified", Some(signature)),
                            Wake::Polled => ("polled", None),
                            Wake::Disconnected(reason) => ("disconnected", Some(reason)),
                        };
                        report(FollowReport {
                            wake,
                            detail,
                            caught_up,
                        })
                    },
                );
                return Ok(());
            }
            Source::Embedded(_) => loop {
                let caught_up = indexer.catch_up(&source, &mut |_, _| {});
                let failed = caught_up.is_err();
                let polled = FollowReport {
                    wake: "polled",
                    detail: None,
                    caught_up,
                };
                if report(polled).is_break() {
                    return Ok(());
                }
                std::thread::sleep(following.poll);
                if failed {
                    break;
                }
            },
        }
    }
}
