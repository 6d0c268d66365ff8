//! The bundled example world (examples/world/zones), served by the embedded DNS server:
//! each sender's seeded problem must come out as the top cause, in text and JSON.

use std::process::Command;

use serde_json::Value;

fn diagnose_json(args: &[&str]) -> (Option<i32>, Value) {
    let mut full = vec!["--zones", "examples/world/zones", "--json", "diagnose", "--no-dnsbl"];
    full.extend_from_slice(args);
    let o = Command::new(env!("CARGO_BIN_EXE_mailsleuth")).args(&full).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap();
    let doc: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("JSON for {args:?}: {e}\n{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)));
    (o.status.code(), doc)
}

fn top_cause(doc: &Value) -> String {
    doc["causes"][0]["finding"]["id"].as_str().unwrap_or("<none>").to_string()
}

#[test]
fn null_mx_sender() {
    let (code, doc) = diagnose_json(&["alerts@parked.example"]);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(top_cause(&doc), "domain.null-mx", "{doc:#}");
    assert_eq!(doc["causes"][0]["finding"]["fix"]["rtype"], "MX");
    assert_eq!(code, Some(1));
}

#[test]
fn domain_without_mail_host() {
    let (code, doc) = diagnose_json(&["ops@nomail.example", "--reply", "450 4.1.8 <ops@nomail.example>: Sender address rejected: Domain not found"]);
    assert_eq!(top_cause(&doc), "domain.no-mail-host", "{doc:#}");
    let why = doc["causes"][0]["why"].to_string();
    assert!(why.contains("4.1.8"), "{why}");
    assert_eq!(code, Some(1));
}

#[test]
fn nonexistent_domain() {
    let (code, doc) = diagnose_json(&["x@nowhere.example"]);
    assert_eq!(top_cause(&doc), "domain.nxdomain", "{doc:#}");
    assert_eq!(code, Some(1));
    // Its missing SPF and DMARC follow from the domain not existing: no cause of their
    // own (whose fix would be "publish SPF" at a domain that is not there), still listed.
    let ids: Vec<&str> = doc["causes"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["domain-missing"], "{doc:#}");
    assert!(doc["findings"].as_array().unwrap().iter().any(|f| f["id"] == "spf.none"), "{doc:#}");
}

#[test]
fn correctly_configured_domain_has_no_error_cause() {
    let (code, doc) = diagnose_json(&["news@good.example", "--ip", "198.51.100.25", "--helo", "o25.mta.sendwave.example"]);
    let errors: Vec<&Value> = doc["causes"].as_array().unwrap().iter().filter(|c| c["finding"]["severity"] == "error").collect();
    assert!(errors.is_empty(), "good.example must be clean: {errors:#?}");
    assert_eq!(code, Some(0), "{doc:#}");
    assert!(doc["findings"].as_array().unwrap().iter().any(|f| f["id"] == "domain.ok"));
    assert!(doc["dns_queries"].as_array().unwrap().len() >= 3);
}

#[test]
fn markdown_report_for_a_ticket() {
    let o = Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .args(["--zones", "examples/world/zones", "diagnose", "--format", "markdown", "--bounce", "examples/world/bounces/shop-gmail-5.7.26.eml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1));
    assert!(md.starts_with("## mailsleuth diagnose `billing@shop.example`"), "{md}");
    assert!(md.contains("\n### Probable causes, most likely first\n") && md.contains("\n#### 1. SPF does not authorise"), "{md}");
    assert!(md.contains("```\nshop.example. IN TXT \"v=spf1 mx include:_spf.sendwave.example -all\"\n```"), "{md}");
    assert!(!md.contains('\x1b'));
}

#[test]
fn host_report_evaluates_spf_for_the_helo_name() {
    let o = Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .args(["--zones", "examples/world/zones", "--json", "host", "198.51.100.25", "--helo", "bounces.sendwave.example", "--no-dnsbl"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = doc["findings"].as_array().unwrap().iter().filter_map(|f| f["id"].as_str()).collect();
    // bounces.sendwave.example includes the ESP's ranges, which hold 198.51.100.25.
    assert!(ids.contains(&"spf.helo-pass"), "{ids:?}");
}

#[test]
fn blocklists_the_offline_world_does_not_serve_are_not_called_clean() {
    // The example world serves no blocklist zone: every list query would be NXDOMAIN by
    // construction, which is no "not listed". They are skipped, and say why; a replay of
    // the run says the same.
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("b.json");
    let run = |extra: &[&str]| {
        let mut args = vec!["--zones", "examples/world/zones", "--json", "diagnose", "billing@shop.example", "--ip", "198.51.100.25"];
        args.extend_from_slice(extra);
        let o = Command::new(env!("CARGO_BIN_EXE_mailsleuth")).args(&args).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap();
        serde_json::from_slice::<Value>(&o.stdout).unwrap()
    };
    let doc = run(&["--record", bundle.to_str().unwrap()]);
    let ids: Vec<&str> = doc["findings"].as_array().unwrap().iter().filter_map(|f| f["id"].as_str()).collect();
    assert!(!ids.contains(&"host.not-listed"), "{ids:?}");
    let skipped = doc["findings"].as_array().unwrap().iter().find(|f| f["id"] == "host.dnsbl-skipped").expect("host.dnsbl-skipped");
    assert!(skipped["evidence"].to_string().contains("zen.spamhaus.org): the offline world (--zones) does not serve"), "{skipped:#}");
    let o = Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .args(["--json", "diagnose", "--replay", bundle.to_str().unwrap()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let replayed: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(replayed["findings"], doc["findings"]);
}
