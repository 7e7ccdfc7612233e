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

#[test]
fn fixtures_pass_the_pipeline_target() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/corpus");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            aegon::fuzzing::pipeline(&std::fs::read(&path).unwrap());
        }
    }
}
