//! Benchmark: lint of a realistic deep SPF tree through an authoritative server that adds
//! 50 ms to every answer. The walk is breadth-first and concurrent, so its wall time
//! should stay within 1.3 × (tree depth × 50 ms), however many lookups the tree has.
//! Usage: mailsleuth-bench-spf [--runs N] [--delay-ms MS]. Exit 1 when a run is over the bound.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use mailsleuth::dns::{zonefile, DnsConfig, Resolver, World};

/// A sender domain that uses four services; their includes nest three levels deep, as
/// Google's and the big ESPs' do. 10 DNS-querying terms in all.
const ZONES: &[(&str, &str)] = &[
    ("shop.example", "@ IN TXT \"v=spf1 mx include:_spf.google.example include:sendgrid.example include:_spf.mailchimp.example ~all\"\n@ IN MX 10 mx\nmx IN A 192.0.2.25\n"),
    ("google.example", "_spf IN TXT \"v=spf1 include:_netblocks.google.example include:_netblocks2.google.example ~all\"\n\
        _netblocks IN TXT \"v=spf1 include:_nb4.google.example ip4:35.190.247.0/24 ip4:64.233.160.0/19 ~all\"\n\
        _nb4 IN TXT \"v=spf1 ip4:66.102.0.0/20 ip4:66.249.80.0/20 ip4:72.14.192.0/18 ~all\"\n\
        _netblocks2 IN TXT \"v=spf1 ip6:2001:4860:4000::/36 ip6:2404:6800:4000::/36 ~all\"\n"),
    ("sendgrid.example", "@ IN TXT \"v=spf1 include:u.sendgrid.example -all\"\n\
        u IN TXT \"v=spf1 ip4:167.89.0.0/17 ip4:208.117.48.0/20 a:mta.sendgrid.example -all\"\nmta IN A 198.51.100.20\n"),
    ("mailchimp.example", "_spf IN TXT \"v=spf1 include:spf1.mailchimp.example -all\"\n\
        spf1 IN TXT \"v=spf1 ip4:205.201.128.0/20 ip4:198.2.128.0/18 -all\"\n"),
];

fn main() -> ExitCode {
    let mut runs: u64 = 5;
    let mut delay_ms = 50u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next().and_then(|v| v.parse().ok())) {
            ("--runs", Some(n)) => runs = n,
            ("--delay-ms", Some(n)) => delay_ms = n,
            _ => {
                eprintln!("usage: mailsleuth-bench-spf [--runs N] [--delay-ms MS]");
                return ExitCode::from(2);
            }
        }
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::from(3);
        }
    };
    rt.block_on(bench(runs.clamp(1, 1000) as usize, delay_ms))
}

async fn bench(runs: usize, delay_ms: u64) -> ExitCode {
    let zones = ZONES
        .iter()
        .map(|(origin, body)| zonefile::parse_zone(&format!("$TTL 300\n{body}"), std::path::Path::new(&format!("{origin}.zone"))))
        .collect::<Result<Vec<_>, _>>();
    let world = match zones {
        Ok(z) => World::serve(z, "127.0.0.1:0".parse().expect("literal")).await,
        Err(e) => {
            eprintln!("bench zones do not load: {e}");
            return ExitCode::from(3);
        }
    };
    let world = match world {
        Ok(w) => w,
        Err(e) => {
            eprintln!("cannot start the DNS world: {e}");
            return ExitCode::from(3);
        }
    };
    world.set_delay(Duration::from_millis(delay_ms));
    let cfg = DnsConfig { servers: vec![], timeout: Duration::from_secs(2), attempts: 1 };
    let mut worst: f64 = 0.0;
    let mut times = Vec::new();
    let mut shape = (0, 0);
    for _ in 0..runs {
        // A fresh resolver each run: nothing cached.
        let resolver = match Resolver::for_world(&world, &cfg) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("resolver: {e}");
                return ExitCode::from(3);
            }
        };
        let t = Instant::now();
        let lint = mailsleuth::spf::lint(&resolver, "shop.example", None).await;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        shape = (lint.total_lookups, lint.depth);
        times.push(ms);
        worst = worst.max(ms);
    }
    let (lookups, depth) = shape;
    let bound = 1.3 * depth as f64 * delay_ms as f64;
    times.sort_by(|a, b| a.total_cmp(b));
    let median = times[times.len() / 2];
    println!("spf lint of shop.example: {lookups} DNS lookups, tree depth {depth}, {delay_ms} ms added per query, {runs} runs");
    println!("measured: median {median:.1} ms, worst {worst:.1} ms");
    println!("bound: 1.3 x {depth} x {delay_ms} ms = {bound:.1} ms");
    println!("ratio (worst / bound): {:.2}", worst / bound);
    if worst <= bound { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
