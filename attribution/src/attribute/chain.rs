//! Step 2 of the module's method: seeds chained per document along their
//! diagonal band.

use super::{Attributor, Chain, Seed};

impl Attributor {
    /// Seeds grouped per document and chained along their diagonal.
    pub(super) fn chains(&self, mut seeds: Vec<Seed>) -> Vec<Chain> {
        let tuning = &self.tuning;
        seeds.sort_by_key(|seed| (seed.document, seed.start, seed.diagonal));
        let mut chains: Vec<Chain> = Vec::new();
        // Open chains of the document being read, newest last.
        let mut open: Vec<Chain> = Vec::new();
        let mut document = None;
        for seed in seeds {
            if document != Some(seed.document) {
                chains.append(&mut open);
                document = Some(seed.document);
            }
            let joins = open.iter_mut().rev().find(|chain| {
                let last = chain.anchors.last().expect("a chain has an anchor").1;
                seed.start <= chain.end + tuning.max_gap as usize
                    && (seed.diagonal - last).unsigned_abs() <= u64::from(tuning.max_drift)
            });
            match joins {
                Some(chain) => {
                    let last = chain.anchors.last().expect("an anchor").1;
                    if seed.diagonal != last {
                        chain
                            .anchors
                            .push((seed.start.max(chain.start), seed.diagonal));
                    }
                    chain.end = chain.end.max(seed.end);
                    chain.seeds.push((seed.start, seed.end, seed.diagonal));
                }
                None => open.push(Chain {
                    document: seed.document,
                    start: seed.start,
                    end: seed.end,
                    anchors: vec![(seed.start, seed.diagonal)],
                    seeds: vec![(seed.start, seed.end, seed.diagonal)],
                    matched: Vec::new(),
                    evidence: 0,
                }),
            }
        }
        chains.append(&mut open);
        chains
    }
}
