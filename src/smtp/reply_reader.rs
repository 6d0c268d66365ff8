//! Our own bounded reader for SMTP replies (RFC 5321 §4.2). Every buffer is capped:
//! the length of one line, the number of lines in one reply, and the bytes of one reply.
//! Time limits are applied by the caller around `read_reply`, so a peer that sends one
//! byte per second still ends at the step's timeout.

use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Size limits for one reply. Defaults are generous for real servers (RFC 5321 allows
/// 512 octets per reply line) and small enough that a hostile peer cannot exhaust memory.
#[derive(Debug, Clone, Copy)]
pub struct ReplyLimits {
    pub max_line: usize,
    pub max_lines: usize,
    pub max_bytes: usize,
}

impl Default for ReplyLimits {
    fn default() -> Self {
        ReplyLimits { max_line: 4096, max_lines: 200, max_bytes: 64 * 1024 }
    }
}

/// One complete reply as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawReply {
    pub code: u16,
    /// Each line's text after the code and separator.
    pub lines: Vec<String>,
}

impl RawReply {
    /// The reply as it was on the wire (`250-...` continuation lines, `250 ...` last).
    pub fn wire_lines(&self) -> Vec<String> {
        let n = self.lines.len();
        self.lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let sep = if i + 1 == n { ' ' } else { '-' };
                if l.is_empty() { format!("{}{}", self.code, if i + 1 == n { "" } else { "-" }) } else { format!("{}{sep}{l}", self.code) }
            })
            .collect()
    }
    /// Parsed with the shared reply parser (enhanced code, joined text).
    pub fn parsed(&self) -> crate::reply::Reply {
        crate::reply::parse(&self.wire_lines().join("\n"))
    }
    pub fn is_positive(&self) -> bool {
        self.code < 400
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the server closed the connection{}", if *.partial { " in the middle of a reply" } else { "" })]
    Closed { partial: bool },
    #[error("a reply line is longer than {limit} bytes (no line end received)")]
    LineTooLong { limit: usize },
    #[error("the reply has more than {limit} lines")]
    TooManyLines { limit: usize },
    #[error("the reply is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("not an SMTP reply line (expected a 3-digit code 2xx-5xx): {excerpt:?}")]
    InvalidCode { excerpt: String },
    #[error("a multi-line reply changed its code from {first} to {then}")]
    MixedCodes { first: u16, then: u16 },
    #[error("the reply is not text (invalid UTF-8): {excerpt:?}")]
    NotText { excerpt: String },
    #[error("read error: {0}")]
    Io(String),
}

/// Keeps bytes received after the end of a reply (a peer may pipeline or misbehave).
#[derive(Debug, Default)]
pub struct ReplyReader {
    buf: Vec<u8>,
}

fn excerpt(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(60)];
    String::from_utf8_lossy(cut).into_owned()
}

/// Split one line into (code, is_last, text).
fn parse_line(line: &[u8]) -> Result<(u16, bool, String), ReadError> {
    let bad = || ReadError::InvalidCode { excerpt: excerpt(line) };
    if line.len() < 3 || !line[..3].iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let code = (line[0] - b'0') as u16 * 100 + (line[1] - b'0') as u16 * 10 + (line[2] - b'0') as u16;
    if !(2..=5).contains(&(line[0] - b'0')) || line[1] > b'5' {
        return Err(bad());
    }
    let (last, rest) = match line.get(3) {
        None => (true, &line[3..3]),
        Some(b' ') => (true, &line[4..]),
        Some(b'-') => (false, &line[4..]),
        Some(_) => return Err(bad()),
    };
    let text = std::str::from_utf8(rest).map_err(|_| ReadError::NotText { excerpt: excerpt(line) })?;
    Ok((code, last, text.to_string()))
}

impl ReplyReader {
    pub fn new() -> Self {
        ReplyReader::default()
    }

    /// Bytes received but not yet consumed. Must be empty when TLS starts (RFC 3207 §5:
    /// anything sent before the handshake must be discarded; here it is an error).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Read one complete (possibly multi-line) reply.
    pub async fn read_reply<R: AsyncRead + Unpin + ?Sized>(&mut self, io: &mut R, limits: &ReplyLimits) -> Result<RawReply, ReadError> {
        let mut code: Option<u16> = None;
        let mut lines = Vec::new();
        let mut total = 0usize;
        loop {
            let line = self.read_line(io, limits).await.map_err(|e| match e {
                ReadError::Closed { .. } => ReadError::Closed { partial: !lines.is_empty() },
                e => e,
            })?;
            total += line.len() + 2;
            if total > limits.max_bytes {
                return Err(ReadError::TooLarge { limit: limits.max_bytes });
            }
            let (c, last, text) = parse_line(&line)?;
            match code {
                None => code = Some(c),
                Some(first) if first != c => return Err(ReadError::MixedCodes { first, then: c }),
                _ => {}
            }
            lines.push(text);
            if last {
                return Ok(RawReply { code: c, lines });
            }
            if lines.len() >= limits.max_lines {
                return Err(ReadError::TooManyLines { limit: limits.max_lines });
            }
        }
    }

    /// One line without its CRLF (a bare LF is tolerated). Never holds more than
    /// `max_line` bytes plus one read chunk.
    async fn read_line<R: AsyncRead + Unpin + ?Sized>(&mut self, io: &mut R, limits: &ReplyLimits) -> Result<Vec<u8>, ReadError> {
        let mut scanned = 0;
        loop {
            if let Some(pos) = self.buf[scanned..].iter().position(|&b| b == b'\n') {
                let end = scanned + pos;
                if end > limits.max_line {
                    return Err(ReadError::LineTooLong { limit: limits.max_line });
                }
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            scanned = self.buf.len();
            if scanned > limits.max_line {
                return Err(ReadError::LineTooLong { limit: limits.max_line });
            }
            let mut chunk = [0u8; 4096];
            let n = io.read(&mut chunk).await.map_err(|e| ReadError::Io(e.to_string()))?;
            if n == 0 {
                return Err(ReadError::Closed { partial: !self.buf.is_empty() });
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(input: &[u8]) -> Result<RawReply, ReadError> {
        let mut r = ReplyReader::new();
        let mut io = input;
        r.read_reply(&mut io, &ReplyLimits::default()).await
    }

    #[tokio::test]
    async fn multi_line() {
        let r = read(b"250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n").await.unwrap();
        assert_eq!(r.code, 250);
        assert_eq!(r.lines, vec!["mx.example", "PIPELINING", "SIZE 100"]);
        assert_eq!(r.wire_lines()[2], "250 SIZE 100");
    }

    #[tokio::test]
    async fn bare_code_and_lf() {
        let r = read(b"354\n").await.unwrap();
        assert_eq!((r.code, r.lines.len()), (354, 1));
    }

    #[tokio::test]
    async fn errors() {
        assert!(matches!(read(b"250-a\r\n251 b\r\n").await, Err(ReadError::MixedCodes { .. })));
        assert!(matches!(read(b"hello\r\n").await, Err(ReadError::InvalidCode { .. })));
        assert!(matches!(read(b"650 x\r\n").await, Err(ReadError::InvalidCode { .. })));
        assert!(matches!(read(b"250-a\r\n").await, Err(ReadError::Closed { partial: true })));
        assert!(matches!(read(b"").await, Err(ReadError::Closed { partial: false })));
        assert!(matches!(read(b"250 \xff\xfe\r\n").await, Err(ReadError::NotText { .. })));
        let long = vec![b'2'; 10_000];
        assert!(matches!(read(&long).await, Err(ReadError::LineTooLong { .. })));
        let many = b"250-x\r\n".repeat(500);
        assert!(matches!(read(&many).await, Err(ReadError::TooManyLines { limit: 200 })));
    }

    #[tokio::test]
    async fn keeps_the_rest() {
        let mut r = ReplyReader::new();
        let mut io: &[u8] = b"220 hi\r\n250 ok\r\n";
        let lim = ReplyLimits::default();
        assert_eq!(r.read_reply(&mut io, &lim).await.unwrap().code, 220);
        assert_eq!(r.buffered(), 8);
        assert_eq!(r.read_reply(&mut io, &lim).await.unwrap().code, 250);
    }
}
