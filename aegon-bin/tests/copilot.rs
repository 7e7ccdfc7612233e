//! `aegon --summary --json` and `--ndjson` on the Copilot CLI `events.jsonl`
//! (fixtures/agents/copilot/), checked against counts made here on the JSON from the corpus
//! FORMAT.md §4 rules; a renamed file is told by its content.

use std::path::{Path, PathBuf};
use std::process::Command;

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
    let dir = common::temp_dir("copilot-renamed");
    let renamed = dir.join("log.txt");
    std::fs::copy(fixture(), &renamed).unwrap();
    check(&renamed);
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

/// Copilot CLI's `workspace.yaml` beside the `events.jsonl` (the same real session folder):
/// the session's metadata in YAML, not a transcript. It was read as a Claude Code transcript
/// of 13 damaged lines (`agent: claude-code`, `invalid_json` each, and `aegon audit` filed it
/// under Claude's format).
fn workspace_yaml() -> PathBuf {
    common::root().join(
        "fixtures/agents/copilot/LAF-US__IDAHO-VAULT__.copilot__session-state__252d6b6b-aaad-4790-8254-7ada091ee9fc__workspace.yaml",
    )
}

#[test]
fn workspace_yaml_is_reported_as_not_a_transcript_and_never_as_claudes() {
    let path = workspace_yaml();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("id: 252d6b6b-aaad-4790-8254-7ada091ee9fc\n"));
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .arg("--ndjson")
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let events: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 1, "{stdout}");
    let e = &events[0];
    assert_eq!(e["agent"], "copilot-cli");
    assert_eq!(e["kind"], "malformed");
    assert_eq!(e["reason"], "unexpected_shape");
    assert_eq!(
        (&e["source"]["line"], &e["error_offset"]),
        (&1.into(), &0.into())
    );
    let first_line = text.lines().next().unwrap().len();
    assert_eq!(e["len"], first_line);
    // Said once, where, and what the file is.
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(":1: byte 0: not a transcript: a GitHub Copilot CLI workspace.yaml"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("not a transcript").count(), 1, "{stderr}");
    assert!(!stderr.contains("invalid JSON"), "{stderr}");

    // No session, nothing counted.
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["--summary", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["sessions"], Value::Array(vec![]));
    assert_eq!(s["malformed_by_reason"]["unexpected_shape"], 1);
    assert_eq!(s["malformed_by_reason"].get("invalid_json"), None);

    // `aegon audit` files it under no format, Claude's least of all.
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["audit", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    let audit: Value = serde_json::from_slice(&out.stdout).unwrap();
    let formats = audit["formats"].as_array().unwrap();
    assert!(
        formats
            .iter()
            .all(|f| f["format"] != "claude" && n(&f["files"]) == 0),
        "{formats:?}"
    );
    assert_eq!(audit["unrecognised"]["files"], 1);
}

/// The closing line says that a file of which nothing was read is not a transcript, not that
/// its lines were lost and "the rest read" (it said "1 line lost, the rest read" of the
/// workspace.yaml, whose 15 lines were all passed over); a binary file reads alike, and the
/// problem lines of the transcripts beside them are counted apart.
#[test]
fn a_file_that_is_no_transcript_is_said_not_read_not_lost_lines() {
    let stderr_of = |args: &[&std::ffi::OsStr]| {
        let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
            .args(args)
            .output()
            .unwrap();
        String::from_utf8(out.stderr).unwrap()
    };
    let last_line = |stderr: &str| stderr.lines().last().unwrap_or("").to_owned();
    let yaml = workspace_yaml();
    let dir = common::temp_dir("not-a-transcript");
    let binary = dir.join("binary.jsonl");
    std::fs::write(&binary, b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00").unwrap();
    // A real transcript with one line cut off at its end: 1 problem line, lost.
    let damaged = dir.join("damaged.jsonl");
    let mut text = std::fs::read_to_string(fixture()).unwrap();
    text.push_str("{\"type\":\"assistant.message\",\"data\":{\"cont");
    std::fs::write(&damaged, text).unwrap();
    for (args, reason) in [
        (vec![yaml.as_os_str()], "1 unexpected_shape"),
        (
            vec!["--summary".as_ref(), yaml.as_os_str()],
            "1 unexpected_shape",
        ),
        (vec![binary.as_os_str()], "1 nul_bytes"),
    ] {
        let stderr = stderr_of(&args);
        assert_eq!(
            last_line(&stderr),
            format!(
                "aegon: 1 file not read, nothing in it is a transcript: 1 problem line ({reason})"
            ),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("the rest read"), "{stderr}");
    }
    let stderr = stderr_of(&[yaml.as_os_str(), binary.as_os_str(), damaged.as_os_str()]);
    assert_eq!(
        last_line(&stderr),
        "aegon: 2 files not read, nothing in them is a transcript (2 problem lines); in the others 1 problem line (1 lost, the rest read)",
        "{stderr}"
    );
    // A transcript's own problem lines are said as before.
    let stderr = stderr_of(&[damaged.as_os_str()]);
    assert!(
        last_line(&stderr).ends_with("; 1 line lost, the rest read"),
        "{stderr}"
    );
}

/// `usage sessions --json --no-index` or through the index (`data` its folder) on `dir`:
/// (totalCost, totalTokens).
fn usage_total(data: &Path, dir: &Path, index: bool) -> (Value, u64) {
    let dir = dir.to_str().unwrap();
    let mut args = vec!["usage", "sessions", "--json", "--since", "2020-01-01", dir];
    if !index {
        args.push("--no-index");
    }
    let out = common::aegon_isolated(data, &args).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        v["totals"]["totalCost"].clone(),
        n(&v["totals"]["totalTokens"]),
    )
}

/// The JSON notes of `aegon usage sessions` over `dir` with the index in `data`.
fn usage_notes(data: &Path, dir: &Path) -> Vec<String> {
    let dir = dir.to_str().unwrap();
    let args = ["usage", "sessions", "--json", "--since", "2020-01-01", dir];
    let out = common::aegon_isolated(data, &args).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    serde_json::from_value(v["notes"].clone()).unwrap()
}

/// The same session while it runs: the saved file without its last line, `session.shutdown`
/// (tester9 #2). Input and cache tokens exist only there (FORMAT.md §4), so 16 of the 17
/// requests' input is not in the file yet: the cost is unknown, at least the $0.2174 of the
/// outputs and the compaction (never presented as the whole, which is $0.7555), until the
/// shutdown is appended, when the index reads the whole cost.
#[test]
fn a_running_session_has_an_unknown_cost_until_its_shutdown_is_written() {
    let text = std::fs::read_to_string(fixture()).unwrap();
    let (running, shutdown) = text.trim_end().rsplit_once('\n').unwrap();
    assert!(shutdown.contains("\"session.shutdown\""));
    let dir = common::temp_dir("copilot-running");
    let folder = dir.join("s");
    std::fs::create_dir(&folder).unwrap();
    let events = folder.join("events.jsonl");
    std::fs::write(&events, format!("{running}\n")).unwrap();

    let out = common::aegon_stdout(["--summary".as_ref(), "--json".as_ref(), events.as_os_str()]);
    let summary: Value = serde_json::from_str(&out).unwrap();
    let totals = &summary["totals"];
    assert_eq!(totals["cost_usd"], Value::Null);
    assert_eq!(totals["priced_cost_usd"], 0.2174);
    assert_eq!(n(&totals["api_calls"]), 17);
    assert_eq!(n(&totals["tokens"]["input"]), 176_397);
    assert_eq!(n(&totals["tokens"]["cache_read"]), 0);
    let text = common::aegon_stdout(["--summary".as_ref(), events.as_os_str()]);
    assert!(
        text.contains("cost unknown: at least $0.22, input and cache tokens not written yet"),
        "{text}"
    );

    let data = dir.join("data");
    let no_index = usage_total(&data, &folder, false);
    assert_eq!(no_index.0, Value::Null);
    assert_eq!(usage_total(&data, &folder, true), no_index);
    // Why the cost is unknown, though no line is wrong (tester11 #8: the notes were empty).
    assert_eq!(
        usage_notes(&data, &folder),
        [
            "1 session still running: input and cache tokens not written yet (Copilot CLI writes \
          them at session.shutdown); its cost is unknown until then"
        ]
    );

    // The shutdown arrives: the index reads the file again and the cost is the whole one.
    common::append(&events, &format!("{shutdown}\n"));
    let (cost, tokens) = usage_total(&data, &folder, true);
    assert_eq!(cost.as_f64().map(|c| (c * 1e4).round() / 1e4), Some(0.7555));
    assert_eq!((cost.clone(), tokens), usage_total(&data, &folder, false));
    assert!(usage_notes(&data, &folder).is_empty());
    let whole = common::aegon_stdout(["--summary".as_ref(), "--json".as_ref(), events.as_os_str()]);
    let whole: Value = serde_json::from_str(&whole).unwrap();
    assert_eq!(whole["totals"]["cost_usd"], 0.7555);
}
