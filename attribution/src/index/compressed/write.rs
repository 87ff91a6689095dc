//! Writing a compressed shard's file.

use super::{
    layout, lines,
    tree::{tree_weights, Tree},
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
    let mut tree_words = vec![0u64; tree.bits.div_ceil(64) as usize];
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
    std::iter::once(header)
        .chain(line_chunks(tree_words, tree.bits))
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
