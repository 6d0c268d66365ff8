//! Loading RFC 1035 zone files (one file, or every `*.zone` / `*.db` file in a folder).
//!
//! The origin comes from `$ORIGIN` in the file, else from the file name
//! (`shop.example.zone` serves `shop.example.`). A zone without an SOA gets a
//! synthetic one, so short hand-written zones are enough for a what-if.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hickory_proto::rr::rdata::SOA;
use hickory_proto::rr::{Name, RData, Record, RecordSet, RecordType, RrKey};
use hickory_proto::serialize::txt::Parser;

/// Zones never grow past this many bytes of text: a zone file is input, and input is bounded.
const MAX_ZONE_FILE_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ZoneError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: zone file is larger than 16 MiB")]
    TooLarge { path: PathBuf },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: no zone files (*.zone, *.db) in this folder")]
    Empty { path: PathBuf },
}

/// One parsed zone.
pub struct LoadedZone {
    pub origin: Name,
    pub records: BTreeMap<RrKey, RecordSet>,
    pub path: PathBuf,
}

impl LoadedZone {
    /// Lower-case origin without the trailing dot.
    pub fn apex(&self) -> String {
        super::normalize(&self.origin.to_ascii())
    }
}

/// Load a zone file or a folder of them (sorted by name, not recursive).
pub fn load_path(path: &Path) -> Result<Vec<LoadedZone>, ZoneError> {
    let meta = std::fs::metadata(path).map_err(|source| ZoneError::Read { path: path.to_path_buf(), source })?;
    if !meta.is_dir() {
        return Ok(vec![load_file(path)?]);
    }
    let entries = std::fs::read_dir(path).map_err(|source| ZoneError::Read { path: path.to_path_buf(), source })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("zone") | Some("db")))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(ZoneError::Empty { path: path.to_path_buf() });
    }
    files.iter().map(|f| load_file(f)).collect()
}

fn origin_from_file_name(path: &Path) -> Option<Name> {
    let stem = path.file_stem()?.to_str()?;
    let stem = if stem == "root" { "." } else { stem };
    Name::from_ascii(if stem.ends_with('.') { stem.to_string() } else { format!("{stem}.") }).ok()
}

pub fn load_file(path: &Path) -> Result<LoadedZone, ZoneError> {
    let read_err = |source| ZoneError::Read { path: path.to_path_buf(), source };
    let len = std::fs::metadata(path).map_err(read_err)?.len();
    if len > MAX_ZONE_FILE_BYTES {
        return Err(ZoneError::TooLarge { path: path.to_path_buf() });
    }
    let text = std::fs::read_to_string(path).map_err(|source| ZoneError::Read { path: path.to_path_buf(), source })?;
    parse_zone(&text, path)
}

/// Parse zone text; `path` names the zone in errors and gives the default origin.
pub fn parse_zone(text: &str, path: &Path) -> Result<LoadedZone, ZoneError> {
    let parse_err = |message: String| ZoneError::Parse { path: path.to_path_buf(), message };
    let origin = origin_from_file_name(path);
    // hickory's parser does not reject include directives; a zone must not read other files.
    if text.lines().any(|l| l.trim_start().to_ascii_uppercase().starts_with("$INCLUDE")) {
        return Err(parse_err("$INCLUDE is not supported".into()));
    }
    super::zonetext::check_string_lengths(text).map_err(parse_err)?;
    let (text, ds_lines) = super::zonefile_ds::extract(text).map_err(parse_err)?;
    let text = super::zonetext::rewrite_type99(&text);
    let parser = Parser::new(text, Some(path.to_path_buf()), origin);
    let (origin, mut records) = parser.parse().map_err(|e| parse_err(e.to_string()))?;
    split_type99(&mut records);
    for ds in &ds_lines {
        let rec = ds.record(&origin, 300).map_err(parse_err)?;
        let key = RrKey::new(rec.name.clone().into(), RecordType::DS);
        records.entry(key).or_insert_with(|| RecordSet::new(rec.name.clone(), RecordType::DS, 1)).insert(rec, 1);
    }
    let soa_key = RrKey::new(origin.clone().into(), RecordType::SOA);
    if !records.contains_key(&soa_key) {
        let mname = Name::from_ascii("ns").ok().and_then(|n| n.append_domain(&origin).ok()).unwrap_or_else(Name::root);
        let rname = Name::from_ascii("hostmaster").ok().and_then(|n| n.append_domain(&origin).ok()).unwrap_or_else(Name::root);
        let soa = SOA::new(mname, rname, 1, 3600, 600, 86400, 300);
        let mut set = RecordSet::new(origin.clone(), RecordType::SOA, 1);
        set.insert(Record::from_rdata(origin.clone(), 300, RData::SOA(soa)), 1);
        records.insert(soa_key, set);
    }
    Ok(LoadedZone { origin, records, path: path.to_path_buf() })
}

/// Marked TXT records (see [`super::zonetext`]) become SPF-type (99) records, whose
/// wire format is TXT's.
fn split_type99(records: &mut BTreeMap<RrKey, RecordSet>) {
    use super::zonetext::TYPE99_MARK;
    let spf = RecordType::Unknown(99);
    let keys: Vec<RrKey> = records.keys().filter(|k| k.record_type == RecordType::TXT).cloned().collect();
    for key in keys {
        let Some(set) = records.get(&key) else { continue };
        let marked = |r: &Record| matches!(&r.data, RData::TXT(t) if t.txt_data.first().is_some_and(|s| &**s == TYPE99_MARK));
        if !set.records_without_rrsigs().any(marked) {
            continue;
        }
        let name = set.name().clone();
        let (mut txt, mut t99) = (RecordSet::new(name.clone(), RecordType::TXT, 1), RecordSet::new(name.clone(), spf, 1));
        for r in set.records_without_rrsigs() {
            match &r.data {
                RData::TXT(t) if marked(r) => {
                    let wire: Vec<u8> = t.txt_data[1..].iter().flat_map(|s| std::iter::once(s.len() as u8).chain(s.iter().copied())).collect();
                    let rdata = RData::Unknown { code: spf, rdata: hickory_proto::rr::rdata::NULL::with(wire) };
                    t99.insert(Record::from_rdata(name.clone(), r.ttl, rdata), 1);
                }
                _ => {
                    txt.insert(r.clone(), 1);
                }
            }
        }
        if txt.is_empty() {
            records.remove(&key);
        } else {
            records.insert(key.clone(), txt);
        }
        let k99 = RrKey::new(key.name.clone(), spf);
        match records.get_mut(&k99) {
            Some(existing) => {
                for r in t99.records_without_rrsigs() {
                    existing.insert(r.clone(), 1);
                }
            }
            None => {
                records.insert(k99, t99);
            }
        }
    }
}
