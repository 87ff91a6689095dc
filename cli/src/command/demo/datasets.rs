//! The demo's contributed data and the outputs that use it: a generated
//! text per contributor, an attribution index per metered model, and a
//! pool of host outputs that quote those texts between passages of their
//! own. The attribution engine, not the demo, decides who each output pays.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use anyhow::Result;
use model_ledger::state::AttributionEntry;
use model_ledger_sdk::attribution::{Attributor, BuildOptions, Index, Source, Tokenizer, Tuning};
use rand::{rngs::StdRng, seq::SliceRandom, Rng};

/// Words of the contributed texts.
const DATA_WORDS: &[&str] = &[
    "gradient", "corpus", "sample", "vector", "matrix", "signal", "kernel", "tensor", "layer",
    "weight", "bias", "epoch", "batch", "token", "prompt", "model", "label", "cluster", "feature",
    "entropy", "loss", "metric", "dataset", "schema", "record", "archive", "ledger", "consent",
    "licence", "patient", "clinic", "dosage", "symptom", "trial", "cohort", "genome", "protein",
    "enzyme", "neuron", "cortex", "river", "harbor", "meadow", "glacier", "falcon", "lantern",
    "orbit", "quartz", "saffron", "thistle", "willow", "zephyr", "copper", "delta", "estuary",
    "heron", "indigo", "jasper", "lumen", "nimbus", "prairie", "tundra", "violet", "basalt",
];

/// Words of the hosts' own text: none is a data word, so it matches nothing.
const OWN_WORDS: &[&str] = &[
    "Sure", "here", "is", "what", "you", "asked", "for", "and", "then", "also", "note", "that",
    "answer", "briefly", "overall", "in", "short", "we", "find", "this", "means", "so", "the",
    "result", "follows", "hope", "helps", "consider", "next", "finally",
];

/// Distinct outputs each host serves; calls draw from them, as a host's
/// responses repeat, so each is attributed once.
const OUTPUTS_PER_HOST: usize = 96;
const WORDS_PER_TEXT: usize = 1_500;

/// A contributed text on disk.
pub struct Dataset {
    pub model: usize,
    pub index: u32,
    pub path: PathBuf,
    words: Vec<&'static str>,
}

/// One output a host serves, with the weights the engine computed for it.
pub struct Output {
    pub text: String,
    pub attribution: Vec<AttributionEntry>,
    /// Contribution indices the output really quoted.
    pub quoted: BTreeSet<u32>,
}

/// Where the demo keeps its texts and indices; removed when dropped.
pub struct Workspace(pub PathBuf);

impl Workspace {
    pub fn create(seed: u64) -> Result<Self> {
        let dir =
            std::env::temp_dir().join(format!("model-ledger-demo-{}-{seed}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes a generated text for each contribution `(model, index)`.
pub fn write(dir: &Path, contributions: &[(usize, u32)], rng: &mut StdRng) -> Result<Vec<Dataset>> {
    let mut datasets = Vec::with_capacity(contributions.len());
    for (model, index) in contributions {
        let words: Vec<&'static str> = (0..WORDS_PER_TEXT)
            .map(|_| *DATA_WORDS.choose(rng).expect("words"))
            .collect();
        let path = dir.join(format!("model-{model}-contribution-{index}.txt"));
        std::fs::write(&path, words.join(" "))?;
        datasets.push(Dataset {
            model: *model,
            index: *index,
            path,
            words,
        });
    }
    Ok(datasets)
}

/// The attribution index of one model's datasets, and its content hash.
pub fn attributor(dir: &Path, model: usize, datasets: &[Dataset]) -> Result<(Attributor, String)> {
    let sources: Vec<Source> = datasets
        .iter()
        .filter(|dataset| dataset.model == model)
        .map(|dataset| Source {
            contribution: dataset.index,
            path: dataset.path.clone(),
        })
        .collect();
    let out = dir.join(format!("index-model-{model}"));
    let tokenizer = Tokenizer::gpt2()?;
    let report = Index::build(&sources, &tokenizer, &out, BuildOptions::default())?;
    let attributor = Attributor::new(Index::open(&out)?, tokenizer, Tuning::default())?;
    Ok((attributor, report.content_hash))
}

/// Outputs of a host of `model`: each quotes one to three passages of 20
/// to 60 words from the model's datasets, between sentences of its own.
pub fn outputs(
    attributor: &Attributor,
    model: usize,
    datasets: &[Dataset],
    rng: &mut StdRng,
) -> Vec<Output> {
    let own: Vec<&Dataset> = datasets.iter().filter(|d| d.model == model).collect();
    (0..OUTPUTS_PER_HOST)
        .map(|_| {
            let mut parts = vec![own_words(rng)];
            let mut quoted = BTreeSet::new();
            for _ in 0..rng.gen_range(1..=3) {
                let dataset = own[rng.gen_range(0..own.len())];
                let length = rng.gen_range(20..=60);
                let start = rng.gen_range(1..dataset.words.len() - length);
                parts.push(dataset.words[start..start + length].join(" "));
                parts.push(own_words(rng));
                quoted.insert(dataset.index);
            }
            let text = parts.join(" ");
            let attribution = attributor
                .attribute(&text)
                .meter_weights()
                .into_iter()
                .map(|(index, weight)| AttributionEntry { index, weight })
                .collect();
            Output {
                text,
                attribution,
                quoted,
            }
        })
        .collect()
}

fn own_words(rng: &mut StdRng) -> String {
    (0..rng.gen_range(8..=30))
        .map(|_| *OWN_WORDS.choose(rng).expect("words"))
        .collect::<Vec<_>>()
        .join(" ")
}
