//! Rust SDK for the Model Ledger program: PDA finders, one builder per
//! instruction, typed account decoding, event decoding, named errors, and a
//! [`client::LedgerClient`] that runs the same calls against an RPC endpoint
//! or the in-process runtime.

pub mod accounts;
pub mod client;
pub mod error;
pub mod events;
pub mod instructions;
pub mod pda;

pub use error::SdkError;
pub use model_ledger;

/// The Model Ledger program id.
pub const PROGRAM_ID: solana_sdk::pubkey::Pubkey = model_ledger::ID;
