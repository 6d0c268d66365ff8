//! The vendor catalogue: who answered, and what their words mean.
//!
//! Two tables: `VENDORS` recognises the receiver or service from its host names, URLs
//! and house style; `RULES` maps wording to a cause. Patterns are matched ASCII
//! case-insensitively and in order, the first match wins (see matcher.rs: literal
//! phrases through one Aho-Corasick automaton, the rest as regexes compiled on first use).
//! Rules are ordered most specific first, so "Sender address rejected: unverified address: ... 550 5.1.1
//! User unknown" is a sender-verification failure, not an unknown recipient. A rule may
//! also require an enhanced code (Yahoo's "policy reasons" means DMARC only with 5.7.9).
//! The patterns were written for this project from the providers' published texts.

use std::sync::LazyLock;

use super::matcher::Matcher;

use super::cause::Cause;
use super::parse::EnhancedCode;

/// One wording rule.
pub struct Rule {
    /// Stable id (shown with --json and in docs/findings.md as `reply.rule.<id>`).
    pub id: &'static str,
    pub pattern: &'static str,
    pub cause: Cause,
    /// Only when the enhanced code is this (subject, detail).
    pub needs: Option<(u16, u16)>,
}

const fn r(id: &'static str, pattern: &'static str, cause: Cause) -> Rule {
    Rule { id, pattern, cause, needs: None }
}
const fn rc(id: &'static str, pattern: &'static str, cause: Cause, needs: (u16, u16)) -> Rule {
    Rule { id, pattern, cause, needs: Some(needs) }
}

use Cause::*;

/// Most specific first.
pub static RULES: &[Rule] = &[
    // ESPs refusing an unverified sender identity.
    r("ses-unverified", r"email address is not verified|identities failed the check|not authorized to send from|sending domain is not verified", EspIdentityUnverified),
    r("sendgrid-sender-identity", r"verified sender identity|sender identity requirements", EspIdentityUnverified),
    r("mailgun-sandbox", r"sandbox subdomains are for test|domain .*?is not allowed to send|free accounts are for test purposes only", EspIdentityUnverified),
    r("postmark-signature", r"is not a (?:confirmed )?sender signature|sender signature (?:not|has not been) (?:found|confirmed)", EspIdentityUnverified),
    r("sparkpost-domain", r"unconfigured sending domain|sending domain .*?not (?:configured|registered|verified)", EspIdentityUnverified),
    // The login may not send as this address.
    r("ms-sendas", r"sendasdenied|not allowed to send as|does not have permissions to send as|send ?as (?:permission|denied)|sender not authorized to send on behalf", SendAsDenied),
    r("postfix-login-mismatch", r"not owned by user|sender address rejected: not logged in|not logged in", SendAsDenied),
    r("gmail-identity-change", r"no identity changes permitted|send mail as.*?(?:misconfigured|account)", SendAsDenied),
    r("zoho-relaying-as", r"relaying disallowed as|sender is not allowed to relay emails|from address is not (?:owned|verified)", SendAsDenied),
    // Relay.
    r("relay-credentials", r"invalid credentials for relay|isn't registered in your workspace|smtp relay (?:service|settings)", RelayDenied),
    r("relay-denied", r"relay(?:ing)? (?:access )?(?:denied|not permitted|prohibited)|not configured to relay|insecure mail relay|unable to relay|we do not relay|relay not permitted|5\.7\.54|5\.4\.1 all recipient addresses rejected", RelayDenied),
    // Null MX.
    r("null-mx", r"sender .*?null ?mx|null ?mx.*?sender|sender address has null mx|nullmx", NullMx),
    rc("null-mx-code", r"null ?mx|does not accept mail|domain does not (?:accept|receive) mail", NullMx, (7, 27)),
    // Sender verification (call-back to the sender's MX).
    r("sender-verify", r"sender verify failed|sender verification (?:failed|is required)|unverified address|could not verify sender|verification failed for|sender address rejected: undeliverable address|cannot verify sender", SenderVerifyFailed),
    // Postfix reject_unlisted_sender: the server hosts the sender's domain and has no
    // such user. "Sender address rejected" outranks the recipient words that follow.
    r("unlisted-sender", r"sender address rejected: (?:user unknown|unknown user|no such user|mailbox unavailable)", SenderVerifyFailed),
    // The sender's domain does not exist or has no mail route.
    rc("no-such-domain-1.7", r"no such domain|does not exist", UnknownSenderDomain, (1, 7)),
    rc("no-such-domain-1.8", r"no such domain|does not exist", UnknownSenderDomain, (1, 8)),
    r("sender-domain", r"domain of sender address .*?does not exist|sender address rejected: domain not found|unroutable sender|unrouteable sender|sender domain (?:does not exist|not found|must exist|must resolve|unknown)|unknown sender domain|sender address does not exist|sender'?s? domain (?:does not exist|has no mx|not found)|undeliverable sender domain|domain must resolve|mailfrom domain does not exist|sender address rejected: domain", UnknownSenderDomain),
    // Address syntax.
    r("address-syntax", r"need fully-qualified address|not a valid rfc ?5321 address|(?:bad|invalid|illegal) (?:sender )?(?:address )?syntax|syntax error in (?:mail from|sender)|malformed (?:sender )?address|domain name required for sender address|sender address must contain a domain|address syntax", AddressSyntax),
    // Combined authentication requirements (before the DMARC/SPF words they contain).
    r("ms-auth-level", r"required authentication level|must pass either spf or dkim|authenticated with spf, dkim,? and dmarc|sender requirements", Authentication),
    r("gmail-unauthenticated", r"requires all senders to authenticate|does not have authentication information|fails to pass authentication checks|sender is unauthenticated|multiple authentication checks failed|authentication checks? (?:did not pass|failed)", Authentication),
    // Header defects and spam verdicts whose advice text mentions SPF or DKIM.
    r("header-defect", r"blacklisted url|blacklisted link|uribl|surbl|duplicate header|multiple addresses in from|not rfc ?5322 compliant|header error|rejected due to spam|flagged as spam|spam classification", Content),
    // DMARC.
    r("dmarc", r"dmarc", Dmarc),
    rc("yahoo-policy", r"not accepted for policy reasons", Dmarc, (7, 9)),
    // SPF.
    r("spf", r"\bspf\b|sender policy framework|is not allowed to send from .*?per it|not permitted sender", Spf),
    // DKIM.
    r("dkim", r"\bdkim\b|domainkeys", Dkim),
    // Reverse DNS and HELO.
    r("rdns", r"\bptr\b|reverse dns|\brdns\b|reverse (?:lookup|resolution)|unverifyable sending ip|mismatches client ip|without a valid sender domain|no reverse|hostname lookup failed|cannot find your (?:reverse )?hostname|unresolvable (?:client|host)", ReverseDns),
    r("helo", r"helo command rejected|ehlo command rejected|invalid helo|bad helo|helo (?:name|hostname)|my name was rejected|after (?:ehlo|helo)\b|invalid domain name", Helo),
    // TLS or authentication required.
    r("auth-required", r"authentication required|authrequired|auth(?:entication)? is required|client not authenticated|must issue a starttls|starttls (?:is )?required|tls (?:is )?required|encryption required|smtp auth(?:entication)? is disabled|please authenticate|use the smtp server of your isp|5\.7\.57|5\.7\.139", TlsOrAuthRequired),
    // The network between the MTAs (timeouts, unreachable MX): not about who sends.
    r("network", r"connection timed out|failed connect|no route to host|network is unreachable|unable to deliver this message after|connection reset by peer", NotSenderProblem),
    // Postfix check_client_access REJECT: a local access table names this client; no
    // blocklist is named (when one is, "blocked using" matches first).
    r("client-access", r"client host rejected: access denied", Policy),
    // Reputation and blocklists.
    r("blocklist", r"blocked using|blacklist|blocklist|block ?list|spamhaus|spamcop|sorbs|barracuda|\brbl\b|dnsbl|\b(?:is|are|was|been|ip|domain) listed (?:in|on|at|by)|listed (?:in|on|at|by) (?:the )?(?:spamhaus|rbl|dnsbl|block|black|spam|zen|sbl|xbl|pbl|barracuda|sorbs|spamcop)|banned sending ip|reputation|blocked for abuse|open relay|invalid ip for sending|host network not allowed|proofpoint|client host rejected|access denied, banned|sender rejected|blocked by|messages from .*? weren't sent|\(bl\)|service refuse|not allowed to send mail from|has been blocked|ip address (?:is )?(?:blocked|listed)|poor reputation|low reputation", Reputation),
    // Yahoo's deferral for volume *or complaints* is about the sender's reputation.
    r("yahoo-complaints", r"user complaints|\[tss0[49]\]", Reputation),
    // Rate limits.
    r("rate-limit", r"rate limit|ratelimit|too many (?:messages|connections|recipients|emails)|unexpected volume|temporarily deferred|throttl|receiving (?:email|mail) (?:too quickly|at a rate)|sending limit|daily (?:sending )?(?:quota|limit)|try again later.*?(?:volume|rate)|tss04|tsp01|frequency limit", RateLimit),
    // The message itself.
    r("content", r"spam|virus|message content|its content|content presents|content (?:rejected|filter|policy|violation)|suspicious|header error|duplicate header|multiple addresses in from|not rfc ?5322 compliant|message (?:is )?too (?:large|big)|attachment|phishing|malware|policy violation", Content),
    // Zoho: the recipient's domain refuses this sender (not the mailbox).
    r("zoho-destination-domain", r"mail rejected by destination domain", Policy),
    // Mailing lists that refuse the poster (Google Groups writes in the user's language).
    r("list-permission", r"permission to post|not allowed to post|you are not a member of|not a member of this (?:mailing )?list|google groups|googlegroups\.com", Policy),
    // Not a sender problem.
    r("recipient", r"host or domain name not found|name service error|host not found|user unknown|unknown user|no such user|user not found|recipnotfound|mailbox (?:unavailable|not found|does not exist|is disabled|disabled)|address (?:couldn't|could not) be found|does not exist|no mailbox|invalid recipient|account (?:has been )?disabled|account is disabled|over quota|quota exceeded|mailbox (?:is )?full|insufficient (?:system )?storage|not a registered gateway user|unknown or illegal alias|no such (?:recipient|address|mailbox)|undeliverable|user doesn't have|inactive user|not our customer", NotSenderProblem),
    // Bare sender refusals that name nothing else.
    r("sender-rejected", r"sender (?:address )?rejected|sender (?:address )?refused|sender denied|mail from .*?(?:rejected|refused)", Policy),
    r("policy", r"protocol violation|access denied|not authori[sz]ed|delivery not authorized|policy|denied|blocked", Policy),
    // Bare "rejected" says nothing about the cause: the code decides (5.7.x -> policy).
    r("rejected", r"rejected|refused", Unknown),
];

/// Who answered.
pub static VENDORS: &[(&str, &str)] = &[
    ("Gmail", r"gsmtp|google\.com|googlemail|gmail|support\.google"),
    // Also the bare texts: Microsoft-only codes (5.7.509, 5.7.515, 5.7.57, 5.7.60 SendAs)
    // and house wording (5.7.23 "Sender Policy Framework violation").
    ("Microsoft 365 / Outlook", r"outlook\.com|protection\.outlook|microsoft|office ?365|hotmail|storedrv|exchange online|sender\.office\.com|resolver\.(?:adr|rst)|5\.7\.509|5\.7\.515|5\.7\.57 |sendasdenied|client does not have permissions to send as|client not authenticated to send mail|does not pass dmarc verification and has a dmarc policy|doesn't meet the required authentication level|rejected because of sender policy framework violation"),
    // Yahoo's bracketed error codes (literal phrases: no regex to compile on each run).
    ("Yahoo / AOL", r"yahoo|yahoodns|verizonmedia|\baol\b|aol\.com|\[(?:tss04|tss09|tss11|ts01|ts02|ts03|ts04|tsp01|bl21|bl22|bl23|gl01|ph01)\]"),
    ("iCloud", r"icloud|apple\.com|me\.com"),
    ("Zoho", r"zoho|zeptomail"),
    ("Mail.ru", r"mail\.ru"),
    ("Tencent QQ", r"qq\.com"),
    ("GMX / web.de", r"gmx\.(?:com|net|de)|web\.de"),
    ("Yandex", r"yandex"),
    ("Mimecast", r"mimecast"),
    ("Proofpoint", r"proofpoint|pphosted"),
    ("Cox", r"cox\.(?:net|com)|cloudfilter\.net"),
    ("La Poste", r"laposte"),
    ("Amazon SES", r"amazonses|email-smtp\..*?amazonaws|identities failed the check|ses\b"),
    ("SendGrid", r"sendgrid|sender identity"),
    ("Mailgun", r"mailgun|sandbox subdomains"),
    ("Postmark", r"postmark|sender signature"),
    ("SparkPost", r"sparkpost|unconfigured sending domain"),
    ("Exim", r"sender verify failed|unrouteable address|smtp error from remote mail server"),
    ("Postfix", r"(?:sender|recipient|client host|helo command) (?:address )?rejected:|in reply to (?:rcpt to|mail from|end of data|data)|said: \d{3}|need fully-qualified address|service unavailable; client host \["),
    ("Sendmail", r"\.\.\. domain of sender address|>>> (?:mail from|rcpt to|data)|<<< \d{3}"),
    ("qmail", r"did not like our|remote host said:|i'm not going to try again"),
];

/// What a rule means when the cause's one-line summary would say too much or too little.
pub static NOTES: &[(&str, &str)] = &[
    (
        "client-access",
        "Postfix check_client_access: the receiver's own access table refuses this client (IP, host name or network); no DNS blocklist is named. Ask the receiver's postmaster why the client is in their access table.",
    ),
    (
        "unlisted-sender",
        "Postfix reject_unlisted_sender: the receiver hosts the sender's domain and has no such mailbox or alias for the sender address. Send from an existing address of that domain, or create the address (virtual mailbox or alias) on that server.",
    ),
];

/// The note for a rule, if it has one.
pub fn note(rule: &str) -> Option<&'static str> {
    NOTES.iter().find(|(id, _)| *id == rule).map(|(_, n)| *n)
}

static RULE_MATCHER: LazyLock<Matcher> = LazyLock::new(|| Matcher::new(RULES.iter().map(|r| r.pattern)));
static VENDOR_MATCHER: LazyLock<Matcher> = LazyLock::new(|| Matcher::new(VENDORS.iter().map(|v| v.1)));

/// The first (most specific) rule that matches `text` (and the enhanced code, if it needs one).
pub fn match_rule(text: &str, enhanced: Option<EnhancedCode>) -> Option<&'static Rule> {
    let accept = |i: usize| match RULES[i].needs {
        None => true,
        Some((s, d)) => enhanced.is_some_and(|e| e.subject == s && e.detail == d),
    };
    RULE_MATCHER.first(text, accept).map(|i| &RULES[i])
}

/// Who answered, when the text gives it away (first in table order).
pub fn vendor(text: &str) -> Option<&'static str> {
    VENDOR_MATCHER.first(text, |_| true).map(|i| VENDORS[i].0)
}

/// Compile every pattern now (benchmarks; tests that every pattern compiles).
pub fn warm_up() {
    RULE_MATCHER.warm_up();
    VENDOR_MATCHER.warm_up();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_compiles_and_ids_are_unique() {
        warm_up();
        let mut ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }

    #[test]
    fn specific_beats_generic() {
        let t = "<u@example.com>: Sender address rejected: unverified address: host mx.example.com[192.0.2.1] said: 550 5.1.1 <u@example.com>: Recipient address rejected: User unknown";
        assert_eq!(match_rule(t, None).map(|r| r.cause), Some(SenderVerifyFailed));
        let t = "Access denied, sending domain X doesn't meet the required authentication level. Spf= Fail , Dkim= Pass , DMARC= Pass";
        assert_eq!(match_rule(t, None).map(|r| r.cause), Some(Authentication));
    }

    #[test]
    fn code_gated_rule() {
        let t = "Message not accepted for policy reasons. See https://senders.yahooinc.com/error-codes";
        assert_eq!(match_rule(t, "5.7.9".parse().ok()).map(|r| r.cause), Some(Dmarc));
        assert_eq!(match_rule(t, "5.7.1".parse().ok()).map(|r| r.cause), Some(Policy));
        assert_eq!(vendor(t), Some("Yahoo / AOL"));
    }
}
