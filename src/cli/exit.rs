//! Exit codes, documented in docs/exit-codes.md. Stable: scripts and CI depend on them.

/// Nothing found that explains a rejection.
pub const OK: u8 = 0;
/// At least one error-level cause was found.
pub const PROBLEM: u8 = 1;
/// Usage or input error (bad arguments, unreadable file, malformed address or zone).
pub const USAGE: u8 = 2;
/// The checks could not complete (e.g. DNS unreachable).
pub const INCOMPLETE: u8 = 3;

// `mailsleuth probe`: the stage at which the session stopped (rejected or failed).
/// probe: could not connect (refused, unreachable, timed out, no address, null MX).
pub const SMTP_CONNECT: u8 = 10;
/// probe: no usable greeting (timeout, 4xx/5xx banner, garbage).
pub const SMTP_GREETING: u8 = 11;
/// probe: EHLO (and HELO) rejected or failed.
pub const SMTP_EHLO: u8 = 12;
/// probe: TLS failed: STARTTLS refused or missing, handshake failed, or an untrusted certificate without --tls-insecure.
pub const SMTP_TLS: u8 = 13;
/// probe: AUTH failed (wrong credentials, mechanism not offered).
pub const SMTP_AUTH: u8 = 14;
/// probe: MAIL FROM rejected.
pub const SMTP_MAIL: u8 = 15;
/// probe: RCPT TO rejected.
pub const SMTP_RCPT: u8 = 16;
/// probe: DATA or the end of data rejected.
pub const SMTP_DATA: u8 = 17;
