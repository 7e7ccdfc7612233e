//! `aegon usage` and `aegon statusline` end to end: reports against independent computations,
//! the index against a fresh read and against `--summary`, concurrent writers, a killed
//! writer, the JSON Schema.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

mod common;

use common::{
    feed_stdin, fixture, fixtures, output_with_stdin, root, session_with_subagents, temp_dir,
    Reads, SessionWithSubagents,
};

/// `aegon ARGS` with its index in `data`; stdout parsed as JSON (asserting success).
fn run_json(data: &Path, args: &[&str]) -> Value {
    let out = aegon(data, args).output().unwrap();
    assert!(
        common::read_all_but_named(&out),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// aegon with its usage index in `data` and no Claude Code, Codex or home folder of the machine's.
fn aegon(data: &Path, args: &[&str]) -> Command {
    common::aegon_isolated(data, args)
}

fn num(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// The token fields of usage totals, in summary order: input, output, cache read, 5 m, 1 h.
fn usage_tokens(t: &Value) -> [u64; 5] {
    [
        num(&t["inputTokens"]),
        num(&t["outputTokens"]),
        num(&t["cacheReadTokens"]),
        num(&t["cacheCreation5mTokens"]),
        num(&t["cacheCreation1hTokens"]),
    ]
}

#[test]
fn daily_totals_equal_summary_totals_on_the_corpus() {
    let data = temp_dir("totals");
    let corpus = root().join("fixtures/corpus");
    let corpus = corpus.to_str().unwrap();
    let summary = common::aegon_stdout_lower_bound(["--summary", "--json", corpus]);
    let summary: Value = serde_json::from_str(&summary).unwrap();
    let s = &summary["totals"];
    let want = [
        num(&s["tokens"]["input"]),
        num(&s["tokens"]["output"]),
        num(&s["tokens"]["cache_read"]),
        num(&s["tokens"]["cache_write_5m"]),
        num(&s["tokens"]["cache_write_1h"]),
    ];
    assert!(want[2] > 100_000_000, "the corpus is read: {want:?}");
    // From the index (built, then read warm) and afresh.
    for args in [
        vec!["usage", "daily", "--json", corpus],
        vec!["usage", "daily", "--json", corpus],
        vec!["usage", "daily", "--json", "--no-index", corpus],
        vec!["usage", "monthly", "--json", "--tz", "Asia/Kolkata", corpus],
        vec!["usage", "sessions", "--json", corpus],
    ] {
        let doc = run_json(&data, &args);
        let t = &doc["totals"];
        assert_eq!(usage_tokens(t), want, "{args:?}");
        assert_eq!(num(&t["apiCalls"]), num(&s["api_calls"]), "{args:?}");
        // Each response priced as the session core prices it: equal to the summary's
        // (rounded to 4 decimals there), so to the cent.
        let priced = s["priced_cost_usd"].as_f64().unwrap();
        assert!(
            (t["totalCost"].as_f64().unwrap() - priced).abs() <= 0.00005 + 1e-9,
            "{args:?}: {} vs {priced}",
            t["totalCost"]
        );
        assert_eq!(t["unpricedModels"], s["unpriced_models"], "{args:?}");
        // The rows add up to the totals.
        let key = doc["report"].as_str().unwrap().to_owned();
        let rows = doc[&key].as_array().unwrap();
        let sum: u64 = rows.iter().map(|r| num(&r["totalTokens"])).sum();
        assert_eq!(sum, num(&t["totalTokens"]), "{args:?}");
    }
}

/// The pricing fixtures of fixtures/bugs with their right costs (its README): fast mode
/// (one of two responses at 6× the standard rates) and a Sonnet 4.5 request above 200K input
/// tokens (priced whole at the long-context rates).
const PRICED_FIXTURES: [(&str, f64); 2] = [
    ("06-fast-mode-speed.jsonl", 1.435),
    ("10-sonnet45-over-200k.jsonl", 1.8976),
];

#[test]
fn reports_price_each_response_as_billed_like_the_summary() {
    for (name, right) in PRICED_FIXTURES {
        let data = temp_dir(&format!("priced-{}", &name[..2]));
        let file = root().join("fixtures/bugs").join(name);
        let file = file.to_str().unwrap();
        let summary: Value =
            serde_json::from_str(&common::aegon_stdout(["--summary", "--json", file])).unwrap();
        let summary = summary["totals"]["priced_cost_usd"].as_f64().unwrap();
        // The README gives 4 decimals.
        assert!(
            (summary - right).abs() < 0.00005,
            "{name}: summary {summary}"
        );
        for args in [
            vec!["usage", "daily", "--json", file],
            vec!["usage", "daily", "--json", file],
            vec!["usage", "daily", "--json", "--no-index", file],
            vec!["usage", "sessions", "--json", file],
            vec!["usage", "daily", "--json", "--by", "model", file],
        ] {
            let doc = run_json(&data, &args);
            let t = &doc["totals"];
            let cost = t["totalCost"].as_f64().unwrap();
            assert!((cost - right).abs() < 0.00005, "{name} {args:?}: {cost}");
            assert!((cost - summary).abs() <= 0.00005 + 1e-9, "{name} {args:?}");
            assert_eq!(t["unpricedModels"], serde_json::json!([]), "{name}");
            // The rows, and the models within them, add up to the totals.
            let key = doc["report"].as_str().unwrap().to_owned();
            let rows = doc[&key].as_array().unwrap();
            let sum: f64 = rows.iter().map(|r| r["totalCost"].as_f64().unwrap()).sum();
            assert!((sum - cost).abs() < 1e-9, "{name} {args:?}");
            let by_model: f64 = rows
                .iter()
                .flat_map(|r| r["modelBreakdowns"].as_array().unwrap())
                .map(|b| b["cost"].as_f64().unwrap())
                .sum();
            assert!((by_model - cost).abs() < 1e-9, "{name} {args:?}");
        }
        let doc = run_json(&data, &["usage", "blocks", "--json", file]);
        let blocks: f64 = doc["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["costUSD"].as_f64().unwrap())
            .sum();
        assert!((blocks - right).abs() < 0.00005, "{name} blocks: {blocks}");
    }
}

#[test]
fn a_speed_without_a_price_is_an_unknown_cost_as_in_the_summary() {
    let data = temp_dir("unpriced-speed");
    // Fixture 06 with its fast response at a speed the table has no multiplier for.
    let text = std::fs::read_to_string(root().join("fixtures/bugs/06-fast-mode-speed.jsonl"))
        .unwrap()
        .replace(r#""speed":"fast""#, r#""speed":"ludicrous""#);
    let file = data.join("ludicrous.jsonl");
    std::fs::write(&file, text).unwrap();
    let file = file.to_str().unwrap();
    let summary: Value =
        serde_json::from_str(&common::aegon_stdout(["--summary", "--json", file])).unwrap();
    let s = &summary["totals"];
    assert_eq!(s["cost_usd"], Value::Null);
    for args in [
        vec!["usage", "daily", "--json", file],
        vec!["usage", "daily", "--json", "--no-index", file],
    ] {
        let t = run_json(&data, &args)["totals"].clone();
        // Not known (null, as --summary's cost_usd), never the priced part as if it were all.
        assert_eq!(t["totalCost"], Value::Null, "{args:?}");
        // Only the standard response is priced: half of the README's $0.41 for both.
        let cost = t["pricedCost"].as_f64().unwrap();
        assert!((cost - 0.205).abs() < 1e-9, "{args:?}: {cost}");
        assert!((cost - s["priced_cost_usd"].as_f64().unwrap()).abs() < 0.00005);
        assert_eq!(t["unpricedModels"], serde_json::json!(["claude-opus-4-6"]));
        assert_eq!(t["unpricedModels"], s["unpriced_models"]);
        // The model's breakdown: its cost unknown as the row's (null; tester8 finding 9: it
        // was the priced part as a plain figure), the part that has a price beside it (so the
        // breakdowns sum to the row's pricedCost), the speed named.
        let doc = run_json(&data, &args);
        let row = &doc["daily"][0];
        let b = &row["modelBreakdowns"][0];
        assert_eq!(b["modelName"], "claude-opus-4-6", "{args:?}");
        assert_eq!(b["cost"], Value::Null, "{b}");
        assert!(
            (b["pricedCost"].as_f64().unwrap() - 0.205).abs() < 1e-9,
            "{b}"
        );
        assert_eq!(b["unpricedResponses"], 1, "{b}");
        assert_eq!(b["unpricedFactors"], serde_json::json!(["speed ludicrous"]));
        let sum: f64 = row["modelBreakdowns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["pricedCost"].as_f64().unwrap())
            .sum();
        assert!((sum - row["pricedCost"].as_f64().unwrap()).abs() < 1e-9);
        assert_eq!(row["totalCost"], Value::Null, "{args:?}");
    }
    for no_index in [false, true] {
        let mut args = vec!["usage", "daily", "--color", "never", file];
        if no_index {
            args.push("--no-index");
        }
        let out = aegon(&data, &args).output().unwrap();
        let table = String::from_utf8_lossy(&out.stdout);
        // $0.205 exactly: half a cent rounds up (its double, a hair below, gave $0.20+).
        assert!(table.contains("$0.21+"), "{table}");
        // The footer names what has no price: the speed, not the model.
        assert!(
            table.contains(
                "+ cost without 1 claude-opus-4-6 response (no price for speed ludicrous)"
            ),
            "{table}"
        );
    }
}

/// `aegon usage blocks` writes the active block's burn rate and projection as the tables
/// write dollars: a block costing a fraction of a cent an hour reads `<$0.01/h`, not
/// `$0.00/h` (it was `${:.2}`), and with a response of a model without a price both are
/// lower bounds (`+`).
#[test]
fn a_burn_rate_under_a_cent_an_hour_is_not_shown_as_free() {
    let data = temp_dir("blocks-cents");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // Two Sonnet 4.5 responses of 1 input and 1 output token ($3 and $15 a million): $0.000018
    // each, 25 and 5 minutes ago, so the block is active: $0.000036 over 25 minutes is
    // $0.0000864 an hour, and at most 5 hours of it more by the block's end is under a cent.
    let priced = response("1", &rfc3339_utc(now - 25 * 60), 1)
        + &response("2", &rfc3339_utc(now - 5 * 60), 1);
    let unpriced = response("3", &rfc3339_utc(now - 4 * 60), 1)
        .replace("claude-sonnet-4-5", "acme-unpriced-model-1");
    for (name, text, mark) in [
        ("priced.jsonl", priced.clone(), ""),
        ("partly.jsonl", priced + &unpriced, "+"),
    ] {
        let file = data.join(name);
        std::fs::write(&file, text).unwrap();
        let file = file.to_str().unwrap();
        let doc = run_json(&data, &["usage", "blocks", "--json", "--no-index", file]);
        let active: Vec<&Value> = doc["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["isActive"] == true)
            .collect();
        assert_eq!(active.len(), 1, "{doc}");
        let rate = active[0]["burnRate"]["pricedCostPerHour"].as_f64().unwrap();
        // The span ends at the run's now, a moment after this test's: within 1% (15 s).
        assert!(
            (rate / (0.000_036 / 25.0 * 60.0) - 1.0).abs() < 0.01,
            "{rate}"
        );
        // Under a cent by the block's end, to the cent as ccusage writes it.
        assert_eq!(active[0]["projection"]["pricedTotalCost"], 0.0, "{doc}");
        // With a response of no known price the dollars are unknown (null), as costUSD
        // (tester8 finding 7: the priced part alone, unflagged); else the priced part.
        let (hour, end) = if mark.is_empty() {
            (Value::from(rate), Value::from(0.0))
        } else {
            (Value::Null, Value::Null)
        };
        assert_eq!(active[0]["costUSD"].is_null(), !mark.is_empty(), "{doc}");
        assert_eq!(active[0]["burnRate"]["costPerHour"], hour, "{doc}");
        assert_eq!(active[0]["projection"]["totalCost"], end, "{doc}");
        assert_eq!(
            active[0]["unpricedModels"].as_array().unwrap().is_empty(),
            mark.is_empty(),
            "{doc}"
        );
        let out = aegon(
            &data,
            &["usage", "blocks", "--color", "never", "--no-index", file],
        )
        .output()
        .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(&format!("  <$0.01{mark}/h  ")), "{text}");
        assert!(
            text.contains(&format!(" tokens  <$0.01{mark} at the block's end")),
            "{text}"
        );
        assert!(!text.contains("$0.00"), "{text}");
    }
}

/// tester8 finding 7: an active block whose cost is unknown, all of it (a model without a
/// price) or a response's (usage aegon cannot read, `usage: {}`), had a burn rate and a
/// projection of $0 (or the priced part) as plain numbers in `aegon usage blocks --json`; they
/// are null as the block's `costUSD`, the priced part in `pricedCostPerHour` and
/// `pricedTotalCost`, with and without the index.
#[test]
fn a_block_of_unknown_cost_has_an_unknown_burn_rate_and_projection() {
    let data = temp_dir("blocks-unknown");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // Sonnet 4.5: 1 input and 1000 output tokens, $0.015003 a response.
    let at = |id: &str, ago: i64| response(id, &rfc3339_utc(now - ago * 60), 1000);
    let unpriced = (at("1", 40) + &at("2", 20)).replace("claude-sonnet-4-5", "claude-zeta-9");
    let text = std::fs::read_to_string(root().join("schemas/usage.v1.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap();
    let unread = at("1", 40) + &at("2", 20).replace(r#""usage":{"input_tokens":1,"output_tokens":1000,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}"#, r#""usage":{}"#);
    assert!(unread.contains(r#""usage":{}"#));
    for (name, text, priced) in [("unpriced", unpriced, 0.0), ("unread", unread, 0.015003)] {
        let file = data.join(format!("{name}.jsonl"));
        std::fs::write(&file, text).unwrap();
        let file = file.to_str().unwrap();
        let index = data.join(format!("{name}-index"));
        for extra in [&[][..], &["--no-index"][..]] {
            let mut args = vec!["usage", "blocks", "--json", file];
            args.extend_from_slice(extra);
            let out = aegon(&index, &args).output().unwrap();
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            if let Err(e) = validator.validate(&doc) {
                panic!("{name} {extra:?}: {e}");
            }
            let block = &doc["blocks"][0];
            assert_eq!(block["isActive"], true, "{doc}");
            assert_eq!(block["costUSD"], Value::Null, "{name}: {block}");
            assert_eq!(block["pricedCostUSD"], priced, "{name}: {block}");
            let rate = &block["burnRate"];
            assert_eq!(rate["costPerHour"], Value::Null, "{name}: {rate}");
            // 40 minutes (and a moment) since the first response.
            let hour = rate["pricedCostPerHour"].as_f64().unwrap();
            assert!(
                (hour - priced * 1.5).abs() <= priced * 0.01,
                "{name}: {rate}"
            );
            let projection = &block["projection"];
            assert_eq!(projection["totalCost"], Value::Null, "{name}: {projection}");
            // The priced part plus the rate for the minutes left, to the cent (give or take
            // one: the minutes are rounded).
            let left = projection["remainingMinutes"].as_f64().unwrap();
            let end = priced + hour * left / 60.0;
            let got = projection["pricedTotalCost"].as_f64().unwrap();
            assert!((got - end).abs() <= 0.01, "{name}: {projection}");
            assert_eq!(got, (got * 100.0).round() / 100.0, "{name}: {projection}");
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` of `secs` since the epoch (UTC).
fn rfc3339_utc(secs: i64) -> String {
    let day = secs.div_euclid(86_400);
    let s = secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        civil_from_days(day),
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// `aegon statusline --tz UTC --color never --format FORMAT` with `input` on stdin (its
/// index in `data`): its line, trimmed; the run must succeed.
fn statusline_line(data: &Path, format: &str, input: &Value) -> String {
    statusline_with(data, &["--format", format], |_| {}, input)
}

/// `aegon statusline --tz UTC --color never ARGS…`, set up further by `setup` (environment),
/// with `input` on stdin (its index in `data`): its line, trimmed; the run must succeed.
fn statusline_with(
    data: &Path,
    args: &[&str],
    setup: impl FnOnce(&mut Command),
    input: &Value,
) -> String {
    let mut command = aegon(data, &["statusline", "--tz", "UTC", "--color", "never"]);
    command.args(args);
    setup(&mut command);
    let out = output_with_stdin(&mut command, input.to_string(), Reads::All);
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn the_status_line_leaves_the_checkpoint_to_aegon_usage() {
    // The checkpoint syncs the database file, most of a status line's time: a status line
    // run leaves the WAL as it is, `aegon usage` empties it into the database file.
    let data = temp_dir("statusline-wal");
    let (name, _) = PRICED_FIXTURES[0];
    let path = data.join(name);
    std::fs::copy(root().join("fixtures/bugs").join(name), &path).unwrap();
    let input = serde_json::json!({"transcript_path": path});
    statusline_line(&data, "{today_cost}", &input);
    let wal = || std::fs::metadata(data.join("usage.sqlite3-wal")).map_or(0, |m| m.len());
    assert!(wal() > 0, "the status line wrote its rows to the WAL only");
    // A transcript the status line did not read, so that the usage run writes.
    let projects = data.join("no-claude-here/projects/p");
    std::fs::create_dir_all(&projects).unwrap();
    let (other, _) = PRICED_FIXTURES[1];
    std::fs::copy(
        root().join("fixtures/bugs").join(other),
        projects.join("s.jsonl"),
    )
    .unwrap();
    let out = aegon(&data, &["usage", "daily"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(wal(), 0, "aegon usage checkpointed");
}

#[test]
fn the_status_line_prices_the_session_and_today_like_the_summary() {
    let data = temp_dir("statusline-cost");
    for (name, right) in PRICED_FIXTURES {
        // The fixture with its lines dated now, so that its responses are today's and in the
        // active block.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let text = std::fs::read_to_string(root().join("fixtures/bugs").join(name)).unwrap();
        let mut session = String::new();
        let mut dated = String::new();
        for line in text.lines() {
            let mut v: Value = serde_json::from_str(line).unwrap();
            v["timestamp"] = Value::String(rfc3339_utc(now));
            session = v["sessionId"].as_str().unwrap().to_owned();
            dated.push_str(&v.to_string());
            dated.push('\n');
        }
        // In Claude Code's folder (today's and the block's figures are its folders' alone).
        let folder = data.join("no-claude-here/projects/p");
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join(name);
        std::fs::write(&path, dated).unwrap();
        let input = serde_json::json!({"session_id": session, "transcript_path": path});
        let line = statusline_line(&data, "{session_cost}|{today_cost}|{block_cost}", &input);
        // Today holds this fixture and those of the runs before it.
        let today: f64 = PRICED_FIXTURES
            .iter()
            .take_while(|(n, _)| *n != name)
            .map(|(_, c)| c)
            .sum::<f64>()
            + right;
        let want = format!("${right:.2} session|${today:.2} today|${today:.2} block");
        assert_eq!(line, want, "{name}");
    }
}

#[test]
fn the_status_line_shows_a_partly_priced_session_as_a_lower_bound_and_finds_it_by_its_path() {
    // One response of a priced model (claude-sonnet-4-5: $3 and $15 per million input and
    // output tokens under 200K, so 100,000 in and 20,000 out are $0.30 + $0.30) and one of a
    // model without a price: the session costs at least $0.60, shown `$0.60+` as today's and
    // the block's lower bounds are, never as Claude Code's own estimate passed beside it.
    let data = temp_dir("statusline-partial");
    let id = "11111111-2222-4333-8444-5555555555c1";
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let line = |n: u32, model: &str, input: u64, output: u64| {
        serde_json::json!({
            "type": "assistant", "sessionId": id, "uuid": format!("00000000-0000-4000-8000-00000000000{n}"),
            "timestamp": rfc3339_utc(now), "requestId": format!("req_{n}"),
            "message": {"id": format!("msg_{n}"), "role": "assistant", "model": model,
                "content": [{"type": "text", "text": "ok"}],
                "usage": {"input_tokens": input, "output_tokens": output,
                    "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}}
        })
        .to_string()
    };
    let path = data.join(format!("{id}.jsonl"));
    std::fs::write(
        &path,
        format!(
            "{}\n{}\n",
            line(1, "claude-sonnet-4-5-20250929", 100_000, 20_000),
            line(2, "acme/no-such-model-1", 5_000, 100)
        ),
    )
    .unwrap();
    for input in [
        serde_json::json!({"session_id": id, "transcript_path": path, "cost": {"total_cost_usd": 0.01}}),
        // Without a session id, the transcript's name gives it.
        serde_json::json!({"transcript_path": path}),
    ] {
        let line = statusline_line(&data, "{session_cost}|{today_cost}", &input);
        assert_eq!(line, "$0.60+ session|$0.60+ today", "{input}");
    }
}

// ---- local days, computed without aegon's or jiff's code -------------------------------

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number.
fn civil_from_days(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fff]Z`.
fn epoch_seconds(ts: &str) -> i64 {
    let n = |a: usize, b: usize| ts[a..b].parse::<i64>().unwrap();
    days_from_civil(n(0, 4), n(5, 7), n(8, 10)) * 86_400
        + n(11, 13) * 3600
        + n(14, 16) * 60
        + n(17, 19)
}

/// Total tokens per local day over the corpus fixtures, with a fixed UTC offset: each API
/// response once (max per field over its lines, FORMAT.md §6), dated by its first line.
fn expected_days(files: &[PathBuf], offset_seconds: i64) -> BTreeMap<String, u64> {
    // key → (first timestamp, max counts)
    let mut responses: BTreeMap<String, (String, [u64; 5])> = BTreeMap::new();
    for f in files {
        for line in std::fs::read_to_string(f).unwrap().lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let usage = &v["message"]["usage"];
            if v["type"] != "assistant" || usage.is_null() || v["message"]["model"] == "<synthetic>"
            {
                continue;
            }
            let Some(ts) = v["timestamp"].as_str() else {
                continue;
            };
            let key = match v["message"]["id"].as_str() {
                Some(id) => format!("{id}/{}", v["requestId"].as_str().unwrap_or("")),
                None => format!("uuid:{}", v["uuid"].as_str().unwrap_or("")),
            };
            let one = |u: &Value| {
                [
                    num(&u["input_tokens"]),
                    num(&u["output_tokens"]),
                    num(&u["cache_read_input_tokens"]),
                    num(&u["cache_creation_input_tokens"]),
                    0,
                ]
            };
            let counts = match usage["iterations"].as_array().filter(|a| !a.is_empty()) {
                Some(its) => its
                    .iter()
                    .map(one)
                    .fold([0; 5], |a, b| std::array::from_fn(|i| a[i] + b[i])),
                None => one(usage),
            };
            let e = responses
                .entry(key)
                .or_insert_with(|| (ts.to_owned(), [0; 5]));
            for (slot, n) in e.1.iter_mut().zip(counts) {
                *slot = (*slot).max(n);
            }
        }
    }
    let mut days = BTreeMap::new();
    for (ts, t) in responses.into_values() {
        let day = civil_from_days((epoch_seconds(&ts) + offset_seconds).div_euclid(86_400));
        *days.entry(day).or_insert(0) += t.iter().sum::<u64>();
    }
    days.retain(|_, v| *v > 0);
    days
}

fn got_days(doc: &Value) -> BTreeMap<String, u64> {
    doc["daily"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["date"].as_str().unwrap().to_owned(),
                num(&r["totalTokens"]),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[test]
fn local_days_in_a_half_hour_zone_match_an_independent_count() {
    let data = temp_dir("kolkata");
    let files = fixtures();
    let mut args = vec!["usage", "daily", "--json", "--tz", "Asia/Kolkata"];
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let doc = run_json(&data, &args);
    assert_eq!(doc["timezone"], "Asia/Kolkata");
    // India: UTC+05:30 all year, no DST since 1945.
    let want = expected_days(&files, 5 * 3600 + 30 * 60);
    assert!(want.len() >= 15, "{want:?}");
    assert_eq!(got_days(&doc), want);
    // Some responses fall on another day in UTC: the zone matters on this data.
    assert_ne!(expected_days(&files, 0), want);
}

/// One assistant line with usage.
fn response(id: &str, ts: &str, output: u64) -> String {
    format!(
        r#"{{"type":"assistant","sessionId":"s-dst","cwd":"/p","timestamp":"{ts}","requestId":"r{id}","uuid":"u{id}","message":{{"id":"m{id}","model":"claude-sonnet-4-5","role":"assistant","content":[],"usage":{{"input_tokens":1,"output_tokens":{output},"cache_read_input_tokens":0,"cache_creation_input_tokens":0}}}}}}"#
    ) + "\n"
}

#[test]
fn local_days_across_a_dst_change() {
    let data = temp_dir("dst");
    // New York left EST (-05:00) for EDT (-04:00) at 2026-03-08T07:00Z. By hand:
    //   03-08T04:30Z = 03-07 23:30 EST   → 2026-03-07
    //   03-08T05:30Z = 03-08 00:30 EST   → 2026-03-08
    //   03-09T03:30Z = 03-08 23:30 EDT   → 2026-03-08
    //   03-09T04:30Z = 03-09 00:30 EDT   → 2026-03-09 (a fixed -05:00 would say 03-08)
    let file = data.join("s.jsonl");
    let lines = [
        response("1", "2026-03-08T04:30:00.000Z", 10),
        response("2", "2026-03-08T05:30:00.000Z", 20),
        response("3", "2026-03-09T03:30:00.000Z", 40),
        response("4", "2026-03-09T04:30:00.000Z", 80),
    ];
    std::fs::write(&file, lines.concat()).unwrap();
    let f = file.to_str().unwrap();
    let doc = run_json(
        &data,
        &["usage", "daily", "--json", "--tz", "America/New_York", f],
    );
    let want: BTreeMap<String, u64> = [
        ("2026-03-07".to_owned(), 11),
        ("2026-03-08".to_owned(), 21 + 41),
        ("2026-03-09".to_owned(), 81),
    ]
    .into();
    assert_eq!(got_days(&doc), want);
    // Weeks from Sunday: 03-07 is a Saturday (week of 03-01), 03-08 a Sunday.
    let doc = run_json(
        &data,
        &[
            "usage",
            "weekly",
            "--json",
            "--tz",
            "America/New_York",
            "--week-start",
            "sunday",
            f,
        ],
    );
    let weeks: Vec<(String, u64)> = doc["weekly"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["week"].as_str().unwrap().to_owned(),
                num(&r["totalTokens"]),
            )
        })
        .collect();
    assert_eq!(
        weeks,
        [
            ("2026-03-01".to_owned(), 11),
            ("2026-03-08".to_owned(), 21 + 41 + 81)
        ]
    );
    // --since / --until are local dates, inclusive.
    let doc = run_json(
        &data,
        &[
            "usage",
            "daily",
            "--json",
            "--tz",
            "America/New_York",
            "--since",
            "20260308",
            "--until",
            "2026-03-08",
            f,
        ],
    );
    assert_eq!(num(&doc["totals"]["totalTokens"]), 21 + 41);
}

#[test]
fn an_unknown_zone_is_an_error() {
    let data = temp_dir("badzone");
    let out = aegon(&data, &["usage", "--tz", "Mars/Olympus", "x.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown time zone"));
}

#[test]
fn an_argument_error_says_what_and_how_to_get_help_on_two_lines() {
    let data = temp_dir("badarg");
    for args in [
        &["usage", "--since", "yesterday"][..],
        &["usage", "--week-start", "funday"],
        &["audit", "--bogus"],
    ] {
        let out = aegon(&data, args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: {err:?}");
        assert!(
            lines[0].starts_with(&format!("aegon: {}: ", args[0])),
            "{err:?}"
        );
        assert_eq!(lines[1], format!("Try 'aegon {} --help'.", args[0]));
    }
}

/// `aegon statusline --color WORD` takes what `--color` takes elsewhere; another word is
/// refused with what is allowed, on stderr. The line is still printed and the run exits 0:
/// Claude Code blanks the line of a run that exits otherwise (`statusline --help`).
#[test]
fn the_status_line_refuses_an_unknown_color_and_still_prints_its_line() {
    let data = temp_dir("statusline-color");
    let input = serde_json::json!({"model": {"display_name": "Opus"}});
    for (word, refused) in [("always", false), ("auto", false), ("sometimes", true)] {
        let mut command = aegon(&data, &["statusline", "--no-index", "--color", word]);
        let out = output_with_stdin(&mut command, input.to_string(), Reads::All);
        assert_eq!(out.status.code(), Some(0), "--color {word}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Opus"),
            "--color {word}: {out:?}"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            err.contains("--color: 'sometimes'? auto, always or never"),
            refused,
            "--color {word}: {err}"
        );
    }
}

// ---- the index against a fresh read ------------------------------------------------------

fn totals(doc: &Value) -> [u64; 5] {
    usage_tokens(&doc["totals"])
}

/// A Claude-like tree with the corpus fixtures in two projects.
fn tree(data: &Path) -> PathBuf {
    let projects = data.join("claude/projects");
    for (i, f) in fixtures().iter().enumerate() {
        let dir = projects.join(format!("-p{}", i % 2));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(f, dir.join(f.file_name().unwrap())).unwrap();
    }
    projects
}

#[test]
fn the_index_equals_a_fresh_read_as_files_grow_are_recreated_and_deleted() {
    let data = temp_dir("fresh");
    let projects = tree(&data);
    let p = projects.to_str().unwrap();
    let check = |what: &str| {
        let indexed = run_json(&data, &["usage", "daily", "--json", p]);
        let fresh = run_json(&data, &["usage", "daily", "--json", "--no-index", p]);
        assert_eq!(totals(&indexed), totals(&fresh), "{what}");
        assert_eq!(indexed["daily"], fresh["daily"], "{what}");
    };
    // A new file written in two halves, cut mid-line.
    let src = std::fs::read(fixture("AlexandreVassard__will-it-rain__claude.jsonl")).unwrap();
    let grown = projects.join("-p0/grown.jsonl");
    std::fs::write(&grown, &src[..src.len() / 3]).unwrap();
    check("first third");
    std::fs::write(&grown, &src).unwrap();
    check("appended");
    // Re-created with other content (the same responses as another file: counted once).
    std::fs::remove_file(&grown).unwrap();
    let other = std::fs::read(fixture("mattjoyce__vestig__session.jsonl")).unwrap();
    std::fs::write(&grown, &other).unwrap();
    check("re-created");
    // Deleted: the index keeps its history, a fresh read cannot.
    let before = run_json(&data, &["usage", "daily", "--json", p]);
    // The first transcript of the second project with usage of its own.
    let (victim, gone) = fixtures()
        .iter()
        .skip(1)
        .step_by(2)
        .map(|f| {
            let victim = projects.join("-p1").join(f.file_name().unwrap());
            let path = victim.to_str().unwrap().to_owned();
            let alone = run_json(&data, &["usage", "daily", "--json", "--no-index", &path]);
            (victim, alone)
        })
        .find(|(_, alone)| num(&alone["totals"]["totalTokens"]) > 0)
        .unwrap();
    std::fs::remove_file(&victim).unwrap();
    let after = run_json(&data, &["usage", "daily", "--json", p]);
    assert_eq!(totals(&after), totals(&before), "history survives deletion");
    let fresh = run_json(&data, &["usage", "daily", "--json", "--no-index", p]);
    let lost: Vec<u64> = totals(&before)
        .iter()
        .zip(totals(&fresh))
        .map(|(a, b)| a - b)
        .collect();
    assert_eq!(
        lost,
        totals(&gone).to_vec(),
        "a fresh read misses exactly the deleted file"
    );
}

#[test]
fn several_writers_at_once_and_a_killed_one_leave_right_totals() {
    let data = temp_dir("concurrent");
    let projects = tree(&data);
    let p = projects.to_str().unwrap();
    let fresh = totals(&run_json(
        &data,
        &["usage", "daily", "--json", "--no-index", p],
    ));
    // A writer killed mid-index, then six writers and three status lines at once on the
    // same new index.
    let mut killed = aegon(&data, &["usage", "daily", p])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(30));
    let _ = killed.kill();
    let _ = killed.wait();
    let mut children = Vec::new();
    for i in 0..9 {
        let mut c = if i % 3 == 2 {
            let mut c = aegon(&data, &["statusline"]);
            c.env("HOME", "/nonexistent-aegon-home")
                .env_remove("CODEX_HOME")
                .env_remove("XDG_DATA_HOME")
                .env("CLAUDE_CONFIG_DIR", data.join("claude"))
                .stdin(Stdio::piped());
            c
        } else {
            aegon(&data, &["usage", "daily", "--json", p])
        };
        let mut child = c
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The status lines' input (the reports' stdin is null).
        let feeder = child.stdin.is_some().then(|| {
            feed_stdin(
                &mut child,
                br#"{"model":{"display_name":"Opus"},"rate_limits":{"five_hour":{"used_percentage":12.5,"resets_at":4102444800}}}"#,
                Reads::All,
            )
        });
        children.push((i, child, feeder));
    }
    for (i, child, feeder) in children {
        let out = child.wait_with_output().unwrap();
        if let Some(feeder) = feeder {
            feeder.finish();
        }
        assert!(
            common::read_all_but_named(&out),
            "{i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if i % 3 != 2 {
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(totals(&doc), fresh, "writer {i}");
        } else {
            assert!(String::from_utf8_lossy(&out.stdout).contains("Opus"));
        }
    }
    assert_eq!(
        totals(&run_json(&data, &["usage", "daily", "--json", p])),
        fresh
    );
    // A status line that met the index locked for more than 50 ms made its line without it
    // (statusline --help), its reading not recorded: under load all three may have. One more,
    // alone, records it.
    let mut alone = aegon(&data, &["statusline"]);
    alone
        .env("HOME", "/nonexistent-aegon-home")
        .env_remove("CODEX_HOME")
        .env_remove("XDG_DATA_HOME")
        .env("CLAUDE_CONFIG_DIR", data.join("claude"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = alone.spawn().unwrap();
    let feeder = feed_stdin(
        &mut child,
        br#"{"model":{"display_name":"Opus"},"rate_limits":{"five_hour":{"used_percentage":12.5,"resets_at":4102444800}}}"#,
        Reads::All,
    );
    let out = child.wait_with_output().unwrap();
    feeder.finish();
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Opus"));
    // The status lines' readings are in the index, with their age: their account's (its
    // CLAUDE_CONFIG_DIR's), not another's.
    let out = aegon(&data, &["usage", "blocks", "--json", p])
        .env("CLAUDE_CONFIG_DIR", data.join("claude"))
        .output()
        .unwrap();
    assert!(common::read_all_but_named(&out));
    let blocks: Value = serde_json::from_slice(&out.stdout).unwrap();
    let official = blocks["official"].as_array().unwrap();
    assert_eq!(official.len(), 1);
    assert_eq!(official[0]["usedPercent"], 12.5);
    assert_eq!(official[0]["resetsAt"], "2100-01-01T00:00:00.000Z");
    let other = run_json(&data, &["usage", "blocks", "--json", p]);
    assert_eq!(
        other["official"],
        serde_json::json!([]),
        "another account's"
    );
}

#[test]
fn a_damaged_index_is_reported_and_rebuilt() {
    let data = temp_dir("damaged");
    std::fs::write(
        data.join("usage.sqlite3"),
        vec![0x5a; 8192], // not a database
    )
    .unwrap();
    let f = fixture("mattjoyce__vestig__session.jsonl");
    let f = f.to_str().unwrap();
    let fresh = run_json(&data, &["usage", "daily", "--json", "--no-index", f]);
    // Nothing of it can be read: what it held of transcripts gone from disk may be missing.
    // Said in the JSON notes and on stderr, exit status 2, on every run until the damaged
    // copy is removed.
    for run in 0..2 {
        let out = aegon(&data, &["usage", "daily", "--json", f])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "run {run}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.contains("moved to"), run == 0, "{stderr}");
        let indexed: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(totals(&indexed), totals(&fresh));
        let notes = indexed["notes"].to_string();
        assert!(
            notes.contains("an unknown number could not be read"),
            "{notes}"
        );
        assert!(notes.contains("usage.sqlite3.unusable-"), "{notes}");
        assert!(stderr.contains("remove it to acknowledge"), "{stderr}");
    }
    // Acknowledged: the damaged copy removed, the note goes, exit 0.
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().contains(".unusable-") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let doc = run_json(&data, &["usage", "daily", "--json", f]);
    assert!(
        doc["notes"].as_array().is_none_or(|n| n.is_empty()),
        "{doc}"
    );
    assert_eq!(totals(&doc), totals(&fresh));
}

/// A Claude-like tree of the corpus indexed, then one transcript with usage deleted (Claude
/// Code's cleanup: its history is in the index alone): `(projects, the report over them with
/// that history, the index file as it is then)`.
fn history_only_in_the_index(data: &Path) -> (PathBuf, Value, Vec<u8>) {
    let projects = tree(data);
    let p = projects.to_str().unwrap();
    let full = run_json(data, &["usage", "daily", "--json", p]);
    // The first transcript of the second project with usage of its own.
    let victim = fixtures()
        .iter()
        .skip(1)
        .step_by(2)
        .map(|f| projects.join("-p1").join(f.file_name().unwrap()))
        .find(|victim| {
            let alone = run_json(
                data,
                &[
                    "usage",
                    "daily",
                    "--json",
                    "--no-index",
                    victim.to_str().unwrap(),
                ],
            );
            num(&alone["totals"]["totalTokens"]) > 0
        })
        .unwrap();
    std::fs::remove_file(&victim).unwrap();
    let fresh = run_json(data, &["usage", "daily", "--json", "--no-index", p]);
    assert_ne!(totals(&fresh), totals(&full), "the deleted file had usage");
    // The run checkpointed the WAL: the file alone is the index.
    let index = std::fs::read(data.join("usage.sqlite3")).unwrap();
    (projects, full, index)
}

/// Puts `index` back as the usage index in `data` (no WAL, no copy set aside), with the root
/// page of `table` overwritten whole with `DE AD` as a bad sector would (tester15's repros
/// write it at byte 100 of a page).
fn damaged_index(data: &Path, index: &[u8], table: &str) {
    for entry in std::fs::read_dir(data).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("usage.sqlite3")
        {
            std::fs::remove_file(path).unwrap();
        }
    }
    let path = data.join("usage.sqlite3");
    std::fs::write(&path, index).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let (root, size): (i64, i64) = conn
        .query_row(
            "SELECT rootpage, (SELECT page_size FROM pragma_page_size)
             FROM sqlite_master WHERE name = ?1",
            [table],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    drop(conn);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = ((root - 1) * size) as usize;
    for (i, b) in bytes[at..at + size as usize].iter_mut().enumerate() {
        *b = if i % 2 == 0 { 0xde } else { 0xad };
    }
    std::fs::write(&path, bytes).unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(data.join(format!("usage.sqlite3{suffix}")));
    }
}

/// A report of `usage daily --json PATH` with the index in `data` (`hook`: the rebuild's test
/// hook, `AEGON_TEST_REBUILD_HOOK`): its exit code (`None`: killed), the JSON (`Null` when
/// killed) and stderr.
fn daily_report(data: &Path, path: &str, hook: Option<&str>) -> (Option<i32>, Value, String) {
    let mut command = aegon(data, &["usage", "daily", "--json", path]);
    if let Some(hook) = hook {
        command.env("AEGON_TEST_REBUILD_HOOK", hook);
    }
    let out = command.output().unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code(),
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The report is right or says it may not be: the totals with the history (`full`), or fewer
/// with exit status 2 and a note that history may be missing; never read afresh as if that
/// were all.
fn right_or_said(what: &str, (code, doc, stderr): &(Option<i32>, Value, String), full: &Value) {
    assert!(!stderr.contains("afresh"), "{what}: {stderr}");
    if totals(doc) != totals(full) {
        assert_eq!(*code, Some(2), "{what}: {stderr}");
        assert!(
            doc["notes"].to_string().contains("may be missing"),
            "{what}: {}",
            doc["notes"]
        );
    } else {
        assert!(whole_or_2(*code, stderr), "{what}: {stderr}");
    }
}

/// Exit status 0 or 2, or 1 only to say a subagent or workflow run named was not read (the
/// corpus's 3e89eb15: [`common::read_all_but_named`]).
fn whole_or_2(code: Option<i32>, stderr: &str) -> bool {
    let named = stderr.contains("no line of") && stderr.contains("is not counted");
    matches!(code, Some(0 | 2)) || (code == Some(1) && named)
}

#[test]
fn damage_in_any_table_is_repaired_with_what_the_index_still_holds() {
    // tester15 #2: damage in the root page of `files` made every run read the transcripts
    // afresh with exit status 0, the index never rebuilt. Every table's damage now takes the
    // same path, whichever query meets it first.
    let data = temp_dir("damaged-tables");
    let (projects, full, index) = history_only_in_the_index(&data);
    let p = projects.to_str().unwrap();
    for table in [
        "files",
        "responses",
        "names",
        "meta",
        "response_files",
        "session_spans",
    ] {
        damaged_index(&data, &index, table);
        let first = daily_report(&data, p, None);
        right_or_said(table, &first, &full);
        let second = daily_report(&data, p, None);
        right_or_said(table, &second, &full);
        assert_eq!(totals(&second.1), totals(&first.1), "{table}");
        if table == "files" {
            // The paths' index places every file's rows: nothing is lost.
            assert_eq!(totals(&first.1), totals(&full), "{}", first.2);
            assert!(first.2.contains("moved to"), "{}", first.2);
            assert!(first.2.contains("nothing was lost"), "{}", first.2);
        }
    }
}

/// The copies set aside in `data` (`usage.sqlite3.unusable-<ms>`, not their `-wal`, `-shm`).
fn copies_aside(data: &Path) -> Vec<PathBuf> {
    let mut copies: Vec<PathBuf> = std::fs::read_dir(data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.contains(".unusable-") && !name.ends_with("-wal") && !name.ends_with("-shm")
        })
        .collect();
    copies.sort();
    copies
}

#[test]
fn a_rebuild_killed_at_any_step_leaves_the_damaged_index_or_the_whole_new_one() {
    // tester15 #4: killed while it set the damaged index aside and rebuilt it, later runs
    // reported without the restored history, exit 0, nothing said. The hook stops the process
    // (abort: no destructor runs, as with kill -9) after each step in turn.
    let data = temp_dir("damaged-kill");
    let (projects, full, index) = history_only_in_the_index(&data);
    let p = projects.to_str().unwrap();
    // What one rebuild that is not stopped gives (the root of `responses` lost: some history
    // is missing, said on every run).
    damaged_index(&data, &index, "responses");
    let whole = daily_report(&data, p, None);
    right_or_said("not stopped", &whole, &full);
    assert_eq!(whole.0, Some(2), "{}", whole.2);
    for step in 0..=4 {
        damaged_index(&data, &index, "responses");
        let killed = daily_report(&data, p, Some(&format!("{step}:abort")));
        assert_eq!(killed.0, None, "step {step}: stopped there: {}", killed.2);
        for run in 0..2 {
            let what = format!("step {step}, run {run} after");
            let after = daily_report(&data, p, None);
            right_or_said(&what, &after, &full);
            assert_eq!(totals(&after.1), totals(&whole.1), "{what}: {}", after.2);
            assert_eq!(after.0, Some(2), "{what}: {}", after.2);
            assert!(
                after.2.contains("remove it to acknowledge"),
                "{what}: {}",
                after.2
            );
        }
        assert!(
            !data.join("usage.sqlite3.rebuilding").exists(),
            "step {step}: the new index's file is gone"
        );
        // A copy set aside by a rebuild stopped before its new index was in place (steps 2
        // and 3) is a copy of the damaged index still there, which the next run sets aside
        // again: it is removed, so one copy is left, the one the record names (before: two,
        // the first named by nothing). One whose rebuild was done (step 4) stays.
        let copies = copies_aside(&data);
        assert_eq!(copies.len(), 1, "step {step}: {copies:?}");
        assert!(
            whole_or_after_notes(&data, p).contains(&copies[0].display().to_string()),
            "step {step}: the note names {copies:?}"
        );
        assert!(
            !data.join("usage.sqlite3.setting-aside").exists(),
            "step {step}: what named the copy is gone"
        );
    }
}

/// The notes of one more `usage daily --json PATH` report, as text.
fn whole_or_after_notes(data: &Path, path: &str) -> String {
    daily_report(data, path, None).1["notes"].to_string()
}

/// Waits until `file` exists (another process's test hook makes it), at most a minute.
fn wait_for(file: &Path) {
    let start = std::time::Instant::now();
    while !file.exists() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "{} never came",
            file.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn processes_meeting_one_damaged_index_share_one_rebuild() {
    // tester15 #3: a second process took the half-made new index for damaged, set it aside
    // too and rebuilt without the salvage: the restored history lost for good, exit 0. Here
    // the first process stops with its new index made, not yet in place, holding the lock;
    // two more meet the damage and wait for the lock (each says so through its hook); then
    // the first goes on.
    let data = temp_dir("damaged-race");
    let (projects, full, index) = history_only_in_the_index(&data);
    let p = projects.to_str().unwrap();
    damaged_index(&data, &index, "files");
    let flag = data.join("go");
    let spawn = |hook: String| {
        let mut command = aegon(&data, &["usage", "daily", "--json", p]);
        command
            .env("AEGON_TEST_REBUILD_HOOK", hook)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command.spawn().unwrap()
    };
    let first = spawn(format!("3:wait:{}", flag.display()));
    wait_for(&data.join("go.reached"));
    let others: Vec<_> = (0..2)
        .map(|i| {
            let mark = data.join(format!("waiting{i}"));
            let child = spawn(format!("0:touch:{}", mark.display()));
            wait_for(&mark);
            child
        })
        .collect();
    std::fs::write(&flag, b"").unwrap();
    for (i, child) in std::iter::once(first).chain(others).enumerate() {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(totals(&doc), totals(&full), "process {i}: {stderr}");
        assert!(whole_or_2(out.status.code(), &stderr), "{i}: {stderr}");
        assert_eq!(stderr.contains("moved to"), i == 0, "process {i}: {stderr}");
    }
    assert_eq!(copies_aside(&data).len(), 1, "one rebuild");
    let later = daily_report(&data, p, None);
    assert_eq!(totals(&later.1), totals(&full), "{}", later.2);
    // Nothing but the corpus's 3e89eb15 and its workflow runs not read.
    assert!(
        later.0 == Some(0) || (later.0 == Some(1) && whole_or_2(later.0, &later.2)),
        "{}",
        later.2
    );
}

// ---- blocks, the status line, the schema --------------------------------------------------

#[test]
fn blocks_follow_the_rule_and_a_written_reset_wins() {
    let data = temp_dir("blocks");
    let f = fixture("AlexandreVassard__will-it-rain__claude.jsonl");
    let doc = run_json(&data, &["usage", "blocks", "--json", f.to_str().unwrap()]);
    let blocks = doc["blocks"].as_array().unwrap();
    // The file's limit line (2026-01-28T20:29:11Z) says "resets 1am (Europe/Paris)": 1am in
    // Paris (+01:00 in January) is 2026-01-29T00:00:00Z, which ends the block.
    let hit = blocks
        .iter()
        .find(|b| b["endSource"] == "transcript")
        .expect("a block ended by the limit message");
    assert_eq!(hit["endTime"], "2026-01-29T00:00:00.000Z");
    for b in blocks.iter().filter(|b| b["isGap"] == false) {
        let start = b["startTime"].as_str().unwrap();
        assert!(
            start.ends_with(":00:00.000Z"),
            "floored to the hour: {start}"
        );
    }
}

/// A block's id is ccusage's: its start in RFC 3339 UTC with milliseconds
/// (`format_rfc3339_millis` in ccusage's blocks.rs: `YYYY-MM-DDTHH:MM:SS.mmmZ`), `gap-` before
/// a gap's; and a gap ends where the next block starts (half-open spans), on every transcript
/// of the corpus fixtures read as one history.
#[test]
fn block_ids_and_gap_times_are_ccusages() {
    let data = temp_dir("block-ids");
    let corpus = root().join("fixtures/corpus");
    let doc = run_json(
        &data,
        &["usage", "blocks", "--json", corpus.to_str().unwrap()],
    );
    let blocks = doc["blocks"].as_array().unwrap();
    assert!(blocks.iter().filter(|b| b["isGap"] == true).count() >= 2);
    let ms = |v: &Value| -> i64 {
        // Parsed independently of aegon's formatter: YYYY-MM-DDTHH:MM:SS.mmmZ.
        let t = v.as_str().unwrap();
        assert_eq!(t.len(), 24, "{t}");
        assert!(t.ends_with('Z') && &t[19..20] == ".", "{t}");
        let n = |a: usize, b: usize| t[a..b].parse::<i64>().unwrap();
        let (y, mo, d) = (n(0, 4), n(5, 7), n(8, 10));
        // Days from the civil date (Howard Hinnant's algorithm).
        let y2 = if mo <= 2 { y - 1 } else { y };
        let era = y2.div_euclid(400);
        let yoe = y2 - era * 400;
        let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        ((days * 24 + n(11, 13)) * 60 + n(14, 16)) * 60_000 + n(17, 19) * 1000 + n(20, 23)
    };
    for b in blocks {
        let start = b["startTime"].as_str().unwrap();
        let want = if b["isGap"] == true {
            format!("gap-{start}")
        } else {
            start.to_owned()
        };
        assert_eq!(b["id"], want.as_str());
        assert!(ms(&b["startTime"]) < ms(&b["endTime"]), "{b}");
    }
    // The responses' times, read from the transcripts independently of aegon (assistant lines
    // with a usage, not synthetic; every corpus timestamp is UTC with milliseconds).
    let mut times: Vec<i64> = Vec::new();
    for f in fixtures() {
        for line in std::fs::read_to_string(&f).unwrap().lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let m = &v["message"];
            if v["type"] == "assistant" && m["usage"].is_object() && m["model"] != "<synthetic>" {
                times.push(ms(&v["timestamp"]));
            }
        }
    }
    times.sort_unstable();
    let mut gaps = 0;
    for w in blocks.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        if a["isGap"] != true {
            assert!(ms(&a["endTime"]) <= ms(&b["startTime"]), "{a}\n{b}");
            continue;
        }
        gaps += 1;
        // ccusage's gap (shared/usage-over-time.md §2.1): from the last response + 5 h to the
        // next response, when use resumed; the block after it starts at that response's hour.
        let start = ms(&a["startTime"]);
        let next = *times.iter().find(|&&t| t > start).unwrap();
        assert_eq!(ms(&a["endTime"]), next, "{a}\n{b}");
        assert_eq!(
            ms(&b["startTime"]),
            next - next.rem_euclid(3_600_000),
            "{b}"
        );
        let before = blocks
            .iter()
            .take_while(|x| x["id"] != a["id"])
            .last()
            .unwrap();
        if before["endSource"] == "estimate" {
            assert_eq!(start, ms(&before["actualEndTime"]) + 5 * 3_600_000, "{a}");
        }
    }
    assert!(gaps >= 2);
}

#[test]
fn the_status_line_always_answers() {
    let data = temp_dir("statusline");
    for input in [
        "",
        "not json",
        "[]",
        r#"{"model":42,"cost":"x","rate_limits":null}"#,
    ] {
        let out = output_with_stdin(&mut aegon(&data, &["statusline"]), input, Reads::All);
        assert!(out.status.success(), "{input}");
        assert!(
            !String::from_utf8_lossy(&out.stdout).trim().is_empty(),
            "{input}"
        );
    }
}

/// One odd character in a field (a lone surrogate escape, invalid UTF-8, a byte-order mark)
/// does not lose the whole input: the other fields are still shown.
#[test]
fn the_status_line_reads_odd_input_as_transcripts_are_read() {
    let data = temp_dir("statusline-odd");
    let inputs: [&[u8]; 3] = [
        br#"{"model":{"display_name":"a\ud800c"},"cost":{"total_cost_usd":2}}"#,
        b"{\"model\":{\"display_name\":\"a\xffc\"},\"cost\":{\"total_cost_usd\":2}}",
        b"\xEF\xBB\xBF{\"model\":{\"display_name\":\"a\xEF\xBF\xBDc\"},\"cost\":{\"total_cost_usd\":2}}",
    ];
    for input in inputs {
        let out = output_with_stdin(
            aegon(&data, &["statusline"]).env("NO_COLOR", "1"),
            input,
            Reads::All,
        );
        let line = String::from_utf8_lossy(&out.stdout);
        let shown = String::from_utf8_lossy(input);
        assert!(out.status.success(), "{shown}");
        assert!(line.contains("a\u{FFFD}c"), "{shown}: {line}");
        assert!(line.contains("$2.00 session"), "{shown}: {line}");
    }
}

#[test]
fn usage_json_fits_its_schema() {
    let data = temp_dir("schema");
    let text = std::fs::read_to_string(root().join("schemas/usage.v1.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let corpus = root().join("fixtures/corpus");
    let c = corpus.to_str().unwrap();
    for args in [
        vec!["usage", "daily", "--json", c],
        vec!["usage", "weekly", "--json", "--by", "model", c],
        vec!["usage", "monthly", "--json", "--by", "agent", c],
        vec!["usage", "monthly", "--json", "--by", "subagent", c],
        vec!["usage", "sessions", "--json", c],
        vec!["usage", "projects", "--json", c],
        vec!["usage", "blocks", "--json", "--token-limit", "max", c],
    ] {
        let doc = run_json(&data, &args);
        if let Err(e) = validator.validate(&doc) {
            panic!("{args:?}: {e}");
        }
    }
    let mut drifted = run_json(&data, &["usage", "daily", "--json", c]);
    drifted["totals"]["totalCost"] = Value::from("free");
    assert!(validator.validate(&drifted).is_err());
}

#[test]
fn summary_alone_on_a_terminal_reads_claude_codes_folders() {
    // `script` gives aegon a terminal for stdin (util-linux; skipped where it is missing).
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("script(1) not found: skipped");
        return;
    }
    let data = temp_dir("summary-tty");
    let projects = tree(&data);
    let cmd = format!("{} --summary --json", env!("CARGO_BIN_EXE_aegon"));
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("HOME", "/nonexistent-aegon-home")
        .env_remove("CODEX_HOME")
        .env_remove("XDG_DATA_HOME")
        .env("CLAUDE_CONFIG_DIR", data.join("claude"))
        .output()
        .unwrap();
    // The terminal gets stderr too: the note that a workflow run of austinweitao's 3e89eb15
    // was not read (the fixtures keep one of its three), for which aegon exits with 1.
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    let (notes, json): (Vec<&str>, Vec<&str>) =
        text.lines().partition(|l| l.starts_with("aegon: "));
    assert!(
        out.status.success()
            || (out.status.code() == Some(1)
                && !notes.is_empty()
                && notes.iter().all(|l| l.contains("was read"))),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_str(&json.join("\n")).unwrap();
    let named =
        common::aegon_stdout_lower_bound(["--summary", "--json", projects.to_str().unwrap()]);
    let named: Value = serde_json::from_str(&named).unwrap();
    assert_eq!(doc["totals"], named["totals"]);
}

/// With no CLAUDE_CONFIG_DIR, Claude Code's transcripts are read under `~/.claude` and
/// `~/.config/claude` (`$XDG_CONFIG_HOME/claude` when set) both, as ccusage reads them
/// (tester14 #4: the second was never read); one reached through both (a link) counts once,
/// and one missing is no error. `aegon usage`, `--summary` with no PATH and the status line's
/// today agree with a read of the two files named.
#[cfg(unix)]
#[test]
fn claude_codes_xdg_folder_is_read_beside_the_home_one() {
    let data = temp_dir("xdg-claude");
    let home = data.join("home");
    let legacy = home.join(".claude/projects/-a");
    let xdg = home.join(".config/claude/projects/-b");
    std::fs::create_dir_all(&legacy).unwrap();
    std::fs::create_dir_all(&xdg).unwrap();
    // tester14's repro 04: two real sessions, one in each folder.
    let a = legacy.join("short.jsonl");
    let b = xdg.join("session.jsonl");
    std::fs::copy(
        fixture("marot__spotter__test__fixtures__transcripts__short.jsonl"),
        &a,
    )
    .unwrap();
    std::fs::copy(fixture("mattjoyce__vestig__session.jsonl"), &b).unwrap();
    let named: Value = serde_json::from_str(&common::aegon_stdout([
        "--summary".as_ref(),
        "--json".as_ref(),
        a.as_os_str(),
        b.as_os_str(),
    ]))
    .unwrap();
    let want = named["totals"]["cost_usd"].as_f64().unwrap();
    let calls_named = named["totals"]["api_calls"].as_u64().unwrap();
    let one: Value = serde_json::from_str(&common::aegon_stdout([
        "--summary".as_ref(),
        "--json".as_ref(),
        a.as_os_str(),
    ]))
    .unwrap();
    assert!(calls_named > one["totals"]["api_calls"].as_u64().unwrap());
    let run = |index: &Path, args: &[&str], xdg_home: Option<&Path>| {
        let mut c = aegon(index, args);
        c.env("HOME", &home).env_remove("CLAUDE_CONFIG_DIR");
        match xdg_home {
            Some(x) => c.env("XDG_CONFIG_HOME", x),
            None => c.env_remove("XDG_CONFIG_HOME"),
        };
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let usage = run(&data.join("d1"), &["usage", "daily", "--json"], None);
    assert_eq!(calls(&usage), calls_named);
    let cost = usage["totals"]["totalCost"].as_f64().unwrap();
    // The summary's cost is rounded to 4 decimals.
    assert!((cost - want).abs() < 5e-5, "{cost} vs {want}");
    let summary = run(&data.join("d1"), &["--summary", "--json"], None);
    assert_eq!(summary["totals"], named["totals"]);
    // $XDG_CONFIG_HOME names the folder instead of ~/.config.
    let moved = data.join("xdg");
    std::fs::create_dir_all(&moved).unwrap();
    std::fs::rename(home.join(".config/claude"), moved.join("claude")).unwrap();
    let usage = run(
        &data.join("d2"),
        &["usage", "daily", "--json"],
        Some(&moved),
    );
    assert_eq!(calls(&usage), calls_named);
    // Without it, ~/.config/claude is missing now: no error, the other folder alone.
    let usage = run(&data.join("d3"), &["usage", "daily", "--json"], None);
    assert_eq!(calls(&usage), one["totals"]["api_calls"].as_u64().unwrap());
    // The same folder reached through both (a link): counted once.
    std::fs::remove_dir_all(&moved).unwrap();
    std::fs::create_dir_all(home.join(".config")).unwrap();
    std::os::unix::fs::symlink(home.join(".claude"), home.join(".config/claude")).unwrap();
    let usage = run(&data.join("d4"), &["usage", "daily", "--json"], None);
    assert_eq!(calls(&usage), one["totals"]["api_calls"].as_u64().unwrap());
}

/// The number of API calls in a report's totals.
fn calls(doc: &Value) -> u64 {
    num(&doc["totals"]["apiCalls"])
}

#[test]
fn a_file_or_folder_named_by_another_path_gives_the_same_totals() {
    let data = temp_dir("spelling");
    let cfg = data.join("cfg");
    let proj = cfg.join("projects/-p");
    std::fs::create_dir_all(&proj).unwrap();
    // fixtures/bugs/README.md: 06-fast-mode-speed holds 2 API calls.
    let f = proj.join("f.jsonl");
    std::fs::copy(root().join("fixtures/bugs/06-fast-mode-speed.jsonl"), &f).unwrap();
    let run = |args: &[&str]| -> Value {
        let out = aegon(&data, args)
            .env("HOME", "/nonexistent-aegon-home")
            .env_remove("CODEX_HOME")
            .env_remove("XDG_DATA_HOME")
            .env("CLAUDE_CONFIG_DIR", &cfg)
            .current_dir(&data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let first = run(&["usage", "daily", "--json"]);
    assert_eq!(calls(&first), 2);
    let want = totals(&first);
    assert!(want.iter().sum::<u64>() > 0);
    for args in [
        vec!["usage", "daily", "--json", "cfg/projects"],
        vec!["usage", "daily", "--json", "cfg/projects/-p/f.jsonl"],
        vec!["usage", "daily", "--json", "cfg/projects/-p/../-p/f.jsonl"],
    ] {
        let doc = run(&args);
        assert_eq!((calls(&doc), totals(&doc)), (2, want), "{args:?}");
    }
    #[cfg(unix)]
    {
        // A link to the folder, and a config folder that is a link (dotfiles).
        std::os::unix::fs::symlink(cfg.join("projects"), data.join("link")).unwrap();
        let doc = run(&["usage", "daily", "--json", "link"]);
        assert_eq!((calls(&doc), totals(&doc)), (2, want), "through a link");
        std::os::unix::fs::symlink(&cfg, data.join("dot")).unwrap();
        let out = aegon(&data, &["usage", "daily", "--json"])
            .env("HOME", "/nonexistent-aegon-home")
            .env_remove("CODEX_HOME")
            .env_remove("XDG_DATA_HOME")
            .env("CLAUDE_CONFIG_DIR", data.join("dot"))
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            (calls(&doc), totals(&doc)),
            (2, want),
            "config folder as a link"
        );
        // A link inside the tree to a file indexed by its own path: one file, counted once.
        std::os::unix::fs::symlink(&f, proj.join("g.jsonl")).unwrap();
        let doc = run(&["usage", "daily", "--json", "link/-p/g.jsonl"]);
        assert_eq!((calls(&doc), totals(&doc)), (2, want), "a linked file");
        let doc = run(&["usage", "daily", "--json"]);
        assert_eq!((calls(&doc), totals(&doc)), (2, want), "a link in the tree");
    }
}

#[test]
fn a_missing_path_is_an_error_with_or_without_the_index() {
    let data = temp_dir("bogus");
    for extra in [&[][..], &["--no-index"][..]] {
        let mut args = vec!["usage", "daily"];
        args.extend_from_slice(extra);
        args.push("bogus");
        let out = aegon(&data, &args).current_dir(&data).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("bogus: No such file or directory"),
            "{args:?}: {err}"
        );
    }
}

/// `(session id, API calls, cost rounded to 1/10,000 $)` of a sessions report.
fn session_rows(doc: &Value) -> Vec<(String, u64, String)> {
    let mut rows: Vec<_> = doc["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["sessionId"].as_str().unwrap().to_owned(),
                num(&s["apiCalls"]),
                format!("{:.4}", s["totalCost"].as_f64().unwrap()),
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn a_resumed_copy_counts_where_it_first_occurred_whatever_the_indexing_order() {
    // fixtures/bugs/README.md (08): A: 2 calls, $0.0112; B: 1 call, $0.0036. The copy (B)
    // sits in the folder read first, so indexing order alone would give it all three.
    let src = root().join("fixtures/bugs/08-resume-copy");
    let id = |c: &str| format!("11111111-2222-4333-8444-5555555555{c}8");
    let want = vec![
        (id("a"), 2, "0.0112".to_owned()),
        (id("b"), 1, "0.0036".to_owned()),
    ];
    for later in [false, true] {
        let data = temp_dir(&format!("resume-{later}"));
        let projects = data.join("projects");
        for (dir, c) in [("a-proj", "b"), ("b-proj", "a")] {
            std::fs::create_dir_all(projects.join(dir)).unwrap();
            let name = format!("{}.jsonl", id(c));
            std::fs::copy(src.join(&name), projects.join(dir).join(&name)).unwrap();
        }
        let p = projects.to_str().unwrap();
        if later {
            // B alone first, A in a later run.
            let b = projects.join("a-proj");
            run_json(&data, &["usage", "sessions", "--json", b.to_str().unwrap()]);
        }
        let doc = run_json(&data, &["usage", "sessions", "--json", p]);
        assert_eq!(session_rows(&doc), want, "indexed later: {later}");
        let fresh = run_json(&data, &["usage", "sessions", "--json", "--no-index", p]);
        assert_eq!(session_rows(&fresh), want, "--no-index");
    }
}

#[test]
fn lines_without_a_session_id_belong_to_their_files_session() {
    // fixtures/bugs/README.md (17): one session, named after the file, 1 API call.
    let data = temp_dir("no-session");
    let dir = data.join("projects/-p");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("17-no-session-id.jsonl");
    std::fs::copy(root().join("fixtures/bugs/17-no-session-id.jsonl"), &f).unwrap();
    // Its lines, under new ids, as a subagent's file of a session in Claude Code's layout.
    let parent = "0aaaaaaa-1111-4222-8333-444444444444";
    let sub = dir.join(parent).join("subagents");
    std::fs::create_dir_all(&sub).unwrap();
    let text = std::fs::read_to_string(&f).unwrap().replace("17\"", "99\""); // new uuids, message, request and tool ids
    std::fs::write(sub.join("agent-1.jsonl"), text).unwrap();
    let summary: Value = serde_json::from_str(&common::aegon_stdout([
        "--summary",
        "--json",
        data.join("projects").to_str().unwrap(),
    ]))
    .unwrap();
    let mut named: Vec<String> = summary["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["session_id"].as_str().unwrap_or("").to_owned())
        .collect();
    named.sort();
    for extra in [&[][..], &["--no-index"][..]] {
        let mut args = vec!["usage", "sessions", "--json"];
        args.extend_from_slice(extra);
        let p = data.join("projects");
        args.push(p.to_str().unwrap());
        let doc = run_json(&data, &args);
        let rows = session_rows(&doc);
        let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(
            ids,
            ["0aaaaaaa-1111-4222-8333-444444444444", "17-no-session-id"]
        );
        assert_eq!(rows.iter().map(|r| r.1).collect::<Vec<_>>(), [1, 1]);
        assert_eq!(
            ids,
            named.iter().map(String::as_str).collect::<Vec<_>>(),
            "as --summary names them"
        );
    }
}

#[test]
fn the_status_line_drops_absurd_numbers_says_what_it_ignores_and_never_waits_long() {
    let data = temp_dir("statusline-robust");
    let line = |json: &str, extra: &[&str]| -> (String, String) {
        let mut args = vec!["statusline", "--color", "never"];
        args.extend_from_slice(extra);
        let out = output_with_stdin(&mut aegon(&data, &args), json, Reads::All);
        assert!(out.status.success());
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for json in [
        r#"{"context_window":{"used_percentage":1e308}}"#,
        r#"{"context_window":{"used_percentage":-5}}"#,
        r#"{"cost":{"total_cost_usd":-1e300}}"#,
        r#"{"cost":{"total_cost_usd":1e300}}"#,
    ] {
        let (out, _) = line(json, &[]);
        let longest_number = out
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(longest_number < 10, "{json}: {out}");
        assert!(!out.contains("-5"), "{json}: {out}");
        assert!(!out.trim().is_empty());
    }
    let (out, err) = line("{}", &["--tz", "Nowhere/X", "--pricing", "/nonexistent"]);
    assert!(!out.trim().is_empty());
    assert!(err.contains("Nowhere/X"), "{err}");
    assert!(err.contains("/nonexistent"), "{err}");
    // A stdin that stays open: the line comes anyway, within the wait (1 s) and some slack.
    let started = std::time::Instant::now();
    let mut child = aegon(&data, &["statusline", "--color", "never"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let open = child.stdin.take().unwrap();
    let out = child.wait_with_output().unwrap();
    drop(open);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).trim().is_empty());
}

#[test]
fn a_growing_codex_rollout_is_indexed_as_read_whole() {
    // A Codex rollout names its session and model once and counts usage cumulatively, so the
    // index reads it again from its start when it grows: the totals after two updates equal
    // the summary of the whole file.
    let data = temp_dir("codex-growing");
    let dir = data.join("sessions");
    std::fs::create_dir_all(&dir).unwrap();
    let name = "0h-n0__local-voice-assistant-codex__.codex__sessions__2025__12__25__rollout-2025-12-25T22-45-23-019b55c1-d022-7061-bbb9-b0c90708472b.jsonl";
    let whole = std::fs::read(root().join("fixtures/agents/codex").join(name)).unwrap();
    let cut = whole
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .nth(1000)
        .map(|(i, _)| i + 1)
        .unwrap();
    let file = dir.join("rollout.jsonl");
    std::fs::write(&file, &whole[..cut]).unwrap();
    let d = dir.to_str().unwrap();
    let first = run_json(&data, &["usage", "daily", "--json", d]);
    std::fs::write(&file, &whole).unwrap();
    let report = run_json(&data, &["usage", "daily", "--json", d]);
    let summary: Value = serde_json::from_str(&common::aegon_stdout([
        "--summary",
        "--json",
        file.to_str().unwrap(),
    ]))
    .unwrap();
    let t = &summary["totals"];
    let u = &report["totals"];
    assert!(num(&first["totals"]["inputTokens"]) < num(&u["inputTokens"]));
    assert_eq!(num(&u["inputTokens"]), num(&t["tokens"]["input"]));
    assert_eq!(num(&u["outputTokens"]), num(&t["tokens"]["output"]));
    assert_eq!(num(&u["cacheReadTokens"]), num(&t["tokens"]["cache_read"]));
    assert_eq!(num(&u["apiCalls"]), num(&t["api_calls"]));
    // Every request is priced by its model (named once, early in the file).
    assert_eq!(u["unpricedModels"], serde_json::json!([]), "{u}");
}

#[test]
fn other_agents_usage_in_the_index_equals_the_summary() {
    // Every agent's folder of fixtures: the index (documents read whole, rollouts read from
    // their start) reports the tokens the summary counts.
    let data = temp_dir("agents");
    for agent in ["codex", "gemini", "opencode", "copilot", "qwen"] {
        let dir = root().join("fixtures/agents").join(agent);
        let d = dir.to_str().unwrap();
        let report = run_json(&data, &["usage", "daily", "--json", d]);
        let summary: Value =
            serde_json::from_str(&common::aegon_stdout(["--summary", "--json", d])).unwrap();
        let (u, t) = (&report["totals"], &summary["totals"]["tokens"]);
        assert!(
            num(&u["inputTokens"]) + num(&u["outputTokens"]) > 0,
            "{agent}"
        );
        assert_eq!(num(&u["inputTokens"]), num(&t["input"]), "{agent}");
        assert_eq!(num(&u["outputTokens"]), num(&t["output"]), "{agent}");
        assert_eq!(num(&u["cacheReadTokens"]), num(&t["cache_read"]), "{agent}");
        // API calls too: Copilot's session.shutdown totals are usage, not a call (the
        // fresh-user report: 18 against the summary's 17), indexed or read afresh.
        let afresh = run_json(&data, &["usage", "daily", "--json", "--no-index", d]);
        for doc in [&report, &afresh] {
            assert_eq!(
                calls(doc),
                num(&summary["totals"]["api_calls"]),
                "{agent}: API calls"
            );
        }
        let by_agent = run_json(&data, &["usage", "monthly", "--json", "--by", "agent", d]);
        for row in by_agent["monthly"].as_array().unwrap() {
            let want = summary["sessions"][0]["agent"].as_str().unwrap();
            assert_eq!(row["agent"], want, "{agent}");
        }
    }
}

/// Lines that cannot be read are said on every report, where the first is, with or without
/// the index (which remembers them: the second indexed run reads nothing new and says it too),
/// and `--quiet` keeps it off stderr; the report is still made, with the note among its JSON
/// notes, and the exit code is 1, as `--summary`'s for problem lines (it was 0, which hid the
/// loss from scripts).
#[test]
fn unreadable_lines_are_said_on_every_report() {
    let data = temp_dir("unread");
    let dir = data.join("t");
    std::fs::create_dir_all(&dir).unwrap();
    let real = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bugs/06-fast-mode-speed.jsonl"),
    )
    .unwrap();
    let mut lines: Vec<String> = real.lines().map(str::to_owned).collect();
    assert!(lines.len() >= 3);
    // The second line cut short: not JSON, its usage lost.
    let cut = lines[1].len() / 3;
    lines[1].truncate(cut);
    let file = dir.join("s.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let path = file.to_str().unwrap();
    for extra in [&[][..], &[][..], &["--no-index"][..]] {
        let mut args = vec!["usage", "daily", "--json"];
        args.extend_from_slice(extra);
        args.push(path);
        let out = aegon(&data, &args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("1 line in 1 transcript could not be read"),
            "{args:?}: {err}"
        );
        assert!(err.contains("s.jsonl:2: byte "), "{args:?}: {err}");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(doc.is_object(), "the report is still made");
        let notes = doc["notes"].to_string();
        assert!(notes.contains("s.jsonl:2: byte "), "{args:?}: {notes}");
        args.push("--quiet");
        let out = aegon(&data, &args).output().unwrap();
        assert!(!String::from_utf8_lossy(&out.stderr).contains("could not be read"));
        assert_eq!(out.status.code(), Some(1), "{args:?}");
    }
}

#[test]
fn a_copy_indexed_after_its_original_is_reported_over_its_own_path() {
    // The tester's case: a transcript and a copy of it in another folder, indexed together,
    // then a report over the copy's folder alone; and the resumed session of
    // fixtures/bugs/08 over its own file. The index must give what --no-index gives.
    let data = temp_dir("copies");
    let (proj, rep) = (data.join("proj"), data.join("rep"));
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::create_dir_all(&rep).unwrap();
    let a = proj.join("a.jsonl");
    std::fs::copy(fixture("AlexandreVassard__will-it-rain__claude.jsonl"), &a).unwrap();
    std::fs::copy(&a, rep.join("a-copy.jsonl")).unwrap();
    let bugs = root().join("fixtures/bugs/08-resume-copy");
    let (a8, b8) = (proj.join("a8.jsonl"), rep.join("b8.jsonl"));
    std::fs::copy(bugs.join("11111111-2222-4333-8444-5555555555a8.jsonl"), &a8).unwrap();
    std::fs::copy(bugs.join("11111111-2222-4333-8444-5555555555b8.jsonl"), &b8).unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    run_json(&data, &["usage", "daily", "--json", &s(&proj), &s(&rep)]);
    for scope in [s(&rep), s(&b8), s(&rep.join("a-copy.jsonl"))] {
        let indexed = run_json(&data, &["usage", "session", "--json", &scope]);
        let fresh = run_json(&data, &["usage", "session", "--json", "--no-index", &scope]);
        assert!(calls(&fresh) > 0, "{scope}");
        assert_eq!(calls(&indexed), calls(&fresh), "{scope}");
        assert_eq!(indexed, fresh, "{scope}");
    }
    // fixtures/bugs/README.md: session B alone holds 3 API calls (its copy of A's 2 and its own).
    let b = run_json(&data, &["usage", "daily", "--json", &s(&b8)]);
    assert_eq!(calls(&b), 3);
}

#[test]
fn a_missing_path_gives_no_report_and_the_others_are_still_reported() {
    // Like ripgrep: each path that does not exist is said (what and where), the others are
    // read, and the exit status is 2; with none left there is no report at all.
    let data = temp_dir("missing");
    let f = fixture("AlexandreVassard__will-it-rain__claude.jsonl");
    let f = f.to_str().unwrap();
    let alone = run_json(&data, &["usage", "daily", "--json", "--no-index", f]);
    assert!(calls(&alone) > 0);
    for extra in [&[][..], &["--no-index"][..]] {
        for json in [true, false] {
            let mut args = vec!["usage", "daily"];
            args.extend_from_slice(extra);
            if json {
                args.push("--json");
            }
            args.push("bogus");
            let out = aegon(&data, &args).current_dir(&data).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.contains("bogus: No such file or directory"), "{err}");
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "",
                "{args:?}: no report"
            );
        }
        let mut args = vec!["usage", "daily", "--json"];
        args.extend_from_slice(extra);
        args.extend(["bogus", f]);
        let out = aegon(&data, &args).current_dir(&data).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("bogus: No such file or directory"), "{err}");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc, alone, "{args:?}: the path that exists, reported");
    }
}

#[test]
fn the_history_of_a_folder_gone_from_disk_is_still_reported() {
    // Claude Code's folder removed whole (a reset of its config folder, a cleanup): the index
    // still holds its history, by default (another agent's folder there or not) and when the
    // old folder is named; read afresh there is nothing, as before.
    let data = temp_dir("gone-folder");
    let config = data.join("claude");
    let dir = config.join("projects/-p");
    std::fs::create_dir_all(&dir).unwrap();
    for name in [
        "apanloco__random__session.jsonl",
        "mattjoyce__vestig__session.jsonl",
    ] {
        std::fs::copy(fixture(name), dir.join(name)).unwrap();
    }
    let projects = config.join("projects");
    let projects_arg = projects.to_str().unwrap();
    // The right values: the transcripts read afresh, before they go.
    let fresh = run_json(
        &data,
        &["usage", "daily", "--json", "--no-index", projects_arg],
    );
    assert!(calls(&fresh) > 0);
    let codex = data.join("codex");
    let with_config = |args: &[&str], codex_folder: bool| {
        let mut c = aegon(&data, args);
        c.env("CLAUDE_CONFIG_DIR", &config);
        if codex_folder {
            c.env("CODEX_HOME", &codex);
        }
        c.output().unwrap()
    };
    let out = with_config(&["usage", "daily", "--json"], false);
    assert!(out.status.success());
    std::fs::remove_dir_all(&projects).unwrap();
    for codex_folder in [false, true] {
        if codex_folder {
            std::fs::create_dir_all(codex.join("sessions")).unwrap();
        }
        for args in [
            &["usage", "daily", "--json"][..],
            &["usage", "daily", "--json", projects_arg][..],
        ] {
            let out = with_config(args, codex_folder);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(totals(&doc), totals(&fresh), "{args:?}: {err}");
            assert_eq!(calls(&doc), calls(&fresh), "{args:?}");
            let said = format!("{}: no longer on disk", projects.display());
            assert!(err.contains(&said), "{args:?}: {err}");
            assert!(
                doc["notes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|n| n.as_str().unwrap().contains(&said)),
                "{args:?}: {doc}"
            );
        }
    }
    // Afresh, a path not on disk is still an error, and so is one the index knows nothing of.
    for args in [
        &["usage", "daily", "--json", "--no-index", projects_arg][..],
        &["usage", "daily", "--json", "bogus"][..],
    ] {
        let out = with_config(args, false);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("No such file or directory"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: no report");
    }
    std::fs::remove_dir_all(&codex).unwrap();
    let out = with_config(&["usage", "daily", "--json", "--no-index"], false);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no transcripts found"));
}

#[cfg(unix)]
#[test]
fn an_index_that_cannot_be_written_is_reported_as_it_is_and_said() {
    // The disk is full (here: a file size limit, `ulimit -f`, which works without root): the
    // index cannot take what was added, but its history, deleted transcripts' included, is the
    // report, and the JSON, stderr and the exit status say what is missing.
    let data = temp_dir("unwritable");
    let dir = data.join("p");
    std::fs::create_dir_all(&dir).unwrap();
    let kept = "apanloco__random__session.jsonl";
    let deleted = "mattjoyce__vestig__session.jsonl";
    for name in [kept, deleted] {
        std::fs::copy(fixture(name), dir.join(name)).unwrap();
    }
    let dir_arg = dir.to_str().unwrap();
    let fresh = run_json(&data, &["usage", "daily", "--json", "--no-index", dir_arg]);
    run_json(&data, &["usage", "daily", "--json", dir_arg]);
    std::fs::remove_file(dir.join(deleted)).unwrap();
    // Something new to index, more than the limit lets the index grow by.
    let added = "Yael-Peretz__jgive-campaign-donation__transcript.jsonl";
    std::fs::copy(fixture(added), dir.join(added)).unwrap();
    // SIGXFSZ ignored, a write past the limit fails (EFBIG) as on a full disk.
    let out = Command::new("sh")
        .args([
            "-c",
            r#"trap '' XFSZ; ulimit -f 64; exec "$AEGON" usage daily --json "$DIR""#,
        ])
        .env("AEGON", env!("CARGO_BIN_EXE_aegon"))
        .env("DIR", dir_arg)
        .env("AEGON_DATA_DIR", &data)
        .env("HOME", "/nonexistent-aegon-home")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(totals(&doc), totals(&fresh), "{err}");
    assert_eq!(calls(&doc), calls(&fresh));
    let said = "usage index: could not be brought up to date";
    assert!(err.contains(said), "{err}");
    assert!(doc["notes"].to_string().contains(said), "{doc}");
    // With room again, all of it: the history and what was added.
    let doc = run_json(&data, &["usage", "daily", "--json", dir_arg]);
    let added_alone = run_json(
        &data,
        &[
            "usage",
            "daily",
            "--json",
            "--no-index",
            dir.join(added).to_str().unwrap(),
        ],
    );
    assert_eq!(calls(&doc), calls(&fresh) + calls(&added_alone));
}

#[test]
fn a_utf16_transcript_is_refused_by_usage_and_audit_as_by_the_filter() {
    // The filter's refusal, word for word, from every command that reads the file; nothing of
    // it indexed or counted.
    let data = temp_dir("utf16");
    let text = std::fs::read_to_string(fixture("apanloco__random__session.jsonl")).unwrap();
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let file = data.join("s.jsonl");
    std::fs::write(&file, bytes).unwrap();
    let f = file.to_str().unwrap();
    let summary = aegon(&data, &["--summary", f]).output().unwrap();
    assert_eq!(summary.status.code(), Some(2));
    let refusal = String::from_utf8_lossy(&summary.stderr)
        .lines()
        .find(|l| l.contains("UTF-16"))
        .unwrap()
        .to_owned();
    assert!(
        refusal.contains(f) && refusal.contains("iconv -f UTF-16 -t UTF-8"),
        "{refusal}"
    );
    for args in [
        &["audit", f][..],
        &["usage", "daily", "--json", f][..],
        &["usage", "daily", "--json", "--no-index", f][..],
    ] {
        // Twice: the index must not keep the file as read.
        for _ in 0..2 {
            let out = aegon(&data, args).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.lines().any(|l| l == refusal), "{args:?}: {err}");
            assert!(!err.contains("NUL"), "{args:?}: {err}");
            if args[0] == "usage" {
                let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(calls(&doc), 0, "{args:?}");
            }
        }
    }
}

#[test]
fn a_dash_reads_a_transcript_from_standard_input() {
    let data = temp_dir("stdin");
    let a = fixture("AlexandreVassard__will-it-rain__claude.jsonl");
    let b = fixture("KaisaLabs__octora__claude-session.jsonl");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let piped = |args: &[&str], input: &str| -> Value {
        let bytes = std::fs::read(input).unwrap();
        let out = output_with_stdin(&mut aegon(&data, args), bytes, Reads::All);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {err}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // The stream gives what the file gives, alone and beside another path.
    let file = run_json(&data, &["usage", "daily", "--json", "--no-index", a]);
    assert!(calls(&file) > 0);
    assert_eq!(piped(&["usage", "daily", "--json", "-"], a), file);
    let both = run_json(&data, &["usage", "daily", "--json", "--no-index", a, b]);
    assert_eq!(piped(&["usage", "daily", "--json", b, "-"], a), both);
    // A stream is not indexed.
    assert!(!data.join("usage.sqlite3").exists());
}

#[test]
fn limit_messages_count_only_over_the_paths_reported() {
    // Project a holds a limit message written 2026-01-28T20:29:11Z ("resets 1am
    // (Europe/Paris)" = 2026-01-29T00:00:00Z); project b has a block from 17:00Z (first
    // response 17:10Z) that spans it. Over b alone that message is not b's: b's block ends
    // at its estimate, 17:00 + 5 h = 22:00Z, with the index as without it.
    let data = temp_dir("hits-scope");
    let (a, b) = (data.join("a"), data.join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    std::fs::copy(
        fixture("AlexandreVassard__will-it-rain__claude.jsonl"),
        a.join("a.jsonl"),
    )
    .unwrap();
    let lines = [
        response("1", "2026-01-28T17:10:00.000Z", 10),
        response("2", "2026-01-28T20:40:00.000Z", 20),
    ];
    std::fs::write(b.join("b.jsonl"), lines.concat()).unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    // Index both first, so the index holds a's message.
    let both = run_json(&data, &["usage", "blocks", "--json", &s(&a), &s(&b)]);
    assert!(both["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["endSource"] == "transcript"));
    for extra in [&[][..], &["--no-index"][..]] {
        let mut args = vec!["usage", "blocks", "--json"];
        args.extend_from_slice(extra);
        let bs = s(&b);
        args.push(&bs);
        let doc = run_json(&data, &args);
        let blocks: Vec<&Value> = doc["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["isGap"] == false)
            .collect();
        assert_eq!(blocks.len(), 1, "{args:?}");
        assert_eq!(
            blocks[0]["startTime"], "2026-01-28T17:00:00.000Z",
            "{args:?}"
        );
        assert_eq!(blocks[0]["endTime"], "2026-01-28T22:00:00.000Z", "{args:?}");
        assert_eq!(blocks[0]["endSource"], "estimate", "{args:?}");
    }
}

#[test]
fn verbose_says_which_files_were_read_again_from_their_start() {
    let data = temp_dir("verbose");
    let dir = data.join("t");
    std::fs::create_dir_all(&dir).unwrap();
    let lines = [
        response("1", "2026-01-28T17:10:00.000Z", 10),
        response("2", "2026-01-28T17:20:00.000Z", 20),
    ];
    let file = dir.join("s.jsonl");
    std::fs::write(&file, lines.concat()).unwrap();
    let run = || {
        let out = aegon(&data, &["usage", "daily", "--json", "-v", "t"])
            .current_dir(&data)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let first = run();
    let size = lines.concat().len();
    assert!(
        first.contains(&format!(
            "index: 1 transcript looked at, 1 read ({size} bytes), 0 read again from the start"
        )),
        "{first}"
    );
    // Truncated to its first line: read again from its start, and said, named as given.
    std::fs::write(&file, &lines[0]).unwrap();
    let second = run();
    let want = "1 read again from the start";
    assert!(second.contains(want), "{second}");
    assert!(
        second.contains("\n  read again from the start: t/s.jsonl: shorter than what was read"),
        "{second}"
    );
    // Without -v, nothing of it.
    let out = aegon(&data, &["usage", "daily", "--json", "t"])
        .current_dir(&data)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn unreadable_lines_name_the_file_as_given_with_or_without_the_index() {
    let data = temp_dir("unread-named");
    let dir = data.join("t");
    std::fs::create_dir_all(&dir).unwrap();
    let lines = [
        response("1", "2026-01-28T17:10:00.000Z", 10),
        "{\"type\":\"assistant\",\"cut".to_owned() + "\n",
        response("2", "2026-01-28T17:20:00.000Z", 20),
    ];
    std::fs::write(dir.join("s.jsonl"), lines.concat()).unwrap();
    // Indexed first under its absolute path, then reported over a relative one (exit status
    // 1: a line lost).
    let out = aegon(&data, &["usage", "daily", "--json", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    for extra in [&[][..], &["--no-index"][..]] {
        for named in ["t", "t/s.jsonl", "./t"] {
            let mut args = vec!["usage", "daily", "--json"];
            args.extend_from_slice(extra);
            args.push(named);
            let out = aegon(&data, &args).current_dir(&data).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            let file = if named.ends_with(".jsonl") {
                named.to_owned()
            } else {
                format!("{named}/s.jsonl")
            };
            assert!(
                err.contains(&format!("(first: {file}:2: byte ")),
                "{args:?}: {err}"
            );
        }
    }
}

#[test]
fn a_copys_limit_message_counts_over_the_copy_as_without_the_index() {
    // The limit message of will-it-rain (2026-01-28T20:29:11Z, "resets 1am (Europe/Paris)")
    // in a transcript and in a copy of it indexed after it: over the copy alone, the index
    // must end the block at that reset as a fresh read of the copy does.
    let data = temp_dir("hits-copy");
    let (proj, rep) = (data.join("proj"), data.join("rep"));
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::create_dir_all(&rep).unwrap();
    let a = proj.join("a.jsonl");
    std::fs::copy(fixture("AlexandreVassard__will-it-rain__claude.jsonl"), &a).unwrap();
    std::fs::copy(&a, rep.join("a-copy.jsonl")).unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    run_json(&data, &["usage", "blocks", "--json", &s(&proj), &s(&rep)]);
    for scope in [s(&rep), s(&rep.join("a-copy.jsonl")), s(&proj), s(&data)] {
        let indexed = run_json(&data, &["usage", "blocks", "--json", &scope]);
        let fresh = run_json(&data, &["usage", "blocks", "--json", "--no-index", &scope]);
        let ends: Vec<&Value> = fresh["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["endSource"] == "transcript")
            .map(|b| &b["endTime"])
            .collect();
        assert_eq!(ends, ["2026-01-29T00:00:00.000Z"], "{scope}");
        assert_eq!(indexed["blocks"], fresh["blocks"], "{scope}");
    }
}

#[test]
fn a_status_line_reading_past_its_reset_is_not_recorded_nor_shown() {
    let data = temp_dir("expired-reading");
    let f = fixture("mattjoyce__vestig__session.jsonl");
    let f = f.to_str().unwrap();
    // resets_at 1,000,000,000 s is 2001-09-09: long past on any clock this runs on; the 7-day
    // window resets in 2100.
    let out = output_with_stdin(
        &mut aegon(
            &data,
            &[
                "statusline",
                "--color",
                "never",
                "--format",
                "{five_hour}|{seven_day}",
            ],
        ),
        br#"{"rate_limits":{"five_hour":{"used_percentage":92,"resets_at":1000000000},"seven_day":{"used_percentage":41,"resets_at":4102444800}}}"#,
        Reads::All,
    );
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "5h reset|7d 41%"
    );
    let blocks = run_json(&data, &["usage", "blocks", "--json", f]);
    let official = blocks["official"].as_array().unwrap();
    assert_eq!(official.len(), 1, "{official:?}");
    assert_eq!(official[0]["window"], "seven_day");
    assert_eq!(official[0]["expired"], false);
}

// ---- table width -----------------------------------------------------------------------

/// `aegon usage ARGS` over the corpus fixtures, stdout piped, with `COLUMNS` set or not.
fn table(data: &Path, args: &[&str], columns: Option<&str>) -> String {
    let corpus = root().join("fixtures/corpus");
    let mut all = vec!["usage", "--no-index"];
    all.extend_from_slice(args);
    all.push(corpus.to_str().unwrap());
    let mut c = aegon(data, &all);
    c.env("TZ", "UTC").env("NO_COLOR", "1");
    match columns {
        Some(w) => c.env("COLUMNS", w),
        None => c.env_remove("COLUMNS"),
    };
    let out = c.output().unwrap();
    assert!(common::read_all_but_named(&out), "{all:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The table's lines (header to totals), up to the first footer line starting with `end`.
fn table_lines<'a>(text: &'a str, end: &str) -> Vec<&'a str> {
    text.lines().take_while(|l| !l.starts_with(end)).collect()
}

/// The fresh-user report: tables ignored COLUMNS. Piped without it, the whole layout is
/// kept (scripts read it); with it, every table line fits (one line per row, never wrapped),
/// the compact layout leaves out Cache write, Cache read and Total tokens first (ccusage's
/// compact columns), and the figures kept are those of the whole table.
#[test]
fn tables_fit_columns_and_piped_output_without_it_is_whole() {
    let data = temp_dir("columns");
    let whole = table(&data, &[], None);
    let header = whole.lines().next().unwrap();
    for h in [
        "Models",
        "Input",
        "Output",
        "Cache write",
        "Cache read",
        "Total tokens",
    ] {
        assert!(header.contains(h), "{header}");
    }
    let whole_lines = table_lines(&whole, "times in");
    let widest = whole_lines.iter().map(|l| l.chars().count()).max().unwrap();
    assert!(widest > 100, "the corpus table is wide: {widest}");
    // COLUMNS as wide as the table: the same table (the prose under it is wrapped to the
    // width); wider than every line: the same text.
    let fits = table(&data, &[], Some(&widest.to_string()));
    assert_eq!(table_lines(&fits, "times in"), whole_lines);
    assert_eq!(table(&data, &[], Some("1000")), whole);
    // The date and the cost of each row, as the whole table gives them.
    let ends = |lines: &[&str]| -> Vec<(String, String)> {
        lines
            .iter()
            .filter(|l| !l.starts_with('─'))
            .map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                (w[0].to_owned(), w[w.len() - 1].to_owned())
            })
            .collect()
    };
    for w in [widest - 1, 100, 80, 60, 40] {
        let text = table(&data, &[], Some(&w.to_string()));
        let lines = table_lines(&text, "times in");
        assert_eq!(
            lines.len(),
            whole_lines.len(),
            "COLUMNS={w}: one line a row"
        );
        for l in &lines {
            assert!(l.chars().count() <= w, "COLUMNS={w}: {l}");
        }
        for l in text.lines() {
            assert!(
                l.chars().count() <= w || !l.contains(' '),
                "COLUMNS={w}: {l}"
            );
        }
        let header = lines[0];
        for h in ["Cache write", "Cache read", "Total tokens"] {
            assert!(!header.contains(h), "COLUMNS={w}: {header}");
        }
        assert!(
            header.starts_with("Date") && header.ends_with("Cost"),
            "{header}"
        );
        assert_eq!(ends(&lines), ends(&whole_lines), "COLUMNS={w}");
        assert!(
            text.contains(&format!("compact layout for {w} columns")),
            "COLUMNS={w}: {text}"
        );
    }
    // 100 columns keep Input and Output (ccusage's compact set: Date, Models, Input, Output,
    // Cost): the same figures as the whole table's.
    let text = table(&data, &[], Some("100"));
    let cells = |l: &str, col: &str, header: &str| -> String {
        let at = header.find(col).unwrap() + col.len();
        l[..at].split_whitespace().last().unwrap().to_owned()
    };
    let lines = table_lines(&text, "times in");
    for (a, b) in lines.iter().zip(&whole_lines).skip(1) {
        if a.starts_with('─') {
            continue;
        }
        for col in ["Input", "Output"] {
            assert_eq!(
                cells(a, col, lines[0]),
                cells(b, col, whole_lines[0]),
                "{a}\n{b}"
            );
        }
    }

    // Blocks: the whole layout piped; at 60 columns, block starts lose their year.
    let blocks = table(&data, &["blocks"], None);
    assert!(blocks.lines().nth(1).unwrap().starts_with("20"), "{blocks}");
    let narrow = table(&data, &["blocks"], Some("60"));
    let whole_rows = table_lines(&blocks, "Blocks are");
    let rows = table_lines(&narrow, "Blocks are");
    assert_eq!(rows.len(), whole_rows.len());
    for (a, b) in rows.iter().zip(&whole_rows).skip(1) {
        assert!(a.chars().count() <= 60, "{a}");
        // 2025-06-08 10:00 → 06-08 10:00; the same cost at the end.
        assert_eq!(a.get(..11), b.get(5..16), "{a}\n{b}");
        let cost = b.split_whitespace().last().filter(|c| c.starts_with('$'));
        if cost.is_some() {
            assert_eq!(a.split_whitespace().last(), cost, "{a}\n{b}");
        } else {
            assert!(b.contains(" gap)"), "only gaps have no cost: {b}");
        }
    }
    // The fresh-user report: at 40 columns block rows were 45 wide (they wrapped). Every line
    // fits, with a token limit too; Tokens and % of limit give way, the cost stays.
    for args in [&["blocks"][..], &["blocks", "--token-limit", "5000000"][..]] {
        for w in [50, 40] {
            let text = table(&data, args, Some(&w.to_string()));
            for l in text.lines() {
                assert!(
                    l.chars().count() <= w || !l.contains(' '),
                    "{args:?} COLUMNS={w}: {l}\n{text}"
                );
            }
            let rows = table_lines(&text, "Blocks are");
            assert_eq!(rows.len(), whole_rows.len(), "{args:?}: one line a row");
            for (a, b) in rows.iter().zip(&whole_rows).skip(1) {
                let cost = b.split_whitespace().last().filter(|c| c.starts_with('$'));
                if cost.is_some() {
                    assert_eq!(a.split_whitespace().last(), cost, "{a}\n{b}");
                }
            }
        }
    }
}

/// `aegon --help` and `aegon usage --help` say how tables follow COLUMNS.
#[test]
fn the_help_says_tables_follow_columns() {
    for args in [&["--help"][..], &["usage", "--help"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Tables fit COLUMNS"), "{args:?}");
        assert!(text.contains("piped"), "{args:?}");
    }
}

// ---- indexing in steps under a deadline (the status line), and killed mid-update ----------

/// A status line whose run is cut short every time (`--index-budget 0`, steps of 64 KB: the
/// least each run does) still converges: each run prints a line at once, says how far the
/// index got (`indexing N%`, never going back), shows the costs it has as lower bounds
/// (`$1.23+`), and once the index holds everything its line is the one a fully indexed run
/// prints, with the session's cost the summary's.
#[test]
fn a_status_line_cut_short_every_run_goes_on_where_it_stopped_and_ends_exact() {
    let data = temp_dir("statusline-steps");
    let projects = data.join("claude/projects");
    std::fs::create_dir_all(projects.join("-now")).unwrap();
    std::fs::create_dir_all(projects.join("-old")).unwrap();
    // A real 2.1 MB session, dated now (today's and in the active block), and a 1.3 MB
    // one of long ago.
    let (dated, session) = dated_now(YAEL);
    let path = projects.join("-now/session.jsonl");
    std::fs::write(&path, &dated).unwrap();
    std::fs::copy(
        fixture("AlexandreVassard__will-it-rain__claude.jsonl"),
        projects.join("-old/old.jsonl"),
    )
    .unwrap();
    // The session's cost by the session core, independently of the index.
    let summary: Value = serde_json::from_str(&common::aegon_stdout([
        "--summary".as_ref(),
        "--json".as_ref(),
        path.as_os_str(),
    ]))
    .unwrap();
    let cost = summary["totals"]["cost_usd"].as_f64().unwrap();
    assert!(cost > 1.0, "{cost}");
    let input = serde_json::json!({"session_id": session, "transcript_path": path});
    let line = |data: &Path, budget: &str| {
        statusline_with(
            data,
            &[
                "--index-budget",
                budget,
                "--format",
                "{session_cost}|{today_cost}|{block_cost}|{indexing}",
            ],
            |c| {
                c.env("CLAUDE_CONFIG_DIR", data.join("claude"))
                    .env("AEGON_INDEX_STEP_BYTES", "65536");
            },
            &input,
        )
    };
    let mut last_percent = 0;
    let mut runs = 0;
    let done = loop {
        runs += 1;
        assert!(runs < 200, "no end after {runs} runs");
        let l = line(&data, "0");
        let parts: Vec<&str> = l.split('|').collect();
        assert_eq!(parts.len(), 4, "{l}");
        if parts[3] == "-" {
            break l;
        }
        let percent: u32 = parts[3]
            .strip_prefix("indexing ")
            .and_then(|p| p.strip_suffix('%'))
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("{l}"));
        assert!(
            percent >= last_percent && percent < 100,
            "{l} after {last_percent}%"
        );
        last_percent = percent;
        // What the index holds so far: lower bounds, said so.
        assert!(
            parts[1].ends_with("+ today") && parts[2].ends_with("+ block"),
            "{l}"
        );
        if parts[0] != "-" {
            let c: f64 = parts[0]
                .trim_start_matches('$')
                .split(['+', ' '])
                .next()
                .unwrap()
                .parse()
                .unwrap();
            assert!(c <= cost + 0.005, "{l}");
        }
    };
    // 3.4 MB at about 256 KB a run (a step of the session's file, one of the newest file
    // left): many runs.
    assert!(runs > 5, "{runs} runs");
    let want = format!("${cost:.2} session|${cost:.2} today|${cost:.2} block|-");
    assert_eq!(done, want);
    // The same as a run over an index built whole first (aegon usage has no deadline).
    let whole = data.join("whole");
    std::fs::create_dir_all(&whole).unwrap();
    std::fs::rename(data.join("claude"), whole.join("claude")).unwrap();
    let p = whole.join("claude/projects");
    let out = aegon(&whole, &["usage", "daily", "--json", p.to_str().unwrap()])
        .env("AEGON_INDEX_STEP_BYTES", "65536")
        .output()
        .unwrap();
    assert!(out.status.success());
    let input = serde_json::json!({"session_id": session,
        "transcript_path": whole.join("claude/projects/-now/session.jsonl")});
    assert_eq!(
        statusline_line(
            &whole,
            "{session_cost}|{today_cost}|{block_cost}|{indexing}",
            &input
        ),
        want
    );
}

/// A real 2.1 MB session whose lines are 61,902 bytes long at most.
const YAEL: &str = "Yael-Peretz__jgive-campaign-donation__transcript.jsonl";

/// The corpus fixture `name` with every timestamp set to now (today's, and in the active
/// block), and its session id.
fn dated_now(name: &str) -> (String, String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let mut session = String::new();
    let mut dated = String::new();
    for line in text.lines() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        if v.get("timestamp").is_some() {
            v["timestamp"] = Value::String(rfc3339_utc(now));
        }
        if let Some(id) = v["sessionId"].as_str() {
            session = id.to_owned();
        }
        dated.push_str(&v.to_string());
        dated.push('\n');
    }
    (dated, session)
}

/// A status line given no time for indexing (`--index-budget 0`, the default 8 MiB step:
/// only the deadline cuts) still answers every run, with lower bounds, and reads little past
/// its deadline: the first line alone and then at most a 64 KiB piece (to its last line end)
/// per update, two updates a run (the session's file, then the scan that finds it again), so
/// at most 2 × (64 KiB + a 61,902-byte line) = 12% of the file a run. It read two 256 KiB
/// chunks of a fresh file before looking at the deadline, and one more in the scan: 35%
/// of this file in the first run. Runs go on to the exact figures.
#[test]
fn a_status_line_with_no_time_reads_a_small_piece_a_run_and_ends_exact() {
    let data = temp_dir("statusline-budget");
    let dir = data.join("claude/projects/-now");
    std::fs::create_dir_all(&dir).unwrap();
    let (dated, session) = dated_now(YAEL);
    let path = dir.join("session.jsonl");
    std::fs::write(&path, &dated).unwrap();
    let size = dated.len() as f64;
    let most = 2.0 * (65_536.0 + 61_902.0) / size * 100.0;
    assert!(most < 12.0, "{most}");
    let summary: Value = serde_json::from_str(&common::aegon_stdout([
        "--summary".as_ref(),
        "--json".as_ref(),
        path.as_os_str(),
    ]))
    .unwrap();
    let cost = summary["totals"]["cost_usd"].as_f64().unwrap();
    let input = serde_json::json!({"session_id": session, "transcript_path": path});
    let (mut last, mut runs) = (0.0, 0);
    let done = loop {
        runs += 1;
        assert!(runs < 100, "no end after {runs} runs");
        let l = statusline_with(
            &data,
            &[
                "--index-budget",
                "0",
                "--format",
                "{session_cost}|{today_cost}|{indexing}",
            ],
            |c| {
                c.env("CLAUDE_CONFIG_DIR", data.join("claude"));
            },
            &input,
        );
        let parts: Vec<&str> = l.split('|').collect();
        assert_eq!(parts.len(), 3, "{l}");
        if parts[2] == "-" {
            break l;
        }
        let percent: f64 = parts[2]
            .strip_prefix("indexing ")
            .and_then(|p| p.strip_suffix('%'))
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("{l}"));
        // Floored percentages: one more point of slack.
        assert!(
            percent >= last && percent - last <= most + 1.0,
            "{l} after {last}% (at most {most:.1} points a run)"
        );
        last = percent;
        assert!(
            parts[0].ends_with("+ session") && parts[1].ends_with("+ today"),
            "{l}"
        );
    };
    // At most 12% a run: at least 9 runs.
    assert!(runs >= 9, "{runs} runs");
    assert_eq!(done, format!("${cost:.2} session|${cost:.2} today|-"));
}

/// A session file ending in a line that has no newline and is no whole record, read by the
/// index (tester14 #2): a line still being written, or one a crash cut off for ever. `aegon
/// usage` and `--no-index` await it (no note, nothing of it counted); the status line from
/// the index says the same: not "indexing 95%" on every run with every cost a lower bound
/// ($N+), but the figure `--no-index` gives. An end of NULs a crash left is no line being
/// written but a lost line, as `--summary` and the README's "Crash padding" say: every view
/// says it (exit 1, "$N+"), and the index is complete all the same.
#[test]
fn a_cut_last_line_is_awaited_by_the_status_line_not_indexed_for_ever() {
    let text = std::fs::read(fixture(YAEL)).unwrap();
    // Inside a line, about half-way; and the whole file with 20,000 NULs after it.
    let mut cut = text.len() / 2;
    while text[cut - 1] == b'\n' {
        cut += 1;
    }
    let mut padded = text.clone();
    padded.extend(std::iter::repeat_n(0u8, 20_000));
    for (name, bytes) in [("cut", &text[..cut]), ("nul", &padded[..])] {
        let data = temp_dir(&format!("awaited-{name}"));
        let dir = data.join("claude/projects/-p");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a263b894-c8c2-44af-8845-663362b5a201.jsonl");
        std::fs::write(&path, bytes).unwrap();
        let input = serde_json::json!({"transcript_path": path});
        let line = |extra: &[&str]| {
            let mut args = vec!["--format", "{session_cost}|{indexing}"];
            args.extend_from_slice(extra);
            statusline_with(
                &data,
                &args,
                |c| {
                    c.env("CLAUDE_CONFIG_DIR", data.join("claude"));
                },
                &input,
            )
        };
        // Time enough to read it whole, on a loaded machine too.
        let fresh = line(&["--no-index", "--index-budget", "60000"]);
        let lost = name == "nul";
        assert_eq!(fresh.contains('+'), lost, "{name}: {fresh}");
        let out = aegon(&data, &["usage", "--json", dir.to_str().unwrap()])
            .env("CLAUDE_CONFIG_DIR", data.join("claude"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(i32::from(lost)), "{name}");
        for run in 0..2 {
            assert_eq!(
                line(&["--index-budget", "60000"]),
                format!("{}|-", fresh.trim_end_matches("|-")),
                "{name}, run {run}"
            );
        }
    }
}

/// A Codex rollout or a Gemini chat read while its agent writes its end (tester15 #10): the
/// last line (or the document) cut off is awaited, as a Claude Code transcript's is: exit 0,
/// no "could not be read" note, with the index and without it; and once the file is gone
/// before its end came, nothing about it is said for ever (before: exit 1 at every step,
/// and after the removal on every run).
#[test]
fn an_unfinished_end_of_any_agents_file_is_awaited() {
    let data = temp_dir("unfinished-ends");
    let codex = data.join("codex");
    let rollout_dir = codex.join("sessions/2026/04/19");
    std::fs::create_dir_all(&rollout_dir).unwrap();
    let name = "rollout-2026-04-19T22-04-58-019da910-1d2d-7883-b552-6e3adf8a4ed9.jsonl";
    let whole = std::fs::read(root().join("fixtures/agents/codex").join(format!(
        "LAF-US__IDAHO-VAULT__.codex__sessions__2026__04__19__{name}"
    )))
    .unwrap();
    // The first 100,000 bytes, past its first responses: the last line cut (tester15's
    // repro 36 cut at 60,000).
    assert_ne!(whole[99_999], b'\n');
    let rollout = rollout_dir.join(name);
    std::fs::write(&rollout, &whole[..100_000]).unwrap();
    let chats = data.join("gemini/tmp/abc/chats");
    std::fs::create_dir_all(&chats).unwrap();
    let chat = std::fs::read(root().join("fixtures/agents/gemini").join(
        "LAF-US__IDAHO-VAULT__.gemini__tmp__f528f00f72f21423df709bb5104dfe181c28474fac473cf1028c3bfd64be534a__chats__session-2026-03-29T16-05-213a691a.json",
    ))
    .unwrap();
    std::fs::write(
        chats.join("session-2026-03-29T16-05-213a691a.json"),
        &chat[..30_000],
    )
    .unwrap();
    let usage = |index: &str, path: &Path, extra: &[&str]| {
        let mut args = vec!["usage", "--json"];
        args.extend_from_slice(extra);
        args.push(path.to_str().unwrap());
        let out = aegon(&data.join(index), &args)
            .env("CODEX_HOME", &codex)
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), doc["notes"].clone(), calls(&doc))
    };
    for (what, path) in [
        ("codex", codex.join("sessions")),
        ("gemini", data.join("gemini")),
    ] {
        for extra in [&[][..], &["--no-index"][..]] {
            let (code, notes, n) = usage(what, &path, extra);
            assert_eq!(
                (code, notes),
                (Some(0), Value::Array(Vec::new())),
                "{what} {extra:?}"
            );
            assert!(
                n > 0,
                "{what} {extra:?}: the responses before the cut are counted"
            );
        }
    }
    // The rollout removed before its line was finished: later runs say nothing of it.
    std::fs::remove_file(&rollout).unwrap();
    let (code, notes, _) = usage("codex", &codex.join("sessions"), &[]);
    assert!(!notes.to_string().contains("could not be read"), "{notes}");
    assert_eq!(code, Some(0), "{notes}");
}

/// A resumed session's status line while the index is being built (tester14 #5): its
/// transcript starts with lines copied from the session it resumed (same responses, its own
/// session id), which count where they first occurred, in the earlier session's file. Until
/// that file is indexed, the copies must not count as the resumed session's own: every run's
/// figure is the right one or a lower bound marked `+` (before: the copies counted, $N above
/// the right figure, shown without `+` once the session's own file was done). A block not
/// found yet while indexing is `$0.00+`, never `-`.
#[test]
fn a_resumed_session_while_indexing_never_counts_the_lines_it_copied() {
    let data = temp_dir("statusline-resumed");
    let dir = data.join("claude/projects/-p");
    std::fs::create_dir_all(&dir).unwrap();
    // The earlier session: a real 2.1 MB one, of long ago.
    let earlier = std::fs::read_to_string(fixture(YAEL)).unwrap();
    std::fs::write(dir.join("earlier.jsonl"), &earlier).unwrap();
    // The resumed one: the earlier one's first 400 lines under its id, then its own work
    // (another real session, dated now).
    let id = "cccccccc-0000-4000-8000-000000000001";
    let with_id = |line: &str| {
        let mut v: Value = serde_json::from_str(line).unwrap();
        if v.get("sessionId").is_some() {
            v["sessionId"] = Value::String(id.to_owned());
        }
        v.to_string() + "\n"
    };
    let copied: String = earlier.lines().take(400).map(with_id).collect();
    let (own, _) = dated_now("AlexandreVassard__will-it-rain__claude.jsonl");
    let own: String = own.lines().map(with_id).collect();
    let alone = data.join("own.jsonl");
    std::fs::write(&alone, &own).unwrap();
    let summary: Value = serde_json::from_str(&common::aegon_stdout([
        "--summary".as_ref(),
        "--json".as_ref(),
        alone.as_os_str(),
    ]))
    .unwrap();
    // Its own work alone: the right figure.
    let right = summary["totals"]["cost_usd"].as_f64().unwrap();
    let path = dir.join(format!("{id}.jsonl"));
    std::fs::write(&path, copied + &own).unwrap();
    let input = serde_json::json!({"session_id": id, "transcript_path": path});
    let (mut runs, mut wrong) = (0, Vec::new());
    let done = loop {
        runs += 1;
        assert!(runs < 200, "no end after {runs} runs");
        let l = statusline_with(
            &data,
            &[
                "--index-budget",
                "0",
                "--format",
                "{session_cost}|{block_cost}|{indexing}",
            ],
            |c| {
                c.env("CLAUDE_CONFIG_DIR", data.join("claude"))
                    .env("AEGON_INDEX_STEP_BYTES", "65536");
            },
            &input,
        );
        let parts: Vec<&str> = l.split('|').collect();
        assert_eq!(parts.len(), 3, "{l}");
        if parts[2] == "-" {
            break l;
        }
        if !parts[1].ends_with("+ block") {
            wrong.push(format!("run {runs}: {l}: the block"));
        }
        if parts[0] != "-" {
            let c: f64 = parts[0]
                .trim_start_matches('$')
                .split(['+', ' '])
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let exact = format!("${right:.2} session");
            if !(parts[0] == exact || (c <= right + 0.005 && parts[0].ends_with("+ session"))) {
                wrong.push(format!(
                    "run {runs}: {l}: the session's right figure is {exact}"
                ));
            }
        }
    };
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(runs > 5, "{runs} runs");
    assert_eq!(done, format!("${right:.2} session|${right:.2} block|-"));
}

/// `aegon usage` killed (SIGKILL) again and again while it indexes a big file in steps:
/// each kill leaves the index consistent and keeps the steps committed before it (what is
/// left never grows), and the run that finishes reports exactly a fresh read's totals.
#[test]
fn a_usage_killed_mid_update_keeps_its_steps_and_the_next_run_ends_exact() {
    let data = temp_dir("killed-steps");
    let projects = data.join("claude/projects/-big");
    std::fs::create_dir_all(&projects).unwrap();
    // 8 copies of a real 2.1 MB session, each with its own ids (17 MB, one file).
    let text = std::fs::read_to_string(fixture(
        "Yael-Peretz__jgive-campaign-donation__transcript.jsonl",
    ))
    .unwrap();
    let mut big = String::new();
    for i in 0..8 {
        big.push_str(
            &text
                .replace("\"uuid\":\"", &format!("\"uuid\":\"c{i}-"))
                .replace("\"id\":\"msg_", &format!("\"id\":\"msg_c{i}"))
                .replace("\"requestId\":\"req_", &format!("\"requestId\":\"req_c{i}")),
        );
    }
    let file = projects.join("big.jsonl");
    std::fs::write(&file, &big).unwrap();
    let p = data.join("claude/projects");
    let p = p.to_str().unwrap();
    let fresh = totals(&run_json(
        &data,
        &["usage", "daily", "--json", "--no-index", p],
    ));
    assert!(fresh[1] > 0, "{fresh:?}");
    let size = big.len() as u64;
    let mut left_before = size;
    let mut partial_kills = 0;
    for delay_ms in [100u64, 200, 300, 400, 600, 800, 1000, 1500, 2000] {
        let mut child = aegon(&data, &["usage", "daily", "--json", p])
            .env("AEGON_INDEX_STEP_BYTES", "262144")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let ledger =
            aegon::ledger::Ledger::open(&data.join("usage.sqlite3"), &mut |n| panic!("{n}"))
                .unwrap();
        let left = ledger
            .pending_bytes(&file)
            .unwrap()
            .map_or(0, |(left, _)| left);
        assert!(left <= left_before, "{left} after {left_before}");
        if left > 0 && left < size {
            partial_kills += 1;
        }
        left_before = left;
    }
    assert!(partial_kills > 0, "no kill came mid-file");
    let indexed = run_json(&data, &["usage", "daily", "--json", p]);
    assert_eq!(totals(&indexed), fresh);
}

/// API calls in `files` counted independently (FORMAT.md §6): assistant lines with a usage,
/// not synthetic, one per message id + request id.
fn independent_calls(files: &[PathBuf]) -> usize {
    let mut seen = std::collections::HashSet::new();
    for f in files {
        for line in std::fs::read_to_string(f).unwrap().lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let m = &v["message"];
            if v["type"] == "assistant" && m["usage"].is_object() && m["model"] != "<synthetic>" {
                seen.insert((m["id"].to_string(), v["requestId"].to_string()));
            }
        }
    }
    seen.len()
}

#[test]
fn a_session_file_named_brings_its_subagents_as_in_the_filter() {
    let SessionWithSubagents {
        data,
        project,
        main,
        subagents,
        ..
    } = session_with_subagents("session-subagents", "subagents");
    let mut all = vec![main.clone()];
    all.extend(subagents);
    let want = independent_calls(&all) as u64;
    assert!(
        want > independent_calls(&all[..1]) as u64,
        "the subagents must add calls for this test to mean anything"
    );
    let main = main.to_str().unwrap();
    let project = project.to_str().unwrap();
    let folder = run_json(&data, &["usage", "daily", "--json", project]);
    assert_eq!(calls(&folder), want);
    for args in [
        vec!["usage", "daily", "--json", main],
        vec!["usage", "daily", "--json", main],
        vec!["usage", "daily", "--json", "--no-index", main],
        vec!["usage", "sessions", "--json", main],
        // Named with the folder too: each file still counts once.
        vec!["usage", "daily", "--json", main, project],
    ] {
        let doc = run_json(&data, &args);
        assert_eq!(
            (calls(&doc), totals(&doc), &doc["totals"]["totalCost"]),
            (want, totals(&folder), &folder["totals"]["totalCost"]),
            "{args:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_gone_session_files_subagents_are_read_and_said_as_in_the_summary() {
    // The session file deleted (by Claude Code, or a stale path) while SESSION/subagents/ is
    // still there: `aegon usage` reads the subagents as `--summary` does, and both say the
    // file is missing and what was read in its place. The same real session as above.
    let SessionWithSubagents {
        data,
        agents,
        main,
        subagents,
        ..
    } = session_with_subagents("gone-session-subagents", "subagents");
    let mut all = vec![main.clone()];
    all.extend(subagents.iter().cloned());
    let whole = independent_calls(&all) as u64;
    let left = independent_calls(&subagents) as u64;
    assert!(left > 0 && whole > left, "{left} of {whole}");
    let main_arg = main.to_str().unwrap();
    // Indexed while the file was there.
    let before = run_json(&data, &["usage", "daily", "--json", main_arg]);
    assert_eq!(calls(&before), whole);
    std::fs::remove_file(&main).unwrap();
    let said = format!(
        "{main_arg}: No such file or directory (os error 2); its subagents in {} are read \
         without it",
        agents.display()
    );

    // The index holds the file's history: it is reported with the subagents read from disk,
    // the whole session as before (exit 0, a note says the file is gone).
    let out = aegon(&data, &["usage", "daily", "--json", main_arg])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("no longer on disk"), "{err}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(calls(&doc), whole, "{err}");
    assert_eq!(totals(&doc), totals(&before));

    // Read afresh, or with an index that never saw the file: what is left, the subagents,
    // and the error said (exit 2), as `--summary` and the filter read and say it.
    let fresh_index = data.join("other-index");
    std::fs::create_dir_all(&fresh_index).unwrap();
    for (index, extra) in [(&*data, Some("--no-index")), (&*fresh_index, None)] {
        let mut args = vec!["usage", "daily", "--json"];
        args.extend(extra);
        args.push(main_arg);
        let out = aegon(index, &args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(&said), "{args:?}: {err}");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(calls(&doc), left, "{args:?}: {err}");
    }
    let usage_left = run_json_any(&data, &["usage", "daily", "--json", "--no-index", main_arg]);
    for args in [&["--summary", "--json"][..], &["--ndjson"][..]] {
        let mut c = aegon(&data, args);
        let out = c.arg(&main).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(&said), "{args:?}: {err}");
        // Said once, not again by the reader.
        assert_eq!(err.matches(main_arg).count(), 1, "{args:?}: {err}");
        assert!(!out.stdout.is_empty(), "{args:?}");
        if args[0] == "--summary" {
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            let t = &doc["totals"]["tokens"];
            assert_eq!(
                [
                    num(&t["input"]),
                    num(&t["output"]),
                    num(&t["cache_read"]),
                    num(&t["cache_write_5m"]),
                    num(&t["cache_write_1h"]),
                ],
                totals(&usage_left),
                "{doc}"
            );
        }
    }
}

/// `aegon ARGS` with its index in `data`; stdout parsed as JSON, whatever the exit status.
fn run_json_any(data: &Path, args: &[&str]) -> Value {
    serde_json::from_slice(&aegon(data, args).output().unwrap().stdout).unwrap()
}

/// One assistant line with usage in session `session` (generated).
fn session_response(session: &str, id: &str, ts: &str) -> String {
    format!(
        r#"{{"type":"assistant","sessionId":"{session}","cwd":"/p","timestamp":"{ts}","requestId":"r{id}","uuid":"u{id}","message":{{"id":"m{id}","model":"claude-sonnet-4-5","role":"assistant","content":[],"usage":{{"input_tokens":1,"output_tokens":10,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}}}}}}"#
    ) + "\n"
}

#[test]
fn sessions_are_kept_or_dropped_whole_by_their_last_activity() {
    // ccusage's session report (shared/usage-over-time.md §4.1): --since / --until apply to
    // a session's last activity, local date in the zone, inclusive; a session is never cut.
    // Generated: session "night" 2026-11-27T22:00Z → 2026-11-28T02:30Z, 10 responses every
    // 30 min (6 of them on the 28th in UTC); session "day" 2026-11-27T10:00Z and 11:00Z.
    let data = temp_dir("sessions-since");
    let dir = data.join("-p");
    std::fs::create_dir_all(&dir).unwrap();
    let t0 = 1_795_816_800_000i64; // 2026-11-27T22:00:00Z
    let mut night = String::new();
    for i in 0..10 {
        let ts = aegon_ts(t0 + i * 1_800_000);
        night += &session_response("night", &format!("n{i}"), &ts);
    }
    std::fs::write(dir.join("night.jsonl"), night).unwrap();
    let day = session_response("day", "d0", "2026-11-27T10:00:00.000Z")
        + &session_response("day", "d1", "2026-11-27T11:00:00.000Z");
    std::fs::write(dir.join("day.jsonl"), day).unwrap();
    let d = dir.to_str().unwrap();
    let rows = |extra: &[&str]| -> Vec<(String, u64, String)> {
        let mut args = vec!["usage", "sessions", "--json", d];
        args.extend(extra);
        let doc = run_json(&data, &args);
        doc["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["sessionId"].as_str().unwrap().to_owned(),
                    num(&r["apiCalls"]),
                    r["firstActivity"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    let ids = |extra: &[&str]| -> Vec<(String, u64)> {
        rows(extra).into_iter().map(|(s, n, _)| (s, n)).collect()
    };
    let both = [("day".to_owned(), 2), ("night".to_owned(), 10)];
    assert_eq!(ids(&["--tz", "UTC"]), both);
    // UTC: night's last activity is on the 28th, day's on the 27th.
    let since = rows(&["--tz", "UTC", "--since", "2026-11-28"]);
    assert_eq!(since.len(), 1);
    assert_eq!((since[0].0.as_str(), since[0].1), ("night", 10));
    // Written with its milliseconds always (tester14 #7: `…:00Z` beside a block's `…:00.000Z`
    // did not sort as a time nor join with the blocks report).
    assert_eq!(since[0].2, "2026-11-27T22:00:00.000Z", "{since:?}");
    assert_eq!(
        ids(&["--tz", "UTC", "--until", "2026-11-27"]),
        [("day".to_owned(), 2)]
    );
    assert_eq!(
        ids(&["--tz", "UTC", "--since", "20261127", "--until", "20261127"]),
        [("day".to_owned(), 2)]
    );
    // Los Angeles (UTC-8 in November): night ends 2026-11-27 18:30 local.
    let la = ["--tz", "America/Los_Angeles"];
    assert_eq!(ids(&[&la[..], &["--until", "2026-11-27"]].concat()), both);
    assert!(ids(&[&la[..], &["--since", "2026-11-28"]].concat()).is_empty());
    // Kiritimati (UTC+14): day ends 2026-11-28 01:00 local, night 2026-11-28 16:30.
    let ki = ["--tz", "Pacific/Kiritimati"];
    assert_eq!(ids(&[&ki[..], &["--since", "2026-11-28"]].concat()), both);
    assert!(ids(&[&ki[..], &["--until", "2026-11-27"]].concat()).is_empty());
    // The other reports still count the responses in the span: 6 on the 28th in UTC.
    let doc = run_json(
        &data,
        &[
            "usage",
            "daily",
            "--json",
            "--tz",
            "UTC",
            "--since",
            "2026-11-28",
            d,
        ],
    );
    assert_eq!(calls(&doc), 6);
    let doc = run_json(
        &data,
        &[
            "usage",
            "projects",
            "--json",
            "--tz",
            "UTC",
            "--until",
            "2026-11-27",
            d,
        ],
    );
    assert_eq!(calls(&doc), 2 + 4);
    let _ = std::fs::remove_dir_all(&data);
}

/// `ms` since the epoch as a transcript writes it: `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC).
fn aegon_ts(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    format!(
        "{}T{:02}:{:02}:{:02}.{:03}Z",
        civil_from_days(days),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms.rem_euclid(1000)
    )
}

/// One assistant line of a real transcript (fixtures/bugs/06-fast-mode-speed.jsonl, line 2;
/// Claude Code 2.1.100) made into response `n` of `session` at `secs` since the epoch, of
/// claude-sonnet-4-5 at standard speed with these token counts (cache writes 5-minute).
fn real_response(session: &str, n: usize, secs: i64, tokens: [u64; 4], sidechain: bool) -> String {
    let text =
        std::fs::read_to_string(root().join("fixtures/bugs/06-fast-mode-speed.jsonl")).unwrap();
    let mut v: Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    let [input, output, cache_read, cache_write] = tokens;
    v["sessionId"] = Value::from(session);
    v["isSidechain"] = Value::from(sidechain);
    // Each line its own uuid, request and message id (the subagent's apart from the main's).
    let n = n + if sidechain { 10_000_000 } else { 0 };
    v["uuid"] = Value::from(format!("{}-{n:08}", &session[..27]));
    v["requestId"] = Value::from(format!("req_{}_{n}", &session[24..]));
    v["timestamp"] = Value::from(rfc3339_utc(secs));
    let m = &mut v["message"];
    m["model"] = Value::from("claude-sonnet-4-5-20250929");
    m["id"] = Value::from(format!("msg_{}_{n}", &session[24..]));
    m["usage"] = serde_json::json!({
        "input_tokens": input, "output_tokens": output, "cache_read_input_tokens": cache_read,
        "cache_creation_input_tokens": cache_write,
        "cache_creation": {"ephemeral_5m_input_tokens": cache_write, "ephemeral_1h_input_tokens": 0},
        "service_tier": "standard"});
    v.to_string() + "\n"
}

/// claude-sonnet-4-5's price of one request, in dollars, from Anthropic's published rates
/// (fixtures/bugs/README.md, 10): $3 in, $15 out, cache reads 0.1×, 5-minute writes 1.25×;
/// a request above 200K input tokens (uncached + cache) whole at $6 and $22.50, scaled alike.
fn sonnet45_cost([input, output, cache_read, cache_write]: [u64; 4]) -> f64 {
    let (i, o) = if input + cache_read + cache_write > 200_000 {
        (6.0, 22.5)
    } else {
        (3.0, 15.0)
    };
    (input as f64 * i
        + output as f64 * o
        + cache_read as f64 * i * 0.1
        + cache_write as f64 * i * 1.25)
        / 1e6
}

/// A long session (3,000 responses of a real line, and 200 of a subagent) and one whose
/// responses straddle the long-context threshold: the status line's session cost, cold (the
/// index filled by the run), warm (from the index's per-session sums) and without the index
/// (from the transcript and its subagents), equals `--summary SESSION.jsonl`'s and an
/// independent sum to the cent.
#[test]
fn a_long_session_costs_the_same_warm_cold_without_the_index_and_in_the_summary() {
    let data = temp_dir("statusline-long");
    let dir = data.join("p");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut cases = Vec::new();
    for (session, n, straddle) in [
        ("11111111-2222-4333-8444-5555555555d1", 3000usize, false),
        ("11111111-2222-4333-8444-5555555555d2", 400, true),
    ] {
        let path = dir.join(format!("{session}.jsonl"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut text = String::new();
        let mut want = 0.0;
        for i in 0..n {
            let cache_read = if straddle && i % 50 == 0 {
                250_000
            } else {
                1000 * (i as u64 % 7)
            };
            let tokens = [100 + i as u64 % 50, 20 + i as u64 % 13, cache_read, 10];
            want += sonnet45_cost(tokens);
            text.push_str(&real_response(
                session,
                i,
                now - (n - i) as i64,
                tokens,
                false,
            ));
        }
        std::fs::write(&path, text).unwrap();
        if !straddle {
            // A subagent's transcript, in Claude Code 2.1's layout: part of the session.
            let sub = dir.join(session).join("subagents");
            std::fs::create_dir_all(&sub).unwrap();
            let mut text = String::new();
            for i in 0..200 {
                let tokens = [300, 40 + i as u64 % 3, 2000, 0];
                want += sonnet45_cost(tokens);
                text.push_str(&real_response(session, i, now - 100, tokens, true));
            }
            std::fs::write(sub.join("agent-a1.jsonl"), text).unwrap();
        }
        cases.push((session, path, want));
    }
    for (session, path, want) in &cases {
        let summary = run_json(&data, &["--summary", "--json", path.to_str().unwrap()]);
        let summary = summary["totals"]["priced_cost_usd"].as_f64().unwrap();
        // The summary's JSON gives a tenth of a cent.
        assert!(
            (summary - want).abs() <= 0.0005,
            "{session}: {summary} {want}"
        );
        let input = serde_json::json!({"session_id": session, "transcript_path": path});
        let expected = format!("${want:.2} session");
        let run = |extra: &[&str]| {
            let mut args = vec!["--format", "{session_cost}", "--index-budget", "60000"];
            args.extend_from_slice(extra);
            statusline_with(&data, &args, |_| {}, &input)
        };
        assert_eq!(run(&[]), expected, "{session}: cold");
        assert_eq!(run(&[]), expected, "{session}: warm");
        assert_eq!(
            run(&["--no-index"]),
            expected,
            "{session}: without the index"
        );
    }
    let _ = std::fs::remove_dir_all(&data);
}

/// Another process holding the index's write lock (a `sqlite3` shell, a backup) costs the
/// status line at most its short busy wait, not SQLite's 10 s: the line comes with the
/// session's cost read from its transcript (what the index has not seen included).
#[test]
fn a_locked_index_does_not_hold_the_status_line_up() {
    let data = temp_dir("statusline-locked");
    let session = "11111111-2222-4333-8444-5555555555d3";
    let path = data.join(format!("{session}.jsonl"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let tokens = |i: usize| [1000 + i as u64, 200, 5000, 100];
    let mut text = String::new();
    for i in 0..20 {
        text.push_str(&real_response(session, i, now - 60, tokens(i), false));
    }
    std::fs::write(&path, &text).unwrap();
    let input = serde_json::json!({"session_id": session, "transcript_path": path,
                                   "model": {"display_name": "Sonnet"}});
    let format = ["--format", "{model} {session_cost}"];
    let want = |n: usize| {
        format!(
            "Sonnet ${:.2} session",
            (0..n).map(|i| sonnet45_cost(tokens(i))).sum::<f64>()
        )
    };
    assert_eq!(statusline_with(&data, &format, |_| {}, &input), want(20));
    common::append(
        &path,
        &real_response(session, 20, now - 1, tokens(20), false),
    );
    let lock = rusqlite::Connection::open(data.join("usage.sqlite3")).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE; INSERT INTO meta VALUES ('lock', 'x');")
        .unwrap();
    let start = std::time::Instant::now();
    let line = statusline_with(&data, &format, |_| {}, &input);
    let took = start.elapsed();
    assert_eq!(line, want(21));
    // SQLite's own wait is 10 s; the status line's 50 ms (a debug build on a loaded machine
    // takes a while to start).
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    lock.execute_batch("ROLLBACK").unwrap();
    drop(lock);
    assert_eq!(statusline_with(&data, &format, |_| {}, &input), want(21));
    let _ = std::fs::remove_dir_all(&data);
}

/// The names in `dir` of indexes set aside (`*.unusable-*`).
fn set_aside_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".unusable-"))
        .collect()
}

#[test]
fn an_index_of_a_newer_aegon_is_read_or_refused_and_never_moved_aside() {
    // Several builds use one index (an installed status line, a newer aegon in a shell): an
    // older one never moves aside nor rewrites a newer one's index, which may be the only
    // copy of deleted transcripts' history.
    use aegon::ledger::schema::VERSION;
    let data = temp_dir("newer-index");
    let projects = tree(&data);
    let p = projects.to_str().unwrap();
    let src = std::fs::read(fixture("AlexandreVassard__will-it-rain__claude.jsonl")).unwrap();
    let grown = projects.join("-p0/grown.jsonl");
    std::fs::write(&grown, &src[..src.len() / 3]).unwrap();
    run_json(&data, &["usage", "daily", "--json", p]);
    // A transcript with usage deleted: its history is in the index alone.
    let (victim, gone) = fixtures()
        .iter()
        .skip(1)
        .step_by(2)
        .map(|f| {
            let victim = projects.join("-p1").join(f.file_name().unwrap());
            let path = victim.to_str().unwrap().to_owned();
            let alone = run_json(&data, &["usage", "daily", "--json", "--no-index", &path]);
            (victim, alone)
        })
        .find(|(_, alone)| num(&alone["totals"]["totalTokens"]) > 0)
        .unwrap();
    std::fs::remove_file(&victim).unwrap();
    let before = run_json(&data, &["usage", "daily", "--json", p]);
    // The newer aegon's turn: schema VERSION + 1, with its record saying which older builds
    // may read it (`read`) and write it (none).
    let index = data.join("usage.sqlite3");
    let newer = |read: i32| {
        let c = rusqlite::Connection::open(&index).unwrap();
        c.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS future (x);
             INSERT OR REPLACE INTO meta VALUES ('read_compat', '{read}'), \
             ('write_compat', '{}');
             PRAGMA user_version = {};",
            VERSION + 1,
            VERSION + 1
        ))
        .unwrap();
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    };
    newer(VERSION);
    std::fs::write(&grown, &src).unwrap(); // lines this build may not index now
    let bytes = std::fs::read(&index).unwrap();
    let out = aegon(&data, &["usage", "daily", "--json", p])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "lines not indexed: partial");
    for part in [
        "newer aegon",
        &format!("schema {}", VERSION + 1),
        &format!("schema {VERSION}"),
        "reading it without updating it",
        "1 transcript has lines not in it, missing from this report",
    ] {
        assert!(stderr.contains(part), "{part:?} in {stderr}");
    }
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        totals(&doc),
        totals(&before),
        "every row it holds, no other"
    );
    assert!(doc["notes"].to_string().contains("newer aegon"), "{doc}");
    assert!(
        std::fs::read(&index).unwrap() == bytes,
        "left byte for byte"
    );
    let session = String::from_utf8_lossy(&src)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|v| v["sessionId"].as_str().map(str::to_owned))
        .unwrap();
    let input = serde_json::json!({"session_id": session, "transcript_path": grown});
    // The status line cannot bring this index up to date: not "indexing 0%" for ever with a
    // lower bound, but the session's cost from its transcript, as --no-index gives it, and
    // the index said read-only (tester15 #9).
    let line = |extra: &[&str]| {
        let mut args = vec![
            "--index-budget",
            "60000",
            "--format",
            "{session_cost}|{indexing}",
        ];
        args.extend_from_slice(extra);
        statusline_with(&data, &args, |_| {}, &input)
    };
    let fresh = line(&["--no-index"]);
    assert!(
        fresh.starts_with('$') && fresh.ends_with(" session|-"),
        "{fresh}"
    );
    assert_eq!(
        line(&[]),
        fresh.replace("|-", "|index read-only"),
        "the session's cost from its transcript"
    );
    assert!(
        std::fs::read(&index).unwrap() == bytes,
        "left byte for byte"
    );
    // A newer aegon's index this build cannot read: refused, named, left as it is; the report
    // is a fresh read, lacking the deleted transcript's history (exit status 2).
    newer(VERSION + 1);
    let bytes = std::fs::read(&index).unwrap();
    let out = aegon(&data, &["usage", "daily", "--json", p])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for part in [
        &index.display().to_string(),
        "cannot use",
        "left as it is",
        "history deleted from disk is missing",
    ] {
        assert!(stderr.contains(part), "{part:?} in {stderr}");
    }
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fresh = run_json(&data, &["usage", "daily", "--json", "--no-index", p]);
    assert_eq!(totals(&doc), totals(&fresh));
    statusline_line(&data, "{session_cost}", &input);
    assert!(
        std::fs::read(&index).unwrap() == bytes,
        "left byte for byte"
    );
    assert_eq!(set_aside_in(&data), Vec::<String>::new());
    // This build's turn again (the version put back): nothing was lost, and what waited is
    // indexed.
    let c = rusqlite::Connection::open(&index).unwrap();
    c.pragma_update(None, "user_version", VERSION).unwrap();
    drop(c);
    let doc = run_json(&data, &["usage", "daily", "--json", p]);
    let whole: Vec<u64> = totals(&fresh)
        .iter()
        .zip(totals(&gone))
        .map(|(a, b)| a + b)
        .collect();
    assert_eq!(totals(&doc).to_vec(), whole);
    assert_eq!(set_aside_in(&data), Vec::<String>::new());
}

/// A transcript rewritten shorter after it was indexed counts what it holds now, as
/// `--no-index` counts it, and the run that reads it again says on stderr and in the JSON
/// notes what left the reports (tester5's finding 5: 8 calls became 5 with `notes: null`),
/// with exit status 0; the next run, or a file that only grew, says nothing.
#[test]
fn a_transcript_rewritten_shorter_says_what_left_the_reports() {
    let data = temp_dir("rewritten-shorter");
    let dir = data.join("t");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("session.jsonl");
    let text = std::fs::read_to_string(fixture("apanloco__random__session.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let first = |n: usize| -> String { lines[..n].iter().map(|l| format!("{l}\n")).collect() };
    let arg = file.to_str().unwrap();
    let report = |args: &[&str]| {
        let out = aegon(&data, args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        (doc, err)
    };
    let notes = |doc: &Value| -> Vec<String> {
        doc["notes"]
            .as_array()
            .map(|a| a.iter().map(|n| n.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    };
    // Indexed at 60 lines, then grown to all of them: nothing to say.
    std::fs::write(&file, first(60)).unwrap();
    report(&["usage", "--json", arg]);
    std::fs::write(&file, first(lines.len())).unwrap();
    let (whole, err) = report(&["usage", "--json", arg]);
    assert_eq!((notes(&whole), err.as_str()), (vec![], ""));
    // Cut to its first 30 lines in place.
    std::fs::write(&file, first(30)).unwrap();
    let (doc, err) = report(&["usage", "--json", arg]);
    let fresh = run_json(&data, &["usage", "--json", "--no-index", arg]);
    assert_eq!((totals(&doc), calls(&doc)), (totals(&fresh), calls(&fresh)));
    let left = calls(&whole) - calls(&doc);
    assert!(left > 0 && calls(&doc) > 0, "{whole} {doc}");
    let said = format!("{arg}: shorter than when it was indexed: {left} API calls ($");
    let notes_now = notes(&doc);
    assert_eq!(notes_now.len(), 1, "{doc}");
    assert!(notes_now[0].starts_with(&said), "{notes_now:?}");
    assert!(
        notes_now[0].ends_with(
            "it held before are no longer in it and left the reports (a file counts what it \
             holds now)"
        ),
        "{notes_now:?}"
    );
    assert!(err.contains(&notes_now[0]), "{err}");
    // Said once: the next run has nothing to say.
    let (doc, err) = report(&["usage", "--json", arg]);
    assert_eq!((notes(&doc), err.as_str()), (vec![], ""));
    // Cut again, and read again by the status line, which says nothing: the drop is
    // recorded, and said by the next `aegon usage` (ledger3's repro gave `notes: []`), once.
    std::fs::write(&file, first(15)).unwrap();
    let line = statusline_line(
        &data,
        "{cost}",
        &serde_json::json!({"transcript_path": arg}),
    );
    assert!(!line.contains("left the reports"), "{line}");
    // It was the status line that read it again (and recorded what left), not the report.
    let index = rusqlite::Connection::open(data.join("usage.sqlite3")).unwrap();
    let recorded: i64 = index
        .query_row("SELECT count(*) FROM dropped_responses", [], |r| r.get(0))
        .unwrap();
    drop(index);
    assert!(recorded > 0);
    let (after, err) = report(&["usage", "--json", arg]);
    let left = calls(&doc) - calls(&after);
    assert!(left > 0 && calls(&after) > 0, "{doc} {after}");
    let notes_now = notes(&after);
    assert_eq!(notes_now.len(), 1, "{after}");
    let said = format!("{arg}: shorter than when it was indexed: {left} API call");
    assert!(notes_now[0].starts_with(&said), "{notes_now:?}");
    assert!(err.contains(&notes_now[0]), "{err}");
    assert_eq!(recorded as u64, calls(&doc) - calls(&after));
    let (again, err) = report(&["usage", "--json", arg]);
    assert_eq!((notes(&again), err.as_str()), (vec![], ""));
    let _ = std::fs::remove_dir_all(&data);
}

/// tester6 §1, built as its repro builds it: a Codex CLI request (GPT-5.5, 200,000 input and
/// 10,000 output tokens: $1.00 + $0.30 = $1.30 at $5/$30 a million) 90 minutes ago and a
/// Claude Code request (Opus 4.6, 10,000 in and 100 out: $0.05 + $0.0025 = $0.0525 at $5/$25
/// a million) 30 minutes ago, in the default folders (CLAUDE_CONFIG_DIR, CODEX_HOME). They
/// made one block starting at the Codex request's hour, $1.3525, in `usage blocks` (with or
/// without `--agent claude-code`) and the status line. Each block is one agent's.
#[test]
fn a_block_is_one_agents_in_usage_blocks_and_the_status_line() {
    let data = temp_dir("blocks-agents");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (codex_at, claude_at) = (now - 5400, now - 1800);
    let hour = |secs: i64| rfc3339_utc(secs - secs.rem_euclid(3600));
    let claude_dir = data.join("claude");
    let project = claude_dir.join("projects/-home-u-p");
    std::fs::create_dir_all(&project).unwrap();
    let sid = "afafafaf-0000-4000-8000-000000000001";
    let ts = rfc3339_utc(claude_at);
    let claude = [
        serde_json::json!({"parentUuid": null, "isSidechain": false, "type": "user",
            "cwd": "/home/u/p", "sessionId": sid, "version": "2.1.100",
            "message": {"role": "user", "content": "go"},
            "uuid": "u-1", "timestamp": ts}),
        serde_json::json!({"parentUuid": "u-1", "isSidechain": false, "type": "assistant",
            "cwd": "/home/u/p", "sessionId": sid, "version": "2.1.100",
            "message": {"model": "claude-opus-4-6", "id": "msg_1", "type": "message",
                "role": "assistant", "content": [{"type": "text", "text": "ok"}],
                "usage": {"input_tokens": 10000, "output_tokens": 100,
                    "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}},
            "requestId": "req_1", "uuid": "a-1", "timestamp": ts}),
    ];
    let transcript = project.join(format!("{sid}.jsonl"));
    std::fs::write(
        &transcript,
        claude.iter().map(|v| format!("{v}\n")).collect::<String>(),
    )
    .unwrap();
    let codex_dir = data.join("codex");
    let rollouts = codex_dir.join("sessions/2026/11/30");
    std::fs::create_dir_all(&rollouts).unwrap();
    let cid = "019a0000-0000-7000-8000-0000000000b5";
    let ts = rfc3339_utc(codex_at);
    let usage = serde_json::json!({"input_tokens": 200000, "cached_input_tokens": 0,
        "output_tokens": 10000, "reasoning_output_tokens": 0, "total_tokens": 210000});
    let codex = [
        serde_json::json!({"timestamp": ts, "type": "session_meta", "payload": {"id": cid,
            "timestamp": ts, "cwd": "/home/u/p", "originator": "codex_cli_rs",
            "cli_version": "0.77.0", "source": "cli", "model_provider": "openai"}}),
        serde_json::json!({"timestamp": ts, "type": "turn_context", "payload": {
            "cwd": "/home/u/p", "approval_policy": "never", "sandbox_policy": {"mode": "x"},
            "model": "gpt-5.5", "effort": "high", "summary": "auto"}}),
        serde_json::json!({"timestamp": ts, "type": "event_msg", "payload": {
            "type": "user_message", "message": "hi", "kind": "plain"}}),
        serde_json::json!({"timestamp": ts, "type": "event_msg", "payload": {
            "type": "token_count", "info": {"total_token_usage": usage,
                "last_token_usage": usage, "model_context_window": 272000},
            "rate_limits": null}}),
    ];
    std::fs::write(
        rollouts.join(format!("rollout-x-{cid}.jsonl")),
        codex.iter().map(|v| format!("{v}\n")).collect::<String>(),
    )
    .unwrap();
    let setup = |c: &mut Command| {
        c.env("CLAUDE_CONFIG_DIR", &claude_dir)
            .env("CODEX_HOME", &codex_dir);
    };
    let blocks = |args: &[&str]| -> Vec<(String, String, f64)> {
        let mut c = aegon(&data, &["usage", "blocks", "--json"]);
        c.args(args);
        setup(&mut c);
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                assert_eq!(b["isActive"], true, "{b}");
                (
                    b["agent"].as_str().unwrap().to_owned(),
                    b["startTime"].as_str().unwrap().to_owned(),
                    b["costUSD"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let start = |secs: i64| hour(secs).replace('Z', ".000Z");
    let claude_block = ("claude-code".to_owned(), start(claude_at), 0.0525);
    let codex_block = ("codex".to_owned(), start(codex_at), 1.30);
    let close = |got: Vec<(String, String, f64)>, want: Vec<(String, String, f64)>| {
        assert_eq!(got.len(), want.len(), "{got:?}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!((&g.0, &g.1), (&w.0, &w.1), "{got:?}");
            assert!((g.2 - w.2).abs() < 1e-9, "{got:?}");
        }
    };
    // Claude Code's block by default, as with --agent claude-code; Codex's with --agent codex;
    // both, each its own, with both named.
    close(blocks(&[]), vec![claude_block.clone()]);
    close(
        blocks(&["--agent", "claude-code"]),
        vec![claude_block.clone()],
    );
    close(blocks(&["--agent", "codex"]), vec![codex_block.clone()]);
    close(
        blocks(&["--agent", "codex", "--agent", "claude-code"]),
        vec![claude_block, codex_block],
    );
    // The status line: Claude Code's today and block alone. The block started at the Claude
    // request's hour and ends 5 h later; today is $0.05 unless midnight (UTC, --tz UTC) fell
    // in the last 30 minutes.
    let input = serde_json::json!({"session_id": sid, "transcript_path": transcript});
    let line = statusline_with(
        &data,
        &["--format", "{today_cost}|{block_cost}|{block_left}"],
        setup,
        &input,
    );
    let today = if claude_at.div_euclid(86_400) == now.div_euclid(86_400) {
        "$0.05"
    } else {
        "$0.00"
    };
    let left = (claude_at - claude_at.rem_euclid(3600) + 5 * 3600 - now) / 60;
    let (prefix, rest) = line.split_once("|~").unwrap_or((&line, ""));
    assert_eq!(prefix, format!("{today} today|$0.05 block"), "{line}");
    // Time left, written XhYYm, within a minute of the block's end (the run takes time).
    let written = rest.trim_end_matches(" left");
    let minutes = written
        .split_once('h')
        .map(|(h, m)| {
            h.parse::<i64>().unwrap() * 60 + m.trim_end_matches('m').parse::<i64>().unwrap()
        })
        .unwrap_or_else(|| written.trim_end_matches('m').parse().unwrap());
    assert!((minutes - left).abs() <= 1, "{line}: {left} minutes left");
}

/// tester7 finding 5: a `transcript_path` that is not a regular file (a FIFO, where opening
/// for reading waits for a writer) is skipped: the status line still comes, with exit 0, as
/// its help promises, with or without the index. (The minute's wait is only a guard so that
/// a hang fails the test instead of stalling the suite; no timing is asserted.)
#[cfg(unix)]
#[test]
fn a_transcript_path_that_is_a_fifo_still_gives_a_line() {
    let data = temp_dir("statusline-fifo");
    let fifo = data.join("s.jsonl");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let input = serde_json::json!({
        "session_id": "x", "transcript_path": fifo,
        "model": {"id": "claude-opus-5", "display_name": "Opus 5"},
    });
    for extra in [&[][..], &["--no-index"][..]] {
        let mut child = aegon(&data, &["statusline", "--tz", "UTC", "--color", "never"])
            .args(extra)
            .args(["--format", "{model} {context} {session_cost}"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let feeder = feed_stdin(&mut child, input.to_string(), Reads::All);
        let guard = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while child.try_wait().unwrap().is_none() {
            if std::time::Instant::now() > guard {
                let _ = child.kill();
                panic!("statusline {extra:?} still running after a minute on a FIFO");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        feeder.finish();
        assert!(out.status.success(), "{extra:?}");
        let line = String::from_utf8_lossy(&out.stdout);
        assert!(line.starts_with("Opus 5"), "{extra:?}: {line}");
    }
}

/// One response of claude-sonnet-4-5 ($3 per million input tokens under 200K) of session `id`
/// at `secs` (Unix seconds) in `dir/ID.jsonl`, `input` tokens in and none out.
fn write_one_response(dir: &Path, id: &str, secs: i64, input: u64) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let line = serde_json::json!({
        "type": "assistant", "uuid": format!("u-{id}"), "sessionId": id, "cwd": "/p",
        "timestamp": rfc3339_utc(secs), "requestId": format!("req_{}", &id[..8]),
        "message": {"id": format!("msg_{}", &id[..8]), "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-5-20250929", "content": [{"type": "text", "text": "x"}],
            "usage": {"input_tokens": input, "output_tokens": 0,
                "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}
    });
    let path = dir.join(format!("{id}.jsonl"));
    std::fs::write(&path, format!("{line}\n")).unwrap();
    path
}

/// tester12 #5: two Claude Code accounts (a CLAUDE_CONFIG_DIR each) sharing aegon's index,
/// and a folder once given to `aegon usage PATH`: the status line's today and block are
/// those `aegon usage` and `aegon usage blocks` show in the same environment, never the
/// other account's or the other folder's; and one account's official reading is never the
/// other's window.
#[test]
fn the_status_line_counts_its_own_accounts_folders_and_readings_alone() {
    let data = temp_dir("statusline-accounts");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let work = data.join("work");
    let personal = data.join("personal");
    let work_id = "11111111-0000-4000-8000-000000000001";
    let personal_id = "22222222-0000-4000-8000-000000000002";
    // $0.30 and $0.45.
    write_one_response(&work.join("projects/-w"), work_id, now - 60, 100_000);
    let own = write_one_response(
        &personal.join("projects/-p"),
        personal_id,
        now - 60,
        150_000,
    );
    // And a project folder of the personal account linked from elsewhere (bugs/15): $0.15.
    #[cfg(unix)]
    {
        let elsewhere = data.join("elsewhere/-linked");
        write_one_response(
            &elsewhere,
            "44444444-0000-4000-8000-000000000004",
            now - 60,
            50_000,
        );
        std::os::unix::fs::symlink(&elsewhere, personal.join("projects/-linked")).unwrap();
        // Indexed first by its real path: the index knows it there, not below the account's
        // folder (the scan finds it as the same file through the link).
        let out = aegon(&data, &["usage", elsewhere.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let personal_cost = if cfg!(unix) { "$0.60" } else { "$0.45" };
    let want: f64 = personal_cost[1..].parse().unwrap();
    let personal_line = format!("{personal_cost} today|{personal_cost} block|~");
    // A folder someone sent, reported once by path: $0.57.
    let sent = data.join("Downloads/colleague/-c");
    write_one_response(
        &sent,
        "33333333-0000-4000-8000-000000000003",
        now - 60,
        190_000,
    );
    let as_account = |dir: &Path| {
        let dir = dir.to_owned();
        move |c: &mut Command| {
            c.env("CLAUDE_CONFIG_DIR", &dir);
        }
    };
    let usage_total = |dir: &Path, args: &[&str]| {
        let mut c = aegon(&data, args);
        as_account(dir)(&mut c);
        let out = c.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    usage_total(&work, &["usage", "--json"]);
    usage_total(&personal, &["usage", "--json", sent.to_str().unwrap()]);
    let daily = usage_total(&personal, &["usage", "--json"]);
    assert_eq!(daily["totals"]["totalCost"].as_f64(), Some(want));
    let blocks = usage_total(&personal, &["usage", "blocks", "--json"]);
    assert_eq!(blocks["blocks"].as_array().unwrap().len(), 1);
    assert_eq!(blocks["blocks"][0]["costUSD"].as_f64(), Some(want));
    let format = ["--format", "{today_cost}|{block_cost}|{block_left}"];
    // Without a session, and from within the personal account's session; a run that scans
    // the folders and runs that do not (within a minute of the last scan).
    for input in [
        serde_json::json!({}),
        serde_json::json!({"session_id": personal_id, "transcript_path": own}),
        serde_json::json!({}),
    ] {
        let line = statusline_with(&data, &format, as_account(&personal), &input);
        assert!(line.starts_with(&personal_line), "{input}: {line}");
    }
    // The work account's status line passes its official 5-hour window: ten minutes left.
    let resets = now + 600;
    let reading = serde_json::json!({"session_id": work_id,
        "rate_limits": {"five_hour": {"used_percentage": 80, "resets_at": resets}}});
    let line = statusline_with(&data, &format, as_account(&work), &reading);
    // The official end (no `~`), at most ten minutes away.
    let left = line.strip_prefix("$0.30 today|$0.30 block|");
    assert!(
        left.is_some_and(|l| l == "9m left" || l == "10m left"),
        "{line}"
    );
    let official = |dir: &Path| {
        let b = usage_total(dir, &["usage", "blocks", "--json"]);
        b["blocks"][0]["endSource"].as_str().unwrap().to_owned()
    };
    assert_eq!(official(&work), "official", "the work account's own window");
    assert_eq!(
        official(&personal),
        "estimate",
        "not the personal account's"
    );
    let line = statusline_with(
        &data,
        &format,
        as_account(&personal),
        &serde_json::json!({}),
    );
    assert!(line.starts_with(&personal_line), "{line}");
    let _ = std::fs::remove_dir_all(&data);
}

/// tester12 #2: a resumed session's cost on the status line is one value whichever path makes
/// the line: through the index, and from the transcripts read afresh (`--no-index`, also what a
/// locked index gives): B alone, its lines copied from A counted in A (fixtures/bugs/README.md
/// row 08: B = 1 call, $0.0036). A `session_id` other than the transcript's names no other
/// session: the transcript's is shown on both paths.
#[test]
fn a_resumed_sessions_cost_is_the_same_through_the_index_and_without_it() {
    let data = temp_dir("statusline-resumed");
    let folder = data.join("no-claude-here/projects/-home-user-proj");
    std::fs::create_dir_all(&folder).unwrap();
    let src = root().join("fixtures/bugs/08-resume-copy");
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), folder.join(e.file_name())).unwrap();
    }
    let b = "11111111-2222-4333-8444-5555555555b8";
    let transcript = folder.join(format!("{b}.jsonl"));
    // Under a cent: shown as such; {cc_cost} tells the figure from Claude Code's, passed apart.
    let format = ["--format", "{session_cost}"];
    for id in [b, "other"] {
        let input = serde_json::json!({"session_id": id, "transcript_path": transcript,
                                       "cost": {"total_cost_usd": 5.0}});
        for extra in [&[][..], &["--no-index"][..]] {
            let args: Vec<&str> = format.iter().chain(extra).copied().collect();
            let line = statusline_with(&data, &args, |_| {}, &input);
            assert_eq!(line, "<$0.01 session", "{id} {extra:?}");
        }
    }
    // A resume that kept the copied lines' own session id (A's) in B's file: B's figure is
    // still B's alone when Claude Code names B.
    let old_style = data.join("no-claude-here/projects/-old-style");
    std::fs::create_dir_all(&old_style).unwrap();
    let a_text =
        std::fs::read_to_string(src.join("11111111-2222-4333-8444-5555555555a8.jsonl")).unwrap();
    let b_text = std::fs::read_to_string(src.join(format!("{b}.jsonl"))).unwrap();
    let b_new: Vec<&str> = b_text.lines().skip(4).collect();
    assert_eq!(b_new.len(), 2, "B's own turn");
    std::fs::write(
        old_style.join("11111111-2222-4333-8444-5555555555a8.jsonl"),
        &a_text,
    )
    .unwrap();
    let mixed = old_style.join(format!("{b}.jsonl"));
    std::fs::write(&mixed, format!("{a_text}{}\n", b_new.join("\n"))).unwrap();
    let input = serde_json::json!({"session_id": b, "transcript_path": mixed});
    for extra in [&[][..], &["--no-index"][..]] {
        let args: Vec<&str> = format.iter().chain(extra).copied().collect();
        let line = statusline_with(&data, &args, |_| {}, &input);
        assert_eq!(line, "<$0.01 session", "old style {extra:?}");
    }
    // B's file alone in its folder: its three calls are its own ($0.0148), both ways.
    std::fs::remove_file(folder.join("11111111-2222-4333-8444-5555555555a8.jsonl")).unwrap();
    let data2 = temp_dir("statusline-resumed-alone");
    let input = serde_json::json!({"session_id": b, "transcript_path": transcript});
    for extra in [&[][..], &["--no-index"][..]] {
        let args: Vec<&str> = format.iter().chain(extra).copied().collect();
        let line = statusline_with(&data2, &args, |_| {}, &input);
        assert_eq!(line, "$0.01 session", "{extra:?}");
    }
}

#[test]
fn a_folder_with_no_transcript_is_an_error_but_a_fresh_install_is_not() {
    let data = temp_dir("no-transcript");
    let empty = data.join("empty");
    std::fs::create_dir_all(empty.join("sub")).unwrap();
    let full = data.join("full/-p");
    std::fs::create_dir_all(&full).unwrap();
    std::fs::copy(
        fixture("mattjoyce__vestig__session.jsonl"),
        full.join("s.jsonl"),
    )
    .unwrap();
    let empty_arg = empty.to_str().unwrap();
    let full_arg = data.join("full");
    let full_arg = full_arg.to_str().unwrap();
    let said = format!("{empty_arg}: no .jsonl transcript below this directory");
    // Alone: said, exit status 2, no report (as aegon --summary, aegon audit and aegon FOLDER).
    for args in [
        &["usage", empty_arg][..],
        &["usage", "blocks", empty_arg],
        &["usage", "daily", "--json", empty_arg],
        &["usage", "--no-index", empty_arg],
        &["usage", "blocks", "--json", "--no-index", empty_arg],
    ] {
        let out = aegon(&data, args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(&said), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: no report");
    }
    // With a folder that has transcripts: that one is reported, the empty one said, exit 2.
    for no_index in [false, true] {
        let mut args = vec!["usage", "--json", full_arg, empty_arg];
        if no_index {
            args.push("--no-index");
        }
        let out = aegon(&data, &args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(&said), "{args:?}: {err}");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(calls(&doc) > 0, "{args:?}: {doc}");
    }
    // A folder whose transcripts were deleted after they were indexed: its history is
    // reported from the index, with a note, as for a folder gone from disk.
    let before = run_json(&data, &["usage", "--json", full_arg]);
    std::fs::remove_file(full.join("s.jsonl")).unwrap();
    let out = aegon(&data, &["usage", "--json", full_arg])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(calls(&doc), calls(&before));
    assert!(
        err.contains(&format!(
            "{full_arg}: no .jsonl transcript below this directory now; reporting the history"
        )),
        "{err}"
    );
    // No PATH, Claude Code's folders there but no session yet (a fresh install): an empty
    // report, exit status 0, with the index and without it.
    let config = data.join("fresh-claude");
    std::fs::create_dir_all(config.join("projects")).unwrap();
    let fresh = data.join("fresh-data");
    for args in [
        &["usage", "--json"][..],
        &["usage", "blocks"],
        &["usage", "--no-index"],
    ] {
        let out = aegon(&fresh, args)
            .env("CLAUDE_CONFIG_DIR", &config)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
        assert!(!out.stdout.is_empty(), "{args:?}: a report");
    }
}
