//! The fuzz targets, one per kind of hostile input.

mod events;
mod http;
mod index_files;
mod instructions;

pub use events::Events;
pub use http::Http;
pub use index_files::IndexFiles;
pub use instructions::Instructions;

use crate::Target;

/// The targets' names, in the order `all` runs them.
pub const NAMES: [&str; 4] = ["instructions", "events", "http", "index_files"];

/// The target called `name`, set up (a ledger, an index, a server's router).
pub fn by_name(name: &str) -> Option<Box<dyn Target>> {
    Some(match name {
        "instructions" => Box::new(Instructions::new()),
        "events" => Box::new(Events::new()),
        "http" => Box::new(Http::new()),
        "index_files" => Box::new(IndexFiles::new()),
        _ => return None,
    })
}
