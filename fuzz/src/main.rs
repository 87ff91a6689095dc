//! `model-ledger-fuzz [TARGET|all] [--seconds N] [--seed S]`: fuzzes each
//! target for N seconds (default 30), prints what it ran, and exits
//! non-zero if any input broke an invariant (each is kept under
//! `fuzz/regressions/<target>/` and replayed by `cargo test -p
//! model-ledger-fuzz`).

use std::time::Duration;

use model_ledger_fuzz::{fuzz, targets};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut which = "all".to_string();
    let mut seconds = 30u64;
    let mut seed: Option<u64> = None;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> u64 {
            args.next()
                .and_then(|text| text.parse().ok())
                .unwrap_or_else(|| usage(&format!("{name} takes a number")))
        };
        match arg.as_str() {
            "--seconds" => seconds = value("--seconds"),
            "--seed" => seed = Some(value("--seed")),
            "--help" | "-h" => usage(""),
            name if !name.starts_with('-') => which = name.to_string(),
            other => usage(&format!("unknown option {other}")),
        }
    }
    let seed = seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |elapsed| elapsed.as_nanos() as u64)
    });
    let names: Vec<&str> = if which == "all" {
        targets::NAMES.to_vec()
    } else if targets::NAMES.contains(&which.as_str()) {
        vec![which.as_str()]
    } else {
        usage(&format!(
            "no target {which:?} (targets: {})",
            targets::NAMES.join(", ")
        ))
    };
    println!("| target | seconds | executions | corpus | outcomes | findings |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut findings = 0;
    for name in names {
        let mut target = targets::by_name(name).expect("a known target");
        let report = fuzz(target.as_mut(), Duration::from_secs(seconds), seed);
        println!(
            "| {name} | {seconds} | {} | {} | {} | {} |",
            report.executions,
            report.corpus,
            report.outcomes,
            report.findings.len()
        );
        findings += report.findings.len();
    }
    println!("seed {seed} (--seed {seed} runs the same inputs)");
    if findings > 0 {
        eprintln!("{findings} inputs broke an invariant; each is kept under fuzz/regressions/");
        std::process::exit(1);
    }
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("model-ledger-fuzz: {problem}");
    }
    eprintln!(
        "usage: model-ledger-fuzz [{}|all] [--seconds N] [--seed S]",
        targets::NAMES.join("|")
    );
    std::process::exit(2);
}
