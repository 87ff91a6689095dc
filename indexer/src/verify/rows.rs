//! The index against a rebuild: the same chain history applied to an empty
//! database must give the same rows, every column of every table. What the
//! chain's accounts cannot show (a batch's Merkle root, a payment's split, a
//! status change long past, a row deleted or added by hand) is checked here.

use std::collections::BTreeMap;

use crate::{
    db::{Database, Sql, Value},
    IndexError,
};

use super::{shown, Difference};

/// A table's rows by primary key, each row's columns in the order read.
type Rows = BTreeMap<Vec<Value>, Vec<Value>>;

fn describe(columns: &[String], key_columns: &[usize], key: &[Value]) -> String {
    key_columns
        .iter()
        .zip(key)
        .map(|(column, value)| format!("{} = {}", columns[*column], shown(value)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn read(database: &mut Database, select: &str, key_columns: &[usize]) -> Result<Rows, IndexError> {
    let mut rows = Rows::new();
    for row in database.query(select, &[])? {
        let key = key_columns
            .iter()
            .map(|column| row.value(*column).cloned())
            .collect::<Result<_, _>>()?;
        rows.insert(key, row.values().to_vec());
    }
    Ok(rows)
}

/// Compares every table of `index` with `rebuilt` (the chain's history
/// applied afresh): `Ok(Ok(rows))`, the number of rows compared, when they
/// are the same; the first difference otherwise.
pub(super) fn compare(
    index: &mut Database,
    rebuilt: &mut Database,
) -> Result<Result<usize, Difference>, IndexError> {
    let differ = |what: String| {
        Ok(Err(Difference {
            account: None,
            what,
        }))
    };
    let tables = index.chain_tables()?;
    let rebuilt_tables = rebuilt.chain_tables()?;
    if tables != rebuilt_tables {
        return differ(format!(
            "the index has tables {tables:?}, a rebuild {rebuilt_tables:?}"
        ));
    }
    let mut compared = 0;
    for table in &tables {
        let described = index.columns(table)?;
        if described != rebuilt.columns(table)? {
            return differ(format!(
                "table {table}: its columns differ from a rebuild's"
            ));
        }
        let columns: Vec<String> = described.iter().map(|(name, _)| name.clone()).collect();
        let key_columns: Vec<usize> = described
            .iter()
            .enumerate()
            .filter(|(_, (_, in_key))| *in_key)
            .map(|(position, _)| position)
            .collect();
        let select = format!("SELECT {} FROM {table}", columns.join(", "));
        let ours = read(index, &select, &key_columns)?;
        let theirs = read(rebuilt, &select, &key_columns)?;
        for (key, expected) in &theirs {
            let Some(found) = ours.get(key) else {
                return differ(format!(
                    "table {table}: the row ({}) the chain's history makes is missing from the index",
                    describe(&columns, &key_columns, key)
                ));
            };
            if let Some(column) =
                (0..columns.len()).find(|&column| found[column] != expected[column])
            {
                return differ(format!(
                    "table {table}, row ({}): {} is {} in the index, {} from the chain's history",
                    describe(&columns, &key_columns, key),
                    columns[column],
                    shown(&found[column]),
                    shown(&expected[column])
                ));
            }
        }
        if let Some(key) = ours.keys().find(|key| !theirs.contains_key(*key)) {
            return differ(format!(
                "table {table}: the index holds a row ({}) the chain's history does not make",
                describe(&columns, &key_columns, key)
            ));
        }
        compared += theirs.len();
    }
    Ok(Ok(compared))
}
