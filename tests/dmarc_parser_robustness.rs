//! Stable-toolchain stand-in for the cargo-fuzz targets (fuzz/): seeded random and
//! mutated inputs through the DMARC and DKIM-key record parsers; none may panic, and
//! the answers stay consistent.

use rand::{rngs::StdRng, Rng, SeedableRng};

const SEEDS: &[&str] = &[
    "v=DMARC1; p=reject; sp=quarantine; np=none; adkim=s; aspf=r; pct=50; rua=mailto:a@b.example!10m,mailto:c@d.example; ruf=mailto:f@e.example; fo=0:1:d:s; rf=afrf; ri=86400; psd=y; t=y",
    "v=DMARC1; p=none",
    "v=DKIM1; k=rsa; t=y:s; h=sha256; s=email; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB",
    "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
];

const ALPHABET: &[u8] = b"v=DMARC1;pnsqurejct!@:,. \t=kKmMgG0123456789+/=\"\\\x00\xff\xc3\xa9";

fn mutate(rng: &mut StdRng, seed: &str) -> String {
    let mut b = seed.as_bytes().to_vec();
    for _ in 0..rng.gen_range(1..8) {
        match rng.gen_range(0..4) {
            0 if !b.is_empty() => {
                let i = rng.gen_range(0..b.len());
                b.remove(i);
            }
            1 => {
                let i = rng.gen_range(0..=b.len());
                b.insert(i, ALPHABET[rng.gen_range(0..ALPHABET.len())]);
            }
            2 if !b.is_empty() => {
                let i = rng.gen_range(0..b.len());
                b[i] = rng.r#gen();
            }
            _ => {
                let i = rng.gen_range(0..=b.len());
                let j = rng.gen_range(i..=b.len());
                let chunk = b[i..j].to_vec();
                b.splice(i..i, chunk);
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

#[test]
fn parsers_never_panic_on_mutations() {
    let mut rng = StdRng::seed_from_u64(0x6d61696c);
    for round in 0..20_000 {
        let seed = SEEDS[round % SEEDS.len()];
        let input = mutate(&mut rng, seed);
        if let Ok(r) = mailsleuth::dmarc::parse::parse(&input) {
            // strict validity implies lenient validity
            if r.is_valid_strict() {
                assert!(!r.has_syntax_error(), "{input:?}");
                assert!(r.p.is_some());
            }
            assert!(r.pct.is_none_or(|p| p <= 100));
        }
        let k = mailsleuth::dkim::key::parse(&input);
        if k.revoked {
            assert!(!k.usable());
        }
        let _ = k.describe();
    }
}

#[test]
fn huge_and_degenerate_records_are_bounded() {
    let long = format!("v=DMARC1; p=none; rua={}", "mailto:a@b.example,".repeat(100_000));
    assert!(mailsleuth::dmarc::parse::parse(&long).is_err(), "over-long record refused");
    let many = format!("v=DMARC1; p=none; rua={}", "mailto:a@b.example,".repeat(300));
    let r = mailsleuth::dmarc::parse::parse(&many).unwrap();
    assert!(r.rua.len() <= mailsleuth::dmarc::parse::MAX_URIS);
    for s in ["", ";", "v=", "v=DMARC1", "v=DMARC1;;;;", "v=DMARC1; =", "v=DMARC1; p=", "v = DMARC1 ; p = reject"] {
        let _ = mailsleuth::dmarc::parse::parse(s);
        let _ = mailsleuth::dkim::key::parse(s);
    }
    let k = mailsleuth::dkim::key::parse(&format!("p={}", "A".repeat(40_000)));
    assert!(!k.usable());
    // DER length fields that point past the end
    let k = mailsleuth::dkim::key::parse("k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA");
    assert!(!k.usable());
}
