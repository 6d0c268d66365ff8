//! Every code the IANA registry lists (the shared flattened TSV is the oracle) resolves
//! in the embedded table, with the same title.

use mailsleuth::reply::{registry, EnhancedCode};

#[test]
fn every_registered_code_resolves() {
    let data = mailsleuth::conformance::require_data_dir("smtp-status/iana-smtp-enhanced-status-codes.tsv");
    let body = std::fs::read_to_string(data.join("smtp-status/iana-smtp-enhanced-status-codes.tsv")).unwrap();
    let (mut classes, mut subjects, mut details) = (0, 0, 0);
    for line in body.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let (kind, code, title) = (f[0], f[1], f[2].trim());
        let parts: Vec<&str> = code.split('.').collect();
        if kind.starts_with("Class") {
            let class: u8 = parts[0].parse().unwrap();
            assert_eq!(registry::class_title(class), Some(title), "class {code}");
            classes += 1;
        } else if kind.starts_with("Subject") {
            let subject: u16 = parts[1].parse().unwrap();
            assert_eq!(registry::subject_title(subject), Some(title), "subject {code}");
            subjects += 1;
        } else {
            let (s, d): (u16, u16) = (parts[1].parse().unwrap(), parts[2].parse().unwrap());
            for class in [4u8, 5] {
                let m = registry::lookup(EnhancedCode { class, subject: s, detail: d });
                assert!(m.registered, "{class}.{s}.{d} not in the embedded registry");
                assert_eq!(m.detail.unwrap_or(""), title, "{class}.{s}.{d}");
                assert!(m.subject.is_some(), "{class}.{s}.{d} has no subject");
                assert!(m.description.is_some_and(|d| !d.is_empty()));
            }
            details += 1;
        }
    }
    assert_eq!((classes, subjects), (3, 8));
    assert!(details >= 81, "only {details} enumerated codes in the oracle");
    assert_eq!(registry::all_details().count(), details, "embedded table and registry differ in size");
}
