//! Following files like `tail -F`, forever (what `aegon -f FILE…` runs).
//!
//! [`Tail`] does the reading; this decides when. File-system notifications on
//! the files' folders wake it at once (so an appended line is on screen within milliseconds);
//! a slow safety poll covers what notifications miss. Where notifications are unavailable (or
//! with `--poll`) it polls every [`POLL_INTERVAL`] and says so. Between wake-ups it sleeps.
//! A file named through a symbolic link is written in its real folder, so that folder is
//! watched too (else a linked file woke aegon only at the safety poll).
//!
//! Past [`KEEP_OPEN`] files, quiet files have their handles closed (each after its history is
//! read, and again once it has been unchanged for a while), and are opened again when their size
//! or modification time changes, so that thousands of files can be followed under the open-file
//! limit; a file that could not be opened (out of handles) is tried again at each pass, the
//! quiet files' handles given back first.
//!
//! The files to follow can grow ([`follow_growing_files`]): Claude Code creates a subagent's
//! transcript when the subagent starts, mid-session, so following a session file must take in
//! the files that appear for it later. The caller says where they are written (folders,
//! watched with all they hold once they exist) and lists them ([`Growing`]); the list is asked
//! again when a notification names a path not followed yet (at most every [`RELIST_GAP`]), and
//! every [`RELIST_SAFETY`] (every [`RELIST_POLLING`] when polling); both longer when a listing
//! takes long, so that listing takes about a twentieth of the time at most. A file new to the list is
//! read from its start, once (a real file met by a second path is not read again).

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

use super::notifications::{watch_changes, watch_tree, Notification};
use super::watched::Watched;
use crate::pipeline::Pipeline;
use crate::render::{Flow, Renderer};
use crate::source::follow::{Change, Tail};
use crate::source::tree::FileId;

/// Up to this many files keep their handles open all along (a file renamed away is then read on
/// for what its writer still appends); more have quiet files' handles closed. Well below the
/// usual limits on open files (256 on macOS, 1,024 on Linux).
const KEEP_OPEN: usize = 64;

/// How often files are checked when polling.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How often files are checked anyway while notifications are on (for what they miss, such as
/// a folder that did not exist when watching began).
const SAFETY_POLL: Duration = Duration::from_millis(1000);

/// The least time between two askings of a [`Growing`] list prompted by notifications (a
/// session's folder holds other files that change, and listing reads folders).
pub const RELIST_GAP: Duration = Duration::from_millis(200);

/// How often a [`Growing`] list is asked anyway while notifications work (for what they miss).
pub const RELIST_SAFETY: Duration = Duration::from_secs(5);

/// How often a [`Growing`] list is asked when polling.
pub const RELIST_POLLING: Duration = Duration::from_millis(500);

/// The times between askings of a [`Growing`] list are at least this many times what the last
/// asking took (a list of thousands of files' places, or one that reads files' starts, is asked
/// less often), so that listing takes at most about a twentieth of the time.
const RELIST_SHARE: u32 = 20;

/// Where more files to follow come from while following ([`follow_growing_files`]): what
/// `aegon -f SESSION.jsonl` passes so that a subagent's transcript created after it started
/// (in `SESSION/subagents/`, or beside the session file as Claude Code wrote it before 2.1)
/// is followed too.
pub struct Growing<'a> {
    /// Folders where such files are written, each watched with all it holds once it exists
    /// (a session's `SESSION/` is created with its first subagent). Files beside a followed
    /// one need no folder here: the followed files' folders are watched already.
    pub folders: Vec<PathBuf>,
    /// Every file to follow now, those followed already included (they are passed over);
    /// called again and again, so it should only read folders and the starts of files.
    pub list: &'a mut dyn FnMut() -> Vec<PathBuf>,
}

/// How the followed files are watched.
struct Watching {
    /// The notification watcher, if notifications work here (kept alive while following).
    watcher: Option<notify::RecommendedWatcher>,
    wakeups: mpsc::Receiver<Notification>,
    interval: Duration,
    /// The folders watched alone (the followed files' folders) and with their trees.
    alone: BTreeSet<PathBuf>,
    trees: BTreeSet<PathBuf>,
}

impl Watching {
    /// Notifications on the folders of `paths`, and of the real files of those that are
    /// links (unless `force_poll`), else polling.
    fn new(paths: &[PathBuf], force_poll: bool, notes: &mut dyn FnMut(&str)) -> Self {
        let polling = Watching {
            watcher: None,
            // No sender: waiting is sleeping.
            wakeups: mpsc::channel().1,
            interval: POLL_INTERVAL,
            alone: BTreeSet::new(),
            trees: BTreeSet::new(),
        };
        if force_poll {
            return polling;
        }
        let linked = paths
            .iter()
            .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()))
            .filter_map(|p| std::fs::canonicalize(p).ok());
        let folders: BTreeSet<PathBuf> =
            paths.iter().cloned().chain(linked).map(folder_of).collect();
        match watch_changes(
            folders.iter().map(PathBuf::as_path),
            RecursiveMode::NonRecursive,
        ) {
            Ok((watcher, wakeups)) => Watching {
                watcher: Some(watcher),
                wakeups,
                interval: SAFETY_POLL,
                alone: folders,
                trees: BTreeSet::new(),
            },
            Err(e) => {
                notes(&format!(
                    "file notifications unavailable ({e}); polling every {} ms",
                    POLL_INTERVAL.as_millis()
                ));
                polling
            }
        }
    }

    /// Sleeps until a change is notified or `timeout` (at most the interval) passes; says
    /// whether a notification named a path that `known` does not know, or lost track of
    /// changes (so that a [`Growing`] list should be asked again).
    fn wait(&self, timeout: Duration, known: impl Fn(&Path) -> bool) -> bool {
        let timeout = timeout.min(self.interval);
        let unknown = |n: &Notification| match n {
            Ok(e) => e.need_rescan() || e.paths.iter().any(|p| !known(p)),
            Err(_) => true,
        };
        match self.wakeups.recv_timeout(timeout) {
            Ok(n) => {
                let mut new = unknown(&n);
                while let Ok(n) = self.wakeups.try_recv() {
                    new |= unknown(&n);
                }
                new
            }
            Err(mpsc::RecvTimeoutError::Timeout) => false,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(timeout);
                false
            }
        }
    }

    /// Watches `folder` with its tree, if notifications work, it exists and it is not watched
    /// yet. (The list is asked right after, for what was written in it before.) Tried once:
    /// where it fails, or the folder is later removed and made again, the safety listing finds
    /// its new files and the poll every [`SAFETY_POLL`] reads them.
    fn watch_tree(&mut self, folder: &Path) {
        let Some(watcher) = self.watcher.as_mut() else {
            return;
        };
        if self.trees.contains(folder) || !folder.is_dir() {
            return;
        }
        let _ = watch_tree(watcher, folder);
        self.trees.insert(folder.to_path_buf());
    }

    /// Watches the folder of a file followed from now on, if notifications work and neither
    /// it nor a tree holding it is watched.
    fn watch_folder_of(&mut self, path: &Path) {
        let Some(watcher) = self.watcher.as_mut() else {
            return;
        };
        let folder = folder_of(path.to_path_buf());
        if self.alone.contains(&folder) || self.trees.iter().any(|t| folder.starts_with(t)) {
            return;
        }
        if watcher.watch(&folder, RecursiveMode::NonRecursive).is_ok() {
            self.alone.insert(folder);
        }
    }
}

/// The folder `path` is in (`.` for a bare file name).
fn folder_of(path: PathBuf) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Follows `paths` into `pipeline` until the output is closed (an error, `BrokenPipe` for a
/// closed pipe) or the renderer asks to stop. `from_end`: only lines appended from now on;
/// `force_poll`: poll every [`POLL_INTERVAL`] instead of using notifications. What happens to
/// the files is told to `notes`.
pub fn follow_files<R: Renderer>(
    paths: &[PathBuf],
    from_end: bool,
    force_poll: bool,
    pipeline: &mut Pipeline<R>,
    notes: &mut dyn FnMut(&str),
) -> io::Result<()> {
    follow(paths, None, from_end, force_poll, pipeline, notes)
}

/// [`follow_files`], and each file `growing` lists later, followed from its start (whatever
/// `from_end` says: all of it was written after following began), each real file once. What
/// `aegon -f SESSION.jsonl` runs: `paths` is the session's file and its subagents' files
/// found at the start, `growing` lists them again and names the session's folder.
///
/// # Errors
/// As [`follow_files`]: an output error (the renderer's), such as a closed pipe.
pub fn follow_growing_files<R: Renderer>(
    paths: &[PathBuf],
    growing: Growing<'_>,
    from_end: bool,
    force_poll: bool,
    pipeline: &mut Pipeline<R>,
    notes: &mut dyn FnMut(&str),
) -> io::Result<()> {
    follow(paths, Some(growing), from_end, force_poll, pipeline, notes)
}

/// The files followed: their paths (as given, and absolute, as notifications name them), to
/// tell a new one.
#[derive(Default)]
struct Known {
    paths: BTreeSet<PathBuf>,
}

impl Known {
    fn insert(&mut self, path: &Path) {
        if let Ok(abs) = std::path::absolute(path) {
            self.paths.insert(abs);
        }
        self.paths.insert(path.to_path_buf());
    }

    fn contains(&self, path: &Path) -> bool {
        self.paths.contains(path)
    }
}

/// [`follow_files`] and [`follow_growing_files`].
fn follow<R: Renderer>(
    paths: &[PathBuf],
    mut growing: Option<Growing<'_>>,
    from_end: bool,
    force_poll: bool,
    pipeline: &mut Pipeline<R>,
    notes: &mut dyn FnMut(&str),
) -> io::Result<()> {
    let mut known = Known::default();
    for p in paths {
        known.insert(p);
    }
    let mut files: Vec<Watched> = paths
        .iter()
        .map(|p| {
            let tail = Tail::new(p, p.display().to_string());
            let tail = if from_end { tail.from_end() } else { tail };
            Watched::new(tail, (0, None))
        })
        .collect();
    let mut watching = Watching::new(paths, force_poll, notes);
    let relist_every = if watching.watcher.is_some() {
        RELIST_SAFETY
    } else {
        RELIST_POLLING
    };
    // Both stretched to [`RELIST_SHARE`]'s inverse times what a listing takes, so that
    // listing many files' places takes a small share of the time.
    let (mut gap, mut every) = (RELIST_GAP, relist_every);
    // Asked at once: what was written between the caller's listing and the watches.
    let mut relist = growing.is_some();
    let mut last_listed = Instant::now();
    for w in &files {
        if !w.tail.path().exists() {
            notes(&format!(
                "{}: does not exist yet; waiting for it",
                w.tail.path().display()
            ));
        }
    }
    let mut first_pass = true;
    loop {
        if let Some(g) = growing.as_mut() {
            if (relist && last_listed.elapsed() >= gap) || last_listed.elapsed() >= every {
                relist = false;
                let started = Instant::now();
                take_new_files(g, &mut files, &mut known, &mut watching);
                let took = started.elapsed() * RELIST_SHARE;
                (gap, every) = (RELIST_GAP.max(took), relist_every.max(took));
                last_listed = Instant::now();
            }
        }
        let park = files.len() > KEEP_OPEN;
        // The files that could not be opened for want of file handles in this pass.
        let mut retry = Vec::new();
        for (i, w) in files.iter_mut().enumerate() {
            // A parked (quiet) file is opened again only when its look changed; one not open
            // (not there yet, or that could not be opened) is tried again at each pass.
            if w.tail.is_parked() && !w.changed() {
                continue;
            }
            let (flow, short) = poll(w, pipeline, notes)?;
            if flow.is_break() {
                return Ok(());
            }
            if short {
                retry.push(i);
            }
            // The history of each is read with one handle at a time.
            if first_pass && park {
                w.tail.park();
            }
        }
        first_pass = false;
        if retry.is_empty() {
            // (A file renamed away or deleted gives its handle back once quiet in any case,
            // so a deleted file's space is not held.)
            for w in files.iter_mut().filter(|w| park || w.tail.is_gone()) {
                w.park_if_quiet();
            }
        } else {
            // Out of file handles: give back every one that can be, and try those files again.
            for w in &mut files {
                w.tail.park();
            }
            for i in retry {
                if let Some(w) = files.get_mut(i) {
                    let (flow, short) = poll(w, pipeline, notes)?;
                    if flow.is_break() {
                        return Ok(());
                    }
                    if short {
                        w.say_out_of_handles(notes);
                    }
                    w.tail.park();
                }
            }
        }
        let timeout = match &growing {
            Some(_) if relist => gap.saturating_sub(last_listed.elapsed()),
            Some(_) => every.saturating_sub(last_listed.elapsed()),
            None => watching.interval,
        };
        relist |= watching.wait(timeout, |p| known.contains(p)) && growing.is_some();
    }
}

/// Watches `growing`'s folders that exist now, and starts following each file it lists that
/// is not followed yet (a real file followed by another path is not), from its start.
fn take_new_files(
    growing: &mut Growing<'_>,
    files: &mut Vec<Watched>,
    known: &mut Known,
    watching: &mut Watching,
) {
    for folder in &growing.folders {
        watching.watch_tree(folder);
    }
    let mut ids: Option<Vec<FileId>> = None;
    for path in (growing.list)() {
        if known.contains(&path) {
            continue;
        }
        let Ok(id) = FileId::of(&path) else {
            // Gone already, or not there yet: listed again later if it is the session's.
            continue;
        };
        let ids = ids.get_or_insert_with(|| {
            files
                .iter()
                .filter_map(|w| FileId::of(w.tail.path()).ok())
                .collect()
        });
        if ids.contains(&id) {
            continue;
        }
        ids.push(id);
        known.insert(&path);
        watching.watch_folder_of(&path);
        files.push(Watched::new(
            Tail::new(&path, path.display().to_string()),
            (0, None),
        ));
    }
}

/// Polls one file; also says whether it could not be opened for want of file handles (or, when
/// parked, could not be opened again: nothing was read).
fn poll<R: Renderer>(
    w: &mut Watched,
    pipeline: &mut Pipeline<R>,
    notes: &mut dyn FnMut(&str),
) -> io::Result<(Flow, bool)> {
    w.poll(pipeline, |path, change| note(path, change, notes))
}

/// Says what happened to a followed file, as `tail -F` does (also `aegon -f FOLDER`'s words
/// for a file renamed away, removed or replaced).
pub(super) fn note(path: &Path, change: Change, notes: &mut dyn FnMut(&str)) {
    let what = match change {
        Change::Opened { .. } => return,
        Change::Truncated { dropped_partial: 0 } => "truncated; reading from the start".to_owned(),
        Change::Truncated { dropped_partial } => format!(
            "truncated; reading from the start (a partial line of {dropped_partial} bytes dropped)"
        ),
        Change::Replaced => "replaced; following the new file".to_owned(),
        Change::Vanished => {
            "renamed away or removed; waiting for it to come back (what is still written to the \
             old file is read until then)"
                .to_owned()
        }
        // A failed read names the path (and where) itself.
        Change::Unreadable(e) if crate::source::InputError::of(&e).is_some() => {
            return notes(&e.to_string())
        }
        Change::Unreadable(e) => e.to_string(),
    };
    notes(&format!("{}: {what}", path.display()));
}
