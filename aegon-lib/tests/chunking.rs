//! Chunk invariance: however the input is cut into chunks, the output is the same.
//!
//! Properties checked with proptest, at two levels: the line splitter on arbitrary bytes, and
//! the whole pipeline (lines → events → NDJSON) on real transcript lines mixed with hostile
//! ones (CRLF, a BOM, blank lines, invalid UTF-8, NUL bytes, records run together on one line,
//! over-long and truncated lines).

use aegon::render::ndjson::NdjsonRenderer;
use aegon::{Options, Pipeline};
use proptest::prelude::*;

/// Splits `input` at the given cut points (each taken modulo the length, sorted).
fn chunks<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for p in points {
        out.push(&input[start..p]);
        start = p;
    }
    out.push(&input[start..]);
    out
}

fn render(chunks: &[&[u8]], max_line: usize) -> Vec<u8> {
    let mut pipeline = Pipeline::new(
        Options {
            max_line,
            ..Options::default()
        },
        NdjsonRenderer::new(Vec::new()),
    );
    let mut input = pipeline.open("input");
    for c in chunks {
        let _ = pipeline.push(&mut input, c).unwrap();
    }
    let _ = pipeline.close(input).unwrap();
    let (renderer, _) = pipeline.finish().unwrap();
    renderer.into_inner()
}

/// Real lines (marot/spotter fixtures, 2.1.38) with hostile lines made by this test around them.
fn mixed_input() -> Vec<u8> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/corpus/");
    let short = std::fs::read(format!(
        "{root}marot__spotter__test__fixtures__transcripts__short.jsonl"
    ))
    .unwrap();
    let heavy = std::fs::read(format!(
        "{root}marot__spotter__test__fixtures__transcripts__tool_heavy.jsonl"
    ))
    .unwrap();
    let mut input = b"\xEF\xBB\xBF".to_vec();
    input.extend_from_slice(&short);
    input.extend_from_slice(
        b"\r\n\n   \n{\"type\":\"user\",\"message\":{\"content\":\"caf\xE9\"}}\r\n",
    );
    input.extend_from_slice(b"{\"a\":\"\0\0\"}\nnot json\n");
    // Records run together (a lost newline), with whitespace between two of them.
    input.extend_from_slice(
        b"{\"type\":\"user\",\"message\":{\"content\":\"}{\"}}{\"a\":1} {\"type\":\"user\"}\n",
    );
    input.extend_from_slice(&heavy);
    input.extend_from_slice(b"{\"type\":\"assistant\",\"message\":{\"id\":\"m\"");
    input
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn splitter_output_does_not_depend_on_chunking(
        input in proptest::collection::vec(prop_oneof![
            Just(b'a'), Just(b'\n'), Just(b'\r'), Just(0xEF), Just(0xBB), Just(0xBF), Just(0u8)
        ], 0..300),
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
        max in 0usize..20,
        bom in any::<bool>(),
    ) {
        let input = if bom { [b"\xEF\xBB\xBF".as_slice(), &input].concat() } else { input };
        let whole = aegon::fuzzing::collect_lines(&[&input], max);
        let cut = aegon::fuzzing::collect_lines(&chunks(&input, &cuts), max);
        prop_assert_eq!(whole, cut);
    }

    #[test]
    fn pipeline_output_does_not_depend_on_chunking(
        cuts in proptest::collection::vec(any::<usize>(), 0..64),
        max_line in prop_oneof![Just(100usize), Just(2_000), Just(16 << 20)],
    ) {
        let input = mixed_input();
        let whole = render(&[&input], max_line);
        let cut = render(&chunks(&input, &cuts), max_line);
        prop_assert!(whole == cut, "outputs differ for cuts {:?}", cuts);
    }
}

#[test]
fn one_byte_at_a_time_equals_all_at_once() {
    let input = mixed_input();
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    let whole = render(&[&input], 16 << 20);
    assert_eq!(render(&bytes, 16 << 20), whole);
    // And the mixed input really exercises the bad-input paths.
    let text = String::from_utf8(whole).unwrap();
    for reason in ["invalid_utf8", "nul_bytes", "invalid_json", "truncated"] {
        assert!(
            text.contains(&format!("\"reason\":\"{reason}\"")),
            "no {reason} event"
        );
    }
    assert!(text.contains("\"kind\":\"tool_call\""));
}
