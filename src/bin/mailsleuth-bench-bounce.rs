//! Bounce parser benchmark: parse the whole corpus (default: the shared sisimai bsd
//! maildir) repeatedly in memory, single-threaded, then on every core; print messages/s
//! and MB/s. No network, no disk I/O inside the timed loop.
//! Usage: mailsleuth-bench-bounce [DIR] [--seconds N]

use std::path::PathBuf;
use std::time::{Duration, Instant};

fn main() {
    let mut dir: Option<PathBuf> = None;
    let mut seconds = 3.0f64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seconds" => seconds = args.next().and_then(|s| s.parse().ok()).unwrap_or(seconds).clamp(0.1, 600.0),
            "-h" | "--help" => {
                println!("usage: mailsleuth-bench-bounce [DIR] [--seconds N]");
                return;
            }
            other => dir = Some(PathBuf::from(other)),
        }
    }
    let dir = dir.unwrap_or_else(|| mailsleuth::conformance::default_data_dir().join("bounces/sisimai/maildir/bsd"));
    let files = match mailsleuth::bounce::input::folder_files(&dir) {
        Ok(f) if !f.is_empty() => f,
        Ok(_) => {
            eprintln!("bench-bounce: no messages in {}", dir.display());
            std::process::exit(2);
        }
        Err(e) => {
            eprintln!("bench-bounce: {e}");
            std::process::exit(2);
        }
    };
    let corpus: Vec<Vec<u8>> = files.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    let bytes: usize = corpus.iter().map(Vec::len).sum();
    // Warm up: compile every pattern, touch every message once.
    mailsleuth::reply::vendor::warm_up();
    let mut bounces = 0;
    let mut failures = 0;
    for m in &corpus {
        if let Ok(b) = mailsleuth::bounce::parse_message(m) {
            bounces += 1;
            failures += b.failures.len();
        }
    }
    println!("corpus: {} messages, {:.2} MB, {} bounces, {} failed recipients ({})", corpus.len(), bytes as f64 / 1e6, bounces, failures, dir.display());

    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut rounds = 0usize;
    while start.elapsed() < budget {
        for m in &corpus {
            std::hint::black_box(mailsleuth::bounce::parse_message(std::hint::black_box(m)).ok());
        }
        rounds += 1;
    }
    let t = start.elapsed().as_secs_f64();
    let msgs = (rounds * corpus.len()) as f64;
    println!("single-threaded: {:.0} messages/s, {:.1} MB/s ({} rounds in {:.2} s)", msgs / t, (rounds * bytes) as f64 / 1e6 / t, rounds, t);

    let jobs = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let inputs: Vec<(String, Vec<u8>)> = (0..rounds.max(1)).flat_map(|_| corpus.iter().map(|m| (String::new(), m.clone()))).collect();
    let n = inputs.len();
    let start = Instant::now();
    let items = mailsleuth::bounce::cli::parse_many(inputs, jobs);
    let t = start.elapsed().as_secs_f64();
    assert_eq!(items.len(), n);
    println!("{jobs} threads (bulk mode): {:.0} messages/s, {:.1} MB/s", n as f64 / t, (n / corpus.len() * bytes) as f64 / 1e6 / t);
}
