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
    /// Books and entries as the last committed batch left them: this
    /// indexer is its database's only writer, so what it wrote is what the
    /// rows hold (dropped at any failure, and whenever [`Self::sql`] hands
    /// the database out).
    pub(crate) cache: crate::apply::Cache,
}

const PROGRAM_ID: &str = "program_id";
const CLUSTER: &str = "cluster";
pub(crate) const SOURCE_POSITION: &str = "source_position";
/// The position (in `transactions`) of the last transaction known final:
/// those after it may still be dropped by a fork.
const FINAL_POSITION: &str = "final_position";
const LEGACY_RPC_RESUME: &str = "source.rpc_resume";

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
            // An index an RPC source wrote before sources shared one resume
            // point kept it apart, and took what it had read as settled.
            if meta(sql, SOURCE_POSITION)?.is_none() {
                if let Some(resume) = meta(sql, LEGACY_RPC_RESUME)? {
                    set_meta(sql, SOURCE_POSITION, &resume)?;
                }
            }
            if meta(sql, FINAL_POSITION)?.is_none() && meta(sql, SOURCE_POSITION)?.is_some() {
                let last = sql
                    .query_one("SELECT COALESCE(MAX(position), -1) FROM transactions", &[])?
                    .int(0)?;
                set_meta(sql, FINAL_POSITION, &last.to_string())?;
            }
            Ok(())
        })?;
        Ok(Self {
            database,
            url: url.clone(),
            identity: identity.clone(),
            cache: Default::default(),
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
        // Whoever gets the database may change what the cache remembers.
        self.cache = Default::default();
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
                .map(|row| row.text("signature").map(String::from))
                .transpose()?,
            last_slot: last.as_ref().map(|row| row.u64("slot")).transpose()?,
            source_position: meta(sql, SOURCE_POSITION)?,
        })
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

impl Indexer {
    /// The transactions indexed after the last one known final, oldest
    /// first: those a fork may still drop.
    pub(crate) fn not_final(&mut self) -> Result<Vec<String>, IndexError> {
        let after = match meta(&mut self.database, FINAL_POSITION)? {
            Some(text) => text.parse::<i64>().map_err(|_| {
                IndexError::Database(format!("meta's {FINAL_POSITION} is {text:?}"))
            })?,
            None => -1,
        };
        self.database
            .query(
                "SELECT signature FROM transactions WHERE position > $1 ORDER BY position",
                &[Value::Int(after)],
            )?
            .iter()
            .map(|row| row.text("signature").map(String::from))
            .collect()
    }

    /// Empties every table of chain data, the counts and the resume point,
    /// in one database transaction: where reading the history again starts.
    pub(crate) fn forget_history(&mut self) -> Result<(), IndexError> {
        self.cache = Default::default();
        let tables = self.database.chain_tables()?;
        let postgres = self.database.is_postgres();
        self.database.transaction(|sql| {
            Database::empty_tables(sql, &tables, postgres)?;
            sql.execute(
                "DELETE FROM meta WHERE key IN ($1, $2)",
                &[SOURCE_POSITION.into(), FINAL_POSITION.into()],
            )?;
            crate::counts::backfill(sql)
        })
    }
}

/// `signature`, indexed, is final: the source resumes at `resume` after it.
pub(crate) fn mark_final(
    sql: &mut dyn Sql,
    signature: &str,
    resume: &str,
) -> Result<(), IndexError> {
    let position = sql
        .query_one(
            "SELECT position FROM transactions WHERE signature = $1",
            &[signature.into()],
        )?
        .int("position")?;
    mark_final_at(sql, position, resume)
}

/// The transaction at `position` is final: the source resumes at `resume`.
pub(crate) fn mark_final_at(
    sql: &mut dyn Sql,
    position: i64,
    resume: &str,
) -> Result<(), IndexError> {
    set_meta(sql, SOURCE_POSITION, resume)?;
    set_meta(sql, FINAL_POSITION, &position.to_string())
}

pub(crate) fn meta(sql: &mut dyn Sql, key: &str) -> Result<Option<String>, IndexError> {
    sql.query_opt("SELECT value FROM meta WHERE key = $1", &[key.into()])?
        .map(|row| row.text(0).map(String::from))
        .transpose()
}

pub(crate) fn set_meta(sql: &mut dyn Sql, key: &str, value: &str) -> Result<(), IndexError> {
    sql.write(
        "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[Value::from(key), Value::from(value)],
    )?;
    Ok(())
}
