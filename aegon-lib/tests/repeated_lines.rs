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

#[test]
fn a_file_read_three_times_yields_its_events_once() {
    let once = fixture("marot__spotter__test__fixtures__transcripts__tool_heavy.jsonl");
    let (out_once, stats_once) = read(&[&once]);
    let thrice = [once.as_slice(), &once, &once].concat();
    let (out_thrice, stats) = read(&[&thrice]);
    // Events of lines with a uuid come once; those of lines without one (snapshots, queue
    // operations) come with each copy.
    let split = |out: &str| -> (Vec<String>, usize) {
        let (with, without): (Vec<&str>, Vec<&str>) =
            out.lines().partition(|l| l.contains("\"uuid\":"));
        (with.into_iter().map(str::to_owned).collect(), without.len())
    };
    let (with_once, without_once) = split(&out_once);
    let (with_thrice, without_thrice) = split(&out_thrice);
    assert_eq!(with_thrice, with_once);
    assert!(without_once > 0);
    assert_eq!(without_thrice, 3 * without_once);
    assert_eq!(stats.lines, 3 * stats_once.lines);
    assert_eq!(stats_once.repeated_lines, 0);
    assert_eq!(stats.repeated_lines, 2 * lines_with_uuid(&once));
    assert!(stats.repeated_lines > 0);
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
    // first bytes again: the two repeats are repeats; a line without uuid is never one.
    let a = br#"{"type":"user","uuid":"u-1","sessionId":"s1","message":{"role":"user","content":"hi"}}"#;
    let b = br#"{"type":"user","uuid":"u-1","sessionId":"s2","message":{"role":"user","content":"hi"}}"#;
    let c = br#"{"type":"summary","summary":"title","leafUuid":"u-1"}"#;
    let input = [a.as_slice(), b"\n", c, b"\n", b, b"\n", a, b"\n", c, b"\n"].concat();
    let (out, stats) = read(&[&input]);
    assert_eq!(stats.repeated_lines, 2);
    assert_eq!(out.matches("\"kind\":\"user_prompt\"").count(), 1, "{out}");
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
