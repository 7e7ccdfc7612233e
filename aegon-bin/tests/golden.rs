//! Golden files: every fixture through every renderer, compared with checked-in output.
//!
//! `fixtures/golden/<fixture>.{ndjson,plain,color}` hold the expected output of
//! `aegon --ndjson`, `aegon --color never` and `aegon --color always` run from the repository
//! root on `fixtures/corpus/<fixture>.jsonl`; `fixtures/golden/corpus.summary{,.json}` that of
//! `aegon --summary [--json] fixtures/corpus`; `<fixture>.{html,md}` those of `aegon --html` and
//! `aegon --markdown` for a few fixtures. When a change is intended, regenerate with
//! `AEGON_BLESS=1 cargo test -p aegon-bin --test golden` and review the diff before committing.

use std::process::Command;

mod common;

use common::root;

/// File names of the corpus fixtures.
fn fixtures() -> Vec<String> {
    common::fixtures()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

fn run(args: &[&str], fixture: &str) -> (Vec<u8>, String, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .current_dir(root())
        .args(args)
        .arg(format!("fixtures/corpus/{fixture}"))
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .output()
        .expect("run aegon");
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

fn check(args: &[&str], ext: &str) {
    check_these(args, ext, fixtures());
}

/// A few fixtures for the outputs whose goldens are large (HTML, Markdown): a 2.1.38 session
/// with thinking and failed calls, a 1.0.17 one with an interruption, a 2.0.74 one.
const DOCUMENT_FIXTURES: [&str; 3] = [
    "marot__spotter__test__fixtures__transcripts__short.jsonl",
    "chiphuyen__sniffly__tests__mock-data__-Users-chip-dev-ai-music__fed8ce56-bc79-401f-a83e-af084253362f.jsonl",
    "kfischer-okarin__scripts-and-tools__src__claude-history__test__fixtures__claude-projects__-Users-user-project__b3edadab-bca0-4054-9b41-f7ffa6941260.jsonl",
];

#[test]
fn html_matches_golden() {
    check_these(
        &["--html"],
        "html",
        DOCUMENT_FIXTURES.map(String::from).to_vec(),
    );
}

#[test]
fn markdown_matches_golden() {
    check_these(
        &["--markdown"],
        "md",
        DOCUMENT_FIXTURES.map(String::from).to_vec(),
    );
}

fn check_these(args: &[&str], ext: &str, fixtures: Vec<String>) {
    let bless = std::env::var_os("AEGON_BLESS").is_some();
    let mut failures = Vec::new();
    for fixture in fixtures {
        let (stdout, stderr, code) = run(args, &fixture);
        assert_eq!(code, Some(0), "{fixture}: exit code; stderr: {stderr}");
        assert!(stderr.is_empty(), "{fixture}: unexpected stderr: {stderr}");
        let stem = fixture.trim_end_matches(".jsonl");
        let golden = root().join("fixtures/golden").join(format!("{stem}.{ext}"));
        if bless {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &stdout).unwrap();
            continue;
        }
        let expected = std::fs::read(&golden)
            .unwrap_or_else(|e| panic!("{}: {e} (bless with AEGON_BLESS=1)", golden.display()));
        if expected != stdout {
            let exp = String::from_utf8_lossy(&expected);
            let got = String::from_utf8_lossy(&stdout);
            let (n, (e, g)) = exp
                .lines()
                .chain(std::iter::repeat("<end>"))
                .zip(got.lines().chain(std::iter::repeat("<end>")))
                .enumerate()
                .find(|(_, (e, g))| e != g)
                .unwrap();
            failures.push(format!(
                "{fixture} ({ext}) differs first at output line {}:\n  expected: {e}\n       got: {g}",
                n + 1
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ndjson_matches_golden() {
    check(&["--ndjson"], "ndjson");
}

#[test]
fn plain_without_color_matches_golden() {
    check(&["--color", "never"], "plain");
}

#[test]
fn plain_with_color_matches_golden() {
    check(&["--color", "always"], "color");
}

/// Compares one command's output over the whole corpus directory with `fixtures/golden/{name}`.
fn check_corpus(args: &[&str], name: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .current_dir(root())
        .args(args)
        .arg("fixtures/corpus")
        .output()
        .expect("run aegon");
    // The corpus keeps one of the three workflow runs austinweitao's 3e89eb15 launched: that
    // session's cost is a lower bound, said on stderr, and the run exits with 1 for it alone.
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.lines().all(|l| l.contains("3e89eb15")
            && l.contains("wf_9cab1d1d-783, wf_f5b3cd7b-844")
            && !l.contains("wf_4af3c93a-ada")),
        "{err}"
    );
    let golden = root().join("fixtures/golden").join(name);
    if std::env::var_os("AEGON_BLESS").is_some() {
        std::fs::write(&golden, &out.stdout).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&golden).unwrap();
    let got = String::from_utf8(out.stdout).unwrap();
    if let Some((n, (e, g))) = expected
        .lines()
        .zip(got.lines())
        .enumerate()
        .find(|(_, (e, g))| e != g)
    {
        panic!(
            "{name} differs at line {}:\n  expected: {e}\n       got: {g}",
            n + 1
        );
    }
    assert_eq!(
        expected.lines().count(),
        got.lines().count(),
        "{name}: line count"
    );
}

#[test]
fn corpus_summary_matches_golden() {
    check_corpus(&["--summary"], "corpus.summary");
}

#[test]
fn corpus_summary_json_matches_golden() {
    check_corpus(&["--summary", "--json"], "corpus.summary.json");
}
