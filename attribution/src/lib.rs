//! An open attribution engine: which contributed data did an output use?
//!
//! The contributed datasets of a model are tokenized into one token array
//! per shard, documents ended by a separator, with a suffix array over it
//! and a table of where each document starts (the layout of infini-gram,
//! arXiv 2401.17377: 2 bytes per token plus 4 per suffix), or in the
//! compressed tier an FM-index of the tokens reversed, under 2 bytes a
//! token, that answers every search the same way. An output is
//! matched against it as OLMoTrace does (arXiv 2504.07096): at every
//! position, the longest prefix of the rest of the output that occurs in
//! the corpus. Exact spans alone lose a copied passage as soon as a few of
//! its tokens change, so rare, surprising exact matches are only seeds:
//! seeds that land in the same document on the same diagonal (output
//! position minus document position, within a small drift) are chained,
//! the chain is extended along its diagonal while the tokens keep matching,
//! and the whole chain, changed tokens included, is attributed to that
//! document's contribution (the steps are in `attribute.rs`). Each output
//! token goes to at most one contribution; the weights are token counts,
//! ready for `model-ledger meter`.
//!
//! An optional second stage ([`paraphrase`], run by [`Engine`] when a host
//! names its model) pays sentences copied with their words reordered or
//! replaced by synonyms: found by meaning with a sentence encoder run here
//! on the CPU, confirmed by the rare tokens they share with the indexed
//! sentence.
//!
//! Everything is deterministic: the same corpus gives the same index bytes
//! and content hash, and the same output the same weights, whatever the
//! thread count (and, with the second stage, whatever the machine).

mod attribute;
mod corpus;
mod engine;
mod index;
mod overlap;
pub mod paraphrase;
mod rag;
mod tokenizer;

pub use attribute::{Attribution, Attributor, Span, Tuning};
pub use corpus::{list_files, read_documents, read_text, Document, Source};
pub use engine::{Engine, EngineError};
pub use index::{
    shard_file, BuildOptions, BuildReport, DocumentEntry, Index, Manifest, ShardEntry, Tier,
    DEFAULT_SHARD_TOKENS, HOLDER_RULE,
};
pub use overlap::{overlap, share_bps, CandidateDocument, Overlap};
pub use rag::{attribute_retrieved, retrieved_meter_weights, Retrieved};
pub use tokenizer::{Token, Tokenizer, SEPARATOR};

use std::path::PathBuf;

/// Why an index could not be built or opened, or a call not attributed;
/// each names the file or input at fault.
#[derive(Debug, thiserror::Error)]
pub enum AttributionError {
    #[error("{}: {reason}", path.display())]
    Io { path: PathBuf, reason: String },
    #[error("{}: {reason}", path.display())]
    NotText { path: PathBuf, reason: String },
    /// A corpus entry that is neither a regular file nor a directory.
    #[error("{} is {kind}: a corpus holds regular files and directories only", path.display())]
    NotRegularFile { path: PathBuf, kind: &'static str },
    #[error("the corpus is empty: no text in {}", .0.iter().map(|path| path.display().to_string()).collect::<Vec<_>>().join(", "))]
    EmptyCorpus(Vec<PathBuf>),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// A tokenizer file that cannot be used.
    #[error("tokenizer {}: {reason}", path.display())]
    BadTokenizer { path: PathBuf, reason: String },
    /// The index was built with another tokenizer than the one asked for.
    #[error("the index at {} was built with the {index:?} tokenizer, not {asked:?}: token ids would not match", path.display())]
    TokenizerMismatch {
        path: PathBuf,
        index: String,
        asked: String,
    },
    /// The index was published under another rule for text that several
    /// contributions hold than the one this engine pays by.
    #[error("the index at {} pays shared text by the {index:?} rule; this engine pays by {engine:?}: rebuild the index, or attribute with the engine it was published for", path.display())]
    HolderRule {
        path: PathBuf,
        index: String,
        engine: &'static str,
    },
    /// An index file is missing, truncated, or not what its manifest says.
    #[error("corrupt index file {}: {reason}", path.display())]
    CorruptIndex { path: PathBuf, reason: String },
    #[error("{0}")]
    TooLarge(String),
    /// A retrieved document id (RAG mode) that the index does not hold.
    #[error("retrieved document {0:?} is not in the index")]
    UnknownDocument(String),
}
