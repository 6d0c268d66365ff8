//! The DNS blocklists mailsleuth knows: the default set, what each return code means,
//! and where to ask for removal. Documented for users in docs/dnsbl.md — keep both in step.
//!
//! Pure data and interpretation; the queries are in `dnsbl.rs`.

use std::net::Ipv4Addr;

use serde::Serialize;

use crate::finding::Severity;

/// What a list is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    /// Keyed by reversed IP (RFC 5782 §2.1 / §2.4).
    Ip,
    /// Keyed by domain name (RFC 5782 §2.3): the registrable domain is asked.
    Domain,
}

/// How to read a list's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Interp {
    /// Spamhaus ZEN (SBL, CSS, XBL, DROP, PBL).
    SpamhausZen,
    /// Spamhaus DBL (127.0.1.x).
    SpamhausDbl,
    /// Mailspike BL (127.0.0.2, reputation levels 127.0.0.10–14).
    Mailspike,
    /// SURBL multi (bitmask; 127.0.0.1 = query blocked).
    Surbl,
    /// URIBL multi (bitmask; 127.0.0.1 = query refused).
    Uribl,
    /// Any other list: 127.0.0.0/8 answers mean listed (RFC 5782 §2.1).
    Generic,
}

/// One blocklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListDef {
    pub zone: String,
    pub name: String,
    pub kind: ListKind,
    /// The list answers IPv6 (nibble-form) queries.
    pub ipv6: bool,
    /// What a listing means, in one sentence.
    pub about: String,
    /// Where to look the entry up and ask for removal.
    pub delist: String,
    pub interp: Interp,
}

/// What one A answer from a list says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Listed { severity: Severity, meaning: String },
    /// The list answered, but with an error code: the query was refused, so nothing is known.
    Refused { why: String },
    /// Not a DNSBL answer at all (outside 127.0.0.0/8).
    Unexpected { why: String },
}

fn def(zone: &str, name: &str, kind: ListKind, ipv6: bool, interp: Interp, about: &str, delist: &str) -> ListDef {
    ListDef {
        zone: zone.to_string(),
        name: name.to_string(),
        kind,
        ipv6,
        about: about.to_string(),
        delist: delist.to_string(),
        interp,
    }
}

/// The maintained default set.
pub fn defaults() -> Vec<ListDef> {
    use Interp::*;
    use ListKind::*;
    vec![
        def("zen.spamhaus.org", "Spamhaus ZEN", Ip, true, SpamhausZen,
            "Spamhaus's combined IP list (SBL spam sources, CSS low-reputation senders, XBL infected hosts, DROP hijacked networks, PBL end-user ranges); used by a very large share of receivers.",
            "https://check.spamhaus.org/"),
        def("bl.spamcop.net", "SpamCop", Ip, false, Generic,
            "The IP sent mail that SpamCop users reported as spam recently; entries expire about 24 hours after the reports stop.",
            "https://www.spamcop.net/bl.shtml"),
        def("b.barracudacentral.org", "Barracuda BRBL", Ip, false, Generic,
            "Barracuda Reputation Block List: the IP sent mail Barracuda's network classified as spam; used by Barracuda appliances.",
            "https://www.barracudacentral.org/rbl/removal-request"),
        def("psbl.surriel.com", "PSBL", Ip, false, Generic,
            "Passive Spam Block List: the IP sent mail to spam traps and is not a known legitimate mail server.",
            "https://psbl.org/"),
        def("bl.mailspike.net", "Mailspike BL", Ip, false, Mailspike,
            "Mailspike's reputation list: the IP's recent traffic scored as spam (levels L1 mild to L5 worst).",
            "https://mailspike.org/"),
        def("dnsbl-1.uceprotect.net", "UCEPROTECT level 1", Ip, false, Generic,
            "UCEPROTECT level 1: this single IP hit UCEPROTECT spam traps; entries expire 7 days after the last hit (paid express removal exists; you need not pay).",
            "https://www.uceprotect.net/en/rblcheck.php"),
        def("dbl.spamhaus.org", "Spamhaus DBL", Domain, false, SpamhausDbl,
            "Spamhaus Domain Block List: the domain appears in spam, phishing or malware (or is an abused legitimate domain).",
            "https://check.spamhaus.org/"),
        def("multi.surbl.org", "SURBL", Domain, false, Surbl,
            "SURBL: the domain appeared in the body of unsolicited mail (phishing, malware, abuse, cracked sites).",
            "https://www.surbl.org/surbl-analysis"),
        def("multi.uribl.com", "URIBL", Domain, false, Uribl,
            "URIBL: the domain appeared in the body of spam (black: high confidence; grey / red: lower confidence).",
            "https://admin.uribl.com/"),
    ]
}

/// A list given with `--dnsbl`: a known zone keeps its definition; another zone is read
/// as a generic IP list, or a domain list when written `domain:ZONE`.
pub fn custom(spec: &str) -> Result<ListDef, String> {
    let (kind, zone) = match spec.strip_prefix("domain:") {
        Some(z) => (ListKind::Domain, z),
        None => (ListKind::Ip, spec.strip_prefix("ip:").unwrap_or(spec)),
    };
    let zone = crate::dns::normalize(zone.trim());
    let valid = !zone.is_empty()
        && zone.contains('.')
        && crate::dns::invalid_name(&zone).is_none()
        && zone.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    if !valid {
        let shown: String = spec.chars().take(80).collect();
        return Err(format!("--dnsbl {shown:?}: not a DNS zone name (e.g. bl.example.net, or domain:dbl.example.net)"));
    }
    if let Some(known) = defaults().into_iter().find(|d| d.zone == zone) {
        return Ok(known);
    }
    Ok(def(&zone, &zone, kind, true, Interp::Generic,
        "A list given on the command line: any 127.0.0.0/8 answer means listed.",
        "(see the list operator's web site)"))
}

/// The lists to use. No `--dnsbl` means the default set; `--dnsbl ZONE` (repeatable)
/// replaces it, and the word `default` among them adds the default set back.
pub fn select(specs: &[String]) -> Result<Vec<ListDef>, String> {
    if specs.is_empty() {
        return Ok(defaults());
    }
    let mut out: Vec<ListDef> = Vec::new();
    for spec in specs {
        let wanted = if spec.eq_ignore_ascii_case("default") || spec.eq_ignore_ascii_case("defaults") {
            defaults()
        } else {
            vec![custom(spec)?]
        };
        for d in wanted {
            if !out.iter().any(|o| o.zone == d.zone && o.kind == d.kind) {
                out.push(d);
            }
        }
    }
    Ok(out)
}

/// Error answers that several operators use when they refuse a query.
fn common_error(a: Ipv4Addr) -> Option<Verdict> {
    let why = match a.octets() {
        [127, 255, 255, 252] => "the list answered 127.255.255.252: the query was malformed (typing error in the zone name)",
        [127, 255, 255, 254] => {
            "the list answered 127.255.255.254: it refuses queries coming through a public / open resolver (8.8.8.8, 1.1.1.1, ...); \
             query through your own recursive resolver (--resolver) or the operator's data-query service"
        }
        [127, 255, 255, 255] => "the list answered 127.255.255.255: rate limit — excessive number of queries from this resolver",
        _ => return None,
    };
    Some(Verdict::Refused { why: why.to_string() })
}

fn listed(severity: Severity, meaning: impl Into<String>) -> Verdict {
    Verdict::Listed { severity, meaning: meaning.into() }
}

impl ListDef {
    /// Read one A record of a listing answer.
    pub fn interpret(&self, a: Ipv4Addr) -> Verdict {
        let o = a.octets();
        if o[0] != 127 {
            return Verdict::Unexpected {
                why: format!(
                    "the answer {a} is outside 127.0.0.0/8: the resolver rewrites NXDOMAIN answers (ISP ad redirection) \
                     or the list is shut down and answers everything"
                ),
            };
        }
        if let Some(v) = common_error(a) {
            return v;
        }
        let e = Severity::Error;
        match self.interp {
            Interp::SpamhausZen => match o {
                [127, 0, 0, 2] => listed(e, "SBL: a verified spam source or spam operation (127.0.0.2)"),
                [127, 0, 0, 3] => listed(e, "SBL CSS: the IP sent low-reputation / snowshoe mail (127.0.0.3)"),
                [127, 0, 0, 4..=7] => listed(e, format!("XBL: the IP is infected or hijacked — botnet, open proxy, exploited host ({a})")),
                [127, 0, 0, 9] => listed(e, "SBL DROP: the network is hijacked or run by criminals (127.0.0.9)"),
                [127, 0, 0, 10] => listed(e, "PBL (ISP-maintained): the IP's owner says it must not send mail directly to MX servers (127.0.0.10)"),
                [127, 0, 0, 11] => listed(e, "PBL (Spamhaus-maintained): an end-user / dynamic range that should not send directly to MX servers (127.0.0.11)"),
                _ => listed(e, format!("listed with code {a}")),
            },
            Interp::SpamhausDbl => match o {
                [127, 0, 1, 255] => Verdict::Refused { why: "the DBL answered 127.0.1.255: IP addresses may not be queried in the DBL".into() },
                [127, 0, 1, 2] => listed(e, "spam domain (127.0.1.2)"),
                [127, 0, 1, 4] => listed(e, "phishing domain (127.0.1.4)"),
                [127, 0, 1, 5] => listed(e, "malware domain (127.0.1.5)"),
                [127, 0, 1, 6] => listed(e, "botnet C&C domain (127.0.1.6)"),
                [127, 0, 1, 102] => listed(e, "abused legitimate domain: spam (127.0.1.102)"),
                [127, 0, 1, 103] => listed(e, "abused legitimate domain: spammed redirector / URL shortener (127.0.1.103)"),
                [127, 0, 1, 104] => listed(e, "abused legitimate domain: phishing (127.0.1.104)"),
                [127, 0, 1, 105] => listed(e, "abused legitimate domain: malware (127.0.1.105)"),
                [127, 0, 1, 106] => listed(e, "abused legitimate domain: botnet C&C (127.0.1.106)"),
                _ => listed(e, format!("listed with code {a}")),
            },
            Interp::Mailspike => match o {
                [127, 0, 0, 2] => listed(e, "listed (127.0.0.2)"),
                [127, 0, 0, 10] => listed(e, "L5: worst possible reputation (127.0.0.10)"),
                [127, 0, 0, 11] => listed(e, "L4: very bad reputation (127.0.0.11)"),
                [127, 0, 0, 12] => listed(e, "L3: bad reputation (127.0.0.12)"),
                [127, 0, 0, 13] => listed(Severity::Warning, "L2: suspicious behaviour (127.0.0.13)"),
                [127, 0, 0, 14] => listed(Severity::Warning, "L1: neutral, probably spam (127.0.0.14)"),
                _ => listed(e, format!("listed with code {a}")),
            },
            Interp::Surbl => {
                if o == [127, 0, 0, 1] {
                    return Verdict::Refused {
                        why: "SURBL answered 127.0.0.1: the query was blocked (public resolver or high volume)".into(),
                    };
                }
                let bits = [(8, "PH: phishing"), (16, "MW: malware"), (64, "ABUSE: spam and abuse"), (128, "CR: cracked site")];
                let parts: Vec<&str> = bits.iter().filter(|(b, _)| o[3] & b != 0).map(|(_, n)| *n).collect();
                if parts.is_empty() { listed(e, format!("listed with code {a}")) } else { listed(e, format!("{} ({a})", parts.join(", "))) }
            }
            Interp::Uribl => {
                if o == [127, 0, 0, 1] {
                    return Verdict::Refused {
                        why: "URIBL answered 127.0.0.1: it refuses queries from this resolver (public resolver or high volume)".into(),
                    };
                }
                let black = o[3] & 2 != 0;
                let mut parts = Vec::new();
                if black {
                    parts.push("black: high-confidence spam domain");
                }
                if o[3] & 4 != 0 {
                    parts.push("grey: bulk sender, some receivers consider it spam");
                }
                if o[3] & 8 != 0 {
                    parts.push("red: domain seen in monitored mailboxes' spam");
                }
                let sev = if black || parts.is_empty() { e } else { Severity::Warning };
                if parts.is_empty() { listed(sev, format!("listed with code {a}")) } else { listed(sev, format!("{} ({a})", parts.join(", "))) }
            }
            Interp::Generic => match o {
                [127, 0, 0, 1] => Verdict::Unexpected {
                    why: "the answer 127.0.0.1 is not a listing code (RFC 5782 §5); the list may refuse this resolver".into(),
                },
                [127, 0, 0, 2] => listed(e, "listed (127.0.0.2)"),
                _ => listed(e, format!("listed with code {a}")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zen() -> ListDef {
        defaults().into_iter().find(|d| d.zone == "zen.spamhaus.org").unwrap()
    }

    #[test]
    fn spamhaus_codes() {
        let z = zen();
        let m = |a: &str| match z.interpret(a.parse().unwrap()) {
            Verdict::Listed { meaning, .. } => meaning,
            other => format!("{other:?}"),
        };
        assert!(m("127.0.0.2").starts_with("SBL"));
        assert!(m("127.0.0.3").contains("CSS"));
        assert!(m("127.0.0.5").starts_with("XBL"));
        assert!(m("127.0.0.9").contains("DROP"));
        assert!(m("127.0.0.10").contains("PBL"));
        assert!(m("127.0.0.11").contains("PBL"));
        for refused in ["127.255.255.252", "127.255.255.254", "127.255.255.255"] {
            assert!(matches!(z.interpret(refused.parse().unwrap()), Verdict::Refused { .. }), "{refused}");
        }
        assert!(matches!(z.interpret("198.51.100.1".parse().unwrap()), Verdict::Unexpected { .. }));
    }

    #[test]
    fn domain_codes() {
        let d = defaults();
        let dbl = d.iter().find(|d| d.zone == "dbl.spamhaus.org").unwrap();
        assert!(matches!(dbl.interpret("127.0.1.4".parse().unwrap()), Verdict::Listed { meaning, .. } if meaning.contains("phishing")));
        assert!(matches!(dbl.interpret("127.0.1.255".parse().unwrap()), Verdict::Refused { .. }));
        let uribl = d.iter().find(|d| d.zone == "multi.uribl.com").unwrap();
        assert!(matches!(uribl.interpret("127.0.0.1".parse().unwrap()), Verdict::Refused { .. }));
        assert!(matches!(uribl.interpret("127.0.0.4".parse().unwrap()), Verdict::Listed { severity: Severity::Warning, .. }));
        let surbl = d.iter().find(|d| d.zone == "multi.surbl.org").unwrap();
        assert!(matches!(surbl.interpret("127.0.0.24".parse().unwrap()), Verdict::Listed { meaning, .. } if meaning.contains("PH") && meaning.contains("MW")));
    }

    #[test]
    fn selection() {
        assert_eq!(select(&[]).unwrap().len(), defaults().len());
        let one = select(&["bl.test.example".into()]).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].interp, Interp::Generic);
        let more = select(&["default".into(), "bl.test.example".into(), "domain:dbl.test.example".into()]).unwrap();
        assert_eq!(more.len(), defaults().len() + 2);
        assert_eq!(more.last().unwrap().kind, ListKind::Domain);
        assert_eq!(select(&["ZEN.spamhaus.org.".into()]).unwrap()[0].interp, Interp::SpamhausZen);
        assert!(select(&["not a zone".into()]).is_err());
        assert!(select(&["".into()]).is_err());
    }
}
