//! OpenCode's session files (corpus FORMAT.md §3): `opencode export` documents and the files of
//! its storage folder, each one JSON document read whole ([`decode_document`]).
//!
//! ## Shapes (told by their keys, [`record::Top::shape`])
//!
//! - **Export** `{info, messages: [{info, parts}]}` (v1.15.6): the session info, then each
//!   message with its parts. An export is a snapshot, rewritten whole.
//! - **Storage** (v0.5.28 `project/<p>/storage/session/{info,message,part}/…`, v1.1.44
//!   `storage/{session,message,part}/…`): one object per file, a session info (`id` = `ses_…`),
//!   a message (`msg_…`, `role`) or a part (`prt_…`, `messageID`). Each file gives its own
//!   events; the identities below make a file read twice count once.
//!
//! ## Events
//!
//! - Session info → [`EventKind::Title`] ([`TitleSource::Ai`]: OpenCode generates titles;
//!   until it has, the title is `New session - <time>`).
//! - User message text parts → [`EventKind::UserPrompt`] (what was typed), or
//!   [`EventKind::UserMeta`] for `synthetic: true` parts (added by OpenCode).
//! - Assistant `text` → [`EventKind::AssistantText`], `reasoning` → [`EventKind::Thinking`],
//!   `tool` → [`EventKind::ToolCall`] (`callID`, `tool`, `state.input` as written, stamped
//!   with `state.time.start`) and, once the call ended, [`EventKind::ToolResult`] (stamped with
//!   `state.time.end`, so the correlator's duration is the tool's own; `status: "error"` →
//!   `is_error`, content `state.error`, else `state.output`). A `task` call's result names the
//!   child session it ran (`state.metadata.sessionId`, from OpenCode's source; the child
//!   session is not in an export, FORMAT.md §3.1) in `spawned_agent_id`.
//! - `file` parts with an image type → [`EventKind::Image`]; `compaction` parts →
//!   [`EventKind::Compact`]; `step-start`, `step-finish`, `snapshot` and `patch` parts are
//!   bookkeeping and give no event of their own (a `step-finish` holds its step's tokens: see
//!   Usage); other part types → [`EventKind::Unknown`] with the type.
//! - An assistant message's `error`: `MessageAbortedError` (the user stopped it) →
//!   [`EventKind::Interrupt`] (`during_tool` when a tool part was still pending or running);
//!   any other (`APIError`, `UnknownError`, …) → [`EventKind::ApiError`] with `fatal: true`
//!   (OpenCode shows it and stops), `status` = `data.statusCode`, text = `data.message`.
//!
//! ## Usage (one [`EventKind::Usage`] per API request: per step of an assistant message)
//!
//! An assistant message is one or more steps, one API request each (a step ends when the model
//! calls tools and OpenCode sends their results back). OpenCode's session processor, on each
//! step's end, **adds** the step's cost to the message's `cost` but **overwrites** the
//! message's `tokens` with the step's, and writes the step's own `tokens` and `cost` in a
//! `step-finish` part (`session/processor.ts`, `finish-step`/`step-finish`, read in OpenCode's
//! and its forks' sources; the saved exports hold one step per message, FORMAT.md §3.1 and §6).
//! So:
//! - a message with two or more `step-finish` parts carrying `tokens` (an export's message,
//!   whose parts come with it) → one usage per step, from that part's `tokens`: the last step
//!   keyed by the message alone (`message_id` = `msg_…`, no `request_id`: as a one-step
//!   message, whose `info.tokens` are the last step's), each earlier step by the message and
//!   its part (`request_id` = `prt_…`). A refused count in a step falls back to the message.
//! - otherwise (one step, or none written, or a storage message file: its parts are files of
//!   their own, read apart from it) → the message's `info.tokens` (equal to its one
//!   `step-finish` in every saved file; the session's `info.tokens` is their sum and is not
//!   counted). **Storage layout: a multi-step message counts its last step only** (its other
//!   steps are in part files read on their own; not met in any saved file, FORMAT.md §3.3).
//!
//! The message read again, from a second export of the session or a re-read file, counts
//! once by these keys. `model` = `modelID` as written, without the
//! provider (`providerID`, e.g. `zhipuai-coding-plan`, is not carried: no event field fits it).
//! - `tokens.input` = `input`, which excludes cache reads and writes (OpenCode subtracts them:
//!   38 input vs 1.56 M cache reads on an Anthropic model, FORMAT.md §3.1);
//!   `cache_read` = `cache.read`; `cache_write_5m` = `cache.write` (OpenCode asks Anthropic
//!   for the default 5-minute cache; a 1-hour write is not told apart: an assumption).
//! - `output` and `reasoning`: OpenCode 1.x writes `output` **without** the reasoning tokens
//!   (AI SDK 6: `output = outputTokens - reasoningTokens`) and a `total` that is the provider's
//!   total; in the saved export `total` = `input + output + reasoning + cache.read +
//!   cache.write` on all 109 messages with tokens (92 with reasoning), which can only hold if
//!   `output` leaves the reasoning out. Earlier versions (AI SDK 5) wrote the provider's output
//!   count, reasoning included, and no `total`. So: when `total` equals the sum with
//!   `reasoning`, `tokens.output = output + reasoning`; when it equals the sum without it, or
//!   there is no `total` (and `reasoning` ≤ `output`), `tokens.output = output`; `reasoning` =
//!   `Some(reasoning)` either way.
//! - `factors.prompt_tokens` = input + cache reads + writes (the request's whole input).
//! - The file's own `cost` is not used: prices come from aegon's list prices.
//!
//! ## Header fields
//!
//! `session_id` = the session (`sessionID`; a child session's events carry the parent's id
//! and `agent_id` = the child's, `sidechain: true`, when its info names a `parentID`),
//! `timestamp` = the object's epoch-ms time as RFC 3339 ([`crate::timestamp::format_millis`]:
//! a part's start, else its message's creation; usage at the message's completion), `cwd` =
//! the assistant message's `path.cwd`, else the session's `directory`, `version` = the
//! session's OpenCode version.
//!
//! `uuid` (the correlator drops an event whose `uuid` was seen before, judged on the first
//! event of each line; a document's events come as one line): an export's events carry its
//! snapshot identity `<session id>@<info.time.updated>`, so the same export read twice counts
//! once while a later export of the session (which may hold new messages) is read, its
//! messages' usage still counted once by `message_id` and its tool calls once by `callID`
//! (its prompts and texts are shown again). A storage file's events carry
//! `<object id>@<its last time>` once the object is final (a session's `updated`, an
//! assistant message's `completed`, a part's `end` or tool `state.time.end`; a user message
//! or part without times: the id alone), none while it may still change.
//!
//! ## Positions
//!
//! `source.line`/`offset` of an export message's events are where its object starts (found
//! from the position of the message's raw JSON in the document); other events are at the
//! document's start. The document is gathered from its lines without blank lines or `\r`, so
//! lines and offsets are exact for a file with `\n` line ends and no blank lines (as OpenCode
//! writes them), approximate otherwise.
//!
//! ## Damage
//!
//! Invalid UTF-8 is read with U+FFFD (one recovered [`EventKind::Malformed`] on the line of the
//! first bad byte; offsets stay the file's: [`super::utf8`]); a document that is not JSON (cut
//! off: [`MalformedReason::Truncated`]) is one `Malformed` event on the line of the problem; an
//! export message that cannot be read is one `Malformed` event at the message, the others are
//! read.

pub mod record;

use std::borrow::Cow;
use std::ops::ControlFlow;

use serde_json::value::RawValue;

use crate::event::{Agent, Event, EventKind, MalformedReason, Source, TitleSource};
use crate::json::RawJson;
use crate::text::Text;
use crate::timestamp::format_millis;
use crate::tokens::{PriceFactors, Tokens};

use record::{ExportMessage, MessageError, MessageInfo, Part, Session, Shape, TokenCounts, Top};

/// Whether a JSON document whose top level is `top` ([`super::top::probe`]) is an OpenCode
/// object: its top-level `id` is an OpenCode identifier (`ses_`, `msg_` or `prt_` and at least
/// 20 letters and digits: a storage file), or its `info`'s `id` is (an export). Keys nested
/// deeper do not count: Claude Code's `msg_01…` message ids sit inside `message`.
pub(crate) fn is_document(top: &super::top::TopLevel) -> bool {
    !top.array
        && [&top.id, &top.info_id].into_iter().any(|id| {
            id.as_deref()
                .is_some_and(|id| is_opencode_id(id.as_bytes()))
        })
}

/// Whether `bytes` hold an `"id"` member whose value is an OpenCode identifier, at any depth:
/// a quick look before a line is parsed ([`sniff_line`] then asks for it at the top level).
fn mentions_id(bytes: &[u8]) -> bool {
    memchr::memmem::find_iter(bytes, b"\"id\"").any(|at| opencode_id_at(&bytes[at + 4..]))
}

/// Whether a JSONL line (a whole JSON object) is an OpenCode object written on one line: a
/// top-level `id` that is an OpenCode identifier (a storage file), or an `info` whose `id` is
/// one (an export written compactly, as `jq -c` or a sync tool rewrites it), as
/// the document sniff tells a document; and no Claude Code `uuid`.
pub fn sniff_line(line: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Info<'a> {
        #[serde(borrow, default)]
        id: Option<Cow<'a, str>>,
    }
    #[derive(serde::Deserialize)]
    struct Probe<'a> {
        #[serde(borrow, default)]
        id: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        info: Option<Info<'a>>,
        #[serde(borrow, default)]
        uuid: Option<&'a RawValue>,
    }
    if !mentions_id(line) {
        return false;
    }
    let opencode = |id: Option<Cow<'_, str>>| id.is_some_and(|id| is_opencode_id(id.as_bytes()));
    match serde_json::from_slice::<Probe<'_>>(line) {
        Ok(p) => p.uuid.is_none() && (opencode(p.id) || opencode(p.info.and_then(|i| i.id))),
        Err(_) => false,
    }
}

/// After an `"id"` key: `: "` then an OpenCode identifier.
fn opencode_id_at(rest: &[u8]) -> bool {
    let mut i = 0;
    while rest.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    if rest.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    while rest.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    if rest.get(i) != Some(&b'"') {
        return false;
    }
    is_opencode_id(&rest[i + 1..])
}

/// `ses_`/`msg_`/`prt_` and 20 or more ASCII letters or digits (OpenCode's ids have 26).
fn is_opencode_id(s: &[u8]) -> bool {
    let prefixed = s.starts_with(b"ses_") || s.starts_with(b"msg_") || s.starts_with(b"prt_");
    prefixed && s.len() >= 24 && s[4..24].iter().all(u8::is_ascii_alphanumeric)
}

/// The kind of an OpenCode object as the format names it, for `aegon audit`: `export`,
/// `session`, `message/<role>` (a message file or an export's `{info, parts}` element),
/// `part/<type>`; `None` for a value that is none of these.
pub fn record_kind(value: &serde_json::Value) -> Option<String> {
    let obj = value.as_object()?;
    let id = obj.get("id").and_then(|v| v.as_str()).unwrap_or("");
    let str_of = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_owned);
    if obj.contains_key("messages") && obj.contains_key("info") {
        Some("export".to_owned())
    } else if obj.contains_key("parts") && obj.contains_key("info") {
        let role = str_of(obj.get("info").and_then(|i| i.get("role")));
        Some(format!("message/{}", role.as_deref().unwrap_or("?")))
    } else if id.starts_with("prt_") || (obj.contains_key("messageID") && obj.contains_key("type"))
    {
        Some(format!(
            "part/{}",
            str_of(obj.get("type")).as_deref().unwrap_or("?")
        ))
    } else if id.starts_with("msg_") || obj.contains_key("role") {
        Some(format!(
            "message/{}",
            str_of(obj.get("role")).as_deref().unwrap_or("?")
        ))
    } else if id.starts_with("ses_") {
        Some("session".to_owned())
    } else {
        None
    }
}

/// The OpenCode version an object records: an export's `info.version` or a session file's
/// `version` (messages and parts carry none).
pub fn cli_version(value: &serde_json::Value) -> Option<String> {
    let obj = value.as_object()?;
    let session = if obj.contains_key("messages") {
        obj.get("info")?
    } else {
        value
    };
    let id = session.get("id")?.as_str()?;
    if !id.starts_with("ses_") {
        return None;
    }
    session.get("version")?.as_str().map(str::to_owned)
}

/// Decodes one OpenCode JSON document (`text`, starting at `line` and byte `offset` of the
/// input `file`) and emits its events. See the [module documentation](self) for the rules.
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
    let start = Source { file, line, offset };
    let text = super::utf8::document_text(Agent::OpenCode, file, text, line, offset, emit)?;
    let doc = Doc {
        file,
        text: &text.text,
        line,
        offset,
        map: &text,
    };
    let top: Top<'_> = match serde_json::from_str(doc.text) {
        Ok(top) => top,
        Err(e) => return emit(doc.json_error(&e, doc.text, "an OpenCode document")),
    };
    let shape = top.shape();
    if shape == Some(Shape::Export) {
        return export_events(&doc, &top, emit);
    }
    // Pretty-printed: raw values passed on (tool inputs and outputs) must be on one line.
    let text = compact(doc.text);
    match shape {
        Some(Shape::Export) => ControlFlow::Continue(()),
        Some(Shape::Session) => match serde_json::from_str::<Session<'_>>(&text) {
            Ok(session) => {
                let mut header = Header::new(start, &session);
                header.uuid = final_id(session.id.as_deref(), session.time.updated);
                if session.time.refused {
                    times_said(&doc, &header, doc.text, &[""], emit)?;
                }
                session_events(&header, &session, emit)
            }
            Err(e) => emit(doc.json_error(
                &original_error::<Session<'_>>(doc.text, e),
                doc.text,
                "an OpenCode session",
            )),
        },
        Some(Shape::Message) => match serde_json::from_str::<MessageInfo<'_>>(&text) {
            Ok(info) => {
                let mut header = Header::bare(start);
                header.session_id.clone_from(&info.session_id);
                header.uuid = match info.role.as_deref() {
                    Some("assistant") => final_id(info.id.as_deref(), info.time.completed),
                    _ => info.id.clone(),
                };
                refused_said(&doc, &header, &info, doc.text, "", emit)?;
                if info.time.refused {
                    times_said(&doc, &header, doc.text, &[""], emit)?;
                }
                message_events(&header, &info, &[], emit)
            }
            Err(e) => emit(doc.json_error(
                &original_error::<MessageInfo<'_>>(doc.text, e),
                doc.text,
                "an OpenCode message",
            )),
        },
        Some(Shape::Part) => match serde_json::from_str::<Part<'_>>(&text) {
            Ok(part) => {
                let mut header = Header::bare(start);
                header.session_id.clone_from(&part.session_id);
                header.uuid = part_identity(&part);
                // A part file does not say whose message it is: assistant text and reasoning
                // parts have times, user text parts none (in every saved file).
                let role = if part.time.is_some() {
                    Role::Assistant
                } else {
                    Role::User
                };
                let context = MessageContext {
                    role,
                    message_id: part.message_id.clone(),
                    model: None,
                    created: None,
                };
                if part_times_refused(&part) {
                    times_said(&doc, &header, doc.text, &["", "state."], emit)?;
                }
                part_events(&header, &context, &part, emit)
            }
            Err(e) => emit(doc.json_error(
                &original_error::<Part<'_>>(doc.text, e),
                doc.text,
                "an OpenCode part",
            )),
        },
        None => emit(Header::bare(start).event(EventKind::Unknown {
            record_type: None,
            block_type: None,
        })),
    }
}

/// The document being decoded: its text, where it starts, and the map from positions in the
/// text to the input's offsets (they differ after invalid UTF-8 replaced).
struct Doc<'d> {
    file: &'d str,
    text: &'d str,
    line: u64,
    offset: u64,
    map: &'d super::utf8::DocumentText<'d>,
}

impl<'d> Doc<'d> {
    /// The source of the byte at `pos` of the text, counting lines from `from` (a position and
    /// its line), which is advanced.
    fn source_at(&self, pos: usize, from: &mut (usize, u64)) -> Source<'d> {
        let pos = pos.min(self.text.len()).max(from.0);
        from.1 += memchr::memchr_iter(b'\n', &self.text.as_bytes()[from.0..pos]).count() as u64;
        from.0 = pos;
        Source {
            file: self.file,
            line: from.1,
            offset: self.offset + self.map.input_offset(pos),
        }
    }

    /// Where a raw value borrowed from the text starts in it.
    fn position(&self, raw: &RawValue) -> usize {
        (raw.get().as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize)
    }

    /// Where `e`, met parsing `slice` (a part of the text, or the whole), is in the text: the
    /// position of the problem (the slice's end when it is cut off), and the start and number
    /// of its line. serde_json counts lines from 1 and columns (bytes) from 1 on the line, from
    /// the slice's start.
    fn error_place(&self, e: &serde_json::Error, slice: &str) -> (usize, usize, u64) {
        let base = self.position_of(slice);
        let rest = &self.text.as_bytes()[base..];
        let rel_line_start = if e.line() <= 1 {
            0
        } else {
            memchr::memchr_iter(b'\n', rest)
                .nth(e.line() - 2)
                .map_or(rest.len(), |nl| nl + 1)
        };
        let line_start = base + rel_line_start;
        let at = if e.classify() == serde_json::error::Category::Eof {
            // Cut off: the problem is where the slice ends.
            base + slice.len()
        } else {
            line_start + e.column().saturating_sub(1)
        };
        let before = memchr::memchr_iter(b'\n', &self.text.as_bytes()[..base]).count() as u64;
        let line = self.line + before + e.line().saturating_sub(1) as u64;
        (
            at.min(self.text.len()),
            line_start.min(self.text.len()),
            line,
        )
    }

    /// Where `slice`, borrowed from the text, starts in it (0 for a slice of another text).
    fn position_of(&self, slice: &str) -> usize {
        let at = (slice.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        if at <= self.text.len() && at + slice.len() <= self.text.len() {
            at
        } else {
            0
        }
    }

    /// The event for a JSON error met parsing `slice` (the text or a part of it, where
    /// positions are the file's): placed on the line of the problem, at its byte, its `len`
    /// the slice's.
    fn json_error(&self, e: &serde_json::Error, slice: &str, what: &str) -> Event<'d> {
        let (at, line_start, line) = self.error_place(e, slice);
        let error_offset = self.offset + self.map.input_offset(at);
        let words = super::json_error_text(e);
        let (reason, message) = match e.classify() {
            serde_json::error::Category::Eof => (
                MalformedReason::Truncated,
                format!("{what} that ends before it is complete ({words}); it was cut off or is still being written"),
            ),
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => (
                MalformedReason::InvalidJson,
                format!("invalid JSON in {what}: {words}"),
            ),
            serde_json::error::Category::Data => (
                MalformedReason::UnexpectedShape,
                format!("not {what}: {words}"),
            ),
        };
        let source = Source {
            file: self.file,
            line,
            offset: self.offset + self.map.input_offset(line_start),
        };
        super::malformed(
            Agent::OpenCode,
            source,
            reason,
            message,
            error_offset,
            slice.len() as u64,
            false,
        )
    }
}

/// The error parsing `original` as `T` meets, for `compacted`, the error its compacted copy
/// ([`compact`]) met: the same error (compacting only removes whitespace between tokens), but
/// placed in the original text, whose lines and columns are the file's.
fn original_error<'t, T: serde::Deserialize<'t>>(
    original: &'t str,
    compacted: serde_json::Error,
) -> serde_json::Error {
    serde_json::from_str::<T>(original)
        .err()
        .unwrap_or(compacted)
}

/// `json` (valid JSON) without the whitespace between its tokens, when it has line breaks:
/// events pass tool inputs and outputs on as written, and NDJSON needs them on one line.
/// Strings are kept as they are.
fn compact(json: &str) -> Cow<'_, str> {
    let bytes = json.as_bytes();
    if memchr::memchr2(b'\n', b'\r', bytes).is_none() {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(bytes.len());
    // Copied in runs between whitespace; every cut is at an ASCII byte (a char boundary).
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // Skip the string to its closing quote, escapes included.
                i += 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', &bytes[i.min(bytes.len())..]) {
                        Some(k) if bytes[i + k] == b'\\' => i += k + 2,
                        Some(k) => {
                            i += k + 1;
                            break;
                        }
                        None => {
                            i = bytes.len();
                            break;
                        }
                    }
                }
            }
            b' ' | b'\t' | b'\n' | b'\r' => {
                let Some(kept) = json.get(run..i) else {
                    return Cow::Borrowed(json);
                };
                out.push_str(kept);
                while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
                    i += 1;
                }
                run = i;
            }
            _ => i += 1,
        }
    }
    match json.get(run.min(bytes.len())..) {
        Some(rest) => out.push_str(rest),
        None => return Cow::Borrowed(json),
    }
    Cow::Owned(out)
}

/// The envelope shared by the events of one object.
#[derive(Clone)]
struct Header<'a> {
    source: Source<'a>,
    session_id: Option<Cow<'a, str>>,
    timestamp: Option<Cow<'a, str>>,
    uuid: Option<Cow<'a, str>>,
    agent_id: Option<Cow<'a, str>>,
    sidechain: bool,
    cwd: Option<Cow<'a, str>>,
    version: Option<Cow<'a, str>>,
}

impl<'a> Header<'a> {
    fn bare(source: Source<'a>) -> Self {
        Header {
            source,
            session_id: None,
            timestamp: None,
            uuid: None,
            agent_id: None,
            sidechain: false,
            cwd: None,
            version: None,
        }
    }

    /// The envelope of a session's events.
    fn new(source: Source<'a>, session: &Session<'a>) -> Self {
        let mut h = Header::bare(source);
        match &session.parent_id {
            Some(parent) => {
                h.session_id = Some(parent.clone());
                h.agent_id.clone_from(&session.id);
                h.sidechain = true;
            }
            None => h.session_id.clone_from(&session.id),
        }
        h.cwd.clone_from(&session.directory);
        h.version.clone_from(&session.version);
        h.timestamp = stamp(session.time.created);
        h
    }

    /// This envelope stamped with `ms` when known (else as it is).
    fn at(&self, ms: Option<u64>) -> Self {
        let mut h = self.clone();
        if let Some(ts) = stamp(ms) {
            h.timestamp = Some(ts);
        }
        h
    }

    fn event(&self, kind: EventKind<'a>) -> Event<'a> {
        Event {
            agent: Agent::OpenCode,
            source: self.source,
            session_id: self.session_id.clone(),
            timestamp: self.timestamp.clone(),
            uuid: self.uuid.clone(),
            agent_id: self.agent_id.clone(),
            sidechain: self.sidechain,
            copied: false,
            cwd: self.cwd.clone(),
            git_branch: None,
            version: self.version.clone(),
            kind,
        }
    }
}

/// An epoch-ms time as an RFC 3339 timestamp.
fn stamp(ms: Option<u64>) -> Option<Cow<'static, str>> {
    let ms = i64::try_from(ms?).ok()?;
    format_millis(ms).map(Cow::Owned)
}

/// `<id>@<time>` when both are known.
fn final_id<'a>(id: Option<&str>, time: Option<u64>) -> Option<Cow<'a, str>> {
    Some(Cow::Owned(format!("{}@{}", id?, time?)))
}

/// A part file's identity once the part is final (see the module documentation).
fn part_identity<'a>(part: &Part<'_>) -> Option<Cow<'a, str>> {
    let id = part.id.as_deref()?;
    match part.kind.as_deref() {
        Some("tool") => {
            let state = part.state.as_ref()?;
            match state.status.as_deref() {
                Some("completed" | "error") => final_id(Some(id), state.time.and_then(|t| t.end)),
                _ => None,
            }
        }
        Some("text" | "reasoning") => match part.time {
            None => Some(Cow::Owned(id.to_owned())),
            Some(t) => final_id(Some(id), t.end),
        },
        _ => Some(Cow::Owned(id.to_owned())),
    }
}

/// The events of an export: the session's, then each message's.
fn export_events<F>(doc: &Doc<'_>, top: &Top<'_>, emit: &mut F) -> ControlFlow<()>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    let start = Source {
        file: doc.file,
        line: doc.line,
        offset: doc.offset,
    };
    let info = top.info.map(|raw| compact(raw.get()));
    let session = match info.as_deref().map(serde_json::from_str::<Session<'_>>) {
        Some(Ok(session)) => session,
        Some(Err(e)) => {
            let raw = top.info.map_or(doc.text, |raw| raw.get());
            let e = original_error::<Session<'_>>(raw, e);
            emit(doc.json_error(&e, raw, "an OpenCode session info"))?;
            Session::default()
        }
        None => Session::default(),
    };
    let mut header = Header::new(start, &session);
    header.uuid = final_id(session.id.as_deref(), session.time.updated);
    if session.time.refused {
        times_said(doc, &header, doc.text, &["info."], emit)?;
    }
    session_events(&header, &session, emit)?;
    let mut from = (0usize, doc.line);
    for raw in top.messages.iter().flatten() {
        let source = doc.source_at(doc.position(raw), &mut from);
        let mut h = header.clone();
        h.source = source;
        let text = compact(raw.get());
        match serde_json::from_str::<ExportMessage<'_>>(&text) {
            Ok(message) => {
                refused_said(doc, &h, &message.info, raw.get(), "info.", emit)?;
                if message.info.time.refused || message.parts.iter().any(part_times_refused) {
                    let prefixes = ["info.", "parts[].", "parts[].state."];
                    times_said(doc, &h, raw.get(), &prefixes, emit)?;
                }
                message_events(&h, &message.info, &message.parts, emit)?
            }
            Err(e) => {
                // At the message's start, the problem's byte in it as its offset.
                let e = original_error::<ExportMessage<'_>>(raw.get(), e);
                let (at, _, _) = doc.error_place(&e, raw.get());
                emit(super::malformed(
                    Agent::OpenCode,
                    source,
                    if e.is_data() {
                        MalformedReason::UnexpectedShape
                    } else {
                        MalformedReason::InvalidJson
                    },
                    format!(
                        "an export message that cannot be read: {}",
                        super::json_error_text(&e)
                    ),
                    doc.offset + doc.map.input_offset(at),
                    raw.get().len() as u64,
                    false,
                ))?
            }
        }
    }
    ControlFlow::Continue(())
}

/// Says the token counts of a message that are not counts (read as 0), before its events: one
/// event naming each where it is, on the first one's line. `text` is the message's text in the
/// document, starting at `header`'s source (`prefix` the path from it to the message info:
/// `info.` in an export).
fn refused_said<F>(
    doc: &Doc<'_>,
    header: &Header<'_>,
    info: &MessageInfo<'_>,
    text: &str,
    prefix: &str,
    emit: &mut F,
) -> ControlFlow<()>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    if !info.tokens.is_some_and(|t| t.refused()) {
        return ControlFlow::Continue(());
    }
    let paths: Vec<String> = record::TOKEN_COUNTS
        .iter()
        .map(|p| format!("{prefix}tokens.{p}"))
        .collect();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    let found = crate::format::count::refused_counts(text, &paths);
    let base = doc.offset + doc.map.input_offset(doc.position_of(text));
    match crate::format::count::refused_kind(base, text.len() as u64, &found) {
        Some(kind) => {
            // Pretty-printed: the count is lines below the message's start, said on its own.
            let mut event = header.event(kind);
            event.source = crate::format::count::refused_source(event.source, base, text, &found);
            emit(event)
        }
        None => ControlFlow::Continue(()),
    }
}

/// What a refused time is said to be, after its field and value.
const NOT_A_TIME: &str = "is not a time (epoch milliseconds): not read";

/// Whether a part's or its tool state's times hold one that is not a time.
fn part_times_refused(part: &Part<'_>) -> bool {
    part.time.is_some_and(|t| t.refused)
        || part
            .state
            .as_ref()
            .and_then(|s| s.time)
            .is_some_and(|t| t.refused)
}

/// Says the times of an object that are not times (read as absent: the object's other times,
/// or its message's, stand in), before its events: one event naming each where it is, on the
/// first one's line. `text` is the object's text in the document, starting at `header`'s
/// source; `prefixes` the paths from it to each `time` object (`""`, `state.`, `parts[].`).
fn times_said<F>(
    doc: &Doc<'_>,
    header: &Header<'_>,
    text: &str,
    prefixes: &[&str],
    emit: &mut F,
) -> ControlFlow<()>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    let paths: Vec<String> = prefixes
        .iter()
        .flat_map(|p| record::TIMES.iter().map(move |t| format!("{p}time.{t}")))
        .collect();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    let found = crate::format::count::refused_counts(text, &paths);
    let base = doc.offset + doc.map.input_offset(doc.position_of(text));
    let len = text.len() as u64;
    match crate::format::count::refused_kind_saying(base, len, &found, NOT_A_TIME) {
        Some(kind) => {
            let mut event = header.event(kind);
            event.source = crate::format::count::refused_source(event.source, base, text, &found);
            emit(event)
        }
        None => ControlFlow::Continue(()),
    }
}

/// A session info's events: its title.
fn session_events<F>(header: &Header<'_>, session: &Session<'_>, emit: &mut F) -> ControlFlow<()>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    match &session.title {
        Some(title) => emit(header.event(EventKind::Title {
            title: title.clone(),
            source: TitleSource::Ai,
            leaf_uuid: None,
        })),
        None => ControlFlow::Continue(()),
    }
}

/// Whose message a part belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    User,
    Assistant,
}

/// What a part's events need to know of its message.
struct MessageContext<'a> {
    role: Role,
    message_id: Option<Cow<'a, str>>,
    model: Option<Cow<'a, str>>,
    created: Option<u64>,
}

/// A message's events: its parts', then (assistant) its error and its usage.
fn message_events<'a, F>(
    header: &Header<'a>,
    info: &MessageInfo<'a>,
    parts: &[Part<'a>],
    emit: &mut F,
) -> ControlFlow<()>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    let mut header = header.at(info.time.created);
    if info.session_id.is_some() && !header.sidechain {
        header.session_id.clone_from(&info.session_id);
    }
    if let Some(cwd) = info.path.as_ref().and_then(|p| p.cwd.clone()) {
        header.cwd = Some(cwd);
    }
    let role = match info.role.as_deref() {
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        other => {
            return emit(header.event(EventKind::Unknown {
                record_type: Some(Cow::Owned(other.unwrap_or("message").to_owned())),
                block_type: None,
            }))
        }
    };
    let context = MessageContext {
        role,
        message_id: info.id.clone(),
        model: info.model_id.clone(),
        created: info.time.created,
    };
    for part in parts {
        part_events(&header, &context, part, emit)?;
    }
    if role == Role::User {
        return ControlFlow::Continue(());
    }
    let done = header.at(info.time.completed);
    if let Some(raw) = info.error {
        let error: MessageError<'_> = serde_json::from_str(raw.get()).unwrap_or_default();
        let data = error.data.unwrap_or_default();
        let text = data.message.or_else(|| error.name.clone());
        let kind = if error.name.as_deref() == Some("MessageAbortedError") {
            let during_tool = parts.iter().any(|p| {
                p.state
                    .as_ref()
                    .is_some_and(|s| matches!(s.status.as_deref(), Some("pending" | "running")))
            });
            EventKind::Interrupt {
                text: Text::Plain(Cow::Owned(text.unwrap_or_default().into_owned())),
                during_tool,
            }
        } else {
            EventKind::ApiError {
                status: data.status_code,
                text: text.map(|t| Cow::Owned(t.into_owned())),
                retry_attempt: None,
                max_retries: None,
                retry_in_ms: None,
                fatal: true,
            }
        };
        emit(done.event(kind))?;
    }
    let steps: Vec<(&Part<'a>, TokenCounts)> = parts
        .iter()
        .filter(|p| p.kind.as_deref() == Some("step-finish"))
        .filter_map(|p| p.tokens.map(|t| (p, t)))
        .collect();
    if steps.len() >= 2 && !steps.iter().any(|(_, t)| t.refused()) {
        // Several requests: each step's own tokens (the message's are only the last's).
        let last = steps.len() - 1;
        for (i, (part, counts)) in steps.into_iter().enumerate() {
            if tokens(&counts).is_zero() {
                continue;
            }
            let request_id = (i != last).then(|| {
                part.id
                    .clone()
                    .unwrap_or_else(|| Cow::Owned(format!("step {i}")))
            });
            emit(done.event(usage(
                counts,
                info.id.clone(),
                request_id,
                info.model_id.clone(),
            )))?;
        }
        return ControlFlow::Continue(());
    }
    match info.tokens {
        Some(counts) if !tokens(&counts).is_zero() => {
            emit(done.event(usage(counts, info.id.clone(), None, info.model_id.clone())))
        }
        _ => ControlFlow::Continue(()),
    }
}

/// Whether `output` holds the reasoning tokens (see the module documentation).
pub fn output_includes_reasoning(t: &TokenCounts) -> bool {
    let (output, reasoning) = (t.output.get(), t.reasoning.get());
    let without = t
        .input
        .get()
        .saturating_add(output)
        .saturating_add(t.cache.read.get())
        .saturating_add(t.cache.write.get());
    match t.total.read() {
        Some(total) if total == without.saturating_add(reasoning) && reasoning > 0 => false,
        Some(total) if total == without => true,
        _ => reasoning <= output,
    }
}

/// An assistant message's tokens in aegon's kinds (output with the reasoning in it).
pub fn tokens(t: &TokenCounts) -> Tokens {
    let output = if output_includes_reasoning(t) {
        t.output.get()
    } else {
        t.output.get().saturating_add(t.reasoning.get())
    };
    Tokens {
        input: t.input.get(),
        output,
        cache_read: t.cache.read.get(),
        cache_write_5m: t.cache.write.get(),
        cache_write_1h: 0,
        web_search: 0,
    }
}

/// The usage of one request: `message_id` the message's, `request_id` the step's part id for
/// a step before a multi-step message's last (see the module documentation).
fn usage<'a>(
    counts: TokenCounts,
    message_id: Option<Cow<'a, str>>,
    request_id: Option<Cow<'a, str>>,
    model: Option<Cow<'a, str>>,
) -> EventKind<'a> {
    let tokens = tokens(&counts);
    EventKind::Usage {
        message_id,
        request_id,
        model,
        tokens,
        increment: false,
        factors: PriceFactors {
            prompt_tokens: tokens.total_input(),
            ..PriceFactors::default()
        },
        reasoning: Some(counts.reasoning.get()),
        unread: None,
        context: None,
        window: None,
        repriced: None,
    }
}

/// One part's events.
fn part_events<'a, F>(
    header: &Header<'a>,
    message: &MessageContext<'a>,
    part: &Part<'a>,
    emit: &mut F,
) -> ControlFlow<()>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    let times = part.time.unwrap_or_default();
    let h = header.at(times.start.or(message.created));
    let kind = part.kind.as_deref();
    match (kind, message.role) {
        (Some("text"), Role::User) => {
            let text = part.text.clone().unwrap_or_default();
            emit(h.event(if part.synthetic == Some(true) {
                EventKind::UserMeta { text }
            } else {
                EventKind::UserPrompt { text }
            }))
        }
        (Some("text"), Role::Assistant) => emit(h.event(EventKind::AssistantText {
            message_id: message.message_id.clone(),
            model: message.model.clone(),
            text: part.text.clone().unwrap_or_default(),
        })),
        (Some("reasoning"), _) => emit(h.event(EventKind::Thinking {
            message_id: message.message_id.clone(),
            text: part.text.clone().unwrap_or_default(),
            redacted: false,
        })),
        (Some("tool"), _) => tool_events(header, message, part, emit),
        (Some("step-start" | "step-finish" | "snapshot" | "patch"), _) => ControlFlow::Continue(()),
        (Some("file"), _)
            if part
                .mime
                .as_deref()
                .is_some_and(|m| m.starts_with("image/")) =>
        {
            emit(h.event(EventKind::Image {
                media_type: part.mime.clone(),
                data_len: part.url.map_or(0, |u| u.get().len() as u64),
                data: None,
            }))
        }
        (Some("compaction"), _) => emit(
            h.event(EventKind::Compact {
                trigger: part
                    .auto
                    .map(|auto| Cow::Borrowed(if auto { "auto" } else { "manual" })),
                pre_tokens: None,
                post_tokens: None,
            }),
        ),
        _ => emit(h.event(EventKind::Unknown {
            record_type: Some(Cow::Borrowed("part")),
            block_type: Some(Cow::Owned(kind.unwrap_or("?").to_owned())),
        })),
    }
}

/// A `tool` part: the call, and its result once it ended.
fn tool_events<'a, F>(
    header: &Header<'a>,
    message: &MessageContext<'a>,
    part: &Part<'a>,
    emit: &mut F,
) -> ControlFlow<()>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    let state = part.state.as_ref();
    let times = state.and_then(|s| s.time).unwrap_or_default();
    let tool = part.tool.clone().unwrap_or(Cow::Borrowed("?"));
    emit(
        header
            .at(times.start.or(message.created))
            .event(EventKind::ToolCall {
                message_id: message.message_id.clone(),
                tool_use_id: part.call_id.clone(),
                tool: tool.clone(),
                input: state.and_then(|s| s.input).map(RawJson::from),
            }),
    )?;
    let Some(state) = state else {
        return ControlFlow::Continue(());
    };
    let (is_error, content) = match state.status.as_deref() {
        Some("completed") => (false, state.output),
        Some("error") => (true, state.error),
        _ => return ControlFlow::Continue(()),
    };
    let duration_ms = match (times.start, times.end) {
        (Some(start), Some(end)) => Some(end.saturating_sub(start)),
        _ => None,
    };
    let spawned_agent_id = if tool == "task" {
        state
            .metadata
            .and_then(|m| crate::format::claude::record::member_string(m.get(), "sessionId"))
    } else {
        None
    };
    emit(
        header
            .at(times.end.or(times.start).or(message.created))
            .event(EventKind::ToolResult {
                tool_use_id: part.call_id.clone(),
                is_error,
                tool: Some(tool),
                duration_ms,
                content: content.map(RawJson::from),
                spawned_agent_id,
                raw_result: None,
            }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn record_kinds_and_versions() {
        let export = json!({"info": {"id": "ses_0922c7a27ffesprkDLUo8I7EY3", "version": "1.15.6"}, "messages": []});
        assert_eq!(record_kind(&export).as_deref(), Some("export"));
        assert_eq!(cli_version(&export).as_deref(), Some("1.15.6"));
        let session =
            json!({"id": "ses_4343439b2ffe8vCbtGr04gHePJ", "version": "0.5.28", "title": "t"});
        assert_eq!(record_kind(&session).as_deref(), Some("session"));
        assert_eq!(cli_version(&session).as_deref(), Some("0.5.28"));
        let message = json!({"id": "msg_bcbcbc65b001tpD34xyO4SSbxB", "role": "user"});
        assert_eq!(record_kind(&message).as_deref(), Some("message/user"));
        assert_eq!(cli_version(&message), None);
        let element = json!({"info": {"role": "assistant"}, "parts": []});
        assert_eq!(record_kind(&element).as_deref(), Some("message/assistant"));
        let part =
            json!({"id": "prt_bcbcbc65b002SwH1YjbLrWc4db", "type": "tool", "messageID": "m"});
        assert_eq!(record_kind(&part).as_deref(), Some("part/tool"));
        assert_eq!(record_kind(&json!({"type": "user"})), None);
        assert_eq!(record_kind(&json!([1])), None);
    }

    #[test]
    fn sniffing_knows_opencode_ids_and_not_claude_lines() {
        use super::super::top::probe;
        assert!(is_document(&probe(
            b"{\n  \"info\": {\n    \"id\": \"ses_0922c7a27ffesprkDLUo8I7EY3\","
        )));
        assert!(is_document(&probe(
            b"{\"id\":\"prt_bcbcbc65b002SwH1YjbLrWc4db\",\"type\":\"text\"}"
        )));
        assert!(!is_document(&probe(b"{\"id\": \"ses_short\"}")));
        assert!(!is_document(&probe(
            b"{\"sessionId\": \"ses_0922c7a27ffesprkDLUo8I7EY3\"}"
        )));
        // Nested ids are not the document's: a Claude Code record's message id.
        assert!(!is_document(&probe(
            br#"{"type":"assistant","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYELab"}}"#
        )));
        assert!(!is_document(&probe(
            br#"[{"id":"msg_bcbcbc65b001tpD34xyO4SSbxB","role":"user"}]"#
        )));
        // A Claude Code assistant line: its message id is nested and the line has a uuid.
        let claude = br#"{"type":"assistant","uuid":"u","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYELab","role":"assistant"}}"#;
        assert!(!sniff_line(claude));
        assert!(sniff_line(
            br#"{"id":"msg_bcbcbc65b001tpD34xyO4SSbxB","role":"user","sessionID":"s"}"#
        ));
        // An export on one line: its `info`'s id; a Claude Code line with an `info` is not.
        assert!(sniff_line(
            br#"{"info":{"id":"ses_0922c7a27ffesprkDLUo8I7EY3","title":"t"},"messages":[]}"#
        ));
        assert!(!sniff_line(
            br#"{"type":"user","uuid":"u","info":{"id":"ses_0922c7a27ffesprkDLUo8I7EY3"}}"#
        ));
        assert!(!sniff_line(br#"{"info":{"id":"ses_short"}}"#));
    }

    fn counts(total: Option<u64>, input: u64, output: u64, reasoning: u64) -> TokenCounts {
        let c = |n: u64| crate::format::Count::Read(n);
        TokenCounts {
            total: total.map_or(crate::format::Count::Absent, c),
            input: c(input),
            output: c(output),
            reasoning: c(reasoning),
            cache: record::CacheCounts {
                read: c(128),
                write: c(0),
            },
        }
    }

    #[test]
    fn output_holds_the_reasoning_as_the_total_says() {
        // The first assistant message of the w12z export: total 11783 = 10739 + 318 + 598 + 128.
        let t = counts(Some(11_783), 10_739, 318, 598);
        assert!(!output_includes_reasoning(&t));
        assert_eq!(tokens(&t).output, 916);
        // A total without the reasoning: output already holds it.
        let t = counts(Some(10_739 + 916 + 128), 10_739, 916, 598);
        assert!(output_includes_reasoning(&t));
        assert_eq!(tokens(&t).output, 916);
        // No total: output holds it unless it is smaller than the reasoning.
        assert_eq!(tokens(&counts(None, 1, 916, 598)).output, 916);
        assert_eq!(tokens(&counts(None, 1, 318, 598)).output, 916);
        assert_eq!(tokens(&counts(None, 1, 318, 598)).cache_read, 128);
    }

    #[test]
    fn compacting_keeps_strings() {
        let pretty = "{\n  \"a\": \"x \\\" \\n y\",\n  \"b\": [\n    1,\n    2\n  ]\n}";
        assert_eq!(compact(pretty), "{\"a\":\"x \\\" \\n y\",\"b\":[1,2]}");
        assert!(matches!(compact("{\"a\": 1}"), Cow::Borrowed(_)));
        // Not JSON (never passed in, but no panic): a string cut after a backslash.
        assert_eq!(compact("{\n \"a\\"), "{\"a\\");
        assert_eq!(compact("[\n \"é\" ,\n 1 ]"), "[\"é\",1]");
    }

    /// An event as `(kind, session, agent_id, sidechain, detail)`.
    type Seen = (String, Option<String>, Option<String>, bool, String);

    /// The events of a document.
    fn decode(text: &str) -> Vec<Seen> {
        let mut out = Vec::new();
        let _ = decode_document("t", text.as_bytes(), 1, 0, &mut |e: Event<'_>| {
            let detail = match &e.kind {
                EventKind::ToolResult {
                    spawned_agent_id,
                    duration_ms,
                    is_error,
                    ..
                } => format!("{spawned_agent_id:?} {duration_ms:?} {is_error}"),
                EventKind::Usage { tokens, .. } => format!("{}", tokens.output),
                _ => String::new(),
            };
            out.push((
                e.kind().as_str().to_owned(),
                e.session_id.as_deref().map(str::to_owned),
                e.agent_id.as_deref().map(str::to_owned),
                e.sidechain,
                detail,
            ));
            ControlFlow::Continue(())
        });
        out
    }

    #[test]
    fn a_task_call_names_its_child_session_and_a_child_export_is_a_sidechain() {
        // Invented, in the shapes of OpenCode's task tool (`metadata.sessionId`, its source)
        // and of child sessions (`parentID`): the saved files hold no child session.
        let parent = r#"{"info": {"id": "ses_0000000000000000000000PARENT", "title": "p",
            "time": {"created": 1, "updated": 2}},
          "messages": [{"info": {"id": "msg_00000000000000000000000001", "role": "assistant",
              "sessionID": "ses_0000000000000000000000PARENT", "modelID": "m",
              "tokens": {"input": 5, "output": 1, "reasoning": 0, "cache": {"read": 0, "write": 0}}},
            "parts": [{"type": "tool", "tool": "task", "callID": "c1", "state": {"status": "completed",
              "input": {"prompt": "x"}, "output": "done",
              "metadata": {"sessionId": "ses_00000000000000000000000CHILD"},
              "time": {"start": 1000, "end": 1500}}}]}]}"#;
        let events = decode(parent);
        assert_eq!(events[0].0, "title");
        assert_eq!(events[1].0, "tool_call");
        assert_eq!(events[2].0, "tool_result");
        assert_eq!(
            events[2].4,
            "Some(\"ses_00000000000000000000000CHILD\") Some(500) false"
        );
        assert_eq!(events[3].0, "usage");
        let child = r#"{"info": {"id": "ses_00000000000000000000000CHILD",
            "parentID": "ses_0000000000000000000000PARENT", "title": "x (@general subagent)"},
          "messages": [{"info": {"id": "msg_00000000000000000000000002", "role": "user",
              "sessionID": "ses_00000000000000000000000CHILD"},
            "parts": [{"type": "text", "text": "x"}]}]}"#;
        for (kind, session, agent, sidechain, _) in decode(child) {
            assert_eq!(
                session.as_deref(),
                Some("ses_0000000000000000000000PARENT"),
                "{kind}"
            );
            assert_eq!(agent.as_deref(), Some("ses_00000000000000000000000CHILD"));
            assert!(sidechain);
        }
    }

    /// `(message_id, request_id, input, output, cache_read)` of each usage of a document.
    fn usages(text: &str) -> Vec<(String, Option<String>, u64, u64, u64)> {
        let mut out = Vec::new();
        let _ = decode_document("t", text.as_bytes(), 1, 0, &mut |e: Event<'_>| {
            if let EventKind::Usage {
                message_id,
                request_id,
                tokens,
                ..
            } = &e.kind
            {
                out.push((
                    message_id.as_deref().unwrap_or("").to_owned(),
                    request_id.as_deref().map(str::to_owned),
                    tokens.input,
                    tokens.output,
                    tokens.cache_read,
                ));
            }
            ControlFlow::Continue(())
        });
        out
    }

    /// The first answer of the w12z export (corpus-agents/opencode/w12z__Cap__opencode-session.json,
    /// message msg_f6dd38646001R6c23L7AbcN8xd, glm-5.2): its `step-finish` and `info.tokens` as
    /// written, with `steps` step-finish parts before it (invented, in the same shape, as
    /// OpenCode writes a step that called tools: `reason: "tool-calls"`).
    fn w12z_answer(steps: &str) -> String {
        let last = r#"{"input": 10739, "output": 318, "reasoning": 598, "total": 11783,
            "cache": {"write": 0, "read": 128}}"#;
        format!(
            r#"{{"info": {{"id": "ses_0922c7a27ffesprkDLUo8I7EY3", "time": {{"created": 1, "updated": 2}}}},
          "messages": [{{"info": {{"id": "msg_f6dd38646001R6c23L7AbcN8xd", "role": "assistant",
              "sessionID": "ses_0922c7a27ffesprkDLUo8I7EY3", "modelID": "glm-5.2",
              "cost": 0, "tokens": {last}, "time": {{"created": 1, "completed": 2}}}},
            "parts": [{steps}{{"type": "step-start", "id": "prt_f6dd39a7e001CahOMCQfzmtIDg"}},
              {{"reason": "stop", "type": "step-finish", "tokens": {last}, "cost": 0,
                "id": "prt_f6dd40da8001OVc0mtYSX6mIds"}}]}}]}}"#
        )
    }

    #[test]
    fn a_multi_step_message_counts_each_step() {
        // One step (as in every saved file): the message's tokens, keyed by the message alone.
        assert_eq!(
            usages(&w12z_answer("")),
            [(
                "msg_f6dd38646001R6c23L7AbcN8xd".to_owned(),
                None,
                10_739,
                916,
                128
            )]
        );
        // Two steps: OpenCode left the message's tokens = the last step's. Each step counts:
        // step 1 input 10000, output 400 + reasoning 100 (total 10500 = 10000 + 400 + 100: the
        // output without the reasoning) = 500; step 2 as before, 318 + 598 = 916. Sum: input
        // 20739, output 1416, two requests.
        let first = r#"{"type": "step-start", "id": "prt_f6dd39a7e001CahOMCQfzmtIZ2"},
            {"reason": "tool-calls", "type": "step-finish", "id": "prt_f6dd39a7e001CahOMCQfzmtIZ1",
             "tokens": {"total": 10500, "input": 10000, "output": 400, "reasoning": 100,
               "cache": {"write": 0, "read": 0}}, "cost": 0},"#;
        let got = usages(&w12z_answer(first));
        assert_eq!(
            got,
            [
                (
                    "msg_f6dd38646001R6c23L7AbcN8xd".to_owned(),
                    Some("prt_f6dd39a7e001CahOMCQfzmtIZ1".to_owned()),
                    10_000,
                    500,
                    0
                ),
                (
                    "msg_f6dd38646001R6c23L7AbcN8xd".to_owned(),
                    None,
                    10_739,
                    916,
                    128
                ),
            ]
        );
        let (input, output): (u64, u64) = got.iter().fold((0, 0), |a, u| (a.0 + u.2, a.1 + u.3));
        assert_eq!((input, output), (20_739, 1_416));
    }

    #[test]
    fn aborted_and_failed_messages() {
        let doc = r#"{"info": {"id": "ses_00000000000000000000000000AB"},
          "messages": [{"info": {"id": "msg_00000000000000000000000003", "role": "assistant",
              "error": {"name": "MessageAbortedError", "data": {"message": "Aborted"}}},
            "parts": [{"type": "tool", "tool": "bash", "callID": "c2",
              "state": {"status": "running", "input": {}}}]},
            {"info": {"id": "msg_00000000000000000000000004", "role": "assistant",
              "error": {"name": "APIError", "data": {"message": "quota", "statusCode": 402}}},
            "parts": []}]}"#;
        let kinds: Vec<String> = decode(doc).into_iter().map(|e| e.0).collect();
        assert_eq!(kinds, ["tool_call", "interrupt", "api_error"]);
    }
}
