//! Exit codes, documented in docs/exit-codes.md. Stable: scripts and CI depend on them.

/// Nothing found that explains a rejection.
pub const OK: u8 = 0;
/// At least one error-level cause was found.
pub const PROBLEM: u8 = 1;
/// Usage or input error (bad arguments, unreadable file, malformed address or zone).
pub const USAGE: u8 = 2;
/// The checks could not complete (e.g. DNS unreachable).
pub const INCOMPLETE: u8 = 3;
