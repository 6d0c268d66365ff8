//! Evidence bundles: `--record` then `--replay` (no network) gives identical JSON.

use std::process::Command;

fn run(args: &[&str]) -> (Option<i32>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_mailsleuth")).args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap();
    (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr))
}

#[test]
fn record_then_replay_is_identical_for_every_example_sender() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[&[&str]] = &[
        &["billing@shop.example", "--ip", "198.51.100.25", "--reply", "550 5.7.26 SPF fail"],
        &["alerts@parked.example"],
        &["ops@nomail.example", "--helo", "app.nomail.example"],
        &["news@good.example", "--ip", "198.51.100.25"],
        &["x@nowhere.example"],
    ];
    for (i, case) in cases.iter().enumerate() {
        let bundle = dir.path().join(format!("b{i}.json"));
        let bundle = bundle.to_str().unwrap();
        let mut live_args = vec!["--zones", "examples/world/zones", "--json", "diagnose", "--record", bundle];
        live_args.extend_from_slice(case);
        let (live_code, live) = run(&live_args);
        let (replay_code, replay) = run(&["--json", "diagnose", "--replay", bundle]);
        assert_eq!(live_code, replay_code, "{case:?}");
        assert!(live.contains("\"schema_version\": 1"), "{live}");
        assert_eq!(live, replay, "{case:?}: replay differs");
    }
}

#[test]
fn replay_without_an_answer_is_could_not_check() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("b.json");
    let (_, _) = run(&["--zones", "examples/world/zones", "diagnose", "--no-dnsbl", "ops@nomail.example", "--record", bundle.to_str().unwrap()]);
    // Drop every recorded answer: the replay must not invent absence.
    let mut doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    doc["dns"] = serde_json::json!([]);
    std::fs::write(&bundle, doc.to_string()).unwrap();
    let (code, out) = run(&["--json", "diagnose", "--replay", bundle.to_str().unwrap()]);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("not in the recorded evidence"), "{out}");
}

#[test]
fn a_file_that_is_not_a_bundle_is_a_usage_error() {
    let (code, out) = run(&["diagnose", "--replay", "README.md"]);
    assert_eq!(code, Some(2));
    assert!(out.contains("not an evidence bundle"), "{out}");
}
