//! The Microsoft 365 DKIM CNAME pattern, checked explicitly, against the embedded
//! authoritative server: `selectorN-<domain with dashes>._domainkey.<tenant>.onmicrosoft.com`.

use std::time::Duration;

use mailsleuth::dkim;
use mailsleuth::dns::{DnsConfig, Resolver, World};
use mailsleuth::finding::{Finding, Severity};

const KEY: &str = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

async fn world() -> (tempfile::TempDir, World, Resolver) {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, body: String| std::fs::write(dir.path().join(name), format!("$TTL 300\n{body}")).unwrap();
    w(
        "good365.example.zone",
        "$ORIGIN good365.example.\n@ IN A 192.0.2.1\n\
         selector1._domainkey IN CNAME selector1-good365-example._domainkey.contoso.onmicrosoft.com.\n\
         selector2._domainkey IN CNAME selector2-good365-example._domainkey.contoso.onmicrosoft.com.\n"
            .into(),
    );
    w(
        "bad365.example.zone",
        "$ORIGIN bad365.example.\n@ IN A 192.0.2.2\n\
         ; copied from another domain (resolves: that domain's key), and selector1's target under selector2\n\
         selector1._domainkey IN CNAME selector1-good365-example._domainkey.contoso.onmicrosoft.com.\n\
         selector2._domainkey IN CNAME selector1-bad365-example._domainkey.contoso.onmicrosoft.com.\n"
            .into(),
    );
    w(
        "off365.example.zone",
        "$ORIGIN off365.example.\n@ IN A 192.0.2.3\n\
         ; the pattern, but DKIM not enabled at Microsoft: the target has no key\n\
         selector1._domainkey IN CNAME selector1-off365-example._domainkey.contoso.onmicrosoft.com.\n\
         ; selector1 at another service: not Microsoft's pattern to follow\n\
         selector2._domainkey IN CNAME s2.dkim.vendor.example.\n"
            .into(),
    );
    w(
        "onmicrosoft.com.zone",
        format!(
            "$ORIGIN onmicrosoft.com.\n\
             selector1-good365-example._domainkey.contoso IN TXT \"{KEY}\"\n\
             selector2-good365-example._domainkey.contoso IN TXT \"{KEY}\"\n\
             selector1-bad365-example._domainkey.contoso IN TXT \"{KEY}\"\n"
        ),
    );
    w("vendor.example.zone", format!("$ORIGIN vendor.example.\ns2.dkim IN TXT \"{KEY}\"\n"));
    let world = World::start(dir.path()).await.unwrap();
    let cfg = DnsConfig { servers: vec![], timeout: Duration::from_millis(300), attempts: 1 };
    let r = Resolver::for_world(&world, &cfg).unwrap();
    (dir, world, r)
}

fn with_id<'a>(f: &'a [Finding], id: &str) -> Vec<&'a Finding> {
    f.iter().filter(|x| x.id == id).collect()
}

#[tokio::test]
async fn m365_cname_following_the_pattern_is_fine() {
    let (_d, _w, r) = world().await;
    let (_, f) = dkim::inspect_domain(&r, "good365.example", &[]).await;
    assert!(with_id(&f, "dkim.m365-cname").is_empty(), "{f:#?}");
    assert_eq!(with_id(&f, "dkim.key-ok").len(), 2, "{f:#?}");
    assert!(with_id(&f, "dkim.key-cname").iter().all(|x| x.title.contains("Microsoft 365")));
}

#[tokio::test]
async fn m365_cname_off_the_pattern_is_a_finding_even_when_it_resolves() {
    let (_d, _w, r) = world().await;
    let (_, f) = dkim::inspect_domain(&r, "bad365.example", &[]).await;
    let m = with_id(&f, "dkim.m365-cname");
    assert_eq!(m.len(), 2, "{f:#?}");
    let s1 = m.iter().find(|x| x.title.starts_with("selector1._domainkey.bad365.example")).unwrap();
    assert_eq!(s1.severity, Severity::Warning);
    assert!(s1.title.contains("selector1-bad365-example._domainkey.<tenant>.onmicrosoft.com"), "{}", s1.title);
    assert!(s1.evidence.iter().any(|e| e.contains("selector1-good365-example")), "{:?}", s1.evidence);
    let s2 = m.iter().find(|x| x.title.starts_with("selector2._domainkey.bad365.example")).unwrap();
    assert!(s2.title.contains("selector2-bad365-example"), "{}", s2.title);
    assert!(s1.fix.is_some());
    // A selector given explicitly (in use) makes it an error.
    let (_, f) = dkim::inspect_domain(&r, "bad365.example", &["selector1".to_string()]).await;
    assert_eq!(with_id(&f, "dkim.m365-cname")[0].severity, Severity::Error);
}

#[tokio::test]
async fn m365_pattern_with_a_dangling_target_and_other_services() {
    let (_d, _w, r) = world().await;
    let (_, f) = dkim::inspect_domain(&r, "off365.example", &[]).await;
    // The pattern is right; the target holds no key: DKIM not enabled at Microsoft.
    assert!(with_id(&f, "dkim.m365-cname").is_empty(), "{f:#?}");
    let d = with_id(&f, "dkim.key-cname-dangling");
    assert_eq!(d.len(), 1);
    assert!(d[0].title.contains("Microsoft 365") && d[0].fix.as_ref().is_some_and(|x| format!("{x:?}").contains("Defender")), "{:#?}", d[0]);
    // selector2 delegated to another service: no Microsoft pattern applies.
    assert!(with_id(&f, "dkim.key-cname").iter().any(|x| x.title.contains("s2.dkim.vendor.example")));
}

#[test]
fn pattern_matcher() {
    use dkim::selectors::m365_pattern_problem as p;
    assert_eq!(p("selector1", "shop.example", "selector1-shop-example._domainkey.contoso.onmicrosoft.com"), None);
    assert_eq!(p("selector2", "shop.example", "selector2-shop-example._domainkey.contoso.n-v1.dkim.mail.microsoft"), None);
    assert!(p("selector1", "shop.example", "selector2-shop-example._domainkey.contoso.onmicrosoft.com").is_some());
    assert!(p("selector1", "shop.example", "selector1-shop-example._domainkey.onmicrosoft.com").is_some(), "no tenant");
    assert!(p("selector1", "shop.example", "selector1-shop-example.contoso.onmicrosoft.com").is_some(), "no _domainkey");
    assert!(p("selector1", "mail.shop.example", "selector1-shop-example._domainkey.contoso.onmicrosoft.com").is_some());
}
