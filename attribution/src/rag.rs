//! Retrieval-augmented generation: a call names the documents it retrieved
//! (and optionally their scores); each retrieved document's contribution is
//! paid, by score.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::{index::Index, AttributionError};

/// One retrieved document: its id (its path in the index) and score.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Retrieved {
    Id(String),
    Scored { id: String, score: Option<f64> },
}

impl Retrieved {
    fn id(&self) -> &str {
        match self {
            Retrieved::Id(id) | Retrieved::Scored { id, .. } => id,
        }
    }

    /// Weight in thousandths of a score point (1 000 without a score):
    /// integers, so the same scores always give the same weights.
    fn weight(&self) -> u32 {
        match self {
            Retrieved::Scored {
                score: Some(score), ..
            } if score.is_finite() && *score > 0.0 => ((score * 1_000.0).round() as u32).max(1),
            Retrieved::Scored { score: Some(_), .. } => 0,
            _ => 1_000,
        }
    }
}

/// Weights per contribution of the documents a call retrieved; an id the
/// index does not hold is an error, never a silent zero.
pub fn attribute_retrieved(
    index: &Index,
    retrieved: &[Retrieved],
) -> Result<Vec<(u32, u32)>, AttributionError> {
    let mut weights: BTreeMap<u32, u32> = BTreeMap::new();
    for document in retrieved {
        let id = document.id();
        let entry = index
            .document_by_path(id)
            .ok_or_else(|| AttributionError::UnknownDocument(id.to_string()))?;
        let weight = document.weight();
        if weight > 0 {
            *weights.entry(entry.contribution).or_default() += weight;
        }
    }
    Ok(weights.into_iter().collect())
}

/// The weights a call records for the documents it retrieved, as the
/// program takes them (u16): each contribution's clamped to 65 535.
pub fn retrieved_meter_weights(
    index: &Index,
    retrieved: &[Retrieved],
) -> Result<Vec<(u32, u16)>, AttributionError> {
    Ok(attribute_retrieved(index, retrieved)?
        .into_iter()
        .map(|(contribution, weight)| (contribution, weight.min(u32::from(u16::MAX)) as u16))
        .collect())
}
