use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use clap::{Args, Subcommand};
use model_ledger_sdk::{accounts::LicenseTerms, instructions as ix, pda};
use serde::Deserialize;
use solana_sdk::{pubkey::Pubkey, signer::Signer};

use super::print_landed;
use crate::{
    output::{hex, parse_hash},
    session::Session,
};

#[derive(Subcommand, Debug)]
pub enum LicenseCommand {
    /// Publish the model's next licence version (model authority)
    Publish(PublishArgs),
    /// Retire a licence version: no new grants (model authority)
    Retire { model: Pubkey, version: u32 },
    /// Show a licence version in plain words
    Show { model: Pubkey, version: u32 },
}

/// Licence terms, from flags or from a TOML/JSON file with the same names.
#[derive(Args, Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TermsArgs {
    /// Token base units per inference call
    #[arg(long, default_value_t = 0)]
    pub price_per_call: u64,
    /// Token base units paid once per grant
    #[arg(long, default_value_t = 0)]
    pub upfront_fee: u64,
    #[arg(long)]
    pub commercial: bool,
    #[arg(long)]
    pub derivatives: bool,
    #[arg(long)]
    pub attribution_required: bool,
    #[arg(long)]
    pub transferable: bool,
    /// Royalty a derived model owes on every payment, in basis points
    #[arg(long, default_value_t = 0)]
    pub derivative_royalty_bps: u16,
    /// Calls per grant; 0 = unlimited
    #[arg(long, default_value_t = 0)]
    pub call_limit: u64,
    /// Seconds a grant lasts; 0 = forever
    #[arg(long, default_value_t = 0)]
    pub duration_seconds: u64,
    #[arg(long, default_value = "")]
    pub terms_uri: String,
    /// SHA-256 of the terms document, 64 hex digits
    #[arg(long, default_value = "")]
    pub terms_hash: String,
}

#[derive(Args, Debug)]
pub struct PublishArgs {
    pub model: Pubkey,
    /// Read the terms from a .toml or .json file instead of flags
    #[arg(long)]
    pub terms_file: Option<PathBuf>,
    #[command(flatten)]
    pub terms: TermsArgs,
}

impl TermsArgs {
    fn into_terms(self) -> Result<LicenseTerms> {
        Ok(LicenseTerms {
            price_per_call: self.price_per_call,
            upfront_fee: self.upfront_fee,
            commercial_use: self.commercial,
            derivatives_allowed: self.derivatives,
            attribution_required: self.attribution_required,
            transferable: self.transferable,
            derivative_royalty_bps: self.derivative_royalty_bps,
            call_limit: self.call_limit,
            duration_seconds: self.duration_seconds,
            terms_uri: self.terms_uri,
            terms_hash: parse_hash(&self.terms_hash).context("--terms-hash")?,
        })
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

/// The terms in plain words: what may be done, what may not, what it costs.
pub fn summary(terms: &LicenseTerms) -> String {
    let may = |allowed: bool, what: &str| {
        if allowed {
            format!("may {what}")
        } else {
            format!("may not {what}")
        }
    };
    let limit = if terms.call_limit == 0 {
        "unlimited calls".to_string()
    } else {
        format!("up to {} calls", terms.call_limit)
    };
    let duration = if terms.duration_seconds == 0 {
        "no expiry".to_string()
    } else {
        format!("{} days", terms.duration_seconds / 86_400)
    };
    format!(
        "{}; {}{}; {}; {} per call + {} up front; {limit}; {duration}{}",
        may(terms.commercial_use, "use commercially"),
        may(terms.derivatives_allowed, "derive models"),
        if terms.derivatives_allowed {
            format!(" (royalty {} bps)", terms.derivative_royalty_bps)
        } else {
            String::new()
        },
        may(terms.transferable, "transfer the grant"),
        terms.price_per_call,
        terms.upfront_fee,
        if terms.attribution_required {
            "; attribution required: every batch names the contributions its outputs used \
             (enforced on chain), from evidence the host can show (the host's obligation)"
        } else {
            ""
        },
    )
}

pub async fn execute(session: &Session, command: LicenseCommand) -> Result<()> {
    let me = session.wallet.pubkey();
    match command {
        LicenseCommand::Publish(args) => {
            let terms = match &args.terms_file {
                Some(path) => read_terms_file(path)?,
                None => args.terms,
            }
            .into_terms()?;
            let version = session
                .client
                .model(&args.model)
                .await?
                .next_license_version;
            let instruction = ix::publish_license(&me, &args.model, version, terms.clone());
            let outcome = session.send(&[instruction], &[&session.wallet]).await?;
            print_landed(
                session,
                &outcome,
                "Licence published",
                serde_json::json!({ "model": args.model.to_string(), "version": version, "license": pda::license(&args.model, version).0.to_string(), "summary": summary(&terms) }),
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
            let license = session
                .client
                .license(&address)
                .await
                .map_err(|_| anyhow!("model {model} has no licence version {version}"))?;
            let terms = &license.terms;
            session.output.print(
                serde_json::json!({
                    "license": address.to_string(), "model": model.to_string(), "version": version,
                    "retired": license.is_retired(), "price_per_call": terms.price_per_call, "upfront_fee": terms.upfront_fee,
                    "commercial_use": terms.commercial_use, "derivatives_allowed": terms.derivatives_allowed,
                    "attribution_required": terms.attribution_required, "transferable": terms.transferable,
                    "derivative_royalty_bps": terms.derivative_royalty_bps, "call_limit": terms.call_limit,
                    "duration_seconds": terms.duration_seconds, "terms_uri": terms.terms_uri, "terms_hash": hex(&terms.terms_hash),
                    "summary": summary(terms),
                }),
                || format!(
                    "Licence v{version} of {model}{}\n  {}\n  terms {} (sha256 {})",
                    if license.is_retired() { " (retired: no new grants)" } else { "" },
                    summary(terms),
                    terms.terms_uri,
                    hex(&terms.terms_hash)
                ),
            );
            Ok(())
        }
    }
}
