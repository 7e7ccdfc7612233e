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
//! layout, [`subagents_of`]), and, as Claude Code wrote them before 2.1, the session's
//! `agent-*.jsonl` files beside it ([`agents_beside`]), read after it (each real file still once, so
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
                    for agent in agents_beside(path) {
                        if walker.claim_file(&agent) {
                            out.push(InputArg::Path(agent));
                        }
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

/// The subagent transcripts Claude Code before 2.1 wrote beside a session file
/// `<dir>/<stem>.jsonl`: the files `<dir>/agent-<id>.jsonl` that are this session's, sorted by
/// name. One is the session's when its first line's `sessionId` is `<stem>` (every line of a
/// subagent's transcript carries its session's id; compaction agents, `agent-acompact-*`, are
/// named nowhere else), or when the session's file names `<id>` as an `"agentId"` (its Task
/// results and `agent_progress` lines: a resumed session's copy of a Task result names a
/// subagent run under the earlier session's id). Another session's subagents in the same
/// folder are left out; so is everything when the file named is itself a subagent's
/// (`agent-*.jsonl`) or not a `.jsonl`. tester8 finding 5: the "named but not read" note of
/// [`aegon::render::summary::unread_subagent_notes`] pointed to files that were there.
/// Files that cannot be read are left out here (the session's own file is said when read).
/// A file last written more than a day before the session's first timestamp is not opened:
/// a project folder used for months holds thousands of old subagents' files, and the status
/// line looks for the current session's on every run.
pub(crate) fn agents_beside(path: &Path) -> Vec<std::path::PathBuf> {
    let Some(stem) = session_stem(path) else {
        return Vec::new();
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let began = head_string(path, b"\"timestamp\":\"")
        .and_then(|t| aegon::timestamp::parse_millis(&t))
        .and_then(|ms| u64::try_from(ms - DAY_MS).ok())
        .and_then(|ms| std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_millis(ms)));
    let mut candidates: Vec<(String, std::path::PathBuf)> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let name = e.file_name().into_string().ok()?;
            let id = name
                .strip_prefix("agent-")?
                .strip_suffix(".jsonl")?
                .to_owned();
            let path = e.path();
            // A link is followed (as the walker does); a folder so named is not a transcript.
            let meta = std::fs::metadata(&path).ok()?;
            let old = began.zip(meta.modified().ok()).is_some_and(|(b, m)| m < b);
            (meta.is_file() && !old).then_some((id, path))
        })
        .collect();
    if candidates.is_empty() {
        return Vec::new();
    }
    candidates.sort_by(|a, b| a.1.cmp(&b.1));
    let mut named: Option<std::collections::HashSet<String>> = None;
    candidates
        .into_iter()
        .filter(|(id, agent)| {
            head_string(agent, b"\"sessionId\":\"").as_deref() == Some(stem)
                || named.get_or_insert_with(|| named_agents(path)).contains(id)
        })
        .map(|(_, agent)| agent)
        .collect()
}

/// The stem of a session file `<stem>.jsonl` that is not itself a subagent's `agent-*.jsonl`.
fn session_stem(path: &Path) -> Option<&str> {
    if path.extension()? != "jsonl" {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    (!stem.starts_with("agent-")).then_some(stem)
}

/// A day, in milliseconds: the margin [`agents_beside`] gives the session's start.
const DAY_MS: i64 = 24 * 3600 * 1000;

/// How much of a transcript's start [`head_string`] reads: a first line longer than this (a
/// long first prompt) still has its `sessionId` and `timestamp` near its start, as Claude Code
/// writes the envelope's keys before `message`.
const HEAD: u64 = 64 * 1024;

/// The first string value of `key` (`"sessionId":"` as Claude Code writes it, compact) in the
/// first [`HEAD`] bytes of `path`; `None` when there is none or the file cannot be read.
fn head_string(path: &Path, key: &[u8]) -> Option<String> {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(HEAD)
        .read_to_end(&mut head)
        .ok()?;
    string_after(&head, key)
}

/// The JSON string (without escapes) right after the first `key` in `bytes`: what follows
/// up to the next `"`, when that is a plain run of at most 200 bytes of UTF-8 (an id; anything
/// else is not one).
fn string_after(bytes: &[u8], key: &[u8]) -> Option<String> {
    let at = memchr::memmem::find(bytes, key)? + key.len();
    let rest = &bytes[at..];
    let end = memchr::memchr(b'"', &rest[..rest.len().min(201)])?;
    let value = std::str::from_utf8(&rest[..end]).ok()?;
    (!value.contains('\\')).then(|| value.to_owned())
}

/// Every subagent id the session's file names as `"agentId":"<id>"` (Task results'
/// `toolUseResult`, `agent_progress` lines), read in pieces (a transcript can be large); ids
/// made of letters, digits, `-` and `_` only (what names a file beside it). Empty when the file
/// cannot be read.
fn named_agents(path: &Path) -> std::collections::HashSet<String> {
    use std::io::Read;
    const KEY: &[u8] = b"\"agentId\":\"";
    // Enough of a piece's end carried into the next for a key and an id cut between them.
    const CARRY: usize = 256;
    let mut ids = std::collections::HashSet::new();
    let Ok(mut file) = std::fs::File::open(path) else {
        return ids;
    };
    let finder = memchr::memmem::Finder::new(KEY);
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut piece = vec![0u8; 1 << 20];
    loop {
        let n = match file.read(&mut piece) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        buf.extend_from_slice(&piece[..n]);
        // Keys whose id ends inside `buf` are read now; one cut at the end waits.
        let mut done = 0;
        for at in finder.find_iter(&buf) {
            let start = at + KEY.len();
            let Some(len) = memchr::memchr(b'"', &buf[start..]) else {
                break;
            };
            let id = &buf[start..start + len];
            if !id.is_empty()
                && id
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                if let Ok(id) = std::str::from_utf8(id) {
                    ids.insert(id.to_owned());
                }
            }
            done = start + len;
        }
        let keep = buf.len().saturating_sub(CARRY).max(done);
        buf.drain(..keep);
    }
    ids
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
        let root = crate::temp_dir::temp_dir("inputs");
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
    }

    #[test]
    fn named_agents_are_found_across_the_pieces_a_transcript_is_read_in() {
        let root = crate::temp_dir::temp_dir("inputs-named");
        let mut text = Vec::new();
        // Keys cut at a piece's end (each 1 MiB) in the key, right after it and in the id;
        // an escaped key in a text, and an id that cannot name a file, are not ids.
        for (i, cut) in [3usize, 11, 14].into_iter().enumerate() {
            let line = format!("{{\"toolUseResult\":{{\"agentId\":\"a{i}bc-d_e\"}}}}\n");
            let key_at = line.find("\"agentId").unwrap();
            let target = (i + 1) * (1 << 20);
            text.resize(target - key_at - cut, b' ');
            text.extend_from_slice(line.as_bytes());
        }
        text.extend_from_slice(
            br#"{"message":"{\"agentId\":\"escaped\"}","agentId":"../x","data":{"agentId":"z9"}}"#,
        );
        let path = root.join("s.jsonl");
        std::fs::write(&path, &text).unwrap();
        let mut got: Vec<String> = named_agents(&path).into_iter().collect();
        got.sort();
        assert_eq!(got, ["a0bc-d_e", "a1bc-d_e", "a2bc-d_e", "z9"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_real_file_met_again_is_read_once_by_its_first_path() {
        let root = crate::temp_dir::temp_dir("inputs-once");
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
    }
}
