//! The SPDX 3.0.1 JSON-LD document of a [`Provenance`]: an AI package for
//! the model and each ancestor, a dataset package for each dataset or
//! evaluation contribution, a software package for code and other
//! contributions, an AI package for each contribution that is itself a
//! model (base model, fine-tune, adapter); relationships for the lineage
//! (`ancestorOf`) and for what each model credits (`trainedOn`, `testedOn`,
//! `contains`, `dependsOn`, `other`), declared licences as `LicenseRef-`
//! expressions; licence terms, shares and derivation links as annotations.
//! Every element carries its content hash (`verifiedUsing`, SHA-256) and
//! its ledger address (`externalIdentifier`).

use model_ledger::state::{Contribution, ContributionKind, License};
use serde_json::{json, Value};
use solana_sdk::pubkey::Pubkey;

use super::{credited, kind_name, live_licences, model_name, share_percent, Provenance};
use crate::{
    accounts::ModelView,
    display::{ai_summary, licence_summary},
    hex,
};

const CREATION_INFO: &str = "_:creationinfo";

/// The document; `created` is its RFC 3339 UTC creation time.
pub fn document(provenance: &Provenance, created: &str) -> Value {
    let mut builder = Builder::new(provenance);
    builder.build(created)
}

struct Builder<'a> {
    provenance: &'a Provenance,
    base: String,
    graph: Vec<Value>,
    elements: Vec<String>,
    wallets: Vec<Pubkey>,
    relationships: usize,
    annotations: usize,
}

impl<'a> Builder<'a> {
    fn new(provenance: &'a Provenance) -> Self {
        let cluster = super::slug(&provenance.cluster);
        Self {
            provenance,
            base: format!("urn:model-ledger:{cluster}:{}", provenance.program),
            graph: Vec::new(),
            elements: Vec::new(),
            wallets: Vec::new(),
            relationships: 0,
            annotations: 0,
        }
    }

    fn id(&self, kind: &str, address: &Pubkey) -> String {
        format!("{}:{kind}:{address}", self.base)
    }

    fn authority(&self) -> String {
        format!(
            "Model Ledger program {} on {}",
            self.provenance.program, self.provenance.cluster
        )
    }

    fn ledger_identifier(&self, address: &Pubkey) -> Value {
        json!([{
            "type": "ExternalIdentifier",
            "externalIdentifierType": "other",
            "identifier": address.to_string(),
            "issuingAuthority": self.authority(),
        }])
    }

    fn push(&mut self, element: Value) {
        if let Some(id) = element["spdxId"].as_str() {
            self.elements.push(id.to_string());
        }
        self.graph.push(element);
    }

    /// The agent for a wallet, added once.
    fn wallet(&mut self, wallet: &Pubkey) -> String {
        let id = self.id("wallet", wallet);
        if !self.wallets.contains(wallet) {
            self.wallets.push(*wallet);
            let element = json!({
                "type": "Agent",
                "spdxId": id,
                "creationInfo": CREATION_INFO,
                "name": wallet.to_string(),
                "externalIdentifier": self.ledger_identifier(wallet),
            });
            self.push(element);
        }
        id
    }

    fn relationship(&mut self, from: &str, kind: &str, to: Vec<String>) -> String {
        self.relationships += 1;
        let id = format!("{}:relationship:{}", self.base, self.relationships);
        self.push(json!({
            "type": "Relationship",
            "spdxId": id,
            "creationInfo": CREATION_INFO,
            "from": from,
            "relationshipType": kind,
            "to": to,
        }));
        id
    }

    fn annotate(&mut self, subject: &str, statement: String) {
        self.annotations += 1;
        let id = format!("{}:annotation:{}", self.base, self.annotations);
        self.push(json!({
            "type": "Annotation",
            "spdxId": id,
            "creationInfo": CREATION_INFO,
            "annotationType": "other",
            "subject": subject,
            "statement": statement,
        }));
    }

    fn build(&mut self, created: &str) -> Value {
        let program_agent = format!("{}:program", self.base);
        let tool = format!(
            "{}:tool:model-ledger-{}",
            self.base,
            env!("CARGO_PKG_VERSION")
        );
        self.push(json!({
            "type": "Agent",
            "spdxId": program_agent,
            "creationInfo": CREATION_INFO,
            "name": self.authority(),
        }));
        self.push(json!({
            "type": "Tool",
            "spdxId": tool,
            "creationInfo": CREATION_INFO,
            "name": format!("model-ledger {}", env!("CARGO_PKG_VERSION")),
        }));
        for view in &self.provenance.models {
            self.model(view);
        }
        for (child, link) in self.provenance.derivations() {
            self.derivation(child, link);
        }
        let subject = self.provenance.subject();
        let document_id = self.id("provenance", &subject.address);
        let mut graph = vec![json!({
            "type": "CreationInfo",
            "@id": CREATION_INFO,
            "specVersion": "3.0.1",
            "created": created,
            "createdBy": [program_agent],
            "createdUsing": [tool],
        })];
        graph.push(json!({
            "type": "SpdxDocument",
            "spdxId": document_id,
            "creationInfo": CREATION_INFO,
            "name": format!("Provenance of {} on Model Ledger", model_name(&subject.model)),
            "profileConformance": ["core", "software", "ai", "dataset", "simpleLicensing"],
            "rootElement": [self.id("model", &subject.address)],
            "element": self.elements,
        }));
        graph.append(&mut self.graph);
        json!({
            "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
            "@graph": graph,
        })
    }

    fn model(&mut self, view: &ModelView) {
        let id = self.id("model", &view.address);
        let creator = self.wallet(&view.model.creator);
        let authority = self.wallet(&view.model.authority);
        let mut element = json!({
            "type": "ai_AIPackage",
            "spdxId": id,
            "creationInfo": CREATION_INFO,
            "name": model_name(&view.model),
            "software_primaryPurpose": "model",
            "originatedBy": [creator],
            "suppliedBy": authority,
            "verifiedUsing": [hash(&view.model.content_hash)],
            "externalIdentifier": self.ledger_identifier(&view.address),
            "description": format!(
                "Registered on Model Ledger at slot {}; model id {}; {} % of each payment's remainder goes to the contributions a batch names",
                view.model.registered_slot,
                hex::encode(&view.model.model_id),
                f64::from(view.model.attribution_bps) / 100.0
            ),
        });
        set_location(&mut element, &view.model.metadata_uri);
        self.push(element);

        let mut by_relation: Vec<(&'static str, Vec<String>)> = Vec::new();
        for (address, contribution) in credited(view) {
            let contribution_id = self.contribution(view, address, contribution);
            let relation = relation_of(contribution.kind);
            match by_relation.iter_mut().find(|(kind, _)| *kind == relation) {
                Some((_, to)) => to.push(contribution_id),
                None => by_relation.push((relation, vec![contribution_id])),
            }
        }
        for (relation, to) in by_relation {
            self.relationship(&id, relation, to);
        }

        let mut declared = Vec::new();
        for (address, licence) in live_licences(view) {
            declared.push(self.licence(view, address, licence));
        }
        if !declared.is_empty() {
            self.relationship(&id, "hasDeclaredLicense", declared);
        }
    }

    fn contribution(
        &mut self,
        view: &ModelView,
        address: &Pubkey,
        contribution: &Contribution,
    ) -> String {
        let id = self.id("contribution", address);
        let contributor = self.wallet(&contribution.contributor);
        let name = format!(
            "{} contribution #{} ({})",
            model_name(&view.model),
            contribution.index,
            kind_name(contribution.kind)
        );
        let mut element = match contribution.kind {
            ContributionKind::Dataset | ContributionKind::Evaluation => json!({
                "type": "dataset_DatasetPackage",
                "software_primaryPurpose": "data",
                "dataset_datasetType": ["noAssertion"],
            }),
            ContributionKind::BaseModel
            | ContributionKind::FineTune
            | ContributionKind::Adapter => {
                json!({ "type": "ai_AIPackage", "software_primaryPurpose": "model" })
            }
            ContributionKind::Code => {
                json!({ "type": "software_Package", "software_primaryPurpose": "source" })
            }
            ContributionKind::Other => {
                json!({ "type": "software_Package", "software_primaryPurpose": "other" })
            }
        };
        let fields = [
            ("spdxId", json!(id)),
            ("creationInfo", json!(CREATION_INFO)),
            ("name", json!(name)),
            ("originatedBy", json!([contributor])),
            ("verifiedUsing", json!([hash(&contribution.content_hash)])),
            ("externalIdentifier", self.ledger_identifier(address)),
        ];
        for (key, value) in fields {
            element[key] = value;
        }
        set_location(&mut element, &contribution.uri);
        self.push(element);
        self.annotate(
            &id,
            format!(
                "Credited by {} with {} shares ({:.4} % of its accepted shares), paid to wallet {}",
                model_name(&view.model),
                contribution.shares,
                share_percent(view, contribution),
                contribution.payout_wallet
            ),
        );
        id
    }

    fn licence(&mut self, view: &ModelView, address: &Pubkey, licence: &License) -> String {
        let id = self.id("licence", address);
        self.push(json!({
            "type": "simplelicensing_LicenseExpression",
            "spdxId": id,
            "creationInfo": CREATION_INFO,
            "name": format!("{} licence v{}", model_name(&view.model), licence.license_version),
            "simplelicensing_licenseExpression": format!("LicenseRef-model-ledger-{address}"),
            "externalIdentifier": self.ledger_identifier(address),
        }));
        let decimals = self.provenance.decimals_of(&licence.payment_mint);
        self.annotate(
            &id,
            format!(
                "Licence v{} of {} ({}): {}; AI: {}; terms document {} (SHA-256 {})",
                licence.license_version,
                model_name(&view.model),
                view.address,
                licence_summary(&licence.terms, decimals),
                ai_summary(&licence.ai),
                licence.terms.terms_uri,
                hex::encode(&licence.terms.terms_hash)
            ),
        );
        id
    }

    fn derivation(&mut self, child: &ModelView, link: &model_ledger::state::ParentLink) {
        let parent = self.id("model", &link.model);
        let relationship = self.relationship(
            &parent,
            "ancestorOf",
            vec![self.id("model", &child.address)],
        );
        let parent_view = self.provenance.model(&link.model);
        let licence_version = parent_view
            .and_then(|parent| {
                parent
                    .licenses
                    .iter()
                    .find(|(address, _)| *address == link.license)
            })
            .map_or_else(String::new, |(_, licence)| {
                format!(" v{}", licence.license_version)
            });
        let parent_name = parent_view.map_or_else(
            || link.model.to_string(),
            |parent| model_name(&parent.model).to_string(),
        );
        self.annotate(
            &relationship,
            format!(
                "{} derives from {} under licence{} ({}), grant {}, and owes it {} % of every payment it receives",
                model_name(&child.model),
                parent_name,
                licence_version,
                link.license,
                link.grant,
                f64::from(link.derivative_bps) / 100.0
            ),
        );
    }
}

/// What a model's credited contribution of `kind` is to it.
fn relation_of(kind: ContributionKind) -> &'static str {
    match kind {
        ContributionKind::Dataset => "trainedOn",
        ContributionKind::Evaluation => "testedOn",
        ContributionKind::BaseModel | ContributionKind::FineTune | ContributionKind::Adapter => {
            "contains"
        }
        ContributionKind::Code => "dependsOn",
        ContributionKind::Other => "other",
    }
}

fn hash(content_hash: &[u8; 32]) -> Value {
    json!({ "type": "Hash", "algorithm": "sha256", "hashValue": hex::encode(content_hash) })
}

/// A URI the ledger holds as the download location when it is one (a
/// scheme, nothing that needs escaping); anything else as a comment.
fn set_location(element: &mut Value, uri: &str) {
    let scheme = uri.split_once(':').map(|(scheme, _)| scheme);
    let is_uri = scheme.is_some_and(|scheme| {
        scheme.len() > 1
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    }) && uri.chars().all(|c| {
        c.is_ascii_graphic() && !matches!(c, '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}')
    });
    if is_uri {
        element["software_downloadLocation"] = json!(uri);
    } else if !uri.is_empty() {
        element["comment"] = json!(format!("Location as recorded on the ledger: {uri}"));
    }
}
