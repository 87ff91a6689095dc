//! Every input a fuzzer ever found that broke an invariant, replayed: each
//! must now pass. (A new finding is written under `fuzz/regressions/` by the
//! fuzzer itself.) The valid seeds pass too.

use model_ledger_fuzz::{regressions, run_caught, targets};

fn replay(name: &str) {
    let mut target = targets::by_name(name).expect("a target");
    for seed in target.seeds() {
        run_caught(target.as_mut(), &seed).unwrap_or_else(|what| panic!("{name}, a seed: {what}"));
    }
    for (path, input) in regressions(name) {
        run_caught(target.as_mut(), &input)
            .unwrap_or_else(|what| panic!("{name}, {}: {what}", path.display()));
    }
}

#[test]
fn instructions() {
    replay("instructions");
}

#[test]
fn events() {
    replay("events");
}

#[test]
fn http() {
    replay("http");
}

#[test]
fn index_files() {
    replay("index_files");
}
