//! `dump`: every account the program owns and every event of an embedded
//! ledger, as their bytes and as this SDK decodes them, so that another
//! client (the TypeScript one in `clients/js`, or anyone's) can check its
//! decoding against the program's own types value for value.

use anyhow::{bail, Context, Result};
use base64::Engine;
use clap::Args;
use model_ledger::state::{
    Config, Contribution, Grant, License, Model, ProposerPermit, RoyaltyBook,
};
use model_ledger_sdk::{accounts, events::LedgerEvent, PROGRAM_ID};
use serde_json::{json, Value};
use solana_sdk::{account::Account, pubkey::Pubkey};

use crate::{cluster::Cluster, embedded::SavedLedger, session::GlobalArgs};

#[derive(Args, Debug)]
pub struct DumpArgs {
    /// Leave out the events (the journal of a long demo is large)
    #[arg(long)]
    pub no_events: bool,
}

fn decoded<T: serde::Serialize>(value: &T) -> Result<Value> {
    Ok(model_ledger_sdk::portable::to_portable(value)?)
}

/// The account's type (by its discriminator) and its decoded fields; a
/// royalty book's entries follow its header.
fn decode(address: &Pubkey, account: &Account) -> Result<Option<(&'static str, Value)>> {
    use anchor_lang::Discriminator;
    let data = &account.data;
    let is = |discriminator: &[u8]| data.starts_with(discriminator);
    Ok(Some(if is(Config::DISCRIMINATOR) {
        (
            "Config",
            decoded(&accounts::decode::<Config>(address, account)?)?,
        )
    } else if is(Model::DISCRIMINATOR) {
        (
            "Model",
            decoded(&accounts::decode::<Model>(address, account)?)?,
        )
    } else if is(Contribution::DISCRIMINATOR) {
        let contribution = accounts::decode::<Contribution>(address, account)?;
        ("Contribution", decoded(&contribution)?)
    } else if is(License::DISCRIMINATOR) {
        (
            "License",
            decoded(&accounts::decode::<License>(address, account)?)?,
        )
    } else if is(Grant::DISCRIMINATOR) {
        (
            "Grant",
            decoded(&accounts::decode::<Grant>(address, account)?)?,
        )
    } else if is(ProposerPermit::DISCRIMINATOR) {
        let permit = accounts::decode::<ProposerPermit>(address, account)?;
        ("ProposerPermit", decoded(&permit)?)
    } else if is(RoyaltyBook::DISCRIMINATOR) {
        let book = accounts::decode_royalty_book(address, account)?;
        let mut entries = Vec::new();
        for index in 0..book.entry_count {
            let entry = accounts::decode_book_entry(address, account, index)?;
            // What the contribution could claim now, by the program's own
            // arithmetic: the figure a client's `claimable` must reproduce.
            let claimable = model_ledger_sdk::claims::claimable_in(address, account, index)?;
            let mut value = decoded(&entry)?;
            value["claimable"] = Value::String(claimable.to_string());
            entries.push(value);
        }
        let mut value = decoded(&book)?;
        value["entries"] = Value::Array(entries);
        ("RoyaltyBook", value)
    } else {
        return Ok(None);
    }))
}

pub fn execute(args: DumpArgs, global: &GlobalArgs) -> Result<()> {
    let Cluster::Embedded = crate::index::cluster(global)? else {
        bail!("`dump` reads an embedded ledger (--ledger DIR); a cluster's accounts are read with getProgramAccounts");
    };
    let dir = global.ledger_dir();
    let saved = SavedLedger::read(&dir)?;
    let base64 = base64::engine::general_purpose::STANDARD;
    let mut owned: Vec<(Pubkey, Account)> = saved
        .accounts()
        .into_iter()
        .filter(|(_, account)| account.owner == PROGRAM_ID)
        .collect();
    owned.sort_by_key(|(address, _)| address.to_string());
    let mut accounts_json = Vec::new();
    for (address, account) in &owned {
        let Some((kind, value)) =
            decode(address, account).with_context(|| format!("account {address}"))?
        else {
            continue;
        };
        accounts_json.push(json!({
            "address": address.to_string(),
            "type": kind,
            "data": base64.encode(&account.data),
            "decoded": value,
        }));
    }
    let mut transactions = Vec::new();
    if !args.no_events {
        for (entry, _) in saved.journal_from(0)? {
            let events = entry
                .events
                .iter()
                .map(|data| {
                    let event = LedgerEvent::decode_strict(data)
                        .map_err(anyhow::Error::from)
                        .and_then(|event| event.context("an entry that carries no event"))
                        .with_context(|| format!("an event of transaction {}", entry.signature))?;
                    Ok(json!({ "data": base64.encode(data), "decoded": decoded(&event)? }))
                })
                .collect::<Result<Vec<_>>>()?;
            if !events.is_empty() {
                transactions.push(json!({
                    "signature": entry.signature,
                    "slot": entry.slot.to_string(),
                    "events": events,
                }));
            }
        }
    }
    let document = json!({
        "program": PROGRAM_ID.to_string(),
        "cluster": saved.cluster(),
        "accounts": accounts_json,
        "transactions": transactions,
    });
    crate::output::emit(&serde_json::to_string_pretty(&document)?);
    Ok(())
}
