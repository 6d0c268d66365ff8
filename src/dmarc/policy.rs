//! DMARC policy discovery: where the record is, which policy applies, and whether the
//! report destinations accepted to receive reports.
//!
//! RFC 7489 §6.6.3: `_dmarc.<From domain>`, then `_dmarc.<organizational domain>` (PSL).
//! DMARCbis replaces the PSL with a DNS tree walk (at most 8 queries, a `psd=y` record
//! marks a public suffix domain); both are computed so a difference can be shown.

use serde::Serialize;

use super::parse::{self, Disposition, DmarcRecord};
use crate::dns::{Outcome, RType, Resolver};

/// How the record is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// RFC 7489: From domain, then the PSL organizational domain.
    Rfc7489,
    /// DMARCbis DNS tree walk.
    TreeWalk,
}

/// How the record was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    FromDomain,
    OrgDomain,
    /// DMARCbis tree walk above the From domain; `psd` when the record says `psd=y`.
    TreeWalk { psd: bool },
}

impl Via {
    /// The phrase receivers (authheaders) put in Authentication-Results.
    pub fn phrase(self) -> &'static str {
        match self {
            Via::FromDomain => "Used From Domain Record",
            Via::OrgDomain => "Used Org Domain Record",
            Via::TreeWalk { psd: true } => "Used Tree Walk, org one level below PSD",
            Via::TreeWalk { psd: false } => "Used Tree Walk",
        }
    }

    /// The same in words, for reports.
    pub fn words(self) -> &'static str {
        match self {
            Via::FromDomain => "the From domain's own record",
            Via::OrgDomain => "the organizational domain's record (none at the From domain)",
            Via::TreeWalk { psd: true } => "the DMARCbis tree walk (the domain one level below a public suffix domain)",
            Via::TreeWalk { psd: false } => "the DMARCbis tree walk",
        }
    }
}

/// One DNS lookup made during discovery.
#[derive(Debug, Clone, Serialize)]
pub struct Lookup {
    pub name: String,
    pub outcome: Outcome,
    /// The TXT strings seen (all of them, DMARC or not).
    pub txt: Vec<String>,
    /// CNAME links followed to reach the answer.
    pub cnames: Vec<(String, String)>,
    pub summary: String,
}

/// A usable record and where it was found.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    /// The domain whose `_dmarc` name held the record.
    pub domain: String,
    pub via: Via,
    pub record: DmarcRecord,
}

/// The result of discovery.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome2 {
    Found(Found),
    /// No DMARC record at any name looked at.
    None,
    /// Several DMARC records at one name: receivers apply no DMARC (RFC 7489 §6.6.3).
    Multiple { domain: String, records: Vec<String> },
    /// A DNS failure: DMARC temperror, "could not check".
    TempError { name: String, why: String },
}

/// Everything discovery looked at.
#[derive(Debug, Clone, Serialize)]
pub struct Discovery {
    pub from_domain: String,
    /// Organizational domain per the PSL (the `psl` crate's compiled list).
    pub org_domain: String,
    pub mode: Mode,
    pub lookups: Vec<Lookup>,
    pub result: Outcome2,
}

impl Discovery {
    pub fn found(&self) -> Option<&Found> {
        match &self.result {
            Outcome2::Found(f) => Some(f),
            _ => None,
        }
    }
}

/// What one `_dmarc` name holds.
enum AtName {
    Record(DmarcRecord),
    Nothing,
    Multiple(Vec<String>),
    Fail(String),
}

async fn look(resolver: &Resolver, domain: &str, lookups: &mut Vec<Lookup>) -> AtName {
    let name = format!("_dmarc.{domain}");
    let ans = resolver.query(&name, RType::Txt).await;
    let txt = ans.txt_strings();
    let mut cnames = ans.cnames.clone();
    if cnames.is_empty() && matches!(ans.outcome, Outcome::NxDomain | Outcome::NoData) {
        // A negative answer may omit the CNAME that led to it: ask, so that a
        // delegation to a DMARC vendor that no longer serves the record is visible.
        let c = resolver.query(&name, RType::Cname).await;
        if let Some(crate::dns::Rec::Cname(t)) = c.records.first() {
            cnames.push((name.clone(), crate::dns::normalize(t)));
        }
    }
    lookups.push(Lookup { name: name.clone(), outcome: ans.outcome, txt: txt.clone(), cnames, summary: ans.summary() });
    if ans.is_failure() {
        return AtName::Fail(format!("{name}: {}", ans.summary()));
    }
    let dmarc: Vec<String> = txt.into_iter().filter(|t| parse::looks_like_dmarc(t)).collect();
    match dmarc.len() {
        0 => AtName::Nothing,
        1 => match parse::parse(&dmarc[0]) {
            Ok(r) => AtName::Record(r),
            // looks_like_dmarc accepted it, so only an over-long record lands here
            Err(_) => AtName::Nothing,
        },
        _ => AtName::Multiple(dmarc),
    }
}

/// The names the DMARCbis tree walk queries after the From domain itself.
pub fn tree_walk_parents(from: &str) -> Vec<String> {
    let labels: Vec<&str> = from.split('.').filter(|l| !l.is_empty()).collect();
    let mut out = Vec::new();
    let mut n = labels.len();
    if n > 8 {
        n = 7; // jump: strip down to 7 labels at once (bounded walk)
        out.push(labels[labels.len() - n..].join("."));
    }
    while n > 1 {
        n -= 1;
        out.push(labels[labels.len() - n..].join("."));
    }
    out
}

/// Find the DMARC record that governs `from_domain`.
pub async fn discover(resolver: &Resolver, from_domain: &str, mode: Mode) -> Discovery {
    let from = super::psl::to_ascii(&crate::dns::normalize(from_domain));
    let org = super::psl::org_domain(&from);
    let mut lookups = Vec::new();
    let mut result = Outcome2::None;
    let mut candidates: Vec<(String, Via)> = vec![(from.clone(), Via::FromDomain)];
    match mode {
        Mode::Rfc7489 => {
            if org != from {
                candidates.push((org.clone(), Via::OrgDomain));
            }
        }
        Mode::TreeWalk => {
            candidates.extend(tree_walk_parents(&from).into_iter().map(|d| (d, Via::TreeWalk { psd: false })));
        }
    }
    for (domain, via) in candidates {
        match look(resolver, &domain, &mut lookups).await {
            AtName::Nothing => continue,
            AtName::Fail(why) => {
                result = Outcome2::TempError { name: format!("_dmarc.{domain}"), why };
                break;
            }
            AtName::Multiple(records) => {
                result = Outcome2::Multiple { domain, records };
                break;
            }
            AtName::Record(record) => {
                let via = match via {
                    Via::TreeWalk { .. } => Via::TreeWalk { psd: record.psd == Some('y') },
                    v => v,
                };
                result = Outcome2::Found(Found { domain, via, record });
                break;
            }
        }
    }
    Discovery { from_domain: from, org_domain: org, mode, lookups, result }
}

/// Does `domain` exist, for `np=`? `None` when a lookup failed (could not check).
///
/// Non-existent means NXDOMAIN for all of A, AAAA and MX; any answer (records or
/// NODATA) means the name exists. Why not NODATA as well:
/// * RFC 9091 §2.1 (experimental, which introduced np=) reads "a domain for which there
///   is an NXDOMAIN or NODATA response for A, AAAA, and MX records";
/// * RFC 9989 (DMARCbis, which obsoletes RFC 7489 and RFC 9091) takes the RFC 8020
///   meaning: "if the response code received for a query for a domain name is NXDOMAIN,
///   then the domain name and any possible subdomains do not exist";
/// * the authheaders reference (conformance case authheaders-test_authenticate_dmarc_np2)
///   applies sp=, not np=, to a name holding only a TXT record (NODATA for A/AAAA/MX).
///
/// The current standard and the reference agree, so a name with any record exists.
pub async fn domain_exists(resolver: &Resolver, domain: &str) -> Option<bool> {
    let (a, aaaa, mx) =
        tokio::join!(resolver.query(domain, RType::A), resolver.query(domain, RType::Aaaa), resolver.query(domain, RType::Mx));
    if [&a, &aaaa, &mx].iter().all(|x| x.outcome == Outcome::NxDomain) {
        return Some(false);
    }
    if [&a, &aaaa, &mx].iter().any(|x| x.outcome == Outcome::Records || x.outcome == Outcome::NoData) {
        return Some(true);
    }
    None
}

/// Which tag decides the disposition for `from_domain`, and the disposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// `p`, `sp`, `np`, or `p (rua present, treated as none)`.
    pub tag: &'static str,
    pub disposition: Disposition,
}

/// The policy that applies to mail from `from_domain` under the found record.
/// `from_exists` matters only for `np`. `None` when the record has no usable `p` and
/// no valid `rua` (receivers then apply no DMARC at all).
pub fn applicable(found: &Found, from_domain: &str, from_exists: Option<bool>) -> Option<Applied> {
    let rec = &found.record;
    // RFC 7489 §6.6.3 step 6: "does not contain a valid "p" tag, or contains an "sp" tag
    // that is not valid": with a valid rua, act as if p=none was retrieved; otherwise no
    // DMARC processing. That is the whole record, whatever the From domain's level.
    if rec.sp_invalid() {
        return rec.has_valid_rua().then_some(Applied { tag: "sp (invalid; rua present, so none)", disposition: Disposition::None });
    }
    let p = match rec.p {
        Some(p) => Applied { tag: "p", disposition: p },
        None if rec.has_valid_rua() => Applied { tag: "p (missing; rua present, so none)", disposition: Disposition::None },
        None => return None,
    };
    let from = crate::dns::normalize(from_domain);
    if from == found.domain {
        return Some(p);
    }
    // A record found at a public suffix domain: its p= governs the organizational
    // domain directly below it (RFC 9091 §2.3, DMARCbis).
    if let Via::TreeWalk { psd: true } = found.via {
        if from.strip_suffix(&format!(".{}", found.domain)).is_some_and(|left| !left.contains('.')) {
            return Some(p);
        }
    }
    if from_exists == Some(false) {
        if let Some(np) = rec.np {
            return Some(Applied { tag: "np", disposition: np });
        }
    }
    match rec.sp {
        Some(sp) => Some(Applied { tag: "sp", disposition: sp }),
        None => Some(p),
    }
}

/// Whether an external report destination agreed to receive reports (RFC 7489 §7.1).
#[derive(Debug, Clone, Serialize)]
pub struct ReportAuth {
    pub uri: String,
    pub dest_domain: String,
    /// The name that was checked.
    pub name: String,
    /// Some(true) authorised, Some(false) not, None could not check.
    pub authorized: Option<bool>,
    /// Authorised through `*._report._dmarc.<dest>`.
    pub wildcard: bool,
    pub evidence: String,
}

/// Check every `rua`/`ruf` destination outside the record's organizational domain.
pub async fn check_report_auth(resolver: &Resolver, found: &Found) -> Vec<ReportAuth> {
    let own_org = super::psl::org_domain(&found.domain);
    let mut dests: Vec<(String, String)> = Vec::new();
    for u in found.record.rua.iter().chain(found.record.ruf.iter()) {
        if let Some(d) = &u.domain {
            if super::psl::org_domain(d) != own_org && !dests.iter().any(|(_, x)| x == d) {
                dests.push((u.uri.clone(), d.clone()));
            }
        }
    }
    let futs = dests.into_iter().map(|(uri, dest)| {
        let resolver = resolver.clone();
        let domain = found.domain.clone();
        async move {
            let name = format!("{domain}._report._dmarc.{dest}");
            let ans = resolver.query(&name, RType::Txt).await;
            let ok = |a: &crate::dns::Answer| a.txt_strings().iter().any(|t| parse::looks_like_dmarc(t));
            if ans.is_failure() {
                return ReportAuth { uri, dest_domain: dest, name, authorized: None, wildcard: false, evidence: ans.summary() };
            }
            if ok(&ans) {
                return ReportAuth { uri, dest_domain: dest, name, authorized: Some(true), wildcard: false, evidence: ans.summary() };
            }
            // Servers synthesise wildcard answers; ask the wildcard owner too, for
            // servers and zone tools that do not.
            let wname = format!("*._report._dmarc.{dest}");
            let w = resolver.query(&wname, RType::Txt).await;
            if ok(&w) {
                return ReportAuth { uri, dest_domain: dest, name, authorized: Some(true), wildcard: true, evidence: w.summary() };
            }
            let authorized = if w.is_failure() { None } else { Some(false) };
            ReportAuth { uri, dest_domain: dest, name, authorized, wildcard: false, evidence: ans.summary() }
        }
    });
    futures::future::join_all(futs).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_names() {
        assert_eq!(tree_walk_parents("a.b.example.com"), vec!["b.example.com", "example.com", "com"]);
        let long = "1.2.3.4.5.6.7.8.9.example";
        let w = tree_walk_parents(long);
        assert_eq!(w[0], "4.5.6.7.8.9.example");
        assert_eq!(w.len(), 7);
        assert!(tree_walk_parents("com").is_empty());
    }
}
