//! SMTP probe: client, transcript, stage that rejected, sender-verify callout.
//! (Issue #5.) The reply reader, client and TLS facts are the transport; `probe` runs
//! sessions against targets; `explain` turns outcomes into findings.

pub mod auth;
pub mod cli;
pub mod client;
pub mod explain;
mod md5;
pub mod probe;
pub mod redact;
pub mod reply_reader;
pub mod stage;
pub mod target;
pub mod tls;
pub mod transcript;

use crate::diagnose::Context;
use crate::finding::{Finding, Severity};

pub use stage::Stage;

/// The port MX hosts are reached on: 25, or MAILSLEUTH_MX_PORT (for test labs whose
/// "remote" MX listens elsewhere).
pub fn mx_port() -> u16 {
    std::env::var("MAILSLEUTH_MX_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(25)
}

/// The EHLO name when none is given: this host's name if fully qualified.
pub fn default_helo() -> String {
    let h = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let h = h.trim();
    if h.contains('.') { h.to_string() } else { "localhost.localdomain".to_string() }
}

/// The bare address out of what a user typed (`"Name" <a@b>`, `<a@b>`, `a@b`).
pub fn bare_address(raw: &str) -> String {
    let raw = raw.trim();
    match (raw.rfind('<'), raw.rfind('>')) {
        (Some(i), Some(j)) if i < j => raw[i + 1..j].trim().to_string(),
        _ => raw.to_string(),
    }
}

fn domain_of(addr: &str) -> String {
    addr.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_default()
}

/// Run the sender-verify callout when a reply says the sender could not be verified.
async fn callout_if_unverified(ctx: &Context, cause: Option<explain::Cause>, sender: &str) -> Vec<Finding> {
    if cause != Some(explain::Cause::UnverifiedSender) || !sender.contains('@') {
        return Vec::new();
    }
    // Only where the caller allows live SMTP (never in scenarios, replays, offline worlds).
    if let Err(why) = crate::diagnose::live::callout_allowed(ctx, sender, mx_port()).await {
        return vec![crate::diagnose::live::not_run(sender, &why)];
    }
    let cfg = client::SessionConfig { timeouts: client::Timeouts { total: std::time::Duration::from_secs(30), ..Default::default() }, ..Default::default() };
    let helo = ctx.helo.clone().unwrap_or_else(default_helo);
    let run = probe::callout(&ctx.resolver, sender, mx_port(), target::Family::Any, &helo, cfg).await;
    explain::callout_findings(&run, sender)
}

/// The findings this module contributes to `mailsleuth diagnose`: with a pasted reply
/// that says the sender could not be verified, the callout the receiver ran, run again.
/// (With `--smtp`, `probe_for_diagnosis` has done the work already.)
pub async fn diagnose(ctx: &Context) -> Vec<Finding> {
    if ctx.smtp_server.is_some() {
        return Vec::new();
    }
    let Some(reply) = &ctx.reply else { return Vec::new() };
    let cause = explain::classify(reply, None);
    callout_if_unverified(ctx, cause, &bare_address(&ctx.sender_raw)).await
}

/// What a live probe run by `diagnose --smtp` observed.
#[derive(Debug, Clone, Default)]
pub struct ProbeOutcome {
    /// The rejecting reply, if the server rejected; it feeds the ranking.
    pub reply: Option<crate::reply::Reply>,
    pub findings: Vec<Finding>,
    /// The redacted session transcript, one line per exchange, for the report and bundles.
    pub transcript: Vec<String>,
}

fn could_not(title: String) -> ProbeOutcome {
    ProbeOutcome { reply: None, findings: vec![Finding::new("smtp.unreachable", Severity::Unknown, title)], transcript: Vec::new() }
}

/// Run the probe that `diagnose --smtp` asks for (None when no server was given).
/// Runs before the other checks, because the reply it observes ranks them.
pub async fn probe_for_diagnosis(ctx: &Context) -> Option<ProbeOutcome> {
    let server = ctx.smtp_server.as_ref()?;
    let (host, port) = match target::parse_server(server) {
        Ok(hp) => hp,
        Err(e) => return Some(could_not(format!("--smtp: {e}"))),
    };
    let auth = match &ctx.smtp_auth_user {
        Some(user) => match auth::read_secret(user) {
            Ok(secret) => Some(probe::Auth { user: user.clone(), secret, mechanism: None }),
            Err(e) => return Some(could_not(format!("--smtp: {e}"))),
        },
        None => None,
    };
    let port = port.unwrap_or(probe::TlsMode::Auto.default_port(auth.is_some()));
    let sender = bare_address(&ctx.sender_raw);
    // Without a recipient, postmaster at the server's domain (RFC 5321 §4.5.1: must exist).
    let (to, quit_after) = match &ctx.recipient {
        Some(r) => (bare_address(r), probe::QuitAfter::Rcpt),
        None if host.parse::<std::net::IpAddr>().is_err() => (format!("postmaster@{}", host.split_once('.').map(|(_, d)| d).unwrap_or(&host)), probe::QuitAfter::Rcpt),
        None => (String::new(), probe::QuitAfter::Mail),
    };
    let spec = probe::Spec {
        from: sender.clone(),
        to,
        tls: probe::TlsMode::Auto,
        // Diagnosing the sender, as an MTA delivers (opportunistic TLS): an untrusted
        // certificate is reported and the session goes on to MAIL FROM and RCPT TO.
        tls_insecure: true,
        auth,
        helo: ctx.helo.clone().unwrap_or_else(default_helo),
        data: None,
        quit_after,
        cfg: client::SessionConfig { timeouts: client::Timeouts { total: std::time::Duration::from_secs(60), ..Default::default() }, ..Default::default() },
    };
    let run = probe::run(&ctx.resolver, probe::Where::Server { host: &host, port }, target::Family::Any, &spec).await;
    let subject = domain_of(&sender);
    let mut findings = explain::run_findings(&run, &subject);
    // Opportunistic STARTTLS between MTAs tolerates an untrusted certificate: in a
    // diagnosis it is context, not a cause (unless TLS is where the session stopped).
    if run.decisive().is_some_and(|a| a.verdict.stage() != Stage::Starttls) {
        for f in findings.iter_mut().filter(|f| f.id == "smtp.tls-untrusted") {
            f.severity = Severity::Info;
        }
    }
    let mut reply = None;
    if let Some(probe::Verdict::Rejected { stage, parsed, .. }) = run.decisive().map(|a| &a.verdict) {
        let cause = explain::classify(parsed, Some(*stage));
        findings.extend(callout_if_unverified(ctx, cause, &sender).await);
        reply = Some(parsed.clone());
    }
    let transcript = run
        .attempts
        .iter()
        .flat_map(|a| {
            let head = format!("=== {} [{}]", a.target.host, a.target.addr);
            std::iter::once(head).chain(a.transcript.iter().map(transcript::Line::render))
        })
        .collect();
    Some(ProbeOutcome { reply, findings, transcript })
}
