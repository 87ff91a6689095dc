pub mod claim;
pub mod close_contribution;
pub mod propose_contribution;
pub mod set_payout_wallet;

pub use claim::*;
pub use close_contribution::*;
pub use propose_contribution::*;
pub use set_payout_wallet::*;
