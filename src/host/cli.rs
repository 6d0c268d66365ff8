//! `mailsleuth host IP [--helo NAME] [--sender ADDR] [--dnsbl ZONE]... [--no-dnsbl]`:
//! the sending-host report. Decisions are in the module; this file only renders.

use std::process::ExitCode;

use serde::Serialize;

use super::dnsbl::Status;
use super::{ipclass, posture, HostQuery, HostReport};
use crate::cli::{exit, Env};
use crate::finding::{Finding, Severity};
use crate::render::text::{self, Style};

#[derive(Debug, clap::Args)]
pub struct HostArgs {
    /// The sending IP address (IPv4 or IPv6; [192.0.2.1] and [IPv6:...] literals are accepted).
    #[arg(value_name = "IP")]
    pub ip: String,
    /// The HELO/EHLO name the host used.
    #[arg(long, value_name = "NAME")]
    pub helo: Option<String>,
    /// The sender address (or bare domain): its domain is checked on domain blocklists and
    /// for posture (MTA-STS, TLS-RPT, BIMI, DNSSEC).
    #[arg(long, value_name = "ADDR")]
    pub sender: Option<String>,
    /// Use this blocklist zone instead of the default set (repeatable). `default` adds the
    /// default set back; `domain:ZONE` marks a domain list.
    #[arg(long, value_name = "ZONE")]
    pub dnsbl: Vec<String>,
    /// Skip the blocklists.
    #[arg(long, conflicts_with = "dnsbl")]
    pub no_dnsbl: bool,
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    schema_version: u32,
    command: &'static str,
    #[serde(flatten)]
    report: &'a HostReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    sender_domain: Option<&'a str>,
    posture: &'a [Finding],
    dns_source: String,
    dns_queries: Vec<crate::dns::QueryLogEntry>,
}

/// The domain of `--sender`: an address (parsed by the address module when it can be),
/// or a bare domain.
fn sender_domain(raw: &str) -> Result<String, String> {
    let shown: String = raw.chars().take(80).collect();
    if let Ok(m) = crate::address::parse_input(raw) {
        if let Some(d) = m.domain_ascii() {
            return Ok(d.to_string());
        }
    }
    let t = raw.trim().trim_start_matches('<').trim_end_matches('>');
    let domain = t.rsplit_once('@').map(|(_, d)| d).unwrap_or(t);
    let domain = crate::dns::normalize(domain);
    let ascii = idna::domain_to_ascii(&domain).map_err(|_| format!("--sender {shown:?}: no usable domain"))?;
    if ascii.is_empty() || !ascii.contains('.') || crate::dns::invalid_name(&ascii).is_some() {
        return Err(format!("--sender {shown:?}: no usable domain"));
    }
    Ok(ascii)
}

pub async fn run(args: HostArgs, env: &Env) -> ExitCode {
    let ip = match ipclass::parse_ip(&args.ip) {
        Ok(ip) => ip,
        Err(e) => {
            eprintln!("mailsleuth host: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let domain = match args.sender.as_deref().map(sender_domain).transpose() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("mailsleuth host: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    if let Err(e) = super::dnsbl_lists::select(&args.dnsbl) {
        eprintln!("mailsleuth host: {e}");
        return ExitCode::from(exit::USAGE);
    }
    let dns = match env.dns().await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("mailsleuth: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    let q = HostQuery { ip: Some(ip), helo: args.helo.clone(), sender_domain: domain.clone(), no_dnsbl: args.no_dnsbl, dnsbl_zones: args.dnsbl.clone() };
    let helo_spf = async {
        // SPF for the HELO identity (RFC 7208 §2.3), from the project's evaluator.
        match args.helo.as_deref().map(super::helo::parse) {
            Some(super::helo::HeloKind::Fqdn { name }) => {
                let ev = crate::spf::verify::check_host(&dns.resolver, &crate::spf::verify::Query::helo(ip, &name)).await;
                crate::spf::evaluation_findings(&dns.resolver, &ev, crate::spf::Identity::Helo, "", &name).await
            }
            _ => Vec::new(),
        }
    };
    let (mut report, posture, helo_spf) = tokio::join!(
        super::check(&dns.resolver, &q),
        async {
            match &domain {
                Some(d) => posture::check(&dns.resolver, d).await,
                None => Vec::new(),
            }
        },
        helo_spf
    );
    report.findings.extend(helo_spf);
    let code = exit_code(&report.findings);
    if env.global.json {
        crate::render::json::print(&JsonDoc {
            schema_version: crate::render::json::SCHEMA_VERSION,
            command: "host",
            report: &report,
            sender_domain: domain.as_deref(),
            posture: &posture,
            dns_source: dns.resolver.describe(),
            dns_queries: dns.resolver.log(),
        });
    } else {
        let style = Style { color: env.color };
        print!("{}", render_text(&report, &posture, style));
        if env.global.trace_dns {
            println!("\n{}", style.heading("DNS queries"));
            print!("{}", text::dns_log(style, &dns.resolver.log()));
        }
    }
    ExitCode::from(code)
}

/// 1 with an error finding, 3 when something could not be checked, else 0.
/// (Posture is informational and never changes the exit code.)
pub fn exit_code(findings: &[Finding]) -> u8 {
    if findings.iter().any(|f| f.severity == Severity::Error) {
        exit::PROBLEM
    } else if findings.iter().any(|f| f.severity == Severity::Unknown) {
        exit::INCOMPLETE
    } else {
        exit::OK
    }
}

pub fn render_text(r: &HostReport, posture: &[Finding], style: Style) -> String {
    let mut out = String::new();
    let ip = r.ip.clone().unwrap_or_default();
    out.push_str(&format!("{} {}\n", style.bold("mailsleuth host"), style.bold(&ip)));
    if let Some(c) = r.ip_class {
        out.push_str(&format!("{}\n", style.dim(&c.describe())));
    }
    if let Some(p) = &r.ptr {
        out.push_str(&format!("{}\n", style.dim(&format!("reverse: {}", p.answer))));
    }
    let mut worst: Vec<&Finding> = r.findings.iter().collect();
    worst.sort_by(|a, b| b.severity.cmp(&a.severity));
    out.push_str(&format!("\n{}\n", style.heading("Findings")));
    for f in worst {
        out.push_str(&text::finding(style, f, "  "));
    }
    if !r.dnsbl.is_empty() {
        out.push_str(&format!("\n{}\n", style.heading("Blocklists")));
        for l in &r.dnsbl {
            let (tag, note) = match &l.status {
                Status::NotListed => (style.green("clean   "), String::new()),
                Status::Listed { meanings, .. } => (style.red("LISTED  "), meanings.join("; ")),
                Status::Unchecked { why } => (style.magenta("unknown "), why.clone()),
                Status::Skipped { why } => (style.dim("skipped "), why.clone()),
            };
            let who = match &l.identity {
                Some(i) => format!("{} ({i})", l.key),
                None => l.key.clone(),
            };
            out.push_str(&format!("  {tag} {:<22} {:<28} {}\n", l.list, who, style.dim(&note)));
        }
    }
    if !posture.is_empty() {
        out.push_str(&format!("\n{}\n", style.heading("Domain posture")));
        for f in posture {
            out.push_str(&text::finding(style, f, "  "));
        }
    }
    out
}
