//! Transcript formats: one folder per agent, each turning lines into the common [`Event`]s.
//!
//! - [`claude`]: Claude Code's JSONL transcripts (`~/.claude/projects/**/*.jsonl`).
//! - [`codex`]: OpenAI Codex CLI rollouts (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`).
//! - [`copilot`]: GitHub Copilot CLI's `events.jsonl` session logs.
//! - [`opencode`]: OpenCode's `opencode export` documents and storage files (JSON documents).
//!
//! ## Recognised by content
//!
//! Users rename files, so an input's format is told from its content, not its name: the first
//! non-blank line decides ([`Decoder`]). A line that is a whole JSON object is asked of each
//! line-oriented format in turn (the first that recognises it wins; Claude Code is the
//! fallback, so a damaged first line of a Claude transcript is still read as one). A first line
//! that opens a JSON document without closing it (`{` or `[` alone, as pretty-printed files
//! begin) or any line starting with `[` starts a **document**: the input is gathered whole, up
//! to [`MAX_DOCUMENT`] bytes, and decoded at its end by the document format that recognises it.
//! `--format NAME` ([`Format::from_name`]) skips the guess.

use std::ops::ControlFlow;

use crate::event::{Agent, Event, EventKind, Malformed, MalformedReason, Source};
use crate::source::lines::Line;

pub mod claude;
pub mod codex;
pub mod copilot;
pub mod opencode;

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
}

impl Format {
    /// Every format, in the order they are tried.
    pub const ALL: &'static [Format] = &[
        Format::Claude,
        Format::Codex,
        Format::OpenCode,
        Format::Copilot,
    ];

    /// The name `--format` takes and reports print: `claude`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Claude => "claude",
            Format::Codex => "codex",
            Format::OpenCode => "opencode",
            Format::Copilot => "copilot",
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
        }
    }

    /// Whether files of this format found in a folder are read (a format that only repeats
    /// what another holds, such as Gemini CLI's `logs.json` of prompts beside its chats, is
    /// read only when named).
    pub fn found_in_folders(self) -> bool {
        match self {
            Format::Claude | Format::Codex | Format::OpenCode | Format::Copilot => true,
        }
    }

    /// Whether a reader that goes on from where it stopped (the usage ledger) must read the
    /// file again from its start when it changes: documents (rewritten whole) and line formats
    /// whose lines depend on earlier ones (a Codex rollout names its session and model once,
    /// and counts usage cumulatively). Identities keep what was read before from counting
    /// twice.
    pub fn read_from_start(self) -> bool {
        match self {
            Format::Claude => false,
            // Session, model and version come from `session.start` and `model_change`.
            Format::Codex | Format::Copilot => true,
            Format::OpenCode => true,
        }
    }

    /// True for formats read whole as one JSON document rather than line by line.
    pub fn is_document(self) -> bool {
        match self {
            Format::Claude | Format::Codex | Format::Copilot => false,
            Format::OpenCode => true,
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
    Format::Claude
}

/// The document format of `head` (the first bytes of a JSON document, up to 64 KiB), if any
/// recognises it.
pub fn sniff_document(head: &[u8]) -> Option<Format> {
    if opencode::sniff(head) {
        return Some(Format::OpenCode);
    }
    None
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
}

/// A JSON document gathered line by line, decoded at the end of its input.
#[derive(Debug)]
struct Document {
    /// The format, when forced or told from the first line.
    format: Option<Format>,
    /// The document's bytes, lines joined with `\n` as they were.
    text: Vec<u8>,
    /// Where it started.
    line: u64,
    offset: u64,
    /// Bytes seen beyond [`MAX_DOCUMENT`] (the document is then not read).
    overflow: u64,
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
            State::Document(doc) => doc.format,
        }
    }

    /// Decodes one non-blank line, emitting its events.
    pub fn line<F>(&mut self, file: &str, line: Line<'_>, emit: &mut F) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
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
            State::Sniffing(_) => ControlFlow::Continue(()),
            State::Claude => claude::decode::decode_line(file, line, &mut *emit),
            State::Codex(decoder) => decoder.line(file, line, emit),
            State::Copilot(d) => d.line(file, line, emit),
            State::Document(doc) => {
                doc.push(line.bytes);
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
        Format::Codex => State::Codex(Box::default()),
        // Document formats never reach here (`Decoder::line` gathers them); Claude's is the
        // line format to fall back on.
        Format::Claude | Format::OpenCode => State::Claude,
        Format::Copilot => State::Copilot(copilot::Decoder::default()),
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
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        let add = bytes.len() + usize::from(!self.text.is_empty());
        if self.overflow > 0 || self.text.len() + add > MAX_DOCUMENT {
            self.overflow += add as u64;
            return;
        }
        if !self.text.is_empty() {
            self.text.push(b'\n');
        }
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
                source,
                MalformedReason::TooLong,
                format!(
                    "a JSON document of {len} bytes or more, over the {MAX_DOCUMENT}-byte limit for documents read whole; not read"
                ),
                len,
            ));
        }
        let head = &self.text[..self.text.len().min(64 << 10)];
        match self.format.or_else(|| sniff_document(head)) {
            Some(Format::OpenCode) => {
                opencode::decode_document(file, &self.text, self.line, self.offset, emit)
            }
            // No document format recognises it: not a transcript aegon knows.
            Some(Format::Claude | Format::Codex | Format::Copilot) | None => emit(malformed(
                source,
                MalformedReason::UnexpectedShape,
                "a JSON document that no known transcript format recognises (try --format)"
                    .to_owned(),
                len,
            )),
        }
    }
}

/// A [`EventKind::Malformed`] event for a whole input or document at `source`.
fn malformed(source: Source<'_>, reason: MalformedReason, message: String, len: u64) -> Event<'_> {
    Event {
        agent: Agent::default(),
        source,
        session_id: None,
        timestamp: None,
        uuid: None,
        agent_id: None,
        sidechain: false,
        cwd: None,
        git_branch: None,
        version: None,
        kind: EventKind::Malformed(Malformed {
            reason,
            message,
            error_offset: source.offset,
            len,
            recovered: false,
        }),
    }
}
