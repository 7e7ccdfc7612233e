//! Usage in shapes a new Claude Code version or a gateway could write (`fixtures/shapes/`):
//! each case is the real `base.jsonl` with its assistant lines changed in one way (named
//! here), held to the right value worked out by hand from the base's counts (4 responses,
//! input 8, output 617, cache read 154,982, 1-hour writes 13,793, $0.2309). The kind of fault
//! guarded against: usage aegon cannot read must never be a confident $0, and a rule applied
//! to a doubtful shape is said, with the line.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Map, Value};

mod common;

/// The base's real figures (README of `fixtures/shapes/`).
const CALLS: u64 = 4;
const OUTPUT: u64 = 617;
const WRITES_1H: u64 = 13_793;
const COST: f64 = 0.2309;
/// The context after the base's last response: its input 2 + cache read 42,442 + write 1,291.
const CONTEXT: u64 = 43_735;

/// `base.jsonl` with `mutate` applied to every assistant line, written to a file of `dir`.
fn case(dir: &common::TempDir, name: &str, mutate: impl Fn(&mut Map<String, Value>)) -> PathBuf {
    let base = std::fs::read_to_string(common::root().join("fixtures/shapes/base.jsonl"))
        .expect("fixtures/shapes/base.jsonl");
    let mut out = String::new();
    for line in base.lines() {
        let mut v: Value = serde_json::from_str(line).expect("a JSON line");
        if v["type"] == "assistant" {
            mutate(v.as_object_mut().expect("an object"));
        }
        out.push_str(&v.to_string());
        out.push('\n');
    }
    let path = dir.path().join(format!("{name}.jsonl"));
    std::fs::write(&path, out).expect("write the case");
    path
}

/// `--summary --json` of `file`: the JSON, stderr and whether it exited 0.
fn summary(file: &PathBuf) -> (Value, String, bool) {
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["--summary", "--json"])
        .arg(file)
        .output()
        .expect("run aegon");
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (
        json,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

/// `--summary` (text) of `file`.
fn summary_text(file: &PathBuf) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .arg("--summary")
        .arg(file)
        .output()
        .expect("run aegon");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn usage(o: &mut Map<String, Value>) -> &mut Map<String, Value> {
    o["message"]["usage"]
        .as_object_mut()
        .expect("message.usage")
}

/// The usage objects aegon counts: the outer one and each iteration.
fn each_counted(o: &mut Map<String, Value>, f: impl Fn(&mut Map<String, Value>)) {
    let u = usage(o);
    if let Some(items) = u.get_mut("iterations").and_then(Value::as_array_mut) {
        for i in items {
            f(i.as_object_mut().expect("an iteration"));
        }
    }
    f(u);
}

fn camel(key: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in key.chars() {
        match c {
            '_' => up = true,
            c if up => {
                out.extend(c.to_uppercase());
                up = false;
            }
            c => out.push(c),
        }
    }
    out
}

fn camel_all(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, x)| (camel(k), camel_all(x))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(camel_all).collect()),
        v => v.clone(),
    }
}

/// Asserts a response of unreadable usage: still an API call, the cost unknown (never $0),
/// each assistant line reported with where it is, and a non-zero exit.
fn assert_unknown_cost(name: &str, file: &PathBuf) {
    let (json, stderr, ok) = summary(file);
    let t = &json["totals"];
    assert_eq!(t["api_calls"], CALLS, "{name}: calls");
    assert_eq!(
        t["cost_usd"],
        Value::Null,
        "{name}: cost must be unknown, not $0"
    );
    assert!(!ok, "{name}: exit 0 with unreadable usage");
    // 6 assistant lines, each said with file:line: byte.
    let said = stderr
        .lines()
        .filter(|l| l.contains(".jsonl:") && l.contains("byte ") && l.contains("unknown cost"))
        .count();
    assert_eq!(said, 6, "{name}: {stderr}");
}

#[test]
fn usage_aegon_cannot_read_is_an_api_call_of_unknown_cost() {
    let dir = common::temp_dir("shapes-unread");
    let cases: Vec<(&str, PathBuf)> = vec![
        (
            "camel case",
            case(&dir, "camel", |o| {
                let u = camel_all(&o["message"]["usage"]);
                o["message"]["usage"] = u;
            }),
        ),
        (
            "top level",
            case(&dir, "top", |o| {
                let u = o["message"]
                    .as_object_mut()
                    .and_then(|m| m.remove("usage"))
                    .expect("usage");
                o.insert("usage".to_owned(), u);
            }),
        ),
        (
            "empty",
            case(&dir, "empty", |o| o["message"]["usage"] = json!({})),
        ),
        (
            // An OpenAI-compatible gateway behind ANTHROPIC_BASE_URL: reported, not read as
            // Anthropic's counts (no source says a gateway writes these into transcripts).
            "OpenAI style",
            case(&dir, "openai", |o| {
                let u = &o["message"]["usage"];
                let n = |k: &str| u[k].as_u64().expect("a count");
                let prompt = n("input_tokens")
                    + n("cache_read_input_tokens")
                    + n("cache_creation_input_tokens");
                let out = n("output_tokens");
                let cached = n("cache_read_input_tokens");
                o["message"]["usage"] = json!({
                    "prompt_tokens": prompt,
                    "completion_tokens": out,
                    "total_tokens": prompt + out,
                    "prompt_tokens_details": {"cached_tokens": cached},
                });
            }),
        ),
    ];
    for (name, file) in &cases {
        assert_unknown_cost(name, file);
    }
    // tester11 finding 4: a `usage` that is not an object, or a count beyond any number
    // (serde's "number out of range"), dropped the response and showed the rest complete.
    for (name, value) in [
        ("null", json!(null)),
        ("array", json!([])),
        ("string", json!("x")),
        ("number", json!(5)),
    ] {
        let file = case(&dir, name, |o| o["message"]["usage"] = value.clone());
        assert_unknown_cost(name, &file);
    }
    let big = case(&dir, "big", |o| usage(o)["output_tokens"] = json!("BIG"));
    let text = std::fs::read_to_string(&big).unwrap();
    std::fs::write(&big, text.replace("\"BIG\"", "1e400")).unwrap();
    let (json, _, ok) = summary(&big);
    assert_eq!(json["totals"]["api_calls"], CALLS, "1e400");
    assert_eq!(json["totals"]["cost_usd"], Value::Null, "1e400");
    assert!(!ok);
    // The text says why, and that it is a lower bound.
    let text = summary_text(&cases[2].1);
    assert!(
        text.contains(
            "unknown: at least $0.00, usage with no token count aegon knows (claude-opus-5)"
        ),
        "{text}"
    );
}

#[test]
fn synthetic_error_lines_keep_their_zero_usage_unreported() {
    // FORMAT.md §5: a locally generated error line carries all-zero usage; it is no call.
    let dir = common::temp_dir("shapes-synthetic");
    let file = case(&dir, "synthetic", |o| {
        o["message"]["model"] = json!("<synthetic>");
        o.insert("isApiErrorMessage".to_owned(), json!(true));
        let u = usage(o);
        for k in [
            "input_tokens",
            "output_tokens",
            "cache_read_input_tokens",
            "cache_creation_input_tokens",
        ] {
            u.insert(k.to_owned(), json!(0));
        }
        u.remove("iterations");
        u.remove("cache_creation");
    });
    let (json, stderr, ok) = summary(&file);
    assert!(ok, "{stderr}");
    assert_eq!(json["totals"]["api_calls"], 0);
    assert_eq!(json["totals"]["cost_usd"], 0.0);
}

#[test]
fn cache_writes_of_an_unknown_ttl_leave_the_cost_unknown() {
    let dir = common::temp_dir("shapes-ttl");
    let file = case(&dir, "ttl24h", |o| {
        each_counted(o, |u| {
            let flat = u["cache_creation_input_tokens"].clone();
            u.insert(
                "cache_creation".to_owned(),
                json!({
                    "ephemeral_5m_input_tokens": 0,
                    "ephemeral_1h_input_tokens": 0,
                    "ephemeral_24h_input_tokens": flat,
                }),
            );
        })
    });
    let (json, stderr, ok) = summary(&file);
    let t = &json["totals"];
    assert_eq!(t["api_calls"], CALLS);
    // The writes are counted (as 5-minute ones), their price is not known: not $0.1792.
    assert_eq!(t["tokens"]["cache_write_5m"], WRITES_1H);
    assert_eq!(t["cost_usd"], Value::Null);
    assert!(!ok);
    assert!(
        stderr.contains("a TTL aegon does not know") && stderr.contains(".jsonl:10: byte "),
        "{stderr}"
    );
}

#[test]
fn a_cache_split_that_disagrees_with_the_flat_count_follows_one_rule_and_is_said() {
    let dir = common::temp_dir("shapes-split");
    // Split twice the flat count: the flat count is the number of writes, all 1-hour ones.
    let bigger = case(&dir, "bigger", |o| {
        each_counted(o, |u| {
            let t = u["cache_creation_input_tokens"].clone();
            u.insert(
                "cache_creation".to_owned(),
                json!({"ephemeral_5m_input_tokens": t, "ephemeral_1h_input_tokens": t}),
            );
        })
    });
    let (json, stderr, ok) = summary(&bigger);
    let t = &json["totals"];
    assert_eq!(t["tokens"]["cache_write_1h"], WRITES_1H);
    assert_eq!(t["tokens"]["cache_write_5m"], 0);
    assert_eq!(t["cost_usd"], COST);
    assert!(!ok);
    assert!(
        stderr.contains("but `cache_creation_input_tokens` says 11065: counted as 11065"),
        "{stderr}"
    );
    // Split half the flat count, all 1-hour: those are 1-hour writes, the rest 5-minute.
    // 6,895 (13,793 / 2 per response, rounded down) 1-hour; 6,898 5-minute, each $3.75/M
    // cheaper than a 1-hour write on claude-opus-5 ($6.25 vs $10): $0.2309 - $0.0259.
    let smaller = case(&dir, "smaller", |o| {
        each_counted(o, |u| {
            let t = u["cache_creation_input_tokens"].as_u64().expect("count");
            u.insert(
                "cache_creation".to_owned(),
                json!({"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": t / 2}),
            );
        })
    });
    let (json, stderr, ok) = summary(&smaller);
    let t = &json["totals"];
    assert_eq!(t["tokens"]["cache_write_1h"], 6_895);
    assert_eq!(t["tokens"]["cache_write_5m"], 6_898);
    assert_eq!(t["cost_usd"], 0.205);
    assert!(!ok);
    // One problem per assistant line (6), each with its line and byte.
    assert_eq!(stderr.matches(": byte ").count(), 6, "{stderr}");
    assert_eq!(stderr.matches("splits ").count(), 6, "{stderr}");
}

#[test]
fn the_context_after_a_compaction_iteration_is_the_message_iterations() {
    let dir = common::temp_dir("shapes-compaction");
    let file = case(&dir, "compaction", |o| {
        let u = usage(o);
        let message = u["iterations"][0].clone();
        let mut first = message.clone();
        let f = first.as_object_mut().expect("an iteration");
        f.insert("type".to_owned(), json!("compaction"));
        f.insert("input_tokens".to_owned(), json!(50_000));
        f.insert("output_tokens".to_owned(), json!(1_000));
        f.insert("cache_read_input_tokens".to_owned(), json!(0));
        f.insert("cache_creation_input_tokens".to_owned(), json!(0));
        f.insert(
            "cache_creation".to_owned(),
            json!({"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}),
        );
        u.insert("iterations".to_owned(), json!([first, message]));
    });
    let (json, _, _) = summary(&file);
    assert_eq!(json["sessions"][0]["context"]["tokens"], CONTEXT);
    // Both iterations are billed: 4 × 50,000 more input, 4 × 1,000 more output.
    assert_eq!(json["totals"]["tokens"]["input"], 8 + 200_000);
    assert_eq!(json["totals"]["tokens"]["output"], OUTPUT + 4_000);
}

#[test]
fn web_searches_recorded_only_in_iterations_are_counted() {
    let dir = common::temp_dir("shapes-searches");
    let file = case(&dir, "searches", |o| {
        let u = usage(o);
        u.remove("server_tool_use");
        u["iterations"][0]["server_tool_use"] = json!({"web_search_requests": 1});
    });
    let (json, _, ok) = summary(&file);
    assert!(ok);
    assert_eq!(json["totals"]["web_searches"], 4);
    // $0.01 a search on top of the base's $0.2309.
    assert_eq!(json["totals"]["cost_usd"], COST + 0.04);
}

#[test]
fn the_summary_names_what_has_no_price() {
    let dir = common::temp_dir("shapes-unpriced");
    for (tier, geo, speed, why) in [
        (
            Some("flex"),
            None,
            None,
            "no price for service tier flex (claude-opus-5)",
        ),
        (
            None,
            Some("eu"),
            None,
            "no price for inference geo eu (claude-opus-5)",
        ),
        (
            None,
            None,
            Some("turbo"),
            "no price for speed turbo (claude-opus-5)",
        ),
    ] {
        let file = case(&dir, why.split(' ').nth(3).unwrap_or("x"), |o| {
            let u = usage(o);
            for (k, v) in [
                ("service_tier", tier),
                ("inference_geo", geo),
                ("speed", speed),
            ] {
                if let Some(v) = v {
                    u.insert(k.to_owned(), json!(v));
                }
            }
        });
        let text = summary_text(&file);
        assert!(text.contains(why), "{why}: {text}");
        assert!(!text.contains("no price for claude-opus-5"), "{text}");
    }
    // A model written as "" is named so, not left blank.
    let file = case(&dir, "model-empty", |o| o["message"]["model"] = json!(""));
    let text = summary_text(&file);
    assert!(text.contains("  models    \"\"\n"), "{text}");
    assert!(text.contains("no price for \"\""), "{text}");
}

#[test]
fn the_base_is_read_whole() {
    // The reference every case above departs from.
    let dir = common::temp_dir("shapes-base");
    let file = case(&dir, "base", |_| {});
    let (json, stderr, ok) = summary(&file);
    assert!(ok, "{stderr}");
    let t = &json["totals"];
    assert_eq!(t["api_calls"], CALLS);
    assert_eq!(t["tokens"]["output"], OUTPUT);
    assert_eq!(t["tokens"]["cache_write_1h"], WRITES_1H);
    assert_eq!(t["cost_usd"], COST);
    assert_eq!(json["sessions"][0]["context"]["tokens"], CONTEXT);
}

/// tester8 finding 6: when the last response's usage cannot be read (`usage: {}`), the context
/// is what the response before it left (input 2 + cache read 41,595 + write 847 in the base),
/// not 0; its cost is unknown as before.
#[test]
fn unreadable_counts_leave_the_context_where_the_last_readable_response_left_it() {
    let dir = common::temp_dir("shapes-context-unread");
    let file = case(&dir, "last-unread", |o| {
        if o["message"]["id"] == "msg_011CdiaqaEXEubcju461d7xf" {
            o["message"]["usage"] = json!({});
        }
    });
    let (json, _, _) = summary(&file);
    assert_eq!(json["sessions"][0]["context"]["tokens"], 2 + 41_595 + 847);
    assert_eq!(json["totals"]["cost_usd"], Value::Null);
    assert_eq!(json["totals"]["api_calls"], CALLS);
}

/// tester8 finding 1: a count of a kind aegon does not know at the top level of
/// `message.usage` (how `cache_creation_input_tokens` itself is spelled), or in an iteration,
/// leaves the cost unknown, each line said with the key and its byte; a 0 there is no tokens.
#[test]
fn a_token_count_aegon_does_not_know_leaves_the_cost_unknown() {
    let dir = common::temp_dir("shapes-other-counts");
    for key in ["cache_creation_24h_input_tokens", "audio_input_tokens"] {
        let file = case(&dir, key, |o| {
            usage(o).insert(key.to_owned(), json!(5_000));
        });
        let (json, stderr, ok) = summary(&file);
        let t = &json["totals"];
        assert_eq!(t["api_calls"], CALLS, "{key}");
        // The counts aegon knows are kept as written.
        assert_eq!(t["tokens"]["output"], OUTPUT, "{key}");
        assert_eq!(t["tokens"]["cache_write_1h"], WRITES_1H, "{key}");
        assert_eq!(t["cost_usd"], Value::Null, "{key}: not $0.2309");
        assert!(!ok, "{key}");
        let said = format!("`message.usage.{key}` 5000 is a token count aegon does not know");
        let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(&said)).collect();
        assert_eq!(lines.len(), 6, "{key}: {stderr}");
        // file:line: byte, the byte that of the count's value.
        let text = std::fs::read_to_string(&file).unwrap();
        for l in lines {
            let (_, at) = l.split_once(": byte ").expect("a byte");
            let at: usize = at.split(':').next().unwrap().parse().unwrap();
            assert!(text[at..].starts_with("5000"), "{l}");
            assert!(l.contains("the response's cost unknown"), "{l}");
        }
        // The context is the known counts' (a lower bound, as the cost is).
        assert_eq!(json["sessions"][0]["context"]["tokens"], CONTEXT, "{key}");
        let text = summary_text(&file);
        assert!(
            text.contains("usage with a token count aegon does not know (claude-opus-5)"),
            "{text}"
        );
    }
    // In an iteration.
    let file = case(&dir, "iteration", |o| {
        usage(o)["iterations"][0]["audio_input_tokens"] = json!(7);
    });
    let (json, stderr, _) = summary(&file);
    assert_eq!(json["totals"]["cost_usd"], Value::Null);
    assert!(
        stderr.contains("`message.usage.iterations[0].audio_input_tokens` 7 is"),
        "{stderr}"
    );
    // Zero: no tokens, read whole.
    let file = case(&dir, "zero", |o| {
        usage(o).insert("audio_input_tokens".to_owned(), json!(0));
    });
    let (json, stderr, ok) = summary(&file);
    assert!(ok, "{stderr}");
    assert_eq!(json["totals"]["cost_usd"], COST);
}

/// tester8 finding 2: a count refused and read as 0 (`"71"`, -71, 71.5) on one response
/// leaves its cost unknown (it was priced as if complete: $0.2291 for $0.2309); an input count
/// refused leaves the context as the last readable response left it, an output count does
/// not touch it.
#[test]
fn a_count_read_as_zero_leaves_the_cost_unknown() {
    let dir = common::temp_dir("shapes-refused");
    // msg_…J4w: one line, output 71; the iterations removed (their outer counts are the
    // same), so that the outer count is the one read.
    let j4w = "msg_011CdiaqJ4w3mig5wLA6CHrD";
    let last = "msg_011CdiaqaEXEubcju461d7xf";
    for value in [json!("71"), json!(-71), json!(71.5)] {
        let file = case(&dir, "refused", |o| {
            let u = usage(o);
            u.remove("iterations");
            if o["message"]["id"] == j4w {
                usage(o).insert("output_tokens".to_owned(), value.clone());
            }
        });
        let (json, stderr, ok) = summary(&file);
        let t = &json["totals"];
        assert_eq!(t["api_calls"], CALLS, "{value}");
        assert_eq!(t["tokens"]["output"], OUTPUT - 71, "{value}");
        assert_eq!(t["cost_usd"], Value::Null, "{value}: not $0.2291");
        assert!(!ok);
        assert!(
            stderr.contains("is not a token count: read as 0, the response's cost unknown"),
            "{stderr}"
        );
        // Its input is read: the context is the response's own.
        assert_eq!(json["sessions"][0]["context"]["tokens"], CONTEXT, "{value}");
        let text = summary_text(&file);
        assert!(
            text.contains("usage with a value that is not a token count (claude-opus-5)"),
            "{text}"
        );
    }
    // An input count refused on the last response: the context is the one before it.
    let file = case(&dir, "refused-input", |o| {
        let u = usage(o);
        u.remove("iterations");
        if o["message"]["id"] == last {
            usage(o).insert("cache_read_input_tokens".to_owned(), json!("42442"));
        }
    });
    let (json, _, _) = summary(&file);
    assert_eq!(json["sessions"][0]["context"]["tokens"], 2 + 41_595 + 847);
    assert_eq!(json["totals"]["cost_usd"], Value::Null);
}

/// `aegon usage --json` totals of `files`, without the index (`None`) or with one in `data`.
fn usage_totals(files: &[&PathBuf], data: Option<&std::path::Path>) -> Value {
    let dir = common::temp_dir("shapes-usage");
    let mut args = vec!["usage", "--json"];
    if data.is_none() {
        args.push("--no-index");
    }
    let mut c = common::aegon_isolated(data.unwrap_or(dir.path()), &args);
    c.args(files);
    let out = c.output().expect("run aegon usage");
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    json["totals"].clone()
}

/// tester8 finding 4, tester11 finding 1: a response one of whose lines holds usage aegon
/// could not read whole is of unknown cost whichever line it is and whatever other lines or
/// copies say: the damaged line may be the final line of a streamed response, holding its
/// largest counts (a chunk line read whole is not the response's usage). The same answer in
/// either order, on 1 to 3 threads, in either file order, in `aegon usage` with and without
/// the index; the readable tokens are kept; the damaged line is said once.
#[test]
fn a_response_with_a_damaged_line_is_of_unknown_cost_in_any_order_and_once_in_copies() {
    let dir = common::temp_dir("shapes-order");
    for which in 0..2 {
        let seen = std::cell::Cell::new(0);
        let file = case(&dir, &format!("empty-{which}"), |o| {
            if o["message"]["id"]
                .as_str()
                .is_some_and(|id| id == "msg_011Cdiaq8zj4gmnvXpfCTvZn")
            {
                if seen.get() == which {
                    o["message"]["usage"] = json!({});
                }
                seen.set(seen.get() + 1);
            }
        });
        assert_eq!(seen.get(), 2, "response msg_011Cdiaq8zj… has two lines");
        let (json, stderr, ok) = summary(&file);
        let t = &json["totals"];
        assert_eq!(t["api_calls"], CALLS, "line {which}");
        assert_eq!(t["tokens"]["output"], OUTPUT, "line {which}");
        assert_eq!(t["cost_usd"], Value::Null, "line {which}: {t}");
        assert!(!ok, "line {which}: the damaged line is a problem");
        assert_eq!(
            stderr.lines().filter(|l| l.contains("byte ")).count(),
            1,
            "{stderr}"
        );
        let data = common::temp_dir("shapes-order-index");
        for (how, totals) in [
            ("--no-index", usage_totals(&[&file], None)),
            ("index", usage_totals(&[&file], Some(data.path()))),
        ] {
            assert_eq!(totals["apiCalls"], CALLS, "{how}, line {which}");
            assert_eq!(totals["outputTokens"], OUTPUT, "{how}, line {which}");
            assert_eq!(totals["totalCost"], Value::Null, "{how}, line {which}");
            let priced = totals["pricedCost"].as_f64().unwrap_or(f64::NAN);
            assert!(
                priced > 0.0 && priced < COST,
                "{how}, line {which}: {totals}"
            );
        }
    }
    // Across files: the response unreadable on both its lines in one, read whole in a resumed
    // copy (another session): still unknown, by `--summary` on 1 to 3 threads, with the files
    // in either order, and by `aegon usage`.
    let unread = case(&dir, "unread-both", |o| {
        if o["message"]["id"] == "msg_011Cdiaq8zj4gmnvXpfCTvZn" {
            o["message"]["usage"] = json!({});
        }
    });
    let copy = case(&dir, "copy", |o| {
        o["sessionId"] = json!("33333333-2222-3333-4444-555555555555");
        o["timestamp"] = json!("2030-01-01T00:00:00.000Z");
    });
    for threads in ["1", "2", "3"] {
        for files in [[&unread, &copy], [&copy, &unread]] {
            let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
                .args(["--summary", "--json", "-j", threads])
                .args(files)
                .output()
                .expect("run aegon");
            let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
            let t = &json["totals"];
            assert_eq!(t["api_calls"], CALLS, "-j {threads}");
            assert_eq!(t["tokens"]["output"], OUTPUT, "-j {threads}");
            assert_eq!(t["cost_usd"], Value::Null, "-j {threads}: {t}");
        }
    }
    let data = common::temp_dir("shapes-unread-copy-index");
    for (how, totals) in [
        ("--no-index", usage_totals(&[&unread, &copy], None)),
        ("index", usage_totals(&[&unread, &copy], Some(data.path()))),
    ] {
        assert_eq!(totals["apiCalls"], CALLS, "{how}: {totals}");
        assert_eq!(totals["totalCost"], Value::Null, "{how}: {totals}");
    }
    let a = case(&dir, "a", |_| {});
    let b = case(&dir, "b", |o| {
        o.remove("requestId");
        o["sessionId"] = json!("33333333-2222-3333-4444-555555555555");
    });
    let data = common::temp_dir("shapes-copies-index");
    for (how, totals) in [
        ("--no-index", usage_totals(&[&a, &b], None)),
        ("index", usage_totals(&[&a, &b], Some(data.path()))),
    ] {
        assert_eq!(totals["apiCalls"], CALLS, "{how}: {totals}");
        let usd = totals["totalCost"].as_f64().unwrap_or(f64::NAN);
        assert!((usd - COST).abs() < 5e-5, "{how}: {totals}");
    }
}
