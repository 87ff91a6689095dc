//! Locating a compressed shard's rows: from a row, LF steps to the nearest
//! sampled one, many rows' walks side by side.

use std::sync::atomic::Ordering;

use super::{Compressed, LOCATED_BITS, MAXIMA_ROWS, SAMPLE};
use crate::tokenizer::SEPARATOR;

/// Rows whose walks are stepped side by side, at most: each step of a walk
/// is a few cache misses in a row, and the walks' misses overlap.
pub(super) const LANES: usize = 8;

impl Compressed {
    /// Where a match of `depth` tokens starts whose reversed match starts
    /// at `reversed`: it ends just before `length - reversed`.
    fn start_of(&self, reversed: u64, depth: u32) -> u64 {
        self.length
            .saturating_sub(reversed)
            .saturating_sub(u64::from(depth))
    }

    /// Where, in the shard's tokens, the matches of `depth` tokens at each
    /// of `rows` start.
    pub(crate) fn starts(&self, rows: &[u64], depth: u32) -> Vec<u64> {
        self.locate_all(rows)
            .into_iter()
            .map(|reversed| self.start_of(reversed, depth))
            .collect()
    }

    /// The memo's slot for `row`: Fibonacci hashing spreads neighbouring
    /// rows over the slots.
    fn located_slot(&self, row: u64) -> &std::sync::atomic::AtomicU64 {
        &self.located[(row.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - LOCATED_BITS)) as usize]
    }

    /// The position in the reversed tokens where each of `rows`' suffixes
    /// starts: the ones located before from memory, the others by walks
    /// to their nearest sampled rows, `LANES` at a time, remembered.
    pub(super) fn locate_all(&self, rows: &[u64]) -> Vec<u64> {
        // Only a damaged file's walk finds no sample: 0 there.
        let mut found = vec![0u64; rows.len()];
        let mut pending = Vec::new();
        for (k, row) in rows.iter().enumerate() {
            let known = self.located_slot(*row).load(Ordering::Relaxed);
            match known >> 32 == row + 1 {
                true => found[k] = known & u64::from(u32::MAX),
                false => pending.push(k),
            }
        }
        for group in pending.chunks(LANES) {
            let mut at: Vec<u64> = group.iter().map(|k| rows[*k]).collect();
            let mut walked = vec![[SEPARATOR; SAMPLE as usize]; group.len()];
            let mut walking: Vec<usize> = (0..group.len()).collect();
            for steps in 0..=SAMPLE {
                // One line read gives both whether the row is sampled and
                // which sample it is.
                walking.retain(|lane| {
                    let (sampled, sample) = self.bit_and_rank1(self.layout.marks, at[*lane]);
                    if !sampled {
                        return true;
                    }
                    let reversed = self.entry(self.layout.samples, sample) + steps;
                    let row = rows[group[*lane]];
                    self.located_slot(row)
                        .store((row + 1) << 32 | reversed, Ordering::Relaxed);
                    self.keep_tail(reversed, &walked[*lane][..steps as usize]);
                    found[group[*lane]] = reversed;
                    false
                });
                if walking.is_empty() {
                    break;
                }
                let mut stepping: Vec<u64> = walking.iter().map(|lane| at[*lane]).collect();
                let mut tokens = [SEPARATOR; LANES];
                self.steps(&mut stepping, &mut tokens);
                for ((lane, next), token) in walking.iter().zip(stepping).zip(tokens) {
                    if let Some(walk) = walked[*lane].get_mut(steps as usize) {
                        *walk = token;
                    }
                    at[*lane] = next;
                }
            }
        }
        found
    }

    /// The `limit` smallest starts of the matches of `depth` tokens at the
    /// rows `range`, in order: the largest reversed positions, found by
    /// locating the rows of the blocks whose maxima could hold them (a
    /// block's maximum bounds its rows) rather than every row.
    pub(crate) fn smallest_starts(
        &self,
        (lo, hi): (usize, usize),
        depth: u32,
        limit: usize,
    ) -> Vec<u64> {
        let (lo, hi) = (lo as u64, hi.max(lo) as u64);
        let first_block = lo.div_ceil(MAXIMA_ROWS);
        let end_block = (hi / MAXIMA_ROWS).max(first_block);
        let (head, tail) = match first_block < end_block {
            true => (lo..first_block * MAXIMA_ROWS, end_block * MAXIMA_ROWS..hi),
            false => (lo..hi, hi..hi),
        };
        let ends: Vec<u64> = head.chain(tail).collect();
        let mut largest = self.locate_all(&ends);
        let keep = |largest: &mut Vec<u64>| {
            if largest.len() > limit {
                largest.select_nth_unstable_by(limit, |a, b| b.cmp(a));
                largest.truncate(limit);
            }
        };
        keep(&mut largest);
        let mut blocks: Vec<(u64, u64)> = (first_block..end_block)
            .map(|block| (self.entry(self.layout.maxima, block), block))
            .collect();
        blocks.sort_unstable_by(|a, b| b.cmp(a));
        for (maximum, block) in blocks {
            if largest.len() >= limit && largest.iter().all(|found| *found >= maximum) {
                break;
            }
            let rows: Vec<u64> = (block * MAXIMA_ROWS..(block + 1) * MAXIMA_ROWS).collect();
            largest.extend(self.locate_all(&rows));
            keep(&mut largest);
        }
        let mut starts: Vec<u64> = largest
            .into_iter()
            .map(|reversed| self.start_of(reversed, depth))
            .collect();
        starts.sort_unstable();
        starts
    }
}
