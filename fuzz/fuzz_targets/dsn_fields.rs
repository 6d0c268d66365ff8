//! The message/delivery-status field-group parser: any text, no panic, bounded groups.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let d = mailsleuth::bounce::dsn::parse(&text);
    assert!(d.per_recipient.len() <= mailsleuth::bounce::dsn::MAX_GROUPS);
    for g in &d.per_recipient {
        for (_, v) in g {
            assert!(v.len() <= mailsleuth::bounce::dsn::MAX_FIELD + 1);
        }
        let _ = mailsleuth::bounce::dsn::field(g, "final-recipient").map(mailsleuth::bounce::dsn::clean_address);
    }
});
