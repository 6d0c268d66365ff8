//! The MTA-STS policy (RFC 8461 §3.2–§3.3): fetched over HTTPS from
//! `https://mta-sts.<domain>/.well-known/mta-sts.txt` with a validated certificate,
//! parsed, and checked against the domain's MX hosts. Offline (the policy host does not
//! resolve, or cannot be reached) the report says the policy was not fetched.

use std::net::SocketAddr;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::dns::{RType, Resolver};
use crate::finding::{Finding, Severity};

/// RFC 8461 §3.2: a policy is at most 64 KiB; the response head is bounded too.
const MAX_RESPONSE: usize = 64 * 1024 + 8 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);

/// Where and how to fetch (tests point it at a loopback server with their own CA).
#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub port: u16,
    pub extra_roots: Vec<CertificateDer<'static>>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions { port: 443, extra_roots: Vec::new() }
    }
}

/// A parsed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub mode: String,
    pub mx: Vec<String>,
    pub max_age: u64,
}

/// Parse the policy body (RFC 8461 §3.2): `key: value` lines, version STSv1 first.
pub fn parse_policy(body: &str) -> Result<Policy, String> {
    let mut version = None;
    let mut mode = None;
    let mut mx = Vec::new();
    let mut max_age = None;
    for (i, line) in body.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let Some((k, v)) = line.split_once(':') else { return Err(format!("line {}: not `key: value`", i + 1)) };
        let (k, v) = (k.trim(), v.trim());
        match k {
            "version" => version = Some(v.to_string()),
            "mode" => mode = Some(v.to_string()),
            "mx" => mx.push(v.to_ascii_lowercase()),
            "max_age" => max_age = Some(v.parse::<u64>().map_err(|_| format!("max_age {v:?} is not a number"))?),
            _ => {} // unknown keys are ignored (§3.2)
        }
    }
    if version.as_deref() != Some("STSv1") {
        return Err("no `version: STSv1` line".into());
    }
    let mode = mode.ok_or("no `mode` line")?;
    if !matches!(mode.as_str(), "enforce" | "testing" | "none") {
        return Err(format!("mode {mode:?} is not enforce, testing or none"));
    }
    let max_age = max_age.ok_or("no `max_age` line")?;
    if max_age > 31_557_600 {
        return Err(format!("max_age {max_age} exceeds 31557600 (one year)"));
    }
    if mx.is_empty() && mode != "none" {
        return Err("no `mx` line".into());
    }
    Ok(Policy { mode, mx, max_age })
}

/// RFC 8461 §4.1: a pattern matches the host itself, or `*.` the leftmost label only.
pub fn mx_matches(pattern: &str, host: &str) -> bool {
    let host = crate::dns::normalize(host);
    match pattern.strip_prefix("*.") {
        Some(rest) => host.split_once('.').is_some_and(|(l, tail)| !l.is_empty() && tail == rest),
        None => pattern == host,
    }
}

/// Fetch the policy body over HTTPS; Err says why it could not be.
async fn fetch(resolver: &Resolver, domain: &str, opts: &FetchOptions) -> Result<String, String> {
    let host = format!("mta-sts.{domain}");
    let (a, aaaa) = tokio::join!(resolver.query(&host, RType::A), resolver.query(&host, RType::Aaaa));
    let ips: Vec<_> = a.ips().into_iter().chain(aaaa.ips()).collect();
    let Some(ip) = ips.first() else {
        return Err(format!("{host} does not resolve ({}, {})", a.outcome, aaaa.outcome));
    };
    let addr = SocketAddr::new(*ip, opts.port);
    let prepared = crate::smtp::tls::prepare(&opts.extra_roots)?;
    let name = crate::smtp::tls::server_name(&host)?;
    let work = async {
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await.map_err(|_| format!("connecting to {addr} timed out"))?.map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        let connector = tokio_rustls::TlsConnector::from(prepared.config.clone());
        let mut tls = connector.connect(name, tcp).await.map_err(|e| format!("TLS with {host}: {e}"))?;
        let info = crate::smtp::tls::facts(&prepared, tls.get_ref().1, &host);
        if !info.trusted {
            return Err(format!("the certificate of {host} is not trusted ({}): senders ignore the policy", info.trust_error.unwrap_or_default()));
        }
        // HTTP/1.0 keeps the body unchunked; Host is still sent for virtual hosting.
        let req = format!("GET /.well-known/mta-sts.txt HTTP/1.0\r\nHost: {host}\r\nUser-Agent: mailsleuth\r\n\r\n");
        tls.write_all(req.as_bytes()).await.map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let n = match tls.read(&mut chunk).await {
                Ok(n) => n,
                // Servers often close without close_notify; what arrived counts.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
                Err(e) => return Err(format!("reading from {host}: {e}")),
            };
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.len() > MAX_RESPONSE {
                return Err(format!("the policy at {host} is larger than 64 KiB"));
            }
        }
        let text = String::from_utf8_lossy(&buf).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").ok_or("no HTTP response head")?;
        let status = head.lines().next().unwrap_or_default();
        if status.split_whitespace().nth(1) != Some("200") {
            return Err(format!("https://{host}/.well-known/mta-sts.txt answered {status:?}"));
        }
        Ok(body.to_string())
    };
    tokio::time::timeout(TOTAL_TIMEOUT, work).await.map_err(|_| format!("fetching the policy from {host} took more than 10 s"))?
}

/// Findings for the policy of `domain` (call only when its TXT record says MTA-STS is on).
pub async fn check(resolver: &Resolver, domain: &str, opts: &FetchOptions) -> Vec<Finding> {
    let url = format!("https://mta-sts.{domain}/.well-known/mta-sts.txt");
    let (body, mx) = tokio::join!(fetch(resolver, domain, opts), resolver.query(domain, RType::Mx));
    let body = match body {
        Ok(b) => b,
        Err(why) => {
            return vec![Finding::new("host.mta-sts-policy", Severity::Info, format!("The MTA-STS policy of {domain} was not fetched"))
                .evidence(why)
                .detail("Offline, or the policy host is unreachable: only the TXT record was checked.")
                .subject(domain.to_string())];
        }
    };
    let policy = match parse_policy(&body) {
        Ok(p) => p,
        Err(e) => {
            return vec![Finding::new("host.mta-sts-policy", Severity::Warning, format!("The MTA-STS policy at {url} is invalid: {e}"))
                .evidence(body.lines().take(8).collect::<Vec<_>>().join(" | "))
                .detail("Senders treat an invalid policy as none: MTA-STS is off for this domain.")
                .subject(domain.to_string())];
        }
    };
    let mut out = vec![Finding::new("host.mta-sts-policy", Severity::Ok, format!("MTA-STS policy of {domain}: mode {}, max_age {}", policy.mode, policy.max_age))
        .evidence(format!("{url}: mx {}", policy.mx.join(", ")))
        .subject(domain.to_string())];
    let uncovered: Vec<String> = mx.mx().into_iter().map(|(_, h)| h).filter(|h| !h.is_empty() && !policy.mx.iter().any(|p| mx_matches(p, h))).collect();
    if !uncovered.is_empty() && policy.mode != "none" {
        let sev = if policy.mode == "enforce" { Severity::Warning } else { Severity::Info };
        out.push(Finding::new("host.mta-sts-mx-mismatch", sev, format!("MTA-STS policy of {domain} does not cover its MX host(s) {}", uncovered.join(", ")))
            .evidence(mx.summary())
            .evidence(format!("policy mx: {}", policy.mx.join(", ")))
            .detail("Senders that enforce MTA-STS refuse to deliver to an MX the policy does not list.")
            .subject(domain.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies() {
        let p = parse_policy("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n").unwrap();
        assert_eq!(p.mode, "enforce");
        assert_eq!(p.mx, vec!["mail.example.com", "*.example.net"]);
        assert!(parse_policy("mode: enforce\nmx: a\nmax_age: 1").unwrap_err().contains("STSv1"));
        assert!(parse_policy("version: STSv1\nmode: strict\nmx: a\nmax_age: 1").unwrap_err().contains("strict"));
        assert!(parse_policy("version: STSv1\nmode: enforce\nmx: a\nmax_age: 99999999999").unwrap_err().contains("one year"));
        assert!(parse_policy("version: STSv1\nmode: enforce\nmax_age: 5").unwrap_err().contains("mx"));
        assert!(mx_matches("*.example.net", "mx1.example.net"));
        assert!(!mx_matches("*.example.net", "a.b.example.net"));
        assert!(!mx_matches("*.example.net", "example.net"));
        assert!(mx_matches("mail.example.com", "MAIL.example.com."));
    }
}
