//! Lint: a walk of the whole include/redirect tree, independent of any IP.
//!
//! Breadth-first and concurrent: every record of one level of the tree, and every
//! address/MX lookup its terms would cause, is asked at once, so the wall time is about
//! (depth × one round trip), not (lookups × one round trip).

use serde::Serialize;

use super::esp;
use super::parse::{self, Mechanism, Qualifier, Record, Term};
use super::verify::LOOKUP_LIMIT;
use crate::dns::{Answer, Outcome, RType, Rec, Resolver};
use crate::finding::{Finding, Fix, Severity};

/// Bound on the nodes walked (a hostile tree cannot make the walk unbounded).
pub const MAX_NODES: usize = 100;

/// What became of one node's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status", content = "detail")]
pub enum NodeStatus {
    Ok,
    NoRecord,
    Multiple,
    Syntax(String),
    DnsFailure(String),
    /// This domain is already on the path from the root: not followed again.
    Loop,
    /// The target uses macros that need an IP and sender to expand.
    Unexpanded,
    /// Not walked: the node limit was reached.
    Skipped,
}

/// One record in the tree.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub domain: String,
    /// The term of the parent that leads here (`include:...`, `redirect=...`); empty at the root.
    pub via: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<usize>,
    pub depth: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txt_query: Option<String>,
    pub status: NodeStatus,
    /// DNS-querying terms of this record that a fail path evaluates.
    pub own_lookups: u32,
    /// own_lookups plus those of the whole subtree: what this node costs a receiver.
    pub total_lookups: u32,
    pub children: Vec<usize>,
    /// A well-known sender service this include belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub esp: Option<&'static str>,
    #[serde(skip)]
    parsed: Option<Record>,
}

/// A lookup that returned nothing, with the term that caused it.
#[derive(Debug, Clone, Serialize)]
pub struct VoidLookup {
    pub domain: String,
    pub term: String,
    pub answer: String,
}

/// The whole walk.
#[derive(Debug, Clone, Serialize)]
pub struct Lint {
    pub domain: String,
    pub nodes: Vec<Node>,
    /// DNS-querying terms a receiver evaluates on a fail path (limit 10).
    pub total_lookups: u32,
    pub voids: Vec<VoidLookup>,
    /// Levels of the tree (1 = the record alone).
    pub depth: usize,
    pub findings: Vec<Finding>,
}

impl Lint {
    pub fn root(&self) -> &Node {
        &self.nodes[0]
    }
    /// The tree, one line per node, indented, with per-node lookup counts.
    pub fn tree_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.tree_rec(0, &mut out);
        out
    }
    fn tree_rec(&self, i: usize, out: &mut Vec<String>) {
        let n = &self.nodes[i];
        let pad = "  ".repeat(n.depth);
        let via = if n.via.is_empty() { String::new() } else { format!("{} ", n.via) };
        let status = match &n.status {
            NodeStatus::Ok => String::new(),
            NodeStatus::NoRecord => " [no SPF record]".into(),
            NodeStatus::Multiple => " [several SPF records]".into(),
            NodeStatus::Syntax(e) => format!(" [syntax error {e}]"),
            NodeStatus::DnsFailure(e) => format!(" [DNS failure: {e}]"),
            NodeStatus::Loop => " [loop: already on this path]".into(),
            NodeStatus::Unexpanded => " [macro target, depends on the sender]".into(),
            NodeStatus::Skipped => " [not walked: too many nodes]".into(),
        };
        let esp = n.esp.map(|e| format!(" ({e})")).unwrap_or_default();
        out.push(format!(
            "{pad}{via}{}{esp}: {} lookup{} ({} own){status}",
            n.domain,
            n.total_lookups,
            if n.total_lookups == 1 { "" } else { "s" },
            n.own_lookups
        ));
        for &c in &n.children {
            self.tree_rec(c, out);
        }
    }
}

/// Lint a domain's SPF tree; `proposed` replaces the root's published record.
pub async fn lint(resolver: &Resolver, domain: &str, proposed: Option<&str>) -> Lint {
    let domain = crate::dns::normalize(domain);
    let mut nodes: Vec<Node> = vec![new_node(&domain, "", None, 0)];
    let mut voids: Vec<VoidLookup> = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();
    let mut answers: Vec<Option<std::sync::Arc<Answer>>> = vec![None];
    let mut frontier = vec![0usize];
    // The obsolete SPF RR type, asked in parallel with the first level.
    let spf_rr = resolver.query(&domain, RType::Spf);
    let mut spf_rr = Some(Box::pin(spf_rr));
    let mut depth = 0;
    // Address/MX lookups of the previous level, asked together with this level's records
    // so that they cost no round trip of their own.
    let mut pending: Vec<(String, RType, String, String)> = Vec::new();
    while !frontier.is_empty() {
        depth += 1;
        // 1. Every record of this level at once.
        let fetches = futures::future::join_all(frontier.iter().map(|&i| {
            let name = nodes[i].domain.clone();
            let skip = nodes[i].status != NodeStatus::Ok || (i == 0 && proposed.is_some());
            async move { if skip { None } else { Some(resolver.query(&name, RType::Txt).await) } }
        }));
        let checks = futures::future::join_all(pending.iter().map(|(n, rt, _, _)| resolver.query(n, *rt)));
        let rr_fut = async {
            match spf_rr.take() {
                Some(f) => Some(f.await),
                None => None,
            }
        };
        let (fetched, void_answers, rr) = futures::join!(fetches, checks, rr_fut);
        record_voids(&pending, void_answers, &mut voids);
        if let Some(rr) = rr {
            if rr.outcome == Outcome::Records {
                findings.push(
                    Finding::new("spf.spf-rr", Severity::Info, format!("{domain} still publishes the obsolete SPF record type"))
                        .evidence(rr.summary())
                        .detail("RFC 7208 §3.1 dropped the SPF RR type (99); receivers read only TXT. Keep the TXT record and delete the SPF-type one.")
                        .subject(domain.clone()),
                );
            }
        }
        for (&i, ans) in frontier.iter().zip(fetched) {
            if i == 0 {
                if let Some(text) = proposed {
                    nodes[0].record = Some(text.to_string());
                    set_parsed(&mut nodes[0], text);
                    continue;
                }
            }
            let Some(ans) = ans else { continue };
            nodes[i].txt_query = Some(ans.summary());
            classify(&mut nodes[i], &ans);
            answers.resize(nodes.len().max(i + 1), None);
            answers[i] = Some(ans);
        }
        // 2. Children (include/redirect targets) and the lookups that could be void.
        let mut next = Vec::new();
        let mut void_checks: Vec<(String, RType, String, String)> = Vec::new();
        for &i in &frontier {
            let Some(rec) = nodes[i].parsed.clone() else { continue };
            let here = nodes[i].domain.clone();
            let mut own = 0;
            for t in fail_path_terms(&rec) {
                let (term_text, target, rtype, follow) = match t {
                    Term::Directive(d) => match &d.mechanism {
                        Mechanism::Include(ms) => (d.text.clone(), Some(ms), None, true),
                        Mechanism::A { domain, .. } => (d.text.clone(), domain.as_ref(), Some(RType::A), false),
                        Mechanism::Mx { domain, .. } => (d.text.clone(), domain.as_ref(), Some(RType::Mx), false),
                        Mechanism::Exists(ms) => (d.text.clone(), Some(ms), Some(RType::A), false),
                        Mechanism::Ptr(_) => {
                            own += 1;
                            continue;
                        }
                        _ => continue,
                    },
                    Term::Modifier(m) => (m.text.clone(), Some(&m.value), None, true),
                };
                own += 1;
                let literal = target.map(|ms| ms.is_literal()).unwrap_or(true);
                let name = match target {
                    Some(ms) if literal => crate::dns::normalize(&super::macros::expand(ms, &dummy_data()).unwrap_or_default()),
                    Some(_) => String::new(),
                    None => here.clone(),
                };
                if follow {
                    if nodes.len() >= MAX_NODES {
                        let mut n = new_node(&name, &term_text, Some(i), nodes[i].depth + 1);
                        n.status = NodeStatus::Skipped;
                        nodes.push(n);
                        let c = nodes.len() - 1;
                        nodes[i].children.push(c);
                        continue;
                    }
                    let mut n = new_node(if literal { &name } else { target.map(|m| m.raw.as_str()).unwrap_or("") }, &term_text, Some(i), nodes[i].depth + 1);
                    if !literal {
                        n.status = NodeStatus::Unexpanded;
                    } else if on_path(&nodes, i, &name) {
                        n.status = NodeStatus::Loop;
                    } else {
                        next.push(nodes.len());
                    }
                    nodes.push(n);
                    let c = nodes.len() - 1;
                    nodes[i].children.push(c);
                } else if literal && !name.is_empty() {
                    if let Some(rt) = rtype {
                        void_checks.push((name, rt, term_text, here.clone()));
                    }
                }
            }
            nodes[i].own_lookups = own;
        }
        pending = void_checks;
        frontier = next;
    }
    if !pending.is_empty() {
        let void_answers = futures::future::join_all(pending.iter().map(|(n, rt, _, _)| resolver.query(n, *rt))).await;
        record_voids(&pending, void_answers, &mut voids);
    }
    // Subtree totals, deepest first.
    for i in (0..nodes.len()).rev() {
        let sub: u32 = nodes[i].children.iter().map(|&c| nodes[c].total_lookups).sum();
        nodes[i].total_lookups = nodes[i].own_lookups + sub;
    }
    let mut lint = Lint { domain: domain.clone(), total_lookups: nodes[0].total_lookups, nodes, voids, depth, findings };
    lint_findings(&mut lint, &answers, proposed);
    lint
}

fn record_voids(checks: &[(String, RType, String, String)], answers: Vec<std::sync::Arc<Answer>>, voids: &mut Vec<VoidLookup>) {
    for ((_, _, term, dom), a) in checks.iter().zip(answers) {
        if matches!(a.outcome, Outcome::NxDomain | Outcome::NoData) {
            voids.push(VoidLookup { domain: dom.clone(), term: term.clone(), answer: a.summary() });
        }
    }
}

fn new_node(domain: &str, via: &str, parent: Option<usize>, depth: usize) -> Node {
    Node {
        domain: domain.to_string(),
        via: via.to_string(),
        parent,
        depth,
        record: None,
        txt_query: None,
        status: NodeStatus::Ok,
        own_lookups: 0,
        total_lookups: 0,
        children: Vec::new(),
        esp: if parent.is_some() { esp::by_include(domain).map(|e| e.name) } else { None },
        parsed: None,
    }
}

fn dummy_data() -> super::macros::MacroData {
    super::macros::MacroData {
        sender: String::new(),
        local: String::new(),
        sender_domain: String::new(),
        domain: String::new(),
        ip: std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        helo: String::new(),
        receiver: String::new(),
        timestamp: 0,
        ptr: None,
    }
}

fn on_path(nodes: &[Node], mut i: usize, name: &str) -> bool {
    loop {
        if nodes[i].domain == name {
            return true;
        }
        match nodes[i].parent {
            Some(p) => i = p,
            None => return false,
        }
    }
}

fn set_parsed(n: &mut Node, text: &str) {
    match parse::parse_record(text) {
        Ok(r) => n.parsed = Some(r),
        Err(e) => n.status = NodeStatus::Syntax(e.to_string()),
    }
}

fn classify(n: &mut Node, ans: &Answer) {
    match ans.outcome {
        Outcome::Records => {}
        Outcome::NxDomain | Outcome::NoData => {
            n.status = NodeStatus::NoRecord;
            return;
        }
        _ => {
            n.status = NodeStatus::DnsFailure(ans.summary());
            return;
        }
    }
    let spf: Vec<String> = ans.txt_strings().into_iter().filter(|t| parse::is_spf1(t)).collect();
    match spf.len() {
        0 => n.status = NodeStatus::NoRecord,
        1 => {
            n.record = Some(spf[0].clone());
            set_parsed(n, &spf[0]);
        }
        _ => {
            n.record = Some(spf.join(" | "));
            n.status = NodeStatus::Multiple;
        }
    }
}

/// The terms a receiver evaluates when nothing matches: directives up to the first
/// `all`, then redirect if there is no `all`.
fn fail_path_terms(r: &Record) -> Vec<&Term> {
    let mut out = Vec::new();
    for t in &r.terms {
        if let Term::Directive(d) = t {
            if d.mechanism.queries_dns() {
                out.push(t);
            }
            if d.mechanism == Mechanism::All {
                return out;
            }
        }
    }
    if let Some(t) = r.terms.iter().find(|t| matches!(t, Term::Modifier(m) if m.name == "redirect")) {
        out.push(t);
    }
    out
}

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

fn lint_findings(l: &mut Lint, answers: &[Option<std::sync::Arc<Answer>>], proposed: Option<&str>) {
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
    if total > LOOKUP_LIMIT {
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
