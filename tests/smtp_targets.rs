//! MX target resolution through the embedded DNS world: preference order, and the
//! addresses of every MX host resolved concurrently (checked with injected latency).

use std::time::{Duration, Instant};

use mailsleuth::dns::{DnsConfig, Resolver, World};
use mailsleuth::smtp::target::{mx_targets, Family};

const ZONE: &str = "$ORIGIN dest.example.\n$TTL 300\n\
@    IN MX 30 mx3\n@    IN MX 10 mx1\n@    IN MX 20 mx2\n@    IN MX 40 mx4\n\
mx1  IN A 192.0.2.1\nmx1  IN AAAA 2001:db8::1\nmx2  IN A 192.0.2.2\nmx3  IN A 192.0.2.3\nmx4  IN AAAA 2001:db8::4\n";

#[tokio::test]
async fn mx_hosts_resolve_concurrently_in_preference_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dest.example.zone");
    std::fs::write(&path, ZONE).unwrap();
    let world = World::start(&path).await.unwrap();
    let delay = Duration::from_millis(100);
    world.set_delay(delay);
    let resolver = Resolver::for_world(&world, &DnsConfig { timeout: Duration::from_secs(2), ..Default::default() }).unwrap();
    let t0 = Instant::now();
    let (targets, evidence) = mx_targets(&resolver, "dest.example", 25, Family::Any).await;
    let took = t0.elapsed();
    let addrs: Vec<String> = targets.unwrap().iter().map(|t| format!("{} {}", t.host, t.addr)).collect();
    assert_eq!(
        addrs,
        [
            "mx1.dest.example [2001:db8::1]:25",
            "mx1.dest.example 192.0.2.1:25",
            "mx2.dest.example 192.0.2.2:25",
            "mx3.dest.example 192.0.2.3:25",
            "mx4.dest.example [2001:db8::4]:25"
        ]
    );
    assert_eq!(evidence.len(), 9, "MX + A/AAAA of 4 hosts: {evidence:?}");
    // 9 queries at 100 ms each: one after another would take >= 900 ms; MX first, then the
    // 8 address queries at once: about 2 round trips.
    eprintln!("MX set with 9 queries at {delay:?} latency resolved in {took:?}");
    assert!(took < Duration::from_millis(600), "{took:?}");
}
