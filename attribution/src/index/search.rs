//! Searching an index: the longest match of a query, with the places a
//! shorter prefix of it ends, and where a passage occurs, by contribution.

use std::{collections::BTreeMap, sync::atomic::Ordering};

use super::{Index, Shard};
use crate::tokenizer::{Token, SEPARATOR};

/// Suffixes of one shard, [lo, hi), that share a prefix: (shard, lo, hi).
pub(crate) type ShardRange = (usize, usize, usize);

impl Index {
    /// The longest prefix of `query` (up to `limit` tokens) found in the
    /// corpus, with the suffix ranges that start with it.
    pub(crate) fn longest_match(
        &self,
        query: &[Token],
        limit: u32,
    ) -> Option<(u32, Vec<ShardRange>)> {
        self.longest_match_and_shorter(query, limit, 0, &mut Vec::new())
    }

    /// [`Index::longest_match`], and in `shorter` the places where a
    /// shorter prefix ends (length, suffixes), once the prefix occurs in
    /// at most `watch` places: where another document holds the start of
    /// the passage but not all of it (an edited copy of it, say).
    pub(crate) fn longest_match_and_shorter(
        &self,
        query: &[Token],
        limit: u32,
        watch: usize,
        shorter: &mut Vec<(u32, ShardRange)>,
    ) -> Option<(u32, Vec<ShardRange>)> {
        let first = *query.first()?;
        let mut ranges: Vec<ShardRange> = self
            .shards
            .iter()
            .enumerate()
            .map(|(number, shard)| {
                let (lo, hi) = shard.first(first);
                (number, lo, hi)
            })
            .filter(|(_, lo, hi)| lo < hi)
            .collect();
        if ranges.is_empty() {
            return None;
        }
        let mut depth = 1u32;
        let limit = (query.len() as u32).min(limit);
        while depth < limit {
            self.probes
                .fetch_add(ranges.len() as u64, Ordering::Relaxed);
            let token = query[depth as usize];
            let narrowed: Vec<ShardRange> = ranges
                .iter()
                .map(|(number, lo, hi)| {
                    let (lo, hi) = self.shards[*number].narrow((*lo, *hi), depth, token);
                    (*number, lo, hi)
                })
                .collect();
            if narrowed.iter().all(|(_, lo, hi)| lo == hi) {
                break;
            }
            let places: usize = ranges.iter().map(|(_, lo, hi)| hi - lo).sum();
            if places <= watch {
                for ((number, lo, hi), (_, new_lo, new_hi)) in ranges.iter().zip(&narrowed) {
                    // An empty narrowed range sits inside its old one.
                    let (new_lo, new_hi) = if new_lo == new_hi {
                        (*lo, *lo)
                    } else {
                        (*new_lo, *new_hi)
                    };
                    for (from, to) in [(*lo, new_lo), (new_hi, *hi)] {
                        if from < to {
                            shorter.push((depth, (*number, from, to)));
                        }
                    }
                }
            }
            ranges = narrowed.into_iter().filter(|(_, lo, hi)| lo < hi).collect();
            depth += 1;
        }
        Some((depth, ranges))
    }

    /// How many tokens from the start of `query` occur in the corpus as one
    /// run, and how often that run occurs.
    ///
    /// ```no_run
    /// # use model_ledger_attribution::{Index, Tokenizer};
    /// let index = Index::open(std::path::Path::new("index"))?;
    /// let tokens = Tokenizer::gpt2()?.encode("a passage to look up");
    /// let (length, occurrences) = index.longest_prefix(&tokens);
    /// # Ok::<(), model_ledger_attribution::AttributionError>(())
    /// ```
    pub fn longest_prefix(&self, query: &[Token]) -> (usize, u64) {
        match self.longest_match(query, u32::MAX) {
            Some((length, ranges)) => (
                length as usize,
                ranges.iter().map(|(_, lo, hi)| (hi - lo) as u64).sum(),
            ),
            None => (0, 0),
        }
    }
}

impl Index {
    /// How often each prefix of `pattern` occurs in the corpus: entry k
    /// counts the first k + 1 tokens (the one-token count is the table's;
    /// a count of 0 ends the list).
    pub(crate) fn prefix_counts(&self, pattern: &[Token]) -> Vec<u64> {
        let mut counts = vec![0u64; pattern.len()];
        for shard in &self.shards {
            let mut range = match pattern.first() {
                Some(first) => shard.first(*first),
                None => break,
            };
            for (depth, token) in pattern.iter().enumerate() {
                if depth > 0 {
                    self.probes.fetch_add(1, Ordering::Relaxed);
                    range = shard.narrow(range, depth as u32, *token);
                }
                if range.0 == range.1 {
                    break;
                }
                counts[depth] += (range.1 - range.0) as u64;
            }
        }
        let held = counts.iter().take_while(|count| **count > 0).count();
        counts.truncate(held);
        counts
    }

    /// Where `passage` occurs, counted per contribution (empty if it does
    /// not occur whole): what a reader checks when a payment names a span.
    pub fn occurrences_by_contribution(&self, passage: &[Token]) -> BTreeMap<u32, u64> {
        let mut found = BTreeMap::new();
        let Some((length, ranges)) = self.longest_match(passage, u32::MAX) else {
            return found;
        };
        if length as usize != passage.len() {
            return found;
        }
        for (number, lo, hi) in ranges {
            let shard = &self.shards[number];
            for i in lo..hi {
                let (document, _) = shard.document_at(shard.suffix(i));
                *found
                    .entry(self.manifest.documents[document as usize].contribution)
                    .or_default() += 1;
            }
        }
        found
    }
}

impl Shard {
    pub(crate) fn suffix(&self, i: usize) -> u64 {
        let bytes = &self.suffixes[4 * i..4 * i + 4];
        u64::from(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    /// The token at `position` ([`SEPARATOR`] past the end).
    pub(crate) fn token(&self, position: u64) -> Token {
        let at = 2 * position as usize;
        match self.tokens.get(at..at + 2) {
            Some(pair) => Token::from_le_bytes([pair[0], pair[1]]),
            None => SEPARATOR,
        }
    }

    /// The suffixes starting with `token`.
    pub(crate) fn first(&self, token: Token) -> (usize, usize) {
        let token = usize::from(token);
        (
            self.first_token[token] as usize,
            self.first_token[token + 1] as usize,
        )
    }

    /// Within `range`, whose suffixes share their first `depth` tokens, the
    /// ones whose token at `depth` is `token`: one binary search down to
    /// any such suffix, then the two bounds on either side of it (each
    /// probe costs two reads from memory that is rarely in cache).
    pub(crate) fn narrow(&self, range: (usize, usize), depth: u32, token: Token) -> (usize, usize) {
        let at = |i: usize| self.token(self.suffix(i) + u64::from(depth));
        let (mut lo, mut hi) = range;
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match at(mid).cmp(&token) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    let start = lo + partition(mid - lo, |k| at(lo + k) < token);
                    let end = mid + 1 + partition(hi - mid - 1, |k| at(mid + 1 + k) <= token);
                    return (start, end);
                }
            }
        }
        (lo, lo)
    }

    /// The lowest contribution among those whose documents hold the
    /// suffixes [lo, hi) (`None` for an empty range): one pass over the
    /// range, each suffix placed in the shard's few contribution runs.
    pub(crate) fn earliest_contribution(&self, lo: usize, hi: usize) -> Option<u32> {
        (lo..hi)
            .map(|i| {
                let position = self.suffix(i);
                let run = self
                    .contribution_runs
                    .partition_point(|run| run.0 <= position)
                    .saturating_sub(1);
                self.contribution_runs[run].2
            })
            .min()
    }

    /// The document holding `position`: its manifest index and the offset in it.
    pub(crate) fn document_at(&self, position: u64) -> (u32, u64) {
        // `open` checked that the first document starts at 0.
        let k = self
            .document_starts
            .partition_point(|start| *start <= position)
            .saturating_sub(1);
        (self.document_ids[k], position - self.document_starts[k])
    }
}

/// The first k in 0..n for which `before(k)` is false (`before` true then false).
fn partition(n: usize, before: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}
