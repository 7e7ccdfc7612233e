//! Sessions as GitHub-flavoured Markdown (`aegon --markdown [--detail full|tools|prompts]`):
//! to paste into an issue or a pull request, or to hand back to a model.
//!
//! Per session: a heading with the title, a line of numbers (models, duration, tokens, cost,
//! tool calls and failures, subagents), then the transcript: prompts as block quotes, the
//! assistant's text as it was written (it is Markdown already), thinking and tool calls in
//! `<details>` blocks (input and result in code fences longer than any run of backticks inside
//! them, so a transcript cannot close them), subagent runs nested under the call that started
//! them. [`Detail`] trims it. Long tool inputs and outputs are cut at [`TOOL_CHARS`] bytes with
//! their size said (GitHub takes 65,536 characters per comment).
//!
//! Text is made inert for a terminal (control characters become visible pictures: the output
//! may go to one), and for GitHub's Markdown renderer: nothing from a transcript can write raw
//! HTML (a `<!--` in a title would hide the rest of an issue, a `</details>` would break the
//! folding). Titles, prompts, image types and interruptions are escaped as Markdown text
//! (`\<`, `\*`…), so they show as written; project, models and field names are
//! code spans whose fence nothing inside can close; tool input and output are in code fences
//! the same way; the HTML this writes itself (`<details>`, `<summary>`) holds only escaped
//! text. The assistant's text stays Markdown, but its raw HTML, its images and its links
//! other than `http(s)` are neutralised as the HTML report does (pulldown-cmark finds them:
//! raw HTML's `<` becomes `&lt;`, an image's `!` and such a link's `[` are escaped, so no image
//! is ever loaded and no `javascript:` link stays live) and a code fence it
//! leaves open is closed, so it cannot swallow what follows. Its line ends are made `\n` and
//! its control characters visible *before* that check, so the check sees the text written
//! (a `\r` shown as `␍` after a closing fence would make it no closing fence).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use pulldown_cmark::{CodeBlockKind, Event as MdEvent, Options, Parser, Tag};

use crate::render::text::safe_url;

use crate::event::Event;
use crate::pipeline::Stats;
use crate::render::text::{bytes, duration, first_line, inert_char, thousands, usd};
use crate::render::transcript::{
    clock, date_time, report_sessions, session_title, spawned_by_call, Clipped, Entry, EntryKind,
    Limits, ResultPart, SessionLog, ToolEntry, TranscriptCollector,
};
use crate::render::{Flow, Renderer};
use crate::session::pricing::Pricing;
use crate::session::{Session, Sessions};

/// Bytes of a tool input field or result written before it is cut.
pub const TOOL_CHARS: usize = 4_000;

/// How much of a session to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// Everything: prompts, answers, thinking, tool calls with input and result, subagents.
    #[default]
    Full,
    /// Prompts, answers and one line per tool call (name, what, outcome, duration).
    Tools,
    /// Prompts and answers only.
    Prompts,
}

impl Detail {
    /// The names [`Detail::from_name`] takes, as `--detail` lists them.
    pub const NAMES: [&'static str; 3] = ["full", "tools", "prompts"];

    /// `full`, `tools` or `prompts`.
    pub fn from_name(name: &str) -> Option<Detail> {
        match name {
            "full" => Some(Detail::Full),
            "tools" => Some(Detail::Tools),
            "prompts" => Some(Detail::Prompts),
            _ => None,
        }
    }
}

/// Collects everything pushed and writes its sessions as Markdown when the input ends.
#[derive(Debug)]
pub struct MarkdownRenderer<W: Write> {
    out: W,
    detail: Detail,
    collector: TranscriptCollector,
}

impl<W: Write> MarkdownRenderer<W> {
    /// Markdown of everything pushed, at `detail`, written to `out` at the end.
    pub fn new(out: W, detail: Detail, pricing: Pricing) -> Self {
        MarkdownRenderer {
            out,
            detail,
            collector: TranscriptCollector::new(
                pricing,
                Limits {
                    text: Limits::default().text,
                    tool: TOOL_CHARS,
                },
            ),
        }
    }
}

impl<W: Write> Renderer for MarkdownRenderer<W> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        self.collector.on_event(event)
    }

    fn finish(&mut self, _stats: &Stats) -> io::Result<()> {
        let collector = std::mem::take(&mut self.collector);
        let (sessions, logs) = collector.into_parts();
        let text = markdown(&sessions, &logs, self.detail);
        self.out.write_all(text.as_bytes())?;
        self.out.flush()
    }
}

/// The Markdown of every non-empty session, in the order they started.
pub fn markdown(
    sessions: &Sessions,
    logs: &std::collections::BTreeMap<String, SessionLog>,
    detail: Detail,
) -> String {
    let list = report_sessions(sessions, logs);
    let mut out = String::new();
    for (i, (s, log)) in list.into_iter().enumerate() {
        if i > 0 {
            out.push_str("\n---\n\n");
        }
        session(&mut out, s, log, detail);
    }
    out
}

/// `text` with control characters made visible (newlines and tabs kept).
fn inert(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            c => inert_char(c),
        })
        .collect()
}

/// `text` with CommonMark's other line endings (`\r\n`, a lone `\r`) written as `\n`, so that
/// [`inert`] keeps them as line ends instead of showing `\r` as `␍`.
fn line_feeds(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\r') {
        std::borrow::Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// `text` escaped for HTML written inside Markdown (`<summary>`), on one line.
fn html_text(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push(' '),
            // Markdown inside HTML blocks is not parsed, but keep emphasis and code marks inert.
            '*' | '_' | '`' | '[' | ']' | '\\' | '|' => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c => out.push(inert_char(c)),
        }
    }
    out
}

/// `text` escaped as Markdown text: shown as written, with no markup of its own. Every
/// character that can start Markdown or HTML syntax inline (`\ ` * _ [ ] < > & # | ~`; `!`
/// needs none once `[` has one) is backslash-escaped (CommonMark §2.4: any ASCII punctuation may be), and so is what makes a
/// line a list item, heading underline or ordered item (`-`, `+`, `=` first on a line, the
/// `.` or `)` after leading digits). Control characters become pictures ([`inert`]).
fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (i, line) in inert(text).split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        let body = &line[indent..];
        out.push_str(&line[..indent]);
        let digits = body.len() - body.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        for (j, c) in body.char_indices() {
            let structural = (j == 0 && matches!(c, '-' | '+' | '='))
                || (j == digits && digits > 0 && matches!(c, '.' | ')'));
            if structural || "\\`*_[]<>&#|~".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// The options GitHub-flavoured Markdown is parsed with here.
fn gfm() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// The assistant's Markdown `text` with its raw HTML, images and non-web links neutralised
/// and an open code fence closed, so that it renders as Markdown but cannot write an element
/// or comment, load anything, hold a `javascript:` link, nor run on into what follows it.
///
/// pulldown-cmark (a CommonMark parser, GitHub's dialect for tables, strikethrough and task
/// lists) finds the raw HTML (HTML blocks and inline HTML), whose `<` become `&lt;` (shown as
/// `<`); then, the rule of the HTML report ([`crate::render::text::safe_url`]): an image is
/// never loaded (its `!` is escaped, leaving a link to the image: `[alt](url)`), and a link
/// whose target is not an `http(s)` URL is shown as its text (its `[` or `<` escaped). The rest
/// of the text is left byte for byte. Escaping can change how the text around it parses (a
/// `<` that opened an HTML block no longer does, a link's target shown as text may hold HTML),
/// so this repeats until a parse finds none of them; each round escapes at least one `<`, `!`
/// or `[`, so it ends. Then, if a line after the text would still be inside a fenced code
/// block, the block's fence is written after the text; when that is not enough (never seen),
/// the whole text goes into a code fence.
fn neutral_markdown(text: &str) -> String {
    let mut text = text.to_owned();
    loop {
        let html: Vec<std::ops::Range<usize>> = Parser::new_ext(&text, gfm())
            .into_offset_iter()
            .filter(|(e, _)| matches!(e, MdEvent::Html(_) | MdEvent::InlineHtml(_)))
            .map(|(_, r)| r)
            .filter(|r| text.get(r.clone()).is_some_and(|s| s.contains('<')))
            .collect();
        if html.is_empty() {
            // Where an image or a link that is not to the web starts (`!`, `[` or `<`).
            let starts: Vec<usize> = Parser::new_ext(&text, gfm())
                .into_offset_iter()
                .filter(|(e, _)| match e {
                    MdEvent::Start(Tag::Image { .. }) => true,
                    MdEvent::Start(Tag::Link { dest_url, .. }) => safe_url(dest_url).is_none(),
                    _ => false,
                })
                .map(|(_, r)| r.start)
                .filter(|&at| matches!(text.as_bytes().get(at), Some(b'!' | b'[' | b'<')))
                .collect();
            if starts.is_empty() {
                break;
            }
            for at in starts.into_iter().rev() {
                text.insert(at, '\\');
            }
            continue;
        }
        let mut next = String::with_capacity(text.len() + 16);
        let mut at = 0;
        for r in html {
            if r.start < at {
                continue;
            }
            next.push_str(&text[at..r.start]);
            next.push_str(&text[r.clone()].replace('<', "&lt;"));
            at = r.end;
        }
        next.push_str(&text[at..]);
        text = next;
    }
    for _ in 0..4 {
        match open_fence(&text) {
            None => return text,
            Some(fence) => {
                text.push('\n');
                text.push_str(&fence);
            }
        }
    }
    let mut out = String::new();
    fence(&mut out, "markdown", &text);
    out
}

/// The fence that closes the top-level fenced code block `text` leaves open, if it does
/// (`Some("")` when a line written after `text` would not be top-level text for another
/// reason): found by parsing `text` with a probe line after it.
fn open_fence(text: &str) -> Option<String> {
    let probed = format!("{text}\n\naegon-probe\n");
    let probe_at = text.len() + 2;
    let mut depth = 0usize;
    for (event, range) in Parser::new_ext(&probed, gfm()).into_offset_iter() {
        match event {
            MdEvent::Start(tag) => {
                if depth == 0 && range.start <= probe_at && probe_at < range.end {
                    return match tag {
                        Tag::Paragraph if range.start == probe_at => None,
                        Tag::CodeBlock(CodeBlockKind::Fenced(_)) => {
                            let opener = probed[range.start..].trim_start_matches(' ');
                            let c = opener.chars().next().unwrap_or('`');
                            let n = opener.len() - opener.trim_start_matches(c).len();
                            Some(c.to_string().repeat(n.max(3)))
                        }
                        _ => Some(String::new()),
                    };
                }
                depth += 1;
            }
            MdEvent::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Some(String::new())
}

/// A fenced code block around `text`, its fence longer than any backtick run inside.
fn fence(out: &mut String, lang: &str, text: &str) {
    let ticks = "`".repeat(longest_run(text, '`').max(2) + 1);
    let _ = writeln!(out, "{ticks}{lang}");
    out.push_str(&inert(text));
    if !text.ends_with('\n') {
        out.push('\n');
    }
    let _ = writeln!(out, "{ticks}");
}

fn cut_note(out: &mut String, text: &Clipped) {
    if text.is_cut() {
        let _ = writeln!(
            out,
            "\n*… {} more not shown.*",
            bytes((text.full_len - text.text.len()) as u64)
        );
    }
}

fn session(out: &mut String, s: &Session, log: &SessionLog, detail: Detail) {
    let title = session_title(s);
    let _ = writeln!(out, "# {}\n", md_text(&title.replace('\n', " ")));
    let mut facts = Vec::new();
    if let Some(cwd) = &s.cwd {
        facts.push(format!("**Project** {}", code_span(cwd)));
    }
    if let Some((ms, _)) = &s.first {
        facts.push(format!("**Started** {}", date_time(*ms)));
    }
    if let Some(d) = s.duration_ms() {
        facts.push(format!("**Lasted** {}", duration(d)));
    }
    if !s.models.is_empty() {
        let models: Vec<String> = s.models.iter().map(|m| code_span(m)).collect();
        facts.push(format!("**Models** {}", models.join(", ")));
    }
    // Claude Code, the common case, goes unsaid (as in the dashboard).
    if s.agent != crate::event::Agent::ClaudeCode {
        facts.push(format!("**Agent** {}", s.agent.display_name()));
    }
    facts.push(format!(
        "**Cost** {}",
        match s.cost() {
            Some(c) => usd(c),
            None => format!("unknown (at least {})", usd(s.priced_cost())),
        }
    ));
    let t = s.tokens();
    facts.push(format!(
        "**Tokens** in {} · out {} · cache read {} · cache write {}",
        thousands(t.input),
        thousands(t.output),
        thousands(t.cache_read),
        thousands(t.cache_write_5m + t.cache_write_1h)
    ));
    if t.web_search > 0 {
        // Billed per search, in the cost above; not tokens.
        facts.push(format!("**Web searches** {}", thousands(t.web_search)));
    }
    facts.push(format!(
        "**Tool calls** {} ({} failed)",
        thousands(s.tool_calls()),
        s.tool_errors()
    ));
    if !s.subagents.is_empty() {
        facts.push(format!("**Subagents** {}", s.subagents.len()));
    }
    if s.compactions > 0 {
        facts.push(format!("**Compactions** {}", s.compactions));
    }
    out.push_str(&facts.join(" · "));
    out.push_str("\n\n");
    let spawned = spawned_by_call(s);
    let mut w = Writer {
        session: s,
        log,
        detail,
        spawned: &spawned,
        calls: log.tool_ids().collect(),
        written: Default::default(),
    };
    w.chain(out, None, 0);
    let rest: Vec<&str> = log
        .agents
        .keys()
        .map(String::as_str)
        .filter(|k| !w.written.contains(k))
        .collect();
    for key in rest {
        w.agent(out, key, 0);
    }
}

/// `` `text` `` with a fence of backticks that `text` cannot close (one longer than any run
/// inside), on one line; a code span shows its text as written, raw HTML included.
fn code_span(text: &str) -> String {
    let text = inert(text).replace(['\n', '\r'], " ");
    let ticks = "`".repeat(longest_run(&text, '`') + 1);
    if text.contains('`') || text.starts_with(' ') || text.ends_with(' ') {
        format!("{ticks} {text} {ticks}")
    } else {
        format!("{ticks}{text}{ticks}")
    }
}

/// The length of the longest run of `c` in `text`.
fn longest_run(text: &str, c: char) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for ch in text.chars() {
        run = if ch == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

struct Writer<'a> {
    session: &'a Session,
    log: &'a SessionLog,
    detail: Detail,
    spawned: &'a HashMap<&'a str, Vec<&'a str>>,
    calls: std::collections::HashSet<&'a str>,
    written: std::collections::HashSet<&'a str>,
}

impl<'a> Writer<'a> {
    fn chain(&mut self, out: &mut String, key: Option<&str>, depth: usize) {
        let log = self.log;
        for entry in log.chain(key) {
            self.entry(out, entry, depth);
        }
    }

    fn agent(&mut self, out: &mut String, key: &'a str, depth: usize) {
        if self.detail == Detail::Prompts || !self.written.insert(key) {
            return;
        }
        let stats = self
            .session
            .subagents
            .get(key)
            .map(|a| format!(" · {} API calls · {} tool calls", a.api_calls, a.tool_calls))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<details><summary>Subagent {}{}</summary>\n",
            html_text(key),
            stats
        );
        self.chain(out, Some(key), depth + 1);
        out.push_str("\n</details>\n\n");
    }

    fn entry(&mut self, out: &mut String, entry: &'a Entry, depth: usize) {
        let time = entry.at.map(clock).unwrap_or_default();
        match &entry.kind {
            EntryKind::Prompt(text) => {
                let _ = writeln!(out, "**Prompt** {time}\n");
                for line in md_text(&text.text).lines() {
                    let _ = writeln!(out, "> {line}");
                }
                out.push('\n');
                cut_note(out, text);
            }
            EntryKind::Assistant { text, .. } => {
                let _ = writeln!(out, "**{}** {time}\n", self.session.agent.assistant_name());
                // Made inert first, so that the fence check sees the text as written: a
                // `\r` made visible after it turned a closing "```\r\n" into "```␍", no
                // longer a closing fence, and the rest of the document into code.
                out.push_str(&neutral_markdown(&inert(&line_feeds(&text.text))));
                out.push_str("\n\n");
                cut_note(out, text);
            }
            EntryKind::Thinking { text, redacted } if self.detail == Detail::Full => {
                if *redacted || text.text.is_empty() {
                    return;
                }
                out.push_str("<details><summary>Thinking</summary>\n\n");
                fence(out, "text", &text.text);
                cut_note(out, text);
                out.push_str("\n</details>\n\n");
            }
            EntryKind::Tool(call) if self.detail != Detail::Prompts => {
                self.tool(out, call, depth);
            }
            EntryKind::Image(img) => {
                let _ = writeln!(
                    out,
                    "*[{}, {} — not included]*\n",
                    md_text(img.media_type.as_deref().unwrap_or("image")),
                    bytes(img.len)
                );
            }
            EntryKind::Interrupt(text) => {
                let _ = writeln!(out, "*{}* {time}\n", md_text(&text.replace('\n', " ")));
            }
            EntryKind::Compact {
                pre_tokens,
                post_tokens,
                ..
            } => {
                let _ = write!(out, "*Conversation compacted");
                if let (Some(a), Some(b)) = (pre_tokens, post_tokens) {
                    let _ = write!(out, ": {} → {} tokens", thousands(*a), thousands(*b));
                }
                let _ = writeln!(out, "* {time}\n");
            }
            EntryKind::ApiError {
                status,
                text,
                fatal: true,
            } => {
                let _ = writeln!(
                    out,
                    "**API error**{}: {}\n",
                    status.map(|s| format!(" {s}")).unwrap_or_default(),
                    code_span(first_line(text.as_deref().unwrap_or("")))
                );
            }
            EntryKind::Agent(key) => {
                let nested = self
                    .session
                    .subagents
                    .get(key)
                    .and_then(|a| a.spawned_by.as_deref())
                    .is_some_and(|call| self.calls.contains(call));
                if !nested {
                    self.agent(out, key, depth);
                }
            }
            _ => {}
        }
    }

    fn tool(&mut self, out: &mut String, call: &'a ToolEntry, depth: usize) {
        let (mark, dur) = match &call.result {
            Some(r) => (
                if r.is_error { "✗" } else { "✓" },
                r.duration_ms
                    .map(|d| format!(" · {}", duration(d)))
                    .unwrap_or_default(),
            ),
            None => ("…", String::new()),
        };
        let gist = call
            .input
            .iter()
            .find(|f| {
                f.is_text
                    && matches!(
                        f.name.as_str(),
                        "command"
                            | "file_path"
                            | "path"
                            | "pattern"
                            | "url"
                            | "query"
                            | "description"
                    )
            })
            .map(|f| {
                first_line(&f.value.text)
                    .chars()
                    .take(100)
                    .collect::<String>()
            })
            .unwrap_or_default();
        let summary = format!(
            "{mark} <b>{}</b> {}{dur}",
            html_text(&call.tool),
            if gist.is_empty() {
                String::new()
            } else {
                format!("<code>{}</code>", html_text(&gist))
            }
        );
        if self.detail == Detail::Tools {
            let _ = writeln!(out, "- {summary}\n");
        } else {
            let _ = writeln!(out, "<details><summary>{summary}</summary>\n");
            for f in &call.input {
                let _ = writeln!(out, "{}:", code_span(&f.name));
                fence(out, if f.is_text { "text" } else { "json" }, &f.value.text);
                cut_note(out, &f.value);
            }
            if let Some(r) = &call.result {
                let _ = writeln!(out, "\n{}:", if r.is_error { "Error" } else { "Result" });
                for part in &r.parts {
                    match part {
                        ResultPart::Text(t) => {
                            fence(out, "text", &t.text);
                            cut_note(out, t);
                        }
                        ResultPart::Image(img) => {
                            let _ = writeln!(
                                out,
                                "*[{}, {}]*",
                                md_text(img.media_type.as_deref().unwrap_or("image")),
                                bytes(img.len)
                            );
                        }
                        ResultPart::Other(kind) => {
                            let _ = writeln!(out, "*[{}]*", md_text(kind));
                        }
                    }
                }
            }
        }
        if let Some(keys) = call.id.as_deref().and_then(|id| self.spawned.get(id)) {
            for key in keys {
                self.agent(out, key, depth + 1);
            }
        }
        if self.detail != Detail::Tools {
            out.push_str("\n</details>\n\n");
        }
    }
}

#[cfg(test)]
mod injection;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{Options, Pipeline};

    fn markdown_of(text: &str, detail: Detail) -> String {
        let mut out = Vec::new();
        {
            let mut p = Pipeline::new(
                Options::default(),
                MarkdownRenderer::new(&mut out, detail, Pricing::built_in()),
            );
            let _ = p.read_to_end("t", text.as_bytes()).unwrap();
            p.finish().unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    fn fixture() -> String {
        let path = format!(
            "{}/../fixtures/corpus/marot__spotter__test__fixtures__transcripts__short.jsonl",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(path).unwrap()
    }

    /// Tool calls written in the fixture, counted from its JSON alone.
    fn tool_uses(text: &str) -> usize {
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| {
                v.pointer("/message/content")
                    .and_then(|c| c.as_array())
                    .cloned()
            })
            .flatten()
            .filter(|b| b["type"] == "tool_use")
            .count()
    }

    #[test]
    fn details_trim_the_transcript() {
        let text = fixture();
        let calls = tool_uses(&text);
        assert!(calls > 0);
        let full = markdown_of(&text, Detail::Full);
        let tools = markdown_of(&text, Detail::Tools);
        let prompts = markdown_of(&text, Detail::Prompts);
        let summaries = |s: &str| {
            s.lines()
                .filter(|l| {
                    l.starts_with("<details><summary>✓")
                        || l.starts_with("<details><summary>✗")
                        || l.starts_with("<details><summary>…")
                })
                .count()
        };
        assert_eq!(summaries(&full), calls);
        assert_eq!(tools.lines().filter(|l| l.starts_with("- ")).count(), calls);
        assert_eq!(summaries(&tools), 0);
        assert!(
            !prompts.contains("<b>"),
            "no tool calls at --detail prompts"
        );
        for s in [&full, &tools, &prompts] {
            assert!(s.starts_with("# "), "{}", &s[..80]);
            assert!(s.contains("**Prompt**") && s.contains("**Claude**"));
            assert_eq!(
                s.matches("<details>").count(),
                s.matches("</details>").count()
            );
        }
        assert!(full.len() > tools.len() && tools.len() > prompts.len());
    }

    #[test]
    fn fences_outlast_the_backticks_inside_and_summaries_are_escaped() {
        let mut out = String::new();
        fence(&mut out, "text", "a ```` b\n");
        assert_eq!(out, "`````text\na ```` b\n`````\n");
        assert_eq!(html_text("<b>*x*</b>\n"), "&lt;b&gt;&#42;x&#42;&lt;/b&gt; ");
        assert_eq!(inert("a\u{1b}[1mb\n"), "a␛[1mb\n");
        assert_eq!(code_span("a`b"), "`` a`b ``");
        assert_eq!(code_span("<!--"), "`<!--`");
    }
}
