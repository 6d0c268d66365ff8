//! `mailsleuth diagnose SENDER ...`: the main job.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use super::{exit, Env};
use crate::diagnose::Diagnosis;
use crate::render::text::{self, Style};

#[derive(Debug, clap::Args)]
pub struct DiagnoseArgs {
    /// The sender address that was rejected (RFC 5322 forms such as `"Shop" <billing@shop.example>`
    /// are fine). Optional with --bounce, which names the sender itself.
    #[arg(required_unless_present_any = ["bounce", "event", "replay"])]
    pub sender: Option<String>,
    /// The IP address the mail was sent from.
    #[arg(long)]
    pub ip: Option<IpAddr>,
    /// The HELO/EHLO name the sending host used.
    #[arg(long)]
    pub helo: Option<String>,
    /// The recipient the mail was for.
    #[arg(long)]
    pub to: Option<String>,
    /// The rejection text the server sent (e.g. "553 5.1.7 Sender address rejected").
    #[arg(long, conflicts_with = "bounce")]
    pub reply: Option<String>,
    /// A bounce message (RFC 3464 report or an MTA's own format) to start from.
    #[arg(long, value_name = "FILE", conflicts_with = "event")]
    pub bounce: Option<PathBuf>,
    /// An ESP bounce event (JSON from Amazon SES, SendGrid, Mailgun, Postmark, SparkPost) to start from.
    #[arg(long, value_name = "FILE")]
    pub event: Option<PathBuf>,
    /// Probe this SMTP server (HOST[:PORT]) with the sender and recipient, and rank against its reply.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub smtp: Option<String>,
    /// Log in to the --smtp server as this user (password from MAILSLEUTH_SMTP_PASSWORD or a prompt).
    #[arg(long, value_name = "USER", requires = "smtp")]
    pub auth_user: Option<String>,
    /// Save every DNS answer, the inputs and what a probe saw to FILE (an evidence bundle).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Re-run a diagnosis from an evidence bundle, with no network.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["sender", "bounce", "event", "reply", "ip", "helo", "to", "smtp", "record"])]
    pub replay: Option<PathBuf>,
    /// Report format when not --json: text for the terminal, markdown for a ticket.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Skip DNS blocklist queries.
    #[arg(long)]
    pub no_dnsbl: bool,
    /// Use this DNS blocklist zone instead of the default set (repeatable; `default` adds
    /// the default set back; `domain:ZONE` marks a domain list). See docs/dnsbl.md.
    #[arg(long, value_name = "ZONE")]
    pub dnsbl: Vec<String>,
    /// Never run the sender-verify callout (by default it runs when a reply says the sender
    /// could not be verified; under --zones only to MX hosts on loopback).
    #[arg(long)]
    pub no_callout: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Markdown,
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    schema_version: u32,
    command: &'static str,
    #[serde(flatten)]
    diagnosis: &'a Diagnosis,
}

pub async fn run(args: DiagnoseArgs, env: &Env) -> ExitCode {
    if let Some(path) = &args.replay {
        let bundle = match crate::diagnose::bundle::Bundle::load(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("mailsleuth: {e}");
                return ExitCode::from(exit::USAGE);
            }
        };
        let diagnosis = crate::diagnose::diagnose(&bundle.replay_context()).await;
        return report(&diagnosis, env, args.format);
    }
    let dns = match env.dns().await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("mailsleuth: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    let ctx = match args.request(env).context(dns.resolver.clone()) {
        Ok(ctx) => ctx,
        Err(message) => {
            eprintln!("mailsleuth: {message}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let diagnosis = crate::diagnose::diagnose(&ctx).await;
    if let Some(path) = &args.record {
        if let Err(e) = crate::diagnose::bundle::Bundle::capture(&ctx, &diagnosis).save(path) {
            eprintln!("mailsleuth: {e}");
            return ExitCode::from(exit::USAGE);
        }
    }
    report(&diagnosis, env, args.format)
}

fn report(diagnosis: &Diagnosis, env: &Env, format: Format) -> ExitCode {
    if env.global.json {
        crate::render::json::print(&JsonDoc { schema_version: crate::render::json::SCHEMA_VERSION, command: "diagnose", diagnosis });
    } else {
        let text = match format {
            Format::Text => render_text(diagnosis, Style { color: env.color }, env.global.trace_dns),
            Format::Markdown => crate::render::markdown::diagnosis(diagnosis),
        };
        write_stdout(&text);
    }
    ExitCode::from(diagnosis.exit_code())
}

impl DiagnoseArgs {
    fn request(&self, env: &Env) -> crate::diagnose::inputs::Request {
        use crate::diagnose::live::LiveSmtp;
        // The real internet (also --overlay): the callout may run. --zones is an offline
        // world: only to mail hosts on loopback (a local lab).
        let live_smtp = match (self.no_callout, env.global.zones.is_some()) {
            (true, _) => LiveSmtp::Off,
            (false, true) => LiveSmtp::Loopback,
            (false, false) => LiveSmtp::On,
        };
        crate::diagnose::inputs::Request {
            live_smtp,
            sender: self.sender.clone(),
            ip: self.ip,
            helo: self.helo.clone(),
            to: self.to.clone(),
            reply: self.reply.clone(),
            // The reader tells a bounce message from an ESP event by its content.
            bounce: self.bounce.clone().or_else(|| self.event.clone()),
            no_dnsbl: self.no_dnsbl,
            dnsbl: self.dnsbl.clone(),
            smtp: self.smtp.clone(),
            auth_user: self.auth_user.clone(),
            strict_sender: true,
        }
    }
}

/// The human report: causes first, then what could not be checked, then the rest.
pub fn render_text(d: &Diagnosis, style: Style, trace_dns: bool) -> String {
    let mut out = String::new();
    out.push_str(&format!("{} {}\n", style.bold("mailsleuth diagnose"), style.bold(&d.sender)));
    let mut facts = Vec::new();
    if let Some(ip) = &d.ip {
        facts.push(format!("ip {ip}"));
    }
    if let Some(h) = &d.helo {
        facts.push(format!("helo {h}"));
    }
    if let Some(r) = &d.recipient {
        facts.push(format!("to {r}"));
    }
    facts.push(format!("dns {}", d.dns_source));
    out.push_str(&format!("{}\n", style.dim(&facts.join(" · "))));
    for n in &d.notes {
        out.push_str(&format!("{}\n", style.dim(&format!("note: {n}"))));
    }
    if let Some(r) = &d.reply {
        let codes = [r.code.map(|c| c.to_string()), r.enhanced.map(|e| e.to_string())].into_iter().flatten().collect::<Vec<_>>().join(" ");
        out.push_str(&format!("{} {} {}\n", style.dim("reply:"), style.bold(&codes), r.text));
    }
    out.push('\n');
    if d.causes.is_empty() {
        out.push_str(&format!("{}\n", style.heading("No probable cause found")));
        out.push_str("  Nothing checked here explains a rejection of this sender.\n");
    } else {
        out.push_str(&format!("{}\n", style.heading("Probable causes, most likely first")));
        for c in &d.causes {
            out.push_str(&cause_block(style, c));
        }
    }
    if !d.unchecked.is_empty() {
        out.push_str(&format!("\n{}\n", style.heading("Could not check")));
        for f in &d.unchecked {
            out.push_str(&text::finding(style, f, "  "));
        }
    }
    if !d.findings.is_empty() {
        out.push_str(&format!("\n{}\n", style.heading("Other findings")));
        for f in &d.findings {
            out.push_str(&text::finding(style, f, "  "));
        }
    }
    if !d.smtp_transcript.is_empty() {
        out.push_str(&format!("\n{}\n", style.heading("SMTP session")));
        for l in &d.smtp_transcript {
            out.push_str(&format!("  {l}\n"));
        }
    }
    if trace_dns {
        out.push_str(&format!("\n{}\n", style.heading("DNS queries")));
        out.push_str(&text::dns_log(style, &d.dns_queries));
    }
    out
}

fn cause_block(style: Style, c: &crate::diagnose::Cause) -> String {
    use crate::diagnose::Status;
    let status = match c.status {
        Status::Confirmed => style.red("confirmed"),
        Status::Likely => style.yellow("likely"),
        Status::Reported => style.cyan("reported by the receiver"),
        Status::Unchecked => style.magenta("could not check"),
        Status::Contradicted => style.magenta("contradicted by the checks"),
    };
    let mut out = format!("\n {} {}  {}\n", style.bold(&format!("{}.", c.rank)), style.bold(&c.title), style.dim(&format!("[{}] ", c.id)) + &status);
    let pad = "      ";
    for (i, w) in c.why.iter().enumerate() {
        let label = if i == 0 { style.dim("why:    ") } else { "        ".to_string() };
        out.push_str(&format!("{pad}{label}{w}\n"));
    }
    for (i, a) in c.against.iter().enumerate() {
        let label = if i == 0 { style.dim("against:") } else { "        ".to_string() };
        out.push_str(&format!("{pad}{label} {a}\n"));
    }
    let mut evidence: Vec<&String> = Vec::new();
    if let Some(f) = &c.finding {
        if let Some(d) = &f.detail {
            out.push_str(&format!("{pad}{}\n", style.dim(d)));
        }
        evidence.extend(f.evidence.iter());
    }
    for r in &c.related {
        evidence.extend(r.evidence.iter());
    }
    if !evidence.is_empty() {
        out.push_str(&format!("{pad}{}\n", style.dim("evidence:")));
        for e in evidence {
            out.push_str(&format!("{pad}  {} {e}\n", style.dim("·")));
        }
    }
    if let Some(fix) = &c.fix {
        let lines = text::fix_lines(fix);
        out.push_str(&format!("{pad}{} {}\n", style.green("fix:"), lines.first().map(String::as_str).unwrap_or("")));
        for l in lines.iter().skip(1) {
            out.push_str(&format!("{pad}     {}\n", style.bold(l)));
        }
    }
    if let Some(n) = &c.next {
        out.push_str(&format!("{pad}{} {n}\n", style.cyan("next:")));
    }
    out
}

/// Write a report; a closed pipe (`| head`) ends the output quietly.
fn write_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}
