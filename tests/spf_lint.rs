//! Every record-level SPF lint finding, each from a zone fixture served by the embedded
//! authoritative server (tests/fixtures/spf/lint.example.zone) or from `--record`.

use std::path::Path;
use std::time::Duration;

use mailsleuth::dns::{DnsConfig, Outcome, RType, Resolver, World};
use mailsleuth::finding::{Finding, Fix, Severity};
use mailsleuth::spf;

async fn world() -> (World, Resolver) {
    let w = World::start(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spf"))).await.expect("world");
    let cfg = DnsConfig { servers: vec![], timeout: Duration::from_millis(300), attempts: 1 };
    let r = Resolver::for_world(&w, &cfg).expect("resolver");
    (w, r)
}

fn only<'a>(f: &'a [Finding], id: &str) -> &'a Finding {
    let hits: Vec<&Finding> = f.iter().filter(|x| x.id == id).collect();
    assert_eq!(hits.len(), 1, "{id} in {:#?}", f.iter().map(|x| &x.id).collect::<Vec<_>>());
    hits[0]
}

fn absent(f: &[Finding], id: &str) {
    assert!(!f.iter().any(|x| x.id == id), "unexpected {id}");
}

async fn lint(r: &Resolver, name: &str) -> Vec<Finding> {
    spf::lint(r, name, None).await.findings
}

#[tokio::test]
async fn all_terms() {
    let (_w, r) = world().await;
    let f = lint(&r, "plus.lint.example").await;
    let p = only(&f, "spf.plus-all");
    assert_eq!(p.severity, Severity::Warning);
    assert!(p.title.contains("+all"), "{}", p.title);
    assert_eq!(p.fix, Some(Fix::record("plus.lint.example", "TXT", "v=spf1 ip4:192.0.2.1 ~all", "Replace")));

    let f = lint(&r, "neutral.lint.example").await;
    assert_eq!(only(&f, "spf.neutral-all").severity, Severity::Info);
    absent(&f, "spf.plus-all");

    let f = lint(&r, "noall.lint.example").await;
    let n = only(&f, "spf.no-all");
    assert_eq!(n.severity, Severity::Warning);
    assert_eq!(n.fix, Some(Fix::record("noall.lint.example", "TXT", "v=spf1 ip4:192.0.2.1 ~all", "Replace")));

    let f = lint(&r, "redir.lint.example").await;
    let d = only(&f, "spf.redirect-with-all");
    assert_eq!(d.severity, Severity::Warning);
    assert!(d.title.contains("redirect=_spf.esp.example"), "{}", d.title);
    absent(&f, "spf.no-all");

    // A clean record has none of them.
    let f = lint(&r, "clean.lint.example").await;
    for id in ["spf.plus-all", "spf.neutral-all", "spf.no-all", "spf.redirect-with-all", "spf.spf-rr", "spf.long-string"] {
        absent(&f, id);
    }
}

#[tokio::test]
async fn obsolete_spf_rr_type_is_served_and_reported() {
    let (_w, r) = world().await;
    for (name, ip) in [("rr.lint.example", "192.0.2.1"), ("rr99.lint.example", "192.0.2.2")] {
        let a = r.query(name, RType::Spf).await;
        assert_eq!(a.outcome, Outcome::Records, "{a:?}");
        assert_eq!(a.txt_strings(), vec![format!("v=spf1 ip4:{ip} -all")]);
        let f = lint(&r, name).await;
        let s = only(&f, "spf.spf-rr");
        assert_eq!(s.severity, Severity::Info);
        assert!(s.evidence[0].starts_with(&format!("SPF {name}")), "{:?}", s.evidence);
        // The TXT record is still the one that counts.
        let t = r.query(name, RType::Txt).await;
        assert_eq!(t.txt_strings().len(), 1);
    }
}

#[tokio::test]
async fn broken_include_targets() {
    let (_w, r) = world().await;
    let f = lint(&r, "incbad.lint.example").await;
    let p = only(&f, "spf.include-permerror");
    assert_eq!(p.severity, Severity::Error);
    assert!(p.title.contains("include:bad.lint.example"), "{}", p.title);
    assert!(p.evidence.iter().any(|e| e.contains("999.1.1.1")), "{:?}", p.evidence);

    let f = lint(&r, "incmulti.lint.example").await;
    let p = only(&f, "spf.include-permerror");
    assert!(p.evidence.iter().any(|e| e == "more than one SPF record"), "{:?}", p.evidence);
}

#[tokio::test]
async fn macro_targets_are_not_walked() {
    let (_w, r) = world().await;
    let l = spf::lint(&r, "macro.lint.example", None).await;
    let m = only(&l.findings, "spf.macro-target");
    assert_eq!(m.severity, Severity::Info);
    assert!(m.title.contains("include:%{ir}.%{v}._spf.lint.example"), "{}", m.title);
    // The node is listed, not fetched: only the root's TXT (and SPF-type) lookups.
    assert_eq!(l.nodes.len(), 2);
    assert!(!r.log().iter().any(|q| q.name.contains("%")), "{:?}", r.log());
}

#[tokio::test]
async fn long_proposed_record_is_split() {
    let (_w, r) = world().await;
    let terms: Vec<String> = (0..30).map(|i| format!("ip4:192.0.2.{i}")).collect();
    let rec = format!("v=spf1 {} -all", terms.join(" "));
    assert!(rec.len() > 255);
    let l = spf::lint(&r, "clean.lint.example", Some(&rec)).await;
    let s = only(&l.findings, "spf.long-string");
    assert_eq!(s.severity, Severity::Warning);
    match &s.fix {
        Some(Fix::DnsRecord { value, .. }) => {
            let parts: Vec<&str> = value.split("\" \"").collect();
            assert_eq!(parts.len(), 2, "{value}");
            assert_eq!(value.replace("\" \"", "").trim_matches('"'), rec);
            assert!(parts.iter().all(|p| p.trim_matches('"').len() <= 255));
        }
        other => panic!("{other:?}"),
    }
    // A short proposal is one string: no finding.
    let l = spf::lint(&r, "clean.lint.example", Some("v=spf1 ip4:192.0.2.1 -all")).await;
    absent(&l.findings, "spf.long-string");
}

#[tokio::test]
async fn a_record_of_only_fail_all_authorises_no_server() {
    let (_w, r) = world().await;
    let l = spf::lint(&r, "clean.lint.example", Some("v=spf1 -all")).await;
    let f = only(&l.findings, "spf.no-senders");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.title.contains("authorises no server"), "{}", f.title);
    // A record that lists something, or ends in ~all, or redirects, is not that.
    for rec in ["v=spf1 ip4:192.0.2.1 -all", "v=spf1 ~all", "v=spf1 redirect=clean.lint.example"] {
        let l = spf::lint(&r, "clean.lint.example", Some(rec)).await;
        absent(&l.findings, "spf.no-senders");
    }
}
