//! Organizational domains (RFC 7489 §3.2) from the Public Suffix List.
//!
//! The product uses the `psl` crate's compiled list. [`PslFile`] reads a
//! `public_suffix_list.dat` so that the conformance suite can check the algorithm
//! against the exact list version its vectors were written for.

use std::collections::HashSet;

/// The organizational domain of `domain` per the compiled list: the public suffix plus
/// one label. A domain that is itself a public suffix (or invalid) is returned as is.
pub fn org_domain(domain: &str) -> String {
    let d = to_ascii(&crate::dns::normalize(domain));
    match psl::domain_str(&d) {
        Some(org) => org.to_string(),
        None => d,
    }
}

/// The registrable domain per the compiled list, `None` for a public suffix itself.
pub fn registrable(domain: &str) -> Option<String> {
    let d = to_ascii(&crate::dns::normalize(domain));
    psl::domain_str(&d).map(str::to_string)
}

/// Is `domain` a public suffix in the compiled list?
pub fn is_public_suffix(domain: &str) -> bool {
    let d = crate::dns::normalize(domain);
    psl::suffix_str(&d) == Some(d.as_str())
}

/// A Public Suffix List loaded from its text file.
#[derive(Debug, Default)]
pub struct PslFile {
    rules: HashSet<String>,
    wildcards: HashSet<String>,
    exceptions: HashSet<String>,
}

impl PslFile {
    /// Parse the list's text format: one rule per line, `//` comments, `*.` wildcards,
    /// `!` exceptions. Rules are stored as A-labels so that both Unicode and punycode
    /// input match.
    pub fn parse(text: &str) -> Self {
        let mut list = PslFile::default();
        for line in text.lines() {
            let rule = line.split_whitespace().next().unwrap_or("");
            if rule.is_empty() || rule.starts_with("//") {
                continue;
            }
            if let Some(exc) = rule.strip_prefix('!') {
                list.exceptions.insert(to_ascii(exc));
            } else if let Some(w) = rule.strip_prefix("*.") {
                list.wildcards.insert(to_ascii(w));
            } else {
                list.rules.insert(to_ascii(rule));
            }
        }
        list
    }

    pub fn len(&self) -> usize {
        self.rules.len() + self.wildcards.len() + self.exceptions.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of labels of the public suffix of `labels` (the PSL algorithm: an exception
    /// rule wins and its suffix is the rule minus its leftmost label; otherwise the
    /// longest matching rule, a wildcard counting one label more; default rule `*`).
    fn suffix_len(&self, labels: &[&str]) -> usize {
        let n = labels.len();
        let mut best = 1; // the default rule "*"
        for k in 1..=n {
            let cand = labels[n - k..].join(".");
            if self.exceptions.contains(&cand) {
                return k - 1;
            }
            if self.rules.contains(&cand) {
                best = best.max(k);
            }
            if k < n && self.wildcards.contains(&cand) {
                best = best.max(k + 1);
            }
        }
        best
    }

    /// The registrable domain (public suffix + one label), or `None` when the input is
    /// empty, starts with a dot, or is itself a public suffix. Input may be Unicode or
    /// A-labels in any case; the answer keeps the input's form (lower-cased).
    pub fn registrable(&self, domain: &str) -> Option<String> {
        if domain.is_empty() || domain.starts_with('.') {
            return None;
        }
        let lower = domain.to_lowercase();
        let ascii = to_ascii(&lower);
        let labels: Vec<&str> = ascii.split('.').collect();
        if labels.iter().any(|l| l.is_empty()) {
            return None;
        }
        let s = self.suffix_len(&labels);
        if labels.len() <= s {
            return None;
        }
        let keep = s + 1;
        // Return in the same form as the input (Unicode input gives Unicode output).
        let orig: Vec<&str> = lower.split('.').collect();
        if orig.len() == labels.len() {
            Some(orig[orig.len() - keep..].join("."))
        } else {
            Some(labels[labels.len() - keep..].join("."))
        }
    }
}

/// A-label form of a domain (lower case); unchanged when it cannot be converted.
pub fn to_ascii(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    idna::domain_to_ascii(s).unwrap_or_else(|_| s.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_algorithm() {
        let l = PslFile::parse("com\n*.ck\n!www.ck\njp\n*.kobe.jp\n!city.kobe.jp\n// c\n公司.cn\ncn\n");
        assert_eq!(l.registrable("a.b.example.com").as_deref(), Some("example.com"));
        assert_eq!(l.registrable("com"), None);
        assert_eq!(l.registrable("test.ck"), None);
        assert_eq!(l.registrable("a.b.test.ck").as_deref(), Some("b.test.ck"));
        assert_eq!(l.registrable("www.www.ck").as_deref(), Some("www.ck"));
        assert_eq!(l.registrable("www.city.kobe.jp").as_deref(), Some("city.kobe.jp"));
        assert_eq!(l.registrable("b.example.example").as_deref(), Some("example.example"));
        assert_eq!(l.registrable("www.食狮.公司.cn").as_deref(), Some("食狮.公司.cn"));
        assert_eq!(l.registrable("xn--55qx5d.cn"), None);
    }

    #[test]
    fn compiled_list() {
        assert_eq!(org_domain("Mail.Shop.Example.co.uk."), "example.co.uk");
        assert_eq!(org_domain("bounces.esp.example"), "esp.example");
        assert!(is_public_suffix("co.uk"));
        assert_eq!(org_domain("www.bücher.example"), "xn--bcher-kva.example");
    }
}
