//! `mailsleuth dkim`: DKIM key records for a domain.

use std::process::ExitCode;

use crate::cli::Env;

#[derive(Debug, clap::Args)]
pub struct DkimArgs {
    /// Arguments to be defined by this module's issue.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<String>,
}

pub async fn run(args: DkimArgs, env: &Env) -> ExitCode {
    let _ = (args, env);
    eprintln!("mailsleuth dkim: not available yet");
    crate::cli::exit::USAGE.into()
}
