//! What the benchmark prints after its tables: the goals against the rows
//! that measure them, and the cost of a repetitive output.

use std::time::Instant;

use model_ledger_attribution::{Attributor, Index, Token};

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
pub fn repetitive(attributor: &Attributor, truth: &Index) {
    let index = &attributor.index;
    let mut best: (usize, Vec<Token>) = (0, Vec::new());
    // (The corpus is read from the truth index, which reads it fastest.)
    for id in 0..truth.manifest.documents.len() {
        let tokens = truth.document_tokens(id);
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

/// Where the copied tokens an output's attribution missed lie, counted per
/// copied passage (a run of tokens with one true contribution): in a
/// passage missed whole, at its edges (before the first or after the last
/// token found), inside it (between two found), or paid to another
/// contribution. Where recall is lost says what would win it back.
#[derive(Default)]
pub struct Missed {
    pub whole: u64,
    pub edges: u64,
    pub inside: u64,
    pub elsewhere: u64,
}

impl Missed {
    pub fn count(&mut self, found: &[Option<u32>], truth: &[Option<u32>]) {
        let mut start = 0;
        while start < truth.len() {
            let end = start
                + truth[start..]
                    .iter()
                    .take_while(|owner| **owner == truth[start])
                    .count();
            if truth[start].is_some() {
                let right: Vec<bool> = (start..end).map(|at| found[at] == truth[at]).collect();
                let unfound = |range: std::ops::Range<usize>| {
                    range.filter(|at| found[start + at].is_none()).count() as u64
                };
                self.elsewhere += (start..end)
                    .filter(|at| found[*at].is_some() && found[*at] != truth[*at])
                    .count() as u64;
                match (
                    right.iter().position(|r| *r),
                    right.iter().rposition(|r| *r),
                ) {
                    (Some(first), Some(last)) => {
                        self.edges += unfound(0..first) + unfound(last + 1..right.len());
                        self.inside += unfound(first..last + 1);
                    }
                    _ => self.whole += unfound(0..right.len()),
                }
            }
            start = end;
        }
    }

    /// As shares of the copied tokens, in %: whole / edges / inside / elsewhere.
    pub fn shares(&self, copied: u64) -> String {
        let share = |n: u64| 100.0 * n as f64 / copied.max(1) as f64;
        format!(
            "{:.1} / {:.1} / {:.1} / {:.1}",
            share(self.whole),
            share(self.edges),
            share(self.inside),
            share(self.elsewhere)
        )
    }
}
