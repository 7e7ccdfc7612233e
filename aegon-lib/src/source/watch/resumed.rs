//! What [`super::watch_folders`] reads of a project before a session file of it, so that each
//! entry counts where it **first occurred**, as every batch view counts it
//! ([`crate::source::order`]).
//!
//! Claude Code resumes a session into a new file, under a new session id, with the lines of the
//! session it resumes copied in first (same uuids, message ids: bugs/08). Read alone, the new
//! file gives the new session the old one's history (tester14 #9: $18.27 where `--summary`
//! says $13.51). Two things keep the copies where they first occurred:
//!
//! - **Quiet reads.** Before a file of a project is read from its start (the recent history
//!   at start, a file created later), the files of that project that were not read (older than
//!   `--since`, followed from their size) are read up to that size on a pipeline of their own
//!   that renders nothing; the entries and API responses met there are then counted elsewhere
//!   on the watch's stream ([`Correlator::count_elsewhere`](crate::session::correlate::Correlator::count_elsewhere)):
//!   nothing of theirs is listed, streamed or exported. Each such file is read once, the first
//!   time its project is: the cost is the unread part of the projects that have a session
//!   being read, never the whole tree.
//! - **The history in the "first occurred" order.** The files read from their start at start
//!   are read session by session in the order of [`crate::source::order`] (the session whose
//!   latest event is the earliest first), not by modification time: a copy restored or synced
//!   without its times, or a session continued after it was resumed, does not change who
//!   counts what. Ranking a session needs its events' times, a quiet read of its files first;
//!   it is done only for the projects with two sessions or more among those read, or with
//!   files read quietly (a project of one session shares nothing to rank). The others, and
//!   what is not in a Claude Code project folder, are read in the order they were last
//!   written (their latest event being about then).
//!
//! A **project** is the folder a session's file is in directly under a root (`projects/<p>/`,
//! its subagents in `<p>/<session>/subagents/`), or the root itself for a file directly in it;
//! projects of the same name under several roots (several `CLAUDE_CONFIG_DIR` directories) are
//! one. Files deeper (Codex's dated folders, Gemini's chats) belong to none: nothing is read
//! quietly for them.

use std::collections::{BTreeSet, HashMap};
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::pipeline::{Options, Pipeline};
use crate::render::Renderer;
use crate::source::order::{groups, Discard, Span, SpanRecorder};
use crate::source::tree::FileId;
use crate::tokens::Tokens;

/// Threads for the quiet reads (they run in the watch's own thread's stead: the dashboard
/// draws meanwhile).
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// The project `path` belongs to (module docs), by name; `None` for a file that is in none.
/// `roots`: the folders watched (the longest that contains `path` is its root).
pub(super) fn project_of(path: &Path, roots: &[PathBuf]) -> Option<OsString> {
    let root = roots
        .iter()
        .filter(|r| path.starts_with(r))
        .max_by_key(|r| r.as_os_str().len())?;
    let rel: Vec<Component> = path.strip_prefix(root).ok()?.components().collect();
    let folder = match rel.as_slice() {
        [_file] => root.file_name()?,
        [project, _file] => project.as_os_str(),
        [project, _session, sub, _file] if sub.as_os_str() == "subagents" => project.as_os_str(),
        _ => return None,
    };
    Some(folder.to_owned())
}

/// The files followed from their size (not read), by project: how many bytes of each were
/// left unread, and which real file it was.
#[derive(Default)]
pub(super) struct Unread {
    by_project: HashMap<OsString, Vec<(PathBuf, u64, FileId)>>,
}

impl Unread {
    /// Notes that the first `size` bytes of `path` (the real file `id`), in `project`, were
    /// not read.
    pub(super) fn add(&mut self, project: OsString, path: PathBuf, size: u64, id: FileId) {
        if size > 0 {
            self.by_project
                .entry(project)
                .or_default()
                .push((path, size, id));
        }
    }

    /// The unread files of `project`, taken out (each is read quietly once), with the bytes
    /// left unread: only those still the same file, at least as long. One replaced or
    /// truncated since is read again from its start by the watch itself, and what it holds
    /// now must count there, not be taken for counted elsewhere.
    pub(super) fn take(&mut self, project: &OsStr) -> Vec<(PathBuf, u64)> {
        let files = self.by_project.remove(project).unwrap_or_default();
        files
            .into_iter()
            .filter(|(path, size, id)| {
                let longer = std::fs::metadata(path).is_ok_and(|m| m.len() >= *size);
                longer && FileId::of(path).is_ok_and(|now| now == *id)
            })
            .map(|(path, size, _)| (path, size))
            .collect()
    }
}

/// What a quiet read of one session's files gave.
#[derive(Default)]
struct Quiet {
    /// The span of the events of all its files.
    span: Span,
    /// The entries (identities) and API responses (largest counts) of the files read only
    /// quietly.
    ids: Vec<u64>,
    responses: Vec<(u64, Tokens)>,
}

/// Reads `quiet` (each up to its size) and then `loud` on a pipeline of their own that renders
/// nothing: the identities met in `quiet`, and the span of everything.
fn read_quietly(quiet: &[(PathBuf, u64)], loud: &[PathBuf], options: Options) -> Quiet {
    let mut pipeline = Pipeline::new(options, SpanRecorder::new(Discard));
    pipeline.correlator_mut().record_identities();
    for (path, size) in quiet {
        read_file(&mut pipeline, path, *size);
    }
    let ids = pipeline.correlator_mut().take_recorded();
    let responses = pipeline.correlator_mut().take_recorded_responses();
    for path in loud {
        read_file(&mut pipeline, path, u64::MAX);
    }
    let span = pipeline
        .finish()
        .map_or_else(|_| Span::default(), |(r, _)| r.span());
    Quiet {
        span,
        ids,
        responses,
    }
}

/// Reads the first `limit` bytes of `path` (a regular file) into `pipeline`, by the name the
/// watch reads it by. What cannot be read is left: the watch's own read reports it.
fn read_file<R: Renderer>(pipeline: &mut Pipeline<R>, path: &Path, limit: u64) {
    let Ok(file) = File::open(path) else { return };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return;
    }
    let name = path.display().to_string();
    let _ = pipeline.read_to_end(&name, file.take(limit));
}

/// `f` of each of `items`, on up to [`workers`] threads, in `items`' order.
fn in_parallel<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, U)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers().clamp(1, items.len().max(1)))
            .map(|_| {
                let (next, f) = (&next, &f);
                scope.spawn(move || {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break out };
                        out.push((i, f(item)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, u)| u).collect()
}

/// Reads `files` (each up to its size) quietly and has `pipeline` count what they hold
/// elsewhere (module docs), before a file of their project is read from its start.
pub(super) fn count_quietly<R: Renderer>(files: &[(PathBuf, u64)], pipeline: &mut Pipeline<R>) {
    if files.is_empty() {
        return;
    }
    let options = *pipeline.options();
    for quiet in in_parallel(files, |file| {
        read_quietly(std::slice::from_ref(file), &[], options)
    }) {
        pipeline
            .correlator_mut()
            .count_elsewhere(quiet.ids, quiet.responses);
    }
}

/// One step of reading the history.
pub(super) enum Step {
    /// Count these entries and API responses elsewhere (a session read quietly).
    Quiet(Vec<u64>, Vec<(u64, Tokens)>),
    /// Read this file from its start.
    Read(PathBuf),
}

/// The steps that read `recent` (the files to read from their start, with their modification
/// times) so that each entry counts where it first occurred (module docs), the unread files of
/// their projects (taken from `unread`) read quietly among them. `roots`: the folders watched.
pub(super) fn history_steps(
    recent: &[(Option<SystemTime>, PathBuf)],
    unread: &mut Unread,
    roots: &[PathBuf],
    options: Options,
) -> Vec<Step> {
    let projects: BTreeSet<OsString> = recent
        .iter()
        .filter_map(|(_, p)| project_of(p, roots))
        .collect();
    let quiet: HashMap<PathBuf, u64> = projects.iter().flat_map(|p| unread.take(p)).collect();
    let written: HashMap<&Path, Option<i64>> = recent
        .iter()
        .map(|(m, p)| (p.as_path(), m.map(unix_millis)))
        .collect();
    let all: Vec<PathBuf> = recent
        .iter()
        .map(|(_, p)| p.clone())
        .chain(quiet.keys().cloned())
        .collect();
    let grouped = groups(&all, workers());
    let project: Vec<Option<OsString>> = grouped
        .iter()
        .map(|(_, files)| files.first().and_then(|f| project_of(f, roots)))
        .collect();
    let mut sessions_of: HashMap<&OsString, usize> = HashMap::new();
    for p in project.iter().flatten() {
        *sessions_of.entry(p).or_default() += 1;
    }
    // The sessions to read quietly first: those with unread files, and those of a project
    // with two sessions or more.
    let to_read: Vec<usize> = (0..grouped.len())
        .filter(|&g| {
            grouped[g].1.iter().any(|f| quiet.contains_key(f))
                || project[g]
                    .as_ref()
                    .is_some_and(|p| sessions_of.get(p).is_some_and(|&n| n > 1))
        })
        .collect();
    let read = in_parallel(&to_read, |&g| {
        let (q, l): (Vec<&PathBuf>, Vec<&PathBuf>) =
            grouped[g].1.iter().partition(|f| quiet.contains_key(*f));
        let q: Vec<(PathBuf, u64)> = q.into_iter().map(|f| (f.clone(), quiet[f])).collect();
        let l: Vec<PathBuf> = l.into_iter().cloned().collect();
        read_quietly(&q, &l, options)
    });
    let mut quietly: Vec<Option<Quiet>> = (0..grouped.len()).map(|_| None).collect();
    for (g, q) in to_read.into_iter().zip(read) {
        quietly[g] = Some(q);
    }
    // The "first occurred" order by the events' times where read; by when the files were last
    // written otherwise (the sessions of a project are all read, or it has one).
    let span: Vec<Span> = (0..grouped.len())
        .map(|g| match &quietly[g] {
            Some(q) => q.span,
            None => {
                let last = grouped[g]
                    .1
                    .iter()
                    .filter_map(|f| written.get(f.as_path()).copied().flatten())
                    .max();
                Span { first: last, last }
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..grouped.len()).collect();
    let key = |g: usize| {
        let s = span[g];
        (
            s.last.is_none(),
            s.last,
            s.first.is_none(),
            s.first,
            &grouped[g].0,
        )
    };
    order.sort_by(|&a, &b| key(a).cmp(&key(b)));
    let mut steps = Vec::new();
    for g in order {
        if let Some(q) = quietly[g].take() {
            if !q.ids.is_empty() || !q.responses.is_empty() {
                steps.push(Step::Quiet(q.ids, q.responses));
            }
        }
        steps.extend(
            grouped[g]
                .1
                .iter()
                .filter(|f| !quiet.contains_key(*f))
                .map(|f| Step::Read(f.clone())),
        );
    }
    steps
}

/// `t` in Unix milliseconds (negative before 1970).
fn unix_millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file replaced or truncated since it was left unread is not read quietly (the watch
    /// reads it from its start, and what it holds counts there); one that grew is, up to
    /// where it was followed from.
    #[test]
    fn only_files_still_as_they_were_are_read_quietly() {
        let dir = crate::temp_dir::temp_dir("unread");
        let [grown, truncated, replaced] = ["g", "t", "r"].map(|n| dir.join(format!("{n}.jsonl")));
        let mut unread = Unread::default();
        for f in [&grown, &truncated, &replaced] {
            std::fs::write(f, "{}\n{}\n").unwrap();
            unread.add("p".into(), f.clone(), 6, FileId::of(f).unwrap());
        }
        std::fs::write(dir.join("new"), "{}\n{}\n").unwrap();
        std::fs::rename(dir.join("new"), &replaced).unwrap();
        std::fs::write(&truncated, "{}\n").unwrap();
        std::fs::write(&grown, "{}\n{}\n{}\n").unwrap();
        assert_eq!(unread.take(OsStr::new("p")), [(grown, 6)]);
        assert!(unread.take(OsStr::new("p")).is_empty(), "taken once");
    }

    #[test]
    fn a_project_is_the_folder_under_a_root() {
        let roots = [
            PathBuf::from("/h/.claude/projects"),
            PathBuf::from("/h/.work/projects"),
            PathBuf::from("/h/.codex/sessions"),
        ];
        let of = |p: &str| project_of(Path::new(p), &roots);
        let p = Some(OsString::from("-home-me"));
        assert_eq!(of("/h/.claude/projects/-home-me/a.jsonl"), p);
        assert_eq!(of("/h/.work/projects/-home-me/b.jsonl"), p);
        assert_eq!(
            of("/h/.claude/projects/-home-me/a/subagents/agent-1.jsonl"),
            p
        );
        assert_eq!(of("/h/.codex/sessions/2026/11/30/rollout-x.jsonl"), None);
        assert_eq!(of("/elsewhere/a.jsonl"), None);
        // A project folder given as the root.
        let roots = [PathBuf::from("/h/.claude/projects/-home-me")];
        assert_eq!(
            project_of(Path::new("/h/.claude/projects/-home-me/a.jsonl"), &roots),
            p
        );
    }
}
