pub mod propose_contribution;
pub mod set_payout_wallet;

pub use propose_contribution::*;
pub use set_payout_wallet::*;
