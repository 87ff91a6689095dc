//! The index on disk and in memory. Per shard three files, all
//! memory-mapped: the tokens (LE u16, each document ended by
//! [`SEPARATOR`]), the suffix array (LE u32 token positions, in the order
//! of the suffixes starting there; suffixes at separators are left out)
//! and the token counts (65 536 LE u64: each token's count in the shard,
//! which is also where its suffixes begin). `index.json` lists the shards,
//! the documents and the files' SHA-256; the SHA-256 of the manifest is the
//! index's content hash.
//!
//! Shard files are named after their hash, so a rebuild never overwrites a
//! file the current manifest names: the new manifest replaces the old one
//! in one rename, and only then are files no manifest names removed. A
//! crash at any point leaves the old index or the new one, whole.

use std::{
    collections::{BTreeMap, HashMap},
    fs::File,
    io::{BufWriter, Write},
    path::{Path, PathBuf},
    sync::atomic::{AtomicUsize, Ordering},
};

use memmap2::Mmap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    corpus::{self, Source},
    tokenizer::{Token, Tokenizer, SEPARATOR},
    AttributionError,
};

const FORMAT: u32 = 2;
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
    pub shards: Vec<ShardEntry>,
    pub documents: Vec<DocumentEntry>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShardEntry {
    /// Tokens in the shard, separators included.
    pub tokens: u64,
    /// Suffixes indexed: every position that is not a separator.
    pub suffixes: u64,
    pub tokens_sha256: String,
    pub suffixes_sha256: String,
    pub counts_sha256: String,
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
}

/// Default shard size: 512 Mi tokens (about 1.3 GB of English text, 3 GiB
/// while its suffix array is sorted).
pub const DEFAULT_SHARD_TOKENS: usize = 512 << 20;

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            shard_tokens: DEFAULT_SHARD_TOKENS,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> AttributionError + '_ {
    move |error| AttributionError::Io {
        path: path.to_path_buf(),
        reason: error.to_string(),
    }
}

/// A shard file's path in `dir`: its number, the start of its hash, its
/// kind (`tokens`, `suffixes`, `counts`).
pub fn shard_file(dir: &Path, shard: usize, sha256: &str, kind: &str) -> PathBuf {
    dir.join(format!("shard-{shard:03}-{}.{kind}", &sha256[..16]))
}

/// A shard under construction: its tokens and documents.
#[derive(Default)]
struct ShardBuilder {
    tokens: Vec<Token>,
    documents: Vec<DocumentEntry>,
}

/// Files written by a build that no manifest names yet; removed if the
/// build stops before its manifest is in place.
struct Staged(Vec<PathBuf>);

impl Drop for Staged {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Index {
    /// Builds the index of `sources` into `dir` (created if missing). An
    /// index already there stays usable until the new one is complete.
    pub fn build(
        sources: &[Source],
        tokenizer: &Tokenizer,
        dir: &Path,
        options: BuildOptions,
    ) -> Result<BuildReport, AttributionError> {
        let shard_tokens = options.shard_tokens.clamp(2, MAX_SHARD_TOKENS);
        let threads = options.threads.max(1);
        let files = corpus::list_files(sources)?;
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
        let mut staged = Staged(Vec::new());
        let mut shards: Vec<ShardEntry> = Vec::new();
        let mut entries: Vec<DocumentEntry> = Vec::new();
        let mut current = ShardBuilder::default();
        let mut text_bytes = 0u64;
        // Whitespace tokenizes too: a corpus of blank files would build an
        // index of nothing anyone can copy, so it is refused as empty.
        let mut any_text = false;
        let mut next = 0;
        while next < files.len() {
            // One round: files up to ROUND_BYTES of text, tokenized in parallel.
            let mut round: Vec<(u32, PathBuf, String)> = Vec::new();
            let mut round_bytes = 0;
            while next < files.len() && round_bytes < ROUND_BYTES {
                let (contribution, path) = &files[next];
                next += 1;
                if let Some(text) = corpus::read_text(path)? {
                    any_text |= !text.trim().is_empty();
                    round_bytes += text.len();
                    round.push((*contribution, path.clone(), text));
                }
            }
            text_bytes += round_bytes as u64;
            for ((contribution, path, _), tokens) in
                round.iter().zip(tokenize_all(tokenizer, &round, threads))
            {
                if tokens.is_empty() {
                    continue;
                }
                // A document longer than a shard gets a shard of its own,
                // up to what the suffix sort can number.
                if tokens.len() + 1 > MAX_SHARD_TOKENS {
                    return Err(AttributionError::TooLarge(format!(
                        "{}: {} tokens, more than a shard can hold ({MAX_SHARD_TOKENS})",
                        path.display(),
                        tokens.len()
                    )));
                }
                if !current.tokens.is_empty()
                    && current.tokens.len() + tokens.len() + 1 > shard_tokens
                {
                    let shard = std::mem::take(&mut current);
                    shards.push(write_shard(
                        dir,
                        shards.len(),
                        &shard.tokens,
                        threads,
                        &mut staged,
                    )?);
                    entries.extend(shard.documents);
                }
                current.documents.push(DocumentEntry {
                    path: path.display().to_string(),
                    contribution: *contribution,
                    shard: shards.len() as u32,
                    start: current.tokens.len() as u64,
                    tokens: tokens.len() as u64,
                });
                current.tokens.extend_from_slice(&tokens);
                current.tokens.push(SEPARATOR);
            }
        }
        if !current.tokens.is_empty() {
            shards.push(write_shard(
                dir,
                shards.len(),
                &current.tokens,
                threads,
                &mut staged,
            )?);
            entries.extend(current.documents);
        }
        if shards.is_empty() || !any_text {
            return Err(corpus::empty_corpus(sources));
        }
        let manifest = Manifest {
            format: FORMAT,
            tokenizer: tokenizer.name().to_string(),
            shards,
            documents: entries,
        };
        let content_hash = content_hash(&manifest);
        let file = ManifestFile {
            manifest: manifest.clone(),
            content_hash: content_hash.clone(),
        };
        let path = dir.join(MANIFEST);
        let temporary = dir.join(format!("{MANIFEST}.tmp"));
        std::fs::write(
            &temporary,
            serde_json::to_vec_pretty(&file).expect("a manifest serialises"),
        )
        .map_err(io_error(&temporary))?;
        std::fs::rename(&temporary, &path).map_err(io_error(&path))?;
        // The new manifest is in place: its files are the index now.
        staged.0.clear();
        remove_unnamed_shard_files(dir, &manifest);
        let tokens: u64 = manifest.shards.iter().map(|shard| shard.tokens).sum();
        let index_bytes: u64 = manifest
            .shards
            .iter()
            .map(|shard| 2 * shard.tokens + 4 * shard.suffixes + 8 * VOCABULARY as u64)
            .sum();
        Ok(BuildReport {
            content_hash,
            documents: manifest.documents.len(),
            tokens,
            text_bytes,
            index_bytes,
            shards: manifest.shards.len(),
        })
    }
}

/// The tokens of each document of a round, in order, `threads` at a time
/// (each takes the next document when it is done with one).
fn tokenize_all(
    tokenizer: &Tokenizer,
    round: &[(u32, PathBuf, String)],
    threads: usize,
) -> Vec<Vec<Token>> {
    let taken = AtomicUsize::new(0);
    let mut done: Vec<(usize, Vec<Token>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(round.len()).max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let at = taken.fetch_add(1, Ordering::Relaxed);
                        let Some((_, _, text)) = round.get(at) else {
                            break mine;
                        };
                        mine.push((at, tokenizer.encode(text)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a tokenizer thread"))
            .collect()
    });
    done.sort_unstable_by_key(|(at, _)| *at);
    done.into_iter().map(|(_, tokens)| tokens).collect()
}

/// Removes every shard file of `dir` that `manifest`, just put in place,
/// does not name (the previous index's, or a crashed build's).
fn remove_unnamed_shard_files(dir: &Path, manifest: &Manifest) {
    let kept: Vec<PathBuf> = manifest
        .shards
        .iter()
        .enumerate()
        .flat_map(|(number, entry)| {
            [
                shard_file(dir, number, &entry.tokens_sha256, "tokens"),
                shard_file(dir, number, &entry.suffixes_sha256, "suffixes"),
                shard_file(dir, number, &entry.counts_sha256, "counts"),
            ]
        })
        .collect();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_shard_file = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with("shard-") || name.starts_with(".building-"));
        if is_shard_file && !kept.contains(&path) {
            let _ = std::fs::remove_file(&path);
        }
    }
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

/// Sorts the suffixes of one shard (libsais16, a linear-time suffix sort
/// over 16-bit symbols) and writes its three files under names from their hashes.
fn write_shard(
    dir: &Path,
    shard: usize,
    tokens: &[Token],
    threads: usize,
    staged: &mut Staged,
) -> Result<ShardEntry, AttributionError> {
    let length = i32::try_from(tokens.len()).expect("a shard is below 2^31 tokens");
    let mut suffix_array = vec![0i32; tokens.len()];
    let mut counts = vec![0i32; VOCABULARY];
    // SAFETY: `tokens` holds `length` symbols, `suffix_array` `length`
    // entries (fs = 0 extra), `counts` one entry per 16-bit symbol, as
    // libsais16 requires; none of them is used elsewhere meanwhile.
    let status = unsafe {
        libsais_sys::libsais16::libsais16_omp(
            tokens.as_ptr(),
            suffix_array.as_mut_ptr(),
            length,
            0,
            counts.as_mut_ptr(),
            i32::try_from(threads).unwrap_or(1),
        )
    };
    if status != 0 {
        return Err(AttributionError::TooLarge(format!(
            "the suffix sort of shard {shard} failed (libsais16 status {status}): out of memory?"
        )));
    }
    // The separator is the largest symbol, so the suffixes starting at
    // separators are the array's tail: the index leaves them out.
    let separators = counts[usize::from(SEPARATOR)] as usize;
    let suffixes = &suffix_array[..tokens.len() - separators];
    let mut write = |kind: &str, bytes: &mut dyn Iterator<Item = Vec<u8>>| {
        let temporary = dir.join(format!(".building-{shard:03}.{kind}"));
        let file = File::create(&temporary).map_err(io_error(&temporary))?;
        let mut writer = BufWriter::with_capacity(1 << 20, file);
        let mut hasher = Sha256::new();
        for chunk in bytes {
            hasher.update(&chunk);
            writer.write_all(&chunk).map_err(io_error(&temporary))?;
        }
        writer.flush().map_err(io_error(&temporary))?;
        let sha256 = hex(&hasher.finalize());
        let path = shard_file(dir, shard, &sha256, kind);
        // A file of that name is the same bytes, named by the index in
        // place: it must survive this build failing.
        let existed = path.exists();
        std::fs::rename(&temporary, &path).map_err(io_error(&path))?;
        if !existed {
            staged.0.push(path);
        }
        Ok::<_, AttributionError>(sha256)
    };
    let tokens_sha256 = write(
        "tokens",
        &mut tokens
            .chunks(1 << 18)
            .map(|chunk| chunk.iter().flat_map(|token| token.to_le_bytes()).collect()),
    )?;
    let suffixes_sha256 = write(
        "suffixes",
        &mut suffixes.chunks(1 << 18).map(|chunk| {
            chunk
                .iter()
                .flat_map(|position| (*position as u32).to_le_bytes())
                .collect()
        }),
    )?;
    let counts_sha256 = write(
        "counts",
        &mut std::iter::once(
            counts
                .iter()
                .flat_map(|count| (*count as u64).to_le_bytes())
                .collect(),
        ),
    )?;
    Ok(ShardEntry {
        tokens: tokens.len() as u64,
        suffixes: suffixes.len() as u64,
        tokens_sha256,
        suffixes_sha256,
        counts_sha256,
    })
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
}

pub(crate) struct Shard {
    tokens: Mmap,
    suffixes: Mmap,
    /// Where each token's suffixes begin (65 537 bounds, from the counts):
    /// the first step of every search is one lookup.
    first_token: Vec<u64>,
    /// Start of each of the shard's documents, and its index in the manifest.
    document_starts: Vec<u64>,
    document_ids: Vec<u32>,
    /// (start, end, contribution) of each run of one contribution's
    /// documents (the build lays a contribution's documents side by side).
    contribution_runs: Vec<(u64, u64, u32)>,
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
            hash_name(&entry.tokens_sha256)?;
            hash_name(&entry.suffixes_sha256)?;
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
            let counts_path = shard_file(dir, number, &entry.counts_sha256, "counts");
            let shard_counts =
                map_checked(&counts_path, 8 * VOCABULARY as u64, &entry.counts_sha256)?;
            let mut first_token = Vec::with_capacity(VOCABULARY + 1);
            first_token.push(0u64);
            let mut total = 0u64;
            for (token, count) in shard_counts.chunks_exact(8).enumerate() {
                let count = u64::from_le_bytes(count.try_into().expect("8 bytes"));
                total = total.saturating_add(count);
                counts[token] = counts[token].saturating_add(count);
                first_token.push(total);
            }
            let separators = total.saturating_sub(first_token[usize::from(SEPARATOR)]);
            let mut shard = Shard {
                tokens,
                suffixes,
                first_token,
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
                match shard.contribution_runs.last_mut() {
                    Some(run) if run.2 == document.contribution => run.1 = expected_start,
                    _ => shard.contribution_runs.push((
                        document.start,
                        expected_start,
                        document.contribution,
                    )),
                }
                shard.document_starts.push(document.start);
                shard.document_ids.push(id as u32);
                by_path.insert(document.path.clone(), id as u32);
            }
            let documents = shard.document_starts.len() as u64;
            if documents == 0
                || expected_start != entry.tokens
                || total != entry.tokens
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
        })
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
        let entry = &self.manifest.documents[id];
        let shard = &self.shards[entry.shard as usize];
        (entry.start..entry.start + entry.tokens)
            .map(|position| shard.token(position))
            .collect()
    }

    /// The document indexed under `path` (RAG mode's document id).
    pub fn document_by_path(&self, path: &str) -> Option<&DocumentEntry> {
        let id = *self.by_path.get(path)?;
        self.manifest.documents.get(id as usize)
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

/// Suffixes of one shard, [lo, hi), that share a prefix: (shard, lo, hi).
pub(crate) type ShardRange = (usize, usize, usize);

impl Index {
    /// The longest prefix of `query` (up to `limit` tokens) found in the
    /// corpus, with the suffix ranges that start with it.
    pub(crate) fn longest_match(
        &self,
        query: &[Token],
        limit: u32,
    ) -> Option<(u32, Vec<ShardRange>)> {
        let first = *query.first()?;
        let mut ranges: Vec<ShardRange> = self
            .shards
            .iter()
            .enumerate()
            .map(|(number, shard)| {
                let (lo, hi) = shard.first(first);
                (number, lo, hi)
            })
            .filter(|(_, lo, hi)| lo < hi)
            .collect();
        if ranges.is_empty() {
            return None;
        }
        let mut depth = 1u32;
        let limit = (query.len() as u32).min(limit);
        while depth < limit {
            let token = query[depth as usize];
            let narrowed: Vec<ShardRange> = ranges
                .iter()
                .map(|(number, lo, hi)| {
                    let (lo, hi) = self.shards[*number].narrow((*lo, *hi), depth, token);
                    (*number, lo, hi)
                })
                .filter(|(_, lo, hi)| lo < hi)
                .collect();
            if narrowed.is_empty() {
                break;
            }
            ranges = narrowed;
            depth += 1;
        }
        Some((depth, ranges))
    }

    /// How many tokens from the start of `query` occur in the corpus as one
    /// run, and how often that run occurs.
    ///
    /// ```no_run
    /// # use model_ledger_attribution::{Index, Tokenizer};
    /// let index = Index::open(std::path::Path::new("index"))?;
    /// let tokens = Tokenizer::gpt2()?.encode("a passage to look up");
    /// let (length, occurrences) = index.longest_prefix(&tokens);
    /// # Ok::<(), model_ledger_attribution::AttributionError>(())
    /// ```
    pub fn longest_prefix(&self, query: &[Token]) -> (usize, u64) {
        match self.longest_match(query, u32::MAX) {
            Some((length, ranges)) => (
                length as usize,
                ranges.iter().map(|(_, lo, hi)| (hi - lo) as u64).sum(),
            ),
            None => (0, 0),
        }
    }
}

impl Index {
    /// Where `passage` occurs, counted per contribution (empty if it does
    /// not occur whole): what a reader checks when a payment names a span.
    pub fn occurrences_by_contribution(&self, passage: &[Token]) -> BTreeMap<u32, u64> {
        let mut found = BTreeMap::new();
        let Some((length, ranges)) = self.longest_match(passage, u32::MAX) else {
            return found;
        };
        if length as usize != passage.len() {
            return found;
        }
        for (number, lo, hi) in ranges {
            let shard = &self.shards[number];
            for i in lo..hi {
                let (document, _) = shard.document_at(shard.suffix(i));
                *found
                    .entry(self.manifest.documents[document as usize].contribution)
                    .or_default() += 1;
            }
        }
        found
    }
}

fn map_checked(path: &Path, size: u64, sha256: &str) -> Result<Mmap, AttributionError> {
    let corrupt = |reason: String| AttributionError::CorruptIndex {
        path: path.to_path_buf(),
        reason,
    };
    let file = File::open(path).map_err(|error| corrupt(error.to_string()))?;
    // SAFETY: the index files are written once, then only read; the map
    // is checked against its hash right here.
    let map = unsafe { Mmap::map(&file) }.map_err(|error| corrupt(error.to_string()))?;
    if map.len() as u64 != size {
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

impl Shard {
    pub(crate) fn suffix(&self, i: usize) -> u64 {
        let bytes = &self.suffixes[4 * i..4 * i + 4];
        u64::from(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    /// The token at `position` ([`SEPARATOR`] past the end).
    pub(crate) fn token(&self, position: u64) -> Token {
        let at = 2 * position as usize;
        match self.tokens.get(at..at + 2) {
            Some(pair) => Token::from_le_bytes([pair[0], pair[1]]),
            None => SEPARATOR,
        }
    }

    /// The suffixes starting with `token`.
    pub(crate) fn first(&self, token: Token) -> (usize, usize) {
        let token = usize::from(token);
        (
            self.first_token[token] as usize,
            self.first_token[token + 1] as usize,
        )
    }

    /// Within `range`, whose suffixes share their first `depth` tokens, the
    /// ones whose token at `depth` is `token`: one binary search down to
    /// any such suffix, then the two bounds on either side of it (each
    /// probe costs two reads from memory that is rarely in cache).
    pub(crate) fn narrow(&self, range: (usize, usize), depth: u32, token: Token) -> (usize, usize) {
        let at = |i: usize| self.token(self.suffix(i) + u64::from(depth));
        let (mut lo, mut hi) = range;
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match at(mid).cmp(&token) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    let start = lo + partition(mid - lo, |k| at(lo + k) < token);
                    let end = mid + 1 + partition(hi - mid - 1, |k| at(mid + 1 + k) <= token);
                    return (start, end);
                }
            }
        }
        (lo, lo)
    }

    /// The contribution whose documents hold every suffix of [lo, hi), if one does.
    pub(crate) fn sole_contribution(&self, lo: usize, hi: usize) -> Option<u32> {
        let first = self.suffix(lo);
        let run = self.contribution_runs[self
            .contribution_runs
            .partition_point(|run| run.0 <= first)
            .saturating_sub(1)];
        (lo..hi)
            .all(|i| (run.0..run.1).contains(&self.suffix(i)))
            .then_some(run.2)
    }

    /// The document holding `position`: its manifest index and the offset in it.
    pub(crate) fn document_at(&self, position: u64) -> (u32, u64) {
        // `open` checked that the first document starts at 0.
        let k = self
            .document_starts
            .partition_point(|start| *start <= position)
            .saturating_sub(1);
        (self.document_ids[k], position - self.document_starts[k])
    }
}

/// The first k in 0..n for which `before(k)` is false (`before` true then false).
fn partition(n: usize, before: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}
