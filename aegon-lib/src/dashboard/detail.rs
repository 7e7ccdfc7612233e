//! An event's detail: its full text (tool input and output, prompt, answer, thinking), read
//! again from its line so the feed need not keep it. An event of a JSON document (a Gemini CLI
//! chat, an OpenCode export) has no line of its own, only the place of its message in the
//! document: the document is read again whole and the event found at that place.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::ops::ControlFlow;

use super::feed::{Feed, FeedItem, Origin};
use super::model::Dashboard;
use crate::event::{Event, EventKind, Kind};
use crate::json::RawJson;
use crate::pipeline::{Options, Pipeline};
use crate::render::text::{duration, inert_char, result_preview, thousands};
use crate::render::{Flow, Renderer};

/// Longest line read back for a detail (a longer one is cut, and the detail says so).
const MAX_DETAIL_LINE: u64 = 64 << 20;

/// The full text of one event, as lines ready to draw (inert), with a scroll position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    /// What it is: `CALL Bash`, `RESULT ✗ Edit`, `USER`, …
    pub title: String,
    /// The text, one entry per line, control characters made visible.
    pub lines: Vec<String>,
    /// First line shown.
    pub scroll: usize,
}

/// Reads the line that starts at byte `offset` of the file `path` (without its newline).
pub fn read_line_at(path: &str, offset: u64) -> io::Result<Vec<u8>> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut line = Vec::new();
    BufReader::new(file)
        .take(MAX_DETAIL_LINE)
        .read_until(b'\n', &mut line)?;
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    Ok(line)
}

impl Detail {
    /// The detail of `item`, its line read by `read` (for a file: [`read_line_at`]). A tool
    /// call's detail ends with its result when the feed holds it.
    pub fn load(
        dashboard: &Dashboard,
        item: &FeedItem,
        read: &dyn Fn(&Origin) -> io::Result<Vec<u8>>,
    ) -> Detail {
        let feed = dashboard.feed();
        let mut detail = Detail::of_line(feed, item, read);
        if item.kind == Kind::ToolCall {
            let result = feed.tool_use_id(item).and_then(|id| {
                feed.newest_first()
                    .find(|r| r.kind == Kind::ToolResult && feed.tool_use_id(r) == Some(id))
            });
            match result {
                Some(result) => {
                    let answer = Detail::of_line(feed, result, read);
                    detail.lines.push(String::new());
                    detail.lines.push(format!("── {} ──", answer.title));
                    detail.lines.extend(answer.lines);
                }
                None => {
                    detail.lines.push(String::new());
                    detail.lines.push("── no result yet ──".to_owned());
                }
            }
        }
        detail
    }

    /// The detail of `item` (a row of `feed`) from its line, read by `read`.
    fn of_line(
        feed: &Feed,
        item: &FeedItem,
        read: &dyn Fn(&Origin) -> io::Result<Vec<u8>>,
    ) -> Detail {
        let origin = feed.origin(item);
        let mut lines = vec![format!(
            "{}:{} (byte {})",
            origin.file, origin.line, origin.offset
        )];
        let title = title(feed, item);
        let line = match read(&origin) {
            Ok(line) => line,
            Err(e) => {
                lines.push(format!("cannot read it again: {e}"));
                return Detail::new(title, lines);
            }
        };
        let (kind, id) = (item.kind, feed.tool_use_id(item));
        let mut found = find(kind, id, &origin, &line, None);
        let mut missing = "the line there no longer holds this event (the file changed)";
        if found.is_none() {
            if let Some(in_document) = find_in_document(kind, id, &origin) {
                found = in_document;
                missing = "the document no longer holds this event there (the file changed)";
            }
        }
        match found {
            Some(text) => {
                lines.push(String::new());
                lines.extend(text);
                Detail::new(title, lines)
            }
            None => {
                lines.push(missing.to_owned());
                Detail::new(title, lines)
            }
        }
    }

    fn new(title: String, lines: Vec<String>) -> Detail {
        Detail {
            title,
            lines,
            scroll: 0,
        }
    }
}

/// The text of a row's event (of `kind`, with call id `tool_use_id`, at `origin`) among
/// those `bytes` (one line, or a whole document) give; `place`: only events at that line of
/// the input count (a document's events, each at its message's line).
fn find(
    kind: Kind,
    tool_use_id: Option<&str>,
    origin: &Origin,
    bytes: &[u8],
    place: Option<u64>,
) -> Option<Vec<String>> {
    let mut finder = Finder {
        index: origin.index,
        kind,
        tool_use_id,
        place,
        seen: 0,
        found: None,
    };
    let mut pipeline = Pipeline::new(Options::default(), &mut finder);
    let mut input = pipeline.open(&*origin.file);
    let _ = pipeline.push(&mut input, bytes);
    let _ = pipeline.close(input);
    drop(pipeline);
    finder.found
}

/// When a row's file is one JSON document ([`crate::format::sniff_document`]): its
/// event, found by reading the document whole (up to [`crate::format::MAX_DOCUMENT`] bytes)
/// among the events at the event's line, `Some(None)` when it is not there any more. `None`
/// when the file is not a document or cannot be read. (It is read from disk by the input's
/// name, also for an input the caller keeps in memory: a replay's.)
fn find_in_document(
    kind: Kind,
    tool_use_id: Option<&str>,
    origin: &Origin,
) -> Option<Option<Vec<String>>> {
    let file = File::open(&*origin.file).ok()?;
    let mut bytes = Vec::new();
    file.take(crate::format::MAX_DOCUMENT as u64)
        .read_to_end(&mut bytes)
        .ok()?;
    let head = &bytes[..bytes.len().min(crate::source::tree::SNIFF_BYTES)];
    crate::format::sniff_document(head)?;
    Some(find(kind, tool_use_id, origin, &bytes, Some(origin.line)))
}

/// A detail's title: the row's label and the start of its summary (which knows the tool's
/// name and duration: the line read alone does not).
fn title(feed: &Feed, item: &FeedItem) -> String {
    let summary: String = feed.summary(item).chars().take(80).collect();
    format!("{} {summary}", item.label())
}

/// Finds the event of a line that a feed row shows.
struct Finder<'a> {
    index: u32,
    kind: Kind,
    tool_use_id: Option<&'a str>,
    /// Only events at this line count (`None`: all).
    place: Option<u64>,
    seen: u32,
    found: Option<Vec<String>>,
}

impl Renderer for Finder<'_> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        if self.place.is_some_and(|line| event.source.line != line) {
            return Ok(ControlFlow::Continue(()));
        }
        let index = self.seen;
        self.seen += 1;
        if event.kind() != self.kind {
            return Ok(ControlFlow::Continue(()));
        }
        let id = match &event.kind {
            EventKind::ToolCall { tool_use_id, .. } | EventKind::ToolResult { tool_use_id, .. } => {
                tool_use_id.as_deref()
            }
            _ => None,
        };
        // The event's place in the line identifies it; read alone, a line can carry an event
        // the stream did not (a response's usage already counted), so the kind and call id
        // are checked too, and the first of the kind is taken when the place is off.
        let exact = index == self.index && (self.tool_use_id.is_none() || id == self.tool_use_id);
        if exact || (self.found.is_none() && id == self.tool_use_id) {
            self.found = Some(describe(event));
        }
        Ok(if exact {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        })
    }
}

/// The full text of an event.
fn describe(event: &Event<'_>) -> Vec<String> {
    let mut out = Vec::new();
    match &event.kind {
        EventKind::ToolCall {
            tool,
            tool_use_id,
            input,
            ..
        } => {
            if let Some(id) = tool_use_id {
                out.push(format!("call id: {id}"));
            }
            out.push(format!("tool: {tool}"));
            if let Some(input) = input {
                push_input(&mut out, *input);
            }
        }
        EventKind::ToolResult {
            is_error,
            content,
            duration_ms,
            tool_use_id,
            ..
        } => {
            if let Some(id) = tool_use_id {
                out.push(format!("call id: {id}"));
            }
            if let Some(ms) = duration_ms {
                out.push(format!("took {}", duration(*ms)));
            }
            out.push(String::new());
            out.push(if *is_error { "failed" } else { "succeeded" }.to_owned());
            out.push(String::new());
            if let Some(content) = content {
                push_text(&mut out, &result_preview(*content, usize::MAX));
            }
        }
        EventKind::UserPrompt { text }
        | EventKind::UserMeta { text }
        | EventKind::Interrupt { text, .. }
        | EventKind::CompactSummary { text }
        | EventKind::AssistantText { text, .. }
        | EventKind::Thinking { text, .. } => {
            push_text(&mut out, &text.to_str());
        }
        EventKind::Usage {
            tokens,
            model,
            factors,
            ..
        } => {
            out.push(format!("model: {}", model.as_deref().unwrap_or("?")));
            for (name, n) in [
                ("input", tokens.input),
                ("output", tokens.output),
                ("cache read", tokens.cache_read),
                ("cache write 5m", tokens.cache_write_5m),
                ("cache write 1h", tokens.cache_write_1h),
                ("request input", factors.prompt_tokens),
            ] {
                out.push(format!("{name:>15}: {}", thousands(n)));
            }
            if tokens.web_search > 0 {
                out.push(format!(
                    "{:>15}: {}",
                    "web searches",
                    thousands(tokens.web_search)
                ));
            }
            for (name, value) in [
                ("speed", &factors.speed),
                ("service tier", &factors.service_tier),
                ("inference geo", &factors.inference_geo),
            ] {
                if let Some(v) = value {
                    out.push(format!("{name:>15}: {v:?}"));
                }
            }
        }
        EventKind::Malformed(m) => {
            out.push(format!("byte {}: {}", m.error_offset, m.message));
        }
        other => {
            let mut text = String::new();
            crate::render::plain::push_summary(&mut text, other, usize::MAX);
            push_text(&mut out, &text);
        }
    }
    let mut head = Vec::new();
    if let Some(session) = event.session_id.as_deref() {
        let agent = event
            .agent_id
            .as_deref()
            .map(|a| format!(" › agent {a}"))
            .unwrap_or_default();
        head.push(format!("session {session}{agent}"));
    }
    if let Some(ts) = event.timestamp.as_deref() {
        head.push(format!("at {ts}"));
    }
    head.extend(out);
    head
}

/// A tool's input: each field on its own, strings as text (a command or a file's new
/// content reads as written), other values as indented JSON.
fn push_input(out: &mut Vec<String>, input: RawJson<'_>) {
    let fields: Result<serde_json::Map<String, serde_json::Value>, _> =
        serde_json::from_str(input.get());
    match fields {
        Ok(fields) => {
            for (key, value) in fields {
                match value {
                    serde_json::Value::String(s) if !s.contains('\n') => {
                        push_text(out, &format!("{key}: {s}"))
                    }
                    serde_json::Value::String(s) => {
                        out.push(format!("{key}:"));
                        push_text(out, &s);
                    }
                    other => {
                        let pretty = serde_json::to_string_pretty(&other).unwrap_or_default();
                        push_text(out, &format!("{key}: {pretty}"));
                    }
                }
            }
        }
        Err(_) => push_text(out, input.get()),
    }
}

/// Appends `text` line by line, tabs expanded and control characters made visible.
fn push_text(out: &mut Vec<String>, text: &str) {
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut shown = String::with_capacity(line.len());
        for c in line.chars() {
            if c == '\t' {
                shown.push_str("    ");
            } else {
                shown.push(inert_char(c));
            }
        }
        out.push(shown);
    }
}
