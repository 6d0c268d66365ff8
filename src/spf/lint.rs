//! Lint: a walk of the whole include/redirect tree, independent of any IP.
//!
//! Breadth-first and concurrent: every record of one level of the tree, and every
//! address/MX lookup its terms would cause, is asked at once, so the wall time is about
//! (depth × one round trip), not (lookups × one round trip).

use serde::Serialize;

use super::esp;
use super::parse::{self, Mechanism, Record, Term};
use crate::dns::{Answer, Outcome, RType, Resolver};
use crate::finding::{Finding, Severity};

pub use super::lint_findings::quoted_strings;

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
    pub(super) parsed: Option<Record>,
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
    super::lint_findings::lint_findings(&mut lint, &answers, proposed);
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

