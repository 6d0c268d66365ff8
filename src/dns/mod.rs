//! The DNS layer: one resolver type used by every check.
//!
//! Every answer is classified (records, NXDOMAIN, NODATA, SERVFAIL, REFUSED, timeout,
//! other) so that a check can tell "absent" from "could not check". Each (name, type)
//! is asked once per run, concurrent askers share the one in-flight query, and every
//! query is logged with its outcome, TTL, time taken and server.

mod ad_bit;
mod answer;
mod hickory;
pub mod static_zone;
pub mod world;
pub mod zonefile;
mod zonefile_ds;
mod zonetext;

pub use answer::{Answer, Outcome, RType, Rec};
pub use static_zone::{StaticEntry, StaticZone};
pub use world::{Fault, World};

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

/// How to reach DNS. Built from the command line (`--resolver`, `--zones`, `--overlay`).
#[derive(Debug, Clone)]
pub struct DnsConfig {
    /// Specific recursive servers; empty means the system configuration (/etc/resolv.conf).
    pub servers: Vec<SocketAddr>,
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// Attempts per server.
    pub attempts: usize,
}

impl Default for DnsConfig {
    fn default() -> Self {
        // hickory's defaults (5 s x 2 attempts x servers) cost 15 s or more per dead query;
        // a diagnosis wants a clear "could not check" much sooner.
        DnsConfig { servers: Vec::new(), timeout: Duration::from_secs(2), attempts: 2 }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DnsSetupError {
    #[error("cannot read the system resolver configuration: {0}")]
    SystemConfig(String),
    #[error("no DNS servers configured")]
    NoServers,
    #[error("cannot build the resolver: {0}")]
    Build(String),
}

/// Where answers come from.
enum Backend {
    /// A real resolver (system configuration, `--resolver`, or an embedded world).
    Hickory(hickory::HickoryBackend),
    /// An in-memory table (conformance suites, replayed evidence).
    Static(Arc<StaticZone>),
    /// What-if mode: names at or under `apexes` go to `world`, the rest to `rest`.
    Overlay { world: hickory::HickoryBackend, apexes: Vec<String>, rest: hickory::HickoryBackend },
    /// Answers recorded by an earlier run (`--replay`): no network at all.
    Replay { answers: HashMap<Key, RecordedAnswer>, source: String },
}

/// One answer as recorded in an evidence bundle, with when it was asked.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RecordedAnswer {
    pub started_ms: f64,
    pub answer: Answer,
}

/// One line of the query log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QueryLogEntry {
    pub name: String,
    pub rtype: RType,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
    pub elapsed_ms: f64,
    /// Milliseconds since the resolver was created, when the query started.
    pub started_ms: f64,
    pub server: String,
    pub records: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

type Key = (String, RType);

struct Inner {
    backend: Backend,
    cache: Mutex<HashMap<Key, Arc<OnceCell<Arc<Answer>>>>>,
    log: Mutex<Vec<RecordedAnswer>>,
    cache_hits: std::sync::atomic::AtomicUsize,
    created: Instant,
    /// Upper bound on one query, whatever the backend does.
    deadline: Duration,
    /// In an offline world (`--zones`, or a replay of one): the zones it serves. Every other
    /// name is NXDOMAIN by construction, which says nothing about the real DNS.
    offline_zones: Option<Vec<String>>,
}

/// The one resolver type. Cheap to clone; clones share cache and log.
#[derive(Clone)]
pub struct Resolver {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver").field("backend", &self.describe()).finish()
    }
}

impl Resolver {
    fn with_backend(backend: Backend, deadline: Duration) -> Self {
        Self::build(backend, deadline, None)
    }

    fn build(backend: Backend, deadline: Duration, offline_zones: Option<Vec<String>>) -> Self {
        Resolver {
            inner: Arc::new(Inner {
                backend,
                cache: Mutex::new(HashMap::new()),
                log: Mutex::new(Vec::new()),
                cache_hits: Default::default(),
                created: Instant::now(),
                deadline,
                offline_zones,
            }),
        }
    }

    fn overall_deadline(cfg: &DnsConfig) -> Duration {
        let servers = cfg.servers.len().max(1) as u32;
        cfg.timeout * (cfg.attempts.max(1) as u32) * servers + Duration::from_secs(1)
    }

    /// The system resolver, or the servers given in `cfg.servers`.
    pub fn new(cfg: &DnsConfig) -> Result<Self, DnsSetupError> {
        let backend = hickory::HickoryBackend::new(cfg)?;
        Ok(Self::with_backend(Backend::Hickory(backend), Self::overall_deadline(cfg)))
    }

    /// Resolve only through an embedded world (offline: names outside it are NXDOMAIN).
    pub fn for_world(world: &World, cfg: &DnsConfig) -> Result<Self, DnsSetupError> {
        let cfg = DnsConfig { servers: vec![world.addr()], ..cfg.clone() };
        let mut backend = hickory::HickoryBackend::new(&cfg)?;
        backend.set_label(world.describe());
        Ok(Self::build(Backend::Hickory(backend), Self::overall_deadline(&cfg), Some(world.apexes().to_vec())))
    }

    /// The zones of the offline world answers come from (None: the real DNS, or an overlay).
    pub fn offline_zones(&self) -> Option<&[String]> {
        self.inner.offline_zones.as_deref()
    }

    /// In an offline world, whether it serves `name`; None when answers come from real DNS.
    pub fn offline_serves(&self, name: &str) -> Option<bool> {
        let n = normalize(name);
        self.offline_zones().map(|zones| zones.iter().any(|apex| is_at_or_under(&n, apex)))
    }

    /// What-if: the world's zones override, every other name goes to the normal resolver.
    pub fn overlay(world: &World, cfg: &DnsConfig) -> Result<Self, DnsSetupError> {
        let wcfg = DnsConfig { servers: vec![world.addr()], ..cfg.clone() };
        let mut over = hickory::HickoryBackend::new(&wcfg)?;
        over.set_label(world.describe());
        let backend = Backend::Overlay {
            world: over,
            apexes: world.apexes().to_vec(),
            rest: hickory::HickoryBackend::new(cfg)?,
        };
        Ok(Self::with_backend(backend, Self::overall_deadline(cfg)))
    }

    /// Answers recorded by an earlier run; `source` is where that run's answers came from.
    pub fn replay(recorded: Vec<RecordedAnswer>, source: String) -> Self {
        Self::replay_of(recorded, source, None)
    }

    /// A replay of a run in an offline world serving `offline_zones`.
    pub fn replay_of(recorded: Vec<RecordedAnswer>, source: String, offline_zones: Option<Vec<String>>) -> Self {
        let answers = recorded.into_iter().map(|r| ((normalize(&r.answer.name), r.answer.rtype), r)).collect();
        Self::build(Backend::Replay { answers, source }, Duration::from_secs(5), offline_zones)
    }

    /// Answers from an in-memory table.
    pub fn from_static(zone: StaticZone) -> Self {
        Self::with_backend(Backend::Static(Arc::new(zone)), Duration::from_secs(5))
    }

    /// A short description of where answers come from, for reports.
    pub fn describe(&self) -> String {
        match &self.inner.backend {
            Backend::Hickory(h) => h.describe(),
            Backend::Static(_) => "in-memory records".to_string(),
            Backend::Overlay { world, rest, .. } => {
                format!("{} over the resolver at {}", world.describe(), rest.describe())
            }
            Backend::Replay { source, .. } => source.clone(),
        }
    }

    /// Who answers `name`, as the query log names it.
    fn answered_by(&self, name: &str) -> String {
        match &self.inner.backend {
            Backend::Hickory(h) => h.answered_by().to_string(),
            Backend::Overlay { world, apexes, rest } => {
                let h = if apexes.iter().any(|apex| is_at_or_under(name, apex)) { world } else { rest };
                h.answered_by().to_string()
            }
            Backend::Static(_) | Backend::Replay { .. } => self.describe(),
        }
    }

    /// Ask for (name, type). The name may carry a trailing dot and any case.
    /// Never fails: failures are an [`Outcome`].
    pub async fn query(&self, name: &str, rtype: RType) -> Arc<Answer> {
        let norm = normalize(name);
        let key = (norm.clone(), rtype);
        let cell = {
            let mut cache = self.inner.cache.lock().unwrap_or_else(|e| e.into_inner());
            cache.entry(key).or_default().clone()
        };
        if let Some(hit) = cell.get() {
            self.inner.cache_hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return hit.clone();
        }
        let mut fresh = false;
        let answer = cell
            .get_or_init(|| {
                fresh = true;
                self.ask(norm, rtype)
            })
            .await
            .clone();
        if !fresh {
            self.inner.cache_hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        answer
    }

    async fn ask(&self, name: String, rtype: RType) -> Arc<Answer> {
        if let Backend::Replay { answers, .. } = &self.inner.backend {
            // Replayed answers keep their recorded timing, so a replay reproduces the report.
            let recorded = answers.get(&(name.clone(), rtype)).cloned().unwrap_or_else(|| RecordedAnswer {
                started_ms: self.inner.created.elapsed().as_secs_f64() * 1000.0,
                answer: Answer::failed(&name, rtype, Outcome::Error, "not in the recorded evidence", "replay"),
            });
            let answer = Arc::new(recorded.answer.clone());
            self.inner.log.lock().unwrap_or_else(|e| e.into_inner()).push(recorded);
            return answer;
        }
        let started = Instant::now();
        let started_ms = started.duration_since(self.inner.created).as_secs_f64() * 1000.0;
        let fut = async {
            if let Some(reason) = invalid_name(&name) {
                return Answer::failed(&name, rtype, Outcome::Error, reason, "-");
            }
            match &self.inner.backend {
                Backend::Hickory(h) => h.query(&name, rtype).await,
                Backend::Static(s) => s.query(&name, rtype),
                Backend::Overlay { world, apexes, rest } => {
                    if apexes.iter().any(|apex| is_at_or_under(&name, apex)) {
                        world.query(&name, rtype).await
                    } else {
                        rest.query(&name, rtype).await
                    }
                }
                Backend::Replay { .. } => unreachable!("handled above"),
            }
        };
        let mut answer = match tokio::time::timeout(self.inner.deadline, fut).await {
            Ok(a) => a,
            Err(_) => Answer::failed(&name, rtype, Outcome::Timeout, "overall query deadline passed", &self.answered_by(&name)),
        };
        // Round to 0.1 ms: finer digits are noise, and recordings stay readable.
        answer.elapsed_ms = (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
        let answer = Arc::new(answer);
        let started_ms = (started_ms * 10.0).round() / 10.0;
        self.inner.log.lock().unwrap_or_else(|e| e.into_inner()).push(RecordedAnswer { started_ms, answer: (*answer).clone() });
        answer
    }

    /// Convenience: TXT records of a name, each multi-string record joined.
    pub async fn txt(&self, name: &str) -> Arc<Answer> {
        self.query(name, RType::Txt).await
    }

    /// Every query made so far, in the order they were started.
    pub fn log(&self) -> Vec<QueryLogEntry> {
        self.recording()
            .into_iter()
            .map(|r| {
                let a = r.answer;
                QueryLogEntry {
                    records: a.records.iter().map(|rec| rec.to_string()).collect(),
                    name: a.name,
                    rtype: a.rtype,
                    outcome: a.outcome,
                    ttl: a.ttl,
                    elapsed_ms: a.elapsed_ms,
                    started_ms: r.started_ms,
                    server: a.server,
                    error: a.error,
                }
            })
            .collect()
    }

    /// Every answer so far with its start time, ordered by start (then name and type),
    /// as saved in evidence bundles.
    pub fn recording(&self) -> Vec<RecordedAnswer> {
        let mut v = self.inner.log.lock().unwrap_or_else(|e| e.into_inner()).clone();
        v.sort_by(|a, b| {
            a.started_ms
                .total_cmp(&b.started_ms)
                .then_with(|| a.answer.name.cmp(&b.answer.name))
                .then_with(|| a.answer.rtype.cmp(&b.answer.rtype))
        });
        v
    }

    /// How many asks were answered from the per-run cache.
    pub fn cache_hits(&self) -> usize {
        self.inner.cache_hits.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Lower-case, no trailing dot.
pub fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// True when `name` equals `apex` or is a subdomain of it (both normalized).
pub fn is_at_or_under(name: &str, apex: &str) -> bool {
    apex.is_empty() || name == apex || name.ends_with(&format!(".{apex}"))
}

/// Why a name cannot be put on the wire, if it cannot.
pub fn invalid_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("empty name".into());
    }
    if name.len() > 253 {
        return Some(format!("name is {} octets long (limit 253)", name.len()));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Some("empty label".into());
        }
        if label.len() > 63 {
            return Some(format!("label of {} octets (limit 63)", label.len()));
        }
    }
    None
}
