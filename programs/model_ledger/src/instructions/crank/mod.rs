pub mod settle_upstream;

pub use settle_upstream::*;
