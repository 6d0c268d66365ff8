//! SMTP AUTH (RFC 4954): PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195), XOAUTH2 (Google/
//! Microsoft bearer tokens). The transcript shows `AUTH PLAIN ********`: the secret and
//! anything derived from it are never recorded, and are masked when a server echoes them
//! (see `redact`).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::Serialize;

use super::client::{FailKind, Failure, Secret, Session};
use super::reply_reader::RawReply;
use super::stage::Stage;

pub const REDACTED: &str = "********";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Mechanism {
    Plain,
    Login,
    CramMd5,
    Xoauth2,
}

impl Mechanism {
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::Xoauth2 => "XOAUTH2",
        }
    }
}

/// The mechanisms the server advertised in its `AUTH ...` EHLO line.
pub fn offered(session: &Session) -> Vec<String> {
    session
        .ehlo
        .iter()
        .filter_map(|l| l.strip_prefix("AUTH ").or_else(|| l.strip_prefix("AUTH=")))
        .flat_map(|rest| rest.split_whitespace().map(str::to_string))
        .collect()
}

/// Pick a mechanism: the one asked for, else the first of PLAIN, LOGIN, CRAM-MD5 offered.
/// XOAUTH2 needs a token instead of a password, so it is only used when asked for.
pub fn choose(asked: Option<Mechanism>, offered: &[String]) -> Result<Mechanism, String> {
    if let Some(m) = asked {
        return Ok(m);
    }
    for m in [Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5] {
        if offered.iter().any(|o| o == m.name()) {
            return Ok(m);
        }
    }
    Err(if offered.is_empty() {
        "the server does not offer AUTH here (not advertised in EHLO; some servers offer it only after STARTTLS or on port 587)".into()
    } else {
        format!("none of the server's mechanisms ({}) is supported; use --auth-mech", offered.join(" "))
    })
}

fn continue_or_fail(reply: RawReply) -> Result<RawReply, Failure> {
    if reply.code == 334 { Ok(reply) } else { finish(reply) }
}

fn finish(reply: RawReply) -> Result<RawReply, Failure> {
    if reply.code == 235 || reply.is_positive() && reply.code != 334 {
        Ok(reply)
    } else {
        Err(Failure::new(Stage::Auth, FailKind::Rejected { reply }))
    }
}

/// Authenticate. Ok(235 reply) or the failure at stage AUTH.
pub async fn authenticate(s: &mut Session, mech: Mechanism, user: &str, secret: &Secret) -> Result<RawReply, Failure> {
    // A server may echo what it got: mask the secret and each encoding we send of it.
    s.redact(&secret.0);
    match mech {
        Mechanism::Plain => {
            let blob = format!("\0{user}\0{}", secret.0);
            s.redact(&blob);
            let token = B64.encode(blob);
            let r = s.send(Stage::Auth, &format!("AUTH PLAIN {token}"), &format!("AUTH PLAIN {REDACTED}")).await?;
            finish(r)
        }
        Mechanism::Login => {
            continue_or_fail(s.send(Stage::Auth, "AUTH LOGIN", "AUTH LOGIN").await?)?;
            let u = B64.encode(user);
            continue_or_fail(s.send(Stage::Auth, &u, &format!("{u} (user {user})")).await?)?;
            finish(s.send(Stage::Auth, &B64.encode(&secret.0), REDACTED).await?)
        }
        Mechanism::CramMd5 => {
            let r = continue_or_fail(s.send(Stage::Auth, "AUTH CRAM-MD5", "AUTH CRAM-MD5").await?)?;
            let challenge = B64
                .decode(r.lines.first().map(|l| l.trim()).unwrap_or(""))
                .map_err(|e| Failure::new(Stage::Auth, FailKind::BadReply { error: format!("CRAM-MD5 challenge is not base64: {e}") }))?;
            let digest = super::md5::hex(&super::md5::hmac_md5(secret.0.as_bytes(), &challenge));
            let plain = format!("{user} {digest}");
            s.redact(&plain);
            let resp = B64.encode(plain);
            finish(s.send(Stage::Auth, &resp, &format!("{REDACTED} (user {user}, HMAC-MD5 response)")).await?)
        }
        Mechanism::Xoauth2 => {
            s.redact(&xoauth2_blob(user, secret));
            let token = xoauth2_token(user, secret);
            let r = s.send(Stage::Auth, &format!("AUTH XOAUTH2 {token}"), &format!("AUTH XOAUTH2 {REDACTED}")).await?;
            if r.code == 334 {
                // The server's error details come as a base64 JSON challenge; an empty line ends the exchange.
                return finish(s.send(Stage::Auth, "", "(empty line: end of XOAUTH2 exchange)").await?);
            }
            finish(r)
        }
    }
}

/// The XOAUTH2 initial response (Google/Microsoft SASL XOAUTH2).
fn xoauth2_token(user: &str, token: &Secret) -> String {
    B64.encode(xoauth2_blob(user, token))
}

fn xoauth2_blob(user: &str, token: &Secret) -> String {
    format!("user={user}\x01auth=Bearer {}\x01\x01", token.0)
}

/// The secret for --auth-user: MAILSLEUTH_SMTP_PASSWORD, else an interactive prompt.
/// Never from argv.
pub fn read_secret(user: &str) -> Result<Secret, String> {
    if let Ok(p) = std::env::var("MAILSLEUTH_SMTP_PASSWORD") {
        return Ok(Secret(p));
    }
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Err(format!("--auth-user {user}: set MAILSLEUTH_SMTP_PASSWORD (no terminal to prompt on)"));
    }
    rpassword::prompt_password(format!("SMTP password (or token) for {user}: ")).map(Secret).map_err(|e| format!("cannot read the password: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoauth2_format() {
        // The example from Google's XOAUTH2 documentation.
        let t = xoauth2_token("someuser@example.com", &Secret("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg".into()));
        assert_eq!(t, "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==");
    }

    #[test]
    fn choose_mechanism() {
        let offered = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(choose(None, &offered("LOGIN PLAIN")), Ok(Mechanism::Plain));
        assert_eq!(choose(None, &offered("CRAM-MD5")), Ok(Mechanism::CramMd5));
        assert!(choose(None, &offered("XOAUTH2")).is_err());
        assert!(choose(None, &[]).unwrap_err().contains("does not offer AUTH"));
        assert_eq!(format!("{:?}", Secret("pw".into())), "********");
    }
}
