//! `check_host()` exactly per RFC 7208 §4–§6, with a trace of every step.
//!
//! The evaluation is sequential where the RFC makes order matter (directives are tried
//! left to right, the first match wins, limits are checked as terms are reached), and
//! concurrent where it does not (the address lookups of the hosts of one `mx` or `ptr`).

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::pin::Pin;

use serde::Serialize;

use super::macros::{self, MacroData};
use super::parse::{self, DualCidr, Mechanism, Qualifier, Record};
use crate::dns::{Answer, Outcome, RType, Resolver};

/// DNS-querying terms allowed in one evaluation (§4.6.4).
pub const LOOKUP_LIMIT: u32 = 10;
/// Lookups that return no records allowed (§4.6.4).
pub const VOID_LIMIT: u32 = 2;
/// Names looked at inside one `mx` or `ptr` (§4.6.4).
pub const NAME_LIMIT: usize = 10;
/// Wall-clock bound on one check_host() (§4.6.4: "at least 20 seconds").
pub const EVAL_DEADLINE: std::time::Duration = std::time::Duration::from_secs(20);

/// The result of check_host() (§2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpfResult {
    None,
    Neutral,
    Pass,
    Fail,
    SoftFail,
    TempError,
    PermError,
}

impl SpfResult {
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::None => "none",
            SpfResult::Neutral => "neutral",
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::TempError => "temperror",
            SpfResult::PermError => "permerror",
        }
    }
    pub fn parse(s: &str) -> Option<SpfResult> {
        Some(match s.to_ascii_lowercase().as_str() {
            "none" => SpfResult::None,
            "neutral" => SpfResult::Neutral,
            "pass" => SpfResult::Pass,
            "fail" => SpfResult::Fail,
            "softfail" => SpfResult::SoftFail,
            "temperror" => SpfResult::TempError,
            "permerror" => SpfResult::PermError,
            _ => return None,
        })
    }
    fn from_qualifier(q: Qualifier) -> Self {
        match q {
            Qualifier::Pass => SpfResult::Pass,
            Qualifier::Fail => SpfResult::Fail,
            Qualifier::SoftFail => SpfResult::SoftFail,
            Qualifier::Neutral => SpfResult::Neutral,
        }
    }
}

impl std::fmt::Display for SpfResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One evaluated term.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// The term as written (`include:_spf.example.com`, `redirect=...`).
    pub term: String,
    /// The name the term asked about, after macro expansion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Every DNS answer the term used, one summary line each.
    pub queries: Vec<String>,
    pub matched: bool,
    /// Running counters after this term.
    pub lookups: u32,
    pub voids: u32,
    /// Why it matched or not, or what stopped the evaluation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The evaluation of an include or redirect target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nested: Option<Box<Trace>>,
}

/// The evaluation of one domain's record.
#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    pub domain: String,
    /// The TXT lookup that found (or did not find) the record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txt_query: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    pub steps: Vec<Step>,
    pub result: SpfResult,
    /// Why this result (the matching term, the error, "no term matched").
    pub reason: String,
    /// The exp= text, for a fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// True when the record came from `--record` instead of DNS.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub proposed: bool,
}

impl Trace {
    fn new(domain: &str) -> Self {
        Trace {
            domain: domain.to_string(),
            txt_query: None,
            record: None,
            steps: Vec::new(),
            result: SpfResult::None,
            reason: String::new(),
            explanation: None,
            proposed: false,
        }
    }
    fn finish(mut self, result: SpfResult, reason: impl Into<String>) -> Self {
        self.result = result;
        self.reason = reason.into();
        self
    }
    /// The innermost step that decided the result (follows matching includes/redirects).
    pub fn deciding_path(&self) -> Vec<String> {
        let mut path = vec![self.domain.clone()];
        if let Some(s) = self.steps.iter().rev().find(|s| s.matched || s.term.starts_with("redirect=")) {
            path.push(s.term.clone());
            if let Some(n) = &s.nested {
                path.extend(n.deciding_path().into_iter().skip(1));
            }
        }
        path
    }
    /// Lines for evidence lists and terminals: the tree, indented.
    pub fn render_lines(&self, indent: usize, out: &mut Vec<String>) {
        let pad = "  ".repeat(indent);
        let rec = self.record.as_deref().unwrap_or("(no SPF record)");
        out.push(format!("{pad}{}: {rec}{}", self.domain, if self.proposed { "  [proposed]" } else { "" }));
        for s in &self.steps {
            let mark = if s.matched { "MATCH" } else { "no match" };
            let mut line = format!("{pad}  {} -> {mark} [lookups {}, void {}]", s.term, s.lookups, s.voids);
            if let Some(n) = &s.note {
                line.push_str(&format!(" ({n})"));
            }
            out.push(line);
            for q in &s.queries {
                out.push(format!("{pad}      {q}"));
            }
            if let Some(n) = &s.nested {
                n.render_lines(indent + 2, out);
            }
        }
        out.push(format!("{pad}  => {} ({})", self.result, self.reason));
    }
}

/// What check_host() is asked.
#[derive(Debug, Clone)]
pub struct Query {
    pub ip: IpAddr,
    /// The domain to check (MAIL FROM domain, or HELO name).
    pub domain: String,
    /// `<sender>` as given: local@domain, `@domain`, or empty (then postmaster@helo).
    pub sender: String,
    pub helo: String,
    /// Receiving host for `%{r}`.
    pub receiver: Option<String>,
    /// What-if: evaluate this record text for `domain` instead of the published one.
    pub record_override: Option<String>,
}

impl Query {
    /// MAIL FROM identity: `sender` is the full address, or empty for the null sender
    /// (then the HELO identity is checked, as §2.4 says).
    pub fn mail_from(ip: IpAddr, sender: &str, helo: &str) -> Query {
        let domain = match sender.rsplit_once('@') {
            Some((_, d)) => d.to_string(),
            None if sender.is_empty() => helo.to_string(),
            None => sender.to_string(),
        };
        Query { ip, domain, sender: sender.to_string(), helo: helo.to_string(), receiver: None, record_override: None }
    }
    /// HELO identity (§2.3): sender is postmaster@helo.
    pub fn helo(ip: IpAddr, helo: &str) -> Query {
        Query { ip, domain: helo.to_string(), sender: String::new(), helo: helo.to_string(), receiver: None, record_override: None }
    }
}

/// The outcome of check_host().
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub result: SpfResult,
    pub domain: String,
    pub ip: IpAddr,
    pub explanation: Option<String>,
    pub lookups: u32,
    pub voids: u32,
    pub trace: Trace,
}

impl Evaluation {
    /// True when the reason of the result (at any depth of the trace) contains `text`.
    pub fn trace_mentions(&self, text: &str) -> bool {
        fn walk(t: &Trace, text: &str) -> bool {
            t.reason.contains(text) || t.steps.iter().any(|s| s.note.as_deref().is_some_and(|n| n.contains(text)) || s.nested.as_ref().is_some_and(|n| walk(n, text)))
        }
        walk(&self.trace, text)
    }
}

/// Why an evaluation stopped early.
struct Abort {
    result: SpfResult,
    reason: String,
}

fn perm(reason: impl Into<String>) -> Abort {
    Abort { result: SpfResult::PermError, reason: reason.into() }
}
fn temp(a: &Answer) -> Abort {
    Abort { result: SpfResult::TempError, reason: format!("DNS failure: {}", a.summary()) }
}

/// The null reverse-path `<>` (RFC 5321 §4.5.5: what bounces are sent with). SPF then
/// checks the HELO identity, with postmaster@HELO as the sender (RFC 7208 §2.4).
pub fn is_null_sender(s: &str) -> bool {
    s.trim() == "<>"
}

/// §4.3: a domain that is not a multi-label FQDN gives "none".
pub fn domain_problem(d: &str) -> Option<String> {
    let d = d.strip_suffix('.').unwrap_or(d);
    if d.starts_with('[') {
        return Some("a domain literal, not a domain name".into());
    }
    if let Some(p) = crate::dns::invalid_name(d) {
        return Some(p);
    }
    if !d.contains('.') {
        return Some("not a fully qualified domain name".into());
    }
    if !d.is_ascii() {
        return Some("not an ASCII (A-label) name".into());
    }
    None
}

/// Run check_host() for a query.
pub async fn check_host(resolver: &Resolver, q: &Query) -> Evaluation {
    let ip = match q.ip {
        // An IPv4-mapped IPv6 address is the IPv4 client it stands for.
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(q.ip),
        v4 => v4,
    };
    let (local, sender_domain) = match q.sender.rsplit_once('@') {
        Some((l, d)) => (if l.is_empty() { "postmaster".to_string() } else { l.to_string() }, d.to_string()),
        None if q.sender.is_empty() => ("postmaster".to_string(), q.helo.clone()),
        None => ("postmaster".to_string(), q.sender.clone()),
    };
    let data = MacroData {
        sender: format!("{local}@{sender_domain}"),
        local,
        sender_domain,
        domain: q.domain.clone(),
        ip,
        helo: q.helo.clone(),
        receiver: q.receiver.clone().unwrap_or_else(|| "unknown".into()),
        timestamp: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        ptr: None,
    };
    let domain = crate::dns::normalize(&q.domain);
    // A proposed record (what-if) is not the published one: reaching the published
    // record of the same domain again is not a loop.
    let stack = if q.record_override.is_some() { Vec::new() } else { vec![domain.clone()] };
    let mut ev = Evaluator {
        resolver: resolver.clone(),
        data,
        lookups: 0,
        voids: 0,
        ptr_done: false,
        record_override: q.record_override.clone(),
        stack,
        loop_reason: None,
    };
    let trace = match tokio::time::timeout(EVAL_DEADLINE, ev.check(domain.clone(), true, true)).await {
        Ok(t) => t,
        Err(_) => Trace::new(&domain).finish(
            SpfResult::TempError,
            format!("the evaluation took longer than {} s (§4.6.4)", EVAL_DEADLINE.as_secs()),
        ),
    };
    Evaluation {
        result: trace.result,
        domain,
        ip,
        explanation: trace.explanation.clone(),
        lookups: ev.lookups,
        voids: ev.voids,
        trace,
    }
}

struct Evaluator {
    resolver: Resolver,
    data: MacroData,
    lookups: u32,
    voids: u32,
    ptr_done: bool,
    record_override: Option<String>,
    /// The domains whose records are being evaluated, outermost first (include and
    /// redirect targets push theirs).
    stack: Vec<String>,
    /// Set when a loop was found: its reason travels up unchanged.
    loop_reason: Option<String>,
}

enum Fetched {
    Record(Record, String),
    Done(SpfResult, String),
}

type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl Evaluator {
    /// check_host() for one domain; `top` marks the initial call (what-if override);
    /// `want_exp`: the explanation can be used (not inside an include, §6.2).
    fn check(&mut self, domain: String, top: bool, want_exp: bool) -> BoxFut<'_, Trace> {
        Box::pin(async move {
            let mut trace = Trace::new(&domain);
            if let Some(p) = domain_problem(&domain) {
                return trace.finish(SpfResult::None, format!("`{domain}` is not a valid domain ({p}, §4.3)"));
            }
            let fetched = match self.record_override.clone().filter(|_| top) {
                Some(text) => {
                    trace.proposed = true;
                    match parse::parse_record(&text) {
                        Ok(r) => Fetched::Record(r, text),
                        Err(e) => {
                            trace.record = Some(text);
                            Fetched::Done(SpfResult::PermError, format!("syntax error {e}"))
                        }
                    }
                }
                None => self.fetch(&domain, &mut trace).await,
            };
            let record = match fetched {
                Fetched::Record(r, text) => {
                    trace.record = Some(text);
                    r
                }
                Fetched::Done(res, why) => return trace.finish(res, why),
            };
            let saved_domain = std::mem::replace(&mut self.data.domain, domain.clone());
            let out = self.eval_record(&record, &mut trace, want_exp).await;
            self.data.domain = saved_domain;
            match out {
                Ok((res, why, via_redirect)) => {
                    // After a redirect the target's exp= (already in the trace) applies,
                    // never this record's (§6.2).
                    if res == SpfResult::Fail && !via_redirect && want_exp {
                        if let Some(exp) = record.exp() {
                            let saved = std::mem::replace(&mut self.data.domain, domain.clone());
                            trace.explanation = self.explain(&exp.value).await;
                            self.data.domain = saved;
                        }
                    }
                    trace.finish(res, why)
                }
                Err(a) => trace.finish(a.result, a.reason),
            }
        })
    }

    /// §4.4, §4.5: the domain's one SPF record.
    async fn fetch(&mut self, domain: &str, trace: &mut Trace) -> Fetched {
        let ans = self.resolver.query(domain, RType::Txt).await;
        trace.txt_query = Some(ans.summary());
        match ans.outcome {
            Outcome::Records => {}
            Outcome::NxDomain | Outcome::NoData => {
                return Fetched::Done(SpfResult::None, format!("no TXT record at {domain} ({})", ans.outcome));
            }
            _ => return Fetched::Done(SpfResult::TempError, format!("DNS failure: {}", ans.summary())),
        }
        let spf: Vec<String> = ans.txt_strings().into_iter().filter(|t| parse::is_spf1(t)).collect();
        match spf.len() {
            0 => Fetched::Done(SpfResult::None, format!("no \"v=spf1\" record among the TXT records of {domain}")),
            1 => {
                let text = spf.into_iter().next().expect("one");
                match parse::parse_record(&text) {
                    Ok(r) => Fetched::Record(r, text),
                    Err(e) => {
                        trace.record = Some(text);
                        Fetched::Done(SpfResult::PermError, format!("syntax error {e}"))
                    }
                }
            }
            n => {
                trace.record = Some(spf.join(" | "));
                Fetched::Done(SpfResult::PermError, format!("{n} SPF records at {domain} (exactly one allowed, §4.5)"))
            }
        }
    }

    async fn eval_record(&mut self, record: &Record, trace: &mut Trace, want_exp: bool) -> Result<(SpfResult, String, bool), Abort> {
        for d in record.directives() {
            let mut step = Step {
                term: d.text.clone(),
                target: None,
                queries: Vec::new(),
                matched: false,
                lookups: self.lookups,
                voids: self.voids,
                note: None,
                nested: None,
            };
            if d.mechanism.queries_dns() {
                self.lookups += 1;
                step.lookups = self.lookups;
                if self.lookups > LOOKUP_LIMIT {
                    let why = format!("`{}` is DNS-querying term number {} (limit {LOOKUP_LIMIT}, §4.6.4)", d.text, self.lookups);
                    step.note = Some("lookup limit exceeded".into());
                    trace.steps.push(step);
                    return Err(perm(why));
                }
            }
            let r = self.matches(&d.mechanism, &mut step).await;
            step.voids = self.voids;
            step.matched = matches!(r, Ok(true));
            if let Err(a) = &r {
                step.note.get_or_insert_with(|| a.reason.clone());
            }
            trace.steps.push(step);
            if r? {
                let res = SpfResult::from_qualifier(d.qualifier);
                return Ok((res, format!("`{}` matched", d.text), false));
            }
        }
        // §6.1: redirect is used only when nothing matched (and never beside `all`,
        // which always matches, so reaching here means there was none).
        if let Some(m) = record.redirect() {
            self.lookups += 1;
            let mut step = Step {
                term: m.text.clone(),
                target: None,
                queries: Vec::new(),
                matched: false,
                lookups: self.lookups,
                voids: self.voids,
                note: None,
                nested: None,
            };
            if self.lookups > LOOKUP_LIMIT {
                step.note = Some("lookup limit exceeded".into());
                trace.steps.push(step);
                return Err(perm(format!("`{}` is DNS-querying term number {} (limit {LOOKUP_LIMIT}, §4.6.4)", m.text, self.lookups)));
            }
            let target = match self.expand_target(&m.value).await {
                Ok(t) => t,
                Err(e) => {
                    step.note = Some(e.clone());
                    trace.steps.push(step);
                    return Err(perm(e));
                }
            };
            step.target = Some(target.clone());
            if let Err(a) = self.enter("redirect", &target, &mut step) {
                trace.steps.push(step);
                return Err(a);
            }
            let nested = self.check(target.clone(), false, want_exp).await;
            self.stack.pop();
            let (res, exp) = (nested.result, nested.explanation.clone());
            let looped = self.loop_reason.as_ref().filter(|l| **l == nested.reason).cloned();
            step.voids = self.voids;
            step.lookups = self.lookups;
            step.nested = Some(Box::new(nested));
            trace.steps.push(step);
            if res == SpfResult::None {
                return Err(perm(format!("redirect target {target} has no SPF record (§6.1: permerror)")));
            }
            // The redirected record's exp= applies, not this one's (§6.2).
            trace.explanation = exp;
            return Ok((res, looped.unwrap_or_else(|| format!("result of redirect to {target}")), true));
        }
        Ok((SpfResult::Neutral, "no term matched and there is no redirect (default neutral, §4.7)".into(), false))
    }

    /// RFC 7208 has no loop rule: a loop runs into the 10-lookup limit (§4.6.4). Re-entering
    /// a domain already on the stack evaluates the same record with the same data, so it
    /// can only end there; stop at once and name the loop (still permerror).
    fn enter(&mut self, kind: &str, target: &str, step: &mut Step) -> Result<(), Abort> {
        let t = crate::dns::normalize(target);
        if let Some(pos) = self.stack.iter().position(|d| *d == t) {
            let mut path: Vec<&str> = self.stack[pos..].iter().map(String::as_str).collect();
            path.push(&t);
            let why = format!("{kind} loop: {} (a receiver runs into the 10-lookup limit, §4.6.4)", path.join(" -> "));
            step.note = Some(format!("loop: {t} is already being evaluated"));
            self.loop_reason = Some(why.clone());
            return Err(perm(why));
        }
        self.stack.push(t);
        Ok(())
    }

    /// Expand a domain-spec (computing the `p` macro first when needed).
    async fn expand_target(&mut self, ms: &parse::MacroString) -> Result<String, String> {
        if ms.letters().any(|l| l == 'p') {
            self.resolve_p().await;
        }
        macros::expand_domain(ms, &self.data)
    }

    async fn resolve_p(&mut self) {
        if self.ptr_done {
            return;
        }
        self.ptr_done = true;
        let names = self.validated_names().await;
        let d = self.data.domain.clone();
        let best = names
            .iter()
            .find(|n| **n == d || n.ends_with(&format!(".{d}")))
            .or_else(|| names.first())
            .cloned();
        self.data.ptr = best;
    }

    /// §5.5: PTR names of the IP whose A/AAAA lead back to it (at most 10 looked at).
    async fn validated_names_traced(&mut self, step: Option<&mut Step>) -> Result<Vec<String>, Abort> {
        let ip = self.data.ip;
        let ans = self.resolver.query(&macros::reverse_name(ip), RType::Ptr).await;
        let mut lines = vec![ans.summary()];
        let names: Vec<String> = ans.names().into_iter().take(NAME_LIMIT).collect();
        let rtype = if ip.is_ipv4() { RType::A } else { RType::Aaaa };
        let answers = futures::future::join_all(names.iter().map(|n| self.resolver.query(n, rtype))).await;
        let mut ok = Vec::new();
        for (n, a) in names.iter().zip(answers) {
            lines.push(a.summary());
            // A lookup error skips the name (§5.5).
            if a.ips().contains(&ip) {
                ok.push(crate::dns::normalize(n));
            }
        }
        if let Some(step) = step {
            step.queries.extend(lines);
            if matches!(ans.outcome, Outcome::NxDomain | Outcome::NoData) {
                self.void(&ans, step)?;
            }
        }
        Ok(ok)
    }

    async fn validated_names(&mut self) -> Vec<String> {
        self.validated_names_traced(None).await.unwrap_or_default()
    }

    /// Count a void lookup; the third is a permerror.
    fn void(&mut self, a: &Answer, step: &mut Step) -> Result<(), Abort> {
        if matches!(a.outcome, Outcome::NxDomain | Outcome::NoData) {
            self.voids += 1;
            step.voids = self.voids;
            if self.voids > VOID_LIMIT {
                step.note = Some("void lookup limit exceeded".into());
                return Err(perm(format!(
                    "{} {} is void lookup number {} (limit {VOID_LIMIT}, §4.6.4)",
                    a.rtype, a.name, self.voids
                )));
            }
        }
        Ok(())
    }

    async fn target_or_domain(&mut self, ms: Option<&parse::MacroString>, step: &mut Step) -> Result<String, Abort> {
        let t = match ms {
            Some(ms) => self.expand_target(ms).await.map_err(perm)?,
            None => self.data.domain.clone(),
        };
        step.target = Some(t.clone());
        Ok(t)
    }

    /// Does the mechanism match? Err stops the evaluation.
    async fn matches(&mut self, m: &Mechanism, step: &mut Step) -> Result<bool, Abort> {
        let ip = self.data.ip;
        match m {
            Mechanism::All => Ok(true),
            Mechanism::Ip4 { addr, prefix } => {
                let hit = matches!(ip, IpAddr::V4(v4) if in_net4(v4, *addr, *prefix));
                if !hit {
                    step.note = Some(if ip.is_ipv4() { format!("{ip} is outside {addr}/{prefix}") } else { format!("{ip} is IPv6; ip4 never matches it") });
                }
                Ok(hit)
            }
            Mechanism::Ip6 { addr, prefix } => {
                let hit = matches!(ip, IpAddr::V6(v6) if in_net6(v6, *addr, *prefix));
                if !hit {
                    step.note = Some(if ip.is_ipv6() { format!("{ip} is outside {addr}/{prefix}") } else { format!("{ip} is IPv4; ip6 never matches it") });
                }
                Ok(hit)
            }
            Mechanism::A { domain, cidr } => {
                let t = self.target_or_domain(domain.as_ref(), step).await?;
                if let Some(p) = crate::dns::invalid_name(&t) {
                    step.note = Some(format!("invalid name: {p}"));
                    return Ok(false);
                }
                let a = self.resolver.query(&t, addr_type(ip)).await;
                step.queries.push(a.summary());
                if a.is_failure() {
                    return Err(temp(&a));
                }
                self.void(&a, step)?;
                let hit = a.ips().iter().any(|x| in_cidr(ip, *x, cidr));
                if !hit && a.outcome == Outcome::Records {
                    step.note = Some(format!("{ip} is not among the addresses of {t}{}", cidr_text(cidr)));
                }
                Ok(hit)
            }
            Mechanism::Mx { domain, cidr } => {
                let t = self.target_or_domain(domain.as_ref(), step).await?;
                if let Some(p) = crate::dns::invalid_name(&t) {
                    step.note = Some(format!("invalid name: {p}"));
                    return Ok(false);
                }
                let mx = self.resolver.query(&t, RType::Mx).await;
                step.queries.push(mx.summary());
                if mx.is_failure() {
                    return Err(temp(&mx));
                }
                self.void(&mx, step)?;
                let hosts: Vec<String> = mx.mx().into_iter().map(|(_, h)| h).filter(|h| !h.is_empty() && h != ".").collect();
                if hosts.len() > NAME_LIMIT {
                    return Err(perm(format!("{t} has {} MX hosts (limit {NAME_LIMIT}, §4.6.4)", hosts.len())));
                }
                // The hosts' addresses are independent: ask for them all at once.
                let rtype = addr_type(ip);
                let answers = futures::future::join_all(hosts.iter().map(|h| self.resolver.query(h, rtype))).await;
                for a in answers {
                    step.queries.push(a.summary());
                    if a.is_failure() {
                        return Err(temp(&a));
                    }
                    self.void(&a, step)?;
                    if a.ips().iter().any(|x| in_cidr(ip, *x, cidr)) {
                        step.note = Some(format!("{ip} is an address of MX host {}", a.name));
                        return Ok(true);
                    }
                }
                if !hosts.is_empty() {
                    step.note = Some(format!("{ip} is not an address of any MX host of {t}{}", cidr_text(cidr)));
                }
                Ok(false)
            }
            Mechanism::Ptr(domain) => {
                let t = self.target_or_domain(domain.as_ref(), step).await?;
                let names = self.validated_names_traced(Some(step)).await?;
                let t = crate::dns::normalize(&t);
                let hit = names.iter().find(|n| **n == t || n.ends_with(&format!(".{t}")));
                step.note = Some(match hit {
                    Some(n) => format!("validated PTR name {n} is in {t}"),
                    None if names.is_empty() => "no validated PTR name".into(),
                    None => format!("validated names {} are outside {t}", names.join(", ")),
                });
                Ok(hit.is_some())
            }
            Mechanism::Exists(ms) => {
                let t = self.expand_target(ms).await.map_err(perm)?;
                step.target = Some(t.clone());
                if let Some(p) = crate::dns::invalid_name(&t) {
                    step.note = Some(format!("invalid name: {p}"));
                    return Ok(false);
                }
                // exists always asks for A, whatever the client's address family (§5.7).
                let a = self.resolver.query(&t, RType::A).await;
                step.queries.push(a.summary());
                if a.is_failure() {
                    return Err(temp(&a));
                }
                self.void(&a, step)?;
                Ok(a.outcome == Outcome::Records)
            }
            Mechanism::Include(ms) => {
                let t = self.expand_target(ms).await.map_err(perm)?;
                step.target = Some(t.clone());
                self.enter("include", &t, step)?;
                let nested = self.check(t.clone(), false, false).await;
                self.stack.pop();
                let res = nested.result;
                let reason = nested.reason.clone();
                if let Some(q) = &nested.txt_query {
                    step.queries.push(q.clone());
                }
                step.lookups = self.lookups;
                step.nested = Some(Box::new(nested));
                // §5.2: include result mapping.
                match res {
                    SpfResult::Pass => Ok(true),
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => Ok(false),
                    SpfResult::TempError => Err(Abort { result: SpfResult::TempError, reason: format!("include:{t}: {reason}") }),
                    SpfResult::PermError if self.loop_reason.as_ref() == Some(&reason) => Err(perm(reason)),
                    SpfResult::PermError => Err(perm(format!("include:{t}: {reason}"))),
                    SpfResult::None => Err(perm(format!("include:{t} has no SPF record ({reason}; §5.2: permerror)"))),
                }
            }
        }
    }

    /// §6.2: the explanation text, or None whenever anything about it is wrong.
    async fn explain(&mut self, ms: &parse::MacroString) -> Option<String> {
        let name = self.expand_target(ms).await.ok()?;
        if crate::dns::invalid_name(&name).is_some() {
            return None;
        }
        let a = self.resolver.query(&name, RType::Txt).await;
        let texts = a.txt_strings();
        if a.outcome != Outcome::Records || texts.len() != 1 {
            return None;
        }
        let text = &texts[0];
        if !text.is_ascii() {
            return None;
        }
        let es = parse::parse_macro_string(text, 0, true).ok()?;
        if es.letters().any(|l| l == 'p') {
            self.resolve_p().await;
        }
        macros::expand(&es, &self.data).ok()
    }
}

fn cidr_text(c: &DualCidr) -> String {
    match (c.v4, c.v6) {
        (None, None) => String::new(),
        (v4, v6) => format!(" (within /{} for IPv4, /{} for IPv6)", v4.unwrap_or(32), v6.unwrap_or(128)),
    }
}

fn addr_type(ip: IpAddr) -> RType {
    if ip.is_ipv4() { RType::A } else { RType::Aaaa }
}

fn in_net4(ip: Ipv4Addr, net: Ipv4Addr, prefix: u8) -> bool {
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix as u32) };
    (u32::from(ip) & mask) == (u32::from(net) & mask)
}

fn in_net6(ip: Ipv6Addr, net: Ipv6Addr, prefix: u8) -> bool {
    let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix as u32) };
    (u128::from(ip) & mask) == (u128::from(net) & mask)
}

fn in_cidr(ip: IpAddr, rec: IpAddr, cidr: &DualCidr) -> bool {
    match (ip, rec) {
        (IpAddr::V4(i), IpAddr::V4(r)) => in_net4(i, r, cidr.v4.unwrap_or(32)),
        (IpAddr::V6(i), IpAddr::V6(r)) => in_net6(i, r, cidr.v6.unwrap_or(128)),
        _ => false,
    }
}
