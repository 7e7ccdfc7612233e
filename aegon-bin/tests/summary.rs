//! `aegon --summary --json` on the real fixtures, checked against an independent computation.
//!
//! The independent side is written here from FORMAT.md §6 and Anthropic's price list, on
//! serde_json Values, without aegon's code: usage per API response (max per field, synthetic
//! lines skipped), grouped by `sessionId`, priced per model with all five rates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;

use common::{feed_stdin, fixture, fixtures, root, temp_dir, Reads};

/// `aegon --summary --json PATH`: the document, stderr and the exit status.
fn summary_run(path: &Path) -> (Value, String, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["--summary", "--json"])
        .arg(path)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (json, err, out.status.code())
}

/// `aegon --summary --json ARGS`, which succeeds, or exits with 1 only to say that a
/// subagent the session names, or a workflow run it launched, was not read (a session file
/// read without its subagents').
/// `aegon --otlp PATH`: the exit status, and each root span of a session with usage (it has
/// `aegon.api_calls`) with whether it carries the session's cost (`aegon.cost.usd`).
fn otlp_root_spans(path: &Path) -> (Option<i32>, Vec<(bool, Value)>) {
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .arg("--otlp")
        .arg(path)
        .output()
        .unwrap();
    let mut roots = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let Some(rs) = v["resourceSpans"].as_array() else {
            continue;
        };
        for span in rs
            .iter()
            .flat_map(|r| r["scopeSpans"].as_array().unwrap())
            .flat_map(|s| s["spans"].as_array().unwrap())
            .filter(|s| s["parentSpanId"].as_str().is_none_or(str::is_empty))
        {
            let keys: Vec<&str> = span["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|a| a["key"].as_str())
                .collect();
            if keys.contains(&"aegon.api_calls") {
                roots.push((keys.contains(&"aegon.cost.usd"), span.clone()));
            }
        }
    }
    (out.status.code(), roots)
}

/// marot's session 258c7280 (Claude Code 2.1.39, two subagents), the fixture whose subagents the
/// unread-subagent tests take away.
const MAROT: &str = "258c7280-ae70-4798-800f-63464d01a85d";

/// A file of marot's session 258c7280 in the fixtures: `suffix` "" for the session,
/// "__subagents__agent-ID" for a subagent.
fn marot(suffix: &str) -> PathBuf {
    fixture(&format!(
        "marot__spotter__test__fixtures__transcripts__{MAROT}{suffix}.jsonl"
    ))
}

fn summary(args: &[&Path]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["--summary", "--json"])
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let uncounted = err
        .lines()
        .all(|l| l.contains("no line of") && l.contains("was read"));
    assert!(
        out.status.success() || (out.status.code() == Some(1) && uncounted),
        "{err}"
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// $ per million tokens: input, 5 m write, 1 h write, read, output (Anthropic's pricing page).
fn rates(model: &str) -> Option<[f64; 5]> {
    let family = model
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_end_matches('-');
    let base = if model.ends_with(|c: char| c.is_ascii_digit()) && model.len() - family.len() == 9 {
        family
    } else {
        model
    };
    Some(match base {
        "claude-sonnet-4" | "claude-sonnet-4-5" | "claude-sonnet-4-6" => {
            [3.0, 3.75, 6.0, 0.3, 15.0]
        }
        "claude-opus-4-1" => [15.0, 18.75, 30.0, 1.5, 75.0],
        "claude-opus-4-5" | "claude-opus-4-6" | "claude-opus-4-7" | "claude-opus-4-8"
        | "claude-opus-5" => [5.0, 6.25, 10.0, 0.5, 25.0],
        "claude-haiku-4-5" => [1.0, 1.25, 2.0, 0.1, 5.0],
        "claude-fable-5" => [10.0, 12.5, 20.0, 1.0, 50.0],
        // OpenRouter's free variants: "without cost" (openrouter.ai docs, model variants).
        m if m.ends_with(":free") => [0.0; 5],
        _ => return None,
    })
}

#[derive(Debug, Default, Clone, PartialEq)]
struct Expected {
    tokens: [u64; 5], // input, output, cache_read, write_5m, write_1h
    api_calls: u64,
    cost: Option<f64>,
    /// The cost of the usage read (`priced_cost_usd`), known also when `cost` is not because
    /// a subagent or workflow run the session names was not read.
    priced: Option<f64>,
}

fn num(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// Independent per-session totals over `files`.
fn expected(files: &[PathBuf]) -> BTreeMap<String, Expected> {
    // (session, response key) → (model, max counts)
    let mut responses: BTreeMap<(String, String), (String, [u64; 5])> = BTreeMap::new();
    // Subagents a session names (a Task result's `toolUseResult.agentId`, a progress line's
    // `data.agentId`), and those with a line of their own (`agentId`) among the files: one
    // named and not read leaves the session's cost unknown (its usage is missing).
    let mut named: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    let mut read = std::collections::BTreeSet::new();
    for f in files {
        // A workflow agent's file names its run only by its folder (`…/workflows/wf_<run>/`,
        // flattened in the corpus to `…__workflows__wf_<run>__agent-….jsonl`; FORMAT.md §1).
        let name = f.file_name().unwrap().to_str().unwrap();
        let parts: Vec<&str> = name.split("__").collect();
        let run = parts
            .windows(2)
            .find(|w| w[0] == "workflows")
            .map(|w| w[1].to_owned());
        for line in std::fs::read_to_string(f)
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let v: Value = serde_json::from_str(line).unwrap();
            let session = v["sessionId"].as_str().unwrap_or("").to_owned();
            match v["agentId"].as_str() {
                Some(agent) => {
                    read.insert(agent.to_owned());
                    read.extend(run.clone());
                }
                None => {
                    // A workflow launched (2.1.1xx `Workflow`): its result names a run, no agent.
                    let r = &v["toolUseResult"];
                    if r["taskType"] == "local_workflow" {
                        if let Some(run) = r["runId"].as_str() {
                            named
                                .entry(session.clone())
                                .or_default()
                                .insert(run.to_owned());
                        }
                    }
                    for n in [&v["toolUseResult"]["agentId"], &v["data"]["agentId"]] {
                        if let Some(n) = n.as_str() {
                            named
                                .entry(session.clone())
                                .or_default()
                                .insert(n.to_owned());
                        }
                    }
                }
            }
            let session = v["sessionId"].as_str().unwrap_or("").to_owned();
            // A subagent's line copied in an `agent_progress` line of its parent (2.1.22–2.1.77)
            // is a line of its response too (FORMAT.md §3.2), in the parent's session.
            let v = match (&v["type"], &v["data"]["type"]) {
                (t, d) if t == "progress" && d == "agent_progress" => &v["data"]["message"],
                _ => &v,
            };
            let usage = &v["message"]["usage"];
            if v["type"] != "assistant" || usage.is_null() {
                continue;
            }
            if v["isApiErrorMessage"] == true || v["message"]["model"] == "<synthetic>" {
                continue;
            }
            let key = match v["message"]["id"].as_str() {
                Some(id) => format!("{id}/{}", v["requestId"].as_str().unwrap_or("")),
                None => format!("uuid:{}", v["uuid"].as_str().unwrap_or("")),
            };
            let one = |u: &Value| {
                let w = num(&u["cache_creation_input_tokens"]);
                let w5 = num(&u["cache_creation"]["ephemeral_5m_input_tokens"]);
                let w1 = num(&u["cache_creation"]["ephemeral_1h_input_tokens"]);
                [
                    num(&u["input_tokens"]),
                    num(&u["output_tokens"]),
                    num(&u["cache_read_input_tokens"]),
                    w5 + w.saturating_sub(w5 + w1),
                    w1,
                ]
            };
            let counts = match usage["iterations"].as_array().filter(|a| !a.is_empty()) {
                Some(its) => its
                    .iter()
                    .map(one)
                    .fold([0; 5], |a, b| std::array::from_fn(|i| a[i] + b[i])),
                None => one(usage),
            };
            let model = v["message"]["model"]
                .as_str()
                .unwrap_or("unknown")
                .to_owned();
            let e = responses.entry((session, key)).or_insert((model, [0; 5]));
            for (slot, n) in e.1.iter_mut().zip(counts) {
                *slot = (*slot).max(n);
            }
        }
    }
    let mut out: BTreeMap<String, Expected> = BTreeMap::new();
    for ((session, _), (model, t)) in responses {
        let e = out.entry(session).or_insert(Expected {
            cost: Some(0.0),
            ..Expected::default()
        });
        for (slot, n) in e.tokens.iter_mut().zip(t) {
            *slot += n;
        }
        e.api_calls += 1;
        e.cost = match (e.cost, rates(&model)) {
            (Some(c), Some([input, w5, w1, read, output])) => Some(
                c + (t[0] as f64 * input
                    + t[1] as f64 * output
                    + t[2] as f64 * read
                    + t[3] as f64 * w5
                    + t[4] as f64 * w1)
                    / 1e6,
            ),
            _ => None,
        };
        e.priced = e.cost;
    }
    for (session, agents) in named {
        if let Some(e) = out.get_mut(&session) {
            if agents.iter().any(|a| !read.contains(a)) {
                e.cost = None;
            }
        }
    }
    out
}

fn got_tokens(t: &Value) -> [u64; 5] {
    [
        num(&t["input"]),
        num(&t["output"]),
        num(&t["cache_read"]),
        num(&t["cache_write_5m"]),
        num(&t["cache_write_1h"]),
    ]
}

fn check_sessions(json: &Value, want: &BTreeMap<String, Expected>, context: &str) {
    for (id, e) in want {
        let s = json["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["session_id"] == id.as_str())
            .unwrap_or_else(|| panic!("{context}: session {id} missing"));
        assert_eq!(got_tokens(&s["tokens"]), e.tokens, "{context}: {id} tokens");
        assert_eq!(
            num(&s["api_calls"]),
            e.api_calls,
            "{context}: {id} api calls"
        );
        match (e.cost, s["cost_usd"].as_f64()) {
            (Some(w), Some(g)) => {
                assert!((w - g).abs() < 0.0001, "{context}: {id} cost {g} vs {w}")
            }
            (None, None) => {}
            (w, _) => panic!("{context}: {id} cost {} vs {w:?}", s["cost_usd"]),
        }
        if let (Some(w), Some(g)) = (e.priced, s["priced_cost_usd"].as_f64()) {
            assert!((w - g).abs() < 0.0001, "{context}: {id} priced {g} vs {w}");
        }
    }
}

#[test]
fn every_fixture_matches_the_independent_totals() {
    for f in fixtures() {
        let json = summary(&[&f]);
        check_sessions(
            &json,
            &expected(std::slice::from_ref(&f)),
            &f.display().to_string(),
        );
    }
}

#[test]
fn the_whole_corpus_as_a_directory() {
    let dir = root().join("fixtures/corpus");
    let json = summary(&[&dir]);
    let want = expected(&fixtures());
    check_sessions(&json, &want, "corpus");
    let total: [u64; 5] = want
        .values()
        .fold([0; 5], |a, e| std::array::from_fn(|i| a[i] + e.tokens[i]));
    assert_eq!(got_tokens(&json["totals"]["tokens"]), total);
    assert_eq!(
        num(&json["totals"]["api_calls"]),
        want.values().map(|e| e.api_calls).sum::<u64>()
    );
    // Every session's model is priced (the OpenRouter one is a free variant), so the priced
    // total is the independent count's sum; austinweitao's 3e89eb15 launched three workflow
    // runs and the corpus kept one run's agent file, so the total cost is a lower bound.
    let cost: f64 = want.values().map(|e| e.priced.unwrap()).sum();
    let got = json["totals"]["priced_cost_usd"].as_f64().unwrap();
    assert!((got - cost).abs() < 0.0001, "total {got} vs {cost}");
    assert!(want.values().any(|e| e.cost.is_none()));
    assert_eq!(json["totals"]["cost_usd"], Value::Null);
    assert_eq!(json["malformed_lines"], 0);
}

#[test]
fn a_resumed_session_split_over_two_files_adds_up_to_the_whole() {
    let whole = fixture(
        "marot__spotter__test__fixtures__transcripts__258c7280-ae70-4798-800f-63464d01a85d.jsonl",
    );
    let text = std::fs::read_to_string(&whole).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let dir = temp_dir("split");
    let (a, b) = (dir.join("part1.jsonl"), dir.join("part2.jsonl"));
    // Cut in the middle of the session (and of a response's lines, as a resume can).
    let cut = lines.len() / 2;
    std::fs::write(&a, lines[..cut].join("\n") + "\n").unwrap();
    std::fs::write(&b, lines[cut..].join("\n") + "\n").unwrap();
    let one = summary(&[&whole]);
    let two = summary(&[&a, &b]);
    let pick = |j: &Value| {
        let s = &j["sessions"][0];
        (
            s["tokens"].clone(),
            s["api_calls"].clone(),
            s["tool_calls"].clone(),
            s["tool_errors"].clone(),
            s["cost_usd"].clone(),
            s["priced_cost_usd"].clone(),
        )
    };
    assert_eq!(two["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(pick(&one), pick(&two));
}

#[test]
fn subagent_files_count_once_in_their_parent_session() {
    let files = [
        fixture("marot__spotter__test__fixtures__transcripts__258c7280-ae70-4798-800f-63464d01a85d.jsonl"),
        fixture("marot__spotter__test__fixtures__transcripts__258c7280-ae70-4798-800f-63464d01a85d__subagents__agent-a881341.jsonl"),
        fixture("marot__spotter__test__fixtures__transcripts__258c7280-ae70-4798-800f-63464d01a85d__subagents__agent-acompact-fffbd0.jsonl"),
    ];
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let json = summary(&refs);
    let sessions = json["sessions"].as_array().unwrap();
    assert_eq!(
        sessions.len(),
        1,
        "subagent lines belong to the parent session"
    );
    assert_eq!(sessions[0]["subagents"], 2);
    check_sessions(&json, &expected(&files), "session with subagents");
    // The main file alone has fewer tokens: the subagents' own calls are added once.
    let main_only = summary(&[&files[0]]);
    assert!(
        num(&main_only["sessions"][0]["tokens"]["output"]) < num(&sessions[0]["tokens"]["output"])
    );
}

#[test]
fn inline_sidechain_runs_are_linked_to_their_task_calls() {
    // 1.0.98: 5 Task calls, 5 sidechain runs inline in the main file (FORMAT.md §1).
    let f = fixture("d-kimuson__claude-code-viewer__mock-global-claude-dir__projects__sample-project__fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl");
    let json = summary(&[&f]);
    let s = &json["sessions"][0];
    let agents = s["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 5);
    assert_eq!(num(&s["tools"]["Task"]["calls"]), 5);
    let mut linked: Vec<&str> = agents
        .iter()
        .map(|a| a["spawned_by"].as_str().expect("linked"))
        .collect();
    linked.sort_unstable();
    linked.dedup();
    assert_eq!(linked.len(), 5, "each run linked to its own Task call");
    // Their API calls are part of the session's, not added again.
    let sub_calls: u64 = agents.iter().map(|a| num(&a["api_calls"])).sum();
    assert!(sub_calls > 0 && sub_calls < num(&s["api_calls"]));
    // 2.1.x: a subagent file linked by toolUseResult.agentId; the compaction agent is not a Task's.
    let dir = [
        fixture("marot__spotter__test__fixtures__transcripts__258c7280-ae70-4798-800f-63464d01a85d.jsonl"),
        fixture("marot__spotter__test__fixtures__transcripts__258c7280-ae70-4798-800f-63464d01a85d__subagents__agent-a881341.jsonl"),
        fixture("marot__spotter__test__fixtures__transcripts__258c7280-ae70-4798-800f-63464d01a85d__subagents__agent-acompact-fffbd0.jsonl"),
    ];
    let refs: Vec<&Path> = dir.iter().map(PathBuf::as_path).collect();
    let json = summary(&refs);
    let agents = json["sessions"][0]["agents"].as_array().unwrap();
    let by_id = |id: &str| agents.iter().find(|a| a["agent_id"] == id).unwrap();
    assert!(by_id("a881341")["spawned_by"].is_string());
    assert_eq!(by_id("acompact-fffbd0")["compaction"], true);
}

/// The corpus's OpenRouter session with its model renamed from the free variant
/// (`nvidia/nemotron-…:free`, $0 by OpenRouter's documentation) to the paid id, which no table
/// prices: a real session of an unknown model. Written into `dir`.
fn unknown_model_session(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(fixture(
        "thejamesnick__agentic-wallet__claude-session.jsonl",
    ))
    .unwrap();
    assert!(text.contains("nemotron-3-super-120b-a12b-20230311:free"));
    let path = dir.join("unknown-model.jsonl");
    std::fs::write(
        &path,
        text.replace(
            "nemotron-3-super-120b-a12b-20230311:free",
            "nemotron-3-super-120b-a12b-20230311",
        ),
    )
    .unwrap();
    path
}

#[test]
fn an_openrouter_free_variant_costs_nothing() {
    let f = fixture("thejamesnick__agentic-wallet__claude-session.jsonl");
    let json = summary(&[&f]);
    let s = &json["sessions"][0];
    assert!(num(&s["tokens"]["input"]) + num(&s["tokens"]["cache_read"]) > 0);
    assert_eq!(s["cost_usd"].as_f64(), Some(0.0), "{s}");
    assert_eq!(s["unpriced_models"].as_array().map(Vec::len), Some(0));
    assert_eq!(json["totals"]["cost_usd"].as_f64(), Some(0.0));
}

#[test]
fn an_unknown_model_has_unknown_cost_never_zero() {
    let dir = temp_dir("unknown-model");
    let f = unknown_model_session(&dir);
    let json = summary(&[&f]);
    let s = &json["sessions"][0];
    assert!(s["cost_usd"].is_null());
    assert_eq!(
        s["unpriced_models"][0],
        "nvidia/nemotron-3-super-120b-a12b-20230311"
    );
    assert!(json["totals"]["cost_usd"].is_null());
    assert!(num(&s["tokens"]["input"]) > 0);
    let table = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .arg("--summary")
        .arg(&f)
        .output()
        .unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains("unknown: at least $0.00, no price for nvidia/"),
        "{text}"
    );
    assert!(!text.contains("cost      $0.00"), "{text}");
}

#[test]
fn a_price_file_prices_the_unknown_model() {
    let dir = temp_dir("pricing");
    let f = unknown_model_session(&dir);
    let prices = dir.join("prices.json");
    std::fs::write(
        &prices,
        r#"{"nvidia/nemotron-3-super-120b-a12b-20230311":{"input":1,"output":1,"cache_write_5m":1,"cache_write_1h":1,"cache_read":1}}"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["--summary", "--json", "--pricing"])
        .arg(&prices)
        .arg(&f)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = got_tokens(&json["sessions"][0]["tokens"]);
    let want = t.iter().sum::<u64>() as f64 / 1e6;
    let got = json["sessions"][0]["cost_usd"].as_f64().unwrap();
    assert!((got - want).abs() < 0.0001, "{got} vs {want}");
    std::fs::write(&prices, "not json").unwrap();
    let bad = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["--summary", "--pricing"])
        .arg(&prices)
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a price table"));
}

#[test]
fn tool_statistics_match_an_independent_pairing() {
    // Pair tool_use and tool_result by id in the test, on one real session.
    let f = fixture("Yael-Peretz__jgive-campaign-donation__transcript.jsonl");
    let mut calls: BTreeMap<String, String> = BTreeMap::new();
    let mut per_tool: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for line in std::fs::read_to_string(&f).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        for b in v["message"]["content"].as_array().into_iter().flatten() {
            if b["type"] == "tool_use" {
                let tool = b["name"].as_str().unwrap().to_owned();
                calls.insert(b["id"].as_str().unwrap().to_owned(), tool.clone());
                per_tool.entry(tool).or_default().0 += 1;
            }
            if b["type"] == "tool_result" && b["is_error"] == true {
                if let Some(tool) = calls.get(b["tool_use_id"].as_str().unwrap()) {
                    per_tool.entry(tool.clone()).or_default().1 += 1;
                }
            }
        }
    }
    let json = summary(&[&f]);
    let tools = &json["sessions"][0]["tools"];
    for (tool, (n, errors)) in &per_tool {
        assert_eq!(num(&tools[tool]["calls"]), *n, "{tool} calls");
        assert_eq!(num(&tools[tool]["errors"]), *errors, "{tool} errors");
    }
    assert_eq!(
        num(&json["sessions"][0]["tool_calls"]),
        per_tool.values().map(|t| t.0).sum::<u64>()
    );
}

/// The title `aegon --summary --json` gives session `id` (null when untitled or absent).
fn title_of(json: &Value, id: &str) -> Value {
    json["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session_id"] == id)
        .map_or(Value::Null, |s| s["title"].clone())
}

#[test]
fn a_summary_titles_the_session_its_leaf_belongs_to_in_any_order() {
    // sniffly's mock project: ff71dbed is a one-line summary file whose leafUuid is line 54 of
    // ba79134d; fed8ce56 opens with a summary whose leaf is in no file of the corpus.
    let name = |id: &str| {
        fixture(&format!(
            "chiphuyen__sniffly__tests__mock-data__-Users-chip-dev-ai-music__{id}.jsonl"
        ))
    };
    let (session, other, summary_file) = (
        name("ba79134d-b6e9-4867-af0c-6941038c9e4b"),
        name("fed8ce56-bc79-401f-a83e-af084253362f"),
        name("ff71dbed-a4f2-4284-a4fc-fe2fb90de929"),
    );
    let leaf_first = summary(&[&session, &other, &summary_file]);
    let summary_first = summary(&[&summary_file, &other, &session]);
    for json in [&leaf_first, &summary_first] {
        assert_eq!(
            title_of(json, "ba79134d-b6e9-4867-af0c-6941038c9e4b"),
            "AI Music Generation from Word Embeddings"
        );
        // Its own summary describes a session that is not there: no title from it.
        assert_eq!(
            title_of(json, "fed8ce56-bc79-401f-a83e-af084253362f"),
            Value::Null
        );
        assert_eq!(json["sessions"].as_array().unwrap().len(), 2);
    }
}

/// A pipe or a FIFO named as a file is read once, from its start, whatever `--threads` says:
/// `/dev/stdin` on a pipe (as bash's `<(cat FILE)` is), and a FIFO a writer fills once. The
/// parallel summary used to read its first bytes to group it, then open it again: empty (a
/// pipe), or a wait that never ended (a FIFO whose writer was gone).
#[cfg(unix)]
#[test]
fn a_pipe_or_a_fifo_named_as_a_file_is_read_once() {
    use std::io::Write;
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let f = fixture(
        "chiphuyen__sniffly__tests__mock-data__-Users-chip-dev-ai-music__ba79134d-b6e9-4867-af0c-6941038c9e4b.jsonl",
    );
    let want = expected(std::slice::from_ref(&f));
    assert_eq!(want.len(), 1);
    let bytes = std::fs::read(&f).unwrap();
    // Waits for aegon at most a minute (the FIFO hang never ended), then checks its summary.
    let check = |mut child: std::process::Child, context: &str| {
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("{context}: aegon still running after 60 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{context}: {err}");
        assert!(!err.contains("empty"), "{context}: {err}");
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["totals"]["sessions"], 1, "{context}");
        check_sessions(&json, &want, context);
    };
    for threads in ["1", "4"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aegon"))
            .args(["--summary", "--json", "-j", threads, "/dev/stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let feeder = feed_stdin(&mut child, bytes.clone(), Reads::All);
        check(child, &format!("/dev/stdin on a pipe, -j {threads}"));
        feeder.finish();
    }
    let dir = temp_dir("summary-fifo");
    let fifo = dir.join("p");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let child = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args([Path::new("--summary"), Path::new("--json"), &fifo])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let path = fifo.clone();
    // Opening for writing waits for the reader; the writer then closes, as `cat FILE > p` does.
    std::thread::spawn(move || {
        if let Ok(mut w) = std::fs::OpenOptions::new().write(true).open(&path) {
            let _ = w.write_all(&bytes);
        }
    });
    check(child, "a FIFO");
}

/// tester13 #3: a subagent run in the background (its Task result
/// `{"isAsync":true,"status":"async_launched","agentId":…}`, no `totalToolUseCount`) whose
/// transcript was not read makes the cost a lower bound whichever is read first, the call or
/// the result (the result's file sorting first made it look complete).
#[test]
fn a_background_subagent_not_read_is_a_lower_bound_whatever_the_read_order() {
    let session = "11111111-2222-3333-4444-555555555555";
    let line = |uuid: &str, ts: u32, rest: Value| {
        let mut v = serde_json::json!({"parentUuid": null, "isSidechain": false, "cwd": "/w",
            "sessionId": session, "version": "2.1.39", "uuid": uuid,
            "timestamp": format!("2026-11-30T10:00:{ts:02}.000Z")});
        for (k, x) in rest.as_object().unwrap() {
            v[k] = x.clone();
        }
        format!("{v}\n")
    };
    let usage = serde_json::json!({"input_tokens": 1000, "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0, "output_tokens": 100});
    let call = line(
        "u1",
        1,
        serde_json::json!({"type": "user",
            "message": {"role": "user", "content": "do it"}}),
    ) + &line(
        "u2",
        2,
        serde_json::json!({"type": "assistant", "requestId": "req_a",
            "message": {"model": "claude-sonnet-4-5-20250929", "id": "msg_a", "type": "message",
                "role": "assistant", "usage": usage,
                "content": [{"type": "tool_use", "id": "toolu_T1", "name": "Task",
                    "input": {"description": "x", "prompt": "look"}}]}}),
    );
    let result = line(
        "u3",
        3,
        serde_json::json!({"type": "user",
            "message": {"role": "user", "content": [{"type": "tool_result",
                "tool_use_id": "toolu_T1", "content": "launched"}]},
            "toolUseResult": {"isAsync": true, "status": "async_launched", "agentId": "abg0001",
                "description": "x", "prompt": "look"}}),
    ) + &line(
        "u4",
        4,
        serde_json::json!({"type": "assistant", "requestId": "req_b",
            "message": {"model": "claude-sonnet-4-5-20250929", "id": "msg_b", "type": "message",
                "role": "assistant", "usage": usage,
                "content": [{"type": "text", "text": "done"}]}}),
    );
    for (first, second) in [(&call, &result), (&result, &call)] {
        let dir = temp_dir("background-subagent");
        std::fs::write(dir.join("1.jsonl"), first).unwrap();
        std::fs::write(dir.join("2.jsonl"), second).unwrap();
        let (json, err, code) = summary_run(&dir);
        let first_is_call = std::ptr::eq(first, &call);
        assert_eq!(json["totals"]["api_calls"], 2, "call first {first_is_call}");
        assert_eq!(
            json["totals"]["cost_usd"],
            Value::Null,
            "call first {first_is_call}"
        );
        assert!(
            err.contains("subagent abg0001"),
            "call first {first_is_call}: {err}"
        );
        assert_eq!(code, Some(1), "call first {first_is_call}: {err}");
    }
}

/// tester13 #1: a resumed session (the original's lines copied under a new session id, as
/// bugs/08-resume-copy) names the original's subagent, whose transcript carries the original's
/// session id: read in the run, so neither session's cost is a lower bound, whichever file
/// sorts first, in `--summary` and in the OTLP root spans.
#[test]
fn a_subagent_read_under_the_original_session_is_read_for_its_resumed_copy() {
    let id = MAROT;
    let name = marot;
    let original = std::fs::read_to_string(name("")).unwrap();
    for copy in [
        "00000000-aaaa-bbbb-cccc-000000000000",
        "ffffffff-aaaa-bbbb-cccc-000000000000",
    ] {
        let dir = temp_dir("resumed-copy-subagent");
        let subagents = dir.join(id).join("subagents");
        std::fs::create_dir_all(&subagents).unwrap();
        std::fs::write(dir.join(format!("{id}.jsonl")), &original).unwrap();
        for agent in ["a881341", "acompact-fffbd0"] {
            std::fs::copy(
                name(&format!("__subagents__agent-{agent}")),
                subagents.join(format!("agent-{agent}.jsonl")),
            )
            .unwrap();
        }
        std::fs::write(
            dir.join(format!("{copy}.jsonl")),
            original.replace(id, copy),
        )
        .unwrap();
        let (json, err, code) = summary_run(&dir);
        assert_eq!(code, Some(0), "copy {copy}: {err}");
        assert!(!err.contains("subagent a881341"), "copy {copy}: {err}");
        assert_eq!(json["totals"]["api_calls"], 156, "copy {copy}");
        assert_eq!(json["totals"]["cost_usd"], 12.2257, "copy {copy}");
        for s in json["sessions"].as_array().unwrap() {
            assert_eq!(s["cost_usd"], s["priced_cost_usd"], "copy {copy}: {s}");
        }
        // Every root span with usage carries its cost.
        let (code, roots) = otlp_root_spans(&dir);
        assert_eq!(code, Some(0), "copy {copy}");
        assert!(!roots.is_empty(), "copy {copy}: no root span");
        for (has_cost, span) in roots {
            assert!(has_cost, "copy {copy}: {span}");
        }
    }
}

/// A session read without the transcript of a subagent it names (marot's 258c7280 without
/// `subagents/agent-a881341.jsonl`: its file alone, or piped on stdin): that usage is counted
/// only from the copies of its responses in the session's `agent_progress` lines (two of its
/// three, $0.1359 of its $0.2634), so the cost is a lower bound in every form (JSON `cost_usd`
/// null beside the priced $11.9899, the text's "at least" with the reason), and the run exits
/// with 1, as when usage could not be read whole (tester11 #9: $11.85 shown as complete, exit
/// 0). With its file, read before or after the session's, the copies add nothing: $12.2257.
#[test]
fn a_subagent_named_and_not_read_makes_the_cost_a_lower_bound() {
    let parent = fixture(
        "marot__spotter__test__fixtures__transcripts__258c7280-ae70-4798-800f-63464d01a85d.jsonl",
    );
    let run = |args: &[&str], stdin: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aegon"));
        cmd.args(args);
        if stdin {
            cmd.arg("-").stdin(std::fs::File::open(&parent).unwrap());
        } else {
            cmd.arg(&parent);
        }
        let out = cmd.output().unwrap();
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
            out.status.code(),
        )
    };
    for stdin in [false, true] {
        let (json, err, code) = run(&["--summary", "--json"], stdin);
        let json: Value = serde_json::from_str(&json).unwrap();
        for v in [&json["totals"], &json["sessions"][0]] {
            assert_eq!(v["cost_usd"], Value::Null, "stdin {stdin}");
            assert_eq!(v["priced_cost_usd"], 11.9899, "stdin {stdin}");
        }
        assert!(err.contains("subagent a881341"), "{err}");
        assert_eq!(code, Some(1), "stdin {stdin}: {err}");
        let (text, _, code) = run(&["--summary"], stdin);
        assert!(
            text.contains(
                "cost unknown: at least $11.99, usage of subagents whose transcript was not read (a881341)"
            ),
            "{text}"
        );
        assert_eq!(code, Some(1));
    }
    // With the subagent's file, the cost is known and complete.
    let sub = fixture("marot__spotter__test__fixtures__transcripts__258c7280-ae70-4798-800f-63464d01a85d__subagents__agent-a881341.jsonl");
    let compact = fixture("marot__spotter__test__fixtures__transcripts__258c7280-ae70-4798-800f-63464d01a85d__subagents__agent-acompact-fffbd0.jsonl");
    let json = summary(&[&parent, &sub, &compact]);
    assert_eq!(
        json["totals"]["cost_usd"],
        json["totals"]["priced_cost_usd"]
    );
    assert_eq!(json["totals"]["cost_usd"], 12.2257);
    assert_eq!(json["totals"]["api_calls"], 156);
    // The subagent's file first: the same summary, to the cost by tool (its WebFetch calls'
    // responses are the ones the parent copied).
    let sessions = |j: &Value| j["sessions"].to_string();
    assert_eq!(
        sessions(&summary(&[&sub, &compact, &parent])),
        sessions(&json)
    );
    assert_eq!(
        json["sessions"][0]["cost_explained"]["tools"]["WebFetch"],
        0.1359
    );
}

/// tester13 #5: a Claude Code 2.1.1xx session that launched workflow runs (`Workflow` results
/// `{"status":"async_launched","taskType":"local_workflow","runId":"wf_…"}`, which name no
/// agent) is a lower bound while a run has no agent's line read: austinweitao's 3e89eb15
/// (3 runs) alone was shown complete at $8.9374, and with its one run's agent file
/// (`SESSION/subagents/workflows/wf_4af3c93a-ada/agent-a340795228348a5a6.jsonl`, the only one
/// the backup kept) complete at $10.0149, two runs still unread. With a file in every run's
/// folder (the one agent's lines under other uuids and agent ids: its responses count once),
/// the cost is known.
#[test]
fn a_workflow_run_with_no_agent_read_makes_the_cost_a_lower_bound() {
    let id = "3e89eb15-32e7-43f8-8734-8d47310263ea";
    let prefix = "austinweitao__claude-backup__projects__-home-cwtrocks-android-avd__";
    let session = fixture(&format!("{prefix}sessions__{id}.jsonl"));
    let agent = fixture(&format!(
        "{prefix}subagents__{id}__workflows__wf_4af3c93a-ada__agent-a340795228348a5a6.jsonl"
    ));
    let runs = ["wf_4af3c93a-ada", "wf_9cab1d1d-783", "wf_f5b3cd7b-844"];
    for read in [0, 1, 3] {
        let dir = temp_dir("workflow-runs");
        std::fs::copy(&session, dir.join(format!("{id}.jsonl"))).unwrap();
        let lines = std::fs::read_to_string(&agent).unwrap();
        for (i, run) in runs[..read].iter().enumerate() {
            let folder = dir.join(id).join("subagents/workflows").join(run);
            std::fs::create_dir_all(&folder).unwrap();
            // The copies' lines made other lines (a repeated line counts once, unapplied): their
            // uuids and agent id changed; their responses (message ids) still count once.
            let copy = lines
                .replace("a340795228348a5a6", &format!("a34079522834800{i}"))
                .replace("\"uuid\":\"", &format!("\"uuid\":\"{i}"));
            std::fs::write(folder.join(format!("agent-a34079522834800{i}.jsonl")), copy).unwrap();
        }
        let (json, err, code) = summary_run(&dir);
        let totals = &json["totals"];
        let (calls, priced) = if read == 0 {
            (43, 8.9374)
        } else {
            (49, 10.0149)
        };
        assert_eq!(totals["api_calls"], calls, "{read} runs read");
        assert_eq!(totals["priced_cost_usd"], priced, "{read} runs read");
        for (i, run) in runs.iter().enumerate() {
            assert_eq!(err.contains(run), i >= read, "{read} runs read: {err}");
        }
        if read == runs.len() {
            assert_eq!(totals["cost_usd"], priced, "{err}");
            assert_eq!(code, Some(0), "{err}");
        } else {
            assert_eq!(totals["cost_usd"], Value::Null, "{read} runs read");
            assert_eq!(code, Some(1), "{read} runs read: {err}");
        }
    }
}

/// tester13 #6: a subagent transcript cut after its prompt line (a copy taken early, a
/// truncated backup) holds none of the usage its Task result records (marot 258c7280's
/// a881341: `totalTokens` 43,179): its usage is missing as when no line of it was read, so
/// the cost is a lower bound in `--summary` and on the OTLP root span, exit 1 (the repro, without
/// the compaction agent, showed $11.8539 as complete). The copies of two of its responses in
/// the session's `agent_progress` lines count, and do not stand for it. With one of its API
/// responses read, its usage counts as read.
#[test]
fn a_subagent_transcript_holding_only_its_prompt_is_a_lower_bound() {
    let id = MAROT;
    let name = marot;
    let sub = std::fs::read_to_string(name("__subagents__agent-a881341")).unwrap();
    let compact = name("__subagents__agent-acompact-fffbd0");
    for (lines, complete) in [(1, false), (2, true)] {
        let dir = temp_dir("prompt-only-subagent");
        let subagents = dir.join(id).join("subagents");
        std::fs::create_dir_all(&subagents).unwrap();
        std::fs::copy(name(""), dir.join(format!("{id}.jsonl"))).unwrap();
        std::fs::copy(&compact, subagents.join("agent-acompact-fffbd0.jsonl")).unwrap();
        let head: String = sub.split_inclusive('\n').take(lines).collect();
        std::fs::write(subagents.join("agent-a881341.jsonl"), head).unwrap();
        let (json, err, code) = summary_run(&dir);
        let totals = &json["totals"];
        assert_eq!(
            err.contains("subagent a881341"),
            !complete,
            "{lines}: {err}"
        );
        if complete {
            assert_eq!(totals["cost_usd"], totals["priced_cost_usd"], "{lines}");
            assert_eq!(code, Some(0), "{lines}: {err}");
        } else {
            assert_eq!(totals["cost_usd"], Value::Null, "{lines}");
            // The compaction agent's and the copies of two of a881341's responses.
            assert_eq!(totals["priced_cost_usd"], 12.0983, "{lines}");
            assert_eq!(code, Some(1), "{lines}: {err}");
        }
        // The OTLP root span carries the cost only when --summary knows it.
        let (_, roots) = otlp_root_spans(&dir);
        assert!(!roots.is_empty(), "{lines}: no root span");
        for (has_cost, span) in roots {
            assert_eq!(has_cost, complete, "{lines}: {span}");
        }
    }
}

/// Lines skipped for `--max-line` that may hold usage make every cost a lower bound, as the
/// other cases of unknown cost show it (tester15 #5: the cost was shown known and complete).
/// In the real corpus file, 6 lines are over 4 KiB: one assistant line (line 10, holding a
/// response's `usage`; an independent check with Python found `usage"` in it alone) and 5 user
/// lines. Skipped at `--max-line 4K`: `cost_usd` null, for the session and the totals, the
/// known part in `priced_cost_usd`, and the text says why; skipped at 9K (line 10 read), the
/// cost is known again, and equals the whole file's.
#[test]
fn lines_skipped_for_max_line_that_may_hold_usage_make_the_cost_a_lower_bound() {
    let file = fixture("apanloco__random__session.jsonl");
    let run = |max: &str, json: bool| {
        let mut args = vec!["--summary", "--max-line", max];
        if json {
            args.push("--json");
        }
        let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
            .args(&args)
            .arg(&file)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, text) = run("4K", true);
    assert_eq!(code, Some(1));
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["malformed_by_reason"]["too_long"], 6, "{doc}");
    assert_eq!(doc["totals"]["cost_usd"], Value::Null);
    assert_eq!(doc["sessions"][0]["cost_usd"], Value::Null);
    assert_eq!(doc["totals"]["priced_cost_usd"], 0.546);
    let (_, text) = run("4K", false);
    assert!(
        text.contains("cost unknown: at least $0.55, 1 line skipped for --max-line may hold usage"),
        "{text}"
    );
    let (whole, _, _) = summary_run(&file);
    let (code, text) = run("9K", true);
    assert_eq!(code, Some(1), "5 user lines still skipped");
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["totals"]["cost_usd"], 0.6113);
    assert_eq!(doc["totals"]["cost_usd"], whole["totals"]["cost_usd"]);
}
