//! The request hash: SHA-256 over a canonical form of the request body, so
//! that a caller can recompute it from what it sent whatever its JSON
//! library's key order or spacing.
//!
//! The canonical form is the body parsed as JSON and written back with every
//! object's keys sorted by their UTF-8 bytes, no whitespace between tokens,
//! strings with only `"`, `\` and control characters escaped (`\b \f \n \r
//! \t`, others as `\u00XX`, lowercase), integers as written and other
//! numbers in their shortest round-trip form. Python's
//! `json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`
//! writes the same bytes for every body without exponent-form numbers.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The canonical bytes of a JSON value. Keys are sorted here rather than
/// trusted to the map type: a dependency enabling serde_json's
/// `preserve_order` would otherwise change every hash.
pub fn canonical_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Array(items) => {
            out.push(b'[');
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        Value::Object(fields) => {
            let mut keys: Vec<&String> = fields.keys().collect();
            keys.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            out.push(b'{');
            for (position, key) in keys.into_iter().enumerate() {
                if position > 0 {
                    out.push(b',');
                }
                scalar(&Value::String(key.clone()), out);
                out.push(b':');
                write(&fields[key], out);
            }
            out.push(b'}');
        }
        scalar_value => scalar(scalar_value, out),
    }
}

fn scalar(value: &Value, out: &mut Vec<u8>) {
    serde_json::to_writer(out, value).expect("writing into a Vec cannot fail");
}

/// SHA-256 of the canonical form of `value`.
pub fn request_hash(value: &Value) -> [u8; 32] {
    Sha256::digest(canonical_bytes(value)).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_and_spacing_do_not_change_the_hash() {
        let a: Value = serde_json::from_str(
            r#"{"model": "m", "messages": [{"role": "user", "content": "hi\n"}], "temperature": 0.5}"#,
        )
        .unwrap();
        let b: Value = serde_json::from_str(
            r#"{"temperature":0.5,"messages":[{"content":"hi\n","role":"user"}],"model":"m"}"#,
        )
        .unwrap();
        assert_eq!(request_hash(&a), request_hash(&b));
        assert_eq!(
            String::from_utf8(canonical_bytes(&a)).unwrap(),
            r#"{"messages":[{"content":"hi\n","role":"user"}],"model":"m","temperature":0.5}"#
        );
    }

    #[test]
    fn non_ascii_is_written_as_itself_and_controls_escaped() {
        let value: Value = serde_json::from_str(r#"{"b":"é\u0001","a":1}"#).unwrap();
        assert_eq!(
            String::from_utf8(canonical_bytes(&value)).unwrap(),
            "{\"a\":1,\"b\":\"é\\u0001\"}"
        );
    }
}
