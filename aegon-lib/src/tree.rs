//! Transcript files below a folder.
//!
//! A folder stands for every `*.jsonl` regular file below it (subagent folders included), sorted
//! by path so that a session's main file comes before its `<session>/subagents/` files.
//! Symbolic links to folders are not followed (no loops); named pipes, sockets and broken
//! links are reported, not opened (opening a pipe waits for a writer); unreadable folders are
//! reported and skipped.

use std::fs;
use std::path::{Path, PathBuf};

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
    fn folders_become_their_sorted_jsonl_files() {
        let root = std::env::temp_dir().join(format!("aegon-tree-{}", std::process::id()));
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
        #[cfg(unix)]
        std::os::unix::fs::symlink(&root, root.join("s1/loop")).unwrap();
        let mut problems = 0;
        let names: Vec<String> = transcripts_below(&root, |_, _| problems += 1)
            .iter()
            .map(|p| {
                p.strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["a.jsonl", "s1.jsonl", "s1/subagents/agent-a.jsonl"]);
        assert_eq!(problems, 0);
        let _ = fs::remove_dir_all(&root);
    }
}
