//! Writes a PostgreSQL transaction does not need answered right away, sent
//! together. Each statement the indexer runs is one loopback round trip, and
//! most of what it runs are writes whose result it never reads (an event's
//! row, a payment's, a contribution's new balance). Those
//! ([`crate::db::Sql::write`]) are rendered with their parameters as SQL
//! literals and kept; consecutive inserts of the same shape become one
//! multi-row insert, and inserts into tables only ever appended to (the
//! event log, status history, payments…) gather into one per shape at the
//! script's end; everything kept is sent as one script (the simple query
//! protocol: one round trip) before the next statement that reads, or that
//! must say how many rows it changed, and before the transaction commits. A
//! write that fails therefore fails there, inside the same database
//! transaction, which then writes nothing.

use std::fmt::Write as _;

use crate::{db::Value, IndexError};

/// Scripts are sent once they reach this size, whatever comes next.
const SCRIPT_LIMIT: usize = 1 << 20;

/// Tables only ever appended to while transactions are applied (nothing
/// reads, updates or deletes their rows in the meantime): their inserts
/// gather, one multi-row insert per statement shape, at the script's end.
const LOGS: [&str; 7] = [
    "events",
    "transactions",
    "contribution_status",
    "payments",
    "batches",
    "claims",
    "settlements",
];

/// The writes kept for the transaction's next round trip.
#[derive(Default)]
pub(crate) struct Deferred {
    script: String,
    /// The statement the script ends with, still open for more rows.
    open: Option<Open>,
    /// Inserts into [`LOGS`], by statement, in the order first kept.
    logs: Vec<(String, String)>,
}

/// Rows gathered for one statement.
enum Open {
    /// A plain insert (with `$n` placeholders) and its rows so far.
    Insert { sql: String, rows: String },
    /// An update of one row by its key ([`KeyedUpdate`]), and the rows
    /// (key first) so far, whose keys all differ: one statement updates
    /// each row once.
    Update {
        sql: String,
        rows: String,
        keys: std::collections::HashSet<String>,
        /// The first row's statement as written: what a group of one sends.
        first: String,
    },
}

impl Deferred {
    /// Keeps `sql` with `params`; `Some(script)` when the kept writes
    /// should be sent now.
    pub(crate) fn keep(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> Result<Option<String>, IndexError> {
        if let Some((_, tuple)) = insert_rows(sql).filter(|_| is_log(sql)) {
            match self.logs.iter_mut().find(|(kept, _)| kept == sql) {
                Some((_, rows)) => {
                    rows.push_str(", ");
                    render(tuple, params, rows)?;
                }
                None => {
                    let mut rows = String::new();
                    render(tuple, params, &mut rows)?;
                    self.logs.push((sql.to_string(), rows));
                }
            }
        } else if let Some((_, tuple)) = insert_rows(sql) {
            if !matches!(&self.open, Some(Open::Insert { sql: open, .. }) if open == sql) {
                self.close();
                self.open = Some(Open::Insert {
                    sql: sql.to_string(),
                    rows: String::new(),
                });
            }
            if let Some(Open::Insert { rows, .. }) = &mut self.open {
                if !rows.is_empty() {
                    rows.push_str(", ");
                }
                render(tuple, params, rows)?;
            }
        } else if let Some(update) = KeyedUpdate::of(sql) {
            let mut key = String::new();
            typed_literal(param(sql, params, update.key.1)?, &mut key);
            let continues = matches!(&self.open, Some(Open::Update { sql: open, keys, .. })
                if open == sql && !keys.contains(&key));
            if !continues {
                self.close();
                let mut first = String::new();
                render(sql, params, &mut first)?;
                self.open = Some(Open::Update {
                    sql: sql.to_string(),
                    rows: String::new(),
                    keys: Default::default(),
                    first,
                });
            }
            if let Some(Open::Update { rows, keys, .. }) = &mut self.open {
                if !rows.is_empty() {
                    rows.push_str(", ");
                }
                rows.push('(');
                rows.push_str(&key);
                for (_, number) in &update.columns {
                    rows.push_str(", ");
                    typed_literal(param(sql, params, *number)?, rows);
                }
                rows.push(')');
                keys.insert(key);
            }
        } else {
            self.close();
            render(sql, params, &mut self.script)?;
            self.script.push_str(";\n");
        }
        let open = match &self.open {
            Some(Open::Insert { rows, .. } | Open::Update { rows, .. }) => rows.len(),
            None => 0,
        };
        let kept =
            self.script.len() + open + self.logs.iter().map(|(_, rows)| rows.len()).sum::<usize>();
        Ok((kept >= SCRIPT_LIMIT).then(|| self.take()).flatten())
    }

    /// Everything kept, as one script (`None`: nothing).
    pub(crate) fn take(&mut self) -> Option<String> {
        self.close();
        for (sql, rows) in std::mem::take(&mut self.logs) {
            self.push_insert(&sql, &rows);
        }
        (!self.script.is_empty()).then(|| std::mem::take(&mut self.script))
    }

    fn close(&mut self) {
        match self.open.take() {
            None => {}
            Some(Open::Insert { sql, rows }) => self.push_insert(&sql, &rows),
            Some(Open::Update { first, keys, .. }) if keys.len() == 1 => {
                self.script.push_str(&first);
                self.script.push_str(";\n");
            }
            Some(Open::Update { sql, rows, .. }) => {
                let update = KeyedUpdate::of(&sql).expect("kept as a keyed update");
                let _ = write!(self.script, "UPDATE {} AS kept SET ", update.table);
                for (number, (column, _)) in update.columns.iter().enumerate() {
                    let separator = if number == 0 { "" } else { ", " };
                    let _ = write!(self.script, "{separator}{column} = rows.{column}");
                }
                let _ = write!(
                    self.script,
                    " FROM (VALUES {rows}) AS rows ({}",
                    update.key.0
                );
                for (column, _) in &update.columns {
                    let _ = write!(self.script, ", {column}");
                }
                let _ = writeln!(
                    self.script,
                    ") WHERE kept.{key} = rows.{key};",
                    key = update.key.0
                );
            }
        }
    }

    fn push_insert(&mut self, sql: &str, rows: &str) {
        let (values_at, _) = insert_rows(sql).expect("kept as an insert");
        self.script.push_str(&sql[..values_at]);
        self.script.push_str(rows);
        self.script.push_str(";\n");
    }
}

/// `UPDATE table SET a = $2, b = $3 … WHERE key = $1`: every value a
/// parameter, one row by its key.
struct KeyedUpdate<'a> {
    table: &'a str,
    /// (column, parameter number) of each value set.
    columns: Vec<(&'a str, usize)>,
    key: (&'a str, usize),
}

impl<'a> KeyedUpdate<'a> {
    fn of(sql: &'a str) -> Option<Self> {
        let rest = sql.strip_prefix("UPDATE ")?;
        let (table, rest) = rest.split_once(" SET ")?;
        let (assignments, key) = rest.split_once(" WHERE ")?;
        let parse = |assignment: &'a str| -> Option<(&'a str, usize)> {
            let (column, value) = assignment.split_once(" = ")?;
            let number = value.strip_prefix('$')?.parse().ok()?;
            let simple = |name: &str| {
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            };
            (simple(column) && simple(table)).then_some((column, number))
        };
        let columns = assignments
            .split(", ")
            .map(parse)
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            table,
            columns,
            key: parse(key)?,
        })
    }
}

fn param<'a>(sql: &str, params: &'a [Value], number: usize) -> Result<&'a Value, IndexError> {
    number
        .checked_sub(1)
        .and_then(|index| params.get(index))
        .ok_or_else(|| IndexError::Database(format!("no parameter ${number} for: {sql}")))
}

/// A plain `INSERT … VALUES (…)` (no `ON CONFLICT`, which a second row for
/// the same key would break, nor `RETURNING`): where its row begins, and the
/// row's tuple.
fn insert_rows(sql: &str) -> Option<(usize, &str)> {
    if !sql.starts_with("INSERT INTO ")
        || sql.contains(" ON CONFLICT ")
        || sql.contains(" RETURNING ")
    {
        return None;
    }
    let values_at = sql.find(" VALUES (")? + " VALUES ".len();
    let tuple = &sql[values_at..];
    tuple.ends_with(')').then_some((values_at, tuple))
}

/// Whether `sql` inserts into one of the [`LOGS`].
fn is_log(sql: &str) -> bool {
    let table = sql["INSERT INTO ".len()..].split([' ', '(']).next();
    table.is_some_and(|table| LOGS.contains(&table))
}

/// `sql` with each `$n` replaced by `params[n - 1]` as a literal.
fn render(sql: &str, params: &[Value], out: &mut String) -> Result<(), IndexError> {
    let mut rest = sql;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let digits = rest[dollar + 1..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        let number: usize = rest[dollar + 1..dollar + 1 + digits].parse().map_err(|_| {
            IndexError::Database(format!("a `$` that numbers no parameter in: {sql}"))
        })?;
        literal(param(sql, params, number)?, out);
        rest = &rest[dollar + 1 + digits..];
    }
    out.push_str(rest);
    Ok(())
}

/// A value as an SQL literal: text quoted with its quotes doubled (the
/// connection keeps `standard_conforming_strings` on, so nothing else is
/// special) and U+0000, which no text column holds, as U+FFFD.
fn literal(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("NULL"),
        // Quoted too: an untyped literal takes its column's type, integer
        // or text, as a bound parameter does.
        Value::Int(number) => {
            let _ = write!(out, "'{number}'");
        }
        Value::Text(text) => {
            out.push('\'');
            for character in text.chars() {
                match character {
                    '\'' => out.push_str("''"),
                    '\0' => out.push('\u{FFFD}'),
                    other => out.push(other),
                }
            }
            out.push('\'');
        }
    }
}

/// A value in the rows an update reads from (`VALUES`), where a column's
/// type comes from its values: integers bare, so an integer column gets
/// integers; text and null as [`literal`] writes them.
fn typed_literal(value: &Value, out: &mut String) {
    match value {
        Value::Int(number) => {
            let _ = write!(out, "{number}");
        }
        other => literal(other, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_become_literals_and_quotes_cannot_end_a_string() {
        let mut out = String::new();
        render(
            "UPDATE t SET a = $2, b = $10, c = $1 WHERE d = $3",
            &[
                Value::Text("it's; DROP TABLE t; --".into()),
                Value::Int(-7),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Text("\\n\0".into()),
            ],
            &mut out,
        )
        .unwrap();
        assert_eq!(
            out,
            "UPDATE t SET a = '-7', b = '\\n\u{FFFD}', c = 'it''s; DROP TABLE t; --' WHERE d = NULL"
        );
        assert!(render("SELECT $4", &[Value::Null], &mut String::new()).is_err());
    }

    #[test]
    fn consecutive_inserts_of_one_shape_become_one_statement() {
        let mut deferred = Deferred::default();
        let insert = "INSERT INTO t (a, b) VALUES ($1, 'x')";
        for number in 0..3 {
            assert_eq!(deferred.keep(insert, &[Value::Int(number)]).unwrap(), None);
        }
        deferred
            .keep("UPDATE u SET a = $1", &[Value::Int(9)])
            .unwrap();
        deferred.keep(insert, &[Value::Int(3)]).unwrap();
        let upsert = "INSERT INTO t (a, b) VALUES ($1, 'x') ON CONFLICT (a) DO UPDATE SET b = 'y'";
        deferred.keep(upsert, &[Value::Int(4)]).unwrap();
        deferred.keep(upsert, &[Value::Int(4)]).unwrap();
        assert_eq!(
            deferred.take().unwrap(),
            "INSERT INTO t (a, b) VALUES ('0', 'x'), ('1', 'x'), ('2', 'x');\n\
             UPDATE u SET a = '9';\n\
             INSERT INTO t (a, b) VALUES ('3', 'x');\n\
             INSERT INTO t (a, b) VALUES ('4', 'x') ON CONFLICT (a) DO UPDATE SET b = 'y';\n\
             INSERT INTO t (a, b) VALUES ('4', 'x') ON CONFLICT (a) DO UPDATE SET b = 'y';\n"
        );
        assert_eq!(deferred.take(), None);
    }

    #[test]
    fn updates_of_distinct_rows_by_key_become_one_statement() {
        let mut deferred = Deferred::default();
        let update =
            "UPDATE contributions SET status = $2, attributed_batches = $3 WHERE address = $1";
        let row = |address: &str, batches: i64| {
            [
                Value::Text(address.into()),
                Value::Text("accepted".into()),
                Value::Int(batches),
            ]
        };
        deferred.keep(update, &row("a", 1)).unwrap();
        deferred.keep(update, &row("b", 2)).unwrap();
        // The same row again starts another statement (one update per
        // row), which alone is sent as written.
        deferred.keep(update, &row("a", 3)).unwrap();
        assert_eq!(
            deferred.take().unwrap(),
            "UPDATE contributions AS kept SET status = rows.status, attributed_batches = rows.attributed_batches \
             FROM (VALUES ('a', 'accepted', 1), ('b', 'accepted', 2)) AS rows (address, status, attributed_batches) \
             WHERE kept.address = rows.address;\n\
             UPDATE contributions SET status = 'accepted', attributed_batches = '3' WHERE address = 'a';\n"
        );
        assert!(KeyedUpdate::of(
            "UPDATE models SET batches = batches + 1, calls = $2 WHERE address = $1"
        )
        .is_none());
        assert!(KeyedUpdate::of(
            "UPDATE models SET entry_count = $2 WHERE address = $1 AND entry_count = $3"
        )
        .is_none());
    }

    #[test]
    fn inserts_into_logs_gather_at_the_end_whatever_comes_between() {
        let mut deferred = Deferred::default();
        let event = "INSERT INTO events (a) VALUES ($1)";
        let entry = "INSERT INTO contributions (a) VALUES ($1)";
        for number in 0..2 {
            deferred.keep(event, &[Value::Int(number)]).unwrap();
            deferred.keep(entry, &[Value::Int(number)]).unwrap();
            deferred
                .keep("UPDATE models SET a = $1", &[Value::Int(number)])
                .unwrap();
        }
        assert_eq!(
            deferred.take().unwrap(),
            "INSERT INTO contributions (a) VALUES ('0');\n\
             UPDATE models SET a = '0';\n\
             INSERT INTO contributions (a) VALUES ('1');\n\
             UPDATE models SET a = '1';\n\
             INSERT INTO events (a) VALUES ('0'), ('1');\n"
        );
    }
}
