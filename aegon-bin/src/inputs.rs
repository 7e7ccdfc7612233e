//! Inputs named on the command line → the transcript files to read, in order.
//!
//! A directory stands for every `*.jsonl` file below it (subagent folders included), sorted by
//! path so that a session's main file comes before its `<session>/subagents/` files. Symbolic
//! links to directories are not followed (no loops); unreadable directories are reported and
//! skipped.

use std::fs;
use std::path::{Path, PathBuf};

use crate::args::InputArg;

/// Expands directories into their transcript files; `problem` is told about what cannot be read
/// (and about a directory with no transcript in it, most likely a wrong path).
pub fn expand(
    inputs: &[InputArg],
    mut problem: impl FnMut(&Path, &std::io::Error),
) -> Vec<InputArg> {
    let mut out = Vec::new();
    for input in inputs {
        match input {
            InputArg::Path(path) if path.is_dir() => {
                let files = transcripts_below(path, &mut problem);
                if files.is_empty() {
                    problem(
                        path,
                        &std::io::Error::other("no .jsonl transcript below this directory"),
                    );
                }
                out.extend(files.into_iter().map(InputArg::Path));
            }
            other => out.push(other.clone()),
        }
    }
    out
}

/// Every transcript (`*.jsonl`) below `dir`, sorted by the path's text (`s1.jsonl` before
/// `s1/subagents/…`, as '.' < '/'); `problem` is told about what cannot be read.
pub fn transcripts_below(
    dir: &Path,
    mut problem: impl FnMut(&Path, &std::io::Error),
) -> Vec<PathBuf> {
    let mut files = Vec::new();
    walk(dir, &mut files, &mut problem);
    files.sort_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    files
}

/// Whether `path` names a transcript: a `.jsonl` file.
pub fn is_transcript(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "jsonl")
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, problem: &mut impl FnMut(&Path, &std::io::Error)) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            problem(dir, &e);
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // file_type does not follow symbolic links: a link to a directory is not walked.
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, files, problem),
            Ok(t) if is_transcript(&path) => {
                if t.is_file() || (t.is_symlink() && path.is_file()) {
                    files.push(path);
                } else if t.is_symlink() {
                    problem(&path, &std::io::Error::other("a broken symbolic link"));
                } else {
                    // Opening a named pipe would wait for a writer forever.
                    problem(
                        &path,
                        &std::io::Error::other("not a regular file (a pipe, socket or device)"),
                    );
                }
            }
            Ok(_) => {}
            Err(e) => problem(&path, &e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_become_their_sorted_jsonl_files() {
        let root = std::env::temp_dir().join(format!("aegon-inputs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("s1/subagents")).unwrap();
        for f in [
            "s1.jsonl",
            "s1/subagents/agent-a.jsonl",
            "notes.txt",
            "a.jsonl",
        ] {
            fs::write(root.join(f), b"").unwrap();
        }
        let got = expand(&[InputArg::Stdin, InputArg::Path(root.clone())], |_, _| {});
        let names: Vec<String> = got
            .iter()
            .map(|i| match i {
                InputArg::Stdin => "-".to_owned(),
                InputArg::Path(p) => p
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            })
            .collect();
        assert_eq!(
            names,
            ["-", "a.jsonl", "s1.jsonl", "s1/subagents/agent-a.jsonl"]
        );
        let _ = fs::remove_dir_all(&root);
    }
}
