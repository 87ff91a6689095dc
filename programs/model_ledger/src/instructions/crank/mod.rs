pub mod collect_protocol_fees;
pub mod settle_upstream;

pub use collect_protocol_fees::*;
pub use settle_upstream::*;
