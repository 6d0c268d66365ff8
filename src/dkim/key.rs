//! DKIM key records (RFC 6376 §3.6.1, RFC 8463): parse and lint.
//!
//! The key itself is only measured (RSA modulus size from the SubjectPublicKeyInfo or a
//! bare RSAPublicKey, Ed25519 length); signature verification is mail-auth's job.

use base64::Engine;
use serde::Serialize;

use crate::finding::Severity;

/// Longest key record looked at.
pub const MAX_KEY_RECORD_LEN: usize = 16384;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyIssue {
    pub id: &'static str,
    pub severity: Severity,
    pub message: String,
}

/// A parsed key record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRecord {
    pub raw: String,
    pub tags: Vec<(String, String)>,
    /// `k=` (default rsa).
    pub key_type: String,
    /// Empty `p=`: the key is revoked.
    pub revoked: bool,
    /// RSA modulus bits, or 256 for Ed25519, when the key could be measured.
    pub bits: Option<usize>,
    /// `t=y`: testing mode.
    pub testing: bool,
    /// `t=s`: i= must be exactly d= (no subdomains).
    pub strict_identity: bool,
    /// `h=` hash algorithms, when restricted.
    pub hashes: Vec<String>,
    /// `s=` service types (default `*`).
    pub services: Vec<String>,
    pub issues: Vec<KeyIssue>,
}

impl KeyRecord {
    /// Usable for verifying email signatures (no error-level issue).
    pub fn usable(&self) -> bool {
        !self.issues.iter().any(|i| i.severity == Severity::Error)
    }
    /// "2048-bit RSA", "Ed25519", "revoked".
    pub fn describe(&self) -> String {
        if self.revoked {
            return "revoked (empty p=)".into();
        }
        match (self.key_type.as_str(), self.bits) {
            ("ed25519", _) => "Ed25519".into(),
            ("rsa", Some(b)) => format!("{b}-bit RSA"),
            (k, _) => format!("{k} (unmeasured)"),
        }
    }
}

fn issue(id: &'static str, severity: Severity, message: impl Into<String>) -> KeyIssue {
    KeyIssue { id, severity, message: message.into() }
}

/// Parse one key TXT string. Never fails: problems are issues.
pub fn parse(text: &str) -> KeyRecord {
    let mut rec = KeyRecord {
        raw: text.chars().take(MAX_KEY_RECORD_LEN).collect(),
        tags: Vec::new(),
        key_type: "rsa".into(),
        revoked: false,
        bits: None,
        testing: false,
        strict_identity: false,
        hashes: Vec::new(),
        services: vec!["*".into()],
        issues: Vec::new(),
    };
    if text.len() > MAX_KEY_RECORD_LEN {
        rec.issues.push(issue("dkim.key-syntax", Severity::Error, format!("key record is {} bytes long", text.len())));
        return rec;
    }
    for (i, part) in text.split(';').enumerate() {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((name, value)) = part.split_once('=') else {
            rec.issues.push(issue("dkim.key-syntax", Severity::Error, format!("{part:?} is not a tag=value pair")));
            continue;
        };
        let name = name.trim().to_string();
        // Values may be folded with whitespace inside (RFC 6376 §3.2).
        let value: String = value.split_whitespace().collect::<Vec<_>>().join(if name == "n" { " " } else { "" });
        if rec.tags.iter().any(|(n, _)| *n == name) {
            rec.issues.push(issue("dkim.key-syntax", Severity::Error, format!("tag {name} appears twice (RFC 6376 §3.2: invalid)")));
        }
        match name.as_str() {
            "v" => {
                if i != 0 {
                    rec.issues.push(issue("dkim.key-version", Severity::Error, "v= must be the first tag"));
                } else if value != "DKIM1" {
                    rec.issues.push(issue("dkim.key-version", Severity::Error, format!("v={value} (must be DKIM1): verifiers ignore this key")));
                }
            }
            "k" => rec.key_type = value.to_ascii_lowercase(),
            "p" => {}
            "t" => {
                for flag in value.split(':').map(str::trim) {
                    match flag {
                        "y" => rec.testing = true,
                        "s" => rec.strict_identity = true,
                        _ => {}
                    }
                }
            }
            "h" => rec.hashes = value.split(':').map(|s| s.trim().to_ascii_lowercase()).collect(),
            "s" => rec.services = value.split(':').map(|s| s.trim().to_ascii_lowercase()).collect(),
            "n" | "g" => {}
            _ => {}
        }
        rec.tags.push((name, value));
    }
    let p = rec.tags.iter().find(|(n, _)| n == "p").map(|(_, v)| v.clone());
    match p {
        None => rec.issues.push(issue("dkim.key-syntax", Severity::Error, "no p= tag: this is not a usable DKIM key record")),
        Some(p) if p.is_empty() => {
            rec.revoked = true;
            rec.issues.push(issue("dkim.key-revoked", Severity::Error, "p= is empty: the key is revoked and every signature with this selector fails"));
        }
        Some(p) => measure(&mut rec, &p),
    }
    match rec.key_type.as_str() {
        "rsa" | "ed25519" => {}
        k => rec.issues.push(issue("dkim.key-type", Severity::Error, format!("k={k} is not a key type verifiers support (rsa, ed25519)"))),
    }
    if !rec.hashes.is_empty() && !rec.hashes.iter().any(|h| h == "sha256") {
        rec.issues.push(issue(
            "dkim.key-hash",
            Severity::Error,
            format!("h={} excludes sha256: rsa-sha1 signatures are no longer accepted (RFC 8301)", rec.hashes.join(":")),
        ));
    }
    if !rec.services.iter().any(|s| s == "*" || s == "email") {
        rec.issues.push(issue("dkim.key-service", Severity::Error, format!("s={} does not include email", rec.services.join(":"))));
    }
    if rec.testing {
        rec.issues.push(issue(
            "dkim.key-testing",
            Severity::Warning,
            "t=y (testing): verifiers may treat failures as if unsigned; remove t=y once signing works",
        ));
    }
    if rec.strict_identity {
        rec.issues.push(issue("dkim.key-strict-identity", Severity::Info, "t=s: the i= of signatures must be exactly d=, not a subdomain"));
    }
    rec
}

fn measure(rec: &mut KeyRecord, p: &str) {
    let der = match base64::engine::general_purpose::STANDARD.decode(p.as_bytes()) {
        Ok(d) => d,
        Err(e) => {
            rec.issues.push(issue("dkim.key-syntax", Severity::Error, format!("p= is not valid base64 ({e})")));
            return;
        }
    };
    if rec.key_type == "ed25519" {
        if der.len() == 32 {
            rec.bits = Some(256);
        } else {
            rec.issues.push(issue("dkim.key-syntax", Severity::Error, format!("an Ed25519 key is 32 bytes; p= holds {}", der.len())));
        }
        return;
    }
    if rec.key_type != "rsa" {
        return;
    }
    let bits = rsa_bits_spki(&der).or_else(|| rsa_modulus_bits(&der));
    match bits {
        Some(b) => {
            rec.bits = Some(b);
            if b < 1024 {
                rec.issues.push(issue(
                    "dkim.key-weak",
                    Severity::Error,
                    format!("{b}-bit RSA key: receivers (Gmail, Microsoft) treat signatures with keys under 1024 bits as failing (RFC 8301)"),
                ));
            } else if b < 2048 {
                rec.issues.push(issue("dkim.key-1024", Severity::Warning, format!("{b}-bit RSA key: still accepted, but 2048 bits is the recommended size")));
            }
        }
        None => rec.issues.push(issue(
            "dkim.key-syntax",
            Severity::Error,
            "p= is not an RSA public key (neither SubjectPublicKeyInfo nor RSAPublicKey DER)",
        )),
    }
}

fn rsa_bits_spki(der: &[u8]) -> Option<usize> {
    use x509_parser::prelude::FromDer;
    use x509_parser::public_key::PublicKey;
    let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(der).ok()?;
    match spki.parsed().ok()? {
        PublicKey::RSA(rsa) => Some(rsa.key_size()),
        _ => None,
    }
}

/// A minimal DER reader for a bare PKCS#1 RSAPublicKey: SEQUENCE { INTEGER n, INTEGER e }.
fn rsa_modulus_bits(der: &[u8]) -> Option<usize> {
    fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let tag = *b.first()?;
        let l0 = *b.get(1)? as usize;
        let (len, hdr) = if l0 < 0x80 {
            (l0, 2)
        } else {
            let n = l0 & 0x7f;
            if n == 0 || n > 4 {
                return None;
            }
            let mut len = 0usize;
            for i in 0..n {
                len = (len << 8) | *b.get(2 + i)? as usize;
            }
            (len, 2 + n)
        };
        let end = hdr.checked_add(len)?;
        Some((tag, b.get(hdr..end)?, b.get(end..)?))
    }
    let (tag, seq, _) = tlv(der)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, n, rest) = tlv(seq)?;
    if tag != 0x02 {
        return None;
    }
    let (tag, _e, _) = tlv(rest)?;
    if tag != 0x02 {
        return None;
    }
    let n: &[u8] = {
        let mut n = n;
        while n.first() == Some(&0) {
            n = &n[1..];
        }
        n
    };
    let first = *n.first()?;
    Some((n.len() - 1) * 8 + (8 - first.leading_zeros() as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA1024: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

    #[test]
    fn rsa_size_and_lint() {
        let r = parse(&format!("v=DKIM1; k=rsa; p={RSA1024}"));
        assert_eq!(r.bits, Some(1024));
        assert!(r.issues.iter().any(|i| i.id == "dkim.key-1024"));
        assert!(r.usable());
        let r = parse("v=DKIM1; p=");
        assert!(r.revoked && !r.usable());
        let r = parse("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
        assert_eq!(r.describe(), "Ed25519");
        let r = parse("v=DKIM1; k=rsa; t=y; h=sha1; p=!!!");
        assert!(r.issues.iter().any(|i| i.id == "dkim.key-syntax"));
        assert!(r.issues.iter().any(|i| i.id == "dkim.key-hash"));
        assert!(r.testing);
        let r = parse("k=rsa; v=DKIM1; p=");
        assert!(r.issues.iter().any(|i| i.id == "dkim.key-version"));
    }
}
