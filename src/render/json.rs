//! JSON output: every document carries `schema_version` (see docs/json.md).

use serde::Serialize;

/// Bumped on any incompatible change of a JSON document's shape.
pub const SCHEMA_VERSION: u32 = 1;

/// Print a document as pretty JSON on stdout.
pub fn print<T: Serialize>(doc: &T) {
    match serde_json::to_string_pretty(doc) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("mailsleuth: cannot serialise JSON: {e}"),
    }
}
