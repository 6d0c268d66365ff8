//! Conformance suites of the DMARC module:
//! * `dmarc-syntax`: dmarc/pypi-dmarc/dmarc-record-syntax-cases.json (valid / invalid);
//! * `psl`: dmarc/public-suffix-list/test_psl.txt against that list file;
//! * `dmarc-authheaders`: dmarc/authheaders/dmarc-cases.json (dmarc= result and policy).

use std::path::Path;

use serde::Deserialize;

use super::align::DmarcResult;
use super::policy::Mode;
use super::psl::PslFile;
use crate::conformance::SuiteResult;
use crate::dns::{Rec, Resolver, StaticZone};

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

#[derive(Deserialize)]
struct SyntaxFile {
    cases: Vec<SyntaxCase>,
}

#[derive(Deserialize)]
struct SyntaxCase {
    test: String,
    record: String,
    expected_valid: bool,
    #[serde(default)]
    strict: Option<bool>,
}

/// Valid under the given strictness: a strict reader rejects any invalid value; a
/// lenient one only broken syntax and a missing/invalid p.
pub fn record_valid(record: &str, strict: bool) -> bool {
    match super::parse::parse(record) {
        Err(_) => false,
        Ok(r) if strict => r.is_valid_strict(),
        Ok(r) => !r.has_syntax_error() && r.p.is_some(),
    }
}

pub fn syntax(data: &Path) -> Result<Vec<SuiteResult>, String> {
    let path = data.join("dmarc/pypi-dmarc/dmarc-record-syntax-cases.json");
    let file: SyntaxFile = serde_json::from_str(&read(&path)?).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut res = SuiteResult::new("dmarc-syntax");
    for c in file.cases {
        let strict = c.strict.unwrap_or(true);
        let got = record_valid(&c.record, strict);
        res.check(got == c.expected_valid, || {
            format!("{}: {:?} expected {}, got {}", c.test, c.record, if c.expected_valid { "valid" } else { "invalid" }, if got { "valid" } else { "invalid" })
        });
    }
    Ok(vec![res])
}

/// `checkPublicSuffix('a.b', 'b');` lines: (input, expected), `null` as None.
pub fn psl_vectors(text: &str) -> Vec<(Option<String>, Option<String>)> {
    let arg = |s: &str| -> Option<String> {
        let s = s.trim();
        if s == "null" { None } else { Some(s.trim_matches('\'').to_string()) }
    };
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("checkPublicSuffix("))
        .filter_map(|l| {
            let inner = l.strip_prefix("checkPublicSuffix(")?.trim_end_matches(';').strip_suffix(')')?;
            let (a, b) = inner.split_once(',')?;
            Some((arg(a), arg(b)))
        })
        .collect()
}

pub fn psl(data: &Path) -> Result<Vec<SuiteResult>, String> {
    let dir = data.join("dmarc/public-suffix-list");
    let list = PslFile::parse(&read(&dir.join("public_suffix_list.dat"))?);
    if list.is_empty() {
        return Err("public_suffix_list.dat holds no rules".into());
    }
    let vectors = psl_vectors(&read(&dir.join("test_psl.txt"))?);
    if vectors.is_empty() {
        return Err("test_psl.txt holds no checkPublicSuffix vectors".into());
    }
    let mut res = SuiteResult::new("psl");
    let mut crate_misses = Vec::new();
    for (input, expected) in &vectors {
        let got = input.as_deref().and_then(|d| list.registrable(d));
        res.check(got == *expected, || format!("{input:?}: expected {expected:?}, got {got:?}"));
        // The product's compiled list (a newer version), for information only.
        let compiled = input.as_deref().and_then(|d| {
            if d.is_empty() || d.starts_with('.') {
                return None;
            }
            let ascii = idna::domain_to_ascii(&d.to_lowercase()).ok()?;
            super::psl::registrable(&ascii)
        });
        let want = expected.as_deref().and_then(|e| idna::domain_to_ascii(e).ok());
        if compiled != want {
            crate_misses.push(format!("{input:?}: list file says {want:?}, compiled psl crate says {compiled:?}"));
        }
    }
    res.notes.push(format!(
        "note: the psl crate's compiled list agrees on {}/{} vectors (a different list version)",
        vectors.len() - crate_misses.len(),
        vectors.len()
    ));
    res.notes.extend(crate_misses.into_iter().map(|m| format!("note: {m}")));
    Ok(vec![res])
}

#[derive(Deserialize)]
struct AhFile {
    dns: serde_json::Map<String, serde_json::Value>,
    cases: Vec<AhCase>,
}

#[derive(Deserialize)]
struct AhCase {
    id: String,
    message: String,
    #[serde(default)]
    options: serde_json::Map<String, serde_json::Value>,
    expected_authentication_results: String,
    dmarc_expected: Option<String>,
    policy_expected: Option<String>,
}

/// `dkim=pass header.d=example.org` pairs of an Authentication-Results value.
pub fn dkim_results(ar: &str) -> Vec<(String, String)> {
    ar.split(';')
        .filter_map(|p| {
            let p = p.trim();
            let rest = p.strip_prefix("dkim=")?;
            let result = rest.split_whitespace().next()?.to_ascii_lowercase();
            let d = p.split_whitespace().find_map(|w| w.strip_prefix("header.d="))?;
            Some((result, crate::dns::normalize(d)))
        })
        .collect()
}

pub fn authheaders(data: &Path) -> Result<Vec<SuiteResult>, String> {
    let dir = data.join("dmarc/authheaders");
    let path = dir.join("dmarc-cases.json");
    let file: AhFile = serde_json::from_str(&read(&path)?).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut zone = StaticZone::new();
    for (name, value) in &file.dns {
        match value {
            serde_json::Value::Null => {}
            serde_json::Value::String(s) if s.is_empty() => zone.touch(name),
            serde_json::Value::String(s) => zone.add(name, Rec::Txt(vec![s.as_bytes().to_vec()])),
            serde_json::Value::Object(o) => {
                let f = o.get("file").and_then(|f| f.as_str()).ok_or_else(|| format!("dns entry {name}: unknown form"))?;
                let text = read(&dir.join(f))?;
                zone.add(name, Rec::Txt(vec![text.trim().as_bytes().to_vec()]));
            }
            _ => return Err(format!("dns entry {name}: unknown form")),
        }
    }
    let resolver = Resolver::from_static(zone);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let mut res = SuiteResult::new("dmarc-authheaders");
    for c in file.cases {
        let raw = match std::fs::read(dir.join(&c.message)) {
            Ok(r) => r,
            Err(e) => {
                res.check(false, || format!("{}: {e}", c.id));
                continue;
            }
        };
        let opt = |k: &str, default: bool| c.options.get(k).and_then(|v| v.as_bool()).unwrap_or(default);
        let mode = if opt("dmarcbis", false) { Mode::TreeWalk } else { Mode::Rfc7489 };
        let outcome = rt.block_on(async {
            let mut dkim: Vec<(String, String)> = Vec::new();
            if let Some(prev) = c.options.get("prev").and_then(|v| v.as_str()) {
                dkim.extend(dkim_results(prev));
            }
            if opt("dkim", true) {
                let m = crate::dkim::verify::verify_message(&resolver, &raw).await?;
                dkim.extend(m.signatures.iter().map(|s| (s.result.as_str().to_string(), s.domain.clone())));
            }
            let passes: Vec<String> = dkim.iter().filter(|(r, _)| r == "pass").map(|(_, d)| d.clone()).collect();
            let verdict = if opt("dmarc", true) {
                let (n, addrs) = super::message::from_addresses(&raw);
                Some(super::message::dmarc_for(&resolver, n, &addrs, None, &passes, mode).await.1)
            } else {
                None
            };
            Ok::<_, String>((dkim, verdict))
        });
        let (dkim, verdict) = match outcome {
            Ok(x) => x,
            Err(e) => {
                res.check(false, || format!("{}: {e}", c.id));
                continue;
            }
        };
        let want_dkim = dkim_results(&c.expected_authentication_results);
        let dkim_ok = want_dkim.iter().all(|w| dkim.contains(w));
        let (got_result, got_policy) = match &verdict {
            Some(v) => {
                let pol = match (v.policy, v.result) {
                    (Some(a), _) => Some(a.disposition.as_str().to_string()),
                    (None, DmarcResult::PermError | DmarcResult::TempError) => Some("none".to_string()),
                    (None, _) => None,
                };
                (Some(v.result.as_str().to_string()), pol)
            }
            None => (None, None),
        };
        let ok = dkim_ok && got_result == c.dmarc_expected && got_policy == c.policy_expected;
        res.check(ok, || {
            format!(
                "{}: expected dmarc={:?} policy={:?} dkim={:?}; got dmarc={:?} policy={:?} dkim={:?}{}",
                c.id,
                c.dmarc_expected,
                c.policy_expected,
                want_dkim,
                got_result,
                got_policy,
                dkim,
                verdict.as_ref().map(|v| format!(" ({})", v.comment)).unwrap_or_default()
            )
        });
    }
    Ok(vec![res])
}
