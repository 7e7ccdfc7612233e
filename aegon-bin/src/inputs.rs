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
    use std::fs;

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
