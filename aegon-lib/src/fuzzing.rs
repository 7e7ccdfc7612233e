//! Bodies of the fuzz targets in `fuzz/`, kept in the library so the same code runs on stable:
//! the test suite replays saved inputs through them (`tests/fuzz_regressions.rs`).
//!
//! Each function panics when an invariant breaks, which is what a fuzzer reports.

use std::ops::ControlFlow;

use crate::lines::{LineItem, LineSplitter};
use crate::render::ndjson::NdjsonRenderer;
use crate::render::plain::{PlainOptions, PlainRenderer};
use crate::{Options, Pipeline};

/// Splits `data` whole and in chunks whose sizes come from its first bytes; the lines must be
/// the same.
pub fn split_lines(data: &[u8]) {
    let (&max, rest) = data.split_first().unwrap_or((&16, &[]));
    let max = usize::from(max);
    let whole = collect_lines(&[rest], max);
    let mut chunks = Vec::new();
    let mut at = 0;
    let mut sizes = rest.iter().cycle().map(|b| usize::from(*b % 7) + 1);
    while at < rest.len() {
        let n = sizes.next().unwrap_or(1).min(rest.len() - at);
        chunks.push(&rest[at..at + n]);
        at += n;
    }
    assert_eq!(
        whole,
        collect_lines(&chunks, max),
        "chunking changed the lines"
    );
}

/// The splitter's items for `chunks` fed in order (with a line limit of `max`), as debug
/// strings: what the chunk-invariance checks compare.
pub fn collect_lines(chunks: &[&[u8]], max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut splitter = LineSplitter::new(max);
    let mut sink = |item: LineItem<'_>| {
        out.push(format!("{item:?}"));
        ControlFlow::Continue(())
    };
    for chunk in chunks {
        let _ = splitter.push(chunk, &mut sink);
    }
    let _ = splitter.finish(&mut sink);
    out
}

/// Runs `data` through the whole pipeline into both renderers; every NDJSON line must be JSON
/// and the plain output must hold no control character but its newlines.
pub fn pipeline(data: &[u8]) {
    let ndjson = run(data, NdjsonRenderer::new(Vec::new())).into_inner();
    for line in ndjson.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(line) {
            panic!(
                "NDJSON output is not JSON ({e}): {}",
                String::from_utf8_lossy(line)
            );
        }
    }
    let plain = run(
        data,
        PlainRenderer::new(Vec::new(), PlainOptions::default()),
    )
    .into_inner();
    let text = String::from_utf8(plain).expect("plain output is UTF-8");
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "control character in plain output: {text:?}"
    );
}

fn run<R: crate::Renderer>(data: &[u8], renderer: R) -> R {
    let mut pipeline = Pipeline::new(Options { max_line: 4096 }, renderer);
    // Errors cannot happen writing to a Vec; a panic here is a finding.
    let _ = pipeline.read_to_end("fuzz", data);
    let (renderer, stats) = pipeline.finish().expect("finish");
    assert_eq!(stats.bytes, data.len() as u64, "bytes lost");
    renderer
}
