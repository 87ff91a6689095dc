use anchor_lang::Discriminator;
use anyhow::{anyhow, Result};
use clap::{Args, Subcommand};
use model_ledger::state::Model;
use model_ledger_sdk::{
    accounts::{decode, ContributionStatus},
    client::LedgerConnection,
    instructions::{self as ix, ParentGrant, RegisterModelArgs},
    pda,
};
use sha2::{Digest, Sha256};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

use super::print_landed;
use crate::{
    output::{hex, parse_hash, tokens, with_ui_amounts},
    session::Session,
};

#[derive(Subcommand, Debug)]
pub enum ModelCommand {
    /// Register a model (with parents and the grants it derives under)
    Register(RegisterArgs),
    /// Show a model: metadata, licences, contributions, lineage and earnings
    Show {
        /// The model's address
        model: Pubkey,
    },
    /// List every model on the cluster
    List,
    /// Propose a new authority (first step of a transfer)
    TransferAuthority {
        /// The model (its authority signs)
        model: Pubkey,
        /// The proposed authority; omit to cancel a pending proposal
        #[arg(long)]
        to: Option<Pubkey>,
    },
    /// Accept a proposed authority transfer (the wallet becomes the authority)
    AcceptAuthority {
        /// The model whose transfer the wallet accepts
        model: Pubkey,
    },
    /// Withdraw what the model received while no contribution held shares (the authority's)
    ClaimUnallocated {
        /// The model (its authority signs)
        model: Pubkey,
        /// Receiving token account [default: the wallet's associated account, created if needed]
        #[arg(long)]
        to: Option<Pubkey>,
    },
    /// Add room for contribution entries to the model's royalty book ahead of acceptances
    /// (the authority pays the rent; at most 160 entries at a time)
    ExtendBook {
        /// The model (its authority signs)
        model: Pubkey,
        /// How many entries to add
        #[arg(long)]
        entries: u32,
    },
}

#[derive(Args, Debug)]
pub struct RegisterArgs {
    /// Model id: 64 hex digits, or any text (hashed with SHA-256)
    #[arg(long)]
    pub id: String,
    /// Human-readable name, shown by explorers and `model list`
    #[arg(long)]
    pub name: String,
    /// Where the model card or metadata JSON can be read
    #[arg(long, default_value = "")]
    pub uri: String,
    /// SHA-256 of the model artifact, as 64 hex digits
    #[arg(long, conflicts_with = "content_file")]
    pub content_hash: Option<String>,
    /// The artifact itself, hashed with SHA-256
    #[arg(long)]
    pub content_file: Option<std::path::PathBuf>,
    /// Payment mint of the model's royalties
    #[arg(long)]
    pub mint: Pubkey,
    /// Share of each payment split by per-call attribution, in basis points
    #[arg(long, default_value_t = 3_000)]
    pub attribution_bps: u16,
    /// A parent as MODEL:GRANT (repeat for several, at most 8)
    #[arg(long = "parent", value_parser = parse_parent)]
    pub parents: Vec<ParentGrant>,
}

fn parse_parent(text: &str) -> Result<ParentGrant, String> {
    let (model, grant) = text.split_once(':').ok_or("expected MODEL:GRANT")?;
    Ok(ParentGrant {
        model: model
            .parse()
            .map_err(|_| format!("not a public key: {model}"))?,
        grant: grant
            .parse()
            .map_err(|_| format!("not a public key: {grant}"))?,
    })
}

pub fn id_from_text(text: &str) -> [u8; 32] {
    pda::model_id_from_text(text)
}

pub async fn execute(session: &Session, command: ModelCommand) -> Result<()> {
    match command {
        ModelCommand::Register(args) => register(session, args).await,
        ModelCommand::Show { model } => show(session, &model).await,
        ModelCommand::List => list(session).await,
        ModelCommand::TransferAuthority { model, to } => {
            let instruction = ix::transfer_model_authority(&session.wallet.pubkey(), &model, to);
            let outcome = session.send(&[instruction], &[&session.wallet]).await?;
            let proposed = to.map(|key| key.to_string());
            print_landed(
                session,
                &outcome,
                "Authority transfer proposed",
                serde_json::json!({ "model": model.to_string(), "pending_authority": proposed }),
            );
            Ok(())
        }
        ModelCommand::ClaimUnallocated { model, to } => {
            claim_unallocated(session, &model, to).await
        }
        ModelCommand::ExtendBook { model, entries } => {
            let instruction = ix::extend_royalty_book(&session.wallet.pubkey(), &model, entries);
            let outcome = session.send(&[instruction], &[&session.wallet]).await?;
            let book = match &outcome {
                Some(_) => Some(session.client.royalty_book(&model).await?.entry_count),
                None => None,
            };
            print_landed(
                session,
                &outcome,
                "Royalty book extended",
                serde_json::json!({ "model": model.to_string(), "entries": book }),
            );
            Ok(())
        }
        ModelCommand::AcceptAuthority { model } => {
            let instruction = ix::accept_model_authority(&session.wallet.pubkey(), &model);
            let outcome = session.send(&[instruction], &[&session.wallet]).await?;
            print_landed(
                session,
                &outcome,
                "Authority accepted",
                serde_json::json!({ "model": model.to_string(), "authority": session.wallet.pubkey().to_string() }),
            );
            Ok(())
        }
    }
}

/// The authority withdraws the model's unallocated balance.
async fn claim_unallocated(session: &Session, model: &Pubkey, to: Option<Pubkey>) -> Result<()> {
    let accounts = session.client.model_accounts(model).await?;
    let me = session.wallet.pubkey();
    let destination =
        to.unwrap_or_else(|| model_ledger_sdk::client::associated_token(&me, &accounts));
    let mut instructions = Vec::new();
    if to.is_none() {
        instructions.push(anchor_spl::associated_token::spl_associated_token_account::instruction::create_associated_token_account_idempotent(
            &session.client.fee_payer.pubkey(),
            &me,
            &accounts.payment_mint,
            &accounts.token_program,
        ));
    }
    instructions.push(ix::claim_unallocated(&me, &accounts, &destination));
    let outcome = session.send(&instructions, &[&session.wallet]).await?;
    let amount = outcome.as_ref().and_then(|outcome| {
        outcome.events.iter().find_map(|event| match event {
            model_ledger_sdk::events::LedgerEvent::UnallocatedClaimed(event) => Some(event.amount),
            _ => None,
        })
    });
    let decimals = session.model_decimals(model).await?;
    print_landed(
        session,
        &outcome,
        "Unallocated balance withdrawn",
        crate::output::with_ui_amounts(
            serde_json::json!({ "model": model.to_string(), "amount": amount.unwrap_or(0), "destination": destination.to_string() }),
            &["amount"],
            decimals,
        ),
    );
    Ok(())
}

async fn register(session: &Session, args: RegisterArgs) -> Result<()> {
    let content_hash = match (&args.content_hash, &args.content_file) {
        (Some(hash), _) => parse_hash(hash)?,
        (None, Some(path)) => Sha256::digest(
            std::fs::read(path)
                .map_err(|error| anyhow!("cannot read {}: {error}", path.display()))?,
        )
        .into(),
        (None, None) => anyhow::bail!("give the artifact's --content-hash or --content-file"),
    };
    let mint = session
        .client
        .connection
        .get_account(&args.mint)
        .await?
        .ok_or_else(|| anyhow!("mint {} does not exist", args.mint))?;
    let model_id = id_from_text(&args.id);
    let authority = session.wallet.pubkey();
    let model = pda::model(&authority, &model_id).0;
    let instruction = ix::register_derived_model(
        &authority,
        &args.mint,
        &mint.owner,
        RegisterModelArgs {
            model_id,
            name: args.name.clone(),
            metadata_uri: args.uri,
            content_hash,
            attribution_bps: args.attribution_bps,
        },
        &args.parents,
    );
    let freeze_authority = freeze_authority(&args.mint, &mint.data)?;
    if let Some(freezer) = freeze_authority {
        // Trust stated, not hidden: most stablecoins keep a freeze authority,
        // so the program accepts them, and the registrant hears it here.
        eprintln!(
            "warning: mint {} has a freeze authority, {freezer}: it can freeze this model's vault and stop every claim",
            args.mint
        );
    }
    let outcome = session.send(&[instruction], &[&session.wallet]).await?;
    print_landed(
        session,
        &outcome,
        "Model registered",
        serde_json::json!({ "model": model.to_string(), "name": args.name, "model_id": hex(&model_id), "parents": args.parents.len(), "freeze_authority": freeze_authority.map(|key| key.to_string()) }),
    );
    Ok(())
}

/// The freeze authority of a legacy or Token-2022 mint, from its base state.
fn freeze_authority(address: &Pubkey, data: &[u8]) -> Result<Option<Pubkey>> {
    use anchor_spl::token_2022::spl_token_2022::{extension::StateWithExtensions, state::Mint};
    let mint = StateWithExtensions::<Mint>::unpack(data)
        .map_err(|error| anyhow!("{address} is not a token mint: {error}"))?;
    Ok(mint.base.freeze_authority.into())
}

/// Every model on the cluster: a program-account scan on RPC, the ledger's
/// accounts on the embedded cluster.
pub async fn list_models(session: &Session) -> Result<Vec<(Pubkey, Model)>> {
    let mut models = Vec::new();
    if let Some(embedded) = session.embedded() {
        for address in embedded.addresses() {
            if let Some(account) = session.client.connection.get_account(address).await? {
                if account.owner == model_ledger::ID
                    && account.data.starts_with(Model::DISCRIMINATOR)
                {
                    models.push((*address, decode::<Model>(address, &account)?));
                }
            }
        }
    } else if let Some(rpc) = session.client.connection.rpc() {
        let accounts = rpc
            .0
            .get_program_accounts(&model_ledger::ID)
            .await
            .map_err(anyhow::Error::from)?;
        for (address, account) in accounts {
            if account.data.starts_with(Model::DISCRIMINATOR) {
                models.push((address, decode::<Model>(&address, &account)?));
            }
        }
    }
    models.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    Ok(models)
}

/// (address, name, authority, contributions, parents) of every model: from
/// the index when one is configured, else from the chain.
async fn model_rows(session: &Session) -> Result<Vec<(String, String, String, u64, u64)>> {
    let indexed = crate::index::lookup(&session.global, |indexer| {
        Ok(model_ledger_indexer::query::models(indexer.sql())?)
    })?;
    if let Some(models) = indexed {
        let mut rows: Vec<_> = models
            .into_iter()
            .map(|m| (m.address, m.name, m.authority, m.contributions, m.parents))
            .collect();
        rows.sort_by(|a, b| a.1.cmp(&b.1));
        return Ok(rows);
    }
    let mut rows = Vec::new();
    for (address, model) in list_models(session).await? {
        let contributions = session.client.next_contribution_index(&address).await?;
        rows.push((
            address.to_string(),
            model.name,
            model.authority.to_string(),
            u64::from(contributions),
            model.parents.len() as u64,
        ));
    }
    Ok(rows)
}

async fn list(session: &Session) -> Result<()> {
    let models = model_rows(session).await?;
    let json: Vec<_> = models
        .iter()
        .map(|(address, name, authority, contributions, parents)| serde_json::json!({ "model": address, "name": name, "authority": authority, "contributions": contributions, "parents": parents }))
        .collect();
    session.output.print(serde_json::Value::Array(json), || {
        if models.is_empty() {
            return "No models.".into();
        }
        models
            .iter()
            .map(|(address, name, _, contributions, parents)| {
                format!("{address}  {name:<24} {contributions} contributions, {parents} parents")
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

async fn show(session: &Session, address: &Pubkey) -> Result<()> {
    let view = session.client.model_view(address).await?;
    let book = session.client.royalty_book(address).await?;
    let lineage = session.client.lineage(address).await?;
    let model = &view.model;
    let earnings = session.client.model_earnings(&view).await?;
    let decimals = book.payment_decimals;
    let mut contributions = Vec::new();
    for ((key, contribution), earning) in view.contributions.iter().zip(&earnings) {
        contributions.push(with_ui_amounts(
            serde_json::json!({
                "index": contribution.index,
                "address": key.to_string(),
                "contributor": contribution.contributor.to_string(),
                "kind": format!("{:?}", contribution.kind),
                "status": format!("{:?}", contribution.status),
                "shares": contribution.shares,
                "uri": contribution.uri,
                "claimable": earning.claimable,
                "claimed": earning.claimed,
            }),
            &["claimable", "claimed"],
            decimals,
        ));
    }
    let licenses: Vec<_> = view
        .licenses
        .iter()
        .map(|(key, license)| {
            serde_json::json!({
                "version": license.license_version,
                "address": key.to_string(),
                "retired": license.is_retired(),
                "summary": super::license::summary(&license.terms, decimals),
            })
        })
        .collect();
    let ancestry: Vec<_> = lineage
        .iter()
        .map(|link| serde_json::json!({ "depth": link.depth, "child": link.child.to_string(), "parent": link.link.model.to_string(), "license": link.link.license.to_string(), "royalty_bps": link.link.derivative_bps }))
        .collect();
    let json = with_ui_amounts(
        serde_json::json!({
            "model": address.to_string(),
            "name": model.name,
            "authority": model.authority.to_string(),
            "pending_authority": model.pending_authority.map(|key| key.to_string()),
            "metadata_uri": model.metadata_uri,
            "content_hash": hex(&model.content_hash),
            "payment_mint": model.payment_mint.to_string(),
            "attribution_bps": model.attribution_bps,
            "proposal_policy": model_ledger::state::ProposalPolicy::from_byte(book.proposal_policy)
                .map(model_ledger::state::ProposalPolicy::name),
            "total_shares": book.total_shares,
            "accepted_count": book.accepted_count,
            "licenses": licenses,
            "contributions": contributions,
            "lineage": ancestry,
            "vault_received": book.total_received(),
            "vault_paid_out": book.total_paid_out(),
            "unallocated": book.unallocated,
            "protocol_fees_owed": book.owed_protocol,
        }),
        &[
            "vault_received",
            "vault_paid_out",
            "unallocated",
            "protocol_fees_owed",
        ],
        decimals,
    );
    session.output.print(json.clone(), || {
        let mut text = format!(
            "Model {}  ({address})\n  authority {}\n  content {}\n  metadata {}\n  attribution {} bps, {} shares\n",
            model.name, model.authority, hex(&model.content_hash), model.metadata_uri, model.attribution_bps, book.total_shares
        );
        text.push_str("Licences:\n");
        for license in &view.licenses {
            text.push_str(&format!(
                "  v{}{}: {}\n",
                license.1.license_version,
                if license.1.is_retired() { " (retired)" } else { "" },
                super::license::summary(&license.1.terms, decimals)
            ));
        }
        text.push_str("Contributions:\n");
        for (value, (_, contribution)) in json["contributions"].as_array().unwrap_or(&Vec::new()).iter().zip(&view.contributions) {
            let accepted = contribution.status == ContributionStatus::Accepted;
            text.push_str(&format!(
                "  #{:<4} {:<10} {:<9} shares {:<8} claimable {} {}\n",
                contribution.index,
                format!("{:?}", contribution.kind),
                format!("{:?}", contribution.status),
                if accepted { contribution.shares.to_string() } else { "-".into() },
                value["claimable_ui"].as_str().unwrap_or("?"),
                contribution.contributor
            ));
        }
        text.push_str("Lineage:\n");
        if lineage.is_empty() {
            text.push_str("  (root model)\n");
        }
        for link in &lineage {
            text.push_str(&format!(
                "  {}└─ {} via licence {} at {} bps\n",
                "   ".repeat(link.depth - 1),
                link.link.model,
                link.link.license,
                link.link.derivative_bps
            ));
        }
        text.push_str(&format!(
            "Vault: received {} paid out {} unallocated {} (tokens)",
            tokens(book.total_received(), decimals),
            tokens(book.total_paid_out(), decimals),
            tokens(book.unallocated, decimals)
        ));
        text
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use anchor_spl::token::spl_token::state::Mint;
    use solana_sdk::{program_option::COption, program_pack::Pack};

    use super::*;

    #[test]
    fn a_mints_freeze_authority_is_named_and_garbage_is_refused_by_address() {
        let freezer = Pubkey::new_unique();
        let mut data = vec![0; Mint::LEN];
        Mint::pack(
            Mint {
                is_initialized: true,
                decimals: 6,
                freeze_authority: COption::Some(freezer),
                ..Mint::default()
            },
            &mut data,
        )
        .unwrap();
        let address = Pubkey::new_unique();
        assert_eq!(freeze_authority(&address, &data).unwrap(), Some(freezer));
        let error = freeze_authority(&address, &[1, 2, 3])
            .unwrap_err()
            .to_string();
        assert!(error.contains(&address.to_string()), "{error}");
    }
}
