//! DKIM keys (lint, selectors, CNAME delegation) and message verification against the
//! embedded authoritative server; malformed messages get a verdict, never a panic.

use std::time::{Duration, Instant};

use mailsleuth::conformance::require_data_dir;
use mailsleuth::dkim::{self, verify::SigResult};
use mailsleuth::dmarc::{message, DmarcResult};
use mailsleuth::dns::{DnsConfig, Fault, RType, Resolver, World};
use mailsleuth::finding::Severity;

/// A TXT value in zone-file syntax, split into <=250-byte strings.
fn txt(s: &str) -> String {
    s.as_bytes().chunks(250).map(|c| format!("\"{}\"", String::from_utf8_lossy(c))).collect::<Vec<_>>().join(" ")
}

fn key_file(name: &str) -> String {
    let d = require_data_dir("dkim/dkimpy-testdata");
    std::fs::read_to_string(d.join("dkim/dkimpy-testdata").join(name)).unwrap().trim().to_string()
}

const WEAK_512: &str = "v=DKIM1; k=rsa; p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBANmBe10IgY+u7h3enWTukkqtUD5PR52Tb/mPfjC0QJTocVBq6Za/PlzfV+Py92VaCak19F4WrbVTK5Gg5tW220MCAwEAAQ==";

fn zones(example_com_key: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, body: String| std::fs::write(dir.path().join(name), format!("$TTL 300\n{body}")).unwrap();
    let k1024 = key_file("test.txt");
    let k2048 = key_file("2048_testkey_wo_markers.pub.txt");
    let mut ex = String::from(
        "$ORIGIN example.com.\n@ IN A 192.0.2.1\n@ IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject\"\n",
    );
    w("esp.example.zone", "$ORIGIN esp.example.\nbounces IN TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n".to_string());
    if let Some(k) = example_com_key {
        ex.push_str(&format!("test._domainkey IN TXT {}\n", txt(k)));
    }
    w("example.com.zone", ex);
    w(
        "keys.example.zone",
        format!(
            "$ORIGIN keys.example.\n@ IN A 192.0.2.2\n\
             s2048._domainkey IN TXT {}\n\
             google._domainkey IN TXT {}\n\
             gone._domainkey IN TXT \"v=DKIM1; p=\"\n\
             tst._domainkey IN TXT {}\n\
             weak._domainkey IN TXT {}\n\
             selector1._domainkey IN CNAME selector1-keys-example._domainkey.tenant.onmicrosoft.com.\n\
             esp._domainkey IN CNAME esp.dkim.vendor.example.\n",
            txt(&k2048),
            txt(&k2048),
            txt(&k1024.replace("g=*;", "t=y;")),
            txt(WEAK_512)
        ),
    );
    w("vendor.example.zone", format!("$ORIGIN vendor.example.\nesp.dkim IN TXT {}\n", txt(&k2048)));
    dir
}

async fn world(example_com_key: Option<&str>) -> (tempfile::TempDir, World, Resolver) {
    let dir = zones(example_com_key);
    let world = World::start(dir.path()).await.unwrap();
    let cfg = DnsConfig { servers: vec![], timeout: Duration::from_millis(300), attempts: 1 };
    let r = Resolver::for_world(&world, &cfg).unwrap();
    (dir, world, r)
}

fn has(f: &[mailsleuth::finding::Finding], id: &str, sev: Severity, needle: &str) -> bool {
    f.iter().any(|f| f.id == id && f.severity == sev && f.title.contains(needle))
}

#[tokio::test]
async fn key_lint_with_given_selectors() {
    let (_d, _w, r) = world(None).await;
    let sels: Vec<String> = ["s2048", "gone", "tst", "weak", "selector1", "esp", "nosuch"].iter().map(|s| s.to_string()).collect();
    let (checks, f) = dkim::inspect_domain(&r, "keys.example", &sels).await;
    assert_eq!(checks.len(), 7);
    assert!(has(&f, "dkim.key-ok", Severity::Ok, "2048-bit RSA"), "{f:#?}");
    assert!(has(&f, "dkim.key-revoked", Severity::Error, "gone._domainkey"));
    assert!(has(&f, "dkim.key-testing", Severity::Warning, "tst._domainkey"));
    assert!(has(&f, "dkim.key-1024", Severity::Warning, "tst._domainkey"));
    assert!(has(&f, "dkim.key-weak", Severity::Error, "512-bit"));
    assert!(has(&f, "dkim.key-cname-dangling", Severity::Error, "Microsoft 365"));
    assert!(has(&f, "dkim.key-cname", Severity::Info, "esp.dkim.vendor.example"));
    assert!(has(&f, "dkim.key-missing", Severity::Error, "nosuch._domainkey"));
}

#[tokio::test]
async fn common_selectors_are_probed_and_listed() {
    let (_d, _w, r) = world(None).await;
    let (checks, f) = dkim::inspect_domain(&r, "keys.example", &[]).await;
    assert!(checks.len() >= 20);
    let found = f.iter().find(|f| f.id == "dkim.selectors-found").expect("selectors-found");
    assert!(found.title.contains("google") && !found.title.contains("selector1"));
    assert!(found.evidence[0].starts_with("tried: google, selector1, selector2"));
    // a guessed selector that is a dangling CNAME is still worth a warning
    assert!(has(&f, "dkim.key-cname-dangling", Severity::Warning, "selector1"));
    // nothing at all for a domain without keys: info, not error
    let (_, f) = dkim::inspect_domain(&r, "example.com", &[]).await;
    assert!(f.iter().any(|f| f.id == "dkim.no-common-selector" && f.severity == Severity::Info));
    assert!(!f.iter().any(|f| f.severity == Severity::Error));
}

#[tokio::test]
async fn key_lookup_failure_is_unknown() {
    let (_d, w, r) = world(None).await;
    w.inject("s2048._domainkey.keys.example", Some(RType::Txt), Fault::ServFail);
    let (_, f) = dkim::inspect_domain(&r, "keys.example", &["s2048".to_string()]).await;
    assert!(f.iter().any(|f| f.id == "dkim.key-dns-failure" && f.severity == Severity::Unknown), "{f:#?}");
    assert!(!f.iter().any(|f| f.id == "dkim.key-missing"));
}

fn signed_message() -> Vec<u8> {
    let d = require_data_dir("dmarc/authheaders/test.message_signed");
    std::fs::read(d.join("dmarc/authheaders/test.message_signed")).unwrap()
}

fn replace(raw: &[u8], from: &str, to: &str) -> Vec<u8> {
    String::from_utf8(raw.to_vec()).unwrap().replacen(from, to, 1).into_bytes()
}

#[tokio::test]
async fn verify_pass_and_precise_failures() {
    let key = key_file("test.txt");
    let (_d, _w, r) = world(Some(&key)).await;
    let raw = signed_message();
    let opts = message::VerifyOptions::default();

    let rep = message::verify(&r, &raw, &opts).await.unwrap();
    assert_eq!(rep.dkim.signatures[0].result, SigResult::Pass);
    assert_eq!(rep.dmarc_overall.result, DmarcResult::Pass);
    assert!(rep.authentication_results.contains("dkim=pass header.d=example.com header.s=test"));

    let body = replace(&raw, "This is a test message.", "This is a test message. -- footer");
    let rep = message::verify(&r, &body, &opts).await.unwrap();
    assert_eq!(rep.dkim.signatures[0].reason_id, "dkim.body-hash-mismatch");
    assert_eq!(rep.dkim.signatures[0].result, SigResult::Fail);
    assert_eq!(rep.dmarc_overall.result, DmarcResult::Fail);
    assert_eq!(rep.dmarc_overall.policy.unwrap().disposition.as_str(), "reject");
    assert!(rep.findings.iter().any(|f| f.id == "dmarc.fail" && f.severity == Severity::Error));

    let hdr = replace(&raw, "Subject: Testing", "Subject: Testing!");
    let rep = message::verify(&r, &hdr, &opts).await.unwrap();
    assert_eq!(rep.dkim.signatures[0].reason_id, "dkim.signature-mismatch");
}

#[tokio::test]
async fn verify_key_missing_and_revoked() {
    let raw = signed_message();
    let opts = message::VerifyOptions::default();
    let (_d, _w, r) = world(None).await;
    let rep = message::verify(&r, &raw, &opts).await.unwrap();
    assert_eq!(rep.dkim.signatures[0].reason_id, "dkim.key-missing");
    let (_d, _w, r) = world(Some("v=DKIM1; k=rsa; p=")).await;
    let rep = message::verify(&r, &raw, &opts).await.unwrap();
    assert_eq!(rep.dkim.signatures[0].reason_id, "dkim.key-revoked");
}

#[tokio::test]
async fn malformed_messages_get_a_verdict() {
    let key = key_file("test.txt");
    let (_d, _w, r) = world(Some(&key)).await;
    let opts = message::VerifyOptions::default();
    let raw = signed_message();

    // no From
    let m = replace(&raw, "From: Test User <test@example.com>\n", "");
    let rep = message::verify(&r, &m, &opts).await.unwrap();
    assert_eq!(rep.dmarc_overall.result, DmarcResult::PermError);
    assert!(rep.findings.iter().any(|f| f.id == "dmarc.from-invalid"));

    // several From headers
    let m = replace(&raw, "To: somebody", "From: other@example.org\nTo: somebody");
    let rep = message::verify(&r, &m, &opts).await.unwrap();
    assert!(rep.findings.iter().any(|f| f.id == "dmarc.from-multiple" && f.severity == Severity::Error));

    // 8-bit header bytes, CR-only line ends, a lone header line, empty input
    let mut m = replace(&raw, "Test User", "T\u{e9}st \u{fc}ser");
    m.extend_from_slice(&[0xff, 0xfe, b'\n']);
    assert!(message::verify(&r, &m, &opts).await.is_ok());
    let cr: Vec<u8> = raw.iter().map(|&b| if b == b'\n' { b'\r' } else { b }).collect();
    let rep = message::verify(&r, &cr, &opts).await.unwrap();
    assert_eq!(rep.dkim.signatures[0].result, SigResult::Pass, "CR-only is read as CRLF");
    let _ = message::verify(&r, b"From: a@b.example", &opts).await;
    let _ = message::verify(&r, b"", &opts).await;
    let _ = message::verify(&r, b"\r\n\r\n\r\n", &opts).await;

    // 100 signatures: each gets a verdict, quickly
    let sig_end = raw.windows(23).position(|w| w == b"Authentication-Results:").unwrap();
    let (sig, rest) = raw.split_at(sig_end);
    let mut m = Vec::new();
    for _ in 0..100 {
        m.extend_from_slice(sig);
    }
    m.extend_from_slice(rest);
    let t = Instant::now();
    let rep = message::verify(&r, &m, &opts).await.unwrap();
    assert_eq!(rep.dkim.signatures.len(), 100);
    assert!(rep.dkim.signatures.iter().all(|s| s.result == SigResult::Pass));
    assert!(t.elapsed() < Duration::from_secs(30));

    // a 50 MB body: bounded time, body hash mismatch
    let mut m = raw.clone();
    m.extend(std::iter::repeat_n(b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\n".as_slice(), 50 << 20 >> 6).flatten());
    let t = Instant::now();
    let rep = message::verify(&r, &m, &opts).await.unwrap();
    assert_eq!(rep.dkim.signatures[0].reason_id, "dkim.body-hash-mismatch");
    assert!(t.elapsed() < Duration::from_secs(60), "{:?}", t.elapsed());
}

#[test]
fn verify_and_dkim_commands() {
    let key = key_file("test.txt");
    let dir = zones(Some(&key));
    let msg = require_data_dir("dmarc/authheaders/test.message_signed").join("dmarc/authheaders/test.message_signed");
    let bin = env!("CARGO_BIN_EXE_mailsleuth");
    let out = std::process::Command::new(bin).arg("--zones").arg(dir.path()).arg("verify").arg(&msg).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("dmarc=pass"), "{text}");

    let out = std::process::Command::new(bin)
        .arg("--zones")
        .arg(dir.path())
        .args(["--json", "dkim", "keys.example", "--selector", "gone", "-s", "s2048"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["tried"], serde_json::json!(["gone", "s2048"]));

    let out = std::process::Command::new(bin).args(["verify", "/nonexistent/message.eml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn verify_with_ip_evaluates_spf_and_explains_alignment() {
    let (_d, _w, r) = world(None).await;
    let raw = signed_message();
    // no key published: DKIM fails, so DMARC rests on SPF alignment
    let mut opts = message::VerifyOptions {
        ip: Some("198.51.100.7".parse().unwrap()),
        helo: Some("mta.esp.example".into()),
        mail_from: Some("x@bounces.esp.example".into()),
    };
    let rep = message::verify(&r, &raw, &opts).await.unwrap();
    let spf = rep.spf.as_ref().unwrap();
    assert_eq!((spf.result.as_str(), spf.domain.as_str()), ("pass", "bounces.esp.example"));
    assert!(spf.source.contains("mailsleuth's SPF evaluator"), "{}", spf.source);
    assert_eq!(rep.dmarc_overall.result, DmarcResult::Fail);
    assert!(rep.dmarc_overall.checks[0].explanation.contains("organizational domains esp.example ≠ example.com"));
    // an aligned return-path from an authorised IP passes DMARC without DKIM
    opts.ip = Some("192.0.2.9".parse().unwrap());
    opts.mail_from = Some("bounce@example.com".into());
    let rep = message::verify(&r, &raw, &opts).await.unwrap();
    assert_eq!(rep.dmarc_overall.result, DmarcResult::Pass);
}

#[test]
fn dkim_command_takes_selectors_from_a_message() {
    let dir = zones(None);
    let tmp = tempfile::tempdir().unwrap();
    let msg = tmp.path().join("m.eml");
    let raw = String::from_utf8(signed_message()).unwrap().replace("d=example.com", "d=keys.example").replace("s=test", "s=gone");
    std::fs::write(&msg, raw).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .arg("--zones")
        .arg(dir.path())
        .args(["--json", "dkim", "keys.example", "--message"])
        .arg(&msg)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The message's selector first, then the common provider selectors (issue 4 item 3).
    let tried: Vec<&str> = doc["tried"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(&tried[..4], ["gone", "google", "selector1", "selector2"], "{tried:?}");
    assert_eq!(tried.len(), 1 + dkim::selectors::COMMON_SELECTORS.len());
    let findings = doc["findings"].as_array().unwrap();
    assert!(findings.iter().any(|f| f["id"] == "dkim.key-revoked" && f["severity"] == "error"));
    // google holds a key: found among the common ones.
    assert!(findings.iter().any(|f| f["id"] == "dkim.selectors-found" && f["title"].as_str().unwrap().contains("google")), "{findings:#?}");
    assert_eq!(out.status.code(), Some(1));
    assert!(!findings.iter().any(|f| f["id"] == "dkim.message-other-domain"), "{findings:#?}");

    // Asked about another domain than the message's d=: said so, with the command to run.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .arg("--zones")
        .arg(dir.path())
        .args(["--json", "dkim", "other.example", "--message"])
        .arg(&msg)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let note = doc["findings"].as_array().unwrap().iter().find(|f| f["id"] == "dkim.message-other-domain").expect("dkim.message-other-domain");
    assert_eq!(note["severity"], "info");
    assert_eq!(note["title"], "The message is signed for d=keys.example, not other.example");
    assert!(note["fix"].to_string().contains("mailsleuth dkim keys.example --message"), "{note:#}");
}

/// When every selector lookup fails, the summary says "could not check", never "no key found".
#[tokio::test]
async fn every_selector_lookup_failing_is_could_not_check() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("down.example.zone"), "$ORIGIN down.example.\n$TTL 300\n@ IN MX 10 mx\nmx IN A 192.0.2.9\n").unwrap();
    let world = World::start(dir.path()).await.unwrap();
    world.inject("_domainkey.down.example", None, Fault::ServFail);
    let r = Resolver::for_world(&world, &DnsConfig { servers: vec![], timeout: Duration::from_millis(500), attempts: 1 }).unwrap();
    let (_, findings) = dkim::inspect_domain(&r, "down.example", &[]).await;
    assert!(!findings.iter().any(|f| f.title.contains("No DKIM key found")), "{findings:#?}");
    let summary = findings.iter().find(|f| f.id == "dkim.selectors-unchecked").unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!(summary.severity, Severity::Unknown);
    assert!(summary.title.starts_with("Could not check DKIM keys for down.example"), "{}", summary.title);
    // Some lookups failing: the count found nothing at says how many were really checked.
    world.clear_faults();
    world.inject("google._domainkey.down.example", None, Fault::ServFail);
    let r = Resolver::for_world(&world, &DnsConfig { servers: vec![], timeout: Duration::from_millis(500), attempts: 1 }).unwrap();
    let (_, findings) = dkim::inspect_domain(&r, "down.example", &[]).await;
    let summary = findings.iter().find(|f| f.id == "dkim.no-common-selector").unwrap_or_else(|| panic!("{findings:#?}"));
    assert!(summary.title.contains("at 31 of 32 common selectors (1 could not be checked)"), "{}", summary.title);
}
