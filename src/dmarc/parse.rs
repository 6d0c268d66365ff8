//! DMARC record parser and lint (RFC 7489 §6.3, DMARCbis tags `np`, `psd`, `t`).
//!
//! Parsing never fails on a record that starts with `v=DMARC1`: every problem becomes an
//! [`Issue`] with a finding id, so the lint can show all of them at once. Whether a
//! problem invalidates the record depends on the reader: a strict reader (the syntax
//! suite, `is_valid_strict`) rejects any bad value; receivers ignore bad values of
//! optional tags but give up on a record whose tag syntax is broken (`has_syntax_error`).

use serde::Serialize;

use crate::finding::Severity;

/// Longest record we look at: a TXT RRset larger than this is hostile or broken.
pub const MAX_RECORD_LEN: usize = 8192;
/// At most this many report URIs per tag are examined.
pub const MAX_URIS: usize = 32;

/// What the Domain Owner asks receivers to do with failing mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Disposition {
    None,
    Quarantine,
    Reject,
}

impl Disposition {
    pub fn parse(v: &str) -> Option<Self> {
        match v.to_ascii_lowercase().as_str() {
            "none" => Some(Disposition::None),
            "quarantine" => Some(Disposition::Quarantine),
            "reject" => Some(Disposition::Reject),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::None => "none",
            Disposition::Quarantine => "quarantine",
            Disposition::Reject => "reject",
        }
    }
}

/// Identifier alignment mode (`adkim`, `aspf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AlignMode {
    #[default]
    Relaxed,
    Strict,
}

impl AlignMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AlignMode::Relaxed => "relaxed",
            AlignMode::Strict => "strict",
        }
    }
}

/// One `rua`/`ruf` destination: `mailto:addr[!size]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportUri {
    pub uri: String,
    /// Scheme in lower case (`mailto`, `https`, ...).
    pub scheme: String,
    /// For mailto: the address.
    pub address: Option<String>,
    /// For mailto: the domain of the address, lower case.
    pub domain: Option<String>,
    /// `!10m` size limit in bytes.
    pub max_size: Option<u64>,
}

/// One problem found in a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// Finding id (`dmarc.*`).
    pub id: &'static str,
    pub severity: Severity,
    pub message: String,
    /// A strict parser rejects the record because of this.
    pub invalidates: bool,
}

/// A parsed DMARC record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DmarcRecord {
    pub raw: String,
    /// Every tag as written (name lower-cased, value trimmed), in order.
    pub tags: Vec<(String, String)>,
    pub p: Option<Disposition>,
    pub sp: Option<Disposition>,
    pub np: Option<Disposition>,
    pub pct: Option<u8>,
    pub adkim: AlignMode,
    pub aspf: AlignMode,
    pub rua: Vec<ReportUri>,
    pub ruf: Vec<ReportUri>,
    pub fo: Vec<String>,
    pub rf: Vec<String>,
    pub ri: Option<u32>,
    /// DMARCbis `psd=y|n|u`.
    pub psd: Option<char>,
    /// DMARCbis `t=y` (testing).
    pub testing: Option<bool>,
    pub issues: Vec<Issue>,
}

/// Why a TXT string is not a DMARC record at all (receivers discard it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotDmarc {
    #[error("empty record")]
    Empty,
    #[error("record must start with v=DMARC1 (found {0:?})")]
    NoVersion(String),
    #[error("record is {0} bytes long (limit {MAX_RECORD_LEN})")]
    TooLong(usize),
}

impl DmarcRecord {
    /// No problem that a strict parser rejects, and `p` present.
    pub fn is_valid_strict(&self) -> bool {
        self.p.is_some() && !self.issues.iter().any(|i| i.invalidates)
    }
    /// A tag that is not `name=value`: receivers treat the record as a permanent error.
    pub fn has_syntax_error(&self) -> bool {
        self.issues.iter().any(|i| i.id == "dmarc.record-syntax")
    }
    /// The first syntax error, in words.
    pub fn syntax_error(&self) -> Option<&str> {
        self.issues.iter().find(|i| i.id == "dmarc.record-syntax").map(|i| i.message.as_str())
    }
    /// At least one syntactically valid report URI in `rua` (RFC 7489 §6.6.3: then a
    /// record without a valid `p` counts as `p=none`).
    pub fn has_valid_rua(&self) -> bool {
        !self.rua.is_empty()
    }
    /// An `sp` tag with an invalid value (RFC 7489 §6.6.3 step 6: like a missing or
    /// invalid `p`, the record then counts as `p=none` if `rua` is valid, else no DMARC).
    pub fn sp_invalid(&self) -> bool {
        self.sp.is_none() && self.issues.iter().any(|i| i.id == "dmarc.invalid-value" && i.message.starts_with("sp="))
    }
    pub fn tag(&self, name: &str) -> Option<&str> {
        self.tags.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
    /// Effective percentage (default 100).
    pub fn pct_or_default(&self) -> u8 {
        self.pct.unwrap_or(100)
    }
}

/// Does this TXT string claim to be a DMARC record? (Used to pick DMARC records out of
/// an RRset: RFC 7489 §6.6.3 step 3 discards the others.)
pub fn looks_like_dmarc(txt: &str) -> bool {
    let t = txt.trim_start();
    let Some(rest) = t.strip_prefix('v').or_else(|| t.strip_prefix('V')) else { return false };
    let rest = rest.trim_start();
    let Some(rest) = rest.strip_prefix('=') else { return false };
    let v = rest.trim_start();
    v.starts_with("DMARC1") && v[6..].trim_start().chars().next().is_none_or(|c| c == ';')
}

fn issue(id: &'static str, severity: Severity, invalidates: bool, message: String) -> Issue {
    Issue { id, severity, message, invalidates }
}

/// Parse one DMARC TXT string.
pub fn parse(text: &str) -> Result<DmarcRecord, NotDmarc> {
    if text.len() > MAX_RECORD_LEN {
        return Err(NotDmarc::TooLong(text.len()));
    }
    if text.trim().is_empty() {
        return Err(NotDmarc::Empty);
    }
    if !looks_like_dmarc(text) {
        let first = text.split(';').next().unwrap_or("").trim();
        return Err(NotDmarc::NoVersion(first.chars().take(40).collect()));
    }
    let mut rec = DmarcRecord {
        raw: text.to_string(),
        tags: Vec::new(),
        p: None,
        sp: None,
        np: None,
        pct: None,
        adkim: AlignMode::Relaxed,
        aspf: AlignMode::Relaxed,
        rua: Vec::new(),
        ruf: Vec::new(),
        fo: Vec::new(),
        rf: Vec::new(),
        ri: None,
        psd: None,
        testing: None,
        issues: Vec::new(),
    };
    let parts: Vec<&str> = text.split(';').collect();
    let last = parts.len() - 1;
    for (i, part) in parts.into_iter().enumerate() {
        let part_t = part.trim();
        if part_t.is_empty() {
            // A trailing ";" is allowed by the grammar; an empty tag in the middle is
            // tolerated by every receiver we know of, so only note it.
            if i != last && i != 0 {
                rec.issues.push(issue("dmarc.record-style", Severity::Info, false, "empty tag between two ';'".into()));
            }
            continue;
        }
        let Some((name, value)) = part_t.split_once('=') else {
            rec.issues.push(issue(
                "dmarc.record-syntax",
                Severity::Error,
                true,
                format!("{part_t:?} is not a tag=value pair"),
            ));
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_string();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            rec.issues.push(issue("dmarc.record-syntax", Severity::Error, true, format!("{part_t:?}: invalid tag name")));
            continue;
        }
        if rec.tags.iter().any(|(n, _)| *n == name) {
            rec.issues.push(issue(
                "dmarc.duplicate-tag",
                Severity::Warning,
                true,
                format!("tag {name} appears more than once; receivers may use either value or reject the record"),
            ));
            rec.tags.push((name, value));
            continue;
        }
        rec.tags.push((name.clone(), value.clone()));
        apply_tag(&mut rec, &name, &value);
    }
    if rec.p.is_none() && !rec.issues.iter().any(|i| i.id == "dmarc.invalid-value" && i.message.starts_with("p=")) {
        let what = if rec.has_valid_rua() {
            "required tag p is missing; because rua is valid, receivers act as if p=none (RFC 7489 §6.6.3)"
        } else {
            "required tag p is missing and there is no valid rua: receivers apply no DMARC processing at all (RFC 7489 §6.6.3)"
        };
        rec.issues.push(issue("dmarc.p-missing", Severity::Error, true, what.into()));
    }
    lint(&mut rec);
    Ok(rec)
}

fn bad_value(rec: &mut DmarcRecord, name: &str, value: &str, expected: &str) {
    rec.issues.push(issue(
        "dmarc.invalid-value",
        if name == "p" { Severity::Error } else { Severity::Warning },
        true,
        match name {
            "sp" => format!(
                "{name}={value:?} is not valid (expected {expected}); receivers treat the whole record as p=none if rua is valid, else apply no DMARC (RFC 7489 §6.6.3)"
            ),
            _ => format!("{name}={value:?} is not valid (expected {expected}); receivers ignore it and use the default"),
        },
    ));
}

fn apply_tag(rec: &mut DmarcRecord, name: &str, value: &str) {
    match name {
        "v" => {} // checked by looks_like_dmarc; a second v is a duplicate
        "p" | "sp" | "np" => match Disposition::parse(value) {
            Some(d) => match name {
                "p" => rec.p = Some(d),
                "sp" => rec.sp = Some(d),
                _ => rec.np = Some(d),
            },
            None => bad_value(rec, name, value, "none, quarantine or reject"),
        },
        "adkim" | "aspf" => {
            let mode = match value.to_ascii_lowercase().as_str() {
                "r" => Some(AlignMode::Relaxed),
                "s" => Some(AlignMode::Strict),
                _ => None,
            };
            match mode {
                Some(m) if name == "adkim" => rec.adkim = m,
                Some(m) => rec.aspf = m,
                None => bad_value(rec, name, value, "r or s"),
            }
        }
        "pct" => match value.parse::<u8>() {
            Ok(n) if n <= 100 => rec.pct = Some(n),
            _ => bad_value(rec, name, value, "an integer from 0 to 100"),
        },
        "ri" => match value.parse::<u32>() {
            Ok(n) => rec.ri = Some(n),
            Err(_) => bad_value(rec, name, value, "a number of seconds"),
        },
        "rua" | "ruf" => {
            let mut uris = Vec::new();
            for u in value.split(',').map(str::trim).take(MAX_URIS) {
                match parse_uri(u) {
                    Ok(uri) if uri.scheme != "mailto" => {
                        rec.issues.push(issue(
                            "dmarc.report-uri",
                            Severity::Warning,
                            false,
                            format!("{name}: {u:?} is not a mailto: URI; receivers send DMARC reports only to mailto: addresses (RFC 7489 §7.1), so none arrive there"),
                        ));
                        uris.push(uri);
                    }
                    Ok(uri) => uris.push(uri),
                    Err(why) => rec.issues.push(issue(
                        "dmarc.report-uri",
                        Severity::Warning,
                        true,
                        format!("{name}: {u:?} {why}; reports to it are not sent"),
                    )),
                }
            }
            if name == "rua" { rec.rua = uris } else { rec.ruf = uris }
        }
        "fo" => {
            let opts: Vec<String> = value.split(':').map(|s| s.trim().to_ascii_lowercase()).collect();
            if opts.iter().all(|o| matches!(o.as_str(), "0" | "1" | "d" | "s")) {
                rec.fo = opts;
            } else {
                bad_value(rec, name, value, "0, 1, d or s separated by ':'");
            }
        }
        "rf" => {
            // The grammar separates formats with ':'; ',' is common in the wild and accepted.
            let fmts: Vec<String> =
                value.split([':', ',']).map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty()).collect();
            if !fmts.is_empty() && fmts.iter().all(|f| f == "afrf" || f == "iodef") {
                rec.rf = fmts;
            } else {
                bad_value(rec, name, value, "afrf");
            }
        }
        "psd" => match value.to_ascii_lowercase().as_str() {
            v @ ("y" | "n" | "u") => rec.psd = v.chars().next(),
            _ => bad_value(rec, name, value, "y, n or u"),
        },
        "t" => match value.to_ascii_lowercase().as_str() {
            "y" => rec.testing = Some(true),
            "n" => rec.testing = Some(false),
            _ => bad_value(rec, name, value, "y or n"),
        },
        _ => rec.issues.push(issue(
            "dmarc.unknown-tag",
            Severity::Info,
            false,
            format!("unknown tag {name}={value:?} is ignored by receivers (typo?)"),
        )),
    }
}

/// The fix of a record problem (docs/findings.md, dmarc section); None for notes.
pub fn issue_fix(id: &str) -> Option<&'static str> {
    Some(match id {
        "dmarc.duplicate-tag" => "Keep one of each tag",
        "dmarc.invalid-value" => "Use a valid value (listed in the title)",
        "dmarc.p-missing" => "Add p=none (or stronger)",
        "dmarc.record-syntax" => "Fix the record: every part between ';' must be tag=value",
        "dmarc.report-uri" => "Use mailto:addr[!10m]",
        "dmarc.policy-monitoring" => "Move to p=quarantine, then p=reject, once reports look clean",
        "dmarc.pct-partial" => "Raise pct to 100 once reports are clean",
        "dmarc.rua-missing" => "Add rua=mailto:<address> to receive aggregate reports",
        "dmarc.testing" => "Remove t=y when ready",
        "dmarc.unknown-tag" => "Remove or correct the tag",
        _ => return None,
    })
}

/// `mailto:user@example.com!10m`.
pub fn parse_uri(s: &str) -> Result<ReportUri, String> {
    if s.is_empty() {
        return Err("is empty".into());
    }
    // The size suffix starts at the last '!' (a '!' inside a URI must be %-encoded).
    let (uri, size) = match s.rsplit_once('!') {
        Some((u, sz)) => (u, Some(sz)),
        None => (s, None),
    };
    let max_size = match size {
        None => None,
        Some(sz) => Some(parse_size(sz).ok_or_else(|| format!("has an invalid size limit !{sz} (expected e.g. !10m)"))?),
    };
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err("is not a URI (expected mailto:address)".into());
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return Err("has an invalid URI scheme".into());
    }
    let (address, domain) = if scheme == "mailto" {
        let addr = rest.split('?').next().unwrap_or("");
        let Some((local, dom)) = addr.rsplit_once('@') else {
            return Err("is not a mailto: address".into());
        };
        if local.is_empty() || dom.is_empty() || !dom.contains('.') || dom.contains(char::is_whitespace) {
            return Err("is not a valid mailto: address".into());
        }
        (Some(addr.to_string()), Some(crate::dns::normalize(dom)))
    } else {
        (None, None)
    };
    Ok(ReportUri { uri: uri.to_string(), scheme, address, domain, max_size })
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (digits, mult) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1u64 << 10),
        'm' | 'M' => (&s[..s.len() - 1], 1 << 20),
        'g' | 'G' => (&s[..s.len() - 1], 1 << 30),
        't' | 'T' => (&s[..s.len() - 1], 1 << 40),
        _ => (s, 1),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

/// Advice that does not make the record invalid.
fn lint(rec: &mut DmarcRecord) {
    let mut found: Vec<Issue> = Vec::new();
    let mut add = |id: &'static str, sev: Severity, msg: String| found.push(issue(id, sev, false, msg));
    if let Some(p) = rec.p {
        if p == Disposition::None {
            add(
                "dmarc.policy-monitoring",
                Severity::Info,
                "p=none only monitors: receivers deliver failing mail as usual (move to quarantine, then reject, once reports look clean)".into(),
            );
        }
    }
    if let Some(pct) = rec.pct {
        if pct < 100 {
            add(
                "dmarc.pct-partial",
                Severity::Info,
                format!(
                    "pct={pct}: the policy applies to {pct}% of failing mail; the other {}% gets the next weaker policy (reject -> quarantine, quarantine -> none; RFC 7489 §6.3; DMARCbis drops pct in favour of t=)",
                    100 - u32::from(pct)
                ),
            );
        }
    }
    if rec.rua.is_empty() && rec.tag("rua").is_none() {
        add(
            "dmarc.rua-missing",
            Severity::Info,
            "no rua= address: you receive no aggregate reports, so you cannot see who sends as your domain".into(),
        );
    }
    if rec.testing == Some(true) {
        add("dmarc.testing", Severity::Info, "t=y (DMARCbis test mode): receivers apply a policy one step weaker".into());
    }
    if rec.rf.iter().any(|f| f == "iodef") {
        add("dmarc.record-style", Severity::Info, "rf=iodef is obsolete; afrf is the only format receivers send".into());
    }
    if !rec.fo.is_empty() && rec.ruf.is_empty() {
        add("dmarc.record-style", Severity::Info, "fo= has no effect without ruf=".into());
    }
    rec.issues.extend(found);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_record() {
        let r = parse("v=DMARC1; p=reject; sp=quarantine; adkim=s; pct=50; ri=3600; RF = AFRF,IODEF; RUA = MAILTO:Dmarc@example.com!10m ; ruf=mailto:f@example.com; fo=0:1:d:s; unknown=test").unwrap();
        assert_eq!(r.p, Some(Disposition::Reject));
        assert_eq!(r.sp, Some(Disposition::Quarantine));
        assert_eq!(r.adkim, AlignMode::Strict);
        assert_eq!(r.aspf, AlignMode::Relaxed);
        assert_eq!(r.pct, Some(50));
        assert_eq!(r.rua[0].max_size, Some(10 << 20));
        assert_eq!(r.rua[0].domain.as_deref(), Some("example.com"));
        assert!(r.is_valid_strict());
        assert!(r.issues.iter().any(|i| i.id == "dmarc.unknown-tag"));
    }

    #[test]
    fn invalid_records() {
        assert!(parse("").is_err());
        assert!(parse("v=DMARC1 p=none").is_err());
        assert!(parse("p=none; v=DMARC1").is_err());
        assert!(parse("v=dmarc1; p=none").is_err());
        let r = parse("v=DMARC1; p:none").unwrap();
        assert!(r.has_syntax_error() && !r.is_valid_strict());
        let r = parse("v=DMARC1; sp=none").unwrap();
        assert!(r.p.is_none() && !r.is_valid_strict());
        let r = parse("v=DMARC1; p=none; aspf=none").unwrap();
        assert!(!r.is_valid_strict() && !r.has_syntax_error());
        let r = parse("v=DMARC1; p=none; reject").unwrap();
        assert!(r.has_syntax_error());
        assert_eq!(r.p, Some(Disposition::None));
    }

    #[test]
    fn uris() {
        assert!(parse_uri("mailto:a@b.example!5k").is_ok());
        assert!(parse_uri("mailto:nobody").is_err());
        assert!(parse_uri("mailto:a@b.example!x").is_err());
        assert_eq!(parse_uri("https://r.example/x").unwrap().scheme, "https");
    }

    #[test]
    fn non_mailto_report_uris_are_flagged() {
        let r = parse("v=DMARC1; p=none; rua=http://r.example/report,mailto:a@b.example; ruf=https://f.example/x").unwrap();
        let flagged: Vec<&Issue> = r.issues.iter().filter(|i| i.id == "dmarc.report-uri").collect();
        assert_eq!(flagged.len(), 2, "{:?}", r.issues);
        assert!(flagged[0].message.contains("http://r.example/report") && flagged[0].message.contains("mailto:"), "{}", flagged[0].message);
        assert!(flagged.iter().all(|i| i.severity == Severity::Warning && !i.invalidates));
        assert!(r.is_valid_strict(), "a URI receivers do not use does not make the record invalid");
        let r = parse("v=DMARC1; p=none; rua=mailto:a@b.example").unwrap();
        assert!(!r.issues.iter().any(|i| i.id == "dmarc.report-uri"));
    }
}
