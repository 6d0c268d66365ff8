//! The session transcript: every line sent and received, with a timestamp, a direction
//! and whether it travelled inside TLS. Secrets never enter it: the client records the
//! redacted form of a command (`AUTH PLAIN ********`), never the bytes it sent.

use std::time::Instant;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    /// Sent by us.
    Client,
    /// Received from the server.
    Server,
    /// What happened in between (connected, TLS started, timed out, ...).
    Event,
}

#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// Milliseconds since the session started.
    pub t_ms: f64,
    pub dir: Dir,
    /// Inside TLS.
    pub tls: bool,
    pub text: String,
}

impl Line {
    /// One line of the swaks-like view (already redacted when recorded).
    pub fn render(&self) -> String {
        let arrow = match (self.dir, self.tls) {
            (Dir::Client, false) => " ->",
            (Dir::Client, true) => " ~>",
            (Dir::Server, false) => "<- ",
            (Dir::Server, true) => "<~ ",
            (Dir::Event, _) => "===",
        };
        format!("{:>8.1} ms {arrow} {}", self.t_ms, self.text)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Transcript {
    #[serde(skip)]
    start: Instant,
    pub lines: Vec<Line>,
}

/// Transcripts of hostile peers are capped, like everything else.
const MAX_LINES: usize = 2000;

impl Transcript {
    pub fn new(start: Instant) -> Self {
        Transcript { start, lines: Vec::new() }
    }
    pub fn elapsed_ms(&self) -> f64 {
        (self.start.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0
    }
    pub fn push(&mut self, dir: Dir, tls: bool, text: impl Into<String>) {
        if self.lines.len() >= MAX_LINES {
            return;
        }
        let t_ms = self.elapsed_ms();
        self.lines.push(Line { t_ms, dir, tls, text: text.into() });
    }

    /// The classic swaks-like view: `->` sent, `<-` received, `~>`/`<~` inside TLS, `==` events.
    pub fn render(&self) -> String {
        self.lines.iter().map(|l| l.render() + "\n").collect()
    }
}
