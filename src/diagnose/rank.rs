//! Reasoning: score every cause of the taxonomy from the rejection signature (what the
//! reply's codes and wording say) and the check results (findings that confirm or rule
//! it out), then rank. Each cause says why, with evidence for and against, whether it
//! could be checked, and which input would decide between close candidates.

use serde::Serialize;

use super::causes::{self, CauseDef, CAUSES};
use super::Context;
use crate::finding::{Finding, Fix, Severity};
use crate::reply::cause::Cause as Said;

/// How sure the ranking is about a cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The reply points at it and a check confirms it.
    Confirmed,
    /// A check shows the problem; the reply (if any) does not name it.
    Likely,
    /// Only the reply names it; mailsleuth cannot check it from here.
    Reported,
    /// The reply names it, but the check could not run (DNS failure, missing input).
    Unchecked,
    /// The reply names it, but the checks show otherwise (the receiver may see other
    /// DNS, or the rejected mail used another sender or IP).
    Contradicted,
}

/// A ranked probable cause.
#[derive(Debug, Clone, Serialize)]
pub struct Cause {
    pub rank: usize,
    /// Cause id from the taxonomy (docs/causes.md), or a finding id for a problem outside it.
    pub id: String,
    pub title: String,
    pub status: Status,
    pub score: i32,
    /// Evidence for.
    pub why: Vec<String>,
    /// Evidence against.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub against: Vec<String>,
    /// The finding that best shows it (its evidence chain and fix).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<Finding>,
    /// Other findings that support it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Finding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
    /// What to run or give next to settle it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl Cause {
    /// Error-level: a check shows a rejection-causing problem; a check confirms what a
    /// permanent rejection (5xx) says, whatever the check's own severity; or the reply
    /// names a sender-side cause.
    pub fn is_error(&self, reply: Option<&crate::reply::Reply>) -> bool {
        let error_check = self.finding.as_ref().is_some_and(|f| f.severity == Severity::Error);
        match self.status {
            Status::Confirmed => error_check || reply.is_some_and(|r| r.is_permanent()),
            Status::Likely => error_check,
            Status::Reported => self.id != "not-sender-problem",
            Status::Unchecked | Status::Contradicted => false,
        }
    }
}

const SAID_STRONG: i32 = 60;
const SAID_WEAK: i32 = 25;
const CONFIRMED_ERROR: i32 = 50;
const CONFIRMED_WARNING: i32 = 25;
const RULED_OUT: i32 = -70;
/// "Could not check" findings that are themselves evidence when DNS otherwise answers.
const TEMPORARY: &[&str] = &["spf.temperror", "spf.helo-temperror"];

/// What the reply says, as a category, with a reason to show.
fn reply_says(ctx: &Context) -> Option<(Said, String)> {
    let reply = ctx.reply.as_ref()?;
    let (said, rule) = crate::reply::explain::classify(reply);
    if said == Said::Unknown {
        return None;
    }
    let codes = [reply.code.map(|c| c.to_string()), reply.enhanced.map(|e| e.to_string())].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let by = rule.map(|r| format!(" [reply catalogue: {r}]")).unwrap_or_default();
    Some((said, format!("the reply ({codes}) says: {}{by}", said.summary())))
}

fn families(def: &CauseDef) -> Vec<&str> {
    let mut f: Vec<&str> = def.confirms.iter().map(|p| p.split('.').next().unwrap_or(p)).collect();
    f.sort();
    f.dedup();
    f
}

/// Does a finding that could not be checked leave this cause unchecked? When it comes from
/// the family the cause's checks belong to; a callout that did not run (or not through)
/// only leaves the callout's own cause unchecked, not every SMTP one.
fn blocks(def: &CauseDef, fams: &[&str], f: &Finding) -> bool {
    if f.id.starts_with("smtp.callout") {
        return def.confirms.iter().any(|p| p.starts_with("smtp.callout"));
    }
    fams.contains(&f.family())
}

/// Split findings into ranked causes, the rest, and what could not be checked.
pub fn rank(findings: Vec<Finding>, ctx: &Context) -> (Vec<Cause>, Vec<Finding>, Vec<Finding>) {
    let said = reply_says(ctx);
    let transient = ctx.reply.as_ref().is_some_and(|r| r.is_transient());
    let unchecked: Vec<Finding> = findings.iter().filter(|f| f.severity == Severity::Unknown).cloned().collect();
    // A temperror shows the domain's own DNS failing only while the resolver otherwise
    // answers (the sender domain was looked up); with no DNS at all it is only "could not check".
    let dns_answers = findings.iter().any(|f| f.family() == "domain" && f.severity != Severity::Unknown);
    let temporary_evidence = |f: &Finding| dns_answers && f.severity == Severity::Unknown && TEMPORARY.contains(&f.id.as_str());
    let mut consumed = vec![false; findings.len()];
    let mut out: Vec<(i32, usize, Cause)> = Vec::new();
    // Causes the reply names whose own checks ran and found nothing.
    let mut clean_ids: Vec<&'static str> = Vec::new();

    for (order, def) in CAUSES.iter().enumerate() {
        let mut score = 0;
        let mut why = Vec::new();
        let mut against = Vec::new();
        let mut said_it = false;
        let strong = said.as_ref().is_some_and(|(s, _)| def.said_strong.contains(s) || (transient && causes::said_strong_when_transient(def).contains(s)));
        if let Some((s, reason)) = &said {
            if strong {
                score += SAID_STRONG;
                said_it = true;
                why.push(reason.clone());
            } else if def.said_weak.contains(s) {
                score += SAID_WEAK;
                said_it = true;
                why.push(format!("{reason} (compatible with this cause)"));
            }
        }
        let confirming: Vec<usize> = findings
            .iter()
            .enumerate()
            .filter(|(_, f)| (f.severity >= Severity::Warning || temporary_evidence(f)) && def.confirms.iter().any(|p| causes::matches(p, &f.id)))
            .map(|(i, _)| i)
            .collect();
        let primary = confirming.iter().copied().max_by_key(|&i| (findings[i].severity, std::cmp::Reverse(i)));
        if let Some(p) = primary {
            let f = &findings[p];
            // A temperror weighs as a warning: receivers defer rather than refuse.
            score += if f.severity == Severity::Error { CONFIRMED_ERROR } else { CONFIRMED_WARNING };
            why.push(format!("check: {} [{}]", f.title, f.id));
        }
        // A check that rules it out weighs only when no check confirms it (a generic PTR
        // is still a problem when forward-confirmed rDNS passes).
        for f in findings.iter().filter(|f| def.rules_out.iter().any(|p| causes::matches(p, &f.id))) {
            if primary.is_none() {
                score += RULED_OUT;
            }
            against.push(format!("check: {} [{}]", f.title, f.id));
        }
        let fams = families(def);
        let blocked: Vec<&Finding> = unchecked.iter().filter(|f| blocks(def, &fams, f) && !confirming.iter().any(|&i| findings[i] == **f)).collect();
        if primary.is_none() && !said_it {
            continue;
        }
        // The checks that would confirm it ran and found nothing: a reply that only fits
        // loosely is dropped; one that names it is kept, weakened, with the contradiction shown.
        // Checks of its family that were not run (e.g. host.dnsbl-skipped: the PTR findings
        // of the host family are then no sign that the blocklists came back clean).
        let skipped = findings.iter().find(|f| f.id.ends_with("-skipped") && fams.contains(&f.family()));
        let checked_clean = primary.is_none()
            && blocked.is_empty()
            && if skipped.is_some() {
                findings.iter().any(|f| def.rules_out.iter().any(|p| causes::matches(p, &f.id)))
            } else {
                findings.iter().any(|f| f.severity != Severity::Unknown && def.confirms.iter().any(|p| p.split('.').next() == Some(f.family())))
            };
        if checked_clean {
            if !strong {
                continue;
            }
            score -= 30;
            against.push(format!("the {} checks found nothing that confirms it", fams.join("/")));
            clean_ids.push(def.id);
        }
        if score <= 0 && !(strong && !against.is_empty()) {
            continue;
        }
        let status = match (primary.is_some(), said_it) {
            _ if score <= 0 => Status::Contradicted,
            (true, true) => Status::Confirmed,
            (true, false) => Status::Likely,
            (false, _) if !blocked.is_empty() => Status::Unchecked,
            (false, _) => Status::Reported,
        };
        for f in &blocked {
            against.push(format!("could not check: {}", f.title));
        }
        let next = match status {
            // The inputs were there; an answer was not (a callout not run is another matter).
            Status::Unchecked if blocked.iter().all(|f| f.family() != "smtp") => {
                Some("could not check it: a DNS lookup failed (see Could not check); run again when it answers".to_string())
            }
            Status::Reported if skipped.is_some() => skipped.map(|f| format!("not checked here: {} (see {})", f.title, f.id)),
            Status::Reported | Status::Unchecked if !def.confirms.is_empty() => Some(format!("to check it, give {}", def.needs)),
            Status::Reported => Some(format!("mailsleuth cannot see this; look at {}", def.needs)),
            Status::Contradicted => Some(contradiction_hint(ctx)),
            _ => None,
        };
        for &i in &confirming {
            consumed[i] = true;
        }
        let finding = primary.map(|p| findings[p].clone());
        let related = confirming.iter().filter(|&&i| Some(i) != primary).map(|&i| findings[i].clone()).collect();
        let fix = match status {
            Status::Contradicted => None,
            _ => finding.as_ref().and_then(|f| f.fix.clone()).or_else(|| Some(Fix::setting(def.fix))),
        };
        out.push((score, order, Cause { rank: 0, id: def.id.to_string(), title: def.title.to_string(), status, score, why, against, finding, related, fix, next }));
    }

    // Problems outside the taxonomy still rank, on their own severity.
    for (i, f) in findings.iter().enumerate() {
        if consumed[i] || f.severity < Severity::Warning {
            continue;
        }
        consumed[i] = true;
        let score = if f.severity == Severity::Error { CONFIRMED_ERROR } else { CONFIRMED_WARNING } - 5;
        out.push((
            score,
            CAUSES.len() + i,
            Cause {
                rank: 0,
                id: f.id.clone(),
                title: f.title.clone(),
                status: Status::Likely,
                score,
                why: vec![format!("check: {} [{}]", f.title, f.id)],
                against: Vec::new(),
                finding: Some(f.clone()),
                related: Vec::new(),
                fix: f.fix.clone(),
                next: None,
            },
        ));
    }

    // When a check confirms what the reply says, a sibling cause that the reply fits just
    // as well but whose checks came back clean explains nothing more: leave it out.
    if out.iter().any(|(_, _, c)| c.status == Status::Confirmed) {
        out.retain(|(_, _, c)| !clean_ids.contains(&c.id.as_str()));
    }
    // A sender domain that does not exist has no SPF, DMARC or DKIM records either: those
    // findings follow from it and share its fix (register the domain or send from another),
    // so they rank as no cause of their own unless the reply names one; they stay listed.
    if findings.iter().any(|f| f.id == "domain.nxdomain") {
        out.retain(|(_, _, c)| {
            let follows = FOLLOWS_FROM_NXDOMAIN.contains(&c.id.as_str()) && c.status == Status::Likely;
            if follows {
                for (i, f) in findings.iter().enumerate() {
                    if c.finding.as_ref() == Some(f) || c.related.contains(f) {
                        consumed[i] = false;
                    }
                }
            }
            !follows
        });
    }
    out.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut ranked: Vec<Cause> = out.into_iter().map(|(_, _, c)| c).collect();
    for (i, c) in ranked.iter_mut().enumerate() {
        c.rank = i + 1;
    }
    decide_between(&mut ranked, ctx);
    let rest = findings.into_iter().enumerate().filter(|(i, f)| !consumed[*i] && f.severity != Severity::Unknown).map(|(_, f)| f).collect();
    (ranked, rest, unchecked)
}

/// Causes whose evidence is only the absence of records at the sender domain.
const FOLLOWS_FROM_NXDOMAIN: &[&str] = &["auth-missing", "dkim-fail", "dmarc-fail"];

/// The reply names a cause the checks here show otherwise: say what differs, honestly.
fn contradiction_hint(ctx: &Context) -> String {
    let sender = ctx.sender_domain().unwrap_or(&ctx.sender_raw);
    let what = match ctx.ip {
        Some(ip) => format!("{sender} with {ip} checks clean here"),
        None => format!("{sender} checks clean here"),
    };
    let from_reply = ctx.notes.iter().any(|n| n.contains("taken from the reply text"));
    let ip_note = if from_reply { " (the IP was read from the reply text)" } else { "" };
    format!(
        "{what}{ip_note}: the receiver probably evaluated another sending IP or envelope sender (a relay, a forwarder, the ESP's bounce address) or saw other DNS; the bounce (--bounce FILE), or the IP and MAIL FROM in the rejected message's Received and Return-Path headers, would decide"
    )
}

/// When the top two are close, say which input would decide between them.
fn decide_between(ranked: &mut [Cause], ctx: &Context) {
    if ranked.len() < 2 || ranked[0].score - ranked[1].score > 15 {
        return;
    }
    let mut missing = Vec::new();
    if ctx.reply.is_none() {
        missing.push("the rejection text (--reply) or the bounce (--bounce)");
    }
    if ctx.ip.is_none() {
        missing.push("the sending IP (--ip)");
    }
    if ctx.helo.is_none() && (ranked[0].id.starts_with("helo") || ranked[1].id.starts_with("helo")) {
        missing.push("the HELO name (--helo)");
    }
    let hint = if missing.is_empty() {
        format!("\"{}\" and \"{}\" are close; the fix of the first is the likelier one", ranked[0].id, ranked[1].id)
    } else {
        format!("\"{}\" and \"{}\" are close; {} would decide between them", ranked[0].id, ranked[1].id, missing.join(" and "))
    };
    if ranked[0].next.is_none() {
        ranked[0].next = Some(hint);
    }
}
