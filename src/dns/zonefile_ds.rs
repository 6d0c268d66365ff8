//! DS records in zone files. hickory's zone parser reads DS only with its DNSSEC
//! features (which this project does not build), so `parse_zone` takes DS lines out
//! first and they are added as DS-typed records with raw RFC 4034 §5.1 wire data: the
//! embedded server then answers DS queries at a delegation point like a signed parent.
//! Form (one line, owner written out): `owner [TTL] [IN] DS key-tag algorithm digest-type hex`.

use hickory_proto::rr::rdata::NULL;
use hickory_proto::rr::{Name, RData, Record, RecordType};

#[derive(Debug)]
pub struct DsLine {
    pub line: usize,
    owner: String,
    ttl: Option<u32>,
    wire: Vec<u8>,
}

/// Is this line a DS record? Some(Ok) with its data, Some(Err) when malformed.
fn parse_line(text: &str) -> Option<Result<(String, Option<u32>, Vec<u8>), String>> {
    let body = text.split(';').next().unwrap_or("");
    if body.starts_with(char::is_whitespace) {
        return None;
    }
    let tokens: Vec<&str> = body.split_whitespace().collect();
    let at = tokens.iter().take(4).position(|t| t.eq_ignore_ascii_case("DS"))?;
    if at == 0 {
        return None;
    }
    let mut ttl = None;
    for t in &tokens[1..at] {
        if let Ok(n) = t.parse::<u32>() {
            ttl = Some(n);
        } else if !t.eq_ignore_ascii_case("IN") {
            return None;
        }
    }
    let f = &tokens[at + 1..];
    if f.len() < 4 || body.contains('(') {
        return Some(Err("a DS record needs key tag, algorithm, digest type and digest on one line".into()));
    }
    let (Ok(tag), Ok(alg), Ok(dt)) = (f[0].parse::<u16>(), f[1].parse::<u8>(), f[2].parse::<u8>()) else {
        return Some(Err(format!("bad DS fields: {}", f[..3].join(" "))));
    };
    let hex: String = f[3..].concat();
    if hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(Err("the DS digest is not hexadecimal".into()));
    }
    let mut wire = tag.to_be_bytes().to_vec();
    wire.extend([alg, dt]);
    wire.extend((0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0)));
    Some(Ok((tokens[0].to_string(), ttl, wire)))
}

/// Take the DS lines out of `text` (blanked, so line numbers stay right).
pub fn extract(text: &str) -> Result<(String, Vec<DsLine>), String> {
    let mut out = String::with_capacity(text.len());
    let mut found = Vec::new();
    for (i, l) in text.lines().enumerate() {
        match parse_line(l) {
            Some(Ok((owner, ttl, wire))) => found.push(DsLine { line: i + 1, owner, ttl, wire }),
            Some(Err(e)) => return Err(format!("line {}: {e}", i + 1)),
            None => out.push_str(l),
        }
        out.push('\n');
    }
    Ok((out, found))
}

impl DsLine {
    /// The record, with the owner resolved against the zone's origin.
    pub fn record(&self, origin: &Name, default_ttl: u32) -> Result<Record, String> {
        let owner = if self.owner == "@" {
            origin.clone()
        } else {
            let n = Name::from_ascii(&self.owner).map_err(|e| format!("line {}: bad owner {}: {e}", self.line, self.owner))?;
            if n.is_fqdn() { n } else { n.append_domain(origin).map_err(|e| format!("line {}: {e}", self.line))? }
        };
        let data = RData::Unknown { code: RecordType::DS, rdata: NULL::with(self.wire.clone()) };
        Ok(Record::from_rdata(owner, self.ttl.unwrap_or(default_ttl), data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ds_lines() {
        let (rest, ds) = extract("@ SOA ns h 1 2 3 4 5\nsigned 3600 IN DS 12345 13 2 0A0b\n  ; DS in a comment\n").unwrap();
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0].wire, vec![0x30, 0x39, 13, 2, 0x0a, 0x0b]);
        assert!(rest.starts_with("@ SOA") && !rest.contains("12345"));
        assert!(extract("x DS 1 2\n").unwrap_err().contains("line 1"));
        let origin = Name::from_ascii("example.").unwrap();
        assert_eq!(ds[0].record(&origin, 300).unwrap().name.to_ascii(), "signed.example.");
    }
}
