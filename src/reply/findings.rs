//! Findings that state what a reply (or a bounce's diagnostic) says. They restate the
//! receiver's verdict; the checks of the other modules confirm or refute it, so these
//! are `info`, never ranked as causes on their own. Ids: docs/findings.md, reply section.

use crate::finding::{Finding, Fix, Severity};

use super::cause::Cause;
use super::explain::{Explanation, Permanence};

/// The findings for one explanation (at most two).
pub fn findings(x: &Explanation) -> Vec<Finding> {
    let mut out = Vec::new();
    let codes: Vec<String> = [x.reply.code.map(|c| c.to_string()), x.reply.enhanced.map(|e| e.to_string())].into_iter().flatten().collect();
    let evidence = format!("{} {}", codes.join(" "), super::parse::bounded(&x.reply.text, 300)).trim().to_string();
    if x.reply.code.is_none() && x.reply.enhanced.is_none() {
        out.push(
            Finding::new("reply.no-code", Severity::Info, "The text carries no SMTP reply code")
                .evidence(super::parse::bounded(&x.reply.raw, 300).to_string())
                .detail("Neither a basic code (RFC 5321) nor an enhanced status code (RFC 3463) was found; the cause comes from the wording alone."),
        );
    }
    let id = format!("reply.cause.{}", x.cause.as_str());
    let mut f = Finding::new(&id, Severity::Info, format!("The receiver says: {}", x.cause_summary)).evidence(evidence);
    let mut detail = Vec::new();
    if let Some(v) = x.vendor {
        detail.push(format!("answered by {v}"));
    }
    if let Some(s) = x.stage {
        detail.push(format!("at {}", s.as_str()));
    }
    detail.push(match x.permanence {
        Permanence::Permanent => "permanent: the sending MTA will not retry".to_string(),
        Permanence::Transient => "transient: the sending MTA retries".to_string(),
        Permanence::Success => "success".to_string(),
        Permanence::Unknown => "no class".to_string(),
    });
    if let Some(d) = &x.code_disagreement {
        detail.push(d.clone());
    }
    let mut detail = detail.join("; ");
    if let Some(n) = x.note {
        detail = format!("{detail}. {n}");
    }
    f = f.detail(detail);
    if x.cause == Cause::NotSenderProblem {
        f = f.fix(Fix::setting("Nothing to fix on the sender side: check the recipient address or ask the recipient to free or enable the mailbox."));
    } else if let Some(cmd) = x.next_commands.get(1).or(x.next_commands.first()) {
        f = f.fix(Fix::setting(format!("Confirm with: {cmd}")));
    } else if let Some(text) = fix_without_command(x.cause) {
        f = f.fix(Fix::setting(text));
    }
    out.push(f);
    out
}

/// The fix docs/findings.md gives for the causes that have no mailsleuth command to
/// confirm them (what is sent, how much, or a reply that says nothing).
fn fix_without_command(cause: Cause) -> Option<&'static str> {
    match cause {
        Cause::RateLimit => Some("Slow down; the MTA retries transient refusals (spread the volume, warm up a new IP)."),
        Cause::Content => Some("Fix the headers (RFC 5322) or the content the receiver refused."),
        Cause::Unknown => Some("Run `mailsleuth diagnose SENDER --ip IP --reply '...'` with the reply to find which check fails."),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_cause() {
        let f = findings(&super::super::explain("550 5.7.23 SPF validation failed"));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].id, "reply.cause.spf");
        assert_eq!(f[0].family(), "reply");
        let f = findings(&super::super::explain("Sender address rejected"));
        assert_eq!(f[0].id, "reply.no-code");
    }
}
