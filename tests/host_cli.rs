//! `mailsleuth host` and `mailsleuth diagnose --ip` through the binary, offline
//! (`--zones tests/fixtures/host`: every other name is NXDOMAIN).

use std::process::{Command, Output};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/host");

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .args(["--zones", FIXTURES, "--dns-timeout", "1", "--color", "never"])
        .args(args)
        .output()
        .expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("JSON: {e}\n{}", stdout(o)))
}

fn ids(doc: &serde_json::Value) -> Vec<String> {
    doc["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn clean_host_exits_zero_with_report() {
    let o = run(&["host", "198.51.100.25", "--helo", "mail.shop.example", "--sender", "billing@shop.example"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("[host.fcrdns-ok]") && out.contains("[host.helo-ok]"), "{out}");
    assert!(out.contains("Blocklists") && out.contains("Spamhaus ZEN"), "{out}");
    assert!(out.contains("Domain posture") && out.contains("[host.mta-sts]"), "{out}");
}

#[test]
fn json_report_has_schema_and_evidence() {
    let o = run(&["--json", "host", "198.51.100.66", "--sender", "x@bad.example"]);
    assert_eq!(o.status.code(), Some(1));
    let doc = json(&o);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["command"], "host");
    assert_eq!(doc["ip"], "198.51.100.66");
    assert_eq!(doc["sender_domain"], "bad.example");
    let ids = ids(&doc);
    assert!(ids.iter().filter(|i| *i == "host.listed").count() == 2, "{ids:?}");
    assert!(ids.contains(&"host.domain-listed".to_string()), "{ids:?}");
    let zen = doc["dnsbl"].as_array().unwrap().iter().find(|l| l["zone"] == "zen.spamhaus.org").unwrap();
    assert_eq!(zen["status"], "listed");
    assert_eq!(zen["reasons"][0], "https://check.spamhaus.org/listed/?searchterm=198.51.100.66");
    assert!(doc["posture"].as_array().unwrap().iter().any(|f| f["id"] == "host.dnssec"));
    assert!(doc["dns_queries"].as_array().unwrap().len() > 10);
}

#[test]
fn no_ptr_exit_one_with_fix() {
    let o = run(&["host", "198.51.100.30", "--helo", "mail.shop.example", "--no-dnsbl"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("[host.no-ptr]") && out.contains("set the PTR of 198.51.100.30 to mail.shop.example"), "{out}");
    assert!(out.contains("[host.dnsbl-skipped]") && !out.contains("Spamhaus ZEN"), "{out}");
}

#[test]
fn refused_answer_is_unknown_not_clean() {
    let o = run(&["host", "198.51.100.67", "--dnsbl", "zen.spamhaus.org"]);
    let out = stdout(&o);
    assert!(!out.contains("[host.not-listed]"), "{out}");
    assert!(out.contains("[host.dnsbl-unchecked]") && out.contains("127.255.255.254"), "{out}");
    assert!(out.contains("unknown  Spamhaus ZEN"), "{out}");
}

#[test]
fn private_ip_exits_three_and_says_why() {
    let o = run(&["host", "10.0.0.1"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(out.contains("private address") && out.contains("[host.private-ip]"), "{out}");
    assert!(!out.contains("zen.spamhaus"), "{out}");
}

#[test]
fn ipv6_literal_forms() {
    for ip in ["2001:db8::25", "[IPv6:2001:db8::25]"] {
        let o = run(&["--json", "host", ip]);
        let doc = json(&o);
        assert!(ids(&doc).contains(&"host.fcrdns-ok".to_string()), "{ip}: {:?}", ids(&doc));
        assert_eq!(doc["ptr"]["reverse_name"], "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    }
}

#[test]
fn bad_input_is_a_usage_error() {
    for args in [
        vec!["host", "300.1.2.3"],
        vec!["host", "not-an-ip"],
        vec!["host", ""],
        vec!["host", "198.51.100.25", "--dnsbl", "bad zone!"],
        vec!["host", "198.51.100.25", "--sender", "nobody"],
        vec!["host", "198.51.100.25", "--dnsbl", "x.example", "--no-dnsbl"],
    ] {
        let o = run(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!err.trim().is_empty());
    }
}

#[test]
fn diagnose_ranks_the_named_blocklist_first() {
    let o = run(&[
        "--json",
        "diagnose",
        "billing@shop.example",
        "--ip",
        "198.51.100.66",
        "--helo",
        "mail.shop.example",
        "--reply",
        "554 5.7.1 Service unavailable; Client host [198.51.100.66] blocked using bl.spamcop.net",
    ]);
    let doc = json(&o);
    let first = &doc["causes"][0]["finding"];
    assert_eq!(first["id"], "host.listed", "{doc:#}");
    assert!(first["title"].as_str().unwrap().contains("SpamCop"), "{first}");
    assert!(first["evidence"][0].as_str().unwrap().contains("the rejection names this list"));
}

#[test]
fn diagnose_with_helo_only() {
    let o = run(&["--json", "diagnose", "billing@shop.example", "--helo", "localhost"]);
    let doc = json(&o);
    let all: Vec<String> = doc["causes"].as_array().unwrap().iter().map(|c| c["finding"]["id"].as_str().unwrap().to_string()).collect();
    assert!(all.contains(&"host.helo-localhost".to_string()), "{doc:#}");
}
