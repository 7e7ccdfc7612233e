//! The plain renderer: one line per event, for people.
//!
//! ```text
//! 21:11:59 CALL      55604662 Bash mix phx.server 2>&1 | head -80
//! 21:12:02 RESULT    55604662 ✗ Bash 3.3s The user doesn't want to proceed with this tool use…
//! ```
//!
//! Each line has the time (UTC, as written), a kind label, the session (first 8 characters of
//! its id, with `›agent` for a subagent's lines) and a one-line summary: the first line of a
//! text, a tool's name and key argument, token counts. Colour (ANSI SGR) marks the kind and
//! success or failure; it is off unless asked for. Transcript text is made inert before it is
//! written (see [`super::text`]), so nothing in a transcript can move the cursor, change colours
//! or write the clipboard. Malformed lines are not shown here: the driver reports them on stderr.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::ops::ControlFlow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::event::{Event, EventKind};
use crate::render::text::{
    bytes, duration, push_duration, push_inert, push_inert_chars, push_inert_start,
    push_literal_preview, push_literal_start, push_thousands, result_preview_raw, str_width,
    thousands,
};
use crate::render::{Flow, Renderer};
use crate::text::Text;
use crate::timestamp::clock_part;

/// Columns a summary may take when the output is not a terminal of known width.
pub const UNBOUNDED_SUMMARY_WIDTH: usize = 240;

/// Characters of a text decoded, beyond the columns to fill, to find its first non-blank line.
const DECODED_SLACK: usize = 256;

/// Width of the kind label column.
const LABEL_WIDTH: usize = 9;

/// How the plain renderer writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlainOptions {
    /// Colour the output with ANSI escape sequences.
    pub color: bool,
    /// Cut each line to this many columns (the terminal's width); `None` when not a terminal.
    pub width: Option<usize>,
}

/// Writes one line per event to `W`. See the [module documentation](self).
#[derive(Debug)]
pub struct PlainRenderer<W: Write> {
    out: W,
    options: PlainOptions,
    line: String,
}

/// ANSI SGR styles.
mod style {
    pub const RESET: &str = "\x1b[0m";
    pub const DIM: &str = "\x1b[2m";
    pub const BOLD: &str = "\x1b[1m";
    pub const RED: &str = "\x1b[31m";
    pub const BOLD_RED: &str = "\x1b[1;31m";
    pub const GREEN: &str = "\x1b[32m";
    pub const BOLD_GREEN: &str = "\x1b[1;32m";
    pub const YELLOW: &str = "\x1b[33m";
    pub const BOLD_BLUE: &str = "\x1b[1;34m";
    pub const MAGENTA: &str = "\x1b[35m";
    pub const DIM_MAGENTA: &str = "\x1b[2;35m";
    pub const CYAN: &str = "\x1b[36m";
    pub const BOLD_CYAN: &str = "\x1b[1;36m";
}

impl<W: Write> PlainRenderer<W> {
    /// A renderer writing to `out` (wrap it in a `BufWriter` for speed).
    pub fn new(out: W, options: PlainOptions) -> Self {
        PlainRenderer {
            out,
            options,
            line: String::with_capacity(256),
        }
    }

    /// The writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> Renderer for PlainRenderer<W> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        if matches!(event.kind, EventKind::Malformed(_)) {
            return Ok(ControlFlow::Continue(()));
        }
        self.line.clear();
        let mut line = Line {
            out: &mut self.line,
            color: self.options.color,
            used: 0,
        };
        format_event(&mut line, event, self.options.width);
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())?;
        Ok(ControlFlow::Continue(()))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The kind label of an event as the plain renderer writes it (`USER`, `CALL`, `RESULT`, …).
pub fn kind_label(kind: &EventKind<'_>) -> &'static str {
    label(kind).0
}

/// Appends the one-line summary of an event (what the plain renderer writes after the session
/// column), without colour and made inert, in at most `budget` columns; returns the columns
/// used.
pub fn push_summary(out: &mut String, kind: &EventKind<'_>, budget: usize) -> usize {
    let mut line = Line {
        out,
        color: false,
        used: 0,
    };
    summary(&mut line, kind, budget);
    line.used
}

/// A line being built: tracks the columns used; styles cost none.
struct Line<'s> {
    out: &'s mut String,
    color: bool,
    used: usize,
}

impl Line<'_> {
    /// Text of ours (known to be safe), in `style`.
    fn styled(&mut self, style: &str, text: &str) {
        if self.color && !style.is_empty() {
            self.out.push_str(style);
            self.out.push_str(text);
            self.out.push_str(style::RESET);
        } else {
            self.out.push_str(text);
        }
        self.used += str_width(text);
    }

    /// Text of ours that `write` appends to the line, in `style` (as [`Line::styled`]).
    fn styled_with(&mut self, style: &str, write: impl FnOnce(&mut String)) {
        let color = self.color && !style.is_empty();
        if color {
            self.out.push_str(style);
        }
        let start = self.out.len();
        write(self.out);
        self.used += str_width(&self.out[start..]);
        if color {
            self.out.push_str(style::RESET);
        }
    }

    fn plain(&mut self, text: &str) {
        self.styled("", text);
    }

    /// Transcript text kept as written ([`Text`]), made inert, in at most `max` columns: only
    /// its start is decoded.
    fn text(&mut self, style: &str, text: &Text<'_>, max: usize) {
        let color = self.color && !style.is_empty();
        if color {
            self.out.push_str(style);
        }
        // A literal whose first line is plain ASCII is shown without decoding it.
        let fast = match text {
            Text::Json(raw) => push_literal_start(self.out, raw, max),
            Text::Plain(_) => None,
        };
        if let Some(used) = fast {
            self.used += used;
        } else {
            let (start, continues) = text.prefix(max.saturating_add(DECODED_SLACK));
            self.used += push_inert_start(self.out, &start, continues, max);
        }
        if color {
            self.out.push_str(style::RESET);
        }
    }

    /// Text of ours that `write` appends, in `style`, after a space.
    fn spaced_with(&mut self, style: &str, write: impl FnOnce(&mut String)) {
        self.plain(" ");
        self.styled_with(style, write);
    }

    /// Transcript text, made inert, in at most `max` columns.
    fn untrusted(&mut self, style: &str, text: &str, max: usize) {
        let color = self.color && !style.is_empty();
        if color {
            self.out.push_str(style);
        }
        self.used += push_inert(self.out, text, max);
        if color {
            self.out.push_str(style::RESET);
        }
    }
}

/// The label and style of an event's kind column.
fn label(kind: &EventKind<'_>) -> (&'static str, &'static str) {
    match kind {
        EventKind::UserPrompt { .. } => ("USER", style::BOLD_GREEN),
        EventKind::UserMeta { .. } => ("meta", style::DIM),
        EventKind::Interrupt { .. } => ("INTERRUPT", style::YELLOW),
        EventKind::CompactSummary { .. } => ("SUMMARY", style::MAGENTA),
        EventKind::Image { .. } => ("IMAGE", style::CYAN),
        EventKind::AssistantText { .. } => ("ASST", style::BOLD_BLUE),
        EventKind::Thinking { .. } => ("THINK", style::DIM_MAGENTA),
        EventKind::ToolCall { .. } => ("CALL", style::CYAN),
        EventKind::ToolResult { is_error: true, .. } => ("RESULT", style::RED),
        EventKind::ToolResult { .. } => ("RESULT", style::GREEN),
        EventKind::Usage { .. } => ("TOKENS", style::DIM),
        EventKind::System { .. } => ("SYSTEM", style::YELLOW),
        EventKind::Compact { .. } => ("COMPACT", style::MAGENTA),
        EventKind::ApiError { .. } => ("API-ERROR", style::BOLD_RED),
        EventKind::Title { .. } => ("TITLE", style::BOLD),
        EventKind::Progress { .. } => ("progress", style::DIM),
        EventKind::Attachment { .. } => ("attach", style::DIM),
        EventKind::FileSnapshot { .. } => ("snapshot", style::DIM),
        EventKind::Queue { .. } => ("QUEUE", style::YELLOW),
        EventKind::LastPrompt { .. } => ("prompt", style::DIM),
        EventKind::Mode { .. } | EventKind::PermissionMode { .. } => ("MODE", style::YELLOW),
        EventKind::PrLink { .. } => ("PR", style::BOLD),
        EventKind::Unknown { .. } => ("unknown", style::DIM),
        EventKind::Malformed(_) => ("MALFORMED", style::BOLD_RED),
    }
}

fn format_event(line: &mut Line<'_>, event: &Event<'_>, width: Option<usize>) {
    let time = event
        .timestamp
        .as_deref()
        .and_then(clock_part)
        .unwrap_or("--:--:--");
    line.styled(style::DIM, time);
    line.plain(" ");
    let (label, label_style) = label(&event.kind);
    // The label padded to its column, and the session marker, written straight into the line
    // (no `format!` or string of their own per event).
    line.styled_with(label_style, |out| {
        out.push_str(label);
        for _ in label.len()..LABEL_WIDTH {
            out.push(' ');
        }
    });
    line.plain(" ");
    line.styled_with(style::DIM, |marker| {
        match event.session_id.as_deref() {
            Some(id) => push_inert_chars(marker, id, 8),
            None => marker.push_str("--------"),
        }
        match (event.agent_id.as_deref(), event.sidechain) {
            (Some(agent), _) => {
                marker.push('›');
                push_inert_chars(marker, agent, 12);
            }
            (None, true) => marker.push_str("›sidechain"),
            (None, false) => {}
        }
    });
    line.plain(" ");
    let budget = match width {
        Some(w) => w.saturating_sub(line.used),
        None => UNBOUNDED_SUMMARY_WIDTH,
    };
    summary(line, &event.kind, budget);
}

/// Writes the summary of an event in at most `budget` columns.
fn summary(line: &mut Line<'_>, kind: &EventKind<'_>, budget: usize) {
    let start = line.used;
    let left = |line: &Line<'_>| budget.saturating_sub(line.used - start);
    match kind {
        EventKind::UserPrompt { text } => line.text(style::BOLD, text, budget),
        EventKind::UserMeta { text } | EventKind::CompactSummary { text } => {
            line.text(style::DIM, text, budget)
        }
        EventKind::Interrupt { text, .. } => line.text(style::YELLOW, text, budget),
        EventKind::Image {
            media_type,
            data_len,
            ..
        } => {
            let text = format!(
                "{} ({})",
                media_type.as_deref().unwrap_or("image"),
                bytes(*data_len)
            );
            line.untrusted("", &text, budget);
        }
        EventKind::AssistantText { text, .. } => line.text("", text, budget),
        EventKind::Thinking { text, redacted, .. } => {
            if *redacted {
                line.untrusted(style::DIM, "(redacted)", budget);
            } else if !plainly_not_blank(text) && text.is_blank() {
                line.untrusted(style::DIM, "(signature only)", budget);
            } else {
                line.text(style::DIM_MAGENTA, text, budget);
            }
        }
        EventKind::ToolCall { tool, input, .. } => {
            line.untrusted(style::BOLD_CYAN, tool, budget);
            if let Some(arg) = input.and_then(key_argument) {
                line.plain(" ");
                line.untrusted("", &arg, left(line));
            }
        }
        EventKind::ToolResult {
            tool_use_id,
            is_error,
            tool,
            duration_ms,
            content,
            ..
        } => {
            let name = tool.as_deref().or(tool_use_id.as_deref()).unwrap_or("?");
            result_summary(
                line,
                *is_error,
                name,
                *duration_ms,
                content.map(RawValue::get),
                budget,
            );
        }
        EventKind::Usage {
            model,
            tokens,
            increment,
            factors,
            ..
        } => {
            let plus = if *increment { "+" } else { "" };
            let mut text = String::with_capacity(128);
            // `in 1,234  out 56  cache read 7,890`, then the cache writes when there are some.
            let count = |text: &mut String, label: &str, n: u64| {
                text.push_str(label);
                text.push_str(plus);
                push_thousands(text, n);
            };
            count(&mut text, "in ", tokens.input);
            count(&mut text, "  out ", tokens.output);
            count(&mut text, "  cache read ", tokens.cache_read);
            if tokens.cache_write_5m > 0 {
                count(&mut text, "  write 5m ", tokens.cache_write_5m);
            }
            if tokens.cache_write_1h > 0 {
                count(&mut text, "  write 1h ", tokens.cache_write_1h);
            }
            if let Some(model) = model {
                text.push_str("  ");
                text.push_str(model);
            }
            // What changes the price, when it is not the default: `fast`, `batch`, `geo us`.
            for (label, value) in [
                ("", factors.speed.as_deref()),
                ("", factors.service_tier.as_deref()),
                ("geo ", factors.inference_geo.as_deref()),
            ] {
                if let Some(v) =
                    value.filter(|v| !matches!(*v, "" | "standard" | "global" | "not_available"))
                {
                    text.push_str("  ");
                    text.push_str(label);
                    text.push_str(v);
                }
            }
            line.untrusted(style::DIM, &text, budget);
        }
        EventKind::System {
            subtype,
            text,
            duration_ms,
            ..
        } => {
            let sub = subtype.as_deref().unwrap_or("notice");
            line.untrusted("", sub, budget);
            if let Some(ms) = duration_ms {
                line.spaced_with(style::DIM, |out| push_duration(out, *ms));
            }
            if let Some(text) = text {
                line.plain(" ");
                line.text(style::DIM, text, left(line));
            }
        }
        EventKind::Compact {
            trigger,
            pre_tokens,
            post_tokens,
        } => {
            let mut text = format!("{} compaction", trigger.as_deref().unwrap_or("?"));
            if let Some(pre) = pre_tokens {
                let _ = write!(text, ", {} tokens", thousands(*pre));
                if let Some(post) = post_tokens {
                    let _ = write!(text, " → {}", thousands(*post));
                }
            }
            line.untrusted("", &text, budget);
        }
        EventKind::ApiError {
            status,
            text,
            retry_attempt,
            max_retries,
            retry_in_ms,
            ..
        } => {
            let mut head = String::new();
            if let Some(s) = status {
                let _ = write!(head, "{s} ");
            }
            if let Some(attempt) = retry_attempt {
                let _ = write!(head, "retry {attempt}");
                if let Some(max) = max_retries {
                    let _ = write!(head, "/{max}");
                }
                if let Some(ms) = retry_in_ms {
                    let _ = write!(head, " in {}", duration(*ms));
                }
                head.push(' ');
            }
            line.untrusted(style::BOLD_RED, &head, budget);
            line.untrusted(style::RED, text.as_deref().unwrap_or(""), left(line));
        }
        EventKind::Title { title, source, .. } => {
            line.untrusted(style::BOLD, title, budget);
            line.plain(" ");
            line.styled(style::DIM, &format!("({})", source.as_str()));
        }
        EventKind::Progress {
            data_type,
            tool_use_id,
            ..
        } => {
            let text = format!(
                "{} {}",
                data_type.as_deref().unwrap_or("?"),
                tool_use_id.as_deref().unwrap_or("")
            );
            line.untrusted(style::DIM, &text, budget);
        }
        EventKind::Attachment { attachment_type } => line.untrusted(
            style::DIM,
            attachment_type.as_deref().unwrap_or("?"),
            budget,
        ),
        EventKind::FileSnapshot { files, update, .. } => {
            let text = format!(
                "{files} file{}{}",
                if *files == 1 { "" } else { "s" },
                if *update { " (update)" } else { "" }
            );
            line.untrusted(style::DIM, &text, budget);
        }
        EventKind::Queue { operation, text } => {
            line.untrusted("", operation.as_deref().unwrap_or("?"), budget);
            if let Some(text) = text {
                line.plain(" ");
                line.text(style::DIM, text, left(line));
            }
        }
        EventKind::LastPrompt { text, leaf_uuid } => {
            let text = text.as_deref().or(leaf_uuid.as_deref()).unwrap_or("");
            line.untrusted(style::DIM, text, budget)
        }
        EventKind::Mode { mode } => line.untrusted("", mode, budget),
        EventKind::PermissionMode { mode } => {
            line.untrusted("", &format!("permission {mode}"), budget)
        }
        EventKind::PrLink {
            number,
            url,
            repository,
        } => {
            let text = match (url, repository, number) {
                (Some(url), _, _) => url.to_string(),
                (None, Some(repo), Some(n)) => format!("{repo}#{n}"),
                (None, _, Some(n)) => format!("#{n}"),
                (None, _, None) => "?".to_owned(),
            };
            line.untrusted("", &text, budget)
        }
        EventKind::Unknown {
            record_type,
            block_type,
        } => {
            let text = match block_type {
                Some(block) => format!(
                    "{block} block in {} line",
                    record_type.as_deref().unwrap_or("?")
                ),
                None => format!("{} record", record_type.as_deref().unwrap_or("untyped")),
            };
            line.untrusted(style::DIM, &text, budget);
        }
        EventKind::Malformed(m) => line.untrusted(style::RED, &m.message, budget),
    }
}

/// Characters of a text's start that its summary in `budget` columns reads at most: the
/// summary of a text whose first `text_summary_chars(budget) + 1` characters are known is
/// the summary of any text that starts with them.
pub(crate) fn text_summary_chars(budget: usize) -> usize {
    budget.saturating_add(DECODED_SLACK)
}

/// Characters of a tool result's content that its summary reads at most (as
/// [`text_summary_chars`]).
pub(crate) const RESULT_SUMMARY_CHARS: usize = UNBOUNDED_SUMMARY_WIDTH;

/// [`push_summary`] of a text event (a prompt, the model's text, …): `text` in at most
/// `budget` columns, made inert; returns the columns used.
pub(crate) fn push_text_summary(out: &mut String, text: &Text<'_>, budget: usize) -> usize {
    let mut line = Line {
        out,
        color: false,
        used: 0,
    };
    line.text("", text, budget);
    line.used
}

/// [`push_summary`] of a tool result, from its parts: whether it failed, the tool's name (or
/// call id), its duration and its `content` as written (JSON); returns the columns used.
pub(crate) fn push_result_summary(
    out: &mut String,
    is_error: bool,
    name: &str,
    duration_ms: Option<u64>,
    content: Option<&str>,
    budget: usize,
) -> usize {
    let mut line = Line {
        out,
        color: false,
        used: 0,
    };
    result_summary(&mut line, is_error, name, duration_ms, content, budget);
    line.used
}

/// Writes a tool result's summary: `✓`/`✗`, the tool, its duration and a preview of its
/// content (JSON as written), in at most `budget` columns.
fn result_summary(
    line: &mut Line<'_>,
    is_error: bool,
    name: &str,
    duration_ms: Option<u64>,
    content: Option<&str>,
    budget: usize,
) {
    let start = line.used;
    let left = |line: &Line<'_>| budget.saturating_sub(line.used - start);
    let (mark, mark_style) = if is_error {
        ("✗", style::BOLD_RED)
    } else {
        ("✓", style::BOLD_GREEN)
    };
    line.styled(mark_style, mark);
    line.plain(" ");
    line.untrusted(style::BOLD, name, left(line));
    if let Some(ms) = duration_ms {
        line.spaced_with(style::DIM, |out| push_duration(out, ms));
    }
    let s = if is_error { style::RED } else { style::DIM };
    // A string result whose first line is plain ASCII is shown without decoding it, when its
    // columns lie within the preview (the line after the space: `left - 1`).
    let fast = match content {
        Some(content) if left(line) > 1 && left(line) <= UNBOUNDED_SUMMARY_WIDTH => {
            let max = left(line) - 1;
            crate::render::text::literal_first_line(content, max, RESULT_SUMMARY_CHARS).map(|_| max)
        }
        _ => None,
    };
    if let (Some(max), Some(content)) = (fast, content) {
        line.plain(" ");
        let color = line.color && !s.is_empty();
        if color {
            line.out.push_str(s);
        }
        line.used +=
            push_literal_preview(line.out, content, RESULT_SUMMARY_CHARS, max).unwrap_or(0);
        if color {
            line.out.push_str(style::RESET);
        }
    } else if let Some(content) = content {
        let preview = result_preview_raw(content, RESULT_SUMMARY_CHARS);
        if !preview.trim().is_empty() && left(line) > 1 {
            line.plain(" ");
            line.untrusted(s, &preview, left(line));
        }
    }
}

/// True when `text` is a literal that starts with a printable character other than a blank
/// (so [`Text::is_blank`] need not decode it).
pub(crate) fn plainly_not_blank(text: &Text<'_>) -> bool {
    match text {
        Text::Json(raw) => raw
            .as_bytes()
            .get(1)
            .is_some_and(|&b| b.is_ascii_graphic() && b != b'\\' && b != b'"'),
        Text::Plain(_) => false,
    }
}

/// The arguments of a tool call that say what it does.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Args<'a> {
    #[serde(borrow)]
    command: Option<Cow<'a, str>>,
    #[serde(borrow)]
    file_path: Option<Cow<'a, str>>,
    #[serde(borrow)]
    notebook_path: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pattern: Option<Cow<'a, str>>,
    #[serde(borrow)]
    url: Option<Cow<'a, str>>,
    #[serde(borrow)]
    query: Option<Cow<'a, str>>,
    #[serde(borrow)]
    description: Option<Cow<'a, str>>,
    #[serde(borrow)]
    skill: Option<Cow<'a, str>>,
    #[serde(borrow)]
    prompt: Option<Cow<'a, str>>,
    #[serde(borrow)]
    path: Option<Cow<'a, str>>,
    todos: Option<Vec<serde::de::IgnoredAny>>,
}

impl Args<'_> {
    /// The key argument these arguments give, if any.
    fn key(self) -> Option<String> {
        if let Some(todos) = &self.todos {
            return Some(format!("{} todos", todos.len()));
        }
        let main = [
            self.command,
            self.file_path,
            self.notebook_path,
            self.pattern.clone(),
            self.url,
            self.query,
            self.description,
            self.skill,
            self.prompt,
        ]
        .into_iter()
        .flatten()
        .next();
        match (main, self.path) {
            (Some(main), Some(path)) if self.pattern.is_some() => Some(format!("{main} in {path}")),
            (Some(main), _) => Some(main.into_owned()),
            (None, path) => path.map(Cow::into_owned),
        }
    }
}

/// The argument that says what a tool call does: a command, a path, a pattern, a URL, …
pub fn key_argument(input: &RawValue) -> Option<String> {
    let text = input.get();
    match scanned_args(text) {
        Ok(args) => args?.key(),
        Err(Unsure) => serde_json::from_str::<Args<'_>>(text).ok()?.key(),
    }
}

/// What [`scanned_args`] leaves to serde.
struct Unsure;

impl From<crate::format::claude::scan::ScanError> for Unsure {
    fn from(_: crate::format::claude::scan::ScanError) -> Self {
        Unsure
    }
}

/// [`Args`] of a tool call's input (valid JSON) as serde reads them, found by the transcript
/// scanner: the members wanted are parsed, the others (a file being written, an edit's old
/// and new text) jumped over with SIMD `memchr` rather than read by serde a byte at a time.
/// `Ok(None)` where serde fails (a member twice, a value of another type); `Err` for what is
/// left to serde (not an object, a key with escapes).
fn scanned_args(text: &str) -> Result<Option<Args<'_>>, Unsure> {
    if !text.trim_start().starts_with('{') {
        return Err(Unsure);
    }
    let mut args = Args::default();
    let (mut seen, mut fails) = (0u16, false);
    crate::format::claude::scan::for_each_member(text, |key, value, _| {
        if key.contains('\\') {
            return Err(Unsure);
        }
        let (bit, slot) = match key {
            "command" => (0, &mut args.command),
            "file_path" => (1, &mut args.file_path),
            "notebook_path" => (2, &mut args.notebook_path),
            "pattern" => (3, &mut args.pattern),
            "url" => (4, &mut args.url),
            "query" => (5, &mut args.query),
            "description" => (6, &mut args.description),
            "skill" => (7, &mut args.skill),
            "prompt" => (8, &mut args.prompt),
            "path" => (9, &mut args.path),
            "todos" => {
                fails |= seen & (1 << 10) != 0;
                seen |= 1 << 10;
                match serde_json::from_str(value) {
                    Ok(todos) => args.todos = todos,
                    Err(_) => fails = true,
                }
                return Ok(());
            }
            _ => return Ok(()),
        };
        fails |= seen & (1 << bit) != 0;
        seen |= 1 << bit;
        *slot = if value == "null" {
            None
        } else if let Some(plain) = crate::format::claude::scan::plain_str(value) {
            Some(Cow::Borrowed(plain))
        } else {
            match serde_json::from_str::<String>(value) {
                Ok(decoded) => Some(Cow::Owned(decoded)),
                Err(_) => {
                    fails = true;
                    None
                }
            }
        };
        Ok(())
    })?;
    Ok((!fails).then_some(args))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn key_arguments() {
        assert_eq!(
            key_argument(&raw(r#"{"command":"ls -la","timeout":5}"#)).as_deref(),
            Some("ls -la")
        );
        assert_eq!(
            key_argument(&raw(r#"{"pattern":"fn main","path":"src"}"#)).as_deref(),
            Some("fn main in src")
        );
        assert_eq!(
            key_argument(&raw(r#"{"todos":[{},{}]}"#)).as_deref(),
            Some("2 todos")
        );
        assert_eq!(key_argument(&raw(r#"{"other":1}"#)), None);
        assert_eq!(key_argument(&raw(r#"[1]"#)), None);
    }

    /// What serde alone reads as the key argument (the rule the scanner must keep).
    fn serde_key_argument(input: &RawValue) -> Option<String> {
        serde_json::from_str::<Args<'_>>(input.get()).ok()?.key()
    }

    /// The scanner's key argument is serde's, on inputs that make serde fail or that the
    /// scanner leaves to it.
    #[test]
    fn scanned_key_arguments_are_serdes() {
        for input in [
            r#"{"command":"ls","command":"pwd"}"#,
            r#"{"command":null,"command":"pwd"}"#,
            r#"{"command":5}"#,
            r#"{"command":"a\nb \"q\" \u00e9","description":"d"}"#,
            r#"{"comm\u0061nd":"ls"}"#,
            r#"{"todos":"x"}"#,
            r#"{"todos":[1,{"a":[2]}],"todos":[]}"#,
            r#"{"todos":null,"command":"ls"}"#,
            r#"{"content":"{\"command\":\"no\"}","input":{"command":"nested"},"path":"p"}"#,
            r#" { "pattern" : "x" , "path" : "src/\u00e9" } "#,
            r#"{"description":"lone \ud800","prompt":"p"}"#,
            r#"["ls","a"]"#,
            r#""text""#,
            r#"{}"#,
        ] {
            let input = raw(input);
            assert_eq!(
                key_argument(&input),
                serde_key_argument(&input),
                "{}",
                input.get()
            );
        }
    }

    /// And on every tool call of the real corpus.
    #[test]
    fn scanned_key_arguments_of_the_corpus_are_serdes() {
        struct Compare(usize);
        impl Renderer for Compare {
            fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
                if let EventKind::ToolCall {
                    input: Some(input), ..
                } = &event.kind
                {
                    assert_eq!(key_argument(input), serde_key_argument(input));
                    self.0 += 1;
                }
                Ok(ControlFlow::Continue(()))
            }
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/corpus");
        let mut pipeline =
            crate::pipeline::Pipeline::new(crate::pipeline::Options::default(), Compare(0));
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "jsonl") {
                let file = std::fs::File::open(&path).unwrap();
                let _ = pipeline
                    .read_to_end(&path.display().to_string(), file)
                    .unwrap();
            }
        }
        let (compare, _) = pipeline.finish().unwrap();
        assert!(compare.0 > 1_000, "{} calls", compare.0);
    }
}
