pub mod initialize_config;
pub mod update_config;

pub use initialize_config::*;
pub use update_config::*;
