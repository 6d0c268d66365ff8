//! Identifier alignment (RFC 7489 §3.1) and the DMARC verdict, explained in words.
//!
//! [`evaluate`] is pure: give it the discovery result, the SPF result for the MAIL FROM
//! (or HELO) domain and the d= domains of the DKIM signatures that verified.

use serde::Serialize;

use super::parse::{AlignMode, Disposition};
use super::policy::{self, Applied, Discovery, Outcome2, Via};
use super::psl::org_domain;
use crate::finding::{Finding, Fix, Severity};

/// One identifier compared with the From domain.
#[derive(Debug, Clone, Serialize)]
pub struct AlignCheck {
    /// `spf` or `dkim`.
    pub mechanism: &'static str,
    /// The authenticated domain (MAIL FROM domain, or DKIM d=).
    pub domain: String,
    /// The mechanism itself passed.
    pub passed: bool,
    /// Its domain aligns with the From domain under the record's mode.
    pub aligned: bool,
    pub mode: AlignMode,
    pub explanation: String,
}

/// Whether `auth_domain` aligns with `from_domain`, and why, in words.
pub fn align(mechanism: &'static str, auth_domain: &str, passed: bool, from_domain: &str, mode: AlignMode) -> AlignCheck {
    let a = crate::dns::normalize(auth_domain);
    let f = crate::dns::normalize(from_domain);
    let name = if mechanism == "spf" { "SPF" } else { "DKIM" };
    let verb = if passed { "passed" } else { "did not pass" };
    let (oa, of) = (org_domain(&a), org_domain(&f));
    let aligned = match mode {
        AlignMode::Strict => a == f,
        AlignMode::Relaxed => oa == of,
    };
    let tag = if mechanism == "spf" { "aspf" } else { "adkim" };
    let explanation = if a == f {
        format!("{name} {verb} for {a}, the From domain itself (aligned)")
    } else if aligned {
        format!("{name} {verb} for {a}, which is aligned with {f}: same organizational domain {of} ({tag}=r, relaxed)")
    } else if mode == AlignMode::Strict && oa == of {
        format!("{name} {verb} for {a}, which is not aligned with {f}: {tag}=s (strict) needs exactly {f}")
    } else {
        format!("{name} {verb} for {a}, which is not aligned with {f}: organizational domains {oa} ≠ {of}")
    };
    AlignCheck { mechanism, domain: a, passed, aligned, mode, explanation }
}

/// The DMARC result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DmarcResult {
    Pass,
    Fail,
    None,
    PermError,
    TempError,
}

impl DmarcResult {
    pub fn as_str(self) -> &'static str {
        match self {
            DmarcResult::Pass => "pass",
            DmarcResult::Fail => "fail",
            DmarcResult::None => "none",
            DmarcResult::PermError => "permerror",
            DmarcResult::TempError => "temperror",
        }
    }
}

/// The verdict for one From domain.
#[derive(Debug, Clone, Serialize)]
pub struct DmarcVerdict {
    pub result: DmarcResult,
    pub from_domain: String,
    /// The policy that applies to this From domain (on failure).
    pub policy: Option<Applied>,
    /// Where the record was found and how.
    pub record_domain: Option<String>,
    pub via: Option<Via>,
    pub pct: u8,
    /// The record's alignment modes (relaxed when there is no record).
    pub adkim: AlignMode,
    pub aspf: AlignMode,
    pub checks: Vec<AlignCheck>,
    /// A short comment, as receivers put in Authentication-Results.
    pub comment: String,
    pub findings: Vec<Finding>,
}

impl DmarcVerdict {
    /// `dmarc=fail (Used From Domain Record) header.from=x policy.dmarc=reject`.
    pub fn auth_results(&self) -> String {
        let mut s = format!("dmarc={}", self.result.as_str());
        if !self.comment.is_empty() {
            s.push_str(&format!(" ({})", self.comment));
        }
        if self.result != DmarcResult::None || self.policy.is_some() {
            s.push_str(&format!(" header.from={}", if self.from_domain.is_empty() { "none" } else { &self.from_domain }));
            // policy.dmarc is the policy of a retrieved record: without one (temperror,
            // no From domain) there is none to name.
            if self.record_domain.is_some() {
                s.push_str(&format!(" policy.dmarc={}", self.policy.map(|a| a.disposition.as_str()).unwrap_or("none")));
            }
        }
        s
    }
}

/// Evaluate DMARC for the From domain of `discovery`.
///
/// * `spf`: the SPF identity that was checked and whether SPF passed for it
///   (`Some(("bounces.esp.example", true))`); `None` when SPF was not evaluated.
/// * `dkim_passes`: the d= domains of the DKIM signatures that verified.
/// * `from_exists`: whether the From domain exists (for `np=`), if known.
pub fn evaluate(discovery: &Discovery, spf: Option<(&str, bool)>, dkim_passes: &[String], from_exists: Option<bool>) -> DmarcVerdict {
    let from = discovery.from_domain.clone();
    let mut v = DmarcVerdict {
        result: DmarcResult::None,
        from_domain: from.clone(),
        policy: None,
        record_domain: None,
        via: None,
        pct: 100,
        adkim: AlignMode::Relaxed,
        aspf: AlignMode::Relaxed,
        checks: Vec::new(),
        comment: String::new(),
        findings: Vec::new(),
    };
    let found = match &discovery.result {
        Outcome2::Found(f) => f,
        Outcome2::None => {
            v.comment = "no DMARC record".into();
            return v;
        }
        Outcome2::Multiple { domain, records } => {
            v.result = DmarcResult::None;
            v.comment = format!("several DMARC records at _dmarc.{domain}");
            v.findings.push(
                Finding::new("dmarc.multiple-records", Severity::Error, format!("_dmarc.{domain} has {} DMARC records: receivers apply no DMARC", records.len()))
                    .evidences(records.iter().map(|r| format!("TXT {r:?}")))
                    .fix(Fix::setting(format!("Keep exactly one v=DMARC1 TXT record at _dmarc.{domain}.")))
                    .subject(from.clone()),
            );
            return v;
        }
        Outcome2::TempError { name, why } => {
            v.result = DmarcResult::TempError;
            v.comment = format!("DNS failure at {name}");
            v.findings.push(
                Finding::new("dmarc.dns-failure", Severity::Unknown, format!("Could not look up the DMARC record of {from}"))
                    .evidence(why.clone())
                    .subject(from.clone()),
            );
            return v;
        }
    };
    v.record_domain = Some(found.domain.clone());
    v.via = Some(found.via);
    v.pct = found.record.pct_or_default();
    v.adkim = found.record.adkim;
    v.aspf = found.record.aspf;
    v.policy = policy::applicable(found, &from, from_exists);
    if let Some(err) = found.record.syntax_error() {
        v.result = DmarcResult::PermError;
        v.comment = format!("record syntax error: {err}");
        v.findings.push(
            Finding::new("dmarc.permerror", Severity::Error, format!("The DMARC record at _dmarc.{} has a syntax error", found.domain))
                .evidence(format!("TXT {:?}", found.record.raw))
                .evidence(err.to_string())
                .fix(Fix::setting(format!("Fix the record at _dmarc.{}: every part between ';' must be tag=value ({err}).", found.domain)))
                .subject(from.clone()),
        );
        return v;
    }
    if v.policy.is_none() {
        v.comment = "record has no valid p= (or an invalid sp=) and no valid rua=: no DMARC processing (RFC 7489 §6.6.3)".into();
        return v;
    }
    v.comment = found.via.phrase().to_string();
    if let Some((dom, passed)) = spf {
        v.checks.push(align("spf", dom, passed, &from, found.record.aspf));
    }
    for d in dkim_passes {
        v.checks.push(align("dkim", d, true, &from, found.record.adkim));
    }
    let pass = v.checks.iter().any(|c| c.passed && c.aligned);
    v.result = if pass { DmarcResult::Pass } else { DmarcResult::Fail };
    let applied = v.policy.expect("checked above");
    let where_found = format!("_dmarc.{} ({})", found.domain, found.via.words());
    let mut evidence: Vec<String> = vec![format!("record at {where_found}: {}", found.record.raw)];
    evidence.extend(v.checks.iter().map(|c| c.explanation.clone()));
    if spf.is_none() {
        evidence.push("SPF was not evaluated (no sending IP given)".into());
    }
    if dkim_passes.is_empty() {
        evidence.push("no DKIM signature verified".into());
    }
    if pass {
        v.findings.push(
            Finding::new("dmarc.pass", Severity::Ok, format!("DMARC passes for {from}"))
                .evidences(evidence)
                .subject(from.clone()),
        );
    } else {
        // DMARCbis t=y: receivers apply the policy one step weaker.
        let testing = found.record.testing == Some(true);
        let effective = match (testing, applied.disposition) {
            (true, Disposition::Reject) => Disposition::Quarantine,
            (true, _) => Disposition::None,
            (false, d) => d,
        };
        // RFC 7489 §6.3 pct=: failing mail outside the sample gets the next weaker
        // policy (reject -> quarantine, quarantine -> none); pct=0 means all of it.
        // (DMARCbis t=y already lowered the policy; pct is then not applied again.)
        let weaker = weaker(effective);
        let pct = if testing || effective == Disposition::None { 100 } else { v.pct };
        let enforcing = effective != Disposition::None && (pct > 0 || weaker != Disposition::None);
        let sev = if enforcing { Severity::Error } else { Severity::Warning };
        if testing {
            evidence.push(format!("t=y (test mode): DMARCbis receivers apply {} instead of {}", effective.as_str(), applied.disposition.as_str()));
        }
        let effect = match pct {
            100 => effect_of(effective).to_string(),
            0 => format!(
                "pct=0: receivers apply {} instead of {} to all failing mail ({})",
                weaker.as_str(),
                effective.as_str(),
                effect_of(weaker)
            ),
            n => format!(
                "pct={n}: receivers apply {} to {n}% of failing mail and {} to the other {}% ({}; otherwise {})",
                effective.as_str(),
                weaker.as_str(),
                100 - n,
                effect_of(effective),
                effect_of(weaker)
            ),
        };
        if pct < 100 {
            evidence.push("pct= (RFC 7489 §6.3): mail outside the sample gets the next weaker policy (reject -> quarantine, quarantine -> none)".into());
        }
        v.findings.push(
            Finding::new(
                "dmarc.fail",
                sev,
                format!("DMARC fails for {from}: no aligned SPF or DKIM pass, and {}={} applies: {effect}", applied.tag, applied.disposition.as_str()),
            )
            .evidences(evidence)
            .detail("DMARC passes only when SPF passes for a domain aligned with the From domain, or a DKIM signature with an aligned d= verifies.")
            .fix(Fix::setting(format!(
                "Sign with DKIM as {from} (d={from} or a subdomain), or send with a MAIL FROM (return-path) under {} that SPF authorises.",
                org_domain(&from)
            )))
            .subject(from.clone()),
        );
    }
    v
}

/// The next weaker policy (RFC 7489 §6.3, pct=).
pub fn weaker(d: Disposition) -> Disposition {
    match d {
        Disposition::Reject => Disposition::Quarantine,
        _ => Disposition::None,
    }
}

/// What receivers do with failing mail under `d`.
fn effect_of(d: Disposition) -> &'static str {
    match d {
        Disposition::Reject => "receivers reject it (550 5.7.26 at Gmail, 550 5.7.509 at Microsoft, 554 5.7.9 at Yahoo)",
        Disposition::Quarantine => "receivers put it in spam",
        Disposition::None => "receivers deliver it anyway (monitoring only)",
    }
}

/// A verdict for a message whose From domain could not be determined.
pub fn no_from_domain(why: &str) -> DmarcVerdict {
    DmarcVerdict {
        result: DmarcResult::PermError,
        from_domain: String::new(),
        policy: None,
        record_domain: None,
        via: None,
        pct: 100,
        adkim: AlignMode::Relaxed,
        aspf: AlignMode::Relaxed,
        checks: Vec::new(),
        comment: why.to_string(),
        findings: vec![Finding::new("dmarc.from-invalid", Severity::Error, format!("DMARC cannot be evaluated: {why}"))
            .detail("Receivers that enforce DMARC reject messages without exactly one From domain (RFC 7489 §6.6.1).")
            .fix(Fix::setting("Send every message with exactly one From: header holding one address."))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disc(record: &str, found_at: &str, from: &str) -> Discovery {
        use crate::dmarc::policy::{Found, Mode};
        let via = if found_at == from { Via::FromDomain } else { Via::OrgDomain };
        Discovery {
            from_domain: from.into(),
            org_domain: org_domain(from),
            mode: Mode::Rfc7489,
            lookups: vec![],
            result: Outcome2::Found(Found { domain: found_at.into(), via, record: crate::dmarc::parse::parse(record).unwrap() }),
        }
    }

    fn sev(v: &DmarcVerdict) -> Severity {
        v.findings[0].severity
    }

    #[test]
    fn verdicts_and_severities() {
        let v = evaluate(&disc("v=DMARC1; p=none", "a.example", "a.example"), Some(("b.example", true)), &[], Some(true));
        assert_eq!((v.result, sev(&v)), (DmarcResult::Fail, Severity::Warning));
        let v = evaluate(&disc("v=DMARC1; p=reject; t=y", "a.example", "a.example"), None, &[], Some(true));
        assert_eq!(sev(&v), Severity::Error);
        assert!(v.findings[0].title.contains("spam"), "{}", v.findings[0].title);
        let v = evaluate(&disc("v=DMARC1; p=quarantine; pct=0", "a.example", "a.example"), None, &[], Some(true));
        assert_eq!(sev(&v), Severity::Warning);
        let v = evaluate(&disc("v=DMARC1; p=reject; sp=none", "a.example", "x.a.example"), None, &[], Some(true));
        assert_eq!(v.policy.unwrap().tag, "sp");
        assert_eq!(v.auth_results(), "dmarc=fail (Used Org Domain Record) header.from=x.a.example policy.dmarc=none");
        let v = evaluate(&disc("v=DMARC1; p=reject; bogus", "a.example", "a.example"), None, &["a.example".into()], Some(true));
        assert_eq!(v.result, DmarcResult::PermError);
        let v = evaluate(&disc("v=DMARC1; sp=reject", "a.example", "a.example"), None, &[], Some(true));
        assert_eq!((v.result, v.policy), (DmarcResult::None, None));
        let v = evaluate(&disc("v=DMARC1; rua=mailto:r@a.example", "a.example", "a.example"), None, &[], Some(true));
        assert_eq!(v.policy.unwrap().disposition, Disposition::None);
        let v = evaluate(&disc("v=DMARC1; p=reject; aspf=s", "a.example", "a.example"), Some(("mail.a.example", true)), &[], Some(true));
        assert_eq!(v.result, DmarcResult::Fail);
        let v = evaluate(&disc("v=DMARC1; p=reject", "a.example", "a.example"), Some(("mail.a.example", false)), &[], Some(true));
        assert_eq!(v.result, DmarcResult::Fail, "an aligned SPF fail does not count");
    }

    #[test]
    fn explanations() {
        let c = align("spf", "bounces.esp.example", true, "shop.example", AlignMode::Relaxed);
        assert!(!c.aligned);
        assert_eq!(
            c.explanation,
            "SPF passed for bounces.esp.example, which is not aligned with shop.example: organizational domains esp.example ≠ shop.example"
        );
        let c = align("dkim", "mail.shop.example", true, "shop.example", AlignMode::Relaxed);
        assert!(c.aligned);
        let c = align("dkim", "mail.shop.example", true, "shop.example", AlignMode::Strict);
        assert!(!c.aligned && c.explanation.contains("strict"));
    }
}
