//! `mailsleuth bounce FILE|DIR|-`: read bounce messages (one file, a maildir or folder,
//! an mbox, standard input, or ESP event JSON) and explain each failed recipient.
//! Folders and mboxes are read on every core, with progress on stderr.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

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

fn one(source: String, raw: &[u8]) -> Item {
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

/// Parse many inputs on `jobs` threads, in order, with progress on stderr when it is a terminal.
pub fn parse_many(inputs: Vec<(String, Vec<u8>)>, jobs: usize) -> Vec<Item> {
    let n = inputs.len();
    let done = AtomicUsize::new(0);
    let progress = std::io::stderr().is_terminal() && n > 50;
    let jobs = jobs.clamp(1, 64).min(n.max(1));
    let chunk = n.div_ceil(jobs).max(1);
    let mut out: Vec<Item> = Vec::with_capacity(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = inputs
            .chunks(chunk)
            .map(|part| {
                let done = &done;
                s.spawn(move || {
                    part.iter()
                        .map(|(src, raw)| {
                            let it = one(src.clone(), raw);
                            let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                            if progress && (k % 200 == 0 || k == n) {
                                eprint!("\rbounce: {k}/{n} messages");
                            }
                            it
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(v) => out.extend(v),
                Err(_) => eprintln!("mailsleuth bounce: a worker failed"),
            }
        }
    });
    if progress {
        eprintln!();
    }
    out
}

/// Expand a path into (source name, bytes) inputs.
pub fn gather(path: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let files = if path.as_os_str() != "-" && path.is_dir() { input::folder_files(path)? } else { vec![path.to_path_buf()] };
    let mut out = Vec::new();
    for f in files {
        let raw = input::read_bounded(&f)?;
        let name = f.display().to_string();
        if input::is_mbox(&raw) {
            for (i, m) in input::split_mbox(&raw).into_iter().enumerate() {
                out.push((format!("{name}#{}", i + 1), m.to_vec()));
            }
        } else {
            out.push((name, raw));
        }
    }
    Ok(out)
}

pub fn summarise(items: &[Item]) -> Summary {
    let mut s = Summary { messages: items.len(), ..Default::default() };
    for it in items {
        if let Some(b) = &it.bounce {
            s.bounces += 1;
            s.failures += b.failures.len();
            s.sender_side += b.failures.iter().filter(|f| f.sender_side()).count();
        } else if !it.events.is_empty() {
            s.bounces += 1;
            s.failures += it.events.len();
            s.sender_side += it.events.iter().filter(|e| e.explanation.as_ref().is_some_and(|x| x.sender_side)).count();
        } else {
            s.not_bounces += 1;
        }
    }
    s
}

pub async fn run(args: BounceArgs, env: &Env) -> ExitCode {
    let inputs = match gather(&args.path) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("mailsleuth bounce: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let items = tokio::task::block_in_place(|| parse_many(inputs, jobs));
    let summary = summarise(&items);
    if env.global.json {
        crate::render::json::print(&JsonDoc { schema_version: crate::render::json::SCHEMA_VERSION, command: "bounce", items: &items, summary });
    } else {
        let style = Style { color: env.color };
        for it in &items {
            print!("{}", render_item(it, style, args.all));
        }
        if items.len() > 1 {
            eprintln!(
                "bounce: {} messages, {} bounces, {} not bounces, {} failed recipients ({} sender-side)",
                summary.messages, summary.bounces, summary.not_bounces, summary.failures, summary.sender_side
            );
        }
    }
    if summary.bounces == 0 && items.len() == 1 {
        return ExitCode::from(exit::USAGE);
    }
    ExitCode::from(if summary.sender_side > 0 { exit::PROBLEM } else { exit::OK })
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
                if let Some(c) = x.next_commands.first() {
                    out.push_str(&format!("    next: {}\n", s.cyan(c)));
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
                if let Some(c) = x.next_commands.first() {
                    out.push_str(&format!("    next: {}\n", s.cyan(c)));
                }
            }
        }
    } else if all || it.error.as_deref() != Some("not a bounce") {
        out.push_str(&format!("{} {}\n", s.bold(&it.source), s.dim(it.error.as_deref().unwrap_or("no result"))));
    }
    out
}
