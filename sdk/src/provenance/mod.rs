//! A model's provenance as the ledger holds it (the model, its ancestors
//! through every derivation, their accepted contributions and licences),
//! in formats other tools read: an SPDX 3.0.1 JSON-LD document
//! ([`spdx::document`]) and the YAML front matter of a Hugging Face model
//! card ([`model_card::front_matter`]). Both are pure functions of a
//! [`Provenance`], which the CLI reads from the chain
//! ([`crate::client::LedgerClient::provenance`]) and the explorer could
//! read from its index: one description, whatever the source.

pub mod model_card;
pub mod spdx;

use model_ledger::state::{
    Contribution, ContributionKind, ContributionStatus, License, Model, ParentLink,
};
use solana_sdk::pubkey::Pubkey;

use crate::accounts::ModelView;

/// What an export describes.
pub struct Provenance {
    /// Where the ledger lives (`embedded`, `devnet`, an RPC URL…): part of
    /// every identifier, so two clusters' documents never share one.
    pub cluster: String,
    pub program: Pubkey,
    /// The model exported, first, then every ancestor once, nearest first.
    pub models: Vec<ModelView>,
    /// Payment mints' decimals, for amounts in licence terms.
    pub decimals: Vec<(Pubkey, u8)>,
}

impl Provenance {
    pub fn subject(&self) -> &ModelView {
        &self.models[0]
    }

    /// Every derivation among the models: (child, link to its parent).
    pub fn derivations(&self) -> impl Iterator<Item = (&ModelView, &ParentLink)> {
        self.models
            .iter()
            .flat_map(|child| child.model.parents.iter().map(move |link| (child, link)))
    }

    pub fn model(&self, address: &Pubkey) -> Option<&ModelView> {
        self.models.iter().find(|view| view.address == *address)
    }

    fn decimals_of(&self, mint: &Pubkey) -> u8 {
        self.decimals
            .iter()
            .find(|(known, _)| known == mint)
            .map_or(0, |(_, decimals)| *decimals)
    }
}

/// The contributions a model credits: those accepted and not revoked.
pub fn credited(view: &ModelView) -> impl Iterator<Item = &(Pubkey, Contribution)> {
    view.contributions
        .iter()
        .filter(|(_, contribution)| contribution.status == ContributionStatus::Accepted)
}

/// A model's licences that still sell grants.
pub fn live_licences(view: &ModelView) -> impl Iterator<Item = &(Pubkey, License)> {
    view.licenses
        .iter()
        .filter(|(_, licence)| !licence.is_retired())
}

/// A contribution's share of its model's accepted shares, in percent.
fn share_percent(view: &ModelView, contribution: &Contribution) -> f64 {
    let total: u128 = credited(view).map(|(_, c)| u128::from(c.shares)).sum();
    if total == 0 {
        return 0.0;
    }
    contribution.shares as f64 * 100.0 / total as f64
}

/// How a kind of contribution reads in prose.
pub fn kind_name(kind: ContributionKind) -> &'static str {
    match kind {
        ContributionKind::BaseModel => "base model",
        ContributionKind::Dataset => "dataset",
        ContributionKind::FineTune => "fine-tune",
        ContributionKind::Adapter => "adapter",
        ContributionKind::Evaluation => "evaluation",
        ContributionKind::Code => "code",
        ContributionKind::Other => "other",
    }
}

/// `text` with every character but ASCII letters, digits, `.`, `-` and
/// `_` made `-`: safe in a URN and in a file name.
pub fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `model`'s name, as the document shows it.
fn model_name(model: &Model) -> &str {
    &model.name
}

/// `time` as SPDX's `dateTime`: `YYYY-MM-DDThh:mm:ssZ` (UTC, whole seconds).
pub fn spdx_time(time: std::time::SystemTime) -> String {
    let seconds = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let (days, second_of_day) = (seconds / 86_400, seconds % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3_600,
        second_of_day % 3_600 / 60,
        second_of_day % 60
    )
}

/// How a document names the chain: its CAIP-2 id (`solana:` and the first
/// 32 characters of its genesis hash), or `embedded` for an embedded ledger.
pub fn chain_label(genesis_hash: Option<&str>) -> String {
    match genesis_hash {
        Some(hash) => format!("solana:{}", &hash[..hash.len().min(32)]),
        None => "embedded".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spdx_times_are_utc_calendar_dates() {
        let at = |seconds: u64| {
            spdx_time(std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds))
        };
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_796_558_399), "2026-12-06T11:59:59Z");
        assert_eq!(at(4_107_542_400), "2100-03-01T00:00:00Z");
    }
}
