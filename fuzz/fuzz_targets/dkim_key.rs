//! The DKIM key record parser (including its DER reader) must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let rec = mailsleuth::dkim::key::parse(&text);
    let _ = rec.describe();
    // Raw bytes as a key: base64-encode them so the DER reader sees arbitrary input.
    use base64_free::encode;
    let _ = mailsleuth::dkim::key::parse(&format!("v=DKIM1; k=rsa; p={}", encode(data)));
});

/// A tiny base64 encoder, so the fuzz crate needs no extra dependency.
mod base64_free {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    pub fn encode(d: &[u8]) -> String {
        let mut s = String::new();
        for c in d.chunks(3) {
            let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
            let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
            for i in 0..4 {
                if i <= c.len() {
                    s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    s.push('=');
                }
            }
        }
        s
    }
}
