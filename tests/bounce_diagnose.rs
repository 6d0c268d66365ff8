//! `diagnose --bounce FILE` / `--event FILE` start from the artefact: sender, recipient and
//! reply come from it (offline world: --zones).

use std::process::Command;

fn zones() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("example.jp.zone"), "$ORIGIN example.jp.\n@ 300 IN MX 10 mx\nmx 300 IN A 192.0.2.20\n").unwrap();
    std::fs::write(d.path().join("shop.example.zone"), "$ORIGIN shop.example.\n@ 300 IN MX 10 mx\nmx 300 IN A 192.0.2.30\n").unwrap();
    d
}

#[test]
fn diagnose_starts_from_a_bounce() {
    let data = mailsleuth::conformance::require_data_dir("bounces/sisimai/maildir/bsd/lhost-exim-01.eml");
    let z = zones();
    let out = Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .args(["--json", "--dns-timeout", "0.3", "--zones"])
        .arg(z.path())
        .args(["diagnose", "--no-dnsbl", "--bounce"])
        .arg(data.join("bounces/sisimai/maildir/bsd/lhost-exim-01.eml"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(v["sender"], "shironeko@example.jp");
    assert_eq!(v["recipient"], "kijitora@example.ed.jp");
    assert_eq!(v["reply"]["code"], 550);
}

#[test]
fn diagnose_starts_from_an_event() {
    let z = zones();
    let ev = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/events/ses-sns-bounce.json");
    let out = Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .args(["--json", "--dns-timeout", "0.3", "--zones"])
        .arg(z.path())
        .args(["diagnose", "--no-dnsbl", "--event"])
        .arg(ev)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(v["sender"], "bounces@mail.shop.example");
    assert_eq!(v["recipient"], "alice@example.org");
    assert_eq!(v["reply"]["enhanced"]["detail"], 26);
}

/// Mailgun's envelope sender is its bounce address (bounce+...@mg.shop.example); the reply
/// rejects the From address it names, so that is the sender to diagnose.
#[test]
fn diagnose_event_takes_the_sender_the_reply_names() {
    let z = zones();
    let ev = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/events/mailgun-webhook.json");
    let out = Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .args(["--json", "--dns-timeout", "0.3", "--zones"])
        .arg(z.path())
        .args(["diagnose", "--no-dnsbl", "--event"])
        .arg(ev)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(v["sender"], "news@shop.example", "{v}");
    assert_eq!(v["causes"][0]["id"], "login-not-owner", "{v}");
    let notes = v["notes"].to_string();
    assert!(notes.contains("bounce+a1b2c3@mg.shop.example"), "{notes}");
}

#[test]
fn bounce_of_one_file_suggests_diagnose_on_that_file() {
    // The bounce holds the sender, the reply and the IP: the next command is diagnose on
    // it, not a template with --ip IP and a reply cut mid-word.
    let out = Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .args(["--color", "never", "bounce", "examples/world/bounces/shop-gmail-5.7.26.eml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("next: mailsleuth diagnose --bounce 'examples/world/bounces/shop-gmail-5.7.26.eml'\n"), "{text}");
}
