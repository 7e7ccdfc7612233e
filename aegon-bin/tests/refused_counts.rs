//! A token count that is not one (beyond 2^53, negative, fractional, a string) in each agent's
//! format: read as 0, the rest of its record read, and the record reported as partly read with
//! its line, byte and field (exit 1, as any problem line). The files are real (fixtures/corpus
//! and fixtures/agents, see their READMEs); one count in each is rewritten here. The right
//! values come from the same file with that count written as `0` (what a refused count must be
//! read as), and the place of the count from the rewritten text itself.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;

/// One count to damage: the file, the strings that lead to it (each found after the last), the
/// member's key, and the field aegon names.
struct Case {
    file: PathBuf,
    start: usize,
    anchors: &'static [&'static str],
    key: &'static str,
    field: &'static str,
    /// A pretty-printed document (the count many lines below its message's start).
    document: bool,
}

fn agent(path: &str) -> PathBuf {
    common::root().join("fixtures/agents").join(path)
}

fn cases() -> Vec<Case> {
    // Claude Code: an assistant line that is its response's only line (a response's output is
    // the largest of its lines', so only there is 2^53 written plainly what is counted).
    let claude = common::fixture("AlexandreVassard__will-it-rain__claude.jsonl");
    let text = std::fs::read_to_string(&claude).unwrap();
    let id = |l: &str| -> Option<String> {
        let v: Value = serde_json::from_str(l).ok()?;
        Some(v["message"]["id"].as_str()?.to_owned())
    };
    let ids: Vec<Option<String>> = text.lines().map(id).collect();
    let mut start = 0;
    let mut found = false;
    for (i, line) in text.lines().enumerate() {
        let unique = ids[i].is_some() && ids.iter().filter(|x| **x == ids[i]).count() == 1;
        if unique && line.contains("\"output_tokens\":") && !line.contains("\"iterations\"") {
            found = true;
            break;
        }
        start += line.len() + 1;
    }
    assert!(found, "an assistant line of its own");
    vec![
        Case {
            file: claude,
            start,
            anchors: &["\"usage\":"],
            key: "\"output_tokens\":",
            field: "message.usage.output_tokens",
            document: false,
        },
        Case {
            file: agent("codex/0h-n0__local-voice-assistant-codex__.codex__sessions__2025__12__25__rollout-2025-12-25T22-45-23-019b55c1-d022-7061-bbb9-b0c90708472b.jsonl"),
            start: 0,
            anchors: &["\"token_count\",\"info\":{", "\"last_token_usage\":"],
            key: "\"output_tokens\":",
            field: "payload.info.last_token_usage.output_tokens",
            document: false,
        },
        Case {
            file: agent("copilot/LAF-US__IDAHO-VAULT__.copilot__session-state__252d6b6b-aaad-4790-8254-7ada091ee9fc__events.jsonl"),
            start: 0,
            anchors: &["\"assistant.message\""],
            key: "\"outputTokens\":",
            field: "data.outputTokens",
            document: false,
        },
        Case {
            file: agent("qwen/artas-linux__dotfiles__.qwen__projects__-home-archbtw__chats__9a578cd0-ad2c-423c-8f19-95412a2d81af.jsonl"),
            start: 0,
            anchors: &["\"usageMetadata\":"],
            key: "\"candidatesTokenCount\":",
            field: "usageMetadata.candidatesTokenCount",
            document: false,
        },
        Case {
            file: agent("gemini/Ju-l-e-s__Myflix__.gemini__tmp__ai__chats__session-2026-02-22T10-41-6c9579c5.json"),
            start: 0,
            anchors: &["\"tokens\": {"],
            key: "\"output\":",
            field: "tokens.output",
            document: true,
        },
        Case {
            file: agent("gemini/wingorithm__Vibe-Coding-Comparison-Project__.gemini__tmp__ticketing-vc__chats__session-2026-04-25T08-41-3494a697.jsonl"),
            start: 0,
            anchors: &["\"tokens\":{"],
            key: "\"output\":",
            field: "tokens.output",
            document: false,
        },
        Case {
            file: agent("opencode/w12z__Cap__opencode-session.json"),
            start: 0,
            anchors: &["\"role\": \"assistant\"", "\"tokens\": {"],
            key: "\"output\":",
            field: "info.tokens.output",
            document: true,
        },
    ]
}

/// Where the count's digits are in `text`: (start, end).
fn place(case: &Case, text: &str) -> (usize, usize) {
    let mut at = case.start;
    for a in case.anchors.iter().chain([&case.key]) {
        at += text[at..]
            .find(a)
            .unwrap_or_else(|| panic!("{a} in {}", case.file.display()))
            + a.len();
    }
    at += text[at..].len() - text[at..].trim_start().len();
    let end = at + text[at..].find(|c: char| !c.is_ascii_digit()).unwrap();
    assert!(end > at, "digits at {at} in {}", case.file.display());
    (at, end)
}

struct Run {
    code: i32,
    summary: Value,
    stderr: String,
}

/// `aegon --summary --json` of `case`'s file with its count written as `value`.
fn run(case: &Case, dir: &Path, value: &str) -> (Run, PathBuf, usize) {
    let text = std::fs::read_to_string(&case.file).unwrap();
    let (at, end) = place(case, &text);
    let damaged = format!("{}{value}{}", &text[..at], &text[end..]);
    let path = dir.join(case.file.file_name().unwrap());
    std::fs::write(&path, &damaged).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["--summary", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        summary: serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
        }),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    (run, path, at)
}

/// The run's totals, sessions and API calls (what a count written as 0 must leave as they are).
fn totals(s: &Value) -> Value {
    let t = &s["totals"];
    serde_json::json!([t["tokens"], t["api_calls"], t["sessions"], t["tool_calls"]])
}

#[test]
fn a_count_that_is_not_one_is_zero_and_said_in_every_format() {
    let dir = common::temp_dir("refused-counts");
    for case in cases() {
        let name = case.file.display().to_string();
        let (zero, _, _) = run(&case, &dir, "0");
        assert_eq!(zero.code, 0, "{name}: {}", zero.stderr);
        assert_eq!(zero.summary["malformed_lines"], 0, "{name}");
        for value in [
            "1e300",
            "18446744073709551615",
            "9007199254740993",
            "-5",
            "12.5",
            "\"12\"",
        ] {
            let (got, path, at) = run(&case, &dir, value);
            let what = format!("{name} with {value}");
            // Read as 0, everything else as written.
            assert_eq!(totals(&got.summary), totals(&zero.summary), "{what}");
            // Said once, as a line read in part, exit 1.
            assert_eq!(got.code, 1, "{what}: {}", got.stderr);
            assert_eq!(got.summary["malformed_lines"], 1, "{what}");
            assert_eq!(
                got.summary["malformed_by_reason"]["unexpected_shape"], 1,
                "{what}"
            );
            let text = std::fs::read_to_string(&path).unwrap();
            let line = text[..at].matches('\n').count() + 1;
            let said = format!(
                ": byte {at}: partly read: `{}` {value} is not a token count: read as 0",
                case.field
            );
            let problem = got
                .stderr
                .lines()
                .find(|l| l.contains(&said))
                .unwrap_or_else(|| panic!("{what}: {said} in {}", got.stderr));
            let (head, _) = problem.split_once(&said).unwrap();
            let (file, shown_line) = head.trim_start_matches("aegon: ").rsplit_once(':').unwrap();
            assert_eq!(file, path.display().to_string(), "{what}");
            let shown_line: usize = shown_line.parse().unwrap();
            // The count's own line, in a pretty-printed document too (not its message's
            // first line, many lines above).
            assert_eq!(shown_line, line, "{what}: {problem}");
            if case.document {
                let message_line = text[..at]
                    .rfind("\"id\"")
                    .map(|i| text[..i].matches('\n').count() + 1);
                assert!(
                    message_line.is_some_and(|m| m < line),
                    "{what}: the count is below its message's start, for this to mean anything"
                );
            }
        }
        // 2^53 (written out: 9007199254740992), the largest count, is taken as written.
        let (big, _, _) = run(&case, &dir, "9007199254740992");
        assert_eq!(big.code, 0, "{name}: {}", big.stderr);
        assert_eq!(big.summary["malformed_lines"], 0, "{name}");
        let tokens = |s: &Value| -> u64 {
            let t = &s["totals"]["tokens"];
            [
                "input",
                "output",
                "cache_read",
                "cache_write_5m",
                "cache_write_1h",
            ]
            .iter()
            .map(|k| t[k].as_u64().unwrap())
            .sum()
        };
        assert!(
            tokens(&big.summary) >= 9_007_199_254_740_992,
            "{name}: {}",
            big.summary["totals"]
        );
        let other_counts_move = ["copilot", "ticketing-vc", "opencode"];
        if !other_counts_move.iter().any(|f| name.contains(f)) {
            // Additive: the count alone moves the total. Not so where counts depend on each
            // other: Copilot's shutdown remainder takes back what its messages counted, a
            // Gemini JSONL message is written again as it grows (its largest counts kept), and
            // OpenCode's total decides whether the output holds the reasoning.
            assert_eq!(
                tokens(&big.summary),
                tokens(&zero.summary) + 9_007_199_254_740_992,
                "{name}"
            );
        }
    }
}
