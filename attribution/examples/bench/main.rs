//! The attribution benchmark, with ground truth: builds the index of a
//! corpus (one contribution per subdirectory), generates outputs of about
//! 500 tokens that alternate unseen text with 20–60-token passages copied
//! from indexed documents (recording the true source of every token),
//! replaces a share of the copied tokens with unseen ones, and measures
//! what the engine finds. Prints Markdown tables.
//!
//! Stretches begin and end on a token that carries text (a word), as a
//! quoted passage does; one more row cuts them at any token, where the
//! blanks at a copy's edge may belong to either side. Unseen stretches that
//! quote the corpus verbatim are drawn again (and counted): attributing
//! them would be right, not false.
//!
//!   cargo run --release -p model-ledger-attribution --example bench -- \
//!       --corpus DIR --unseen DIR [--index DIR] [--outputs 400] [--seed 1]
//!       [--tier suffix-array|compressed] [--truth-index DIR]
//!
//! `attribution/bench/run` fetches the Debian corpus and runs this.

use std::{collections::BTreeMap, path::PathBuf, time::Instant};

mod edits;
mod report;
#[path = "../shared/corpus.rs"]
mod shared;

use edits::{edited, edited_words, words, Words};
use report::{goals, repetitive, Missed};
use shared::{contributions, flags, percentile, unseen_tokens};

use model_ledger_attribution::{Attributor, BuildOptions, Index, Tier, Token, Tokenizer, Tuning};
use rand::{rngs::StdRng, Rng, SeedableRng};

struct Args {
    corpus: PathBuf,
    unseen: PathBuf,
    index: PathBuf,
    outputs: usize,
    seed: u64,
    /// Open the index already in `index` instead of building it (to try tunings).
    reuse_index: bool,
    /// The index tier to build (`--tier suffix-array|compressed`).
    tier: Tier,
    /// An index of the same corpus to draw the outputs and their truth
    /// from (`--truth-index`): the suffix-array index beside a compressed
    /// one gives both tiers the same outputs, drawn at its speed.
    truth_index: Option<PathBuf>,
    tuning: Tuning,
}

fn args() -> Args {
    let mut args = Args {
        corpus: PathBuf::new(),
        unseen: PathBuf::new(),
        index: std::env::temp_dir().join("model-ledger-attribution-bench-index"),
        outputs: 400,
        seed: 1,
        reuse_index: false,
        tier: Tier::default(),
        truth_index: None,
        tuning: Tuning::default(),
    };
    for (flag, value) in flags(&["--reuse-index"]) {
        let value = value.unwrap_or_default();
        let number = || shared::number::<u32>(&flag, &value);
        match flag.as_str() {
            "--reuse-index" => args.reuse_index = true,
            "--corpus" => args.corpus = value.into(),
            "--unseen" => args.unseen = value.into(),
            "--index" => args.index = value.into(),
            "--truth-index" => args.truth_index = Some(value.into()),
            "--tier" => args.tier = value.parse().unwrap_or_else(|error| panic!("{error}")),
            "--outputs" => args.outputs = shared::number(&flag, &value),
            "--seed" => args.seed = shared::number(&flag, &value),
            "--min-seed-tokens" => args.tuning.min_seed_tokens = number(),
            "--min-seed-bits" => args.tuning.min_seed_bits = number(),
            "--min-chain-bits" => args.tuning.min_chain_bits = number(),
            "--min-chain-tokens" => args.tuning.min_chain_tokens = number(),
            "--min-chain-characters" => args.tuning.min_chain_characters = number(),
            "--max-occurrences" => args.tuning.max_occurrences = number(),
            "--max-gap" => args.tuning.max_gap = number(),
            "--max-drift" => args.tuning.max_drift = number(),
            "--mismatch-bits" => args.tuning.mismatch_bits = number(),
            "--mismatch-run-bits" => args.tuning.mismatch_run_bits = number(),
            "--x-drop-bits" => args.tuning.x_drop_bits = number(),
            "--resume-skip-tokens" => args.tuning.resume_skip_tokens = number(),
            "--resume-bits" => args.tuning.resume_bits = number(),
            "--context-tokens" => args.tuning.context_tokens = number(),
            "--min-context-count" => args.tuning.min_context_count = number(),
            "--strong-chain-bits" => args.tuning.strong_chain_bits = number(),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(
        !args.corpus.as_os_str().is_empty() && !args.unseen.as_os_str().is_empty(),
        "usage: bench --corpus DIR --unseen DIR [--index DIR] [--outputs N] [--seed N]"
    );
    args
}

/// Peak resident memory of this process so far, in MB (Linux).
fn peak_memory_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// One generated output: its tokens and, per token, the contribution the
/// holder rule pays for it: the earliest holding the passage it was copied
/// from (`None`: unseen text).
struct Output {
    tokens: Vec<Token>,
    truth: Vec<Option<u32>>,
}

/// Whether `segment` quotes the corpus verbatim: a run of at least
/// `QUOTE_TOKENS` tokens, `QUOTE_WORDS` of them carrying text, that occurs
/// in the index. The held-out package quotes manual pages and licences the
/// corpus holds; such a stretch is not unseen text, and attributing it is
/// right, so the generator draws another.
const QUOTE_TOKENS: usize = 12;
const QUOTE_WORDS: usize = 6;

fn quotes_corpus(index: &Index, tokenizer: &Tokenizer, segment: &[Token]) -> bool {
    (0..segment.len()).any(|start| {
        let (length, _) = index.longest_prefix(&segment[start..]);
        length >= QUOTE_TOKENS
            && segment[start..start + length]
                .iter()
                .filter(|token| tokenizer.carries_text(**token))
                .count()
                >= QUOTE_WORDS
    })
}

/// Where a stretch of text may begin and end.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// On a token that carries text (a word, a number): a quoted passage
    /// starts and ends with a word, not inside an indentation run.
    Words,
    /// On any token: the copy's edges may fall inside whitespace that the
    /// text around it shares with the document, where no engine can tell
    /// which side a blank belongs to.
    Tokens,
}

/// A stretch of 20 to 60 tokens of `text` (fewer if it is shorter), cut as `cut` says.
fn stretch(
    text: &[Token],
    tokenizer: &Tokenizer,
    cut: Cut,
    rng: &mut StdRng,
) -> std::ops::Range<usize> {
    loop {
        let length = rng.gen_range(20..=60).min(text.len() - 1);
        let mut start = rng.gen_range(0..text.len() - length);
        let mut end = start + length;
        if cut == Cut::Words {
            while start < end && !tokenizer.carries_text(text[start]) {
                start += 1;
            }
            while end > start && !tokenizer.carries_text(text[end - 1]) {
                end -= 1;
            }
        }
        if end - start >= 20.min(length) {
            return start..end;
        }
    }
}

/// Outputs, and how many unseen stretches were redrawn for quoting the corpus.
fn generate(
    index: &Index,
    tokenizer: &Tokenizer,
    unseen: &[Token],
    count: usize,
    cut: Cut,
    rng: &mut StdRng,
) -> (Vec<Output>, usize) {
    let documents: Vec<(usize, u64)> = index
        .manifest
        .documents
        .iter()
        .enumerate()
        .filter(|(_, document)| document.tokens >= 100)
        .map(|(id, document)| (id, document.tokens))
        .collect();
    let total: u64 = documents.iter().map(|(_, tokens)| tokens).sum();
    let mut redrawn = 0;
    let outputs = (0..count)
        .map(|_| {
            let mut output = Output {
                tokens: Vec::new(),
                truth: Vec::new(),
            };
            while output.tokens.len() < 500 {
                let mut own = stretch(unseen, tokenizer, cut, rng);
                while quotes_corpus(index, tokenizer, &unseen[own.clone()]) {
                    redrawn += 1;
                    own = stretch(unseen, tokenizer, cut, rng);
                }
                output.truth.extend(std::iter::repeat_n(None, own.len()));
                output.tokens.extend_from_slice(&unseen[own]);
                // A document drawn by size, a passage at random inside it.
                let mut pick = rng.gen_range(0..total);
                let (id, _) = *documents
                    .iter()
                    .find(|(_, tokens)| {
                        let here = pick < *tokens;
                        pick = pick.saturating_sub(*tokens);
                        here
                    })
                    .expect("a document");
                let text = index.document_tokens(id);
                let copied = stretch(&text, tokenizer, cut, rng);
                // The holder rule: a passage several contributions hold is
                // the earliest one's, wherever it was copied from.
                let contribution = index
                    .occurrences_by_contribution(&text[copied.clone()])
                    .into_keys()
                    .next()
                    .expect("a passage occurs in its own document");
                output
                    .truth
                    .extend(std::iter::repeat_n(Some(contribution), copied.len()));
                output.tokens.extend_from_slice(&text[copied]);
            }
            output
        })
        .collect();
    (outputs, redrawn)
}

#[derive(Default)]
struct Score {
    attributed: u64,
    correct: u64,
    copied: u64,
    unseen: u64,
    unseen_attributed: u64,
    weight_error: f64,
    latencies: Vec<f64>,
    missed: Missed,
}

fn weights_of(owners: &[Option<u32>]) -> BTreeMap<u32, f64> {
    let mut weights = BTreeMap::new();
    for owner in owners.iter().flatten() {
        *weights.entry(*owner).or_insert(0.0) += 1.0;
    }
    let total: f64 = weights.values().sum();
    weights
        .values_mut()
        .for_each(|weight| *weight /= total.max(1.0));
    weights
}

fn measure(attributor: &Attributor, outputs: &[Output]) -> Score {
    let mut score = Score::default();
    for output in outputs {
        let started = Instant::now();
        let attribution = attributor.attribute_tokens(&output.tokens);
        score.latencies.push(started.elapsed().as_secs_f64() * 1e3);
        let mut owner = vec![None; output.tokens.len()];
        for span in &attribution.spans {
            owner[span.start..span.end].fill(Some(span.contribution));
        }
        score.missed.count(&owner, &output.truth);
        for (found, truth) in owner.iter().zip(&output.truth) {
            match truth {
                Some(_) => score.copied += 1,
                None => score.unseen += 1,
            }
            if found.is_some() {
                score.attributed += 1;
                if found == truth {
                    score.correct += 1;
                }
                if truth.is_none() {
                    score.unseen_attributed += 1;
                }
            }
        }
        let (true_weights, found_weights) = (weights_of(&output.truth), weights_of(&owner));
        let contributions: std::collections::BTreeSet<u32> = true_weights
            .keys()
            .chain(found_weights.keys())
            .copied()
            .collect();
        score.weight_error += 0.5
            * contributions
                .iter()
                .map(|c| {
                    (true_weights.get(c).unwrap_or(&0.0) - found_weights.get(c).unwrap_or(&0.0))
                        .abs()
                })
                .sum::<f64>();
    }
    score.weight_error /= outputs.len() as f64;
    score.latencies.sort_by(f64::total_cmp);
    score
}

fn main() {
    let args = args();
    let tokenizer = Tokenizer::gpt2().expect("GPT-2 tokenizer");
    let (packages, sources) = contributions(&args.corpus);

    let started = Instant::now();
    let report = if args.reuse_index {
        None
    } else {
        Some(
            Index::build(
                &sources,
                &tokenizer,
                &args.index,
                BuildOptions {
                    tier: args.tier,
                    ..BuildOptions::default()
                },
            )
            .expect("index build"),
        )
    };
    let build_seconds = started.elapsed().as_secs_f64();
    let build_peak = peak_memory_mb();
    let started = Instant::now();
    let index = Index::open(&args.index).expect("open the index");
    let open_seconds = started.elapsed().as_secs_f64();

    let unseen = unseen_tokens(&args.unseen, &tokenizer);
    let truth = args.truth_index.as_ref().map(|dir| {
        let truth = Index::open(dir).expect("open the truth index");
        assert_eq!(
            truth.manifest.documents, index.manifest.documents,
            "--truth-index: an index of another corpus"
        );
        truth
    });
    let truth_index = truth.as_ref().unwrap_or(&index);
    let mut rng = StdRng::seed_from_u64(args.seed);
    let (outputs, redrawn) = generate(
        truth_index,
        &tokenizer,
        &unseen,
        args.outputs,
        Cut::Words,
        &mut rng,
    );
    let (token_cut, _) = generate(
        truth_index,
        &tokenizer,
        &unseen,
        args.outputs,
        Cut::Tokens,
        &mut rng,
    );
    let attributor = Attributor::new(index, tokenizer, args.tuning).expect("attributor");

    if let Some(report) = report {
        println!("| corpus | contributions | documents | text MB | tokens | index bytes/token | build s | build MB/s | build peak MB | open + verify s |");
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        println!(
            "| {} | {} | {} | {:.1} | {} | {:.2} | {:.1} | {:.1} | {:.0} | {:.1} |",
            args.corpus.display(),
            packages.len(),
            report.documents,
            report.text_bytes as f64 / 1e6,
            report.tokens,
            report.index_bytes as f64 / report.tokens as f64,
            build_seconds,
            report.text_bytes as f64 / 1e6 / build_seconds,
            build_peak,
            open_seconds
        );
        println!();
    }
    println!(
        "seed {} (--seed replays it), {} outputs\n",
        args.seed, args.outputs
    );
    println!("tuning: {:?}\n", args.tuning);
    println!(
        "unseen stretches redrawn for quoting the corpus verbatim ({QUOTE_TOKENS}+ tokens, {QUOTE_WORDS}+ with text): {redrawn}\n"
    );
    println!("| copied tokens changed | method | precision | recall | false attribution (unseen) | copied tokens missed, %: whole passage / edges / inside / other contribution | weight error (TV) | p50 ms | p95 ms |");
    println!("|---:|---|---:|---:|---:|---|---:|---:|---:|");
    // Exact matching alone (OLMoTrace's spans): no chaining across
    // changed tokens, no extension, a span counted as soon as it is a seed.
    let exact_only = Tuning {
        max_gap: 0,
        max_drift: 0,
        x_drop_bits: 0,
        resume_skip_tokens: 0,
        min_chain_bits: args.tuning.min_seed_bits,
        min_chain_tokens: args.tuning.min_seed_tokens,
        min_chain_characters: 0,
        ..args.tuning
    };
    let methods = [
        ("seed, chain, extend", args.tuning),
        ("exact spans only", exact_only),
    ];
    let mut attributor = attributor;
    let row = |attributor: &mut Attributor,
               label: &str,
               method: &str,
               tuning: Tuning,
               outputs: &[Output]| {
        attributor.tuning = tuning;
        let score = measure(attributor, outputs);
        let (precision, recall, false_attribution) = (
            score.correct as f64 / score.attributed.max(1) as f64,
            score.correct as f64 / score.copied.max(1) as f64,
            100.0 * score.unseen_attributed as f64 / score.unseen.max(1) as f64,
        );
        println!(
            "| {label} | {method} | {precision:.3} | {recall:.3} | {false_attribution:.2} % | {} | {:.3} | {:.2} | {:.2} |",
            score.missed.shares(score.copied),
            score.weight_error,
            percentile(&score.latencies, 0.5),
            percentile(&score.latencies, 0.95),
        );
        (precision, recall, false_attribution)
    };
    // (row, precision, recall, false attribution) of the engine's rows.
    let mut measured: Vec<(String, f64, f64, f64)> = Vec::new();
    for percent in [0, 5, 10, 20] {
        let variant: Vec<Output> = outputs
            .iter()
            .map(|output| edited(output, percent, &unseen, &mut rng))
            .collect();
        for (method, tuning) in methods {
            let (p, r, f) = row(
                &mut attributor,
                &format!("{percent} %"),
                method,
                tuning,
                &variant,
            );
            if method == methods[0].0 {
                measured.push((format!("{percent} %"), p, r, f));
            }
        }
    }
    // Whole words replaced, their lengths in tokens changed.
    let unseen_words = Words::new(
        words(&unseen, &attributor.tokenizer)
            .into_iter()
            .map(|(start, end)| unseen[start..end].to_vec())
            .filter(|word| {
                word.iter()
                    .any(|token| attributor.tokenizer.carries_text(*token))
            })
            .collect(),
    );
    for percent in [10, 20] {
        let (mut new, mut copied) = (0, 0);
        let variant: Vec<Output> = outputs
            .iter()
            .map(|output| {
                let (edited, new_here, copied_here) = edited_words(
                    output,
                    percent,
                    &unseen_words,
                    &attributor.tokenizer,
                    &mut rng,
                );
                (new, copied) = (new + new_here, copied + copied_here);
                edited
            })
            .collect();
        let (p, r, f) = row(
            &mut attributor,
            &format!(
                "{percent} % of words ({:.1} % of tokens)",
                100.0 * new as f64 / copied.max(1) as f64
            ),
            methods[0].0,
            methods[0].1,
            &variant,
        );
        measured.push((format!("{percent} % of words"), p, r, f));
    }
    row(
        &mut attributor,
        "0 %, cut at any token",
        methods[0].0,
        methods[0].1,
        &token_cut,
    );
    attributor.tuning = args.tuning;
    goals(&measured);
    repetitive(&attributor, truth.as_ref().unwrap_or(&attributor.index));
}
