//! Help pages and option errors as a user meets them: every command has its own page, by
//! `aegon COMMAND --help` and `aegon help COMMAND` alike; an option's error lists the values
//! it takes (each of them accepted); a price file's fault names its model once.

use std::process::{Command, Output};

mod common;

use common::temp_dir;

fn run_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aegon"))
        .current_dir(dir)
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run aegon")
}

fn run(args: &[&str]) -> Output {
    run_in(&std::env::temp_dir(), args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8")
}

/// A prompt and an answer (made by the test).
const SESSION: &str = concat!(
    r#"{"type":"user","sessionId":"s1","uuid":"u1","timestamp":"2026-01-01T10:00:00.000Z","message":{"role":"user","content":"read me"}}"#,
    "\n",
    r#"{"type":"assistant","sessionId":"s1","uuid":"u2","timestamp":"2026-01-01T10:00:01.000Z","requestId":"r1","message":{"id":"m1","model":"claude-opus-4-6","content":[{"type":"text","text":"done"}],"usage":{"input_tokens":3,"output_tokens":10}}}"#,
    "\n",
);

#[test]
fn every_command_has_its_own_page_by_either_way_of_asking() {
    let general = stdout(&run(&["--help"]));
    assert!(general.starts_with("aegon — "), "{general}");
    for (cmd, title, words) in [
        ("watch", "aegon watch — ", &["--since", "--poll"][..]),
        ("run", "aegon watch — ", &["--since"]),
        ("replay", "aegon replay — ", &["--speed", "FILE", "3 s"]),
        ("demo", "aegon demo — ", &["--speed", "[default: 8]"]),
        ("html", "aegon html — ", &["-o"]),
        ("usage", "aegon usage — ", &["--since"]),
        ("statusline", "aegon statusline — ", &[]),
        ("audit", "aegon audit — ", &[]),
        ("man", "aegon man — ", &["man <(aegon man)"]),
    ] {
        let own = run(&[cmd, "--help"]);
        assert_eq!(own.status.code(), Some(0), "{cmd}: {}", stderr(&own));
        let page = stdout(&own);
        assert!(page.starts_with(title), "{cmd} --help: {page}");
        assert_ne!(page, general, "{cmd}");
        for w in words {
            assert!(page.contains(w), "{cmd} --help lacks {w}");
        }
        let asked = run(&["help", cmd]);
        assert_eq!(asked.status.code(), Some(0), "help {cmd}");
        assert_eq!(stdout(&asked), page, "help {cmd}");
    }
    // `aegon man` itself is still the page in roff, `aegon help` the general help.
    assert!(stdout(&run(&["man"])).starts_with(".TH AEGON 1 "));
    assert_eq!(stdout(&run(&["help"])), general);
    assert!(stdout(&run(&["help", "help"])).starts_with("aegon help — "));
    // A command help does not know is an error that lists those it does.
    let out = run(&["help", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .starts_with("aegon: help: unknown command \"nope\"; one of: watch, run, replay"),
        "{}",
        stderr(&out)
    );
}

/// `help` is a command in first place only, as `watch` is: a file named `help` is read as
/// `./help` (or after another file), and `aegon help` still prints the help beside it.
#[test]
fn a_file_named_help_is_read_by_its_path() {
    let dir = temp_dir("help-file");
    std::fs::write(dir.join("help"), SESSION).unwrap();
    let out = run_in(&dir, &["--color", "never", "./help"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("read me"), "{}", stdout(&out));
    let out = run_in(&dir, &["help"]);
    assert!(stdout(&out).starts_with("aegon — "));
    std::fs::remove_dir_all(&dir).ok();
}

/// `--detail` and `--color` name the values they take, like `--format` and `--agent`; each
/// value listed is one the option accepts.
#[test]
fn option_errors_list_the_values_they_take_and_each_is_accepted() {
    let dir = temp_dir("help-values");
    let file = dir.join("s.jsonl");
    std::fs::write(&file, SESSION).unwrap();
    let file = file.to_str().unwrap();
    for (args, prefix) in [
        (
            &["--markdown", "--detail", "everything", file][..],
            "aegon: --detail: unknown level \"everything\"; one of: ",
        ),
        (
            &["--color", "sometimes", file],
            "aegon: --color: unknown choice \"sometimes\"; one of: ",
        ),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        let first = err.lines().next().unwrap();
        let values = first
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("{first}"));
        let values: Vec<&str> = values.split(", ").collect();
        assert_eq!(values.len(), 3, "{first}");
        for v in values {
            let good: Vec<&str> = args
                .iter()
                .map(|a| if *a == args[args.len() - 2] { v } else { a })
                .collect();
            let out = run(&good);
            assert_eq!(out.status.code(), Some(0), "{good:?}: {}", stderr(&out));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_bad_price_names_its_model_once() {
    let dir = temp_dir("help-pricing");
    let prices = dir.join("prices.json");
    std::fs::write(&prices, r#"{"claude-opus-4-6": {"input": -1}}"#).unwrap();
    let out = run(&["--pricing", prices.to_str().unwrap(), "-"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.matches("claude-opus-4-6").count(), 1, "{err}");
    assert!(
        err.contains("`claude-opus-4-6`: rates must be finite and not negative"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// tester5 item 10: `--help`'s EVENT KINDS omitted `pr_link`, which `-k` accepts. The list is
/// now made from the table `-k` reads, so every kind the error lists is in the help, and the
/// help lists no other.
#[test]
fn the_help_lists_the_event_kinds_k_accepts() {
    let bad = run(&["-k", "bogus"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = stderr(&bad);
    let (_, list) = err.split_once("kinds are: ").expect("the kinds listed");
    let list = list.lines().next().unwrap_or("");
    let accepted: Vec<&str> = list.trim().split(", ").collect();
    assert!(accepted.contains(&"pr_link"), "{accepted:?}");
    let help = stdout(&run(&["--help"]));
    let (_, section) = help.split_once("EVENT KINDS:\n").expect("EVENT KINDS");
    let (section, _) = section.split_once("\n\n").expect("a blank line after it");
    let listed: Vec<&str> = section.split_whitespace().collect();
    assert_eq!(listed, accepted);
    assert!(
        section
            .lines()
            .all(|l| l.starts_with("    ") && l.len() <= 84),
        "{section}"
    );
    // The man page is made from the same text.
    let man = stdout(&run(&["man"]));
    assert!(man.contains("pr_link"));
}

/// tester5 item 12: `usage --json`'s help said "ccusage's field names", but ccusage 20 names
/// the period key `period` and the session list `session`. The help names the fields it means
/// and the ccusage that differs, and aegon writes the fields it names.
#[test]
fn usage_json_help_names_the_ccusage_field_names_it_writes() {
    let help = stdout(&run(&["usage", "--help"]));
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for said in [
        "daily[].date, weekly[].week, monthly[].month, sessions[].sessionId",
        "ccusage 20.0.24 writes period and session for these",
    ] {
        assert!(flat.contains(said), "{said}: {help}");
    }
    let dir = temp_dir("usage-names");
    let file = dir.path().join("s.jsonl");
    std::fs::write(&file, SESSION).unwrap();
    let path = file.to_str().unwrap();
    for (report, list, key) in [
        ("daily", "daily", "date"),
        ("weekly", "weekly", "week"),
        ("monthly", "monthly", "month"),
        ("sessions", "sessions", "sessionId"),
    ] {
        let out = run_in(dir.path(), &["usage", report, "--json", "--no-index", path]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert!(v[list][0][key].is_string(), "{report}: {v}");
    }
}
