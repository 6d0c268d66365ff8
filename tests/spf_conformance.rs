//! The OpenSPF suites must pass in full: CI fails on any regression.

#[test]
fn rfc7208_and_rfc4408_suites_pass() {
    let data = mailsleuth::conformance::require_data_dir("spf/rfc7208-tests.json");
    let results = mailsleuth::spf::conformance::run(&data).expect("datasets present");
    let r7208 = results.iter().find(|r| r.name == "rfc7208").expect("rfc7208 suite ran");
    assert_eq!(r7208.passed, 203, "rfc7208: {:?}", r7208.notes);
    let count = |name: &str| results.iter().find(|r| r.name == name).map(|r| r.passed).unwrap_or(0);
    assert_eq!(count("rfc4408"), 191);
    // pyspf-extra: 16 tests, 2 of them pyspf's lax/harsh modes (not RFC 7208), not run.
    assert_eq!(count("pyspf-extra"), 14);
    for r in &results {
        assert_eq!(r.failed, 0, "{}: {} failed: {:#?}", r.name, r.failed, r.notes);
    }
}

#[test]
fn runner_fails_loudly_without_data() {
    let dir = tempfile::tempdir().unwrap();
    let err = mailsleuth::spf::conformance::run(dir.path()).unwrap_err();
    assert!(err.contains("rfc7208-tests.json"), "{err}");
}
