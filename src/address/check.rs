//! Findings about the sender address itself.

use crate::finding::Finding;

/// Findings for the raw sender text (syntax, length limits, SMTPUTF8, IDN).
pub fn check(raw: &str) -> Vec<Finding> {
    let _ = raw;
    Vec::new()
}
