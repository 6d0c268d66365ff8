//! One bounce message -> a `Bounce`: RFC 3464 reports through mail-parser (the
//! message/delivery-status body arrives as bytes; `dsn` splits its field groups), and
//! the MTAs' own plain-text formats (Postfix without DSN, qmail, Exim, Sendmail,
//! Exchange, Gmail, Yahoo, ...) through `text`. LF, CRLF and CR line endings alike.

use std::borrow::Cow;

use mail_parser::{HeaderValue, MessageParser, MimeHeaders, PartType};
use serde::Serialize;

use super::dsn;
use super::text;
use crate::reply::{self, EnhancedCode, Explanation};

/// Input larger than this is refused with a clear error (a 50 MB attachment is not a
/// bounce we need to read in full: the report and the headers come first).
pub const MAX_MESSAGE: usize = 64 * 1024 * 1024;
/// Only the first part of a big message is parsed; reports sit at the start.
pub const PARSE_PREFIX: usize = 4 * 1024 * 1024;

/// One recipient the bounce reports on.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub recipient: String,
    /// RFC 3464 Action (failed, delayed, delivered, relayed, expanded), when given.
    pub action: Option<String>,
    pub status: Option<EnhancedCode>,
    pub reply_code: Option<u16>,
    pub diagnostic: Option<String>,
    pub remote_host: Option<String>,
    /// The SMTP command the remote host answered ("RCPT", "MAIL", "DATA", ...).
    pub command: Option<String>,
    pub last_attempt: Option<String>,
    pub explanation: Explanation,
}

impl Failure {
    /// A failure counts as sender-side when its cause is one the sender can fix.
    pub fn sender_side(&self) -> bool {
        self.explanation.sender_side
    }
}

/// A parsed bounce.
#[derive(Debug, Clone, Serialize)]
pub struct Bounce {
    /// "rfc3464" or the plain-text family recognised ("exim", "qmail", ...).
    pub format: &'static str,
    pub reporting_mta: Option<String>,
    /// The original envelope sender (X-Postfix-Sender, the returned message's
    /// Return-Path, else the bounce's own To: a bounce goes to the envelope sender).
    pub sender: Option<String>,
    /// From of the returned message.
    pub from_header: Option<String>,
    pub message_id: Option<String>,
    /// (d=, s=) of each DKIM-Signature in the returned message.
    pub dkim: Vec<(String, String)>,
    pub subject: Option<String>,
    pub failures: Vec<Failure>,
}

/// Why a message gave no bounce.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotBounce {
    #[error("empty input")]
    Empty,
    #[error("too large ({0} bytes; at most {MAX_MESSAGE})")]
    TooLarge(usize),
    #[error("not a MIME message")]
    Unparseable,
    #[error("not a bounce")]
    NotABounce,
}

/// CR-only line endings (old Mac) become LF; CRLF and LF are left as they are.
fn normalise(raw: &[u8]) -> Cow<'_, [u8]> {
    if !raw.contains(&b'\r') {
        return Cow::Borrowed(raw);
    }
    let cr_only = raw.windows(2).filter(|w| w[0] == b'\r' && w[1] != b'\n').take(3).count() >= 3 || (raw.contains(&b'\r') && !raw.contains(&b'\n'));
    if !cr_only {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\r' {
            out.push(b'\n');
            if raw.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
        } else {
            out.push(raw[i]);
        }
        i += 1;
    }
    Cow::Owned(out)
}

fn first_address(v: Option<&HeaderValue<'_>>) -> Option<String> {
    match v? {
        HeaderValue::Address(a) => a.first().and_then(|a| a.address.as_ref()).map(|s| s.trim().to_string()).filter(|s| s.contains('@')),
        HeaderValue::Text(t) => text::find_address(t),
        _ => None,
    }
}

/// Facts taken from the returned message (or its headers).
#[derive(Default)]
struct Returned {
    return_path: Option<String>,
    from: Option<String>,
    to: Option<String>,
    message_id: Option<String>,
    dkim: Vec<(String, String)>,
}

fn dkim_tags(v: &str) -> Option<(String, String)> {
    let mut d = None;
    let mut s = None;
    for tag in v.split(';') {
        if let Some((k, val)) = tag.split_once('=') {
            let val: String = val.split_whitespace().collect();
            match k.trim() {
                "d" => d = Some(val.to_ascii_lowercase()),
                "s" => s = Some(val),
                _ => {}
            }
        }
    }
    Some((d?, s?))
}

/// Read header fields from a header block (as text), unfolded.
fn returned_from_headers(block: &str) -> Returned {
    let mut r = Returned::default();
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = fields.last_mut() {
                if v.len() < 8192 {
                    v.push(' ');
                    v.push_str(line.trim());
                }
            }
        } else if let Some((k, v)) = line.split_once(':') {
            if !k.contains(' ') && fields.len() < 500 {
                fields.push((k.to_ascii_lowercase(), v.trim().to_string()));
            }
        }
    }
    for (k, v) in fields {
        match k.as_str() {
            "return-path" if r.return_path.is_none() => r.return_path = text::find_address(&v),
            "from" if r.from.is_none() => r.from = text::find_address(&v),
            "to" if r.to.is_none() => r.to = text::find_address(&v),
            "message-id" if r.message_id.is_none() => r.message_id = Some(v.trim().trim_matches(['<', '>']).to_string()),
            "dkim-signature" => r.dkim.extend(dkim_tags(&v)),
            _ => {}
        }
    }
    r
}

/// `text` without its MIME delimiter lines for `boundaries` (`--B` and the closing `--B--`,
/// RFC 2046 §5.1.1: trailing white space allowed).
fn strip_delimiters(text: &str, boundaries: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let t = line.trim_end();
        let delimiter = t.strip_prefix("--").is_some_and(|b| boundaries.iter().any(|x| b == *x || b.strip_suffix("--") == Some(x)));
        if delimiter {
            out.push('\n');
        } else {
            out.push_str(line);
        }
    }
    out
}

/// Parse one message. `Err(NotBounce::NotABounce)` for ordinary mail.
pub fn parse_message(raw: &[u8]) -> Result<Bounce, NotBounce> {
    parse_depth(raw, 0)
}

/// How deep a bounce forwarded inside a message (a bounce of a bounce) is followed.
const MAX_NESTING: usize = 3;

fn parse_depth(raw: &[u8], depth: usize) -> Result<Bounce, NotBounce> {
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(NotBounce::Empty);
    }
    if raw.len() > MAX_MESSAGE {
        return Err(NotBounce::TooLarge(raw.len()));
    }
    let raw = &raw[..raw.len().min(PARSE_PREFIX)];
    let raw = normalise(raw);
    let msg = MessageParser::default().parse(raw.as_ref()).ok_or(NotBounce::Unparseable)?;
    let subject = msg.subject().map(str::to_string);
    let bounce_to = first_address(msg.header("To"));
    let bounce_from = first_address(msg.header("From")).unwrap_or_default().to_ascii_lowercase();

    // Walk the parts: the report, the human text, the returned message or headers.
    let mut status_body: Option<String> = None;
    let mut status_span: Option<(usize, usize)> = None;
    let mut notice = String::new();
    let mut returned: Option<Returned> = None;
    let mut returned_text: Option<String> = None;
    let mut nested: Vec<&[u8]> = Vec::new();
    for (i, part) in msg.parts.iter().enumerate() {
        let ct = part.content_type();
        let (ty, sub) = ct.map(|c| (c.ctype().to_ascii_lowercase(), c.subtype().unwrap_or("").to_ascii_lowercase())).unwrap_or_default();
        match (&part.body, ty.as_str(), sub.as_str()) {
            (_, "message", "delivery-status" | "global-delivery-status") | (_, "text", "delivery-status") if status_body.is_none() => {
                status_body = Some(String::from_utf8_lossy(part.contents()).into_owned());
                status_span = Some((part.offset_header as usize, part.offset_end as usize));
            }
            (PartType::Message(m), _, _) if returned.is_none() => {
                // The nested message's own bytes (its raw_message is the whole outer input).
                let _ = m;
                if let Some(b) = raw.get(part.offset_body as usize..part.offset_end as usize) {
                    nested.push(b);
                }
                let mut r = Returned::default();
                r.return_path = first_address(m.header("Return-Path"));
                r.from = first_address(m.header("From"));
                r.to = first_address(m.header("To"));
                r.message_id = m.message_id().map(str::to_string);
                for h in m.root_part().headers.iter().filter(|h| h.name.as_str().eq_ignore_ascii_case("DKIM-Signature")) {
                    if let Some(v) = m.raw_message.get(h.offset_start as usize..h.offset_end as usize) {
                        r.dkim.extend(dkim_tags(&String::from_utf8_lossy(v)));
                    }
                }
                returned = Some(r);
            }
            (_, "text", "rfc822-headers") | (_, "text", "rfc822-header") if returned.is_none() => {
                returned = Some(returned_from_headers(&String::from_utf8_lossy(part.contents())));
            }
            (PartType::Text(t), _, _) if i == 0 || msg.text_body.contains(&(i as u32)) => {
                if notice.len() < 256 * 1024 {
                    notice.push_str(t);
                    notice.push('\n');
                }
            }
            (PartType::Html(h), _, _) if notice.is_empty() && msg.html_body.contains(&(i as u32)) => {
                notice.push_str(&text::strip_html(h));
                notice.push('\n');
            }
            _ => {}
        }
    }
    // Broken MIME (a boundary the parser missed): read the body as text.
    if notice.trim().is_empty() {
        let root = &msg.parts[0];
        if let Some(b) = raw.get(root.offset_body as usize..(root.offset_end as usize).min(raw.len())) {
            let b = &b[..b.len().min(256 * 1024)];
            let t = match status_span {
                Some((s0, s1)) if s0 >= root.offset_body as usize && s1 <= root.offset_end as usize && s0 < s1 => {
                    let base = root.offset_body as usize;
                    let (a, z) = ((s0 - base).min(b.len()), (s1 - base).min(b.len()));
                    let mut v = b[..a].to_vec();
                    v.extend_from_slice(&b[z..]);
                    std::borrow::Cow::Owned(String::from_utf8_lossy(&v).into_owned())
                }
                _ => String::from_utf8_lossy(b),
            };
            // MIME delimiters (the root's and nested multiparts') are structure, not words
            // of the notice (they ended the last recipient's diagnostic: "Status: 2.0.0 --BB--").
            let boundaries: Vec<&str> = msg.parts.iter().filter_map(|p| p.content_type().and_then(|c| c.attribute("boundary"))).collect();
            let t = if boundaries.is_empty() { t } else { std::borrow::Cow::Owned(strip_delimiters(&t, &boundaries)) };
            notice = if t.contains("<html") || t.contains("<HTML") { text::strip_html(&t) } else { t.into_owned() };
        }
    }
    // Plain-text bounces carry the returned message inline after a separator.
    let (head, tail) = text::split_returned(&notice);
    if tail.is_some() {
        returned_text = tail.map(str::to_string);
        notice.truncate(head.len());
    }
    if returned.is_none() {
        if let Some(t) = &returned_text {
            returned = Some(returned_from_headers(t.trim_start_matches(['\n', '\r'])));
        }
    }
    // A report inline in the text (broken MIME): fields after a blank line.
    if status_body.is_none() {
        status_body = text::inline_status(&notice).map(str::to_string);
    }

    let mut bounce = Bounce {
        format: "text",
        reporting_mta: None,
        sender: None,
        from_header: None,
        message_id: None,
        dkim: Vec::new(),
        subject,
        failures: Vec::new(),
    };
    let mut postfix_sender = None;
    let x_failed = msg.header_raw("X-Failed-Recipients").map(str::to_string);
    let blocks = text::recipient_blocks(&notice, x_failed.as_deref());
    if let Some(body) = &status_body {
        let d = dsn::parse(body);
        bounce.reporting_mta = dsn::field(&d.per_message, "reporting-mta").map(|v| dsn::strip_type(v).to_string());
        postfix_sender = dsn::field(&d.per_message, "x-postfix-sender").map(dsn::clean_address).filter(|a| a.contains('@'));
        for g in &d.per_recipient {
            let recipient = dsn::field(g, "final-recipient").or(dsn::field(g, "original-recipient")).map(dsn::clean_address).unwrap_or_default();
            // Only an SMTP diagnostic carries reply codes ("X-Unix; 255" is an exit status).
            let diag_field = dsn::field(g, "diagnostic-code");
            let smtp_diag = diag_field.is_some_and(|v| match v.split_once(';') {
                Some((t, _)) => t.trim().eq_ignore_ascii_case("smtp") || t.trim().len() > 20,
                None => true,
            });
            let mut diagnostic = diag_field.filter(|_| smtp_diag).map(|v| dsn::strip_type(v).to_string());
            if diagnostic.as_deref().is_none_or(|d| crate::reply::parse::codes(d) == (None, None)) {
                // The notice often explains what the report leaves out.
                let from_notice = blocks.iter().find(|b| b.recipient.eq_ignore_ascii_case(&recipient)).map(|b| b.text.clone())
                    .or_else(|| (d.per_recipient.len() == 1).then(|| text::notice_reason(&notice)).filter(|t| !t.is_empty()));
                if let Some(t) = from_notice.filter(|t| crate::reply::parse::codes(t) != (None, None)) {
                    diagnostic = Some(match diagnostic {
                        Some(d) if !d.is_empty() => format!("{d} {t}"),
                        _ => t,
                    });
                }
            }
            if diagnostic.is_none() {
                diagnostic = diag_field.map(|v| dsn::strip_type(v).to_string());
            }
            let block = blocks.iter().find(|b| b.recipient.eq_ignore_ascii_case(&recipient)).map(|b| b.text.as_str());
            if diagnostic.as_deref().is_none_or(str::is_empty) {
                diagnostic = block.map(str::to_string);
            }
            let status = dsn::field(g, "status").and_then(|s| s.split_whitespace().next()).and_then(|s| s.parse::<EnhancedCode>().ok());
            let remote = dsn::field(g, "remote-mta").map(|v| dsn::strip_type(v).trim_matches(['[', ']']).to_string());
            let f = failure(recipient, dsn::field(g, "action").map(|a| a.to_ascii_lowercase()), status, diagnostic, remote, dsn::field(g, "last-attempt-date").map(str::to_string), &notice, block);
            bounce.failures.push(f);
        }
        if !bounce.failures.is_empty() {
            bounce.format = "rfc3464";
        }
    }
    if bounce.failures.is_empty() {
        let mut blocks = blocks;
        if blocks.is_empty() {
            // No recipient named in the notice: the returned message's To, if the notice
            // carries a reply.
            let reason = text::notice_reason(&notice);
            let named = returned.as_ref().and_then(|r| r.to.clone()).or_else(|| {
                // Otherwise the first address the notice names that is not the bounce's addressee.
                let own = bounce_to.clone().unwrap_or_default();
                text::addresses(&notice).into_iter().find(|a| !a.eq_ignore_ascii_case(&own))
            });
            if let Some(to) = named {
                if crate::reply::parse::codes(&reason) != (None, None) {
                    blocks.push(text::Block { recipient: to.to_ascii_lowercase(), text: reason });
                } else {
                    // A list or gateway that refuses the poster in prose, with no code.
                    let prose = text::collapse(crate::reply::parse::bounded(&notice, 4096));
                    if crate::reply::explain(&prose).sender_side {
                        blocks.push(text::Block { recipient: to.to_ascii_lowercase(), text: prose });
                    }
                }
            }
        }
        bounce.format = text::family(&notice, &bounce_from);
        for b in blocks {
            let status = text::status_in(&b.text);
            let f = failure(b.recipient, None, status, Some(b.text), None, None, &notice, None);
            bounce.failures.push(f);
        }
    }
    if bounce.failures.is_empty() || !text::looks_like_bounce(&bounce, &bounce_from, status_body.is_some()) {
        // A bounce forwarded as an attachment (or a bounce of a bounce): read the inner one.
        if depth < MAX_NESTING {
            for inner in nested {
                if let Ok(b) = parse_depth(inner, depth + 1) {
                    return Ok(b);
                }
            }
        }
        return Err(NotBounce::NotABounce);
    }
    let r = returned.unwrap_or_default();
    bounce.sender = postfix_sender.or(r.return_path.clone()).or(bounce_to).or(r.from.clone());
    for f in &mut bounce.failures {
        let rcpt = Some(f.recipient.as_str()).filter(|r| !r.is_empty());
        f.explanation.fill_in(bounce.sender.as_deref(), rcpt, None);
    }
    bounce.from_header = r.from;
    bounce.message_id = r.message_id;
    bounce.dkim = r.dkim;
    Ok(bounce)
}

/// Build one failure: codes from the diagnostic (or the notice), explanation, host, command.
fn failure(
    recipient: String,
    action: Option<String>,
    status: Option<EnhancedCode>,
    diagnostic: Option<String>,
    remote_host: Option<String>,
    last_attempt: Option<String>,
    notice: &str,
    context: Option<&str>,
) -> Failure {
    let mut diag_text = diagnostic.as_deref().map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "));
    // A multi-line reply folded into one line repeats its "550-5.7.26" prefix mid-text:
    // keep the first, drop the repeats.
    let first_codes = diag_text.as_deref().map(reply::parse::codes).unwrap_or((None, None));
    if let (Some(d), (Some(c), Some(e))) = (diag_text.as_mut(), first_codes) {
        for sep in ['-', ' '] {
            let tok = format!(" {c}{sep}{e} ");
            if let Some(first) = d.find(&format!("{c}{sep}{e}")) {
                let keep_to = first + tok.len() - 1;
                if keep_to <= d.len() {
                    let (head, tail) = d.split_at(keep_to.min(d.len()));
                    *d = format!("{head}{}", tail.replace(&tok, " "));
                }
            }
        }
    }
    let mut reply = reply::parse(diag_text.as_deref().unwrap_or(""));
    let (mut code, mut enhanced) = (reply.code, reply.enhanced);
    if code.is_none() && enhanced.is_none() && diag_text.as_deref().is_none_or(|d| d.is_empty()) {
        // No diagnostic: the notice's own text may carry the reply.
        let (c, e) = text::codes_near(notice, &recipient);
        code = c;
        enhanced = e;
    }
    // The reply's own enhanced code is more precise than the report's Status when they
    // share a class (reports often say 5.0.0 or 4.4.7 while the reply says 5.7.1).
    let mut status = match (status, enhanced) {
        (Some(s), Some(e)) if e.class == s.class => Some(e),
        (Some(s), _) => Some(s),
        (None, e) => e,
    };
    // "Message expired" (X.4.7) hides the reason the attempts failed; a later reply in
    // the diagnostic or the notice ("<421 4.4.2 Connection timed out>") names it.
    if status.is_some_and(|s| s.subject == 4 && s.detail == 7) {
        let inner = diag_text.as_deref().and_then(|d| text::inner_reply(d)).or_else(|| context.and_then(text::inner_reply)).or_else(|| text::inner_reply(&text::notice_reason(notice)));
        if let Some((c, e)) = inner {
            status = Some(e);
            if diag_text.as_deref().is_some_and(|d| d.contains(&format!("{c} {e}"))) {
                code = Some(c);
            }
        }
    }
    // A success code is no reply to a failure (Gmail quotes the 220 greeting).
    if code.is_some_and(|c| c < 400) && status.is_none_or(|s| s.class != 2) {
        code = None;
    }
    reply.code = code;
    reply.enhanced = status.or(enhanced);
    // The notice's lines about this recipient tell the stage when the report does not.
    let stage_hint = context.and_then(reply::explain::stage_of);
    let explanation = reply::explain::explain_with_stage(reply, stage_hint);
    let remote_host = remote_host.or_else(|| explanation.remote_host.clone());
    let command = explanation.stage.map(|s| s.command().to_string());
    Failure { recipient, action, status, reply_code: code, diagnostic: diag_text, remote_host, command, last_attempt, explanation }
}
