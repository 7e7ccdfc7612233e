//! `--summary` over many files on every core, with the same answer on every run.
//!
//! Files are grouped: a session's file, the files it was split into and its subagent files
//! all carry the session's `sessionId` on their lines, so files are grouped by the first
//! `sessionId` in their first 256 KiB (by the first UUID in their path, or their name, when
//! there is none). Each group is read on its own (files in path order, with a pipeline of its
//! own), on whichever worker is free, and notes the identity of every entry it counted: line
//! uuids, tool call and result ids, API responses ([`aegon::session::correlate`]).
//!
//! An entry can be in several groups: a session resumed into a new session id copies its
//! lines into the new file, a session can be copied whole. It counts once, in the group where
//! it **first occurred**, decided by this rule, which depends only on what the files hold:
//! the group whose latest line is the earliest (a resumed copy goes on after the session it
//! copies has ended), then the group whose earliest line is the earliest, then the group key
//! (session id) in byte order. Groups that hold entries owned by another group are read again
//! with those entries skipped. The groups' sessions are then merged in group-key order, so the
//! summary does not depend on the order files are named in, the number of workers or timing,
//! and equals a read with one worker.
//!
//! Only regular files are read this way: a pipe, a FIFO or a device can be read only once (a
//! group may be read twice, and its key is sniffed from the file's start first), so a run
//! that names one reads all its inputs once, in order, on one thread
//! ([`crate::inputs::is_stream`]).
//!
//! Memory: besides the sessions, 8 bytes per identity while the groups are read (16 while the
//! owners are decided).

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use aegon::pipeline::{Options, Pipeline, Stats};
use aegon::render::summary::SessionCollector;
use aegon::session::correlate::Correlator;
use aegon::session::pricing::Pricing;
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
/// A path that is not a regular file (a pipe, a FIFO, a device) is never opened here: what is
/// read from it would be gone for the read that counts.
pub fn group_key(path: &Path) -> String {
    let mut head = Vec::new();
    let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    if let Some(file) = regular.then(|| std::fs::File::open(path).ok()).flatten() {
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

/// The first UUID in the path, else its file name. Not the summary's rule for the session a
/// path names (`render::summary`'s `session_id_of_file`: a UUID ending the file name, or a
/// `<uuid>/subagents/` folder, else none): this one only groups files, so it also takes a UUID
/// in the middle of a flattened copy's name (`x__<uuid>__subagents__agent-a.jsonl`) or of a
/// folder, and always gives a key.
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

/// The files grouped by [`group_key`] (with their key), each group in path order, the largest
/// groups first. Keys are sniffed on `workers` threads.
pub fn groups(files: &[PathBuf], workers: usize) -> Vec<(String, Vec<PathBuf>)> {
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
    let mut groups: Vec<(u64, String, Vec<PathBuf>)> = by_key
        .into_iter()
        .map(|(key, (size, files))| (size, key, files))
        .collect();
    // Largest first, so the last groups a worker picks up are small and the workers end
    // together; ties in key order.
    groups.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    groups
        .into_iter()
        .map(|(_, key, mut files)| {
            files.sort_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
            (key, files)
        })
        .collect()
}

/// What reading one group gave.
struct GroupRead {
    sessions: Sessions,
    stats: Stats,
    failed: bool,
    /// Identities of the entries it counted.
    identities: Vec<u64>,
}

impl GroupRead {
    /// The group's place in the "first occurred" order: its latest line, then its earliest
    /// (groups without timestamps last), then its key.
    fn order_key<'a>(&self, key: &'a str) -> (bool, i64, bool, i64, &'a str) {
        let last = self
            .sessions
            .iter()
            .filter_map(|s| s.last.as_ref())
            .map(|l| l.0)
            .max();
        let first = self
            .sessions
            .iter()
            .filter_map(|s| s.first.as_ref())
            .map(|f| f.0)
            .min();
        (
            last.is_none(),
            last.unwrap_or(0),
            first.is_none(),
            first.unwrap_or(0),
            key,
        )
    }
}

/// Reads one group's files with a pipeline of its own; entries in `skipped` count elsewhere.
fn read_group(
    files: &[PathBuf],
    skipped: Option<&HashSet<u64>>,
    options: Options,
    pricing: &Pricing,
    quiet: bool,
) -> io::Result<GroupRead> {
    let collector = Reporting::new(SessionCollector::new(pricing.clone()), quiet).without_summary();
    let correlator = match skipped {
        Some(skipped) => Correlator::with_skipped(skipped.iter().copied()),
        None => Correlator::new(),
    };
    let mut pipeline = Pipeline::with_correlator(options, collector, correlator);
    pipeline.correlator_mut().record_identities();
    let inputs: Vec<InputArg> = files.iter().cloned().map(InputArg::Path).collect();
    let failed = crate::read_inputs(&inputs, quiet, &mut pipeline)?;
    let mut identities = pipeline.correlator_mut().take_recorded();
    identities.shrink_to_fit();
    let (reporting, stats) = pipeline.finish()?;
    let mut sessions = reporting.into_inner().into_sessions();
    // Kept until all groups are read, then merged into a registry with the prices.
    sessions.release_pricing();
    Ok(GroupRead {
        sessions,
        stats,
        failed,
        identities,
    })
}

/// Runs `job` on each of `items` on up to `workers` threads; results in the items' order.
fn on_workers<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    job: impl Fn(&T) -> io::Result<R> + Sync,
) -> io::Result<Vec<R>> {
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.clamp(1, items.len().max(1)))
            .map(|_| {
                let (next, job) = (&next, &job);
                scope.spawn(move || {
                    let mut out = Vec::new();
                    while let Some(i) =
                        Some(next.fetch_add(1, Ordering::Relaxed)).filter(|&i| i < items.len())
                    {
                        out.push((i, job(&items[i])?));
                    }
                    Ok::<_, io::Error>(out)
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in handles {
            let part = h
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("a worker thread panicked")))?;
            all.extend(part);
        }
        Ok::<_, io::Error>(all)
    })?;
    done.sort_unstable_by_key(|(i, _)| *i);
    Ok(done.into_iter().map(|(_, r)| r).collect())
}

/// The groups' indices in the "first occurred" order ([`GroupRead::order_key`]).
fn first_occurred_rank(reads: &[GroupRead], keys: &[String]) -> Vec<usize> {
    // Each group's key once (it looks at all the group's sessions), not once per comparison.
    let order: Vec<_> = reads
        .iter()
        .zip(keys)
        .map(|(r, k)| r.order_key(k))
        .collect();
    let mut rank: Vec<usize> = (0..reads.len()).collect();
    rank.sort_by(|&a, &b| order[a].cmp(&order[b]));
    rank
}

/// For each group, the identities it holds that count in another group (empty for most).
fn entries_owned_elsewhere(reads: &[GroupRead], keys: &[String]) -> Vec<HashSet<u64>> {
    let rank = first_occurred_rank(reads, keys);
    let mut place = vec![0u32; reads.len()];
    for (position, &group) in rank.iter().enumerate() {
        place[group] = position as u32;
    }
    // (identity, place of the group holding it): sorted, each run's first holder owns it.
    let mut held: Vec<(u64, u32)> =
        Vec::with_capacity(reads.iter().map(|r| r.identities.len()).sum());
    for (group, read) in reads.iter().enumerate() {
        held.extend(read.identities.iter().map(|&id| (id, place[group])));
    }
    held.sort_unstable();
    let mut skipped = vec![HashSet::new(); reads.len()];
    for run in held.chunk_by(|a, b| a.0 == b.0) {
        for &(id, position) in &run[1..] {
            skipped[rank[position as usize]].insert(id);
        }
    }
    skipped
}

/// Reads `files` on `workers` threads into one merged set of sessions, each entry counted
/// once, where it first occurred (see the [module documentation](self)).
pub fn collect(
    files: &[PathBuf],
    workers: usize,
    options: Options,
    pricing: &Pricing,
    quiet: bool,
) -> io::Result<Collected> {
    let (keys, groups): (Vec<String>, Vec<Vec<PathBuf>>) =
        groups(files, workers).into_iter().unzip();
    let mut reads = on_workers(&groups, workers, |group| {
        read_group(group, None, options, pricing, quiet)
    })?;
    let skipped = entries_owned_elsewhere(&reads, &keys);
    let again: Vec<usize> = (0..groups.len())
        .filter(|&g| !skipped[g].is_empty())
        .collect();
    // Read again, quietly: their problem lines were reported the first time.
    let reread = on_workers(&again, workers, |&g| {
        read_group(&groups[g], Some(&skipped[g]), options, pricing, true)
    })?;
    for (g, read) in again.into_iter().zip(reread) {
        let failed = reads[g].failed;
        reads[g] = GroupRead { failed, ..read };
    }
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by(|&a, &b| {
        keys[a]
            .cmp(&keys[b])
            .then_with(|| groups[a].cmp(&groups[b]))
    });
    let mut out = Collected {
        sessions: Sessions::with_pricing(pricing.clone()),
        stats: Stats::default(),
        failed: false,
    };
    let mut slots: Vec<Option<GroupRead>> = reads.into_iter().map(Some).collect();
    for g in order {
        if let Some(read) = slots[g].take() {
            out.sessions.merge(read.sessions);
            out.stats.merge(&read.stats);
            out.failed |= read.failed;
        }
    }
    Ok(out)
}

/// `files` in the order that makes a one-pass read count each entry where it **first
/// occurred** (see the [module documentation](self)): the groups ranked by the rule, each
/// group's files in path order. A stream of events read in this order with one correlator
/// gives each entry to the session `--summary` gives it to, which the batch outputs need
/// (`html`, `--markdown`, `--otlp`, an OTLP export): read in path order instead, a resumed
/// session's copy whose name sorts first would take the entries of the session it copies,
/// and that session would lose its report or its trace. Costs a quiet read of every group
/// (on `workers` threads) before the real one; with one group the files are returned as they
/// are, unread.
///
/// # Errors
/// What reading a group gives besides a problem line (which is noted, quietly, and read again
/// by the caller's own pass).
pub fn in_first_occurred_order(
    files: &[PathBuf],
    workers: usize,
    options: Options,
    pricing: &Pricing,
) -> io::Result<Vec<PathBuf>> {
    let (keys, groups): (Vec<String>, Vec<Vec<PathBuf>>) =
        groups(files, workers).into_iter().unzip();
    if groups.len() <= 1 {
        return Ok(files.to_vec());
    }
    let reads = on_workers(&groups, workers, |group| {
        read_group(group, None, options, pricing, true)
    })?;
    let rank = first_occurred_rank(&reads, &keys);
    Ok(rank.into_iter().flat_map(|g| groups[g].clone()).collect())
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
        assert_eq!(groups[0].0, id);
        assert_eq!(groups[0].1, vec![files[0].clone(), files[2].clone()]);
        assert_eq!(groups[1], ("other".to_owned(), vec![files[1].clone()]));
    }
}
