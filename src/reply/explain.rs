//! Explain a reply: the code meanings, permanent or transient, the stage, who answered,
//! the cause category, the identity blamed and the next command to run. Pure and fast:
//! no DNS, patterns compiled once.

use std::sync::LazyLock;

use serde::Serialize;

use super::cause::{self, Cause, Identity};
use super::parse::{self, Reply};
use super::registry::{self, Meaning};
use super::vendor;

/// The SMTP stage that drew the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Connect,
    Helo,
    StartTls,
    Auth,
    MailFrom,
    RcptTo,
    Data,
    EndOfData,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Connect => "connection (greeting)",
            Stage::Helo => "HELO/EHLO",
            Stage::StartTls => "STARTTLS",
            Stage::Auth => "AUTH",
            Stage::MailFrom => "MAIL FROM",
            Stage::RcptTo => "RCPT TO",
            Stage::Data => "DATA",
            Stage::EndOfData => "end of DATA",
        }
    }

    /// From a command name as MTAs write it ("RCPT TO", "end of data", "final DATA").
    pub fn from_command(cmd: &str) -> Option<Stage> {
        let c = cmd.trim().to_ascii_lowercase();
        let c = c.as_str();
        Some(match c {
            _ if c.starts_with("rcpt") => Stage::RcptTo,
            _ if c.starts_with("mail") => Stage::MailFrom,
            _ if c.starts_with("ehlo") || c.starts_with("helo") || c.starts_with("lhlo") => Stage::Helo,
            _ if c.starts_with("starttls") => Stage::StartTls,
            _ if c.starts_with("auth") => Stage::Auth,
            _ if c.contains("end of data") || c.contains("final data") || c == "." || c.contains("after i sent the message") => Stage::EndOfData,
            _ if c.starts_with("data") => Stage::Data,
            _ if c.contains("initial connection") || c.contains("connect") || c.contains("greeting") || c.contains("banner") => Stage::Connect,
            _ => return None,
        })
    }

    /// The command as written in SMTP.
    pub fn command(self) -> &'static str {
        match self {
            Stage::Connect => "CONNECT",
            Stage::Helo => "EHLO",
            Stage::StartTls => "STARTTLS",
            Stage::Auth => "AUTH",
            Stage::MailFrom => "MAIL",
            Stage::RcptTo => "RCPT",
            Stage::Data => "DATA",
            Stage::EndOfData => "DATA",
        }
    }
}

/// Permanent (do not retry unchanged), transient (retry), success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Permanence {
    Permanent,
    Transient,
    Success,
    Unknown,
}

/// Everything `explain` says about one reply.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub reply: Reply,
    pub permanence: Permanence,
    /// Whether retrying unchanged can succeed.
    pub retry: bool,
    pub basic_meaning: Option<&'static str>,
    pub enhanced_meaning: Option<Meaning>,
    pub stage: Option<Stage>,
    pub remote_host: Option<String>,
    pub vendor: Option<&'static str>,
    pub cause: Cause,
    pub cause_summary: &'static str,
    /// Whether the sender can fix this (its address, domain, authentication, account, IP).
    pub sender_side: bool,
    /// The catalogue rule that decided the cause (None: the code alone decided).
    pub rule: Option<&'static str>,
    /// What that rule means, when the cause summary alone would mislead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
    /// When the enhanced code's class is not the basic code's (550 4.7.1): the basic code
    /// decides permanence, and this says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_disagreement: Option<String>,
    pub blames: &'static [Identity],
    /// Check families (finding id prefixes) that confirm the cause.
    pub checks: &'static [&'static str],
    /// Addresses or domains the reply names as the sender's, when it names one.
    pub sender_hint: Option<String>,
    pub next_commands: Vec<String>,
}

static STAGE_RES: LazyLock<Vec<regex::bytes::Regex>> = LazyLock::new(|| {
    [
        r"(?i)in reply to (?:the )?(rcpt to|mail from|end of data|data|helo|ehlo|lhlo|starttls|auth)\b",
        r"(?i)\bafter (rcpt to|mail from|end of data|data|initial connection|ehlo|helo|starttls|auth)\b",
        r"(?i)did not like our (rcpt to|mail from|final data|data)",
        r"(?i)(failed after i sent the message)",
        r"(?i)>>> (mail from|rcpt to|data|ehlo|helo)",
        r"(?i)(refused to talk to me)",
    ]
    .iter()
    .map(|p| ascii_re(p))
    .collect()
});
static QMAIL_STAGE: LazyLock<regex::bytes::Regex> = LazyLock::new(|| ascii_re(r"(?i)(does not like recipient|sender was rejected|my name was rejected)"));
// Byte regexes with ASCII-only case folding: cheaper to compile (explain answers in < 20 ms).
fn ascii_re(p: &str) -> regex::bytes::Regex {
    regex::bytes::RegexBuilder::new(p).unicode(false).build().expect("pattern compiles")
}

static HOST_RE: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    ascii_re(r"(?i)\bhost\s+([a-z0-9][a-z0-9.-]*[a-z0-9])\s*\[([0-9a-f.:#]+)\]|(?i)^([a-z0-9][a-z0-9.-]*\.[a-z]{2,})\s+\[[0-9a-f.:]+\]\s+did not like|connected to ([0-9a-f.:]+) but|(?i)\[([a-z0-9-]+(?:\.[a-z0-9-]+)+\.(?:com|net|org|jp|outlook\.com))\]$")
});
static SENDER_RE: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    ascii_re(r"(?i)mail from:\s*<([^>\s]+@[^>\s]+)>|<([^>\s]+@[^>\s]+)>(?::|\.\.\.)\s*sender|sending domain \[?([a-z0-9.-]+\.[a-z]{2,})\]?|unauthenticated email from ([a-z0-9.-]+\.[a-z]{2,})|dmarc policy for ([a-z0-9.-]+\.[a-z]{2,})|due to ([a-z0-9.-]+\.[a-z]{2,})'s dmarc|domain of sender address (\S+@[a-z0-9.-]+)|the mail from domain \[([a-z0-9.-]+)\]")
});

/// The SMTP stage named in prose ("in reply to RCPT TO command", "after MAIL FROM", ...).
pub fn stage_of(text: &str) -> Option<Stage> {
    for re in STAGE_RES.iter() {
        if let Some(c) = re.captures(text.as_bytes()) {
            let m = std::str::from_utf8(&c[1]).unwrap_or("");
            if m.eq_ignore_ascii_case("refused to talk to me") {
                return Some(Stage::Connect);
            }
            if let Some(s) = Stage::from_command(m) {
                return Some(s);
            }
        }
    }
    QMAIL_STAGE.captures(text.as_bytes()).map(|c| match c[1].to_ascii_lowercase().as_slice() {
        b"does not like recipient" => Stage::RcptTo,
        b"sender was rejected" => Stage::MailFrom,
        _ => Stage::Helo,
    })
}

fn remote_host_of(text: &str) -> Option<String> {
    let c = HOST_RE.captures(text.as_bytes())?;
    c.get(1).or(c.get(3)).or(c.get(4)).or(c.get(5)).map(|m| String::from_utf8_lossy(m.as_bytes()).to_ascii_lowercase())
}

fn sender_hint_of(text: &str) -> Option<String> {
    let c = SENDER_RE.captures(text.as_bytes())?;
    (1..c.len()).find_map(|i| c.get(i)).map(|m| String::from_utf8_lossy(m.as_bytes()).to_ascii_lowercase())
}

/// Decide the cause from the wording and the codes.
pub fn classify(reply: &Reply) -> (Cause, Option<&'static str>) {
    let text = parse::bounded(&reply.raw, parse::MAX_INPUT);
    let by_code = reply.enhanced.map(|e| cause::from_enhanced(e.subject, e.detail));
    let (cause, rule) = match vendor::match_rule(text, reply.enhanced) {
        // A generic refusal defers to a specific enhanced code (5.7.23 -> SPF, 5.1.1 -> recipient).
        Some(rule) if matches!(rule.id, "policy" | "rejected" | "sender-rejected") => match by_code {
            Some(c) if c != Cause::Unknown && (c != Cause::Policy || rule.cause == Cause::Unknown) => (c, None),
            _ => (rule.cause, Some(rule.id)),
        },
        Some(rule) => (rule.cause, Some(rule.id)),
        None => match by_code {
            Some(c) => (c, None),
            None => (Cause::Unknown, None),
        },
    };
    // "Recipient address rejected: ..." complains about the recipient unless the words
    // name the sender: address and domain causes then belong to the recipient.
    if matches!(cause, Cause::AddressSyntax | Cause::UnknownSenderDomain | Cause::NullMx | Cause::Policy | Cause::Unknown) {
        let low = text.to_ascii_lowercase();
        let about_recipient = low.contains("recipient address") || low.contains("recipient rejected") || low.contains("rcpt to") && cause == Cause::Unknown;
        let names_sender = low.contains("sender") || low.contains("mail from") && !low.contains("rcpt to");
        let code_policy = reply.enhanced.is_some_and(|e| e.subject == 7);
        if about_recipient && !names_sender && !code_policy {
            return (Cause::NotSenderProblem, rule);
        }
    }
    (cause, rule)
}

/// Explain one reply text (a bare reply, a multi-line reply, or prose that embeds one).
pub fn explain(text: &str) -> Explanation {
    explain_reply(parse::parse(text))
}

/// Explain an already parsed reply.
pub fn explain_reply(reply: Reply) -> Explanation {
    explain_with_stage(reply, None)
}

/// Explain a reply whose stage may be known from elsewhere (a bounce's transcript).
pub fn explain_with_stage(reply: Reply, stage_hint: Option<Stage>) -> Explanation {
    let raw = parse::bounded(&reply.raw, parse::MAX_INPUT);
    // RFC 5321 §4.2.1 / RFC 3463 §2: the client acts on the basic code, and the enhanced
    // code's class should match it; the enhanced class counts only when there is no basic code.
    let basic_class = reply.code.map(|c| (c / 100) as u8);
    let class = basic_class.or(reply.enhanced.map(|e| e.class));
    let code_disagreement = match (reply.code, reply.enhanced) {
        (Some(code), Some(e)) if basic_class != Some(e.class) => {
            Some(format!("the enhanced code {e} disagrees with the reply code {code}: clients act on {code}"))
        }
        _ => None,
    };
    let permanence = match class {
        Some(5) => Permanence::Permanent,
        Some(4) => Permanence::Transient,
        Some(2) => Permanence::Success,
        _ => Permanence::Unknown,
    };
    let (mut cause, rule) = classify(&reply);
    let stage = stage_of(raw).or(stage_hint);
    // The stage says whose fault a vague refusal is: at MAIL FROM the sender address is
    // refused, at HELO the host name, at the greeting the client IP.
    match (stage, cause) {
        (Some(Stage::MailFrom), Cause::NotSenderProblem | Cause::Unknown) if reply.enhanced.is_none_or(|e| !(2..=6).contains(&e.subject)) => {
            let low = raw.to_ascii_lowercase();
            cause = if ["does not exist", "not found", "unknown", "no such", "unroutable", "unrouteable"].iter().any(|w| low.contains(w)) {
                Cause::UnknownSenderDomain
            } else {
                Cause::Policy
            };
        }
        (Some(Stage::Helo), Cause::Unknown | Cause::NotSenderProblem | Cause::Policy) => cause = Cause::Helo,
        (Some(Stage::Connect), Cause::Unknown | Cause::Policy) => cause = Cause::Reputation,
        // Real unknown users are refused at RCPT; "unknown user" after the message was
        // sent is a filter refusing this sender (NTT docomo answers like this).
        (Some(Stage::EndOfData), Cause::NotSenderProblem)
            if rule == Some("recipient") && reply.enhanced.is_none_or(|e| e.subject != 2) && raw.to_ascii_lowercase().contains("unknown user") =>
        {
            cause = Cause::Policy
        }
        _ => {}
    }
    // A refusal under the security/policy class (X.7.x) of the message's content is the
    // sender's to fix too (headers, authentication of content); other content is not.
    let sender_side = cause.is_sender_side() || (cause == Cause::Content && reply.enhanced.is_some_and(|e| e.subject == 7));
    let remote_host = remote_host_of(raw);
    let vendor = vendor::vendor(raw);
    let sender_hint = sender_hint_of(raw);
    let next_commands = next_commands(cause, &reply, sender_hint.as_deref());
    Explanation {
        permanence,
        retry: permanence == Permanence::Transient,
        basic_meaning: reply.code.map(registry::basic_meaning),
        enhanced_meaning: reply.enhanced.map(registry::lookup),
        stage,
        remote_host,
        vendor,
        cause,
        cause_summary: cause.summary(),
        sender_side,
        rule,
        note: rule.and_then(vendor::note),
        code_disagreement,
        blames: blames_of(cause, raw),
        checks: cause.checks(),
        sender_hint,
        next_commands,
        reply,
    }
}

/// Which identity the reply blames: the cause's, except where the words name the envelope
/// ("Sender address rejected: not owned by user" is Postfix checking MAIL FROM against the login).
fn blames_of(cause: Cause, raw: &str) -> &'static [Identity] {
    if cause == Cause::SendAsDenied && raw.to_ascii_lowercase().contains("sender address rejected") {
        return &[Identity::EnvelopeSender, Identity::Login];
    }
    cause.blames()
}

impl Explanation {
    /// Put known facts into the suggested commands (SENDER, RECIPIENT, DOMAIN, IP).
    pub fn fill_in(&mut self, sender: Option<&str>, recipient: Option<&str>, ip: Option<&str>) {
        let domain = sender.and_then(|s| s.rsplit_once('@')).map(|(_, d)| d.to_string());
        for c in &mut self.next_commands {
            // Only whole words: the quoted reply text keeps its own wording.
            let words: Vec<String> = c
                .split(' ')
                .map(|w| match w {
                    "SENDER" => sender.unwrap_or(w).to_string(),
                    "RECIPIENT" => recipient.unwrap_or(w).to_string(),
                    "DOMAIN" => domain.as_deref().unwrap_or(w).to_string(),
                    "IP" => ip.unwrap_or(w).to_string(),
                    _ => w.to_string(),
                })
                .collect();
            *c = words.join(" ");
        }
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The next mailsleuth commands worth running for this cause.
fn next_commands(cause: Cause, reply: &Reply, hint: Option<&str>) -> Vec<String> {
    if !cause.is_sender_side() {
        return Vec::new();
    }
    let domain = hint.map(|h| h.rsplit('@').next().unwrap_or(h).to_string()).unwrap_or_else(|| "DOMAIN".into());
    let sender = match hint {
        Some(h) if h.contains('@') => h.to_string(),
        _ => "SENDER".into(),
    };
    // The reply proper, from its code on, without the MTA's "(in reply to ...)" trailer.
    let raw = parse::bounded(&reply.raw, parse::MAX_INPUT);
    let from = parse::reply_start(raw).unwrap_or(0);
    let mut proper = raw[from..].split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(i) = proper.find(" (in reply to") {
        proper.truncate(i);
    }
    // At most 200 bytes, cut at a word boundary.
    let mut short = parse::bounded(&proper, 200);
    if short.len() < proper.len() {
        short = short.rsplit_once(' ').map_or(short, |(head, _)| head);
    }
    let ip = parse::sending_ip_in_text(raw).map_or_else(|| "IP".to_string(), |ip| ip.to_string());
    let mut out = vec![format!("mailsleuth diagnose {sender} --ip {ip} --reply {}", shell_quote(short.trim()))];
    match cause {
        Cause::Spf => out.push(format!("mailsleuth spf {domain} --ip {ip}")),
        Cause::Dkim => out.push(format!("mailsleuth dkim {domain}")),
        Cause::Dmarc | Cause::Authentication => {
            out.push(format!("mailsleuth dmarc {domain}"));
            out.push("mailsleuth verify MESSAGE.eml --ip IP".into());
        }
        Cause::Reputation | Cause::ReverseDns | Cause::RateLimit => out.push("mailsleuth host IP".into()),
        Cause::Helo => out.push("mailsleuth host IP --helo HELO-NAME".into()),
        Cause::SendAsDenied | Cause::TlsOrAuthRequired | Cause::RelayDenied | Cause::EspIdentityUnverified => {
            out.push(format!("mailsleuth probe --server SERVER --from {sender} --to RECIPIENT --auth-user LOGIN"))
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postfix_prose() {
        let x = explain("host mx.example.net[192.0.2.1] said: 553 5.1.8 <a@nowhere.example>... Domain of sender address a@nowhere.example does not exist (in reply to MAIL FROM command)");
        assert_eq!(x.stage, Some(Stage::MailFrom));
        assert_eq!(x.remote_host.as_deref(), Some("mx.example.net"));
        assert_eq!(x.cause, Cause::UnknownSenderDomain);
        assert_eq!(x.permanence, Permanence::Permanent);
        assert!(!x.retry);
        assert_eq!(x.sender_hint.as_deref(), Some("a@nowhere.example"));
    }

    #[test]
    fn gmail_dmarc() {
        let x = explain("550-5.7.26 Unauthenticated email from shop.example is not accepted due to\n550-5.7.26 domain's DMARC policy. Please contact the administrator of\n550 5.7.26 shop.example domain if this was a legitimate mail. - gsmtp");
        assert_eq!(x.cause, Cause::Dmarc);
        assert_eq!(x.vendor, Some("Gmail"));
        assert_eq!(x.blames, &[Identity::FromHeader]);
        assert!(x.next_commands.iter().any(|c| c == "mailsleuth dmarc shop.example"));
    }

    #[test]
    fn login_map_blames_the_envelope_sender() {
        // Postfix's smtpd_sender_login_maps checks MAIL FROM, not the From header.
        let x = explain("553 5.7.1 <a@b.example>: Sender address rejected: not owned by user bob");
        assert_eq!(x.cause, Cause::SendAsDenied);
        assert_eq!(x.blames, &[Identity::EnvelopeSender, Identity::Login]);
        // Microsoft's SendAsDenied is about the From address the mailbox may use.
        let x = explain("550 5.7.60 SMTP; Client does not have permissions to send as this sender");
        assert_eq!(x.cause, Cause::SendAsDenied);
        assert_eq!(x.blames, &[Identity::FromHeader, Identity::Login]);
    }

    #[test]
    fn next_command_carries_the_ip_and_whole_words() {
        let long = format!("550 5.7.26 The MAIL FROM domain [shop.example] fails to pass SPF checks with the ip: [198.51.100.25]. {}", "To protect our users from spam the message has been blocked. ".repeat(4));
        let x = explain(&long);
        let first = &x.next_commands[0];
        assert!(first.starts_with("mailsleuth diagnose SENDER --ip 198.51.100.25 --reply '550 5.7.26 The MAIL FROM"), "{first}");
        // Cut at a word boundary, within 200 bytes of reply text.
        assert!(first.ends_with(" the'") || first.ends_with(" blocked.'") || first.ends_with(" spam'"), "{first}");
        assert!(x.next_commands.contains(&"mailsleuth spf shop.example --ip 198.51.100.25".to_string()), "{:?}", x.next_commands);
    }

    #[test]
    fn code_only() {
        let x = explain("550 5.7.23");
        assert_eq!(x.cause, Cause::Spf);
        assert_eq!(x.rule, None);
        let x = explain("451 4.7.1 Please try again later");
        assert!(x.retry);
    }

    #[test]
    fn recipient_problem_is_not_sender() {
        let x = explain("550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)");
        assert_eq!(x.cause, Cause::NotSenderProblem);
        assert_eq!(x.stage, Some(Stage::RcptTo));
        assert!(x.next_commands.is_empty());
    }
}
