//! `aegon audit`: record and block kinds counted on the real corpus against an independent
//! count (serde_json walking, from FORMAT.md's rules), an invented field and record type
//! reported as new and unknown, a damaged file's problems with their places, exit codes,
//! NO_COLOR and a closed pipe.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use common::{fixture, fixtures, root, temp_dir};

fn aegon() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_aegon"));
    c.env_remove("NO_COLOR").env_remove("CLAUDE_CONFIG_DIR");
    c
}

fn audit(args: &[&std::ffi::OsStr]) -> Output {
    aegon().arg("audit").args(args).output().expect("run aegon")
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The kind of a Claude Code record by FORMAT.md §3: its `type`, with `subtype` for system
/// records, `attachment.type` for attachments and `data.type` for progress records.
fn expected_kind(v: &Value) -> String {
    let t = v["type"].as_str().unwrap_or("(none)").to_owned();
    let sub = match t.as_str() {
        "system" => v["subtype"].as_str(),
        "attachment" => v["attachment"]["type"].as_str(),
        "progress" => v["data"]["type"].as_str(),
        _ => None,
    };
    match sub {
        Some(s) => format!("{t}/{s}"),
        None => t,
    }
}

#[derive(Default)]
struct Count {
    lines: u64,
    records: u64,
    kinds: BTreeMap<String, u64>,
    blocks: BTreeMap<String, u64>,
    versions: BTreeMap<String, u64>,
}

fn count(files: &[PathBuf]) -> Count {
    let mut c = Count::default();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        let mut version: Option<String> = None;
        for line in text.lines() {
            c.lines += 1;
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if !v.is_object() {
                continue;
            }
            c.records += 1;
            *c.kinds.entry(expected_kind(&v)).or_default() += 1;
            if let Some(blocks) = v["message"]["content"].as_array() {
                for b in blocks {
                    let name = format!(
                        "{}/{}",
                        v["type"].as_str().unwrap_or("(none)"),
                        b["type"].as_str().unwrap_or("(none)")
                    );
                    *c.blocks.entry(name).or_default() += 1;
                }
            }
            if let Some(ver) = v["version"].as_str().filter(|s| !s.is_empty()) {
                version = Some(ver.to_owned());
            }
            if let Some(ver) = &version {
                *c.versions.entry(ver.clone()).or_default() += 1;
            }
        }
    }
    c
}

fn counts_of(v: &Value) -> BTreeMap<String, u64> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
        .collect()
}

#[test]
fn kinds_and_blocks_of_the_corpus_equal_an_independent_count() {
    let files = fixtures();
    let out = audit(&[
        "--json".as_ref(),
        root().join("fixtures/corpus").as_os_str(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    let formats = doc["formats"].as_array().unwrap();
    assert_eq!(formats.len(), 1, "{doc}");
    let claude = &formats[0];
    assert_eq!(claude["format"], "claude");
    assert_eq!(claude["agent"], "claude-code");
    let want = count(&files);
    assert_eq!(claude["files"], files.len() as u64);
    assert_eq!(claude["lines"], want.lines);
    assert_eq!(claude["records"], want.records);
    assert_eq!(counts_of(&claude["kinds"]), want.kinds);
    assert_eq!(counts_of(&claude["blocks"]), want.blocks);
    let versions: BTreeMap<String, u64> = claude["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_str().unwrap().to_owned(),
                v["records"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(versions, want.versions);
    // FORMAT.md: 1.0.17 to 2.1.219 in the corpus.
    let listed = claude["versions"].as_array().unwrap();
    assert_eq!(listed.first().unwrap()["version"], "1.0.17");
    assert_eq!(listed.last().unwrap()["version"], "2.1.219");
    // The known list was generated from this corpus: nothing is new, nothing unknown.
    assert_eq!(claude["fields_checked"], true);
    assert_eq!(claude["new_fields"], serde_json::json!([]));
    assert_eq!(claude["unknown_kinds"], serde_json::json!([]));
    assert_eq!(claude["malformed"], serde_json::json!([]));
    assert!(want.kinds.len() > 30 && want.blocks.len() >= 6);
}

/// A new member of `message.usage` named as a token count, holding tokens (tester8 #1): a new
/// field, and a line whose usage aegon cannot read whole (its cost unknown), so a problem.
#[test]
fn a_new_token_count_is_a_new_field_and_a_problem() {
    let dir = temp_dir("new-count");
    let mut line = real_assistant_line();
    line["message"]["usage"]["brand_new_tokens"] = 5.into();
    let file = dir.join("s.jsonl");
    std::fs::write(&file, format!("{line}\n")).unwrap();
    let out = audit(&["--json".as_ref(), file.as_os_str()]);
    let doc = json_of(&out);
    let claude = &doc["formats"][0];
    assert_eq!(
        claude["new_fields"][0]["path"],
        "message.usage.brand_new_tokens"
    );
    let malformed = claude["malformed"].to_string();
    assert!(
        malformed
            .contains("`message.usage.brand_new_tokens` 5 is a token count aegon does not know"),
        "{malformed}"
    );
    assert_eq!(out.status.code(), Some(1));
}

/// A real assistant line of a recent version, as a JSON value.
fn real_assistant_line() -> Value {
    let text = std::fs::read_to_string(fixture(
        "shastrysamarth__01-campaign-audit__transcript.jsonl",
    ))
    .unwrap();
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["type"] == "assistant" && v["message"]["usage"].is_object())
        .expect("an assistant line with usage")
}

#[test]
fn an_invented_field_and_record_type_are_new_and_unknown() {
    let dir = temp_dir("new");
    let mut line = real_assistant_line();
    line["zzBrandNew"] = serde_json::json!({"inner": 1});
    // Not named as a token count: a new field, nothing that changes a cost.
    line["message"]["usage"]["brand_new_count"] = 5.into();
    let mut block = real_assistant_line();
    block["message"]["content"] = serde_json::json!([{"type": "hologram"}]);
    let record = serde_json::json!({
        "type": "brand-new-kind", "version": "9.9.9", "timestamp": "2027-01-01T00:00:00.000Z"
    });
    // A renamed file: the format is told from the content.
    let file = dir.join("renamed.txt");
    std::fs::write(&file, format!("{line}\n{block}\n{record}\n")).unwrap();

    let out = audit(&["--json".as_ref(), file.as_os_str()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "new things are findings, not errors"
    );
    let doc = json_of(&out);
    let claude = &doc["formats"][0];
    assert_eq!(claude["format"], "claude");
    let new: Vec<&str> = claude["new_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    // zzBrandNew.inner hangs from a new path: only the top is listed.
    assert_eq!(new, ["message.usage.brand_new_count", "zzBrandNew"]);
    assert_eq!(claude["new_fields"][1]["first"]["line"], 1);
    let unknown: Vec<(&str, u64, u64)> = claude["unknown_kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["kind"].as_str().unwrap(),
                u["count"].as_u64().unwrap(),
                u["first"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        unknown,
        [("assistant/hologram", 1, 2), ("brand-new-kind", 1, 3)]
    );
    assert_eq!(claude["kinds"]["brand-new-kind"], 1);
    assert_eq!(claude["blocks"]["assistant/hologram"], 1);
    let v999 = claude["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["version"] == "9.9.9")
        .unwrap();
    assert_eq!(v999["first"], "2027-01-01T00:00:00.000Z");

    // --strict: anything new is a failure, for CI.
    let strict = audit(&["--strict".as_ref(), file.as_os_str()]);
    assert_eq!(strict.status.code(), Some(1));
    let table = String::from_utf8(strict.stdout).unwrap();
    assert!(table.contains("zzBrandNew"), "{table}");
    assert!(table.contains("brand-new-kind"), "{table}");
    assert!(table.contains(&format!("{}:3:", file.display())), "{table}");
    // The corpus itself passes --strict.
    let clean = audit(&[
        "--strict".as_ref(),
        root().join("fixtures/corpus").as_os_str(),
    ]);
    assert_eq!(clean.status.code(), Some(0));
}

#[test]
fn a_damaged_file_reports_its_problems_with_file_line_offset() {
    let dir = temp_dir("damaged");
    let good = real_assistant_line().to_string();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(good.as_bytes());
    bytes.push(b'\n');
    let garbage_at = bytes.len();
    bytes.extend_from_slice(b"this is not json\n");
    let utf8_line = bytes.len();
    let bad = br#"{"type":"user","message":{"role":"user","content":"caf"#;
    bytes.extend_from_slice(bad);
    let bad_byte = bytes.len();
    bytes.extend_from_slice(b"\xff\"}}\n");
    let cut_at = bytes.len();
    bytes.extend_from_slice(&good.as_bytes()[..good.len() / 2]);
    let file = dir.join("damaged.jsonl");
    std::fs::write(&file, &bytes).unwrap();

    let out = audit(&["--json".as_ref(), file.as_os_str()]);
    assert_eq!(out.status.code(), Some(1), "malformed lines: status 1");
    let doc = json_of(&out);
    let claude = &doc["formats"][0];
    let problems: BTreeMap<String, Value> = claude["malformed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["reason"].as_str().unwrap().to_owned(), p.clone()))
        .collect();
    let place = |reason: &str| {
        let p = &problems[reason];
        assert_eq!(p["count"], 1, "{reason}: {p}");
        let e = &p["examples"][0];
        assert_eq!(e["file"], file.display().to_string());
        (e["line"].as_u64().unwrap(), e["offset"].as_u64().unwrap())
    };
    let (line, offset) = place("invalid_json");
    assert_eq!(line, 2);
    assert!(
        (garbage_at..utf8_line).contains(&(offset as usize)),
        "{offset}"
    );
    // Invalid UTF-8: the offset of the bad byte itself.
    assert_eq!(place("invalid_utf8"), (3, bad_byte as u64));
    let (line, offset) = place("truncated");
    assert_eq!(line, 4);
    assert!(offset as usize >= cut_at, "{offset}");
    assert_eq!(problems.len(), 3, "{problems:?}");
    // The line with invalid UTF-8 is still read (as the decoder reads it): 2 records.
    assert_eq!(claude["records"], 2);

    let table = audit(&[file.as_os_str()]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains(&format!("{}:3:{bad_byte}", file.display())),
        "{text}"
    );
}

#[test]
fn no_path_reads_claude_codes_folders_and_stdin_is_dash() {
    let home = temp_dir("home");
    let project = home.join(".claude/projects/-p");
    std::fs::create_dir_all(&project).unwrap();
    let name = "marot__spotter__test__fixtures__transcripts__short.jsonl";
    std::fs::copy(fixture(name), project.join("s.jsonl")).unwrap();
    let out = aegon()
        .args(["audit", "--json"])
        .env("HOME", &home)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc = json_of(&out);
    assert_eq!(doc["formats"][0]["files"], 1);
    assert_eq!(
        doc["formats"][0]["records"],
        count(&[fixture(name)]).records
    );
    // No folder at all: said, status 2.
    let out = aegon()
        .args(["audit"])
        .env("HOME", home.join("nowhere"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!out.stderr.is_empty());
    // Standard input.
    let out = aegon()
        .args(["audit", "--json", "-"])
        .stdin(std::fs::File::open(fixture(name)).unwrap())
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(doc["formats"][0]["files"], 1);
    assert_eq!(doc["formats"][0]["malformed"], serde_json::json!([]));
}

#[test]
fn usage_errors_and_unreadable_inputs_exit_2() {
    assert_eq!(audit(&["--nope".as_ref()]).status.code(), Some(2));
    assert_eq!(
        audit(&["--format".as_ref(), "nope".as_ref()]).status.code(),
        Some(2)
    );
    let missing = Path::new("/nonexistent/aegon-audit.jsonl");
    let out = audit(&[missing.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("aegon-audit.jsonl"));
    let help = audit(&["--help".as_ref()]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--strict"));
}

#[test]
fn the_table_is_aligned_and_honours_no_color() {
    let corpus = root().join("fixtures/corpus");
    let plain = audit(&[corpus.as_os_str()]);
    assert!(!plain.stdout.contains(&0x1b), "a pipe: no colour");
    let text = String::from_utf8(plain.stdout).unwrap();
    assert!(
        text.starts_with("claude (claude-code): 26 files,"),
        "{text}"
    );
    // Counts are right-aligned: every row of the kinds table ends at the same column.
    let section: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("Record kind"))
        .take_while(|l| !l.is_empty())
        .collect();
    let width = section[0].len();
    assert!(section.len() > 30);
    assert!(section.iter().all(|l| l.len() == width), "{section:#?}");
    let forced = audit(&["--color".as_ref(), "always".as_ref(), corpus.as_os_str()]);
    assert!(forced.stdout.contains(&0x1b));
    let no_color = aegon()
        .args(["audit"])
        .arg(&corpus)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!no_color.stdout.contains(&0x1b));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let mut child = aegon()
        .arg("audit")
        .arg(root().join("fixtures/corpus"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -0`: the reader is gone before aegon writes.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn write_known_regenerates_the_committed_lists() {
    // Each committed list is what its fixtures give (plus its header and .* lines): a
    // regenerated list equals it, so a change in the walk or a fixture shows here.
    for (format, files, example) in [
        (
            "claude",
            "fixtures/corpus",
            "message.usage.cache_creation.ephemeral_1h_input_tokens",
        ),
        (
            "codex",
            "fixtures/agents/codex",
            "payload.info.last_token_usage.cached_input_tokens",
        ),
    ] {
        let out = audit(&[
            "--write-known".as_ref(),
            format.as_ref(),
            root().join(files).as_os_str(),
        ]);
        assert_eq!(out.status.code(), Some(0));
        let path = format!("aegon-lib/src/format/{format}/known_fields.txt");
        let committed = std::fs::read_to_string(root().join(&path)).unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), committed, "{path}");
        let lines: Vec<&str> = committed.lines().filter(|l| !l.starts_with('#')).collect();
        let mut sorted = lines.clone();
        sorted.sort();
        assert_eq!(lines, sorted, "{path}: sorted");
        assert!(lines.contains(&example), "{path}");
        assert!(lines.len() < 400, "{path}: small: {}", lines.len());
    }
}

/// A Codex rollout record's kind by FORMAT.md (other agents) §1.2–1.3: the envelope's `type`,
/// with `payload.type` for `event_msg` and `response_item`; legacy lines: the bare item's
/// `type`, `record_type/<record_type>`, or `header` for the first line (`id`, no `type`).
fn codex_kind(v: &Value) -> String {
    match (v["type"].as_str(), v.get("payload")) {
        (Some(t @ ("event_msg" | "response_item")), Some(p)) if p["type"].is_string() => {
            format!("{t}/{}", p["type"].as_str().unwrap())
        }
        (Some(t), _) => t.to_owned(),
        (None, _) if v["record_type"].is_string() => {
            format!("record_type/{}", v["record_type"].as_str().unwrap())
        }
        (None, _) if v.get("id").is_some() => "header".to_owned(),
        _ => "(none)".to_owned(),
    }
}

#[test]
fn codex_and_claude_side_by_side_each_counted_as_its_format() {
    let dir = root().join("fixtures/agents/codex");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let claude = fixture("marot__spotter__test__fixtures__transcripts__short.jsonl");
    let out = audit(&["--json".as_ref(), dir.as_os_str(), claude.as_os_str()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    let names: Vec<&str> = doc["formats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["format"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["claude", "codex"]);
    assert_eq!(doc["formats"][0]["files"], 1);
    let codex = &doc["formats"][1];
    assert_eq!(codex["agent"], "codex");
    assert_eq!(codex["files"], files.len() as u64);
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    let mut versions: BTreeMap<String, u64> = BTreeMap::new();
    let mut records = 0u64;
    for file in &files {
        let mut version: Option<String> = None;
        for line in std::fs::read_to_string(file).unwrap().lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            records += 1;
            *kinds.entry(codex_kind(&v)).or_default() += 1;
            if v["type"] == "session_meta" {
                if let Some(cli) = v["payload"]["cli_version"].as_str() {
                    version = Some(cli.to_owned());
                }
            }
            if let Some(ver) = &version {
                *versions.entry(ver.clone()).or_default() += 1;
            }
        }
    }
    assert_eq!(codex["records"], records);
    assert_eq!(counts_of(&codex["kinds"]), kinds);
    let got: BTreeMap<String, u64> = codex["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_str().unwrap().to_owned(),
                v["records"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, versions);
    // FORMAT.md: cli 0.35.0 … 0.144.1, in version order (numbers compared as numbers).
    let listed = codex["versions"].as_array().unwrap();
    assert_eq!(listed.first().unwrap()["version"], "0.35.0");
    assert_eq!(listed.last().unwrap()["version"], "0.144.1");
    // The known list was generated from these files.
    assert_eq!(codex["fields_checked"], true);
    assert_eq!(codex["new_fields"], serde_json::json!([]));
}

#[test]
fn files_a_folder_walk_leaves_out_are_in_the_audit() {
    // A Gemini CLI folder as found on disk: a real chat, its logs.json, an empty chat just
    // created, and a settings file of no transcript format.
    let gemini = root().join("fixtures/agents/gemini");
    let chat = "agunginsani__expenses-tracker__.gemini__tmp__agunginsani__chats__session-2026-04-12T01-18-01b2c62e.json";
    let logs = "agunginsani__expenses-tracker__.gemini__tmp__agunginsani__logs.json";
    let dir = temp_dir("skipped");
    std::fs::create_dir_all(dir.join("chats")).unwrap();
    std::fs::copy(gemini.join(chat), dir.join("chats/session-a.json")).unwrap();
    std::fs::copy(gemini.join(logs), dir.join("logs.json")).unwrap();
    std::fs::write(dir.join("chats/session-b.json"), b"").unwrap();
    std::fs::write(dir.join("settings.json"), b"{\n  \"theme\": \"dark\"\n}\n").unwrap();
    let out = audit(&["--json".as_ref(), dir.as_os_str()]);
    let v = json_of(&out);
    assert_eq!(v["empty_files"], 1, "the 0-byte chat is counted");
    let skipped: Vec<(String, String)> = v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let file = s["file"].as_str().unwrap();
            let name = Path::new(file).file_name().unwrap().to_string_lossy();
            (name.into_owned(), s["reason"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(skipped[0].0, "logs.json");
    assert!(skipped[0].1.starts_with("gemini-logs"), "{skipped:?}");
    assert_eq!(skipped[1].0, "settings.json");
    assert!(skipped[1].1.contains("no transcript format"), "{skipped:?}");
    let formats: Vec<_> = v["formats"].as_array().unwrap().iter().collect();
    assert_eq!(formats.len(), 1);
    assert_eq!(
        (&formats[0]["format"], &formats[0]["files"]),
        (&"gemini-json".into(), &1.into())
    );
    // The table says so too.
    let out = audit(&["--color".as_ref(), "never".as_ref(), dir.as_os_str()]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("Skipped: 2 files") && table.contains("settings.json: no transcript"),
        "{table}"
    );
    assert!(table.contains("1 empty file"), "{table}");
}
