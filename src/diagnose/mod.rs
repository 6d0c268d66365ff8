//! The main job: run every relevant check concurrently and rank the probable causes.

pub mod bundle;
pub mod causes;
pub mod context;
pub mod inputs;
pub mod live;
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
    /// The live probe's session (`diagnose --smtp`), redacted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub smtp_transcript: Vec<String>,
    /// What a live probe found (kept apart so evidence bundles can carry it).
    #[serde(skip)]
    pub probe_findings: Vec<Finding>,
    /// What the SMTP checks found (e.g. a sender-verify callout), kept for bundles.
    #[serde(skip)]
    pub smtp_findings: Vec<Finding>,
}

impl Diagnosis {
    /// 1 with an error-level cause (see `Cause::is_error`); 3 when nothing explains it but checks could not run; else 0.
    pub fn exit_code(&self) -> u8 {
        use crate::cli::exit;
        if self.causes.iter().any(|c| c.is_error(self.reply.as_ref())) {
            exit::PROBLEM
        } else if !self.unchecked.is_empty() {
            exit::INCOMPLETE
        } else {
            exit::OK
        }
    }
}

/// Run every check that applies to the context, concurrently. Returns every finding, and
/// apart the SMTP module's (live callouts), which evidence bundles carry.
pub async fn collect_findings(ctx: &Context) -> (Vec<Finding>, Vec<Finding>) {
    let mut findings = crate::address::check(&ctx.sender_raw);
    let (domain, spf, dmarc, dkim, host, smtp) = tokio::join!(
        crate::domain::diagnose(ctx),
        crate::spf::diagnose(ctx),
        crate::dmarc::diagnose(ctx),
        crate::dkim::diagnose(ctx),
        crate::host::diagnose(ctx),
        async {
            match &ctx.carried_smtp {
                // A replay never talks SMTP: it has what the live run saw.
                Some(recorded) => recorded.clone(),
                None => crate::smtp::diagnose(ctx).await,
            }
        },
    );
    for part in [domain, spf, dmarc, dkim, host] {
        findings.extend(part);
    }
    findings.extend(smtp.iter().cloned());
    (findings, smtp)
}

/// Diagnose: collect findings, then rank them against the rejection.
pub async fn diagnose(ctx: &Context) -> Diagnosis {
    // A live probe comes first: the rejection it observes is what the others are ranked against.
    let mut ctx = ctx.clone();
    let mut findings = ctx.carried_findings.clone();
    let mut probe_findings = Vec::new();
    let mut smtp_transcript = ctx.carried_transcript.clone();
    if let Some(probe) = crate::smtp::probe_for_diagnosis(&ctx).await {
        if ctx.reply.is_none() {
            ctx.reply = probe.reply;
        }
        probe_findings = probe.findings;
        smtp_transcript = probe.transcript;
        findings.extend(probe_findings.iter().cloned());
    }
    let ctx = &ctx;
    let (checked, smtp_findings) = collect_findings(ctx).await;
    findings.extend(checked);
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
        smtp_transcript,
        probe_findings,
        smtp_findings,
    }
}
