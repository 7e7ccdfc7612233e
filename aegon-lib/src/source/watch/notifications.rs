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
    Ok((watch_changes_into(tx, dirs, mode)?, rx))
}

/// Like [`watch_changes`], sending the changes to `tx` (so that more watchers can share one
/// receiver). A recursive watch leaves out the folders that cannot be read ([`watch_tree`]).
pub fn watch_changes_into<'a>(
    tx: mpsc::Sender<Notification>,
    dirs: impl IntoIterator<Item = &'a Path>,
    mode: RecursiveMode,
) -> notify::Result<notify::RecommendedWatcher> {
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
        match mode {
            RecursiveMode::Recursive => watch_tree(&mut watcher, dir)?,
            RecursiveMode::NonRecursive => watcher.watch(dir, mode)?,
        }
    }
    Ok(watcher)
}

/// Asks `watcher` about the tree at `dir`, recursively. Where a folder in it cannot be watched
/// because it cannot be read (inotify refuses it, and notify then refuses the whole tree) or
/// has just gone, the rest of the tree is still watched: each folder on the way to it alone,
/// each other subtree recursively, the folder itself left out (aegon's folder walk reports an
/// unreadable folder once; the rescan reads what it can). Links to folders are not followed
/// here (aegon watches them by their real paths). Errors: `dir` itself cannot be watched, or
/// a folder in it fails for another reason (too many watches: notifications are no use then).
pub fn watch_tree(watcher: &mut impl Watcher, dir: &Path) -> notify::Result<()> {
    let Err(e) = watcher.watch(dir, RecursiveMode::Recursive) else {
        return Ok(());
    };
    if !can_be_left_out(&e) {
        return Err(e);
    }
    // Watched alone (new folders in it are then not watched by notify: `aegon watch` asks
    // about each new folder itself).
    watcher.watch(dir, RecursiveMode::NonRecursive)?;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            match watch_tree(watcher, &entry.path()) {
                Err(e) if !can_be_left_out(&e) => return Err(e),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Whether a folder whose watch failed with `e` is left out, the rest of its tree still
/// watched: it cannot be read, or it is gone.
fn can_be_left_out(e: &notify::Error) -> bool {
    match &e.kind {
        notify::ErrorKind::Io(io) => matches!(
            io.kind(),
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::NotFound
        ),
        notify::ErrorKind::PathNotFound => true,
        _ => false,
    }
}

/// A watcher on each of `dirs` alone (not their trees) that only wakes the receiver of `tx`:
/// each change there is sent as an event of kind `Other` that names no path. `aegon watch`
/// watches the parent of a folder that does not exist yet this way, so it looks again when
/// the folder may have appeared, while what else changes beside it reads nothing.
pub fn wake_on_changes<'a>(
    tx: mpsc::Sender<Notification>,
    dirs: impl IntoIterator<Item = &'a Path>,
) -> notify::Result<notify::RecommendedWatcher> {
    let handler = move |n: Notification| {
        if matches!(&n, Ok(e) if !matches!(e.kind, notify::EventKind::Access(_))) {
            let _ = tx.send(Ok(notify::Event::new(notify::EventKind::Other)));
        }
    };
    let config = Config::default().with_follow_symlinks(false);
    let mut watcher = notify::RecommendedWatcher::new(handler, config)?;
    for dir in dirs {
        watcher.watch(dir, RecursiveMode::NonRecursive)?;
    }
    Ok(watcher)
}
