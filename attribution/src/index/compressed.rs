//! The compressed tier: a shard as one file holding an FM-index of its
//! tokens reversed (Ferragina and Manzini, 2000), in place of its tokens
//! and suffix array (6 bytes a token). The Burrows–Wheeler transform of
//! the reversed tokens is kept in a Huffman-shaped wavelet tree of four
//! branches a node, so a token costs its code's length in digits of two
//! bits plus an eighth for ranks, and an LF step reads a line a digit;
//! every `SAMPLE`-th position keeps its row for locating and extracting,
//! and every block of `MAXIMA_ROWS` rows its largest position: a passage
//! held in thousands of places has its first places by offset (the holder
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

use std::sync::{atomic::AtomicU64, Mutex};

use memmap2::Mmap;

use crate::tokenizer::{Token, SEPARATOR};
use decode::{Decoding, CACHED_BLOCKS};
use lines::{lines, superblocks, tree_lines, word_at, LINE_BYTES};
use tree::{tree_weights, Node, Tree, BRANCHES};
pub(crate) use write::file;

mod decode;
mod lines;
mod locate;
mod tree;
mod write;

/// Every `SAMPLE`-th position of the reversed tokens has its row sampled:
/// a locate walks at most this many steps, an extract decodes blocks of it.
pub(crate) const SAMPLE: u64 = 32;
/// Rows per block whose largest reversed position is kept (a bit a row).
const MAXIMA_ROWS: u64 = 32;
const MAGIC: &[u8; 8] = b"MLFMIDX3";
/// The layouts before: a binary tree (2), and before blocks' maxima (1).
const OLDER_MAGICS: [&[u8; 8]; 2] = [b"MLFMIDX1", b"MLFMIDX2"];
const HEADER_BYTES: usize = 64;
/// Slots of located rows per shard: 2^20, 8 MiB.
const LOCATED_BITS: u32 = 20;
/// A child in the tree: an internal node's index, or a leaf's token with
/// this bit set.
const LEAF: u32 = 1 << 31;
/// A branch a node does not have.
const NO_CHILD: u32 = u32::MAX;

/// Sections of the file, in bytes from its start.
struct Layout {
    tree: usize,
    supers: usize,
    marks: usize,
    samples: usize,
    isa: usize,
    maxima: usize,
    end: usize,
}

fn layout(rows: u64, digits: u64) -> Layout {
    let tree = HEADER_BYTES;
    let supers = tree + LINE_BYTES * tree_lines(digits);
    let marks = supers + 8 * BRANCHES * superblocks(digits);
    let samples = marks + LINE_BYTES * lines(rows);
    let sampled = (rows - 1) / SAMPLE + 1;
    let isa = samples + (4 * sampled as usize).next_multiple_of(8);
    let maxima = isa + 4 * (sampled as usize + 1);
    let end = maxima + 4 * rows.div_ceil(MAXIMA_ROWS) as usize;
    Layout {
        tree,
        supers,
        marks,
        samples,
        isa,
        maxima,
        end,
    }
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
    /// Per superblock of the tree's lines, how many of each digit came
    /// before it.
    supers: Vec<[u64; BRANCHES]>,
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
            Some(magic) if OLDER_MAGICS.iter().any(|older| magic == &older[..]) => {
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
        let layout = layout(length + 1, tree.digits);
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
        let supers = (0..superblocks(tree.digits))
            .map(|k| {
                let at = layout.supers + 8 * BRANCHES * k;
                std::array::from_fn(|digit| word_at(&map, at + 8 * digit))
            })
            .collect();
        let mut shard = Self {
            map,
            tree,
            layout,
            length,
            primary,
            first_row,
            supers,
            cache: (0..CACHED_BLOCKS).map(|_| Mutex::new(None)).collect(),
            located: (0..1 << LOCATED_BITS).map(|_| AtomicU64::new(0)).collect(),
        };
        for node in 0..shard.tree.nodes.len() {
            let start = shard.tree.nodes[node].start;
            shard.tree.nodes[node].before =
                std::array::from_fn(|digit| shard.rank(start, digit as u64));
        }
        Ok(shard)
    }

    /// Within node `node`, how many of its first `i` digits equal `branch`.
    fn rank_in(&self, node: &Node, i: u64, branch: u64) -> u64 {
        self.rank(node.start.saturating_add(i), branch)
            .saturating_sub(node.before[branch as usize])
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
            let branch = code >> (2 * depth) & 3;
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

    /// One level of an LF step: from digit `i` of node `node`, the child
    /// and the digit there.
    fn descend(&self, node: usize, i: u64) -> Descent {
        let here = &self.tree.nodes[node];
        let (digit, rank) = self.digit_and_rank(here.start.saturating_add(i));
        let at = rank.saturating_sub(here.before[digit as usize]);
        match here.children[digit as usize] {
            // Only a forged file leads to a branch the node lacks.
            NO_CHILD => Descent::Leaf(SEPARATOR, at),
            child if child & LEAF == 0 => Descent::Node(child as usize, at),
            child => Descent::Leaf((child & !LEAF) as Token, at),
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
        self.starts(&[row as u64], depth)[0]
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
