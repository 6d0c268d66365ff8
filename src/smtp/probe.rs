//! The probe: connect, greet, EHLO, STARTTLS, AUTH, MAIL FROM, RCPT TO (and DATA on
//! request), one command at a time, against each target in order until one answers.

use std::time::Instant;

use serde::Serialize;

use super::auth::{self, Mechanism};
use super::client::{FailKind, Failure, Secret, Session, SessionConfig, Step};
use super::reply_reader::RawReply;
use super::stage::Stage;
use super::target::{self, Family, Target, TargetError};
use super::tls::TlsInfo;
use super::transcript::{Dir, Line};
use crate::dns::Resolver;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// STARTTLS when the server offers it, plain text otherwise.
    #[default]
    Auto,
    /// STARTTLS required.
    Starttls,
    /// TLS from the first byte (port 465).
    Implicit,
    /// Plain text only.
    None,
}

impl TlsMode {
    /// RFC 8314: 465 implicit TLS; 587 submission with STARTTLS; 25 relay.
    pub fn default_port(self, submission: bool) -> u16 {
        match self {
            TlsMode::Implicit => 465,
            TlsMode::Starttls => 587,
            TlsMode::Auto if submission => 587,
            _ => 25,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum QuitAfter {
    Mail,
    #[default]
    Rcpt,
    Data,
}

#[derive(Debug, Clone)]
pub struct Auth {
    pub user: String,
    pub secret: Secret,
    pub mechanism: Option<Mechanism>,
}

/// What to do in a session.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Reverse path; empty for the null sender `<>`.
    pub from: String,
    pub to: String,
    pub tls: TlsMode,
    pub tls_insecure: bool,
    pub auth: Option<Auth>,
    pub helo: String,
    /// A message to send after RCPT TO (`--data`).
    pub data: Option<Vec<u8>>,
    pub quit_after: QuitAfter,
    pub cfg: SessionConfig,
}

/// How a session ended.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Verdict {
    /// Every step up to `after` was accepted.
    Accepted { after: Stage },
    /// The server said no (4xx/5xx) at `stage`.
    Rejected { stage: Stage, reply: RawReply, parsed: crate::reply::Reply },
    /// We could not complete `stage` (timeout, closed, garbage, TLS, ...).
    Failed { stage: Stage, error: String, failure: Failure },
}

impl Verdict {
    pub fn stage(&self) -> Stage {
        match self {
            Verdict::Accepted { after } => *after,
            Verdict::Rejected { stage, .. } | Verdict::Failed { stage, .. } => *stage,
        }
    }
    pub fn exit_code(&self) -> u8 {
        match self {
            Verdict::Accepted { .. } => crate::cli::exit::OK,
            _ => self.stage().exit_code(),
        }
    }
    fn from_failure(f: Failure) -> Verdict {
        match &f.kind {
            FailKind::Rejected { reply } => Verdict::Rejected { stage: f.stage, reply: reply.clone(), parsed: reply.parsed() },
            _ => Verdict::Failed { stage: f.stage, error: f.message(), failure: f },
        }
    }
}

/// One session with one address.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub target: Target,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsInfo>,
    /// EHLO keywords after the last EHLO.
    pub ehlo: Vec<String>,
    pub steps: Vec<Step>,
    pub transcript: Vec<Line>,
    pub elapsed_ms: f64,
}

impl Attempt {
    /// Worth trying the next address: nothing was said about the sender or recipient yet.
    pub fn try_next(&self) -> bool {
        match &self.verdict {
            Verdict::Accepted { .. } => false,
            Verdict::Rejected { stage, .. } => *stage <= Stage::Greeting,
            Verdict::Failed { stage, failure, .. } => {
                *stage <= Stage::Greeting || matches!(failure.kind, FailKind::Timeout { .. } | FailKind::Io { .. } | FailKind::BadReply { .. }) && *stage <= Stage::Starttls
            }
        }
    }
}

fn mail_from(from: &str) -> String {
    format!("MAIL FROM:<{from}>")
}

/// One full session with one target.
pub async fn session(t: &Target, spec: &Spec) -> Attempt {
    let start = Instant::now();
    let mut s = match Session::connect(t.addr, spec.cfg.clone(), start).await {
        Ok(s) => s,
        Err((f, log)) => {
            return Attempt {
                target: t.clone(),
                verdict: Verdict::from_failure(f),
                tls: None,
                ehlo: vec![],
                steps: log.steps,
                transcript: log.transcript.lines,
                elapsed_ms: ms(start),
            };
        }
    };
    let verdict = match run_steps(&mut s, t, spec).await {
        Ok(after) => {
            s.close(after != Stage::EndOfData).await;
            Verdict::Accepted { after }
        }
        Err(f) => {
            // After a rejection the connection is still good: end it politely.
            if matches!(f.kind, FailKind::Rejected { .. }) && f.stage > Stage::Greeting {
                s.close(f.stage >= Stage::MailFrom).await;
            }
            Verdict::from_failure(f)
        }
    };
    let tls_note = s.tls.is_some();
    s.log.transcript.push(Dir::Event, tls_note, format!("session ended: {}", describe(&verdict)));
    Attempt { target: t.clone(), verdict, tls: s.tls.clone(), ehlo: s.ehlo.clone(), steps: s.log.steps, transcript: s.log.transcript.lines, elapsed_ms: ms(start) }
}

pub fn describe(v: &Verdict) -> String {
    match v {
        Verdict::Accepted { after } => format!("accepted up to {after}"),
        Verdict::Rejected { stage, reply, .. } => format!("rejected at {stage}: {}", reply.wire_lines().join(" / ")),
        Verdict::Failed { error, .. } => format!("failed at {error}"),
    }
}

fn ms(start: Instant) -> f64 {
    (start.elapsed().as_secs_f64() * 10000.0).round() / 10.0
}

fn check_trust(info: &TlsInfo, spec: &Spec) -> Result<(), Failure> {
    if info.trusted || spec.tls_insecure {
        return Ok(());
    }
    Err(Failure::new(Stage::Starttls, FailKind::Untrusted { error: info.trust_error.clone().unwrap_or_default() }))
}

async fn run_steps(s: &mut Session, t: &Target, spec: &Spec) -> Result<Stage, Failure> {
    if spec.tls == TlsMode::Implicit {
        let info = s.handshake(&t.host).await?;
        check_trust(&info, spec)?;
    }
    s.greeting().await?;
    s.ehlo(&spec.helo).await?;
    if matches!(spec.tls, TlsMode::Auto | TlsMode::Starttls) {
        if s.ehlo_has("STARTTLS").is_some() {
            let info = s.starttls(&t.host).await?;
            check_trust(&info, spec)?;
            s.ehlo(&spec.helo).await?;
        } else if spec.tls == TlsMode::Starttls {
            return Err(Failure::new(Stage::Starttls, FailKind::Unsupported { what: "the server does not offer STARTTLS (not in its EHLO reply)".into() }));
        }
    }
    if let Some(a) = &spec.auth {
        let offered = auth::offered(s);
        let mech = auth::choose(a.mechanism, &offered).map_err(|what| Failure::new(Stage::Auth, FailKind::Unsupported { what }))?;
        auth::authenticate(s, mech, &a.user, &a.secret).await?;
    }
    s.expect(Stage::MailFrom, &mail_from(&spec.from), &mail_from(&spec.from)).await?;
    if spec.quit_after == QuitAfter::Mail {
        return Ok(Stage::MailFrom);
    }
    let rcpt = format!("RCPT TO:<{}>", spec.to);
    s.expect(Stage::RcptTo, &rcpt, &rcpt).await?;
    match &spec.data {
        Some(msg) => {
            s.data(msg).await?;
            Ok(Stage::EndOfData)
        }
        None if spec.quit_after == QuitAfter::Data => {
            let msg = test_message(&spec.from, &spec.to, &spec.helo);
            s.data(&msg).await?;
            Ok(Stage::EndOfData)
        }
        None => Ok(Stage::RcptTo),
    }
}

/// A small test message with Date and Message-ID (RFC 5322 §3.6).
pub fn test_message(from: &str, to: &str, helo: &str) -> Vec<u8> {
    let now = chrono::Utc::now();
    let id: u64 = rand::random();
    let from = if from.is_empty() { "<>".to_string() } else { format!("<{from}>") };
    format!(
        "From: {from}\r\nTo: <{to}>\r\nSubject: mailsleuth probe test message\r\nDate: {}\r\nMessage-ID: <{id:016x}.mailsleuth@{helo}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThis is a test message sent by mailsleuth probe --data.\r\nIt can be deleted.\r\n",
        now.to_rfc2822()
    )
    .into_bytes()
}

/// Where the targets came from.
#[derive(Debug, Clone, Serialize)]
pub struct Resolution {
    /// "server" or "mx".
    pub source: &'static str,
    pub query: String,
    pub evidence: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<TargetError>,
}

/// Every attempt of one probe, and the attempt that decides.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub from: String,
    pub to: String,
    pub resolution: Resolution,
    pub attempts: Vec<Attempt>,
    pub elapsed_ms: f64,
}

impl Run {
    /// The deciding attempt: the last one made.
    pub fn decisive(&self) -> Option<&Attempt> {
        self.attempts.last()
    }
    pub fn exit_code(&self) -> u8 {
        match (&self.resolution.error, self.decisive()) {
            (_, Some(a)) => a.verdict.exit_code(),
            (Some(e), None) if e.is_dns_failure() => crate::cli::exit::INCOMPLETE,
            _ => crate::cli::exit::SMTP_CONNECT,
        }
    }
}

/// Where to connect: explicit server or MX of `mx_domain`.
pub enum Where<'a> {
    Server { host: &'a str, port: u16 },
    Mx { domain: &'a str, port: u16 },
}

/// Resolve, then try each target in order until one gives an answer.
pub async fn run(resolver: &Resolver, place: Where<'_>, family: Family, spec: &Spec) -> Run {
    let start = Instant::now();
    let (targets, resolution) = match place {
        Where::Server { host, port } => {
            let (r, evidence) = target::server_targets(resolver, host, port, family).await;
            (r.clone(), Resolution { source: "server", query: format!("{host}:{port}"), evidence, error: r.err() })
        }
        Where::Mx { domain, port } => {
            let (r, evidence) = target::mx_targets(resolver, domain, port, family).await;
            (r.clone(), Resolution { source: "mx", query: domain.to_string(), evidence, error: r.err() })
        }
    };
    let mut attempts = Vec::new();
    for t in targets.unwrap_or_default() {
        let a = session(&t, spec).await;
        let next = a.try_next();
        attempts.push(a);
        if !next {
            break;
        }
    }
    Run { from: spec.from.clone(), to: spec.to.clone(), resolution, attempts, elapsed_ms: ms(start) }
}

/// The sender-verify callout receivers run (Postfix reject_unverified_sender, Exim
/// verify = sender/callout): at the sender domain's MX, `MAIL FROM:<>` then `RCPT TO:<sender>`.
pub async fn callout(resolver: &Resolver, sender: &str, port: u16, family: Family, helo: &str, cfg: SessionConfig) -> Run {
    let domain = sender.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
    let spec = Spec {
        from: String::new(),
        to: sender.to_string(),
        tls: TlsMode::Auto,
        // Receivers' callouts use opportunistic TLS: an untrusted certificate is reported, not fatal.
        tls_insecure: true,
        auth: None,
        helo: helo.to_string(),
        data: None,
        quit_after: QuitAfter::Rcpt,
        cfg,
    };
    if domain.is_empty() {
        return Run {
            from: String::new(),
            to: sender.to_string(),
            resolution: Resolution { source: "mx", query: String::new(), evidence: vec![], error: Some(TargetError::Bad(format!("{sender:?} has no domain"))) },
            attempts: vec![],
            elapsed_ms: 0.0,
        };
    }
    run(resolver, Where::Mx { domain, port }, family, &spec).await
}
