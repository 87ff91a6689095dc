//! Shell completion scripts, generated from the same definitions that parse
//! the command line, so they never drift from it.

use anyhow::Result;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::{output, Cli};

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for, e.g. `model-ledger completions bash > /etc/bash_completion.d/model-ledger`
    pub shell: Shell,
}

pub fn execute(args: CompletionsArgs) -> Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "model-ledger", &mut script);
    output::emit(String::from_utf8(script)?.trim_end());
    Ok(())
}
