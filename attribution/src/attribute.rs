//! From an output to the contributions it used.
//!
//! 1. Seeds: at every output position, the longest prefix of the rest of
//!    the output found in the corpus (OLMoTrace's step). A match that is not
//!    inside the previous one, is long enough, surprising enough (the sum of
//!    its tokens' surprise given the two tokens before each, as the corpus
//!    counts them, [`Attributor::surprise`]: a run of tokens the language
//!    predicts proves nothing) and rare enough is a seed, once per place it
//!    occurs. (Where an edit broke the output's passage and a shorter one is
//!    repeated text, a seed's surprise leaves that one's copies out:
//!    `repeated`.)
//!    A match found in more places than `max_occurrences` seeds only at the
//!    first `max_occurrences` places, by document and offset, of the
//!    earliest contribution holding it (the holder rule below), and one found in more than `max_places` is commonplace text
//!    and seeds nowhere. Each search also seeds the places that hold only
//!    the start of the longest match (a copy edited further on), so the
//!    holder rule sees every holder. Inside a long match the search steps
//!    `SEARCH_STRIDE` tokens rather than one: a match starting in between
//!    and reaching further also reaches further from the next stop, so
//!    every output costs time linear in its length, repetitive ones too.
//! 2. Chains: seeds in the same document whose diagonals (document offset
//!    minus output position) stay within a small drift and whose gaps are
//!    short are one copied passage; the drift absorbs a word inserted or
//!    dropped in a paraphrase, the gap the changed tokens between two
//!    exact runs.
//! 3. Extension: a chain grows past its outer seeds along its diagonal,
//!    token by token, while matches outweigh mismatches (an X-drop, as in
//!    sequence alignment), so a copy's edges count even where the edits left
//!    no exact run long enough to be a seed. A chain attributed (step 4)
//!    then grows on past an edit at its edge: a few tokens skipped, the
//!    copy resumed on its diagonal or one nearby (a word replaced by a
//!    longer or shorter one shifts it), where what follows outweighs a
//!    small cost per token skipped and shifted.
//! 4. A chain is attributed when it carries enough evidence: the surprise
//!    of the tokens it matches, less a cost per edit: a run of tokens that
//!    differ from the document's costs more where it starts than for each
//!    token after (a word replaced is one edit, however many tokens the
//!    tokenizer made of it). Matches are weighed by surprise everywhere
//!    (extension too), because two documents that merely share a
//!    structure (numbered headings, punctuation, line breaks) match on
//!    common tokens only, and mismatches cost, because such structure
//!    leaves the words in between different. And when it is long enough,
//!    in tokens and in characters: a phrase in common is not a copy, and
//!    a byte-level tokenizer makes many tokens of a short CJK phrase. A
//!    chain short of evidence is weighed again with the copies of its
//!    document's passage left out, which edits do not break (`repeated`:
//!    a notice every page carries, copied with edits).
//! 5. The holder rule ([`HOLDER_RULE`], recorded in every index manifest
//!    and so under its content hash): each output token goes to the
//!    earliest contribution (lowest contribution index: indices are handed
//!    out in the order contributions are proposed) among the attributed
//!    chains that cover it and compete for it (evidence at least 3/4 of
//!    the strongest covering chain's, or `strong_chain_bits` on its own);
//!    within it, to the chain with the most evidence, then the lowest
//!    document. Text that several contributions hold is
//!    thus paid to the first of them, so re-uploading someone else's
//!    dataset earns its uploader nothing for what the original holds. A
//!    contribution's weight is the count of output tokens it received.
//!
//! Only integers: the same index and output give the same weights on any
//! machine and any thread count.

use std::collections::BTreeMap;

use serde::Serialize;

mod chain;
mod extend;
mod repeated;
mod seed;
#[cfg(test)]
mod testing;

use crate::{
    index::{Index, HOLDER_RULE},
    tokenizer::{Token, Tokenizer},
    AttributionError,
};

/// The engine's thresholds. The defaults are what the benchmark measures
/// (README: attribution benchmark); a host that changes them should
/// publish them with its index hash, since they change the weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Tuning {
    /// Shortest exact match that can seed a chain, in tokens.
    pub min_seed_tokens: u32,
    /// Least surprise of a seed, in bits ([`Attributor::surprise`], summed
    /// over its tokens).
    pub min_seed_bits: u32,
    /// A match found at most this often seeds a chain at each occurrence.
    pub max_occurrences: u32,
    /// A match found more often, up to this many times, seeds at the first
    /// `max_occurrences` places (by document, then offset) of the earliest
    /// contribution holding it;
    /// found more often still, it is commonplace (a licence every package
    /// carries) and paid by shares, to no one contribution.
    pub max_places: u32,
    /// Seeds of one chain may drift this far apart in diagonal.
    pub max_drift: u32,
    /// Largest gap, in output tokens, between two seeds of one chain.
    pub max_gap: u32,
    /// A token that differs from the document's costs this many bits of
    /// evidence where a run of such tokens starts…
    pub mismatch_bits: u32,
    /// …and this many for each further token of the run: a replaced word
    /// is one edit however many tokens it has.
    pub mismatch_run_bits: u32,
    /// Extension stops once its evidence falls this far below its best.
    pub x_drop_bits: u32,
    /// An attributed chain's extension may jump an edit at its edge: skip
    /// up to this many output tokens (a replaced word) and resume the copy
    /// up to `max_drift` tokens off its diagonal…
    pub resume_skip_tokens: u32,
    /// …where what it resumes with outweighs this many bits per token
    /// skipped and per token of shift.
    pub resume_bits: u32,
    /// Evidence a chain needs to be attributed, in bits: the surprise of
    /// the tokens it matches in its document less the cost of those it
    /// does not (`mismatch_bits`, `mismatch_run_bits`).
    pub min_chain_bits: u32,
    /// Holder rule: a chain competes for an output token when its evidence
    /// is at least 3/4 of the strongest chain's covering that token (a
    /// copy of the same passage, edits aside), or at least this many bits
    /// (a passage of its own, however long the other): a phrase a document
    /// shares by chance does not take a copied passage's tokens.
    pub strong_chain_bits: u32,
    /// Shortest chain attributed, in output tokens: a few words in common
    /// ("Pluggable Authentication Modules") are a phrase, not a copy…
    pub min_chain_tokens: u32,
    /// …and in characters where tokens split them: 12 GPT-2 tokens of
    /// Chinese can be four characters ("遵循以下步骤：", "follow these
    /// steps:", is seven characters and 16 tokens).
    pub min_chain_characters: u32,
    /// Longest match followed, in tokens (bounds the work per position).
    pub max_match_tokens: u32,
    /// Surprise is measured given this many tokens before each one…
    pub context_tokens: u32,
    /// …where the corpus holds that context at least this often (else a
    /// shorter one): a context seen a few times is mostly the very passages
    /// being copied, and would make their own continuation look predictable.
    pub min_context_count: u32,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            min_seed_tokens: 4,
            min_seed_bits: 15,
            max_occurrences: 32,
            max_places: 65_536,
            max_drift: 4,
            max_gap: 24,
            mismatch_bits: 6,
            mismatch_run_bits: 2,
            x_drop_bits: 32,
            resume_skip_tokens: 3,
            resume_bits: 4,
            min_chain_bits: 38,
            strong_chain_bits: 128,
            min_chain_tokens: 12,
            min_chain_characters: 8,
            max_match_tokens: 512,
            context_tokens: 2,
            min_context_count: 8,
        }
    }
}

/// An output attributed: weights per contribution, and the spans behind them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attribution {
    /// Output tokens.
    pub tokens: usize,
    /// (contribution, output tokens attributed to it), by contribution.
    pub weights: Vec<(u32, u32)>,
    pub spans: Vec<Span>,
}

/// A stretch of the output attributed to one document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Output token range [start, end).
    pub start: usize,
    pub end: usize,
    pub contribution: u32,
    /// The document's path as indexed, and the token offset there.
    pub document: String,
    pub document_offset: u64,
    /// Output tokens inside the span equal to the document's.
    pub matched_tokens: u32,
    /// The output's text of the span (for `--explain`).
    pub text: String,
    /// Found by the paraphrase stage: the cosine similarity of the output's
    /// sentence and the document's passage, in thousandths (`None` for a
    /// span the exact stage found).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<u32>,
}

/// Attributes outputs against one index with one tokenizer.
pub struct Attributor {
    pub index: Index,
    pub tokenizer: Tokenizer,
    pub tuning: Tuning,
    /// Per token: −log₂ of its share of the corpus, in 1/16 bit; 0 for a
    /// token without a letter or digit ([`Tokenizer::carries_text`]).
    surprise_alone: Vec<u32>,
    /// Per token: [`Tokenizer::continues_character`].
    continues_character: Vec<bool>,
}

/// A token's context is counted without the copies of the passage around
/// it (the corpus's occurrences of the `PASSAGE_TOKENS` + 1 tokens ending
/// at it): text repeated across generated pages (an API index, a licence
/// footer) is not made predictable by its own repetitions, while an idiom,
/// shorter than this and found in many surroundings, still is.
const PASSAGE_TOKENS: usize = 16;

/// A seed: output [start, end) occurs in `document` at `start + diagonal`.
#[derive(Clone, Copy, Debug)]
struct Seed {
    document: u32,
    start: usize,
    end: usize,
    diagonal: i64,
}

/// Seeds of one document on one diagonal band: a copied passage.
#[derive(Clone, Debug)]
struct Chain {
    document: u32,
    start: usize,
    end: usize,
    /// (first output position, diagonal) of each stretch, in order: the
    /// diagonal a token is compared on is that of the last anchor at or
    /// before it (the first one's before it).
    anchors: Vec<(usize, i64)>,
    /// (start, end, diagonal) of its seeds: exact matches, whose tokens
    /// equal the document's on their diagonal without reading it (a read
    /// costs decoding steps in the compressed tier).
    seeds: Vec<(usize, usize, i64)>,
    /// Per token of [start, end): the diagonal on which it equals the
    /// document's, if it does.
    matched: Vec<Option<i64>>,
    /// Surprise of the matched tokens less the mismatches' cost, in 1/16 bit.
    evidence: i64,
}

impl Chain {
    fn diagonal_at(&self, position: usize) -> i64 {
        self.diagonals_at(position).0
    }

    /// The diagonal `position` is compared on, and the next stretch's, if any.
    fn diagonals_at(&self, position: usize) -> (i64, Option<i64>) {
        let after = self
            .anchors
            .partition_point(|(start, _)| *start <= position);
        (
            self.anchors[after.saturating_sub(1)].1,
            self.anchors.get(after).map(|(_, diagonal)| *diagonal),
        )
    }
}

/// 16 × log₂(x) for x ≥ 1, in integers (so every machine computes the
/// same weights): the whole part from the leading one, the fraction from
/// the next four bits through a table of 16 × log₂(1 + k/16). The error is
/// below 1/8 bit.
fn log2_sixteenths(x: u64) -> u32 {
    const FRACTION: [u32; 16] = [0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15];
    let x = x.max(1);
    let whole = 63 - x.leading_zeros();
    let next_four = if whole >= 4 {
        (x >> (whole - 4)) & 0xF
    } else {
        (x << (4 - whole)) & 0xF
    };
    whole * 16 + FRACTION[next_four as usize]
}

impl Attributor {
    /// Refuses a tokenizer that is not the index's, and an index published
    /// under another holder rule than this engine's.
    pub fn new(
        index: Index,
        tokenizer: Tokenizer,
        tuning: Tuning,
    ) -> Result<Self, AttributionError> {
        index.require_tokenizer(&tokenizer)?;
        if index.manifest.holder_rule != HOLDER_RULE {
            return Err(AttributionError::HolderRule {
                path: index.dir.clone(),
                index: index.manifest.holder_rule.clone(),
                engine: HOLDER_RULE,
            });
        }
        let total = log2_sixteenths(index.tokens());
        let surprise_alone = (0..=Token::MAX)
            .map(|token| match index.count(token) {
                // Never in the corpus: never matched, its surprise unused.
                0 => 0,
                count if tokenizer.carries_text(token) => {
                    total.saturating_sub(log2_sixteenths(count))
                }
                _ => 0,
            })
            .collect();
        let continues_character = (0..=Token::MAX)
            .map(|token| tokenizer.continues_character(token))
            .collect();
        Ok(Self {
            index,
            tokenizer,
            tuning,
            surprise_alone,
            continues_character,
        })
    }

    /// Attributes one output text.
    pub fn attribute(&self, output: &str) -> Attribution {
        let tokens = self.tokenizer.encode(output);
        self.attribute_tokens(&tokens)
    }

    pub fn attribute_tokens(&self, tokens: &[Token]) -> Attribution {
        let surprise = self.surprise(tokens);
        let seeds = self.seeds(tokens, &surprise);
        let mut searched = repeated::Searched::default();
        let chains = self
            .chains(seeds)
            .into_iter()
            .map(|chain| self.extend(tokens, &surprise, chain))
            .map(|chain| self.reweigh(tokens, &surprise, chain, &mut searched))
            .filter(|chain| {
                chain.evidence >= i64::from(self.tuning.min_chain_bits) * 16
                    && chain.end - chain.start >= self.tuning.min_chain_tokens as usize
                    && self.characters(&tokens[chain.start..chain.end])
                        >= self.tuning.min_chain_characters as usize
            })
            .map(|chain| self.resume_past_edits(tokens, &surprise, chain))
            .collect();
        self.assign(tokens, chains)
    }

    /// A token's surprise alone (−log₂ of its share of the corpus, 1/16
    /// bit; 0 without text).
    pub(crate) fn token_surprise(&self, token: Token) -> u32 {
        self.surprise_alone[usize::from(token)]
    }

    /// The cost of an output token that differs from the document's, in
    /// 1/16 bit: `mismatch_bits` where a run of differing tokens starts,
    /// `mismatch_run_bits` for each further token of the run. An edit is
    /// priced once: a replaced word of three tokens is one edit, not three,
    /// in every script and with every tokenizer (which may split a CJK
    /// character, or a word of code, into several tokens).
    fn mismatch_cost(&self, continues_a_run: bool) -> i64 {
        i64::from(match continues_a_run {
            true => self.tuning.mismatch_run_bits,
            false => self.tuning.mismatch_bits,
        }) * 16
    }

    /// How many characters begin in `tokens` (a character split across
    /// tokens counts once; a token of several characters, once too: this
    /// counts what is short, not what is long).
    fn characters(&self, tokens: &[Token]) -> usize {
        tokens
            .iter()
            .filter(|token| !self.continues_character[usize::from(**token)])
            .count()
    }

    /// Per output token, in 1/16 bit, the evidence it carries where it
    /// matches: its surprise given the `context_tokens` before it, as the
    /// corpus counts them (−log₂ of the share of the context's occurrences
    /// that the token follows), where the context occurs at least
    /// `min_context_count` times; else given a shorter context, down to
    /// none (the token's own share of the corpus). The copies of the
    /// passage around the token are left out of both counts
    /// (`PASSAGE_TOKENS`). Tokens without text: 0.
    ///
    /// Measured in context because what a script or a tokenizer makes
    /// predictable proves no copying: the second and third bytes of a CJK
    /// character after its first, `-> Self {` after `fn new()`, a markup
    /// macro's arguments. So the thresholds, in bits, mean the same in every
    /// script and with every tokenizer, calibrated by the corpus itself.
    pub fn surprise(&self, tokens: &[Token]) -> Vec<u32> {
        (0..tokens.len())
            .map(|at| {
                if self.surprise_alone[usize::from(tokens[at])] == 0 {
                    return 0;
                }
                let contexts = self.contexts(tokens, at);
                // (None counted this close to the output's start: there the
                // passage would be the context itself.)
                let copies = match at.checked_sub(PASSAGE_TOKENS) {
                    Some(from) => self
                        .index
                        .copies_while(&tokens[from..=at], |bound| !self.settled(&contexts, bound)),
                    None => 0,
                };
                self.surprise_in(tokens, at, &contexts, copies)
            })
            .collect()
    }

    /// How often the corpus holds `passage` whole; or, once fewer than
    /// `enough` places hold its start, that count: below `enough` either
    /// way, searched no further.
    pub(super) fn copies_at_least(&self, passage: &[Token], enough: u64) -> u64 {
        self.index.copies_while(passage, |bound| bound >= enough)
    }

    /// Output token `at`'s surprise ([`Attributor::surprise`]) with
    /// `copies` occurrences of its passage left out of the counts.
    pub(super) fn surprise_given_copies(&self, tokens: &[Token], at: usize, copies: u64) -> u32 {
        if self.surprise_alone[usize::from(tokens[at])] == 0 {
            return 0;
        }
        self.surprise_in(tokens, at, &self.contexts(tokens, at), copies)
    }

    /// The counts of output token `at`'s context of `length` tokens: how
    /// often the corpus holds the context, and the context then the token
    /// (`None` where it never holds the token after it).
    fn context(&self, tokens: &[Token], at: usize, length: usize) -> Option<(u64, u64)> {
        let counts = self.index.prefix_counts(&tokens[at - length..=at]);
        (counts.len() == length + 1).then(|| (counts[length - 1], counts[length]))
    }

    /// Output token `at`'s contexts' counts ([`Attributor::context`]),
    /// longest first, down to the first one trusted with no copies left
    /// out: surprise is measured in it or in a shorter one, and the shorter
    /// ones are searched only if copies make it untrusted.
    fn contexts(&self, tokens: &[Token], at: usize) -> Vec<Option<(u64, u64)>> {
        let mut contexts = Vec::new();
        for length in (1..=(self.tuning.context_tokens as usize).min(at)).rev() {
            let counts = self.context(tokens, at, length);
            contexts.push(counts);
            if counts.is_some_and(|counts| self.trusted(counts, 0).is_some()) {
                break;
            }
        }
        contexts
    }

    /// A context's counts with `copies` left out of both, if the context is
    /// then trusted: held at least `min_context_count` times, and the token
    /// after it at least once.
    fn trusted(&self, (before, with): (u64, u64), copies: u64) -> Option<(u64, u64)> {
        let (before, with) = (before.saturating_sub(copies), with.saturating_sub(copies));
        (before >= u64::from(self.tuning.min_context_count) && with > 0).then_some((before, with))
    }

    /// Output token `at`'s surprise from its contexts' counts, `copies`
    /// left out of each: given the longest context trusted, else alone.
    /// `contexts` are the longest ones ([`Attributor::contexts`]); shorter
    /// ones are searched here where none of those is trusted.
    fn surprise_in(
        &self,
        tokens: &[Token],
        at: usize,
        contexts: &[Option<(u64, u64)>],
        copies: u64,
    ) -> u32 {
        let longest = (self.tuning.context_tokens as usize).min(at);
        let shorter = (1..=longest.saturating_sub(contexts.len()))
            .rev()
            .map(|length| self.context(tokens, at, length));
        contexts
            .iter()
            .copied()
            .chain(shorter)
            .flatten()
            .find_map(|counts| self.trusted(counts, copies))
            .map_or(
                self.surprise_alone[usize::from(tokens[at])],
                |(before, with)| log2_sixteenths(before).saturating_sub(log2_sixteenths(with)),
            )
    }

    /// Whether every count of copies up to `bound` gives the same surprise
    /// ([`Attributor::surprise_in`]): the context it is measured in is the
    /// same (whether one is trusted only changes from true to false as
    /// copies grow), and both its counts' logarithms too (each only falls
    /// as copies grow). A passage's search can stop there: common text
    /// copied a few times has its surprise settled a few tokens in.
    fn settled(&self, contexts: &[Option<(u64, u64)>], bound: u64) -> bool {
        for counts in contexts.iter().flatten() {
            match (self.trusted(*counts, 0), self.trusted(*counts, bound)) {
                (None, None) => continue,
                (Some(none), Some(most)) => {
                    return log2_sixteenths(none.0) == log2_sixteenths(most.0)
                        && log2_sixteenths(none.1) == log2_sixteenths(most.1)
                }
                _ => return false,
            }
        }
        true
    }

    /// Each output token to a chain covering it by the holder rule (of the
    /// chains that compete for it, the earliest contribution, then the most
    /// evidence, then the lowest document: deterministic), then weights
    /// and spans.
    fn assign(&self, tokens: &[Token], mut chains: Vec<Chain>) -> Attribution {
        let documents = &self.index.manifest.documents;
        let contribution = |chain: &Chain| documents[chain.document as usize].contribution;
        chains.sort_by(|a, b| {
            contribution(a)
                .cmp(&contribution(b))
                .then(b.evidence.cmp(&a.evidence))
                .then(a.document.cmp(&b.document))
                .then(a.start.cmp(&b.start))
        });
        // The strongest chain covering each token: a chain competes for a
        // token only with evidence comparable to it, or strong on its own.
        let mut strongest = vec![0i64; tokens.len()];
        for chain in &chains {
            for best in &mut strongest[chain.start..chain.end] {
                *best = (*best).max(chain.evidence);
            }
        }
        let strong = i64::from(self.tuning.strong_chain_bits) * 16;
        let competes =
            |chain: &Chain, best: i64| chain.evidence >= strong || chain.evidence * 4 >= best * 3;
        let mut owner: Vec<Option<usize>> = vec![None; tokens.len()];
        for (rank, chain) in chains.iter().enumerate() {
            for (slot, best) in owner[chain.start..chain.end]
                .iter_mut()
                .zip(&strongest[chain.start..chain.end])
            {
                if slot.is_none() && competes(chain, *best) {
                    *slot = Some(rank);
                }
            }
        }
        let mut spans = Vec::new();
        let mut position = 0;
        while position < tokens.len() {
            let Some(rank) = owner[position] else {
                position += 1;
                continue;
            };
            let start = position;
            while position < tokens.len() && owner[position] == Some(rank) {
                position += 1;
            }
            let chain = &chains[rank];
            let document = &documents[chain.document as usize];
            let matched = chain.matched[start - chain.start..position - chain.start]
                .iter()
                .filter(|on| on.is_some())
                .count() as u32;
            spans.push(Span {
                start,
                end: position,
                contribution: document.contribution,
                document: document.path.clone(),
                document_offset: (chain.diagonal_at(start) + start as i64).max(0) as u64,
                matched_tokens: matched,
                text: self.tokenizer.decode(&tokens[start..position]),
                similarity: None,
            });
        }
        Attribution::of_spans(tokens.len(), spans)
    }
}

impl Attribution {
    /// The attribution these spans make: each contribution weighs the
    /// output tokens its spans cover (spans never overlap).
    pub(crate) fn of_spans(tokens: usize, mut spans: Vec<Span>) -> Self {
        spans.sort_by_key(|span| span.start);
        let mut weights: BTreeMap<u32, u32> = BTreeMap::new();
        for span in &spans {
            *weights.entry(span.contribution).or_default() += (span.end - span.start) as u32;
        }
        Self {
            tokens,
            weights: weights.into_iter().collect(),
            spans,
        }
    }

    /// The weights as the program takes them (u16), scaled down
    /// proportionally if an output attributed more than 65 535 tokens to
    /// one contribution; every contribution named keeps a weight of at least 1.
    pub fn meter_weights(&self) -> Vec<(u32, u16)> {
        let largest = self.weights.iter().map(|(_, w)| *w).max().unwrap_or(0);
        self.weights
            .iter()
            .map(|(contribution, weight)| {
                let scaled = if largest <= u32::from(u16::MAX) {
                    *weight
                } else {
                    ((u64::from(*weight) * u64::from(u16::MAX)) / u64::from(largest)).max(1) as u32
                };
                (*contribution, scaled as u16)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use rand::{rngs::StdRng, Rng, SeedableRng};

    use super::{
        log2_sixteenths,
        testing::{engine, words},
        PASSAGE_TOKENS,
    };

    /// A token's surprise, its passage's copies searched only until they
    /// cannot change it, is the surprise with every copy counted: on a
    /// corpus of common words where paragraphs are repeated 1 to 60 times,
    /// read by outputs that copy them, edited, between words of their own.
    #[test]
    fn surprise_searches_a_passages_copies_only_as_far_as_they_matter() {
        let seed = 7;
        println!("seed {seed}");
        let mut rng = StdRng::seed_from_u64(seed);
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("contribution");
        std::fs::create_dir_all(&folder).unwrap();
        let words = |count: usize, rng: &mut StdRng| words(rng, count, 300, 3).join(" ");
        let paragraphs: Vec<String> = (0..6).map(|_| words(60, &mut rng)).collect();
        for page in 0..60 {
            let mut text = words(80, &mut rng);
            for (k, paragraph) in paragraphs.iter().enumerate() {
                // Paragraph k on the first 1, 3, 8, 20, 40 and 60 pages.
                if page < [1, 3, 8, 20, 40, 60][k] {
                    text = format!("{text} {paragraph} {}", words(20, &mut rng));
                }
            }
            std::fs::write(folder.join(format!("page{page}.txt")), text).unwrap();
        }
        let engine = engine(dir.path(), vec![(0, folder)]);
        let (mut checked, mut cut_short) = (0, 0);
        for output in 0..20 {
            let mut text = String::new();
            for paragraph in &paragraphs {
                let edited: Vec<String> = paragraph
                    .split(' ')
                    .map(|word| match rng.gen_range(0..10) {
                        0 => words(1, &mut rng),
                        _ => word.to_string(),
                    })
                    .collect();
                text = format!("{text} {} {}", edited.join(" "), words(10, &mut rng));
            }
            let tokens = engine.tokenizer.encode(&text);
            let surprise = engine.surprise(&tokens);
            for at in PASSAGE_TOKENS..tokens.len() {
                if engine.token_surprise(tokens[at]) == 0 {
                    continue;
                }
                let passage = &tokens[at - PASSAGE_TOKENS..=at];
                let every_copy = engine.index.copies_while(passage, |_| true);
                let contexts = engine.contexts(&tokens, at);
                let settled = engine
                    .index
                    .copies_while(passage, |bound| !engine.settled(&contexts, bound));
                cut_short += usize::from(settled != every_copy);
                checked += 1;
                assert_eq!(
                    surprise[at],
                    engine.surprise_in(&tokens, at, &contexts, every_copy),
                    "seed {seed}: output {output}, token {at}"
                );
            }
        }
        println!("{checked} tokens, {cut_short} searched short of their passage's copies");
        assert!(cut_short > checked / 50, "{cut_short} of {checked}");
        // A threshold's search: the count where it is reached, else below it.
        let tokens = engine.tokenizer.encode(&format!(" {}", paragraphs[4]));
        let passage = &tokens[..PASSAGE_TOKENS + 1];
        let every_copy = engine.index.copies_while(passage, |_| true);
        assert!(every_copy >= 40, "{every_copy}");
        assert_eq!(engine.copies_at_least(passage, 8), every_copy);
        assert!(engine.copies_at_least(passage, every_copy + 1) <= every_copy);
    }

    #[test]
    fn integer_log2_is_within_an_eighth_of_a_bit() {
        for x in [1u64, 2, 3, 5, 17, 1_000, 65_537, 58_519_620, u64::MAX] {
            let exact = (x as f64).log2() * 16.0;
            let approximate = f64::from(log2_sixteenths(x));
            assert!(
                (exact - approximate).abs() <= 2.0,
                "{x}: {exact} vs {approximate}"
            );
        }
    }
}
