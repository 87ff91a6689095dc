//! `model-ledger`: the command line for model hosts, contributors and wallets,
//! built entirely on the Model Ledger SDK.

mod cluster;
mod command;
mod embedded;
mod event_text;
mod failure;
mod files;
mod index;
mod output;
mod session;
mod shutdown;
mod sign_only;
mod signer;

use std::process::ExitCode;

use clap::Parser;

use crate::{command::Command, failure::Failure, output::OutputFormat, session::GlobalArgs};

#[derive(Parser, Debug)]
#[command(
    name = "model-ledger",
    version,
    about = "Provenance, licences and royalties for AI models on Solana"
)]
pub struct Cli {
    #[command(flatten, next_help_heading = "Global options")]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return refuse_usage(error),
    };
    output::reserve_stdout();
    match command::execute(cli.command, &cli.global).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let failure = Failure::of(&error);
            match cli.global.output {
                OutputFormat::Json => output::emit(
                    &serde_json::to_string_pretty(&failure.to_json()).expect("JSON value"),
                ),
                OutputFormat::Human => eprintln!("{}", failure.to_text()),
            }
            ExitCode::FAILURE
        }
    }
}

/// A command line that does not parse: clap's own message (and exit code
/// 2), or with `--output json` the same as a JSON error object.
fn refuse_usage(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let wants_json = std::env::args()
        .collect::<Vec<_>>()
        .windows(2)
        .any(|pair| pair[0] == "--output" && pair[1] == "json")
        || std::env::args().any(|arg| arg == "--output=json");
    let informational = matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if !wants_json || informational {
        error.exit();
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&Failure::usage(&error).to_json()).expect("JSON value")
    );
    ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every argument of every command says what it is in `--help`.
    #[test]
    fn every_argument_has_help_text() {
        fn undocumented(command: &clap::Command, path: &str, found: &mut Vec<String>) {
            for argument in command.get_arguments() {
                let id = argument.get_id().as_str();
                if id != "help" && id != "version" && argument.get_help().is_none() {
                    found.push(format!("{path} {id}"));
                }
            }
            for sub in command.get_subcommands() {
                if sub.get_about().is_none() {
                    found.push(format!("{path} {} (no about)", sub.get_name()));
                }
                undocumented(sub, &format!("{path} {}", sub.get_name()), found);
            }
        }
        let mut found = Vec::new();
        undocumented(&Cli::command(), "model-ledger", &mut found);
        assert!(found.is_empty(), "arguments without help: {found:#?}");
    }

    #[test]
    fn global_options_are_listed_apart() {
        let help = Cli::command().render_long_help().to_string();
        let global = help
            .find("Global options:")
            .expect("a Global options section");
        assert!(help[global..].contains("--keypair"), "{help}");
        assert!(help[global..].contains("--output"), "{help}");
    }
}
