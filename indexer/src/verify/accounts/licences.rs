//! Licences, grants and proposer permits against their accounts.

use model_ledger::state::{Grant, License, ProposerPermit};
use model_ledger_sdk::accounts::decode;
use solana_sdk::pubkey::Pubkey;

use super::{absent, first_difference, record, slot, unreadable, Checked};
use crate::{
    apply::{ai_json, key, terms_json},
    db::{amount, Sql, Value},
    verify::ChainAccounts,
};

pub(super) fn licenses(sql: &mut dyn Sql, chain: &ChainAccounts) -> Checked<usize> {
    let rows = sql.query(
        "SELECT address, model, version, payment_mint, terms, ai_terms, published_slot, retired_slot FROM licenses ORDER BY address",
        &[],
    )?;
    for row in &rows {
        let address = row.address("address")?;
        let subject = format!("licence {address}");
        let Some(account) = record(chain, &address) else {
            return Ok(Err(absent(address, &subject)));
        };
        let license: License = decode(&address, account).map_err(|e| unreadable(&address, e))?;
        let fields = vec![
            ("model", row.value("model")?.clone(), key(&license.model)),
            (
                "version",
                row.value("version")?.clone(),
                license.license_version.into(),
            ),
            (
                "payment mint",
                row.value("payment_mint")?.clone(),
                key(&license.payment_mint),
            ),
            (
                "terms",
                row.value("terms")?.clone(),
                terms_json(&license.terms).into(),
            ),
            (
                "AI terms",
                // NULL where the chain states none (a licence from before
                // AI terms), as the index keeps it.
                row.value("ai_terms")?.clone(),
                if license.ai == Default::default() {
                    Value::Null
                } else {
                    ai_json(&license.ai).into()
                },
            ),
            (
                "published slot",
                row.value("published_slot")?.clone(),
                slot(license.published_slot)?,
            ),
            (
                "retired slot",
                row.value("retired_slot")?.clone(),
                license
                    .retired_slot
                    .map(slot)
                    .transpose()?
                    .unwrap_or(Value::Null),
            ),
        ];
        stop_at!(first_difference(address, &subject, fields));
    }
    Ok(Ok(rows.len()))
}

pub(super) fn grants(sql: &mut dyn Sql, chain: &ChainAccounts) -> Checked<usize> {
    let rows = sql.query(
        "SELECT address, model, license, license_version, licensee, meter, price_per_call, call_limit, granted_at, expires_at, calls_used, next_seq, total_paid FROM grants ORDER BY address",
        &[],
    )?;
    for row in &rows {
        let address = row.address("address")?;
        let subject = format!("grant {address}");
        let Some(account) = record(chain, &address) else {
            return Ok(Err(absent(address, &subject)));
        };
        let grant: Grant = decode(&address, account).map_err(|e| unreadable(&address, e))?;
        let fields = vec![
            ("model", row.value("model")?.clone(), key(&grant.model)),
            (
                "licence",
                row.value("license")?.clone(),
                key(&grant.license),
            ),
            (
                "licence version",
                row.value("license_version")?.clone(),
                grant.license_version.into(),
            ),
            (
                "licensee",
                row.value("licensee")?.clone(),
                key(&grant.licensee),
            ),
            (
                "meter",
                row.value("meter")?.clone(),
                grant.meter.as_ref().map(Pubkey::to_string).into(),
            ),
            (
                "price per call",
                row.value("price_per_call")?.clone(),
                amount(grant.price_per_call),
            ),
            (
                "call limit",
                row.value("call_limit")?.clone(),
                amount(grant.call_limit),
            ),
            (
                "granted at",
                row.value("granted_at")?.clone(),
                Value::Int(grant.granted_at),
            ),
            (
                "expires at",
                row.value("expires_at")?.clone(),
                grant.expires_at.map_or(Value::Null, Value::Int),
            ),
            (
                "calls used",
                row.value("calls_used")?.clone(),
                amount(grant.calls_used),
            ),
            (
                "next batch",
                row.value("next_seq")?.clone(),
                slot(grant.next_seq)?,
            ),
            (
                "total paid",
                row.value("total_paid")?.clone(),
                amount(grant.total_paid),
            ),
        ];
        stop_at!(first_difference(address, &subject, fields));
    }
    Ok(Ok(rows.len()))
}

pub(super) fn permits(sql: &mut dyn Sql, chain: &ChainAccounts) -> Checked<usize> {
    let rows = sql.query(
        "SELECT address, model, wallet, allowed_slot FROM proposer_permits ORDER BY address",
        &[],
    )?;
    for row in &rows {
        let address = row.address("address")?;
        let subject = format!("proposer permit {address}");
        let Some(account) = record(chain, &address) else {
            return Ok(Err(absent(address, &subject)));
        };
        let permit: ProposerPermit =
            decode(&address, account).map_err(|e| unreadable(&address, e))?;
        let fields = vec![
            ("model", row.value("model")?.clone(), key(&permit.model)),
            ("wallet", row.value("wallet")?.clone(), key(&permit.wallet)),
            (
                "allowed slot",
                row.value("allowed_slot")?.clone(),
                slot(permit.allowed_slot)?,
            ),
        ];
        stop_at!(first_difference(address, &subject, fields));
    }
    Ok(Ok(rows.len()))
}
