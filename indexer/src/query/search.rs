//! Finding things in the index: what a search box's text names, and the
//! contributions a wallet is paid by.

use serde::Serialize;
use solana_sdk::pubkey::Pubkey;

use crate::{
    db::{Sql, Value},
    IndexError,
};

/// Where a search leads.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Found {
    Model {
        address: String,
    },
    Contribution {
        model: String,
        index: u32,
    },
    Batch {
        grant: String,
        model: String,
    },
    Wallet {
        address: String,
    },
    /// Models whose name contains the text.
    Models {
        addresses: Vec<(String, String)>,
    },
    Nothing,
}

/// A model id (64 hex digits, or the text it was registered from), a name
/// or part of one, or an address (model, contribution, grant, wallet).
pub fn search(sql: &mut dyn Sql, text: &str) -> Result<Found, IndexError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Found::Nothing);
    }
    if text.parse::<Pubkey>().is_ok() {
        if sql
            .query_opt("SELECT 1 FROM models WHERE address = $1", &[text.into()])?
            .is_some()
        {
            return Ok(Found::Model {
                address: text.into(),
            });
        }
        if let Some(row) = sql.query_opt(
            "SELECT model, idx FROM contributions WHERE address = $1",
            &[text.into()],
        )? {
            return Ok(Found::Contribution {
                model: row.text("model")?.into(),
                index: row.small("idx")?,
            });
        }
        if let Some(row) = sql.query_opt(
            "SELECT model FROM grants WHERE address = $1",
            &[text.into()],
        )? {
            return Ok(Found::Batch {
                grant: text.into(),
                model: row.text("model")?.into(),
            });
        }
        let known = sql.query_opt(
            "SELECT 1 FROM contributions WHERE contributor = $1 OR payout_wallet = $1 UNION SELECT 1 FROM models WHERE authority = $1 UNION SELECT 1 FROM grants WHERE licensee = $1",
            &[text.into()],
        )?;
        if known.is_some() {
            return Ok(Found::Wallet {
                address: text.into(),
            });
        }
    }
    let model_id = model_id_hex(text);
    if let Some(row) = sql.query_opt(
        "SELECT address FROM models WHERE model_id = $1 ORDER BY position LIMIT 1",
        &[Value::Text(model_id)],
    )? {
        return Ok(Found::Model {
            address: row.text("address")?.into(),
        });
    }
    let pattern = format!(
        "%{}%",
        text.to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let rows = sql.query(
        "SELECT address, name FROM models WHERE name_lower LIKE $1 ESCAPE '\\' ORDER BY position LIMIT 50",
        &[pattern.into()],
    )?;
    let addresses: Vec<(String, String)> = rows
        .iter()
        .map(|row| {
            Ok((
                row.text("address")?.to_string(),
                row.text("name")?.to_string(),
            ))
        })
        .collect::<Result<_, IndexError>>()?;
    Ok(match addresses.len() {
        0 => Found::Nothing,
        1 => Found::Model {
            address: addresses[0].0.clone(),
        },
        _ => Found::Models { addresses },
    })
}

/// A model id as the index keeps it (hex), from what a person types: the
/// id's 64 hex digits, or the text it was registered from
/// ([`model_ledger_sdk::pda::model_id_from_text`]).
pub fn model_id_hex(text: &str) -> String {
    model_ledger_sdk::hex::encode(&model_ledger_sdk::pda::model_id_from_text(text))
}

/// The contributions `wallet` is paid by, as (model, index): what
/// `earnings` and `claim --all` visit instead of scanning the chain.
pub fn paying(sql: &mut dyn Sql, wallet: &str) -> Result<Vec<(Pubkey, u32)>, IndexError> {
    sql.query(
        "SELECT contributions.model, contributions.idx FROM contributions JOIN models ON models.address = contributions.model WHERE contributions.payout_wallet = $1 AND contributions.closed = 0 ORDER BY models.position, contributions.idx",
        &[wallet.into()],
    )?
    .iter()
    .map(|row| {
        Ok((
            row.address("model")?,
            row.small("idx")?,
        ))
    })
    .collect()
}
