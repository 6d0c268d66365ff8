//! ESP bounce events (JSON): Amazon SES (an SNS notification or the bare notification,
//! also from configuration-set event publishing), SendGrid event webhook, Mailgun events
//! (webhook or events API), Postmark bounce webhook, SparkPost webhook — detected from
//! the shape of the document and normalised into one record. Non-bounce events
//! (delivered, open, click) are skipped.

use serde::Serialize;
use serde_json::Value;

use crate::reply::{self, EnhancedCode};

/// One normalised ESP bounce event.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// "ses", "sendgrid", "mailgun", "postmark", "sparkpost".
    pub provider: &'static str,
    pub recipient: String,
    /// The envelope sender (Return-Path) the ESP used, when the event says.
    pub sender: Option<String>,
    pub from_header: Option<String>,
    /// "permanent" or "transient" (the provider's own word kept in `bounce_kind`).
    pub permanence: Option<&'static str>,
    pub bounce_kind: Option<String>,
    pub status: Option<EnhancedCode>,
    pub reply_code: Option<u16>,
    pub diagnostic: Option<String>,
    pub remote_host: Option<String>,
    pub timestamp: Option<String>,
    pub message_id: Option<String>,
    /// `explain` on the diagnostic (with the event's status when the text has none).
    pub explanation: Option<reply::Explanation>,
}

/// JSON, not a message: the first non-blank byte is `{` or `[`.
pub fn looks_like_json(raw: &[u8]) -> bool {
    raw.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|&b| b == b'{' || b == b'[')
}

/// Parse an event document (one event, an array of events, an SNS envelope, a Mailgun
/// events page). Input that only starts like JSON (`[package]`) is said to be neither a
/// message nor an event document.
pub fn parse(raw: &[u8]) -> Result<Vec<Event>, String> {
    let v: Value = serde_json::from_slice(raw)
        .map_err(|e| format!("neither a bounce message nor an ESP event JSON (not valid JSON: {e})"))?;
    let mut out = Vec::new();
    collect(&v, &mut out, 0);
    if out.is_empty() {
        return Err("no bounce event of a known provider (SES, SendGrid, Mailgun, Postmark, SparkPost) in this JSON".into());
    }
    Ok(out)
}

fn s(v: &Value, k: &str) -> Option<String> {
    match v.get(k)? {
        Value::String(x) if !x.trim().is_empty() => Some(x.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn path<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(v, |v, k| v.get(k))
}

fn status_of(v: Option<String>) -> Option<EnhancedCode> {
    v.and_then(|x| x.split_whitespace().next().and_then(|t| t.parse().ok()))
}

/// Fill the codes from the diagnostic when the event does not give them separately.
fn finish(mut e: Event) -> Event {
    if let Some(d) = &e.diagnostic {
        let d = d.strip_prefix("smtp;").or_else(|| d.strip_prefix("smtp; ")).unwrap_or(d).trim().to_string();
        let (c, x) = reply::parse::codes(&d);
        e.reply_code = e.reply_code.or(c);
        e.status = e.status.or(x);
        e.diagnostic = Some(d);
    }
    if let Some(d) = &e.diagnostic {
        let mut r = reply::parse(d);
        r.code = r.code.or(e.reply_code);
        r.enhanced = r.enhanced.or(e.status);
        e.explanation = Some(reply::explain_reply(r));
    }
    if e.permanence.is_none() {
        e.permanence = match e.status.map(|s| s.class).or(e.reply_code.map(|c| (c / 100) as u8)) {
            Some(5) => Some("permanent"),
            Some(4) => Some("transient"),
            _ => None,
        };
    }
    e
}

fn blank(provider: &'static str, recipient: String) -> Event {
    Event {
        provider,
        recipient,
        sender: None,
        from_header: None,
        permanence: None,
        bounce_kind: None,
        status: None,
        reply_code: None,
        diagnostic: None,
        remote_host: None,
        timestamp: None,
        message_id: None,
        explanation: None,
    }
}

fn collect(v: &Value, out: &mut Vec<Event>, depth: usize) {
    if depth > 6 || out.len() > 100_000 {
        return;
    }
    match v {
        Value::Array(items) => {
            for i in items {
                collect(i, out, depth + 1);
            }
            return;
        }
        Value::Object(_) => {}
        _ => return,
    }
    // SNS envelope: the SES notification is a JSON string in "Message".
    if v.get("Type").and_then(Value::as_str) == Some("Notification") {
        if let Some(Ok(inner)) = v.get("Message").and_then(Value::as_str).map(serde_json::from_str::<Value>) {
            collect(&inner, out, depth + 1);
        }
        return;
    }
    // Mailgun: a webhook wraps the event in "event-data"; the events API pages in "items".
    if let Some(ed) = v.get("event-data") {
        collect(ed, out, depth + 1);
        return;
    }
    if let Some(items) = v.get("items").filter(|i| i.is_array()) {
        collect(items, out, depth + 1);
        return;
    }
    // SparkPost: [{"msys": {"message_event": {...}}}].
    if let Some(m) = v.get("msys") {
        if let Some(me) = m.get("message_event") {
            sparkpost(me, out);
        }
        return;
    }
    if v.get("notificationType").is_some() || v.get("eventType").is_some() && v.get("mail").is_some() {
        ses(v, out);
    } else if v.get("RecordType").is_some() || (v.get("TypeCode").is_some() && v.get("Email").is_some()) {
        postmark(v, out);
    } else if v.get("event").is_some() && v.get("email").is_some() {
        sendgrid(v, out);
    } else if v.get("event").is_some() && v.get("recipient").is_some() {
        mailgun(v, out);
    }
}

fn ses(v: &Value, out: &mut Vec<Event>) {
    let kind = s(v, "notificationType").or_else(|| s(v, "eventType")).unwrap_or_default();
    let mail = v.get("mail");
    let sender = mail.and_then(|m| s(m, "source"));
    let from = mail.and_then(|m| path(m, &["commonHeaders", "from"])).and_then(|f| f.get(0)).and_then(Value::as_str).and_then(crate::bounce::text::find_address);
    let msgid = mail.and_then(|m| s(m, "messageId"));
    let (list, b) = match kind.as_str() {
        "Bounce" => (v.get("bounce").and_then(|b| b.get("bouncedRecipients")), v.get("bounce")),
        "Complaint" => return,
        _ => return,
    };
    let Some(b) = b else { return };
    let permanence = match s(b, "bounceType").as_deref() {
        Some("Permanent") => Some("permanent"),
        Some("Transient") => Some("transient"),
        _ => None,
    };
    let kind = [s(b, "bounceType"), s(b, "bounceSubType")].into_iter().flatten().collect::<Vec<_>>().join("/");
    for r in list.and_then(Value::as_array).into_iter().flatten() {
        let Some(addr) = s(r, "emailAddress") else { continue };
        let mut e = blank("ses", addr);
        e.sender = sender.clone();
        e.from_header = from.clone();
        e.permanence = permanence;
        e.bounce_kind = Some(kind.clone()).filter(|k| !k.is_empty());
        e.status = status_of(s(r, "status"));
        e.diagnostic = s(r, "diagnosticCode");
        e.remote_host = s(b, "remoteMtaIp").or_else(|| s(b, "reportingMTA").map(|m| crate::bounce::dsn::strip_type(&m).to_string()));
        e.timestamp = s(b, "timestamp");
        e.message_id = msgid.clone();
        out.push(finish(e));
    }
}

fn sendgrid(v: &Value, out: &mut Vec<Event>) {
    let ev = s(v, "event").unwrap_or_default();
    if !matches!(ev.as_str(), "bounce" | "dropped" | "deferred" | "blocked") {
        return;
    }
    let mut e = blank("sendgrid", s(v, "email").unwrap_or_default());
    e.permanence = match ev.as_str() {
        "deferred" => Some("transient"),
        _ => Some("permanent"),
    };
    e.bounce_kind = Some([Some(ev.clone()), s(v, "type"), s(v, "bounce_classification")].into_iter().flatten().collect::<Vec<_>>().join("/"));
    e.status = status_of(s(v, "status"));
    e.diagnostic = s(v, "reason").or_else(|| s(v, "response"));
    e.timestamp = s(v, "timestamp");
    e.message_id = s(v, "smtp-id").or_else(|| s(v, "sg_message_id"));
    e.from_header = s(v, "from");
    out.push(finish(e));
}

fn mailgun(v: &Value, out: &mut Vec<Event>) {
    let ev = s(v, "event").unwrap_or_default();
    if !matches!(ev.as_str(), "failed" | "bounced" | "dropped" | "rejected") {
        return;
    }
    let mut e = blank("mailgun", s(v, "recipient").unwrap_or_default());
    e.permanence = match s(v, "severity").as_deref() {
        Some("permanent") => Some("permanent"),
        Some("temporary") => Some("transient"),
        _ => None,
    };
    e.bounce_kind = Some([Some(ev), s(v, "severity"), s(v, "reason")].into_iter().flatten().collect::<Vec<_>>().join("/"));
    let ds = v.get("delivery-status");
    e.reply_code = ds.and_then(|d| d.get("code")).and_then(Value::as_u64).and_then(|c| u16::try_from(c).ok()).filter(|c| (200..600).contains(c));
    e.status = status_of(ds.and_then(|d| s(d, "enhanced-code")));
    e.diagnostic = ds.and_then(|d| s(d, "message").or_else(|| s(d, "description")));
    e.remote_host = ds.and_then(|d| s(d, "mx-host"));
    e.sender = path(v, &["envelope", "sender"]).and_then(Value::as_str).map(str::to_string);
    e.from_header = path(v, &["message", "headers", "from"]).and_then(Value::as_str).and_then(crate::bounce::text::find_address);
    e.message_id = path(v, &["message", "headers", "message-id"]).and_then(Value::as_str).map(str::to_string);
    e.timestamp = s(v, "timestamp");
    out.push(finish(e));
}

fn postmark(v: &Value, out: &mut Vec<Event>) {
    if s(v, "RecordType").is_some_and(|t| t != "Bounce") {
        return;
    }
    let mut e = blank("postmark", s(v, "Email").unwrap_or_default());
    let kind = s(v, "Type");
    // Postmark's types: HardBounce, SoftBounce, Transient, DnsError, SpamNotification, ...
    e.permanence = match kind.as_deref() {
        Some("HardBounce" | "BadEmailAddress" | "ManuallyDeactivated" | "Blocked" | "SpamNotification" | "Unsubscribe") => Some("permanent"),
        Some("SoftBounce" | "Transient" | "DnsError" | "AutoResponder" | "ChallengeVerification") => Some("transient"),
        _ => None,
    };
    e.bounce_kind = kind;
    e.diagnostic = s(v, "Details").or_else(|| s(v, "Description"));
    e.from_header = s(v, "From");
    e.timestamp = s(v, "BouncedAt");
    e.message_id = s(v, "MessageID");
    out.push(finish(e));
}

fn sparkpost(v: &Value, out: &mut Vec<Event>) {
    let ty = s(v, "type").unwrap_or_default();
    if !matches!(ty.as_str(), "bounce" | "out_of_band" | "delay" | "policy_rejection" | "generation_rejection") {
        return;
    }
    let mut e = blank("sparkpost", s(v, "rcpt_to").unwrap_or_default());
    e.permanence = if ty == "delay" { Some("transient") } else { None };
    e.bounce_kind = Some([Some(ty), s(v, "bounce_class").map(|c| format!("class {c}"))].into_iter().flatten().collect::<Vec<_>>().join("/"));
    e.reply_code = s(v, "error_code").and_then(|c| c.parse().ok()).filter(|c| (200..600).contains(c));
    e.diagnostic = s(v, "raw_reason").or_else(|| s(v, "reason"));
    e.sender = s(v, "mailfrom");
    e.from_header = s(v, "friendly_from");
    // sending_ip is SparkPost's own outbound IP; ip_address is "the host to which SparkPost
    // delivered this message" (the remote MTA), unless it is just the sending IP again.
    let sending = s(v, "sending_ip");
    e.remote_host = s(v, "ip_address").filter(|ip| !ip.is_empty() && Some(ip) != sending.as_ref());
    e.timestamp = s(v, "timestamp");
    e.message_id = s(v, "message_id");
    out.push(finish(e));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_json_and_unknown_json() {
        assert!(!looks_like_json(b"Return-Path: <>\n"));
        assert!(looks_like_json(b"  [{}]"));
        assert!(parse(b"{\"hello\": 1}").is_err());
        assert!(parse(b"{not json").is_err());
    }

    #[test]
    fn sendgrid_delivered_is_skipped() {
        let v = br#"[{"email":"a@x.example","event":"delivered"},{"email":"b@x.example","event":"bounce","status":"5.1.1","reason":"550 5.1.1 no such user"}]"#;
        let e = parse(v).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].recipient, "b@x.example");
        assert_eq!(e[0].reply_code, Some(550));
    }
}
