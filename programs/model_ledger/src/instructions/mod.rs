pub mod admin;
pub mod authority;
pub mod contributor;

pub use admin::*;
pub use authority::*;
pub use contributor::*;

use anchor_lang::prelude::*;

use crate::errors::LedgerError;

/// Every instruction's account list is fixed; anything extra is a client bug
/// or an attempt to smuggle accounts in, so it is refused.
pub fn reject_remaining_accounts(remaining: &[AccountInfo]) -> Result<()> {
    require!(
        remaining.is_empty(),
        LedgerError::UnexpectedRemainingAccounts
    );
    Ok(())
}
