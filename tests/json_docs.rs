//! docs/json.md documents every key the diagnose document and the evidence bundle carry:
//! real runs on the example world (and a loopback SMTP server, for the probe and the
//! sender-verify callout) are walked key by key against the doc's tables.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

#[path = "support/smtp_loopback.rs"]
mod smtp_loopback;

/// An SMTP server on 127.0.0.1 that refuses the sender at MAIL FROM.
fn smtp_listener() -> u16 {
    smtp_loopback::start(|verb, line| match verb {
        "MAIL" if line.contains("shop.example") => b"553 5.7.1 <billing@shop.example>: Sender address rejected: not owned by user\r\n",
        _ => smtp_loopback::no_such_user(verb, line),
    })
    .0
}


/// `diagnose --json ... --record BUNDLE`: the diagnose document and the bundle.
fn run(zones: &Path, args: &[&str], mx_port: u16) -> (Value, Value) {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle.json");
    let out = Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--json", "--dns-timeout", "0.5", "--zones"])
        .arg(zones)
        .arg("diagnose")
        .args(args)
        .arg("--record")
        .arg(&bundle)
        .env("MAILSLEUTH_MX_PORT", mx_port.to_string())
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    let bundle = serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    (doc, bundle)
}

/// docs/json.md, with a line end before its first heading.
fn docs() -> String {
    "\n".to_string() + &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json.md")).unwrap()
}

/// The text of a section: from its heading line to the next heading.
fn section<'a>(docs: &'a str, heading: &str) -> &'a str {
    let start = docs.find(&format!("\n{heading}\n")).unwrap_or_else(|| panic!("no section {heading:?} in docs/json.md")) + 1;
    let body = &docs[start + heading.len()..];
    let end = body.find("\n#").map_or(body.len(), |e| e + 1);
    &body[..end]
}

/// The table rows of a section, as (first cell, whole row).
fn rows(section: &str) -> Vec<(&str, &str)> {
    section.lines().filter(|l| l.starts_with("| `")).map(|l| (l.split('|').nth(1).unwrap_or(""), l)).collect()
}

/// Names in backticks (`a`, `b`), and the names of any `{a, b?, c}` list.
fn names(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            out.insert(part.to_string());
        }
    }
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        for n in rest[open + 1..open + close].split(',') {
            let n = n.split(':').next().unwrap_or("").trim().trim_matches(['"', '?', '[', ']', ' ']);
            out.insert(n.to_string());
        }
        rest = &rest[open + close + 1..];
    }
    out
}

/// The keys documented by the table of a section (first column).
fn table_keys(docs: &str, heading: &str) -> BTreeSet<String> {
    rows(section(docs, heading)).iter().flat_map(|(cell, _)| names(cell)).collect()
}

/// The names a row of a section mentions (its `{...}` lists and backticked words).
fn row_names(docs: &str, heading: &str, key: &str) -> BTreeSet<String> {
    let rows = rows(section(docs, heading));
    let (_, row) = rows.iter().find(|(cell, _)| names(cell).contains(key)).unwrap_or_else(|| panic!("no row {key} under {heading}"));
    names(row.split('|').nth(3).unwrap_or(""))
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

fn undocumented(seen: &BTreeSet<String>, documented: &BTreeSet<String>) -> Vec<String> {
    seen.difference(documented).cloned().collect()
}

fn objects<'a>(v: &'a Value, key: &str) -> Vec<&'a Value> {
    v[key].as_array().map(|a| a.iter().collect()).unwrap_or_default()
}

#[test]
fn every_key_of_diagnose_json_and_bundles_is_documented() {
    let world = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/world/zones");
    let lab = tempfile::tempdir().unwrap();
    std::fs::write(lab.path().join("loop.test.zone"), "$ORIGIN loop.test.\n@ 300 IN MX 10 mx\nmx 300 IN A 127.0.0.1\n").unwrap();
    for z in ["shop.example.zone", "sendwave.example.zone", "100.51.198.in-addr.arpa.zone"] {
        std::fs::copy(world.join(z), lab.path().join(z)).unwrap();
    }
    let port = smtp_listener();
    let smtp = format!("127.0.0.1:{port}");
    let mut runs = Vec::new();
    for args in [
        &["billing@shop.example", "--ip", "198.51.100.25"][..],
        &["alerts@parked.example"],
        &["ops@nomail.example"],
        &["news@good.example"],
        &["--bounce", "examples/world/bounces/shop-gmail-5.7.26.eml"],
    ] {
        runs.push(run(&world, args, port));
    }
    // A live probe (smtp_transcript, probe_findings) and a sender-verify callout (smtp_findings).
    runs.push(run(lab.path(), &["billing@shop.example", "--smtp", &smtp, "--to", "someone@loop.test", "--no-dnsbl"], port));
    runs.push(run(lab.path(), &["nobody@loop.test", "--no-dnsbl", "--reply", "550 5.1.7 <nobody@loop.test>: Sender verify failed"], port));

    let d = docs();
    let top: BTreeSet<String> = table_keys(&d, "# JSON output").union(&table_keys(&d, "## `diagnose`")).cloned().collect();
    let cause = table_keys(&d, "### A cause");
    let finding = table_keys(&d, "### A finding");
    let fix = row_names(&d, "### A finding", "fix");
    let query = row_names(&d, "## `diagnose`", "dns_queries");
    let reply = row_names(&d, "## `diagnose`", "reply");
    let bundle_top = table_keys(&d, "## Evidence bundles");
    let inputs = row_names(&d, "## Evidence bundles", "inputs");
    let dns = row_names(&d, "## Evidence bundles", "dns");
    let answer = row_names(&d, "### A recorded answer", "answer");

    let mut seen: [BTreeSet<String>; 10] = Default::default();
    for (doc, bundle) in &runs {
        seen[0].extend(keys(doc));
        let mut findings: Vec<&Value> = objects(doc, "findings").into_iter().chain(objects(doc, "unchecked")).collect();
        for c in objects(doc, "causes") {
            seen[1].extend(keys(c));
            findings.extend(c.get("finding"));
            findings.extend(objects(c, "related"));
            seen[3].extend(c.get("fix").map(keys).unwrap_or_default());
        }
        for f in findings.iter().chain(objects(bundle, "probe_findings").iter()).chain(objects(bundle, "smtp_findings").iter()) {
            seen[2].extend(keys(f));
            seen[3].extend(f.get("fix").map(keys).unwrap_or_default());
        }
        objects(doc, "dns_queries").iter().for_each(|q| seen[4].extend(keys(q)));
        if let Some(r) = doc.get("reply") {
            seen[5].extend(keys(r));
            seen[5].extend(r.get("enhanced").map(keys).unwrap_or_default());
        }
        seen[6].extend(keys(bundle));
        seen[7].extend(keys(&bundle["inputs"]));
        for a in objects(bundle, "dns") {
            seen[8].extend(keys(a));
            seen[9].extend(keys(&a["answer"]));
        }
    }
    // The runs reach what they are here for.
    for (set, key) in [(0, "smtp_transcript"), (0, "reply"), (1, "related"), (2, "fix"), (6, "smtp_findings")] {
        assert!(seen[set].contains(key), "no run produced {key}: {:?}", seen[set]);
    }
    assert!(runs.iter().any(|(_, b)| !objects(b, "smtp_findings").is_empty()), "the callout run recorded no smtp_findings");
    assert!(runs.iter().any(|(_, b)| !objects(b, "smtp_transcript").is_empty() && !objects(b, "probe_findings").is_empty()), "the probe run recorded no session");

    let checks = [
        ("diagnose document", &top),
        ("cause", &cause),
        ("finding", &finding),
        ("fix", &fix),
        ("dns_queries entry", &query),
        ("reply", &reply),
        ("evidence bundle", &bundle_top),
        ("bundle inputs", &inputs),
        ("bundle dns entry", &dns),
        ("recorded answer", &answer),
    ];
    let missing: Vec<String> = checks
        .iter()
        .zip(&seen)
        .flat_map(|((what, documented), seen)| undocumented(seen, documented).into_iter().map(move |k| format!("{what}: {k}")))
        .collect();
    assert!(missing.is_empty(), "keys missing from docs/json.md: {missing:?}");
}
