//! Unit table for the SMTP probe and callout findings (docs/findings.md, smtp section)
//! that need a peer: loopback only. A port nothing listens on, tiny scripted tokio
//! listeners on 127.0.0.1, and the embedded DNS world for the MX of the sender domain.
//! Each id with its documented severity and a word of its fix.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use mailsleuth::dns::{DnsConfig, Fault, RType, Resolver, World};
use mailsleuth::finding::{Finding, Fix, Severity};
use mailsleuth::smtp::client::{SessionConfig, Timeouts};
use mailsleuth::smtp::explain::{callout_findings, run_findings};
use mailsleuth::smtp::probe::{self, QuitAfter, Spec, TlsMode, Where};
use mailsleuth::smtp::reply_reader::ReplyLimits;
use mailsleuth::smtp::target::Family;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

fn cfg() -> SessionConfig {
    SessionConfig {
        timeouts: Timeouts {
            connect: Duration::from_secs(1),
            greeting: Duration::from_secs(2),
            command: Duration::from_secs(2),
            data_end: Duration::from_secs(2),
            total: Duration::from_secs(5),
        },
        limits: ReplyLimits::default(),
        extra_roots: Default::default(),
    }
}

fn spec(tls: TlsMode) -> Spec {
    Spec {
        from: "billing@shop.example".into(),
        to: "someone@example.org".into(),
        tls,
        tls_insecure: false,
        auth: None,
        helo: "client.example.test".into(),
        data: None,
        quit_after: QuitAfter::Rcpt,
        cfg: cfg(),
    }
}

/// A loopback port nothing listens on (bound, then released).
async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    port
}

/// Serve one connection with `script`.
async fn fake<F, Fut>(script: F) -> SocketAddr
where
    F: FnOnce(BufReader<TcpStream>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        if let Ok((s, _)) = l.accept().await {
            script(BufReader::new(s)).await;
        }
    });
    addr
}

/// Read one client line (upper-cased, without CRLF); empty at EOF.
async fn line(r: &mut BufReader<TcpStream>) -> String {
    let mut l = String::new();
    let _ = r.read_line(&mut l).await;
    l.trim_end().to_ascii_uppercase()
}

async fn say(r: &mut BufReader<TcpStream>, s: &str) {
    let _ = r.get_mut().write_all(s.as_bytes()).await;
}

/// A server that greets, answers EHLO with `ehlo` (multi-line, CRLF-terminated), then
/// `mail` to MAIL FROM and 250 to the rest.
async fn server(ehlo: &'static str, mail: &'static str) -> SocketAddr {
    fake(move |mut r| async move {
        say(&mut r, "220 fake.example.test ESMTP\r\n").await;
        loop {
            let l = line(&mut r).await;
            if l.is_empty() {
                return;
            }
            if l.starts_with("EHLO") || l.starts_with("HELO") {
                say(&mut r, ehlo).await;
            } else if l.starts_with("MAIL FROM") {
                say(&mut r, mail).await;
            } else if l.starts_with("QUIT") {
                say(&mut r, "221 bye\r\n").await;
                return;
            } else {
                say(&mut r, "250 ok\r\n").await;
            }
        }
    })
    .await
}

fn fix_text(f: &Finding) -> String {
    match &f.fix {
        Some(Fix::Setting { text }) => text.clone(),
        Some(Fix::DnsRecord { name, value, .. }) => format!("{name} {value}"),
        None => String::new(),
    }
}

fn expect(f: &[Finding], what: &str, id: &str, sev: Severity, fix_word: &str) {
    let x = f.iter().find(|f| f.id == id).unwrap_or_else(|| panic!("{what}: no {id} in {:?}", f.iter().map(|f| (&f.id, f.severity, &f.title)).collect::<Vec<_>>()));
    assert_eq!(x.severity, sev, "{what}: {id}");
    assert!(fix_text(x).contains(fix_word), "{what}: {id} fix {:?} lacks {fix_word:?}", fix_text(x));
}

/// The sender domains of the callouts: their MX is mx.<domain> on 127.0.0.1.
async fn world() -> (tempfile::TempDir, World, Resolver) {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, body: &str| std::fs::write(dir.path().join(name), format!("$TTL 300\n{body}")).unwrap();
    for d in ["cb.example", "nullsender.example", "down.example", "flaky.example"] {
        w(&format!("{d}.zone"), &format!("$ORIGIN {d}.\n@ IN MX 10 mx.{d}.\nmx IN A 127.0.0.1\n"));
    }
    w("nullmx.example.zone", "$ORIGIN nullmx.example.\n@ IN MX 0 .\n@ IN A 127.0.0.1\n");
    w("noaddr.example.zone", "$ORIGIN noaddr.example.\n@ IN MX 10 mx.noaddr.example.\nmx IN TXT \"no address here\"\n");
    w("nohost.example.zone", "$ORIGIN nohost.example.\n@ IN TXT \"v=spf1 -all\"\nmx IN TXT \"no address\"\n");
    let world = World::start(dir.path()).await.unwrap();
    let r = Resolver::for_world(&world, &DnsConfig { servers: vec![], timeout: Duration::from_millis(300), attempts: 1 }).unwrap();
    (dir, world, r)
}

async fn callout(r: &Resolver, sender: &str, port: u16) -> Vec<Finding> {
    let run = probe::callout(r, sender, port, Family::V4, "client.example.test", cfg()).await;
    callout_findings(&run, sender)
}

#[tokio::test]
async fn unreachable_server_is_unknown_never_a_rejection() {
    let (_d, _w, r) = world().await;
    let s = spec(TlsMode::Auto);
    // Connection refused.
    let port = closed_port().await;
    let run = probe::run(&r, Where::Server { host: "127.0.0.1", port }, Family::Any, &s).await;
    let f = run_findings(&run, "shop.example");
    expect(&f, "refused", "smtp.unreachable", Severity::Unknown, "host and port");
    assert!(!f.iter().any(|f| f.id == "smtp.rejected"), "{f:#?}");
    // Accepts, then hangs up without a greeting.
    let addr = fake(|r| async move { drop(r) }).await;
    let run = probe::run(&r, Where::Server { host: "127.0.0.1", port: addr.port() }, Family::Any, &s).await;
    expect(&run_findings(&run, "shop.example"), "no greeting", "smtp.unreachable", Severity::Unknown, "host and port");
    // Not SMTP at all.
    let addr = fake(|mut r| async move { say(&mut r, "HTTP/1.1 400 Bad Request\r\n\r\n").await }).await;
    let run = probe::run(&r, Where::Server { host: "127.0.0.1", port: addr.port() }, Family::Any, &s).await;
    expect(&run_findings(&run, "shop.example"), "not SMTP", "smtp.unreachable", Severity::Unknown, "host and port");
    // A --server name without an address.
    let run = probe::run(&r, Where::Server { host: "mx.nohost.example", port }, Family::Any, &s).await;
    expect(&run_findings(&run, "shop.example"), "no address", "smtp.unreachable", Severity::Unknown, "host and port");
}

#[tokio::test]
async fn starttls_missing_when_it_was_required() {
    let (_d, _w, r) = world().await;
    let addr = server("250-fake.example.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n", "250 ok\r\n").await;
    let run = probe::run(&r, Where::Server { host: "127.0.0.1", port: addr.port() }, Family::Any, &spec(TlsMode::Starttls)).await;
    let f = run_findings(&run, "shop.example");
    expect(&f, "no STARTTLS offered", "smtp.starttls-missing", Severity::Error, "Enable STARTTLS");
    assert!(!f.iter().any(|f| f.id == "smtp.accepted" || f.id == "smtp.unreachable"), "{f:#?}");
    // The same server in auto mode: plain text, accepted.
    let addr = server("250-fake.example.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n", "250 ok\r\n").await;
    let run = probe::run(&r, Where::Server { host: "127.0.0.1", port: addr.port() }, Family::Any, &spec(TlsMode::Auto)).await;
    expect(&run_findings(&run, "shop.example"), "auto", "smtp.accepted", Severity::Ok, "");
}

#[tokio::test]
async fn callout_null_sender_rejected() {
    let (_d, _w, r) = world().await;
    let addr = server("250-fake.example.test\r\n250 PIPELINING\r\n", "550 5.7.1 <>: null sender not accepted here\r\n").await;
    let f = callout(&r, "billing@nullsender.example", addr.port()).await;
    expect(&f, "MAIL FROM:<> refused", "smtp.callout-null-sender-rejected", Severity::Error, "MAIL FROM:<>");
    assert!(f[0].evidence.iter().any(|e| e.contains("null sender not accepted")), "{:?}", f[0].evidence);
    // Sanity: the same MX accepting <> gives callout-ok.
    let addr = server("250-fake.example.test\r\n250 PIPELINING\r\n", "250 ok\r\n").await;
    expect(&callout(&r, "billing@cb.example", addr.port()).await, "accepted", "smtp.callout-ok", Severity::Ok, "");
}

#[tokio::test]
async fn callout_no_mx() {
    let (_d, _w, r) = world().await;
    let port = closed_port().await;
    for (sender, why) in [
        ("billing@nullmx.example", "null MX"),
        ("billing@nx.cb.example", "NXDOMAIN"),
        ("billing@noaddr.example", "no address"),
    ] {
        let f = callout(&r, sender, port).await;
        expect(&f, why, "smtp.callout-no-mx", Severity::Error, "publish MX");
        assert_eq!(f.len(), 1, "{why}: {f:#?}");
    }
    // An address without a domain cannot be called back either.
    expect(&callout(&r, "billing", port).await, "no domain", "smtp.callout-no-mx", Severity::Error, "publish MX");
}

#[tokio::test]
async fn callout_unreachable_is_unknown() {
    let (_d, w, r) = world().await;
    // Nothing listens on the MX's port.
    let port = closed_port().await;
    expect(&callout(&r, "billing@down.example", port).await, "refused", "smtp.callout-unreachable", Severity::Unknown, "reachable on port 25");
    // The MX lookup fails: could not check, not "no MX".
    w.inject("flaky.example", Some(RType::Mx), Fault::ServFail);
    let f = callout(&r, "billing@flaky.example", port).await;
    expect(&f, "SERVFAIL", "smtp.callout-unreachable", Severity::Unknown, "DNS");
    assert!(!f.iter().any(|f| f.id == "smtp.callout-no-mx"), "{f:#?}");
}
