//! `aegon -f FILE…`: follows files like `tail -F`, forever.
//!
//! The library's [`Tail`] does the reading; this decides when. File-system notifications on
//! the files' folders wake it at once (so an appended line is on screen within milliseconds);
//! a slow safety poll covers what notifications miss. Where notifications are unavailable (or
//! with `--poll`) it polls every [`POLL_INTERVAL`] and says so. Between wake-ups it sleeps.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use aegon::follow::{Change, Tail};
use aegon::pipeline::Pipeline;
use aegon::render::Renderer;
use notify::{RecursiveMode, Watcher};

use crate::report::warn;

/// How often files are checked when polling.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How often files are checked anyway while notifications are on (for what they miss, such as
/// a folder that did not exist when watching began).
const SAFETY_POLL: Duration = Duration::from_millis(1000);

/// How the followed files are watched.
pub struct Watching {
    /// The notification watcher, if notifications work here (kept alive while following).
    _watcher: Option<notify::RecommendedWatcher>,
    wakeups: mpsc::Receiver<notify::Result<notify::Event>>,
    interval: Duration,
}

impl Watching {
    /// Notifications on the folders of `paths` (unless `force_poll`), else polling.
    pub fn new(paths: &[PathBuf], force_poll: bool, quiet: bool) -> Self {
        let (tx, wakeups) = mpsc::channel();
        if force_poll {
            return Watching {
                _watcher: None,
                wakeups,
                interval: POLL_INTERVAL,
            };
        }
        let folders: BTreeSet<PathBuf> = paths
            .iter()
            .map(|p| match p.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
                _ => PathBuf::from("."),
            })
            .collect();
        let watcher = notify::recommended_watcher(tx).and_then(|mut w| {
            for dir in &folders {
                w.watch(dir, RecursiveMode::NonRecursive)?;
            }
            Ok(w)
        });
        match watcher {
            Ok(w) => Watching {
                _watcher: Some(w),
                wakeups,
                interval: SAFETY_POLL,
            },
            Err(e) => {
                if !quiet {
                    warn(&format!(
                        "file notifications unavailable ({e}); polling every {} ms",
                        POLL_INTERVAL.as_millis()
                    ));
                }
                let (_, wakeups) = mpsc::channel();
                Watching {
                    _watcher: None,
                    wakeups,
                    interval: POLL_INTERVAL,
                }
            }
        }
    }

    /// Sleeps until a notification of a change comes or the interval passes. Reads (aegon's
    /// own included) do not wake it, or every read would wake the next one.
    fn wait(&self) {
        let deadline = std::time::Instant::now() + self.interval;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.wakeups.recv_timeout(left) {
                Ok(Ok(event)) if matches!(event.kind, notify::EventKind::Access(_)) => {}
                Ok(_) => {
                    while self.wakeups.try_recv().is_ok() {}
                    return;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => return,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(left);
                    return;
                }
            }
        }
    }
}

/// Follows `paths` into `pipeline` until the output is closed (an error, `BrokenPipe` for a
/// closed pipe) or the renderer asks to stop.
pub fn run<R: Renderer>(
    paths: &[PathBuf],
    from_end: bool,
    force_poll: bool,
    quiet: bool,
    pipeline: &mut Pipeline<R>,
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
    let watching = Watching::new(paths, force_poll, quiet);
    for tail in &tails {
        if !tail.path().exists() && !quiet {
            warn(&format!(
                "{}: does not exist yet; waiting for it",
                tail.path().display()
            ));
        }
    }
    loop {
        for tail in &mut tails {
            let (_, flow) = tail.poll(pipeline, |path, change| note(path, change, quiet))?;
            if flow.is_break() {
                return Ok(());
            }
        }
        watching.wait();
    }
}

/// Says what happened to a followed file, as `tail -F` does.
fn note(path: &Path, change: Change, quiet: bool) {
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
    if !quiet {
        warn(&format!("{}: {what}", path.display()));
    }
}
