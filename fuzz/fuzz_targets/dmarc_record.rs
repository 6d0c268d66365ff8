//! The DMARC record parser and report-URI parser must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(rec) = mailsleuth::dmarc::parse::parse(&text) {
        let _ = rec.is_valid_strict();
        let _ = rec.has_syntax_error();
    }
    let _ = mailsleuth::dmarc::parse::parse_uri(&text);
    let _ = mailsleuth::dmarc::parse::looks_like_dmarc(&text);
});
