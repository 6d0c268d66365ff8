//! An in-memory table of DNS data: used to run conformance suites (whose zone data is
//! given as YAML/JSON) and to replay recorded evidence without a network.

use std::collections::HashMap;

use super::{normalize, Answer, Outcome, RType, Rec};

/// What a (name, type) holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaticEntry {
    Records(Vec<Rec>),
    /// Queries for this (name, type) fail this way (SERVFAIL, timeout, ...).
    Fail(Outcome),
}

/// Names and their records. A name present with no entry for a type answers NODATA;
/// an absent name answers NXDOMAIN. CNAMEs are followed (bounded).
#[derive(Debug, Default, Clone)]
pub struct StaticZone {
    names: HashMap<String, HashMap<RType, StaticEntry>>,
    /// Names whose every query fails this way.
    failing: HashMap<String, Outcome>,
}

const MAX_CNAME_CHAIN: usize = 8;

impl StaticZone {
    pub fn new() -> Self {
        Self::default()
    }

    /// Make the name exist (NODATA for every type not added).
    pub fn touch(&mut self, name: &str) {
        self.names.entry(normalize(name)).or_default();
    }

    pub fn add(&mut self, name: &str, rec: Rec) {
        let rtype = match &rec {
            Rec::A(_) => RType::A,
            Rec::Aaaa(_) => RType::Aaaa,
            Rec::Mx { .. } => RType::Mx,
            Rec::Txt(_) => RType::Txt,
            Rec::Ptr(_) => RType::Ptr,
            Rec::Cname(_) => RType::Cname,
            Rec::Ns(_) => RType::Ns,
            Rec::Soa { .. } => RType::Soa,
            Rec::Other(_) => return self.touch(name),
        };
        self.add_typed(name, rtype, rec);
    }

    /// Add a record under an explicit type (e.g. TXT data served as type SPF).
    pub fn add_typed(&mut self, name: &str, rtype: RType, rec: Rec) {
        let entry = self.names.entry(normalize(name)).or_default().entry(rtype).or_insert(StaticEntry::Records(Vec::new()));
        match entry {
            StaticEntry::Records(v) => v.push(rec),
            StaticEntry::Fail(_) => {}
        }
    }

    pub fn fail(&mut self, name: &str, rtype: RType, outcome: Outcome) {
        self.names.entry(normalize(name)).or_default().insert(rtype, StaticEntry::Fail(outcome));
    }

    pub fn fail_all(&mut self, name: &str, outcome: Outcome) {
        self.failing.insert(normalize(name), outcome);
    }

    pub fn has_type(&self, name: &str, rtype: RType) -> bool {
        self.names.get(&normalize(name)).is_some_and(|m| m.contains_key(&rtype))
    }

    pub fn query(&self, name: &str, rtype: RType) -> Answer {
        let server = "in-memory records";
        let mut cnames = Vec::new();
        let mut current = normalize(name);
        for _ in 0..=MAX_CNAME_CHAIN {
            if let Some(outcome) = self.failing.get(&current) {
                let mut a = Answer::failed(name, rtype, *outcome, format!("{outcome} configured for {current}"), server);
                a.cnames = cnames;
                return a;
            }
            let Some(types) = self.names.get(&current) else {
                return answer(name, rtype, Outcome::NxDomain, Vec::new(), cnames);
            };
            match types.get(&rtype) {
                Some(StaticEntry::Records(recs)) if !recs.is_empty() => {
                    return answer(name, rtype, Outcome::Records, recs.clone(), cnames);
                }
                Some(StaticEntry::Fail(outcome)) => {
                    let mut a = Answer::failed(name, rtype, *outcome, format!("{outcome} configured for {current}"), server);
                    a.cnames = cnames;
                    return a;
                }
                _ => {}
            }
            if rtype != RType::Cname {
                if let Some(StaticEntry::Records(recs)) = types.get(&RType::Cname) {
                    if let Some(Rec::Cname(target)) = recs.first() {
                        cnames.push((current.clone(), target.clone()));
                        current = normalize(target);
                        continue;
                    }
                }
            }
            return answer(name, rtype, Outcome::NoData, Vec::new(), cnames);
        }
        let mut a = Answer::failed(name, rtype, Outcome::Error, "CNAME chain too long or looping", server);
        a.cnames = cnames;
        a
    }
}

fn answer(name: &str, rtype: RType, outcome: Outcome, records: Vec<Rec>, cnames: Vec<(String, String)>) -> Answer {
    Answer::new(&normalize(name), rtype, outcome, records, cnames, Some(300), "in-memory records")
}
