//! Text repeated across many pages (a translation notice, a licence
//! footer, a file list), copied with edits.
//!
//! [`Attributor::surprise`] leaves the corpus's copies of the output's
//! passage (its last `PASSAGE_TOKENS` + 1 tokens) out of a token's counts,
//! so that text is not made predictable by its own repetitions. An edit
//! every few tokens breaks that passage in the output, and the copies
//! counted fall to none: the repeated text, predicted by its thousands of
//! copies, carried almost no evidence, and its edited copies were missed
//! (translations' manual pages: 46 % of the copied tokens of passages
//! held 33 times or more missed whole at 20 % of words replaced, against
//! 6 % of text held once). Two places see the
//! copies again:
//! - a seed is judged with the copies of the output's last
//!   `SEED_PASSAGE_TOKENS` + 1 tokens left out, where the corpus holds them
//!   at least `min_context_count` times;
//! - a chain short of evidence whose document passage (its
//!   `PASSAGE_TOKENS` + 1 tokens) ending at one of its seeds is held at
//!   least `min_context_count` times is weighed again: each matched token
//!   with the copies of the document's passage ending there left out, which
//!   edits do not break, where those are held as often (a library's two
//!   versions, or a file vendored twice, are a copy's few versions, not
//!   repeated text).
//!
//! Each only adds evidence where the counts were inflated by repetition:
//! an idiom shared by unrelated documents is no more surprising than
//! before, because the documents' passages around it differ (README:
//! attribution benchmark, for what each changed).

use std::collections::HashMap;

use super::{Attributor, Chain, PASSAGE_TOKENS};
use crate::tokenizer::Token;

/// The passage, in tokens before the one weighed, whose copies a seed's
/// surprise leaves out where the output's `PASSAGE_TOKENS` are broken: the
/// exact run an edit every few tokens still leaves.
const SEED_PASSAGE_TOKENS: usize = 8;

/// What weighing an output's chains again has searched: the copies of a
/// document's passage, by (document, offset of its last token), and a
/// token's surprise, by (output position, copies left out). An output that
/// repeats itself makes chains on many diagonals of the same document text,
/// each falling short: every passage and token is searched once, not once
/// a chain (a 2 000-token repetition cost 7 600 probes a token, not 80).
#[derive(Default)]
pub(super) struct Searched {
    copies: HashMap<(u32, u64), u64>,
    surprise: HashMap<(usize, u64), u32>,
}

impl Attributor {
    /// Output token `at`'s surprise for seeding: `surprise[at]`, or more
    /// where the output's last `SEED_PASSAGE_TOKENS` + 1 tokens are
    /// repeated text, up to the token's surprise alone.
    pub(super) fn seed_surprise(&self, tokens: &[Token], surprise: &[u32], at: usize) -> u32 {
        let alone = self.surprise_alone[usize::from(tokens[at])];
        let Some(from) = at.checked_sub(SEED_PASSAGE_TOKENS) else {
            return surprise[at];
        };
        if surprise[at] >= alone {
            return surprise[at];
        }
        match self.copies_at_least(&tokens[from..=at], u64::from(self.tuning.min_context_count)) {
            copies if copies >= u64::from(self.tuning.min_context_count) => self
                .surprise_given_copies(tokens, at, copies)
                .min(alone)
                .max(surprise[at]),
            _ => surprise[at],
        }
    }

    /// A chain long enough but short of evidence, its matched tokens
    /// weighed again with the copies of the document's passage ending at
    /// each left out of the counts.
    pub(super) fn reweigh(
        &self,
        tokens: &[Token],
        surprise: &[u32],
        mut chain: Chain,
        searched: &mut Searched,
    ) -> Chain {
        let needed = i64::from(self.tuning.min_chain_bits) * 16;
        if chain.evidence >= needed
            || chain.end - chain.start < self.tuning.min_chain_tokens as usize
        {
            return chain;
        }
        let repeated = u64::from(self.tuning.min_context_count);
        let alone = |at: usize| self.surprise_alone[usize::from(tokens[at])];
        let rising: Vec<usize> = (chain.start..chain.end)
            .filter(|at| chain.matched[at - chain.start].is_some() && surprise[*at] < alone(*at))
            .collect();
        // Weighed again, a token counts at most its surprise alone (as the
        // passage's own copies would leave it): a chain that could not
        // reach the threshold so is not read.
        let most: i64 = rising
            .iter()
            .map(|at| i64::from(alone(*at) - surprise[*at]))
            .sum();
        if chain.evidence + most < needed {
            return chain;
        }
        // Repeated text is repeated whole: where the document's passages
        // ending at the chain's seeds are not, its other tokens' are not
        // read either (a search per token of every chain that an output's
        // phrases in common make would cost a third of its time).
        if !chain.seeds.iter().any(|(_, end, diagonal)| {
            self.document_copies(chain.document, end - 1, *diagonal, searched) >= repeated
        }) {
            return chain;
        }
        for at in rising {
            let Some(diagonal) = chain.matched[at - chain.start] else {
                continue;
            };
            match self.document_copies(chain.document, at, diagonal, searched) {
                copies if copies >= repeated => {
                    let searched = *searched
                        .surprise
                        .entry((at, copies))
                        .or_insert_with(|| self.surprise_given_copies(tokens, at, copies));
                    let again = searched.min(alone(at));
                    chain.evidence += i64::from(again.saturating_sub(surprise[at]));
                }
                _ => {}
            }
        }
        chain
    }

    /// How often the corpus holds the document's passage ending at output
    /// position `at` on `diagonal` (its `PASSAGE_TOKENS` + 1 tokens; none
    /// where the document has fewer before it).
    fn document_copies(
        &self,
        document: u32,
        at: usize,
        diagonal: i64,
        searched: &mut Searched,
    ) -> u64 {
        let Ok(from) = u64::try_from(at as i64 + diagonal - PASSAGE_TOKENS as i64) else {
            return 0;
        };
        *searched
            .copies
            .entry((document, from + PASSAGE_TOKENS as u64))
            .or_insert_with(|| {
                let passage = self
                    .index
                    .document_span(document as usize, from..from + PASSAGE_TOKENS as u64 + 1);
                self.copies_at_least(&passage, u64::from(self.tuning.min_context_count))
            })
    }
}
