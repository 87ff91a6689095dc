//! Seeds and limits. Each seed string is defined here once. Each account type
//! lists its seeds in one function (`Model::seeds`, `Grant::seeds`, …) that
//! account creation, PDA signing and the SDK all use. The `seeds = [...]`
//! constraints spell the same lists literally, because Anchor's IDL records
//! a PDA that clients can derive only from a literal list; every integration
//! test derives its addresses through the functions, so the two cannot drift
//! apart unnoticed.

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
    #[constant]
    pub const PROPOSER: &[u8] = b"proposer";
}

// Index and version seeds are the counter's own bytes (`bytemuck::bytes_of`),
// so a constraint can borrow them without a temporary; they are the
// documented little-endian encoding on every target Solana runs on.
const _: () = assert!(cfg!(target_endian = "little"));

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
