//! Loading RFC 1035 zone files (one file, or every `*.zone` / `*.db` file in a folder).
//!
//! The origin comes from `$ORIGIN` in the file, else from the file name
//! (`shop.example.zone` serves `shop.example.`). A zone without an SOA gets a
//! synthetic one, so short hand-written zones are enough for a what-if.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hickory_proto::rr::rdata::SOA;
use hickory_proto::rr::{Name, RData, Record, RecordSet, RecordType, RrKey};
use hickory_proto::serialize::txt::{ParseError, Parser};

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
    #[error("{path}: no zone in it (the file is empty or holds only comments)")]
    NoZone { path: PathBuf },
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
    use std::io::Read;
    let read_err = |source| ZoneError::Read { path: path.to_path_buf(), source };
    // Bounded however the file reports its size (a device such as /dev/zero says 0).
    let mut raw = Vec::new();
    std::fs::File::open(path).and_then(|f| f.take(MAX_ZONE_FILE_BYTES + 1).read_to_end(&mut raw)).map_err(read_err)?;
    if raw.len() as u64 > MAX_ZONE_FILE_BYTES {
        return Err(ZoneError::TooLarge { path: path.to_path_buf() });
    }
    let text = String::from_utf8(raw)
        .map_err(|_| ZoneError::Parse { path: path.to_path_buf(), message: "not a zone file (not UTF-8 text)".into() })?;
    if !text.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with(';')) {
        return Err(ZoneError::NoZone { path: path.to_path_buf() });
    }
    parse_zone(&text, path)
}

/// One entry of zone text: a line, or several joined by parentheses or a quoted string.
/// (u32: zone text is at most 16 MiB, and the list stays small beside it.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    /// 1-based line where it starts.
    line: u32,
    /// Byte offsets: where it starts, and just past its line end.
    start: u32,
    end: u32,
}

/// Split zone text into entries, as hickory's lexer sees them: a line end inside
/// parentheses or quotes does not end an entry; `;` starts a comment outside quotes.
/// Blank and comment-only lines are left out (they cannot fail).
fn entries(text: &str) -> Vec<Entry> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut line, mut start, mut start_line) = (1usize, 0usize, 1usize);
    let (mut depth, mut quoted, mut comment, mut content) = (0usize, false, false, false);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line += 1;
            comment = false;
            if depth == 0 && !quoted {
                if content {
                    out.push(Entry { line: start_line as u32, start: start as u32, end: i as u32 + 1 });
                }
                (start, start_line, content) = (i + 1, line, false);
            }
        } else if comment {
        } else if quoted {
            match c {
                b'"' => quoted = false,
                b'\\' if b.get(i + 1) != Some(&b'\n') => i += 1,
                _ => {}
            }
        } else {
            match c {
                b';' => comment = true,
                b'"' => quoted = true,
                b'(' => depth += 1,
                b')' => depth = depth.saturating_sub(1),
                b'\\' if b.get(i + 1) != Some(&b'\n') => i += 1,
                _ => {}
            }
            content |= !c.is_ascii_whitespace() && c != b';';
        }
        i += 1;
    }
    if start < b.len() && content {
        out.push(Entry { line: start_line as u32, start: start as u32, end: b.len() as u32 });
    }
    out
}

/// Parse zone text; `path` names the zone in errors and gives the default origin.
pub fn parse_zone(text: &str, path: &Path) -> Result<LoadedZone, ZoneError> {
    let parse_err = |message: String| ZoneError::Parse { path: path.to_path_buf(), message };
    let origin = origin_from_file_name(path);
    // hickory's parser does not reject include directives; a zone must not read other files.
    if let Some(n) = text.lines().position(|l| l.trim_start().to_ascii_uppercase().starts_with("$INCLUDE")) {
        return Err(parse_err(format!("line {}: $INCLUDE is not supported", n + 1)));
    }
    let original = text;
    super::zonetext::check_string_lengths(text).map_err(parse_err)?;
    let (text, ds_lines) = super::zonefile_ds::extract(text).map_err(parse_err)?;
    let text = super::zonetext::rewrite_type99(&text);
    let parser = Parser::new(text.as_ref(), Some(path.to_path_buf()), origin.clone());
    let (origin, mut records) = match parser.parse() {
        Ok(parsed) => parsed,
        Err(e) => return Err(parse_err(located(original, &text, path, origin, &e))),
    };
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
    cname_alone(&records).map_err(parse_err)?;
    Ok(LoadedZone { origin, records, path: path.to_path_buf() })
}

/// A CNAME must be the only record at its name (RFC 1034 §3.6.2); the server would refuse
/// the zone with a message that does not say why. Keys are ordered by name first, so each
/// name's types are adjacent: one pass.
fn cname_alone(records: &BTreeMap<RrKey, RecordSet>) -> Result<(), String> {
    let keys: Vec<&RrKey> = records.keys().collect();
    for group in keys.chunk_by(|a, b| a.name == b.name) {
        if group.len() < 2 || !group.iter().any(|k| k.record_type == RecordType::CNAME) {
            continue;
        }
        let others: Vec<String> = group
            .iter()
            .filter(|k| k.record_type != RecordType::CNAME)
            .map(|k| if k.record_type == RecordType::Unknown(99) { "SPF".to_string() } else { k.record_type.to_string() })
            .collect();
        return Err(format!(
            "{} has a CNAME and other records ({}): a CNAME must be alone at its name (RFC 1034 §3.6.2)",
            super::normalize(&group[0].name.to_string()),
            others.join(", ")
        ));
    }
    Ok(())
}

/// hickory's message for a parse error, without its wrapping ("proto error: ") and the
/// opaque IDNA detail (": Err(Errors)").
fn parse_message(e: &ParseError) -> String {
    let m = match e {
        ParseError::Proto(p) => p.to_string(),
        ParseError::Message("$ORIGIN was not specified") => {
            return "no $ORIGIN, and the file name does not name a zone (write $ORIGIN or name the file ORIGIN.zone)".into();
        }
        other => other.to_string(),
    };
    m.strip_suffix(": Err(Errors)").map(str::to_string).unwrap_or(m)
}

/// hickory's parse errors carry no position, so the failing entry is found by parsing
/// again. The parser reads entries in order, so entry `k` is the failing one exactly when
/// the prefix ending just before it parses and the prefix ending with it does not: a
/// candidate is checked with those two parses. The candidate comes from parsing the text
/// in chunks of entries, each after the `$ORIGIN` and `$TTL` in effect (one more pass
/// over the text); when a chunk lacks context it needs (an owner or TTL carried from an
/// earlier record, the SOA already seen) the check fails and prefixes are searched
/// instead (doubling, then bisecting). Error path only. `text` is what was parsed (line
/// for line the same as `original`, which gives the line shown).
fn located(original: &str, text: &str, path: &Path, origin: Option<Name>, e: &ParseError) -> String {
    let message = parse_message(e);
    let parse = |t: &str| Parser::new(t, Some(path.to_path_buf()), origin.clone()).parse().is_ok();
    let all = entries(text);
    // Prefix of the first `k` entries.
    let parses = |k: usize| parse(&text[..if k == 0 { 0 } else { all[k - 1].end as usize }]);
    // No entry to blame when even nothing fails (no origin at all).
    if all.is_empty() || !parses(0) {
        return message;
    }
    let failing = |k: usize| parses(k) && !parses(k + 1);
    let bad = match chunk_candidate(text, &all, &parse) {
        Some(k) if failing(k) => k,
        _ => {
            // Smallest failing prefix: double until one fails, then bisect.
            let (mut ok, mut bad) = (0usize, 1usize);
            while bad < all.len() && parses(bad) {
                (ok, bad) = (bad, (bad * 2).min(all.len()));
            }
            while bad - ok > 1 {
                let mid = (ok + bad) / 2;
                if parses(mid) {
                    ok = mid;
                } else {
                    bad = mid;
                }
            }
            bad - 1
        }
    };
    let bad = bad + 1;
    let entry = all[bad - 1];
    let shown = original.lines().nth(entry.line as usize - 1).unwrap_or("").trim();
    let shown: String = if shown.chars().count() > 60 { shown.chars().take(57).collect::<String>() + "..." } else { shown.to_string() };
    let first = bad == 1;
    let named_as_zone = matches!(path.extension().and_then(|x| x.to_str()), Some("zone") | Some("db"));
    if first && !named_as_zone {
        // The very first entry of a file not named as a zone: most likely not a zone file.
        format!("not a zone file: line {} {shown:?}: {message}", entry.line)
    } else {
        format!("line {} {shown:?}: {message}", entry.line)
    }
}

/// Which entry probably fails: the text is parsed in chunks of at least `CHUNK` entries,
/// each starting at an entry with its own owner and preceded by the `$ORIGIN` and `$TTL`
/// lines in effect (`$TTL 86400` when there is none); in the first chunk that fails, the
/// same with fewer entries.
fn chunk_candidate(text: &str, all: &[Entry], parse: &dyn Fn(&str) -> bool) -> Option<usize> {
    const CHUNK: usize = 64;
    let (mut origin_line, mut ttl_line) = ("", "$TTL 86400");
    let mut k = 0;
    while k < all.len() {
        let header = format!("{origin_line}\n{ttl_line}\n");
        let mut end = (k + CHUNK).min(all.len());
        while end < all.len() && text[all[end].start as usize..].starts_with([' ', '\t']) {
            end += 1;
        }
        let from = all[k].start as usize;
        let chunk = |upto: usize| format!("{header}{}", if upto == k { "" } else { &text[from..all[upto - 1].end as usize] });
        if !parse(&chunk(end)) {
            // The header alone parses (its lines did before): bisect for the first failing prefix.
            let (mut ok, mut bad) = (k, end);
            while bad - ok > 1 {
                let mid = (ok + bad) / 2;
                if parse(&chunk(mid)) {
                    ok = mid;
                } else {
                    bad = mid;
                }
            }
            return Some(bad - 1);
        }
        for j in k..end {
            let line = text[all[j].start as usize..all[j].end as usize].trim_end();
            let upper = line.get(..7).unwrap_or(line).to_ascii_uppercase();
            if upper.starts_with("$ORIGIN") {
                origin_line = line;
            } else if upper.starts_with("$TTL") {
                ttl_line = line;
            }
        }
        k = end;
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str, file: &str) -> String {
        match parse_zone(text, Path::new(file)) {
            Ok(_) => panic!("{file} parsed"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn entries_span_parentheses_and_quotes() {
        let text = "; head\n@ SOA ns hm (\n 1 2 3 ; a ( comment\n 4 5 )\nt TXT \"a\nb\" \"c;d\"\nx A 192.0.2.1";
        let e = entries(text);
        assert_eq!(e.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 5, 7]);
        assert_eq!(e[2].end as usize, text.len());
        assert_eq!(&text[e[1].start as usize..e[1].end as usize], "t TXT \"a\nb\" \"c;d\"\n");
        assert_eq!(&text[e[0].start as usize..e[0].start as usize + 5], "@ SOA");
    }

    #[test]
    fn parse_errors_name_the_line_where_the_entry_starts() {
        let soa = "$TTL 300\n@ IN SOA ns hostmaster (\n  1 3600 600\n  86400 300 )\n";
        // A broken record after a multi-line one.
        assert_eq!(error(&format!("{soa}www IN A 192.0.2.300\n"), "x.example.zone"), "x.example.zone: line 5 \"www IN A 192.0.2.300\": network address parse error: invalid IPv4 address syntax");
        // A broken multi-line record: its first line.
        assert_eq!(error(&soa.replace("$TTL 300\n", "$TTL 300\n@ IN A 192.0.2.1\n").replace("86400 300", "86400 x"), "x.example.zone"), "x.example.zone: line 3 \"@ IN SOA ns hostmaster (\": invalid time string: x");
        // The line shown is the one written, not the rewritten SPF line.
        assert_eq!(error("$TTL 300\na IN SPF \"v=spf1\"\nb IN MX 10\n", "x.example.zone"), "x.example.zone: line 3 \"b IN MX 10\": token is missing: exchange");
        // Long lines are cut.
        let long = format!("a IN MX 10 {}", "x".repeat(80));
        let e = error(&format!("{long} y\n"), "x.example.zone");
        assert!(e.starts_with(&format!("x.example.zone: line 1 \"{}...\": ", &long[..57])), "{e}");
    }

    #[test]
    fn lines_deep_in_long_zones() {
        let records = |n: usize| (0..n).map(|i| format!("h{i} IN A 192.0.2.{}\n", i % 250)).collect::<String>();
        // Found by the chunked pass, after the $ORIGIN and $TTL in effect.
        let text = format!("$TTL 300\n$ORIGIN x.example.\n{}bad IN MX\n{}", records(150), records(100));
        assert_eq!(error(&text, "x.example.zone"), "x.example.zone: line 153 \"bad IN MX\": token is missing: preference");
        // A second SOA is only seen with the whole prefix (the search over prefixes).
        let soa = "@ 300 IN SOA ns hostmaster 1 3600 600 86400 300\n";
        let text = format!("{soa}{}{soa}{}", records(150), records(10));
        assert_eq!(error(&text, "x.example.zone"), format!("x.example.zone: line 152 {:?}: SOA is already specified", soa.trim()));
        // Records without an owner continue the one before, across chunk boundaries; the
        // TTL is carried from the first record.
        let text = format!("www 300 IN A 192.0.2.1\n{}  IN MX 10 mx\n  IN MX\n", "  IN A 192.0.2.2\n".repeat(140));
        assert_eq!(error(&text, "x.example.zone"), "x.example.zone: line 143 \"IN MX\": token is missing: preference");
    }

    #[test]
    fn a_first_line_that_is_not_zone_text() {
        assert_eq!(error("\n[section]\nkey = 1\n", "settings.ini"), "settings.ini: not a zone file: line 2 \"[section]\": Label contains invalid characters");
        // A file named as a zone is a zone with a broken line.
        assert_eq!(error("[section]\n", "x.example.zone"), "x.example.zone: line 1 \"[section]\": Label contains invalid characters");
        // The file name gives no origin and there is no $ORIGIN: no line to blame.
        assert_eq!(error("www.x.example. 300 IN A 192.0.2.1\n", "a..b.zone"), "a..b.zone: no $ORIGIN, and the file name does not name a zone (write $ORIGIN or name the file ORIGIN.zone)");
        assert_eq!(error("@ IN A 192.0.2.1\n$include /etc/passwd\n", "x.example.zone"), "x.example.zone: line 2: $INCLUDE is not supported");
    }

    #[test]
    fn a_cname_beside_other_records_is_named() {
        let e = error("$TTL 300\nwww IN CNAME y.example.\nwww IN A 192.0.2.1\nwww IN MX 10 mx\n", "x.example.zone");
        assert_eq!(e, "x.example.zone: www.x.example has a CNAME and other records (A, MX): a CNAME must be alone at its name (RFC 1034 §3.6.2)");
        // At the apex it meets the SOA (added when missing).
        let e = error("$TTL 300\n@ IN CNAME y.example.\n", "x.example.zone");
        assert_eq!(e, "x.example.zone: x.example has a CNAME and other records (SOA): a CNAME must be alone at its name (RFC 1034 §3.6.2)");
        assert!(parse_zone("$TTL 300\nwww IN CNAME y.example.\nmail IN A 192.0.2.1\n", Path::new("x.example.zone")).is_ok());
    }

    #[test]
    fn empty_and_oversized_files() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("x.example.zone");
        std::fs::write(&empty, "  \n; only a comment\n").unwrap();
        assert!(matches!(load_file(&empty), Err(ZoneError::NoZone { .. })));
        std::fs::write(&empty, "$ORIGIN x.example.\n").unwrap();
        assert!(load_file(&empty).is_ok(), "a declared origin is a zone (the SOA is added)");
        std::fs::write(&empty, [0xff, 0xfe, b'\n']).unwrap();
        assert_eq!(load_file(&empty).err().map(|e| e.to_string()), Some(format!("{}: not a zone file (not UTF-8 text)", empty.display())));
        assert!(matches!(load_file(Path::new("/dev/zero")), Err(ZoneError::TooLarge { .. })));
    }
}
