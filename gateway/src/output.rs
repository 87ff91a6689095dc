//! What a completed response says: the text the model produced, which model
//! answered, and the upstream's token counts, read from an OpenAI-style
//! response, whole (`application/json`) or streamed (server-sent events).
//!
//! The output is the text of every choice (`message.content` or `text`, or
//! the `delta`s of a stream joined in order), choices in index order joined
//! by a newline; tool calls and log-probabilities are not part of it.

use std::collections::BTreeMap;

use serde_json::Value;

/// A response the gateway meters.
#[derive(Clone, Debug, PartialEq)]
pub struct Completed {
    pub output: String,
    /// The `model` field of the response (the last one a stream sent).
    pub model: Option<String>,
    /// The upstream's `usage` object, as it sent it.
    pub usage: Option<Value>,
}

/// Why a 2xx response is not metered.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum NotMetered {
    #[error("the response body is not a JSON completion: {0}")]
    NotJson(String),
    #[error("the response has no choices")]
    NoChoices,
    #[error("the upstream reported an error inside the response: {0}")]
    UpstreamError(String),
    #[error("the stream ended without [DONE] or a finished choice")]
    Unfinished,
}

/// Reads a whole (non-streamed) completion.
pub fn whole(body: &[u8]) -> Result<Completed, NotMetered> {
    let value: Value =
        serde_json::from_slice(body).map_err(|error| NotMetered::NotJson(error.to_string()))?;
    if let Some(error) = value.get("error") {
        return Err(NotMetered::UpstreamError(error.to_string()));
    }
    let mut texts = BTreeMap::new();
    collect_choices(&value, "message", &mut texts);
    if texts.is_empty() {
        return Err(NotMetered::NoChoices);
    }
    Ok(Completed {
        output: join(texts),
        model: value
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_owned),
        usage: value.get("usage").filter(|usage| !usage.is_null()).cloned(),
    })
}

/// Reads a streamed completion: `data:` events, each a chunk, ended by
/// `data: [DONE]` (or by a chunk whose choice has a `finish_reason`).
pub fn streamed(body: &[u8]) -> Result<Completed, NotMetered> {
    let text = std::str::from_utf8(body)
        .map_err(|error| NotMetered::NotJson(format!("the stream is not UTF-8: {error}")))?;
    let mut texts = BTreeMap::new();
    let (mut model, mut usage, mut finished) = (None, None, false);
    for event in text.replace("\r\n", "\n").split("\n\n") {
        let data: Vec<&str> = event
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .map(|data| data.strip_prefix(' ').unwrap_or(data))
            .collect();
        if data.is_empty() {
            continue;
        }
        let data = data.join("\n");
        if data.trim() == "[DONE]" {
            finished = true;
            continue;
        }
        let chunk: Value = serde_json::from_str(&data)
            .map_err(|error| NotMetered::NotJson(format!("a stream event: {error}")))?;
        if let Some(error) = chunk.get("error") {
            return Err(NotMetered::UpstreamError(error.to_string()));
        }
        finished |= chunk["choices"].as_array().is_some_and(|choices| {
            choices
                .iter()
                .any(|choice| choice["finish_reason"].is_string())
        });
        collect_choices(&chunk, "delta", &mut texts);
        if let Some(name) = chunk.get("model").and_then(Value::as_str) {
            model = Some(name.to_owned());
        }
        if let Some(counts) = chunk.get("usage").filter(|usage| !usage.is_null()) {
            usage = Some(counts.clone());
        }
    }
    if !finished {
        return Err(NotMetered::Unfinished);
    }
    if texts.is_empty() {
        return Err(NotMetered::NoChoices);
    }
    Ok(Completed {
        output: join(texts),
        model,
        usage,
    })
}

/// Appends each choice's text (`<field>.content`, or `text` for the
/// completions endpoint) to its index's.
fn collect_choices(value: &Value, field: &str, texts: &mut BTreeMap<u64, String>) {
    let Some(choices) = value.get("choices").and_then(Value::as_array) else {
        return;
    };
    for (position, choice) in choices.iter().enumerate() {
        let index = choice["index"].as_u64().unwrap_or(position as u64);
        let piece = choice[field]["content"]
            .as_str()
            .or_else(|| choice["text"].as_str());
        let text = texts.entry(index).or_default();
        if let Some(piece) = piece {
            text.push_str(piece);
        }
    }
}

fn join(texts: BTreeMap<u64, String>) -> String {
    texts.into_values().collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_chat_completion_gives_its_text_model_and_usage() {
        let body = br#"{"id":"c1","object":"chat.completion","model":"smol-v2","choices":[{"index":0,"message":{"role":"assistant","content":"Kelp grows."},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}"#;
        let completed = whole(body).unwrap();
        assert_eq!(completed.output, "Kelp grows.");
        assert_eq!(completed.model.as_deref(), Some("smol-v2"));
        assert_eq!(completed.usage.unwrap()["total_tokens"], 8);
    }

    #[test]
    fn completions_and_several_choices_are_joined_in_index_order() {
        let body =
            br#"{"model":"m","choices":[{"index":1,"text":"second"},{"index":0,"text":"first"}]}"#;
        assert_eq!(whole(body).unwrap().output, "first\nsecond");
    }

    #[test]
    fn a_stream_is_joined_from_its_deltas() {
        let body = b"data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n\
data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Kelp \"}}]}\r\n\r\n\
data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"grows.\"},\"finish_reason\":\"stop\"}]}\n\n\
data: {\"model\":\"m\",\"choices\":[],\"usage\":{\"total_tokens\":9}}\n\n\
data: [DONE]\n\n";
        let completed = streamed(body).unwrap();
        assert_eq!(completed.output, "Kelp grows.");
        assert_eq!(completed.usage.unwrap()["total_tokens"], 9);
    }

    #[test]
    fn what_is_not_a_finished_completion_is_named() {
        assert!(matches!(whole(b"<html>"), Err(NotMetered::NotJson(_))));
        assert_eq!(whole(br#"{"choices":[]}"#), Err(NotMetered::NoChoices));
        assert!(matches!(
            whole(br#"{"error":{"message":"overloaded"}}"#),
            Err(NotMetered::UpstreamError(_))
        ));
        let cut = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Kel\"}}]}\n\n";
        assert_eq!(streamed(cut), Err(NotMetered::Unfinished));
        let failed = b"data: {\"error\":{\"message\":\"context full\"}}\n\ndata: [DONE]\n\n";
        assert!(matches!(
            streamed(failed),
            Err(NotMetered::UpstreamError(_))
        ));
    }
}
