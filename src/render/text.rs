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
            vec![format!("{action}:"), format!("    {name}. IN {rtype} {value}")]
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
