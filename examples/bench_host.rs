//! Benchmark: every host check for one IP (PTR/FCrDNS, HELO, all default blocklists,
//! domain lists, posture) against the embedded DNS world with a delay added to every
//! answer. Prints wall / (2 × RTT): the checks are concurrent, so the wall time should be
//! the PTR → A chain (two round trips), not the sum of the queries. Goal: ≤ 1.5.
//!
//! Run: scripts/bench-host [DELAY_MS] [ROUNDS]   (loopback only; no real DNS is asked)

use std::path::Path;
use std::time::{Duration, Instant};

use mailsleuth::dns::{DnsConfig, RType, Resolver, World};
use mailsleuth::host::{self, HostQuery};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let delay_ms: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(9);
    let zones = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/host"));
    let world = World::start(zones).await.expect("fixture zones load");
    world.set_delay(Duration::from_millis(delay_ms));
    let cfg = DnsConfig { servers: vec![], timeout: Duration::from_secs(2), attempts: 1 };

    // One round trip, measured the same way (fresh resolver, one query).
    let mut rtts = Vec::new();
    for i in 0..rounds {
        let r = Resolver::for_world(&world, &cfg).expect("resolver");
        let t = Instant::now();
        r.query(&format!("rtt{i}.shop.example"), RType::A).await;
        rtts.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let rtt = median(&mut rtts);
    println!("bench-host: {delay_ms} ms added per DNS answer; measured RTT {rtt:.1} ms (median of {rounds})");

    let cases: [(&str, &str, Option<&str>, Option<&str>); 4] = [
        ("clean IPv4, IP only", "198.51.100.25", None, None),
        ("clean IPv4, HELO + sender + posture", "198.51.100.25", Some("alias.shop.example"), Some("shop.example")),
        ("listed IPv4 (TXT reason fetched)", "198.51.100.66", Some("mail.shop.example"), Some("bad.example")),
        ("IPv6, IP only", "2001:db8::25", None, None),
    ];
    let mut worst: f64 = 0.0;
    for (label, ip, helo, sender) in cases {
        let mut walls = Vec::new();
        let mut queries = 0;
        for _ in 0..rounds {
            let resolver = Resolver::for_world(&world, &cfg).expect("resolver");
            let q = HostQuery {
                ip: Some(ip.parse().expect("ip")),
                helo: helo.map(str::to_string),
                sender_domain: sender.map(str::to_string),
                ..Default::default()
            };
            let t = Instant::now();
            let (report, posture) = tokio::join!(host::check(&resolver, &q), async {
                match sender {
                    Some(d) => host::posture::check(&resolver, d).await,
                    None => Vec::new(),
                }
            });
            walls.push(t.elapsed().as_secs_f64() * 1000.0);
            queries = resolver.log().len();
            assert!(!report.findings.is_empty() && (sender.is_none() || !posture.is_empty()));
        }
        let wall = median(&mut walls);
        let ratio = wall / (2.0 * rtt);
        worst = worst.max(ratio);
        println!(
            "  {label:<40} {ip:<15} {queries:>2} queries  wall {wall:7.1} ms  sequential would be ~{:7.1} ms  wall/(2×RTT) = {ratio:.2}",
            queries as f64 * rtt
        );
    }
    println!("worst wall/(2×RTT) = {worst:.2} (goal ≤ 1.5): {}", if worst <= 1.5 { "PASS" } else { "FAIL" });
    if worst > 1.5 {
        std::process::exit(1);
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[v.len() / 2]
}
