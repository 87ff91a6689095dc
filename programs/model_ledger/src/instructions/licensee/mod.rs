pub mod acquire_grant;
pub mod record_inference;
pub mod set_meter;

pub use acquire_grant::*;
pub use record_inference::*;
pub use set_meter::*;
