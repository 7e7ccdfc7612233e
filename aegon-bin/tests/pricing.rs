//! Costs as billed, through the real binary: the issue-11 fault inputs of `fixtures/bugs/`
//! (their right values come from its README), variants of them with the other modifiers,
//! `--pricing` files that change a modifier, and another vendor's model. Every expected cost is
//! computed by hand here, from the published rates (Anthropic's; OpenAI's as litellm's table
//! has them), not by aegon's code.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;

use common::{root, temp_dir, TempDir};

fn bug(name: &str) -> PathBuf {
    root().join("fixtures/bugs").join(name)
}

/// A fresh scratch directory, removed when dropped (also when the test fails).
fn scratch(name: &str) -> TempDir {
    temp_dir(&format!("pricing-{name}"))
}

/// Writes `text` to `dir/name` and returns the path.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn summary(args: &[&Path]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["--summary", "--json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn total_cost(doc: &Value) -> f64 {
    doc["totals"]["cost_usd"]
        .as_f64()
        .unwrap_or_else(|| panic!("no total cost: {doc}"))
}

fn assert_cost(doc: &Value, want: f64) {
    let got = total_cost(doc);
    // The summary rounds to a hundredth of a cent.
    assert!((got - want).abs() < 0.000051, "cost {got}, want {want}");
}

/// The fast-mode fixture with every line passed through `edit`.
fn fast_fixture_with(edit: impl Fn(&str) -> String) -> String {
    std::fs::read_to_string(bug("06-fast-mode-speed.jsonl"))
        .unwrap()
        .lines()
        .map(|l| edit(l) + "\n")
        .collect()
}

/// One Opus 4.6 response of the fast-mode fixture at standard rates, by hand ($/Mtok: input 5,
/// 1 h write 10, read 0.50, output 25): 1,000×5 + 10,000×10 + 100,000×0.5 + 2,000×25.
const OPUS_46_RESPONSE: f64 =
    (1_000.0 * 5.0 + 10_000.0 * 10.0 + 100_000.0 * 0.5 + 2_000.0 * 25.0) / 1e6;

/// The two Sonnet 4.5 requests of the long-context fixture, by hand. The first (120,008 input
/// tokens) at standard rates (input 3, 1 h write 6, output 15); the second (12 + 90,000 +
/// 120,000 = 210,012 > 200K) whole at the long-context rates (input 6, 1 h write 12, read 0.60,
/// output 22.50).
const SONNET_45_FIRST: f64 = (8.0 * 3.0 + 120_000.0 * 6.0 + 500.0 * 15.0) / 1e6;
const SONNET_45_SECOND_LONG: f64 =
    (12.0 * 6.0 + 90_000.0 * 12.0 + 120_000.0 * 0.6 + 800.0 * 22.5) / 1e6;

#[test]
fn the_fast_mode_fixture_costs_its_right_value() {
    // README: 1.435 (the fast response at 6× the standard rates, cache rates included).
    assert!((OPUS_46_RESPONSE * 7.0 - 1.435).abs() < 1e-12);
    let doc = summary(&[&bug("06-fast-mode-speed.jsonl")]);
    assert_cost(&doc, 1.435);
    assert_eq!(doc["sessions"][0]["cost_usd"], doc["totals"]["cost_usd"]);
    assert_eq!(doc["price_table"]["date"], "2026-11-29");
    // The NDJSON usage events say which response was fast.
    let ndjson = common::aegon_stdout([Path::new("--ndjson"), &bug("06-fast-mode-speed.jsonl")]);
    let speeds: Vec<Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["kind"] == "usage")
        .map(|e| e["speed"].clone())
        .collect();
    assert_eq!(speeds, ["fast", "standard"]);
}

#[test]
fn the_long_context_fixture_costs_its_right_value() {
    // README: 1.8976.
    assert!(((SONNET_45_FIRST + SONNET_45_SECOND_LONG) * 1e4).round() / 1e4 == 1.8976);
    let doc = summary(&[&bug("10-sonnet45-over-200k.jsonl")]);
    assert_cost(&doc, SONNET_45_FIRST + SONNET_45_SECOND_LONG);
    assert_cost(&doc, 1.8976);
}

#[test]
fn a_fast_response_written_on_several_lines_is_fast_on_each() {
    // Older builds write a response as several lines, the early ones with a partial
    // `output_tokens`: the later line's increment must be priced fast too.
    let dir = scratch("split");
    let text = fast_fixture_with(|line| {
        if line.contains("msg_01FAST") {
            let first = line
                .replace("\"output_tokens\":2000", "\"output_tokens\":7")
                .replace("\"text\":\"Renamed.\"", "\"text\":\"Renamed\"");
            let second = line.replace(
                "91cb2bfd-49a4-46fc-85aa-583804715742",
                "91cb2bfd-49a4-46fc-85aa-583804715799",
            );
            format!("{first}\n{second}")
        } else {
            line.to_owned()
        }
    });
    let f = write(&dir, "split.jsonl", &text);
    let doc = summary(&[&f]);
    assert_eq!(doc["totals"]["api_calls"], 2);
    assert_eq!(doc["totals"]["tokens"]["output"], 4000);
    assert_cost(&doc, 1.435);
}

#[test]
fn data_residency_and_batch_change_the_price_of_their_request() {
    let dir = scratch("modifiers");
    // US-only inference on both responses: 1.1× each (Opus 4.6 is a Claude 4.6 model).
    let us = write(
        &dir,
        "us.jsonl",
        &fast_fixture_with(|l| {
            l.replace(
                "\"service_tier\":\"standard\"",
                "\"service_tier\":\"standard\",\"inference_geo\":\"us\"",
            )
        }),
    );
    assert_cost(&summary(&[&us]), OPUS_46_RESPONSE * 7.0 * 1.1);
    // The standard response through the Batch API: half price; the fast one unchanged.
    let batch = write(
        &dir,
        "batch.jsonl",
        &fast_fixture_with(|l| {
            if l.contains("msg_01SLOW") {
                l.replace(
                    "\"service_tier\":\"standard\"",
                    "\"service_tier\":\"batch\"",
                )
            } else {
                l.to_owned()
            }
        }),
    );
    assert_cost(
        &summary(&[&batch]),
        OPUS_46_RESPONSE * 6.0 + OPUS_46_RESPONSE * 0.5,
    );
    // A speed the table has no price for: the cost is unknown, what is known is reported.
    let odd = write(
        &dir,
        "odd.jsonl",
        &fast_fixture_with(|l| l.replace("\"speed\":\"fast\"", "\"speed\":\"warp\"")),
    );
    let doc = summary(&[&odd]);
    assert_eq!(doc["totals"]["cost_usd"], Value::Null);
    assert_eq!(doc["totals"]["unpriced_models"][0], "claude-opus-4-6");
    let priced = doc["totals"]["priced_cost_usd"].as_f64().unwrap();
    assert!((priced - OPUS_46_RESPONSE).abs() < 0.000051, "{priced}");
}

#[test]
fn bedrock_and_vertex_ids_price_like_the_model() {
    let dir = scratch("ids");
    let long = std::fs::read_to_string(bug("10-sonnet45-over-200k.jsonl")).unwrap();
    let sonnet = SONNET_45_FIRST + SONNET_45_SECOND_LONG;
    for (id, k) in [
        // Global endpoint and Vertex: list price.
        ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", 1.0),
        ("claude-sonnet-4-5@20250929", 1.0),
        // Bedrock regional endpoints: 10% over global for Claude 4.5 and later.
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", 1.1),
        ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", 1.1),
        ("anthropic.claude-sonnet-4-5-20250929-v1:0", 1.1),
    ] {
        let f = write(
            &dir,
            "sonnet.jsonl",
            &long.replace("\"claude-sonnet-4-5-20250929\"", &format!("\"{id}\"")),
        );
        let doc = summary(&[&f]);
        assert_eq!(
            doc["totals"]["unpriced_models"],
            serde_json::json!([]),
            "{id}"
        );
        assert_cost(&doc, sonnet * k);
    }
    let fast = std::fs::read_to_string(bug("06-fast-mode-speed.jsonl")).unwrap();
    for id in [
        "global.anthropic.claude-opus-4-6-v1",
        "claude-opus-4-6@default",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-opus-4-6-v1",
    ] {
        let f = write(
            &dir,
            "opus.jsonl",
            &fast.replace("\"claude-opus-4-6\"", &format!("\"{id}\"")),
        );
        assert_cost(&summary(&[&f]), OPUS_46_RESPONSE * 7.0);
    }
    // Older models keep their prices on every endpoint: Claude 3.5 Sonnet ($3/$15, 1 h writes
    // $6), first request only (120,008 input tokens, no long-context tier).
    let old = long.lines().take(2).collect::<Vec<_>>().join("\n").replace(
        "\"claude-sonnet-4-5-20250929\"",
        "\"anthropic.claude-3-5-sonnet-20241022-v2:0\"",
    );
    let f = write(&dir, "old.jsonl", &old);
    assert_cost(&summary(&[&f]), SONNET_45_FIRST);
}

#[test]
fn a_price_file_overrides_rates_and_modifiers() {
    let dir = scratch("file");
    // Fast mode at 2× instead of 6× on Opus 4.6.
    let p = write(
        &dir,
        "fast.json",
        r#"{"date":"2026-12-01","claude-opus-4-6":{"speed":{"fast":2}}}"#,
    );
    let doc = summary(&[Path::new("--pricing"), &p, &bug("06-fast-mode-speed.jsonl")]);
    assert_cost(&doc, OPUS_46_RESPONSE * 3.0);
    assert_eq!(doc["price_table"]["user_entries"], 1);
    assert_eq!(doc["price_table"]["user_date"], "2026-12-01");
    // No long-context tier for Sonnet 4.5: the old, wrong 1.3156.
    let p = write(
        &dir,
        "long.json",
        r#"{"claude-sonnet-4-5":{"long_context":null}}"#,
    );
    let doc = summary(&[
        Path::new("--pricing"),
        &p,
        &bug("10-sonnet45-over-200k.jsonl"),
    ]);
    let second_standard = (12.0 * 3.0 + 90_000.0 * 6.0 + 120_000.0 * 0.3 + 800.0 * 15.0) / 1e6;
    assert_cost(&doc, SONNET_45_FIRST + second_standard);
    // A threshold of its own: both requests above 100,000 input tokens are long.
    let p = write(
        &dir,
        "threshold.json",
        r#"{"claude-sonnet-4-5":{"long_context":{"above":100000,"input":6,"output":22.5,"cache_write_5m":7.5,"cache_write_1h":12,"cache_read":0.6}}}"#,
    );
    let doc = summary(&[
        Path::new("--pricing"),
        &p,
        &bug("10-sonnet45-over-200k.jsonl"),
    ]);
    let first_long = (8.0 * 6.0 + 120_000.0 * 12.0 + 500.0 * 22.5) / 1e6;
    assert_cost(&doc, first_long + SONNET_45_SECOND_LONG);
    // The global modifiers: a dearer US inference and a service tier of the user's own.
    let p = write(
        &dir,
        "modifiers.json",
        r#"{"modifiers":{"inference_geo":{"us":1.5},"service_tier":{"flex":0.8}}}"#,
    );
    let input = write(
        &dir,
        "geo.jsonl",
        &fast_fixture_with(|l| {
            l.replace(
                "\"service_tier\":\"standard\"",
                "\"service_tier\":\"flex\",\"inference_geo\":\"us\"",
            )
        }),
    );
    let doc = summary(&[Path::new("--pricing"), &p, &input]);
    assert_cost(&doc, OPUS_46_RESPONSE * 7.0 * 1.5 * 0.8);
    // Without the file, `flex` has no price: unknown, not guessed.
    assert_eq!(summary(&[&input])["totals"]["cost_usd"], Value::Null);
    // A file that breaks the rules is refused.
    let bad = write(
        &dir,
        "bad.json",
        r#"{"claude-opus-4-6":{"speed":{"fast":-6}}}"#,
    );
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["--summary", "--pricing"])
        .arg(&bad)
        .arg(bug("06-fast-mode-speed.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A misspelt rate name in a model entry (or in its long-context tier) is refused with the
/// model, the key and its place in the file, by `--summary` and by `usage`; it was accepted
/// silently and the built-in price used.
#[test]
fn an_unknown_key_in_a_model_entry_is_refused_with_its_place() {
    let dir = scratch("unknown");
    let typo = write(
        &dir,
        "typo.json",
        "{\n  \"claude-opus-4-6\": {\"inputt\": 500, \"cache_reed\": 100}\n}",
    );
    let tier = write(
        &dir,
        "tier.json",
        r#"{"claude-sonnet-4-5":{"long_context":{"above":100000,"input":6,"output":22.5,"cache_write_5m":7.5,"cache_write_1h":12,"cache_read":0.6,"inptu":6}}}"#,
    );
    for (file, key, model, place) in [
        (&typo, "inputt", "claude-opus-4-6", "at line 2 column 33"),
        (&tier, "inptu", "claude-sonnet-4-5", "at line 1 column 144"),
    ] {
        for first in [&["--summary"][..], &["usage", "daily", "--json"][..]] {
            let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
                .args(first)
                .env("AEGON_DATA_DIR", &dir)
                .arg("--pricing")
                .arg(file)
                .arg(bug("06-fast-mode-speed.jsonl"))
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{first:?}: {stderr}");
            assert!(
                stderr.contains(&format!("`{model}`: unknown key `{key}`")),
                "{first:?}: {stderr}"
            );
            assert!(stderr.contains(place), "{first:?}: {stderr}");
        }
    }
}

#[test]
fn the_table_names_the_prices_it_used() {
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .arg("--summary")
        .arg(bug("06-fast-mode-speed.jsonl"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("cost $1.44"), "{text}");
    assert!(
        text.contains("prices: Anthropic's list read 2026-11-29"),
        "{text}"
    );
}

/// The fast-mode fixture as a gateway would log it for OpenAI's GPT-5.5 (`openai/gpt-5.5`,
/// standard speed), a session of its own: id `…507`, its own line, message and request ids.
fn gpt55_fixture() -> String {
    fast_fixture_with(|l| {
        l.replace(
            r#""model":"claude-opus-4-6""#,
            r#""model":"openai/gpt-5.5""#,
        )
        .replace(r#","speed":"fast""#, "")
        .replace("555555555506", "555555555507")
        .replace("FAST", "GPT5")
        .replace("SLOW", "GPTS")
        .replace("-4080-", "-4081-")
        .replace("-46fc-", "-46fd-")
        .replace("-4fdb-", "-4fdc-")
        .replace("-47f0-", "-47f1-")
    })
}

/// Each of its two responses by hand at GPT-5.5's rates (OpenAI via litellm's table: input 5,
/// cached input 0.50, output 30, no cache-write price; 111,000 input tokens, under the 272K
/// tier): 1,000×5 + 10,000×0 + 100,000×0.5 + 2,000×30.
const GPT_55_RESPONSE: f64 = (1_000.0 * 5.0 + 100_000.0 * 0.5 + 2_000.0 * 30.0) / 1e6;

#[test]
fn another_vendors_model_is_priced_and_its_list_named() {
    let dir = scratch("vendors");
    let gpt = write(&dir, "gpt.jsonl", &gpt55_fixture());
    let doc = summary(&[&gpt]);
    assert_cost(&doc, 2.0 * GPT_55_RESPONSE);
    let vendors = &doc["price_table"]["vendors"];
    assert_eq!(vendors.as_array().map(Vec::len), Some(1), "{vendors}");
    assert_eq!(vendors[0]["vendor"], "OpenAI");
    assert!(vendors[0]["source"]
        .as_str()
        .is_some_and(|s| s.contains("litellm")));
    // Beside a Claude session: both lists named, in the table's line too.
    let both = summary(&[&gpt, &bug("06-fast-mode-speed.jsonl")]);
    assert_cost(&both, 2.0 * GPT_55_RESPONSE + OPUS_46_RESPONSE * 7.0);
    let names: Vec<&str> = both["price_table"]["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["vendor"].as_str())
        .collect();
    assert_eq!(names, ["Anthropic", "OpenAI"]);
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .arg("--summary")
        .arg(&gpt)
        .arg(bug("06-fast-mode-speed.jsonl"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("prices: Anthropic's and OpenAI's lists read 2026-11-29"),
        "{text}"
    );
    // An Ollama model has no price: the session's cost is unknown, never $0.
    let local = write(
        &dir,
        "local.jsonl",
        &gpt55_fixture().replace("openai/gpt-5.5", "kimi-k2.5:cloud"),
    );
    let doc = summary(&[&local]);
    assert_eq!(doc["totals"]["cost_usd"], Value::Null);
    assert_eq!(doc["totals"]["unpriced_models"][0], "kimi-k2.5:cloud");
    assert_eq!(doc["price_table"]["vendors"], serde_json::json!([]));
}

/// `fixtures/pricing/web-search.jsonl` (its README: two real opus-4-6 responses with 3 and 1
/// web searches written in): tokens $0.157314 (by hand: 3×5 + 307×25 + 8,693×0.5 + 6,892×10
/// = 80,956.5 and 1×5 + 2,612×25 + 15,585×0.5 + 326×10 = 76,357.5 millionths of a dollar),
/// plus 4 searches × $0.01 = $0.197314. The summary, the NDJSON usage events and `aegon usage`
/// (index built, read warm, and without it) agree on it and on the count.
#[test]
fn web_searches_are_counted_once_and_priced_in_every_view() {
    let file = root().join("fixtures/pricing/web-search.jsonl");
    let doc = summary(&[&file]);
    let t = &doc["totals"];
    assert_eq!(t["web_searches"], 4);
    assert_eq!(doc["sessions"][0]["web_searches"], 4);
    assert_eq!(t["tokens"]["output"], 307 + 2612);
    assert_cost(&doc, 0.1973);
    // The text summary says them beside the tokens.
    let text = common::aegon_stdout([std::ffi::OsStr::new("--summary"), file.as_os_str()]);
    assert!(text.contains("web searches 4"), "{text}");
    assert!(text.contains("cost $0.20"), "{text}");
    // NDJSON: the searches arrive with each response's last line (the increment), once.
    let ndjson = common::aegon_stdout([std::ffi::OsStr::new("--ndjson"), file.as_os_str()]);
    let usage: Vec<Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["kind"] == "usage")
        .collect();
    let searches: Vec<u64> = usage
        .iter()
        .map(|e| e["web_searches"].as_u64().unwrap())
        .collect();
    assert_eq!(searches, [0, 3, 0, 1]);
    let cost: f64 = usage.iter().map(|e| e["cost_usd"].as_f64().unwrap()).sum();
    assert!((cost - 0.197314).abs() < 1e-9, "{cost}");
    // `aegon usage`, from the index (built, then warm) and without it.
    let data = common::temp_dir("web-search-usage");
    let f = file.to_str().unwrap();
    for args in [
        vec!["usage", "daily", "--json", f],
        vec!["usage", "sessions", "--json", f],
        vec!["usage", "daily", "--json", "--no-index", f],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
            .args(&args)
            .env("AEGON_DATA_DIR", data.path())
            .env("HOME", "/nonexistent-aegon-home")
            .env_remove("XDG_DATA_HOME")
            .env("CLAUDE_CONFIG_DIR", data.path().join("no-claude-here"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let t = &doc["totals"];
        assert_eq!(t["webSearches"], 4, "{args:?}");
        let cost = t["totalCost"].as_f64().unwrap();
        assert!((cost - 0.197314).abs() < 1e-6, "{args:?}: {cost}");
        let notes = doc["notes"].to_string();
        assert!(notes.contains("4 web searches"), "{args:?}: {notes}");
    }
}
