//! The DNS layer against a real authoritative server (the embedded hickory-server world)
//! over loopback UDP/TCP: classification, caching, faults, overlay.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use mailsleuth::diagnose::{self, Context, Options};
use mailsleuth::dns::{DnsConfig, Fault, Outcome, RType, Resolver, World};
use mailsleuth::finding::Severity;

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dns"))
}

fn quick() -> DnsConfig {
    DnsConfig { servers: vec![], timeout: Duration::from_millis(300), attempts: 1 }
}

async fn world() -> (World, Resolver) {
    let world = World::start(fixtures()).await.expect("world starts");
    let resolver = Resolver::for_world(&world, &quick()).expect("resolver");
    (world, resolver)
}

#[tokio::test]
async fn answers_are_classified() {
    let (_w, r) = world().await;
    let mx = r.query("faults.example", RType::Mx).await;
    assert_eq!(mx.outcome, Outcome::Records);
    assert_eq!(mx.mx(), vec![(10, "mx.faults.example".to_string())]);
    assert_eq!(mx.ttl, Some(120));
    let nodata = r.query("mx.faults.example", RType::Txt).await;
    assert_eq!(nodata.outcome, Outcome::NoData);
    let nx = r.query("nothere.faults.example", RType::A).await;
    assert_eq!(nx.outcome, Outcome::NxDomain);
    // Outside every loaded zone: the offline world says NXDOMAIN, not REFUSED.
    let outside = r.query("example.org", RType::A).await;
    assert_eq!(outside.outcome, Outcome::NxDomain);
    let txt = r.query("txt.faults.example", RType::Txt).await;
    assert_eq!(txt.txt_strings(), vec!["first part second part".to_string()]);
    let cname = r.query("www.faults.example", RType::A).await;
    assert_eq!(cname.outcome, Outcome::Records);
    assert_eq!(cname.cnames, vec![("www.faults.example".to_string(), "mx.faults.example".to_string())]);
}

#[tokio::test]
async fn failures_are_not_absence() {
    let (w, r) = world().await;
    w.inject("faults.example", Some(RType::Mx), Fault::ServFail);
    w.inject("refused.faults.example", None, Fault::Refused);
    w.inject("slow.faults.example", None, Fault::NoAnswer);
    assert_eq!(r.query("faults.example", RType::Mx).await.outcome, Outcome::ServFail);
    assert_eq!(r.query("refused.faults.example", RType::A).await.outcome, Outcome::Refused);
    let started = std::time::Instant::now();
    let slow = r.query("slow.faults.example", RType::A).await;
    assert_eq!(slow.outcome, Outcome::Timeout);
    assert!(started.elapsed() < Duration::from_secs(3), "timeout took {:?}", started.elapsed());
    for o in [Outcome::ServFail, Outcome::Refused, Outcome::Timeout] {
        assert!(o.is_failure());
    }
}

#[tokio::test]
async fn each_name_and_type_is_asked_once() {
    let (_w, r) = world().await;
    let (a, b, c) = tokio::join!(
        r.query("faults.example", RType::Mx),
        r.query("FAULTS.example.", RType::Mx),
        r.query("faults.example", RType::Mx)
    );
    assert!(Arc::ptr_eq(&a, &b) && Arc::ptr_eq(&b, &c));
    r.query("faults.example", RType::Mx).await;
    assert_eq!(r.log().len(), 1, "{:?}", r.log());
    assert_eq!(r.cache_hits(), 3);
    let entry = &r.log()[0];
    assert_eq!(entry.outcome, Outcome::Records);
    assert!(entry.server.starts_with("127.0.0.1:"));
}

fn ctx(resolver: Resolver, sender: &str) -> Context {
    let mut ctx = Context::new(resolver, sender);
    ctx.options = Options { no_dnsbl: true, dnsbl_zones: vec![], ..Options::default() };
    ctx
}

#[tokio::test]
async fn servfail_on_the_sender_domain_is_could_not_check() {
    for fault in [Fault::ServFail, Fault::NoAnswer, Fault::Refused] {
        let (w, r) = world().await;
        w.inject("faults.example", None, fault);
        let d = diagnose::diagnose(&ctx(r, "a@faults.example")).await;
        let domain: Vec<_> = d.unchecked.iter().filter(|f| f.family() == "domain").collect();
        assert_eq!(domain.len(), 1, "{fault:?}: {:#?}", d.unchecked);
        assert_eq!(domain[0].id, "domain.unchecked");
        assert_eq!(domain[0].severity, Severity::Unknown);
        assert!(
            !d.causes.iter().any(|c| c.finding.as_ref().is_some_and(|f| f.id.starts_with("domain."))),
            "{fault:?}: a DNS failure must not become a domain cause: {:#?}",
            d.causes
        );
        assert_eq!(d.exit_code(), 3, "{fault:?}");
        // Nor does DKIM say "no key found" when none of its lookups answered.
        assert!(!d.findings.iter().any(|f| f.title.contains("No DKIM key found")), "{fault:?}: {:#?}", d.findings);
        assert!(d.unchecked.iter().any(|f| f.id == "dkim.selectors-unchecked"), "{fault:?}: {:#?}", d.unchecked);
    }
}

#[tokio::test]
async fn mx_host_failure_is_could_not_check() {
    let (w, r) = world().await;
    w.inject("mx.faults.example", None, Fault::ServFail);
    let d = diagnose::diagnose(&ctx(r, "a@faults.example")).await;
    assert!(d.unchecked.iter().any(|f| f.id == "domain.unchecked"), "{:#?}", d);
    assert!(!d.causes.iter().any(|c| c.finding.as_ref().is_some_and(|f| f.id == "domain.mx-unresolvable")));
}

#[tokio::test]
async fn unresolvable_mx_is_an_error() {
    let (_w, r) = world().await;
    let findings = mailsleuth::domain::check_domain(&r, "broken.faults.example").await;
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].id, "domain.mx-unresolvable");
    assert_eq!(findings[0].severity, Severity::Error);
}

#[tokio::test]
async fn overlay_overrides_only_its_own_names() {
    let base = World::start(fixtures()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("faults.example.zone"), "$TTL 60\n@ IN MX 20 new-mx.faults.example.\nnew-mx IN A 192.0.2.99\n").unwrap();
    std::fs::write(dir.path().join("other.example.zone"), "$TTL 60\n@ IN A 192.0.2.7\n").unwrap();
    let overlay = World::start(dir.path()).await.unwrap();
    let cfg = DnsConfig { servers: vec![base.addr()], ..quick() };
    let r = Resolver::overlay(&overlay, &cfg).unwrap();
    assert_eq!(r.query("faults.example", RType::Mx).await.mx(), vec![(20, "new-mx.faults.example".to_string())]);
    // Not in the overlay: answered by the normal resolver (here the base world).
    let both = tokio::join!(r.query("other.example", RType::A), r.query("example.net", RType::A));
    assert_eq!(both.0.outcome, Outcome::Records);
    assert_eq!(both.1.outcome, Outcome::NxDomain);
}

#[tokio::test]
async fn broken_zone_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.example.zone"), "$TTL 60\n@ IN MX notanumber\n").unwrap();
    let err = World::start(dir.path()).await.err().expect("must fail");
    assert!(err.to_string().contains("bad.example.zone"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let err = World::start(empty.path()).await.err().expect("must fail");
    assert!(err.to_string().contains("no zone files"), "{err}");
    let err = World::start(Path::new("/nonexistent/zones")).await.err().expect("must fail");
    assert!(err.to_string().contains("cannot read"), "{err}");
}

#[tokio::test]
async fn large_answers_arrive_whole_over_tcp() {
    // 16 strings of 180 octets: far beyond a UDP payload, so the answer is truncated
    // and must be fetched again over TCP.
    let (_w, r) = world().await;
    let big = r.query("big.faults.example", RType::Txt).await;
    assert_eq!(big.outcome, Outcome::Records, "{big:?}");
    let text = big.txt_strings().concat();
    assert_eq!(text.len(), 16 * 180);
    assert!(text.starts_with("x00x00") && text.ends_with("x15x15"));
}

/// Regression: the world binds UDP on an ephemeral port and then TCP on the same port; a
/// TCP port held by anything else (here: 2,000 listeners, ~7 % of the ephemeral range) made
/// `World::serve` fail with AddrInUse about once in 14 starts. It must pick another pair.
#[tokio::test]
async fn ephemeral_port_pair_survives_tcp_ports_in_use() {
    let mut held = Vec::new();
    for _ in 0..2000 {
        match std::net::TcpListener::bind("127.0.0.1:0") {
            Ok(l) => held.push(l),
            Err(_) => break,
        }
    }
    assert!(held.len() >= 1000, "could only hold {} TCP ports", held.len());
    for i in 0..100 {
        let zones = mailsleuth::dns::zonefile::load_path(fixtures()).expect("fixtures load");
        let world = World::serve(zones, "127.0.0.1:0".parse().unwrap()).await;
        assert!(world.is_ok(), "start {i}: {:?}", world.err());
    }
}

/// A single character-string over 255 bytes cannot be put on the wire (the server used
/// to accept the zone and then time out on every answer): the loader refuses it and
/// names the line.
#[tokio::test]
async fn overlong_txt_string_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(300);
    std::fs::write(
        dir.path().join("long.example.zone"),
        format!("$TTL 60\n@ IN TXT \"ok\" ; \"a comment with {long}\"\nbig IN TXT \"short\" \"{long}\"\n"),
    )
    .unwrap();
    let err = World::start(dir.path()).await.err().expect("must fail").to_string();
    assert!(err.contains("long.example.zone") && err.contains("line 3") && err.contains("300 bytes") && err.contains("255"), "{err}");
    // 255 bytes, and escapes counted as the byte they stand for, are fine.
    std::fs::write(dir.path().join("long.example.zone"), format!("$TTL 60\nbig IN TXT \"{}\" \"\\\"{}\"\n", "y".repeat(255), "z".repeat(254))).unwrap();
    let w = World::start(dir.path()).await.expect("255 bytes fit");
    let r = Resolver::for_world(&w, &quick()).unwrap();
    let a = r.query("big.long.example", RType::Txt).await;
    assert_eq!(a.txt_strings()[0].len(), 510, "{a:?}");
}

/// A CNAME loop is a failure named as such (a recursive resolver answers SERVFAIL), not
/// NODATA; an alias to a name without the asked type stays NODATA.
#[tokio::test]
async fn cname_loop_is_a_failure_not_nodata() {
    let (_w, r) = world().await;
    let a = r.query("loop1.faults.example", RType::A).await;
    assert_eq!(a.outcome, Outcome::Error, "{a:?}");
    assert!(a.is_failure());
    assert_eq!(a.error.as_deref(), Some("CNAME loop: loop1.faults.example -> loop2.faults.example -> loop1.faults.example"));
    let n = r.query("alias.faults.example", RType::Txt).await;
    assert_eq!(n.outcome, Outcome::NoData, "{n:?}");
    let plain = r.query("mx.faults.example", RType::Mx).await;
    assert_eq!(plain.outcome, Outcome::NoData, "{plain:?}");
}

/// hickory-resolver does not say which of several servers answered (and may ask two at
/// once): with one server the log names it, with several it says "one of" them.
#[tokio::test]
async fn the_log_names_the_answering_server() {
    let (w1, w2) = (World::start(fixtures()).await.unwrap(), World::start(fixtures()).await.unwrap());
    let one = Resolver::new(&DnsConfig { servers: vec![w2.addr()], ..quick() }).unwrap();
    assert_eq!(one.query("faults.example", RType::Mx).await.server, w2.addr().to_string());
    let both = Resolver::new(&DnsConfig { servers: vec![w1.addr(), w2.addr()], ..quick() }).unwrap();
    let want = format!("one of {}, {}", w1.addr(), w2.addr());
    assert_eq!(both.query("faults.example", RType::Mx).await.server, want);
    for w in [&w1, &w2] {
        w.inject("slow.faults.example", None, Fault::NoAnswer);
    }
    let slow = both.query("slow.faults.example", RType::A).await;
    assert_eq!((slow.outcome, slow.server.as_str()), (Outcome::Timeout, want.as_str()));
    assert_eq!(both.log().iter().map(|e| e.server.as_str()).collect::<Vec<_>>(), [want.as_str(), want.as_str()]);
    // What-if: overlay names from the overlay's server, the rest from the normal one.
    let overlay = Resolver::overlay(&w1, &DnsConfig { servers: vec![w2.addr()], ..quick() }).unwrap();
    assert_eq!(overlay.query("faults.example", RType::Mx).await.server, w1.addr().to_string());
    assert_eq!(overlay.query("elsewhere.example", RType::A).await.server, w2.addr().to_string());
}

/// A zone the server refuses (built by hand: the loader refuses a CNAME beside other
/// records itself) is named by its file.
#[tokio::test]
async fn a_zone_the_server_refuses_names_its_file() {
    use hickory_proto::rr::{rdata::CNAME, Name, RData, Record, RecordSet, RecordType, RrKey};
    let mut zone = mailsleuth::dns::zonefile::parse_zone("$TTL 300\n@ IN A 192.0.2.1\n", Path::new("x.example.zone")).unwrap();
    let apex = zone.origin.clone();
    let cname = Record::from_rdata(apex.clone(), 300, RData::CNAME(CNAME(Name::from_ascii("y.example.").unwrap())));
    zone.records.insert(RrKey::new(apex.clone().into(), RecordType::CNAME), RecordSet::from(cname));
    let err = World::serve(vec![zone], "127.0.0.1:0".parse().unwrap()).await.err().expect("refused").to_string();
    assert!(err.starts_with("x.example.zone: zone x.example.: "), "{err}");
}
