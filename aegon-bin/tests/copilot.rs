//! `aegon --summary --json` and `--ndjson` on the Copilot CLI `events.jsonl`
//! (fixtures/agents/copilot/), checked against counts made here on the JSON from the corpus
//! FORMAT.md §4 rules; a renamed file is told by its content.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;

fn fixture() -> PathBuf {
    common::root().join(
        "fixtures/agents/copilot/LAF-US__IDAHO-VAULT__.copilot__session-state__252d6b6b-aaad-4790-8254-7ada091ee9fc__events.jsonl",
    )
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// [input, output, cache read, cache write], API calls, tool calls, tool errors.
fn expected(path: &Path) -> ([u64; 4], u64, u64, u64) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut t = [0u64; 4];
    let (mut calls, mut tools, mut errors) = (0, 0, 0);
    for line in text.lines() {
        let l: Value = serde_json::from_str(line).unwrap();
        let d = &l["data"];
        match l["type"].as_str().unwrap() {
            "assistant.message" => {
                t[1] += n(&d["outputTokens"]);
                calls += 1;
                tools += d["toolRequests"].as_array().map_or(0, |a| a.len() as u64);
            }
            "tool.execution_complete" if d["success"] == false => errors += 1,
            "session.compaction_complete" => {
                let c = &d["compactionTokensUsed"];
                t[0] += n(&c["input"]) - n(&c["cachedInput"]);
                t[1] += n(&c["output"]);
                t[2] += n(&c["cachedInput"]);
                calls += 1;
            }
            "session.shutdown" => {
                for m in d["modelMetrics"].as_object().unwrap().values() {
                    let u = &m["usage"];
                    t[0] +=
                        n(&u["inputTokens"]) - n(&u["cacheReadTokens"]) - n(&u["cacheWriteTokens"]);
                    t[2] += n(&u["cacheReadTokens"]);
                    t[3] += n(&u["cacheWriteTokens"]);
                }
            }
            _ => {}
        }
    }
    (t, calls, tools, errors)
}

fn check(path: &Path) {
    let (tokens, calls, tools, errors) = expected(&fixture());
    let out = common::aegon_stdout(["--summary".as_ref(), "--json".as_ref(), path.as_os_str()]);
    let summary: Value = serde_json::from_str(&out).unwrap();
    let s = &summary["sessions"][0];
    assert_eq!(summary["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(s["session_id"], "252d6b6b-aaad-4790-8254-7ada091ee9fc");
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
    assert_eq!(n(&s["api_calls"]), calls);
    assert_eq!(n(&s["tool_calls"]), tools);
    assert_eq!(n(&s["tool_errors"]), errors);
    assert_eq!(n(&s["prompts"]), 1);
    assert_eq!(n(&s["compactions"]), 1);
    assert_eq!(s["git_branch"], "main");
    assert_eq!(summary["malformed_lines"], 0);
}

#[test]
fn summary_json_equals_the_independent_count() {
    check(&fixture());
}

#[test]
fn a_renamed_file_is_told_by_its_content() {
    let dir = std::env::temp_dir().join(format!("aegon-copilot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let renamed = dir.join("log.txt");
    std::fs::copy(fixture(), &renamed).unwrap();
    check(&renamed);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ndjson_names_the_agent_on_every_event() {
    let out = common::aegon_stdout(["--ndjson".as_ref(), fixture().as_os_str()]);
    let mut lines = 0;
    for line in out.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        assert_eq!(e["agent"], "copilot-cli");
        lines += 1;
    }
    // Every one of the 94 lines gives at least one event.
    assert!(lines >= 94, "{lines}");
}
