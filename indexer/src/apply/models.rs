//! Models: registration (with lineage), authority transfers, book growth.

use model_ledger::{
    events::{
        ModelAuthorityTransferProposed, ModelAuthorityTransferred, ModelRegistered,
        RoyaltyBookExtended,
    },
    math::royalty::MAX_PARENTS,
};
use model_ledger_sdk::hex::encode as hex;

use super::{key, money, At};
use crate::{
    db::{int, Sql},
    IndexError,
};

pub(super) fn registered(
    sql: &mut dyn Sql,
    at: &At,
    e: &ModelRegistered,
) -> Result<(), IndexError> {
    for parent in &e.parents {
        money::book_of(sql, at, &parent.model)?;
    }
    // The slot the program recorded, as for proposals and licences.
    let [position, _, signature] = at.common()?;
    let slot = int(e.slot)?;
    let zeros = money::amount_list([0u128; MAX_PARENTS]);
    sql.write(
        "INSERT INTO models (address, position, model_id, creator, authority, pending_authority, name, name_lower, metadata_uri, content_hash, payment_mint, payment_decimals, token_program, vault, royalty_book, attribution_bps, non_commercial_lineage, registered_slot, registered_signature, contribution_count, license_count, entry_count, accepted_count, total_shares, acc_per_share, shares_carry, owed_protocol, fee_carry, upstream_carry, unallocated, owed_upstream, payment_count, total_received, total_paid_out, batches, calls) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 0, 0, 0, 0, '0', '0', '0', '0', 0, $19, '0', $19, 0, '0', '0', 0, '0')",
        &[
            key(&e.model),
            position,
            hex(&e.model_id).into(),
            key(&e.creator),
            key(&e.authority),
            e.name.as_str().into(),
            e.name.to_lowercase().into(),
            e.metadata_uri.as_str().into(),
            hex(&e.content_hash).into(),
            key(&e.payment_mint),
            e.payment_decimals.into(),
            key(&e.token_program),
            key(&e.vault),
            key(&e.royalty_book),
            e.attribution_bps.into(),
            e.non_commercial_lineage.into(),
            slot,
            signature,
            zeros,
        ],
    )?;
    for (number, parent) in e.parents.iter().enumerate() {
        sql.write(
            "UPDATE models SET derived_count = derived_count + 1 WHERE address = $1",
            &[key(&parent.model)],
        )?;
        sql.write(
            "INSERT INTO lineage (child, parent_position, parent, license, grant_address, derivative_bps) VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                key(&e.model),
                int(number as u64)?,
                key(&parent.model),
                key(&parent.license),
                key(&parent.grant),
                parent.derivative_bps.into(),
            ],
        )?;
    }
    Ok(())
}

pub(super) fn transfer_proposed(
    sql: &mut dyn Sql,
    at: &At,
    e: &ModelAuthorityTransferProposed,
) -> Result<(), IndexError> {
    money::book_of(sql, at, &e.model)?;
    sql.write(
        "UPDATE models SET pending_authority = $2 WHERE address = $1",
        &[
            key(&e.model),
            e.pending_authority.map(|a| a.to_string()).into(),
        ],
    )?;
    Ok(())
}

pub(super) fn transferred(
    sql: &mut dyn Sql,
    at: &At,
    e: &ModelAuthorityTransferred,
) -> Result<(), IndexError> {
    money::book_of(sql, at, &e.model)?;
    sql.write(
        "UPDATE models SET authority = $2, pending_authority = NULL WHERE address = $1",
        &[key(&e.model), key(&e.new_authority)],
    )?;
    Ok(())
}

pub(super) fn book_extended(
    sql: &mut dyn Sql,
    at: &At,
    e: &RoyaltyBookExtended,
) -> Result<(), IndexError> {
    let mut book = money::book_of(sql, at, &e.model)?;
    book.entry_count = u64::from(e.entry_count);
    money::store_book(at, &e.model, &book);
    Ok(())
}
