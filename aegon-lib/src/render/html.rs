//! The HTML report of sessions (`aegon --html`, `aegon html DIR -o OUT/`): one self-contained
//! file to read a session after the fact, or to attach to a pull request or a CI run.
//!
//! The document has no external resource at all (no network, no CDN, no font): its style and
//! its few lines of script are inline, its charts inline SVG drawn here ([`charts`]), its
//! images `data:` URLs. Per session: a header (title, project, models, duration, tokens by
//! kind, cost, API and tool calls with failures, subagents, tools with p50/p95), four charts
//! (cumulative cost, context fill with compactions, tokens per response, tool latency), and
//! the transcript: prompts, assistant text rendered from Markdown ([`markdown`]), thinking
//! collapsed, each tool call a `<details>` with its input and result, coloured by outcome,
//! with its duration, the subagent runs it started nested inside it, long outputs folded with
//! their size. Checkboxes filter entries by kind (a class on `<body>`); without script they
//! are hidden and everything shows. Light and dark follow `prefers-color-scheme`; print hides the filters.
//!
//! Security: every string from a transcript is escaped for where it goes ([`escape`]); raw
//! HTML in Markdown is shown as text; links are written only for `http(s)` URLs; images only
//! from base64 data of PNG, JPEG, GIF or WebP; and a Content-Security-Policy `<meta>` allows
//! nothing but the document's own style and script (by their SHA-256) and `data:` images:
//! even markup that slipped through could neither run script nor load anything.
//!
//! Numbers come from the session core ([`crate::session`]); the transcript and the charts'
//! series from [`crate::render::transcript`].

pub mod charts;
pub mod escape;
pub mod markdown;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, Write};

use sha2::{Digest, Sha256};

use self::escape::{escaped, push_escaped};
use crate::event::Event;
use crate::pipeline::Stats;
use crate::render::text::{bytes, duration, thousands};
use crate::render::transcript::{
    clock, date_time, report_sessions, session_title, spawned_by_call, Clipped, Entry, EntryKind,
    Image, Limits, ResultPart, SessionLog, ToolEntry, ToolResultEntry, TranscriptCollector,
};
use crate::render::{Flow, Renderer};
use crate::session::pricing::Pricing;
use crate::session::Session;

/// The report's style sheet (hashed into the Content-Security-Policy).
pub const STYLE: &str = include_str!("html/style.css");

/// The report's script: the filter checkboxes (hashed into the Content-Security-Policy).
pub const SCRIPT: &str = include_str!("html/script.js");

/// Texts longer than this many lines are folded (a `<details>` that says their size).
const FOLD_LINES: usize = 24;
/// Texts longer than this many bytes are folded.
const FOLD_BYTES: usize = 3_000;

/// Entry kinds the filters toggle: (class suffix, label).
const FILTERS: [(&str, &str); 7] = [
    ("prompt", "Prompts"),
    ("assistant", "Answers"),
    ("thinking", "Thinking"),
    ("tool", "Tool calls"),
    ("agent", "Subagents"),
    ("meta", "Context and system"),
    ("error", "Errors and interruptions"),
];

/// Collects everything pushed and writes one HTML document of all its sessions when the
/// input ends.
#[derive(Debug)]
pub struct HtmlRenderer<W: Write> {
    out: W,
    collector: TranscriptCollector,
}

impl<W: Write> HtmlRenderer<W> {
    /// A report of everything pushed, written to `out` at the end, priced with `pricing`.
    pub fn new(out: W, pricing: Pricing) -> Self {
        HtmlRenderer {
            out,
            collector: TranscriptCollector::new(pricing, Limits::default()),
        }
    }
}

impl<W: Write> Renderer for HtmlRenderer<W> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        self.collector.on_event(event)
    }

    fn finish(&mut self, _stats: &Stats) -> io::Result<()> {
        let collector = std::mem::take(&mut self.collector);
        let (sessions, logs) = collector.into_parts();
        let list = report_sessions(&sessions, &logs);
        self.out.write_all(document(&list).as_bytes())?;
        self.out.flush()
    }
}

/// The Content-Security-Policy of every report: nothing is allowed but the inline style and
/// script whose hashes are given, and `data:` images.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src '{}'; script-src '{}'; img-src data:; \
         base-uri 'none'; form-action 'none'",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    )
}

/// `sha256-BASE64` of `text`, as a CSP source expression.
fn csp_hash(text: &str) -> String {
    format!("sha256-{}", base64(&Sha256::digest(text.as_bytes())))
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The whole document for `sessions` (one or more), as a string.
pub fn document(sessions: &[(&Session, &SessionLog)]) -> String {
    let title = match sessions {
        [(s, _)] => session_title(s),
        [] => "No session".to_owned(),
        many => format!("{} sessions", many.len()),
    };
    let mut body = String::new();
    filters(&mut body, sessions);
    if sessions.is_empty() {
        body.push_str("<p>No session with anything in it was read.</p>\n");
    }
    for (i, (s, log)) in sessions.iter().enumerate() {
        session_article(&mut body, i, s, log);
    }
    wrap(&title, &body)
}

/// The document around `body`: head with the CSP, style, and script at the end.
fn wrap(title: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + STYLE.len() + 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        content_security_policy()
    );
    out.push_str(
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n",
    );
    let _ = writeln!(
        out,
        "<meta name=\"generator\" content=\"aegon {}\">",
        env!("CARGO_PKG_VERSION")
    );
    out.push_str("<title>");
    push_escaped(&mut out, title);
    out.push_str("</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n");
    out.push_str(body);
    let _ = write!(
        out,
        "<footer>Written by aegon {} from the transcript alone: no request was made, nothing \
         is loaded from elsewhere.</footer>\n<script>",
        env!("CARGO_PKG_VERSION")
    );
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

fn filters(out: &mut String, sessions: &[(&Session, &SessionLog)]) {
    if sessions.is_empty() {
        return;
    }
    out.push_str("<nav class=\"filters\" aria-label=\"Show entries by kind\"><span>Show:</span>");
    for (kind, label) in FILTERS {
        let _ = write!(
            out,
            "<label><input type=\"checkbox\" data-kind=\"{kind}\" checked> {label}</label>"
        );
    }
    out.push_str("</nav>\n");
}

/// The shared rule for dollar amounts ([`crate::render::text::usd`]), escaped for HTML (an
/// amount under a cent is `<$0.01`).
fn money(usd: f64) -> String {
    escaped(&crate::render::text::usd(usd))
}

fn stat(out: &mut String, label: &str, value_html: &str) {
    let _ = write!(out, "<div><dt>{label}</dt><dd>{value_html}</dd></div>");
}

fn session_article(out: &mut String, index: usize, s: &Session, log: &SessionLog) {
    let _ = write!(
        out,
        "<article class=\"session\" id=\"session-{}\" data-session=\"",
        index + 1
    );
    push_escaped(out, &s.id);
    out.push_str("\">\n<header>\n<h1>");
    push_escaped(out, &session_title(s));
    out.push_str("</h1>\n<p class=\"meta\">");
    let mut meta = Vec::new();
    if let Some(cwd) = &s.cwd {
        meta.push(format!("<code class=\"project\">{}</code>", escaped(cwd)));
    }
    if let Some(branch) = &s.git_branch {
        meta.push(format!("branch <code>{}</code>", escaped(branch)));
    }
    if let Some((ms, _)) = &s.first {
        meta.push(format!("started {}", date_time(*ms)));
    }
    if let Some(d) = s.duration_ms() {
        meta.push(format!("lasted {}", duration(d)));
    }
    if let Some(v) = &s.version {
        meta.push(format!("{} {}", s.agent.display_name(), escaped(v)));
    }
    meta.push(format!("session <code>{}</code>", escaped(&s.id)));
    out.push_str(&meta.join(" · "));
    out.push_str("</p>\n<dl class=\"stats\">");
    let models: Vec<String> = s.models.iter().map(|m| escaped(m)).collect();
    stat(
        out,
        "Models",
        &if models.is_empty() {
            "–".to_owned()
        } else {
            models.join(", ")
        },
    );
    let cost_html = match s.cost() {
        // To the micro-dollar, rounded as the shown figure is (half up, from picodollars).
        Some(c) => format!(
            "<span class=\"cost\" data-usd=\"{}\">{}</span>",
            crate::render::text::decimal_pico(crate::session::pricing::to_pico(c), 6),
            money(c)
        ),
        None => {
            let reasons: Vec<String> = s.unpriced_reasons().iter().map(|r| escaped(r)).collect();
            format!(
                "<span class=\"cost\" data-usd=\"\">unknown</span>: at least {}, {}",
                money(s.priced_cost()),
                reasons.join("; ")
            )
        }
    };
    stat(out, "Cost", &cost_html);
    let t = s.tokens();
    stat(
        out,
        "Tokens",
        &format!(
            "in {} · out {}<br>cache read {} · write {} (5m) {} (1h)",
            thousands(t.input),
            thousands(t.output),
            thousands(t.cache_read),
            thousands(t.cache_write_5m),
            thousands(t.cache_write_1h)
        ),
    );
    if t.web_search > 0 {
        // Billed per search, in the cost above; not tokens.
        stat(out, "Web searches", &thousands(t.web_search));
    }
    if t.total_input() > 0 {
        let share = t.cache_read as f64 / t.total_input() as f64 * 100.0;
        stat(
            out,
            "Prompt cache",
            &format!("{share:.0}% of input read from cache"),
        );
    }
    stat(
        out,
        "API calls",
        &format!(
            "{}{}",
            thousands(s.api_calls()),
            match (s.api_errors, s.retries) {
                (0, 0) => String::new(),
                (e, r) => format!(" ({e} errors, {r} retries)"),
            }
        ),
    );
    stat(
        out,
        "Tool calls",
        &format!(
            "<span class=\"tool-calls\">{}</span> (<span class=\"tool-errors\">{}</span> failed)",
            thousands(s.tool_calls()),
            s.tool_errors()
        ),
    );
    stat(
        out,
        "Prompts",
        &format!(
            "{}{}",
            s.prompts,
            if s.interruptions > 0 {
                format!(" ({} interruptions)", s.interruptions)
            } else {
                String::new()
            }
        ),
    );
    stat(out, "Subagents", &s.subagents.len().to_string());
    if s.compactions > 0 {
        stat(out, "Compactions", &s.compactions.to_string());
    }
    if let Some(ctx) = &s.context {
        stat(
            out,
            "Context at the end",
            &format!(
                "{} of {} ({})",
                thousands(ctx.tokens),
                thousands(ctx.window),
                super::text::percent(ctx.fraction() * 100.0)
            ),
        );
    }
    out.push_str("</dl>\n");
    tools_table(out, s);
    subagents_table(out, s, log);
    out.push_str("</header>\n");
    let mut charts = String::new();
    charts::cost(&mut charts, &log.series);
    charts::context(&mut charts, &log.series);
    charts::responses(&mut charts, &log.series);
    charts::latency(&mut charts, s);
    if !charts.is_empty() {
        out.push_str("<h2>Charts</h2>\n<section class=\"charts\">\n");
        out.push_str(&charts);
        out.push_str("</section>\n");
    }
    out.push_str("<h2>Transcript</h2>\n<section class=\"transcript\">\n");
    let spawned = spawned_by_call(s);
    let call_ids: HashSet<&str> = log.tool_ids().collect();
    // Runs written under the call that started them (not where their first line came).
    let nested: HashSet<&str> = spawned
        .iter()
        .filter(|(call, _)| call_ids.contains(*call))
        .flat_map(|(_, keys)| keys.iter().copied())
        .collect();
    let mut ctx = Chain {
        session: s,
        log,
        spawned: &spawned,
        nested: &nested,
        written: HashSet::new(),
    };
    ctx.chain(out, None);
    // Runs of agents whose spawning call or first line is not in this transcript.
    let rest: Vec<&str> = log
        .agents
        .keys()
        .map(String::as_str)
        .filter(|k| !ctx.written.contains(k))
        .collect();
    for key in rest {
        ctx.agent(out, key);
    }
    out.push_str("</section>\n</article>\n");
}

fn tools_table(out: &mut String, s: &Session) {
    if s.tools.is_empty() {
        return;
    }
    let mut tools: Vec<_> = s.tools.iter().collect();
    tools.sort_by(|a, b| b.1.calls.cmp(&a.1.calls).then(a.0.cmp(b.0)));
    out.push_str(
        "<details class=\"tools-table\"><summary>Tools</summary><table><thead><tr><th>tool</th>\
         <th class=\"n\">calls</th><th class=\"n\">failed</th><th class=\"n\">p50</th>\
         <th class=\"n\">p95</th></tr></thead><tbody>\n",
    );
    for (name, t) in tools {
        let p = |q| t.durations.percentile(q).map_or("–".to_owned(), duration);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td></tr>",
            escaped(name),
            thousands(t.calls),
            t.errors,
            p(50.0),
            p(95.0)
        );
    }
    out.push_str("</tbody></table></details>\n");
}

fn subagents_table(out: &mut String, s: &Session, log: &SessionLog) {
    if s.subagents.is_empty() {
        return;
    }
    let tool_of_call: HashMap<&str, &str> = std::iter::once(&log.main)
        .chain(log.agents.values())
        .flatten()
        .filter_map(|e| match &e.kind {
            EntryKind::Tool(t) => Some((t.id.as_deref()?, t.tool.as_str())),
            _ => None,
        })
        .collect();
    out.push_str(
        "<details class=\"agents-table\"><summary>Subagents</summary><table><thead><tr>\
         <th>agent</th><th>started by</th><th class=\"n\">API calls</th>\
         <th class=\"n\">tool calls</th><th class=\"n\">tokens</th></tr></thead><tbody>\n",
    );
    for (key, a) in &s.subagents {
        let by = match a.spawned_by.as_deref() {
            Some(call) => format!(
                "{} <code>{}</code>",
                escaped(tool_of_call.get(call).copied().unwrap_or("call")),
                escaped(call)
            ),
            None if a.compaction => "compaction".to_owned(),
            None => "–".to_owned(),
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{by}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td></tr>",
            escaped(key),
            a.api_calls,
            a.tool_calls,
            thousands(a.tokens.total_input() + a.tokens.output)
        );
    }
    out.push_str("</tbody></table></details>\n");
}

/// Writes chains of entries, nesting subagent runs under their calls.
struct Chain<'a> {
    session: &'a Session,
    log: &'a SessionLog,
    spawned: &'a HashMap<&'a str, Vec<&'a str>>,
    nested: &'a HashSet<&'a str>,
    written: HashSet<&'a str>,
}

impl<'a> Chain<'a> {
    fn chain(&mut self, out: &mut String, key: Option<&str>) {
        let log = self.log;
        for entry in log.chain(key) {
            self.entry(out, entry);
        }
    }

    fn agent(&mut self, out: &mut String, key: &'a str) {
        if !self.written.insert(key) {
            return;
        }
        let sub = self.session.subagents.get(key);
        out.push_str("<details class=\"agent k-agent\"><summary>Subagent <code>");
        push_escaped(out, key);
        out.push_str("</code>");
        if let Some(a) = sub {
            let _ = write!(
                out,
                "<span class=\"size\">{} API calls · {} tool calls · {} tokens</span>",
                a.api_calls,
                a.tool_calls,
                thousands(a.tokens.total_input() + a.tokens.output)
            );
        }
        out.push_str("</summary>\n<div class=\"chain\">\n");
        self.chain(out, Some(key));
        out.push_str("</div></details>\n");
    }

    fn entry(&mut self, out: &mut String, entry: &'a Entry) {
        let time = entry
            .at
            .map(|ms| format!("<time>{}</time>", clock(ms)))
            .unwrap_or_default();
        match &entry.kind {
            EntryKind::Prompt(text) => {
                let _ = write!(
                    out,
                    "<section class=\"entry prompt k-prompt\"><h3 class=\"who\">Prompt{time}</h3>"
                );
                plain(out, text, "plain");
                out.push_str("</section>\n");
            }
            EntryKind::Meta(text) => {
                out.push_str("<details class=\"entry meta k-meta\"><summary>Context ");
                gist(out, &text.text);
                out.push_str("</summary>");
                plain(out, text, "plain");
                out.push_str("</details>\n");
            }
            EntryKind::Interrupt(text) => {
                out.push_str("<p class=\"entry note k-error\">⏹ ");
                push_escaped(out, text);
                let _ = writeln!(out, "{time}</p>");
            }
            EntryKind::CompactSummary(text) => {
                out.push_str(
                    "<details class=\"entry meta k-meta\"><summary>Summary the conversation \
                     continues from</summary><div class=\"md\">",
                );
                markdown::push_markdown(out, &text.text);
                cut_note(out, text);
                out.push_str("</div></details>\n");
            }
            EntryKind::Image(image) => {
                out.push_str("<figure class=\"entry image k-prompt\">");
                image_html(out, image);
                out.push_str("</figure>\n");
            }
            EntryKind::Assistant { text, .. } => {
                let _ = write!(
                    out,
                    "<section class=\"entry assistant k-assistant\"><h3 class=\"who\">{}{time}</h3><div class=\"md\">",
                    self.session.agent.assistant_name()
                );
                markdown::push_markdown(out, &text.text);
                cut_note(out, text);
                out.push_str("</div></section>\n");
            }
            EntryKind::Thinking { text, redacted } => {
                out.push_str("<details class=\"entry thinking k-thinking\"><summary>Thinking");
                if *redacted {
                    out.push_str(" (redacted)");
                } else if text.text.is_empty() {
                    out.push_str(" (not kept)");
                } else {
                    let _ = write!(
                        out,
                        "<span class=\"size\">{} words</span>",
                        thousands(text.text.split_whitespace().count() as u64)
                    );
                }
                out.push_str("</summary>");
                if !text.text.is_empty() {
                    plain(out, text, "plain");
                }
                out.push_str("</details>\n");
            }
            EntryKind::Tool(call) => self.tool(out, call),
            EntryKind::OrphanResult { id, result } => {
                out.push_str("<details class=\"entry result-orphan k-tool\"><summary>Result of a call not in this transcript");
                if let Some(id) = id {
                    out.push_str(" <code>");
                    push_escaped(out, id);
                    out.push_str("</code>");
                }
                out.push_str("</summary>");
                result_html(out, result);
                out.push_str("</details>\n");
            }
            EntryKind::System {
                subtype,
                level,
                text,
            } => {
                let level = level.as_deref().unwrap_or("info");
                let class = if matches!(level, "error" | "warning") {
                    "k-error"
                } else {
                    "k-meta"
                };
                out.push_str("<details class=\"entry system ");
                out.push_str(class);
                out.push_str("\"><summary>System");
                for part in [subtype.as_deref(), Some(level)].into_iter().flatten() {
                    out.push_str(" · ");
                    push_escaped(out, part);
                }
                out.push_str(": ");
                gist(out, &text.text);
                out.push_str("</summary>");
                plain(out, text, "plain");
                out.push_str("</details>\n");
            }
            EntryKind::Compact {
                trigger,
                pre_tokens,
                post_tokens,
            } => {
                out.push_str("<p class=\"entry compact k-meta\">Conversation compacted");
                if let Some(t) = trigger {
                    out.push_str(" (");
                    push_escaped(out, t);
                    out.push(')');
                }
                if let (Some(a), Some(b)) = (pre_tokens, post_tokens) {
                    let _ = write!(out, ": {} → {} tokens", thousands(*a), thousands(*b));
                } else if let Some(a) = pre_tokens {
                    let _ = write!(out, ": {} tokens before", thousands(*a));
                }
                let _ = writeln!(out, "{time}</p>");
            }
            EntryKind::ApiError {
                status,
                text,
                fatal,
            } => {
                let _ = write!(
                    out,
                    "<p class=\"entry api-error k-error\">{}",
                    if *fatal { "API error" } else { "API retry" }
                );
                if let Some(s) = status {
                    let _ = write!(out, " {s}");
                }
                if let Some(t) = text {
                    out.push_str(": ");
                    let clipped = Clipped::new(t, 500);
                    push_escaped(out, &clipped.text);
                    if clipped.is_cut() {
                        out.push('…');
                    }
                }
                let _ = writeln!(out, "{time}</p>");
            }
            EntryKind::Agent(key) => {
                if !self.nested.contains(key.as_str()) {
                    self.agent(out, key);
                }
            }
        }
    }

    fn tool(&mut self, out: &mut String, call: &'a ToolEntry) {
        let (class, mark, label) = match &call.result {
            Some(r) if r.is_error => ("error", "✗", "failed"),
            Some(_) => ("ok", "✓", "ok"),
            None => ("none", "…", "no result"),
        };
        let _ = write!(
            out,
            "<details class=\"entry tool k-tool {class}\"><summary><span class=\"status\" title=\"{label}\" aria-label=\"{label}\">{mark}</span> <span class=\"tool-name\">"
        );
        push_escaped(out, &call.tool);
        out.push_str("</span> ");
        if let Some(g) = tool_gist(call) {
            out.push_str("<span class=\"gist\">");
            gist(out, g);
            out.push_str("</span>");
        }
        if let Some(ms) = call.result.as_ref().and_then(|r| r.duration_ms) {
            let _ = write!(out, "<span class=\"dur\">{}</span>", duration(ms));
        }
        out.push_str("</summary>\n");
        if !call.input.is_empty() {
            out.push_str("<dl class=\"input\">");
            for f in &call.input {
                out.push_str("<dt>");
                push_escaped(out, &f.name);
                out.push_str("</dt><dd>");
                folded(out, &f.value, "pre");
                out.push_str("</dd>");
            }
            out.push_str("</dl>\n");
        }
        match &call.result {
            Some(r) => result_html(out, r),
            None => out.push_str("<p class=\"cut\">No result in the transcript.</p>"),
        }
        if let Some(keys) = call.id.as_deref().and_then(|id| self.spawned.get(id)) {
            for key in keys {
                self.agent(out, key);
            }
        }
        out.push_str("</details>\n");
    }
}

/// The input field that says what a call does (`command`, `file_path`, …), if any.
fn tool_gist(call: &ToolEntry) -> Option<&str> {
    const KEYS: [&str; 12] = [
        "command",
        "file_path",
        "notebook_path",
        "path",
        "pattern",
        "url",
        "query",
        "description",
        "skill",
        "subject",
        "prompt",
        "content",
    ];
    KEYS.iter()
        .find_map(|k| {
            call.input
                .iter()
                .find(|f| f.is_text && f.name == *k && !f.value.text.trim().is_empty())
        })
        .or_else(|| call.input.iter().find(|f| f.is_text))
        .map(|f| f.value.text.as_str())
}

/// The first non-blank line of `text`, cut at 120 characters, escaped.
fn gist(out: &mut String, text: &str) {
    let line = crate::render::text::first_line(text);
    let mut shown: String = line.chars().take(120).collect();
    if shown.len() < line.len() || text.trim().len() > line.len() {
        shown.push('…');
    }
    push_escaped(out, &shown);
}

fn result_html(out: &mut String, r: &ToolResultEntry) {
    let _ = write!(
        out,
        "<div class=\"output{}\">",
        if r.is_error { " error" } else { "" }
    );
    if r.parts.is_empty() {
        out.push_str("<p class=\"cut\">(empty result)</p>");
    }
    for part in &r.parts {
        match part {
            ResultPart::Text(t) => folded(out, t, "pre"),
            ResultPart::Image(img) => image_html(out, img),
            ResultPart::Other(kind) => {
                out.push_str("<p class=\"cut\">[");
                push_escaped(out, kind);
                out.push_str("]</p>");
            }
        }
    }
    out.push_str("</div>\n");
}

fn image_html(out: &mut String, image: &Image) {
    let media = image.media_type.as_deref().unwrap_or("image");
    match (&image.base64, &image.media_type) {
        (Some(data), Some(media)) => {
            // Both checked when kept: one of four image types, and plain base64.
            let _ = write!(
                out,
                "<img class=\"shot\" src=\"data:{media};base64,{data}\" alt=\"image ({})\">",
                bytes(image.len)
            );
        }
        _ => {
            out.push_str("<p class=\"cut\">[");
            push_escaped(out, media);
            let _ = write!(out, ", {} of data, not shown]</p>", bytes(image.len));
        }
    }
}

/// A text in a `<pre>` (or a `plain` div), folded when long, with a note when cut.
fn folded(out: &mut String, text: &Clipped, class: &str) {
    let lines = text.lines();
    let fold = lines > FOLD_LINES || text.full_len > FOLD_BYTES;
    if fold {
        let _ = write!(
            out,
            "<details class=\"fold\"><summary>{} lines, {}</summary>",
            thousands(lines as u64),
            bytes(text.full_len as u64)
        );
    }
    if class == "pre" {
        out.push_str("<pre>");
        push_escaped(out, &text.text);
        out.push_str("</pre>");
    } else {
        let _ = write!(out, "<div class=\"{class}\">");
        push_escaped(out, &text.text);
        out.push_str("</div>");
    }
    cut_note(out, text);
    if fold {
        out.push_str("</details>");
    }
}

fn plain(out: &mut String, text: &Clipped, class: &str) {
    folded(out, text, class);
}

fn cut_note(out: &mut String, text: &Clipped) {
    if text.is_cut() {
        let _ = write!(
            out,
            "<p class=\"cut\">… {} more not shown (the transcript has it all).</p>",
            bytes((text.full_len - text.text.len()) as u64)
        );
    }
}

/// One row of the index page of `aegon html DIR -o OUT/`.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRow {
    /// The report's file name, relative to the index (made by aegon, never from a transcript
    /// as is: see [`report_file_name`]).
    pub file: String,
    /// The session's title.
    pub title: String,
    /// Working directory.
    pub project: Option<String>,
    /// First timestamp (ms since the epoch).
    pub started_ms: Option<i64>,
    /// First to last timestamp.
    pub duration_ms: Option<u64>,
    /// Cost in dollars (`None`: unknown).
    pub cost: Option<f64>,
    /// Tool calls.
    pub tool_calls: u64,
    /// Failed tool calls.
    pub tool_errors: u64,
}

impl IndexRow {
    /// The row of session `s`, whose report is `file`.
    pub fn new(s: &Session, file: String) -> Self {
        IndexRow {
            file,
            title: session_title(s),
            project: s.cwd.clone(),
            started_ms: s.first.as_ref().map(|f| f.0),
            duration_ms: s.duration_ms(),
            cost: s.cost(),
            tool_calls: s.tool_calls(),
            tool_errors: s.tool_errors(),
        }
    }
}

/// The file name of a session's report: its id when that is made of letters, digits, `-` and
/// `_` only (Claude Code's are UUIDs), else `session-N`; always ending in `.html`.
pub fn report_file_name(session_id: &str, n: usize) -> String {
    let ok = !session_id.is_empty()
        && session_id.len() <= 100
        && session_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        format!("{session_id}.html")
    } else {
        format!("session-{n}.html")
    }
}

/// The index page: one row per report, newest first.
pub fn index_document(rows: &[IndexRow]) -> String {
    let mut rows: Vec<&IndexRow> = rows.iter().collect();
    rows.sort_by(|a, b| b.started_ms.cmp(&a.started_ms).then(a.file.cmp(&b.file)));
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<header><h1>{} sessions</h1></header>\n<table class=\"index\"><thead><tr><th>session</th>\
         <th>project</th><th>started</th><th class=\"n\">lasted</th><th class=\"n\">cost</th>\
         <th class=\"n\">tool calls</th></tr></thead><tbody>",
        rows.len()
    );
    for r in rows {
        body.push_str("<tr><td><a href=\"");
        push_escaped(&mut body, &r.file);
        body.push_str("\">");
        push_escaped(&mut body, &r.title);
        body.push_str("</a></td><td><code>");
        push_escaped(&mut body, r.project.as_deref().unwrap_or(""));
        let _ = writeln!(
            body,
            "</code></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{} ({} failed)</td></tr>",
            r.started_ms.map(date_time).unwrap_or_default(),
            r.duration_ms.map(duration).unwrap_or_default(),
            r.cost.map_or("unknown".to_owned(), money),
            thousands(r.tool_calls),
            r.tool_errors
        );
    }
    body.push_str("</tbody></table>\n");
    wrap("aegon: sessions", &body)
}

#[cfg(test)]
mod tests;
