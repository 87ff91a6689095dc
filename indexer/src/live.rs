//! Following an RPC cluster live. The index subscribes to the program's
//! logs over the cluster's websocket (`logsSubscribe`, mentioning the
//! program, at the source's commitment) and catches up as each notification
//! arrives, so a transaction is indexed as soon as the cluster confirms it.
//!
//! A notification is only a wake-up: what is applied always comes from the
//! ordered listing of [`Indexer::catch_up`], so a notification that arrives
//! early, late, twice or never cannot make the index skip, reorder or repeat
//! a transaction. What a subscription cannot promise is covered by polling:
//! the index catches up right after (re)subscribing, whenever no
//! notification came for `poll`, and whenever the connection drops or
//! cannot be made (then it tries again every [`RECONNECT_AFTER`], catching
//! up by polling at each attempt).

use std::{ops::ControlFlow, time::Duration};

use futures_util::StreamExt;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client_api::config::{RpcTransactionLogsConfig, RpcTransactionLogsFilter};

use crate::{follow::CaughtUp, rpc::RpcSource, IndexError, Indexer};

/// Why the follower caught up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wake {
    /// The subscription is (re)established: what landed before it is read.
    Subscribed,
    /// A notification named this transaction.
    Notified(String),
    /// No notification for the poll interval.
    Polled,
    /// The subscription ended or could not be made (said in the text); the
    /// index caught up by polling and will subscribe again.
    Disconnected(String),
}

/// How long a notified transaction may take to appear in the cluster's
/// listing (both are read at the same commitment; the listing can trail by
/// a moment), and how often it is asked for meanwhile.
const LISTING_LAG_ATTEMPTS: usize = 40;
const LISTING_LAG_STEP: Duration = Duration::from_millis(50);

/// Between attempts to reach a websocket that does not answer.
pub const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// Follows `source` into `indexer` until `report` breaks: after each
/// catch-up `report` hears why it happened and what it did (a failed
/// catch-up is reported and the follower goes on; a gap the listing has
/// not filled yet is read again at the next wake).
pub fn follow(
    indexer: &mut Indexer,
    source: &RpcSource,
    websocket_url: &str,
    poll: Duration,
    mut report: impl FnMut(Wake, Result<CaughtUp, IndexError>) -> ControlFlow<()>,
) {
    let runtime = source.runtime();
    let filter = RpcTransactionLogsFilter::Mentions(vec![model_ledger_sdk::PROGRAM_ID.to_string()]);
    let config = RpcTransactionLogsConfig {
        commitment: Some(source.commitment()),
    };
    loop {
        let subscribed = runtime.block_on(async {
            let client =
                tokio::time::timeout(poll.max(RECONNECT_AFTER), PubsubClient::new(websocket_url))
                    .await
                    .map_err(|_| format!("{websocket_url} did not answer"))?
                    .map_err(|error| format!("{websocket_url}: {error}"))?;
            Ok::<_, String>(client)
        });
        let client = match subscribed {
            Ok(client) => client,
            Err(reason) => match unreachable(indexer, source, reason, &mut report) {
                ControlFlow::Break(()) => return,
                ControlFlow::Continue(()) => continue,
            },
        };
        let subscription = runtime.block_on(client.logs_subscribe(filter.clone(), config.clone()));
        let mut notifications = match subscription {
            Ok((stream, _unsubscribe)) => stream,
            Err(error) => {
                let reason = format!("{websocket_url}: logsSubscribe: {error}");
                match unreachable(indexer, source, reason, &mut report) {
                    ControlFlow::Break(()) => return,
                    ControlFlow::Continue(()) => continue,
                }
            }
        };
        let caught_up = indexer.catch_up(source, &mut |_, _| {});
        if report(Wake::Subscribed, caught_up).is_break() {
            return;
        }
        loop {
            let next =
                runtime.block_on(async { tokio::time::timeout(poll, notifications.next()).await });
            let (wake, caught_up) = match next {
                Ok(Some(notification)) => {
                    let signature = notification.value.signature;
                    let caught_up = catch_up_to(indexer, source, &signature);
                    (Wake::Notified(signature), caught_up)
                }
                Ok(None) => {
                    let caught_up = indexer.catch_up(source, &mut |_, _| {});
                    let reason = format!("{websocket_url}: the subscription ended");
                    (Wake::Disconnected(reason), caught_up)
                }
                Err(_) => (Wake::Polled, indexer.catch_up(source, &mut |_, _| {})),
            };
            let disconnected = matches!(wake, Wake::Disconnected(_));
            if report(wake, caught_up).is_break() {
                return;
            }
            if disconnected {
                break;
            }
        }
    }
}

/// The websocket could not be reached or subscribed to (`reason`): catches
/// up by polling, reports it, and waits [`RECONNECT_AFTER`] before the
/// next attempt (unless `report` breaks).
fn unreachable(
    indexer: &mut Indexer,
    source: &RpcSource,
    reason: String,
    report: &mut impl FnMut(Wake, Result<CaughtUp, IndexError>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let caught_up = indexer.catch_up(source, &mut |_, _| {});
    let flow = report(Wake::Disconnected(reason), caught_up);
    if flow.is_continue() {
        std::thread::sleep(RECONNECT_AFTER);
    }
    flow
}

/// Catches up until `signature` is indexed, or a short while has passed:
/// the listing may trail the notification by a moment.
fn catch_up_to(
    indexer: &mut Indexer,
    source: &RpcSource,
    signature: &str,
) -> Result<CaughtUp, IndexError> {
    let mut total = CaughtUp::default();
    for _ in 0..LISTING_LAG_ATTEMPTS {
        let caught_up = indexer.catch_up(source, &mut |_, _| {})?;
        total.transactions += caught_up.transactions;
        total.events += caught_up.events;
        total.seconds += caught_up.seconds;
        total.rolled_back = total.rolled_back.or(caught_up.rolled_back);
        if indexer.contains(signature)? {
            break;
        }
        std::thread::sleep(LISTING_LAG_STEP);
    }
    Ok(total)
}

/// The websocket of the RPC node at `http_url`: `ws(s)://` on the next port,
/// as Solana's own tools derive it (8899 → 8900), unless a port-less URL
/// leaves the port to the scheme.
pub fn websocket_url(http_url: &str) -> Result<String, IndexError> {
    let bad = || IndexError::Source(format!("{http_url} is not an http(s) URL"));
    let (scheme, rest) = http_url.split_once("://").ok_or_else(bad)?;
    let scheme = match scheme {
        "http" => "ws",
        "https" => "wss",
        _ => return Err(bad()),
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let authority = match authority.rsplit_once(':') {
        Some((host, port)) if !authority.ends_with(']') => match port.parse::<u16>() {
            Ok(port) => format!("{host}:{}", port.checked_add(1).ok_or_else(bad)?),
            Err(_) => authority.to_string(),
        },
        _ => authority.to_string(),
    };
    Ok(format!("{scheme}://{authority}{path}"))
}

#[cfg(test)]
mod tests {
    use super::websocket_url;

    #[test]
    fn the_websocket_is_on_the_next_port_as_solana_tools_derive_it() {
        assert_eq!(
            websocket_url("http://127.0.0.1:8899").unwrap(),
            "ws://127.0.0.1:8900"
        );
        assert_eq!(
            websocket_url("https://api.mainnet-beta.solana.com").unwrap(),
            "wss://api.mainnet-beta.solana.com"
        );
        assert_eq!(
            websocket_url("http://[::1]:8899/rpc").unwrap(),
            "ws://[::1]:8900/rpc"
        );
        assert!(websocket_url("ftp://host").is_err());
        assert!(websocket_url("http://host:65535").is_err());
    }
}
