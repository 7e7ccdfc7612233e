//! One API response's usage is the largest of each count over all its lines, whatever file,
//! session or repeated line carries them (FORMAT.md §6), in every view: `--summary` over files
//! (in parallel, on any number of workers, whatever the files' order or names), the NDJSON
//! stream and `aegon usage`.
//!
//! The cases are tester5's findings 1, 2, 6 and 8 (`/tmp/tester5/FINDINGS.md`, 2026-11-30),
//! built here in the shape of its repro scripts: Claude Code 2.1.100 lines of
//! `claude-sonnet-4-5` responses. The right values are worked out by hand from Anthropic's
//! list prices ($3 input, $3.75 5-minute write, $6 1-hour write, $0.30 cache read, $15 output
//! per million tokens), as the scripts print them (ccusage 17 gives the same for 1 and 2). The
//! property test compares the parallel `--summary` with one stream reading the groups in the
//! "first occurred" order, and its totals with a count made here from what was written.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{output_with_stdin, temp_dir, Reads, Rng, TempDir};
use serde_json::{json, Value};

const SA: &str = "aaaaaaaa-1111-4222-8333-44444444aaaa";
const SB: &str = "bbbbbbbb-1111-4222-8333-44444444bbbb";
const MX: &str = "msg_01XXXXXXXXXXXXXXXXXXXXXXXX";
const MY: &str = "msg_01YYYYYYYYYYYYYYYYYYYYYYYY";

fn temp(name: &str) -> TempDir {
    temp_dir(&format!("response-{name}"))
}

/// Usage counts: input, output, cache read, 5-minute and 1-hour cache writes.
fn usage(i: u64, o: u64, cr: u64, c5: u64, c1: u64) -> Value {
    json!({"input_tokens": i, "cache_creation_input_tokens": c5 + c1, "cache_read_input_tokens": cr,
           "output_tokens": o, "service_tier": "standard",
           "cache_creation": {"ephemeral_5m_input_tokens": c5, "ephemeral_1h_input_tokens": c1}})
}

fn user(uuid: &str, text: &str, parent: Option<&str>, sid: &str, ts: &str) -> Value {
    json!({"parentUuid": parent, "isSidechain": false, "userType": "external", "cwd": "/home/u/proj",
           "sessionId": sid, "version": "2.1.100", "gitBranch": "main", "type": "user",
           "uuid": uuid, "timestamp": ts, "message": {"role": "user", "content": text}})
}

/// An assistant line of the response `mid` (`None`: no `message.id`, as behind a gateway),
/// request `rid`.
fn asst(uuid: &str, mid: Option<&str>, rid: &str, usage: Value, sid: &str, ts: &str) -> Value {
    let mut message = json!({"model": "claude-sonnet-4-5-20250929", "type": "message",
        "role": "assistant", "content": [{"type": "text", "text": "ok"}],
        "stop_reason": "end_turn", "stop_sequence": null, "usage": usage});
    if let Some(mid) = mid {
        message["id"] = json!(mid);
    }
    json!({"parentUuid": null, "isSidechain": false, "userType": "external", "cwd": "/home/u/proj",
           "sessionId": sid, "version": "2.1.100", "gitBranch": "main", "type": "assistant",
           "uuid": uuid, "timestamp": ts, "requestId": rid, "message": message})
}

/// `line` under the session id `sid` (a resumed session's copy).
fn moved(line: &Value, sid: &str) -> Value {
    let mut l = line.clone();
    l["sessionId"] = json!(sid);
    l
}

fn write(path: &Path, lines: &[Value]) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(path, text).unwrap();
}

/// Runs `aegon ARGS… PATHS…` (exit 0 or 1) with `stdin`; stdout.
fn aegon(args: &[&str], paths: &[&Path], stdin: Option<&[u8]>) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aegon"));
    command.args(args).args(paths);
    let out = match stdin {
        Some(bytes) => output_with_stdin(&mut command, bytes, Reads::All),
        None => command.stdin(Stdio::null()).output().unwrap(),
    };
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn summary(args: &[&str], paths: &[&Path]) -> Value {
    let args: Vec<&str> = ["--summary", "--json"]
        .iter()
        .chain(args)
        .copied()
        .collect();
    serde_json::from_str(&aegon(&args, paths, None)).unwrap()
}

fn session<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session_id"] == id)
        .unwrap_or_else(|| panic!("no session {id} in {doc}"))
}

/// The NDJSON stream's usage events of `paths`: output tokens and cost (in micro-dollars,
/// rounded), summed.
fn ndjson_usage(paths: &[&Path]) -> (u64, u64) {
    let (mut output, mut cost) = (0, 0.0);
    for line in aegon(&["--ndjson"], paths, None).lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        if e["kind"] == "usage" {
            output += e["output"].as_u64().unwrap();
            cost += e["cost_usd"].as_f64().unwrap();
        }
    }
    (output, (cost * 1e6).round() as u64)
}

/// `aegon usage sessions` of `dir` without the index: output tokens and cost in micro-dollars.
fn usage_report(dir: &Path) -> (u64, u64) {
    let doc: Value = serde_json::from_str(&aegon(
        &["usage", "sessions", "--json", "--no-index"],
        &[dir],
        None,
    ))
    .unwrap();
    let t = &doc["totals"];
    (
        t["outputTokens"].as_u64().unwrap(),
        (t["totalCost"].as_f64().unwrap() * 1e6).round() as u64,
    )
}

/// Output tokens of session `id`.
fn output_of(doc: &Value, id: &str) -> u64 {
    session(doc, id)["tokens"]["output"].as_u64().unwrap()
}

/// `--summary` of `dir` with 1, 2 and 3 workers, of its files named in both orders and of the
/// same files renamed to sort the other way round: the same JSON every time, returned.
fn same_summary_every_way(dir: &Path) -> Value {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let first = summary(&[], &[dir]);
    for threads in ["1", "2", "3"] {
        for reverse in [false, true] {
            let mut named: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
            if reverse {
                named.reverse();
            }
            assert_eq!(
                summary(&["-j", threads], &named),
                first,
                "{threads} workers, reversed: {reverse}"
            );
        }
    }
    // Renamed so that the last file sorts (and is sniffed) first.
    let renamed = temp(&format!(
        "renamed-{}",
        dir.file_name().unwrap().to_string_lossy()
    ));
    for (i, f) in files.iter().rev().enumerate() {
        let name = f.file_name().unwrap().to_string_lossy();
        std::fs::copy(f, renamed.join(format!("{i}-{name}"))).unwrap();
    }
    for threads in ["1", "3"] {
        assert_eq!(summary(&["-j", threads], &[&renamed]), first, "renamed");
    }
    first
}

/// tester5 finding 1 (repro 01): session A ends with a streamed partial line of response X
/// (output 5); B, resumed from A, copies A's lines and adds X's final line (same message id
/// and request id, a new uuid, output 800), then a response of its own. Right: output 900,
/// $0.01545 = 10×3 + 1000×0.3 + 200×6 + 800×15 + 20×3 + 1200×0.3 + 100×15 µ$; the stream gives
/// A the partial line (5) and B the increase (795) and its own response (100).
#[test]
fn a_response_finished_in_a_resumed_session_counts_its_final_line() {
    let ua = user("u1", "hi", None, SA, "2026-11-20T10:00:00.000Z");
    let a1 = asst(
        "a1",
        Some(MX),
        "req_X",
        usage(10, 5, 1000, 0, 200),
        SA,
        "2026-11-20T10:00:05.000Z",
    );
    let b2 = asst(
        "a2",
        Some(MX),
        "req_X",
        usage(10, 800, 1000, 0, 200),
        SB,
        "2026-11-20T10:00:20.000Z",
    );
    let u2 = user("u2", "more", Some("a2"), SB, "2026-11-20T10:05:00.000Z");
    let b3 = asst(
        "a3",
        Some(MY),
        "req_Y",
        usage(20, 100, 1200, 0, 0),
        SB,
        "2026-11-20T10:05:05.000Z",
    );
    for copies in [true, false] {
        let dir = temp(&format!("resumed-final-{copies}"));
        write(&dir.join(format!("{SA}.jsonl")), &[ua.clone(), a1.clone()]);
        let mut b = Vec::new();
        if copies {
            b.extend([moved(&ua, SB), moved(&a1, SB)]);
        }
        b.extend([b2.clone(), u2.clone(), b3.clone()]);
        write(&dir.join(format!("{SB}.jsonl")), &b);
        let doc = same_summary_every_way(&dir);
        let t = &doc["totals"];
        assert_eq!(t["tokens"]["output"], 900, "copies: {copies}: {doc}");
        assert_eq!(t["cost_usd"], 0.0155, "{doc}");
        assert_eq!(t["api_calls"], 2, "{doc}");
        assert_eq!((output_of(&doc, SA), output_of(&doc, SB)), (5, 895));
        assert_eq!(session(&doc, SA)["api_calls"], 1);
        assert_eq!(session(&doc, SB)["api_calls"], 1);
        assert_eq!(ndjson_usage(&[&dir]), (900, 15_450));
        assert_eq!(usage_report(&dir), (900, 15_450));
    }
    // B holds nothing but X's final line: a session with no call and no prompt of its own,
    // whose tokens and cost (the increase, 795 output = $0.011925) still count, in it.
    let dir = temp("resumed-final-only");
    write(&dir.join(format!("{SA}.jsonl")), &[ua, a1]);
    write(&dir.join(format!("{SB}.jsonl")), &[b2]);
    let doc = same_summary_every_way(&dir);
    assert_eq!(doc["totals"]["tokens"]["output"], 800, "{doc}");
    assert_eq!(doc["totals"]["api_calls"], 1, "{doc}");
    assert_eq!((output_of(&doc, SA), output_of(&doc, SB)), (5, 795));
    assert_eq!(session(&doc, SB)["api_calls"], 0);
    assert_eq!(session(&doc, SB)["cost_usd"], 0.0119);
    assert_eq!(ndjson_usage(&[&dir]), (800, 13_530));
    assert_eq!(usage_report(&dir), (800, 13_530));
}

/// tester5 finding 2 (repro 02): the same line (same uuid) written twice, only the later
/// copy with the final usage: (a) in one file, right 800 output, $0.01308 = 10×3 + 1000×0.3 +
/// 200×3.75 + 800×15 µ$; (b) in a resumed copy under another session id, right 900, $0.01545.
#[test]
fn a_line_written_again_with_the_final_usage_counts_it() {
    let dir = temp("rewritten-one-file");
    let m = "msg_01CCCCCCCCCCCCCCCCCCCCCCCC";
    let ts = "2026-11-20T10:00:05.000Z";
    write(
        &dir.join("s.jsonl"),
        &[
            user("u1", "hi", None, SA, "2026-11-20T10:00:00.000Z"),
            asst("a1", Some(m), "req_C", usage(10, 5, 1000, 200, 0), SA, ts),
            asst("a1", Some(m), "req_C", usage(10, 800, 1000, 200, 0), SA, ts),
        ],
    );
    let doc = same_summary_every_way(&dir);
    assert_eq!(doc["totals"]["tokens"]["output"], 800, "{doc}");
    assert_eq!(doc["totals"]["cost_usd"], 0.0131, "{doc}");
    assert_eq!(doc["totals"]["api_calls"], 1, "{doc}");
    assert_eq!(ndjson_usage(&[&dir]), (800, 13_080));
    assert_eq!(usage_report(&dir), (800, 13_080));

    let dir = temp("rewritten-resumed");
    let ua = user("u1", "hi", None, SA, "2026-11-20T10:00:00.000Z");
    let a1 = asst("a1", Some(MX), "req_X", usage(10, 5, 1000, 0, 200), SA, ts);
    let mut b1 = moved(&a1, SB);
    b1["message"]["usage"] = usage(10, 800, 1000, 0, 200);
    write(&dir.join(format!("{SA}.jsonl")), &[ua.clone(), a1]);
    write(
        &dir.join(format!("{SB}.jsonl")),
        &[
            moved(&ua, SB),
            b1,
            user("u2", "more", Some("a1"), SB, "2026-11-20T10:05:00.000Z"),
            asst(
                "a3",
                Some(MY),
                "req_Y",
                usage(20, 100, 1200, 0, 0),
                SB,
                "2026-11-20T10:05:05.000Z",
            ),
        ],
    );
    let doc = same_summary_every_way(&dir);
    assert_eq!(doc["totals"]["tokens"]["output"], 900, "{doc}");
    assert_eq!(doc["totals"]["api_calls"], 2, "{doc}");
    assert_eq!((output_of(&doc, SA), output_of(&doc, SB)), (5, 895));
    assert_eq!(ndjson_usage(&[&dir]), (900, 15_450));
    assert_eq!(usage_report(&dir), (900, 15_450));
}

/// tester5 finding 8 (repro 07): two lines of one response without `message.id` (a gateway)
/// but with the same `requestId` are one API call. Right: 1 call, input 100, output 300,
/// $0.0048 = 100×3 + 300×15 µ$.
#[test]
fn lines_without_a_message_id_share_their_request() {
    let dir = temp("request-id");
    let ts = "2026-11-20T10:00:05.000Z";
    write(
        &dir.join("s.jsonl"),
        &[
            user("u1", "hi", None, SA, "2026-11-20T10:00:00.000Z"),
            asst("a1", None, "req_same", usage(100, 5, 0, 0, 0), SA, ts),
            asst("a2", None, "req_same", usage(100, 300, 0, 0, 0), SA, ts),
        ],
    );
    let doc = summary(&[], &[&dir]);
    let t = &doc["totals"];
    assert_eq!(
        (
            &t["api_calls"],
            &t["tokens"]["input"],
            &t["tokens"]["output"],
            &t["cost_usd"]
        ),
        (&json!(1), &json!(100), &json!(300), &json!(0.0048)),
        "{doc}"
    );
    assert_eq!(ndjson_usage(&[&dir]), (300, 4_800));
    assert_eq!(usage_report(&dir), (300, 4_800));
}

/// tester5 finding 6 (repro 09): two sessions whose lines reuse the uuid strings "u1"/"a1"
/// (hand-made transcripts) with different responses: both responses count (2 calls,
/// $0.009 = 2 × (1000×3 + 100×15) µ$). The second session's prompt, under a uuid already met,
/// stays a repeat: a line is known by its uuid (Claude Code's are random v4), and a resumed
/// copy changes the session id of the lines it copies, so the session id cannot tell them apart.
#[test]
fn a_uuid_reused_by_another_session_keeps_its_response() {
    let dir = temp("reused-uuid");
    for (n, sid) in [
        (1, "11111111-1111-4111-8111-111111111111"),
        (2, "22222222-2222-4222-8222-222222222222"),
    ] {
        let mid = format!("msg_01DIFFERENT{n:014}");
        write(
            &dir.join(format!("{sid}.jsonl")),
            &[
                user(
                    "u1",
                    &format!("hi {n}"),
                    None,
                    sid,
                    "2026-11-20T10:00:00.000Z",
                ),
                asst(
                    "a1",
                    Some(&mid),
                    &format!("req_{n}"),
                    usage(1000, 100, 0, 0, 0),
                    sid,
                    "2026-11-20T10:00:05.000Z",
                ),
            ],
        );
    }
    let doc = same_summary_every_way(&dir);
    assert_eq!(doc["totals"]["api_calls"], 2, "{doc}");
    assert_eq!(doc["totals"]["cost_usd"], 0.009, "{doc}");
    let prompts: u64 = doc["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["prompts"].as_u64().unwrap())
        .sum();
    assert_eq!(prompts, 1);
    assert_eq!(ndjson_usage(&[&dir]), (200, 9_000));
}

/// What was written of one response: its largest counts over all its lines, wherever written.
#[derive(Default, Clone, Copy)]
struct Truth {
    input: u64,
    output: u64,
    cache_read: u64,
}

/// Random sessions whose responses are written as several lines with growing output, spread
/// over resumed copies (lines copied under a new session id, sometimes with a larger count),
/// lines written again under their uuid with a larger count, final lines of a response
/// written only in a later session, and sessions split over two files. Returns the files and,
/// per response, what its lines held at most.
fn generate(rng: &mut Rng, dir: &Path) -> BTreeMap<String, Truth> {
    let sessions = 2 + rng.below(3) as usize;
    let ids: Vec<String> = (0..sessions)
        .map(|k| format!("{:08x}-1111-4222-8333-{:012x}", rng.next() as u32, k))
        .collect();
    let mut truth: BTreeMap<String, Truth> = BTreeMap::new();
    let mut files: Vec<Vec<Value>> = vec![Vec::new(); sessions];
    let mut uuid = 0;
    let mut next_uuid = || {
        uuid += 1;
        format!("l{uuid}")
    };
    for k in 0..sessions {
        let sid = &ids[k];
        // A resumed session: a copy of (a prefix of) an earlier one's lines under its id.
        if k > 0 && rng.below(2) == 0 {
            let from = rng.below(k as u64) as usize;
            let n = files[from].len();
            let take = if n == 0 {
                0
            } else {
                1 + rng.below(n as u64) as usize
            };
            let copied: Vec<Value> = files[from][..take]
                .iter()
                .filter(|l| l["sessionId"] == ids[from].as_str())
                .map(|l| {
                    let mut l = moved(l, sid);
                    // Now and then the copy carries the response's final usage.
                    if l["type"] == "assistant" && rng.below(3) == 0 {
                        let grown = l["message"]["usage"]["output_tokens"].as_u64().unwrap()
                            + 1
                            + rng.below(500);
                        l["message"]["usage"]["output_tokens"] = json!(grown);
                        let mid = l["message"]["id"].as_str().unwrap().to_owned();
                        let t = truth.get_mut(&mid).unwrap();
                        t.output = t.output.max(grown);
                    }
                    l
                })
                .collect();
            files[k].extend(copied);
        }
        // Its own turns, with timestamps that may overlap the other sessions'.
        let base = rng.below(40);
        for turn in 0..1 + rng.below(3) {
            let minute = base + turn * 3;
            let ts = |s: u64| format!("2026-11-20T10:{minute:02}:{s:02}.000Z");
            let u = next_uuid();
            files[k].push(user(&u, &format!("prompt {k}.{turn}"), None, sid, &ts(0)));
            // An id of the API's length (a shorter one is a relay's, known with its prompt
            // size and session: README "Behind a relay").
            let mid = format!("msg_{k}_{turn}_{:016x}", rng.next() as u16);
            let rid = format!("req_{mid}");
            let (input, cache_read) = (1 + rng.below(100), rng.below(5000));
            let lines = 1 + rng.below(3);
            let mut output = 0;
            let mut written = Vec::new();
            for j in 0..lines {
                output += 1 + rng.below(300);
                let line = asst(
                    &next_uuid(),
                    Some(&mid),
                    &rid,
                    usage(input, output, cache_read, 0, 0),
                    sid,
                    &ts(1 + j),
                );
                written.push(line);
            }
            truth.insert(
                mid.clone(),
                Truth {
                    input,
                    output,
                    cache_read,
                },
            );
            // The last line, now and then, only in a later session's file (it resumed there).
            let last = written.len() - 1;
            if k + 1 < sessions && lines > 1 && rng.below(3) == 0 {
                let later = k + 1 + rng.below((sessions - k - 1) as u64) as usize;
                let line = moved(&written[last], &ids[later]);
                written.truncate(last);
                files[later].push(line);
            }
            for line in written {
                // Now and then written again under its uuid with a larger count.
                if rng.below(4) == 0 {
                    let mut again = line.clone();
                    let grown = line["message"]["usage"]["output_tokens"].as_u64().unwrap()
                        + 1
                        + rng.below(200);
                    again["message"]["usage"]["output_tokens"] = json!(grown);
                    let t = truth.get_mut(&mid).unwrap();
                    t.output = t.output.max(grown);
                    files[k].push(line);
                    files[k].push(again);
                } else {
                    files[k].push(line);
                }
            }
        }
    }
    for (k, lines) in files.iter().enumerate() {
        // Some sessions split over two files (read in path order).
        let cut = if lines.len() > 2 && rng.below(3) == 0 {
            rng.below(lines.len() as u64) as usize
        } else {
            lines.len()
        };
        let name = format!("{:x}", rng.next() as u32);
        write(
            &dir.join(format!("{name}-a-{}.jsonl", ids[k])),
            &lines[..cut],
        );
        if cut < lines.len() {
            write(
                &dir.join(format!("{name}-b-{}.jsonl", ids[k])),
                &lines[cut..],
            );
        }
    }
    truth
}

/// One stream (`--summary` of standard input) reading the files of `dir` one after the other
/// in the "first occurred" order (the library's rule: groups ranked, each group's files in path
/// order: [`aegon::source::order::in_first_occurred_order`], on one worker).
fn stream_summary(dir: &Path) -> Value {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let order = aegon::source::order::in_first_occurred_order(&files, 1, Default::default());
    assert_eq!(order.len(), files.len());
    let mut bytes = Vec::new();
    for f in &order {
        bytes.extend(std::fs::read(f).unwrap());
    }
    serde_json::from_str(&aegon(&["--summary", "--json"], &[], Some(&bytes))).unwrap()
}

/// The parallel `--summary` (1 and 3 workers) equals one stream reading the groups in rank
/// order, in totals and in every session's figures, and its totals equal the count made
/// from what was written.
#[test]
fn the_parallel_summary_equals_one_stream_read_in_rank_order() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for case in 0..40 {
        let dir = temp(&format!("property-{case}"));
        let truth = generate(&mut rng, &dir);
        let parallel = summary(&["-j", "3"], &[&dir]);
        assert_eq!(summary(&["-j", "1"], &[&dir]), parallel, "case {case}");
        let stream = stream_summary(&dir);
        assert_eq!(parallel["totals"], stream["totals"], "case {case}");
        assert_eq!(parallel["sessions"], stream["sessions"], "case {case}");
        // And both equal the count made from what was written: each response once, at its
        // largest counts.
        let t = &parallel["totals"];
        let sum = |f: fn(&Truth) -> u64| truth.values().map(f).sum::<u64>();
        assert_eq!(t["api_calls"], truth.len() as u64, "case {case}");
        assert_eq!(t["tokens"]["output"], sum(|t| t.output), "case {case}");
        assert_eq!(t["tokens"]["input"], sum(|t| t.input), "case {case}");
        assert_eq!(
            t["tokens"]["cache_read"],
            sum(|t| t.cache_read),
            "case {case}"
        );
    }
}
