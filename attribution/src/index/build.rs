//! Building an index: documents tokenized in rounds, cut into shards,
//! each shard's suffixes sorted and its three files written under names
//! from their hashes; the manifest replaces the previous one in one rename.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::{Path, PathBuf},
    sync::atomic::{AtomicUsize, Ordering},
};

use sha2::{Digest, Sha256};

use super::{
    compressed, content_hash, hex, io_error, shard_file, BuildOptions, BuildReport, DocumentEntry,
    Index, Manifest, ManifestFile, ShardEntry, Tier, FORMAT, HOLDER_RULE, MANIFEST,
    MAX_SHARD_TOKENS, ROUND_BYTES, VOCABULARY,
};
use crate::{
    corpus::{self, Source},
    tokenizer::{Token, Tokenizer, SEPARATOR},
    AttributionError,
};

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
                        (threads, options.tier),
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
                (threads, options.tier),
                &mut staged,
            )?);
            entries.extend(current.documents);
        }
        if shards.is_empty() || !any_text {
            return Err(corpus::empty_corpus(sources));
        }
        let manifest = Manifest {
            format: FORMAT,
            holder_rule: HOLDER_RULE.to_owned(),
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
            .enumerate()
            .map(|(number, shard)| {
                files_of(dir, number, shard)
                    .iter()
                    .filter_map(|path| std::fs::metadata(path).ok())
                    .map(|metadata| metadata.len())
                    .sum::<u64>()
            })
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

/// The files of shard `number`, as `entry` names them.
fn files_of(dir: &Path, number: usize, entry: &ShardEntry) -> Vec<PathBuf> {
    [
        (&entry.tokens_sha256, "tokens"),
        (&entry.suffixes_sha256, "suffixes"),
        (&entry.counts_sha256, "counts"),
        (&entry.compressed_sha256, "compressed"),
    ]
    .into_iter()
    .filter(|(sha256, _)| !sha256.is_empty())
    .map(|(sha256, kind)| shard_file(dir, number, sha256, kind))
    .collect()
}

/// Removes every shard file of `dir` that `manifest`, just put in place,
/// does not name (the previous index's, or a crashed build's).
fn remove_unnamed_shard_files(dir: &Path, manifest: &Manifest) {
    let kept: Vec<PathBuf> = manifest
        .shards
        .iter()
        .enumerate()
        .flat_map(|(number, entry)| files_of(dir, number, entry))
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

/// The suffix array of `tokens` (libsais16, a linear-time suffix sort
/// over 16-bit symbols) and each token's count.
pub(super) fn sort_suffixes(
    shard: usize,
    tokens: &[Token],
    threads: usize,
) -> Result<(Vec<i32>, Vec<u64>), AttributionError> {
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
    Ok((
        suffix_array,
        counts.iter().map(|count| *count as u64).collect(),
    ))
}

/// Sorts the suffixes of one shard and writes its files under names from
/// their hashes: tokens, suffixes and counts, or in the compressed tier
/// its FM-index and counts.
fn write_shard(
    dir: &Path,
    shard: usize,
    tokens: &[Token],
    (threads, tier): (usize, Tier),
    staged: &mut Staged,
) -> Result<ShardEntry, AttributionError> {
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
    let mut entry = ShardEntry {
        tokens: tokens.len() as u64,
        // Set from the counts below: every position but the separators.
        suffixes: 0,
        tokens_sha256: String::new(),
        suffixes_sha256: String::new(),
        counts_sha256: String::new(),
        compressed_sha256: String::new(),
    };
    let counts = match tier {
        Tier::SuffixArray => {
            let (suffix_array, counts) = sort_suffixes(shard, tokens, threads)?;
            // The separator is the largest symbol, so the suffixes starting
            // at separators are the array's tail: the index leaves them out.
            let suffixes = &suffix_array[..tokens.len() - counts[usize::from(SEPARATOR)] as usize];
            entry.tokens_sha256 = write(
                "tokens",
                &mut tokens
                    .chunks(1 << 18)
                    .map(|chunk| chunk.iter().flat_map(|token| token.to_le_bytes()).collect()),
            )?;
            entry.suffixes_sha256 = write(
                "suffixes",
                &mut suffixes.chunks(1 << 18).map(|chunk| {
                    chunk
                        .iter()
                        .flat_map(|position| (*position as u32).to_le_bytes())
                        .collect()
                }),
            )?;
            counts
        }
        Tier::Compressed => {
            let reversed: Vec<Token> = tokens.iter().rev().copied().collect();
            let (suffix_array, counts) = sort_suffixes(shard, &reversed, threads)?;
            drop(reversed);
            let mut file = compressed::file(tokens, &suffix_array, &counts);
            drop(suffix_array);
            entry.compressed_sha256 = write("compressed", &mut file)?;
            counts
        }
    };
    entry.suffixes = entry.tokens - counts[usize::from(SEPARATOR)];
    entry.counts_sha256 = write(
        "counts",
        &mut std::iter::once(
            counts
                .iter()
                .flat_map(|count| count.to_le_bytes())
                .collect(),
        ),
    )?;
    Ok(entry)
}
