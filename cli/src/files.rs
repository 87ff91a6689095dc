//! Files the CLI writes for other runs and other tools to read.

use std::{io::Write, path::Path};

use anyhow::{Context, Result};

/// Replaces `path` with `bytes` whole, on disk before it returns: written
/// beside it, flushed, renamed into place, the rename flushed too. A reader
/// never sees half a file, and a power cut leaves the old one or the new.
pub fn replace_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::File::create(&temporary)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|dir| dir.sync_all())
            .with_context(|| format!("cannot flush {}", dir.display()))?;
    }
    Ok(())
}
