//! Fuzzers for what hostile input reaches, in stable Rust: each target
//! takes bytes, starts from valid encodings (its seeds), and mutates them
//! (bit flips, boundary integers, insertions, deletions, splices). A target
//! reports a broken invariant as an error; a panic is one too. Inputs whose
//! outcome is new (an error not seen before) join the corpus, a cheap stand-in
//! for coverage. Every finding is written to `fuzz/regressions/<target>/`,
//! and `cargo test -p model-ledger-fuzz` replays each one.
//!
//! `cargo run -p model-ledger-fuzz -- all --seconds 30` is what CI runs;
//! longer runs take `--seconds 3600`, and `--seed` replays a run.

pub mod targets;

use std::{
    collections::BTreeSet,
    panic::AssertUnwindSafe,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use rand::{rngs::StdRng, Rng, SeedableRng};
use sha2::{Digest, Sha256};

/// What a target does with one input: `Ok(outcome)` names what happened (a
/// success, or the refusal's name), `Err` a broken invariant.
pub trait Target {
    fn name(&self) -> &'static str;
    /// Valid inputs to start from.
    fn seeds(&mut self) -> Vec<Vec<u8>>;
    fn run(&mut self, input: &[u8]) -> Result<String, String>;
}

/// An input that broke an invariant, and how.
#[derive(Debug, Clone)]
pub struct Finding {
    pub target: &'static str,
    pub input: Vec<u8>,
    pub what: String,
    /// Where it was kept.
    pub saved: PathBuf,
}

/// Where the findings of `target` are kept, under this crate.
pub fn regressions_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("regressions")
        .join(target)
}

/// Runs `input` on `target`, a panic counting as a broken invariant.
pub fn run_caught(target: &mut dyn Target, input: &[u8]) -> Result<String, String> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| target.run(input))) {
        Ok(result) => result,
        Err(panic) => Err(format!(
            "panicked: {}",
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|text| text.to_string()))
                .unwrap_or_default()
        )),
    }
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Report {
    pub executions: u64,
    pub corpus: usize,
    pub outcomes: usize,
    pub findings: Vec<Finding>,
}

/// Fuzzes `target` for `duration` from `seed`, keeping every finding.
pub fn fuzz(target: &mut dyn Target, duration: Duration, seed: u64) -> Report {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut corpus = target.seeds();
    let mut outcomes = BTreeSet::new();
    let mut report = Report::default();
    let started = Instant::now();
    // Each seed once as it is: valid inputs must pass.
    let mut queue: Vec<Vec<u8>> = corpus.clone();
    while started.elapsed() < duration {
        let input = match queue.pop() {
            Some(input) => input,
            None => {
                let base = &corpus[rng.gen_range(0..corpus.len())];
                mutate(&mut rng, base, &corpus)
            }
        };
        report.executions += 1;
        match run_caught(target, &input) {
            Ok(outcome) => {
                if outcomes.insert(outcome) && corpus.len() < 4_096 {
                    corpus.push(input);
                }
            }
            Err(what) => {
                let saved = keep(target.name(), &input);
                eprintln!(
                    "{}: FINDING ({} bytes, kept as {}): {what}",
                    target.name(),
                    input.len(),
                    saved.display()
                );
                report.findings.push(Finding {
                    target: target.name(),
                    input,
                    what,
                    saved,
                });
            }
        }
    }
    report.corpus = corpus.len();
    report.outcomes = outcomes.len();
    report
}

/// Writes `input` under the target's regressions, named by its hash.
fn keep(target: &str, input: &[u8]) -> PathBuf {
    let dir = regressions_dir(target);
    let _ = std::fs::create_dir_all(&dir);
    let name: String = Sha256::digest(input)[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let path = dir.join(format!("{name}.bin"));
    let _ = std::fs::write(&path, input);
    path
}

/// Every input kept for `target`, by file.
pub fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(regressions_dir(target)) else {
        return Vec::new();
    };
    let mut kept: Vec<(PathBuf, Vec<u8>)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "bin"))
        .filter_map(|path| std::fs::read(&path).ok().map(|bytes| (path, bytes)))
        .collect();
    kept.sort();
    kept
}

/// Integers at the edges, where code that counts goes wrong.
const BOUNDARIES: [u64; 12] = [
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0xffff,
    0x7fff_ffff,
    0xffff_ffff,
    i64::MAX as u64,
    u64::MAX - 1,
    u64::MAX,
];

/// One to four random changes of `input` (or a splice with another input).
pub fn mutate(rng: &mut StdRng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for _ in 0..rng.gen_range(1..=4) {
        let len = bytes.len();
        match rng.gen_range(0..9) {
            0 if len > 0 => {
                let at = rng.gen_range(0..len);
                bytes[at] ^= 1 << rng.gen_range(0..8);
            }
            1 if len > 0 => {
                let at = rng.gen_range(0..len);
                bytes[at] = [0u8, 0xff, 0x7f, 0x80, 1][rng.gen_range(0..5)];
            }
            2 if len > 0 => {
                let width = [1usize, 2, 4, 8][rng.gen_range(0..4)];
                let value = BOUNDARIES[rng.gen_range(0..BOUNDARIES.len())].to_le_bytes();
                let at = rng.gen_range(0..len);
                for (offset, byte) in value.iter().take(width).enumerate() {
                    if let Some(slot) = bytes.get_mut(at + offset) {
                        *slot = *byte;
                    }
                }
            }
            3 => {
                let at = rng.gen_range(0..=len);
                let count = rng.gen_range(1..=16);
                let inserted: Vec<u8> = (0..count).map(|_| rng.gen()).collect();
                bytes.splice(at..at, inserted);
            }
            4 if len > 0 => {
                let at = rng.gen_range(0..len);
                let end = (at + rng.gen_range(1..=16)).min(len);
                bytes.drain(at..end);
            }
            5 if len > 0 => {
                bytes.truncate(rng.gen_range(0..len));
            }
            6 if len > 0 => {
                let at = rng.gen_range(0..len);
                let end = (at + rng.gen_range(1..=32)).min(len);
                let copy = bytes[at..end].to_vec();
                let to = rng.gen_range(0..=bytes.len());
                bytes.splice(to..to, copy);
            }
            7 if !corpus.is_empty() => {
                let other = &corpus[rng.gen_range(0..corpus.len())];
                let cut = rng.gen_range(0..=bytes.len());
                let from = rng.gen_range(0..=other.len());
                bytes.truncate(cut);
                bytes.extend_from_slice(&other[from..]);
            }
            _ => {
                let count = rng.gen_range(1..=8);
                bytes.extend((0..count).map(|_| rng.gen::<u8>()));
            }
        }
    }
    bytes
}
