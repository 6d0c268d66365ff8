//! When a diagnosis may open SMTP connections of its own. The one it opens unasked is the
//! sender-verify callout (a reply says the sender could not be verified: ask the sender
//! domain's MX again, as the receiver did). Whether it may is the caller's choice:
//! the default is never, so scenarios, replays and library callers stay offline.

use crate::finding::{Finding, Severity};
use crate::smtp::target::{self, Family};

use super::Context;

/// Whether diagnose may run the sender-verify callout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LiveSmtp {
    /// Never connect (the default: scenarios, `--replay`, `--no-callout`).
    #[default]
    Off,
    /// Only when every MX address is on loopback (127.0.0.0/8, ::1): `--zones` is an
    /// offline world, and its mail hosts may be a local lab but nothing beyond.
    Loopback,
    /// Connect to the sender domain's MX wherever it is (the real internet, `--overlay`).
    On,
}

/// The finding when the callout was not run: the cause stays "could not check".
pub const NOT_RUN: &str = "smtp.callout-not-run";

/// Ok when the callout for `sender` may connect to its domain's MX on `port`; else why not.
pub async fn callout_allowed(ctx: &Context, sender: &str, port: u16) -> Result<(), String> {
    match ctx.options.live_smtp {
        LiveSmtp::On => Ok(()),
        LiveSmtp::Off => Err("live SMTP is off for this run".to_string()),
        LiveSmtp::Loopback => {
            let domain = sender.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
            // The callout resolves the same names through the same per-run cache.
            let (targets, _) = target::mx_targets(&ctx.resolver, domain, port, Family::Any).await;
            match targets {
                Ok(t) => loopback_only(&t),
                // Nowhere to connect: the callout reports that without opening a connection.
                Err(_) => Ok(()),
            }
        }
    }
}

/// Every target on loopback, or the first one that is not.
pub fn loopback_only(targets: &[target::Target]) -> Result<(), String> {
    match targets.iter().find(|t| !t.addr.ip().is_loopback()) {
        None => Ok(()),
        Some(t) => Err(format!("the MX {} [{}] is not on loopback and --zones is an offline world", t.host, t.addr.ip())),
    }
}

/// "Could not check": the callout was not run, and why.
pub fn not_run(sender: &str, reason: &str) -> Finding {
    Finding::new(NOT_RUN, Severity::Unknown, format!("Could not check whether the MX of {sender} accepts it (callout not run: {reason})"))
        .detail("The receiver verified the sender by asking the sender domain's MX (RCPT TO:<sender> from MAIL FROM:<>). mailsleuth repeats that callout only on a live run.")
        .fix(crate::finding::Fix::setting(format!("Run `mailsleuth probe --callout {sender}` from a host with SMTP access, or diagnose without --zones/--no-callout.")))
        .subject(sender.rsplit_once('@').map(|(_, d)| d).unwrap_or(sender))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(host: &str, addr: &str) -> target::Target {
        target::Target { host: host.into(), addr: addr.parse().unwrap(), mx_preference: Some(10) }
    }

    #[test]
    fn only_loopback_targets_pass() {
        assert_eq!(loopback_only(&[t("a", "127.0.0.1:25"), t("b", "127.9.8.7:25"), t("c", "[::1]:25")]), Ok(()));
        let err = loopback_only(&[t("a", "127.0.0.1:25"), t("mail.good.example", "192.0.2.25:25")]).unwrap_err();
        assert!(err.contains("mail.good.example [192.0.2.25]"), "{err}");
        assert!(loopback_only(&[t("m", "[2001:db8::25]:25")]).is_err());
        // An IPv4-mapped loopback is not taken for loopback (conservative).
        assert!(loopback_only(&[t("m", "[::ffff:127.0.0.1]:25")]).is_err());
    }
}
