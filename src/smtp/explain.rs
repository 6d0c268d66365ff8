//! What a session's outcome means: findings `smtp.*` (docs/findings.md). Decisions live
//! here; renderers only show them.

use super::probe::{Run, Verdict};
use super::stage::Stage;
use super::target::TargetError;
use crate::finding::{Finding, Fix, Severity};
use crate::reply::Reply;

/// What a rejection reply says, independent of where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    LoginNotOwner,
    NotLoggedIn,
    AuthFailed,
    NonFqdnSender,
    SenderDomainUnknown,
    SenderNullMx,
    UnverifiedSender,
    SpfFail,
    SenderAccess,
}

impl Cause {
    /// Causes about the sender address (as opposed to the login).
    pub fn about_sender(self) -> bool {
        !matches!(self, Cause::AuthFailed)
    }
}

/// Classify a reply by its codes and wording. `stage` is None when unknown (a pasted reply).
pub fn classify(reply: &Reply, stage: Option<Stage>) -> Option<Cause> {
    let t = reply.text.to_ascii_lowercase();
    let en = reply.enhanced.map(|e| (e.subject, e.detail));
    let sender_words = t.contains("sender address rejected") || t.contains("sender rejected") || t.contains("mail from");
    if t.contains("not owned by user") || t.contains("sender login mismatch") {
        return Some(Cause::LoginNotOwner);
    }
    if t.contains("not logged in") {
        return Some(Cause::NotLoggedIn);
    }
    if stage == Some(Stage::Auth) || t.contains("authentication failed") || (reply.code == Some(535)) {
        return Some(Cause::AuthFailed);
    }
    if t.contains("fully-qualified") || t.contains("fully qualified") || (en == Some((5, 2)) && sender_words) {
        return Some(Cause::NonFqdnSender);
    }
    if en == Some((7, 27)) || t.contains("nullmx") || t.contains("null mx") || t.contains("does not accept mail") {
        return Some(Cause::SenderNullMx);
    }
    if t.contains("unverified address") || t.contains("undeliverable address") || t.contains("sender verify") || t.contains("verification failed") || t.contains("address verification") {
        return Some(Cause::UnverifiedSender);
    }
    if t.contains("spf") || en == Some((7, 23)) {
        return Some(Cause::SpfFail);
    }
    if en == Some((1, 8)) || (sender_words && (t.contains("domain not found") || t.contains("unknown sender domain") || t.contains("domain does not exist"))) {
        return Some(Cause::SenderDomainUnknown);
    }
    if sender_words || en == Some((1, 7)) || stage == Some(Stage::MailFrom) && reply.code.is_some_and(|c| c >= 500) {
        return Some(Cause::SenderAccess);
    }
    None
}

fn sev(reply: &Reply) -> Severity {
    if reply.is_transient() { Severity::Warning } else { Severity::Error }
}

fn quote(reply: &Reply) -> String {
    reply.raw.lines().collect::<Vec<_>>().join(" / ")
}

/// "host mx2.verify.test[127.0.0.2] said: 550 5.1.1 ..." inside a verification reply.
fn embedded_said(text: &str) -> Option<String> {
    let i = text.find(" said: ")?;
    let host = text[..i].rsplit(": ").next().unwrap_or("").trim();
    let host = host.strip_prefix("host ").unwrap_or(host);
    Some(format!("{host} answered the receiver's callout: {}", text[i + 7..].trim()))
}

/// The finding for a classified rejection.
pub fn cause_finding(cause: Cause, reply: &Reply, subject: &str) -> Finding {
    let s = sev(reply);
    let ev = format!("reply: {}", quote(reply));
    let f = match cause {
        Cause::LoginNotOwner => {
            let user = reply.text.split("not owned by user").nth(1).map(|u| u.trim().trim_end_matches('.').to_string()).unwrap_or_default();
            Finding::new("smtp.login-not-owner", Severity::Error, format!("The login {} may not send as this address", if user.is_empty() { "used".into() } else { user }))
                .detail("The server maps sender addresses to the logins that own them (Postfix reject_sender_login_mismatch with smtpd_sender_login_maps, or an ESP's verified identities); this login does not own the MAIL FROM address.")
                .fix(Fix::setting("send as an address the login owns, or authorise it (smtpd_sender_login_maps / verified sender identity at the ESP)"))
        }
        Cause::NotLoggedIn => Finding::new("smtp.not-logged-in", Severity::Error, "This sender address may only be used after logging in (AUTH)")
            .detail("The address is owned by a login (Postfix smtpd_sender_login_maps), and the session did not authenticate.")
            .fix(Fix::setting("authenticate (AUTH, on the submission port 587 or 465) as the login that owns this address before MAIL FROM")),
        Cause::AuthFailed => Finding::new("smtp.auth-failed", Severity::Error, "Authentication failed: the server refused the user name or password")
            .fix(Fix::setting("check the user name (often the full address) and the password or app password; some providers require an app password or OAuth2 (XOAUTH2)")),
        Cause::NonFqdnSender => Finding::new("smtp.non-fqdn-sender", Severity::Error, "The sender address is not fully qualified (no domain, or a domain without a dot)")
            .detail("Postfix reject_non_fqdn_sender: MAIL FROM must be user@domain.tld.")
            .fix(Fix::setting("use a complete sender address such as user@example.com (set myorigin / the client's From address)")),
        Cause::SenderDomainUnknown => Finding::new("smtp.sender-domain-unknown", s, "The receiver cannot find the sender's domain in DNS (no MX, A or AAAA record)")
            .detail("Postfix reject_unknown_sender_domain: the domain must resolve to a mail host so that bounces can be delivered.")
            .fix(Fix::setting("publish an MX record (or at least an A/AAAA record) for the sender domain, or use a domain that has one")),
        Cause::SenderNullMx => Finding::new("smtp.sender-null-mx", Severity::Error, "The sender's domain publishes a null MX: it declares it never receives mail, so it may not send either")
            .detail("RFC 7505 §4.2: a receiver may reject mail from a domain with a null MX, because bounces cannot be returned.")
            .fix(Fix::setting("replace the null MX (MX 0 .) with real MX records, or send from a domain that receives mail")),
        Cause::UnverifiedSender => {
            let mut f = Finding::new("smtp.unverified-sender", s, "The receiver verified the sender address with a callout to the sender's own MX, and it failed")
                .detail("Postfix reject_unverified_sender / Exim verify = sender/callout: the receiver connects to the sender domain's MX and asks MAIL FROM:<> + RCPT TO:<sender>. A rejection or no answer there means the sender is refused here.")
                .fix(Fix::setting("make the sender address exist and accept mail at its domain's MX (including from the null sender <>), or send from an address that does"));
            if let Some(said) = embedded_said(&reply.text) {
                f = f.evidence(said);
            }
            f
        }
        Cause::SpfFail => Finding::new("smtp.spf-fail", s, "The receiver's SPF check failed for the sending IP")
            .detail("The receiver's SPF policy service (e.g. postfix-policyd-spf) found the sending IP not authorised by the sender domain's SPF record.")
            .fix(Fix::setting("authorise the sending IP (or your provider's include:) in the sender domain's SPF record; see the spf findings for the exact record")),
        Cause::SenderAccess => Finding::new("smtp.sender-access-denied", s, "The receiver refuses this sender address by its own policy (access list)")
            .detail("A local rule (Postfix check_sender_access, a blocklist of addresses or domains) rejects the sender; DNS on the sender's side cannot change it.")
            .fix(Fix::setting("ask the receiver's postmaster to remove the block, or send from another address")),
    };
    f.evidence(ev).subject(subject)
}

/// Wording notes: where a sender problem shows up under another name.
fn stage_notes(cause: Option<Cause>, stage: Stage, reply: &Reply, subject: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let t = reply.text.to_ascii_lowercase();
    let about_sender = cause.is_some_and(Cause::about_sender);
    if stage == Stage::RcptTo && about_sender && t.contains("sender address rejected") {
        out.push(
            Finding::new("smtp.sender-rejected-at-rcpt", Severity::Info, "The sender was rejected in reply to RCPT TO, not MAIL FROM")
                .detail("Postfix evaluates sender restrictions when the recipient is known (smtpd_delay_reject = yes, the default), so a sender problem is answered at RCPT TO. The recipient is not the problem.")
                .evidence(format!("reply at RCPT TO: {}", quote(reply)))
                .subject(subject),
        );
    }
    if t.contains("recipient address rejected") && !t.contains("sender address rejected") && about_sender {
        out.push(
            Finding::new("smtp.sender-worded-as-recipient", Severity::Info, "\"Recipient address rejected\" here is about the sender")
                .detail("A policy service (e.g. postfix-policyd-spf, called from smtpd_recipient_restrictions) checks the sender but Postfix words every rejection at that point as a recipient rejection.")
                .evidence(format!("reply: {}", quote(reply)))
                .subject(subject),
        );
    }
    out
}

/// Findings for a rejection reply seen at `stage` (None: a reply pasted by the user).
pub fn reply_findings(reply: &Reply, stage: Option<Stage>, subject: &str) -> (Option<Cause>, Vec<Finding>) {
    let cause = classify(reply, stage);
    let mut out = Vec::new();
    if let Some(c) = cause {
        out.push(cause_finding(c, reply, subject));
    }
    if let Some(st) = stage {
        out.extend(stage_notes(cause, st, reply, subject));
    }
    (cause, out)
}

/// Findings for a whole probe run.
pub fn run_findings(run: &Run, subject: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(e) = &run.resolution.error {
        // A --server that does not resolve means the probe could not run; a recipient
        // domain without a usable MX (null MX, NXDOMAIN, no address) is an answer.
        let (id, severity) = match e {
            TargetError::Dns { .. } => ("smtp.unreachable", Severity::Unknown),
            _ if run.resolution.source == "server" => ("smtp.unreachable", Severity::Unknown),
            _ => ("smtp.no-mail-host", Severity::Error),
        };
        let mut f = Finding::new(id, severity, format!("No server to probe: {e}")).evidences(run.resolution.evidence.clone()).subject(run.resolution.query.clone());
        if let Some(text) = failure_fix(id) {
            f = f.fix(Fix::setting(text));
        }
        out.push(f);
        return out;
    }
    for a in &run.attempts {
        if let Some(tls) = &a.tls {
            let where_ = format!("{} ({})", a.target.host, a.target.addr);
            let ev = vec![
                format!("{where_}: {} {}", tls.version, tls.cipher),
                format!("certificate subject {} issuer {}, names [{}], valid until {}", tls.subject, tls.issuer, tls.dns_names.join(", "), tls.not_after),
            ];
            if tls.trusted && !tls.expired {
                out.push(Finding::new("smtp.tls-ok", Severity::Ok, format!("TLS certificate of {} is trusted and names the host", a.target.host)).evidences(ev));
            } else {
                let why = tls.trust_error.clone().unwrap_or_else(|| "expired".into());
                let mut f = Finding::new("smtp.tls-untrusted", Severity::Warning, format!("TLS certificate of {} is not trusted: {why}", a.target.host))
                    .evidences(ev)
                    .fix(Fix::setting("install a certificate from a public CA (e.g. Let's Encrypt) that names the host, with the full chain"));
                if tls.self_signed {
                    f = f.detail("The certificate is self-signed. Opportunistic STARTTLS between MTAs still works, but MTA-STS/DANE senders and submission clients refuse it.");
                }
                if !tls.hostname_match {
                    f = f.evidence(format!("the certificate does not name {}", tls.server_name));
                }
                out.push(f);
            }
        }
    }
    let Some(a) = run.decisive() else { return out };
    match &a.verdict {
        Verdict::Accepted { after } => {
            out.push(Finding::new("smtp.accepted", Severity::Ok, format!("{} accepted the session up to {after}", a.target.host)).evidence(format!("{} at {}", a.target.host, a.target.addr)).subject(subject));
        }
        Verdict::Rejected { stage, parsed, .. } => {
            let (cause, mut specific) = reply_findings(parsed, Some(*stage), subject);
            let title = format!("{} rejected at {stage}: {}", a.target.host, quote(parsed));
            let general = if cause.is_some() { Severity::Info } else { sev(parsed) };
            out.push(Finding::new("smtp.rejected", general, title).evidence(format!("{} at {}", a.target.host, a.target.addr)).subject(subject));
            out.append(&mut specific);
        }
        Verdict::Failed { stage, error, failure } => {
            let (id, severity) = match &failure.kind {
                super::client::FailKind::Untrusted { .. } => ("smtp.tls-refused", Severity::Error),
                super::client::FailKind::Unsupported { .. } if *stage == Stage::Starttls => ("smtp.starttls-missing", Severity::Error),
                super::client::FailKind::Unsupported { .. } if *stage == Stage::Auth => ("smtp.auth-failed", Severity::Error),
                _ => ("smtp.unreachable", Severity::Unknown),
            };
            let mut f = Finding::new(id, severity, format!("The session stopped at {stage}: {error}")).subject(subject);
            if let Some(text) = failure_fix(id) {
                f = f.fix(Fix::setting(text));
            }
            for other in &run.attempts {
                f = f.evidence(format!("{} {}: {}", other.target.host, other.target.addr, super::probe::describe(&other.verdict)));
            }
            out.push(f);
        }
    }
    out
}

/// The fix of a session that could not complete (docs/findings.md, smtp section).
fn failure_fix(id: &str) -> Option<&'static str> {
    Some(match id {
        "smtp.unreachable" => "Check the host and port, firewalls, and the deadlines (--connect-timeout, --deadline).",
        "smtp.starttls-missing" => "Enable STARTTLS on the server, or probe with --tls auto or --tls none.",
        "smtp.tls-refused" => "Fix the certificate, or rerun with --tls-insecure (or --tls none) to see what comes after.",
        "smtp.no-mail-host" => "Probe another recipient, or fix the recipient domain's MX.",
        _ => return None,
    })
}

/// Findings for a sender-verify callout to the sender domain's MX.
pub fn callout_findings(run: &Run, sender: &str) -> Vec<Finding> {
    let subject = sender.rsplit_once('@').map(|(_, d)| d).unwrap_or(sender).to_string();
    if let Some(e) = &run.resolution.error {
        let f = match e {
            TargetError::Dns { .. } => Finding::new("smtp.callout-unreachable", Severity::Unknown, format!("Could not run the sender callout: {e}"))
                .fix(Fix::setting("check the sender domain's DNS servers (the MX lookup failed) and retry")),
            _ => Finding::new("smtp.callout-no-mx", Severity::Error, format!("Sender verification cannot succeed: {e}"))
                .fix(Fix::setting("publish MX records for the sender domain that accept mail for the sender address")),
        };
        return vec![f.evidences(run.resolution.evidence.clone()).subject(subject)];
    }
    let Some(a) = run.decisive() else { return vec![] };
    let where_ = format!("{} ({})", a.target.host, a.target.addr);
    let f = match &a.verdict {
        Verdict::Accepted { .. } => Finding::new("smtp.callout-ok", Severity::Ok, format!("The sender's MX {where_} accepts <{sender}> from the null sender: a verification callout succeeds now")),
        Verdict::Rejected { stage: Stage::MailFrom, parsed, .. } => Finding::new("smtp.callout-null-sender-rejected", Severity::Error, format!("The sender's MX {where_} refuses the null sender MAIL FROM:<>"))
            .detail("Sender verification, bounces and DSNs all use the null reverse-path; RFC 5321 §4.5.5 requires accepting it.")
            .evidence(format!("reply: {}", quote(parsed)))
            .fix(Fix::setting("accept MAIL FROM:<> at the sender domain's MX hosts")),
        Verdict::Rejected { stage, parsed, .. } => Finding::new("smtp.callout-rejected", sev(parsed), format!("The sender's own MX {where_} rejects <{sender}> at {stage}: receivers that verify senders refuse it"))
            .evidence(format!("reply: {}", quote(parsed)))
            .fix(Fix::setting("create the mailbox or alias for the sender address at its domain's mail server (or send from an address that exists)")),
        Verdict::Failed { error, .. } => Finding::new("smtp.callout-unreachable", Severity::Unknown, format!("The sender callout to {where_} could not complete: {error}"))
            .detail("A receiver's callout that cannot connect is treated as a temporary failure (450 4.1.7 'unverified address').")
            .fix(Fix::setting("make the sender domain's MX hosts reachable on port 25 and answer promptly")),
    };
    vec![f.evidence(format!("callout: MAIL FROM:<> RCPT TO:<{sender}> at {where_}")).subject(subject)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::parse;

    #[test]
    fn postfix_texts() {
        let c = |s: &str, st| classify(&parse(s), st);
        assert_eq!(c("553 5.7.1 <bob@example.test>: Sender address rejected: not owned by user alice@example.test", Some(Stage::RcptTo)), Some(Cause::LoginNotOwner));
        assert_eq!(c("553 5.7.1 <bob@example.test>: Sender address rejected: not logged in", Some(Stage::RcptTo)), Some(Cause::NotLoggedIn));
        assert_eq!(c("535 5.7.8 Error: authentication failed: authentication failure", Some(Stage::Auth)), Some(Cause::AuthFailed));
        assert_eq!(c("504 5.5.2 <user@nodots>: Sender address rejected: need fully-qualified address", Some(Stage::RcptTo)), Some(Cause::NonFqdnSender));
        assert_eq!(c("450 4.1.8 <user@nx.test>: Sender address rejected: Domain not found", Some(Stage::RcptTo)), Some(Cause::SenderDomainUnknown));
        assert_eq!(c("550 5.7.27 <user@nullmx.test>: Sender address rejected: Domain nullmx.test does not accept mail (nullMX)", None), Some(Cause::SenderNullMx));
        assert_eq!(c("553 5.1.7 <blocked@example.test>: Sender address rejected: Sender address rejected", Some(Stage::MailFrom)), Some(Cause::SenderAccess));
        assert_eq!(c("450 4.1.7 <nobody@verify.test>: Sender address rejected: unverified address: host mx2.verify.test[127.0.0.2] said: 550 5.1.1 <nobody@verify.test>: Recipient address rejected: User unknown (in reply to RCPT TO command)", None), Some(Cause::UnverifiedSender));
        assert_eq!(c("550 5.7.23 <postmaster@example.test>: Recipient address rejected: Message rejected due to: SPF fail - not authorized.", Some(Stage::RcptTo)), Some(Cause::SpfFail));
        assert_eq!(c("550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown", Some(Stage::RcptTo)), None);
    }

    #[test]
    fn notes() {
        let r = parse("550 5.7.23 <postmaster@example.test>: Recipient address rejected: Message rejected due to: SPF fail - not authorized.");
        let (_, f) = reply_findings(&r, Some(Stage::RcptTo), "spffail.test");
        assert!(f.iter().any(|f| f.id == "smtp.sender-worded-as-recipient"));
        let r = parse("450 4.1.7 <n@verify.test>: Sender address rejected: unverified address: host mx2.verify.test[127.0.0.2] said: 550 5.1.1 nope");
        let (_, f) = reply_findings(&r, Some(Stage::RcptTo), "verify.test");
        assert!(f.iter().any(|f| f.id == "smtp.sender-rejected-at-rcpt"));
        assert!(f[0].evidence.iter().any(|e| e.starts_with("mx2.verify.test[127.0.0.2] answered")), "{:?}", f[0].evidence);
    }
}
