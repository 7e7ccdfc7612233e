//! Transcript formats: one folder per agent, each turning lines into the common [`Event`]s.
//!
//! - [`claude`]: Claude Code's JSONL transcripts (`~/.claude/projects/**/*.jsonl`).
//! - [`codex`]: OpenAI Codex CLI rollouts (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`).
//! - [`copilot`]: GitHub Copilot CLI's `events.jsonl` session logs.
//! - [`opencode`]: OpenCode's `opencode export` documents and storage files (JSON documents).
//! - [`audit`]: what `aegon audit` reports of each format (record kinds, fields never seen
//!   before, versions), with each format's hooks in one table.
//! - [`gemini`]: Gemini CLI's chat files (JSON documents and JSONL) and `logs.json`.
//! - [`qwen`]: Qwen Code's JSONL chat files.
//!
//! ## Recognised by content
//!
//! Users rename files, so an input's format is told from its content, not its name: the first
//! non-blank line decides ([`Decoder`]). A line that is a whole JSON object is asked of each
//! line-oriented format in turn (the first that recognises it wins; Claude Code is the
//! fallback, so a damaged first line of a Claude transcript is still read as one). A first line
//! that opens a JSON document without closing it (`{` or `[` alone, as pretty-printed files
//! begin) or any line starting with `[` starts a **document**: the input is gathered whole, up
//! to [`MAX_DOCUMENT`] bytes, and decoded at its end by the document format that recognises it
//! (told by its top level's keys, never by ids nested deeper: [`sniff_document`]). A first line
//! `id: <uuid>` is a Copilot CLI `workspace.yaml`, not a transcript: one event of Copilot CLI
//! says so and the rest is passed over ([`copilot::is_workspace_yaml`]).
//! `--format NAME` ([`Format::from_name`]) skips the guess.

use std::ops::ControlFlow;

use crate::event::{Agent, Event, EventKind, Malformed, MalformedReason, Source};
use crate::source::lines::Line;

pub mod audit;
pub mod claude;
pub mod codex;
pub mod copilot;
pub mod count;
pub mod gemini;
pub mod opencode;
pub mod qwen;
mod top;
pub mod utf8;

/// The largest token count read as one: 2^53, the largest integer every JSON reader holds
/// exactly (RFC 8259 §6, IEEE 754 doubles). No API response comes near it (context windows are
/// about 2^20 tokens); a count beyond it (`1e300`, `18446744073709551615`) is damage, and read
/// as a count it would price one line at trillions of dollars and poison every total, so the
/// format readers refuse it ([`count_of`]): no count (0), the line reported as partly read, as
/// a negative, fractional or non-numeric count is (see [`count`]).
pub const MAX_COUNT: u64 = 1 << 53;

pub use count::{count_of, count_of_float, Count};

/// The largest JSON document (a pretty-printed chat file, an export) read whole: 256 MiB,
/// 150 times the largest document in the corpus of other agents' files. A larger one is
/// reported as [`MalformedReason::TooLong`] and not read.
pub const MAX_DOCUMENT: usize = 256 << 20;

/// A transcript format aegon reads: what `--format` names and `aegon audit` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Claude Code's JSONL transcript: one record per line.
    Claude,
    /// OpenAI Codex CLI's JSONL rollout (envelope lines, or the legacy bare items).
    Codex,
    /// OpenCode's JSON documents: an `opencode export`, or one file of its storage folder.
    OpenCode,
    /// GitHub Copilot CLI's `events.jsonl`: one event per line.
    Copilot,
    /// Gemini CLI's JSON chat file (`chats/session-*.json`): a document.
    GeminiChat,
    /// Gemini CLI's JSONL chat file (`chats/session-*.jsonl`, 2026-04 on).
    GeminiJsonl,
    /// Gemini CLI's `logs.json`: the prompts typed, a document.
    GeminiLogs,
    /// Qwen Code's JSONL chat file.
    Qwen,
}

impl Format {
    /// Every format, in the order they are tried.
    pub const ALL: &'static [Format] = &[
        Format::Claude,
        Format::Codex,
        Format::OpenCode,
        Format::Copilot,
        Format::GeminiChat,
        Format::GeminiJsonl,
        Format::GeminiLogs,
        Format::Qwen,
    ];

    /// The name `--format` takes and reports print: `claude`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Claude => "claude",
            Format::Codex => "codex",
            Format::OpenCode => "opencode",
            Format::Copilot => "copilot",
            Format::GeminiChat => "gemini-json",
            Format::GeminiJsonl => "gemini-jsonl",
            Format::GeminiLogs => "gemini-logs",
            Format::Qwen => "qwen",
        }
    }

    /// The format named `name` ([`Format::as_str`]; an agent's name, such as `claude-code`,
    /// names its main format), or `None`.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL
            .iter()
            .copied()
            .find(|f| f.as_str() == name)
            .or_else(|| {
                let agent = Agent::from_name(name)?;
                Format::ALL.iter().copied().find(|f| f.agent() == agent)
            })
    }

    /// The agent that writes this format.
    pub fn agent(self) -> Agent {
        match self {
            Format::Claude => Agent::ClaudeCode,
            Format::Codex => Agent::Codex,
            Format::OpenCode => Agent::OpenCode,
            Format::Copilot => Agent::CopilotCli,
            Format::GeminiChat | Format::GeminiJsonl | Format::GeminiLogs => Agent::GeminiCli,
            Format::Qwen => Agent::QwenCode,
        }
    }

    /// Whether files of this format found in a folder are read (a format that only repeats
    /// what another holds, such as Gemini CLI's `logs.json` of prompts beside its chats, is
    /// read only when named).
    pub fn found_in_folders(self) -> bool {
        match self {
            Format::GeminiLogs => false,
            Format::Claude
            | Format::Codex
            | Format::OpenCode
            | Format::Copilot
            | Format::GeminiChat
            | Format::GeminiJsonl
            | Format::Qwen => true,
        }
    }

    /// Whether a reader that goes on from where it stopped (the usage ledger) must read the
    /// file again from its start when it changes: documents (rewritten whole) and line formats
    /// whose lines depend on earlier ones (a Codex rollout names its session and model once,
    /// and counts usage cumulatively). Identities keep what was read before from counting
    /// twice.
    pub fn read_from_start(self) -> bool {
        match self {
            Format::Claude | Format::Qwen => false,
            // Session, model and version come from `session.start` and `model_change`; a
            // Gemini JSONL chat's header names the session, and its messages are re-appended.
            Format::Codex | Format::Copilot | Format::GeminiJsonl => true,
            Format::OpenCode | Format::GeminiChat | Format::GeminiLogs => true,
        }
    }

    /// True for formats read whole as one JSON document rather than line by line.
    pub fn is_document(self) -> bool {
        match self {
            Format::Claude
            | Format::Codex
            | Format::Copilot
            | Format::GeminiJsonl
            | Format::Qwen => false,
            Format::OpenCode | Format::GeminiChat | Format::GeminiLogs => true,
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The line-oriented format whose files begin with `first` (the first non-blank line, a whole
/// JSON object), Claude Code's when no other recognises it.
pub fn sniff_line(first: &[u8]) -> Format {
    if codex::sniff(first) {
        return Format::Codex;
    }
    if opencode::sniff_line(first) {
        return Format::OpenCode;
    }
    if copilot::sniff_line(first) {
        return Format::Copilot;
    }
    if qwen::sniff_line(first) {
        return Format::Qwen;
    }
    gemini::sniff_line(first).unwrap_or(Format::Claude)
}

/// The document format of `doc` (the first bytes of a JSON document, up to 64 KiB, from the
/// line that opens it), judged by its top level as the document decoders read it
/// ([`top::probe`]: the keys of its top-level object, or of its array's first element), if any
/// recognises it.
fn document_format(doc: &[u8]) -> Option<Format> {
    let top = top::probe(doc);
    if opencode::is_document(&top) {
        return Some(Format::OpenCode);
    }
    gemini::document_format(&top)
}

/// The document format of an input that begins with `head` (its first bytes, up to 64 KiB),
/// judged as [`Decoder`] judges an input by its first non-blank line: a line that opens a
/// JSON document (`{` or `[` alone, or a `[` line) with the document's top level recognised
/// by a document format (an OpenCode object's own `id`, a Gemini CLI chat's `sessionId` and
/// `projectHash`, …), or a whole first line that is a document format's object written on one
/// line (an OpenCode storage file). `None` for a line-oriented input — a JSONL transcript,
/// whose lines may well hold ids that look like a document format's (Claude Code's message
/// ids `msg_01…` look like OpenCode's) — and for a document no format recognises.
pub fn sniff_document(head: &[u8]) -> Option<Format> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let mut start = 0;
    while start < head.len() {
        let end = memchr::memchr(b'\n', &head[start..]).map_or(head.len(), |n| start + n);
        let line = head[start..end].trim_ascii();
        if !line.is_empty() {
            if opens_document(line) {
                return document_format(&head[start..]);
            }
            let format = sniff_line(line);
            return format.is_document().then_some(format);
        }
        start = end + 1;
    }
    None
}

/// An input that a forced format (`--format NAME`) does not read: its first line that is JSON
/// is recognised as another agent's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Misfit {
    /// The format forced.
    pub forced: Format,
    /// The first line not understood (1-based) and the byte offset where it starts.
    pub line: u64,
    /// See `line`.
    pub offset: u64,
    /// The format the content is recognised as.
    pub looks_like: Format,
}

impl std::fmt::Display for Misfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, byte {}: --format {} does not read this input: the line is a {} record (format {}); leave out --format to tell the format from the content",
            self.line,
            self.offset,
            self.forced,
            self.looks_like.agent().as_str(),
            self.looks_like,
        )
    }
}

/// Whether `head` (an input's first bytes) is not of the `forced` format: its first line that
/// is JSON (complete in `head`; blank lines and lines that are not JSON, such as garbage or a
/// cut-off record, are passed over) is recognised as another agent's, positively (a document
/// format's or a line format's own check; for Claude Code, a record with a string `type` and a
/// `uuid`, `sessionId`, `leafUuid` or `messageId`). A line opening a JSON document (`{` or
/// `[` alone, or a `[` line) decides by the document format that recognises what follows.
/// `None` when it fits, or when nothing can be told (no JSON line in `head`, an object or a
/// document of no known agent, which the forced format reads and reports as it can): forcing
/// a format is how a file that sniffing misjudges is read. A reader that can read on when
/// `head` ends inside the deciding line uses [`fit`].
pub fn misfit(forced: Format, head: &[u8]) -> Option<Misfit> {
    match fit(forced, head, false) {
        Fit::Misfit(m) => Some(m),
        Fit::Fits | Fit::NeedMore => None,
    }
}

/// What [`fit`] tells of an input's first bytes and a forced format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// The input is read as the forced format: its first JSON line fits it, or nothing can
    /// be told (see [`misfit`]).
    Fits,
    /// Its first JSON line is another agent's.
    Misfit(Misfit),
    /// The bytes end before anything is decided (inside the first line that may be JSON, or
    /// less than 64 KiB into a document): read on, and ask again with more.
    NeedMore,
}

/// The bytes of a document's start that [`document_format`] looks at.
const DOCUMENT_HEAD: usize = 64 << 10;

/// [`misfit`]'s check on `head`, saying when it needs more bytes: the first JSON line decides
/// however long it is (a Codex rollout's first line, its session's instructions, is often
/// 9 to 22 KiB). `at_end`: `head` is the whole input, its last line ending without a newline.
pub fn fit(forced: Format, head: &[u8], at_end: bool) -> Fit {
    let mut start = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut line = 1u64;
    let looks_like = loop {
        let end = match memchr::memchr(b'\n', &head[start..]) {
            Some(end) => end,
            None if at_end && start < head.len() => head.len() - start,
            None if at_end => return Fit::Fits,
            None => return Fit::NeedMore,
        };
        let bytes = head[start..start + end].trim_ascii();
        let json = || serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok();
        if opens_document(bytes) {
            match document_format(&head[start..]) {
                Some(format) => break format,
                // Perhaps told by what comes next.
                None if (bytes.len() == 1 || json())
                    && !at_end
                    && head.len() - start < DOCUMENT_HEAD =>
                {
                    return Fit::NeedMore
                }
                // A document no format recognises: nothing to tell.
                None if bytes.len() == 1 || json() => return Fit::Fits,
                // A line of garbage that happens to start with `[`.
                None => {}
            }
        } else if !bytes.is_empty() && json() {
            match recognise_line(bytes) {
                Some(format) => break format,
                None => return Fit::Fits,
            }
        }
        start = (start + end + 1).min(head.len());
        line += 1;
    };
    if looks_like.agent() == forced.agent() {
        return Fit::Fits;
    }
    Fit::Misfit(Misfit {
        forced,
        line,
        offset: start as u64,
        looks_like,
    })
}

/// The format a JSONL line (a whole JSON object) is positively recognised as, Claude Code's
/// included (unlike [`sniff_line`], which falls back on it).
fn recognise_line(line: &[u8]) -> Option<Format> {
    #[derive(serde::Deserialize)]
    struct ClaudeProbe<'a> {
        #[serde(rename = "type", borrow, default)]
        kind: Option<std::borrow::Cow<'a, str>>,
        #[serde(default)]
        uuid: Option<serde::de::IgnoredAny>,
        #[serde(default, rename = "sessionId")]
        session_id: Option<serde::de::IgnoredAny>,
        #[serde(default, rename = "leafUuid")]
        leaf_uuid: Option<serde::de::IgnoredAny>,
        #[serde(default, rename = "messageId")]
        message_id: Option<serde::de::IgnoredAny>,
    }
    match sniff_line(line) {
        Format::Claude => {
            let p: ClaudeProbe<'_> = serde_json::from_slice(line).ok()?;
            let keyed = p.uuid.is_some()
                || p.session_id.is_some()
                || p.leaf_uuid.is_some()
                || p.message_id.is_some();
            (p.kind.is_some() && keyed).then_some(Format::Claude)
        }
        other => Some(other),
    }
}

/// Whether a first line opens a JSON document rather than holding one JSONL record: `[`
/// first, or a `{` left open on its line (pretty-printed files begin with `{` alone).
fn opens_document(line: &[u8]) -> bool {
    let trimmed = line.trim_ascii();
    match trimmed.first() {
        Some(b'[') => true,
        Some(b'{') => trimmed.len() == 1,
        _ => false,
    }
}

/// One input's decoder: which format it is, and that format's per-input state.
///
/// Created by the pipeline for each input; lines arrive in order, then [`Decoder::finish`].
#[derive(Debug)]
pub struct Decoder {
    state: State,
}

#[derive(Debug)]
enum State {
    /// Nothing but blank lines yet; the format, if forced.
    Sniffing(Option<Format>),
    /// Claude Code JSONL: stateless line by line.
    Claude,
    /// Codex rollout: session, model and cumulative usage carried across lines (boxed: the
    /// state is larger than the other variants).
    Codex(Box<codex::Decoder>),
    /// Copilot CLI JSONL: the session's facts from `session.start`.
    Copilot(copilot::Decoder),
    /// A JSON document being gathered.
    Document(Document),
    /// Gemini CLI JSONL: the header and the message ids met.
    Gemini(gemini::Decoder),
    /// Qwen Code JSONL: stateless line by line.
    Qwen(qwen::Decoder),
    /// Not a transcript (a Copilot CLI `workspace.yaml`): said once at its first line, the
    /// rest passed over.
    NotTranscript,
}

/// A JSON document gathered line by line, decoded at the end of its input.
#[derive(Debug)]
struct Document {
    /// The format, when forced or told from the first line.
    format: Option<Format>,
    /// The document's bytes, lines joined so that every byte keeps its offset and line: the
    /// line breaks as `\n`, what else lay between two lines (a `\r`, blank lines, which the
    /// pipeline does not pass on) as spaces and `\n`s. JSON reads them all as whitespace.
    text: Vec<u8>,
    /// Where it started.
    line: u64,
    offset: u64,
    /// Bytes seen beyond [`MAX_DOCUMENT`] (the document is then not read).
    overflow: u64,
    /// The last line pushed: its number and the offset just past it.
    last_line: u64,
    last_end: u64,
}

impl Decoder {
    /// A decoder that tells the format from the content, or reads `forced`.
    pub fn new(forced: Option<Format>) -> Self {
        Decoder {
            state: State::Sniffing(forced),
        }
    }

    /// The input's format, once known.
    pub fn format(&self) -> Option<Format> {
        match &self.state {
            State::Sniffing(forced) => *forced,
            State::Claude => Some(Format::Claude),
            State::Codex(_) => Some(Format::Codex),
            State::Copilot(_) => Some(Format::Copilot),
            State::Gemini(_) => Some(Format::GeminiJsonl),
            State::Qwen(_) => Some(Format::Qwen),
            State::Document(doc) => doc.format,
            State::NotTranscript => None,
        }
    }

    /// Whether lines read before the ones that count (an input followed from its end: its
    /// history) still teach the decoder something ([`crate::pipeline::Pipeline::skim`]): true
    /// while the format is unknown; for a Codex rollout, whose reading of a `token_count`
    /// depends on the ones before (an exact repeat of the previous totals is no new request;
    /// a request told only by totals is their difference from the previous ones) and on the
    /// session, model and review or fork window written before it; for Copilot CLI, whose
    /// shutdown totals cover the whole session (a later one counts what grew since the last,
    /// its output what the messages seen did not: [`copilot::Decoder::history_read`]), and
    /// whose session facts and model come first; and for a Gemini CLI JSONL chat, which writes
    /// a message again with the same id once its tool calls finish: the ids met tell the
    /// repeat, and the events of the history tell the correlator the response and calls it
    /// already holds ([`Decoder::history_line`]). False for the others: Claude Code and Qwen
    /// Code lines are read alone, and a document is read whole or not at all.
    pub fn learns_from_history(&self) -> bool {
        matches!(
            self.state,
            State::Sniffing(_) | State::Codex(_) | State::Copilot(_) | State::Gemini(_)
        )
    }

    /// Decodes `line` of the input's history ([`Decoder::learns_from_history`]): what it
    /// teaches the decoder is kept, and what it would have counted later is not (Copilot CLI:
    /// [`copilot::Decoder::history_read`]). Its events are dropped, but for those a Gemini CLI
    /// chat's later lines write again (the same message once its calls finish), handed to
    /// `learn` so that the caller's correlator knows them for met before the start, as a read
    /// from the start would: the repeat after the start then counts its calls and results,
    /// not its response a second time.
    pub fn history_line<F>(&mut self, file: &str, line: Line<'_>, learn: &mut F)
    where
        F: for<'e> FnMut(Event<'e>),
    {
        // Only a JSONL chat's decoder yields Gemini CLI events line by line (a document is
        // gathered, and decoded at its end).
        let _ = self.line(file, line, &mut |event| {
            if event.agent == Agent::GeminiCli {
                learn(event);
            }
            ControlFlow::Continue(())
        });
        if let State::Copilot(d) = &mut self.state {
            d.history_read();
        }
    }

    /// Whether the input is a JSON document being gathered whole (its format, if not forced,
    /// is known only at its end).
    pub fn is_document(&self) -> bool {
        matches!(self.state, State::Document(_))
    }

    /// The JSON document gathered so far, when the input is one (it is decoded at
    /// [`Decoder::finish`]): its bytes, lines joined with `\n`, at most [`MAX_DOCUMENT`] of them
    /// (a longer document is not read). `None` for a line-oriented input.
    pub fn document(&self) -> Option<&[u8]> {
        match &self.state {
            State::Document(doc) => Some(&doc.text),
            _ => None,
        }
    }

    /// Whether the JSON document gathered so far ends before its value does: it is cut off,
    /// as a chat file is while its agent is still writing it (Gemini CLI truncates the file,
    /// then writes it anew). False for a line-oriented input, for a whole or otherwise
    /// damaged document, and for one over [`MAX_DOCUMENT`] (it is not read anyway). Parses the
    /// document once, without keeping anything.
    pub fn document_ends_early(&self) -> bool {
        match &self.state {
            State::Document(doc) if doc.overflow == 0 => {
                serde_json::from_slice::<serde::de::IgnoredAny>(&doc.text)
                    .is_err_and(|e| e.classify() == serde_json::error::Category::Eof)
            }
            _ => false,
        }
    }

    /// Decodes one non-blank line, emitting its events.
    pub fn line<F>(&mut self, file: &str, line: Line<'_>, emit: &mut F) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        if matches!(self.state, State::Sniffing(None)) && copilot::is_workspace_yaml(line.bytes) {
            self.state = State::NotTranscript;
            return emit(copilot::workspace_event(file, &line));
        }
        if let State::Sniffing(forced) = self.state {
            self.state = match forced {
                Some(format) if format.is_document() => {
                    State::Document(Document::new(Some(format), line.number, line.offset))
                }
                Some(format) => line_state(format),
                None if opens_document(line.bytes) => {
                    State::Document(Document::new(None, line.number, line.offset))
                }
                None => {
                    let format = sniff_line(line.bytes);
                    if format.is_document() {
                        State::Document(Document::new(Some(format), line.number, line.offset))
                    } else {
                        line_state(format)
                    }
                }
            };
        }
        match &mut self.state {
            State::Sniffing(_) | State::NotTranscript => ControlFlow::Continue(()),
            State::Claude => claude::decode::decode_line(file, line, &mut *emit),
            State::Codex(decoder) => decoder.line(file, line, emit),
            State::Copilot(d) => d.line(file, line, emit),
            State::Gemini(d) => d.line(file, line, emit),
            State::Qwen(d) => d.line(file, line, emit),
            State::Document(doc) => {
                doc.push(&line);
                ControlFlow::Continue(())
            }
        }
    }

    /// Ends the input: a gathered document is decoded now.
    pub fn finish<F>(&mut self, file: &str, emit: &mut F) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        match std::mem::replace(&mut self.state, State::Sniffing(None)) {
            State::Document(doc) => doc.decode(file, emit),
            State::Codex(mut decoder) => {
                let flow = decoder.finish(file, emit);
                self.state = State::Codex(decoder);
                flow
            }
            State::Copilot(mut d) => {
                let flow = d.finish(file, emit);
                self.state = State::Copilot(d);
                flow
            }
            State::Gemini(mut d) => {
                let flow = d.finish(file, emit);
                self.state = State::Gemini(d);
                flow
            }
            other => {
                self.state = other;
                ControlFlow::Continue(())
            }
        }
    }
}

/// The state of a line-oriented format.
fn line_state(format: Format) -> State {
    match format {
        Format::Claude => State::Claude,
        Format::Codex => State::Codex(Box::default()),
        Format::Copilot => State::Copilot(copilot::Decoder::default()),
        Format::GeminiJsonl => State::Gemini(gemini::Decoder::default()),
        Format::Qwen => State::Qwen(qwen::Decoder),
        // Document formats are gathered, never decoded line by line; Claude's is the line
        // format to fall back on.
        Format::OpenCode | Format::GeminiChat | Format::GeminiLogs => State::Claude,
    }
}

impl Document {
    fn new(format: Option<Format>, line: u64, offset: u64) -> Self {
        Document {
            format,
            text: Vec::new(),
            line,
            offset,
            overflow: 0,
            last_line: 0,
            last_end: 0,
        }
    }

    fn push(&mut self, line: &Line<'_>) {
        let bytes = line.bytes;
        // What lay between the last line and this one: `\r`s and blank lines included.
        let (gap, breaks) = if self.last_line == 0 {
            (0, 0)
        } else {
            let breaks = line.number.saturating_sub(self.last_line).max(1);
            let gap = line.offset.saturating_sub(self.last_end).max(breaks);
            (gap as usize, breaks as usize)
        };
        self.last_line = line.number;
        self.last_end = line.offset + bytes.len() as u64;
        let add = bytes.len() + gap;
        if self.overflow > 0 || self.text.len() + add > MAX_DOCUMENT {
            self.overflow += add as u64;
            return;
        }
        self.text.resize(self.text.len() + gap - breaks, b' ');
        self.text.resize(self.text.len() + breaks, b'\n');
        self.text.extend_from_slice(bytes);
    }

    fn decode<F>(self, file: &str, emit: &mut F) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        let source = Source {
            file,
            line: self.line,
            offset: self.offset,
        };
        let len = self.text.len() as u64 + self.overflow;
        if self.overflow > 0 {
            return emit(malformed(
                Agent::default(),
                source,
                MalformedReason::TooLong,
                format!(
                    "a JSON document of {len} bytes or more, over the {MAX_DOCUMENT}-byte limit for documents read whole; not read"
                ),
                source.offset,
                len,
                false,
            ));
        }
        let head = &self.text[..self.text.len().min(64 << 10)];
        match self.format.or_else(|| document_format(head)) {
            Some(Format::OpenCode) => {
                opencode::decode_document(file, &self.text, self.line, self.offset, emit)
            }
            Some(Format::GeminiChat | Format::GeminiLogs | Format::GeminiJsonl) => {
                gemini::decode_document(file, &self.text, self.line, self.offset, emit)
            }
            // No document format recognises it: not a transcript aegon knows.
            Some(Format::Claude | Format::Codex | Format::Copilot | Format::Qwen) | None => {
                emit(malformed(
                    Agent::default(),
                    source,
                    MalformedReason::UnexpectedShape,
                    "a JSON document that no known transcript format recognises (try --format)"
                        .to_owned(),
                    source.offset,
                    len,
                    false,
                ))
            }
        }
    }
}

/// serde_json's words for `err` without the " at line L column C" it adds: those count lines
/// and columns inside the one JSONL line or value parsed, not in the input, and read as if
/// they were the file's beside aegon's own file, line and byte offset. Each adapter gives the
/// place as [`Malformed::error_offset`] instead, as Claude Code's decoder does.
pub(crate) fn json_error_text(err: &serde_json::Error) -> String {
    let text = err.to_string();
    if err.line() == 0 {
        return text;
    }
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    match text.strip_suffix(&suffix) {
        Some(words) => words.to_owned(),
        None => text,
    }
}

/// The input's byte offset of the problem `err` met parsing `value`, a member's value inside
/// the JSONL line `line` whose text as parsed is `text`: the line's start plus the value's
/// place in it plus serde's column (bytes, from 1, on the one line a JSONL value spans; the
/// value's end when it is cut off). The line's start when `text` is not the line's own bytes
/// (a copy with invalid UTF-8 replaced, whose places differ) or `value` is not inside it.
pub(crate) fn offset_in_line(
    line: &Line<'_>,
    text: &str,
    value: &str,
    err: &serde_json::Error,
) -> u64 {
    let own = text.as_ptr() == line.bytes.as_ptr() && text.len() == line.bytes.len();
    let at = (value.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
    if !own || at > text.len() || at + value.len() > text.len() {
        return line.offset;
    }
    let within = if err.classify() == serde_json::error::Category::Eof {
        value.len()
    } else {
        err.column().saturating_sub(1).min(value.len())
    };
    line.offset + (at + within) as u64
}

/// The [`EventKind::Malformed`] kind every adapter reports a record it could not read with:
/// `reason`, a human-readable `message`, the absolute byte offset of the problem in the input
/// (`error_offset`), the record's length in bytes (`len`) and whether events were still
/// recovered from it (`recovered`). See [`Malformed`].
pub fn malformed_kind(
    reason: MalformedReason,
    message: String,
    error_offset: u64,
    len: u64,
    recovered: bool,
) -> EventKind<'static> {
    EventKind::Malformed(Malformed {
        reason,
        message,
        error_offset,
        len,
        recovered,
    })
}

/// A [`EventKind::Malformed`] event of `agent` at `source` carrying no header (no session,
/// time or uuid): the one builder the adapters share; the fields are [`malformed_kind`]'s.
pub fn malformed(
    agent: Agent,
    source: Source<'_>,
    reason: MalformedReason,
    message: String,
    error_offset: u64,
    len: u64,
    recovered: bool,
) -> Event<'_> {
    Event {
        agent,
        source,
        session_id: None,
        timestamp: None,
        uuid: None,
        agent_id: None,
        sidechain: false,
        copied: false,
        cwd: None,
        git_branch: None,
        version: None,
        kind: malformed_kind(reason, message, error_offset, len, recovered),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_head(path: &str) -> Vec<u8> {
        let bytes = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
            .expect("fixture");
        bytes[..bytes.len().min(64 << 10)].to_vec()
    }

    /// Every file below `dir` (a fixtures folder), sorted.
    fn fixture_files(dir: &str) -> Vec<std::path::PathBuf> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut files =
            crate::source::tree::transcripts_below(&root, |p, e| panic!("{}: {e}", p.display()));
        files.sort();
        files
    }

    fn head_of(path: &std::path::Path) -> Vec<u8> {
        let bytes = std::fs::read(path).expect("fixture");
        bytes[..bytes.len().min(64 << 10)].to_vec()
    }

    #[test]
    fn claude_transcripts_are_never_sniffed_as_documents() {
        // Every real Claude Code transcript (the shared corpus, copied whole into
        // fixtures/corpus, and the fault fixtures): line-oriented, whatever ids they hold. Ten
        // of them hold assistant message ids `"id":"msg_01…"` that look like OpenCode's; the
        // look for such ids anywhere in the head took them for OpenCode documents.
        let mut files = fixture_files("../fixtures/corpus");
        files.extend(fixture_files("../fixtures/bugs"));
        assert!(files.len() > 30, "{} files", files.len());
        let mut with_message_ids = 0;
        for path in &files {
            let head = head_of(path);
            with_message_ids +=
                usize::from(memchr::memmem::find(&head, br#""id":"msg_01"#).is_some());
            assert_eq!(sniff_document(&head), None, "{}", path.display());
            // Even asked as a document (the decoder gathering a forced or `[` input), the
            // top level of a Claude record is no document format's.
            assert_eq!(document_format(&head), None, "{}", path.display());
        }
        assert!(with_message_ids >= 10, "{with_message_ids}");
    }

    #[test]
    fn real_documents_are_sniffed_and_jsonl_files_are_not() {
        let mut documents = 0;
        for agent in ["codex", "copilot", "gemini", "opencode", "qwen"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../fixtures/agents")
                .join(agent);
            let mut paths: Vec<_> = std::fs::read_dir(dir)
                .expect("fixtures")
                .map(|e| e.expect("entry").path())
                .collect();
            paths.sort();
            for path in paths {
                let name = path.to_string_lossy();
                let want = match agent {
                    _ if name.ends_with(".jsonl") || name.ends_with(".yaml") => None,
                    "opencode" => Some(Format::OpenCode),
                    _ if name.ends_with("logs.json") => Some(Format::GeminiLogs),
                    _ => Some(Format::GeminiChat),
                };
                documents += usize::from(want.is_some());
                assert_eq!(sniff_document(&head_of(&path)), want, "{name}");
            }
        }
        // 14 Gemini CLI JSON files (3 of them logs.json) and 5 OpenCode files.
        assert_eq!(documents, 19);
    }

    #[test]
    fn only_an_input_whose_first_line_opens_a_document_is_sniffed_as_one() {
        let opencode = fixture_head(
            "../fixtures/agents/opencode/Saintcyberwarrior__dotfiles__.local__share__opencode__project__global__storage__session__message__ses_4343439b2ffe8vCbtGr04gHePJ__msg_bcbcbc65b001tpD34xyO4SSbxB.json",
        );
        assert_eq!(sniff_document(&opencode), Some(Format::OpenCode));
        // The same object written on one line is a document too (the decoder says so).
        let value: serde_json::Value = serde_json::from_slice(&opencode).expect("json");
        let one_line = format!("\n{value}");
        assert_eq!(sniff_document(one_line.as_bytes()), Some(Format::OpenCode));
        // Written as the first of several JSONL lines it is still read line by line, as
        // OpenCode's one-line objects (sniff_line); a Claude record first is Claude's.
        let claude = fixture_head("../fixtures/corpus/apanloco__random__session.jsonl");
        let mut after_claude = claude.clone();
        after_claude.extend_from_slice(one_line.as_bytes());
        assert_eq!(sniff_document(&after_claude), None);
        assert_eq!(sniff_document(b""), None);
        assert_eq!(sniff_document(b"\n\n"), None);
    }

    /// Every `Malformed` event `bytes` give, read as the pipeline reads an input (its lines
    /// split at `\n`, blank ones passed over): `(agent, line, reason, message, error_offset)`.
    fn problems(bytes: &[u8]) -> Vec<(Agent, u64, MalformedReason, String, u64)> {
        let mut decoder = Decoder::new(None);
        let mut out = Vec::new();
        let mut note = |e: Event<'_>| {
            if let EventKind::Malformed(m) = e.kind {
                out.push((e.agent, e.source.line, m.reason, m.message, m.error_offset));
            }
            ControlFlow::Continue(())
        };
        let mut offset = 0;
        for (i, bytes) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
            let terminated = bytes.ends_with(b"\n");
            let line = Line {
                bytes: bytes.strip_suffix(b"\n").unwrap_or(bytes),
                number: i as u64 + 1,
                offset,
                terminated,
            };
            offset += bytes.len() as u64;
            if !line.bytes.trim_ascii().is_empty() {
                let _ = decoder.line("t", line, &mut note);
            }
        }
        let _ = decoder.finish("t", &mut note);
        out
    }

    fn agent_fixture(path: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../fixtures/agents")
                .join(path),
        )
        .expect("fixture")
    }

    /// `text` with its first `from` replaced by `to`, and the bytes `to` then spans (serde_json
    /// stops inside or just after the damaged value).
    fn damage(text: &[u8], from: &str, to: &str) -> (Vec<u8>, std::ops::RangeInclusive<u64>) {
        let at = memchr::memmem::find(text, from.as_bytes()).expect("in the fixture");
        let out = [&text[..at], to.as_bytes(), &text[at + from.len()..]].concat();
        (out, at as u64..=(at + to.len()) as u64)
    }

    /// The usage events of `bytes` read whole: how many, their tokens summed, and the number of
    /// lines reported as unreadable.
    fn usage_of(bytes: &[u8]) -> (u64, crate::tokens::Tokens, usize) {
        let mut decoder = Decoder::new(None);
        let (mut n, mut sum, mut bad) = (0, crate::tokens::Tokens::default(), 0);
        let mut note = |e: Event<'_>| {
            match e.kind {
                EventKind::Usage { tokens, .. } => {
                    n += 1;
                    sum = sum.saturating_add(tokens);
                }
                EventKind::Malformed(_) => bad += 1,
                _ => {}
            }
            ControlFlow::Continue(())
        };
        let mut offset = 0;
        for (i, bytes) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
            let line = Line {
                bytes: bytes.strip_suffix(b"\n").unwrap_or(bytes),
                number: i as u64 + 1,
                offset,
                terminated: bytes.ends_with(b"\n"),
            };
            offset += bytes.len() as u64;
            let _ = decoder.line("t", line, &mut note);
        }
        let _ = decoder.finish("t", &mut note);
        (n, sum, bad)
    }

    #[test]
    fn a_codex_request_whose_token_count_line_is_damaged_is_recovered_from_the_totals() {
        // The corpus's edgerunner rollout (173 requests by the repeat rule), its 50th counted
        // token_count line cut to 60 bytes: the next event's cumulative total still holds the
        // lost request, so the totals are those of the whole file, and the cut is reported.
        let codex = agent_fixture("codex/AkashJana18__edgerunner__codex-session.jsonl");
        let whole = usage_of(&codex);
        assert_eq!((whole.0, whole.2), (173, 0));
        let mut seen = std::collections::HashSet::new();
        let mut counted = 0;
        let mut cut = None;
        let mut at = 0;
        for line in codex.split_inclusive(|&b| b == b'\n') {
            let v: serde_json::Value = serde_json::from_slice(line).expect("json");
            let total = &v["payload"]["info"]["total_token_usage"]["total_tokens"];
            if v["payload"]["type"] == "token_count" && total.is_u64() && seen.insert(total.clone())
            {
                counted += 1;
                if counted == 50 {
                    cut = Some((at, line.len()));
                    break;
                }
            }
            at += line.len();
        }
        let (at, len) = cut.expect("a 50th request");
        let damaged = [&codex[..at + 60], b"\n", &codex[at + len..]].concat();
        assert_eq!(usage_of(&damaged), (whole.0, whole.1, 1));
        // Without the recovery one request is missing: a different line cut (a message line,
        // not a token_count) loses nothing and recovers nothing.
        let msg = memchr::memmem::find(&codex, b"\"type\":\"response_item\"").expect("item");
        let start = codex[..msg]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let end = start + memchr::memchr(b'\n', &codex[start..]).expect("line end");
        let other = [&codex[..start + 30], &codex[end..]].concat();
        assert_eq!(usage_of(&other), (whole.0, whole.1, 1));
    }

    #[test]
    fn other_agents_errors_give_the_byte_not_serdes_line_and_column() {
        // Real files of each agent, each damaged in one place; every message is free of
        // serde's " at line L column C" (inside one line or value, not the file's), and the
        // error's byte offset is the problem's place in the file.
        let copilot = agent_fixture(
            "copilot/LAF-US__IDAHO-VAULT__.copilot__session-state__252d6b6b-aaad-4790-8254-7ada091ee9fc__events.jsonl",
        );
        let (copilot, past) = damage(
            &copilot,
            "\"selectedModel\":\"claude-haiku-4.5\"",
            "\"selectedModel\":5",
        );
        let got = problems(&copilot);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(
            (got[0].0, got[0].1, got[0].2),
            (Agent::CopilotCli, 1, MalformedReason::UnexpectedShape)
        );
        assert!(past.contains(&got[0].4), "{got:?} {past:?}");
        assert_eq!(got[0].3, "`data` of a `session.start` line cannot be read: invalid type: integer `5`, expected a string");

        let codex = agent_fixture("codex/AkashJana18__edgerunner__codex-session.jsonl");
        // Cut inside its third line: the input ends there, unterminated.
        let third = memchr::memchr_iter(b'\n', &codex).nth(1).expect("lines") + 1;
        let cut = &codex[..third + 300];
        let got = problems(cut);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(
            (got[0].0, got[0].1, got[0].2),
            (Agent::Codex, 3, MalformedReason::Truncated)
        );
        assert_eq!(got[0].4, cut.len() as u64);

        let opencode = agent_fixture("opencode/w12z__Cap__opencode-session.json");
        let (opencode, past) = damage(&opencode, "\"parts\": [", "\"parts\": 5, \"x\": [");
        let got = problems(&opencode);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(
            (got[0].0, got[0].2),
            (Agent::OpenCode, MalformedReason::UnexpectedShape)
        );
        assert!(past.contains(&got[0].4), "{got:?} {past:?}");
        assert_eq!(
            got[0].3,
            "an export message that cannot be read: invalid type: integer `5`, expected a sequence"
        );

        let gemini = agent_fixture(
            "gemini/wingorithm__Vibe-Coding-Comparison-Project__.gemini__tmp__ticketing-vc__chats__session-2026-04-25T08-41-3494a697.jsonl",
        );
        let (gemini, past) = damage(&gemini, "\"type\":\"user\"", "\"type\":\"user\",x");
        let got = problems(&gemini);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(
            (got[0].0, got[0].2),
            (Agent::GeminiCli, MalformedReason::InvalidJson)
        );
        assert_eq!(got[0].3, "invalid JSON: key must be a string");
        assert!(past.contains(&got[0].4), "{got:?} {past:?}");

        // Qwen Code's lines are read by Gemini's error words, in its own name.
        let qwen = agent_fixture(
            "qwen/artas-linux__dotfiles__.qwen__projects__-home-archbtw__chats__9a578cd0-ad2c-423c-8f19-95412a2d81af.jsonl",
        );
        let (qwen, _) = damage(&qwen, "\"type\":\"system\"", "\"type\":5");
        let got = problems(&qwen);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, Agent::QwenCode);
        assert!(
            got[0]
                .3
                .starts_with("not a Qwen Code record: invalid type: integer `5`"),
            "{got:?}"
        );
        for (.., message, _) in &got {
            assert!(!message.contains(" at line "), "{message}");
        }
    }

    #[test]
    fn json_errors_lose_serde_positions_only() {
        let e =
            serde_json::from_str::<serde_json::Value>("{\"a\": 1,\n \"at line 2\"").unwrap_err();
        assert_eq!(
            e.to_string(),
            "EOF while parsing an object at line 2 column 12"
        );
        assert_eq!(json_error_text(&e), "EOF while parsing an object");
        let e = serde_json::from_str::<u8>("\"at line 1 column 1\"").unwrap_err();
        assert_eq!(
            json_error_text(&e),
            "invalid type: string \"at line 1 column 1\", expected u8"
        );
        // An error with no position keeps its words whole.
        let e = serde_json::from_value::<u8>(serde_json::json!("at line 1 column 1")).unwrap_err();
        assert_eq!(e.line(), 0);
        assert_eq!(
            json_error_text(&e),
            "invalid type: string \"at line 1 column 1\", expected u8"
        );
    }

    #[test]
    fn a_forced_format_misfits_only_another_agents_recognised_content() {
        let claude = br#"{"type":"user","sessionId":"s","uuid":"u","message":{"role":"user","content":"hi"}}"#;
        let codex = br#"{"timestamp":"t","type":"session_meta","payload":{"id":"x"}}"#;
        let with = |pre: &[u8], line: &[u8]| [pre, line, b"\n"].concat();
        let m = misfit(Format::Codex, &with(b"\n \r\n", claude)).expect("a misfit");
        assert_eq!((m.line, m.offset, m.looks_like), (3, 4, Format::Claude));
        assert_eq!(misfit(Format::Claude, &with(b"", claude)), None);
        assert_eq!(
            misfit(Format::Claude, &with(b"", codex)).map(|m| m.looks_like),
            Some(Format::Codex)
        );
        // Nothing to tell: a damaged line, an object of no known agent, a cut first line.
        assert_eq!(misfit(Format::Codex, b"{\"type\": \n"), None);
        // Lines that are not JSON are passed over: the first JSON line decides, at its place.
        let m = misfit(
            Format::Codex,
            &with(b"\x00\x00garbage\n{\"type\": \n[x\n", claude),
        );
        assert_eq!(
            m.map(|m| (m.line, m.offset, m.looks_like)),
            Some((4, 23, Format::Claude))
        );
        assert_eq!(misfit(Format::Codex, &with(b"{\"a\": 1}\n", claude)), None);
        assert_eq!(misfit(Format::Claude, &with(b"garbage\n", claude)), None);
        assert_eq!(misfit(Format::Codex, b"{\"a\": 1}\n"), None);
        assert_eq!(misfit(Format::Codex, &claude[..]), None);
        // A document of another agent; the same agent's other format fits.
        let chat =
            b"{\n  \"sessionId\": \"s\",\n  \"projectHash\": \"h\",\n  \"messages\": []\n}\n";
        assert_eq!(
            misfit(Format::OpenCode, chat).map(|m| m.looks_like),
            Some(Format::GeminiChat)
        );
        assert_eq!(misfit(Format::GeminiLogs, chat), None);
    }

    #[test]
    fn a_long_first_line_asks_for_more_and_then_decides() {
        // A Codex rollout's first line carries the session's instructions: 9 to 22 KiB in the
        // corpus of other agents' files, longer than the 8 KiB a file's first look holds.
        let instructions = "x".repeat(20 << 10);
        let codex = format!(
            r#"{{"timestamp":"t","type":"session_meta","payload":{{"id":"x","instructions":"{instructions}"}}}}"#
        );
        let input = format!("{codex}\n{{\"type\":\"x\"}}\n");
        let bytes = input.as_bytes();
        assert_eq!(fit(Format::Claude, &bytes[..8 << 10], false), Fit::NeedMore);
        assert_eq!(misfit(Format::Claude, &bytes[..8 << 10]), None);
        let Fit::Misfit(m) = fit(Format::Claude, bytes, false) else {
            panic!("not told apart")
        };
        assert_eq!((m.line, m.offset, m.looks_like), (1, 0, Format::Codex));
        assert_eq!(fit(Format::Codex, bytes, false), Fit::Fits);
        // The whole input, its only line without a newline at its end.
        assert!(matches!(
            fit(Format::Claude, codex.as_bytes(), true),
            Fit::Misfit(_)
        ));
        assert_eq!(fit(Format::Claude, codex.as_bytes(), false), Fit::NeedMore);
        assert_eq!(fit(Format::Claude, b"", true), Fit::Fits);
        assert_eq!(fit(Format::Claude, b"\n\n", true), Fit::Fits);
        // A document not yet told apart waits for 64 KiB of its start, or its end; one whose
        // first member already names it (a Gemini chat opens with `sessionId`) is decided.
        assert_eq!(fit(Format::OpenCode, b"{\n  \"id\"", false), Fit::NeedMore);
        assert!(matches!(
            fit(Format::OpenCode, b"{\n  \"sessionId\"", false),
            Fit::Misfit(Misfit {
                looks_like: Format::GeminiChat,
                ..
            })
        ));
        let chat =
            b"{\n  \"sessionId\": \"s\",\n  \"projectHash\": \"h\",\n  \"messages\": []\n}\n";
        assert!(matches!(fit(Format::OpenCode, chat, true), Fit::Misfit(_)));
    }
}
