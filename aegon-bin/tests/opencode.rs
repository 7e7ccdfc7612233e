//! `aegon` on OpenCode files (fixtures/agents/opencode/): NDJSON and `--summary --json`,
//! checked against counts made here on the JSON from the corpus FORMAT.md §3 rules; a renamed
//! file is told by its content.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

mod common;

use common::temp_dir;

fn fixture(name: &str) -> PathBuf {
    common::root().join("fixtures/agents/opencode").join(name)
}

const EXPORT: &str = "w12z__Cap__opencode-session.json";

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// Independent totals of an export: [input, output (reasoning included), cache read, cache
/// write], API calls (assistant messages with tokens), prompts, tool calls, tool errors.
fn expected(doc: &Value) -> ([u64; 4], u64, u64, u64, u64) {
    let mut tokens = [0u64; 4];
    let (mut calls, mut prompts, mut tools, mut errors) = (0, 0, 0, 0);
    for m in doc["messages"].as_array().unwrap() {
        let info = &m["info"];
        for p in m["parts"].as_array().unwrap() {
            if info["role"] == "user" && p["type"] == "text" && p["synthetic"] != true {
                prompts += 1;
            }
            if p["type"] == "tool" {
                tools += 1;
                if p["state"]["status"] == "error" {
                    errors += 1;
                }
            }
        }
        if info["role"] != "assistant" {
            continue;
        }
        let t = &info["tokens"];
        let c = [
            n(&t["input"]),
            // `output` leaves the reasoning out in this export (total = the sum of all five).
            n(&t["output"]) + n(&t["reasoning"]),
            n(&t["cache"]["read"]),
            n(&t["cache"]["write"]),
        ];
        if c.iter().any(|x| *x > 0) {
            calls += 1;
        }
        for (a, b) in tokens.iter_mut().zip(c) {
            *a += b;
        }
    }
    (tokens, calls, prompts, tools, errors)
}

fn summary_of(path: &std::path::Path) -> Value {
    let out = common::aegon_stdout(["--summary".as_ref(), "--json".as_ref(), path.as_os_str()]);
    serde_json::from_str(&out).unwrap()
}

fn check_summary(summary: &Value, doc: &Value) {
    let (tokens, calls, prompts, tools, errors) = expected(doc);
    let sessions = summary["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(s["session_id"], doc["info"]["id"]);
    assert_eq!(s["title"], doc["info"]["title"]);
    assert_eq!(s["version"], doc["info"]["version"]);
    let t = &s["tokens"];
    assert_eq!(
        [
            n(&t["input"]),
            n(&t["output"]),
            n(&t["cache_read"]),
            n(&t["cache_write_5m"])
        ],
        tokens
    );
    assert_eq!(n(&t["cache_write_1h"]), 0);
    assert_eq!(n(&s["api_calls"]), calls);
    assert_eq!(n(&s["prompts"]), prompts);
    assert_eq!(n(&s["tool_calls"]), tools);
    assert_eq!(n(&s["tool_errors"]), errors);
    assert_eq!(summary["malformed_lines"], 0);
}

#[test]
fn summary_json_of_an_export_equals_the_independent_count() {
    let path = fixture(EXPORT);
    let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let summary = summary_of(&path);
    check_summary(&summary, &doc);
    let s = &summary["sessions"][0];
    let mut models: Vec<&str> = s["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    models.sort_unstable();
    assert_eq!(
        models,
        ["glm-5.2", "gpt-5.6-sol"],
        "modelID, provider left out"
    );
    assert_eq!(
        n(&s["interruptions"]),
        3,
        "FORMAT.md: 3 MessageAbortedError"
    );
}

#[test]
fn a_renamed_export_is_told_by_its_content() {
    let dir = temp_dir("opencode");
    let renamed = dir.join("session-notes.txt");
    std::fs::copy(fixture(EXPORT), &renamed).unwrap();
    let doc: Value = serde_json::from_slice(&std::fs::read(&renamed).unwrap()).unwrap();
    check_summary(&summary_of(&renamed), &doc);
}

#[test]
fn ndjson_of_an_export_has_every_prompt_call_and_usage() {
    let path = fixture(EXPORT);
    let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let (tokens, calls, prompts, tools, _) = expected(&doc);
    let out = common::aegon_stdout(["--ndjson".as_ref(), path.as_os_str()]);
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    let mut sum = [0u64; 4];
    for line in out.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        assert_eq!(e["agent"], "opencode");
        *kinds
            .entry(e["kind"].as_str().unwrap().to_owned())
            .or_default() += 1;
        if e["kind"] == "usage" {
            for (i, k) in ["input", "output", "cache_read", "cache_write_5m"]
                .iter()
                .enumerate()
            {
                sum[i] += n(&e[k]);
            }
        }
    }
    assert_eq!(sum, tokens);
    assert_eq!(kinds["usage"], calls);
    assert_eq!(kinds["user_prompt"], prompts);
    assert_eq!(kinds["tool_call"], tools);
}

#[test]
fn storage_files_through_the_binary() {
    let dir = common::root().join("fixtures/agents/opencode");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("Saintcyberwarrior__"))
        })
        .collect();
    files.sort();
    let mut args = vec!["--summary".into(), "--json".into()];
    args.extend(files.iter().map(|p| p.clone().into_os_string()));
    let summary: Value = serde_json::from_str(&common::aegon_stdout(args)).unwrap();
    let s = &summary["sessions"][0];
    // FORMAT.md §3.2: one prompt, an error, zero tokens.
    assert_eq!(s["session_id"], "ses_4343439b2ffe8vCbtGr04gHePJ");
    assert_eq!(n(&s["prompts"]), 1);
    assert_eq!(n(&s["api_calls"]), 0);
    assert_eq!(n(&s["api_errors"]), 1);
    assert_eq!(summary["malformed_lines"], 0);
}

#[test]
fn a_time_that_is_not_one_is_absent_and_said_on_its_line() {
    // The real export with its first tool call's start written as -5 (damage: OpenCode writes
    // Date.now()). Read as a number at any price it was 0: the call stamped 1970-01-01 and
    // lasting 55 years in every tool timing. It is no time: the call is stamped with its
    // message's time, has no duration, and the line of the value is said (exit 1).
    let text = std::fs::read_to_string(fixture(EXPORT)).unwrap();
    let mut at = 0;
    for anchor in [
        "\"type\": \"tool\"",
        "\"state\": {",
        "\"time\": {",
        "\"start\": ",
    ] {
        at += text[at..].find(anchor).unwrap() + anchor.len();
    }
    let end = at + text[at..].find(|c: char| !c.is_ascii_digit()).unwrap();
    let call_id = {
        let before = &text[..at];
        let c = before.rfind("\"callID\": \"").unwrap() + "\"callID\": \"".len();
        before[c..c + before[c..].find('"').unwrap()].to_owned()
    };
    let dir = common::temp_dir("opencode-time");
    let path = dir.join(EXPORT);
    std::fs::write(&path, format!("{}-5{}", &text[..at], &text[end..])).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aegon"))
        .arg("--ndjson")
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let line = text[..at].matches('\n').count() + 1;
    let said = format!("{}:{line}: byte {at}: partly read: `parts[", path.display());
    assert!(stderr.contains(&said), "{said} in {stderr}");
    assert!(
        stderr.contains("].state.time.start` -5 is not a time (epoch milliseconds): not read"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("partly read").count(), 1, "{stderr}");
    let events: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let malformed: Vec<&Value> = events.iter().filter(|e| e["kind"] == "malformed").collect();
    assert_eq!(malformed.len(), 1, "{malformed:?}");
    assert_eq!(
        malformed[0]["source"]["line"], line as u64,
        "{:?}",
        malformed[0]
    );
    for e in &events {
        let ts = e["timestamp"].as_str().unwrap_or("");
        assert!(!ts.starts_with("1970"), "{e}");
    }
    let of_call = |kind: &str| {
        events
            .iter()
            .find(|e| e["kind"] == kind && e["tool_use_id"] == call_id.as_str())
            .unwrap_or_else(|| panic!("{kind} of {call_id}"))
            .clone()
    };
    // As if no start were written (`null`): the call at its message's start, so its time is
    // counted from there, as for any call whose start is not known.
    let absent = dir.join("absent.json");
    std::fs::write(&absent, format!("{}null{}", &text[..at], &text[end..])).unwrap();
    let absent: Vec<Value> = common::aegon_stdout(["--ndjson".as_ref(), absent.as_os_str()])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let result = of_call("tool_result");
    let absent_result = absent
        .iter()
        .find(|e| e["kind"] == "tool_result" && e["tool_use_id"] == call_id.as_str())
        .unwrap();
    assert_eq!(result["duration_ms"], absent_result["duration_ms"]);
    assert!(
        result["duration_ms"].as_u64().unwrap() < 3_600_000,
        "{result}"
    );
    assert_eq!(
        of_call("tool_call")["timestamp"],
        absent
            .iter()
            .find(|e| e["kind"] == "tool_call" && e["tool_use_id"] == call_id.as_str())
            .unwrap()["timestamp"]
    );
    // Everything else as in the file as written: the same events but the one said.
    let original = common::aegon_stdout(["--ndjson".as_ref(), fixture(EXPORT).as_os_str()]);
    assert_eq!(original.lines().count() + 1, events.len());
    assert_eq!(absent.len() + 1, events.len());
}
