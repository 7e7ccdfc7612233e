//! Inputs named on the command line → the transcript files to read, in order.
//!
//! A directory stands for every `*.jsonl` file below it (subagent folders included), sorted by
//! path so that a session's main file comes before its `<session>/subagents/` files. Symbolic
//! links to directories are not followed (no loops); unreadable directories are reported and
//! skipped.

use std::path::Path;

pub use aegon::tree::transcripts_below;

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
}
