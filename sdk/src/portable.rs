//! JSON any client can read value for value: serde's JSON with every
//! integer as a decimal string, since a JavaScript number cannot hold a u64
//! (`model-ledger dump`, the golden vectors of other clients).

use serde_json::Value;

/// `value` with every number written as a decimal string.
///
/// ```
/// let json = serde_json::json!({ "amount": u64::MAX, "hash": [1, 2] });
/// assert_eq!(
///     model_ledger_sdk::portable::portable(json),
///     serde_json::json!({ "amount": "18446744073709551615", "hash": ["1", "2"] })
/// );
/// ```
pub fn portable(value: Value) -> Value {
    match value {
        Value::Number(number) => Value::String(number.to_string()),
        Value::Array(items) => Value::Array(items.into_iter().map(portable).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, value)| (key, portable(value)))
                .collect(),
        ),
        other => other,
    }
}

/// Any serialisable value as [`portable`] JSON.
pub fn to_portable<T: serde::Serialize>(value: &T) -> Result<Value, serde_json::Error> {
    Ok(portable(serde_json::to_value(value)?))
}
