//! Plain-text bounce formats: find the failed recipients and the lines that explain
//! each, cut off the returned message, recognise the MTA family. The formats vary a lot
//! (Exim's indented blocks, qmail's "<addr>:" paragraphs, Postfix's "<addr>: host X
//! said:", Sendmail's transcript, Gmail's and Yahoo's prose); one generic reader handles
//! them: a recipient line starts a block, and the block runs to the next recipient, a
//! separator, or a bounded number of lines. Patterns are compiled once.

use std::sync::LazyLock;

use regex::Regex;

use super::parse::Bounce;
use crate::reply::{parse as rp, EnhancedCode};

const ADDR: &str = r"[A-Za-z0-9._%+=/'!#$&*?^`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+";

static ADDR_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(ADDR).unwrap());
/// A line that names a recipient: the address alone (maybe in <> and with a colon), an
/// address followed by ":" and the reason, "RCPT TO:<addr>", or Sendmail's "<addr>...".
static RCPT_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i)^\s*(?:>>>\s*)?(?:(?:to|recipient|address|for|original-recipient|final-recipient)\s*:\s*)?(?:rfc822;\s*)?"?<?({ADDR})>?"?\s*(?::|\.\.\.|$)|rcpt to:\s*<?({ADDR})>?|^\s*<({ADDR})>\s*\(|(?:your message to|delivering your (?:mail|message) to|could not be delivered to|delivery to|not delivered to|deliver (?:the )?(?:mail|message) to|unable to deliver (?:your )?(?:mail|message) to|failed to deliver to|was not delivered to|wasn't delivered to)\s*:?\s*<?({ADDR})>?|^\s*[*•-]\s+<?({ADDR})>?\s*$"#
    ))
    .unwrap()
});
static SEPARATOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?im)^[ \t]*(?:-+ ?this is a copy of the message|-+ ?below this line is a copy of the message|-+ ?original message|original message follows|-+ ?(?:unsent|returned|undelivered|original) (?:message|mail)|-+ ?the header of the original message|-+ ?message header follows|content-type: message/rfc822|content-type: text/rfc822-headers|-+ ?(?:start of )?(?:returned|original) (?:message|headers)|-+ forwarded message|\*\*\*\*\*\s*original message)",
    )
    .unwrap()
});
static HEADER_START: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?m)^\n(?:Return-Path|Received): ").unwrap());
static INLINE_STATUS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?im)^(?:reporting-mta|final-recipient|original-recipient):\s*\S").unwrap());
static HTML_TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)<(?:[a-zA-Z/!][^>]*)>").unwrap());
static FAMILY: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        ("exim", r"(?i)this message was created automatically by mail delivery software|smtp error from remote mail server|exim"),
        ("qmail", r"(?i)this is the qmail-send program|remote host said:|qmail"),
        ("sendmail", r"(?i)transcript of session follows|the following addresses had permanent fatal errors"),
        ("postfix", r"(?i)this is the mail system at host|postfix"),
        ("gmail", r"(?i)technical details of (?:permanent|temporary) failure|google tried to deliver|the response from the remote server was"),
        ("exchange", r"(?i)diagnostic information for administrators|remote server returned|delivery has failed to these recipients"),
        ("yahoo", r"(?i)sorry, we were unable to deliver your message"),
    ]
    .into_iter()
    .map(|(n, p)| (n, Regex::new(p).unwrap()))
    .collect()
});
static BOUNCE_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)undeliver|delivery (?:status|failure|failed|has failed|notification|problem|to the following)|returned mail|failure notice|mail delivery|could not be delivered|couldn't be delivered|was not delivered|wasn't delivered|non-?delivery|rejected|bounce|permanent(?:ly)? (?:error|fatal|failure)|unable to deliver|delivery error|not be delivered|message not delivered|warning: could not send|mail system error|failed:|error|delay|mailer-daemon|postmaster|not (?:a )?member|nicht zugestellt|unzustellbar|erreur|no ha podido").unwrap()
});
static BOUNCE_SENDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)mailer-daemon|post_?master|mail-?daemon|bounce|mail delivery|mailerdaemon|no-?reply|notification").unwrap());

/// The first address in a string.
pub fn find_address(s: &str) -> Option<String> {
    ADDR_RE.find(rp::bounded(s, 64 * 1024)).map(|m| m.as_str().trim_matches(['.', '\'']).to_string())
}

/// Every address in a string (bounded).
pub fn addresses(s: &str) -> Vec<String> {
    ADDR_RE.find_iter(rp::bounded(s, 64 * 1024)).take(100).map(|m| m.as_str().trim_matches(['.', '\'']).to_string()).collect()
}

/// Tags out, common entities decoded (tags first: "&lt;a@b&gt;" survives).
pub fn strip_html(h: &str) -> String {
    let h = rp::bounded(h, 256 * 1024);
    let t = HTML_TAG.replace_all(h, "\n");
    t.replace("&lt;", "<").replace("&gt;", ">").replace("&nbsp;", " ").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// Split the notice from an inline copy of the returned message.
pub fn split_returned(notice: &str) -> (&str, Option<&str>) {
    let cut = SEPARATOR.find(notice).map(|m| m.start()).or_else(|| HEADER_START.find(notice).map(|m| m.start()));
    match cut {
        // A separator at the very top is not a split (the whole notice would vanish).
        Some(i) if i > 0 => {
            let tail = &notice[i..];
            let tail = tail.find('\n').map(|n| &tail[n + 1..]).unwrap_or("");
            (&notice[..i], Some(tail))
        }
        _ => (notice, None),
    }
}

/// A delivery-status report pasted into the text (no MIME part for it).
pub fn inline_status(notice: &str) -> Option<&str> {
    let m = INLINE_STATUS.find(notice)?;
    let rest = &notice[m.start()..];
    let low = rest.to_ascii_lowercase();
    (low.contains("\nstatus:") || low.contains("\naction:")).then_some(rest)
}

/// One recipient and the lines that explain its failure.
#[derive(Debug, Clone)]
pub struct Block {
    pub recipient: String,
    pub text: String,
}

const MAX_BLOCK_LINES: usize = 14;
const MAX_BLOCKS: usize = 1000;

/// The failed recipients of a plain-text bounce, each with its explaining text.
pub fn recipient_blocks(notice: &str, x_failed: Option<&str>) -> Vec<Block> {
    let notice = rp::bounded(notice, 256 * 1024);
    let mut blocks: Vec<Block> = Vec::new();
    let mut current: Option<usize> = None;
    let mut lines_in_block = 0;
    for line in notice.lines() {
        let rcpt = RCPT_LINE.captures(line).and_then(|c| (1..c.len()).find_map(|i| c.get(i)).map(|m| m.as_str().to_string()));
        if let Some(addr) = rcpt {
            let lower = addr.to_ascii_lowercase();
            let rest = line.split_once(addr.as_str()).map(|(_, r)| r.trim_start_matches(['>', ':', '"', ' '])).unwrap_or("").trim();
            if let Some(i) = blocks.iter().position(|b| b.recipient.eq_ignore_ascii_case(&lower)) {
                // The same recipient again (Sendmail's transcript): keep adding to it.
                push_line(&mut blocks[i].text, line.trim());
                current = Some(i);
                lines_in_block = 0;
                continue;
            }
            if blocks.len() < MAX_BLOCKS {
                blocks.push(Block { recipient: lower, text: rest.to_string() });
                current = Some(blocks.len() - 1);
                lines_in_block = 0;
            }
            continue;
        }
        if let Some(i) = current {
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            lines_in_block += 1;
            if lines_in_block > MAX_BLOCK_LINES {
                current = None;
                continue;
            }
            push_line(&mut blocks[i].text, t);
        }
    }
    if let Some(xf) = x_failed {
        for a in ADDR_RE.find_iter(xf) {
            let a = a.as_str().to_ascii_lowercase();
            if !blocks.iter().any(|b| b.recipient == a) {
                blocks.push(Block { recipient: a, text: notice_reason(notice) });
            }
        }
        // Exim names its failures in X-Failed-Recipients: other addresses are noise.
        let listed: Vec<String> = ADDR_RE.find_iter(xf).map(|m| m.as_str().to_ascii_lowercase()).collect();
        if !listed.is_empty() {
            blocks.retain(|b| listed.contains(&b.recipient));
        }
    }
    if blocks.iter().all(|b| rp::codes(&b.text) == (None, None)) && blocks.len() == 1 {
        // Gmail/Yahoo prose puts the reply a paragraph away from the address; without any
        // reply, the notice's own words are the diagnostic (bounded).
        let reason = notice_reason(notice);
        let reason = if rp::codes(&reason) != (None, None) { reason } else { collapse(rp::bounded(notice, 4096)) };
        blocks[0].text = format!("{} {}", blocks[0].text, reason).trim().to_string();
    }
    blocks
}

pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn push_line(text: &mut String, line: &str) {
    if text.len() < 8192 {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(line);
    }
}

/// The lines of a notice that carry a reply code (bounded), for recipients named elsewhere.
pub fn notice_reason(notice: &str) -> String {
    let mut out = String::new();
    for line in notice.lines() {
        let t = line.trim();
        if rp::codes(t) != (None, None) || t.to_ascii_lowercase().contains("said:") {
            push_line(&mut out, t);
        }
        if out.len() > 2048 {
            break;
        }
    }
    out
}

/// A failure reply other than "message expired" (X.4.7) in a text: (basic, enhanced).
pub fn inner_reply(text: &str) -> Option<(u16, EnhancedCode)> {
    static PAIRS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?:^|[\s'<(\[])([45][0-5][0-9])[ -]#?([45])\.([0-9]{1,3})\.([0-9]{1,3})").unwrap());
    PAIRS.captures_iter(rp::bounded(text, 16 * 1024)).find_map(|c| {
        let e = EnhancedCode { class: c[2].parse().ok()?, subject: c[3].parse().ok()?, detail: c[4].parse().ok()? };
        (!(e.subject == 4 && e.detail == 7)).then_some((c[1].parse().ok()?, e))
    })
}

/// The enhanced status in a block of text.
pub fn status_in(text: &str) -> Option<EnhancedCode> {
    rp::codes(text).1
}

/// Codes anywhere in the notice (for a report without its own diagnostic).
pub fn codes_near(notice: &str, _recipient: &str) -> (Option<u16>, Option<EnhancedCode>) {
    rp::codes(&notice_reason(notice))
}

/// Which MTA family wrote a plain-text bounce.
pub fn family(notice: &str, from: &str) -> &'static str {
    let notice = rp::bounded(notice, 64 * 1024);
    for (name, re) in FAMILY.iter() {
        if re.is_match(notice) {
            return name;
        }
    }
    if from.contains("google") {
        return "gmail";
    }
    "text"
}

/// Ordinary mail that happens to contain an address line is not a bounce.
pub fn looks_like_bounce(b: &Bounce, from: &str, has_report: bool) -> bool {
    if has_report {
        return true;
    }
    let subject = b.subject.as_deref().unwrap_or("");
    let any_code = b.failures.iter().any(|f| f.status.is_some() || f.reply_code.is_some());
    (BOUNCE_SENDER.is_match(from) || BOUNCE_WORDS.is_match(subject)) && (any_code || BOUNCE_WORDS.is_match(subject))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exim_block() {
        let n = "This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered. The following address(es) failed:\n\n  kijitora@example.ed.jp\n    SMTP error from remote mail server after RCPT TO:<kijitora@example.ed.jp>:\n    host mx.example.jp [192.0.2.20]: 550 5.1.1 <kijitora@example.ed.jp>... User unknown\n";
        let b = recipient_blocks(n, Some("kijitora@example.ed.jp"));
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].recipient, "kijitora@example.ed.jp");
        assert_eq!(status_in(&b[0].text).map(|e| e.to_string()).as_deref(), Some("5.1.1"));
        assert_eq!(family(n, ""), "exim");
    }

    #[test]
    fn qmail_blocks_and_split() {
        let n = "Hi. This is the qmail-send program at mx.example.\n\n<a@example.org>:\n192.0.2.1 does not like recipient.\nRemote host said: 550 5.1.1 unknown\n\n<b@example.org>:\nRemote host said: 552 5.2.2 mailbox full\n\n--- Below this line is a copy of the message.\n\nReturn-Path: <s@shop.example>\n";
        let (head, tail) = split_returned(n);
        assert!(tail.unwrap().trim_start().starts_with("Return-Path"), "{tail:?}");
        let b = recipient_blocks(head, None);
        assert_eq!(b.len(), 2);
        assert_eq!(status_in(&b[1].text).map(|e| e.to_string()).as_deref(), Some("5.2.2"));
    }

    #[test]
    fn html_is_stripped() {
        assert_eq!(strip_html("<p>Mail to &lt;a@b.example&gt; failed</p>").trim(), "Mail to <a@b.example> failed");
    }
}
