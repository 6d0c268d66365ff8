//! The scenario suite: folders of zone files and inputs with the expected top cause
//! (layout in docs/scenarios.md). Each scenario is diagnosed against its own embedded DNS
//! world, then recorded and replayed: the replay must give identical JSON.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::bundle::Bundle;
use super::inputs::Request;
use crate::conformance::SuiteResult;
use crate::dns::{DnsConfig, Fault, RType, Resolver, World};

/// `scenario.json` in a scenario folder.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub description: String,
    #[serde(default)]
    pub sender: Option<String>,
    #[serde(default)]
    pub ip: Option<IpAddr>,
    #[serde(default)]
    pub helo: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub reply: Option<String>,
    /// A bounce message file, relative to the scenario folder.
    #[serde(default)]
    pub bounce: Option<String>,
    /// An ESP event (SES, SendGrid, Mailgun, Postmark, SparkPost JSON), relative to the folder.
    #[serde(default)]
    pub event: Option<String>,
    /// The zone folder, relative to the scenario folder (default `zones`).
    #[serde(default)]
    pub zones: Option<String>,
    /// Skip blocklist queries (default false: they go to the world, which answers them).
    #[serde(default)]
    pub no_dnsbl: bool,
    /// DNS blocklist zones to use instead of the default set.
    #[serde(default)]
    pub dnsbl: Vec<String>,
    /// DNS failures to inject into the world (how a temperror is staged).
    #[serde(default)]
    pub faults: Vec<FaultSpec>,
    /// The cause id expected first (docs/causes.md).
    pub expect_top: String,
    /// Where the reply text or the bounce shape comes from.
    #[serde(default)]
    pub source: Option<String>,
}

/// A DNS failure for queries at or under `name` (of one type, or all).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub name: String,
    #[serde(default, rename = "type")]
    pub rtype: Option<String>,
    /// `servfail`, `refused` or `timeout`.
    pub fault: String,
}

impl FaultSpec {
    fn apply(&self, world: &World) -> Result<(), String> {
        let fault = match self.fault.as_str() {
            "servfail" => Fault::ServFail,
            "refused" => Fault::Refused,
            "timeout" => Fault::NoAnswer,
            other => return Err(format!("scenario.json: fault {other:?} (servfail, refused or timeout)")),
        };
        let rtype = match &self.rtype {
            Some(t) => Some(RType::parse(t).ok_or_else(|| format!("scenario.json: fault type {t:?} is not a record type"))?),
            None => None,
        };
        world.inject(&self.name, rtype, fault);
        Ok(())
    }
}

/// One scenario's result.
#[derive(Debug)]
pub struct Outcome {
    pub name: String,
    pub expected: String,
    pub got: String,
    pub replay_identical: bool,
    /// The top cause's status and the finding it rests on (e.g. `confirmed`, `spf.temperror`).
    pub top_status: Option<String>,
    pub top_finding: Option<String>,
    /// The exit code `mailsleuth diagnose` would give.
    pub exit_code: u8,
    /// The SMTP findings of the run: a scenario never connects, so only "callout not run".
    pub smtp: Vec<String>,
    pub error: Option<String>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.expected == self.got && self.replay_identical && !self.spoke_smtp()
    }
    /// Whether the run shows an SMTP session (it must not: scenarios are offline).
    pub fn spoke_smtp(&self) -> bool {
        self.smtp.iter().any(|id| id != super::live::NOT_RUN)
    }
}

/// Scenario folders below `dir` (those holding a scenario.json), sorted.
pub fn list(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut v: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.join("scenario.json").is_file()).collect();
    v.sort();
    if v.is_empty() {
        return Err(format!("{}: no scenario folders (each needs a scenario.json)", dir.display()));
    }
    Ok(v)
}

/// Run one scenario folder.
pub async fn run_one(dir: &Path) -> Outcome {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let fail = |expected: String, error: String| Outcome { name: name.clone(), expected, got: "-".into(), replay_identical: false, top_status: None, top_finding: None, exit_code: 0, smtp: vec![], error: Some(error) };
    let text = match std::fs::read_to_string(dir.join("scenario.json")) {
        Ok(t) => t,
        Err(e) => return fail("?".into(), e.to_string()),
    };
    let sc: Scenario = match serde_json::from_str(&text) {
        Ok(s) => s,
        Err(e) => return fail("?".into(), format!("scenario.json: {e}")),
    };
    if sc.bounce.is_some() && sc.event.is_some() {
        return fail(sc.expect_top.clone(), "scenario.json: give a bounce or an event, not both".into());
    }
    let zones = dir.join(sc.zones.as_deref().unwrap_or("zones"));
    let world = match World::start(&zones).await {
        Ok(w) => w,
        Err(e) => return fail(sc.expect_top.clone(), e.to_string()),
    };
    for f in &sc.faults {
        if let Err(e) = f.apply(&world) {
            return fail(sc.expect_top.clone(), e);
        }
    }
    let cfg = DnsConfig { servers: vec![], timeout: Duration::from_millis(800), attempts: 2 };
    let resolver = match Resolver::for_world(&world, &cfg) {
        Ok(r) => r,
        Err(e) => return fail(sc.expect_top.clone(), e.to_string()),
    };
    let request = Request {
        sender: sc.sender.clone(),
        ip: sc.ip,
        helo: sc.helo.clone(),
        to: sc.to.clone(),
        reply: sc.reply.clone(),
        // The reader tells a bounce message from an ESP event by its content.
        bounce: sc.bounce.as_ref().or(sc.event.as_ref()).map(|b| dir.join(b)),
        no_dnsbl: sc.no_dnsbl,
        dnsbl: sc.dnsbl.clone(),
        smtp: None,
        auth_user: None,
        // Scenarios are offline: no SMTP, not even to loopback.
        live_smtp: super::live::LiveSmtp::Off,
        strict_sender: false,
    };
    let ctx = match request.context(resolver) {
        Ok(c) => c,
        Err(e) => return fail(sc.expect_top.clone(), e),
    };
    let live = super::diagnose(&ctx).await;
    // Record to a bundle file and replay from what is read back, as `--record`/`--replay` do.
    let replayed = match through_file(&name, &Bundle::capture(&ctx, &live)) {
        Ok(bundle) => super::diagnose(&bundle.replay_context()).await,
        Err(e) => return fail(sc.expect_top.clone(), e),
    };
    let json = |d: &super::Diagnosis| serde_json::to_string(d).unwrap_or_default();
    let mut smtp: Vec<String> = live.smtp_findings.iter().chain(&live.probe_findings).map(|f| f.id.clone()).collect();
    if !live.smtp_transcript.is_empty() {
        smtp.push("smtp transcript".into());
    }
    Outcome {
        name,
        expected: sc.expect_top,
        got: live.causes.first().map(|c| c.id.clone()).unwrap_or_else(|| "none".into()),
        replay_identical: json(&live) == json(&replayed),
        top_status: live.causes.first().and_then(|c| serde_json::to_value(c.status).ok()).and_then(|v| v.as_str().map(str::to_string)),
        top_finding: live.causes.first().and_then(|c| c.finding.as_ref()).map(|f| f.id.clone()),
        exit_code: live.exit_code(),
        smtp,
        error: None,
    }
}

/// Save a bundle to a temporary file and load it back.
fn through_file(name: &str, bundle: &Bundle) -> Result<Bundle, String> {
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("mailsleuth-scenario-{}-{n}-{name}.json", std::process::id()));
    let loaded = bundle.save(&path).and_then(|_| Bundle::load(&path));
    let _ = std::fs::remove_file(&path);
    loaded
}

/// Run every scenario below `dir`, each to its outcome.
pub fn run_all(dir: &Path) -> Result<Vec<Outcome>, String> {
    let dirs = list(dir)?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().map_err(|e| e.to_string())?;
    // A few at a time: dozens of worlds at once starve each other into DNS timeouts.
    use futures::stream::StreamExt;
    Ok(rt.block_on(async { futures::stream::iter(dirs.iter().map(|d| run_one(d))).buffered(6).collect().await }))
}

/// Run every scenario below `dir`: the suite line, and a confusion summary.
pub fn run_dir(dir: &Path) -> Result<SuiteResult, String> {
    Ok(summarise(&run_all(dir)?))
}

/// The suite line, the causes covered by passing scenarios, and the confusion summary.
pub fn summarise(outcomes: &[Outcome]) -> SuiteResult {
    let mut result = SuiteResult::new("scenarios");
    let mut confusion: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut covered: BTreeMap<String, usize> = BTreeMap::new();
    for o in outcomes {
        // A cause counts as covered only by a scenario that passes.
        if o.passed() {
            *covered.entry(o.expected.clone()).or_default() += 1;
        }
        if o.expected != o.got {
            *confusion.entry((o.expected.clone(), o.got.clone())).or_default() += 1;
        }
        result.check(o.passed(), || match &o.error {
            Some(e) => format!("{}: error: {e}", o.name),
            None if o.spoke_smtp() => format!("{}: the run spoke SMTP ({})", o.name, o.smtp.join(", ")),
            None if !o.replay_identical => format!("{}: --replay gave different JSON", o.name),
            None => format!("{}: expected {}, got {}", o.name, o.expected, o.got),
        });
    }
    let uncovered: Vec<&str> = super::causes::CAUSES.iter().map(|c| c.id).filter(|id| !covered.contains_key(*id)).collect();
    result.summary.push(format!(
        "scenarios: {} causes covered of {}{}",
        super::causes::CAUSES.len() - uncovered.len(),
        super::causes::CAUSES.len(),
        if uncovered.is_empty() { String::new() } else { format!(" (missing: {})", uncovered.join(", ")) }
    ));
    if confusion.is_empty() {
        result.summary.push("scenarios: confusion: none (every top cause as expected)".into());
    }
    for ((exp, got), n) in confusion {
        result.summary.push(format!("scenarios: confusion: expected {exp} -> got {got}: {n}"));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(name: &str, expected: &str, got: &str) -> Outcome {
        Outcome {
            name: name.into(),
            expected: expected.into(),
            got: got.into(),
            replay_identical: true,
            top_status: None,
            top_finding: None,
            exit_code: 0,
            smtp: vec![],
            error: None,
        }
    }

    #[test]
    fn only_passing_scenarios_cover_a_cause() {
        let mut spoke = outcome("callout", "sender-verify-failed", "sender-verify-failed");
        spoke.smtp = vec!["smtp.callout-ok".into()];
        let r = summarise(&[outcome("a", "content", "spf-fail"), outcome("b", "spf-fail", "spf-fail"), spoke]);
        assert_eq!((r.passed, r.failed), (1, 2));
        assert!(r.summary[0].starts_with("scenarios: 1 causes covered of "), "{:?}", r.summary);
        assert!(r.summary[0].contains("content") && r.summary[0].contains("sender-verify-failed"), "{:?}", r.summary);
        assert!(r.notes.iter().any(|n| n == "callout: the run spoke SMTP (smtp.callout-ok)"), "{:?}", r.notes);
        assert!(r.summary.iter().any(|l| l == "scenarios: confusion: expected content -> got spf-fail: 1"), "{:?}", r.summary);
    }

    #[tokio::test]
    async fn bad_scenario_inputs_are_clear_errors() {
        let dir = tempfile_dir("bad-fault");
        std::fs::write(dir.join("scenario.json"), r#"{"description": "d", "sender": "a@b.example", "expect_top": "content", "faults": [{"name": "b.example", "fault": "flood"}]}"#).unwrap();
        std::fs::create_dir_all(dir.join("zones")).unwrap();
        std::fs::write(dir.join("zones/b.example.zone"), "$ORIGIN b.example.\n@ 300 IN MX 10 mx\nmx 300 IN A 192.0.2.1\n").unwrap();
        let o = run_one(&dir).await;
        assert_eq!(o.error.as_deref(), Some("scenario.json: fault \"flood\" (servfail, refused or timeout)"));
        std::fs::write(dir.join("scenario.json"), r#"{"description": "d", "bounce": "x.eml", "event": "y.json", "expect_top": "content"}"#).unwrap();
        let o = run_one(&dir).await;
        assert_eq!(o.error.as_deref(), Some("scenario.json: give a bounce or an event, not both"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempfile_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mailsleuth-scenario-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
