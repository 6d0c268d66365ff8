//! Bounce messages (RFC 3464 DSNs and MTA-specific formats) and ESP webhook events.
//! (Issue #6.)

pub mod cli;

use std::path::Path;

/// What `diagnose --bounce` takes from a bounce: the failed recipient, the reply, the sender.
#[derive(Debug, Clone, Default)]
pub struct BounceFacts {
    pub sender: Option<String>,
    pub recipient: Option<String>,
    pub reply: Option<crate::reply::Reply>,
    pub remote_host: Option<String>,
}

/// Read one bounce message for `diagnose --bounce` (minimal until the bounce parser lands).
pub fn read_for_diagnosis(path: &Path) -> Result<BounceFacts, String> {
    let _ = path;
    Err("bounce parsing is not available yet".to_string())
}
