//! Findings: the unit every check produces and every renderer shows.
//!
//! A finding has a stable `id` (documented in docs/findings.md), a severity, a one-line
//! title, the evidence it rests on and, where there is one, the fix. Checks decide;
//! renderers only render.

use serde::{Deserialize, Serialize};

/// How much a finding matters for delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Looked at and fine.
    Ok,
    /// Worth knowing; does not cause a rejection by itself.
    Info,
    /// Could not be checked (DNS failure, timeout, missing input). Never "absent".
    Unknown,
    /// Some receivers reject or penalise this.
    Warning,
    /// Explains a rejection on its own.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Info => "info",
            Severity::Unknown => "unknown",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The concrete change that makes the problem go away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fix {
    /// Publish (or replace) a DNS record: the exact text to put in the zone.
    DnsRecord {
        name: String,
        rtype: String,
        value: String,
        /// What to do with existing records of the same name and type.
        action: String,
    },
    /// A setting to change, in words.
    Setting { text: String },
}

impl Fix {
    pub fn record(name: impl Into<String>, rtype: &str, value: impl Into<String>, action: &str) -> Self {
        Fix::DnsRecord { name: name.into(), rtype: rtype.to_string(), value: value.into(), action: action.to_string() }
    }
    pub fn setting(text: impl Into<String>) -> Self {
        Fix::Setting { text: text.into() }
    }
}

/// One check's conclusion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable identifier, e.g. `spf.lookup-limit`. Never reworded once published.
    pub id: String,
    pub severity: Severity,
    /// One line, readable on its own.
    pub title: String,
    /// What was seen: DNS answers, reply text, record text. One fact per line.
    pub evidence: Vec<String>,
    /// Optional longer explanation (why it matters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
    /// Which identity this is about (sender domain, HELO name, IP, ...), for ranking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

impl Finding {
    pub fn new(id: &str, severity: Severity, title: impl Into<String>) -> Self {
        Finding {
            id: id.to_string(),
            severity,
            title: title.into(),
            evidence: Vec::new(),
            detail: None,
            fix: None,
            subject: None,
        }
    }
    pub fn evidence(mut self, line: impl Into<String>) -> Self {
        self.evidence.push(line.into());
        self
    }
    pub fn evidences<I, S>(mut self, lines: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.evidence.extend(lines.into_iter().map(Into::into));
        self
    }
    pub fn detail(mut self, text: impl Into<String>) -> Self {
        self.detail = Some(text.into());
        self
    }
    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }
    /// The family of the id: `spf` for `spf.lookup-limit`.
    pub fn family(&self) -> &str {
        self.id.split('.').next().unwrap_or(&self.id)
    }
}
