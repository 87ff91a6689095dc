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

/// The output with `percent` % of the words of its copied stretches
/// replaced by unseen words, which may be longer or shorter in tokens (so
/// the copy's tokens shift, as a model's rewording shifts them).
pub fn edited_words(
    output: &Output,
    percent: u32,
    unseen_words: &[Vec<Token>],
    tokenizer: &Tokenizer,
    rng: &mut StdRng,
) -> Output {
    let mut edited = Output {
        tokens: Vec::new(),
        truth: Vec::new(),
    };
    for (start, end) in words(&output.tokens, tokenizer) {
        let truth = output.truth[start];
        if truth.is_some() && rng.gen_range(0..100) < percent {
            let word = &unseen_words[rng.gen_range(0..unseen_words.len())];
            edited.tokens.extend_from_slice(word);
            edited.truth.extend(std::iter::repeat_n(truth, word.len()));
        } else {
            edited.tokens.extend_from_slice(&output.tokens[start..end]);
            edited.truth.extend_from_slice(&output.truth[start..end]);
        }
    }
    edited
}
