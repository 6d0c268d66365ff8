//! The binary as a user runs it: bad input gives a clear one-line error and the
//! documented exit code, never a panic.

use std::process::{Command, Output};

fn mailsleuth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn malformed_sender_is_a_usage_error() {
    let o = mailsleuth(&["--zones", "examples/world/zones", "diagnose", "bill ing@shop.example"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("not a valid address") && err.contains("position 4"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn broken_zone_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.example.zone"), "@ IN MX\n").unwrap();
    let o = mailsleuth(&["--zones", dir.path().to_str().unwrap(), "diagnose", "a@x.example"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("x.example.zone"), "{}", stderr(&o));
}

#[test]
fn missing_zone_folder_is_a_usage_error() {
    let o = mailsleuth(&["--zones", "/nonexistent/zones", "diagnose", "a@x.example"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/zones"));
}

#[test]
fn unreachable_resolver_means_could_not_complete() {
    // Nothing listens on loopback port 9 (discard): every query fails.
    let o = mailsleuth(&["--resolver", "127.0.0.1:9", "--dns-timeout", "0.2", "--dns-attempts", "1", "diagnose", "a@shop.example", "--no-dnsbl"]);
    assert_eq!(o.status.code(), Some(3), "stdout: {}\nstderr: {}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("Could not check"), "{out}");
    assert!(!out.contains("does not exist"), "a DNS failure must not read as absence: {out}");
}

#[test]
fn bad_resolver_argument_is_a_usage_error() {
    let o = mailsleuth(&["--resolver", "not-an-ip", "diagnose", "a@shop.example"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--resolver not-an-ip"));
}

#[test]
fn unreadable_bounce_is_a_usage_error() {
    let o = mailsleuth(&["--zones", "examples/world/zones", "diagnose", "--bounce", "/nonexistent/bounce.eml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("/nonexistent/bounce.eml"));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let o = mailsleuth(&["diagnose", "--frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn no_color_when_not_a_terminal() {
    let o = Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .args(["--zones", "examples/world/zones", "diagnose", "ops@nomail.example"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&o.stdout).contains('\x1b'));
    let o = mailsleuth(&["--color", "always", "--zones", "examples/world/zones", "diagnose", "ops@nomail.example"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains('\x1b'));
}

/// The whole of stderr, for messages that must read exactly so.
fn one_line_error(o: &Output) -> String {
    let err = stderr(o);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    err.trim_end().to_string()
}

#[test]
fn missing_bounce_file_is_named_once() {
    let o = mailsleuth(&["--zones", "examples/world/zones", "diagnose", "a@b.example", "--bounce", "/nonexistent"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(one_line_error(&o), "mailsleuth: /nonexistent: No such file or directory (os error 2)");
}

#[test]
fn a_file_that_is_not_a_zone_file_says_so_with_its_line() {
    let o = mailsleuth(&["--zones", "Cargo.toml", "diagnose", "a@b.example"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(one_line_error(&o), "mailsleuth: Cargo.toml: not a zone file: line 1 \"[package]\": Label contains invalid characters");
}

#[test]
fn a_broken_record_is_named_by_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let zone = "$TTL 300\n@ IN SOA ns hostmaster (\n    1 3600 600\n    86400 300 )\n; mail\n@ IN A 192.0.2.1\n\nmail IN MX\n";
    std::fs::write(dir.path().join("x.example.zone"), zone).unwrap();
    let o = mailsleuth(&["--zones", dir.path().to_str().unwrap(), "diagnose", "a@x.example"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let want = format!("mailsleuth: {}: line 8 \"mail IN MX\": token is missing: preference", dir.path().join("x.example.zone").display());
    assert_eq!(one_line_error(&o), want);
}

#[test]
fn a_bounce_that_only_looks_like_json_is_neither() {
    let want = "Cargo.toml: neither a bounce message nor an ESP event JSON (not valid JSON: expected value at line 1 column 2)";
    let o = mailsleuth(&["--zones", "examples/world/zones", "diagnose", "a@b.example", "--bounce", "Cargo.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(one_line_error(&o), format!("mailsleuth: {want}"));
    let o = mailsleuth(&["--zones", "examples/world/zones", "diagnose", "a@b.example", "--event", "Cargo.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(one_line_error(&o), format!("mailsleuth: {want}"));
    // `bounce` says the same of it, as one item.
    let o = mailsleuth(&["bounce", "Cargo.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), want.replacen(": ", " ", 1));
}

#[test]
fn an_empty_zone_path_is_an_input_error() {
    for flag in ["--zones", "--overlay"] {
        let o = mailsleuth(&[flag, "/dev/null", "diagnose", "a@b.example", "--no-dnsbl"]);
        assert_eq!(o.status.code(), Some(2), "{flag}: {}", stderr(&o));
        assert_eq!(one_line_error(&o), "mailsleuth: /dev/null: no zone in it (the file is empty or holds only comments)");
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("only-comments.zone"), "; nothing yet\n\n   ; still nothing\n").unwrap();
    std::fs::write(dir.path().join("README"), "not a zone\n").unwrap();
    let o = mailsleuth(&["--zones", dir.path().to_str().unwrap(), "diagnose", "a@b.example"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let want = format!("mailsleuth: {}: no zone in it (the file is empty or holds only comments)", dir.path().join("only-comments.zone").display());
    assert_eq!(one_line_error(&o), want);
    std::fs::remove_file(dir.path().join("only-comments.zone")).unwrap();
    let o = mailsleuth(&["--zones", dir.path().to_str().unwrap(), "diagnose", "a@b.example"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(one_line_error(&o), format!("mailsleuth: {}: no zone files (*.zone, *.db) in this folder", dir.path().display()));
}
