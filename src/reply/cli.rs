//! `mailsleuth explain "TEXT"`: what a rejection reply means and what to run next.

use std::process::ExitCode;

use crate::cli::Env;

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// Arguments to be defined by this module's issue.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<String>,
}

pub async fn run(args: ExplainArgs, env: &Env) -> ExitCode {
    let _ = (args, env);
    eprintln!("mailsleuth explain: not available yet");
    crate::cli::exit::USAGE.into()
}
