//! `aegon usage` says what it could not count where `--summary` says it: usage on a record
//! type that is not counted, a token count aegon refuses (read as 0), a line lost whole, each
//! in the JSON `notes`, on stderr and in the exit status (1, as `--summary`), cold, warm (from
//! the index) and with `--no-index`; and a cost no price is known for is `null`, never `0`.
//!
//! The inputs are the first 22 lines of the real corpus file
//! `fixtures/corpus/shastrysamarth__01-campaign-audit__transcript.jsonl` (tester7's
//! `base.jsonl`: 4 API responses on 6 assistant lines, Claude Code 2.1.219, claude-opus-5),
//! mutated here as a newer Claude Code could write them (tester7's `mut.py` mutations of the
//! same names).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;

use common::{fixture, output_with_stdin, temp_dir, Reads};

/// The 22 lines, parsed.
fn base() -> Vec<Value> {
    let text = std::fs::read_to_string(fixture(
        "shastrysamarth__01-campaign-audit__transcript.jsonl",
    ))
    .unwrap();
    text.lines()
        .take(22)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `lines` as JSONL.
fn jsonl(lines: &[Value]) -> String {
    lines
        .iter()
        .map(|v| serde_json::to_string(v).unwrap() + "\n")
        .collect()
}

fn is_assistant(v: &Value) -> bool {
    v["type"] == "assistant"
}

/// 1-based number and byte offset of the first assistant line of `text`.
fn first_assistant(text: &str) -> (usize, usize) {
    let mut at = 0;
    for (i, l) in text.lines().enumerate() {
        if is_assistant(&serde_json::from_str(l).unwrap()) {
            return (i + 1, at);
        }
        at += l.len() + 1;
    }
    panic!("no assistant line");
}

/// aegon with its usage index in `data` and no Claude Code, Codex or home folder of the machine's.
fn aegon(data: &Path, args: &[&str]) -> Command {
    common::aegon_isolated(data, args)
}

/// `aegon usage daily --json FILE` (with `extra` arguments): exit status, document, stderr.
fn usage(data: &Path, file: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["usage", "daily", "--json"];
    args.extend_from_slice(extra);
    args.push(file.to_str().unwrap());
    let out = aegon(data, &args).output().unwrap();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    (
        out.status.code().unwrap_or(-1),
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Writes `text` as `name` in a fresh folder (removed when the first value is dropped);
/// gives the file and an index folder.
fn setup(name: &str, text: &str) -> (common::TempDir, PathBuf, PathBuf) {
    let dir = temp_dir(name);
    let file = dir.join(format!("{name}.jsonl"));
    std::fs::write(&file, text).unwrap();
    let data = dir.join("data");
    (dir, file, data)
}

/// Runs cold (a new index), warm (the same index, nothing new) and `--no-index`, and checks
/// each gives exit status 1, one JSON note starting with `want_start` and holding `place`, the
/// same note on stderr, and `calls` API calls.
fn said_every_way(file: &Path, data: &Path, want_start: &str, place: &str, calls: u64) {
    for (how, extra) in [
        ("cold", &[][..]),
        ("warm", &[][..]),
        ("fresh", &["--no-index"][..]),
    ] {
        let (code, doc, stderr) = usage(data, file, extra);
        assert_eq!(code, 1, "{how}: {stderr}");
        let notes: Vec<&str> = doc["notes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(notes.len(), 1, "{how}: {notes:?}");
        assert!(notes[0].starts_with(want_start), "{how}: {}", notes[0]);
        assert!(
            notes[0].contains(place),
            "{how}: {} lacks {place}",
            notes[0]
        );
        assert!(stderr.contains(notes[0]), "{how}: {stderr}");
        assert_eq!(doc["totals"]["apiCalls"], calls, "{how}");
    }
}

#[test]
fn usage_on_a_record_type_that_is_not_counted_is_said() {
    // tester7's `newrecord`: the assistant lines renamed `assistant_message`.
    let mut lines = base();
    let mut renamed = 0;
    for v in &mut lines {
        if is_assistant(v) {
            v["type"] = "assistant_message".into();
            renamed += 1;
        }
    }
    assert_eq!(renamed, 6);
    let text = jsonl(&lines);
    // Found before the rename: the first renamed line.
    let (line, at) = first_assistant(&jsonl(&base()));
    let (_dir, file, data) = setup("newrecord", &text);
    let place = format!("{}:{line}: byte {at}: ", file.display());
    // Independent of aegon: 6 lines, none counted.
    said_every_way(
        &file,
        &data,
        "6 lines in 1 transcript hold usage aegon could not read, not counted (first: ",
        &place,
        0,
    );
    let (_, doc, _) = usage(&data, &file, &[]);
    assert!(
        doc["notes"][0]
            .as_str()
            .unwrap()
            .contains("a `assistant_message` line carries `message.usage`: not counted"),
        "{doc}"
    );
}

#[test]
fn a_refused_token_count_is_said() {
    // tester7's `strnum`: every `output_tokens` (outer and in iterations) a string.
    let mut lines = base();
    for v in lines.iter_mut().filter(|v| is_assistant(v)) {
        let usage = &mut v["message"]["usage"];
        let n = usage["output_tokens"].as_u64().unwrap();
        usage["output_tokens"] = n.to_string().into();
        for it in usage["iterations"].as_array_mut().into_iter().flatten() {
            let n = it["output_tokens"].as_u64().unwrap();
            it["output_tokens"] = n.to_string().into();
        }
    }
    let text = jsonl(&lines);
    let (line, start) = first_assistant(&text);
    let first = text.lines().nth(line - 1).unwrap();
    // The first refused count's value, in the order the line is written.
    let value = first.find("\"output_tokens\":\"").unwrap() + "\"output_tokens\":".len();
    let (_dir, file, data) = setup("strnum", &text);
    let place = format!(
        "{}:{line}: byte {}: partly read: `message.usage",
        file.display(),
        start + value
    );
    // The 4 responses are still calls, their output read as 0 and their cost unknown
    // (tester8 #2: it was priced as if complete).
    said_every_way(
        &file,
        &data,
        "6 lines in 1 transcript hold usage aegon could not read whole: counted as API calls, their cost unknown (first: ",
        &place,
        4,
    );
    let (_, doc, _) = usage(&data, &file, &[]);
    assert_eq!(doc["totals"]["outputTokens"], 0);
}

#[test]
fn a_line_lost_whole_is_a_json_note_and_exit_status_1() {
    // The last assistant line cut in half (a crash mid-write, then more lines): lost whole.
    let lines = base();
    let last = lines.iter().rposition(is_assistant).unwrap();
    let mut text = String::new();
    let mut at = 0;
    for (i, v) in lines.iter().enumerate() {
        let mut l = serde_json::to_string(v).unwrap();
        if i == last {
            at = text.len();
            l.truncate(l.len() / 2);
        }
        text.push_str(&l);
        text.push('\n');
    }
    let (_dir, file, data) = setup("cut", &text);
    // The byte said is where the JSON ends, at the cut.
    let cut = at + serde_json::to_string(&lines[last]).unwrap().len() / 2;
    let place = format!("{}:{}: byte {cut}: invalid JSON", file.display(), last + 1);
    // Independent of aegon: the responses (message ids) of the assistant lines left.
    let mut ids: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, v)| *i != last && is_assistant(v))
        .map(|(_, v)| v["message"]["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    said_every_way(
        &file,
        &data,
        "1 line in 1 transcript could not be read and is not counted (first: ",
        &place,
        ids.len() as u64,
    );
}

/// A record cut by a crash with the next record on its line (tester14 #1): its tail and
/// newline written over by NULs (a crash that sized the file, not its data), or simply cut
/// with the next record written right after it. The record after is read; the cut one is
/// lost, and every view says so as it says a line lost whole: `aegon usage` (cold, warm,
/// `--no-index`) a note and exit 1, the status line a lower bound, `--summary` "1 line lost"
/// (before: exit 0 and no note, `$0.23 session`, "0 lines lost").
#[test]
fn a_record_cut_by_a_crash_before_another_is_said_in_every_view() {
    // tester14's repro 01: the real file's first 130 lines, its line 121 (a one-line API
    // response, its message id on no other line) cut 3,000 bytes before its end.
    let text = std::fs::read_to_string(fixture(
        "shastrysamarth__01-campaign-audit__transcript.jsonl",
    ))
    .unwrap();
    let lines: Vec<&str> = text.lines().take(130).collect();
    let cut_line = 120;
    let lost: Value = serde_json::from_str(lines[cut_line]).unwrap();
    assert!(is_assistant(&lost));
    for nul in [true, false] {
        let mut text = String::new();
        let mut cut = 0;
        for (i, l) in lines.iter().enumerate() {
            if i == cut_line {
                let keep = l.len() - 3000;
                cut = text.len() + keep;
                text.push_str(&l[..keep]);
                if nul {
                    // The rest of the record and its newline: NULs.
                    text.push_str(&"\0".repeat(3001));
                }
            } else {
                text.push_str(l);
                text.push('\n');
            }
        }
        let name = if nul { "cut-nul" } else { "cut-joined" };
        let (_dir, file, data) = setup(name, &text);
        let place = format!("{}:{}: byte ", file.display(), cut_line + 1);
        // Independent of aegon: the responses (message ids) of the assistant lines left.
        let mut ids: Vec<String> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != cut_line)
            .map(|(_, l)| serde_json::from_str::<Value>(l).unwrap())
            .filter(is_assistant)
            .map(|v| v["message"]["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert!(!ids.iter().any(|id| lost["message"]["id"] == id.as_str()));
        said_every_way(
            &file,
            &data,
            "1 line in 1 transcript could not be read and is not counted (first: ",
            &place,
            ids.len() as u64,
        );
        for extra in [&[][..], &["--no-index"][..]] {
            let (code, text) = statusline(&data, &file, extra);
            assert_eq!(code, 0);
            assert!(text.ends_with("+ session"), "{name} {extra:?}: {text}");
        }
        let out = aegon(&data, &["--summary", file.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("; 1 line lost"), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("byte {cut}")) || !nul,
            "{name}: {stderr}"
        );
    }
}

/// A file ending in crash padding with no newline (NULs a crash left, alone or after a
/// record it cut): no writer writes those, so it is no line still being written but the lost
/// line the README's "Crash padding" says it is, in every view: `--summary` "1 line lost" and
/// exit 1, `aegon usage` (cold, warm, `--no-index`) a note and exit 1, the status line a
/// lower bound. Before, `aegon usage` awaited it as a line being written (exit 0, no note,
/// `$0.23 session`) while `--summary` said it lost. A cut end without padding is still
/// awaited (it may be being written).
#[test]
fn crash_padding_at_a_files_end_is_a_lost_line_in_every_view() {
    let whole = jsonl(&base());
    // A record cut 200 bytes in (the first line that long).
    let cut_record = &whole.lines().find(|l| l.len() > 200).unwrap()[..200];
    for (name, end) in [
        ("end-nul", String::new()),
        ("end-cut-nul", cut_record.to_owned()),
    ] {
        // Said where the NULs start.
        let end = format!("{end}{}", "\0".repeat(4096));
        let at = whole.len() + end.len() - 4096;
        let (_dir, file, data) = setup(name, &format!("{whole}{end}"));
        let place = format!("{}:23: byte {at}:", file.display());
        said_every_way(
            &file,
            &data,
            "1 line in 1 transcript could not be read and is not counted (first: ",
            &place,
            4,
        );
        for extra in [&[][..], &["--no-index"][..]] {
            let (code, text) = statusline(&data, &file, extra);
            assert_eq!(
                (code, text.as_str()),
                (0, "$0.23+ session"),
                "{name} {extra:?}"
            );
        }
        let out = aegon(&data, &["--summary", file.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("; 1 line lost"), "{name}: {stderr}");
    }
    let (_dir, file, data) = setup("end-cut", &format!("{whole}{cut_record}"));
    let (code, doc, stderr) = usage(&data, &file, &[]);
    assert_eq!(
        (code, doc["notes"].clone()),
        (0, Value::Array(Vec::new())),
        "{stderr}"
    );
    let (code, text) = statusline(&data, &file, &[]);
    assert_eq!((code, text.as_str()), (0, "$0.23 session"));
}

/// A response whose line has no timestamp belongs to no block: `aegon usage blocks` leaves
/// it out and says so, in the JSON notes and under the table, as the other reports say it
/// (tester14 #10: it was left out silently).
#[test]
fn the_blocks_report_says_a_response_left_out_for_want_of_a_time() {
    let mut lines = base();
    let last = lines.iter().rposition(is_assistant).unwrap();
    let id = lines[last]["message"]["id"].clone();
    for v in lines.iter_mut().filter(|v| v["message"]["id"] == id) {
        v.as_object_mut().unwrap().remove("timestamp");
    }
    let (_dir, file, data) = setup("undated-blocks", &jsonl(&lines));
    let path = file.to_str().unwrap();
    let out = aegon(&data, &["usage", "blocks", "--json", path])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = doc["notes"].to_string();
    assert!(
        notes.contains("1 API response left out")
            && notes.contains("a timestamp aegon could not read"),
        "{doc}"
    );
    let out = aegon(&data, &["usage", "blocks", "--color", "never", path])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("note: 1 API response left out"), "{table}");
    // The daily report says the same note.
    let (_, daily, _) = usage(&data, &file, &[]);
    assert!(daily["notes"]
        .to_string()
        .contains("1 API response left out"));
}

/// A response whose lines have no timestamp has no day, but has its session: `aegon usage
/// sessions` (and projects) count it there, as `--summary` and the status line count it in
/// the session, so the three give one figure for the session (tester14 #10: `usage sessions`
/// left it out, with a note, while the status line counted it); a `--since` the sessions
/// report keeps the session by (its last activity) keeps it whole, while the projects report,
/// cut at the range per response, and the daily report leave it out and say so.
#[test]
fn a_response_without_a_time_counts_in_its_session_as_in_the_status_line() {
    let mut lines = base();
    let last = lines.iter().rposition(is_assistant).unwrap();
    let id = lines[last]["message"]["id"].clone();
    for v in lines.iter_mut().filter(|v| v["message"]["id"] == id) {
        v.as_object_mut().unwrap().remove("timestamp");
    }
    let (_dir, file, data) = setup("undated-session", &jsonl(&lines));
    let path = file.to_str().unwrap();
    let out = aegon(&data, &["--summary", "--json", path])
        .output()
        .unwrap();
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let want = summary["totals"]["cost_usd"].as_f64().unwrap();
    assert!((want - 0.2309).abs() < 0.0001, "{summary}");
    let left_out = |doc: &Value| doc["notes"].to_string().contains("1 API response left out");
    for extra in [&[][..], &[][..], &["--no-index"][..]] {
        let (code, text) = statusline(&data, &file, extra);
        assert_eq!((code, text.as_str()), (0, "$0.23 session"), "{extra:?}");
        for report in [
            &["sessions"][..],
            &["projects"][..],
            &["sessions", "--since", "20260804", "--tz", "UTC"][..],
        ] {
            let mut args = vec!["usage"];
            args.extend_from_slice(report);
            args.extend_from_slice(&["--json", path]);
            args.extend_from_slice(extra);
            let out = aegon(&data, &args).output().unwrap();
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(out.status.code(), Some(0), "{args:?}");
            assert_eq!(doc["totals"]["apiCalls"], 4, "{args:?}: {doc}");
            let cost = doc["totals"]["totalCost"].as_f64().unwrap();
            // --summary --json gives dollars to 4 places.
            assert!((cost - want).abs() < 0.00005, "{args:?}: {cost} vs {want}");
            assert!(!left_out(&doc), "{args:?}: {doc}");
        }
        for report in [
            &["daily"][..],
            &["projects", "--since", "20260804", "--tz", "UTC"][..],
        ] {
            let mut args = vec!["usage"];
            args.extend_from_slice(report);
            args.extend_from_slice(&["--json", path]);
            args.extend_from_slice(extra);
            let out = aegon(&data, &args).output().unwrap();
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(doc["totals"]["apiCalls"], 3, "{args:?}: {doc}");
            assert!(left_out(&doc), "{args:?}: {doc}");
        }
    }
}

#[test]
fn the_unchanged_lines_give_no_note_and_exit_status_0() {
    let (_dir, file, data) = setup("clean", &jsonl(&base()));
    for extra in [&[][..], &[][..], &["--no-index"][..]] {
        let (code, doc, stderr) = usage(&data, &file, extra);
        assert_eq!(
            (code, doc["notes"].clone()),
            (0, Value::Array(Vec::new())),
            "{stderr}"
        );
        // tester7's independent count: 4 calls, 617 output.
        assert_eq!(doc["totals"]["apiCalls"], 4);
        assert_eq!(doc["totals"]["outputTokens"], 617);
    }
}

#[test]
fn usage_with_no_known_price_costs_null_never_0() {
    // tester7's `m_unknown`: every response of a model no price table names.
    let mut lines = base();
    for v in lines.iter_mut().filter(|v| is_assistant(v)) {
        v["message"]["model"] = "claude-zeta-9".into();
    }
    let (_dir, file, data) = setup("zeta", &jsonl(&lines));
    for extra in [&[][..], &["--no-index"][..]] {
        let (code, doc, stderr) = usage(&data, &file, extra);
        assert_eq!(code, 0, "{stderr}");
        for group in [&doc["totals"], &doc["daily"][0]] {
            assert_eq!(group["totalCost"], Value::Null, "{group}");
            assert_eq!(group["pricedCost"], 0.0, "{group}");
            assert_eq!(
                group["unpricedModels"],
                serde_json::json!(["claude-zeta-9"])
            );
            assert_eq!(group["outputTokens"], 617, "{group}");
        }
        let mut args = vec!["usage", "blocks", "--json", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = aegon(&data, &args).output().unwrap();
        let blocks: Value = serde_json::from_slice(&out.stdout).unwrap();
        let block = &blocks["blocks"][0];
        assert_eq!(block["costUSD"], Value::Null, "{block}");
        assert_eq!(block["pricedCostUSD"], 0.0, "{block}");
    }
}

#[test]
fn a_response_over_2_to_the_64_picodollars_costs_as_in_the_summary() {
    // tester7's 15.sh: one response's output 2^52 tokens (a count aegon accepts, below 2^53):
    // at claude-opus-5's $25/Mtok output alone is $112.6 billion, past the 2^64 picodollars
    // ($18.4M) a u64 holds.
    let mut lines = base();
    let mut set = 0;
    for v in lines.iter_mut().filter(|v| is_assistant(v)) {
        let usage = &mut v["message"]["usage"];
        usage.as_object_mut().unwrap().remove("iterations");
        if usage["output_tokens"] == 350 {
            usage["output_tokens"] = (1u64 << 52).into();
            set += 1;
        }
    }
    assert!(set > 0);
    let (_dir, file, data) = setup("huge-cost", &jsonl(&lines));
    let f = file.to_str().unwrap();
    let summary: Value =
        serde_json::from_str(&common::aegon_stdout(["--summary", "--json", f])).unwrap();
    let want = summary["totals"]["cost_usd"].as_f64().unwrap();
    // Independent: 2^52 tokens × $25 / 10^6 is $112,589,990,684.26 before the rest.
    assert!(want > 112_589_990_684.0, "{want}");
    for extra in [&[][..], &[][..], &["--no-index"][..]] {
        let (code, doc, stderr) = usage(&data, &file, extra);
        assert_eq!(code, 0, "{stderr}");
        let got = doc["totals"]["totalCost"].as_f64().unwrap();
        assert!((got - want).abs() < 0.01, "{extra:?}: {got} vs {want}");
    }
}

/// `aegon statusline` (with `extra` arguments) given the status-line JSON of `transcript`.
fn statusline(data: &Path, transcript: &Path, extra: &[&str]) -> (i32, String) {
    let session = base()[0]["sessionId"].as_str().unwrap_or("").to_owned();
    let input = serde_json::json!({
        "session_id": session,
        "transcript_path": transcript,
        "model": {"display_name": "Opus"},
    });
    let mut args = vec!["statusline", "--format", "{session_cost}"];
    args.extend_from_slice(extra);
    let out = output_with_stdin(
        aegon(data, &args).env("NO_COLOR", "1"),
        input.to_string(),
        Reads::All,
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
    )
}

#[test]
fn the_status_line_marks_a_session_cost_with_lines_not_counted_as_a_lower_bound() {
    // One response (msg_…J4w, one line) with its output refused (its cost unknown), or its
    // line of a type aegon does not count (its usage not counted): the other 3 responses'
    // $0.2027 and a "+".
    let j4w = |v: &Value| v["message"]["id"] == "msg_011CdiaqJ4w3mig5wLA6CHrD";
    let mut refused = base();
    for v in refused.iter_mut().filter(|v| is_assistant(v) && j4w(v)) {
        let n = v["message"]["usage"]["output_tokens"].as_u64().unwrap();
        v["message"]["usage"]["output_tokens"] = n.to_string().into();
    }
    let mut renamed = base();
    for v in renamed.iter_mut().filter(|v| is_assistant(v) && j4w(v)) {
        v["type"] = "assistant_message".into();
    }
    let (_dir, refused, data) = setup("sl-refused", &jsonl(&refused));
    let (_renamed_dir, renamed, renamed_data) = setup("sl-renamed", &jsonl(&renamed));
    let (_clean_dir, clean, clean_data) = setup("sl-clean", &jsonl(&base()));
    for extra in [&[][..], &[][..], &["--no-index"][..]] {
        let (code, text) = statusline(&data, &refused, extra);
        assert_eq!(code, 0);
        assert_eq!(text, "$0.20+ session", "{extra:?}");
        let (code, text) = statusline(&renamed_data, &renamed, extra);
        assert_eq!(code, 0);
        assert_eq!(text, "$0.20+ session", "{extra:?}");
        let (code, text) = statusline(&clean_data, &clean, extra);
        assert_eq!(code, 0);
        // tester7's independent count: $0.2309.
        assert_eq!(text, "$0.23 session", "{extra:?}");
    }
}

/// Usage aegon cannot read whole (tester7's repro 08 and 09: `usage: {}`, cache writes of an
/// unknown TTL): `aegon usage` counts the responses as API calls of unknown cost, as
/// `--summary` does, cold, warm (from the index) and with `--no-index`: `totalCost` null, the
/// real responses beside them priced (`pricedCost`, $0.2309, tester7's independent count), a
/// note that says they are counted with their cost unknown (not "not counted"), exit 1; the
/// status line's session cost a lower bound.
#[test]
fn usage_aegon_cannot_read_whole_is_a_call_of_unknown_cost_in_every_view() {
    // The 22 lines as written, then a copy of their responses (other ids) per shape.
    let copy = |suffix: &str, change: &dyn Fn(&mut Value)| -> Vec<Value> {
        base()
            .into_iter()
            .map(|mut v| {
                if is_assistant(&v) {
                    change(&mut v["message"]["usage"]);
                    let id = v["message"]["id"].as_str().unwrap().to_owned() + suffix;
                    v["message"]["id"] = id.into();
                    let req = v["requestId"].as_str().unwrap().to_owned() + suffix;
                    v["requestId"] = req.into();
                }
                v
            })
            .collect()
    };
    let ttl_24h = |u: &mut Value| {
        let set = |u: &mut Value| {
            let flat = u["cache_creation_input_tokens"].clone();
            u["cache_creation"] = serde_json::json!({
                "ephemeral_5m_input_tokens": 0,
                "ephemeral_1h_input_tokens": 0,
                "ephemeral_24h_input_tokens": flat,
            });
        };
        for it in u["iterations"].as_array_mut().into_iter().flatten() {
            set(it);
        }
        set(u);
    };
    for (name, lines) in [
        ("ttl", copy("t", &ttl_24h)),
        ("empty", copy("e", &|u| *u = serde_json::json!({}))),
    ] {
        let text = jsonl(&base()) + &jsonl(&lines);
        let (_dir, file, data) = setup(&format!("unknown-cost-{name}"), &text);
        // The first changed line: the first assistant line of the copy, after the 22.
        let (line, _) = first_assistant(&jsonl(&lines));
        let place = format!("{name}.jsonl:{}: byte ", 22 + line);
        said_every_way(
            &file,
            &data,
            "6 lines in 1 transcript hold usage aegon could not read whole: counted as API \
             calls, their cost unknown (first: ",
            &place,
            8,
        );
        for extra in [&[][..], &["--no-index"][..]] {
            let (_, doc, _) = usage(&data, &file, extra);
            let t = &doc["totals"];
            assert_eq!(
                t["totalCost"],
                Value::Null,
                "{name} {extra:?}: never priced"
            );
            let priced = t["pricedCost"].as_f64().unwrap();
            assert!(
                (priced - 0.2309).abs() < 0.0001,
                "{name} {extra:?}: {priced}"
            );
        }
        for extra in [&[][..], &[][..], &["--no-index"][..]] {
            let (code, text) = statusline(&data, &file, extra);
            assert_eq!(code, 0);
            assert_eq!(text, "$0.23+ session", "{name} {extra:?}");
        }
    }
}

/// tester8 finding 8: one claude-opus-5 response with `usage: {}` made `--summary`'s
/// `unpriced_models` and `aegon usage`'s `unpricedModels` list claude-opus-5, a model with a
/// price. Only models without a price are listed; the unread usage is the named reason
/// (`unpricedFactors`, the text's "unknown: at least …"). A model without a price is listed
/// even when all of its usage is unreadable too (claude-zeta-9 here: every response `{}`),
/// its reason the missing price, in both views alike (cold, warm and `--no-index`).
#[test]
fn a_priced_model_with_unreadable_usage_is_not_one_without_a_price() {
    let mut lines = base();
    let first = lines
        .iter()
        .find(|v| is_assistant(v))
        .map(|v| v["message"]["id"].clone())
        .unwrap();
    for v in lines.iter_mut().filter(|v| v["message"]["id"] == first) {
        v["message"]["usage"] = serde_json::json!({});
    }
    let zeta: Vec<Value> = base()
        .into_iter()
        .map(|mut v| {
            if is_assistant(&v) {
                v["message"]["usage"] = serde_json::json!({});
                v["message"]["model"] = "claude-zeta-9".into();
                let id = v["message"]["id"].as_str().unwrap().to_owned() + "z";
                v["message"]["id"] = id.into();
                let req = v["requestId"].as_str().unwrap().to_owned() + "z";
                v["requestId"] = req.into();
            }
            v
        })
        .collect();
    for (name, text, listed) in [
        ("opus", jsonl(&lines), &[][..]),
        (
            "opus-zeta",
            jsonl(&lines) + &jsonl(&zeta),
            &["claude-zeta-9"][..],
        ),
    ] {
        let (_dir, file, data) = setup(&format!("unread-priced-{name}"), &text);
        let out = aegon(&data, &["--summary", "--json", file.to_str().unwrap()])
            .output()
            .unwrap();
        let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["totals"]["cost_usd"], Value::Null, "{name}");
        assert_eq!(
            summary["totals"]["unpriced_models"],
            serde_json::json!(listed),
            "{name}"
        );
        assert_eq!(
            summary["sessions"][0]["unpriced_models"],
            serde_json::json!(listed),
            "{name}"
        );
        for extra in [&[][..], &[][..], &["--no-index"][..]] {
            let mut args = vec!["--breakdown"];
            args.extend_from_slice(extra);
            let (_, doc, _) = usage(&data, &file, &args);
            for group in [&doc["totals"], &doc["daily"][0]] {
                assert_eq!(group["totalCost"], Value::Null, "{name} {extra:?}");
                assert_eq!(
                    group["unpricedModels"],
                    serde_json::json!(listed),
                    "{name} {extra:?}"
                );
            }
            let why: Vec<(String, Value)> = doc["daily"][0]["modelBreakdowns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| {
                    (
                        b["modelName"].as_str().unwrap().to_owned(),
                        b["unpricedFactors"].clone(),
                    )
                })
                .collect();
            let mut want = vec![(
                "claude-opus-5".to_owned(),
                serde_json::json!(["usage with no token count aegon knows"]),
            )];
            if !listed.is_empty() {
                want.push((
                    "claude-zeta-9".to_owned(),
                    serde_json::json!(["model claude-zeta-9"]),
                ));
            }
            assert_eq!(why, want, "{name} {extra:?}");
            let mut args = vec!["usage", "blocks", "--json", file.to_str().unwrap()];
            args.extend_from_slice(extra);
            let out = aegon(&data, &args).output().unwrap();
            let blocks: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(
                blocks["blocks"][0]["unpricedModels"],
                serde_json::json!(listed),
                "{name} {extra:?}"
            );
        }
    }
}

/// tester8 finding 9: `aegon usage --breakdown --json` gave a model's `cost` as its priced
/// part, 0 for a model without a price, beside the row's `totalCost` null; and a model whose
/// every response had unreadable usage (no tokens aegon knows) was missing from `modelsUsed`,
/// the breakdowns and the table's Models column, while `--summary` names it. A breakdown's
/// `cost` is null as the row's, its priced part in `pricedCost`; the model is listed. A model
/// whose responses all have a price keeps `cost` = `pricedCost` (the real 4 responses, $0.2309).
#[test]
fn a_models_unknown_cost_is_null_and_the_model_is_listed_without_tokens() {
    let changed = |change: &dyn Fn(&mut Value)| -> String {
        let mut lines = base();
        for v in lines.iter_mut().filter(|v| is_assistant(v)) {
            change(v);
        }
        jsonl(&lines)
    };
    let zeta = changed(&|v| v["message"]["model"] = "claude-zeta-9".into());
    let unread = changed(&|v| v["message"]["usage"] = serde_json::json!({}));
    for (name, text, model, short, cost, priced, unpriced) in [
        ("zeta", zeta, "claude-zeta-9", "zeta-9", Value::Null, 0.0, 4),
        (
            "unread",
            unread,
            "claude-opus-5",
            "opus-5",
            Value::Null,
            0.0,
            4,
        ),
        (
            "priced",
            jsonl(&base()),
            "claude-opus-5",
            "opus-5",
            Value::from(0.230886),
            0.230886,
            0,
        ),
    ] {
        let (_dir, file, data) = setup(&format!("breakdown-{name}"), &text);
        let out = aegon(&data, &["--summary", "--json", file.to_str().unwrap()])
            .output()
            .unwrap();
        let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["sessions"][0]["models"], serde_json::json!([model]));
        for extra in [&[][..], &[][..], &["--no-index"][..]] {
            for report in ["daily", "session"] {
                let mut args = vec!["usage", report, "--json", "--breakdown"];
                args.extend_from_slice(extra);
                args.push(file.to_str().unwrap());
                let out = aegon(&data, &args).output().unwrap();
                let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
                let row = &doc[if report == "daily" {
                    "daily"
                } else {
                    "sessions"
                }][0];
                assert_eq!(
                    row["modelsUsed"],
                    serde_json::json!([model]),
                    "{name} {report}"
                );
                let b = &row["modelBreakdowns"];
                assert_eq!(b.as_array().map(Vec::len), Some(1), "{name} {report}: {b}");
                let b = &b[0];
                assert_eq!(b["modelName"], model, "{name} {report}");
                assert_eq!(b["cost"], cost, "{name} {report} {extra:?}: {b}");
                assert_eq!(b["pricedCost"], priced, "{name} {report} {extra:?}: {b}");
                assert_eq!(b["unpricedResponses"], unpriced, "{name} {report}: {b}");
                assert_eq!(row["totalCost"], b["cost"], "{name} {report}");
            }
            // The table's Models column names it.
            let mut args = vec!["usage", "daily", "--color", "never"];
            args.extend_from_slice(extra);
            args.push(file.to_str().unwrap());
            let out = aegon(&data, &args).output().unwrap();
            let table = String::from_utf8_lossy(&out.stdout);
            let row = table
                .lines()
                .find(|l| l.contains("2026-"))
                .unwrap_or_else(|| panic!("{table}"));
            assert!(row.contains(short), "{name}: {table}");
        }
    }
}
