//! `mailsleuth dmarc DOMAIN --mail-from ADDR --dkim-domain D --ip IP`: alignment
//! explained from identifiers given on the command line, without a message.
//!
//! SPF: with `--ip`, check_host() for the MAIL FROM (or `--spf-domain`) domain decides
//! whether SPF passed; without it SPF is assumed to pass (said so). DKIM d= values given
//! are assumed to verify (said so; `mailsleuth verify` checks real signatures). Each
//! identifier is compared with the From domain in words ([`super::align::align`]) and the
//! DMARC verdict a receiver would reach is given ([`super::evaluate`]).

use std::net::IpAddr;

use serde::Serialize;

use super::align::{self, AlignCheck, DmarcVerdict};
use super::parse::AlignMode;
use super::{policy, DomainReport};
use crate::dns::Resolver;
use crate::spf::verify::{check_host, Query, SpfResult};

/// What the command line says about the message.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The envelope sender; its domain is the SPF identity.
    pub mail_from: Option<String>,
    /// The SPF identity as a domain (instead of `mail_from`).
    pub spf_domain: Option<String>,
    /// d= of DKIM signatures (assumed to verify).
    pub dkim_domains: Vec<String>,
    /// The sending IP: SPF is evaluated for it.
    pub ip: Option<IpAddr>,
    pub helo: Option<String>,
    /// The envelope sender was the null reverse-path `<>`: `mail_from` then holds
    /// postmaster@HELO, the identity SPF checks (RFC 7208 §2.4).
    pub null_sender: bool,
}

impl Inputs {
    pub fn is_empty(&self) -> bool {
        self.mail_from.is_none() && self.spf_domain.is_none() && self.dkim_domains.is_empty()
    }
    /// The SPF identity's domain, normalised.
    pub fn spf_identity(&self) -> Option<String> {
        match (&self.mail_from, &self.spf_domain) {
            (Some(m), _) => m.rsplit_once('@').map(|(_, d)| super::psl::to_ascii(&crate::dns::normalize(d))),
            (None, Some(d)) => Some(super::psl::to_ascii(&crate::dns::normalize(d))),
            _ => None,
        }
    }
}

/// How the SPF side was established.
#[derive(Debug, Clone, Serialize)]
pub struct SpfSide {
    pub domain: String,
    /// check_host()'s result, when --ip was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<SpfResult>,
    pub passed: bool,
    /// "evaluated for 198.51.100.7: `ip4:...` matched" or "assumed to pass (no --ip)".
    pub how: String,
}

/// Alignment, explained.
#[derive(Debug, Clone, Serialize)]
pub struct Alignment {
    pub from_domain: String,
    pub aspf: AlignMode,
    pub adkim: AlignMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spf: Option<SpfSide>,
    /// One per identifier, in words.
    pub checks: Vec<AlignCheck>,
    /// The DMARC verdict with these identifiers (no record: result none).
    pub verdict: DmarcVerdict,
    /// The assumptions made.
    pub notes: Vec<String>,
}

/// Explain alignment of the given identifiers with `report.domain`.
pub async fn explain(resolver: &Resolver, report: &DomainReport, inputs: &Inputs) -> Alignment {
    let from = report.domain.clone();
    let (aspf, adkim) = report.discovery.found().map(|f| (f.record.aspf, f.record.adkim)).unwrap_or((AlignMode::Relaxed, AlignMode::Relaxed));
    let mut notes = Vec::new();
    if inputs.null_sender {
        if let Some(d) = inputs.spf_identity() {
            notes.push(format!("null sender (<>): SPF checks the HELO identity {d}, as postmaster@{d} (RFC 7208 §2.4)"));
        }
    }
    let spf = match (inputs.spf_identity(), inputs.ip) {
        (Some(domain), Some(ip)) => {
            let sender = inputs.mail_from.clone().unwrap_or_else(|| format!("postmaster@{domain}"));
            let mut q = Query::mail_from(ip, &sender, inputs.helo.as_deref().unwrap_or(""));
            q.domain = domain.clone();
            let ev = check_host(resolver, &q).await;
            let how = format!("check_host for {ip}: {} ({})", ev.result, ev.trace.reason);
            Some(SpfSide { domain, result: Some(ev.result), passed: ev.result == SpfResult::Pass, how })
        }
        (Some(domain), None) => {
            notes.push(format!("SPF for {domain} is assumed to pass (give --ip to evaluate it)"));
            Some(SpfSide { domain, result: None, passed: true, how: "assumed to pass (no --ip)".into() })
        }
        _ => None,
    };
    let dkim: Vec<String> = inputs.dkim_domains.iter().map(|d| super::psl::to_ascii(&crate::dns::normalize(d))).collect();
    if !dkim.is_empty() {
        notes.push("DKIM signatures with the d= given are assumed to verify (`mailsleuth verify MESSAGE.eml` checks real ones)".into());
    }
    let mut checks = Vec::new();
    if let Some(s) = &spf {
        checks.push(align::align("spf", &s.domain, s.passed, &from, aspf));
    }
    for d in &dkim {
        checks.push(align::align("dkim", d, true, &from, adkim));
    }
    let from_exists = match report.discovery.found() {
        Some(f) if f.domain != from && f.record.np.is_some() => policy::domain_exists(resolver, &from).await,
        _ => Some(true),
    };
    let spf_arg = spf.as_ref().map(|s| (s.domain.as_str(), s.passed));
    let verdict = super::evaluate(&report.discovery, spf_arg, &dkim, from_exists);
    Alignment { from_domain: from, aspf, adkim, spf, checks, verdict, notes }
}

/// The text block for the terminal.
pub fn render(a: &Alignment) -> Vec<String> {
    let mut out = vec![format!("Alignment with {} (aspf={}, adkim={})", a.from_domain, &a.aspf.as_str()[..1], &a.adkim.as_str()[..1])];
    if let Some(s) = &a.spf {
        out.push(format!("  SPF identity {}: {}", s.domain, s.how));
    }
    for c in &a.checks {
        out.push(format!("  - {}", c.explanation));
    }
    let v = &a.verdict;
    let verdict = match v.result {
        super::DmarcResult::Pass => "DMARC would pass".to_string(),
        super::DmarcResult::Fail => format!(
            "DMARC would fail{}",
            v.policy
                .map(|p| {
                    let w = super::align::weaker(p.disposition);
                    let share = match v.pct {
                        100.. => String::new(),
                        _ if p.disposition == super::parse::Disposition::None => String::new(),
                        0 => format!(" (pct=0: receivers apply {} instead of {} to all failing mail)", w.as_str(), p.disposition.as_str()),
                        n => format!(" (pct={n}: {} for {n}% of failing mail, {} for the other {}%)", p.disposition.as_str(), w.as_str(), 100 - n),
                    };
                    format!(": {}={} applies{share}", p.tag, p.disposition.as_str())
                })
                .unwrap_or_default()
        ),
        other => format!("DMARC: {} ({})", other.as_str(), v.comment),
    };
    out.push(format!("  {verdict}"));
    for n in &a.notes {
        out.push(format!("  ({n})"));
    }
    out
}
