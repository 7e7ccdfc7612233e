//! Each entry counts once, by its identity, wherever and however often it is written
//! (issue 11, kind 1): re-appended lines, a resumed session copied into a new file under a
//! new session id, the same session split over files. The right values come from
//! `fixtures/bugs/README.md`; the property tests compare against the session read once.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;

use common::{root, Rng};

fn bug(name: &str) -> PathBuf {
    root().join("fixtures/bugs").join(name)
}

/// A fresh folder for one test, removed when it passes ([`common::temp_dir`]).
fn temp(name: &str) -> common::TempDir {
    common::temp_dir(&format!("identity-{name}"))
}

/// `aegon --summary --json ARGS…`: stdout as bytes (exit 0 or 1 allowed) and as JSON.
fn summary(args: &[&str], paths: &[&Path]) -> (Vec<u8>, Value) {
    let args: Vec<&str> = ["--summary", "--json"]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    let out = aegon_out(&args, paths).into_bytes();
    let doc = serde_json::from_slice(&out).unwrap();
    (out, doc)
}

/// `aegon ARGS… PATHS…` (exit 0 or 1 allowed): stdout.
fn aegon_out(args: &[&str], paths: &[&Path]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(args)
        .args(paths)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn session<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session_id"] == id)
        .unwrap_or_else(|| panic!("no session {id} in {doc}"))
}

/// Sums of the NDJSON usage events and counts of the other kinds, for the same input.
fn ndjson_totals(paths: &[&Path]) -> (Value, u64, u64, u64) {
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .arg("--ndjson")
        .args(paths)
        .output()
        .unwrap();
    let mut tokens = [0u64; 5];
    let (mut calls, mut prompts, mut tool_calls) = (0, 0, 0);
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        match e["kind"].as_str().unwrap() {
            "usage" => {
                for (i, k) in [
                    "input",
                    "output",
                    "cache_read",
                    "cache_write_5m",
                    "cache_write_1h",
                ]
                .iter()
                .enumerate()
                {
                    tokens[i] += e[*k].as_u64().unwrap();
                }
                if e["increment"] == false {
                    calls += 1;
                }
            }
            "user_prompt" => prompts += 1,
            "tool_call" => tool_calls += 1,
            _ => {}
        }
    }
    let tokens = serde_json::json!({
        "input": tokens[0], "output": tokens[1], "cache_read": tokens[2],
        "cache_write_5m": tokens[3], "cache_write_1h": tokens[4],
    });
    (tokens, calls, prompts, tool_calls)
}

#[test]
fn a_replayed_entry_counts_once() {
    // 07: the session's first four lines written again (same uuids and tool_use id), then a
    // new turn.
    let file = bug("07-replayed-duplicate-entries.jsonl");
    let (_, doc) = summary(&[], &[&file]);
    let s = &doc["sessions"][0];
    assert_eq!(doc["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(
        (&s["prompts"], &s["tool_calls"], &s["api_calls"]),
        (&Value::from(2), &Value::from(1), &Value::from(3))
    );
    // The stream agrees: the repeated lines yield no events.
    let (tokens, calls, prompts, tool_calls) = ndjson_totals(&[&file]);
    assert_eq!((calls, prompts, tool_calls), (3, 2, 1));
    assert_eq!(tokens, doc["totals"]["tokens"]);
}

/// The right values of 08: A keeps its two calls, B has only its own.
fn assert_resume_copy(doc: &Value, a: &str, b: &str) {
    let t = &doc["totals"];
    assert_eq!(t["api_calls"], 3, "{doc}");
    assert_eq!(t["tool_calls"], 1, "{doc}");
    assert_eq!(t["cost_usd"], 0.0148, "{doc}");
    let (a, b) = (session(doc, a), session(doc, b));
    assert_eq!(
        (&a["api_calls"], &a["cost_usd"]),
        (&Value::from(2), &Value::from(0.0112))
    );
    assert_eq!(
        (&b["api_calls"], &b["cost_usd"]),
        (&Value::from(1), &Value::from(0.0036))
    );
    assert_eq!(a["tool_calls"], 1);
    assert_eq!(b["tool_calls"], 0);
}

#[test]
fn a_resumed_copy_counts_in_the_session_it_was_copied_from_whatever_the_order() {
    let dir = bug("08-resume-copy");
    let a_id = "11111111-2222-4333-8444-5555555555a8";
    let b_id = "11111111-2222-4333-8444-5555555555b8";
    let a = dir.join(format!("{a_id}.jsonl"));
    let b = dir.join(format!("{b_id}.jsonl"));
    let (first, doc) = summary(&[], &[&dir]);
    assert_resume_copy(&doc, a_id, b_id);
    // Byte-identical on every run, with 1 or N workers, in any order files are named in.
    for round in 0..5 {
        for threads in ["1", "2", "3"] {
            for paths in [[&a, &b], [&b, &a]] {
                let (again, _) = summary(&["--threads", threads], &[paths[0], paths[1]]);
                assert_eq!(again, first, "round {round}, {threads} threads, {paths:?}");
            }
        }
    }
    // File names do not decide it either: the copy named so that it sorts (and is sniffed)
    // first, and the original last.
    let tmp = temp("renamed");
    std::fs::copy(&b, tmp.join("0-first.jsonl")).unwrap();
    std::fs::copy(&a, tmp.join("z-last.jsonl")).unwrap();
    let (renamed, doc) = summary(&["-j", "1"], &[&tmp]);
    assert_resume_copy(&doc, a_id, b_id);
    assert_eq!(summary(&["-j", "2"], &[&tmp]).0, renamed);
    // The stream's usage sums equal the summary's totals.
    let (tokens, calls, _, tool_calls) = ndjson_totals(&[&b, &a]);
    assert_eq!(tokens, doc["totals"]["tokens"]);
    assert_eq!((calls, tool_calls), (3, 1));
}

#[test]
fn per_session_outputs_give_a_resumed_copy_to_the_session_it_copies_whatever_the_names() {
    // The copy renamed to sort first (a random session id does half the time): read in path
    // order it would take the original's entries, and the original would lose its report and
    // its trace. The right values are 08's: A two calls, B one.
    let dir = bug("08-resume-copy");
    let a_id = "11111111-2222-4333-8444-5555555555a8";
    let b_id = "11111111-2222-4333-8444-5555555555b8";
    let b_first = "00000000-2222-4333-8444-5555555555b8";
    let tmp = temp("per-session");
    std::fs::copy(
        dir.join(format!("{a_id}.jsonl")),
        tmp.join(format!("{a_id}.jsonl")),
    )
    .unwrap();
    let copy = std::fs::read_to_string(dir.join(format!("{b_id}.jsonl"))).unwrap();
    std::fs::write(
        tmp.join(format!("{b_first}.jsonl")),
        copy.replace(b_id, b_first),
    )
    .unwrap();
    let (_, doc) = summary(&[], &[&tmp]);
    assert_resume_copy(&doc, a_id, b_first);

    // OTLP: one chat span per API call, under its session's resource.
    let otlp = aegon_out(&["--otlp"], &[&tmp]);
    let mut chats = std::collections::BTreeMap::<String, u64>::new();
    let documents: Vec<Value> = otlp
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for rs in documents
        .iter()
        .filter_map(|d| d["resourceSpans"].as_array())
        .flatten()
    {
        let session = rs["resource"]["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == "session.id")
            .map(|a| a["value"]["stringValue"].as_str().unwrap().to_owned())
            .unwrap();
        for scope in rs["scopeSpans"].as_array().unwrap() {
            for span in scope["spans"].as_array().unwrap() {
                if span["name"].as_str().unwrap().starts_with("chat") {
                    *chats.entry(session.clone()).or_default() += 1;
                }
            }
        }
    }
    assert_eq!(
        chats,
        [(a_id.to_owned(), 2), (b_first.to_owned(), 1)].into(),
        "chat spans by session.id"
    );

    // HTML: a report for each session, the original's with its two calls.
    let out = tmp.join("report");
    aegon_out(&["html", "-o", out.to_str().unwrap()], &[&tmp]);
    for (id, calls) in [(a_id, 2), (b_first, 1)] {
        let html = std::fs::read_to_string(out.join(format!("{id}.html")))
            .unwrap_or_else(|e| panic!("no report for {id}: {e}"));
        assert!(
            html.contains(&format!("API calls</dt><dd>{calls}<")),
            "{id}: expected {calls} API calls"
        );
    }
}

#[test]
fn lines_without_a_session_id_belong_to_their_file() {
    let file = bug("17-no-session-id.jsonl");
    let (_, doc) = summary(&[], &[&file]);
    let sessions = doc["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{doc}");
    let s = &sessions[0];
    assert_eq!(s["session_id"], "17-no-session-id");
    assert_eq!(
        (&s["prompts"], &s["tool_calls"], &s["api_calls"]),
        (&Value::from(2), &Value::from(1), &Value::from(1))
    );
    // In Claude Code's layout the session is the one the path names, subagents too.
    let tmp = temp("layout");
    let id = "22222222-3333-4444-8555-666666666666";
    let sub = tmp.join(id).join("subagents");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::copy(&file, tmp.join(format!("{id}.jsonl"))).unwrap();
    let (_, doc) = summary(&[], &[&tmp.join(format!("{id}.jsonl"))]);
    assert_eq!(doc["sessions"][0]["session_id"], id);
    std::fs::copy(&file, sub.join("agent-a1.jsonl")).unwrap();
    let (_, doc) = summary(&[], &[&sub.join("agent-a1.jsonl")]);
    assert_eq!(doc["sessions"][0]["session_id"], id);
}

/// `line` without its `requestId` member (as written by Claude Code: a string, then a comma).
fn without_request_id(line: &str) -> String {
    const KEY: &str = "\"requestId\":\"";
    match line.find(KEY) {
        Some(start) => {
            let value = start + KEY.len();
            let end = value + line[value..].find('"').unwrap() + 1;
            let end = end + usize::from(line[end..].starts_with(','));
            format!("{}{}", &line[..start], &line[end..])
        }
        None => line.to_owned(),
    }
}

/// What must not change however the lines are split, repeated and ordered.
fn invariants(doc: &Value) -> Value {
    let t = &doc["totals"];
    serde_json::json!({
        "tokens": t["tokens"], "api_calls": t["api_calls"], "cost_usd": t["cost_usd"],
        "tool_calls": t["tool_calls"],
        "prompts": doc["sessions"].as_array().unwrap().iter()
            .map(|s| s["prompts"].as_u64().unwrap()).sum::<u64>(),
    })
}

#[test]
fn totals_do_not_depend_on_how_a_session_is_split_repeated_or_ordered() {
    let sources = [
        "marot__spotter__test__fixtures__transcripts__tool_heavy.jsonl",
        "chiphuyen__sniffly__tests__mock-data__-Users-chip-dev-ai-music__ba79134d-b6e9-4867-af0c-6941038c9e4b.jsonl",
        "kfischer-okarin__scripts-and-tools__src__claude-history__test__fixtures__claude-projects__-Users-user-project__b3edadab-bca0-4054-9b41-f7ffa6941260.jsonl",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for source in sources {
        let path = common::fixture(source);
        let (_, whole) = summary(&[], &[&path]);
        let want = invariants(&whole);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for case in 0..8 {
            let dir = temp(&format!("split-{case}"));
            let files = 1 + rng.pick(4);
            let mut parts: Vec<Vec<String>> = vec![Vec::new(); files];
            for &line in &lines {
                // Every line lands somewhere; a third of them twice (maybe in the same file);
                // a quarter of the copies without their requestId (tester7 finding 4).
                for _ in 0..1 + usize::from(rng.pick(3) == 0) {
                    let line = match rng.pick(4) {
                        0 => without_request_id(line),
                        _ => line.to_owned(),
                    };
                    parts[rng.pick(files)].push(line);
                }
            }
            for (i, part) in parts.iter_mut().enumerate() {
                // Neighbouring lines swapped now and then (lines are not strictly ordered).
                for j in 1..part.len() {
                    if rng.pick(6) == 0 {
                        part.swap(j - 1, j);
                    }
                }
                let name = format!("{:x}-{i}.jsonl", rng.next());
                std::fs::write(dir.join(name), part.join("\n") + "\n").unwrap();
            }
            let (one, doc) = summary(&["-j", "1"], &[&dir]);
            assert_eq!(invariants(&doc), want, "{source}, case {case}");
            let (two, _) = summary(&["-j", "2"], &[&dir]);
            assert_eq!(one, two, "{source}, case {case}: 1 and 2 workers differ");
            let (tokens, ..) = ndjson_totals(&[&dir]);
            assert_eq!(tokens, want["tokens"], "{source}, case {case}: NDJSON sums");
        }
    }
}

#[test]
fn a_copy_under_a_new_session_id_counts_once_in_the_original() {
    // Claude Code's resume: the session's lines copied into a new file under the new id, then
    // the new session's own turns. Built from a real transcript.
    let path = common::fixture("marot__spotter__test__fixtures__transcripts__tool_heavy.jsonl");
    let (_, whole) = summary(&[], &[&path]);
    let original = whole["sessions"][0]["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let text = std::fs::read_to_string(&path).unwrap();
    let copy_id = "99999999-8888-4777-8666-555555555555";
    let own_turn = format!(
        "{{\"type\":\"user\",\"sessionId\":\"{copy_id}\",\"uuid\":\"new-1\",\"timestamp\":\"2099-01-01T00:00:00.000Z\",\"message\":{{\"role\":\"user\",\"content\":\"and now?\"}}}}\n"
    );
    let copy = text.replace(&original, copy_id) + &own_turn;
    let dir = temp("copy");
    // Names chosen so that the copy sorts first.
    std::fs::copy(&path, dir.join("b.jsonl")).unwrap();
    std::fs::write(dir.join("a.jsonl"), copy).unwrap();
    let (bytes, doc) = summary(&[], &[&dir]);
    assert_eq!(invariants(&doc)["tokens"], invariants(&whole)["tokens"]);
    let o = session(&doc, &original);
    assert_eq!(o["api_calls"], whole["sessions"][0]["api_calls"]);
    assert_eq!(o["tool_calls"], whole["sessions"][0]["tool_calls"]);
    let c = session(&doc, copy_id);
    assert_eq!(
        (&c["api_calls"], &c["prompts"]),
        (&Value::from(0), &Value::from(1))
    );
    assert_eq!(summary(&["-j", "1"], &[&dir]).0, bytes);
}

/// `aegon ARGS… PATHS…`: stdout and stderr.
fn run(args: &[&str], paths: &[&Path]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(args)
        .args(paths)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn lines_without_uuid_count_once_when_their_file_is_read_twice() {
    // Real transcripts full of lines without uuid (snapshots, queue operations, titles,
    // permission modes, last prompts; some written several times in the file), and a copy of
    // each beside it: the copy adds no event, and every one of its lines is a repeat.
    for source in [
        "Yael-Peretz__jgive-campaign-donation__transcript.jsonl",
        "leolin84200704__posthog-impact-dashboard__claude-session.jsonl",
        "marot__spotter__test__fixtures__transcripts__tool_heavy.jsonl",
    ] {
        let text = std::fs::read_to_string(common::fixture(source)).unwrap();
        // Every line of these files is a JSON object that yields an event (checked: no line is
        // blank or of a type aegon skips), so a copy repeats all of them.
        let records = text
            .lines()
            .filter(|l| serde_json::from_str::<Value>(l).is_ok_and(|v| v.is_object()))
            .count();
        let without_uuid = text
            .lines()
            .filter(|l| serde_json::from_str::<Value>(l).is_ok_and(|v| v.get("uuid").is_none()))
            .count();
        assert!(without_uuid > 0, "{source}");
        let dir = temp(&format!("twice-{}", &source[..10]));
        let (a, b) = (dir.join("a.jsonl"), dir.join("b.jsonl"));
        std::fs::write(&a, &text).unwrap();
        std::fs::write(&b, &text).unwrap();
        let (once, quiet) = run(&["--ndjson"], &[&a]);
        assert!(!quiet.contains("repeated"), "{quiet}");
        // The folder (the file and its copy), and the file named beside its folder.
        for paths in [vec![dir.path()], vec![a.as_path(), dir.path()]] {
            let (twice, note) = run(&["--ndjson"], &paths);
            assert!(
                twice == once,
                "{source}: {} events instead of {}",
                twice.lines().count(),
                once.lines().count()
            );
            assert!(
                note.contains(&format!("{records} lines repeated earlier entries")),
                "{source}: {note}"
            );
            let (_, doc) = summary(&[], &paths);
            assert_eq!(doc, summary(&[], &[&a]).1, "{source}");
        }
    }
}

#[test]
fn a_resumed_copy_repeats_the_snapshots_it_copies() {
    // Claude Code's resume copies the session's lines, file-history snapshots included, into
    // a new file under the new session id. Built from a real transcript.
    let path = common::fixture("marot__spotter__test__fixtures__transcripts__tool_heavy.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let (once, _) = run(&["--ndjson"], &[&path]);
    let original = serde_json::from_str::<Value>(once.lines().nth(1).unwrap()).unwrap()
        ["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let snapshots = text
        .lines()
        .filter(|l| {
            serde_json::from_str::<Value>(l).is_ok_and(|v| v["type"] == "file-history-snapshot")
        })
        .count();
    assert!(snapshots > 0);
    let dir = temp("resumed-snapshots");
    std::fs::copy(&path, dir.join("a.jsonl")).unwrap();
    std::fs::write(
        dir.join("b.jsonl"),
        text.replace(&original, "99999999-8888-4777-8666-555555555555"),
    )
    .unwrap();
    let (both, _) = run(&["--ndjson"], &[&dir]);
    assert_eq!(
        both.matches("\"kind\":\"file_snapshot\"").count(),
        snapshots
    );
}

/// tester7 finding 4: lines of one response whose `requestId` is written on only some of them
/// (a field absent on later chunk lines, a gateway that drops it, a copy that lost it) are one
/// response: FORMAT.md §6 keys a response by `message.id`, `requestId` only "when present —
/// never require it". Input: the first 22 lines of the real corpus file
/// shastrysamarth__01-campaign-audit__transcript.jsonl (Claude Code 2.1.219, claude-opus-5:
/// 4 responses over 6 assistant lines), with `requestId` taken off some lines. The right
/// values: an independent count (dedup by message id, tester7's ref.py) and ccusage 20.0.24
/// ($0.230886) on the unmodified lines: 4 calls, input 8, output 617, cache read 154,982,
/// 1 h cache writes 13,793, $0.2309.
#[test]
fn a_response_counts_once_whatever_lines_carry_its_request_id() {
    let text = std::fs::read_to_string(common::fixture(
        "shastrysamarth__01-campaign-audit__transcript.jsonl",
    ))
    .unwrap();
    let lines: Vec<Value> = text
        .lines()
        .take(22)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let session_id = lines[0]["sessionId"].as_str().unwrap().to_owned();
    // `keep(rank of the line among its response's lines, number of them)`: whether the
    // line keeps its requestId.
    let variant = |keep: &dyn Fn(usize, usize) -> bool| -> String {
        let count = |id: &Value| {
            lines
                .iter()
                .filter(|l| l["type"] == "assistant" && l["message"]["id"] == *id)
                .count()
        };
        let mut rank = std::collections::HashMap::new();
        let mut out = String::new();
        for line in &lines {
            let mut line = line.clone();
            if line["type"] == "assistant" {
                let id = line["message"]["id"].clone();
                let r = rank.entry(id.to_string()).or_insert(0);
                if !keep(*r, count(&id)) {
                    line.as_object_mut().unwrap().remove("requestId");
                }
                *r += 1;
            }
            out += &line.to_string();
            out.push('\n');
        }
        out
    };
    let want = serde_json::json!({
        "api_calls": 4, "cost_usd": 0.2309,
        "tokens": {"input": 8, "output": 617, "cache_read": 154_982, "cache_write_5m": 0,
                   "cache_write_1h": 13_793},
    });
    let totals = |doc: &Value| {
        let t = &doc["totals"];
        serde_json::json!({"api_calls": t["api_calls"], "cost_usd": t["cost_usd"],
                           "tokens": t["tokens"]})
    };
    let first_only = variant(&|rank, _| rank == 0);
    let last_only = variant(&|rank, n| rank + 1 == n);
    let none = variant(&|_, _| false);
    let all = variant(&|_, _| true);
    assert!(first_only.contains("requestId") && first_only.matches("requestId").count() == 4);
    let dir = temp("request-id");
    for (name, body) in [
        ("first", &first_only),
        ("last", &last_only),
        ("none", &none),
    ] {
        let path = dir.join(format!("{name}.jsonl"));
        std::fs::write(&path, body).unwrap();
        let (_, doc) = summary(&[], &[&path]);
        assert_eq!(
            totals(&doc),
            want,
            "requestId on {name} line(s) of each response"
        );
        let (tokens, calls, ..) = ndjson_totals(&[&path]);
        assert_eq!(
            (tokens, calls),
            (want["tokens"].clone(), 4),
            "{name}: NDJSON"
        );
    }
    // Across files: the session with every requestId, and a resumed copy of it (another
    // session id) that lost them all, or kept them on the last lines only; in either order of
    // names, with one thread or two: still 4 responses, counted in the original session.
    for (copy, body) in [("none", &none), ("last", &last_only)] {
        for (original_name, copy_name) in [("a", "b"), ("b", "a")] {
            let dir = temp(&format!("request-id-{copy}-{original_name}"));
            std::fs::write(dir.join(format!("{original_name}.jsonl")), &all).unwrap();
            let resumed = body.replace(&session_id, "99999999-8888-4777-8666-555555555555");
            std::fs::write(dir.join(format!("{copy_name}.jsonl")), resumed).unwrap();
            let (one, doc) = summary(&["-j", "1"], &[&dir]);
            assert_eq!(totals(&doc), want, "copy {copy}, original {original_name}");
            assert_eq!(session(&doc, &session_id)["api_calls"], 4);
            let (two, _) = summary(&["-j", "2"], &[&dir]);
            assert_eq!(one, two, "copy {copy}: 1 and 2 workers differ");
            let (tokens, calls, ..) = ndjson_totals(&[&dir]);
            assert_eq!(
                (tokens, calls),
                (want["tokens"].clone(), 4),
                "copy {copy}: NDJSON"
            );
        }
    }
}

/// `text` (a Claude Code transcript) as written behind a relay that answers every response
/// with the message id `id` (tester16 #3, ccusage#1635: `"ocgo"`; or `""`), its requestIds
/// kept or not. With `placeholder`, each response's first line is preceded by the relay's
/// placeholder: the line again with usage all 0 and no content, under a uuid of its own
/// (ClaudeCodeUsage#18).
fn behind_relay(text: &str, id: &str, keep_request: bool, placeholder: bool) -> String {
    let mut out = String::new();
    let mut met = std::collections::HashSet::new();
    for line in text.lines() {
        let Ok(mut v) = serde_json::from_str::<Value>(line) else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let response = v["type"] == "assistant" && v["message"]["id"].is_string();
        if response {
            let first = met.insert(v["message"]["id"].as_str().unwrap().to_owned());
            v["message"]["id"] = id.into();
            if !keep_request {
                v.as_object_mut().unwrap().remove("requestId");
            }
            if placeholder && first && v["message"]["usage"].is_object() {
                let mut p = v.clone();
                let uuid = p["uuid"].as_str().unwrap().to_owned();
                p["uuid"] = format!("{}0000", &uuid[..uuid.len() - 4]).into();
                p["message"]["content"] = serde_json::json!([]);
                p["message"]["usage"] = serde_json::json!({"input_tokens": 0,
                    "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                    "output_tokens": 0});
                out.push_str(&p.to_string());
                out.push('\n');
            }
        }
        out.push_str(&if response {
            v.to_string()
        } else {
            line.to_owned()
        });
        out.push('\n');
    }
    out
}

/// Real sessions with multi-line responses and tool results between their lines (the shared
/// corpus: apanloco, claude-opus-4-6, 22 responses on 30 usage lines; chiphuyen ba79134d,
/// Claude Code 1.0.17, parallel tool calls).
const RELAYED: [&str; 2] = [
    "apanloco__random__session.jsonl",
    "chiphuyen__sniffly__tests__mock-data__-Users-chip-dev-ai-music__ba79134d-b6e9-4867-af0c-6941038c9e4b.jsonl",
];

/// What a relay must not change: per session and in all, API calls, tokens and cost.
fn counted(doc: &Value) -> Value {
    let t = &doc["totals"];
    let mut sessions: Vec<Value> = doc["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| serde_json::json!([s["session_id"], s["api_calls"], s["cost_usd"], s["tokens"]]))
        .collect();
    sessions.sort_by_key(|s| s.to_string());
    serde_json::json!({"api_calls": t["api_calls"], "tokens": t["tokens"],
        "cost_usd": t["cost_usd"], "priced": t["priced_cost_usd"], "sessions": sessions})
}

/// `aegon usage daily --json` totals over `dir`, from a fresh index in `data` (or without
/// one): calls, tokens and cost.
fn usage_totals(data: &Path, dir: &Path, no_index: bool) -> Value {
    let mut args = vec!["usage", "daily", "--json"];
    if no_index {
        args.push("--no-index");
    }
    let dir = dir.to_str().unwrap();
    args.push(dir);
    let out = common::aegon_isolated(data, &args).output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &doc["totals"];
    serde_json::json!([
        t["apiCalls"],
        t["inputTokens"],
        t["outputTokens"],
        t["cacheCreationTokens"],
        t["cacheReadTokens"],
        t["totalCost"]
    ])
}

/// tester16 #3: a relay that answers every response with one `message.id` (`"ocgo"`, or
/// `""`), with or without `requestId`s, counts each response once, in every view, as the
/// same sessions with the API's ids: `--summary` (1 and 3 workers), the NDJSON stream (one
/// non-increment usage event per API call), `aegon usage` from the index and without it.
#[test]
fn a_relay_that_reuses_one_message_id_counts_every_response() {
    let real = temp("relay-real");
    for name in RELAYED {
        std::fs::copy(common::fixture(name), real.join(name)).unwrap();
    }
    let (_, want) = summary(&[], &[&real]);
    let want = counted(&want);
    assert_eq!(want["api_calls"], 22 + 24, "{want}");
    let want_usage = usage_totals(&temp("relay-real-data"), &real, false);
    for (id, keep_request) in [("ocgo", false), ("", false), ("ocgo", true)] {
        let dir = temp("relay");
        for name in RELAYED {
            let text = std::fs::read_to_string(common::fixture(name)).unwrap();
            std::fs::write(dir.join(name), behind_relay(&text, id, keep_request, false)).unwrap();
        }
        let case = format!("id {id:?}, requestIds kept: {keep_request}");
        let (one, doc) = summary(&["-j", "1"], &[&dir]);
        assert_eq!(counted(&doc), want, "{case}");
        let (three, _) = summary(&["-j", "3"], &[&dir]);
        assert_eq!(one, three, "{case}: 1 and 3 workers differ");
        let (tokens, ..) = ndjson_totals(&[&dir]);
        assert_eq!(tokens, want["tokens"], "{case}: NDJSON sums");
        let calls = aegon_out(&["--ndjson"], &[&dir])
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|e| e["kind"] == "usage" && e["increment"] != true)
            .count();
        assert_eq!(
            Value::from(calls),
            want["api_calls"],
            "{case}: NDJSON calls"
        );
        let data = temp("relay-data");
        assert_eq!(
            usage_totals(&data, &dir, false),
            want_usage,
            "{case}: index"
        );
        assert_eq!(
            usage_totals(&data, &dir, true),
            want_usage,
            "{case}: --no-index"
        );
    }
}

/// The repro's shape (tester16 #3): two sessions of three prompts each, every response under
/// `"ocgo"` with no `requestId`, the two sessions' prompts of the same sizes: six API calls
/// (not one), 6 × (1,000…3,000 input, 100…300 output) of claude-sonnet-4-5: $0.054. Lines
/// from the real apanloco session (its first prompt and first answer), ids and usage set.
#[test]
fn two_relay_sessions_with_prompts_of_the_same_sizes_count_apart() {
    let text = std::fs::read_to_string(common::fixture(RELAYED[0])).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let prompt = lines
        .iter()
        .find(|v| v["type"] == "user" && v["message"]["content"].is_string())
        .unwrap();
    let answer = lines
        .iter()
        .find(|v| v["type"] == "assistant" && v["message"]["usage"].is_object())
        .unwrap();
    let dir = temp("relay-two");
    for (s, session) in ["sess-one", "sess-two"].iter().enumerate() {
        let mut out = String::new();
        for k in 0..3u64 {
            let hour = 3 * s as u64 + k;
            let mut p = prompt.clone();
            p["sessionId"] = (*session).into();
            p["uuid"] = format!("{session}-u{k}").into();
            p["timestamp"] = format!("2026-11-30T1{hour}:00:00.000Z").into();
            p["message"]["content"] = format!("prompt {k}").into();
            let mut a = answer.clone();
            a["sessionId"] = (*session).into();
            a["uuid"] = format!("{session}-a{k}").into();
            a["parentUuid"] = format!("{session}-u{k}").into();
            a["timestamp"] = format!("2026-11-30T1{hour}:00:05.000Z").into();
            a.as_object_mut().unwrap().remove("requestId");
            a["message"]["id"] = "ocgo".into();
            a["message"]["model"] = "claude-sonnet-4-5".into();
            a["message"]["usage"] = serde_json::json!({"input_tokens": 1000 * (k + 1),
                "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                "output_tokens": 100 * (k + 1)});
            out.push_str(&format!("{p}\n{a}\n"));
        }
        std::fs::write(dir.join(format!("{session}.jsonl")), out).unwrap();
    }
    let (_, doc) = summary(&[], &[&dir]);
    assert_eq!(doc["totals"]["api_calls"], 6, "{doc}");
    assert_eq!(doc["totals"]["tokens"]["input"], 12_000);
    assert_eq!(doc["totals"]["cost_usd"], 0.054);
    for id in ["sess-one", "sess-two"] {
        assert_eq!(session(&doc, id)["api_calls"], 3);
    }
    let data = temp("relay-two-data");
    let want = serde_json::json!([6, 12_000, 1_200, 0, 0, 0.054]);
    assert_eq!(usage_totals(&data, &dir, false), want);
    assert_eq!(usage_totals(&data, &dir, true), want);
}

/// A relay session resumed into a new one (its lines copied under the new session id, same
/// uuids: bugs/08's shape) counts each response once, in the session it was copied from,
/// in `--summary` and in the index (read in either order); and a relay session split over
/// files, lines repeated, counts as it does whole.
#[test]
fn a_resumed_or_split_relay_session_counts_each_response_once() {
    let name = RELAYED[0];
    let text = behind_relay(
        &std::fs::read_to_string(common::fixture(name)).unwrap(),
        "ocgo",
        false,
        false,
    );
    let original = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|v| v["sessionId"].as_str().map(str::to_owned))
        .unwrap();
    let alone = temp("relay-alone");
    std::fs::write(alone.join("a.jsonl"), &text).unwrap();
    let (_, want) = summary(&[], &[&alone]);
    let want_usage = usage_totals(&temp("relay-alone-data"), &alone, false);
    let dir = temp("relay-resumed");
    std::fs::write(dir.join("a.jsonl"), &text).unwrap();
    std::fs::write(
        dir.join("b.jsonl"),
        text.replace(&original, "cccccccc-0000-4000-8000-000000000001"),
    )
    .unwrap();
    for j in ["1", "3"] {
        let (_, doc) = summary(&["-j", j], &[&dir]);
        assert_eq!(
            doc["totals"]["api_calls"], want["totals"]["api_calls"],
            "-j{j}"
        );
        assert_eq!(
            doc["totals"]["cost_usd"], want["totals"]["cost_usd"],
            "-j{j}"
        );
        assert_eq!(
            session(&doc, &original)["api_calls"],
            want["totals"]["api_calls"]
        );
    }
    let data = temp("relay-resumed-data");
    assert_eq!(usage_totals(&data, &dir, false), want_usage, "index");
    assert_eq!(usage_totals(&data, &dir, true), want_usage, "--no-index");
    // Split over files, a third of the lines twice.
    let mut rng = Rng(0x5eed_0003);
    let split = temp("relay-split");
    let mut parts: Vec<String> = vec![String::new(); 3];
    for line in text.lines() {
        for _ in 0..1 + usize::from(rng.pick(3) == 0) {
            parts[rng.pick(3)].push_str(&format!("{line}\n"));
        }
    }
    for (i, part) in parts.iter().enumerate() {
        std::fs::write(split.join(format!("{i}.jsonl")), part).unwrap();
    }
    let (_, doc) = summary(&[], &[&split]);
    assert_eq!(invariants(&doc)["api_calls"], want["totals"]["api_calls"]);
    assert_eq!(invariants(&doc)["tokens"], want["totals"]["tokens"]);
}

/// A relay's all-zero placeholder before each response's first line (ClaudeCodeUsage#18):
/// the placeholders of a session are one response of unknown cost (prompt size 0), so the
/// calls are the session's and one, the tokens and the priced part the session's, the cost
/// unknown (as when a placeholder shares a real id with its response: FORMAT.md §5, only
/// synthetic error lines carry zero usage). All-zero usage is also what a usage aegon cannot
/// read gives, which stays a call of unknown cost.
#[test]
fn a_sessions_relay_placeholders_are_one_call_of_unknown_cost() {
    let name = RELAYED[0];
    let text = std::fs::read_to_string(common::fixture(name)).unwrap();
    let (_, want) = summary(&[], &[&common::fixture(name)]);
    let calls = want["totals"]["api_calls"].as_u64().unwrap() + 1;
    for id in ["ocgo", ""] {
        let dir = temp("relay-placeholder");
        std::fs::write(dir.join(name), behind_relay(&text, id, false, true)).unwrap();
        for j in ["1", "3"] {
            let (_, doc) = summary(&["-j", j], &[&dir]);
            let t = &doc["totals"];
            assert_eq!(t["api_calls"], calls, "{id:?}");
            assert_eq!(t["tokens"], want["totals"]["tokens"], "{id:?}");
            assert_eq!(t["priced_cost_usd"], want["totals"]["cost_usd"], "{id:?}");
            assert_eq!(t["cost_usd"], Value::Null, "{id:?}");
        }
        let data = temp("relay-placeholder-data");
        let calls_of = |t: Value| t[0].clone();
        assert_eq!(calls_of(usage_totals(&data, &dir, false)), calls);
        assert_eq!(calls_of(usage_totals(&data, &dir, true)), calls);
    }
}
