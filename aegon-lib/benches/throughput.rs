//! `cargo bench -p aegon-lib`: throughput of each stage on the corpus, in one process on one
//! core, so the stages can be compared: a bare borrowed serde_json parse (the floor for any
//! serde-based parser), aegon's record parse, decoding to events, and the whole pipeline to
//! NDJSON and plain output in memory.
//!
//! The input is the fixtures (or `$AEGON_CORPUS`) repeated to about 64 MB. Give words to run
//! only the stages whose names contain one: `cargo bench -p aegon-lib -- parse`.

use std::hint::black_box;
use std::ops::ControlFlow;
use std::time::Instant;

use aegon::render::ndjson::NdjsonRenderer;
use aegon::render::plain::{PlainOptions, PlainRenderer};
use aegon::source::lines::Line;
use aegon::{Options, Pipeline};

fn corpus() -> Vec<u8> {
    let dir = std::env::var("AEGON_CORPUS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/corpus").to_owned());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus directory")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let mut one = Vec::new();
    for f in files {
        one.extend_from_slice(&std::fs::read(f).unwrap());
    }
    let mut data = Vec::with_capacity(64 << 20);
    while data.len() < 64 << 20 {
        data.extend_from_slice(&one);
    }
    data
}

/// Runs a stage unless a filter given on the command line (`cargo bench -- WORD`) excludes it.
fn measure(name: &str, bytes: usize, mut f: impl FnMut()) {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if !filter.is_empty() && !filter.iter().any(|w| name.contains(w.as_str())) {
        return;
    }
    f(); // warm up
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        f();
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "{name:<40} {:>8.0} MB/s  ({:.3} s best of 5)",
        bytes as f64 / best / 1e6,
        best
    );
}

fn main() {
    let data = corpus();
    let lines: Vec<&[u8]> = data
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    println!(
        "input: {:.1} MB, {} lines",
        data.len() as f64 / 1e6,
        lines.len()
    );
    measure("memchr line split", data.len(), || {
        black_box(memchr::memchr_iter(b'\n', &data).count());
    });
    measure("serde_json IgnoredAny (bare parse)", data.len(), || {
        for l in &lines {
            black_box(serde_json::from_slice::<serde::de::IgnoredAny>(l).unwrap());
        }
    });
    let texts: Vec<&str> = lines
        .iter()
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    measure("lone surrogate search (repair)", data.len(), || {
        for text in &texts {
            black_box(aegon::format::claude::repair::lone_surrogates(text));
        }
    });
    measure("aegon record parse", data.len(), || {
        for l in &lines {
            black_box(
                aegon::format::claude::record::parse_record(std::str::from_utf8(l).unwrap())
                    .unwrap(),
            );
        }
    });
    measure("aegon decode to events", data.len(), || {
        for (i, l) in lines.iter().enumerate() {
            let line = Line {
                bytes: l,
                number: i as u64 + 1,
                offset: 0,
                terminated: true,
            };
            let _ = aegon::format::claude::decode::decode_line("bench", line, |e| {
                black_box(&e);
                ControlFlow::Continue(())
            });
        }
    });
    let mut sink = Vec::with_capacity(data.len());
    measure("pipeline → NDJSON", data.len(), || {
        sink.clear();
        let mut p = Pipeline::new(Options::default(), NdjsonRenderer::new(&mut sink));
        let _ = p.read_to_end("bench", &data[..]).unwrap();
        p.finish().unwrap();
    });
    println!("  (NDJSON output: {:.1} MB)", sink.len() as f64 / 1e6);
    measure("pipeline → plain", data.len(), || {
        sink.clear();
        let mut p = Pipeline::new(
            Options::default(),
            PlainRenderer::new(&mut sink, PlainOptions::default()),
        );
        let _ = p.read_to_end("bench", &data[..]).unwrap();
        p.finish().unwrap();
    });
    measure("pipeline → session core", data.len(), || {
        let collector = aegon::render::summary::SessionCollector::default();
        let mut p = Pipeline::new(Options::default(), collector);
        let _ = p.read_to_end("bench", &data[..]).unwrap();
        black_box(p.finish().unwrap());
    });
    codex();
    #[cfg(feature = "tui")]
    measure(
        "pipeline → dashboard (--features tui)",
        data.len(),
        || {
            let mut p = Pipeline::new(Options::default(), aegon::dashboard::Dashboard::new());
            let _ = p.read_to_end("bench", &data[..]).unwrap();
            black_box(p.finish().unwrap());
        },
    );
}

/// The Codex stages, on the Codex fixtures (`fixtures/agents/codex`) repeated to about 64 MB:
/// beside the Claude stages above, the cost of the second adapter.
fn codex() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/agents/codex");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("Codex fixtures")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let mut one = Vec::new();
    for f in files {
        one.extend_from_slice(&std::fs::read(f).unwrap());
    }
    let mut data = Vec::with_capacity(64 << 20);
    while data.len() < 64 << 20 {
        data.extend_from_slice(&one);
    }
    let lines: Vec<&[u8]> = data
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    println!(
        "codex input: {:.1} MB, {} lines",
        data.len() as f64 / 1e6,
        lines.len()
    );
    measure(
        "codex serde_json IgnoredAny (bare parse)",
        data.len(),
        || {
            for l in &lines {
                black_box(serde_json::from_slice::<serde::de::IgnoredAny>(l).unwrap());
            }
        },
    );
    measure("codex decode to events", data.len(), || {
        let mut decoder = aegon::format::codex::Decoder::default();
        for (i, l) in lines.iter().enumerate() {
            let line = Line {
                bytes: l,
                number: i as u64 + 1,
                offset: 0,
                terminated: true,
            };
            let _ = decoder.line("bench", line, &mut |e| {
                black_box(&e);
                ControlFlow::Continue(())
            });
        }
    });
    let mut sink = Vec::with_capacity(data.len());
    measure("codex pipeline → NDJSON", data.len(), || {
        sink.clear();
        let mut p = Pipeline::new(Options::default(), NdjsonRenderer::new(&mut sink));
        let _ = p.read_to_end("bench", &data[..]).unwrap();
        p.finish().unwrap();
    });
    measure("codex pipeline → session core", data.len(), || {
        let collector = aegon::render::summary::SessionCollector::default();
        let mut p = Pipeline::new(Options::default(), collector);
        let _ = p.read_to_end("bench", &data[..]).unwrap();
        black_box(p.finish().unwrap());
    });
}
