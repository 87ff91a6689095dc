pub mod admin;
pub mod authority;
pub mod contributor;
pub mod crank;
pub mod licensee;
pub mod money;

pub use admin::*;
pub use authority::*;
pub use contributor::*;
pub use crank::*;
pub use licensee::*;
pub use money::*;

use anchor_lang::prelude::*;

use crate::{errors::LedgerError, math::bps::sum_within_whole};

/// Every instruction's account list is fixed; anything extra is a client bug
/// or an attempt to smuggle accounts in, so it is refused.
pub fn reject_remaining_accounts(remaining: &[AccountInfo]) -> Result<()> {
    require!(
        remaining.is_empty(),
        LedgerError::UnexpectedRemainingAccounts
    );
    Ok(())
}

/// Refuses a first-hop payment, or a lineage, whose protocol fee plus parent
/// royalties exceed 100 % (a payment can meet that if the admin raised the
/// fee after the model registered).
pub fn require_fees_within_whole(
    fee_bps: u16,
    parent_bps: impl IntoIterator<Item = u16>,
) -> Result<()> {
    let parts = core::iter::once(fee_bps).chain(parent_bps);
    require!(
        sum_within_whole(parts)?.is_some(),
        LedgerError::FeesExceedWhole
    );
    Ok(())
}
