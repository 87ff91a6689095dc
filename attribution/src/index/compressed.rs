//! The compressed tier: a shard as one file holding an FM-index of its
//! tokens reversed (Ferragina and Manzini, 2000), in place of its tokens
//! and suffix array (6 bytes a token). The Burrows–Wheeler transform of
//! the reversed tokens is kept in a Huffman-shaped wavelet tree, so a
//! token costs its code's length in bits plus an eighth for ranks; every
//! `SAMPLE`-th position keeps its row for locating and extracting.
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

use std::{
    collections::BinaryHeap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use memmap2::Mmap;

use crate::tokenizer::{Token, SEPARATOR};

/// Every `SAMPLE`-th position of the reversed tokens has its row sampled:
/// a locate walks at most this many steps, an extract decodes blocks of it.
pub(crate) const SAMPLE: u64 = 32;
const MAGIC: &[u8; 8] = b"MLFMIDX1";
const HEADER_BYTES: usize = 64;
/// A line is one cache line: the ones before it, then 448 bits.
const LINE_BITS: u64 = 448;
const LINE_BYTES: usize = 64;
/// Decoded blocks kept per shard, each in the slot of its number modulo
/// this: an extension reads a few blocks around its chain, over and over.
const CACHED_BLOCKS: usize = 1024;
/// Slots of located rows per shard: 2^20, 8 MiB.
const LOCATED_BITS: u32 = 20;
/// A child in the tree: an internal node's index, or a leaf's token with
/// this bit set.
const LEAF: u32 = 1 << 31;

/// The Huffman tree of a shard's tokens, derived from its counts alone, so
/// a build and an open derive the same one.
pub(crate) struct Tree {
    nodes: Vec<Node>,
    /// Per token: its code (bit k is the branch taken at depth k) and its
    /// length; length 0 for a token the shard does not hold.
    codes: Vec<(u64, u8)>,
    /// Bits in all the nodes.
    bits: u64,
}

struct Node {
    /// Where its bits start among all the nodes' bits.
    start: u64,
    /// Ones before `start` (set when the file is opened).
    ones_before: u64,
    children: [u32; 2],
}

impl Tree {
    /// Huffman over `weights` (one per token; ties by the lower token, then
    /// by the earlier node): deterministic. `None` if the code would be
    /// longer than 64 bits or there are fewer than two tokens.
    pub(crate) fn new(weights: &[u64]) -> Option<Self> {
        let mut heap: BinaryHeap<std::cmp::Reverse<(u64, u32, u32)>> = weights
            .iter()
            .enumerate()
            .filter(|(_, weight)| **weight > 0)
            .map(|(token, weight)| std::cmp::Reverse((*weight, token as u32, token as u32 | LEAF)))
            .collect();
        if heap.len() < 2 {
            return None;
        }
        let mut nodes = Vec::with_capacity(heap.len());
        let mut bits = 0u64;
        while let (Some(std::cmp::Reverse(a)), Some(std::cmp::Reverse(b))) =
            (heap.pop(), heap.pop())
        {
            let weight = a.0 + b.0;
            let id = nodes.len() as u32;
            nodes.push(Node {
                start: bits,
                ones_before: 0,
                children: [a.2, b.2],
            });
            bits += weight;
            if heap.is_empty() {
                break;
            }
            heap.push(std::cmp::Reverse((weight, weights.len() as u32 + id, id)));
        }
        let mut codes = vec![(0u64, 0u8); weights.len()];
        let mut stack = vec![(nodes.len() as u32 - 1, 0u64, 0u8)];
        while let Some((node, code, length)) = stack.pop() {
            if length >= 64 {
                return None;
            }
            for (branch, child) in nodes[node as usize].children.iter().enumerate() {
                let code = code | (branch as u64) << length;
                match child & LEAF {
                    0 => stack.push((*child, code, length + 1)),
                    _ => codes[(child & !LEAF) as usize] = (code, length + 1),
                }
            }
        }
        Some(Self { nodes, codes, bits })
    }

    fn root(&self) -> usize {
        self.nodes.len() - 1
    }
}

/// The weights the tree is built on: the shard's counts, with the
/// separator counted once more for the row without a preceding token.
pub(crate) fn tree_weights(counts: &[u64]) -> Vec<u64> {
    let mut weights = counts.to_vec();
    weights[usize::from(SEPARATOR)] += 1;
    weights
}

/// Sections of the file, in bytes from its start.
struct Layout {
    tree: usize,
    marks: usize,
    samples: usize,
    isa: usize,
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
    let end = isa + 4 * (sampled as usize + 1);
    Layout {
        tree,
        marks,
        samples,
        isa,
        end,
    }
}

/// A block's number and its tokens.
type DecodedBlock = (u64, Arc<Vec<Token>>);

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
    cache: Vec<Mutex<Option<DecodedBlock>>>,
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
        if map.get(..8) != Some(&MAGIC[..]) {
            return Err("not a compressed shard".into());
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
        let mut node = self.tree.root();
        let mut i = row;
        loop {
            let here = &self.tree.nodes[node];
            let (bit, ones) = self.bit_and_rank1(self.layout.tree, here.start.saturating_add(i));
            let ones = ones.saturating_sub(here.ones_before);
            let branch = u64::from(bit);
            i = match bit {
                true => ones,
                false => i.saturating_sub(ones),
            };
            let child = here.children[branch as usize];
            if child & LEAF != 0 {
                let token = (child & !LEAF) as Token;
                // The primary row's separator stands for no token.
                if token == SEPARATOR && row > self.primary {
                    i = i.saturating_sub(1);
                }
                return (token, self.first_row[usize::from(token)].saturating_add(i));
            }
            node = child as usize;
        }
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
                let sample = sample as usize;
                let reversed = self
                    .u32_at(self.layout.samples.saturating_add(sample.saturating_mul(4)))
                    + steps;
                slot.store((row + 1) << 32 | reversed, Ordering::Relaxed);
                return reversed;
            }
            at = self.step(at).1;
        }
        // Only a damaged file walks this far.
        0
    }

    fn u32_at(&self, byte: usize) -> u64 {
        self.map
            .get(byte..byte.saturating_add(4))
            .map_or(0, |word| {
                u64::from(u32::from_le_bytes(word.try_into().expect("4 bytes")))
            })
    }

    /// The token at `position` ([`SEPARATOR`] past the end), decoded with
    /// its block, which is kept for the next.
    pub(crate) fn token(&self, position: u64) -> Token {
        if position >= self.length {
            return SEPARATOR;
        }
        let (block, first) = self.block_of(position);
        let slot = &self.cache[block as usize % CACHED_BLOCKS];
        let cached = {
            let slot = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            slot.as_ref()
                .filter(|(number, _)| *number == block)
                .map(|(_, tokens)| tokens.clone())
        };
        let tokens = cached.unwrap_or_else(|| {
            let tokens = Arc::new(self.block(block));
            *slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
                Some((block, tokens.clone()));
            tokens
        });
        tokens
            .get((position - first) as usize)
            .copied()
            .unwrap_or(SEPARATOR)
    }

    /// The tokens at `range` (cut at the shard's end), block after block.
    pub(crate) fn tokens(&self, range: std::ops::Range<u64>) -> Vec<Token> {
        let (start, end) = (range.start.min(self.length), range.end.min(self.length));
        let mut tokens = Vec::with_capacity((end.saturating_sub(start)) as usize);
        let mut position = start;
        while position < end {
            let (block, first) = self.block_of(position);
            let decoded = self.block(block);
            let from = (position - first) as usize;
            let take = (decoded.len() - from).min((end - position) as usize);
            tokens.extend_from_slice(&decoded[from..from + take]);
            position += take as u64;
        }
        tokens
    }

    /// The block holding `position` (below the length), and where it starts.
    fn block_of(&self, position: u64) -> (u64, u64) {
        // Reversed position q = length - position holds it as R[q - 1].
        let block = (self.length - position).div_ceil(SAMPLE);
        (block, self.length.saturating_sub(block * SAMPLE))
    }

    /// Block k: the tokens at [length − k·SAMPLE, length − (k−1)·SAMPLE),
    /// decoded from the sampled row of reversed position k·SAMPLE.
    fn block(&self, block: u64) -> Vec<Token> {
        let top = (block * SAMPLE).min(self.length);
        let bottom = (block - 1) * SAMPLE;
        let mut row = self.u32_at(self.layout.isa + 4 * block as usize);
        let mut tokens = Vec::with_capacity((top - bottom) as usize);
        for _ in bottom..top {
            let (token, next) = self.step(row);
            tokens.push(token);
            row = next;
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

/// The file of a compressed shard over `tokens` whose reversed tokens'
/// suffix array is `reversed_suffixes` (from libsais16) and whose counts
/// are `counts`.
pub(crate) fn file(tokens: &[Token], reversed_suffixes: &[i32], counts: &[u64]) -> Vec<u8> {
    let length = tokens.len() as u64;
    let rows = length + 1;
    let tree = Tree::new(&tree_weights(counts)).expect("a shard holds a token and a separator");
    // The reversed text's token at q is tokens[length - 1 - q].
    let before = |suffix: u64| tokens[(length - suffix) as usize];
    let suffix_of = |row: u64| match row {
        0 => length,
        _ => reversed_suffixes[row as usize - 1] as u64,
    };
    let mut tree_words = vec![0u64; tree.bits.div_ceil(64) as usize];
    let mut filled = vec![0u64; tree.nodes.len()];
    let mut mark_words = vec![0u64; rows.div_ceil(64) as usize];
    let mut samples = Vec::with_capacity(((rows - 1) / SAMPLE + 1) as usize);
    let mut isa = vec![0u32; ((rows - 1) / SAMPLE + 2) as usize];
    let mut primary = 0;
    for row in 0..rows {
        let suffix = suffix_of(row);
        let token = match suffix {
            0 => {
                primary = row;
                SEPARATOR
            }
            _ => before(suffix),
        };
        if suffix % SAMPLE == 0 {
            mark_words[(row / 64) as usize] |= 1 << (row % 64);
            samples.push(suffix as u32);
            isa[(suffix / SAMPLE) as usize] = row as u32;
        }
        if suffix == length {
            // The last block starts from the end, wherever samples fall.
            isa[((length - 1) / SAMPLE + 1) as usize] = row as u32;
        }
        let (code, code_length) = tree.codes[usize::from(token)];
        let mut node = tree.root();
        for depth in 0..code_length {
            let branch = code >> depth & 1;
            let bit = tree.nodes[node].start + filled[node];
            filled[node] += 1;
            tree_words[(bit / 64) as usize] |= branch << (bit % 64);
            let child = tree.nodes[node].children[branch as usize];
            if child & LEAF == 0 {
                node = child as usize;
            }
        }
    }
    let layout = layout(rows, tree.bits);
    let mut bytes = Vec::with_capacity(layout.end);
    for word in [u64::from_le_bytes(*MAGIC), rows, SAMPLE, primary] {
        bytes.extend_from_slice(&word.to_le_bytes());
    }
    bytes.resize(HEADER_BYTES, 0);
    push_lines(&mut bytes, &tree_words, tree.bits);
    push_lines(&mut bytes, &mark_words, rows);
    for sample in &samples {
        bytes.extend_from_slice(&sample.to_le_bytes());
    }
    bytes.resize(layout.isa, 0);
    for row in &isa {
        bytes.extend_from_slice(&row.to_le_bytes());
    }
    debug_assert_eq!(bytes.len(), layout.end);
    bytes
}

/// `bits` bits of `words` as lines: the ones before each line, then its
/// 448 bits (seven words).
fn push_lines(bytes: &mut Vec<u8>, words: &[u64], bits: u64) {
    // A line's 448 bits are seven whole words; bits past `bits` are 0.
    let mut ones = 0u64;
    for line in 0..lines(bits) {
        bytes.extend_from_slice(&ones.to_le_bytes());
        for word in 0..7 {
            let value = words.get(7 * line + word).copied().unwrap_or(0);
            ones += u64::from(value.count_ones());
            bytes.extend_from_slice(&value.to_le_bytes());
        }
    }
}
