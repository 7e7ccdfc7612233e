//! `--otlp`, `--otlp-endpoint` and `--otlp-export`: the traces' and metrics' numbers against
//! the summary's and against independent counts, metric names and attributes against Claude
//! Code's documented ones, parents that exist, ids once; and loopback receivers (plain http,
//! and https with a certificate made here) that get every span and metric point exactly once,
//! over protobuf+gzip and JSON, with the headers from the environment, after a 503 and a
//! `Retry-After`. (The official protobuf definitions check the same output in CI:
//! scripts/check_otlp.py.) Only 127.0.0.1 is ever contacted.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use serde_json::Value;

use common::{aegon_stdout, fixtures, temp_dir};

/// Every span of OTLP/JSON requests (lines of other signals have none).
fn spans_of(requests: &[Value]) -> Vec<Value> {
    requests
        .iter()
        .flat_map(|r| r["resourceSpans"].as_array().cloned().unwrap_or_default())
        .flat_map(|rs| rs["scopeSpans"].as_array().cloned().unwrap_or_default())
        .flat_map(|ss| ss["spans"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// One metric point: its metric's name, unit and temporality, and the point.
#[derive(Debug, Clone)]
struct Point {
    name: String,
    unit: String,
    temporality: u64,
    point: Value,
}

impl Point {
    fn attrs(&self) -> BTreeMap<String, String> {
        self.point["attributes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|a| {
                (
                    a["key"].as_str().unwrap().to_owned(),
                    a["value"]["stringValue"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    fn value(&self) -> f64 {
        match self.point.get("asInt") {
            Some(v) => v.as_str().unwrap().parse().unwrap(),
            None => self.point["asDouble"].as_f64().unwrap(),
        }
    }

    fn nanos(&self, key: &str) -> u64 {
        self.point[key].as_str().unwrap().parse().unwrap()
    }

    /// What makes a point itself: name, attributes, times, value.
    fn key(&self) -> String {
        format!(
            "{} {:?} {} {} {}",
            self.name,
            self.attrs(),
            self.nanos("startTimeUnixNano"),
            self.nanos("timeUnixNano"),
            self.value()
        )
    }
}

/// Every metric point of OTLP/JSON requests.
fn points_of(requests: &[Value]) -> Vec<Point> {
    let mut points = Vec::new();
    for r in requests {
        for rm in r["resourceMetrics"].as_array().cloned().unwrap_or_default() {
            for sm in rm["scopeMetrics"].as_array().cloned().unwrap_or_default() {
                for m in sm["metrics"].as_array().cloned().unwrap_or_default() {
                    let sum = &m["sum"];
                    assert!(sum.is_object(), "every metric is a sum: {m}");
                    for p in sum["dataPoints"].as_array().cloned().unwrap_or_default() {
                        points.push(Point {
                            name: m["name"].as_str().unwrap().to_owned(),
                            unit: m["unit"].as_str().unwrap_or("").to_owned(),
                            temporality: sum["aggregationTemporality"].as_u64().unwrap(),
                            point: p,
                        });
                    }
                }
            }
        }
    }
    points
}

/// An attribute's value as JSON: a number for `intValue` (a decimal string in OTLP/JSON) and
/// `doubleValue`, a string for `stringValue`; `None` when the span lacks it.
fn attr_value(span: &Value, key: &str) -> Option<Value> {
    let value = &span["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)?["value"];
    if let Some(i) = value["intValue"].as_str() {
        return Some(Value::from(i.parse::<u64>().unwrap()));
    }
    if let Some(i) = value["intValue"].as_u64() {
        return Some(Value::from(i));
    }
    if let Some(d) = value.get("doubleValue") {
        assert!(d.is_f64(), "{key}: a double, {d}");
        return Some(d.clone());
    }
    Some(value["stringValue"].clone())
}

/// A double attribute (cost, ratio).
fn f64_attr(span: &Value, key: &str) -> Option<f64> {
    attr_value(span, key).map(|v| v.as_f64().unwrap())
}

/// The cost-explained attributes of every span (`aegon.cost.*`, `aegon.cache.*`), by trace and
/// span id, values as JSON text.
fn cost_attrs(spans: &[Value]) -> BTreeMap<(String, String), BTreeMap<String, String>> {
    spans
        .iter()
        .map(|s| {
            let keys: BTreeMap<String, String> = s["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|a| a["key"].as_str())
                .filter(|k| k.starts_with("aegon.cost.") || k.starts_with("aegon.cache."))
                .map(|k| (k.to_owned(), attr_value(s, k).unwrap().to_string()))
                .collect();
            let id = (
                s["traceId"].as_str().unwrap().to_owned(),
                s["spanId"].as_str().unwrap().to_owned(),
            );
            (id, keys)
        })
        .collect()
}

/// The `session.id` of each span, from its resource.
fn spans_with_session(requests: &[Value]) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for r in requests {
        for rs in r["resourceSpans"].as_array().cloned().unwrap_or_default() {
            let session = rs["resource"]["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["key"] == "session.id")
                .and_then(|a| a["value"]["stringValue"].as_str())
                .unwrap()
                .to_owned();
            for ss in rs["scopeSpans"].as_array().cloned().unwrap_or_default() {
                for span in ss["spans"].as_array().cloned().unwrap_or_default() {
                    out.push((session.clone(), span));
                }
            }
        }
    }
    out
}

fn int_attr(span: &Value, key: &str) -> u64 {
    span["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == key)
        .and_then(|a| a["value"]["intValue"].as_str())
        .map_or(0, |v| v.parse().unwrap())
}

fn fixture_args(first: &[&str]) -> Vec<std::ffi::OsString> {
    first
        .iter()
        .map(Into::into)
        .chain(fixtures().into_iter().map(Into::into))
        .collect()
}

/// `aegon --otlp -q` over every fixture, as request lines (run once for all the tests).
fn expected_requests() -> Vec<Value> {
    static ONCE: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        aegon()
            .args(fixture_args(&["--otlp", "-q"]))
            .output()
            .map(|out| {
                assert!(out.status.success());
                String::from_utf8(out.stdout)
                    .unwrap()
                    .lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect()
            })
            .unwrap()
    })
    .clone()
}

fn summary_totals() -> Value {
    let summary: Value = serde_json::from_str(&common::aegon_stdout_lower_bound(fixture_args(&[
        "--summary",
        "--json",
        "-q",
    ])))
    .unwrap();
    summary["totals"].clone()
}

#[test]
fn traces_count_what_the_summary_counts() {
    let requests = expected_requests();
    let spans = spans_of(&requests);
    let totals = summary_totals();
    let chats: Vec<&Value> = spans
        .iter()
        .filter(|s| s["name"].as_str().unwrap().starts_with("chat "))
        .collect();
    assert_eq!(
        chats.len() as u64,
        totals["api_calls"].as_u64().unwrap(),
        "one span per API call"
    );
    let output: u64 = chats
        .iter()
        .map(|s| int_attr(s, "gen_ai.usage.output_tokens"))
        .sum();
    assert_eq!(output, totals["tokens"]["output"].as_u64().unwrap());
    let input: u64 = chats
        .iter()
        .map(|s| int_attr(s, "gen_ai.usage.input_tokens"))
        .sum();
    let t = &totals["tokens"];
    let billed = ["input", "cache_read", "cache_write_5m", "cache_write_1h"]
        .iter()
        .map(|k| t[k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(input, billed);
    let tools = spans
        .iter()
        .filter(|s| s["name"].as_str().unwrap().starts_with("execute_tool "))
        .count() as u64;
    assert_eq!(
        tools,
        totals["tool_calls"].as_u64().unwrap(),
        "one span per tool call"
    );
    // Ids once; every parent exists in its trace; one root per session.
    let mut by_trace: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in &spans {
        let new = by_trace
            .entry(s["traceId"].as_str().unwrap().to_owned())
            .or_default()
            .insert(s["spanId"].as_str().unwrap().to_owned());
        assert!(new, "span exported twice: {s}");
    }
    for s in &spans {
        if let Some(parent) = s["parentSpanId"].as_str() {
            assert!(
                by_trace[s["traceId"].as_str().unwrap()].contains(parent),
                "parent missing: {s}"
            );
        }
    }
    let roots = spans
        .iter()
        .filter(|s| s.get("parentSpanId").is_none())
        .count();
    assert_eq!(roots, by_trace.len(), "one root per trace");
}

/// Within the summary's rounding (1/100 of a cent, 1/10,000 of a ratio), and so to the cent.
fn close(got: f64, want: f64, what: &str) {
    assert!((got - want).abs() <= 0.000_051, "{what}: {got} vs {want}");
}

#[test]
fn cost_explained_on_spans_agrees_with_the_summary() {
    let spans = spans_with_session(&expected_requests());
    let summary: Value = serde_json::from_str(&common::aegon_stdout_lower_bound(fixture_args(&[
        "--summary",
        "--json",
        "-q",
    ])))
    .unwrap();
    let mut checked = (0, 0, 0);
    for s in summary["sessions"].as_array().unwrap() {
        let id = s["session_id"].as_str().unwrap();
        let mine: Vec<&Value> = spans
            .iter()
            .filter(|(sid, _)| sid == id)
            .map(|(_, span)| span)
            .collect();
        let chats: Vec<&&Value> = mine
            .iter()
            .filter(|sp| sp["name"].as_str().unwrap().starts_with("chat "))
            .collect();
        let root = mine
            .iter()
            .find(|sp| sp["name"] == "claude_code.session")
            .unwrap();
        // The chat spans' costs add up to the session's (of what has a price).
        let priced = s["priced_cost_usd"].as_f64().unwrap();
        let sum: f64 = chats
            .iter()
            .filter_map(|sp| f64_attr(sp, "aegon.cost.usd"))
            .sum();
        close(sum, priced, id);
        match s["cost_usd"].as_f64() {
            Some(cost) => close(f64_attr(root, "aegon.cost.usd").unwrap(), cost, id),
            None => assert_eq!(attr_value(root, "aegon.cost.usd"), None, "{id}: unknown"),
        }
        let e = &s["cost_explained"];
        match e["cache_hit_ratio"].as_f64() {
            Some(r) => close(f64_attr(root, "aegon.cache.hit_ratio").unwrap(), r, id),
            None => assert_eq!(attr_value(root, "aegon.cache.hit_ratio"), None, "{id}"),
        }
        assert_eq!(
            attr_value(root, "aegon.cache.rebuilds"),
            Some(e["rebuilds"].clone()),
            "{id}"
        );
        let rebuilds = chats
            .iter()
            .filter(|sp| attr_value(sp, "aegon.cache.rebuild.cause").is_some())
            .count() as u64;
        assert_eq!(rebuilds, e["rebuilds"].as_u64().unwrap(), "{id}");
        for (cause, t) in e["by_cause"].as_object().unwrap() {
            let key = format!("aegon.cache.rebuild.lost_usd.{cause}");
            match t["cost_usd"].as_f64().filter(|_| t["rebuilds"] != 0) {
                Some(lost) => {
                    close(f64_attr(root, &key).unwrap(), lost, &key);
                    checked.0 += 1;
                }
                None => assert_eq!(attr_value(root, &key), None, "{id} {key}"),
            }
        }
        if e["rebuilds"] != 0 {
            close(
                f64_attr(root, "aegon.cache.rebuild.cost_usd").unwrap(),
                e["rebuild_cost_usd"].as_f64().unwrap(),
                id,
            );
        }
        // Each subagent's span carries its cost.
        for a in s["agents"].as_array().unwrap() {
            let name = format!("invoke_agent {}", a["agent_id"].as_str().unwrap());
            if let Some(span) = mine.iter().find(|sp| sp["name"] == name.as_str()) {
                close(
                    f64_attr(span, "aegon.cost.usd").unwrap(),
                    a["cost_usd"].as_f64().unwrap(),
                    &name,
                );
                checked.1 += 1;
            }
        }
        checked.2 += 1;
    }
    assert!(checked.0 >= 8, "causes checked: {checked:?}");
    assert!(checked.1 >= 4, "subagents checked: {checked:?}");
    assert!(checked.2 >= 18, "sessions checked: {checked:?}");
}

#[test]
fn rebuilds_on_chat_spans_are_the_ndjson_streams() {
    // The responses the NDJSON stream marks as rebuilds, by session and message id, with their
    // cause, tokens and cost; and every first usage event's hit ratio.
    let ndjson = aegon_stdout(fixture_args(&["--ndjson", "-q"]));
    let mut want_rebuilds = BTreeMap::new();
    let mut want_ratios = BTreeMap::new();
    for line in ndjson.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        if e["kind"] != "usage" || e["increment"] == true {
            continue;
        }
        let key = (
            e["session_id"].as_str().unwrap().to_owned(),
            e["message_id"].as_str().unwrap().to_owned(),
        );
        want_ratios.insert(key.clone(), e["cache_hit_ratio"].to_string());
        if let Some(cause) = e["rebuild"].as_str() {
            want_rebuilds.insert(
                key,
                (
                    cause.to_owned(),
                    e["rebuild_tokens"].as_u64().unwrap(),
                    e["rebuild_cost_usd"].to_string(),
                ),
            );
        }
    }
    let mut got_rebuilds = BTreeMap::new();
    let mut got_ratios = BTreeMap::new();
    for (session, span) in spans_with_session(&expected_requests()) {
        if !span["name"].as_str().unwrap().starts_with("chat ") {
            continue;
        }
        let id = attr_value(&span, "gen_ai.response.id").unwrap();
        let key = (session, id.as_str().unwrap().to_owned());
        let ratio = attr_value(&span, "aegon.cache.hit_ratio").unwrap_or(Value::Null);
        got_ratios.insert(key.clone(), ratio.to_string());
        if let Some(cause) = attr_value(&span, "aegon.cache.rebuild.cause") {
            let tokens = attr_value(&span, "aegon.cache.rebuild.tokens").unwrap();
            let cost = attr_value(&span, "aegon.cache.rebuild.cost_usd").unwrap_or(Value::Null);
            got_rebuilds.insert(
                key,
                (
                    cause.as_str().unwrap().to_owned(),
                    tokens.as_u64().unwrap(),
                    cost.to_string(),
                ),
            );
        }
    }
    assert!(want_rebuilds.len() >= 30, "{}", want_rebuilds.len());
    assert!(
        want_rebuilds.values().any(|r| r.0 == "expired")
            && want_rebuilds.values().any(|r| r.0 == "compaction")
    );
    assert_eq!(got_rebuilds, want_rebuilds);
    assert_eq!(got_ratios, want_ratios);
}

#[test]
fn a_kind_filter_leaves_the_cost_figures_alone() {
    // `-k usage` shows only usage events, but the compactions, API errors and inline
    // sidechain prompts left out still decide the rebuild causes (the corpus has two
    // compaction rebuilds, which the filtered stream would otherwise call something else).
    let usage_lines = |args: &[&str]| -> Vec<String> {
        aegon_stdout(fixture_args(args))
            .lines()
            .filter(|l| l.contains(r#""kind":"usage""#))
            .map(str::to_owned)
            .collect()
    };
    let all = usage_lines(&["--ndjson", "-q"]);
    assert!(all.iter().any(|l| l.contains(r#""rebuild":"compaction""#)));
    assert_eq!(usage_lines(&["--ndjson", "-q", "-k", "usage"]), all);
    // The same for the chat spans of `--otlp -k usage`.
    let chat_costs = |args: &[&str]| -> BTreeMap<(String, String), BTreeMap<String, String>> {
        let requests: Vec<Value> = aegon_stdout(fixture_args(args))
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        spans_with_session(&requests)
            .into_iter()
            .filter(|(_, s)| s["name"].as_str().unwrap().starts_with("chat "))
            .map(|(session, span)| {
                let id = attr_value(&span, "gen_ai.response.id").unwrap();
                let attrs = cost_attrs(std::slice::from_ref(&span))
                    .into_values()
                    .next()
                    .unwrap();
                ((session, id.as_str().unwrap().to_owned()), attrs)
            })
            .collect()
    };
    let whole = chat_costs(&["--otlp", "-q"]);
    assert!(whole.len() > 1_000);
    assert_eq!(chat_costs(&["--otlp", "-q", "-k", "usage"]), whole);
}

/// Claude Code's metrics as its monitoring documentation gives them (code.claude.com
/// docs/en/monitoring-usage, "Metrics" and "Metric details", read 2026-08): name → unit, the
/// attribute keys a point may carry (besides the standard ones) and the values of `type`.
const DOCUMENTED: &[(&str, &str, &[&str], &[&str])] = &[
    ("claude_code.session.count", "", &["start_type"], &[]),
    (
        "claude_code.lines_of_code.count",
        "",
        &["type", "model"],
        &["added", "removed"],
    ),
    (
        "claude_code.cost.usage",
        "USD",
        &[
            "model",
            "query_source",
            "speed",
            "effort",
            "agent.name",
            "skill.name",
            "plugin.name",
            "marketplace.name",
            "mcp_server.name",
            "mcp_tool.name",
        ],
        &[],
    ),
    (
        "claude_code.token.usage",
        "tokens",
        &[
            "type",
            "model",
            "query_source",
            "speed",
            "effort",
            "agent.name",
            "skill.name",
            "plugin.name",
            "marketplace.name",
            "mcp_server.name",
            "mcp_tool.name",
        ],
        &["input", "output", "cacheRead", "cacheCreation"],
    ),
];

/// The documentation's standard attributes (on every metric).
const STANDARD: &[&str] = &[
    "session.id",
    "app.version",
    "app.entrypoint",
    "organization.id",
    "user.account_uuid",
    "user.account_id",
    "user.id",
    "user.email",
    "terminal.type",
];

#[test]
fn metrics_have_claude_codes_names_units_and_attributes() {
    let points = points_of(&expected_requests());
    let mut seen = BTreeSet::new();
    for p in &points {
        let (_, unit, keys, types) = DOCUMENTED
            .iter()
            .find(|(name, ..)| *name == p.name)
            .unwrap_or_else(|| panic!("{} is not one of Claude Code's metrics", p.name));
        assert_eq!(&p.unit, unit, "{}'s unit", p.name);
        assert_eq!(p.temporality, 1, "delta, Claude Code's default");
        let attrs = p.attrs();
        assert!(attrs.contains_key("session.id"), "{}: {attrs:?}", p.name);
        for key in attrs.keys() {
            assert!(
                STANDARD.contains(&key.as_str()) || keys.contains(&key.as_str()),
                "{}: attribute {key} is not documented",
                p.name
            );
        }
        if !types.is_empty() {
            let kind = attrs.get("type").map(String::as_str).unwrap_or("");
            assert!(types.contains(&kind), "{}: type {kind}", p.name);
        }
        if let Some(q) = attrs.get("query_source") {
            assert!(["main", "subagent", "auxiliary"].contains(&q.as_str()));
        }
        seen.insert(p.name.clone());
    }
    assert_eq!(seen.len(), 4, "all four metrics appear: {seen:?}");
}

#[test]
fn metrics_add_up_to_the_summary_and_independent_counts() {
    let points = points_of(&expected_requests());
    let totals = summary_totals();
    let sum = |name: &str, kind: Option<&str>| -> f64 {
        points
            .iter()
            .filter(|p| p.name == name)
            .filter(|p| kind.is_none_or(|k| p.attrs().get("type").map(String::as_str) == Some(k)))
            .map(Point::value)
            .sum()
    };
    let t = &totals["tokens"];
    let n = |k: &str| t[k].as_u64().unwrap() as f64;
    assert_eq!(sum("claude_code.token.usage", Some("input")), n("input"));
    assert_eq!(sum("claude_code.token.usage", Some("output")), n("output"));
    assert_eq!(
        sum("claude_code.token.usage", Some("cacheRead")),
        n("cache_read")
    );
    assert_eq!(
        sum("claude_code.token.usage", Some("cacheCreation")),
        n("cache_write_5m") + n("cache_write_1h")
    );
    // The summary's cost of what has a price (rounded to 1/100 of a cent); unpriced models
    // send no cost point.
    let cost = totals["priced_cost_usd"].as_f64().unwrap();
    assert!(
        (sum("claude_code.cost.usage", None) - cost).abs() < 1e-4,
        "{} vs {cost}",
        sum("claude_code.cost.usage", None)
    );
    // One session.count per session id, counted here from the files themselves.
    let mut sessions = BTreeSet::new();
    for path in fixtures() {
        for line in std::fs::read_to_string(path).unwrap().lines() {
            if let Ok(v) = serde_json::from_str::<Value>(line) {
                if let Some(id) = v["sessionId"].as_str() {
                    if v["timestamp"].is_string() {
                        sessions.insert(id.to_owned());
                    }
                }
            }
        }
    }
    assert_eq!(
        sum("claude_code.session.count", None),
        sessions.len() as f64
    );
    let (added, removed) = lines_changed_in_fixtures();
    assert!(added > 100.0 && removed > 10.0, "{added} {removed}");
    assert_eq!(sum("claude_code.lines_of_code.count", Some("added")), added);
    assert_eq!(
        sum("claude_code.lines_of_code.count", Some("removed")),
        removed
    );
    // Delta: each series' points follow one another, times strictly increasing.
    let mut series: BTreeMap<String, Vec<&Point>> = BTreeMap::new();
    for p in &points {
        series
            .entry(format!("{} {:?}", p.name, p.attrs()))
            .or_default()
            .push(p);
    }
    for (name, ps) in series {
        for w in ps.windows(2) {
            assert_eq!(
                w[1].nanos("startTimeUnixNano"),
                w[0].nanos("timeUnixNano"),
                "{name}: intervals follow one another"
            );
            assert!(w[1].nanos("timeUnixNano") > w[0].nanos("timeUnixNano"));
        }
    }
}

/// Lines added and removed by the fixtures' successful edits, counted from the raw lines: the
/// `+`/`-` lines of each answered call's `toolUseResult.structuredPatch` (its first result),
/// or a created file's lines.
fn lines_changed_in_fixtures() -> (f64, f64) {
    let (mut added, mut removed) = (0.0, 0.0);
    for path in fixtures() {
        let mut calls = BTreeSet::new();
        let mut answered = BTreeSet::new();
        for line in std::fs::read_to_string(path).unwrap().lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let blocks = v["message"]["content"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for b in &blocks {
                if b["type"] == "tool_use" {
                    calls.insert(b["id"].as_str().unwrap_or("").to_owned());
                }
            }
            let result = &v["toolUseResult"];
            let Some(patch) = result["structuredPatch"].as_array() else {
                continue;
            };
            let Some(block) = blocks.iter().find(|b| b["type"] == "tool_result") else {
                continue;
            };
            let id = block["tool_use_id"].as_str().unwrap_or("").to_owned();
            if block["is_error"] == true || !calls.contains(&id) || !answered.insert(id) {
                continue;
            }
            for l in patch
                .iter()
                .flat_map(|h| h["lines"].as_array().cloned().unwrap_or_default())
            {
                match l.as_str().unwrap_or("").chars().next() {
                    Some('+') => added += 1.0,
                    Some('-') => removed += 1.0,
                    _ => {}
                }
            }
            if patch.is_empty() && result["type"] == "create" {
                added += result["content"].as_str().unwrap_or("").lines().count() as f64;
            }
        }
    }
    (added, removed)
}

/// What a receiver got: one request.
#[derive(Debug, Clone)]
struct Got {
    path: String,
    headers: BTreeMap<String, String>,
    /// The request as OTLP/JSON (decoded from protobuf when it came so).
    json: Value,
    at: Instant,
}

/// A loopback OTLP/HTTP receiver, plain or TLS, answering from a script and then 200.
struct Receiver {
    base: String,
    got: Arc<Mutex<Vec<Got>>>,
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

/// One scripted answer: status and an optional `Retry-After`.
type Answer = (u16, Option<&'static str>);

impl Receiver {
    fn start(tls: Option<Arc<rustls::ServerConfig>>, script: Vec<Answer>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base = format!("{scheme}://{}", listener.local_addr().unwrap());
        listener.set_nonblocking(true).unwrap();
        let got: Arc<Mutex<Vec<Got>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let script = Arc::new(Mutex::new(script.into_iter()));
        let handle = {
            let (got, stop) = (got.clone(), stop.clone());
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(120);
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            stream.set_nonblocking(false).unwrap();
                            stream
                                .set_read_timeout(Some(Duration::from_secs(30)))
                                .unwrap();
                            let (got, script, tls) = (got.clone(), script.clone(), tls.clone());
                            std::thread::spawn(move || match tls {
                                Some(config) => {
                                    let conn = rustls::ServerConnection::new(config).unwrap();
                                    serve(rustls::StreamOwned::new(conn, stream), &got, &script)
                                }
                                None => serve(stream, &got, &script),
                            });
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            })
        };
        Receiver {
            base,
            got,
            stop,
            handle: Some(handle),
        }
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// The requests it answered 200, as OTLP/JSON.
    fn accepted(&self) -> Vec<Value> {
        self.got().into_iter().map(|g| g.json).collect()
    }

    /// Waits up to `secs` for `done` to hold of what was accepted.
    fn wait_for(&self, secs: u64, done: impl Fn(&[Value]) -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if done(&self.accepted()) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        done(&self.accepted())
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Answers the requests of one connection (kept alive) until it closes. Refused requests
/// (scripted non-200s) are not kept; accepted ones are, decoded.
fn serve<S: Read + Write>(
    stream: S,
    got: &Mutex<Vec<Got>>,
    script: &Mutex<std::vec::IntoIter<Answer>>,
) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_owned();
        let mut headers = BTreeMap::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        let length: usize = headers
            .get("content-length")
            .expect("a Content-Length (some backends refuse chunked bodies)")
            .parse()
            .unwrap();
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let at = Instant::now();
        let (status, retry_after) = script.lock().unwrap().next().unwrap_or((200, None));
        // Kept before the answer goes out, so what aegon saw accepted is here when it exits.
        let json = decode(&path, &headers, body);
        got.lock().unwrap().push(if status == 200 {
            Got {
                path,
                headers,
                json,
                at,
            }
        } else {
            // Remembered for its time only (the retry's wait is measured from it).
            Got {
                path: format!("refused {path}"),
                headers,
                json: Value::Null,
                at,
            }
        });
        let mut answer = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\n");
        if let Some(after) = retry_after {
            answer.push_str(&format!("Retry-After: {after}\r\n"));
        }
        answer.push_str("\r\n");
        let stream = reader.get_mut();
        stream.write_all(answer.as_bytes()).unwrap();
        stream.flush().unwrap();
    }
}

/// A request body as OTLP/JSON: gunzipped, and protobuf decoded with the official messages.
fn decode(path: &str, headers: &BTreeMap<String, String>, body: Vec<u8>) -> Value {
    let body = if headers.get("content-encoding").map(String::as_str) == Some("gzip") {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(body.as_slice())
            .read_to_end(&mut plain)
            .unwrap();
        plain
    } else {
        body
    };
    match headers.get("content-type").map(String::as_str) {
        Some("application/x-protobuf") => match path {
            "/v1/traces" => {
                serde_json::to_value(ExportTraceServiceRequest::decode(body.as_slice()).unwrap())
                    .unwrap()
            }
            "/v1/metrics" => {
                serde_json::to_value(ExportMetricsServiceRequest::decode(body.as_slice()).unwrap())
                    .unwrap()
            }
            other => panic!("unexpected path {other}"),
        },
        Some("application/json") => serde_json::from_slice(&body).unwrap(),
        other => panic!("unexpected content type {other:?}"),
    }
}

/// A certificate for 127.0.0.1 made now, its PEM written to `dir`, and a server config.
fn tls(dir: &Path) -> (Arc<rustls::ServerConfig>, PathBuf) {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let pem = dir.join("ca.pem");
    std::fs::write(&pem, made.cert.pem()).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![made.cert.der().clone()], key)
        .unwrap();
    (Arc::new(config), pem)
}

/// A collector that cannot be reached (nothing listens on the port): the run says how many
/// requests, spans and metric points were not delivered and why, and exits with 2. It used
/// to say "0 requests sent, 0 not sent, the rest still queued" and exit 0.
#[test]
fn an_unreachable_collector_is_said_with_what_was_lost_and_exits_2() {
    let file = common::fixture("apanloco__random__session.jsonl");
    // What would have been sent: the same requests, as `--otlp` writes them.
    let requests: Vec<Value> = aegon_stdout(["--otlp".as_ref(), "-q".as_ref(), file.as_os_str()])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (spans, points) = (spans_of(&requests).len(), points_of(&requests).len());
    assert!(spans > 0 && points > 0);
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let out = aegon()
        .args(["--ndjson", "-q", "--otlp-endpoint"])
        .arg(format!("http://127.0.0.1:{port}"))
        .arg(&file)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let n = requests.len();
    assert!(
        stderr.contains(&format!(
            "{n} of {n} requests not delivered ({spans} spans and {points} metric points lost): connection refused"
        )),
        "{stderr}"
    );
}

/// A host that does not resolve (`.invalid` never does, RFC 2606) is said as such, with the
/// host; it was "uncategorized error". A URL the HTTP client cannot take (an unclosed `[`) is a
/// usage error at start naming the flag; it failed when sending with "the request failed".
#[test]
fn an_unresolvable_host_and_a_malformed_endpoint_are_said_as_such() {
    let file = common::fixture("apanloco__random__session.jsonl");
    let out = aegon()
        .args([
            "--ndjson",
            "-q",
            "--otlp-endpoint",
            "http://nonexistent.invalid:4318",
        ])
        .arg(&file)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot resolve host nonexistent.invalid"),
        "{stderr}"
    );
    let started = std::time::Instant::now();
    let out = aegon()
        .args(["--ndjson", "-q", "--otlp-endpoint", "http://[::1"])
        .arg(&file)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--otlp-endpoint: 'http://[::1' is not a valid URL"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// `aegon` with no OpenTelemetry or proxy variables from the machine (only what a test sets).
fn aegon() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_aegon"));
    for (key, _) in std::env::vars() {
        let k = key.to_ascii_uppercase();
        if k.starts_with("OTEL_") || k.ends_with("_PROXY") {
            c.env_remove(&key);
        }
    }
    c
}

fn span_ids(spans: &[Value]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = spans
        .iter()
        .map(|s| {
            (
                s["traceId"].as_str().unwrap().to_owned(),
                s["spanId"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

fn point_keys(points: &[Point]) -> Vec<String> {
    let mut v: Vec<String> = points.iter().map(Point::key).collect();
    v.sort();
    v
}

/// Asserts two sorted lists are equal, saying how they differ in a few lines.
fn same<T: Ord + std::fmt::Debug>(got: &[T], want: &[T], what: &str) {
    if got == want {
        return;
    }
    let extra: Vec<&T> = got.iter().filter(|g| !want.contains(g)).take(3).collect();
    let missing: Vec<&T> = want.iter().filter(|w| !got.contains(w)).take(3).collect();
    let mut dups: Vec<&T> = got
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| &w[0])
        .collect();
    dups.truncate(3);
    panic!(
        "{what}: got {}, want {}; extra {extra:?}; missing {missing:?}; twice {dups:?}",
        got.len(),
        want.len()
    );
}

/// Checks a receiver got every span and point of the fixtures once, each request at the path
/// of its signal.
fn assert_everything_once(receiver: &Receiver, expected: &[Value]) {
    let got = receiver.got();
    for g in got.iter().filter(|g| !g.path.starts_with("refused")) {
        let signal = if g.json.get("resourceSpans").is_some() {
            "/v1/traces"
        } else {
            "/v1/metrics"
        };
        assert_eq!(g.path, signal);
    }
    let accepted = receiver.accepted();
    let accepted: Vec<Value> = accepted.into_iter().filter(|v| !v.is_null()).collect();
    let spans = span_ids(&spans_of(&accepted));
    assert!(spans.len() > 100, "{} spans", spans.len());
    same(&spans, &span_ids(&spans_of(expected)), "spans");
    // The cost explained attributes went through the encoding (protobuf doubles and ints).
    let costs = cost_attrs(&spans_of(&accepted));
    assert!(
        costs
            .values()
            .filter(|a| a.contains_key("aegon.cost.usd"))
            .count()
            > 100,
        "costs sent"
    );
    assert_eq!(costs, cost_attrs(&spans_of(expected)), "cost attributes");
    let points = point_keys(&points_of(&accepted));
    assert!(points.len() > 100, "{} points", points.len());
    same(&points, &point_keys(&points_of(expected)), "metric points");
}

#[test]
fn a_tls_collector_gets_everything_once_over_protobuf_and_gzip_with_the_environments_headers() {
    let expected = expected_requests();
    let dir = temp_dir("tls-protobuf");
    let (config, ca) = tls(&dir);
    // The first request is refused with a Retry-After of 2 s; the default backoff is 0.5 s.
    let receiver = Receiver::start(Some(config), vec![(503, Some("2"))]);
    let secret = "k3y-that-must-not-show";
    let out = aegon()
        .args(fixture_args(&["--ndjson", "-q", "--otlp-export"]))
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.base)
        .env(
            "OTEL_EXPORTER_OTLP_HEADERS",
            format!("x-api-key={secret},Authorization=Bearer%20tok"),
        )
        .env("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "x-dataset=claude")
        .env("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
        .env("OTEL_EXPORTER_OTLP_CERTIFICATE", &ca)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains(secret), "{stderr}");
    // aegon has waited for its queue to drain before exiting.
    assert_everything_once(&receiver, &expected);
    let got = receiver.got();
    for g in &got {
        assert_eq!(g.headers["content-type"], "application/x-protobuf");
        assert_eq!(g.headers["content-encoding"], "gzip");
        assert_eq!(g.headers["x-api-key"], secret);
        assert_eq!(g.headers["authorization"], "Bearer tok");
        let metrics = g.path.ends_with("/v1/metrics");
        assert_eq!(g.headers.contains_key("x-dataset"), metrics, "{}", g.path);
    }
    let refused = got
        .iter()
        .position(|g| g.path.starts_with("refused"))
        .unwrap();
    assert_eq!(refused, 0, "the first request was the refused one");
    let retry = got
        .iter()
        .skip(1)
        .find(|g| g.path == got[0].path.trim_start_matches("refused "))
        .unwrap();
    let waited = retry.at - got[0].at;
    assert!(
        waited >= Duration::from_millis(1900),
        "Retry-After: 2 honoured, waited {waited:?}"
    );
}

#[test]
fn json_over_tls_with_the_flags_after_a_503() {
    let expected = expected_requests();
    let dir = temp_dir("tls-json");
    let (config, ca) = tls(&dir);
    let receiver = Receiver::start(Some(config), vec![(503, None)]);
    let out = aegon()
        .args(fixture_args(&["--ndjson", "-q"]))
        .arg("--otlp-endpoint")
        .arg(format!("{}/v1/traces", receiver.base))
        .args(["--otlp-protocol", "http/json", "--otlp-ca"])
        .arg(&ca)
        // A flag wins over the environment.
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_everything_once(&receiver, &expected);
    for g in receiver.got() {
        assert_eq!(g.headers["content-type"], "application/json");
        assert!(!g.headers.contains_key("content-encoding"));
    }
}

#[test]
fn an_untrusted_certificate_is_refused_and_said() {
    let dir = temp_dir("untrusted");
    let (config, _) = tls(&dir);
    let receiver = Receiver::start(Some(config), vec![]);
    let start = Instant::now();
    let out = aegon()
        .args(["--ndjson", "-q", "--otlp-endpoint", &receiver.base])
        .arg(common::fixture("apanloco__random__session.jsonl"))
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "nothing was delivered: {stderr}"
    );
    assert!(receiver.accepted().is_empty());
    assert!(
        stderr.contains("not delivered") && stderr.contains("TLS"),
        "{stderr}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "a certificate problem is not retried"
    );
}

#[test]
fn the_dashboard_exports_too() {
    // The demo plays to its end at once; the dashboard stays open and its export sends every
    // span of the session, root included, in the background.
    let expected: Vec<Value> = aegon_stdout(["--otlp", "-q", "demo", "--speed", "1000000"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let want = spans_of(&expected).len();
    let receiver = Receiver::start(None, vec![(503, None)]);
    let command = format!(
        "{} demo --speed 1000000 --otlp-endpoint {}; sleep 30",
        env!("CARGO_BIN_EXE_aegon"),
        receiver.base
    );
    let pane = common::tmux::Pane::start("otlp", &command, &[], 100, 30);
    // Not the footer's "end of the recording": the footer shows the latest notice, and the
    // exporter's note of the refused first batch (503) may come after it.
    receiver.wait_for(30, |got| spans_of(got).len() >= want);
    pane.keys(&["q"]);
    std::thread::sleep(Duration::from_millis(500));
    same(
        &span_ids(&spans_of(&receiver.accepted())),
        &span_ids(&spans_of(&expected)),
        "every span of the demo, once",
    );
}

/// A transcript of one prompt and one answer at `at` (RFC 3339), session `id`.
fn transcript(id: &str, at: &str) -> String {
    format!(
        concat!(
            r#"{{"type":"user","sessionId":"{id}","timestamp":"{at}","message":{{"role":"user","content":"hi"}}}}"#,
            "\n",
            r#"{{"type":"assistant","sessionId":"{id}","timestamp":"{at}","message":{{"id":"m-{id}","model":"claude-opus-4-6","content":[{{"type":"text","text":"hello"}}],"usage":{{"input_tokens":3,"output_tokens":2}}}}}}"#,
            "\n"
        ),
        id = id,
        at = at
    )
}

fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[test]
fn watch_sends_an_idle_sessions_root_span_while_it_streams() {
    let dir = temp_dir("idle");
    let project = dir.join("projects/-p");
    std::fs::create_dir_all(&project).unwrap();
    // An old session (idle long ago) and one written now (live).
    std::fs::write(
        project.join("old.jsonl"),
        transcript("old-session", "2026-01-01T10:00:00.000Z"),
    )
    .unwrap();
    std::fs::write(
        project.join("live.jsonl"),
        transcript("live-session", &now_rfc3339()),
    )
    .unwrap();
    let receiver = Receiver::start(None, vec![]);
    let mut child = aegon()
        .args([
            "watch",
            "--ndjson",
            "-q",
            "--since",
            "all",
            "--otlp-endpoint",
        ])
        .arg(&receiver.base)
        .arg(dir.join("projects"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let roots = |got: &[Value]| -> Vec<String> {
        spans_of(got)
            .iter()
            .filter(|s| s["name"] == "claude_code.session")
            .map(|s| {
                s["attributes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|a| a["key"] == "session.id")
                    .unwrap()["value"]["stringValue"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let sent = receiver.wait_for(20, |got| !roots(got).is_empty());
    // Two more ticks: the live one must still be waiting.
    std::thread::sleep(Duration::from_secs(5));
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        sent,
        "the idle session's root span went out while aegon ran"
    );
    assert_eq!(roots(&receiver.accepted()), ["old-session"]);
    // Its metrics went out as it came, with the transcript's times.
    let points = points_of(&receiver.accepted());
    assert!(points
        .iter()
        .any(|p| p.name == "claude_code.token.usage" && p.attrs()["session.id"] == "live-session"));
}

#[test]
fn quitting_a_live_dashboard_still_sends_the_sessions_root_spans() {
    let dir = temp_dir("quit");
    let project = dir.join("projects/-p");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("live.jsonl"),
        transcript("live-session", &now_rfc3339()),
    )
    .unwrap();
    let receiver = Receiver::start(None, vec![]);
    let command = format!(
        "{} watch --since all --otlp-endpoint {} {}; echo EXITED; sleep 30",
        env!("CARGO_BIN_EXE_aegon"),
        receiver.base,
        dir.join("projects").display()
    );
    let pane = common::tmux::Pane::start("otlp-quit", &command, &[], 100, 30);
    pane.wait_for("hello");
    let is_root = |s: &Value| s["name"] == "claude_code.session";
    std::thread::sleep(Duration::from_millis(5000));
    assert!(
        !spans_of(&receiver.accepted()).iter().any(is_root),
        "a live session's root span waits for it to go idle or for the end"
    );
    pane.keys(&["q"]);
    pane.wait_for("EXITED");
    let spans = spans_of(&receiver.accepted());
    assert_eq!(
        spans.iter().filter(|s| is_root(s)).count(),
        1,
        "the root, once"
    );
}

#[test]
fn content_is_sent_only_when_asked() {
    let file = common::fixture("apanloco__random__session.jsonl");
    let plain = aegon_stdout([Path::new("--otlp"), Path::new("-q"), &file]);
    let with = aegon_stdout([
        Path::new("--otlp"),
        Path::new("--otlp-content"),
        Path::new("-q"),
        &file,
    ]);
    // A prompt of the fixture, read here from its first human line.
    let prompt = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|v| {
            (v["type"] == "user")
                .then(|| v["message"]["content"].as_str().map(str::to_owned))
                .flatten()
        })
        .unwrap();
    let needle = serde_json::to_string(&prompt).unwrap();
    let needle = needle.trim_matches('"');
    assert!(!plain.contains(needle), "no prompt text by default");
    assert!(with.contains(needle), "the prompt with --otlp-content");
    assert!(!plain.contains("gen_ai.tool.call.arguments"));
    assert!(with.contains("gen_ai.tool.call.arguments"));
    for line in plain.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        for s in spans_of(&[v]) {
            for a in s["attributes"].as_array().unwrap() {
                let len = a["value"]["stringValue"].as_str().map_or(0, str::len);
                assert!(len <= 256, "{a}");
            }
        }
    }
}

#[test]
fn the_environments_resource_and_signals_shape_the_output() {
    let file = common::fixture("apanloco__random__session.jsonl");
    let out = aegon()
        .args(["--otlp", "-q"])
        .arg(&file)
        .env("OTEL_SERVICE_NAME", "backfill")
        .env(
            "OTEL_RESOURCE_ATTRIBUTES",
            "team.id=platform,session.id=not-this",
        )
        .env("OTEL_TRACES_EXPORTER", "none")
        .env(
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
            "cumulative",
        )
        .output()
        .unwrap();
    assert!(out.status.success());
    let requests: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(spans_of(&requests).is_empty(), "traces off");
    let points = points_of(&requests);
    assert!(!points.is_empty());
    for r in &requests {
        let resource = &r["resourceMetrics"][0]["resource"]["attributes"];
        let get = |k: &str| {
            resource
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["key"] == k)
                .map(|a| a["value"]["stringValue"].as_str().unwrap().to_owned())
        };
        assert_eq!(get("service.name").as_deref(), Some("backfill"));
        assert_eq!(get("team.id").as_deref(), Some("platform"));
        assert_ne!(get("session.id").as_deref(), Some("not-this"));
    }
    // Cumulative: each series' value never falls, its start stays put.
    let mut last: BTreeMap<String, (u64, f64)> = BTreeMap::new();
    for p in &points {
        assert_eq!(p.temporality, 2);
        assert_eq!(
            p.attrs()["team.id"],
            "platform",
            "custom keys on points too"
        );
        let key = format!("{} {:?}", p.name, p.attrs());
        let start = p.nanos("startTimeUnixNano");
        if let Some((s, v)) = last.get(&key) {
            assert_eq!(*s, start);
            assert!(p.value() >= *v);
        }
        last.insert(key, (start, p.value()));
    }
}

#[test]
fn spans_name_the_provider_of_each_agents_model() {
    // A Gemini CLI chat and a Codex rollout: chat spans name Google's and OpenAI's GenAI
    // provider (not Anthropic), and the resource names the agent.
    let agents = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/agents");
    for (file, provider, agent) in [
        (
            "gemini/7567491__ren__.gemini__tmp__cd8c738c7a1a18392f8c7b8478cd36a4fd00c22700c909f29113a59918ee224a__chats__session-2026-01-03T08-29-d667b4d8.json",
            "gcp.gemini",
            "gemini-cli",
        ),
        (
            "codex/0h-n0__local-voice-assistant-codex__.codex__sessions__2025__12__26__rollout-2025-12-26T01-48-36-019b5669-8da8-7bc3-bed8-e1c1b805dad5.jsonl",
            "openai",
            "codex",
        ),
    ] {
        let out = common::aegon_stdout(["--otlp", agents.join(file).to_str().unwrap()]);
        let mut providers = std::collections::BTreeSet::new();
        let mut named = false;
        for line in out.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let mut stack = vec![&v];
            while let Some(x) = stack.pop() {
                match x {
                    serde_json::Value::Object(o) => {
                        if o.get("key").and_then(|k| k.as_str()) == Some("gen_ai.provider.name") {
                            providers.insert(o["value"]["stringValue"].as_str().unwrap().to_owned());
                        }
                        if o.get("key").and_then(|k| k.as_str()) == Some("aegon.agent") {
                            assert_eq!(o["value"]["stringValue"], agent);
                            named = true;
                        }
                        stack.extend(o.values());
                    }
                    serde_json::Value::Array(a) => stack.extend(a.iter()),
                    _ => {}
                }
            }
        }
        assert_eq!(providers.into_iter().collect::<Vec<_>>(), [provider], "{file}");
        assert!(named, "{file}: no aegon.agent");
    }
}

/// Every other agent's fixture, session by session: one chat span per API call `--summary`
/// counts, the chat spans' and `usage` spans' costs adding up to its cost, and no span id twice
/// in a trace. A Codex rollout whose token counter resets names `<session>:0` again after
/// each reset (5 responses, 344 chat spans for 348 calls, $7.2818 for $7.3248: the later ones
/// were taken for late lines of the first), and Copilot CLI's shutdown totals are usage, not
/// an API call (they were an 18th chat span for 17 calls).
#[test]
fn other_agents_chat_spans_are_the_summarys_calls_and_cost() {
    let agents = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/agents");
    let mut files = Vec::new();
    for agent in std::fs::read_dir(&agents).unwrap() {
        let agent = agent.unwrap().path();
        if agent.is_dir() {
            for f in std::fs::read_dir(&agent).unwrap() {
                let f = f.unwrap().path();
                // Copilot CLI's workspace.yaml is no transcript (exit 1, no session).
                if f.extension().is_some_and(|e| e != "yaml") {
                    files.push(f);
                }
            }
        }
    }
    files.sort();
    let mut checked = 0;
    for file in &files {
        let name = file.to_str().unwrap();
        let summary: Value =
            serde_json::from_str(&aegon_stdout(["--summary", "--json", "-q", name])).unwrap();
        let requests: Vec<Value> = aegon_stdout(["--otlp", "-q", name])
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let spans = spans_with_session(&requests);
        for s in summary["sessions"].as_array().unwrap() {
            let id = s["session_id"].as_str().unwrap();
            let mine: Vec<&Value> = spans
                .iter()
                .filter(|(sid, _)| sid == id)
                .map(|(_, span)| span)
                .collect();
            let named = |prefix: &str| -> Vec<&Value> {
                mine.iter()
                    .copied()
                    .filter(|sp| sp["name"].as_str().unwrap().starts_with(prefix))
                    .collect()
            };
            let chats = named("chat ");
            assert_eq!(
                chats.len() as u64,
                s["api_calls"].as_u64().unwrap(),
                "{name} {id}: one chat span per API call"
            );
            let priced = s["priced_cost_usd"].as_f64().unwrap();
            let sum: f64 = chats
                .iter()
                .chain(named("usage ").iter())
                .filter_map(|sp| f64_attr(sp, "aegon.cost.usd"))
                .sum();
            close(sum, priced, &format!("{name} {id}"));
            let ids: BTreeSet<(&str, &str)> = mine
                .iter()
                .map(|sp| {
                    (
                        sp["traceId"].as_str().unwrap(),
                        sp["spanId"].as_str().unwrap(),
                    )
                })
                .collect();
            assert_eq!(ids.len(), mine.len(), "{name} {id}: a span id twice");
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked} sessions");
}

/// Per `service.name` of `--otlp -q` on `files`: the `aegon.agent` values, metric names, the
/// sum of cost points and the root spans' names.
type ByService = BTreeMap<String, (BTreeSet<String>, BTreeSet<String>, f64, BTreeSet<String>)>;

fn by_service(files: &[PathBuf]) -> ByService {
    let mut args: Vec<std::ffi::OsString> = vec!["--otlp".into(), "-q".into()];
    args.extend(files.iter().map(Into::into));
    let out = aegon().args(args).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let mut by = ByService::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let request: Value = serde_json::from_str(line).unwrap();
        for kind in ["resourceSpans", "resourceMetrics"] {
            for r in request[kind].as_array().cloned().unwrap_or_default() {
                let attr = |key: &str| {
                    r["resource"]["attributes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|a| a["key"] == key)
                        .map(|a| a["value"]["stringValue"].as_str().unwrap().to_owned())
                };
                let entry = by.entry(attr("service.name").unwrap()).or_default();
                entry.0.extend(attr("aegon.agent"));
                let one = Value::Array(vec![r.clone()]);
                for p in points_of(&[serde_json::json!({"resourceMetrics": one.clone()})]) {
                    if p.name.ends_with("cost.usage") {
                        entry.2 += p.value();
                    }
                    entry.1.insert(p.name);
                }
                for s in spans_of(&[serde_json::json!({"resourceSpans": one})]) {
                    if s["parentSpanId"].as_str().unwrap_or("").is_empty() {
                        entry.3.insert(s["name"].as_str().unwrap().to_owned());
                    }
                }
            }
        }
    }
    by
}

/// tester9 #4: Codex, Gemini CLI and OpenCode sessions were exported as `service.name`
/// `claude-code` with `claude_code.*` metrics, so a Claude Code dashboard added their
/// dollars. Each agent now has its own telemetry's `service.name` and aegon's metric names;
/// a Claude Code session in the same export keeps Claude Code's. Costs as `--summary`'s
/// (Codex $0.1136 from tester9's count, Gemini and OpenCode from the summary).
#[test]
fn other_agents_are_exported_under_their_own_service_name_and_aegons_metrics() {
    let agents = common::root().join("fixtures/agents");
    let codex = agents.join("codex/nileshteji__rig__codex__sessions__2026__02__09__rollout-2026-02-09T23-00-30-019c4374-701c-7042-aa87-dcedb8f04ede.jsonl");
    let gemini = agents.join("gemini/7567491__ren__.gemini__tmp__cd8c738c7a1a18392f8c7b8478cd36a4fd00c22700c909f29113a59918ee224a__chats__session-2026-01-03T08-29-d667b4d8.json");
    let copilot = agents.join("copilot/LAF-US__IDAHO-VAULT__.copilot__session-state__252d6b6b-aaad-4790-8254-7ada091ee9fc__events.jsonl");
    let claude = common::fixture("d-kimuson__claude-code-viewer__mock-global-claude-dir__projects__sample-project__fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl");
    let by = by_service(&[
        codex.clone(),
        gemini.clone(),
        copilot.clone(),
        claude.clone(),
    ]);
    let names = |prefix: &str| -> BTreeSet<String> {
        ["cost.usage", "session.count", "token.usage"]
            .iter()
            .map(|m| format!("{prefix}.{m}"))
            .collect()
    };
    let cost = |file: &Path| -> f64 {
        let out = aegon_stdout(["--summary".as_ref(), "--json".as_ref(), file.as_os_str()]);
        let v: Value = serde_json::from_str(&out).unwrap();
        v["totals"]["cost_usd"].as_f64().unwrap()
    };
    let keys: Vec<&str> = by.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["aegon", "claude-code", "codex_cli_rs", "gemini-cli"],
        "{by:?}"
    );
    for (service, agent, file) in [
        ("codex_cli_rs", "codex", &codex),
        ("gemini-cli", "gemini-cli", &gemini),
        ("aegon", "copilot-cli", &copilot),
    ] {
        let (agents, metrics, dollars, roots) = &by[service];
        assert_eq!(agents, &BTreeSet::from([agent.to_owned()]), "{service}");
        assert_eq!(metrics, &names("aegon"), "{service}");
        assert_eq!(
            roots,
            &BTreeSet::from(["aegon.session".to_owned()]),
            "{service}"
        );
        close(*dollars, cost(file), service);
    }
    close(by["codex_cli_rs"].2, 0.1136, "codex");
    let (agents, metrics, _, roots) = &by["claude-code"];
    assert!(agents.is_empty(), "{agents:?}");
    assert!(metrics.is_superset(&names("claude_code")), "{metrics:?}");
    assert!(
        metrics.iter().all(|m| m.starts_with("claude_code.")),
        "{metrics:?}"
    );
    assert_eq!(roots, &BTreeSet::from(["claude_code.session".to_owned()]));
}

/// `aegon watch --otlp-endpoint` exports a session resumed from one older than `--since` (not
/// read) as `--summary` counts it (tester14 #9): its cost points add up to its own work, not
/// to the history its file copies (before: 269 points, $18.27, where `--summary` says 184 and
/// $13.51).
#[test]
fn watch_exports_a_resumed_session_as_the_summary_counts_it() {
    let dir = temp_dir("otlp-resumed");
    let root = dir.join("projects");
    let own = dir.join("own-work.jsonl");
    let (original, resumed) = common::resumed_pair(&root.join("-home-yael-jgive"), &own);
    common::written_ago(&original, 3 * 3600);
    // Written last, with a usage of now: its point is exported after the history's.
    std::fs::create_dir_all(root.join("-marker")).unwrap();
    std::fs::write(
        root.join("-marker/marker.jsonl"),
        transcript("marker", &now_rfc3339()),
    )
    .unwrap();
    let receiver = Receiver::start(None, vec![]);
    let mut child = aegon()
        .args([
            "watch",
            "--ndjson",
            "-q",
            "--since",
            "1h",
            "--otlp-endpoint",
        ])
        .arg(&receiver.base)
        .arg(&root)
        .env("AEGON_DATA_DIR", dir.join("data"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let costs = |got: &[Value], session: &str| -> Vec<f64> {
        points_of(got)
            .iter()
            .filter(|p| p.name == "claude_code.cost.usage" && p.attrs()["session.id"] == session)
            .map(Point::value)
            .collect()
    };
    let done = receiver.wait_for(60, |got| !costs(got, "marker").is_empty());
    let _ = child.kill();
    let _ = child.wait();
    assert!(done, "the marker session's cost was exported");
    let got = receiver.accepted();
    let resumed_id = "cccccccc-0000-4000-8000-000000000001";
    let points = costs(&got, resumed_id);
    assert!(costs(&got, "a45c4be1-aecf-446c-936c-788f3e331a16").is_empty());
    let summary: Value = serde_json::from_str(&aegon_stdout([
        Path::new("--summary"),
        Path::new("--json"),
        Path::new("-q"),
        &original,
        &resumed,
    ]))
    .unwrap();
    let want = summary["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session_id"] == resumed_id)
        .unwrap()
        .clone();
    assert_eq!(points.len() as u64, want["api_calls"].as_u64().unwrap());
    close(
        points.iter().sum(),
        want["cost_usd"].as_f64().unwrap(),
        "the resumed session's exported cost",
    );
}
