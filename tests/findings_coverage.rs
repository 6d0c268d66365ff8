//! Every finding id documented in docs/findings.md is asserted somewhere under tests/:
//! the id appears as a quoted string ("spf.fail") in a test file or scenario, not just
//! in prose. The docs' tables are the list; an id added there without a test fails here.
//! (This file is left out of the search, so the ids it quotes cannot satisfy it.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const FAMILIES: &[&str] = &["address", "domain", "spf", "dkim", "dmarc", "host", "smtp", "reply"];

/// The ids of docs/findings.md: the backquoted ids in the first cell of each table row.
fn documented_ids(docs: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for line in docs.lines() {
        let Some(rest) = line.strip_prefix('|') else { continue };
        let first = rest.split('|').next().unwrap_or("");
        for (i, part) in first.split('`').enumerate() {
            // Odd parts are inside backquotes.
            if i % 2 == 1 && is_id(part) {
                ids.push(part.to_string());
            }
        }
    }
    ids
}

fn is_id(s: &str) -> bool {
    let Some((family, rest)) = s.split_once('.') else { return false };
    FAMILIES.contains(&family)
        && !rest.is_empty()
        && rest.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Every quoted id-shaped string in the test tree, except in this file.
fn quoted_ids_in_tests(root: &Path) -> BTreeSet<String> {
    let me = root.join(file!().trim_start_matches("./"));
    let mut all = Vec::new();
    files(&root.join("tests"), &mut all);
    let mut seen = BTreeSet::new();
    for f in all {
        if f == me || f.file_name().is_some_and(|n| n == file!().rsplit('/').next().unwrap()) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&f) else { continue };
        for (i, part) in text.split('"').enumerate() {
            if i % 2 == 1 && is_id(part) {
                seen.insert(part.to_string());
            }
        }
    }
    seen
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_docs_list_is_read() {
    let docs = std::fs::read_to_string(root().join("docs/findings.md")).unwrap();
    let ids = documented_ids(&docs);
    // One per family at least, and well over a hundred in all: the table format is understood.
    for fam in FAMILIES {
        assert!(ids.iter().any(|i| i.starts_with(&format!("{fam}."))), "no {fam}.* id read from docs/findings.md");
    }
    assert!(ids.len() > 150, "only {} ids read from docs/findings.md: has the table format changed?", ids.len());
    // A cell with several ids (spf.helo-*) yields each of them.
    assert!(ids.iter().filter(|i| i.starts_with("spf.helo-")).count() >= 7, "{ids:?}");
    // Prose outside the first cell is not an id list.
    assert!(!ids.iter().any(|i| i.contains(' ')));
}

#[test]
fn the_matcher_is_strict() {
    // Quoted and exact only: a prefix, a longer id or prose does not count.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tests")).unwrap();
    std::fs::write(
        dir.path().join("tests/x.rs"),
        "// smtp.accepted in a comment\nlet a = \"spf.fail-x\"; let b = \"dkim.key\"; let c = \"reply.cause.spf\";\n",
    )
    .unwrap();
    let seen = quoted_ids_in_tests(dir.path());
    assert!(seen.contains("reply.cause.spf"));
    assert!(!seen.contains("smtp.accepted"), "a comment is not an assertion");
    assert!(!seen.contains("spf.fail"), "spf.fail-x is another id");
    assert!(!seen.contains("dkim.key-ok"));
}

#[test]
fn every_documented_id_is_in_a_test() {
    let r = root();
    let docs = std::fs::read_to_string(r.join("docs/findings.md")).unwrap();
    let seen = quoted_ids_in_tests(&r);
    let missing: Vec<String> = documented_ids(&docs).into_iter().filter(|id| !seen.contains(id)).collect();
    assert!(missing.is_empty(), "{} documented finding id(s) are asserted by no test under tests/ (quote the id in a test that drives the real check): {missing:?}", missing.len());
}
