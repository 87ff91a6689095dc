//! Index files into the attribution engine. A host may be handed an index
//! it did not build; its files are checked against the manifest's hashes,
//! so the interesting forgeries are the sealed ones: a changed file whose
//! hash is written into the manifest, and the manifest's content hash
//! recomputed. An input is `[file, seal, content…]`: file 0 is the manifest,
//! 1 to 3 shard 0's tokens, suffixes and counts, 4 the compressed tier's
//! shard file (of an index of the same corpus in that tier); with `seal`
//! odd the forgery is sealed. Invariants: opening and attributing never
//! panic; a refusal is named.

use std::path::{Path, PathBuf};

use model_ledger_attribution::{
    shard_file, Attributor, BuildOptions, Index, Manifest, ShardEntry, Source, Tier, Tokenizer,
    Tuning,
};
use sha2::{Digest, Sha256};

use crate::Target;

const KINDS: [&str; 4] = ["tokens", "suffixes", "counts", "compressed"];
/// The manifest, then one file per kind.
const FILES: usize = 1 + KINDS.len();

pub struct IndexFiles {
    dir: tempfile::TempDir,
    /// The suffix-array index, and the compressed one of the same corpus.
    pristine: PathBuf,
    manifest: Manifest,
    compressed: PathBuf,
    compressed_manifest: Manifest,
    tokenizer: Tokenizer,
    queries: Vec<String>,
    runs: u64,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn write_manifest(dir: &Path, manifest: &Manifest) {
    let sealed = serde_json::json!({
        "manifest": manifest,
        "content_hash": manifest.content_hash(),
    });
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&sealed).expect("JSON"),
    )
    .expect("write the manifest");
}

impl IndexFiles {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a directory");
        let words = [
            "river", "stone", "lantern", "orbit", "velvet", "harbor", "cinder", "meadow",
        ];
        let mut queries = Vec::new();
        let mut sources = Vec::new();
        for contribution in 0..3u32 {
            let folder = dir.path().join(format!("contribution-{contribution}"));
            std::fs::create_dir_all(&folder).expect("a folder");
            let text: Vec<&str> = (0..300)
                .map(|n| words[(n * (contribution as usize + 3) + n / 7) % words.len()])
                .collect();
            let text = text.join(" ");
            queries.push(
                text.split(' ')
                    .skip(40)
                    .take(30)
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            std::fs::write(folder.join("doc.txt"), &text).expect("a document");
            sources.push(Source {
                contribution,
                path: folder,
            });
        }
        queries.push("nothing of the corpus at all".into());
        let tokenizer = Tokenizer::gpt2().expect("GPT-2's tokenizer");
        let build = |name: &str, tier: Tier| {
            let out = dir.path().join(name);
            Index::build(
                &sources,
                &tokenizer,
                &out,
                BuildOptions {
                    shard_tokens: 1 << 20,
                    threads: 1,
                    tier,
                },
            )
            .expect("an index");
            let manifest = Index::open(&out).expect("it opens").manifest;
            (out, manifest)
        };
        let (pristine, manifest) = build("pristine", Tier::SuffixArray);
        let (compressed, compressed_manifest) = build("compressed", Tier::Compressed);
        Self {
            dir,
            pristine,
            manifest,
            compressed,
            compressed_manifest,
            tokenizer,
            queries,
            runs: 0,
        }
    }

    /// The pristine index that holds file `file`, and its manifest.
    fn index_of(&self, file: usize) -> (&Path, &Manifest) {
        match file {
            4 => (&self.compressed, &self.compressed_manifest),
            _ => (&self.pristine, &self.manifest),
        }
    }

    /// The pristine index's file `file` (0 the manifest).
    fn file(&self, file: usize) -> PathBuf {
        let (dir, manifest) = self.index_of(file);
        match file {
            0 => dir.join("index.json"),
            kind => shard_file(
                dir,
                0,
                hash_of(&manifest.shards[0], kind - 1),
                KINDS[kind - 1],
            ),
        }
    }
}

/// The hash a shard entry records for file kind `kind`.
fn hash_of(entry: &ShardEntry, kind: usize) -> &String {
    [
        &entry.tokens_sha256,
        &entry.suffixes_sha256,
        &entry.counts_sha256,
        &entry.compressed_sha256,
    ][kind]
}

impl Default for IndexFiles {
    fn default() -> Self {
        Self::new()
    }
}

impl Target for IndexFiles {
    fn name(&self) -> &'static str {
        "index_files"
    }

    fn seeds(&mut self) -> Vec<Vec<u8>> {
        (0..FILES)
            .flat_map(|file| {
                let bytes = std::fs::read(self.file(file)).expect("a pristine file");
                [0u8, 1].map(|seal| {
                    let mut input = vec![file as u8, seal];
                    input.extend_from_slice(&bytes);
                    input
                })
            })
            .collect()
    }

    fn run(&mut self, input: &[u8]) -> Result<String, String> {
        self.runs += 1;
        let [file, seal, content @ ..] = input else {
            return Ok("too short".into());
        };
        let file = usize::from(*file) % FILES;
        let sealed = seal % 2 == 1;
        let forged = self.dir.path().join(format!("forged-{}", self.runs % 2));
        let _ = std::fs::remove_dir_all(&forged);
        std::fs::create_dir_all(&forged).map_err(|error| error.to_string())?;
        let (pristine, pristine_manifest) = self.index_of(file);
        for entry in std::fs::read_dir(pristine).map_err(|error| error.to_string())? {
            let entry = entry.map_err(|error| error.to_string())?;
            std::fs::copy(entry.path(), forged.join(entry.file_name()))
                .map_err(|error| error.to_string())?;
        }
        if file == 0 {
            match (sealed, serde_json::from_slice::<Manifest>(content)) {
                (true, Ok(manifest)) => write_manifest(&forged, &manifest),
                _ => std::fs::write(forged.join("index.json"), content)
                    .map_err(|error| error.to_string())?,
            }
        } else {
            let kind = file - 1;
            let mut manifest = pristine_manifest.clone();
            let entry = &mut manifest.shards[0];
            let old = hash_of(entry, kind).clone();
            let _ = std::fs::remove_file(shard_file(&forged, 0, &old, KINDS[kind]));
            let sha = if sealed {
                hex(&Sha256::digest(content))
            } else {
                old
            };
            std::fs::write(shard_file(&forged, 0, &sha, KINDS[kind]), content)
                .map_err(|error| error.to_string())?;
            if sealed {
                *[
                    &mut entry.tokens_sha256,
                    &mut entry.suffixes_sha256,
                    &mut entry.counts_sha256,
                    &mut entry.compressed_sha256,
                ][kind] = sha;
                write_manifest(&forged, &manifest);
            }
        }
        let index = match Index::open(&forged) {
            Ok(index) => index,
            Err(error) => {
                let text = error.to_string();
                let cut: String = text
                    .split(':')
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .take(40)
                    .collect();
                return Ok(format!("refused: {cut}"));
            }
        };
        let attributor = match Attributor::new(index, self.tokenizer.clone(), Tuning::default()) {
            Ok(attributor) => attributor,
            Err(error) => {
                return Ok(format!(
                    "attributor refused: {}",
                    error.to_string().chars().take(30).collect::<String>()
                ))
            }
        };
        let mut found = 0;
        for query in &self.queries {
            found += attributor.attribute(query).spans.len();
        }
        Ok(format!("opened, {} spans", found.min(8)))
    }
}
