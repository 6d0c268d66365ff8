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

/// The cause sections of docs/causes.md, as the taxonomy (src/diagnose/causes.rs) says.
fn cause_sections() -> String {
    use mailsleuth::diagnose::causes::{self, CAUSES};
    let list = |ids: &[&str]| if ids.is_empty() { "—".to_string() } else { ids.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ") };
    let said = |s: &[mailsleuth::reply::Cause]| if s.is_empty() { "—".to_string() } else { s.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ") };
    let mut out = String::new();
    for c in CAUSES {
        out.push_str(&format!("### `{}` — {}\n\n", c.id, c.title));
        out.push_str(&format!("- confirmed by: {}\n", list(c.confirms)));
        out.push_str(&format!("- ruled out by: {}\n", list(c.rules_out)));
        out.push_str(&format!("- named by the reply (strong): {}; compatible (weak): {}\n", said(c.said_strong), said(c.said_weak)));
        let transient = causes::said_strong_when_transient(c);
        if !transient.is_empty() {
            out.push_str(&format!("- named by a temporary (4xx) reply: {}\n", said(transient)));
        }
        out.push_str(&format!("- decided by: {}\n", c.needs));
        out.push_str(&format!("- fix when no finding gives one: {}\n\n", c.fix));
    }
    out.trim_end().to_string() + "\n"
}

/// docs/causes.md's sections match the taxonomy; `MAILSLEUTH_BLESS=1 cargo test --test docs`
/// rewrites them.
#[test]
fn cause_sections_match_the_taxonomy() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/causes.md");
    let docs = std::fs::read_to_string(&path).unwrap();
    let start = docs.find("### `").expect("cause sections in docs/causes.md");
    let want = cause_sections();
    if std::env::var_os("MAILSLEUTH_BLESS").is_some() {
        std::fs::write(&path, format!("{}{want}", &docs[..start])).unwrap();
        return;
    }
    assert!(docs[start..] == want, "docs/causes.md is out of step with the taxonomy: run MAILSLEUTH_BLESS=1 cargo test --test docs");
}
