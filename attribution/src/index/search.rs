//! Searching an index: the longest match of a query, with the places a
//! shorter prefix of it ends, and where a passage occurs, by contribution.

use std::{collections::BTreeMap, sync::atomic::Ordering};

use super::{Index, Shard, ShardTier};
use crate::tokenizer::{Token, SEPARATOR};

/// Rows of one shard, [lo, hi), whose suffixes share a prefix: (shard, lo,
/// hi). A suffix-array shard's rows are its suffixes; a compressed shard's,
/// those of its reversed tokens.
pub(crate) type ShardRange = (usize, usize, usize);

/// Places where a shorter prefix of a query ends: the rows of `range`,
/// whose match is `depth` tokens long, except those `except` follows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shorter {
    pub depth: u32,
    pub range: ShardRange,
    pub except: Option<Token>,
}

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
        shorter: &mut Vec<Shorter>,
    ) -> Option<(u32, Vec<ShardRange>)> {
        let mut ranges = self.first_ranges(*query.first()?);
        if ranges.is_empty() {
            return None;
        }
        let mut depth = 1u32;
        let limit = (query.len() as u32).min(limit);
        while depth < limit {
            let token = query[depth as usize];
            let narrowed = self.narrowed(&ranges, depth, token);
            if narrowed.iter().all(|(_, lo, hi)| lo == hi) {
                break;
            }
            let places: usize = ranges.iter().map(|(_, lo, hi)| hi - lo).sum();
            if places <= watch {
                for ((number, lo, hi), (_, new_lo, new_hi)) in ranges.iter().zip(&narrowed) {
                    self.shards[*number].shorter(
                        (*number, *lo, *hi),
                        (*new_lo, *new_hi),
                        depth,
                        token,
                        shorter,
                    );
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
    /// Per shard holding `token`, the rows of its suffixes.
    fn first_ranges(&self, token: Token) -> Vec<ShardRange> {
        self.shards
            .iter()
            .enumerate()
            .map(|(number, shard)| {
                let (lo, hi) = shard.first(token);
                (number, lo, hi)
            })
            .filter(|(_, lo, hi)| lo < hi)
            .collect()
    }

    /// One search step in every shard: of each of `ranges`, whose rows
    /// match a query's first `depth` tokens, the rows matching `token`
    /// after them too (empty ones kept, in the same order).
    fn narrowed(&self, ranges: &[ShardRange], depth: u32, token: Token) -> Vec<ShardRange> {
        self.probes
            .fetch_add(ranges.len() as u64, Ordering::Relaxed);
        ranges
            .iter()
            .map(|(number, lo, hi)| {
                let (lo, hi) = self.shards[*number].narrow((*lo, *hi), depth, token);
                (*number, lo, hi)
            })
            .collect()
    }

    /// How often `passage` occurs whole (0 for an empty one), searched a
    /// token at a time while `go_on` says, of how often the part searched
    /// so far occurs (a bound on the whole's count), that it could still
    /// matter: where it says not, that bound.
    pub(crate) fn copies_while(
        &self,
        passage: &[Token],
        mut go_on: impl FnMut(u64) -> bool,
    ) -> u64 {
        let Some(first) = passage.first() else {
            return 0;
        };
        let mut ranges = self.first_ranges(*first);
        let count = |ranges: &[ShardRange]| ranges.iter().map(|(_, lo, hi)| (hi - lo) as u64).sum();
        for (depth, token) in passage.iter().enumerate().skip(1) {
            let bound: u64 = count(&ranges);
            if bound == 0 || !go_on(bound) {
                return bound;
            }
            ranges = self
                .narrowed(&ranges, depth as u32, *token)
                .into_iter()
                .filter(|(_, lo, hi)| lo < hi)
                .collect();
        }
        count(&ranges)
    }

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
            for start in shard.starts(lo..hi, length) {
                let (document, _) = shard.document_at(start);
                *found
                    .entry(self.manifest.documents[document as usize].contribution)
                    .or_default() += 1;
            }
        }
        found
    }
}

impl Shard {
    /// Where the match of `depth` tokens at row `row` starts.
    pub(crate) fn start(&self, row: usize, depth: u32) -> u64 {
        match &self.tier {
            ShardTier::SuffixArray { suffixes, .. } => {
                let bytes = &suffixes[4 * row..4 * row + 4];
                u64::from(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
            }
            ShardTier::Compressed(shard) => shard.start(row, depth),
        }
    }

    /// Where the matches of `depth` tokens at rows `rows` start, in the
    /// rows' order (the compressed tier locates them side by side).
    pub(crate) fn starts(&self, rows: std::ops::Range<usize>, depth: u32) -> Vec<u64> {
        match &self.tier {
            ShardTier::SuffixArray { .. } => rows.map(|row| self.start(row, depth)).collect(),
            ShardTier::Compressed(shard) => {
                let rows: Vec<u64> = rows.map(|row| row as u64).collect();
                shard.starts(&rows, depth)
            }
        }
    }

    /// The token at `position` ([`SEPARATOR`] past the end).
    pub(crate) fn token(&self, position: u64) -> Token {
        match &self.tier {
            ShardTier::SuffixArray { tokens, .. } => {
                let at = 2 * position as usize;
                match tokens.get(at..at + 2) {
                    Some(pair) => Token::from_le_bytes([pair[0], pair[1]]),
                    None => SEPARATOR,
                }
            }
            ShardTier::Compressed(shard) => shard.token(position),
        }
    }

    /// The tokens at `range` (cut at the shard's end).
    pub(crate) fn tokens(&self, range: std::ops::Range<u64>) -> Vec<Token> {
        match &self.tier {
            ShardTier::SuffixArray { .. } => range.map(|position| self.token(position)).collect(),
            ShardTier::Compressed(shard) => shard.tokens(range),
        }
    }

    /// The rows whose suffixes start with `token`.
    pub(crate) fn first(&self, token: Token) -> (usize, usize) {
        match &self.tier {
            ShardTier::SuffixArray {
                first_token,
                suffixes,
                ..
            } => {
                // Separators start no suffix (the array leaves them out): a
                // query holding one, as a forged file's document may, finds
                // rows past the array's end, read as none.
                let rows = suffixes.len() / 4;
                let token = usize::from(token);
                (
                    (first_token[token] as usize).min(rows),
                    (first_token[token + 1] as usize).min(rows),
                )
            }
            ShardTier::Compressed(shard) => shard.first(token),
        }
    }

    /// Within `range`, whose rows match a query's first `depth` tokens,
    /// the rows that match `token` after them too.
    pub(crate) fn narrow(&self, range: (usize, usize), depth: u32, token: Token) -> (usize, usize) {
        match &self.tier {
            ShardTier::SuffixArray {
                tokens, suffixes, ..
            } => narrow_suffixes((tokens, suffixes), range, depth, token),
            ShardTier::Compressed(shard) => shard.narrow(range, token),
        }
    }

    /// The places of `range` (matching `depth` tokens) that `narrowed`
    /// (matching `token` after them too) lost: a suffix array's narrowed
    /// rows sit inside the old ones, leaving two ranges; a compressed
    /// shard's are elsewhere, so the old range is kept with the token its
    /// rows must not be followed by.
    fn shorter(
        &self,
        range: ShardRange,
        narrowed: (usize, usize),
        depth: u32,
        token: Token,
        shorter: &mut Vec<Shorter>,
    ) {
        let (number, lo, hi) = range;
        match &self.tier {
            ShardTier::SuffixArray { .. } => {
                // An empty narrowed range sits inside its old one.
                let (new_lo, new_hi) = match narrowed {
                    (new_lo, new_hi) if new_lo == new_hi => (lo, lo),
                    other => other,
                };
                for (from, to) in [(lo, new_lo), (new_hi, hi)] {
                    if from < to {
                        shorter.push(Shorter {
                            depth,
                            range: (number, from, to),
                            except: None,
                        });
                    }
                }
            }
            ShardTier::Compressed(_) if narrowed.1 - narrowed.0 == hi - lo => {}
            ShardTier::Compressed(_) => shorter.push(Shorter {
                depth,
                range,
                except: Some(token),
            }),
        }
    }

    /// The start of each place of `shorter`.
    pub(crate) fn shorter_starts(&self, shorter: &Shorter) -> Vec<u64> {
        let (_, lo, hi) = shorter.range;
        match (&self.tier, shorter.except) {
            (ShardTier::Compressed(shard), Some(token)) => {
                let rows: Vec<u64> = (lo..hi)
                    .filter(|row| !shard.follows(*row, token))
                    .map(|row| row as u64)
                    .collect();
                shard.starts(&rows, shorter.depth)
            }
            _ => self.starts(lo..hi, shorter.depth),
        }
    }

    /// The `limit` smallest starts of the matches of `depth` tokens at the
    /// rows `range`, in order.
    pub(crate) fn smallest_starts(
        &self,
        range: (usize, usize),
        depth: u32,
        limit: usize,
    ) -> Vec<u64> {
        let mut starts: Vec<u64> = match &self.tier {
            ShardTier::Compressed(shard) => return shard.smallest_starts(range, depth, limit),
            ShardTier::SuffixArray { .. } => self.starts(range.0..range.1, depth),
        };
        if starts.len() > limit {
            starts.select_nth_unstable(limit);
            starts.truncate(limit);
        }
        starts.sort_unstable();
        starts
    }

    /// The contribution whose document holds `position`.
    pub(crate) fn contribution_at(&self, position: u64) -> u32 {
        // `open` checked that the first document starts at 0.
        let run = self
            .contribution_runs
            .partition_point(|run| run.0 <= position)
            .saturating_sub(1);
        self.contribution_runs[run].1
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

/// [`Shard::narrow`] in a suffix array: one binary search down to any
/// suffix with `token` at `depth`, then the two bounds on either side of
/// it (each probe costs two reads from memory that is rarely in cache).
fn narrow_suffixes(
    (tokens, suffixes): (&[u8], &[u8]),
    range: (usize, usize),
    depth: u32,
    token: Token,
) -> (usize, usize) {
    let at = |i: usize| {
        let bytes = &suffixes[4 * i..4 * i + 4];
        let position = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        let at = 2 * (position + depth as usize);
        match tokens.get(at..at + 2) {
            Some(pair) => Token::from_le_bytes([pair[0], pair[1]]),
            None => SEPARATOR,
        }
    };
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
