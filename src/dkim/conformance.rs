//! Conformance suite `dkim`: dkim/dkim-cases.json (dkimpy test data). Each case names a
//! message, a signature index, the key records, and the expected verdict.

use std::path::Path;

use serde::Deserialize;

use super::verify::{verify_message, SigResult};
use crate::conformance::SuiteResult;
use crate::dns::{Rec, Resolver, StaticZone};

#[derive(Deserialize)]
struct Case {
    id: String,
    message: String,
    sig_index: usize,
    dns: std::collections::BTreeMap<String, String>,
    expected: String,
}

/// Does the verdict match the expected text ("pass", "fail (...)", "permerror ...")?
fn matches(expected: &str, got: SigResult) -> bool {
    let e = expected.trim().to_ascii_lowercase();
    if e.starts_with("pass") {
        got == SigResult::Pass
    } else if e.starts_with("fail (permerror") || e.starts_with("permerror") {
        matches!(got, SigResult::PermError | SigResult::Fail)
    } else if e.starts_with("fail") {
        matches!(got, SigResult::Fail | SigResult::PermError | SigResult::Neutral)
    } else if e.starts_with("temperror") {
        got == SigResult::TempError
    } else {
        false
    }
}

/// When the expected text names a reason, the finding ids that express it.
fn expected_reasons(expected: &str) -> Option<&'static [&'static str]> {
    let e = expected.to_ascii_lowercase();
    if e.contains("unparseable public key") {
        Some(&["dkim.key-invalid", "dkim.key-syntax"])
    } else if e.contains("not a valid domain") {
        Some(&["dkim.signature-malformed"])
    } else if e.contains("does not verify") {
        Some(&["dkim.signature-mismatch", "dkim.body-hash-mismatch"])
    } else {
        None
    }
}

pub fn run(data: &Path) -> Result<Vec<SuiteResult>, String> {
    let dir = data.join("dkim");
    let path = dir.join("dkim-cases.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let cases: Vec<Case> = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let mut res = SuiteResult::new("dkim");
    for case in cases {
        let raw = match std::fs::read(dir.join(&case.message)) {
            Ok(r) => r,
            Err(e) => {
                res.check(false, || format!("{}: cannot read {}: {e}", case.id, case.message));
                continue;
            }
        };
        let mut zone = StaticZone::new();
        for (name, value) in &case.dns {
            zone.add(name, Rec::Txt(vec![value.as_bytes().to_vec()]));
        }
        let resolver = Resolver::from_static(zone);
        let out = rt.block_on(verify_message(&resolver, &raw));
        match out {
            Ok(m) => match m.signatures.get(case.sig_index) {
                Some(sig) => res.check(
                    matches(&case.expected, sig.result) && expected_reasons(&case.expected).is_none_or(|ids| ids.contains(&sig.reason_id)),
                    || {
                        format!("{}: expected {}, got {} [{}] ({})", case.id, case.expected, sig.result.as_str(), sig.reason_id, sig.reason)
                    },
                ),
                None => res.check(false, || format!("{}: no signature #{} (found {})", case.id, case.sig_index, m.signatures.len())),
            },
            Err(e) => res.check(false, || format!("{}: {e}", case.id)),
        }
    }
    Ok(vec![res])
}
