//! Bodies of the fuzz targets in `fuzz/`, kept in the library so the same code runs on stable:
//! the test suite replays saved inputs through them (`tests/fuzz_regressions.rs`).
//!
//! Each function panics when an invariant breaks, which is what a fuzzer reports.

use std::ops::ControlFlow;

use crate::render::ndjson::NdjsonRenderer;
use crate::render::plain::{PlainOptions, PlainRenderer};
use crate::source::lines::{LineItem, LineSplitter};
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

/// Parses each line of `data` as a record and decodes it on its own: neither may panic, and
/// every line that is not blank must come out as at least one event (a `malformed` one when it
/// cannot be read): no line is lost silently.
pub fn record(data: &[u8]) {
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        if let Ok(text) = std::str::from_utf8(line) {
            let _ = crate::format::claude::record::parse_record(text.trim_end_matches('\r'));
        }
        let item = crate::source::lines::Line {
            bytes: line,
            number: i as u64 + 1,
            offset: 0,
            terminated: true,
        };
        let mut events = 0usize;
        let _ = crate::format::claude::decode::decode_line("fuzz", item, |_| {
            events += 1;
            ControlFlow::Continue(())
        });
        let blank = line.iter().all(u8::is_ascii_whitespace);
        assert!(
            blank || events > 0,
            "line {} gave no event: {:?}",
            i + 1,
            String::from_utf8_lossy(line)
        );
    }
}

/// Decodes `data` line by line as a Codex rollout (whatever it looks like): nothing may panic,
/// every event names the Codex agent, and a non-blank line that is not a JSON object must come
/// out as a `malformed` event (a line that is one may yield nothing: turn contexts, mirrored
/// events and repeated token counts are read into state).
pub fn codex(data: &[u8]) {
    let mut decoder = crate::format::codex::Decoder::default();
    let mut offset = 0u64;
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        let item = crate::source::lines::Line {
            bytes: line,
            number: i as u64 + 1,
            offset,
            terminated: true,
        };
        offset += line.len() as u64 + 1;
        let mut malformed = 0usize;
        let _ = decoder.line("fuzz", item, &mut |e| {
            assert_eq!(e.agent, crate::Agent::Codex, "an event of another agent");
            if let crate::EventKind::Malformed(m) = &e.kind {
                assert!(m.error_offset >= item.offset, "malformed before its line");
                malformed += 1;
            }
            ControlFlow::Continue(())
        });
        let blank = line.iter().all(u8::is_ascii_whitespace);
        let object = serde_json::from_slice::<serde_json::Value>(line).is_ok_and(|v| v.is_object());
        assert!(
            blank || object || malformed > 0,
            "line {} is not a JSON object and gave no malformed event: {:?}",
            i + 1,
            String::from_utf8_lossy(line)
        );
    }
    let _ = decoder.finish("fuzz", &mut |_| ControlFlow::Continue(()));
}

/// Audits `data` as `aegon audit` does ([`crate::format::audit`]), whole and in chunks whose
/// sizes come from its bytes: nothing may panic, the findings must not depend on the chunking,
/// and every malformed place must lie inside the input.
pub fn audit(data: &[u8]) {
    use crate::format::audit::Audit;
    let mut whole = Audit::new(4096, None);
    let _ = whole.read("fuzz", data);
    let json = whole.to_json();
    let mut chunked = Audit::new(4096, None);
    let mut input = chunked.open("fuzz");
    let mut sizes = data.iter().cycle().map(|b| usize::from(*b % 13) + 1);
    let mut at = 0;
    while at < data.len() {
        let n = sizes.next().unwrap_or(1).min(data.len() - at);
        chunked.push(&mut input, &data[at..at + n]);
        at += n;
    }
    chunked.close(input);
    assert_eq!(json, chunked.to_json(), "chunking changed the findings");
    let lists = json["formats"]
        .as_array()
        .into_iter()
        .flatten()
        .chain([&json["unrecognised"]]);
    for list in lists {
        for problem in list["malformed"].as_array().into_iter().flatten() {
            for example in problem["examples"].as_array().into_iter().flatten() {
                let offset = example["offset"].as_u64().unwrap_or(u64::MAX);
                assert!(
                    offset <= data.len() as u64,
                    "a place past the input: {example}"
                );
            }
        }
    }
}

/// Decodes `data` as a Gemini CLI document (chat file or `logs.json`) and, line by line, as a
/// Gemini CLI JSONL chat file and as a Qwen Code file (whatever it looks like): nothing may
/// panic, every event names the agent, a problem's offset lies inside the input, a document
/// that is not valid JSON must yield a `malformed` event, and so must a non-blank line that is
/// not a JSON object.
pub fn gemini(data: &[u8]) {
    let mut malformed = 0usize;
    let _ = crate::format::gemini::decode_document("fuzz", data, 1, 0, &mut |e| {
        assert_eq!(
            e.agent,
            crate::Agent::GeminiCli,
            "an event of another agent"
        );
        if let crate::EventKind::Malformed(m) = &e.kind {
            assert!(
                m.error_offset <= data.len() as u64,
                "a problem past the end"
            );
            malformed += 1;
        }
        ControlFlow::Continue(())
    });
    let valid = serde_json::from_slice::<serde_json::Value>(data).is_ok();
    // A text whose first line is a JSON object is read as JSONL lines.
    let first = data.split(|&b| b == b'\n').next().unwrap_or_default();
    let lines = serde_json::from_slice::<serde_json::Value>(first).is_ok_and(|v| v.is_object());
    assert!(
        valid || lines || malformed > 0,
        "invalid JSON document, no malformed event"
    );
    let mut gemini = crate::format::gemini::Decoder::default();
    let mut qwen = crate::format::qwen::Decoder;
    let mut offset = 0u64;
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        let item = crate::source::lines::Line {
            bytes: line,
            number: i as u64 + 1,
            offset,
            terminated: true,
        };
        offset += line.len() as u64 + 1;
        let mut malformed = 0usize;
        let mut check = |e: crate::Event<'_>, agent: crate::Agent| {
            assert_eq!(e.agent, agent, "an event of another agent");
            if let crate::EventKind::Malformed(m) = &e.kind {
                assert!(
                    m.error_offset >= item.offset && m.error_offset <= offset,
                    "a problem outside its line"
                );
                malformed += 1;
            }
            ControlFlow::Continue(())
        };
        let _ = gemini.line("fuzz", item, &mut |e| check(e, crate::Agent::GeminiCli));
        let _ = qwen.line("fuzz", item, &mut |e| check(e, crate::Agent::QwenCode));
        let blank = line.iter().all(u8::is_ascii_whitespace);
        let object = serde_json::from_slice::<serde_json::Value>(line).is_ok_and(|v| v.is_object());
        assert!(
            blank || object || malformed >= 2,
            "line {} is not a JSON object and gave no malformed event: {:?}",
            i + 1,
            String::from_utf8_lossy(line)
        );
    }
}

/// Runs `data` through the pipeline into the session core: the usage each session counts must
/// add up to the usage events of the stream (tokens are never lost or counted twice), and the
/// summary of it, as JSON, must parse.
pub fn sessions(data: &[u8]) {
    use crate::render::summary::{write_summary, SessionCollector, SummaryFormat};

    /// Sums usage events per session id, beside the collector.
    struct Both {
        collector: SessionCollector,
        usage: std::collections::BTreeMap<String, crate::Tokens>,
    }
    impl crate::Renderer for Both {
        fn on_event(&mut self, event: &crate::Event<'_>) -> std::io::Result<crate::render::Flow> {
            if let (Some(id), crate::EventKind::Usage { tokens, .. }) =
                (event.session_id.as_deref(), &event.kind)
            {
                let sum = self.usage.entry(id.to_owned()).or_default();
                *sum = sum.saturating_add(*tokens);
            }
            self.collector.on_event(event)
        }
    }
    let both = Both {
        collector: SessionCollector::default(),
        usage: Default::default(),
    };
    let mut pipeline = Pipeline::new(
        Options {
            max_line: 4096,
            ..Options::default()
        },
        both,
    );
    let _ = pipeline.read_to_end("fuzz", data);
    let (both, stats) = pipeline.finish().expect("finish");
    let mut sessions = both.collector.into_sessions();
    sessions.end_of_input();
    for (id, tokens) in &both.usage {
        let session = sessions.get(id).expect("a session for every session id");
        assert_eq!(
            session.tokens(),
            *tokens,
            "session {id} counts other tokens"
        );
    }
    let mut json = Vec::new();
    write_summary(&mut json, SummaryFormat::Json, &mut sessions, &stats).expect("write");
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&json) {
        panic!("summary JSON does not parse ({e})");
    }
    let mut table = Vec::new();
    write_summary(&mut table, SummaryFormat::Table, &mut sessions, &stats).expect("write");
    let table = String::from_utf8(table).expect("summary is UTF-8");
    assert!(
        !table.chars().any(|c| c.is_control() && c != '\n'),
        "control character in the summary: {table:?}"
    );
}

/// Runs `data` through the pipeline into the dashboard and draws it at a few sizes: nothing
/// may panic, and no control character may reach the screen.
#[cfg(feature = "tui")]
pub fn dashboard(data: &[u8]) {
    use crate::dashboard::{ui, Dashboard, Key, View};
    use ratatui::{backend::TestBackend, Terminal};

    let mut pipeline = Pipeline::new(
        Options {
            max_line: 4096,
            ..Options::default()
        },
        Dashboard::with(
            crate::session::pricing::Pricing::built_in(),
            std::sync::Arc::new(|| 1_800_000_000_000),
        ),
    );
    let _ = pipeline.read_to_end("fuzz", data);
    let (dashboard, _) = pipeline.finish().expect("finish");
    let mut view = View::default();
    let keys = [
        Key::Down,
        Key::Down,
        Key::Tab,
        Key::Down,
        Key::Tab,
        Key::Char('/'),
    ];
    for (i, (width, height)) in [(120, 40), (60, 12), (20, 5)].into_iter().enumerate() {
        let _ = view.on_key(keys[i * 2], &dashboard);
        let _ = view.on_key(keys[i * 2 + 1], &dashboard);
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        terminal
            .draw(|frame| ui::draw(frame, &dashboard, &mut view))
            .expect("draw");
        for cell in terminal.backend().buffer().content() {
            assert!(
                !cell.symbol().chars().any(char::is_control),
                "control character on screen: {:?}",
                cell.symbol()
            );
        }
    }
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
    let mut pipeline = Pipeline::new(
        Options {
            max_line: 4096,
            ..Options::default()
        },
        renderer,
    );
    // Errors cannot happen writing to a Vec; a panic here is a finding.
    let _ = pipeline.read_to_end("fuzz", data);
    let (renderer, stats) = pipeline.finish().expect("finish");
    assert_eq!(stats.bytes, data.len() as u64, "bytes lost");
    renderer
}
