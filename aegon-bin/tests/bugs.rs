//! The fault inputs of `fixtures/bugs/` (issue 11), held to the right values in its README,
//! and more inputs of the same kinds written here, each with its right value worked out by
//! hand from the input (not from aegon's output).
//!
//! Functions are named after the kind they check (`parsing_…` for damaged and other tools'
//! lines, `output_…` for what consumers read), so cases can be added beside them.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

mod common;

use common::{output_with_stdin, Reads};

fn bug(name: &str) -> PathBuf {
    common::root().join("fixtures/bugs").join(name)
}

/// Runs aegon with `args`, `stdin` on its standard input (read to the end).
fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aegon"));
    output_with_stdin(command.args(args), stdin, Reads::All)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every stdout line parsed by serde_json, which rejects lone surrogates: a line that would
/// not parse fails the test.
fn events(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .expect("UTF-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn summary_of(args: &[&str], stdin: &[u8]) -> (Value, String) {
    let mut all = vec!["--summary", "--json"];
    all.extend_from_slice(args);
    let out = run(&all, stdin);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (json, stderr(&out))
}

fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["kind"] == kind).collect()
}

// --- kind 2: damage a line can survive -----------------------------------------------------

#[test]
fn parsing_03_nul_padding_reads_the_padded_record_and_reports_the_tail() {
    let path = bug("03-nul-padding.jsonl");
    let bytes = std::fs::read(&path).unwrap();
    let path = path.to_str().unwrap();
    let (json, _) = summary_of(&[path], b"");
    assert_eq!(json["totals"]["sessions"], 1);
    assert_eq!(json["sessions"][0]["prompts"], 2);
    assert_eq!(json["totals"]["api_calls"], 2);
    assert_eq!(
        json["malformed_lines"], 2,
        "line 3 (recovered) and the tail"
    );

    let out = run(&["--ndjson", path], b"");
    let ev = events(&out);
    let m = of_kind(&ev, "malformed");
    assert_eq!(m.len(), 2, "{m:?}");
    // Line 3: the record is read; the report points at its first NUL byte.
    let first_nul = bytes.iter().position(|&b| b == 0).unwrap() as u64;
    assert_eq!(m[0]["source"]["line"], 3);
    assert_eq!(m[0]["reason"], "nul_bytes");
    assert_eq!(m[0]["recovered"], true);
    assert_eq!(m[0]["error_offset"].as_u64(), Some(first_nul));
    let prompts = of_kind(&ev, "user_prompt");
    assert_eq!(prompts[1]["text"], "second prompt before the crash");
    assert_eq!(prompts[1]["source"]["line"], 3);
    // The NUL tail with no newline at the end of the file: reported, nothing read from it.
    let tail_start = bytes.iter().rposition(|&b| b == b'\n').unwrap() as u64 + 1;
    assert_eq!(m[1]["source"]["line"], 5);
    assert_eq!(m[1]["reason"], "nul_bytes");
    assert_eq!(m[1]["recovered"], false);
    assert_eq!(m[1]["error_offset"].as_u64(), Some(tail_start));
    let err = stderr(&out);
    assert!(err.contains(":3: byte "), "{err}");
    assert!(err.contains(":5: byte "), "{err}");
    assert!(err.contains("1 line lost"), "{err}");
}

/// The API calls (distinct `message.id` of assistant lines with `usage`), tool calls (distinct
/// `tool_use` ids) and input and output tokens (the last usage written per response) of a
/// transcript, counted with serde_json alone, line by line: the right values, not aegon's.
fn count_by_hand(text: &str) -> (u64, u64, u64, u64) {
    let mut usage = std::collections::HashMap::new();
    let mut tools = std::collections::HashSet::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let r: Value = serde_json::from_str(line).unwrap();
        if r["type"] != "assistant" {
            continue;
        }
        let m = &r["message"];
        if m["usage"].is_object() {
            usage.insert(m["id"].as_str().unwrap().to_owned(), m["usage"].clone());
        }
        for b in m["content"].as_array().into_iter().flatten() {
            if b["type"] == "tool_use" {
                tools.insert(b["id"].as_str().unwrap().to_owned());
            }
        }
    }
    let sum = |k: &str| usage.values().map(|u| u[k].as_u64().unwrap()).sum();
    (
        usage.len() as u64,
        tools.len() as u64,
        sum("input_tokens"),
        sum("output_tokens"),
    )
}

#[test]
fn parsing_records_run_together_on_a_line_are_each_read() {
    // A real transcript (apanloco/random, 98 lines) damaged as a tester found it: the newline
    // after line 91 lost, so an API response shares its line with a tool result; and later
    // three records on one line, with spaces between.
    let path = common::root().join("fixtures/corpus/apanloco__random__session.jsonl");
    let text = std::fs::read_to_string(path).unwrap();
    let (calls, tools, input, output) = count_by_hand(&text);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 96);
    let mut damaged = String::new();
    let mut joins = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        damaged.push_str(line);
        match i + 1 {
            91 | 95 => joins.push(damaged.len() as u64),
            96 => {
                damaged.push_str("  ");
                joins.push(damaged.len() as u64);
            }
            _ => damaged.push('\n'),
        }
    }

    let (json, err) = summary_of(&[], damaged.as_bytes());
    assert_eq!(json["totals"]["api_calls"], calls, "{err}");
    assert_eq!(json["totals"]["tool_calls"], tools);
    assert_eq!(json["totals"]["tokens"]["input"], input);
    assert_eq!(json["totals"]["tokens"]["output"], output);
    assert_eq!(json["malformed_lines"], 2);
    // Named by their own reason, in the summary too.
    assert_eq!(
        json["malformed_by_reason"],
        serde_json::json!({"run_together": 2})
    );
    let plain = run(&["--summary", "--color", "never"], damaged.as_bytes());
    let summary = String::from_utf8_lossy(&plain.stdout);
    assert!(
        summary.contains("2 malformed lines: 2 run_together (see stderr)"),
        "{summary}"
    );

    let out = run(&["--ndjson"], damaged.as_bytes());
    let ev = events(&out);
    let m = of_kind(&ev, "malformed");
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(m.iter().all(|m| m["recovered"] == true), "{m:?}");
    assert!(m.iter().all(|m| m["reason"] == "run_together"), "{m:?}");
    assert_eq!(m[0]["source"]["line"], 91);
    assert_eq!(m[0]["error_offset"].as_u64(), Some(joins[0]));
    assert_eq!(m[1]["source"]["line"], 94, "lines 95 to 97 are line 94 now");
    assert_eq!(m[1]["error_offset"].as_u64(), Some(joins[1]));
    // The place is the event's (`error_offset`); the message names only the other one.
    let message = m[1]["message"].as_str().unwrap();
    assert_eq!(
        message,
        format!(
            "a newline seems missing here and before byte {}: 3 JSON texts run together on this line, each read on its own",
            joins[2]
        )
    );
    // On stderr: file, line, byte offset once, what was wrong and what was read.
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "<stdin>:91: byte {}: a newline seems missing here: 2 JSON texts run together on this line, each read on its own\n",
            joins[0]
        )),
        "{err}"
    );
    assert!(err.contains("(2 run_together); 0 lines lost"), "{err}");
}

#[test]
fn parsing_a_byte_order_mark_in_mid_file_is_named_and_the_rest_read() {
    // Two real transcripts joined together, the second written with a byte-order mark (as
    // editors on Windows save): the mark ends up at the start of a line in mid-file.
    let first = std::fs::read_to_string(
        common::root()
            .join("fixtures/corpus/marot__spotter__test__fixtures__transcripts__short.jsonl"),
    )
    .unwrap();
    let second = std::fs::read_to_string(
        common::root().join("fixtures/corpus/apanloco__random__session.jsonl"),
    )
    .unwrap();
    assert!(first.ends_with('\n'));
    let (calls_a, tools_a, _, _) = count_by_hand(&first);
    let (calls_b, tools_b, _, _) = count_by_hand(&second);
    let mut joined = first.clone().into_bytes();
    let mark = joined.len() as u64;
    joined.extend_from_slice(b"\xEF\xBB\xBF");
    joined.extend_from_slice(second.as_bytes());
    let mark_line = first.lines().count() as u64 + 1;

    let (json, err) = summary_of(&[], &joined);
    assert_eq!(json["totals"]["api_calls"], calls_a + calls_b, "{err}");
    assert_eq!(json["totals"]["tool_calls"], tools_a + tools_b);
    assert_eq!(json["malformed_lines"], 1);
    assert_eq!(
        json["malformed_by_reason"],
        serde_json::json!({"byte_order_mark": 1})
    );

    let out = run(&["--ndjson"], &joined);
    let ev = events(&out);
    let m = of_kind(&ev, "malformed");
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0]["reason"], "byte_order_mark");
    assert_eq!(m[0]["recovered"], true);
    assert_eq!(m[0]["source"]["line"], mark_line);
    assert_eq!(m[0]["error_offset"].as_u64(), Some(mark));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "<stdin>:{mark_line}: byte {mark}: a byte-order mark (U+FEFF) in mid-file, at the start of this line (files joined together?): skipped, the rest of the line read\n"
        )),
        "{err}"
    );
    assert!(err.contains("(1 byte_order_mark); 0 lines lost"), "{err}");
}

const USER: &str = r#"{"type":"user","sessionId":"s-pad","uuid":"u1","timestamp":"2026-05-01T10:00:01.000Z","message":{"role":"user","content":"first"}}"#;
const ASSISTANT: &str = r#"{"type":"assistant","sessionId":"s-pad","uuid":"a1","timestamp":"2026-05-01T10:00:02.000Z","requestId":"req_1","message":{"id":"msg_1","role":"assistant","model":"claude-sonnet-4-6","content":[{"type":"text","text":"ok"}],"usage":{"input_tokens":11,"output_tokens":7,"cache_read_input_tokens":100,"cache_creation_input_tokens":0}}}"#;

#[test]
fn parsing_padding_before_after_and_between_records_is_cut_off() {
    // NULs before a record (zeros a crash left, then the next write), stray control bytes
    // after one, and a cut-off record, NULs, then a whole one, all on one line each.
    let mut input = Vec::new();
    input.extend_from_slice(b"\0\0\0\0");
    input.extend_from_slice(USER.as_bytes());
    input.push(b'\n');
    let line2 = input.len() as u64;
    input.extend_from_slice(ASSISTANT.as_bytes());
    input.extend_from_slice(b"\x1a\x1a  \x04");
    input.push(b'\n');
    let line3 = input.len() as u64;
    input.extend_from_slice(&USER.as_bytes()[..40]);
    input.extend_from_slice(&[0; 64]);
    let second = USER.replace("\"u1\"", "\"u2\"").replace("first", "second");
    input.extend_from_slice(second.as_bytes());
    input.push(b'\n');

    let (json, _) = summary_of(&[], &input);
    assert_eq!(json["sessions"][0]["prompts"], 2);
    assert_eq!(json["totals"]["api_calls"], 1);
    assert_eq!(json["totals"]["tokens"]["input"], 11);
    assert_eq!(json["totals"]["tokens"]["output"], 7);
    assert_eq!(json["malformed_lines"], 3);

    let out = run(&["--ndjson"], &input);
    let ev = events(&out);
    let m = of_kind(&ev, "malformed");
    assert_eq!(m.len(), 3);
    // The padding alone loses nothing; the cut-off record before the NULs is lost (the
    // record after them still read): not recovered, a line lost (tester14 #1).
    assert!(m[..2].iter().all(|m| m["recovered"] == true), "{m:?}");
    assert_eq!(m[2]["recovered"], false, "{m:?}");
    assert_eq!(m[0]["reason"], "nul_bytes");
    assert_eq!(m[0]["error_offset"], 0);
    // Control bytes that are not NUL: the record still read, the padding said.
    assert_eq!(m[1]["reason"], "invalid_json");
    assert_eq!(
        m[1]["error_offset"].as_u64(),
        Some(line2 + ASSISTANT.len() as u64)
    );
    assert_eq!(m[2]["reason"], "nul_bytes");
    assert_eq!(m[2]["error_offset"].as_u64(), Some(line3 + 40));
    let message = m[2]["message"].as_str().unwrap();
    assert!(message.contains("not a record"), "{message}");
    let prompts: Vec<&str> = of_kind(&ev, "user_prompt")
        .iter()
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(prompts, ["first", "second"]);
    assert!(stderr(&out).contains("; 1 line lost"), "{}", stderr(&out));
}

#[test]
fn parsing_16_lone_surrogate_reads_both_lines_without_a_problem() {
    let path = bug("16-lone-surrogate-prompt.jsonl");
    let path = path.to_str().unwrap();
    let (json, err) = summary_of(&[path], b"");
    assert_eq!(json["sessions"][0]["prompts"], 1);
    assert_eq!(json["malformed_lines"], 0);
    assert_eq!(err, "");
    let out = run(&["--ndjson", path], b"");
    assert!(out.status.success(), "{}", stderr(&out));
    let ev = events(&out);
    assert_eq!(
        of_kind(&ev, "user_prompt")[0]["text"],
        "emoji cut \u{FFFD} here"
    );
    assert_eq!(
        of_kind(&ev, "assistant_text")[0]["text"],
        "half \u{FFFD} pair"
    );
    assert!(of_kind(&ev, "malformed").is_empty());
}

#[test]
fn parsing_lone_surrogates_in_any_string_field_become_replacement_characters() {
    // Lone halves in the envelope (cwd, branch, ids), a title, a tool input, a tool result
    // and a key; paired halves and an escaped backslash before `u` are left as they are.
    let lines = [
        r#"{"type":"user","sessionId":"s-sur","uuid":"u\udc01","cwd":"/home/x\ud83d","gitBranch":"b\udfff","timestamp":"2026-05-01T10:00:01.000Z","message":{"role":"user","content":"C:\\ud83d and \ud83d\ude00 and \ud800"}}"#,
        r#"{"type":"assistant","sessionId":"s-sur","uuid":"a1","timestamp":"2026-05-01T10:00:02.000Z","requestId":"req_\ud800","message":{"id":"msg_1","model":"claude-sonnet-4-6","content":[{"type":"tool_use","id":"toolu_\udbff","name":"Bash","input":{"command":"echo \ud83d","k\udc00":1}}],"usage":{"input_tokens":5,"output_tokens":3}}}"#,
        r#"{"type":"user","sessionId":"s-sur","uuid":"u2","timestamp":"2026-05-01T10:00:03.000Z","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_\udbff","content":"out \udc00"}]}}"#,
        r#"{"type":"custom-title","sessionId":"s-sur","customTitle":"cut \ud83d"}"#,
    ];
    let input = lines.join("\n") + "\n";
    let out = run(&["--ndjson"], input.as_bytes());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let ev = events(&out); // serde_json rejects lone surrogates: each line parsed proves none
    let prompt = of_kind(&ev, "user_prompt")[0];
    assert_eq!(prompt["text"], "C:\\ud83d and \u{1F600} and \u{FFFD}");
    assert_eq!(prompt["uuid"], "u\u{FFFD}");
    let call = of_kind(&ev, "tool_call")[0];
    assert_eq!(call["tool_use_id"], "toolu_\u{FFFD}");
    assert_eq!(call["input"]["command"], "echo \u{FFFD}");
    assert_eq!(call["input"]["k\u{FFFD}"], 1);
    assert_eq!(of_kind(&ev, "usage")[0]["request_id"], "req_\u{FFFD}");
    let result = of_kind(&ev, "tool_result")[0];
    assert_eq!(result["preview"], "out \u{FFFD}");
    assert_eq!(
        result["tool"], "Bash",
        "the result found its call by the repaired id"
    );
    assert_eq!(of_kind(&ev, "title")[0]["title"], "cut \u{FFFD}");

    let (json, _) = summary_of(&[], input.as_bytes());
    assert_eq!(json["malformed_lines"], 0);
    assert_eq!(json["sessions"][0]["cwd"], "/home/x\u{FFFD}");
    assert_eq!(json["sessions"][0]["git_branch"], "b\u{FFFD}");
    assert_eq!(json["sessions"][0]["title"], "cut \u{FFFD}");
    assert_eq!(json["sessions"][0]["prompts"], 1);
    assert_eq!(json["totals"]["tool_calls"], 1);
}

#[test]
fn parsing_partial_envelopes_keep_the_envelope_and_what_parses() {
    let lines = [
        // A message that is a bare string: the prompt is its text.
        r#"{"type":"user","sessionId":"s-part","uuid":"u1","timestamp":"2026-05-01T10:00:01.000Z","message":"hello there"}"#,
        // Content items that are bare strings (text) and a number (skipped).
        r#"{"type":"assistant","sessionId":"s-part","uuid":"a1","timestamp":"2026-05-01T10:00:02.000Z","requestId":"req_1","message":{"id":"msg_1","model":"claude-sonnet-4-6","content":["plain text",42,{"type":"text","text":"block"}],"usage":{"input_tokens":10,"output_tokens":4}}}"#,
        // A block whose text has an escape JSON does not have: that block is lost, the usage
        // and the other block are not.
        r#"{"type":"assistant","sessionId":"s-part","uuid":"a2","timestamp":"2026-05-01T10:00:03.000Z","requestId":"req_2","message":{"id":"msg_2","model":"claude-sonnet-4-6","content":[{"type":"text","text":"bad \q escape"},{"type":"tool_use","id":"t1","name":"Read","input":{"file_path":"/x"}}],"usage":{"input_tokens":20,"output_tokens":6}}}"#,
        // A message that is a number: the envelope still makes a line of the session.
        r#"{"type":"user","sessionId":"s-part","uuid":"u2","timestamp":"2026-05-01T10:00:04.000Z","message":7}"#,
    ];
    let input = lines.join("\n") + "\n";
    let out = run(&["--ndjson"], input.as_bytes());
    let ev = events(&out);
    let m = of_kind(&ev, "malformed");
    assert_eq!(m.len(), 4, "{m:?}");
    assert!(m.iter().all(|m| m["recovered"] == true), "{m:?}");
    let says = |i: usize, what: &str| {
        let message = m[i]["message"].as_str().unwrap();
        assert!(message.contains(what), "{message}");
    };
    says(0, "`message` is a string");
    says(1, "`message.content[0]` is a string");
    says(1, "`message.content[1]` is a number");
    says(2, "`message.content[0]` cannot be read");
    says(3, "`message` is a number");
    assert_eq!(m[2]["reason"], "invalid_json");
    // The fault's byte: the `q` after the backslash in line 3, no escape letter.
    let line3 = (lines[0].len() + lines[1].len() + 2) as u64;
    let q = lines[2].find("\\q").unwrap() as u64 + 1;
    assert_eq!(m[2]["error_offset"].as_u64(), Some(line3 + q));
    // Envelopes kept: every event of a line carries its session, uuid and time.
    let prompt = of_kind(&ev, "user_prompt")[0];
    assert_eq!(prompt["text"], "hello there");
    assert_eq!(prompt["uuid"], "u1");
    assert_eq!(prompt["session_id"], "s-part");
    let texts: Vec<&str> = of_kind(&ev, "assistant_text")
        .iter()
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["plain text", "block"]);
    assert_eq!(of_kind(&ev, "tool_call")[0]["tool"], "Read");
    let last = ev.last().unwrap();
    assert_eq!(
        (&last["uuid"], &last["kind"]),
        (&Value::from("u2"), &Value::from("unknown"))
    );

    let (json, _) = summary_of(&[], input.as_bytes());
    assert_eq!(json["sessions"][0]["prompts"], 1);
    assert_eq!(json["totals"]["api_calls"], 2);
    assert_eq!(json["totals"]["tokens"]["input"], 30);
    assert_eq!(json["totals"]["tokens"]["output"], 10);
    assert_eq!(json["totals"]["tool_calls"], 1);
    assert_eq!(json["sessions"][0]["last"], "2026-05-01T10:00:04.000Z");
}

// --- kind 5: lines other tools accept ------------------------------------------------------

#[test]
fn parsing_18_no_type_field_reads_lines_by_role() {
    let path = bug("18-no-type-field.jsonl");
    let (json, err) = summary_of(&[path.to_str().unwrap()], b"");
    assert_eq!(json["totals"]["sessions"], 1);
    assert_eq!(json["totals"]["api_calls"], 2);
    let tokens = &json["totals"]["tokens"];
    assert_eq!(tokens["input"], 300);
    assert_eq!(tokens["output"], 120);
    assert_eq!(tokens["cache_read"], 135);
    assert_eq!(
        tokens["cache_write_5m"].as_u64().unwrap() + tokens["cache_write_1h"].as_u64().unwrap(),
        25
    );
    assert_eq!(json["malformed_lines"], 0);
    assert_eq!(err, "");
}

#[test]
fn parsing_minimal_lines_without_type_or_role_count_their_usage() {
    // ccusage's test fixtures: a timestamp, a message with usage and model, no type or role;
    // and a typeless user line by its role.
    let lines = [
        r#"{"timestamp":"2026-03-03T10:00:00.000Z","sessionId":"s-min","message":{"role":"user","content":"go"}}"#,
        r#"{"timestamp":"2026-03-03T10:00:01.000Z","sessionId":"s-min","requestId":"req_a","message":{"id":"msg_a","model":"claude-sonnet-4-6","usage":{"input_tokens":40,"output_tokens":9}}}"#,
    ];
    let input = lines.join("\n") + "\n";
    let (json, err) = summary_of(&[], input.as_bytes());
    assert_eq!(json["sessions"][0]["prompts"], 1);
    assert_eq!(json["totals"]["api_calls"], 1);
    assert_eq!(json["totals"]["tokens"]["input"], 40);
    assert_eq!(json["totals"]["tokens"]["output"], 9);
    assert_eq!(err, "");
}

#[test]
fn parsing_usage_that_is_not_counted_is_reported() {
    let lines = [
        // Usage on a user line, on a record of another type, and a usage that is a string.
        r#"{"type":"user","sessionId":"s-use","uuid":"u1","message":{"role":"user","content":"x","usage":{"input_tokens":5,"output_tokens":1}}}"#,
        r#"{"type":"response","sessionId":"s-use","uuid":"r1","message":{"role":"bot","usage":{"input_tokens":5,"output_tokens":1}}}"#,
        r#"{"type":"assistant","sessionId":"s-use","uuid":"a1","message":{"id":"m1","model":"claude-sonnet-4-6","content":[],"usage":"lots"}}"#,
    ];
    let input = lines.join("\n") + "\n";
    let out = run(&["--ndjson"], input.as_bytes());
    let ev = events(&out);
    let m = of_kind(&ev, "malformed");
    let lines_reported: Vec<u64> = m
        .iter()
        .map(|e| e["source"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines_reported, [1, 2, 3]);
    assert!(m[0]["message"].as_str().unwrap().contains("`user` line"));
    assert!(m[1]["message"]
        .as_str()
        .unwrap()
        .contains("`response` line"));
    assert!(m[2]["message"]
        .as_str()
        .unwrap()
        .contains("`message.usage` is a string"));
}

// --- kind 6: output safe for every consumer --------------------------------------------------

#[test]
fn output_01_line_separators_are_escaped_in_every_json_output() {
    let path = bug("01-u2028-line-separator.jsonl");
    let path = path.to_str().unwrap();
    let raw = |bytes: &[u8]| {
        bytes
            .windows(3)
            .any(|w| w == "\u{2028}".as_bytes() || w == "\u{2029}".as_bytes())
    };
    let out = run(&["--ndjson", path], b"");
    assert!(!raw(&out.stdout), "raw U+2028/U+2029 in NDJSON");
    let ev = events(&out);
    // Split the way JavaScript and Python split lines: still one event per line.
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(
        text.split(['\n', '\u{2028}', '\u{2029}']).count(),
        ev.len() + 1
    );
    assert_eq!(
        of_kind(&ev, "user_prompt")[0]["text"],
        "first half\u{2028}second half of the prompt"
    );
    assert!(of_kind(&ev, "assistant_text")
        .iter()
        .any(|e| e["text"] == "para one\u{2029}para two"));
    let out = run(&["--summary", "--json", path], b"");
    assert!(!raw(&out.stdout), "raw U+2028/U+2029 in the summary");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["sessions"][0]["first_prompt"],
        "first half\u{2028}second half of the prompt"
    );
    let out = run(&["--otlp", path], b"");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!raw(&out.stdout), "raw U+2028/U+2029 in OTLP JSON");
}

#[test]
fn output_pr_link_records_are_events() {
    let line = r#"{"type":"pr-link","sessionId":"s-pr","prNumber":55,"prUrl":"https://github.com/episode6/collins/pull/55","prRepository":"episode6/collins","timestamp":"2026-09-14T19:58:28.742Z"}"#;
    let out = run(&["--ndjson"], format!("{line}\n").as_bytes());
    let ev = events(&out);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["kind"], "pr_link");
    assert_eq!(ev[0]["session_id"], "s-pr");
    assert_eq!(ev[0]["number"], 55);
    assert_eq!(ev[0]["url"], "https://github.com/episode6/collins/pull/55");
    assert_eq!(ev[0]["repository"], "episode6/collins");
}

#[test]
fn output_usage_errors_print_as_lines() {
    let out = run(&["--no-such-option"], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(!err.contains('\u{240A}'), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines[0].starts_with("aegon: "), "{err}");
    assert_eq!(lines[1], "Try 'aegon --help' for usage.");
}
