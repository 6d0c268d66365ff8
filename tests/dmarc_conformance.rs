//! The DMARC conformance suites on the shared data: every case must pass.

use mailsleuth::conformance::require_data_dir;

fn assert_clean(results: Vec<mailsleuth::conformance::SuiteResult>, min: usize) {
    for r in results {
        assert_eq!(r.failed, 0, "{}: {} failed:\n{}", r.name, r.failed, r.notes.join("\n"));
        assert!(r.passed >= min, "{}: only {} cases ran", r.name, r.passed);
    }
}

#[test]
fn dmarc_syntax_suite() {
    let d = require_data_dir("dmarc/pypi-dmarc/dmarc-record-syntax-cases.json");
    assert_clean(mailsleuth::dmarc::conformance::syntax(&d).unwrap(), 16);
}

#[test]
fn psl_suite() {
    let d = require_data_dir("dmarc/public-suffix-list/test_psl.txt");
    assert_clean(mailsleuth::dmarc::conformance::psl(&d).unwrap(), 78);
}

#[test]
fn dmarc_authheaders_suite() {
    let d = require_data_dir("dmarc/authheaders/dmarc-cases.json");
    assert_clean(mailsleuth::dmarc::conformance::authheaders(&d).unwrap(), 12);
}

#[test]
fn suites_are_registered() {
    let names: Vec<&str> = mailsleuth::conformance::suites().iter().map(|(n, _)| *n).collect();
    for n in ["dkim", "dmarc-authheaders", "dmarc-syntax", "psl"] {
        assert!(names.contains(&n), "{n} not registered");
    }
}
