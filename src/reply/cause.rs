//! Cause categories: what a rejection says is wrong, in terms a sender can fix, and
//! which identity it blames. The vendor catalogue (vendor.rs) maps words onto these.

use serde::Serialize;

/// Why the receiver refused, as far as the reply tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// The envelope sender is not a valid RFC 5321 address (no domain, bad syntax).
    AddressSyntax,
    /// The sender's domain does not exist or has no route for mail (no MX/A).
    UnknownSenderDomain,
    /// The sender's domain publishes a null MX (RFC 7505): it says it sends no mail.
    NullMx,
    /// SPF failed or erred for the envelope sender and the client IP.
    Spf,
    /// No (acceptable) DKIM signature.
    Dkim,
    /// DMARC failed for the From domain (and its policy says reject/quarantine).
    Dmarc,
    /// The receiver requires SPF and/or DKIM (and DMARC) and the message had too few passing.
    Authentication,
    /// The ESP (SES, SendGrid, Mailgun, Postmark, SparkPost) has not verified this sender
    /// address or domain for the account (or the account is in a sandbox).
    EspIdentityUnverified,
    /// The login used for submission may not send as this address (SendAs denied, not owned).
    SendAsDenied,
    /// The server will not relay for this client or sender (relay denied, relay not registered).
    RelayDenied,
    /// The receiver called back the sender's MX and the sender address was refused.
    SenderVerifyFailed,
    /// The client IP or the sending domain is blocklisted or has a bad reputation.
    Reputation,
    /// The client IP has no reverse DNS, or it does not match forward DNS.
    ReverseDns,
    /// The HELO/EHLO name was refused.
    Helo,
    /// The server requires TLS or SMTP AUTH before it accepts this.
    TlsOrAuthRequired,
    /// Too much mail or too many connections: rate limit, throttling, deferral.
    RateLimit,
    /// The message itself (content, spam score, headers not RFC 5322 compliant).
    Content,
    /// A policy refusal the reply does not explain further (e.g. bare 5.7.1).
    Policy,
    /// Not a sender problem: unknown recipient, full mailbox, recipient system error.
    NotSenderProblem,
    /// The reply does not say.
    Unknown,
}

/// Which identity a cause blames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Identity {
    EnvelopeSender,
    FromHeader,
    ClientIp,
    Helo,
    Login,
    Message,
    Recipient,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::AddressSyntax => "address-syntax",
            Cause::UnknownSenderDomain => "unknown-sender-domain",
            Cause::NullMx => "null-mx",
            Cause::Spf => "spf",
            Cause::Dkim => "dkim",
            Cause::Dmarc => "dmarc",
            Cause::Authentication => "authentication",
            Cause::EspIdentityUnverified => "esp-identity-unverified",
            Cause::SendAsDenied => "send-as-denied",
            Cause::RelayDenied => "relay-denied",
            Cause::SenderVerifyFailed => "sender-verify-failed",
            Cause::Reputation => "reputation",
            Cause::ReverseDns => "reverse-dns",
            Cause::Helo => "helo",
            Cause::TlsOrAuthRequired => "tls-or-auth-required",
            Cause::RateLimit => "rate-limit",
            Cause::Content => "content",
            Cause::Policy => "policy",
            Cause::NotSenderProblem => "not-sender-problem",
            Cause::Unknown => "unknown",
        }
    }

    /// One line a person reads.
    pub fn summary(self) -> &'static str {
        match self {
            Cause::AddressSyntax => "the sender address is not a valid RFC 5321 address",
            Cause::UnknownSenderDomain => "the sender's domain does not exist or cannot receive mail",
            Cause::NullMx => "the sender's domain publishes a null MX: it declares it sends and receives no mail",
            Cause::Spf => "SPF failed: the sending IP is not authorised by the envelope sender's domain",
            Cause::Dkim => "no valid DKIM signature",
            Cause::Dmarc => "DMARC failed for the From domain, whose policy asks receivers to reject",
            Cause::Authentication => "the message did not pass the receiver's authentication requirements (SPF, DKIM, DMARC)",
            Cause::EspIdentityUnverified => "the sending service has not verified this sender address or domain for the account",
            Cause::SendAsDenied => "the account you logged in with may not send as this address",
            Cause::RelayDenied => "the server will not relay mail for this client or sender",
            Cause::SenderVerifyFailed => "the receiver checked the sender address with its own MX and it was refused",
            Cause::Reputation => "the sending IP or domain is blocklisted or has a poor reputation",
            Cause::ReverseDns => "the sending IP has no valid reverse DNS (PTR) or it does not match",
            Cause::Helo => "the HELO/EHLO name was refused",
            Cause::TlsOrAuthRequired => "the server requires TLS or authentication first",
            Cause::RateLimit => "too much mail or too many connections: the receiver is throttling",
            Cause::Content => "the message content or its headers were refused",
            Cause::Policy => "refused by local policy; the reply does not say which check",
            Cause::NotSenderProblem => "not a sender problem (the recipient or the receiving system)",
            Cause::Unknown => "the reply does not say why",
        }
    }

    /// A sender-side cause is one the sender (its DNS, its IP, its account) can fix.
    pub fn is_sender_side(self) -> bool {
        !matches!(self, Cause::NotSenderProblem | Cause::Unknown)
    }

    pub fn blames(self) -> &'static [Identity] {
        use Identity::*;
        match self {
            Cause::AddressSyntax | Cause::UnknownSenderDomain | Cause::NullMx | Cause::SenderVerifyFailed => &[EnvelopeSender],
            Cause::Spf => &[EnvelopeSender, ClientIp],
            Cause::Dkim | Cause::Dmarc => &[FromHeader],
            Cause::Authentication => &[FromHeader, EnvelopeSender],
            Cause::EspIdentityUnverified => &[FromHeader, Login],
            Cause::SendAsDenied => &[FromHeader, Login],
            Cause::RelayDenied => &[ClientIp, Login],
            Cause::Reputation | Cause::ReverseDns | Cause::RateLimit => &[ClientIp],
            Cause::Helo => &[Helo],
            Cause::TlsOrAuthRequired => &[Login],
            Cause::Content => &[Message],
            Cause::Policy => &[ClientIp, EnvelopeSender],
            Cause::NotSenderProblem => &[Recipient],
            Cause::Unknown => &[],
        }
    }

    /// The mailsleuth check families (finding id prefixes) that confirm this cause.
    pub fn checks(self) -> &'static [&'static str] {
        match self {
            Cause::AddressSyntax => &["address"],
            Cause::UnknownSenderDomain | Cause::NullMx => &["domain"],
            Cause::Spf => &["spf"],
            Cause::Dkim => &["dkim"],
            Cause::Dmarc | Cause::Authentication => &["dmarc", "spf", "dkim"],
            Cause::EspIdentityUnverified | Cause::SendAsDenied | Cause::TlsOrAuthRequired | Cause::RelayDenied => &["smtp"],
            Cause::SenderVerifyFailed => &["domain", "smtp"],
            Cause::Reputation | Cause::ReverseDns | Cause::Helo | Cause::RateLimit => &["host"],
            Cause::Content | Cause::Policy => &["dmarc", "spf", "host"],
            Cause::NotSenderProblem | Cause::Unknown => &[],
        }
    }
}

/// Every cause, for documentation and exhaustive tests.
pub const ALL: &[Cause] = &[
    Cause::AddressSyntax,
    Cause::UnknownSenderDomain,
    Cause::NullMx,
    Cause::Spf,
    Cause::Dkim,
    Cause::Dmarc,
    Cause::Authentication,
    Cause::EspIdentityUnverified,
    Cause::SendAsDenied,
    Cause::RelayDenied,
    Cause::SenderVerifyFailed,
    Cause::Reputation,
    Cause::ReverseDns,
    Cause::Helo,
    Cause::TlsOrAuthRequired,
    Cause::RateLimit,
    Cause::Content,
    Cause::Policy,
    Cause::NotSenderProblem,
    Cause::Unknown,
];

/// What the enhanced code alone says when no wording is recognised.
pub fn from_enhanced(subject: u16, detail: u16) -> Cause {
    match (subject, detail) {
        (1, 7) => Cause::AddressSyntax,
        (1, 8) => Cause::UnknownSenderDomain,
        (1, 3) => Cause::AddressSyntax,
        (1, _) | (2, _) => Cause::NotSenderProblem,
        (7, 20..=22) => Cause::Dkim,
        (7, 23) | (7, 24) => Cause::Spf,
        (7, 25) => Cause::ReverseDns,
        (7, 26) | (7, 515) => Cause::Authentication,
        (7, 509) => Cause::Dmarc,
        (7, 27) => Cause::NullMx,
        (7, 8) | (7, 9) | (7, 10) | (7, 11) | (7, 12) | (7, 57) | (7, 139) => Cause::TlsOrAuthRequired,
        (7, 28) => Cause::RateLimit,
        (7, 606) | (7, 511) => Cause::Reputation,
        (7, 13) | (7, 17) | (7, 18) => Cause::NotSenderProblem,
        (7, _) => Cause::Policy,
        (6, _) => Cause::Content,
        (4, 7) => Cause::Unknown,
        (3, _) | (4, _) | (5, _) => Cause::NotSenderProblem,
        _ => Cause::Unknown,
    }
}
