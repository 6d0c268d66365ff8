//! Facts a diagnosis can take from the user's artefacts when not given directly.

use std::net::IpAddr;
use std::path::PathBuf;

use super::{Context, Options};
use crate::dns::Resolver;

/// What the user asked for, before any artefact is read (the CLI's arguments, or a
/// scenario's inputs).
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub sender: Option<String>,
    pub ip: Option<IpAddr>,
    pub helo: Option<String>,
    pub to: Option<String>,
    pub reply: Option<String>,
    pub bounce: Option<PathBuf>,
    pub no_dnsbl: bool,
    pub dnsbl: Vec<String>,
    pub smtp: Option<String>,
    pub auth_user: Option<String>,
    /// Whether the sender-verify callout may connect (scenarios: never).
    pub live_smtp: super::live::LiveSmtp,
    /// A malformed sender is an input error (the command line) rather than a finding.
    pub strict_sender: bool,
}

impl Request {
    /// Read the artefacts and build the context: the sender, reply and recipient come from
    /// the bounce when not given; the sending IP from the reply text when not given.
    pub fn context(&self, resolver: Resolver) -> Result<Context, String> {
        let mut notes = Vec::new();
        let mut reply = self.reply.as_deref().map(crate::reply::parse);
        let mut sender_raw = self.sender.clone();
        let mut recipient = self.to.clone();
        let mut from_header = None;
        let mut dkim = Vec::new();
        if let Some(path) = &self.bounce {
            // The reader's errors name the path already.
            let b = crate::bounce::read_for_diagnosis(path)?;
            if reply.is_none() && b.reply.is_some() {
                reply = b.reply;
                notes.push(format!("reply taken from the bounce {}", path.display()));
            }
            if recipient.is_none() && b.recipient.is_some() {
                recipient = b.recipient;
            }
            if let Some(host) = &b.remote_host {
                notes.push(format!("rejected by {host} ({} report)", b.source));
            }
            from_header = b.from_header;
            dkim = b.dkim;
            if sender_raw.is_none() {
                let named = reply.as_ref().and_then(|r| rejected_sender(&r.text, b.sender.as_deref(), from_header.as_deref()));
                match (named, b.sender) {
                    // The ESP's bounce address is the envelope; the reply rejects the From address.
                    (Some(n), Some(envelope)) if !n.eq_ignore_ascii_case(&envelope) => {
                        notes.push(format!("sender {n} taken from the reply, which names it (the envelope sender {envelope} is the service's bounce address)"));
                        sender_raw = Some(n);
                    }
                    (_, Some(s)) => {
                        notes.push(format!("sender {s} taken from the bounce"));
                        sender_raw = Some(s);
                    }
                    (Some(n), None) => {
                        notes.push(format!("sender {n} taken from the reply, which names it"));
                        sender_raw = Some(n);
                    }
                    (None, None) => {}
                }
            }
        }
        let sender_raw = sender_raw.ok_or("no sender given and none found in the bounce")?;
        // A malformed address typed by the user is an input error; one found in an
        // artefact is a finding (it may be the very cause of the rejection).
        if let Some(given) = self.sender.as_ref().filter(|_| self.strict_sender) {
            if crate::spf::verify::is_null_sender(given) {
                return Err("\"<>\" is the null sender (RFC 5321 §4.5.5), the one bounces and auto-replies are sent with: \
                     it has no domain to diagnose. Give the address the rejected message was sent from, \
                     or check the HELO identity SPF uses for it (RFC 7208 §2.4): `mailsleuth spf HELO-NAME --sender '<>' --ip IP`"
                    .into());
            }
            if let Err(e) = crate::address::parse_input(given) {
                return Err(format!("sender {given:?} is not a valid address: {e}"));
            }
        }
        let mut ip = self.ip;
        if ip.is_none() {
            if let Some(found) = reply.as_ref().and_then(|r| sending_ip_in_text(&r.text)) {
                notes.push(format!("sending IP {found} taken from the reply text"));
                ip = Some(found);
            }
        }
        let mut ctx = Context::new(resolver, &sender_raw);
        ctx.ip = ip;
        ctx.helo = self.helo.clone();
        ctx.recipient = recipient;
        ctx.reply = reply;
        ctx.options = Options { no_dnsbl: self.no_dnsbl, dnsbl_zones: self.dnsbl.clone(), live_smtp: self.live_smtp };
        ctx.smtp_server = self.smtp.clone();
        ctx.smtp_auth_user = self.auth_user.clone();
        if let Some(from) = from_header {
            ctx.from_header = Some(from);
        }
        // The returned message's DKIM signatures name the selectors to check and the
        // d= domains that DMARC alignment can rest on (unverified: the body is gone).
        for (d, sel) in dkim {
            let d = crate::dns::normalize(&d);
            if !ctx.dkim_domains.contains(&d) {
                ctx.dkim_domains.push(d.clone());
            }
            ctx.dkim_selectors.push((d, sel));
        }
        ctx.notes = notes;
        Ok(ctx)
    }
}

/// The address a rejection names in angle brackets (`<news@shop.example>: Sender address
/// rejected`) when it is one of the artefact's senders: the envelope sender or the From
/// header's address. A recipient named in the reply is not a sender.
pub fn rejected_sender(text: &str, envelope: Option<&str>, from_header: Option<&str>) -> Option<String> {
    let candidates: Vec<String> = [envelope, from_header].into_iter().flatten().map(crate::smtp::bare_address).collect();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else { break };
        let inside = after[..close].trim();
        if let Some(c) = candidates.iter().find(|c| c.eq_ignore_ascii_case(inside)) {
            return Some(c.clone());
        }
        rest = &after[close + 1..];
    }
    None
}

pub use crate::reply::parse::sending_ip_in_text;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_sender_a_reply_names() {
        let mailgun = "<news@shop.example>: Sender address rejected: not owned by user relay@partner.example";
        let from = Some("Shop News <news@shop.example>");
        assert_eq!(rejected_sender(mailgun, Some("bounce+a1b2c3@mg.shop.example"), from).as_deref(), Some("news@shop.example"));
        // The envelope itself named: the envelope.
        assert_eq!(rejected_sender("<b@x.example>: Sender address rejected", Some("b@x.example"), from).as_deref(), Some("b@x.example"));
        // A recipient in brackets is no sender; no brackets, nothing.
        assert_eq!(rejected_sender("<erin@partner.example>: Recipient address rejected", Some("b@x.example"), from), None);
        assert_eq!(rejected_sender("550 5.7.26 unauthenticated", Some("b@x.example"), from), None);
        assert_eq!(rejected_sender("<unclosed news@shop.example", Some("b@x.example"), from), None);
    }

    #[test]
    fn finds_ips_in_replies() {
        let gmail = "550-5.7.26 The MAIL FROM domain [shop.example] has an SPF record with a hard fail policy (-all) but it fails to pass SPF checks with the ip: [198.51.100.25]. To best protect";
        assert_eq!(sending_ip_in_text(gmail), "198.51.100.25".parse().ok());
        assert_eq!(sending_ip_in_text("554 5.7.1 Service unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org"), "203.0.113.9".parse().ok());
        assert_eq!(sending_ip_in_text("SPF did not pass with ip: 2001:db8::25 here"), "2001:db8::25".parse().ok());
        assert_eq!(sending_ip_in_text("550 5.1.1 user unknown"), None);
        assert_eq!(sending_ip_in_text("ip: [not an address]"), None);
    }
}
