//! The compressed tier: a shard as one file holding an FM-index of its
//! tokens reversed (Ferragina and Manzini, 2000), in place of its tokens
//! and suffix array (6 bytes a token). The Burrows–Wheeler transform of
//! the reversed tokens is kept in a Huffman-shaped wavelet tree, so a
//! token costs its code's length in bits plus an eighth for ranks; every
//! `SAMPLE`-th position keeps its row for locating and extracting, and
//! every block of `MAXIMA_ROWS` rows its largest position: a passage held
//! in thousands of places has its first places by offset (the holder
//! rule's) found by locating the rows of a few blocks, not all of them.
//!
//! Why reversed: an FM-index extends a pattern to the left, and the engine
//! extends its matches to the right. Over the reversed tokens, a step of
//! backward search adds the next output token after the match, so every
//! search the engine makes is the same number of steps on either tier,
//! with the same counts.
//!
//! Rows: row 0 is the empty suffix; row r > 0 is the reversed text's
//! suffix at `SA[r - 1]`. The row whose suffix is the whole reversed text
//! has no preceding token; the tree stores [`SEPARATOR`] there (no search
//! asks for a separator) and `primary` names that row.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Mutex,
};

use memmap2::Mmap;

use crate::tokenizer::{Token, SEPARATOR};
use tree::{tree_weights, Node, Tree};
pub(crate) use write::file;

mod tree;
mod write;

/// Every `SAMPLE`-th position of the reversed tokens has its row sampled:
/// a locate walks at most this many steps, an extract decodes blocks of it.
pub(crate) const SAMPLE: u64 = 32;
/// Rows per block whose largest reversed position is kept (a bit a row).
const MAXIMA_ROWS: u64 = 32;
const MAGIC: &[u8; 8] = b"MLFMIDX2";
/// The layout before blocks' maxima were kept.
const OLDER_MAGIC: &[u8; 8] = b"MLFMIDX1";
const HEADER_BYTES: usize = 64;
/// A line is one cache line: the ones before it, then 448 bits.
const LINE_BITS: u64 = 448;
const LINE_BYTES: usize = 64;
/// Decoded blocks kept per shard, each in the slot of its number modulo
/// this: an extension reads a few blocks around its chain, over and over,
/// and an output's hundreds of chains fit without evicting each other
/// (1 024 slots lost a tenth of the speed to collisions). About 2 MiB.
const CACHED_BLOCKS: usize = 1 << 14;
/// Blocks decoded side by side, at most: the walks' cache misses overlap
/// (a block costs a quarter less, 2 at a time, on the machine measured).
const READ_AHEAD: usize = 4;
/// Slots of located rows per shard: 2^20, 8 MiB.
const LOCATED_BITS: u32 = 20;
/// A child in the tree: an internal node's index, or a leaf's token with
/// this bit set.
const LEAF: u32 = 1 << 31;

/// Sections of the file, in bytes from its start.
struct Layout {
    tree: usize,
    marks: usize,
    samples: usize,
    isa: usize,
    maxima: usize,
    end: usize,
}

fn lines(bits: u64) -> usize {
    bits.div_ceil(LINE_BITS) as usize
}

fn layout(rows: u64, tree_bits: u64) -> Layout {
    let tree = HEADER_BYTES;
    let marks = tree + LINE_BYTES * lines(tree_bits);
    let samples = marks + LINE_BYTES * lines(rows);
    let sampled = (rows - 1) / SAMPLE + 1;
    let isa = samples + (4 * sampled as usize).next_multiple_of(8);
    let maxima = isa + 4 * (sampled as usize + 1);
    let end = maxima + 4 * rows.div_ceil(MAXIMA_ROWS) as usize;
    Layout {
        tree,
        marks,
        samples,
        isa,
        maxima,
        end,
    }
}

/// A block being decoded: its number, its first `decoded` tokens, and the
/// row whose step gives the next (decoding runs forwards through the
/// shard). The tokens sit in the slot itself, not behind a pointer.
struct Decoding {
    block: u64,
    row: u64,
    decoded: usize,
    tokens: [Token; SAMPLE as usize],
}

/// One level of an LF step: an internal node and the bit there, or a leaf.
enum Descent {
    Node(usize, u64),
    Leaf(Token, u64),
}

/// An opened compressed shard.
pub(crate) struct Compressed {
    map: Mmap,
    tree: Tree,
    layout: Layout,
    /// Tokens of the shard (separators included).
    length: u64,
    primary: u64,
    /// Per token, the first row of its suffixes; one bound more at the end.
    first_row: Vec<u64>,
    cache: Vec<Mutex<Option<Decoding>>>,
    /// Rows located so far, each as (row + 1) << 32 | position, in the
    /// slot its hash names: an output that repeats itself, or a passage
    /// held in thousands of places, locates each row once.
    located: Vec<AtomicU64>,
}

impl Compressed {
    /// Reads the file of a shard of `counts` (already checked against its
    /// hash): its header and sizes must be the ones the counts give.
    pub(crate) fn open(map: Mmap, counts: &[u64]) -> Result<Self, String> {
        let map = in_huge_pages(map);
        let length: u64 = counts.iter().sum();
        let tree = Tree::new(&tree_weights(counts)).ok_or("its counts give no code tree")?;
        let header = |k: usize| {
            map.get(8 * k..8 * k + 8)
                .map(|word| u64::from_le_bytes(word.try_into().expect("8 bytes")))
        };
        match map.get(..8) {
            Some(magic) if magic == &MAGIC[..] => {}
            Some(magic) if magic == &OLDER_MAGIC[..] => {
                return Err("a compressed shard of an older layout (rebuild the index)".into())
            }
            _ => return Err("not a compressed shard".into()),
        }
        let (rows, sample, primary) = (header(1), header(2), header(3));
        if rows != Some(length + 1) || sample != Some(SAMPLE) {
            return Err(format!(
                "its header says {rows:?} rows sampled every {sample:?}, the counts give {} rows sampled every {SAMPLE}",
                length + 1
            ));
        }
        let primary = primary
            .filter(|row| *row <= length)
            .ok_or("no primary row")?;
        let layout = layout(length + 1, tree.bits);
        if map.len() != layout.end {
            return Err(format!(
                "{} bytes, its counts give {}",
                map.len(),
                layout.end
            ));
        }
        let mut first_row = Vec::with_capacity(counts.len() + 1);
        let mut row = 1u64;
        for count in counts {
            first_row.push(row);
            row += count;
        }
        first_row.push(row);
        let mut shard = Self {
            map,
            tree,
            layout,
            length,
            primary,
            first_row,
            cache: (0..CACHED_BLOCKS).map(|_| Mutex::new(None)).collect(),
            located: (0..1 << LOCATED_BITS).map(|_| AtomicU64::new(0)).collect(),
        };
        for node in 0..shard.tree.nodes.len() {
            let start = shard.tree.nodes[node].start;
            shard.tree.nodes[node].ones_before = shard.rank1(shard.layout.tree, start);
        }
        Ok(shard)
    }

    /// Word `k` from `byte` (0 past the end: a damaged file reads wrong
    /// but never out of bounds).
    fn word(&self, byte: usize) -> u64 {
        self.map
            .get(byte..byte.saturating_add(8))
            .map_or(0, |word| {
                u64::from_le_bytes(word.try_into().expect("8 bytes"))
            })
    }

    /// Ones among bits [0, i) of the bits at `base`.
    fn rank1(&self, base: usize, i: u64) -> u64 {
        self.bit_and_rank1(base, i).1
    }

    /// Bit `i` of the bits at `base`, and the ones before it: one line read.
    ///
    /// A forged file's counts and positions may be anything: they wrap
    /// and saturate, and read wrong rather than panic.
    fn bit_and_rank1(&self, base: usize, i: u64) -> (bool, u64) {
        let line = (i / LINE_BITS)
            .saturating_mul(LINE_BYTES as u64)
            .saturating_add(base as u64) as usize;
        let within = i % LINE_BITS;
        let mut ones = self.word(line);
        let full = (within / 64) as usize;
        for k in 0..full {
            ones = ones.wrapping_add(u64::from(
                self.word(line.saturating_add(8 + 8 * k)).count_ones(),
            ));
        }
        let word = self.word(line.saturating_add(8 + 8 * full));
        let rest = within % 64;
        ones = ones.wrapping_add(u64::from((word & ((1u64 << rest) - 1)).count_ones()));
        (word >> rest & 1 == 1, ones)
    }

    /// Within node `node`, how many of its first `i` bits equal `branch`.
    fn rank_in(&self, node: &Node, i: u64, branch: u64) -> u64 {
        let ones = self
            .rank1(self.layout.tree, node.start.saturating_add(i))
            .saturating_sub(node.ones_before);
        match branch {
            1 => ones,
            _ => i.saturating_sub(ones),
        }
    }

    /// The rows of suffixes starting with `token`.
    pub(crate) fn first(&self, token: Token) -> (usize, usize) {
        let token = usize::from(token);
        (
            self.first_row[token] as usize,
            self.first_row[token + 1] as usize,
        )
    }

    /// One step of backward search: of the rows `range`, whose suffixes
    /// start with a (reversed) match, the rows of the match followed by
    /// `token`.
    pub(crate) fn narrow(&self, range: (usize, usize), token: Token) -> (usize, usize) {
        let (code, length) = self.tree.codes[usize::from(token)];
        if length == 0 || token == SEPARATOR {
            return (0, 0);
        }
        let (mut lo, mut hi) = (range.0 as u64, range.1 as u64);
        let mut node = self.tree.root();
        for depth in 0..length {
            let branch = code >> depth & 1;
            let here = &self.tree.nodes[node];
            lo = self.rank_in(here, lo, branch);
            hi = self.rank_in(here, hi, branch);
            let child = here.children[branch as usize];
            if child & LEAF == 0 {
                node = child as usize;
            }
        }
        // Within the token's rows whatever the file says: a forged file
        // reads wrong, never out of bounds or wider than the token's count.
        let (first, end) = (
            self.first_row[usize::from(token)],
            self.first_row[usize::from(token) + 1],
        );
        let lo = first.saturating_add(lo).min(end);
        (
            lo as usize,
            first.saturating_add(hi).clamp(lo, end) as usize,
        )
    }

    /// The token before row `row`'s suffix, and the row of the suffix
    /// starting there (LF).
    fn step(&self, row: u64) -> (Token, u64) {
        let (mut node, mut i) = (self.tree.root(), row);
        loop {
            match self.descend(node, i) {
                Descent::Node(child, at) => (node, i) = (child, at),
                Descent::Leaf(token, at) => return self.lf(row, token, at),
            }
        }
    }

    /// LF steps from each of `rows` side by side, a level of the tree at a
    /// time: one walk's line read does not wait for another's, so their
    /// cache misses overlap. Each row becomes the one its step leads to,
    /// and its token is pushed to its list.
    fn steps(&self, rows: &mut [u64], tokens: &mut [Vec<Token>]) {
        let mut walks = [(0usize, 0u64, false); READ_AHEAD];
        for (walk, row) in walks.iter_mut().zip(rows.iter()) {
            *walk = (self.tree.root(), *row, true);
        }
        let mut walking = rows.len().min(READ_AHEAD);
        while walking > 0 {
            for (k, walk) in walks.iter_mut().enumerate().take(rows.len()) {
                let (node, i, true) = *walk else { continue };
                match self.descend(node, i) {
                    Descent::Node(child, at) => *walk = (child, at, true),
                    Descent::Leaf(token, at) => {
                        let (token, next) = self.lf(rows[k], token, at);
                        tokens[k].push(token);
                        rows[k] = next;
                        walk.2 = false;
                        walking -= 1;
                    }
                }
            }
        }
    }

    /// One level of an LF step: from bit `i` of node `node`, the child and
    /// the bit there.
    fn descend(&self, node: usize, i: u64) -> Descent {
        let here = &self.tree.nodes[node];
        let (bit, ones) = self.bit_and_rank1(self.layout.tree, here.start.saturating_add(i));
        let ones = ones.saturating_sub(here.ones_before);
        let at = match bit {
            true => ones,
            false => i.saturating_sub(ones),
        };
        let child = here.children[usize::from(bit)];
        match child & LEAF {
            0 => Descent::Node(child as usize, at),
            _ => Descent::Leaf((child & !LEAF) as Token, at),
        }
    }

    /// Where the step from row `row` that reached `token`'s leaf at bit
    /// `at` leads.
    fn lf(&self, row: u64, token: Token, at: u64) -> (Token, u64) {
        // The primary row's separator stands for no token.
        let at = match token == SEPARATOR && row > self.primary {
            true => at.saturating_sub(1),
            false => at,
        };
        (token, self.first_row[usize::from(token)].saturating_add(at))
    }

    /// Whether, in the shard's order, `token` follows the match at row
    /// `row` (the token before its reversed suffix).
    pub(crate) fn follows(&self, row: usize, token: Token) -> bool {
        row as u64 != self.primary && self.step(row as u64).0 == token
    }

    /// Where, in the shard's tokens, the match of `depth` tokens at row
    /// `row` starts.
    pub(crate) fn start(&self, row: usize, depth: u32) -> u64 {
        // The reversed match starts at `reversed`: the match ends just
        // before `length - reversed`.
        self.length
            .saturating_sub(self.locate(row as u64))
            .saturating_sub(u64::from(depth))
    }

    /// The position in the reversed tokens where row `row`'s suffix
    /// starts: a walk to the nearest sampled row, remembered.
    fn locate(&self, row: u64) -> u64 {
        // Fibonacci hashing spreads neighbouring rows over the slots.
        let slot = &self.located
            [(row.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - LOCATED_BITS)) as usize];
        let known = slot.load(Ordering::Relaxed);
        if known >> 32 == row + 1 {
            return known & u64::from(u32::MAX);
        }
        let mut at = row;
        for steps in 0..=SAMPLE {
            // One line read gives both whether the row is sampled and
            // which sample it is.
            let (sampled, sample) = self.bit_and_rank1(self.layout.marks, at);
            if sampled {
                let reversed = self.entry(self.layout.samples, sample) + steps;
                slot.store((row + 1) << 32 | reversed, Ordering::Relaxed);
                return reversed;
            }
            at = self.step(at).1;
        }
        // Only a damaged file walks this far.
        0
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
        let mut largest: Vec<u64> = head.chain(tail).map(|row| self.locate(row)).collect();
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
            let rows = block * MAXIMA_ROWS..(block + 1) * MAXIMA_ROWS;
            largest.extend(rows.map(|row| self.locate(row)));
            keep(&mut largest);
        }
        let mut starts: Vec<u64> = largest
            .into_iter()
            .map(|reversed| {
                self.length
                    .saturating_sub(reversed)
                    .saturating_sub(u64::from(depth))
            })
            .collect();
        starts.sort_unstable();
        starts
    }

    /// Entry `k` of the table of u32s at `section` (0 past the file's end:
    /// a damaged file reads wrong but never out of bounds).
    fn entry(&self, section: usize, k: u64) -> u64 {
        let byte = (k as usize).saturating_mul(4).saturating_add(section);
        self.map
            .get(byte..byte.saturating_add(4))
            .map_or(0, |word| {
                u64::from(u32::from_le_bytes(word.try_into().expect("4 bytes")))
            })
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
        let slot = &self.cache[block as usize % CACHED_BLOCKS];
        let mut slot = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let decoding = match &mut *slot {
            Some(decoding) if decoding.block == block => decoding,
            _ => slot.insert(Decoding {
                block,
                row: self.block_start_row(block),
                decoded: 0,
                tokens: [SEPARATOR; SAMPLE as usize],
            }),
        };
        // A block holds at most SAMPLE tokens, so `offset` is inside it.
        while decoding.decoded <= offset {
            let (token, next) = self.step(decoding.row);
            decoding.tokens[decoding.decoded] = token;
            decoding.decoded += 1;
            decoding.row = next;
        }
        decoding.tokens[offset]
    }

    /// The tokens at `range` (cut at the shard's end), decoded
    /// `READ_AHEAD` blocks side by side.
    pub(crate) fn tokens(&self, range: std::ops::Range<u64>) -> Vec<Token> {
        let (start, end) = (range.start.min(self.length), range.end.min(self.length));
        let mut tokens = Vec::with_capacity((end.saturating_sub(start)) as usize);
        if start >= end {
            return tokens;
        }
        let (first_block, first) = self.block_of(start);
        let (last_block, _) = self.block_of(end - 1);
        let numbers: Vec<u64> = (last_block..=first_block).rev().collect();
        for group in numbers.chunks(READ_AHEAD) {
            for decoded in self.decode(group) {
                tokens.extend(decoded);
            }
        }
        tokens.drain(..(start - first) as usize);
        tokens.truncate((end - start) as usize);
        tokens
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
            .map(|block| (block * SAMPLE).min(self.length) - (block - 1) * SAMPLE)
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
        for _ in 0..together {
            self.steps(&mut rows, &mut tokens);
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
}

/// The file copied into memory the kernel may back with huge pages
/// (transparent huge pages on Linux), or as mapped if it cannot: every
/// search step reads a few random lines of it, and with 4 KiB pages each
/// read also misses the TLB.
fn in_huge_pages(map: Mmap) -> Mmap {
    let Ok(mut copy) = memmap2::MmapMut::map_anon(map.len()) else {
        return map;
    };
    #[cfg(target_os = "linux")]
    let _ = copy.advise(memmap2::Advice::HugePage);
    copy.copy_from_slice(&map);
    copy.make_read_only().unwrap_or(map)
}

#[cfg(test)]
mod tests;
