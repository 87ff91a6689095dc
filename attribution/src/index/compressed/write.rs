//! Writing a compressed shard's file.

use super::{
    layout,
    lines::{
        lines, slots_equal, superblocks, tree_lines, LINE_COUNT_BITS, LINE_DIGITS, SUPER_LINES,
    },
    tree::{tree_weights, Tree, BRANCHES},
    HEADER_BYTES, LEAF, MAGIC, MAXIMA_ROWS, SAMPLE,
};
use crate::tokenizer::{Token, SEPARATOR};

/// The file of a compressed shard over `tokens` whose reversed tokens'
/// suffix array is `reversed_suffixes` (from libsais16) and whose counts
/// are `counts`, as chunks of bytes made as they are written: the build
/// can drop the suffix array first, and never holds the file whole.
pub(crate) fn file(
    tokens: &[Token],
    reversed_suffixes: &[i32],
    counts: &[u64],
) -> impl Iterator<Item = Vec<u8>> {
    let length = tokens.len() as u64;
    let rows = length + 1;
    let tree = Tree::new(&tree_weights(counts)).expect("a shard holds a token and a separator");
    // The reversed text's token at q is tokens[length - 1 - q].
    let before = |suffix: u64| tokens[(length - suffix) as usize];
    let suffix_of = |row: u64| match row {
        0 => length,
        _ => reversed_suffixes[row as usize - 1] as u64,
    };
    let mut tree_words = vec![0u64; tree.digits.div_ceil(32) as usize];
    let mut filled = vec![0u64; tree.nodes.len()];
    let mut mark_words = vec![0u64; rows.div_ceil(64) as usize];
    let mut samples = Vec::with_capacity(((rows - 1) / SAMPLE + 1) as usize);
    let mut isa = vec![0u32; ((rows - 1) / SAMPLE + 2) as usize];
    let mut maxima = vec![0u32; rows.div_ceil(MAXIMA_ROWS) as usize];
    let mut primary = 0;
    for row in 0..rows {
        let suffix = suffix_of(row);
        let maximum = &mut maxima[(row / MAXIMA_ROWS) as usize];
        *maximum = (*maximum).max(suffix as u32);
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
            let branch = code >> (2 * depth) & 3;
            let digit = tree.nodes[node].start + filled[node];
            filled[node] += 1;
            tree_words[(digit / 32) as usize] |= branch << (2 * (digit % 32));
            let child = tree.nodes[node].children[branch as usize];
            if child & LEAF == 0 {
                node = child as usize;
            }
        }
    }
    let layout = layout(rows, tree.digits);
    let mut header = Vec::with_capacity(HEADER_BYTES);
    for word in [u64::from_le_bytes(*MAGIC), rows, SAMPLE, primary] {
        header.extend_from_slice(&word.to_le_bytes());
    }
    header.resize(HEADER_BYTES, 0);
    let mut tables: Vec<u8> = samples
        .iter()
        .flat_map(|sample| sample.to_le_bytes())
        .collect();
    tables.resize(layout.isa - layout.samples, 0);
    tables.extend(isa.iter().flat_map(|row| row.to_le_bytes()));
    tables.extend(maxima.iter().flat_map(|maximum| maximum.to_le_bytes()));
    debug_assert_eq!(tables.len(), layout.end - layout.samples);
    let supers = superblock_counts(&tree_words, tree.digits);
    std::iter::once(header)
        .chain(tree_line_chunks(tree_words, tree.digits))
        .chain(std::iter::once(supers))
        .chain(line_chunks(mark_words, rows))
        .chain(std::iter::once(tables))
}

/// Lines written per chunk: 1 MiB.
const CHUNK_LINES: usize = 1 << 14;

/// `bits` bits of `words` as lines, the ones before each line then its
/// 448 bits (seven words), `CHUNK_LINES` lines a chunk.
fn line_chunks(words: Vec<u64>, bits: u64) -> impl Iterator<Item = Vec<u8>> {
    // A line's 448 bits are seven whole words; bits past `bits` are 0.
    let total = lines(bits);
    let mut ones = 0u64;
    (0..total).step_by(CHUNK_LINES).map(move |from| {
        let to = (from + CHUNK_LINES).min(total);
        let mut bytes = Vec::with_capacity(64 * (to - from));
        for line in from..to {
            bytes.extend_from_slice(&ones.to_le_bytes());
            for word in 0..7 {
                let value = words.get(7 * line + word).copied().unwrap_or(0);
                ones += u64::from(value.count_ones());
                bytes.extend_from_slice(&value.to_le_bytes());
            }
        }
        bytes
    })
}

/// Words of the tree a line holds: 224 digits.
const LINE_WORDS: usize = (LINE_DIGITS / 32) as usize;

/// How many of each digit the 32 of `word` hold.
fn digit_counts(word: u64) -> [u64; BRANCHES] {
    std::array::from_fn(|digit| u64::from(slots_equal(word, digit as u64).count_ones()))
}

/// Per superblock, how many of each digit come before it, as bytes.
fn superblock_counts(words: &[u64], digits: u64) -> Vec<u8> {
    let words_a_superblock = SUPER_LINES as usize * LINE_WORDS;
    let mut before = [0u64; BRANCHES];
    let mut bytes = Vec::with_capacity(8 * BRANCHES * superblocks(digits));
    for superblock in 0..superblocks(digits) {
        bytes.extend(before.iter().flat_map(|count| count.to_le_bytes()));
        let from = superblock * words_a_superblock;
        let to = (from + words_a_superblock).min(words.len());
        for word in &words[from.min(to)..to] {
            for (count, more) in before.iter_mut().zip(digit_counts(*word)) {
                *count += more;
            }
        }
    }
    bytes
}

/// The tree's `digits` digits of `words` as lines, each the counts of
/// digits 1, 2 and 3 since its superblock began then its 224 digits
/// (seven words), `CHUNK_LINES` lines a chunk.
fn tree_line_chunks(words: Vec<u64>, digits: u64) -> impl Iterator<Item = Vec<u8>> {
    let total = tree_lines(digits);
    let mut since = [0u64; BRANCHES];
    (0..total).step_by(CHUNK_LINES).map(move |from| {
        let to = (from + CHUNK_LINES).min(total);
        let mut bytes = Vec::with_capacity(64 * (to - from));
        for line in from..to {
            if (line as u64).is_multiple_of(SUPER_LINES) {
                since = [0; BRANCHES];
            }
            let counts = since[1] | since[2] << LINE_COUNT_BITS | since[3] << (2 * LINE_COUNT_BITS);
            bytes.extend_from_slice(&counts.to_le_bytes());
            for word in 0..LINE_WORDS {
                let value = words.get(LINE_WORDS * line + word).copied().unwrap_or(0);
                for (count, more) in since.iter_mut().zip(digit_counts(value)) {
                    *count += more;
                }
                bytes.extend_from_slice(&value.to_le_bytes());
            }
        }
        bytes
    })
}
