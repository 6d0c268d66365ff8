//! Prints one line per conformance suite: `SUITE: N passed, N failed`.
//! Usage: mailsleuth-conformance [DATA_DIR] [--only NAME] [--verbose]
//! Exit status: 0 all passed; 1 a test failed; 2 a dataset is missing or bad usage.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut data_dir: Option<PathBuf> = None;
    let mut only: Vec<String> = Vec::new();
    let mut verbose = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--verbose" | "-v" => verbose = true,
            "--scenarios" => match args.next() {
                // Read by the scenarios suite; also restricts the run to it.
                Some(d) => {
                    // SAFETY: single-threaded here, before any suite runs.
                    unsafe { std::env::set_var("MAILSLEUTH_SCENARIOS", &d) };
                    only.push("scenarios".into());
                }
                None => {
                    eprintln!("--scenarios needs a folder");
                    return ExitCode::from(2);
                }
            },
            "--only" => match args.next() {
                Some(n) => only.push(n),
                None => {
                    eprintln!("--only needs a suite name");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!("usage: conformance [DATA_DIR] [--only NAME]... [--scenarios DIR] [--verbose]");
                return ExitCode::SUCCESS;
            }
            other if data_dir.is_none() && !other.starts_with('-') => data_dir = Some(PathBuf::from(other)),
            other => {
                eprintln!("unexpected argument: {other}");
                return ExitCode::from(2);
            }
        }
    }
    let data_dir = data_dir.unwrap_or_else(|| PathBuf::from("../shared/data"));
    // The scenario suite brings its own worlds: only the other suites need the data folder.
    let scenarios_only = !only.is_empty() && only.iter().all(|o| o == "scenarios");
    if !data_dir.is_dir() && !scenarios_only {
        eprintln!("conformance: data folder {} not found", data_dir.display());
        return ExitCode::from(2);
    }
    let mut missing = false;
    let mut failed = false;
    for (name, runner) in mailsleuth::conformance::suites() {
        if !only.is_empty() && !only.iter().any(|o| name.split('/').any(|n| n == o) || name == o) {
            continue;
        }
        match runner(&data_dir) {
            Ok(results) => {
                for r in results {
                    println!("{}: {} passed, {} failed", r.name, r.passed, r.failed);
                    for line in &r.summary {
                        println!("{line}");
                    }
                    // Percentage suites fail the run only below their goal (docs/conformance.md).
                    let ok = mailsleuth::conformance::meets_goal(&r);
                    if !ok && r.failed > 0 && mailsleuth::conformance::GOALS.iter().any(|(n, _)| *n == r.name) {
                        eprintln!("  {}: below its goal", r.name);
                    }
                    failed |= !ok;
                    if verbose || r.failed > 0 {
                        for n in r.notes.iter().take(if verbose { usize::MAX } else { 20 }) {
                            eprintln!("  {}: {n}", r.name);
                        }
                    }
                }
            }
            Err(e) => {
                println!("{name}: dataset missing: {e}");
                missing = true;
            }
        }
    }
    if missing {
        ExitCode::from(2)
    } else if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
