//! JSON output: every document carries `schema_version` (see docs/json.md).

use serde::Serialize;

/// Bumped on any incompatible change of a JSON document's shape.
pub const SCHEMA_VERSION: u32 = 1;

/// Print a document as pretty JSON on stdout. A closed pipe (`| head`) is not an error
/// worth a panic: the reader has what it wanted.
pub fn print<T: Serialize>(doc: &T) {
    use std::io::Write;
    match serde_json::to_string_pretty(doc) {
        Ok(s) => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{s}").and_then(|_| out.flush());
        }
        Err(e) => eprintln!("mailsleuth: cannot serialise JSON: {e}"),
    }
}
