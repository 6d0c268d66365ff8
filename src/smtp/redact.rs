//! Masking secrets in what a server sends back. We never record what we send of a
//! secret, but a server may echo it: `535 5.7.8 ... bad AUTH PLAIN AGFsaWNl...`. The
//! session registers the secret and every encoding it sends (the PLAIN blob, the LOGIN
//! password in base64, the XOAUTH2 blob); each reply is scrubbed as it is read, before
//! the transcript, the steps, the verdict, the findings, the JSON or a bundle see it.

use base64::engine::general_purpose::{STANDARD as B64, STANDARD_NO_PAD as B64_NO_PAD};
use base64::Engine;

use super::auth::REDACTED;
use super::reply_reader::RawReply;

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so a blob is masked whole before a part of it is.
    needles: Vec<String>,
    /// The base64 forms, whose fragments are masked too.
    encoded: Vec<String>,
}

impl Redactor {
    /// Mask `secret` and its base64 forms (padded and not), and the text a server shows
    /// when it decodes a blob (NULs as `^@`, or removed).
    pub fn add(&mut self, secret: &str) {
        self.encoded.push(B64.encode(secret));
        let mut forms = vec![secret.to_string(), B64.encode(secret), B64_NO_PAD.encode(secret)];
        if secret.contains('\0') {
            forms.push(secret.replace('\0', "^@"));
            forms.push(secret.replace('\0', " "));
        }
        for f in forms {
            if !f.trim().is_empty() && !self.needles.contains(&f) {
                self.needles.push(f);
            }
        }
        self.needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    }

    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for n in &self.needles {
            if out.contains(n.as_str()) {
                out = out.replace(n.as_str(), REDACTED);
            }
        }
        // A server that echoes only part of a blob (cut at its line length, or split over
        // reply lines): any base64-looking run of 8+ characters inside an encoding we sent
        // goes too. (Not for the raw secret: its parts may be ordinary words.)
        let is_b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
        let fragments: Vec<&str> = out.split(|c: char| !is_b64(c)).filter(|t| t.len() >= 8 && self.encoded.iter().any(|n| n.contains(t.trim_end_matches('=')))).collect();
        if fragments.is_empty() {
            return out;
        }
        let mut masked = out.clone();
        for f in fragments {
            masked = masked.replace(f, REDACTED);
        }
        masked
    }

    pub fn reply(&self, reply: &mut RawReply) {
        if self.needles.is_empty() {
            return;
        }
        for l in &mut reply.lines {
            *l = self.apply(l);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_the_blob_and_the_password() {
        let mut r = Redactor::default();
        r.add("S3cr3tPW!");
        r.add("\0alice\0S3cr3tPW!");
        let s = r.apply("bad AUTH PLAIN AGFsaWNlAFMzY3IzdFBXIQ== (pw S3cr3tPW!, login UzNjcjN0UFch)");
        assert_eq!(s, "bad AUTH PLAIN ******** (pw ********, login ********)");
        assert_eq!(r.apply("nothing here"), "nothing here");
        // Part of the PLAIN blob, cut where a server truncates its echo.
        assert_eq!(r.apply("535-5.7.8 bad AUTH PLAIN AGFsaWNlAFMz"), "535-5.7.8 bad AUTH PLAIN ********");
        assert_eq!(r.apply("535 5.7.8 Y3IzdFBXIQ== rest"), "535 5.7.8 ******** rest");
    }
}
