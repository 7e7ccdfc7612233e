//! The Codex CLI adapter on the real rollouts of `fixtures/agents/codex/` (provenance in
//! `fixtures/agents/README.md`): per file, what the NDJSON stream says is checked against counts
//! made here, independently, by walking each line as a `serde_json::Value` with the rules of the
//! agents corpus's FORMAT.md §1 (never the adapter's code). Also: a fork built from a real file,
//! chunk invariance, damaged input.

use std::collections::HashSet;
use std::path::PathBuf;

use aegon::render::ndjson::NdjsonRenderer;
use aegon::{Options, Pipeline};
use serde_json::Value;

mod codex_rules;
use codex_rules::{child_of, count, fork_of_review_child, totals_only, with_info, Counts};

fn dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/agents/codex"
    ))
}

fn fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 13, "the Codex fixtures");
    files
}

fn fixture(part: &str) -> PathBuf {
    let found: Vec<PathBuf> = fixtures()
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(part))
        .collect();
    assert_eq!(found.len(), 1, "{part}");
    found.into_iter().next().unwrap()
}

/// NDJSON of `bytes` pushed through a pipeline in the given chunk sizes (cycled), as values.
fn ndjson_chunked(name: &str, bytes: &[u8], sizes: &[usize]) -> Vec<u8> {
    let mut pipeline = Pipeline::new(Options::default(), NdjsonRenderer::new(Vec::new()));
    let mut input = pipeline.open(name);
    let mut at = 0;
    let mut i = 0;
    while at < bytes.len() {
        let n = if sizes.is_empty() {
            bytes.len()
        } else {
            sizes[i % sizes.len()].max(1)
        };
        let end = (at + n).min(bytes.len());
        let _ = pipeline.push(&mut input, &bytes[at..end]).unwrap();
        at = end;
        i += 1;
    }
    let _ = pipeline.close(input).unwrap();
    let (renderer, _) = pipeline.finish().unwrap();
    renderer.into_inner()
}

fn events(name: &str, bytes: &[u8]) -> Vec<Value> {
    let out = ndjson_chunked(name, bytes, &[]);
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The same figures read from the adapter's NDJSON.
fn tally(events: &[Value]) -> Counts {
    let mut c = Counts::default();
    let mut ids = HashSet::new();
    for e in events {
        assert_eq!(e["agent"], "codex", "{e}");
        match e["kind"].as_str().unwrap() {
            "usage" => {
                c.requests += 1;
                c.input += e["input"].as_u64().unwrap();
                c.cache_read += e["cache_read"].as_u64().unwrap();
                c.output += e["output"].as_u64().unwrap();
                c.reasoning += e["reasoning_output"].as_u64().unwrap_or(0);
                assert_eq!(e["cache_write_5m"], 0);
                assert!(e["model"].is_string(), "a model for every request: {e}");
                let id = (e["message_id"].to_string(), e["request_id"].to_string());
                assert!(ids.insert(id), "request identities are unique: {e}");
            }
            "user_prompt" => c.prompts += 1,
            "tool_call" => c.tool_calls += 1,
            "tool_result" => {
                c.tool_results += 1;
                if e["is_error"] == true {
                    c.tool_errors += 1;
                }
            }
            "api_error" => c.api_errors += 1,
            "interrupt" => c.interrupts += 1,
            "assistant_text" => c.assistant_texts += 1,
            "malformed" => panic!("no malformed line in the fixtures: {e}"),
            _ => {}
        }
    }
    c
}

#[test]
fn every_fixture_matches_the_independent_count() {
    let mut with_usage = 0;
    for path in fixtures() {
        let bytes = std::fs::read(&path).unwrap();
        let expected = count(std::str::from_utf8(&bytes).unwrap());
        let got = tally(&events(&path.to_string_lossy(), &bytes));
        assert_eq!(got, expected, "{}", path.display());
        if expected.requests > 0 {
            with_usage += 1;
        }
    }
    // Files with usage: all but the legacy one, the 0.38.0 three-line file and the 0.39.0 image
    // file (FORMAT.md §1.4).
    assert_eq!(with_usage, 10);
}

#[test]
fn review_parent_skips_the_childs_counter_and_the_repeat_after_it() {
    // Figures read off the files by hand (FORMAT.md §1.4): the child's own file ends at a
    // cumulative 74,831 after 5 requests; the parent's window holds the same counter.
    let child = fixture("019b5669-8da8-7bc3-bed8-e1c1b805dad5");
    let parent = fixture("019b55c1-d022-7061-bbb9-b0c90708472b");
    let child_events = events("child", &std::fs::read(&child).unwrap());
    let usage: Vec<&Value> = child_events
        .iter()
        .filter(|e| e["kind"] == "usage")
        .collect();
    assert_eq!(usage.len(), 5);
    let sum: u64 = usage
        .iter()
        .map(|e| {
            e["input"].as_u64().unwrap()
                + e["cache_read"].as_u64().unwrap()
                + e["output"].as_u64().unwrap()
        })
        .sum();
    assert_eq!(sum, 74_831);
    // A review child names no parent: its own id, marked as a subagent.
    for e in &child_events {
        assert_eq!(e["session_id"], "019b5669-8da8-7bc3-bed8-e1c1b805dad5");
        assert_eq!(e["agent_id"], "019b5669-8da8-7bc3-bed8-e1c1b805dad5");
        assert_eq!(e["sidechain"], true);
    }
    let parent_events = events("parent", &std::fs::read(&parent).unwrap());
    let in_window: Vec<&Value> = parent_events
        .iter()
        .filter(|e| {
            let line = e["source"]["line"].as_u64().unwrap();
            (1336..=1356).contains(&line) || line == 1363
        })
        .collect();
    assert!(in_window.iter().all(|e| e["kind"] != "usage"));
    assert!(in_window.iter().all(|e| e["kind"] != "user_prompt"));
    assert_eq!(
        in_window
            .iter()
            .filter(|e| e["kind"] == "user_meta")
            .count(),
        3,
        "the review request twice and the review's <user_action>"
    );
}

#[test]
fn legacy_file_has_no_usage_and_still_reads_calls_and_messages() {
    let path = fixture("2025-08-26T03-00-12-9cbb079c");
    let evs = events("legacy", &std::fs::read(&path).unwrap());
    let kinds = |k: &str| evs.iter().filter(|e| e["kind"] == k).count();
    assert_eq!(kinds("usage"), 0);
    // Counted with grep on the file: 30 calls, 30 outputs, 4 assistant messages, 2 user ones.
    assert_eq!(kinds("tool_call"), 30);
    assert_eq!(kinds("tool_result"), 30);
    assert_eq!(kinds("assistant_text"), 4);
    assert_eq!(kinds("user_prompt"), 2);
    assert!(evs
        .iter()
        .all(|e| e["session_id"] == "9cbb079c-4460-466e-815d-a66acb063521"));
}

#[test]
fn subagent_file_is_attributed_to_its_parent_thread() {
    let path = fixture("019d781a-be34-7041-abb1-577f9360b907");
    let evs = events("spawned", &std::fs::read(&path).unwrap());
    assert!(!evs.is_empty());
    for e in &evs {
        assert_eq!(e["session_id"], "019d50e7-0024-70b2-ad77-923977703877");
        assert_eq!(e["agent_id"], "019d781a-be34-7041-abb1-577f9360b907");
        assert_eq!(e["sidechain"], true);
    }
}

#[test]
fn fork_counts_only_the_childs_own_requests() {
    let (text, own) = fork_of_review_child(&fixture("019b5669-8da8-7bc3-bed8-e1c1b805dad5"));
    let evs = events("fork", text.as_bytes());
    let usage: Vec<&Value> = evs.iter().filter(|e| e["kind"] == "usage").collect();
    assert_eq!(usage.len(), 2);
    let sum: u64 = usage
        .iter()
        .map(|e| {
            e["input"].as_u64().unwrap()
                + e["cache_read"].as_u64().unwrap()
                + e["output"].as_u64().unwrap()
        })
        .sum();
    assert_eq!(
        sum, own,
        "final total minus the total at the end of the replay"
    );
    assert!(usage.iter().all(|e| e["model"] == "gpt-5.4"));
    // The replay yields nothing of its own: one prompt (the child's), no replayed calls.
    let kinds = |k: &str| evs.iter().filter(|e| e["kind"] == k).count();
    assert_eq!(kinds("user_prompt"), 1);
    assert_eq!(kinds("tool_call"), 0);
    assert_eq!(
        kinds("system"),
        2,
        "the child's session_meta and the fork_replay notice"
    );
    assert!(evs
        .iter()
        .all(|e| e["session_id"] == "0199aaaa-0000-7000-8000-00000000f0c4"));
    // And the independent count agrees.
    assert_eq!(tally(&evs), count(&text));
}

#[test]
fn chunking_does_not_change_the_output() {
    for part in ["019b5669-8da8", "2025-08-26T03-00-12", "019d781a-be34"] {
        let bytes = std::fs::read(fixture(part)).unwrap();
        let whole = ndjson_chunked("f", &bytes, &[]);
        for sizes in [&[1usize, 7, 300][..], &[4096], &[13, 1, 65_537, 2]] {
            assert_eq!(
                ndjson_chunked("f", &bytes, sizes),
                whole,
                "{part} {sizes:?}"
            );
        }
    }
}

#[test]
fn damaged_input_is_reported_not_fatal() {
    let good = std::fs::read(fixture("019b5669-8da8")).unwrap();
    let mut bytes = good.clone();
    let garbage_at = bytes.len() as u64;
    bytes.extend_from_slice(b"this is not json\n");
    let bad_utf8_at = bytes.len() as u64;
    bytes.extend_from_slice(
        b"{\"timestamp\":\"2025-12-25T16:50:00.000Z\",\"type\":\"event_msg\",\"payload\":{\"type\":\"user_message\",\"message\":\"caf\xE9\"}}\n",
    );
    let truncated_at = bytes.len() as u64;
    bytes.extend_from_slice(
        b"{\"timestamp\":\"2025-12-25T16:50:01.000Z\",\"type\":\"event_msg\",\"pay",
    );
    let evs = events("damaged", &bytes);
    let lines = good.iter().filter(|&&b| b == b'\n').count() as u64;
    let malformed: Vec<&Value> = evs.iter().filter(|e| e["kind"] == "malformed").collect();
    assert_eq!(malformed.len(), 3, "{malformed:?}");
    assert_eq!(malformed[0]["source"]["line"], lines + 1);
    assert_eq!(malformed[0]["source"]["offset"], garbage_at);
    assert_eq!(malformed[0]["reason"], "invalid_json");
    assert_eq!(malformed[1]["source"]["offset"], bad_utf8_at);
    assert_eq!(malformed[1]["reason"], "invalid_utf8");
    assert_eq!(malformed[1]["recovered"], true);
    assert_eq!(malformed[2]["source"]["offset"], truncated_at);
    assert_eq!(malformed[2]["reason"], "truncated");
    // The line with invalid UTF-8 was still read.
    let prompt = evs.iter().rfind(|e| e["kind"] == "user_prompt").unwrap();
    assert_eq!(prompt["source"]["offset"], bad_utf8_at);
    // The rest of the file is unaffected.
    let before = tally(&events("good", &good));
    assert_eq!(
        evs.iter().filter(|e| e["kind"] == "usage").count() as u64,
        before.requests
    );
}

#[test]
fn joined_rollouts_are_read_as_separate_sessions() {
    // `cat a.jsonl b.jsonl | aegon`: each session as if read alone.
    let parts = [
        "019b5669-8da8",
        "2025-08-26T03-00-12",
        "019a802a-aab1",
        "019d781a-be34",
    ];
    let mut joined = Vec::new();
    let mut expected = Counts::default();
    let mut sessions = HashSet::new();
    for part in parts {
        let bytes = std::fs::read(fixture(part)).unwrap();
        let c = count(std::str::from_utf8(&bytes).unwrap());
        expected = Counts {
            requests: expected.requests + c.requests,
            input: expected.input + c.input,
            cache_read: expected.cache_read + c.cache_read,
            output: expected.output + c.output,
            reasoning: expected.reasoning + c.reasoning,
            prompts: expected.prompts + c.prompts,
            tool_calls: expected.tool_calls + c.tool_calls,
            tool_results: expected.tool_results + c.tool_results,
            tool_errors: expected.tool_errors + c.tool_errors,
            api_errors: expected.api_errors + c.api_errors,
            interrupts: expected.interrupts + c.interrupts,
            assistant_texts: expected.assistant_texts + c.assistant_texts,
        };
        joined.extend_from_slice(&bytes);
    }
    let evs = events("<stdin>", &joined);
    assert_eq!(tally(&evs), expected);
    for e in &evs {
        sessions.insert(e["session_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(sessions.len(), 4, "{sessions:?}");
}

/// The sessions `--summary` lists for `files` (empty ones left out, as it does).
fn listed_sessions(files: &[PathBuf]) -> Vec<(String, u64)> {
    let mut p = Pipeline::new(
        Options::default(),
        aegon::render::summary::SessionCollector::default(),
    );
    for f in files {
        let bytes = std::fs::read(f).unwrap();
        let _ = p
            .read_to_end(&f.to_string_lossy(), bytes.as_slice())
            .unwrap();
    }
    let sessions = p.finish().unwrap().0.into_sessions();
    sessions
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| (s.id.to_string(), s.api_calls()))
        .collect()
}

#[test]
fn a_header_only_rollout_is_a_session_without_requests() {
    // Codex 0.38 wrote `session_meta` and the injected context when the session opened; the
    // user left before any turn.
    let path = fixture("2025-09-19T02-26-55-f601c84d");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "session_meta");
    assert!(lines
        .iter()
        .all(|l| l["type"] == "session_meta" || l["payload"]["role"] == "user"));
    let id = lines[0]["payload"]["id"].as_str().unwrap().to_owned();
    assert_eq!(listed_sessions(&[path]), [(id, 0)]);
    // As a Claude Code session with a prompt and no answer is one.
    let claude = dir().join("../../corpus/KaisaLabs__octora__claude-session.jsonl");
    let got = listed_sessions(&[claude]);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1, 0);
}

/// The `tool_result` events of `events`, by call id.
fn results_by_call(events: &[Value]) -> std::collections::HashMap<String, Vec<Value>> {
    let mut by_call: std::collections::HashMap<String, Vec<Value>> = Default::default();
    for e in events.iter().filter(|e| e["kind"] == "tool_result") {
        let id = e["tool_use_id"].as_str().unwrap().to_owned();
        by_call.entry(id).or_default().push(e.clone());
    }
    by_call
}

#[test]
fn a_rollout_cut_mid_turn_keeps_the_results_its_exec_command_end_events_give() {
    // Krosss0001's file was copied while the session ran: its last four shell calls have an
    // `exec_command_end` and no `function_call_output` (read off the file's last lines: three
    // exit 0, `call_5wksrpW0ffPRalJ3qN2XD1u7` exit 1, "fatal: your current branch 'master' does
    // not have any commits yet", duration 0 s 249… ms), and a fifth call has neither.
    let path = fixture("Krosss0001");
    let bytes = std::fs::read(&path).unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    // What the file says, walked here line by line.
    let mut calls = Vec::new();
    let mut outputs = HashSet::new();
    let mut ends: Vec<(String, i64, String)> = Vec::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let p = &v["payload"];
        match p["type"].as_str().unwrap_or("") {
            "function_call" | "custom_tool_call" => {
                calls.push(p["call_id"].as_str().unwrap().to_owned())
            }
            "function_call_output" | "custom_tool_call_output" => {
                outputs.insert(p["call_id"].as_str().unwrap().to_owned());
            }
            "exec_command_end" => ends.push((
                p["call_id"].as_str().unwrap().to_owned(),
                p["exit_code"].as_i64().unwrap(),
                p["aggregated_output"].as_str().unwrap().to_owned(),
            )),
            _ => {}
        }
    }
    let cut: Vec<&(String, i64, String)> = ends
        .iter()
        .filter(|(id, ..)| !outputs.contains(id))
        .collect();
    assert_eq!(cut.len(), 4);
    let failed_ends = ends.iter().filter(|(_, code, _)| *code != 0).count();
    assert_eq!(failed_ends, 6);

    let events = events(&path.to_string_lossy(), &bytes);
    let by_call = results_by_call(&events);
    // One result per call that has an output or an exec_command_end; never two.
    for id in &calls {
        let n = by_call.get(id).map_or(0, Vec::len);
        let expected = usize::from(outputs.contains(id) || ends.iter().any(|(e, ..)| e == id));
        assert_eq!(n, expected, "{id}");
    }
    for (id, code, output) in cut {
        let r = &by_call[id][0];
        assert_eq!(r["is_error"], *code != 0, "{id}");
        let start: String = output.chars().take(10).collect();
        assert!(
            r["preview"].as_str().unwrap().starts_with(&start),
            "{id}: {r}"
        );
        assert!(r["duration_ms"].is_u64(), "{id}: {r}");
    }
    let failed: u64 = events
        .iter()
        .filter(|e| e["kind"] == "tool_result" && e["is_error"] == true)
        .count() as u64;
    assert_eq!(failed, failed_ends as u64);
}

#[test]
fn a_follower_sees_what_a_whole_read_sees_at_every_line() {
    // A rollout followed as it is written: at each line end, what the stream said so far is
    // exactly the start of what the whole file says (nothing is held back or taken back).
    let path = fixture("Krosss0001");
    let bytes = std::fs::read(&path).unwrap();
    let whole = ndjson_chunked("f", &bytes, &[]);
    let whole = String::from_utf8(whole).unwrap();
    let ends: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
        .collect();
    for &end in ends.iter().rev().take(12) {
        let prefix = String::from_utf8(ndjson_chunked("f", &bytes[..end], &[])).unwrap();
        assert!(whole.starts_with(&prefix), "cut at byte {end}");
    }
}

/// Whole milliseconds (truncated) of a decimal number of seconds as written (`"0.0525"` → 52),
/// on its digits.
fn decimal_seconds_to_ms(s: &str) -> u64 {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let frac: String = frac.chars().chain("000".chars()).take(3).collect();
    whole.parse::<u64>().unwrap() * 1000 + frac.parse::<u64>().unwrap()
}

/// The run time a rollout records for each call, by call id, read here from decoded values
/// (FORMAT.md §1.3): `exec_command_end.duration` when the call has one, else its output's
/// `metadata.duration_seconds` (the output string parsed as JSON), else a `Wall time[:] F
/// seconds` line of the output's header (the text before `Output:`; the first part of a list
/// output), else `aborted by user after Fs`.
fn recorded_durations(text: &str) -> std::collections::HashMap<String, u64> {
    let mut from_end = std::collections::HashMap::new();
    let mut from_output = std::collections::HashMap::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let p = if v.get("payload").is_some() {
            &v["payload"]
        } else {
            &v
        };
        let id = p["call_id"].as_str().unwrap_or_default().to_owned();
        match p["type"].as_str() {
            Some("exec_command_end") if !from_output.contains_key(&id) => {
                let d = &p["duration"];
                let ms =
                    d["secs"].as_u64().unwrap() * 1000 + d["nanos"].as_u64().unwrap() / 1_000_000;
                from_end.entry(id).or_insert(ms);
            }
            Some("function_call_output" | "custom_tool_call_output") => {
                let out = &p["output"];
                let text = match out {
                    Value::String(s) => s.clone(),
                    Value::Array(parts) => parts[0]["text"].as_str().unwrap_or_default().to_owned(),
                    _ => String::new(),
                };
                let meta = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|j| j["metadata"]["duration_seconds"].as_number().cloned());
                let ms = if let Some(n) = meta {
                    Some(decimal_seconds_to_ms(&n.to_string()))
                } else if let Some(n) = text
                    .strip_prefix("aborted by user after ")
                    .and_then(|t| t.strip_suffix('s'))
                {
                    Some(decimal_seconds_to_ms(n))
                } else {
                    let header = text.split("Output:").next().unwrap_or_default();
                    header.lines().find_map(|l| {
                        let rest = l.strip_prefix("Wall time")?;
                        let rest = rest.strip_prefix(':').unwrap_or(rest);
                        let n = rest.strip_prefix(' ')?.strip_suffix(" seconds")?;
                        Some(decimal_seconds_to_ms(n))
                    })
                };
                if let Some(ms) = ms {
                    from_output.insert(id, ms);
                }
            }
            _ => {}
        }
    }
    // A call whose exec_command_end came first has its result (and duration) from it.
    from_output.extend(from_end);
    from_output
}

#[test]
fn every_tool_result_carries_the_run_time_its_rollout_records() {
    // M2: 0.58 writes a call and its output with the same timestamp; the time between the lines
    // gave 0 ms. Every recorded duration of every fixture must come out as written, whatever
    // the shape (exec_command_end, metadata, Wall time) and whatever the lines' timestamps.
    let mut checked = 0;
    let mut nonzero_same_stamp = 0;
    for path in fixtures() {
        let bytes = std::fs::read(&path).unwrap();
        let expected = recorded_durations(std::str::from_utf8(&bytes).unwrap());
        let got: std::collections::HashMap<String, Option<u64>> =
            events(&path.to_string_lossy(), &bytes)
                .into_iter()
                .filter(|e| e["kind"] == "tool_result")
                .map(|e| {
                    (
                        e["tool_use_id"].as_str().unwrap().to_owned(),
                        e["duration_ms"].as_u64(),
                    )
                })
                .collect();
        for (id, ms) in &expected {
            assert_eq!(got.get(id), Some(&Some(*ms)), "{} {id}", path.display());
            checked += 1;
        }
        if path.to_string_lossy().contains("MoonMind") {
            nonzero_same_stamp = expected.values().filter(|&&ms| ms > 0).count();
        }
    }
    // Counted with jq over the corpus: 795 recorded durations in the 13 files; in the 0.58 file
    // 39, of which 10 are not 0 (0.1 s ×5, 0.2 ×2, 0.3, 1.5 ×2).
    assert_eq!(checked, 795);
    assert_eq!(nonzero_same_stamp, 10);
}

/// The sessions of `paths` read in this order through the documented embedder path
/// (`Pipeline` + `Sessions::apply`).
fn sessions_of(paths: &[PathBuf]) -> aegon::session::Sessions {
    struct Apply(aegon::session::Sessions);
    impl aegon::Renderer for Apply {
        fn on_event(&mut self, e: &aegon::Event<'_>) -> std::io::Result<aegon::render::Flow> {
            self.0.apply(e, 0);
            Ok(aegon::render::Flow::Continue(()))
        }
    }
    let mut pipeline = Pipeline::new(Options::default(), Apply(aegon::session::Sessions::new()));
    for p in paths {
        let bytes = std::fs::read(p).unwrap();
        let _ = pipeline
            .read_to_end(&p.to_string_lossy(), &bytes[..])
            .unwrap();
    }
    pipeline.finish().unwrap().0 .0
}

#[test]
fn wrapped_prompts_are_titled_by_the_request_inside() {
    // L2. Read off the files with jq + awk: the line after `## My request for Codex:` (IDE
    // extension, 0.38) and, for spec-kit commands run without arguments, the first line
    // after `## Outline` (their `## User Input` block is empty).
    let cases = [
        (
            "09-19T12-08-11",
            "他のapiのエラーハンドリングがどうなっているか、確認して",
        ),
        (
            "09-21T13-27-59",
            "mainブランチを最新にする際にエラーです。worktreeはもう使用しません",
        ),
        (
            "2025-12-25T22-45-23",
            "You are updating the project constitution at `.specify/memory/constitution.md`. This file is a TEMPLATE containing place",
        ),
        (
            "MoonMind",
            "1. **Setup**: Run `.specify/scripts/bash/check-prerequisites.sh --json` from repo root and parse FEATURE_DIR and AVAILAB",
        ),
    ];
    for (part, want) in cases {
        let sessions = sessions_of(&[fixture(part)]);
        let titles: Vec<_> = sessions.iter().map(|s| s.first_prompt.clone()).collect();
        assert_eq!(titles, [Some(want.to_owned())], "{part}");
    }
    // No fixture is titled by a wrapper's heading any more.
    for s in sessions_of(&fixtures()).iter() {
        let t = s.first_prompt.as_deref().unwrap_or("");
        assert!(
            !t.starts_with("# Context from my IDE") && t != "## User Input",
            "{t}"
        );
    }
}

/// The usage events and the problems of `text` read whole.
fn usage_and_problems(name: &str, text: &str) -> (Vec<Value>, Vec<Value>) {
    let evs = events(name, text.as_bytes());
    let usage = evs
        .iter()
        .filter(|e| e["kind"] == "usage")
        .cloned()
        .collect();
    let problems = evs
        .iter()
        .filter(|e| e["kind"] == "malformed")
        .cloned()
        .collect();
    (usage, problems)
}

/// Sums of a list of usage events: (requests, input, cache read, output, reasoning).
fn sums(usage: &[Value]) -> (u64, u64, u64, u64, u64) {
    let n = |e: &Value, k: &str| e[k].as_u64().unwrap_or(0);
    usage.iter().fold((0, 0, 0, 0, 0), |a, e| {
        (
            a.0 + 1,
            a.1 + n(e, "input"),
            a.2 + n(e, "cache_read"),
            a.3 + n(e, "output"),
            a.4 + n(e, "reasoning_output"),
        )
    })
}

#[test]
fn totals_only_rollouts_count_what_their_last_token_usage_said() {
    // tester9 #1: every real rollout with `last_token_usage` taken out of each token_count
    // (only the cumulative `total_token_usage` left) gives the calls and tokens of the
    // independent count of the untouched file; only the 0.77.0 file's resets (its total
    // falls back, FORMAT.md §1.4) are said, counted with a cost unknown.
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let c = count(&text);
        let (usage, problems) = usage_and_problems("t", &totals_only(&text));
        assert_eq!(
            sums(&usage),
            (c.requests, c.input, c.cache_read, c.output, c.reasoning),
            "{}",
            path.display()
        );
        let name = path.to_string_lossy();
        if !name.contains("019b55c1-d022") {
            assert!(problems.is_empty(), "{name}: {problems:?}");
            // Priced as the untouched file's requests are.
            let (whole, _) = usage_and_problems("w", &text);
            let cost = |u: &[Value]| u.iter().map(|e| e["cost_usd"].clone()).collect::<Vec<_>>();
            assert_eq!(cost(&usage), cost(&whole), "{name}");
            continue;
        }
        // The four drops of the 0.77.0 file's counter, line by line (read off the file: the
        // token_count whose total_tokens is below the previous one's).
        let lines: Vec<u64> = problems
            .iter()
            .map(|p| p["source"]["line"].as_u64().unwrap())
            .collect();
        assert_eq!(lines, [287, 416, 459, 942]);
        for p in &problems {
            let m = p["message"].as_str().unwrap();
            assert!(m.contains("the counter was reset"), "{m}");
            assert!(m.ends_with("counted as an API call of unknown cost"), "{m}");
            assert_eq!(p["recovered"], true);
            // Said at `info`'s value in the line.
            let at = (p["error_offset"].as_u64().unwrap() - p["source"]["offset"].as_u64().unwrap())
                as usize;
            let line = totals_only(&text)
                .lines()
                .nth(p["source"]["line"].as_u64().unwrap() as usize - 1)
                .unwrap()
                .to_owned();
            assert!(line[..at].ends_with("\"info\":"), "{}", &line[..at]);
        }
        let unknown: Vec<u64> = usage
            .iter()
            .filter(|e| e["cost_usd"].is_null())
            .map(|e| e["source"]["line"].as_u64().unwrap())
            .collect();
        assert_eq!(
            unknown, lines,
            "the resets' requests, and only they, cost unknown"
        );
    }
}

#[test]
fn totals_only_forks_and_review_windows_count_as_with_last_token_usage() {
    // The fork's replay sets the totals its first request is measured from; the review
    // window's events are the child's counter, skipped.
    let (fork, own) = fork_of_review_child(&fixture("019b5669-8da8-7bc3-bed8-e1c1b805dad5"));
    // The fork's own token_counts write only input and total in their totals: made whole,
    // each the one before plus its `last_token_usage`, field by field, as Codex writes them.
    let mut total: Option<Value> = None;
    let fork = with_info(&fork, |p, ts| {
        let info = &mut p["info"];
        if ts >= "2026-04-01T10:00:05" {
            let mut sum = total.clone().unwrap();
            for (k, v) in info["last_token_usage"].as_object().unwrap() {
                sum[k] = (sum[k].as_u64().unwrap() + v.as_u64().unwrap()).into();
            }
            if sum["total_tokens"] == info["total_token_usage"]["total_tokens"] {
                info["total_token_usage"] = sum;
            } else {
                // The repeat of the request before.
                info["total_token_usage"] = total.clone().unwrap();
            }
        }
        total = Some(info["total_token_usage"].clone());
    });
    let (usage, problems) = usage_and_problems("fork", &totals_only(&fork));
    assert!(problems.is_empty(), "{problems:?}");
    let (n, input, cache_read, output, _) = sums(&usage);
    assert_eq!((n, input + cache_read + output), (2, own));
    let parent = std::fs::read_to_string(fixture("019b55c1-d022-7061-bbb9-b0c90708472b")).unwrap();
    let (usage, _) = usage_and_problems("parent", &totals_only(&parent));
    assert!(usage.iter().all(|e| {
        let line = e["source"]["line"].as_u64().unwrap();
        !(1336..=1363).contains(&line)
    }));
}

#[test]
fn a_totals_only_part_beyond_its_whole_is_said_and_costs_unknown() {
    // The real 0.98.0 rollout, totals only, its last token_count's cumulative cached input
    // raised above what its input grew by.
    let text = std::fs::read_to_string(fixture("019c4374-701c")).unwrap();
    let stripped = totals_only(&text);
    let last_tc = stripped
        .lines()
        .collect::<Vec<_>>()
        .iter()
        .rposition(|l| l.contains("\"total_token_usage\""))
        .unwrap();
    let lines: Vec<String> = stripped
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i != last_tc {
                return l.to_owned();
            }
            // 244,608 cached after 213,376 before, input 274,621 after 243,302: +31,319 input.
            l.replace(
                "\"cached_input_tokens\":244608",
                "\"cached_input_tokens\":250000",
            )
        })
        .collect();
    let tampered = lines.join("\n") + "\n";
    assert_ne!(tampered, stripped);
    let (usage, problems) = usage_and_problems("t", &tampered);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let m = problems[0]["message"].as_str().unwrap();
    assert!(
        m.contains("cached input 36624") && m.contains("input 31319"),
        "{m}"
    );
    assert_eq!(usage.len(), 9);
    let last = usage.last().unwrap();
    assert!(last["cost_usd"].is_null());
    // The parts that grew are kept: cached input capped at the input.
    assert_eq!(
        (last["input"].as_u64(), last["cache_read"].as_u64()),
        (Some(0), Some(31_319))
    );
    assert!(usage[..8].iter().all(|e| e["cost_usd"].is_number()));
}

#[test]
fn token_counts_aegon_cannot_read_are_calls_of_unknown_cost_said_at_their_usage() {
    // tester9 #1's "flat payload": the real 0.98.0 rollout with each token_count's
    // `last_token_usage` written beside `type` instead of `info` (17 events, 9 requests: the
    // others exact repeats, as Codex writes them).
    let text = std::fs::read_to_string(fixture("019c4374-701c")).unwrap();
    let flat = with_info(&text, |p, _| {
        let last = p["info"]["last_token_usage"].as_object().unwrap().clone();
        let mut o = serde_json::Map::new();
        o.insert("type".into(), "token_count".into());
        o.extend(last);
        *p = Value::Object(o);
    });
    let (usage, problems) = usage_and_problems("flat", &flat);
    assert_eq!(usage.len(), 9);
    assert_eq!(problems.len(), 9);
    for (u, p) in usage.iter().zip(&problems) {
        assert_eq!(u["source"], p["source"]);
        assert!(u["cost_usd"].is_null());
        assert_eq!(sums(std::slice::from_ref(u)), (1, 0, 0, 0, 0));
        let m = p["message"].as_str().unwrap();
        assert!(m.contains("`input_tokens`, `cached_input_tokens`, `output_tokens`, `reasoning_output_tokens`, `total_tokens` beside `type`"), "{m}");
        assert!(m.ends_with("counted as an API call of unknown cost"), "{m}");
        let at = (p["error_offset"].as_u64().unwrap() - p["source"]["offset"].as_u64().unwrap())
            as usize;
        let line = flat
            .lines()
            .nth(p["source"]["line"].as_u64().unwrap() as usize - 1)
            .unwrap();
        assert!(line[..at].ends_with("\"input_tokens\":"), "{}", &line[..at]);
    }
    let ids: HashSet<String> = usage.iter().map(|u| u["request_id"].to_string()).collect();
    assert_eq!(ids.len(), 9, "one identity per request");
    // `info` that is no usage: a string, an object with neither member.
    for info in [
        Value::from("n/a"),
        serde_json::json!({"model_context_window": 272000}),
    ] {
        let odd = with_info(&text, |p, _| p["info"] = info.clone());
        let (usage, problems) = usage_and_problems("odd", &odd);
        // Every such event is the same text: one request, said once.
        assert_eq!((usage.len(), problems.len()), (1, 1), "{info}");
        assert!(usage[0]["cost_usd"].is_null());
    }
}

#[test]
fn a_spawned_or_forked_childs_replay_of_its_parent_is_never_its_usage() {
    // tester16 #2: the parent's history a child rollout replays (its token_counts included)
    // was counted as the child's for a spawned subagent, and for a fork whose replay keeps
    // the parent's timestamps. Every layout: only the child's own two requests count.
    let parent = fixture("019c4374-701c-7042-aa87-dcedb8f04ede");
    for spawn in [true, false] {
        for keep_stamps in [true, false] {
            let (text, own) = child_of(&parent, spawn, keep_stamps);
            let evs = events("child", text.as_bytes());
            let usage: Vec<&Value> = evs.iter().filter(|e| e["kind"] == "usage").collect();
            let sum = |k: &str| usage.iter().map(|e| e[k].as_u64().unwrap()).sum::<u64>();
            let what = format!("spawn {spawn}, original stamps {keep_stamps}");
            assert_eq!(usage.len(), 2, "{what}");
            assert_eq!(
                (sum("input"), sum("cache_read"), sum("output")),
                own,
                "{what}"
            );
            let kinds = |k: &str| evs.iter().filter(|e| e["kind"] == k).count();
            assert_eq!(
                kinds("user_prompt"),
                1,
                "{what}: the child's own prompt only"
            );
            assert_eq!(kinds("tool_call"), 0, "{what}: no replayed call");
        }
    }
}

#[test]
fn a_parent_joined_after_its_spawned_child_is_read_as_itself() {
    // Only the parent's session_meta right after the child's starts a replay: `cat child
    // parent` counts both, the parent's 9 requests included.
    let path = fixture("019c4374-701c-7042-aa87-dcedb8f04ede");
    let (child, _) = child_of(&path, true, true);
    let parent = std::fs::read_to_string(&path).unwrap();
    let alone = events("p", parent.as_bytes());
    let calls = |evs: &[Value]| evs.iter().filter(|e| e["kind"] == "usage").count();
    let joined = events("j", format!("{child}{parent}").as_bytes());
    assert_eq!(calls(&joined), 2 + calls(&alone));
}

#[test]
fn fast_mode_requests_carry_the_priority_tier_they_ran_on() {
    // tester16 #11: Codex's Fast mode is OpenAI's priority tier, recorded (sticky) on
    // `thread_settings_applied.thread_settings.service_tier` and on `turn_context`. The real
    // file records "default" 7 times: set to "priority", each request after the first such
    // event carries it (and is priced as the tier says); "default" is the standard tier.
    let path = fixture("AkashJana18");
    let real = std::fs::read_to_string(&path).unwrap();
    let tier = |evs: &[Value]| -> Vec<Option<String>> {
        evs.iter()
            .filter(|e| e["kind"] == "usage")
            .map(|e| e["service_tier"].as_str().map(str::to_owned))
            .collect()
    };
    let standard = tier(&events("real", real.as_bytes()));
    assert!(standard.iter().all(Option::is_none), "default is standard");
    let first = real.find("thread_settings_applied").unwrap();
    let before = real[..first].matches("\"token_count\"").count();
    let fast = real.replace(
        r#""service_tier":"default""#,
        r#""service_tier":"priority""#,
    );
    let tiers = tier(&events("fast", fast.as_bytes()));
    assert_eq!(tiers.len(), standard.len());
    let priced: Vec<bool> = tiers.iter().map(Option::is_some).collect();
    let n = priced.iter().filter(|p| !**p).count();
    assert!(
        n > 0 && n <= before,
        "requests before the first setting stay standard"
    );
    assert!(priced[n..].iter().all(|p| *p), "sticky from then on");
    assert!(tiers.iter().flatten().all(|t| t == "priority"));
    // A turn_context's own service_tier sets it too, and "default" sets it back.
    let mut lines: Vec<String> = real.lines().map(str::to_owned).collect();
    let tc = lines
        .iter()
        .position(|l| l.contains(r#""type":"turn_context""#))
        .unwrap();
    lines[tc] = lines[tc].replacen(r#""payload":{"#, r#""payload":{"service_tier":"flex","#, 1);
    let text = lines.join("\n") + "\n";
    let tiers = tier(&events("flex", text.as_bytes()));
    assert_eq!(tiers.first().cloned().flatten().as_deref(), Some("flex"));
    assert!(
        tiers.last().unwrap().is_none(),
        "the thread's default afterwards"
    );
}

#[test]
fn cache_writes_are_split_out_of_input() {
    // tester16 #10: GPT-5.6 writes `cache_write_input_tokens` (a part of `input_tokens`, as
    // `cached_input_tokens` is; some versions say `cache_creation_input_tokens`). The real
    // file's first counted token_count, rewritten with 100,000 input of which 40,000 cached
    // and 30,000 written.
    let real = std::fs::read_to_string(fixture("019c4374-701c-7042-aa87-dcedb8f04ede")).unwrap();
    for key in ["cache_write_input_tokens", "cache_creation_input_tokens"] {
        let mut done = false;
        let text = with_info(&real, |p, _| {
            if done {
                p["info"] = Value::Null;
                return;
            }
            done = true;
            let u = serde_json::json!({"input_tokens":100000,"cached_input_tokens":40000,key:30000,
                "output_tokens":1000,"reasoning_output_tokens":200,"total_tokens":101000});
            p["info"]["total_token_usage"] = u.clone();
            p["info"]["last_token_usage"] = u;
        });
        let evs = events("w", text.as_bytes());
        let usage: Vec<&Value> = evs.iter().filter(|e| e["kind"] == "usage").collect();
        assert_eq!(usage.len(), 1, "{key}");
        let u = usage[0];
        assert_eq!(u["input"], 30_000, "{key}");
        assert_eq!(u["cache_read"], 40_000, "{key}");
        assert_eq!(
            u["cache_write_5m"].as_u64().unwrap_or(0) + u["cache_write_1h"].as_u64().unwrap_or(0),
            30_000,
            "{key}"
        );
    }
}
