//! `diagnose` exit codes (docs/exit-codes.md): 1 when an error-level cause was found —
//! including a warning-level check that confirms what a permanent rejection says — else
//! 0, or 3 when checks could not complete. On the scenario world (tests/scenarios/_world).

use std::process::Command;

fn rc(args: &[&str]) -> i32 {
    let world = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scenarios/_world");
    let out = Command::new(env!("CARGO_BIN_EXE_mailsleuth")).args(["--zones", world, "diagnose", "--no-dnsbl"]).args(args).output().unwrap();
    out.status.code().unwrap_or(-1)
}

#[test]
fn a_permanent_rejection_confirmed_by_a_warning_check_exits_1() {
    // spf.softfail (warning) confirms the receiver's SPF rejection.
    assert_eq!(rc(&["news@soft.example", "--ip", "198.51.100.25", "--reply", "550 5.7.27 Message rejected: SPF check failed"]), 1);
    // spf.none / dmarc.none (warnings) confirm Gmail's "unauthenticated".
    let gmail = "550 5.7.26 This email has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.";
    assert_eq!(rc(&["ops@nospf.example", "--ip", "198.51.100.25", "--reply", gmail]), 1);
}

#[test]
fn warnings_alone_or_a_deferral_confirmed_by_a_warning_exit_0() {
    // No rejection: a softfail is worth knowing, not an error.
    assert_eq!(rc(&["news@soft.example", "--ip", "198.51.100.25"]), 0);
    // A temporary deferral confirmed only by a warning-level check: retried, not an error.
    assert_eq!(rc(&["news@soft.example", "--ip", "198.51.100.25", "--reply", "451 4.7.1 SPF check failed, try again later"]), 0);
    // A correctly configured sender.
    assert_eq!(rc(&["news@good.example", "--ip", "198.51.100.25"]), 0);
}

#[test]
fn error_checks_exit_1_with_or_without_a_reply() {
    assert_eq!(rc(&["billing@shop.example", "--ip", "198.51.100.25"]), 1);
    assert_eq!(rc(&["alerts@parked.example"]), 1);
}
