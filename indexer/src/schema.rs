//! The schema's migrations, kept in the repository's `migrations/index/`
//! and applied in order, each in one transaction, recorded in
//! `schema_version`.

use crate::{db::Database, db::Sql, IndexError};

/// Rows a migration derives from what the index already holds, written in
/// the migration's own transaction.
type Backfill = fn(&mut dyn Sql) -> Result<(), IndexError>;

/// (version, script, backfill), oldest first; a new migration is appended,
/// never edited.
const MIGRATIONS: &[(i64, &str, Option<Backfill>)] = &[
    (
        1,
        include_str!("../../migrations/index/0001_schema.sql"),
        None,
    ),
    (
        2,
        include_str!("../../migrations/index/0002_proposals.sql"),
        None,
    ),
    (
        3,
        include_str!("../../migrations/index/0003_wallet_earnings.sql"),
        Some(backfill_3),
    ),
    (
        4,
        include_str!("../../migrations/index/0004_wallet_counts.sql"),
        None,
    ),
    (
        5,
        include_str!("../../migrations/index/0005_redundant_indexes.sql"),
        None,
    ),
    (
        6,
        include_str!("../../migrations/index/0006_events_by_position.sql"),
        None,
    ),
    (
        7,
        include_str!("../../migrations/index/0007_licence_ai_terms.sql"),
        None,
    ),
];

/// Wallet sums and running counts from what an index already holds.
fn backfill_3(sql: &mut dyn Sql) -> Result<(), IndexError> {
    crate::wallets::backfill(sql)?;
    crate::counts::backfill(sql)
}

/// The schema version this indexer writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Brings `database` to [`SCHEMA_VERSION`]; refuses one a newer indexer wrote.
pub fn migrate(database: &mut Database) -> Result<(), IndexError> {
    database
        .execute_script("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY)")?;
    let current = database
        .query_one("SELECT MAX(version) FROM schema_version", &[])?
        .opt_int(0)?
        .unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Err(IndexError::Database(format!(
            "the database has schema version {current}; this indexer knows up to {SCHEMA_VERSION}: use a newer model-ledger"
        )));
    }
    for (version, script, backfill) in MIGRATIONS
        .iter()
        .filter(|(version, _, _)| *version > current)
    {
        let applied = database
            .execute_script(&format!("BEGIN;\n{script}"))
            .and_then(|()| match backfill {
                Some(backfill) => backfill(database),
                None => Ok(()),
            })
            .and_then(|()| {
                database.execute_script(&format!(
                    "INSERT INTO schema_version (version) VALUES ({version});\nCOMMIT;"
                ))
            });
        if let Err(error) = applied {
            // Nothing of a failed migration stays.
            let _ = database.execute_script("ROLLBACK;");
            return Err(IndexError::Database(format!(
                "migration {version}: {error}"
            )));
        }
    }
    Ok(())
}
