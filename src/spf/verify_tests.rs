//! check_host() behaviour beyond the conformance suites: the trace, the limits, hostile
//! records. Zones are in-memory (`StaticZone`).

use std::net::IpAddr;

use super::verify::{check_host, Query, SpfResult};
use crate::dns::{Outcome, Rec, Resolver, StaticZone};

fn txt(z: &mut StaticZone, name: &str, s: &str) {
    z.add(name, Rec::Txt(vec![s.as_bytes().to_vec()]));
}
fn a(z: &mut StaticZone, name: &str, ip: &str) {
    z.add(name, Rec::A(ip.parse().unwrap()));
}
async fn run(z: StaticZone, ip: &str, sender: &str) -> super::Evaluation {
    let r = Resolver::from_static(z);
    check_host(&r, &Query::mail_from(ip.parse::<IpAddr>().unwrap(), sender, "helo.example.org")).await
}

#[tokio::test]
async fn trace_shows_where_the_ip_matched() {
    let mut z = StaticZone::new();
    txt(&mut z, "shop.example", "v=spf1 mx include:_spf.esp.example -all");
    z.add("shop.example", Rec::Mx { preference: 10, exchange: "mx.shop.example".into() });
    a(&mut z, "mx.shop.example", "192.0.2.10");
    txt(&mut z, "_spf.esp.example", "v=spf1 ip4:198.51.100.0/24 ~all");
    let ev = run(z, "198.51.100.7", "bob@shop.example").await;
    assert_eq!(ev.result, SpfResult::Pass);
    assert_eq!(ev.lookups, 2);
    let t = &ev.trace;
    assert_eq!(t.steps.len(), 2);
    assert!(!t.steps[0].matched);
    assert!(t.steps[0].queries.iter().any(|q| q.contains("MX shop.example")), "{:?}", t.steps[0].queries);
    assert!(t.steps[1].matched);
    let nested = t.steps[1].nested.as_ref().unwrap();
    assert_eq!(nested.domain, "_spf.esp.example");
    assert!(nested.steps[0].matched);
    assert_eq!(t.deciding_path(), vec!["shop.example", "include:_spf.esp.example", "ip4:198.51.100.0/24"]);
    let mut lines = Vec::new();
    t.render_lines(0, &mut lines);
    assert!(lines.iter().any(|l| l.contains("ip4:198.51.100.0/24 -> MATCH")), "{lines:#?}");
}

#[tokio::test]
async fn fail_with_explanation() {
    let mut z = StaticZone::new();
    txt(&mut z, "shop.example", "v=spf1 ip4:192.0.2.1 -all exp=why.shop.example");
    txt(&mut z, "why.shop.example", "%{i} is not allowed to send for %{d} (%{s})");
    let ev = run(z, "203.0.113.9", "bob@shop.example").await;
    assert_eq!(ev.result, SpfResult::Fail);
    assert_eq!(ev.explanation.as_deref(), Some("203.0.113.9 is not allowed to send for shop.example (bob@shop.example)"));
    assert!(ev.trace.reason.contains("-all"));
}

#[tokio::test]
async fn eleventh_lookup_is_permerror() {
    let mut z = StaticZone::new();
    let terms: Vec<String> = (0..11).map(|i| format!("a:h{i}.shop.example")).collect();
    txt(&mut z, "shop.example", &format!("v=spf1 {} -all", terms.join(" ")));
    for i in 0..11 {
        a(&mut z, &format!("h{i}.shop.example"), "192.0.2.1");
    }
    let ev = run(z, "203.0.113.9", "bob@shop.example").await;
    assert_eq!(ev.result, SpfResult::PermError);
    assert!(ev.trace.reason.contains("limit 10"), "{}", ev.trace.reason);
    assert_eq!(ev.lookups, 11);
    assert_eq!(ev.trace.steps.last().unwrap().note.as_deref(), Some("lookup limit exceeded"));
}

#[tokio::test]
async fn third_void_lookup_is_permerror() {
    let mut z = StaticZone::new();
    txt(&mut z, "shop.example", "v=spf1 a:gone1.shop.example a:gone2.shop.example a:gone3.shop.example -all");
    let ev = run(z, "203.0.113.9", "bob@shop.example").await;
    assert_eq!(ev.result, SpfResult::PermError);
    assert!(ev.trace.reason.contains("void lookup number 3"), "{}", ev.trace.reason);
    assert!(ev.trace.reason.contains("gone3.shop.example"));
}

#[tokio::test]
async fn dns_failure_is_temperror_not_absence() {
    let mut z = StaticZone::new();
    txt(&mut z, "shop.example", "v=spf1 include:_spf.broken.example -all");
    z.fail("_spf.broken.example", crate::dns::RType::Txt, Outcome::ServFail);
    let ev = run(z.clone(), "203.0.113.9", "bob@shop.example").await;
    assert_eq!(ev.result, SpfResult::TempError);
    assert!(ev.trace.reason.contains("SERVFAIL"), "{}", ev.trace.reason);
    // The sender domain itself failing is temperror too, not "none".
    z.fail_all("shop.example", Outcome::Timeout);
    let ev = run(z, "203.0.113.9", "bob@shop.example").await;
    assert_eq!(ev.result, SpfResult::TempError);
}

#[tokio::test]
async fn include_loop_stops_at_the_limit() {
    let mut z = StaticZone::new();
    txt(&mut z, "a.example", "v=spf1 include:b.example -all");
    txt(&mut z, "b.example", "v=spf1 include:a.example -all");
    let ev = run(z, "203.0.113.9", "bob@a.example").await;
    assert_eq!(ev.result, SpfResult::PermError);
    assert!(ev.lookups <= 11);
}

#[tokio::test]
async fn cname_loop_is_bounded() {
    let mut z = StaticZone::new();
    txt(&mut z, "shop.example", "v=spf1 a:loop1.shop.example -all");
    z.add("loop1.shop.example", Rec::Cname("loop2.shop.example".into()));
    z.add("loop2.shop.example", Rec::Cname("loop1.shop.example".into()));
    let ev = run(z, "203.0.113.9", "bob@shop.example").await;
    // A CNAME loop is a DNS error, never a match or absence.
    assert_eq!(ev.result, SpfResult::TempError);
}

#[tokio::test]
async fn hostile_records_are_bounded() {
    // 4 KB of TXT in 255-byte strings, 500 terms that need no DNS.
    let mut z = StaticZone::new();
    let body: String = (0..500).map(|i| format!(" ip4:10.{}.{}.1", i / 256, i % 256)).collect();
    let rec = format!("v=spf1{body} -all");
    assert!(rec.len() > 4000);
    let parts: Vec<Vec<u8>> = rec.as_bytes().chunks(255).map(|c| c.to_vec()).collect();
    z.add("big.example", Rec::Txt(parts));
    let ev = run(z, "203.0.113.9", "bob@big.example").await;
    assert_eq!(ev.result, SpfResult::Fail);
    assert_eq!(ev.trace.steps.len(), 501);

    // A macro bomb: the expansion is capped, the evaluation ends in permerror.
    let mut z = StaticZone::new();
    let bomb = format!("v=spf1 exists:{}.x.example -all", "%{s}".repeat(600));
    txt(&mut z, "bomb.example", &bomb);
    let ev = run(z, "203.0.113.9", &format!("{}@bomb.example", "l".repeat(60))).await;
    assert_eq!(ev.result, SpfResult::PermError);
    assert!(ev.trace.reason.contains("exceeds"), "{}", ev.trace.reason);

    // 500 DNS terms: stopped at the 11th.
    let mut z = StaticZone::new();
    let many: String = (0..500).map(|i| format!(" a:e{i}.x.example")).collect();
    txt(&mut z, "many.example", &format!("v=spf1{many}"));
    for i in 0..500 {
        a(&mut z, &format!("e{i}.x.example"), "192.0.2.1");
    }
    let ev = run(z, "203.0.113.9", "bob@many.example").await;
    assert_eq!(ev.result, SpfResult::PermError);
    assert_eq!(ev.trace.steps.len(), 11);
}

#[tokio::test]
async fn mx_name_limit() {
    let mut z = StaticZone::new();
    txt(&mut z, "shop.example", "v=spf1 mx -all");
    for i in 0..11 {
        z.add("shop.example", Rec::Mx { preference: i, exchange: format!("mx{i}.shop.example") });
        a(&mut z, &format!("mx{i}.shop.example"), "192.0.2.1");
    }
    let ev = run(z, "203.0.113.9", "bob@shop.example").await;
    assert_eq!(ev.result, SpfResult::PermError);
    assert!(ev.trace.reason.contains("11 MX hosts"), "{}", ev.trace.reason);
}

#[tokio::test]
async fn what_if_record_override() {
    let mut z = StaticZone::new();
    txt(&mut z, "shop.example", "v=spf1 -all");
    let r = Resolver::from_static(z);
    let mut q = Query::mail_from("192.0.2.5".parse().unwrap(), "bob@shop.example", "h.example");
    assert_eq!(check_host(&r, &q).await.result, SpfResult::Fail);
    q.record_override = Some("v=spf1 ip4:192.0.2.0/24 -all".into());
    let ev = check_host(&r, &q).await;
    assert_eq!(ev.result, SpfResult::Pass);
    assert!(ev.trace.proposed);
    q.record_override = Some("v=spf1 ip4:192.0.2.0/33 -all".into());
    let ev = check_host(&r, &q).await;
    assert_eq!(ev.result, SpfResult::PermError);
    assert!(ev.trace.reason.contains("/33"), "{}", ev.trace.reason);
}

#[tokio::test]
async fn exp_inside_an_include_is_not_even_fetched() {
    let mut z = StaticZone::new();
    txt(&mut z, "shop.example", "v=spf1 include:inner.example -all");
    txt(&mut z, "inner.example", "v=spf1 -all exp=why.inner.example");
    txt(&mut z, "why.inner.example", "never used");
    let r = Resolver::from_static(z);
    let ev = check_host(&r, &Query::mail_from("192.0.2.1".parse().unwrap(), "a@shop.example", "h.example")).await;
    assert_eq!(ev.result, SpfResult::Fail);
    assert_eq!(ev.explanation, None);
    assert!(!r.log().iter().any(|q| q.name == "why.inner.example"), "{:?}", r.log());
}
