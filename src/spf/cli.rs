//! `mailsleuth spf`: SPF verdict, trace and lint for a domain.

use std::net::IpAddr;
use std::process::ExitCode;

use serde::Serialize;

use super::diagnose::{evaluation_findings, Identity};
use super::lint::{lint, Lint};
use super::verify::{check_host, Evaluation, Query};
use crate::cli::{exit, Env};
use crate::finding::{Finding, Severity};
use crate::render::text::{self, Style};

#[derive(Debug, clap::Args)]
pub struct SpfArgs {
    /// The domain whose SPF record to check (an address is accepted: its domain is used).
    pub domain: String,
    /// Evaluate the record for this sending IP: verdict, trace and the fix.
    #[arg(long)]
    pub ip: Option<IpAddr>,
    /// The MAIL FROM address (for macros; default postmaster@DOMAIN). `<>`, the null
    /// sender of bounces: SPF checks the HELO identity, DOMAIN, as postmaster@DOMAIN.
    #[arg(long, value_name = "ADDR")]
    pub sender: Option<String>,
    /// The HELO/EHLO name: also evaluates the HELO identity (with --ip).
    #[arg(long, value_name = "NAME")]
    pub helo: Option<String>,
    /// What-if: evaluate and lint this record instead of the published one.
    #[arg(long, value_name = "\"v=spf1 ...\"")]
    pub record: Option<String>,
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    schema_version: u32,
    command: &'static str,
    domain: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    proposed_record: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evaluation: Option<&'a Evaluation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    helo_evaluation: Option<&'a Evaluation>,
    lint: &'a Lint,
    findings: &'a [Finding],
}

pub async fn run(args: SpfArgs, env: &Env) -> ExitCode {
    let (domain, sender) = match args.domain.rsplit_once('@') {
        Some((l, d)) => (d.to_string(), args.sender.clone().unwrap_or_else(|| format!("{}@{d}", if l.is_empty() { "postmaster" } else { l }))),
        None => (args.domain.clone(), args.sender.clone().unwrap_or_else(|| format!("postmaster@{}", args.domain))),
    };
    let domain = crate::dns::normalize(&domain);
    if let Some(p) = super::verify::domain_problem(&domain) {
        eprintln!("mailsleuth spf: {domain:?} is not a domain name: {p}");
        return ExitCode::from(exit::USAGE);
    }
    // A null sender (<>): the MAIL FROM check is the HELO identity's (RFC 7208 §2.4).
    let null_sender = args.sender.as_deref().is_some_and(super::verify::is_null_sender);
    let (sender, shown_sender) = if null_sender {
        if let Some(h) = args.helo.as_deref().map(crate::dns::normalize).filter(|h| *h != domain) {
            eprintln!(
                "mailsleuth spf: with the null sender <>, SPF checks the HELO identity (RFC 7208 §2.4): give the HELO name as DOMAIN (`mailsleuth spf {h} --sender '<>'`)"
            );
            return ExitCode::from(exit::USAGE);
        }
        let s = format!("postmaster@{domain}");
        let shown = format!("<> (null sender: the HELO identity, checked as {s}, RFC 7208 §2.4)");
        (s, shown)
    } else {
        (sender.clone(), sender)
    };
    if let Some(r) = &args.record {
        if !super::parse::is_spf1(r) {
            eprintln!("mailsleuth spf: --record must start with \"v=spf1\"");
            return ExitCode::from(exit::USAGE);
        }
    }
    let dns = match env.dns().await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("mailsleuth: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    let r = &dns.resolver;
    let helo = if null_sender { domain.clone() } else { args.helo.clone().unwrap_or_default() };
    let eval_fut = async {
        let ip = args.ip?;
        let mut q = Query::mail_from(ip, &sender, &helo);
        q.domain = domain.clone();
        q.record_override = args.record.clone();
        Some(check_host(r, &q).await)
    };
    let helo_fut = async {
        match (args.ip, &args.helo) {
            // With a null sender the MAIL FROM check above already is the HELO check.
            (Some(ip), Some(h)) if !null_sender => Some(check_host(r, &Query::helo(ip, h)).await),
            _ => None,
        }
    };
    let (lint, ev, helo_ev) = tokio::join!(lint(r, &domain, args.record.as_deref()), eval_fut, helo_fut);
    let mut findings = lint.findings.clone();
    if let Some(ev) = &ev {
        super::diagnose::first_record_fix(r, &mut findings, ev, &sender, &helo).await;
        findings.extend(evaluation_findings(r, ev, Identity::MailFrom, &sender, &helo).await);
    }
    if let Some(ev) = &helo_ev {
        findings.extend(evaluation_findings(r, ev, Identity::Helo, "", &helo).await);
    }
    findings.sort_by(|a, b| b.severity.cmp(&a.severity));
    if env.global.json {
        crate::render::json::print(&JsonDoc {
            schema_version: crate::render::json::SCHEMA_VERSION,
            command: "spf",
            domain: &domain,
            proposed_record: args.record.as_deref(),
            evaluation: ev.as_ref(),
            helo_evaluation: helo_ev.as_ref(),
            lint: &lint,
            findings: &findings,
        });
    } else {
        let style = Style { color: env.color };
        let mut out = render(&domain, &shown_sender, &lint, ev.as_ref(), helo_ev.as_ref(), &findings, style);
        if env.global.trace_dns {
            out.push_str(&format!("\n{}\n{}", style.heading("DNS queries"), text::dns_log(style, &r.log())));
        }
        // A closed pipe (`| head`) is not an error worth a panic.
        use std::io::Write;
        let _ = std::io::stdout().lock().write_all(out.as_bytes());
    }
    let worst = findings.iter().map(|f| f.severity).max().unwrap_or(Severity::Ok);
    ExitCode::from(match worst {
        Severity::Error => exit::PROBLEM,
        Severity::Unknown => exit::INCOMPLETE,
        _ => exit::OK,
    })
}

/// Text rendering only: every decision was made by the evaluator and the lint.
fn render(domain: &str, sender: &str, lint: &Lint, ev: Option<&Evaluation>, helo: Option<&Evaluation>, findings: &[Finding], s: Style) -> String {
    let mut out = String::new();
    out.push_str(&format!("{}\n", s.heading(&format!("SPF for {domain}"))));
    let root = lint.root();
    match &root.record {
        Some(rec) => out.push_str(&format!("  record: {}{}\n", s.bold(rec), if ev.is_some_and(|e| e.trace.proposed) || root.txt_query.is_none() { "  [proposed]" } else { "" })),
        None => out.push_str(&format!("  record: none ({})\n", root.txt_query.as_deref().unwrap_or("-"))),
    }
    for (label, e) in [("MAIL FROM", ev), ("HELO", helo)] {
        let Some(e) = e else { continue };
        let verdict = e.result.as_str().to_uppercase();
        let painted = match e.result {
            super::SpfResult::Pass => s.green(&verdict),
            super::SpfResult::Fail | super::SpfResult::PermError => s.red(&verdict),
            _ => s.yellow(&verdict),
        };
        let who = if label == "HELO" { format!("HELO {}", e.domain) } else { format!("MAIL FROM {sender}") };
        out.push_str(&format!("\n{} for {} ({who}): {painted}\n", s.heading("Verdict"), e.ip));
        out.push_str(&format!("  {}\n", e.trace.reason));
        if e.result == super::SpfResult::Pass {
            out.push_str(&format!("  matched at: {}\n", e.trace.deciding_path().join(" -> ")));
        }
        out.push_str(&format!("  {} of 10 DNS lookups, {} of 2 void lookups\n", e.lookups, e.voids));
        if let Some(x) = &e.explanation {
            out.push_str(&format!("  explanation: {x}\n"));
        }
        let mut lines = Vec::new();
        e.trace.render_lines(1, &mut lines);
        out.push_str(&format!("  {}\n", s.dim("trace:")));
        for l in lines {
            out.push_str(&format!("{l}\n"));
        }
    }
    out.push_str(&format!(
        "\n{} ({} of 10 DNS lookups when nothing matches, {} level{})\n",
        s.heading("Include tree"),
        lint.total_lookups,
        lint.depth,
        if lint.depth == 1 { "" } else { "s" }
    ));
    for l in lint.tree_lines() {
        out.push_str(&format!("  {l}\n"));
    }
    out.push_str(&format!("\n{}\n", s.heading("Findings")));
    for f in findings {
        out.push_str(&text::finding(s, f, "  "));
    }
    out
}
