//! Hostile inputs, each through the real binary: no panic, bounded memory, a clear message
//! that says where, and everything else still read. (NUL bytes, binary files, over-long and
//! truncated lines, UTF-16 and escape sequences in text and file names are in `cli.rs`; a file
//! truncated while followed in `source/follow.rs`; the dashboard's screen in aegon-lib's tests.)

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use common::temp_dir;

fn prompt(session: &str, text: &str) -> String {
    format!(
        r#"{{"type":"user","sessionId":"{session}","timestamp":"2026-01-01T10:00:00.000Z","message":{{"role":"user","content":"{text}"}}}}"#
    )
}

/// Runs aegon with `args` under GNU time when it is there; returns the output and the peak
/// RSS in MB (`None` without GNU time).
fn run_measured(args: &[&std::ffi::OsStr]) -> (Output, Option<f64>) {
    let time = Path::new("/usr/bin/time");
    let dir = temp_dir("rss");
    let report = dir.join("rss");
    let mut command = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-f").arg("%M").arg("-o").arg(&report);
        c.arg(env!("CARGO_BIN_EXE_aegon"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_aegon"))
    };
    let out = command.args(args).stdin(Stdio::null()).output().unwrap();
    let rss = std::fs::read_to_string(&report)
        .ok()
        .and_then(|t| t.trim().lines().last()?.parse::<f64>().ok())
        .map(|kb| kb / 1024.0);
    (out, rss)
}

fn events(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_50_mb_line_is_reported_and_skipped_in_bounded_memory() {
    let dir = temp_dir("huge");
    let file = dir.join("s.jsonl");
    let mut f = std::fs::File::create(&file).unwrap();
    writeln!(f, "{}", prompt("s", "before")).unwrap();
    let huge = "x".repeat(50 << 20);
    writeln!(f, "{}", prompt("s", &huge)).unwrap();
    writeln!(f, "{}", prompt("s", "after")).unwrap();
    drop(f);
    let (out, rss) = run_measured(&["--ndjson".as_ref(), file.as_os_str()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let ev = events(&out);
    let texts: Vec<&str> = ev.iter().filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(texts, ["before", "after"]);
    assert!(ev.iter().any(|e| e["reason"] == "too_long"));
    let err = stderr(&out);
    assert!(
        err.contains("s.jsonl:2: byte 116: line of 52428909 bytes is longer than the limit"),
        "{err}"
    );
    assert!(err.contains("--max-line"), "{err}");
    if let Some(mb) = rss {
        assert!(
            mb < 48.0,
            "peak RSS {mb:.1} MB for a 50 MB line that is skipped"
        );
    }
    // Allowed by --max-line, it is read whole.
    let (out, _) = run_measured(&[
        "--ndjson".as_ref(),
        "--max-line".as_ref(),
        "64M".as_ref(),
        file.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(events(&out).len(), 3);
}

#[test]
fn a_million_tiny_lines_are_all_counted_in_bounded_memory() {
    let dir = temp_dir("million");
    let file = dir.join("s.jsonl");
    let line = format!("{}\n", prompt("s", "p"));
    std::fs::write(&file, line.repeat(1_000_000)).unwrap();
    let (out, rss) = run_measured(&["--summary".as_ref(), "--json".as_ref(), file.as_os_str()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["sessions"][0]["prompts"], 1_000_000);
    if let Some(mb) = rss {
        assert!(mb < 32.0, "peak RSS {mb:.1} MB for a million lines");
    }
}

#[test]
fn json_nested_too_deep_is_one_malformed_line() {
    let dir = temp_dir("deep");
    let file = dir.join("s.jsonl");
    let deep = format!(
        r#"{{"type":"user","sessionId":"s","message":{{"role":"user","content":{}1{}}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let content = format!("{}\n{deep}\n{}\n", prompt("s", "a"), prompt("s", "b"));
    std::fs::write(&file, content).unwrap();
    let (out, _) = run_measured(&["--ndjson".as_ref(), file.as_os_str()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let ev = events(&out);
    let texts: Vec<&str> = ev.iter().filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(texts, ["a", "b"]);
    let bad: Vec<&Value> = ev.iter().filter(|e| e["kind"] == "malformed").collect();
    assert_eq!(bad.len(), 1, "{ev:?}");
    assert_eq!(bad[0]["source"]["line"], 2);
    assert!(
        stderr(&out).contains("s.jsonl:2: byte "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn invalid_utf8_inside_a_string_is_replaced_and_counted() {
    let dir = temp_dir("utf8");
    let file = dir.join("s.jsonl");
    let mut bytes = prompt("s", "caf\u{e9}").into_bytes();
    let at = bytes.windows(2).position(|w| w == "é".as_bytes()).unwrap();
    bytes.splice(at..at + 2, [0xff, 0xfe]);
    bytes.push(b'\n');
    bytes.extend_from_slice(format!("{}\n", prompt("s", "next")).as_bytes());
    std::fs::write(&file, bytes).unwrap();
    let (out, _) = run_measured(&["--ndjson".as_ref(), file.as_os_str()]);
    let ev = events(&out);
    let texts: Vec<&str> = ev.iter().filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(texts, ["caf\u{fffd}\u{fffd}", "next"], "{ev:?}");
    assert!(ev
        .iter()
        .any(|e| e["reason"] == "invalid_utf8" && e["recovered"] == true));
    assert_eq!(out.status.code(), Some(1));
}

/// Counts beyond 2^53 (damage: no response comes near) and negative ones are read as no count:
/// no overflow, no trillion-dollar total, and the responses are still counted.
#[test]
fn absurd_token_counts_are_no_count_instead_of_overflowing() {
    let dir = temp_dir("tokens");
    let file = dir.join("s.jsonl");
    let mut content = String::new();
    for i in 0..3 {
        content.push_str(&format!(
            r#"{{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T10:00:0{i}.000Z","message":{{"id":"m{i}","model":"claude-opus-4-6","content":[{{"type":"text","text":"x"}}],"usage":{{"input_tokens":18446744073709551615,"output_tokens":18446744073709551615,"cache_read_input_tokens":1e300,"cache_creation_input_tokens":-7}}}}}}"#
        ));
        content.push('\n');
    }
    std::fs::write(&file, content).unwrap();
    for args in [
        &["--summary", "--json"][..],
        &["--summary"],
        &["--ndjson"],
        &[],
    ] {
        let mut all: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
        all.push(file.as_os_str());
        let (out, _) = run_measured(&all);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            stderr(&out)
        );
        if args == ["--summary", "--json"] {
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            let totals = &doc["totals"];
            for kind in [
                "input",
                "output",
                "cache_read",
                "cache_write_5m",
                "cache_write_1h",
            ] {
                assert_eq!(totals["tokens"][kind], 0, "{kind}");
            }
            // No count could be read: the responses are calls of unknown cost, not $0.
            assert_eq!(totals["cost_usd"], Value::Null);
            assert_eq!(totals["api_calls"], 3);
        }
    }
}

#[test]
fn timestamps_missing_malformed_or_out_of_order_do_not_break_timing() {
    let dir = temp_dir("time");
    let file = dir.join("s.jsonl");
    let call = |ts: &str, id: &str| {
        format!(
            r#"{{"type":"assistant","sessionId":"s",{ts}"message":{{"id":"m{id}","model":"claude-opus-4-6","content":[{{"type":"tool_use","id":"{id}","name":"Bash","input":{{"command":"ls"}}}}]}}}}"#
        )
    };
    let result = |ts: &str, id: &str| {
        format!(
            r#"{{"type":"user","sessionId":"s",{ts}"message":{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"{id}","content":"ok"}}]}}}}"#
        )
    };
    let lines = [
        call(r#""timestamp":"2026-01-01T10:00:05.000Z","#, "a"),
        result(r#""timestamp":"2026-01-01T10:00:01.000Z","#, "a"), // before its call
        call("", "b"),                                             // no timestamp
        result(r#""timestamp":"yesterday","#, "b"),                // not a timestamp
        call(r#""timestamp":"2026-13-45T99:99:99Z","#, "c"),       // impossible
        result(r#""timestamp":"2026-01-01T10:00:09.000Z","#, "c"),
    ];
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let (out, _) = run_measured(&["--ndjson".as_ref(), file.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let durations: Vec<Value> = events(&out)
        .iter()
        .filter(|e| e["kind"] == "tool_result")
        .map(|e| e["duration_ms"].clone())
        .collect();
    // A result stamped before its call took 0 ms (lines are not strictly time-ordered), never
    // a negative or wrapped-around time; a missing or impossible time gives no duration.
    assert_eq!(durations, [Value::from(0), Value::Null, Value::Null]);
    let (out, _) = run_measured(&["--summary".as_ref(), "--json".as_ref(), file.as_os_str()]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["sessions"][0]["tool_calls"], 3);
    assert!(doc["sessions"][0]["duration_ms"].as_u64().is_some());
}

#[test]
fn a_tree_of_10000_files_with_a_symlink_loop_a_pipe_and_a_broken_link() {
    let dir = temp_dir("tree");
    for i in 0..10_000 {
        let sub = dir.join(format!("p{:03}", i / 100));
        if i % 100 == 0 {
            std::fs::create_dir_all(&sub).unwrap();
        }
        std::fs::write(
            sub.join(format!("s{i}.jsonl")),
            prompt(&format!("s{i}"), "hi") + "\n",
        )
        .unwrap();
    }
    std::os::unix::fs::symlink(&dir, dir.join("p000/loop")).unwrap();
    std::os::unix::fs::symlink(dir.join("gone.jsonl"), dir.join("p000/broken.jsonl")).unwrap();
    let fifo = dir.join("p000/pipe.jsonl");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let (out, rss) = run_measured(&["--summary".as_ref(), "--json".as_ref(), dir.as_os_str()]);
    let err = stderr(&out);
    assert!(
        err.contains("broken.jsonl: a broken symbolic link"),
        "{err}"
    );
    assert!(err.contains("pipe.jsonl: not a regular file"), "{err}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["totals"]["sessions"], 10_000,
        "every file, once (no loop)"
    );
    if let Some(mb) = rss {
        // 10,000 sessions: about 8 KB each since each session keeps its cost explained (per
        // prompt, per chain; 82 MB measured on 2026-11-29, 38 MB before), so the bound is on
        // growth with sessions, not with bytes read.
        assert!(mb < 112.0, "peak RSS {mb:.1} MB for 10,000 files");
    }
    // Watched: every file's history arrives, the same problems are said, nothing hangs.
    let mut child = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["watch", "--ndjson", "--since", "all"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout)
            .lines()
            .take(10_000)
            .filter(|l| l.as_ref().is_ok_and(|l| l.contains("\"user_prompt\"")))
            .count()
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !reader.is_finished() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        reader.join().unwrap(),
        10_000,
        "prompts of every watched file"
    );
    let err = stderr(&out);
    assert!(err.contains("pipe.jsonl: not a regular file"), "{err}");
    assert!(
        err.contains("broken.jsonl: a broken symbolic link"),
        "{err}"
    );
}

#[test]
fn aegon_never_writes_to_what_it_reads() {
    let dir = temp_dir("readonly");
    let file = dir.join("s.jsonl");
    std::fs::write(&file, prompt("s", "hi") + "\n").unwrap();
    let mut perms = std::fs::metadata(&file).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&file, perms).unwrap();
    let before = (
        std::fs::read(&file).unwrap(),
        std::fs::metadata(&file).unwrap().modified().unwrap(),
    );
    for args in [&["--ndjson"][..], &["--summary"], &["--plain"]] {
        let mut all: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
        all.push(file.as_os_str());
        let (out, _) = run_measured(&all);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    // Followed and watched for a moment, then stopped.
    for args in [vec!["-f", "--ndjson"], vec!["watch", "--ndjson"]] {
        let target = if args[0] == "watch" {
            dir.path()
        } else {
            &file
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_aegon"))
            .args(&args)
            .arg(target)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let after = (
        std::fs::read(&file).unwrap(),
        std::fs::metadata(&file).unwrap().modified().unwrap(),
    );
    assert_eq!(before, after, "the transcript changed");
}
