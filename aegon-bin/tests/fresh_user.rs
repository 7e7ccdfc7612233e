//! Defects a fresh-user tester found, run through the built binary: stdin that is
//! `/dev/null` (cron, CI, systemd) is not input; offsets reported after invalid UTF-8 are
//! offsets in the file on disk; NUL bytes are told from other control bytes; `-f DIR` follows
//! files created later in DIR; a session named on the command line brings its subagents.
//!
//! Damaged inputs are made by each test, byte by byte, and the right offsets and counts are
//! computed from those bytes (not from aegon's output).

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use common::{
    output_with_stdin, root, session_with_subagents, subagents_session_fixture, temp_dir, Reads,
    SessionWithSubagents, SUBAGENTS_SESSION,
};

fn aegon() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_aegon"));
    c.env_remove("NO_COLOR").env_remove("COLUMNS");
    c
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

/// The malformed events of `--ndjson` over `bytes` written to a file.
fn malformed(name: &str, bytes: &[u8]) -> Vec<Value> {
    let dir = temp_dir(name);
    let file = dir.join("s.jsonl");
    std::fs::write(&file, bytes).unwrap();
    let out = aegon()
        .arg("--ndjson")
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    events(&out)
        .into_iter()
        .filter(|e| e["kind"] == "malformed")
        .collect()
}

/// A clean first line, so that the damaged line does not start at byte 0 and a line offset
/// cannot pass for a file offset.
const FIRST: &[u8] =
    b"{\"type\":\"user\",\"sessionId\":\"s\",\"message\":{\"role\":\"user\",\"content\":\"hi\"}}\n";

#[test]
fn a_control_byte_after_invalid_utf8_is_reported_where_it_is_on_disk() {
    // The tester's mix.jsonl: five 0xFF bytes, then a raw control byte inside the content.
    let mut bytes = FIRST.to_vec();
    bytes.extend_from_slice(
        b"{\"type\": \"user\", \"message\": {\"role\": \"user\", \"content\": \"",
    );
    bytes.extend_from_slice(&[0xFF; 5]);
    bytes.extend_from_slice(b"X\x01Y\"}, \"uuid\": \"u-1\", \"sessionId\": \"s\"}\n");
    let bad = bytes.iter().position(|&b| b == 0xFF).unwrap();
    let control = bytes.iter().position(|&b| b == 0x01).unwrap();
    let m = malformed("mix", &bytes);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0]["error_offset"], bad as u64);
    let message = m[0]["message"].as_str().unwrap();
    // The event's place is the first fault's (the bad byte), said once, by `error_offset`; the
    // second fault is at another place, which its part of the message gives.
    assert!(
        message.starts_with("invalid UTF-8 (first bad byte here): "),
        "{message}"
    );
    assert!(!message.contains(&bad.to_string()), "{message}");
    assert!(
        message.contains(&format!("; byte {control}: partly read: ")),
        "{message}"
    );
}

#[test]
fn nul_bytes_are_counted_apart_from_other_control_bytes() {
    let mut bytes = FIRST.to_vec();
    bytes.extend_from_slice(b"{\"type\":\"user\"\x00\x01\x02\x03\x04\x05}\n");
    let line = &bytes[FIRST.len()..];
    let nuls = line.iter().filter(|&&b| b == 0).count();
    let controls = line.iter().filter(|&&b| b < 0x20 && b != b'\n').count();
    let first = FIRST.len() + line.iter().position(|&b| b < 0x20).unwrap();
    assert_eq!((nuls, controls - nuls), (1, 5));
    let m = malformed("nul", &bytes);
    assert_eq!(m.len(), 1, "{m:?}");
    let message = m[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("1 NUL byte and 5 other control bytes and no complete record"),
        "{message}"
    );
    assert!(!message.contains(&first.to_string()), "{message}");
    assert_eq!(m[0]["error_offset"], first as u64);
}

#[test]
fn binary_after_invalid_utf8_reports_offsets_and_nuls_as_on_disk() {
    // The head of a gzip file: magic 1F 8B (8B is not UTF-8), flags, mtime with high bytes,
    // then NULs; no line feed, so one line.
    let mut bytes = FIRST.to_vec();
    bytes.extend_from_slice(b"\x1f\x8b\x08\x08\xb4\x6d\x0c\x6b\x00\x03name.jsonl\x00\xed\xbd\x07");
    let line = &bytes[FIRST.len()..];
    let nuls: Vec<usize> = (0..line.len()).filter(|&i| line[i] == 0).collect();
    let controls = line.iter().filter(|&&b| b < 0x20).count();
    let first_control = FIRST.len() + line.iter().position(|&b| b < 0x20).unwrap();
    let first_nul = FIRST.len() + nuls[0];
    let m = malformed("gz", &bytes);
    assert_eq!(m.len(), 1, "{m:?}");
    let message = m[0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!(
            "{} NUL bytes and {} other control bytes (the first NUL at byte {first_nul})",
            nuls.len(),
            controls - nuls.len()
        )),
        "{message}"
    );
    assert_eq!(m[0]["error_offset"], first_control as u64);

    // Random-looking binary: bad UTF-8 before the first control byte.
    let mut bytes = FIRST.to_vec();
    bytes.extend_from_slice(b"\x8d\x7d\xb3\x8b\x25\x3b\x69\xc9\x32\xe0\x06\x21\xf4\xc2\x61\x7d");
    let first = bytes[FIRST.len()..].iter().position(|&b| b < 0x20).unwrap() + FIRST.len();
    let m = malformed("rnd", &bytes);
    let message = m[0]["message"].as_str().unwrap();
    assert!(message.starts_with("1 control byte and "), "{message}");
    assert!(!message.contains(&first.to_string()), "{message}");
    assert_eq!(m[0]["error_offset"], first as u64);
}

/// A Claude Code folder in a temporary HOME: `claude/projects/-p/` holding `files`, and
/// nothing of any other agent's.
fn claude_home(name: &str, files: &[(&str, &Path)]) -> common::TempDir {
    let home = temp_dir(name);
    let project = home.join("claude/projects/-p");
    for (to, from) in files {
        let to = project.join(to);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
    home
}

fn in_home(home: &Path) -> Command {
    let mut c = aegon();
    c.env("HOME", home)
        .env("CLAUDE_CONFIG_DIR", home.join("claude"))
        .env_remove("CODEX_HOME")
        .env_remove("XDG_DATA_HOME");
    c
}

#[cfg(unix)]
#[test]
fn summary_with_dev_null_for_stdin_reads_the_default_folders() {
    let fixture = common::fixture(
        "chiphuyen__sniffly__tests__mock-data__-Users-chip-dev-ai-music__ba79134d-b6e9-4867-af0c-6941038c9e4b.jsonl",
    );
    let home = claude_home("devnull", &[("s.jsonl", &fixture)]);
    // The right answer: the same summary as naming the folder.
    let named = in_home(&home)
        .args(["--summary", "--json"])
        .arg(home.join("claude/projects"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let named: Value = serde_json::from_slice(&named.stdout).unwrap();
    assert_eq!(named["totals"]["sessions"], 1, "{named}");
    let out = in_home(&home)
        .args(["--summary", "--json"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["totals"], named["totals"]);
    assert!(!stderr(&out).contains("<stdin>"), "{}", stderr(&out));

    // A pipe, even an empty one, is input: read, not the folders.
    let out = output_with_stdin(
        in_home(&home).args(["--summary", "--json"]),
        b"",
        Reads::All,
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["totals"]["sessions"], 0, "{got}");

    // A file is input too (aegon --summary < s.jsonl).
    let out = in_home(&home)
        .args(["--summary", "--json"])
        .stdin(std::fs::File::open(&fixture).unwrap())
        .output()
        .unwrap();
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["totals"], named["totals"]);

    // The filter, with /dev/null and its output not a terminal: nothing to read, said so.
    let out = in_home(&home).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no input"), "{}", stderr(&out));
}

/// The `--summary --json` totals of `args`.
fn summary_totals(args: &[&std::ffi::OsStr]) -> Value {
    let out = aegon()
        .args(["--summary", "--json"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.code() != Some(2), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["totals"].clone()
}

#[test]
fn a_session_named_alone_brings_its_subagents_once() {
    // A real Claude Code 2.1.39 session and its two subagents (fixtures/corpus, from
    // marot/spotter), laid out as Claude Code writes them.
    let SessionWithSubagents {
        data: dir,
        project,
        agents,
        main,
        ..
    } = session_with_subagents("subagents", "subagents");
    let corpus = subagents_session_fixture;
    const SESSION: &str = SUBAGENTS_SESSION;
    // The main file with no subagent folder beside it.
    let alone = dir.join("alone");
    std::fs::create_dir_all(&alone).unwrap();
    std::fs::copy(corpus(""), alone.join(format!("{SESSION}.jsonl"))).unwrap();
    let alone = summary_totals(&[alone.join(format!("{SESSION}.jsonl")).as_os_str()]);

    // The right answer: the project folder, which holds the subagents.
    let folder = summary_totals(&[project.as_os_str()]);
    assert_ne!(
        folder, alone,
        "the subagents must change the totals for this test to mean anything"
    );
    assert_eq!(summary_totals(&[main.as_os_str()]), folder);
    // Named with its subagents, or with the folder: each file still counts once.
    let a = agents.join("agent-a881341.jsonl");
    assert_eq!(summary_totals(&[main.as_os_str(), a.as_os_str()]), folder);
    assert_eq!(
        summary_totals(&[main.as_os_str(), project.as_os_str()]),
        folder
    );
    // The filter reads them too: the subagents' events follow the session's.
    let out = aegon()
        .arg("--ndjson")
        .arg(&main)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let files: std::collections::BTreeSet<String> = events(&out)
        .iter()
        .filter_map(|e| e["source"]["file"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
}

/// tester7 finding 9: the same real session (Claude Code 2.1.39, marot/spotter, 156 API calls,
/// $12.2257 with its two subagents: `--summary` of the project folder) with its subagent files
/// in another folder below the session's (`SESSION/agents/`, a layout to come): the session
/// file named alone still brings them. Named with no folder at all, the Task result's
/// `agentId: a881341` is said to have no transcript read, with one thread or two (stdin too);
/// with its transcript read, nothing is said.
#[test]
fn a_subagent_in_another_folder_is_found_and_one_not_found_is_said() {
    let SessionWithSubagents {
        data: dir,
        project,
        main,
        ..
    } = session_with_subagents("subagents-elsewhere", "agents");
    let corpus = subagents_session_fixture;
    const SESSION: &str = SUBAGENTS_SESSION;
    let folder = summary_totals(&[project.as_os_str()]);
    assert_eq!(
        (&folder["api_calls"], &folder["cost_usd"]),
        (&Value::from(156), &Value::from(12.2257))
    );
    assert_eq!(summary_totals(&[main.as_os_str()]), folder);
    let note =
        "subagent a881341 is named in its Task results or progress lines, but no line of its \
         transcript was read";
    for threads in ["1", "2"] {
        let out = aegon()
            .args(["--summary", "-j", threads])
            .arg(&main)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            !stderr(&out).contains("Task results or progress lines"),
            "{}",
            stderr(&out)
        );
    }
    let alone = dir.join("alone");
    std::fs::create_dir_all(&alone).unwrap();
    let alone = alone.join(format!("{SESSION}.jsonl"));
    std::fs::copy(corpus(""), &alone).unwrap();
    for threads in ["1", "2"] {
        let out = aegon()
            .args(["--summary", "--json", "-j", threads])
            .arg(&alone)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            stderr(&out).contains(note),
            "-j {threads}: {}",
            stderr(&out)
        );
        // Its usage is counted only from the copies of two of its three responses in the
        // session's `agent_progress` lines ($0.1359 of its $0.2634; ccusage 20.0.24 counts
        // them too: $11.9899): the cost is a lower bound, the run exits with 1 (as when usage
        // could not be read whole; tester11 #9).
        assert!(
            stderr(&out).contains(
                "its usage is counted only from the copies of its responses in the session's \
                 progress lines, a lower bound"
            ),
            "-j {threads}: {}",
            stderr(&out)
        );
        assert_eq!(out.status.code(), Some(1));
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["totals"]["cost_usd"], Value::Null);
        assert_eq!(json["totals"]["priced_cost_usd"], 11.9899);
        assert_eq!(json["totals"]["api_calls"], 154);
    }
    let out = aegon()
        .args(["--summary", "-"])
        .stdin(std::fs::File::open(&alone).unwrap())
        .output()
        .unwrap();
    assert!(stderr(&out).contains(note), "stdin: {}", stderr(&out));
    // Either name is enough: the Task result's `agentId` without the `agent_progress` lines
    // (as before 2.1.2x), or those lines without it (the session cut before the Task ended).
    let text = std::fs::read_to_string(&alone).unwrap();
    let task_only: String = text
        .split_inclusive('\n')
        .filter(|l| !l.contains("\"agent_progress\""))
        .collect();
    let progress_only: String = text
        .split_inclusive('\n')
        .map(|l| match l.contains("\"toolUseResult\"") {
            true => l.replace("\"agentId\":\"a881341\"", "\"agentIx\":\"a881341\""),
            false => l.to_owned(),
        })
        .collect();
    assert_ne!(progress_only, text);
    assert_ne!(task_only, text);
    for (name, body) in [("task", task_only), ("progress", progress_only)] {
        let path = dir.join(format!("{name}.jsonl"));
        std::fs::write(&path, body).unwrap();
        let out = aegon()
            .args(["--summary", "--json"])
            .arg(&path)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(stderr(&out).contains(note), "{name}: {}", stderr(&out));
    }
}

/// The real session of [`a_subagent_in_another_folder_is_found_and_one_not_found_is_said`] in
/// Claude Code's layout before 2.1: `-p/SESSION.jsonl` beside `-p/agent-a881341.jsonl` and
/// `-p/agent-acompact-fffbd0.jsonl`, in a fresh folder named after `name`; the project folder.
fn session_with_agents_beside(name: &str) -> (common::TempDir, std::path::PathBuf) {
    let dir = temp_dir(name);
    let project = dir.join("-p");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::copy(
        subagents_session_fixture(""),
        project.join(format!("{SUBAGENTS_SESSION}.jsonl")),
    )
    .unwrap();
    for agent in ["agent-a881341", "agent-acompact-fffbd0"] {
        std::fs::copy(
            subagents_session_fixture(&format!("__subagents__{agent}")),
            project.join(format!("{agent}.jsonl")),
        )
        .unwrap();
    }
    (dir, project)
}

/// tester8 finding 5: with its subagents' files beside it (`agent-<id>.jsonl`, Claude Code
/// before 2.1) the session file named alone lost them (152 calls, $11.8539, exit 0) while the
/// "named but not read" note pointed at those very files. Now it is the project folder's
/// 156 calls, $12.2257 in `--summary`, the filter and `aegon usage` (index and `--no-index`),
/// each file once whatever else is named, and nothing is said.
#[test]
fn a_session_named_alone_brings_its_subagents_beside_it() {
    let (dir, project) = session_with_agents_beside("agents-beside");
    let main = project.join(format!("{SUBAGENTS_SESSION}.jsonl"));
    let agent = project.join("agent-a881341.jsonl");
    let folder = summary_totals(&[project.as_os_str()]);
    assert_eq!(
        (
            &folder["api_calls"],
            &folder["cost_usd"],
            &folder["subagents"]
        ),
        (&Value::from(156), &Value::from(12.2257), &Value::from(2))
    );
    for args in [
        vec![main.as_os_str()],
        vec![main.as_os_str(), project.as_os_str()],
        vec![project.as_os_str(), main.as_os_str()],
        vec![main.as_os_str(), agent.as_os_str()],
        vec![agent.as_os_str(), main.as_os_str()],
    ] {
        assert_eq!(summary_totals(&args), folder, "{args:?}");
    }
    for threads in ["1", "2"] {
        let out = aegon()
            .args(["--summary", "-j", threads])
            .arg(&main)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stderr(&out).is_empty(), "-j {threads}: {}", stderr(&out));
    }
    // The filter reads the three files, the session's first.
    let out = aegon()
        .arg("--ndjson")
        .arg(&main)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let mut files: Vec<String> = Vec::new();
    for e in events(&out) {
        if let Some(f) = e["source"]["file"].as_str() {
            if files.last().map(String::as_str) != Some(f) {
                files.push(f.to_owned());
            }
        }
    }
    let name = |p: &Path| p.display().to_string();
    assert_eq!(
        files,
        [
            name(&main),
            name(&project.join("agent-a881341.jsonl")),
            name(&project.join("agent-acompact-fffbd0.jsonl")),
        ]
    );
    // `aegon usage`: one session of 156 calls, from the index and without it, the folder
    // named too or not.
    let data = dir.join("data");
    for args in [
        vec!["usage", "session", "--json"],
        vec!["usage", "session", "--json", "--no-index"],
    ] {
        for with_folder in [false, true] {
            let mut c = common::aegon_isolated(&data, &args);
            c.arg(&main);
            if with_folder {
                c.arg(&project);
            }
            let out = c.output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            let got: Vec<(Value, Value)> = v["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| (s["apiCalls"].clone(), s["totalCost"].clone()))
                .collect();
            assert_eq!(
                got,
                [(Value::from(156), Value::from(12.2257312))],
                "{args:?} folder {with_folder}"
            );
        }
    }
}

/// The files beside a session that are not its own stay unread: another session's subagent
/// (the real Claude Code 2.0.74 project of kfischer-okarin/scripts-and-tools' fixtures, where
/// `agent-a1593bc.jsonl` is session 0f13eeba's and `agent-a434715.jsonl` is b3edadab's), one
/// whose `sessionId` is another's and that the session does not name (a compaction agent
/// moved to another session's id), and every sibling when the file named is a subagent's.
/// A subagent the session's Task result names is its own whatever its `sessionId` (a resumed
/// session's copy of the Task result).
#[test]
fn files_beside_a_session_that_are_not_its_own_are_not_read() {
    let files_read = |path: &Path| -> Vec<String> {
        let out = aegon()
            .arg("--ndjson")
            .arg(path)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let mut files: Vec<String> = events(&out)
            .iter()
            .filter_map(|e| e["source"]["file"].as_str())
            .map(|f| {
                Path::new(f)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        files.dedup();
        files
    };
    let dir = temp_dir("agents-beside-others");
    let project = dir.join("-Users-user-project");
    std::fs::create_dir_all(&project).unwrap();
    let prefix = "kfischer-okarin__scripts-and-tools__src__claude-history__test__fixtures__\
                  claude-projects__-Users-user-project__";
    let session = "b3edadab-bca0-4054-9b41-f7ffa6941260.jsonl";
    for name in [session, "agent-a434715.jsonl", "agent-a1593bc.jsonl"] {
        std::fs::copy(
            root()
                .join("fixtures/corpus")
                .join(format!("{prefix}{name}")),
            project.join(name),
        )
        .unwrap();
    }
    assert_eq!(
        files_read(&project.join(session)),
        [session, "agent-a434715.jsonl"]
    );
    assert_eq!(
        files_read(&project.join("agent-a434715.jsonl")),
        ["agent-a434715.jsonl"]
    );
    // A file last written more than a day before the session began (its first line,
    // 2025-12-20T08:57Z) is not the session's: not even opened. Within the day it is read.
    let set_written = |secs: u64| {
        std::fs::File::options()
            .append(true)
            .open(project.join("agent-a434715.jsonl"))
            .unwrap()
            .set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
            .unwrap();
    };
    set_written(1_766_188_800); // 2025-12-20T00:00Z
    assert_eq!(
        files_read(&project.join(session)),
        [session, "agent-a434715.jsonl"]
    );
    set_written(1_766_102_400); // 2025-12-19T00:00Z
    assert_eq!(files_read(&project.join(session)), [session]);

    // marot/spotter's session with both subagents moved to another session's id: the one its
    // Task result names is still read, the compaction agent (named nowhere) is not.
    let (_dir, project) = session_with_agents_beside("agents-beside-moved");
    let other = "00000000-0000-4000-8000-000000000000";
    for agent in ["agent-a881341.jsonl", "agent-acompact-fffbd0.jsonl"] {
        let path = project.join(agent);
        let text = std::fs::read_to_string(&path).unwrap();
        let moved = text.replace(SUBAGENTS_SESSION, other);
        assert_ne!(moved, text);
        std::fs::write(&path, moved).unwrap();
    }
    let main = format!("{SUBAGENTS_SESSION}.jsonl");
    assert_eq!(
        files_read(&project.join(&main)),
        [main.as_str(), "agent-a881341.jsonl"]
    );
}

/// tester6 §8: `aegon --summary` with no FILE exited 2 when ~/.claude/projects was empty
/// (Claude Code just installed, or its 30-day cleanup emptied it) though a Codex session was
/// found and reported; without ~/.claude/projects at all it exited 0. Found something: 0,
/// with the empty folder still said on stderr. Nothing in any folder: still 2.
#[test]
fn summary_of_the_default_folders_with_an_empty_claude_folder_reports_the_others() {
    let home = temp_dir("empty-claude");
    std::fs::create_dir_all(home.join("claude/projects")).unwrap();
    // A real Codex CLI rollout (fixtures/agents/codex, from 0h-n0/local-voice-assistant).
    let name = "0h-n0__local-voice-assistant-codex__.codex__sessions__2025__12__25__rollout-2025-12-25T22-45-23-019b55c1-d022-7061-bbb9-b0c90708472b.jsonl";
    let sessions = home.join("codex/sessions/2025/12/25");
    std::fs::create_dir_all(&sessions).unwrap();
    let run = || {
        in_home(&home)
            .env("CODEX_HOME", home.join("codex"))
            .args(["--summary", "--json"])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    // No transcript anywhere: an error, said.
    let out = run();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no .jsonl transcript"),
        "{}",
        stderr(&out)
    );
    std::fs::copy(
        root().join("fixtures/agents/codex").join(name),
        sessions.join("rollout-2025-12-25T22-45-23-019b55c1-d022-7061-bbb9-b0c90708472b.jsonl"),
    )
    .unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["totals"]["sessions"], 1, "{got}");
    // The empty folder is still said.
    let said = format!(
        "{}: no .jsonl transcript",
        home.join("claude/projects").display()
    );
    assert!(stderr(&out).contains(&said), "{}", stderr(&out));
}
