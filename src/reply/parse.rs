//! Pull the basic and enhanced codes out of a reply, even when embedded in prose
//! ("host mx.example[192.0.2.1] said: 550 5.1.1 ... (in reply to RCPT TO command)",
//! "Remote Server returned '550 5.7.509 ...'", multi-line "550-5.7.26 ..." replies).
//!
//! Patterns are compiled once (`LazyLock`). The search order is: a basic code directly
//! followed by an enhanced code (the most reliable shape), then a basic code and an
//! enhanced code found separately. Input is bounded (`MAX_INPUT`) so that a hostile
//! Diagnostic-Code cannot make parsing slow.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

/// Longer input is cut (at a char boundary) before parsing: no real reply is this long.
pub const MAX_INPUT: usize = 16 * 1024;

/// An RFC 3463 enhanced status code: class.subject.detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct EnhancedCode {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl std::fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl std::str::FromStr for EnhancedCode {
    type Err = ();
    /// Strict: exactly `class.subject.detail`, class 2, 4 or 5, at most 3 digits each.
    fn from_str(s: &str) -> Result<Self, ()> {
        let mut it = s.trim().split('.');
        let (c, s, d) = (it.next().ok_or(())?, it.next().ok_or(())?, it.next().ok_or(())?);
        if it.next().is_some() || c.len() != 1 || s.is_empty() || s.len() > 3 || d.is_empty() || d.len() > 3 {
            return Err(());
        }
        let all_digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(c) || !all_digits(s) || !all_digits(d) {
            return Err(());
        }
        let class: u8 = c.parse().map_err(|_| ())?;
        if !matches!(class, 2 | 4 | 5) {
            return Err(());
        }
        Ok(EnhancedCode { class, subject: s.parse().map_err(|_| ())?, detail: d.parse().map_err(|_| ())? })
    }
}

/// A parsed reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    /// The basic reply code (e.g. 550), when one was found.
    pub code: Option<u16>,
    pub enhanced: Option<EnhancedCode>,
    /// The reply text with codes and line continuations removed, lines joined by spaces.
    pub text: String,
    /// The input as given.
    pub raw: String,
}

impl Reply {
    /// 5xx or a 5.x.x enhanced code.
    pub fn is_permanent(&self) -> bool {
        self.enhanced.map(|e| e.class == 5).or(self.code.map(|c| c / 100 == 5)).unwrap_or(false)
    }
    pub fn is_transient(&self) -> bool {
        self.enhanced.map(|e| e.class == 4).or(self.code.map(|c| c / 100 == 4)).unwrap_or(false)
    }
}

// A boundary before a code: start, whitespace, or punctuation that introduces a reply
// ("said: 550", "returned '550", "smtp; 550", "#550", "(550"). Not '.', '-' or a digit,
// so IP addresses, dates and version numbers do not match.
const PRE: &str = r#"(?:^|[\s'"(\[<#:;=,])"#;
// A boundary after: end, whitespace, or closing punctuation.
const POST: &str = r#"(?:$|[\s'")\]>:;,])"#;

static PAIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r#"{PRE}([245][0-5][0-9])(?:[ -]+|:\s*)['"]?#?([245])\.([0-9]{{1,3}})\.([0-9]{{1,3}}){POST}"#)).unwrap()
});
static BASIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"{PRE}([245][0-5][0-9])(?:-|{POST})")).unwrap());
static ENHANCED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"{PRE}#?([245])\.([0-9]{{1,3}})\.([0-9]{{1,3}}){POST}")).unwrap());
/// Leading "550-5.7.1 " / "550 5.7.1 " / "550 " of each line of a (multi-line) reply.
static LINE_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[245][0-5][0-9](?:[ -]|$)(?:#?[245]\.[0-9]{1,3}\.[0-9]{1,3}(?:\s|$))?").unwrap());

fn enhanced_of(c: &str, s: &str, d: &str) -> Option<EnhancedCode> {
    Some(EnhancedCode { class: c.parse().ok()?, subject: s.parse().ok()?, detail: d.parse().ok()? })
}

/// Cut `s` to at most `max` bytes at a char boundary.
pub fn bounded(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The codes only: (basic, enhanced), searched as described in the module docs.
pub fn codes(input: &str) -> (Option<u16>, Option<EnhancedCode>) {
    let input = bounded(input, MAX_INPUT);
    // In a transcript ("Out: 250 2.1.5 Ok ... Out: 451 4.3.0 Error") the failure is the
    // reply that matters: prefer the first 4xx/5xx, else the first of any class.
    fn pick<'a>(mut it: impl Iterator<Item = regex::Captures<'a>>) -> Option<regex::Captures<'a>> {
        let first = it.next()?;
        if matches!(first[1].as_bytes()[0], b'4' | b'5') {
            return Some(first);
        }
        it.find(|c| matches!(c[1].as_bytes()[0], b'4' | b'5')).or(Some(first))
    }
    if let Some(c) = pick(PAIR.captures_iter(input)) {
        return (c[1].parse().ok(), enhanced_of(&c[2], &c[3], &c[4]));
    }
    let code = pick(BASIC.captures_iter(input)).and_then(|c| c[1].parse().ok());
    let enhanced = pick(ENHANCED.captures_iter(input)).and_then(|c| enhanced_of(&c[1], &c[2], &c[3]));
    (code, enhanced)
}

/// Where the reply proper starts in prose ("host X said: 550 ..." -> the offset of "550").
pub fn reply_start(input: &str) -> Option<usize> {
    let input = bounded(input, MAX_INPUT);
    let m = PAIR.captures(input).or_else(|| BASIC.captures(input))?;
    m.get(1).map(|g| g.start())
}

/// Parse a single- or multi-line reply, or prose that embeds one.
pub fn parse(input: &str) -> Reply {
    let bounded_input = bounded(input, MAX_INPUT);
    let (code, enhanced) = codes(bounded_input);
    let mut parts: Vec<&str> = Vec::new();
    for line in bounded_input.lines() {
        let line = line.trim();
        let rest = match LINE_PREFIX.find(line) {
            Some(m) => line[m.end()..].trim(),
            None => line,
        };
        if !rest.is_empty() {
            parts.push(rest);
        }
    }
    Reply { code, enhanced, text: parts.join(" "), raw: input.to_string() }
}

/// The sending IP named in a rejection text, as receivers often write it:
/// Gmail "with the ip: [198.51.100.25]", Microsoft "[198.51.100.25]" after "sending IP",
/// Spamhaus-style "Client host [198.51.100.25] blocked". Returns the first public-looking
/// candidate that follows an IP-ish keyword.
pub fn sending_ip_in_text(text: &str) -> Option<std::net::IpAddr> {
    let lower = text.to_ascii_lowercase();
    const KEYS: [&str; 7] = ["ip:", "ip address", "sending ip", "client host", "client ip", "connecting ip", "ip ["];
    for key in KEYS {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(key) {
            let start = from + pos + key.len();
            if let Some(ip) = first_ip(&text[start..(start + 64).min(text.len())]) {
                return Some(ip);
            }
            from = start;
        }
    }
    None
}

fn first_ip(s: &str) -> Option<std::net::IpAddr> {
    s.split(|c: char| !(c.is_ascii_hexdigit() || c == '.' || c == ':'))
        .filter(|t| t.len() >= 3)
        .find_map(|t| t.trim_matches(|c| c == '.' || c == ':').parse::<std::net::IpAddr>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(s: &str) -> Option<EnhancedCode> {
        s.parse().ok()
    }

    #[test]
    fn single_line() {
        let r = parse("553 5.1.7 <x@y>: Sender address rejected");
        assert_eq!(r.code, Some(553));
        assert_eq!(r.enhanced, Some(EnhancedCode { class: 5, subject: 1, detail: 7 }));
        assert_eq!(r.text, "<x@y>: Sender address rejected");
        assert!(r.is_permanent());
    }

    #[test]
    fn multi_line_gmail() {
        let r = parse("550-5.7.26 Unauthenticated email from shop.example is not accepted\n550-5.7.26 due to domain's DMARC policy.\n550 5.7.26 Please contact the administrator");
        assert_eq!(r.code, Some(550));
        assert_eq!(r.enhanced, e("5.7.26"));
        assert_eq!(r.text, "Unauthenticated email from shop.example is not accepted due to domain's DMARC policy. Please contact the administrator");
    }

    #[test]
    fn embedded_in_prose() {
        let r = parse("host mx.example[192.0.2.1] said: 450 4.1.8 <a@b.example>: Sender address rejected: Domain not found (in reply to RCPT TO command)");
        assert_eq!(r.code, Some(450));
        assert_eq!(r.enhanced, e("4.1.8"));
        assert!(r.is_transient());
    }

    #[test]
    fn exchange_and_exim_shapes() {
        let r = parse("Remote Server returned '550 5.7.509 Access denied, sending domain [X.EXAMPLE] does not pass DMARC'");
        assert_eq!((r.code, r.enhanced), (Some(550), e("5.7.509")));
        let r = parse("#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##");
        assert_eq!((r.code, r.enhanced), (Some(550), e("5.1.1")));
        let r = parse("SMTP error from remote mail server after RCPT TO:<k@example.net>: host mx [192.0.2.32]: 554 5.7.1 <k@x>: Recipient address rejected");
        assert_eq!((r.code, r.enhanced), (Some(554), e("5.7.1")));
        let r = parse("smtp; 550-5.1.1 The email account does not exist");
        assert_eq!((r.code, r.enhanced), (Some(550), e("5.1.1")));
        let r = parse("501: 5.1.8 Sender address rejected");
        assert_eq!((r.code, r.enhanced), (Some(501), e("5.1.8")));
    }

    #[test]
    fn ip_addresses_and_dates_are_not_codes() {
        let r = parse("client [203.0.113.225] blocked at 2024-04-29T23:34:45 v1.2.3");
        assert_eq!((r.code, r.enhanced), (None, None));
        let r = parse("Connections from 192.0.2.5 refused: 554 blocked");
        assert_eq!(r.code, Some(554));
    }

    #[test]
    fn no_code() {
        let r = parse("Sender address rejected");
        assert_eq!(r.code, None);
        assert_eq!(r.enhanced, None);
    }

    #[test]
    fn huge_input_is_bounded() {
        let s = "é".repeat(MAX_INPUT);
        let r = parse(&s);
        assert_eq!(r.code, None);
        assert!(r.text.len() <= MAX_INPUT);
    }
}
