//! Grants: acquisition, meters, renewals, transfers, and the batches
//! recorded under them. Every payment they carry is booked by [`money`].

use model_ledger::{
    events::{GrantAcquired, GrantRenewed, GrantTransferred, InferenceRecorded, MeterSet},
    math::book_money::add_to_total,
};
use model_ledger_sdk::hex::encode as hex;
use solana_sdk::pubkey::Pubkey;

use super::{key, money, At};
use crate::{
    db::{amount, int, Row, Sql, Value},
    IndexError,
};

/// The grant at `address`, or a gap if it was never acquired.
fn grant(sql: &mut dyn Sql, at: &At, address: &Pubkey) -> Result<Row, IndexError> {
    sql.query_opt(
        "SELECT model, licensee, meter, next_seq, total_paid FROM grants WHERE address = $1",
        &[key(address)],
    )?
    .ok_or_else(|| at.gap(format!("grant {address} was never acquired")))
}

pub(super) fn acquired(sql: &mut dyn Sql, at: &At, e: &GrantAcquired) -> Result<(), IndexError> {
    money::book_of(sql, at, &e.model)?;
    let [_, slot, signature] = at.common()?;
    sql.write(
        "INSERT INTO grants (address, model, license, license_version, licensee, meter, price_per_call, call_limit, granted_at, expires_at, calls_used, next_seq, total_paid, slot, signature) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $9, '0', 0, $10, $11, $12)",
        &[
            key(&e.grant),
            key(&e.model),
            key(&e.license),
            e.license_version.into(),
            key(&e.licensee),
            amount(e.price_per_call),
            amount(e.call_limit),
            Value::Int(e.granted_at),
            e.expires_at.map(Value::Int).unwrap_or(Value::Null),
            amount(e.payment.amount),
            slot,
            signature,
        ],
    )?;
    let paid = money::Paid {
        kind: "grant",
        source: e.grant.to_string(),
    };
    money::pay(sql, at, &e.model, paid, &e.payment, &[])
}

pub(super) fn meter_set(sql: &mut dyn Sql, at: &At, e: &MeterSet) -> Result<(), IndexError> {
    let indexed = grant(sql, at, &e.grant)?;
    if indexed.opt_text("meter")? != e.previous_meter.map(|m| m.to_string()).as_deref() {
        return Err(at.gap(format!("grant {}'s meter changed unseen", e.grant)));
    }
    sql.write(
        "UPDATE grants SET meter = $2 WHERE address = $1",
        &[key(&e.grant), e.meter.map(|m| m.to_string()).into()],
    )?;
    Ok(())
}

pub(super) fn renewed(sql: &mut dyn Sql, at: &At, e: &GrantRenewed) -> Result<(), IndexError> {
    let model = grant(sql, at, &e.grant)?.address("model")?;
    sql.write(
        // A renewal is a new term with a fresh call allowance.
        "UPDATE grants SET expires_at = $2, total_paid = $3, calls_used = '0' WHERE address = $1",
        &[
            key(&e.grant),
            e.expires_at.map(Value::Int).unwrap_or(Value::Null),
            amount(e.total_paid),
        ],
    )?;
    let paid = money::Paid {
        kind: "renewal",
        source: e.grant.to_string(),
    };
    money::pay(sql, at, &model, paid, &e.payment, &[])
}

pub(super) fn transferred(
    sql: &mut dyn Sql,
    at: &At,
    e: &GrantTransferred,
) -> Result<(), IndexError> {
    let indexed = grant(sql, at, &e.grant)?;
    if indexed.text("licensee")? != e.previous_licensee.to_string() {
        return Err(at.gap(format!("grant {} changed hands unseen", e.grant)));
    }
    sql.write(
        "UPDATE grants SET licensee = $2, meter = NULL WHERE address = $1",
        &[key(&e.grant), key(&e.licensee)],
    )?;
    Ok(())
}

pub(super) fn inference_recorded(
    sql: &mut dyn Sql,
    at: &At,
    e: &InferenceRecorded,
) -> Result<(), IndexError> {
    let indexed = grant(sql, at, &e.grant)?;
    let next = indexed.u64("next_seq")?;
    if e.seq != next {
        return Err(at.gap(format!(
            "batch {} of grant {} follows {next} indexed batches",
            e.seq, e.grant
        )));
    }
    // The grant keeps what its licensee paid in all: fees and batches.
    let total_paid = add_to_total(indexed.amount("total_paid")?, u128::from(e.payment.amount))
        .map_err(|_| at.gap(format!("grant {}'s total paid passes u128", e.grant)))?;
    sql.write(
        "UPDATE grants SET next_seq = $2, calls_used = $3, total_paid = $4 WHERE address = $1",
        &[
            key(&e.grant),
            int(e.seq + 1)?,
            amount(e.calls_used),
            amount(total_paid),
        ],
    )?;
    let [position, slot, signature] = at.common()?;
    let attribution: Vec<(u32, u16)> = e
        .attribution
        .iter()
        .map(|entry| (entry.index, entry.weight))
        .collect();
    sql.write(
        "INSERT INTO batches (grant_address, seq, model, position, recorder, calls, merkle_root, attribution, amount, payment_count, calls_used, slot, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        &[
            key(&e.grant),
            int(e.seq)?,
            key(&e.model),
            position,
            key(&e.recorder),
            amount(e.calls),
            hex(&e.merkle_root).into(),
            serde_json::to_string(&attribution).expect("a list of pairs serialises").into(),
            amount(e.payment.amount),
            int(e.payment.payment_count)?,
            amount(e.calls_used),
            slot,
            signature,
        ],
    )?;
    let metered = sql
        .query_one(
            "SELECT calls FROM models WHERE address = $1",
            &[key(&e.model)],
        )?
        .amount("calls")?;
    let calls = metered
        .checked_add(u128::from(e.calls))
        .ok_or_else(|| at.gap(format!("model {}'s calls pass u128", e.model)))?;
    sql.write(
        "UPDATE models SET batches = batches + 1, calls = $2 WHERE address = $1",
        &[key(&e.model), amount(calls)],
    )?;
    let paid = money::Paid {
        kind: "inference",
        source: e.grant.to_string(),
    };
    money::pay(sql, at, &e.model, paid, &e.payment, &attribution)
}
