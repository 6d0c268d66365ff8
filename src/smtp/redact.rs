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
}

impl Redactor {
    /// Mask `secret` and its base64 forms (padded and not), and the text a server shows
    /// when it decodes a blob (NULs as `^@`, or removed).
    pub fn add(&mut self, secret: &str) {
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
        out
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
    }
}
