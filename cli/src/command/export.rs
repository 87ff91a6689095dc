//! `export`: a model's provenance (the model, its ancestors, their
//! accepted contributions and licences) read from the chain, as an SPDX
//! 3.0.1 JSON-LD document or a Hugging Face model card
//! (`model_ledger_sdk::provenance`).

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use solana_sdk::pubkey::Pubkey;

use crate::{cluster::Cluster, session::Session};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ExportFormat {
    /// SPDX 3.0.1 JSON-LD (AI, Dataset and Software profiles)
    Spdx,
    /// A Hugging Face model card: YAML front matter and a Markdown body
    ModelCard,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The model's address
    pub model: Pubkey,
    /// What to write: spdx (SPDX 3.0.1 JSON-LD) or model-card (Hugging Face)
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Write here instead of to standard output
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// The SPDX document's creation time (RFC 3339, UTC); default: now
    #[arg(long)]
    pub created: Option<humantime::Timestamp>,
}

pub async fn execute(session: &Session, args: ExportArgs) -> Result<()> {
    // The chain's own id, as the explorer names it: documents of one
    // chain agree whichever endpoint they were read through.
    let genesis = match crate::session::resolve_cluster(&session.global)?.0 {
        Cluster::Embedded => None,
        Cluster::Rpc(url) => Some(
            solana_rpc_client::nonblocking::rpc_client::RpcClient::new(url.clone())
                .get_genesis_hash()
                .await
                .with_context(|| format!("{url} does not answer getGenesisHash"))?
                .to_string(),
        ),
    };
    let cluster = model_ledger_sdk::provenance::chain_label(genesis.as_deref());
    let provenance = session
        .client
        .provenance(&args.model, &cluster)
        .await
        .with_context(|| format!("reading the provenance of model {}", args.model))?;
    let text = match args.format {
        ExportFormat::Spdx => {
            let created = model_ledger_sdk::provenance::spdx_time(
                args.created
                    .map_or_else(std::time::SystemTime::now, |time| *time.as_ref()),
            );
            let document = model_ledger_sdk::provenance::spdx::document(&provenance, &created);
            serde_json::to_string_pretty(&document)? + "\n"
        }
        ExportFormat::ModelCard => {
            model_ledger_sdk::provenance::model_card::front_matter(&provenance)
        }
    };
    let Some(path) = &args.out else {
        crate::output::emit(text.trim_end());
        return Ok(());
    };
    std::fs::write(path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    let format = match args.format {
        ExportFormat::Spdx => "spdx",
        ExportFormat::ModelCard => "model-card",
    };
    match session.output {
        crate::output::OutputFormat::Json => crate::output::emit(
            &serde_json::json!({
                "model": args.model.to_string(),
                "format": format,
                "out": path.display().to_string(),
                "bytes": text.len(),
                "models": provenance.models.len(),
            })
            .to_string(),
        ),
        crate::output::OutputFormat::Human => crate::output::emit(&format!(
            "Wrote the {format} export of model {} and {} ancestors to {} ({} bytes)",
            args.model,
            provenance.models.len() - 1,
            path.display(),
            text.len()
        )),
    }
    Ok(())
}
