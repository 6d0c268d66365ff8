//! The HELO/EHLO name: its form (RFC 5321 §4.1.1.1, §4.1.3), whether it resolves, whether
//! it resolves to the sending IP, and whether it matches the reverse DNS.
//!
//! The parser (`parse`) is pure; `lookup` asks DNS; `findings` decides.

use std::net::IpAddr;

use serde::Serialize;

use super::ipclass;
use super::ptr::PtrReport;
use crate::dns::{Outcome, RType, Resolver};
use crate::finding::{Finding, Fix, Severity};

/// What kind of HELO argument this is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HeloKind {
    /// A syntactically valid fully-qualified host name (lower case, no trailing dot).
    Fqdn { name: String },
    /// An address literal, `[192.0.2.1]` or `[IPv6:2001:db8::1]`.
    Literal { ip: IpAddr },
    /// `localhost`, `localhost.localdomain` and friends.
    Localhost { name: String },
    /// A single label such as `mailserver` or `WIN-7Q3`.
    Bare { name: String },
    /// Not a host name and not a valid literal (bare IP, bad characters, empty, ...).
    Invalid { reason: String },
}

fn label_ok(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// Classify a HELO argument as sent on the wire.
pub fn parse(raw: &str) -> HeloKind {
    let t = raw.trim();
    if t.is_empty() {
        return HeloKind::Invalid { reason: "the HELO name is empty".into() };
    }
    let shown: String = t.chars().take(80).collect();
    if t.starts_with('[') || t.ends_with(']') {
        let inner = t.strip_prefix('[').and_then(|s| s.strip_suffix(']'));
        let ip = inner.and_then(|s| match s.strip_prefix("IPv6:").or_else(|| s.strip_prefix("ipv6:")) {
            Some(v6) => v6.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6),
            None => s.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4),
        });
        return match ip {
            Some(ip) => HeloKind::Literal { ip },
            None => HeloKind::Invalid {
                reason: format!("{shown:?} is not a valid address literal (write [192.0.2.1] or [IPv6:2001:db8::1])"),
            },
        };
    }
    if t.parse::<IpAddr>().is_ok() {
        return HeloKind::Invalid { reason: format!("{shown:?} is a bare IP address; RFC 5321 requires the literal form [{shown}]") };
    }
    if !t.is_ascii() {
        return HeloKind::Invalid { reason: format!("{shown:?} contains non-ASCII characters; HELO takes the A-label (xn--) form") };
    }
    let name = crate::dns::normalize(t);
    if name == "localhost" || name.starts_with("localhost.") || name.ends_with(".localdomain") || name == "localdomain" {
        return HeloKind::Localhost { name };
    }
    if name.len() > 253 {
        return HeloKind::Invalid { reason: format!("the HELO name is {} characters long (limit 253)", name.len()) };
    }
    let labels: Vec<&str> = name.split('.').collect();
    if let Some(bad) = labels.iter().find(|l| !label_ok(l)) {
        let bad: String = bad.chars().take(63).collect();
        return HeloKind::Invalid { reason: format!("label {bad:?} of {shown:?} is not a valid host-name label (letters, digits, inner hyphens)") };
    }
    if labels.len() < 2 {
        return HeloKind::Bare { name };
    }
    if labels.last().is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit())) {
        return HeloKind::Invalid { reason: format!("{shown:?} ends in a numeric label: not a host name") };
    }
    HeloKind::Fqdn { name }
}

/// The HELO name, classified and (for a host name) resolved.
#[derive(Debug, Clone, Serialize)]
pub struct HeloReport {
    pub raw: String,
    pub kind: HeloKind,
    /// A and AAAA lookups, one evidence line each (host names only).
    pub lookups: Vec<String>,
    pub addresses: Vec<IpAddr>,
    /// Both lookups failed (SERVFAIL, timeout...): resolution is unknown.
    pub lookup_failed: bool,
    /// Neither A nor AAAA exists (NXDOMAIN or NODATA for both).
    pub unresolvable: bool,
}

/// Classify and resolve the HELO name (A and AAAA concurrently).
pub async fn lookup(resolver: &Resolver, raw: &str) -> HeloReport {
    let kind = parse(raw);
    let mut report = HeloReport {
        raw: raw.chars().take(300).collect(),
        kind: kind.clone(),
        lookups: Vec::new(),
        addresses: Vec::new(),
        lookup_failed: false,
        unresolvable: false,
    };
    if let HeloKind::Fqdn { name } = &kind {
        let (a, aaaa) = tokio::join!(resolver.query(name, RType::A), resolver.query(name, RType::Aaaa));
        report.lookups = vec![a.summary(), aaaa.summary()];
        report.addresses = a.ips().into_iter().chain(aaaa.ips()).map(ipclass::canonical).collect();
        let absent = |o: Outcome| matches!(o, Outcome::NxDomain | Outcome::NoData);
        report.unresolvable = absent(a.outcome) && absent(aaaa.outcome);
        report.lookup_failed = report.addresses.is_empty() && !report.unresolvable;
    }
    report
}

/// Decide about the HELO name given the sending IP and its reverse DNS.
pub fn findings(report: &HeloReport, ip: Option<IpAddr>, ptr: Option<&PtrReport>, suggested: &str) -> Vec<Finding> {
    // Titles stay one readable line whatever was sent.
    let raw = &if report.raw.chars().count() > 80 {
        format!("{}…", report.raw.chars().take(80).collect::<String>())
    } else {
        report.raw.clone()
    };
    let subject = format!("HELO {raw}");
    let helo_fix = || {
        Fix::setting(format!(
            "Set the HELO/EHLO name of the sending server to a fully-qualified name that resolves to its IP, e.g. {suggested} \
             (Postfix: smtp_helo_name / myhostname; Exchange: the send connector's FQDN)."
        ))
    };
    let mut out = Vec::new();
    match &report.kind {
        HeloKind::Invalid { reason } => out.push(
            Finding::new("host.helo-invalid", Severity::Error, format!("The HELO name {raw:?} is not a valid host name or address literal"))
                .evidence(reason.clone())
                .detail("Postfix reject_invalid_helo_hostname and most large receivers refuse it (\"Helo command rejected: Invalid name\").")
                .fix(helo_fix())
                .subject(subject),
        ),
        HeloKind::Localhost { .. } => out.push(
            Finding::new("host.helo-localhost", Severity::Error, format!("The HELO name is {raw}"))
                .detail("A server that introduces itself as localhost is misconfigured or forging; receivers reject it.")
                .fix(helo_fix())
                .subject(subject),
        ),
        HeloKind::Bare { .. } => out.push(
            Finding::new("host.helo-not-fqdn", Severity::Error, format!("The HELO name {raw:?} is not fully qualified"))
                .detail("Postfix reject_non_fqdn_helo_hostname and many providers refuse a single-label HELO (\"need fully-qualified hostname\").")
                .fix(helo_fix())
                .subject(subject),
        ),
        HeloKind::Literal { ip: lit } => match ip {
            Some(ip) if ipclass::canonical(*lit) != ip => out.push(
                Finding::new("host.helo-literal-mismatch", Severity::Error, format!("The HELO literal [{lit}] is not the sending IP {ip}"))
                    .detail("The server claims another address than the one it connects from; receivers treat that as forgery.")
                    .fix(helo_fix())
                    .subject(subject),
            ),
            _ => out.push(
                Finding::new("host.helo-literal", Severity::Warning, format!("The HELO is an address literal ({raw})"))
                    .detail("Allowed by RFC 5321 when a host has no name, but spam filters score it and some receivers refuse it.")
                    .fix(helo_fix())
                    .subject(subject),
            ),
        },
        HeloKind::Fqdn { name } => {
            let evidence = report.lookups.clone();
            if report.lookup_failed {
                out.push(
                    Finding::new("host.helo-unchecked", Severity::Unknown, format!("Could not resolve the HELO name {name}"))
                        .evidences(evidence)
                        .subject(subject),
                );
                return out;
            }
            let fwd_type = |ip: &IpAddr| if ip.is_ipv4() { "A" } else { "AAAA" };
            if report.unresolvable {
                let mut f = Finding::new("host.helo-unresolvable", Severity::Warning, format!("The HELO name {name} does not resolve"))
                    .evidences(evidence)
                    .detail("Postfix reject_unknown_helo_hostname refuses it (\"Helo command rejected: Host not found\").")
                    .subject(subject);
                f = match ip {
                    Some(ip) => f.fix(Fix::record(name.clone(), fwd_type(&ip), ip.to_string(), "Publish")),
                    None => f.fix(helo_fix()),
                };
                out.push(f);
                return out;
            }
            let Some(ip) = ip else {
                out.push(Finding::new("host.helo-ok", Severity::Ok, format!("The HELO name {name} is fully qualified and resolves")).evidences(evidence).subject(subject));
                return out;
            };
            if !report.addresses.contains(&ip) {
                // A forward-confirmed PTR name is the natural HELO; otherwise the name needs the address.
                let confirmed = ptr.map(|p| p.confirmed_names()).unwrap_or_default();
                let fix = match confirmed.first() {
                    Some(good) => Fix::setting(format!(
                        "Use {good} as the HELO/EHLO name: it is the reverse DNS of {ip} and resolves back to it \
                         (Postfix: smtp_helo_name = {good})."
                    )),
                    None => Fix::record(name.clone(), fwd_type(&ip), ip.to_string(), "Add (or use a HELO name that already resolves to the IP)"),
                };
                out.push(
                    Finding::new("host.helo-mismatch", Severity::Warning, format!("The HELO name {name} does not resolve to the sending IP {ip}"))
                        .evidences(evidence)
                        .detail("Some receivers and spam filters require the HELO name to point at the connecting IP.")
                        .fix(fix)
                        .subject(subject),
                );
                return out;
            }
            let ptr_names: Vec<&str> = ptr.map(|p| p.names.iter().map(|n| n.name.as_str()).collect()).unwrap_or_default();
            if !ptr_names.is_empty() && !ptr_names.contains(&name.as_str()) {
                out.push(
                    Finding::new("host.helo-ptr-mismatch", Severity::Info, format!("The HELO name {name} differs from the reverse DNS ({})", ptr_names.join(", ")))
                        .detail("Not required, but the cleanest set-up is PTR = HELO = a name resolving to the IP; some filters score the difference.")
                        .fix(Fix::setting(format!("Use {} as the HELO name, or have the PTR of {ip} set to {name}.", ptr_names[0])))
                        .subject(subject),
                );
            } else {
                out.push(
                    Finding::new("host.helo-ok", Severity::Ok, format!("The HELO name {name} resolves to {ip}"))
                        .evidences(evidence)
                        .subject(subject),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert!(matches!(parse("mail.shop.example"), HeloKind::Fqdn { .. }));
        assert!(matches!(parse("Mail.Shop.Example."), HeloKind::Fqdn { name } if name == "mail.shop.example"));
        assert!(matches!(parse("[192.0.2.1]"), HeloKind::Literal { .. }));
        assert!(matches!(parse("[IPv6:2001:db8::1]"), HeloKind::Literal { .. }));
        assert!(matches!(parse("[2001:db8::1]"), HeloKind::Invalid { .. }));
        assert!(matches!(parse("[300.1.1.1]"), HeloKind::Invalid { .. }));
        assert!(matches!(parse("192.0.2.1"), HeloKind::Invalid { .. }));
        assert!(matches!(parse("localhost"), HeloKind::Localhost { .. }));
        assert!(matches!(parse("localhost.localdomain"), HeloKind::Localhost { .. }));
        assert!(matches!(parse("WIN-7Q3ABC"), HeloKind::Bare { .. }));
        assert!(matches!(parse("bad_name.example"), HeloKind::Invalid { .. }));
        assert!(matches!(parse("-x.example"), HeloKind::Invalid { .. }));
        assert!(matches!(parse(""), HeloKind::Invalid { .. }));
        assert!(matches!(parse("mail.exämple"), HeloKind::Invalid { .. }));
        assert!(matches!(parse(&"a.".repeat(200)), HeloKind::Invalid { .. }));
    }
}
