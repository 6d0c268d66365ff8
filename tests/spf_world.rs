//! SPF against the embedded authoritative server (zone files in tests/fixtures/spf):
//! diagnose's concrete fix, lint of a broken tree, DNS faults.

use std::path::Path;
use std::time::Duration;

use mailsleuth::diagnose::Context;
use mailsleuth::dns::{DnsConfig, Fault, RType, Resolver, World};
use mailsleuth::finding::{Finding, Fix, Severity};
use mailsleuth::spf::{self, SpfResult};

fn zones() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spf"))
}

async fn world() -> (World, Resolver) {
    let w = World::start(zones()).await.expect("world");
    let cfg = DnsConfig { servers: vec![], timeout: Duration::from_millis(300), attempts: 1 };
    let r = Resolver::for_world(&w, &cfg).expect("resolver");
    (w, r)
}

fn ctx(r: &Resolver, sender: &str, ip: &str) -> Context {
    let mut c = Context::new(r.clone(), sender);
    c.ip = Some(ip.parse().unwrap());
    c
}

fn find<'a>(f: &'a [Finding], id: &str) -> &'a Finding {
    f.iter().find(|x| x.id == id).unwrap_or_else(|| panic!("no {id} in {:#?}", f.iter().map(|x| &x.id).collect::<Vec<_>>()))
}

#[tokio::test]
async fn fail_fix_is_the_esp_include_found_from_the_ptr() {
    let (_w, r) = world().await;
    let f = spf::diagnose(&ctx(&r, "billing@other.example", "198.51.100.7")).await;
    let fail = find(&f, "spf.fail");
    assert_eq!(fail.severity, Severity::Error);
    assert_eq!(
        fail.fix,
        Some(Fix::record("other.example", "TXT", "v=spf1 ip4:192.0.2.0/24 include:_spf.esp.example -all", "Replace the SPF TXT record with"))
    );
    assert!(fail.evidence.iter().any(|e| e.contains("o1.mta.esp.example")), "{:#?}", fail.evidence);
    assert!(fail.evidence.iter().any(|e| e.contains("with `include:_spf.esp.example` added, check_host gives pass")), "{:#?}", fail.evidence);
    // The trace is in the evidence: the term that did not match and the final -all.
    assert!(fail.evidence.iter().any(|e| e.contains("-all -> MATCH")), "{:#?}", fail.evidence);
    assert_eq!(find(&f, "spf.record").severity, Severity::Ok);
}

#[tokio::test]
async fn fail_fix_falls_back_to_the_address() {
    let (_w, r) = world().await;
    let f = spf::diagnose(&ctx(&r, "billing@other.example", "203.0.113.50")).await;
    let fail = find(&f, "spf.fail");
    assert_eq!(fail.fix, Some(Fix::record("other.example", "TXT", "v=spf1 ip4:192.0.2.0/24 ip4:203.0.113.50 -all", "Replace the SPF TXT record with")));
}

#[tokio::test]
async fn pass_through_include_and_helo() {
    let (_w, r) = world().await;
    let mut c = ctx(&r, "a@shop.example", "198.51.100.7");
    c.helo = Some("mx.shop.example".into());
    let f = spf::diagnose(&c).await;
    assert_eq!(find(&f, "spf.pass").severity, Severity::Ok);
    // mx.shop.example has no SPF record: HELO check gives none.
    assert_eq!(find(&f, "spf.helo-none").severity, Severity::Info);
    let ev = spf::check_host(&r, &spf::Query::mail_from("198.51.100.7".parse().unwrap(), "a@shop.example", "h.example")).await;
    assert_eq!(ev.trace.deciding_path(), vec!["shop.example", "include:_spf.esp.example", "ip4:198.51.100.0/24"]);
}

#[tokio::test]
async fn lint_finds_every_problem_of_a_broken_tree() {
    let (_w, r) = world().await;
    let l = spf::lint(&r, "lint.shop.example", None).await;
    let ids: Vec<&str> = l.findings.iter().map(|f| f.id.as_str()).collect();
    for id in ["spf.ptr", "spf.void-lookups", "spf.wide", "spf.include-none", "spf.loop", "spf.after-all", "spf.lookups"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let v = find(&l.findings, "spf.void-lookups");
    assert_eq!(v.severity, Severity::Error, "three void lookups");
    assert!(v.evidence.iter().any(|e| e.contains("a:gone3.shop.example")));
    // ptr, 3 a, include nospf, include loop -> (loop: include lint again is not re-walked).
    assert_eq!(l.root().own_lookups, 6);
    let lp = find(&l.findings, "spf.loop");
    assert!(lp.evidence[0].contains("include:loop.shop.example"), "{:?}", lp.evidence);

    let two = spf::lint(&r, "two.shop.example", None).await;
    let m = find(&two.findings, "spf.multiple");
    match &m.fix {
        Some(Fix::DnsRecord { value, .. }) => assert_eq!(value, "v=spf1 ip4:192.0.2.1 ip4:192.0.2.2 -all"),
        other => panic!("{other:?}"),
    }
    let none = spf::lint(&r, "mx.shop.example", None).await;
    assert_eq!(find(&none.findings, "spf.none").severity, Severity::Warning);
}

#[tokio::test]
async fn lookup_limit_with_a_flattened_fix() {
    let (_w, r) = world().await;
    let l = spf::lint(&r, "big.shop.example", None).await;
    assert_eq!(l.total_lookups, 10 /* 6 includes, 2 nested, mx, a */);
    let f = find(&l.findings, "spf.lookups");
    assert_eq!(f.severity, Severity::Warning, "10 of 10");
    // One more include pushes it over; the flattened record fits.
    let proposed = "v=spf1 include:r1.esp.example include:r2.esp.example include:r3.esp.example include:r4.esp.example include:r5.esp.example include:r6.esp.example include:_spf.esp.example mx a ~all";
    let l = spf::lint(&r, "big.shop.example", Some(proposed)).await;
    assert_eq!(l.total_lookups, 11);
    let f = find(&l.findings, "spf.lookup-limit");
    assert_eq!(f.severity, Severity::Error);
    match &f.fix {
        Some(Fix::DnsRecord { value, .. }) => {
            assert!(value.starts_with("v=spf1 ip4:203.0.113.1 ip4:203.0.113.2"), "{value}");
            assert!(value.contains("ip6:2001:db8::/48") && value.ends_with("mx a ~all"), "{value}");
            let flat = spf::parse::parse_record(value).unwrap();
            assert_eq!(flat.directives().filter(|d| d.mechanism.queries_dns()).count(), 2);
        }
        other => panic!("{other:?}"),
    }
    // The receiver's view agrees: permerror at the 11th term.
    let mut q = spf::Query::mail_from("192.0.2.99".parse().unwrap(), "a@big.shop.example", "h.example");
    q.record_override = Some(proposed.into());
    assert_eq!(spf::check_host(&r, &q).await.result, SpfResult::PermError);
}

#[tokio::test]
async fn servfail_is_temperror_never_absence() {
    let (w, r) = world().await;
    w.inject("_spf.esp.example", Some(RType::Txt), Fault::ServFail);
    let f = spf::diagnose(&ctx(&r, "a@shop.example", "198.51.100.7")).await;
    assert_eq!(find(&f, "spf.temperror").severity, Severity::Unknown);
    assert!(!f.iter().any(|x| x.id == "spf.include-none"), "a failure must not read as a missing record");
}

#[tokio::test]
async fn hostile_records_over_the_wire_are_bounded() {
    let (_w, r) = world().await;
    let started = std::time::Instant::now();
    let ip = "203.0.113.9".parse().unwrap();
    let big = spf::check_host(&r, &spf::Query::mail_from(ip, "a@big.hostile.example", "h.example")).await;
    assert_eq!(big.result, SpfResult::Fail, "{}", big.trace.reason);
    assert!(big.trace.record.as_ref().unwrap().len() > 4000);
    let l = spf::lint(&r, "big.hostile.example", None).await;
    assert!(l.findings.iter().any(|f| f.id == "spf.answer-size"), "{:?}", l.findings.iter().map(|f| &f.id).collect::<Vec<_>>());

    let lp = spf::check_host(&r, &spf::Query::mail_from(ip, "a@loop1.hostile.example", "h.example")).await;
    assert_eq!(lp.result, SpfResult::PermError);
    // The loop is named in the verdict, not buried under a lookup-limit reason.
    assert_eq!(
        lp.trace.reason,
        "include loop: loop1.hostile.example -> loop2.hostile.example -> loop3.hostile.example -> loop1.hostile.example \
         (a receiver runs into the 10-lookup limit, §4.6.4)"
    );
    assert_eq!(lp.lookups, 3, "stopped at the looping term");
    let l = spf::lint(&r, "loop1.hostile.example", None).await;
    assert!(l.findings.iter().any(|f| f.id == "spf.loop"));

    // A CNAME loop is a DNS failure (as a recursive resolver's SERVFAIL), named as such.
    let cn = spf::check_host(&r, &spf::Query::mail_from(ip, "a@cn.hostile.example", "h.example")).await;
    assert_eq!(cn.result, SpfResult::TempError, "{}", cn.trace.reason);
    assert!(cn.trace.reason.contains("CNAME loop"), "{}", cn.trace.reason);
    assert!(!cn.trace.steps[0].matched);

    let long_sender = format!("{}@bomb.hostile.example", "x".repeat(64));
    let bomb = spf::check_host(&r, &spf::Query::mail_from(ip, &long_sender, "h.example")).await;
    assert_eq!(bomb.result, SpfResult::PermError, "{}", bomb.trace.reason);
    assert!(bomb.trace.reason.contains("exceeds"), "{}", bomb.trace.reason);
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn no_record_gets_a_tested_first_record() {
    let (_w, r) = world().await;
    // hostile.example's apex has no TXT: spf.none, and the fix authorises the ESP host.
    let f = spf::diagnose(&ctx(&r, "a@hostile.example", "198.51.100.7")).await;
    let none = find(&f, "spf.none");
    assert_eq!(none.fix.as_ref().map(|x| matches!(x, Fix::DnsRecord { value, .. } if value == "v=spf1 include:_spf.esp.example ~all")), Some(true), "{none:#?}");
}

#[tokio::test]
async fn include_over_the_limit_gives_way_to_the_address() {
    let (_w, r) = world().await;
    // big.shop.example already needs 10 lookups: include:_spf.esp.example would be the 11th.
    let f = spf::diagnose(&ctx(&r, "a@big.shop.example", "198.51.100.7")).await;
    let soft = find(&f, "spf.softfail");
    assert_eq!(soft.severity, Severity::Warning);
    assert!(soft.evidence.iter().any(|e| e.contains("with `include:_spf.esp.example` added, check_host gives permerror")), "{:#?}", soft.evidence);
    match &soft.fix {
        Some(Fix::DnsRecord { value, .. }) => assert!(value.ends_with("mx a ip4:198.51.100.7 ~all"), "{value}"),
        other => panic!("{other:?}"),
    }
}

/// The lint walk is breadth-first and concurrent: with 100 ms added to every answer, a
/// 10-lookup tree three levels deep takes about three round trips, not twelve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lint_walks_levels_concurrently() {
    let (w, r) = world().await;
    w.set_delay(Duration::from_millis(100));
    let started = std::time::Instant::now();
    let l = spf::lint(&r, "big.shop.example", None).await;
    let took = started.elapsed();
    assert_eq!((l.total_lookups, l.depth), (10, 3));
    let queries = r.log().len();
    assert!(queries >= 12, "{queries} queries");
    // Sequential would be >= 1.2 s; generous margin for a loaded machine.
    assert!(took < Duration::from_millis(700), "lint took {took:?} for {queries} queries at depth {}", l.depth);
}

#[tokio::test]
async fn redirect_and_self_loops_are_named() {
    let (_w, r) = world().await;
    let ip = "203.0.113.9".parse().unwrap();
    let ev = spf::check_host(&r, &spf::Query::mail_from(ip, "a@rloop1.hostile.example", "h.example")).await;
    assert_eq!(ev.result, SpfResult::PermError);
    assert!(ev.trace.reason.starts_with("redirect loop: rloop1.hostile.example -> rloop2.hostile.example -> rloop1.hostile.example"), "{}", ev.trace.reason);
    let ev = spf::check_host(&r, &spf::Query::mail_from(ip, "a@self.hostile.example", "h.example")).await;
    assert!(ev.trace.reason.starts_with("include loop: self.hostile.example -> self.hostile.example"), "{}", ev.trace.reason);
    // An IP matched before the looping term still passes, as it does at a receiver.
    let ev = spf::check_host(&r, &spf::Query::mail_from("192.0.2.1".parse().unwrap(), "a@self.hostile.example", "h.example")).await;
    assert_eq!(ev.result, SpfResult::Pass);
    // What-if on a looping domain: the proposed record is not the published one, so
    // reaching the published record again is no loop.
    let mut q = spf::Query::mail_from(ip, "a@loop1.hostile.example", "h.example");
    q.record_override = Some("v=spf1 include:loop2.hostile.example ip4:203.0.113.9 -all".into());
    let ev = spf::check_host(&r, &q).await;
    assert_eq!(ev.result, SpfResult::PermError);
    assert!(ev.trace.reason.contains("include loop: loop2.hostile.example -> loop3.hostile.example -> loop1.hostile.example -> loop2.hostile.example"), "{}", ev.trace.reason);
}

/// RFC 2181 §11: a label may hold any octet. A macro that puts '@', '+', '%' or a space
/// into a name still makes the query (RFC 7208 §7.3), and the answer decides the term.
#[tokio::test]
async fn macro_names_with_any_octet_are_asked() {
    use hickory_proto::rr::{rdata, Name, RData, Record, RecordSet, RecordType, RrKey};
    // The fixture zones, plus A records at names no zone file can spell (hickory's parser
    // refuses '@' and '+' in labels): raw labels, as they are on the wire.
    let mut zones = mailsleuth::dns::zonefile::load_path(zones()).expect("zones");
    let hostile = zones.iter_mut().find(|z| z.apex() == "hostile.example").expect("hostile.example");
    for labels in [&["bob@hit", "hostile", "example", "h", "hostile", "example"][..], &["a+b", "p", "hostile", "example"][..]] {
        let name = Name::from_labels(labels.iter().map(|l| l.as_bytes())).expect("raw labels");
        let rec = Record::from_rdata(name.clone(), 300, RData::A(rdata::A::new(127, 0, 0, 2)));
        let mut set = RecordSet::new(name.clone(), RecordType::A, 1);
        set.insert(rec, 1);
        hostile.records.insert(RrKey::new(name.into(), RecordType::A), set);
    }
    let w = World::serve(zones, "127.0.0.1:0".parse().unwrap()).await.expect("world");
    let r = Resolver::for_world(&w, &DnsConfig { servers: vec![], timeout: Duration::from_millis(300), attempts: 1 }).expect("resolver");
    // %{s} with '@': NXDOMAIN, exists does not match, ip4 passes.
    let ev = spf::check_host(&r, &spf::Query::mail_from("192.0.2.1".parse().unwrap(), "bob@ms.hostile.example", "h.example")).await;
    assert_eq!(ev.result, SpfResult::Pass, "{}", ev.trace.reason);
    let log = r.log();
    let q = log.iter().find(|e| e.name == "bob@ms.hostile.example.m.hostile.example").unwrap_or_else(|| panic!("{log:#?}"));
    assert_eq!(q.outcome, mailsleuth::dns::Outcome::NxDomain, "{q:#?}");
    assert!(q.error.is_none(), "{q:#?}");
    assert_ne!(q.server, "-", "the query went to the server: {q:#?}");

    // The octets on the wire are the right ones: the zone's name with '@' answers.
    let ip = "203.0.113.9".parse().unwrap();
    let ev = spf::check_host(&r, &spf::Query::mail_from(ip, "bob@hit.hostile.example", "h.example")).await;
    assert_eq!(ev.result, SpfResult::Pass, "{}", ev.trace.reason);
    let ev = spf::check_host(&r, &spf::Query::mail_from(ip, "eve@hit.hostile.example", "h.example")).await;
    assert_eq!(ev.result, SpfResult::Fail, "{}", ev.trace.reason);

    // %{l} with '+'.
    let ev = spf::check_host(&r, &spf::Query::mail_from(ip, "a+b@plus.hostile.example", "h.example")).await;
    assert_eq!(ev.result, SpfResult::Pass, "{}", ev.trace.reason);
    let ev = spf::check_host(&r, &spf::Query::mail_from(ip, "c+d@plus.hostile.example", "h.example")).await;
    assert_eq!(ev.result, SpfResult::Fail, "{}", ev.trace.reason);
    // '%' and a space: asked, NXDOMAIN, no match.
    for local in ["a%b", "a b"] {
        let ev = spf::check_host(&r, &spf::Query::mail_from(ip, &format!("{local}@plus.hostile.example"), "h.example")).await;
        assert_eq!(ev.result, SpfResult::Fail, "{local}: {}", ev.trace.reason);
        let name = format!("{local}.p.hostile.example");
        let log = r.log();
        let q = log.iter().find(|e| e.name == name).unwrap_or_else(|| panic!("{name}: {log:#?}"));
        assert_eq!(q.outcome, mailsleuth::dns::Outcome::NxDomain, "{q:#?}");
    }

    // Genuinely invalid names stay so: an empty label from the macro is no match, no query.
    let ev = spf::check_host(&r, &spf::Query::mail_from("192.0.2.1".parse().unwrap(), ".bob@ms.hostile.example", "h.example")).await;
    assert_eq!(ev.result, SpfResult::Pass, "{}", ev.trace.reason);
    assert!(ev.trace.steps[0].note.as_deref().unwrap_or("").contains("invalid name: empty label"), "{:#?}", ev.trace.steps[0]);
    assert!(!r.log().iter().any(|e| e.name.starts_with(".bob")), "{:#?}", r.log());
}
