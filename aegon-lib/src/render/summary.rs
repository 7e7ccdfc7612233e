//! The summary renderer: after the input ends, one block per session and a total, as a
//! readable table or as one JSON object (`aegon --summary [--json]`).
//!
//! Events are applied to [`Sessions`] with the clock taken from the stream itself (the latest
//! timestamp seen), so the same input always gives the same summary.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::Path;

use serde_json::{json, Value};

use crate::event::{Event, EventKind};
use crate::pipeline::Stats;
use crate::render::text::{duration, thousands, usd, usd_at_least_pico};
use crate::render::{Flow, Renderer};
use crate::session::cost_explained::{Charge, RebuildCause};
use crate::session::pricing::{Pricing, Vendor};
use crate::session::{Session, Sessions};
use crate::timestamp::parse_millis;
use crate::tokens::Tokens;

/// Version of the summary JSON schema (its `v` field).
pub const SUMMARY_SCHEMA_VERSION: u32 = 1;

/// Tools listed per session in the table (the JSON lists all).
const TOP_TOOLS: usize = 6;

/// Prompts and subagents listed per session in the table, costliest first (the JSON lists all).
const TOP_PROMPTS: usize = 3;

/// Table for people or JSON for programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryFormat {
    /// A readable block per session.
    Table,
    /// One JSON object.
    Json,
}

/// A renderer that only collects sessions (no output): the building block of
/// [`SummaryRenderer`], and of summaries built in several threads and merged.
#[derive(Debug, Default)]
pub struct SessionCollector {
    sessions: Sessions,
    now_ms: i64,
}

impl SessionCollector {
    /// A collector pricing with `pricing`.
    pub fn new(pricing: Pricing) -> Self {
        SessionCollector {
            sessions: Sessions::with_pricing(pricing),
            now_ms: 0,
        }
    }

    /// A collector that goes on from `sessions` (for instance sessions made
    /// [`Sessions::without_prompt_costs`]).
    pub fn from_sessions(sessions: Sessions) -> Self {
        SessionCollector {
            sessions,
            now_ms: 0,
        }
    }

    /// The sessions collected so far.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// The sessions collected.
    pub fn into_sessions(self) -> Sessions {
        self.sessions
    }

    /// The sessions `aegon --summary` lists, in its order: in the order they started (those
    /// without a timestamp last), leaving out the empty ones ([`Session::is_empty`]: a warm-up
    /// file's session). Their figures are the summary's, line for line.
    pub fn listed(&self) -> Vec<&Session> {
        chronological(&self.sessions)
    }
}

impl Renderer for SessionCollector {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        if let Some(ms) = event.timestamp.as_deref().and_then(parse_millis) {
            self.now_ms = self.now_ms.max(ms);
        }
        apply_to_its_session(&mut self.sessions, event, self.now_ms);
        Ok(ControlFlow::Continue(()))
    }
}

/// Collects sessions and writes their summary when the input ends.
#[derive(Debug)]
pub struct SummaryRenderer<W: Write> {
    out: W,
    format: SummaryFormat,
    collector: SessionCollector,
    /// Told each [`unread_subagent_notes`] after the summary, when set.
    note: Option<fn(&str)>,
}

impl<W: Write> SummaryRenderer<W> {
    /// A summary of everything pushed, written to `out` at the end, priced with `pricing`.
    pub fn new(out: W, format: SummaryFormat, pricing: Pricing) -> Self {
        SummaryRenderer {
            out,
            format,
            collector: SessionCollector::new(pricing),
            note: None,
        }
    }

    /// Tells `note` each of [`unread_subagent_notes`] once the summary is written (the binary
    /// says them on stderr, so that the summary's output stays the same).
    pub fn with_notes(mut self, note: fn(&str)) -> Self {
        self.note = Some(note);
        self
    }

    /// The sessions collected so far.
    pub fn sessions(&self) -> &Sessions {
        self.collector.sessions()
    }
}

impl<W: Write> Renderer for SummaryRenderer<W> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        self.collector.on_event(event)
    }

    fn finish(&mut self, stats: &Stats) -> io::Result<()> {
        write_summary(
            &mut self.out,
            self.format,
            &mut self.collector.sessions,
            stats,
        )?;
        if let Some(note) = self.note {
            for line in unread_subagent_notes(&self.collector.sessions) {
                note(&line);
            }
        }
        Ok(())
    }
}

/// One line per session with workflow runs it launched of which no agent's line was read
/// ([`Session::unread_workflow_runs`]), and one per session with subagents that a Task result
/// (`toolUseResult.agentId`) or an
/// `agent_progress` line (`data.agentId`) names and of which no line was read
/// ([`crate::session::Named::unread_subagents`]): its usage is missing from its session's
/// figures, which are then a lower bound. Claude Code moved subagent transcripts three times
/// (inline, `agent-*.jsonl` beside the session, `SESSION/subagents/`); a fourth layout, a
/// deleted file or a session file named without its folder would otherwise lose them unsaid
/// (tester7 finding 9).
pub fn unread_subagent_notes(sessions: &Sessions) -> Vec<String> {
    let mut notes = Vec::new();
    for session in sessions.iter() {
        let runs: Vec<&str> = session.unread_workflow_runs().collect();
        if !runs.is_empty() {
            let (named, its) = match runs.as_slice() {
                [one] => (format!("workflow run {one}"), "its"),
                _ => (format!("workflow runs {}", runs.join(", ")), "their"),
            };
            notes.push(format!(
                "session {id}: launched {named}, but no line of {its} agents' transcripts was \
                 read: {its} usage is not counted (Claude Code keeps it in \
                 {id}/subagents/workflows/{first}/agent-*.jsonl)",
                id = session.id,
                first = runs[0],
            ));
        }
        let copied: Vec<&str> = session.named.copied_subagents().collect();
        let (copied, not): (Vec<&str>, Vec<&str>) = session
            .named
            .unread_subagents()
            .partition(|id| copied.contains(id));
        for (ids, counted) in [
            (not, "is not counted"),
            (
                copied,
                "is counted only from the copies of its responses in the session's progress \
                 lines, a lower bound",
            ),
        ] {
            if ids.is_empty() {
                continue;
            }
            let (named, its, counted) = match ids.as_slice() {
                [one] => (format!("subagent {one} is"), "its", counted.to_owned()),
                _ => (
                    format!("subagents {} are", ids.join(", ")),
                    "their",
                    counted.replace(" its ", " their "),
                ),
            };
            notes.push(format!(
                "session {id}: {named} named in its Task results or progress lines, but no line \
                 of {its} transcript was read, or none with the usage {its} Task result records: \
                 {its} usage {counted} (Claude Code keeps it in \
                 {id}/subagents/agent-{first}.jsonl, before 2.1 in agent-{first}.jsonl beside \
                 the session's file)",
                id = session.id,
                first = ids[0],
            ));
        }
    }
    notes
}

/// Ends the input for `sessions` (running steps become abandoned) and writes their summary.
pub fn write_summary(
    out: &mut impl Write,
    format: SummaryFormat,
    sessions: &mut Sessions,
    stats: &Stats,
) -> io::Result<()> {
    write_summary_on(out, format, sessions, stats, 1)
}

/// [`write_summary`], the JSON's sessions formatted on up to `workers` threads (the same
/// bytes whatever the number: each session's JSON is formatted on its own, then written in
/// order). Formatting the sessions' JSON is about 100,000 instructions a session (6 KB of
/// pretty-printed JSON each): with many sessions, the last serial step of a parallel summary.
pub fn write_summary_on(
    out: &mut impl Write,
    format: SummaryFormat,
    sessions: &mut Sessions,
    stats: &Stats,
    workers: usize,
) -> io::Result<()> {
    sessions.end_of_input();
    match format {
        SummaryFormat::Json => {
            SummaryDoc::new(sessions, stats).write_on(out, workers)?;
            writeln!(out)?;
        }
        SummaryFormat::Table => {
            // Session ids, model names and timestamps come from transcripts too: the whole
            // table is made inert, not only the titles (a NUL in an id reached the terminal).
            let mut table = Vec::new();
            write_table(&mut table, sessions, stats)?;
            let table = String::from_utf8_lossy(&table);
            let inert: String = table
                .chars()
                .map(|c| {
                    if c == '\n' {
                        c
                    } else {
                        crate::render::text::inert_char(c)
                    }
                })
                .collect();
            out.write_all(inert.as_bytes())?;
        }
    }
    out.flush()
}

/// Applies `event` to the session it belongs to: the one it names; for a 1.0.x summary title,
/// which names none, the one owning its leaf line, else (no leaf written) the one the file is
/// named after. Any other line that names no session (trimmed exports, other tools' fixtures)
/// belongs to its file's session: the session id in the file's path in Claude Code's layout
/// (`<session>.jsonl`, `<session>/subagents/agent-*.jsonl`), else the first session a line of
/// that file named, else the file's name without `.jsonl`. File snapshots, which never name a
/// session, go only to a session of the path.
pub(crate) fn apply_to_its_session(sessions: &mut Sessions, event: &Event<'_>, now_ms: i64) {
    match event.session_id.as_deref() {
        Some(id) => {
            sessions.note_file_session(event.source.file, id);
            sessions.apply(event, now_ms)
        }
        None if matches!(event.kind, EventKind::Title { .. }) => {
            let fallback = session_id_of_file(event.source.file);
            sessions.apply_unowned(event, now_ms, fallback);
        }
        None if matches!(event.kind, EventKind::FileSnapshot { .. }) => {}
        None => {
            let file = event.source.file;
            let id = session_of_unnamed_line(file, sessions.file_session(file));
            sessions.apply_to(&id, event, now_ms);
        }
    }
}

/// The session a line that names none belongs to, in transcript `file`: the session id in the
/// file's path in Claude Code's layout ([`session_id_of_file`]), else `first_named` (the
/// first session a line of that file named), else the file's name without `.jsonl`. The rule
/// of `--summary` ([`apply_to_its_session`]), shared with the usage ledger.
pub(crate) fn session_of_unnamed_line(file: &str, first_named: Option<&str>) -> String {
    match session_id_of_file(file) {
        Some(id) => id.to_owned(),
        None => match first_named {
            Some(id) => id.to_owned(),
            None => file_stem(file),
        },
    }
}

/// The session a transcript's path names in Claude Code's layout: the UUID its file name ends
/// with (`…/<uuid>.jsonl`, or a copy whose name ends with the uuid), else for a subagent's
/// `…/<uuid>/subagents/agent-*.jsonl` the session folder's, if there is one.
fn session_id_of_file(path: &str) -> Option<&str> {
    let p = Path::new(path);
    let stem = p.file_stem()?.to_str()?;
    if let Some(id) = trailing_uuid(stem) {
        return Some(id);
    }
    // A subagent's file: `<session>/subagents/agent-*.jsonl`.
    let dir = p.parent()?;
    if dir.file_name()? != "subagents" {
        return None;
    }
    trailing_uuid(dir.parent()?.file_name()?.to_str()?)
}

/// The UUID `text` ends with, if it does.
fn trailing_uuid(text: &str) -> Option<&str> {
    let id = text.get(text.len().checked_sub(36)?..)?;
    let uuid_like = id.bytes().enumerate().all(|(i, b)| match i {
        8 | 13 | 18 | 23 => b == b'-',
        _ => b.is_ascii_hexdigit(),
    });
    uuid_like.then_some(id)
}

/// A file's name without its folders and `.jsonl` (`stdin` for standard input).
fn file_stem(path: &str) -> String {
    if path == "<stdin>" {
        return "stdin".to_owned();
    }
    Path::new(path)
        .file_stem()
        .map_or_else(|| path.to_owned(), |s| s.to_string_lossy().into_owned())
}

/// Sessions in the order they started, leaving out empty ones (warm-up files).
fn chronological(sessions: &Sessions) -> Vec<&Session> {
    let mut v: Vec<&Session> = sessions.iter().filter(|s| !s.is_empty()).collect();
    // Sessions without timestamps (a title-only file) go last. The key borrows the id: a
    // key that copied it allocated twice per comparison, on the main thread after the workers.
    let key = |s: &Session| (s.first.is_none(), s.first.as_ref().map(|f| f.0));
    v.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| a.id.cmp(&b.id)));
    v
}

/// The summary as one JSON value (schema in the README and `schemas/summary.v1.schema.json`).
/// [`write_summary`] writes the same document without holding it whole.
pub fn summary_json(sessions: &Sessions, stats: &Stats) -> Value {
    serde_json::to_value(SummaryDoc::new(sessions, stats)).unwrap_or(Value::Null)
}

/// The summary document, serialized as it is written: one session's JSON value at a time
/// (holding them all took 13 KB per session: 130 MB for 10,000 sessions). Fields in
/// alphabetical order, as the JSON value's map writes them.
struct SummaryDoc<'a> {
    sessions: Vec<&'a Session>,
    totals: Value,
    price_table: Value,
    malformed_lines: u64,
    /// Problem lines by reason ([`crate::event::MalformedReason::as_str`]), those with any.
    malformed_by_reason: BTreeMap<&'static str, u64>,
}

impl<'a> SummaryDoc<'a> {
    fn new(sessions: &'a Sessions, stats: &Stats) -> Self {
        let pricing = sessions.pricing();
        let mut total = Tokens::default();
        let mut total_cost = Some(0.0);
        let mut priced = 0.0;
        let mut unpriced_total = std::collections::BTreeSet::new();
        let (mut api_calls, mut tool_calls, mut tool_errors, mut subagents) = (0, 0, 0, 0);
        let (mut cache_read, mut input, mut rebuilds) = (0u64, 0u64, CauseTotals::default());
        let list = chronological(sessions);
        for s in &list {
            cache_read = cache_read.saturating_add(s.cost_explained.cache_read);
            input = input.saturating_add(s.cost_explained.input);
            rebuilds.add(s);
            priced += s.priced_cost();
            unpriced_total.extend(s.unpriced_models());
            total = total.saturating_add(s.tokens());
            total_cost = match (total_cost, s.cost()) {
                (Some(a), Some(b)) => Some(a + b),
                _ => None,
            };
            api_calls += s.api_calls();
            tool_calls += s.tool_calls();
            tool_errors += s.tool_errors();
            subagents += s.subagents.len();
        }
        let totals = json!({
            "sessions": list.len(),
            "api_calls": api_calls,
            "tokens": TokensJson::from(&total),
            "web_searches": total.web_search,
            "cost_usd": total_cost.map(round_cents),
            "priced_cost_usd": round_cents(priced),
            "unpriced_models": unpriced_total,
            "tool_calls": tool_calls,
            "tool_errors": tool_errors,
            "subagents": subagents,
            "cache_hit_ratio": ratio((input > 0).then(|| cache_read as f64 / input as f64)),
            "rebuilds": rebuilds.rebuilds,
            "rebuild_cost_usd": charge_usd(rebuilds.cost),
        });
        let price_table = price_table_json(pricing, &vendors_used(pricing, &list));
        SummaryDoc {
            sessions: list,
            totals,
            price_table,
            malformed_lines: stats.malformed.total(),
            malformed_by_reason: stats
                .malformed
                .nonzero()
                .into_iter()
                .map(|(reason, n)| (reason.as_str(), n))
                .collect(),
        }
    }
}

/// Sessions formatted per task when the JSON is formatted on several threads: small enough
/// that the threads end together, large enough that taking a task costs nothing beside it.
const SESSIONS_PER_TASK: usize = 16;

impl SummaryDoc<'_> {
    /// Writes the document to `out` as `serde_json::to_vec_pretty` prints it, U+2028 and
    /// U+2029 escaped ([`crate::render::escape_line_separators`]), its sessions formatted on
    /// up to `workers` threads, [`SESSIONS_PER_TASK`] at a time, each task's bytes written in
    /// order. Each value is formatted at its depth in the document ([`AtDepth`]).
    fn write_on(&self, out: &mut impl Write, workers: usize) -> io::Result<()> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let tasks: Vec<&[&Session]> = self.sessions.chunks(SESSIONS_PER_TASK).collect();
        let next = AtomicUsize::new(0);
        let format_tasks = || -> serde_json::Result<Vec<(usize, Vec<u8>)>> {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(task) = tasks.get(i) else {
                    return Ok(done);
                };
                let mut bytes = Vec::with_capacity(8192 * task.len());
                for (n, s) in task.iter().enumerate() {
                    if i > 0 || n > 0 {
                        bytes.push(b',');
                    }
                    bytes.extend_from_slice(b"\n    ");
                    // The sessions' array is a value of the document's object: depth 2.
                    at_depth(&mut bytes, 2, &SessionJson::new(s))?;
                }
                crate::render::escape_line_separators(&mut bytes, 0);
                done.push((i, bytes));
            }
        };
        let threads = workers.clamp(1, tasks.len().max(1));
        let mut parts: Vec<(usize, Vec<u8>)> = std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(format_tasks)).collect();
            let mut parts = format_tasks()?;
            for helper in helpers {
                // A formatting thread cannot panic on a value serde_json can write.
                parts.extend(helper.join().unwrap_or_else(|_| Ok(Vec::new()))?);
            }
            Ok::<_, serde_json::Error>(parts)
        })?;
        parts.sort_unstable_by_key(|&(i, _)| i);
        let mut head = Vec::with_capacity(4096);
        let field = |doc: &mut Vec<u8>, name: &str, value: &dyn erased::Value| {
            doc.extend_from_slice(b"\n  \"");
            doc.extend_from_slice(name.as_bytes());
            doc.extend_from_slice(b"\": ");
            value.write_at_depth(doc)
        };
        head.push(b'{');
        field(&mut head, "malformed_by_reason", &self.malformed_by_reason)?;
        head.push(b',');
        field(&mut head, "malformed_lines", &self.malformed_lines)?;
        head.push(b',');
        field(&mut head, "price_table", &self.price_table)?;
        head.push(b',');
        head.extend_from_slice(b"\n  \"sessions\": [");
        if parts.is_empty() {
            head.push(b']');
        }
        crate::render::escape_line_separators(&mut head, 0);
        out.write_all(&head)?;
        for (_, part) in &parts {
            out.write_all(part)?;
        }
        let mut tail = Vec::with_capacity(1024);
        if !parts.is_empty() {
            tail.extend_from_slice(b"\n  ]");
        }
        tail.push(b',');
        field(&mut tail, "totals", &self.totals)?;
        tail.push(b',');
        field(&mut tail, "v", &SUMMARY_SCHEMA_VERSION)?;
        tail.extend_from_slice(b"\n}");
        crate::render::escape_line_separators(&mut tail, 0);
        out.write_all(&tail)
    }
}

/// A value of the summary document's object, written at depth 1 (a small trait object, so
/// that one closure writes fields of several types).
mod erased {
    /// A value that can be written at depth 1.
    pub(super) trait Value {
        /// Appends the value to `out`, pretty-printed at depth 1.
        fn write_at_depth(&self, out: &mut Vec<u8>) -> serde_json::Result<()>;
    }

    impl<T: serde::Serialize> Value for T {
        fn write_at_depth(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
            super::at_depth(out, 1, self)
        }
    }
}

/// Appends `value` to `out` pretty-printed as serde_json's `PrettyFormatter` prints it (two
/// spaces an indent) as if it were `depth` levels deep in a document: its inner lines carry
/// `depth` more indents. Nothing to copy or indent after.
fn at_depth<T: serde::Serialize + ?Sized>(
    out: &mut Vec<u8>,
    depth: usize,
    value: &T,
) -> serde_json::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(out, AtDepth::new(depth));
    value.serialize(&mut serializer)
}

/// serde_json's pretty layout starting `level` indents deep: an array or object opens its
/// bracket on the current line, puts each element on a line of its own one indent deeper,
/// and closes on a line of its own at its own depth; an empty one is `[]` or `{}`; a key is
/// followed by `": "`.
struct AtDepth {
    /// Indents of the current line.
    level: usize,
    /// Whether the array or object being written has an element yet.
    has_value: bool,
}

impl AtDepth {
    fn new(level: usize) -> Self {
        AtDepth {
            level,
            has_value: false,
        }
    }

    /// A line feed, then the current indent.
    fn new_line<W: ?Sized + Write>(&self, out: &mut W) -> io::Result<()> {
        const SPACES: &[u8] = b"\n                                ";
        let width = 1 + 2 * self.level;
        match SPACES.get(..width) {
            Some(line) => out.write_all(line),
            None => {
                out.write_all(b"\n")?;
                (0..self.level).try_for_each(|_| out.write_all(b"  "))
            }
        }
    }

    fn open<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level = self.level.saturating_sub(1);
        if self.has_value {
            self.new_line(out)?;
        }
        out.write_all(bracket)
    }

    fn element<W: ?Sized + Write>(&self, out: &mut W, first: bool) -> io::Result<()> {
        if !first {
            out.write_all(b",")?;
        }
        self.new_line(out)
    }
}

impl serde_json::ser::Formatter for AtDepth {
    fn begin_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        self.element(out, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        self.element(out, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

impl serde::Serialize for SummaryDoc<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        /// The sessions, each serialized from the session as it is written.
        struct Lazy<'b>(&'b [&'b Session]);
        impl serde::Serialize for Lazy<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.iter().map(|s| SessionJson::new(s)))
            }
        }
        let mut map = serializer.serialize_map(Some(6))?;
        map.serialize_entry("malformed_by_reason", &self.malformed_by_reason)?;
        map.serialize_entry("malformed_lines", &self.malformed_lines)?;
        map.serialize_entry("price_table", &self.price_table)?;
        map.serialize_entry("sessions", &Lazy(&self.sessions))?;
        map.serialize_entry("totals", &self.totals)?;
        map.serialize_entry("v", &SUMMARY_SCHEMA_VERSION)?;
        map.end()
    }
}

/// The vendors whose built-in prices priced some model of `sessions` (a model only a user's
/// price file names has none).
fn vendors_used(pricing: &Pricing, sessions: &[&Session]) -> BTreeSet<Vendor> {
    sessions
        .iter()
        .flat_map(|s| &s.models)
        .filter_map(|m| pricing.model(m).and_then(|p| p.vendor))
        .collect()
}

/// Which prices the costs used: the built-in table's date, the vendors whose lists priced the
/// sessions' models with where those lists were read, and what a user's file added.
fn price_table_json(pricing: &Pricing, vendors: &BTreeSet<Vendor>) -> Value {
    let vendors: Vec<Value> = vendors
        .iter()
        .map(|v| json!({ "vendor": v.name(), "source": v.source() }))
        .collect();
    json!({
        "date": pricing.table_date(),
        "vendors": vendors,
        "user_entries": pricing.user_entries(),
        "user_date": pricing.user_date(),
    })
}

/// The prices line under the table's total: `Anthropic's list read 2026-11-29 + 2 user
/// entries of 2026-12-01`; with other vendors' models `Anthropic's and OpenAI's lists read …`.
fn price_table_line(pricing: &Pricing, vendors: &BTreeSet<Vendor>) -> String {
    let names: Vec<String> = vendors.iter().map(|v| format!("{}'s", v.name())).collect();
    let mut line = match names.as_slice() {
        [] => format!("Anthropic's list read {}", pricing.table_date()),
        [one] => format!("{one} list read {}", pricing.table_date()),
        [rest @ .., last] => format!(
            "{} and {last} lists read {}",
            rest.join(", "),
            pricing.table_date()
        ),
    };
    if pricing.user_entries() > 0 {
        let n = pricing.user_entries();
        line.push_str(&format!(
            " + {n} user entr{}",
            if n == 1 { "y" } else { "ies" }
        ));
        if let Some(date) = pricing.user_date() {
            line.push_str(&format!(" of {date}"));
        }
    }
    line
}

/// One session's JSON object, serialized from the session as it is written (a
/// `serde_json::Value` built, written and dropped per session was 6% of a summary of
/// distinct history, on the main thread after the workers). Each object's fields are in
/// byte order of their names, as a `Value`'s map writes them (the documents are unchanged:
/// `a_session_is_written_with_its_fields_in_order` checks the order).
#[derive(serde::Serialize)]
struct SessionJson<'a> {
    agent: &'static str,
    agents: Vec<AgentJson<'a>>,
    api_calls: u64,
    api_errors: u64,
    compactions: u64,
    context: Option<ContextJson>,
    cost_explained: CostExplainedJson<'a>,
    cost_usd: Option<f64>,
    cwd: &'a Option<String>,
    duration_ms: Option<u64>,
    first: Option<&'a str>,
    first_prompt: &'a Option<String>,
    git_branch: &'a Option<String>,
    interruptions: u64,
    last: Option<&'a str>,
    models: &'a BTreeSet<String>,
    permission_mode: &'a Option<String>,
    priced_cost_usd: f64,
    prompts: u64,
    retries: u64,
    session_id: &'a str,
    subagents: usize,
    title: Option<&'a str>,
    title_source: Option<&'static str>,
    tokens: TokensJson,
    tool_calls: u64,
    tool_errors: u64,
    tools: BTreeMap<&'a str, ToolJson>,
    unpriced_models: Vec<&'a str>,
    version: &'a Option<String>,
    web_searches: u64,
}

/// A subagent in [`SessionJson`].
#[derive(serde::Serialize)]
struct AgentJson<'a> {
    agent_id: &'a str,
    api_calls: u64,
    compaction: bool,
    cost_usd: Option<f64>,
    prompt: usize,
    spawned_by: &'a Option<String>,
    tokens: TokensJson,
    tool_calls: u64,
    web_searches: u64,
}

/// The context fill in [`SessionJson`].
#[derive(serde::Serialize)]
struct ContextJson {
    tokens: u64,
    window: u64,
}

/// A tool's figures in [`SessionJson`].
#[derive(serde::Serialize)]
struct ToolJson {
    calls: u64,
    errors: u64,
    p50_ms: Option<u64>,
    p95_ms: Option<u64>,
}

/// Tokens by kind.
#[derive(serde::Serialize)]
struct TokensJson {
    cache_read: u64,
    cache_write_1h: u64,
    cache_write_5m: u64,
    input: u64,
    output: u64,
}

impl From<&Tokens> for TokensJson {
    fn from(t: &Tokens) -> Self {
        TokensJson {
            cache_read: t.cache_read,
            cache_write_1h: t.cache_write_1h,
            cache_write_5m: t.cache_write_5m,
            input: t.input,
            output: t.output,
        }
    }
}

/// The session's cost explained (see [`crate::session::cost_explained`]).
#[derive(serde::Serialize)]
struct CostExplainedJson<'a> {
    by_cause: BTreeMap<&'static str, CauseJson>,
    cache_hit_ratio: Option<f64>,
    costliest_rebuilds: Vec<RebuildJson<'a>>,
    no_tool_usd: Option<f64>,
    prompts: Vec<PromptJson<'a>>,
    rebuild_cost_usd: Option<f64>,
    rebuild_tokens: u64,
    rebuilds: u64,
    tools: BTreeMap<String, Option<f64>>,
}

/// Rebuilds of one cause in [`CostExplainedJson`].
#[derive(serde::Serialize)]
struct CauseJson {
    cost_usd: Option<f64>,
    rebuilds: u64,
    tokens: u64,
}

/// One of the costliest rebuilds in [`CostExplainedJson`].
#[derive(serde::Serialize)]
struct RebuildJson<'a> {
    agent_id: &'a Option<String>,
    cause: &'static str,
    cost_usd: Option<f64>,
    gap_ms: Option<u64>,
    model: &'a str,
    timestamp: Option<&'a str>,
    tokens: u64,
}

/// A human prompt's cost in [`CostExplainedJson`].
#[derive(serde::Serialize)]
struct PromptJson<'a> {
    api_calls: u64,
    cost_usd: Option<f64>,
    index: usize,
    #[serde(skip_serializing_if = "is_zero")]
    later_prompts: u64,
    main_cost_usd: Option<f64>,
    subagents: usize,
    subagents_cost_usd: Option<f64>,
    text: Option<&'a str>,
    timestamp: Option<&'a str>,
    tool_calls: u64,
}

/// Serde's test for a count left out when 0 (`later_prompts`).
fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl<'a> SessionJson<'a> {
    fn new(s: &'a Session) -> Self {
        let tokens = s.tokens();
        SessionJson {
            agent: s.agent.as_str(),
            agents: s
                .subagents
                .iter()
                .map(|(id, a)| AgentJson {
                    agent_id: id,
                    api_calls: a.api_calls,
                    compaction: a.compaction,
                    cost_usd: charge_usd(
                        s.cost_explained
                            .agents
                            .get(id)
                            .map(|c| c.cost)
                            .unwrap_or_default(),
                    ),
                    prompt: s.subagent_prompt(id),
                    spawned_by: &a.spawned_by,
                    tokens: (&a.tokens).into(),
                    tool_calls: a.tool_calls,
                    web_searches: a.tokens.web_search,
                })
                .collect(),
            api_calls: s.api_calls(),
            api_errors: s.api_errors,
            compactions: s.compactions,
            context: s.context.as_ref().map(|c| ContextJson {
                tokens: c.tokens,
                window: c.window,
            }),
            cost_explained: CostExplainedJson::new(s),
            cost_usd: s.cost().map(round_cents),
            cwd: &s.cwd,
            duration_ms: s.duration_ms(),
            first: s.first.as_ref().map(|f| f.1.as_str()),
            first_prompt: &s.first_prompt,
            git_branch: &s.git_branch,
            interruptions: s.interruptions,
            last: s.last.as_ref().map(|l| l.1.as_str()),
            models: &s.models,
            permission_mode: &s.permission_mode,
            priced_cost_usd: round_cents(s.priced_cost()),
            prompts: s.prompts,
            retries: s.retries,
            session_id: &s.id,
            subagents: s.subagents.len(),
            title: s.title.as_ref().map(|t| t.text.as_str()),
            title_source: s.title.as_ref().map(|t| t.source.as_str()),
            tokens: (&tokens).into(),
            tool_calls: s.tool_calls(),
            tool_errors: s.tool_errors(),
            tools: s
                .tools
                .iter()
                .map(|(name, t)| {
                    let tool = ToolJson {
                        calls: t.calls,
                        errors: t.errors,
                        p50_ms: t.durations.percentile(50.0),
                        p95_ms: t.durations.percentile(95.0),
                    };
                    (name.as_str(), tool)
                })
                .collect(),
            unpriced_models: s.unpriced_models(),
            version: &s.version,
            web_searches: tokens.web_search,
        }
    }
}

impl<'a> CostExplainedJson<'a> {
    fn new(s: &'a Session) -> Self {
        let e = &s.cost_explained;
        let all = e.rebuilds();
        let (tools, none) = e.tools();
        CostExplainedJson {
            by_cause: RebuildCause::ALL
                .iter()
                .map(|&cause| {
                    let t = e.cause(cause);
                    let figures = CauseJson {
                        cost_usd: charge_usd(t.cost),
                        rebuilds: t.rebuilds,
                        tokens: t.tokens,
                    };
                    (cause.as_str(), figures)
                })
                .collect(),
            cache_hit_ratio: ratio(e.hit_ratio()),
            costliest_rebuilds: e
                .costliest
                .iter()
                .map(|r| RebuildJson {
                    agent_id: &r.agent,
                    cause: r.rebuild.cause.as_str(),
                    cost_usd: r.rebuild.cost_usd.map(round_cents),
                    gap_ms: r.gap_ms,
                    model: &r.model,
                    timestamp: r.at.as_ref().map(|a| a.1.as_str()),
                    tokens: r.rebuild.tokens,
                })
                .collect(),
            no_tool_usd: charge_usd(none),
            prompts: s
                .cost_by_prompt()
                .iter()
                // The session's start only when something was spent before the first prompt.
                .filter(|p| p.index > 0 || p.prompt.api_calls > 0 || p.subagent_count > 0)
                .map(|p| PromptJson {
                    api_calls: p.prompt.api_calls,
                    cost_usd: charge_usd(p.total()),
                    index: p.index,
                    later_prompts: p.prompt.later_prompts,
                    main_cost_usd: charge_usd(p.prompt.cost),
                    subagents: p.subagent_count,
                    subagents_cost_usd: charge_usd(p.subagents),
                    text: (p.index > 0).then_some(p.prompt.text.as_str()),
                    timestamp: p.prompt.at.as_ref().map(|a| a.1.as_str()),
                    tool_calls: p.prompt.tool_calls,
                })
                .collect(),
            rebuild_cost_usd: charge_usd(all.cost),
            rebuild_tokens: all.tokens,
            rebuilds: all.rebuilds,
            tools: tools
                .into_iter()
                .map(|(name, c)| (name, charge_usd(c)))
                .collect(),
        }
    }
}

/// Rebuilds over sessions.
#[derive(Default)]
struct CauseTotals {
    rebuilds: u64,
    cost: Charge,
}

impl CauseTotals {
    fn add(&mut self, s: &Session) {
        let t = s.cost_explained.rebuilds();
        self.rebuilds += t.rebuilds;
        self.cost.pico = self.cost.pico.saturating_add(t.cost.pico);
        self.cost.unpriced += t.cost.unpriced;
    }
}

/// `$1.23`, or `$1.23+` when part of it has no price ([`usd_at_least_pico`]), from the
/// charge's exact picodollars.
fn charge_money(c: Charge) -> String {
    usd_at_least_pico(c.pico, c.unpriced > 0)
}

/// The cache, rebuild, prompt and subagent lines of a session's block.
fn write_cost_explained(out: &mut impl Write, s: &Session) -> io::Result<()> {
    let e = &s.cost_explained;
    let Some(hit) = e.hit_ratio() else {
        return Ok(());
    };
    let all = e.rebuilds();
    let mut line = format!("  cache     hit {:.1}%", hit * 100.0);
    if all.rebuilds > 0 {
        let causes: Vec<String> = RebuildCause::ALL
            .iter()
            .map(|&c| (c, e.cause(c)))
            .filter(|(_, t)| t.rebuilds > 0)
            .map(|(c, t)| format!("{} {} ×{}", c.label(), charge_money(t.cost), t.rebuilds))
            .collect();
        line.push_str(&format!(
            "   rebuilds {} cost {} beyond cache hits: {}",
            all.rebuilds,
            charge_money(all.cost),
            causes.join(", ")
        ));
    }
    writeln!(out, "{line}")?;
    for (i, r) in e.costliest.iter().enumerate() {
        let label = if i == 0 { "rebuilt" } else { "" };
        let when = r.at.as_ref().map_or("-", |a| a.1.as_str());
        let cost = r.rebuild.cost_usd.map_or("$?".to_owned(), usd);
        let gap = r
            .gap_ms
            .map_or(String::new(), |g| format!("  after {}", duration(g)));
        let agent = r
            .agent
            .as_ref()
            .map_or(String::new(), |a| format!("  agent {a}"));
        writeln!(
            out,
            "  {label:<9} {when}  {:<31} {:>9} tokens {cost:>8}{gap}{agent}",
            r.rebuild.cause.label(),
            thousands(r.rebuild.tokens),
        )?;
    }
    let mut prompts = s.cost_by_prompt();
    prompts.retain(|p| p.index > 0 || p.prompt.api_calls > 0 || p.subagent_count > 0);
    prompts.sort_by(|a, b| {
        b.total()
            .pico
            .cmp(&a.total().pico)
            .then(a.index.cmp(&b.index))
    });
    for (i, p) in prompts.iter().take(TOP_PROMPTS).enumerate() {
        let label = if i == 0 { "prompts" } else { "" };
        let mut text = String::new();
        if p.index == 0 {
            text.push_str("(before the first prompt)");
        } else {
            text.push('“');
            crate::render::text::push_inert(&mut text, &p.prompt.text, 48);
            text.push('”');
            if p.prompt.later_prompts > 0 {
                text.push_str(&format!(
                    " and the {} prompts after it",
                    thousands(p.prompt.later_prompts)
                ));
            }
        }
        let agents = if p.subagent_count > 0 {
            format!(
                "  ({} subagent{} {})",
                p.subagent_count,
                if p.subagent_count == 1 { "" } else { "s" },
                charge_money(p.subagents)
            )
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {label:<9} #{:<3} {:>8}  {text}{agents}",
            p.index,
            charge_money(p.total())
        )?;
    }
    if prompts.len() > TOP_PROMPTS {
        let more: u64 = prompts[TOP_PROMPTS..]
            .iter()
            .map(|p| 1 + p.prompt.later_prompts)
            .sum();
        writeln!(out, "            … {} more prompts", thousands(more))?;
    }
    let mut agents: Vec<(&String, Charge)> = e.agents.iter().map(|(id, a)| (id, a.cost)).collect();
    agents.sort_by(|a, b| b.1.pico.cmp(&a.1.pico).then(a.0.cmp(b.0)));
    for (i, (id, cost)) in agents.iter().take(TOP_PROMPTS).enumerate() {
        let label = if i == 0 { "agents" } else { "" };
        let mut shown = String::new();
        crate::render::text::push_inert(&mut shown, id, 24);
        let spawned = s
            .subagents
            .get(*id)
            .and_then(|a| a.spawned_by.as_deref())
            .map_or(String::new(), |call| {
                let mut c = String::new();
                crate::render::text::push_inert(&mut c, call, 40);
                format!("  by {c}")
            });
        writeln!(
            out,
            "  {label:<9} {shown:<24} {:>8}  prompt #{}{spawned}",
            charge_money(*cost),
            s.subagent_prompt(id)
        )?;
    }
    if agents.len() > TOP_PROMPTS {
        writeln!(
            out,
            "            … {} more subagents",
            agents.len() - TOP_PROMPTS
        )?;
    }
    Ok(())
}

/// A charge in dollars (to a hundredth of a cent, from its exact picodollars as
/// [`round_cents`] rounds), null when part of it has no price.
fn charge_usd(c: Charge) -> Option<f64> {
    (c.unpriced == 0).then(|| hundredths_of_cents(c.pico))
}

/// A ratio to four decimals.
fn ratio(r: Option<f64>) -> Option<f64> {
    r.map(|r| (r * 10_000.0).round() / 10_000.0)
}

/// Dollars to a hundredth of a cent (costs of one session can be fractions of a cent): the
/// amount taken back to the whole picodollars it was added up in
/// ([`crate::session::pricing::to_pico`]), rounded there as every figure shown is (half up,
/// [`crate::session::pricing::round_pico`]: $0.00005 is 0.0001, never 0.0 for its binary
/// double lying a hair below), written as the double nearest that (JSON numbers are doubles;
/// serde_json writes the shortest that reads back the same: `0.0001`).
fn round_cents(usd: f64) -> f64 {
    hundredths_of_cents(crate::session::pricing::to_pico(usd))
}

/// `pico` picodollars in dollars to a hundredth of a cent ([`round_cents`]).
fn hundredths_of_cents(pico: u128) -> f64 {
    use crate::session::pricing::{from_pico, round_pico};
    const UNIT: u128 = 100_000_000; // picodollars in a hundredth of a cent
    from_pico(round_pico(pico, UNIT).saturating_mul(UNIT))
}

/// `$1.23`, or what is known when some responses have no price, and why
/// ([`crate::session::Session::unpriced_reasons`]: `no price for claude-zeta-9`, `no price
/// for service tier flex (claude-opus-5)`).
fn money<S: AsRef<str>>(cost: Option<f64>, priced: f64, reasons: &[S]) -> String {
    match cost {
        Some(c) => usd(c),
        None => format!(
            "unknown: at least {}, {}",
            usd(priced),
            reasons
                .iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

/// The tokens by kind, and the web searches when there were any (billed apart: said beside).
fn tokens_line(t: &Tokens) -> String {
    let mut line = format!(
        "in {}  out {}  cache read {}  write 5m {}  write 1h {}",
        thousands(t.input),
        thousands(t.output),
        thousands(t.cache_read),
        thousands(t.cache_write_5m),
        thousands(t.cache_write_1h)
    );
    if t.web_search > 0 {
        line.push_str(&format!("  web searches {}", thousands(t.web_search)));
    }
    line
}

fn write_table(out: &mut impl Write, sessions: &Sessions, stats: &Stats) -> io::Result<()> {
    let pricing = sessions.pricing();
    let list = chronological(sessions);
    for s in &list {
        let short: String = s.id.chars().take(8).collect();
        // Untitled sessions are named by their first prompt, in quotes, as /resume does.
        let title = match (&s.title, &s.first_prompt) {
            (Some(t), _) => crate::render::text::first_line(&t.text).to_owned(),
            (None, Some(p)) => format!("“{p}”"),
            (None, None) => "(untitled)".to_owned(),
        };
        let mut title_line = String::new();
        crate::render::text::push_inert(&mut title_line, &title, 80);
        writeln!(out, "{short}  {title_line}")?;
        // A model written as "" is named so, not left blank.
        let models: Vec<&str> = s
            .models
            .iter()
            .map(|m| if m.is_empty() { "\"\"" } else { m.as_str() })
            .collect();
        let when = match (&s.first, s.duration_ms()) {
            (Some(f), Some(d)) => format!("{} for {}", f.1, duration(d)),
            _ => "no timestamps".to_owned(),
        };
        writeln!(out, "  when      {when}")?;
        match &s.version {
            Some(v) => {
                let mut version = String::new();
                crate::render::text::push_inert(&mut version, v, 40);
                writeln!(out, "  agent     {} {version}", s.agent)?
            }
            None => writeln!(out, "  agent     {}", s.agent)?,
        }
        writeln!(
            out,
            "  models    {}",
            if models.is_empty() {
                "-".to_owned()
            } else {
                models.join(", ")
            }
        )?;
        writeln!(out, "  tokens    {}", tokens_line(&s.tokens()))?;
        let cost = money(s.cost(), s.priced_cost(), &s.unpriced_reasons());
        writeln!(
            out,
            "  cost      {cost}   api calls {}   prompts {}   tool calls {} ({} errors)",
            thousands(s.api_calls()),
            s.prompts,
            thousands(s.tool_calls()),
            s.tool_errors()
        )?;
        let mut extras = Vec::new();
        if !s.subagents.is_empty() {
            extras.push(format!("subagents {}", s.subagents.len()));
        }
        for (n, what) in [
            (s.compactions, "compactions"),
            (s.api_errors, "API errors"),
            (s.retries, "retries"),
            (s.interruptions, "interruptions"),
        ] {
            if n > 0 {
                extras.push(format!("{what} {n}"));
            }
        }
        if !extras.is_empty() {
            writeln!(out, "  events    {}", extras.join("   "))?;
        }
        write_cost_explained(out, s)?;
        let (tool_cost, _) = s.cost_explained.tools();
        let mut tools: Vec<(&String, &crate::session::ToolStats)> = s.tools.iter().collect();
        tools.sort_by(|a, b| b.1.calls.cmp(&a.1.calls).then(a.0.cmp(b.0)));
        for (i, (name, t)) in tools.iter().take(TOP_TOOLS).enumerate() {
            let label = if i == 0 { "tools" } else { "" };
            let p = |q: f64| t.durations.percentile(q).map_or("-".to_owned(), duration);
            let mut shown = String::new();
            crate::render::text::push_inert(&mut shown, name, 32);
            let cost = tool_cost
                .get(*name)
                .map_or("-".to_owned(), |c| charge_money(*c));
            writeln!(
                out,
                "  {label:<9} {shown:<24} {:>5} calls {:>4} errors   p50 {:>7}   p95 {:>7}   {cost:>8}",
                t.calls,
                t.errors,
                p(50.0),
                p(95.0)
            )?;
        }
        if tools.len() > TOP_TOOLS {
            writeln!(out, "            … {} more tools", tools.len() - TOP_TOOLS)?;
        }
        writeln!(out)?;
    }
    let mut total = Tokens::default();
    let mut cost = Some(0.0);
    let mut priced = 0.0;
    let mut unpriced: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in &list {
        total = total.saturating_add(s.tokens());
        cost = match (cost, s.cost()) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
        priced += s.priced_cost();
        for (cause, models) in s.unpriced_causes() {
            unpriced.entry(cause).or_default().extend(models);
        }
    }
    let unpriced = crate::session::describe_unpriced(&unpriced);
    writeln!(
        out,
        "TOTAL  {} session{}   {} api calls   {} tool calls   cost {}",
        list.len(),
        if list.len() == 1 { "" } else { "s" },
        thousands(list.iter().map(|s| s.api_calls()).sum()),
        thousands(list.iter().map(|s| s.tool_calls()).sum()),
        money(cost, priced, &unpriced)
    )?;
    writeln!(out, "       {}", tokens_line(&total))?;
    writeln!(
        out,
        "       prices: {}",
        price_table_line(pricing, &vendors_used(pricing, &list))
    )?;
    if stats.malformed.total() > 0 {
        let reasons: Vec<String> = stats
            .malformed
            .nonzero()
            .into_iter()
            .map(|(reason, n)| format!("{n} {}", reason.as_str()))
            .collect();
        writeln!(
            out,
            "       {} malformed line{}: {} (see stderr)",
            stats.malformed.total(),
            if stats.malformed.total() == 1 {
                ""
            } else {
                "s"
            },
            reasons.join(", ")
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_dollars_round_half_a_hundredth_of_a_cent_up_from_the_exact_amount() {
        use crate::session::pricing::from_pico;
        // $0.00015 exactly: its double times 10,000 is 1.4999…, which `f64::round` took to
        // 0.0001; the exact amount rounds half up, as every figure shown does.
        for (pico, want) in [
            (150_000_000u128, 0.0002),
            (50_000_000, 0.0001),
            (49_999_999, 0.0),
            (75_000_000_000, 0.075),
            (1_234_565_000_000, 1.2346),
        ] {
            assert_eq!(round_cents(from_pico(pico)), want, "{pico}");
            let charge = Charge { pico, unpriced: 0 };
            assert_eq!(charge_usd(charge), Some(want), "{pico}");
        }
        assert_eq!(
            charge_usd(Charge {
                pico: 1,
                unpriced: 1
            }),
            None
        );
    }

    #[test]
    fn the_prices_line_names_each_vendors_list() {
        let p = Pricing::built_in();
        let line = |v: &[Vendor]| price_table_line(&p, &v.iter().copied().collect());
        assert_eq!(line(&[]), "Anthropic's list read 2026-11-29");
        assert_eq!(
            line(&[Vendor::Anthropic]),
            "Anthropic's list read 2026-11-29"
        );
        assert_eq!(line(&[Vendor::Google]), "Google's list read 2026-11-29");
        assert_eq!(
            line(&[Vendor::Google, Vendor::Anthropic]),
            "Anthropic's and Google's lists read 2026-11-29"
        );
        assert_eq!(
            line(&[
                Vendor::ZAi,
                Vendor::OpenAI,
                Vendor::Google,
                Vendor::Anthropic
            ]),
            "Anthropic's, OpenAI's, Google's and Z.ai's lists read 2026-11-29"
        );
        let mut user = Pricing::built_in();
        user.merge_json(r#"{"date":"2026-12-01","my-model":{"input":1,"output":2,"cache_write_5m":0,"cache_write_1h":0,"cache_read":0}}"#)
            .unwrap();
        assert_eq!(
            price_table_line(&user, &[Vendor::OpenAI].into_iter().collect()),
            "OpenAI's list read 2026-11-29 + 1 user entry of 2026-12-01"
        );
        let json = price_table_json(&p, &[Vendor::Google].into_iter().collect());
        assert_eq!(json["vendors"][0]["vendor"], "Google");
        assert_eq!(json["vendors"][0]["source"], Vendor::Google.source());
    }

    /// `SessionCollector::listed` is what the summary lists (tester10 #2): a trimmed export
    /// whose lines name no session (fixtures/bugs/17) is one session of 1 call, and the
    /// corpus's warm-up session (empty) is left out, in the summary's order.
    #[test]
    fn listed_sessions_are_the_summarys() {
        let read = |files: &[std::path::PathBuf]| {
            let mut p =
                crate::pipeline::Pipeline::new(Default::default(), SessionCollector::default());
            for file in files {
                let bytes = std::fs::read(file).unwrap();
                let name = file.display().to_string();
                assert!(p.read_to_end(&name, &bytes[..]).unwrap().is_continue());
            }
            p.finish().unwrap()
        };
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let (c, _) = read(&[root.join("bugs/17-no-session-id.jsonl")]);
        let listed: Vec<(&str, u64)> = c
            .listed()
            .iter()
            .map(|s| (s.id.as_str(), s.api_calls()))
            .collect();
        assert_eq!(listed, [("17-no-session-id", 1)]);

        let files = crate::source::tree::transcripts_below(&root.join("corpus"), |_, _| {});
        let files = crate::source::order::in_first_occurred_order(&files, 1, Default::default());
        let (c, stats) = read(&files);
        let json = summary_json(c.sessions(), &stats);
        let summary: Vec<&str> = json["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["session_id"].as_str().unwrap())
            .collect();
        let listed: Vec<&str> = c.listed().iter().map(|s| s.id.as_str()).collect();
        assert_eq!(listed, summary);
        assert!(
            c.sessions().len() > listed.len(),
            "no empty session left out"
        );
        assert_eq!(listed.len(), 20);
    }

    /// Every object of the summary is written with its fields in byte order of their names,
    /// as a `serde_json::Value`'s map writes them (sessions were built as such values): the
    /// summary of the corpus, read back and written again, is the same to the byte, and it
    /// holds each kind of object a session has.
    /// The sessions and counters of every `*.jsonl` in `fixtures/<folder>`, read as one stream.
    fn sessions_of_fixtures(folder: &str) -> (Sessions, Stats) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures")
            .join(folder);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no transcripts in {}", dir.display());
        let collector = SessionCollector::new(Pricing::built_in());
        let mut pipeline = crate::pipeline::Pipeline::new(Default::default(), collector);
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            let name = file.display().to_string();
            let _ = pipeline.read_to_end(&name, &bytes[..]).unwrap();
        }
        let (collector, stats) = pipeline.finish().unwrap();
        (collector.into_sessions(), stats)
    }

    /// serde_json's own pretty printing of the document, as `summary_json` gives it.
    fn serde_pretty(sessions: &mut Sessions, stats: &Stats) -> String {
        sessions.end_of_input();
        let mut doc = crate::render::json_bytes(&SummaryDoc::new(sessions, stats), true).unwrap();
        doc.push(b'\n');
        String::from_utf8(doc).unwrap()
    }

    #[test]
    fn the_json_written_on_threads_is_serde_jsons_pretty_printing() {
        for folder in ["corpus", "bugs"] {
            let (mut sessions, mut stats) = sessions_of_fixtures(folder);
            // A problem line, so that `malformed_by_reason` is not empty.
            stats.malformed.invalid_json += 3;
            let expected = serde_pretty(&mut sessions, &stats);
            let doc: Value = serde_json::from_str(&expected).unwrap();
            let listed = doc["sessions"].as_array().unwrap().len();
            assert!(listed > 0, "{folder}: no session");
            if folder == "corpus" {
                assert!(
                    listed > SESSIONS_PER_TASK,
                    "the corpus spans two tasks at least"
                );
            } else {
                // The bug's U+2028 is escaped in the output, as serde_json's path escapes it.
                assert!(expected.contains("\\u2028"));
            }
            for workers in [1, 2, 3, 7] {
                let mut written = Vec::new();
                write_summary_on(
                    &mut written,
                    SummaryFormat::Json,
                    &mut sessions,
                    &stats,
                    workers,
                )
                .unwrap();
                assert_eq!(
                    String::from_utf8(written).unwrap(),
                    expected,
                    "{folder}, {workers} threads"
                );
            }
        }
        // No session: `"sessions": []`, as serde_json writes an empty array.
        let mut empty = Sessions::with_pricing(Pricing::built_in());
        let stats = Stats::default();
        let expected = serde_pretty(&mut empty, &stats);
        assert!(expected.contains("\"sessions\": [],"));
        for workers in [1, 2] {
            let mut written = Vec::new();
            write_summary_on(
                &mut written,
                SummaryFormat::Json,
                &mut empty,
                &stats,
                workers,
            )
            .unwrap();
            assert_eq!(String::from_utf8(written).unwrap(), expected);
        }
    }

    #[test]
    fn values_deeper_than_the_spaces_at_hand_are_indented_alike() {
        let value = json!({"a": [1, {"b": []}, {}], "c": {"d": "e\nf"}});
        let expected =
            serde_json::to_string_pretty(&json!([[[[[[[[[[[[[[[[[[value]]]]]]]]]]]]]]]]]]))
                .unwrap();
        let mut written = Vec::new();
        at_depth(
            &mut written,
            0,
            &json!([[[[[[[[[[[[[[[[[[value]]]]]]]]]]]]]]]]]]),
        )
        .unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), expected);
    }

    #[test]
    fn a_session_is_written_with_its_fields_in_order() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/corpus");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
            .collect();
        files.sort();
        let collector = SessionCollector::new(Pricing::built_in());
        let mut pipeline = crate::pipeline::Pipeline::new(Default::default(), collector);
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            let name = file.display().to_string();
            assert!(pipeline
                .read_to_end(&name, &bytes[..])
                .unwrap()
                .is_continue());
        }
        let (collector, stats) = pipeline.finish().unwrap();
        let mut sessions = collector.into_sessions();
        let mut doc = Vec::new();
        write_summary(&mut doc, SummaryFormat::Json, &mut sessions, &stats).unwrap();
        let value: Value = serde_json::from_slice(&doc).unwrap();
        let mut again = crate::render::json_bytes(&value, true).unwrap();
        again.push(b'\n');
        assert_eq!(
            String::from_utf8(again).unwrap(),
            String::from_utf8(doc).unwrap()
        );
        let all = value["sessions"].as_array().unwrap();
        let some = |what: &str, has: &dyn Fn(&Value) -> bool| {
            assert!(all.iter().any(has), "no session with {what}");
        };
        let non_empty = |v: &Value| match v {
            Value::Array(a) => !a.is_empty(),
            Value::Object(o) => !o.is_empty(),
            Value::Null => false,
            _ => true,
        };
        some("subagents", &|s| non_empty(&s["agents"]));
        some("tools", &|s| non_empty(&s["tools"]));
        some("a context", &|s| non_empty(&s["context"]));
        some("a title", &|s| non_empty(&s["title"]));
        let explained = |key: &'static str| move |s: &Value| non_empty(&s["cost_explained"][key]);
        some("rebuilds", &explained("costliest_rebuilds"));
        some("prompts", &explained("prompts"));
        some("costs by tool", &explained("tools"));
    }

    #[test]
    fn session_ids_from_file_names() {
        let id = "fed8ce56-bc79-401f-a83e-af084253362f";
        assert_eq!(session_id_of_file(&format!("/p/{id}.jsonl")), Some(id));
        assert_eq!(session_id_of_file(&format!("copy__{id}.jsonl")), Some(id));
        assert_eq!(session_id_of_file("agent-a434715.jsonl"), None);
        assert_eq!(
            session_id_of_file(&format!("/p/{id}/subagents/agent-a434715.jsonl")),
            Some(id)
        );
        assert_eq!(file_stem("/x/17-no-session-id.jsonl"), "17-no-session-id");
        assert_eq!(file_stem("<stdin>"), "stdin");
        assert_eq!(session_id_of_file("short.jsonl"), None);
    }
}
