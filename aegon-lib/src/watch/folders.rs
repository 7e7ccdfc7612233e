//! Every transcript under folder trees, as it is written (what `aegon watch` runs).
//!
//! At start the trees are scanned (names and sizes only): transcripts changed within `--since`
//! are read from their start, in the order they were last written; the others are followed
//! from the size they have, and opened only when they change. Then notifications (recursive,
//! on each tree) say which file changed or which folder appeared, and only that is read; a
//! rescan every 30 s (at once when notify reports an overflow) catches what they miss. Where notifications fail (too
//! many watches, network file systems) or with `--poll`, the rescan runs every 500 ms, and aegon
//! says so. Quiet files are parked (their handles closed) so thousands can be followed.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use notify::RecursiveMode;

use super::notifications::{watch_changes, Notification};
use crate::follow::{Change, Tail};
use crate::pipeline::Pipeline;
use crate::render::Renderer;
use crate::tree::{is_transcript, transcripts_below};

/// Rescan interval while notifications work.
/// (A safety net: notifications miss nothing short of a queue overflow, which notify reports
/// and which rescans at once. Each rescan looks at every file, so on a tree of 10,000 files a
/// 5 s interval cost 2% CPU while idle.)
const RESCAN_WITH_NOTIFICATIONS: Duration = Duration::from_secs(30);
/// Rescan interval when polling.
const RESCAN_POLLING: Duration = Duration::from_millis(500);
/// A file unchanged this long has its handle closed.
const PARK_AFTER: Duration = Duration::from_secs(10);

/// The Claude Code folders watched by default: `projects/` and `sessions/` under each directory
/// of `CLAUDE_CONFIG_DIR` (comma-separated), else under `~/.claude`. Only those that exist.
pub fn default_roots() -> Result<Vec<PathBuf>, String> {
    let bases: Vec<PathBuf> = match std::env::var_os("CLAUDE_CONFIG_DIR") {
        Some(dirs) if !dirs.is_empty() => dirs
            .to_string_lossy()
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .collect(),
        _ => match std::env::var_os("HOME") {
            Some(home) => vec![PathBuf::from(home).join(".claude")],
            None => return Err("HOME is not set; give the folders to watch".into()),
        },
    };
    let roots: Vec<PathBuf> = bases
        .iter()
        .flat_map(|b| [b.join("projects"), b.join("sessions")])
        .filter(|d| d.is_dir())
        .collect();
    if roots.is_empty() {
        let tried: Vec<String> = bases
            .iter()
            .map(|b| b.join("projects").display().to_string())
            .collect();
        return Err(format!(
            "no Claude Code transcripts found ({} does not exist); set CLAUDE_CONFIG_DIR or give the folders to watch (aegon demo shows the dashboard on a session shipped with aegon)",
            tried.join(", ")
        ));
    }
    Ok(roots)
}

/// How [`watch_folders`] watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderOptions {
    /// Transcripts changed within this long are read from their start (`None`: all of
    /// them); the others only from what is written next.
    pub since: Option<Duration>,
    /// Rescan every 500 ms instead of using notifications (network file systems).
    pub poll: bool,
}

/// What is known of one watched transcript.
struct Watched {
    tail: Tail,
    /// Size and modification time at the last look, to see whether it changed.
    seen: (u64, Option<SystemTime>),
    last_change: Instant,
}

/// Watches `roots` into `pipeline` until the output is closed or the renderer stops;
/// `history_read` is called once the recent history has been read. Files that cannot be read
/// and a fallback to polling are told to `notes`.
pub fn watch_folders<R: Renderer>(
    roots: &[PathBuf],
    options: FolderOptions,
    pipeline: &mut Pipeline<R>,
    notes: &mut dyn FnMut(&str),
    history_read: impl FnOnce(),
) -> io::Result<()> {
    let FolderOptions {
        since,
        poll: force_poll,
    } = options;
    let mut watcher = None;
    // No sender while polling: waiting is sleeping.
    let mut rx = mpsc::channel().1;
    if !force_poll {
        match watch_changes(roots.iter().map(PathBuf::as_path), RecursiveMode::Recursive) {
            Ok((w, changes)) => {
                watcher = Some(w);
                rx = changes;
            }
            Err(e) => notes(&format!(
                "file notifications unavailable ({e}); rescanning every {} ms",
                RESCAN_POLLING.as_millis()
            )),
        }
    }
    let rescan_every = if watcher.is_some() {
        RESCAN_WITH_NOTIFICATIONS
    } else {
        RESCAN_POLLING
    };

    let mut files: BTreeMap<PathBuf, Watched> = BTreeMap::new();
    let now = SystemTime::now();
    let mut history: Vec<(Option<SystemTime>, PathBuf)> = Vec::new();
    // The first scan says what cannot be read (later rescans stay quiet about it).
    let first_scan = scan(roots, &mut |path, e| {
        notes(&format!("{}: {e}", path.display()))
    });
    for path in first_scan {
        let meta = std::fs::metadata(&path).ok();
        let size = meta.as_ref().map_or(0, |m| m.len());
        let modified = meta.as_ref().and_then(|m| m.modified().ok());
        let recent = match (since, modified) {
            (None, _) => true,
            (Some(window), Some(m)) => now.duration_since(m).map_or(true, |age| age <= window),
            (Some(_), None) => false,
        };
        let tail = Tail::new(&path, path.display().to_string());
        let tail = if recent { tail } else { tail.from_size(size) };
        if recent {
            history.push((modified, path.clone()));
        }
        files.insert(
            path,
            Watched {
                tail,
                seen: (size, modified),
                last_change: Instant::now(),
            },
        );
    }
    // Recent history first, oldest first, so the stream reads in time order.
    history.sort();
    for (_, path) in &history {
        if let Some(w) = files.get_mut(path) {
            if poll(w, pipeline, notes)?.is_break() {
                return Ok(());
            }
            w.tail.park();
        }
    }
    pipeline.renderer().flush()?;
    history_read();

    let mut last_rescan = Instant::now();
    loop {
        let timeout = rescan_every.saturating_sub(last_rescan.elapsed());
        let mut changed: Vec<PathBuf> = Vec::new();
        let mut rescan_now = false;
        match rx.recv_timeout(timeout) {
            Ok(event) => {
                rescan_now |= collect_paths(event, &mut changed);
                while let Ok(event) = rx.try_recv() {
                    rescan_now |= collect_paths(event, &mut changed);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => std::thread::sleep(timeout),
        }
        changed.sort();
        changed.dedup();
        for path in changed {
            if path.is_dir() {
                // A new folder (a session's subagents/): what is already in it is new too.
                for file in scan(&[path], &mut |_, _| {}) {
                    if add_new(&mut files, &file) && poll_path(&mut files, &file, pipeline, notes)?
                    {
                        return Ok(());
                    }
                }
            } else if is_transcript(&path) {
                add_new(&mut files, &path);
                if poll_path(&mut files, &path, pipeline, notes)? {
                    return Ok(());
                }
            }
        }
        if rescan_now || last_rescan.elapsed() >= rescan_every {
            last_rescan = Instant::now();
            for file in scan(roots, &mut |_, _| {}) {
                add_new(&mut files, &file);
            }
            let stale: Vec<PathBuf> = files
                .iter()
                .filter(|(path, w)| current_look(path) != w.seen)
                .map(|(path, _)| path.clone())
                .collect();
            for path in stale {
                if poll_path(&mut files, &path, pipeline, notes)? {
                    return Ok(());
                }
            }
            for w in files.values_mut() {
                if w.last_change.elapsed() >= PARK_AFTER {
                    w.tail.park();
                }
            }
        }
    }
}

/// Every transcript below `roots`; `problem` hears what cannot be read (only the first scan
/// reports it: rescans, which look every 30 s, pass a no-op).
fn scan(roots: &[PathBuf], problem: &mut dyn FnMut(&Path, &io::Error)) -> Vec<PathBuf> {
    roots
        .iter()
        .flat_map(|root| transcripts_below(root, &mut *problem))
        .collect()
}

/// Starts following a file first seen now (created after watching began): from its start.
/// Returns whether it was new.
fn add_new(files: &mut BTreeMap<PathBuf, Watched>, path: &Path) -> bool {
    if files.contains_key(path) {
        return false;
    }
    files.insert(
        path.to_path_buf(),
        Watched {
            tail: Tail::new(path, path.display().to_string()),
            seen: (0, None),
            last_change: Instant::now(),
        },
    );
    true
}

fn current_look(path: &Path) -> (u64, Option<SystemTime>) {
    std::fs::metadata(path).map_or((0, None), |m| (m.len(), m.modified().ok()))
}

/// Polls one file if it is watched; returns whether to stop.
fn poll_path<R: Renderer>(
    files: &mut BTreeMap<PathBuf, Watched>,
    path: &Path,
    pipeline: &mut Pipeline<R>,
    notes: &mut dyn FnMut(&str),
) -> io::Result<bool> {
    match files.get_mut(path) {
        Some(w) => Ok(poll(w, pipeline, notes)?.is_break()),
        None => Ok(false),
    }
}

fn poll<R: Renderer>(
    w: &mut Watched,
    pipeline: &mut Pipeline<R>,
    notes: &mut dyn FnMut(&str),
) -> io::Result<crate::render::Flow> {
    let (read, flow) = w
        .tail
        .poll(pipeline, |path, change| note(path, change, notes))?;
    w.seen = current_look(w.tail.path());
    if read > 0 {
        w.last_change = Instant::now();
    }
    Ok(flow)
}

/// Adds the paths a notification names; returns whether everything should be looked at again.
fn collect_paths(notification: Notification, into: &mut Vec<PathBuf>) -> bool {
    match notification {
        Ok(event) => {
            let rescan = event.need_rescan();
            into.extend(event.paths);
            rescan
        }
        // The watcher lost track (an overflow, a watch removed): look at everything.
        Err(_) => true,
    }
}

/// Says what happened to a watched file (removals are normal here: not reported).
fn note(path: &Path, change: Change, notes: &mut dyn FnMut(&str)) {
    let what = match change {
        Change::Truncated { .. } => "truncated; reading from the start".to_owned(),
        Change::Unreadable(e) => e.to_string(),
        Change::Opened { .. } | Change::Replaced | Change::Vanished => return,
    };
    notes(&format!("{}: {what}", path.display()));
}
