//! Unit tables for the DKIM and DMARC findings (docs/findings.md, dkim and dmarc
//! sections): key records and DMARC records published in zone files on the embedded
//! authoritative server (src/dns/world.rs) and read back through the real checks
//! (`dkim::inspect_domain`, `dmarc::inspect`, `dmarc::evaluate_for`, `dmarc::diagnose`,
//! `dmarc::message::verify`); each id with its documented severity.

#[path = "support/dkim_key.rs"]
mod dkim_key;
use dkim_key::{public_record, signing_key};

use std::time::Duration;

use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use mailsleuth::diagnose::Context;
use mailsleuth::dmarc::{self, message};
use mailsleuth::dns::{DnsConfig, Fault, RType, Resolver, World};
use mailsleuth::finding::{Finding, Fix, Severity};

/// A 2048-bit RSA public key (SubjectPublicKeyInfo), generated for these tests.
const P2048: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAoicypVg19eT5n7lVTeVKYd9Rcnbpe+kzIP3awHKyK8BmI/zs4LqvUK0v7dmZ5U/H0XLN7WENdKsyoFkx+A8BFtW+9hXt6m9U8V/W/OM4KcPCxrp8CtmLHVWz/HJP8pseLBu7cOXYhDLcng96Ha9GMgfxFxlA/eKbgKT7Xh8PP7NF8l5+xvQqKBLuzsm3auFhThr77srUTTOf8Oe9ZvGmV0BgkzLmTxZd1ObBGBswY7bbznfaIDolziB/egbX82bNJiWG8kHusna/jtTjiR6AyvO0NpPfoEaYr1TYWk19v+1eERV1KveUD08oZkIYDA0B5r5fbcWkpRGprPPFX2STOQIDAQAB";

/// A TXT value in zone-file syntax, split into <=250-byte strings.
fn txt(s: &str) -> String {
    s.as_bytes().chunks(250).map(|c| format!("\"{}\"", String::from_utf8_lossy(c))).collect::<Vec<_>>().join(" ")
}

/// (selector, key record, id, severity, a word of the fix or "")
fn key_cases() -> Vec<(&'static str, String, &'static str, Severity, &'static str)> {
    vec![
        ("hash", format!("v=DKIM1; k=rsa; h=sha1; p={P2048}"), "dkim.key-hash", Severity::Error, "h=sha256"),
        ("service", format!("v=DKIM1; k=rsa; s=other; p={P2048}"), "dkim.key-service", Severity::Error, "email"),
        ("strict", format!("v=DKIM1; k=rsa; t=s; p={P2048}"), "dkim.key-strict-identity", Severity::Info, ""),
        ("nop", "v=DKIM1; k=rsa".to_string(), "dkim.key-syntax", Severity::Error, "as the signer generated it"),
        ("b64", "v=DKIM1; k=rsa; p=!!!!".to_string(), "dkim.key-syntax", Severity::Error, "as the signer generated it"),
        ("notrsa", "v=DKIM1; k=rsa; p=aGVsbG8gd29ybGQ=".to_string(), "dkim.key-syntax", Severity::Error, "as the signer generated it"),
        ("notag", format!("v=DKIM1; k=rsa; junk; p={P2048}"), "dkim.key-syntax", Severity::Error, "as the signer generated it"),
        ("dup", format!("v=DKIM1; k=rsa; k=rsa; p={P2048}"), "dkim.key-syntax", Severity::Error, "as the signer generated it"),
        ("dsa", format!("v=DKIM1; k=dsa; p={P2048}"), "dkim.key-type", Severity::Error, "k=rsa"),
        ("v2", format!("v=DKIM2; k=rsa; p={P2048}"), "dkim.key-version", Severity::Error, "v=DKIM1"),
        ("vlast", format!("k=rsa; p={P2048}; v=DKIM1"), "dkim.key-version", Severity::Error, "v=DKIM1"),
    ]
}

fn zones() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, body: String| std::fs::write(dir.path().join(name), format!("$TTL 300\n{body}")).unwrap();
    let mut keys = String::from("$ORIGIN keys.example.\n@ IN A 192.0.2.2\n");
    for (sel, rec, ..) in key_cases() {
        keys.push_str(&format!("{sel}._domainkey IN TXT {}\n", txt(&rec)));
    }
    keys.push_str(&format!("multi._domainkey IN TXT {}\nmulti._domainkey IN TXT \"v=DKIM1; k=rsa; p=\"\n", txt(&format!("v=DKIM1; k=rsa; p={P2048}"))));
    keys.push_str(&format!("good._domainkey IN TXT {}\n", txt(&format!("v=DKIM1; k=rsa; p={P2048}"))));
    w("keys.example.zone", keys);
    // DMARC records, one oddity each (the lint ids), plus a clean one.
    let dmarc = [
        ("clean", "v=DMARC1; p=reject; rua=mailto:d@clean.example"),
        ("dup", "v=DMARC1; p=reject; p=none; rua=mailto:d@dup.example"),
        ("badp", "v=DMARC1; p=bounce; rua=mailto:d@badp.example"),
        ("badpct", "v=DMARC1; p=reject; pct=150; rua=mailto:d@badpct.example"),
        ("nop", "v=DMARC1; rua=mailto:d@nop.example"),
        ("nopnorua", "v=DMARC1; adkim=s"),
        ("syntax", "v=DMARC1; p=reject; reject; rua=mailto:d@syntax.example"),
        ("monitor", "v=DMARC1; p=none; rua=mailto:d@monitor.example"),
        ("style", "v=DMARC1; p=reject;; rua=mailto:d@style.example"),
        ("iodef", "v=DMARC1; p=reject; rf=iodef; rua=mailto:d@iodef.example"),
        ("fo", "v=DMARC1; p=reject; fo=1; rua=mailto:d@fo.example"),
        ("https", "v=DMARC1; p=reject; rua=https://reports.example/dmarc"),
        ("badsize", "v=DMARC1; p=reject; rua=mailto:d@badsize.example!10q"),
        ("norua", "v=DMARC1; p=reject"),
        ("testing", "v=DMARC1; p=reject; t=y; rua=mailto:d@testing.example"),
        ("typo", "v=DMARC1; p=reject; rua=mailto:d@typo.example; adkm=s"),
        ("extrep", "v=DMARC1; p=reject; rua=mailto:agg@flaky.example"),
    ];
    for (d, rec) in dmarc {
        w(&format!("{d}.example.zone"), format!("$ORIGIN {d}.example.\n@ IN A 192.0.2.3\n@ IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n_dmarc IN TXT {}\n", txt(rec)));
    }
    w("flaky.example.zone", "$ORIGIN flaky.example.\n@ IN A 192.0.2.4\n".to_string());
    // For verify: example.com's test key is published by the signing test itself.
    dir
}

async fn world() -> (tempfile::TempDir, World, Resolver) {
    let dir = zones();
    let world = World::start(dir.path()).await.unwrap();
    let cfg = DnsConfig { servers: vec![], timeout: Duration::from_millis(300), attempts: 1 };
    let r = Resolver::for_world(&world, &cfg).unwrap();
    (dir, world, r)
}

fn fix_text(f: &Finding) -> String {
    match &f.fix {
        Some(Fix::Setting { text }) => text.clone(),
        Some(Fix::DnsRecord { name, value, .. }) => format!("{name} {value}"),
        None => String::new(),
    }
}

/// The finding `id` among `f`, with `sev` and a fix holding `fix_word`; else why not.
fn check(f: &[Finding], what: &str, id: &str, sev: Severity, fix_word: &str) -> Option<String> {
    let Some(x) = f.iter().find(|f| f.id == id) else {
        return Some(format!("{what}: no {id} in {:?}", f.iter().map(|f| (&f.id, f.severity)).collect::<Vec<_>>()));
    };
    if x.severity != sev {
        return Some(format!("{what}: {id} is {:?}, documented {sev:?}", x.severity));
    }
    if !fix_text(x).contains(fix_word) {
        return Some(format!("{what}: {id} fix {:?} lacks {fix_word:?}", fix_text(x)));
    }
    None
}

#[tokio::test]
async fn dkim_key_record_findings() {
    let (_d, _w, r) = world().await;
    let mut wrong = Vec::new();
    for (sel, rec, id, sev, fix_word) in key_cases() {
        let (_, f) = mailsleuth::dkim::inspect_domain(&r, "keys.example", &[sel.to_string()]).await;
        wrong.extend(check(&f, &format!("{sel} {rec:?}"), id, sev, fix_word));
        // An error-level key problem means the key is not reported usable.
        if sev == Severity::Error && f.iter().any(|f| f.id == "dkim.key-ok") {
            wrong.push(format!("{sel}: dkim.key-ok beside {id}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn dkim_key_multiple_and_a_clean_key() {
    let (_d, _w, r) = world().await;
    let (_, f) = mailsleuth::dkim::inspect_domain(&r, "keys.example", &["multi".to_string()]).await;
    let m = f.iter().find(|f| f.id == "dkim.key-multiple").unwrap_or_else(|| panic!("{f:#?}"));
    assert_eq!(m.severity, Severity::Warning);
    assert_eq!(m.evidence.len(), 2, "both records in the evidence: {:?}", m.evidence);
    assert!(fix_text(m).contains("one record"), "{:?}", m.fix);
    // A single clean 2048-bit key: key-ok and nothing of the above.
    let (_, f) = mailsleuth::dkim::inspect_domain(&r, "keys.example", &["good".to_string()]).await;
    let ids: Vec<(&str, Severity)> = f.iter().map(|f| (f.id.as_str(), f.severity)).collect();
    assert_eq!(ids, [("dkim.key-ok", Severity::Ok)]);
}

// ---- DKIM signatures (mailsleuth verify) ----

const MESSAGE: &str = "From: Shop <billing@example.com>\r\nTo: someone@example.org\r\nSubject: Invoice 42\r\nDate: Thu, 03 Dec 2026 10:00:00 +0000\r\nMessage-ID: <42@example.com>\r\n\r\nYour invoice is attached.\r\n";



fn signed(auid: Option<&str>) -> Vec<u8> {
    let mut s = DkimSigner::from_key(signing_key()).domain("example.com").selector("test").headers(["From", "To", "Subject", "Date"]);
    if let Some(i) = auid {
        s = s.agent_user_identifier(i);
    }
    let sig = s.sign(MESSAGE.as_bytes()).unwrap();
    let mut out = sig.to_header().into_bytes();
    out.extend_from_slice(MESSAGE.as_bytes());
    out
}

/// A world holding example.com (with `key` at test._domainkey) and its DMARC record.
async fn example_com(key: &str) -> (tempfile::TempDir, World, Resolver) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("example.com.zone"),
        format!(
            "$TTL 300\n$ORIGIN example.com.\n@ IN A 192.0.2.1\n@ IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject\"\ntest._domainkey IN TXT {}\n",
            txt(key)
        ),
    )
    .unwrap();
    let world = World::start(dir.path()).await.unwrap();
    let cfg = DnsConfig { servers: vec![], timeout: Duration::from_millis(300), attempts: 1 };
    let r = Resolver::for_world(&world, &cfg).unwrap();
    (dir, world, r)
}

async fn verify(r: &Resolver, raw: &[u8]) -> Vec<Finding> {
    let opts = message::VerifyOptions { ip: None, helo: None, mail_from: None };
    message::verify(r, raw, &opts).await.expect("a message").findings
}

#[tokio::test]
async fn dkim_signature_findings() {
    let key = public_record();
    let (_d, _w, r) = example_com(&key).await;
    let mut wrong = Vec::new();
    // Sanity: the same signer, untouched, passes (so the cases below fail for their reason).
    wrong.extend(check(&verify(&r, &signed(None)).await, "untouched", "dkim.pass", Severity::Ok, ""));
    wrong.extend(check(&verify(&r, &signed(Some("billing@other.example"))).await, "i= outside d=", "dkim.identity-mismatch", Severity::Error, "i= equal to d="));
    let malformed: &[(&str, &[u8])] = &[
        ("garbage", b"DKIM-Signature: this is not a signature\r\n"),
        ("v=2", b"DKIM-Signature: v=2; a=rsa-sha256; d=example.com; s=test; h=from; bh=AAAA; b=AAAA\r\n"),
        ("c=odd", b"DKIM-Signature: v=1; a=rsa-sha256; c=odd/odd; d=example.com; s=test; h=from; bh=AAAA; b=AAAA\r\n"),
        ("bad d=", b"DKIM-Signature: v=1; a=rsa-sha256; d=exa mple..com; s=test; h=from; bh=AAAA; b=AAAA\r\n"),
    ];
    for (what, header) in malformed {
        let mut raw = header.to_vec();
        raw.extend_from_slice(MESSAGE.as_bytes());
        wrong.extend(check(&verify(&r, &raw).await, what, "dkim.signature-malformed", Severity::Error, "signer's configuration"));
    }
    let f = verify(&r, MESSAGE.as_bytes()).await;
    wrong.extend(check(&f, "unsigned", "dkim.no-signature", Severity::Warning, "Enable DKIM signing"));
    if f.iter().any(|f| f.id == "dkim.signature-malformed" || f.id == "dkim.pass") {
        wrong.push(format!("unsigned: signature findings {f:#?}"));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn dkim_strict_identity_key_refuses_a_subdomain_identity() {
    // t=s: i= must be exactly d=; a subdomain identity fails as identity-mismatch.
    let key = public_record().replace("v=DKIM1;", "v=DKIM1; t=s;");
    let (_d, _w, r) = example_com(&key).await;
    let f = verify(&r, &signed(Some("billing@mail.example.com"))).await;
    assert!(check(&f, "t=s", "dkim.identity-mismatch", Severity::Error, "").is_none(), "{f:#?}");
    // The same identity under a key without t=s verifies.
    let (_d2, _w2, r2) = example_com(&public_record()).await;
    let f = verify(&r2, &signed(Some("billing@mail.example.com"))).await;
    assert!(check(&f, "no t=s", "dkim.pass", Severity::Ok, "").is_none(), "{f:#?}");
}

#[tokio::test]
async fn dkim_key_invalid_when_the_verifier_cannot_use_the_key() {
    // Valid base64, not a public key: the verifier's key parser refuses it.
    let (_d, _w, r) = example_com("v=DKIM1; k=rsa; p=aGVsbG8gd29ybGQ=").await;
    let f = verify(&r, &signed(None)).await;
    assert!(check(&f, "bad DER", "dkim.key-invalid", Severity::Error, "as the signer generated it").is_none(), "{f:#?}");
}

// ---- DMARC ----

/// (domain, id, severity, a word of the fix or "")
const DMARC_CASES: &[(&str, &str, Severity, &str)] = &[
    ("clean.example", "dmarc.policy", Severity::Info, ""),
    ("dup.example", "dmarc.duplicate-tag", Severity::Warning, "Keep one of each tag"),
    ("badp.example", "dmarc.invalid-value", Severity::Error, "valid value"),
    ("badpct.example", "dmarc.invalid-value", Severity::Warning, "valid value"),
    ("nop.example", "dmarc.p-missing", Severity::Error, "p=none"),
    ("nopnorua.example", "dmarc.p-missing", Severity::Error, "p=none"),
    ("monitor.example", "dmarc.policy-monitoring", Severity::Info, "quarantine"),
    ("style.example", "dmarc.record-style", Severity::Info, ""),
    ("iodef.example", "dmarc.record-style", Severity::Info, ""),
    ("fo.example", "dmarc.record-style", Severity::Info, ""),
    ("https.example", "dmarc.report-uri", Severity::Warning, "mailto:"),
    ("badsize.example", "dmarc.report-uri", Severity::Warning, "mailto:"),
    ("norua.example", "dmarc.rua-missing", Severity::Info, "rua=mailto:"),
    ("testing.example", "dmarc.testing", Severity::Info, "t=y"),
    ("typo.example", "dmarc.unknown-tag", Severity::Info, "Remove or correct"),
    ("syntax.example", "dmarc.record-syntax", Severity::Error, "tag=value"),
];

#[tokio::test]
async fn dmarc_record_findings() {
    let (_d, _w, r) = world().await;
    let mut wrong = Vec::new();
    for (domain, id, sev, fix_word) in DMARC_CASES {
        let rep = dmarc::inspect(&r, domain).await;
        wrong.extend(check(&rep.findings, domain, id, *sev, fix_word));
    }
    // The clean record has nothing but its policy.
    let rep = dmarc::inspect(&r, "clean.example").await;
    let ids: Vec<&str> = rep.findings.iter().map(|f| f.id.as_str()).collect();
    if ids != ["dmarc.policy"] {
        wrong.push(format!("clean.example: {ids:?}"));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn dmarc_verdict_findings() {
    let (_d, _w, r) = world().await;
    // SPF passed for the From domain itself: aligned, pass.
    let v = dmarc::evaluate_for(&r, "clean.example", Some(("clean.example", true)), &[]).await;
    assert!(check(&v.findings, "aligned SPF pass", "dmarc.pass", Severity::Ok, "").is_none(), "{:#?}", v.findings);
    // An aligned DKIM pass alone also passes.
    let v = dmarc::evaluate_for(&r, "clean.example", Some(("esp.example", true)), &["clean.example".to_string()]).await;
    assert!(check(&v.findings, "aligned DKIM pass", "dmarc.pass", Severity::Ok, "").is_none(), "{:#?}", v.findings);
    // A tag that is not name=value: permerror, whatever SPF says.
    let v = dmarc::evaluate_for(&r, "syntax.example", Some(("syntax.example", true)), &[]).await;
    assert!(check(&v.findings, "syntax", "dmarc.permerror", Severity::Error, "tag=value").is_none(), "{:#?}", v.findings);
    assert!(!v.findings.iter().any(|f| f.id == "dmarc.pass"), "{:#?}", v.findings);
}

#[tokio::test]
async fn dmarc_dkim_unverified_when_only_an_unverified_signature_could_align() {
    let (_d, _w, r) = world().await;
    // 203.0.113.9 is outside clean.example's SPF (-all): SPF fails; a signature with
    // d=clean.example was seen but not verified, so the verdict stays open.
    let mut c = Context::new(r.clone(), "billing@clean.example");
    c.ip = Some("203.0.113.9".parse().unwrap());
    c.dkim_domains = vec!["clean.example".to_string()];
    let f = dmarc::diagnose(&c).await;
    assert!(check(&f, "unverified aligned DKIM", "dmarc.dkim-unverified", Severity::Unknown, "mailsleuth verify").is_none(), "{f:#?}");
    assert!(!f.iter().any(|f| f.id == "dmarc.fail" || f.id == "dmarc.pass"), "{f:#?}");
    // Without the signature the verdict is a plain fail.
    c.dkim_domains.clear();
    let f = dmarc::diagnose(&c).await;
    assert!(check(&f, "no DKIM", "dmarc.fail", Severity::Error, "").is_none(), "{f:#?}");
    assert!(!f.iter().any(|f| f.id == "dmarc.dkim-unverified"), "{f:#?}");
}

#[tokio::test]
async fn dmarc_report_auth_unknown_on_a_dns_failure() {
    let (_d, w, r) = world().await;
    w.inject("extrep.example._report._dmarc.flaky.example", Some(RType::Txt), Fault::ServFail);
    let rep = dmarc::inspect(&r, "extrep.example").await;
    assert!(check(&rep.findings, "SERVFAIL", "dmarc.report-auth-unknown", Severity::Unknown, "Retry").is_none(), "{:#?}", rep.findings);
    assert!(!rep.findings.iter().any(|f| f.id == "dmarc.report-unauthorized"), "a failure is not a refusal: {:#?}", rep.findings);
    // Answered and absent: unauthorized, not unknown.
    w.clear_faults();
    let rep = dmarc::inspect(&Resolver::for_world(&w, &DnsConfig { servers: vec![], timeout: Duration::from_millis(300), attempts: 1 }).unwrap(), "extrep.example").await;
    assert!(check(&rep.findings, "NXDOMAIN", "dmarc.report-unauthorized", Severity::Warning, "").is_none(), "{:#?}", rep.findings);
}

/// RFC 6376 §5.4 / §6.1.1: the From header field MUST be signed; a signature whose h=
/// leaves it out is PERMFAIL ("From field not signed"), whatever the crypto says, and
/// DMARC must not count it as an aligned DKIM pass.
#[tokio::test]
async fn dkim_signature_without_from_in_h_is_a_permerror_and_not_a_dmarc_pass() {
    let key = public_record();
    let (_d, _w, r) = example_com(&key).await;
    let sig = DkimSigner::from_key(signing_key()).domain("example.com").selector("test").headers(["To", "Subject", "Date"]).sign(MESSAGE.as_bytes()).unwrap();
    let mut raw = sig.to_header().into_bytes();
    raw.extend_from_slice(MESSAGE.as_bytes());
    let opts = message::VerifyOptions { ip: None, helo: None, mail_from: None };
    let rep = message::verify(&r, &raw, &opts).await.expect("a message");
    let s = &rep.dkim.signatures[0];
    assert_eq!(s.result, mailsleuth::dkim::verify::SigResult::PermError, "{s:#?}");
    assert_eq!(s.reason_id, "dkim.from-not-signed");
    assert!(s.reason.contains("From header not signed (RFC 6376 §5.4)"), "{}", s.reason);
    assert!(rep.dkim.passing_domains().is_empty());
    assert!(check(&rep.findings, "h= without From", "dkim.from-not-signed", Severity::Error, "From").is_none(), "{:#?}", rep.findings);
    assert!(!rep.findings.iter().any(|f| f.id == "dkim.pass" || f.id == "dmarc.pass"), "{:#?}", rep.findings);
    assert!(rep.authentication_results.contains("dkim=permerror"), "{}", rep.authentication_results);
    assert!(rep.authentication_results.contains("dmarc=fail"), "{}", rep.authentication_results);
}

/// A DMARC record that could not be looked up (SERVFAIL): dmarc=temperror, and no
/// policy.dmarc, since no record (hence no policy) was retrieved. A From without any
/// domain has no record either.
#[tokio::test]
async fn dmarc_temperror_has_no_policy_in_authentication_results() {
    let key = public_record();
    let (_d, w, r) = example_com(&key).await;
    w.inject("_dmarc.example.com", Some(RType::Txt), Fault::ServFail);
    let opts = message::VerifyOptions { ip: None, helo: None, mail_from: None };
    let rep = message::verify(&r, &signed(None), &opts).await.expect("a message");
    let ar = &rep.authentication_results;
    assert!(ar.contains("dmarc=temperror"), "{ar}");
    assert!(!ar.contains("policy.dmarc"), "{ar}");
    assert!(ar.contains("header.from=example.com"), "{ar}");
    let rep = message::verify(&r, b"From: Test User\r\nSubject: x\r\n\r\nbody\r\n", &opts).await.expect("a message");
    assert!(rep.authentication_results.contains("dmarc=permerror"), "{}", rep.authentication_results);
    assert!(!rep.authentication_results.contains("policy.dmarc"), "{}", rep.authentication_results);
}

/// A From header with addresses in two domains: DMARC is evaluated per domain and the
/// overall verdict is the worst (RFC 7489 §6.6.1; authheaders: cases mult_from and
/// mult_from2). The findings and Authentication-Results say the same thing.
#[tokio::test]
async fn multi_domain_from_has_one_consistent_verdict() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("example.com.zone"),
        format!("$TTL 300\n$ORIGIN example.com.\n@ IN A 192.0.2.1\n_dmarc IN TXT \"v=DMARC1; p=reject\"\ntest._domainkey IN TXT {}\n", txt(&public_record())),
    )
    .unwrap();
    std::fs::write(dir.path().join("attacker.example.zone"), "$TTL 300\n$ORIGIN attacker.example.\n@ IN A 192.0.2.66\n").unwrap();
    let world = World::start(dir.path()).await.unwrap();
    let r = Resolver::for_world(&world, &DnsConfig { servers: vec![], timeout: Duration::from_millis(300), attempts: 1 }).unwrap();
    let msg = MESSAGE.replace("From: Shop <billing@example.com>", "From: billing@example.com, z@attacker.example");
    let sig = DkimSigner::from_key(signing_key()).domain("example.com").selector("test").headers(["From", "To", "Subject", "Date"]).sign(msg.as_bytes()).unwrap();
    let mut raw = sig.to_header().into_bytes();
    raw.extend_from_slice(msg.as_bytes());
    let opts = message::VerifyOptions { ip: None, helo: None, mail_from: None };
    let rep = message::verify(&r, &raw, &opts).await.expect("a message");
    assert_eq!(rep.from_domains, vec!["example.com", "attacker.example"]);
    assert_eq!(rep.dmarc_overall.result, dmarc::DmarcResult::None);
    assert_eq!(rep.dmarc_overall.from_domain, "attacker.example");
    let ar = &rep.authentication_results;
    assert!(ar.contains("dmarc=none"), "{ar}");
    assert!(ar.contains("worst of 2 From domains: example.com=pass, attacker.example=none"), "{ar}");
    let m = rep.findings.iter().find(|f| f.id == "dmarc.from-multiple").expect("dmarc.from-multiple");
    assert!(m.title.contains("overall DMARC result is the worst: none (attacker.example)"), "{}", m.title);
    let p = rep.findings.iter().find(|f| f.id == "dmarc.pass").expect("dmarc.pass");
    assert!(p.title.contains("DMARC passes for example.com, one of 2 From domains; overall: none (attacker.example)"), "{}", p.title);
}
