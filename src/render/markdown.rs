//! Markdown for pasting a diagnosis into a ticket: the top cause with its fix first, then
//! the evidence chain, then the other findings.

use crate::diagnose::{Cause, Diagnosis, Status};
use crate::finding::{Finding, Fix};

fn fix_md(fix: &Fix) -> String {
    match fix {
        Fix::DnsRecord { name, rtype, value, action } => {
            format!("{action}:\n\n```\n{name}. IN {rtype} {}\n```\n", super::text::zone_value(rtype, value))
        }
        Fix::Setting { text } => format!("{text}\n"),
    }
}

fn status(s: Status) -> &'static str {
    match s {
        Status::Confirmed => "confirmed",
        Status::Likely => "likely",
        Status::Reported => "reported by the receiver",
        Status::Unchecked => "could not check",
        Status::Contradicted => "contradicted by the checks",
    }
}

fn evidence(f: &Finding, out: &mut String) {
    for e in &f.evidence {
        out.push_str(&format!("    {e}\n"));
    }
}

fn cause(c: &Cause, out: &mut String) {
    out.push_str(&format!("#### {}. {} (`{}`, {})\n\n", c.rank, c.title, c.id, status(c.status)));
    for w in &c.why {
        out.push_str(&format!("- {w}\n"));
    }
    for a in &c.against {
        out.push_str(&format!("- against: {a}\n"));
    }
    if let Some(d) = c.finding.as_ref().and_then(|f| f.detail.as_deref()) {
        out.push_str(&format!("\n{d}\n"));
    }
    if let Some(fix) = &c.fix {
        out.push_str(&format!("\n**Fix.** {}", fix_md(fix)));
    }
    let mut chain = String::new();
    if let Some(f) = &c.finding {
        evidence(f, &mut chain);
    }
    for r in &c.related {
        evidence(r, &mut chain);
    }
    if !chain.is_empty() {
        out.push_str(&format!("\nEvidence:\n\n{chain}"));
    }
    if let Some(n) = &c.next {
        out.push_str(&format!("\nNext: {n}\n"));
    }
    out.push('\n');
}

/// The whole report as Markdown.
pub fn diagnosis(d: &Diagnosis) -> String {
    let mut out = format!("## mailsleuth diagnose `{}`\n\n", d.sender);
    let mut facts = Vec::new();
    if let Some(ip) = &d.ip {
        facts.push(format!("sending IP `{ip}`"));
    }
    if let Some(h) = &d.helo {
        facts.push(format!("HELO `{h}`"));
    }
    if let Some(r) = &d.recipient {
        facts.push(format!("recipient `{r}`"));
    }
    facts.push(format!("DNS: {}", d.dns_source));
    out.push_str(&format!("{}\n\n", facts.join(" · ")));
    if let Some(r) = &d.reply {
        out.push_str(&format!("Rejection:\n\n```\n{}\n```\n\n", r.raw.trim()));
    }
    for n in &d.notes {
        out.push_str(&format!("- note: {n}\n"));
    }
    if !d.notes.is_empty() {
        out.push('\n');
    }
    if d.causes.is_empty() {
        out.push_str("No probable cause found: nothing checked here explains a rejection of this sender.\n\n");
    } else {
        out.push_str("### Probable causes, most likely first\n\n");
        for c in &d.causes {
            cause(c, &mut out);
        }
    }
    if !d.unchecked.is_empty() {
        out.push_str("### Could not check\n\n");
        for f in &d.unchecked {
            out.push_str(&format!("- {} (`{}`)\n", f.title, f.id));
        }
        out.push('\n');
    }
    if !d.findings.is_empty() {
        out.push_str("### Other findings\n\n| severity | finding | id |\n| --- | --- | --- |\n");
        for f in &d.findings {
            out.push_str(&format!("| {} | {} | `{}` |\n", f.severity.as_str(), f.title.replace('|', "\\|"), f.id));
        }
    }
    out
}
