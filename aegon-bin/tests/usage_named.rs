//! tester12 #7: `aegon usage` says a subagent or workflow run a session names of which no line
//! of transcript was read, as `aegon --summary` says it: the same note (stderr and the JSON
//! `notes`), exit status 1, from the index (cold and warm) and with `--no-index`; and the
//! status line shows the session's cost as a lower bound (`$1.23+`).
//!
//! Real data: marot/spotter's session 258c7280 (Claude Code 2.1.39; its Task result names
//! subagent a881341 and records `totalTokens` 43,179; its subagents' files
//! `258c7280…/subagents/agent-a881341.jsonl` and `agent-acompact-fffbd0.jsonl`), and
//! austinweitao/claude-backup's 3e89eb15 (Claude Code 2.1.167; three workflow runs launched,
//! one run's agent file kept), both in fixtures/corpus.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;

use common::{fixture, output_with_stdin, temp_dir, Reads};

/// marot's session id.
const MAROT: &str = "258c7280-ae70-4798-800f-63464d01a85d";

/// A file of marot's session in the fixtures: `suffix` "" for the session's own.
fn marot(suffix: &str) -> PathBuf {
    fixture(&format!(
        "marot__spotter__test__fixtures__transcripts__{MAROT}{suffix}.jsonl"
    ))
}

/// aegon with its usage index in `data` and no folder of the machine's.
fn aegon(data: &Path, args: &[&str]) -> Command {
    common::aegon_isolated(data, args)
}

/// `aegon usage REPORT --json EXTRA… PATH`: exit status, document, stderr.
fn usage(data: &Path, report: &str, path: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["usage", report, "--json"];
    args.extend_from_slice(extra);
    args.push(path.to_str().unwrap());
    let out = aegon(data, &args).output().unwrap();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    (
        out.status.code().unwrap_or(-1),
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The JSON notes of a report.
fn notes(doc: &Value) -> Vec<String> {
    doc["notes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// What `aegon --summary PATH` says on stderr, line by line, without the `aegon: ` prefix, and
/// its exit status.
fn summary_notes(path: &Path) -> (Vec<String>, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["--summary", "--json"])
        .arg(path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    (
        err.lines()
            .map(|l| l.strip_prefix("aegon: ").unwrap_or(l).to_owned())
            .collect(),
        out.status.code().unwrap_or(-1),
    )
}

/// marot's session in a fresh project folder `DIR/-p/`, with the subagent files `agents`
/// (suffixes of [`marot`]) below `SESSION/subagents/`, the first `a881341_lines` lines of
/// a881341's when it is among them (all: `usize::MAX`). Gives the folder (removed when the
/// first value is dropped), the project folder and an index folder.
fn marot_project(
    name: &str,
    agents: &[&str],
    a881341_lines: usize,
) -> (common::TempDir, PathBuf, PathBuf) {
    let dir = temp_dir(name);
    let project = dir.join("-p");
    let subagents = project.join(MAROT).join("subagents");
    std::fs::create_dir_all(&subagents).unwrap();
    std::fs::copy(marot(""), project.join(format!("{MAROT}.jsonl"))).unwrap();
    for agent in agents {
        let text = std::fs::read_to_string(marot(&format!("__subagents__{agent}"))).unwrap();
        let text: String = if *agent == "agent-a881341" {
            text.split_inclusive('\n').take(a881341_lines).collect()
        } else {
            text
        };
        std::fs::write(subagents.join(format!("{agent}.jsonl")), text).unwrap();
    }
    let data = dir.join("data");
    (dir, project, data)
}

/// Cold (a new index), warm (the same index) and `--no-index`.
const WAYS: [(&str, &[&str]); 3] = [("cold", &[]), ("warm", &[]), ("fresh", &["--no-index"])];

#[test]
fn a_subagent_named_and_not_read_is_said_as_the_summary_says_it() {
    // Without a881341's file, and with its prompt line alone (tester13 #6: none of the usage
    // its Task result records): the note. With its first response too, and whole: none.
    for (agents, lines, said) in [
        (&["agent-acompact-fffbd0"][..], 0, true),
        (&["agent-acompact-fffbd0", "agent-a881341"][..], 1, true),
        (&["agent-acompact-fffbd0", "agent-a881341"][..], 2, false),
        (
            &["agent-acompact-fffbd0", "agent-a881341"][..],
            usize::MAX,
            false,
        ),
    ] {
        let (_dir, project, data) = marot_project("usage-named", agents, lines);
        let (summary, summary_code) = summary_notes(&project);
        assert_eq!(
            summary_code,
            if said { 1 } else { 0 },
            "{lines}: {summary:?}"
        );
        let want: Vec<&String> = summary
            .iter()
            .filter(|l| l.contains("subagent a881341"))
            .collect();
        assert_eq!(want.len(), usize::from(said), "{lines}: {summary:?}");
        for (how, extra) in WAYS {
            for report in ["daily", "sessions", "blocks"] {
                let (code, doc, stderr) = usage(&data, report, &project, extra);
                let got = notes(&doc);
                let got: Vec<&String> = got.iter().filter(|n| n.contains("a881341")).collect();
                assert_eq!(got, want, "{how} {report} {lines}: {stderr}");
                assert_eq!(code, if said { 1 } else { 0 }, "{how} {report}: {stderr}");
                for note in &want {
                    assert!(stderr.contains(note.as_str()), "{how} {report}: {stderr}");
                }
            }
        }
    }
}

#[test]
fn a_report_that_does_not_cover_the_session_says_nothing_of_it() {
    let (_dir, project, data) = marot_project("usage-named-scope", &[], 0);
    for (how, extra) in WAYS {
        // The session's responses are of 2026-02-11: a report from the day after has none.
        let mut args = extra.to_vec();
        args.extend(["--since", "2026-02-12"]);
        let (code, doc, stderr) = usage(&data, "daily", &project, &args);
        assert_eq!(notes(&doc), Vec::<String>::new(), "{how}: {stderr}");
        assert_eq!(code, 0, "{how}: {stderr}");
        // Over the day itself: said.
        let mut args = extra.to_vec();
        args.extend(["--since", "2026-02-11", "--until", "2026-02-11"]);
        let (code, doc, stderr) = usage(&data, "daily", &project, &args);
        assert_eq!(notes(&doc).len(), 1, "{how}: {stderr}");
        assert_eq!(code, 1, "{how}: {stderr}");
    }
}

/// tester13 #5's session (three workflow runs launched, one run's agent file kept): every
/// report says the runs of which no agent's line was read, in `--summary`'s words; with a file
/// in every run's folder, nothing.
#[test]
fn a_workflow_run_with_no_agent_read_is_said_by_every_report() {
    let id = "3e89eb15-32e7-43f8-8734-8d47310263ea";
    let prefix = "austinweitao__claude-backup__projects__-home-cwtrocks-android-avd__";
    let session = fixture(&format!("{prefix}sessions__{id}.jsonl"));
    let agent = fixture(&format!(
        "{prefix}subagents__{id}__workflows__wf_4af3c93a-ada__agent-a340795228348a5a6.jsonl"
    ));
    let runs = ["wf_4af3c93a-ada", "wf_9cab1d1d-783", "wf_f5b3cd7b-844"];
    for read in [1, 3] {
        let dir = temp_dir("usage-workflow-runs");
        let project = dir.join("-p");
        std::fs::create_dir_all(&project).unwrap();
        std::fs::copy(&session, project.join(format!("{id}.jsonl"))).unwrap();
        let lines = std::fs::read_to_string(&agent).unwrap();
        for (i, run) in runs[..read].iter().enumerate() {
            let folder = project.join(id).join("subagents/workflows").join(run);
            std::fs::create_dir_all(&folder).unwrap();
            let copy = lines
                .replace("a340795228348a5a6", &format!("a34079522834800{i}"))
                .replace("\"uuid\":\"", &format!("\"uuid\":\"{i}"));
            std::fs::write(folder.join(format!("agent-a34079522834800{i}.jsonl")), copy).unwrap();
        }
        let (summary, _) = summary_notes(&project);
        let want: Vec<&String> = summary
            .iter()
            .filter(|l| l.contains("workflow run"))
            .collect();
        assert_eq!(want.len(), usize::from(read < runs.len()), "{summary:?}");
        let data = dir.join("data");
        for (how, extra) in WAYS {
            let (code, doc, stderr) = usage(&data, "monthly", &project, extra);
            let got = notes(&doc);
            let got: Vec<&String> = got.iter().filter(|n| n.contains("workflow run")).collect();
            assert_eq!(got, want, "{how} {read}: {stderr}");
            for (i, run) in runs.iter().enumerate() {
                assert_eq!(stderr.contains(run), i >= read, "{how} {read}: {stderr}");
            }
            assert_eq!(code, if read < runs.len() { 1 } else { 0 }, "{how}");
        }
    }
}

/// `aegon statusline --format {session_cost}` for marot's session in `project`.
fn statusline(data: &Path, project: &Path, extra: &[&str]) -> String {
    let input = serde_json::json!({
        "session_id": MAROT,
        "transcript_path": project.join(format!("{MAROT}.jsonl")),
        "model": {"display_name": "Opus"},
    });
    // Time enough for a debug build to read the session whole, either way.
    let mut args = vec![
        "statusline",
        "--format",
        "{session_cost}",
        "--index-budget",
        "60000",
    ];
    args.extend_from_slice(extra);
    let out = output_with_stdin(
        aegon(data, &args).env("NO_COLOR", "1"),
        input.to_string(),
        Reads::All,
    );
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn the_status_line_shows_a_session_with_a_subagent_not_read_as_a_lower_bound() {
    // The session without a881341's file: $12.0982 (`--summary`'s priced cost of the session
    // file and the compaction agent's, with a881341's two responses copied in the session's
    // progress lines, $0.1359; its cost null), a lower bound; with it, $12.2257, exact.
    let (_dir, project, data) = marot_project("sl-named", &["agent-acompact-fffbd0"], 0);
    for extra in [&[][..], &[][..], &["--no-index"][..]] {
        assert_eq!(
            statusline(&data, &project, extra),
            "$12.10+ session",
            "{extra:?}"
        );
    }
    let sub = project.join(MAROT).join("subagents/agent-a881341.jsonl");
    std::fs::copy(marot("__subagents__agent-a881341"), sub).unwrap();
    for extra in [&[][..], &[][..], &["--no-index"][..]] {
        assert_eq!(
            statusline(&data, &project, extra),
            "$12.23 session",
            "{extra:?}"
        );
    }
}
