//! `mailsleuth verify`: DKIM, SPF and DMARC for one real message.
//!
//! DKIM signatures are verified by mail-auth with keys fetched through our resolver.
//! SPF: with `--ip`, the project's own evaluator ([`crate::spf::verify::check_host`],
//! verdict and trace); otherwise the message's own Received-SPF / Authentication-Results
//! headers, labelled as read, not verified.
//! DMARC: our discovery and [`super::evaluate`] for every From domain.
//!
//! The message is brought to wire form (CRLF line ends, [`dkimv::to_crlf`]) once, and
//! DKIM, the From header, the SPF headers and ARC all read that same form.

use std::net::IpAddr;
use std::path::Path;

use serde::Serialize;

use super::align::{self, DmarcResult, DmarcVerdict};
use super::policy::{self, Mode};
use crate::dkim::verify::{self as dkimv, MessageDkim, SigResult};
use crate::dns::Resolver;
use crate::finding::{Finding, Fix, Severity};

/// Largest message read (bigger ones are refused with a clear error, not truncated:
/// a truncated body would fail every body hash).
pub const MAX_MESSAGE: u64 = 64 << 20;
/// At most this many header lines are examined for Received-SPF, ARC and A-R.
const MAX_SCAN_HEADERS: usize = 2000;

/// Read a message file with a size bound.
pub fn read_message(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut buf = Vec::new();
    f.take(MAX_MESSAGE + 1).read_to_end(&mut buf).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if buf.len() as u64 > MAX_MESSAGE {
        return Err(format!("{} is larger than {} MiB; refusing to verify it", path.display(), MAX_MESSAGE >> 20));
    }
    Ok(buf)
}

/// Where the SPF result came from.
#[derive(Debug, Clone, Serialize)]
pub struct SpfInfo {
    /// pass, fail, softfail, neutral, none, temperror, permerror.
    pub result: String,
    /// The domain SPF was checked for (MAIL FROM domain, or HELO for a null sender);
    /// empty when a header gives a result without naming a domain.
    pub domain: String,
    /// "evaluated by mailsleuth's SPF evaluator ...", "read from the message's Received-SPF header ...".
    pub source: String,
    /// check_host() with its trace, when SPF was evaluated here (`--ip`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<crate::spf::verify::Evaluation>,
}

impl SpfInfo {
    pub fn passed(&self) -> bool {
        self.result.eq_ignore_ascii_case("pass")
    }
}

/// The ARC headers, summarised (not cryptographically verified).
#[derive(Debug, Clone, Serialize)]
pub struct ArcSummary {
    pub sets: usize,
    /// cv= of each ARC-Seal by instance.
    pub seals: Vec<(u32, String)>,
    /// Authentication-Results recorded by each hop (ARC-Authentication-Results).
    pub results: Vec<(u32, String)>,
}

/// Everything `mailsleuth verify` reports.
#[derive(Debug, Clone, Serialize)]
pub struct MessageReport {
    pub from_headers: usize,
    pub from_domains: Vec<String>,
    pub dkim: MessageDkim,
    pub spf: Option<SpfInfo>,
    pub dmarc: Vec<DmarcVerdict>,
    /// The overall DMARC verdict (the worst over all From domains).
    pub dmarc_overall: DmarcVerdict,
    pub arc: Option<ArcSummary>,
    /// Shaped like an Authentication-Results header.
    pub authentication_results: String,
    pub findings: Vec<Finding>,
}

/// Inputs besides the message.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    pub ip: Option<IpAddr>,
    pub helo: Option<String>,
    pub mail_from: Option<String>,
}

/// Headers as (name, unfolded value) pairs, bounded. Any line ends (CRLF, LF, CR alone)
/// are read as DKIM reads them.
pub fn headers(raw: &[u8]) -> Vec<(String, String)> {
    let wire = dkimv::to_crlf(raw);
    let raw: &[u8] = &wire;
    let end = find_body(raw);
    let text = String::from_utf8_lossy(&raw[..end]);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
            continue;
        }
        if let Some((n, v)) = line.split_once(':') {
            if out.len() >= MAX_SCAN_HEADERS {
                break;
            }
            out.push((n.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

fn find_body(raw: &[u8]) -> usize {
    let lf = raw.windows(2).position(|w| w == b"\n\n");
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n");
    match (lf, crlf) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => raw.len(),
    }
}

/// Addresses of the From header(s): (number of From headers, addresses).
pub fn from_addresses(raw: &[u8]) -> (usize, Vec<String>) {
    let hs = headers(raw);
    let froms: Vec<&String> = hs.iter().filter(|(n, _)| n.eq_ignore_ascii_case("from")).map(|(_, v)| v).collect();
    let mut addrs = Vec::new();
    for v in &froms {
        addrs.extend(addresses_in(v));
    }
    (froms.len(), addrs)
}

/// `v` with its comments (RFC 5322 §3.2.2: nested parentheses, quoted-pairs) replaced
/// by a space; quoted strings are kept as they are.
fn strip_comments(v: &str) -> String {
    let (mut out, mut depth, mut quoted, mut escaped) = (String::with_capacity(v.len()), 0usize, false, false);
    for c in v.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' if quoted || depth > 0 => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    out.push(' ');
                }
            }
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

/// The addr-specs in an address list (display names and comments skipped).
fn addresses_in(v: &str) -> Vec<String> {
    let v = &strip_comments(v);
    let mut out = Vec::new();
    // Split on commas outside quotes and angle brackets.
    let (mut depth, mut quoted, mut cur) = (0i32, false, String::new());
    let mut parts = Vec::new();
    for c in v.chars() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => depth += 1,
            '>' if !quoted => depth -= 1,
            ',' if !quoted && depth <= 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    parts.push(cur);
    for p in parts {
        let p = p.trim();
        let addr = match (p.rfind('<'), p.rfind('>')) {
            (Some(a), Some(b)) if b > a => p[a + 1..b].trim().to_string(),
            _ => {
                // bare addr-spec (comments are gone already)
                if p.starts_with('"') { String::new() } else { p.to_string() }
            }
        };
        if addr.contains('@') {
            out.push(addr);
        }
    }
    out
}

/// The domain of an address, if it is a plausible domain.
pub fn domain_of(addr: &str) -> Option<String> {
    let d = super::psl::to_ascii(&crate::dns::normalize(addr.rsplit_once('@')?.1.trim()));
    if d.is_empty() || crate::dns::invalid_name(&d).is_some() || !d.contains('.') && d.len() > 63 {
        return None;
    }
    Some(d)
}

/// SPF as recorded in the message's own headers.
pub fn spf_from_headers(raw: &[u8]) -> Option<SpfInfo> {
    let hs = headers(raw);
    for (n, v) in &hs {
        if n.eq_ignore_ascii_case("received-spf") {
            let result = v.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
            let domain = param(v, "envelope-from=").and_then(|a| domain_of(&a).or(Some(a))).or_else(|| param(v, "helo=")).unwrap_or_default();
            return Some(SpfInfo { result, domain, source: "read from the message's Received-SPF header (not verified here)".into(), evaluation: None });
        }
    }
    for (n, v) in &hs {
        if n.eq_ignore_ascii_case("authentication-results") {
            for part in v.split(';') {
                let part = part.trim();
                if let Some(rest) = part.strip_prefix("spf=") {
                    let result = rest.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
                    let domain = param(part, "smtp.mailfrom=")
                        .or_else(|| param(part, "smtp.mfrom="))
                        .map(|a| domain_of(&a).unwrap_or(a))
                        .or_else(|| param(part, "smtp.helo="))
                        .unwrap_or_default();
                    return Some(SpfInfo { result, domain, source: "read from the message's Authentication-Results header (not verified here)".into(), evaluation: None });
                }
            }
        }
    }
    None
}

fn param(v: &str, key: &str) -> Option<String> {
    let i = v.to_ascii_lowercase().find(key)?;
    let rest = &v[i + key.len()..];
    let val: String = rest.trim_start_matches(['<', '"']).chars().take_while(|c| !c.is_whitespace() && !";>\")".contains(*c)).collect();
    if val.is_empty() { None } else { Some(val) }
}

/// Summarise ARC headers.
pub fn arc_summary(raw: &[u8]) -> Option<ArcSummary> {
    let hs = headers(raw);
    let inst = |v: &str| -> u32 {
        v.split(';').find_map(|p| p.trim().strip_prefix("i=").and_then(|x| x.trim().parse().ok())).unwrap_or(0)
    };
    let mut seals = Vec::new();
    let mut results = Vec::new();
    for (n, v) in &hs {
        if n.eq_ignore_ascii_case("arc-seal") {
            let cv = v.split(';').find_map(|p| p.trim().strip_prefix("cv=").map(|x| x.trim().to_string())).unwrap_or_default();
            seals.push((inst(v), cv));
        } else if n.eq_ignore_ascii_case("arc-authentication-results") {
            results.push((inst(v), v.chars().take(300).collect()));
        }
    }
    if seals.is_empty() && results.is_empty() {
        return None;
    }
    seals.sort();
    results.sort();
    Some(ArcSummary { sets: seals.len().max(results.len()), seals, results })
}

/// The worst verdict among several From domains.
pub fn worst(verdicts: &[DmarcVerdict]) -> Option<&DmarcVerdict> {
    let rank = |r: DmarcResult| match r {
        DmarcResult::Fail => 0,
        DmarcResult::PermError => 1,
        DmarcResult::TempError => 2,
        DmarcResult::None => 3,
        DmarcResult::Pass => 4,
    };
    verdicts.iter().min_by_key(|v| rank(v.result))
}

/// DMARC for every From domain of a message.
pub async fn dmarc_for(
    resolver: &Resolver,
    from_headers: usize,
    from_addrs: &[String],
    spf: Option<(&str, bool)>,
    dkim_passes: &[String],
    mode: Mode,
) -> (Vec<DmarcVerdict>, DmarcVerdict) {
    if from_headers == 0 {
        let v = align::no_from_domain("no From header");
        return (vec![], v);
    }
    let mut domains: Vec<String> = Vec::new();
    for a in from_addrs {
        if let Some(d) = domain_of(a) {
            if !domains.contains(&d) {
                domains.push(d);
            }
        }
    }
    if domains.is_empty() {
        let v = align::no_from_domain("Unable to extract From domain");
        return (vec![], v);
    }
    let mut verdicts = Vec::new();
    for d in domains.iter().take(8) {
        let disc = policy::discover(resolver, d, mode).await;
        let from_exists = match disc.found() {
            Some(f) if f.domain != *d && f.record.np.is_some() => policy::domain_exists(resolver, d).await,
            _ => Some(true),
        };
        verdicts.push(align::evaluate(&disc, spf, dkim_passes, from_exists));
    }
    let overall = worst(&verdicts).cloned().expect("at least one domain");
    (verdicts, overall)
}

/// The fix of a signature that did not verify, by reason (docs/findings.md, dkim section).
fn signature_fix(reason_id: &str) -> Option<&'static str> {
    Some(match reason_id {
        "dkim.body-hash-mismatch" => "Sign after the last change (at the outbound gateway), or stop the gateway or list from altering signed mail.",
        "dkim.signature-mismatch" => "Publish the signer's current public key; stop gateways from rewriting signed headers (Subject tags, From rewriting).",
        "dkim.signature-expired" => "Sign with a longer expiry (x=), or none.",
        "dkim.signature-malformed" => "Fix the signer's configuration: the DKIM-Signature must parse (v=1, a=, d=, s=, bh=, b=, known c=).",
        "dkim.identity-mismatch" => "Make i= equal to d= or a subdomain of it (and drop t=s from the key if a subdomain identity is wanted).",
        "dkim.unsupported-algorithm" => "Sign with rsa-sha256 or ed25519-sha256 and a key of the matching type.",
        "dkim.length-tag" => "Turn off the body length limit (l=) in the signer.",
        "dkim.from-not-signed" => "Configure the signer to include From in the signed headers (h=); RFC 6376 §5.4 requires it.",
        "dkim.key-dns-failure" => "Check the domain's DNS servers and retry.",
        id => return crate::dkim::selectors::key_issue_fix(id),
    })
}

/// Verify a message.
pub async fn verify(resolver: &Resolver, raw: &[u8], opts: &VerifyOptions) -> Result<MessageReport, String> {
    // One wire form for every reader below (to_crlf of it again borrows, no copy).
    let wire = dkimv::to_crlf(raw);
    let raw: &[u8] = &wire;
    let dkim = dkimv::verify_message(resolver, raw).await?;
    let (from_headers, from_addrs) = from_addresses(raw);
    let mut findings = Vec::new();

    // SPF
    let spf = match opts.ip {
        Some(ip) => Some(spf_with_check_host(resolver, ip, opts).await),
        None => spf_from_headers(raw),
    };
    if let Some(ev) = spf.as_ref().and_then(|s| s.evaluation.as_ref()) {
        let (id, sender) = match opts.mail_from.as_deref().filter(|m| m.contains('@')) {
            Some(m) => (crate::spf::Identity::MailFrom, m),
            None => (crate::spf::Identity::Helo, ""),
        };
        let helo = opts.helo.clone().unwrap_or_default();
        findings.extend(crate::spf::evaluation_findings(resolver, ev, id, sender, &helo).await);
    }

    // DKIM findings
    for s in &dkim.signatures {
        let sev = match s.result {
            SigResult::Pass => Severity::Ok,
            SigResult::TempError => Severity::Unknown,
            _ => Severity::Error,
        };
        let mut f = Finding::new(
            s.reason_id,
            sev,
            format!("DKIM signature #{} d={} s={}: {} — {}", s.index + 1, s.domain, s.selector, s.result.as_str(), s.reason),
        )
        .subject(s.domain.clone());
        if let Some(e) = &s.key_evidence {
            f = f.evidence(e.clone());
        }
        if let Some(k) = &s.key {
            f = f.evidence(format!("key: {}", k.describe()));
            for i in k.issues.iter().filter(|i| i.severity >= Severity::Warning) {
                f = f.evidence(format!("key {}: {}", i.severity.as_str(), i.message));
            }
        }
        if s.reason_id == "dkim.key-missing" {
            f = f.fix(Fix::setting(format!("Publish the key for selector {} at {} (TXT), as your signing service shows it.", s.selector, s.key_name)));
        } else if let Some(text) = signature_fix(s.reason_id) {
            f = f.fix(Fix::setting(text));
        }
        findings.push(f);
        if let Some(l) = s.body_length {
            findings.push(
                Finding::new("dkim.length-tag", Severity::Warning, format!("DKIM signature #{} uses l={l}: only part of the body is signed", s.index + 1))
                    .detail("Anything appended after the signed length still verifies, so many receivers distrust or refuse l=.")
                    .fix(Fix::setting("Turn off the body length limit (l=) in the signer."))
                    .subject(s.domain.clone()),
            );
        }
    }
    if dkim.signatures.is_empty() {
        findings.push(
            Finding::new("dkim.no-signature", Severity::Warning, "The message has no DKIM signature")
                .detail("Without a DKIM signature, DMARC depends on SPF alone, which breaks on every forward.")
                .fix(Fix::setting("Enable DKIM signing for the From domain at the sending service or MTA.")),
        );
    }

    // DMARC
    let passes = dkim.passing_domains();
    let spf_arg = spf.as_ref().filter(|s| !s.domain.is_empty()).map(|s| (s.domain.as_str(), s.passed()));
    let (verdicts, overall) = dmarc_for(resolver, from_headers, &from_addrs, spf_arg, &passes, Mode::Rfc7489).await;
    if from_headers > 1 {
        findings.push(
            Finding::new("dmarc.from-multiple", Severity::Error, format!("The message has {from_headers} From headers"))
                .detail("RFC 5322 allows one From header; DMARC receivers reject such messages or evaluate every domain (RFC 7489 §6.6.1).")
                .fix(Fix::setting("Send with exactly one From header.")),
        );
    } else if verdicts.len() > 1 {
        findings.push(
            Finding::new(
                "dmarc.from-multiple",
                Severity::Warning,
                format!(
                    "The From header holds addresses in {} domains: DMARC is evaluated for each, and the overall DMARC result is the worst: {} ({})",
                    verdicts.len(),
                    overall.result.as_str(),
                    overall.from_domain
                ),
            )
            .evidences(verdicts.iter().map(|v| format!("{}: dmarc={} ({})", v.from_domain, v.result.as_str(), v.comment)))
            .detail("RFC 7489 §6.6.1: receivers reject such a message or evaluate DMARC for each domain; the worst result counts.")
            .fix(Fix::setting("Send with one address in the From header.")),
        );
    }
    // With several From domains, a verdict holds for its domain only: say so.
    let several = verdicts.len() > 1;
    let overall_words = format!("overall: {} ({})", overall.result.as_str(), overall.from_domain);
    if verdicts.is_empty() {
        findings.extend(overall.findings.clone());
    }
    for v in &verdicts {
        for f in &v.findings {
            let mut f = f.clone();
            if several {
                f.title = match f.title.find(&v.from_domain) {
                    Some(i) => {
                        let end = i + v.from_domain.len();
                        format!("{}, one of {} From domains; {overall_words}{}", &f.title[..end], verdicts.len(), &f.title[end..])
                    }
                    None => format!("{} (one of {} From domains; {overall_words})", f.title, verdicts.len()),
                };
            }
            if f.id == "dmarc.fail" {
                // Say what became of the signatures that did not verify, and whether
                // they would have aligned: that is usually the fix.
                for s in dkim.signatures.iter().filter(|s| s.result != SigResult::Pass) {
                    let c = align::align("dkim", &s.domain, false, &v.from_domain, v.adkim);
                    let would = if c.aligned { "would align" } else { "would not align either" };
                    f.evidence.push(format!("DKIM signature d={} s={} failed ({}); it {would}", s.domain, s.selector, s.reason));
                }
            }
            findings.push(f);
        }
    }

    // Authentication-Results
    let mut ar = vec!["Authentication-Results: mailsleuth".to_string()];
    for s in &dkim.signatures {
        let reason = if s.result == SigResult::Pass { String::new() } else { format!(" ({})", s.reason) };
        ar.push(format!("dkim={}{reason} header.d={} header.s={}", s.result.as_str(), s.domain, s.selector));
    }
    if dkim.signatures.is_empty() {
        ar.push("dkim=none".into());
    }
    match &spf {
        Some(s) if s.domain.is_empty() => ar.push(format!("spf={} ({}; the header names no domain)", s.result, s.source)),
        Some(s) => ar.push(format!("spf={} ({}) smtp.mailfrom={}", s.result, s.source, s.domain)),
        // Not evaluated is not `none` (RFC 7208 §2.6.1: no SPF record): leave the method
        // out, with a comment saying why.
        None => {
            if let Some(last) = ar.last_mut() {
                last.push_str(" (spf not evaluated: no --ip given and no SPF result in the headers)");
            }
        }
    }
    let mut dmarc_ar = overall.auth_results();
    if several {
        let each: Vec<String> = verdicts.iter().map(|v| format!("{}={}", v.from_domain, v.result.as_str())).collect();
        dmarc_ar.push_str(&format!(" (worst of {} From domains: {})", verdicts.len(), each.join(", ")));
    }
    ar.push(dmarc_ar);
    let arc = arc_summary(raw);
    if let Some(a) = &arc {
        let last = a.seals.last().map(|(i, cv)| format!("i={i} cv={cv}")).unwrap_or_else(|| "no ARC-Seal".into());
        ar.push(format!("arc=present ({} set(s), last {last}; not cryptographically verified)", a.sets));
    }
    Ok(MessageReport {
        from_headers,
        from_domains: verdicts.iter().map(|v| v.from_domain.clone()).collect(),
        dkim,
        spf,
        dmarc: verdicts,
        dmarc_overall: overall,
        arc,
        authentication_results: ar.join(";\n    "),
        findings,
    })
}

/// SPF for the envelope: check_host() for the MAIL FROM domain, or for the HELO name
/// when the sender is null (RFC 7208 §2.4), with its trace.
async fn spf_with_check_host(resolver: &Resolver, ip: IpAddr, opts: &VerifyOptions) -> SpfInfo {
    use crate::spf::verify::{check_host, Query};
    let helo = opts.helo.clone().unwrap_or_default();
    let sender = opts.mail_from.clone().unwrap_or_default();
    let sender = sender.trim().trim_start_matches('<').trim_end_matches('>').to_string();
    let q = if sender.contains('@') { Query::mail_from(ip, &sender, &helo) } else { Query::helo(ip, &helo) };
    let ev = check_host(resolver, &q).await;
    let who = if sender.contains('@') { format!("MAIL FROM {sender}") } else { format!("HELO {helo} (null sender)") };
    SpfInfo {
        result: ev.result.as_str().to_string(),
        domain: ev.domain.clone(),
        source: format!("evaluated by mailsleuth's SPF evaluator (check_host, RFC 7208) for {ip}, {who}"),
        evaluation: Some(ev),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_parsing() {
        let (n, a) = from_addresses(b"From: Test User <test@example.com>,Bad User <spoof@example.org>\r\nTo: x@y.example\r\n\r\nbody");
        assert_eq!(n, 1);
        assert_eq!(a, vec!["test@example.com", "spoof@example.org"]);
        let (n, a) = from_addresses(b"From: \"Test User\"\nSubject: x\n\nbody");
        assert_eq!((n, a.len()), (1, 0));
        let (n, _) = from_addresses(b"Subject: x\n\nFrom: a@b.example\n");
        assert_eq!(n, 0);
        let (_, a) = from_addresses(b"From: \"Doe, John\" <j@x.example>\n\n");
        assert_eq!(a, vec!["j@x.example"]);
    }

    /// A comment is CFWS (RFC 5322 §3.2.2), allowed around an addr-spec: it is skipped,
    /// even when it looks like an address or holds commas, angle brackets or nesting.
    #[test]
    fn from_comments_are_cfws() {
        let (_, a) = from_addresses(b"From: (a@k.example) x@attacker.example\r\n\r\nbody");
        assert_eq!(a, vec!["x@attacker.example"]);
        let (_, a) = from_addresses(b"From: (a, <b@k.example> (nested)) x@attacker.example (trailing)\r\n\r\n");
        assert_eq!(a, vec!["x@attacker.example"]);
        let (_, a) = from_addresses(b"From: \"Shop (sales)\" <s@shop.example>, y@other.example (c@k.example)\r\n\r\n");
        assert_eq!(a, vec!["s@shop.example", "y@other.example"]);
        let (_, a) = from_addresses(b"From: (\\) a@k.example) x@attacker.example\r\n\r\n");
        assert_eq!(a, vec!["x@attacker.example"], "a quoted-pair in a comment");
    }

    #[test]
    fn arc_headers() {
        let raw = b"ARC-Seal: i=2; a=rsa-sha256; cv=pass; d=b.example; s=s; b=x\nARC-Seal: i=1; a=rsa-sha256; cv=none; d=a.example; s=s; b=y\nARC-Authentication-Results: i=1; a.example; spf=pass\nFrom: x@y.example\n\nbody";
        let a = arc_summary(raw).unwrap();
        assert_eq!(a.sets, 2);
        assert_eq!(a.seals, vec![(1, "none".to_string()), (2, "pass".to_string())]);
        assert!(arc_summary(b"From: x@y.example\n\nARC-Seal: i=1; cv=none\n").is_none());
    }

    #[test]
    fn spf_headers() {
        let s = spf_from_headers(b"Received-SPF: pass (x) client-ip=1.2.3.4; envelope-from=<b@bounce.esp.example>;\nFrom: a@b.example\n\n").unwrap();
        assert_eq!((s.result.as_str(), s.domain.as_str()), ("pass", "bounce.esp.example"));
        let s = spf_from_headers(b"Authentication-Results: mx.example; spf=fail smtp.mailfrom=x@y.example; dkim=none\n\n").unwrap();
        assert_eq!((s.result.as_str(), s.domain.as_str()), ("fail", "y.example"));
    }
}
