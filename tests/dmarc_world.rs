//! DMARC discovery, lint, report authorisation and fault handling against the embedded
//! authoritative server (real DNS over loopback).

use std::time::Duration;

use mailsleuth::dmarc::{self, policy, policy::Mode, DmarcResult};
use mailsleuth::dns::{DnsConfig, Fault, RType, Resolver, World};
use mailsleuth::finding::Severity;

fn zones() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, body: &str| std::fs::write(dir.path().join(name), format!("$TTL 300\n{body}")).unwrap();
    w(
        "shop.example.zone",
        r#"$ORIGIN shop.example.
@        IN A   192.0.2.10
news     IN A   192.0.2.11
txtonly  IN TXT "v=spf1 -all"
_dmarc.dept IN TXT "v=DMARC1; p=none; rua=mailto:d@shop.example"
_dmarc   IN TXT "v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; rua=mailto:d@shop.example,mailto:agg@reports.example!10m; ruf=mailto:f@other.example"
"#,
    );
    w("reports.example.zone", "$ORIGIN reports.example.\nshop.example._report._dmarc IN TXT \"v=DMARC1\"\n");
    w("other.example.zone", "$ORIGIN other.example.\n@ IN A 192.0.2.20\n");
    w(
        "multi.example.zone",
        "$ORIGIN multi.example.\n_dmarc IN TXT \"v=DMARC1; p=none\"\n_dmarc IN TXT \"v=DMARC1; p=reject\"\n",
    );
    w("nodmarc.example.zone", "$ORIGIN nodmarc.example.\n@ IN A 192.0.2.30\n_dmarc IN TXT \"google-site-verification=abc\"\n");
    w(
        "wild.example.zone",
        "$ORIGIN wild.example.\n*._report._dmarc IN TXT \"v=DMARC1\"\n",
    );
    w(
        "brand.example.zone",
        "$ORIGIN brand.example.\n_dmarc IN CNAME brand.dmarc.vendor.example.\n",
    );
    w(
        "vendor.example.zone",
        "$ORIGIN vendor.example.\nbrand.dmarc IN TXT \"v=DMARC1; p=quarantine; pct=25; rua=mailto:x@wild.example\"\n",
    );
    w("lower.example.zone", "$ORIGIN lower.example.\n@ IN A 192.0.2.41\n_dmarc IN TXT \"v=dmarc1; p=reject\"\n");
    w("gone.example.zone", "$ORIGIN gone.example.\n@ IN A 192.0.2.40\n_dmarc IN CNAME gone.dmarc.vendor.example.\n");
    w("spbad.example.zone", "$ORIGIN spbad.example.\n@ IN A 192.0.2.60\n_dmarc IN TXT \"v=DMARC1; p=reject; sp=bogus\"\n");
    w(
        "spbadrua.example.zone",
        "$ORIGIN spbadrua.example.\n@ IN A 192.0.2.61\n_dmarc IN TXT \"v=DMARC1; p=reject; sp=bogus; rua=mailto:d@spbadrua.example\"\n",
    );
    w("bad.example.zone", "$ORIGIN bad.example.\n_dmarc IN TXT \"v=DMARC1; p=none; reject\"\n");
    dir
}

async fn world() -> (tempfile::TempDir, World, Resolver) {
    let dir = zones();
    let world = World::start(dir.path()).await.unwrap();
    let cfg = DnsConfig { servers: vec![], timeout: Duration::from_millis(300), attempts: 1 };
    let resolver = Resolver::for_world(&world, &cfg).unwrap();
    (dir, world, resolver)
}

fn ids(f: &[mailsleuth::finding::Finding]) -> Vec<&str> {
    f.iter().map(|f| f.id.as_str()).collect()
}

#[tokio::test]
async fn policy_and_report_authorisation() {
    let (_d, _w, r) = world().await;
    let rep = dmarc::inspect(&r, "shop.example").await;
    let found = rep.discovery.found().expect("record found");
    assert_eq!(found.domain, "shop.example");
    assert_eq!(rep.applied.unwrap().disposition.as_str(), "reject");
    // reports.example authorised, other.example not
    let auth: Vec<(String, Option<bool>)> = rep.report_auth.iter().map(|a| (a.dest_domain.clone(), a.authorized)).collect();
    assert!(auth.contains(&("reports.example".into(), Some(true))), "{auth:?}");
    assert!(auth.contains(&("other.example".into(), Some(false))), "{auth:?}");
    let f = rep.findings.iter().find(|f| f.id == "dmarc.report-unauthorized").unwrap();
    assert!(f.title.contains("other.example"));
    assert_eq!(f.severity, Severity::Warning);
}

#[tokio::test]
async fn subdomain_policies_sp_and_np() {
    let (_d, _w, r) = world().await;
    // existing subdomain: sp
    let rep = dmarc::inspect(&r, "news.shop.example").await;
    let a = rep.applied.unwrap();
    assert_eq!((a.tag, a.disposition.as_str()), ("sp", "quarantine"));
    assert_eq!(rep.discovery.found().unwrap().via, policy::Via::OrgDomain);
    // non-existent subdomain: np
    let rep = dmarc::inspect(&r, "ghost.shop.example").await;
    let a = rep.applied.unwrap();
    assert_eq!((a.tag, a.disposition.as_str()), ("np", "reject"));
}

#[tokio::test]
async fn missing_multiple_cname_and_syntax() {
    let (_d, _w, r) = world().await;
    let rep = dmarc::inspect(&r, "nodmarc.example").await;
    let f = rep.findings.iter().find(|f| f.id == "dmarc.none").expect("dmarc.none");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.fix.is_some());

    let rep = dmarc::inspect(&r, "multi.example").await;
    assert!(ids(&rep.findings).contains(&"dmarc.multiple-records"));

    let rep = dmarc::inspect(&r, "brand.example").await;
    assert!(ids(&rep.findings).contains(&"dmarc.cname"), "{:?}", ids(&rep.findings));
    assert!(ids(&rep.findings).contains(&"dmarc.pct-partial"));
    // the rua destination wild.example authorises everyone through a wildcard
    assert_eq!(rep.report_auth.len(), 1);
    assert_eq!(rep.report_auth[0].authorized, Some(true));

    let rep = dmarc::inspect(&r, "bad.example").await;
    assert!(ids(&rep.findings).contains(&"dmarc.record-syntax"));
}

#[tokio::test]
async fn servfail_is_unknown_not_absent() {
    let (_d, w, r) = world().await;
    w.inject("_dmarc.nodmarc.example", Some(RType::Txt), Fault::ServFail);
    let rep = dmarc::inspect(&r, "nodmarc.example").await;
    let got = ids(&rep.findings);
    assert!(got.contains(&"dmarc.dns-failure"), "{got:?}");
    assert!(!got.contains(&"dmarc.none"), "{got:?}");
    assert_eq!(rep.findings.iter().find(|f| f.id == "dmarc.dns-failure").unwrap().severity, Severity::Unknown);
}

#[tokio::test]
async fn evaluate_alignment_in_words() {
    let (_d, _w, r) = world().await;
    let disc = policy::discover(&r, "shop.example", Mode::Rfc7489).await;
    // SPF passed for the ESP's bounce domain, no DKIM: fails, p=reject applies
    let v = dmarc::evaluate(&disc, Some(("bounces.esp.example", true)), &[], Some(true));
    assert_eq!(v.result, DmarcResult::Fail);
    let f = v.findings.iter().find(|f| f.id == "dmarc.fail").unwrap();
    assert_eq!(f.severity, Severity::Error);
    assert!(f.evidence.iter().any(|e| e.contains("organizational domains esp.example ≠ shop.example")), "{:?}", f.evidence);
    // adkim=s: a subdomain d= does not align, the exact domain does
    let v = dmarc::evaluate(&disc, None, &["mail.shop.example".to_string()], Some(true));
    assert_eq!(v.result, DmarcResult::Fail);
    let v = dmarc::evaluate(&disc, None, &["shop.example".to_string()], Some(true));
    assert_eq!(v.result, DmarcResult::Pass);
    // aspf=r (default): SPF for a subdomain aligns
    let v = dmarc::evaluate(&disc, Some(("bounce.shop.example", true)), &[], Some(true));
    assert_eq!(v.result, DmarcResult::Pass);
}

#[test]
fn dmarc_command_json_and_exit_codes() {
    let dir = zones();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .args(["--zones"])
        .arg(dir.path())
        .args(["--json", "dmarc", "shop.example"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["policy"], "reject");
    assert_eq!(doc["found_at"], "_dmarc.shop.example");
    assert!(doc["schema_version"].is_number());

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .arg("--zones")
        .arg(dir.path())
        .args(["dmarc", "multi.example"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("dmarc.multiple-records"));

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailsleuth")).args(["dmarc", "not a domain"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn tree_walk_difference_and_dangling_cname() {
    let (_d, _w, r) = world().await;
    // RFC 7489 jumps to the organizational domain; the DMARCbis walk stops at dept
    let rep = dmarc::inspect(&r, "x.dept.shop.example").await;
    assert_eq!(rep.discovery.found().unwrap().domain, "shop.example");
    let walk = rep.tree_walk.as_ref().expect("tree walk differs");
    assert_eq!(walk.found().unwrap().domain, "dept.shop.example");
    assert!(ids(&rep.findings).contains(&"dmarc.treewalk-differs"));

    let rep = dmarc::inspect(&r, "gone.example").await;
    let got = ids(&rep.findings);
    assert!(got.contains(&"dmarc.cname-dangling") && got.contains(&"dmarc.none"), "{got:?}");

    let rep = dmarc::inspect(&r, "lower.example").await;
    let got = ids(&rep.findings);
    assert!(got.contains(&"dmarc.record-ignored") && got.contains(&"dmarc.none"), "{got:?}");
}

/// np= and non-existence: NXDOMAIN for A, AAAA and MX (RFC 9989, which obsoletes RFC
/// 9091, takes the RFC 8020 meaning; the authheaders reference agrees, case np2). The
/// review asked for RFC 9091 §2.1's "NXDOMAIN or NODATA": a name holding only a TXT
/// record (NODATA for A, AAAA and MX) still exists, so sp=, not np=, applies to it.
#[tokio::test]
async fn np_non_existence_is_nxdomain_and_a_nodata_name_exists() {
    let (_d, _w, r) = world().await;
    assert_eq!(policy::domain_exists(&r, "txtonly.shop.example").await, Some(true));
    assert_eq!(policy::domain_exists(&r, "news.shop.example").await, Some(true));
    assert_eq!(policy::domain_exists(&r, "ghost.shop.example").await, Some(false));
    let rep = dmarc::inspect(&r, "txtonly.shop.example").await;
    let a = rep.applied.unwrap();
    assert_eq!((a.tag, a.disposition.as_str()), ("sp", "quarantine"));
}

/// RFC 7489 §6.6.3 step 6: "If a retrieved policy record does not contain a valid "p"
/// tag, or contains an "sp" tag that is not valid, then: if a "rua" tag is present and
/// contains at least one syntactically valid reporting URI, the Mail Receiver SHOULD act
/// as if a record containing a valid "v" tag and "p=none" was retrieved, and continue
/// processing; otherwise, the Mail Receiver applies no DMARC processing to this message."
/// So an invalid sp= decides for the whole record, for the org domain as for subdomains.
#[tokio::test]
async fn invalid_sp_means_no_dmarc_without_rua_and_p_none_with_it() {
    let (_d, _w, r) = world().await;
    for from in ["spbad.example", "x.spbad.example"] {
        let rep = dmarc::inspect(&r, from).await;
        assert!(rep.applied.is_none(), "{from}: {:?}", rep.applied);
        let v = dmarc::evaluate_for(&r, from, None, &[]).await;
        assert_eq!(v.result, DmarcResult::None, "{from}: {v:#?}");
        assert!(v.policy.is_none());
    }
    for from in ["spbadrua.example", "x.spbadrua.example"] {
        let rep = dmarc::inspect(&r, from).await;
        let a = rep.applied.unwrap_or_else(|| panic!("{from}: no policy"));
        assert_eq!(a.disposition.as_str(), "none", "{from}: {a:?}");
        let v = dmarc::evaluate_for(&r, from, None, &[]).await;
        assert_eq!(v.result, DmarcResult::Fail, "{from}: {v:#?}");
        assert_eq!(v.policy.unwrap().disposition.as_str(), "none");
    }
}
