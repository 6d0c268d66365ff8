//! The IANA "SMTP Enhanced Status Codes" registry (RFC 3463, RFC 5248), embedded.
//! The table itself is generated (`registry_table.rs`, by scripts/gen-status-registry);
//! this file answers questions about it.

use serde::Serialize;

use super::parse::EnhancedCode;
use super::registry_table::{CLASSES, DETAILS, SUBJECTS};

/// What the registry says about one enhanced code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Meaning {
    pub code: String,
    /// "Permanent Failure", "Persistent Transient Failure", "Success".
    pub class: &'static str,
    /// "Addressing Status", "Security or Policy Status", ...
    pub subject: Option<&'static str>,
    /// The registered title of X.subject.detail, when registered.
    pub detail: Option<&'static str>,
    /// First sentence of the registered description of the detail code (or the subject).
    pub description: Option<&'static str>,
    /// Basic reply codes the registry associates with the detail code.
    pub basic_codes: Option<&'static str>,
    pub reference: Option<&'static str>,
    /// True when the subject and detail pair is in the registry.
    pub registered: bool,
}

pub fn class_title(class: u8) -> Option<&'static str> {
    CLASSES.iter().find(|c| c.0 == class).map(|c| c.1)
}

pub fn subject_title(subject: u16) -> Option<&'static str> {
    SUBJECTS.iter().find(|s| s.0 == subject).map(|s| s.1)
}

/// The registry row of X.subject.detail: (title, basic codes, description, reference).
pub fn detail(subject: u16, detail: u16) -> Option<(&'static str, &'static str, &'static str, &'static str)> {
    DETAILS
        .binary_search_by(|d| (d.0, d.1).cmp(&(subject, detail)))
        .ok()
        .map(|i| {
            let d = &DETAILS[i];
            (d.2, d.3, d.4, d.5)
        })
}

/// Every registered X.subject.detail, for tests and listings.
pub fn all_details() -> impl Iterator<Item = (u16, u16)> {
    DETAILS.iter().map(|d| (d.0, d.1))
}

/// Look an enhanced code up. Unregistered details still get their class and subject.
pub fn lookup(code: EnhancedCode) -> Meaning {
    let class = class_title(code.class).unwrap_or("Unknown class");
    let subject = subject_title(code.subject);
    let row = detail(code.subject, code.detail);
    let (title, basic, desc, reference) = match row {
        Some((t, b, d, r)) => (
            // X.6.10 has no title of its own (deprecated duplicate of X.6.8).
            if t.is_empty() { None } else { Some(t) },
            if b.is_empty() { None } else { Some(b) },
            Some(d),
            Some(r),
        ),
        None => (None, None, SUBJECTS.iter().find(|s| s.0 == code.subject).map(|s| s.2), None),
    };
    Meaning {
        code: code.to_string(),
        class,
        subject,
        detail: title,
        description: desc,
        basic_codes: basic,
        reference,
        registered: row.is_some(),
    }
}

/// RFC 5321 section 4.2: what the first two digits of a basic code say.
pub fn basic_meaning(code: u16) -> &'static str {
    match code {
        421 => "service not available, closing the channel (transient)",
        450 => "mailbox unavailable or action not taken (transient)",
        451 => "local error in processing (transient)",
        452 => "insufficient system storage (transient)",
        454 => "TLS or authentication temporarily unavailable (transient)",
        500 => "syntax error, command unrecognised",
        501 => "syntax error in parameters or arguments",
        502 => "command not implemented",
        503 => "bad sequence of commands",
        504 => "command parameter not implemented",
        521 | 556 => "the domain does not accept mail (RFC 7504)",
        530 => "authentication required",
        534 => "authentication mechanism too weak",
        535 => "authentication credentials invalid",
        550 => "mailbox unavailable or action refused (policy)",
        551 => "user not local",
        552 => "exceeded storage allocation",
        553 => "mailbox name not allowed",
        554 => "transaction failed (or no SMTP service here)",
        555 => "MAIL FROM/RCPT TO parameters not recognised",
        c if c / 100 == 2 => "success",
        c if c / 100 == 3 => "intermediate: more input expected",
        c if c / 100 == 4 => "transient failure: retry later",
        c if c / 100 == 5 => "permanent failure: do not retry unchanged",
        _ => "not a valid reply code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_resolve() {
        let m = lookup("5.7.26".parse().unwrap());
        assert_eq!(m.class, "Permanent Failure");
        assert_eq!(m.subject, Some("Security or Policy Status"));
        assert_eq!(m.detail, Some("Multiple authentication checks failed"));
        assert!(m.registered);
        let m = lookup("4.1.8".parse().unwrap());
        assert_eq!(m.class, "Persistent Transient Failure");
        assert_eq!(m.detail, Some("Bad sender's system address"));
    }

    #[test]
    fn unregistered_detail_keeps_class_and_subject() {
        let m = lookup("5.7.509".parse().unwrap());
        assert!(!m.registered);
        assert_eq!(m.subject, Some("Security or Policy Status"));
        assert_eq!(m.detail, None);
    }

    #[test]
    fn table_is_sorted_for_binary_search() {
        let v: Vec<_> = all_details().collect();
        let mut s = v.clone();
        s.sort();
        assert_eq!(v, s);
    }
}
