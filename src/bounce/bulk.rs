//! Bulk mode: inputs are read one file at a time by a reader thread and parsed by a pool
//! of workers as they arrive; results come back in input order as soon as each is ready.
//! Memory is bounded by the channels (a few messages in flight per worker) and by the
//! per-file bound of `input::read_bounded`, not by the size of the folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::cli::{one, Item};
use super::input;

/// One input: its source name and its bytes (or why it could not be read).
pub type Input = (String, Result<Vec<u8>, String>);

/// How far a run is (for a progress line).
#[derive(Debug, Default)]
pub struct Progress {
    pub files_total: AtomicUsize,
    pub files_read: AtomicUsize,
}

/// The messages of the files, read lazily: one file in memory at a time (an mbox is split
/// into messages copied out one by one).
pub fn read_lazily(files: Vec<PathBuf>, progress: &Progress) -> impl Iterator<Item = Input> + Send + '_ {
    progress.files_total.store(files.len(), Ordering::Relaxed);
    files.into_iter().flat_map(move |f| {
        let name = f.display().to_string();
        let raw = input::read_bounded(&f);
        progress.files_read.fetch_add(1, Ordering::Relaxed);
        let list: Box<dyn Iterator<Item = Input> + Send> = match raw {
            Err(e) => Box::new(std::iter::once((name, Err(e)))),
            Ok(raw) if input::is_mbox(&raw) => {
                let ranges = input::mbox_ranges(&raw);
                Box::new(ranges.into_iter().enumerate().map(move |(i, r)| (format!("{name}#{}", i + 1), Ok(raw[r].to_vec()))))
            }
            Ok(raw) => Box::new(std::iter::once((name, Ok(raw)))),
        };
        list
    })
}

/// The files a path stands for (a folder's message files, or the path itself).
pub fn files_of(path: &Path) -> Result<Vec<PathBuf>, String> {
    if path.as_os_str() != "-" && path.is_dir() { input::folder_files(path) } else { Ok(vec![path.to_path_buf()]) }
}

/// Parse `inputs` on `jobs` worker threads; `sink` gets every item, in input order, as
/// soon as it and all before it are done.
pub fn run_pool<I>(inputs: I, jobs: usize, mut sink: impl FnMut(Item))
where
    I: Iterator<Item = Input> + Send,
{
    let jobs = jobs.clamp(1, 64);
    // A few messages in flight per worker: enough to keep the workers busy while the
    // reader blocks on the next file, small enough to bound memory.
    let (job_tx, job_rx) = crossbeam_channel::bounded::<(usize, Input)>(jobs * 4);
    let (res_tx, res_rx) = crossbeam_channel::bounded::<(usize, Item)>(jobs * 8);
    std::thread::scope(|s| {
        s.spawn(move || {
            for (i, input) in inputs.enumerate() {
                if job_tx.send((i, input)).is_err() {
                    break;
                }
            }
        });
        for _ in 0..jobs {
            let (rx, tx) = (job_rx.clone(), res_tx.clone());
            s.spawn(move || loop {
                let Ok((i, (source, raw))) = rx.recv() else { break };
                let item = match raw {
                    Ok(raw) => one(source, &raw),
                    Err(e) => Item { source, bounce: None, events: Vec::new(), error: Some(e) },
                };
                if tx.send((i, item)).is_err() {
                    break;
                }
            });
        }
        drop((res_tx, job_rx));
        // Reorder: hold early finishers until their predecessors are done.
        let mut next = 0;
        let mut pending = BTreeMap::new();
        for (i, item) in res_rx {
            pending.insert(i, item);
            while let Some(item) = pending.remove(&next) {
                sink(item);
                next += 1;
            }
        }
    });
}
