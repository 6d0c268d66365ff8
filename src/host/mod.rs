//! The sending host: reverse DNS / FCrDNS, HELO, DNS blocklists, domain posture.
//! (Issue #7.)
//!
//! - `ipclass`: what kind of address it is; reverse names.
//! - `ptr`: PTR lookup, forward confirmation, generic-name detection.
//! - `helo`: HELO/EHLO parser and checks.
//! - `dnsbl_lists` (data, per-list code meanings) and `dnsbl` (queries, findings).
//! - `posture`: MTA-STS, TLS-RPT, BIMI, DNSSEC of a domain.
//!
//! Everything independent runs at once: the wall time of a report is the PTR → A
//! chain (two round trips), not the sum of the lists.

pub mod cli;
pub mod dnsbl;
pub mod dnsbl_lists;
pub mod helo;
pub mod ipclass;
pub mod mta_sts;
pub mod posture;
pub mod ptr;

use std::net::IpAddr;

use serde::Serialize;

use crate::diagnose::Context;
use crate::dns::{RType, Resolver};
use crate::finding::{Finding, Fix, Severity};
use dnsbl::ListResult;
use dnsbl_lists::ListDef;
use helo::HeloReport;
use ipclass::IpClass;
use ptr::PtrReport;

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct HostQuery {
    pub ip: Option<IpAddr>,
    pub helo: Option<String>,
    pub sender_domain: Option<String>,
    /// Skip every blocklist query.
    pub no_dnsbl: bool,
    /// `--dnsbl` specs (empty: the default set; see `dnsbl_lists::select`).
    pub dnsbl_zones: Vec<String>,
}

/// The sending-host report: the evidence and the findings drawn from it.
#[derive(Debug, Clone, Serialize)]
pub struct HostReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_class: Option<IpClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ptr: Option<PtrReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helo: Option<HeloReport>,
    /// The blocklists in use (empty with --no-dnsbl).
    pub dnsbl_zones: Vec<String>,
    pub dnsbl: Vec<ListResult>,
    pub findings: Vec<Finding>,
}

fn class_finding(ip: IpAddr, class: IpClass) -> Option<Finding> {
    if class.is_unroutable() {
        return Some(
            Finding::new("host.private-ip", Severity::Unknown, format!("{ip} is a {}: receivers on the internet never see it", class.describe()))
                .detail(
                    "Reverse DNS and blocklist results for this address would mean nothing, so they were not checked. \
                     The address is probably an internal hop of the Received: chain.",
                )
                .fix(Fix::setting(
                    "Use the public IP the receiving server saw: the Received: header the receiver added, e.g. \
                     \"Received: from mail.shop.example (mail.shop.example [198.51.100.25])\".",
                ))
                .subject(ip.to_string()),
        );
    }
    if class == IpClass::Documentation {
        return Some(
            Finding::new("host.documentation-ip", Severity::Info, format!("{ip} is in a {}", class.describe()))
                .detail("Fine in tests and examples; a real sender never uses it.")
                .subject(ip.to_string()),
        );
    }
    None
}

/// Run every host check that the query allows, concurrently.
pub async fn check(resolver: &Resolver, q: &HostQuery) -> HostReport {
    let ip = q.ip.map(ipclass::canonical);
    let class = ip.map(ipclass::classify);
    let routable = class.is_some_and(|c| !c.is_unroutable());
    let mut findings = Vec::new();
    if let (Some(ip), Some(class)) = (ip, class) {
        findings.extend(class_finding(ip, class));
    }
    let lists: Vec<ListDef> = if q.no_dnsbl {
        Vec::new()
    } else {
        match dnsbl_lists::select(&q.dnsbl_zones) {
            Ok(l) => l,
            Err(e) => {
                findings.push(Finding::new("host.dnsbl-unchecked", Severity::Unknown, "Blocklists not checked: invalid --dnsbl zone").evidence(e));
                Vec::new()
            }
        }
    };
    if q.no_dnsbl {
        findings.push(Finding::new("host.dnsbl-skipped", Severity::Info, "Blocklists not checked (--no-dnsbl)"));
    }
    let mut identities: Vec<(String, String)> = Vec::new();
    if let Some(d) = &q.sender_domain {
        identities.push(("sender domain".into(), d.clone()));
    }
    let helo_kind = q.helo.as_deref().map(helo::parse);
    if let Some(helo::HeloKind::Fqdn { name }) = &helo_kind {
        identities.push(("HELO".into(), name.clone()));
    }

    // The PTR chain: PTR, then forward confirmation and the domain lists for the PTR
    // names at the same time. The sender and HELO domains are asked from the start.
    let ptr_chain = async {
        match ip {
            Some(ip) if routable => {
                let reverse = ipclass::reverse_name(ip);
                let answer = resolver.query(&reverse, RType::Ptr).await;
                let ids: Vec<(String, String)> = answer.names().into_iter().take(10).map(|n| ("PTR".to_string(), n)).collect();
                let (ptr, domains) = tokio::join!(ptr::lookup(resolver, ip), dnsbl::check_domains(resolver, &ids, &lists));
                (Some(ptr), domains)
            }
            _ => (None, Vec::new()),
        }
    };
    let identity_lists = dnsbl::check_domains(resolver, &identities, &lists);
    let helo_fut = async {
        match &q.helo {
            Some(h) => Some(helo::lookup(resolver, h).await),
            None => None,
        }
    };
    let ip_lists = async {
        match ip {
            Some(ip) if routable => dnsbl::check_ip(resolver, ip, &lists).await,
            _ => Vec::new(),
        }
    };
    let ((ptr_report, ptr_domain_results), helo_report, ip_results, mut domain_results) =
        tokio::join!(ptr_chain, helo_fut, ip_lists, identity_lists);
    // A PTR domain already asked for another identity is one result with both identities.
    for r in ptr_domain_results {
        match domain_results.iter_mut().find(|d| d.zone == r.zone && d.key == r.key) {
            Some(d) => {
                if let (Some(a), Some(b)) = (&mut d.identity, &r.identity) {
                    a.push_str(", ");
                    a.push_str(b);
                }
            }
            None => domain_results.push(r),
        }
    }

    let suggested = ptr::suggested_name(q.helo.as_deref(), q.sender_domain.as_deref());
    if let (Some(ip), Some(p)) = (ip, &ptr_report) {
        findings.extend(ptr::findings(ip, p, &suggested, q.sender_domain.as_deref()));
    }
    if let Some(h) = &helo_report {
        // HELO vs IP is meaningless for an unroutable IP; the form of the name still counts.
        let helo_ip = if routable { ip } else { None };
        findings.extend(helo::findings(h, helo_ip, ptr_report.as_ref(), &suggested));
    }
    let mut results = ip_results;
    results.extend(domain_results);
    findings.extend(dnsbl::findings(&results, ip));
    HostReport {
        ip: ip.map(|i| i.to_string()),
        ip_class: class,
        ptr: ptr_report,
        helo: helo_report,
        dnsbl_zones: lists.iter().map(|l| l.zone.clone()).collect(),
        dnsbl: results,
        findings,
    }
}

/// The findings this module contributes to `mailsleuth diagnose`: the full host report
/// when the IP is known; HELO checks (and the sender domain on the domain lists) otherwise.
pub async fn diagnose(ctx: &Context) -> Vec<Finding> {
    if ctx.ip.is_none() && ctx.helo.is_none() {
        return Vec::new();
    }
    let q = HostQuery {
        ip: ctx.ip,
        helo: ctx.helo.clone(),
        sender_domain: ctx.sender_domain().map(str::to_string),
        no_dnsbl: ctx.options.no_dnsbl,
        dnsbl_zones: ctx.options.dnsbl_zones.clone(),
    };
    let findings = check(&ctx.resolver, &q).await.findings;
    match &ctx.reply {
        Some(reply) => order_for_reply(findings, &reply.text),
        None => findings,
    }
}

/// Brand words that identify a blocklist in rejection texts, per zone.
const LIST_WORDS: &[(&str, &[&str])] = &[
    ("zen.spamhaus.org", &["spamhaus", "zen.spamhaus"]),
    ("dbl.spamhaus.org", &["dbl.spamhaus", "spamhaus dbl"]),
    ("bl.spamcop.net", &["spamcop"]),
    ("b.barracudacentral.org", &["barracuda"]),
    ("psbl.surriel.com", &["psbl"]),
    ("bl.mailspike.net", &["mailspike"]),
    ("dnsbl-1.uceprotect.net", &["uceprotect"]),
    ("multi.surbl.org", &["surbl"]),
    ("multi.uribl.com", &["uribl"]),
];

/// Put the host findings the rejection text names first (the list it was "blocked using",
/// reverse DNS, HELO), with the reason as evidence. Ties in the ranking keep this order.
pub fn order_for_reply(findings: Vec<Finding>, reply_text: &str) -> Vec<Finding> {
    let text = reply_text.to_ascii_lowercase();
    let has = |w: &str| text.contains(w);
    let reputation = ["blocked using", "listed", "blocklist", "blacklist", "reputation", "5.7.606", "5.7.511", "tss04", "banned sending ip", "poor reputation"]
        .iter()
        .any(|w| has(w));
    let rdns = ["reverse", "ptr", "rdns", "5.7.25", "cannot find your hostname", "cannot find your reverse hostname"].iter().any(|w| has(w));
    let helo = has("helo") || has("ehlo");
    let mut scored: Vec<(u8, Finding)> = findings
        .into_iter()
        .map(|mut f| {
            let mut score = 0;
            if f.id == "host.listed" || f.id == "host.domain-listed" {
                let named = LIST_WORDS.iter().find(|(zone, words)| {
                    f.evidence.first().is_some_and(|e| e.contains(zone)) && (has(zone) || words.iter().any(|w| has(w)))
                });
                if let Some((zone, _)) = named {
                    f.evidence.insert(0, format!("the rejection names this list ({zone})"));
                    score = 3;
                } else if reputation {
                    score = 2;
                }
            } else if rdns && (f.id.starts_with("host.fcrdns") || f.id.contains("ptr")) {
                score = 2;
            } else if helo && f.id.starts_with("host.helo") {
                score = 2;
            }
            (score, f)
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0));
    scored.into_iter().map(|(_, f)| f).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(zone: &str) -> Finding {
        Finding::new("host.listed", Severity::Error, format!("listed on {zone}")).evidence(format!("A 2.0.0.127.{zone}: 127.0.0.2"))
    }

    #[test]
    fn reply_names_the_list() {
        let fs = vec![
            Finding::new("host.fcrdns-mismatch", Severity::Error, "ptr"),
            listed("zen.spamhaus.org"),
            listed("b.barracudacentral.org"),
            Finding::new("host.helo-mismatch", Severity::Warning, "helo"),
        ];
        let out = order_for_reply(fs.clone(), "550 Client host blocked using Barracuda Reputation");
        assert_eq!(out[0].evidence[0], "the rejection names this list (b.barracudacentral.org)");
        assert_eq!(out[1].title, "listed on zen.spamhaus.org");
        let out = order_for_reply(fs.clone(), "550 5.7.25 The IP address sending this message does not have a PTR record");
        assert_eq!(out[0].id, "host.fcrdns-mismatch");
        let out = order_for_reply(fs.clone(), "504 5.5.2 <x>: Helo command rejected: need fully-qualified hostname");
        assert_eq!(out[0].id, "host.helo-mismatch");
        // Nothing named: the order is kept.
        let out = order_for_reply(fs.clone(), "550 5.1.1 User unknown");
        assert_eq!(out.iter().map(|f| f.title.clone()).collect::<Vec<_>>(), fs.iter().map(|f| f.title.clone()).collect::<Vec<_>>());
    }
}
