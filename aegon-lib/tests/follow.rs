//! `Tail` on real files in a temporary folder: append, partial line, truncate, rename and
//! re-create, delete, a file that appears later, following from the end.

#[path = "support/temp_dir.rs"]
mod temp_dir;

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use aegon::render::{Flow, Renderer};
use aegon::source::follow::{Change, Tail};
use aegon::{Event, EventKind, Options, Pipeline};

/// What reached the renderer: one entry per event, `kind@line:offset` with the prompt text.
#[derive(Default)]
struct Seen(Vec<String>);

impl Renderer for Seen {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        let what = match &event.kind {
            EventKind::UserPrompt { text, .. } => text.to_str().into_owned(),
            other => other.kind().as_str().to_owned(),
        };
        self.0.push(format!(
            "{what}@{}:{}",
            event.source.line, event.source.offset
        ));
        Ok(Flow::Continue(()))
    }
}

struct Fixture {
    dir: temp_dir::TempDir,
    pipeline: Pipeline<Seen>,
    changes: Vec<String>,
}

fn prompt(text: &str) -> String {
    format!(r#"{{"type":"user","sessionId":"s","message":{{"role":"user","content":"{text}"}}}}"#)
}

impl Fixture {
    fn new(name: &str) -> Self {
        Fixture {
            dir: temp_dir::temp_dir(&format!("follow-{name}")),
            pipeline: Pipeline::new(Options::default(), Seen::default()),
            changes: Vec::new(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn append(&self, name: &str, bytes: &str) {
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path(name))
            .unwrap();
        f.write_all(bytes.as_bytes()).unwrap();
    }

    /// Polls and returns the events that came out of it.
    fn poll(&mut self, tail: &mut Tail) -> Vec<String> {
        let changes = &mut self.changes;
        let (_, flow) = tail
            .poll(&mut self.pipeline, |_: &Path, c| {
                changes.push(match c {
                    Change::Opened { offset } => format!("opened@{offset}"),
                    Change::Truncated { dropped_partial } => format!("truncated-{dropped_partial}"),
                    Change::Replaced => "replaced".into(),
                    Change::Vanished => "vanished".into(),
                    Change::Unreadable(e) => format!("unreadable {e}"),
                })
            })
            .unwrap();
        assert!(flow.is_continue());
        std::mem::take(&mut self.pipeline.renderer().0)
    }
}

#[test]
fn appended_lines_arrive_and_a_partial_line_waits_for_its_newline() {
    let mut fx = Fixture::new("append");
    fx.append("s.jsonl", &(prompt("one") + "\n"));
    let mut tail = Tail::new(fx.path("s.jsonl"), "s.jsonl");
    assert_eq!(fx.poll(&mut tail), ["one@1:0"]);
    assert_eq!(fx.changes, ["opened@0"]);
    assert!(fx.poll(&mut tail).is_empty(), "nothing new");

    let two = prompt("two");
    let (head, rest) = two.split_at(20);
    fx.append("s.jsonl", head);
    assert!(fx.poll(&mut tail).is_empty(), "a partial line waits");
    fx.append("s.jsonl", &format!("{rest}\n{}\n", prompt("three")));
    let at2 = prompt("one").len() + 1;
    let at3 = at2 + two.len() + 1;
    assert_eq!(
        fx.poll(&mut tail),
        [format!("two@2:{at2}"), format!("three@3:{at3}")]
    );
}

#[test]
fn a_file_that_does_not_exist_yet_is_waited_for() {
    let mut fx = Fixture::new("later");
    let mut tail = Tail::new(fx.path("later.jsonl"), "later.jsonl");
    assert!(fx.poll(&mut tail).is_empty());
    assert!(!tail.is_open());
    assert!(fx.changes.is_empty(), "waiting is not an error");
    fx.append("later.jsonl", &(prompt("hello") + "\n"));
    assert_eq!(fx.poll(&mut tail), ["hello@1:0"]);
}

#[test]
fn truncation_reads_again_from_the_start() {
    let mut fx = Fixture::new("truncate");
    fx.append(
        "s.jsonl",
        &format!("{}\n{}\n", prompt("old1"), prompt("old2")),
    );
    let mut tail = Tail::new(fx.path("s.jsonl"), "s.jsonl");
    assert_eq!(fx.poll(&mut tail).len(), 2);
    fx.append("s.jsonl", "{\"type\":\"us"); // a partial line, then the file is emptied
    fx.poll(&mut tail);
    fs::write(fx.path("s.jsonl"), prompt("new") + "\n").unwrap();
    assert_eq!(fx.poll(&mut tail), ["new@1:0"]);
    assert_eq!(fx.changes, ["opened@0", "truncated-11"]);
}

#[test]
fn a_renamed_and_recreated_file_is_read_to_its_end_then_reopened() {
    let mut fx = Fixture::new("rename");
    fx.append("s.jsonl", &(prompt("a") + "\n"));
    let mut tail = Tail::new(fx.path("s.jsonl"), "s.jsonl");
    assert_eq!(fx.poll(&mut tail), ["a@1:0"]);
    // Written just before the rotation: must not be lost.
    fx.append("s.jsonl", &(prompt("b") + "\n"));
    fs::rename(fx.path("s.jsonl"), fx.path("s.jsonl.1")).unwrap();
    fx.append("s.jsonl", &(prompt("c") + "\n"));
    let at_b = prompt("a").len() + 1;
    assert_eq!(fx.poll(&mut tail), [format!("b@2:{at_b}"), "c@1:0".into()]);
    assert_eq!(fx.changes, ["opened@0", "replaced", "opened@0"]);
}

#[test]
fn a_deleted_file_is_waited_for_again() {
    let mut fx = Fixture::new("delete");
    fx.append("s.jsonl", &(prompt("a") + "\n"));
    let mut tail = Tail::new(fx.path("s.jsonl"), "s.jsonl");
    fx.poll(&mut tail);
    fs::remove_file(fx.path("s.jsonl")).unwrap();
    assert!(fx.poll(&mut tail).is_empty());
    // The old file's handle is read on (for what its writer still appends) until the name
    // names a file again.
    assert!(tail.is_gone());
    fx.append("s.jsonl", &(prompt("again") + "\n"));
    assert_eq!(fx.poll(&mut tail), ["again@1:0"]);
    assert!(!tail.is_gone());
    assert_eq!(fx.changes, ["opened@0", "vanished", "replaced", "opened@0"]);
}

#[test]
fn from_the_end_skips_history_but_keeps_true_line_numbers() {
    let mut fx = Fixture::new("end");
    let history = format!("{}\n{}\n", prompt("h1"), prompt("h2"));
    let partial = prompt("being-written");
    fx.append("s.jsonl", &(history.clone() + &partial[..10]));
    let mut tail = Tail::new(fx.path("s.jsonl"), "s.jsonl").from_end();
    assert!(fx.poll(&mut tail).is_empty(), "history is skipped");
    assert_eq!(fx.changes, [format!("opened@{}", history.len())]);
    // The line in progress when following began is read whole.
    fx.append("s.jsonl", &(partial[10..].to_owned() + "\n"));
    assert_eq!(
        fx.poll(&mut tail),
        [format!("being-written@3:{}", history.len())]
    );
}

#[test]
fn from_the_end_reads_a_file_created_later_whole() {
    let mut fx = Fixture::new("end-later");
    let mut tail = Tail::new(fx.path("s.jsonl"), "s.jsonl").from_end();
    assert!(fx.poll(&mut tail).is_empty());
    fx.append("s.jsonl", &(prompt("first") + "\n"));
    assert_eq!(fx.poll(&mut tail), ["first@1:0"]);
}

#[test]
fn a_parked_tail_resumes_where_it_was_and_notices_replacement() {
    let mut fx = Fixture::new("park");
    fx.append("s.jsonl", &(prompt("a") + "\n"));
    let mut tail = Tail::new(fx.path("s.jsonl"), "s.jsonl");
    assert_eq!(fx.poll(&mut tail), ["a@1:0"]);
    tail.park();
    assert!(tail.is_parked());
    fx.append("s.jsonl", &(prompt("b") + "\n"));
    let at_b = prompt("a").len() + 1;
    assert_eq!(fx.poll(&mut tail), [format!("b@2:{at_b}")]);
    assert!(!tail.is_parked());
    tail.park();
    fs::remove_file(fx.path("s.jsonl")).unwrap();
    fx.append("s.jsonl", &(prompt("c") + "\n"));
    assert_eq!(fx.poll(&mut tail), ["c@1:0"]);
    // With no handle held, the new file may reuse the old one's inode: then it looks like a
    // truncation. Either way it is read from its start.
    let second = fx.changes[1].as_str();
    assert!(
        second == "replaced" || second == "truncated-0",
        "{:?}",
        fx.changes
    );
}

#[test]
fn from_a_size_reads_what_came_after_it() {
    let mut fx = Fixture::new("size");
    let seen = format!("{}\n{}", prompt("seen"), &prompt("cut")[..7]);
    fx.append("s.jsonl", &seen);
    // Watching began when the file was this long; more came before the first poll.
    let mut tail = Tail::new(fx.path("s.jsonl"), "s.jsonl").from_size(seen.len() as u64);
    fx.append(
        "s.jsonl",
        &(prompt("cut")[7..].to_owned() + "\n" + &prompt("later") + "\n"),
    );
    let cut_at = prompt("seen").len() + 1;
    let later_at = cut_at + prompt("cut").len() + 1;
    assert_eq!(
        fx.poll(&mut tail),
        [format!("cut@2:{cut_at}"), format!("later@3:{later_at}")]
    );
}

/// The Gemini CLI chat file of the fixtures (a whole JSON document, no trailing newline).
fn gemini_chat() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../fixtures/agents/gemini/Ju-l-e-s__Myflix__.gemini__tmp__ai__chats__session-2026-02-22T10-41-6c9579c5.json",
    ))
    .unwrap()
}

/// Gemini CLI rewrites its chat file in place (truncate, then write): a poll can come while
/// the document is half written. That half is held, not reported as cut off; the finished
/// document is read whole once, and gives what one read of the finished file gives.
#[test]
fn a_json_document_read_mid_write_waits_for_its_end() {
    let whole = gemini_chat();
    let mut once = Fixture::new("doc-once");
    once.append("chat.json", &whole);
    let mut tail = Tail::new(once.path("chat.json"), "chat.json");
    let expected = once.poll(&mut tail);
    assert!(
        expected.iter().any(|e| e.starts_with("usage@")),
        "{expected:?}"
    );
    assert!(
        !expected.iter().any(|e| e.starts_with("malformed")),
        "{expected:?}"
    );

    let mut fx = Fixture::new("doc-mid-write");
    let mut tail = Tail::new(fx.path("chat.json"), "chat.json");
    let cut = whole.len() / 2;
    fx.append("chat.json", &whole[..cut]);
    assert_eq!(fx.poll(&mut tail), Vec::<String>::new());
    // Nothing changed: still nothing to say.
    assert_eq!(fx.poll(&mut tail), Vec::<String>::new());
    fx.append("chat.json", &whole[cut..]);
    assert_eq!(fx.poll(&mut tail), expected);
}

/// A document left cut off (its writer died mid-write) is reported as it stands when
/// following stops: its whole messages are read and the cut is said, not lost silently.
#[test]
fn a_json_document_left_cut_off_is_reported_when_following_stops() {
    let whole = gemini_chat();
    let mut fx = Fixture::new("doc-cut-off");
    let mut tail = Tail::new(fx.path("chat.json"), "chat.json");
    fx.append("chat.json", &whole[..whole.len() * 3 / 4]);
    assert_eq!(fx.poll(&mut tail), Vec::<String>::new());
    let flow = tail.close(&mut fx.pipeline).unwrap();
    assert!(flow.is_continue());
    let seen = std::mem::take(&mut fx.pipeline.renderer().0);
    assert!(seen.iter().any(|e| e.starts_with("usage@")), "{seen:?}");
    assert_eq!(
        seen.last().map(|e| e.starts_with("malformed@")),
        Some(true),
        "{seen:?}"
    );
}

/// What one event says, to compare a followed document with one read of it: its kind, its
/// tool call id (calls and results) and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Said {
    kind: String,
    id: Option<String>,
    line: u64,
    offset: u64,
}

/// The events other than usage, the usage summed, and the responses (usage events that are
/// not increments) and increments counted.
#[derive(Debug, Default)]
struct Heard {
    said: Vec<Said>,
    tokens: aegon::Tokens,
    responses: usize,
    increments: usize,
}

impl Renderer for Heard {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        match &event.kind {
            EventKind::Usage {
                tokens, increment, ..
            } => {
                self.tokens = self.tokens.saturating_add(*tokens);
                if *increment {
                    self.increments += 1;
                } else {
                    self.responses += 1;
                }
            }
            kind => {
                let id = match kind {
                    EventKind::ToolCall { tool_use_id, .. }
                    | EventKind::ToolResult { tool_use_id, .. } => {
                        tool_use_id.as_deref().map(str::to_owned)
                    }
                    _ => None,
                };
                self.said.push(Said {
                    kind: kind.kind().as_str().to_owned(),
                    id,
                    line: event.source.line,
                    offset: event.source.offset,
                });
            }
        }
        Ok(Flow::Continue(()))
    }
}

/// The Gemini CLI chat `full` holding `messages` instead of its own, as the CLI writes it
/// (its header first, two-space indent).
fn chat_with(full: &serde_json::Value, messages: &[serde_json::Value]) -> String {
    format!(
        "{{\n  \"sessionId\": {},\n  \"projectHash\": {},\n  \"startTime\": {},\n  \"lastUpdated\": {},\n  \"messages\": {}\n}}",
        full["sessionId"],
        full["projectHash"],
        full["startTime"],
        full["lastUpdated"],
        serde_json::to_string_pretty(messages).unwrap()
    )
}

/// Gemini CLI writes a message first, then rewrites the whole file as the message gains its
/// `tokens` and its `toolCalls` (their results once they finish). A real chat followed
/// through such versions (a message without its tool calls and with fewer tokens; with its
/// tool calls; with its tokens as written; then with the messages after it) gives, over all its reads, exactly what
/// one read of the final file gives: every tool call and result once, the other events once
/// at their places, and the usage summing to the final file's (its growth as an increment).
#[test]
fn a_json_chat_rewritten_as_a_message_gains_tool_calls_and_tokens_gives_one_reads_events() {
    use serde_json::Value;
    let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../fixtures/agents/gemini/7567491__ren__.gemini__tmp__cd8c738c7a1a18392f8c7b8478cd36a4fd00c22700c909f29113a59918ee224a__chats__session-2026-01-03T08-29-d667b4d8.json",
    ))
    .unwrap();
    let full: Value = serde_json::from_str(&text).unwrap();
    let messages = full["messages"].as_array().unwrap();
    // The first Gemini message with a finished tool call and tokens, messages after it.
    let at = messages
        .iter()
        .position(|m| {
            m["type"] == "gemini"
                && m["toolCalls"].as_array().is_some_and(|calls| {
                    !calls.is_empty() && calls.iter().all(|c| c["status"] == "success")
                })
                && m["tokens"]["output"].as_u64().is_some_and(|n| n >= 10)
        })
        .unwrap();
    assert!(at + 1 < messages.len());
    let chat = |messages: &[Value]| chat_with(&full, messages);
    let as_written = messages[..=at].to_vec();
    // A tenth of the output written: one digit fewer, so the file's size changes.
    let mut smaller = as_written.clone();
    let tokens = &mut smaller[at]["tokens"];
    let output = tokens["output"].as_u64().unwrap();
    let total = tokens["total"].as_u64().unwrap();
    tokens["output"] = (output / 10).into();
    tokens["total"] = (total - output + output / 10).into();
    let mut without_calls = smaller.clone();
    without_calls[at]
        .as_object_mut()
        .unwrap()
        .remove("toolCalls");
    let versions = [
        chat(&without_calls),
        chat(&smaller),
        chat(&as_written),
        chat(messages),
    ];
    for pair in versions.windows(2) {
        assert_ne!(
            pair[0].len(),
            pair[1].len(),
            "a follower tells a rewrite by its size"
        );
    }

    // One read of the final file.
    let mut once = Pipeline::new(Options::default(), Heard::default());
    let flow = once
        .read_to_end("chat.json", versions[3].as_bytes())
        .unwrap();
    assert!(flow.is_continue());
    let (once, _) = once.finish().unwrap();
    assert!(once.said.iter().any(|s| s.kind == "tool_call"));
    assert!(!once.said.iter().any(|s| s.kind == "malformed"));

    // Followed through the versions, each written over the last in place.
    let dir = temp_dir::temp_dir("follow-gemini-rewrites");
    let path = dir.join("chat.json");
    let mut pipeline = Pipeline::new(Options::default(), Heard::default());
    let mut tail = Tail::new(&path, "chat.json");
    let mut calls_after = Vec::new();
    for version in &versions {
        fs::write(&path, version).unwrap();
        let (_, flow) = tail.poll(&mut pipeline, |_: &Path, _| {}).unwrap();
        assert!(flow.is_continue());
        let heard = pipeline.renderer();
        calls_after.push(heard.said.iter().filter(|s| s.kind == "tool_call").count());
    }
    let (followed, _) = pipeline.finish().unwrap();

    // The message's tool calls came with the version that added them, not before.
    let calls = |upto: usize| -> usize {
        messages[..upto]
            .iter()
            .map(|m| m["toolCalls"].as_array().map_or(0, Vec::len))
            .sum()
    };
    assert_eq!(followed.tokens, once.tokens);
    assert_eq!(followed.responses, once.responses);
    assert_eq!(
        calls_after,
        [
            calls(at),
            calls(at + 1),
            calls(at + 1),
            calls(messages.len())
        ]
    );
    assert_eq!(followed.said, once.said);
    // The output that grew in the rewrite came as an increment (summed above).
    assert!(followed.increments >= 1, "{followed:?}");
}

/// A chat rewritten to the same size (a message's token count grown by as many digits) is
/// read again too: a follower that went by the size alone would miss the growth for good
/// when no later rewrite came.
#[test]
fn a_json_chat_rewritten_to_the_same_size_is_read_again() {
    use serde_json::Value;
    let text = gemini_chat();
    let full: Value = serde_json::from_str(&text).unwrap();
    let messages = full["messages"].as_array().unwrap();
    let digits = |n: u64| n.to_string().len() as u32;
    // The last Gemini message with thoughts of two digits or more, the chat cut after it.
    let at = messages
        .iter()
        .rposition(|m| m["type"] == "gemini" && m["tokens"]["thoughts"].as_u64() > Some(10))
        .unwrap();
    let as_written = messages[..=at].to_vec();
    let mut smaller = as_written.clone();
    let tokens = &mut smaller[at]["tokens"];
    let thoughts = tokens["thoughts"].as_u64().unwrap();
    let total = tokens["total"].as_u64().unwrap();
    // The smallest count of as many digits: the file keeps its size.
    let fewer = 10u64.pow(digits(thoughts) - 1);
    assert_eq!(digits(total), digits(total - (thoughts - fewer)));
    tokens["thoughts"] = fewer.into();
    tokens["total"] = (total - (thoughts - fewer)).into();
    let chat = |messages: &[Value]| chat_with(&full, messages);
    let (before, after) = (chat(&smaller), chat(&as_written));
    assert_eq!(before.len(), after.len());
    assert_ne!(before, after);

    let mut once = Pipeline::new(Options::default(), Heard::default());
    let flow = once.read_to_end("chat.json", after.as_bytes()).unwrap();
    assert!(flow.is_continue());
    let (once, _) = once.finish().unwrap();
    assert!(once.responses > 1 && !once.said.iter().any(|s| s.kind == "malformed"));

    let dir = temp_dir::temp_dir("follow-gemini-same-size");
    let path = dir.join("chat.json");
    let mut pipeline = Pipeline::new(Options::default(), Heard::default());
    let mut tail = Tail::new(&path, "chat.json");
    let start = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    for (i, version) in [&before, &after].into_iter().enumerate() {
        fs::write(&path, version).unwrap();
        // Distinct modification times, whatever the file system's resolution.
        let file = OpenOptions::new().write(true).open(&path).unwrap();
        file.set_modified(start + std::time::Duration::from_secs(i as u64))
            .unwrap();
        drop(file);
        let (_, flow) = tail.poll(&mut pipeline, |_: &Path, _| {}).unwrap();
        assert!(flow.is_continue());
    }
    let (followed, _) = pipeline.finish().unwrap();
    assert_eq!(followed.tokens, once.tokens);
    assert_eq!(followed.said, once.said);
    assert_eq!(followed.increments, 1, "{followed:?}");
}

/// A real Claude Code transcript of the fixtures: its assistant messages carry ids
/// (`"id":"msg_01…"`) that look like OpenCode's, which once made a JSONL file followed from
/// its end be taken for a JSON document (history replayed, positions counted from 0).
fn claude_lines() -> Vec<String> {
    fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/corpus/apanloco__random__session.jsonl"),
    )
    .unwrap()
    .split_inclusive('\n')
    .map(str::to_owned)
    .collect()
}

/// Which lines the events came from, and where each starts (`line:offset`, once each).
fn places(seen: &[String]) -> Vec<String> {
    let mut places: Vec<String> = seen
        .iter()
        .map(|e| e.rsplit('@').next().unwrap().to_owned())
        .collect();
    places.dedup();
    places
}

/// Following a real transcript from its end (`-f --from-end`) or from the size seen when
/// watching began (`watch`, a file older than `--since`): only the appended lines come, each at
/// its true line number and byte offset, and the history is never replayed later.
#[test]
fn a_real_transcript_followed_from_its_end_gives_only_new_lines_at_their_true_place() {
    let lines = claude_lines();
    let history: String = lines[..20].concat();
    let at21 = history.len();
    let at22 = at21 + lines[20].len();
    let at23 = at22 + lines[21].len();
    for (name, from_size) in [("real-end", false), ("real-size", true)] {
        let mut fx = Fixture::new(name);
        fx.append("s.jsonl", &history);
        let tail = Tail::new(fx.path("s.jsonl"), "s.jsonl");
        let mut tail = if from_size {
            tail.from_size(at21 as u64)
        } else {
            tail.from_end()
        };
        assert!(fx.poll(&mut tail).is_empty(), "{name}: history is skipped");
        fx.append("s.jsonl", &lines[20]);
        let seen = fx.poll(&mut tail);
        assert!(!seen.is_empty(), "{name}: line 21 gives events");
        assert_eq!(places(&seen), [format!("21:{at21}")], "{name}: {seen:?}");
        fx.append("s.jsonl", &lines[21]);
        fx.append("s.jsonl", "garbage\n");
        let seen = fx.poll(&mut tail);
        assert_eq!(
            places(&seen),
            [format!("22:{at22}"), format!("23:{at23}")],
            "{name}: {seen:?}"
        );
        assert!(seen.last().unwrap().starts_with("malformed@"), "{seen:?}");
    }
}

/// Usage events that reached the renderer: output tokens, and whether a part was unread.
#[derive(Default)]
struct Usages(Vec<(u64, bool)>);

impl Renderer for Usages {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        if let EventKind::Usage { tokens, unread, .. } = &event.kind {
            self.0.push((tokens.output, unread.is_some()));
        }
        Ok(Flow::Continue(()))
    }
}

/// Codex writes each `token_count` twice, with the same totals. A rollout followed from its
/// end, started between a `token_count` (line 40 of the real nileshteji rollout,
/// fixtures/agents/README.md) and its repeat (line 43): the history before the start is read
/// into the decoder, so the repeat is known for one and only the 5 requests written after the
/// start count (output 617), with `last_token_usage` or with cumulative totals alone
/// (tester11 #6: 6 calls, output 911 / one of unknown cost, the repeat counted as new).
/// A file holding `history` followed from its end (`from_size`: from the size it has, as a
/// watched folder's older file once it grows), `rest` then appended, the input closed: what
/// reached the renderer (the history gave nothing: checked).
fn followed_after<R: Renderer + Default>(
    file: &str,
    history: &str,
    rest: &str,
    from_size: bool,
) -> R {
    let fx = Fixture::new(&format!("after-{}", history.len()));
    fx.append(file, history);
    let mut pipeline = Pipeline::new(Options::default(), R::default());
    let tail = Tail::new(fx.path(file), file);
    let mut tail = if from_size {
        tail.from_size(history.len() as u64)
    } else {
        tail.from_end()
    };
    let _ = tail.poll(&mut pipeline, |_: &Path, _| {}).unwrap();
    assert_eq!(pipeline.stats().events, 0, "history is skipped");
    fx.append(file, rest);
    let _ = tail.poll(&mut pipeline, |_: &Path, _| {}).unwrap();
    let _ = tail.close(&mut pipeline).unwrap();
    pipeline.finish().unwrap().0
}

#[test]
fn a_codex_rollout_followed_from_between_a_token_count_and_its_repeat_counts_only_new_requests() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../fixtures/agents/codex/nileshteji__rig__codex__sessions__2026__02__09__rollout-2026-02-09T23-00-30-019c4374-701c-7042-aa87-dcedb8f04ede.jsonl",
    );
    let real = fs::read_to_string(path).unwrap();
    // The same rollout with cumulative totals only (`last_token_usage` removed).
    let totals_only: String = real
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            if let Some(info) = v
                .pointer_mut("/payload/info")
                .and_then(|i| i.as_object_mut())
            {
                info.remove("last_token_usage");
            }
            format!("{v}\n")
        })
        .collect();
    // From its end as a named file (`-f --from-end FILE`), and from the size it had when a
    // watched folder was first looked at (`-f --from-end FOLDER`, `aegon watch`'s older
    // files: tester13 #4, 6 calls / output 911 there until its history was read too).
    let cases = [
        ("real", real.as_str(), false),
        ("totals only", &totals_only, false),
        ("real, from size", real.as_str(), true),
        ("totals only, from size", &totals_only, true),
    ];
    for (name, text, from_size) in cases {
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        assert!(lines[39].contains("token_count") && lines[42].contains("token_count"));
        let followed: Usages = followed_after(
            "r.jsonl",
            &lines[..40].concat(),
            &lines[40..].concat(),
            from_size,
        );
        let usages = &followed.0;
        assert_eq!(usages.len(), 5, "{name}: {usages:?}");
        assert_eq!(usages.iter().map(|u| u.0).sum::<u64>(), 617, "{name}");
        assert!(usages.iter().all(|u| !u.1), "{name}: {usages:?}");
    }
}

/// Usage events that reached the renderer: their line, identity, tokens and whether a part
/// was unread.
#[derive(Default)]
struct UsageTokens(Vec<(u64, Option<String>, aegon::tokens::Tokens, bool)>);

impl Renderer for UsageTokens {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        if let EventKind::Usage {
            message_id,
            tokens,
            unread,
            ..
        } = &event.kind
        {
            let id = message_id.as_deref().map(str::to_owned);
            self.0
                .push((event.source.line, id, *tokens, unread.is_some()));
        }
        Ok(Flow::Continue(()))
    }
}

/// A resumed Copilot CLI session writes a second `session.shutdown` whose totals cover the
/// whole session (FORMAT.md §4). Made from the real LAF-US events.jsonl
/// (fixtures/agents/README.md: 16 requests, then its shutdown): `session.resume`, two more
/// messages (output 300 and 200), then a second shutdown of +200,000 input (150,000 of them
/// cache reads) and +500 output. Followed from its end right after the first shutdown, only
/// what was written after the start counts, as the same lines do read from the start:
/// input 50,000, cache reads 150,000, output 500 (tester13 #3: the second shutdown was
/// counted whole, input 438,573, cache reads 1,645,724, output 6,891, $0.6376 for $0.0675).
/// Started after any other line, with or without the second shutdown (a session still
/// running: its cost pending), the follower gives the events the lines after the start give
/// read from the start, with the same tokens.
#[test]
fn a_resumed_copilot_session_followed_from_after_its_first_shutdown_counts_only_what_grew() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../fixtures/agents/copilot/LAF-US__IDAHO-VAULT__.copilot__session-state__252d6b6b-aaad-4790-8254-7ada091ee9fc__events.jsonl",
    );
    let real = fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = real.lines().map(|l| format!("{l}\n")).collect();
    let at = lines
        .iter()
        .position(|l| l.contains("\"session.shutdown\""))
        .unwrap();
    assert_eq!(
        at + 1,
        lines.len(),
        "the saved session ends with its shutdown"
    );
    let mut second: serde_json::Value = serde_json::from_str(&lines[at]).unwrap();
    second["id"] = "res-shut2".into();
    second["timestamp"] = "2026-04-02T05:00:20.000Z".into();
    let u = &mut second["data"]["modelMetrics"]["claude-haiku-4.5"]["usage"];
    for (key, more) in [
        ("inputTokens", 200_000),
        ("cacheReadTokens", 150_000),
        ("outputTokens", 500),
    ] {
        u[key] = (u[key].as_u64().unwrap() + more).into();
    }
    let event = |kind: &str, data: serde_json::Value, id: &str| {
        let e = serde_json::json!({"type": kind, "data": data, "id": id,
            "timestamp": "2026-04-02T05:00:05.000Z", "parentId": null});
        format!("{e}\n")
    };
    lines.push(event("session.resume", serde_json::json!({}), "res-1"));
    lines.push(event(
        "user.message",
        serde_json::json!({"content": "more"}),
        "res-2",
    ));
    for (id, output) in [("res-3", 300), ("res-4", 200)] {
        let data = serde_json::json!({"messageId": id, "content": "a", "toolRequests": [],
            "outputTokens": output});
        lines.push(event("assistant.message", data, id));
    }
    let running = lines.clone();
    lines.push(format!("{second}\n"));

    let sum = |us: &[(u64, Option<String>, aegon::tokens::Tokens, bool)]| {
        us.iter().fold(aegon::tokens::Tokens::default(), |a, u| {
            a.saturating_add(u.2)
        })
    };
    for (name, lines) in [("finished", &lines), ("running", &running)] {
        // Read from its start.
        let mut whole = Pipeline::new(Options::default(), UsageTokens::default());
        let _ = whole
            .read_to_end("e.jsonl", lines.concat().as_bytes())
            .unwrap();
        let whole = whole.finish().unwrap().0 .0;
        for start in 1..lines.len() {
            let after: Vec<_> = whole
                .iter()
                .filter(|u| u.0 > start as u64)
                .cloned()
                .collect();
            let followed = followed_after::<UsageTokens>(
                "e.jsonl",
                &lines[..start].concat(),
                &lines[start..].concat(),
                false,
            )
            .0;
            if name == "finished" && start == at + 1 {
                let total = sum(&followed);
                assert_eq!(
                    (total.input, total.cache_read, total.output),
                    (50_000, 150_000, 500),
                    "{followed:?}"
                );
                // The session's facts came from the history: the shutdown is named by it.
                let id = "252d6b6b-aaad-4790-8254-7ada091ee9fc/shutdown/claude-haiku-4.5";
                assert!(followed.iter().any(|u| u.1.as_deref() == Some(id)));
            }
            assert_eq!(followed, after, "{name}, started after line {start}");
        }
    }
}

/// Claude Code writes one API response as several lines seconds apart (one per content block,
/// each repeating the usage: FORMAT.md §6), so a follower started "now" often starts between
/// two of them. Followed from its end after any line of a real transcript (apanloco's
/// session, 98 lines), the lines appended give the events and usage the same lines give read
/// from the start: a later line of a response begun before the start is its increment
/// (tester15 #1: after line 4 the rest counted 22 calls, $0.6113, the response of lines 4
/// and 6 again with its whole prompt, for 21 calls, $0.5371).
#[test]
fn a_claude_transcript_followed_from_between_the_lines_of_one_response_counts_only_what_grew() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/corpus/apanloco__random__session.jsonl");
    let lines: Vec<String> = fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| format!("{l}\n"))
        .collect();
    let mut whole = Pipeline::new(Options::default(), UsageTokens::default());
    let _ = whole
        .read_to_end("s.jsonl", lines.concat().as_bytes())
        .unwrap();
    let whole = whole.finish().unwrap().0 .0;
    let mut whole_seen = Pipeline::new(Options::default(), Seen::default());
    let _ = whole_seen
        .read_to_end("s.jsonl", lines.concat().as_bytes())
        .unwrap();
    let whole_seen = whole_seen.finish().unwrap().0 .0;
    let line_of = |s: &String| -> u64 {
        s.rsplit_once('@')
            .and_then(|(_, place)| place.split_once(':'))
            .and_then(|(line, _)| line.parse().ok())
            .unwrap()
    };
    // The response of lines 4 and 6 (msg_014Z…): a start between them is the reported case.
    assert_eq!(whole.iter().filter(|u| u.0 == 4 || u.0 == 6).count(), 2);
    for start in 1..lines.len() {
        let after: Vec<_> = whole
            .iter()
            .filter(|u| u.0 > start as u64)
            .cloned()
            .collect();
        let seen_after: Vec<_> = whole_seen
            .iter()
            .filter(|s| line_of(s) > start as u64)
            .cloned()
            .collect();
        let (history, rest) = (lines[..start].concat(), lines[start..].concat());
        assert_eq!(
            followed_after::<UsageTokens>("s.jsonl", &history, &rest, false).0,
            after,
            "usage, started after line {start}"
        );
        assert_eq!(
            followed_after::<Seen>("s.jsonl", &history, &rest, false).0,
            seen_after,
            "events, started after line {start}"
        );
    }
}

/// One counted entry: its line, what it is (`usage`, `call`, `result`), its id, the
/// response's model and tokens.
type Entry = (
    u64,
    &'static str,
    Option<String>,
    Option<String>,
    aegon::tokens::Tokens,
);

/// What a follower counts: per API response its line, id, model and tokens; per tool call
/// and result its line and id.
#[derive(Default)]
struct Counted(Vec<Entry>);

impl Renderer for Counted {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        let line = event.source.line;
        let owned = |s: &Option<std::borrow::Cow<'_, str>>| s.as_deref().map(str::to_owned);
        let entry = match &event.kind {
            EventKind::Usage {
                message_id,
                model,
                tokens,
                ..
            } => (line, "usage", owned(message_id), owned(model), *tokens),
            EventKind::ToolCall { tool_use_id, .. } => {
                (line, "call", owned(tool_use_id), None, Default::default())
            }
            EventKind::ToolResult { tool_use_id, .. } => {
                (line, "result", owned(tool_use_id), None, Default::default())
            }
            _ => return Ok(Flow::Continue(())),
        };
        self.0.push(entry);
        Ok(Flow::Continue(()))
    }
}

/// Gemini CLI writes a `gemini` message to its JSONL chat, then the same message again (same
/// `id`, same `tokens`) once its tool calls finish, carrying them (FORMAT.md §2). A chat
/// followed from its end started between the two (`-f --from-end`, or `watch`'s older files
/// from the size they had): the history before the start teaches the follower the messages,
/// calls and responses it held, so the repeat after it counts what the same lines count read
/// from the start: its calls and results, not its response again. Every start of two real
/// chats (fixtures/agents/README.md, wingorithm): the events that count equal those of the
/// lines after the start in a read from the start (before, the 08-41 chat started after line 4
/// counted response 692befa7 again at line 6: one request more, 18,004 input and 294 output
/// tokens more, and its text shown again).
#[test]
fn a_gemini_chat_followed_from_between_a_message_and_its_repeat_counts_it_once() {
    for name in [
        "wingorithm__Vibe-Coding-Comparison-Project__.gemini__tmp__ticketing-vc__chats__session-2026-04-25T08-41-3494a697.jsonl",
        "wingorithm__Vibe-Coding-Comparison-Project__.gemini__tmp__ticketing-vc__chats__session-2026-04-25T08-46-c737eb36.jsonl",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/agents/gemini")
            .join(name);
        let lines: Vec<String> = fs::read_to_string(path)
            .unwrap()
            .split_inclusive('\n')
            .map(str::to_owned)
            .collect();
        let mut whole = Pipeline::new(Options::default(), Counted::default());
        let _ = whole.read_to_end("g.jsonl", lines.concat().as_bytes()).unwrap();
        let whole = whole.finish().unwrap().0 .0;
        assert!(whole.iter().filter(|c| c.1 == "usage").count() > 5, "{name}");
        let mut repeats_crossed = 0;
        for start in 1..lines.len() {
            let after: Vec<_> = whole
                .iter()
                .filter(|c| c.0 > start as u64)
                .cloned()
                .collect();
            for from_size in [false, true] {
                let followed = followed_after::<Counted>(
                    "g.jsonl",
                    &lines[..start].concat(),
                    &lines[start..].concat(),
                    from_size,
                )
                .0;
                assert_eq!(
                    followed, after,
                    "{name}, started after line {start} (from size: {from_size})"
                );
            }
            // A start between a message and its repeat (the case this is about) is met.
            let id = |l: &str| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].clone();
            let before: Vec<_> = lines[..start].iter().map(|l| id(l)).collect();
            repeats_crossed += lines[start..]
                .iter()
                .filter(|l| l.contains("\"type\":\"gemini\"") && before.contains(&id(l)))
                .count();
        }
        assert!(repeats_crossed > 0, "{name}");
    }
}
