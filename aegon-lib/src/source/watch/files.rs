//! Following files like `tail -F`, forever (what `aegon -f FILE…` runs).
//!
//! [`Tail`] does the reading; this decides when. File-system notifications on
//! the files' folders wake it at once (so an appended line is on screen within milliseconds);
//! a slow safety poll covers what notifications miss. Where notifications are unavailable (or
//! with `--poll`) it polls every [`POLL_INTERVAL`] and says so. Between wake-ups it sleeps.
//! A file named through a symbolic link is written in its real folder, so that folder is
//! watched too (else a linked file woke aegon only at the safety poll).

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::RecursiveMode;

use super::notifications::{watch_changes, Notification};
use crate::pipeline::Pipeline;
use crate::render::Renderer;
use crate::source::follow::{Change, Tail};

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
    let mut tails: Vec<Tail> = paths
        .iter()
        .map(|p| {
            let tail = Tail::new(p, p.display().to_string());
            if from_end {
                tail.from_end()
            } else {
                tail
            }
        })
        .collect();
    let watching = Watching::new(paths, force_poll, notes);
    for tail in &tails {
        if !tail.path().exists() {
            notes(&format!(
                "{}: does not exist yet; waiting for it",
                tail.path().display()
            ));
        }
    }
    loop {
        for tail in &mut tails {
            let (_, flow) = tail.poll(pipeline, |path, change| note(path, change, notes))?;
            if flow.is_break() {
                return Ok(());
            }
        }
        watching.wait();
    }
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
        Change::Vanished => "removed; waiting for it to come back".to_owned(),
        Change::Unreadable(e) => e.to_string(),
    };
    notes(&format!("{}: {what}", path.display()));
}
