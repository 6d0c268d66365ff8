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
