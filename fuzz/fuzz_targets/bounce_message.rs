//! A whole bounce message (MIME, plain-text formats, events JSON): no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mailsleuth::bounce::parse_message(data);
    if mailsleuth::bounce::events::looks_like_json(data) {
        let _ = mailsleuth::bounce::events::parse(data);
    }
});
