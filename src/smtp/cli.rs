//! `mailsleuth probe`: a live SMTP session that names the stage that rejected.

use std::process::ExitCode;

use crate::cli::Env;

#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    /// Arguments to be defined by this module's issue.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<String>,
}

pub async fn run(args: ProbeArgs, env: &Env) -> ExitCode {
    let _ = (args, env);
    eprintln!("mailsleuth probe: not available yet");
    crate::cli::exit::USAGE.into()
}
