//! Terminal text: coloured when allowed (NO_COLOR, non-TTY and --color respected).

use crate::finding::{Finding, Fix, Severity};

/// ANSI styling that switches off cleanly.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    pub fn cyan(&self, s: &str) -> String {
        self.paint("36", s)
    }
    pub fn magenta(&self, s: &str) -> String {
        self.paint("35", s)
    }
    /// A section heading.
    pub fn heading(&self, s: &str) -> String {
        self.paint("1;4", s)
    }
    /// The severity as a fixed-width coloured tag.
    pub fn severity(&self, sev: Severity) -> String {
        let tag = format!("{:<7}", sev.as_str().to_uppercase());
        match sev {
            Severity::Error => self.paint("1;31", &tag),
            Severity::Warning => self.yellow(&tag),
            Severity::Unknown => self.magenta(&tag),
            Severity::Info => self.cyan(&tag),
            Severity::Ok => self.green(&tag),
        }
    }
}

/// The fix, written out so it can be pasted.
pub fn fix_lines(fix: &Fix) -> Vec<String> {
    match fix {
        Fix::DnsRecord { name, rtype, value, action } => {
            vec![format!("{action}:"), format!("    {name}. IN {rtype} {}", zone_value(rtype, value))]
        }
        Fix::Setting { text } => text.lines().map(str::to_string).collect(),
    }
}

/// One finding as an indented block.
pub fn finding(style: Style, f: &Finding, indent: &str) -> String {
    let mut out = format!("{indent}{} {} {}\n", style.severity(f.severity), f.title, style.dim(&format!("[{}]", f.id)));
    let pad = format!("{indent}        ");
    if let Some(d) = &f.detail {
        out.push_str(&format!("{pad}{d}\n"));
    }
    for e in &f.evidence {
        out.push_str(&format!("{pad}{} {e}\n", style.dim("·")));
    }
    if let Some(fix) = &f.fix {
        let lines = fix_lines(fix);
        out.push_str(&format!("{pad}{} {}\n", style.green("fix:"), lines.first().map(String::as_str).unwrap_or("")));
        for l in lines.iter().skip(1) {
            out.push_str(&format!("{pad}     {}\n", style.bold(l)));
        }
    }
    out
}

/// The DNS query log (`--trace-dns`).
pub fn dns_log(style: Style, log: &[crate::dns::QueryLogEntry]) -> String {
    let mut out = String::new();
    for q in log {
        let recs = if q.records.is_empty() { String::new() } else { format!(" {}", q.records.join(" | ")) };
        let ttl = q.ttl.map(|t| format!(" ttl={t}")).unwrap_or_default();
        out.push_str(&format!(
            "  {:>7.1} ms  {:<5} {:<40} {}{}{} {}\n",
            q.elapsed_ms,
            q.rtype.as_str(),
            q.name,
            q.outcome.as_str(),
            ttl,
            recs,
            style.dim(&format!("@{}", q.server))
        ));
    }
    out
}

/// A record value as it is written in a zone file: TXT data quoted, and split into
/// strings of at most 255 octets (RFC 1035 character-strings).
pub fn zone_value(rtype: &str, value: &str) -> String {
    if !rtype.eq_ignore_ascii_case("TXT") || value.starts_with('"') {
        return value.to_string();
    }
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    let bytes = escaped.as_bytes();
    let mut parts = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let mut end = (start + 255).min(bytes.len());
        // Never split inside an escape or a UTF-8 sequence.
        while end < bytes.len() && (!escaped.is_char_boundary(end) || bytes[end - 1] == b'\\') {
            end -= 1;
        }
        parts.push(format!("\"{}\"", &escaped[start..end]));
        start = end;
    }
    if parts.is_empty() { "\"\"".to_string() } else { parts.join(" ") }
}

#[cfg(test)]
mod tests {
    use super::zone_value;

    #[test]
    fn txt_values_are_quoted_and_split() {
        assert_eq!(zone_value("TXT", "v=spf1 -all"), "\"v=spf1 -all\"");
        assert_eq!(zone_value("MX", "10 mx.example."), "10 mx.example.");
        let long = "a".repeat(300);
        assert_eq!(zone_value("TXT", &long), format!("\"{}\" \"{}\"", "a".repeat(255), "a".repeat(45)));
        assert_eq!(zone_value("TXT", "say \"hi\""), "\"say \\\"hi\\\"\"");
    }
}
