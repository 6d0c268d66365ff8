//! Macro expansion (RFC 7208 §7.3, §7.4). Parsing lives in [`super::parse`]; the `p`
//! macro's DNS work is done by the evaluator, which passes the validated name in.

use std::net::IpAddr;

use super::parse::{MacroExpand, MacroPart, MacroString};

/// The longest expansion kept; anything longer is a macro bomb (a record of a few KB
/// repeating `%{s}` could otherwise build megabytes).
pub const MAX_EXPANSION: usize = 8 * 1024;

/// What the macros expand to.
#[derive(Debug, Clone)]
pub struct MacroData {
    /// `<sender>`: local-part@domain (local-part "postmaster" when absent).
    pub sender: String,
    pub local: String,
    /// Domain of the sender.
    pub sender_domain: String,
    /// The current `<domain>` (changes in include/redirect).
    pub domain: String,
    pub ip: IpAddr,
    pub helo: String,
    /// `r`: the receiving host's domain ("unknown" when not given).
    pub receiver: String,
    /// `t`: seconds since the epoch.
    pub timestamp: u64,
    /// `p`: the validated PTR name, resolved by the caller when the string uses it.
    pub ptr: Option<String>,
}

/// `i` (dot-format) of an address: dotted quad, or 32 lower-case nibbles.
pub fn ip_dotted(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => a.octets().iter().flat_map(|o| [o >> 4, o & 0xf]).map(|n| format!("{n:x}")).collect::<Vec<_>>().join("."),
    }
}

/// The reverse-lookup name of an address (in-addr.arpa / ip6.arpa).
pub fn reverse_name(ip: IpAddr) -> String {
    let mut parts: Vec<String> = ip_dotted(ip).split('.').map(str::to_string).collect();
    parts.reverse();
    let suffix = if ip.is_ipv4() { "in-addr.arpa" } else { "ip6.arpa" };
    format!("{}.{suffix}", parts.join("."))
}

fn letter_value(letter: char, d: &MacroData) -> String {
    match letter {
        's' => d.sender.clone(),
        'l' => d.local.clone(),
        'o' => d.sender_domain.clone(),
        'd' => d.domain.clone(),
        'i' => ip_dotted(d.ip),
        'p' => d.ptr.clone().unwrap_or_else(|| "unknown".to_string()),
        'v' => if d.ip.is_ipv4() { "in-addr" } else { "ip6" }.to_string(),
        'h' => d.helo.clone(),
        'c' => d.ip.to_string(),
        'r' => d.receiver.clone(),
        't' => d.timestamp.to_string(),
        _ => String::new(),
    }
}

/// RFC 3986 escaping of everything but the unreserved characters.
fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn transform(value: &str, m: &MacroExpand) -> String {
    let delims: &str = if m.delimiters.is_empty() { "." } else { &m.delimiters };
    let mut parts: Vec<&str> = value.split(|c| delims.contains(c)).collect();
    if m.reverse {
        parts.reverse();
    }
    if let Some(n) = m.digits {
        if n < parts.len() {
            parts = parts.split_off(parts.len() - n);
        }
    }
    let joined = parts.join(".");
    if m.url_escape { url_escape(&joined) } else { joined }
}

/// Expand a macro-string. Err when the result would exceed [`MAX_EXPANSION`].
pub fn expand(ms: &MacroString, data: &MacroData) -> Result<String, String> {
    let mut out = String::new();
    for part in &ms.parts {
        match part {
            MacroPart::Literal(l) => out.push_str(l),
            MacroPart::Expand(m) => out.push_str(&transform(&letter_value(m.letter, data), m)),
        }
        if out.len() > MAX_EXPANSION {
            return Err(format!("macro expansion of `{}` exceeds {MAX_EXPANSION} bytes", ms.raw));
        }
    }
    Ok(out)
}

/// Expand a domain-spec and shorten it to 253 octets by dropping labels on the left (§7.3).
pub fn expand_domain(ms: &MacroString, data: &MacroData) -> Result<String, String> {
    let mut s = expand(ms, data)?;
    if s.ends_with('.') {
        s.pop();
    }
    while s.len() > 253 {
        match s.find('.') {
            Some(i) => s = s[i + 1..].to_string(),
            None => return Err(format!("expanded name `{}...` has a label too long to shorten", s.chars().take(40).collect::<String>())),
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spf::parse::parse_macro_string;

    fn data() -> MacroData {
        MacroData {
            sender: "strong-bad@email.example.com".into(),
            local: "strong-bad".into(),
            sender_domain: "email.example.com".into(),
            domain: "email.example.com".into(),
            ip: "192.0.2.3".parse().unwrap(),
            helo: "mx.example.org".into(),
            receiver: "unknown".into(),
            timestamp: 1,
            ptr: None,
        }
    }
    fn x(s: &str, d: &MacroData) -> String {
        expand(&parse_macro_string(s, 0, true).unwrap(), d).unwrap()
    }

    /// The examples of RFC 7208 §7.4.
    #[test]
    fn rfc7208_examples() {
        let d = data();
        assert_eq!(x("%{s}", &d), "strong-bad@email.example.com");
        assert_eq!(x("%{o}", &d), "email.example.com");
        assert_eq!(x("%{d}", &d), "email.example.com");
        assert_eq!(x("%{d4}", &d), "email.example.com");
        assert_eq!(x("%{d3}", &d), "email.example.com");
        assert_eq!(x("%{d2}", &d), "example.com");
        assert_eq!(x("%{d1}", &d), "com");
        assert_eq!(x("%{dr}", &d), "com.example.email");
        assert_eq!(x("%{d2r}", &d), "example.email");
        assert_eq!(x("%{l}", &d), "strong-bad");
        assert_eq!(x("%{l-}", &d), "strong.bad");
        assert_eq!(x("%{lr}", &d), "strong-bad");
        assert_eq!(x("%{lr-}", &d), "bad.strong");
        assert_eq!(x("%{l1r-}", &d), "strong");
        assert_eq!(x("%{ir}.%{v}._spf.%{d2}", &d), "3.2.0.192.in-addr._spf.example.com");
        assert_eq!(x("%{lr-}.lp._spf.%{d2}", &d), "bad.strong.lp._spf.example.com");
        assert_eq!(x("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", &d), "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
        assert_eq!(x("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", &d), "3.2.0.192.in-addr.strong.lp._spf.example.com");
        assert_eq!(x("%{d2}.trusted-domains.example.net", &d), "example.com.trusted-domains.example.net");
        assert_eq!(x("%%%_%-", &d), "% %20");
        let mut d6 = data();
        d6.ip = "2001:db8::cb01".parse().unwrap();
        assert_eq!(
            x("%{ir}.%{v}._spf.%{d2}", &d6),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
        );
        assert_eq!(x("%{c}", &d6), "2001:db8::cb01");
    }

    #[test]
    fn url_escape_upper_letters() {
        let mut d = data();
        d.local = "~jack&jill=up-a_b3.c".into();
        assert_eq!(x("%{L}", &d), "~jack%26jill%3Dup-a_b3.c");
    }

    #[test]
    fn truncation_and_bombs() {
        let mut d = data();
        d.domain = "a".repeat(60) + "." + &"b".repeat(60) + ".example.com";
        let ms = parse_macro_string("%{d}.%{d}.%{d}.x.example.com", 0, false).unwrap();
        let out = expand_domain(&ms, &d).unwrap();
        assert!(out.len() <= 253 && out.ends_with(".x.example.com"), "{out}");
        let bomb = parse_macro_string(&"%{s}".repeat(1000), 0, false).unwrap();
        assert!(expand(&bomb, &d).unwrap_err().contains("exceeds"));
    }

    #[test]
    fn reverse_names() {
        assert_eq!(reverse_name("192.0.2.1".parse().unwrap()), "1.2.0.192.in-addr.arpa");
        assert!(reverse_name("2001:db8::1".parse().unwrap()).ends_with(".8.b.d.0.1.0.0.2.ip6.arpa"));
    }
}

#[cfg(test)]
mod non_ascii {
    use super::*;
    use crate::spf::parse::parse_macro_string;

    /// A UTF-8 local part (SMTPUTF8) must never panic the expansion or the truncation.
    #[test]
    fn utf8_sender_is_handled() {
        let d = MacroData {
            sender: format!("{}@example.com", "é".repeat(200)),
            local: "é".repeat(200),
            sender_domain: "example.com".into(),
            domain: "example.com".into(),
            ip: "192.0.2.1".parse().unwrap(),
            helo: "h.example".into(),
            receiver: "unknown".into(),
            timestamp: 0,
            ptr: None,
        };
        let ms = parse_macro_string("%{l}.x.example", 0, false).unwrap();
        assert_eq!(expand_domain(&ms, &d).unwrap(), "x.example");
        let ms = parse_macro_string("%{l}", 0, false).unwrap();
        assert!(expand_domain(&ms, &d).unwrap_err().contains("too long"));
        let up = parse_macro_string("%{L}", 0, false).unwrap();
        assert!(expand(&up, &d).unwrap().starts_with("%C3%A9"));
    }
}
