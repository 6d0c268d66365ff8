//! `mailsleuth diagnose SENDER ...`: the main job.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use super::{exit, Env};
use crate::diagnose::{Context, Diagnosis, Options};
use crate::render::text::{self, Style};

#[derive(Debug, clap::Args)]
pub struct DiagnoseArgs {
    /// The sender address that was rejected (RFC 5322 forms such as `"Shop" <billing@shop.example>`
    /// are fine). Optional with --bounce, which names the sender itself.
    #[arg(required_unless_present_any = ["bounce", "replay"])]
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
    #[arg(long, value_name = "FILE")]
    pub bounce: Option<PathBuf>,
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
    #[arg(long, value_name = "FILE", conflicts_with_all = ["sender", "bounce", "reply", "ip", "helo", "to", "smtp", "record"])]
    pub replay: Option<PathBuf>,
    /// Skip DNS blocklist queries.
    #[arg(long)]
    pub no_dnsbl: bool,
    /// Add a DNS blocklist zone (repeatable).
    #[arg(long, value_name = "ZONE")]
    pub dnsbl: Vec<String>,
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
        return report(&diagnosis, env);
    }
    let dns = match env.dns().await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("mailsleuth: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    let ctx = match build_context(&args, dns.resolver.clone()) {
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
    report(&diagnosis, env)
}

fn report(diagnosis: &Diagnosis, env: &Env) -> ExitCode {
    if env.global.json {
        crate::render::json::print(&JsonDoc { schema_version: crate::render::json::SCHEMA_VERSION, command: "diagnose", diagnosis });
    } else {
        print!("{}", render_text(diagnosis, Style { color: env.color }, env.global.trace_dns));
    }
    ExitCode::from(diagnosis.exit_code())
}

/// Turn the arguments (and a bounce, if given) into the diagnosis context.
fn build_context(args: &DiagnoseArgs, resolver: crate::dns::Resolver) -> Result<Context, String> {
    let mut notes = Vec::new();
    let mut reply = args.reply.as_deref().map(crate::reply::parse);
    let mut sender_raw = args.sender.clone();
    let mut recipient = args.to.clone();
    if let Some(path) = &args.bounce {
        let b = crate::bounce::read_for_diagnosis(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if reply.is_none() && b.reply.is_some() {
            reply = b.reply;
            notes.push(format!("reply taken from the bounce {}", path.display()));
        }
        if recipient.is_none() && b.recipient.is_some() {
            recipient = b.recipient;
        }
        if sender_raw.is_none() {
            if let Some(s) = b.sender {
                notes.push(format!("sender {s} taken from the bounce"));
                sender_raw = Some(s);
            }
        }
    }
    let sender_raw = sender_raw.ok_or("no sender given and none found in the bounce")?;
    // A malformed address typed on the command line is an input error; one found in an
    // artefact is a finding (it may be the very cause of the rejection).
    if let Some(given) = &args.sender {
        if let Err(e) = crate::address::parse_input(given) {
            return Err(format!("sender {given:?} is not a valid address: {e}"));
        }
    }
    let mut ip = args.ip;
    if ip.is_none() {
        if let Some(found) = reply.as_ref().and_then(|r| crate::diagnose::inputs::sending_ip_in_text(&r.text)) {
            notes.push(format!("sending IP {found} taken from the reply text"));
            ip = Some(found);
        }
    }
    let mut ctx = Context::new(resolver, &sender_raw);
    ctx.ip = ip;
    ctx.helo = args.helo.clone();
    ctx.recipient = recipient;
    ctx.reply = reply;
    ctx.options = Options { no_dnsbl: args.no_dnsbl, dnsbl_zones: args.dnsbl.clone() };
    ctx.smtp_server = args.smtp.clone();
    ctx.smtp_auth_user = args.auth_user.clone();
    ctx.notes = notes;
    Ok(ctx)
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
            out.push_str(&format!("\n {}. ", c.rank));
            let block = text::finding(style, &c.finding, "");
            out.push_str(block.trim_start());
            out.push_str(&format!("        {} {}\n", style.dim("why:"), style.dim(&c.why.join("; "))));
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
    if trace_dns {
        out.push_str(&format!("\n{}\n", style.heading("DNS queries")));
        out.push_str(&text::dns_log(style, &d.dns_queries));
    }
    out
}
