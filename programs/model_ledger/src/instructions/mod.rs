pub mod admin;
pub mod authority;
pub mod contributor;
pub mod crank;
pub mod licensee;
pub mod payment;

pub use admin::*;
pub use authority::*;
pub use contributor::*;
pub use crank::*;
pub use licensee::*;

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
