//! PostgreSQL's side of [`crate::db::Sql`]: prepared statements (parsed
//! and planned once per session), typed parameters, and writes sent
//! together ([`crate::deferred`]).

use std::{collections::HashMap, sync::Arc};

use crate::{
    db::{Row, Sql, Value},
    deferred::{Deferred, Flush},
    IndexError,
};

pub(crate) fn postgres_error(error: postgres::Error) -> IndexError {
    // The server's own message (constraint, type, connection) when it sent one.
    match error.as_db_error() {
        Some(db) => IndexError::Database(format!("{}: {}", db.code().code(), db.message())),
        None => IndexError::Database(error.to_string()),
    }
}

pub(crate) struct PostgresSql<'a, C: postgres::GenericClient> {
    client: &'a mut C,
    statements: &'a mut HashMap<String, postgres::Statement>,
    deferred: Deferred,
}

impl<'a, C: postgres::GenericClient> PostgresSql<'a, C> {
    pub(crate) fn new(
        client: &'a mut C,
        statements: &'a mut HashMap<String, postgres::Statement>,
    ) -> Self {
        Self {
            client,
            statements,
            deferred: Deferred::default(),
        }
    }

    /// Sends every write kept so far (before a commit): the script in one
    /// round trip, then each table's rows by `COPY`.
    pub(crate) fn send_deferred(&mut self) -> Result<(), IndexError> {
        self.send_before("")
    }

    /// Sends the writes `statement` may read (all when it is empty).
    fn send_before(&mut self, statement: &str) -> Result<(), IndexError> {
        match self.deferred.take_before(statement) {
            Some(flush) => self.send(flush),
            None => Ok(()),
        }
    }

    fn send(&mut self, flush: Flush) -> Result<(), IndexError> {
        let named = |error: postgres::Error, what: &str| {
            let IndexError::Database(reason) = postgres_error(error) else {
                unreachable!("postgres_error gives a database error")
            };
            IndexError::Database(format!("{reason} ({what})"))
        };
        if !flush.script.is_empty() {
            self.client
                .batch_execute(&flush.script)
                .map_err(|error| named(error, "in writes sent together"))?;
        }
        for copy in flush.copies {
            let what = format!("in rows sent by {}", copy.statement);
            let mut writer = self
                .client
                .copy_in(copy.statement.as_str())
                .map_err(|error| named(error, &what))?;
            std::io::Write::write_all(&mut writer, copy.data.as_bytes())
                .map_err(|error| IndexError::Database(format!("{error} ({what})")))?;
            writer.finish().map_err(|error| named(error, &what))?;
        }
        Ok(())
    }

    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, IndexError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).map_err(postgres_error)?;
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

fn references(params: &[Value]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|value| value as &(dyn postgres::types::ToSql + Sync))
        .collect()
}

impl<C: postgres::GenericClient> Sql for PostgresSql<'_, C> {
    fn write(&mut self, sql: &str, params: &[Value]) -> Result<(), IndexError> {
        match self.deferred.keep(sql, params)? {
            Some(flush) => self.send(flush),
            None => Ok(()),
        }
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, IndexError> {
        self.send_before(sql)?;
        let statement = self.statement(sql)?;
        self.client
            .execute(&statement, &references(params))
            .map_err(postgres_error)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, IndexError> {
        self.send_before(sql)?;
        let statement = self.statement(sql)?;
        let rows = self
            .client
            .query(&statement, &references(params))
            .map_err(postgres_error)?;
        let names: Arc<[String]> = statement
            .columns()
            .iter()
            .map(|column| column.name().to_string())
            .collect();
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|column| row.try_get::<_, Value>(column).map_err(postgres_error))
                    .collect::<Result<Vec<_>, _>>()
                    .map(|values| Row::new(names.clone(), values))
            })
            .collect()
    }
}

type BoxedError = Box<dyn std::error::Error + Sync + Send>;

impl postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<postgres::types::IsNull, BoxedError> {
        use postgres::types::Type;
        match self {
            Value::Null => Ok(postgres::types::IsNull::Yes),
            Value::Int(value) => match *ty {
                Type::INT8 => value.to_sql(ty, out),
                Type::INT4 => i32::try_from(*value)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*value)?.to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => value.to_string().to_sql(ty, out),
                _ => Err(format!("an integer for a {ty} parameter").into()),
            },
            Value::Text(value) => value.to_sql(ty, out),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

impl<'a> postgres::types::FromSql<'a> for Value {
    fn from_sql(ty: &postgres::types::Type, raw: &'a [u8]) -> Result<Self, BoxedError> {
        use postgres::types::Type;
        Ok(match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT2 => Value::Int(i64::from(i16::from_sql(ty, raw)?)),
            Type::BOOL => Value::Int(i64::from(bool::from_sql(ty, raw)?)),
            _ => Value::Text(String::from_sql(ty, raw)?),
        })
    }

    fn from_sql_null(_: &postgres::types::Type) -> Result<Self, BoxedError> {
        Ok(Value::Null)
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }
}
