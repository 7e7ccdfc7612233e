//! The Copilot CLI adapter on the saved `events.jsonl` (fixtures/agents/copilot/), checked
//! against counts written here on serde_json Values from the corpus FORMAT.md §4 rules, not
//! with the adapter's code.

use std::collections::BTreeMap;

use aegon::render::ndjson::NdjsonRenderer;
use aegon::{Options, Pipeline};
use serde_json::{json, Value};

const FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/agents/copilot/LAF-US__IDAHO-VAULT__.copilot__session-state__252d6b6b-aaad-4790-8254-7ada091ee9fc__events.jsonl"
);

fn events_chunked(inputs: &[(&str, &[u8])], chunk: &dyn Fn(usize) -> usize) -> Vec<Value> {
    let mut pipeline = Pipeline::new(Options::default(), NdjsonRenderer::new(Vec::new()));
    for (name, bytes) in inputs {
        let mut input = pipeline.open(*name);
        let (mut at, mut i) = (0, 0);
        while at < bytes.len() {
            let n = chunk(i).clamp(1, bytes.len() - at);
            let _ = pipeline.push(&mut input, &bytes[at..at + n]).unwrap();
            at += n;
            i += 1;
        }
        let _ = pipeline.close(input).unwrap();
    }
    let (renderer, _) = pipeline.finish().unwrap();
    let out = String::from_utf8(renderer.into_inner()).unwrap();
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn events(inputs: &[(&str, &[u8])]) -> Vec<Value> {
    events_chunked(inputs, &|_| 64 << 10)
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn count(events: &[Value], kind: &str) -> u64 {
    events.iter().filter(|e| e["kind"] == kind).count() as u64
}

/// [input, output, cache_read, cache_write_5m] over usage events, and the API calls (usage
/// events that are not increments).
fn usage(events: &[Value]) -> ([u64; 4], u64) {
    let mut t = [0u64; 4];
    let mut calls = 0;
    for e in events.iter().filter(|e| e["kind"] == "usage") {
        for (i, k) in ["input", "output", "cache_read", "cache_write_5m"]
            .iter()
            .enumerate()
        {
            t[i] += n(&e[k]);
        }
        if e["increment"] == false {
            calls += 1;
        }
    }
    (t, calls)
}

/// Independent counts from FORMAT.md §4: per-message output, the shutdown's per-model input and
/// cache totals (input includes the cache reads), the compaction request's own tokens.
fn expected(lines: &[Value]) -> ([u64; 4], u64, BTreeMap<&'static str, u64>) {
    let mut t = [0u64; 4];
    let mut calls = 0;
    let mut kinds = BTreeMap::new();
    let mut message_output = 0;
    let mut shutdown = None;
    for l in lines {
        let d = &l["data"];
        match l["type"].as_str().unwrap() {
            "user.message" => *kinds.entry("user_prompt").or_default() += 1,
            "assistant.message" => {
                message_output += n(&d["outputTokens"]);
                calls += 1;
                *kinds.entry("tool_call").or_default() +=
                    d["toolRequests"].as_array().map_or(0, |a| a.len() as u64);
            }
            "tool.execution_complete" => {
                *kinds.entry("tool_result").or_default() += 1;
                if d["success"] == false {
                    *kinds.entry("tool_error").or_default() += 1;
                }
            }
            "session.compaction_complete" => {
                let c = &d["compactionTokensUsed"];
                t[0] += n(&c["input"]) - n(&c["cachedInput"]);
                t[1] += n(&c["output"]);
                t[2] += n(&c["cachedInput"]);
                calls += 1;
            }
            "session.shutdown" => shutdown = Some(d["modelMetrics"].clone()),
            _ => {}
        }
    }
    t[1] += message_output;
    let mut shutdown_output = 0;
    for m in shutdown.unwrap().as_object().unwrap().values() {
        let u = &m["usage"];
        t[0] += n(&u["inputTokens"]) - n(&u["cacheReadTokens"]) - n(&u["cacheWriteTokens"]);
        t[2] += n(&u["cacheReadTokens"]);
        t[3] += n(&u["cacheWriteTokens"]);
        shutdown_output += n(&u["outputTokens"]);
    }
    // FORMAT.md §4: the messages' outputs add up to the shutdown's.
    assert_eq!(message_output, shutdown_output);
    (t, calls, kinds)
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

#[test]
fn events_match_an_independent_count() {
    let bytes = std::fs::read(FILE).unwrap();
    let (tokens, calls, kinds) = expected(&lines(&bytes));
    let got = events(&[("events.jsonl", &bytes)]);
    assert_eq!(usage(&got), (tokens, calls));
    assert_eq!(count(&got, "user_prompt"), kinds["user_prompt"]);
    assert_eq!(count(&got, "tool_call"), kinds["tool_call"]);
    assert_eq!(count(&got, "tool_result"), kinds["tool_result"]);
    let errors = got
        .iter()
        .filter(|e| e["kind"] == "tool_result" && e["is_error"] == true)
        .count() as u64;
    assert_eq!(errors, kinds["tool_error"]);
    assert_eq!(count(&got, "malformed"), 0);
    for e in &got {
        assert_eq!(e["agent"], "copilot-cli");
        assert_eq!(e["session_id"], "252d6b6b-aaad-4790-8254-7ada091ee9fc");
    }
}

#[test]
fn a_file_read_twice_counts_once() {
    let bytes = std::fs::read(FILE).unwrap();
    let once = events(&[("a", &bytes)]);
    let twice = events(&[("a", &bytes), ("b", &bytes)]);
    assert_eq!(usage(&twice), usage(&once));
    assert_eq!(twice.len(), once.len());
}

#[test]
fn a_resumed_session_s_second_shutdown_adds_only_what_grew() {
    // A resumed session writes a second shutdown (FORMAT.md §4). Made here: one more message
    // of 50 output tokens, then a shutdown whose metrics cover the whole session (+1,000 input,
    // +400 cache reads, +50 output).
    let bytes = std::fs::read(FILE).unwrap();
    let mut all = lines(&bytes);
    let first = all
        .iter()
        .find(|l| l["type"] == "session.shutdown")
        .unwrap();
    let mut second = first.clone();
    second["id"] = json!("2b8e0f43-0000-4000-8000-000000000001");
    let u = &mut second["data"]["modelMetrics"]["claude-haiku-4.5"]["usage"];
    u["inputTokens"] = json!(n(&u["inputTokens"]) + 1_000);
    u["cacheReadTokens"] = json!(n(&u["cacheReadTokens"]) + 400);
    u["outputTokens"] = json!(n(&u["outputTokens"]) + 50);
    let message = json!({"type": "assistant.message", "data": {"messageId": "m-after-resume",
        "content": "done", "toolRequests": [], "outputTokens": 50},
        "id": "2b8e0f43-0000-4000-8000-000000000002", "timestamp": "2026-04-02T05:00:00.000Z"});
    all.push(
        json!({"type": "session.resume", "data": {}, "id": "2b8e0f43-0000-4000-8000-000000000003",
        "timestamp": "2026-04-02T04:59:00.000Z"}),
    );
    all.push(message);
    all.push(second);
    let mut text = Vec::new();
    for l in &all {
        text.extend_from_slice(&serde_json::to_vec(l).unwrap());
        text.push(b'\n');
    }
    let (before, calls_before) = usage(&events(&[("a", &bytes)]));
    let (after, calls_after) = usage(&events(&[("a", &text)]));
    // input grows by 1,000 − 400 (reads are inside inputTokens), reads by 400, output by 50.
    assert_eq!(after[0], before[0] + 600);
    assert_eq!(after[1], before[1] + 50);
    assert_eq!(after[2], before[2] + 400);
    assert_eq!(calls_after, calls_before + 1);
}

#[test]
fn chunking_does_not_change_the_events() {
    let bytes = std::fs::read(FILE).unwrap();
    let whole = events_chunked(&[("a", &bytes)], &|_| usize::MAX);
    for seed in [3u64, 99] {
        let cut = events_chunked(&[("a", &bytes)], &|i| {
            let x = (i as u64 + 1)
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(seed.wrapping_mul(1_442_695_040_888_963_407));
            1 + (x >> 33) as usize % 4096
        });
        assert_eq!(cut, whole, "seed {seed}");
    }
}

#[test]
fn damaged_lines_are_reported_with_their_place() {
    let bytes = std::fs::read(FILE).unwrap();
    let first_nl = bytes.iter().position(|b| *b == b'\n').unwrap();
    // A garbage line after the first, a byte that is not UTF-8 in the second line's text, and
    // the last line cut in half.
    let mut bad = bytes[..=first_nl].to_vec();
    bad.extend_from_slice(b"not json\n");
    let rest = &bytes[first_nl + 1..];
    let mut rest = rest[..rest.len() - 300].to_vec();
    let at = rest.windows(3).position(|w| w == b"Fix").unwrap();
    rest[at] = 0xFF;
    let bad_at = bad.len() + at;
    bad.extend_from_slice(&rest);
    let got = events(&[("bad", &bad)]);
    let malformed: Vec<&Value> = got.iter().filter(|e| e["kind"] == "malformed").collect();
    assert_eq!(malformed.len(), 3, "{malformed:?}");
    assert_eq!(malformed[0]["reason"], "invalid_json");
    assert_eq!(malformed[0]["source"]["line"], 2);
    assert_eq!(malformed[1]["reason"], "invalid_utf8");
    assert_eq!(malformed[1]["error_offset"], bad_at as u64);
    assert_eq!(malformed[2]["reason"], "truncated");
    let last_line = bad.iter().filter(|b| **b == b'\n').count() as u64 + 1;
    assert_eq!(malformed[2]["source"]["line"], last_line);
    // The damaged prompt is still read.
    assert_eq!(count(&got, "user_prompt"), 1);
    for e in &got {
        assert_eq!(e["agent"], "copilot-cli");
    }
}

#[test]
fn fuzz_bodies_accept_the_file() {
    let bytes = std::fs::read(FILE).unwrap();
    aegon::fuzzing::pipeline(&bytes);
    aegon::fuzzing::sessions(&bytes);
    aegon::fuzzing::record(&bytes);
}

#[test]
fn the_cache_hit_ratio_counts_the_shutdown_totals() {
    // FORMAT.md §4: input and cache counts exist only as the shutdown's per-model totals
    // (`inputTokens` includes the cache reads) and on a compaction (`input` includes
    // `cachedInput`). Cache reads / all input, summed here from the raw lines.
    let bytes = std::fs::read(FILE).unwrap();
    let (mut read, mut input) = (0u64, 0u64);
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let v: Value = serde_json::from_slice(line).unwrap();
        match v["type"].as_str() {
            Some("session.shutdown") => {
                for m in v["data"]["modelMetrics"].as_object().unwrap().values() {
                    read += n(&m["usage"]["cacheReadTokens"]);
                    input += n(&m["usage"]["inputTokens"]);
                }
            }
            Some("session.compaction_complete") => {
                let t = &v["data"]["compactionTokensUsed"];
                read += n(&t["cachedInput"]);
                input += n(&t["input"]);
            }
            _ => {}
        }
    }
    assert!(read > 1_000_000, "the saved file has 1.5 M cache reads");
    let mut p = Pipeline::new(
        Options::default(),
        aegon::render::summary::SessionCollector::default(),
    );
    let _ = p.read_to_end(FILE, bytes.as_slice()).unwrap();
    let sessions = p.finish().unwrap().0.into_sessions();
    let s = sessions.iter().next().unwrap();
    let got = s.cost_explained.hit_ratio().unwrap();
    assert!(
        (got - read as f64 / input as f64).abs() < 1e-12,
        "{got} vs {read}/{input}"
    );
}

/// The usage events whose cost is unknown (`cost_usd` null): their `message_id`s.
fn unknown_cost_ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["kind"] == "usage" && e["cost_usd"].is_null())
        .map(|e| e["message_id"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// Requests after the last `session.shutdown` have no input or cache counts yet (FORMAT.md
/// §4): at the input's end one usage event of no tokens says so (cost unknown), named
/// `<sessionId>/shutdown/pending`; the finished file gives none, and a session resumed after
/// its shutdown (here the saved file with its last request repeated after it, under a new
/// line id and message id) gives one again. Tokens and API calls are those of the lines.
#[test]
fn requests_after_the_last_shutdown_leave_the_cost_unknown() {
    let text = std::fs::read_to_string(FILE).unwrap();
    let whole = events(&[("events.jsonl", text.as_bytes())]);
    assert_eq!(unknown_cost_ids(&whole), Vec::<String>::new());

    let (running, shutdown) = text.trim_end().rsplit_once('\n').unwrap();
    assert!(shutdown.contains("\"session.shutdown\""));
    let cut = events(&[("events.jsonl", format!("{running}\n").as_bytes())]);
    let pending = "252d6b6b-aaad-4790-8254-7ada091ee9fc/shutdown/pending";
    assert_eq!(unknown_cost_ids(&cut), [pending]);
    let marker = cut.iter().rfind(|e| e["kind"] == "usage").unwrap();
    assert_eq!(marker["increment"], true);
    assert_eq!(n(&marker["input"]) + n(&marker["output"]), 0);
    // At the last request's line and time.
    let last = running
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("\"assistant.message\""))
        .last()
        .unwrap();
    assert_eq!(n(&marker["source"]["line"]), last.0 as u64 + 1);
    let last_line: Value = serde_json::from_str(last.1).unwrap();
    assert_eq!(marker["timestamp"], last_line["timestamp"]);
    // Same tokens and calls as the lines hold: the marker adds none.
    let (tokens, calls) = usage(&cut);
    assert_eq!(calls, 17);
    assert_eq!(tokens[2], 0, "no cache reads before the shutdown");

    let mut again: Value = last_line.clone();
    again["id"] = json!("resumed-line");
    again["data"]["messageId"] = json!("resumed-message");
    let resumed = format!("{}\n{again}\n", text.trim_end());
    let resumed = events(&[("events.jsonl", resumed.as_bytes())]);
    assert_eq!(unknown_cost_ids(&resumed), [pending]);
}
