//! A hand-written RFC 5321 Mailbox parser that says where and why an address is wrong.
//!
//! Grammar (RFC 5321 §4.1.2, extended for UTF-8 by RFC 6531):
//!   Mailbox    = Local-part "@" ( Domain / address-literal )
//!   Local-part = Dot-string / Quoted-string
//!   Domain     = sub-domain *("." sub-domain);  sub-domain = Let-dig [Ldh-str]
//! Limits (§4.5.3.1): local part 64 octets, domain 255 octets, path 256 octets
//! including the angle brackets, so at most 254 for the address itself.
//! Positions in errors are character offsets into the text given to the parser.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

pub const MAX_LOCAL_OCTETS: usize = 64;
pub const MAX_DOMAIN_OCTETS: usize = 255;
pub const MAX_ADDRESS_OCTETS: usize = 254;
const MAX_LABEL_OCTETS: usize = 63;

/// The domain part of a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Domain {
    /// A host name: as typed (Unicode allowed) and as sent on the wire (A-labels, lower case).
    Name { unicode: String, ascii: String },
    /// An address literal: `[192.0.2.1]` or `[IPv6:2001:db8::1]`.
    Literal { ip: IpAddr },
}

/// A parsed mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    /// The local part as written (quoted form keeps its quotes).
    pub local: String,
    pub domain: Domain,
    /// The local part holds non-ASCII characters: the receiver must support SMTPUTF8.
    pub needs_smtputf8: bool,
    /// The domain was given in Unicode (IDN) form.
    pub idn: bool,
}

impl Mailbox {
    /// The domain as DNS sees it (A-labels), or None for an address literal.
    pub fn domain_ascii(&self) -> Option<&str> {
        match &self.domain {
            Domain::Name { ascii, .. } => Some(ascii),
            Domain::Literal { .. } => None,
        }
    }
    /// `local@domain` with the domain in A-label form (what goes into MAIL FROM).
    pub fn to_ascii_string(&self) -> String {
        match &self.domain {
            Domain::Name { ascii, .. } => format!("{}@{}", self.local, ascii),
            Domain::Literal { ip: IpAddr::V4(ip) } => format!("{}@[{}]", self.local, ip),
            Domain::Literal { ip: IpAddr::V6(ip) } => format!("{}@[IPv6:{}]", self.local, ip),
        }
    }
}

/// Why an address is not valid, and where (0-based character offset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{reason} (at position {position})")]
pub struct AddressError {
    pub position: usize,
    pub reason: String,
}

fn err(position: usize, reason: impl Into<String>) -> AddressError {
    AddressError { position, reason: reason.into() }
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

/// Parse a bare RFC 5321 Mailbox (`local@domain`).
pub fn parse(addr: &str) -> Result<Mailbox, AddressError> {
    let chars: Vec<char> = addr.chars().collect();
    if chars.is_empty() {
        return Err(err(0, "empty address"));
    }
    if addr.len() > 4096 {
        return Err(err(0, format!("{} octets is far beyond any address (limit {MAX_ADDRESS_OCTETS})", addr.len())));
    }
    let (local, at) = parse_local(&chars)?;
    if at >= chars.len() {
        return Err(err(at, "missing \"@\" and domain: a sender must be fully qualified (user@domain)"));
    }
    if chars[at] != '@' {
        return Err(err(at, format!("unexpected {:?} in the local part", chars[at])));
    }
    let local_octets = local.len();
    if local_octets > MAX_LOCAL_OCTETS {
        return Err(err(0, format!("local part is {local_octets} octets (limit {MAX_LOCAL_OCTETS}, RFC 5321 §4.5.3.1.1)")));
    }
    let dom_start = at + 1;
    if dom_start >= chars.len() {
        return Err(err(dom_start, "missing domain after \"@\""));
    }
    let dom_text: String = chars[dom_start..].iter().collect();
    let (domain, idn) = if chars[dom_start] == '[' {
        (parse_literal(&chars, dom_start)?, false)
    } else {
        parse_domain(&dom_text, dom_start)?
    };
    let total = addr.len();
    if total > MAX_ADDRESS_OCTETS {
        return Err(err(0, format!("address is {total} octets (limit {MAX_ADDRESS_OCTETS}: a path is at most 256 octets with its angle brackets)")));
    }
    let needs_smtputf8 = !local.is_ascii();
    Ok(Mailbox { local, domain, needs_smtputf8, idn })
}

/// Returns the local part and the index just after it.
fn parse_local(chars: &[char]) -> Result<(String, usize), AddressError> {
    if chars[0] == '"' {
        let mut i = 1;
        while i < chars.len() {
            match chars[i] {
                '"' => {
                    let local: String = chars[..=i].iter().collect();
                    return Ok((local, i + 1));
                }
                '\\' => {
                    match chars.get(i + 1) {
                        Some(c) if (' '..='~').contains(c) => i += 2,
                        Some(c) => return Err(err(i + 1, format!("{c:?} cannot be escaped in a quoted local part (only printable ASCII)"))),
                        None => return Err(err(i, "backslash at the end of the address")),
                    }
                    continue;
                }
                c if c == ' ' || c == '!' || ('#'..='[').contains(&c) || (']'..='~').contains(&c) || !c.is_ascii() => i += 1,
                c => return Err(err(i, format!("{c:?} is not allowed inside a quoted local part"))),
            }
        }
        return Err(err(0, "unterminated quoted local part (missing closing '\"')"));
    }
    let mut i = 0;
    let mut prev_dot = true; // a dot may not come first
    while i < chars.len() && chars[i] != '@' {
        let c = chars[i];
        if c == '.' {
            if prev_dot {
                return Err(err(i, if i == 0 { "local part starts with a dot" } else { "two dots in a row in the local part" }));
            }
            prev_dot = true;
        } else if is_atext(c) {
            prev_dot = false;
        } else if c == ' ' || c == '"' || c == '(' || c == ')' || c == ',' || c == ':' || c == ';' || c == '<' || c == '>' || c == '[' || c == ']' || c == '\\' {
            return Err(err(i, format!("{c:?} is not allowed in an unquoted local part (quote the local part or remove it)")));
        } else {
            return Err(err(i, format!("{c:?} is not allowed in a local part")));
        }
        i += 1;
    }
    if i == 0 {
        return Err(err(0, "empty local part"));
    }
    if prev_dot {
        return Err(err(i - 1, "local part ends with a dot"));
    }
    Ok((chars[..i].iter().collect(), i))
}

fn parse_literal(chars: &[char], start: usize) -> Result<Domain, AddressError> {
    let close = chars[start..].iter().position(|&c| c == ']').map(|p| p + start);
    let Some(close) = close else {
        return Err(err(start, "address literal has no closing ']'"));
    };
    if close + 1 != chars.len() {
        return Err(err(close + 1, "text after the address literal"));
    }
    let inner: String = chars[start + 1..close].iter().collect();
    if let Some(v6) = inner.strip_prefix("IPv6:").or_else(|| inner.strip_prefix("ipv6:")) {
        return v6
            .parse::<Ipv6Addr>()
            .map(|ip| Domain::Literal { ip: IpAddr::V6(ip) })
            .map_err(|_| err(start + 6, format!("{v6:?} is not an IPv6 address")));
    }
    if let Some((tag, _)) = inner.split_once(':') {
        return Err(err(start + 1, format!("general address literal with tag {tag:?} is not usable for mail")));
    }
    inner
        .parse::<Ipv4Addr>()
        .map(|ip| Domain::Literal { ip: IpAddr::V4(ip) })
        .map_err(|_| err(start + 1, format!("{inner:?} is not an IPv4 address (IPv6 literals are written [IPv6:...])")))
}

/// Check RFC 5321 host-name syntax on ASCII text; `offset` maps positions back.
fn check_ascii_domain(dom: &str, offset: usize) -> Result<(), AddressError> {
    let mut pos = offset;
    for (i, label) in dom.split('.').enumerate() {
        if label.is_empty() {
            let what = if i == 0 { "domain starts with a dot" } else if pos == offset + dom.chars().count() { "domain ends with a dot" } else { "two dots in a row in the domain" };
            return Err(err(pos, what));
        }
        if label.len() > MAX_LABEL_OCTETS {
            return Err(err(pos, format!("domain label of {} octets (limit {MAX_LABEL_OCTETS})", label.len())));
        }
        for (j, c) in label.chars().enumerate() {
            if !(c.is_ascii_alphanumeric() || c == '-') {
                let why = if c == '_' { "underscore is not allowed in a host name".to_string() } else { format!("{c:?} is not allowed in a domain") };
                return Err(err(pos + j, why));
            }
        }
        if label.starts_with('-') {
            return Err(err(pos, "domain label starts with a hyphen"));
        }
        if label.ends_with('-') {
            return Err(err(pos + label.len() - 1, "domain label ends with a hyphen"));
        }
        pos += label.chars().count() + 1;
    }
    Ok(())
}

fn parse_domain(dom: &str, offset: usize) -> Result<(Domain, bool), AddressError> {
    if dom.ends_with('.') {
        return Err(err(offset + dom.chars().count() - 1, "domain ends with a dot"));
    }
    if dom.is_ascii() {
        check_ascii_domain(dom, offset)?;
        let ascii = dom.to_ascii_lowercase();
        if ascii.len() > MAX_DOMAIN_OCTETS {
            return Err(err(offset, format!("domain is {} octets (limit {MAX_DOMAIN_OCTETS})", ascii.len())));
        }
        // An A-label that does not decode is not a valid IDN.
        if ascii.split('.').any(|l| l.starts_with("xn--")) {
            let (_, res) = idna::domain_to_unicode(&ascii);
            if res.is_err() {
                return Err(err(offset, "an xn-- label is not a valid IDNA A-label"));
            }
        }
        return Ok((Domain::Name { unicode: dom.to_string(), ascii }, false));
    }
    // Internationalised domain: IDNA2008/UTS-46 strict (no underscores, valid lengths).
    if let Some(i) = dom.chars().position(|c| c == '_' || c == ' ' || c == '@') {
        return Err(err(offset + i, format!("{:?} is not allowed in a domain", dom.chars().nth(i).unwrap_or('_'))));
    }
    match idna::domain_to_ascii_strict(dom) {
        Ok(ascii) => {
            check_ascii_domain(&ascii, offset).map_err(|e| err(offset, format!("IDN domain converts to an invalid name ({})", e.reason)))?;
            if ascii.len() > MAX_DOMAIN_OCTETS {
                return Err(err(offset, format!("domain is {} octets in A-label form (limit {MAX_DOMAIN_OCTETS})", ascii.len())));
            }
            Ok((Domain::Name { unicode: dom.to_string(), ascii }, true))
        }
        Err(_) => Err(err(offset, format!("{dom:?} is not a valid internationalised domain name (IDNA2008)"))),
    }
}

/// Accept the RFC 5322 forms users paste (`"Shop" <billing@shop.example>`, `<a@b>`,
/// `a@b (comment)`) and parse the addr-spec inside. Positions refer to `input`.
pub fn parse_input(input: &str) -> Result<Mailbox, AddressError> {
    let (spec, offset) = extract_addr_spec(input)?;
    parse(spec).map_err(|e| err(e.position + offset, e.reason))
}

/// Find the addr-spec in an RFC 5322 mailbox; returns it with its character offset.
fn extract_addr_spec(input: &str) -> Result<(&str, usize), AddressError> {
    let char_offset = |byte: usize| input[..byte].chars().count();
    // A quoted display name may contain '<'; look for the angle-addr outside quotes.
    let mut in_quotes = false;
    let mut escaped = false;
    let mut open = None;
    for (i, c) in input.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '<' if !in_quotes => open = Some(i),
            _ => {}
        }
    }
    if let Some(open) = open {
        let Some(close_rel) = input[open..].find('>') else {
            return Err(err(char_offset(open), "'<' without a closing '>'"));
        };
        let close = open + close_rel;
        let after = input[close + 1..].trim();
        if !after.is_empty() && !after.starts_with('(') {
            return Err(err(char_offset(close + 1), "text after the closing '>'"));
        }
        let inner = &input[open + 1..close];
        // A source route (<@a,@b:user@c>) is obsolete; skip it as RFC 5321 §4.1.2 allows.
        let inner_trim = inner.trim();
        let lead = inner.len() - inner.trim_start().len();
        let spec = match inner_trim.strip_prefix('@').and_then(|_| inner_trim.find(':')) {
            Some(colon) => &inner_trim[colon + 1..],
            None => inner_trim,
        };
        let skip = inner_trim.len() - spec.len();
        return Ok((spec, char_offset(open + 1 + lead + skip)));
    }
    let trimmed_start = input.len() - input.trim_start().len();
    let mut spec = input.trim();
    // A trailing RFC 5322 comment: billing@shop.example (Billing)
    if spec.ends_with(')') {
        if let Some(p) = spec.rfind(" (") {
            spec = spec[..p].trim_end();
        }
    }
    let spec = spec.strip_prefix("mailto:").unwrap_or(spec);
    let start = input.find(spec).unwrap_or(trimmed_start);
    Ok((spec, char_offset(start)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Mailbox {
        parse_input(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }
    fn bad(s: &str) -> AddressError {
        match parse_input(s) {
            Ok(m) => panic!("{s:?} should not parse, got {m:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn valid_addresses() {
        let table: &[(&str, &str, &str)] = &[
            ("billing@shop.example", "billing", "shop.example"),
            ("Billing@Shop.EXAMPLE", "Billing", "shop.example"),
            ("first.last+tag@mail.shop.example", "first.last+tag", "mail.shop.example"),
            ("\"john doe\"@example.com", "\"john doe\"", "example.com"),
            ("\"a\\\"b\"@example.com", "\"a\\\"b\"", "example.com"),
            ("!#$%&'*+-/=?^_`{|}~@example.com", "!#$%&'*+-/=?^_`{|}~", "example.com"),
            ("\"Shop\" <billing@shop.example>", "billing", "shop.example"),
            ("Shop Billing <billing@shop.example>", "billing", "shop.example"),
            ("<billing@shop.example>", "billing", "shop.example"),
            ("billing@shop.example (Billing dept)", "billing", "shop.example"),
            ("\"a <b>\" <x@y.example>", "x", "y.example"),
            ("<@relay.example:user@shop.example>", "user", "shop.example"),
            ("user@localhost", "user", "localhost"),
            ("a@1.example", "a", "1.example"),
        ];
        for (input, local, domain) in table {
            let m = ok(input);
            assert_eq!(&m.local, local, "{input}");
            assert_eq!(m.domain_ascii(), Some(*domain), "{input}");
            assert!(!m.needs_smtputf8, "{input}");
        }
    }

    #[test]
    fn idn_and_smtputf8() {
        let m = ok("info@bücher.example");
        assert_eq!(m.domain_ascii(), Some("xn--bcher-kva.example"));
        assert!(m.idn);
        assert!(!m.needs_smtputf8);
        let m = ok("jörg@example.com");
        assert!(m.needs_smtputf8);
        let m = ok("用户@例子.测试");
        assert!(m.needs_smtputf8 && m.idn);
        assert_eq!(m.domain_ascii(), Some("xn--fsqu00a.xn--0zwm56d"));
    }

    #[test]
    fn address_literals() {
        let m = ok("postmaster@[192.0.2.1]");
        assert_eq!(m.domain, Domain::Literal { ip: "192.0.2.1".parse().unwrap() });
        let m = ok("postmaster@[IPv6:2001:db8::1]");
        assert_eq!(m.domain, Domain::Literal { ip: "2001:db8::1".parse().unwrap() });
        assert_eq!(m.to_ascii_string(), "postmaster@[IPv6:2001:db8::1]");
        assert_eq!(bad("a@[300.1.1.1]").position, 3);
        assert_eq!(bad("a@[192.0.2.1").position, 2);
        assert!(bad("a@[x-tag:foo]").reason.contains("general address literal"));
    }

    #[test]
    fn invalid_addresses_with_positions() {
        let table: &[(&str, usize, &str)] = &[
            ("", 0, "empty"),
            ("billing", 7, "missing \"@\""),
            ("billing@", 8, "missing domain"),
            ("@shop.example", 0, "empty local part"),
            (".a@shop.example", 0, "starts with a dot"),
            ("a.@shop.example", 1, "ends with a dot"),
            ("a..b@shop.example", 2, "two dots"),
            ("a b@shop.example", 1, "not allowed in an unquoted"),
            ("a@ex_ample.com", 4, "underscore"),
            ("a@-shop.example", 2, "starts with a hyphen"),
            ("a@shop-.example", 6, "ends with a hyphen"),
            ("a@shop..example", 7, "two dots"),
            ("a@shop.example.", 14, "ends with a dot"),
            ("a@shop example", 6, "not allowed in a domain"),
            ("\"unterminated@shop.example", 0, "unterminated"),
            ("a@b@c.example", 3, "'@' is not allowed"),
            ("Shop <billing@shop.example", 5, "without a closing"),
            ("Shop <billing@ex_ample.com>", 16, "underscore"),
        ];
        for (input, pos, reason) in table {
            let e = bad(input);
            assert_eq!(e.position, *pos, "{input}: {e}");
            assert!(e.reason.contains(reason), "{input}: {e}");
        }
    }

    #[test]
    fn idn_with_underscore_rejected() {
        let e = bad("a@bü_cher.example");
        assert_eq!(e.position, 4);
    }

    #[test]
    fn length_limits() {
        let local = "a".repeat(65);
        assert!(bad(&format!("{local}@shop.example")).reason.contains("limit 64"));
        let label = "b".repeat(64);
        assert!(bad(&format!("a@{label}.example")).reason.contains("limit 63"));
        let long_domain = vec!["c".repeat(60); 4].join(".");
        let addr = format!("{}@{}", "a".repeat(12), long_domain);
        assert!(addr.len() > 254 && long_domain.len() < 255);
        assert!(bad(&addr).reason.contains("limit 254"));
        let ok_local = "a".repeat(64);
        ok(&format!("{ok_local}@shop.example"));
    }
}
