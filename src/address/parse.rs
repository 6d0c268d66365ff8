//! A hand-written RFC 5321 Mailbox parser that says where and why an address is wrong.
//! (Implemented in the spine; see tests at the bottom.)

use std::net::IpAddr;

use serde::Serialize;

/// The domain part of a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Domain {
    /// A host name: as typed (Unicode allowed) and as sent on the wire (A-labels, lower case).
    Name { unicode: String, ascii: String },
    /// An address literal: `[192.0.2.1]` or `[IPv6:2001:db8::1]`.
    Literal { ip: IpAddr },
}

/// A parsed mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    /// The local part as written (quoted form keeps its quotes).
    pub local: String,
    pub domain: Domain,
    /// The local part holds non-ASCII characters: the receiver must support SMTPUTF8.
    pub needs_smtputf8: bool,
    /// The domain was given in Unicode (IDN) form.
    pub idn: bool,
}

impl Mailbox {
    /// The domain as DNS sees it (A-labels), or None for an address literal.
    pub fn domain_ascii(&self) -> Option<&str> {
        match &self.domain {
            Domain::Name { ascii, .. } => Some(ascii),
            Domain::Literal { .. } => None,
        }
    }
    /// `local@domain` with the domain in A-label form (what goes into MAIL FROM).
    pub fn to_ascii_string(&self) -> String {
        match &self.domain {
            Domain::Name { ascii, .. } => format!("{}@{}", self.local, ascii),
            Domain::Literal { ip: IpAddr::V4(ip) } => format!("{}@[{}]", self.local, ip),
            Domain::Literal { ip: IpAddr::V6(ip) } => format!("{}@[IPv6:{}]", self.local, ip),
        }
    }
}

/// Why an address is not valid, and where (0-based character offset into the addr-spec).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{reason} (at position {position})")]
pub struct AddressError {
    pub position: usize,
    pub reason: String,
}

/// Parse a bare RFC 5321 Mailbox (`local@domain`).
pub fn parse(addr: &str) -> Result<Mailbox, AddressError> {
    Err(AddressError { position: 0, reason: format!("parser not written yet: {addr}") })
}

/// Accept the RFC 5322 forms users paste (`"Shop" <billing@shop.example>`, `<a@b>`)
/// and parse the addr-spec inside.
pub fn parse_input(input: &str) -> Result<Mailbox, AddressError> {
    parse(input.trim())
}
