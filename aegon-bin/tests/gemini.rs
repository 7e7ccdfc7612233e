//! `aegon` on Gemini CLI files (fixtures/agents/gemini/): NDJSON and `--summary --json`
//! checked against totals computed here from FORMAT.md §2 on serde_json Values (usage per
//! `gemini` message: input − cached, cached, output + thoughts; JSONL messages deduplicated by
//! `id`; a subagent's file counts in the session its folder names).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;

use common::temp_dir;

fn dir() -> PathBuf {
    common::root().join("fixtures/agents/gemini")
}

fn chat_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            (name.ends_with(".json") || name.ends_with(".jsonl")) && !name.ends_with("logs.json")
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 12);
    files
}

fn num(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// The session a chat file's usage belongs to: its `sessionId`, or for a subagent's file
/// (`kind: "subagent"`) the parent session its saved name's folder gives.
fn session_of(path: &Path, doc_session: &str, kind: Option<&str>) -> String {
    if kind == Some("subagent") {
        let name = path.file_name().unwrap().to_str().unwrap();
        let parts: Vec<&str> = name.split("__").collect();
        let parent = parts[parts.len() - 2];
        if parent.len() == 36 && parent.matches('-').count() == 4 {
            return parent.to_owned();
        }
    }
    doc_session.to_owned()
}

/// Per session: [input, output, cache_read] and the number of API responses.
fn expected(files: &[PathBuf]) -> BTreeMap<String, ([u64; 3], u64)> {
    let mut out: BTreeMap<String, ([u64; 3], u64)> = BTreeMap::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap();
        let (session, kind, messages) = match serde_json::from_str::<Value>(&text) {
            Ok(doc) => (
                doc["sessionId"].as_str().unwrap().to_owned(),
                doc["kind"].as_str().map(str::to_owned),
                doc["messages"].as_array().unwrap().clone(),
            ),
            Err(_) => {
                // JSONL: header, then messages; the last copy of an id counts.
                let lines: Vec<Value> = text
                    .lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect();
                let mut by_id: BTreeMap<String, Value> = BTreeMap::new();
                for v in &lines[1..] {
                    if let Some(id) = v["id"].as_str() {
                        by_id.insert(id.to_owned(), v.clone());
                    }
                }
                (
                    lines[0]["sessionId"].as_str().unwrap().to_owned(),
                    lines[0]["kind"].as_str().map(str::to_owned),
                    by_id.into_values().collect(),
                )
            }
        };
        let entry = out
            .entry(session_of(f, &session, kind.as_deref()))
            .or_default();
        for m in messages.iter().filter(|m| m["type"] == "gemini") {
            let Some(t) = m["tokens"].as_object() else {
                continue;
            };
            entry.0[0] += num(&t["input"]) - num(&t["cached"]);
            entry.0[1] += num(&t["output"]) + num(&t["thoughts"]);
            entry.0[2] += num(&t["cached"]);
            entry.1 += 1;
        }
    }
    out
}

fn summary(args: &[&Path]) -> Value {
    let mut all = vec![Path::new("--summary"), Path::new("--json")];
    all.extend_from_slice(args);
    serde_json::from_str(&common::aegon_stdout(all)).unwrap()
}

fn check(json: &Value, want: &BTreeMap<String, ([u64; 3], u64)>, context: &str) {
    for (id, (tokens, calls)) in want.iter().filter(|(_, (_, calls))| *calls > 0) {
        let s = json["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["session_id"] == id.as_str())
            .unwrap_or_else(|| panic!("{context}: session {id} missing"));
        let t = &s["tokens"];
        assert_eq!(
            [num(&t["input"]), num(&t["output"]), num(&t["cache_read"])],
            *tokens,
            "{context}: {id} tokens"
        );
        assert_eq!(num(&t["cache_write_5m"]) + num(&t["cache_write_1h"]), 0);
        assert_eq!(num(&s["api_calls"]), *calls, "{context}: {id} api calls");
    }
}

#[test]
fn each_chat_file_sums_to_the_independent_totals() {
    for f in chat_files() {
        let json = summary(&[&f]);
        let want = expected(std::slice::from_ref(&f));
        // A subagent's file read alone is still its parent's session.
        check(&json, &want, &f.display().to_string());
        assert_eq!(json["malformed_lines"], 0);
    }
}

#[test]
fn all_chat_files_together_sum_to_the_independent_totals() {
    let files = chat_files();
    let args: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let json = summary(&args);
    let want = expected(&files);
    check(&json, &want, "all");
    let total = want
        .values()
        .fold([0u64; 3], |a, (t, _)| std::array::from_fn(|i| a[i] + t[i]));
    let t = &json["totals"]["tokens"];
    assert_eq!(
        [num(&t["input"]), num(&t["output"]), num(&t["cache_read"])],
        total
    );
    assert_eq!(
        num(&json["totals"]["api_calls"]),
        want.values().map(|(_, c)| c).sum::<u64>()
    );
    // The subagents of agunginsani's session are its subagents, not sessions of their own.
    let parent = json["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session_id"] == "01b2c62e-cba4-4088-8755-b240504efb70")
        .unwrap();
    assert_eq!(parent["subagents"], 2);
}

#[test]
fn ndjson_is_one_json_event_per_line_named_for_gemini() {
    for f in std::fs::read_dir(dir()).unwrap().map(|e| e.unwrap().path()) {
        let out = common::aegon_stdout([Path::new("--ndjson"), &f]);
        let mut usage = 0;
        for line in out.lines() {
            let e: Value = serde_json::from_str(line)
                .unwrap_or_else(|err| panic!("{}: {err}: {line}", f.display()));
            assert_eq!(e["agent"], "gemini-cli");
            assert_ne!(e["kind"], "malformed", "{}: {line}", f.display());
            usage += u64::from(e["kind"] == "usage");
        }
        let want = if f.to_str().unwrap().ends_with("logs.json") {
            0
        } else {
            expected(std::slice::from_ref(&f))
                .values()
                .map(|(_, c)| c)
                .sum()
        };
        assert_eq!(usage, want, "{}", f.display());
    }
}

#[test]
fn a_renamed_file_is_told_by_its_content() {
    let tmp = temp_dir("gemini");
    for f in std::fs::read_dir(dir()).unwrap().map(|e| e.unwrap().path()) {
        let renamed = tmp.join("transcript.txt");
        std::fs::copy(&f, &renamed).unwrap();
        let a = common::aegon_stdout([Path::new("--ndjson"), &f]);
        let b = common::aegon_stdout([Path::new("--ndjson"), &renamed]);
        let strip = |s: &str, name: &str| s.replace(&serde_json::to_string(name).unwrap(), "F");
        let a = strip(&a, f.to_str().unwrap());
        let b = strip(&b, renamed.to_str().unwrap());
        if f.to_str()
            .unwrap()
            .contains("01b2c62e-cba4-4088-8755-b240504efb70__")
        {
            // A subagent's parent is told by its path: renamed, it is its own session.
            assert_eq!(a.lines().count(), b.lines().count());
            continue;
        }
        assert_eq!(a, b, "{}", f.display());
    }
    // Fed on stdin too.
    let f = dir().join("bhanu7410__personal_finance__gemini_session.json");
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .arg("--ndjson")
        .stdin(std::fs::File::open(&f).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().all(|l| l.contains("\"agent\":\"gemini-cli\"")));
}

#[test]
fn a_truncated_chat_file_says_where_and_keeps_what_came_before() {
    let f = dir()
        .join("Ju-l-e-s__Myflix__.gemini__tmp__ai__chats__session-2026-02-22T10-41-6c9579c5.json");
    let bytes = std::fs::read(&f).unwrap();
    let cut = bytes.len() / 2;
    let dir = temp_dir("gemini-cut");
    let tmp = dir.join("cut.json");
    std::fs::write(&tmp, &bytes[..cut]).unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .arg("--ndjson")
        .arg(&tmp)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains(&format!("byte {cut}")), "{stderr}");
    let out = String::from_utf8(run.stdout).unwrap();
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let malformed: Vec<_> = events.iter().filter(|e| e["kind"] == "malformed").collect();
    assert_eq!(malformed.len(), 1);
    assert_eq!(malformed[0]["reason"], "truncated");
    assert_eq!(num(&malformed[0]["error_offset"]), cut as u64);
    assert!(events.iter().filter(|e| e["kind"] == "usage").count() > 10);
    let run = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["--summary", "--json"])
        .arg(&tmp)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["malformed_lines"], 1);
}

#[test]
fn format_and_agent_options_name_gemini() {
    let f = dir().join(
        "wingorithm__Vibe-Coding-Comparison-Project__.gemini__tmp__ticketing-vc__chats__session-2026-04-25T08-41-3494a697.jsonl",
    );
    let told = common::aegon_stdout([Path::new("--ndjson"), &f]);
    for format in ["gemini-jsonl", "gemini", "gemini-cli"] {
        let forced = common::aegon_stdout([
            Path::new("--ndjson"),
            Path::new("--format"),
            Path::new(format),
            &f,
        ]);
        assert_eq!(forced, told, "--format {format}");
    }
    let kept = common::aegon_stdout([
        Path::new("--ndjson"),
        Path::new("--agent"),
        Path::new("claude-code"),
        &f,
    ]);
    assert_eq!(kept, "", "--agent claude-code keeps no Gemini event");
}

#[test]
fn qwen_code_usage_counts_once_beside_its_telemetry() {
    let dir = common::root().join("fixtures/agents/qwen");
    let f = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    // Independently (FORMAT.md §5): usageMetadata of assistant lines; the telemetry line
    // repeats the same numbers, counted once.
    let text = std::fs::read_to_string(&f).unwrap();
    let mut want = [0u64; 3];
    let mut telemetry = [0u64; 3];
    let mut session = String::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        session = v["sessionId"].as_str().unwrap().to_owned();
        let u = &v["usageMetadata"];
        if v["type"] == "assistant" && u.is_object() {
            let cached = num(&u["cachedContentTokenCount"]);
            want[0] += num(&u["promptTokenCount"]) - cached;
            want[1] += num(&u["candidatesTokenCount"]) + num(&u["thoughtsTokenCount"]);
            want[2] += cached;
        }
        let t = &v["systemPayload"]["uiEvent"];
        if t.is_object() {
            let cached = num(&t["cached_content_token_count"]);
            telemetry[0] += num(&t["input_token_count"]) - cached;
            telemetry[1] += num(&t["output_token_count"]) + num(&t["thoughts_token_count"]);
            telemetry[2] += cached;
        }
    }
    assert_eq!(want, telemetry, "the telemetry repeats the usage");
    assert!(want[0] > 0);
    let json = summary(&[&f]);
    let s = &json["sessions"][0];
    assert_eq!(s["session_id"], session.as_str());
    let t = &s["tokens"];
    assert_eq!(
        [num(&t["input"]), num(&t["output"]), num(&t["cache_read"])],
        want
    );
    assert_eq!(s["api_calls"], 1);
    let out = common::aegon_stdout([Path::new("--ndjson"), &f]);
    assert!(out.lines().all(|l| l.contains("\"agent\":\"qwen-code\"")));
}

/// tester9 #5: the agunginsani session and its two subagents' chats laid out as Gemini CLI
/// writes them (FORMAT.md §2.1: `chats/session-…-01b2c62e.json` beside
/// `chats/01b2c62e-…/<6-char id>.json`; the corpus flattened those paths into file names).
/// The session file named alone brings its subagents' chats, as `SESSION.jsonl` brings
/// `SESSION/subagents/`; naming the folder too reads nothing twice; `aegon usage` goes by the
/// same rule. Expected: the independent count of the three files (74 calls).
#[test]
fn a_session_file_named_alone_brings_its_subagents_chats() {
    let session = "01b2c62e-cba4-4088-8755-b240504efb70";
    let prefix = "agunginsani__expenses-tracker__.gemini__tmp__agunginsani__chats__";
    let tmp = common::temp_dir("gemini-subagents");
    let chats = tmp.join("tmp/agunginsani/chats");
    std::fs::create_dir_all(chats.join(session)).unwrap();
    let main = chats.join("session-2026-04-12T01-18-01b2c62e.json");
    std::fs::copy(
        dir().join(format!("{prefix}session-2026-04-12T01-18-01b2c62e.json")),
        &main,
    )
    .unwrap();
    let mut originals = vec![dir().join(format!("{prefix}session-2026-04-12T01-18-01b2c62e.json"))];
    for sub in ["ngzcxj", "shcg5o"] {
        let from = dir().join(format!("{prefix}{session}__{sub}.json"));
        std::fs::copy(&from, chats.join(session).join(format!("{sub}.json"))).unwrap();
        originals.push(from);
    }
    let want = expected(&originals);
    assert_eq!(want.len(), 1);
    assert_eq!(want[session].1, 74);

    let alone = summary(&[&main]);
    check(&alone, &want, "session file alone");
    let s = &alone["sessions"][0];
    assert_eq!(alone["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(num(&s["subagents"]), 2);
    let folder = summary(&[&chats]);
    assert_eq!(folder["totals"], alone["totals"]);
    // The file and its folder both named: each file once.
    let both = summary(&[&main, &chats]);
    assert_eq!(both["totals"], alone["totals"]);
    assert_eq!(num(&both["totals"]["api_calls"]), 74);

    let data = tmp.join("data");
    let usage = |path: &Path| -> Value {
        let out = common::aegon_isolated(
            &data,
            &[
                "usage",
                "sessions",
                "--json",
                "--no-index",
                "--since",
                "2020-01-01",
                path.to_str().unwrap(),
            ],
        )
        .output()
        .unwrap();
        assert!(out.status.success(), "{out:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["totals"].clone()
    };
    let by_file = usage(&main);
    assert_eq!(by_file, usage(&chats));
    let cost = by_file["totalCost"].as_f64().unwrap();
    assert_eq!((cost * 1e4).round() / 1e4, 0.3345);
    assert_eq!(alone["totals"]["cost_usd"], 0.3345);
}
