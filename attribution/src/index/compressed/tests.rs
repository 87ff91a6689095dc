//! A compressed shard against its tokens: what it decodes, counts and
//! locates, and its block maxima against locating every row.

use rand::{rngs::StdRng, Rng, SeedableRng};

use super::{lines::superblocks, Compressed, MAXIMA_ROWS};
use crate::{
    index::build::sort_suffixes,
    tokenizer::{Token, SEPARATOR},
};

/// A shard whose passage [7, 8, 9, 10] is held in 3 000 places between
/// random tokens, so its rows span many blocks in no order of position.
fn shard(seed: u64) -> (Compressed, tempfile::NamedTempFile, Vec<u64>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tokens: Vec<Token> = Vec::new();
    for place in 0..3_000 {
        tokens.extend((0..rng.gen_range(1..6)).map(|_| rng.gen_range(20..400)));
        tokens.extend([7, 8, 9, 10]);
        if place % 100 == 99 {
            tokens.push(SEPARATOR);
        }
    }
    tokens.push(SEPARATOR);
    open(&tokens)
}

/// What the maxima must give: every row located, the smallest kept.
fn every_row(shard: &Compressed, (lo, hi): (usize, usize), depth: u32, limit: usize) -> Vec<u64> {
    let mut starts: Vec<u64> = (lo..hi).map(|row| shard.start(row, depth)).collect();
    starts.sort_unstable();
    starts.truncate(limit);
    starts
}

#[test]
fn block_maxima_find_the_same_first_places_as_every_row() {
    for seed in [1, 2, 3] {
        println!("seed {seed}");
        let (shard, _file, _) = shard(seed);
        let mut rng = StdRng::seed_from_u64(seed);
        // The passage's rows, held in 3 000 places over ~90 blocks.
        let mut range = shard.first(7);
        for token in [8, 9, 10] {
            range = shard.narrow(range, token);
        }
        assert_eq!(range.1 - range.0, 3_000, "seed {seed}");
        assert!((range.1 - range.0) as u64 > 60 * MAXIMA_ROWS);
        for limit in [1, 32, 100] {
            assert_eq!(
                shard.smallest_starts(range, 4, limit),
                every_row(&shard, range, 4, limit),
                "seed {seed}, limit {limit}"
            );
        }
        // Any rows, ends inside blocks or on their edges.
        let rows = shard.length as usize + 1;
        for _ in 0..300 {
            let lo = rng.gen_range(0..rows);
            let hi = rng.gen_range(lo..=rows.min(lo + 2_000));
            let limit = rng.gen_range(1..64);
            assert_eq!(
                shard.smallest_starts((lo, hi), 0, limit),
                every_row(&shard, (lo, hi), 0, limit),
                "seed {seed}: rows {lo}..{hi}, limit {limit}"
            );
        }
    }
}

#[test]
fn a_compressed_file_of_the_older_layout_is_refused_by_its_layout() {
    let (_, file, counts) = shard(1);
    let mut bytes = std::fs::read(file.path()).unwrap();
    bytes[..8].copy_from_slice(b"MLFMIDX2");
    std::fs::write(file.path(), &bytes).unwrap();
    let map = unsafe { memmap2::Mmap::map(file.as_file()).unwrap() };
    let error = Compressed::open(map, &counts).err().expect("refused");
    assert_eq!(
        error,
        "a compressed shard of an older layout (rebuild the index)"
    );
}

/// A shard of `tokens`, its file (kept while the shard is open) and its
/// counts.
fn open(tokens: &[Token]) -> (Compressed, tempfile::NamedTempFile, Vec<u64>) {
    let reversed: Vec<Token> = tokens.iter().rev().copied().collect();
    let (suffixes, counts) = sort_suffixes(0, &reversed, 1).unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    let bytes: Vec<u8> = super::file(tokens, &suffixes, &counts).flatten().collect();
    std::fs::write(file.path(), bytes).unwrap();
    let map = unsafe { memmap2::Mmap::map(file.as_file()).unwrap() };
    (Compressed::open(map, &counts).unwrap(), file, counts)
}

#[test]
fn a_shard_over_several_superblocks_reads_counts_and_locates_as_its_tokens() {
    for seed in [1, 2] {
        println!("seed {seed}");
        let mut rng = StdRng::seed_from_u64(seed);
        // Skewed like text: a few tokens common, thousands rare, so codes
        // run from one digit to many, over more than one superblock.
        let mut tokens: Vec<Token> = (0..700_000)
            .map(|k| match k % 997 {
                996 => SEPARATOR,
                _ => {
                    let rank: f64 = rng.gen_range(0.0f64..1.0).powi(4);
                    1 + (rank * 3_000.0) as Token
                }
            })
            .collect();
        tokens.push(SEPARATOR);
        let (shard, _file, _) = open(&tokens);
        assert!(superblocks(shard.tree.digits) >= 2, "seed {seed}");
        // Every token, decoded block by block.
        assert_eq!(shard.tokens(0..tokens.len() as u64), tokens, "seed {seed}");
        for _ in 0..200 {
            let at = rng.gen_range(0..tokens.len() - 4);
            let pattern = &tokens[at..at + rng.gen_range(1..4)];
            if pattern.contains(&SEPARATOR) {
                continue;
            }
            let mut range = shard.first(pattern[0]);
            for token in &pattern[1..] {
                range = shard.narrow(range, *token);
            }
            let mut places: Vec<u64> = tokens
                .windows(pattern.len())
                .enumerate()
                .filter(|(_, window)| *window == pattern)
                .map(|(place, _)| place as u64)
                .collect();
            let mut located: Vec<u64> = (range.0..range.1)
                .map(|row| shard.start(row, pattern.len() as u32))
                .collect();
            places.sort_unstable();
            located.sort_unstable();
            assert_eq!(located, places, "seed {seed}: {pattern:?}");
            // A located match's next tokens, read one by one (as an
            // extension does, from what the locate's walk kept), and the
            // ones before it (from its block's sample).
            let place = places[rng.gen_range(0..places.len())];
            for position in
                (place.saturating_sub(40)..place + 40).filter(|p| *p < tokens.len() as u64)
            {
                assert_eq!(
                    shard.token(position),
                    tokens[position as usize],
                    "seed {seed}: position {position}"
                );
            }
        }
    }
}

/// Tokens read one at a time (as an extension reads), as ranges (as a
/// chain weighed again reads its document's passages) and rows located
/// (whose walks keep the tokens they pass), in any order: each read finds
/// what the shard holds, whatever the cache was left holding by the last.
#[test]
fn reads_in_any_order_find_the_shards_tokens_and_places() {
    for seed in [1, 2, 3] {
        println!("seed {seed}");
        let mut rng = StdRng::seed_from_u64(seed);
        let mut tokens: Vec<Token> = (0..20_000)
            .map(|k| match k % 613 {
                612 => SEPARATOR,
                _ => 1 + (rng.gen_range(0.0f64..1.0).powi(3) * 500.0) as Token,
            })
            .collect();
        tokens.push(SEPARATOR);
        let reversed: Vec<Token> = tokens.iter().rev().copied().collect();
        let (suffixes, _) = sort_suffixes(0, &reversed, 1).unwrap();
        let (shard, _file, _) = open(&tokens);
        let length = tokens.len() as u64;
        for _ in 0..3_000 {
            match rng.gen_range(0..3) {
                0 => {
                    let at = rng.gen_range(0..length + 2);
                    let expected = tokens.get(at as usize).copied().unwrap_or(SEPARATOR);
                    assert_eq!(shard.token(at), expected, "seed {seed}: token {at}");
                }
                1 => {
                    let from = rng.gen_range(0..length);
                    let to = rng.gen_range(from..=(from + 90).min(length + 3));
                    let expected = &tokens[from as usize..(to.min(length)) as usize];
                    assert_eq!(
                        shard.tokens(from..to),
                        expected,
                        "seed {seed}: {from}..{to}"
                    );
                }
                _ => {
                    let rows: Vec<u64> = (0..rng.gen_range(1..20))
                        .map(|_| rng.gen_range(1..=length))
                        .collect();
                    let expected: Vec<u64> = rows
                        .iter()
                        .map(|row| length - suffixes[*row as usize - 1] as u64)
                        .collect();
                    assert_eq!(
                        shard.starts(&rows, 0),
                        expected,
                        "seed {seed}: rows {rows:?}"
                    );
                }
            }
        }
    }
}
