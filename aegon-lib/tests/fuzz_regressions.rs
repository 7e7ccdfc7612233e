//! Replays every saved fuzz input (`fuzz/regressions/<target>/*`) and the fixtures through the
//! fuzz target bodies, on stable, as part of the normal test suite.

use std::path::Path;

fn replay(target: &str, body: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target);
    let mut n = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries {
            let path = entry.unwrap().path();
            body(&std::fs::read(&path).unwrap());
            n += 1;
        }
    }
    n
}

#[test]
fn saved_inputs_still_pass() {
    let n = replay("split_lines", aegon::fuzzing::split_lines)
        + replay("pipeline", aegon::fuzzing::pipeline);
    assert!(
        n >= 2,
        "expected saved inputs under fuzz/regressions, found {n}"
    );
}

/// A fuzz target's name (its folder under `fuzz/regressions/`) and body.
type Target = (&'static str, fn(&[u8]));

/// Every target.
fn targets() -> Vec<Target> {
    let targets: Vec<Target> = vec![
        ("split_lines", aegon::fuzzing::split_lines),
        ("record", aegon::fuzzing::record),
        ("sessions", aegon::fuzzing::sessions),
        ("pipeline", aegon::fuzzing::pipeline),
        ("codex", aegon::fuzzing::codex),
        ("audit", aegon::fuzzing::audit),
        ("gemini", aegon::fuzzing::gemini),
    ];
    // Not `let mut` and `push`: without `tui` the `mut` would be unused (a clippy error).
    #[cfg(feature = "tui")]
    let targets = [
        targets,
        vec![("dashboard", aegon::fuzzing::dashboard as fn(&[u8]))],
    ]
    .concat();
    targets
}

#[test]
fn fixtures_pass_every_target() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/corpus");
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            let bytes = std::fs::read(&path).unwrap();
            for (name, body) in targets() {
                if name != "split_lines" {
                    body(&bytes);
                }
            }
            files += 1;
        }
    }
    assert!(files >= 20, "{files} fixtures");
}

#[test]
fn saved_inputs_of_every_target_still_pass() {
    for (name, body) in targets() {
        replay(name, body);
    }
}

#[test]
fn codex_fixtures_pass_every_target() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/agents/codex");
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            let bytes = std::fs::read(&path).unwrap();
            for (name, body) in targets() {
                if name != "split_lines" {
                    body(&bytes);
                }
            }
            files += 1;
        }
    }
    assert!(files >= 13, "{files} Codex fixtures");
}

#[test]
fn gemini_fixtures_and_every_cut_of_one_pass_every_target() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/agents");
    let mut files = 0;
    for agent in ["gemini", "qwen"] {
        for entry in std::fs::read_dir(dir.join(agent)).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            for (name, body) in targets() {
                if name != "split_lines" {
                    body(&bytes);
                }
            }
            files += 1;
        }
    }
    assert!(files >= 17, "{files} fixtures");
    // Every prefix and every one-byte damage of the smallest chat file (721 bytes).
    let small = std::fs::read(dir.join(
        "gemini/Ju-l-e-s__Myflix__.gemini__tmp__jules__chats__session-2026-02-25T17-54-48c7bcc7.json",
    ))
    .unwrap();
    for cut in 0..small.len() {
        aegon::fuzzing::gemini(&small[..cut]);
        aegon::fuzzing::pipeline(&small[..cut]);
        let mut damaged = small.clone();
        damaged[cut] = [b'"', b'}', 0xFF, b'\n'][cut % 4];
        aegon::fuzzing::gemini(&damaged);
    }
}
