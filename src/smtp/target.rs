//! Where to connect: a `--server HOST[:PORT]`, or the recipient domain's MX set
//! (RFC 5321 §5.1: preference order, implicit MX from A/AAAA, RFC 7505 null MX).
//! The addresses of all MX hosts resolve concurrently; hosts are then tried in order.

use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use crate::dns::{Outcome, RType, Resolver};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Family {
    #[default]
    Any,
    V4,
    V6,
}

impl Family {
    fn allows(self, ip: &IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// The host name (or IP literal) used for TLS and in reports.
    pub host: String,
    pub addr: SocketAddr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mx_preference: Option<u16>,
}

/// Why there is nowhere to connect.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TargetError {
    #[error("{domain} publishes a null MX (RFC 7505): it accepts no mail")]
    NullMx { domain: String },
    #[error("{domain} does not exist (NXDOMAIN)")]
    NoDomain { domain: String },
    #[error("no usable address for {what}")]
    NoAddress { what: String },
    #[error("DNS failure: {detail}")]
    Dns { detail: String },
    #[error("{0}")]
    Bad(String),
}

impl TargetError {
    /// A DNS failure means the probe could not run; the other cases are answers.
    pub fn is_dns_failure(&self) -> bool {
        matches!(self, TargetError::Dns { .. })
    }
}

/// Parse `HOST`, `HOST:PORT`, `IP`, `[IPv6]:PORT`, bare IPv6.
pub fn parse_server(s: &str) -> Result<(String, Option<u16>), String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("--server: empty".into());
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (host, tail) = rest.split_once(']').ok_or_else(|| format!("--server {s}: missing ']'"))?;
        let port = match tail.strip_prefix(':') {
            Some(p) => Some(p.parse::<u16>().map_err(|_| format!("--server {s}: bad port"))?),
            None if tail.is_empty() => None,
            None => return Err(format!("--server {s}: unexpected text after ']'")),
        };
        return Ok((host.to_string(), port));
    }
    if s.parse::<IpAddr>().is_ok() {
        return Ok((s.to_string(), None));
    }
    match s.rsplit_once(':') {
        Some((h, p)) => Ok((h.to_string(), Some(p.parse::<u16>().map_err(|_| format!("--server {s}: bad port {p:?}"))?))),
        None => Ok((s.to_string(), None)),
    }
}

/// The addresses of one host, the evidence, and whether a lookup failed (SERVFAIL,
/// timeout): a failure is not absence, and must not be reported as "no address".
struct HostAddrs {
    ips: Vec<IpAddr>,
    evidence: Vec<String>,
    failed: bool,
}

/// The A and AAAA addresses of each host, all queried at once.
async fn addresses(resolver: &Resolver, hosts: &[String], family: Family) -> Vec<HostAddrs> {
    let queries = hosts.iter().map(|h| async move {
        let (a, aaaa) = tokio::join!(resolver.query(h, RType::A), resolver.query(h, RType::Aaaa));
        // IPv6 first, as most MTAs do; -4/-6 filter.
        let mut ips: Vec<IpAddr> = aaaa.ips();
        ips.extend(a.ips());
        ips.retain(|ip| family.allows(ip));
        let failed = (family != Family::V6 && a.is_failure()) || (family != Family::V4 && aaaa.is_failure());
        HostAddrs { ips, evidence: vec![a.summary(), aaaa.summary()], failed }
    });
    futures::future::join_all(queries).await
}

/// `--server`: one host, every address it has.
pub async fn server_targets(resolver: &Resolver, host: &str, port: u16, family: Family) -> (Result<Vec<Target>, TargetError>, Vec<String>) {
    if let Ok(ip) = host.parse::<IpAddr>() {
        if !family.allows(&ip) {
            return (Err(TargetError::Bad(format!("{ip} does not match -4/-6"))), vec![]);
        }
        return (Ok(vec![Target { host: host.to_string(), addr: SocketAddr::new(ip, port), mx_preference: None }]), vec![]);
    }
    let name = crate::dns::normalize(host);
    let Some(HostAddrs { ips, evidence, failed }) = addresses(resolver, std::slice::from_ref(&name), family).await.pop() else {
        return (Err(TargetError::NoAddress { what: host.to_string() }), vec![]);
    };
    if ips.is_empty() {
        let err = if failed { TargetError::Dns { detail: evidence.join("; ") } } else { TargetError::NoAddress { what: host.to_string() } };
        return (Err(err), evidence);
    }
    (Ok(ips.into_iter().map(|ip| Target { host: name.clone(), addr: SocketAddr::new(ip, port), mx_preference: None }).collect()), evidence)
}

/// The MX set of `domain`, in preference order, each host with its addresses.
pub async fn mx_targets(resolver: &Resolver, domain: &str, port: u16, family: Family) -> (Result<Vec<Target>, TargetError>, Vec<String>) {
    let domain = crate::dns::normalize(domain);
    let mx = resolver.query(&domain, RType::Mx).await;
    let mut evidence = vec![mx.summary()];
    let mut hosts: Vec<(Option<u16>, String)> = match mx.outcome {
        Outcome::Records => {
            let mut list = mx.mx();
            if list.len() == 1 && (list[0].1.is_empty() || list[0].1 == ".") {
                return (Err(TargetError::NullMx { domain }), evidence);
            }
            list.retain(|(_, h)| !h.is_empty() && h != ".");
            list.sort_by_key(|(p, _)| *p);
            list.into_iter().map(|(p, h)| (Some(p), crate::dns::normalize(&h))).collect()
        }
        Outcome::NxDomain => return (Err(TargetError::NoDomain { domain }), evidence),
        // No MX: the domain itself is the implicit MX (RFC 5321 §5.1).
        Outcome::NoData => vec![(None, domain.clone())],
        _ => return (Err(TargetError::Dns { detail: mx.summary() }), evidence),
    };
    hosts.dedup_by(|a, b| a.1 == b.1);
    let names: Vec<String> = hosts.iter().map(|h| h.1.clone()).collect();
    let found = addresses(resolver, &names, family).await;
    let mut targets = Vec::new();
    let mut any_failed = false;
    for ((pref, host), found) in hosts.into_iter().zip(found) {
        evidence.extend(found.evidence);
        any_failed |= found.failed;
        targets.extend(found.ips.into_iter().map(|ip| Target { host: host.clone(), addr: SocketAddr::new(ip, port), mx_preference: pref }));
    }
    if targets.is_empty() && any_failed {
        return (Err(TargetError::Dns { detail: format!("no address for the mail hosts of {domain}, and some lookups failed") }), evidence);
    }
    if targets.is_empty() {
        return (Err(TargetError::NoAddress { what: format!("the mail hosts of {domain} ({})", names.join(", ")) }), evidence);
    }
    (Ok(targets), evidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{Rec, StaticZone};

    fn zone() -> Resolver {
        let mut z = StaticZone::new();
        let mx = |p, h: &str| Rec::Mx { preference: p, exchange: h.into() };
        z.add("two.example", mx(20, "b.two.example"));
        z.add("two.example", mx(10, "a.two.example"));
        z.add("a.two.example", Rec::A("192.0.2.1".parse().unwrap()));
        z.add("a.two.example", Rec::Aaaa("2001:db8::1".parse().unwrap()));
        z.add("b.two.example", Rec::A("192.0.2.2".parse().unwrap()));
        z.add("null.example", mx(0, "."));
        z.add("implicit.example", Rec::A("192.0.2.3".parse().unwrap()));
        z.touch("empty.example");
        z.add("broken.example", mx(10, "mx.broken.example"));
        z.fail_all("mx.broken.example", Outcome::ServFail);
        z.fail_all("servfail.example", Outcome::ServFail);
        Resolver::from_static(z)
    }

    #[tokio::test]
    async fn mx_order_and_fallbacks() {
        let r = zone();
        let (t, _) = mx_targets(&r, "two.example", 25, Family::Any).await;
        let addrs: Vec<String> = t.unwrap().iter().map(|t| t.addr.to_string()).collect();
        assert_eq!(addrs, ["[2001:db8::1]:25", "192.0.2.1:25", "192.0.2.2:25"]);
        let (t, _) = mx_targets(&r, "two.example", 25, Family::V4).await;
        assert_eq!(t.unwrap().len(), 2);
        let (t, _) = mx_targets(&r, "implicit.example", 25, Family::Any).await;
        assert_eq!(t.unwrap()[0].host, "implicit.example");
        assert!(matches!(mx_targets(&r, "null.example", 25, Family::Any).await.0, Err(TargetError::NullMx { .. })));
        assert!(matches!(mx_targets(&r, "nx.example", 25, Family::Any).await.0, Err(TargetError::NoDomain { .. })));
        assert!(matches!(mx_targets(&r, "empty.example", 25, Family::Any).await.0, Err(TargetError::NoAddress { .. })));
    }

    #[tokio::test]
    async fn dns_failure_is_not_absence() {
        let r = zone();
        assert!(mx_targets(&r, "servfail.example", 25, Family::Any).await.0.unwrap_err().is_dns_failure());
        assert!(mx_targets(&r, "broken.example", 25, Family::Any).await.0.unwrap_err().is_dns_failure());
        assert!(server_targets(&r, "mx.broken.example", 25, Family::Any).await.0.unwrap_err().is_dns_failure());
        assert!(matches!(server_targets(&r, "nx.example", 25, Family::Any).await.0, Err(TargetError::NoAddress { .. })));
    }

    #[test]
    fn servers() {
        assert_eq!(parse_server("mx.example:2525").unwrap(), ("mx.example".into(), Some(2525)));
        assert_eq!(parse_server("mx.example").unwrap(), ("mx.example".into(), None));
        assert_eq!(parse_server("[::1]:25").unwrap(), ("::1".into(), Some(25)));
        assert_eq!(parse_server("::1").unwrap(), ("::1".into(), None));
        assert_eq!(parse_server("127.0.0.1:587").unwrap(), ("127.0.0.1".into(), Some(587)));
        assert!(parse_server("mx:x").is_err());
    }
}
