//! Transcript files below a folder, as users lay folders out: symbolic links followed, each real
//! file once.
//!
//! A folder stands for every transcript below it ([`is_transcript`]: `*.jsonl` regular files, and
//! `*.json` ones a document format recognises; subagent folders included), sorted
//! by path so that a session's main file comes before its `<session>/subagents/` files.
//!
//! Symbolic links are followed, to folders and to files (people keep a project's transcripts
//! elsewhere and link them into `~/.claude/projects/`). A real file or folder is known by its
//! identity ([`FileId`]: device and inode on Unix), so what is reached twice (through a link and
//! directly, through two links, through two roots) is listed once: by the path that reaches
//! it without a link if there is one, else by the first in path order. A walk goes through the
//! real folders first and follows links to folders after, so which path wins does not depend
//! on the order a folder lists its entries. A link to a folder that contains it (a loop: one
//! of the folders it sits in, up to `/`) is reported once and not followed; a link to a folder already walked is skipped quietly (its
//! files are listed already). Named pipes, sockets and broken links named `*.jsonl` are
//! reported, not opened (opening a pipe waits for a writer); unreadable folders are reported
//! and skipped.
//!
//! Memory: one [`FileId`] (16 bytes on Unix) per folder and per transcript found, for the
//! [`Walker`]'s life.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Which real file or folder a path names, whatever the links on the way there: the device
/// and inode numbers on Unix, the canonical path elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(Inner);

#[cfg(unix)]
type Inner = (u64, u64);
#[cfg(not(unix))]
type Inner = PathBuf;

impl FileId {
    /// The identity of what `path` names, symbolic links followed.
    ///
    /// Errors: those of [`fs::metadata`] (a missing file, a broken link, a loop of links), and
    /// off Unix those of [`fs::canonicalize`].
    pub fn of(path: &Path) -> io::Result<FileId> {
        let meta = fs::metadata(path)?;
        Self::from_metadata(path, &meta)
    }

    #[cfg(unix)]
    fn from_metadata(_path: &Path, meta: &fs::Metadata) -> io::Result<FileId> {
        use std::os::unix::fs::MetadataExt;
        Ok(FileId((meta.dev(), meta.ino())))
    }

    #[cfg(not(unix))]
    fn from_metadata(path: &Path, _meta: &fs::Metadata) -> io::Result<FileId> {
        fs::canonicalize(path).map(FileId)
    }
}

/// One transcript a walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    /// The path it was reached by (through links, if only links reach it).
    pub path: PathBuf,
    /// The real file.
    pub id: FileId,
}

/// What [`Walker::walk`] found below one folder.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// Each transcript not found before by the same walker, sorted by path.
    pub transcripts: Vec<Transcript>,
    /// The symbolic links to folders that were followed, in the order they were (a watcher
    /// watches them too: notifications do not follow links on every platform).
    pub linked_folders: Vec<PathBuf>,
    /// Transcripts and folders left out because the walker had found them already (through
    /// another path or an earlier root): the folder was not empty.
    pub repeated: usize,
    /// `.json` files met and not taken for transcripts, sorted by path, with why: what
    /// `aegon audit` lists, so that no file is skipped unseen.
    pub skipped: Vec<(PathBuf, JsonSkip)>,
}

/// Why a `.json` file met in a folder is not read as a transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonSkip {
    /// It has no bytes (a chat file just created, or emptied): nothing to tell it by.
    Empty,
    /// No document format recognises its first bytes (settings, checkpoints, other tools').
    Unrecognised,
    /// A format read only when named ([`crate::format::Format::found_in_folders`]), such as
    /// Gemini CLI's `logs.json`.
    NotInFolders(crate::format::Format),
}

impl std::fmt::Display for JsonSkip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JsonSkip::Empty => f.write_str("empty (0 bytes)"),
            JsonSkip::Unrecognised => f.write_str("no transcript format recognises it"),
            JsonSkip::NotInFolders(format) => {
                write!(
                    f,
                    "{format}: read only when named (it repeats what other files hold)"
                )
            }
        }
    }
}

impl Found {
    /// The transcripts' paths, in order.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.transcripts.iter().map(|t| t.path.clone()).collect()
    }
}

/// Walks folder trees and remembers the real files and folders it has found, so that one
/// reached again (through a link, through another root, named directly) is not listed again.
#[derive(Debug, Default)]
pub struct Walker {
    folders: HashSet<FileId>,
    files: HashSet<FileId>,
}

/// A symbolic link to a folder, followed once the real folders have been walked.
struct Link {
    path: PathBuf,
    target: FileId,
    /// The folders that contain the link (its target among them: a loop).
    ancestors: Vec<FileId>,
}

/// A transcript before the real files are told apart.
struct Candidate {
    id: FileId,
    /// Reached through a symbolic link (a path without one is preferred).
    via_link: bool,
    path: PathBuf,
}

/// A walk in progress.
struct Walk<'a> {
    problem: &'a mut dyn FnMut(&Path, &io::Error),
    candidates: Vec<Candidate>,
    links: Vec<Link>,
    repeated: usize,
    skipped: Vec<(PathBuf, JsonSkip)>,
}

impl Walker {
    /// Every transcript (`*.jsonl`) below `root` that this walker has not found before,
    /// sorted by the path's text (`s1.jsonl` before `s1/subagents/…`, as '.' < '/'). `problem`
    /// is told about what cannot be read and about links that loop.
    pub fn walk(&mut self, root: &Path, problem: &mut dyn FnMut(&Path, &io::Error)) -> Found {
        let mut found = Found::default();
        let id = match FileId::of(root) {
            Ok(id) => id,
            Err(e) => {
                problem(root, &e);
                return found;
            }
        };
        let mut walk = Walk {
            problem,
            candidates: Vec::new(),
            links: Vec::new(),
            repeated: 0,
            skipped: Vec::new(),
        };
        if self.folders.insert(id.clone()) {
            let mut ancestors = outer_folders(root);
            ancestors.push(id);
            self.folder(root, ancestors, false, &mut walk);
        } else {
            walk.repeated += 1;
        }
        // Links to folders after the real ones, round by round in path order.
        while !walk.links.is_empty() {
            let mut links = std::mem::take(&mut walk.links);
            links.sort_by(|a, b| a.path.cmp(&b.path));
            for link in links {
                if link.ancestors.contains(&link.target) {
                    (walk.problem)(
                        &link.path,
                        &io::Error::other(
                            "a symbolic link to a folder that contains it (a loop); not followed",
                        ),
                    );
                } else if self.folders.insert(link.target.clone()) {
                    found.linked_folders.push(link.path.clone());
                    let mut ancestors = link.ancestors;
                    ancestors.push(link.target);
                    self.folder(&link.path, ancestors, true, &mut walk);
                } else {
                    walk.repeated += 1;
                }
            }
        }
        // Each real file once: by a path without links if there is one, else the first.
        let mut candidates = walk.candidates;
        candidates.sort_by(|a, b| (&a.id, a.via_link, &a.path).cmp(&(&b.id, b.via_link, &b.path)));
        for c in candidates {
            if self.files.insert(c.id.clone()) {
                found.transcripts.push(Transcript {
                    path: c.path,
                    id: c.id,
                });
            } else {
                walk.repeated += 1;
            }
        }
        found
            .transcripts
            .sort_by(|a, b| a.path.as_os_str().cmp(b.path.as_os_str()));
        found.repeated = walk.repeated;
        found.skipped = walk.skipped;
        found
            .skipped
            .sort_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()));
        found
    }

    /// Claims a file named directly (not found in a folder): whether it is the first time this
    /// walker meets its real file. A file whose identity cannot be read is claimed (reading it
    /// will say what is wrong).
    pub fn claim_file(&mut self, path: &Path) -> bool {
        match FileId::of(path) {
            Ok(id) => self.files.insert(id),
            Err(_) => true,
        }
    }

    /// Lists the transcripts in `dir` and walks its real subfolders; links to folders are
    /// queued in `walk.links`.
    fn folder(&mut self, dir: &Path, ancestors: Vec<FileId>, via_link: bool, walk: &mut Walk) {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                (walk.problem)(dir, &e);
                return;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    (walk.problem)(dir, &e);
                    continue;
                }
            };
            let path = entry.path();
            // file_type does not follow symbolic links: links are looked through below.
            let kind = match entry.file_type() {
                Ok(kind) => kind,
                Err(e) => {
                    (walk.problem)(&path, &e);
                    continue;
                }
            };
            if kind.is_dir() {
                let id = match entry
                    .metadata()
                    .and_then(|m| FileId::from_metadata(&path, &m))
                {
                    Ok(id) => id,
                    Err(e) => {
                        (walk.problem)(&path, &e);
                        continue;
                    }
                };
                // Only a bind mount shows a real folder twice without links.
                if self.folders.insert(id.clone()) {
                    let mut inner = ancestors.clone();
                    inner.push(id);
                    self.folder(&path, inner, via_link, walk);
                } else {
                    walk.repeated += 1;
                }
            } else if kind.is_symlink() {
                match fs::metadata(&path) {
                    Ok(target) if target.is_dir() => match FileId::from_metadata(&path, &target) {
                        Ok(id) => walk.links.push(Link {
                            path,
                            target: id,
                            ancestors: ancestors.clone(),
                        }),
                        Err(e) => (walk.problem)(&path, &e),
                    },
                    Ok(target) if is_transcript(&path) => {
                        walk.file(path, &target, true);
                    }
                    Ok(_) => {}
                    Err(_) if is_transcript(&path) => {
                        (walk.problem)(&path, &io::Error::other("a broken symbolic link"));
                    }
                    // A broken link under another name is not a transcript (as before).
                    Err(_) => {}
                }
            } else if let Some(verdict) = verdict(&path) {
                match verdict {
                    Ok(()) => match entry.metadata() {
                        Ok(meta) => walk.file(path, &meta, via_link),
                        Err(e) => (walk.problem)(&path, &e),
                    },
                    Err(Some(skip)) => walk.skipped.push((path, skip)),
                    Err(None) => {}
                }
            } else if let Some(target) = link_placeholder(dir, &entry) {
                // Followed like the link it stands for (loops and repeats told apart by the
                // target's identity), through the target's own path, which exists.
                match FileId::of(&target) {
                    Ok(id) => walk.links.push(Link {
                        path: target,
                        target: id,
                        ancestors: ancestors.clone(),
                    }),
                    Err(e) => (walk.problem)(&path, &e),
                }
            }
        }
    }
}

/// Largest file read to see whether it stands for a symbolic link.
const PLACEHOLDER_MAX: u64 = 4096;

/// The folder a symbolic link's placeholder names: where links cannot be made (a git checkout
/// with `core.symlinks=false`, as on Windows, or a copy that flattened links) a link becomes a
/// small regular file holding its target's path. A file of at most [`PLACEHOLDER_MAX`] bytes
/// whose whole text is one path (relative to `dir`, or absolute) to an existing folder is taken
/// for one; anything else is `None`.
fn link_placeholder(dir: &Path, entry: &fs::DirEntry) -> Option<PathBuf> {
    let meta = entry.metadata().ok()?;
    if !meta.is_file() || meta.len() == 0 || meta.len() > PLACEHOLDER_MAX {
        return None;
    }
    let text = fs::read_to_string(entry.path()).ok()?;
    let target = text.strip_suffix('\n').unwrap_or(&text);
    if target.is_empty() || target.chars().any(char::is_control) {
        return None;
    }
    let target = dir.join(target);
    fs::metadata(&target).ok()?.is_dir().then_some(target)
}

impl Walk<'_> {
    /// A `*.jsonl` entry: a candidate if it is a regular file, else a problem.
    fn file(&mut self, path: PathBuf, meta: &fs::Metadata, via_link: bool) {
        if !meta.is_file() {
            // Opening a named pipe would wait for a writer forever.
            (self.problem)(
                &path,
                &io::Error::other("not a regular file (a pipe, socket or device)"),
            );
            return;
        }
        match FileId::from_metadata(&path, meta) {
            Ok(id) => self.candidates.push(Candidate { id, via_link, path }),
            Err(e) => (self.problem)(&path, &e),
        }
    }
}

/// The folders that contain `root` (its real path's ancestors): a link to one of them from
/// inside `root` loops too.
fn outer_folders(root: &Path) -> Vec<FileId> {
    let Ok(real) = fs::canonicalize(root) else {
        return Vec::new();
    };
    let mut outer: Vec<FileId> = real
        .ancestors()
        .skip(1)
        .filter_map(|a| FileId::of(a).ok())
        .collect();
    outer.reverse();
    outer
}

/// Every transcript ([`is_transcript`]) below `dir`, each real file once, sorted by the path's text
/// (`s1.jsonl` before `s1/subagents/…`, as '.' < '/'); `problem` is told about what cannot
/// be read and about links that loop. (A [`Walker`] does the same across several folders.)
pub fn transcripts_below(dir: &Path, mut problem: impl FnMut(&Path, &io::Error)) -> Vec<PathBuf> {
    Walker::default().walk(dir, &mut problem).paths()
}

/// Whether `path` names a transcript: a `.jsonl` file, or a `.json` file whose first bytes a
/// document format recognises (a Gemini CLI chat, an OpenCode export or storage file: see
/// [`crate::format::sniff_document`]; other JSON files, such as settings or checkpoints, are not
/// transcripts). A `.json` file is opened to look: at most [`SNIFF_BYTES`] are read.
pub fn is_transcript(path: &Path) -> bool {
    verdict(path).is_some_and(|v| v.is_ok())
}

/// What a folder walk makes of `path`: `None` for a file that is not a candidate at all (not
/// `.jsonl` or `.json`), `Ok` for a transcript, `Err` for a `.json` file left out, with why
/// (`Err(None)`: not a regular file).
fn verdict(path: &Path) -> Option<Result<(), Option<JsonSkip>>> {
    match path.extension() {
        Some(e) if e == "jsonl" => Some(Ok(())),
        Some(e) if e == "json" => Some(json_verdict(path)),
        _ => None,
    }
}

/// How much of a `.json` file is read to tell whether it is a transcript.
pub const SNIFF_BYTES: usize = 64 << 10;

/// Whether a `.json` file is a transcript (`Ok`), or why not (`Err(None)` for what is not a
/// regular file).
fn json_verdict(path: &Path) -> Result<(), Option<JsonSkip>> {
    use std::io::Read;
    // Never open what is not a regular file (a named pipe would wait for a writer forever).
    if !fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return Err(None);
    }
    let Ok(file) = fs::File::open(path) else {
        // Not readable: a candidate, so that the problem is reported where it is read.
        return Ok(());
    };
    let mut head = Vec::with_capacity(4096);
    if file
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .is_err()
    {
        return Ok(());
    }
    match crate::format::sniff_document(&head) {
        Some(format) if format.found_in_folders() => Ok(()),
        Some(format) => Err(Some(JsonSkip::NotInFolders(format))),
        None if head.is_empty() => Err(Some(JsonSkip::Empty)),
        None => Err(Some(JsonSkip::Unrecognised)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder, removed when dropped (also when the test fails).
    fn temp_root(name: &str) -> crate::temp_dir::TempDir {
        crate::temp_dir::temp_dir(&format!("tree-{name}"))
    }

    fn relative(root: &Path, paths: &[PathBuf]) -> Vec<String> {
        paths
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn folders_become_their_sorted_jsonl_files() {
        let root = temp_root("sorted");
        fs::create_dir_all(root.join("s1/subagents")).unwrap();
        for f in [
            "s1.jsonl",
            "s1/subagents/agent-a.jsonl",
            "notes.txt",
            "a.jsonl",
        ] {
            fs::write(root.join(f), b"").unwrap();
        }
        let mut problems = 0;
        let names = relative(&root, &transcripts_below(&root, |_, _| problems += 1));
        assert_eq!(names, ["a.jsonl", "s1.jsonl", "s1/subagents/agent-a.jsonl"]);
        assert_eq!(problems, 0);
    }

    #[cfg(unix)]
    #[test]
    fn links_to_folders_and_files_are_followed_each_real_file_once() {
        use std::os::unix::fs::symlink;
        let root = temp_root("links");
        let elsewhere = temp_root("links-elsewhere");
        // projects/-linked → a folder outside the tree; -real holds a file reached twice.
        fs::create_dir_all(elsewhere.join("-linked/s2/subagents")).unwrap();
        fs::write(elsewhere.join("-linked/s2.jsonl"), b"").unwrap();
        fs::write(elsewhere.join("-linked/s2/subagents/agent-b.jsonl"), b"").unwrap();
        fs::write(elsewhere.join("single.jsonl"), b"").unwrap();
        fs::create_dir_all(root.join("-real")).unwrap();
        fs::write(root.join("-real/s1.jsonl"), b"").unwrap();
        symlink(elsewhere.join("-linked"), root.join("-linked")).unwrap();
        // Named before the real folder in path order, and reaching the same file: the real
        // path wins.
        symlink(root.join("-real"), root.join("-a-link-to-real")).unwrap();
        symlink(root.join("-real/s1.jsonl"), root.join("-real/again.jsonl")).unwrap();
        // A link to a single transcript elsewhere.
        symlink(elsewhere.join("single.jsonl"), root.join("single.jsonl")).unwrap();
        // Two links to one folder: walked once, by the first in path order.
        symlink(elsewhere.join("-linked"), root.join("-linked-too")).unwrap();
        let mut problems = Vec::new();
        let found = Walker::default().walk(&root, &mut |p, e| {
            problems.push(format!("{}: {e}", p.display()))
        });
        assert_eq!(
            relative(&root, &found.paths()),
            [
                "-linked/s2.jsonl",
                "-linked/s2/subagents/agent-b.jsonl",
                "-real/s1.jsonl",
                "single.jsonl",
            ]
        );
        assert_eq!(relative(&root, &found.linked_folders), ["-linked"]);
        // s1 through -a-link-to-real (the folder was walked) and again.jsonl; -linked-too.
        assert_eq!(found.repeated, 3);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_loop_is_reported_once_and_not_followed_and_a_broken_link_is_reported() {
        use std::os::unix::fs::symlink;
        let root = temp_root("loop");
        fs::create_dir_all(root.join("p/q")).unwrap();
        fs::write(root.join("p/q/s.jsonl"), b"").unwrap();
        symlink(&root, root.join("p/q/to-root")).unwrap();
        symlink(root.join("p"), root.join("p/q/to-parent")).unwrap();
        symlink(root.join("gone.jsonl"), root.join("p/broken.jsonl")).unwrap();
        symlink(root.join("gone"), root.join("p/broken-folder")).unwrap();
        // A link to a folder above the one walked (walking it would walk the tree again).
        symlink(root.parent().unwrap(), root.join("p/to-temp")).unwrap();
        let mut problems = Vec::new();
        let found = transcripts_below(&root, |p, e| {
            problems.push(format!("{}: {e}", p.strip_prefix(&root).unwrap().display()))
        });
        assert_eq!(relative(&root, &found), ["p/q/s.jsonl"]);
        problems.sort();
        assert_eq!(
            problems,
            [
                "p/broken.jsonl: a broken symbolic link",
                "p/q/to-parent: a symbolic link to a folder that contains it (a loop); not followed",
                "p/q/to-root: a symbolic link to a folder that contains it (a loop); not followed",
                "p/to-temp: a symbolic link to a folder that contains it (a loop); not followed",
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_link_placeholder_file_is_followed_like_the_link_it_stands_for() {
        // What git writes for a symbolic link where it cannot make one: the target's path.
        let base = temp_root("placeholder");
        fs::create_dir_all(base.join("shared/-p")).unwrap();
        fs::create_dir_all(base.join("one/projects")).unwrap();
        fs::write(base.join("shared/-p/s1.jsonl"), "{}\n").unwrap();
        fs::write(base.join("one/projects/-p"), "../../shared/-p").unwrap();
        // Not placeholders: a path to nothing, text that is not one path, a loop to itself.
        fs::write(base.join("one/projects/-gone"), "../../nowhere").unwrap();
        fs::write(base.join("one/projects/notes"), "two\nlines").unwrap();
        fs::write(base.join("one/projects/-loop"), ".").unwrap();
        let mut problems = Vec::new();
        let mut walker = Walker::default();
        let found = walker.walk(&base.join("one/projects"), &mut |p, e| {
            problems.push(format!("{}: {e}", p.display()))
        });
        let paths: Vec<PathBuf> = found.transcripts.iter().map(|t| t.path.clone()).collect();
        assert_eq!(paths, [base.join("one/projects/../../shared/-p/s1.jsonl")]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("a loop"), "{problems:?}");
    }

    #[test]
    fn a_walker_lists_a_real_file_once_across_roots_and_named_files() {
        use std::os::unix::fs::symlink;
        let base = temp_root("roots");
        fs::create_dir_all(base.join("one/projects")).unwrap();
        fs::create_dir_all(base.join("shared/-p")).unwrap();
        fs::write(base.join("shared/-p/s.jsonl"), b"").unwrap();
        fs::write(base.join("shared/-p/t.jsonl"), b"").unwrap();
        symlink(base.join("shared/-p"), base.join("one/projects/-p")).unwrap();
        let mut walker = Walker::default();
        let mut problem = |p: &Path, e: &io::Error| panic!("{}: {e}", p.display());
        assert!(walker.claim_file(&base.join("shared/-p/t.jsonl")));
        let first = walker.walk(&base.join("one/projects"), &mut problem);
        assert_eq!(relative(&base, &first.paths()), ["one/projects/-p/s.jsonl"]);
        assert_eq!(first.repeated, 1, "t.jsonl was named already");
        let second = walker.walk(&base.join("shared"), &mut problem);
        assert!(second.transcripts.is_empty());
        assert_eq!(second.repeated, 1, "-p was walked through its link");
        assert!(!walker.claim_file(&base.join("one/projects/-p/s.jsonl")));
    }
}
