//! The engine on generated corpora with known sources: exact and edited
//! copies found, unseen text left alone, determinism, and every bad input
//! refused by name.

mod common;

use std::path::{Path, PathBuf};

use common::{attributor, excerpt, paid, tuned_attributor, words, WORDS};

use model_ledger_attribution::{
    attribute_retrieved, AttributionError, Attributor, BuildOptions, Index, Manifest, Retrieved,
    Source, Token, Tokenizer, Tuning,
};
use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};
use sha2::{Digest, Sha256};

struct Corpus {
    dir: tempfile::TempDir,
    documents: Vec<(u32, PathBuf, String)>,
}

/// Three contributions: 0 and 1 directories of two documents, 2 one file.
fn corpus(seed: u64) -> Corpus {
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let mut documents = Vec::new();
    for (contribution, files) in [(0u32, 2), (1, 2), (2, 1)] {
        let folder = dir.path().join(format!("contribution-{contribution}"));
        std::fs::create_dir_all(&folder).unwrap();
        for n in 0..files {
            let path = folder.join(format!("doc-{n}.txt"));
            let text = words(&mut rng, 3_000);
            std::fs::write(&path, &text).unwrap();
            documents.push((contribution, path, text));
        }
    }
    Corpus { dir, documents }
}

/// The engine over an index of `folder` as contribution 0, built in `dir`.
fn one_contribution_engine(dir: &Path, folder: PathBuf) -> (PathBuf, Attributor) {
    let out = dir.join("index");
    Index::build(
        &[Source {
            contribution: 0,
            path: folder,
        }],
        &Tokenizer::gpt2().unwrap(),
        &out,
        BuildOptions::default(),
    )
    .unwrap();
    let engine = attributor(&out);
    (out, engine)
}

fn sources(corpus: &Corpus) -> Vec<Source> {
    (0..3)
        .map(|contribution| Source {
            contribution,
            path: corpus
                .dir
                .path()
                .join(format!("contribution-{contribution}")),
        })
        .collect()
}

fn build(corpus: &Corpus, options: BuildOptions) -> (PathBuf, String) {
    let out = corpus.dir.path().join(format!(
        "index-{}-{}",
        options.threads, options.shard_tokens
    ));
    let report =
        Index::build(&sources(corpus), &Tokenizer::gpt2().unwrap(), &out, options).unwrap();
    (out, report.content_hash)
}

#[test]
fn exact_copies_are_paid_to_their_contribution_and_unseen_text_to_none() {
    let corpus = corpus(1);
    let (dir, _) = build(&corpus, BuildOptions::default());
    let engine = attributor(&dir);
    let mut rng = StdRng::seed_from_u64(99);
    let unseen = words(&mut rng, 60);
    assert!(
        engine.attribute(&unseen).weights.is_empty(),
        "unseen text attributed"
    );

    // Unseen, 40 words of contribution 1, unseen, 30 words of contribution 2.
    let from_one = excerpt(&corpus.documents[3].2, 500, 40);
    let from_two = excerpt(&corpus.documents[4].2, 1_200, 30);
    let output = format!("{unseen} {from_one} {} {from_two}", words(&mut rng, 50));
    let attribution = engine.attribute(&output);
    let contributions: Vec<u32> = attribution.weights.iter().map(|(c, _)| *c).collect();
    assert_eq!(contributions, vec![1, 2], "{attribution:#?}");
    let tokens_of =
        |text: &str| Tokenizer::gpt2().unwrap().encode(&format!(" {text}")).len() as u32;
    let weight = |c: u32| attribution.weights.iter().find(|(k, _)| *k == c).unwrap().1;
    assert!(
        weight(1).abs_diff(tokens_of(&from_one)) <= 2,
        "{attribution:#?}"
    );
    assert!(
        weight(2).abs_diff(tokens_of(&from_two)) <= 2,
        "{attribution:#?}"
    );
    let span = &attribution.spans[0];
    assert!(
        span.document.ends_with("contribution-1/doc-1.txt"),
        "{span:?}"
    );
    // The span is the excerpt, give or take a word of the surrounding text
    // that happens to continue the document.
    let (span_text, excerpt_text) = (span.text.trim(), from_one.as_str());
    assert!(
        span_text.contains(excerpt_text) || excerpt_text.contains(span_text),
        "{span:?}"
    );
}

#[test]
fn a_copy_with_one_word_in_ten_changed_is_still_found() {
    let corpus = corpus(2);
    let (dir, _) = build(&corpus, BuildOptions::default());
    let engine = attributor(&dir);
    let mut rng = StdRng::seed_from_u64(7);
    let copied = excerpt(&corpus.documents[0].2, 800, 60);
    let edited: Vec<String> = copied
        .split(' ')
        .enumerate()
        .map(|(n, word)| {
            if n % 10 == 5 {
                "substituted".to_string()
            } else {
                word.to_string()
            }
        })
        .collect();
    let output = format!("{} {}", words(&mut rng, 30), edited.join(" "));
    let attribution = engine.attribute(&output);
    assert_eq!(attribution.weights.len(), 1, "{attribution:#?}");
    let (contribution, weight) = attribution.weights[0];
    assert_eq!(contribution, 0);
    let copied_tokens = Tokenizer::gpt2()
        .unwrap()
        .encode(&format!(" {}", edited.join(" ")))
        .len();
    // Exact matching alone would stop at every substitution; the chain
    // carries across them, losing at most the edges.
    assert!(
        weight as usize * 100 >= copied_tokens * 85,
        "{weight} of {copied_tokens} tokens: {attribution:#?}"
    );
}

#[test]
fn a_copy_is_followed_past_a_word_replaced_near_its_edge_by_one_of_another_length() {
    let corpus = corpus(3);
    let (dir, _) = build(&corpus, BuildOptions::default());
    let tokenizer = Tokenizer::gpt2().unwrap();
    let engine = attributor(&dir);
    let tokens_of = |text: &str| tokenizer.encode(text);
    let replacement = ["sunflower", "blueberry", "moonbeam"]
        .into_iter()
        .find(|word| tokens_of(&format!(" {word}")).len() == 2)
        .expect("a word of two tokens");
    // 46 words of contribution 1, the 4th and the 4th from last (each one
    // token) replaced by that word, one token longer: the copy's first and
    // last three words lie on another diagonal than its middle. The first
    // window where they carry more evidence than jumping the replaced word
    // costs (2 tokens skipped and 1 of shift, 4 bits each: 12), but less than
    // a seed needs (`min_seed_bits`), so only the jump can reach them.
    let evidence = |tokens: &[Token]| -> u32 { engine.surprise(tokens).iter().sum::<u32>() / 16 };
    // (Seeds of 18 bits here, where a window with both edges between the
    // jump's cost and a seed's is easy to find.)
    let seed_bits = 18;
    let tuning = Tuning {
        min_seed_bits: seed_bits,
        ..Tuning::default()
    };
    let (output, length) = (0..2_900)
        .find_map(|from| {
            let copied = excerpt(&corpus.documents[2].2, from, 46);
            let mut words: Vec<&str> = copied.split(' ').collect();
            if [words[3], words[42]]
                .iter()
                .any(|word| tokens_of(&format!(" {word}")).len() != 1)
            {
                return None;
            }
            words[3] = replacement;
            words[42] = replacement;
            // (After a blank, as in the document, so its first word is the
            // same token.)
            let output = format!(" {}", words.join(" "));
            let tokens = tokens_of(&output);
            let lead = tokens_of(&format!(" {}", words[..3].join(" "))).len();
            let trail = tokens_of(&format!(" {}", words[43..].join(" "))).len();
            let edges = [
                evidence(&tokens[..lead]),
                evidence(&tokens[tokens.len() - trail..]),
            ];
            edges
                .iter()
                .all(|bits| (14..seed_bits).contains(bits))
                .then_some((output, tokens.len()))
        })
        .expect("such a window");
    let spans = |tuning: Tuning| {
        let attribution = tuned_attributor(&dir, tuning).attribute(&output);
        assert_eq!(paid(&attribution), [1], "{attribution:#?}");
        attribution
            .spans
            .iter()
            .map(|span| (span.start, span.end))
            .collect::<Vec<_>>()
    };
    // Followed on its own diagonal alone, the copy stops at both replaced
    // words; resumed past them, it is the whole output.
    let along_one_diagonal = spans(Tuning {
        resume_skip_tokens: 0,
        max_drift: 0,
        ..tuning
    });
    let [(start, end)] = along_one_diagonal[..] else {
        panic!("{along_one_diagonal:?}");
    };
    assert!(
        start >= 5 && end <= length - 5,
        "{along_one_diagonal:?} of {length}"
    );
    assert_eq!(spans(tuning), [(0, length)]);
}

#[test]
fn a_replaced_word_costs_once_however_many_tokens_it_has() {
    let corpus = corpus(5);
    let (dir, _) = build(&corpus, BuildOptions::default());
    let tokenizer = Tokenizer::gpt2().unwrap();
    let engine = attributor(&dir);
    let tokens_of = |text: &str| tokenizer.encode(&format!(" {text}"));
    // Words the corpus does not hold, by their length in tokens.
    let unseen = |length: usize| {
        [
            "zq", "zqx", "zqxv", "zqxvb", "zqxvbw", "qzqzx", "xqzvqx", "vqxzqvx",
        ]
        .into_iter()
        .find(|word| tokens_of(word).len() == length)
    };
    let tuning = Tuning::default();
    let (first, further, least) = (
        i64::from(tuning.mismatch_bits) * 16,
        i64::from(tuning.mismatch_run_bits) * 16,
        i64::from(tuning.min_chain_bits) * 16,
    );
    // A window of contribution 1's words with every fifth replaced by an
    // unseen word of as many tokens (so the copy stays on its diagonal),
    // where the evidence of the tokens kept, less the first token of each
    // replaced word at `mismatch_bits` and the rest at `mismatch_run_bits`,
    // clears the threshold by 4 bits, and the same less every replaced
    // token at `mismatch_bits` falls 4 bits short of it.
    let (output, length) = (0..2_900)
        .find_map(|from| {
            let mut words: Vec<String> = excerpt(&corpus.documents[2].2, from, 22)
                .split(' ')
                .map(str::to_owned)
                .collect();
            let mut replaced = Vec::new();
            for at in [2, 7, 12, 17] {
                let length = tokens_of(&words[at]).len();
                words[at] = unseen(length).filter(|_| length >= 2)?.to_owned();
                replaced.push(at);
            }
            let output = format!(" {}", words.join(" "));
            let tokens = tokenizer.encode(&output);
            let surprise = engine.surprise(&tokens);
            let (mut kept, mut per_token, mut per_word, mut position) = (0i64, 0i64, 0i64, 0);
            for (at, word) in words.iter().enumerate() {
                let length = tokens_of(word).len();
                if replaced.contains(&at) {
                    per_token += first * length as i64;
                    per_word += first + further * (length as i64 - 1);
                } else {
                    kept += surprise[position..position + length]
                        .iter()
                        .map(|bits| i64::from(*bits))
                        .sum::<i64>();
                }
                position += length;
            }
            (position == tokens.len()
                && kept - per_word >= least + 64
                && kept - per_token < least - 64)
                .then_some((output, tokens.len()))
        })
        .expect("a window that clears the threshold only where a replaced word is priced once");
    let attribution = engine.attribute(&output);
    assert_eq!(paid(&attribution), [1], "{attribution:#?}");
    let spans: Vec<_> = attribution.spans.iter().map(|s| (s.start, s.end)).collect();
    assert_eq!(spans, [(0, length)]);
    // Every token of a replaced word at a mismatch's full cost: no copy.
    let per_token = tuned_attributor(
        &dir,
        Tuning {
            mismatch_run_bits: tuning.mismatch_bits,
            ..tuning
        },
    )
    .attribute(&output);
    assert!(per_token.spans.is_empty(), "{per_token:#?}");
}

#[test]
fn a_cjk_phrase_of_a_few_characters_is_not_a_copy_however_many_tokens_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("contribution-0");
    std::fs::create_dir_all(&folder).unwrap();
    let ideographs: Vec<char> = ('\u{4E00}'..='\u{9FA5}').step_by(97).take(200).collect();
    let mut rng = StdRng::seed_from_u64(7);
    let text: Vec<char> = (0..3_000)
        .map(|_| *ideographs.choose(&mut rng).unwrap())
        .collect();
    std::fs::write(folder.join("doc.txt"), text.iter().collect::<String>()).unwrap();
    let (index, engine) = one_contribution_engine(dir.path(), folder);
    let tokenizer = Tokenizer::gpt2().unwrap();
    let tuning = Tuning::default();
    let least = tuning.min_chain_bits * 16;
    // Seven characters of the document: at least `min_chain_tokens` tokens
    // and 4 bits more evidence than a chain needs, one character short.
    let from = (0..2_900)
        .find(|from| {
            let tokens = tokenizer.encode(&text[*from..from + 7].iter().collect::<String>());
            tokens.len() >= tuning.min_chain_tokens as usize
                && engine.surprise(&tokens).iter().sum::<u32>() >= least + 64
        })
        .expect("seven characters of twelve tokens or more");
    let phrase: String = text[from..from + 7].iter().collect();
    let attribution = engine.attribute(&phrase);
    assert!(attribution.spans.is_empty(), "{attribution:#?}");
    // Counted in tokens only, it would be a copy.
    let by_tokens = tuned_attributor(
        &index,
        Tuning {
            min_chain_characters: 0,
            ..tuning
        },
    )
    .attribute(&phrase);
    assert_eq!(paid(&by_tokens), [0], "{by_tokens:#?}");
    // Eight characters and more are.
    let longer: String = text[from..from + 14].iter().collect();
    let attribution = engine.attribute(&longer);
    assert_eq!(paid(&attribution), [0], "{attribution:#?}");
    assert_eq!(
        attribution.weights,
        [(0, tokenizer.encode(&longer).len() as u32)]
    );
}

#[test]
fn the_same_corpus_gives_the_same_index_and_weights_whatever_the_threads_and_shards() {
    let corpus = corpus(3);
    let one = build(
        &corpus,
        BuildOptions {
            threads: 1,
            ..BuildOptions::default()
        },
    );
    let two = build(
        &corpus,
        BuildOptions {
            threads: 2,
            ..BuildOptions::default()
        },
    );
    assert_eq!(one.1, two.1, "content hash depends on the thread count");
    let sharded = build(
        &corpus,
        BuildOptions {
            threads: 2,
            shard_tokens: 4_000,
            ..BuildOptions::default()
        },
    );
    assert!(Index::open(&sharded.0).unwrap().manifest.shards.len() > 1);

    let output = format!(
        "{} {}",
        excerpt(&corpus.documents[1].2, 10, 25),
        excerpt(&corpus.documents[2].2, 2_000, 25)
    );
    let reference = attributor(&one.0).attribute(&output);
    assert!(!reference.weights.is_empty());
    assert_eq!(attributor(&two.0).attribute(&output), reference);
    assert_eq!(
        attributor(&sharded.0).attribute(&output).weights,
        reference.weights
    );
}

#[test]
fn retrieved_documents_pay_their_contributions_by_score() {
    let corpus = corpus(4);
    let (dir, _) = build(&corpus, BuildOptions::default());
    let index = Index::open(&dir).unwrap();
    let id = |n: usize| corpus.documents[n].1.display().to_string();
    let retrieved = vec![
        Retrieved::Scored {
            id: id(0),
            score: Some(0.75),
        },
        Retrieved::Id(id(4)),
        Retrieved::Scored {
            id: id(1),
            score: Some(0.25),
        },
    ];
    assert_eq!(
        attribute_retrieved(&index, &retrieved).unwrap(),
        vec![(0, 1_000), (2, 1_000)]
    );
    let error = attribute_retrieved(&index, &[Retrieved::Id("nowhere.txt".into())]).unwrap_err();
    assert!(matches!(error, AttributionError::UnknownDocument(ref id) if id == "nowhere.txt"));
}

#[test]
fn bad_corpora_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let tokenizer = Tokenizer::gpt2().unwrap();
    let out = dir.path().join("index");
    let build = |path: &Path| {
        Index::build(
            &[Source {
                contribution: 0,
                path: path.to_path_buf(),
            }],
            &tokenizer,
            &out,
            BuildOptions::default(),
        )
        .unwrap_err()
        .to_string()
    };
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(empty.join("blank.txt"), "").unwrap();
    assert!(
        build(&empty).contains("the corpus is empty"),
        "{}",
        build(&empty)
    );
    // Files of whitespace alone (ASCII and an ideographic space) are no
    // text either: refused as empty, no index left behind.
    let blank = dir.path().join("blank");
    std::fs::create_dir_all(&blank).unwrap();
    std::fs::write(blank.join("spaces.txt"), " \n\t\r\n   \n").unwrap();
    std::fs::write(blank.join("cjk.txt"), "\u{3000}\u{3000}\n").unwrap();
    let message = build(&blank);
    assert!(message.contains("the corpus is empty"), "{message}");
    assert!(
        !out.join("index.json").exists(),
        "no index from a blank corpus"
    );
    let binary = dir.path().join("weights.bin");
    std::fs::write(&binary, [0x7f, b'E', b'L', b'F', 0, 1, 2]).unwrap();
    let message = build(&binary);
    assert!(
        message.contains("weights.bin") && message.contains("binary"),
        "{message}"
    );
    let latin1 = dir.path().join("latin1.txt");
    std::fs::write(&latin1, b"caf\xe9").unwrap();
    let message = build(&latin1);
    assert!(
        message.contains("latin1.txt") && message.contains("not UTF-8"),
        "{message}"
    );
    let missing = build(&dir.path().join("absent"));
    assert!(missing.contains("absent"), "{missing}");
    assert!(
        !out.join("index.json").exists(),
        "a failed build left an index"
    );
}

/// The file of `kind` ("tokens", "suffixes", "counts") of shard 0.
fn shard_file(dir: &Path, kind: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("shard-000-") && name.ends_with(&format!(".{kind}"))
        })
        .unwrap_or_else(|| panic!("no {kind} file in {}", dir.display()))
}

#[test]
fn a_corrupted_or_foreign_index_is_refused_naming_the_file() {
    let corpus = corpus(5);
    let (dir, _) = build(&corpus, BuildOptions::default());
    let open_error = |dir: &Path| Index::open(dir).err().expect("refused").to_string();

    let suffixes = shard_file(&dir, "suffixes");
    let name = suffixes.file_name().unwrap().to_string_lossy().to_string();
    let mut bytes = std::fs::read(&suffixes).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&suffixes, &bytes).unwrap();
    let message = open_error(&dir);
    assert!(
        message.contains(&name) && message.contains("SHA-256"),
        "{message}"
    );
    bytes[100] ^= 1;
    std::fs::write(&suffixes, &bytes[..bytes.len() - 4]).unwrap();
    let message = open_error(&dir);
    assert!(
        message.contains(&name) && message.contains("bytes"),
        "{message}"
    );
    std::fs::write(&suffixes, &bytes).unwrap();
    Index::open(&dir).expect("restored");
    let counts = shard_file(&dir, "counts");
    std::fs::remove_file(&counts).unwrap();
    let message = open_error(&dir);
    assert!(
        message.contains(&*counts.file_name().unwrap().to_string_lossy()),
        "{message}"
    );
    let (dir, _) = build(&corpus, BuildOptions::default());

    // The manifest edited without its hash, then an index of another tokenizer.
    let manifest_path = dir.join("index.json");
    let original = std::fs::read_to_string(&manifest_path).unwrap();
    let mut file: serde_json::Value = serde_json::from_str(&original).unwrap();
    file["manifest"]["tokenizer"] = "llama-3".into();
    std::fs::write(&manifest_path, serde_json::to_vec(&file).unwrap()).unwrap();
    let message = open_error(&dir);
    assert!(
        message.contains("index.json") && message.contains("content hash"),
        "{message}"
    );
    let manifest: Manifest = serde_json::from_value(file["manifest"].clone()).unwrap();
    let hash: String = Sha256::digest(serde_json::to_vec(&manifest).unwrap())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    file["content_hash"] = hash.into();
    std::fs::write(&manifest_path, serde_json::to_vec(&file).unwrap()).unwrap();
    let foreign = Index::open(&dir).unwrap();
    let message = Attributor::new(foreign, Tokenizer::gpt2().unwrap(), Tuning::default())
        .err()
        .expect("refused")
        .to_string();
    assert!(
        message.contains("\"llama-3\"") && message.contains("gpt2"),
        "{message}"
    );
    std::fs::write(&manifest_path, b"{ not json").unwrap();
    assert!(open_error(&dir).contains("index.json"));
}

/// The holder rule reads the earliest contribution's first places as the
/// first in the shards' order, which a build lays out by contribution: a
/// manifest, sealed with its hash, that lists a contribution's documents
/// after a later one's is refused, naming the document.
#[test]
fn a_manifest_with_contributions_out_of_order_is_refused() {
    let corpus = corpus(5);
    let (dir, _) = build(&corpus, BuildOptions::default());
    let manifest_path = dir.join("index.json");
    let mut file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    let mut manifest: Manifest = serde_json::from_value(file["manifest"].clone()).unwrap();
    assert!(manifest
        .documents
        .windows(2)
        .all(|pair| pair[0].contribution <= pair[1].contribution));
    // The first document claimed by the last contribution.
    manifest.documents[0].contribution = 2;
    let moved = manifest.documents[0].path.clone();
    file["manifest"] = serde_json::to_value(&manifest).unwrap();
    file["content_hash"] = manifest.content_hash().into();
    std::fs::write(&manifest_path, serde_json::to_vec(&file).unwrap()).unwrap();
    let message = Index::open(&dir).err().expect("refused").to_string();
    let next = &manifest.documents[1].path;
    assert!(
        message.contains("index.json")
            && message.contains(&format!(
                "{next:?} (contribution 0, shard 0) comes after one of contribution 2"
            )),
        "{message} (moved {moved})"
    );
}

/// The index is 6 bytes per token (2 for the token, 4 for its suffix;
/// separators have no suffix) plus a fixed 512 KiB table of token counts
/// per shard; the manifest adds a line per document, not per token.
#[test]
fn the_index_costs_six_bytes_per_token() {
    let corpus = corpus(6);
    let (dir, _) = build(&corpus, BuildOptions::default());
    let index = Index::open(&dir).unwrap();
    let size = |kind: &str| std::fs::metadata(shard_file(&dir, kind)).unwrap().len();
    let documents = index.manifest.documents.len() as u64;
    assert_eq!(size("tokens"), 2 * index.tokens());
    assert_eq!(size("suffixes"), 4 * (index.tokens() - documents));
    assert_eq!(size("counts"), 8 << 16);
}

/// A minimal byte-level BPE tokenizer.json: a few merges of English.
fn tokenizer_json(dir: &Path, model: &str, merges: &[&str]) -> PathBuf {
    let path = dir.join(format!("{model}-tokenizer.json"));
    let file = serde_json::json!({
        "version": "1.0",
        "model": { "type": model, "vocab": {}, "merges": merges },
        "pre_tokenizer": { "type": "ByteLevel", "add_prefix_space": false },
    });
    std::fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
    path
}

#[test]
fn a_hosts_own_tokenizer_json_indexes_and_queries_and_is_held_to_its_index() {
    let corpus = corpus(7);
    let merges = [
        "Ġ r", "i v", "e r", "Ġr iv", "Ġriv er", "o n", "Ġ s", "t on", "Ġs ton", "e s",
    ];
    let file = tokenizer_json(corpus.dir.path(), "BPE", &merges);
    let own = Tokenizer::from_file(&file).unwrap();
    assert!(own.name().starts_with("tokenizer.json sha256:"));
    // " river" is one token of the host's own vocabulary, and text round-trips.
    assert_eq!(own.encode(" river").len(), 1);
    assert_eq!(own.decode(&own.encode(" river stones")), " river stones");

    let out = corpus.dir.path().join("own-index");
    Index::build(&sources(&corpus), &own, &out, BuildOptions::default()).unwrap();
    let output = excerpt(&corpus.documents[4].2, 300, 30);
    let engine = Attributor::new(
        Index::open(&out).unwrap(),
        Tokenizer::from_file(&file).unwrap(),
        Tuning::default(),
    )
    .unwrap();
    let weights = engine.attribute(&output).weights;
    assert_eq!(weights.iter().map(|(c, _)| *c).collect::<Vec<_>>(), vec![2]);

    // Queried with GPT-2's tokenizer, the index is refused.
    let message = Attributor::new(
        Index::open(&out).unwrap(),
        Tokenizer::gpt2().unwrap(),
        Tuning::default(),
    )
    .err()
    .expect("refused")
    .to_string();
    assert!(
        message.contains("tokenizer.json sha256:") && message.contains("gpt2"),
        "{message}"
    );
}

#[test]
fn a_tokenizer_file_that_cannot_be_used_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let error = |path: &Path| {
        Tokenizer::from_file(path)
            .err()
            .expect("refused")
            .to_string()
    };
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{ this is not json").unwrap();
    let message = error(&garbage);
    assert!(
        message.contains("garbage.json") && message.contains("not a tokenizer.json"),
        "{message}"
    );
    let wordpiece = tokenizer_json(dir.path(), "WordPiece", &[]);
    let message = error(&wordpiece);
    assert!(
        message.contains("WordPiece-tokenizer.json") && message.contains("byte-level BPE"),
        "{message}"
    );
    let odd = tokenizer_json(dir.path(), "BPE", &["a", "\u{3000} b"]);
    assert!(
        error(&odd).contains("BPE-tokenizer.json"),
        "{}",
        error(&odd)
    );
    assert!(error(&dir.path().join("absent.json")).contains("absent.json"));
}

#[test]
fn a_failed_rebuild_leaves_the_index_in_place_and_a_good_one_replaces_it_whole() {
    let corpus = corpus(8);
    let (dir, hash) = build(&corpus, BuildOptions::default());
    let before: Vec<PathBuf> = shard_files(&dir);
    let binary = corpus.dir.path().join("contribution-2").join("weights.bin");
    std::fs::write(&binary, [1, 2, 0, 3]).unwrap();
    let error = Index::build(
        &sources(&corpus),
        &Tokenizer::gpt2().unwrap(),
        &dir,
        BuildOptions::default(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("weights.bin"), "{error}");
    let index = Index::open(&dir).expect("the previous index still opens");
    assert_eq!(index.content_hash, hash);
    assert_eq!(
        shard_files(&dir),
        before,
        "the failed build left files behind"
    );

    // Without contribution 2, the rebuild replaces every shard file.
    std::fs::remove_file(&binary).unwrap();
    let fewer: Vec<Source> = sources(&corpus).into_iter().take(2).collect();
    let report = Index::build(
        &fewer,
        &Tokenizer::gpt2().unwrap(),
        &dir,
        BuildOptions::default(),
    )
    .unwrap();
    assert_ne!(report.content_hash, hash);
    let after = shard_files(&dir);
    assert_eq!(after.len(), 3, "{after:?}");
    assert!(after.iter().all(|file| !before.contains(file)), "{after:?}");
    let index = Index::open(&dir).unwrap();
    assert!(index.manifest.documents.iter().all(|d| d.contribution < 2));
}

fn shard_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension != "json")
        })
        .collect();
    files.sort();
    files
}

/// Rewrites the manifest with `edit` applied and its content hash
/// recomputed: a forged index whose files all match their hashes.
fn forge(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("index.json");
    let mut file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut file["manifest"]);
    let manifest: Manifest = serde_json::from_value(file["manifest"].clone()).unwrap();
    file["content_hash"] = Sha256::digest(serde_json::to_vec(&manifest).unwrap())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<String>()
        .into();
    std::fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
}

#[test]
fn a_manifest_whose_documents_do_not_tile_their_shard_is_refused() {
    let corpus = corpus(9);
    let (dir, _) = build(&corpus, BuildOptions::default());
    forge(&dir, |manifest| {
        let start = manifest["documents"][1]["start"].as_u64().unwrap();
        manifest["documents"][1]["start"] = (start + 1).into();
    });
    let message = Index::open(&dir).err().expect("refused").to_string();
    assert!(
        message.contains("index.json") && message.contains("previous one ends"),
        "{message}"
    );
    let (dir, _) = build(&corpus, BuildOptions::default());
    forge(&dir, |manifest| {
        manifest["documents"][0]["shard"] = 7.into()
    });
    assert!(Index::open(&dir).is_err());
}

/// A table drawn with bars and spaces around the given cells.
fn table(cells: &[String]) -> String {
    cells
        .chunks(3)
        .map(|row| {
            let cells: Vec<String> = row.iter().map(|cell| format!(" {cell:<14}")).collect();
            format!("    |{}|\n", cells.join("|"))
        })
        .collect()
}

#[test]
fn a_layout_shared_with_a_document_is_no_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(10);
    let cells = |rng: &mut StdRng, vocabulary: &[&str]| -> Vec<String> {
        (0..60)
            .map(|_| vocabulary.choose(rng).unwrap().to_string())
            .collect()
    };
    let corpus_dir = dir.path().join("tables");
    std::fs::create_dir_all(&corpus_dir).unwrap();
    std::fs::write(
        corpus_dir.join("a.txt"),
        format!(
            "{}\n{}",
            words(&mut rng, 500),
            table(&cells(&mut rng, WORDS))
        ),
    )
    .unwrap();
    let (_, engine) = one_contribution_engine(dir.path(), corpus_dir);
    // The same frame, the same widths, other words in the cells.
    let other = ["alpha", "beta", "gamma", "kappa", "sigma", "omega"];
    let output = table(&cells(&mut rng, &other));
    let attribution = engine.attribute(&output);
    assert!(attribution.weights.is_empty(), "{attribution:#?}");
}

#[test]
fn boilerplate_is_paid_to_the_earliest_contribution_holding_it_and_commonplace_text_to_none() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(11);
    let header = words(&mut rng, 40);
    let shared = words(&mut rng, 40);
    // Contribution 0: 40 files that all start with the same header (more
    // copies than `max_occurrences`); contribution 0 and 1 each carry a
    // second passage 20 times.
    for (contribution, files) in [(0u32, 40), (1, 20)] {
        let folder = dir.path().join(format!("c{contribution}"));
        std::fs::create_dir_all(&folder).unwrap();
        for n in 0..files {
            let mut text = String::new();
            if contribution == 0 {
                text.push_str(&header);
                text.push('\n');
            }
            if n < 20 {
                text.push_str(&shared);
                text.push('\n');
            }
            text.push_str(&words(&mut rng, 200));
            std::fs::write(folder.join(format!("{n:02}.txt")), text).unwrap();
        }
    }
    let out = dir.path().join("index");
    let sources: Vec<Source> = (0..2)
        .map(|contribution| Source {
            contribution,
            path: dir.path().join(format!("c{contribution}")),
        })
        .collect();
    Index::build(
        &sources,
        &Tokenizer::gpt2().unwrap(),
        &out,
        BuildOptions::default(),
    )
    .unwrap();
    let engine = attributor(&out);
    let tokens = engine.tokenizer.encode(&header);
    assert_eq!(
        engine.index.occurrences_by_contribution(&tokens),
        [(0, 40)].into()
    );
    let attribution = engine.attribute(&format!("Quoting: {header}"));
    assert_eq!(paid(&attribution), [0], "{attribution:#?}");
    // Found 40 times across two contributions: the earliest holds it.
    let quoting_shared = format!("Quoting: {shared}");
    let attribution = engine.attribute(&quoting_shared);
    assert_eq!(paid(&attribution), [0], "{attribution:#?}");
    // Found in more places than `max_places`: commonplace, no one's.
    let engine = tuned_attributor(
        &out,
        Tuning {
            max_places: 39,
            ..Tuning::default()
        },
    );
    let attribution = engine.attribute(&quoting_shared);
    assert!(attribution.weights.is_empty(), "{attribution:#?}");
}

#[test]
fn an_index_published_under_another_holder_rule_is_refused_by_name() {
    let corpus = corpus(12);
    let (dir, _) = build(&corpus, BuildOptions::default());
    forge(&dir, |manifest| {
        manifest["holder_rule"] = "most-evidence".into()
    });
    let index = Index::open(&dir).unwrap();
    let message = Attributor::new(index, Tokenizer::gpt2().unwrap(), Tuning::default())
        .err()
        .expect("refused")
        .to_string();
    assert!(
        message.contains("\"most-evidence\"") && message.contains("\"earliest-contribution\""),
        "{message}"
    );
    // An index of the format before the rule was recorded.
    let (dir, _) = build(&corpus, BuildOptions::default());
    forge(&dir, |manifest| {
        manifest["format"] = 2.into();
        manifest.as_object_mut().unwrap().remove("holder_rule");
    });
    let message = Index::open(&dir).err().expect("refused").to_string();
    assert!(
        message.contains("index.json")
            && message.contains("format 2")
            && message.contains("rebuild"),
        "{message}"
    );
}

/// The audit's exploit, replayed: a symbolic link in a contributed dataset
/// pointed at a host file (a key), which was tokenized into the index and
/// decoded back out of it. Links and special files are refused by name.
#[test]
fn symbolic_links_and_special_files_in_a_corpus_are_refused_by_name() {
    let corpus = corpus(11);
    let secret = corpus.dir.path().join("host-secret.json");
    std::fs::write(&secret, "[1,2,3] a key file of the host").unwrap();
    let link = corpus.dir.path().join("contribution-1/innocent.txt");
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    let out = corpus.dir.path().join("index-with-link");
    let Err(error) = Index::build(
        &sources(&corpus),
        &Tokenizer::gpt2().unwrap(),
        &out,
        BuildOptions::default(),
    ) else {
        panic!("a link is refused")
    };
    assert!(
        matches!(error, AttributionError::NotRegularFile { .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("innocent.txt is a symbolic link"),
        "{error}"
    );
    assert!(!out.join("index.json").exists(), "nothing was built");
    std::fs::remove_file(&link).unwrap();

    let fifo = corpus.dir.path().join("contribution-2/pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let Err(error) = Index::build(
        &sources(&corpus),
        &Tokenizer::gpt2().unwrap(),
        &out,
        BuildOptions::default(),
    ) else {
        panic!("a pipe is refused")
    };
    assert!(
        error.to_string().contains("pipe is a special file"),
        "{error}"
    );
}

/// The audit's exploit, replayed: a manifest whose sizes overflow when
/// multiplied out panicked the reader; it is a corrupt index.
#[test]
fn a_manifest_whose_sizes_overflow_is_a_corrupt_index() {
    let corpus = corpus(12);
    for edit in [
        |manifest: &mut serde_json::Value| {
            manifest["shards"][0]["tokens"] = (u64::MAX / 2 + 1).into()
        },
        |manifest: &mut serde_json::Value| {
            manifest["shards"][0]["suffixes"] = (u64::MAX / 4 + 1).into()
        },
        |manifest: &mut serde_json::Value| manifest["documents"][0]["tokens"] = u64::MAX.into(),
    ] {
        let (dir, _) = build(&corpus, BuildOptions::default());
        forge(&dir, edit);
        let error = Index::open(&dir).err().expect("refused");
        assert!(
            matches!(error, AttributionError::CorruptIndex { .. }),
            "{error}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_token_its_context_predicts_carries_no_evidence_and_a_rare_context_falls_back_to_the_token_alone(
) {
    let mut rng = StdRng::seed_from_u64(31);
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("contribution-0");
    std::fs::create_dir_all(&folder).unwrap();
    // " chair window" always follows " apple table" (40 times); the
    // random words around it make every other two-word context rare.
    let text: String = (0..40)
        .map(|_| format!("{} apple table chair window ", words(&mut rng, 30)))
        .collect();
    std::fs::write(folder.join("doc.txt"), &text).unwrap();
    let (out, engine) = one_contribution_engine(dir.path(), folder);
    let tokens = engine.tokenizer.encode(" apple table chair window");
    assert_eq!(tokens.len(), 4, "one token a word");
    let in_context = engine.surprise(&tokens);
    // Each word alone: −log₂ of its share of the corpus, far from nothing.
    let alone: Vec<u32> = tokens
        .iter()
        .map(|token| engine.surprise(&[*token])[0])
        .collect();
    assert!(alone.iter().all(|bits| *bits >= 16 * 4), "{alone:?}");
    assert_eq!(in_context[0], alone[0], "no context before the first token");
    // " table" after " apple", " chair" after " apple table"…: the
    // corpus holds the context 40 times or more, always followed so.
    assert_eq!(&in_context[2..], &[0, 0], "{in_context:?}");

    // A context the corpus holds fewer than `min_context_count` times says
    // nothing about the language: the token counts alone.
    let trusted = u64::from(Tuning::default().min_context_count);
    let count = |pattern: &[model_ledger_attribution::Token]| -> u64 {
        engine
            .index
            .occurrences_by_contribution(pattern)
            .values()
            .sum()
    };
    let all = engine.tokenizer.encode(&text);
    let at = (2..all.len())
        .find(|at| count(&all[at - 2..*at]) < trusted && count(&all[at - 1..*at]) >= trusted)
        .expect("a rare two-token context after a common token");
    let tokens = &all[at - 2..=at];
    // The token given only the one before it, as if the first were not there.
    assert_eq!(
        engine.surprise(tokens)[2],
        engine.surprise(&tokens[1..])[1],
        "{tokens:?}"
    );
    assert!(engine.surprise(tokens)[2] > 0, "{tokens:?}");
    // No context trusted at all: every token counts alone.
    let untrusting = tuned_attributor(
        &out,
        Tuning {
            min_context_count: u32::MAX,
            ..Tuning::default()
        },
    );
    let tokens = engine.tokenizer.encode(" apple table chair window");
    assert_eq!(untrusting.surprise(&tokens), alone);
}

#[test]
fn a_passage_repeated_across_pages_is_not_made_predictable_by_its_own_copies() {
    let mut rng = StdRng::seed_from_u64(32);
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("contribution-0");
    std::fs::create_dir_all(&folder).unwrap();
    // Forty generated pages, each with the same 40-word footer.
    let footer = words(&mut rng, 40);
    for page in 0..40 {
        std::fs::write(
            folder.join(format!("page-{page}.txt")),
            format!("{} {footer}", words(&mut rng, 300)),
        )
        .unwrap();
    }
    let (_, engine) = one_contribution_engine(dir.path(), folder);
    let tokens = engine.tokenizer.encode(&format!(" {footer}"));
    // Past its first 16 tokens, each token is weighed against the corpus
    // without the footer's forty copies: a few bits each, as in any text
    // of these words, not the nothing its repetitions alone would say.
    let surprise = engine.surprise(&tokens);
    let deep = &surprise[17..];
    let mean_bits =
        deep.iter().map(|bits| f64::from(*bits)).sum::<f64>() / 16.0 / deep.len() as f64;
    assert!(mean_bits >= 3.0, "{mean_bits} bits a token: {surprise:?}");
    let attribution = engine.attribute(&format!("Quoting: {footer}"));
    assert_eq!(paid(&attribution), [0], "{attribution:#?}");
    assert!(
        attribution.weights[0].1 as usize >= tokens.len() - 2,
        "{attribution:#?}"
    );
}
