//! The command line: global options, the subcommands, and the environment they share.
//! Every subcommand's arguments and runner live beside the module that does the work.

pub mod diagnose;
pub mod exit;

use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::dns::{DnsConfig, Resolver, World};

#[derive(Debug, Parser)]
#[command(name = "mailsleuth", version, about = "Explains why a mail server rejects a sender address, with the evidence and the exact fix.")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// Use this DNS server (IP or IP:PORT) instead of the system resolver; repeatable.
    #[arg(long, global = true, value_name = "IP[:PORT]")]
    pub resolver: Vec<String>,
    /// Serve these zone files (a file or a folder) in-process and resolve only through them:
    /// an offline world in which every other name is NXDOMAIN.
    #[arg(long, global = true, value_name = "PATH", conflicts_with = "overlay")]
    pub zones: Option<PathBuf>,
    /// What-if: these zones override the real DNS for their names; everything else
    /// resolves normally. Test a record before you publish it.
    #[arg(long, global = true, value_name = "PATH")]
    pub overlay: Option<PathBuf>,
    /// Seconds to wait for one DNS answer.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 2.0)]
    pub dns_timeout: f64,
    /// Attempts per DNS server before a query counts as timed out.
    #[arg(long, global = true, value_name = "N", default_value_t = 2)]
    pub dns_attempts: usize,
    /// Show every DNS query with its outcome, TTL, time and server.
    #[arg(long, global = true)]
    pub trace_dns: bool,
    /// Machine-readable JSON on stdout (see docs/json.md).
    #[arg(long, global = true)]
    pub json: bool,
    /// Colour: auto (a terminal, and NO_COLOR unset), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Why is this sender rejected? Runs every relevant check and ranks the causes.
    Diagnose(diagnose::DiagnoseArgs),
    /// SPF verdict, evaluation trace and lint for a domain.
    Spf(crate::spf::cli::SpfArgs),
    /// DKIM key records of a domain (given or common selectors).
    Dkim(crate::dkim::cli::DkimArgs),
    /// The DMARC record and policy of a domain.
    Dmarc(crate::dmarc::cli::DmarcArgs),
    /// Verify a message: DKIM signatures, SPF, DMARC alignment.
    Verify(crate::dmarc::cli::VerifyArgs),
    /// A live SMTP session (EHLO, STARTTLS, AUTH, MAIL FROM, RCPT TO) that names the stage that rejected.
    Probe(crate::smtp::cli::ProbeArgs),
    /// Explain an SMTP reply or rejection text.
    Explain(crate::reply::cli::ExplainArgs),
    /// Read bounce messages (a file, a maildir or an mbox) and explain each failure.
    Bounce(crate::bounce::cli::BounceArgs),
    /// Report on a sending host: reverse DNS, HELO, blocklists.
    Host(crate::host::cli::HostArgs),
}

/// What every subcommand shares: DNS set-up and output preferences.
pub struct Env {
    pub global: GlobalArgs,
    pub color: bool,
}

/// A resolver plus the embedded world it may depend on (kept alive with it).
pub struct Dns {
    pub resolver: Resolver,
    pub world: Option<World>,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("--resolver {0}: not an IP address or IP:PORT")]
    BadResolver(String),
    #[error("--dns-timeout must be between 0.05 and 60 seconds")]
    BadTimeout,
    #[error("{0}")]
    World(#[from] crate::dns::world::WorldError),
    #[error("{0}")]
    Dns(#[from] crate::dns::DnsSetupError),
}

impl SetupError {
    /// Input errors are usage errors; an unusable resolver means the checks cannot run.
    pub fn exit_code(&self) -> u8 {
        match self {
            SetupError::Dns(_) => exit::INCOMPLETE,
            _ => exit::USAGE,
        }
    }
}

pub fn parse_server(s: &str) -> Option<SocketAddr> {
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa);
    }
    s.trim_matches(['[', ']']).parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, 53))
}

impl Env {
    pub fn new(global: GlobalArgs) -> Self {
        let color = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
            }
        };
        Env { global, color }
    }

    pub fn dns_config(&self) -> Result<DnsConfig, SetupError> {
        let t = self.global.dns_timeout;
        if !(0.05..=60.0).contains(&t) {
            return Err(SetupError::BadTimeout);
        }
        let servers = self
            .global
            .resolver
            .iter()
            .map(|s| parse_server(s).ok_or_else(|| SetupError::BadResolver(s.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(DnsConfig { servers, timeout: Duration::from_secs_f64(t), attempts: self.global.dns_attempts.clamp(1, 10) })
    }

    /// Build the resolver the flags ask for (starting the embedded world if needed).
    pub async fn dns(&self) -> Result<Dns, SetupError> {
        let cfg = self.dns_config()?;
        if let Some(path) = &self.global.zones {
            let world = World::start(path).await?;
            let resolver = Resolver::for_world(&world, &cfg)?;
            return Ok(Dns { resolver, world: Some(world) });
        }
        if let Some(path) = &self.global.overlay {
            let world = World::start(path).await?;
            let resolver = Resolver::overlay(&world, &cfg)?;
            return Ok(Dns { resolver, world: Some(world) });
        }
        Ok(Dns { resolver: Resolver::new(&cfg)?, world: None })
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { exit::OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mailsleuth: cannot start the async runtime: {e}");
            return ExitCode::from(exit::INCOMPLETE);
        }
    };
    let env = Env::new(cli.global);
    runtime.block_on(async move {
        match cli.command {
            Command::Diagnose(args) => diagnose::run(args, &env).await,
            Command::Spf(args) => crate::spf::cli::run(args, &env).await,
            Command::Dkim(args) => crate::dkim::cli::run(args, &env).await,
            Command::Dmarc(args) => crate::dmarc::cli::run(args, &env).await,
            Command::Verify(args) => crate::dmarc::cli::run_verify(args, &env).await,
            Command::Probe(args) => crate::smtp::cli::run(args, &env).await,
            Command::Explain(args) => crate::reply::cli::run(args, &env).await,
            Command::Bounce(args) => crate::bounce::cli::run(args, &env).await,
            Command::Host(args) => crate::host::cli::run(args, &env).await,
        }
    })
}
