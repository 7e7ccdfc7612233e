//! Lines met again byte for byte are known by a hash of their bytes instead of being parsed
//! (the pipeline's clean-line memory): the output and the counters must be those of reading
//! them, whatever the chunking, and a repeated line with a problem must still report it.
//!
//! The right values are computed independently of the pipeline: lines with a uuid counted with
//! serde_json, and the output of a file read once.

use aegon::render::ndjson::NdjsonRenderer;
use aegon::{Options, Pipeline, Stats};
use proptest::prelude::*;

fn read(chunks: &[&[u8]]) -> (String, Stats) {
    let mut pipeline = Pipeline::new(Options::default(), NdjsonRenderer::new(Vec::new()));
    let mut input = pipeline.open("input");
    for c in chunks {
        let _ = pipeline.push(&mut input, c).unwrap();
    }
    let _ = pipeline.close(input).unwrap();
    let (renderer, stats) = pipeline.finish().unwrap();
    (String::from_utf8(renderer.into_inner()).unwrap(), stats)
}

fn fixture(name: &str) -> Vec<u8> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/corpus/");
    std::fs::read(format!("{root}{name}")).unwrap()
}

/// Lines of `data` that are JSON objects with a string `uuid`.
fn lines_with_uuid(data: &[u8]) -> u64 {
    data.split(|&b| b == b'\n')
        .filter_map(|l| serde_json::from_slice::<serde_json::Value>(l).ok())
        .filter(|v| v.get("uuid").is_some_and(serde_json::Value::is_string))
        .count() as u64
}

/// Lines of `data` that are JSON objects without a `uuid`, before the first with one and
/// after it.
fn lines_without_uuid(data: &[u8]) -> (u64, u64) {
    let mut seen_uuid = false;
    let (mut before, mut after) = (0, 0);
    for v in data
        .split(|&b| b == b'\n')
        .filter_map(|l| serde_json::from_slice::<serde_json::Value>(l).ok())
        .filter(serde_json::Value::is_object)
    {
        match (
            v.get("uuid").is_some_and(serde_json::Value::is_string),
            seen_uuid,
        ) {
            (true, _) => seen_uuid = true,
            (false, false) => before += 1,
            (false, true) => after += 1,
        }
    }
    (before, after)
}

/// Reads each of `inputs` as an input of its own, all named `input`.
fn read_inputs(inputs: &[&[u8]]) -> (String, Stats) {
    let mut pipeline = Pipeline::new(Options::default(), NdjsonRenderer::new(Vec::new()));
    for bytes in inputs {
        let mut input = pipeline.open("input");
        let _ = pipeline.push(&mut input, bytes).unwrap();
        let _ = pipeline.close(input).unwrap();
    }
    let (renderer, stats) = pipeline.finish().unwrap();
    (String::from_utf8(renderer.into_inner()).unwrap(), stats)
}

#[test]
fn a_file_read_three_times_yields_its_events_once() {
    let once = fixture("marot__spotter__test__fixtures__transcripts__tool_heavy.jsonl");
    let (out_once, stats_once) = read(&[&once]);
    let with_uuid = lines_with_uuid(&once);
    let (leading, later) = lines_without_uuid(&once);
    // The real file has lines without uuid (snapshots, queue operations), one of them first.
    assert!(leading > 0 && later > 0, "{leading} {later}");
    assert_eq!(stats_once.repeated_lines, 0);
    // Three inputs: every line of the second and third is a repeat, lines without uuid too
    // (every line of this file yields an event).
    let (out_thrice, stats) = read_inputs(&[&once, &once, &once]);
    assert_eq!(out_thrice, out_once);
    assert_eq!(stats.lines, 3 * stats_once.lines);
    assert_eq!(stats.repeated_lines, 2 * (with_uuid + leading + later));
    // One input holding the file three times: a line without uuid is known by the line with
    // a uuid before it, so only those before the first such line come again.
    let thrice = [once.as_slice(), &once, &once].concat();
    let (out_thrice, stats) = read(&[&thrice]);
    let n = stats_once.lines;
    let first_uuid_line = 1 + once
        .split(|&b| b == b'\n')
        .position(|l| {
            serde_json::from_slice::<serde_json::Value>(l)
                .is_ok_and(|v| v.get("uuid").is_some_and(serde_json::Value::is_string))
        })
        .unwrap() as u64;
    let (mut first_copy, mut later_copies) = (Vec::new(), 0);
    for event in out_thrice.lines() {
        let v: serde_json::Value = serde_json::from_str(event).unwrap();
        let line = v["source"]["line"].as_u64().unwrap();
        if line <= n {
            first_copy.push(event);
        } else {
            // Only lines before the first with a uuid, and no line with a uuid, come again.
            assert!((line - 1) % n + 1 < first_uuid_line, "{event}");
            assert!(
                v.get("uuid").is_none_or(serde_json::Value::is_null),
                "{event}"
            );
            later_copies += 1;
        }
    }
    assert_eq!(first_copy, out_once.lines().collect::<Vec<_>>());
    // The second copy's come after the first copy's last line, and so do the third's: they
    // come once more, not twice.
    assert_eq!(later_copies, leading);
    assert_eq!(stats.repeated_lines, 2 * (with_uuid + later) + leading);
}

#[test]
fn a_state_line_written_again_later_is_not_a_repeat() {
    // Claude Code writes `permission-mode` again when the mode changes back, and re-appends
    // a title: one file read once keeps them all; a second copy read after it adds nothing.
    let prompt = |uuid: &str| {
        format!(
            r#"{{"type":"user","uuid":"{uuid}","sessionId":"s","message":{{"role":"user","content":"hi"}}}}"#
        )
    };
    let mode =
        |m: &str| format!(r#"{{"type":"permission-mode","permissionMode":"{m}","sessionId":"s"}}"#);
    let lines = [
        mode("default"),
        prompt("u-1"),
        mode("plan"),
        mode("plan"),
        prompt("u-2"),
        mode("default"),
        mode("default"),
    ];
    let file = lines.join("\n") + "\n";
    let (out, stats) = read(&[file.as_bytes()]);
    assert_eq!(
        out.matches("\"kind\":\"permission_mode\"").count(),
        5,
        "{out}"
    );
    assert_eq!(stats.repeated_lines, 0);
    let (twice, stats) = read_inputs(&[file.as_bytes(), file.as_bytes()]);
    assert_eq!(twice, out);
    assert_eq!(stats.repeated_lines, lines.len() as u64);
}

#[test]
fn a_repeated_line_with_a_problem_still_reports_it() {
    // A bad escape in `cwd`: the line is read, the member skipped and reported, every time.
    let line =
        br#"{"type":"user","uuid":"u-1","cwd":"a\qb","message":{"role":"user","content":"hi"}}"#;
    let input = [line.as_slice(), b"\n", line, b"\n", line, b"\n"].concat();
    let (out, stats) = read(&[&input]);
    assert_eq!(stats.malformed.invalid_json, 3);
    assert_eq!(stats.malformed.recovered, 3);
    assert_eq!(stats.repeated_lines, 2);
    assert_eq!(out.matches("\"kind\":\"malformed\"").count(), 3, "{out}");
    assert_eq!(out.matches("\"kind\":\"user_prompt\"").count(), 1, "{out}");
}

#[test]
fn same_uuid_other_bytes_and_lines_without_uuid() {
    // A clean line, then the same uuid with other bytes (a resumed session's copy), then the
    // first bytes again: the two repeats are repeats; so is a line without uuid that comes
    // again after the same entry.
    let a = br#"{"type":"user","uuid":"u-1","sessionId":"s1","message":{"role":"user","content":"hi"}}"#;
    let b = br#"{"type":"user","uuid":"u-1","sessionId":"s2","message":{"role":"user","content":"hi"}}"#;
    let c = br#"{"type":"summary","summary":"title","leafUuid":"u-1"}"#;
    let input = [a.as_slice(), b"\n", c, b"\n", b, b"\n", a, b"\n", c, b"\n"].concat();
    let (out, stats) = read(&[&input]);
    assert_eq!(stats.repeated_lines, 3);
    assert_eq!(out.matches("\"kind\":\"user_prompt\"").count(), 1, "{out}");
    assert_eq!(out.matches("\"kind\":\"title\"").count(), 1, "{out}");
    // After another entry, the same line without uuid is a line of its own.
    let d = br#"{"type":"user","uuid":"u-2","sessionId":"s1","message":{"role":"user","content":"more"}}"#;
    let input = [input.as_slice(), d, b"\n", c, b"\n"].concat();
    let (out, stats) = read(&[&input]);
    assert_eq!(stats.repeated_lines, 3);
    assert_eq!(out.matches("\"kind\":\"title\"").count(), 2, "{out}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Chunk invariance holds where lines are known by their bytes: a transcript with hostile
    /// lines, read twice over in one input.
    #[test]
    fn repeated_input_output_does_not_depend_on_chunking(
        cuts in proptest::collection::vec(any::<usize>(), 0..64),
    ) {
        let short = fixture("marot__spotter__test__fixtures__transcripts__short.jsonl");
        let mut once = short.clone();
        once.extend_from_slice(b"{\"a\":\"\0\0\"}\nnot json\n\xff{\"type\":\"user\",\"uuid\":\"x\"}\n");
        let input = [once.as_slice(), &once, &short].concat();
        let (whole, stats) = read(&[&input]);
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        points.sort_unstable();
        let mut pieces = Vec::new();
        let mut start = 0;
        for p in points {
            pieces.push(&input[start..p]);
            start = p;
        }
        pieces.push(&input[start..]);
        let (cut, cut_stats) = read(&pieces);
        prop_assert!(whole == cut, "outputs differ for cuts {:?}", cuts);
        prop_assert_eq!(stats, cut_stats);
    }
}

/// Lines whose uuid stands where a search of the bytes before a parse (one way to know a line
/// met again without parsing it; filt6 tried it, bench/filter.sh) would go wrong: far from the
/// end, around 512 bytes from it, escaped, or before a nested `uuid` member that is not the
/// line's and is another line's uuid. Read twice in one input, each line of the second copy
/// is a repeat and yields nothing: the output is the first copy's.
#[test]
fn lines_whose_uuid_is_hard_to_find_repeat_like_any_other() {
    let pad = |n: usize| "x".repeat(n);
    let mut lines: Vec<String> = vec![
        // Its last `"uuid":"` is a nested object's, the uuid of the next line.
        r#"{"type":"user","uuid":"u-1","message":{"role":"user","content":"one"},"toolUseResult":{"uuid":"u-2"}}"#.into(),
        r#"{"type":"user","uuid":"u-2","message":{"role":"user","content":"two"}}"#.into(),
        // Escaped: its decoded text is `u-3`.
        r#"{"type":"user","uuid":"u\u002d3","message":{"role":"user","content":"three"}}"#
            .into(),
        // Far from the end.
        format!(
            r#"{{"type":"user","uuid":"u-4","message":{{"role":"user","content":"four"}},"toolUseResult":"{}"}}"#,
            pad(3000)
        ),
    ];
    // Around the start of the last 512 bytes (searched backwards; the rest forwards).
    for (i, k) in (480..530).step_by(3).enumerate() {
        lines.push(format!(
            r#"{{"type":"user","message":{{"role":"user","content":"p{i}"}},"uuid":"p-{i}","pad":"{}"}}"#,
            pad(k)
        ));
    }
    let once: Vec<u8> = lines
        .iter()
        .flat_map(|l| [l.as_bytes(), b"\n"].concat())
        .collect();
    let (out_once, stats_once) = read(&[&once]);
    assert_eq!(stats_once.repeated_lines, 0);
    assert_eq!(
        out_once.matches("\"kind\":\"user_prompt\"").count(),
        lines.len(),
        "{out_once}"
    );
    let twice = [once.as_slice(), &once].concat();
    let (out_twice, stats) = read(&[&twice]);
    assert_eq!(out_twice, out_once);
    assert_eq!(stats.repeated_lines, lines.len() as u64);
    assert_eq!(stats.lines, 2 * lines.len() as u64);
}
