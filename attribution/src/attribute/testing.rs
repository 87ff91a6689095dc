//! What the engine's unit tests share: an engine over folders of text, and
//! words to write them with.

use std::path::{Path, PathBuf};

use rand::{rngs::StdRng, Rng};

use super::Attributor;
use crate::{BuildOptions, Index, Source, Tokenizer, Tuning};

/// An engine of default tuning over an index of `folders` (contribution,
/// folder of text files), built in `dir`.
pub(super) fn engine(dir: &Path, folders: Vec<(u32, PathBuf)>) -> Attributor {
    let sources: Vec<Source> = folders
        .into_iter()
        .map(|(contribution, path)| Source { contribution, path })
        .collect();
    let out = dir.join("index");
    let tokenizer = Tokenizer::gpt2().unwrap();
    Index::build(&sources, &tokenizer, &out, BuildOptions::default()).unwrap();
    Attributor::new(Index::open(&out).unwrap(), tokenizer, Tuning::default()).unwrap()
}

/// `count` words of a vocabulary of `vocabulary`, word k drawn as
/// vocabulary · u^`skew` for u uniform in [0, 1): 1 draws them evenly,
/// more makes the first words common, as text's are.
pub(super) fn words(rng: &mut StdRng, count: usize, vocabulary: u32, skew: i32) -> Vec<String> {
    (0..count)
        .map(|_| {
            let rank = rng.gen_range(0.0f64..1.0).powi(skew) * f64::from(vocabulary);
            format!("w{}", rank as u32)
        })
        .collect()
}
