//! `model-ledger`: the command line for model hosts, contributors and wallets,
//! built entirely on the Model Ledger SDK.

mod cluster;
mod command;
mod embedded;
mod output;
mod session;

use std::process::ExitCode;

use clap::Parser;

use crate::{command::Command, session::GlobalArgs};

#[derive(Parser, Debug)]
#[command(
    name = "model-ledger",
    version,
    about = "Provenance, licences and royalties for AI models on Solana"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    output::reserve_stdout();
    match command::execute(cli.command, &cli.global).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}{}", hint(&error));
            ExitCode::FAILURE
        }
    }
}

/// A plain-words hint for failures users meet most.
fn hint(error: &anyhow::Error) -> &'static str {
    use model_ledger_sdk::SdkError;
    use solana_sdk::{instruction::InstructionError, transaction::TransactionError};
    match error.downcast_ref::<SdkError>() {
        // Code 1 of both the system and the token program: not enough to pay.
        Some(SdkError::Transaction(TransactionError::InstructionError(_, InstructionError::Custom(1))))
        | Some(SdkError::Transaction(TransactionError::InsufficientFundsForFee)) => {
            "\nhint: insufficient balance: a wallet lacks SOL or a token account lacks tokens (see `airdrop` and `mint-to`)"
        }
        Some(SdkError::Transaction(TransactionError::AccountNotFound)) => {
            "\nhint: the fee payer has no SOL on this cluster (see `airdrop`)"
        }
        _ => "",
    }
}
