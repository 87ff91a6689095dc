use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use model_ledger_sdk::{
    accounts::{AiTerms, AiUse, LicenseTerms},
    display::{ai_summary, restriction_code},
    instructions as ix, pda,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

use super::print_landed;
use crate::{
    output::{hex, parse_hash, with_ui_amounts, TokenAmount},
    session::Session,
};

#[derive(Subcommand, Debug)]
pub enum LicenseCommand {
    /// Publish the model's next licence version (model authority)
    Publish(Box<PublishArgs>),
    /// Retire a licence version: no new grants (model authority)
    Retire {
        /// The model (its authority signs)
        model: Pubkey,
        /// The licence version to retire
        version: u32,
    },
    /// Show a licence version in plain words
    Show {
        /// The model
        model: Pubkey,
        /// Licence version (1 is the first)
        version: u32,
    },
}

/// Licence terms, from flags or from a TOML/JSON file with the same names.
#[derive(Args, Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TermsArgs {
    /// Price of one inference call, in tokens of the model's payment mint (e.g. 0.001)
    #[arg(
        long,
        default_value = "0",
        value_name = "TOKENS",
        allow_negative_numbers = true
    )]
    pub price_per_call: TokenAmount,
    /// Fee paid once when a grant is bought, in tokens
    #[arg(
        long,
        default_value = "0",
        value_name = "TOKENS",
        allow_negative_numbers = true
    )]
    pub upfront_fee: TokenAmount,
    /// Allow commercial use (required for a price per call above 0)
    #[arg(long)]
    pub commercial: bool,
    /// Allow registering models derived from this one
    #[arg(long)]
    pub derivatives: bool,
    /// Require every recorded batch to name the contributions its outputs used
    #[arg(long)]
    pub attribution_required: bool,
    /// Allow a grant holder to hand the grant to another wallet
    #[arg(long)]
    pub transferable: bool,
    /// Royalty a derived model owes on every payment, in basis points
    #[arg(long, default_value_t = 0, value_name = "BPS")]
    pub derivative_royalty_bps: u16,
    /// Calls per grant; 0 = unlimited
    #[arg(long, default_value_t = 0)]
    pub call_limit: u64,
    /// Seconds a grant lasts; 0 = forever
    #[arg(long, default_value_t = 0)]
    pub duration_seconds: u64,
    /// Where the human-readable terms document can be read (required)
    #[arg(long, default_value = "", value_name = "URL")]
    pub terms_uri: String,
    /// SHA-256 of the terms document, 64 hex digits [default: see --terms-document]
    #[arg(long, value_name = "HEX", conflicts_with = "terms_document")]
    pub terms_hash: Option<String>,
    /// The terms document itself, hashed with SHA-256. With neither this nor
    /// --terms-hash, the hash of these terms in canonical JSON is stored, so
    /// anyone can recompute it from the licence on chain
    #[arg(long, value_name = "PATH")]
    #[serde(skip)]
    pub terms_document: Option<PathBuf>,
    /// Text and data mining, retrieval included [default: allowed]
    #[arg(long, value_enum, value_name = "USE")]
    pub data_mining: Option<AiUseArg>,
    /// Running the model and using its outputs [default: allowed]
    #[arg(long, value_enum, value_name = "USE")]
    pub ai_inference: Option<AiUseArg>,
    /// Training a generative model on the model or its outputs [default: as --ai-training]
    #[arg(long, value_enum, value_name = "USE")]
    pub ai_generative_training: Option<AiUseArg>,
    /// Training any model on the model or its outputs, deriving one on the ledger included
    /// [default: allowed with --derivatives, else not-allowed]
    #[arg(long, value_enum, value_name = "USE")]
    pub ai_training: Option<AiUseArg>,
    /// Use restrictions the licensee accepts, by name (military, surveillance,
    /// biometric-identification, medical-advice, legal-advice, disinformation, discrimination,
    /// minors, automated-decisions, impersonation, malware, weapons) or code-N (16-63: the terms
    /// document's own)
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub restrict: Vec<String>,
    /// Of those, the ones every model derived under this licence must impose and carry on
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub carry: Vec<String>,
}

/// An AI use as the flags and terms files spell it.
#[derive(Clone, Copy, Debug, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum AiUseArg {
    Allowed,
    /// Allowed under the terms document's conditions
    Constrained,
    NotAllowed,
}

impl From<AiUseArg> for AiUse {
    fn from(usage: AiUseArg) -> AiUse {
        match usage {
            AiUseArg::Allowed => AiUse::Allowed,
            AiUseArg::Constrained => AiUse::Constrained,
            AiUseArg::NotAllowed => AiUse::NotAllowed,
        }
    }
}

/// A set of restriction codes from their names; `flag` names the option.
fn restriction_set(names: &[String], flag: &str) -> Result<u64> {
    names.iter().try_fold(0u64, |set, name| {
        let code = restriction_code(name.trim()).with_context(|| {
            format!("{flag}: {name:?} is no restriction (a catalogue name, or code-N below 64)")
        })?;
        Ok(set | 1u64 << code)
    })
}

#[derive(Args, Debug)]
pub struct PublishArgs {
    /// The model (its authority signs)
    pub model: Pubkey,
    /// Read the terms from a .toml or .json file instead of flags
    #[arg(long, value_name = "PATH")]
    pub terms_file: Option<PathBuf>,
    #[command(flatten)]
    pub terms: TermsArgs,
}

/// Where a licence's terms hash came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TermsHashSource {
    Given,
    Document,
    CanonicalTerms,
}

impl TermsHashSource {
    fn describe(self) -> &'static str {
        match self {
            TermsHashSource::Given => "as given",
            TermsHashSource::Document => "SHA-256 of the terms document",
            TermsHashSource::CanonicalTerms => {
                "SHA-256 of these terms in canonical JSON (no terms document given)"
            }
        }
    }
}

/// The terms' fields (all but the hash) as canonical JSON: keys sorted,
/// amounts in base units, no spaces. What is hashed when no terms document is given.
fn canonical_terms(terms: &LicenseTerms) -> String {
    serde_json::json!({
        "attribution_required": terms.attribution_required,
        "call_limit": terms.call_limit,
        "commercial_use": terms.commercial_use,
        "derivative_royalty_bps": terms.derivative_royalty_bps,
        "derivatives_allowed": terms.derivatives_allowed,
        "duration_seconds": terms.duration_seconds,
        "price_per_call": terms.price_per_call,
        "terms_uri": terms.terms_uri,
        "transferable": terms.transferable,
        "upfront_fee": terms.upfront_fee,
    })
    .to_string()
}

impl TermsArgs {
    /// The AI terms the flags say, each use defaulting as its flag's help
    /// says (the program refuses a use left unstated).
    fn ai_terms(&self) -> Result<AiTerms> {
        let training = self.ai_training.map_or(
            if self.derivatives {
                AiUse::Allowed
            } else {
                AiUse::NotAllowed
            },
            AiUse::from,
        );
        let restrictions = restriction_set(&self.restrict, "--restrict")?;
        let carried = restriction_set(&self.carry, "--carry")?;
        anyhow::ensure!(
            carried & !restrictions == 0,
            "--carry names a restriction --restrict does not: a licence carries to derivatives only what it imposes"
        );
        Ok(AiTerms {
            data_mining: self.data_mining.map_or(AiUse::Allowed, AiUse::from),
            ai_inference: self.ai_inference.map_or(AiUse::Allowed, AiUse::from),
            ai_generative_training: self.ai_generative_training.map_or(training, AiUse::from),
            ai_training: training,
            restrictions,
            carried_restrictions: carried,
        })
    }

    fn into_terms(self, decimals: u8) -> Result<(LicenseTerms, TermsHashSource)> {
        anyhow::ensure!(
            !self.terms_uri.is_empty(),
            "--terms-uri is required: where the licence's human-readable terms can be read"
        );
        let mut terms = LicenseTerms {
            price_per_call: self
                .price_per_call
                .base_units(decimals)
                .context("--price-per-call")?,
            upfront_fee: self
                .upfront_fee
                .base_units(decimals)
                .context("--upfront-fee")?,
            commercial_use: self.commercial,
            derivatives_allowed: self.derivatives,
            attribution_required: self.attribution_required,
            transferable: self.transferable,
            derivative_royalty_bps: self.derivative_royalty_bps,
            call_limit: self.call_limit,
            duration_seconds: self.duration_seconds,
            terms_uri: self.terms_uri,
            terms_hash: [0; 32],
        };
        let source = match (&self.terms_hash, &self.terms_document) {
            (Some(hash), _) => {
                terms.terms_hash = parse_hash(hash).context("--terms-hash")?;
                TermsHashSource::Given
            }
            (None, Some(path)) => {
                let document = std::fs::read(path).with_context(|| {
                    format!("cannot read the terms document {}", path.display())
                })?;
                terms.terms_hash = Sha256::digest(document).into();
                TermsHashSource::Document
            }
            (None, None) => {
                terms.terms_hash = Sha256::digest(canonical_terms(&terms)).into();
                TermsHashSource::CanonicalTerms
            }
        };
        Ok((terms, source))
    }
}

fn read_terms_file(path: &PathBuf) -> Result<TermsArgs> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    if path
        .extension()
        .is_some_and(|extension| extension == "json")
    {
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid licence JSON", path.display()))
    } else {
        toml::from_str(&text)
            .with_context(|| format!("{} is not valid licence TOML", path.display()))
    }
}

pub use model_ledger_sdk::display::licence_summary as summary;

pub async fn execute(session: &Session, command: LicenseCommand) -> Result<()> {
    let me = session.wallet.pubkey();
    match command {
        LicenseCommand::Publish(args) => {
            let decimals = session.model_decimals(&args.model).await?;
            let given = match &args.terms_file {
                Some(path) => read_terms_file(path)?,
                None => args.terms,
            };
            let ai = given.ai_terms()?;
            let (terms, hash_source) = given.into_terms(decimals)?;
            let version = session
                .client
                .model(&args.model)
                .await?
                .next_license_version;
            let instruction = ix::publish_license(&me, &args.model, version, terms.clone(), ai);
            let outcome = session.send(&[instruction], &[&session.wallet]).await?;
            print_landed(
                session,
                &outcome,
                "Licence published",
                serde_json::json!({
                    "model": args.model.to_string(), "version": version,
                    "license": pda::license(&args.model, version).0.to_string(),
                    "summary": summary(&terms, decimals), "ai": ai_summary(&ai),
                    "terms_hash": hex(&terms.terms_hash), "terms_hash_source": hash_source.describe(),
                }),
            );
            Ok(())
        }
        LicenseCommand::Retire { model, version } => {
            let outcome = session
                .send(
                    &[ix::retire_license(&me, &model, version)],
                    &[&session.wallet],
                )
                .await?;
            print_landed(
                session,
                &outcome,
                "Licence retired",
                serde_json::json!({ "model": model.to_string(), "version": version }),
            );
            Ok(())
        }
        LicenseCommand::Show { model, version } => {
            let address = pda::license(&model, version).0;
            let license = session.licence_of(&model, version).await?;
            let terms = &license.terms;
            let decimals = session.model_decimals(&model).await?;
            session.output.print(
                with_ui_amounts(serde_json::json!({
                    "license": address.to_string(), "model": model.to_string(), "version": version,
                    "retired": license.is_retired(), "price_per_call": terms.price_per_call, "upfront_fee": terms.upfront_fee,
                    "commercial_use": terms.commercial_use, "derivatives_allowed": terms.derivatives_allowed,
                    "attribution_required": terms.attribution_required, "transferable": terms.transferable,
                    "derivative_royalty_bps": terms.derivative_royalty_bps, "call_limit": terms.call_limit,
                    "duration_seconds": terms.duration_seconds, "terms_uri": terms.terms_uri, "terms_hash": hex(&terms.terms_hash),
                    "summary": summary(terms, decimals), "ai": ai_summary(&license.ai),
                    "restrictions": license.ai.restrictions.to_string(),
                    "carried_restrictions": license.ai.carried_restrictions.to_string(),
                }), &["price_per_call", "upfront_fee"], decimals),
                || format!(
                    "Licence v{version} of {model}{}\n  {}\n  {}\n  terms {} (sha256 {})",
                    if license.is_retired() { " (retired: no new grants)" } else { "" },
                    summary(terms, decimals),
                    ai_summary(&license.ai),
                    terms.terms_uri,
                    hex(&terms.terms_hash)
                ),
            );
            Ok(())
        }
    }
}
