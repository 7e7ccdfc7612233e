//! The documented embedder path over several files (`source::order` + `Pipeline` +
//! `Sessions::apply`) on `fixtures/bugs/08-resume-copy/` (provenance and right values in
//! `fixtures/bugs/README.md`): session B's file is a resumed copy of session A's lines plus
//! one new turn. Right values from that README: A 2 calls $0.0112, B 1 call $0.0036, in any
//! file order.

use std::path::PathBuf;

use aegon::render::Flow;
use aegon::session::Sessions;
use aegon::source::order::in_first_occurred_order;
use aegon::{Event, Options, Pipeline, Renderer};

struct Apply(Sessions);

impl Renderer for Apply {
    fn on_event(&mut self, e: &Event<'_>) -> std::io::Result<Flow> {
        self.0.apply(e, 0);
        Ok(Flow::Continue(()))
    }
}

fn files() -> (PathBuf, PathBuf) {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/bugs/08-resume-copy"
    ));
    (
        dir.join("11111111-2222-4333-8444-5555555555a8.jsonl"),
        dir.join("11111111-2222-4333-8444-5555555555b8.jsonl"),
    )
}

/// (session id suffix, API calls, cost in tenths of a cent, rounded) of each session.
fn read(files: &[PathBuf]) -> Vec<(String, u64, i64)> {
    let mut pipeline = Pipeline::new(Options::default(), Apply(Sessions::new()));
    for f in files {
        let file = std::fs::File::open(f).unwrap();
        let _ = pipeline
            .read_to_end(&f.display().to_string(), file)
            .unwrap();
    }
    let (Apply(sessions), _) = pipeline.finish().unwrap();
    let mut out: Vec<_> = sessions
        .iter()
        .map(|s| {
            (
                s.id[s.id.len() - 2..].to_owned(),
                s.api_calls(),
                (s.cost().unwrap_or(0.0) * 10_000.0).round() as i64,
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_resumed_copy_gets_only_its_own_turn_in_any_file_order() {
    let (a, b) = files();
    let right = vec![("a8".to_owned(), 2, 112), ("b8".to_owned(), 1, 36)];
    for given in [vec![a.clone(), b.clone()], vec![b.clone(), a.clone()]] {
        for workers in [1, 4] {
            let ordered = in_first_occurred_order(&given, workers, Options::default());
            assert_eq!(ordered, [a.clone(), b.clone()], "{given:?}");
            assert_eq!(read(&ordered), right, "{given:?} on {workers} workers");
        }
    }
    // The fault the order prevents: the copy read first takes its parent's entries.
    assert_ne!(read(&[b, a]), right);
}
