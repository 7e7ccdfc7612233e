//! `aegon watch` counts a resumed session as `--summary` does (tester14 #9): Claude Code
//! copies the resumed session's lines into the new session's file, and each entry counts
//! where it first occurred, whether the original's file is older than `--since` (not read), is
//! read with modification times that do not say which came first, or was quiet when the new
//! file appeared while aegon ran. Real data: bugs/08's pair, and a resumed pair built from two
//! corpus sessions ([`common::resumed_pair`]).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{append, resumed_pair, temp_dir, written_ago};
use serde_json::Value;

/// API calls and cost of one session.
type Counted = (u64, f64);

const HOUR: u64 = 3600;
const MARKER: &str = "the test ends here";

fn prompt(session: &str, text: &str) -> String {
    format!(
        "{{\"type\":\"user\",\"sessionId\":\"{session}\",\"timestamp\":\"2026-07-01T00:00:00Z\",\"message\":{{\"role\":\"user\",\"content\":\"{text}\"}}}}\n"
    )
}

/// `aegon watch --ndjson -q ARGS… ROOT`: the API calls (usage events that are not increments)
/// and cost per session it streams. A session written now in a project of its own (`-ready`)
/// is its first output; `live` runs once a line arrived (aegon is reading the history, its
/// first scan done), then a marker session is written, and the stream is read up to its
/// prompt. The ready and marker sessions are left out.
fn watch(root: &Path, args: &[&str], live: impl FnOnce()) -> BTreeMap<String, Counted> {
    let ready = root.join("-ready/ready.jsonl");
    std::fs::create_dir_all(ready.parent().unwrap()).unwrap();
    append(&ready, &prompt("ready", "ready"));
    let running = common::Running::spawn(
        Command::new(env!("CARGO_BIN_EXE_aegon"))
            .args(["watch", "--ndjson", "-q"])
            .args(args)
            .arg(root)
            .env("HOME", root)
            .env("AEGON_DATA_DIR", root.join("-data"))
            .stdin(Stdio::null()),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let next = || {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = running.lines.recv_timeout(left).expect("aegon went quiet");
        serde_json::from_str::<Value>(&line).expect("an NDJSON line")
    };
    let mut counted: BTreeMap<String, Counted> = BTreeMap::new();
    let mut add = |v: &Value| {
        if v["kind"] == "usage" {
            let c = counted
                .entry(v["session_id"].as_str().unwrap().to_owned())
                .or_default();
            c.0 += u64::from(v["increment"] == false);
            c.1 += v["cost_usd"].as_f64().unwrap_or(0.0);
        }
    };
    add(&next());
    live();
    let marker = root.join("-marker/marker.jsonl");
    std::fs::create_dir_all(marker.parent().unwrap()).unwrap();
    append(&marker, &prompt("marker", MARKER));
    loop {
        let v = next();
        if v["kind"] == "user_prompt" && v["text"] == MARKER {
            break;
        }
        add(&v);
    }
    counted.retain(|s, _| s != "ready" && s != "marker");
    counted
}

/// `--summary --json` of `files`: API calls and cost per session.
fn summary(files: &[&Path]) -> BTreeMap<String, Counted> {
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["--summary", "--json", "-q"])
        .args(files)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).expect("a JSON summary");
    v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["session_id"].as_str().unwrap().to_owned(),
                (
                    s["api_calls"].as_u64().unwrap(),
                    s["cost_usd"].as_f64().unwrap(),
                ),
            )
        })
        .collect()
}

/// The same calls, and costs within the summary's rounding (to 4 places).
fn assert_same(got: &BTreeMap<String, Counted>, want: &BTreeMap<String, Counted>) {
    let keys = |m: &BTreeMap<String, Counted>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(got), keys(want), "{got:?} against {want:?}");
    for (session, (calls, cost)) in want {
        let (got_calls, got_cost) = got[session];
        assert_eq!(got_calls, *calls, "{session}: {got:?} against {want:?}");
        assert!(
            (got_cost - cost).abs() < 0.00051,
            "{session}: {got:?} against {want:?}"
        );
    }
}

/// bugs/08's two files in `projects/-home-user-proj` under a fresh folder: (root, A, B).
fn bug08(name: &str) -> (common::TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = temp_dir(name);
    let root = dir.join("projects");
    let project = root.join("-home-user-proj");
    std::fs::create_dir_all(&project).unwrap();
    let from = common::root().join("fixtures/bugs/08-resume-copy");
    let [a, b] = ["a8", "b8"].map(|s| {
        let name = format!("11111111-2222-4333-8444-5555555555{s}.jsonl");
        std::fs::copy(from.join(&name), project.join(&name)).unwrap();
        project.join(name)
    });
    (dir, root, a, b)
}

const A8: &str = "11111111-2222-4333-8444-5555555555a8";
const B8: &str = "11111111-2222-4333-8444-5555555555b8";

/// The original older than `--since`: not read, and the resumed session gets only its own
/// call (bugs/08: B, 1 call, $0.0036), not A's two it copies.
#[test]
fn a_resumed_session_whose_original_is_not_read_counts_only_its_own_work() {
    let (_dir, root, a, _) = bug08("resumed-since");
    written_ago(&a, 3 * HOUR);
    let got = watch(&root, &["--since", "1h"], || {});
    assert_eq!(got.keys().collect::<Vec<_>>(), [B8], "{got:?}");
    assert_eq!(got[B8].0, 1);
    assert!((got[B8].1 - 0.0036).abs() < 0.00006, "{got:?}");

    let dir = temp_dir("resumed-since-corpus");
    let root = dir.join("projects");
    let own = dir.join("own-work.jsonl");
    let (original, resumed) = resumed_pair(&root.join("-home-yael-jgive"), &own);
    written_ago(&original, 3 * HOUR);
    let got = watch(&root, &["--since", "1h"], || {});
    let mut want = summary(&[&original, &resumed]);
    want.remove("a45c4be1-aecf-446c-936c-788f3e331a16");
    assert_same(&got, &want);
    // What it counts is its own work, read alone.
    assert_same(&got, &summary(&[&own]));
}

/// Both read, the original's file written after the resumed one's (a copy restored without
/// its times, the original continued after the resume): who counts what follows what the
/// files hold, as `--summary` has it, not their modification times.
#[test]
fn modification_times_do_not_decide_who_counts_a_copy() {
    let (_dir, root, a, b) = bug08("resumed-mtimes");
    written_ago(&b, 1800);
    written_ago(&a, 600);
    let got = watch(&root, &["--since", "2h"], || {});
    assert_same(&got, &summary(&[&a, &b]));
    assert_eq!((got[A8].0, got[B8].0), (2, 1), "{got:?}");

    let dir = temp_dir("resumed-mtimes-corpus");
    let root = dir.join("projects");
    let (original, resumed) = resumed_pair(&root.join("-home-yael-jgive"), &dir.join("own.jsonl"));
    written_ago(&resumed, 1800);
    written_ago(&original, 600);
    let got = watch(&root, &["--since", "2h"], || {});
    assert_same(&got, &summary(&[&original, &resumed]));
}

/// The resumed session's file created while aegon runs (its copied lines first, then its own
/// work), the original's last written hours ago: its copies count with the original.
#[test]
fn a_session_resumed_while_watching_counts_only_its_own_work() {
    let dir = temp_dir("resumed-live");
    let root = dir.join("projects");
    let project = root.join("-home-yael-jgive");
    let own = dir.join("own-work.jsonl");
    let (original, resumed) = resumed_pair(&project, &own);
    let text = std::fs::read_to_string(&resumed).unwrap();
    std::fs::remove_file(&resumed).unwrap();
    written_ago(&original, 5 * HOUR);
    let split = text.match_indices('\n').nth(399).unwrap().0 + 1;
    let got = watch(&root, &[], || {
        append(&resumed, &text[..split]);
        std::thread::sleep(Duration::from_millis(300));
        append(&resumed, &text[split..]);
    });
    assert_same(&got, &summary(&[&own]));
}

/// The original in one Claude Code folder, the resumed session in the same project under
/// another (two `CLAUDE_CONFIG_DIR` directories, or a project moved): one project, read
/// quietly the same.
#[test]
fn the_same_project_under_another_root_is_read_quietly_too() {
    let (dir, root, a, b) = bug08("resumed-roots");
    let other = dir.join("other/projects/-home-user-proj");
    std::fs::create_dir_all(&other).unwrap();
    let moved = other.join(a.file_name().unwrap());
    std::fs::rename(&a, &moved).unwrap();
    written_ago(&moved, 3 * HOUR);
    let other_root = dir.join("other/projects");
    let got = watch(
        &root,
        &["--since", "1h", other_root.to_str().unwrap()],
        || {},
    );
    let mut want = summary(&[&moved, &b]);
    want.remove(A8);
    assert_same(&got, &want);
    assert_eq!(got[B8].0, 1, "{got:?}");
}
