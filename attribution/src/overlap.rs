//! How much of a proposed dataset the index already holds, and whose it is:
//! what an authority reads before it accepts a contribution, so that a
//! re-upload of someone else's data is seen before it earns shares.
//!
//! Each candidate document is read as if a model had output it: the same
//! seeds, chains and holder rule that pay a call say which of its tokens
//! the index holds and which contribution holds them. The figures are
//! therefore the ones the candidate's text would be paid by, and anyone
//! with the index can compute them again.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::atomic::{AtomicUsize, Ordering},
};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{corpus, index::hex, AttributionError, Attributor, Source};

/// The overlap of a candidate dataset with an index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Overlap {
    /// The index's content hash, which the figures hold for.
    pub index: String,
    /// Tokens of the candidate, all documents together.
    pub tokens: u64,
    /// (contribution, candidate tokens it already holds), by contribution.
    pub held: Vec<(u32, u64)>,
    pub documents: Vec<CandidateDocument>,
}

/// One file of the candidate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CandidateDocument {
    pub path: PathBuf,
    /// SHA-256 of the file's bytes: a contribution proposed with this file
    /// as its artifact (`contribution propose --content-file`) records it.
    pub sha256: String,
    pub tokens: u64,
    pub held: Vec<(u32, u64)>,
}

impl Overlap {
    /// Tokens the index holds, whoever holds them.
    pub fn held_tokens(&self) -> u64 {
        held_tokens(&self.held)
    }

    /// The share of the candidate's tokens that `tokens` is, in basis points.
    pub fn share_bps(&self, tokens: u64) -> u64 {
        share_bps(tokens, self.tokens)
    }
}

impl CandidateDocument {
    /// Tokens of the file the index holds, whoever holds them.
    pub fn held_tokens(&self) -> u64 {
        held_tokens(&self.held)
    }
}

fn held_tokens(held: &[(u32, u64)]) -> u64 {
    held.iter().map(|(_, tokens)| tokens).sum()
}

/// `part` of `total` in basis points (1/10 000), rounded down; 0 of nothing.
pub fn share_bps(part: u64, total: u64) -> u64 {
    part.saturating_mul(10_000).checked_div(total).unwrap_or(0)
}

/// Reads the candidate's files (as a corpus is read: text only, links and
/// special files refused by name) and attributes each against the index,
/// on `threads` threads; the result does not depend on the thread count.
pub fn overlap(
    attributor: &Attributor,
    candidates: &[PathBuf],
    threads: usize,
) -> Result<Overlap, AttributionError> {
    let sources: Vec<Source> = candidates
        .iter()
        .map(|path| Source {
            contribution: 0,
            path: path.clone(),
        })
        .collect();
    // A candidate without text is refused here, by name (`EmptyCorpus`).
    let documents = corpus::read_documents(&sources)?;
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<CandidateDocument>> = vec![None; documents.len()];
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.clamp(1, documents.len().max(1)))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let at = next.fetch_add(1, Ordering::Relaxed);
                        let Some(document) = documents.get(at) else {
                            return done;
                        };
                        done.push((at, measure(attributor, &document.path, &document.text)));
                    }
                })
            })
            .collect();
        for worker in workers {
            for (at, result) in worker.join().expect("an overlap worker does not panic") {
                results[at] = Some(result);
            }
        }
    });
    let documents: Vec<CandidateDocument> = results
        .into_iter()
        .map(|result| result.expect("every document measured"))
        .collect();
    let mut held: BTreeMap<u32, u64> = BTreeMap::new();
    for document in &documents {
        for (contribution, tokens) in &document.held {
            *held.entry(*contribution).or_default() += tokens;
        }
    }
    Ok(Overlap {
        index: attributor.index.content_hash.clone(),
        tokens: documents.iter().map(|document| document.tokens).sum(),
        held: held.into_iter().collect(),
        documents,
    })
}

fn measure(attributor: &Attributor, path: &Path, text: &str) -> CandidateDocument {
    let attribution = attributor.attribute(text);
    CandidateDocument {
        path: path.to_path_buf(),
        // The text is the file's bytes: read whole and checked UTF-8, unchanged.
        sha256: hex(&Sha256::digest(text.as_bytes())),
        tokens: attribution.tokens as u64,
        held: attribution
            .weights
            .iter()
            .map(|(contribution, tokens)| (*contribution, u64::from(*tokens)))
            .collect(),
    }
}
