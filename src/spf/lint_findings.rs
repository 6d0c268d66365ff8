//! The findings of a lint walk ([`super::lint`]): what is wrong with the tree, each with
//! its evidence and, where there is one, the exact fix.

use super::esp;
use super::lint::{Lint, Node, NodeStatus};
use super::parse::{self, Mechanism, Qualifier, Record, Term};
use super::verify::LOOKUP_LIMIT;
use crate::dns::{Answer, Rec};
use crate::finding::{Finding, Fix, Severity};

/// Approximate wire size of a TXT answer (header, question, one RR per record).
fn answer_size(a: &Answer) -> usize {
    let q = a.name.len() + 2 + 4;
    let rrs: usize = a
        .records
        .iter()
        .map(|r| match r {
            Rec::Txt(parts) => 12 + parts.iter().map(|p| 1 + p.len()).sum::<usize>(),
            _ => 0,
        })
        .sum();
    12 + q + rrs
}

/// Split a record into quoted strings of at most 255 bytes.
pub fn quoted_strings(text: &str) -> String {
    text.as_bytes()
        .chunks(255)
        .map(|c| format!("\"{}\"", String::from_utf8_lossy(c).replace('\\', "\\\\").replace('"', "\\\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn lint_findings(l: &mut Lint, answers: &[Option<std::sync::Arc<Answer>>], proposed: Option<&str>) {
    let root_domain = l.domain.clone();
    let mut f: Vec<Finding> = Vec::new();
    let root = &l.nodes[0];
    let root_ev = root.txt_query.clone().unwrap_or_else(|| format!("proposed record: {}", proposed.unwrap_or("")));
    match &root.status {
        NodeStatus::NoRecord => f.push(
            Finding::new("spf.none", Severity::Warning, format!("{root_domain} publishes no SPF record"))
                .evidence(root_ev.clone())
                .detail(format!(
                    "Without SPF, receivers cannot tell which servers may send for the domain; Gmail and Yahoo require SPF or DKIM from every sender and SPF plus DKIM from bulk senders. Common includes: {}.",
                    esp::ESPS.iter().map(|e| format!("{} include:{}", e.name, e.include)).collect::<Vec<_>>().join(", ")
                ))
                .fix(Fix::record(&root_domain, "TXT", "v=spf1 mx ~all", "Publish (list your sending services as include: terms before ~all)"))
                .subject(&root_domain),
        ),
        NodeStatus::Multiple => f.push(
            Finding::new("spf.multiple", Severity::Error, format!("{root_domain} publishes more than one SPF record"))
                .evidence(root_ev.clone())
                .detail("RFC 7208 §4.5: more than one \"v=spf1\" TXT record is a permerror; receivers reject or ignore SPF for the domain.")
                .fix(Fix::record(&root_domain, "TXT", merge_records(root.record.as_deref().unwrap_or("")), "Replace all SPF TXT records with this one"))
                .subject(&root_domain),
        ),
        NodeStatus::Syntax(e) => f.push(
            Finding::new("spf.syntax", Severity::Error, format!("the SPF record of {root_domain} has a syntax error"))
                .evidence(format!("record: {}", root.record.as_deref().unwrap_or("")))
                .evidence(caret(root.record.as_deref().unwrap_or("")))
                .evidence(format!("error {e}"))
                .detail("RFC 7208 §4.6: any syntax error makes the whole record a permerror, so SPF fails for every IP.")
                .subject(&root_domain),
        ),
        NodeStatus::DnsFailure(e) => f.push(
            Finding::new("spf.temperror", Severity::Unknown, format!("could not fetch the SPF record of {root_domain}"))
                .evidence(e.clone())
                .detail("A DNS failure is not an absence: receivers that see the same failure answer temperror (4xx, try later).")
                .subject(&root_domain),
        ),
        NodeStatus::Ok => {
            if let Some(r) = &root.record {
                f.push(Finding::new("spf.record", Severity::Ok, format!("{root_domain} publishes an SPF record")).evidence(format!("{root_ev}")).evidence(r.clone()).subject(&root_domain));
            }
        }
        _ => {}
    }
    // Per-node problems below the root.
    for n in &l.nodes[1..] {
        let parent = n.parent.map(|p| l.nodes[p].domain.clone()).unwrap_or_default();
        match &n.status {
            NodeStatus::NoRecord => f.push(
                Finding::new("spf.include-none", Severity::Error, format!("`{}` in {parent} names a domain without an SPF record", n.via))
                    .evidence(n.txt_query.clone().unwrap_or_default())
                    .detail("RFC 7208 §5.2/§6.1: including (or redirecting to) a domain with no SPF record is a permerror for every IP that reaches that term.")
                    .fix(match esp::by_domain(&n.domain) {
                        // A known service's domain with the wrong name: the documented include.
                        Some(e) => Fix::setting(format!(
                            "{} documents `include:{}`: replace `{}` with it in the SPF record of {parent}.",
                            e.name, e.include, n.via
                        )),
                        None => Fix::setting(format!("Remove `{}` from the SPF record of {parent}, or use the include name the service documents.", n.via)),
                    })
                    .subject(&root_domain),
            ),
            NodeStatus::Multiple | NodeStatus::Syntax(_) => f.push(
                Finding::new("spf.include-permerror", Severity::Error, format!("the record behind `{}` in {parent} is invalid", n.via))
                    .evidence(n.txt_query.clone().unwrap_or_default())
                    .evidence(match &n.status { NodeStatus::Syntax(e) => format!("syntax error {e}"), _ => "more than one SPF record".into() })
                    .detail("A permerror inside an include is a permerror for the whole evaluation (§5.2).")
                    .subject(&root_domain),
            ),
            NodeStatus::DnsFailure(e) => f.push(
                Finding::new("spf.temperror", Severity::Unknown, format!("could not fetch the record behind `{}` in {parent}", n.via))
                    .evidence(e.clone())
                    .subject(&root_domain),
            ),
            NodeStatus::Loop => f.push(
                Finding::new("spf.loop", Severity::Error, format!("`{}` in {parent} loops back to {}", n.via, n.domain))
                    .evidence(path_of(l, n))
                    .detail("An include/redirect loop runs into the 10-lookup limit: permerror for every IP that does not match earlier.")
                    .fix(Fix::setting(format!("Remove `{}` from the SPF record of {parent}.", n.via)))
                    .subject(&root_domain),
            ),
            NodeStatus::Unexpanded => f.push(
                Finding::new("spf.macro-target", Severity::Info, format!("`{}` in {parent} depends on the sender and IP; not walked", n.via))
                    .subject(&root_domain),
            ),
            _ => {}
        }
    }
    // The lookup count.
    let total = l.total_lookups;
    let per_node: Vec<String> = l.tree_lines();
    let root_parsed = l.nodes[0].status == NodeStatus::Ok && l.nodes[0].record.is_some();
    if !root_parsed {
        // No count to give for a record that does not evaluate.
    } else if total > LOOKUP_LIMIT {
        let mut fnd = Finding::new("spf.lookup-limit", Severity::Error, format!("the SPF tree of {root_domain} needs {total} DNS lookups (limit {LOOKUP_LIMIT})"))
            .evidences(per_node.clone())
            .detail("RFC 7208 §4.6.4: a receiver returns permerror at the 11th DNS-querying term, so every IP not matched before that point fails SPF.")
            .subject(&root_domain);
        if let Some(flat) = flatten(l) {
            fnd = fnd.fix(Fix::record(&root_domain, "TXT", flat, "Replace with this flattened record (IP terms copied from the includes; re-check when the services change their ranges)"));
        } else {
            fnd = fnd.fix(Fix::setting("Remove includes of services you no longer use, replace `a`/`mx`/`ptr` terms by ip4:/ip6: terms, or move a service to a subdomain (e.g. a separate MAIL FROM domain)."));
        }
        f.push(fnd);
    } else {
        let sev = if total >= LOOKUP_LIMIT - 1 { Severity::Warning } else { Severity::Ok };
        f.push(
            Finding::new("spf.lookups", sev, format!("the SPF tree of {root_domain} needs {total} of {LOOKUP_LIMIT} DNS lookups"))
                .evidences(per_node)
                .subject(&root_domain),
        );
    }
    // Void lookups.
    if !l.voids.is_empty() {
        let sev = if l.voids.len() > 2 { Severity::Error } else { Severity::Warning };
        f.push(
            Finding::new("spf.void-lookups", sev, format!("{} SPF term(s) of {root_domain}'s tree look up names that do not exist (limit 2)", l.voids.len()))
                .evidences(l.voids.iter().map(|v| format!("`{}` in {}: {}", v.term, v.domain, v.answer)))
                .detail("RFC 7208 §4.6.4: the third lookup that returns no records is a permerror; each is also wasted work.")
                .fix(Fix::setting(format!("Remove these terms: {}", l.voids.iter().map(|v| format!("`{}` (in {})", v.term, v.domain)).collect::<Vec<_>>().join(", "))))
                .subject(&root_domain),
        );
    }
    // Answer sizes and long strings.
    for (i, a) in answers.iter().enumerate() {
        if let Some(a) = a {
            let size = answer_size(a);
            if size > 512 {
                f.push(
                    Finding::new("spf.answer-size", Severity::Warning, format!("the TXT answer of {} is about {size} bytes (over 512)", l.nodes[i].domain))
                        .evidence(a.summary())
                        .detail("Over 512 bytes a UDP answer is truncated; receivers must retry over TCP or use EDNS, and some time out (temperror). Move other TXT records (verification tokens) to subdomains or shorten the SPF record.")
                        .subject(&root_domain),
                );
            }
        }
    }
    if let Some(p) = proposed {
        if p.len() > 255 {
            f.push(
                Finding::new("spf.long-string", Severity::Warning, format!("the proposed record is {} bytes: one TXT string holds at most 255", p.len()))
                    .detail("Publish it as several strings in one TXT record; receivers join them without spaces (RFC 7208 §3.3).")
                    .fix(Fix::record(&root_domain, "TXT", quoted_strings(p), "Publish as several strings of one record"))
                    .subject(&root_domain),
            );
        }
    }
    // Record-level style problems, for every node that parsed.
    for n in &l.nodes {
        if let Some(r) = &n.parsed {
            record_findings(r, n, n.parent.is_none(), &root_domain, &mut f);
        }
    }
    l.findings.extend(f);
}

/// A caret under the byte where the record stops parsing, aligned with "record: ".
fn caret(record: &str) -> String {
    let pos = parse::parse_record(record).err().map(|e| e.pos).unwrap_or(0).min(record.len());
    format!("        {}^", " ".repeat(pos))
}

fn path_of(l: &Lint, n: &Node) -> String {
    let mut parts = vec![format!("{} {}", n.via, n.domain)];
    let mut p = n.parent;
    while let Some(i) = p {
        let m = &l.nodes[i];
        parts.push(if m.via.is_empty() { m.domain.clone() } else { format!("{} {}", m.via, m.domain) });
        p = m.parent;
    }
    parts.reverse();
    parts.join(" -> ")
}

/// One record out of several: the union of their terms, one `all` at the end.
fn merge_records(joined: &str) -> String {
    let mut terms: Vec<String> = Vec::new();
    let mut all: Option<String> = None;
    for rec in joined.split(" | ") {
        for t in rec.split(' ').skip(1).filter(|t| !t.is_empty()) {
            let lower = t.to_ascii_lowercase();
            if lower.trim_start_matches(['+', '-', '~', '?']) == "all" {
                all.get_or_insert(t.to_string());
            } else if !terms.iter().any(|x| x.eq_ignore_ascii_case(t)) {
                terms.push(t.to_string());
            }
        }
    }
    let mut out = String::from("v=spf1");
    for t in terms {
        out.push(' ');
        out.push_str(&t);
    }
    out.push(' ');
    out.push_str(all.as_deref().unwrap_or("~all"));
    out
}

fn record_findings(r: &Record, n: &Node, is_root: bool, root_domain: &str, f: &mut Vec<Finding>) {
    let dom = &n.domain;
    let ev = format!("{dom}: {}", r.text);
    let all_pos = r.terms.iter().position(|t| matches!(t, Term::Directive(d) if d.mechanism == Mechanism::All));
    if is_root {
        match r.directives().find(|d| d.mechanism == Mechanism::All) {
            Some(d) if d.qualifier == Qualifier::Pass => f.push(
                Finding::new("spf.plus-all", Severity::Warning, format!("{dom}'s SPF record ends in `{}`: every IP on the Internet passes", d.text))
                    .evidence(ev.clone())
                    .detail("A pass for any sender makes SPF worthless and many receivers score `+all` as spam.")
                    .fix(Fix::record(dom, "TXT", replace_all(r, "~all"), "Replace"))
                    .subject(root_domain),
            ),
            Some(d) if d.qualifier == Qualifier::Neutral => f.push(
                Finding::new("spf.neutral-all", Severity::Info, format!("{dom}'s SPF record ends in `{}`: unlisted IPs are neutral", d.text))
                    .evidence(ev.clone())
                    .detail("Neutral gives receivers no signal; once every sending service is listed, use ~all or -all.")
                    .subject(root_domain),
            ),
            // Nothing before `-all` can match: the domain says it sends no mail (right for a
            // parked domain, fatal for one that sends).
            Some(d) if d.qualifier == Qualifier::Fail && r.directives().count() == 1 && r.redirect().is_none() => f.push(
                Finding::new("spf.no-senders", Severity::Warning, format!("{dom}'s SPF record `{}` authorises no server: every message with this MAIL FROM domain fails SPF", r.text.trim()))
                    .evidence(ev.clone())
                    .detail("Correct for a domain that sends no mail (with a null MX); a domain that sends must list its servers and services before -all.")
                    .fix(Fix::record(dom, "TXT", format!("v=spf1 mx {}", d.text), "If the domain sends mail, replace (add your sending services' include: terms before -all)"))
                    .subject(root_domain),
            ),
            None if r.redirect().is_none() => f.push(
                Finding::new("spf.no-all", Severity::Warning, format!("{dom}'s SPF record has no `all` term: unlisted IPs are neutral"))
                    .evidence(ev.clone())
                    .fix(Fix::record(dom, "TXT", format!("{} ~all", r.text.trim_end()), "Replace"))
                    .subject(root_domain),
            ),
            _ => {}
        }
    }
    if let Some(p) = all_pos {
        let after: Vec<&str> = r.terms[p + 1..].iter().filter(|t| !matches!(t, Term::Modifier(m) if m.name != "redirect")).map(|t| t.text()).collect();
        if !after.is_empty() {
            f.push(
                Finding::new("spf.after-all", Severity::Warning, format!("{dom}'s SPF record has terms after `all` that are never used"))
                    .evidence(ev.clone())
                    .evidence(format!("ignored: {}", after.join(" ")))
                    .detail("`all` always matches, so the terms after it are dead; the services they name are not authorised.")
                    .subject(root_domain),
            );
        }
        if let Some(m) = r.redirect() {
            f.push(
                Finding::new("spf.redirect-with-all", Severity::Warning, format!("{dom}'s SPF record has both `all` and `{}`: the redirect is ignored", m.text))
                    .evidence(ev.clone())
                    .detail("RFC 7208 §6.1: redirect is used only when no term matches, and `all` always matches.")
                    .subject(root_domain),
            );
        }
    }
    for d in r.directives() {
        match &d.mechanism {
            Mechanism::Ptr(_) => f.push(
                Finding::new("spf.ptr", Severity::Warning, format!("{dom}'s SPF record uses `{}` (deprecated)", d.text))
                    .evidence(ev.clone())
                    .detail("RFC 7208 §5.5: ptr SHOULD NOT be used; it is slow, unreliable and some receivers skip it. List the IPs with ip4:/ip6: instead.")
                    .subject(root_domain),
            ),
            Mechanism::Ip4 { prefix, .. } if *prefix < 16 && d.qualifier == Qualifier::Pass => f.push(wide(dom, d, &ev, root_domain)),
            Mechanism::Ip6 { prefix, .. } if *prefix < 32 && d.qualifier == Qualifier::Pass => f.push(wide(dom, d, &ev, root_domain)),
            Mechanism::A { cidr, .. } | Mechanism::Mx { cidr, .. }
                if d.qualifier == Qualifier::Pass && (cidr.v4.is_some_and(|p| p < 16) || cidr.v6.is_some_and(|p| p < 32)) =>
            {
                f.push(wide(dom, d, &ev, root_domain))
            }
            _ => {}
        }
    }
}

fn wide(dom: &str, d: &parse::Directive, ev: &str, root_domain: &str) -> Finding {
    Finding::new("spf.wide", Severity::Warning, format!("`{}` in {dom}'s SPF record authorises a very large address range", d.text))
        .evidence(ev.to_string())
        .detail("A /8../15 IPv4 (or wider than /32 IPv6) range lets anyone hosted there send as this domain.")
        .subject(root_domain)
}

fn replace_all(r: &Record, new_all: &str) -> String {
    let mut out = String::from("v=spf1");
    for t in &r.terms {
        out.push(' ');
        match t {
            Term::Directive(d) if d.mechanism == Mechanism::All => out.push_str(new_all),
            t => out.push_str(t.text()),
        }
    }
    out
}

/// A flattened root record: includes whose whole subtree is ip4/ip6 terms replaced by
/// those terms. None when that does not bring the count within the limit.
fn flatten(l: &Lint) -> Option<String> {
    fn ips(l: &Lint, i: usize, out: &mut Vec<String>) -> bool {
        let n = &l.nodes[i];
        let Some(r) = &n.parsed else { return false };
        for t in &r.terms {
            match t {
                Term::Directive(d) => match &d.mechanism {
                    Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. } if d.qualifier == Qualifier::Pass => {
                        let s = d.text.trim_start_matches('+').to_string();
                        if !out.contains(&s) {
                            out.push(s);
                        }
                    }
                    Mechanism::All if d.qualifier != Qualifier::Pass => {}
                    Mechanism::Include(_) => {
                        let Some(&c) = n.children.iter().find(|&&c| l.nodes[c].via == d.text) else { return false };
                        if !ips(l, c, out) {
                            return false;
                        }
                    }
                    _ => return false,
                },
                Term::Modifier(m) if m.name == "redirect" => return false,
                Term::Modifier(_) => {}
            }
        }
        true
    }
    let root = &l.nodes[0];
    let r = root.parsed.as_ref()?;
    let mut out = String::from("v=spf1");
    let mut lookups = 0;
    for t in &r.terms {
        if let Term::Directive(d) = t {
            if let Mechanism::Include(_) = d.mechanism {
                if d.qualifier == Qualifier::Pass {
                    if let Some(&c) = root.children.iter().find(|&&c| l.nodes[c].via == d.text) {
                        let mut v = Vec::new();
                        if ips(l, c, &mut v) {
                            for s in v {
                                out.push(' ');
                                out.push_str(&s);
                            }
                            continue;
                        }
                        lookups += l.nodes[c].total_lookups;
                    }
                }
            }
            if d.mechanism.queries_dns() {
                lookups += 1;
            }
        }
        out.push(' ');
        out.push_str(t.text());
    }
    (lookups <= LOOKUP_LIMIT).then_some(out)
}
