//! Ranking: which findings explain the rejection, most likely first.
//!
//! A finding is a candidate cause when it is an error or a warning. Its score starts
//! from its severity; the rejection reply (basic code, enhanced code, wording) adds
//! weight to the families it points at: X.1.7/X.1.8 at the address and its domain,
//! X.7.x at authentication and policy, and so on.

use serde::Serialize;

use crate::finding::{Finding, Severity};
use crate::reply::Reply;

/// A ranked probable cause.
#[derive(Debug, Clone, Serialize)]
pub struct Cause {
    pub rank: usize,
    pub score: i32,
    /// Why it ranks where it does.
    pub why: Vec<String>,
    pub finding: Finding,
}

/// Which finding families a reply points at, with a weight and the reason.
pub fn reply_pointers(reply: &Reply) -> Vec<(&'static str, i32, String)> {
    let mut out: Vec<(&'static str, i32, String)> = Vec::new();
    let text = reply.text.to_ascii_lowercase();
    let has = |w: &str| text.contains(w);
    if let Some(e) = reply.enhanced {
        let code = e.to_string();
        match (e.subject, e.detail) {
            (1, 7) | (1, 8) => {
                let why = format!("{code}: the reply blames the sender address or its domain");
                out.push(("address", 40, why.clone()));
                out.push(("domain", 45, why));
            }
            (5, 2) => out.push(("address", 45, format!("{code}: syntax error in the address"))),
            (7, 26) | (7, 509) | (7, 9) => {
                let why = format!("{code}: the receiver's DMARC/authentication check failed");
                out.push(("dmarc", 45, why.clone()));
                out.push(("spf", 35, why.clone()));
                out.push(("dkim", 35, why));
            }
            (7, 23) | (7, 27) => out.push(("spf", 45, format!("{code}: the receiver's SPF check failed"))),
            (7, 25) => out.push(("host", 45, format!("{code}: reverse DNS of the sending IP"))),
            (7, 1) => {
                out.push(("smtp", 20, format!("{code}: delivery not authorised (policy)")));
                out.push(("spf", 10, format!("{code}: delivery not authorised (policy)")));
            }
            (7, _) => {
                out.push(("spf", 10, format!("{code}: security or policy status")));
                out.push(("dmarc", 10, format!("{code}: security or policy status")));
            }
            _ => {}
        }
    }
    if has("domain not found") || has("unknown sender domain") || has("sender domain") || has("nullmx") || has("null mx") {
        out.push(("domain", 30, "the reply mentions the sender's domain".into()));
    }
    if has("fully-qualified") || has("syntax") || has("malformed") {
        out.push(("address", 30, "the reply mentions the address syntax".into()));
    }
    if has("spf") {
        out.push(("spf", 40, "the reply mentions SPF".into()));
    }
    if has("dkim") {
        out.push(("dkim", 40, "the reply mentions DKIM".into()));
    }
    if has("dmarc") || has("unauthenticated") {
        out.push(("dmarc", 40, "the reply mentions DMARC or unauthenticated mail".into()));
    }
    if has("blocked using") || has("listed") || has("blocklist") || has("blacklist") || has("spamhaus") || has("reputation") {
        out.push(("host", 40, "the reply points at the sending host's reputation".into()));
    }
    if has("reverse") || has("ptr") || has("rdns") || has("helo") {
        out.push(("host", 35, "the reply mentions reverse DNS or HELO".into()));
    }
    if has("not owned by user") || has("not logged in") || has("authentication") || has("sendas") {
        out.push(("smtp", 45, "the reply concerns the login and the sender it may use".into()));
    }
    out
}

fn base_score(sev: Severity) -> i32 {
    match sev {
        Severity::Error => 50,
        Severity::Warning => 20,
        _ => 0,
    }
}

/// Split findings into ranked causes, the rest, and what could not be checked.
pub fn rank(findings: Vec<Finding>, reply: Option<&Reply>) -> (Vec<Cause>, Vec<Finding>, Vec<Finding>) {
    let pointers = reply.map(reply_pointers).unwrap_or_default();
    let mut causes = Vec::new();
    let mut rest = Vec::new();
    let mut unchecked = Vec::new();
    for (order, f) in findings.into_iter().enumerate() {
        match f.severity {
            Severity::Error | Severity::Warning => {
                let mut score = base_score(f.severity);
                let mut why = vec![format!("{} finding", f.severity.as_str())];
                let mut best: Option<(i32, &String)> = None;
                for (family, weight, reason) in &pointers {
                    if f.family() == *family && best.is_none_or(|(w, _)| *weight > w) {
                        best = Some((*weight, reason));
                    }
                }
                if let Some((w, reason)) = best {
                    score += w;
                    why.push(reason.clone());
                }
                causes.push((score, order, why, f));
            }
            Severity::Unknown => unchecked.push(f),
            _ => rest.push(f),
        }
    }
    // Highest score first; among equals, the order checks ran in (address, domain, spf, ...).
    causes.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let causes = causes
        .into_iter()
        .enumerate()
        .map(|(i, (score, _, why, finding))| Cause { rank: i + 1, score, why, finding })
        .collect();
    (causes, rest, unchecked)
}
