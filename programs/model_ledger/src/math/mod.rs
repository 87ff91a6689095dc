//! Pure arithmetic with no Anchor types, so it can be unit- and property-tested
//! on its own. Every operation is checked; the caller turns [`MathError`] into
//! `LedgerError::MathOverflow`.
#![deny(clippy::arithmetic_side_effects)]

pub mod book_money;
pub mod bps;
pub mod entry_sum;
pub mod royalty;
pub mod safe;
pub mod wide;

#[cfg(test)]
mod proptests;

pub use safe::{MathError, SafeMath};
