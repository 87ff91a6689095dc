//! Helpers the engine's test files share.
#![allow(dead_code)] // each test binary uses part of it

use std::path::{Path, PathBuf};

use model_ledger_attribution::{
    Attribution, Attributor, BuildOptions, Index, Source, Tokenizer, Tuning,
};
use rand::{rngs::StdRng, seq::SliceRandom};

pub const WORDS: &[&str] = &[
    "river", "stone", "lantern", "orbit", "velvet", "harbor", "cinder", "meadow", "quartz",
    "ember", "falcon", "glacier", "hollow", "ivory", "juniper", "kettle", "lilac", "marble",
    "nectar", "onyx", "pepper", "quiver", "raven", "saffron", "thistle", "umber", "violet",
    "willow", "yarrow", "zephyr", "anchor", "bramble", "copper", "dune", "fjord", "garnet",
    "heron", "indigo", "jasper", "kelp", "lumen", "moss", "nimbus", "opal", "prairie", "quill",
    "reed", "sable", "tundra", "urchin", "vale", "wren", "basalt", "cobalt", "delta", "estuary",
];

/// `count` words drawn from the seeded generator: text whose 6-token runs
/// are all but unique, so a match means a copy.
pub fn words(rng: &mut StdRng, count: usize) -> String {
    (0..count)
        .map(|_| *WORDS.choose(rng).unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` with one word in `every` replaced by a word from `rng`.
pub fn edited(text: &str, every: usize, rng: &mut StdRng) -> String {
    text.split(' ')
        .enumerate()
        .map(|(n, word)| match n % every == every / 2 {
            true => words(rng, 1),
            false => word.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The engine over the index in `dir`, GPT-2's tokenizer and the default tuning.
pub fn attributor(dir: &Path) -> Attributor {
    tuned_attributor(dir, Tuning::default())
}

/// The engine over the index in `dir`, GPT-2's tokenizer and `tuning`.
pub fn tuned_attributor(dir: &Path, tuning: Tuning) -> Attributor {
    Attributor::new(
        Index::open(dir).unwrap(),
        Tokenizer::gpt2().unwrap(),
        tuning,
    )
    .unwrap()
}

/// Words `from..from + count` of a text of words joined by spaces.
pub fn excerpt(text: &str, from: usize, count: usize) -> String {
    text.split(' ')
        .skip(from)
        .take(count)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The contributions an attribution pays, in order.
pub fn paid(attribution: &Attribution) -> Vec<u32> {
    attribution.weights.iter().map(|(c, _)| *c).collect()
}

/// An index in `out` of `(contribution, folder)` sources, GPT-2's
/// tokenizer and the default options.
pub fn index_of(out: &Path, sources: &[(u32, PathBuf)]) -> PathBuf {
    let sources: Vec<Source> = sources
        .iter()
        .map(|(contribution, path)| Source {
            contribution: *contribution,
            path: path.clone(),
        })
        .collect();
    Index::build(
        &sources,
        &Tokenizer::gpt2().unwrap(),
        out,
        BuildOptions::default(),
    )
    .unwrap();
    out.to_path_buf()
}
