//! What a diagnosis knows before any check runs: the inputs and the resolver.

use std::net::IpAddr;

use crate::address::Mailbox;
use crate::dns::Resolver;
use crate::reply::Reply;

/// Options that switch checks on or off.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Skip DNS blocklist queries (`--no-dnsbl`).
    pub no_dnsbl: bool,
    /// Extra or replacement DNSBL zones (`--dnsbl ZONE`).
    pub dnsbl_zones: Vec<String>,
    /// Whether the sender-verify callout may connect (default: never; see `live`).
    pub live_smtp: super::live::LiveSmtp,
}

/// Everything a check may look at. Checks read it; none of them change it.
#[derive(Debug, Clone)]
pub struct Context {
    pub resolver: Resolver,
    /// The sender as the user typed it.
    pub sender_raw: String,
    /// The parsed sender, when it parses.
    pub sender: Option<Mailbox>,
    /// The sending IP (`--ip`), if known.
    pub ip: Option<IpAddr>,
    /// The HELO/EHLO name (`--helo`), if known.
    pub helo: Option<String>,
    /// The recipient (`--to`), if known.
    pub recipient: Option<String>,
    /// The rejection reply (from `--reply`, a bounce's Diagnostic-Code, or a probe).
    pub reply: Option<Reply>,
    /// The From header domain, when it differs from the envelope sender (e.g. from a bounce).
    pub from_header: Option<String>,
    /// DKIM d= domains seen (e.g. in a bounced message's headers).
    pub dkim_domains: Vec<String>,
    /// DKIM selectors seen, as (domain, selector).
    pub dkim_selectors: Vec<(String, String)>,
    pub options: Options,
    /// `diagnose --smtp HOST[:PORT]`: probe this server for the sender and recipient.
    pub smtp_server: Option<String>,
    /// `--auth-user`: log in as this user (the password comes from the environment or a prompt).
    pub smtp_auth_user: Option<String>,
    /// How inputs were obtained, shown with the report ("IP 198.51.100.25 from the bounce").
    pub notes: Vec<String>,
    /// Findings carried in from an earlier run (a replayed probe), listed first.
    pub carried_findings: Vec<crate::finding::Finding>,
    /// A probe transcript carried in from an earlier run.
    pub carried_transcript: Vec<String>,
    /// Replay: what the SMTP checks found in the recorded run (no SMTP is spoken).
    pub carried_smtp: Option<Vec<crate::finding::Finding>>,
}

impl Context {
    /// A context with only the sender known; set the other inputs as fields.
    pub fn new(resolver: Resolver, sender_raw: &str) -> Context {
        Context {
            resolver,
            sender_raw: sender_raw.to_string(),
            sender: crate::address::parse_input(sender_raw).ok(),
            ip: None,
            helo: None,
            recipient: None,
            reply: None,
            from_header: None,
            dkim_domains: Vec::new(),
            dkim_selectors: Vec::new(),
            options: Options::default(),
            smtp_server: None,
            smtp_auth_user: None,
            notes: Vec::new(),
            carried_findings: Vec::new(),
            carried_transcript: Vec::new(),
            carried_smtp: None,
        }
    }

    /// The sender's domain as DNS sees it (A-labels, lower case).
    pub fn sender_domain(&self) -> Option<&str> {
        self.sender.as_ref().and_then(|m| m.domain_ascii())
    }
}
