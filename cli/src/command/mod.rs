//! One module per subcommand, each with an `execute()`.

mod address;
mod airdrop;
mod attribute;
pub(crate) mod audit;
mod bench;
mod book_surplus;
mod claim;
mod collect_fees;
mod completions;
mod config;
mod contribution;
mod create_mint;
mod create_nonce;
mod demo;
mod dump;
mod earnings;
mod export;
mod gateway;
mod grant;
mod index;
mod init_config;
mod license;
mod meter;
mod mint_to;
mod model;
mod proposals;
mod prove;
mod sandbox;
mod serve;
mod settle;
mod submit;

use anyhow::Result;
use clap::Subcommand;

use crate::session::{GlobalArgs, Session};

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the end-to-end demo on a fresh embedded chain
    Demo(demo::DemoArgs),
    /// Measure transaction sizes, execution time and rent on a fresh embedded chain
    Bench(bench::BenchArgs),
    /// Initialise the protocol config (once, right after deploying)
    InitConfig(init_config::InitConfigArgs),
    /// Read and change the protocol config (the admin), take it over (the proposed admin)
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Print the wallet's address (whatever signs for it: a file, a seed phrase, a Ledger)
    Address(address::AddressArgs),
    /// SOL and a payment token held by the wallet or another address
    Balance(address::BalanceArgs),
    /// Create a test token mint with the wallet as mint authority
    CreateMint(create_mint::CreateMintArgs),
    /// Send SOL to a wallet (embedded: from the runtime's faucet; RPC: request an airdrop)
    Airdrop(airdrop::AirdropArgs),
    /// Mint test tokens (the wallet must be the mint authority)
    MintTo(mint_to::MintToArgs),
    /// Create a durable nonce account for offline signing
    CreateNonce(create_nonce::CreateNonceArgs),
    /// Register, inspect and hand over models
    #[command(subcommand)]
    Model(model::ModelCommand),
    /// Propose and decide contributions
    #[command(subcommand)]
    Contribution(contribution::ContributionCommand),
    /// Who may propose contributions to a model: open, allow-listed or closed
    #[command(subcommand)]
    Proposals(proposals::ProposalsCommand),
    /// Publish, retire and read licences
    #[command(subcommand)]
    License(license::LicenseCommand),
    /// Buy grants and name meter keys
    #[command(subcommand)]
    Grant(grant::GrantCommand),
    /// Record inference calls from a JSONL file (or stdin) in batches
    Meter(meter::MeterArgs),
    /// Meter an OpenAI-compatible inference server: every completed call attributed, journaled
    /// and recorded on chain, with a receipt for the caller
    Gateway(gateway::GatewayArgs),
    /// Prove one call against its recorded batch root
    Prove(prove::ProveArgs),
    /// A model's provenance in formats other tools read: SPDX 3.0.1 or a Hugging Face model card
    Export(export::ExportArgs),
    /// Settle what a model owes its parents (or its whole ancestry)
    Settle(settle::SettleArgs),
    /// Claim royalties of the wallet's contributions
    Claim(claim::ClaimArgs),
    /// Sweep the protocol fees a model has booked to the treasury (anyone may)
    CollectFees(collect_fees::CollectFeesArgs),
    /// Book tokens sent straight to a model's vault as a payment of the model (anyone may)
    BookSurplus(book_surplus::BookSurplusArgs),
    /// What the wallet has earned and can claim
    Earnings(earnings::EarningsArgs),
    /// Send a transaction signed elsewhere (from --sign-only)
    Submit(submit::SubmitArgs),
    /// Attribute outputs to the contributions whose data they used (and build the index)
    Attribute(attribute::AttributeArgs),
    /// Follow the program's events into the index database; `index verify` checks it against the chain
    Index(index::IndexArgs),
    /// Serve the explorer (web pages and a JSON API) on the index, following the chain
    Serve(serve::ServeArgs),
    /// Every account and event of an embedded ledger: bytes and decoded values (JSON), for
    /// checking another client's decoding
    Dump(dump::DumpArgs),
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell
    Completions(completions::CompletionsArgs),
}

pub async fn execute(command: Command, global: &GlobalArgs) -> Result<()> {
    match command {
        Command::Demo(args) => return demo::execute(args, global.output).await,
        Command::Bench(args) => return bench::execute(args, global.output).await,
        Command::Completions(args) => return completions::execute(args),
        Command::Attribute(args) if !args.reads_the_chain() => {
            return attribute::execute(args, global.output)
        }
        Command::Index(args) => return index::execute(args, global),
        Command::Serve(args) => return serve::execute(args, global).await,
        Command::Dump(args) => return dump::execute(args, global),
        _ => {}
    }
    let session = Session::open(global).await?;
    if global.sign_only {
        crate::output::hold();
    }
    let result = match command {
        Command::Demo(_)
        | Command::Bench(_)
        | Command::Completions(_)
        | Command::Index(_)
        | Command::Serve(_)
        | Command::Dump(_) => {
            unreachable!("handled above")
        }
        Command::InitConfig(args) => init_config::execute(&session, args).await,
        Command::Config(command) => config::execute(&session, command).await,
        Command::Address(args) => address::address(&session, args).await,
        Command::Balance(args) => address::balance(&session, args).await,
        Command::CreateMint(args) => create_mint::execute(&session, args).await,
        Command::Airdrop(args) => airdrop::execute(&session, args).await,
        Command::MintTo(args) => mint_to::execute(&session, args).await,
        Command::CreateNonce(args) => create_nonce::execute(&session, args).await,
        Command::Model(command) => model::execute(&session, command).await,
        Command::Contribution(command) => contribution::execute(&session, command).await,
        Command::License(command) => license::execute(&session, command).await,
        Command::Proposals(command) => proposals::execute(&session, command).await,
        Command::Grant(command) => grant::execute(&session, command).await,
        Command::Meter(args) => meter::execute(&session, args).await,
        Command::Gateway(args) => gateway::execute(&session, args).await,
        Command::Prove(args) => prove::execute(&session, args).await,
        Command::Attribute(args) => match args.command {
            Some(attribute::AttributeCommand::Audit(audit)) => {
                audit::execute(&session, audit).await
            }
            _ => unreachable!("handled above"),
        },
        Command::Export(args) => export::execute(&session, args).await,
        Command::Settle(args) => settle::execute(&session, args).await,
        Command::Claim(args) => claim::execute(&session, args).await,
        Command::CollectFees(args) => collect_fees::execute(&session, args).await,
        Command::BookSurplus(args) => book_surplus::execute(&session, args).await,
        Command::Earnings(args) => earnings::execute(&session, args).await,
        Command::Submit(args) => submit::execute(&session, args).await,
    };
    // Whatever landed before an error is real: save it either way.
    let closed = session.close().await;
    if global.sign_only {
        let signed = closed.as_deref().unwrap_or_default();
        crate::output::release(
            (result.is_ok() && !signed.is_empty())
                .then(|| crate::sign_only::document(global.output, signed)),
        );
    }
    result.and(closed.map(drop))
}

/// Prints the signature of a landed transaction (or nothing after --sign-only).
pub fn print_landed(
    session: &Session,
    outcome: &Option<model_ledger_sdk::client::TransactionOutcome>,
    what: &str,
    extra: serde_json::Value,
) {
    if let Some(outcome) = outcome {
        let mut json = extra.clone();
        json["signature"] = serde_json::Value::String(outcome.signature.to_string());
        session.output.print(json, || {
            // An amount shows once, in tokens; its base units are for JSON.
            let details = extra
                .as_object()
                .map(|fields| {
                    fields
                        .iter()
                        .filter(|(key, _)| !fields.contains_key(&format!("{key}_ui")))
                        .map(|(key, value)| match key.strip_suffix("_ui") {
                            Some(amount) => format!(
                                "\n  {amount}: {} tokens",
                                value.as_str().unwrap_or_default()
                            ),
                            None => format!(
                                "\n  {key}: {}",
                                value
                                    .as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| value.to_string())
                            ),
                        })
                        .collect::<String>()
                })
                .unwrap_or_default();
            format!("{what}{details}\n  signature: {}", outcome.signature)
        });
    }
}
