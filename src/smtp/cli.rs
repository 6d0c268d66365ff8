//! `mailsleuth probe`: a live SMTP session that names the stage that rejected.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;

use super::auth::Mechanism;
use super::client::{SessionConfig, Timeouts};
use super::probe::{self, QuitAfter, Run, Spec, TlsMode, Verdict, Where};
use super::reply_reader::ReplyLimits;
use super::target::{self, Family};
use crate::cli::{exit, Env};
use crate::finding::Finding;
use crate::render::text::{self, Style};

/// Messages given to --data are small test messages.
const MAX_MESSAGE: u64 = 1024 * 1024;

#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    /// The server to probe (HOST[:PORT]); without it, the recipient domain's MX hosts in order.
    /// Default port: 25 (none/auto), 587 (starttls, or auto with --auth-user), 465 (implicit).
    #[arg(long, value_name = "HOST[:PORT]")]
    pub server: Option<String>,
    /// The sender (MAIL FROM). Use "" for the null sender.
    #[arg(long, value_name = "ADDR", required_unless_present = "callout")]
    pub from: Option<String>,
    /// The recipient (RCPT TO).
    #[arg(long, value_name = "ADDR", required_unless_present = "callout")]
    pub to: Option<String>,
    /// TLS: auto (STARTTLS when offered), starttls (required), implicit (port 465), none.
    /// An untrusted certificate stops the session unless --tls-insecure.
    #[arg(long, value_enum, default_value_t = TlsMode::Auto)]
    pub tls: TlsMode,
    /// Also trust the CA certificates in this PEM file (a private CA), besides webpki-roots.
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    /// Continue after an untrusted certificate (it is still reported), as MTAs do with
    /// opportunistic STARTTLS.
    #[arg(long)]
    pub tls_insecure: bool,
    /// Log in as this user. The password (or XOAUTH2 token) comes from MAILSLEUTH_SMTP_PASSWORD
    /// or an interactive prompt, never from the command line.
    #[arg(long, value_name = "USER")]
    pub auth_user: Option<String>,
    /// AUTH mechanism (default: the first of PLAIN, LOGIN, CRAM-MD5 the server offers).
    #[arg(long, value_enum, requires = "auth_user")]
    pub auth_mech: Option<Mechanism>,
    /// The EHLO name (default: this host's name when fully qualified).
    #[arg(long, value_name = "NAME")]
    pub helo: Option<String>,
    /// Send a message after RCPT TO: FILE, or a small generated test message.
    #[arg(long, value_name = "FILE", num_args = 0..=1)]
    pub data: Option<Option<PathBuf>>,
    /// Stop after this step (default rcpt: RSET and QUIT, nothing is sent).
    #[arg(long, value_enum)]
    pub quit_after: Option<QuitAfter>,
    /// IPv4 only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// IPv6 only.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// Sender-verify callout: MAIL FROM:<> + RCPT TO:<SENDER> at the sender domain's MX.
    #[arg(long, value_name = "SENDER")]
    pub callout: Option<String>,
    /// Port for MX hosts (default 25).
    #[arg(long, value_name = "PORT", env = "MAILSLEUTH_MX_PORT", default_value_t = 25)]
    pub mx_port: u16,
    /// Seconds to wait for the TCP connection.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub connect_timeout: f64,
    /// Seconds to wait for the greeting.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub greeting_timeout: f64,
    /// Seconds to wait for each command's reply (and the TLS handshake).
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub command_timeout: f64,
    /// Seconds to wait for the reply to the end of data.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub data_timeout: f64,
    /// Seconds for a whole session, whatever the step limits say.
    #[arg(long, value_name = "SECONDS", default_value_t = 120.0)]
    pub deadline: f64,
    /// Longest reply line accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 4096)]
    pub max_line: usize,
    /// Most lines accepted in one reply.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub max_lines: usize,
}

fn secs(name: &str, v: f64) -> Result<Duration, String> {
    if (0.01..=3600.0).contains(&v) { Ok(Duration::from_secs_f64(v)) } else { Err(format!("--{name} must be between 0.01 and 3600 seconds")) }
}

impl ProbeArgs {
    fn session_config(&self) -> Result<SessionConfig, String> {
        if !(64..=1 << 20).contains(&self.max_line) || !(1..=10_000).contains(&self.max_lines) {
            return Err("--max-line must be 64..1048576 and --max-lines 1..10000".into());
        }
        Ok(SessionConfig {
            timeouts: Timeouts {
                connect: secs("connect-timeout", self.connect_timeout)?,
                greeting: secs("greeting-timeout", self.greeting_timeout)?,
                command: secs("command-timeout", self.command_timeout)?,
                data_end: secs("data-timeout", self.data_timeout)?,
                total: secs("deadline", self.deadline)?,
            },
            limits: ReplyLimits { max_line: self.max_line, max_lines: self.max_lines, max_bytes: (self.max_line * self.max_lines).min(16 << 20) },
            extra_roots: std::sync::Arc::new(match &self.tls_ca {
                Some(path) => super::tls::load_pem_certs(path)?,
                None => Vec::new(),
            }),
        })
    }
    fn family(&self) -> Family {
        if self.ipv4 {
            Family::V4
        } else if self.ipv6 {
            Family::V6
        } else {
            Family::Any
        }
    }
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    schema_version: u32,
    command: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    probe: Option<&'a Run>,
    #[serde(skip_serializing_if = "Option::is_none")]
    callout: Option<&'a Run>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<super::Stage>,
    findings: &'a [Finding],
    exit_code: u8,
}

fn usage(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("mailsleuth probe: {msg}");
    ExitCode::from(exit::USAGE)
}

pub async fn run(args: ProbeArgs, env: &Env) -> ExitCode {
    let cfg = match args.session_config() {
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    let dns = match env.dns().await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("mailsleuth: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    let helo = args.helo.clone().unwrap_or_else(super::default_helo);
    let mut main_run = None;
    let mut findings = Vec::new();
    if let (Some(from), Some(to)) = (&args.from, &args.to) {
        let from = super::bare_address(from);
        let to = super::bare_address(to);
        let auth = match &args.auth_user {
            Some(user) => match super::auth::read_secret(user) {
                Ok(secret) => Some(probe::Auth { user: user.clone(), secret, mechanism: args.auth_mech }),
                Err(e) => return usage(e),
            },
            None => None,
        };
        let data = match &args.data {
            None => None,
            Some(None) => Some(probe::test_message(&from, &to, &helo)),
            Some(Some(path)) => match read_message(path) {
                Ok(m) => Some(m),
                Err(e) => return usage(e),
            },
        };
        let quit_after = args.quit_after.unwrap_or(if data.is_some() { QuitAfter::Data } else { QuitAfter::Rcpt });
        let spec = Spec { from: from.clone(), to: to.clone(), tls: args.tls, tls_insecure: args.tls_insecure, auth, helo: helo.clone(), data, quit_after, cfg: cfg.clone() };
        let place_owned;
        let place = match &args.server {
            Some(s) => {
                place_owned = match target::parse_server(s) {
                    Ok(hp) => hp,
                    Err(e) => return usage(e),
                };
                Where::Server { host: &place_owned.0, port: place_owned.1.unwrap_or(args.tls.default_port(spec.auth.is_some())) }
            }
            None => {
                let Some((_, domain)) = to.rsplit_once('@') else { return usage(format!("--to {to:?}: no domain to look up MX hosts for (or give --server)")) };
                Where::Mx { domain, port: args.mx_port }
            }
        };
        let r = probe::run(&dns.resolver, place, args.family(), &spec).await;
        findings.extend(super::explain::run_findings(&r, &super::domain_of(&from)));
        main_run = Some(r);
    }
    let callout_run = match &args.callout {
        Some(sender) => {
            let sender = super::bare_address(sender);
            let r = probe::callout(&dns.resolver, &sender, args.mx_port, args.family(), &helo, cfg).await;
            findings.extend(super::explain::callout_findings(&r, &sender));
            Some(r)
        }
        None => None,
    };
    let code = exit_code(main_run.as_ref(), callout_run.as_ref());
    let stage = main_run.as_ref().and_then(|r| r.decisive()).map(|a| a.verdict.stage());
    if env.global.json {
        crate::render::json::print(&JsonDoc {
            schema_version: crate::render::json::SCHEMA_VERSION,
            command: "probe",
            probe: main_run.as_ref(),
            callout: callout_run.as_ref(),
            stage,
            findings: &findings,
            exit_code: code,
        });
    } else {
        let style = Style { color: env.color };
        if let Some(r) = &main_run {
            print!("{}", render_run(style, "probe", r));
        }
        if let Some(r) = &callout_run {
            print!("{}", render_run(style, "sender-verify callout", r));
        }
        if !findings.is_empty() {
            println!("\n{}", style.heading("Findings"));
            for f in &findings {
                print!("{}", text::finding(style, f, "  "));
            }
        }
        if env.global.trace_dns {
            print!("{}", text::dns_log(style, &dns.resolver.log()));
        }
    }
    ExitCode::from(code)
}

/// The main probe decides; a callout alone decides by its own result.
fn exit_code(main: Option<&Run>, callout: Option<&Run>) -> u8 {
    if let Some(r) = main {
        return r.exit_code();
    }
    match callout {
        Some(r) => r.exit_code(),
        None => exit::USAGE,
    }
}

fn read_message(path: &PathBuf) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("--data {}: {e}", path.display()))?;
    if meta.len() > MAX_MESSAGE {
        return Err(format!("--data {}: larger than 1 MiB (the probe sends small test messages)", path.display()));
    }
    std::fs::read(path).map_err(|e| format!("--data {}: {e}", path.display()))
}

/// The human view: targets, each attempt's transcript, its verdict and step timings.
pub fn render_run(style: Style, title: &str, r: &Run) -> String {
    let mut out = String::new();
    let from = if r.from.is_empty() { "<>".to_string() } else { format!("<{}>", r.from) };
    out.push_str(&format!("{} {from} -> <{}>\n", style.bold(&format!("mailsleuth {title}")), r.to));
    out.push_str(&format!("{}\n", style.dim(&format!("targets from {} {}", r.resolution.source, r.resolution.query))));
    for e in &r.resolution.evidence {
        out.push_str(&format!("  {}\n", style.dim(e)));
    }
    if let Some(e) = &r.resolution.error {
        out.push_str(&format!("  {}\n", style.red(&e.to_string())));
    }
    for (i, a) in r.attempts.iter().enumerate() {
        let pref = a.target.mx_preference.map(|p| format!(" (MX {p})")).unwrap_or_default();
        out.push_str(&format!("\n{}\n", style.heading(&format!("attempt {}: {}{pref} {}", i + 1, a.target.host, a.target.addr))));
        let mut t = super::transcript::Transcript::new(std::time::Instant::now());
        t.lines = a.transcript.clone();
        out.push_str(&t.render());
        let verdict = probe::describe(&a.verdict);
        let line = match &a.verdict {
            Verdict::Accepted { .. } => style.green(&verdict),
            _ => style.red(&verdict),
        };
        out.push_str(&format!("{line}\n"));
        let timings: Vec<String> = a.steps.iter().map(|s| format!("{} {:.1} ms", if s.sent.as_deref() == Some("TLS handshake") { "TLS handshake".to_string() } else { s.stage.to_string() }, s.elapsed_ms)).collect();
        out.push_str(&format!("{}\n", style.dim(&format!("timings: {} (total {:.1} ms)", timings.join(", "), a.elapsed_ms))));
    }
    out
}
