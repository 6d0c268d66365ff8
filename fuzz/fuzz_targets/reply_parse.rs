//! The reply parser and explain: any text, no panic, bounded output.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let r = mailsleuth::reply::parse(&text);
    assert!(r.text.len() <= text.len());
    let x = mailsleuth::reply::explain_reply(r);
    let _ = mailsleuth::reply::findings::findings(&x);
});
