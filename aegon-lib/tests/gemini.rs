//! Gemini CLI files (fixtures/agents/gemini/) through the pipeline, checked against counts
//! computed here from FORMAT.md §2's rules on serde_json Values, without aegon's code:
//! usage per `gemini` message (`input − cached`, `cached`, `output + thoughts`), JSONL
//! messages deduplicated by `id` keeping the last copy, tool calls and their failures from
//! `toolCalls[]`, user messages that are not only `functionResponse` parts, `info`/`error`
//! messages, `logs.json` entries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aegon::render::ndjson::NdjsonRenderer;
use aegon::{Options, Pipeline};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/agents/gemini")
}

fn fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "jsonl"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 16, "the 16 Gemini CLI fixtures");
    files
}

/// The NDJSON of `chunks` read as one input named `name`.
fn ndjson(name: &str, chunks: &[&[u8]]) -> Vec<u8> {
    let mut pipeline = Pipeline::new(Options::default(), NdjsonRenderer::new(Vec::new()));
    let mut input = pipeline.open(name);
    for c in chunks {
        let _ = pipeline.push(&mut input, c).unwrap();
    }
    let _ = pipeline.close(input).unwrap();
    let (renderer, _) = pipeline.finish().unwrap();
    renderer.into_inner()
}

fn events(name: &str, bytes: &[u8]) -> Vec<Value> {
    let out = ndjson(name, &[bytes]);
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("each NDJSON line is JSON"))
        .collect()
}

fn num(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// What the rules say a file holds.
#[derive(Debug, Default, PartialEq)]
struct Counts {
    /// input (uncached), output (thoughts included), cache read, reasoning.
    tokens: [u64; 4],
    usage_events: u64,
    /// user messages that are typed (prompt or injected context): not only tool responses.
    typed: u64,
    thoughts: u64,
    tool_calls: u64,
    tool_results: u64,
    tool_errors: u64,
    infos: u64,
    errors: u64,
    log_entries: u64,
}

/// The messages of a chat file: a JSON document's `messages`, or a JSONL file's message lines
/// deduplicated by `id`, keeping the last copy (FORMAT.md §2.3).
fn messages(text: &str) -> Vec<Value> {
    if let Ok(doc) = serde_json::from_str::<Value>(text) {
        return doc["messages"].as_array().cloned().unwrap_or_default();
    }
    let mut order = Vec::new();
    let mut last: BTreeMap<String, Value> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        let Some(id) = v["id"].as_str() else { continue };
        if !last.contains_key(id) {
            order.push(id.to_owned());
        }
        last.insert(id.to_owned(), v);
    }
    order
        .into_iter()
        .map(|id| last.remove(&id).unwrap())
        .collect()
}

fn expected(path: &Path) -> Counts {
    let text = std::fs::read_to_string(path).unwrap();
    let mut c = Counts::default();
    if text.trim_start().starts_with('[') {
        let doc: Value = serde_json::from_str(&text).unwrap();
        c.log_entries = doc.as_array().unwrap().len() as u64;
        return c;
    }
    for m in messages(&text) {
        match m["type"].as_str().unwrap() {
            "gemini" => {
                if let Some(t) = m["tokens"].as_object() {
                    let (input, cached) = (num(&t["input"]), num(&t["cached"]));
                    let (output, thoughts) = (num(&t["output"]), num(&t["thoughts"]));
                    c.tokens[0] += input - cached + num(&t["tool"]);
                    c.tokens[1] += output + thoughts;
                    c.tokens[2] += cached;
                    c.tokens[3] += thoughts;
                    c.usage_events += 1;
                }
                c.thoughts += m["thoughts"].as_array().map_or(0, |t| t.len() as u64);
                for call in m["toolCalls"].as_array().into_iter().flatten() {
                    c.tool_calls += 1;
                    let status = call["status"].as_str().unwrap_or("");
                    if ["success", "error", "cancelled"].contains(&status) {
                        c.tool_results += 1;
                    }
                    if status == "error" || status == "cancelled" {
                        c.tool_errors += 1;
                    }
                }
            }
            "user" => {
                let only_responses = m["content"].as_array().is_some_and(|parts| {
                    !parts.is_empty() && parts.iter().all(|p| p.get("functionResponse").is_some())
                });
                if !only_responses {
                    c.typed += 1;
                }
            }
            "info" => c.infos += 1,
            "error" => c.errors += 1,
            other => panic!("type {other} not in FORMAT.md"),
        }
    }
    c
}

fn kinds(events: &[Value]) -> BTreeMap<String, u64> {
    let mut k = BTreeMap::new();
    for e in events {
        *k.entry(e["kind"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    k
}

fn got(events: &[Value]) -> Counts {
    let k = kinds(events);
    let n = |name: &str| k.get(name).copied().unwrap_or(0);
    let mut c = Counts::default();
    for e in events.iter().filter(|e| e["kind"] == "usage") {
        c.tokens[0] += num(&e["input"]);
        c.tokens[1] += num(&e["output"]);
        c.tokens[2] += num(&e["cache_read"]);
        c.tokens[3] += num(&e["reasoning_output"]);
    }
    let logs = events
        .iter()
        .filter(|e| e["source"]["file"].as_str().unwrap().ends_with("logs.json"))
        .count() as u64;
    c.usage_events = n("usage");
    c.typed = if logs > 0 {
        0
    } else {
        n("user_prompt") + n("user_meta")
    };
    c.log_entries = if logs > 0 { n("user_prompt") } else { 0 };
    c.thoughts = n("thinking");
    c.tool_calls = n("tool_call");
    c.tool_results = n("tool_result");
    c.tool_errors = events
        .iter()
        .filter(|e| e["kind"] == "tool_result" && e["is_error"] == true)
        .count() as u64;
    c.infos = n("interrupt")
        + events
            .iter()
            .filter(|e| e["kind"] == "system" && e["subtype"] == "info")
            .count() as u64;
    c.errors = n("api_error")
        + events
            .iter()
            .filter(|e| e["kind"] == "system" && e["subtype"] == "error")
            .count() as u64;
    c
}

#[test]
fn every_fixture_matches_the_independent_counts() {
    let mut usage_total = 0;
    for f in fixtures() {
        let name = f.file_name().unwrap().to_str().unwrap().to_owned();
        let events = events(&name, &std::fs::read(&f).unwrap());
        assert!(
            events.iter().all(|e| e["agent"] == "gemini-cli"),
            "{name}: every event is Gemini CLI's"
        );
        assert_eq!(
            kinds(&events).get("malformed"),
            None,
            "{name}: nothing malformed"
        );
        let want = expected(&f);
        assert_eq!(got(&events), want, "{name}");
        usage_total += want.usage_events;
    }
    // FORMAT.md §2.2 counts 737 messages with tokens over all chat files, the held-out ones
    // included; the shipped ones hold most of them.
    assert!(usage_total > 300, "{usage_total} usage events");
}

#[test]
fn every_event_is_placed_at_its_message() {
    // Each event's source offset is where its message's object (or log entry) starts: `{` on
    // the line it names.
    for f in fixtures() {
        let bytes = std::fs::read(&f).unwrap();
        let name = f.file_name().unwrap().to_str().unwrap().to_owned();
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(memchr_positions(&bytes).map(|i| i + 1))
            .collect();
        for e in events(&name, &bytes) {
            let offset = num(&e["source"]["offset"]) as usize;
            let line = num(&e["source"]["line"]) as usize;
            if e["kind"] == "title" {
                assert_eq!(bytes[offset], b'"', "{name}: a title is at its string");
            } else {
                assert_eq!(bytes[offset], b'{', "{name}: {e}");
            }
            assert!(
                line_starts[line - 1] <= offset
                    && line_starts.get(line).is_none_or(|&next| offset < next),
                "{name}: offset {offset} is on line {line}"
            );
        }
    }
}

fn memchr_positions(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
}

/// The JSONL fixture where 53 of 87 `gemini` messages are written again with their tool calls.
const REAPPENDED: &str =
    "wingorithm__Vibe-Coding-Comparison-Project__.gemini__tmp__ticketing-vc__chats__session-2026-04-25T08-46-c737eb36.jsonl";

#[test]
fn a_reappended_message_counts_its_usage_once_and_brings_its_tool_calls() {
    let path = dir().join(REAPPENDED);
    let text = std::fs::read_to_string(&path).unwrap();
    // Independently: ids written twice, and the tool calls only their later copy holds.
    let mut copies: BTreeMap<String, Vec<(usize, Value)>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let v: Value = serde_json::from_str(line).unwrap();
        if let Some(id) = v["id"].as_str() {
            copies.entry(id.to_owned()).or_default().push((i + 1, v));
        }
    }
    let twice: Vec<_> = copies.values().filter(|c| c.len() == 2).collect();
    assert!(twice.len() > 40, "the fixture re-appends messages");
    let events = events(REAPPENDED, text.as_bytes());
    for c in &twice {
        let (first_line, first) = &c[0];
        let (later_line, later) = &c[1];
        let id = first["id"].as_str().unwrap();
        assert!(first.get("toolCalls").is_none() && later.get("toolCalls").is_some());
        let of = |kind: &str| -> Vec<&Value> {
            events
                .iter()
                .filter(|e| e["kind"] == kind && e["message_id"] == id)
                .collect()
        };
        let usage = of("usage");
        assert_eq!(usage.len(), 1, "{id}: usage once");
        assert_eq!(num(&usage[0]["source"]["line"]), *first_line as u64);
        let calls = of("tool_call");
        assert_eq!(calls.len(), later["toolCalls"].as_array().unwrap().len());
        assert!(calls
            .iter()
            .all(|e| num(&e["source"]["line"]) == *later_line as u64));
        for e in of("assistant_text").iter().chain(of("thinking").iter()) {
            assert_eq!(
                num(&e["source"]["line"]),
                *first_line as u64,
                "{id}: text once"
            );
        }
    }
}

/// The main session with subagents (agunginsani/expenses-tracker).
const MAIN: &str =
    "agunginsani__expenses-tracker__.gemini__tmp__agunginsani__chats__session-2026-04-12T01-18-01b2c62e.json";
const SUBAGENT: &str = "agunginsani__expenses-tracker__.gemini__tmp__agunginsani__chats__01b2c62e-cba4-4088-8755-b240504efb70__ngzcxj.json";

#[test]
fn a_subagent_file_is_a_sidechain_of_the_session_its_folder_names() {
    let bytes = std::fs::read(dir().join(SUBAGENT)).unwrap();
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(doc["kind"], "subagent");
    for name in [
        SUBAGENT.to_owned(),
        "/home/u/.gemini/tmp/agunginsani/chats/01b2c62e-cba4-4088-8755-b240504efb70/ngzcxj.json"
            .to_owned(),
    ] {
        let events = events(&name, &bytes);
        assert!(!events.is_empty());
        for e in &events {
            assert_eq!(e["session_id"], "01b2c62e-cba4-4088-8755-b240504efb70");
            assert_eq!(e["agent_id"], doc["sessionId"]);
            assert_eq!(e["sidechain"], true);
        }
    }
    // The workspace (not in NDJSON): the file's `directories[0]`.
    let mut cwds = Vec::new();
    let _ = aegon::format::gemini::decode_document(SUBAGENT, &bytes, 1, 0, &mut |e| {
        cwds.push(e.cwd.map(|c| c.into_owned()));
        std::ops::ControlFlow::Continue(())
    });
    assert!(!cwds.is_empty());
    assert!(cwds
        .iter()
        .all(|c| c.as_deref() == doc["directories"][0].as_str()));
    // Under another name, the subagent is its own session, still a sidechain.
    let events = events("renamed.json", &bytes);
    assert!(events
        .iter()
        .all(|e| e["session_id"] == "ngzcxj" && e["sidechain"] == true));
    // The main file's summary titles its session.
    let main = std::fs::read(dir().join(MAIN)).unwrap();
    let doc: Value = serde_json::from_slice(&main).unwrap();
    let titles: Vec<_> = events_of(MAIN, &main, "title");
    assert_eq!(titles.len(), 1);
    assert_eq!(titles[0]["title"], doc["summary"]);
    assert_eq!(titles[0]["session_id"], doc["sessionId"]);
}

fn events_of(name: &str, bytes: &[u8], kind: &str) -> Vec<Value> {
    events(name, bytes)
        .into_iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

#[test]
fn tool_results_written_again_as_user_messages_count_once() {
    // bhanu7410/personal_finance (2026-06): 80 user messages repeat tool results.
    let name = "bhanu7410__personal_finance__gemini_session.json";
    let bytes = std::fs::read(dir().join(name)).unwrap();
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let mut call_ids = Vec::new();
    let mut repeated = 0;
    for m in doc["messages"].as_array().unwrap() {
        for call in m["toolCalls"].as_array().into_iter().flatten() {
            call_ids.push(call["id"].as_str().unwrap().to_owned());
        }
        for p in m["content"].as_array().into_iter().flatten() {
            if let Some(id) = p["functionResponse"]["id"].as_str() {
                assert!(
                    call_ids.iter().any(|c| c == id),
                    "{id} answers an earlier call"
                );
                repeated += 1;
            }
        }
    }
    assert!(repeated >= 80);
    let results = events_of(name, &bytes, "tool_result");
    assert_eq!(results.len(), call_ids.len());
    let mut ids: Vec<_> = results
        .iter()
        .map(|e| e["tool_use_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    call_ids.sort();
    assert_eq!(ids, call_ids);
    // The injected session context is not a prompt.
    let meta = events_of(name, &bytes, "user_meta");
    assert!(meta
        .iter()
        .any(|e| e["text"].as_str().unwrap().starts_with("<session_context>")));
    assert!(events_of(name, &bytes, "user_prompt")
        .iter()
        .all(|e| !e["text"].as_str().unwrap().starts_with("<session_context>")));
}

#[test]
fn a_cut_document_yields_the_messages_before_the_cut_and_one_truncated_event() {
    let name = MAIN;
    let bytes = std::fs::read(dir().join(name)).unwrap();
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let all = doc["messages"].as_array().unwrap();
    // Cut before the header says what it is, the file is no known format: still one event.
    let events_1 = events(name, &bytes[..1]);
    assert_eq!(events_1.len(), 1);
    assert_eq!(events_1[0]["kind"], "malformed");
    for cut in [bytes.len() / 3, bytes.len() / 2, bytes.len() - 10, 100, 40] {
        let head = &bytes[..cut];
        let events = events(name, head);
        let malformed: Vec<_> = events.iter().filter(|e| e["kind"] == "malformed").collect();
        assert_eq!(malformed.len(), 1, "cut at {cut}: one malformed event");
        let m = malformed[0];
        assert_eq!(m["reason"], "truncated");
        assert_eq!(
            num(&m["error_offset"]),
            cut as u64,
            "cut at {cut}: says where"
        );
        let line = 1 + head.iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!(
            num(&m["source"]["line"]),
            line,
            "cut at {cut}: on the cut's line"
        );
        // Independently: the messages whose text ends before the cut.
        let text = std::str::from_utf8(head).unwrap_or("");
        let whole = all
            .iter()
            .filter(|msg| {
                let id = msg["id"].as_str().unwrap();
                let Some(start) = text.find(&format!("\"id\": \"{id}\"")) else {
                    return false;
                };
                // The message's object closes at the next `\n    }` (4-space indent).
                text[start..].contains("\n    }")
            })
            .count();
        let usage = all
            .iter()
            .take(whole)
            .filter(|m| m["tokens"].is_object())
            .count();
        let got_usage = events.iter().filter(|e| e["kind"] == "usage").count();
        assert_eq!(
            got_usage, usage,
            "cut at {cut}: usage of the whole messages"
        );
        assert!(
            m["message"]
                .as_str()
                .unwrap()
                .contains(&format!("the {whole} whole message")),
            "{}",
            m["message"]
        );
    }
}

#[test]
fn damaged_jsonl_lines_are_reported_where_they_are() {
    let path = dir().join(REAPPENDED);
    let mut bytes = std::fs::read(&path).unwrap();
    let clean = events(REAPPENDED, &bytes);
    let garbage_at = bytes.len() as u64;
    bytes.extend_from_slice(b"not json at all\n");
    let bad_utf8_at = bytes.len() as u64;
    bytes.extend_from_slice(b"{\"id\":\"z1\",\"type\":\"user\",\"content\":\"caf\xE9\"}\n");
    let cut_at = bytes.len() as u64;
    bytes.extend_from_slice(b"{\"id\":\"z2\",\"type\":\"gemini\",\"tokens\":{\"input\":");
    let events = events(REAPPENDED, &bytes);
    let malformed: Vec<_> = events.iter().filter(|e| e["kind"] == "malformed").collect();
    let reasons: Vec<_> = malformed
        .iter()
        .map(|e| (e["reason"].as_str().unwrap(), num(&e["source"]["offset"])))
        .collect();
    assert_eq!(
        reasons,
        [
            ("invalid_json", garbage_at),
            ("invalid_utf8", bad_utf8_at),
            ("truncated", cut_at)
        ]
    );
    // The prompt with the bad byte is still read, and the rest is as before.
    let prompts = events.iter().filter(|e| e["kind"] == "user_prompt").count();
    let clean_prompts = clean.iter().filter(|e| e["kind"] == "user_prompt").count();
    assert_eq!(prompts, clean_prompts + 1);
}

#[test]
fn chunking_does_not_change_the_output() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for name in [
        MAIN,
        REAPPENDED,
        "hoon9732__devenv_vault__.gemini__tmp__4922afec48a6aa7def962fe51091816681e0674fcf818a9b9da59d1048ff882c__logs.json",
    ] {
        let bytes = std::fs::read(dir().join(name)).unwrap();
        let whole = ndjson(name, &[&bytes]);
        for round in 0..6 {
            let max = [1usize, 7, 64, 4096, 65536, 1 << 20][round];
            let mut chunks = Vec::new();
            let mut at = 0;
            while at < bytes.len() {
                let n = (1 + next() as usize % max).min(bytes.len() - at);
                chunks.push(&bytes[at..at + n]);
                at += n;
            }
            assert!(
                ndjson(name, &chunks) == whole,
                "{name}: chunks of at most {max} bytes change the output"
            );
        }
    }
}

#[test]
fn a_compact_one_line_chat_is_read_as_a_chat() {
    let bytes = std::fs::read(dir().join(MAIN)).unwrap();
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let compact = serde_json::to_vec(&doc).unwrap();
    let pretty = events(MAIN, &bytes);
    let one_line = events(MAIN, &compact);
    assert_eq!(kinds(&one_line), kinds(&pretty));
    assert_eq!(got(&one_line), got(&pretty));
}

#[test]
fn usage_counts_once_when_a_file_is_read_twice() {
    let bytes = std::fs::read(dir().join(MAIN)).unwrap();
    let mut pipeline = Pipeline::new(Options::default(), NdjsonRenderer::new(Vec::new()));
    for name in ["a.json", "b.json"] {
        let mut input = pipeline.open(name);
        let _ = pipeline.push(&mut input, &bytes).unwrap();
        let _ = pipeline.close(input).unwrap();
    }
    let (renderer, _) = pipeline.finish().unwrap();
    let out = String::from_utf8(renderer.into_inner()).unwrap();
    let usage = out
        .lines()
        .filter(|l| l.contains("\"kind\":\"usage\""))
        .count();
    let calls = out
        .lines()
        .filter(|l| l.contains("\"kind\":\"tool_call\""))
        .count();
    let want = expected(&dir().join(MAIN));
    assert_eq!(usage as u64, want.usage_events);
    assert_eq!(calls as u64, want.tool_calls);
}

#[test]
fn offsets_stay_the_files_with_crlf_a_bom_and_blank_lines() {
    // The same chat as a Windows checkout would write it (CRLF), with a BOM and blank lines
    // (whitespace between tokens): every event still points at its message's `{`, on its line.
    let name = "agunginsani__expenses-tracker__.gemini__tmp__agunginsani__chats__01b2c62e-cba4-4088-8755-b240504efb70__shcg5o.json";
    let lf = std::fs::read(dir().join(name)).unwrap();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    for (i, line) in lf.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            bytes.extend_from_slice(b"\r\n");
        }
        if i == 3 {
            bytes.extend_from_slice(b"  \r\n\r\n");
        }
        bytes.extend_from_slice(line);
    }
    let plain = events(name, &lf);
    let events = events(name, &bytes);
    assert_eq!(kinds(&events), kinds(&plain));
    assert_eq!(kinds(&events).get("malformed"), None);
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(memchr_positions(&bytes).map(|i| i + 1))
        .collect();
    for e in &events {
        let offset = num(&e["source"]["offset"]) as usize;
        let line = num(&e["source"]["line"]) as usize;
        let want = if e["kind"] == "title" { b'"' } else { b'{' };
        assert_eq!(bytes[offset], want, "{e}");
        assert!(line_starts[line - 1] <= offset && offset < line_starts[line]);
    }
}

#[test]
fn a_message_of_another_shape_is_said_and_the_others_read() {
    // The small real chat with one message's `tokens` turned into a string by this test.
    let name = "agunginsani__expenses-tracker__.gemini__tmp__agunginsani__chats__01b2c62e-cba4-4088-8755-b240504efb70__shcg5o.json";
    let text = std::fs::read_to_string(dir().join(name)).unwrap();
    let at = text.find("\"tokens\": {").expect("a message with tokens");
    let damaged = format!(
        "{}\"tokens\": \"many\", \"x\": {}",
        &text[..at],
        &text[at + 10..]
    );
    let clean = events(name, text.as_bytes());
    let events = events(name, damaged.as_bytes());
    let malformed: Vec<_> = events.iter().filter(|e| e["kind"] == "malformed").collect();
    assert_eq!(malformed.len(), 1);
    assert_eq!(malformed[0]["reason"], "unexpected_shape");
    // Placed at the damage: the string where an object should be (serde stops on its closing
    // quote), on its line; the bytes lost are the message's, from its `{`.
    let quote = at + "\"tokens\": \"many".len();
    assert_eq!(
        &damaged[quote..quote + 3],
        "\", ",
        "{}",
        &damaged[at..quote + 3]
    );
    assert_eq!(num(&malformed[0]["source"]["offset"]), quote as u64);
    assert_eq!(num(&malformed[0]["error_offset"]), quote as u64);
    let line = 1 + damaged[..quote].matches('\n').count() as u64;
    assert_eq!(num(&malformed[0]["source"]["line"]), line);
    let start = damaged[..at].rfind("\n    {").unwrap() + 5;
    let end = start + damaged[start..].find("\n    }").unwrap() + 6;
    assert_eq!(num(&malformed[0]["len"]), (end - start) as u64);
    // The other messages are all read: one usage fewer.
    let usage = |ev: &[Value]| ev.iter().filter(|e| e["kind"] == "usage").count();
    assert_eq!(usage(&events), usage(&clean) - 1);
}

/// The text of the main chat fixture and its messages (serde_json).
fn main_chat() -> (String, Vec<Value>) {
    let clean = std::fs::read_to_string(dir().join(MAIN)).unwrap();
    let doc: Value = serde_json::from_str(&clean).unwrap();
    let all = doc["messages"].as_array().unwrap().clone();
    (clean, all)
}

/// Where message `i` of a pretty-printed chat starts (its `{`, 4 spaces in) and the line it is
/// on, found from its `id` in the text.
fn message_start(text: &str, id: &str) -> (usize, u64) {
    let at = text.find(&format!("\"id\": \"{id}\"")).unwrap();
    let start = text[..at].rfind("\n    {").unwrap() + 5;
    let line = 1 + text[..start].matches('\n').count() as u64;
    (start, line)
}

#[test]
fn a_damaged_message_is_skipped_and_the_messages_after_it_are_read() {
    let name = MAIN;
    let (clean, all) = main_chat();
    // A message in the middle with usage, followed by another.
    let k = (all.len() / 2..all.len() - 1)
        .find(|&i| all[i]["tokens"].is_object())
        .unwrap();
    let id = all[k]["id"].as_str().unwrap();
    let (start, line) = message_start(&clean, id);
    let (end, _) = message_start(&clean, all[k + 1]["id"].as_str().unwrap());
    // One bad spot: the `:` after the message's `"id"` becomes `@`.
    let colon = clean[start..].find("\"id\":").unwrap() + start + 4;
    let mut bytes = clean.clone().into_bytes();
    bytes[colon] = b'@';
    let events = events(name, &bytes);
    let malformed: Vec<_> = events.iter().filter(|e| e["kind"] == "malformed").collect();
    assert_eq!(malformed.len(), 1, "{malformed:?}");
    let m = malformed[0];
    assert_eq!(m["reason"], "invalid_json");
    // Placed at the bad spot itself, on its line (the message's second).
    assert_eq!(num(&m["source"]["offset"]), colon as u64, "at the bad spot");
    assert_eq!(num(&m["source"]["line"]), line + 1);
    assert_eq!(1 + clean[..colon].matches('\n').count() as u64, line + 1);
    assert_eq!(num(&m["error_offset"]), colon as u64, "at the bad spot");
    assert_eq!(num(&m["len"]), (end - start) as u64, "the bytes lost");
    let text = m["message"].as_str().unwrap();
    assert!(
        text.contains(&format!("message {}", k + 1)) && text.contains(&format!("{start}..{end}")),
        "{text}"
    );
    // Every other message is read: the usage of all but message k, by an independent sum.
    let want: Vec<u64> = all
        .iter()
        .enumerate()
        .filter(|&(i, m)| i != k && m["tokens"].is_object())
        .map(|(_, m)| num(&m["tokens"]["output"]) + num(&m["tokens"]["thoughts"]))
        .collect();
    let got: Vec<u64> = events
        .iter()
        .filter(|e| e["kind"] == "usage")
        .map(|e| num(&e["output"]))
        .collect();
    assert_eq!(got, want);
    // And the events after the damage are where they were.
    let after = |evs: &[Value]| -> Vec<(u64, u64)> {
        evs.iter()
            .filter(|e| num(&e["source"]["offset"]) >= end as u64)
            .map(|e| (num(&e["source"]["line"]), num(&e["source"]["offset"])))
            .collect()
    };
    let clean_events = self::events(name, clean.as_bytes());
    assert_eq!(after(&events), after(&clean_events));
    assert!(!after(&events).is_empty());
}

#[test]
fn a_damaged_last_message_says_how_much_of_the_document_is_lost() {
    let name = MAIN;
    let (clean, all) = main_chat();
    let last = all.len() - 1;
    let (start, _) = message_start(&clean, all[last]["id"].as_str().unwrap());
    let colon = clean[start..].find("\"id\":").unwrap() + start + 4;
    let mut bytes = clean.clone().into_bytes();
    bytes[colon] = b'@';
    let events = events(name, &bytes);
    let malformed: Vec<_> = events.iter().filter(|e| e["kind"] == "malformed").collect();
    assert_eq!(malformed.len(), 1);
    let m = malformed[0];
    assert_eq!(num(&m["error_offset"]), colon as u64);
    let lost = bytes.len() - colon;
    let text = m["message"].as_str().unwrap();
    assert!(
        text.contains(&format!("the {last} whole messages before it were read"))
            && text.contains(&format!("({lost} bytes from here) is lost")),
        "{text}"
    );
    // The place is the event's `error_offset`, not said again in the message.
    assert!(!text.contains(&colon.to_string()), "{text}");
}

#[test]
fn invalid_utf8_in_a_chat_is_placed_on_its_line_and_moves_nothing_after_it() {
    let name = MAIN;
    let (clean, all) = main_chat();
    // The first letter of a message's `"id"` value, far into the file, becomes a bad byte.
    let (start, _) = message_start(&clean, all[all.len() / 3]["id"].as_str().unwrap());
    let bad = clean[start..].find("\"id\": \"").unwrap() + start + 7;
    let mut bytes = clean.clone().into_bytes();
    bytes[bad] = 0xFF;
    let events = events(name, &bytes);
    let malformed: Vec<_> = events.iter().filter(|e| e["kind"] == "malformed").collect();
    assert_eq!(malformed.len(), 1);
    let m = malformed[0];
    assert_eq!(m["reason"], "invalid_utf8");
    assert_eq!(m["recovered"], true);
    assert_eq!(num(&m["error_offset"]), bad as u64);
    let line = 1 + clean[..bad].matches('\n').count() as u64;
    assert_eq!(num(&m["source"]["line"]), line, "the bad byte's line");
    let line_start = clean[..bad].rfind('\n').unwrap() + 1;
    assert_eq!(num(&m["source"]["offset"]), line_start as u64);
    assert!(m["message"].as_str().unwrap().contains("U+FFFD"));
    // The rest is read, each event where it was in the clean file (U+FFFD is 3 bytes, the
    // bad byte 1: offsets are mapped back to the file's).
    let places = |evs: &[Value]| -> Vec<(String, u64, u64)> {
        evs.iter()
            .filter(|e| e["kind"] != "malformed")
            .map(|e| {
                (
                    e["kind"].as_str().unwrap().to_owned(),
                    num(&e["source"]["line"]),
                    num(&e["source"]["offset"]),
                )
            })
            .collect()
    };
    assert_eq!(
        places(&events),
        places(&self::events(name, clean.as_bytes()))
    );
}

/// The output of every message's usage but those of `lost`, summed independently (serde_json
/// over the clean chat), and the usage events' output in `events`.
fn usage_but(all: &[Value], lost: Option<usize>, events: &[Value]) -> (Vec<u64>, Vec<u64>) {
    let want = all
        .iter()
        .enumerate()
        .filter(|&(i, m)| Some(i) != lost && m["tokens"].is_object())
        .map(|(_, m)| num(&m["tokens"]["output"]) + num(&m["tokens"]["thoughts"]))
        .collect();
    let got = events
        .iter()
        .filter(|e| e["kind"] == "usage")
        .map(|e| num(&e["output"]))
        .collect();
    (got, want)
}

/// `clean` with `what` put at byte `at`, read: its one problem report, and all its events.
fn insert_and_read(clean: &str, at: usize, what: &str) -> (Value, Vec<Value>) {
    let damaged = format!("{}{what}{}", &clean[..at], &clean[at..]);
    let events = events(MAIN, damaged.as_bytes());
    let malformed: Vec<_> = events.iter().filter(|e| e["kind"] == "malformed").collect();
    assert_eq!(malformed.len(), 1, "{malformed:?}");
    (malformed[0].clone(), events)
}

/// The 1-based line of byte `at` of `text`.
fn line_of(text: &str, at: usize) -> u64 {
    1 + text[..at].matches('\n').count() as u64
}

#[test]
fn an_extra_closing_bracket_inside_a_message_costs_that_message_only() {
    // The real chat with a `}` put after the `timestamp` member of a message in the middle
    // that has usage: it closes the message early, and the rest of the message would be read
    // as messages (or stop the reading).
    let (clean, all) = main_chat();
    let k = (all.len() / 2..all.len() - 1)
        .find(|&i| all[i]["tokens"].is_object())
        .unwrap();
    let (start, _) = message_start(&clean, all[k]["id"].as_str().unwrap());
    let (next, _) = message_start(&clean, all[k + 1]["id"].as_str().unwrap());
    let member = clean[start..].find("\"timestamp\": \"").unwrap() + start;
    let bracket = member + clean[member..].find("\",\n").unwrap() + 1;
    let (m, events) = insert_and_read(&clean, bracket, "}");
    assert_eq!(m["reason"], "invalid_json");
    assert_eq!(m["recovered"], false);
    // At the extra bracket itself, on its line; the message's bytes lost.
    assert_eq!(num(&m["source"]["offset"]), bracket as u64);
    assert_eq!(num(&m["error_offset"]), bracket as u64);
    assert_eq!(num(&m["source"]["line"]), line_of(&clean, bracket));
    assert_eq!(num(&m["len"]), (next + 1 - start) as u64);
    let text = m["message"].as_str().unwrap();
    assert!(text.contains(&format!("message {}", k + 1)), "{text}");
    // Every other message is read: all usage but message k's.
    let (got, want) = usage_but(&all, Some(k), &events);
    assert_eq!(got, want);
    // And the same number of events as the clean chat less message k's.
    let clean_events = self::events(MAIN, clean.as_bytes());
    let of_k = |e: &&Value| {
        let at = num(&e["source"]["offset"]) as usize;
        (start..next).contains(&at)
    };
    assert_eq!(
        events.len() - 1,
        clean_events.len() - clean_events.iter().filter(of_k).count()
    );
}

#[test]
fn extra_closing_brackets_between_messages_cost_nothing() {
    // The real chat with a `}` or a `]` put right after a message's closing `}`: skipped and
    // reported there; every message is read.
    let (clean, all) = main_chat();
    let k = all.len() / 3;
    let (next, _) = message_start(&clean, all[k + 1]["id"].as_str().unwrap());
    // The message's closing `}` is the last on the line before the next message.
    let close = clean[..next].rfind("\n    },").unwrap() + 6;
    assert_eq!(&clean[close - 1..close + 1], "},");
    for extra in ["}", "]", "]]", "}]"] {
        let (m, events) = insert_and_read(&clean, close, extra);
        assert_eq!(m["reason"], "invalid_json", "{extra}");
        assert_eq!(m["recovered"], true, "{extra}: nothing lost");
        assert_eq!(num(&m["source"]["offset"]), close as u64, "{extra}");
        assert_eq!(num(&m["source"]["line"]), line_of(&clean, close), "{extra}");
        // From the stray bytes to the next message.
        assert_eq!(
            num(&m["len"]),
            (next + extra.len() - close) as u64,
            "{extra}"
        );
        let (got, want) = usage_but(&all, None, &events);
        assert_eq!(got, want, "{extra}");
        let clean_events = self::events(MAIN, clean.as_bytes());
        assert_eq!(events.len() - 1, clean_events.len(), "{extra}");
    }
}

#[test]
fn an_extra_closing_bracket_in_a_message_s_array_costs_that_message_only() {
    // A `]` doubled where a message closes one of its arrays (its `thoughts` or tool calls).
    let (clean, all) = main_chat();
    let k = (1..all.len() - 1)
        .find(|&i| all[i]["tokens"].is_object() && all[i]["thoughts"].is_array())
        .unwrap();
    let (start, _) = message_start(&clean, all[k]["id"].as_str().unwrap());
    let (next, _) = message_start(&clean, all[k + 1]["id"].as_str().unwrap());
    let close = start + clean[start..next].find("\n      ]").unwrap() + 8;
    let (m, events) = insert_and_read(&clean, close, "]");
    assert_eq!(m["recovered"], false);
    assert_eq!(num(&m["source"]["offset"]), close as u64);
    assert_eq!(num(&m["source"]["line"]), line_of(&clean, close));
    let (got, want) = usage_but(&all, Some(k), &events);
    assert_eq!(got, want);
}
