//! Unit table for the SPF findings no other test names (docs/findings.md, spf section):
//! records in zone files on the embedded authoritative server, evaluated and linted by
//! the real checks (`spf::diagnose`, `spf::lint`); each id with its documented severity.

use std::time::Duration;

use mailsleuth::diagnose::Context;
use mailsleuth::dns::{DnsConfig, Fault, RType, Resolver, World};
use mailsleuth::finding::{Finding, Fix, Severity};
use mailsleuth::spf;

fn zones() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, body: &str| std::fs::write(dir.path().join(name), format!("$TTL 300\n{body}")).unwrap();
    w("neutral.example.zone", "$ORIGIN neutral.example.\n@ IN A 192.0.2.10\n@ IN TXT \"v=spf1 ip4:192.0.2.0/24 ?all\"\n");
    w("noall.example.zone", "$ORIGIN noall.example.\n@ IN A 192.0.2.11\n@ IN TXT \"v=spf1 ip4:192.0.2.0/24\"\n");
    w("broken.example.zone", "$ORIGIN broken.example.\n@ IN A 192.0.2.12\n@ IN TXT \"v=spf1 ip4:192.0.2.0/33 -all\"\n");
    w("badterm.example.zone", "$ORIGIN badterm.example.\n@ IN A 192.0.2.13\n@ IN TXT \"v=spf1 a:: frobnicate -all\"\n");
    w("incl.example.zone", "$ORIGIN incl.example.\n@ IN A 192.0.2.14\n@ IN TXT \"v=spf1 include:nospf.example -all\"\n");
    w("nospf.example.zone", "$ORIGIN nospf.example.\n@ IN A 192.0.2.15\n");
    // HELO names, one result each.
    w(
        "helo.example.zone",
        "$ORIGIN helo.example.\n@ IN A 192.0.2.16\n\
         soft IN TXT \"v=spf1 ip4:192.0.2.0/24 ~all\"\n\
         neutral IN TXT \"v=spf1 ip4:192.0.2.0/24 ?all\"\n\
         perm IN TXT \"v=spf1 ip4:192.0.2.0/99 -all\"\n\
         temp IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n",
    );
    dir
}

async fn world() -> (tempfile::TempDir, World, Resolver) {
    let dir = zones();
    let world = World::start(dir.path()).await.unwrap();
    let cfg = DnsConfig { servers: vec![], timeout: Duration::from_millis(300), attempts: 1 };
    let r = Resolver::for_world(&world, &cfg).unwrap();
    (dir, world, r)
}

async fn diagnose(r: &Resolver, sender: &str, ip: &str) -> Vec<Finding> {
    let mut c = Context::new(r.clone(), sender);
    c.ip = Some(ip.parse().unwrap());
    spf::diagnose(&c).await
}

fn find<'a>(f: &'a [Finding], id: &str) -> &'a Finding {
    f.iter().find(|x| x.id == id).unwrap_or_else(|| panic!("no {id} in {:?}", f.iter().map(|x| (&x.id, x.severity)).collect::<Vec<_>>()))
}

#[tokio::test]
async fn neutral_is_a_warning_with_the_record_that_authorises_the_ip() {
    let (_d, _w, r) = world().await;
    // `?all` matched, and a record without `all` that no term matches: both neutral.
    for (sender, record) in [
        ("billing@neutral.example", "v=spf1 ip4:192.0.2.0/24 ip4:203.0.113.9 ?all"),
        ("billing@noall.example", "v=spf1 ip4:192.0.2.0/24 ip4:203.0.113.9"),
    ] {
        let f = diagnose(&r, sender, "203.0.113.9").await;
        let n = find(&f, "spf.neutral");
        assert_eq!(n.severity, Severity::Warning, "{sender}");
        let domain = sender.split('@').nth(1).unwrap();
        assert_eq!(n.fix, Some(Fix::record(domain, "TXT", record, "Replace the SPF TXT record with")), "{sender}: {n:#?}");
        assert!(!f.iter().any(|f| f.id == "spf.fail" || f.id == "spf.softfail" || f.id == "spf.pass"), "{f:#?}");
    }
    // Inside the listed range: pass, no neutral.
    let f = diagnose(&r, "billing@neutral.example", "192.0.2.7").await;
    assert_eq!(find(&f, "spf.pass").severity, Severity::Ok);
    assert!(!f.iter().any(|f| f.id == "spf.neutral"));
}

#[tokio::test]
async fn syntax_error_is_spf_syntax_and_permerror() {
    let (_d, _w, r) = world().await;
    for (sender, term) in [("billing@broken.example", "/33"), ("billing@badterm.example", "a::")] {
        let f = diagnose(&r, sender, "203.0.113.9").await;
        let s = find(&f, "spf.syntax");
        assert_eq!(s.severity, Severity::Error, "{sender}");
        // The evidence names the record, points at the error and gives its reason.
        assert!(s.evidence.iter().any(|e| e.contains(term)), "{sender}: {:?}", s.evidence);
        assert!(s.evidence.iter().any(|e| e.starts_with("error ")), "{sender}: {:?}", s.evidence);
        let p = find(&f, "spf.permerror");
        assert_eq!(p.severity, Severity::Error, "{sender}");
        // Lint alone (no IP) reports the syntax error too.
        let l = spf::lint(&r, sender.split('@').nth(1).unwrap(), None).await;
        assert_eq!(find(&l.findings, "spf.syntax").severity, Severity::Error);
    }
}

#[tokio::test]
async fn permerror_from_an_include_without_spf() {
    let (_d, _w, r) = world().await;
    let f = diagnose(&r, "billing@incl.example", "203.0.113.9").await;
    let p = find(&f, "spf.permerror");
    assert_eq!(p.severity, Severity::Error);
    assert!(p.title.contains("nospf.example"), "the reason names the include: {}", p.title);
    // The lint finding beside it names the fix.
    assert_eq!(find(&f, "spf.include-none").severity, Severity::Error);
    assert!(!f.iter().any(|f| f.id == "spf.syntax"), "{f:#?}");
}

#[tokio::test]
async fn helo_identity_results_have_their_own_ids() {
    let (_d, w, r) = world().await;
    w.inject("temp.helo.example", Some(RType::Txt), Fault::ServFail);
    // (HELO name, id, documented severity: as the MAIL FROM id)
    for (helo, id, sev) in [
        ("soft.helo.example", "spf.helo-softfail", Severity::Warning),
        ("neutral.helo.example", "spf.helo-neutral", Severity::Warning),
        ("perm.helo.example", "spf.helo-permerror", Severity::Error),
        ("temp.helo.example", "spf.helo-temperror", Severity::Unknown),
    ] {
        let mut c = Context::new(r.clone(), "billing@neutral.example");
        c.ip = Some("203.0.113.9".parse().unwrap());
        c.helo = Some(helo.into());
        let f = spf::diagnose(&c).await;
        let h = find(&f, id);
        assert_eq!(h.severity, sev, "{helo}");
        assert_eq!(h.subject.as_deref(), Some(helo), "{helo}: the finding is about the HELO name");
        // The MAIL FROM identity is reported under its own id beside it.
        assert_eq!(find(&f, "spf.neutral").subject.as_deref(), Some("neutral.example"));
    }
}
