//! What the benchmark prints after its tables: the goals against the rows
//! that measure them, and the cost of a repetitive output.

use std::time::Instant;

use model_ledger_attribution::{Attributor, Token};

/// Issue 24's goals, each against the rows that measure it.
pub fn goals(measured: &[(String, f64, f64, f64)]) {
    let of = |label: &str| {
        measured
            .iter()
            .find(|(row, ..)| row == label)
            .map(|(_, p, r, f)| (*p, *r, *f))
            .expect("a measured row")
    };
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    let exact = of("0 %");
    println!(
        "\ngoals: exact copies P {:.3} ≥ 0.99 and R {:.3} ≥ 0.97: {}",
        exact.0,
        exact.1,
        verdict(exact.0 >= 0.99 && exact.1 >= 0.97)
    );
    for label in ["10 %", "10 % of words"] {
        let (p, r, _) = of(label);
        println!(
            "       {label} changed R {r:.3} ≥ 0.90 at P {p:.3} ≥ 0.98: {}",
            verdict(r >= 0.90 && p >= 0.98)
        );
    }
    for label in ["20 %", "20 % of words"] {
        let (_, r, _) = of(label);
        println!(
            "       {label} changed R {r:.3} ≥ 0.80: {}",
            verdict(r >= 0.80)
        );
    }
    let worst = measured.iter().map(|(.., f)| *f).fold(0.0, f64::max);
    println!(
        "       false attribution on unseen text, worst row {worst:.2} % ≤ 0.5 %: {}",
        verdict(worst <= 0.5)
    );
}

/// The cost of a repetitive output the corpus also holds (a log line or a
/// table row repeated): the longest periodic run in the corpus (period of
/// 1 to 8 tokens, with text in it), its period repeated to 4 000 tokens,
/// against a copied passage's cost.
pub fn repetitive(attributor: &Attributor) {
    let index = &attributor.index;
    let mut best: (usize, Vec<Token>) = (0, Vec::new());
    for id in 0..index.manifest.documents.len() {
        let tokens = index.document_tokens(id);
        for period in 1..=8 {
            let mut run = 0;
            for at in period..tokens.len() {
                run = if tokens[at] == tokens[at - period] {
                    run + 1
                } else {
                    0
                };
                let pattern = &tokens[at + 1 - period..=at];
                if run + period > best.0
                    && pattern
                        .iter()
                        .any(|token| attributor.tokenizer.carries_text(*token))
                {
                    best = (run + period, pattern.to_vec());
                }
            }
        }
    }
    let (held, pattern) = best;
    let output: Vec<Token> = pattern.iter().copied().cycle().take(4_000).collect();
    let probes = index.probes();
    let started = Instant::now();
    let attribution = attributor.attribute_tokens(&output);
    let micros = started.elapsed().as_secs_f64() * 1e6 / output.len() as f64;
    let probes = (index.probes() - probes) as f64 / output.len() as f64;
    println!(
        "\nrepetitive output: {:?} (the corpus holds {held} tokens of it in a row) repeated to {} tokens: {micros:.1} µs and {probes:.1} suffix-array probes per token, {} tokens attributed",
        attributor.tokenizer.decode(&pattern),
        output.len(),
        attribution.spans.iter().map(|span| span.end - span.start).sum::<usize>()
    );
}
