//! DKIM: key records, signature verification (through mail-auth), selectors.
//! (Issue #4; this module owns its parser(s), evaluator(s) and CLI command.)
//!
//! * [`key`]: key record parser and lint (pure).
//! * [`selectors`]: fetch and lint `S._domainkey.D`, common provider selectors.
//! * [`verify`]: a message's signatures, verified by mail-auth with keys we fetched.

pub mod cli;
pub mod conformance;
pub mod key;
pub mod selectors;
pub mod verify;

use crate::diagnose::Context;
use crate::finding::{Finding, Severity};

/// Findings for the selectors of one domain. `given`: selectors known to be in use
/// (their absence is an error); without them the common selectors are tried and only
/// what is found is reported, plus one line listing what was tried.
pub async fn inspect_domain(resolver: &crate::dns::Resolver, domain: &str, given: &[String]) -> (Vec<selectors::SelectorCheck>, Vec<Finding>) {
    inspect_selectors(resolver, domain, given, given.is_empty()).await
}

/// `named`: selectors known to be in use (`--selector`, a message's `s=`), checked as
/// such; with `common`, the common provider selectors are tried too (concurrently, in
/// one batch) and reported as guesses, with the list of everything tried.
pub async fn inspect_selectors(
    resolver: &crate::dns::Resolver,
    domain: &str,
    named: &[String],
    common: bool,
) -> (Vec<selectors::SelectorCheck>, Vec<Finding>) {
    let named: Vec<String> = named.iter().map(|s| s.trim().to_ascii_lowercase()).collect();
    let cands = if common { selectors::named_plus_common(&named) } else { named.clone() };
    let checks = selectors::probe(resolver, domain, &cands).await;
    let mut out = Vec::new();
    for c in &checks {
        // Guessed selectors that do not exist say nothing; failures and findings do.
        out.extend(selectors::findings(c, named.contains(&c.selector)));
    }
    if common {
        let found: Vec<&str> = checks.iter().filter(|c| c.found()).map(|c| c.selector.as_str()).collect();
        let failed = checks.iter().filter(|c| c.outcome.is_failure()).count();
        let tried = cands.join(", ");
        let n = cands.len();
        let f = if found.is_empty() && failed == n {
            // Nothing answered: that is "could not check", never "no key".
            Finding::new("dkim.selectors-unchecked", Severity::Unknown, format!("Could not check DKIM keys for {domain}: all {n} selector lookups failed"))
        } else if found.is_empty() {
            let at = if failed > 0 { format!("{} of {n} common selectors ({failed} could not be checked)", n - failed) } else { format!("{n} common selectors") };
            Finding::new(
                "dkim.no-common-selector",
                Severity::Info,
                format!("No DKIM key found for {domain} at {at} (the real selector is in your messages' DKIM-Signature s= tag)"),
            )
        } else {
            Finding::new("dkim.selectors-found", Severity::Info, format!("DKIM keys for {domain} at selector(s): {}", found.join(", ")))
        };
        let mut f = f.evidence(format!("tried: {tried}")).subject(domain.to_string());
        if failed > 0 {
            f = f.evidence(format!("{failed} lookups failed (see the unknown findings)"));
        }
        out.push(f);
    }
    (checks, out)
}

/// The findings this module contributes to `mailsleuth diagnose`.
pub async fn diagnose(ctx: &Context) -> Vec<Finding> {
    let mut jobs: Vec<(String, Vec<String>)> = Vec::new();
    for (d, s) in &ctx.dkim_selectors {
        let d = crate::dns::normalize(d);
        match jobs.iter_mut().find(|(x, _)| *x == d) {
            Some((_, v)) => v.push(s.clone()),
            None => jobs.push((d, vec![s.clone()])),
        }
    }
    let mut guess: Vec<String> = ctx.dkim_domains.iter().map(|d| crate::dns::normalize(d)).collect();
    if jobs.is_empty() && guess.is_empty() {
        if let Some(d) = ctx.sender_domain() {
            guess.push(crate::dns::normalize(d));
        }
    }
    for d in guess {
        if !jobs.iter().any(|(x, _)| *x == d) {
            jobs.push((d, Vec::new()));
        }
    }
    let results = futures::future::join_all(jobs.iter().map(|(d, s)| inspect_domain(&ctx.resolver, d, s))).await;
    results.into_iter().flat_map(|(_, f)| f).collect()
}
