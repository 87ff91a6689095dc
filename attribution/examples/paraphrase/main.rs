//! The paraphrase stage's benchmark, with ground truth: outputs of about
//! 500 tokens alternate unseen paragraphs with passages of one to three
//! sentences copied from indexed documents and paraphrased (WordNet
//! synonyms for a share of the words, clauses and coordinated words
//! swapped), each paragraph ended by a blank line. The exact stage alone
//! and the exact stage with the paraphrase stage are measured on the same
//! outputs. Prints a Markdown table.
//!
//!   cargo run --release -p model-ledger-attribution --example paraphrase -- \
//!       --corpus DIR --unseen DIR --wordnet DIR --model DIR [--index DIR] \
//!       [--outputs 100] [--seed 1] [--reuse-index] [--show-false] \
//!       [--min-similarity 700] [--min-shared-bits 40] [--min-shared-share 60]
//!
//! `--show-false` prints every span that starts in unseen text.
//!
//! `attribution/bench/run paraphrase` fetches the Debian corpus, WordNet
//! and the model, and runs this.

use std::{path::PathBuf, time::Instant};

mod rewrite;
#[path = "../shared/corpus.rs"]
mod shared;

use model_ledger_attribution::{
    paraphrase::{sentences, ParaphraseStage, ParaphraseTuning, Passages, SentenceEncoder},
    Attribution, Attributor, BuildOptions, Index, Token, Tokenizer, Tuning,
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use rewrite::Synonyms;
use shared::{contributions, flags, percentile, unseen_tokens};

struct Args {
    corpus: PathBuf,
    unseen: PathBuf,
    wordnet: PathBuf,
    model: PathBuf,
    index: PathBuf,
    outputs: usize,
    seed: u64,
    reuse_index: bool,
    show_false: bool,
    tuning: ParaphraseTuning,
}

fn args() -> Args {
    let mut args = Args {
        corpus: PathBuf::new(),
        unseen: PathBuf::new(),
        wordnet: PathBuf::new(),
        model: PathBuf::new(),
        index: std::env::temp_dir().join("model-ledger-paraphrase-bench-index"),
        outputs: 100,
        seed: 1,
        reuse_index: false,
        show_false: false,
        tuning: ParaphraseTuning::default(),
    };
    for (flag, value) in flags(&["--reuse-index", "--show-false"]) {
        let value = value.unwrap_or_default();
        let number = || shared::number::<u32>(&flag, &value);
        match flag.as_str() {
            "--reuse-index" => args.reuse_index = true,
            "--show-false" => args.show_false = true,
            "--corpus" => args.corpus = value.into(),
            "--unseen" => args.unseen = value.into(),
            "--wordnet" => args.wordnet = value.into(),
            "--model" => args.model = value.into(),
            "--index" => args.index = value.into(),
            "--outputs" => args.outputs = shared::number(&flag, &value),
            "--seed" => args.seed = shared::number(&flag, &value),
            "--min-similarity" => args.tuning.min_similarity = number(),
            "--min-shared-bits" => args.tuning.min_shared_bits = number(),
            "--min-shared-share" => args.tuning.min_shared_share = number(),
            "--holder-margin" => args.tuning.holder_margin = number(),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

/// The held-out text's sentences (eight words or more) that do not quote
/// the corpus: a run of 12 tokens, 6 with text, found in the index (the
/// handbook quotes Debian's social contract) is not unseen text, and
/// paying it would be right. Returns them and how many were left out.
fn unseen_sentences(attributor: &Attributor, tokens: &[Token]) -> (Vec<String>, usize) {
    let tokenizer = &attributor.tokenizer;
    let quotes = |sentence: &[Token]| {
        (0..sentence.len()).any(|start| {
            let (length, _) = attributor.index.longest_prefix(&sentence[start..]);
            length >= 12
                && sentence[start..start + length]
                    .iter()
                    .filter(|t| tokenizer.carries_text(**t))
                    .count()
                    >= 6
        })
    };
    let mut quoting = 0;
    let kept = sentences(tokenizer, tokens)
        .into_iter()
        .filter(|(start, end)| {
            let quoted = quotes(&tokens[*start..*end]);
            quoting += usize::from(quoted);
            !quoted
        })
        .map(|(start, end)| tokenizer.decode(&tokens[start..end]).trim().to_string())
        .filter(|text| text.split(' ').count() >= 8)
        .collect();
    (kept, quoting)
}

struct Output {
    tokens: Vec<Token>,
    /// Per token: the contribution it was paraphrased from (None: unseen).
    truth: Vec<Option<u32>>,
}

/// How copied passages are changed.
#[derive(Clone, Copy)]
struct Edit {
    synonyms_percent: u32,
    reorder: bool,
}

impl Output {
    /// Appends a paragraph, ended by a blank line.
    fn push(&mut self, tokenizer: &Tokenizer, text: &str, truth: Option<u32>) {
        let tokens = tokenizer.encode(&format!("{text}\n\n"));
        self.truth.extend(std::iter::repeat_n(truth, tokens.len()));
        self.tokens.extend(tokens);
    }
}

/// Outputs, and the share of the copied words replaced (percent).
fn generate(
    attributor: &Attributor,
    synonyms: &Synonyms,
    unseen: &[String],
    edit: Edit,
    count: usize,
    rng: &mut StdRng,
) -> (Vec<Output>, f64) {
    let (index, tokenizer) = (&attributor.index, &attributor.tokenizer);
    let documents: Vec<usize> = (0..index.manifest.documents.len())
        .filter(|id| index.manifest.documents[*id].tokens >= 200)
        .collect();
    let (mut replaced, mut words) = (0usize, 0usize);
    let mut outputs = Vec::new();
    while outputs.len() < count {
        let mut output = Output {
            tokens: Vec::new(),
            truth: Vec::new(),
        };
        while output.tokens.len() < 500 {
            output.push(tokenizer, &unseen[rng.gen_range(0..unseen.len())], None);
            let document = documents[rng.gen_range(0..documents.len())];
            let text = index.document_tokens(document);
            let ranges = sentences(tokenizer, &text);
            let first = rng.gen_range(0..ranges.len());
            let last = (first + rng.gen_range(0..3)).min(ranges.len() - 1);
            let original = tokenizer.decode(&text[ranges[first].0..ranges[last].1]);
            let original = original.trim();
            if original.split(' ').count() < 8 {
                continue;
            }
            let (changed, count) =
                synonyms.paraphrase(original, edit.synonyms_percent, edit.reorder, rng);
            replaced += count;
            words += original.split(' ').count();
            // The holder rule: the earliest contribution holding the original.
            let contribution = index
                .occurrences_by_contribution(&tokenizer.encode(original))
                .into_keys()
                .next()
                .unwrap_or(index.manifest.documents[document].contribution);
            output.push(tokenizer, &changed, Some(contribution));
        }
        outputs.push(output);
    }
    (outputs, replaced as f64 * 100.0 / words.max(1) as f64)
}

#[derive(Default)]
struct Score {
    attributed: u64,
    correct: u64,
    copied: u64,
    copied_found: u64,
    unseen: u64,
    unseen_attributed: u64,
    latencies: Vec<f64>,
}

/// Scores an attribution of every output; with `show_false`, prints each
/// span that starts in unseen text (to standard error).
fn measure(
    outputs: &[Output],
    show_false: bool,
    attribute: impl Fn(&[Token]) -> Attribution,
) -> Score {
    let mut score = Score::default();
    for output in outputs {
        let started = Instant::now();
        let attribution = attribute(&output.tokens);
        score.latencies.push(started.elapsed().as_secs_f64() * 1e3);
        let mut owner = vec![None; output.tokens.len()];
        for span in &attribution.spans {
            owner[span.start..span.end].fill(Some(span.contribution));
            if show_false && output.truth[span.start].is_none() {
                eprintln!(
                    "FALSE {} @{} {}: {:?}",
                    span.document, span.document_offset, span.matched_tokens, span.text
                );
            }
        }
        for (found, truth) in owner.iter().zip(&output.truth) {
            match truth {
                Some(_) => score.copied += 1,
                None => score.unseen += 1,
            }
            if found.is_some() {
                score.attributed += 1;
                if found == truth {
                    score.correct += 1;
                    score.copied_found += 1;
                }
                if truth.is_none() {
                    score.unseen_attributed += 1;
                }
            }
        }
    }
    score.latencies.sort_by(f64::total_cmp);
    score
}

fn main() {
    let args = args();
    let tokenizer = Tokenizer::gpt2().expect("GPT-2 tokenizer");
    let (_, sources) = contributions(&args.corpus);
    if !args.reuse_index {
        Index::build(&sources, &tokenizer, &args.index, BuildOptions::default())
            .expect("index build");
    }
    let index = Index::open(&args.index).expect("open the index");
    let tokens = index.tokens();
    let attributor = Attributor::new(index, tokenizer, Tuning::default()).expect("attributor");
    let encoder =
        SentenceEncoder::load(&args.model).expect("--model: all-MiniLM-L6-v2's directory");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cached = args.index.join("paraphrase-passages.bin");
    let started = Instant::now();
    let passages = match Passages::open(&cached, &attributor.index, &encoder.model_sha256) {
        Ok(passages) => passages,
        Err(_) => {
            let passages = Passages::build(&attributor, &encoder, threads);
            passages.save(&cached).expect("save the passages");
            println!(
                "embedded {} passages ({tokens} tokens) in {:.0} s on {threads} threads\n",
                passages.passages.len(),
                started.elapsed().as_secs_f64()
            );
            passages
        }
    };
    let unseen_tokens = unseen_tokens(&args.unseen, &attributor.tokenizer);
    let (unseen, quoting) = unseen_sentences(&attributor, &unseen_tokens);
    println!(
        "held-out sentences: {} ({quoting} left out for quoting the corpus verbatim)\n",
        unseen.len()
    );
    let synonyms = Synonyms::load(&args.wordnet);
    let model_sha256 = encoder.model_sha256.clone();
    let staged = ParaphraseStage {
        encoder,
        passages,
        tuning: args.tuning,
    };
    println!(
        "seed {} (--seed replays it), {} outputs per row; model {}\n",
        args.seed, args.outputs, model_sha256
    );
    println!("paraphrase tuning: {:?}\n", args.tuning);
    println!("| copied passages | words replaced | method | precision | recall | false attribution (unseen) | p50 ms | p95 ms |");
    println!("|---|---:|---|---:|---:|---:|---:|---:|");
    let mut rng = StdRng::seed_from_u64(args.seed);
    for (name, edit) in [
        (
            "verbatim",
            Edit {
                synonyms_percent: 0,
                reorder: false,
            },
        ),
        (
            "synonyms",
            Edit {
                synonyms_percent: 40,
                reorder: false,
            },
        ),
        (
            "synonyms, order",
            Edit {
                synonyms_percent: 40,
                reorder: true,
            },
        ),
        (
            "more synonyms, order",
            Edit {
                synonyms_percent: 80,
                reorder: true,
            },
        ),
    ] {
        let (outputs, replaced) = generate(
            &attributor,
            &synonyms,
            &unseen,
            edit,
            args.outputs,
            &mut rng,
        );
        let exact = measure(&outputs, args.show_false, |tokens| {
            attributor.attribute_tokens(tokens)
        });
        let both = measure(&outputs, args.show_false, |tokens| {
            staged.attribute_tokens(&attributor, tokens)
        });
        for (method, score) in [("exact stage", exact), ("with paraphrase stage", both)] {
            println!(
                "| {name} | {replaced:.0} % | {method} | {:.3} | {:.3} | {:.2} % | {:.1} | {:.1} |",
                score.correct as f64 / score.attributed.max(1) as f64,
                score.copied_found as f64 / score.copied.max(1) as f64,
                score.unseen_attributed as f64 * 100.0 / score.unseen.max(1) as f64,
                percentile(&score.latencies, 0.5),
                percentile(&score.latencies, 0.95),
            );
        }
    }
}
