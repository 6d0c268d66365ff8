//! The DKIM conformance suite on the shared data: every case must give its verdict.

use mailsleuth::conformance::require_data_dir;

#[test]
fn dkim_suite() {
    let d = require_data_dir("dkim/dkim-cases.json");
    for r in mailsleuth::dkim::conformance::run(&d).unwrap() {
        assert_eq!(r.failed, 0, "{}: {} failed:\n{}", r.name, r.failed, r.notes.join("\n"));
        assert_eq!(r.passed, 7);
    }
}
