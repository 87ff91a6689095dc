//! Step 3 of the module's method: a chain grows past its outer seeds,
//! along its diagonal (X-drop) and, once attributed, past an edit at its
//! edge onto a nearby one; then its tokens are compared with the document's.

use super::{Attributor, Chain};
use crate::tokenizer::Token;

/// A jump past an edit at a chain's edge is judged on this many tokens
/// after it (`Attributor::resume_past_edits`).
const RESUME_LOOKAHEAD: usize = 16;

/// Which side of a chain an extension grows on.
#[derive(Clone, Copy, Debug)]
enum Side {
    Before,
    After,
}

impl Attributor {
    /// The document's token at output position `at` on `diagonal`, if the
    /// document reaches there.
    pub(super) fn document_token(&self, document: u32, at: usize, diagonal: i64) -> Option<Token> {
        let entry = &self.index.manifest.documents[document as usize];
        let offset = at as i64 + diagonal;
        (offset >= 0 && (offset as u64) < entry.tokens)
            .then(|| self.index.shards[entry.shard as usize].token(entry.start + offset as u64))
    }

    /// X-drop along one diagonal, outwards from `edge` on `side`, for at
    /// most `max_steps` tokens: the tokens up to the best point, and the
    /// evidence there.
    fn reach(
        &self,
        tokens: &[Token],
        surprise: &[u32],
        document: u32,
        (edge, side): (usize, Side),
        diagonal: i64,
        max_steps: usize,
    ) -> (usize, i64) {
        let x_drop = i64::from(self.tuning.x_drop_bits) * 16;
        let positions: Box<dyn Iterator<Item = usize>> = match side {
            Side::Before => Box::new((0..edge).rev()),
            Side::After => Box::new(edge..tokens.len()),
        };
        let (mut score, mut best, mut steps, mut best_steps) = (0i64, 0i64, 0usize, 0usize);
        let mut mismatching = false;
        for at in positions.take(max_steps) {
            let Some(token) = self.document_token(document, at, diagonal) else {
                break;
            };
            steps += 1;
            if token == tokens[at] {
                mismatching = false;
                score += i64::from(surprise[at]);
                // (A matched token of text that adds nothing, the rest of a
                // word its first token predicts, still belongs to the copy;
                // a blank or a bracket after it may be the next text's.)
                let text = self.surprise_alone[usize::from(tokens[at])] > 0;
                if score > best || (score == best && text) {
                    (best, best_steps) = (score, steps);
                }
            } else {
                score -= self.mismatch_cost(mismatching);
                mismatching = true;
                if score < best - x_drop {
                    break;
                }
            }
        }
        (best_steps, best)
    }

    /// The X-drop from `chain`'s edge on `side` along `diagonal`, as far as
    /// it goes: the tokens it adds.
    fn follow(
        &self,
        tokens: &[Token],
        surprise: &[u32],
        chain: &Chain,
        side: Side,
        diagonal: i64,
    ) -> usize {
        let edge = match side {
            Side::Before => chain.start,
            Side::After => chain.end,
        };
        let (steps, _) = self.reach(
            tokens,
            surprise,
            chain.document,
            (edge, side),
            diagonal,
            usize::MAX,
        );
        steps
    }

    /// Grows `chain` past its outer seeds along its diagonal (X-drop), then
    /// marks which of its tokens equal the document's.
    pub(super) fn extend(&self, tokens: &[Token], surprise: &[u32], mut chain: Chain) -> Chain {
        let first = chain.anchors[0].1;
        let last = chain.anchors.last().expect("an anchor").1;
        let left = self.follow(tokens, surprise, &chain, Side::Before, first);
        let right = self.follow(tokens, surprise, &chain, Side::After, last);
        chain.start -= left;
        chain.end += right;
        chain.anchors[0].0 = chain.start;
        self.mark(tokens, surprise, &mut chain);
        chain
    }

    /// An attributed chain grows on past an edit at its edge, a step of
    /// the X-drop that can jump: up to `resume_skip_tokens` output tokens
    /// skipped, and the copy resumed on the chain's diagonal or up to
    /// `max_drift` off it (a word replaced by a longer or shorter one shifts
    /// the copy), wherever what it resumes with carries more evidence than
    /// `resume_bits` per token skipped and per token of shift. A cost below
    /// a mismatch's, because the chain is already a copy: the question at
    /// its edge is only where the copy ends. Only a chain attributed on its
    /// own evidence grows so; the many places a jump may land never make a
    /// chain.
    pub(super) fn resume_past_edits(
        &self,
        tokens: &[Token],
        surprise: &[u32],
        mut chain: Chain,
    ) -> Chain {
        // Each jump is judged on what follows it within `RESUME_LOOKAHEAD`
        // tokens, then followed by the X-drop as far as it goes: an output
        // that repeats itself matches on many diagonals at once, and
        // following each to its end would cost the output's length per jump.
        let edges = (chain.start, chain.end);
        while let Some((skipped, diagonal, steps)) =
            self.resumption(tokens, surprise, &chain, Side::After)
        {
            chain.anchors.push((chain.end, diagonal));
            chain.end += skipped + steps;
            chain.end += self.follow(tokens, surprise, &chain, Side::After, diagonal);
        }
        while let Some((skipped, diagonal, steps)) =
            self.resumption(tokens, surprise, &chain, Side::Before)
        {
            chain.start -= skipped + steps;
            chain.start -= self.follow(tokens, surprise, &chain, Side::Before, diagonal);
            chain.anchors.insert(0, (chain.start, diagonal));
        }
        if (chain.start, chain.end) != edges {
            self.mark(tokens, surprise, &mut chain);
        }
        chain
    }

    /// The best jump past `chain`'s edge on `side` (most evidence net of
    /// its cost; the fewest tokens skipped, then the smallest shift, on a
    /// tie): (tokens skipped, diagonal, tokens resumed).
    fn resumption(
        &self,
        tokens: &[Token],
        surprise: &[u32],
        chain: &Chain,
        side: Side,
    ) -> Option<(usize, i64, usize)> {
        let cost = i64::from(self.tuning.resume_bits) * 16;
        let (edge, diagonal) = match side {
            Side::Before => (chain.start, chain.anchors[0].1),
            Side::After => (chain.end, chain.anchors.last().expect("an anchor").1),
        };
        let drift = i64::from(self.tuning.max_drift);
        let mut best: Option<(i64, usize, i64, usize)> = None;
        for skipped in 0..=self.tuning.resume_skip_tokens as usize {
            let from = match side {
                Side::Before => edge.checked_sub(skipped),
                Side::After => Some(edge + skipped).filter(|from| *from < tokens.len()),
            };
            let Some(from) = from else {
                break;
            };
            for shift in 0..=drift {
                // Neither skipped nor shifted: the X-drop's own step.
                if skipped == 0 && shift == 0 {
                    continue;
                }
                for shifted in [diagonal - shift, diagonal + shift] {
                    // The copy reads its document forwards: a jump may pass
                    // over document tokens (a word dropped or shortened),
                    // or over output tokens put in place of none, but never
                    // back onto document tokens the chain has used (which
                    // a repetitive output would otherwise do again and
                    // again, one period at a time).
                    let back = match side {
                        Side::After => diagonal - shifted,
                        Side::Before => shifted - diagonal,
                    };
                    if back > skipped as i64 {
                        continue;
                    }
                    let (steps, evidence) = self.reach(
                        tokens,
                        surprise,
                        chain.document,
                        (from, side),
                        shifted,
                        RESUME_LOOKAHEAD,
                    );
                    let gain = evidence - cost * (skipped as i64 + shift);
                    if steps > 0 && gain > best.map_or(0, |(most, ..)| most) {
                        best = Some((gain, skipped, shifted, steps));
                    }
                    if shift == 0 {
                        break;
                    }
                }
            }
        }
        best.map(|(_, skipped, diagonal, steps)| (skipped, diagonal, steps))
    }

    /// Which of the chain's tokens equal the document's, on which
    /// diagonal, and its evidence.
    fn mark(&self, tokens: &[Token], surprise: &[u32], chain: &mut Chain) {
        // A token before the next stretch is also compared on that
        // stretch's diagonal: the edit that shifted the copy (a word
        // replaced by a longer or shorter one) lies somewhere in between,
        // the old diagonal holding before it and the new one after it.
        // Where a seed lies on a diagonal a token is compared on, the token
        // is known equal there: (on its own stretch's, on the next's).
        let mut known = vec![(false, false); chain.end - chain.start];
        for (start, end, diagonal) in &chain.seeds {
            for at in (*start).max(chain.start)..(*end).min(chain.end) {
                let (here, next) = chain.diagonals_at(at);
                let known = &mut known[at - chain.start];
                known.0 |= here == *diagonal;
                known.1 |= next == Some(*diagonal);
            }
        }
        chain.matched = (chain.start..chain.end)
            .map(|at| {
                let (here, next) = chain.diagonals_at(at);
                let (known_here, known_next) = known[at - chain.start];
                let equal = |diagonal: i64| {
                    self.document_token(chain.document, at, diagonal) == Some(tokens[at])
                };
                match known_here || equal(here) {
                    true => Some(here),
                    false => next.filter(|next| known_next || equal(*next)),
                }
            })
            .collect();
        chain.evidence = chain
            .matched
            .iter()
            .enumerate()
            .map(|(i, matched)| match matched {
                Some(_) => i64::from(surprise[chain.start + i]),
                None => -self.mismatch_cost(i > 0 && chain.matched[i - 1].is_none()),
            })
            .sum();
    }
}

#[cfg(test)]
mod tests {
    use super::super::{testing::engine, Chain};

    /// A chain whose seeds lie on two diagonals, with tokens of the first
    /// seed's diagonal compared on the second's: marked by its seeds and
    /// by reading the document, the same.
    #[test]
    fn a_chains_seeds_mark_what_reading_the_document_marks() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("contribution");
        std::fs::create_dir_all(&folder).unwrap();
        let text: Vec<String> = (0..400).map(|k| format!("word{k}")).collect();
        std::fs::write(folder.join("doc.txt"), text.join(" ")).unwrap();
        let engine = engine(dir.path(), vec![(0, folder)]);
        let document = engine.index.document_tokens(0);
        // Output [0, 10) and [12, 20) copy the document on diagonal 100,
        // [10, 12) and [20, 40) on diagonal 130.
        let output: Vec<_> = [100..110, 140..142, 112..120, 150..170]
            .into_iter()
            .flat_map(|range| document[range].to_vec())
            .collect();
        let surprise = engine.surprise(&output);
        let chain = Chain {
            document: 0,
            start: 0,
            end: 40,
            anchors: vec![(0, 100), (10, 130)],
            seeds: vec![(0, 10, 100), (10, 12, 130), (12, 20, 100), (20, 40, 130)],
            matched: Vec::new(),
            evidence: 0,
        };
        let mut by_seeds = chain.clone();
        engine.mark(&output, &surprise, &mut by_seeds);
        let mut by_reading = Chain {
            seeds: Vec::new(),
            ..chain
        };
        engine.mark(&output, &surprise, &mut by_reading);
        assert_eq!(by_seeds.matched, by_reading.matched);
        assert_eq!(by_seeds.evidence, by_reading.evidence);
        // [12, 20) is compared on diagonal 130, where the document differs.
        assert!(by_reading.matched[12..20].contains(&None));
        assert!(by_reading.matched[20..40].iter().all(|on| *on == Some(130)));
    }
}
