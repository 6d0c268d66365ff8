//! `mailsleuth verify` on the RFC 6376 sample message (Ed25519, dkimpy's test data)
//! against the embedded authoritative server: SPF from the project's own evaluator,
//! line endings normalised once for DKIM and DMARC alike, precise DKIM reasons.

use std::time::Duration;

use mailsleuth::conformance::require_data_dir;
use mailsleuth::dkim::verify::SigResult;
use mailsleuth::dmarc::{message, DmarcResult};
use mailsleuth::dns::{DnsConfig, Resolver, World};

fn testdata(name: &str) -> Vec<u8> {
    let d = require_data_dir("dkim/dkimpy-testdata");
    std::fs::read(d.join("dkim/dkimpy-testdata").join(name)).unwrap()
}

/// The public half of dkimpy's rfc8032_7_1.key, as RFC 8463 §A.2 publishes it.
const BRISBANE: &str = "k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

/// football.example.com with the Ed25519 key `brisbane`, a reject policy and SPF
/// records (one of them with a term RFC 7208 calls a syntax error).
fn zones() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let key = BRISBANE;
    let zone = format!(
        "$ORIGIN football.example.com.\n$TTL 300\n@ IN A 192.0.2.1\n\
         @ IN TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n\
         bad IN TXT \"v=spf1 ip4:999.1.1.1 ip4:198.51.100.0/24 -all\"\n\
         _dmarc IN TXT \"v=DMARC1; p=reject\"\n\
         brisbane._domainkey IN TXT \"v=DKIM1; {key}\"\n"
    );
    std::fs::write(dir.path().join("football.example.com.zone"), zone).unwrap();
    dir
}

async fn world() -> (tempfile::TempDir, World, Resolver) {
    let dir = zones();
    let w = World::start(dir.path()).await.unwrap();
    let cfg = DnsConfig { servers: vec![], timeout: Duration::from_millis(300), attempts: 1 };
    let r = Resolver::for_world(&w, &cfg).unwrap();
    (dir, w, r)
}

/// The sample with only the Ed25519 signature (the RSA one's key is not published).
fn sample() -> Vec<u8> {
    let raw = String::from_utf8(testdata("rfc6376.signed.msg")).unwrap();
    let second = raw[1..].find("DKIM-Signature:").unwrap() + 1;
    let from = raw.find("From:").unwrap();
    format!("{}{}", &raw[..second], &raw[from..]).into_bytes()
}

fn brisbane(rep: &message::MessageReport) -> &mailsleuth::dkim::verify::SignatureReport {
    rep.dkim.signatures.iter().find(|s| s.selector == "brisbane").expect("brisbane signature")
}

#[tokio::test]
async fn ed25519_sample_passes_dkim_and_dmarc() {
    let (_d, _w, r) = world().await;
    let rep = message::verify(&r, &sample(), &message::VerifyOptions::default()).await.unwrap();
    assert_eq!(brisbane(&rep).result, SigResult::Pass, "{}", brisbane(&rep).reason);
    assert_eq!(rep.dmarc_overall.result, DmarcResult::Pass);
}

#[tokio::test]
async fn cr_only_line_endings_are_one_message_for_dkim_and_dmarc() {
    let (_d, _w, r) = world().await;
    let cr: Vec<u8> = sample().iter().map(|&b| if b == b'\n' { b'\r' } else { b }).collect();
    let rep = message::verify(&r, &cr, &message::VerifyOptions::default()).await.unwrap();
    assert_eq!(brisbane(&rep).result, SigResult::Pass, "{}", brisbane(&rep).reason);
    assert_eq!(rep.from_headers, 1);
    assert_eq!(rep.from_domains, vec!["football.example.com".to_string()]);
    assert_eq!(rep.dmarc_overall.result, DmarcResult::Pass, "{}", rep.dmarc_overall.comment);
    let (n, addrs) = message::from_addresses(&cr);
    assert_eq!((n, addrs), (1, vec!["joe@football.example.com".to_string()]));
}

#[tokio::test]
async fn rsa_algorithm_against_an_ed25519_key_is_a_key_mismatch() {
    let (_d, _w, r) = world().await;
    let raw = String::from_utf8(sample()).unwrap().replacen("a=ed25519-sha256", "a=rsa-sha1", 1).into_bytes();
    let rep = message::verify(&r, &raw, &message::VerifyOptions::default()).await.unwrap();
    let s = brisbane(&rep);
    assert_eq!(s.reason_id, "dkim.unsupported-algorithm", "{}", s.reason);
    assert!(s.reason.contains("rsa-sha1") && s.reason.contains("Ed25519"), "{}", s.reason);
    assert_ne!(s.result, SigResult::Pass);
}

fn ip_opts(ip: &str, mail_from: &str) -> message::VerifyOptions {
    message::VerifyOptions { ip: Some(ip.parse().unwrap()), helo: Some("mta.football.example.com".into()), mail_from: Some(mail_from.into()) }
}

#[tokio::test]
async fn spf_with_ip_comes_from_the_project_evaluator_with_its_trace() {
    let (_d, w, r) = world().await;
    let raw = sample();
    // ip4:999.1.1.1 is a syntax error (RFC 7208): permerror, as `mailsleuth spf` says.
    let rep = message::verify(&r, &raw, &ip_opts("198.51.100.7", "x@bad.football.example.com")).await.unwrap();
    let spf = rep.spf.as_ref().unwrap();
    assert_eq!((spf.result.as_str(), spf.domain.as_str()), ("permerror", "bad.football.example.com"));
    assert!(spf.source.contains("mailsleuth's SPF evaluator"), "{}", spf.source);
    assert!(!spf.source.contains("mail-auth"), "{}", spf.source);
    let ev = spf.evaluation.as_ref().expect("trace");
    assert!(ev.trace.reason.contains("999.1.1.1"), "{}", ev.trace.reason);
    assert!(rep.authentication_results.contains("spf=permerror"), "{}", rep.authentication_results);

    // A good record: ours and mail-auth's check_host (the oracle) agree on pass.
    let rep = message::verify(&r, &raw, &ip_opts("198.51.100.7", "x@football.example.com")).await.unwrap();
    let spf = rep.spf.as_ref().unwrap();
    assert_eq!(spf.result, "pass");
    let oracle = mailsleuth::dkim::verify::authenticator(&[w.addr()]).unwrap();
    let params = mail_auth::spf::verify::SpfParameters::verify_mail_from(
        "198.51.100.7".parse().unwrap(),
        "mta.football.example.com",
        "mailsleuth",
        "x@football.example.com",
    );
    let theirs = oracle.verify_spf(params).await;
    assert_eq!(theirs.result().to_string().to_ascii_lowercase(), spf.result);
    // and on fail for an address outside the range
    let rep = message::verify(&r, &raw, &ip_opts("203.0.113.9", "x@football.example.com")).await.unwrap();
    assert_eq!(rep.spf.as_ref().unwrap().result, "fail");
}

fn run(dir: &std::path::Path, msg: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .arg("--zones")
        .arg(dir)
        .args(["--color", "never", "--dns-timeout", "0.5", "verify"])
        .arg(msg)
        .args(extra)
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn verify_command_shows_the_spf_verdict_and_trace() {
    let dir = zones();
    let tmp = tempfile::tempdir().unwrap();
    let msg = tmp.path().join("m.eml");
    std::fs::write(&msg, sample()).unwrap();
    let (_, out) = run(dir.path(), &msg, &["--ip", "198.51.100.7", "--mail-from", "x@bad.football.example.com"]);
    assert!(out.contains("spf=permerror"), "{out}");
    assert!(out.contains("999.1.1.1"), "{out}");
    assert!(out.contains("trace:"), "{out}");

    // SPF read from a header that names no domain: said so, no empty "for  —".
    let with_hdr = [b"Received-SPF: none (mx.example: no SPF record)\n".as_slice(), &sample()].concat();
    std::fs::write(&msg, with_hdr).unwrap();
    let (_, out) = run(dir.path(), &msg, &[]);
    assert!(out.contains("SPF: none"), "{out}");
    assert!(!out.contains("for  —") && !out.contains("smtp.mailfrom= ") && !out.contains("smtp.mailfrom=\n"), "{out}");
    assert!(out.contains("names no domain"), "{out}");

    // No --ip and no SPF header: SPF was not evaluated, which is no `spf=none` (no record).
    std::fs::write(&msg, sample()).unwrap();
    let (_, out) = run(dir.path(), &msg, &[]);
    assert!(!out.contains("spf=none"), "{out}");
    assert!(out.contains("(spf not evaluated: no --ip given and no SPF result in the headers)"), "{out}");
}
