//! The paraphrase stage with the real all-MiniLM-L6-v2, as
//! `attribution/bench/fetch-model` fetches it from PyPI
//! (`MODEL_LEDGER_TEST_MINILM`); without it these tests say so and do
//! nothing, except under CI, where they fail.

use std::path::PathBuf;

use model_ledger_attribution::{
    paraphrase::{
        similarity, ParaphraseError, ParaphraseStage, ParaphraseTuning, Passages, SentenceEncoder,
    },
    Attributor, BuildOptions, Index, Source, Tokenizer,
};

fn model() -> Option<PathBuf> {
    match std::env::var("MODEL_LEDGER_TEST_MINILM") {
        Ok(dir) => Some(dir.into()),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("CI runs attribution/bench/fetch-model and sets MODEL_LEDGER_TEST_MINILM")
        }
        Err(_) => {
            eprintln!("the paraphrase tests need attribution/bench/fetch-model and MODEL_LEDGER_TEST_MINILM");
            None
        }
    }
}

const LIGHTHOUSE: &str =
    "The lighthouse keeper climbed the spiral staircase every evening to light the great lamp. \
Ships passing the rocky headland relied on its beam to avoid the hidden reefs. \
During winter storms the keeper stayed awake all night, trimming the wick and polishing the lens.";
const BEES: &str = "Bees collect nectar from flowers and turn it into honey inside the hive. \
A healthy colony can produce more than thirty kilograms of honey in a single summer. \
Beekeepers wear protective veils and use smoke to calm the insects before opening the boxes.";

/// An index of the given contributions' texts, one document each.
fn index(dir: &std::path::Path, texts: &[&str]) -> Index {
    let sources: Vec<Source> = texts
        .iter()
        .enumerate()
        .map(|(contribution, text)| {
            let path = dir.join(format!("contribution-{contribution}.txt"));
            std::fs::write(&path, text).unwrap();
            Source {
                contribution: contribution as u32,
                path,
            }
        })
        .collect();
    let index_dir = dir.join("index");
    Index::build(
        &sources,
        &Tokenizer::gpt2().unwrap(),
        &index_dir,
        BuildOptions {
            shard_tokens: 1 << 20,
            threads: 2,
            ..BuildOptions::default()
        },
    )
    .unwrap();
    Index::open(&index_dir).unwrap()
}

/// The exact stage (GPT-2, default tuning) over an index of these texts.
fn engine_over(dir: &std::path::Path, texts: &[&str]) -> Attributor {
    Attributor::new(
        index(dir, texts),
        Tokenizer::gpt2().unwrap(),
        Default::default(),
    )
    .unwrap()
}

#[test]
fn the_encoder_gives_the_similarities_sentence_transformers_documents() {
    let Some(model) = model() else { return };
    let encoder = SentenceEncoder::load(&model).unwrap();
    // sbert.net's "Usage" page, all-MiniLM-L6-v2, to its four decimals.
    let [weather, sunny, stadium] = [
        "The weather is lovely today.",
        "It's so sunny outside!",
        "He drove to the stadium.",
    ]
    .map(|text| encoder.embed(text));
    for (a, b, documented) in [
        (&weather, &sunny, 0.6660),
        (&weather, &stadium, 0.1046),
        (&sunny, &stadium, 0.1411),
    ] {
        let found = similarity(a, b);
        assert!(
            (found - documented).abs() < 5e-5,
            "{found} where sentence-transformers gives {documented}"
        );
    }
    assert_eq!(
        encoder.embed_all(&["He drove to the stadium.".to_string()], 2)[0],
        stadium
    );
}

#[test]
fn a_paraphrased_sentence_is_paid_by_the_second_stage_and_a_sentence_on_its_topic_is_not() {
    let Some(model) = model() else { return };
    let dir = tempfile::tempdir().unwrap();
    let attributor = engine_over(dir.path(), &[BEES, LIGHTHOUSE]);
    let encoder = SentenceEncoder::load(&model).unwrap();
    let passages = Passages::build(&attributor, &encoder, 2);
    assert_eq!(passages.passages.len(), 6, "three sentences a document");
    let staged = ParaphraseStage {
        encoder,
        passages,
        tuning: ParaphraseTuning::default(),
    };

    let paraphrase = "Ships going past the rocky headland depended on its light to steer clear of the concealed reefs.\n\n";
    let same_topic = "Modern ships navigate with satellite receivers instead of watching for lights on the coast.\n\n";
    let output = format!("{paraphrase}{same_topic}");
    let tokens = attributor.tokenizer.encode(&output);

    assert!(
        attributor.attribute_tokens(&tokens).spans.is_empty(),
        "no exact run is long enough to be a copy"
    );
    let found = staged.attribute_tokens(&attributor, &tokens);
    assert_eq!(found.spans.len(), 1, "{:?}", found.spans);
    let span = &found.spans[0];
    assert_eq!(
        (span.start, span.contribution, span.text.as_str()),
        (0, 1, paraphrase)
    );
    assert!(span.document.ends_with("contribution-1.txt"));
    assert_eq!(found.weights, vec![(1, span.end as u32)]);

    // Near in topic (ships, lights, the coast), not a paraphrase: unpaid.
    let alone = attributor.tokenizer.encode(same_topic);
    assert!(staged
        .attribute_tokens(&attributor, &alone)
        .spans
        .is_empty());
}

#[test]
fn a_sentence_near_in_meaning_is_not_paid_unless_rare_words_confirm_it() {
    let Some(model) = model() else { return };
    let dir = tempfile::tempdir().unwrap();
    let attributor = engine_over(dir.path(), &[BEES, LIGHTHOUSE]);
    let encoder = SentenceEncoder::load(&model).unwrap();
    // True of bees in general, copied from no one.
    let general = "Bees are insects that live in colonies and pollinate flowers.";
    let embedding = encoder.embed(general);
    let passages = Passages::build(&attributor, &encoder, 2);
    let nearest = passages
        .embeddings
        .iter()
        .map(|passage| similarity(&embedding, passage))
        .fold(0.0, f32::max);
    let defaults = ParaphraseTuning::default();
    assert!(
        nearest * 1000.0 >= defaults.min_similarity as f32,
        "near in meaning: {nearest}"
    );
    let mut stage = ParaphraseStage {
        encoder,
        passages,
        tuning: defaults,
    };
    let tokens = attributor.tokenizer.encode(general);
    assert!(stage
        .attribute_tokens(&attributor, &tokens)
        .spans
        .is_empty());
    stage.tuning = ParaphraseTuning {
        min_shared_bits: 0,
        min_shared_share: 0,
        ..defaults
    };
    assert_eq!(
        stage.attribute_tokens(&attributor, &tokens).weights,
        vec![(0, tokens.len() as u32)],
        "unconfirmed, it would be paid"
    );
}

#[test]
fn a_paraphrase_of_reuploaded_text_is_paid_to_the_earliest_contribution() {
    let Some(model) = model() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Contribution 2 re-uploads contribution 1's text with one word
    // changed, the very word the output uses: its sentence is the nearer
    // (0.942 against 0.900).
    let reupload = LIGHTHOUSE.replace("winter storms", "winter gales");
    let attributor = engine_over(dir.path(), &[BEES, LIGHTHOUSE, &reupload]);
    let encoder = SentenceEncoder::load(&model).unwrap();
    let passages = Passages::build(&attributor, &encoder, 1);
    let mut staged = ParaphraseStage {
        encoder,
        passages,
        tuning: ParaphraseTuning::default(),
    };
    let output = "In winter gales the keeper remained awake through the night, cutting the wick and shining the lens.";
    let tokens = attributor.tokenizer.encode(output);
    let paid_to = |staged: &ParaphraseStage| {
        let found = staged.attribute_tokens(&attributor, &tokens);
        assert_eq!(found.weights.len(), 1, "{:?}", found.spans);
        found.weights[0]
    };
    assert_eq!(paid_to(&staged), (1, tokens.len() as u32));
    // Without the holder rule's margin, the nearest sentence would take it.
    staged.tuning.holder_margin = 0;
    assert_eq!(paid_to(&staged), (2, tokens.len() as u32));
}

#[test]
fn passages_reopen_only_for_their_index_and_model() {
    let Some(model) = model() else { return };
    let dir = tempfile::tempdir().unwrap();
    let attributor = engine_over(dir.path(), &[BEES, LIGHTHOUSE]);
    let encoder = SentenceEncoder::load(&model).unwrap();
    let passages = Passages::build(&attributor, &encoder, 2);
    let file = dir.path().join("passages.bin");
    passages.save(&file).unwrap();
    let reopened = Passages::open(&file, &attributor.index, &encoder.model_sha256).unwrap();
    assert_eq!(reopened.passages, passages.passages);
    assert_eq!(reopened.embeddings, passages.embeddings);

    let refusal = |file: &std::path::Path, index: &Index, model: &str| match Passages::open(
        file, index, model,
    ) {
        Err(ParaphraseError::BadPassages { path, reason }) => {
            assert_eq!(path, file);
            reason
        }
        other => panic!("opened: {:?}", other.map(|p| p.passages.len())),
    };
    // Cut from another index (the bees alone), or by another model.
    let other_dir = tempfile::tempdir().unwrap();
    let other = index(other_dir.path(), &[BEES]);
    let reason = refusal(&file, &other, &encoder.model_sha256);
    assert!(
        reason.contains(&format!(
            "not model {} from index {}",
            encoder.model_sha256, other.content_hash
        )),
        "{reason}"
    );
    let reason = refusal(&file, &attributor.index, &"f".repeat(64));
    assert!(
        reason.contains(&format!(
            "embedded by model {} from index",
            encoder.model_sha256
        )),
        "{reason}"
    );
    // A damaged record: the first passage's document number overwritten.
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[144..148].copy_from_slice(&7u32.to_le_bytes());
    let damaged = dir.path().join("damaged.bin");
    std::fs::write(&damaged, bytes).unwrap();
    let first = passages.passages[0];
    assert_eq!(
        refusal(&damaged, &attributor.index, &encoder.model_sha256),
        format!(
            "passage 0 (document 7, tokens {}..{}) is not inside an indexed document",
            first.start, first.end
        )
    );
}

#[test]
fn a_model_directory_that_does_not_hold_the_model_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let refusal = |dir: &std::path::Path| match SentenceEncoder::load(dir) {
        Err(ParaphraseError::BadModel { path, reason }) => (path, reason),
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("loaded a model from {}", dir.display()),
    };
    let (path, _) = refusal(dir.path());
    assert_eq!(path, dir.path().join("model.safetensors"));

    std::fs::write(
        dir.path().join("tokenizer.json"),
        r#"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2}}, "normalizer": {"lowercase": true}}"#,
    )
    .unwrap();
    // A header length that runs past the file: a truncated download.
    let mut truncated = 4_000u64.to_le_bytes().to_vec();
    truncated.extend_from_slice(b"{\"embeddings");
    std::fs::write(dir.path().join("model.safetensors"), truncated).unwrap();
    let (path, reason) = refusal(dir.path());
    assert_eq!(path, dir.path().join("model.safetensors"));
    assert_eq!(reason, "header of 4000 bytes runs past the file");

    std::fs::write(
        dir.path().join("tokenizer.json"),
        r#"{"model": {"type": "BPE"}}"#,
    )
    .unwrap();
    let (path, reason) = refusal(dir.path());
    assert_eq!(
        (path, reason.as_str()),
        (
            dir.path().join("tokenizer.json"),
            "not an uncased WordPiece tokenizer"
        )
    );
}
