//! SMTP replies: basic code (RFC 5321), enhanced status code (RFC 3463/5248), and what
//! they mean. The spine needs only `parse`; the vendor catalogue and registry grow here.

pub mod parse;

pub use parse::{parse, EnhancedCode, Reply};
pub mod cli;
