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
            return out;
        }
        let mut f = Finding::new(
            "dkim.key-cname",
            Severity::Info,
            format!("{} is delegated by CNAME to {target}{}", c.name, c.provider.map(|p| format!(" ({p})")).unwrap_or_default()),
        )
        .evidences(chain)
        .subject(subj.clone());
        if c.provider == Some("Microsoft 365") {
            let want = m365_expected_prefix(&c.selector, &c.domain);
            if !target.starts_with(&want) {
                f = f.evidence(format!("Microsoft 365 targets usually start with {want}; this one does not (copied from another domain?)"));
            }
        }
        out.push(f);
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
            _ => {}
        }
        out.push(f);
    }
    out
}

/// The selectors to try for `domain`: the given ones, else the common ones.
pub fn candidates(given: &[String]) -> Vec<String> {
    if !given.is_empty() {
        return given.iter().map(|s| s.trim().to_ascii_lowercase()).collect();
    }
    COMMON_SELECTORS.iter().map(|(s, _)| s.to_string()).collect()
}

/// Check many selectors of one domain concurrently.
pub async fn probe(resolver: &Resolver, domain: &str, selectors: &[String]) -> Vec<SelectorCheck> {
    futures::future::join_all(selectors.iter().map(|s| check(resolver, domain, s))).await
}
