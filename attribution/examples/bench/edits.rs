//! The edits the benchmark makes to copied passages: tokens replaced in
//! place, and whole words replaced by words of other lengths.

use model_ledger_attribution::{Token, Tokenizer};
use rand::{rngs::StdRng, Rng};

use crate::Output;

/// The output with `percent` % of its copied tokens replaced by unseen ones.
pub fn edited(output: &Output, percent: u32, unseen: &[Token], rng: &mut StdRng) -> Output {
    let tokens = output
        .tokens
        .iter()
        .zip(&output.truth)
        .map(|(token, truth)| {
            if truth.is_some() && rng.gen_range(0..100) < percent {
                unseen[rng.gen_range(0..unseen.len())]
            } else {
                *token
            }
        })
        .collect();
    Output {
        tokens,
        truth: output.truth.clone(),
    }
}

/// The output's words, as (start, end) token ranges. A word starts at a
/// token that starts with a blank or follows one without text, and, in
/// scripts written without blanks between words, at every character
/// (Unicode's word boundaries, UAX #29, fall around each ideograph and
/// kana): there a run between blanks is a clause or a sentence, and
/// replacing it would be replacing a passage, not a word.
pub fn words(tokens: &[Token], tokenizer: &Tokenizer) -> Vec<(usize, usize)> {
    let bytes = tokenizer.token_bytes(tokens);
    let mut offsets = Vec::with_capacity(tokens.len() + 1);
    offsets.push(0usize);
    for token in &bytes {
        offsets.push(offsets.last().expect("non-empty") + token.len());
    }
    let text: Vec<u8> = bytes.concat();
    let starts_word = |at: usize| {
        at == 0
            || !tokenizer.carries_text(tokens[at - 1])
            || tokenizer
                .decode(&tokens[at..=at])
                .starts_with(char::is_whitespace)
            || (offsets[at]..offsets[at + 1]).any(|offset| starts_unspaced_character(&text, offset))
    };
    let mut words = Vec::new();
    let mut start = 0;
    for at in 1..=tokens.len() {
        if at == tokens.len() || starts_word(at) {
            words.push((start, at));
            start = at;
        }
    }
    words
}

/// Whether a character of a script written without blanks between words
/// (CJK ideographs, kana, their punctuation and full-width forms) starts at
/// `offset` of `text`.
fn starts_unspaced_character(text: &[u8], offset: usize) -> bool {
    let length = match text[offset] {
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return false,
    };
    let Some(Ok(character)) = text
        .get(offset..offset + length)
        .map(|bytes| std::str::from_utf8(bytes).map(|s| s.chars().next()))
    else {
        return false;
    };
    matches!(
        character.map_or(0, u32::from),
        0x2E80..=0x2FDF   // CJK radicals
            | 0x3000..=0x30FF // CJK symbols and punctuation, hiragana, katakana
            | 0x3400..=0x4DBF // CJK extension A
            | 0x4E00..=0x9FFF // CJK unified ideographs
            | 0xF900..=0xFAFF // CJK compatibility ideographs
            | 0xFF00..=0xFFEF // half-width and full-width forms
            | 0x20000..=0x3FFFF // CJK extensions B onwards
    )
}

/// Unseen words by length in tokens: `by_length[n]` holds the words of n tokens.
pub struct Words {
    by_length: Vec<Vec<Vec<Token>>>,
}

impl Words {
    pub fn new(words: Vec<Vec<Token>>) -> Self {
        let longest = words.iter().map(Vec::len).max().unwrap_or(0);
        let mut by_length = vec![Vec::new(); longest + 1];
        for word in words {
            by_length[word.len()].push(word);
        }
        Self { by_length }
    }

    /// A word of `length` tokens, one more or one fewer (so the copy
    /// shifts, as a model's rewording shifts it), or the nearest length held.
    fn near(&self, length: usize, rng: &mut StdRng) -> &[Token] {
        let wanted = (length + rng.gen_range(0..=2)).saturating_sub(1).max(1);
        let held = |n: usize| self.by_length.get(n).is_some_and(|words| !words.is_empty());
        let n = (0..wanted + self.by_length.len())
            .flat_map(|distance| [wanted.saturating_sub(distance), wanted + distance])
            .find(|n| held(*n))
            .expect("at least one unseen word");
        let words = &self.by_length[n];
        &words[rng.gen_range(0..words.len())]
    }
}

/// The output with `percent` % of the words of its copied stretches
/// replaced by unseen words of about the same length (one token more,
/// the same, or one fewer), and the share of the copied tokens that are
/// new: word-aligned edits changing about `percent` % of the text.
pub fn edited_words(
    output: &Output,
    percent: u32,
    unseen_words: &Words,
    tokenizer: &Tokenizer,
    rng: &mut StdRng,
) -> (Output, usize, usize) {
    let mut edited = Output {
        tokens: Vec::new(),
        truth: Vec::new(),
    };
    let (mut new, mut copied) = (0, 0);
    for (start, end) in words(&output.tokens, tokenizer) {
        let truth = output.truth[start];
        let original = &output.tokens[start..end];
        if truth.is_some()
            && original.iter().any(|token| tokenizer.carries_text(*token))
            && rng.gen_range(0..100) < percent
        {
            let word = unseen_words.near(original.len(), rng);
            (new, copied) = (new + word.len(), copied + word.len());
            edited.tokens.extend_from_slice(word);
            edited.truth.extend(std::iter::repeat_n(truth, word.len()));
        } else {
            copied += output.truth[start..end]
                .iter()
                .filter(|t| t.is_some())
                .count();
            edited.tokens.extend_from_slice(original);
            edited.truth.extend_from_slice(&output.truth[start..end]);
        }
    }
    (edited, new, copied)
}
