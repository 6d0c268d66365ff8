//! `mailsleuth bounce`: read bounce messages (a file, a maildir or an mbox).

use std::process::ExitCode;

use crate::cli::Env;

#[derive(Debug, clap::Args)]
pub struct BounceArgs {
    /// Arguments to be defined by this module's issue.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<String>,
}

pub async fn run(args: BounceArgs, env: &Env) -> ExitCode {
    let _ = (args, env);
    eprintln!("mailsleuth bounce: not available yet");
    crate::cli::exit::USAGE.into()
}
