//! Classified DNS answers.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

/// The record types the checks ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RType {
    A,
    Aaaa,
    Mx,
    Txt,
    Ptr,
    Cname,
    Ns,
    Soa,
    /// The obsolete SPF RR type (99), looked at only to warn about it.
    Spf,
    Ds,
}

impl RType {
    pub fn as_str(self) -> &'static str {
        match self {
            RType::A => "A",
            RType::Aaaa => "AAAA",
            RType::Mx => "MX",
            RType::Txt => "TXT",
            RType::Ptr => "PTR",
            RType::Cname => "CNAME",
            RType::Ns => "NS",
            RType::Soa => "SOA",
            RType::Spf => "SPF",
            RType::Ds => "DS",
        }
    }
    pub fn parse(s: &str) -> Option<RType> {
        Some(match s.to_ascii_uppercase().as_str() {
            "A" => RType::A,
            "AAAA" => RType::Aaaa,
            "MX" => RType::Mx,
            "TXT" => RType::Txt,
            "PTR" => RType::Ptr,
            "CNAME" => RType::Cname,
            "NS" => RType::Ns,
            "SOA" => RType::Soa,
            "SPF" => RType::Spf,
            "DS" => RType::Ds,
            _ => return None,
        })
    }
}

impl fmt::Display for RType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What became of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// At least one record of the asked type.
    Records,
    /// The name does not exist.
    NxDomain,
    /// The name exists but has no record of this type.
    NoData,
    /// The server said it failed (SERVFAIL).
    ServFail,
    /// The server refused to answer (REFUSED).
    Refused,
    /// No answer in time.
    Timeout,
    /// Anything else: network errors, unexpected rcodes, invalid names.
    Error,
}

impl Outcome {
    /// True for answers that say nothing about the data: a check must report
    /// "could not check", never "missing".
    pub fn is_failure(self) -> bool {
        matches!(self, Outcome::ServFail | Outcome::Refused | Outcome::Timeout | Outcome::Error)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Records => "records",
            Outcome::NxDomain => "NXDOMAIN",
            Outcome::NoData => "NODATA",
            Outcome::ServFail => "SERVFAIL",
            Outcome::Refused => "REFUSED",
            Outcome::Timeout => "timeout",
            Outcome::Error => "error",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One record, in the shape the checks need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Rec {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Mx { preference: u16, exchange: String },
    /// The character-strings of one TXT (or SPF) record, as sent.
    Txt(#[serde(with = "txt_strings")] Vec<Vec<u8>>),
    Ptr(String),
    Cname(String),
    Ns(String),
    Soa { mname: String, rname: String, serial: u32, minimum: u32 },
    Other(String),
}

impl Rec {
    /// The TXT strings joined without separators (RFC 7208 §3.3, RFC 6376 §3.6.2.2).
    pub fn txt_joined(&self) -> Option<String> {
        match self {
            Rec::Txt(parts) => {
                let bytes: Vec<u8> = parts.iter().flatten().copied().collect();
                Some(String::from_utf8_lossy(&bytes).into_owned())
            }
            _ => None,
        }
    }
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Rec::A(a) => Some(IpAddr::V4(*a)),
            Rec::Aaaa(a) => Some(IpAddr::V6(*a)),
            _ => None,
        }
    }
}

fn quote_txt(parts: &[Vec<u8>]) -> String {
    parts
        .iter()
        .map(|p| {
            let mut s = String::from("\"");
            for &b in p {
                match b {
                    b'"' | b'\\' => {
                        s.push('\\');
                        s.push(b as char);
                    }
                    0x20..=0x7e => s.push(b as char),
                    _ => s.push_str(&format!("\\{b:03}")),
                }
            }
            s.push('"');
            s
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Display for Rec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rec::A(a) => write!(f, "{a}"),
            Rec::Aaaa(a) => write!(f, "{a}"),
            Rec::Mx { preference, exchange } => write!(f, "{preference} {exchange}."),
            Rec::Txt(parts) => f.write_str(&quote_txt(parts)),
            Rec::Ptr(n) | Rec::Cname(n) | Rec::Ns(n) => write!(f, "{n}."),
            Rec::Soa { mname, rname, serial, minimum } => write!(f, "{mname}. {rname}. {serial} (minimum {minimum})"),
            Rec::Other(s) => f.write_str(s),
        }
    }
}

/// TXT strings in recordings: plain text when UTF-8, else `base64:` and the bytes.
mod txt_strings {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(parts: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        let texts: Vec<String> = parts
            .iter()
            .map(|p| match std::str::from_utf8(p) {
                Ok(t) if !t.starts_with("base64:") => t.to_string(),
                _ => format!("base64:{}", base64::engine::general_purpose::STANDARD.encode(p)),
            })
            .collect();
        s.collect_seq(texts)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let texts: Vec<String> = Vec::deserialize(d)?;
        texts
            .into_iter()
            .map(|t| match t.strip_prefix("base64:") {
                Some(b) => base64::engine::general_purpose::STANDARD.decode(b).map_err(serde::de::Error::custom),
                None => Ok(t.into_bytes()),
            })
            .collect()
    }
}

/// A classified answer to one (name, type) query.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    /// The name asked (normalized: lower case, no trailing dot).
    pub name: String,
    pub rtype: RType,
    pub outcome: Outcome,
    /// Records of the asked type only (CNAMEs followed are in `cnames`).
    pub records: Vec<Rec>,
    /// CNAME links followed to reach the answer, as (owner, target).
    pub cnames: Vec<(String, String)>,
    /// Smallest TTL of the answer records, or the negative TTL.
    pub ttl: Option<u32>,
    pub elapsed_ms: f64,
    /// The server that answered (`IP:PORT`) when one was configured; with several,
    /// `one of A, B` (hickory-resolver does not say which answered); "in-memory records"
    /// for a static table.
    pub server: String,
    /// For failures: what went wrong, in words.
    pub error: Option<String>,
    /// The AD bit of the resolver's answer, when it was asked for (DS queries): true when
    /// a validating resolver vouches for the answer; None when not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentic: Option<bool>,
}

impl Answer {
    /// An answer with data (or NXDOMAIN/NODATA); timing is filled in by the resolver.
    pub fn new(name: &str, rtype: RType, outcome: Outcome, records: Vec<Rec>, cnames: Vec<(String, String)>, ttl: Option<u32>, server: &str) -> Self {
        Answer { name: name.to_string(), rtype, outcome, records, cnames, ttl, elapsed_ms: 0.0, server: server.to_string(), error: None, authentic: None }
    }

    pub fn failed(name: &str, rtype: RType, outcome: Outcome, why: impl Into<String>, server: &str) -> Self {
        Answer { error: Some(why.into()), ..Answer::new(name, rtype, outcome, Vec::new(), Vec::new(), None, server) }
    }
    pub fn is_failure(&self) -> bool {
        self.outcome.is_failure()
    }
    /// The name exists (records or NODATA).
    pub fn exists(&self) -> bool {
        matches!(self.outcome, Outcome::Records | Outcome::NoData)
    }
    /// TXT records, each joined.
    pub fn txt_strings(&self) -> Vec<String> {
        self.records.iter().filter_map(Rec::txt_joined).collect()
    }
    pub fn ips(&self) -> Vec<IpAddr> {
        self.records.iter().filter_map(Rec::ip).collect()
    }
    /// MX records as (preference, exchange), sorted by preference.
    pub fn mx(&self) -> Vec<(u16, String)> {
        let mut v: Vec<(u16, String)> = self
            .records
            .iter()
            .filter_map(|r| match r {
                Rec::Mx { preference, exchange } => Some((*preference, exchange.clone())),
                _ => None,
            })
            .collect();
        v.sort();
        v
    }
    /// PTR / CNAME / NS targets.
    pub fn names(&self) -> Vec<String> {
        self.records
            .iter()
            .filter_map(|r| match r {
                Rec::Ptr(n) | Rec::Cname(n) | Rec::Ns(n) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }
    /// One line for evidence lists: `TXT shop.example: "v=spf1 ..." (TTL 300)`.
    pub fn summary(&self) -> String {
        let mut s = format!("{} {}", self.rtype, self.name);
        for (from, to) in &self.cnames {
            s.push_str(&format!(" [CNAME {from} -> {to}]"));
        }
        match self.outcome {
            Outcome::Records => {
                let recs: Vec<String> = self.records.iter().map(|r| r.to_string()).collect();
                s.push_str(": ");
                s.push_str(&recs.join(" | "));
            }
            other => {
                s.push_str(&format!(": {other}"));
                if let Some(e) = &self.error {
                    if other.is_failure() {
                        s.push_str(&format!(" ({e})"));
                    }
                }
            }
        }
        if let Some(ttl) = self.ttl {
            s.push_str(&format!(" (TTL {ttl})"));
        }
        s
    }
}
