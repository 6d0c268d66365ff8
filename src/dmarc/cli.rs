//! `mailsleuth dmarc`: the DMARC record and policy of a domain.

use std::process::ExitCode;

use crate::cli::Env;

#[derive(Debug, clap::Args)]
pub struct DmarcArgs {
    /// Arguments to be defined by this module's issue.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<String>,
}

pub async fn run(args: DmarcArgs, env: &Env) -> ExitCode {
    let _ = (args, env);
    eprintln!("mailsleuth dmarc: not available yet");
    crate::cli::exit::USAGE.into()
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Arguments to be defined by this module's issue.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<String>,
}

/// `mailsleuth verify MESSAGE.eml`: DKIM, SPF and DMARC for a real message.
pub async fn run_verify(args: VerifyArgs, env: &Env) -> ExitCode {
    let _ = (args, env);
    eprintln!("mailsleuth verify: not available yet");
    crate::cli::exit::USAGE.into()
}
