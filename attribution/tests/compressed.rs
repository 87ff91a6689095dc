//! The compressed tier against the suffix-array tier on the same corpus:
//! the same counts, places, document tokens and weights, in under 2 bytes
//! a token; and a damaged compressed file refused by name.

mod common;

use std::path::{Path, PathBuf};

use common::{attributor, edited, excerpt, words};
use model_ledger_attribution::{
    AttributionError, BuildOptions, Index, Source, Tier, Token, Tokenizer,
};
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};

/// Regression seeds, then one from the environment if given.
const SEEDS: &[u64] = &[1, 7, 2026];

/// Four contributions that share text as real datasets do: 1 re-uploads
/// half of 0 and edits it, 2 repeats a boilerplate paragraph ten times in
/// each of its files (400 places, where the engine seeds at its first 32
/// by offset: in a compressed shard, found among blocks of rows without
/// locating every row), 3 is prose of a different kind.
fn corpus(seed: u64, dir: &Path) -> Vec<(u32, String)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let boilerplate = words(&mut rng, 40);
    let mut documents = Vec::new();
    let original: Vec<String> = (0..3).map(|_| words(&mut rng, 2_000)).collect();
    for text in &original {
        documents.push((0, text.clone()));
    }
    documents.push((1, original[1].clone()));
    documents.push((1, edited(&original[2], 15, &mut rng)));
    for _ in 0..40 {
        let text: Vec<String> = (0..10)
            .map(|_| format!("{boilerplate} {}", words(&mut rng, 6)))
            .collect();
        documents.push((2, text.join(" ")));
    }
    let prose = "The quick brown fox jumps over the lazy dog; 東京の天気は晴れです. ";
    documents.push((3, prose.repeat(30)));
    documents.push((3, format!("{} {boilerplate}", words(&mut rng, 500))));
    for (number, (contribution, text)) in documents.iter().enumerate() {
        let folder = dir.join(format!("contribution-{contribution}"));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(format!("doc-{number:03}.txt")), text).unwrap();
    }
    documents
}

fn build(dir: &Path, tier: Tier, shard_tokens: usize) -> PathBuf {
    build_with(dir, tier, shard_tokens, BuildOptions::default().threads)
}

fn build_with(dir: &Path, tier: Tier, shard_tokens: usize, threads: usize) -> PathBuf {
    let sources: Vec<Source> = (0..4)
        .map(|contribution| Source {
            contribution,
            path: dir.join(format!("contribution-{contribution}")),
        })
        .collect();
    let out = dir.join(format!("index-{tier:?}-{shard_tokens}-{threads}"));
    Index::build(
        &sources,
        &Tokenizer::gpt2().unwrap(),
        &out,
        BuildOptions {
            tier,
            shard_tokens,
            threads,
        },
    )
    .unwrap();
    out
}

fn seeds() -> Vec<u64> {
    let mut seeds = SEEDS.to_vec();
    if let Some(seed) = std::env::var("MODEL_LEDGER_TEST_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
    {
        seeds.push(seed);
    }
    seeds
}

#[test]
fn both_tiers_give_the_same_counts_places_tokens_and_weights() {
    for seed in seeds() {
        println!("seed {seed} (set MODEL_LEDGER_TEST_SEED to add one)");
        let dir = tempfile::tempdir().unwrap();
        let documents = corpus(seed, dir.path());
        // One shard, and several: a search runs over each.
        for shard_tokens in [1 << 20, 9_000] {
            let plain = build(dir.path(), Tier::SuffixArray, shard_tokens);
            let packed = build(dir.path(), Tier::Compressed, shard_tokens);
            let (plain_index, packed_index) =
                (Index::open(&plain).unwrap(), Index::open(&packed).unwrap());
            assert_eq!(
                (plain_index.tier(), packed_index.tier()),
                (Tier::SuffixArray, Tier::Compressed)
            );
            assert_eq!(
                plain_index.manifest.documents, packed_index.manifest.documents,
                "seed {seed}"
            );
            for id in 0..plain_index.manifest.documents.len() {
                assert_eq!(
                    plain_index.document_tokens(id),
                    packed_index.document_tokens(id),
                    "seed {seed}: document {id}"
                );
            }
            let tokenizer = Tokenizer::gpt2().unwrap();
            let mut rng = StdRng::seed_from_u64(seed);
            for _ in 0..300 {
                let (_, text) = documents.choose(&mut rng).unwrap();
                let tokens = tokenizer.encode(text);
                let from = rng.gen_range(0..tokens.len());
                let length = rng.gen_range(1..=40).min(tokens.len() - from);
                let mut query: Vec<Token> = tokens[from..from + length].to_vec();
                if rng.gen_bool(0.3) {
                    let at = rng.gen_range(0..query.len());
                    query[at] = rng.gen_range(0..50_000);
                }
                assert_eq!(
                    plain_index.longest_prefix(&query),
                    packed_index.longest_prefix(&query),
                    "seed {seed}: {query:?}"
                );
                assert_eq!(
                    plain_index.occurrences_by_contribution(&query),
                    packed_index.occurrences_by_contribution(&query),
                    "seed {seed}: {query:?}"
                );
            }
            let (plain_engine, packed_engine) = (attributor(&plain), attributor(&packed));
            for _ in 0..12 {
                let output: Vec<String> = (0..3)
                    .map(|_| {
                        let (_, text) = documents.choose(&mut rng).unwrap();
                        let words = text.split(' ').count();
                        let from = rng.gen_range(0..words.saturating_sub(60).max(1));
                        let piece = excerpt(text, from, 60);
                        match rng.gen_bool(0.5) {
                            true => edited(&piece, 10, &mut rng),
                            false => piece,
                        }
                    })
                    .collect();
                let output = output.join(" ");
                let expected = plain_engine.attribute(&output);
                assert_eq!(
                    packed_engine.attribute(&output),
                    expected,
                    "seed {seed}: {output}"
                );
            }
        }
    }
}

/// The compressed file's bytes per token, and the suffix-array tier's.
fn bytes_per_token(index: &Path) -> (f64, f64) {
    let opened = Index::open(index).unwrap();
    let kinds = ["compressed", "tokens", "suffixes"];
    let mut bytes = [0u64; 3];
    for entry in std::fs::read_dir(index).unwrap() {
        let path = entry.unwrap().path();
        for (kind, total) in kinds.iter().zip(&mut bytes) {
            if path.extension().is_some_and(|extension| extension == *kind) {
                *total += std::fs::metadata(&path).unwrap().len();
            }
        }
    }
    let tokens = opened.tokens() as f64;
    (
        bytes[0] as f64 / tokens,
        (bytes[1] + bytes[2]) as f64 / tokens,
    )
}

#[test]
fn the_compressed_tier_costs_under_two_bytes_a_token() {
    let dir = tempfile::tempdir().unwrap();
    corpus(3, dir.path());
    let packed = build(dir.path(), Tier::Compressed, 1 << 20);
    let plain = build(dir.path(), Tier::SuffixArray, 1 << 20);
    let (compressed, _) = bytes_per_token(&packed);
    let (_, suffix_array) = bytes_per_token(&plain);
    println!("bytes per token: compressed {compressed:.3}, suffix array {suffix_array:.3}");
    assert!(compressed < 2.0, "{compressed} bytes a token");
    assert!(suffix_array > 5.9, "{suffix_array} bytes a token");
}

#[test]
fn the_same_corpus_gives_the_same_compressed_index_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    corpus(5, dir.path());
    let hashes: Vec<String> = [1, 2]
        .into_iter()
        .map(|threads| {
            let index = build_with(dir.path(), Tier::Compressed, 9_000, threads);
            Index::open(&index).unwrap().content_hash
        })
        .collect();
    assert_eq!(hashes[0], hashes[1]);
    let plain = build(dir.path(), Tier::SuffixArray, 9_000);
    assert_ne!(Index::open(&plain).unwrap().content_hash, hashes[0]);
}

#[test]
fn a_damaged_compressed_file_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    corpus(4, dir.path());
    let packed = build(dir.path(), Tier::Compressed, 1 << 20);
    let file = std::fs::read_dir(&packed)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            path.extension()
                .is_some_and(|extension| extension == "compressed")
        })
        .unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&file, &bytes).unwrap();
    match Index::open(&packed) {
        Err(AttributionError::CorruptIndex { path, reason }) => {
            assert_eq!(path, file);
            assert_eq!(reason, "its SHA-256 differs from the manifest's");
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    std::fs::remove_file(&file).unwrap();
    match Index::open(&packed) {
        Err(AttributionError::CorruptIndex { path, .. }) => assert_eq!(path, file),
        other => panic!("{:?}", other.map(|_| ())),
    }
}
