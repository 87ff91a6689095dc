//! Text that several contributions hold, paid by the holder rule (the
//! earliest contribution), re-uploads included; and outputs that cost time
//! linear in their length, repetitive ones too.

mod common;

use common::{attributor, edited, excerpt, index_of, paid, words};
use model_ledger_attribution::{Attribution, BuildOptions, Index, Source, Tokenizer, HOLDER_RULE};
use rand::{rngs::StdRng, Rng, SeedableRng};

struct Datasets {
    dir: tempfile::TempDir,
    /// The original dataset's two documents.
    original: [String; 2],
    /// The re-upload: the original's first document verbatim, its second
    /// with one word in twenty changed, and a document of its own.
    reupload: [String; 3],
    other: String,
}

fn datasets() -> Datasets {
    let mut rng = StdRng::seed_from_u64(2024);
    let dir = tempfile::tempdir().unwrap();
    let original = [words(&mut rng, 3_000), words(&mut rng, 3_000)];
    let reupload = [
        original[0].clone(),
        edited(&original[1], 20, &mut rng),
        words(&mut rng, 3_000),
    ];
    let other = words(&mut rng, 3_000);
    let write = |folder: &str, texts: &[String]| {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        for (n, text) in texts.iter().enumerate() {
            std::fs::write(dir.path().join(folder).join(format!("{n}.txt")), text).unwrap();
        }
    };
    write("original", &original);
    write("reupload", &reupload);
    write("other", std::slice::from_ref(&other));
    Datasets {
        dir,
        original,
        reupload,
        other,
    }
}

/// Builds an index of the three datasets under the given contribution
/// indices, listed to the builder in the order given.
fn index(datasets: &Datasets, name: &str, listed: &[(&str, u32)]) -> std::path::PathBuf {
    let sources: Vec<(u32, std::path::PathBuf)> = listed
        .iter()
        .map(|(folder, contribution)| (*contribution, datasets.dir.path().join(folder)))
        .collect();
    index_of(&datasets.dir.path().join(name), &sources)
}

#[test]
fn a_reupload_of_a_dataset_earns_nothing_for_what_the_original_holds() {
    let datasets = datasets();
    let mut rng = StdRng::seed_from_u64(7);
    // The re-upload listed first: the rule follows contribution indices
    // (the order of proposal), not the order a host lists its datasets.
    let listings: [&[(&str, u32)]; 2] = [
        &[("reupload", 7), ("other", 5), ("original", 2)],
        &[("original", 2), ("other", 5), ("reupload", 7)],
    ];
    let mut results = Vec::new();
    for (n, listed) in listings.iter().enumerate() {
        let dir = index(&datasets, &format!("index-{n}"), listed);
        let engine = attributor(&dir);
        assert_eq!(engine.index.manifest.holder_rule, HOLDER_RULE);
        let around = |rng: &mut StdRng, passage: &str| {
            format!("{} {passage} {}", words(rng, 40), words(rng, 40))
        };
        // Verbatim in both: the original's.
        let verbatim = around(&mut rng, &excerpt(&datasets.original[0], 900, 60));
        // The re-upload's edited copy, quoted with its edits: the original
        // still holds the passage, edits aside.
        let near = around(&mut rng, &excerpt(&datasets.reupload[1], 1_500, 80));
        // The re-upload's own text, and the other dataset's.
        let own = around(&mut rng, &excerpt(&datasets.reupload[2], 100, 60));
        let other = around(&mut rng, &excerpt(&datasets.other, 2_000, 60));
        let attributions: Vec<Attribution> = [&verbatim, &near, &own, &other]
            .into_iter()
            .map(|output| engine.attribute(output))
            .collect();
        assert_eq!(paid(&attributions[0]), [2], "{:#?}", attributions[0]);
        assert!(attributions[0].spans[0].document.contains("original"));
        assert_eq!(paid(&attributions[1]), [2], "{:#?}", attributions[1]);
        assert_eq!(paid(&attributions[2]), [7], "{:#?}", attributions[2]);
        assert_eq!(paid(&attributions[3]), [5], "{:#?}", attributions[3]);
        // The whole copied passage, give or take a token at its edges.
        let passage_tokens = engine
            .tokenizer
            .encode(&format!(" {}", excerpt(&datasets.original[0], 900, 60)))
            .len() as u32;
        assert!(
            attributions[0].weights[0].1.abs_diff(passage_tokens) <= 2,
            "{passage_tokens} tokens copied: {:#?}",
            attributions[0]
        );
        results.push(
            attributions
                .iter()
                .map(|a| a.weights.clone())
                .collect::<Vec<_>>(),
        );
        rng = StdRng::seed_from_u64(7);
    }
    assert_eq!(results[0], results[1], "the listing order changed weights");

    // The same datasets with the indices the other way round: the
    // re-upload, proposed first, is then the earliest holder.
    let dir = index(
        &datasets,
        "index-swapped",
        &[("original", 7), ("other", 5), ("reupload", 2)],
    );
    let engine = attributor(&dir);
    let verbatim = excerpt(&datasets.original[0], 900, 60);
    assert_eq!(paid(&engine.attribute(&verbatim)), [2]);
    // Verbatim only in the original now, near-identical in the re-upload.
    let unedited = excerpt(&datasets.original[1], 1_500, 80);
    assert_eq!(paid(&engine.attribute(&unedited)), [2]);
}

/// Suffix-array probes per output token: the engine's work, counted.
fn probes_per_token(engine: &model_ledger_attribution::Attributor, output: &str) -> (f64, usize) {
    let before = engine.index.probes();
    let attribution = engine.attribute(output);
    let probes = engine.index.probes() - before;
    (
        probes as f64 / attribution.tokens as f64,
        attribution.tokens,
    )
}

#[test]
fn repetitive_outputs_cost_time_linear_in_their_length() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(5);
    // A dataset that holds a long repetition, as logs and tables do.
    let folder = dir.path().join("c0");
    std::fs::create_dir_all(&folder).unwrap();
    let repetition = "ok ok ok ".repeat(6_000);
    std::fs::write(
        folder.join("log.txt"),
        format!("{} {repetition}", words(&mut rng, 500)),
    )
    .unwrap();
    std::fs::write(folder.join("prose.txt"), words(&mut rng, 20_000)).unwrap();
    // And runs shorter than the output repeats them, in many pages: chains
    // on many diagonals fall short of evidence and are weighed again.
    for page in 0..30 {
        std::fs::write(
            folder.join(format!("table-{page}.txt")),
            format!(
                "{} {} {}",
                words(&mut rng, 50),
                "mm ".repeat(120),
                words(&mut rng, 50)
            ),
        )
        .unwrap();
    }
    let out = dir.path().join("index");
    Index::build(
        &[Source {
            contribution: 0,
            path: folder.clone(),
        }],
        &Tokenizer::gpt2().unwrap(),
        &out,
        BuildOptions::default(),
    )
    .unwrap();
    let engine = attributor(&out);
    let prose = std::fs::read_to_string(folder.join("prose.txt")).unwrap();
    let start = rng.gen_range(0..10_000);
    let (copy_cost, _) = probes_per_token(&engine, &excerpt(&prose, start, 500));
    let (short_cost, short_tokens) = probes_per_token(&engine, &"ok ".repeat(500));
    let (long_cost, long_tokens) = probes_per_token(&engine, &"ok ".repeat(4_000));
    let (shorter_cost, shorter_tokens) = probes_per_token(&engine, &"mm ".repeat(2_000));
    println!(
        "probes per token: a 500-word copy {copy_cost:.1}, repetition of {short_tokens} tokens {short_cost:.1}, of {long_tokens} tokens {long_cost:.1}; a repetition the corpus holds shorter, {shorter_tokens} tokens {shorter_cost:.1}"
    );
    // Each search narrows at most `max_match_tokens` (512) times, and inside
    // a long match there is one search every 8 tokens: at most 64 per token,
    // what a long verbatim copy costs too (searching at every token, a
    // repetition cost some 500). A token's surprise narrows at most 16 times
    // for the passage around it and 2 + 1 for its contexts, and its surprise
    // for seeding 8 more for the shorter passage (repeated text copied with
    // edits): 91 in all.
    for cost in [copy_cost, short_cost, long_cost, shorter_cost] {
        assert!(cost <= 91.0, "{cost} probes per token");
    }
    assert!(
        long_cost <= copy_cost * 1.5,
        "a repetition cost {long_cost} probes per token, a copy {copy_cost}"
    );
}
