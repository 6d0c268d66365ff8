//! The sender-verify callout runs only where the caller allows live SMTP: never in the
//! scenario suite or a replay, and under --zones only to MX hosts on loopback. A real
//! SMTP listener on loopback counts the connections it gets.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::Ordering;

#[path = "support/smtp_loopback.rs"]
mod smtp_loopback;

/// A minimal SMTP server on 127.0.0.1 that knows no user: RCPT TO is refused.
fn smtp_listener() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    smtp_loopback::start(smtp_loopback::no_such_user)
}

/// loop.test's MX is on loopback; far.test's is a documentation address off loopback.
fn zones(dir: &Path) {
    std::fs::write(dir.join("loop.test.zone"), "$ORIGIN loop.test.\n@ 300 IN MX 10 mx\nmx 300 IN A 127.0.0.1\n").unwrap();
    std::fs::write(dir.join("far.test.zone"), "$ORIGIN far.test.\n@ 300 IN MX 10 mx\nmx 300 IN A 192.0.2.25\n").unwrap();
}

fn diagnose(zones: &Path, port: u16, sender: &str, extra: &[&str]) -> serde_json::Value {
    let reply = format!("550 5.1.7 <{sender}>: Sender verify failed");
    let out = Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .args(["--json", "--dns-timeout", "0.5", "--zones"])
        .arg(zones)
        .args(["diagnose", sender, "--no-dnsbl", "--reply", &reply])
        .args(extra)
        .env("MAILSLEUTH_MX_PORT", port.to_string())
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn ids(v: &serde_json::Value, key: &str) -> Vec<String> {
    v[key].as_array().into_iter().flatten().filter_map(|f| f["id"].as_str().map(str::to_string)).collect()
}

#[test]
fn zones_callout_reaches_a_loopback_mx_only() {
    let (port, count) = smtp_listener();
    let z = tempfile::tempdir().unwrap();
    zones(z.path());
    // Loopback MX: the callout runs and hears the MX refuse the address.
    let v = diagnose(z.path(), port, "nobody@loop.test", &[]);
    assert_eq!(count.load(Ordering::SeqCst), 1, "{v}");
    assert_eq!(v["causes"][0]["id"], "sender-verify-failed", "{v}");
    assert_eq!(v["causes"][0]["status"], "confirmed", "{v}");
    assert_eq!(v["causes"][0]["finding"]["id"], "smtp.callout-rejected", "{v}");
    // --no-callout: nothing is opened, and the report says why.
    let v = diagnose(z.path(), port, "nobody@loop.test", &["--no-callout"]);
    assert_eq!(count.load(Ordering::SeqCst), 1, "{v}");
    assert_eq!(ids(&v, "unchecked"), ["smtp.callout-not-run"], "{v}");
    // An MX off loopback under --zones: not run, could not check.
    let v = diagnose(z.path(), port, "nobody@far.test", &[]);
    assert_eq!(ids(&v, "unchecked"), ["smtp.callout-not-run"], "{v}");
    let title = v["unchecked"][0]["title"].as_str().unwrap();
    assert!(title.contains("callout not run: the MX mx.far.test [192.0.2.25] is not on loopback"), "{title}");
    assert_eq!(v["causes"][0]["id"], "sender-verify-failed", "{v}");
    assert_eq!(v["causes"][0]["status"], "unchecked", "{v}");
    assert!(!v.to_string().contains("connecting to"), "{v}");
}

#[test]
fn scenarios_never_speak_smtp_even_to_loopback() {
    let (port, count) = smtp_listener();
    let cases = tempfile::tempdir().unwrap();
    let case = cases.path().join("callout-loopback");
    std::fs::create_dir_all(case.join("zones")).unwrap();
    zones(&case.join("zones"));
    std::fs::write(
        case.join("scenario.json"),
        r#"{"description": "callout to a loopback MX", "sender": "nobody@loop.test", "no_dnsbl": true,
            "reply": "550 5.1.7 <nobody@loop.test>: Sender verify failed", "expect_top": "sender-verify-failed"}"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mailsleuth-conformance"))
        .args(["--scenarios"])
        .arg(cases.path())
        .env("MAILSLEUTH_MX_PORT", port.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("scenarios: 1 passed, 0 failed"), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(count.load(Ordering::SeqCst), 0, "a scenario opened an SMTP connection");
}

#[test]
fn record_then_replay_never_speaks_smtp() {
    let (port, count) = smtp_listener();
    let z = tempfile::tempdir().unwrap();
    zones(z.path());
    let bundle = z.path().join("run.json");
    let live = diagnose(z.path(), port, "nobody@loop.test", &["--record", bundle.to_str().unwrap()]);
    assert_eq!(count.load(Ordering::SeqCst), 1, "the live run's callout");
    let replay = |path: &Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
            .args(["--json", "diagnose", "--replay"])
            .arg(path)
            .env("MAILSLEUTH_MX_PORT", port.to_string())
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    };
    let again = replay(&bundle);
    assert_eq!(count.load(Ordering::SeqCst), 1, "a replay connected");
    assert_eq!(again["causes"], live["causes"]);
    // A bundle without the recorded callout findings: still no connection.
    let mut b: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    b["smtp_findings"] = serde_json::json!([]);
    let stripped = z.path().join("stripped.json");
    std::fs::write(&stripped, b.to_string()).unwrap();
    let v = replay(&stripped);
    assert_eq!(count.load(Ordering::SeqCst), 1, "a replay connected");
    assert_eq!(v["causes"][0]["id"], "sender-verify-failed", "{v}");
}
