//! Seeds and limits. Seeds are defined here once; the SDK derives every PDA from
//! these constants so that a byte string is never typed twice.

use anchor_lang::prelude::*;

pub mod seeds {
    use super::*;

    #[constant]
    pub const CONFIG: &[u8] = b"config";
    #[constant]
    pub const MODEL: &[u8] = b"model";
    #[constant]
    pub const CONTRIBUTION: &[u8] = b"contribution";
    #[constant]
    pub const LICENSE: &[u8] = b"license";
    #[constant]
    pub const ROYALTY_BOOK: &[u8] = b"royalty_book";
    #[constant]
    pub const VAULT: &[u8] = b"vault";
    #[constant]
    pub const GRANT: &[u8] = b"grant";
}

// Limits are `usize` for `#[max_len]`; Anchor's IDL cannot carry `usize`
// constants, so they are documented here and in the account docs instead.

/// Upper bound of a model's parents; fixed so a `Model` never needs a realloc.
pub const MAX_PARENTS: usize = crate::math::royalty::MAX_PARENTS;

pub const MAX_NAME_LEN: usize = 64;

/// Long enough for an `ar://`, `ipfs://` or `https://` locator with a path.
pub const MAX_URI_LEN: usize = 200;

/// Layout version written into every account's first field, so that a later
/// program can tell old layouts apart without guessing from the size.
pub const ACCOUNT_VERSION: u8 = 1;

/// Anchor's account discriminator length.
pub const DISCRIMINATOR_LEN: usize = 8;

/// Licence versions start at 1 so that `0` can never be mistaken for a real version.
pub const FIRST_LICENSE_VERSION: u32 = 1;

/// Upper bound of one batch's attribution vector: 100 entries fit a
/// single-signer legacy transaction, and the bound keeps the loop finite.
#[constant]
pub const MAX_ATTRIBUTION_ENTRIES: u16 = 100;
