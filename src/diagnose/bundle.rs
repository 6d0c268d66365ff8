//! Evidence bundles: everything a diagnosis saw (inputs, every DNS answer, what a live
//! probe observed), saved with `--record FILE` and re-run offline with `--replay FILE`.
//! Bundles are how users share a problem and how bug reports become tests.

use std::net::IpAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Context, Diagnosis, Options};
use crate::dns::{RecordedAnswer, Resolver};
use crate::finding::Finding;

pub const BUNDLE_VERSION: u32 = 1;
/// Bundles are input: refuse absurd sizes instead of reading them whole.
const MAX_BUNDLE_BYTES: u64 = 64 * 1024 * 1024;

/// The inputs of a diagnosis, as given or as taken from artefacts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Inputs {
    pub sender: String,
    pub ip: Option<IpAddr>,
    pub helo: Option<String>,
    pub recipient: Option<String>,
    /// The rejection reply as received (after any live probe).
    pub reply: Option<String>,
    pub from_header: Option<String>,
    pub dkim_domains: Vec<String>,
    pub dkim_selectors: Vec<(String, String)>,
    pub no_dnsbl: bool,
    pub dnsbl_zones: Vec<String>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bundle {
    pub bundle_version: u32,
    pub tool: String,
    pub inputs: Inputs,
    /// Findings of the live SMTP probe (their evidence holds the redacted transcript).
    pub probe_findings: Vec<Finding>,
    /// The probe's redacted session transcript.
    #[serde(default)]
    pub smtp_transcript: Vec<String>,
    /// What the SMTP checks found (sender-verify callouts).
    #[serde(default)]
    pub smtp_findings: Vec<Finding>,
    /// Where the recorded answers came from.
    pub dns_source: String,
    /// The zones of the offline world the run used (`--zones`); absent for real DNS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_zones: Option<Vec<String>>,
    pub dns: Vec<RecordedAnswer>,
}

impl Bundle {
    /// Capture a finished diagnosis.
    pub fn capture(ctx: &Context, diagnosis: &Diagnosis) -> Bundle {
        Bundle {
            bundle_version: BUNDLE_VERSION,
            tool: format!("mailsleuth {}", env!("CARGO_PKG_VERSION")),
            inputs: Inputs {
                sender: ctx.sender_raw.clone(),
                ip: ctx.ip,
                helo: ctx.helo.clone(),
                recipient: ctx.recipient.clone(),
                reply: diagnosis.reply.as_ref().map(|r| r.raw.clone()),
                from_header: ctx.from_header.clone(),
                dkim_domains: ctx.dkim_domains.clone(),
                dkim_selectors: ctx.dkim_selectors.clone(),
                no_dnsbl: ctx.options.no_dnsbl,
                dnsbl_zones: ctx.options.dnsbl_zones.clone(),
                notes: ctx.notes.clone(),
            },
            probe_findings: diagnosis.probe_findings.clone(),
            smtp_transcript: diagnosis.smtp_transcript.clone(),
            smtp_findings: diagnosis.smtp_findings.clone(),
            dns_source: diagnosis.dns_source.clone(),
            offline_zones: ctx.resolver.offline_zones().map(<[String]>::to_vec),
            dns: ctx.resolver.recording(),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    pub fn load(path: &Path) -> Result<Bundle, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if meta.len() > MAX_BUNDLE_BYTES {
            return Err(format!("{} is larger than 64 MiB: not an evidence bundle", path.display()));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let bundle: Bundle = serde_json::from_str(&text).map_err(|e| format!("{} is not an evidence bundle: {e}", path.display()))?;
        if bundle.bundle_version != BUNDLE_VERSION {
            return Err(format!("{}: bundle version {} (this mailsleuth reads {BUNDLE_VERSION})", path.display(), bundle.bundle_version));
        }
        Ok(bundle)
    }

    /// The context that re-runs this diagnosis offline, from the recorded answers only.
    pub fn replay_context(&self) -> Context {
        let i = &self.inputs;
        Context {
            resolver: Resolver::replay_of(self.dns.clone(), self.dns_source.clone(), self.offline_zones.clone()),
            sender_raw: i.sender.clone(),
            sender: crate::address::parse_input(&i.sender).ok(),
            ip: i.ip,
            helo: i.helo.clone(),
            recipient: i.recipient.clone(),
            reply: i.reply.as_deref().map(crate::reply::parse),
            from_header: i.from_header.clone(),
            dkim_domains: i.dkim_domains.clone(),
            dkim_selectors: i.dkim_selectors.clone(),
            // A replay never speaks SMTP: live SMTP stays off.
            options: Options { no_dnsbl: i.no_dnsbl, dnsbl_zones: i.dnsbl_zones.clone(), ..Options::default() },
            smtp_server: None,
            smtp_auth_user: None,
            notes: i.notes.clone(),
            carried_findings: self.probe_findings.clone(),
            carried_transcript: self.smtp_transcript.clone(),
            carried_smtp: Some(self.smtp_findings.clone()),
        }
    }
}
