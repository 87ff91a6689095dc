//! Writes a PostgreSQL transaction does not need answered right away, sent
//! together. Each statement the indexer runs is one loopback round trip, and
//! most of what it runs are writes whose result it never reads (an event's
//! row, a payment's, a contribution's new balance). Those
//! ([`crate::db::Sql::write`]) are rendered with their parameters as SQL
//! literals and kept; consecutive inserts of the same shape become one
//! multi-row insert, and rows for tables only ever appended to (the event
//! log, status history, payments…) gather per table and go by `COPY`, which
//! the server neither parses nor plans row by row (parsing, analysing and
//! planning the literal inserts was a third of its time). Everything kept
//! is sent ([`Flush`]: one script by the simple query protocol, one round
//! trip, then one `COPY` per table) before the next statement that reads,
//! or that must say how many rows it changed, and before the transaction
//! commits. A write that fails therefore fails there, inside the same
//! database transaction, which then writes nothing.

use std::fmt::Write as _;

use crate::{db::Value, IndexError};

/// Scripts are sent once they reach this size, whatever comes next.
const SCRIPT_LIMIT: usize = 1 << 20;

/// Tables no later write of the same flush touches once a row is inserted,
/// whose inserts (every value a parameter) therefore gather, one `COPY` per
/// statement shape, sent after the script: the logs, only ever appended to
/// while transactions are applied, and `contributions`, whose rows are
/// inserted at a batch's end ([`crate::apply`]'s entries, written once per
/// batch) and changed only by later batches.
const COPIED: [&str; 8] = [
    "events",
    "transactions",
    "contribution_status",
    "payments",
    "batches",
    "claims",
    "settlements",
    "contributions",
];

/// The writes kept for the transaction's next round trip.
#[derive(Default)]
pub(crate) struct Deferred {
    script: String,
    /// The statement the script ends with, still open for more rows.
    open: Option<Open>,
    /// Rows for [`COPIED`] tables, by statement, in the order first kept.
    logs: Vec<Copy>,
}

/// Rows for one table, in `COPY`'s text format.
pub(crate) struct Copy {
    /// The insert they came from.
    insert: String,
    /// `COPY table (columns) FROM STDIN`.
    pub statement: String,
    pub data: String,
}

impl Copy {
    fn table(&self) -> &str {
        let rest = &self.statement["COPY ".len()..];
        &rest[..rest.find(' ').unwrap_or(rest.len())]
    }
}

/// Whether `statement` mentions `table` as a whole word (conservative: a
/// column or alias of that name counts too).
fn names_table(statement: &str, table: &str) -> bool {
    let is_word = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_';
    statement.match_indices(table).any(|(at, _)| {
        let before = statement.as_bytes()[..at].last().copied();
        let after = statement.as_bytes().get(at + table.len()).copied();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

/// What is sent at once: the script, then each table's rows.
pub(crate) struct Flush {
    pub script: String,
    pub copies: Vec<Copy>,
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
    ) -> Result<Option<Flush>, IndexError> {
        if let Some(statement) = copy_statement(sql) {
            let at = match self.logs.iter().position(|kept| kept.insert == sql) {
                Some(at) => at,
                None => {
                    self.logs.push(Copy {
                        insert: sql.to_string(),
                        statement,
                        data: String::new(),
                    });
                    self.logs.len() - 1
                }
            };
            copy_row(sql, params, &mut self.logs[at].data)?;
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
            self.script.len() + open + self.logs.iter().map(|copy| copy.data.len()).sum::<usize>();
        Ok((kept >= SCRIPT_LIMIT).then(|| self.take()).flatten())
    }

    /// Everything kept (`None`: nothing).
    pub(crate) fn take(&mut self) -> Option<Flush> {
        self.take_before("")
    }

    /// What must reach the server before `statement` runs (`None`:
    /// nothing): the whole script, and the rows kept for `COPY` when
    /// `statement` names one of their tables. Rows nothing reads can wait
    /// for the commit, where they go in one `COPY` a table instead of one
    /// per read (two round trips each).
    pub(crate) fn take_before(&mut self, statement: &str) -> Option<Flush> {
        self.close();
        let reads_copied = statement.is_empty()
            || self
                .logs
                .iter()
                .any(|copy| names_table(statement, copy.table()));
        let flush = Flush {
            script: std::mem::take(&mut self.script),
            copies: if reads_copied {
                std::mem::take(&mut self.logs)
            } else {
                Vec::new()
            },
        };
        (!flush.script.is_empty() || !flush.copies.is_empty()).then_some(flush)
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

/// `COPY table (columns) FROM STDIN` for an insert into one of the
/// [`COPIED`] whose values are its parameters in order (`$1, $2, …`).
fn copy_statement(sql: &str) -> Option<String> {
    let (values_at, tuple) = insert_rows(sql)?;
    let head = sql[..values_at].strip_prefix("INSERT INTO ")?;
    let (table, columns) = head.trim_end().strip_suffix(" VALUES")?.split_once(' ')?;
    let in_order = tuple
        .strip_prefix('(')?
        .strip_suffix(')')?
        .split(", ")
        .enumerate()
        .all(|(at, value)| value.strip_prefix('$') == Some(&(at + 1).to_string()));
    (COPIED.contains(&table) && in_order && columns.starts_with('('))
        .then(|| format!("COPY {table} {columns} FROM STDIN"))
}

/// One row of `params` in `COPY`'s text format: tab-separated, `\N` for
/// null, backslash escapes for what would end a field or a row.
fn copy_row(sql: &str, params: &[Value], out: &mut String) -> Result<(), IndexError> {
    let columns = insert_rows(sql)
        .map(|(_, tuple)| tuple.matches('$').count())
        .unwrap_or(0);
    if params.len() != columns {
        return Err(IndexError::Database(format!(
            "{} parameters for {columns} columns: {sql}",
            params.len()
        )));
    }
    for (at, value) in params.iter().enumerate() {
        if at > 0 {
            out.push('\t');
        }
        match value {
            Value::Null => out.push_str("\\N"),
            Value::Int(number) => {
                let _ = write!(out, "{number}");
            }
            Value::Text(text) => {
                for character in text.chars() {
                    match character {
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        // As a literal writes it: no text column holds U+0000.
                        '\0' => out.push('\u{FFFD}'),
                        other => out.push(other),
                    }
                }
            }
        }
    }
    out.push('\n');
    Ok(())
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
            assert!(deferred
                .keep(insert, &[Value::Int(number)])
                .unwrap()
                .is_none());
        }
        deferred
            .keep("UPDATE u SET a = $1", &[Value::Int(9)])
            .unwrap();
        deferred.keep(insert, &[Value::Int(3)]).unwrap();
        let upsert = "INSERT INTO t (a, b) VALUES ($1, 'x') ON CONFLICT (a) DO UPDATE SET b = 'y'";
        deferred.keep(upsert, &[Value::Int(4)]).unwrap();
        deferred.keep(upsert, &[Value::Int(4)]).unwrap();
        assert_eq!(
            deferred.take().unwrap().script,
            "INSERT INTO t (a, b) VALUES ('0', 'x'), ('1', 'x'), ('2', 'x');\n\
             UPDATE u SET a = '9';\n\
             INSERT INTO t (a, b) VALUES ('3', 'x');\n\
             INSERT INTO t (a, b) VALUES ('4', 'x') ON CONFLICT (a) DO UPDATE SET b = 'y';\n\
             INSERT INTO t (a, b) VALUES ('4', 'x') ON CONFLICT (a) DO UPDATE SET b = 'y';\n"
        );
        assert!(deferred.take().is_none());
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
            deferred.take().unwrap().script,
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
    fn rows_for_logs_gather_per_table_and_go_by_copy_after_the_script() {
        let mut deferred = Deferred::default();
        let event = "INSERT INTO events (a, b) VALUES ($1, $2)";
        let entry = "INSERT INTO models (a) VALUES ($1)";
        for number in 0..2 {
            deferred
                .keep(
                    event,
                    &[Value::Int(number), Value::Text("tab\there\\N\nnext".into())],
                )
                .unwrap();
            deferred.keep(entry, &[Value::Int(number)]).unwrap();
            deferred
                .keep("UPDATE models SET a = $1", &[Value::Int(number)])
                .unwrap();
        }
        deferred.keep(event, &[Value::Int(2), Value::Null]).unwrap();
        let flush = deferred.take().unwrap();
        assert_eq!(
            flush.script,
            "INSERT INTO models (a) VALUES ('0');\n\
             UPDATE models SET a = '0';\n\
             INSERT INTO models (a) VALUES ('1');\n\
             UPDATE models SET a = '1';\n"
        );
        let [copy] = &flush.copies[..] else {
            panic!("one table's rows")
        };
        assert_eq!(copy.statement, "COPY events (a, b) FROM STDIN");
        assert_eq!(
            copy.data,
            "0\ttab\\there\\\\N\\nnext\n1\ttab\\there\\\\N\\nnext\n2\t\\N\n"
        );
        // Values that are not the parameters in order stay an insert.
        assert_eq!(
            copy_statement("INSERT INTO events (a, b) VALUES ($2, $1)"),
            None
        );
        assert_eq!(
            copy_statement("INSERT INTO events (a, b) VALUES ($1, 'x')"),
            None
        );
        assert!(deferred.take().is_none());
    }

    #[test]
    fn copied_rows_wait_for_a_statement_that_names_their_table() {
        let mut deferred = Deferred::default();
        let event = "INSERT INTO events (a) VALUES ($1)";
        deferred.keep(event, &[Value::Int(1)]).unwrap();
        deferred
            .keep("UPDATE models SET a = $1", &[Value::Int(2)])
            .unwrap();
        let before_read = deferred
            .take_before("SELECT * FROM models WHERE events_seen = 1")
            .unwrap();
        assert_eq!(before_read.script, "UPDATE models SET a = '2';\n");
        assert!(before_read.copies.is_empty());
        assert!(deferred
            .take_before("SELECT * FROM models WHERE a = 1")
            .is_none());
        let before_log_read = deferred.take_before("SELECT COUNT(*) FROM events").unwrap();
        assert_eq!(before_log_read.script, "");
        assert_eq!(before_log_read.copies[0].data, "1\n");
        deferred.keep(event, &[Value::Int(3)]).unwrap();
        assert_eq!(deferred.take().unwrap().copies[0].data, "3\n");
    }
}
