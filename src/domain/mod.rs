//! The sender domain as receivers see it: does it exist, can mail be returned to it?
//! (Postfix `reject_unknown_sender_domain` answers 450 4.1.8 when it has neither MX nor
//! address records; a null MX (RFC 7505) draws 550 5.7.27.)

use futures::future::join_all;

use crate::diagnose::Context;
use crate::dns::{Answer, Outcome, RType, Resolver};
use crate::finding::{Finding, Fix, Severity};

pub async fn diagnose(ctx: &Context) -> Vec<Finding> {
    match ctx.sender_domain() {
        Some(domain) => check_domain(&ctx.resolver, domain).await,
        None => Vec::new(),
    }
}

fn unchecked(domain: &str, a: &Answer) -> Finding {
    Finding::new("domain.unchecked", Severity::Unknown, format!("Could not check whether {domain} exists: DNS {}", a.outcome))
        .evidence(a.summary())
        .detail("A DNS failure says nothing about the domain. Check the resolver (--resolver) and try again.")
        .subject(domain)
}

/// Every sender-domain finding for `domain` (A-label form).
pub async fn check_domain(resolver: &Resolver, domain: &str) -> Vec<Finding> {
    let (mx, a, aaaa) = tokio::join!(
        resolver.query(domain, RType::Mx),
        resolver.query(domain, RType::A),
        resolver.query(domain, RType::Aaaa)
    );
    if mx.is_failure() {
        return vec![unchecked(domain, &mx)];
    }
    if mx.outcome == Outcome::NxDomain {
        return vec![Finding::new("domain.nxdomain", Severity::Error, format!("The sender domain {domain} does not exist (NXDOMAIN)"))
            .evidence(mx.summary())
            .detail("Receivers reject mail from a domain that does not exist (Postfix: 450 4.1.8 Sender address rejected: Domain not found). Bounces could never be returned.")
            .fix(Fix::setting(format!("Send from an address at a domain that exists, or register {domain} and publish its DNS (at least an MX or A record).")))
            .subject(domain)];
    }
    let mx_hosts = mx.mx();
    if mx_hosts.len() == 1 && mx_hosts[0].1.is_empty() {
        return vec![Finding::new("domain.null-mx", Severity::Error, format!("{domain} publishes a null MX: it declares that it accepts no mail"))
            .evidence(mx.summary())
            .detail("RFC 7505: a domain with a null MX cannot receive bounces, so receivers reject it as a sender (Postfix: 550 5.7.27 Sender address rejected: Domain ... does not accept mail (nullMX)).")
            .fix(Fix::record(domain, "MX", format!("10 mx.{domain}."), "Replace the null MX \"0 .\" with the mail host that receives mail for the domain"))
            .subject(domain)];
    }
    if mx_hosts.is_empty() {
        // No MX: the implicit MX is the domain's own address (RFC 5321 §5.1).
        if a.is_failure() || aaaa.is_failure() {
            let failed = if a.is_failure() { &a } else { &aaaa };
            return vec![unchecked(domain, failed)];
        }
        if a.outcome == Outcome::Records || aaaa.outcome == Outcome::Records {
            let ips: Vec<String> = a.ips().iter().chain(aaaa.ips().iter()).map(|i| i.to_string()).collect();
            return vec![Finding::new("domain.implicit-mx", Severity::Info, format!("{domain} has no MX; mail goes to its address records ({})", ips.join(", ")))
                .evidence(mx.summary())
                .evidence(a.summary())
                .evidence(aaaa.summary())
                .detail("RFC 5321 allows this (the implicit MX), and receivers accept it as a sender domain, but an explicit MX is clearer.")
                .fix(Fix::record(domain, "MX", format!("10 {domain}."), "Optionally publish an explicit MX"))
                .subject(domain)];
        }
        return vec![Finding::new("domain.no-mail-host", Severity::Error, format!("{domain} has no MX and no address record: no mail can be returned to it"))
            .evidence(mx.summary())
            .evidence(a.summary())
            .evidence(aaaa.summary())
            .detail("Receivers that verify the sender domain reject it (Postfix reject_unknown_sender_domain: 450 4.1.8 Sender address rejected: Domain not found).")
            .fix(Fix::record(domain, "MX", format!("10 mx.{domain}."), "Publish an MX record naming the host that receives mail for the domain"))
            .subject(domain)];
    }
    check_mx_hosts(resolver, domain, &mx, &mx_hosts).await
}

async fn check_mx_hosts(resolver: &Resolver, domain: &str, mx: &Answer, hosts: &[(u16, String)]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let lookups = join_all(hosts.iter().map(|(_, host)| async move {
        let (a, aaaa) = tokio::join!(resolver.query(host, RType::A), resolver.query(host, RType::Aaaa));
        (a, aaaa)
    }))
    .await;
    let mut resolvable = 0;
    let mut failed = 0;
    let mut evidence = vec![mx.summary()];
    for ((pref, host), (a, aaaa)) in hosts.iter().zip(lookups.iter()) {
        evidence.push(a.summary());
        evidence.push(aaaa.summary());
        if host.parse::<std::net::IpAddr>().is_ok() {
            findings.push(Finding::new("domain.mx-ip-literal", Severity::Warning, format!("MX of {domain} names an IP address ({host}), not a host name"))
                .evidence(mx.summary())
                .detail("RFC 7505/5321: an MX target must be a host name. Many receivers treat this as no usable mail host.")
                .fix(Fix::record(domain, "MX", format!("{pref} mx.{domain}."), &format!("Replace the MX target {host} with a host name whose A record is {host}")))
                .subject(domain));
        }
        if !a.cnames.is_empty() || !aaaa.cnames.is_empty() {
            let target = a.cnames.last().or(aaaa.cnames.last()).map(|(_, t)| t.clone()).unwrap_or_default();
            findings.push(Finding::new("domain.mx-cname", Severity::Warning, format!("MX host {host} of {domain} is a CNAME (to {target})"))
                .evidence(a.summary())
                .detail("RFC 2181 §10.3: an MX must point at a name with address records, not an alias. Most receivers cope; some reject.")
                .fix(Fix::record(domain, "MX", format!("{pref} {target}."), "Point the MX at the canonical name"))
                .subject(domain));
        }
        if a.is_failure() || aaaa.is_failure() {
            failed += 1;
        } else if a.outcome == Outcome::Records || aaaa.outcome == Outcome::Records {
            resolvable += 1;
        }
    }
    let unresolved: Vec<&str> = hosts
        .iter()
        .zip(lookups.iter())
        .filter(|(_, (a, aaaa))| !a.is_failure() && !aaaa.is_failure() && a.outcome != Outcome::Records && aaaa.outcome != Outcome::Records)
        .map(|((_, h), _)| h.as_str())
        .collect();
    if resolvable == 0 && failed > 0 {
        findings.push(Finding::new("domain.unchecked", Severity::Unknown, format!("Could not resolve the MX hosts of {domain}: DNS failure"))
            .evidences(evidence)
            .subject(domain));
    } else if resolvable == 0 {
        findings.push(Finding::new("domain.mx-unresolvable", Severity::Error, format!("None of the MX hosts of {domain} resolves to an address ({})", unresolved.join(", ")))
            .evidences(evidence)
            .detail("Receivers that verify the sender domain treat this like a domain without mail host (Postfix: 450 4.1.8 ... Domain not found).")
            .fix(Fix::setting(format!("Publish A/AAAA records for {} or point the MX at a host that exists.", unresolved.join(", "))))
            .subject(domain));
    } else if !unresolved.is_empty() {
        findings.push(Finding::new("domain.mx-partly-unresolvable", Severity::Warning, format!("Some MX hosts of {domain} do not resolve: {}", unresolved.join(", ")))
            .evidences(evidence)
            .fix(Fix::setting(format!("Remove or fix the MX records for {}.", unresolved.join(", "))))
            .subject(domain));
    } else {
        let list: Vec<String> = hosts.iter().map(|(p, h)| format!("{p} {h}")).collect();
        findings.push(Finding::new("domain.ok", Severity::Ok, format!("{domain} exists and has mail hosts: {}", list.join(", ")))
            .evidences(evidence)
            .subject(domain));
    }
    findings
}
