//! `mailsleuth explain "TEXT"`: what a rejection reply means and what to run next.
//! Reads stdin when TEXT is absent or `-`. No DNS: it answers in milliseconds.

use std::io::Read;
use std::process::ExitCode;

use serde::Serialize;

use super::explain::{Explanation, Permanence};
use crate::cli::{exit, Env};
use crate::render::text::Style;

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The reply or rejection text (quote it). Omit it, or give `-`, to read standard input.
    #[arg(value_name = "TEXT", num_args = 0.., trailing_var_arg = true, allow_hyphen_values = true)]
    pub text: Vec<String>,
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    schema_version: u32,
    command: &'static str,
    #[serde(flatten)]
    explanation: &'a Explanation,
    findings: Vec<crate::finding::Finding>,
}

/// At most this much is read from standard input (no real reply is longer).
const MAX_STDIN: u64 = 1 << 20;

pub async fn run(args: ExplainArgs, env: &Env) -> ExitCode {
    let text = if args.text.is_empty() || (args.text.len() == 1 && args.text[0] == "-") {
        let mut s = String::new();
        if let Err(e) = std::io::stdin().take(MAX_STDIN).read_to_string(&mut s) {
            eprintln!("mailsleuth explain: cannot read standard input: {e}");
            return ExitCode::from(exit::USAGE);
        }
        s
    } else {
        args.text.join(" ")
    };
    if text.trim().is_empty() {
        eprintln!("mailsleuth explain: give the reply text as an argument or on standard input");
        return ExitCode::from(exit::USAGE);
    }
    let x = super::explain(&text);
    if env.global.json {
        crate::render::json::print(&JsonDoc { schema_version: crate::render::json::SCHEMA_VERSION, command: "explain", explanation: &x, findings: super::findings::findings(&x) });
    } else {
        print!("{}", render_text(&x, Style { color: env.color }));
    }
    ExitCode::from(exit::OK)
}

/// The human rendering of an explanation.
pub fn render_text(x: &Explanation, s: Style) -> String {
    let mut out = String::new();
    let codes: Vec<String> = [x.reply.code.map(|c| c.to_string()), x.reply.enhanced.map(|e| e.to_string())].into_iter().flatten().collect();
    let codes = if codes.is_empty() { "no reply code".to_string() } else { codes.join(" ") };
    let perm = match x.permanence {
        Permanence::Permanent => s.red("permanent failure: do not retry unchanged"),
        Permanence::Transient => s.yellow("transient failure: the sender's MTA retries"),
        Permanence::Success => s.green("success"),
        Permanence::Unknown => s.dim("no class (no code found)"),
    };
    out.push_str(&format!("{} {}  {}\n", s.bold("reply"), s.bold(&codes), perm));
    if let Some(d) = &x.code_disagreement {
        out.push_str(&format!("  {:<10} {}\n", s.dim("note"), s.yellow(d)));
    }
    if let Some(m) = x.basic_meaning {
        out.push_str(&format!("  {:<10} {}\n", s.dim("basic"), m));
    }
    if let Some(m) = &x.enhanced_meaning {
        let detail = m.detail.map(|d| d.to_string()).unwrap_or_else(|| "(not in the IANA registry; vendor-specific)".into());
        out.push_str(&format!("  {:<10} {}: {} / {} / {}\n", s.dim("enhanced"), m.code, m.class, m.subject.unwrap_or("unknown subject"), detail));
        if let Some(d) = m.description {
            out.push_str(&format!("  {:<10} {}\n", "", s.dim(d)));
        }
    }
    if let Some(st) = x.stage {
        out.push_str(&format!("  {:<10} {}\n", s.dim("stage"), st.as_str()));
    }
    if let Some(h) = &x.remote_host {
        out.push_str(&format!("  {:<10} {}\n", s.dim("host"), h));
    }
    if let Some(v) = x.vendor {
        out.push_str(&format!("  {:<10} {}\n", s.dim("answered"), v));
    }
    out.push('\n');
    out.push_str(&format!("{} {}\n", s.heading("cause:"), s.bold(x.cause.as_str())));
    out.push_str(&format!("  {}\n", x.cause_summary));
    if !x.blames.is_empty() {
        let b: Vec<String> = x.blames.iter().map(|i| serde_json::to_value(i).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()).collect();
        out.push_str(&format!("  {:<10} {}\n", s.dim("blames"), b.join(", ")));
    }
    if let Some(h) = &x.sender_hint {
        out.push_str(&format!("  {:<10} {}\n", s.dim("names"), h));
    }
    if let Some(r) = x.rule {
        out.push_str(&format!("  {:<10} {} (vendor catalogue)\n", s.dim("rule"), r));
    }
    if let Some(n) = x.note {
        out.push_str(&format!("  {:<10} {}\n", s.dim("note"), n));
    }
    if !x.next_commands.is_empty() {
        out.push_str(&format!("\n{}\n", s.heading("next:")));
        for c in &x.next_commands {
            out.push_str(&format!("  {}\n", s.cyan(c)));
        }
    }
    out
}
