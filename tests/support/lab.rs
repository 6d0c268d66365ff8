//! The Postfix lab harness: our own DNS world on a loopback port 53 (inside this test
//! process), then Postfix (lab/postfix/start.sh --foreground) as a child in a private
//! mount namespace whose resolv.conf points at that world. Shared by the tests of one
//! binary while any of them runs; torn down (master stopped, child waited for) when the
//! last one drops it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use mailsleuth::dns::World;

pub const DELAY_PORT: &str = "127.0.0.1:2525";
pub const NODELAY_PORT: &str = "127.0.0.1:2527";

pub struct Lab {
    pub dir: PathBuf,
    pub started_in: Duration,
    /// Torn down (under LIFECYCLE) when the last test drops the lab.
    instance: Option<Instance>,
}

/// A started (or half-started) Postfix and its DNS world. Dropping it stops both; it takes
/// no lock itself, so `Lab::start` (which holds LIFECYCLE) can drop a failed start.
struct Instance {
    dir: PathBuf,
    child: Option<Child>,
    world: Option<World>,
    rt: Option<tokio::runtime::Runtime>,
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn zones() -> PathBuf {
    root().join("lab/dns/zones")
}

fn dns_ip() -> String {
    std::env::var("MAILSLEUTH_LAB_DNS").unwrap_or_else(|_| "127.0.5.53".into())
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

/// Why the lab cannot run here, if it cannot.
fn unavailable() -> Option<String> {
    if !is_root() {
        return Some("not root (the lab binds port 53 and uses a mount namespace)".into());
    }
    for (bin, pkg) in [("/usr/sbin/postfix", "postfix"), ("/usr/sbin/saslpasswd2", "sasl2-bin"), ("/usr/bin/policyd-spf", "postfix-policyd-spf-python"), ("/usr/bin/unshare", "util-linux"), ("/usr/bin/openssl", "openssl")] {
        if !Path::new(bin).exists() {
            return Some(format!("{bin} missing (install {pkg}; scripts/test does it as root)"));
        }
    }
    None
}

static SHARED: Mutex<Weak<Lab>> = Mutex::new(Weak::new());
/// Held while a lab starts or stops, so that a new lab never races the previous one's tear-down.
static LIFECYCLE: Mutex<()> = Mutex::new(());

/// The running lab, or None (with a visible reason) when it cannot run here.
/// Under CI (CI=true) an unavailable lab is a failure, not a skip.
pub fn lab(test: &str) -> Option<Arc<Lab>> {
    if let Some(why) = unavailable() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{test}: the Postfix lab must run under CI, but: {why}");
        }
        // Straight to stderr (not eprintln!, which the test harness captures): a skip must be seen.
        let _ = writeln!(std::io::stderr(), "SKIPPED {test}: Postfix lab unavailable: {why}");
        return None;
    }
    let mut g = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(l) = g.upgrade() {
        return Some(l);
    }
    let l = Arc::new(Lab::start().unwrap_or_else(|e| panic!("{test}: the Postfix lab did not start: {e}")));
    *g = Arc::downgrade(&l);
    Some(l)
}

fn greets(addr: &str) -> bool {
    let Ok(sa) = addr.parse::<SocketAddr>() else { return false };
    let Ok(mut s) = TcpStream::connect_timeout(&sa, Duration::from_millis(200)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut line = String::new();
    let ok = BufReader::new(&s).read_line(&mut line).is_ok() && line.starts_with("220");
    let _ = s.write_all(b"QUIT\r\n");
    ok
}

impl Lab {
    fn start() -> Result<Lab, String> {
        let _cycle = LIFECYCLE.lock().unwrap_or_else(|e| e.into_inner());
        let t0 = Instant::now();
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().map_err(|e| e.to_string())?;
        let zones = mailsleuth::dns::zonefile::load_path(&zones()).map_err(|e| e.to_string())?;
        let bind: SocketAddr = format!("{}:53", dns_ip()).parse().map_err(|e| format!("MAILSLEUTH_LAB_DNS: {e}"))?;
        let world = rt.block_on(World::serve(zones, bind)).map_err(|e| format!("DNS world on {bind}: {e}"))?;
        // A persistent instance folder: after the first run Postfix starts with the
        // quick-start flag (no integrity check), ~0.2 s instead of ~1-2.5 s.
        let dir = instance_dir();
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        // Postfix runs as user postfix: it must be able to reach the instance folder.
        let _ = Command::new("chmod").arg("755").arg(&dir).status();
        // A master left over by an interrupted run of this harness holds the ports: stop it
        // (stop.sh signals only the pid recorded in this instance's own pid file).
        let _ = Command::new("bash").arg(root().join("lab/postfix/stop.sh")).arg(dir.join("pf")).status();
        let log = std::fs::File::create(dir.join("maillog")).map_err(|e| e.to_string())?;
        let child = {
            use std::os::unix::process::CommandExt;
            Command::new("bash")
                .arg(root().join("lab/postfix/start.sh"))
                .arg("--foreground")
                .arg(dir.join("pf"))
                .arg(dns_ip())
                .stdin(Stdio::null())
                .stdout(log.try_clone().map_err(|e| e.to_string())?)
                .stderr(log)
                .process_group(0)
                .spawn()
                .map_err(|e| format!("cannot run lab/postfix/start.sh: {e}"))?
        };
        // On an early return `inst` is dropped here, under LIFECYCLE: Postfix is stopped.
        let mut inst = Instance { dir: dir.clone(), child: Some(child), world: Some(world), rt: Some(rt) };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if greets(DELAY_PORT) && greets(NODELAY_PORT) && greets("127.0.0.1:2587") && greets("127.0.0.2:2526") {
                let started_in = t0.elapsed();
                eprintln!("lab: DNS on {bind}, Postfix in {} ready in {started_in:?}", dir.display());
                return Ok(Lab { dir, started_in, instance: Some(inst) });
            }
            if let Some(Ok(Some(st))) = inst.child.as_mut().map(|c| c.try_wait()) {
                return Err(format!("start.sh exited with {st}: {}", maillog(&dir)));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(format!("no 220 greeting within 20 s: {}", maillog(&dir)))
    }

    pub fn maillog(&self) -> String {
        maillog(&self.dir)
    }
}

/// The last lines of the instance's log (start.sh and Postfix write there).
fn maillog(dir: &Path) -> String {
    let s = std::fs::read_to_string(dir.join("maillog")).unwrap_or_default();
    s.lines().rev().take(30).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// Where the Postfix instance lives. Postfix's daemons run as user postfix, so every folder
/// above the instance must be searchable by others: the build's tmp folder when it is (the
/// instance persists there, and later starts are quick), else a folder of its own in /tmp
/// (a clone inside a private 0700 folder, as `mktemp -d` makes, would otherwise give
/// "open lock file ... master.lock: Permission denied").
fn instance_dir() -> PathBuf {
    let in_target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("postfix-lab");
    if searchable_by_others(&in_target) {
        return in_target;
    }
    // One folder per build tree (FNV-1a of its path), so two clones do not share queues.
    let h = env!("CARGO_TARGET_TMPDIR").bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3));
    PathBuf::from("/tmp").join(format!("mailsleuth-postfix-lab-{h:016x}"))
}

/// Every existing ancestor of `path` has the search (x) bit for others.
fn searchable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.ancestors()
        .skip(1)
        .filter_map(|a| std::fs::metadata(a).ok())
        .all(|m| m.permissions().mode() & 0o001 != 0)
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _cycle = LIFECYCLE.lock().unwrap_or_else(|e| e.into_inner());
        drop(self.instance.take());
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        // SIGTERM the master (it stops its children), then reap our child.
        let pidfile = self.dir.join("pf/spool/pid/master.pid");
        if let Ok(p) = std::fs::read_to_string(&pidfile) {
            let _ = Command::new("kill").arg("-TERM").arg(p.trim()).status();
        }
        if let Some(mut c) = self.child.take() {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match c.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        let _ = Command::new("kill").arg("-KILL").arg(format!("-{}", c.id())).status();
                        let _ = c.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        }
        drop(self.world.take());
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

/// Run the binary; returns (exit code, stdout, stderr).
pub fn mailsleuth(args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailsleuth"));
    cmd.args(args).stdin(Stdio::null()).env_remove("MAILSLEUTH_SMTP_PASSWORD").env_remove("MAILSLEUTH_MX_PORT");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run mailsleuth");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// `mailsleuth --zones lab/dns/zones --json probe ARGS...` parsed.
pub fn probe_json(args: &[&str], envs: &[(&str, &str)]) -> (i32, serde_json::Value, String) {
    let z = zones();
    let mut full = vec!["--zones", z.to_str().unwrap(), "--json", "probe", "--helo", "client.example.test"];
    full.extend_from_slice(args);
    let (code, out, err) = mailsleuth(&full, envs);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("probe {args:?}: bad JSON ({e}): {out}\nstderr: {err}"));
    (code, v, format!("{out}\n{err}"))
}

pub fn finding_ids(v: &serde_json::Value) -> Vec<String> {
    v["findings"].as_array().map(|a| a.iter().filter_map(|f| f["id"].as_str().map(str::to_string)).collect()).unwrap_or_default()
}

/// The deciding attempt's verdict.
pub fn verdict(v: &serde_json::Value) -> &serde_json::Value {
    let attempts = v["probe"]["attempts"].as_array().expect("attempts");
    &attempts.last().expect("an attempt")["verdict"]
}

/// "550 5.7.23 ..." first line of the rejecting reply.
pub fn reply_line(v: &serde_json::Value) -> String {
    let vd = verdict(v);
    let code = vd["reply"]["code"].as_u64().unwrap_or(0);
    let first = vd["reply"]["lines"][0].as_str().unwrap_or("");
    format!("{code} {first}")
}
