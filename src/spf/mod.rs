//! SPF: RFC 7208 parser, diagnostic check_host() with a trace, and lint.
//! (Issue #3; this module owns its parser(s), evaluator(s) and CLI command.)

pub mod cli;
pub mod conformance;
mod diagnose;
pub mod esp;
pub mod lint;
mod lint_findings;
pub mod macros;
pub mod parse;
pub mod verify;
#[cfg(test)]
mod verify_tests;

pub use diagnose::{evaluation_findings, find_authorisation, insert_term, Authorisation, Identity};
pub use lint::{lint, Lint};
pub use verify::{check_host, Evaluation, Query, SpfResult, Trace};

use crate::diagnose::Context;
use crate::finding::Finding;

/// The findings this module contributes to `mailsleuth diagnose`.
pub async fn diagnose(ctx: &Context) -> Vec<Finding> {
    diagnose::diagnose(ctx).await
}
