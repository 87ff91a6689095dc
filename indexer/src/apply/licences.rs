//! A model's licences: each published version, and its retirement.

use model_ledger::{
    events::{LicensePublished, LicensePublishedV2, LicenseRetired},
    state::{AiTerms, AiUse, LicenseTerms},
};
use model_ledger_sdk::hex::{decode32, encode as hex};

use super::{key, money, At};
use crate::{
    db::{int, Sql, Value},
    IndexError,
};
use solana_sdk::pubkey::Pubkey;

/// A licence published before AI terms existed: it states none.
pub(super) fn published(
    sql: &mut dyn Sql,
    at: &At,
    e: &LicensePublished,
) -> Result<(), IndexError> {
    let published = Published {
        model: &e.model,
        license: &e.license,
        version: e.license_version,
        payment_mint: &e.payment_mint,
        terms: &e.terms,
        ai: None,
        slot: e.slot,
    };
    insert(sql, at, published)
}

/// A licence published with its AI terms.
pub(super) fn published_v2(
    sql: &mut dyn Sql,
    at: &At,
    e: &LicensePublishedV2,
) -> Result<(), IndexError> {
    let published = Published {
        model: &e.model,
        license: &e.license,
        version: e.license_version,
        payment_mint: &e.payment_mint,
        terms: &e.terms,
        ai: Some(&e.ai),
        slot: e.slot,
    };
    insert(sql, at, published)
}

struct Published<'a> {
    model: &'a Pubkey,
    license: &'a Pubkey,
    version: u32,
    payment_mint: &'a Pubkey,
    terms: &'a LicenseTerms,
    ai: Option<&'a AiTerms>,
    slot: u64,
}

fn insert(sql: &mut dyn Sql, at: &At, e: Published) -> Result<(), IndexError> {
    let mut book = money::book_of(sql, at, e.model)?;
    if Some(u64::from(e.version)) != book.license_count.checked_add(1) {
        return Err(at.gap(format!(
            "licence version {} of model {} follows {} indexed versions",
            e.version, e.model, book.license_count
        )));
    }
    book.license_count = u64::from(e.version);
    money::store_book(at, e.model, &book);
    sql.write(
        "INSERT INTO licenses (address, model, version, payment_mint, terms, ai_terms, published_slot, retired_slot) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
        &[
            key(e.license),
            key(e.model),
            e.version.into(),
            key(e.payment_mint),
            terms_json(e.terms).into(),
            e.ai.map_or(Value::Null, |ai| ai_json(ai).into()),
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

fn use_name(usage: AiUse) -> &'static str {
    match usage {
        AiUse::NotStated => "not_stated",
        AiUse::Allowed => "allowed",
        AiUse::Constrained => "constrained",
        AiUse::NotAllowed => "not_allowed",
    }
}

/// A licence's AI terms as the `ai_terms` column keeps them (JSON; the
/// restriction sets as decimal text, which JavaScript reads exactly).
pub(crate) fn ai_json(ai: &AiTerms) -> String {
    serde_json::json!({
        "data_mining": use_name(ai.data_mining),
        "ai_inference": use_name(ai.ai_inference),
        "ai_generative_training": use_name(ai.ai_generative_training),
        "ai_training": use_name(ai.ai_training),
        "restrictions": ai.restrictions.to_string(),
        "carried_restrictions": ai.carried_restrictions.to_string(),
    })
    .to_string()
}

/// The AI terms back from their JSON (`None`, the column's NULL: a licence
/// from before AI terms, which reads as nothing stated).
pub(crate) fn ai_from_json(text: Option<&str>) -> Result<AiTerms, IndexError> {
    let Some(text) = text else {
        return Ok(AiTerms::default());
    };
    let bad = || IndexError::Database(format!("AI terms that do not parse: {text}"));
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| bad())?;
    let usage = |name: &str| -> Result<AiUse, IndexError> {
        match value[name].as_str() {
            Some("not_stated") => Ok(AiUse::NotStated),
            Some("allowed") => Ok(AiUse::Allowed),
            Some("constrained") => Ok(AiUse::Constrained),
            Some("not_allowed") => Ok(AiUse::NotAllowed),
            _ => Err(bad()),
        }
    };
    let set = |name: &str| -> Result<u64, IndexError> {
        value[name]
            .as_str()
            .and_then(|text| text.parse().ok())
            .ok_or_else(bad)
    };
    Ok(AiTerms {
        data_mining: usage("data_mining")?,
        ai_inference: usage("ai_inference")?,
        ai_generative_training: usage("ai_generative_training")?,
        ai_training: usage("ai_training")?,
        restrictions: set("restrictions")?,
        carried_restrictions: set("carried_restrictions")?,
    })
}
