//! One response, one price, in every view: what decides a response's price (speed, service
//! tier, inference geo, long-context size, the TTL of its cache writes) is the response's,
//! whichever of its lines states it, and applies to all of its tokens in `--summary`, the
//! NDJSON stream (its `cost_usd` and token fields summed), OTLP, HTML and `aegon usage`.
//!
//! The cases are tester16's findings 7 and 6 and tester14's 3 (`/tmp/tester16/FINDINGS.md`,
//! `/tmp/tester14/FINDINGS.md`, 2026-12-01), built as their repro scripts build them, from real
//! transcripts of the shared corpus (fixtures/corpus):
//! - apanloco__random__session.jsonl (claude-opus-4-6, 22 responses on 30 usage lines) with
//!   `usage.speed: "fast"` on each response's last line only, as Claude Code 2.1.77 and 2.1.92
//!   write it (22 real multi-line responses of the corpus carry `speed` on their last line
//!   only). Opus 4.6 fast mode is 6× every rate (README, Prices), so the right cost is 6× the
//!   unaltered file's, which is read by the same binary.
//! - the austinweitao workflow subagent (agent-a340795228348a5a6, claude-opus-4-6): its
//!   streamed lines carry `cache_creation_input_tokens` without a `cache_creation` split, the
//!   last line of each response carries one (real: `0/0`); altered as tester16 repro 06 does,
//!   the split says every write was a 1-hour write. The right counts are worked out here from
//!   the lines as written: per response, the writes are its `cache_creation_input_tokens`, the
//!   1-hour ones those its split says; priced at Anthropic's Opus 4.6 list rates ($5 input,
//!   $6.25 5-minute write, $10 1-hour write, $0.50 cache read, $25 output per million).

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::{aegon_isolated, fixture, temp_dir, TempDir};
use serde_json::Value;

const APANLOCO: &str = "apanloco__random__session.jsonl";
const WORKFLOW_AGENT: &str = "austinweitao__claude-backup__projects__-home-cwtrocks-android-avd__subagents__3e89eb15-32e7-43f8-8734-8d47310263ea__workflows__wf_4af3c93a-ada__agent-a340795228348a5a6.jsonl";

/// The lines of corpus fixture `name`, parsed.
fn lines(name: &str) -> Vec<Value> {
    std::fs::read_to_string(fixture(name))
        .expect("corpus fixture")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// Writes `lines` to `name` in `dir`, one compact JSON document a line.
fn write(dir: &Path, name: &str, lines: &[Value]) -> PathBuf {
    let path = dir.join(name);
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, text).expect("write the altered transcript");
    path
}

/// Index of the last usage line of each response (by `message.id`) among assistant lines that
/// `with` accepts.
fn last_lines(lines: &[Value], with: impl Fn(&Value) -> bool) -> Vec<usize> {
    let mut last = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        let m = &l["message"];
        if l["type"] == "assistant" && m["usage"].is_object() && with(&m["usage"]) {
            last.insert(m["id"].as_str().expect("message id").to_owned(), i);
        }
    }
    let mut at: Vec<usize> = last.into_values().collect();
    at.sort_unstable();
    at
}

fn run(dir: &TempDir, args: &[&str]) -> String {
    let out = aegon_isolated(&dir.join("data"), args)
        .output()
        .expect("run aegon");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// What every view says of the transcript at `path`.
struct Views {
    /// `--summary --json`'s totals.
    summary: Value,
    /// NDJSON usage events.
    usage_events: Vec<Value>,
    /// `aegon usage --no-index`'s total cost, and the index's.
    usage_cost: (f64, f64),
    /// The points of `claude_code.cost.usage` in `--otlp`, summed.
    otlp_cost: f64,
}

fn views(dir: &TempDir, path: &Path) -> Views {
    let p = path.to_str().expect("UTF-8 path");
    let summary: Value =
        serde_json::from_str(&run(dir, &["--summary", "--json", p])).expect("summary JSON");
    let usage_events = run(dir, &["--ndjson", p])
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("NDJSON"))
        .filter(|e| e["kind"] == "usage")
        .collect();
    let report = |extra: &[&str]| {
        let mut args = vec!["usage", "daily", "--json"];
        args.extend_from_slice(extra);
        args.push(p);
        let v: Value = serde_json::from_str(&run(dir, &args)).expect("usage JSON");
        v["totals"]["totalCost"].as_f64().expect("a known cost")
    };
    let otlp_cost = run(dir, &["--otlp", p])
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("OTLP JSON"))
        .map(|v| cost_points(&v))
        .sum();
    Views {
        summary: summary["totals"].clone(),
        usage_events,
        usage_cost: (report(&["--no-index"]), report(&[])),
        otlp_cost,
    }
}

/// The sum of the `claude_code.cost.usage` data points in one OTLP export.
fn cost_points(v: &Value) -> f64 {
    match v {
        Value::Object(o) => {
            if o.get("name").and_then(Value::as_str) == Some("claude_code.cost.usage") {
                return o["sum"]["dataPoints"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p["asDouble"].as_f64())
                    .sum();
            }
            o.values().map(cost_points).sum()
        }
        Value::Array(a) => a.iter().map(cost_points).sum(),
        _ => 0.0,
    }
}

impl Views {
    /// A token field (or `cost_usd`) summed over the NDJSON usage events.
    fn stream_sum(&self, field: &str) -> f64 {
        self.usage_events
            .iter()
            .map(|e| e[field].as_f64().expect("a number"))
            .sum()
    }

    /// Asserts that every view gives the cost `usd` (the summary at its four decimals) and
    /// that summing the NDJSON token fields gives the summary's tokens.
    fn all_cost(&self, usd: f64) {
        let close = |what: &str, got: f64| {
            assert!((got - usd).abs() < 1e-6, "{what}: {got}, expected {usd}");
        };
        close("NDJSON cost_usd summed", self.stream_sum("cost_usd"));
        close("aegon usage --no-index", self.usage_cost.0);
        close("aegon usage (index)", self.usage_cost.1);
        close("OTLP cost points", self.otlp_cost);
        let shown = self.summary["cost_usd"].as_f64().expect("summary cost");
        assert!(
            (shown - usd).abs() < 5e-5,
            "--summary: {shown}, expected {usd}"
        );
        for field in [
            "input",
            "output",
            "cache_read",
            "cache_write_5m",
            "cache_write_1h",
        ] {
            assert_eq!(
                self.stream_sum(field),
                self.summary["tokens"][field].as_f64().expect("a count"),
                "{field} summed over the stream"
            );
        }
    }
}

#[test]
fn fast_mode_stated_on_the_last_line_prices_the_whole_response() {
    let dir = temp_dir("reprice-fast");
    let original = views(&dir, &fixture(APANLOCO));
    let standard = original.usage_cost.0;
    let mut l = lines(APANLOCO);
    let last = last_lines(&l, |_| true);
    assert_eq!(last.len(), 22, "the fixture's responses");
    for &i in &last {
        l[i]["message"]["usage"]["speed"] = "fast".into();
    }
    let fast = views(&dir, &write(&dir, "fast.jsonl", &l));
    // 6× every rate, the first line's input and cache tokens included (was $2.7829 of $3.6676).
    fast.all_cost(6.0 * standard);
    assert_eq!(fast.summary["api_calls"], 22);
    assert_eq!(fast.summary["tokens"], original.summary["tokens"]);
    // Each increment says the response's speed; the first line of a response, written before
    // its speed was, says none.
    let increments: Vec<&Value> = fast
        .usage_events
        .iter()
        .filter(|e| e["increment"] == true)
        .collect();
    assert!(!increments.is_empty());
    assert!(increments.iter().all(|e| e["speed"] == "fast"));

    // The same lines with the fast one written first (a copy out of order): the same.
    let mut reordered = l.clone();
    let firsts: HashMap<&str, usize> = l
        .iter()
        .enumerate()
        .filter(|(_, v)| v["type"] == "assistant" && v["message"]["usage"].is_object())
        .map(|(i, v)| (v["message"]["id"].as_str().expect("id"), i))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    for &i in &last {
        let first = firsts[l[i]["message"]["id"].as_str().expect("id")];
        reordered.swap(first, i);
    }
    views(&dir, &write(&dir, "fast-reordered.jsonl", &reordered)).all_cost(6.0 * standard);
}

#[test]
fn the_one_hour_split_on_the_last_line_is_the_ttl_of_the_writes_counted_before() {
    let dir = temp_dir("reprice-ttl");
    let mut l = lines(WORKFLOW_AGENT);
    let last = last_lines(&l, |u| u["cache_creation"].is_object());
    assert_eq!(last.len(), 6, "the fixture's responses with a split");
    for &i in &last {
        let u = &mut l[i]["message"]["usage"];
        let n = u["cache_creation_input_tokens"].clone();
        u["cache_creation"] =
            serde_json::json!({"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": n});
    }
    // Independent count: per response the line with the largest output holds its counts; its
    // writes are its `cache_creation_input_tokens`, all 1-hour ones (its split says so).
    let mut responses: HashMap<String, &Value> = HashMap::new();
    for v in &l {
        let u = &v["message"]["usage"];
        if v["type"] != "assistant" || !u.is_object() {
            continue;
        }
        let id = v["message"]["id"].as_str().expect("id").to_owned();
        let out = |u: &Value| u["output_tokens"].as_u64().expect("output");
        if responses.get(&id).is_none_or(|r| out(u) > out(r)) {
            responses.insert(id, u);
        }
    }
    let n = |u: &Value, k: &str| u[k].as_u64().expect("a count");
    let writes: u64 = responses
        .values()
        .map(|u| n(u, "cache_creation_input_tokens"))
        .sum();
    let cost: f64 = responses
        .values()
        .map(|u| {
            (n(u, "input_tokens") as f64 * 5.0
                + n(u, "cache_creation_input_tokens") as f64 * 10.0
                + n(u, "cache_read_input_tokens") as f64 * 0.5
                + n(u, "output_tokens") as f64 * 25.0)
                / 1e6
        })
        .sum();
    assert_eq!(writes, 11_981);
    let v = views(&dir, &write(&dir, "agent-a340795228348a5a6.jsonl", &l));
    // Was 9,444 5-minute writes beside the 11,981 1-hour ones, $1.1815.
    assert_eq!(v.summary["tokens"]["cache_write_1h"], writes);
    assert_eq!(v.summary["tokens"]["cache_write_5m"], 0);
    v.all_cost(cost);
    // The writes counted as 5-minute ones by a response's first event move on its last: a
    // negative 5-minute count there.
    assert!(v
        .usage_events
        .iter()
        .any(|e| e["cache_write_5m"].as_i64().expect("a count") < 0));
}

#[test]
fn a_long_context_threshold_passed_on_a_later_line_prices_the_whole_request_long() {
    // tester14 #3: one claude-sonnet-4-5 response on two lines; the second adds 60,000 1-hour
    // writes, lifting the prompt from 150,100 to 210,100 tokens (> 200K).
    let dir = temp_dir("reprice-long");
    let line = |uuid: &str, ts: &str, usage: Value| {
        serde_json::json!({"type": "assistant", "uuid": uuid, "parentUuid": null,
            "sessionId": "22222222-0000-4000-8000-000000000000", "timestamp": ts,
            "cwd": "/p", "version": "2.1.100", "isSidechain": false, "requestId": "req_1",
            "message": {"id": "msg_01LongContextLaterLine0001", "type": "message", "role": "assistant",
                "model": "claude-sonnet-4-5", "content": [{"type": "text", "text": "ok"}],
                "usage": usage}})
    };
    let l = [
        line(
            "u1",
            "2026-11-30T10:04:00.000Z",
            serde_json::json!({"input_tokens": 100, "cache_read_input_tokens": 150_000,
                "cache_creation_input_tokens": 0, "output_tokens": 1000}),
        ),
        line(
            "u2",
            "2026-11-30T10:04:09.000Z",
            serde_json::json!({"input_tokens": 100, "cache_read_input_tokens": 150_000,
                "cache_creation_input_tokens": 60_000, "output_tokens": 1000,
                "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 60_000}}),
        ),
    ];
    let v = views(&dir, &write(&dir, "long.jsonl", &l));
    // README, Prices: the whole request at the long-context rates ($6 input, $0.60 read,
    // $12 1-hour write, $22.50 output per million); was $0.7803.
    v.all_cost((100.0 * 6.0 + 150_000.0 * 0.6 + 60_000.0 * 12.0 + 1000.0 * 22.5) / 1e6);
}
