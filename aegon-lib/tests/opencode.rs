//! The OpenCode adapter on the saved files (fixtures/agents/opencode/), checked against counts
//! written here on serde_json Values from the corpus FORMAT.md §3 rules, not with the adapter's
//! code: usage per assistant message from `info.tokens`, user text parts as prompts, tool parts
//! as calls (and results once ended), aborted messages as interruptions.

use std::collections::BTreeMap;

use aegon::render::ndjson::NdjsonRenderer;
use aegon::{Options, Pipeline};
use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/agents/opencode/");
const EXPORT: &str = "w12z__Cap__opencode-session.json";

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}{name}")).unwrap()
}

fn storage_files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("Saintcyberwarrior__"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "the four storage files");
    names
}

/// The NDJSON events of `inputs` read one after another through one pipeline, each fed in
/// chunks of the sizes `chunk` gives (cycled).
fn events_chunked(inputs: &[(&str, &[u8])], chunk: &dyn Fn(usize) -> usize) -> Vec<Value> {
    let mut pipeline = Pipeline::new(Options::default(), NdjsonRenderer::new(Vec::new()));
    for (name, bytes) in inputs {
        let mut input = pipeline.open(*name);
        let mut at = 0;
        let mut i = 0;
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

fn kinds(events: &[Value]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for e in events {
        *out.entry(e["kind"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    out
}

/// [input, output, cache_read, cache_write_5m, cache_write_1h, reasoning] summed over usage events.
fn usage_totals(events: &[Value]) -> [u64; 6] {
    let mut t = [0u64; 6];
    for e in events.iter().filter(|e| e["kind"] == "usage") {
        for (i, k) in [
            "input",
            "output",
            "cache_read",
            "cache_write_5m",
            "cache_write_1h",
            "reasoning_output",
        ]
        .iter()
        .enumerate()
        {
            t[i] += e[k].as_u64().unwrap_or(0);
        }
    }
    t
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// What FORMAT.md §3.1 says an export holds, counted on its JSON.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    kinds: BTreeMap<String, u64>,
    usage: [u64; 6],
}

fn expected_export(doc: &Value) -> Expected {
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    let mut add = |k: &str| *kinds.entry(k.to_owned()).or_default() += 1;
    let mut usage = [0u64; 6];
    if doc["info"]["title"].is_string() {
        add("title");
    }
    for m in doc["messages"].as_array().unwrap() {
        let info = &m["info"];
        let user = info["role"] == "user";
        for p in m["parts"].as_array().unwrap() {
            match (p["type"].as_str().unwrap(), user) {
                ("text", true) if p["synthetic"] == true => add("user_meta"),
                ("text", true) => add("user_prompt"),
                ("text", false) => add("assistant_text"),
                ("reasoning", _) => add("thinking"),
                ("tool", _) => {
                    add("tool_call");
                    if matches!(p["state"]["status"].as_str(), Some("completed" | "error")) {
                        add("tool_result");
                    }
                }
                ("step-start" | "step-finish", _) => {}
                (other, _) => panic!("part type {other} not in the saved export"),
            }
        }
        if user {
            continue;
        }
        match info["error"]["name"].as_str() {
            Some("MessageAbortedError") => add("interrupt"),
            Some(_) => add("api_error"),
            None => {}
        }
        let t = &info["tokens"];
        let counts = [
            n(&t["input"]),
            n(&t["output"]),
            n(&t["cache"]["read"]),
            n(&t["cache"]["write"]),
            n(&t["reasoning"]),
        ];
        if counts.iter().all(|c| *c == 0) {
            continue;
        }
        add("usage");
        // In this export `total` (where written) is the sum of all five counts: `output`
        // leaves the reasoning out, so aegon's output is output + reasoning.
        if let Some(total) = t["total"].as_u64() {
            assert_eq!(total, counts.iter().sum::<u64>(), "total in {}", info["id"]);
        }
        usage[0] += counts[0];
        usage[1] += counts[1] + counts[4];
        usage[2] += counts[2];
        usage[3] += counts[3];
        usage[5] += counts[4];
    }
    Expected { kinds, usage }
}

#[test]
fn export_events_match_an_independent_count() {
    let bytes = read(EXPORT);
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let want = expected_export(&doc);
    let got = events(&[(EXPORT, &bytes)]);
    assert_eq!(
        Expected {
            kinds: kinds(&got),
            usage: usage_totals(&got)
        },
        want
    );
    // FORMAT.md §3.1: the session's info.tokens is the sum of its messages'.
    let t = &doc["info"]["tokens"];
    assert_eq!(want.usage[0], n(&t["input"]));
    assert_eq!(want.usage[1], n(&t["output"]) + n(&t["reasoning"]));
    assert_eq!(want.usage[2], n(&t["cache"]["read"]));
    assert_eq!(want.usage[5], n(&t["reasoning"]));
    // Every event names its agent and session, and carries an RFC 3339 time.
    for e in &got {
        assert_eq!(e["agent"], "opencode");
        assert_eq!(e["session_id"], doc["info"]["id"]);
        let ts = e["timestamp"].as_str().unwrap();
        assert!(aegon::timestamp::parse_millis(ts).is_some(), "{ts}");
    }
}

#[test]
fn usage_names_the_message_and_the_model_without_provider() {
    let bytes = read(EXPORT);
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let models: BTreeMap<String, String> = doc["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["info"]["role"] == "assistant")
        .map(|m| {
            (
                m["info"]["id"].as_str().unwrap().to_owned(),
                m["info"]["modelID"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let got = events(&[(EXPORT, &bytes)]);
    let usage: Vec<&Value> = got.iter().filter(|e| e["kind"] == "usage").collect();
    assert!(!usage.is_empty());
    for e in usage {
        let id = e["message_id"].as_str().unwrap();
        assert_eq!(e["model"].as_str(), models.get(id).map(String::as_str));
    }
}

#[test]
fn tool_results_take_their_duration_from_the_tool_state() {
    let bytes = read(EXPORT);
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let mut want = BTreeMap::new();
    for m in doc["messages"].as_array().unwrap() {
        for p in m["parts"].as_array().unwrap() {
            let s = &p["state"];
            if p["type"] == "tool" && matches!(s["status"].as_str(), Some("completed" | "error")) {
                let d = n(&s["time"]["end"]) - n(&s["time"]["start"]);
                want.insert(
                    p["callID"].as_str().unwrap().to_owned(),
                    (d, s["status"] == "error", p["tool"].clone()),
                );
            }
        }
    }
    let got: BTreeMap<String, (u64, bool, Value)> = events(&[(EXPORT, &bytes)])
        .iter()
        .filter(|e| e["kind"] == "tool_result")
        .map(|e| {
            (
                e["tool_use_id"].as_str().unwrap().to_owned(),
                (
                    n(&e["duration_ms"]),
                    e["is_error"].as_bool().unwrap(),
                    e["tool"].clone(),
                ),
            )
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn an_export_read_twice_counts_once() {
    let bytes = read(EXPORT);
    let once = events(&[(EXPORT, &bytes)]);
    let twice = events(&[(EXPORT, &bytes), ("copy.json", &bytes)]);
    assert_eq!(kinds(&twice), kinds(&once));
    assert_eq!(usage_totals(&twice), usage_totals(&once));
}

#[test]
fn an_earlier_snapshot_and_the_later_one_count_each_message_once() {
    // The same session exported at two moments (FORMAT.md §3.1: w12z at 96 then 140
    // messages): made here by cutting the later export's messages and its update time.
    let bytes = read(EXPORT);
    let mut earlier: Value = serde_json::from_slice(&bytes).unwrap();
    earlier["messages"].as_array_mut().unwrap().truncate(96);
    earlier["info"]["time"]["updated"] = Value::from(1_784_280_000_000u64);
    let earlier = serde_json::to_vec_pretty(&earlier).unwrap();
    let later = events(&[(EXPORT, &bytes)]);
    let both = events(&[("earlier.json", &earlier), (EXPORT, &bytes)]);
    assert_eq!(usage_totals(&both), usage_totals(&later));
    let count = |evs: &[Value], k: &str| evs.iter().filter(|e| e["kind"] == k).count();
    assert_eq!(count(&both, "tool_call"), count(&later, "tool_call"));
    assert_eq!(count(&both, "tool_result"), count(&later, "tool_result"));
    assert_eq!(count(&both, "usage"), count(&later, "usage"));
}

#[test]
fn chunking_does_not_change_the_events() {
    let bytes = read(EXPORT);
    let whole = events_chunked(&[(EXPORT, &bytes)], &|_| usize::MAX);
    for seed in [1u64, 7, 1234] {
        // Chunk sizes from a small linear congruential generator: 1 byte to 64 KiB.
        let cut = events_chunked(&[(EXPORT, &bytes)], &|i| {
            let x = (i as u64 + 1)
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(seed.wrapping_mul(1_442_695_040_888_963_407));
            1 + (x >> 33) as usize % (64 << 10)
        });
        assert_eq!(cut, whole, "seed {seed}");
    }
    let small = read(&storage_files()[2]);
    let whole = events_chunked(&[("m", &small)], &|_| usize::MAX);
    assert_eq!(events_chunked(&[("m", &small)], &|i| 1 + i % 7), whole);
}

#[test]
fn message_sources_point_at_the_message_objects() {
    let bytes = read(EXPORT);
    let text = std::str::from_utf8(&bytes).unwrap();
    for e in events(&[(EXPORT, &bytes)])
        .iter()
        .filter(|e| e["kind"] == "usage")
    {
        let offset = n(&e["source"]["offset"]) as usize;
        let line = n(&e["source"]["line"]);
        // The message object starts there: `{` then its `info`, whose id is this message's.
        assert_eq!(&text[offset..offset + 1], "{");
        let id = e["message_id"].as_str().unwrap();
        let at = text[offset..].find(id).unwrap();
        assert!(at < 2000, "message id {id} far from its object start");
        assert_eq!(text[..offset].matches('\n').count() as u64 + 1, line);
    }
}

#[test]
fn a_truncated_export_is_one_malformed_event() {
    let bytes = read(EXPORT);
    let cut = &bytes[..bytes.len() / 2];
    let got = events(&[("cut.json", cut)]);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["kind"], "malformed");
    assert_eq!(got[0]["reason"], "truncated");
    assert_eq!(got[0]["agent"], "opencode");
    // On the last line of the cut text (counted here), at its start; the problem where the
    // text ends.
    let m = &got[0];
    let line = 1 + cut.iter().filter(|&&b| b == b'\n').count() as u64;
    let start = cut.iter().rposition(|&b| b == b'\n').map_or(0, |nl| nl + 1);
    assert_eq!(n(&m["source"]["line"]), line);
    assert_eq!(n(&m["source"]["offset"]), start as u64);
    assert_eq!(n(&m["error_offset"]), cut.len() as u64);
}

#[test]
fn garbage_and_invalid_utf8_are_reported_not_fatal() {
    let bytes = read(EXPORT);
    // A byte that is not UTF-8 inside the first prompt: reported, and everything still read.
    let mut bad = bytes.clone();
    let at = bytes
        .windows(9)
        .position(|w| w == "captialis".as_bytes())
        .unwrap();
    bad[at] = 0xFF;
    let got = events(&[("bad.json", &bad)]);
    let malformed: Vec<&Value> = got.iter().filter(|e| e["kind"] == "malformed").collect();
    assert_eq!(malformed.len(), 1);
    assert_eq!(malformed[0]["reason"], "invalid_utf8");
    assert_eq!(malformed[0]["error_offset"], at as u64);
    assert_eq!(got.len(), events(&[(EXPORT, &bytes)]).len() + 1);
    // Garbage after the object: invalid JSON, one event.
    let mut garbage = bytes.clone();
    garbage.extend_from_slice(b"\nnot json\n");
    let got = events(&[("garbage.json", &garbage)]);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["reason"], "invalid_json");
    // A message that is not an object: that message alone is malformed.
    let mut doc: Value = serde_json::from_slice(&bytes).unwrap();
    doc["messages"][0] = Value::from(7);
    let got = events(&[("shape.json", &serde_json::to_vec_pretty(&doc).unwrap()[..])]);
    let k = kinds(&got);
    assert_eq!(k["malformed"], 1);
    assert_eq!(
        k["user_prompt"],
        kinds(&events(&[(EXPORT, &bytes)]))["user_prompt"] - 1
    );
}

#[test]
fn storage_files_each_give_their_events_and_count_once() {
    let files: Vec<(String, Vec<u8>)> = storage_files()
        .into_iter()
        .map(|n| {
            let b = read(&n);
            (n, b)
        })
        .collect();
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for (name, bytes) in &files {
        let v: Value = serde_json::from_slice(bytes).unwrap();
        let id = v["id"].as_str().unwrap();
        // FORMAT.md §3.2: a session info (title), a user message (its text is a part), an
        // assistant message with zero tokens and an error, a user text part.
        let kind = if id.starts_with("ses_") {
            Some("title")
        } else if id.starts_with("prt_") {
            assert_eq!(v["type"], "text");
            Some("user_prompt")
        } else if v["role"] == "assistant" {
            assert_eq!(v["tokens"]["input"], 0);
            assert!(v["error"]["name"].is_string());
            Some("api_error")
        } else {
            None
        };
        if let Some(k) = kind {
            *want.entry(k.to_owned()).or_default() += 1;
        }
        let got = events(&[(name, bytes)]);
        assert!(got.iter().all(|e| e["agent"] == "opencode"), "{name}");
    }
    let inputs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), &b[..])).collect();
    let once = events(&inputs);
    assert_eq!(kinds(&once), want);
    let twice: Vec<(&str, &[u8])> = inputs.iter().chain(inputs.iter()).copied().collect();
    assert_eq!(kinds(&events(&twice)), want);
    let err = once.iter().find(|e| e["kind"] == "api_error").unwrap();
    assert_eq!(err["text"], "AI_APICallError: Insufficient Balance");
    assert_eq!(err["timestamp"], "2026-01-17T11:51:29.419Z");
}

#[test]
fn a_storage_object_on_one_line_is_told_by_content() {
    let name = &storage_files()[3];
    let v: Value = serde_json::from_slice(&read(name)).unwrap();
    assert!(v["id"].as_str().unwrap().starts_with("prt_"));
    let line = serde_json::to_vec(&v).unwrap();
    let got = events(&[("renamed.jsonl", &line)]);
    assert_eq!(kinds(&got), BTreeMap::from([("user_prompt".to_owned(), 1)]));
    assert_eq!(got[0]["text"], v["text"]);
}

/// An export rewritten on one line (`jq -c`, a sync tool) is the same export: told by its
/// `info.id`, not taken for an empty Claude Code transcript.
#[test]
fn an_export_written_on_one_line_is_told_by_content() {
    let bytes = read(EXPORT);
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    let mut line = serde_json::to_vec(&v).unwrap();
    line.push(b'\n');
    let pretty = events(&[(EXPORT, &bytes)]);
    let compact = events(&[("compact.json", &line)]);
    assert!(usage_totals(&pretty)[0] > 0);
    assert_eq!(kinds(&compact), kinds(&pretty));
    assert_eq!(usage_totals(&compact), usage_totals(&pretty));
    assert!(compact.iter().all(|e| e["agent"] == "opencode"));
}

#[test]
fn fuzz_bodies_accept_the_fixtures_and_damaged_copies() {
    // The pipeline and session bodies reach the OpenCode decoder through sniffing.
    let mut inputs: Vec<Vec<u8>> = storage_files().iter().map(|n| read(n)).collect();
    let export = read(EXPORT);
    inputs.push(export[..200_000].to_vec());
    inputs.push(export.clone());
    for input in &inputs {
        aegon::fuzzing::pipeline(input);
        aegon::fuzzing::sessions(input);
    }
    // Every byte of a small storage file replaced in turn, and every cut of it: no panic, and
    // the events still name their agent.
    let small = read(&storage_files()[3]);
    for i in 0..small.len() {
        for b in [b'"', b'{', 0xFF, b'0'] {
            let mut bad = small.clone();
            bad[i] = b;
            for e in events(&[("bad", &bad)]) {
                assert!(e["agent"] == "opencode" || e["kind"] == "malformed", "{e}");
            }
        }
        let _ = events(&[("cut", &small[..i])]);
    }
}

#[test]
fn invalid_utf8_is_placed_on_its_line_and_moves_no_message_after_it() {
    let bytes = read(EXPORT);
    let at = bytes
        .windows(9)
        .position(|w| w == "captialis".as_bytes())
        .unwrap();
    let mut bad = bytes.clone();
    bad[at] = 0xFF;
    let got = events(&[(EXPORT, &bad)]);
    let m = got.iter().find(|e| e["kind"] == "malformed").unwrap();
    // The line of the bad byte, counted here; the event sits at that line's start.
    let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64;
    let line_start = bytes[..at].iter().rposition(|&b| b == b'\n').unwrap() + 1;
    assert_eq!(n(&m["source"]["line"]), line);
    assert_eq!(n(&m["source"]["offset"]), line_start as u64);
    assert!(m["message"].as_str().unwrap().contains("U+FFFD"));
    // Every other event where the clean file has it (the 1-byte bad byte became 3 bytes of
    // U+FFFD in the text read; offsets are the file's).
    let places = |evs: &[Value]| -> Vec<(u64, u64)> {
        evs.iter()
            .filter(|e| e["kind"] != "malformed")
            .map(|e| (n(&e["source"]["line"]), n(&e["source"]["offset"])))
            .collect()
    };
    let clean = places(&events(&[(EXPORT, &bytes)]));
    assert!(
        clean.iter().any(|&(_, o)| o > at as u64),
        "events after the bad byte"
    );
    assert_eq!(places(&got), clean);
}
