//! The scenario suite (tests/scenarios, docs/scenarios.md): top-1 cause for every case,
//! every cause of the taxonomy covered, and --replay identical for every case.

#[test]
fn every_scenario_ranks_its_cause_first() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let r = mailsleuth::diagnose::scenarios::run_dir(&dir).expect("scenario folder");
    assert!(r.passed >= 30, "at least 30 scenarios: {}", r.passed);
    assert_eq!(r.failed, 0, "{:#?}\n{:#?}", r.notes, r.summary);
    assert!(!r.summary[0].contains("missing"), "every cause needs a scenario: {:?}", r.summary);
}
