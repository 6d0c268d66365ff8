//! `mailsleuth spf` end to end, against the embedded world (--zones).

use std::process::Command;

fn spf(args: &[&str]) -> (i32, String) {
    let zones = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spf");
    let out = Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .args(["--zones", zones, "--color", "never", "--dns-timeout", "0.5", "spf"])
        .args(args)
        .output()
        .expect("runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn verdict_trace_tree_and_fix() {
    let (code, out) = spf(&["other.example", "--ip", "198.51.100.7", "--sender", "billing@other.example"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL"), "{out}");
    assert!(out.contains("-all -> MATCH"), "{out}");
    assert!(out.contains("other.example. IN TXT \"v=spf1 ip4:192.0.2.0/24 include:_spf.esp.example -all\""), "{out}");
    let (code, out) = spf(&["shop.example", "--ip", "198.51.100.7"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("matched at: shop.example -> include:_spf.esp.example -> ip4:198.51.100.0/24"), "{out}");
    assert!(out.contains("include:_spf.esp.example _spf.esp.example: 0 lookups"), "{out}");
}

#[test]
fn what_if_record_and_json() {
    let (code, out) = spf(&["--json", "other.example", "--ip", "198.51.100.7", "--record", "v=spf1 ip4:198.51.100.0/24 -all"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["evaluation"]["result"], "pass");
    assert_eq!(v["evaluation"]["trace"]["proposed"], true);
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["id"] == "spf.pass"));
    let (code, out) = spf(&["other.example", "--ip", "198.51.100.7", "--record", "v=spf1 ip4:198.51.100.0/33 -all"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("PERMERROR") && out.contains("/33"), "{out}");
}

#[test]
fn bad_input_is_a_usage_error() {
    assert_eq!(spf(&["not a domain"]).0, 2);
    assert_eq!(spf(&["shop.example", "--record", "hello"]).0, 2);
    assert_eq!(spf(&["shop.example", "--ip", "999.1.1.1"]).0, 2);
}

/// A macro that puts '@' into a name is asked like any other (RFC 2181 §11): here
/// NXDOMAIN, so exists does not match and ip4 passes, not a made-up DNS error.
#[test]
fn macro_name_with_an_at_sign_is_asked() {
    let (code, out) = spf(&["ms.hostile.example", "--ip", "192.0.2.1", "--sender", "bob@ms.hostile.example"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PASS"), "{out}");
    assert!(!out.contains("TEMPERROR") && !out.contains("invalid name"), "{out}");
}

fn run(args: &[&str]) -> (i32, String) {
    let zones = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spf");
    let out = Command::new(env!("CARGO_BIN_EXE_mailsleuth")).args(["--zones", zones, "--color", "never", "--dns-timeout", "0.5"]).args(args).output().expect("runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

/// `<>` is the null reverse-path (RFC 5321 §4.5.5): SPF then checks the HELO identity,
/// with postmaster@HELO as the sender (RFC 7208 §2.4).
#[test]
fn null_sender_checks_the_helo_identity() {
    let (code, out) = spf(&["--trace-dns", "ms.hostile.example", "--ip", "192.0.2.1", "--sender", "<>"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("null sender"), "{out}");
    assert!(out.contains("A postmaster@ms.hostile.example.m.hostile.example: NXDOMAIN"), "{out}");
    assert!(!out.contains("postmaster@<>"), "{out}");
    let (code, out) = spf(&["other.example", "--ip", "198.51.100.7", "--sender", "<>", "--helo", "other.example"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL"), "{out}");
    // The HELO name is the domain checked: another DOMAIN is a usage error that says so.
    let (code, out) = spf(&["shop.example", "--ip", "198.51.100.7", "--sender", "<>", "--helo", "other.example"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("HELO"), "{out}");

    // dmarc: the SPF identity of a null sender is the HELO name.
    let (code, out) = run(&["--json", "dmarc", "other.example", "--mail-from", "<>", "--helo", "other.example", "--ip", "192.0.2.5"]);
    assert_ne!(code, 2, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["alignment"]["spf"]["domain"], "other.example", "{out}");
    assert_eq!(v["alignment"]["spf"]["result"], "pass", "{out}");
    assert!(v["alignment"]["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().contains("null sender")), "{out}");
    let (code, out) = run(&["dmarc", "other.example", "--mail-from", "<>"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("--helo"), "{out}");

    // diagnose: a usage error that says what a null sender is and what to give instead.
    let (code, out) = run(&["diagnose", "<>", "--ip", "192.0.2.1"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("null sender") && out.contains("mailsleuth spf"), "{out}");
}
