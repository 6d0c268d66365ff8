//! The OpenSPF conformance suites (`spf/rfc7208-tests.yml`, `spf/rfc4408-tests.yml`:
//! multi-document YAML, one document per scenario; the `.json` form of the same documents
//! when the `.yml` is absent) run against [`check_host`], each scenario's zone data served
//! by a [`StaticZone`].
//!
//! rfc4408: we implement RFC 7208 only. For every rfc4408 test whose expectation differs
//! from the same test in rfc7208, the rfc4408 suite already lists the RFC 7208 answer among
//! its acceptable results, so no test is excluded; `--verbose` lists those tests (found by
//! comparing the two files, not from a hand-kept list) and docs/spf-conformance.md
//! explains them.

use std::net::IpAddr;
use std::path::Path;

use serde_json::Value;

use super::verify::{check_host, Query, SpfResult};
use crate::conformance::SuiteResult;
use crate::dns::{Outcome, RType, Rec, Resolver, StaticZone};

/// One test case of a suite.
#[derive(Debug, Clone)]
pub struct Case {
    pub scenario: String,
    pub id: String,
    pub host: String,
    pub mailfrom: String,
    pub helo: String,
    pub results: Vec<SpfResult>,
    /// Expected explanation; `Some(None)` for "DEFAULT" (no exp= text).
    pub explanation: Option<Option<String>>,
    /// `%{r}`, when the test names the receiver.
    pub receiver: Option<String>,
}

/// A scenario: its zone and its cases.
pub struct Scenario {
    pub description: String,
    pub zone: StaticZone,
    pub cases: Vec<Case>,
    /// Tests of pyspf's own modes that are not RFC 7208 behaviour (`strict: 0`, lax, or a
    /// result such as `ambiguous`): not run, listed in the notes.
    pub not_applicable: Vec<String>,
}

fn strings(v: &Value) -> Option<Vec<Vec<u8>>> {
    match v {
        Value::String(s) => Some(vec![s.as_bytes().to_vec()]),
        Value::Array(a) => a.iter().map(|x| x.as_str().map(|s| s.as_bytes().to_vec())).collect(),
        _ => None,
    }
}

/// Build the zone of a scenario by the suite's conventions (see ../shared/data/README.md).
pub fn zone_of(zonedata: &Value) -> Result<StaticZone, String> {
    let mut z = StaticZone::new();
    let Some(map) = zonedata.as_object() else { return Err("zonedata is not a map".into()) };
    for (name, entries) in map {
        z.touch(name);
        let entries = entries.as_array().ok_or_else(|| format!("{name}: entries are not a list"))?;
        let has_txt = entries.iter().any(|e| e.get("TXT").is_some());
        let timeout = entries.iter().any(|e| e.as_str() == Some("TIMEOUT"));
        for e in entries {
            if e.as_str() == Some("TIMEOUT") {
                continue;
            }
            let Some(obj) = e.as_object() else { return Err(format!("{name}: bad entry {e}")) };
            for (ty, val) in obj {
                if val.as_str() == Some("NONE") {
                    continue; // the name exists, with no record of this type
                }
                let bad = || format!("{name}: bad {ty} value {val}");
                match ty.as_str() {
                    "A" => z.add(name, Rec::A(val.as_str().and_then(|s| s.parse().ok()).ok_or_else(bad)?)),
                    "AAAA" => z.add(name, Rec::Aaaa(val.as_str().and_then(|s| s.parse().ok()).ok_or_else(bad)?)),
                    "MX" => {
                        let a = val.as_array().ok_or_else(bad)?;
                        let pref = a.first().and_then(Value::as_u64).ok_or_else(bad)? as u16;
                        let host = a.get(1).and_then(Value::as_str).ok_or_else(bad)?;
                        z.add(name, Rec::Mx { preference: pref, exchange: crate::dns::normalize(host) });
                    }
                    "PTR" => z.add(name, Rec::Ptr(crate::dns::normalize(val.as_str().ok_or_else(bad)?))),
                    "CNAME" => z.add(name, Rec::Cname(crate::dns::normalize(val.as_str().ok_or_else(bad)?))),
                    "TXT" => z.add(name, Rec::Txt(strings(val).ok_or_else(bad)?)),
                    "SPF" => {
                        let rec = Rec::Txt(strings(val).ok_or_else(bad)?);
                        z.add_typed(name, RType::Spf, rec.clone());
                        // SPF-type records count as TXT unless the name has its own TXT.
                        if !has_txt {
                            z.add_typed(name, RType::Txt, rec);
                        }
                    }
                    other => return Err(format!("{name}: unknown record type {other}")),
                }
            }
        }
        if timeout {
            // A bare TIMEOUT: every query for the name times out. Beside records (as in
            // `spftimeout`), only the types without records time out, as in the suite's
            // own harness.
            let served: Vec<RType> = ALL_TYPES.iter().copied().filter(|t| z.has_type(name, *t)).collect();
            if served.is_empty() {
                z.fail_all(name, Outcome::Timeout);
            } else {
                for t in ALL_TYPES.iter().filter(|t| !served.contains(t)) {
                    z.fail(name, *t, Outcome::Timeout);
                }
            }
        }
    }
    Ok(z)
}

const ALL_TYPES: &[RType] =
    &[RType::A, RType::Aaaa, RType::Mx, RType::Txt, RType::Ptr, RType::Cname, RType::Ns, RType::Soa, RType::Spf, RType::Ds];

/// Load a suite file: a JSON list of scenarios, or a YAML file of scenario documents.
pub fn load(path: &Path) -> Result<Vec<Scenario>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let list: Vec<Value> = if path.extension().is_some_and(|e| e == "json") {
        let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        doc.as_array().cloned().ok_or_else(|| format!("{}: not a list of scenarios", path.display()))?
    } else {
        use serde::Deserialize;
        serde_yaml::Deserializer::from_str(&text)
            .map(|d| Value::deserialize(d).map_err(|e| format!("{}: {e}", path.display())))
            .collect::<Result<_, _>>()?
    };
    let mut out = Vec::new();
    for s in &list {
        let description = s
            .get("description")
            .or_else(|| s.get("comment"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string();
        let zone = zone_of(s.get("zonedata").unwrap_or(&Value::Null)).map_err(|e| format!("{description}: {e}"))?;
        let mut cases = Vec::new();
        let mut not_applicable = Vec::new();
        if let Some(tests) = s.get("tests").and_then(Value::as_object) {
            for (id, t) in tests {
                let lax = t.get("strict").and_then(Value::as_u64) == Some(0);
                let non_rfc = t.get("result").and_then(Value::as_str).is_some_and(|r| SpfResult::parse(r).is_none());
                if lax || non_rfc {
                    not_applicable.push(format!("{id}: pyspf {} mode, not RFC 7208", if lax { "lax" } else { "harsh (result ambiguous)" }));
                    continue;
                }
                let get = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                let results = match t.get("result") {
                    Some(Value::String(r)) => vec![r.clone()],
                    Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
                    _ => Vec::new(),
                };
                let results: Vec<SpfResult> = results.iter().filter_map(|r| SpfResult::parse(r)).collect();
                if results.is_empty() {
                    return Err(format!("{description}/{id}: no usable result"));
                }
                let explanation = t.get("explanation").and_then(Value::as_str).map(|e| {
                    if e == "DEFAULT" { None } else { Some(e.to_string()) }
                });
                cases.push(Case {
                    scenario: description.clone(),
                    id: id.clone(),
                    host: get("host"),
                    mailfrom: get("mailfrom"),
                    helo: get("helo"),
                    results,
                    explanation,
                    receiver: t.get("receiver").and_then(Value::as_str).map(str::to_string),
                });
            }
        }
        out.push(Scenario { description, zone, cases, not_applicable });
    }
    Ok(out)
}

/// What we got for one case.
#[derive(Debug, Clone)]
pub struct Outcome1 {
    pub result: SpfResult,
    pub explanation: Option<String>,
}

/// Run one case the way the suite's harness does: MAIL FROM identity, or HELO when the
/// MAIL FROM is empty.
pub async fn run_case(resolver: &Resolver, c: &Case) -> Result<Outcome1, String> {
    let ip: IpAddr = c.host.parse().map_err(|_| format!("bad host {}", c.host))?;
    let mut q = Query::mail_from(ip, &c.mailfrom, &c.helo);
    q.receiver = c.receiver.clone();
    let ev = check_host(resolver, &q).await;
    Ok(Outcome1 { result: ev.result, explanation: ev.explanation })
}

/// Does a result satisfy the case? Explanations compare ASCII-case-insensitively: the
/// suite writes ip6.arpa nibbles in upper case where RFC 7208 §7.4 writes lower case.
pub fn satisfies(c: &Case, o: &Outcome1) -> bool {
    c.results.contains(&o.result)
        && match &c.explanation {
            None => true,
            Some(None) => o.explanation.is_none(),
            Some(Some(e)) => o.explanation.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(e)),
        }
}

fn run_suite(scenarios: &[Scenario], name: &str) -> Result<SuiteResult, String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let mut res = SuiteResult::new(name);
    for s in scenarios {
        res.notes.extend(s.not_applicable.iter().map(|n| format!("not run: {n}")));
    }
    rt.block_on(async {
        for s in scenarios {
            for c in &s.cases {
                // A fresh resolver per case: the per-run cache must not leak between cases.
                let resolver = Resolver::from_static(s.zone.clone());
                let o = run_case(&resolver, c).await;
                let ok = matches!(&o, Ok(o) if satisfies(c, o));
                res.check(ok, || {
                    let got = match &o {
                        Ok(o) => format!("got {} (exp {:?})", o.result, o.explanation),
                        Err(e) => e.clone(),
                    };
                    format!(
                        "{}/{}: want {:?}{}, {got}",
                        s.description,
                        c.id,
                        c.results.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                        c.explanation.as_ref().map(|e| format!(" exp {e:?}")).unwrap_or_default(),
                    )
                });
            }
        }
    });
    Ok(res)
}

/// rfc4408 tests whose expectation differs from the same test in rfc7208: (id, rfc4408
/// results, rfc7208 results).
pub fn changed_by_rfc7208(old: &[Scenario], new: &[Scenario]) -> Vec<(String, Vec<SpfResult>, Vec<SpfResult>)> {
    let mut out = Vec::new();
    for c in old.iter().flat_map(|s| &s.cases) {
        if let Some(n) = new.iter().flat_map(|s| &s.cases).find(|n| n.id == c.id) {
            let (mut a, mut b) = (c.results.clone(), n.results.clone());
            a.sort_by_key(|r| r.as_str());
            b.sort_by_key(|r| r.as_str());
            if a != b || c.explanation != n.explanation {
                out.push((c.id.clone(), c.results.clone(), n.results.clone()));
            }
        }
    }
    out
}

/// A suite file: the `.yml` the issue and `.ci/run` name, else the `.json` of the same
/// documents. The error names the preferred form.
pub fn suite_path(data: &Path, stem: &str) -> Result<std::path::PathBuf, String> {
    let yml = data.join(format!("spf/{stem}.yml"));
    let json = data.join(format!("spf/{stem}.json"));
    if yml.exists() {
        Ok(yml)
    } else if json.exists() {
        Ok(json)
    } else {
        Err(format!("{} not found (nor {})", yml.display(), json.display()))
    }
}

/// The runner registered in `conformance::suites()`.
pub fn run(data: &Path) -> Result<Vec<SuiteResult>, String> {
    let p7208 = suite_path(data, "rfc7208-tests")?;
    let p4408 = suite_path(data, "rfc4408-tests")?;
    let pextra = data.join("spf/pyspf-extra-test.yml");
    if !pextra.exists() {
        return Err(format!("{} not found", pextra.display()));
    }
    let (new, old) = (load(&p7208)?, load(&p4408)?);
    let r7208 = run_suite(&new, "rfc7208")?;
    let mut r4408 = run_suite(&old, "rfc4408")?;
    for (id, was, now) in changed_by_rfc7208(&old, &new) {
        let show = |v: &[SpfResult]| v.iter().map(|r| r.as_str()).collect::<Vec<_>>().join("|");
        r4408.notes.push(format!("{id}: expectation changed by RFC 7208 ({} -> {}); we give the RFC 7208 answer", show(&was), show(&now)));
    }
    let extra = run_suite(&load(&pextra)?, "pyspf-extra")?;
    Ok(vec![r7208, r4408, extra])
}
