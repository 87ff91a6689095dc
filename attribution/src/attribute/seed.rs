//! Step 1 of the module's method: the seeds, exact matches of the output
//! found in the corpus, each at the places the holder rule keeps.

use super::{Attributor, Seed};
use crate::{index::ShardRange, tokenizer::Token};

/// Inside a long match, a search every this many tokens rather than at
/// every one: each search narrows at most `max_match_tokens` times, so an
/// output costs at most that over this per token, however repetitive; and
/// documents holding the passage with other edits still get a seed every
/// few tokens.
const SEARCH_STRIDE: usize = 8;

/// The last match whose places were found.
struct Located {
    start: usize,
    end: usize,
    /// How often it occurs.
    count: usize,
    /// (document, offset) of each place it seeds.
    places: Vec<(u32, u64)>,
}

impl Attributor {
    /// At every output position, the longest match in the corpus; each one
    /// that is not inside the previous one and passes the tuning's length,
    /// surprise and rarity tests is a seed at each of its occurrences.
    pub(super) fn seeds(&self, tokens: &[Token], surprise: &[u32]) -> Vec<Seed> {
        let tuning = &self.tuning;
        // surprise_before[i]: surprise of tokens[..i].
        let mut surprise_before = Vec::with_capacity(tokens.len() + 1);
        surprise_before.push(0u64);
        for bits in surprise {
            let last = *surprise_before.last().expect("non-empty");
            surprise_before.push(last + u64::from(*bits));
        }
        let min_bits = u64::from(tuning.min_seed_bits) * 16;
        // Whether output [start, end) is surprising enough to seed: by its
        // surprise, or else by its surprise for seeding (`repeated`), each
        // token's computed once, and only where that could reach the
        // threshold (it is at most the token's surprise alone).
        let mut for_seeding: Vec<Option<u32>> = vec![None; tokens.len()];
        let mut surprising = |start: usize, end: usize| {
            if surprise_before[end] - surprise_before[start] >= min_bits {
                return true;
            }
            let most: u64 = (start..end)
                .map(|at| u64::from(surprise[at].max(self.surprise_alone[usize::from(tokens[at])])))
                .sum();
            most >= min_bits
                && (start..end)
                    .map(|at| {
                        u64::from(
                            *for_seeding[at]
                                .get_or_insert_with(|| self.seed_surprise(tokens, surprise, at)),
                        )
                    })
                    .sum::<u64>()
                    >= min_bits
        };
        let mut seeds = Vec::new();
        let mut start = 0usize;
        let mut previous_end = 0usize;
        let mut shorter = Vec::new();
        let mut located: Option<Located> = None;
        while start + (tuning.min_seed_tokens as usize) <= tokens.len() {
            // A seed starts on a token that carries text: a match from a
            // blank or a bracket is the same match from the next word,
            // found at the cost of a search through the commonest tokens.
            if self.surprise_alone[usize::from(tokens[start])] == 0 {
                start += 1;
                continue;
            }
            shorter.clear();
            let Some((length, ranges)) = self.index.longest_match_and_shorter(
                &tokens[start..],
                self.tuning.max_match_tokens,
                tuning.max_occurrences as usize,
                &mut shorter,
            ) else {
                start += 1;
                continue;
            };
            let end = start + length as usize;
            // A long match is a copied passage, which other documents may
            // hold too (the holder rule must see them all); a short one is
            // at most a phrase in common, where more seeds are only noise.
            let copied = length >= tuning.min_chain_tokens;
            // Where another document holds only the start of the passage
            // (its own copy, edited further on): a seed there too.
            for place in shorter.iter().filter(|_| copied) {
                let end = start + place.depth as usize;
                if place.depth >= tuning.min_seed_tokens && surprising(start, end) {
                    let shard = &self.index.shards[place.range.0];
                    for position in shard.shorter_starts(place) {
                        let (document, offset) = shard.document_at(position);
                        seeds.push(Seed {
                            document,
                            start,
                            end,
                            diagonal: offset as i64 - start as i64,
                        });
                    }
                }
            }
            // The next search: the following token, or, inside a long
            // match, `SEARCH_STRIDE` tokens on (see the module's step 1).
            let next =
                (start + 1).max((start + SEARCH_STRIDE).min(end.saturating_sub(SEARCH_STRIDE)));
            // A short match inside the previous one occurs at least as often
            // and is no more surprising: it adds nothing. A long one may be
            // held by more documents than the previous (the other holders
            // of a passage's end), so its places are seeds all the same.
            let inside = end <= previous_end;
            previous_end = previous_end.max(end);
            if (copied || !inside) && length >= tuning.min_seed_tokens && surprising(start, end) {
                let count: usize = ranges.iter().map(|(_, lo, hi)| hi - lo).sum();
                // A match ending where an earlier one ends, found as often,
                // occurs at that one's places moved on: those all hold it,
                // and there are no more. No place located again (a
                // compressed index's locates are most of its time).
                let places = match located.take() {
                    Some(last) if last.end == end && last.count == count => last
                        .places
                        .into_iter()
                        .map(|(document, offset)| (document, offset + (start - last.start) as u64))
                        .collect(),
                    _ => self.occurrences(&ranges, length),
                };
                for (document, offset) in &places {
                    seeds.push(Seed {
                        document: *document,
                        start,
                        end,
                        diagonal: *offset as i64 - start as i64,
                    });
                }
                located = Some(Located {
                    start,
                    end,
                    count,
                    places,
                });
            }
            start = next;
        }
        seeds
    }

    /// The places (document, offset) a match of `depth` tokens occurs, if
    /// it is rare enough to be evidence: at most `max_occurrences` places;
    /// or up to `max_places`, of which the earliest contribution's first
    /// `max_occurrences` (by document, then offset: an order both index
    /// tiers share, where suffix order is the tier's own).
    fn occurrences(&self, ranges: &[ShardRange], depth: u32) -> Vec<(u32, u64)> {
        let tuning = &self.tuning;
        let count: usize = ranges.iter().map(|(_, lo, hi)| hi - lo).sum();
        let limit = tuning.max_occurrences as usize;
        if count > tuning.max_places as usize {
            return Vec::new();
        }
        let shards = &self.index.shards;
        let places: Vec<(usize, u64)> = if count <= limit {
            ranges
                .iter()
                .flat_map(|(shard, lo, hi)| {
                    shards[*shard]
                        .starts(*lo..*hi, depth)
                        .into_iter()
                        .map(move |start| (*shard, start))
                })
                .collect()
        } else {
            // Documents are numbered, and contributions laid out, in the
            // order of (shard, position) (`Index::open` refuses an index
            // that is not), and the ranges come in shard order: the
            // earliest contribution's first places by document and offset
            // are the first places in that order that are its.
            let mut first: Vec<(usize, u64)> = Vec::with_capacity(limit);
            for (shard, lo, hi) in ranges {
                let wanted = limit - first.len();
                if wanted == 0 {
                    break;
                }
                let starts = shards[*shard].smallest_starts((*lo, *hi), depth, wanted);
                first.extend(starts.into_iter().map(|position| (*shard, position)));
            }
            let contribution =
                |(shard, position): &(usize, u64)| shards[*shard].contribution_at(*position);
            let earliest = first.first().map(contribution);
            first.retain(|place| Some(contribution(place)) == earliest);
            first
        };
        places
            .into_iter()
            .map(|(shard, position)| shards[shard].document_at(position))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use rand::{rngs::StdRng, SeedableRng};

    use super::super::testing::{engine, words};
    use crate::tokenizer::Token;

    /// Every seed of an output copying passages held in 1, 3 and 45
    /// places (some edited further on) is at exactly the places the rules
    /// name, found by reading every document: all of them where there are
    /// at most 32, else the earliest contribution's first 32 by document
    /// and offset. Inside a long match, the seeds after the first are
    /// found by moving its places on, not by locating them again.
    #[test]
    fn seeds_lie_at_the_places_that_hold_their_match() {
        let seed = 3;
        println!("seed {seed}");
        let mut rng = StdRng::seed_from_u64(seed);
        let dir = tempfile::tempdir().unwrap();
        let words = |count: usize, rng: &mut StdRng| words(rng, count, 5_000, 1);
        let passages: Vec<Vec<String>> = (0..3).map(|_| words(90, &mut rng)).collect();
        let mut folders = Vec::new();
        for contribution in 0..3u32 {
            let folder = dir.path().join(format!("c{contribution}"));
            std::fs::create_dir_all(&folder).unwrap();
            for page in 0..15 {
                let mut text = words(40, &mut rng);
                for (k, passage) in passages.iter().enumerate() {
                    let held = match k {
                        0 => contribution == 1 && page == 0,
                        1 => contribution == 2 && page < 3,
                        _ => true,
                    };
                    if held {
                        let mut copy = passage.clone();
                        // Some copies edited past their middle.
                        if page % 2 == 1 {
                            copy[50] = "edited".into();
                        }
                        text.extend(copy);
                        text.extend(words(10, &mut rng));
                    }
                }
                std::fs::write(folder.join(format!("p{page:02}.txt")), text.join(" ")).unwrap();
            }
            folders.push((contribution, folder));
        }
        let engine = engine(dir.path(), folders);
        let documents: Vec<Vec<Token>> = (0..engine.index.manifest.documents.len())
            .map(|id| engine.index.document_tokens(id))
            .collect();
        let text: Vec<String> = passages
            .iter()
            .flat_map(|passage| passage.iter().cloned().chain(words(5, &mut rng)))
            .collect();
        let tokens = engine.tokenizer.encode(&text.join(" "));
        let surprise = engine.surprise(&tokens);
        let seeds = engine.seeds(&tokens, &surprise);
        let mut matches: Vec<(usize, usize)> = seeds.iter().map(|s| (s.start, s.end)).collect();
        matches.sort_unstable();
        matches.dedup();
        let long = matches
            .iter()
            .filter(|(start, end)| end - start >= 24)
            .count();
        assert!(long >= 6, "{matches:?}");
        for (start, end) in &matches {
            let (start, end) = (*start, *end);
            let wanted = &tokens[start..end];
            let mut seeded: Vec<(u32, i64)> = seeds
                .iter()
                .filter(|s| (s.start, s.end) == (start, end))
                .map(|s| (s.document, s.diagonal))
                .collect();
            seeded.sort_unstable();
            // A shorter match at a start is where a document holds only the
            // start of the longest (`shorter`): each holds it.
            if matches.iter().any(|m| m.0 == start && m.1 > end) {
                for (document, diagonal) in seeded {
                    let offset = (start as i64 + diagonal) as usize;
                    assert_eq!(
                        documents[document as usize].get(offset..offset + wanted.len()),
                        Some(wanted),
                        "seed {seed}: match {start}..{end}"
                    );
                }
                continue;
            }
            // The longest: every place holding it, by document and offset.
            let mut held: Vec<(u32, i64)> = documents
                .iter()
                .enumerate()
                .flat_map(|(id, document)| {
                    document
                        .windows(wanted.len())
                        .enumerate()
                        .filter(|(_, window)| *window == wanted)
                        .map(move |(offset, _)| (id as u32, offset as i64 - start as i64))
                })
                .collect();
            if held.len() > 32 {
                let contribution =
                    |id: u32| engine.index.manifest.documents[id as usize].contribution;
                let earliest = contribution(held[0].0);
                held.truncate(32);
                held.retain(|(id, _)| contribution(*id) == earliest);
            }
            assert_eq!(seeded, held, "seed {seed}: match {start}..{end}");
        }
    }
}
