//! The main job: run every relevant check concurrently and rank the probable causes.

pub mod bundle;
pub mod causes;
pub mod context;
pub mod inputs;
pub mod rank;
pub mod scenarios;

pub use context::{Context, Options};
pub use rank::{rank, Cause, Status};

use serde::Serialize;

use crate::dns::QueryLogEntry;
use crate::finding::Finding;

/// The result of a diagnosis: ranked causes first, then everything else that was seen.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub sender: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<crate::reply::Reply>,
    /// Probable causes, most likely first.
    pub causes: Vec<Cause>,
    /// Every other finding (ok, info, and problems that do not explain this rejection).
    pub findings: Vec<Finding>,
    /// What could not be checked, and why.
    pub unchecked: Vec<Finding>,
    /// What mailsleuth took from the inputs (e.g. the sending IP found in a bounce).
    pub notes: Vec<String>,
    /// Where DNS answers came from.
    pub dns_source: String,
    pub dns_queries: Vec<QueryLogEntry>,
    /// What a live probe found (kept apart so evidence bundles can carry it).
    #[serde(skip)]
    pub probe_findings: Vec<Finding>,
}

impl Diagnosis {
    /// 1 with an error-level cause; 3 when nothing explains it but checks could not run; else 0.
    pub fn exit_code(&self) -> u8 {
        use crate::cli::exit;
        if self.causes.iter().any(Cause::is_error) {
            exit::PROBLEM
        } else if !self.unchecked.is_empty() {
            exit::INCOMPLETE
        } else {
            exit::OK
        }
    }
}

/// Run every check that applies to the context, concurrently.
pub async fn collect_findings(ctx: &Context) -> Vec<Finding> {
    let mut findings = crate::address::check(&ctx.sender_raw);
    let (domain, spf, dmarc, dkim, host, smtp) = tokio::join!(
        crate::domain::diagnose(ctx),
        crate::spf::diagnose(ctx),
        crate::dmarc::diagnose(ctx),
        crate::dkim::diagnose(ctx),
        crate::host::diagnose(ctx),
        crate::smtp::diagnose(ctx),
    );
    for part in [domain, spf, dmarc, dkim, host, smtp] {
        findings.extend(part);
    }
    findings
}

/// Diagnose: collect findings, then rank them against the rejection.
pub async fn diagnose(ctx: &Context) -> Diagnosis {
    // A live probe comes first: the rejection it observes is what the others are ranked against.
    let mut ctx = ctx.clone();
    let mut findings = ctx.carried_findings.clone();
    let mut probe_findings = Vec::new();
    if let Some(probe) = crate::smtp::probe_for_diagnosis(&ctx).await {
        if ctx.reply.is_none() {
            ctx.reply = probe.reply;
        }
        probe_findings = probe.findings;
        findings.extend(probe_findings.iter().cloned());
    }
    let ctx = &ctx;
    findings.extend(collect_findings(ctx).await);
    let (causes, rest, unchecked) = rank(findings, ctx);
    Diagnosis {
        sender: ctx.sender_raw.clone(),
        sender_domain: ctx.sender_domain().map(str::to_string),
        ip: ctx.ip.map(|i| i.to_string()),
        helo: ctx.helo.clone(),
        recipient: ctx.recipient.clone(),
        reply: ctx.reply.clone(),
        causes,
        findings: rest,
        unchecked,
        notes: ctx.notes.clone(),
        dns_source: ctx.resolver.describe(),
        dns_queries: ctx.resolver.log(),
        probe_findings,
    }
}
