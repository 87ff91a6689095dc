//! Who may propose to a model: its authority opens it to anyone, keeps it
//! to the wallets it allows, or closes it to all but itself.

use anyhow::Result;
use clap::{Subcommand, ValueEnum};
use model_ledger::state::ProposalPolicy;
use model_ledger_sdk::{instructions as ix, pda};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

use super::print_landed;
use crate::session::Session;

#[derive(Subcommand, Debug)]
pub enum ProposalsCommand {
    /// Set who may propose contributions to the model (its authority signs)
    Policy {
        /// The model
        model: Pubkey,
        /// open: anyone; allow-listed: the wallets `proposals allow` names; closed: the
        /// authority alone
        #[arg(value_enum)]
        policy: Policy,
    },
    /// Let a wallet propose while the model is allow-listed (the authority pays the permit's rent)
    Allow {
        /// The model
        model: Pubkey,
        /// The wallet allowed to propose
        wallet: Pubkey,
    },
    /// Withdraw a wallet's permit to propose (its rent back to the authority)
    Disallow {
        /// The model
        model: Pubkey,
        /// The wallet no longer allowed
        wallet: Pubkey,
    },
    /// The model's policy, and whether a wallet may propose
    Show {
        /// The model
        model: Pubkey,
        /// A wallet to check [default: the wallet]
        #[arg(long)]
        wallet: Option<Pubkey>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Policy {
    Open,
    AllowListed,
    Closed,
}

impl From<Policy> for ProposalPolicy {
    fn from(policy: Policy) -> Self {
        match policy {
            Policy::Open => ProposalPolicy::Open,
            Policy::AllowListed => ProposalPolicy::AllowListed,
            Policy::Closed => ProposalPolicy::Closed,
        }
    }
}

pub async fn execute(session: &Session, command: ProposalsCommand) -> Result<()> {
    let me = session.wallet.pubkey();
    match command {
        ProposalsCommand::Policy { model, policy } => {
            let instruction = ix::set_proposal_policy(&me, &model, policy.into());
            let outcome = session.send(&[instruction], &[&session.wallet]).await?;
            print_landed(
                session,
                &outcome,
                "Proposal policy set",
                serde_json::json!({ "model": model.to_string(), "policy": ProposalPolicy::from(policy).name() }),
            );
        }
        ProposalsCommand::Allow { model, wallet } => {
            let instruction = ix::allow_proposer(&me, &model, &wallet);
            let outcome = session.send(&[instruction], &[&session.wallet]).await?;
            print_landed(
                session,
                &outcome,
                "Proposer allowed",
                serde_json::json!({ "model": model.to_string(), "wallet": wallet.to_string(), "permit": pda::proposer_permit(&model, &wallet).0.to_string() }),
            );
        }
        ProposalsCommand::Disallow { model, wallet } => {
            let instruction = ix::disallow_proposer(&me, &model, &wallet);
            let outcome = session.send(&[instruction], &[&session.wallet]).await?;
            print_landed(
                session,
                &outcome,
                "Proposer disallowed",
                serde_json::json!({ "model": model.to_string(), "wallet": wallet.to_string() }),
            );
        }
        ProposalsCommand::Show { model, wallet } => {
            let wallet = wallet.unwrap_or(me);
            let book = session.client.royalty_book(&model).await?;
            let policy = ProposalPolicy::from_byte(book.proposal_policy)
                .ok_or_else(|| anyhow::anyhow!("model {model}'s book holds an unknown policy"))?;
            let authority = session.client.model(&model).await?.authority;
            let permit = pda::proposer_permit(&model, &wallet).0;
            let has_permit = model_ledger_sdk::client::LedgerConnection::get_account(
                &session.client.connection,
                &permit,
            )
            .await?
            // Lamports anyone sent to the address are no permit.
            .is_some_and(|account| account.owner == model_ledger::ID);
            let may_propose = wallet == authority
                || match policy {
                    ProposalPolicy::Open => true,
                    ProposalPolicy::AllowListed => has_permit,
                    ProposalPolicy::Closed => false,
                };
            session.output.print(
                serde_json::json!({ "model": model.to_string(), "policy": policy.name(), "wallet": wallet.to_string(), "permit": has_permit, "may_propose": may_propose }),
                || {
                    format!(
                        "Model {model} takes proposals: {}\n  {wallet} {} propose{}",
                        policy.name(),
                        if may_propose { "may" } else { "may not" },
                        if has_permit { " (it holds a permit)" } else { "" }
                    )
                },
            );
        }
    }
    Ok(())
}
