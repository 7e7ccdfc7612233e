//! Token totals on every real fixture, checked against an independent count.
//!
//! The independent count below follows FORMAT.md §6 directly, on `serde_json::Value`s, without
//! any of aegon's code: assistant lines with usage, synthetic error lines skipped, keyed by
//! `message.id` + `requestId` (the line's `uuid` when there is no id); per key the largest value
//! of each count; usage from `iterations` when that list is non-empty; cache writes split by
//! `cache_creation`, with any unsplit remainder at the 5-minute rate. aegon's figure is the sum
//! of the `usage` events of `aegon --ndjson`, which must match for every field.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::Path;

use serde_json::Value;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    input: u64,
    output: u64,
    cache_read: u64,
    write_5m: u64,
    write_1h: u64,
}

mod common;

use common::root;

fn num(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn counts_of(usage: &Value) -> Counts {
    if let Some(iterations) = usage["iterations"].as_array().filter(|a| !a.is_empty()) {
        let mut sum = Counts::default();
        for it in iterations {
            let c = counts_of(it);
            sum.input += c.input;
            sum.output += c.output;
            sum.cache_read += c.cache_read;
            sum.write_5m += c.write_5m;
            sum.write_1h += c.write_1h;
        }
        return sum;
    }
    let total_write = num(&usage["cache_creation_input_tokens"]);
    let w5 = num(&usage["cache_creation"]["ephemeral_5m_input_tokens"]);
    let w1 = num(&usage["cache_creation"]["ephemeral_1h_input_tokens"]);
    Counts {
        input: num(&usage["input_tokens"]),
        output: num(&usage["output_tokens"]),
        cache_read: num(&usage["cache_read_input_tokens"]),
        write_5m: w5 + total_write.saturating_sub(w5 + w1),
        write_1h: w1,
    }
}

/// The independent count: (totals, number of distinct responses).
fn independent(path: &Path) -> (Counts, usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut per_response: BTreeMap<String, Counts> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        // A subagent's line copied in an `agent_progress` line of its parent (2.1.22–2.1.77)
        // is a line of its response too (FORMAT.md §3.2).
        let v = match (&v["type"], &v["data"]["type"]) {
            (t, d) if t == "progress" && d == "agent_progress" => &v["data"]["message"],
            _ => &v,
        };
        if v["type"] != "assistant" || v["message"]["usage"].is_null() {
            continue;
        }
        if v["isApiErrorMessage"] == true || v["message"]["model"] == "<synthetic>" {
            continue;
        }
        let key = match v["message"]["id"].as_str() {
            Some(id) => format!("{id}/{}", v["requestId"].as_str().unwrap_or("")),
            None => format!("uuid:{}", v["uuid"].as_str().unwrap_or("")),
        };
        let c = counts_of(&v["message"]["usage"]);
        let e = per_response.entry(key).or_default();
        e.input = e.input.max(c.input);
        e.output = e.output.max(c.output);
        e.cache_read = e.cache_read.max(c.cache_read);
        e.write_5m = e.write_5m.max(c.write_5m);
        e.write_1h = e.write_1h.max(c.write_1h);
    }
    let mut total = Counts::default();
    for c in per_response.values() {
        total.input += c.input;
        total.output += c.output;
        total.cache_read += c.cache_read;
        total.write_5m += c.write_5m;
        total.write_1h += c.write_1h;
    }
    (total, per_response.len())
}

/// aegon's count: sums over the usage events, and the number of first (non-increment) events.
fn aegon(path: &Path) -> (Counts, usize) {
    let stdout = common::aegon_stdout([
        OsStr::new("--ndjson"),
        OsStr::new("--kind"),
        OsStr::new("usage"),
        path.as_os_str(),
    ]);
    let mut total = Counts::default();
    let mut responses = 0;
    for line in stdout.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["kind"], "usage");
        total.input += num(&v["input"]);
        total.output += num(&v["output"]);
        total.cache_read += num(&v["cache_read"]);
        total.write_5m += num(&v["cache_write_5m"]);
        total.write_1h += num(&v["cache_write_1h"]);
        if v["increment"] == false {
            responses += 1;
        }
    }
    (total, responses)
}

#[test]
fn usage_events_sum_to_the_deduplicated_totals_on_every_fixture() {
    let files = common::fixtures();
    let mut grand = Counts::default();
    let mut mismatches = Vec::new();
    for path in &files {
        let expected = independent(path);
        let got = aegon(path);
        if expected != got {
            mismatches.push(format!(
                "{}:\n  independent {:?}\n  aegon       {:?}",
                path.display(),
                expected,
                got
            ));
        }
        grand.output += expected.0.output;
        grand.input += expected.0.input;
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // The corpus has real usage: a run that counted nothing must not pass.
    assert!(grand.output > 100_000 && grand.input > 0, "{grand:?}");
}

/// A figure checked by hand with jq on the Yael-Peretz transcript (2.1.178), where naive
/// line sums overcount 2.2x (FORMAT.md §6):
/// `jq -s '[.[] | select(.type=="assistant" and .message.model!="<synthetic>" and .message.usage)]
///   | group_by(.message.id + (.requestId // "")) | map(max_by(.message.usage.output_tokens)
///   | .message.usage.output_tokens) | add'`.
#[test]
fn a_known_total_matches_jq() {
    let path =
        root().join("fixtures/corpus/Yael-Peretz__jgive-campaign-donation__transcript.jsonl");
    let (got, responses) = aegon(&path);
    assert_eq!(got.output, YAEL_OUTPUT);
    assert_eq!(responses, YAEL_RESPONSES);
}

const YAEL_OUTPUT: u64 = 199_263;
const YAEL_RESPONSES: usize = 221;
