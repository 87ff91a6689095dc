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

/// The output's words (a token that starts with a blank, or follows one
/// without text, and the tokens that continue it): (start, end) ranges.
pub fn words(tokens: &[Token], tokenizer: &Tokenizer) -> Vec<(usize, usize)> {
    let starts_word = |at: usize| {
        at == 0
            || !tokenizer.carries_text(tokens[at - 1])
            || tokenizer
                .decode(&tokens[at..=at])
                .starts_with(char::is_whitespace)
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
