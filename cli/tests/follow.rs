//! `index --follow`: the index keeps up with the chain by itself. On a
//! validator (`MODEL_LEDGER_TEST_URL`) it follows live over the websocket,
//! reached here through a loopback relay the test can cut: transactions
//! confirmed while the subscription is up are read on their notification
//! (polling is set to an hour, so nothing else could read them); the
//! subscription is cut mid-run and the websocket refused while transactions
//! land, then let through again; the index misses nothing and reads nothing
//! twice (`index verify`, and the follower's own counts). On an embedded
//! ledger it reads the journal as commands append to it.

mod common;

use std::{
    io::{BufRead, Read, Write},
    net::{Shutdown, TcpListener, TcpStream},
    sync::{
        atomic::{AtomicBool, Ordering},
        mpsc, Arc, Mutex,
    },
    time::{Duration, Instant},
};

use common::{proposal, Cluster, Session, Stopped};
use serde_json::Value;

/// Generous bound on waiting for the follower: a failure, not a measure.
const PATIENCE: Duration = Duration::from_secs(90);

/// A loopback TCP relay to the websocket that the test can cut (every
/// connection closed) and shut (new connections closed at once) or open.
struct Relay {
    address: String,
    open: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    fn to(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let open = Arc::new(AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (accepting, held) = (open.clone(), connections.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if !accepting.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let mut held = held.lock().unwrap();
                held.push(client.try_clone().unwrap());
                held.push(server.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let mut buffer = [0u8; 16 * 1024];
                        while let Ok(read) = from.read(&mut buffer) {
                            if read == 0 || to.write_all(&buffer[..read]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Self {
            address,
            open,
            connections,
        }
    }

    /// Closes every connection and refuses new ones.
    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            let _ = connection.shutdown(Shutdown::Both);
        }
    }

    fn reopen(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

/// The follower's report lines (`--output json`), as they come.
struct Reports {
    lines: mpsc::Receiver<Value>,
    seen: Vec<Value>,
}

impl Reports {
    fn of(child: &mut std::process::Child) -> Self {
        let stdout = child.stdout.take().expect("piped");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let value = serde_json::from_str(&line)
                    .unwrap_or_else(|error| panic!("the follower printed {line:?}: {error}"));
                if sender.send(value).is_err() {
                    break;
                }
            }
        });
        Self {
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a report `wanted` accepts; returns it.
    fn until(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let report = self.lines.recv_timeout(left).unwrap_or_else(|_| {
                panic!(
                    "no report of {what} within {PATIENCE:?}; the follower said {:#?}",
                    self.seen
                )
            });
            assert!(report["error"].is_null(), "the follower failed: {report}");
            self.seen.push(report.clone());
            if wanted(&report) {
                return report;
            }
        }
    }

    /// Transactions every report so far says it indexed.
    fn indexed(&self) -> u64 {
        self.seen
            .iter()
            .map(|report| report["transactions"].as_u64().unwrap())
            .sum()
    }
}

fn propose(session: &Session, model: &str, uri: &str) {
    session.json(&proposal(model, "dataset", uri));
}

#[test]
fn the_index_follows_the_chain_by_itself_and_misses_nothing_when_the_websocket_drops() {
    let session = Session::new();
    let (model, _grant) = session.model_with_grant();
    let database = session.path("followed.sqlite");
    let database = database.to_str().unwrap();

    let Cluster::Rpc { url, .. } = &session.cluster else {
        // The embedded ledger: the journal, read every second.
        let mut follower =
            Stopped(session.spawn(&["--database", database, "index", "--follow", "--poll", "1"]));
        let mut reports = Reports::of(&mut follower.0);
        reports.until("the first catch-up", |report| {
            report["transactions"].as_u64() > Some(0)
        });
        propose(&session, &model, "ar://followed");
        reports.until("the proposal", |report| {
            report["transactions"].as_u64() > Some(0)
        });
        drop(follower);
        assert_missed_nothing_and_read_nothing_twice(&session, database, &reports);
        return;
    };

    let websocket = model_ledger_indexer::live::websocket_url(url).unwrap();
    let relay = Relay::to(websocket.trim_start_matches("ws://").to_string());
    let mut follower = Stopped(session.spawn(&[
        "--database",
        database,
        "index",
        "--follow",
        "--poll",
        "3600",
        "--websocket-url",
        &format!("ws://{}", relay.address),
    ]));
    let mut reports = Reports::of(&mut follower.0);
    // Subscribed, it reads what landed before (the model, its grant, …).
    let first = reports.until("the subscription", |report| report["wake"] == "subscribed");
    assert!(first["transactions"].as_u64() > Some(0), "{first}");

    // Live: with polling an hour away, only a notification reads these.
    for number in 0..3 {
        propose(&session, &model, &format!("ar://live-{number}"));
        let read = reports.until("a notified transaction", |report| {
            report["wake"] == "notified" && report["transactions"].as_u64() > Some(0)
        });
        assert_eq!(
            read["transactions"], 1,
            "one proposal, one transaction: {read}"
        );
    }

    // The websocket drops mid-run and stays away while transactions land:
    // each failed attempt to reach it catches up by polling.
    relay.cut();
    reports.until("the dropped subscription", |report| {
        report["wake"] == "disconnected"
    });
    for number in 0..3 {
        propose(&session, &model, &format!("ar://unsubscribed-{number}"));
    }
    let polled = std::cell::Cell::new(0);
    reports.until("the transactions landed while disconnected", |report| {
        assert_eq!(
            report["wake"], "disconnected",
            "the websocket is refused: {report}"
        );
        polled.set(polled.get() + report["transactions"].as_u64().unwrap());
        polled.get() >= 3
    });
    assert_eq!(polled.get(), 3, "three proposals, three transactions");
    relay.reopen();
    reports.until("the subscription again", |report| {
        report["wake"] == "subscribed"
    });
    propose(&session, &model, "ar://live-again");
    reports.until("a notified transaction after the drop", |report| {
        report["wake"] == "notified" && report["transactions"].as_u64() > Some(0)
    });
    drop(follower);
    assert_missed_nothing_and_read_nothing_twice(&session, database, &reports);
}

/// Nothing missed: every row equals a rebuild of the history and every
/// field the chain's accounts; nothing twice: what the follower says it
/// indexed, report by report, is what the index holds.
fn assert_missed_nothing_and_read_nothing_twice(
    session: &Session,
    database: &str,
    reports: &Reports,
) {
    let verified = session.json(&["--database", database, "index", "verify"]);
    assert_eq!(verified["verified"], true, "{verified}");
    let status = session.json(&["--database", database, "index", "status"]);
    assert_eq!(
        status["index"]["transactions"].as_u64(),
        Some(reports.indexed()),
        "each transaction indexed once: {status}; reports {:#?}",
        reports.seen
    );
}
