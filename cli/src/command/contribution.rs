use anyhow::{anyhow, Result};
use clap::{Subcommand, ValueEnum};
use model_ledger_sdk::{
    accounts::ContributionKind,
    instructions::{self as ix, ProposeContributionArgs},
    pda,
};
use sha2::{Digest, Sha256};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

use super::print_landed;
use crate::{output::parse_hash, session::Session};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Kind {
    BaseModel,
    Dataset,
    FineTune,
    Adapter,
    Evaluation,
    Code,
    Other,
}

impl From<Kind> for ContributionKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::BaseModel => ContributionKind::BaseModel,
            Kind::Dataset => ContributionKind::Dataset,
            Kind::FineTune => ContributionKind::FineTune,
            Kind::Adapter => ContributionKind::Adapter,
            Kind::Evaluation => ContributionKind::Evaluation,
            Kind::Code => ContributionKind::Code,
            Kind::Other => ContributionKind::Other,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum ContributionCommand {
    /// Propose a contribution to a model (anyone)
    Propose {
        /// The model the contribution is for
        model: Pubkey,
        /// What is contributed
        #[arg(long, value_enum)]
        kind: Kind,
        /// SHA-256 of the contributed artifact, 64 hex digits
        #[arg(long, conflicts_with = "content_file")]
        content_hash: Option<String>,
        /// The artifact itself, hashed with SHA-256
        #[arg(long)]
        content_file: Option<std::path::PathBuf>,
        /// Where the artifact can be fetched (e.g. ar://…, ipfs://…, https://…)
        #[arg(long)]
        uri: String,
    },
    /// Accept a proposed contribution with its shares (model authority)
    Accept {
        /// The model
        model: Pubkey,
        /// The contribution's index on the model (`model show` lists them)
        index: u32,
        /// Its shares of the contributors' part of every payment (all
        /// accepted shares of the model together at most 10^9)
        #[arg(long)]
        shares: u64,
    },
    /// Reject a proposed contribution (model authority)
    Reject {
        /// The model
        model: Pubkey,
        /// The contribution's index on the model (`model show` lists them)
        index: u32,
    },
    /// Close a rejected contribution and take its rent back (its proposer)
    Close {
        /// The model
        model: Pubkey,
        /// The contribution's index on the model (`model show` lists them)
        index: u32,
    },
    /// Revoke an accepted contribution; its earnings stay claimable (model authority)
    Revoke {
        /// The model
        model: Pubkey,
        /// The contribution's index on the model (`model show` lists them)
        index: u32,
    },
    /// Name the wallet that receives a contribution's royalties (contributor)
    SetPayout {
        /// The model
        model: Pubkey,
        /// The contribution's index on the model (`model show` lists them)
        index: u32,
        /// The wallet that receives its royalties from now on
        wallet: Pubkey,
    },
}

impl ContributionCommand {
    /// The existing contribution the command acts on, if it names one.
    fn named_contribution(&self) -> Option<(Pubkey, u32)> {
        match self {
            ContributionCommand::Propose { .. } => None,
            ContributionCommand::Accept { model, index, .. }
            | ContributionCommand::Reject { model, index }
            | ContributionCommand::Close { model, index }
            | ContributionCommand::Revoke { model, index }
            | ContributionCommand::SetPayout { model, index, .. } => Some((*model, *index)),
        }
    }
}

pub async fn execute(session: &Session, command: ContributionCommand) -> Result<()> {
    let me = session.wallet.pubkey();
    if let Some((model, index)) = command.named_contribution() {
        session.contribution_of(&model, index).await?;
    }
    let (instruction, what, details) = match command {
        ContributionCommand::Propose {
            model,
            kind,
            content_hash,
            content_file,
            uri,
        } => {
            let content_hash = match (content_hash, content_file) {
                (Some(hash), _) => parse_hash(&hash)?,
                (None, Some(path)) => Sha256::digest(
                    std::fs::read(&path)
                        .map_err(|error| anyhow!("cannot read {}: {error}", path.display()))?,
                )
                .into(),
                (None, None) => {
                    anyhow::bail!("give the artifact's --content-hash or --content-file")
                }
            };
            let index = session.client.next_contribution_index(&model).await?;
            let args = ProposeContributionArgs {
                kind: kind.into(),
                content_hash,
                uri,
            };
            (
                ix::propose_contribution(&me, &model, index, args),
                "Contribution proposed",
                serde_json::json!({ "model": model.to_string(), "index": index, "contribution": pda::contribution(&model, index).0.to_string() }),
            )
        }
        ContributionCommand::Accept {
            model,
            index,
            shares,
        } => {
            let details =
                serde_json::json!({ "model": model.to_string(), "index": index, "shares": shares });
            // Extensions of the royalty book come first when this index lies
            // beyond what one instruction may grow it by, online or signed
            // offline alike.
            let transactions = session
                .client
                .accept_contribution_transactions(&me, &model, index, shares)
                .await?;
            let outcomes = session.send_all(&transactions, &[&session.wallet]).await?;
            let accepted = outcomes.last().cloned().flatten();
            print_landed(session, &accepted, "Contribution accepted", details);
            return Ok(());
        }
        ContributionCommand::Reject { model, index } => (
            ix::reject_contribution(&me, &model, index),
            "Contribution rejected",
            serde_json::json!({ "model": model.to_string(), "index": index }),
        ),
        ContributionCommand::Close { model, index } => (
            ix::close_contribution(&me, &model, index),
            "Contribution closed",
            serde_json::json!({ "model": model.to_string(), "index": index }),
        ),
        ContributionCommand::Revoke { model, index } => (
            ix::revoke_contribution(&me, &model, index),
            "Contribution revoked",
            serde_json::json!({ "model": model.to_string(), "index": index }),
        ),
        ContributionCommand::SetPayout {
            model,
            index,
            wallet,
        } => (
            ix::set_payout_wallet(&me, &pda::contribution(&model, index).0, wallet),
            "Payout wallet set",
            serde_json::json!({ "model": model.to_string(), "index": index, "payout_wallet": wallet.to_string() }),
        ),
    };
    let outcome = session.send(&[instruction], &[&session.wallet]).await?;
    print_landed(session, &outcome, what, details);
    Ok(())
}
