//! `mailsleuth bounce FILE|DIR|-`: read bounce messages (one file, a maildir or folder,
//! an mbox, standard input, or ESP event JSON) and explain each failed recipient.
//! Folders and mboxes are read on every core, with progress on stderr.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use serde::Serialize;

use super::events::{self, Event};
use super::input;
use super::parse::{parse_message, Bounce};
use crate::cli::{exit, Env};
use crate::render::text::Style;

#[derive(Debug, clap::Args)]
pub struct BounceArgs {
    /// A message file, a maildir or folder of messages, an mbox, an ESP event JSON file, or `-` for stdin.
    #[arg(value_name = "FILE|DIR|-")]
    pub path: PathBuf,
    /// Also list inputs that are not bounces.
    #[arg(long)]
    pub all: bool,
    /// Threads for folders and mboxes (default: every core).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

/// The result for one input message.
#[derive(Debug, Serialize)]
pub struct Item {
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bounce: Option<Bounce>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    /// Why there is no bounce ("not a bounce", "empty input", ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    schema_version: u32,
    command: &'static str,
    items: &'a [Item],
    summary: Summary,
}

#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Summary {
    pub messages: usize,
    pub bounces: usize,
    pub not_bounces: usize,
    pub failures: usize,
    pub sender_side: usize,
}

pub(super) fn one(source: String, raw: &[u8]) -> Item {
    if events::looks_like_json(raw) {
        return match events::parse(raw) {
            Ok(ev) => Item { source, bounce: None, events: ev, error: None },
            Err(e) => Item { source, bounce: None, events: Vec::new(), error: Some(e) },
        };
    }
    match parse_message(raw) {
        Ok(b) => Item { source, bounce: Some(b), events: Vec::new(), error: None },
        Err(e) => Item { source, bounce: None, events: Vec::new(), error: Some(e.to_string()) },
    }
}

/// Parse many inputs already in memory on `jobs` threads, in order (the benchmark's bulk mode).
pub fn parse_many(inputs: Vec<(String, Vec<u8>)>, jobs: usize) -> Vec<Item> {
    let mut out = Vec::with_capacity(inputs.len());
    super::bulk::run_pool(inputs.into_iter().map(|(s, raw)| (s, Ok(raw))), jobs, |it| out.push(it));
    out
}

/// Expand a path into (source name, bytes) inputs, all in memory (tests and tools; the
/// CLI streams with `bulk`).
pub fn gather(path: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let progress = super::bulk::Progress::default();
    super::bulk::read_lazily(super::bulk::files_of(path)?, &progress).map(|(s, raw)| raw.map(|r| (s, r))).collect()
}

impl Summary {
    fn add(&mut self, it: &Item) {
        self.messages += 1;
        if let Some(b) = &it.bounce {
            self.bounces += 1;
            self.failures += b.failures.len();
            self.sender_side += b.failures.iter().filter(|f| f.sender_side()).count();
        } else if !it.events.is_empty() {
            self.bounces += 1;
            self.failures += it.events.len();
            self.sender_side += it.events.iter().filter(|e| e.explanation.as_ref().is_some_and(|x| x.sender_side)).count();
        } else {
            self.not_bounces += 1;
        }
    }
}

pub fn summarise(items: &[Item]) -> Summary {
    let mut s = Summary::default();
    items.iter().for_each(|it| s.add(it));
    s
}

pub async fn run(args: BounceArgs, env: &Env) -> ExitCode {
    let files = match super::bulk::files_of(&args.path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("mailsleuth bounce: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    // A single file that cannot be read is a usage error; in a folder it is one item.
    if files.len() == 1 && !args.path.is_dir() {
        if let Err(e) = probe_readable(&files[0]) {
            eprintln!("mailsleuth bounce: {e}");
            return ExitCode::from(exit::USAGE);
        }
    }
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let progress = super::bulk::Progress::default();
    // Progress on stderr when it is a terminal, unless the results themselves scroll by
    // on the same terminal (text output to a terminal is its own progress).
    let tty = std::io::stderr().is_terminal() && (env.global.json || !std::io::stdout().is_terminal());
    let style = Style { color: env.color };
    let mut summary = Summary::default();
    let mut items = Vec::new();
    // Text: each item is printed as soon as it is ready, in input order. The first is held
    // until a second arrives: a lone input is always shown, even when it is not a bounce.
    let mut held: Option<Item> = None;
    let mut out = std::io::stdout().lock();
    let mut print = |it: &Item, all: bool| {
        use std::io::Write;
        let _ = out.write_all(render_item(it, style, all).as_bytes());
        let _ = out.flush();
    };
    let mut shown_progress = false;
    tokio::task::block_in_place(|| {
        super::bulk::run_pool(super::bulk::read_lazily(files, &progress), jobs, |it| {
            summary.add(&it);
            if tty && summary.messages % 100 == 0 {
                let (read, total) = (progress.files_read.load(Ordering::Relaxed), progress.files_total.load(Ordering::Relaxed));
                eprint!("\rbounce: {} messages parsed, {read}/{total} files read", summary.messages);
                shown_progress = true;
            }
            if env.global.json {
                items.push(it);
            } else if let Some(first) = held.take() {
                print(&first, args.all);
                print(&it, args.all);
            } else if summary.messages == 1 {
                held = Some(it);
            } else {
                print(&it, args.all);
            }
        })
    });
    if shown_progress {
        eprintln!("\rbounce: {} messages parsed, {} files read", summary.messages, progress.files_read.load(Ordering::Relaxed));
    }
    if let Some(only) = held {
        print(&only, true);
    }
    if env.global.json {
        crate::render::json::print(&JsonDoc { schema_version: crate::render::json::SCHEMA_VERSION, command: "bounce", items: &items, summary });
    } else if summary.messages > 1 {
        eprintln!(
            "bounce: {} messages, {} bounces, {} not bounces, {} failed recipients ({} sender-side)",
            summary.messages, summary.bounces, summary.not_bounces, summary.failures, summary.sender_side
        );
    }
    if summary.bounces == 0 && summary.messages == 1 {
        return ExitCode::from(exit::USAGE);
    }
    ExitCode::from(if summary.sender_side > 0 { exit::PROBLEM } else { exit::OK })
}

/// Open a lone input early, so that a missing file is a usage error with its message.
fn probe_readable(path: &Path) -> Result<(), String> {
    if path.as_os_str() == "-" {
        return Ok(());
    }
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > input::MAX_INPUT {
        return Err(format!("{}: larger than {} bytes", path.display(), input::MAX_INPUT));
    }
    std::fs::File::open(path).map(|_| ()).map_err(|e| format!("{}: {e}", path.display()))
}

/// Text rendering of one input.
pub fn render_item(it: &Item, s: Style, all: bool) -> String {
    let mut out = String::new();
    if let Some(b) = &it.bounce {
        out.push_str(&format!("{} {}\n", s.bold(&it.source), s.dim(&format!("({})", b.format))));
        let mut facts = Vec::new();
        if let Some(x) = &b.sender {
            facts.push(format!("sender {x}"));
        }
        if let Some(x) = &b.from_header {
            facts.push(format!("from {x}"));
        }
        if let Some(x) = &b.reporting_mta {
            facts.push(format!("reported by {x}"));
        }
        if !b.dkim.is_empty() {
            facts.push(format!("dkim {}", b.dkim.iter().map(|(d, sel)| format!("{sel}._domainkey.{d}")).collect::<Vec<_>>().join(" ")));
        }
        if !facts.is_empty() {
            out.push_str(&format!("  {}\n", s.dim(&facts.join(" · "))));
        }
        for f in &b.failures {
            let codes = [f.status.map(|c| c.to_string()), f.reply_code.map(|c| c.to_string())].into_iter().flatten().collect::<Vec<_>>().join(" ");
            let x = &f.explanation;
            let cause = if x.sender_side { s.red(x.cause.as_str()) } else { s.dim(x.cause.as_str()) };
            out.push_str(&format!("  {} {} {} {}\n", f.recipient, s.bold(&codes), cause, s.dim(f.action.as_deref().unwrap_or(""))));
            let mut where_ = Vec::new();
            if let Some(h) = &f.remote_host {
                where_.push(format!("host {h}"));
            }
            if let Some(c) = &f.command {
                where_.push(format!("at {c}"));
            }
            if let Some(v) = x.vendor {
                where_.push(v.to_string());
            }
            if !where_.is_empty() {
                out.push_str(&format!("    {}\n", s.dim(&where_.join(" · "))));
            }
            if let Some(d) = &f.diagnostic {
                out.push_str(&format!("    {}\n", crate::reply::parse::bounded(d, 300)));
            }
            if x.sender_side {
                out.push_str(&format!("    {}\n", x.cause_summary));
                if let Some(c) = next_command(&it.source, x.next_commands.first()) {
                    out.push_str(&format!("    next: {}\n", s.cyan(&c)));
                }
            }
        }
    } else if !it.events.is_empty() {
        for e in &it.events {
            let codes = [e.status.map(|c| c.to_string()), e.reply_code.map(|c| c.to_string())].into_iter().flatten().collect::<Vec<_>>().join(" ");
            out.push_str(&format!("{} {}\n", s.bold(&it.source), s.dim(&format!("(event: {})", e.provider))));
            let cause = e.explanation.as_ref().map(|x| if x.sender_side { s.red(x.cause.as_str()) } else { s.dim(x.cause.as_str()) }).unwrap_or_default();
            out.push_str(&format!("  {} {} {} {}\n", e.recipient, s.bold(&codes), cause, s.dim(e.bounce_kind.as_deref().unwrap_or(""))));
            if let Some(d) = &e.diagnostic {
                out.push_str(&format!("    {}\n", crate::reply::parse::bounded(d, 300)));
            }
            if let Some(x) = e.explanation.as_ref().filter(|x| x.sender_side) {
                out.push_str(&format!("    {}\n", x.cause_summary));
                if let Some(c) = next_command(&it.source, x.next_commands.first()) {
                    out.push_str(&format!("    next: {}\n", s.cyan(&c)));
                }
            }
        }
    } else if all || it.error.as_deref() != Some("not a bounce") {
        out.push_str(&format!("{} {}\n", s.bold(&it.source), s.dim(it.error.as_deref().unwrap_or("no result"))));
    }
    out
}

/// The command to run next: for a bounce or event in a file of its own, `diagnose --bounce`
/// on that file (it takes the sender, the reply and the sending IP from it); otherwise the
/// explanation's first command.
fn next_command(source: &str, explained: Option<&String>) -> Option<String> {
    let path = std::path::Path::new(source);
    if source != "-" && path.is_file() {
        return Some(format!("mailsleuth diagnose --bounce '{}'", source.replace('\'', r"'\''")));
    }
    explained.cloned()
}
