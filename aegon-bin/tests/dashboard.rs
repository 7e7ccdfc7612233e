//! The dashboard as a person uses it: the real binary in a tmux pane (a real pseudo-terminal),
//! keys sent with `send-keys`, the screen read with `capture-pane`; then what the replay, demo
//! and `--detached` commands do off a terminal.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::tmux::Pane;
use common::{aegon_stdout, fixture, temp_dir, TempDir};

const APANLOCO: &str = "apanloco__random__session.jsonl";

/// A Claude config folder with one project holding the first `lines` lines of a fixture.
fn claude_dir(name: &str, lines: usize) -> (TempDir, PathBuf) {
    let base = temp_dir(&format!("dash-{name}"));
    let project = base.join("projects/-home-me-proj");
    std::fs::create_dir_all(&project).unwrap();
    let text = std::fs::read_to_string(fixture(APANLOCO)).unwrap();
    let head: String = text.lines().take(lines).map(|l| format!("{l}\n")).collect();
    let file = project.join("a263b894-c8c2-44af-8845-663362b5a201.jsonl");
    std::fs::write(&file, head).unwrap();
    (base, file)
}

fn append_prompt(file: &Path, text: &str) {
    let line = format!(
        r#"{{"type":"user","sessionId":"a263b894-c8c2-44af-8845-663362b5a201","timestamp":"2026-04-14T05:50:00.000Z","uuid":"u-{text}","message":{{"role":"user","content":"{text}"}}}}"#
    );
    let mut f = std::fs::OpenOptions::new().append(true).open(file).unwrap();
    writeln!(f, "{line}").unwrap();
}

#[test]
fn bare_aegon_on_a_terminal_shows_appended_lines_and_q_restores_the_terminal() {
    let (base, file) = claude_dir("bare", 20);
    let aegon = env!("CARGO_BIN_EXE_aegon");
    // What the shell sees after aegon: its exit status and whether the line discipline is
    // back in canonical mode with echo (raw mode turned off).
    let command = format!(
        "{aegon}; echo \"EXITED $?\"; stty -a | tr ' ' '\\n' | grep -x -e '-\\?icanon' -e '-\\?echo'; echo DONE; sleep 30"
    );
    let pane = Pane::start("bare", &command, &[("CLAUDE_CONFIG_DIR", &base)], 120, 32);
    let screen = pane.wait_for("hi!");
    assert!(screen.contains(" aegon "), "{screen}");
    assert_eq!(
        pane.format("alternate_on"),
        "1",
        "draws on the alternate screen"
    );

    append_prompt(&file, "marker-appended-while-watching");
    let screen = pane.wait_for("marker-appended-while-watching");
    assert!(screen.contains("USER"), "{screen}");

    // Keys: ? opens the help, any key closes it, q quits.
    pane.keys(&["?"]);
    pane.wait_for("aegon · keys");
    pane.keys(&["x"]);
    pane.keys(&["q"]);
    let screen = pane.wait_for("DONE");
    assert!(screen.contains("EXITED 0"), "{screen}");
    assert!(
        screen.contains("\nicanon\n") || screen.contains("icanon\necho"),
        "{screen}"
    );
    assert!(
        !screen.contains("-icanon") && !screen.contains("-echo"),
        "raw mode left on:\n{screen}"
    );
    assert_eq!(
        pane.format("alternate_on"),
        "0",
        "left the alternate screen"
    );
    assert_eq!(pane.format("cursor_flag"), "1", "cursor shown again");
}

/// Ctrl-Z as in any program run from an interactive shell: the shell's prompt comes back on the
/// main screen with its line mode (raw mode off) and the cursor shown, the job listed as
/// stopped; `fg` brings the dashboard back, drawn whole, and it goes on showing what is appended.
#[test]
fn ctrl_z_suspends_to_the_shell_and_fg_brings_the_dashboard_back() {
    let (base, file) = claude_dir("suspend", 20);
    let aegon = env!("CARGO_BIN_EXE_aegon");
    // An interactive bash (job control on), no rc files, a prompt of our own.
    let pane = Pane::start(
        "suspend",
        "env PS1='PROMPT> ' bash --norc --noprofile -i",
        &[("CLAUDE_CONFIG_DIR", &base)],
        120,
        32,
    );
    pane.wait_for("PROMPT>");
    pane.keys(&[&format!("{aegon} watch"), "Enter"]);
    pane.wait_for("hi!");
    assert_eq!(pane.format("alternate_on"), "1");

    pane.keys(&["C-z"]);
    pane.wait_for("Stopped");
    // Then the shell's prompt, last on the screen.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut screen = pane.screen();
    while !screen.trim_end().ends_with("PROMPT>") {
        assert!(
            Instant::now() < deadline,
            "no prompt after the stop:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
        screen = pane.screen();
    }
    assert_eq!(
        pane.format("alternate_on"),
        "0",
        "left the alternate screen"
    );
    assert_eq!(pane.format("cursor_flag"), "1", "cursor shown");
    // The shell's view of the terminal: canonical mode and echo, as before aegon.
    pane.keys(&[
        "stty -a | tr ' ' '\\n' | grep -x -e '-\\?icanon' -e '-\\?echo'; echo CHECKED",
        "Enter",
    ]);
    let screen = pane.wait_for("\nCHECKED");
    assert!(
        screen.contains("\nicanon\n") || screen.contains("icanon\necho"),
        "{screen}"
    );
    assert!(
        !screen.contains("-icanon") && !screen.contains("-echo"),
        "raw mode left on:\n{screen}"
    );
    // Appended while stopped: read once it goes on.
    append_prompt(&file, "marker-appended-while-stopped");

    pane.keys(&["fg", "Enter"]);
    pane.wait_for("marker-appended-while-stopped");
    assert_eq!(
        pane.format("alternate_on"),
        "1",
        "back on the alternate screen"
    );
    // Drawn whole: the shell's lines are gone, the header and the footer are there. A capture
    // may land while the frame is still being written (seen under load 7+): the whole frame
    // must follow within the deadline.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut screen = pane.screen();
    while screen.contains("PROMPT>") || !(screen.contains(" aegon ") && screen.contains("q quit")) {
        assert!(
            Instant::now() < deadline,
            "not drawn whole after fg:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
        screen = pane.screen();
    }
    // Keys work as before (raw mode again: `?` is read without Enter).
    pane.keys(&["?"]);
    pane.wait_for("aegon · keys");
    pane.keys(&["x"]);
    pane.keys(&["q"]);
    let screen = pane.wait_for("PROMPT>");
    assert_eq!(pane.format("alternate_on"), "0", "{screen}");
}

/// Ended by a signal, the dashboard restores the terminal and exits with 128 + the signal's
/// number, as shells report a process a signal ended (it exited 0, which reads as a success).
#[test]
fn sigterm_and_sigint_restore_the_terminal() {
    // POSIX's numbers of the three signals.
    for (signal, number) in [("TERM", 15), ("INT", 2), ("HUP", 1)] {
        signal_restores_the_terminal(signal, 128 + number);
    }
}

fn signal_restores_the_terminal(signal: &str, exit_status: i32) {
    let (base, _) = claude_dir(signal, 20);
    let aegon = env!("CARGO_BIN_EXE_aegon");
    let pid_file = base.join("pid");
    let command = format!(
        "{aegon} watch {} & echo $! > {}; wait $!; echo \"EXITED $?\"; sleep 30",
        base.join("projects").display(),
        pid_file.display()
    );
    let pane = Pane::start(signal, &command, &[], 100, 30);
    pane.wait_for("hi!");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let status = Command::new("kill")
        .args([&format!("-{signal}"), pid.trim()])
        .status()
        .unwrap();
    assert!(status.success());
    let screen = pane.wait_for("EXITED");
    assert!(
        screen
            .lines()
            .any(|l| l.trim_end() == format!("EXITED {exit_status}")),
        "SIG{signal}: {screen:?}"
    );
    assert_eq!(pane.format("alternate_on"), "0", "SIG{signal}");
}

#[test]
fn demo_off_a_terminal_streams_the_shipped_session() {
    // Fast enough to take no time; the events are those of the fixture, in order.
    let demo = aegon_stdout(["demo", "--speed", "1000000", "--ndjson"]);
    let file = aegon_stdout(["--ndjson".as_ref(), fixture(APANLOCO).as_os_str()]);
    let kinds = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"].to_string())
            .collect()
    };
    assert_eq!(kinds(&demo), kinds(&file));
    assert!(kinds(&demo).len() > 100);
}

#[test]
fn replay_waits_between_lines_as_recorded() {
    let dir = temp_dir("replay");
    let file = dir.join("r.jsonl");
    let mut text = String::new();
    for second in 0..3 {
        text.push_str(&format!(
            r#"{{"type":"user","sessionId":"s","timestamp":"2026-01-01T10:00:0{second}.000Z","message":{{"role":"user","content":"p{second}"}}}}"#
        ));
        text.push('\n');
    }
    std::fs::write(&file, text).unwrap();
    let started = Instant::now();
    let out = aegon_stdout([
        "replay".as_ref(),
        file.as_os_str(),
        "--speed".as_ref(),
        "2".as_ref(),
    ]);
    let took = started.elapsed();
    assert_eq!(out.lines().count(), 3, "{out}");
    // Two gaps of one second at twice the speed.
    assert!(took >= Duration::from_millis(950), "played in {took:?}");
}

/// A `tmux` in `dir` (put `dir` first on PATH) that only writes the arguments it was given, one
/// per line, to the file whose path it returns.
fn fake_tmux(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let log = dir.join("tmux-args");
    let fake = dir.join("tmux");
    std::fs::write(
        &fake,
        format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > {}\n", log.display()),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    log
}

#[test]
fn detached_opens_a_tmux_window_with_the_same_command() {
    let dir = temp_dir("detach");
    let log = fake_tmux(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["watch", "--detached", "--since", "2h"])
        .arg(&dir)
        .env("TMUX", "/tmp/tmux-0/default,1,0")
        .env("PATH", format!("{}:/usr/bin:/bin", dir.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("new tmux window"));
    let args = std::fs::read_to_string(&log).unwrap();
    let args: Vec<&str> = args.lines().collect();
    // The command under `env`, given the caller's variables (the next test runs a real tmux).
    assert_eq!(&args[..5], ["new-window", "-n", "aegon", "--", "env"]);
    let n = args.len();
    assert!(args[n - 5].ends_with("aegon"), "{args:?}");
    assert_eq!(
        &args[n - 4..],
        ["watch", "--since", "2h", dir.to_str().unwrap()]
    );

    // Nowhere to open a window: says so, exits 2.
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["demo", "--detached"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no terminal window"));
}

/// A credential in the caller's environment (`OTEL_EXPORTER_OTLP_HEADERS` carries API keys)
/// is not put on the new window's command line, which every user can read (`ps`): it goes in
/// a file only its owner can read, which the new process reads, deletes and applies.
#[test]
fn detached_keeps_credentials_off_the_command_line() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("detach-secret");
    let runtime = dir.join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    let log = fake_tmux(&dir);
    let secret = "x-honeycomb-team=hcaik_SECRET123";
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["watch", "--detached", "--otlp-export"])
        .env("TMUX", "/tmp/tmux-0/default,1,0")
        .env("PATH", format!("{}:/usr/bin:/bin", dir.display()))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("OTEL_EXPORTER_OTLP_HEADERS", secret)
        .env("OTEL_SERVICE_NAME", "svc")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let args = std::fs::read_to_string(&log).unwrap();
    assert!(!args.contains("SECRET123"), "{args}");
    // Other variables still go on the command line (the test below checks they arrive).
    assert!(args.lines().any(|a| a == "OTEL_SERVICE_NAME=svc"), "{args}");
    let file = args
        .lines()
        .find_map(|a| a.strip_prefix("AEGON_DETACHED_ENV="))
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no AEGON_DETACHED_ENV in {args}"));
    assert_eq!(file.parent(), Some(runtime.as_path()));
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let held = std::fs::read(&file).unwrap();
    assert_eq!(
        held,
        format!("OTEL_EXPORTER_OTLP_HEADERS={secret}\0").as_bytes()
    );

    // The new window's process: an env file naming where Claude Code's folder is, read like
    // the variable itself, then deleted.
    let claude = dir.join("claude");
    let project = claude.join("projects/-home-me-proj");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::copy(fixture(APANLOCO), project.join("s.jsonl")).unwrap();
    let usage = |env_file: Option<&Path>, claude_dir: Option<&Path>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_aegon"));
        c.args(["usage", "daily", "--json", "--since", "2000-01-01"])
            .env("HOME", dir.join("no-home"))
            .env("AEGON_DATA_DIR", dir.join("data"))
            .env_remove("CLAUDE_CONFIG_DIR")
            .env_remove("CODEX_HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("XDG_CONFIG_HOME");
        if let Some(f) = env_file {
            c.env("AEGON_DETACHED_ENV", f);
        }
        if let Some(d) = claude_dir {
            c.env("CLAUDE_CONFIG_DIR", d);
        }
        c.output().unwrap()
    };
    let direct = usage(None, Some(&claude));
    assert!(direct.status.success());
    let held = runtime.join("aegon-detached-1-00000000.env");
    std::fs::write(&held, format!("CLAUDE_CONFIG_DIR={}\0", claude.display())).unwrap();
    std::fs::set_permissions(&held, std::fs::Permissions::from_mode(0o600)).unwrap();
    let via_file = usage(Some(&held), None);
    assert!(via_file.status.success());
    assert!(!held.exists(), "the file is deleted once read");
    assert_eq!(
        String::from_utf8_lossy(&via_file.stdout),
        String::from_utf8_lossy(&direct.stdout)
    );
    assert!(String::from_utf8_lossy(&direct.stdout).contains("inputTokens"));

    // A file others can read, or one --detached did not write, is neither used nor deleted.
    for (name, mode) in [
        ("aegon-detached-2-00000000.env", 0o644),
        ("notes.txt", 0o600),
    ] {
        let other = runtime.join(name);
        std::fs::write(&other, format!("CLAUDE_CONFIG_DIR={}\0", claude.display())).unwrap();
        std::fs::set_permissions(&other, std::fs::Permissions::from_mode(mode)).unwrap();
        let out = usage(Some(&other), None);
        assert!(other.exists(), "{name} kept");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("AEGON_DETACHED_ENV"),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_ne!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&direct.stdout),
            "{name} was read"
        );
    }
}

/// tmux starts a new window with its server's environment, not its caller's: the window
/// `--detached` opened watched `~/.claude` and wrote the usage index to the default place
/// when the caller had set `CLAUDE_CONFIG_DIR`, `AEGON_DATA_DIR` or `HOME` for this run.
#[test]
fn detached_in_tmux_passes_on_the_callers_environment() {
    let dir = temp_dir("detach-env");
    let (home, claude, data) = (dir.join("home"), dir.join("claude"), dir.join("data"));
    // A Claude folder that exists, so the dashboard stays open.
    std::fs::create_dir_all(claude.join("projects")).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    let command = format!(
        "env HOME={} CLAUDE_CONFIG_DIR={} AEGON_DATA_DIR={} {} watch --detached --since all; sleep 60",
        home.display(),
        claude.display(),
        data.display(),
        env!("CARGO_BIN_EXE_aegon"),
    );
    let pane = Pane::start("detach-env", &command, &[], 100, 30);
    let want = [
        format!("HOME={}", home.display()),
        format!("CLAUDE_CONFIG_DIR={}", claude.display()),
        format!("AEGON_DATA_DIR={}", data.display()),
    ];
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut environment = Vec::new();
    while Instant::now() < deadline {
        let out = pane.tmux(&["list-panes", "-t", ":1", "-F", "#{pane_pid}"]);
        let pid = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if out.status.success() && !pid.is_empty() {
            // The window's process, once `env` (or tmux) has given it its variables.
            let bytes = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            environment = bytes
                .split(|&b| b == 0)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect();
            if want.iter().all(|w| environment.contains(w)) {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let missing: Vec<&String> = want.iter().filter(|w| !environment.contains(w)).collect();
    assert!(
        missing.is_empty(),
        "the new window lacks {missing:?}; it has {environment:?}"
    );
    drop(pane);
}

/// A copy of a fixture whose timestamps are moved so that its last line was written
/// `ago_ms` before now (the dashboard's Usage view counts by the clock).
fn shifted_copy(name: &str, to: &Path, ago_ms: i64) {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let millis = |v: &serde_json::Value| {
        v["timestamp"]
            .as_str()
            .and_then(aegon::timestamp::parse_millis)
    };
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let last = lines.iter().filter_map(millis).max().unwrap();
    let now = aegon::timestamp::now_ms();
    let shift = now - ago_ms - last;
    let mut out = String::new();
    for mut v in lines {
        if let Some(ms) = millis(&v) {
            v["timestamp"] = aegon::usage::render::rfc3339(ms + shift).into();
        }
        out.push_str(&v.to_string());
        out.push('\n');
    }
    std::fs::write(to, out).unwrap();
}

#[test]
fn u_opens_the_usage_view_over_a_real_tree() {
    let base = temp_dir("dash-usage");
    let project = base.join("claude/projects/-home-me-proj");
    let data = base.join("data");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::create_dir_all(&data).unwrap();
    // The session as if it ended two minutes ago, beside an old one left as it was.
    let live = project.join("a263b894-c8c2-44af-8845-663362b5a201.jsonl");
    shifted_copy(APANLOCO, &live, 120_000);
    let old = "chiphuyen__sniffly__tests__mock-data__-Users-chip-dev-ai-music__fed8ce56-bc79-401f-a83e-af084253362f.jsonl";
    std::fs::copy(
        fixture(old),
        project.join("fed8ce56-bc79-401f-a83e-af084253362f.jsonl"),
    )
    .unwrap();
    // What it cost, by the session core (aegon --summary).
    let summary: serde_json::Value = serde_json::from_str(&aegon_stdout([
        "--summary".as_ref(),
        "--json".as_ref(),
        live.as_os_str(),
    ]))
    .unwrap();
    let cost = format!("${:.2}", summary["totals"]["cost_usd"].as_f64().unwrap());

    let aegon = env!("CARGO_BIN_EXE_aegon");
    let env = [
        ("CLAUDE_CONFIG_DIR", base.join("claude")),
        ("AEGON_DATA_DIR", data.clone()),
        ("TZ", PathBuf::from("UTC")),
    ];
    let env: Vec<(&str, &Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let pane = Pane::start("usage", &format!("{aegon}; sleep 30"), &env, 130, 40);
    let screen = pane.wait_for("hi!");
    assert!(screen.contains("u usage"), "{screen}");
    assert!(
        !data.join("usage.sqlite3").exists(),
        "the index is not touched before the view opens"
    );
    pane.keys(&["u"]);
    let screen = pane.wait_for("By model · 30 days");
    // The session's two minutes ago: the last 30 days, this block and the model hold its cost
    // (today too, unless midnight fell within the session's 22 minutes).
    for expected in [
        format!("Cost per day · 30 days · total {cost}"),
        format!("opus-4-6 {cost}"),
        "Claude block ".to_owned(),
        "(estimate)".to_owned(),
        "Usage · UTC · updated".to_owned(),
        "u or Esc back to the sessions".to_owned(),
    ] {
        assert!(
            screen.contains(&expected),
            "{expected:?} missing:\n{screen}"
        );
    }
    assert!(data.join("usage.sqlite3").exists());
    // Esc goes back to the sessions, whose panel now charts tokens per minute.
    pane.keys(&["Escape"]);
    let screen = pane.wait_for("Tok/min");
    assert!(screen.contains("Context over time"), "{screen}");
    pane.keys(&["q"]);
    drop(pane);

    // With --no-index the view says there is none, and no index is made.
    let data = base.join("data-none");
    let env = [
        ("CLAUDE_CONFIG_DIR", base.join("claude")),
        ("AEGON_DATA_DIR", data.clone()),
    ];
    let env: Vec<(&str, &Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let pane = Pane::start(
        "usage-none",
        &format!("{aegon} watch --no-index; sleep 30"),
        &env,
        100,
        30,
    );
    pane.wait_for("hi!");
    pane.keys(&["u"]);
    pane.wait_for("No usage index: --no-index");
    assert!(!data.exists());
    drop(pane);
}

#[test]
fn watch_shows_a_codex_session_beside_a_claude_one() {
    // Claude Code's folder and Codex's default one (~/.codex/sessions), each with a real
    // session: the dashboard lists both, each row naming its agent.
    let base = temp_dir("dash-agents");
    let project = base.join("claude/projects/-home-me-proj");
    let day = base.join("home/.codex/sessions/2025/12/26");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::create_dir_all(&day).unwrap();
    std::fs::copy(
        fixture(APANLOCO),
        project.join("a263b894-c8c2-44af-8845-663362b5a201.jsonl"),
    )
    .unwrap();
    let rollout = "rollout-2025-12-26T01-48-36-019b5669-8da8-7bc3-bed8-e1c1b805dad5.jsonl";
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/agents/codex")
            .join(format!(
                "0h-n0__local-voice-assistant-codex__.codex__sessions__2025__12__26__{rollout}"
            )),
        day.join(rollout),
    )
    .unwrap();
    let aegon = env!("CARGO_BIN_EXE_aegon");
    let env = [
        ("CLAUDE_CONFIG_DIR", base.join("claude")),
        ("HOME", base.join("home")),
        ("AEGON_DATA_DIR", base.join("data")),
    ];
    let env: Vec<(&str, &Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let pane = Pane::start("agents", &format!("{aegon} watch; sleep 30"), &env, 140, 40);
    let screen = pane.wait_for("Sessions 2");
    let rows: Vec<&str> = screen.lines().collect();
    assert!(
        rows.iter().any(|l| l.contains("codex    ")),
        "no codex row:\n{screen}"
    );
    assert!(
        rows.iter().any(|l| l.contains("claude   ")),
        "no claude row:\n{screen}"
    );
    pane.keys(&["q"]);
    drop(pane);
}

/// tester9 #6: the Ctrl-C key (raw mode delivers it as a key, never as SIGINT) ended the
/// dashboard with status 0, like q, so `aegon watch && next` could not tell an interrupt. It
/// now ends it as SIGINT does: 130, with the terminal restored (line mode with echo, main
/// screen, cursor shown).
#[test]
fn the_ctrl_c_key_exits_130_and_restores_the_terminal() {
    let (base, _) = claude_dir("ctrl-c", 20);
    let aegon = env!("CARGO_BIN_EXE_aegon");
    let command = format!(
        "{aegon} watch {}; echo \"EXITED $?\"; stty -a | tr ' ' '\\n' | grep -x -e '-\\?icanon' -e '-\\?echo'; echo DONE; sleep 30",
        base.join("projects").display()
    );
    let pane = Pane::start("ctrl-c", &command, &[], 100, 30);
    pane.wait_for("hi!");
    pane.keys(&["C-c"]);
    let screen = pane.wait_for("DONE");
    assert!(
        screen.lines().any(|l| l.trim_end() == "EXITED 130"),
        "{screen:?}"
    );
    assert!(
        !screen.contains("-icanon") && !screen.contains("-echo"),
        "raw mode left on:\n{screen}"
    );
    assert_eq!(pane.format("alternate_on"), "0");
    assert_eq!(pane.format("cursor_flag"), "1", "cursor shown again");
}
