//! Every transcript under folder trees, as it is written (what `aegon watch` runs).
//!
//! At start the trees are scanned (names and sizes only): transcripts changed within `--since`
//! are read from their start, session by session where their entries first occurred (the
//! [`super::resumed`] module: the older files of their projects read quietly among them, so a
//! resumed session's copied lines count with the session they come from); the others are
//! followed from the size they have, and opened only when they change (a file that appears
//! later has the unread files of its project read quietly first). Then notifications (recursive,
//! on each tree) say which file changed or which folder appeared, and only that is read; a
//! rescan every 30 s (at once when notify reports an overflow) catches what they miss. Where notifications fail (too
//! many watches, network file systems) or with `--poll`, the rescan runs every 500 ms, and aegon
//! says so. A folder that cannot be read is left out of the notifications (the walk reports it
//! once), the rest of its tree keeps them. Quiet files are parked (their handles closed) so
//! thousands can be followed; a file that cannot be opened for want of file handles has every
//! handle that can be given back first, is read at once, and is said on stderr if it still
//! cannot be (tried again at each look).
//!
//! A root that does not exist yet (an agent's folder, created when that agent first runs) is
//! waited for: its nearest existing parent is watched alone (not its tree), and each change
//! there only makes aegon look whether the root has appeared (also at each rescan); once it
//! has, its tree is watched and what is in it read from its start, as a new folder is.
//!
//! Symbolic links to folders and files are followed as [`crate::source::tree`] walks them (each real
//! file once, loops reported and not followed). Notifications do not follow links (aegon asks
//! notify not to, so that loops stay under the walk's control), so each folder the walk reached
//! through a link is watched too, by its real path, and what notifications name there is named
//! back by the link's path; a link that appears later is watched when it appears (one to a
//! folder that contains it is reported as a loop). A watched file is known by its real file
//! ([`FileId`]), not only by its path: a notification that names it by another path (through a
//! link, or absolute where the folder was given relative) reads the same file on, never again
//! from its start.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use notify::RecursiveMode;

use super::notifications::{wake_on_changes, watch_changes_into, watch_tree, Notification};
use super::resumed::{count_quietly, history_steps, project_of, Step, Unread};
use super::watched::Watched;
use crate::pipeline::Pipeline;
use crate::render::Renderer;
use crate::source::follow::{Change, Tail};
use crate::source::tree::{is_transcript, FileId, Found, Walker};

/// Rescan interval while notifications work.
/// (A safety net: notifications miss nothing short of a queue overflow, which notify reports
/// and which rescans at once. Each rescan looks at every file, so on a tree of 10,000 files a
/// 5 s interval cost 2% CPU while idle.)
const RESCAN_WITH_NOTIFICATIONS: Duration = Duration::from_secs(30);
/// Rescan interval when polling.
const RESCAN_POLLING: Duration = Duration::from_millis(500);

/// The folders read by default: Claude Code's (`projects/` and `sessions/` under each
/// directory of `CLAUDE_CONFIG_DIR`, comma-separated, a leading `~/` being the home folder as
/// the shell does not expand it after a comma; else under `~/.claude`), then other agents'
/// ([`other_agent_roots`]). Only those that exist (symbolic links followed), each real folder
/// once.
///
/// Errors: a sentence saying which folders were tried, when none exists (or `HOME` is unset).
pub fn default_roots() -> Result<Vec<PathBuf>, String> {
    let (candidates, tried) = candidate_roots()?;
    let mut seen = BTreeSet::new();
    let roots: Vec<PathBuf> = candidates
        .into_iter()
        .filter(|d| d.is_dir())
        .filter(|d| FileId::of(d).map_or(true, |id| seen.insert(id)))
        .collect();
    if roots.is_empty() {
        return Err(format!(
            "no transcripts found (none of {} exists); set CLAUDE_CONFIG_DIR or give the folders to read (aegon demo shows the dashboard on a session shipped with aegon)",
            tried.join(", ")
        ));
    }
    Ok(roots)
}

/// [`default_roots`], then the default folders that do not exist yet (an agent installed, or
/// first run, after aegon started creates its folder): what `aegon watch` watches.
/// [`watch_folders`] watches the nearest existing parent of each missing one and reads it
/// once it appears. Errors as [`default_roots`] does, when none exists.
pub fn default_roots_to_watch() -> Result<Vec<PathBuf>, String> {
    let mut roots = default_roots()?;
    let (candidates, _) = candidate_roots()?;
    for d in candidates {
        if !d.exists() && !roots.contains(&d) {
            roots.push(d);
        }
    }
    Ok(roots)
}

/// Every default folder, whether or not it exists, in [`default_roots`]' order: where an index
/// may hold history of transcripts whose folder is gone (`aegon usage` reports it). Errors
/// when `HOME` is not set and `CLAUDE_CONFIG_DIR` names nothing.
pub fn default_root_candidates() -> Result<Vec<PathBuf>, String> {
    Ok(candidate_roots()?.0)
}

/// Claude Code's configuration folders, whether or not they exist: each directory of
/// `CLAUDE_CONFIG_DIR` (comma-separated, a leading `~/` being the home folder, as the shell
/// does not expand it after a comma), else `~/.claude` and `$XDG_CONFIG_HOME/claude`
/// (`~/.config/claude` when `XDG_CONFIG_HOME` is unset or empty), the folder Claude Code
/// 1.0.30 and later may write instead (ccusage's guide, "Directory detection": "new default
/// location (Claude Code v1.0.30+)"; ccusage reads both and adds them up). The one place
/// every default folder comes from ([`default_roots`], [`default_root_candidates`]): a
/// missing one is left out where folders are read, and one that leads to the same folder as
/// the other (a link) is read once. One account's (its login, its
/// 5-hour window: shared/usage-over-time.md §2.4) when Claude Code runs with it: its
/// transcripts are below `projects/` and `sessions/` there ([`default_roots`]), and the
/// official limit readings its status line records are that account's.
///
/// Errors when `HOME` is not set and `CLAUDE_CONFIG_DIR` names nothing.
pub fn claude_config_dirs() -> Result<Vec<PathBuf>, String> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    Ok(match std::env::var_os("CLAUDE_CONFIG_DIR") {
        Some(dirs) if !dirs.is_empty() => dirs
            .to_string_lossy()
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| match (d.strip_prefix("~/"), &home) {
                (Some(rest), Some(home)) => home.join(rest),
                _ if d == "~" => home.clone().unwrap_or_else(|| PathBuf::from(d)),
                _ => PathBuf::from(d),
            })
            .collect(),
        _ => {
            let xdg = std::env::var_os("XDG_CONFIG_HOME")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from);
            match (&home, xdg) {
                (Some(home), xdg) => vec![
                    home.join(".claude"),
                    xdg.unwrap_or_else(|| home.join(".config")).join("claude"),
                ],
                (None, Some(xdg)) => vec![xdg.join("claude")],
                (None, None) => return Err("HOME is not set; give the folders to read".into()),
            }
        }
    })
}

/// Every default folder, whether or not it exists, in [`default_roots`]' order, and the ones
/// named when none exists.
fn candidate_roots() -> Result<(Vec<PathBuf>, Vec<String>), String> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let bases = claude_config_dirs()?;
    let env = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let others = other_agent_roots(home.as_deref(), &env);
    let tried: Vec<String> = bases
        .iter()
        .map(|b| b.join("projects").display().to_string())
        .chain(others.iter().map(|(_, p)| p.display().to_string()))
        .collect();
    let candidates = bases
        .iter()
        .flat_map(|b| [b.join("projects"), b.join("sessions")])
        .chain(others.into_iter().map(|(_, p)| p))
        .collect();
    Ok((candidates, tried))
}

/// Other agents' session folders, whether or not they exist, in this order:
///
/// | agent | folder |
/// |---|---|
/// | Codex CLI | `$CODEX_HOME/sessions`, else `~/.codex/sessions` |
/// | Gemini CLI | `~/.gemini/tmp` (chats below `<project>/chats/`) |
/// | OpenCode | `$XDG_DATA_HOME/opencode/storage` and `…/opencode/project` (the older per-project layout), else under `~/.local/share` |
/// | Copilot CLI | `~/.copilot/session-state` |
/// | Qwen Code | `~/.qwen/projects` |
///
/// `env` reads an environment variable (empty counts as unset); `home` is the home folder.
pub fn other_agent_roots(
    home: Option<&std::path::Path>,
    env: &dyn Fn(&str) -> Option<PathBuf>,
) -> Vec<(crate::event::Agent, PathBuf)> {
    use crate::event::Agent;
    let mut roots = Vec::new();
    let under_home = |rel: &str| home.map(|h| h.join(rel));
    if let Some(codex) = env("CODEX_HOME").or_else(|| under_home(".codex")) {
        roots.push((Agent::Codex, codex.join("sessions")));
    }
    if let Some(gemini) = under_home(".gemini/tmp") {
        roots.push((Agent::GeminiCli, gemini));
    }
    if let Some(data) = env("XDG_DATA_HOME").or_else(|| under_home(".local/share")) {
        roots.push((Agent::OpenCode, data.join("opencode/storage")));
        roots.push((Agent::OpenCode, data.join("opencode/project")));
    }
    if let Some(copilot) = under_home(".copilot/session-state") {
        roots.push((Agent::CopilotCli, copilot));
    }
    if let Some(qwen) = under_home(".qwen/projects") {
        roots.push((Agent::QwenCode, qwen));
    }
    roots
}

/// How [`watch_folders`] watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderOptions {
    /// Transcripts changed within this long are read from their start (`None`: all of
    /// them); the others only from what is written next.
    pub since: Option<Duration>,
    /// Rescan every 500 ms instead of using notifications (network file systems).
    pub poll: bool,
    /// Say when a watched file is renamed away or removed, or replaced, as
    /// [`follow_files`](super::follow_files) says it (what `aegon -f FOLDER` does, as `-f FILE`
    /// does). `aegon watch` does not: Claude Code deletes its old transcripts, normal there.
    pub removals: bool,
}

/// The watched transcripts, by the path they are read by, and which path each real file is
/// read by (so that another path to it reads it on, not again).
#[derive(Default)]
struct Files {
    by_path: BTreeMap<PathBuf, Watched>,
    by_id: HashMap<FileId, PathBuf>,
}

impl Files {
    /// The path the file at `path` (whose real file is `id`, if known) is read by: `path`
    /// itself, or another path to the same file, which is checked to still be that file (an
    /// inode is reused once its file is deleted).
    fn read_as(&self, path: &Path, id: Option<&FileId>) -> Option<PathBuf> {
        if self.by_path.contains_key(path) {
            return Some(path.to_path_buf());
        }
        let other = self.by_id.get(id?)?;
        (FileId::of(other).ok().as_ref() == id).then(|| other.clone())
    }

    /// Starts following `path` with `tail`; `id` is its real file, if known.
    fn insert(
        &mut self,
        path: PathBuf,
        id: Option<FileId>,
        tail: Tail,
        seen: (u64, Option<SystemTime>),
    ) {
        if let Some(id) = id {
            self.by_id.insert(id, path.clone());
        }
        self.by_path.insert(path, Watched::new(tail, seen));
    }

    /// The path to read for a transcript named now (by a notification or a rescan): the one
    /// its real file is read by, or `path`, followed from now on from its start when it is new
    /// (then with `true`); `None` when it is neither watched nor there (a removal).
    fn add_new(&mut self, path: &Path, id: Option<FileId>) -> Option<(PathBuf, bool)> {
        let id = id.or_else(|| FileId::of(path).ok());
        if let Some(known) = self.read_as(path, id.as_ref()) {
            return Some((known, false));
        }
        id.as_ref()?;
        let tail = Tail::new(path, path.display().to_string());
        self.insert(path.to_path_buf(), id, tail, (0, None));
        Some((path.to_path_buf(), true))
    }
}

/// The folders notifications are asked about besides the roots: those reached through links,
/// watched by their real paths (notify does not descend into a link), whose notifications are
/// named back by the links' paths.
#[derive(Default)]
struct LinkWatches {
    /// The link paths watched or found to loop (each looked at once).
    seen: BTreeSet<PathBuf>,
    /// Real folder → the link path its files are read by.
    targets: Vec<(PathBuf, PathBuf)>,
}

impl LinkWatches {
    /// Asks `watcher` (if notifications work) about each folder reached through a link.
    fn add(
        &mut self,
        watcher: &mut Option<notify::RecommendedWatcher>,
        links: &[PathBuf],
        notes: &mut dyn FnMut(&str),
    ) {
        let Some(watcher) = watcher else { return };
        for link in links {
            if !self.seen.insert(link.clone()) {
                continue;
            }
            let watched = std::fs::canonicalize(link)
                .map_err(notify::Error::io)
                .and_then(|real| {
                    watch_tree(watcher, &real)?;
                    Ok(real)
                });
            match watched {
                Ok(real) => self.targets.push((real, link.clone())),
                Err(e) => notes(&format!(
                    "{}: no file notifications for this linked folder ({e}); a rescan every {} s finds its changes",
                    link.display(),
                    RESCAN_WITH_NOTIFICATIONS.as_secs()
                )),
            }
        }
    }

    /// `path` (from a notification) by the link it was reached through, if it is in a linked
    /// folder (the innermost, should one be inside another).
    fn as_walked(&self, path: &Path) -> Option<PathBuf> {
        self.targets
            .iter()
            .filter_map(|(real, link)| {
                let rest = path.strip_prefix(real).ok()?;
                Some((real.as_os_str().len(), link.join(rest)))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, walked)| walked)
    }
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
        removals,
    } = options;
    // Roots that do not exist yet are looked for at each wake-up, woken by a watch on their
    // nearest existing parent, and read from their start once they appear.
    let (mut roots, mut pending): (Vec<PathBuf>, Vec<PathBuf>) =
        roots.iter().cloned().partition(|r| r.exists());
    let mut watcher = None;
    // No sender while polling: waiting is sleeping.
    let (tx, changes) = mpsc::channel();
    let mut rx = mpsc::channel().1;
    if !force_poll {
        match watch_changes_into(
            tx.clone(),
            roots.iter().map(PathBuf::as_path),
            RecursiveMode::Recursive,
        ) {
            Ok(w) => {
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

    let mut files = Files::default();
    let mut links = LinkWatches::default();
    let now = SystemTime::now();
    let mut history: Vec<(Option<SystemTime>, PathBuf)> = Vec::new();
    let mut unread = Unread::default();
    // The first scan says what cannot be read (later rescans stay quiet about it).
    let first_scan = scan(&roots, &mut |path, e| {
        notes(&format!("{}: {e}", path.display()))
    });
    links.add(&mut watcher, &first_scan.linked_folders, notes);
    for found in first_scan.transcripts {
        let path = found.path;
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
        } else if let Some(project) = project_of(&path, &roots) {
            unread.add(project, path.clone(), size, found.id.clone());
        }
        files.insert(path, Some(found.id), tail, (size, modified));
    }
    // Recent history first, each session where its entries first occurred (the older files
    // of its project read quietly among them), so the stream reads about in time order.
    history.sort();
    for step in history_steps(&history, &mut unread, &roots, *pipeline.options()) {
        let path = match step {
            Step::Quiet(ids, responses) => {
                pipeline.correlator_mut().count_elsewhere(ids, responses);
                continue;
            }
            Step::Read(path) => path,
        };
        if poll_path(&mut files, Some(path.clone()), pipeline, notes, removals)? {
            return Ok(());
        }
        if let Some(w) = files.by_path.get_mut(&path) {
            w.tail.park();
        }
    }
    pipeline.renderer().flush()?;
    history_read();

    // notify names what changed by absolute paths: give them back as the roots were given.
    let given: Vec<(PathBuf, PathBuf)> = match std::env::current_dir() {
        Ok(cwd) => roots
            .iter()
            .chain(&pending)
            .filter(|r| r.is_relative())
            .map(|r| (cwd.join(r), r.clone()))
            .collect(),
        Err(_) => Vec::new(),
    };
    // The parents watched for the pending roots, and their watcher (none while polling).
    let mut parents: BTreeSet<PathBuf> = BTreeSet::new();
    let mut parent_watcher = None;
    let mut last_rescan = Instant::now();
    loop {
        if !pending.is_empty() {
            let (appeared, missing): (Vec<PathBuf>, Vec<PathBuf>) =
                pending.drain(..).partition(|r| r.is_dir());
            pending = missing;
            for root in appeared {
                if let Some(w) = watcher.as_mut() {
                    if let Err(e) = watch_tree(w, &root) {
                        notes(&format!("{}: not watched ({e})", root.display()));
                    }
                }
                let found = scan(std::slice::from_ref(&root), &mut |_, _| {});
                links.add(&mut watcher, &found.linked_folders, notes);
                roots.push(root);
                for t in found.transcripts {
                    let read_as = files.add_new(&t.path, Some(t.id));
                    let read_as = first_read(read_as, &roots, &mut unread, pipeline);
                    if poll_path(&mut files, read_as, pipeline, notes, removals)? {
                        return Ok(());
                    }
                }
            }
            if watcher.is_some() {
                let wanted: BTreeSet<PathBuf> = pending
                    .iter()
                    .filter_map(|r| r.ancestors().skip(1).find(|a| a.is_dir()))
                    .map(Path::to_path_buf)
                    .collect();
                if wanted != parents {
                    // Woken by what changes in each parent, a folder there appearing included.
                    parent_watcher =
                        wake_on_changes(tx.clone(), wanted.iter().map(PathBuf::as_path)).ok();
                    parents = wanted;
                    // What appeared in a new parent before its watch began sends nothing:
                    // look again now (`mkdir -p` makes the whole chain at once).
                    continue;
                }
            }
        }
        if pending.is_empty() && parent_watcher.is_some() {
            parent_watcher = None;
            parents.clear();
        }
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
        for path in &mut changed {
            let walked = links.as_walked(path).or_else(|| {
                given
                    .iter()
                    .find_map(|(abs, root)| path.strip_prefix(abs).ok().map(|rest| root.join(rest)))
            });
            if let Some(walked) = walked {
                *path = walked;
            }
        }
        changed.sort();
        changed.dedup();
        for path in changed {
            if path.is_dir() {
                // A new folder (a session's subagents/, a link to a project kept elsewhere):
                // what is already in it is new too.
                if let Some(loop_note) = links_to_its_own_folder(&path) {
                    if links.seen.insert(path.clone()) {
                        notes(&loop_note);
                    }
                    continue;
                }
                // Watched before it is listed: what is written in it from then on is
                // notified, what was there before is listed. (Listed first, a file written
                // between the listing and the watch was in neither, until the rescan 30 s on:
                // notify adds its own watch of a new folder only after handing on the batch
                // of notifications that named it.)
                if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                    links.add(&mut watcher, std::slice::from_ref(&path), notes);
                } else if let Some(w) = watcher.as_mut() {
                    // Watched already when its parent's watch is recursive and notify got
                    // there first; not when the parent is watched alone, around a folder
                    // that cannot be read.
                    let _ = watch_tree(w, &path);
                }
                let found = scan(std::slice::from_ref(&path), &mut |_, _| {});
                links.add(&mut watcher, &found.linked_folders, notes);
                for t in found.transcripts {
                    let read_as = files.add_new(&t.path, Some(t.id));
                    let read_as = first_read(read_as, &roots, &mut unread, pipeline);
                    if poll_path(&mut files, read_as, pipeline, notes, removals)? {
                        return Ok(());
                    }
                }
            } else if is_transcript(&path) {
                let read_as = files.add_new(&path, None);
                let read_as = first_read(read_as, &roots, &mut unread, pipeline);
                if poll_path(&mut files, read_as, pipeline, notes, removals)? {
                    return Ok(());
                }
            }
        }
        if rescan_now || last_rescan.elapsed() >= rescan_every {
            last_rescan = Instant::now();
            let found = scan(&roots, &mut |_, _| {});
            links.add(&mut watcher, &found.linked_folders, notes);
            for t in found.transcripts {
                let read_as = files.add_new(&t.path, Some(t.id));
                first_read(read_as, &roots, &mut unread, pipeline);
            }
            let stale: Vec<PathBuf> = files
                .by_path
                .iter()
                .filter(|(_, w)| w.changed())
                .map(|(path, _)| path.clone())
                .collect();
            for path in stale {
                if poll_path(&mut files, Some(path), pipeline, notes, removals)? {
                    return Ok(());
                }
            }
            for w in files.by_path.values_mut() {
                w.park_if_quiet();
            }
        }
    }
}

/// Every transcript below `roots`, each real file once, and the links to folders followed;
/// `problem` hears what cannot be read (only the first scan reports it: rescans, which look
/// every 30 s, pass a no-op).
fn scan(roots: &[PathBuf], problem: &mut dyn FnMut(&Path, &io::Error)) -> Found {
    let mut walker = Walker::default();
    let mut all = Found::default();
    for root in roots {
        let found = walker.walk(root, problem);
        all.transcripts.extend(found.transcripts);
        all.linked_folders.extend(found.linked_folders);
        all.repeated += found.repeated;
    }
    all
}

/// A note when `path` is a symbolic link to a folder that contains it (a loop: not followed).
fn links_to_its_own_folder(path: &Path) -> Option<String> {
    let is_link = std::fs::symlink_metadata(path)
        .ok()?
        .file_type()
        .is_symlink();
    if !is_link {
        return None;
    }
    let target = FileId::of(path).ok()?;
    let parent = std::fs::canonicalize(path.parent()?).ok()?;
    parent
        .ancestors()
        .any(|a| FileId::of(a).ok().as_ref() == Some(&target))
        .then(|| {
            format!(
                "{}: a symbolic link to a folder that contains it (a loop); not followed",
                path.display()
            )
        })
}

/// `read_as` (from [`Files::add_new`]) as the path to poll; when it is new (read from its
/// start), the unread files of its project are read quietly first (`resumed` module docs).
fn first_read<R: Renderer>(
    read_as: Option<(PathBuf, bool)>,
    roots: &[PathBuf],
    unread: &mut Unread,
    pipeline: &mut Pipeline<R>,
) -> Option<PathBuf> {
    let (path, new) = read_as?;
    if let Some(project) = new.then(|| project_of(&path, roots)).flatten() {
        count_quietly(&unread.take(&project), pipeline);
    }
    Some(path)
}

/// Polls one file if it is watched; returns whether to stop. `removals`: say a file renamed
/// away, removed or replaced ([`FolderOptions::removals`]).
/// Polls the file at `path` (one not followed is left alone); returns whether to stop. A file
/// that could not be opened for want of file handles has every handle that can be given back
/// (each file is opened again when it changes) and is read again at once; one that still
/// cannot be is said (once) and tried again at each look (tester15 #7: past the open-file
/// limit, files stopped being read, silently, until a rescan a minute later).
fn poll_path<R: Renderer>(
    files: &mut Files,
    path: Option<PathBuf>,
    pipeline: &mut Pipeline<R>,
    notes: &mut dyn FnMut(&str),
    removals: bool,
) -> io::Result<bool> {
    let Some(path) = path else {
        return Ok(false);
    };
    let Some(w) = files.by_path.get_mut(&path) else {
        return Ok(false);
    };
    let (flow, short) = poll(w, pipeline, notes, removals)?;
    if flow.is_break() || !short {
        return Ok(flow.is_break());
    }
    for other in files.by_path.values_mut() {
        other.tail.park();
    }
    let Some(w) = files.by_path.get_mut(&path) else {
        return Ok(false);
    };
    let (flow, short) = poll(w, pipeline, notes, removals)?;
    if short {
        w.say_out_of_handles(notes);
    }
    Ok(flow.is_break())
}

fn poll<R: Renderer>(
    w: &mut Watched,
    pipeline: &mut Pipeline<R>,
    notes: &mut dyn FnMut(&str),
    removals: bool,
) -> io::Result<(crate::render::Flow, bool)> {
    w.poll(pipeline, |path, change| match change {
        Change::Replaced | Change::Vanished if removals => super::files::note(path, change, notes),
        _ => note(path, change, notes),
    })
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

/// Says what happened to a watched file (removals are normal here: not reported, unless
/// [`FolderOptions::removals`] asks).
fn note(path: &Path, change: Change, notes: &mut dyn FnMut(&str)) {
    let what = match change {
        Change::Truncated { .. } => "truncated; reading from the start".to_owned(),
        // A failed read names the path (and where) itself.
        Change::Unreadable(e) if crate::source::InputError::of(&e).is_some() => {
            return notes(&e.to_string())
        }
        Change::Unreadable(e) => e.to_string(),
        Change::Opened { .. } | Change::Replaced | Change::Vanished => return,
    };
    notes(&format!("{}: {what}", path.display()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Agent;
    use std::path::Path;

    #[test]
    fn other_agents_folders_follow_their_environment_variables() {
        let home = Path::new("/home/u");
        let none = |_: &str| None;
        let roots = other_agent_roots(Some(home), &none);
        let expect = [
            (Agent::Codex, "/home/u/.codex/sessions"),
            (Agent::GeminiCli, "/home/u/.gemini/tmp"),
            (Agent::OpenCode, "/home/u/.local/share/opencode/storage"),
            (Agent::OpenCode, "/home/u/.local/share/opencode/project"),
            (Agent::CopilotCli, "/home/u/.copilot/session-state"),
            (Agent::QwenCode, "/home/u/.qwen/projects"),
        ];
        let got: Vec<(Agent, &str)> = roots
            .iter()
            .map(|(a, p)| (*a, p.to_str().unwrap()))
            .collect();
        assert_eq!(got, expect);

        let set = |name: &str| match name {
            "CODEX_HOME" => Some(PathBuf::from("/c")),
            "XDG_DATA_HOME" => Some(PathBuf::from("/d")),
            _ => None,
        };
        let roots = other_agent_roots(Some(home), &set);
        assert_eq!(roots[0].1, Path::new("/c/sessions"));
        assert_eq!(roots[2].1, Path::new("/d/opencode/storage"));
        // Without a home, only what the environment names.
        let roots = other_agent_roots(None, &set);
        let agents: Vec<Agent> = roots.iter().map(|r| r.0).collect();
        assert_eq!(agents, [Agent::Codex, Agent::OpenCode, Agent::OpenCode]);
    }
}
