//! Contributions: proposals, status changes, payout wallets, claims, closing.

use model_ledger::{
    events::{
        ContributionClosed, ContributionProposed, ContributionStatusChanged, PayoutWalletSet,
        RoyaltyClaimed,
    },
    math::royalty::EntryBalance,
    state::ContributionStatus,
};
use model_ledger_sdk::hex::encode as hex;

use super::{entries, key, money, record_claim, status_name, At, Claim};
use crate::{
    db::{amount, int, Sql},
    IndexError,
};

pub(super) fn proposed(
    sql: &mut dyn Sql,
    at: &At,
    e: &ContributionProposed,
) -> Result<(), IndexError> {
    let mut book = money::book_of(sql, at, &e.model)?;
    if u64::from(e.index) != book.contribution_count
        || u64::from(e.contribution_count) != u64::from(e.index) + 1
    {
        return Err(at.gap(format!(
            "contribution #{} of model {} follows {} indexed proposals",
            e.index, e.model, book.contribution_count
        )));
    }
    book.contribution_count = u64::from(e.contribution_count);
    // A book in step with its proposals grows by the new entry, paid by the
    // proposer (the program's `book::propose_contribution`).
    if book.entry_count == u64::from(e.index) {
        book.entry_count = u64::from(e.contribution_count);
    }
    money::store_book(at, &e.model, &book);
    let proposal = entries::Proposal {
        contributor: e.contributor.to_string(),
        kind: format!("{:?}", e.kind),
        content_hash: hex(&e.content_hash),
        uri: e.uri.clone(),
        proposed_slot: e.slot,
        closed: false,
    };
    let entry = entries::Entry {
        address: e.contribution,
        status: status_name(ContributionStatus::Proposed).to_string(),
        payout_wallet: e.contributor.to_string(),
        balance: EntryBalance::default(),
        claimed_total: 0,
        attributed_scaled: 0,
        attributed_batches: 0,
        shares: "0".into(),
    };
    at.books
        .borrow_mut()
        .earnings
        .change(sql, &e.model, None, entry.paying())?;
    entries::propose(at, &e.model, e.index, proposal, entry);
    Ok(())
}

pub(super) fn status_changed(
    sql: &mut dyn Sql,
    at: &At,
    e: &ContributionStatusChanged,
) -> Result<(), IndexError> {
    money::change_status(sql, at, e)?;
    if e.status == ContributionStatus::Accepted {
        // An acceptance grows the book to hold the entry (the program's
        // `Book::activate`), as `extend_royalty_book` does ahead of time.
        let mut book = money::book_of(sql, at, &e.model)?;
        book.entry_count = book.entry_count.max(u64::from(e.index) + 1);
        money::store_book(at, &e.model, &book);
    }
    let [position, slot, signature] = at.common()?;
    sql.write(
        "INSERT INTO contribution_status (model, idx, position, ordinal, previous_status, status, shares, slot, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            key(&e.model),
            e.index.into(),
            position,
            int(at.ordinal as u64)?,
            status_name(e.previous_status).into(),
            status_name(e.status).into(),
            amount(e.shares),
            slot,
            signature,
        ],
    )?;
    Ok(())
}

pub(super) fn payout_wallet_set(
    sql: &mut dyn Sql,
    at: &At,
    e: &PayoutWalletSet,
) -> Result<(), IndexError> {
    let entry = entries::entry_of(sql, at, &e.model, e.index)?;
    if entry.payout_wallet != e.previous_payout_wallet.to_string() {
        return Err(at.gap(format!(
            "contribution #{} of {} was paying {}, not {}",
            e.index, e.model, entry.payout_wallet, e.previous_payout_wallet
        )));
    }
    let contributor = entries::contributor_of(sql, at, (&e.model, e.index))?;
    crate::wallets::payout_moved(
        sql,
        &contributor,
        &entry.payout_wallet,
        &e.payout_wallet.to_string(),
    )?;
    let moved = entries::Entry {
        payout_wallet: e.payout_wallet.to_string(),
        ..entry.clone()
    };
    entries::store_entry(sql, at, (&e.model, e.index), &entry, &moved)
}

pub(super) fn claimed(sql: &mut dyn Sql, at: &At, e: &RoyaltyClaimed) -> Result<(), IndexError> {
    money::claim(sql, at, e)?;
    let claim = Claim {
        kind: "contribution",
        index: Some(e.index),
        wallet: &e.payout_wallet,
        destination: &e.destination,
    };
    record_claim(sql, at, &e.model, claim, e.amount)
}

pub(super) fn closed(sql: &mut dyn Sql, at: &At, e: &ContributionClosed) -> Result<(), IndexError> {
    entries::close(sql, at, (&e.model, e.index))
}
