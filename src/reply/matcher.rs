//! A fast ordered matcher for pattern catalogues: "which is the first pattern, in table
//! order, that matches this text?" Each pattern is split at its top-level `|`; every
//! branch that is plain words (with `(?:a|b)` groups and `?` optionals) is expanded into
//! literal phrases searched by one ASCII case-insensitive Aho-Corasick automaton, built in
//! microseconds. Only the branches that need a real regex (`.*?`, `\b`, classes) are
//! compiled, per pattern and on first use. Compiling ~40 alternation-heavy regexes costs
//! tens of milliseconds; `explain` must answer in less than 20.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::{Regex, RegexBuilder};

/// At most this many phrases from one branch (beyond, the branch stays a regex).
const MAX_EXPANSION: usize = 64;

pub struct Matcher {
    ac: AhoCorasick,
    /// Pattern index of each literal phrase.
    owner: Vec<usize>,
    /// The regex part of each pattern (branches that are not plain words), if any.
    rest: Vec<Option<String>>,
    compiled: Vec<OnceLock<Regex>>,
}

impl Matcher {
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Matcher {
        let mut phrases = Vec::new();
        let mut owner = Vec::new();
        let mut rest = Vec::new();
        for (i, p) in patterns.into_iter().enumerate() {
            let mut regex_branches = Vec::new();
            for branch in split_top(p) {
                match expand(branch) {
                    Some(list) => {
                        for l in list {
                            phrases.push(l);
                            owner.push(i);
                        }
                    }
                    None => regex_branches.push(branch.to_string()),
                }
            }
            rest.push((!regex_branches.is_empty()).then(|| regex_branches.join("|")));
        }
        let ac = AhoCorasickBuilder::new().ascii_case_insensitive(true).match_kind(MatchKind::Standard).build(&phrases).expect("phrases build");
        let compiled = rest.iter().map(|_| OnceLock::new()).collect();
        Matcher { ac, owner, rest, compiled }
    }

    /// Indices of the patterns whose literal phrases occur in `text` (a bitmap).
    fn literal_hits(&self, text: &[u8]) -> Vec<bool> {
        let mut hit = vec![false; self.rest.len()];
        for m in self.ac.find_overlapping_iter(text) {
            hit[self.owner[m.pattern().as_usize()]] = true;
        }
        hit
    }

    fn regex(&self, i: usize) -> Option<&Regex> {
        let src = self.rest[i].as_deref()?;
        Some(self.compiled[i].get_or_init(|| {
            RegexBuilder::new(src).case_insensitive(true).unicode(false).build().expect("catalogue pattern compiles")
        }))
    }

    /// The first pattern (in table order) that matches and that `accept` allows.
    pub fn first(&self, text: &str, accept: impl Fn(usize) -> bool) -> Option<usize> {
        let bytes = text.as_bytes();
        let hit = self.literal_hits(bytes);
        (0..self.rest.len()).find(|&i| accept(i) && (hit[i] || self.regex(i).is_some_and(|r| r.is_match(bytes))))
    }

    /// Compile every regex part now (tests, benchmarks).
    pub fn warm_up(&self) {
        for i in 0..self.rest.len() {
            let _ = self.regex(i);
        }
    }
}

/// Split at `|` outside parentheses and brackets.
fn split_top(p: &str) -> Vec<&str> {
    let (mut depth, mut in_class, mut esc, mut start) = (0i32, false, false, 0);
    let mut out = Vec::new();
    for (i, c) in p.char_indices() {
        if esc {
            esc = false;
            continue;
        }
        match c {
            '\\' => esc = true,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => depth -= 1,
            '|' if depth == 0 && !in_class => {
                out.push(&p[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&p[start..]);
    out
}

/// Expand a branch of plain words into its phrases, or None when it needs a regex.
pub fn expand(branch: &str) -> Option<Vec<String>> {
    let chars: Vec<char> = branch.chars().collect();
    let (list, end) = seq(&chars, 0)?;
    (end == chars.len() && list.iter().all(|s| !s.is_empty())).then_some(list)
}

/// A sequence up to `|`, `)` or the end: (phrases, index after).
fn seq(c: &[char], mut i: usize) -> Option<(Vec<String>, usize)> {
    let mut acc = vec![String::new()];
    while i < c.len() && c[i] != '|' && c[i] != ')' {
        let (alts, next): (Vec<String>, usize) = match c[i] {
            '(' => {
                if c.get(i + 1) != Some(&'?') || c.get(i + 2) != Some(&':') {
                    return None;
                }
                let mut j = i + 3;
                let mut alts = Vec::new();
                loop {
                    let (l, k) = seq(c, j)?;
                    alts.extend(l);
                    match c.get(k) {
                        Some('|') => j = k + 1,
                        Some(')') => break (alts, k + 1),
                        _ => return None,
                    }
                }
            }
            '\\' => match c.get(i + 1) {
                Some(&e) if ".[]()-'/?*+{}|$^".contains(e) => (vec![e.to_string()], i + 2),
                _ => return None,
            },
            ch if ".*+[]{}^$".contains(ch) => return None,
            '?' => return None,
            ch => (vec![ch.to_string()], i + 1),
        };
        // An optional item: `x?` or `(?:...)?`.
        let (alts, next) = if c.get(next) == Some(&'?') {
            let mut a = alts;
            a.push(String::new());
            (a, next + 1)
        } else {
            (alts, next)
        };
        if c.get(next).is_some_and(|&n| n == '*' || n == '+' || n == '{') {
            return None;
        }
        let mut grown = Vec::with_capacity(acc.len() * alts.len());
        for a in &acc {
            for b in &alts {
                grown.push(format!("{a}{b}"));
            }
        }
        if grown.len() > MAX_EXPANSION {
            return None;
        }
        acc = grown;
        i = next;
    }
    Some((acc, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion() {
        let mut v = expand("relay(?:ing)? (?:access )?denied").unwrap();
        v.sort();
        assert_eq!(v, vec!["relay access denied", "relay denied", "relaying access denied", "relaying denied"]);
        assert_eq!(expand("sender'?s? domain").unwrap().len(), 4);
        assert_eq!(expand(r"5\.7\.54").unwrap(), vec!["5.7.54"]);
        assert!(expand(r"\bspf\b").is_none());
        assert!(expand("domain .*?not found").is_none());
        assert_eq!(split_top("a|(?:b|c)|[|]"), vec!["a", "(?:b|c)", "[|]"]);
    }

    #[test]
    fn first_in_order_mixing_literals_and_regex() {
        let m = Matcher::new(["zzz|\\bspf\\b", "user unknown", "spf"]);
        assert_eq!(m.first("SPF check", |_| true), Some(0));
        assert_eq!(m.first("nospf here", |_| true), Some(2));
        assert_eq!(m.first("550 User Unknown", |_| true), Some(1));
        assert_eq!(m.first("SPF", |i| i != 0), Some(2));
        assert_eq!(m.first("nothing", |_| true), None);
    }
}
