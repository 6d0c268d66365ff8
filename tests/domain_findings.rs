//! Every sender-domain finding, from zone fixtures served by the embedded DNS server.

use std::path::Path;
use std::time::Duration;

use mailsleuth::dns::{DnsConfig, Resolver, World};
use mailsleuth::finding::Severity;

#[tokio::test]
async fn each_domain_finding() {
    let world = World::start(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dns/domains.example.zone"))).await.unwrap();
    let cfg = DnsConfig { servers: vec![], timeout: Duration::from_millis(500), attempts: 1 };
    let r = Resolver::for_world(&world, &cfg).unwrap();
    let table: &[(&str, &[(&str, Severity)])] = &[
        ("implicit.domains.example", &[("domain.implicit-mx", Severity::Info)]),
        ("cname.domains.example", &[("domain.mx-cname", Severity::Warning), ("domain.ok", Severity::Ok)]),
        ("literal.domains.example", &[("domain.mx-ip-literal", Severity::Warning), ("domain.mx-unresolvable", Severity::Error)]),
        ("partly.domains.example", &[("domain.mx-partly-unresolvable", Severity::Warning)]),
        ("allgone.domains.example", &[("domain.mx-unresolvable", Severity::Error)]),
        ("nullmx.domains.example", &[("domain.null-mx", Severity::Error)]),
        ("nohost.domains.example", &[("domain.no-mail-host", Severity::Error)]),
        ("missing.domains.example", &[("domain.nxdomain", Severity::Error)]),
        ("good.domains.example", &[("domain.ok", Severity::Ok)]),
    ];
    for (domain, expected) in table {
        let got: Vec<(String, Severity)> =
            mailsleuth::domain::check_domain(&r, domain).await.into_iter().map(|f| (f.id, f.severity)).collect();
        let expected: Vec<(String, Severity)> = expected.iter().map(|(i, s)| (i.to_string(), *s)).collect();
        assert_eq!(got, expected, "{domain}");
    }
    // The null MX fix is the exact record to publish.
    let f = mailsleuth::domain::check_domain(&r, "nullmx.domains.example").await.remove(0);
    match f.fix {
        Some(mailsleuth::finding::Fix::DnsRecord { name, rtype, value, .. }) => {
            assert_eq!((name.as_str(), rtype.as_str(), value.as_str()), ("nullmx.domains.example", "MX", "10 mx.nullmx.domains.example."));
        }
        other => panic!("{other:?}"),
    }
}
