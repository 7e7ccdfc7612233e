//! `--otlp` and `--otlp-endpoint`: the traces' numbers against the summary's, parents that
//! exist, ids once; and a loopback collector that receives every span exactly once, even when
//! it first answers 503. (The official protobuf definitions check the same output in CI:
//! scripts/check_otlp.py.)

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};

use serde_json::Value;

use common::{aegon_stdout, fixtures};

/// Every span of OTLP/JSON request lines.
fn spans_of(requests: &[Value]) -> Vec<Value> {
    requests
        .iter()
        .flat_map(|r| r["resourceSpans"].as_array().cloned().unwrap_or_default())
        .flat_map(|rs| rs["scopeSpans"].as_array().cloned().unwrap_or_default())
        .flat_map(|ss| ss["spans"].as_array().cloned().unwrap_or_default())
        .collect()
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

#[test]
fn traces_count_what_the_summary_counts() {
    let out = aegon_stdout(fixture_args(&["--otlp", "-q"]));
    let requests: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let spans = spans_of(&requests);
    let summary: Value =
        serde_json::from_str(&aegon_stdout(fixture_args(&["--summary", "--json", "-q"]))).unwrap();
    let totals = &summary["totals"];
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

/// The bodies a test collector accepted so far.
type Accepted = std::sync::Arc<std::sync::Mutex<Vec<Value>>>;

/// A collector on a loopback port: answers the first request 503, the rest 200; collects the
/// bodies it accepted (also handed back when it stops).
fn collector() -> (String, Accepted, std::thread::JoinHandle<Vec<Value>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1/traces", listener.local_addr().unwrap());
    let shared: Accepted = Default::default();
    let seen = shared.clone();
    let handle = std::thread::spawn(move || {
        let mut accepted = Vec::new();
        let mut first = true;
        listener.set_nonblocking(false).unwrap();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            let mut path = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if line.starts_with("POST ") {
                    path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            assert_eq!(path, "/v1/traces");
            let status = if first {
                "503 Service Unavailable"
            } else {
                "200 OK"
            };
            stream
                .write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").as_bytes())
                .unwrap();
            if !first {
                let doc: Value = serde_json::from_slice(&body).unwrap();
                if doc.get("stop").is_some() {
                    break;
                }
                seen.lock().unwrap().push(doc.clone());
                accepted.push(doc);
            }
            first = false;
        }
        accepted
    });
    (url, shared, handle)
}

/// Ends a test collector with a request of our own.
fn stop(url: &str) {
    let address = url.trim_start_matches("http://").split('/').next().unwrap();
    let mut s = std::net::TcpStream::connect(address).unwrap();
    let body = br#"{"stop":true}"#;
    write!(
        s,
        "POST /v1/traces HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
}

#[test]
fn a_collector_gets_every_span_once_even_after_a_503() {
    let expected: Vec<Value> = aegon_stdout(fixture_args(&["--otlp", "-q"]))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (url, _, receiver) = collector();
    let mut args = fixture_args(&["--ndjson", "-q", "--otlp-endpoint"]);
    args.insert(3, url.clone().into());
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(&args)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // aegon has waited for its queue to drain before exiting.
    stop(&url);
    let received = receiver.join().unwrap();
    let ids = |spans: Vec<Value>| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = spans
            .iter()
            .map(|s| (s["traceId"].to_string(), s["spanId"].to_string()))
            .collect();
        v.sort();
        v
    };
    let got = ids(spans_of(&received));
    assert!(!got.is_empty());
    assert_eq!(got, ids(spans_of(&expected)), "every span, once");
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
    let (url, accepted, receiver) = collector();
    let command = format!(
        "{} demo --speed 1000000 --otlp-endpoint {url}; sleep 30",
        env!("CARGO_BIN_EXE_aegon")
    );
    let pane = common::tmux::Pane::start("otlp", &command, &[], 100, 30);
    pane.wait_for("end of the recording");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while spans_of(&accepted.lock().unwrap()).len() < want && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    pane.keys(&["q"]);
    stop(&url);
    let received = receiver.join().unwrap();
    assert_eq!(
        spans_of(&received).len(),
        want,
        "every span of the demo, once"
    );
}

#[test]
fn quitting_a_live_dashboard_still_sends_the_sessions_root_spans() {
    let dir = std::env::temp_dir().join(format!("aegon-otlp-quit-{}", std::process::id()));
    let project = dir.join("projects/-p");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::copy(
        common::fixture("apanloco__random__session.jsonl"),
        project.join("a263b894-c8c2-44af-8845-663362b5a201.jsonl"),
    )
    .unwrap();
    let (url, accepted, receiver) = collector();
    let command = format!(
        "{} watch --since all --otlp-endpoint {url} {}; echo EXITED; sleep 30",
        env!("CARGO_BIN_EXE_aegon"),
        dir.join("projects").display()
    );
    let pane = common::tmux::Pane::start("otlp-quit", &command, &[], 100, 30);
    pane.wait_for("hi!");
    let is_root = |s: &Value| s["name"] == "claude_code.session";
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        !spans_of(&accepted.lock().unwrap()).iter().any(is_root),
        "a live session's root span waits for the end"
    );
    pane.keys(&["q"]);
    pane.wait_for("EXITED");
    stop(&url);
    let received = receiver.join().unwrap();
    let spans = spans_of(&received);
    assert_eq!(
        spans.iter().filter(|s| is_root(s)).count(),
        1,
        "the root, once"
    );
    assert!(spans.len() > 30, "{} spans", spans.len());
    let _ = std::fs::remove_dir_all(dir);
}
