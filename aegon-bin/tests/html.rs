//! `aegon html DIR -o OUT/`, `--html -o FILE` and `--markdown`, run as a user runs them.

use std::process::Command;

mod common;

use common::{root, temp_dir};

fn aegon(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_aegon"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("run aegon")
}

#[test]
fn a_folder_of_sessions_becomes_a_report_each_and_an_index() {
    // A folder `-o` creates, in one removed when the test passes.
    let tmp = temp_dir("html-dir");
    let out = tmp.join("out");
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
}

#[test]
fn html_and_markdown_to_a_file() {
    let out = temp_dir("html-file");
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
}

/// A run that could read no input leaves an earlier `-o FILE` as it was (before, it replaced
/// a good report with an empty one), says so and exits 2; one that reads its input replaces it,
/// and no file is left beside it.
#[test]
fn an_earlier_report_survives_a_run_that_read_nothing() {
    let out = temp_dir("html-keep");
    let fixture = "fixtures/corpus/marot__spotter__test__fixtures__transcripts__short.jsonl";
    let missing = "fixtures/corpus/no-such-session.jsonl";
    for (format, name) in [("--html", "r.html"), ("--markdown", "r.md")] {
        let file = out.join(name);
        let file_arg = file.to_str().unwrap();
        assert_eq!(
            aegon(&[format, fixture, "-o", file_arg]).status.code(),
            Some(0)
        );
        let good = std::fs::read(&file).unwrap();
        assert_eq!(good, aegon(&[format, fixture]).stdout);
        let run = aegon(&[format, missing, "-o", file_arg]);
        assert_eq!(run.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains("not written"), "{stderr}");
        assert_eq!(
            std::fs::read(&file).unwrap(),
            good,
            "{format}: report replaced"
        );
        // One of two inputs read: the report is of that one.
        let run = aegon(&[format, missing, fixture, "-o", file_arg]);
        assert_eq!(run.status.code(), Some(2));
        assert_eq!(std::fs::read(&file).unwrap(), good);
    }
    let mut left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["r.html", "r.md"]);
}

/// `-o LINK`, where LINK is a symbolic link (a relative one, through a chain of two, and one
/// whose target does not exist yet), writes the file the link leads to and leaves the link a
/// link (it was replaced by a regular file); a file replaced keeps its permissions.
#[cfg(unix)]
#[test]
fn output_through_a_symbolic_link_writes_its_target() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let out = temp_dir("html-link");
    let real = out.join("reports");
    std::fs::create_dir_all(&real).unwrap();
    let fixture = "fixtures/corpus/marot__spotter__test__fixtures__transcripts__short.jsonl";
    let want = aegon(&["--html", fixture]).stdout;
    assert!(!want.is_empty());
    // latest.html -> reports/r.html (relative), a 0600 file with old contents.
    let target = real.join("r.html");
    std::fs::write(&target, "old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    symlink("reports/r.html", out.join("latest.html")).unwrap();
    // chain.html -> latest.html -> reports/r.html; new.html -> reports/new.html (absent).
    symlink("latest.html", out.join("chain.html")).unwrap();
    symlink(real.join("new.html"), out.join("new.html")).unwrap();
    for (link, file) in [
        ("latest.html", "r.html"),
        ("chain.html", "r.html"),
        ("new.html", "new.html"),
    ] {
        std::fs::write(&target, "old").unwrap();
        let path = out.join(link);
        let run = aegon(&["--html", fixture, "-o", path.to_str().unwrap()]);
        assert_eq!(
            run.status.code(),
            Some(0),
            "{link}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(
            std::fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_symlink(),
            "{link} is no longer a link"
        );
        assert_eq!(std::fs::read(real.join(file)).unwrap(), want, "{link}");
    }
    let mode = std::fs::metadata(&target).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // Nothing left beside the targets or the links.
    let mut left: Vec<_> = std::fs::read_dir(&real)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["new.html", "r.html"]);
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 4);
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

#[test]
fn report_names_never_collide_with_the_index_or_each_other() {
    // One real session copied under ids that would overwrite index.html, or each other on a
    // case-insensitive file system.
    let fixture = std::fs::read_to_string(
        root().join("fixtures/corpus/marot__spotter__test__fixtures__transcripts__short.jsonl"),
    )
    .unwrap();
    let id = "55604662-cf2a-4331-851a-ec234028f8ca";
    assert!(fixture.contains(id));
    let tmp = temp_dir("html-collide");
    let input = tmp.join("in");
    std::fs::create_dir_all(&input).unwrap();
    let ids = ["index", "Abc", "abc", "INDEX"];
    for (i, new_id) in ids.iter().enumerate() {
        // Fresh record and message ids too, so the copies are not taken for one another.
        let copy: String = fixture
            .lines()
            .map(|line| {
                let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
                renumber(&mut v, i);
                format!("{}\n", v.to_string().replace(&format!("{id}-{i}"), new_id))
            })
            .collect();
        std::fs::write(input.join(format!("{i}.jsonl")), copy).unwrap();
    }
    let out = tmp.join("out");
    let run = aegon(&[
        "html",
        "-q",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    // Four reports and the index, no two equal ignoring case.
    assert_eq!(names.len(), ids.len() + 1, "{names:?}");
    let mut lower: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    lower.dedup();
    assert_eq!(lower.len(), names.len(), "{names:?}");
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        index.contains("<table class=\"index\">"),
        "the index is the index"
    );
    for name in names.iter().filter(|n| *n != "index.html") {
        assert!(
            index.contains(&format!("<a href=\"{name}\"")),
            "{name} is not linked"
        );
        let report = std::fs::read_to_string(out.join(name)).unwrap();
        assert!(
            !report.contains("<table class=\"index\">"),
            "{name} is a report"
        );
    }
}

/// Appends `-i` to every id-like string in `v` (record, message, request and tool ids).
fn renumber(v: &mut serde_json::Value, i: usize) {
    match v {
        serde_json::Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match value {
                    serde_json::Value::String(s)
                        if matches!(
                            key.as_str(),
                            "uuid"
                                | "parentUuid"
                                | "sessionId"
                                | "id"
                                | "requestId"
                                | "tool_use_id"
                        ) =>
                    {
                        s.push_str(&format!("-{i}"))
                    }
                    _ => renumber(value, i),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|x| renumber(x, i)),
        _ => {}
    }
}

/// The report's "Tokens per response" counts API responses as `--summary` counts calls:
/// Copilot CLI's `session.shutdown` totals are usage, not a response (the chart said 18
/// responses for 17 calls).
#[test]
fn the_response_chart_counts_api_calls_only() {
    let fixture = "fixtures/agents/copilot/LAF-US__IDAHO-VAULT__.copilot__session-state__252d6b6b-aaad-4790-8254-7ada091ee9fc__events.jsonl";
    // The right count, from the file's lines: each assistant message is a request, and so is
    // each finished compaction; the shutdown is none.
    let text = std::fs::read_to_string(root().join(fixture)).unwrap();
    let calls = text
        .lines()
        .filter(|l| {
            l.contains(r#""type":"assistant.message""#)
                || l.contains(r#""type":"session.compaction_complete""#)
        })
        .count();
    assert_eq!(calls, 17);
    let html = String::from_utf8(aegon(&["--html", fixture]).stdout).unwrap();
    assert!(
        html.contains(&format!("Tokens per response ({calls} responses)")),
        "{}",
        &html[html.find("Tokens per response").map_or(0, |i| i)..][..80]
    );
}
