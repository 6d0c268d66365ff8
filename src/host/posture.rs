//! Domain posture: what auditors and receivers look at beside SPF/DKIM/DMARC.
//! MTA-STS (RFC 8461: the TXT record, then the HTTPS policy when it can be fetched, see
//! mta_sts.rs),
//! TLS-RPT (RFC 8460), BIMI (draft-brand-indicators-for-message-identification) and
//! DNSSEC (a DS record at the parent). Findings are info-level: none of these makes
//! a receiver reject a sender address.
//!
//! Parsing (`parse_*`) is separate from the checks (`check`).

use std::collections::BTreeMap;

use crate::dns::{Answer, RType, Resolver};
use crate::finding::{Finding, Fix, Severity};

/// `tag=value` pairs of a `;`-separated record, in order; None when a part has no `=`.
pub fn parse_tags(record: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for part in record.split(';') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((k, v)) = part.split_once('=') else {
            return Err(format!("{part:?} is not tag=value"));
        };
        out.push((k.trim().to_string(), v.trim().to_string()));
    }
    Ok(out)
}

/// RFC 8461 §3.1: `v=STSv1; id=<1-32 alphanumerics>;` — returns the id.
pub fn parse_mta_sts(record: &str) -> Result<String, String> {
    let tags = parse_tags(record)?;
    if tags.first().map(|(k, v)| (k.as_str(), v.as_str())) != Some(("v", "STSv1")) {
        return Err("the record must start with v=STSv1".into());
    }
    let map: BTreeMap<&str, &str> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let id = map.get("id").ok_or("no id= tag")?;
    if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!("id={id:?} must be 1 to 32 letters or digits"));
    }
    Ok(id.to_string())
}

/// RFC 8460 §3: `v=TLSRPTv1; rua=mailto:...,https://...` — returns the report URIs.
pub fn parse_tls_rpt(record: &str) -> Result<Vec<String>, String> {
    let tags = parse_tags(record)?;
    if tags.first().map(|(k, v)| (k.as_str(), v.as_str())) != Some(("v", "TLSRPTv1")) {
        return Err("the record must start with v=TLSRPTv1".into());
    }
    let rua = tags.iter().find(|(k, _)| k == "rua").map(|(_, v)| v.as_str()).ok_or("no rua= tag")?;
    let uris: Vec<String> = rua.split(',').map(|u| u.trim().to_string()).filter(|u| !u.is_empty()).collect();
    if uris.is_empty() {
        return Err("rua= is empty".into());
    }
    for u in &uris {
        if !(u.starts_with("mailto:") || u.starts_with("https://")) {
            return Err(format!("rua URI {u:?} must be mailto: or https:"));
        }
    }
    Ok(uris)
}

/// A BIMI assertion record: logo (l=) and evidence / VMC (a=) URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bimi {
    pub logo: Option<String>,
    pub authority: Option<String>,
}

/// `v=BIMI1; l=https://...svg; a=https://...pem` (an empty l= declines BIMI).
pub fn parse_bimi(record: &str) -> Result<Bimi, String> {
    let tags = parse_tags(record)?;
    if tags.first().map(|(k, v)| (k.as_str(), v.as_str())) != Some(("v", "BIMI1")) {
        return Err("the record must start with v=BIMI1".into());
    }
    let get = |t: &str| tags.iter().find(|(k, _)| k == t).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
    let logo = get("l");
    let authority = get("a");
    for (tag, url) in [("l", &logo), ("a", &authority)] {
        if let Some(u) = url {
            if !u.starts_with("https://") {
                return Err(format!("{tag}={u} must be an https:// URL"));
            }
        }
    }
    if let Some(l) = &logo {
        if !l.to_ascii_lowercase().ends_with(".svg") {
            return Err(format!("l={l} should point at an SVG Tiny PS logo (.svg)"));
        }
    }
    Ok(Bimi { logo, authority })
}

fn unknown(id: &str, what: &str, ans: &Answer, domain: &str) -> Finding {
    Finding::new(id, Severity::Unknown, format!("Could not look up {what} for {domain}")).evidence(ans.summary()).subject(domain.to_string())
}

/// The records that start with `prefix` (other TXT records at the name are ignored, per each RFC).
fn versioned(ans: &Answer, prefix: &str) -> Vec<String> {
    ans.txt_strings().into_iter().filter(|t| t.trim_start().to_ascii_lowercase().starts_with(&prefix.to_ascii_lowercase())).collect()
}

/// MTA-STS, TLS-RPT, BIMI and DNSSEC for `domain`, looked up concurrently.
pub async fn check(resolver: &Resolver, domain: &str) -> Vec<Finding> {
    check_with(resolver, domain, &super::mta_sts::FetchOptions::default()).await
}

/// As `check`, fetching the MTA-STS policy as `sts` says (port, extra trust roots).
pub async fn check_with(resolver: &Resolver, domain: &str, sts_fetch: &super::mta_sts::FetchOptions) -> Vec<Finding> {
    let domain = crate::dns::normalize(domain);
    let sts_name = format!("_mta-sts.{domain}");
    let rpt_name = format!("_smtp._tls.{domain}");
    let bimi_name = format!("default._bimi.{domain}");
    // DS lives at the parent of a zone cut: ask for the registrable (organizational)
    // domain, not for a subdomain that is rarely a zone of its own.
    let org = super::ptr::org_domain(&domain).unwrap_or_else(|| domain.clone());
    let (sts, rpt, bimi, ds) = tokio::join!(
        resolver.query(&sts_name, RType::Txt),
        resolver.query(&rpt_name, RType::Txt),
        resolver.query(&bimi_name, RType::Txt),
        resolver.query(&org, RType::Ds),
    );
    let subject = domain.clone();
    let mut out = Vec::new();
    let mut sts_on = false;

    // MTA-STS
    if sts.is_failure() {
        out.push(unknown("host.mta-sts", "the MTA-STS record", &sts, &domain));
    } else {
        let recs = versioned(&sts, "v=STSv1");
        let f = match recs.as_slice() {
            [] => Finding::new("host.mta-sts", Severity::Info, format!("{domain} publishes no MTA-STS policy"))
                .evidence(sts.summary())
                .detail("Without MTA-STS, senders deliver to this domain over opportunistic TLS that an attacker can strip.")
                .fix(Fix::record(sts_name.clone(), "TXT", "\"v=STSv1; id=20250101\"", "Publish (with the policy at https://mta-sts.DOMAIN/.well-known/mta-sts.txt)")),
            [one] => match parse_mta_sts(one) {
                Ok(id) => {
                    sts_on = true;
                    Finding::new("host.mta-sts", Severity::Ok, format!("{domain} publishes an MTA-STS record (id={id})")).evidence(sts.summary())
                }
                Err(e) => Finding::new("host.mta-sts", Severity::Info, format!("The MTA-STS record of {domain} is invalid: {e}"))
                    .evidence(sts.summary())
                    .detail("Senders ignore an invalid record: MTA-STS is off.")
                    .fix(Fix::record(sts_name.clone(), "TXT", "\"v=STSv1; id=20250101\"", "Replace")),
            },
            _ => Finding::new("host.mta-sts", Severity::Info, format!("{domain} publishes {} MTA-STS records; senders treat that as none", recs.len()))
                .evidence(sts.summary())
                .fix(Fix::record(sts_name.clone(), "TXT", "\"v=STSv1; id=20250101\"", "Keep exactly one record")),
        };
        out.push(f.subject(subject.clone()));
    }

    // TLS-RPT
    if rpt.is_failure() {
        out.push(unknown("host.tls-rpt", "the TLS-RPT record", &rpt, &domain));
    } else {
        let recs = versioned(&rpt, "v=TLSRPTv1");
        let value = format!("\"v=TLSRPTv1; rua=mailto:tls-reports@{domain}\"");
        let f = match recs.as_slice() {
            [] => Finding::new("host.tls-rpt", Severity::Info, format!("{domain} publishes no TLS-RPT record"))
                .evidence(rpt.summary())
                .detail("TLS-RPT asks senders for daily reports of TLS failures delivering to this domain.")
                .fix(Fix::record(rpt_name.clone(), "TXT", value, "Publish")),
            [one] => match parse_tls_rpt(one) {
                Ok(uris) => Finding::new("host.tls-rpt", Severity::Ok, format!("{domain} asks for TLS reports at {}", uris.join(", "))).evidence(rpt.summary()),
                Err(e) => Finding::new("host.tls-rpt", Severity::Info, format!("The TLS-RPT record of {domain} is invalid: {e}"))
                    .evidence(rpt.summary())
                    .fix(Fix::record(rpt_name.clone(), "TXT", value, "Replace")),
            },
            _ => Finding::new("host.tls-rpt", Severity::Info, format!("{domain} publishes {} TLS-RPT records; senders treat that as none", recs.len()))
                .evidence(rpt.summary())
                .fix(Fix::record(rpt_name.clone(), "TXT", value, "Keep exactly one record")),
        };
        out.push(f.subject(subject.clone()));
    }

    // BIMI
    if bimi.is_failure() {
        out.push(unknown("host.bimi", "the BIMI record", &bimi, &domain));
    } else {
        let recs = versioned(&bimi, "v=BIMI1");
        let f = match recs.as_slice() {
            [] => Finding::new("host.bimi", Severity::Info, format!("{domain} publishes no BIMI record (default selector)"))
                .evidence(bimi.summary())
                .detail("BIMI shows the brand logo in some mailboxes; it needs DMARC at p=quarantine or p=reject."),
            [one] => match parse_bimi(one) {
                Ok(Bimi { logo: None, .. }) => Finding::new("host.bimi", Severity::Info, format!("{domain} declines BIMI (empty l=)")).evidence(bimi.summary()),
                Ok(Bimi { logo: Some(l), authority }) => Finding::new(
                    "host.bimi",
                    Severity::Ok,
                    format!("{domain} publishes a BIMI logo ({l}){}; the logo and certificate were not fetched", if authority.is_some() { " with a mark certificate" } else { "" }),
                )
                .evidence(bimi.summary()),
                Err(e) => Finding::new("host.bimi", Severity::Info, format!("The BIMI record of {domain} is invalid: {e}"))
                    .evidence(bimi.summary())
                    .fix(Fix::record(bimi_name.clone(), "TXT", format!("\"v=BIMI1; l=https://{domain}/logo.svg\""), "Replace")),
            },
            _ => Finding::new("host.bimi", Severity::Info, format!("{domain} publishes {} BIMI records; receivers ignore them", recs.len()))
                .evidence(bimi.summary()),
        };
        out.push(f.subject(subject.clone()));
    }

    // DNSSEC: a DS record at the parent of the registrable domain says the zone is
    // signed; the AD bit of that answer says whether the resolver validated it.
    out.push(dnssec_finding(&ds, &org, &domain).subject(subject.clone()));
    if sts_on {
        out.extend(super::mta_sts::check(resolver, &domain, sts_fetch).await);
    }
    out
}

/// The host.dnssec finding from the DS answer for `org` (the registrable domain of `domain`).
fn dnssec_finding(ds: &Answer, org: &str, domain: &str) -> Finding {
    let of = if org == domain { String::new() } else { format!(" (the registrable domain of {domain})") };
    if ds.is_failure() {
        return unknown("host.dnssec", "the DS record", ds, org);
    }
    let ad = match ds.authentic {
        Some(true) => "the resolver validated the answer (AD bit set)".to_string(),
        Some(false) => "the resolver did not set the AD bit: it does not validate DNSSEC (or the answer is not from a validating resolver), so the signatures were not verified".to_string(),
        None => "validation not checked: AD not available from this resolver".to_string(),
    };
    if ds.records.is_empty() {
        let proof = if ds.authentic == Some(true) { " The absence is authenticated (AD bit set): the parent is signed and proves there is no DS." } else { "" };
        Finding::new("host.dnssec", Severity::Info, format!("{org}{of} is not DNSSEC-signed (no DS record at the parent)"))
            .evidence(ds.summary())
            .detail(format!("Unsigned DNS can be spoofed; DNSSEC also enables DANE for inbound SMTP.{proof}"))
    } else {
        Finding::new("host.dnssec", Severity::Ok, format!("{org}{of} has a DS record at the parent (DNSSEC-signed); {ad}"))
            .evidence(ds.summary())
            .detail(match ds.authentic {
                Some(true) => "A validating resolver vouched for the DS record set; a broken chain would have given SERVFAIL instead.".to_string(),
                _ => "A DS record says the zone is meant to be signed. Only a validating resolver (AD bit) confirms the chain of signatures; use one (e.g. a local unbound) to check.".to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{Outcome, Rec};

    #[test]
    fn dnssec_wording_follows_the_ad_bit() {
        let ds = |records: Vec<Rec>, ad: Option<bool>| {
            let outcome = if records.is_empty() { Outcome::NoData } else { Outcome::Records };
            Answer { authentic: ad, ..Answer::new("signed.example", RType::Ds, outcome, records, Vec::new(), Some(300), "test") }
        };
        let rec = || vec![Rec::Other("12345 13 2 AB".into())];
        let f = dnssec_finding(&ds(rec(), Some(true)), "signed.example", "signed.example");
        assert_eq!((f.severity, f.title.as_str()), (Severity::Ok, "signed.example has a DS record at the parent (DNSSEC-signed); the resolver validated the answer (AD bit set)"));
        let f = dnssec_finding(&ds(rec(), Some(false)), "signed.example", "signed.example");
        assert!(f.title.contains("did not set the AD bit"), "{}", f.title);
        let f = dnssec_finding(&ds(rec(), None), "signed.example", "mx.signed.example");
        assert!(f.title.starts_with("signed.example (the registrable domain of mx.signed.example)"), "{}", f.title);
        assert!(f.title.ends_with("AD not available from this resolver"), "{}", f.title);
        let f = dnssec_finding(&ds(Vec::new(), Some(true)), "signed.example", "signed.example");
        assert_eq!(f.severity, Severity::Info);
        assert!(f.detail.as_deref().unwrap_or("").contains("absence is authenticated"));
    }

    #[test]
    fn mta_sts() {
        assert_eq!(parse_mta_sts("v=STSv1; id=20250101T000000").unwrap(), "20250101T000000");
        assert!(parse_mta_sts("v=STSv1;").is_err());
        assert!(parse_mta_sts("id=1; v=STSv1").is_err());
        assert!(parse_mta_sts("v=STSv1; id=has-dash").is_err());
        assert!(parse_mta_sts(&format!("v=STSv1; id={}", "a".repeat(33))).is_err());
    }

    #[test]
    fn tls_rpt() {
        assert_eq!(parse_tls_rpt("v=TLSRPTv1; rua=mailto:a@x.example,https://r.example/x").unwrap().len(), 2);
        assert!(parse_tls_rpt("v=TLSRPTv1").is_err());
        assert!(parse_tls_rpt("v=TLSRPTv1; rua=ftp://x").is_err());
    }

    #[test]
    fn bimi() {
        assert!(parse_bimi("v=BIMI1; l=https://x.example/logo.svg; a=https://x.example/vmc.pem").unwrap().authority.is_some());
        assert_eq!(parse_bimi("v=BIMI1; l=;").unwrap().logo, None);
        assert!(parse_bimi("v=BIMI1; l=http://x.example/logo.svg").is_err());
        assert!(parse_bimi("v=BIMI1; l=https://x.example/logo.png").is_err());
        assert!(parse_bimi("v=BIMI2; l=https://x.example/logo.svg").is_err());
    }
}
