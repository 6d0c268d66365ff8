//! Every finding id the code can emit is documented in docs/findings.md, and every cause
//! of the taxonomy in docs/causes.md.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_finding_id_is_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs = std::fs::read_to_string(root.join("docs/findings.md")).unwrap();
    let re = regex::Regex::new(r#""((?:address|domain|spf|dkim|dmarc|host|smtp|reply)\.[a-z0-9-]+)""#).unwrap();
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut ids = std::collections::BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for c in re.captures_iter(&text) {
            ids.insert(c[1].to_string());
        }
    }
    assert!(ids.len() > 100, "found only {} ids: is the pattern still right?", ids.len());
    let undocumented: Vec<&String> = ids
        .iter()
        // A literal used as a prefix (`starts_with("host.helo")`) is not an id.
        .filter(|id| !docs.contains(&format!("`{id}`")) && !docs.contains(&format!("`{id}-")))
        .collect();
    assert!(undocumented.is_empty(), "finding ids missing from docs/findings.md: {undocumented:?}");
}

#[test]
fn every_cause_is_documented() {
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/causes.md")).unwrap();
    for c in mailsleuth::diagnose::causes::CAUSES {
        assert!(docs.contains(&format!("`{}`", c.id)), "cause {} missing from docs/causes.md", c.id);
        for id in c.confirms.iter().chain(c.rules_out) {
            assert!(docs.contains(&format!("`{id}`")), "cause {}: {id} missing from docs/causes.md (regenerate it)", c.id);
        }
    }
}
