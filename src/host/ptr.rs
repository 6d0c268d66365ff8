//! Reverse DNS of the sending IP and forward confirmation (FCrDNS):
//! IP → PTR name(s) → A/AAAA → does the IP come back?
//!
//! Receivers reject on this before any SPF check (Gmail 5.7.25, Postfix
//! `reject_unknown_client_hostname`), so the findings name who fixes it: the PTR is
//! set by whoever holds the IP block (hosting provider / ISP), not the domain's DNS host.

use std::net::IpAddr;

use futures::future::join_all;
use serde::Serialize;

use super::ipclass;
use crate::dns::{Outcome, RType, Resolver};
use crate::finding::{Finding, Fix, Severity};

/// At most this many PTR names are forward-checked (a reverse zone may hold hundreds).
const MAX_PTR_NAMES: usize = 10;

/// One PTR name and what its forward lookup said.
#[derive(Debug, Clone, Serialize)]
pub struct PtrName {
    pub name: String,
    /// The forward lookup (A for IPv4, AAAA for IPv6), one evidence line.
    pub forward: String,
    pub forward_outcome: Outcome,
    pub forward_ips: Vec<IpAddr>,
    /// The name resolves back to the sending IP.
    pub confirmed: bool,
    /// Why the name looks like a generic / dynamic pool name (empty: it does not).
    pub generic: Vec<String>,
}

/// The reverse-DNS picture of one IP.
#[derive(Debug, Clone, Serialize)]
pub struct PtrReport {
    pub reverse_name: String,
    pub outcome: Outcome,
    /// The PTR answer as one evidence line.
    pub answer: String,
    pub names: Vec<PtrName>,
    /// How many PTR names there were (names beyond MAX_PTR_NAMES are not forward-checked).
    pub total_names: usize,
}

impl PtrReport {
    /// The name receivers will most likely use: the first confirmed one, else the first.
    pub fn best_name(&self) -> Option<&PtrName> {
        self.names.iter().find(|n| n.confirmed).or_else(|| self.names.first())
    }
    pub fn confirmed_names(&self) -> Vec<&str> {
        self.names.iter().filter(|n| n.confirmed).map(|n| n.name.as_str()).collect()
    }
}

/// Look up the PTR of `ip` and forward-check every name, concurrently.
pub async fn lookup(resolver: &Resolver, ip: IpAddr) -> PtrReport {
    let ip = ipclass::canonical(ip);
    let reverse_name = ipclass::reverse_name(ip);
    let answer = resolver.query(&reverse_name, RType::Ptr).await;
    let mut all: Vec<String> = Vec::new();
    for n in answer.names() {
        if !all.contains(&n) {
            all.push(n);
        }
    }
    let total_names = all.len();
    let rtype = if ip.is_ipv4() { RType::A } else { RType::Aaaa };
    let checks = all.iter().take(MAX_PTR_NAMES).map(|name| {
        let resolver = resolver.clone();
        let name = name.clone();
        async move {
            let fwd = resolver.query(&name, rtype).await;
            let forward_ips: Vec<IpAddr> = fwd.ips().into_iter().map(ipclass::canonical).collect();
            PtrName {
                confirmed: forward_ips.contains(&ip),
                generic: generic_reasons(&name, ip),
                forward: fwd.summary(),
                forward_outcome: fwd.outcome,
                forward_ips,
                name,
            }
        }
    });
    let names = join_all(checks).await;
    PtrReport { reverse_name, outcome: answer.outcome, answer: answer.summary(), names, total_names }
}

/// Words that mark a reverse name as an access / pool name rather than a mail server's.
const GENERIC_WORDS: &[&str] = &[
    "dynamic", "dyn", "dynip", "dhcp", "dsl", "adsl", "xdsl", "vdsl", "sdsl", "pool", "cable", "cpe", "dialup",
    "dial", "ppp", "pppoe", "broadband", "client", "customer", "cust", "residential", "resi", "home", "user",
    "users", "nat", "wireless", "wifi", "mobile", "lte", "ftth", "fttx", "fiber", "fibre", "catv", "unassigned",
    "unused", "static", "ip", "host", "hsd", "modem", "subscriber",
];

/// The organizational domain of a host name (the registrable domain), per the public suffix list.
pub fn org_domain(name: &str) -> Option<String> {
    let name = crate::dns::normalize(name);
    psl::domain_str(&name).map(str::to_string)
}

/// Why `name` looks generic for `ip` (embedded address, pool keywords), in words.
pub fn generic_reasons(name: &str, ip: IpAddr) -> Vec<String> {
    let name = crate::dns::normalize(name);
    let mut reasons = Vec::new();
    if !name.contains('.') || name == "localhost" || name.ends_with(".localdomain") {
        reasons.push(format!("{name} is not a fully-qualified host name"));
        return reasons;
    }
    if name.parse::<IpAddr>().is_ok() || name.split('.').all(|l| l.bytes().all(|b| b.is_ascii_digit())) {
        reasons.push(format!("{name} is an address written as a name, not a host name"));
        return reasons;
    }
    if name.ends_with(".in-addr.arpa") || name.ends_with(".ip6.arpa") {
        reasons.push(format!("{name} is a reverse-zone name, not a host name"));
        return reasons;
    }
    // Only the part left of the registrable domain describes the host.
    let host_part = match org_domain(&name) {
        Some(org) if name.len() > org.len() => name[..name.len() - org.len() - 1].to_string(),
        _ => String::new(),
    };
    if let IpAddr::V4(v4) = ip {
        let o = v4.octets();
        let numbers: Vec<u32> = host_part
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty() && s.len() <= 3)
            .filter_map(|s| s.parse().ok())
            .collect();
        let fwd: Vec<u32> = o.iter().map(|&b| b as u32).collect();
        let rev: Vec<u32> = fwd.iter().rev().copied().collect();
        let contains = |seq: &[u32]| numbers.windows(seq.len()).any(|w| w == seq);
        if contains(&fwd) || contains(&rev) || contains(&fwd[1..]) || contains(&rev[..3]) {
            reasons.push(format!("the address {v4} is written into the name"));
        } else {
            let hex = format!("{:02x}{:02x}{:02x}{:02x}", o[0], o[1], o[2], o[3]);
            if host_part.contains(&hex) {
                reasons.push(format!("the address {v4} is written into the name in hex ({hex})"));
            }
        }
    }
    if let IpAddr::V6(v6) = ip {
        // Pool names spell the address out: 2001-db8-0-0-0-0-0-25, or 32 hex digits.
        let groups: Vec<String> = v6.segments().iter().map(|g| format!("{g:x}")).collect();
        let tokens: Vec<String> = host_part
            .split(|c: char| !c.is_ascii_hexdigit())
            .filter(|t| !t.is_empty())
            .map(|t| t.trim_start_matches('0').to_string())
            .map(|t| if t.is_empty() { "0".to_string() } else { t })
            .collect();
        let tail: Vec<String> = groups[4..].to_vec();
        let nibbles: String = v6.octets().iter().map(|b| format!("{b:02x}")).collect();
        if tokens.windows(4).any(|w| w == tail.as_slice()) || host_part.replace(['-', '.'], "").contains(&nibbles) {
            reasons.push(format!("the address {v6} is written into the name"));
        }
    }
    let words: Vec<&str> = host_part
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    let hits: Vec<&str> = words.iter().copied().filter(|w| GENERIC_WORDS.contains(w)).collect();
    // "host" and "ip" alone are weak signals; they count only beside an embedded address.
    let strong: Vec<&str> = hits.iter().copied().filter(|w| !matches!(*w, "host" | "ip" | "static" | "user" | "users")).collect();
    if !strong.is_empty() || (!hits.is_empty() && !reasons.is_empty()) {
        let mut uniq = hits.clone();
        uniq.dedup();
        reasons.push(format!("the name contains {}", uniq.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(", ")));
    }
    reasons
}

/// The name a fix should suggest for the PTR: the HELO name when it is a real host
/// name, else mail.<sender domain>.
pub fn suggested_name(helo: Option<&str>, sender_domain: Option<&str>) -> String {
    if let Some(h) = helo {
        let h = crate::dns::normalize(h);
        if h.contains('.') && !h.starts_with('[') && h.parse::<IpAddr>().is_err() && h != "localhost" {
            return h;
        }
    }
    match sender_domain {
        Some(d) => format!("mail.{}", crate::dns::normalize(d)),
        None => "mail.your-domain.example".to_string(),
    }
}

/// Turn the reverse-DNS picture into findings.
pub fn findings(ip: IpAddr, report: &PtrReport, suggested: &str, sender_domain: Option<&str>) -> Vec<Finding> {
    let mut out = Vec::new();
    let subject = ip.to_string();
    let fwd_type = if ip.is_ipv4() { "A" } else { "AAAA" };
    let ask_isp = format!(
        "Ask the owner of the IP block (your hosting provider or ISP — not your DNS host) to set the PTR of {ip} to {suggested}, \
         and publish {suggested}. IN {fwd_type} {ip} in your own zone."
    );
    if report.outcome.is_failure() {
        out.push(
            Finding::new("host.ptr-unchecked", Severity::Unknown, format!("Could not look up the reverse DNS (PTR) of {ip}"))
                .evidence(report.answer.clone())
                .detail("The PTR lookup failed; this is not the same as having no PTR.")
                .subject(subject),
        );
        return out;
    }
    if report.names.is_empty() {
        out.push(
            Finding::new("host.no-ptr", Severity::Error, format!("{ip} has no reverse DNS (PTR) record"))
                .evidence(report.answer.clone())
                .detail(
                    "Many receivers refuse mail from an IP without reverse DNS (Gmail 550 5.7.25, Postfix \
                     reject_unknown_client_hostname, most spam filters score it heavily).",
                )
                .fix(Fix::setting(ask_isp))
                .subject(subject),
        );
        return out;
    }
    let mut evidence = vec![report.answer.clone()];
    evidence.extend(report.names.iter().map(|n| n.forward.clone()));
    if report.total_names > report.names.len() {
        evidence.push(format!("{} more PTR names not checked", report.total_names - report.names.len()));
    }
    let confirmed = report.confirmed_names();
    if confirmed.is_empty() {
        let all_failed = report.names.iter().all(|n| n.forward_outcome.is_failure());
        if all_failed {
            out.push(
                Finding::new("host.fcrdns-unchecked", Severity::Unknown, format!("Could not check that the PTR name of {ip} resolves back to it"))
                    .evidences(evidence)
                    .subject(subject.clone()),
            );
        } else {
            let first = &report.names[0].name;
            out.push(
                Finding::new(
                    "host.fcrdns-mismatch",
                    Severity::Error,
                    format!("The reverse DNS of {ip} ({first}) does not resolve back to {ip}"),
                )
                .evidences(evidence)
                .detail(
                    "Forward-confirmed reverse DNS fails: receivers treat the PTR name as forged \
                     (Postfix reject_unknown_client_hostname, Gmail 5.7.25).",
                )
                .fix(Fix::record(first.clone(), fwd_type, ip.to_string(), "Publish in the zone of that name (keep other addresses it must have)"))
                .subject(subject.clone()),
            );
        }
    } else {
        out.push(
            Finding::new(
                "host.fcrdns-ok",
                Severity::Ok,
                format!("Reverse DNS of {ip} is {} and resolves back to it", confirmed.join(", ")),
            )
            .evidences(evidence.clone())
            .subject(subject.clone()),
        );
    }
    if report.total_names > 1 {
        out.push(
            Finding::new("host.multiple-ptr", Severity::Warning, format!("{ip} has {} PTR records", report.total_names))
                .evidence(report.answer.clone())
                .detail("Receivers pick one PTR name, not always the same one; several PTRs make FCrDNS and HELO matching unpredictable.")
                .fix(Fix::setting(format!(
                    "Ask the owner of the IP block to keep a single PTR for {ip}: {}",
                    confirmed.first().copied().unwrap_or(&report.names[0].name)
                )))
                .subject(subject.clone()),
        );
    }
    if let Some(best) = report.best_name() {
        if !best.generic.is_empty() {
            out.push(
                Finding::new("host.generic-ptr", Severity::Warning, format!("The reverse DNS of {ip} ({}) looks like a generic / dynamic pool name", best.name))
                    .evidences(best.generic.iter().cloned())
                    .detail(
                        "Names like these mark consumer or pool addresses; many receivers (and Spamhaus PBL policy) refuse \
                         direct mail from them.",
                    )
                    .fix(Fix::setting(ask_isp.clone()))
                    .subject(subject.clone()),
            );
        }
        if let (Some(sender), Some(ptr_org)) = (sender_domain, org_domain(&best.name)) {
            let sender_org = org_domain(sender).unwrap_or_else(|| crate::dns::normalize(sender));
            if sender_org != ptr_org {
                out.push(
                    Finding::new(
                        "host.ptr-domain-differs",
                        Severity::Info,
                        format!("The reverse DNS of {ip} ({}) is not in the sender's domain {sender_org}", best.name),
                    )
                    .detail("Normal when mail goes out through a provider; some filters give a small bonus when they match.")
                    .subject(subject.clone()),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(name: &str, ip: &str) -> Vec<String> {
        generic_reasons(name, ip.parse().unwrap())
    }

    #[test]
    fn generic_names() {
        assert!(g("mail.shop.example", "198.51.100.25").is_empty());
        assert!(!g("198-51-100-25.dsl.isp.example", "198.51.100.25").is_empty());
        assert!(!g("25.100.51.198.static.isp.example", "198.51.100.25").is_empty());
        assert!(!g("host-51-100-25.isp.example", "198.51.100.25").is_empty());
        assert!(!g("c6336419.cust.isp.example", "198.51.100.25").is_empty());
        assert!(!g("dynamic-pool7.isp.example", "198.51.100.25").is_empty());
        assert!(!g("localhost", "198.51.100.25").is_empty());
        assert!(!g("198.51.100.25", "198.51.100.25").is_empty());
        assert!(!g("25.100.51.198.in-addr.arpa", "198.51.100.25").is_empty());
        assert!(g("mx2.host.example", "198.51.100.25").is_empty());
        assert!(g("smtp-out.mailer.example", "198.51.100.25").is_empty());
        assert!(!g("2001-db8-0-0-0-0-0-25.v6.isp.example", "2001:db8::25").is_empty());
        assert!(!g("20010db8000000000000000000000025.isp.example", "2001:db8::25").is_empty());
        assert!(g("mail.shop.example", "2001:db8::25").is_empty());
        // A generic word in the registrable domain does not count.
        assert!(g("mail.dsl-shop.example", "198.51.100.25").is_empty());
    }

    #[test]
    fn org() {
        assert_eq!(org_domain("mail.shop.example").as_deref(), Some("shop.example"));
        assert_eq!(org_domain("a.b.example.co.uk").as_deref(), Some("example.co.uk"));
    }

    #[test]
    fn suggestion() {
        assert_eq!(suggested_name(Some("mail.shop.example"), Some("shop.example")), "mail.shop.example");
        assert_eq!(suggested_name(Some("[192.0.2.1]"), Some("shop.example")), "mail.shop.example");
        assert_eq!(suggested_name(None, None), "mail.your-domain.example");
    }
}
