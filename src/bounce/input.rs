//! Where bounces come from: one file, a folder (a maildir's cur/ and new/, or any folder
//! of message files), an mbox ("From " separated), or standard input. Every read is
//! bounded.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest single input read (an mbox may hold many messages).
pub const MAX_INPUT: u64 = 512 * 1024 * 1024;

/// Read a file (or `-` for stdin) up to the bound; larger input is an error.
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    let limit = MAX_INPUT + 1;
    if path.as_os_str() == "-" {
        std::io::stdin().take(limit).read_to_end(&mut buf).map_err(|e| format!("standard input: {e}"))?;
    } else {
        let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        f.take(limit).read_to_end(&mut buf).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if buf.len() as u64 > MAX_INPUT {
        return Err(format!("{}: larger than {} bytes", path.display(), MAX_INPUT));
    }
    Ok(buf)
}

/// The message files of a folder: a maildir's cur/ and new/ when present, else every
/// regular file (sorted, hidden files skipped), one level deep.
pub fn folder_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut dirs = Vec::new();
    for sub in ["cur", "new"] {
        if dir.join(sub).is_dir() {
            dirs.push(dir.join(sub));
        }
    }
    if dirs.is_empty() {
        dirs.push(dir.to_path_buf());
    }
    let mut out = Vec::new();
    for d in dirs {
        let rd = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for e in rd.flatten() {
            let p = e.path();
            let hidden = p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
            if p.is_file() && !hidden {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// An mbox starts with a "From " line.
pub fn is_mbox(raw: &[u8]) -> bool {
    raw.starts_with(b"From ")
}

/// Split an mbox into messages (byte ranges), at lines that start with "From " after a
/// blank line or at the start. ">From " quoting is left to the MIME parser.
pub fn split_mbox(raw: &[u8]) -> Vec<&[u8]> {
    mbox_ranges(raw).into_iter().map(|r| &raw[r]).collect()
}

/// The byte ranges of an mbox's messages (without their "From " envelope lines).
pub fn mbox_ranges(raw: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let at_line = i == 0 || raw[i - 1] == b'\n';
        if at_line && raw[i..].starts_with(b"From ") {
            let prev_blank = i == 0 || (i >= 2 && (raw[i - 2] == b'\n' || (raw[i - 2] == b'\r' && i >= 3 && raw[i - 3] == b'\n')));
            if prev_blank {
                starts.push(i);
            }
        }
        i += match raw[i..].iter().position(|&b| b == b'\n') {
            Some(n) => n + 1,
            None => raw.len() - i,
        };
    }
    let mut out = Vec::with_capacity(starts.len());
    for (k, &s) in starts.iter().enumerate() {
        let e = starts.get(k + 1).copied().unwrap_or(raw.len());
        // Drop the "From " envelope line itself.
        let body_start = match raw[s..e].iter().position(|&b| b == b'\n') {
            Some(n) => s + n + 1,
            None => e,
        };
        out.push(body_start..e);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mbox_split() {
        let m = b"From a@b Thu Jan  1 00:00:00 2020\nSubject: one\n\nbody\nFrom here is not a separator\n\nFrom c@d Thu Jan  1 00:00:00 2020\nSubject: two\n\nx\n";
        let parts = split_mbox(m);
        assert_eq!(parts.len(), 2);
        assert!(parts[0].starts_with(b"Subject: one"));
        assert!(parts[1].starts_with(b"Subject: two"));
        assert!(split_mbox(b"").is_empty());
        assert_eq!(split_mbox(b"F").len(), 0);
    }
}
