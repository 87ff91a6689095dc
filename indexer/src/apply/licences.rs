//! A model's licences: each published version, and its retirement.

use model_ledger::{
    events::{LicensePublished, LicenseRetired},
    state::LicenseTerms,
};
use model_ledger_sdk::hex::{decode32, encode as hex};

use super::{key, money, At};
use crate::{
    db::{int, Sql},
    IndexError,
};

pub(super) fn published(
    sql: &mut dyn Sql,
    at: &At,
    e: &LicensePublished,
) -> Result<(), IndexError> {
    let mut book = money::book_of(sql, at, &e.model)?;
    if Some(u64::from(e.license_version)) != book.license_count.checked_add(1) {
        return Err(at.gap(format!(
            "licence version {} of model {} follows {} indexed versions",
            e.license_version, e.model, book.license_count
        )));
    }
    book.license_count = u64::from(e.license_version);
    money::store_book(at, &e.model, &book);
    sql.write(
        "INSERT INTO licenses (address, model, version, payment_mint, terms, published_slot, retired_slot) VALUES ($1, $2, $3, $4, $5, $6, NULL)",
        &[
            key(&e.license),
            key(&e.model),
            e.license_version.into(),
            key(&e.payment_mint),
            terms_json(&e.terms).into(),
            int(e.slot)?,
        ],
    )?;
    Ok(())
}

pub(super) fn retired(sql: &mut dyn Sql, at: &At, e: &LicenseRetired) -> Result<(), IndexError> {
    let changed = sql.execute(
        "UPDATE licenses SET retired_slot = $2 WHERE address = $1",
        &[key(&e.license), int(e.slot)?],
    )?;
    if changed == 0 {
        return Err(at.gap(format!("licence {} was never published", e.license)));
    }
    Ok(())
}

/// A licence's terms as the `terms` column keeps them (JSON; amounts as text).
pub(crate) fn terms_json(terms: &LicenseTerms) -> String {
    serde_json::json!({
        "price_per_call": terms.price_per_call.to_string(),
        "upfront_fee": terms.upfront_fee.to_string(),
        "commercial_use": terms.commercial_use,
        "derivatives_allowed": terms.derivatives_allowed,
        "attribution_required": terms.attribution_required,
        "transferable": terms.transferable,
        "derivative_royalty_bps": terms.derivative_royalty_bps,
        "call_limit": terms.call_limit.to_string(),
        "duration_seconds": terms.duration_seconds.to_string(),
        "terms_uri": terms.terms_uri,
        "terms_hash": hex(&terms.terms_hash),
    })
    .to_string()
}

/// The terms back from their JSON.
pub(crate) fn terms_from_json(text: &str) -> Result<LicenseTerms, IndexError> {
    let bad = || IndexError::Database(format!("licence terms that do not parse: {text}"));
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| bad())?;
    let number = |name: &str| -> Result<u64, IndexError> {
        value[name]
            .as_str()
            .and_then(|text| text.parse().ok())
            .ok_or_else(bad)
    };
    let flag = |name: &str| value[name].as_bool().ok_or_else(bad);
    let terms_hash = value["terms_hash"]
        .as_str()
        .and_then(|text| decode32(text).ok())
        .ok_or_else(bad)?;
    Ok(LicenseTerms {
        price_per_call: number("price_per_call")?,
        upfront_fee: number("upfront_fee")?,
        commercial_use: flag("commercial_use")?,
        derivatives_allowed: flag("derivatives_allowed")?,
        attribution_required: flag("attribution_required")?,
        transferable: flag("transferable")?,
        derivative_royalty_bps: value["derivative_royalty_bps"]
            .as_u64()
            .and_then(|bps| u16::try_from(bps).ok())
            .ok_or_else(bad)?,
        call_limit: number("call_limit")?,
        duration_seconds: number("duration_seconds")?,
        terms_uri: value["terms_uri"].as_str().ok_or_else(bad)?.to_string(),
        terms_hash,
    })
}
