//! Sender address syntax: RFC 5321 Mailbox (with RFC 5322 input forms accepted),
//! IDN domains (IDNA2008 via `idna`), and SMTPUTF8 detection.

pub mod check;
pub mod parse;

pub use check::check;
pub use parse::{parse, parse_input, AddressError, Domain, Mailbox};
