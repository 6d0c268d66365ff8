//! A deterministic stand-in for fuzzing in CI (the cargo-fuzz targets live in fuzz/):
//! real bounces truncated, bit-flipped and spliced, and random reply texts, must give a
//! result or a clear error, never a panic, and stay bounded.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[test]
fn mutated_bounces_never_panic() {
    let data = mailsleuth::conformance::require_data_dir("bounces/sisimai/maildir/bsd");
    let files = mailsleuth::bounce::input::folder_files(&data.join("bounces/sisimai/maildir/bsd")).unwrap();
    let mut rng = StdRng::seed_from_u64(6);
    let corpus: Vec<Vec<u8>> = files.iter().step_by(7).map(|p| std::fs::read(p).unwrap()).collect();
    for round in 0..400 {
        let mut m = corpus[round % corpus.len()].clone();
        match round % 4 {
            0 => m.truncate(rng.gen_range(0..=m.len())),
            1 => {
                for _ in 0..rng.gen_range(1..50) {
                    let i = rng.gen_range(0..m.len());
                    m[i] = rng.r#gen();
                }
            }
            2 => {
                let other = &corpus[rng.gen_range(0..corpus.len())];
                let cut = rng.gen_range(0..other.len());
                let at = rng.gen_range(0..m.len());
                m.splice(at..at, other[cut..].iter().copied());
            }
            _ => {
                let i = rng.gen_range(0..m.len());
                m.insert(i, b'\r');
            }
        }
        let _ = mailsleuth::bounce::parse_message(&m);
    }
}

#[test]
fn random_replies_and_dsn_bodies_never_panic() {
    let mut rng = StdRng::seed_from_u64(1);
    let alphabet: &[&str] = &["550", "5.7.1", "-", " ", "\n", "\r\n", "said:", "(in reply to RCPT TO command)", "Final-Recipient: rfc822; a@b", "Status: ", ";", "é", "\u{0}", "#", "'", "<", ">", "4.4.7", "\t", ":", "x"];
    for _ in 0..2000 {
        let n = rng.gen_range(0..40);
        let s: String = (0..n).map(|_| alphabet[rng.gen_range(0..alphabet.len())]).collect();
        let r = mailsleuth::reply::parse(&s);
        assert!(r.text.len() <= s.len());
        let _ = mailsleuth::reply::explain_reply(r);
        let d = mailsleuth::bounce::dsn::parse(&s);
        assert!(d.per_recipient.len() <= mailsleuth::bounce::dsn::MAX_GROUPS);
    }
    let long = format!("550 5.1.1 {}", "a: ".repeat(200_000));
    let d = mailsleuth::bounce::dsn::parse(&format!("Diagnostic-Code: smtp; x\n {long}\n {long}\n"));
    assert!(d.per_message.iter().all(|(_, v)| v.len() <= mailsleuth::bounce::dsn::MAX_FIELD));
}
