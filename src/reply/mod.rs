//! SMTP replies: basic code (RFC 5321), enhanced status code (RFC 3463/5248), what they
//! mean (the embedded IANA registry), who answered and what their words mean (the vendor
//! catalogue), and the cause a sender can fix (`explain`).

pub mod cause;
pub mod cli;
pub mod conformance;
pub mod explain;
pub mod parse;
pub mod registry;
mod registry_table;
pub mod vendor;

pub use cause::{Cause, Identity};
pub use explain::{explain, explain_reply, Explanation, Permanence, Stage};
pub use parse::{parse, EnhancedCode, Reply};
