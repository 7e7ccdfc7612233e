//! `--summary` over many files on every core.
//!
//! Files that can share API responses must be read by the same worker, or a response would be
//! counted once per worker: a session's file, the files it was resumed or split into, and its
//! subagent files all carry the session's `sessionId` on their lines, so files are grouped by
//! the first `sessionId` in their first 256 KiB (by the first UUID in their path, or their
//! name, when there is none); each worker takes the next unread group, largest first. Each
//! worker runs its own pipeline into a session collector; the collected
//! sessions and counters are merged at the end, so the summary is the one a single thread
//! would print.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use aegon::pipeline::{Options, Pipeline, Stats};
use aegon::pricing::Pricing;
use aegon::render::summary::SessionCollector;
use aegon::session::Sessions;

use crate::args::InputArg;
use crate::report::Reporting;

/// What a parallel read produced.
pub struct Collected {
    /// All sessions, merged.
    pub sessions: Sessions,
    /// All counters, merged.
    pub stats: Stats,
    /// Whether an input could not be read.
    pub failed: bool,
}

/// Bytes read from a file's start to find its session id.
const SNIFF_BYTES: u64 = 256 << 10;

/// Bytes read at a time while looking for it: most files name their session in the first line.
const SNIFF_STEP: usize = 16 << 10;

/// The grouping key of a transcript: the first `sessionId` in its first lines, else the first
/// UUID in its path, else its file name.
pub fn group_key(path: &Path) -> String {
    let mut head = Vec::new();
    if let Ok(file) = std::fs::File::open(path) {
        let mut file = file.take(SNIFF_BYTES);
        loop {
            let before = head.len();
            match (&mut file).take(SNIFF_STEP as u64).read_to_end(&mut head) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            // Search again from a little before the new bytes, for a key split between reads.
            let from = before.saturating_sub(SESSION_ID_KEY.len() + 128);
            if let Some(id) = session_id_in(&head[from..]) {
                return id;
            }
        }
    }
    path_key(path)
}

/// The member that names a line's session, as Claude Code writes it.
const SESSION_ID_KEY: &[u8] = b"\"sessionId\":\"";

/// The value of the first complete `"sessionId":"…"` in `bytes`.
fn session_id_in(bytes: &[u8]) -> Option<String> {
    let at = memchr::memmem::find(bytes, SESSION_ID_KEY)? + SESSION_ID_KEY.len();
    let rest = &bytes[at..];
    let end = rest.iter().take(128).position(|&b| b == b'"')?;
    std::str::from_utf8(&rest[..end])
        .ok()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The first UUID in the path, else its file name.
fn path_key(path: &Path) -> String {
    let text = path.to_string_lossy();
    let b = text.as_bytes();
    for start in 0..b.len().saturating_sub(35) {
        let candidate = &b[start..start + 36];
        let uuid = candidate.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
        if uuid {
            return String::from_utf8_lossy(candidate).into_owned();
        }
    }
    path.file_name()
        .map_or_else(|| text.into_owned(), |n| n.to_string_lossy().into_owned())
}

/// The files grouped by [`group_key`], each group in path order, the largest groups first.
/// Keys are sniffed on `workers` threads.
pub fn groups(files: &[PathBuf], workers: usize) -> Vec<Vec<PathBuf>> {
    let per_thread = files.len().div_ceil(workers.max(1)).max(1);
    let keyed: Vec<(String, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|f| (group_key(f), std::fs::metadata(f).map_or(0, |m| m.len())))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut by_key: BTreeMap<String, (u64, Vec<PathBuf>)> = BTreeMap::new();
    for (file, (key, size)) in files.iter().zip(keyed) {
        let group = by_key.entry(key).or_default();
        group.0 += size;
        group.1.push(file.clone());
    }
    let mut groups: Vec<(u64, Vec<PathBuf>)> = by_key.into_values().collect();
    // Largest first, so the last groups a worker picks up are small and the workers end
    // together; ties in path order, so runs are reproducible.
    groups.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    groups
        .into_iter()
        .map(|(_, mut files)| {
            files.sort_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
            files
        })
        .collect()
}

/// Reads `files` on `workers` threads into one merged set of sessions: each worker takes the
/// next unread group until none is left.
pub fn collect(
    files: &[PathBuf],
    workers: usize,
    options: Options,
    pricing: &Pricing,
    quiet: bool,
) -> io::Result<Collected> {
    let groups = groups(files, workers);
    let next = AtomicUsize::new(0);
    let results: Vec<io::Result<(Sessions, Stats, bool)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.clamp(1, groups.len().max(1)))
            .map(|_| {
                let (groups, next) = (&groups, &next);
                scope.spawn(move || {
                    let collector = Reporting::new(SessionCollector::new(pricing.clone()), quiet)
                        .without_summary();
                    let mut pipeline = Pipeline::new(options, collector);
                    let mut failed = false;
                    while let Some(group) = groups.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let inputs: Vec<InputArg> =
                            group.iter().cloned().map(InputArg::Path).collect();
                        failed |= crate::read_inputs(&inputs, quiet, &mut pipeline)?;
                    }
                    let (reporting, stats) = pipeline.finish()?;
                    Ok((reporting.into_inner().into_sessions(), stats, failed))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("a worker thread panicked")))
            })
            .collect()
    });
    let mut out = Collected {
        sessions: Sessions::with_pricing(pricing.clone()),
        stats: Stats::default(),
        failed: false,
    };
    for r in results {
        let (sessions, stats, failed) = r?;
        out.sessions.merge(sessions);
        out.stats.merge(&stats);
        out.failed |= failed;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_of_one_session_share_a_group() {
        let id = "258c7280-ae70-4798-800f-63464d01a85d";
        assert_eq!(group_key(Path::new(&format!("/p/{id}.jsonl"))), id);
        assert_eq!(
            group_key(Path::new(&format!("/p/{id}/subagents/agent-a1.jsonl"))),
            id
        );
        assert_eq!(
            group_key(Path::new(&format!(
                "/copy/x__{id}__subagents__agent-a.jsonl"
            ))),
            id
        );
        assert_eq!(
            group_key(Path::new("/p/agent-a434715.jsonl")),
            "agent-a434715.jsonl"
        );
    }

    #[test]
    fn groups_stay_whole_and_keep_path_order() {
        let dir = std::env::temp_dir().join(format!("aegon-groups-{}", std::process::id()));
        let id = "11111111-1111-1111-1111-111111111111";
        let sub = dir.join(format!("b/{id}/subagents"));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::create_dir_all(dir.join("a")).unwrap();
        let files: Vec<PathBuf> = [
            dir.join(format!("b/{id}.jsonl")),
            dir.join("a/x.jsonl"),
            sub.join("agent-z.jsonl"),
        ]
        .into();
        // The agent file names its parent only inside, on its lines.
        std::fs::write(&files[0], b"").unwrap();
        std::fs::write(&files[1], b"{\"sessionId\":\"other\"}\n").unwrap();
        let line = format!("{{\"type\":\"user\",\"sessionId\":\"{id}\"}}\n");
        std::fs::write(&files[2], line.repeat(10)).unwrap();
        let groups = groups(&files, 2);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(groups.len(), 2, "{groups:?}");
        // The larger group first, in path order.
        assert_eq!(groups[0], vec![files[0].clone(), files[2].clone()]);
        assert_eq!(groups[1], vec![files[1].clone()]);
    }
}
