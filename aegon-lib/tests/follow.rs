//! `Tail` on real files in a temporary folder: append, partial line, truncate, rename and
//! re-create, delete, a file that appears later, following from the end.

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
    dir: PathBuf,
    pipeline: Pipeline<Seen>,
    changes: Vec<String>,
}

fn prompt(text: &str) -> String {
    format!(r#"{{"type":"user","sessionId":"s","message":{{"role":"user","content":"{text}"}}}}"#)
}

impl Fixture {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("aegon-follow-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Fixture {
            dir,
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

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
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
    assert!(!tail.is_open());
    fx.append("s.jsonl", &(prompt("again") + "\n"));
    assert_eq!(fx.poll(&mut tail), ["again@1:0"]);
    assert_eq!(fx.changes, ["opened@0", "vanished", "opened@0"]);
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
