//! DMARC: record parsing and lint, policy discovery, alignment.
//! (Issue #4; this module owns its parser(s), evaluator(s) and CLI command.)
//!
//! * [`parse`]: the record grammar and lint (pure).
//! * [`psl`]: organizational domains.
//! * [`policy`]: discovery (`_dmarc` lookups, tree walk), applicable policy, report
//!   destination authorisation.
//! * [`align`]: alignment and the verdict ([`evaluate`]), pure.
//! * [`explain`]: alignment of identifiers given on the command line, in words.
//! * [`message`]: `mailsleuth verify` (DKIM via mail-auth, SPF, DMARC for a message).

pub mod align;
pub mod cli;
pub mod conformance;
pub mod explain;
pub mod message;
pub mod parse;
pub mod policy;
pub mod psl;

pub use align::{evaluate, DmarcResult, DmarcVerdict};

use serde::Serialize;

use crate::diagnose::Context;
use crate::dns::Resolver;
use crate::finding::{Finding, Fix, Severity};
use policy::{Discovery, Mode, Outcome2, ReportAuth};

/// Everything `mailsleuth dmarc DOMAIN` and `diagnose` learn about one domain.
#[derive(Debug, Clone, Serialize)]
pub struct DomainReport {
    pub domain: String,
    pub discovery: Discovery,
    /// The DMARCbis tree walk, when its answer differs from RFC 7489 discovery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree_walk: Option<Discovery>,
    /// The policy that applies to mail whose From domain is `domain`.
    pub applied: Option<policy::Applied>,
    pub report_auth: Vec<ReportAuth>,
    pub findings: Vec<Finding>,
}

fn same_result(a: &Discovery, b: &Discovery) -> bool {
    match (&a.result, &b.result) {
        (Outcome2::Found(x), Outcome2::Found(y)) => x.domain == y.domain,
        (Outcome2::None, Outcome2::None) => true,
        (Outcome2::Multiple { domain: x, .. }, Outcome2::Multiple { domain: y, .. }) => x == y,
        (Outcome2::TempError { .. }, Outcome2::TempError { .. }) => true,
        _ => false,
    }
}

/// Discover, lint and explain the DMARC set-up of `domain`.
pub async fn inspect(resolver: &Resolver, domain: &str) -> DomainReport {
    let domain = psl::to_ascii(&crate::dns::normalize(domain));
    let (discovery, walk) =
        tokio::join!(policy::discover(resolver, &domain, Mode::Rfc7489), policy::discover(resolver, &domain, Mode::TreeWalk));
    let tree_walk = if same_result(&discovery, &walk) { None } else { Some(walk) };
    let mut findings = Vec::new();
    let mut applied = None;
    let mut report_auth = Vec::new();
    let org = discovery.org_domain.clone();
    let tried: Vec<String> = discovery.lookups.iter().map(|l| l.summary.clone()).collect();
    for l in discovery.lookups.iter().filter(|l| !l.cnames.is_empty() && l.txt.iter().all(|t| !parse::looks_like_dmarc(t))) {
        if matches!(l.outcome, crate::dns::Outcome::NxDomain | crate::dns::Outcome::NoData | crate::dns::Outcome::Records) {
            let target = l.cnames.last().map(|c| c.1.clone()).unwrap_or_default();
            findings.push(
                Finding::new(
                    "dmarc.cname-dangling",
                    Severity::Warning,
                    format!("{} is a CNAME to {target}, which holds no DMARC record", l.name),
                )
                .evidences(l.cnames.iter().map(|(a, b)| format!("{a} CNAME {b}")))
                .evidence(l.summary.clone())
                .detail("The DMARC record was delegated (usually to a DMARC reporting vendor) and the target no longer serves it.")
                .fix(Fix::setting(format!("Restore the record at {target} with the vendor, or replace the CNAME at {} by your own TXT record.", l.name)))
                .subject(domain.clone()),
            );
        }
    }
    for l in &discovery.lookups {
        for t in l.txt.iter().filter(|t| !parse::looks_like_dmarc(t) && t.to_ascii_lowercase().contains("dmarc")) {
            let why = parse::parse(t).err().map(|e| e.to_string()).unwrap_or_default();
            findings.push(
                Finding::new("dmarc.record-ignored", Severity::Warning, format!("A TXT record at {} looks like DMARC but is ignored: {why}", l.name))
                    .evidence(format!("TXT {t:?}"))
                    .detail("RFC 7489 §6.6.3: records that do not start with exactly v=DMARC1 are discarded.")
                    .fix(Fix::setting(format!("Start the record at {} with \"v=DMARC1;\" (upper case, first tag).", l.name)))
                    .subject(domain.clone()),
            );
        }
    }
    match &discovery.result {
        Outcome2::None => {
            findings.push(
                Finding::new("dmarc.none", Severity::Warning, format!("{domain} has no DMARC record"))
                    .evidences(tried.clone())
                    .detail(
                        "Gmail and Yahoo require a DMARC record from bulk senders (since February 2024), and many receivers \
                         treat mail without one as suspicious. Start with p=none and a rua= address to collect reports.",
                    )
                    .fix(Fix::record(format!("_dmarc.{org}"), "TXT", format!("\"v=DMARC1; p=none; rua=mailto:dmarc-reports@{org}\""), "Publish"))
                    .subject(domain.clone()),
            );
        }
        Outcome2::TempError { name, why } => {
            findings.push(
                Finding::new("dmarc.dns-failure", Severity::Unknown, format!("Could not look up the DMARC record of {domain}"))
                    .evidence(why.clone())
                    .detail(format!("The lookup of {name} failed; this is not the same as having no record."))
                    .subject(domain.clone()),
            );
        }
        Outcome2::Multiple { domain: at, records } => {
            findings.push(
                Finding::new("dmarc.multiple-records", Severity::Error, format!("_dmarc.{at} has {} DMARC records: receivers apply no DMARC", records.len()))
                    .evidences(records.iter().map(|r| format!("TXT {r:?}")))
                    .fix(Fix::setting(format!("Delete all but one v=DMARC1 TXT record at _dmarc.{at}.")))
                    .subject(domain.clone()),
            );
        }
        Outcome2::Found(found) => {
            let rec = &found.record;
            let from_exists = if found.domain != domain && rec.np.is_some() {
                policy::domain_exists(resolver, &domain).await
            } else {
                Some(true)
            };
            applied = policy::applicable(found, &domain, from_exists);
            let name = format!("_dmarc.{}", found.domain);
            let mut f = match applied {
                Some(a) => Finding::new(
                    "dmarc.policy",
                    Severity::Info,
                    format!(
                        "DMARC policy for {domain}: {} (from {}={}{}), record at {name}",
                        a.disposition.as_str(),
                        a.tag,
                        a.disposition.as_str(),
                        if rec.pct_or_default() < 100 { format!(", pct={}", rec.pct_or_default()) } else { String::new() }
                    ),
                ),
                None => Finding::new(
                    "dmarc.policy",
                    Severity::Info,
                    format!("The DMARC record at {name} has no usable p= and no rua=: receivers apply no DMARC to {domain}"),
                ),
            }
            .evidence(format!("TXT {:?}", rec.raw))
            .evidence(format!("found via: {}", found.via.words()))
            .evidence(format!("alignment: adkim={}, aspf={}", rec.adkim.as_str(), rec.aspf.as_str()));
            if let Some(e) = from_exists.filter(|_| found.domain != domain && rec.np.is_some()) {
                f = f.evidence(format!("{domain} {} (np= applies to non-existent subdomains)", if e { "exists" } else { "does not exist" }));
            }
            findings.push(f.subject(domain.clone()));
            if let Some(l) = discovery.lookups.iter().find(|l| l.name == name && !l.cnames.is_empty()) {
                let chain: Vec<String> = l.cnames.iter().map(|(a, b)| format!("{a} CNAME {b}")).collect();
                findings.push(
                    Finding::new("dmarc.cname", Severity::Info, format!("{name} is a CNAME: the record is managed at {}", l.cnames.last().map(|c| c.1.as_str()).unwrap_or("")))
                        .evidences(chain)
                        .subject(domain.clone()),
                );
            }
            for issue in &rec.issues {
                let mut f = Finding::new(issue.id, issue.severity, issue.message.clone())
                    .evidence(format!("{name} TXT {:?}", rec.raw))
                    .subject(domain.clone());
                if let Some(text) = parse::issue_fix(issue.id) {
                    f = f.fix(Fix::setting(format!("{text} (record at {name})")));
                }
                findings.push(f);
            }
            report_auth = policy::check_report_auth(resolver, found).await;
            for ra in &report_auth {
                match ra.authorized {
                    Some(true) => {}
                    Some(false) => findings.push(
                        Finding::new(
                            "dmarc.report-unauthorized",
                            Severity::Warning,
                            format!("{} has not agreed to receive DMARC reports for {}: receivers drop reports to {}", ra.dest_domain, found.domain, ra.uri),
                        )
                        .evidence(ra.evidence.clone())
                        .detail("RFC 7489 §7.1: a report destination outside your organizational domain must publish an authorisation record.")
                        .fix(Fix::record(ra.name.clone(), "TXT", "\"v=DMARC1\"", "The report receiver publishes"))
                        .subject(domain.clone()),
                    ),
                    None => findings.push(
                        Finding::new("dmarc.report-auth-unknown", Severity::Unknown, format!("Could not check whether {} accepts DMARC reports for {}", ra.dest_domain, found.domain))
                            .evidence(ra.evidence.clone())
                            .fix(Fix::setting(format!("Retry; if it keeps failing, check the DNS servers of {}.", ra.dest_domain)))
                            .subject(domain.clone()),
                    ),
                }
            }
        }
    }
    if let Some(w) = &tree_walk {
        let what = match &w.result {
            Outcome2::Found(f) => format!("the record at _dmarc.{} ({})", f.domain, f.via.words()),
            Outcome2::None => "no record".to_string(),
            Outcome2::Multiple { domain, .. } => format!("several records at _dmarc.{domain}"),
            Outcome2::TempError { name, .. } => format!("a DNS failure at {name}"),
        };
        findings.push(
            Finding::new("dmarc.treewalk-differs", Severity::Info, format!("DMARCbis tree walk finds {what}, unlike RFC 7489 discovery"))
                .evidences(w.lookups.iter().map(|l| l.summary.clone()))
                .detail("Receivers that implement DMARCbis walk up the DNS tree instead of using the Public Suffix List.")
                .subject(domain.clone()),
        );
    }
    DomainReport { domain, discovery, tree_walk, applied, report_auth, findings }
}

/// One call for `diagnose` once SPF has a result: discover the policy of `from_domain`
/// (RFC 7489), check existence when `np=` matters, and evaluate alignment.
/// `spf`: (domain SPF was checked for, passed?); `dkim_passes`: d= of verified signatures.
/// The verdict's `findings` hold `dmarc.pass` / `dmarc.fail` / `dmarc.permerror` /
/// `dmarc.multiple-records` / `dmarc.dns-failure` (nothing when there is no record:
/// `inspect` already reports `dmarc.none`).
pub async fn evaluate_for(resolver: &Resolver, from_domain: &str, spf: Option<(&str, bool)>, dkim_passes: &[String]) -> DmarcVerdict {
    let disc = policy::discover(resolver, from_domain, Mode::Rfc7489).await;
    let from_exists = match disc.found() {
        Some(f) if f.domain != disc.from_domain && f.record.np.is_some() => policy::domain_exists(resolver, &disc.from_domain).await,
        _ => Some(true),
    };
    evaluate(&disc, spf, dkim_passes, from_exists)
}

/// The findings this module contributes to `mailsleuth diagnose`.
pub async fn diagnose(ctx: &Context) -> Vec<Finding> {
    let mut domains: Vec<String> = Vec::new();
    if let Some(d) = ctx.sender_domain() {
        domains.push(crate::dns::normalize(d));
    }
    if let Some(f) = &ctx.from_header {
        // from_header may be an address or a bare domain
        let d = crate::dns::normalize(f.rsplit('@').next().unwrap_or(f).trim_matches(['<', '>', ' ']));
        if !d.is_empty() && !domains.contains(&d) {
            domains.push(d);
        }
    }
    let reports = futures::future::join_all(domains.iter().map(|d| inspect(&ctx.resolver, d))).await;
    let mut findings: Vec<Finding> = reports.into_iter().flat_map(|r| r.findings).collect();
    if let Some(from) = domains.last() {
        findings.extend(verdict_for_diagnosis(ctx, from).await);
    }
    findings
}

/// With the sending IP known, the DMARC verdict a receiver would reach: SPF from the
/// project's evaluator for the MAIL FROM domain, DKIM from the signatures seen (a
/// signature that could align but was not verified leaves the verdict open).
async fn verdict_for_diagnosis(ctx: &Context, from_domain: &str) -> Vec<Finding> {
    let (Some(ip), Some(mail_from)) = (ctx.ip, ctx.sender_domain()) else { return Vec::new() };
    let mail_from = crate::dns::normalize(mail_from);
    let query = crate::spf::verify::Query {
        ip,
        domain: mail_from.clone(),
        sender: ctx.sender.as_ref().map(|m| m.to_ascii_string()).unwrap_or_default(),
        helo: ctx.helo.clone().unwrap_or_default(),
        receiver: None,
        record_override: None,
    };
    let spf = crate::spf::verify::check_host(&ctx.resolver, &query).await;
    if matches!(spf.result, crate::spf::verify::SpfResult::TempError) {
        // SPF could not be evaluated: the spf module reports it; DMARC stays open.
        return Vec::new();
    }
    let spf_pass = spf.result == crate::spf::verify::SpfResult::Pass;
    let from_org = psl::org_domain(from_domain);
    let aligned_dkim: Vec<&String> = ctx.dkim_domains.iter().filter(|d| psl::org_domain(d) == from_org).collect();
    let dkim_line = if ctx.dkim_domains.is_empty() {
        "DKIM: no signature known (give the message to `mailsleuth verify` to check one)".to_string()
    } else if aligned_dkim.is_empty() {
        format!("DKIM: signatures seen with d={}, none aligned with {from_domain} (organisational domain {from_org})", ctx.dkim_domains.join(", d="))
    } else {
        format!("DKIM: signatures seen with d={} (not verified here)", ctx.dkim_domains.join(", d="))
    };
    if !spf_pass && !aligned_dkim.is_empty() {
        let d = aligned_dkim.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        return vec![Finding::new("dmarc.dkim-unverified", Severity::Unknown, format!("DMARC for {from_domain} depends on the DKIM signature of {d}, which was not verified here"))
            .evidence(format!("SPF {} for {mail_from} with {ip}", spf.result.as_str()))
            .evidence(dkim_line)
            .detail("SPF does not pass aligned; an aligned DKIM signature would still make DMARC pass. Verify the message with `mailsleuth verify MESSAGE.eml`.")
            .fix(Fix::setting("Verify the message: mailsleuth verify MESSAGE.eml (its DKIM signature decides DMARC)."))
            .subject(from_domain)];
    }
    let verdict = evaluate_for(&ctx.resolver, from_domain, Some((&mail_from, spf_pass)), &[]).await;
    verdict
        .findings
        .into_iter()
        .filter(|f| f.id == "dmarc.fail" || f.id == "dmarc.pass")
        .map(|mut f| {
            f.evidence.push(format!("SPF {} for {mail_from} with {ip}", spf.result.as_str()));
            f.evidence.push(dkim_line.clone());
            f
        })
        .collect()
}
