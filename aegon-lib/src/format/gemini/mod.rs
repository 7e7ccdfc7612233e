//! Google Gemini CLI's session files (`~/.gemini/tmp/<project>/`), described in the
//! corpus-agents `FORMAT.md` §2. Three formats:
//!
//! - **JSON chat file** (`chats/session-…-<8hex>.json`, a document: [`decode_document`]):
//!   `{sessionId, projectHash, startTime, lastUpdated, messages[], kind?, summary?, …}`,
//!   pretty-printed, rewritten whole as the session grows.
//! - **JSONL chat file** (`chats/session-…-<8hex>.jsonl`, 2026-04 on: [`Decoder`]): a header
//!   line `{sessionId, projectHash, startTime, lastUpdated, kind}`, then one message per line,
//!   and `{"$set": {…}}` lines that update the header (no event).
//! - **`logs.json`** (a document, read by [`decode_document`] too): an array of
//!   `{sessionId, messageId, type: "user", message, timestamp}`: the prompts typed, no model
//!   output, no usage.
//!
//! ## Messages → events
//!
//! - `user`: a [`EventKind::UserPrompt`] of its text (a string, or the text parts of a list
//!   joined with newlines); the `displayContent` instead when written (what was typed, before
//!   the CLI expanded a slash command). Text the CLI injects (`<session_context>…`, "User has
//!   manually exited Plan Mode…", a subagent's "You have exceeded the maximum number of
//!   turns…") is [`EventKind::UserMeta`]. A message whose parts are only `functionResponse`s
//!   is a tool result written again (2026-06): no prompt, a [`EventKind::ToolResult`] per part
//!   (the same call ids as the `toolCalls[]` results, so the correlator counts each once).
//!   `inlineData` parts are [`EventKind::Image`]s.
//! - `gemini`: a [`EventKind::Thinking`] per `thoughts[]` entry (`**subject**\n\ndescription`,
//!   at the thought's own time), an [`EventKind::AssistantText`] of a non-blank `content`, a
//!   [`EventKind::ToolCall`] per `toolCalls[]` entry (at the message's time, `args` as
//!   written), a [`EventKind::Usage`] of its `tokens`, then a [`EventKind::ToolResult`] per
//!   finished call (at the call's `timestamp`, when it finished; the `functionResponse`'s
//!   `output`, or its `error`; `is_error` for status `error`/`cancelled` or an `error`).
//! - `info`: "Request cancelled." is an [`EventKind::Interrupt`]; anything else (update
//!   notices, workspace lists) a [`EventKind::System`] with subtype and level `info`.
//! - `error`: `[API Error: …]` is a fatal [`EventKind::ApiError`] (its `"code"` the status);
//!   the CLI's own failures (a failed update or `/export-session`) are a
//!   [`EventKind::System`] with subtype and level `error`, so API error counts stay API errors.
//! - Another `type`: [`EventKind::Unknown`]. A main session's `summary` is a
//!   [`EventKind::Title`] (source `ai`); a subagent's is its answer, already in the parent's
//!   tool result: no event.
//!
//! ## Usage
//!
//! `tokens{input, output, cached, thoughts, tool, total}` is one API response's (not
//! cumulative; `total == input + output + thoughts` in every message of the corpus).
//! `input` includes `cached`: [`crate::Tokens`] `input = input − cached (+ tool)`,
//! `cache_read = cached`, `output = output + thoughts` (thinking included, as Claude's output
//! is), `reasoning = thoughts`; the price factors' whole prompt is `input (+ tool)`. The usage
//! event's `message_id` is the message's `id`, so a response read twice (a JSONL message
//! appended again, the same file read twice) counts once.
//!
//! ## Identity
//!
//! Events carry no `uuid`: the correlator drops every event of a line whose `uuid` it has seen,
//! and a JSONL `gemini` message is appended again with the same `id` once its tool calls
//! finish, carrying the calls. The [`Decoder`] remembers the ids of its input: a message seen
//! before yields only its usage (counted once by its `message_id`) and its tool calls and
//! results (counted once by their ids). A document is one "line" to the correlator, so a uuid
//! there would drop a whole file for one repeated message. A JSON chat read again as the CLI
//! rewrites it (a message gains its `toolCalls`, their results and its `tokens` after it was
//! first written) brings those: calls and results count once by their ids, the usage once by
//! the message id with a grown count passing as an increment; the other events are known by
//! their place in the document (see [`crate::pipeline`]). Two files with the same `sessionId`
//! exist (FORMAT.md §2.1): nothing here assumes one file per session.
//!
//! ## Sessions and subagents
//!
//! `session_id` is the file's `sessionId` (the header's, in JSONL). A subagent's file
//! (`kind: "subagent"`, in `chats/<parent-session-uuid>/<6-char id>.json`) is a sidechain:
//! `agent_id` is its `sessionId`, `session_id` its parent's, told by the folder it is in (or,
//! in a flattened copy whose name writes the folders with `__`, the part before the file's own
//! name); when neither is a UUID (`chats/skill-extraction-<8hex>/…`) the subagent is its own
//! session. A file without `kind` (cut before it, or older) in a UUID-named folder is taken for
//! a subagent's too. `cwd` is the project path in the project folder's `.project_root`
//! ([`project_root`]), else a subagent's `directories[0]`; main files name no directory (the
//! reports give such a file's usage its session's project, when its subagents name one). The
//! CLI's version is not written ([`cli_version`] reads the one an update notice names).
//!
//! ## Where
//!
//! A document's events are placed at the line and byte offset where their message's object
//! starts (the top level is read by hand, each message with serde, so this is exact and costs
//! a newline count). A message that is not valid JSON is skipped when the next one can be
//! found (the next line with the messages' indentation that holds a whole message, in its
//! place: see [`document`]; an extra closing bracket that closes a message early damages that
//! message only): one `invalid_json` [`EventKind::Malformed`] event, placed at the damage
//! itself (its line and byte offset), says which bytes were lost, and the messages after it
//! are read. Stray bytes between two messages are skipped the same way, both messages read
//! (`recovered: true`). A message that is JSON but not of a message's shape is reported
//! (`unexpected_shape`) where serde found the problem in it. A document cut off, or
//! broken where nothing after can be found, yields the messages before the damage and one
//! `Malformed` event (`truncated` when the text ends early, `invalid_json` otherwise) at the
//! line and offset of the damage, saying how many bytes from there were lost. Invalid UTF-8 is
//! read with U+FFFD (one recovered event on the line of the first bad byte); offsets stay the
//! file's ([`super::utf8`]).

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::ControlFlow;

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::malformed;
#[cfg(doc)]
use crate::event::EventKind;
use crate::event::{Agent, Event, MalformedReason, Source};
use crate::source::lines::Line;

pub mod decode;
pub mod document;
pub mod record;

use decode::Context;
use record::{string_of, LogEntry, Message};

/// Decodes a gathered JSON document: a chat file (an object with `messages`) or `logs.json`
/// (an array), told by its shape. `line` and `offset` are where the document starts in its
/// input. A JSONL chat file forced here (`--format gemini`) is read line by line instead.
pub fn decode_document<F>(
    file: &str,
    text: &[u8],
    line: u64,
    offset: u64,
    emit: &mut F,
) -> ControlFlow<()>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    let doc_source = Source { file, line, offset };
    let len = text.len() as u64;
    if is_jsonl(text) {
        // Not a chat document: a JSONL chat file read as one (a forced format), line by line
        // from its own bytes (each line's invalid UTF-8 reported by the line decoder).
        return decode_lines(file, text, line, offset, emit);
    }
    let doc = super::utf8::document_text(Agent::GeminiCli, file, text, line, offset, emit)?;
    // Byte offset in the input of a position in the text.
    let at_input = |pos: usize| offset + doc.input_offset(pos);
    let text: &str = &doc.text;
    let top = document::scan(text, "messages");
    let mut lines = document::LineCounter::new(text, line);
    if top.array {
        for (i, raw) in top.elements.iter().enumerate() {
            skipped_events(file, text, &top, i, &mut lines, &at_input, emit)?;
            let at = document::offset_of(text, raw);
            let source = Source {
                file,
                line: lines.line_of(at),
                offset: at_input(at),
            };
            match serde_json::from_str::<LogEntry<'_>>(raw.get()) {
                Ok(entry) => decode::log_events(source, entry, emit)?,
                Err(e) => emit(shape_error(
                    source,
                    &e,
                    (raw.get(), at),
                    &at_input,
                    "a logs.json entry",
                ))?,
            }
        }
    } else if top.has_array {
        let header = header_of(&top.members);
        let parent = parent_session(file);
        let subagent = match header.kind.as_deref() {
            Some(kind) => kind == "subagent",
            None => parent.is_some() && !looks_like_uuid(header.session_id.as_deref()),
        };
        let root = project_root(file);
        let cwd = root.as_deref().or(header.directory.as_deref());
        let ctx = if subagent {
            Context {
                session_id: parent.or(header.session_id.as_deref()),
                agent_id: header.session_id.as_deref(),
                sidechain: true,
                cwd,
            }
        } else {
            Context {
                session_id: header.session_id.as_deref(),
                cwd,
                ..Context::default()
            }
        };
        for (i, raw) in top.elements.iter().enumerate() {
            skipped_events(file, text, &top, i, &mut lines, &at_input, emit)?;
            let at = document::offset_of(text, raw);
            let source = Source {
                file,
                line: lines.line_of(at),
                offset: at_input(at),
            };
            match serde_json::from_str::<Message<'_>>(raw.get()) {
                Ok(msg) => {
                    if msg.tokens.is_some_and(|t| t.refused()) {
                        refused_said(source, raw.get(), at_input(at), emit)?;
                    }
                    decode::message_events(&ctx, source, msg, false, emit)?
                }
                Err(e) => emit(shape_error(
                    source,
                    &e,
                    (raw.get(), at),
                    &at_input,
                    "a chat message",
                ))?,
            }
        }
        if let (false, Some(summary)) = (subagent, header.summary) {
            let at = document::offset_of(text, summary);
            let source = Source {
                file,
                line: line + memchr::memchr_iter(b'\n', &text.as_bytes()[..at]).count() as u64,
                offset: at_input(at),
            };
            if let Some(event) = decode::title_event(&ctx, source, summary) {
                emit(event)?;
            }
        }
    } else if top.error.is_none() {
        return emit(malformed(
            Agent::GeminiCli,
            doc_source,
            MalformedReason::UnexpectedShape,
            "a JSON object without `messages`: not a Gemini CLI chat file".to_owned(),
            offset,
            len,
            false,
        ));
    }
    if let Some(e) = &top.error {
        let at = at_input(e.offset);
        let source = Source {
            file,
            line: lines.line_of(e.offset),
            offset: at,
        };
        let (reason, what) = if e.eof {
            (
                MalformedReason::Truncated,
                "the JSON document ends early (cut off, or still being written)",
            )
        } else {
            (MalformedReason::InvalidJson, "invalid JSON in the document")
        };
        let read = Noun::of(&top).whole(top.elements.len());
        let lost = len.saturating_sub(at - offset);
        return emit(malformed(
            Agent::GeminiCli,
            source,
            reason,
            format!(
                "{what}: {}; the {read} before it were read, the rest of the document ({lost} bytes from here) is lost",
                e.message,
            ),
            at,
            len,
            // What follows the damage is lost (the messages before it were whole, not
            // recovered from it).
            false,
        ));
    }
    ControlFlow::Continue(())
}

/// What the elements of a document are called in messages: a chat's messages, a
/// `logs.json`'s entries.
struct Noun {
    one: &'static str,
    many: &'static str,
}

impl Noun {
    fn of(top: &document::TopLevel<'_>) -> Noun {
        if top.array {
            Noun {
                one: "entry",
                many: "entries",
            }
        } else {
            Noun {
                one: "message",
                many: "messages",
            }
        }
    }

    /// `n` whole elements: `1 whole message`, `3 whole entries`.
    fn whole(&self, n: usize) -> String {
        format!("{n} whole {}", if n == 1 { self.one } else { self.many })
    }
}

/// The events of the bytes skipped just before element `index` of `text`: one
/// `invalid_json` event each, placed at the damage itself (its line and byte offset), saying
/// what was lost (a damaged element: its bytes, `recovered: false`) or skipped (stray bytes
/// after a whole element, which was read: `recovered: true`) and that the reading went on.
fn skipped_events<F>(
    file: &str,
    text: &str,
    top: &document::TopLevel<'_>,
    index: usize,
    lines: &mut document::LineCounter<'_>,
    at_input: &dyn Fn(usize) -> u64,
    emit: &mut F,
) -> ControlFlow<()>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    let noun = Noun::of(top);
    for skip in top.skipped.iter().filter(|s| s.index == index) {
        let (start, end) = (at_input(skip.start), at_input(skip.end));
        // Where serde noticed, kept within the skipped bytes (an unclosed string is noticed
        // far after it), and counted from their start so that lines after them stay right.
        let damage = skip
            .error
            .offset
            .clamp(skip.start, skip.end.saturating_sub(1).max(skip.start));
        let start_line = lines.line_of(skip.start);
        let line = start_line
            + memchr::memchr_iter(b'\n', &text.as_bytes()[skip.start..damage]).count() as u64;
        let at = at_input(damage);
        let source = Source {
            file,
            line,
            offset: at,
        };
        let (one, m, len) = (noun.one, &skip.error.message, end - start);
        let message = if skip.lost {
            format!(
                "invalid JSON in {one} {n} of the document: {m}; that {one} (bytes {start}..{end}, {len} bytes) lost, the reading went on after it",
                n = skip.index + 1,
            )
        } else {
            format!(
                "invalid JSON after {one} {n} of the document: {m}; bytes {start}..{end} ({len} bytes) skipped, the {one} before them and those after read",
                n = skip.index,
            )
        };
        emit(malformed(
            Agent::GeminiCli,
            source,
            MalformedReason::InvalidJson,
            message,
            at,
            len,
            !skip.lost,
        ))?;
    }
    ControlFlow::Continue(())
}

/// Whether a gathered document is rather a JSONL chat file: more than one line, the first a
/// whole JSON object with no `messages` (a chat document's first line is `{` alone, or the
/// whole chat on one line).
fn is_jsonl(text: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        messages: Option<IgnoredAny>,
    }
    let Some(nl) = memchr::memchr(b'\n', text) else {
        return false;
    };
    let first = &text[..nl];
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    first.starts_with(b"{")
        && serde_json::from_str::<Probe>(&String::from_utf8_lossy(first))
            .is_ok_and(|p| p.messages.is_none())
}

/// A JSONL chat file's bytes read line by line (a forced document format).
fn decode_lines<F>(file: &str, text: &[u8], line: u64, offset: u64, emit: &mut F) -> ControlFlow<()>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    let mut decoder = Decoder::default();
    let mut at = 0usize;
    for (i, piece) in text.split(|&b| b == b'\n').enumerate() {
        let start = at;
        at += piece.len() + 1;
        let bytes = piece.strip_suffix(b"\r").unwrap_or(piece);
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let l = Line {
            bytes,
            number: line + i as u64,
            offset: offset + start as u64,
            terminated: at <= text.len(),
        };
        decoder.line(file, l, emit)?;
    }
    decoder.finish(file, emit)
}

/// A message (or entry) that is JSON but not of the expected shape: `raw`, at `source`. The
/// event is placed where serde found the problem in it (its line and byte offset: the end of
/// the value of the wrong type, or of the object missing a member); its `len` is the
/// message's. `at` is where `raw` starts in the document's text, `at_input` turns a place in
/// the text into a byte offset in the input.
fn shape_error<'a>(
    source: Source<'a>,
    e: &serde_json::Error,
    (raw, at): (&str, usize),
    at_input: &dyn Fn(usize) -> u64,
    what: &str,
) -> Event<'a> {
    let message = &crate::format::json_error_text(e);
    // serde's line and column (1-based, the column in bytes) from the message's start.
    let bytes = raw.as_bytes();
    let line_start = match e.line() {
        0 | 1 => 0,
        n => memchr::memchr_iter(b'\n', bytes)
            .nth(n - 2)
            .map_or(bytes.len(), |at| at + 1),
    };
    let within = (line_start + e.column().saturating_sub(1)).min(bytes.len().saturating_sub(1));
    let at = Source {
        line: source.line + e.line().saturating_sub(1) as u64,
        offset: at_input(at + within),
        ..source
    };
    let at = if e.line() == 0 { source } else { at };
    malformed(
        Agent::GeminiCli,
        at,
        MalformedReason::UnexpectedShape,
        format!("not {what}: {message}"),
        at.offset,
        raw.len() as u64,
        false,
    )
}

/// The top-level members the decoder reads.
fn header_of<'a>(
    members: &[(Cow<'a, str>, &'a serde_json::value::RawValue)],
) -> record::ChatHeader<'a> {
    let mut h = record::ChatHeader::default();
    for (name, value) in members {
        match name.as_ref() {
            "sessionId" => h.session_id = string_of(value),
            "kind" => h.kind = string_of(value),
            "summary" => h.summary = Some(*value),
            "startTime" => h.start_time = string_of(value),
            "directories" => {
                h.directory = serde_json::from_str::<Vec<&serde_json::value::RawValue>>(value.get())
                    .ok()
                    .and_then(|d| d.first().and_then(|v| string_of(v)))
            }
            _ => {}
        }
    }
    h
}

/// Whether `id` has a UUID's shape (8-4-4-4-12 hex digits).
fn looks_like_uuid(id: Option<&str>) -> bool {
    let Some(id) = id else { return false };
    let b = id.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The parent session of a subagent's file, from its path: the folder it is in
/// (`chats/<parent-uuid>/<id>.json`), or in a flattened copy (folders written as `__`) the
/// part before the file's own name; `None` when that is not a UUID.
pub fn parent_session(path: &str) -> Option<&str> {
    let mut parts = path.rsplit(['/', '\\']);
    let name = parts.next()?;
    if let Some(dir) = parts.next().filter(|d| looks_like_uuid(Some(d))) {
        return Some(dir);
    }
    let mut flat = name.rsplit("__");
    flat.next();
    flat.next().filter(|d| looks_like_uuid(Some(d)))
}

/// The project path Gemini CLI writes beside the chats of a project folder with a readable
/// name: `~/.gemini/tmp/<slug>/.project_root` (FORMAT.md §2.1; the older folders, named by
/// the path's SHA-256, have none), for a chat file at `<slug>/chats/<name>` or, a
/// subagent's, `<slug>/chats/<folder>/<name>`. The file's text without a final line break;
/// `None` when there is no such file, it is empty, over 4 KiB or not UTF-8, or `file` is not
/// a path (standard input). The one file aegon reads beside a transcript: the chats
/// themselves never name the main session's project.
pub fn project_root(file: &str) -> Option<String> {
    use std::path::Path;
    let path = Path::new(file);
    let chats = path
        .ancestors()
        .skip(1)
        .take(2)
        .find(|dir| dir.file_name().is_some_and(|n| n == "chats"))?;
    let root = chats.parent()?.join(".project_root");
    let meta = std::fs::metadata(&root).ok()?;
    if !meta.is_file() || meta.len() > 4096 {
        return None;
    }
    let text = std::fs::read_to_string(&root).ok()?;
    let text = text.trim_end_matches(['\n', '\r']);
    (!text.is_empty()).then(|| text.to_owned())
}

/// The JSONL chat file's decoder: one line at a time, remembering the header (session id,
/// kind) and the ids of the messages met (see the [module documentation](self)).
#[derive(Debug, Default)]
pub struct Decoder {
    /// The header's `sessionId`.
    session_id: Option<String>,
    /// The header's `kind` is `subagent`.
    subagent: bool,
    /// A subagent's parent session, from the path.
    parent: Option<String>,
    /// Message ids met in this input.
    seen: HashSet<Box<str>>,
    /// The project path written beside the chats ([`project_root`]).
    project: Option<String>,
}

impl Decoder {
    /// Decodes one line (a header, a message, or a `$set` update), emitting its events.
    pub fn line<F>(&mut self, file: &str, line: Line<'_>, emit: &mut F) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        let source = line.source(file);
        if line.bytes.iter().all(u8::is_ascii_whitespace) {
            return ControlFlow::Continue(());
        }
        let text = super::utf8::line_text(Agent::GeminiCli, source, line.bytes, emit)?;
        let msg: Message<'_> = match serde_json::from_str(&text) {
            Ok(msg) => msg,
            Err(e) => return emit(line_error(source, &line, &e, "a Gemini CLI record")),
        };
        if msg.set.is_some() && msg.kind.is_none() {
            return ControlFlow::Continue(());
        }
        if msg.kind.is_none() && (msg.session_id.is_some() || msg.project_hash.is_some()) {
            self.session_id = msg.session_id.map(Cow::into_owned);
            self.subagent = msg.session_kind.as_deref() == Some("subagent");
            self.parent = parent_session(file).map(str::to_owned);
            self.project = project_root(file);
            return ControlFlow::Continue(());
        }
        if msg.tokens.is_some_and(|t| t.refused()) {
            refused_said(source, &text, line.offset, emit)?;
        }
        let repeat = match msg.id.as_deref() {
            Some(id) => !self.seen.insert(Box::from(id)),
            None => false,
        };
        let ctx = if self.subagent {
            Context {
                session_id: self.parent.as_deref().or(self.session_id.as_deref()),
                agent_id: self.session_id.as_deref(),
                sidechain: true,
                cwd: self.project.as_deref(),
            }
        } else {
            Context {
                session_id: self.session_id.as_deref(),
                cwd: self.project.as_deref(),
                ..Context::default()
            }
        };
        decode::message_events(&ctx, source, msg, repeat, emit)
    }

    /// Ends the input (nothing is held back).
    pub fn finish<F>(&mut self, file: &str, emit: &mut F) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        let _ = (file, emit);
        ControlFlow::Continue(())
    }
}

/// Says the token counts of the message `text` (at `base` in the input, on `source`'s line)
/// that are not counts (read as 0), before its events: one event naming each where it is, on
/// the first one's line.
fn refused_said<F>(source: Source<'_>, text: &str, base: u64, emit: &mut F) -> ControlFlow<()>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    let found = crate::format::count::refused_counts(text, &record::TOKEN_COUNTS);
    let len = text.len() as u64;
    // In a chat file the count is lines below the message's start: said on its own line.
    let source = crate::format::count::refused_source(source, base, text, &found);
    match crate::format::count::refused_event(Agent::GeminiCli, source, base, len, &found) {
        Some(e) => emit(e),
        None => ControlFlow::Continue(()),
    }
}

/// A JSONL line that could not be read: cut off at the end of the input, not JSON, or JSON of
/// another shape (then "not `record`: …", `record` naming what the line should be, such as
/// "a Gemini CLI record"). An event of Gemini CLI: a caller of another agent sets its own.
pub(crate) fn line_error<'a>(
    source: Source<'a>,
    line: &Line<'_>,
    e: &serde_json::Error,
    record: &str,
) -> Event<'a> {
    use serde_json::error::Category;
    let len = line.bytes.len() as u64;
    let message = &crate::format::json_error_text(e);
    let column = if e.classify() == Category::Eof {
        len
    } else {
        (e.column().saturating_sub(1) as u64).min(len)
    };
    let (reason, message) = match e.classify() {
        Category::Eof if !line.terminated => (
            MalformedReason::Truncated,
            format!(
                "input ends inside this line ({message}); it was cut off or is still being written"
            ),
        ),
        Category::Syntax | Category::Eof => (
            MalformedReason::InvalidJson,
            format!("invalid JSON: {message}"),
        ),
        _ => (
            MalformedReason::UnexpectedShape,
            format!("not {record}: {message}"),
        ),
    };
    malformed(
        Agent::GeminiCli,
        source,
        reason,
        message,
        line.offset + column,
        len,
        false,
    )
}

/// What the first line of a JSONL input says, when it is Gemini CLI's.
#[derive(Deserialize)]
struct FirstLine<'a> {
    #[serde(rename = "sessionId")]
    session_id: Option<IgnoredAny>,
    #[serde(rename = "projectHash")]
    project_hash: Option<IgnoredAny>,
    messages: Option<IgnoredAny>,
    #[serde(rename = "$set")]
    set: Option<IgnoredAny>,
    id: Option<IgnoredAny>,
    uuid: Option<IgnoredAny>,
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
}

/// What Gemini CLI file a first line (a whole JSON object) begins: a JSONL chat file (its
/// header, a `$set`, or a message line with an `id`, a Gemini `type` and no `uuid`) or a JSON
/// chat file written on one line (`messages` beside `sessionId`). `None` for anything else.
pub fn sniff_line(first: &[u8]) -> Option<super::Format> {
    let line: FirstLine<'_> = serde_json::from_slice(first).ok()?;
    let header = line.session_id.is_some() && line.project_hash.is_some();
    if header && line.messages.is_some() {
        return Some(super::Format::GeminiChat);
    }
    let message = line.id.is_some()
        && line.uuid.is_none()
        && line.session_id.is_none()
        && matches!(
            line.kind.as_deref(),
            Some("gemini" | "user" | "info" | "error")
        );
    (header || line.set.is_some() || message).then_some(super::Format::GeminiJsonl)
}

/// Which Gemini CLI document has the top level `top` ([`super::super::top::probe`]): a chat
/// file (an object with `sessionId` and `projectHash` keys, or `sessionId` first, as the CLI
/// writes it: so a file cut inside its header is still told) or a `logs.json` (an array whose
/// first entry has `sessionId` and `messageId`). Keys nested deeper do not count.
pub(crate) fn document_format(top: &super::top::TopLevel) -> Option<super::Format> {
    if top.array {
        (top.session_id && top.message_id).then_some(super::Format::GeminiLogs)
    } else {
        ((top.session_id && top.project_hash) || top.session_id_first)
            .then_some(super::Format::GeminiChat)
    }
}

/// The kind of a Gemini CLI record as the format names it, for `aegon audit`: a message's
/// `type` (`user`, `gemini`, `info`, `error`), `log/<type>` for a `logs.json` entry, `$set`
/// for a JSONL metadata update, `header` for a JSONL header, `chat` for a whole JSON chat.
pub fn record_kind(value: &serde_json::Value) -> Option<String> {
    let obj = value.as_object()?;
    if obj.contains_key("$set") {
        return Some("$set".to_owned());
    }
    if let Some(t) = obj.get("type").and_then(serde_json::Value::as_str) {
        return Some(if obj.contains_key("messageId") {
            format!("log/{t}")
        } else {
            t.to_owned()
        });
    }
    if obj.contains_key("messages") {
        return Some("chat".to_owned());
    }
    (obj.contains_key("sessionId") && obj.contains_key("projectHash")).then(|| "header".to_owned())
}

/// The Gemini CLI version a record names: only an update notice does (an `info` message
/// "Gemini CLI update available! 0.29.5 → 0.30.0" names the running 0.29.5); the files
/// record no version otherwise (FORMAT.md §2.1).
pub fn cli_version(value: &serde_json::Value) -> Option<String> {
    let content = value.get("content")?.as_str()?;
    let at = content.find("update available!")? + "update available!".len();
    let version = content[at..].split_whitespace().next()?;
    version
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit())
        .then(|| version.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn record_kinds() {
        assert_eq!(
            record_kind(&json!({"id": "a", "type": "gemini", "content": ""})).as_deref(),
            Some("gemini")
        );
        assert_eq!(
            record_kind(&json!({"sessionId": 1, "messageId": 0, "type": "user"})).as_deref(),
            Some("log/user")
        );
        assert_eq!(
            record_kind(&json!({"$set": {"lastUpdated": "x"}})).as_deref(),
            Some("$set")
        );
        assert_eq!(
            record_kind(&json!({"sessionId": "s", "projectHash": "h", "kind": "main"})).as_deref(),
            Some("header")
        );
        assert_eq!(record_kind(&json!([1])), None);
    }

    #[test]
    fn cli_versions_come_from_update_notices_only() {
        let notice = json!({"type": "info", "content": "Gemini CLI update available! 0.29.5 → 0.30.0\nInstalled with npm."});
        assert_eq!(cli_version(&notice).as_deref(), Some("0.29.5"));
        assert_eq!(
            cli_version(&json!({"type": "info", "content": "Request cancelled."})),
            None
        );
    }

    #[test]
    fn parent_sessions_from_paths() {
        let uuid = "01b2c62e-cba4-4088-8755-b240504efb70";
        assert_eq!(
            parent_session(&format!("/h/.gemini/tmp/p/chats/{uuid}/ngzcxj.json")),
            Some(uuid)
        );
        assert_eq!(
            parent_session(&format!("C:\\g\\chats\\{uuid}\\ngzcxj.json")),
            Some(uuid)
        );
        assert_eq!(
            parent_session(&format!("x/a__chats__{uuid}__ngzcxj.json")),
            Some(uuid)
        );
        assert_eq!(
            parent_session("chats/skill-extraction-67084600/mrp1k5.json"),
            None
        );
        assert_eq!(
            parent_session("session-2026-04-12T01-18-01b2c62e.json"),
            None
        );
    }

    #[test]
    fn sniffing() {
        use super::super::top::probe;
        use super::super::Format;
        assert_eq!(
            sniff_line(br#"{"sessionId":"s","projectHash":"h","startTime":"t","lastUpdated":"t","kind":"main"}"#),
            Some(Format::GeminiJsonl)
        );
        assert_eq!(
            sniff_line(br#"{"sessionId":"s","projectHash":"h","messages":[]}"#),
            Some(Format::GeminiChat)
        );
        assert_eq!(
            sniff_line(br#"{"id":"x","timestamp":"t","type":"gemini","content":""}"#),
            Some(Format::GeminiJsonl)
        );
        assert_eq!(
            sniff_line(br#"{"type":"user","uuid":"u","sessionId":"s","message":{"role":"user","content":"hi"}}"#),
            None
        );
        assert_eq!(
            document_format(&probe(
                b"{\n  \"sessionId\": \"s\",\n  \"projectHash\": \"h\",\n  \"messages\": ["
            )),
            Some(Format::GeminiChat)
        );
        assert_eq!(
            document_format(&probe(
                b"[\n  {\n    \"sessionId\": 17,\n    \"messageId\": 0,"
            )),
            Some(Format::GeminiLogs)
        );
        assert_eq!(
            document_format(&probe(b"{\n  \"sessionId\": \"01b2c6")),
            Some(Format::GeminiChat),
            "cut inside the header"
        );
        assert_eq!(
            document_format(&probe(b"{\n  \"info\": {\"sessionId\": 1}")),
            None
        );
        assert_eq!(document_format(&probe(b"[]")), None);
    }
}
