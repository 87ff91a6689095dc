pub mod book_surplus;
pub mod collect_protocol_fees;
pub mod settle_upstream;

pub use book_surplus::*;
pub use collect_protocol_fees::*;
pub use settle_upstream::*;
