//! Codex rollout figures counted independently of the adapter, by walking each line as a
//! `serde_json::Value` with the rules of the agents corpus's FORMAT.md §1; shared by the
//! library's and the binary's tests (`#[path]`-included by the latter).
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

/// Figures counted from a file's lines.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub requests: u64,
    /// Input not read from cache.
    pub input: u64,
    pub cache_read: u64,
    pub output: u64,
    pub reasoning: u64,
    pub prompts: u64,
    pub tool_calls: u64,
    pub tool_results: u64,
    pub tool_errors: u64,
    pub api_errors: u64,
    pub interrupts: u64,
    pub assistant_texts: u64,
}

/// Milliseconds of `YYYY-MM-DDTHH:MM:SS.mmmZ` since 1970 (the shape all Codex timestamps have).
fn millis(ts: &str) -> Option<i64> {
    let n = |a: usize, b: usize| ts.get(a..b)?.parse::<i64>().ok();
    let (y, m, d) = (n(0, 4)?, n(5, 7)?, n(8, 10)?);
    let (hh, mm, ss, ms) = (n(11, 13)?, n(14, 16)?, n(17, 19)?, n(20, 23)?);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((((days * 24 + hh) * 60 + mm) * 60 + ss) * 1000 + ms)
}

/// FORMAT.md §1's rules, applied to the lines of `text`.
pub fn count(text: &str) -> Counts {
    let mut c = Counts::default();
    let mut previous_total: Option<u64> = None;
    let mut review = false;
    let mut own_id: Option<String> = None;
    let mut forked_from: Option<String> = None;
    let mut replay_last: Option<i64> = None;
    let mut in_replay = false;
    // Tool results, decided once the whole file is read: every output record is a result,
    // and so is the `exec_command_end` of a call that has no output record (a file copied
    // while the session ran); a command's failure is its exit code, a patch's its `success`,
    // else what the output says.
    let mut calls: Vec<String> = Vec::new();
    let mut outputs: Vec<(String, bool)> = Vec::new();
    let mut exec_end: HashMap<String, bool> = HashMap::new();
    let mut patch_end: HashMap<String, bool> = HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let legacy = v.get("payload").is_none();
        let p = if legacy { &v } else { &v["payload"] };
        let top = v["type"].as_str().unwrap_or("");
        let kind = p["type"].as_str().unwrap_or("");
        // A fork's replay: from the session_meta of the session it was forked from, until a
        // gap of more than a second between lines.
        if top == "session_meta" {
            let id = p["id"].as_str().map(str::to_owned);
            if own_id.is_none() {
                own_id = id;
                forked_from = p["forked_from_id"].as_str().map(str::to_owned);
            } else if id.is_some() && id == forked_from {
                in_replay = true;
                replay_last = v["timestamp"].as_str().and_then(millis);
            }
            continue;
        }
        if in_replay {
            let ms = v["timestamp"].as_str().and_then(millis);
            match (ms, replay_last) {
                (Some(ms), Some(last)) if ms - last > 1000 => in_replay = false,
                _ => replay_last = ms.or(replay_last),
            }
        }
        if !legacy && top == "event_msg" {
            match kind {
                "entered_review_mode" => review = true,
                "exited_review_mode" => review = false,
                _ => {}
            }
        }
        if kind == "token_count" && !review {
            if let Some(info) = p.get("info").filter(|i| !i.is_null()) {
                let total = info["total_token_usage"]["total_tokens"].as_u64().unwrap();
                if previous_total != Some(total) {
                    previous_total = Some(total);
                    let last = &info["last_token_usage"];
                    let input = last["input_tokens"].as_u64().unwrap();
                    let cached = last["cached_input_tokens"].as_u64().unwrap_or(0);
                    if !in_replay {
                        c.requests += 1;
                        c.input += input - cached;
                        c.cache_read += cached;
                        c.output += last["output_tokens"].as_u64().unwrap();
                        c.reasoning += last["reasoning_output_tokens"].as_u64().unwrap_or(0);
                    }
                }
            }
        }
        if in_replay {
            continue;
        }
        match (legacy, top, kind) {
            (false, "event_msg", "user_message") if !review => c.prompts += 1,
            (false, "event_msg", "error") => c.api_errors += 1,
            (false, "event_msg", "turn_aborted") => c.interrupts += 1,
            (false, "event_msg", "exec_command_end") => {
                let failed = p["exit_code"].as_i64().unwrap() != 0;
                exec_end.insert(p["call_id"].as_str().unwrap().to_owned(), failed);
            }
            (false, "event_msg", "patch_apply_end") => {
                let failed = p["success"] == Value::Bool(false);
                patch_end.insert(p["call_id"].as_str().unwrap().to_owned(), failed);
            }
            (_, _, "message") if legacy || top == "response_item" => {
                for part in p["content"].as_array().unwrap() {
                    let text = part["text"].as_str().unwrap_or("");
                    match (p["role"].as_str().unwrap(), part["type"].as_str().unwrap()) {
                        ("assistant", "output_text") => c.assistant_texts += 1,
                        ("user", "input_text") if legacy => {
                            let injected = text.starts_with("<environment_context>")
                                || text.starts_with("<user_instructions>")
                                || text.starts_with("# AGENTS.md instructions");
                            if !injected {
                                c.prompts += 1;
                            }
                        }
                        _ => {}
                    }
                }
            }
            (_, _, "function_call" | "custom_tool_call") if legacy || top == "response_item" => {
                c.tool_calls += 1;
                calls.push(p["call_id"].as_str().unwrap().to_owned());
            }
            (_, _, "function_call_output" | "custom_tool_call_output")
                if legacy || top == "response_item" =>
            {
                let id = p["call_id"].as_str().unwrap();
                let failed = match p["output"].as_str() {
                    Some(out) if out.starts_with("Exit code: ") => {
                        let digits: String = out["Exit code: ".len()..]
                            .chars()
                            .take_while(|c| c.is_ascii_digit())
                            .collect();
                        digits != "0"
                    }
                    Some(out) => serde_json::from_str::<Value>(out)
                        .is_ok_and(|o| o["metadata"]["exit_code"].as_i64().is_some_and(|n| n != 0)),
                    None => false,
                };
                outputs.push((id.to_owned(), failed));
            }
            _ => {}
        }
    }
    let answered: std::collections::HashSet<&str> =
        outputs.iter().map(|(id, _)| id.as_str()).collect();
    let mut results: Vec<bool> = outputs
        .iter()
        .map(|(id, said)| {
            exec_end
                .get(id)
                .or(patch_end.get(id))
                .copied()
                .unwrap_or(*said)
        })
        .collect();
    for id in calls.iter().filter(|id| !answered.contains(id.as_str())) {
        if let Some(&failed) = exec_end.get(id) {
            results.push(failed);
        }
    }
    c.tool_results = results.len() as u64;
    c.tool_errors = results.iter().filter(|&&f| f).count() as u64;
    c
}

/// A fork of the real review child (FORMAT.md §1.4's shape): the child's `session_meta` with
/// `forked_from_id`, the parent's lines re-stamped 1 ms apart, then the child's own turn 5 s
/// later: two requests on top of the parent's cumulative 74,831, the second written twice.
pub fn fork_of_review_child(parent: &Path) -> (String, u64) {
    let parent = std::fs::read_to_string(parent).unwrap();
    let child = "0199aaaa-0000-7000-8000-00000000f0c4";
    let mut out = format!(
        concat!(
            r#"{{"timestamp":"2026-04-01T10:00:00.000Z","type":"session_meta","payload":{{"id":"{}","#,
            r#""forked_from_id":"019b5669-8da8-7bc3-bed8-e1c1b805dad5","timestamp":"2026-04-01T10:00:00.000Z","#,
            r#""cwd":"/w","originator":"codex_cli_rs","cli_version":"0.119.0-alpha.28","source":"cli"}}}}"#,
            "\n"
        ),
        child
    );
    for (i, line) in parent.lines().enumerate() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        v["timestamp"] = Value::from(format!("2026-04-01T10:00:00.{:03}Z", i % 30));
        out.push_str(&v.to_string());
        out.push('\n');
    }
    let tc = |ts: &str, total: u64, last: (u64, u64, u64)| {
        format!(
            concat!(
                r#"{{"timestamp":"{}","type":"event_msg","payload":{{"type":"token_count","info":{{"#,
                r#""total_token_usage":{{"input_tokens":{},"cached_input_tokens":0,"output_tokens":0,"reasoning_output_tokens":0,"total_tokens":{}}},"#,
                r#""last_token_usage":{{"input_tokens":{},"cached_input_tokens":{},"output_tokens":{},"reasoning_output_tokens":0,"total_tokens":{}}},"#,
                r#""model_context_window":258400}}}}}}"#,
                "\n"
            ),
            ts,
            total,
            total,
            last.0,
            last.1,
            last.2,
            last.0 + last.2
        )
    };
    out.push_str(concat!(
        r#"{"timestamp":"2026-04-01T10:00:05.000Z","type":"turn_context","payload":{"cwd":"/w","model":"gpt-5.4"}}"#,
        "\n",
        r#"{"timestamp":"2026-04-01T10:00:05.001Z","type":"event_msg","payload":{"type":"user_message","message":"go on","images":[]}}"#,
        "\n"
    ));
    out.push_str(&tc(
        "2026-04-01T10:00:07.000Z",
        74_831 + 1_100,
        (1_000, 600, 100),
    ));
    out.push_str(&tc(
        "2026-04-01T10:00:09.000Z",
        74_831 + 1_100 + 2_050,
        (2_000, 1_500, 50),
    ));
    out.push_str(&tc(
        "2026-04-01T10:00:09.300Z",
        74_831 + 1_100 + 2_050,
        (2_000, 1_500, 50),
    ));
    (out, 1_100 + 2_050)
}

/// `text` (a rollout) with the payload of every token_count rewritten by `edit` (given the
/// line's timestamp; events with `info: null` untouched), each line written back compactly:
/// the shapes a Codex build could write instead (tester9's finding 1 derived its input from a
/// real file the same way).
pub fn with_info(text: &str, mut edit: impl FnMut(&mut Value, &str)) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        let ts = v["timestamp"].as_str().unwrap_or("").to_owned();
        let p = &mut v["payload"];
        if p["type"] == "token_count" && p["info"].is_object() {
            edit(p, &ts);
        }
        out.push_str(&serde_json::to_string(&v).unwrap());
        out.push('\n');
    }
    out
}

/// `text` without `last_token_usage` in any token_count: only the cumulative totals are left.
pub fn totals_only(text: &str) -> String {
    with_info(text, |p, _| {
        p["info"]
            .as_object_mut()
            .unwrap()
            .remove("last_token_usage");
    })
}

/// A child rollout of the real `parent` in the layout Codex writes for a spawned subagent
/// (`spawn`: `source.subagent.thread_spawn.parent_thread_id`, codex-rs `agent/control/spawn.rs`
/// as vibe-usage PR #34 describes it) or a fork (`forked_from_id`): the child's
/// `session_meta` at 2026-04-02T10:00:00Z, the parent's copied `session_meta` and history —
/// each line keeping its own timestamp (`keep_stamps`, the parent's time, before the child's) or
/// re-stamped to the child's start — then the child's own turn 2 s later: two requests on top of the
/// parent's final cumulative total. Returns the rollout and the child's own tokens (input,
/// cached, output) summed.
pub fn child_of(parent: &Path, spawn: bool, keep_stamps: bool) -> (String, (u64, u64, u64)) {
    let parent = std::fs::read_to_string(parent).unwrap();
    let lines: Vec<Value> = parent
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let pid = lines[0]["payload"]["id"].as_str().unwrap().to_owned();
    let mut total = serde_json::json!({"input_tokens":0,"cached_input_tokens":0,"output_tokens":0,"reasoning_output_tokens":0,"total_tokens":0});
    for v in &lines {
        if v["payload"]["type"] == "token_count" && v["payload"]["info"].is_object() {
            total = v["payload"]["info"]["total_token_usage"].clone();
        }
    }
    let t0 = "2026-04-02T10:00:00.000Z";
    let mut meta = lines[0].clone();
    meta["timestamp"] = Value::from(t0);
    meta["payload"]["id"] = Value::from("0199bbbb-0000-7000-8000-0000000c41d0");
    meta["payload"]["timestamp"] = Value::from(t0);
    if spawn {
        meta["payload"]["source"] = serde_json::json!({"subagent":{"thread_spawn":{
            "parent_thread_id": pid, "depth": 1, "agent_nickname": "Ada", "agent_role": "worker"}}});
    } else {
        meta["payload"]["forked_from_id"] = Value::from(pid);
    }
    let mut out = vec![meta];
    for v in &lines {
        let mut v = v.clone();
        if !keep_stamps {
            v["timestamp"] = Value::from(t0);
        }
        out.push(v);
    }
    out.push(serde_json::json!({"timestamp":"2026-04-02T10:00:02.000Z","type":"event_msg","payload":{"type":"task_started","turn_id":"c1","model_context_window":258400}}));
    out.push(serde_json::json!({"timestamp":"2026-04-02T10:00:02.000Z","type":"turn_context","payload":{"cwd":"/w","model":"gpt-5.3-codex"}}));
    out.push(serde_json::json!({"timestamp":"2026-04-02T10:00:02.100Z","type":"event_msg","payload":{"type":"user_message","message":"child task","images":[]}}));
    let mut own = (0, 0, 0);
    for (ts, input, cached, output) in [
        ("2026-04-02T10:00:05.000Z", 40_000_u64, 30_000_u64, 500_u64),
        ("2026-04-02T10:00:09.000Z", 41_000, 40_000, 700),
    ] {
        let last = serde_json::json!({"input_tokens":input,"cached_input_tokens":cached,"output_tokens":output,"reasoning_output_tokens":0,"total_tokens":input+output});
        for k in [
            "input_tokens",
            "cached_input_tokens",
            "output_tokens",
            "total_tokens",
        ] {
            total[k] = Value::from(total[k].as_u64().unwrap() + last[k].as_u64().unwrap());
        }
        own = (own.0 + input - cached, own.1 + cached, own.2 + output);
        out.push(serde_json::json!({"timestamp":ts,"type":"event_msg","payload":{"type":"token_count","info":{
            "total_token_usage": total.clone(), "last_token_usage": last, "model_context_window": 258400}}}));
    }
    let text = out.iter().map(|v| format!("{v}\n")).collect();
    (text, own)
}
