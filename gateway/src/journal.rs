//! The gateway's call log: one JSON line per completed call, appended and
//! synced to disk before the call counts as done, in the form `meter`
//! reads (`request_hash`, `output_hash`, `attribution`), with the receipt's
//! own fields under `"receipt"`. The log is the metering input: the
//! recorder cuts batches from it with `meter`'s journal, so a host may also
//! stop the gateway and run `model-ledger meter --input <state>/calls.jsonl`.
//!
//! Writes are committed in groups: concurrent calls share one `fsync`.

use std::{
    collections::HashMap,
    fs::{File, OpenOptions},
    io::{BufRead, BufReader, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use model_ledger::state::AttributionEntry;
use model_ledger_sdk::{hex, merkle::CallRecord};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::GatewayError;

/// What a call's receipt carries besides its Merkle leaf.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ReceiptFields {
    /// The call's id, returned to the caller in `x-model-ledger-call`.
    pub id: String,
    /// `/v1/chat/completions` or `/v1/completions`.
    pub endpoint: String,
    /// The model the upstream says answered.
    pub model: Option<String>,
    /// The upstream's token counts, as it sent them.
    pub usage: Option<Value>,
    /// Whether the response was streamed.
    pub stream: bool,
    /// Seconds since the Unix epoch when the call was journaled.
    pub at: u64,
}

/// One line of the log.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LoggedCall {
    pub request_hash: String,
    pub output_hash: String,
    pub attribution: Vec<(u32, u16)>,
    pub receipt: ReceiptFields,
}

impl LoggedCall {
    pub fn new(record: &CallRecord, receipt: ReceiptFields) -> Self {
        Self {
            request_hash: hex::encode(&record.request_hash),
            output_hash: hex::encode(&record.output_hash),
            attribution: record
                .attribution
                .iter()
                .map(|entry| (entry.index, entry.weight))
                .collect(),
            receipt,
        }
    }

    pub fn record(&self) -> Result<CallRecord, GatewayError> {
        let hash = |text: &str| {
            hex::decode32(text).map_err(|_| GatewayError::Journal(format!("bad hash {text:?}")))
        };
        Ok(CallRecord {
            request_hash: hash(&self.request_hash)?,
            output_hash: hash(&self.output_hash)?,
            attribution: self
                .attribution
                .iter()
                .map(|(index, weight)| AttributionEntry {
                    index: *index,
                    weight: *weight,
                })
                .collect(),
        })
    }
}

/// The calls journaled so far, in log order, and where each id stands.
#[derive(Default)]
pub struct Calls {
    pub log: Vec<LoggedCall>,
    pub records: Vec<CallRecord>,
    pub by_id: HashMap<String, usize>,
}

impl Calls {
    fn push(&mut self, call: LoggedCall, record: CallRecord) {
        self.by_id.insert(call.receipt.id.clone(), self.log.len());
        self.log.push(call);
        self.records.push(record);
    }
}

type Append = (
    LoggedCall,
    CallRecord,
    oneshot::Sender<Result<usize, String>>,
);

/// The log's writer, shared by every request.
#[derive(Clone)]
pub struct Journal {
    sender: mpsc::Sender<Append>,
    pub calls: Arc<Mutex<Calls>>,
    pub path: PathBuf,
}

impl Journal {
    /// Opens (or creates) `<dir>/calls.jsonl`, reading every call it holds.
    /// A last line cut short by a crash was never acknowledged to anyone
    /// and is cut off; any other damage is refused by its line.
    pub fn open(dir: &Path) -> Result<Self, GatewayError> {
        let path = dir.join("calls.jsonl");
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|error| GatewayError::Journal(format!("{}: {error}", path.display())))?;
        let mut calls = Calls::default();
        let mut good = 0u64;
        let mut reader = BufReader::new(&file);
        let mut line = String::new();
        let mut number = 0;
        loop {
            line.clear();
            let read = reader
                .read_line(&mut line)
                .map_err(|error| GatewayError::Journal(format!("{}: {error}", path.display())))?;
            if read == 0 {
                break;
            }
            number += 1;
            if !line.ends_with('\n') {
                break; // torn tail: never synced whole, never acknowledged
            }
            let call: LoggedCall = serde_json::from_str(&line).map_err(|error| {
                GatewayError::Journal(format!("{} line {number}: {error}", path.display()))
            })?;
            let record = call.record()?;
            calls.push(call, record);
            good += read as u64;
        }
        drop(reader);
        if file.metadata().map(|meta| meta.len()).unwrap_or(0) > good {
            file.set_len(good)
                .and_then(|()| file.seek(SeekFrom::End(0)).map(drop))
                .map_err(|error| GatewayError::Journal(format!("{}: {error}", path.display())))?;
        }
        let calls = Arc::new(Mutex::new(calls));
        let (sender, receiver) = mpsc::channel(4_096);
        let writer_calls = calls.clone();
        std::thread::Builder::new()
            .name("call-journal".into())
            .spawn(move || write_loop(file, receiver, writer_calls))
            .map_err(|error| GatewayError::Journal(error.to_string()))?;
        Ok(Self {
            sender,
            calls,
            path,
        })
    }

    /// Calls on disk so far.
    pub fn journaled(&self) -> usize {
        self.calls.lock().expect("not poisoned").log.len()
    }

    /// Appends a call and waits until it is on disk; returns its position.
    pub async fn append(
        &self,
        call: LoggedCall,
        record: CallRecord,
    ) -> Result<usize, GatewayError> {
        let (done, wait) = oneshot::channel();
        self.sender
            .send((call, record, done))
            .await
            .map_err(|_| GatewayError::Journal("the journal writer stopped".into()))?;
        wait.await
            .map_err(|_| GatewayError::Journal("the journal writer stopped".into()))?
            .map_err(GatewayError::Journal)
    }
}

/// Writes whatever is queued, syncs once, then acknowledges each.
fn write_loop(mut file: File, mut receiver: mpsc::Receiver<Append>, calls: Arc<Mutex<Calls>>) {
    while let Some(first) = receiver.blocking_recv() {
        let mut group = vec![first];
        while let Ok(next) = receiver.try_recv() {
            group.push(next);
            if group.len() == 1_024 {
                break;
            }
        }
        let mut bytes = Vec::new();
        for (call, _, _) in &group {
            serde_json::to_writer(&mut bytes, call).expect("a call serialises");
            bytes.push(b'\n');
        }
        let written = file.write_all(&bytes).and_then(|()| file.sync_data());
        match written {
            Ok(()) => {
                let mut calls = calls.lock().expect("not poisoned");
                for (call, record, done) in group {
                    let position = calls.log.len();
                    calls.push(call, record);
                    let _ = done.send(Ok(position));
                }
            }
            Err(error) => {
                // Nothing of the group counts: a later open cuts a partial
                // write off as a torn tail only if it is the last line, so
                // stop writing altogether.
                for (_, _, done) in group {
                    let _ = done.send(Err(format!("cannot write the call log: {error}")));
                }
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(n: u8) -> (LoggedCall, CallRecord) {
        let record = CallRecord {
            request_hash: [n; 32],
            output_hash: [n + 1; 32],
            attribution: vec![AttributionEntry {
                index: u32::from(n),
                weight: 3,
            }],
        };
        let receipt = ReceiptFields {
            id: format!("call-{n}"),
            endpoint: "/v1/chat/completions".into(),
            model: Some("m".into()),
            usage: None,
            stream: false,
            at: 1,
        };
        (LoggedCall::new(&record, receipt), record)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_appends_are_all_on_disk_in_one_order_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        let appends: Vec<_> = (0..40u8)
            .map(|n| {
                let journal = journal.clone();
                tokio::spawn(async move {
                    let (logged, record) = call(n);
                    journal.append(logged, record).await.unwrap()
                })
            })
            .collect();
        let mut positions = Vec::new();
        for append in appends {
            positions.push(append.await.unwrap());
        }
        positions.sort_unstable();
        assert_eq!(positions, (0..40).collect::<Vec<_>>());
        let reopened = Journal::open(dir.path()).unwrap();
        let calls = reopened.calls.lock().unwrap();
        let written = journal.calls.lock().unwrap();
        assert_eq!(calls.log, written.log);
        assert_eq!(calls.records, written.records);
        assert_eq!(calls.by_id["call-7"], written.by_id["call-7"]);
    }

    #[test]
    fn a_torn_last_line_is_cut_off_and_damage_elsewhere_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calls.jsonl");
        let line = |n| serde_json::to_string(&call(n).0).unwrap() + "\n";
        let whole = format!("{}{}", line(1), line(2));
        std::fs::write(&path, format!("{whole}{}", &line(3)[..20])).unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        assert_eq!(journal.calls.lock().unwrap().log.len(), 2);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), whole);

        std::fs::write(&path, format!("{}{{not a call}}\n{}", line(1), line(2))).unwrap();
        let error = Journal::open(dir.path()).err().unwrap().to_string();
        assert!(error.contains("line 2"), "{error}");
    }
}
