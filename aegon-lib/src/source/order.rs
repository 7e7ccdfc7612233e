//! Several transcript files read into one set of sessions: the order that counts each entry
//! where it **first occurred**.
//!
//! An entry (a line uuid, a tool call or result, an API response) can be in several files: a
//! session resumed into a new session id copies its lines into the new file, a session can be
//! copied whole. The correlator ([`crate::session::correlate`]) counts an entry once, in the
//! first file that gives it to it, so a read in path or `read_dir` order can credit a resumed
//! session's copy with its parent's usage, and the parent disappears (bugs/08: session B's
//! file, a resumed copy of A, read first gets A's two calls). Reading the files in the order
//! [`in_first_occurred_order`] gives makes the result independent of the order they were
//! named in, and equal to what the `aegon` binary reports.
//!
//! **The rule.** Files are grouped by session ([`group_key`]: a session's file, the files it
//! was split into and its subagent files share the `sessionId` on their lines). The groups are
//! ranked by what they hold, never by their names: the group whose **latest** timestamped event
//! is the earliest first (a resumed copy goes on after the session it copies has ended), then
//! the one whose earliest event is the earliest, then the group key (session id) in byte order
//! ([`first_occurred_rank`]); groups without timestamps come last. Each group's files are read
//! in path order.
//!
//! **Why an order and not an order-independent [`Sessions`](crate::session::Sessions).** A
//! `Sessions` that settled ownership itself would have to keep, for every entry, which session
//! holds it and that session's contribution (to move it when an earlier owner turns up): memory
//! per line and a second bookkeeping path in every figure (tokens, cost, tools, steps, flow),
//! on the hot path the dashboard and the filter share. The order costs one quiet extra read of
//! the files before the real one, only for batch reads of several groups, and leaves the
//! session core as it is.
//!
//! Memory: the groups' keys and paths, and two timestamps per group.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::event::Event;
use crate::pipeline::{Options, Pipeline, Stats};
use crate::render::{Flow, Renderer};
use crate::timestamp::parse_millis;

/// Bytes read from a file's start to find its session id.
const SNIFF_BYTES: u64 = 256 << 10;

/// Bytes read first: Claude Code names the session in a line's first few hundred bytes (the
/// first `sessionId` of every file of the shared corpus is within its first 900 bytes), and
/// sniffing is a phase of a parallel summary before the files are read (16 KiB per file took
/// about a fifth of its copying from the page cache).
const SNIFF_FIRST: usize = 4 << 10;

/// Bytes read at a time after the first read while looking for it.
const SNIFF_STEP: usize = 16 << 10;

/// The member that names a line's session, as Claude Code writes it.
const SESSION_ID_KEY: &[u8] = b"\"sessionId\":\"";

/// The grouping key of a transcript: the first `sessionId` in its first 256 KiB, else the
/// first UUID in its path (a Codex rollout's name ends with its session's), else its file name.
/// A path that is not a regular file (a pipe, a FIFO, a device) is never opened here: what is
/// read from it would be gone for the read that counts.
pub fn group_key(path: &Path) -> String {
    key_and_size(path).0
}

/// [`group_key`] and the size of the file (0 when it cannot be read), from one `stat`.
fn key_and_size(path: &Path) -> (String, u64) {
    let Ok(meta) = std::fs::metadata(path) else {
        return (path_key(path), 0);
    };
    let mut head = Vec::new();
    if let Some(file) = meta.is_file().then(|| File::open(path).ok()).flatten() {
        let mut file = file.take(SNIFF_BYTES);
        loop {
            let before = head.len();
            let step = if before == 0 { SNIFF_FIRST } else { SNIFF_STEP };
            match (&mut file).take(step as u64).read_to_end(&mut head) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            // Search again from a little before the new bytes, for a key split between reads.
            let from = before.saturating_sub(SESSION_ID_KEY.len() + 128);
            if let Some(id) = session_id_in(&head[from..]) {
                return (id, meta.len());
            }
        }
    }
    (path_key(path), meta.len())
}

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
/// groups (in bytes) first, ties in key order. Keys are sniffed on `workers` threads.
pub fn groups(files: &[PathBuf], workers: usize) -> Vec<(String, Vec<PathBuf>)> {
    let per_thread = files.len().div_ceil(workers.max(1)).max(1);
    let keyed: Vec<(String, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || chunk.iter().map(|f| key_and_size(f)).collect::<Vec<_>>())
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

/// The earliest and latest timestamps (Unix milliseconds) of the events a group gave its
/// renderer; `None` when none had a readable timestamp.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// The earliest.
    pub first: Option<i64>,
    /// The latest.
    pub last: Option<i64>,
}

impl Span {
    /// Widens the span to `ms`.
    pub fn note(&mut self, ms: i64) {
        self.first = Some(self.first.map_or(ms, |f| f.min(ms)));
        self.last = Some(self.last.map_or(ms, |l| l.max(ms)));
    }

    /// The group's place in the "first occurred" order: its latest event, then its earliest
    /// (missing ones last), then its key.
    fn order_key<'a>(&self, key: &'a str) -> (bool, i64, bool, i64, &'a str) {
        (
            self.last.is_none(),
            self.last.unwrap_or(0),
            self.first.is_none(),
            self.first.unwrap_or(0),
            key,
        )
    }
}

/// A renderer that passes every event on to `inner` and notes the [`Span`] of their
/// timestamps: wrap a group's renderer in it to rank the group ([`first_occurred_rank`]).
#[derive(Debug, Default)]
pub struct SpanRecorder<R> {
    inner: R,
    span: Span,
}

impl<R> SpanRecorder<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        SpanRecorder {
            inner,
            span: Span::default(),
        }
    }

    /// The span of the events seen so far.
    pub fn span(&self) -> Span {
        self.span
    }

    /// The wrapped renderer.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Renderer> Renderer for SpanRecorder<R> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        if let Some(ms) = event.timestamp.as_deref().and_then(parse_millis) {
            self.span.note(ms);
        }
        self.inner.on_event(event)
    }

    fn on_skipped(&mut self, event: &Event<'_>) {
        self.inner.on_skipped(event);
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    fn finish(&mut self, stats: &Stats) -> io::Result<()> {
        self.inner.finish(stats)
    }

    fn pause(&mut self) {
        self.inner.pause()
    }
}

/// A renderer that keeps nothing (the quiet ranking read).
pub(crate) struct Discard;

impl Renderer for Discard {
    fn on_event(&mut self, _: &Event<'_>) -> io::Result<Flow> {
        Ok(Flow::Continue(()))
    }
}

/// Whether the group `a` (its key and [`Span`]) comes before `b`, or ties with it, in the
/// "first occurred" order (module docs): the rule [`first_occurred_rank`] sorts by, for a
/// caller that compares two (the usage ledger's owner of a response written in several
/// sessions).
pub fn occurred_first(a: (&str, Span), b: (&str, Span)) -> bool {
    a.1.order_key(a.0) <= b.1.order_key(b.0)
}

/// The groups' indices (into `spans` and `keys`, one per group) in the "first occurred" order
/// (module docs).
pub fn first_occurred_rank(spans: &[Span], keys: &[String]) -> Vec<usize> {
    let order: Vec<_> = spans
        .iter()
        .zip(keys)
        .map(|(s, k)| s.order_key(k))
        .collect();
    let mut rank: Vec<usize> = (0..order.len()).collect();
    rank.sort_by(|&a, &b| order[a].cmp(&order[b]));
    rank
}

/// The [`Span`] of a group read quietly, alone, with a pipeline of its own and `options`. A
/// file that cannot be opened or read adds what was read of it (nothing, for one that cannot
/// be opened): the caller's own read reports it.
pub fn group_span(files: &[PathBuf], options: Options) -> Span {
    let mut pipeline = Pipeline::new(options, SpanRecorder::new(Discard));
    for path in files {
        let Ok(file) = File::open(path) else {
            continue;
        };
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            continue;
        }
        let name = path.display().to_string();
        let _ = pipeline.read_to_end(&name, file);
    }
    match pipeline.finish() {
        Ok((recorder, _)) => recorder.span(),
        Err(_) => Span::default(),
    }
}

/// `files` in the order that makes a one-pass read count each entry where it **first
/// occurred** (module docs): the groups ranked by the rule, each group's files in path order.
/// Read them in this order with one [`Pipeline`] and apply its events to one
/// [`Sessions`](crate::session::Sessions): each entry goes to the session the `aegon` binary
/// gives it to, whatever order `files` came in. Costs a quiet read of every group (on up to
/// `workers` threads) before the real one; with one group the files are returned as they are,
/// unread. Only regular files should be given: a pipe would be read here and be empty after.
pub fn in_first_occurred_order(
    files: &[PathBuf],
    workers: usize,
    options: Options,
) -> Vec<PathBuf> {
    let (keys, groups): (Vec<String>, Vec<Vec<PathBuf>>) =
        groups(files, workers).into_iter().unzip();
    if groups.len() <= 1 {
        return files.to_vec();
    }
    let next = AtomicUsize::new(0);
    let mut spans = vec![Span::default(); groups.len()];
    let done: Vec<(usize, Span)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.clamp(1, groups.len()))
            .map(|_| {
                let (next, groups) = (&next, &groups);
                scope.spawn(move || {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(group) = groups.get(i) else {
                            break out;
                        };
                        out.push((i, group_span(group, options)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    for (i, span) in done {
        spans[i] = span;
    }
    first_occurred_rank(&spans, &keys)
        .into_iter()
        .flat_map(|g| groups[g].clone())
        .collect()
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
        let dir = crate::temp_dir::temp_dir("groups");
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
        assert_eq!(groups.len(), 2, "{groups:?}");
        // The larger group first, in path order.
        assert_eq!(groups[0].0, id);
        assert_eq!(groups[0].1, vec![files[0].clone(), files[2].clone()]);
        assert_eq!(groups[1], ("other".to_owned(), vec![files[1].clone()]));
    }

    /// The key is found wherever it is in the first 256 KiB: within the first read, across its
    /// end (split between two reads), after a long first line, and not beyond.
    #[test]
    fn the_session_id_is_found_across_reads() {
        let dir = crate::temp_dir::temp_dir("sniff");
        let id = "22222222-2222-4222-8222-222222222222";
        let member = format!("\"sessionId\":\"{id}\"");
        let at = |offset: usize| {
            let mut text = format!("{{\"x\":\"{}\"", "a".repeat(offset - 7));
            text.push(',');
            text.push_str(&member);
            text.push_str("}\n");
            assert_eq!(text.find(&member), Some(offset + 1));
            text
        };
        for (offset, found) in [
            (100, true),
            (SNIFF_FIRST - 20, true),
            (SNIFF_FIRST - 5, true),
            (SNIFF_FIRST + SNIFF_STEP - 30, true),
            (200_000, true),
            (SNIFF_BYTES as usize + 10, false),
        ] {
            let file = dir.join(format!("at-{offset}.jsonl"));
            std::fs::write(&file, at(offset)).unwrap();
            let (key, size) = key_and_size(&file);
            assert_eq!(key == id, found, "key at {offset}: {key}");
            assert_eq!(size, std::fs::metadata(&file).unwrap().len());
        }
    }

    #[test]
    fn the_group_that_ended_first_ranks_first() {
        let span = |first, last| Span {
            first: Some(first),
            last: Some(last),
        };
        let keys: Vec<String> = ["b", "a", "c", "d"].map(String::from).into();
        // b ended last (a resumed copy); a and c ended together, c began earlier; d has none.
        let spans = [span(0, 30), span(5, 20), span(1, 20), Span::default()];
        assert_eq!(first_occurred_rank(&spans, &keys), [2, 1, 0, 3]);
    }
}
