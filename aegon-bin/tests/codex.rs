//! `aegon` on Codex CLI rollouts (`fixtures/agents/codex/`): `--summary --json` totals against
//! the independent count of `aegon-lib/tests/codex_rules` (FORMAT.md §1's rules on
//! serde_json Values), `--ndjson`, a renamed file, copies, the review pair and a fork.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;

#[path = "../../aegon-lib/tests/codex_rules/mod.rs"]
mod codex_rules;

use codex_rules::{count, fork_of_review_child, totals_only, with_info, Counts};

use common::{output_with_stdin, temp_dir, Reads};

fn fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(common::root().join("fixtures/agents/codex"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 13);
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

fn summary(files: &[&Path]) -> Value {
    let mut args = vec![Path::new("--summary"), Path::new("--json")];
    args.extend_from_slice(files);
    serde_json::from_str(&common::aegon_stdout(args)).unwrap()
}

fn counted(path: &Path) -> Counts {
    count(&std::fs::read_to_string(path).unwrap())
}

/// The summary's total tokens and API calls.
fn totals(summary: &Value) -> (u64, u64, u64, u64) {
    let t = &summary["totals"];
    (
        t["tokens"]["input"].as_u64().unwrap(),
        t["tokens"]["cache_read"].as_u64().unwrap(),
        t["tokens"]["output"].as_u64().unwrap(),
        t["api_calls"].as_u64().unwrap(),
    )
}

fn expected(c: &[&Counts]) -> (u64, u64, u64, u64) {
    c.iter().fold((0, 0, 0, 0), |a, c| {
        (
            a.0 + c.input,
            a.1 + c.cache_read,
            a.2 + c.output,
            a.3 + c.requests,
        )
    })
}

#[test]
fn summary_totals_equal_the_independent_count_per_file() {
    for path in fixtures() {
        let c = counted(&path);
        let s = summary(&[&path]);
        assert_eq!(totals(&s), expected(&[&c]), "{}", path.display());
        assert_eq!(
            s["totals"]["tool_calls"],
            c.tool_calls,
            "{}",
            path.display()
        );
        assert_eq!(
            s["totals"]["tool_errors"],
            c.tool_errors,
            "{}",
            path.display()
        );
        assert_eq!(s["malformed_lines"], 0);
        let sessions = s["sessions"].as_array().unwrap();
        if c.prompts + c.requests + c.tool_calls == 0 {
            // Only injected context (the 0.38.0 three-line file): a session opened and left
            // before any request, listed with none (as a Claude Code session with a prompt
            // and no answer is).
            assert_eq!(sessions.len(), 1, "{}", path.display());
            assert_eq!(sessions[0]["api_calls"], 0);
            assert_eq!(sessions[0]["prompts"], 0);
            continue;
        }
        assert_eq!(sessions.len(), 1, "{}", path.display());
        let session = &sessions[0];
        // Prompts of a subagent's file are its brief, not the user's.
        if session["subagents"] == 0 {
            assert_eq!(session["prompts"], c.prompts, "{}", path.display());
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let meta: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        if let Some(version) = meta["payload"]["cli_version"].as_str() {
            assert_eq!(session["version"], version);
            assert_eq!(session["cwd"], meta["payload"]["cwd"]);
        }
    }
}

#[test]
fn ndjson_names_the_agent_and_carries_the_same_usage() {
    let path = fixture("019b55c1-d022-7061-bbb9-b0c90708472b");
    let c = counted(&path);
    let out = common::aegon_stdout([Path::new("--ndjson"), &path]);
    let (mut n, mut tokens) = (0, 0);
    for line in out.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        assert_eq!(e["agent"], "codex");
        assert_eq!(e["session_id"], "019b55c1-d022-7061-bbb9-b0c90708472b");
        if e["kind"] == "usage" {
            n += 1;
            tokens += e["input"].as_u64().unwrap()
                + e["cache_read"].as_u64().unwrap()
                + e["output"].as_u64().unwrap();
        }
    }
    assert_eq!(n, c.requests);
    assert_eq!(tokens, c.input + c.cache_read + c.output);
}

#[test]
fn review_parent_and_child_together_count_each_request_once() {
    let parent = fixture("019b55c1-d022-7061-bbb9-b0c90708472b");
    let child = fixture("019b5669-8da8-7bc3-bed8-e1c1b805dad5");
    let s = summary(&[&parent, &child]);
    let (p, c) = (counted(&parent), counted(&child));
    assert_eq!(totals(&s), expected(&[&p, &c]));
    assert_eq!(s["totals"]["sessions"], 2);
    // The child's figure is its own file's final cumulative total (FORMAT.md §1.4).
    assert_eq!(c.input + c.cache_read + c.output, 74_831);
}

#[test]
fn renamed_and_copied_files_are_told_by_content_and_counted_once() {
    let dir = temp_dir("renamed");
    let path = fixture("019a802a-aab1-7c31-9831-d2510c7a74a2");
    let renamed = dir.join("notes.txt");
    std::fs::copy(&path, &renamed).unwrap();
    let c = counted(&path);
    let s = summary(&[&renamed]);
    assert_eq!(totals(&s), expected(&[&c]));
    assert_eq!(
        s["sessions"][0]["session_id"],
        "019a802a-aab1-7c31-9831-d2510c7a74a2"
    );
    // The same session read twice (a copy of the file): its requests count once.
    let s = summary(&[&renamed, &path]);
    assert_eq!(totals(&s), expected(&[&c]));
}

#[test]
fn fork_counts_its_own_requests_and_not_the_replayed_parent() {
    let dir = temp_dir("fork");
    let parent = fixture("019b5669-8da8-7bc3-bed8-e1c1b805dad5");
    let (text, own) = fork_of_review_child(&parent);
    let fork = dir.join("rollout-2026-04-01T10-00-00-0199aaaa-0000-7000-8000-00000000f0c4.jsonl");
    std::fs::write(&fork, &text).unwrap();
    let s = summary(&[&fork]);
    let (input, cache, output, calls) = totals(&s);
    assert_eq!((input + cache + output, calls), (own, 2));
    assert_eq!(totals(&s), expected(&[&count(&text)]));
    let s = summary(&[&fork, &parent]);
    let (input, cache, output, calls) = totals(&s);
    assert_eq!((input + cache + output, calls), (own + 74_831, 2 + 5));
}

#[test]
fn plain_summary_and_stream_run_on_every_fixture() {
    for path in fixtures() {
        let out = common::aegon_stdout([Path::new("--summary"), &path]);
        assert!(out.contains("TOTAL"), "{}", path.display());
        let _ = common::aegon_stdout([&path]);
    }
}

#[test]
fn a_line_too_long_in_a_codex_file_names_the_codex_agent() {
    let dir = temp_dir("long");
    let path = dir.join("r.jsonl");
    let long = "x".repeat(3000);
    std::fs::write(
        &path,
        format!(
            concat!(
                r#"{{"timestamp":"2025-01-01T00:00:00.000Z","type":"session_meta","payload":{{"id":"a"}}}}"#,
                "\n",
                r#"{{"timestamp":"2025-01-01T00:00:01.000Z","type":"event_msg","payload":{{"type":"user_message","message":"{}"}}}}"#,
                "\n"
            ),
            long
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args([
            Path::new("--ndjson"),
            Path::new("--max-line"),
            Path::new("1000"),
            &path,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let malformed: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["kind"] == "malformed")
        .collect();
    assert_eq!(malformed.len(), 1, "{stdout}");
    assert_eq!(malformed[0]["reason"], "too_long");
    assert_eq!(malformed[0]["agent"], "codex");
    assert_eq!(malformed[0]["source"]["line"], 2);
}

/// `--format` with another agent's format refuses every rollout, whatever the length of its
/// first line: 10 of the 13 begin with a 9–22 KiB header line (the session's instructions),
/// longer than the 8 KiB a file's first look held, and were read as Claude Code transcripts,
/// silently: 0 sessions, exit 0. Through stdin too.
#[test]
fn a_forced_format_refuses_every_rollout_whatever_its_first_lines_length() {
    let mut long = 0;
    for file in fixtures() {
        let bytes = std::fs::read(&file).unwrap();
        let first = bytes.split(|&b| b == b'\n').next().unwrap();
        // The session's header: a `session_meta` envelope, or the legacy bare one.
        let record: Value = serde_json::from_slice(first).unwrap();
        assert!(
            record["type"] == "session_meta" || record["instructions"].is_string(),
            "{}",
            file.display()
        );
        long += usize::from(first.len() > 8 << 10);
        let name = file.display().to_string();
        for args in [
            &["--format", "claude", "--summary", "--json", &name][..],
            &[
                "--format",
                "claude",
                "--summary",
                "--json",
                "-j",
                "1",
                &name,
            ],
            &["--format", "claude", "--ndjson", &name],
            &["--format", "qwen", "--ndjson", "-"],
        ] {
            // Refused at its first line (and a named file's run reads no stdin).
            let out = output_with_stdin(
                std::process::Command::new(env!("CARGO_BIN_EXE_aegon")).args(args),
                bytes.clone(),
                Reads::MaybeNotAll,
            );
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            let forced = args[1];
            assert!(
                err.contains(&format!("line 1, byte 0: --format {forced}"))
                    && err.contains("codex record"),
                "{args:?}: {err}"
            );
        }
    }
    assert_eq!(long, 10, "first lines longer than 8 KiB");
}

#[test]
fn an_exit_code_or_duration_that_is_not_one_is_said() {
    // A real rollout's first exec_command_end with its exit code written as a string and its
    // duration negative (damage: Codex writes an i32 and Rust's Duration). Both feed figures
    // (error counts, tool timings): read as before (a success, no duration of its own) and
    // said on the line, at each value's byte (exit 1). Before, nothing was said.
    let path = fixture("Krosss0001");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("\"type\":\"exec_command_end\"").unwrap();
    let start = text[..start].rfind('\n').map_or(0, |n| n + 1);
    let end = start + text[start..].find('\n').unwrap();
    let line = &text[start..end];
    let code = "\"exit_code\":0,";
    let duration_at = line.find("\"duration\":{").unwrap() + "\"duration\":".len();
    let duration_end = duration_at + line[duration_at..].find('}').unwrap() + 1;
    let damaged = line[..duration_at].replacen(code, "\"exit_code\":\"137\",", 1)
        + "{\"secs\":-1,\"nanos\":0}"
        + &line[duration_end..];
    assert_ne!(damaged, line);
    let dir = temp_dir("codex-exit-code");
    let file = dir.join("rollout.jsonl");
    std::fs::write(
        &file,
        format!("{}{damaged}{}", &text[..start], &text[end..]),
    )
    .unwrap();
    let run = |p: &Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_aegon"))
            .arg("--ndjson")
            .arg(p)
            .output()
            .unwrap()
    };
    let out = run(&file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let line_no = text[..start].matches('\n').count() + 1;
    let code_at = start + damaged.find("\"137\"").unwrap();
    let duration_at = start + damaged.find("{\"secs\":-1").unwrap();
    let said = format!(
        "{}:{line_no}: byte {code_at}: partly read: `payload.exit_code` \"137\" is not an exit \
         code: read as 0; byte {duration_at}: partly read: `payload.duration` \
         {{\"secs\":-1,\"nanos\":0}} is not a duration: not read",
        file.display()
    );
    assert!(stderr.contains(&said), "{said}\nin {stderr}");
    // The same events as the file as written, and the one problem.
    let original = run(&path);
    assert_eq!(original.status.code(), Some(0));
    let events = |o: &std::process::Output| -> Vec<Value> {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let (got, want) = (events(&out), events(&original));
    assert_eq!(got.len(), want.len() + 1);
    let errors = |e: &[Value]| e.iter().filter(|e| e["is_error"] == true).count();
    assert_eq!(errors(&got), errors(&want));
}

#[test]
fn a_totals_only_rollout_is_priced_alike_in_every_view() {
    // tester9 #1: the real 0.98.0 rollout with `last_token_usage` taken out of each
    // token_count. Figures of the untouched file (and `ccusage codex daily` on the stripped
    // one, per the tester): 9 calls, input 30,013, cache read 244,608, output 1,302, $0.1136.
    let dir = temp_dir("codex-totals-only");
    let text = std::fs::read_to_string(fixture("019c4374-701c")).unwrap();
    let file = dir.join("rollout-2026-02-09T23-00-30-019c4374-701c-7042-aa87-dcedb8f04ede.jsonl");
    std::fs::write(&file, totals_only(&text)).unwrap();
    let s = summary(&[&file]);
    assert_eq!(totals(&s), (30_013, 244_608, 1_302, 9));
    assert_eq!(s["totals"]["cost_usd"], 0.1136);
    let nd = common::aegon_stdout([Path::new("--ndjson"), &file]);
    let usage: Vec<Value> = nd
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["kind"] == "usage")
        .collect();
    assert_eq!(usage.len(), 9);
    let cost: f64 = usage.iter().map(|e| e["cost_usd"].as_f64().unwrap()).sum();
    assert!((cost - 0.113_557_15).abs() < 1e-9, "{cost}");
    let data = dir.join("data");
    let path = file.to_str().unwrap();
    for index in [&[][..], &["--no-index"][..]] {
        let mut args = vec!["usage", "daily", "--json", "--since", "2026-01-01"];
        args.extend_from_slice(index);
        args.push(path);
        let out = common::aegon_isolated(&data, &args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let t = &doc["totals"];
        assert_eq!(
            (
                &t["apiCalls"],
                &t["inputTokens"],
                &t["cacheReadTokens"],
                &t["outputTokens"]
            ),
            (&9.into(), &30_013.into(), &244_608.into(), &1_302.into()),
            "{index:?}"
        );
        assert!(
            (t["totalCost"].as_f64().unwrap() - 0.113_557_15).abs() < 1e-9,
            "{index:?}"
        );
        assert_eq!(doc["notes"], serde_json::json!([]), "{index:?}");
    }
}

#[test]
fn a_totals_only_reset_is_a_cost_unknown_in_every_view() {
    // The real 0.77.0 rollout, totals only: its counter falls back 4 times (FORMAT.md §1.4);
    // each of those requests is counted with a cost unknown, said with its line.
    let dir = temp_dir("codex-totals-reset");
    let original = fixture("019b55c1-d022-7061-bbb9-b0c90708472b");
    let c = counted(&original);
    let file = dir.join("rollout-2025-12-25T22-45-23-019b55c1-d022-7061-bbb9-b0c90708472b.jsonl");
    std::fs::write(
        &file,
        totals_only(&std::fs::read_to_string(&original).unwrap()),
    )
    .unwrap();
    // Lines with problems: status 1, as for any said line.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["--summary", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(totals(&s), expected(&[&c]));
    assert!(s["totals"]["cost_usd"].is_null());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr)
            .matches("the counter was reset")
            .count(),
        4
    );
    let data = dir.join("data");
    let path = file.to_str().unwrap();
    for index in [&[][..], &["--no-index"][..]] {
        let mut args = vec!["usage", "daily", "--json", "--since", "2025-01-01"];
        args.extend_from_slice(index);
        args.push(path);
        let out = common::aegon_isolated(&data, &args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "problem lines: {index:?}");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let t = &doc["totals"];
        assert_eq!(t["apiCalls"], c.requests, "{index:?}");
        assert!(t["totalCost"].is_null(), "{index:?}");
        let notes = doc["notes"].to_string();
        assert!(
            notes.contains("4 lines in 1 transcript hold usage aegon could not read whole")
                && notes.contains(":287: byte "),
            "{index:?} {notes}"
        );
    }
}

#[test]
fn the_context_is_measured_against_the_window_the_rollout_states() {
    // tester9 #3: every token_count's `info.model_context_window` is the window Codex itself
    // uses (and compacts near); the summary's context window is the last one stated, read
    // here from the file's lines. edgerunner (0.144.1, gpt-5.6-sol): 296,324 tokens of
    // 353,400, not of the price table's 1,050,000.
    let mut stated_files = 0;
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let stated = text.lines().rev().find_map(|l| {
            let v: Value = serde_json::from_str(l).ok()?;
            v["payload"]["info"]["model_context_window"].as_u64()
        });
        let s = summary(&[&path]);
        let context = &s["sessions"][0]["context"];
        match stated {
            Some(w) if context.is_object() => {
                stated_files += 1;
                assert_eq!(context["window"], w, "{}", path.display());
            }
            _ => {}
        }
    }
    assert_eq!(
        stated_files, 8,
        "the rollouts with usage, less the two subagents' files"
    );
    let edgerunner = summary(&[&fixture("edgerunner")]);
    assert_eq!(
        edgerunner["sessions"][0]["context"],
        serde_json::json!({"tokens": 296_324, "window": 353_400})
    );
    // A rollout that states none: the price table's window for its model.
    let dir = temp_dir("codex-no-window");
    let text = std::fs::read_to_string(fixture("019c4374-701c")).unwrap();
    let file = dir.join("rollout-2026-02-09T23-00-30-019c4374-701c-7042-aa87-dcedb8f04ede.jsonl");
    std::fs::write(
        &file,
        with_info(&text, |p, _| {
            p["info"]
                .as_object_mut()
                .unwrap()
                .remove("model_context_window");
        }),
    )
    .unwrap();
    let s = summary(&[&file]);
    assert_eq!(
        s["sessions"][0]["context"],
        serde_json::json!({"tokens": 31_319, "window": 272_000}),
        "gpt-5.3-codex's window in the price table"
    );
}
