pub mod claim;
pub mod propose_contribution;
pub mod set_payout_wallet;

pub use claim::*;
pub use propose_contribution::*;
pub use set_payout_wallet::*;
