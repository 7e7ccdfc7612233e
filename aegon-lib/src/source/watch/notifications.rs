//! File-system notifications of changes, shared by `aegon -f` and `aegon watch`.
//!
//! Opening and reading a file is a notification too (inotify reports both), and aegon's own
//! reads would wake it to read again, forever. Such access events are dropped here, where they
//! arrive, so the drivers only ever see changes: writes, creations, removals, renames (and
//! the watcher's own errors, which are worth a look at the files).
//!
//! Recursive watches do not follow symbolic links (notify's default does, with its own loop
//! rules and on some platforms only): `aegon watch` asks separately about each folder its walk
//! reached through a link ([`crate::source::tree`] decides what is followed, and loops are not).

use std::path::Path;
use std::sync::mpsc;

use notify::{Config, RecursiveMode, Watcher};

/// What the drivers receive.
pub type Notification = notify::Result<notify::Event>;

/// A watcher on `dirs` (kept alive while notifications are wanted) and the changes it sends.
pub fn watch_changes<'a>(
    dirs: impl IntoIterator<Item = &'a Path>,
    mode: RecursiveMode,
) -> notify::Result<(notify::RecommendedWatcher, mpsc::Receiver<Notification>)> {
    let (tx, rx) = mpsc::channel();
    let handler = move |n: Notification| {
        let access = matches!(&n, Ok(e) if matches!(e.kind, notify::EventKind::Access(_)));
        if !access {
            // The receiver is gone only when aegon is ending.
            let _ = tx.send(n);
        }
    };
    let config = Config::default().with_follow_symlinks(false);
    let mut watcher = notify::RecommendedWatcher::new(handler, config)?;
    for dir in dirs {
        watcher.watch(dir, mode)?;
    }
    Ok((watcher, rx))
}
