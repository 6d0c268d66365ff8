//! `mailsleuth dkim`: DKIM key records for a domain.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::{exit, Env};
use crate::finding::{Finding, Fix, Severity};
use crate::render::text::{self, Style};

#[derive(Debug, clap::Args)]
pub struct DkimArgs {
    /// The signing domain (d=).
    pub domain: String,
    /// Selector to check (repeatable); only these are tried. Without one, the selectors of
    /// --message and the common provider selectors are tried.
    #[arg(long = "selector", short = 's', value_name = "S")]
    pub selectors: Vec<String>,
    /// Take the selectors from this message's DKIM-Signature headers (d= of DOMAIN).
    #[arg(long, value_name = "FILE")]
    pub message: Option<PathBuf>,
}

/// (d=, s=) of every DKIM-Signature header of `raw`, lower case, in order, without repeats.
fn signatures_in_message(raw: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(msg) = mail_auth::AuthenticatedMessage::parse(raw) else { return out };
    for (name, value) in &msg.headers {
        if name.eq_ignore_ascii_case(b"DKIM-Signature") {
            let tags = super::verify::sig_tags(value);
            let get = |k: &str| tags.iter().find(|(n, _)| n == k).map(|(_, v)| v.to_ascii_lowercase());
            if let (Some(d), Some(s)) = (get("d"), get("s")) {
                if !out.contains(&(d.clone(), s.clone())) {
                    out.push((d, s));
                }
            }
        }
    }
    out
}

/// Selectors named by DKIM-Signature headers of `raw` for `domain`.
pub fn selectors_in_message(raw: &[u8], domain: &str) -> Vec<String> {
    signatures_in_message(raw).into_iter().filter(|(d, _)| d == domain).map(|(_, s)| s).collect()
}

/// A message signed only for other domains than the one asked about: say so, rather than
/// silently probing none of its selectors.
fn other_domains_finding(raw: &[u8], domain: &str, path: &std::path::Path) -> Option<Finding> {
    let sigs = signatures_in_message(raw);
    let mut others: Vec<&str> = sigs.iter().filter(|(d, _)| d != domain).map(|(d, _)| d.as_str()).collect();
    others.dedup();
    if others.is_empty() || sigs.iter().any(|(d, _)| d == domain) {
        return None;
    }
    Some(
        Finding::new("dkim.message-other-domain", Severity::Info, format!("The message is signed for {}, not {domain}", others.iter().map(|d| format!("d={d}")).collect::<Vec<_>>().join(", ")))
            .evidences(sigs.iter().map(|(d, s)| format!("DKIM-Signature d={d} s={s}")))
            .detail(format!("Its selectors belong to {}; for DMARC a signature helps {domain} only when its d= aligns with the From domain.", others.join(", ")))
            .fix(Fix::setting(format!("To check that key: mailsleuth dkim {} --message {}", others[0], path.display()))),
    )
}

pub async fn run(args: DkimArgs, env: &Env) -> ExitCode {
    let domain = crate::dmarc::psl::to_ascii(&crate::dns::normalize(&args.domain));
    if crate::dns::invalid_name(&domain).is_some() || !super::verify::valid_dns_name(&domain) {
        eprintln!("mailsleuth dkim: {:?} is not a domain name", args.domain);
        return exit::USAGE.into();
    }
    let mut selectors = args.selectors.clone();
    // Only --selector limits the probe to what is named; a message's selectors are
    // tried together with the common provider selectors.
    let common = args.selectors.is_empty();
    let mut notes = Vec::new();
    if let Some(path) = &args.message {
        match crate::dmarc::message::read_message(path) {
            Ok(raw) => {
                notes.extend(other_domains_finding(&raw, &domain, path));
                for s in selectors_in_message(&raw, &domain) {
                    if !selectors.contains(&s) {
                        selectors.push(s);
                    }
                }
            }
            Err(e) => {
                eprintln!("mailsleuth dkim: {e}");
                return exit::USAGE.into();
            }
        }
    }
    if let Some(bad) = selectors.iter().find(|s| !super::verify::valid_dns_name(s)) {
        eprintln!("mailsleuth dkim: selector {bad:?} is not a valid DNS label sequence");
        return exit::USAGE.into();
    }
    let dns = match env.dns().await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("mailsleuth dkim: {e}");
            return e.exit_code().into();
        }
    };
    let (checks, mut findings) = super::inspect_selectors(&dns.resolver, &domain, &selectors, common).await;
    findings.extend(notes);
    let tried: Vec<&str> = checks.iter().map(|c| c.selector.as_str()).collect();
    if env.global.json {
        crate::render::json::print(&serde_json::json!({
            "schema_version": crate::render::json::SCHEMA_VERSION,
            "domain": domain,
            "tried": tried,
            "selectors": checks.iter().filter(|c| c.found() || !c.cnames.is_empty() || c.outcome.is_failure() || selectors.contains(&c.selector)).collect::<Vec<_>>(),
            "findings": findings,
            "dns": if env.global.trace_dns { serde_json::to_value(dns.resolver.log()).ok() } else { None },
        }));
    } else {
        let style = Style { color: env.color };
        println!("{}", style.heading(&format!("DKIM keys of {domain}")));
        for f in &findings {
            print!("{}", text::finding(style, f, "  "));
        }
        println!("{}", style.dim(&format!("  selectors tried: {}", tried.join(", "))));
        if env.global.trace_dns {
            for q in dns.resolver.log() {
                println!("{}", style.dim(&format!("  dns: {} {} -> {} ({:.1} ms)", q.name, q.rtype, q.outcome, q.elapsed_ms)));
            }
        }
    }
    if findings.iter().any(|f| f.severity == Severity::Error) {
        exit::PROBLEM.into()
    } else if !checks.is_empty() && checks.iter().all(|c| c.outcome.is_failure()) {
        exit::INCOMPLETE.into()
    } else {
        exit::OK.into()
    }
}
