//! DKIM signature verification of a message, through mail-auth's verifier.
//!
//! mail-auth resolves DNS itself; we never let it. The key record of every signature is
//! fetched with our own [`Resolver`] (so `--zones`, tracing, caching and the "failure
//! is not absence" rule apply) and handed to mail-auth through its TXT cache. Any name
//! not prefetched answers "not found" from that cache, so mail-auth's own resolver is
//! never used.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use mail_auth::common::crypto::CryptoError;
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dkim::DkimError;
use mail_auth::hickory_resolver::proto::op::ResponseCode;
use mail_auth::{AuthenticatedMessage, DkimResult, DnsError, MessageAuthenticator, Parameters, ResolverCache, Txt};
use serde::Serialize;

use super::key::{self, KeyRecord};
use crate::dns::{Outcome, RType, Resolver};

/// A TXT cache for mail-auth holding our answers; unknown names are "not found".
pub struct PrefetchedTxt(Mutex<HashMap<Box<str>, Txt>>);

impl PrefetchedTxt {
    pub fn new() -> Self {
        PrefetchedTxt(Mutex::new(HashMap::new()))
    }
    /// `name` in any form; stored as mail-auth looks it up (lower case, trailing dot).
    pub fn put(&self, name: &str, value: Txt) {
        let key = format!("{}.", crate::dns::normalize(name));
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(key.into_boxed_str(), value);
    }
}

impl Default for PrefetchedTxt {
    fn default() -> Self {
        Self::new()
    }
}

impl ResolverCache<Box<str>, Txt> for PrefetchedTxt {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        Some(map.get(name).cloned().unwrap_or(Txt::Error(mail_auth::Error::Dns(DnsError::RecordNotFound(ResponseCode::NXDomain)))))
    }
    fn remove<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(name)
    }
    fn insert(&self, key: Box<str>, value: Txt, _valid_until: std::time::Instant) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(key, value);
    }
}

/// A mail-auth authenticator whose own resolver points at the given servers (or at a
/// dead loopback port when none are given: used only with a complete prefetched cache).
pub fn authenticator(servers: &[std::net::SocketAddr]) -> Result<MessageAuthenticator, String> {
    use mail_auth::hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
    let mut cfg = ResolverConfig::from_name_servers(Vec::new());
    let list: Vec<std::net::SocketAddr> =
        if servers.is_empty() { vec![std::net::SocketAddr::from(([127, 0, 0, 1], 9))] } else { servers.to_vec() };
    for sa in list {
        let mut ns = NameServerConfig::udp_and_tcp(sa.ip());
        for c in &mut ns.connections {
            c.port = sa.port();
        }
        cfg.add_name_server(ns);
    }
    let mut opts = ResolverOpts::default();
    opts.timeout = std::time::Duration::from_secs(2);
    opts.attempts = 1;
    MessageAuthenticator::new(cfg, opts).map_err(|e| e.to_string())
}

/// The verdict of one signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SigResult {
    Pass,
    Fail,
    Neutral,
    PermError,
    TempError,
}

impl SigResult {
    pub fn as_str(self) -> &'static str {
        match self {
            SigResult::Pass => "pass",
            SigResult::Fail => "fail",
            SigResult::Neutral => "neutral",
            SigResult::PermError => "permerror",
            SigResult::TempError => "temperror",
        }
    }
}

/// One DKIM-Signature header and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureReport {
    /// Position among the message's DKIM-Signature headers (0 = topmost).
    pub index: usize,
    pub domain: String,
    pub selector: String,
    pub algorithm: String,
    pub identity: String,
    pub result: SigResult,
    /// Finding id for the reason (`dkim.pass`, `dkim.body-hash-mismatch`, ...).
    pub reason_id: &'static str,
    /// The precise reason, in words.
    pub reason: String,
    /// `l=` body length limit, when present.
    pub body_length: Option<u64>,
    /// `x=` expiry (Unix time), when present.
    pub expires: Option<u64>,
    /// The key record name and what DNS said.
    pub key_name: String,
    pub key_evidence: Option<String>,
    pub key: Option<KeyRecord>,
}

/// All signatures of a message.
#[derive(Debug, Clone, Serialize)]
pub struct MessageDkim {
    pub signatures: Vec<SignatureReport>,
    /// From header addresses as mail-auth read them.
    pub from: Vec<String>,
}

impl MessageDkim {
    /// d= of every signature that verified.
    pub fn passing_domains(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for s in self.signatures.iter().filter(|s| s.result == SigResult::Pass) {
            if !v.contains(&s.domain) {
                v.push(s.domain.clone());
            }
        }
        v
    }
}

/// Tags of a DKIM-Signature value, for display when mail-auth could not parse it.
pub fn sig_tags(value: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(value)
        .split(';')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.split_whitespace().collect::<String>()))
        .collect()
}

/// A valid DNS domain name made of LDH labels (RFC 6376 §3.5 d= and s= syntax).
pub fn valid_dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') && !l.starts_with('-')
        })
}

fn reason_of(err: &mail_auth::Error) -> (&'static str, String) {
    use mail_auth::Error as E;
    match err {
        E::Dkim(DkimError::FailedBodyHashMatch) => (
            "dkim.body-hash-mismatch",
            "body hash mismatch: the body changed after signing (a footer, disclaimer or re-encoding by a list or gateway)".into(),
        ),
        E::Crypto(CryptoError::FailedVerification) => (
            "dkim.signature-mismatch",
            "signature does not verify: a signed header changed after signing, or the key in DNS is not the signing key".into(),
        ),
        E::Dns(DnsError::RecordNotFound(_)) | E::Dns(DnsError::InvalidRecordType) => {
            ("dkim.key-missing", "key not found: no DKIM key record at the selector".into())
        }
        E::Dns(DnsError::Resolver(e)) => ("dkim.key-dns-failure", format!("key lookup failed ({e}): could not check")),
        E::Dkim(DkimError::RevokedPublicKey) => ("dkim.key-revoked", "key revoked: the selector's record has an empty p=".into()),
        E::Dkim(DkimError::SignatureExpired) => ("dkim.signature-expired", "signature expired (x= is in the past)".into()),
        E::Dkim(DkimError::SignatureLength) => (
            "dkim.length-tag",
            "l= present: only part of the body is signed, so anything can be appended; refused".into(),
        ),
        E::Dkim(DkimError::UnsupportedAlgorithm) | E::Crypto(CryptoError::IncompatibleAlgorithms) => {
            ("dkim.unsupported-algorithm", format!("unsupported algorithm: {err}"))
        }
        E::Dkim(DkimError::UnsupportedKeyType) => ("dkim.unsupported-algorithm", "unsupported key type in the DNS record".into()),
        E::Dkim(DkimError::UnsupportedVersion) | E::Dkim(DkimError::UnsupportedCanonicalization) => {
            ("dkim.signature-malformed", err.to_string())
        }
        E::Dkim(DkimError::FailedAuidMatch) => ("dkim.identity-mismatch", "i= is not within d= (or the key has t=s)".into()),
        E::Crypto(CryptoError::Library(e)) => ("dkim.key-invalid", format!("the public key cannot be used: {e}")),
        E::ParseError | E::Base64 => ("dkim.signature-malformed", format!("malformed: {err}")),
        other => ("dkim.signature-malformed", other.to_string()),
    }
}

/// A signature whose `a=` needs another key type than the one published can never
/// verify (RFC 6376 §6.1.2: inappropriate key algorithm). mail-auth checks the body hash
/// first, so such a signature would read as "body hash mismatch" (the hash of `a=` is
/// not the one `bh=` was made with): the key/algorithm mismatch is the precise reason.
fn key_algorithm_mismatch(r: &mut SignatureReport) {
    let Some(k) = &r.key else { return };
    if r.result == SigResult::Pass || k.revoked || matches!(r.reason_id, "dkim.key-missing" | "dkim.key-dns-failure") {
        return;
    }
    let a = r.algorithm.to_ascii_lowercase();
    let wants = match a.split('-').next() {
        Some("rsa") => "rsa",
        Some("ed25519") => "ed25519",
        _ => return,
    };
    let have = k.key_type.to_ascii_lowercase();
    if have == wants || !matches!(have.as_str(), "rsa" | "ed25519") {
        return;
    }
    r.result = SigResult::PermError;
    r.reason_id = "dkim.unsupported-algorithm";
    r.reason = format!(
        "key/algorithm mismatch: the signature says a={a} but the key at {} is {} (k={have}); it cannot verify (was: {})",
        r.key_name,
        k.describe(),
        r.reason
    );
}

/// Turn one DNS answer into what mail-auth expects in its cache.
fn to_txt(ans: &crate::dns::Answer) -> Txt {
    if ans.is_failure() {
        return Txt::Error(mail_auth::Error::Dns(DnsError::Resolver(ans.summary())));
    }
    if ans.outcome != Outcome::Records {
        return Txt::Error(mail_auth::Error::Dns(DnsError::RecordNotFound(ResponseCode::NXDomain)));
    }
    let mut last = Txt::Error(mail_auth::Error::Dns(DnsError::InvalidRecordType));
    for t in ans.txt_strings() {
        match DomainKey::parse(t.as_bytes()) {
            Ok(k) => return Txt::from(k),
            Err(e) => last = Txt::Error(e),
        }
    }
    last
}

/// The message in wire form: bare LF and bare CR line ends become CRLF. Files on disk
/// usually carry LF only, while signatures are computed over CRLF (RFC 5322, RFC 6376
/// §5.3); dkimpy and MTAs make the same conversion.
pub fn to_crlf(raw: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let needs = raw.iter().enumerate().any(|(i, &b)| {
        (b == b'\n' && (i == 0 || raw[i - 1] != b'\r')) || (b == b'\r' && raw.get(i + 1) != Some(&b'\n'))
    });
    if !needs {
        return std::borrow::Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 16);
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'\r' if raw.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 2;
                continue;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    std::borrow::Cow::Owned(out)
}

/// Verify every DKIM signature of `raw`. Err when the bytes are not a message at all.
pub async fn verify_message(resolver: &Resolver, raw: &[u8]) -> Result<MessageDkim, String> {
    let wire = to_crlf(raw);
    let raw: &[u8] = &wire;
    let msg = AuthenticatedMessage::parse(raw).ok_or("not a message: no header section could be parsed")?;
    // Every DKIM-Signature header, in order, with its parsed form when mail-auth could.
    struct Slot<'a> {
        value: &'a [u8],
        sig: Option<&'a mail_auth::dkim::Signature>,
        parse_error: Option<mail_auth::Error>,
    }
    let mut slots: Vec<Slot> = Vec::new();
    for (name, value) in &msg.headers {
        if !name.eq_ignore_ascii_case(b"DKIM-Signature") {
            continue;
        }
        let sig = msg.dkim_headers.iter().find(|h| h.value.as_ptr() == value.as_ptr()).map(|h| &h.header);
        let parse_error = if sig.is_none() {
            Some(
                msg.errors
                    .iter()
                    .find(|h| h.value.as_ptr() == value.as_ptr())
                    .map(|h| h.header.clone())
                    .unwrap_or(mail_auth::Error::ParseError),
            )
        } else {
            None
        };
        slots.push(Slot { value, sig, parse_error });
    }
    // Prefetch the key of every signature with a well-formed d= and s=.
    let mut names: Vec<String> = Vec::new();
    for s in &slots {
        if let Some(sig) = s.sig {
            if valid_dns_name(&sig.d) && valid_dns_name(&sig.s) {
                let n = crate::dns::normalize(&format!("{}._domainkey.{}", sig.s, sig.d));
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
    }
    let answers = futures::future::join_all(names.iter().map(|n| resolver.query(n, RType::Txt))).await;
    let cache = PrefetchedTxt::new();
    let mut by_name: HashMap<String, Arc<crate::dns::Answer>> = HashMap::new();
    for (n, a) in names.iter().zip(answers) {
        cache.put(n, to_txt(&a));
        by_name.insert(n.clone(), a);
    }
    let auth = authenticator(&[])?;
    let outputs = auth.verify_dkim(Parameters::new(&msg).with_txt_cache(&cache)).await;

    let mut reports = Vec::new();
    for (index, slot) in slots.iter().enumerate() {
        let tags = sig_tags(slot.value);
        let tag = |k: &str| tags.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
        let (domain, selector) = match slot.sig {
            Some(s) => (s.d.to_ascii_lowercase(), s.s.to_ascii_lowercase()),
            None => (tag("d").to_ascii_lowercase(), tag("s").to_ascii_lowercase()),
        };
        let key_name = format!("{selector}._domainkey.{domain}");
        let mut r = SignatureReport {
            index,
            domain: domain.clone(),
            selector: selector.clone(),
            algorithm: tag("a"),
            identity: slot.sig.map(|s| s.i.clone()).unwrap_or_else(|| tag("i")),
            result: SigResult::PermError,
            reason_id: "dkim.signature-malformed",
            reason: String::new(),
            body_length: slot.sig.map(|s| s.l).filter(|l| *l > 0).or_else(|| tag("l").parse().ok()),
            expires: slot.sig.map(|s| s.x).filter(|x| *x > 0),
            key_name: key_name.clone(),
            key_evidence: None,
            key: None,
        };
        if let Some(a) = by_name.get(&crate::dns::normalize(&key_name)) {
            r.key_evidence = Some(a.summary());
            if let Some(t) = a.txt_strings().first() {
                r.key = Some(key::parse(t));
            }
        }
        match (slot.sig, &slot.parse_error) {
            (None, err) => {
                let err = err.clone().unwrap_or(mail_auth::Error::ParseError);
                let (id, why) = reason_of(&err);
                r.reason_id = id;
                r.reason = format!("signature not usable: {why}");
                r.result = if id == "dkim.length-tag" { SigResult::Neutral } else { SigResult::PermError };
            }
            (Some(sig), _) if !valid_dns_name(&sig.d) => {
                r.reason = format!("d={:?} is not a valid domain name", sig.d);
            }
            (Some(sig), _) if !valid_dns_name(&sig.s) => {
                r.reason = format!("s={:?} is not a valid selector", sig.s);
            }
            (Some(sig), _) => {
                let out = outputs.iter().find(|o| o.signature().is_some_and(|s| std::ptr::eq(s, sig)));
                match out.map(|o| o.result()) {
                    // RFC 6376 §5.4: the From header field MUST be signed; §6.1.1: a
                    // verifier MUST treat a signature whose h= lacks it as PERMFAIL.
                    // mail-auth verifies such a signature cryptographically: check h= here.
                    Some(DkimResult::Pass) if !sig.h.iter().any(|h| h.trim().eq_ignore_ascii_case("from")) => {
                        r.result = SigResult::PermError;
                        r.reason_id = "dkim.from-not-signed";
                        r.reason = format!(
                            "From header not signed (RFC 6376 §5.4): h={} leaves out From, so the signature vouches for nothing about the sender; refused",
                            sig.h.join(":")
                        );
                    }
                    Some(DkimResult::Pass) => {
                        r.result = SigResult::Pass;
                        r.reason_id = "dkim.pass";
                        r.reason = format!("verified with the key at {key_name}");
                    }
                    Some(res) => {
                        let (result, err) = match res {
                            DkimResult::Fail(e) => (SigResult::Fail, e),
                            DkimResult::Neutral(e) => (SigResult::Neutral, e),
                            DkimResult::PermError(e) => (SigResult::PermError, e),
                            DkimResult::TempError(e) => (SigResult::TempError, e),
                            _ => (SigResult::Neutral, &mail_auth::Error::ParseError),
                        };
                        let (id, why) = reason_of(err);
                        // mail-auth reports a body hash mismatch and an expired x= as
                        // "neutral"; receivers treat both as a failed signature.
                        r.result = if matches!(id, "dkim.body-hash-mismatch" | "dkim.signature-expired") { SigResult::Fail } else { result };
                        r.reason_id = id;
                        r.reason = why;
                    }
                    None => {
                        r.result = SigResult::PermError;
                        r.reason = "the verifier returned no result for this signature".into();
                    }
                }
            }
        }
        key_algorithm_mismatch(&mut r);
        reports.push(r);
    }
    Ok(MessageDkim { signatures: reports, from: msg.from.clone() })
}
