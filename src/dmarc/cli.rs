//! `mailsleuth dmarc`: the DMARC record and policy of a domain.
//! `mailsleuth verify`: DKIM, SPF and DMARC for a real message.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::{exit, Env};
use crate::finding::{Finding, Severity};
use crate::render::text::{self, Style};

#[derive(Debug, clap::Args)]
pub struct DmarcArgs {
    /// The From (header) domain to look up.
    pub domain: String,
    /// Explain alignment: the envelope sender (MAIL FROM / return-path); its domain is
    /// the SPF identity. `<>` (null sender, with --helo): the HELO name is.
    #[arg(long, value_name = "ADDR", conflicts_with = "spf_domain")]
    pub mail_from: Option<String>,
    /// Explain alignment: the domain SPF is checked for (instead of --mail-from).
    #[arg(long, value_name = "DOMAIN")]
    pub spf_domain: Option<String>,
    /// Explain alignment: the d= of a DKIM signature, assumed to verify (repeatable).
    #[arg(long = "dkim-domain", value_name = "D")]
    pub dkim_domains: Vec<String>,
    /// With --mail-from or --spf-domain: evaluate SPF for this sending IP (else SPF is
    /// assumed to pass).
    #[arg(long)]
    pub ip: Option<IpAddr>,
    /// The HELO name, for SPF macros (with --ip).
    #[arg(long, value_name = "NAME")]
    pub helo: Option<String>,
}

fn valid_domain(d: &str) -> bool {
    let d = crate::dmarc::psl::to_ascii(&crate::dns::normalize(d));
    crate::dns::invalid_name(&d).is_none() && crate::dkim::verify::valid_dns_name(&d) && d.contains('.')
}

/// The alignment inputs, checked; Err is a usage error.
fn alignment_inputs(args: &DmarcArgs) -> Result<super::explain::Inputs, String> {
    let null_sender = args.mail_from.as_deref().is_some_and(crate::spf::verify::is_null_sender);
    let mut mail_from = args.mail_from.clone();
    if null_sender {
        // RFC 7208 §2.4: with a null reverse-path SPF checks postmaster@HELO.
        match args.helo.as_deref().map(crate::dns::normalize) {
            Some(h) if valid_domain(&h) => mail_from = Some(format!("postmaster@{h}")),
            Some(h) => return Err(format!("--helo {h:?} is not a domain name")),
            None => {
                return Err("--mail-from '<>' is the null sender: SPF then checks the HELO name (RFC 7208 §2.4); give it with --helo NAME".into())
            }
        }
    }
    let inputs = super::explain::Inputs {
        mail_from: mail_from.clone(),
        spf_domain: args.spf_domain.clone(),
        dkim_domains: args.dkim_domains.clone(),
        ip: args.ip,
        helo: args.helo.clone(),
        null_sender,
    };
    if let Some(m) = &mail_from {
        match m.rsplit_once('@') {
            Some((_, d)) if valid_domain(d) => {}
            _ => return Err(format!("--mail-from {m:?} is not an address with a domain")),
        }
    }
    for d in args.spf_domain.iter().chain(&args.dkim_domains) {
        if !valid_domain(d) {
            return Err(format!("{d:?} is not a domain name"));
        }
    }
    if args.ip.is_some() && inputs.spf_identity().is_none() {
        return Err("--ip needs --mail-from or --spf-domain (the identity SPF is checked for)".into());
    }
    Ok(inputs)
}

fn exit_for(findings: &[Finding]) -> ExitCode {
    if findings.iter().any(|f| f.severity == Severity::Error) {
        exit::PROBLEM.into()
    } else if findings.iter().any(|f| f.severity == Severity::Unknown) {
        exit::INCOMPLETE.into()
    } else {
        exit::OK.into()
    }
}

fn print_dns_log(style: Style, resolver: &crate::dns::Resolver) {
    for q in resolver.log() {
        println!("{}", style.dim(&format!("  dns: {} {} -> {} ({:.1} ms, {})", q.name, q.rtype, q.outcome, q.elapsed_ms, q.server)));
    }
}

pub async fn run(args: DmarcArgs, env: &Env) -> ExitCode {
    let domain = crate::dmarc::psl::to_ascii(&crate::dns::normalize(&args.domain));
    if crate::dns::invalid_name(&domain).is_some() || !crate::dkim::verify::valid_dns_name(&domain) {
        eprintln!("mailsleuth dmarc: {:?} is not a domain name", args.domain);
        return exit::USAGE.into();
    }
    let inputs = match alignment_inputs(&args) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("mailsleuth dmarc: {e}");
            return exit::USAGE.into();
        }
    };
    let dns = match env.dns().await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("mailsleuth dmarc: {e}");
            return e.exit_code().into();
        }
    };
    let mut report = super::inspect(&dns.resolver, &domain).await;
    let alignment = if inputs.is_empty() { None } else { Some(super::explain::explain(&dns.resolver, &report, &inputs).await) };
    if let Some(a) = &alignment {
        report.findings.extend(a.verdict.findings.iter().cloned());
    }
    if env.global.json {
        let mut doc = serde_json::json!({
            "schema_version": crate::render::json::SCHEMA_VERSION,
            "domain": report.domain,
            "org_domain": report.discovery.org_domain,
            "record": report.discovery.found().map(|f| f.record.raw.clone()),
            "found_at": report.discovery.found().map(|f| format!("_dmarc.{}", f.domain)),
            "found_via": report.discovery.found().map(|f| f.via.phrase()),
            "policy": report.applied.map(|a| a.disposition.as_str()),
            "policy_tag": report.applied.map(|a| a.tag),
            "discovery": report.discovery,
            "tree_walk": report.tree_walk,
            "report_authorization": report.report_auth,
            "findings": report.findings,
        });
        if let Some(a) = &alignment {
            doc["alignment"] = serde_json::to_value(a).unwrap_or_default();
        }
        if env.global.trace_dns {
            doc["dns"] = serde_json::to_value(dns.resolver.log()).unwrap_or_default();
        }
        crate::render::json::print(&doc);
    } else {
        let style = Style { color: env.color };
        println!("{}", style.heading(&format!("DMARC for {domain}")));
        match report.discovery.found() {
            Some(f) => {
                println!("  record:  _dmarc.{} ({})", f.domain, f.via.words());
                println!("           {}", style.bold(&f.record.raw));
            }
            None => println!("  record:  none found"),
        }
        if let Some(a) = report.applied {
            println!("  policy:  {} for mail From {domain} ({})", style.bold(a.disposition.as_str()), a.tag);
        }
        println!("  org domain (PSL): {}", report.discovery.org_domain);
        if let Some(a) = &alignment {
            for l in super::explain::render(a) {
                println!("{l}");
            }
        }
        for f in &report.findings {
            print!("{}", text::finding(style, f, "  "));
        }
        if env.global.trace_dns {
            print_dns_log(style, &dns.resolver);
        }
    }
    exit_for(&report.findings)
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The message file (RFC 5322, as received; at most 64 MiB).
    pub message: PathBuf,
    /// The IP address the message came from: SPF is evaluated for it.
    #[arg(long)]
    pub ip: Option<IpAddr>,
    /// The HELO/EHLO name the sender used.
    #[arg(long)]
    pub helo: Option<String>,
    /// The envelope sender (MAIL FROM / return-path).
    #[arg(long, value_name = "ADDR")]
    pub mail_from: Option<String>,
}

/// `mailsleuth verify MESSAGE.eml`: DKIM, SPF and DMARC for a real message.
pub async fn run_verify(args: VerifyArgs, env: &Env) -> ExitCode {
    let raw = match super::message::read_message(&args.message) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mailsleuth verify: {e}");
            return exit::USAGE.into();
        }
    };
    if args.ip.is_some() && args.helo.is_none() && args.mail_from.is_none() {
        eprintln!("mailsleuth verify: --ip needs --mail-from (or --helo for a null sender)");
        return exit::USAGE.into();
    }
    let dns = match env.dns().await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("mailsleuth verify: {e}");
            return e.exit_code().into();
        }
    };
    let opts = super::message::VerifyOptions { ip: args.ip, helo: args.helo.clone(), mail_from: args.mail_from.clone() };
    let report = match super::message::verify(&dns.resolver, &raw, &opts).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mailsleuth verify: {}: {e}", args.message.display());
            return exit::USAGE.into();
        }
    };
    if env.global.json {
        let mut doc = serde_json::to_value(&report).unwrap_or_default();
        doc["schema_version"] = serde_json::json!(crate::render::json::SCHEMA_VERSION);
        if env.global.trace_dns {
            doc["dns"] = serde_json::to_value(dns.resolver.log()).unwrap_or_default();
        }
        crate::render::json::print(&doc);
    } else {
        let style = Style { color: env.color };
        println!("{}", style.heading(&format!("Verification of {}", args.message.display())));
        println!("{}", style.bold(&report.authentication_results));
        println!();
        let v = &report.dmarc_overall;
        println!("DMARC: {} for {}", style.bold(v.result.as_str()), if v.from_domain.is_empty() { "(no From domain)" } else { &v.from_domain });
        if let Some(a) = v.policy {
            println!("  policy that applies: {} ({}{})", a.disposition.as_str(), a.tag, if v.pct < 100 { format!(", pct={}", v.pct) } else { String::new() });
        }
        for c in &v.checks {
            println!("  - {}", c.explanation);
        }
        if let Some(s) = &report.spf {
            if s.domain.is_empty() {
                println!("SPF: {} (the header names no domain) — {}", s.result, s.source);
            } else {
                println!("SPF: {} for {} — {}", s.result, s.domain, s.source);
            }
            if let Some(ev) = &s.evaluation {
                println!("  {}", ev.trace.reason);
                let mut lines = Vec::new();
                ev.trace.render_lines(1, &mut lines);
                println!("  {}", style.dim("trace:"));
                for l in lines {
                    println!("{l}");
                }
            }
        }
        if let Some(a) = &report.arc {
            println!("ARC: {} set(s); seals: {}", a.sets, a.seals.iter().map(|(i, cv)| format!("i={i} cv={cv}")).collect::<Vec<_>>().join(", "));
        }
        println!();
        for f in &report.findings {
            print!("{}", text::finding(style, f, "  "));
        }
        if env.global.trace_dns {
            print_dns_log(style, &dns.resolver);
        }
    }
    exit_for(&report.findings)
}
