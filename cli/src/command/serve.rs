//! `serve`: the explorer on the index, which it first brings up to date and
//! then keeps following while it serves.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::{Context, Result};
use clap::Args;
use model_ledger_explorer::{overlap::OverlapReports, AppState, Chain, ReadPool};
use serde_json::json;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_sdk::{account::Account, hash::Hash, pubkey::Pubkey};

use super::index::Commitment;
use crate::{
    embedded::SavedLedger,
    index::{self, catch_up, on_index_thread, Source},
    output::{self, OutputFormat},
    session::GlobalArgs,
};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port; the address taken is printed)
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Keep the index current while serving (0: catch up only at start): on
    /// an RPC cluster live over its websocket, each transaction indexed as
    /// the cluster confirms it, and a catch-up every this many seconds
    /// besides; the embedded ledger's journal every this many seconds
    #[arg(long, default_value_t = 2)]
    pub follow: u64,
    /// On an RPC cluster: its websocket (default: the RPC URL as ws:// or
    /// wss:// on the next port)
    #[arg(long, value_name = "URL")]
    pub websocket_url: Option<String>,
    /// Database connections answering requests
    #[arg(long, default_value_t = 4)]
    pub workers: usize,
    /// On an RPC cluster: follow transactions once confirmed or finalized
    #[arg(long, value_enum, default_value = "confirmed")]
    pub commitment: Commitment,
    /// A directory of `attribute overlap --report` files: a model's page
    /// shows each contribution's overlap with the index beside it (matched
    /// by content hash; read again when the directory changes)
    #[arg(long, value_name = "DIR")]
    pub overlap_reports: Option<std::path::PathBuf>,
}

pub async fn execute(args: ServeArgs, global: &GlobalArgs) -> Result<()> {
    let overlap = args
        .overlap_reports
        .as_deref()
        .map(OverlapReports::open)
        .transpose()
        .map_err(|error| anyhow::anyhow!("--overlap-reports: {error}"))?
        .map(std::sync::Arc::new);
    let cluster = index::cluster(global)?;
    index::require_ledger(global, &cluster)?;
    let url = index::database(global, &cluster);
    let (owned, commitment) = (global.clone(), args.commitment);
    let (source_cluster, index_url) = (cluster.clone(), url.clone());
    let caught_up = on_index_thread(move || {
        let source = Source::open(&owned, &source_cluster, commitment.into())?;
        let mut indexer = index::open(&index_url, &source)?;
        catch_up(&mut indexer, &source, |_, _| {})
    })?;
    if args.follow > 0 {
        let following = index::Following {
            commitment: commitment.into(),
            poll: Duration::from_secs(args.follow),
            websocket_url: args.websocket_url.clone(),
        };
        let (owned, source_cluster, index_url) = (global.clone(), cluster.clone(), url.clone());
        std::thread::Builder::new()
            .name("model-ledger-follow".into())
            .spawn(move || {
                let mut subscribed = true;
                let followed = index::follow(&owned, &source_cluster, &index_url, &following, |report| {
                    // What the pages show is the index: say why it fell behind.
                    match &report.caught_up {
                        Err(error) => eprintln!("model-ledger serve: the index did not catch up: {error}"),
                        Ok(caught_up) => {
                            if let Some(dropped) = &caught_up.rolled_back {
                                eprintln!("model-ledger serve: {dropped}, read before it was final, was dropped by a fork: the index read the history again");
                            }
                        }
                    }
                    // Said once per change, not at every failed attempt.
                    match (report.wake, &report.detail) {
                        ("disconnected", Some(reason)) if subscribed => {
                            subscribed = false;
                            eprintln!("model-ledger serve: following by polling until the websocket answers again: {reason}");
                        }
                        ("subscribed", _) if !subscribed => {
                            subscribed = true;
                            eprintln!("model-ledger serve: following live again");
                        }
                        _ => {}
                    }
                    std::ops::ControlFlow::Continue(())
                });
                if let Err(error) = followed {
                    eprintln!("model-ledger serve: the follower stopped: {error:#}");
                }
            })
            .context("cannot start the follower")?;
    }
    let pool = ReadPool::open(&url, args.workers)?;
    let chain = chain_of(global, &cluster, args.commitment).await?;
    let mut shutdown = crate::shutdown::Shutdown::listen()?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let address = listener.local_addr()?;
    let shown = format!("http://{address}");
    match global.output {
        OutputFormat::Json => output::emit(
            &json!({ "url": shown, "database": url.to_string(), "indexed_transactions": caught_up.transactions, "indexed_events": caught_up.events })
                .to_string(),
        ),
        OutputFormat::Human => output::emit(&format!(
            "Explorer at {shown} (index {url}: {} new transactions, {} events read at start{}); Ctrl-C stops it",
            caught_up.transactions,
            caught_up.events,
            if args.follow > 0 { format!(", following every {} s", args.follow) } else { String::new() }
        )),
    }
    let state = AppState {
        pool,
        chain: Some(chain),
        overlap,
    };
    model_ledger_explorer::serve_with_state(listener, state, async move {
        shutdown.requested().await;
    })
    .await
    .context("the explorer stopped")
}

/// The chain the Solana Actions read: the cluster over RPC at the
/// commitment the index follows, or the embedded ledger's saved accounts
/// (which no wallet can send a transaction to).
async fn chain_of(
    global: &GlobalArgs,
    cluster: &crate::cluster::Cluster,
    commitment: Commitment,
) -> Result<Arc<dyn Chain>> {
    Ok(match cluster {
        crate::cluster::Cluster::Embedded => Arc::new(EmbeddedChain(global.ledger_dir())),
        crate::cluster::Cluster::Rpc(url) => {
            let client = RpcClient::new_with_commitment(url.clone(), commitment.into());
            let genesis = client
                .get_genesis_hash()
                .await
                .with_context(|| format!("{url} does not answer getGenesisHash"))?
                .to_string();
            Arc::new(RpcChain {
                client,
                blockchain_id: format!("solana:{}", &genesis[..genesis.len().min(32)]),
            })
        }
    })
}

struct RpcChain {
    client: RpcClient,
    blockchain_id: String,
}

#[async_trait::async_trait]
impl Chain for RpcChain {
    async fn accounts(&self, addresses: &[Pubkey]) -> Result<Vec<Option<Account>>, String> {
        let mut found = Vec::with_capacity(addresses.len());
        // getMultipleAccounts takes at most 100 addresses.
        for chunk in addresses.chunks(100) {
            found.extend(
                self.client
                    .get_multiple_accounts(chunk)
                    .await
                    .map_err(|error| error.to_string())?,
            );
        }
        Ok(found)
    }

    async fn recent_blockhash(&self) -> Result<Hash, String> {
        self.client
            .get_latest_blockhash()
            .await
            .map_err(|error| error.to_string())
    }

    fn blockchain_id(&self) -> Option<String> {
        Some(self.blockchain_id.clone())
    }
}

struct EmbeddedChain(std::path::PathBuf);

#[async_trait::async_trait]
impl Chain for EmbeddedChain {
    async fn accounts(&self, addresses: &[Pubkey]) -> Result<Vec<Option<Account>>, String> {
        let saved = SavedLedger::read(&self.0)
            .map_err(|error| format!("{error:#}"))?
            .accounts();
        Ok(addresses
            .iter()
            .map(|address| saved.get(address).cloned())
            .collect())
    }

    async fn recent_blockhash(&self) -> Result<Hash, String> {
        Err(
            "this explorer serves an embedded ledger, which takes transactions from the CLI only: \
             claim with `model-ledger --ledger DIR claim --all`"
                .into(),
        )
    }

    fn blockchain_id(&self) -> Option<String> {
        None
    }
}
