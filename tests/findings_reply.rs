//! Unit table for the reply findings (docs/findings.md, reply section): a receiver text
//! per cause, through the real explainer (`mailsleuth::reply::explain`) and its findings;
//! each id with its documented severity (`info`: a reply restates, checks decide).

use mailsleuth::finding::{Finding, Fix, Severity};
use mailsleuth::reply::{explain, findings::findings};

fn fix_text(f: &Finding) -> String {
    match &f.fix {
        Some(Fix::Setting { text }) => text.clone(),
        Some(Fix::DnsRecord { name, value, .. }) => format!("{name} {value}"),
        None => String::new(),
    }
}

/// (reply text, finding id, a word of the fix)
const CASES: &[(&str, &str, &str)] = &[
    ("504 5.5.2 <billing>: Sender address rejected: need fully-qualified address", "reply.cause.address-syntax", "mailsleuth"),
    ("501 5.1.7 Bad sender address syntax", "reply.cause.address-syntax", "mailsleuth"),
    ("450 4.1.8 <billing@nx.example>: Sender address rejected: Domain not found", "reply.cause.unknown-sender-domain", "mailsleuth"),
    ("553 5.1.8 Domain of sender address billing@nx.example does not exist", "reply.cause.unknown-sender-domain", "mailsleuth"),
    ("550 5.7.27 <billing@nullmx.example>: Sender address rejected: Domain nullmx.example does not accept mail (nullMX)", "reply.cause.null-mx", "mailsleuth"),
    ("550 5.7.23 The message was rejected because of Sender Policy Framework violation", "reply.cause.spf", "mailsleuth spf"),
    ("550 5.7.1 Message rejected: no valid DKIM signature found", "reply.cause.dkim", "mailsleuth"),
    ("550 5.7.26 Unauthenticated email from shop.example is not accepted due to domain's DMARC policy", "reply.cause.dmarc", "mailsleuth"),
    ("550 5.7.515 Access denied, sending domain shop.example doesn't meet the required authentication level.", "reply.cause.authentication", "mailsleuth"),
    ("554 Message rejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: billing@shop.example", "reply.cause.esp-identity-unverified", "mailsleuth"),
    ("550 5.7.60 SMTP; Client does not have permissions to send as this sender", "reply.cause.send-as-denied", "mailsleuth"),
    ("554 5.7.1 <someone@example.org>: Relay access denied", "reply.cause.relay-denied", "mailsleuth"),
    ("450 4.1.7 <billing@shop.example>: Sender address rejected: unverified address: host mx.shop.example[192.0.2.1] said: 550 5.1.1 User unknown", "reply.cause.sender-verify-failed", "mailsleuth"),
    ("554 5.7.1 Service unavailable; Client host [198.51.100.9] blocked using zen.spamhaus.org", "reply.cause.reputation", "mailsleuth host"),
    ("450 4.7.1 Client host rejected: cannot find your reverse hostname, [198.51.100.9]", "reply.cause.reverse-dns", "mailsleuth host"),
    ("504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname", "reply.cause.helo", "mailsleuth"),
    ("530 5.7.0 Must issue a STARTTLS command first", "reply.cause.tls-or-auth-required", "mailsleuth"),
    ("421 4.7.28 Our system has detected an unusual rate of unsolicited mail: rate limited", "reply.cause.rate-limit", "Slow down"),
    ("552 5.7.0 This message was blocked because its content presents a potential security issue.", "reply.cause.content", "Fix the headers"),
    ("554 5.7.1 Rejected for policy reasons", "reply.cause.policy", "mailsleuth"),
    ("550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table", "reply.cause.not-sender-problem", "Nothing to fix on the sender side"),
    ("552 5.2.2 Mailbox full", "reply.cause.not-sender-problem", "Nothing to fix on the sender side"),
    ("550 Go away", "reply.cause.unknown", "mailsleuth diagnose"),
];

#[test]
fn every_cause_finding_with_its_severity() {
    let mut wrong = Vec::new();
    for (text, id, fix_word) in CASES {
        let x = explain(text);
        let f = findings(&x);
        match f.iter().find(|f| f.id == *id) {
            None => wrong.push(format!("{text:?}: no {id} in {:?} (cause {}, rule {:?})", f.iter().map(|f| &f.id).collect::<Vec<_>>(), x.cause.as_str(), x.rule)),
            Some(g) if g.severity != Severity::Info => wrong.push(format!("{text:?}: {id} is {:?}, documented info", g.severity)),
            Some(g) if !fix_text(g).contains(fix_word) => wrong.push(format!("{text:?}: {id} fix {:?} lacks {fix_word:?}", fix_text(g))),
            Some(g) if g.evidence.is_empty() => wrong.push(format!("{text:?}: {id} without evidence")),
            Some(_) => {}
        }
        // Exactly one cause finding per reply.
        let causes = f.iter().filter(|f| f.id.starts_with("reply.cause.")).count();
        if causes != 1 {
            wrong.push(format!("{text:?}: {causes} cause findings"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_cause_of_the_taxonomy_is_in_the_table() {
    // A new Cause variant needs a row here (and a doc line).
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/findings.md")).unwrap();
    let documented: Vec<&str> = docs
        .split('`')
        .filter(|s| s.starts_with("reply.cause.") && !s.contains(' '))
        .collect();
    assert!(documented.len() >= 20, "{documented:?}");
    for id in documented {
        assert!(CASES.iter().any(|(_, i, _)| *i == id), "{id} documented but no reply text in the table");
    }
}

#[test]
fn no_code_only_without_any_code() {
    // Wording alone: reply.no-code (info) next to the cause.
    let f = findings(&explain("Sender address rejected: need fully-qualified address"));
    let ids: Vec<(&str, Severity)> = f.iter().map(|f| (f.id.as_str(), f.severity)).collect();
    assert_eq!(ids, [("reply.no-code", Severity::Info), ("reply.cause.address-syntax", Severity::Info)]);
    // A basic code alone, or an enhanced code alone, is a code.
    for text in ["550 Sender address rejected: need fully-qualified address", "5.5.2 Sender address rejected: need fully-qualified address"] {
        let f = findings(&explain(text));
        assert!(!f.iter().any(|f| f.id == "reply.no-code"), "{text}: {f:#?}");
    }
}

#[test]
fn hostile_texts_give_findings_not_panics() {
    let long = "5".repeat(100_000);
    for text in ["", " ", "\u{0}\u{0}", "550", "5.7.", "999 9.9.9 what", long.as_str(), "550-first\r\n550 second"] {
        let f = findings(&explain(text));
        assert_eq!(f.iter().filter(|f| f.id.starts_with("reply.cause.")).count(), 1, "{text:?}: {f:#?}");
    }
}
