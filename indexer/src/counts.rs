//! Running counts of what the index holds (events, models, contributions,
//! batches), kept in `meta` by each transaction applied, so that the status
//! a page shows costs a few key lookups however large the index grows.

use model_ledger_sdk::events::LedgerEvent;

use crate::{
    db::{Sql, Value},
    IndexError,
};

/// The counted things, with the `meta` key each count is kept under.
const COUNTED: [(&str, &str); 4] = [
    ("count.events", "events"),
    ("count.models", "models"),
    ("count.contributions", "contributions"),
    ("count.batches", "batches"),
];

/// What `events` (one transaction's, applied) add to each count.
pub(crate) fn tally(events: &[LedgerEvent]) -> [u64; 4] {
    let of = |wanted: fn(&LedgerEvent) -> bool| {
        events.iter().filter(|event| wanted(event)).count() as u64
    };
    [
        events.len() as u64,
        of(|event| matches!(event, LedgerEvent::ModelRegistered(_))),
        of(|event| matches!(event, LedgerEvent::ContributionProposed(_))),
        of(|event| matches!(event, LedgerEvent::InferenceRecorded(_))),
    ]
}

/// Adds `added` (tallies summed) to the counts.
pub(crate) fn add(sql: &mut dyn Sql, added: [u64; 4]) -> Result<(), IndexError> {
    for ((key, _), added) in COUNTED.iter().zip(added) {
        if added == 0 {
            continue;
        }
        let added = i64::try_from(added)
            .map_err(|_| IndexError::Database(format!("{added} more {key} than a BIGINT holds")))?;
        sql.write(
            "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + $2 AS TEXT) WHERE key = $1",
            &[(*key).into(), Value::Int(added)],
        )?;
    }
    Ok(())
}

/// The counts: events, models, contributions, batches.
pub(crate) fn read(sql: &mut dyn Sql) -> Result<[u64; 4], IndexError> {
    let mut counts = [0u64; 4];
    for (slot, (key, _)) in counts.iter_mut().zip(COUNTED) {
        let text = crate::store::meta(sql, key)?
            .ok_or_else(|| IndexError::Database(format!("meta holds no {key}")))?;
        *slot = text
            .parse()
            .map_err(|_| IndexError::Database(format!("meta's {key} is {text:?}")))?;
    }
    Ok(counts)
}

/// Each count against its table: the first that differs, as (what, kept,
/// counted).
pub(crate) fn disagreement(
    sql: &mut dyn Sql,
) -> Result<Option<(&'static str, u64, u64)>, IndexError> {
    let kept = read(sql)?;
    for ((_, table), kept) in COUNTED.iter().zip(kept) {
        let counted = sql
            .query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])?
            .u64(0)?;
        if counted != kept {
            return Ok(Some((table, kept, counted)));
        }
    }
    Ok(None)
}

/// Counts what an index already holds (the migration that adds the counts;
/// a new index counts zeros).
pub(crate) fn backfill(sql: &mut dyn Sql) -> Result<(), IndexError> {
    for (key, table) in COUNTED {
        let count = sql
            .query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])?
            .u64(0)?;
        crate::store::set_meta(sql, key, &count.to_string())?;
    }
    Ok(())
}
