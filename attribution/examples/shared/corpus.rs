//! What the two benchmarks (`bench`, `paraphrase`) share: their flags, a
//! corpus of one directory per contribution, the held-out text, percentiles.

use std::path::{Path, PathBuf};

use model_ledger_attribution::{Source, Token, Tokenizer};

/// The corpus's contributions: each subdirectory, in name order, numbered
/// from 0. Returns the directories as listed and the sources to index.
pub fn contributions(corpus: &Path) -> (Vec<PathBuf>, Vec<Source>) {
    let mut packages: Vec<PathBuf> = std::fs::read_dir(corpus)
        .expect("--corpus: a directory of one directory per contribution")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_dir())
        .collect();
    packages.sort();
    let sources = packages
        .iter()
        .enumerate()
        .map(|(contribution, path)| Source {
            contribution: contribution as u32,
            // The corpus links each contribution to its package's text;
            // a corpus's own links are refused, so the real directory.
            path: path.canonicalize().expect("a contribution's directory"),
        })
        .collect();
    (packages, sources)
}

/// The held-out package's text, tokenized, its documents one after another.
pub fn unseen_tokens(dir: &Path, tokenizer: &Tokenizer) -> Vec<Token> {
    let documents = model_ledger_attribution::read_documents(&[Source {
        contribution: 0,
        path: dir.canonicalize().expect("the unseen package"),
    }])
    .expect("the unseen package");
    documents
        .iter()
        .flat_map(|document| tokenizer.encode(&document.text))
        .collect()
}

/// The command line's flags, in order: each of `switches` alone, any
/// other with the value after it.
pub fn flags(switches: &[&str]) -> Vec<(String, Option<String>)> {
    let mut given = std::env::args().skip(1);
    let mut flags = Vec::new();
    while let Some(flag) = given.next() {
        let value = match switches.contains(&flag.as_str()) {
            true => None,
            false => Some(
                given
                    .next()
                    .unwrap_or_else(|| panic!("{flag} needs a value")),
            ),
        };
        flags.push((flag, value));
    }
    flags
}

/// A flag's value as a number.
pub fn number<T: std::str::FromStr>(flag: &str, value: &str) -> T {
    value
        .parse()
        .unwrap_or_else(|_| panic!("{flag}: a number, not {value}"))
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}
