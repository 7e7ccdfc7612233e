//! `aegon html DIR -o OUT/`, `--html -o FILE` and `--markdown`, run as a user runs them.

use std::process::Command;

mod common;

use common::root;

fn aegon(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_aegon"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("run aegon")
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("aegon-html-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn a_folder_of_sessions_becomes_a_report_each_and_an_index() {
    let out = temp_dir("dir");
    let run = aegon(&["html", "-q", "fixtures/corpus", "-o", out.to_str().unwrap()]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // As many reports as the summary counts sessions (both leave out empty ones).
    let summary = aegon(&["--summary", "--json", "fixtures/corpus"]);
    let summary: serde_json::Value = serde_json::from_slice(&summary.stdout).unwrap();
    let sessions = summary["totals"]["sessions"].as_u64().unwrap() as usize;
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    let links: Vec<&str> = index
        .split("<a href=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(links.len(), sessions);
    let mut reports = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name != "index.html" {
            assert!(links.contains(&name.as_str()), "{name} is not linked");
            reports += 1;
        }
    }
    assert_eq!(reports, sessions);
    // Each session's report is named after its id, and a subagent file went into its parent's.
    let spotter =
        std::fs::read_to_string(out.join("258c7280-ae70-4798-800f-63464d01a85d.html")).unwrap();
    assert!(spotter.contains("Subagent <code>a881341</code>"));
    assert_eq!(
        String::from_utf8(run.stdout).unwrap().trim_end(),
        format!(
            "{} ({sessions} session reports)",
            out.join("index.html").display()
        )
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn html_and_markdown_to_a_file() {
    let out = temp_dir("file");
    std::fs::create_dir_all(&out).unwrap();
    let fixture = "fixtures/corpus/marot__spotter__test__fixtures__transcripts__short.jsonl";
    let file = out.join("r.html");
    let run = aegon(&["--html", fixture, "-o", file.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0));
    assert!(run.stdout.is_empty(), "the report goes to the file");
    let stdout = aegon(&["--html", fixture]).stdout;
    assert_eq!(std::fs::read(&file).unwrap(), stdout);
    let md = aegon(&["--markdown", "--detail", "prompts", fixture]);
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(
        md.starts_with("# “mix phx.server doesnt seem to start”"),
        "{md}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn misused_options_are_usage_errors() {
    for args in [
        &["--detail", "full", "x.jsonl"][..],
        &["--markdown", "--detail", "most", "x.jsonl"],
        &["-o", "x.html", "x.jsonl"],
        &["--html", "--summary", "x.jsonl"],
        &["html", "fixtures/corpus"],
        &["html", "-o", "out"],
    ] {
        let run = aegon(args);
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        assert!(!run.stderr.is_empty(), "{args:?}");
    }
    let help = aegon(&["html", "--help"]);
    assert!(String::from_utf8(help.stdout)
        .unwrap()
        .contains("aegon html [OPTIONS] PATH... -o OUT/"));
}
