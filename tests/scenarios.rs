//! The scenario suite (tests/scenarios, docs/scenarios.md): top-1 cause for every case,
//! every cause of the taxonomy covered, --replay (through a bundle file) identical for
//! every case, and no case speaks SMTP.

use mailsleuth::diagnose::{live, scenarios};

#[test]
fn every_scenario_ranks_its_cause_first() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let outcomes = scenarios::run_all(&dir).expect("scenario folder");
    let r = scenarios::summarise(&outcomes);
    assert!(r.passed >= 30, "at least 30 scenarios: {}", r.passed);
    assert_eq!(r.failed, 0, "{:#?}\n{:#?}", r.notes, r.summary);
    assert!(!r.summary[0].contains("missing"), "every cause needs a scenario: {:?}", r.summary);
    // The receiver's callout is not repeated offline: the cases that need it say so.
    for o in outcomes.iter().filter(|o| o.name.starts_with("sender-verify")) {
        assert_eq!(o.smtp, [live::NOT_RUN], "{}", o.name);
    }
    assert!(outcomes.iter().all(|o| !o.spoke_smtp()));
    // The newer corners of the taxonomy rank first for the right reason.
    let get = |name: &str| outcomes.iter().find(|o| o.name == name).unwrap_or_else(|| panic!("scenario {name} missing"));
    for (name, status, finding, code) in [
        ("spf-temperror-gmail", "confirmed", "spf.temperror", 3),
        ("spf-helo-fail-policyd", "confirmed", "spf.helo-fail", 1),
        ("blocklisted-domain-dbl", "confirmed", "host.domain-listed", 1),
        ("rdns-mismatch-postfix", "confirmed", "host.fcrdns-mismatch", 1),
        ("dmarc-fail-ses-event", "confirmed", "dmarc.fail", 1),
        ("domain-nxdomain-sisimai-postfix", "confirmed", "domain.nxdomain", 1),
        ("rdns-missing-sisimai-exim", "confirmed", "host.no-ptr", 1),
    ] {
        let o = get(name);
        assert!(o.passed(), "{o:?}");
        assert_eq!((o.top_status.as_deref(), o.top_finding.as_deref(), o.exit_code), (Some(status), Some(finding), code), "{name}");
    }
}

/// `--scenarios DIR` runs another folder with the same layout, and needs no shared data folder.
#[test]
fn another_scenario_folder_runs_without_the_data_folder() {
    let cases = tempfile::tempdir().unwrap();
    let case = cases.path().join("null-mx");
    std::fs::create_dir_all(case.join("zones")).unwrap();
    std::fs::write(case.join("zones/parked.test.zone"), "$ORIGIN parked.test.\n@ 300 IN MX 0 .\n").unwrap();
    std::fs::write(case.join("scenario.json"), r#"{"description": "null MX", "sender": "a@parked.test", "expect_top": "null-mx", "no_dnsbl": true}"#).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let missing = elsewhere.path().join("no-such-data");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailsleuth-conformance"))
        .arg(&missing)
        .arg("--scenarios")
        .arg(cases.path())
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("scenarios: 1 passed, 0 failed\n"), "{stdout}");
    // Other suites still need it, and say so.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailsleuth-conformance")).arg(&missing).current_dir(elsewhere.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
