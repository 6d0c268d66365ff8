//! Checks and rewrites of zone-file text before hickory's parser sees it:
//!
//! * a single character-string over 255 bytes cannot be put on the wire (hickory parses
//!   it, and the server then fails every answer holding it): refused, naming the line;
//! * the obsolete SPF RR type (`SPF` or `TYPE99` with quoted strings, the TXT syntax),
//!   which hickory's parser does not know: rewritten as TXT carrying [`TYPE99_MARK`] as
//!   its first string, turned back into type 99 records after parsing.

/// The first string of a TXT record that stands for an SPF (type 99) record.
pub const TYPE99_MARK: &[u8] = b"\x00mailsleuth-type99\x00";
const TYPE99_MARK_TEXT: &str = "\"\\000mailsleuth-type99\\000\"";

/// Longest character-string (RFC 1035 §3.3).
pub const MAX_STRING: usize = 255;

/// Every quoted string's length in bytes (escapes count as the byte they stand for),
/// outside comments: the first one over 255 bytes, as an error naming its line.
pub fn check_string_lengths(text: &str) -> Result<(), String> {
    let b = text.as_bytes();
    let (mut i, mut line) = (0usize, 1usize);
    while i < b.len() {
        match b[i] {
            b'\n' => line += 1,
            b';' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                let start = line;
                let mut len = 0usize;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\n' {
                        line += 1;
                    }
                    if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(u8::is_ascii_digit) {
                        i += 4;
                    } else {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    len += 1;
                }
                if len > MAX_STRING {
                    return Err(format!(
                        "line {start}: a character-string of {len} bytes (limit {MAX_STRING} per string): split it into several quoted strings of one record"
                    ));
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

fn is_class(t: &str) -> bool {
    matches!(t.to_ascii_uppercase().as_str(), "IN" | "CH" | "HS" | "CS")
}

/// Rewrite `owner [ttl] [class] SPF|TYPE99 "..."` lines as marked TXT records.
/// Returns the text unchanged (borrowed) when there are none.
pub fn rewrite_type99(text: &str) -> std::borrow::Cow<'_, str> {
    let mut out = String::new();
    let mut changed = false;
    for line in text.split_inclusive('\n') {
        let rewritten = rewrite_line(line);
        changed |= rewritten.is_some();
        out.push_str(rewritten.as_deref().unwrap_or(line));
    }
    if changed { std::borrow::Cow::Owned(out) } else { std::borrow::Cow::Borrowed(text) }
}

fn rewrite_line(line: &str) -> Option<String> {
    if line.starts_with('$') {
        return None;
    }
    // Tokens up to the first quote or comment, with their byte offsets.
    let head_end = line.find(['"', ';']).unwrap_or(line.len());
    let head = &line[..head_end];
    let mut tokens: Vec<(usize, &str)> = Vec::new();
    let mut pos = 0;
    for t in head.split([' ', '\t']) {
        if !t.is_empty() && t != "\n" && t != "\r\n" {
            tokens.push((pos, t.trim_end()));
        }
        pos += t.len() + 1;
    }
    let owner = usize::from(!line.starts_with([' ', '\t']));
    let (at, ty) = tokens.iter().skip(owner).find(|(_, t)| !(t.bytes().all(|c| c.is_ascii_digit()) || is_class(t)))?;
    if !(ty.eq_ignore_ascii_case("SPF") || ty.eq_ignore_ascii_case("TYPE99")) {
        return None;
    }
    Some(format!("{}TXT {TYPE99_MARK_TEXT}{}", &line[..*at], &line[at + ty.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        assert!(check_string_lengths(&format!("a TXT \"{}\"\n", "x".repeat(255))).is_ok());
        let e = check_string_lengths(&format!("a TXT \"ok\"\n\nb TXT \"{}\"\n", "x".repeat(256))).unwrap_err();
        assert!(e.starts_with("line 3: a character-string of 256 bytes"), "{e}");
        assert!(check_string_lengths(&format!("a TXT \"{}\"\n", "\\065".repeat(255))).is_ok());
        assert!(check_string_lengths(&format!("; \"{}\"\n", "x".repeat(300))).is_ok());
        assert!(check_string_lengths("a TXT \"unterminated").is_ok());
    }

    #[test]
    fn type99_lines() {
        assert_eq!(rewrite_type99("spf IN TXT \"v=spf1\"\n"), "spf IN TXT \"v=spf1\"\n");
        assert_eq!(rewrite_type99("rr 300 IN SPF \"v=spf1 -all\"\n"), format!("rr 300 IN TXT {TYPE99_MARK_TEXT} \"v=spf1 -all\"\n"));
        assert_eq!(rewrite_type99("  type99 \"x\"\n"), format!("  TXT {TYPE99_MARK_TEXT} \"x\"\n"));
        assert_eq!(rewrite_type99("$ORIGIN spf.\n"), "$ORIGIN spf.\n");
    }
}
