pub mod accept_admin;
pub mod initialize_config;
pub mod update_config;

pub use accept_admin::*;
pub use initialize_config::*;
pub use update_config::*;
