//! The index on disk and in memory. Per shard three files, all
//! memory-mapped: the tokens (LE u16, each document ended by
//! [`SEPARATOR`]), the suffix array (LE u32 token positions, in the order
//! of the suffixes starting there; suffixes at separators are left out)
//! and the token counts (65 536 LE u64: each token's count in the shard,
//! which is also where its suffixes begin). `index.json` lists the shards,
//! the documents and the files' SHA-256; the SHA-256 of the manifest is the
//! index's content hash.
//!
//! The compressed tier ([`Tier::Compressed`], `compressed.rs`) keeps one
//! file per shard in place of the tokens and the suffix array, and the
//! same counts; searches on it give the same counts and places.
//!
//! Shard files are named after their hash, so a rebuild never overwrites a
//! file the current manifest names: the new manifest replaces the old one
//! in one rename, and only then are files no manifest names removed. A
//! crash at any point leaves the old index or the new one, whole.

use std::{
    collections::HashMap,
    fs::File,
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

use memmap2::Mmap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    tokenizer::{Token, Tokenizer, SEPARATOR},
    AttributionError,
};

mod build;
mod compressed;
mod search;

pub(crate) use search::ShardRange;

/// Format 3 records the holder rule; an index of format 2 was attributed
/// by the most evidence, whichever contribution held the text.
const FORMAT: u32 = 3;
/// How text that several contributions hold is paid (`attribute.rs`, step
/// 5): recorded in every manifest, so the content hash a host publishes
/// commits to it, and an engine with another rule refuses the index.
pub const HOLDER_RULE: &str = "earliest-contribution";
const MANIFEST: &str = "index.json";
/// libsais16 numbers suffixes with i32.
const MAX_SHARD_TOKENS: usize = i32::MAX as usize;
/// Text read and tokenized per round: bounds the text held in memory
/// while a shard grows, whatever the corpus size.
const ROUND_BYTES: usize = 32 << 20;
/// Entries of a counts file: one per token id.
const VOCABULARY: usize = 1 << 16;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub format: u32,
    pub tokenizer: String,
    /// [`HOLDER_RULE`] when built (absent from older formats, which
    /// `Index::open` refuses by their format number).
    #[serde(default)]
    pub holder_rule: String,
    pub shards: Vec<ShardEntry>,
    pub documents: Vec<DocumentEntry>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShardEntry {
    /// Tokens in the shard, separators included.
    pub tokens: u64,
    /// Suffixes indexed: every position that is not a separator.
    pub suffixes: u64,
    /// The suffix-array tier's files (empty in the compressed tier).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tokens_sha256: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub suffixes_sha256: String,
    pub counts_sha256: String,
    /// The compressed tier's one file (`compressed.rs`), in place of the
    /// tokens and suffixes; absent from a suffix-array index, whose
    /// manifest, and so content hash, is what it was before the tier.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub compressed_sha256: String,
}

/// How a shard is stored: both give the same matches, counts and places,
/// so the same attribution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tier {
    /// Tokens and their suffix array: 6 bytes a token, the fastest.
    #[default]
    SuffixArray,
    /// An FM-index of the tokens in a compressed wavelet tree: under 2
    /// bytes a token, each search step a few cache misses more.
    Compressed,
}

impl std::fmt::Display for Tier {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Self::SuffixArray => "suffix-array",
            Self::Compressed => "compressed",
        })
    }
}

impl std::str::FromStr for Tier {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "suffix-array" => Ok(Self::SuffixArray),
            "compressed" => Ok(Self::Compressed),
            _ => Err(format!(
                "the index tier is suffix-array or compressed, not {text:?}"
            )),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DocumentEntry {
    /// The file, as its source was given (joined with its place inside a
    /// directory); also the document's id in RAG mode.
    pub path: String,
    pub contribution: u32,
    pub shard: u32,
    /// Position of its first token in the shard.
    pub start: u64,
    pub tokens: u64,
}

/// The whole `index.json`.
#[derive(Serialize, Deserialize)]
struct ManifestFile {
    manifest: Manifest,
    /// SHA-256 of the manifest's canonical JSON: what a host publishes.
    content_hash: String,
}

#[derive(Clone, Copy, Debug)]
pub struct BuildOptions {
    /// Most tokens per shard. Building a shard holds 6 bytes per token (its
    /// tokens and their suffix array), so this bounds the build's memory;
    /// a larger corpus is cut into shards built one after the other. The
    /// shard layout is part of the index, so it is an option and never
    /// derived from the machine: the same corpus and options give the same
    /// index everywhere.
    pub shard_tokens: usize,
    /// Threads that tokenize and sort (the index does not depend on it).
    pub threads: usize,
    pub tier: Tier,
}

/// Default shard size: 512 Mi tokens (about 1.3 GB of English text, 3 GiB
/// while its suffix array is sorted).
pub const DEFAULT_SHARD_TOKENS: usize = 512 << 20;

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            shard_tokens: DEFAULT_SHARD_TOKENS,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            tier: Tier::default(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct BuildReport {
    pub content_hash: String,
    pub documents: usize,
    pub tokens: u64,
    pub text_bytes: u64,
    pub index_bytes: u64,
    pub shards: usize,
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> AttributionError + '_ {
    move |error| AttributionError::Io {
        path: path.to_path_buf(),
        reason: error.to_string(),
    }
}

/// A shard file's path in `dir`: its number, the start of its hash, its
/// kind (`tokens`, `suffixes`, `counts`, `compressed`).
pub fn shard_file(dir: &Path, shard: usize, sha256: &str, kind: &str) -> PathBuf {
    dir.join(format!("shard-{shard:03}-{}.{kind}", &sha256[..16]))
}

impl Manifest {
    /// SHA-256 of the manifest's canonical JSON: what `index.json` records
    /// and a host publishes.
    pub fn content_hash(&self) -> String {
        content_hash(self)
    }
}

fn content_hash(manifest: &Manifest) -> String {
    hex(&Sha256::digest(
        serde_json::to_vec(manifest).expect("a manifest serialises"),
    ))
}

/// An opened index: the manifest and each shard's mapped files.
pub struct Index {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub content_hash: String,
    pub(crate) shards: Vec<Shard>,
    /// Each token's count over all shards.
    counts: Vec<u64>,
    by_path: HashMap<String, u32>,
    /// Suffix-array probes so far (see [`Index::probes`]).
    probes: AtomicU64,
}

pub(crate) struct Shard {
    tier: ShardTier,
    /// Start of each of the shard's documents, and its index in the manifest.
    document_starts: Vec<u64>,
    document_ids: Vec<u32>,
    /// (start, contribution) of each run of one contribution's documents
    /// (the build lays a contribution's documents side by side): a place's
    /// contribution found among a few runs, not all the documents.
    contribution_runs: Vec<(u64, u32)>,
}

pub(crate) enum ShardTier {
    SuffixArray {
        tokens: Mmap,
        suffixes: Mmap,
        /// Where each token's suffixes begin (65 537 bounds, from the
        /// counts): the first step of every search is one lookup.
        first_token: Vec<u64>,
    },
    Compressed(compressed::Compressed),
}

impl Index {
    /// Opens the index in `dir`, checking every file against the manifest
    /// (size and SHA-256), the manifest against its content hash, and the
    /// manifest's own consistency (documents that tile each shard, counts
    /// that add up), so that a damaged or forged index is refused by name
    /// rather than read wrong.
    pub fn open(dir: &Path) -> Result<Self, AttributionError> {
        let path = dir.join(MANIFEST);
        let corrupt = |path: &Path, reason: String| AttributionError::CorruptIndex {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read(&path).map_err(io_error(&path))?;
        let file: ManifestFile = serde_json::from_slice(&text)
            .map_err(|error| corrupt(&path, format!("not an index manifest: {error}")))?;
        if file.manifest.format != FORMAT {
            return Err(corrupt(
                &path,
                format!(
                    "format {} (this engine reads {FORMAT}; rebuild the index)",
                    file.manifest.format
                ),
            ));
        }
        if content_hash(&file.manifest) != file.content_hash {
            return Err(corrupt(
                &path,
                "the manifest does not match its content hash".into(),
            ));
        }
        let manifest = file.manifest;
        // The holder rule finds the earliest contribution's first places
        // as the first in (shard, position) order: a build lays shards,
        // and contributions within them, out in the documents' order.
        for pair in manifest.documents.windows(2) {
            if pair[1].shard < pair[0].shard || pair[1].contribution < pair[0].contribution {
                return Err(corrupt(
                    &path,
                    format!(
                        "document {:?} (contribution {}, shard {}) comes after one of contribution {} in shard {}: a build lays contributions and shards out in order",
                        pair[1].path, pair[1].contribution, pair[1].shard, pair[0].contribution, pair[0].shard
                    ),
                ));
            }
        }
        let mut by_path = HashMap::with_capacity(manifest.documents.len());
        let mut counts = vec![0u64; VOCABULARY];
        let mut shards = Vec::with_capacity(manifest.shards.len());
        for (number, entry) in manifest.shards.iter().enumerate() {
            let hash_name = |sha256: &str| -> Result<(), AttributionError> {
                (sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()))
                    .then_some(())
                    .ok_or_else(|| {
                        corrupt(
                            &path,
                            format!("shard {number}: {sha256:?} is not a SHA-256"),
                        )
                    })
            };
            hash_name(&entry.counts_sha256)?;
            // Sizes from a manifest are input: one that overflows is a
            // corrupt index, not a panic.
            let bytes = |count: u64, width: u64, what: &str| {
                count.checked_mul(width).ok_or_else(|| {
                    corrupt(
                        &path,
                        format!("shard {number}: {count} {what} cannot be a file's size"),
                    )
                })
            };
            let counts_path = shard_file(dir, number, &entry.counts_sha256, "counts");
            let shard_counts: Vec<u64> =
                map_checked(&counts_path, 8 * VOCABULARY as u64, &entry.counts_sha256)?
                    .chunks_exact(8)
                    .map(|count| u64::from_le_bytes(count.try_into().expect("8 bytes")))
                    .collect();
            let mut first_token = Vec::with_capacity(VOCABULARY + 1);
            first_token.push(0u64);
            let mut total = 0u64;
            for (token, count) in shard_counts.iter().enumerate() {
                total = total.saturating_add(*count);
                counts[token] = counts[token].saturating_add(*count);
                first_token.push(total);
            }
            let separators = total.saturating_sub(first_token[usize::from(SEPARATOR)]);
            if total != entry.tokens {
                return Err(corrupt(
                    &counts_path,
                    format!("shard {number}'s documents, counts and sizes do not agree"),
                ));
            }
            let tier = if entry.compressed_sha256.is_empty() {
                hash_name(&entry.tokens_sha256)?;
                hash_name(&entry.suffixes_sha256)?;
                let tokens = map_checked(
                    &shard_file(dir, number, &entry.tokens_sha256, "tokens"),
                    bytes(entry.tokens, 2, "tokens")?,
                    &entry.tokens_sha256,
                )?;
                let suffixes = map_checked(
                    &shard_file(dir, number, &entry.suffixes_sha256, "suffixes"),
                    bytes(entry.suffixes, 4, "suffixes")?,
                    &entry.suffixes_sha256,
                )?;
                ShardTier::SuffixArray {
                    tokens,
                    suffixes,
                    first_token,
                }
            } else {
                hash_name(&entry.compressed_sha256)?;
                let file = shard_file(dir, number, &entry.compressed_sha256, "compressed");
                let map = map_any_size(&file, &entry.compressed_sha256)?;
                let shard = compressed::Compressed::open(map, &shard_counts)
                    .map_err(|reason| corrupt(&file, reason))?;
                ShardTier::Compressed(shard)
            };
            let mut shard = Shard {
                tier,
                document_starts: Vec::new(),
                document_ids: Vec::new(),
                contribution_runs: Vec::new(),
            };
            // The documents of the shard must tile it exactly, each ended
            // by a separator; the counts must add up to its tokens.
            let mut expected_start = 0u64;
            for (id, document) in manifest.documents.iter().enumerate() {
                if document.shard as usize != number {
                    continue;
                }
                let next = document
                    .start
                    .checked_add(document.tokens)
                    .and_then(|end| end.checked_add(1));
                let (true, Some(next)) = (
                    document.start == expected_start && document.tokens > 0,
                    next,
                ) else {
                    return Err(corrupt(
                        &path,
                        format!(
                            "document {:?} is not where shard {number}'s previous one ends",
                            document.path
                        ),
                    ));
                };
                expected_start = next;
                if shard.contribution_runs.last().map(|run| run.1) != Some(document.contribution) {
                    shard
                        .contribution_runs
                        .push((document.start, document.contribution));
                }
                shard.document_starts.push(document.start);
                shard.document_ids.push(id as u32);
                by_path.insert(document.path.clone(), id as u32);
            }
            let documents = shard.document_starts.len() as u64;
            if documents == 0
                || expected_start != entry.tokens
                || separators != documents
                || Some(entry.suffixes) != entry.tokens.checked_sub(documents)
            {
                return Err(corrupt(
                    &counts_path,
                    format!("shard {number}'s documents, counts and sizes do not agree"),
                ));
            }
            shards.push(shard);
        }
        if manifest
            .documents
            .iter()
            .any(|document| document.shard as usize >= shards.len())
        {
            return Err(corrupt(
                &path,
                "a document names a shard that does not exist".into(),
            ));
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
            content_hash: file.content_hash,
            shards,
            counts,
            by_path,
            probes: AtomicU64::new(0),
        })
    }

    /// How many times searches have narrowed a suffix range since the index
    /// was opened: the work an output cost, counted rather than timed, so
    /// a test can hold the engine to linear time on any machine.
    pub fn probes(&self) -> u64 {
        self.probes.load(Ordering::Relaxed)
    }

    /// Refuses a tokenizer other than the one the index was built with.
    pub fn require_tokenizer(&self, tokenizer: &Tokenizer) -> Result<(), AttributionError> {
        if self.manifest.tokenizer != tokenizer.name() {
            return Err(AttributionError::TokenizerMismatch {
                path: self.dir.join(MANIFEST),
                index: self.manifest.tokenizer.clone(),
                asked: tokenizer.name().into(),
            });
        }
        Ok(())
    }

    /// The tokens of document `id` (its position in the manifest).
    pub fn document_tokens(&self, id: usize) -> Vec<Token> {
        self.document_span(id, 0..self.manifest.documents[id].tokens)
    }

    /// Tokens [start, end) of document `id` (cut at its end).
    pub fn document_span(&self, id: usize, span: std::ops::Range<u64>) -> Vec<Token> {
        let entry = &self.manifest.documents[id];
        let shard = &self.shards[entry.shard as usize];
        let end = span.end.min(entry.tokens);
        shard.tokens(entry.start + span.start.min(end)..entry.start + end)
    }

    /// The document indexed under `path` (RAG mode's document id).
    pub fn document_by_path(&self, path: &str) -> Option<&DocumentEntry> {
        let id = *self.by_path.get(path)?;
        self.manifest.documents.get(id as usize)
    }

    /// How the index is stored (every shard of a build has the same tier).
    pub fn tier(&self) -> Tier {
        match self
            .manifest
            .shards
            .iter()
            .any(|shard| !shard.compressed_sha256.is_empty())
        {
            true => Tier::Compressed,
            false => Tier::SuffixArray,
        }
    }

    /// Tokens in the corpus, separators included.
    pub fn tokens(&self) -> u64 {
        self.manifest.shards.iter().map(|shard| shard.tokens).sum()
    }

    /// How often `token` occurs in the corpus.
    pub fn count(&self, token: Token) -> u64 {
        self.counts[usize::from(token)]
    }
}

fn map_checked(path: &Path, size: u64, sha256: &str) -> Result<Mmap, AttributionError> {
    map_hashed(path, Some(size), sha256)
}

/// The file mapped and checked against its hash (and its size, if the
/// manifest gives it; a compressed file's size is checked by its reader).
fn map_any_size(path: &Path, sha256: &str) -> Result<Mmap, AttributionError> {
    map_hashed(path, None, sha256)
}

fn map_hashed(path: &Path, size: Option<u64>, sha256: &str) -> Result<Mmap, AttributionError> {
    let corrupt = |reason: String| AttributionError::CorruptIndex {
        path: path.to_path_buf(),
        reason,
    };
    let file = File::open(path).map_err(|error| corrupt(error.to_string()))?;
    // SAFETY: the index files are written once, then only read; the map
    // is checked against its hash right here.
    let map = unsafe { Mmap::map(&file) }.map_err(|error| corrupt(error.to_string()))?;
    if let Some(size) = size.filter(|size| map.len() as u64 != *size) {
        return Err(corrupt(format!(
            "{} bytes, the manifest says {size}",
            map.len()
        )));
    }
    if hex(&Sha256::digest(&map[..])) != sha256 {
        return Err(corrupt("its SHA-256 differs from the manifest's".into()));
    }
    Ok(map)
}
