//! The command line, as a user meets it: the built binary run with arguments, files and stdin.
//!
//! Inputs are made by each test (small transcript lines written the way Claude Code writes
//! them, or deliberately broken bytes); stdin is fed from a thread so large inputs cannot
//! deadlock against a full stdout pipe.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use common::{feed_stdin, output_with_stdin, temp_dir, Reads};

/// A user prompt, a tool call and its result, and the usage of the response (made by the test).
const SESSION: &str = concat!(
    r#"{"type":"user","sessionId":"s1","uuid":"u1","timestamp":"2026-01-01T10:00:00.000Z","message":{"role":"user","content":"list files"}}"#,
    "\n",
    r#"{"type":"assistant","sessionId":"s1","uuid":"u2","timestamp":"2026-01-01T10:00:01.000Z","requestId":"r1","message":{"id":"m1","model":"claude-opus-4-6","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls"}}],"usage":{"input_tokens":3,"output_tokens":10,"cache_read_input_tokens":100,"cache_creation_input_tokens":0}}}"#,
    "\n",
    r#"{"type":"user","sessionId":"s1","uuid":"u3","timestamp":"2026-01-01T10:00:03.500Z","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"a\nb"}]}}"#,
    "\n",
);

fn aegon() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_aegon"));
    c.env_remove("NO_COLOR").env_remove("COLUMNS");
    c
}

/// Runs aegon with `args`, `stdin` on its standard input (read to the end).
fn run(args: &[&str], stdin: &[u8]) -> Output {
    output_with_stdin(aegon().args(args), stdin, Reads::All)
}

/// [`run`] for a run refused before its input is read whole (a usage error, an input of
/// another format): stdin may be left unread.
fn run_refused(args: &[&str], stdin: &[u8]) -> Output {
    output_with_stdin(aegon().args(args), stdin, Reads::MaybeNotAll)
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn events(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON line"))
        .collect()
}

fn kinds(out: &Output) -> Vec<String> {
    events(out)
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn reads_stdin_when_no_file_is_given_and_for_dash() {
    for args in [&["--ndjson"][..], &["--ndjson", "-"][..]] {
        let out = run(args, SESSION.as_bytes());
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(
            kinds(&out),
            ["user_prompt", "tool_call", "usage", "tool_result"]
        );
        assert!(events(&out)
            .iter()
            .all(|e| e["source"]["file"] == "<stdin>"));
    }
}

#[test]
fn files_are_read_in_order_and_named_in_source() {
    let dir = temp_dir("order");
    let a = write(
        &dir,
        "a.jsonl",
        br#"{"type":"ai-title","aiTitle":"first","sessionId":"a"}
"#,
    );
    let b = write(
        &dir,
        "b.jsonl",
        br#"{"type":"ai-title","aiTitle":"second","sessionId":"b"}
"#,
    );
    let out = run(
        &["--ndjson", &b, &a, "-"],
        br#"{"type":"mode","mode":"normal"}
"#,
    );
    let ev = events(&out);
    let titles: Vec<_> = ev
        .iter()
        .map(|e| {
            (
                e["source"]["file"].as_str().unwrap().to_owned(),
                e["kind"].clone(),
            )
        })
        .collect();
    assert_eq!(titles[0].0, b);
    assert_eq!(titles[1].0, a);
    assert_eq!(titles[2].0, "<stdin>");
    assert_eq!(ev[0]["title"], "second");
}

#[test]
fn tool_results_get_name_and_duration_and_usage_is_summable() {
    let out = run(&["--ndjson"], SESSION.as_bytes());
    let ev = events(&out);
    let result = ev.iter().find(|e| e["kind"] == "tool_result").unwrap();
    assert_eq!(result["tool"], "Bash");
    assert_eq!(result["duration_ms"], 2500);
    assert_eq!(result["preview"], "a\nb");
    let usage = ev.iter().find(|e| e["kind"] == "usage").unwrap();
    assert_eq!(
        (usage["input"].as_u64(), usage["cache_read"].as_u64()),
        (Some(3), Some(100))
    );
}

#[test]
fn usage_of_one_response_counts_once() {
    // Three lines of one response (same message.id and requestId): output grows 10 → 441, then
    // a line with nothing new. Input and cache are repeated on each line, as Claude Code does.
    let line = |block: &str, out: u64| {
        format!(
            r#"{{"type":"assistant","requestId":"r","message":{{"id":"m","model":"claude-sonnet-4-6","content":[{block}],"usage":{{"input_tokens":7,"output_tokens":{out},"cache_read_input_tokens":900,"cache_creation_input_tokens":50}}}}}}"#
        )
    };
    let input = [
        line(r#"{"type":"text","text":"a"}"#, 10),
        line(r#"{"type":"text","text":"b"}"#, 441),
        line(r#"{"type":"text","text":"c"}"#, 441),
    ]
    .join("\n");
    let out = run(&["--ndjson", "-k", "usage"], input.as_bytes());
    let ev = events(&out);
    assert_eq!(ev.len(), 2, "first line, then the increase only: {ev:?}");
    let sum = |f: &str| ev.iter().map(|e| e[f].as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum("output"), 441);
    assert_eq!(sum("input"), 7);
    assert_eq!(sum("cache_read"), 900);
    assert_eq!(sum("cache_write_5m"), 50);
    assert_eq!(ev[0]["increment"], false);
    assert_eq!(ev[1]["increment"], true);
}

#[test]
fn help_and_version() {
    let out = run(&["--help"], b"");
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    for word in [
        "USAGE",
        "EXAMPLES",
        "EXIT STATUS",
        "--ndjson",
        "NO_COLOR",
        "tail -f",
    ] {
        assert!(help.contains(word), "help lacks {word}");
    }
    // watch (and run) has its own help, its options and not the general text.
    for cmd in ["watch", "run"] {
        let out = run(&[cmd, "--help"], b"");
        assert_eq!(out.status.code(), Some(0));
        let help = stdout(&out);
        assert!(help.starts_with("aegon watch — "), "{help}");
        for word in ["--since", "--poll", "--detached", "does not exist yet"] {
            assert!(help.contains(word), "watch help lacks {word}");
        }
        assert!(!help.contains("USAGE OVER TIME"), "{help}");
    }
    let out = run(&["-V"], b"");
    assert_eq!(
        stdout(&out),
        format!("aegon {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2_with_a_hint() {
    for args in [
        &["--frobnicate"][..],
        &["--color", "sometimes"],
        &["--kind", "nope"],
        &["--max-line", "lots"],
    ] {
        let out = run(args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).starts_with("aegon: "),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty());
    }
    assert!(stderr(&run(&["--frobnicate"], b"")).contains("aegon --help"));
    assert!(
        stderr(&run(&["--kind", "nope"], b"")).contains("tool_call"),
        "lists the valid kinds"
    );
}

/// What a fresh user met: `--since` accepted and ignored on files and pipes, `completions
/// --help` an error, a bad `--max-line` refused without saying what a size is.
#[test]
fn since_completions_help_and_sizes_as_a_user_meets_them() {
    let dir = temp_dir("since");
    let file = write(&dir, "s.jsonl", SESSION.as_bytes());
    for (args, stdin) in [
        (&["--since", "1h", &file][..], &b""[..]),
        (&["--summary", "--since", "2h", &file], b""),
        // Nothing named, a pipe read: not the dashboard, so nothing --since would filter.
        (&["--since", "1h"], SESSION.as_bytes()),
        (&["demo", "--since", "1h"], b""),
    ] {
        let out = run_refused(args, stdin);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(
            stderr(&out).starts_with("aegon: --since goes with watch"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let out = run(&["completions", "--help"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("aegon completions bash|zsh|fish"));
    for size in ["0", "-1", "1.5M"] {
        let out = run(&["--max-line", size, &file], b"");
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains(&format!("--max-line: '{size}' is not a size"))
                && stderr(&out).contains("512K, 64M, 1G"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn two_outputs_are_a_usage_error_in_either_order() {
    let outputs = [
        "--ndjson",
        "--plain",
        "--summary",
        "--html",
        "--markdown",
        "--otlp",
    ];
    for a in outputs {
        for b in outputs.iter().filter(|b| **b != a) {
            let out = run_refused(&[a, b], SESSION.as_bytes());
            assert_eq!(out.status.code(), Some(2), "{a} {b}");
            assert!(out.stdout.is_empty(), "{a} {b}: nothing written");
            assert_eq!(
                stderr(&out).lines().next().unwrap_or(""),
                format!(
                    "aegon: {a} and {b} are two outputs; pick one{}",
                    if a == "--otlp" || *b == "--otlp" {
                        " (--otlp-endpoint goes with any)"
                    } else {
                        ""
                    }
                ),
                "{a} {b}"
            );
        }
        // One output named twice is still one output.
        let out = run(&[a, a], SESSION.as_bytes());
        assert_eq!(out.status.code(), Some(0), "{a} {a}: {}", stderr(&out));
    }
    // The short -s is --summary, and --json goes with it.
    let out = run_refused(&["-s", "--html"], SESSION.as_bytes());
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["--summary", "--json"], SESSION.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let _: Value = serde_json::from_slice(&out.stdout).unwrap();
}

#[test]
fn a_missing_file_exits_2_but_the_others_are_read() {
    let dir = temp_dir("missing");
    let good = write(&dir, "good.jsonl", SESSION.as_bytes());
    let missing = dir.join("nope.jsonl").to_string_lossy().into_owned();
    let out = run(&["--ndjson", &missing, &good], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&missing), "{}", stderr(&out));
    assert_eq!(kinds(&out).len(), 4, "the good file is still read");
}

#[test]
fn a_directory_means_its_transcripts_and_an_empty_one_is_reported() {
    let dir = temp_dir("dir");
    let out = run(&[dir.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no .jsonl transcript"),
        "{}",
        stderr(&out)
    );
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    write(&dir.join("sub"), "s.jsonl", SESSION.as_bytes());
    write(&dir, "notes.txt", b"not a transcript");
    let out = run(&["--ndjson", dir.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(kinds(&out).len(), 4);
}

/// Stdin's pipe is widened to 1 MiB (`F_SETPIPE_SZ`) when it is narrower, and a pipe already
/// wider is left as it is (the call also shrinks): a writer that widened its pipe keeps its lead.
#[cfg(target_os = "linux")]
#[test]
fn stdin_pipe_is_widened_never_narrowed() {
    use std::io::BufRead;
    const MIB: usize = 1 << 20;
    // (size the test gives the pipe, or None for the kernel's default; size expected after).
    let cases: [(Option<usize>, usize); 2] = [(None, MIB), (Some(4 * MIB), 4 * MIB)];
    for (given, expected) in cases {
        // Close-on-exec: aegon must not inherit the write end, or it would never see the end.
        let (read_end, write_end) =
            rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap();
        if let Some(size) = given {
            // Past /proc/sys/fs/pipe-max-size only with CAP_SYS_RESOURCE: without it, there is
            // no wider pipe to keep, and this case cannot be set up.
            if rustix::pipe::fcntl_setpipe_size(&write_end, size).is_err() {
                eprintln!("skipped: a {size}-byte pipe needs CAP_SYS_RESOURCE");
                continue;
            }
        }
        let mut child = aegon()
            .arg("--ndjson")
            .stdin(Stdio::from(read_end))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut writer = std::fs::File::from(write_end);
        writer
            .write_all(SESSION.lines().next().unwrap().as_bytes())
            .unwrap();
        writer.write_all(b"\n").unwrap();
        // The event is written after the read that got its line, which follows the widening.
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        assert!(first.contains("user_prompt"), "{first}");
        let size = rustix::pipe::fcntl_getpipe_size(&writer).unwrap();
        drop(writer);
        assert!(child.wait().unwrap().success());
        assert_eq!(size, expected, "pipe given {given:?}");
    }
}

#[test]
fn a_closed_pipe_ends_quietly_with_0() {
    // Twenty thousand turns, each its own (an entry written twice would count once).
    let mut input = String::new();
    for turn in 0..20_000 {
        input.push_str(
            &SESSION
                .replace("\"u1\"", &format!("\"u1-{turn}\""))
                .replace("\"u2\"", &format!("\"u2-{turn}\""))
                .replace("\"u3\"", &format!("\"u3-{turn}\""))
                .replace("\"t1\"", &format!("\"t1-{turn}\""))
                .replace("\"m1\"", &format!("\"m1-{turn}\"")),
        );
    }
    for args in [&["--ndjson"][..], &["--color", "never"]] {
        let mut child = aegon()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // aegon stops when its output is closed, its input maybe not read whole.
        let feeder = feed_stdin(&mut child, input.as_bytes(), Reads::MaybeNotAll);
        // Read one line, then close our end: what `| head -1` does.
        let mut out = child.stdout.take().unwrap();
        let mut first = [0u8; 64];
        out.read_exact(&mut first).unwrap();
        drop(out);
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        feeder.finish();
        assert_eq!(status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: stderr {err:?}");
    }
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let has_esc = |out: &Output| out.stdout.contains(&0x1b);
    assert!(
        !has_esc(&run(&[], SESSION.as_bytes())),
        "auto on a pipe: no colour"
    );
    assert!(!has_esc(&run(&["--color", "never"], SESSION.as_bytes())));
    assert!(has_esc(&run(&["--color", "always"], SESSION.as_bytes())));
    let forced = output_with_stdin(
        aegon().args(["--color", "always"]).env("NO_COLOR", "1"),
        SESSION.as_bytes(),
        Reads::All,
    );
    assert!(has_esc(&forced), "--color always overrides NO_COLOR");
}

/// Runs `input` and returns (exit code, stderr, NDJSON events).
fn bad(input: &[u8], args: &[&str]) -> (Option<i32>, String, Vec<Value>) {
    let mut all = vec!["--ndjson"];
    all.extend_from_slice(args);
    let out = run(&all, input);
    (out.status.code(), stderr(&out), events(&out))
}

fn malformed(ev: &[Value]) -> Vec<&Value> {
    ev.iter().filter(|e| e["kind"] == "malformed").collect()
}

#[test]
fn malformed_json_is_reported_with_line_and_offset_and_the_rest_is_read() {
    // The first prompt again, as a new entry (the same uuid would count once).
    let input = format!(
        "{}{{\"type\":\"user\",}}\n{}",
        SESSION[..SESSION.find('\n').unwrap() + 1].replace("\"u1\"", "\"u0\""),
        SESSION
    );
    let (code, err, ev) = bad(input.as_bytes(), &[]);
    assert_eq!(code, Some(1));
    let m = malformed(&ev);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0]["reason"], "invalid_json");
    assert_eq!(m[0]["source"]["line"], 2);
    let line2_offset = SESSION.find('\n').unwrap() as u64 + 1;
    assert_eq!(m[0]["source"]["offset"].as_u64(), Some(line2_offset));
    assert_eq!(m[0]["error_offset"].as_u64(), Some(line2_offset + 15));
    assert!(
        err.contains(&format!(
            "<stdin>:2: byte {}: invalid JSON",
            line2_offset + 15
        )),
        "{err}"
    );
    assert!(err.contains("1 problem line of 5"), "{err}");
    // Everything after the bad line is still there.
    assert_eq!(ev.iter().filter(|e| e["kind"] == "tool_result").count(), 1);
    assert_eq!(ev.iter().filter(|e| e["kind"] == "user_prompt").count(), 2);
}

#[test]
fn a_truncated_last_line_is_reported_as_truncated() {
    let input = format!("{SESSION}{{\"type\":\"assistant\",\"message\":{{\"id\":\"m");
    let (code, err, ev) = bad(input.as_bytes(), &[]);
    assert_eq!(code, Some(1));
    let m = malformed(&ev);
    assert_eq!(m[0]["reason"], "truncated");
    assert_eq!(m[0]["source"]["line"], 4);
    assert!(err.contains("<stdin>:4: byte"), "{err}");
    assert_eq!(ev.len(), 5, "the 4 events before it and the report");
}

#[test]
fn a_last_line_without_newline_but_complete_is_fine() {
    let input = SESSION.trim_end();
    let (code, err, ev) = bad(input.as_bytes(), &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(ev.len(), 4);
}

#[test]
fn invalid_utf8_is_reported_and_the_line_still_read() {
    let mut input = br#"{"type":"user","message":{"content":"caf"#.to_vec();
    input.push(0xE9);
    input.extend_from_slice(b"\"}}\n");
    input.extend_from_slice(SESSION.as_bytes());
    let (code, err, ev) = bad(&input, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(ev[0]["kind"], "malformed");
    assert_eq!(ev[0]["reason"], "invalid_utf8");
    assert_eq!(ev[0]["recovered"], true);
    assert_eq!(ev[0]["error_offset"], 40);
    assert_eq!(ev[1]["kind"], "user_prompt");
    assert_eq!(ev[1]["text"], "caf\u{FFFD}");
    assert!(err.contains("<stdin>:1: byte 40: invalid UTF-8"), "{err}");
    assert!(err.contains("0 lines lost"), "{err}");
    assert_eq!(ev.len(), 2 + 4);
}

#[test]
fn nul_bytes_are_reported() {
    let input = format!("\0\0\0\0\n{SESSION}");
    let (code, err, ev) = bad(input.as_bytes(), &[]);
    assert_eq!(code, Some(1));
    assert_eq!(ev[0]["reason"], "nul_bytes");
    assert!(err.contains("<stdin>:1: byte 0: 4 NUL bytes"), "{err}");
    assert_eq!(ev.len(), 1 + 4);
}

#[test]
fn an_over_long_line_is_skipped_and_reported() {
    let long = format!(
        r#"{{"type":"user","message":{{"content":"{}"}}}}"#,
        "x".repeat(5000)
    );
    let input = format!("{long}\n{SESSION}");
    let (code, err, ev) = bad(input.as_bytes(), &["--max-line", "1K"]);
    assert_eq!(code, Some(1));
    assert_eq!(ev[0]["reason"], "too_long");
    assert_eq!(ev[0]["len"].as_u64(), Some(long.len() as u64));
    assert!(err.contains("<stdin>:1: byte 0: line of"), "{err}");
    assert!(err.contains("--max-line"), "{err}");
    assert_eq!(ev.len(), 1 + 4);
    assert_eq!(ev[1]["source"]["line"], 2);
}

#[test]
fn an_empty_file_is_noted_and_is_not_an_error() {
    let dir = temp_dir("empty");
    let empty = write(&dir, "empty.jsonl", b"");
    let out = run(&["--ndjson", &empty], b"");
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("empty (0 bytes)"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let quiet = run(&["-q", &empty], b"");
    assert!(stderr(&quiet).is_empty());
}

#[test]
fn a_binary_file_is_counted_not_a_crash() {
    // Pseudo-random bytes (xorshift), with some newlines among them.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let dir = temp_dir("binary");
    let path = write(&dir, "blob.jsonl", &bytes);
    let out = run(&["--ndjson", &path], b"");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let per_line = err.lines().filter(|l| l.contains(": byte ")).count();
    assert!(
        per_line <= 10,
        "at most 10 lines reported one by one, got {per_line}"
    );
    assert!(
        err.lines().last().unwrap().contains("problem line"),
        "a summary ends the report: {err}"
    );
    let lines = bytes.iter().filter(|&&b| b == b'\n').count();
    assert!(lines > 10, "the input has many lines ({lines})");
    assert!(!err.contains("panicked"));
}

#[test]
fn a_utf16_file_is_refused_with_the_fix() {
    let dir = temp_dir("utf16");
    let mut bytes = vec![0xFF, 0xFE];
    for u in "{\"type\":\"mode\",\"mode\":\"normal\"}\n".encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let path = write(&dir, "windows.jsonl", &bytes);
    let out = run(&[&path], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("UTF-16") && stderr(&out).contains("iconv"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn quiet_keeps_only_the_summary() {
    let input = "not json\nalso not json\n";
    let out = run(&["-q"], input.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("2 problem lines"), "{err}");
}

#[test]
fn kind_filters() {
    let only = run(&["--ndjson", "-k", "tool_call"], SESSION.as_bytes());
    assert_eq!(kinds(&only), ["tool_call"]);
    let skip = run(&["--ndjson", "-x", "usage,tool_call"], SESSION.as_bytes());
    assert_eq!(kinds(&skip), ["user_prompt", "tool_result"]);
}

/// Escape sequences of every kind, as a hostile tool output, prompt or file name could hold.
const HOSTILE: &str = r#"red \u001b[31mX\u001b[0m clip \u001b]52;c;aGVsbG8=\u0007 link \u001b]8;;http://x\u001b\\y\u001b]8;;\u001b\\ up \u001b[2A\u001b[2J c1 \u009b31m bell \u0007 del \u007f bidi \u202e end"#;

fn hostile_session() -> String {
    [
        format!(r#"{{"type":"user","sessionId":"s","message":{{"content":"{HOSTILE}"}}}}"#),
        format!(
            r#"{{"type":"assistant","sessionId":"s","message":{{"id":"m","model":"x","content":[{{"type":"tool_use","id":"t","name":"Read","input":{{"file_path":"/tmp/{HOSTILE}"}}}},{{"type":"text","text":"{HOSTILE}"}}]}}}}"#
        ),
        format!(
            r#"{{"type":"user","sessionId":"s","message":{{"content":[{{"type":"tool_result","tool_use_id":"t","content":"{HOSTILE}","is_error":true}}]}}}}"#
        ),
        format!(r#"{{"type":"system","subtype":"local_command","sessionId":"s","content":"{HOSTILE}"}}"#),
    ]
    .join("\n")
}

#[test]
fn escape_sequences_from_transcripts_never_reach_the_terminal() {
    let input = hostile_session();
    let never = run(&["--color", "never"], input.as_bytes());
    assert_eq!(never.status.code(), Some(0), "{}", stderr(&never));
    let text = stdout(&never);
    assert_eq!(text.lines().count(), 5, "{text}");
    for bad in ['\u{1b}', '\u{7}', '\u{7f}', '\u{9b}', '\u{202e}'] {
        assert!(!text.contains(bad), "{bad:?} reached the output: {text}");
    }
    assert!(text.contains("␛[31mX"), "shown as visible symbols: {text}");

    let always = run(&["--color", "always"], input.as_bytes());
    let text = stdout(&always);
    // Remove aegon's own SGR colour sequences: nothing escape-like may remain.
    let mut rest = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            let mut seq = String::new();
            for d in chars.by_ref() {
                seq.push(d);
                if !(d.is_ascii_digit() || d == ';') {
                    break;
                }
            }
            assert!(
                seq.ends_with('m'),
                "a non-colour sequence ESC[{seq} was written"
            );
            continue;
        }
        rest.push(c);
    }
    assert!(
        !rest.contains('\u{1b}') && !rest.contains('\u{7}') && !rest.contains('\u{9b}'),
        "{rest}"
    );
}

#[test]
fn hostile_file_names_in_reports_are_inert() {
    let dir = temp_dir("names");
    let path = write(&dir, "evil\u{1b}[2Jname.jsonl", b"not json\n");
    let out = run(&[&path], b"");
    let err = stderr(&out);
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert!(err.contains("evil␛[2Jname.jsonl:1: byte 0"), "{err}");
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&["completions", shell], b"");
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        assert!(
            stdout(&out).contains("ndjson") && stdout(&out).contains("replay"),
            "{shell}"
        );
    }
    let out = run(&["completions", "tcsh"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bash, zsh, fish"), "{}", stderr(&out));
    let out = run(&["man"], b"");
    assert!(out.status.success());
    let page = stdout(&out);
    assert!(page.starts_with(".TH AEGON 1"), "{page}");
    for section in [".SH OPTIONS", ".SH EXIT STATUS", ".SH DASHBOARD"] {
        assert!(page.contains(section), "{section} missing");
    }
    assert!(page.contains(".B \\-\\-ndjson"), "options are roff items");
}

#[test]
fn a_format_forced_on_another_agents_file_is_an_input_error_that_says_where() {
    // A real Claude Code transcript (fixtures/corpus) read as a Codex rollout, after two
    // blank lines: the first line not understood is line 3, at byte 2.
    let corpus = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/corpus/apanloco__random__session.jsonl"
    );
    let mut bytes = b"\n\n".to_vec();
    bytes.extend_from_slice(&std::fs::read(corpus).unwrap());
    let first: Value =
        serde_json::from_slice(bytes[2..].split(|&b| b == b'\n').next().unwrap()).unwrap();
    assert!(
        first["type"].is_string() && first["sessionId"].is_string(),
        "a Claude record"
    );
    let dir = temp_dir("misfit");
    let claude = write(&dir, "claude.jsonl", &bytes);
    let good = write(&dir, "good.jsonl", SESSION.as_bytes());
    for args in [
        vec!["--ndjson", "--format", "codex", &claude, &good],
        vec!["--summary", "--json", "--format", "codex", &claude, &good],
    ] {
        let out = run(&args, b"");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: as unreadable inputs do"
        );
        let err = stderr(&out);
        assert!(
            err.contains(&format!("{claude}: line 3, byte 2: --format codex"))
                && err.contains("claude-code record"),
            "{err}"
        );
        // The other file is still read (as a Codex rollout it is not: also reported).
        assert!(err.contains(&format!("{good}: line 1, byte 0")), "{err}");
    }
    // The same through stdin, and the right format reads it.
    let out = run_refused(&["--ndjson", "--format", "qwen"], &bytes);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("<stdin>: line 3, byte 2"),
        "{}",
        stderr(&out)
    );
    let out = run(&["--ndjson", "--format", "claude", &claude], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!kinds(&out).is_empty());
}

#[test]
fn a_wrong_format_is_told_past_a_damaged_first_line() {
    // The same real Claude Code transcript behind a first line of garbage (NUL padding a crash
    // left, then text) and a record cut off: the first line that is JSON decides, and says
    // where it is.
    let corpus = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/corpus/apanloco__random__session.jsonl"
    );
    let garbage = b"\0\0\0 not a record\n{\"type\":\"user\",\"sess\n".to_vec();
    let mut bytes = garbage.clone();
    bytes.extend_from_slice(&std::fs::read(corpus).unwrap());
    let dir = temp_dir("misfit-garbage");
    let claude = write(&dir, "claude.jsonl", &bytes);
    for format in ["codex", "copilot", "qwen", "gemini-jsonl", "opencode"] {
        let out = run(&["--ndjson", "--format", format, &claude], b"");
        assert_eq!(out.status.code(), Some(2), "{format}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "{claude}: line 3, byte {}: --format {format}",
                garbage.len()
            )) && err.contains("claude-code record"),
            "{format}: {err}"
        );
        assert!(kinds(&out).is_empty(), "{format}: nothing read");
    }
    // The right format reads it, and reports the two damaged lines.
    let out = run(&["--ndjson", "--format", "claude", &claude], b"");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        kinds(&out)
            .iter()
            .filter(|k| k.as_str() == "malformed")
            .count(),
        2
    );
}
