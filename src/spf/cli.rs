//! `mailsleuth spf`: SPF verdict, trace and lint for a domain.

use std::process::ExitCode;

use crate::cli::Env;

#[derive(Debug, clap::Args)]
pub struct SpfArgs {
    /// Arguments to be defined by this module's issue.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<String>,
}

pub async fn run(args: SpfArgs, env: &Env) -> ExitCode {
    let _ = (args, env);
    eprintln!("mailsleuth spf: not available yet");
    crate::cli::exit::USAGE.into()
}
