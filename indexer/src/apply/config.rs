//! The protocol's configuration: created once, then each update numbered.

use model_ledger::events::{ConfigInitialized, ConfigUpdated};

use super::{key, At};
use crate::{
    db::{int, Sql},
    IndexError,
};

pub(super) fn initialized(
    sql: &mut dyn Sql,
    at: &At,
    e: &ConfigInitialized,
) -> Result<(), IndexError> {
    super::money::forget_fee(at);
    sql.write(
        "INSERT INTO config (address, admin, pending_admin, treasury, protocol_fee_bps, paused, update_count) VALUES ($1, $2, NULL, $3, $4, 0, 0)",
        &[key(&e.config), key(&e.admin), key(&e.treasury), e.protocol_fee_bps.into()],
    )?;
    Ok(())
}

pub(super) fn updated(sql: &mut dyn Sql, at: &At, e: &ConfigUpdated) -> Result<(), IndexError> {
    super::money::forget_fee(at);
    let stored = sql
        .query_opt(
            "SELECT update_count FROM config WHERE address = $1",
            &[key(&e.config)],
        )?
        .ok_or_else(|| at.gap("the configuration was never initialised".into()))?
        .u64("update_count")?;
    if Some(e.update_count) != stored.checked_add(1) {
        return Err(at.gap(format!(
            "configuration update {} follows update {stored}",
            e.update_count
        )));
    }
    sql.write(
        "UPDATE config SET admin = $2, pending_admin = $3, treasury = $4, protocol_fee_bps = $5, paused = $6, update_count = $7 WHERE address = $1",
        &[
            key(&e.config),
            key(&e.admin),
            e.pending_admin.map(|admin| admin.to_string()).into(),
            key(&e.treasury),
            e.protocol_fee_bps.into(),
            e.paused.into(),
            int(e.update_count)?,
        ],
    )?;
    Ok(())
}
