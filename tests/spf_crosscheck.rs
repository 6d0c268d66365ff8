//! Differential test: our check_host() against mail-auth's, both asking the same embedded
//! authoritative server (one `World` per scenario, its zone built from the suite's data),
//! over the rfc7208 suite scenarios and over generated records.
//!
//! Every disagreement must be listed in `DOCUMENTED` (with the reason; see
//! docs/spf-conformance.md), and in each our verdict must be the suite's expectation.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use mail_auth::hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use mail_auth::spf::verify::SpfParameters;
use mail_auth::MessageAuthenticator;
use mailsleuth::dns::{zonefile, DnsConfig, Fault, Resolver, World};
use mailsleuth::spf::{check_host, Query, SpfResult};
use rand::{Rng, SeedableRng};
use serde_json::Value;

/// rfc7208 tests where mail-auth 0.13 and RFC 7208 (and we) differ, and why.
/// Ours is the suite's (RFC 7208's) answer in every one.
const DOCUMENTED: &[(&str, &str)] = &[
    // mail-auth accepts invalid CIDR lengths (§5.6 grammar: permerror)
    ("a-bad-cidr4", "invalid ip4-cidr-length accepted"),
    ("a-bad-cidr6", "invalid ip6-cidr-length accepted"),
    ("a-dual-cidr-ip4-err", "invalid dual-cidr accepted"),
    ("cidr4-032", "prefix with a leading zero (/032) accepted"),
    ("cidr4-33", "ip4 /33 accepted"),
    ("cidr6-129", "ip6 /129 accepted"),
    ("mx-bad-cidr4", "invalid ip4-cidr-length accepted"),
    ("mx-bad-cidr6", "invalid ip6-cidr-length accepted"),
    // mail-auth does not check domain-spec syntax (§7.1 domain-end: permerror); it asks
    // DNS for the name (temperror when the name cannot be sent) or finds nothing
    ("a-bad-domain", "domain-spec syntax not checked"),
    ("a-bad-toplabel", "domain-spec syntax not checked"),
    ("a-null", "a NUL in a domain-spec not rejected"),
    ("a-numeric", "numeric top label accepted"),
    ("a-numeric-toplabel", "numeric top label accepted"),
    ("a-only-toplabel", "single-label domain-spec accepted"),
    ("a-only-toplabel-trailing-dot", "single-label domain-spec accepted"),
    ("invalid-domain", "domain-spec syntax not checked"),
    ("mx-bad-domain", "domain-spec syntax not checked"),
    ("mx-bad-toplab", "domain-spec syntax not checked"),
    ("mx-null", "a NUL in a domain-spec not rejected"),
    ("mx-numeric-top-label", "numeric top label accepted"),
    // names that cannot be sent to DNS: mail-auth reports temperror (suite: fail or permerror)
    ("invalid-domain-empty-label", "invalid name becomes temperror"),
    ("invalid-domain-long", "label over 63 octets becomes temperror"),
    ("invalid-domain-long-via-macro", "label over 63 octets from a macro becomes temperror"),
    // a HELO macro that puts a space, an apostrophe or brackets into a name: mail-auth
    // cannot send it (temperror); it is asked (RFC 2181 §11), NXDOMAIN, no match
    ("hello-domain-literal", "a name with '[' ']' from %{h} becomes temperror"),
    ("invalid-hello-macro", "a name with a space and an apostrophe from %{h} becomes temperror"),
    // unparseable terms are dropped instead of permerror (§4.6)
    ("empty-modifier-name", "unparseable term dropped"),
    ("invalid-modifier", "unparseable term dropped"),
    ("exp-syntax-error", "bad exp= dropped"),
    ("redirect-syntax-error", "bad redirect= dropped"),
    // valid unknown modifier names with . _ - rejected (§12 allows them)
    ("modifier-charset-good", "valid modifier name rejected"),
    ("redirect-after-mechanisms2", "the redirect target's valid modifier `moo.cow-far_out=` rejected"),
    // IPv4 client matched against ip6 / AAAA data (§5.6: no match)
    ("cidr6-0-ip4", "IPv4 client matched against ip6 ::/0"),
    ("cidr6-ip4", "IPv4 client matched against an ip6 network"),
    ("a-cidr6-0-ip4mapped", "IPv4-mapped client matched against AAAA //0"),
    ("mx-cidr6-0-ip4mapped", "IPv4-mapped client matched against MX AAAA //0"),
    // exists asks AAAA for an IPv6 client (§5.7: always A)
    ("exists-ip6only", "exists asks AAAA"),
    // §4.3: an invalid initial domain is "none", not permerror
    ("domain-literal", "domain literal gives permerror"),
    ("helo-domain-literal", "HELO domain literal gives permerror"),
    ("emptylabel", "empty label gives permerror"),
    // §4.5: several SPF records are permerror; mail-auth uses the first
    ("multitxt1", "first of several records used"),
    ("multitxt2", "first of several records used"),
    // §5.5 ptr: a validated name equal to the target domain matches
    ("ptr-match-implicit", "validated name equal to the domain does not match"),
    ("ptr-match-ip6", "same for an IPv6 client"),
    // %{p} with several PTR names: mail-auth gives temperror (suite: pass or softfail)
    ("p-macro-multiple", "p macro with several PTR names"),
    // §4.6.4 void-lookup limit absent
    ("void-over-limit", "no void-lookup limit"),
];

/// Zone-file text for TXT data: 255-octet strings, quoted as the DNS layer prints them.
fn quote(bytes: &[u8]) -> String {
    mailsleuth::dns::Rec::Txt(bytes.chunks(255).map(<[u8]>::to_vec).collect()).to_string()
}

fn owner(name: &str) -> String {
    let mut s = String::new();
    for b in name.trim_end_matches('.').bytes() {
        match b {
            b' ' => s.push_str("\\032"),
            b'(' | b')' | b';' | b'"' | b'\\' | b'@' | b'$' => {
                s.push('\\');
                s.push(b as char)
            }
            _ => s.push(b as char),
        }
    }
    s.push('.');
    s
}

/// Zone text (origin ".") for a scenario, and the names that time out.
fn zone_text(zonedata: &Value) -> (String, Vec<String>) {
    let mut text = String::from("$TTL 300\n");
    let mut timeouts = Vec::new();
    for (name, entries) in zonedata.as_object().unwrap() {
        let entries = entries.as_array().unwrap();
        let has_txt = entries.iter().any(|e| e.get("TXT").is_some());
        let o = owner(name);
        for e in entries {
            if e.as_str() == Some("TIMEOUT") {
                timeouts.push(name.to_ascii_lowercase());
                continue;
            }
            for (ty, v) in e.as_object().unwrap() {
                if v.as_str() == Some("NONE") {
                    continue;
                }
                let strings = |v: &Value| -> String {
                    match v {
                        Value::Array(a) => a.iter().map(|x| quote(x.as_str().unwrap().as_bytes())).collect::<Vec<_>>().join(" "),
                        _ => quote(v.as_str().unwrap().as_bytes()),
                    }
                };
                let line = match ty.as_str() {
                    "A" | "AAAA" => format!("{o} IN {ty} {}", v.as_str().unwrap()),
                    "MX" => format!("{o} IN MX {} {}", v[0], owner(v[1].as_str().unwrap())),
                    "PTR" | "CNAME" => format!("{o} IN {ty} {}", owner(v.as_str().unwrap())),
                    "TXT" => format!("{o} IN TXT {}", strings(v)),
                    "SPF" if !has_txt => format!("{o} IN TXT {}", strings(v)),
                    _ => continue,
                };
                text.push_str(&line);
                text.push('\n');
            }
        }
        if entries.iter().all(|e| e.as_str() == Some("TIMEOUT") || e.as_object().is_some_and(|o| o.values().all(|v| v.as_str() == Some("NONE")))) {
            // The name exists with no data: give it a record of a type nobody asks for.
            text.push_str(&format!("{o} IN NS ns.invalid.\n"));
        }
    }
    (text, timeouts)
}

fn authenticator(addr: SocketAddr) -> MessageAuthenticator {
    let mut config = ResolverConfig::from_name_servers(Vec::new());
    let mut udp = ConnectionConfig::udp();
    udp.port = addr.port();
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = addr.port();
    let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
    ns.connections = vec![udp, tcp];
    ns.trust_negative_responses = true;
    config.add_name_server(ns);
    let mut opts = ResolverOpts::default();
    opts.timeout = Duration::from_millis(300);
    opts.attempts = 1;
    opts.ndots = 0;
    opts.cache_size = 0;
    MessageAuthenticator::new(config, opts).expect("mail-auth resolver")
}

fn theirs_str(r: mail_auth::SpfResult) -> &'static str {
    use mail_auth::SpfResult as M;
    match r {
        M::Pass => "pass",
        M::Fail => "fail",
        M::SoftFail => "softfail",
        M::Neutral => "neutral",
        M::TempError => "temperror",
        M::PermError => "permerror",
        M::None => "none",
    }
}

struct Both {
    ours: SpfResult,
    theirs: &'static str,
    /// Our permerror came from the void-lookup limit, which mail-auth does not have.
    void_limit: bool,
}

async fn both(world: &World, ip: IpAddr, mailfrom: &str, helo: &str) -> Both {
    let cfg = DnsConfig { servers: vec![], timeout: Duration::from_millis(300), attempts: 1 };
    let r = Resolver::for_world(world, &cfg).unwrap();
    let ev = check_host(&r, &Query::mail_from(ip, mailfrom, helo)).await;
    let (ours, void_limit) = (ev.result, ev.trace_mentions("void lookup number"));
    let auth = authenticator(world.addr());
    let out = if mailfrom.is_empty() {
        auth.verify_spf(SpfParameters::verify_ehlo(ip, helo, "receiver.example")).await
    } else {
        auth.verify_spf(SpfParameters::verify_mail_from(ip, helo, "receiver.example", mailfrom)).await
    };
    Both { ours, theirs: theirs_str(out.result()), void_limit }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suite_scenarios_agree_with_mail_auth_or_are_documented() {
    let data = mailsleuth::conformance::require_data_dir("spf/rfc7208-tests.yml");
    // The suite the runner uses (the .yml, one YAML document per scenario).
    let path = mailsleuth::spf::conformance::suite_path(&data, "rfc7208-tests").unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let docs: Vec<Value> = serde_yaml::Deserializer::from_str(&text).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect();
    let (mut agree, mut skipped) = (0, 0);
    let mut disagreements: BTreeMap<String, String> = BTreeMap::new();
    for s in &docs {
        let (text, timeouts) = zone_text(&s["zonedata"]);
        // Owner names the zone-file syntax cannot carry (e.g. `%` or `\0` in a label) are
        // left out; tests of such a scenario are compared but not held to the suite.
        let root = std::path::Path::new("root.zone");
        let (mut kept, mut dropped) = (String::new(), 0);
        for line in text.lines() {
            if zonefile::parse_zone(&format!("$TTL 300\n{line}\n"), root).is_ok() {
                kept.push_str(line);
                kept.push('\n');
            } else {
                dropped += 1;
            }
        }
        let altered = dropped > 0;
        if altered {
            eprintln!("scenario {:?}: {dropped} record(s) not expressible in a zone file", s["description"]);
        }
        let zone = zonefile::parse_zone(&kept, root).expect("filtered zone loads");
        let world = World::serve(vec![zone], "127.0.0.1:0".parse().unwrap()).await.expect("world");
        for t in &timeouts {
            world.inject(t, None, Fault::NoAnswer);
        }
        for (id, t) in s["tests"].as_object().unwrap() {
            let ip: IpAddr = t["host"].as_str().unwrap().parse().unwrap();
            let b = both(&world, ip, t["mailfrom"].as_str().unwrap(), t["helo"].as_str().unwrap()).await;
            let expected: Vec<&str> = match &t["result"] {
                Value::String(r) => vec![r.as_str()],
                Value::Array(a) => a.iter().map(|x| x.as_str().unwrap()).collect(),
                _ => unreachable!(),
            };
            if b.ours.as_str() == b.theirs || (expected.contains(&b.ours.as_str()) && expected.contains(&b.theirs)) {
                agree += 1;
            } else if altered && !expected.contains(&b.ours.as_str()) {
                skipped += 1;
                eprintln!("  not comparable (zone altered): {id}: ours {}, mail-auth {}", b.ours, b.theirs);
            } else {
                assert!(expected.contains(&b.ours.as_str()), "{id}: over the embedded server we give {} but the suite expects {expected:?}", b.ours);
                disagreements.insert(id.clone(), format!("ours {} (suite {expected:?}), mail-auth {}", b.ours, b.theirs));
            }
        }
    }
    eprintln!("mail-auth cross-check: {agree} agree, {} differ, {skipped} skipped", disagreements.len());
    for (id, d) in &disagreements {
        eprintln!("  {id}: {d}");
    }
    let undocumented: Vec<&String> = disagreements.keys().filter(|id| !DOCUMENTED.iter().any(|(d, _)| d == id)).collect();
    assert!(undocumented.is_empty(), "undocumented disagreements with mail-auth: {undocumented:?}");
    assert!(agree > 150, "too few comparable tests: {agree}");
}

/// Random records over a generated zone (valid syntax). The two implementations must agree
/// on every one, except where our permerror comes from the void-lookup limit (§4.6.4),
/// which mail-auth does not implement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_records_agree_with_mail_auth() {
    let pool = [
        "a", "a/24", "a:h1.gen.example", "a:h2.gen.example/16", "mx", "mx/24", "mx:m.gen.example", "ip4:192.0.2.0/24",
        "ip4:198.51.100.7", "ip6:2001:db8::/32", "-ip4:192.0.2.128/25", "~a:h2.gen.example", "?mx", "include:i1.gen.example",
        "include:i2.gen.example", "-include:i1.gen.example", "exists:%{i}.x.gen.example", "exists:%{l}.u.gen.example",
        "ptr", "ptr:gen.example", "a:%{d}",
    ];
    let tails = ["-all", "~all", "?all", "", "redirect=i1.gen.example", "redirect=i2.gen.example"];
    let mut rng = rand::rngs::StdRng::seed_from_u64(7208);
    let mut zone = String::from(
        "$ORIGIN gen.example.\n$TTL 300\n@ IN A 192.0.2.10\n@ IN MX 10 m\nm IN A 198.51.100.7\nm IN AAAA 2001:db8::7\n\
         h1 IN A 203.0.113.5\nh1 IN AAAA 2001:db8::5\nh2 IN A 203.0.113.200\nh2 IN AAAA 2001:db8::200\ni1 IN TXT \"v=spf1 ip4:203.0.113.0/25 -all\"\n\
         i2 IN TXT \"v=spf1 a:h1.gen.example ip6:2001:db8:1::/48 ~all\"\n\
         5.113.0.203.x IN A 127.0.0.2\nalice.u IN A 127.0.0.2\n",
    );
    let mut records = Vec::new();
    for n in 0..120 {
        let k = rng.gen_range(1..6);
        let mut terms: Vec<&str> = (0..k).map(|_| pool[rng.gen_range(0..pool.len())]).collect();
        terms.dedup();
        let tail = tails[rng.gen_range(0..tails.len())];
        let rec = format!("v=spf1 {} {tail}", terms.join(" ")).trim_end().to_string();
        zone.push_str(&format!("r{n} IN TXT {}\nr{n} IN A 192.0.2.99\nr{n} IN AAAA 2001:db8::99\n", quote(rec.as_bytes())));
        records.push(rec);
    }
    let reverse = "$ORIGIN 113.0.203.in-addr.arpa.\n$TTL 300\n5 IN PTR h1.gen.example.\n";
    let z1 = zonefile::parse_zone(&zone, std::path::Path::new("gen.example.zone")).unwrap();
    let z2 = zonefile::parse_zone(reverse, std::path::Path::new("113.0.203.in-addr.arpa.zone")).unwrap();
    let world = World::serve(vec![z1, z2], "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let ips: [IpAddr; 5] = ["203.0.113.5".parse().unwrap(), "198.51.100.7".parse().unwrap(), "192.0.2.200".parse().unwrap(), "2001:db8::7".parse().unwrap(), "203.0.113.200".parse().unwrap()];
    let mut differ = Vec::new();
    let (mut count, mut void_only) = (0, 0);
    for (n, rec) in records.iter().enumerate() {
        for ip in ips {
            let b = both(&world, ip, &format!("alice@r{n}.gen.example"), "helo.gen.example").await;
            count += 1;
            if b.ours == SpfResult::PermError && b.void_limit && b.theirs != "permerror" {
                void_only += 1;
            } else if b.ours.as_str() != b.theirs {
                differ.push(format!("r{n} `{rec}` ip {ip}: ours {}, mail-auth {}", b.ours, b.theirs));
            }
        }
    }
    eprintln!("generated: {count} evaluations, {} differ, {void_only} differ only by the void-lookup limit", differ.len());
    assert!(count - void_only > 400, "too few comparable evaluations");
    for d in &differ {
        eprintln!("  {d}");
    }
    assert!(differ.is_empty(), "{} disagreements with mail-auth on generated records", differ.len());
}
