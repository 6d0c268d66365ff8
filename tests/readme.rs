//! README command (a) — the main job on the bundled example world — works, and its top
//! cause is the seeded one: the shop's SPF record lacks the ESP's include.

use std::process::Command;

/// The arguments of the README's first `cargo run --quiet -- ...` command.
fn readme_command() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let line = readme.lines().find(|l| l.starts_with("cargo run --quiet -- ")).expect("README has command (a)");
    line.trim_start_matches("cargo run --quiet -- ").split_whitespace().map(str::to_string).collect()
}

#[test]
fn readme_command_a_ranks_the_seeded_cause_first() {
    let args = readme_command();
    let out = Command::new(env!("CARGO_BIN_EXE_mailsleuth")).args(&args).env("NO_COLOR", "1").current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let first = text.lines().find(|l| l.starts_with(" 1. ")).unwrap_or_else(|| panic!("no ranked cause:\n{text}"));
    assert!(first.contains("[spf-fail]"), "{first}");
    assert!(text.contains("shop.example. IN TXT \"v=spf1 mx include:_spf.sendwave.example -all\""), "{text}");

    let mut json_args = vec!["--json".to_string()];
    json_args.extend(args);
    let out = Command::new(env!("CARGO_BIN_EXE_mailsleuth")).args(&json_args).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["causes"][0]["id"], "spf-fail");
    assert_eq!(doc["causes"][0]["status"], "confirmed");
    assert_eq!(doc["causes"][0]["fix"]["value"], "v=spf1 mx include:_spf.sendwave.example -all");
    assert_eq!(doc["causes"][1]["id"], "dmarc-fail");
    assert_eq!(doc["sender"], "billing@shop.example");
    assert_eq!(doc["ip"], "198.51.100.25");
}
