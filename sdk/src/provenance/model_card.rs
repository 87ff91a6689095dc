//! A Hugging Face model card for a [`Provenance`]: the YAML front matter
//! the Hub reads (`license`, `license_name`, `license_link`, `base_model`,
//! `base_model_relation`, `datasets`, `tags`) with the ledger's addresses
//! under `model_ledger`, then a short body in Markdown. Every scalar is
//! written as a JSON string, which YAML reads as the same double-quoted
//! string, so no name or URI the ledger holds can break the YAML.

use std::fmt::Write as _;

use model_ledger::state::ContributionKind;

use super::{credited, kind_name, live_licences, model_name, share_percent, Provenance};
use crate::{
    accounts::ModelView,
    display::{ai_summary, licence_summary, restriction_names},
    hex,
};

fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serialises")
}

/// How the Hub names a model's relation to its base models.
fn base_model_relation(view: &ModelView) -> &'static str {
    if view.model.parents.len() > 1 {
        "merge"
    } else if credited(view).any(|(_, c)| c.kind == ContributionKind::Adapter) {
        "adapter"
    } else {
        "finetune"
    }
}

/// How the card names a model: its metadata URI when it is one, else its
/// ledger address.
fn reference(view: &ModelView) -> String {
    if view.model.metadata_uri.is_empty() {
        format!("model-ledger:{}", view.address)
    } else {
        view.model.metadata_uri.clone()
    }
}

/// The model card: front matter and body.
pub fn front_matter(provenance: &Provenance) -> String {
    let subject = provenance.subject();
    let mut card = String::from("---\n");
    let licences: Vec<_> = live_licences(subject).collect();
    match licences.first() {
        Some((address, licence)) => {
            card.push_str("license: other\n");
            let _ = writeln!(
                card,
                "license_name: {}",
                quoted(&format!("model-ledger-{address}"))
            );
            let _ = writeln!(card, "license_link: {}", quoted(&licence.terms.terms_uri));
        }
        None => card.push_str("license: unknown\n"),
    }
    let parents: Vec<&ModelView> = subject
        .model
        .parents
        .iter()
        .filter_map(|link| provenance.model(&link.model))
        .collect();
    if !parents.is_empty() {
        card.push_str("base_model:\n");
        for parent in &parents {
            let _ = writeln!(card, "- {}", quoted(&reference(parent)));
        }
        let _ = writeln!(
            card,
            "base_model_relation: {}",
            base_model_relation(subject)
        );
    }
    let datasets: Vec<String> = provenance
        .models
        .iter()
        .flat_map(credited)
        .filter(|(_, c)| c.kind == ContributionKind::Dataset && !c.uri.is_empty())
        .map(|(_, c)| c.uri.clone())
        .collect();
    if !datasets.is_empty() {
        card.push_str("datasets:\n");
        for dataset in &datasets {
            let _ = writeln!(card, "- {}", quoted(dataset));
        }
    }
    card.push_str("tags:\n- model-ledger\n");
    card.push_str("model_ledger:\n");
    let _ = writeln!(card, "  cluster: {}", quoted(&provenance.cluster));
    let _ = writeln!(
        card,
        "  program: {}",
        quoted(&provenance.program.to_string())
    );
    let _ = writeln!(card, "  model: {}", quoted(&subject.address.to_string()));
    let _ = writeln!(
        card,
        "  content_sha256: {}",
        quoted(&hex::encode(&subject.model.content_hash))
    );
    if !licences.is_empty() {
        card.push_str("  licences:\n");
        for (address, licence) in &licences {
            let _ = writeln!(card, "  - address: {}", quoted(&address.to_string()));
            let _ = writeln!(card, "    version: {}", licence.license_version);
            let _ = writeln!(card, "    terms: {}", quoted(&licence.terms.terms_uri));
            let _ = writeln!(
                card,
                "    terms_sha256: {}",
                quoted(&hex::encode(&licence.terms.terms_hash))
            );
            let _ = writeln!(card, "    ai: {}", quoted(&ai_summary(&licence.ai)));
            for (key, set) in [
                ("restrictions", licence.ai.restrictions),
                ("carried_restrictions", licence.ai.carried_restrictions),
            ] {
                let names: Vec<String> = restriction_names(set)
                    .iter()
                    .map(|name| quoted(name))
                    .collect();
                let _ = writeln!(card, "    {key}: [{}]", names.join(", "));
            }
        }
    }
    if !parents.is_empty() {
        card.push_str("  parents:\n");
        for link in &subject.model.parents {
            let _ = writeln!(card, "  - model: {}", quoted(&link.model.to_string()));
            let _ = writeln!(card, "    licence: {}", quoted(&link.license.to_string()));
            let _ = writeln!(card, "    grant: {}", quoted(&link.grant.to_string()));
            let _ = writeln!(card, "    royalty_bps: {}", link.derivative_bps);
        }
    }
    let contributions: Vec<_> = credited(subject).collect();
    if !contributions.is_empty() {
        card.push_str("  contributions:\n");
        for (address, contribution) in &contributions {
            let _ = writeln!(card, "  - address: {}", quoted(&address.to_string()));
            let _ = writeln!(card, "    kind: {}", quoted(kind_name(contribution.kind)));
            let _ = writeln!(
                card,
                "    contributor: {}",
                quoted(&contribution.contributor.to_string())
            );
            let _ = writeln!(card, "    shares: {}", contribution.shares);
            let _ = writeln!(
                card,
                "    content_sha256: {}",
                quoted(&hex::encode(&contribution.content_hash))
            );
        }
    }
    card.push_str("---\n\n");
    body(provenance, &mut card);
    card
}

fn body(provenance: &Provenance, card: &mut String) {
    let subject = provenance.subject();
    // Markdown, not YAML: the name is text on a heading line.
    let name = model_name(&subject.model).replace(['\n', '\r'], " ");
    let _ = writeln!(card, "# {name}\n");
    let _ = writeln!(
        card,
        "Registered on Model Ledger ({} on {}) as `{}`.\n",
        provenance.program, provenance.cluster, subject.address
    );
    for (_, licence) in live_licences(subject) {
        let decimals = provenance.decimals_of(&licence.payment_mint);
        let _ = writeln!(
            card,
            "- Licence v{}: {}; AI: {}",
            licence.license_version,
            licence_summary(&licence.terms, decimals),
            ai_summary(&licence.ai)
        );
    }
    let contributions: Vec<_> = credited(subject).collect();
    if !contributions.is_empty() {
        let _ = writeln!(card, "\n## Contributions\n");
        for (_, contribution) in contributions {
            let _ = writeln!(
                card,
                "- #{} {} by `{}`: {} shares ({:.2} %)",
                contribution.index,
                kind_name(contribution.kind),
                contribution.contributor,
                contribution.shares,
                share_percent(subject, contribution)
            );
        }
    }
}
