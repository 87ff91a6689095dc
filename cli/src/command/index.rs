//! `index`: follows the program's events into the index database (SQLite
//! beside the ledger, or `--database postgres://…`); `index verify` checks
//! every balance it holds against the chain; `index status` says how far it
//! has read.

use anyhow::{bail, Result};
use clap::{Args, Subcommand, ValueEnum};
use model_ledger_indexer::{
    accounts_to_verify, query, verify, DatabaseUrl, IndexError, Indexer, Source as _,
};
use serde_json::json;
use solana_commitment_config::CommitmentConfig;

use crate::{
    index::{self, catch_up, on_index_thread, Source},
    session::GlobalArgs,
};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct IndexArgs {
    #[command(subcommand)]
    pub command: Option<IndexCommand>,
    /// On an RPC cluster: read transactions once confirmed (seconds behind
    /// the tip; a rare fork may still drop one) or finalized (final)
    #[arg(long, value_enum, default_value = "confirmed", global = true)]
    pub commitment: Commitment,
    /// Index this one transaction of the program (it must invoke the
    /// program); transactions already indexed are left as they are
    #[arg(long, value_name = "SIGNATURE")]
    pub transaction: Option<String>,
    /// After catching up, keep following until stopped: an RPC cluster live
    /// over its websocket (each transaction indexed as the cluster confirms
    /// it), the embedded ledger by reading its journal every --poll seconds.
    /// One line per catch-up that read something, or failed
    #[arg(long, conflicts_with = "transaction")]
    pub follow: bool,
    /// With --follow: seconds between catch-ups when no notification comes
    /// (a websocket that does not answer is tried again every second, the
    /// index catching up by polling at each attempt)
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub poll: u64,
    /// With --follow on an RPC cluster: its websocket (default: the RPC
    /// URL as ws:// or wss:// on the next port, as Solana's tools derive it)
    #[arg(long, value_name = "URL")]
    pub websocket_url: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum IndexCommand {
    /// Catch up, then compare every row of the index with a rebuild from the
    /// chain's whole history, and every field it keeps with the chain's
    /// accounts; exit non-zero naming the first difference
    Verify,
    /// How far the index has read, and what it holds
    Status,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum Commitment {
    Confirmed,
    Finalized,
}

impl From<Commitment> for CommitmentConfig {
    fn from(commitment: Commitment) -> Self {
        match commitment {
            Commitment::Confirmed => CommitmentConfig::confirmed(),
            Commitment::Finalized => CommitmentConfig::finalized(),
        }
    }
}

/// How often `verify` reads again when the chain moved while it compared.
const VERIFY_ATTEMPTS: usize = 10;

pub fn execute(args: IndexArgs, global: &GlobalArgs) -> Result<()> {
    let cluster = index::cluster(global)?;
    index::require_ledger(global, &cluster)?;
    let url = index::database(global, &cluster);
    let output = global.output;
    let global = global.clone();
    on_index_thread(move || {
        let source = Source::open(&global, &cluster, args.commitment.into())?;
        let mut indexer = index::open(&url, &source)?;
        match (args.command, args.transaction) {
            (None, Some(signature)) => {
                let Source::Rpc(rpc) = &source else {
                    bail!("--transaction reads an RPC cluster's transaction; the embedded ledger is indexed whole");
                };
                let transaction = rpc.transaction(&signature, true)?;
                let applied = indexer.apply(&transaction, None)?;
                let events = match applied {
                    model_ledger_indexer::Applied::New { events } => events,
                    model_ledger_indexer::Applied::AlreadyIndexed => 0,
                };
                output.print(
                    json!({ "signature": signature, "indexed": applied != model_ledger_indexer::Applied::AlreadyIndexed, "events": events }),
                    || match applied {
                        model_ledger_indexer::Applied::AlreadyIndexed => format!("{signature} was indexed before: nothing changed"),
                        _ => format!("Indexed {signature}: {events} events"),
                    },
                );
                Ok(())
            }
            (None, None) if args.follow => {
                let following = index::Following {
                    commitment: args.commitment.into(),
                    poll: std::time::Duration::from_secs(args.poll),
                    websocket_url: args.websocket_url,
                };
                index::follow(&global, &cluster, &url, &following, |report| {
                    say_followed(output, &report);
                    std::ops::ControlFlow::Continue(())
                })
            }
            (None, None) => {
                let progress = crate::output::progress(output, "indexing");
                let caught_up = catch_up(&mut indexer, &source, |transactions, events| {
                    progress.set_message(format!("{transactions} transactions, {events} events"));
                })?;
                progress.finish_and_clear();
                let status = query::status_with_rows(indexer.sql())?;
                let rate = caught_up.events as f64 / caught_up.seconds.max(1e-9);
                output.print(
                    json!({
                        "database": url.to_string(), "transactions": caught_up.transactions, "events": caught_up.events,
                        "seconds": caught_up.seconds, "events_per_second": rate, "index": status,
                    }),
                    || format!(
                        "Indexed {} new transactions ({} events) into {url} in {:.2} s ({rate:.0} events/s)\n  the index holds {} transactions, {} models, {} contributions, {} batches{}",
                        caught_up.transactions,
                        caught_up.events,
                        caught_up.seconds,
                        status.transactions,
                        status.models,
                        status.contributions,
                        status.batches,
                        status.last_slot.map(|slot| format!(", up to slot {slot}")).unwrap_or_default()
                    ),
                );
                Ok(())
            }
            (Some(IndexCommand::Status), _) => {
                let cursor = indexer.cursor()?;
                let status = query::status_with_rows(indexer.sql())?;
                output.print(
                    json!({ "database": url.to_string(), "cluster": indexer.identity().cluster, "last_signature": cursor.last_signature, "index": status }),
                    || format!(
                        "{url} indexes {} for program {}\n  {} transactions, {} events, {} models, {} contributions, {} batches; last {}",
                        indexer.identity().cluster,
                        indexer.identity().program_id,
                        status.transactions,
                        status.events,
                        status.models,
                        status.contributions,
                        status.batches,
                        cursor.last_signature.as_deref().unwrap_or("none"),
                    ),
                );
                Ok(())
            }
            (Some(IndexCommand::Verify), _) => {
                // The chain's whole history, applied afresh, is what every
                // row of the index must be.
                let mut rebuilt = Indexer::open(&DatabaseUrl::in_memory(), &source.identity()?)?;
                for attempt in 1..=VERIFY_ATTEMPTS {
                    catch_up(&mut indexer, &source, |_, _| {})?;
                    catch_up(&mut rebuilt, &source, |_, _| {})?;
                    let addresses = accounts_to_verify(&mut indexer)?;
                    let accounts = source.accounts(&addresses)?;
                    let result = verify(&mut indexer, &mut rebuilt, &accounts)?;
                    // A transaction that landed while the accounts were read
                    // makes a difference that is not one: read again.
                    if result.is_err() && attempt < VERIFY_ATTEMPTS && indexer.has_news(&source)? {
                        continue;
                    }
                    return match result {
                        Ok(verified) => {
                            output.print(
                                json!({
                                    "verified": true, "rows": verified.rows, "models": verified.models,
                                    "contributions": verified.contributions, "licenses": verified.licenses,
                                    "grants": verified.grants, "permits": verified.permits,
                                }),
                                || format!(
                                    "The index agrees with the chain: its {} rows are those the chain's history makes, and every field it keeps of {} models (record, lineage, royalty book), {} contributions, {} licences, {} grants and {} proposer permits is the accounts'",
                                    verified.rows, verified.models, verified.contributions, verified.licenses, verified.grants, verified.permits
                                ),
                            );
                            Ok(())
                        }
                        Err(difference) => Err(IndexError::Differs(difference).into()),
                    };
                }
                unreachable!("the last attempt returns")
            }
        }
    })
}

/// One line per catch-up that read something or failed, and per change of
/// the subscription (standard output; JSON lines with `--output json`).
fn say_followed(output: crate::output::OutputFormat, report: &index::FollowReport) {
    let quiet = matches!(&report.caught_up, Ok(caught_up) if caught_up.transactions == 0)
        && matches!(report.wake, "notified" | "polled");
    if quiet {
        return;
    }
    let (transactions, events, rolled_back, error) = match &report.caught_up {
        Ok(caught_up) => (
            caught_up.transactions,
            caught_up.events,
            caught_up.rolled_back.clone(),
            None,
        ),
        Err(error) => (0, 0, None, Some(error.to_string())),
    };
    let line = match output {
        crate::output::OutputFormat::Json => json!({
            "wake": report.wake, "detail": report.detail, "transactions": transactions,
            "events": events, "rolled_back": rolled_back, "error": error,
        })
        .to_string(),
        crate::output::OutputFormat::Human => {
            let detail = report
                .detail
                .as_deref()
                .map(|detail| format!(" ({detail})"))
                .unwrap_or_default();
            let rolled_back = rolled_back
                .map(|signature| {
                    format!("; {signature}, read before it was final, was dropped by a fork: the history was read again")
                })
                .unwrap_or_default();
            match &error {
                Some(error) => format!(
                    "{}{detail}: the index did not catch up: {error}",
                    report.wake
                ),
                None => format!(
                    "{}{detail}: indexed {transactions} transactions, {events} events{rolled_back}",
                    report.wake
                ),
            }
        }
    };
    crate::output::emit(&line);
}
