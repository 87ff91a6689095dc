//! The contributed datasets: files and directories, each tagged with the
//! contribution index it belongs to, read in a fixed order.

use std::path::{Path, PathBuf};

use crate::AttributionError;

/// A file or directory of contribution `index` (`3=path/` on the command line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub contribution: u32,
    pub path: PathBuf,
}

impl std::str::FromStr for Source {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (index, path) = text
            .split_once('=')
            .ok_or_else(|| format!("{text:?}: write INDEX=PATH, e.g. 3=datasets/corpus/"))?;
        let contribution = index
            .trim()
            .parse()
            .map_err(|_| format!("{text:?}: {index:?} is not a contribution index"))?;
        if path.is_empty() {
            return Err(format!("{text:?}: no path after '='"));
        }
        Ok(Self {
            contribution,
            path: PathBuf::from(path),
        })
    }
}

/// One text document of the corpus.
#[derive(Clone, Debug)]
pub struct Document {
    pub contribution: u32,
    /// As given on the command line, joined with the path inside a directory.
    pub path: PathBuf,
    pub text: String,
}

/// Every file of `sources` with its contribution: by contribution index
/// (so each contribution's documents lie side by side in the index), then
/// in the order the sources were given, directories walked in byte order
/// of their names; the same sources always give the same documents in the
/// same order.
pub fn list_files(sources: &[Source]) -> Result<Vec<(u32, PathBuf)>, AttributionError> {
    let mut files = Vec::new();
    for source in sources {
        let mut found = Vec::new();
        collect_files(&source.path, &mut found)?;
        files.extend(found.into_iter().map(|path| (source.contribution, path)));
    }
    files.sort_by_key(|(contribution, _)| *contribution);
    Ok(files)
}

/// The text of one corpus file: `None` for an empty file (it contributes
/// nothing); a file that is not UTF-8 text is refused by name.
pub fn read_text(path: &Path) -> Result<Option<String>, AttributionError> {
    let bytes = std::fs::read(path).map_err(|error| AttributionError::Io {
        path: path.to_path_buf(),
        reason: error.to_string(),
    })?;
    if bytes.is_empty() {
        return Ok(None);
    }
    text_of(path, bytes).map(Some)
}

/// Every document of `sources`, in [`list_files`] order; an error if there
/// is no text at all.
pub fn read_documents(sources: &[Source]) -> Result<Vec<Document>, AttributionError> {
    let mut documents = Vec::new();
    for (contribution, path) in list_files(sources)? {
        if let Some(text) = read_text(&path)? {
            documents.push(Document {
                contribution,
                path,
                text,
            });
        }
    }
    if documents
        .iter()
        .all(|document| document.text.trim().is_empty())
    {
        return Err(empty_corpus(sources));
    }
    Ok(documents)
}

pub(crate) fn empty_corpus(sources: &[Source]) -> AttributionError {
    AttributionError::EmptyCorpus(sources.iter().map(|source| source.path.clone()).collect())
}

/// The UTF-8 text of a file, or why it is not text: a NUL byte (binary
/// formats have them, text never does) or invalid UTF-8.
fn text_of(path: &Path, bytes: Vec<u8>) -> Result<String, AttributionError> {
    if let Some(offset) = bytes.iter().position(|byte| *byte == 0) {
        return Err(AttributionError::NotText {
            path: path.to_path_buf(),
            reason: format!("a NUL byte at offset {offset}: a binary file"),
        });
    }
    String::from_utf8(bytes).map_err(|error| AttributionError::NotText {
        path: path.to_path_buf(),
        reason: format!(
            "not UTF-8 text (invalid byte at offset {})",
            error.utf8_error().valid_up_to()
        ),
    })
}

/// Regular files and directories only: a contributed dataset is input,
/// and a symbolic link in it could point at any file of the host (a key
/// file, tokenized into the index and decoded back out of it), a device or a
/// pipe could block the build. Each is refused by name, at any depth.
fn collect_files(path: &Path, files: &mut Vec<PathBuf>) -> Result<(), AttributionError> {
    let io = |error: std::io::Error| AttributionError::Io {
        path: path.to_path_buf(),
        reason: error.to_string(),
    };
    let metadata = std::fs::symlink_metadata(path).map_err(io)?;
    let kind = metadata.file_type();
    if kind.is_symlink() {
        return Err(AttributionError::NotRegularFile {
            path: path.to_path_buf(),
            kind: "a symbolic link",
        });
    }
    if kind.is_file() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    if !kind.is_dir() {
        return Err(AttributionError::NotRegularFile {
            path: path.to_path_buf(),
            kind: "a special file (a device, pipe or socket)",
        });
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(io)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    for entry in entries {
        collect_files(&entry, files)?;
    }
    Ok(())
}
