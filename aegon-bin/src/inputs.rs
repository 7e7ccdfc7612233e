//! Inputs named on the command line → the transcript files to read, in order.
//!
//! A directory stands for every `*.jsonl` file below it (subagent folders included), sorted by
//! path so that a session's main file comes before its `<session>/subagents/` files. Symbolic
//! links to directories and files are followed ([`aegon::source::tree`]); a real file reached twice
//! (through a link and directly, through two arguments, named and inside a named directory) is
//! read once, by its first path; a link that loops is reported and not followed; unreadable
//! directories are reported and skipped.
//!
//! A session file named on its own brings its subagents: Claude Code 2.1 writes a session as
//! `<session-uuid>.jsonl` beside a folder `<session-uuid>/subagents/` holding `agent-*.jsonl`,
//! and a session's cost includes its subagents'. So `SESSION.jsonl` stands for itself and
//! every transcript below `SESSION/subagents/` (without that folder, below `SESSION/`: another
//! layout, [`subagents_of`]), read after it (each real file still once, so
//! naming the subagent files too, or the project folder, counts nothing twice). A session file
//! named but gone from disk whose subagents' folder is still there is reported as missing,
//! and its subagents are read all the same ([`gone_session`]).
//!
//! A Gemini CLI chat file `chats/session-*.json[l]` brings its subagents' chats in
//! `chats/<sessionId>/` in the same way ([`gemini_subagents_folder`]).

use std::path::Path;

use aegon::source::tree::{JsonSkip, Walker};

use crate::args::InputArg;

/// Whether standard input holds something to read, by ripgrep's rule (`grep_cli::
/// is_readable_stdin`): a regular file, a FIFO (a pipe) or a socket. A terminal is not, and
/// neither is another character device such as `/dev/null`, which cron, CI runners and
/// systemd give a program: with it, aegon does what it does with nothing piped in (the
/// default folders with `--summary`, the dashboard or a "no input" message otherwise). An
/// unreadable stdin (closed, `fstat` refused) is not input either. The one rule every mode
/// that chooses between stdin and the default folders goes by.
pub fn stdin_is_input() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::FileTypeExt;
        let stdin = std::io::stdin();
        let Ok(fd) = stdin.as_fd().try_clone_to_owned() else {
            return false;
        };
        std::fs::File::from(fd).metadata().is_ok_and(|m| {
            let t = m.file_type();
            t.is_file() || t.is_fifo() || t.is_socket()
        })
    }
    #[cfg(not(unix))]
    {
        use std::io::IsTerminal;
        !std::io::stdin().is_terminal()
    }
}

/// Whether `path` names something that can be read only once and has no size: a pipe (bash's
/// `<(cmd)`, `/dev/stdin` on a pipe), a FIFO, a socket or a character device. Such an input
/// must be opened once and read to its end, never sniffed first nor read by its length. A
/// path that cannot be looked at (missing, refused) is not one: opening it reports why.
pub fn is_stream(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// What [`expand`] tells `problem` about a directory with no transcript below it.
pub const NO_TRANSCRIPT: &str = "no .jsonl transcript below this directory";

/// Expands directories into their transcript files and drops a real file met again; `problem`
/// is told about what cannot be read, about links that loop, and about a directory with no
/// transcript in it (most likely a wrong path; one whose transcripts were all met before is
/// not reported).
pub fn expand(inputs: &[InputArg], problem: impl FnMut(&Path, &std::io::Error)) -> Vec<InputArg> {
    expand_noting_skipped(inputs, problem, |_, _| {})
}

/// [`expand`], telling `skipped` about each `.json` file met in a folder and not taken for a
/// transcript, with why (what `aegon audit` lists).
pub fn expand_noting_skipped(
    inputs: &[InputArg],
    mut problem: impl FnMut(&Path, &std::io::Error),
    mut skipped: impl FnMut(&Path, JsonSkip),
) -> Vec<InputArg> {
    let mut walker = Walker::default();
    let mut out = Vec::new();
    for input in inputs {
        match input {
            InputArg::Path(path) if path.is_dir() => {
                let found = walker.walk(path, &mut problem);
                for (file, why) in &found.skipped {
                    skipped(file, *why);
                }
                if found.transcripts.is_empty() && found.repeated == 0 {
                    problem(path, &std::io::Error::other(NO_TRANSCRIPT));
                }
                out.extend(found.paths().into_iter().map(InputArg::Path));
            }
            InputArg::Path(path) => {
                // A session file gone (Claude Code deleted it, or the path is stale) whose
                // subagents' folder is still there: what is left of the session is read, and
                // the one problem says so (the reader would only say the file is missing).
                if let Some((error, folder)) = gone_session(path) {
                    problem(path, &error);
                    let found = walker.walk(&folder, &mut problem);
                    for (file, why) in &found.skipped {
                        skipped(file, *why);
                    }
                    out.extend(found.paths().into_iter().map(InputArg::Path));
                    continue;
                }
                if walker.claim_file(path) {
                    out.push(input.clone());
                    if let Some(folder) = subagents_of(path) {
                        let found = walker.walk(&folder, &mut problem);
                        for (file, why) in &found.skipped {
                            skipped(file, *why);
                        }
                        out.extend(found.paths().into_iter().map(InputArg::Path));
                    }
                }
            }
            other => out.push(other.clone()),
        }
    }
    out
}

/// The folder of a session file's subagents: in Claude Code 2.1's layout
/// (`<dir>/<stem>.jsonl` → `<dir>/<stem>/subagents/`) when that folder exists, else the
/// session's own folder `<dir>/<stem>/` when it exists (Claude Code moved subagent transcripts
/// three times, from inline lines to `agent-*.jsonl` beside the session to
/// `SESSION/subagents/`: a transcript anywhere below the session's folder is the session's,
/// in a layout to come too; tester7 finding 9); `None` when the file is not a `.jsonl` or
/// neither exists. The one rule of this expansion: the filter and `aegon usage` both go by
/// it. A subagent a Task result names that is still not found is said by `--summary`
/// ([`aegon::render::summary::unread_subagent_notes`]). A Gemini CLI chat file brings its
/// subagents' chats the same way ([`gemini_subagents_folder`]).
pub(crate) fn subagents_of(path: &Path) -> Option<std::path::PathBuf> {
    if let Some(folder) = subagents_folder(path).or_else(|| gemini_subagents_folder(path)) {
        return Some(folder);
    }
    let session = path.with_extension("");
    session.is_dir().then_some(session)
}

/// `<dir>/<stem>/subagents/` of a `.jsonl` session file `<dir>/<stem>.jsonl`, when it exists.
fn subagents_folder(path: &Path) -> Option<std::path::PathBuf> {
    if path.extension()? != "jsonl" {
        return None;
    }
    let folder = path.with_extension("").join("subagents");
    folder.is_dir().then_some(folder)
}

/// The folder of a Gemini CLI session's subagent chats, `chats/<sessionId>/` beside the
/// session's `chats/session-<time>-<8 hex>.json[l]` (corpus FORMAT.md §2.1, seen from 2026-04:
/// `chats/<parent-session-uuid>/<6-char id>.json`), when it exists. The file name holds only
/// the id's first 8 hex digits, so the id is the session file's own `sessionId`, the first
/// member of both the JSON document and the JSONL header line (FORMAT.md §2.2, §2.3): read
/// from the first 4 KiB, and only a UUID-shaped id (36 characters of hex digits and `-`) is
/// taken, so that no other path is ever made of the file's text.
fn gemini_subagents_folder(path: &Path) -> Option<std::path::PathBuf> {
    use std::io::Read;
    let name = path.file_name()?.to_str()?;
    let chats = path.parent()?;
    if !name.starts_with("session-")
        || !(name.ends_with(".json") || name.ends_with(".jsonl"))
        || chats.file_name()? != "chats"
    {
        return None;
    }
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)
        .ok()?
        .take(4096)
        .read_to_end(&mut head)
        .ok()?;
    let at = memchr::memmem::find(&head, b"\"sessionId\"")? + b"\"sessionId\"".len();
    let rest = head.get(at..)?;
    let rest = rest
        .trim_ascii_start()
        .strip_prefix(b":")?
        .trim_ascii_start();
    let id = rest.strip_prefix(b"\"")?.get(..36)?;
    if !id.iter().all(|b| b.is_ascii_hexdigit() || *b == b'-') || rest.get(37) != Some(&b'"') {
        return None;
    }
    let folder = chats.join(std::str::from_utf8(id).ok()?);
    folder.is_dir().then_some(folder)
}

/// When `path` is a session file that is not on disk but whose `SESSION/subagents/` folder
/// is: the error to say for it, naming the folder read in its place, and the folder. The
/// filter, `--summary` and `aegon usage` say it alike. (Only that folder: the session's own
/// folder, which [`subagents_of`] falls back to, may hold no transcript at all, as Claude
/// Code's `SESSION/tool-results/`.)
pub(crate) fn gone_session(path: &Path) -> Option<(std::io::Error, std::path::PathBuf)> {
    if path.extension()? != "jsonl" {
        return None;
    }
    let e = std::fs::metadata(path).err()?;
    if e.kind() != std::io::ErrorKind::NotFound {
        return None;
    }
    let folder = subagents_folder(path)?;
    let error = std::io::Error::new(
        e.kind(),
        format!(
            "{e}; its subagents in {} are read without it",
            folder.display()
        ),
    );
    Some((error, folder))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_become_their_transcripts_and_an_empty_one_is_a_problem() {
        let root = std::env::temp_dir().join(format!("aegon-inputs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("full")).unwrap();
        std::fs::create_dir_all(root.join("empty")).unwrap();
        std::fs::write(root.join("full/a.jsonl"), b"").unwrap();
        let mut problems = Vec::new();
        let got = expand(
            &[
                InputArg::Stdin,
                InputArg::Path(root.join("full")),
                InputArg::Path(root.join("empty")),
            ],
            |path, _| problems.push(path.to_path_buf()),
        );
        assert_eq!(
            got,
            [InputArg::Stdin, InputArg::Path(root.join("full/a.jsonl"))]
        );
        assert_eq!(problems, [root.join("empty")]);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[cfg(unix)]
    #[test]
    fn a_real_file_met_again_is_read_once_by_its_first_path() {
        let root = std::env::temp_dir().join(format!("aegon-inputs-once-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("shared/-p")).unwrap();
        std::fs::create_dir_all(root.join("projects")).unwrap();
        std::fs::write(root.join("shared/-p/s.jsonl"), b"").unwrap();
        std::os::unix::fs::symlink(root.join("shared/-p"), root.join("projects/-p")).unwrap();
        std::os::unix::fs::symlink(root.join("shared/-p/s.jsonl"), root.join("link.jsonl"))
            .unwrap();
        let mut problems = Vec::new();
        let got = expand(
            &[
                InputArg::Path(root.join("projects")),
                InputArg::Path(root.join("shared")),
                InputArg::Path(root.join("link.jsonl")),
                InputArg::Path(root.join("shared/-p/s.jsonl")),
            ],
            |path, _| problems.push(path.to_path_buf()),
        );
        assert_eq!(got, [InputArg::Path(root.join("projects/-p/s.jsonl"))]);
        assert!(problems.is_empty(), "{problems:?}");
        let _ = std::fs::remove_dir_all(&root);
    }
}
