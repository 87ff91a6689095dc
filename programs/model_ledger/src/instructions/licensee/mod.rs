pub mod acquire_grant;
pub mod record_inference;
pub mod renew_grant;
pub mod set_meter;
pub mod transfer_grant;

pub use acquire_grant::*;
pub use record_inference::*;
pub use renew_grant::*;
pub use set_meter::*;
pub use transfer_grant::*;
