//! The call log `meter` reads: one JSON object per line, each refused by
//! its line number when it is not what the program would accept, before
//! anything is sent or journaled.

use std::{collections::BTreeSet, io::BufRead, path::PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use model_ledger::state::AttributionEntry;
use model_ledger_sdk::{merkle::CallRecord, meter::MAX_BATCH_ENTRIES};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use solana_sdk::pubkey::Pubkey;

use crate::{output::parse_hash, session::Session};

/// One JSONL line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    request_hash: Option<String>,
    request_id: Option<String>,
    output_hash: Option<String>,
    output: Option<String>,
    #[serde(default)]
    attribution: Vec<Value>,
    /// Carried by `attribute`'s input, not recorded: accepted so its output
    /// meters as it is (every other unknown field is refused as a typo).
    #[serde(default, rename = "prompt")]
    _prompt: Option<Value>,
    #[serde(default, rename = "retrieved")]
    _retrieved: Option<Value>,
}

/// A call and the line of the log it came from.
#[derive(Clone, Debug)]
pub struct NumberedCall {
    pub line: usize,
    pub call: CallRecord,
}

fn hash_field(hash: &Option<String>, text: &Option<String>, name: &str) -> Result<[u8; 32]> {
    match (hash, text) {
        (Some(hash), _) => parse_hash(hash).with_context(|| format!("{name}_hash")),
        (None, Some(text)) => Ok(Sha256::digest(text.as_bytes()).into()),
        (None, None) => bail!("missing {name}_hash (or {name})"),
    }
}

/// An attribution entry: `[index, weight]` or `{"index": …, "weight": …}`,
/// a weight of 1 to 65 535 (the program refuses 0 rather than read it as
/// "paid by shares").
fn entry(position: usize, value: &Value) -> Result<AttributionEntry> {
    let form = "give [index, weight] or {\"index\": …, \"weight\": …}, the index a contribution number and the weight 1 to 65535";
    let (index, weight) = match value {
        Value::Array(pair) if pair.len() == 2 => (&pair[0], &pair[1]),
        Value::Object(fields) if fields.len() == 2 => {
            match (fields.get("index"), fields.get("weight")) {
                (Some(index), Some(weight)) => (index, weight),
                _ => bail!("attribution entry {position} is {value}: {form}"),
            }
        }
        other => bail!("attribution entry {position} is {other}: {form}"),
    };
    let index = index
        .as_u64()
        .and_then(|index| u32::try_from(index).ok())
        .ok_or_else(|| anyhow!("attribution entry {position}: the index {index} is not a contribution number (0 to 4294967295)"))?;
    let weight = weight
        .as_u64()
        .and_then(|weight| u16::try_from(weight).ok())
        .ok_or_else(|| {
            anyhow!("attribution entry {position}: the weight {weight} is not 1 to 65535")
        })?;
    if weight == 0 {
        bail!(
            "attribution entry {position} gives contribution #{index} weight 0: the program refuses a zero weight; drop the entry (the call is then paid by shares) or give it a weight"
        );
    }
    Ok(AttributionEntry { index, weight })
}

/// One line as a call record; its entries sorted by contribution.
pub fn parse_line(text: &str) -> Result<CallRecord> {
    let line: Line = serde_json::from_str(text).map_err(|error| {
        anyhow!("not a call record ({error}); a line is {{\"request_id\" or \"request_hash\", \"output\" or \"output_hash\", \"attribution\": [[index, weight], …]}}")
    })?;
    let mut attribution = line
        .attribution
        .iter()
        .enumerate()
        .map(|(position, value)| entry(position + 1, value))
        .collect::<Result<Vec<_>>>()?;
    attribution.sort_by_key(|entry| entry.index);
    if let Some(twice) = attribution
        .windows(2)
        .find(|pair| pair[0].index == pair[1].index)
    {
        bail!(
            "contribution #{} appears twice in the attribution: give it once, with the weights added",
            twice[0].index
        );
    }
    if attribution.len() > MAX_BATCH_ENTRIES {
        bail!(
            "the call names {} contributions; a batch, and so a call, names at most {MAX_BATCH_ENTRIES}",
            attribution.len()
        );
    }
    Ok(CallRecord {
        request_hash: hash_field(&line.request_hash, &line.request_id, "request")?,
        output_hash: hash_field(&line.output_hash, &line.output, "output")?,
        attribution,
    })
}

/// Reads and parses every line of `input` (a file, or standard input).
pub fn read_calls(input: &Option<PathBuf>) -> Result<Vec<NumberedCall>> {
    let reader: Box<dyn BufRead> = match input {
        Some(path) if path.as_os_str() != "-" => Box::new(std::io::BufReader::new(
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
        )),
        _ => Box::new(std::io::BufReader::new(std::io::stdin())),
    };
    let mut calls = Vec::new();
    for (number, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let call = parse_line(&line).map_err(|error| anyhow!("line {}: {error:#}", number + 1))?;
        calls.push(NumberedCall {
            line: number + 1,
            call,
        });
    }
    Ok(calls)
}

/// Refuses, by its line, the first call that names a contribution the
/// model does not have or that is not accepted (the program pays only
/// accepted contributions and would refuse the whole batch).
pub async fn check_contributions(
    session: &Session,
    model: &Pubkey,
    calls: &[NumberedCall],
) -> Result<()> {
    let named: BTreeSet<u32> = calls
        .iter()
        .flat_map(|numbered| numbered.call.attribution.iter().map(|entry| entry.index))
        .collect();
    if named.is_empty() {
        return Ok(());
    }
    let book = session.client.royalty_book(model).await?;
    let earning: BTreeSet<u32> = session
        .client
        .book_entries(model, named.iter().copied())
        .await?
        .into_iter()
        .filter(|(_, entry)| entry.active_shares > 0)
        .map(|(index, _)| index)
        .collect();
    // The first named contribution that does not earn, by its first line.
    if let Some(index) = named.difference(&earning).next() {
        let line = calls
            .iter()
            .find(|numbered| {
                numbered
                    .call
                    .attribution
                    .iter()
                    .any(|entry| entry.index == *index)
            })
            .map(|numbered| numbered.line)
            .unwrap_or_default();
        if *index >= book.contribution_count {
            bail!(
                "line {line}: model {model} has no contribution #{index} (it has {}, #0 to #{}); nothing was sent",
                book.contribution_count,
                book.contribution_count.saturating_sub(1)
            );
        }
        let status = session.contribution_of(model, *index).await?.status;
        bail!(
            "line {line}: contribution #{index} of model {model} is {}, not accepted: the program pays only accepted contributions; drop it from the attribution or have the authority accept it; nothing was sent",
            format!("{status:?}").to_lowercase()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_take_hashes_or_text_and_both_attribution_forms() {
        let call = parse_line(
            r#"{"request_id":"r1","output":"hello","attribution":[[2,5],{"index":1,"weight":3}]}"#,
        )
        .unwrap();
        assert_eq!(call.request_hash, <[u8; 32]>::from(Sha256::digest(b"r1")));
        assert_eq!(
            call.attribution,
            vec![
                AttributionEntry {
                    index: 1,
                    weight: 3
                },
                AttributionEntry {
                    index: 2,
                    weight: 5
                }
            ]
        );
        assert!(parse_line(r#"{"request_id":"r1"}"#)
            .unwrap_err()
            .to_string()
            .contains("output"));
        assert!(parse_line("{not json")
            .unwrap_err()
            .to_string()
            .contains("not a call record"));
    }

    #[test]
    fn entries_the_program_would_refuse_are_named() {
        let refused = |attribution: &str| {
            parse_line(&format!(
                r#"{{"request_id":"r","output":"o","attribution":{attribution}}}"#
            ))
            .unwrap_err()
            .to_string()
        };
        assert!(refused("[[3,0]]").contains("contribution #3 weight 0"));
        assert!(refused("[[3]]").contains("attribution entry 1 is [3]"));
        assert!(refused(r#"[{"index":3}]"#).contains("[index, weight]"));
        assert!(refused("[[1,2],[3,70000]]").contains("entry 2: the weight 70000"));
        assert!(refused("[[-1,2]]").contains("the index -1"));
        assert!(refused("[[4,1],[4,2]]").contains("#4 appears twice"));
        let many: Vec<String> = (0..=MAX_BATCH_ENTRIES)
            .map(|n| format!("[{n},1]"))
            .collect();
        assert!(refused(&format!("[{}]", many.join(","))).contains("at most 100"));
    }
}
