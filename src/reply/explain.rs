//! Explain a reply: the code meanings, permanent or transient, the stage, who answered,
//! the cause category, the identity blamed and the next command to run. Pure and fast:
//! no DNS, patterns compiled once.

use std::sync::LazyLock;

use regex::Regex;
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
    /// The catalogue rule that decided the cause (None: the code alone decided).
    pub rule: Option<&'static str>,
    pub blames: &'static [Identity],
    /// Check families (finding id prefixes) that confirm the cause.
    pub checks: &'static [&'static str],
    /// Addresses or domains the reply names as the sender's, when it names one.
    pub sender_hint: Option<String>,
    pub next_commands: Vec<String>,
}

static STAGE_RES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"(?i)in reply to (?:the )?(rcpt to|mail from|end of data|data|helo|ehlo|lhlo|starttls|auth)\b",
        r"(?i)\bafter (rcpt to|mail from|end of data|data|initial connection|ehlo|helo|starttls|auth)\b",
        r"(?i)did not like our (rcpt to|mail from|final data|data)",
        r"(?i)(failed after i sent the message)",
        r"(?i)>>> (mail from|rcpt to|data|ehlo|helo)",
        r"(?i)(refused to talk to me)",
    ]
    .iter()
    .map(|p| Regex::new(p).unwrap())
    .collect()
});
static QMAIL_STAGE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)(does not like recipient|sender was rejected|my name was rejected)").unwrap());
static HOST_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bhost\s+([a-z0-9][a-z0-9.-]*[a-z0-9])\s*\[([0-9a-f.:#]+)\]|(?i)^([a-z0-9][a-z0-9.-]*\.[a-z]{2,})\s+\[[0-9a-f.:]+\]\s+did not like|connected to ([0-9a-f.:]+) but|(?i)\[([a-z0-9-]+(?:\.[a-z0-9-]+)+\.(?:com|net|org|jp|outlook\.com))\]$").unwrap()
});
static SENDER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)mail from:\s*<([^>\s]+@[^>\s]+)>|<([^>\s]+@[^>\s]+)>(?::|\.\.\.)\s*sender|sending domain \[?([a-z0-9.-]+\.[a-z]{2,})\]?|unauthenticated email from ([a-z0-9.-]+\.[a-z]{2,})|dmarc policy for ([a-z0-9.-]+\.[a-z]{2,})|due to ([a-z0-9.-]+\.[a-z]{2,})'s dmarc|domain of sender address (\S+@[a-z0-9.-]+)|the mail from domain \[([a-z0-9.-]+)\]").unwrap()
});

fn stage_of(text: &str) -> Option<Stage> {
    for re in STAGE_RES.iter() {
        if let Some(c) = re.captures(text) {
            let m = &c[1];
            if m.eq_ignore_ascii_case("refused to talk to me") {
                return Some(Stage::Connect);
            }
            if let Some(s) = Stage::from_command(m) {
                return Some(s);
            }
        }
    }
    QMAIL_STAGE.captures(text).map(|c| match c[1].to_ascii_lowercase().as_str() {
        "does not like recipient" => Stage::RcptTo,
        "sender was rejected" => Stage::MailFrom,
        _ => Stage::Helo,
    })
}

fn remote_host_of(text: &str) -> Option<String> {
    let c = HOST_RE.captures(text)?;
    c.get(1).or(c.get(3)).or(c.get(4)).or(c.get(5)).map(|m| m.as_str().to_ascii_lowercase())
}

fn sender_hint_of(text: &str) -> Option<String> {
    let c = SENDER_RE.captures(text)?;
    (1..c.len()).find_map(|i| c.get(i)).map(|m| m.as_str().to_ascii_lowercase())
}

/// Decide the cause from the wording and the codes.
pub fn classify(reply: &Reply) -> (Cause, Option<&'static str>) {
    let text = parse::bounded(&reply.raw, parse::MAX_INPUT);
    let by_code = reply.enhanced.map(|e| cause::from_enhanced(e.subject, e.detail));
    match vendor::match_rule(text, reply.enhanced) {
        // A generic policy refusal defers to a specific enhanced code (5.7.23 -> SPF).
        Some(rule) if rule.cause == Cause::Policy => match by_code {
            Some(c) if !matches!(c, Cause::Policy | Cause::Unknown | Cause::NotSenderProblem) => (c, None),
            _ => (Cause::Policy, Some(rule.id)),
        },
        Some(rule) => (rule.cause, Some(rule.id)),
        None => match by_code {
            Some(c) => (c, None),
            None => (Cause::Unknown, None),
        },
    }
}

/// Explain one reply text (a bare reply, a multi-line reply, or prose that embeds one).
pub fn explain(text: &str) -> Explanation {
    explain_reply(parse::parse(text))
}

/// Explain an already parsed reply.
pub fn explain_reply(reply: Reply) -> Explanation {
    let raw = parse::bounded(&reply.raw, parse::MAX_INPUT);
    let class = reply.enhanced.map(|e| e.class).or(reply.code.map(|c| (c / 100) as u8));
    let permanence = match class {
        Some(5) => Permanence::Permanent,
        Some(4) => Permanence::Transient,
        Some(2) => Permanence::Success,
        _ => Permanence::Unknown,
    };
    let (cause, rule) = classify(&reply);
    let stage = stage_of(raw);
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
        rule,
        blames: cause.blames(),
        checks: cause.checks(),
        sender_hint,
        next_commands,
        reply,
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
    let codes: Vec<String> = [reply.code.map(|c| c.to_string()), reply.enhanced.map(|e| e.to_string())].into_iter().flatten().collect();
    let short = if reply.text.len() > 160 { format!("{} {}", codes.join(" "), &reply.text[..parse::bounded(&reply.text, 160).len()]) } else { format!("{} {}", codes.join(" "), reply.text) };
    let mut out = vec![format!("mailsleuth diagnose {sender} --ip IP --reply {}", shell_quote(short.trim()))];
    match cause {
        Cause::Spf => out.push(format!("mailsleuth spf {domain} --ip IP")),
        Cause::Dkim => out.push(format!("mailsleuth dkim {domain}")),
        Cause::Dmarc | Cause::Authentication => {
            out.push(format!("mailsleuth dmarc {domain}"));
            out.push("mailsleuth verify MESSAGE.eml".into());
        }
        Cause::Reputation | Cause::ReverseDns | Cause::Helo | Cause::RateLimit => out.push("mailsleuth host IP".into()),
        Cause::SendAsDenied | Cause::TlsOrAuthRequired | Cause::RelayDenied | Cause::EspIdentityUnverified => {
            out.push(format!("mailsleuth probe SERVER --from {sender} --auth-user LOGIN"))
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
