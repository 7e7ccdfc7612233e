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

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::RecursiveMode;

use super::notifications::{watch_changes, Notification};
use super::watched::{self, Watched};
use crate::pipeline::Pipeline;
use crate::render::{Flow, Renderer};
use crate::source::follow::{Change, Tail};

/// Up to this many files keep their handles open all along (a file renamed away is then read on
/// for what its writer still appends); more have quiet files' handles closed. Well below the
/// usual limits on open files (256 on macOS, 1,024 on Linux).
const KEEP_OPEN: usize = 64;

/// How often files are checked when polling.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How often files are checked anyway while notifications are on (for what they miss, such as
/// a folder that did not exist when watching began).
const SAFETY_POLL: Duration = Duration::from_millis(1000);

/// How the followed files are watched.
struct Watching {
    /// The notification watcher, if notifications work here (kept alive while following).
    _watcher: Option<notify::RecommendedWatcher>,
    wakeups: mpsc::Receiver<Notification>,
    interval: Duration,
}

impl Watching {
    /// Notifications on the folders of `paths`, and of the real files of those that are
    /// links (unless `force_poll`), else polling.
    fn new(paths: &[PathBuf], force_poll: bool, notes: &mut dyn FnMut(&str)) -> Self {
        let polling = Watching {
            _watcher: None,
            // No sender: waiting is sleeping.
            wakeups: mpsc::channel().1,
            interval: POLL_INTERVAL,
        };
        if force_poll {
            return polling;
        }
        let linked = paths
            .iter()
            .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()))
            .filter_map(|p| std::fs::canonicalize(p).ok());
        let folders: BTreeSet<PathBuf> = paths
            .iter()
            .cloned()
            .chain(linked)
            .map(|p| match p.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
                _ => PathBuf::from("."),
            })
            .collect();
        match watch_changes(
            folders.iter().map(PathBuf::as_path),
            RecursiveMode::NonRecursive,
        ) {
            Ok((watcher, wakeups)) => Watching {
                _watcher: Some(watcher),
                wakeups,
                interval: SAFETY_POLL,
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

    /// Sleeps until a change is notified or the interval passes.
    fn wait(&self) {
        match self.wakeups.recv_timeout(self.interval) {
            Ok(_) => while self.wakeups.try_recv().is_ok() {},
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => std::thread::sleep(self.interval),
        }
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
    let mut files: Vec<Watched> = paths
        .iter()
        .map(|p| {
            let tail = Tail::new(p, p.display().to_string());
            let tail = if from_end { tail.from_end() } else { tail };
            Watched::new(tail, (0, None))
        })
        .collect();
    let watching = Watching::new(paths, force_poll, notes);
    for w in &files {
        if !w.tail.path().exists() {
            notes(&format!(
                "{}: does not exist yet; waiting for it",
                w.tail.path().display()
            ));
        }
    }
    let park = files.len() > KEEP_OPEN;
    let mut first_pass = true;
    loop {
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
                    if poll(w, pipeline, notes)?.0.is_break() {
                        return Ok(());
                    }
                    w.tail.park();
                }
            }
        }
        watching.wait();
    }
}

/// Polls one file; also says whether it could not be opened for want of file handles (or, when
/// parked, could not be opened again: nothing was read).
fn poll<R: Renderer>(
    w: &mut Watched,
    pipeline: &mut Pipeline<R>,
    notes: &mut dyn FnMut(&str),
) -> io::Result<(Flow, bool)> {
    let mut short = false;
    let flow = w.poll(pipeline, |path, change| {
        if let Change::Unreadable(e) = &change {
            short |= watched::out_of_handles(e);
        }
        note(path, change, notes);
    })?;
    Ok((flow, short || w.tail.is_parked()))
}

/// Says what happened to a followed file, as `tail -F` does.
fn note(path: &Path, change: Change, notes: &mut dyn FnMut(&str)) {
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
