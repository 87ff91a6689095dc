//! What a host runs, and what an audit reruns: the exact stage, and the
//! paraphrase stage when the host names its model.

use std::path::{Path, PathBuf};

use crate::{
    attribute::{Attribution, Attributor, Tuning},
    index::Index,
    paraphrase::{ParaphraseError, ParaphraseStage, ParaphraseTuning, Passages, SentenceEncoder},
    tokenizer::{Token, Tokenizer},
    AttributionError,
};

pub struct Engine {
    pub attributor: Attributor,
    pub paraphrase: Option<ParaphraseStage>,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Attribution(#[from] AttributionError),
    #[error(transparent)]
    Paraphrase(#[from] ParaphraseError),
}

impl Engine {
    /// The engine over the index in `dir`. With `paraphrase_model` (a
    /// directory holding all-MiniLM-L6-v2's files), the paraphrase stage
    /// too: its passages are read from [`Engine::passages_file`] when they
    /// were cut from this index by this model, else embedded (every
    /// sentence of the corpus, on `threads` threads) and saved there.
    pub fn open(
        dir: &Path,
        tokenizer: Tokenizer,
        paraphrase_model: Option<&Path>,
        threads: usize,
    ) -> Result<Self, EngineError> {
        let attributor = Attributor::new(Index::open(dir)?, tokenizer, Tuning::default())?;
        let paraphrase = match paraphrase_model {
            None => None,
            Some(model) => {
                let encoder = SentenceEncoder::load(model)?;
                let file = Self::passages_file(dir, &encoder);
                let passages = match Passages::open(&file, &attributor.index, &encoder.model_sha256)
                {
                    Ok(passages) => passages,
                    Err(_) => {
                        let passages = Passages::build(&attributor, &encoder, threads);
                        passages.save(&file)?;
                        passages
                    }
                };
                Some(ParaphraseStage {
                    encoder,
                    passages,
                    tuning: ParaphraseTuning::default(),
                })
            }
        };
        Ok(Self {
            attributor,
            paraphrase,
        })
    }

    /// Where an index keeps the passages a model cut from it.
    pub fn passages_file(dir: &Path, encoder: &SentenceEncoder) -> PathBuf {
        dir.join(format!(
            "paraphrase-{}.passages",
            &encoder.model_sha256[..16]
        ))
    }

    pub fn attribute(&self, output: &str) -> Attribution {
        self.attribute_tokens(&self.attributor.tokenizer.encode(output))
    }

    pub fn attribute_tokens(&self, tokens: &[Token]) -> Attribution {
        match &self.paraphrase {
            Some(stage) => stage.attribute_tokens(&self.attributor, tokens),
            None => self.attributor.attribute_tokens(tokens),
        }
    }

    /// The paraphrase model's SHA-256, to publish beside the index hash.
    pub fn paraphrase_model(&self) -> Option<&str> {
        self.paraphrase
            .as_ref()
            .map(|stage| stage.encoder.model_sha256.as_str())
    }
}
