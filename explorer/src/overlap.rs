//! Overlap reports beside the proposals they measured: `model-ledger
//! attribute overlap --report` writes how much of a candidate dataset a
//! model's attribution index already holds; given the directory of such
//! reports (`serve --overlap-reports DIR`), a model's page shows each
//! contribution's overlap, matched by its content hash (the SHA-256 of the
//! artifact file, which the report records for every file it read).
//!
//! The reports are read again whenever one is added, removed or rewritten,
//! so a report written while the explorer runs shows on the next request. A report that does
//! not parse is left out and named once on standard error: a bad file
//! must not take the pages down.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    path::{Path, PathBuf},
    sync::Mutex,
    time::SystemTime,
};

use serde::{Deserialize, Serialize};

/// One candidate file's overlap, as a page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Shown {
    /// The index's content hash the figures hold for.
    pub index: String,
    /// The report's file name.
    pub report: String,
    pub tokens: u64,
    /// (contribution, tokens of the file it already holds, share in bps).
    pub held: Vec<(u32, u64, u64)>,
    pub held_bps: u64,
}

#[derive(Deserialize)]
struct Report {
    index: String,
    documents: Vec<ReportDocument>,
}

#[derive(Deserialize)]
struct ReportDocument {
    sha256: String,
    tokens: u64,
    held_tokens: u64,
    held_bps: u64,
    held: Vec<ReportHeld>,
}

#[derive(Deserialize)]
struct ReportHeld {
    contribution: u32,
    tokens: u64,
    share_bps: u64,
}

/// The reports of one directory, by the SHA-256 of each file they measured.
pub struct OverlapReports {
    dir: PathBuf,
    read: Mutex<Read>,
}

#[derive(Default)]
struct Read {
    /// The reports' names, times and sizes when last read.
    listing: Option<Vec<(PathBuf, Option<SystemTime>, u64)>>,
    by_sha256: HashMap<String, Shown>,
    /// Files already named on standard error as unreadable.
    named: BTreeSet<PathBuf>,
}

impl OverlapReports {
    /// The reports in `dir`; an unreadable directory is an error naming it.
    pub fn open(dir: &Path) -> Result<Self, String> {
        std::fs::read_dir(dir).map_err(|error| format!("{}: {error}", dir.display()))?;
        let reports = Self {
            dir: dir.to_path_buf(),
            read: Mutex::new(Read::default()),
        };
        reports.refresh();
        Ok(reports)
    }

    /// The overlaps measured for the files whose SHA-256 (hex) are
    /// `hashes`, keyed by them: the reports are checked for changes once.
    pub fn of_all<'a>(&self, hashes: impl Iterator<Item = &'a str>) -> BTreeMap<String, Shown> {
        self.refresh();
        let read = self.read.lock().expect("not poisoned");
        hashes
            .filter_map(|hash| {
                let shown = read.by_sha256.get(&hash.to_ascii_lowercase())?;
                Some((hash.to_string(), shown.clone()))
            })
            .collect()
    }

    /// Reads the reports again if any was added, removed or rewritten
    /// since the last read (names, sizes and times compared: a directory's
    /// own time may not move within a coarse clock tick).
    fn refresh(&self) {
        let listing: Vec<(PathBuf, Option<SystemTime>, u64)> = match std::fs::read_dir(&self.dir) {
            Ok(entries) => {
                let mut listing: Vec<_> = entries
                    .filter_map(|entry| entry.ok())
                    .map(|entry| entry.path())
                    .filter(|path| {
                        path.extension()
                            .is_some_and(|extension| extension == "json")
                    })
                    .map(|path| {
                        let metadata = std::fs::metadata(&path).ok();
                        let modified = metadata.as_ref().and_then(|m| m.modified().ok());
                        let size = metadata.map_or(0, |m| m.len());
                        (path, modified, size)
                    })
                    .collect();
                // Later names win where two reports measured the same file.
                listing.sort();
                listing
            }
            Err(_) => Vec::new(),
        };
        let mut read = self.read.lock().expect("not poisoned");
        if read.listing.as_ref() == Some(&listing) {
            return;
        }
        read.by_sha256.clear();
        for (path, _, _) in &listing {
            match read_report(path) {
                Ok(shown) => read.by_sha256.extend(shown),
                Err(reason) => {
                    if read.named.insert(path.clone()) {
                        eprintln!("overlap report {} left out: {reason}", path.display());
                    }
                }
            }
        }
        read.listing = Some(listing);
    }
}

/// At most this many bytes of a report are read (a report lists its
/// files; a larger one is not a report).
const MAX_REPORT_BYTES: u64 = 64 << 20;

fn read_report(path: &Path) -> Result<Vec<(String, Shown)>, String> {
    let size = std::fs::metadata(path)
        .map_err(|error| error.to_string())?
        .len();
    if size > MAX_REPORT_BYTES {
        return Err(format!("{size} bytes, more than a report holds"));
    }
    let bytes = std::fs::read(path).map_err(|error| error.to_string())?;
    let report: Report = serde_json::from_slice(&bytes)
        .map_err(|error| format!("not a report of `attribute overlap`: {error}"))?;
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().to_string())
        .unwrap_or_default();
    report
        .documents
        .into_iter()
        .map(|document| {
            let valid = document.sha256.len() == 64
                && document.sha256.bytes().all(|byte| byte.is_ascii_hexdigit());
            if !valid {
                return Err(format!("{:?} is not a SHA-256", document.sha256));
            }
            let listed: u64 = document.held.iter().map(|held| held.tokens).sum();
            if document.held_tokens > document.tokens
                || listed != document.held_tokens
                || document.held_bps > 10_000
            {
                return Err(format!(
                    "a file of {} tokens said to hold {} already ({listed} listed, {} bps)",
                    document.tokens, document.held_tokens, document.held_bps
                ));
            }
            Ok((
                document.sha256.to_ascii_lowercase(),
                Shown {
                    index: report.index.clone(),
                    report: name.clone(),
                    tokens: document.tokens,
                    held_bps: document.held_bps,
                    held: document
                        .held
                        .iter()
                        .map(|held| (held.contribution, held.tokens, held.share_bps))
                        .collect(),
                },
            ))
        })
        .collect()
}
