//! A transaction's events as people and scripts read them: each event's
//! name, what it concerns, and any amount in tokens of the model's mint
//! (base units kept beside, as everywhere in the CLI's JSON).

use model_ledger_sdk::events::LedgerEvent;
use serde_json::{json, Map, Value};
use solana_sdk::pubkey::Pubkey;

use crate::{output::tokens, session::Session};

/// The model whose mint an event's amounts are in, when it has amounts.
fn paid_model(event: &LedgerEvent) -> Option<Pubkey> {
    Some(match event {
        LedgerEvent::GrantAcquired(e) => e.model,
        LedgerEvent::InferenceRecorded(e) => e.model,
        LedgerEvent::SurplusBooked(e) => e.model,
        LedgerEvent::ProtocolFeesCollected(e) => e.model,
        LedgerEvent::UpstreamSettled(e) => e.child,
        LedgerEvent::RoyaltyClaimed(e) => e.model,
        LedgerEvent::UnallocatedClaimed(e) => e.model,
        _ => return None,
    })
}

/// The event's fields that say what happened (amounts in base units, under
/// `amount`).
fn fields(event: &LedgerEvent) -> Value {
    match event {
        LedgerEvent::ConfigInitialized(e) => {
            json!({ "admin": e.admin.to_string(), "treasury": e.treasury.to_string(), "fee_bps": e.protocol_fee_bps })
        }
        LedgerEvent::ConfigUpdated(e) => {
            json!({ "admin": e.admin.to_string(), "treasury": e.treasury.to_string(), "fee_bps": e.protocol_fee_bps, "paused": e.paused })
        }
        LedgerEvent::ModelRegistered(e) => {
            json!({ "model": e.model.to_string(), "name": e.name, "parents": e.parents.len() })
        }
        LedgerEvent::ModelAuthorityTransferProposed(e) => json!({ "model": e.model.to_string() }),
        LedgerEvent::ModelAuthorityTransferred(e) => json!({ "model": e.model.to_string() }),
        LedgerEvent::ContributionProposed(e) => {
            json!({ "model": e.model.to_string(), "index": e.index, "contribution": e.contribution.to_string() })
        }
        LedgerEvent::ContributionStatusChanged(e) => json!({
            "model": e.model.to_string(),
            "index": e.index,
            "status": format!("{:?} -> {:?}", e.previous_status, e.status).to_lowercase(),
            "shares": e.shares,
        }),
        LedgerEvent::PayoutWalletSet(e) => {
            json!({ "model": e.model.to_string(), "index": e.index, "payout_wallet": e.payout_wallet.to_string() })
        }
        LedgerEvent::LicensePublished(e) => {
            json!({ "model": e.model.to_string(), "version": e.license_version })
        }
        LedgerEvent::LicensePublishedV2(e) => json!({
            "model": e.model.to_string(),
            "version": e.license_version,
            "ai": model_ledger_sdk::display::ai_summary(&e.ai),
        }),
        LedgerEvent::LicenseRetired(e) => {
            json!({ "model": e.model.to_string(), "version": e.license_version })
        }
        LedgerEvent::RoyaltyBookExtended(e) => {
            json!({ "model": e.model.to_string(), "entries": e.entry_count })
        }
        LedgerEvent::GrantAcquired(e) => json!({
            "model": e.model.to_string(),
            "grant": e.grant.to_string(),
            "version": e.license_version,
            "amount": e.payment.amount,
        }),
        LedgerEvent::MeterSet(e) => {
            json!({ "grant": e.grant.to_string(), "meter": e.meter.map(|meter| meter.to_string()) })
        }
        LedgerEvent::GrantRenewed(e) => {
            json!({ "grant": e.grant.to_string(), "amount": e.payment.amount })
        }
        LedgerEvent::GrantTransferred(e) => {
            json!({ "grant": e.grant.to_string(), "licensee": e.licensee.to_string() })
        }
        LedgerEvent::InferenceRecorded(e) => json!({
            "model": e.model.to_string(),
            "grant": e.grant.to_string(),
            "batch": e.seq,
            "calls": e.calls,
            "attributed_contributions": e.attribution.len(),
            "amount": e.payment.amount,
        }),
        LedgerEvent::ContributionClosed(e) => {
            json!({ "model": e.model.to_string(), "index": e.index, "rent_returned_lamports": e.rent_returned })
        }
        LedgerEvent::SurplusBooked(e) => {
            json!({ "model": e.model.to_string(), "amount": e.amount })
        }
        LedgerEvent::ProtocolFeesCollected(e) => {
            json!({ "model": e.model.to_string(), "amount": e.amount })
        }
        LedgerEvent::UpstreamSettled(e) => {
            json!({ "child": e.child.to_string(), "parent": e.parent.to_string(), "amount": e.amount })
        }
        LedgerEvent::RoyaltyClaimed(e) => json!({
            "model": e.model.to_string(),
            "index": e.index,
            "destination": e.destination.to_string(),
            "amount": e.amount,
        }),
        LedgerEvent::ProposalPolicySet(e) => json!({
            "model": e.model.to_string(),
            "policy": e.policy.name(),
        }),
        LedgerEvent::ProposerAllowed(e) => {
            json!({ "model": e.model.to_string(), "wallet": e.wallet.to_string() })
        }
        LedgerEvent::ProposerDisallowed(e) => {
            json!({ "model": e.model.to_string(), "wallet": e.wallet.to_string() })
        }
        LedgerEvent::UnallocatedClaimed(e) => json!({
            "model": e.model.to_string(),
            "destination": e.destination.to_string(),
            "amount": e.amount,
        }),
    }
}

/// Each of `events` as JSON (`name`, its fields, `amount_ui` in tokens
/// where it moved tokens), reading each paid model's decimals once.
pub async fn describe(session: &Session, events: &[LedgerEvent]) -> anyhow::Result<Vec<Value>> {
    let mut described = Vec::with_capacity(events.len());
    for event in events {
        let mut object = Map::new();
        object.insert("name".into(), event.name().into());
        if let Value::Object(fields) = fields(event) {
            object.extend(fields);
        }
        if let (Some(model), Some(amount)) = (
            paid_model(event),
            object.get("amount").and_then(Value::as_u64),
        ) {
            let decimals = session.model_decimals(&model).await?;
            object.insert("amount_ui".into(), tokens(amount, decimals).into());
        }
        described.push(Value::Object(object));
    }
    Ok(described)
}

/// One line per event: `Name (field value, …): amount tokens`.
pub fn text(described: &[Value]) -> String {
    described
        .iter()
        .map(|event| {
            let fields = event.as_object().cloned().unwrap_or_default();
            let details: Vec<String> = fields
                .iter()
                .filter(|(key, _)| !["name", "amount", "amount_ui"].contains(&key.as_str()))
                .map(|(key, value)| match value {
                    Value::String(text) => format!("{key} {text}"),
                    other => format!("{key} {other}"),
                })
                .collect();
            let amount = fields
                .get("amount_ui")
                .and_then(Value::as_str)
                .map(|amount| format!(": {amount} tokens"))
                .unwrap_or_default();
            format!(
                "{} ({}){amount}",
                fields
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
                details.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
