//! The cause model: a fixed taxonomy of why a sender is rejected. For each cause, the
//! findings that confirm it, the findings that rule it out, the rejection categories
//! (from the reply's codes and wording) that point at it, the input that decides it
//! when nothing was checked, and the fix when no finding carries one.
//!
//! Documented in docs/causes.md; the scenario suite (tests/scenarios) covers every cause.

use crate::reply::cause::Cause as Said;

/// One cause of the taxonomy.
#[derive(Debug)]
pub struct CauseDef {
    /// Stable id, e.g. `spf-fail`.
    pub id: &'static str,
    pub title: &'static str,
    /// Finding ids that confirm it (a trailing `*` matches a prefix).
    pub confirms: &'static [&'static str],
    /// Finding ids whose presence rules it out.
    pub rules_out: &'static [&'static str],
    /// Reply categories that name this cause.
    pub said_strong: &'static [Said],
    /// Reply categories that are compatible with it (a generic "authentication failed").
    pub said_weak: &'static [Said],
    /// The input that lets mailsleuth check it, when missing.
    pub needs: &'static str,
    /// The fix, when no finding carries a concrete one.
    pub fix: &'static str,
}

/// Does finding id `id` match pattern `p` (exact, or prefix with a trailing `*`)?
pub fn matches(p: &str, id: &str) -> bool {
    match p.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => p == id,
    }
}

pub const CAUSES: &[CauseDef] = &[
    CauseDef {
        id: "address-syntax",
        title: "The sender address is malformed",
        confirms: &["address.syntax", "address.literal", "address.smtputf8"],
        rules_out: &["address.ok"],
        said_strong: &[Said::AddressSyntax],
        said_weak: &[],
        needs: "the exact sender address",
        fix: "Send from a valid local-part@domain address (RFC 5321).",
    },
    CauseDef {
        id: "non-fqdn",
        title: "The sender domain is not fully qualified",
        confirms: &["address.non-fqdn", "smtp.non-fqdn-sender"],
        rules_out: &["address.ok"],
        said_strong: &[],
        said_weak: &[Said::AddressSyntax],
        needs: "the exact sender address",
        fix: "Use the full domain in the sender address (set the application's sender domain or Postfix myorigin).",
    },
    CauseDef {
        id: "domain-missing",
        title: "The sender domain does not exist or has no mail host",
        confirms: &["domain.nxdomain", "domain.no-mail-host", "domain.mx-unresolvable", "smtp.sender-domain-unknown"],
        rules_out: &["domain.ok", "domain.implicit-mx"],
        said_strong: &[Said::UnknownSenderDomain],
        said_weak: &[Said::SenderVerifyFailed],
        needs: "the sender address",
        fix: "Publish an MX record (and the host's address) for the sender domain, or send from a domain that receives mail.",
    },
    CauseDef {
        id: "null-mx",
        title: "The sender domain publishes a null MX",
        confirms: &["domain.null-mx", "smtp.sender-null-mx"],
        rules_out: &["domain.ok", "domain.implicit-mx"],
        said_strong: &[Said::NullMx],
        said_weak: &[Said::UnknownSenderDomain],
        needs: "the sender address",
        fix: "Replace the null MX with the host that receives the domain's mail, or send from another domain.",
    },
    CauseDef {
        id: "spf-fail",
        title: "SPF does not authorise the sending IP for the envelope sender's domain",
        confirms: &["spf.fail", "spf.softfail", "spf.neutral", "spf.helo-fail", "spf.helo-softfail", "spf.helo-neutral", "smtp.spf-fail"],
        rules_out: &["spf.pass"],
        said_strong: &[Said::Spf],
        said_weak: &[Said::Authentication, Said::Dmarc, Said::Policy],
        needs: "--ip (the sending IP) so the SPF record can be evaluated",
        fix: "Add the sending service to the domain's SPF record (its include: or the IP).",
    },
    CauseDef {
        id: "spf-error",
        title: "The SPF record is broken (permerror)",
        confirms: &[
            "spf.permerror", "spf.multiple", "spf.syntax", "spf.lookup-limit", "spf.void-lookups", "spf.loop", "spf.helo-permerror",
            "spf.include-none", "spf.include-permerror",
        ],
        // An evaluation that reaches a result, or a record tree that parses, is not broken.
        rules_out: &["spf.pass", "spf.fail", "spf.softfail", "spf.neutral", "spf.record"],
        said_strong: &[Said::Spf],
        said_weak: &[Said::Authentication, Said::Dmarc],
        needs: "the sender address",
        fix: "Fix the SPF record so that it evaluates (one record, at most 10 DNS-lookup terms).",
    },
    CauseDef {
        id: "spf-temperror",
        title: "SPF evaluation hits a DNS failure (temperror): receivers defer or refuse the mail",
        // Findings of "could not check" severity: evidence only while the resolver otherwise
        // answers (rank::TEMPORARY), so that an unreachable resolver is not blamed on the domain.
        confirms: &["spf.temperror", "spf.helo-temperror"],
        rules_out: &["spf.pass", "spf.fail", "spf.softfail", "spf.neutral"],
        said_strong: &[],
        said_weak: &[Said::Spf, Said::Dmarc, Said::Authentication],
        needs: "--ip (the sending IP) so the SPF record can be evaluated",
        fix: "Make the name servers behind the SPF record answer (the failing query is in the evidence): every name the record includes must resolve without SERVFAIL or timeout.",
    },
    CauseDef {
        id: "auth-missing",
        title: "The domain publishes no SPF or DMARC record: receivers that require authentication refuse it",
        confirms: &["spf.none", "dmarc.none"],
        rules_out: &["spf.pass"],
        said_strong: &[],
        said_weak: &[Said::Spf, Said::Authentication],
        needs: "the sender address",
        fix: "Publish an SPF record that lists every service sending for the domain.",
    },
    CauseDef {
        id: "dkim-fail",
        title: "No valid DKIM signature (absent, failing, or its key is broken)",
        confirms: &[
            "dkim.body-hash-mismatch", "dkim.signature-mismatch", "dkim.signature-expired", "dkim.signature-malformed",
            "dkim.key-missing", "dkim.key-revoked", "dkim.key-invalid", "dkim.key-syntax", "dkim.key-weak", "dkim.unsupported-algorithm",
            "dkim.no-signature", "dkim.key-cname-dangling",
        ],
        rules_out: &["dkim.pass"],
        said_strong: &[Said::Dkim],
        said_weak: &[Said::Authentication, Said::Dmarc],
        needs: "the message (mailsleuth verify MESSAGE.eml) or the DKIM selector",
        fix: "Sign with DKIM for the From domain and publish the selector's public key.",
    },
    CauseDef {
        id: "dmarc-fail",
        title: "DMARC: the From domain's policy rejects, and neither SPF nor DKIM passed aligned",
        confirms: &["dmarc.fail", "dmarc.permerror"],
        rules_out: &["dmarc.pass"],
        said_strong: &[Said::Dmarc],
        said_weak: &[Said::Authentication, Said::Spf, Said::Dkim],
        needs: "--ip (and the message, for DKIM) to evaluate alignment",
        fix: "Make SPF pass for the From domain (or a subdomain of it) or sign with DKIM d=<From domain>.",
    },
    CauseDef {
        id: "esp-unverified",
        title: "The sending service has not verified this sender address or domain",
        confirms: &[],
        rules_out: &[],
        said_strong: &[Said::EspIdentityUnverified],
        said_weak: &[],
        needs: "the ESP's account settings (not visible in DNS)",
        fix: "Verify the sender address or domain in the ESP's console (e.g. Amazon SES verified identities, SendGrid Sender Authentication, Mailgun domains).",
    },
    CauseDef {
        id: "login-not-owner",
        title: "The login may not send as this address",
        confirms: &["smtp.login-not-owner", "smtp.not-logged-in"],
        rules_out: &["smtp.accepted"],
        said_strong: &[Said::SendAsDenied],
        said_weak: &[Said::RelayDenied],
        needs: "--smtp HOST --auth-user USER (probe the submission server)",
        fix: "Send as an address the login owns, or authorise it (Postfix smtpd_sender_login_maps; Microsoft 365 Send As permission; a verified sender at the provider).",
    },
    CauseDef {
        id: "sender-verify-failed",
        title: "The receiver's sender verification (callout) failed",
        confirms: &["smtp.callout-rejected", "smtp.unverified-sender", "smtp.callout-null-sender-rejected", "smtp.callout-no-mx", "smtp.callout-unreachable"],
        rules_out: &["smtp.callout-ok"],
        said_strong: &[Said::SenderVerifyFailed],
        said_weak: &[],
        needs: "mailsleuth probe --callout SENDER (ask the sender domain's MX as receivers do)",
        fix: "Make the sender domain's MX accept RCPT TO:<sender> from MAIL FROM:<> (the null sender), or send from an address that exists.",
    },
    CauseDef {
        id: "blocklisted",
        title: "The sending IP or domain is on a blocklist",
        confirms: &["host.listed", "host.domain-listed"],
        rules_out: &["host.not-listed"],
        said_strong: &[Said::Reputation],
        said_weak: &[Said::Policy],
        needs: "--ip (the sending IP) to query the blocklists",
        fix: "Find why the IP is listed (compromised host, open relay, dynamic range), fix it, then request delisting.",
    },
    CauseDef {
        id: "rdns",
        title: "The sending IP has no matching reverse DNS",
        confirms: &["host.no-ptr", "host.fcrdns-mismatch", "host.generic-ptr"],
        rules_out: &["host.fcrdns-ok"],
        said_strong: &[Said::ReverseDns],
        said_weak: &[Said::Policy],
        needs: "--ip (the sending IP)",
        fix: "Ask the IP's provider to set a PTR to a name of yours whose A/AAAA record points back at the IP.",
    },
    CauseDef {
        id: "helo-invalid",
        title: "The HELO/EHLO name is not acceptable",
        confirms: &["host.helo-invalid", "host.helo-not-fqdn", "host.helo-unresolvable", "host.helo-localhost", "host.helo-literal-mismatch", "host.helo-mismatch"],
        rules_out: &["host.helo-ok"],
        said_strong: &[Said::Helo],
        said_weak: &[],
        needs: "--helo NAME (what the sending host says in EHLO)",
        fix: "Configure the sending host to greet with its fully qualified name (Postfix smtp_helo_name), one that resolves to its IP.",
    },
    CauseDef {
        id: "tls-auth-required",
        title: "The server requires TLS or authentication first",
        confirms: &["smtp.starttls-missing", "smtp.auth-failed", "smtp.tls-refused"],
        rules_out: &["smtp.accepted"],
        said_strong: &[Said::TlsOrAuthRequired, Said::RelayDenied],
        said_weak: &[],
        needs: "--smtp HOST (probe the server)",
        fix: "Use STARTTLS (port 587) and log in (SMTP AUTH) before sending, with the right credentials.",
    },
    CauseDef {
        id: "rate-limit",
        title: "The receiver is throttling: too much mail or too many connections",
        confirms: &[],
        rules_out: &[],
        said_strong: &[Said::RateLimit],
        said_weak: &[],
        needs: "the sending volume (not visible in DNS)",
        fix: "Slow down and retry later; spread the volume; warm up a new IP.",
    },
    CauseDef {
        id: "content",
        title: "The message content or headers were refused",
        confirms: &[],
        rules_out: &[],
        said_strong: &[Said::Content],
        said_weak: &[],
        needs: "the message",
        fix: "Check the message against the receiver's guidelines (RFC 5322 headers, one From, spam content).",
    },
    CauseDef {
        id: "not-sender-problem",
        title: "Not a sender problem: the recipient or the receiving system",
        confirms: &[],
        rules_out: &[],
        said_strong: &[Said::NotSenderProblem],
        said_weak: &[],
        needs: "the reply or bounce",
        fix: "Nothing to change on the sender side: check the recipient address, or retry later.",
    },
];

/// Reply categories that name a cause only in a temporary (4xx) reply: receivers defer
/// on an SPF temperror and refuse on a fail, so "451 ... SPF" names the temperror.
pub fn said_strong_when_transient(def: &CauseDef) -> &'static [Said] {
    match def.id {
        "spf-temperror" => &[Said::Spf],
        _ => &[],
    }
}

pub fn by_id(id: &str) -> Option<&'static CauseDef> {
    CAUSES.iter().find(|c| c.id == id)
}
