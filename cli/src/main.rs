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
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
