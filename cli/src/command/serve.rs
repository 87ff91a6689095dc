//! `serve`: the explorer on the index, which it first brings up to date and
//! then keeps following while it serves.

use std::{net::SocketAddr, time::Duration};

use anyhow::{Context, Result};
use clap::Args;
use model_ledger_explorer::ReadPool;
use serde_json::json;

use super::index::Commitment;
use crate::{
    index::{self, catch_up, on_index_thread, Source},
    output::{self, OutputFormat},
    session::GlobalArgs,
};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port; the address taken is printed)
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Seconds between catch-ups with the chain while serving (0: only at start)
    #[arg(long, default_value_t = 2)]
    pub follow: u64,
    /// Database connections answering requests
    #[arg(long, default_value_t = 4)]
    pub workers: usize,
    /// On an RPC cluster: follow transactions once confirmed or finalized
    #[arg(long, value_enum, default_value = "confirmed")]
    pub commitment: Commitment,
}

pub async fn execute(args: ServeArgs, global: &GlobalArgs) -> Result<()> {
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
        let (owned, every) = (global.clone(), Duration::from_secs(args.follow));
        let (source_cluster, index_url) = (cluster.clone(), url.clone());
        std::thread::Builder::new()
            .name("model-ledger-follow".into())
            .spawn(move || follow(&owned, &source_cluster, &index_url, commitment, every))
            .context("cannot start the follower")?;
    }
    let pool = ReadPool::open(&url, args.workers)?;
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
    model_ledger_explorer::serve(listener, pool, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("the explorer stopped")
}

/// Catches the index up every `every`; a failure (a gap, a node that does
/// not answer) is said on standard error, and following goes on.
fn follow(
    global: &GlobalArgs,
    cluster: &crate::cluster::Cluster,
    url: &model_ledger_indexer::DatabaseUrl,
    commitment: Commitment,
    every: Duration,
) {
    let mut indexer = None;
    loop {
        std::thread::sleep(every);
        let result = (|| -> Result<()> {
            let source = Source::open(global, cluster, commitment.into())?;
            if indexer.is_none() {
                indexer = Some(index::open(url, &source)?);
            }
            catch_up(indexer.as_mut().expect("opened"), &source, |_, _| {})?;
            Ok(())
        })();
        if let Err(error) = result {
            eprintln!("model-ledger serve: the index did not catch up: {error:#}");
            indexer = None;
        }
    }
}
