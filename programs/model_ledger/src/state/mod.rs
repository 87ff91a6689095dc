pub mod ai_terms;
pub mod attribution_wire;
pub mod config;
pub mod contribution;
pub mod grant;
pub mod license;
pub mod model;
pub mod model_terms;
pub mod proposals;
pub mod royalty_book;
pub mod text;

pub use ai_terms::{AiTerms, AiUse};
pub use config::*;
pub use contribution::*;
pub use grant::*;
pub use license::*;
pub use model::*;
pub use model_terms::ModelTerms;
pub use proposals::*;
pub use royalty_book::*;

/// An all-zero 32-byte value never identifies content; it is what a client
/// sends when it forgot to hash.
pub fn is_zero_hash(hash: &[u8; 32]) -> bool {
    hash.iter().all(|byte| *byte == 0)
}
