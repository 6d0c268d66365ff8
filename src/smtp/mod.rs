//! SMTP probe: client, transcript, stage that rejected, sender-verify callout.
//! (Issue #5; this module owns its parser(s), evaluator(s) and CLI command.)

pub mod cli;

use crate::diagnose::Context;
use crate::finding::Finding;

/// The findings this module contributes to `mailsleuth diagnose`.
pub async fn diagnose(ctx: &Context) -> Vec<Finding> {
    let _ = ctx;
    Vec::new()
}

/// What a live probe run by `diagnose --smtp` observed.
#[derive(Debug, Clone, Default)]
pub struct ProbeOutcome {
    /// The rejecting reply, if the server rejected; it feeds the ranking.
    pub reply: Option<crate::reply::Reply>,
    pub findings: Vec<Finding>,
}

/// Run the probe that `diagnose --smtp` asks for (None when no server was given).
/// Runs before the other checks, because the reply it observes ranks them.
pub async fn probe_for_diagnosis(ctx: &Context) -> Option<ProbeOutcome> {
    ctx.smtp_server.as_ref()?;
    None
}
