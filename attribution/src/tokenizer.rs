//! Text to tokens. The index and every query must use the same tokenizer:
//! its identity is recorded in the index and checked when one is opened.

use std::{collections::HashMap as StdHashMap, path::Path};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use tiktoken_rs::CoreBPE;

use crate::AttributionError;

type HashMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// A token id. GPT-2's vocabulary (50 257 ids) fits, and one id is kept for
/// the document separator, so the corpus costs two bytes per token.
pub type Token = u16;

/// Ends every document in the corpus; no tokenizer produces it, so no match
/// crosses from one document into the next.
pub const SEPARATOR: Token = Token::MAX;

/// The tokenizers the engine knows: GPT-2's built in, or a byte-level BPE
/// `tokenizer.json` of the host's own model.
#[derive(Clone)]
pub struct Tokenizer {
    bpe: CoreBPE,
    /// What the index records: "gpt2", or the file's SHA-256.
    name: String,
    /// Token ids are below this.
    vocabulary: u32,
}

/// GPT-2's pre-tokenizer: words with their leading space, numbers,
/// punctuation runs, whitespace.
const GPT2_PATTERN: &str =
    r"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

impl Tokenizer {
    /// GPT-2's byte-level BPE (`r50k_base`), built in: nothing to download.
    pub fn gpt2() -> Result<Self, AttributionError> {
        let bpe = tiktoken_rs::r50k_base()
            .map_err(|error| AttributionError::Tokenizer(error.to_string()))?;
        Ok(Self {
            bpe,
            name: "gpt2".into(),
            vocabulary: 50_257,
        })
    }

    /// A Hugging Face `tokenizer.json` of a byte-level BPE model (GPT-2,
    /// RoBERTa, Llama 3, Qwen…). Token ids are the engine's own (the rank
    /// of the merge that makes each token), consistent between index and
    /// queries; the index records the file's SHA-256, so an index is only
    /// queried with the very same tokenizer.
    pub fn from_file(path: &Path) -> Result<Self, AttributionError> {
        let bad = |reason: String| AttributionError::BadTokenizer {
            path: path.to_path_buf(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|error| bad(error.to_string()))?;
        let file: TokenizerFile = serde_json::from_slice(&bytes)
            .map_err(|error| bad(format!("not a tokenizer.json: {error}")))?;
        if file.model.kind != "BPE" {
            return Err(bad(format!(
                "a {} model: this engine reads byte-level BPE tokenizers",
                file.model.kind
            )));
        }
        let decode = byte_decoder();
        let to_bytes = |piece: &str| -> Result<Vec<u8>, AttributionError> {
            piece
                .chars()
                .map(|c| decode.get(&c).copied())
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(|| bad(format!("{piece:?} is not a byte-level BPE token")))
        };
        // Single bytes first, then each merge's result in merge order: the
        // rank of a token is the priority of the merge that makes it.
        let mut encoder: HashMap<Vec<u8>, u32> = HashMap::default();
        for byte in 0..=255u8 {
            encoder.insert(vec![byte], u32::from(byte));
        }
        for merge in &file.model.merges {
            let (left, right) = merge
                .pair()
                .ok_or_else(|| bad(format!("merge {merge:?} is not a pair")))?;
            let mut token = to_bytes(left)?;
            token.extend(to_bytes(right)?);
            let next = encoder.len() as u32;
            encoder.entry(token).or_insert(next);
        }
        if encoder.len() >= usize::from(SEPARATOR) {
            return Err(bad(format!(
                "{} tokens: this engine stores 2-byte tokens, so at most {}",
                encoder.len(),
                SEPARATOR - 1
            )));
        }
        let pattern = file
            .pre_tokenizer
            .as_ref()
            .and_then(PreTokenizer::split_pattern)
            .unwrap_or_else(|| GPT2_PATTERN.to_string());
        let vocabulary = encoder.len() as u32;
        let bpe = CoreBPE::new(encoder, HashMap::default(), &pattern)
            .map_err(|error| bad(format!("its pre-tokenizer pattern: {error}")))?;
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Ok(Self {
            bpe,
            name: format!("tokenizer.json sha256:{digest}"),
            vocabulary,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tokens of `text` (special tokens are treated as plain text).
    pub fn encode(&self, text: &str) -> Vec<Token> {
        self.bpe
            .encode_ordinary(text)
            .into_iter()
            // r50k ranks are below 50 257, far from the separator.
            .map(|rank| rank as Token)
            .collect()
    }

    /// `token`'s rank in the vocabulary, if it is in it (the index's
    /// separator, one past every real token, is not).
    fn rank(&self, token: Token) -> Option<u32> {
        let rank = u32::from(token);
        (rank < self.vocabulary).then_some(rank)
    }

    /// The bytes of one token, if it is in the vocabulary.
    fn bytes(&self, token: Token) -> Option<Vec<u8>> {
        self.rank(token).map(|rank| {
            self.bpe
                ._decode_native_and_split(vec![rank])
                .flatten()
                .collect()
        })
    }

    /// Whether `token` holds a letter or a digit: an ASCII one, or any
    /// byte of a multi-byte character (a byte-level token may hold part of
    /// one, as in most CJK text). Whitespace and ASCII punctuation are the
    /// same in every document that lays out a table or a block of code, so
    /// they are evidence of no document.
    pub fn carries_text(&self, token: Token) -> bool {
        self.bytes(token).is_some_and(|bytes| {
            bytes
                .iter()
                .any(|byte| byte.is_ascii_alphanumeric() || !byte.is_ascii())
        })
    }

    /// Whether `token` is whitespace only.
    pub fn is_blank(&self, token: Token) -> bool {
        self.bytes(token)
            .is_some_and(|bytes| bytes.iter().all(u8::is_ascii_whitespace))
    }

    /// Whether `token` begins inside a character: its first byte continues
    /// a multi-byte character the token before began (a byte-level
    /// tokenizer splits most CJK characters into two or three tokens).
    pub fn continues_character(&self, token: Token) -> bool {
        self.bytes(token)
            .is_some_and(|bytes| bytes.first().is_some_and(|byte| byte & 0xC0 == 0x80))
    }

    /// The bytes of `tokens`, one vector per token (a token may hold part
    /// of a character; one outside the vocabulary holds none).
    pub fn token_bytes(&self, tokens: &[Token]) -> Vec<Vec<u8>> {
        let known: Vec<u32> = tokens
            .iter()
            .filter_map(|token| self.rank(*token))
            .collect();
        let mut decoded = self.bpe._decode_native_and_split(known);
        tokens
            .iter()
            .map(|token| match self.rank(*token) {
                Some(_) => decoded.next().unwrap_or_default(),
                None => Vec::new(),
            })
            .collect()
    }

    /// The text of `tokens` (lossy where a token splits a character).
    pub fn decode(&self, tokens: &[Token]) -> String {
        let bytes: Vec<u8> = self.token_bytes(tokens).into_iter().flatten().collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[derive(Deserialize)]
struct TokenizerFile {
    model: BpeModel,
    pre_tokenizer: Option<PreTokenizer>,
}

#[derive(Deserialize)]
struct BpeModel {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    merges: Vec<Merge>,
}

/// A merge as "left right", or (newer files) as a pair.
#[derive(Deserialize, Debug)]
#[serde(untagged)]
enum Merge {
    Text(String),
    Pair(Vec<String>),
}

impl Merge {
    fn pair(&self) -> Option<(&str, &str)> {
        match self {
            Merge::Text(text) => text.split_once(' '),
            Merge::Pair(pair) => match pair.as_slice() {
                [left, right] => Some((left, right)),
                _ => None,
            },
        }
    }
}

#[derive(Deserialize)]
struct PreTokenizer {
    #[serde(rename = "type")]
    kind: String,
    pattern: Option<Pattern>,
    pretokenizers: Option<Vec<PreTokenizer>>,
}

#[derive(Deserialize)]
struct Pattern {
    #[serde(rename = "Regex")]
    regex: Option<String>,
}

impl PreTokenizer {
    /// The regular expression a `Split` pre-tokenizer (alone or first in a
    /// `Sequence`) cuts text with; `ByteLevel` alone uses GPT-2's.
    fn split_pattern(&self) -> Option<String> {
        match self.kind.as_str() {
            "Split" => self.pattern.as_ref()?.regex.clone(),
            "Sequence" => self
                .pretokenizers
                .as_ref()?
                .iter()
                .find_map(PreTokenizer::split_pattern),
            _ => None,
        }
    }
}

/// GPT-2's map from the printable characters byte-level BPE writes tokens
/// with back to the bytes they stand for.
fn byte_decoder() -> StdHashMap<char, u8> {
    let printable = |byte: u8| {
        (b'!'..=b'~').contains(&byte)
            || (0xA1..=0xAC).contains(&byte)
            || (0xAE..=0xFF).contains(&byte)
    };
    let mut next = 0u32;
    (0..=255u8)
        .map(|byte| {
            let c = if printable(byte) {
                char::from(byte)
            } else {
                next += 1;
                char::from_u32(255 + next).expect("a valid char")
            };
            (c, byte)
        })
        .collect()
}
