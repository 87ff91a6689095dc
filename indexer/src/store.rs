//! An index database bound to one cluster and one program, and how far it
//! has read.

use solana_sdk::pubkey::Pubkey;

use crate::{
    db::{Database, DatabaseUrl, Sql, Value},
    IndexError,
};

/// Which chain a database indexes: the program, and the cluster (its
/// genesis hash, or the embedded ledger's own id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainIdentity {
    pub program_id: Pubkey,
    pub cluster: String,
}

/// How far the index has read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Transactions indexed (failed and event-less ones included).
    pub transactions: u64,
    /// The last one, in chain order.
    pub last_signature: Option<String>,
    pub last_slot: Option<u64>,
    /// Where the source stopped, in its own terms (the embedded journal's
    /// entry count), written with the transaction it follows.
    pub source_position: Option<String>,
}

/// The index: a database, checked to be this chain's.
pub struct Indexer {
    pub(crate) database: Database,
    url: DatabaseUrl,
    identity: ChainIdentity,
}

const PROGRAM_ID: &str = "program_id";
const CLUSTER: &str = "cluster";
pub(crate) const SOURCE_POSITION: &str = "source_position";

impl Indexer {
    /// Opens the index at `url` for `identity`: a new database is bound to
    /// it, one bound to another program or cluster is refused.
    pub fn open(url: &DatabaseUrl, identity: &ChainIdentity) -> Result<Self, IndexError> {
        let mut database = Database::open(url)?;
        database.transaction(|sql| {
            for (key, asked, what) in [
                (PROGRAM_ID, identity.program_id.to_string(), "program"),
                (CLUSTER, identity.cluster.clone(), "cluster"),
            ] {
                match meta(sql, key)? {
                    Some(indexed) if indexed != asked => {
                        return Err(IndexError::Foreign {
                            database: url.to_string(),
                            what,
                            indexed,
                            asked,
                        })
                    }
                    Some(_) => {}
                    None => set_meta(sql, key, &asked)?,
                }
            }
            Ok(())
        })?;
        Ok(Self {
            database,
            url: url.clone(),
            identity: identity.clone(),
        })
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    pub fn identity(&self) -> &ChainIdentity {
        &self.identity
    }

    /// Statements against the index (reads for the CLI and the explorer).
    pub fn sql(&mut self) -> &mut dyn Sql {
        &mut self.database
    }

    pub fn cursor(&mut self) -> Result<Cursor, IndexError> {
        let sql = &mut self.database;
        let transactions = sql
            .query_one("SELECT COUNT(*) FROM transactions", &[])?
            .u64(0)?;
        let last = sql.query_opt(
            "SELECT signature, slot FROM transactions ORDER BY position DESC LIMIT 1",
            &[],
        )?;
        Ok(Cursor {
            transactions,
            last_signature: last
                .as_ref()
                .map(|row| row.text(0).map(String::from))
                .transpose()?,
            last_slot: last.as_ref().map(|row| row.u64(1)).transpose()?,
            source_position: meta(sql, SOURCE_POSITION)?,
        })
    }

    /// A value a source keeps in the index between runs (where an RPC
    /// source resumes listing, say), under `key`.
    pub fn source_hint(&mut self, key: &str) -> Result<Option<String>, IndexError> {
        meta(&mut self.database, &format!("source.{key}"))
    }

    pub fn set_source_hint(&mut self, key: &str, value: &str) -> Result<(), IndexError> {
        set_meta(&mut self.database, &format!("source.{key}"), value)
    }

    /// Whether the transaction `signature` is indexed.
    pub fn contains(&mut self, signature: &str) -> Result<bool, IndexError> {
        Ok(self
            .database
            .query_opt(
                "SELECT 1 FROM transactions WHERE signature = $1",
                &[signature.into()],
            )?
            .is_some())
    }
}

pub(crate) fn meta(sql: &mut dyn Sql, key: &str) -> Result<Option<String>, IndexError> {
    sql.query_opt("SELECT value FROM meta WHERE key = $1", &[key.into()])?
        .map(|row| row.text(0).map(String::from))
        .transpose()
}

pub(crate) fn set_meta(sql: &mut dyn Sql, key: &str, value: &str) -> Result<(), IndexError> {
    sql.execute(
        "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[Value::from(key), Value::from(value)],
    )?;
    Ok(())
}
