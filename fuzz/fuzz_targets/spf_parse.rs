//! Fuzz the SPF record parser and macro expansion: never a panic, and everything that
//! parses expands within the bound. Run: `cargo +nightly fuzz run spf_parse`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsleuth::spf::{macros, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let record = format!("v=spf1 {text}");
    if let Ok(r) = parse::parse_record(&record) {
        let data = macros::MacroData {
            sender: "a.b-c@example.com".into(),
            local: "a.b-c".into(),
            sender_domain: "example.com".into(),
            domain: "example.com".into(),
            ip: "2001:db8::1".parse().unwrap(),
            helo: "h.example.com".into(),
            receiver: "r.example".into(),
            timestamp: 1,
            ptr: None,
        };
        for t in &r.terms {
            if let parse::Term::Modifier(m) = t {
                if let Ok(s) = macros::expand(&m.value, &data) {
                    assert!(s.len() <= macros::MAX_EXPANSION + 1024);
                }
            }
        }
    }
    let _ = parse::parse_macro_string(text, 0, true);
});
