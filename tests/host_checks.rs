//! The host checks against zone fixtures served by the embedded DNS world
//! (tests/fixtures/host): PTR/FCrDNS, HELO, blocklists, posture, faults, bad input.

use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use mailsleuth::dns::{DnsConfig, Fault, RType, Resolver, World};
use mailsleuth::finding::{Finding, Severity};
use mailsleuth::host::{self, dnsbl::Status, HostQuery, HostReport};

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/host"))
}

async fn world() -> World {
    World::start(fixtures()).await.expect("fixture zones load")
}

fn resolver(world: &World) -> Resolver {
    let cfg = DnsConfig { servers: vec![], timeout: Duration::from_millis(300), attempts: 1 };
    Resolver::for_world(world, &cfg).expect("resolver")
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

async fn run(world: &World, q: HostQuery) -> HostReport {
    host::check(&resolver(world), &q).await
}

fn q(ipaddr: &str) -> HostQuery {
    HostQuery { ip: Some(ip(ipaddr)), ..Default::default() }
}

fn find<'a>(r: &'a HostReport, id: &str) -> Option<&'a Finding> {
    r.findings.iter().find(|f| f.id == id)
}

fn has(r: &HostReport, id: &str, sev: Severity) -> bool {
    find(r, id).is_some_and(|f| f.severity == sev)
}

fn ids(r: &HostReport) -> Vec<String> {
    r.findings.iter().map(|f| format!("{}:{}", f.id, f.severity.as_str())).collect()
}

#[tokio::test]
async fn forward_confirmed_ptr_is_ok() {
    let w = world().await;
    let r = run(&w, HostQuery { helo: Some("mail.shop.example".into()), sender_domain: Some("shop.example".into()), ..q("198.51.100.25") }).await;
    assert!(has(&r, "host.fcrdns-ok", Severity::Ok), "{:?}", ids(&r));
    assert!(has(&r, "host.helo-ok", Severity::Ok), "{:?}", ids(&r));
    assert!(has(&r, "host.not-listed", Severity::Ok), "{:?}", ids(&r));
    assert!(has(&r, "host.documentation-ip", Severity::Info));
    assert!(!r.findings.iter().any(|f| matches!(f.severity, Severity::Error | Severity::Warning | Severity::Unknown)), "{:?}", ids(&r));
    assert_eq!(r.ptr.as_ref().unwrap().names[0].name, "mail.shop.example");
}

#[tokio::test]
async fn missing_ptr_is_an_error_with_the_fix() {
    let w = world().await;
    let r = run(&w, HostQuery { sender_domain: Some("shop.example".into()), ..q("198.51.100.30") }).await;
    let f = find(&r, "host.no-ptr").expect("no-ptr finding");
    assert_eq!(f.severity, Severity::Error);
    let fix = format!("{:?}", f.fix);
    assert!(fix.contains("198.51.100.30") && fix.contains("mail.shop.example"), "{fix}");
    assert!(f.evidence[0].contains("NXDOMAIN"), "{:?}", f.evidence);
}

#[tokio::test]
async fn ptr_that_does_not_resolve_back() {
    let w = world().await;
    for addr in ["198.51.100.26", "198.51.100.27"] {
        let r = run(&w, q(addr)).await;
        assert!(has(&r, "host.fcrdns-mismatch", Severity::Error), "{addr}: {:?}", ids(&r));
    }
    let r = run(&w, q("198.51.100.27")).await;
    let f = find(&r, "host.fcrdns-mismatch").unwrap();
    assert!(f.evidence.iter().any(|e| e.contains("198.51.100.99")), "{:?}", f.evidence);
}

#[tokio::test]
async fn generic_and_multiple_ptrs() {
    let w = world().await;
    let r = run(&w, q("198.51.100.28")).await;
    assert!(has(&r, "host.fcrdns-ok", Severity::Ok), "{:?}", ids(&r));
    assert!(has(&r, "host.generic-ptr", Severity::Warning), "{:?}", ids(&r));
    let r = run(&w, HostQuery { sender_domain: Some("other.example".into()), ..q("198.51.100.29") }).await;
    assert!(has(&r, "host.multiple-ptr", Severity::Warning), "{:?}", ids(&r));
    assert!(has(&r, "host.fcrdns-ok", Severity::Ok));
    assert!(has(&r, "host.ptr-domain-differs", Severity::Info), "{:?}", ids(&r));
}

#[tokio::test]
async fn classless_delegation_cname_chain() {
    let w = world().await;
    let r = run(&w, q("198.51.100.31")).await;
    assert!(has(&r, "host.fcrdns-ok", Severity::Ok), "{:?}", ids(&r));
    assert_eq!(r.ptr.as_ref().unwrap().names[0].name, "mail31.shop.example");
}

#[tokio::test]
async fn ipv6_nibble_ptr() {
    let w = world().await;
    let r = run(&w, HostQuery { helo: Some("mail.shop.example".into()), ..q("2001:db8::25") }).await;
    assert!(has(&r, "host.fcrdns-ok", Severity::Ok), "{:?}", ids(&r));
    assert!(has(&r, "host.helo-ok", Severity::Ok), "{:?}", ids(&r));
    // Only ZEN answers IPv6; the IPv4-only lists are skipped, and said so.
    assert!(has(&r, "host.dnsbl-skipped", Severity::Info), "{:?}", ids(&r));
    let zen = r.dnsbl.iter().find(|l| l.zone == "zen.spamhaus.org").unwrap();
    assert_eq!(zen.status, Status::NotListed);
}

#[tokio::test]
async fn ipv6_listing() {
    let w = world().await;
    let r = run(&w, q("2001:db8::66")).await;
    let f = find(&r, "host.listed").expect("listed");
    assert!(f.title.contains("SBL"), "{}", f.title);
}

#[tokio::test]
async fn listed_ip_with_reason_and_codes() {
    let w = world().await;
    let r = run(&w, q("198.51.100.66")).await;
    let listed: Vec<&Finding> = r.findings.iter().filter(|f| f.id == "host.listed").collect();
    assert_eq!(listed.len(), 2, "{:?}", ids(&r));
    let zen = listed.iter().find(|f| f.title.contains("Spamhaus ZEN")).unwrap();
    assert!(zen.title.contains("XBL"), "{}", zen.title);
    assert!(zen.evidence.iter().any(|e| e.contains("reason (TXT): https://check.spamhaus.org/listed")), "{:?}", zen.evidence);
    assert!(format!("{:?}", zen.fix).contains("https://check.spamhaus.org/"));
    assert!(listed.iter().any(|f| f.title.contains("SpamCop")));
    assert!(find(&r, "host.not-listed").is_none());
}

#[tokio::test]
async fn refused_code_is_unknown_not_clean() {
    let w = world().await;
    let r = run(&w, q("198.51.100.67")).await;
    let zen = r.dnsbl.iter().find(|l| l.zone == "zen.spamhaus.org").unwrap();
    assert!(matches!(&zen.status, Status::Unchecked { why } if why.contains("public")), "{:?}", zen.status);
    let f = find(&r, "host.dnsbl-unchecked").expect("unchecked finding");
    assert_eq!(f.severity, Severity::Unknown);
    assert!(find(&r, "host.listed").is_none());
}

#[tokio::test]
async fn huge_txt_reason_is_bounded() {
    let w = world().await;
    let r = run(&w, q("198.51.100.69")).await;
    let f = r.findings.iter().find(|f| f.id == "host.listed").expect("PBL listing");
    assert!(f.title.contains("PBL"), "{}", f.title);
    let reason = f.evidence.iter().find(|e| e.starts_with("reason (TXT)")).expect("a reason");
    assert!(reason.len() < 500, "{} chars", reason.len());
    assert!(reason.contains("characters in all"));
    assert!(format!("{:?}", f.fix).contains("587"));
}

#[tokio::test]
async fn dnsbl_timeout_is_unknown() {
    let w = world().await;
    w.inject("zen.spamhaus.org", Some(RType::A), Fault::NoAnswer);
    w.inject("bl.spamcop.net", None, Fault::ServFail);
    let started = Instant::now();
    let r = run(&w, q("198.51.100.25")).await;
    assert!(started.elapsed() < Duration::from_secs(5), "bounded wait: {:?}", started.elapsed());
    let f = find(&r, "host.dnsbl-unchecked").expect("unchecked");
    assert!(f.evidence.iter().any(|e| e.contains("Spamhaus ZEN")), "{:?}", f.evidence);
    assert!(f.evidence.iter().any(|e| e.contains("SpamCop")), "{:?}", f.evidence);
    for l in &r.dnsbl {
        if l.zone == "zen.spamhaus.org" || l.zone == "bl.spamcop.net" {
            assert!(matches!(l.status, Status::Unchecked { .. }), "{:?}", l);
        }
    }
}

#[tokio::test]
async fn ptr_failure_is_not_absence() {
    let w = world().await;
    w.inject("68.100.51.198.in-addr.arpa", Some(RType::Ptr), Fault::NoAnswer);
    let r = run(&w, q("198.51.100.68")).await;
    assert!(has(&r, "host.ptr-unchecked", Severity::Unknown), "{:?}", ids(&r));
    assert!(find(&r, "host.no-ptr").is_none());
    w.clear_faults();
    w.inject("mail.shop.example", Some(RType::A), Fault::ServFail);
    let r = run(&w, q("198.51.100.25")).await;
    assert!(has(&r, "host.fcrdns-unchecked", Severity::Unknown), "{:?}", ids(&r));
    assert!(find(&r, "host.fcrdns-mismatch").is_none());
}

#[tokio::test]
async fn domain_lists_for_sender_helo_and_ptr() {
    let w = world().await;
    let r = run(&w, HostQuery { sender_domain: Some("bad.example".into()), helo: Some("mail.bad.example".into()), ..q("198.51.100.25") }).await;
    let f = find(&r, "host.domain-listed").expect("DBL listing");
    assert!(f.title.contains("bad.example") && f.title.contains("spam domain"), "{}", f.title);
    assert!(f.title.contains("sender domain") && f.title.contains("HELO"), "{}", f.title);
    // The PTR domain (shop.example) was asked too.
    assert!(r.dnsbl.iter().any(|l| l.key == "shop.example" && l.identity.as_deref() == Some("PTR")));
    // The HELO name points at another IP.
    assert!(has(&r, "host.helo-mismatch", Severity::Warning), "{:?}", ids(&r));
}

#[tokio::test]
async fn helo_forms() {
    let w = world().await;
    let cases = [
        ("[198.51.100.25]", "host.helo-literal", Severity::Warning),
        ("[192.0.2.1]", "host.helo-literal-mismatch", Severity::Error),
        ("198.51.100.25", "host.helo-invalid", Severity::Error),
        ("localhost", "host.helo-localhost", Severity::Error),
        ("mailserver", "host.helo-not-fqdn", Severity::Error),
        ("nowhere.shop.example", "host.helo-unresolvable", Severity::Warning),
        ("elsewhere.shop.example", "host.helo-mismatch", Severity::Warning),
        ("mx2.shop.example", "host.helo-mismatch", Severity::Warning),
        ("alias.shop.example", "host.helo-ptr-mismatch", Severity::Info),
    ];
    let r = run(&w, HostQuery { helo: Some("mx2.shop.example".into()), ..q("198.51.100.25") }).await;
    let f = find(&r, "host.helo-mismatch").unwrap();
    assert!(format!("{:?}", f.fix).contains("Use mail.shop.example as the HELO"), "{:?}", f.fix);
    for (helo, id, sev) in cases {
        let r = run(&w, HostQuery { helo: Some(helo.into()), ..q("198.51.100.25") }).await;
        assert!(has(&r, id, sev), "HELO {helo}: expected {id}, got {:?}", ids(&r));
    }
}

#[tokio::test]
async fn helo_cname_loop_is_bounded() {
    let w = world().await;
    let started = Instant::now();
    let r = run(&w, HostQuery { helo: Some("loop1.shop.example".into()), ..q("198.51.100.25") }).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        find(&r, "host.helo-unchecked").is_some() || find(&r, "host.helo-unresolvable").is_some(),
        "{:?}",
        ids(&r)
    );
}

#[tokio::test]
async fn private_ip_is_said_and_not_checked() {
    let w = world().await;
    let r = run(&w, HostQuery { helo: Some("mail.shop.example".into()), ..q("10.0.0.1") }).await;
    let f = find(&r, "host.private-ip").expect("private");
    assert_eq!(f.severity, Severity::Unknown);
    assert!(r.ptr.is_none());
    assert!(r.dnsbl.iter().all(|l| l.kind == host::dnsbl_lists::ListKind::Domain));
    assert!(find(&r, "host.listed").is_none() && find(&r, "host.no-ptr").is_none());
    // The HELO is still judged on its form and resolution.
    assert!(find(&r, "host.helo-ok").is_some(), "{:?}", ids(&r));
}

#[tokio::test]
async fn dnsbl_options() {
    let w = world().await;
    let r = run(&w, HostQuery { no_dnsbl: true, ..q("198.51.100.66") }).await;
    assert!(r.dnsbl.is_empty());
    assert!(has(&r, "host.dnsbl-skipped", Severity::Info));
    // --dnsbl replaces the default set.
    let r = run(&w, HostQuery { dnsbl_zones: vec!["bl.test.example".into()], ..q("198.51.100.25") }).await;
    assert_eq!(r.dnsbl_zones, vec!["bl.test.example".to_string()]);
    let f = find(&r, "host.listed").expect("custom list listing");
    assert!(f.evidence.iter().any(|e| e.contains("listed by the test list")), "{:?}", f.evidence);
    // ... and `default` brings the default set back.
    let r = run(&w, HostQuery { dnsbl_zones: vec!["default".into(), "bl.test.example".into()], ..q("198.51.100.66") }).await;
    assert_eq!(r.findings.iter().filter(|f| f.id == "host.listed").count(), 2);
    assert!(r.dnsbl_zones.len() > 5);
    let r = run(&w, HostQuery { dnsbl_zones: vec!["not a zone".into()], ..q("198.51.100.25") }).await;
    assert!(has(&r, "host.dnsbl-unchecked", Severity::Unknown));
}

#[tokio::test]
async fn posture_records() {
    let w = world().await;
    let res = resolver(&w);
    let f = host::posture::check(&res, "shop.example").await;
    let get = |id: &str| f.iter().find(|x| x.id == id).unwrap_or_else(|| panic!("{id} missing: {f:?}"));
    assert_eq!(get("host.mta-sts").severity, Severity::Ok);
    assert_eq!(get("host.tls-rpt").severity, Severity::Ok);
    assert_eq!(get("host.bimi").severity, Severity::Info);
    assert!(get("host.bimi").title.contains("invalid"));
    // No DS record for shop.example in these zones: unsigned here.
    assert_eq!(get("host.dnssec").severity, Severity::Info);
    assert!(get("host.dnssec").title.contains("not DNSSEC-signed"));
    let f = host::posture::check(&res, "isp.example").await;
    assert!(f.iter().all(|x| x.severity == Severity::Info), "{f:?}");
    w.inject("_mta-sts.bad.example", None, Fault::ServFail);
    let f = host::posture::check(&res, "bad.example").await;
    assert_eq!(f.iter().find(|x| x.id == "host.mta-sts").unwrap().severity, Severity::Unknown);
}

#[tokio::test]
async fn dnssec_ds_at_parent() {
    use mailsleuth::dns::{Rec, StaticZone};
    let mut z = StaticZone::new();
    z.add_typed("signed.example", RType::Ds, Rec::Other("12345 13 2 0123456789ABCDEF".into()));
    z.touch("signed.example");
    let res = Resolver::from_static(z);
    let f = host::posture::check(&res, "signed.example").await;
    let ds = f.iter().find(|x| x.id == "host.dnssec").unwrap();
    assert_eq!(ds.severity, Severity::Ok, "{ds:?}");
    assert!(ds.title.contains("validation not checked"));
}

#[tokio::test]
async fn dnssec_ds_over_the_wire_for_the_registrable_domain() {
    let w = World::start(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dnssec")).await.expect("zones load");
    let res = resolver(&w);
    // A subdomain: the DS is asked for signed.example (its registrable domain), at the parent.
    let f = host::posture::check(&res, "mail.signed.example").await;
    let ds = f.iter().find(|x| x.id == "host.dnssec").unwrap();
    assert_eq!(ds.severity, Severity::Ok, "{ds:?}");
    assert!(ds.title.starts_with("signed.example (the registrable domain of mail.signed.example) has a DS record"), "{}", ds.title);
    assert!(ds.evidence.iter().any(|e| e.contains("12345 13 2 3A1B5C7D")), "{:?}", ds.evidence);
    // The embedded server is authoritative, not validating: the AD bit is asked for and not set.
    assert!(ds.title.contains("did not set the AD bit"), "{}", ds.title);
    let log = res.log();
    assert!(log.iter().any(|q| q.name == "signed.example" && q.rtype == RType::Ds));
    assert!(!log.iter().any(|q| q.name == "mail.signed.example" && q.rtype == RType::Ds));
    let f = host::posture::check(&res, "unsigned.example").await;
    let ds = f.iter().find(|x| x.id == "host.dnssec").unwrap();
    assert_eq!(ds.severity, Severity::Info, "{ds:?}");
    assert!(ds.title.contains("not DNSSEC-signed"), "{}", ds.title);
}

/// Concurrency, not a benchmark: with 50 ms per answer, 20-odd queries in sequence would
/// take over a second; run concurrently they take about the PTR → A chain (2 round trips).
#[tokio::test]
async fn checks_run_concurrently() {
    let w = world().await;
    w.set_delay(Duration::from_millis(50));
    let cfg = DnsConfig { servers: vec![], timeout: Duration::from_secs(2), attempts: 1 };
    let res = Resolver::for_world(&w, &cfg).unwrap();
    let q = HostQuery { helo: Some("alias.shop.example".into()), sender_domain: Some("bad.example".into()), ..q("198.51.100.66") };
    let started = Instant::now();
    let r = host::check(&res, &q).await;
    let wall = started.elapsed();
    let queries = res.log().len();
    assert!(queries >= 15, "{queries} queries");
    assert!(find(&r, "host.listed").is_some());
    // Generous bound for a shared 2-core machine: 4 round trips, against ~15+ sequentially.
    assert!(wall < Duration::from_millis(4 * 50 + 150), "wall {wall:?} for {queries} queries");
}

#[tokio::test]
async fn many_ptrs_are_bounded_and_odd_ptr_names_are_generic() {
    let w = world().await;
    let r = run(&w, q("198.51.100.40")).await;
    let p = r.ptr.as_ref().unwrap();
    assert_eq!(p.total_names, 15);
    assert_eq!(p.names.len(), 10);
    let f = find(&r, "host.fcrdns-mismatch").expect("none of h0..h14 exists");
    assert!(f.evidence.iter().any(|e| e == "5 more PTR names not checked"), "{:?}", f.evidence);
    assert!(has(&r, "host.multiple-ptr", Severity::Warning));
    let r = run(&w, q("198.51.100.41")).await;
    assert!(has(&r, "host.generic-ptr", Severity::Warning), "{:?}", ids(&r));
    assert!(has(&r, "host.fcrdns-mismatch", Severity::Error), "{:?}", ids(&r));
}

#[tokio::test]
async fn a_list_that_answers_everything_is_not_believed() {
    let w = world().await;
    let r = run(&w, HostQuery { dnsbl_zones: vec!["wild.test.example".into(), "domain:wild.test.example".into()], sender_domain: Some("shop.example".into()), ..q("198.51.100.25") }).await;
    assert!(find(&r, "host.listed").is_none() && find(&r, "host.domain-listed").is_none(), "{:?}", ids(&r));
    let f = find(&r, "host.dnsbl-unchecked").expect("unchecked");
    assert!(f.evidence.iter().any(|e| e.contains("answers everything")), "{:?}", f.evidence);
    // Loopback, even the RFC 5782 test entry 127.0.0.2, is never asked: it is not a sender.
    let r = run(&w, HostQuery { dnsbl_zones: vec!["bl.test.example".into()], ..q("127.0.0.2") }).await;
    assert!(r.dnsbl.is_empty(), "loopback is not asked");
}
