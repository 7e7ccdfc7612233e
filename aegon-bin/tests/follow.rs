//! `aegon -f` as a user runs it: the real binary follows a file while a test appends to it,
//! with notifications and with `--poll`.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{append, temp_dir};

/// A running `aegon -f --ndjson`, its output lines arriving on a channel.
struct Following(common::Running);

impl Following {
    /// `aegon -f --ndjson -q EXTRA… FILE`, or `aegon watch EXTRA… -q FILE` when `extra`
    /// starts with `watch`.
    fn start(file: &Path, extra: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_aegon"));
        if extra.first() == Some(&"watch") {
            command.args(extra).arg("-q");
        } else {
            command.args(["-f", "--ndjson", "-q"]).args(extra);
        }
        Following(common::Running::spawn(command.arg(file)))
    }

    /// The prompts of the next `n` user_prompt events (fails after 10 s).
    fn prompts(&self, n: usize) -> Vec<String> {
        self.0
            .prompt_events(n)
            .iter()
            .map(|v| v["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Nothing more arrives within a short while.
    fn quiet_for(&self, wait: Duration) -> Option<String> {
        self.0.lines.recv_timeout(wait).ok()
    }
}

fn prompt(text: &str) -> String {
    format!(
        "{{\"type\":\"user\",\"sessionId\":\"s\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"message\":{{\"role\":\"user\",\"content\":\"{text}\"}}}}\n"
    )
}

fn follows_appends_and_rotation(extra: &[&str], name: &str) {
    let dir = temp_dir(name);
    let file = dir.join("s.jsonl");
    append(&file, &prompt("history"));
    let f = Following::start(&file, extra);
    assert_eq!(f.prompts(1), ["history"]);
    // A line written in two pieces arrives once, whole.
    let line = prompt("split");
    append(&file, &line[..25]);
    assert_eq!(f.quiet_for(Duration::from_millis(300)), None);
    append(&file, &line[25..]);
    append(&file, &prompt("next"));
    assert_eq!(f.prompts(2), ["split", "next"]);
    // Rotation: renamed away, re-created.
    std::fs::rename(&file, dir.join("s.jsonl.1")).unwrap();
    append(&file, &prompt("after rotation"));
    assert_eq!(f.prompts(1), ["after rotation"]);
    // Truncation: emptied and rewritten.
    std::fs::write(&file, prompt("rewritten")).unwrap();
    assert_eq!(f.prompts(1), ["rewritten"]);
    drop(f);
}

#[test]
fn follow_with_notifications() {
    follows_appends_and_rotation(&[], "notify");
}

#[test]
fn follow_by_polling() {
    follows_appends_and_rotation(&["--poll"], "poll");
}

#[test]
fn from_end_shows_only_new_lines_and_a_missing_file_is_waited_for() {
    let dir = temp_dir("end");
    let old = dir.join("old.jsonl");
    append(&old, &prompt("old history"));
    let later = dir.join("later.jsonl");
    let f = Following::start(&old, &["--from-end", later.to_str().unwrap()]);
    // Lines written before aegon first looks are history too: write until one comes through.
    let mut first = None;
    for i in 0..50 {
        append(&old, &prompt(&format!("new {i}")));
        if let Some(line) = f.quiet_for(Duration::from_millis(200)) {
            first = Some(line);
            break;
        }
    }
    let first: serde_json::Value = serde_json::from_str(&first.expect("no line came")).unwrap();
    assert!(
        first["text"].as_str().unwrap().starts_with("new "),
        "history was shown: {first}"
    );
    append(&later, &prompt("created later"));
    assert_eq!(f.prompts(1), ["created later"]);
    drop(f);
}

#[test]
fn follow_refuses_stdin_and_summary() {
    for args in [
        &["-f"][..],
        &["-f", "-"],
        &["-f", "--summary", "x.jsonl"],
        &["--poll", "x"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}

fn watches_a_tree(extra: &[&str], name: &str) {
    let dir = temp_dir(name);
    let project = dir.join("projects/-home-me-proj");
    std::fs::create_dir_all(&project).unwrap();
    append(&project.join("recent.jsonl"), &prompt("recent history"));
    let old = project.join("old.jsonl");
    append(&old, &prompt("old history"));
    let two_days_ago = std::time::SystemTime::now() - Duration::from_secs(2 * 86_400);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(two_days_ago)
        .unwrap();

    let mut args = vec!["watch"];
    args.extend_from_slice(extra);
    let f = Following::start(&dir.join("projects"), &args);
    // Recent history is read; the old file's is not.
    assert_eq!(f.prompts(1), ["recent history"]);
    // A new session, a new subagents folder with a file in it, an old file that wakes up.
    append(&project.join("new.jsonl"), &prompt("new session"));
    assert_eq!(f.prompts(1), ["new session"]);
    let agents = project.join("new/subagents");
    std::fs::create_dir_all(&agents).unwrap();
    append(&agents.join("agent-a1.jsonl"), &prompt("subagent"));
    assert_eq!(f.prompts(1), ["subagent"]);
    append(&old, &prompt("old wakes up"));
    assert_eq!(f.prompts(1), ["old wakes up"]);
    drop(f);
}

#[test]
fn watch_with_notifications() {
    watches_a_tree(&["--ndjson"], "watch");
}

#[test]
fn watch_by_polling() {
    watches_a_tree(&["--ndjson", "--poll"], "watch-poll");
}

/// `aegon watch` with the default folders of a home made here: Claude Code's `projects/`
/// exists, Codex's `~/.codex/sessions` and Claude Code's `sessions/` do not yet.
fn picks_up_roots_created_later(extra: &[&str], name: &str) {
    let dir = temp_dir(name);
    let home = dir.join("home");
    let claude = home.join(".claude");
    std::fs::create_dir_all(claude.join("projects/p")).unwrap();
    append(&claude.join("projects/p/a.jsonl"), &prompt("history"));
    let f = Following(common::Running::spawn(
        Command::new(env!("CARGO_BIN_EXE_aegon"))
            .args(["watch", "--ndjson", "-q"])
            .args(extra)
            .env("HOME", &home)
            .env_remove("CODEX_HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("CLAUDE_CONFIG_DIR")
            .stdin(Stdio::null()),
    ));
    assert_eq!(f.prompts(1), ["history"]);
    // Codex's folder and its parent appear after aegon started (two levels: ~/.codex, then
    // sessions/ and a dated folder), a transcript in it at once.
    let codex = home.join(".codex/sessions/2026/01/01");
    std::fs::create_dir_all(&codex).unwrap();
    append(
        &codex.join("rollout-1.jsonl"),
        &prompt("codex root appeared"),
    );
    assert_eq!(f.prompts(1), ["codex root appeared"]);
    // Written to later: followed as any watched file is.
    append(&codex.join("rollout-1.jsonl"), &prompt("codex appended"));
    assert_eq!(f.prompts(1), ["codex appended"]);
    // Claude Code's sessions/ (its parent existed from the start).
    std::fs::create_dir_all(claude.join("sessions")).unwrap();
    append(
        &claude.join("sessions/s.jsonl"),
        &prompt("sessions root appeared"),
    );
    assert_eq!(f.prompts(1), ["sessions root appeared"]);
    drop(f);
}

#[test]
fn watch_picks_up_a_root_created_later_with_notifications() {
    picks_up_roots_created_later(&[], "late-root");
}

#[test]
fn watch_picks_up_a_root_created_later_polling() {
    picks_up_roots_created_later(&["--poll"], "late-root-poll");
}

#[test]
fn watch_uses_claude_config_dir_and_says_when_there_is_nothing() {
    let dir = temp_dir("watch-empty");
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .arg("watch")
        .env("HOME", "/nonexistent-aegon-home")
        .env_remove("CODEX_HOME")
        .env_remove("XDG_DATA_HOME")
        .env("CLAUDE_CONFIG_DIR", &dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&dir.join("projects").display().to_string()),
        "{err}"
    );
}

/// CPU seconds the process has used (Linux `/proc`).
#[cfg(target_os = "linux")]
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// Opening a file to read it is itself a notification: a watcher that woke on reads would
/// spin forever after the first line (it did, at 96% CPU). Not a speed target, a busy loop.
#[cfg(target_os = "linux")]
#[test]
fn reading_does_not_wake_the_watcher_again() {
    for args in [&["watch", "--ndjson"][..], &[]] {
        let dir = temp_dir(&format!("spin-{}", args.len()));
        let file = dir.join("s.jsonl");
        let f = Following::start(if args.is_empty() { &file } else { &dir }, args);
        std::thread::sleep(Duration::from_millis(300));
        append(&file, &prompt("one"));
        assert_eq!(f.prompts(1), ["one"]);
        let before = cpu_seconds(f.0.child.id());
        std::thread::sleep(Duration::from_secs(2));
        let used = cpu_seconds(f.0.child.id()) - before;
        assert!(used < 0.5, "{args:?}: {used} s of CPU in 2 s of quiet");
        drop(f);
    }
}

/// The `usage` events arriving within `wait` (their message ids), and how many events of
/// other kinds came.
fn usage_ids(f: &Following, wait: Duration) -> (Vec<String>, usize) {
    let (mut ids, mut others) = (Vec::new(), 0);
    while let Ok(line) = f.0.lines.recv_timeout(wait) {
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_ne!(v["kind"], "malformed", "{line}");
        if v["kind"] == "usage" {
            ids.push(v["message_id"].as_str().unwrap_or_default().to_owned());
        } else {
            others += 1;
        }
    }
    (ids, others)
}

#[test]
fn a_followed_json_chat_is_read_whole_each_time_it_is_rewritten() {
    // Gemini CLI rewrites its JSON chat file whole as the session grows (pretty-printed, no
    // trailing newline): each version is read whole, and each response counts once.
    let full_path = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../fixtures/agents/gemini/7567491__ren__.gemini__tmp__cd8c738c7a1a18392f8c7b8478cd36a4fd00c22700c909f29113a59918ee224a__chats__session-2026-01-03T08-29-d667b4d8.json",
    );
    let full: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&full_path).unwrap()).unwrap();
    let messages = full["messages"].as_array().unwrap();
    let with_tokens = |upto: usize| -> Vec<String> {
        messages[..upto]
            .iter()
            .filter(|m| m["type"] == "gemini" && m.get("tokens").is_some())
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // The chat with its first `upto` messages, keys in the CLI's order (session id first).
    let chat_text = |upto: usize| {
        format!(
            "{{\n  \"sessionId\": {},\n  \"projectHash\": {},\n  \"startTime\": {},\n  \"lastUpdated\": {},\n  \"messages\": {}\n}}",
            full["sessionId"],
            full["projectHash"],
            full["startTime"],
            full["lastUpdated"],
            serde_json::to_string_pretty(&messages[..upto]).unwrap()
        )
    };
    let half = messages.len() / 2;
    let dir = temp_dir("json-chat");
    let chat = dir.join("session.json");
    std::fs::write(&chat, chat_text(half)).unwrap();
    let f = Following::start(&chat, &[]);
    let (mut seen, mut others) = usage_ids(&f, Duration::from_secs(3));
    assert_eq!(seen, with_tokens(half));
    // Rewritten whole with every message: only what is new arrives (no prompt, text or
    // thinking again): as many events as one read of the whole file gives.
    std::fs::write(&chat, chat_text(messages.len())).unwrap();
    let (more, more_others) = usage_ids(&f, Duration::from_secs(3));
    seen.extend(more);
    others += more_others;
    assert_eq!(seen, with_tokens(messages.len()));
    assert!(half > 2 && seen.len() > with_tokens(half).len());
    let once = String::from_utf8(
        Command::new(env!("CARGO_BIN_EXE_aegon"))
            .args(["--ndjson", "-q"])
            .arg(&chat)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(seen.len() + others, once.lines().count());
}

/// `aegon -f DIR` follows the files in DIR and those created there later (the new session
/// file `/clear` starts), as `aegon watch DIR` does.
fn follows_files_created_in_a_folder(extra: &[&str], name: &str) {
    let dir = temp_dir(name);
    let project = dir.join("-p");
    std::fs::create_dir_all(&project).unwrap();
    append(&project.join("a.jsonl"), &prompt("history"));
    let f = Following::start(&project, extra);
    assert_eq!(f.prompts(1), ["history"]);
    append(&project.join("a.jsonl"), &prompt("appended"));
    assert_eq!(f.prompts(1), ["appended"]);
    // A session file created after aegon started.
    append(&project.join("b.jsonl"), &prompt("new session"));
    assert_eq!(f.prompts(1), ["new session"]);
    // And a subagent folder created later.
    std::fs::create_dir_all(project.join("b/subagents")).unwrap();
    append(
        &project.join("b/subagents/agent-x.jsonl"),
        &prompt("subagent"),
    );
    assert_eq!(f.prompts(1), ["subagent"]);
    drop(f);
}

#[test]
fn follow_a_folder_with_notifications() {
    follows_files_created_in_a_folder(&[], "dir-notify");
}

#[test]
fn follow_a_folder_polling() {
    follows_files_created_in_a_folder(&["--poll"], "dir-poll");
}

#[test]
fn follow_refuses_folders_and_files_together() {
    let dir = temp_dir("mixed");
    let file = dir.join("s.jsonl");
    append(&file, &prompt("x"));
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .arg("-f")
        .arg(&dir)
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not both"), "{err}");
}

#[test]
fn follow_a_folder_from_the_end_skips_history_but_not_new_files() {
    let dir = temp_dir("dir-from-end");
    append(&dir.join("a.jsonl"), &prompt("history"));
    let f = Following::start(&dir, &["--from-end"]);
    // Give aegon time to start and look at a.jsonl before anything is written.
    std::thread::sleep(Duration::from_millis(500));
    append(&dir.join("a.jsonl"), &prompt("appended"));
    append(&dir.join("b.jsonl"), &prompt("new session"));
    let mut got = f.prompts(2);
    got.sort();
    assert_eq!(got, ["appended", "new session"]);
    drop(f);
}

/// `(line, offset)` of each event that arrives until a `malformed` one (the garbage line ending
/// the test's writes) and a quiet while after it; fails after 10 s without it.
fn places_until_malformed(f: &Following) -> Vec<(u64, u64)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line =
            f.0.lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no malformed event after {got:?}"));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        got.push((
            v["source"]["line"].as_u64().unwrap(),
            v["source"]["offset"].as_u64().unwrap(),
        ));
        if v["kind"] == "malformed" {
            break;
        }
    }
    while let Some(line) = f.quiet_for(Duration::from_millis(700)) {
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        got.push((
            v["source"]["line"].as_u64().unwrap(),
            v["source"]["offset"].as_u64().unwrap(),
        ));
    }
    got
}

/// A real transcript (its assistant messages' ids look like OpenCode's, which once made it be
/// taken for a JSON document) followed from its end by `-f --from-end FILE` (notifications
/// and `--poll`), `-f --from-end DIR`, and `watch` (a file last written two days ago, beyond
/// `--since`, that wakes up): only the lines appended come, each once, at the line number and
/// byte offset it has in the file, as a plain read of the whole file places them.
#[test]
fn a_real_transcript_followed_from_its_end_gives_only_new_lines_at_their_true_place() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/corpus/apanloco__random__session.jsonl");
    let text = std::fs::read_to_string(fixture).unwrap();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let history = lines[..20].concat();
    let appended = [lines[20], lines[21], "garbage\n"];
    // The right places: a read of the whole file (history and appended lines at once).
    let all = temp_dir("end-real-all");
    let whole = all.join("a.jsonl");
    append(&whole, &(history.clone() + &appended.concat()));
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["--ndjson", "-q"])
        .arg(&whole)
        .output()
        .unwrap();
    let expected: Vec<(u64, u64)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| {
            (
                v["source"]["line"].as_u64().unwrap(),
                v["source"]["offset"].as_u64().unwrap(),
            )
        })
        .filter(|(line, _)| *line > 20)
        .collect();
    let at21 = history.len() as u64;
    assert_eq!(expected.first(), Some(&(21, at21)));
    let _ = std::fs::remove_dir_all(&all);

    let cases: [(&str, &[&str], bool); 4] = [
        ("end-real-file", &["--from-end"], false),
        ("end-real-poll", &["--from-end", "--poll"], false),
        ("end-real-dir", &["--from-end"], true),
        ("end-real-watch", &["watch", "--ndjson"], true),
    ];
    for (name, args, folder) in cases {
        let dir = temp_dir(name);
        let file = dir.join("p/a263b894-c8c2-44af-8845-663362b5a201.jsonl");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        append(&file, &history);
        let two_days_ago = std::time::SystemTime::now() - Duration::from_secs(2 * 86_400);
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(two_days_ago)
            .unwrap();
        let f = Following::start(if folder { &dir } else { &file }, args);
        // Give aegon time to start and look at the file before anything is written.
        std::thread::sleep(Duration::from_millis(1000));
        append(&file, appended[0]);
        std::thread::sleep(Duration::from_millis(300));
        append(&file, &appended[1..].concat());
        assert_eq!(places_until_malformed(&f), expected, "{name}");
        drop(f);
    }
}

/// A folder that cannot be read (another user's, mode 000) in a watched tree is left out:
/// the rest keeps its file notifications (it fell back to rescanning every 500 ms), the
/// folder is reported once, and a project folder created beside it later is watched too.
/// Run as root, aegon runs as `nobody` (through `setpriv`), for whom mode 000 means no.
#[cfg(target_os = "linux")]
#[test]
fn an_unreadable_folder_leaves_the_rest_of_the_tree_with_notifications() {
    use std::os::unix::fs::PermissionsExt;
    let root = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false);
    let mut command = if root {
        if Command::new("setpriv").arg("--version").output().is_err() {
            eprintln!("skipped: running as root without setpriv to drop privileges");
            return;
        }
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_aegon"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_aegon"))
    };
    let dir = temp_dir("unreadable");
    let projects = dir.join("projects");
    std::fs::create_dir_all(projects.join("-p")).unwrap();
    std::fs::create_dir_all(projects.join("-locked")).unwrap();
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o777)).unwrap();
    append(&projects.join("-p/a.jsonl"), &prompt("history"));
    append(&projects.join("-locked/x.jsonl"), &prompt("locked"));
    std::fs::set_permissions(
        projects.join("-locked"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let mut running = common::Running::spawn(
        command
            .args(["watch", "--ndjson", "--since", "all"])
            .arg(&projects)
            .env("HOME", &dir)
            .env("AEGON_DATA_DIR", &data)
            .stdin(Stdio::null())
            .stderr(Stdio::piped()),
    );
    let mut stderr = running.child.stderr.take().unwrap();
    let f = Following(running);
    assert_eq!(f.prompts(1), ["history"]);
    append(&projects.join("-p/a.jsonl"), &prompt("appended"));
    assert_eq!(f.prompts(1), ["appended"]);
    // A project created later beside the unreadable one: what it holds, then what is
    // appended to it (notified, not left to the rescan every 30 s).
    std::fs::create_dir_all(projects.join("-new")).unwrap();
    append(&projects.join("-new/b.jsonl"), &prompt("new project"));
    assert_eq!(f.prompts(1), ["new project"]);
    std::thread::sleep(Duration::from_millis(300));
    append(&projects.join("-new/b.jsonl"), &prompt("new appended"));
    assert_eq!(f.prompts(1), ["new appended"]);
    drop(f);
    let mut err = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut err).unwrap();
    assert!(!err.contains("notifications unavailable"), "{err}");
    assert_eq!(err.matches("-locked").count(), 1, "{err}");
    std::fs::set_permissions(
        projects.join("-locked"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
}

/// `aegon -f FILE…` under a shell limit of `limit` open files (soft and hard: `ulimit -n` sets
/// both, so aegon cannot raise it), following `files`.
#[cfg(unix)]
fn follow_under_limit(limit: u32, files: &[std::path::PathBuf]) -> common::Running {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!(
            "ulimit -n {limit} && exec \"$0\" -f --ndjson -q \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_aegon"))
        .args(files);
    common::Running::spawn(&mut command)
}

/// More files than the open-file limit allows at once: each one's history comes out, and so
/// does what is appended to each later (a quiet file's handle is closed and taken again when
/// it changes). Before, the files past the limit failed with "Too many open files" and were
/// never read.
#[cfg(unix)]
#[test]
fn follows_more_files_than_the_open_file_limit() {
    let dir = temp_dir("many");
    let n = 150;
    let files: Vec<_> = (0..n).map(|i| dir.join(format!("s{i:03}.jsonl"))).collect();
    for (i, file) in files.iter().enumerate() {
        append(file, &prompt(&format!("history {i}")));
    }
    let f = follow_under_limit(64, &files);
    let mut got: Vec<String> = f
        .prompt_events(n)
        .iter()
        .map(|v| v["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    let mut want: Vec<String> = (0..n).map(|i| format!("history {i}")).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    for (i, file) in files.iter().enumerate() {
        append(file, &prompt(&format!("later {i}")));
    }
    let mut got: Vec<String> = f
        .prompt_events(n)
        .iter()
        .map(|v| v["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    let mut want: Vec<String> = (0..n).map(|i| format!("later {i}")).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    drop(f);
}

/// Following raises the soft open-file limit to the hard one (Linux), as read back from
/// `/proc/PID/limits`.
#[cfg(target_os = "linux")]
#[test]
fn following_raises_the_soft_open_file_limit() {
    let dir = temp_dir("rlimit");
    let file = dir.join("s.jsonl");
    append(&file, &prompt("history"));
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("ulimit -S -n 64 && exec \"$0\" -f --ndjson -q \"$1\"")
        .arg(env!("CARGO_BIN_EXE_aegon"))
        .arg(&file);
    let f = common::Running::spawn(&mut command);
    // Once the history is out, the limit was raised (it is raised before reading).
    assert_eq!(f.prompt_events(1)[0]["text"], "history");
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", f.child.id())).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    // "Max open files  SOFT  HARD  files"
    let (soft, hard) = (fields[3], fields[4]);
    if hard == "unlimited" || hard.parse::<u64>().is_ok_and(|h| h > 1 << 20) {
        // Beyond what the kernel lets a process open (nr_open): left as it was.
        return;
    }
    assert_eq!(soft, hard, "{line}");
    drop(f);
}

/// Rotation by a writer that keeps its descriptor: the file is renamed away, the writer appends
/// one more line to it, and only then is a new file created under the name. That last line is
/// read (it was lost: the old file was closed the moment its name went).
#[test]
fn a_line_appended_to_a_file_renamed_away_is_read() {
    let dir = temp_dir("rotate");
    let file = dir.join("s.jsonl");
    append(&file, &prompt("history"));
    let f = Following::start(&file, &[]);
    assert_eq!(f.prompts(1), ["history"]);
    let mut writer = std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap();
    let old = dir.join("s.old");
    std::fs::rename(&file, &old).unwrap();
    // Let aegon see the name go before the writer's last line.
    std::thread::sleep(Duration::from_millis(1500));
    std::io::Write::write_all(&mut writer, prompt("after rename").as_bytes()).unwrap();
    drop(writer);
    assert_eq!(f.prompts(1), ["after rename"]);
    append(&file, &prompt("new file"));
    assert_eq!(f.prompts(1), ["new file"]);
    drop(f);
}

/// `aegon -f FILE | head -1`, `aegon watch … | head -1`: once the reader has gone, aegon ends
/// (status 0, nothing on stderr) although the file stays idle, as `tail -f | head` does.
fn ends_when_its_reader_goes(extra: &[&str], name: &str) {
    use std::io::{BufRead, BufReader};
    let dir = temp_dir(name);
    let file = dir.join("s.jsonl");
    append(&file, &prompt("history"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_aegon"));
    command.args(extra).arg(&file);
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("history"), "{first}");
    // The reader (and the pipe's only read end) is dropped here; the file never changes again.
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("{extra:?}: still running 10 s after its reader went away");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "{extra:?}");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(stderr, "", "{extra:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn follow_ends_when_its_reader_goes() {
    ends_when_its_reader_goes(&["-f", "--ndjson", "-q"], "follow-reader-gone");
    ends_when_its_reader_goes(
        &["-f", "--color", "never", "-q"],
        "follow-reader-gone-plain",
    );
}

/// Every NDJSON line that arrives until there are `n`, sorted (fails after 20 s).
fn sorted_lines(f: &common::Running, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut got = Vec::new();
    while got.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match f.lines.recv_timeout(left) {
            Ok(line) => got.push(line),
            Err(_) => panic!("only {} of {n} events arrived", got.len()),
        }
    }
    got.sort();
    got
}

/// tester10 finding 1: `aegon -f SESSION.jsonl` followed the subagents' files there at its
/// start, never one created after (Claude Code creates a subagent's transcript when the
/// subagent starts): 0 of its events, $11.8539 instead of $12.1173. The real session of
/// [`common::SUBAGENTS_SESSION`] (Claude Code 2.1.39, marot/spotter, in fixtures/corpus) is
/// written as it was: its first 100 lines, then its subagents' folder `SESSION/FOLDER/` and
/// the subagent's file in two writes (`FOLDER` empty: beside the session's file, Claude Code's
/// layout before 2.1), then the rest of the session. What `-f` shows is what
/// `--ndjson` shows of the finished files, each event once. `session_folder_first`: the
/// session's folder `SESSION/` is there before the start (as `tool-results/` makes it), only
/// `FOLDER` comes later.
fn follows_subagents_created_later(
    extra: &[&str],
    name: &str,
    folder: &str,
    session_folder_first: bool,
) {
    let dir = temp_dir(name);
    let project = dir.join("-p");
    let session = project.join(common::SUBAGENTS_SESSION);
    std::fs::create_dir_all(&project).unwrap();
    if session_folder_first {
        std::fs::create_dir_all(session.join("tool-results")).unwrap();
    }
    let main = project.join(format!("{}.jsonl", common::SUBAGENTS_SESSION));
    let whole = std::fs::read_to_string(common::subagents_session_fixture("")).unwrap();
    let cut = whole.match_indices('\n').nth(99).unwrap().0 + 1;
    append(&main, &whole[..cut]);
    let first = common::aegon_stdout([std::ffi::OsStr::new("--ndjson"), main.as_os_str()]);
    let mut command = Command::new(env!("CARGO_BIN_EXE_aegon"));
    command
        .args(["-f", "--ndjson", "-q"])
        .args(extra)
        .arg(&main);
    let f = common::Running::spawn(&mut command);
    // The session's history first: aegon has started and looked at what is there.
    let history = sorted_lines(&f, first.lines().count());
    let mut expected: Vec<&str> = first.lines().collect();
    expected.sort_unstable();
    assert_eq!(history, expected);

    // No folder: beside the session's file, as Claude Code wrote it before 2.1 (with another
    // session's subagent there, left out as the finished files' read leaves it out).
    let agent = if folder.is_empty() {
        let other = sub_of_another_session();
        append(&project.join("agent-aother.jsonl"), &other);
        project.join("agent-a881341.jsonl")
    } else {
        session.join(folder).join("agent-a881341.jsonl")
    };
    std::fs::create_dir_all(agent.parent().unwrap()).unwrap();
    let sub = std::fs::read_to_string(common::subagents_session_fixture(
        "__subagents__agent-a881341",
    ))
    .unwrap();
    let half = sub.match_indices('\n').nth(4).unwrap().0 + 1;
    append(&agent, &sub[..half]);
    append(&agent, &sub[half..]);
    append(&main, &whole[cut..]);

    let finished = common::aegon_stdout([std::ffi::OsStr::new("--ndjson"), main.as_os_str()]);
    let from_agent = finished
        .lines()
        .filter(|l| l.contains("agent-a881341.jsonl"))
        .count();
    assert!(
        from_agent > 0,
        "the finished files give the subagent's events"
    );
    let mut expected: Vec<&str> = finished.lines().skip(first.lines().count()).collect();
    // (The session's first lines come first in both: only the rest is compared.)
    expected.sort_unstable();
    let rest = sorted_lines(&f, expected.len());
    assert_eq!(rest, expected);
    // Nothing twice: no more events come.
    assert_eq!(f.lines.recv_timeout(Duration::from_millis(1500)).ok(), None);
}

/// The real subagent's transcript as another session's (its session id changed).
fn sub_of_another_session() -> String {
    std::fs::read_to_string(common::subagents_session_fixture(
        "__subagents__agent-a881341",
    ))
    .unwrap()
    .replace(
        common::SUBAGENTS_SESSION,
        "11111111-2222-4333-8444-555555555555",
    )
}

#[test]
fn a_followed_session_takes_in_a_subagent_beside_it_created_later() {
    follows_subagents_created_later(&[], "late-beside", "", false);
}

#[test]
fn a_followed_session_takes_in_a_subagents_folder_created_later() {
    follows_subagents_created_later(&[], "late-subagent", "subagents", false);
}

#[test]
fn a_followed_session_takes_in_a_subagent_created_later_polling() {
    follows_subagents_created_later(&["--poll"], "late-subagent-poll", "subagents", true);
}

#[test]
fn a_followed_session_takes_in_subagents_in_another_layout_created_later() {
    follows_subagents_created_later(&[], "late-agents", "agents", true);
}

/// The lines aegon writes on stderr, as they come.
fn stderr_lines(running: &mut common::Running) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let stderr = running.child.stderr.take().expect("piped stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The stderr lines until one contains `until` (fails after 10 s without it).
fn notes_until(notes: &std::sync::mpsc::Receiver<String>, until: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got = Vec::new();
    while !got.last().is_some_and(|l: &String| l.contains(until)) {
        let left = deadline.saturating_duration_since(Instant::now());
        match notes.recv_timeout(left) {
            Ok(line) => got.push(line),
            Err(_) => panic!("no {until:?} in {got:?}"),
        }
    }
    got
}

/// tester10 finding 4: `aegon -f FOLDER` said nothing of a followed file removed or renamed
/// away, which `-f FILE` says (the help: -f "reports truncation, rotation, removal"); now
/// in the same words. `aegon watch FOLDER` still does not (Claude Code deletes its old
/// transcripts): what it says of the files after (a truncation) comes without it.
fn says_removals_in_a_followed_folder(extra: &[&str], name: &str, said: bool) {
    let dir = temp_dir(name);
    for file in ["s", "t", "u"] {
        append(&dir.join(format!("{file}.jsonl")), &prompt(file));
    }
    let mut command = Command::new(env!("CARGO_BIN_EXE_aegon"));
    command.args(extra).arg(&*dir).stderr(Stdio::piped());
    let mut f = common::Running::spawn(&mut command);
    let notes = stderr_lines(&mut f);
    assert_eq!(f.prompt_events(3).len(), 3);
    std::fs::remove_file(dir.join("s.jsonl")).unwrap();
    std::fs::rename(dir.join("u.jsonl"), dir.join("v.jsonl")).unwrap();
    let removed = "renamed away or removed; waiting for it to come back";
    if said {
        for file in ["s.jsonl", "u.jsonl"] {
            let got = notes_until(&notes, removed);
            assert!(got.last().unwrap().contains(file), "{got:?}");
        }
    }
    std::fs::write(dir.join("t.jsonl"), "").unwrap();
    let got = notes_until(&notes, "t.jsonl: truncated; reading from the start");
    assert!(!got.iter().any(|l| l.contains(removed)), "{got:?}");
}

#[test]
fn follow_a_folder_says_a_file_removed_or_renamed_away() {
    says_removals_in_a_followed_folder(&["-f", "--ndjson"], "dir-removed", true);
}

#[test]
fn follow_a_folder_polling_says_a_file_removed_or_renamed_away() {
    says_removals_in_a_followed_folder(&["-f", "--ndjson", "--poll"], "dir-removed-poll", true);
}

#[test]
fn watch_does_not_say_a_file_removed() {
    says_removals_in_a_followed_folder(&["watch", "--ndjson"], "watch-removed", false);
}

/// More files than the open-file limit allows, every one written at once after its history
/// was read (a month of sessions under a container's or systemd's `LimitNOFILE`): every new
/// line is read, by `-f FOLDER` and by `watch` alike, as by `-f FILE…` above (tester15 #7: past the limit, files were
/// no longer read, silently: 57 of 150 under `ulimit -n 64`, until a rescan a minute later).
#[cfg(unix)]
fn follows_a_folder_of_more_files_than_the_open_file_limit(extra: &[&str], name: &str) {
    const FILES: usize = 120;
    let dir = temp_dir(name);
    let projects = dir.join("projects");
    let path = |i: usize| {
        projects
            .join(format!("-p{}", i % 6))
            .join(format!("s{i}.jsonl"))
    };
    for i in 0..FILES {
        std::fs::create_dir_all(path(i).parent().unwrap()).unwrap();
        append(&path(i), &prompt(&format!("history {i}")));
    }
    // The hard limit too (a lowered soft limit alone aegon raises).
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("ulimit -n 40 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_aegon"))
        .args(extra)
        .arg("-q")
        .arg(&projects);
    let f = Following(common::Running::spawn(&mut command));
    assert_eq!(f.prompts(FILES).len(), FILES);
    for i in 0..FILES {
        append(&path(i), &prompt(&format!("new {i}")));
    }
    let mut new = f.prompts(FILES);
    new.sort();
    let mut expected: Vec<String> = (0..FILES).map(|i| format!("new {i}")).collect();
    expected.sort();
    assert_eq!(new, expected);
    drop(f);
}

#[cfg(unix)]
#[test]
fn follow_a_folder_of_more_files_than_the_open_file_limit() {
    follows_a_folder_of_more_files_than_the_open_file_limit(&["-f", "--ndjson"], "follow-nofile");
}

#[cfg(unix)]
#[test]
fn watch_more_files_than_the_open_file_limit() {
    follows_a_folder_of_more_files_than_the_open_file_limit(
        &["watch", "--ndjson", "--since", "all"],
        "watch-nofile",
    );
}
