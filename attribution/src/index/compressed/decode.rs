//! Reading a compressed shard's tokens: blocks decoded from their
//! samples, kept in a cache, several side by side.

use super::{locate::LANES, Compressed, Descent, SAMPLE};
use crate::tokenizer::{Token, SEPARATOR};

/// Decoded blocks kept per shard, each in the slot of its number modulo
/// this: an extension reads a few blocks around its chain, over and over,
/// and an output's hundreds of chains fit without evicting each other
/// (1 024 slots lost a tenth of the speed to collisions). About 2 MiB.
pub(super) const CACHED_BLOCKS: usize = 1 << 14;
/// Blocks decoded side by side, at most: the walks' cache misses overlap
/// (a block costs a quarter less, 2 at a time, on the machine measured).
const READ_AHEAD: usize = 4;

/// A block being decoded: its number, its first `decoded` tokens, and,
/// once decoding has begun, the row whose step gives the next (decoding
/// runs forwards through the shard); its tokens from `tail` on are known
/// too, read by a locate's walk. The tokens sit in the slot itself, not
/// behind a pointer.
pub(super) struct Decoding {
    block: u64,
    row: u64,
    decoded: usize,
    tail: usize,
    tokens: [Token; SAMPLE as usize],
}

impl Compressed {
    /// Keeps the tokens a locate walked from reversed position `reversed`
    /// to a sample: they end their block, and are what an extension past
    /// the match located reads next.
    pub(super) fn keep_tail(&self, reversed: u64, walked: &[Token]) {
        let Some(first_position) = self.length.checked_sub(reversed) else {
            return;
        };
        if walked.is_empty() || first_position >= self.length {
            return;
        }
        let (block, first) = self.block_of(first_position);
        let tail = (first_position - first) as usize;
        if tail + walked.len() > SAMPLE as usize {
            // Only a damaged file's walk outruns its block.
            return;
        }
        self.in_block(block, |decoding| {
            if tail < decoding.tail {
                decoding.tokens[tail..tail + walked.len()].copy_from_slice(walked);
                decoding.tail = tail;
            }
        });
    }

    /// `read` on block `block` in its cache slot, started afresh if the
    /// slot holds another block.
    fn in_block<R>(&self, block: u64, read: impl FnOnce(&mut Decoding) -> R) -> R {
        let slot = &self.cache[block as usize % CACHED_BLOCKS];
        let mut slot = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let decoding = match &mut *slot {
            Some(decoding) if decoding.block == block => decoding,
            // The block's sampled row is read when decoding begins: a
            // locate's tail alone never needs it.
            _ => slot.insert(Decoding {
                block,
                row: 0,
                decoded: 0,
                tail: SAMPLE as usize,
                tokens: [SEPARATOR; SAMPLE as usize],
            }),
        };
        read(decoding)
    }

    /// The sampled row block `block` is decoded from.
    fn block_start_row(&self, block: u64) -> u64 {
        self.entry(self.layout.isa, block)
    }

    /// The token at `position` ([`SEPARATOR`] past the end), decoded from
    /// its block's sample up to it; the block is kept, and read on from
    /// there by the next that needs more of it: a single token costs the
    /// steps up to it, not the block's.
    pub(crate) fn token(&self, position: u64) -> Token {
        if position >= self.length {
            return SEPARATOR;
        }
        let (block, first) = self.block_of(position);
        let offset = (position - first) as usize;
        self.in_block(block, |decoding| {
            if decoding.decoded == 0 && offset < decoding.tail {
                decoding.row = self.block_start_row(block);
            }
            // A block holds at most SAMPLE tokens, so `offset` is inside it.
            while decoding.decoded <= offset && offset < decoding.tail {
                let (token, next) = self.step(decoding.row);
                decoding.tokens[decoding.decoded] = token;
                decoding.decoded += 1;
                decoding.row = next;
            }
            decoding.tokens[offset]
        })
    }

    /// The tokens at `range` (cut at the shard's end): the blocks the
    /// cache holds whole from there, the others decoded `READ_AHEAD` side
    /// by side and kept (a chain weighed again reads the document's
    /// passage ending at each of its tokens: the same few blocks, over and
    /// over).
    pub(crate) fn tokens(&self, range: std::ops::Range<u64>) -> Vec<Token> {
        let (start, end) = (range.start.min(self.length), range.end.min(self.length));
        if start >= end {
            return Vec::new();
        }
        let (first_block, first) = self.block_of(start);
        let (last_block, _) = self.block_of(end - 1);
        let numbers: Vec<u64> = (last_block..=first_block).rev().collect();
        let mut blocks: Vec<Option<Vec<Token>>> =
            numbers.iter().map(|block| self.cached(*block)).collect();
        let missing: Vec<usize> = (0..numbers.len())
            .filter(|k| blocks[*k].is_none())
            .collect();
        for group in missing.chunks(READ_AHEAD) {
            let group_numbers: Vec<u64> = group.iter().map(|k| numbers[*k]).collect();
            for (k, decoded) in group.iter().zip(self.decode(&group_numbers)) {
                self.keep_whole(numbers[*k], &decoded);
                blocks[*k] = Some(decoded);
            }
        }
        let mut tokens: Vec<Token> = blocks.into_iter().flatten().flatten().collect();
        tokens.drain(..(start - first) as usize);
        tokens.truncate((end - start) as usize);
        tokens
    }

    /// Block `block`'s tokens, if its cache slot holds them all; a slot
    /// holding another block is left as it is.
    fn cached(&self, block: u64) -> Option<Vec<Token>> {
        let size = self.block_size(block) as usize;
        let slot = &self.cache[block as usize % CACHED_BLOCKS];
        let slot = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match &*slot {
            Some(decoding)
                if decoding.block == block && decoding.decoded >= decoding.tail.min(size) =>
            {
                Some(decoding.tokens[..size].to_vec())
            }
            _ => None,
        }
    }

    /// Keeps block `block`, decoded whole, in its cache slot.
    fn keep_whole(&self, block: u64, decoded: &[Token]) {
        let mut tokens = [SEPARATOR; SAMPLE as usize];
        tokens[..decoded.len()].copy_from_slice(decoded);
        let slot = &self.cache[block as usize % CACHED_BLOCKS];
        *slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Decoding {
            block,
            row: 0,
            decoded: decoded.len(),
            tail: SAMPLE as usize,
            tokens,
        });
    }

    /// How many tokens block `block` holds: `SAMPLE`, but for the shard's
    /// first block, which may be short.
    fn block_size(&self, block: u64) -> u64 {
        (block * SAMPLE).min(self.length) - (block - 1) * SAMPLE
    }

    /// The block holding `position` (below the length), and where it starts.
    fn block_of(&self, position: u64) -> (u64, u64) {
        // Reversed position q = length - position holds it as R[q - 1].
        let block = (self.length - position).div_ceil(SAMPLE);
        (block, self.length.saturating_sub(block * SAMPLE))
    }

    /// Blocks `numbers` (up to `READ_AHEAD` of them), decoded side by
    /// side. Block k holds the tokens at [length − k·SAMPLE, length −
    /// (k−1)·SAMPLE), decoded from the sampled row of reversed position
    /// k·SAMPLE.
    fn decode(&self, numbers: &[u64]) -> Vec<Vec<Token>> {
        let numbers = &numbers[..numbers.len().min(READ_AHEAD)];
        let sizes: Vec<u64> = numbers
            .iter()
            .map(|block| self.block_size(*block))
            .collect();
        let mut rows: Vec<u64> = numbers
            .iter()
            .map(|block| self.block_start_row(*block))
            .collect();
        let mut tokens: Vec<Vec<Token>> = sizes
            .iter()
            .map(|size| Vec::with_capacity(*size as usize))
            .collect();
        // Only the shard's first block may be short: it ends the others'
        // steps, and then takes its own last ones alone.
        let together = sizes.iter().copied().min().unwrap_or(0);
        let mut stepped = [SEPARATOR; READ_AHEAD];
        for _ in 0..together {
            self.steps(&mut rows, &mut stepped);
            for (decoded, token) in tokens.iter_mut().zip(stepped) {
                decoded.push(token);
            }
        }
        for ((row, size), decoded) in rows.iter_mut().zip(&sizes).zip(&mut tokens) {
            while (decoded.len() as u64) < *size {
                let (token, next) = self.step(*row);
                decoded.push(token);
                *row = next;
            }
        }
        tokens
    }

    /// LF steps from each of `rows` (up to `LANES`) side by side, a
    /// level of the tree at a time: one walk's line read does not wait for
    /// another's, so their cache misses overlap. Each row becomes the one
    /// its step leads to, and its token is written to `tokens`.
    pub(super) fn steps(&self, rows: &mut [u64], tokens: &mut [Token]) {
        let mut walks = [(0usize, 0u64, false); LANES];
        for (walk, row) in walks.iter_mut().zip(rows.iter()) {
            *walk = (self.tree.root(), *row, true);
        }
        let mut walking = rows.len().min(LANES);
        while walking > 0 {
            for (k, walk) in walks.iter_mut().enumerate().take(rows.len()) {
                let (node, i, true) = *walk else { continue };
                match self.descend(node, i) {
                    Descent::Node(child, at) => *walk = (child, at, true),
                    Descent::Leaf(token, at) => {
                        let (token, next) = self.lf(rows[k], token, at);
                        tokens[k] = token;
                        rows[k] = next;
                        walk.2 = false;
                        walking -= 1;
                    }
                }
            }
        }
    }
}
