//! `mailsleuth host`: the sending-host report for an IP.

use std::process::ExitCode;

use crate::cli::Env;

#[derive(Debug, clap::Args)]
pub struct HostArgs {
    /// Arguments to be defined by this module's issue.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<String>,
}

pub async fn run(args: HostArgs, env: &Env) -> ExitCode {
    let _ = (args, env);
    eprintln!("mailsleuth host: not available yet");
    crate::cli::exit::USAGE.into()
}
