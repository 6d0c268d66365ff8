//! Unit table for the address findings (docs/findings.md, address section): each id with
//! its documented severity, driven through the real check (`mailsleuth::address::check`)
//! with a crafted sender text.

use mailsleuth::address::check;
use mailsleuth::finding::{Finding, Fix, Severity};

fn fix_text(f: &Finding) -> String {
    match &f.fix {
        Some(Fix::Setting { text }) => text.clone(),
        Some(Fix::DnsRecord { name, value, .. }) => format!("{name} {value}"),
        None => String::new(),
    }
}

/// (address, id, severity, a word of the fix or "" when the id documents none)
const CASES: &[(&str, &str, Severity, &str)] = &[
    ("billing@shop.example", "address.ok", Severity::Ok, ""),
    ("\"Shop\" <billing@shop.example>", "address.ok", Severity::Ok, ""),
    ("info@bücher.example", "address.idn", Severity::Info, ""),
    ("billing@[192.0.2.1]", "address.literal", Severity::Warning, "registered domain"),
    ("billing@[IPv6:2001:db8::1]", "address.literal", Severity::Warning, "registered domain"),
    ("billing@localhost", "address.non-fqdn", Severity::Error, "myorigin"),
    ("jörg@shop.example", "address.smtputf8", Severity::Warning, "ASCII local part"),
    ("billing@shop_example.com", "address.syntax", Severity::Error, "local-part@domain"),
    ("@shop.example", "address.syntax", Severity::Error, "local-part@domain"),
    ("a..b@shop.example", "address.syntax", Severity::Error, "local-part@domain"),
    ("billing", "address.syntax", Severity::Error, "local-part@domain"),
    ("", "address.syntax", Severity::Error, "local-part@domain"),
];

#[test]
fn every_address_finding_with_its_severity() {
    let mut wrong = Vec::new();
    for (raw, id, sev, fix_word) in CASES {
        let f = check(raw);
        match f.iter().find(|f| f.id == *id) {
            None => wrong.push(format!("{raw:?}: no {id} in {:?}", f.iter().map(|f| &f.id).collect::<Vec<_>>())),
            Some(x) if x.severity != *sev => wrong.push(format!("{raw:?}: {id} is {:?}, documented {:?}", x.severity, sev)),
            Some(x) if !fix_text(x).contains(fix_word) => wrong.push(format!("{raw:?}: {id} fix {:?} lacks {fix_word:?}", fix_text(x))),
            Some(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn ok_only_when_nothing_is_wrong() {
    // address.ok accompanies info findings (IDN), never warnings or errors.
    let ids = |raw: &str| check(raw).into_iter().map(|f| f.id).collect::<Vec<_>>();
    assert_eq!(ids("info@bücher.example"), ["address.ok", "address.idn"]);
    for raw in ["billing@[192.0.2.1]", "billing@localhost", "jörg@shop.example", "billing@shop_example.com"] {
        assert!(!ids(raw).contains(&"address.ok".to_string()), "{raw}: {:?}", ids(raw));
    }
}

#[test]
fn idn_shows_the_a_label() {
    let f = check("info@bücher.example");
    let idn = f.iter().find(|f| f.id == "address.idn").unwrap();
    assert!(idn.title.contains("xn--bcher-kva.example"), "{}", idn.title);
}

#[test]
fn syntax_evidence_points_at_the_position() {
    let f = check("billing@shop_example.com");
    assert_eq!(f.len(), 1);
    assert!(f[0].evidence.iter().any(|e| e.contains('^') && e.contains("position")), "{:?}", f[0].evidence);
}

#[test]
fn hostile_input_gives_a_finding_not_a_panic() {
    let long_local = format!("{}@shop.example", "a".repeat(65));
    let long_domain = format!("a@{}.example", "b".repeat(300));
    for raw in [long_local.as_str(), long_domain.as_str(), "\u{0}@x.example", "a@b@c.example", "<<>>", "a@", "a@[999.1.1.1]"] {
        let f = check(raw);
        assert!(f.iter().any(|f| f.id == "address.syntax" && f.severity == Severity::Error), "{raw:?}: {f:#?}");
    }
}
