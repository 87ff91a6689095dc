//! Rust SDK for the Model Ledger program: PDA finders, one builder per
//! instruction, typed account decoding, event decoding, named errors, and a
//! [`client::LedgerClient`] that runs the same calls against an RPC endpoint
//! or the in-process runtime.
//!
//! ```no_run
//! use model_ledger_sdk::{
//!     client::{LedgerClient, RpcConnection},
//!     instructions::{ProposeContributionArgs, RegisterModelArgs},
//!     accounts::ContributionKind,
//! };
//! use solana_sdk::{pubkey::Pubkey, signature::Keypair};
//!
//! # async fn demo(mint: Pubkey) -> Result<(), model_ledger_sdk::SdkError> {
//! let authority = Keypair::new();
//! let client = LedgerClient::new(RpcConnection::new("http://127.0.0.1:8899"), authority.insecure_clone());
//! let (model, _) = client
//!     .register_model(&authority, &mint, RegisterModelArgs {
//!         model_id: [1; 32],
//!         name: "base-7b".into(),
//!         metadata_uri: "ipfs://base-7b".into(),
//!         content_hash: [2; 32],
//!         attribution_bps: 3_000,
//!     })
//!     .await?;
//! let contributor = Keypair::new();
//! let (index, _) = client
//!     .propose_contribution(&contributor, &model, ProposeContributionArgs {
//!         kind: ContributionKind::Dataset,
//!         content_hash: [3; 32],
//!         uri: "ar://corpus".into(),
//!     })
//!     .await?;
//! client.accept_contribution(&authority, &model, index, 100).await?;
//! let view = client.model_view(&model).await?;
//! assert_eq!(view.contributions.len(), 1);
//! # Ok(())
//! # }
//! ```

pub mod accounts;
pub mod claims;
/// The attribution engine ([`model_ledger_attribution`]): which contributed data an output used.
#[cfg(feature = "attribution")]
pub use model_ledger_attribution as attribution;
pub mod client;
pub mod compute_units;
pub mod connection;
pub mod display;
#[cfg(feature = "embedded")]
pub mod embedded;
pub mod error;
pub mod events;
pub mod hex;
pub mod instructions;
pub mod merkle;
pub mod meter;
pub mod pda;
pub mod portable;
pub mod provenance;
pub mod queries;
pub mod send;

pub use error::SdkError;
pub use model_ledger;

/// The Model Ledger program id.
pub const PROGRAM_ID: solana_sdk::pubkey::Pubkey = model_ledger::ID;
