//! SPF's part of `mailsleuth diagnose`: presence and lint of the sender domain's record
//! always; with an IP, the MAIL FROM (and HELO) evaluation, turned into ranked findings
//! whose fix is the exact record that makes the IP pass.

use std::net::IpAddr;

use super::esp;
use super::lint;
use super::parse::{self, Mechanism, Term};
use super::verify::{check_host, Evaluation, Query, SpfResult};
use crate::dns::{RType, Resolver};
use crate::finding::{Finding, Fix, Severity};

/// Which identity an evaluation was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    MailFrom,
    Helo,
}

/// Where the fix's new authorisation came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Authorisation {
    /// The term to add: `include:_spf.esp.example` or `ip4:192.0.2.1`.
    pub term: String,
    /// How it was found, for the evidence.
    pub how: String,
}

/// The term that makes `ip` pass: the include of the service whose host it is (found
/// from its PTR name and tested with check_host), else the bare address.
pub async fn find_authorisation(resolver: &Resolver, ip: IpAddr, sender: &str, helo: &str) -> Authorisation {
    let ptr = resolver.query(&super::macros::reverse_name(ip), RType::Ptr).await;
    let mut candidates: Vec<(String, String)> = Vec::new();
    for name in ptr.names().into_iter().take(3) {
        let Some(org) = psl::domain_str(&name).map(str::to_string) else { continue };
        if let Some(e) = esp::by_ptr_org(&org) {
            candidates.push((e.include.to_string(), format!("{ip} is {name}, a {} host; {} documents include:{}", e.name, e.name, e.include)));
        }
        for c in [org.clone(), format!("_spf.{org}"), format!("spf.{org}"), format!("_spf.mail.{org}"), format!("spf.mail.{org}"), format!("mail.{org}")] {
            if !candidates.iter().any(|(x, _)| *x == c) {
                candidates.push((c.clone(), format!("{ip} is {name} (organisation {org}); the SPF record of {c} authorises it")));
            }
        }
    }
    // Test every candidate at once (each is a full check_host for this IP).
    let evals = futures::future::join_all(candidates.iter().map(|(c, _)| {
        let q = Query { ip, domain: c.clone(), sender: sender.to_string(), helo: helo.to_string(), receiver: None, record_override: None };
        async move { check_host(resolver, &q).await }
    }))
    .await;
    // A documented include from the table wins; otherwise the passing candidate that costs
    // the fewest lookups (an ESP's apex record often just includes its `_spf` name).
    let passing: Vec<(usize, (String, String), u32)> = candidates
        .into_iter()
        .zip(evals)
        .enumerate()
        .filter(|(_, (_, ev))| ev.result == SpfResult::Pass)
        .map(|(i, (c, ev))| (i, c, ev.lookups))
        .collect();
    let documented = passing.iter().find(|(_, (c, _), _)| esp::by_include(c).is_some());
    if let Some((_, (c, how), _)) = documented.or_else(|| passing.iter().min_by_key(|(i, _, lookups)| (*lookups, *i))) {
        return Authorisation { term: format!("include:{c}"), how: how.clone() };
    }
    let term = match ip {
        IpAddr::V4(v4) => format!("ip4:{v4}"),
        IpAddr::V6(v6) => format!("ip6:{v6}"),
    };
    let how = match ptr.names().first() {
        Some(n) => format!("{ip} ({n}) belongs to no service whose SPF record authorises it; authorise the address itself"),
        None => format!("{ip} has no PTR name ({}); authorise the address itself", ptr.outcome),
    };
    Authorisation { term, how }
}

/// The record with `term` inserted before the `all` term (or before the modifiers, or
/// at the end).
pub fn insert_term(record: &str, term: &str) -> String {
    let Ok(r) = parse::parse_record(record) else {
        return format!("v=spf1 {term} ~all");
    };
    let at = r
        .terms
        .iter()
        .position(|t| matches!(t, Term::Directive(d) if d.mechanism == Mechanism::All))
        .or_else(|| r.terms.iter().position(|t| matches!(t, Term::Modifier(_))));
    let mut parts: Vec<&str> = r.terms.iter().map(|t| t.text()).collect();
    match at {
        Some(i) => parts.insert(i, term),
        None => parts.push(term),
    }
    format!("v=spf1 {}", parts.join(" "))
}

/// Findings for one evaluation (pass included, as an Ok finding).
pub async fn evaluation_findings(resolver: &Resolver, ev: &Evaluation, id: Identity, sender: &str, helo: &str) -> Vec<Finding> {
    let who = match id {
        Identity::MailFrom => format!("MAIL FROM domain {}", ev.domain),
        Identity::Helo => format!("HELO name {}", ev.domain),
    };
    let mut trace = Vec::new();
    ev.trace.render_lines(0, &mut trace);
    // HELO findings get their own ids (spf.helo-fail, ...): a receiver may check either.
    let base = |name: &str, sev: Severity, title: String| {
        let fid = match id {
            Identity::MailFrom => format!("spf.{name}"),
            Identity::Helo => format!("spf.helo-{name}"),
        };
        Finding::new(&fid, sev, title).evidences(trace.clone()).subject(ev.domain.clone())
    };
    let ip = ev.ip;
    let mut out = Vec::new();
    match ev.result {
        SpfResult::Pass => out.push(base("pass", Severity::Ok, format!("SPF pass: {ip} is authorised by the {who}"))),
        SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => {
            // Neutral is no authorisation either: its fix is the same record change.
            let (fid, sev, title, detail) = match ev.result {
                SpfResult::Fail => (
                    "fail",
                    Severity::Error,
                    format!("SPF {}: {ip} is not authorised by the {who}", ev.result),
                    "The record ends in -all and no term matches this IP: receivers that enforce SPF (and DMARC without an aligned DKIM pass) reject the message (e.g. Gmail 550 5.7.26, Microsoft 550 5.7.23).",
                ),
                SpfResult::SoftFail => (
                    "softfail",
                    Severity::Warning,
                    format!("SPF {}: {ip} is not authorised by the {who}", ev.result),
                    "The record ends in ~all and no term matches this IP: receivers treat the message as suspicious; with DMARC p=reject and no aligned DKIM it is rejected.",
                ),
                _ => (
                    "neutral",
                    Severity::Warning,
                    format!("SPF neutral: the {who} neither authorises nor forbids {ip}"),
                    "Neutral counts as no SPF authentication: DMARC then depends on DKIM alone.",
                ),
            };
            let mut f = base(fid, sev, title).detail(detail);
            if let Some(e) = &ev.explanation {
                f = f.evidence(format!("the domain's explanation (exp=): {e}"));
            }
            if let Some(record) = ev.trace.record.clone() {
                let auth = find_authorisation(resolver, ip, sender, helo).await;
                f = f.evidence(auth.how.clone());
                // Prove the fix: evaluate the new record for the same IP. An include that
                // pushes the record over the lookup limit gives way to the bare address.
                let bare = match ip {
                    IpAddr::V4(v4) => format!("ip4:{v4}"),
                    IpAddr::V6(v6) => format!("ip6:{v6}"),
                };
                let mut tries = vec![auth.term.clone()];
                if auth.term != bare {
                    tries.push(bare);
                }
                let mut fixed = None;
                let mut last = None;
                for term in tries {
                    let new = insert_term(&record, &term);
                    let mut q = if id == Identity::Helo { Query::helo(ip, helo) } else { Query::mail_from(ip, sender, helo) };
                    q.domain = ev.domain.clone();
                    q.record_override = Some(new.clone());
                    let check = check_host(resolver, &q).await;
                    f = f.evidence(format!("with `{term}` added, check_host gives {} ({} lookups)", check.result, check.lookups));
                    if check.result == SpfResult::Pass {
                        fixed = Some(new);
                        break;
                    }
                    last = Some((term, check));
                }
                f = match (fixed, last) {
                    (Some(new), _) => f.fix(Fix::record(&ev.domain, "TXT", new, "Replace the SPF TXT record with")),
                    (None, Some((term, check))) => f.fix(Fix::setting(format!(
                        "Adding `{term}` is not enough ({}: {}); authorise {ip} before the failing term.",
                        check.result, check.trace.reason
                    ))),
                    (None, None) => f,
                };
            }
            out.push(f);
        }
        SpfResult::PermError => out.push(
            base("permerror", Severity::Error, format!("SPF permerror for the {who}: {}", ev.trace.reason))
                .detail("A permanent error is treated as a failure by most receivers and fails DMARC's SPF side; the lint findings name the fix."),
        ),
        SpfResult::TempError => out.push(
            base("temperror", Severity::Unknown, format!("could not evaluate SPF for the {who}: {}", ev.trace.reason))
                .detail("A DNS failure: receivers that see the same failure defer the message (4xx)."),
        ),
        SpfResult::None => {
            if id == Identity::Helo {
                out.push(base("none", Severity::Info, format!("the {who} has no SPF record")));
            }
        }
    }
    out
}

/// When the domain has no SPF record at all, make `spf.none`'s fix a first record that
/// authorises the evaluated IP (tested with check_host before it is offered).
pub async fn first_record_fix(resolver: &Resolver, findings: &mut [Finding], ev: &Evaluation, sender: &str, helo: &str) {
    if ev.result != SpfResult::None || ev.trace.txt_query.is_none() || ev.trace.proposed {
        return;
    }
    let Some(f) = findings.iter_mut().find(|f| f.id == "spf.none") else { return };
    let ip = ev.ip;
    let auth = find_authorisation(resolver, ip, sender, helo).await;
    let record = format!("v=spf1 {} ~all", auth.term);
    let mut q = Query::mail_from(ip, sender, helo);
    q.domain = ev.domain.clone();
    q.record_override = Some(record.clone());
    let check = check_host(resolver, &q).await;
    f.evidence.push(auth.how);
    f.evidence.push(format!("with this record, check_host gives {} for {ip}", check.result));
    if check.result == SpfResult::Pass {
        f.fix = Some(Fix::record(&ev.domain, "TXT", record, "Publish (add your other sending services as include: terms before ~all)"));
    }
}

/// The findings for `diagnose`.
pub async fn diagnose(ctx: &crate::diagnose::Context) -> Vec<Finding> {
    let Some(domain) = ctx.sender_domain().map(str::to_string) else { return Vec::new() };
    let resolver = &ctx.resolver;
    // <sender> as SPF sees it: the parsed local part (display names and brackets gone).
    let local = ctx.sender.as_ref().map(|m| m.local.clone()).filter(|l| !l.is_empty()).unwrap_or_else(|| "postmaster".into());
    let sender = format!("{local}@{domain}");
    let helo = ctx.helo.clone().unwrap_or_default();
    let lint_fut = lint::lint(resolver, &domain, None);
    let mail_fut = async {
        match ctx.ip {
            Some(ip) => {
                let q = Query::mail_from(ip, &sender, &helo);
                Some(check_host(resolver, &q).await)
            }
            None => None,
        }
    };
    let helo_fut = async {
        match (ctx.ip, &ctx.helo) {
            (Some(ip), Some(h)) if !h.is_empty() => Some(check_host(resolver, &Query::helo(ip, h)).await),
            _ => None,
        }
    };
    let (lint, mail, helo_ev) = tokio::join!(lint_fut, mail_fut, helo_fut);
    let mut out = lint.findings;
    if let Some(ev) = &mail {
        first_record_fix(resolver, &mut out, ev, &sender, &helo).await;
    }
    if let Some(ev) = mail {
        out.extend(evaluation_findings(resolver, &ev, Identity::MailFrom, &sender, &helo).await);
    }
    if let Some(ev) = helo_ev {
        out.extend(evaluation_findings(resolver, &ev, Identity::Helo, "", &helo).await);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_before_all() {
        assert_eq!(insert_term("v=spf1 include:_spf.google.com ~all", "include:_spf.esp.example"), "v=spf1 include:_spf.google.com include:_spf.esp.example ~all");
        assert_eq!(insert_term("v=spf1 mx redirect=_spf.x.example", "ip4:192.0.2.1"), "v=spf1 mx ip4:192.0.2.1 redirect=_spf.x.example");
        assert_eq!(insert_term("v=spf1 mx", "ip4:192.0.2.1"), "v=spf1 mx ip4:192.0.2.1");
        assert_eq!(insert_term("v=spf1  a   -all ", "ip4:192.0.2.1"), "v=spf1 a ip4:192.0.2.1 -all");
    }
}
