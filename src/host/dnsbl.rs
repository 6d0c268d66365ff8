//! Blocklist queries (RFC 5782): every list asked at once; the TXT reason fetched only
//! for a listing (to spare the operators), and every answer read per list.
//!
//! A refused or failed query is "could not check" (`Unknown`), never "not listed".

use std::net::{IpAddr, Ipv4Addr};

use futures::future::join_all;
use serde::Serialize;

use super::dnsbl_lists::{ListDef, ListKind, Verdict};
use super::ipclass;
use crate::dns::{Outcome, RType, Resolver};
use crate::finding::{Finding, Fix, Severity};

/// TXT reasons are shown, so they are bounded: at most this many records, each cut here.
const MAX_TXT_RECORDS: usize = 3;
const MAX_TXT_CHARS: usize = 300;
/// Listing codes read from one answer.
const MAX_CODES: usize = 8;

/// What became of one query to one list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    NotListed,
    Listed { severity: Severity, meanings: Vec<String> },
    /// The query failed or was refused: nothing is known.
    Unchecked { why: String },
    /// Not asked (e.g. an IPv6 address and a list that only knows IPv4).
    Skipped { why: String },
}

/// One (list, key) result.
#[derive(Debug, Clone, Serialize)]
pub struct ListResult {
    pub list: String,
    pub zone: String,
    pub kind: ListKind,
    /// What was looked up: the IP, or the domain and which identity it came from.
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// The DNS name asked.
    pub query: String,
    #[serde(flatten)]
    pub status: Status,
    pub answer: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    pub delist: String,
    pub about: String,
}

fn clean_txt(s: &str) -> String {
    let cleaned: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if cleaned.chars().count() > MAX_TXT_CHARS {
        let cut: String = cleaned.chars().take(MAX_TXT_CHARS).collect();
        format!("{cut}… ({} characters in all)", cleaned.chars().count())
    } else {
        cleaned
    }
}

async fn ask(resolver: &Resolver, list: &ListDef, key: String, identity: Option<String>, query: String) -> ListResult {
    let base = |status: Status, answer: String| ListResult {
        list: list.name.clone(),
        zone: list.zone.clone(),
        kind: list.kind,
        key: key.clone(),
        identity: identity.clone(),
        query: query.clone(),
        status,
        answer,
        reasons: Vec::new(),
        delist: list.delist.clone(),
        about: list.about.clone(),
    };
    if let Some(why) = crate::dns::invalid_name(&query) {
        return base(Status::Unchecked { why: format!("cannot ask {query}: {why}") }, String::new());
    }
    if let Some(why) = offline_unserved(resolver, list) {
        return base(Status::Skipped { why: format!("{why}: {key} not looked up") }, String::new());
    }
    let a = resolver.query(&query, RType::A).await;
    let status = match a.outcome {
        Outcome::NxDomain | Outcome::NoData => Status::NotListed,
        o if o.is_failure() => Status::Unchecked { why: format!("the query failed: {}", a.summary()) },
        _ => {
            let codes: Vec<Ipv4Addr> = a.ips().into_iter().filter_map(|ip| match ip {
                IpAddr::V4(v4) => Some(v4),
                IpAddr::V6(_) => None,
            }).collect();
            // A list answers one code, or a few; more is read but not all shown.
            let verdicts: Vec<Verdict> = codes.iter().take(MAX_CODES).map(|c| list.interpret(*c)).collect();
            // An error code anywhere means the list did not really answer.
            if let Some(why) = verdicts.iter().find_map(|v| match v {
                Verdict::Refused { why } | Verdict::Unexpected { why } => Some(why.clone()),
                _ => None,
            }) {
                Status::Unchecked { why }
            } else {
                let mut severity = Severity::Ok;
                let mut meanings = Vec::new();
                for v in verdicts {
                    if let Verdict::Listed { severity: s, meaning } = v {
                        severity = severity.max(s);
                        meanings.push(meaning);
                    }
                }
                if meanings.is_empty() { Status::NotListed } else { Status::Listed { severity, meanings } }
            }
        }
    };
    let mut result = base(status, a.summary());
    if matches!(result.status, Status::Listed { .. }) {
        // The reason, and the list's own health check at the same time: RFC 5782 §5 says an
        // IP list never lists 127.0.0.1 and a domain list never lists "invalid". A list that
        // does answers everything (a wildcard, or a shut-down list): its "listed" means nothing.
        let control = match list.kind {
            ListKind::Ip => format!("1.0.0.127.{}", list.zone),
            ListKind::Domain => format!("invalid.{}", list.zone),
        };
        let (txt, ctl) = tokio::join!(resolver.query(&query, RType::Txt), resolver.query(&control, RType::A));
        result.reasons = txt.txt_strings().iter().take(MAX_TXT_RECORDS).map(|s| clean_txt(s)).collect();
        if ctl.outcome == Outcome::Records {
            result.status = Status::Unchecked {
                why: format!(
                    "the list also lists its never-listed test entry ({}): it answers everything, so this listing means nothing",
                    ctl.summary()
                ),
            };
        }
    }
    result
}

/// Ask every IP list about `ip`, concurrently.
pub async fn check_ip(resolver: &Resolver, ip: IpAddr, lists: &[ListDef]) -> Vec<ListResult> {
    let ip = ipclass::canonical(ip);
    let labels = ipclass::reversed_labels(ip);
    let futs = lists.iter().filter(|l| l.kind == ListKind::Ip).map(|list| {
        let query = format!("{labels}.{}", list.zone);
        async move {
            if ip.is_ipv6() && !list.ipv6 {
                return ListResult {
                    list: list.name.clone(),
                    zone: list.zone.clone(),
                    kind: list.kind,
                    key: ip.to_string(),
                    identity: None,
                    query,
                    status: Status::Skipped { why: format!("{} lists IPv4 addresses only", list.name) },
                    answer: String::new(),
                    reasons: Vec::new(),
                    delist: list.delist.clone(),
                    about: list.about.clone(),
                };
            }
            ask(resolver, list, ip.to_string(), None, query).await
        }
    });
    join_all(futs).await
}

/// In an offline world that does not serve the list's zone, its NXDOMAIN would read as
/// "not listed" while nothing was asked: the list is skipped, and says why.
fn offline_unserved(resolver: &Resolver, list: &ListDef) -> Option<String> {
    (resolver.offline_serves(&list.zone) == Some(false))
        .then(|| format!("{} ({}): the offline world (--zones) does not serve this list's zone", list.name, list.zone))
}

/// Ask every domain list about the registrable domain of each (identity, name), concurrently.
/// Duplicate domains are asked once and reported with every identity they came from.
pub async fn check_domains(resolver: &Resolver, names: &[(String, String)], lists: &[ListDef]) -> Vec<ListResult> {
    let mut keys: Vec<(String, Vec<String>)> = Vec::new();
    for (identity, name) in names {
        let name = crate::dns::normalize(name);
        if name.is_empty() || name.parse::<IpAddr>().is_ok() {
            continue;
        }
        let domain = super::ptr::org_domain(&name).unwrap_or(name);
        match keys.iter_mut().find(|(d, _)| *d == domain) {
            Some((_, ids)) => ids.push(identity.clone()),
            None => keys.push((domain, vec![identity.clone()])),
        }
    }
    let futs = keys.iter().flat_map(|(domain, ids)| {
        lists.iter().filter(|l| l.kind == ListKind::Domain).map(move |list| {
            let query = format!("{domain}.{}", list.zone);
            ask(resolver, list, domain.clone(), Some(ids.join(", ")), query)
        })
    });
    join_all(futs).await
}

fn listing_fix(r: &ListResult, meanings: &[String]) -> Fix {
    let pbl = meanings.iter().any(|m| m.starts_with("PBL"));
    let text = if pbl {
        format!(
            "{key} is in an end-user range that should not deliver directly to MX servers. Send through your provider's \
             authenticated submission server (port 587), or — if this really is a mail server with a fixed IP and proper \
             reverse DNS — remove it from the PBL at {url}.",
            key = r.key,
            url = r.delist
        )
    } else if r.kind == ListKind::Domain {
        format!(
            "Find why {key} appears in spam (compromised site, abused forms, a bad affiliate), clean it up, then look the \
             domain up and request removal at {url}.",
            key = r.key,
            url = r.delist
        )
    } else {
        format!(
            "Find and stop the cause first (compromised account or web form, infected host, open relay/proxy, a bad list), \
             then look {key} up and request removal at {url}.",
            key = r.key,
            url = r.delist
        )
    };
    Fix::setting(text)
}

/// Findings for blocklist results: one per listing, one for all unchecked lists, one summary when clean.
pub fn findings(results: &[ListResult], subject_ip: Option<IpAddr>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut unchecked = Vec::new();
    let mut clean = Vec::new();
    for r in results {
        match &r.status {
            Status::Listed { severity, meanings } => {
                let (id, what) = match r.kind {
                    ListKind::Ip => ("host.listed", r.key.clone()),
                    ListKind::Domain => (
                        "host.domain-listed",
                        format!("{} ({})", r.key, r.identity.clone().unwrap_or_default()),
                    ),
                };
                let mut f = Finding::new(id, *severity, format!("{what} is listed on {}: {}", r.list, meanings.join("; ")))
                    .evidence(r.answer.clone())
                    .evidences(r.reasons.iter().map(|t| format!("reason (TXT): {t}")))
                    .evidence(format!("look up / delist: {}", r.delist))
                    .detail(r.about.clone())
                    .fix(listing_fix(r, meanings))
                    .subject(r.key.clone());
                if r.reasons.is_empty() {
                    f = f.evidence("no TXT reason published");
                }
                out.push(f);
            }
            Status::Unchecked { why } => unchecked.push(format!("{} ({}) for {}: {why}", r.list, r.zone, r.key)),
            Status::NotListed => clean.push(format!("{} {}", r.list, r.key)),
            Status::Skipped { .. } => {}
        }
    }
    if !unchecked.is_empty() {
        let mut f = Finding::new(
            "host.dnsbl-unchecked",
            Severity::Unknown,
            format!("Could not check {} blocklist {}", unchecked.len(), if unchecked.len() == 1 { "query" } else { "queries" }),
        )
        .evidences(unchecked)
        .detail("A refused or failed blocklist query says nothing about a listing: these are not \"clean\".")
        .fix(Fix::setting(
            "Query through your own recursive resolver (--resolver IP), not a public one such as 8.8.8.8 or 1.1.1.1, \
             which several lists refuse; or retry later.",
        ));
        if let Some(ip) = subject_ip {
            f = f.subject(ip.to_string());
        }
        out.push(f);
    }
    let skipped: Vec<String> = results
        .iter()
        .filter_map(|r| match &r.status {
            Status::Skipped { why } => Some(why.clone()),
            _ => None,
        })
        .collect();
    if !skipped.is_empty() {
        out.push(
            Finding::new("host.dnsbl-skipped", Severity::Info, format!("{} blocklist(s) not asked", skipped.len()))
                .evidences(skipped),
        );
    }
    if !clean.is_empty() && out.iter().all(|f| f.id != "host.listed" && f.id != "host.domain-listed") {
        out.push(
            Finding::new("host.not-listed", Severity::Ok, format!("Not listed on the {} blocklist queries that answered", clean.len()))
                .evidences(clean),
        );
    }
    out
}
