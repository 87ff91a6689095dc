//! Text that every page of a dataset repeats (a translation notice, a
//! licence footer), copied with edits: the repetitions make it predictable,
//! but they are the passage's own copies, and an edited copy of it is still
//! found and paid by the holder rule.

mod common;

use std::path::{Path, PathBuf};

use common::{attributor, index_of, paid, words, WORDS};
use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};

/// A notice of `count` words, each followed by a comma (two tokens a word).
fn notice(rng: &mut StdRng, count: usize) -> Vec<String> {
    (0..count)
        .map(|_| format!("{},", WORDS.choose(rng).unwrap()))
        .collect()
}

/// Contribution 3: 60 pages of their own text, each carrying `notice`;
/// contribution 5: one document of other text.
fn index(dir: &Path, notice: &str, rng: &mut StdRng) -> PathBuf {
    let pages = dir.join("pages");
    let other = dir.join("other");
    std::fs::create_dir_all(&pages).unwrap();
    std::fs::create_dir_all(&other).unwrap();
    for page in 0..60 {
        let text = format!("{}\n{notice}\n{}", words(rng, 150), words(rng, 150));
        std::fs::write(pages.join(format!("page-{page}.txt")), text).unwrap();
    }
    std::fs::write(other.join("other.txt"), words(rng, 9_000)).unwrap();
    index_of(&dir.join("index"), &[(3, pages), (5, other)])
}

#[test]
fn a_notice_every_page_repeats_is_found_in_a_copy_with_one_word_in_six_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(11);
    let notice = notice(&mut rng, 48);
    let engine = attributor(&index(dir.path(), &notice.join(" "), &mut rng));
    // One word in six replaced: no run between two edits is the 17 tokens
    // whose copies the output's own surprise leaves out, so the notice's
    // 60 copies made every word after the first of a run predictable, and
    // the engine before found none of it.
    let edited: Vec<String> = notice
        .iter()
        .enumerate()
        .map(|(n, word)| match n % 6 == 4 {
            true => "substituted,".to_owned(),
            false => word.clone(),
        })
        .collect();
    let copied = format!(" {}", edited.join(" "));
    let output = format!("{}{copied} {}", words(&mut rng, 40), words(&mut rng, 40));
    let attribution = engine.attribute(&output);
    assert_eq!(paid(&attribution), [3], "{attribution:#?}");
    let copied_tokens = engine.tokenizer.encode(&copied).len() as u32;
    // The copy's edges are the notice's: all of it, give or take an edit
    // at an edge.
    assert!(
        attribution.weights[0].1 * 100 >= copied_tokens * 85,
        "{} of {copied_tokens} tokens: {attribution:#?}",
        attribution.weights[0].1
    );
    // The page it is paid by is one of the pages that carry the notice.
    assert!(attribution
        .spans
        .iter()
        .all(|span| span.document.contains("page-")));
}
