//! Bounce messages (RFC 3464 DSNs and MTA-specific formats) and ESP webhook events.
//! (Issue #6.) `parse` reads one message, `input` walks files, maildirs and mboxes,
//! `events` reads ESP event JSON, and `read_for_diagnosis` feeds `diagnose --bounce`.

pub mod bulk;
pub mod cli;
pub mod conformance;
pub mod dsn;
pub mod events;
pub mod input;
pub mod parse;
pub mod text;

use std::path::Path;

pub use parse::{parse_message, Bounce, Failure, NotBounce};

/// What `diagnose --bounce` takes from a bounce: the failed recipient, the reply, the sender.
#[derive(Debug, Clone, Default)]
pub struct BounceFacts {
    pub sender: Option<String>,
    pub recipient: Option<String>,
    pub reply: Option<crate::reply::Reply>,
    pub remote_host: Option<String>,
    /// From of the returned message (or the event's From).
    pub from_header: Option<String>,
    /// (d=, s=) of the DKIM signatures seen in the returned message.
    pub dkim: Vec<(String, String)>,
    /// "rfc3464", "exim", ..., or "event:ses" etc.
    pub source: String,
}

/// Read one bounce message, or an ESP event JSON file (detected by content), for
/// `diagnose --bounce`. The first failure that is not a success is used. Errors name the
/// path once: `PATH: what is wrong`.
pub fn read_for_diagnosis(path: &Path) -> Result<BounceFacts, String> {
    let raw = input::read_bounded(path)?;
    facts_of(&raw).map_err(|e| format!("{}: {e}", path.display()))
}

fn facts_of(raw: &[u8]) -> Result<BounceFacts, String> {
    if events::looks_like_json(raw) {
        let evs = events::parse(raw)?;
        let e = evs.into_iter().next().ok_or("the JSON holds no bounce event")?;
        return Ok(BounceFacts {
            sender: e.sender,
            recipient: Some(e.recipient),
            reply: e.diagnostic.as_deref().map(crate::reply::parse),
            remote_host: e.remote_host,
            from_header: e.from_header,
            dkim: Vec::new(),
            source: format!("event:{}", e.provider),
        });
    }
    let b = parse_message(raw).map_err(|e| e.to_string())?;
    let f = b
        .failures
        .iter()
        .find(|f| f.action.as_deref().is_none_or(|a| a == "failed" || a == "delayed"))
        .or(b.failures.first())
        .ok_or("the bounce names no recipient")?;
    let mut reply = f.explanation.reply.clone();
    if reply.enhanced.is_none() {
        reply.enhanced = f.status;
    }
    Ok(BounceFacts {
        sender: b.sender.clone(),
        recipient: Some(f.recipient.clone()).filter(|r| !r.is_empty()),
        reply: Some(reply),
        remote_host: f.remote_host.clone(),
        from_header: b.from_header.clone(),
        dkim: b.dkim.clone(),
        source: b.format.to_string(),
    })
}
