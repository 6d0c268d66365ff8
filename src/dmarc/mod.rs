//! DMARC: record parsing and lint, policy discovery, alignment.
//! (Issue #4; this module owns its parser(s), evaluator(s) and CLI command.)

pub mod cli;

use crate::diagnose::Context;
use crate::finding::Finding;

/// The findings this module contributes to `mailsleuth diagnose`.
pub async fn diagnose(ctx: &Context) -> Vec<Finding> {
    let _ = ctx;
    Vec::new()
}
