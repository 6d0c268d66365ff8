//! The RFC 7208 record grammar (§4.5, §4.6, §5, §6, §7, §12).
//!
//! Strict: everything RFC 7208 calls a syntax error is a [`ParseError`] with the byte
//! position and the reason, because a receiver returns permerror for it. Parsing never
//! looks at DNS; the evaluator ([`super::verify`]) does that.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Serialize;

/// Records longer than this are refused outright (a DNS answer cannot carry much more;
/// it bounds the work a hostile record can cause).
pub const MAX_RECORD_LEN: usize = 16 * 1024;

/// A directive's qualifier (§4.6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Qualifier {
    Pass,
    Fail,
    SoftFail,
    Neutral,
}

impl Qualifier {
    pub fn symbol(self) -> char {
        match self {
            Qualifier::Pass => '+',
            Qualifier::Fail => '-',
            Qualifier::SoftFail => '~',
            Qualifier::Neutral => '?',
        }
    }
}

/// One piece of a macro-string (§7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MacroPart {
    Literal(String),
    Expand(MacroExpand),
}

/// `%{` letter [digits] ["r"] *delimiter `}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroExpand {
    /// Lower-case macro letter: s l o d i p h c r t v.
    pub letter: char,
    /// Upper-case letter in the record: URL-escape the result (§7.3).
    pub url_escape: bool,
    /// Keep this many right-hand parts (never 0).
    pub digits: Option<usize>,
    pub reverse: bool,
    /// Delimiters to split on; empty means ".".
    pub delimiters: String,
}

/// A parsed macro-string, with the text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroString {
    pub raw: String,
    pub parts: Vec<MacroPart>,
}

impl MacroString {
    /// True when expansion needs no data at all (plain text).
    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, MacroPart::Literal(_)))
    }
    /// The letters used (lower case).
    pub fn letters(&self) -> impl Iterator<Item = char> + '_ {
        self.parts.iter().filter_map(|p| match p {
            MacroPart::Expand(m) => Some(m.letter),
            _ => None,
        })
    }
}

impl fmt::Display for MacroString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// `ip4-cidr-length` / `ip6-cidr-length` of a or mx.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DualCidr {
    pub v4: Option<u8>,
    pub v6: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    All,
    Include(MacroString),
    A { domain: Option<MacroString>, cidr: DualCidr },
    Mx { domain: Option<MacroString>, cidr: DualCidr },
    Ptr(Option<MacroString>),
    Ip4 { addr: Ipv4Addr, prefix: u8 },
    Ip6 { addr: Ipv6Addr, prefix: u8 },
    Exists(MacroString),
}

impl Mechanism {
    pub fn name(&self) -> &'static str {
        match self {
            Mechanism::All => "all",
            Mechanism::Include(_) => "include",
            Mechanism::A { .. } => "a",
            Mechanism::Mx { .. } => "mx",
            Mechanism::Ptr(_) => "ptr",
            Mechanism::Ip4 { .. } => "ip4",
            Mechanism::Ip6 { .. } => "ip6",
            Mechanism::Exists(_) => "exists",
        }
    }
    /// Counts toward the limit of 10 DNS-querying terms (§4.6.4).
    pub fn queries_dns(&self) -> bool {
        matches!(
            self,
            Mechanism::Include(_) | Mechanism::A { .. } | Mechanism::Mx { .. } | Mechanism::Ptr(_) | Mechanism::Exists(_)
        )
    }
}

/// A directive with where it sits in the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub qualifier: Qualifier,
    /// Whether the qualifier was written out (for lint: `+all` vs `all`).
    pub explicit_qualifier: bool,
    pub mechanism: Mechanism,
    /// The term as written.
    pub text: String,
    /// Byte offset of the term in the record.
    pub pos: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modifier {
    /// Lower-cased name.
    pub name: String,
    pub value: MacroString,
    pub text: String,
    pub pos: usize,
}

/// A term in record order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Directive(Directive),
    Modifier(Modifier),
}

impl Term {
    pub fn text(&self) -> &str {
        match self {
            Term::Directive(d) => &d.text,
            Term::Modifier(m) => &m.text,
        }
    }
    pub fn pos(&self) -> usize {
        match self {
            Term::Directive(d) => d.pos,
            Term::Modifier(m) => m.pos,
        }
    }
}

/// A parsed SPF record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub text: String,
    pub terms: Vec<Term>,
}

impl Record {
    pub fn directives(&self) -> impl Iterator<Item = &Directive> {
        self.terms.iter().filter_map(|t| match t {
            Term::Directive(d) => Some(d),
            _ => None,
        })
    }
    pub fn modifier(&self, name: &str) -> Option<&Modifier> {
        self.terms.iter().find_map(|t| match t {
            Term::Modifier(m) if m.name == name => Some(m),
            _ => None,
        })
    }
    pub fn redirect(&self) -> Option<&Modifier> {
        self.modifier("redirect")
    }
    pub fn exp(&self) -> Option<&Modifier> {
        self.modifier("exp")
    }
    pub fn has_all(&self) -> bool {
        self.directives().any(|d| d.mechanism == Mechanism::All)
    }
}

/// A syntax error: where and why. Receivers turn it into permerror.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParseError {
    /// Byte offset in the record.
    pub pos: usize,
    /// The offending term (may be empty for record-level errors).
    pub term: String,
    pub reason: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.term.is_empty() {
            write!(f, "at byte {}: {}", self.pos, self.reason)
        } else {
            write!(f, "at byte {} in `{}`: {}", self.pos, self.term, self.reason)
        }
    }
}

impl std::error::Error for ParseError {}

fn err(pos: usize, term: &str, reason: impl Into<String>) -> ParseError {
    ParseError { pos, term: term.to_string(), reason: reason.into() }
}

/// True when a TXT string is an SPF version 1 record (§4.5): "v=spf1" then a space or the end.
pub fn is_spf1(txt: &str) -> bool {
    let b = txt.as_bytes();
    b.len() >= 6 && b[..6].eq_ignore_ascii_case(b"v=spf1") && (b.len() == 6 || b[6] == b' ')
}

/// Parse a whole record (which must start with `v=spf1`).
pub fn parse_record(text: &str) -> Result<Record, ParseError> {
    if text.len() > MAX_RECORD_LEN {
        return Err(err(MAX_RECORD_LEN, "", format!("record is {} bytes long (limit {MAX_RECORD_LEN})", text.len())));
    }
    if let Some((pos, c)) = text.char_indices().find(|(_, c)| !(' '..='~').contains(c)) {
        let what = if c.is_ascii() { format!("control character {:?}", c) } else { format!("non-ASCII character {c:?}") };
        return Err(err(pos, "", format!("{what}: SPF records are printable 7-bit ASCII (§3, §4.6.1)")));
    }
    if !is_spf1(text) {
        return Err(err(0, "", "record does not start with \"v=spf1\" followed by a space"));
    }
    let mut terms = Vec::new();
    let mut seen_redirect = false;
    let mut seen_exp = false;
    let bytes = text.as_bytes();
    let mut i = 6;
    while i < bytes.len() {
        if bytes[i] == b' ' {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i] != b' ' {
            i += 1;
        }
        let term = parse_term(&text[start..i], start)?;
        if let Term::Modifier(m) = &term {
            let seen = match m.name.as_str() {
                "redirect" => &mut seen_redirect,
                "exp" => &mut seen_exp,
                _ => &mut false,
            };
            if *seen {
                return Err(err(start, &m.text, format!("`{}` appears more than once (§6)", m.name)));
            }
            *seen = true;
        }
        terms.push(term);
    }
    Ok(Record { text: text.to_string(), terms })
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')
}

/// One space-free term.
pub fn parse_term(t: &str, pos: usize) -> Result<Term, ParseError> {
    let b = t.as_bytes();
    // modifier = name "=" macro-string; name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
    let name_end = b.iter().position(|&c| !is_name_char(c)).unwrap_or(b.len());
    if name_end < b.len() && b[name_end] == b'=' {
        if name_end == 0 || !b[0].is_ascii_alphabetic() {
            return Err(err(pos, t, "modifier name must start with a letter (§12)"));
        }
        let name = t[..name_end].to_ascii_lowercase();
        let raw = &t[name_end + 1..];
        let vpos = pos + name_end + 1;
        let value = parse_macro_string(raw, vpos, false).map_err(|e| err(e.pos, t, e.reason))?;
        if name == "redirect" || name == "exp" {
            check_domain_spec(&value, vpos).map_err(|e| err(e.pos, t, e.reason))?;
        }
        return Ok(Term::Modifier(Modifier { name, value, text: t.to_string(), pos }));
    }
    let (qualifier, explicit, rest, rpos) = match b[0] {
        b'+' => (Qualifier::Pass, true, &t[1..], pos + 1),
        b'-' => (Qualifier::Fail, true, &t[1..], pos + 1),
        b'~' => (Qualifier::SoftFail, true, &t[1..], pos + 1),
        b'?' => (Qualifier::Neutral, true, &t[1..], pos + 1),
        _ => (Qualifier::Pass, false, t, pos),
    };
    let mechanism = parse_mechanism(rest, rpos).map_err(|e| err(e.pos, t, e.reason))?;
    Ok(Term::Directive(Directive { qualifier, explicit_qualifier: explicit, mechanism, text: t.to_string(), pos }))
}

fn parse_mechanism(s: &str, pos: usize) -> Result<Mechanism, ParseError> {
    let name_len = s.bytes().position(|c| !c.is_ascii_alphanumeric()).unwrap_or(s.len());
    let name = s[..name_len].to_ascii_lowercase();
    let rest = &s[name_len..];
    let rpos = pos + name_len;
    // What follows the name: ":" domain-spec, or a CIDR for a/mx, or nothing.
    let arg = |required: bool| -> Result<Option<(&str, usize)>, ParseError> {
        match rest.strip_prefix(':') {
            Some(a) if a.is_empty() => Err(err(rpos, "", format!("`{name}:` needs a domain after the colon"))),
            Some(a) => Ok(Some((a, rpos + 1))),
            None if rest.is_empty() && required => Err(err(rpos, "", format!("`{name}` needs `:domain`"))),
            None if rest.is_empty() => Ok(None),
            None => Err(err(rpos, "", format!("unexpected `{rest}` after `{name}`"))),
        }
    };
    match name.as_str() {
        "all" => {
            if !rest.is_empty() {
                return Err(err(rpos, "", "`all` takes no argument"));
            }
            Ok(Mechanism::All)
        }
        "include" | "exists" => {
            let (a, apos) = arg(true)?.expect("required");
            let ms = parse_domain_spec(a, apos)?;
            Ok(if name == "include" { Mechanism::Include(ms) } else { Mechanism::Exists(ms) })
        }
        "ptr" => Ok(Mechanism::Ptr(match arg(false)? {
            Some((a, apos)) => Some(parse_domain_spec(a, apos)?),
            None => None,
        })),
        "a" | "mx" => {
            // Split off a trailing dual-cidr-length; what remains is the optional ":domain".
            let (head, cidr) = split_dual_cidr(rest, rpos)?;
            let domain = if head.is_empty() {
                None
            } else if let Some(d) = head.strip_prefix(':') {
                if d.is_empty() {
                    return Err(err(rpos, "", format!("`{name}:` needs a domain after the colon")));
                }
                Some(parse_domain_spec(d, rpos + 1)?)
            } else {
                return Err(err(rpos, "", format!("unexpected `{head}` after `{name}`")));
            };
            Ok(if name == "a" { Mechanism::A { domain, cidr } } else { Mechanism::Mx { domain, cidr } })
        }
        "ip4" => {
            let (a, apos) = arg(true)?.expect("required");
            let (addr_s, prefix) = match a.split_once('/') {
                Some((ad, p)) => (ad, Some(parse_cidr(p, 32, apos + ad.len() + 1)?)),
                None => (a, None),
            };
            let addr = parse_ip4_strict(addr_s).ok_or_else(|| err(apos, "", format!("`{addr_s}` is not a dotted-quad IPv4 address")))?;
            Ok(Mechanism::Ip4 { addr, prefix: prefix.unwrap_or(32) })
        }
        "ip6" => {
            let (a, apos) = arg(true)?.expect("required");
            let (addr_s, prefix) = match a.split_once('/') {
                Some((ad, p)) => (ad, Some(parse_cidr(p, 128, apos + ad.len() + 1)?)),
                None => (a, None),
            };
            let addr: Ipv6Addr =
                addr_s.parse().map_err(|_| err(apos, "", format!("`{addr_s}` is not an IPv6 address")))?;
            Ok(Mechanism::Ip6 { addr, prefix: prefix.unwrap_or(128) })
        }
        "" => Err(err(pos, "", "empty mechanism name")),
        other => Err(err(pos, "", format!("unknown mechanism `{other}` (§5: permerror)"))),
    }
}

/// ip4-cidr-length / ip6-cidr-length: "0" / %x31-39 0*2DIGIT, within the limit.
fn parse_cidr(s: &str, max: u8, pos: usize) -> Result<u8, ParseError> {
    let ok_digits = !s.is_empty() && s.len() <= 3 && s.bytes().all(|c| c.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if !ok_digits {
        return Err(err(pos, "", format!("`/{s}` is not a valid prefix length")));
    }
    let n: u16 = s.parse().map_err(|_| err(pos, "", format!("`/{s}` is not a number")))?;
    if n > max as u16 {
        return Err(err(pos, "", format!("prefix length /{n} is larger than {max}")));
    }
    Ok(n as u8)
}

/// Split `[":" domain] [ "/" n ] [ "//" n ]` into the domain part and the dual CIDR.
fn split_dual_cidr(s: &str, pos: usize) -> Result<(&str, DualCidr), ParseError> {
    let mut cidr = DualCidr::default();
    let mut head = s;
    // ip6 part: "//" digits at the end
    if let Some(idx) = head.rfind("//") {
        let tail = &head[idx + 2..];
        if !tail.contains('/') {
            cidr.v6 = Some(parse_cidr(tail, 128, pos + idx + 2)?);
            head = &head[..idx];
        }
    }
    if let Some(idx) = head.rfind('/') {
        let tail = &head[idx + 1..];
        // Only a trailing number is a CIDR; a '/' inside the domain-spec is a literal.
        if !tail.is_empty() && tail.bytes().all(|c| c.is_ascii_digit()) {
            cidr.v4 = Some(parse_cidr(tail, 32, pos + idx + 1)?);
            head = &head[..idx];
        } else if tail.is_empty() {
            return Err(err(pos + idx, "", "`/` without a prefix length"));
        }
    }
    Ok((head, cidr))
}

/// Dotted quad with no leading zeros, as `ip4-network` demands (§5.6).
pub fn parse_ip4_strict(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut o = [0u8; 4];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|c| c.is_ascii_digit()) || (p.len() > 1 && p.starts_with('0')) {
            return None;
        }
        o[i] = p.parse().ok()?;
    }
    Some(Ipv4Addr::from(o))
}

/// domain-spec = macro-string domain-end (§7.1).
pub fn parse_domain_spec(s: &str, pos: usize) -> Result<MacroString, ParseError> {
    let ms = parse_macro_string(s, pos, false)?;
    check_domain_spec(&ms, pos)?;
    Ok(ms)
}

/// domain-end = ( "." toplabel [ "." ] ) / macro-expand.
fn check_domain_spec(ms: &MacroString, pos: usize) -> Result<(), ParseError> {
    if ms.raw.is_empty() {
        return Err(err(pos, "", "empty domain-spec"));
    }
    for l in ms.letters() {
        if matches!(l, 'c' | 'r' | 't') {
            return Err(err(pos, "", format!("macro `%{{{l}}}` is allowed only in explanation text (§7.2)")));
        }
    }
    if let Some(MacroPart::Expand(_)) = ms.parts.last() {
        return Ok(());
    }
    let lit = match ms.parts.last() {
        Some(MacroPart::Literal(l)) => l.as_str(),
        _ => "",
    };
    let lit = lit.strip_suffix('.').unwrap_or(lit);
    let Some(dot) = lit.rfind('.') else {
        return Err(err(pos, "", format!("`{}` does not end in a dot and a top-level label (§7.1 domain-end)", ms.raw)));
    };
    let top = &lit[dot + 1..];
    if !is_toplabel(top) {
        return Err(err(
            pos + ms.raw.len().saturating_sub(top.len() + 1),
            "",
            format!("`{top}` is not a valid top-level label (§7.1: letters needed, no leading/trailing hyphen)"),
        ));
    }
    Ok(())
}

/// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
fn is_toplabel(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-') {
        return false;
    }
    if !b.contains(&b'-') {
        return b.iter().any(|c| c.is_ascii_alphabetic());
    }
    b[0].is_ascii_alphanumeric() && b[b.len() - 1].is_ascii_alphanumeric()
}

/// macro-string (or, with `explain`, explain-string, which may contain spaces).
pub fn parse_macro_string(s: &str, pos: usize, explain: bool) -> Result<MacroString, ParseError> {
    let b = s.as_bytes();
    let mut parts: Vec<MacroPart> = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            let Some(&next) = b.get(i + 1) else {
                return Err(err(pos + i, "", "`%` at the end: write `%%` for a percent sign (§7.1)"));
            };
            match next {
                b'%' => {
                    lit.push('%');
                    i += 2;
                }
                b'_' => {
                    lit.push(' ');
                    i += 2;
                }
                b'-' => {
                    lit.push_str("%20");
                    i += 2;
                }
                b'{' => {
                    let close = b[i..].iter().position(|&c| c == b'}').map(|p| p + i).ok_or_else(|| {
                        err(pos + i, "", "unterminated macro: `%{` without `}`")
                    })?;
                    let m = parse_macro_body(&s[i + 2..close], pos + i)?;
                    if !lit.is_empty() {
                        parts.push(MacroPart::Literal(std::mem::take(&mut lit)));
                    }
                    parts.push(MacroPart::Expand(m));
                    i = close + 1;
                }
                other => {
                    return Err(err(
                        pos + i,
                        "",
                        format!("`%{}` is not a macro: use `%{{..}}`, `%%`, `%_` or `%-` (§7.1)", other as char),
                    ));
                }
            }
        } else if (0x21..=0x7e).contains(&c) || (explain && c == b' ') {
            lit.push(c as char);
            i += 1;
        } else {
            return Err(err(pos + i, "", format!("character {:?} not allowed here", c as char)));
        }
    }
    if !lit.is_empty() {
        parts.push(MacroPart::Literal(lit));
    }
    Ok(MacroString { raw: s.to_string(), parts })
}

/// The inside of `%{...}`: letter, digits, "r", delimiters.
fn parse_macro_body(body: &str, pos: usize) -> Result<MacroExpand, ParseError> {
    let b = body.as_bytes();
    let Some(&l) = b.first() else {
        return Err(err(pos, "", "empty macro `%{}`"));
    };
    let letter = (l as char).to_ascii_lowercase();
    if !"slodiphcrtv".contains(letter) || !l.is_ascii_alphabetic() {
        return Err(err(pos, "", format!("unknown macro letter `{}` (§7.2)", l as char)));
    }
    let mut i = 1;
    let dstart = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let digits = if i > dstart {
        let ds = &body[dstart..i];
        // More parts than any name can have means "all of them"; avoid overflow.
        let n: usize = if ds.len() > 6 { 999_999 } else { ds.parse().unwrap_or(999_999) };
        if n == 0 {
            return Err(err(pos, "", "macro digit transformer must not be zero (§7.3)"));
        }
        Some(n)
    } else {
        None
    };
    let mut reverse = false;
    if i < b.len() && (b[i] == b'r' || b[i] == b'R') {
        reverse = true;
        i += 1;
    }
    let delimiters = &body[i..];
    if let Some(bad) = delimiters.chars().find(|c| !".-+,/_=".contains(*c)) {
        return Err(err(pos, "", format!("`{bad}` is not a macro delimiter (allowed: . - + , / _ =)")));
    }
    Ok(MacroExpand { letter, url_escape: l.is_ascii_uppercase(), digits, reverse, delimiters: delimiters.to_string() })
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
