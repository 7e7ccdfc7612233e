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

use crate::event::{Event, EventKind, Kind};
use crate::json::RawJson;
use crate::render::text::{
    bytes, duration, literal_first_line, literal_summary_start, printable_run, push_ascii_line,
    push_duration, push_inert, push_inert_chars, push_inert_start, push_literal_line,
    push_literal_start, push_thousands, result_preview_raw, str_width, thousands,
};
use crate::render::{Flow, Renderer};
use crate::text::Text;
use crate::timestamp::clock_part;
use serde::Deserialize;

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
    label(kind).name()
}

/// The kind label of an event of kind `kind`, as [`kind_label`] gives it for the event (a
/// label names the kind alone: a failed result is `RESULT` too, only coloured apart).
pub fn kind_label_of(kind: Kind) -> &'static str {
    label_of(kind, false).name()
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
            Text::Json(raw) => push_literal_start(self.out, raw, max).or_else(|| {
                push_literal_line(self.out, raw, max.saturating_add(DECODED_SLACK), max)
            }),
            Text::Plain(_) => None,
        };
        if let Some(used) = fast {
            self.used += used;
        } else {
            let cap = max.saturating_add(DECODED_SLACK);
            self.used += match text {
                // Decoded only as far as the summary depends on it.
                Text::Json(raw) => {
                    let (start, continues) = literal_summary_start(raw, cap, max);
                    push_inert_start(self.out, &start, continues, max)
                }
                Text::Plain(_) => {
                    let (start, continues) = text.prefix(cap);
                    push_inert_start(self.out, &start, continues, max)
                }
            };
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

    /// Transcript text that `write` appends to the line, shown as [`Line::untrusted`] shows
    /// it: written in place (no string of its own) and kept as written when that is what
    /// [`push_inert`] would write (printable ASCII without blanks at either end, within `max`
    /// columns), else taken back and made inert.
    fn untrusted_with(&mut self, style: &str, max: usize, write: impl FnOnce(&mut String)) {
        let color = self.color && !style.is_empty();
        if color {
            self.out.push_str(style);
        }
        let start = self.out.len();
        write(self.out);
        let b = &self.out.as_bytes()[start..];
        if b.len() <= max
            && b.first().is_some_and(|&c| c != b' ')
            && b.last().is_some_and(|&c| c != b' ')
            && printable_run(b) == b.len()
        {
            self.used += b.len();
        } else {
            let text = self.out.split_off(start);
            self.used += push_inert(self.out, &text, max);
        }
        if color {
            self.out.push_str(style::RESET);
        }
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

/// An event kind's column: its label, and the line's head from the time to the session
/// column (label padded to [`LABEL_WIDTH`], with the spaces around it), plain and in colour,
/// written with one copy each.
struct Label {
    /// The label padded with spaces to [`LABEL_WIDTH`].
    padded: &'static str,
    /// ` {padded} `.
    plain: &'static str,
    /// The same in colour: the reset ending the time's style, the label's style, the reset
    /// ending it, and the session column's style ([`style::DIM`]).
    color: &'static str,
}

impl Label {
    fn name(&self) -> &'static str {
        // ASCII, padded with spaces (a test checks): no Unicode whitespace table per row.
        self.padded.trim_ascii_end()
    }
}

/// A [`Label`] from its padded text and the literal of its style.
macro_rules! label {
    ($padded:literal, $style:literal) => {
        &Label {
            padded: $padded,
            plain: concat!(" ", $padded, " "),
            color: concat!("\x1b[0m ", $style, $padded, "\x1b[0m \x1b[2m"),
        }
    };
}

/// Every label, with its style (see [`style`]).
const LABELS: [(&Label, &str); 23] = [
    (label!("USER     ", "\x1b[1;32m"), style::BOLD_GREEN),
    (label!("meta     ", "\x1b[2m"), style::DIM),
    (label!("INTERRUPT", "\x1b[33m"), style::YELLOW),
    (label!("SUMMARY  ", "\x1b[35m"), style::MAGENTA),
    (label!("IMAGE    ", "\x1b[36m"), style::CYAN),
    (label!("ASST     ", "\x1b[1;34m"), style::BOLD_BLUE),
    (label!("THINK    ", "\x1b[2;35m"), style::DIM_MAGENTA),
    (label!("CALL     ", "\x1b[36m"), style::CYAN),
    (label!("RESULT   ", "\x1b[31m"), style::RED),
    (label!("RESULT   ", "\x1b[32m"), style::GREEN),
    (label!("TOKENS   ", "\x1b[2m"), style::DIM),
    (label!("SYSTEM   ", "\x1b[33m"), style::YELLOW),
    (label!("COMPACT  ", "\x1b[35m"), style::MAGENTA),
    (label!("API-ERROR", "\x1b[1;31m"), style::BOLD_RED),
    (label!("TITLE    ", "\x1b[1m"), style::BOLD),
    (label!("progress ", "\x1b[2m"), style::DIM),
    (label!("attach   ", "\x1b[2m"), style::DIM),
    (label!("snapshot ", "\x1b[2m"), style::DIM),
    (label!("QUEUE    ", "\x1b[33m"), style::YELLOW),
    (label!("prompt   ", "\x1b[2m"), style::DIM),
    (label!("MODE     ", "\x1b[33m"), style::YELLOW),
    (label!("PR       ", "\x1b[1m"), style::BOLD),
    (label!("unknown  ", "\x1b[2m"), style::DIM),
];

/// The [`Label`] of `MALFORMED` lines (not shown by this renderer; the dashboard shows them).
const MALFORMED: &Label = label!("MALFORMED", "\x1b[1;31m");

/// The label of an event's kind column (an entry of [`LABELS`], or [`MALFORMED`]).
fn label(kind: &EventKind<'_>) -> &'static Label {
    let failed = matches!(kind, EventKind::ToolResult { is_error: true, .. });
    label_of(kind.kind(), failed)
}

/// The label of an event of kind `kind` (`failed`: a tool result that failed, coloured
/// apart), as [`label`] gives it.
fn label_of(kind: Kind, failed: bool) -> &'static Label {
    let at = match kind {
        Kind::UserPrompt => 0,
        Kind::UserMeta => 1,
        Kind::Interrupt => 2,
        Kind::CompactSummary => 3,
        Kind::Image => 4,
        Kind::AssistantText => 5,
        Kind::Thinking => 6,
        Kind::ToolCall => 7,
        Kind::ToolResult if failed => 8,
        Kind::ToolResult => 9,
        Kind::Usage => 10,
        Kind::System => 11,
        Kind::Compact => 12,
        Kind::ApiError => 13,
        Kind::Title => 14,
        Kind::Progress => 15,
        Kind::Attachment => 16,
        Kind::FileSnapshot => 17,
        Kind::Queue => 18,
        Kind::LastPrompt => 19,
        Kind::Mode | Kind::PermissionMode => 20,
        Kind::PrLink => 21,
        Kind::Unknown => 22,
        Kind::Malformed => return MALFORMED,
    };
    LABELS[at].0
}

fn format_event(line: &mut Line<'_>, event: &Event<'_>, width: Option<usize>) {
    // `HH:MM:SS` as written (digits and colons, checked), or dashes: eight columns.
    let time = event
        .timestamp
        .as_deref()
        .and_then(clock_part)
        .unwrap_or("--:--:--");
    let label = label(&event.kind);
    // The time, the label padded to its column and the spaces around it, each written with
    // one copy (no `format!` or string of their own per event).
    if line.color {
        line.out.push_str(style::DIM);
        line.out.push_str(time);
        line.out.push_str(label.color);
    } else {
        line.out.push_str(time);
        line.out.push_str(label.plain);
    }
    line.used += time.len() + 1 + LABEL_WIDTH + 1;
    // The session marker, in the style the label's head opened.
    let start = line.out.len();
    match event.session_id.as_deref() {
        Some(id) => push_inert_chars(line.out, id, 8),
        None => line.out.push_str("--------"),
    }
    match (event.agent_id.as_deref(), event.sidechain) {
        (Some(agent), _) => {
            line.out.push('›');
            push_inert_chars(line.out, agent, 12);
        }
        (None, true) => line.out.push_str("›sidechain"),
        (None, false) => {}
    }
    line.used += str_width(&line.out[start..]);
    if line.color {
        line.out.push_str(style::RESET);
    }
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
        } => line.untrusted_with("", budget, |text| {
            text.push_str(media_type.as_deref().unwrap_or("image"));
            text.push_str(" (");
            text.push_str(&bytes(*data_len));
            text.push(')');
        }),
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
            if let Some(arg) = input.and_then(|input| key_argument_str(input.get())) {
                line.plain(" ");
                let max = left(line);
                match arg {
                    // A literal whose first line is plain ASCII is shown without decoding it
                    // (a command's heredoc, a prompt: only the first line shows).
                    KeyArgument::Literal(raw) => match push_literal_start(line.out, raw, max)
                        .or_else(|| push_literal_line(line.out, raw, usize::MAX, max))
                    {
                        Some(used) => line.used += used,
                        None => {
                            // The literal decodes (checked by the scan): what `push_inert`
                            // shows of all of it, from as much of its start as that needs.
                            let (start, continues) = literal_summary_start(raw, usize::MAX, max);
                            line.used += push_inert_start(line.out, &start, continues, max);
                        }
                    },
                    KeyArgument::Text(text) => line.untrusted("", &text, max),
                }
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
                content.as_ref().map(RawJson::get),
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
            line.untrusted_with(style::DIM, budget, |text| {
                // `in 1,234  out 56  cache read 7,890`, then the cache writes and web searches
                // when there are some.
                let count = |text: &mut String, label: &str, n: u64| {
                    text.push_str(label);
                    text.push_str(plus);
                    push_thousands(text, n);
                };
                count(text, "in ", tokens.input);
                count(text, "  out ", tokens.output);
                count(text, "  cache read ", tokens.cache_read);
                if tokens.cache_write_5m > 0 {
                    count(text, "  write 5m ", tokens.cache_write_5m);
                }
                if tokens.cache_write_1h > 0 {
                    count(text, "  write 1h ", tokens.cache_write_1h);
                }
                // Billed per search, in the cost; not tokens.
                if tokens.web_search > 0 {
                    count(text, "  web searches ", tokens.web_search);
                }
                if let Some(model) = model {
                    text.push_str("  ");
                    text.push_str(model);
                }
                // What changes the price, when it is not the default: `fast`, `batch`,
                // `geo us`.
                for (label, value) in [
                    ("", factors.speed.as_deref()),
                    ("", factors.service_tier.as_deref()),
                    ("geo ", factors.inference_geo.as_deref()),
                ] {
                    if let Some(v) = value
                        .filter(|v| !matches!(*v, "" | "standard" | "global" | "not_available"))
                    {
                        text.push_str("  ");
                        text.push_str(label);
                        text.push_str(v);
                    }
                }
            });
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
            // The head is aegon's own words and numbers; the space after it is written on its
            // own (the transcript's text is trimmed of blanks when made inert, so a space ending
            // the head would be lost and glue it to the message: `500API Error`).
            let mut head = String::new();
            if let Some(s) = status {
                let _ = write!(head, "{s}");
            }
            if let Some(attempt) = retry_attempt {
                if !head.is_empty() {
                    head.push(' ');
                }
                let _ = write!(head, "retry {attempt}");
                if let Some(max) = max_retries {
                    let _ = write!(head, "/{max}");
                }
                if let Some(ms) = retry_in_ms {
                    let _ = write!(head, " in {}", duration(*ms));
                }
            }
            if !head.is_empty() {
                line.untrusted(style::BOLD_RED, &head, budget);
                line.plain(" ");
            }
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
            line.untrusted_with(style::DIM, budget, |text| {
                text.push_str(data_type.as_deref().unwrap_or("?"));
                text.push(' ');
                text.push_str(tool_use_id.as_deref().unwrap_or(""));
            });
        }
        EventKind::Attachment { attachment_type } => line.untrusted(
            style::DIM,
            attachment_type.as_deref().unwrap_or("?"),
            budget,
        ),
        EventKind::FileSnapshot { files, update, .. } => {
            line.untrusted_with(style::DIM, budget, |text| {
                crate::render::text::push_u64(text, *files, 1);
                text.push_str(if *files == 1 { " file" } else { " files" });
                text.push_str(if *update { " (update)" } else { "" });
            });
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
        EventKind::PermissionMode { mode } => line.untrusted_with("", budget, |text| {
            text.push_str("permission ");
            text.push_str(mode);
        }),
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
        // One place, then what is wrong: messages do not repeat their offset (the stderr
        // report and the dashboard put the file and line before it).
        EventKind::Malformed(m) => line.untrusted_with(style::RED, budget, |text| {
            text.push_str("byte ");
            text.push_str(&m.error_offset.to_string());
            text.push_str(": ");
            text.push_str(&m.message);
        }),
    }
}

/// Characters of a text's start that its summary in `budget` columns reads at most: the
/// summary of a text whose first `text_summary_chars(budget) + 1` characters are known is
/// the summary of any text that starts with them.
#[cfg(feature = "tui")]
pub(crate) fn text_summary_chars(budget: usize) -> usize {
    budget.saturating_add(DECODED_SLACK)
}

/// Characters of a tool result's content that its summary reads at most (as
/// [`text_summary_chars`]).
pub(crate) const RESULT_SUMMARY_CHARS: usize = UNBOUNDED_SUMMARY_WIDTH;

/// [`push_summary`] of a text event (a prompt, the model's text, …): `text` in at most
/// `budget` columns, made inert; returns the columns used.
#[cfg(feature = "tui")]
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
#[cfg(feature = "tui")]
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
            literal_first_line(content, max, RESULT_SUMMARY_CHARS).map(|first| (first, max))
        }
        _ => None,
    };
    if let Some(((first, more), max)) = fast {
        line.plain(" ");
        let color = line.color && !s.is_empty();
        if color {
            line.out.push_str(s);
        }
        line.used += push_ascii_line(line.out, first, more, max);
        if color {
            line.out.push_str(style::RESET);
        }
    } else if let Some(content) = content {
        // The preview's columns: those left after the space before it.
        let max = left(line).saturating_sub(1);
        if content.starts_with('"') {
            // A string whose first line reads off the literal (see `push_literal_line`): as
            // `untrusted` below shows the decoded preview, after the same space.
            let mark = line.out.len();
            line.out.push(' ');
            let color = line.color && !s.is_empty();
            if color {
                line.out.push_str(s);
            }
            match push_literal_line(line.out, content, RESULT_SUMMARY_CHARS, max) {
                Some(used) => {
                    line.used += 1 + used;
                    if color {
                        line.out.push_str(style::RESET);
                    }
                    return;
                }
                None => line.out.truncate(mark),
            }
        }
        let preview = if content.starts_with('"') {
            // A string is decoded only as far as its summary depends on it (the preview's
            // `continues` is not used: `push_inert` shows a whole preview as it ends).
            literal_summary_start(content, RESULT_SUMMARY_CHARS, max).0
        } else {
            result_preview_raw(content, RESULT_SUMMARY_CHARS)
        };
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

/// The argument that says what a tool call does: a command, a path, a pattern, a URL, …
///
/// `input` is the call's input object. The first of `command`, `file_path`, `notebook_path`,
/// `pattern`, `url`, `query`, `description`, `skill` and `prompt` that is a string, with
/// ` in {path}` after a `pattern` when there is a `path`, else `path`; `todos` (an array) gives
/// `N todos` before all of them. `None` when there is none of these, or when the input does not
/// read as these fields (a member of theirs twice, or not a string, or `todos` not an array:
/// the whole input is then taken as unreadable, as a serde parse into these fields takes it).
pub fn key_argument(input: RawJson<'_>) -> Option<String> {
    match key_argument_str(input.get())? {
        KeyArgument::Literal(raw) => json_str(raw).map(Cow::into_owned),
        KeyArgument::Text(text) => Some(text.into_owned()),
    }
}

/// [`key_argument`] of the JSON text `input` before its member's value is decoded (the
/// dashboard decodes it only when a row or step showing it is drawn): `None` where
/// [`key_argument`] is `None`.
#[cfg(feature = "tui")]
pub(crate) fn key_argument_raw(input: &str) -> Option<KeyArgument<'_>> {
    key_argument_str(input)
}

/// A [`key_argument`] before it is decoded.
pub(crate) enum KeyArgument<'a> {
    /// One member's value: a JSON string literal (quotes included) known to decode.
    Literal(&'a str),
    /// Text made of several members (`N todos`, `pattern in path`).
    Text(Cow<'a, str>),
}

/// The members [`key_argument`] reads, in the order it prefers them; `todos` and `path` last.
const KEY_MEMBERS: [&str; 11] = [
    "command",
    "file_path",
    "notebook_path",
    "pattern",
    "url",
    "query",
    "description",
    "skill",
    "prompt",
    "todos",
    "path",
];
const PATTERN: usize = 3;
const TODOS: usize = 9;
const PATH: usize = 10;

/// Why the scan of a tool call's input gave up.
enum ArgScan {
    /// The input does not read as the fields (a duplicated member, a broken object): `None`.
    Unreadable,
    /// A key with an escape: read by serde, which unescapes it.
    Escaped,
}

impl From<crate::format::claude::scan::ScanError> for ArgScan {
    fn from(_: crate::format::claude::scan::ScanError) -> Self {
        ArgScan::Unreadable
    }
}

/// [`key_argument`] of the JSON text `input`, left as written when it is one member's value.
///
/// The top-level members are walked by the record scanner ([`crate::format::claude::scan`]),
/// which skips the values of other members (a file being written, an edit's old and new text)
/// without decoding them; only the chosen value is decoded. What a serde parse into the fields
/// would reject makes the result `None` as it did: a wanted member twice, a wanted member that
/// is neither a string nor null (`todos`: an array or null), a string with a lone surrogate
/// escape. Inputs the scan does not read the way serde does are handed to serde: a key with an
/// escape (`"comm\u0061nd"` is `command`) and a value that is not an object (a derived struct
/// also reads an array, its elements taken as the fields in order).
fn key_argument_str(input: &str) -> Option<KeyArgument<'_>> {
    use crate::format::claude::scan::{for_each_element, for_each_member};
    if !input
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{')
    {
        return key_argument_serde(input).map(KeyArgument::Text);
    }
    let mut found: [Option<&str>; KEY_MEMBERS.len()] = [None; KEY_MEMBERS.len()];
    let scan = for_each_member(input, |key, value, _| {
        if key.as_bytes().contains(&b'\\') {
            return Err(ArgScan::Escaped);
        }
        if let Some(slot) = KEY_MEMBERS.iter().position(|k| *k == key) {
            if found[slot].is_some() {
                return Err(ArgScan::Unreadable);
            }
            found[slot] = Some(value);
        }
        Ok(())
    });
    match scan {
        Ok(()) => {}
        Err(ArgScan::Escaped) => return key_argument_serde(input).map(KeyArgument::Text),
        Err(ArgScan::Unreadable) => return None,
    }
    // Every wanted member must read, as in a parse of them all, before one is chosen.
    let mut todos = None;
    if let Some(value) = found[TODOS].filter(|v| *v != "null") {
        let mut n = 0usize;
        for_each_element(value, |_, _| {
            n += 1;
            Ok::<(), crate::format::claude::scan::ScanError>(())
        })
        .ok()?;
        todos = Some(n);
    }
    for (slot, value) in found.iter_mut().enumerate() {
        if slot == TODOS {
            continue;
        }
        if let Some(v) = *value {
            if v == "null" {
                *value = None;
            } else if !readable_str(v) {
                return None;
            }
        }
    }
    if let Some(n) = todos {
        return Some(KeyArgument::Text(Cow::Owned(format!("{n} todos"))));
    }
    let main = found[..TODOS].iter().flatten().next().copied();
    match (main, found[PATH]) {
        (Some(main), Some(path)) if found[PATTERN].is_some() => Some(KeyArgument::Text(
            Cow::Owned(format!("{} in {}", json_str(main)?, json_str(path)?)),
        )),
        (Some(main), _) => Some(KeyArgument::Literal(main)),
        (None, path) => path.map(KeyArgument::Literal),
    }
}

/// True when `value` (a member's exact text, valid JSON) is a string that decodes: not every
/// escape does (a lone surrogate `\ud800` is valid JSON text, but no string).
fn readable_str(value: &str) -> bool {
    if !value.starts_with('"') {
        return false;
    }
    // Only a `\u` escape can fail to decode; a string without one is read as it is.
    !value.contains("\\u") || serde_json::from_str::<Cow<'_, str>>(value).is_ok()
}

/// The text of the JSON string `value`, borrowed when it has no escapes.
pub(crate) fn json_str(value: &str) -> Option<Cow<'_, str>> {
    match crate::format::claude::scan::plain_str(value) {
        Some(text) => Some(Cow::Borrowed(text)),
        None => serde_json::from_str::<String>(value).ok().map(Cow::Owned),
    }
}

/// [`key_argument`] by a serde parse of the fields: for the inputs the scan hands over.
fn key_argument_serde(input: &str) -> Option<Cow<'_, str>> {
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
    let args: Args<'_> = serde_json::from_str(input).ok()?;
    if let Some(todos) = &args.todos {
        return Some(Cow::Owned(format!("{} todos", todos.len())));
    }
    let main = [
        args.command,
        args.file_path,
        args.notebook_path,
        args.pattern.clone(),
        args.url,
        args.query,
        args.description,
        args.skill,
        args.prompt,
    ]
    .into_iter()
    .flatten()
    .next();
    match (main, args.path) {
        (Some(main), Some(path)) if args.pattern.is_some() => {
            Some(Cow::Owned(format!("{main} in {path}")))
        }
        (Some(main), _) => Some(main),
        (None, path) => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each label's head is the label padded to its column between spaces, and in colour the
    /// sequence the spans wrote one by one: the time's reset, the label in its style, and the
    /// session column's style.
    #[test]
    fn label_heads_are_the_spans_joined() {
        for (label, label_style) in LABELS.iter().copied().chain([(MALFORMED, style::BOLD_RED)]) {
            assert_eq!(label.padded.len(), LABEL_WIDTH, "{}", label.padded);
            assert!(label.padded.is_ascii() && !label.name().contains(' '));
            assert_eq!(label.plain, format!(" {} ", label.padded));
            assert_eq!(
                label.color,
                format!(
                    "{reset} {label_style}{}{reset} {dim}",
                    label.padded,
                    reset = style::RESET,
                    dim = style::DIM
                )
            );
        }
    }

    /// An API error's status and retry head is parted from the message by a space, whatever
    /// the parts present (the message was glued to it: `500API Error`, `527ms429 {`).
    #[test]
    fn api_error_head_and_message_are_parted() {
        let summary = |status, attempt, text: &'static str| {
            let kind = EventKind::ApiError {
                status,
                text: Some(std::borrow::Cow::Borrowed(text)),
                retry_attempt: attempt,
                max_retries: attempt.map(|_| 10),
                retry_in_ms: attempt.map(|_| 527),
                fatal: false,
            };
            let mut out = String::new();
            push_summary(&mut out, &kind, 200);
            out
        };
        assert_eq!(
            summary(Some(500), None, "API Error: 500 Internal server error"),
            "500 API Error: 500 Internal server error"
        );
        assert_eq!(
            summary(Some(429), Some(1), r#"429 {"error":{}}"#),
            r#"429 retry 1/10 in 527ms 429 {"error":{}}"#
        );
        assert_eq!(
            summary(None, Some(2), "overloaded"),
            "retry 2/10 in 527ms overloaded"
        );
        assert_eq!(summary(None, None, "  overloaded"), "overloaded");
    }

    fn raw(s: &str) -> RawJson<'_> {
        RawJson::parse(s).unwrap()
    }

    #[test]
    fn key_arguments() {
        assert_eq!(
            key_argument(raw(r#"{"command":"ls -la","timeout":5}"#)).as_deref(),
            Some("ls -la")
        );
        assert_eq!(
            key_argument(raw(r#"{"pattern":"fn main","path":"src"}"#)).as_deref(),
            Some("fn main in src")
        );
        assert_eq!(
            key_argument(raw(r#"{"todos":[{},{}]}"#)).as_deref(),
            Some("2 todos")
        );
        assert_eq!(key_argument(raw(r#"{"other":1}"#)), None);
        assert_eq!(key_argument(raw(r#"[1]"#)), None);
    }

    fn arg(input: &str) -> Option<String> {
        key_argument(raw(input))
    }

    #[test]
    fn key_argument_decodes_escaped_strings() {
        assert_eq!(
            arg(r#"{"command":"echo \"a\tb\" \\ \u00e9\ud83d\ude00"}"#).as_deref(),
            Some("echo \"a\tb\" \\ é😀")
        );
        // A lone surrogate escape is valid JSON text but no string: unreadable, as in serde.
        assert_eq!(arg(r#"{"command":"a\ud800b"}"#), None);
        // Even in a wanted member that is not the one shown.
        assert_eq!(arg(r#"{"command":"ls","prompt":"\udc00"}"#), None);
        // Not in a member that is not read.
        assert_eq!(
            arg(r#"{"command":"ls","content":"\udc00"}"#).as_deref(),
            Some("ls")
        );
        // An escaped backslash before a `u` is no escape of a code point.
        assert_eq!(
            arg(r#"{"file_path":"C:\\users\\x"}"#).as_deref(),
            Some("C:\\users\\x")
        );
        // An escaped key is unescaped before it is matched.
        assert_eq!(arg(r#"{"comm\u0061nd":"ls"}"#).as_deref(), Some("ls"));
        assert_eq!(
            arg(r#"{"pattern":"a\"b","path":"x\ny"}"#).as_deref(),
            Some("a\"b in x\ny")
        );
    }

    #[test]
    fn key_argument_reads_only_the_top_level() {
        // Keys of nested objects and arrays, and key-like strings in values, are not members.
        assert_eq!(
            arg(r#"{"edits":[{"command":"no"}],"meta":{"file_path":"no","todos":[1]},"x":"\"command\":\"no\"","url":"yes"}"#)
                .as_deref(),
            Some("yes")
        );
        assert_eq!(arg(r#"{"nested":{"command":"no","path":"no"}}"#), None);
        // Whitespace anywhere JSON allows it.
        assert_eq!(
            arg(" {\n \"old\" : { \"command\" : \"no\" } ,\t\"query\" : \"q\" } ").as_deref(),
            Some("q")
        );
    }

    #[test]
    fn key_argument_takes_a_duplicated_wanted_member_as_unreadable() {
        assert_eq!(arg(r#"{"command":"a","command":"b"}"#), None);
        assert_eq!(arg(r#"{"command":null,"command":"b"}"#), None);
        assert_eq!(arg(r#"{"path":"a","file_path":"f","path":"b"}"#), None);
        assert_eq!(arg(r#"{"todos":[],"todos":[]}"#), None);
        // Also when the duplicate is spelled with an escape.
        assert_eq!(arg(r#"{"command":"a","comm\u0061nd":"b"}"#), None);
        // Other members may repeat.
        assert_eq!(
            arg(r#"{"timeout":1,"command":"a","timeout":2}"#).as_deref(),
            Some("a")
        );
    }

    #[test]
    fn key_argument_non_string_values() {
        // A wanted member that is not a string makes the input unreadable…
        assert_eq!(arg(r#"{"command":5,"file_path":"f"}"#), None);
        assert_eq!(arg(r#"{"file_path":"f","prompt":true}"#), None);
        assert_eq!(arg(r#"{"command":["ls"]}"#), None);
        assert_eq!(arg(r#"{"command":{"a":1}}"#), None);
        assert_eq!(arg(r#"{"todos":{"a":1}}"#), None);
        assert_eq!(arg(r#"{"todos":"x","command":"ls"}"#), None);
        // …but null is as if it were not there.
        assert_eq!(
            arg(r#"{"command":null,"file_path":"f"}"#).as_deref(),
            Some("f")
        );
        assert_eq!(
            arg(r#"{"todos":null,"command":"ls"}"#).as_deref(),
            Some("ls")
        );
        assert_eq!(
            arg(r#"{"pattern":null,"path":"p","query":"q"}"#).as_deref(),
            Some("q")
        );
        assert_eq!(arg(r#"{"pattern":"x","path":null}"#).as_deref(), Some("x"));
        // Other members may be anything.
        assert_eq!(
            arg(r#"{"limit":5,"flag":false,"n":null,"o":{},"a":[],"url":"u"}"#).as_deref(),
            Some("u")
        );
        // `todos` counts elements, whatever they are, before every other member.
        assert_eq!(
            arg(r#"{"command":"ls","todos":[1,"a",[2,3],{"b":[]},null]}"#).as_deref(),
            Some("5 todos")
        );
        assert_eq!(arg(r#"{"todos":[]}"#).as_deref(), Some("0 todos"));
        // An input that is no object: a derived struct reads an array as its fields in order.
        assert_eq!(arg(r#"["ls"]"#).as_deref(), Some("ls"));
        assert_eq!(arg(r#""ls""#), None);
        assert_eq!(arg("5"), None);
    }

    /// A call's summary shows the argument as decoding it whole and writing it inert would, at
    /// every width, also when its first line is read off the literal without decoding.
    #[test]
    fn call_summaries_show_the_decoded_argument() {
        let inputs = [
            r#"{"command":"git commit -m \"$(cat <<'EOF'\nFix it\n\nMore\nEOF\n)\""}"#,
            r#"{"command":"ls\n"}"#,
            r#"{"command":"cd /tmp && make all  \nsecond line"}"#,
            r#"{"command":"python3 -c 'print(1)' && echo a long line\\u0041"}"#,
            r#"{"command":"ls   \n  x"}"#,
            r#"{"command":"\n\n  second line first\nthird"}"#,
            r#"{"command":"tab\there"}"#,
            r#"{"command":"caf\u00e9 \u001b[1m\nx"}"#,
            r#"{"description":"short","prompt":"long\nprompt"}"#,
            r#"{"pattern":"a\nb","path":"p"}"#,
            r#"{"file_path":"/plain/path"}"#,
            r#"{"todos":[1,2]}"#,
        ];
        for input in inputs {
            let input = raw(input);
            let decoded = key_argument(input).unwrap();
            for budget in 0..40 {
                let kind = EventKind::ToolCall {
                    message_id: None,
                    tool_use_id: None,
                    tool: Cow::Borrowed("Bash"),
                    input: Some(input),
                };
                let mut got = String::new();
                let used = push_summary(&mut got, &kind, budget);
                let mut want = String::new();
                let mut want_used = crate::render::text::push_inert(&mut want, "Bash", budget);
                want.push(' ');
                want_used += 1;
                want_used += crate::render::text::push_inert(
                    &mut want,
                    &decoded,
                    budget.saturating_sub(want_used),
                );
                assert_eq!((got.as_str(), used), (want.as_str(), want_used), "{budget}");
            }
        }
    }

    /// The scan agrees with the serde parse it replaced on the input of every tool call of the
    /// real transcripts in fixtures/corpus.
    #[test]
    fn key_argument_agrees_with_a_serde_parse_on_the_corpus() {
        #[derive(Deserialize)]
        struct Record<'a> {
            #[serde(borrow)]
            message: Option<Message<'a>>,
        }
        #[derive(Deserialize)]
        struct Message<'a> {
            #[serde(borrow)]
            content: Option<Vec<Block<'a>>>,
        }
        #[derive(Deserialize)]
        struct Block<'a> {
            #[serde(borrow)]
            input: Option<RawJson<'a>>,
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/corpus");
        let mut calls = 0;
        let mut shown = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "jsonl") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for line in text.lines() {
                let Ok(record) = serde_json::from_str::<Record<'_>>(line) else {
                    continue;
                };
                let blocks = record.message.and_then(|m| m.content).unwrap_or_default();
                for input in blocks.into_iter().filter_map(|b| b.input) {
                    let want = key_argument_serde(input.get());
                    assert_eq!(key_argument(input), want.clone().map(Cow::into_owned));
                    calls += 1;
                    shown += usize::from(want.is_some());
                }
            }
        }
        assert!(calls > 1000 && shown > 1000, "{calls} calls, {shown} shown");
    }

    /// The scan agrees with the serde parse on inputs built from pieces that trip a scanner:
    /// wanted keys at the top and nested, escapes, nulls, numbers, duplicates, whitespace.
    #[test]
    fn key_argument_agrees_with_a_serde_parse_on_mixed_inputs() {
        let keys = [
            "command",
            "pattern",
            "path",
            "todos",
            "prompt",
            "other",
            "comm\\u0061nd",
            "x\\\"y",
        ];
        let values = [
            r#""a""#,
            r#""a\"b\\""#,
            r#""\ud800""#,
            r#""\u00e9\n""#,
            "null",
            "5",
            "[]",
            r#"[1,{"command":"n"}]"#,
            r#"{"command":"n"}"#,
            "true",
        ];
        let mut next = crate::render::text::test_picker(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let mut input = String::from("{");
            for m in 0..next(5) {
                if m > 0 {
                    input.push_str(if next(3) == 0 { " , " } else { "," });
                }
                input.push('"');
                input.push_str(keys[next(keys.len())]);
                input.push_str(if next(3) == 0 { "\" :\n" } else { "\":" });
                input.push_str(values[next(values.len())]);
            }
            input.push('}');
            let Ok(raw) = RawJson::parse(&input) else {
                panic!("not JSON: {input}");
            };
            assert_eq!(
                key_argument(raw),
                key_argument_serde(raw.get()).map(Cow::into_owned),
                "{input}"
            );
        }
    }
}
