//! BERT's uncased word-piece tokenizer, as `tokenizer.json` describes it
//! for all-MiniLM-L6-v2: control characters dropped, CJK ideographs split
//! apart, accents stripped, lower case; words split at blanks and at every
//! punctuation character; each word cut greedily into the longest pieces
//! the vocabulary holds (`##` marks a piece that continues a word).

use std::{collections::HashMap, path::Path};

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

use super::ParaphraseError;

/// A word longer than this many characters is `[UNK]`, as BERT's is.
const MAX_WORD_CHARACTERS: usize = 100;

pub struct WordPiece {
    vocabulary: HashMap<String, u32>,
    unknown: u32,
    pub(super) start: u32,
    pub(super) end: u32,
}

impl WordPiece {
    pub fn load(path: &Path) -> Result<Self, ParaphraseError> {
        let bad = |reason: String| ParaphraseError::BadModel {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|error| bad(error.to_string()))?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|error| bad(error.to_string()))?;
        if json["model"]["type"] != "WordPiece" || json["normalizer"]["lowercase"] != true {
            return Err(bad("not an uncased WordPiece tokenizer".into()));
        }
        let vocabulary: HashMap<String, u32> = json["model"]["vocab"]
            .as_object()
            .ok_or_else(|| bad("no model.vocab".into()))?
            .iter()
            .filter_map(|(piece, id)| Some((piece.clone(), u32::try_from(id.as_u64()?).ok()?)))
            .collect();
        let special = |name: &str| {
            vocabulary
                .get(name)
                .copied()
                .ok_or_else(|| bad(format!("the vocabulary has no {name}")))
        };
        Ok(Self {
            unknown: special("[UNK]")?,
            start: special("[CLS]")?,
            end: special("[SEP]")?,
            vocabulary,
        })
    }

    /// Vocabulary size (the largest id plus one).
    pub fn size(&self) -> usize {
        self.vocabulary
            .values()
            .max()
            .map_or(0, |id| *id as usize + 1)
    }

    /// `[CLS]`, the text's pieces (at most `max_pieces` in all), `[SEP]`.
    pub fn encode(&self, text: &str, max_pieces: usize) -> Vec<u32> {
        let mut ids = vec![self.start];
        'words: for word in words(&normalize(text)) {
            for piece in self.pieces(&word) {
                if ids.len() + 1 >= max_pieces {
                    break 'words;
                }
                ids.push(piece);
            }
        }
        ids.push(self.end);
        ids
    }

    fn pieces(&self, word: &str) -> Vec<u32> {
        let characters: Vec<(usize, char)> = word.char_indices().collect();
        if characters.len() > MAX_WORD_CHARACTERS {
            return vec![self.unknown];
        }
        let mut pieces = Vec::new();
        let mut start = 0;
        while start < characters.len() {
            let begin = characters[start].0;
            let found = (start + 1..=characters.len()).rev().find_map(|end| {
                let stop = characters.get(end).map_or(word.len(), |(at, _)| *at);
                let piece = &word[begin..stop];
                let id = match start {
                    0 => self.vocabulary.get(piece),
                    _ => self.vocabulary.get(&format!("##{piece}")),
                };
                id.map(|id| (end, *id))
            });
            let Some((end, id)) = found else {
                return vec![self.unknown];
            };
            pieces.push(id);
            start = end;
        }
        pieces
    }
}

fn is_cjk_ideograph(c: char) -> bool {
    matches!(u32::from(c),
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F | 0x2B820..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

/// BERT's normalizer: controls dropped and blanks made spaces, ideographs
/// set apart, accents stripped (NFD, marks dropped), lower case.
fn normalize(text: &str) -> String {
    let mut cleaned = String::with_capacity(text.len());
    for c in text.chars() {
        let other = matches!(
            c.general_category(),
            GeneralCategory::Control
                | GeneralCategory::Format
                | GeneralCategory::Surrogate
                | GeneralCategory::PrivateUse
                | GeneralCategory::Unassigned
        );
        if c == '\0' || c == '\u{FFFD}' || (other && !matches!(c, '\t' | '\n' | '\r')) {
            continue;
        }
        if c.is_whitespace() {
            cleaned.push(' ');
        } else if is_cjk_ideograph(c) {
            cleaned.extend([' ', c, ' ']);
        } else {
            cleaned.push(c);
        }
    }
    cleaned
        .nfd()
        .filter(|c| c.general_category() != GeneralCategory::NonspacingMark)
        .flat_map(char::to_lowercase)
        .collect()
}

/// Words split at blanks, each punctuation character a word of its own.
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for chunk in text.split_whitespace() {
        let mut word = String::new();
        for c in chunk.chars() {
            if c.is_ascii_punctuation()
                || c.general_category_group() == GeneralCategoryGroup::Punctuation
            {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                words.push(c.to_string());
            } else {
                word.push(c);
            }
        }
        if !word.is_empty() {
            words.push(word);
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizing_strips_accents_lowers_and_sets_ideographs_apart() {
        assert_eq!(normalize("Café\u{7}ÜBER 中文\tx"), "cafeuber  中  文  x");
        assert_eq!(
            words("it's (so) sunny—outside!"),
            ["it", "'", "s", "(", "so", ")", "sunny", "—", "outside", "!"]
        );
    }
}
