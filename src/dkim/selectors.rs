//! DKIM selectors: fetch and lint `S._domainkey.DOMAIN`, and guess common provider
//! selectors when none is known.

use serde::Serialize;

use super::key::{self, KeyRecord};
use crate::dns::{Outcome, RType, Resolver};
use crate::finding::{Finding, Fix, Severity};

/// Selectors that mail providers and common set-ups use, with who uses them. Providers
/// that generate random selectors (SES Easy DKIM, Postmark's dated ones) cannot be
/// guessed; the message's DKIM-Signature (s=) or `--selector` finds those.
pub const COMMON_SELECTORS: &[(&str, &str)] = &[
    ("google", "Google Workspace"),
    ("selector1", "Microsoft 365"),
    ("selector2", "Microsoft 365"),
    ("s1", "SendGrid and others"),
    ("s2", "SendGrid and others"),
    ("k1", "Mailchimp / Mailgun"),
    ("k2", "Mailchimp"),
    ("k3", "Mailchimp"),
    ("mx", "Mailgun"),
    ("pic", "Mailgun"),
    ("krs", "Mailgun"),
    ("smtp", "Mailgun and others"),
    ("amazonses", "Amazon SES (legacy)"),
    ("pm", "Postmark"),
    ("mandrill", "Mailchimp Transactional"),
    ("zmail", "Zoho Mail"),
    ("zoho", "Zoho"),
    ("fm1", "Fastmail"),
    ("fm2", "Fastmail"),
    ("fm3", "Fastmail"),
    ("protonmail", "Proton Mail"),
    ("protonmail2", "Proton Mail"),
    ("protonmail3", "Proton Mail"),
    ("sig1", "iCloud custom domain"),
    ("hs1", "HubSpot"),
    ("hs2", "HubSpot"),
    ("mailjet", "Mailjet"),
    ("cm", "Campaign Monitor"),
    ("everlytickey1", "Everlytic"),
    ("default", "cPanel / generic"),
    ("dkim", "generic"),
    ("mail", "generic"),
];

/// Who a CNAME target belongs to.
pub fn provider_of(target: &str) -> Option<&'static str> {
    const P: &[(&str, &str)] = &[
        (".onmicrosoft.com", "Microsoft 365"),
        (".dkim.mail.microsoft", "Microsoft 365"),
        (".dkim.amazonses.com", "Amazon SES"),
        (".sendgrid.net", "SendGrid"),
        (".mailgun.org", "Mailgun"),
        (".mcsv.net", "Mailchimp"),
        (".mandrillapp.com", "Mailchimp Transactional"),
        (".mtasv.net", "Postmark"),
        (".zoho.com", "Zoho"),
        (".fmhosted.com", "Fastmail"),
        (".protonmail.ch", "Proton Mail"),
        (".hubspotemail.net", "HubSpot"),
        (".mailjet.com", "Mailjet"),
        (".sparkpostmail.com", "SparkPost"),
        (".createsend.com", "Campaign Monitor"),
        (".icloud.com", "iCloud"),
        (".googlehosted.com", "Google"),
    ];
    let t = crate::dns::normalize(target);
    P.iter().find(|(suffix, _)| t.ends_with(suffix)).map(|(_, p)| *p)
}

/// The Microsoft 365 DKIM CNAME target shape: `selector1-<domain with dashes>._domainkey.<tenant>.onmicrosoft.com`
/// (or the 2024 form under `dkim.mail.microsoft`).
pub fn m365_expected_prefix(selector: &str, domain: &str) -> String {
    format!("{selector}-{}", domain.replace('.', "-"))
}

/// Why a `selector1`/`selector2` CNAME target does not follow Microsoft 365's pattern
/// `<selector>-<domain with dashes>._domainkey.<tenant>.onmicrosoft.com` (or
/// `..._domainkey.<tenant>.<region>.dkim.mail.microsoft`); None when it does.
pub fn m365_pattern_problem(selector: &str, domain: &str, target: &str) -> Option<String> {
    let want = m365_expected_prefix(selector, &crate::dns::normalize(domain));
    let t = crate::dns::normalize(target);
    let labels: Vec<&str> = t.split('.').collect();
    if labels.first() != Some(&want.as_str()) {
        return Some(format!("the first label is {:?}, not {want:?} (the selector and the domain with dots as dashes)", labels.first().unwrap_or(&"")));
    }
    if labels.get(1) != Some(&"_domainkey") {
        return Some("the second label is not _domainkey".into());
    }
    let rest = &labels[2.min(labels.len())..];
    let ok = matches!(rest, [tenant, "onmicrosoft", "com"] if !tenant.is_empty())
        || (rest.len() >= 4 && rest.ends_with(&["dkim", "mail", "microsoft"]));
    if !ok {
        return Some("it does not end in <tenant>.onmicrosoft.com (or <tenant>.<region>.dkim.mail.microsoft)".into());
    }
    None
}

/// The explicit Microsoft 365 check for `selector1`/`selector2` delegated by CNAME to
/// Microsoft (or to a name shaped like Microsoft's).
fn m365_check(c: &SelectorCheck, expected: bool) -> Option<Finding> {
    if !matches!(c.selector.as_str(), "selector1" | "selector2") {
        return None;
    }
    let (_, target) = c.cnames.last()?;
    let looks_m365 = c.provider == Some("Microsoft 365") || target.starts_with("selector1-") || target.starts_with("selector2-");
    if !looks_m365 {
        return None;
    }
    let why = m365_pattern_problem(&c.selector, &c.domain, target)?;
    let want = format!("{}._domainkey.<tenant>.onmicrosoft.com", m365_expected_prefix(&c.selector, &c.domain));
    Some(
        Finding::new(
            "dkim.m365-cname",
            if expected { Severity::Error } else { Severity::Warning },
            format!("{} does not follow the Microsoft 365 CNAME pattern {want}", c.name),
        )
        .evidences(c.cnames.iter().map(|(a, b)| format!("{a} CNAME {b}")))
        .evidence(format!("{target}: {why}"))
        .evidence(c.evidence.clone())
        .detail("Microsoft 365 signs as the domain with the key behind selectorN-<domain with dashes>._domainkey.<tenant>.onmicrosoft.com; a target copied from another domain or the other selector points at the wrong key (or none).")
        .fix(Fix::setting(format!(
            "Copy the {} CNAME target for {} exactly from the Microsoft Defender portal (Email authentication settings > DKIM).",
            c.selector, c.domain
        )))
        .subject(c.domain.clone()),
    )
}

/// What one selector holds.
#[derive(Debug, Clone, Serialize)]
pub struct SelectorCheck {
    pub domain: String,
    pub selector: String,
    pub name: String,
    pub outcome: Outcome,
    pub evidence: String,
    /// CNAME links followed.
    pub cnames: Vec<(String, String)>,
    pub provider: Option<&'static str>,
    /// Every TXT string at the name.
    pub txt: Vec<String>,
    /// The key record (the first TXT string that has a p= tag, else the first).
    pub record: Option<KeyRecord>,
}

impl SelectorCheck {
    pub fn found(&self) -> bool {
        self.record.is_some()
    }
}

/// Fetch `selector._domainkey.domain`.
pub async fn check(resolver: &Resolver, domain: &str, selector: &str) -> SelectorCheck {
    let domain = crate::dns::normalize(domain);
    let selector = selector.trim().to_ascii_lowercase();
    let name = format!("{selector}._domainkey.{domain}");
    let ans = resolver.query(&name, RType::Txt).await;
    let txt = ans.txt_strings();
    let pick = txt.iter().find(|t| t.split(';').any(|p| p.trim_start().starts_with("p="))).or(txt.first());
    let record = pick.map(|t| key::parse(t));
    let mut cnames = ans.cnames.clone();
    if cnames.is_empty() && matches!(ans.outcome, Outcome::NxDomain | Outcome::NoData) {
        // A negative answer may come without the CNAME that led to it; ask for the
        // CNAME itself so that a delegation to a provider that has no key yet (the
        // classic Microsoft 365 "DKIM not enabled") is seen as such.
        let c = resolver.query(&name, RType::Cname).await;
        if let Some(crate::dns::Rec::Cname(t)) = c.records.first() {
            cnames.push((name.clone(), crate::dns::normalize(t)));
        }
    }
    let provider = cnames.last().and_then(|(_, t)| provider_of(t));
    SelectorCheck {
        domain,
        selector,
        name,
        outcome: ans.outcome,
        evidence: ans.summary(),
        cnames,
        provider,
        txt,
        record,
    }
}

/// Findings for one selector. `expected`: the selector is known to be in use (given on
/// the command line or named by a signature), so its absence is an error.
pub fn findings(c: &SelectorCheck, expected: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    let subj = c.domain.clone();
    if !c.cnames.is_empty() {
        let target = c.cnames.last().map(|(_, t)| t.clone()).unwrap_or_default();
        let chain: Vec<String> = c.cnames.iter().map(|(a, b)| format!("{a} CNAME {b}")).collect();
        if matches!(c.outcome, Outcome::NxDomain | Outcome::NoData) {
            let mut f = Finding::new(
                "dkim.key-cname-dangling",
                if expected { Severity::Error } else { Severity::Warning },
                format!("{} is delegated to {target}{}, which has no key", c.name, c.provider.map(|p| format!(" ({p})")).unwrap_or_default()),
            )
            .evidences(chain)
            .evidence(c.evidence.clone())
            .subject(subj.clone());
            f = if c.provider == Some("Microsoft 365") {
                f.fix(Fix::setting(format!(
                    "Enable DKIM signing for {} in the Microsoft Defender portal (Email authentication settings > DKIM); Microsoft then publishes the key behind this CNAME.",
                    c.domain
                )))
            } else {
                f.fix(Fix::setting(format!("Finish the DKIM set-up at the provider that owns {target}, or point the CNAME at the target it shows.")))
            };
            out.push(f);
            out.extend(m365_check(c, expected));
            return out;
        }
        let f = Finding::new(
            "dkim.key-cname",
            Severity::Info,
            format!("{} is delegated by CNAME to {target}{}", c.name, c.provider.map(|p| format!(" ({p})")).unwrap_or_default()),
        )
        .evidences(chain)
        .subject(subj.clone());
        out.push(f);
        out.extend(m365_check(c, expected));
    }
    if c.outcome.is_failure() {
        out.push(
            Finding::new("dkim.key-dns-failure", Severity::Unknown, format!("Could not look up the DKIM key {}", c.name))
                .evidence(c.evidence.clone())
                .subject(subj),
        );
        return out;
    }
    let Some(rec) = &c.record else {
        if expected {
            out.push(
                Finding::new("dkim.key-missing", Severity::Error, format!("No DKIM key at {}: signatures with s={} d={} fail", c.name, c.selector, c.domain))
                    .evidence(c.evidence.clone())
                    .fix(Fix::setting(format!(
                        "Publish the public key your mail provider gives you for selector {} as a TXT record at {} (or the CNAME it asks for).",
                        c.selector, c.name
                    )))
                    .subject(subj),
            );
        }
        return out;
    };
    if c.txt.len() > 1 {
        out.push(
            Finding::new("dkim.key-multiple", Severity::Warning, format!("{} has {} TXT records: verifiers may pick the wrong one", c.name, c.txt.len()))
                .evidences(c.txt.iter().map(|t| format!("TXT {t:?}")))
                .fix(Fix::setting(format!("Keep one record per selector: delete all TXT records at {} but the current key.", c.name)))
                .subject(subj.clone()),
        );
    }
    let ok = rec.usable();
    if ok {
        out.push(
            Finding::new("dkim.key-ok", Severity::Ok, format!("DKIM key at {}: {}", c.name, rec.describe()))
                .evidence(c.evidence.clone())
                .subject(subj.clone()),
        );
    }
    for i in &rec.issues {
        let mut f = Finding::new(i.id, i.severity, format!("{}: {}", c.name, i.message)).evidence(format!("TXT {:?}", rec.raw)).subject(subj.clone());
        match i.id {
            "dkim.key-weak" | "dkim.key-1024" => {
                f = f.fix(Fix::setting(format!(
                    "Generate a 2048-bit key, publish it under a new selector, switch signing to it, then remove {}.",
                    c.name
                )))
            }
            "dkim.key-testing" => {
                f = f.fix(Fix::record(c.name.clone(), "TXT", rec.raw.replace("t=y;", "").replace("; t=y", ""), "Replace the record with"))
            }
            id => {
                if let Some(text) = key_issue_fix(id) {
                    f = f.fix(Fix::setting(text));
                }
            }
        }
        out.push(f);
    }
    out
}

/// The fix of a key record problem (docs/findings.md, dkim section).
pub fn key_issue_fix(id: &str) -> Option<&'static str> {
    Some(match id {
        "dkim.key-hash" => "Remove h= or set h=sha256.",
        "dkim.key-service" => "Remove s= or include email (s=email).",
        "dkim.key-syntax" | "dkim.key-invalid" => "Re-publish the key exactly as the signer generated it (one TXT record, its strings joined).",
        "dkim.key-type" => "Use k=rsa or k=ed25519, with a key of that type.",
        "dkim.key-version" => "Start the record with v=DKIM1; (or leave v= out).",
        "dkim.key-revoked" => "Sign with a selector whose key is published, or publish the signer's key here.",
        _ => return None,
    })
}

/// The selectors to try for `domain`: the given ones, else the common ones.
pub fn candidates(given: &[String]) -> Vec<String> {
    if !given.is_empty() {
        return given.iter().map(|s| s.trim().to_ascii_lowercase()).collect();
    }
    COMMON_SELECTORS.iter().map(|(s, _)| s.to_string()).collect()
}

/// The named selectors (in order), then every common selector not already named.
pub fn named_plus_common(named: &[String]) -> Vec<String> {
    let mut out = candidates(named);
    if named.is_empty() {
        return out;
    }
    for (s, _) in COMMON_SELECTORS {
        if !out.iter().any(|x| x == s) {
            out.push(s.to_string());
        }
    }
    out
}

/// Check many selectors of one domain concurrently.
pub async fn probe(resolver: &Resolver, domain: &str, selectors: &[String]) -> Vec<SelectorCheck> {
    futures::future::join_all(selectors.iter().map(|s| check(resolver, domain, s))).await
}
