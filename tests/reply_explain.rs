//! `mailsleuth explain`: argument or stdin, text and JSON, errors.

use std::io::Write;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
}

#[test]
fn explains_an_argument() {
    let out = bin().args(["--color", "never", "explain", "host mx.example.net[192.0.2.1] said: 550 5.7.23 SPF validation failed (in reply to MAIL FROM command)"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("550 5.7.23"), "{s}");
    assert!(s.contains("SPF validation failed"), "{s}");
    assert!(s.contains("cause: spf"), "{s}");
    assert!(s.contains("MAIL FROM"), "{s}");
    assert!(s.contains("mailsleuth spf"), "{s}");
}

#[test]
fn reads_stdin_and_prints_json() {
    let mut child = bin().args(["--json", "explain", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"554 5.7.9 Message not accepted for policy reasons. See https://senders.yahooinc.com/error-codes\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["command"], "explain");
    assert_eq!(v["cause"], "dmarc");
    assert_eq!(v["vendor"], "Yahoo / AOL");
    assert_eq!(v["permanence"], "permanent");
    assert_eq!(v["retry"], false);
    assert_eq!(v["enhanced_meaning"]["detail"], "Authentication mechanism is too weak");
    assert_eq!(v["blames"][0], "from-header");
    assert_eq!(v["findings"][0]["id"], "reply.cause.dmarc");
}

#[test]
fn empty_input_is_a_usage_error() {
    let mut child = bin().args(["explain"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// RFC 5321 §4.2.1 / RFC 3463 §2: the client acts on the basic code; an enhanced code of
/// another class is said to disagree, in text and JSON.
#[test]
fn the_basic_code_decides_permanence() {
    let out = bin().args(["--color", "never", "explain", "550 4.7.1 try later"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("permanent failure"), "{s}");
    assert!(!s.contains("transient failure"), "{s}");
    assert!(s.contains("the enhanced code 4.7.1 disagrees with the reply code 550: clients act on 550"), "{s}");

    let out = bin().args(["--json", "explain", "550 4.7.1 try later"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["permanence"], "permanent");
    assert_eq!(v["retry"], false);
    assert_eq!(v["code_disagreement"], "the enhanced code 4.7.1 disagrees with the reply code 550: clients act on 550");
    let detail = v["findings"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("disagrees with the reply code 550"), "{detail}");

    // The other way round: 451 5.7.1 is retried.
    let v: serde_json::Value = serde_json::from_slice(&bin().args(["--json", "explain", "451 5.7.1 later"]).output().unwrap().stdout).unwrap();
    assert_eq!(v["permanence"], "transient");
    assert_eq!(v["retry"], true);
    assert_eq!(v["code_disagreement"], "the enhanced code 5.7.1 disagrees with the reply code 451: clients act on 451");
    // Agreeing codes say nothing more; an enhanced code alone still gives the class.
    let v: serde_json::Value = serde_json::from_slice(&bin().args(["--json", "explain", "550 5.7.1 no"]).output().unwrap().stdout).unwrap();
    assert_eq!(v["permanence"], "permanent");
    assert!(v.get("code_disagreement").is_none(), "{v}");
    let v: serde_json::Value = serde_json::from_slice(&bin().args(["--json", "explain", "Status: 4.2.2 mailbox full"]).output().unwrap().stdout).unwrap();
    assert_eq!(v["permanence"], "transient", "{v}");
    assert!(v.get("code_disagreement").is_none(), "{v}");
}
