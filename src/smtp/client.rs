//! The SMTP client: one command at a time (no pipelining), so every reply belongs to
//! exactly one stage. Every wait is bounded by the step's timeout and by the session's
//! total deadline; every read goes through the bounded `ReplyReader`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::reply_reader::{RawReply, ReadError, ReplyLimits, ReplyReader};
use super::stage::Stage;
use super::tls::{self, TlsInfo};
use super::transcript::{Dir, Transcript};

/// How long each step may take. The defaults suit a diagnosis: short connect timeout
/// (the next MX is tried), RFC 5321 §4.5.3.2-style waits shortened for interactive use.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Timeouts {
    #[serde(serialize_with = "ser_ms")]
    pub connect: Duration,
    #[serde(serialize_with = "ser_ms")]
    pub greeting: Duration,
    #[serde(serialize_with = "ser_ms")]
    pub command: Duration,
    /// After the final "." of a message (servers scan content here).
    #[serde(serialize_with = "ser_ms")]
    pub data_end: Duration,
    /// The whole session, whatever the steps say.
    #[serde(serialize_with = "ser_ms")]
    pub total: Duration,
}

fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            greeting: Duration::from_secs(30),
            command: Duration::from_secs(30),
            data_end: Duration::from_secs(60),
            total: Duration::from_secs(120),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct SessionConfig {
    pub timeouts: Timeouts,
    pub limits: ReplyLimits,
    /// Trust anchors besides webpki-roots (`--tls-ca`: a private CA).
    pub extra_roots: std::sync::Arc<Vec<rustls::pki_types::CertificateDer<'static>>>,
}

/// Why a step did not succeed.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FailKind {
    /// The server answered 4xx/5xx.
    Rejected { reply: RawReply },
    Timeout { after_ms: u64, total_deadline: bool },
    /// The reply could not be read (closed, too long, not SMTP, ...).
    BadReply { error: String },
    Io { error: String },
    Tls { error: String },
    /// The certificate is not trusted and --tls-insecure was not given.
    Untrusted { error: String },
    /// Something the server must offer is missing (STARTTLS, AUTH, a mechanism).
    Unsupported { what: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub stage: Stage,
    #[serde(flatten)]
    pub kind: FailKind,
}

impl Failure {
    pub fn new(stage: Stage, kind: FailKind) -> Self {
        Failure { stage, kind }
    }
    pub fn reply(&self) -> Option<&RawReply> {
        match &self.kind {
            FailKind::Rejected { reply } => Some(reply),
            _ => None,
        }
    }
    /// One line for the user, naming the stage.
    pub fn message(&self) -> String {
        let what = match &self.kind {
            FailKind::Rejected { reply } => format!("rejected: {}", reply.wire_lines().join(" / ")),
            FailKind::Timeout { after_ms, total_deadline: true } => format!("timed out: the session's total deadline was reached after {after_ms} ms"),
            FailKind::Timeout { after_ms, .. } => format!("timed out after {after_ms} ms"),
            FailKind::BadReply { error } => format!("bad reply: {error}"),
            FailKind::Io { error } => error.clone(),
            FailKind::Tls { error } => format!("TLS failed: {error}"),
            FailKind::Untrusted { error } => format!("certificate not trusted ({error}); rerun with --tls-insecure to continue anyway (or --tls none)"),
            FailKind::Unsupported { what } => what.clone(),
        };
        format!("{}: {what}", self.stage)
    }
}

/// One step of the session, with its timing.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub stage: Stage,
    /// What we sent, redacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enhanced: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reply: Vec<String>,
    pub started_ms: f64,
    pub elapsed_ms: f64,
    pub tls: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Transcript and steps: they survive a failed connect, so they live apart from the socket.
#[derive(Debug, Clone)]
pub struct Log {
    pub transcript: Transcript,
    pub steps: Vec<Step>,
}

impl Log {
    pub fn new(start: Instant) -> Self {
        Log { transcript: Transcript::new(start), steps: Vec::new() }
    }
}

pub struct Session {
    io: Box<dyn Io>,
    reader: ReplyReader,
    pub log: Log,
    pub cfg: SessionConfig,
    deadline: Instant,
    pub tls: Option<TlsInfo>,
    /// EHLO keywords (upper case first word of each line after the first), from the last EHLO.
    pub ehlo: Vec<String>,
    /// Secrets and every encoding of them we sent: masked in whatever the server sends
    /// back (a server may echo the AUTH line in its reply), before anything stores it.
    redact: super::redact::Redactor,
}

/// A secret that never prints.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("********")
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

impl Session {
    /// Connect over TCP. `start` is the session's time origin (its deadline starts there).
    pub async fn connect(addr: SocketAddr, cfg: SessionConfig, start: Instant) -> Result<Session, (Failure, Log)> {
        let mut log = Log::new(start);
        let deadline = start + cfg.timeouts.total;
        log.transcript.push(Dir::Event, false, format!("connecting to {addr}"));
        let t0 = log.transcript.elapsed_ms();
        let (limit, total) = budget(cfg.timeouts.connect, deadline);
        let r = tokio::time::timeout(limit, TcpStream::connect(addr)).await;
        let fail = |kind: FailKind, log: &mut Log| {
            let f = Failure::new(Stage::Connect, kind);
            log.transcript.push(Dir::Event, false, f.message());
            push_step(log, Stage::Connect, None, None, t0, false, Some(f.message()));
            f
        };
        match r {
            Err(_) => {
                let f = fail(FailKind::Timeout { after_ms: ms(limit), total_deadline: total }, &mut log);
                Err((f, log))
            }
            Ok(Err(e)) => {
                let f = fail(FailKind::Io { error: format!("cannot connect to {addr}: {e}") }, &mut log);
                Err((f, log))
            }
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                log.transcript.push(Dir::Event, false, format!("connected to {addr}"));
                push_step(&mut log, Stage::Connect, None, None, t0, false, None);
                Ok(Session::over(Box::new(stream), cfg, log, deadline))
            }
        }
    }

    /// A session over any stream (used after connect, and by tests).
    pub fn over(io: Box<dyn Io>, cfg: SessionConfig, log: Log, deadline: Instant) -> Session {
        Session { io, reader: ReplyReader::new(), log, cfg, deadline, tls: None, ehlo: Vec::new(), redact: Default::default() }
    }

    fn in_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// From now on, mask `secret` (a password, a token, or an encoding of one that we are
    /// about to send) in everything the server sends back.
    pub fn redact(&mut self, secret: &str) {
        self.redact.add(secret);
    }

    async fn read_step(&mut self, stage: Stage, sent: Option<String>, step_limit: Duration, t0: f64) -> Result<RawReply, Failure> {
        let (limit, total) = budget(step_limit, self.deadline);
        let tls = self.in_tls();
        let r = tokio::time::timeout(limit, self.reader.read_reply(&mut self.io, &self.cfg.limits)).await;
        let result = match r {
            Err(_) => Err(Failure::new(stage, FailKind::Timeout { after_ms: ms(limit), total_deadline: total })),
            Ok(Err(ReadError::Io(e))) => Err(Failure::new(stage, FailKind::Io { error: self.redact.apply(&e) })),
            Ok(Err(e)) => Err(Failure::new(stage, FailKind::BadReply { error: self.redact.apply(&e.to_string()) })),
            Ok(Ok(mut reply)) => {
                self.redact.reply(&mut reply);
                Ok(reply)
            }
        };
        match &result {
            Ok(reply) => {
                for l in reply.wire_lines() {
                    self.log.transcript.push(Dir::Server, tls, l);
                }
                push_step(&mut self.log, stage, sent, Some(reply), t0, tls, None);
            }
            Err(f) => {
                self.log.transcript.push(Dir::Event, tls, f.message());
                push_step(&mut self.log, stage, sent, None, t0, tls, Some(f.message()));
            }
        }
        result
    }

    /// Wait for the server's greeting.
    pub async fn greeting(&mut self) -> Result<RawReply, Failure> {
        let t0 = self.log.transcript.elapsed_ms();
        let reply = self.read_step(Stage::Greeting, None, self.cfg.timeouts.greeting, t0).await?;
        if reply.code != 220 {
            return Err(Failure::new(Stage::Greeting, FailKind::Rejected { reply }));
        }
        Ok(reply)
    }

    /// Send one command line (`wire`, without CRLF) and read its reply. The transcript
    /// and steps get `shown` instead of `wire` (redaction). Any reply code is returned.
    pub async fn send(&mut self, stage: Stage, wire: &str, shown: &str) -> Result<RawReply, Failure> {
        self.send_with(stage, wire, shown, self.cfg.timeouts.command).await
    }

    async fn send_with(&mut self, stage: Stage, wire: &str, shown: &str, limit: Duration) -> Result<RawReply, Failure> {
        let t0 = self.log.transcript.elapsed_ms();
        let tls = self.in_tls();
        self.log.transcript.push(Dir::Client, tls, shown);
        self.write(stage, format!("{wire}\r\n").as_bytes(), t0, Some(shown)).await?;
        self.read_step(stage, Some(shown.to_string()), limit, t0).await
    }

    async fn write(&mut self, stage: Stage, bytes: &[u8], t0: f64, shown: Option<&str>) -> Result<(), Failure> {
        let (limit, total) = budget(self.cfg.timeouts.command, self.deadline);
        let r = tokio::time::timeout(limit, async {
            self.io.write_all(bytes).await?;
            self.io.flush().await
        })
        .await;
        let f = match r {
            Ok(Ok(())) => return Ok(()),
            Err(_) => Failure::new(stage, FailKind::Timeout { after_ms: ms(limit), total_deadline: total }),
            Ok(Err(e)) => Failure::new(stage, FailKind::Io { error: format!("write failed: {e}") }),
        };
        let tls = self.in_tls();
        self.log.transcript.push(Dir::Event, tls, f.message());
        push_step(&mut self.log, stage, shown.map(str::to_string), None, t0, tls, Some(f.message()));
        Err(f)
    }

    /// Like `send`, but a 4xx/5xx reply is a failure of this stage.
    pub async fn expect(&mut self, stage: Stage, wire: &str, shown: &str) -> Result<RawReply, Failure> {
        let reply = self.send(stage, wire, shown).await?;
        if reply.is_positive() { Ok(reply) } else { Err(Failure::new(stage, FailKind::Rejected { reply })) }
    }

    /// EHLO, falling back to HELO when EHLO is refused with 500/502 (RFC 5321 §3.2).
    pub async fn ehlo(&mut self, name: &str) -> Result<RawReply, Failure> {
        let reply = self.send(Stage::Ehlo, &format!("EHLO {name}"), &format!("EHLO {name}")).await?;
        if reply.code == 250 {
            self.ehlo = reply.lines.iter().skip(1).map(|l| l.to_ascii_uppercase()).collect();
            return Ok(reply);
        }
        if matches!(reply.code, 500 | 502) {
            let helo = self.expect(Stage::Ehlo, &format!("HELO {name}"), &format!("HELO {name}")).await?;
            self.ehlo.clear();
            return Ok(helo);
        }
        Err(Failure::new(Stage::Ehlo, FailKind::Rejected { reply }))
    }

    /// The EHLO keyword line starting with `kw` (e.g. "AUTH"), if advertised.
    pub fn ehlo_has(&self, kw: &str) -> Option<&str> {
        self.ehlo.iter().find(|l| l.split_whitespace().next() == Some(kw)).map(String::as_str)
    }

    /// STARTTLS (RFC 3207) then the handshake. Returns the TLS facts; the caller decides
    /// what an untrusted certificate means.
    pub async fn starttls(&mut self, name: &str) -> Result<TlsInfo, Failure> {
        self.expect(Stage::Starttls, "STARTTLS", "STARTTLS").await?;
        if self.reader.buffered() > 0 {
            // Bytes after "220" and before the handshake: a sign of STARTTLS command injection.
            let f = Failure::new(Stage::Starttls, FailKind::Tls { error: format!("the server sent {} bytes after its 220 reply, before TLS started", self.reader.buffered()) });
            self.log.transcript.push(Dir::Event, false, f.message());
            return Err(f);
        }
        self.handshake(name).await
    }

    /// The TLS handshake on the current connection (implicit TLS: right after connect).
    pub async fn handshake(&mut self, name: &str) -> Result<TlsInfo, Failure> {
        let t0 = self.log.transcript.elapsed_ms();
        let fail = |s: &mut Session, kind: FailKind| {
            let f = Failure::new(Stage::Starttls, kind);
            s.log.transcript.push(Dir::Event, false, f.message());
            push_step(&mut s.log, Stage::Starttls, Some("TLS handshake".into()), None, t0, false, Some(f.message()));
            f
        };
        let prepared = match tls::prepare(&self.cfg.extra_roots) {
            Ok(p) => p,
            Err(e) => return Err(fail(self, FailKind::Tls { error: e })),
        };
        let sni = match tls::server_name(name) {
            Ok(n) => n,
            Err(e) => return Err(fail(self, FailKind::Tls { error: e })),
        };
        let connector = tokio_rustls::TlsConnector::from(prepared.config.clone());
        let placeholder: Box<dyn Io> = Box::new(tokio::io::join(tokio::io::empty(), tokio::io::sink()));
        let io = std::mem::replace(&mut self.io, placeholder);
        let (limit, total) = budget(self.cfg.timeouts.command, self.deadline);
        let stream = match tokio::time::timeout(limit, connector.connect(sni, io)).await {
            Err(_) => return Err(fail(self, FailKind::Timeout { after_ms: ms(limit), total_deadline: total })),
            Ok(Err(e)) => return Err(fail(self, FailKind::Tls { error: e.to_string() })),
            Ok(Ok(s)) => s,
        };
        let info = tls::facts(&prepared, stream.get_ref().1, name);
        self.io = Box::new(stream);
        self.reader = ReplyReader::new();
        self.ehlo.clear();
        let trust = if info.trusted { "trusted".to_string() } else { format!("NOT trusted: {}", info.trust_error.as_deref().unwrap_or("?")) };
        self.log.transcript.push(Dir::Event, true, format!("TLS started: {} {}; certificate {} ({}), {trust}", info.version, info.cipher, info.subject, info.not_after));
        push_step(&mut self.log, Stage::Starttls, Some("TLS handshake".into()), None, t0, true, None);
        self.tls = Some(info.clone());
        Ok(info)
    }

    /// DATA, the message (dot-stuffed), and the final ".".
    pub async fn data(&mut self, message: &[u8]) -> Result<RawReply, Failure> {
        self.expect(Stage::Data, "DATA", "DATA").await.and_then(|r| {
            if r.code == 354 { Ok(r) } else { Err(Failure::new(Stage::Data, FailKind::Rejected { reply: r })) }
        })?;
        let mut body = Vec::with_capacity(message.len() + 16);
        let mut lines = 0;
        for line in message.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.first() == Some(&b'.') {
                body.push(b'.');
            }
            body.extend_from_slice(line);
            body.extend_from_slice(b"\r\n");
            lines += 1;
        }
        if message.ends_with(b"\n") {
            body.truncate(body.len() - 2);
            lines -= 1;
        }
        body.extend_from_slice(b".\r\n");
        let t0 = self.log.transcript.elapsed_ms();
        let tls = self.in_tls();
        let shown = format!("({lines} lines, {} bytes of message) .", body.len());
        self.log.transcript.push(Dir::Client, tls, shown.clone());
        self.write(Stage::EndOfData, &body, t0, Some(&shown)).await?;
        let reply = self.read_step(Stage::EndOfData, Some(shown), self.cfg.timeouts.data_end, t0).await?;
        if reply.is_positive() { Ok(reply) } else { Err(Failure::new(Stage::EndOfData, FailKind::Rejected { reply })) }
    }

    /// RSET and QUIT, politely and briefly; their outcome never changes the verdict.
    pub async fn close(&mut self, rset: bool) {
        let short = self.cfg.timeouts.command.min(Duration::from_secs(5));
        if rset && self.send_with(Stage::Rset, "RSET", "RSET", short).await.is_err() {
            return;
        }
        let _ = self.send_with(Stage::Quit, "QUIT", "QUIT", short).await;
        let _ = tokio::time::timeout(Duration::from_millis(500), self.io.shutdown()).await;
    }
}

/// The step's limit, cut short by the total deadline (and whether the deadline was what limited it).
fn budget(step: Duration, deadline: Instant) -> (Duration, bool) {
    let left = deadline.saturating_duration_since(Instant::now());
    if left < step { (left, true) } else { (step, false) }
}

fn push_step(log: &mut Log, stage: Stage, sent: Option<String>, reply: Option<&RawReply>, t0: f64, tls: bool, error: Option<String>) {
    let now = log.transcript.elapsed_ms();
    let parsed = reply.map(RawReply::parsed);
    log.steps.push(Step {
        stage,
        sent,
        code: reply.map(|r| r.code),
        enhanced: parsed.and_then(|p| p.enhanced.map(|e| e.to_string())),
        reply: reply.map(RawReply::wire_lines).unwrap_or_default(),
        started_ms: t0,
        elapsed_ms: ((now - t0) * 10.0).round() / 10.0,
        tls,
        error,
    });
}
