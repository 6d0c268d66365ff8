//! The body of a message/delivery-status part (RFC 3464 section 2): field groups
//! separated by blank lines, the first per message, the rest one per recipient. Header
//! folding is undone here. Pure, bounded, and panic-free (fuzzed).

/// Bounds: no real report has more recipients or longer fields.
pub const MAX_GROUPS: usize = 10_000;
pub const MAX_FIELD: usize = 16 * 1024;

/// One group: (lower-case field name, value) in order.
pub type Group = Vec<(String, String)>;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryStatus {
    pub per_message: Group,
    pub per_recipient: Vec<Group>,
}

/// Split into groups and fields. A group with a recipient-ish field (Final-Recipient,
/// Original-Recipient, Action, Status) is per-recipient even when it comes first (some
/// MTAs omit the per-message group).
pub fn parse(body: &str) -> DeliveryStatus {
    let mut out = DeliveryStatus::default();
    let mut group: Group = Vec::new();
    let mut first = true;
    let flush = |group: &mut Group, first: &mut bool, out: &mut DeliveryStatus| {
        if group.is_empty() {
            return;
        }
        let is_rcpt = group.iter().any(|(k, _)| matches!(k.as_str(), "final-recipient" | "original-recipient" | "action" | "status"));
        if *first && !is_rcpt {
            out.per_message = std::mem::take(group);
        } else if is_rcpt && out.per_recipient.len() < MAX_GROUPS {
            out.per_recipient.push(std::mem::take(group));
        } else if out.per_message.is_empty() {
            out.per_message = std::mem::take(group);
        } else {
            // Extra per-message style fields after the first group: keep them.
            out.per_message.append(group);
        }
        *first = false;
        group.clear();
    };
    for raw in body.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            flush(&mut group, &mut first, &mut out);
            continue;
        }
        if line.starts_with("--") {
            // A MIME delimiter (a report read from text, broken MIME): it ends the group
            // and is no field, even when the boundary holds a ':' ("--=_Part:0.1--").
            flush(&mut group, &mut first, &mut out);
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = group.last_mut() {
                if v.len() < MAX_FIELD {
                    v.push(' ');
                    v.push_str(line.trim());
                    if v.len() > MAX_FIELD {
                        let keep = crate::reply::parse::bounded(v, MAX_FIELD).len();
                        v.truncate(keep);
                    }
                }
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if !name.is_empty() && name.len() < 80 && !name.contains(' ') {
                // A second recipient without the blank line between groups.
                let lname = name.to_ascii_lowercase();
                let has = |k: &str| group.iter().any(|(g, _)| g == k);
                if (lname == "final-recipient" && has("final-recipient")) || (lname == "original-recipient" && (has("original-recipient") || (has("final-recipient") && has("status")))) {
                    flush(&mut group, &mut first, &mut out);
                }
                let mut v = value.trim().to_string();
                if v.len() > MAX_FIELD {
                    v.truncate(crate::reply::parse::bounded(&v, MAX_FIELD).len());
                }
                group.push((name.to_ascii_lowercase(), v));
            }
        }
    }
    flush(&mut group, &mut first, &mut out);
    out
}

/// The first value of a field in a group.
pub fn field<'a>(group: &'a Group, name: &str) -> Option<&'a str> {
    group.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

/// "rfc822; user@example.org" -> "user@example.org"; "dns; mx.example" -> "mx.example".
pub fn strip_type(v: &str) -> &str {
    match v.split_once(';') {
        Some((t, rest)) if !t.trim().is_empty() && t.trim().len() < 20 && !t.contains('@') => rest.trim(),
        _ => v.trim(),
    }
}

/// An address without angle brackets, quotes and trailing noise.
pub fn clean_address(v: &str) -> String {
    let v = strip_type(v);
    let v = v.trim().trim_start_matches('<');
    let end = v.find(['>', ' ', '\t', ',', ';', '(']).unwrap_or(v.len());
    v[..end].trim_matches(['"', '\'', '.']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_folding() {
        let d = parse("Reporting-MTA: dns; mx.example.org\r\nX-Postfix-Sender: rfc822; a@shop.example\r\n\r\nFinal-Recipient: rfc822; b@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 <b@example.net>:\r\n    Recipient address rejected\r\n\r\nFinal-Recipient: rfc822; c@example.net\nAction: delayed\nStatus: 4.4.1\n");
        assert_eq!(field(&d.per_message, "reporting-mta"), Some("dns; mx.example.org"));
        assert_eq!(d.per_recipient.len(), 2);
        assert_eq!(field(&d.per_recipient[0], "diagnostic-code"), Some("smtp; 550 5.1.1 <b@example.net>: Recipient address rejected"));
        assert_eq!(clean_address(field(&d.per_recipient[1], "final-recipient").unwrap()), "c@example.net");
        let d = parse("Final-Recipient: rfc822; a@x\nStatus: 5.2.2\nFinal-Recipient: rfc822; b@x\nStatus: 5.1.1\n");
        assert_eq!(d.per_recipient.len(), 2);
        assert_eq!(strip_type("dns; mx.example.org"), "mx.example.org");
    }

    #[test]
    fn a_mime_delimiter_ends_the_group() {
        let d = parse("Final-Recipient: rfc822; a@x\nAction: relayed\nStatus: 2.0.0\n--=_Part:0.1--\n");
        assert_eq!(d.per_recipient, vec![vec![
            ("final-recipient".to_string(), "rfc822; a@x".to_string()),
            ("action".to_string(), "relayed".to_string()),
            ("status".to_string(), "2.0.0".to_string()),
        ]]);
        let d = parse("Final-Recipient: rfc822; a@x\nStatus: 5.1.1\n--B\nContent-Type: text/plain\n\nhello\n");
        assert_eq!(d.per_recipient.len(), 1);
        assert_eq!(field(&d.per_recipient[0], "status"), Some("5.1.1"));
        assert!(field(&d.per_recipient[0], "content-type").is_none());
    }

    #[test]
    fn missing_per_message_group_and_garbage() {
        let d = parse("Final-Recipient: rfc822;x@y\nStatus: 5.0.0\n");
        assert!(d.per_message.is_empty());
        assert_eq!(d.per_recipient.len(), 1);
        let d = parse("\u{0}\u{ffff}: \n  \n:::\n\t folded without field\n");
        assert!(d.per_recipient.is_empty());
    }
}
