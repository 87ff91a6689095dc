//! One way to talk to either database. Statements are written once, in the
//! SQL both SQLite and PostgreSQL read (`$1`, `$2` … placeholders, `ON
//! CONFLICT`, `RETURNING`), and bound with [`Value`]s: integers, text or
//! null, the only types the schema uses. Both drivers are synchronous, so a
//! [`Database`] lives on a thread of its own, never on an async executor.

use std::{collections::HashMap, fmt, path::PathBuf, sync::Arc};

use solana_sdk::pubkey::Pubkey;

use crate::{
    postgres_sql::{postgres_error, PostgresSql},
    IndexError,
};

/// A statement's parameter or a column's value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Int(value)
    }
}

impl From<u32> for Value {
    fn from(value: u32) -> Self {
        Value::Int(i64::from(value))
    }
}

impl From<u16> for Value {
    fn from(value: u16) -> Self {
        Value::Int(i64::from(value))
    }
}

impl From<u8> for Value {
    fn from(value: u8) -> Self {
        Value::Int(i64::from(value))
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Int(i64::from(value))
    }
}

/// Text as both databases can hold it: U+0000, the one character
/// PostgreSQL's TEXT refuses, becomes U+FFFD. On-chain strings are checked
/// by the program today (`TextNotPrintable`), but an index must still take
/// every event a program ever emitted, or one string would stop it for good.
pub fn storable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\0') {
        std::borrow::Cow::Owned(text.replace('\0', "\u{FFFD}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::Text(storable(value).into_owned())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        match storable(&value) {
            std::borrow::Cow::Borrowed(_) => Value::Text(value),
            std::borrow::Cow::Owned(clean) => Value::Text(clean),
        }
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}

/// A u64 or u128 as the schema keeps it: decimal text, exact in both databases.
pub fn amount(value: impl Into<u128>) -> Value {
    Value::Text(value.into().to_string())
}

/// A slot or a count as a BIGINT; refused past i64 (no real chain gets there).
pub fn int(value: u64) -> Result<Value, IndexError> {
    i64::try_from(value)
        .map(Value::Int)
        .map_err(|_| IndexError::Database(format!("{value} does not fit a BIGINT column")))
}

/// One result row, its values read by column name (or, where a query
/// repeats a name, by position).
#[derive(Clone, Debug)]
pub struct Row {
    names: Arc<[String]>,
    values: Vec<Value>,
}

/// How a row's column is named: by its name in the query's result, or by
/// its position.
pub trait Column: Copy + fmt::Display {
    fn position(self, row: &Row) -> Result<usize, IndexError>;
}

impl Column for usize {
    fn position(self, row: &Row) -> Result<usize, IndexError> {
        (self < row.values.len())
            .then_some(self)
            .ok_or_else(|| IndexError::Database(format!("no column {self} in a row")))
    }
}

impl Column for &str {
    fn position(self, row: &Row) -> Result<usize, IndexError> {
        let mut matches = row
            .names
            .iter()
            .enumerate()
            .filter(|(_, name)| name.as_str() == self);
        match (matches.next(), matches.next()) {
            (Some((position, _)), None) => Ok(position),
            (None, _) => Err(IndexError::Database(format!(
                "no column {self:?} in a row of {:?}",
                row.names
            ))),
            (Some(_), Some(_)) => Err(IndexError::Database(format!(
                "column {self:?} appears twice in a row"
            ))),
        }
    }
}

impl Row {
    pub fn new(names: Arc<[String]>, values: Vec<Value>) -> Self {
        Self { names, values }
    }

    pub fn values(&self) -> &[Value] {
        &self.values
    }

    pub fn value(&self, column: impl Column) -> Result<&Value, IndexError> {
        Ok(&self.values[column.position(self)?])
    }

    pub fn int(&self, column: impl Column) -> Result<i64, IndexError> {
        match self.value(column)? {
            Value::Int(value) => Ok(*value),
            other => Err(IndexError::Database(format!(
                "column {column}: an integer expected, found {other:?}"
            ))),
        }
    }

    pub fn u64(&self, column: impl Column) -> Result<u64, IndexError> {
        u64::try_from(self.int(column)?)
            .map_err(|_| IndexError::Database(format!("column {column}: a negative count")))
    }

    /// A small integer column (`u16`, `u32`) that must fit its type.
    pub fn small<T: TryFrom<i64>>(&self, column: impl Column) -> Result<T, IndexError> {
        T::try_from(self.int(column)?).map_err(|_| {
            IndexError::Database(format!(
                "column {column}: beyond {}",
                std::any::type_name::<T>()
            ))
        })
    }

    pub fn opt_int(&self, column: impl Column) -> Result<Option<i64>, IndexError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            _ => self.int(column).map(Some),
        }
    }

    pub fn text(&self, column: impl Column) -> Result<&str, IndexError> {
        match self.value(column)? {
            Value::Text(value) => Ok(value),
            other => Err(IndexError::Database(format!(
                "column {column}: text expected, found {other:?}"
            ))),
        }
    }

    /// A base58 address.
    pub fn address(&self, column: impl Column) -> Result<Pubkey, IndexError> {
        let text = self.text(column)?;
        text.parse().map_err(|_| {
            IndexError::Database(format!("column {column}: {text:?} is not an address"))
        })
    }

    pub fn opt_text(&self, column: impl Column) -> Result<Option<&str>, IndexError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            _ => self.text(column).map(Some),
        }
    }

    /// A decimal-text amount.
    pub fn amount(&self, column: impl Column) -> Result<u128, IndexError> {
        let text = self.text(column)?;
        text.parse().map_err(|_| {
            IndexError::Database(format!("column {column}: {text:?} is not an amount"))
        })
    }

    pub fn amount_u64(&self, column: impl Column) -> Result<u64, IndexError> {
        u64::try_from(self.amount(column)?)
            .map_err(|_| IndexError::Database(format!("column {column}: beyond u64")))
    }

    /// A JSON list of decimal-text amounts, into `N` slots (a shorter list
    /// leaves the rest 0).
    pub fn amount_list<T: TryFrom<u128> + Copy + Default, const N: usize>(
        &self,
        column: impl Column,
    ) -> Result<[T; N], IndexError> {
        let text = self.text(column)?;
        let bad = || {
            IndexError::Database(format!(
                "column {column}: {text:?} is not a list of amounts"
            ))
        };
        let values: Vec<String> = serde_json::from_str(text).map_err(|_| bad())?;
        if values.len() > N {
            return Err(bad());
        }
        let mut list = [T::default(); N];
        for (slot, value) in list.iter_mut().zip(&values) {
            *slot = value
                .parse::<u128>()
                .ok()
                .and_then(|value| T::try_from(value).ok())
                .ok_or_else(bad)?;
        }
        Ok(list)
    }
}

/// Statements against a database or inside one of its transactions.
pub trait Sql {
    /// Runs a statement; how many rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, IndexError>;

    /// Runs a statement whose result the caller does not need now: inside a
    /// PostgreSQL transaction it may be sent with others, before the next
    /// read or the commit ([`crate::deferred`]); it fails there if it fails.
    fn write(&mut self, sql: &str, params: &[Value]) -> Result<(), IndexError> {
        self.execute(sql, params).map(drop)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, IndexError>;

    fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, IndexError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row, IndexError> {
        self.query_opt(sql, params)?
            .ok_or_else(|| IndexError::Database(format!("no row for: {sql}")))
    }
}

/// Where the index lives: a SQLite file, or a PostgreSQL server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl std::str::FromStr for DatabaseUrl {
    type Err = String;

    /// `postgres://…` or `postgresql://…` is a server; `sqlite://PATH` or
    /// any other text a SQLite file.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(text.to_string()));
        }
        let path = text.strip_prefix("sqlite://").unwrap_or(text);
        if path.is_empty() {
            return Err("an empty database path".into());
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }
}

impl fmt::Display for DatabaseUrl {
    /// A PostgreSQL URL is shown without its password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "{}", path.display()),
            DatabaseUrl::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(scheme), Some(at)) if at > scheme => {
                    let credentials = &url[scheme + 3..at];
                    let user = credentials.split(':').next().unwrap_or_default();
                    write!(f, "{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
                }
                _ => f.write_str(url),
            },
        }
    }
}

impl DatabaseUrl {
    /// A SQLite database in memory, gone when closed: for a rebuild that
    /// `index verify` compares the index with.
    pub fn in_memory() -> DatabaseUrl {
        DatabaseUrl::Sqlite(PathBuf::from(":memory:"))
    }

    /// A new, empty PostgreSQL database `name` on the server `server`
    /// (a `postgres://` URL of any database there; an older one of that
    /// name is dropped): for tests and benchmarks.
    pub fn fresh_postgres(server: &str, name: &str) -> Result<DatabaseUrl, IndexError> {
        if !name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_')
        {
            return Err(IndexError::Database(format!(
                "{name:?}: a database name of a-z, 0-9 and _"
            )));
        }
        let mut client = postgres::Client::connect(server, postgres::NoTls).map_err(|error| {
            IndexError::Database(format!("cannot connect to {server}: {error}"))
        })?;
        // One statement each: neither may run inside a transaction block.
        for statement in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            client.batch_execute(&statement).map_err(postgres_error)?;
        }
        let (base, query) = match server.split_once('?') {
            Some((base, query)) => (base, format!("?{query}")),
            None => (server, String::new()),
        };
        let authority_end = base.find("://").map_or(0, |at| at + 3);
        let root = match base[authority_end..].find('/') {
            Some(slash) => &base[..authority_end + slash],
            None => base,
        };
        Ok(DatabaseUrl::Postgres(format!("{root}/{name}{query}")))
    }
}

/// An open database.
pub enum Database {
    Sqlite(rusqlite::Connection),
    Postgres {
        client: Box<postgres::Client>,
        /// Prepared once per session: a statement is parsed and planned on
        /// its first use only.
        statements: HashMap<String, postgres::Statement>,
    },
}

fn sqlite_error(error: rusqlite::Error) -> IndexError {
    IndexError::Database(error.to_string())
}

impl Database {
    /// Opens (creating a SQLite file if needed) and brings the schema up to date.
    pub fn open(url: &DatabaseUrl) -> Result<Self, IndexError> {
        let mut database = match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(parent) = path
                    .parent()
                    .filter(|parent| !parent.as_os_str().is_empty())
                {
                    std::fs::create_dir_all(parent).map_err(|error| {
                        IndexError::Database(format!("cannot create {}: {error}", parent.display()))
                    })?;
                }
                let connection = rusqlite::Connection::open(path).map_err(|error| {
                    IndexError::Database(format!("cannot open {}: {error}", path.display()))
                })?;
                // WAL: readers (the explorer) never wait for the writer (the
                // indexer); NORMAL: a commit survives a crash of the process.
                connection
                    .execute_batch(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;",
                    )
                    .map_err(|error| {
                        IndexError::Database(format!("{}: {error}", path.display()))
                    })?;
                Database::Sqlite(connection)
            }
            DatabaseUrl::Postgres(address) => {
                let mut client =
                    postgres::Client::connect(address, postgres::NoTls).map_err(|error| {
                        IndexError::Database(format!("cannot connect to {url}: {error}"))
                    })?;
                // Writes sent together are rendered as literals, which this
                // setting keeps exact. A commit need not wait for the disk:
                // the index is derived data whose resume point commits with
                // it, so a crash loses at most the last commits, read again.
                client
                    .batch_execute(
                        "SET standard_conforming_strings = on; SET synchronous_commit = off",
                    )
                    .map_err(|error| IndexError::Database(format!("{url}: {error}")))?;
                Database::Postgres {
                    client: Box::new(client),
                    statements: HashMap::new(),
                }
            }
        };
        crate::schema::migrate(&mut database)?;
        Ok(database)
    }

    /// The schema's tables, by name.
    pub(crate) fn tables(&mut self) -> Result<Vec<String>, IndexError> {
        let sql = match self {
            Database::Sqlite(_) => {
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            }
            Database::Postgres { .. } => {
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
            }
        };
        self.query(sql, &[])?
            .iter()
            .map(|row| row.text(0).map(String::from))
            .collect()
    }

    /// The columns of `table` in their order, each with whether it is part
    /// of the primary key.
    /// The tables that hold chain data (every table but those describing
    /// the database: where a source resumes, the schema's version), sorted
    /// here (the databases collate names differently).
    pub(crate) fn chain_tables(&mut self) -> Result<Vec<String>, IndexError> {
        const NOT_CHAIN_DATA: [&str; 2] = ["meta", "schema_version"];
        let mut tables: Vec<String> = self
            .tables()?
            .into_iter()
            .filter(|table| !NOT_CHAIN_DATA.contains(&table.as_str()))
            .collect();
        tables.sort_unstable();
        Ok(tables)
    }

    /// Empties `tables` in one statement per database: PostgreSQL truncates
    /// them together (their foreign keys among them allow no other order
    /// one by one), SQLite (foreign keys not enforced) deletes each.
    pub(crate) fn empty_tables(
        sql: &mut dyn Sql,
        tables: &[String],
        postgres: bool,
    ) -> Result<(), IndexError> {
        if postgres {
            sql.execute(&format!("TRUNCATE {}", tables.join(", ")), &[])?;
            return Ok(());
        }
        for table in tables {
            sql.execute(&format!("DELETE FROM {table}"), &[])?;
        }
        Ok(())
    }

    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self, Database::Postgres { .. })
    }

    pub(crate) fn columns(&mut self, table: &str) -> Result<Vec<(String, bool)>, IndexError> {
        let sql = match self {
            Database::Sqlite(_) => "SELECT name, pk FROM pragma_table_info($1) ORDER BY cid",
            Database::Postgres { .. } => {
                "SELECT c.column_name::text, (CASE WHEN k.column_name IS NULL THEN 0 ELSE 1 END)::bigint \
                 FROM information_schema.columns c LEFT JOIN ( \
                   SELECT u.column_name FROM information_schema.table_constraints t \
                   JOIN information_schema.key_column_usage u \
                     ON t.constraint_name = u.constraint_name AND t.table_schema = u.table_schema \
                   WHERE t.table_name = $1 AND t.constraint_type = 'PRIMARY KEY' AND t.table_schema = current_schema() \
                 ) k ON k.column_name = c.column_name \
                 WHERE c.table_name = $1 AND c.table_schema = current_schema() ORDER BY c.ordinal_position"
            }
        };
        self.query(sql, &[table.into()])?
            .iter()
            .map(|row| Ok((row.text(0)?.to_string(), row.int(1)? != 0)))
            .collect()
    }

    /// Runs a script of several statements (a migration) at once.
    pub fn execute_script(&mut self, script: &str) -> Result<(), IndexError> {
        match self {
            Database::Sqlite(connection) => connection.execute_batch(script).map_err(sqlite_error),
            Database::Postgres { client, .. } => {
                client.batch_execute(script).map_err(postgres_error)
            }
        }
    }

    /// Runs `work` in one database transaction: committed if it returns
    /// `Ok`, rolled back (nothing written) if it returns an error.
    pub fn transaction<T>(
        &mut self,
        work: impl FnOnce(&mut dyn Sql) -> Result<T, IndexError>,
    ) -> Result<T, IndexError> {
        match self {
            Database::Sqlite(connection) => {
                let transaction = connection
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(sqlite_error)?;
                let result = work(&mut SqliteSql(&transaction))?;
                transaction.commit().map_err(sqlite_error)?;
                Ok(result)
            }
            Database::Postgres { client, statements } => {
                let mut transaction = client.transaction().map_err(postgres_error)?;
                let mut sql = PostgresSql::new(&mut transaction, statements);
                let result = work(&mut sql)?;
                sql.send_deferred()?;
                transaction.commit().map_err(postgres_error)?;
                Ok(result)
            }
        }
    }
}

impl Sql for Database {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, IndexError> {
        match self {
            Database::Sqlite(connection) => SqliteSql(connection).execute(sql, params),
            Database::Postgres { client, statements } => {
                PostgresSql::new(client.as_mut(), statements).execute(sql, params)
            }
        }
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, IndexError> {
        match self {
            Database::Sqlite(connection) => SqliteSql(connection).query(sql, params),
            Database::Postgres { client, statements } => {
                PostgresSql::new(client.as_mut(), statements).query(sql, params)
            }
        }
    }
}

struct SqliteSql<'a>(&'a rusqlite::Connection);

impl SqliteSql<'_> {
    /// A cached statement with `params` bound by name (`$1` is the first),
    /// so a statement may use its parameters in any order.
    fn prepare(
        &self,
        sql: &str,
        params: &[Value],
    ) -> Result<rusqlite::CachedStatement<'_>, IndexError> {
        let mut statement = self.0.prepare_cached(sql).map_err(sqlite_error)?;
        for (number, value) in params.iter().enumerate() {
            let name = format!("${}", number + 1);
            let Some(index) = statement.parameter_index(&name).map_err(sqlite_error)? else {
                continue;
            };
            match value {
                Value::Null => statement.raw_bind_parameter(index, rusqlite::types::Null),
                Value::Int(value) => statement.raw_bind_parameter(index, value),
                Value::Text(value) => statement.raw_bind_parameter(index, value.as_str()),
            }
            .map_err(sqlite_error)?;
        }
        Ok(statement)
    }
}

impl Sql for SqliteSql<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, IndexError> {
        let mut statement = self.prepare(sql, params)?;
        let changed = statement.raw_execute().map_err(sqlite_error)?;
        Ok(changed as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, IndexError> {
        let mut statement = self.prepare(sql, params)?;
        let columns = statement.column_count();
        let names: Arc<[String]> = statement
            .column_names()
            .into_iter()
            .map(String::from)
            .collect();
        let mut rows = statement.raw_query();
        let mut result = Vec::new();
        while let Some(row) = rows.next().map_err(sqlite_error)? {
            let mut values = Vec::with_capacity(columns);
            for column in 0..columns {
                values.push(match row.get_ref(column).map_err(sqlite_error)? {
                    rusqlite::types::ValueRef::Null => Value::Null,
                    rusqlite::types::ValueRef::Integer(value) => Value::Int(value),
                    rusqlite::types::ValueRef::Text(text) => {
                        Value::Text(String::from_utf8_lossy(text).into_owned())
                    }
                    other => {
                        return Err(IndexError::Database(format!(
                            "column {column}: a {:?} value in a schema of integers and text",
                            other.data_type()
                        )))
                    }
                });
            }
            result.push(Row::new(names.clone(), values));
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::DatabaseUrl;

    #[test]
    fn a_url_names_its_database_and_hides_the_password() {
        let url: DatabaseUrl = "postgres://indexer:secret@127.0.0.1:5432/ledger"
            .parse()
            .unwrap();
        assert_eq!(url.to_string(), "postgres://indexer@127.0.0.1:5432/ledger");
        assert_eq!(
            "index.sqlite".parse::<DatabaseUrl>().unwrap(),
            DatabaseUrl::Sqlite("index.sqlite".into())
        );
        assert_eq!(
            "sqlite://data/index.db".parse::<DatabaseUrl>().unwrap(),
            DatabaseUrl::Sqlite("data/index.db".into())
        );
        assert!("".parse::<DatabaseUrl>().is_err());
    }
}
