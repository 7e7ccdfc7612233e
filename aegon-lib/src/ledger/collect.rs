//! What the ledger keeps of a stream of events: one row per API response, per tool call and per
//! limit message, merged the way the session core merges them.
//!
//! A [`Collector`] is a [`Renderer`]: push a file (or several) through a [`crate::Pipeline`]
//! into it, then read its rows. The same collector fills the index (one file at a time, then
//! upserted) and serves `--no-index` (all files at once, in memory), so both give the same
//! numbers by construction.
//!
//! **One row per response.** The pipeline's correlator hands on a response's first usage and
//! then only what later lines added (`increment`); the collector adds those increments, so a
//! row holds, field by field, the largest count any of the response's lines reported (FORMAT.md
//! §6; [`crate::session::correlate`]). The index merges a row with one already stored the same way
//! (field-wise maximum; cache writes as [`Tokens::max`] merges them: the largest number of
//! writes, of which the largest 1-hour share), so a response whose lines straddle two reads, a resumed copy of a
//! session in another file and a file read again never count twice.
//!
//! **Its price factors.** A row keeps what decides its price besides model and tokens
//! ([`PriceFactors`]: speed, service tier, inference geo, prompt size), so that a report prices
//! it as the session core does, as a request of its own ([`crate::session::pricing::Pricing::request_cost`]).
//! They are the response's, by the one rule of every view ([`PriceFactors::merge`]: the last
//! speed, tier and geo its lines state, a line that writes none or `""` stating none, and the
//! largest prompt size), which the correlator's increments already carry ([`merge_factors`]).
//!
//! **What it could not count.** Lines lost whole (malformed, not recovered) are counted in
//! [`Collector::unread`]; lines read with a problem that touches their usage (a token count
//! refused and read as 0, usage on a record type that is not counted, usage in a shape not
//! read: [`about_usage`]) in [`Collector::partly`], so every report says what `--summary`
//! says of the same lines.
//!
//! **What its sessions name.** Per session, a [`Named`] ([`Collector::named`]): the subagents
//! (Task results, `agent_progress` lines) and workflow runs its lines name and which of them
//! were read, by the session core's rule, so that every report says usage named but never read
//! as `--summary` says it (the index keeps them per file: [`crate::ledger::schema`]'s
//! `file_named`).

use std::collections::HashMap;
use std::io;
use std::ops::ControlFlow;

use crate::event::{Event, EventKind, Malformed};
use crate::render::{Flow, Renderer};
use crate::session::{Named, RunOfFile};
use crate::timestamp::parse_millis;
use crate::tokens::{PriceFactors, Tokens};

/// One API response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// When its first line was written, in milliseconds since the Unix epoch (UTC); `None`
    /// when that line had no readable timestamp.
    pub ts_ms: Option<i64>,
    /// `sessionId` of its first line (the parent session's for a subagent); for a line that
    /// names none, its file's session as `--summary` names it (the session id in its path,
    /// else the first its file's lines named, else the file's name).
    pub session: Option<String>,
    /// `cwd` of its first line: the project.
    pub project: Option<String>,
    /// The model that answered.
    pub model: Option<String>,
    /// True when a subagent made the call.
    pub subagent: bool,
    /// The coding agent whose transcript holds it.
    pub agent: crate::event::Agent,
    /// Its tokens: field by field, the largest count of its lines ([`Tokens::max`]).
    pub tokens: Tokens,
    /// What decides its price besides model and tokens ([`merge_factors`] of its lines').
    pub factors: PriceFactors,
    /// The other sessions it was also written in (a resumed copy), each with its project,
    /// in the order met: which one it counts in is decided by [`first_occurred`].
    pub also: Vec<(String, Option<String>)>,
    /// An API call: some line of it was not an increment of usage already counted
    /// (`EventKind::Usage::increment`). False for Copilot CLI's `session.shutdown` totals
    /// beyond its messages, which `--summary` counts in tokens but not in API calls.
    pub call: bool,
    /// The first `requestId` met on its lines, for an agent whose request id is not part of
    /// the response's identity (Claude Code's): the index stores the row under
    /// `m:ID\u{1f}REQUEST` with it, the key builds before the identity rule gave it
    /// ([`response_key`]).
    pub request_id: Option<String>,
    /// Set when some line of it (in any file or copy) held usage aegon could not read whole
    /// (`EventKind::Usage`'s `unread`, the first kind met): its known tokens are kept, its
    /// cost is unknown, as `--summary` counts it, whatever the order its lines and copies are
    /// met in. Another line read whole does not make it known: the damaged one may be the
    /// final line of a streamed response, holding its largest counts.
    pub unread: Option<crate::tokens::Unread>,
}

/// Which of two sessions a response written in both counts in: the one where it **first
/// occurred**, by `--summary`'s rule ([`crate::source::order::occurred_first`], README
/// "Counting rules"): the session whose latest line is the earliest (a resumed copy goes on
/// after the session it copies has ended), then the one whose earliest line is the earliest,
/// then the session id in byte order. `span`: the times of a session's earliest and latest
/// line (ms since the epoch; `None`: no dated line, ranked last). Returns true when `a` wins
/// over `b` (or ties with it).
pub fn first_occurred(a: (&str, Option<(i64, i64)>), b: (&str, Option<(i64, i64)>)) -> bool {
    use crate::source::order::{occurred_first, Span};
    let span = |s: Option<(i64, i64)>| Span {
        first: s.map(|s| s.0),
        last: s.map(|s| s.1),
    };
    occurred_first((a.0, span(a.1)), (b.0, span(b.1)))
}

/// Merges the price factors of a later line (or read) of a response into `into`: the one rule
/// of every view, [`PriceFactors::merge`] (a label is the last one stated, `""` or none stating
/// none; the prompt size is the larger). The index applies the same rule when it merges rows,
/// so a response read in one go or in pieces is priced alike.
pub fn merge_factors(into: &mut PriceFactors, other: &PriceFactors) {
    into.merge(other);
}

/// One tool call (keyed by its `tool_use_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolUse {
    /// When the call (or, if the call was not seen, its result) was written, ms since the epoch.
    pub ts_ms: Option<i64>,
    /// Its session.
    pub session: Option<String>,
    /// Its project (`cwd`).
    pub project: Option<String>,
    /// The tool's name, when known.
    pub tool: Option<String>,
    /// True when a subagent made the call.
    pub subagent: bool,
    /// The coding agent whose transcript holds it.
    pub agent: crate::event::Agent,
    /// True when its result was an error.
    pub is_error: bool,
}

/// A limit message found in a transcript: the synthetic line Claude Code writes when a usage
/// limit is hit ("You've hit your limit · resets 1am (Europe/Paris)").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitHit {
    /// When it was written, ms since the epoch.
    pub ts_ms: i64,
    /// Its session.
    pub session: Option<String>,
    /// The message as written.
    pub text: String,
}

/// Collects [`Response`]s, [`ToolUse`]s and [`LimitHit`]s by identity. See the
/// [module documentation](self).
#[derive(Debug, Default)]
pub struct Collector {
    responses: HashMap<String, Response>,
    /// The keys of the rows under a relay's short message id ([`short_prefix`]) by that
    /// prefix and the row's time, to find a copy of one read in another session
    /// ([`Collector::merge`]); made by the first merge that needs it.
    short_rows: Option<HashMap<(String, i64), String>>,
    tools: HashMap<String, ToolUse>,
    limits: HashMap<String, LimitHit>,
    /// Per session: the times of its earliest and latest dated line, ms since the epoch.
    spans: HashMap<String, (i64, i64)>,
    /// Per file: the first session one of its lines named.
    file_sessions: HashMap<String, String>,
    /// Lines that could not be read (malformed and not recovered): their responses are missing.
    unread: super::Unread,
    /// Lines read with a problem in their usage ([`about_usage`]): some of it is not counted;
    /// not those of `unknown`.
    partly: super::Unread,
    /// Lines whose usage could not be read whole and whose response is counted as a call of
    /// unknown cost ([`costs_unknown`]).
    unknown: super::Unread,
    /// The first line of `partly` and `unknown` together (what builds that do not say them
    /// apart record as the first line with a usage problem).
    first_any: Option<String>,
    /// An input that ends cut off (`truncated`: a last line or document still being written)
    /// is awaited, not counted in `unread` ([`Collector::await_unfinished_end`]).
    awaiting_end: bool,
    /// Per session: the subagents and workflow runs its lines name and which of them were
    /// read ([`Named`], the session core's rule), by the session each line counts in.
    named: HashMap<String, Named>,
    /// The workflow run of the file of the latest line ([`Named::observe`] needs it).
    run_of_file: RunOfFile,
}

/// Whether a problem the decode reported on a line that was still read (`recovered`) is about
/// the line's usage, so that what reports count of it is less than it holds: its message
/// names usage or tokens (case-insensitive `usage`: Claude Code's `message.usage…`, Qwen's
/// `usageMetadata…`, Codex's "not token usage"; `token`: every refused count, said with
/// [`crate::format::count::NOT_A_COUNT`], Gemini's and OpenCode's `tokens…`). Every format's
/// problem names the member it is about (the rule of [`crate::format::claude::record::Problem`]
/// and [`crate::format::count`]), so a new usage problem said that way is carried without a
/// change here. Text in double quotes is the transcript's (a value quoted as written, a
/// parser's `invalid type: string "…"`), not the problem's words: not looked at. A line lost
/// whole is not one of these (it is [`Collector::unread`]'s).
pub fn about_usage(m: &Malformed) -> bool {
    if !m.recovered {
        return false;
    }
    let words = own_words(&m.message);
    let has = |word: &[u8]| words.windows(word.len()).any(|w| w == word);
    has(b"usage") || has(b"token")
}

/// Whether a problem about usage ([`about_usage`]) says its response is still counted, as an
/// API call whose cost is unknown (a shape of usage aegon does not read whole: the Claude
/// decode's problems say `unknown cost` or `cost unknown`), rather than that some of its
/// usage is not counted: the two are said apart, each in its own words.
pub fn costs_unknown(m: &Malformed) -> bool {
    if !about_usage(m) {
        return false;
    }
    let words = own_words(&m.message);
    let has = |word: &[u8]| words.windows(word.len()).any(|w| w == word);
    has(b"unknown cost") || has(b"cost unknown")
}

/// A problem's own words, lower-cased: its message outside double quotes (text in quotes is
/// the transcript's; a `\"` inside stays inside).
fn own_words(message: &str) -> Vec<u8> {
    let mut words = Vec::with_capacity(message.len());
    let (mut quoted, mut escaped) = (false, false);
    for &b in message.as_bytes() {
        match (quoted, escaped, b) {
            (true, false, b'\\') => escaped = true,
            (true, true, _) => escaped = false,
            (_, _, b'"') => quoted = !quoted,
            (false, _, _) => words.push(b.to_ascii_lowercase()),
            _ => {}
        }
    }
    words
}

impl Collector {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// From now on, an input that ends cut off (a `truncated` problem: the last line, or the
    /// JSON document, ends before its value does) is awaited, as the index awaits a Claude
    /// Code transcript's unfinished last line: nothing of it is counted, nor said as a line
    /// that could not be read. For a file read whole again once it changes (a Codex rollout,
    /// a Gemini chat), whose end may be read while its agent still writes it.
    pub fn await_unfinished_end(&mut self) {
        self.awaiting_end = true;
    }

    /// A collector holding what one file's read collected (see [`Collector::into_parts`]).
    pub(crate) fn from_parts(
        responses: HashMap<String, Response>,
        tools: HashMap<String, ToolUse>,
        limits: HashMap<String, LimitHit>,
        spans: HashMap<String, (i64, i64)>,
        (unread, partly, unknown): (super::Unread, super::Unread, super::Unread),
        named: HashMap<String, Named>,
    ) -> Self {
        Collector {
            responses,
            short_rows: None,
            tools,
            limits,
            spans,
            file_sessions: HashMap::new(),
            unread,
            partly,
            unknown,
            first_any: None,
            awaiting_end: false,
            named,
            run_of_file: RunOfFile::default(),
        }
    }

    /// The responses, by identity key ([`response_key`]).
    pub fn responses(&self) -> &HashMap<String, Response> {
        &self.responses
    }

    /// The tool calls, by `tool_use_id`.
    pub fn tools(&self) -> &HashMap<String, ToolUse> {
        &self.tools
    }

    /// The limit messages, by identity key (the line's uuid, or file and offset).
    pub fn limits(&self) -> &HashMap<String, LimitHit> {
        &self.limits
    }

    /// Per session: the times of its earliest and latest dated line (ms since the epoch), for
    /// [`first_occurred`].
    pub fn spans(&self) -> &HashMap<String, (i64, i64)> {
        &self.spans
    }

    /// The lines read that could not be read as transcript records and were lost (a line read
    /// with invalid UTF-8 replaced is not lost), with the first of them.
    pub fn unread(&self) -> &super::Unread {
        &self.unread
    }

    /// The lines read with a problem in their usage ([`about_usage`]): what they hold is
    /// counted only in part (a refused count as 0, usage on a record that is not counted not at
    /// all), with the first of them.
    pub fn partly(&self) -> &super::Unread {
        &self.partly
    }

    /// The lines whose usage could not be read whole ([`costs_unknown`]; not in
    /// [`Collector::partly`]): their responses are counted as calls of unknown cost.
    pub fn unknown(&self) -> &super::Unread {
        &self.unknown
    }

    /// Per session: the subagents and workflow runs it names and which of them were read
    /// ([`Named`]), not settled ([`Named::settle`]: the caller does that over all it read).
    pub fn named(&self) -> &HashMap<String, Named> {
        &self.named
    }

    /// [`Collector::named`], taken out.
    pub fn take_named(&mut self) -> HashMap<String, Named> {
        std::mem::take(&mut self.named)
    }

    /// The first of the lines of [`Collector::partly`] and [`Collector::unknown`] together, of
    /// what this collector read itself (not of collectors merged into it).
    pub fn first_with_usage_problem(&self) -> Option<&str> {
        self.first_any.as_deref()
    }

    /// Adds what `other` collected (another file read on its own) as the index merges it:
    /// a response already here keeps its row, grows field by field to the larger counts,
    /// and notes `other`'s session among those it was also written in.
    /// A response under a relay's short message id that is not here under its own key is the
    /// row of the same prefix and time (its copy read in another session, as the index finds
    /// it), if there is one.
    pub fn merge(&mut self, other: Collector) {
        for (key, r) in other.responses {
            let key = match (short_prefix(&key), r.ts_ms) {
                (Some(prefix), Some(ts)) if !self.responses.contains_key(&key) => {
                    let rows = self.short_rows.get_or_insert_with(|| {
                        let mut rows: HashMap<(String, i64), String> = HashMap::new();
                        for (k, row) in &self.responses {
                            if let (Some(p), Some(t)) = (short_prefix(k), row.ts_ms) {
                                let kept =
                                    rows.entry((p.to_owned(), t)).or_insert_with(|| k.clone());
                                if k < kept {
                                    *kept = k.clone();
                                }
                            }
                        }
                        rows
                    });
                    rows.entry((prefix.to_owned(), ts))
                        .or_insert_with(|| key.clone())
                        .clone()
                }
                _ => key,
            };
            match self.responses.get_mut(&key) {
                None => {
                    self.responses.insert(key, r);
                }
                Some(row) => {
                    row.tokens = row.tokens.max(r.tokens);
                    merge_factors(&mut row.factors, &r.factors);
                    row.ts_ms = row.ts_ms.or(r.ts_ms);
                    row.model = row.model.take().or(r.model);
                    row.request_id = row.request_id.take().or(r.request_id);
                    // Unread when any copy of it was not read whole.
                    row.unread = row.unread.or(r.unread);
                    let theirs = r.session.map(|s| (s, r.project)).into_iter();
                    for (session, project) in theirs.chain(r.also) {
                        if row.session.as_deref() != Some(session.as_str())
                            && !row.also.iter().any(|(s, _)| *s == session)
                        {
                            row.also.push((session, project));
                        }
                    }
                }
            }
        }
        for (key, t) in other.tools {
            match self.tools.get_mut(&key) {
                Some(row) => {
                    row.is_error |= t.is_error;
                    row.tool = row.tool.take().or(t.tool);
                    row.ts_ms = row.ts_ms.or(t.ts_ms);
                }
                None => {
                    self.tools.insert(key, t);
                }
            }
        }
        for (key, l) in other.limits {
            self.limits.entry(key).or_insert(l);
        }
        for (session, (first, last)) in other.spans {
            let span = self.spans.entry(session).or_insert((first, last));
            *span = (span.0.min(first), span.1.max(last));
        }
        self.unread.add(other.unread);
        self.partly.add(other.partly);
        self.unknown.add(other.unknown);
        for (session, named) in other.named {
            match self.named.get_mut(&session) {
                Some(ours) => ours.merge(named),
                None => {
                    self.named.insert(session, named);
                }
            }
        }
    }

    /// Responses with the session each counts in ([`first_occurred`] over the sessions it
    /// was written in, by [`Collector::spans`]), and its project there.
    pub fn owned_responses(self) -> HashMap<String, Response> {
        let spans = self.spans;
        let mut responses = self.responses;
        for r in responses.values_mut() {
            for (session, project) in std::mem::take(&mut r.also) {
                let here = r.session.as_deref().map(|s| (s, spans.get(s).copied()));
                let there = (session.as_str(), spans.get(&session).copied());
                if here.is_none_or(|h| !first_occurred(h, there)) {
                    r.session = Some(session);
                    r.project = project;
                }
            }
        }
        responses
    }

    /// Everything collected: responses, tool calls and limit messages.
    pub fn into_parts(
        self,
    ) -> (
        HashMap<String, Response>,
        HashMap<String, ToolUse>,
        HashMap<String, LimitHit>,
    ) {
        (self.responses, self.tools, self.limits)
    }
}

/// A response's identity in the index and in `--no-index`: its [`crate::ResponseIdentity`],
/// the rule the correlator and `--summary` count by. `m:MESSAGE_ID\u{1f}REQUEST` for a
/// message id, where `REQUEST` is the request id only for an agent that numbers requests
/// under one message id ([`crate::ResponseIdentity::numbers_requests`]: Codex, OpenCode) and
/// empty otherwise (a Claude Code response is its `message.id`, whichever of its lines and
/// copies carry `requestId`); `p:MESSAGE_ID\u{1f}PROMPT\u{1f}SESSION` for a Claude Code
/// message id too short to be one response's ([`crate::ResponseIdentity::ShortMessage`]: a
/// relay's constant, `""` included), `PROMPT` the request's prompt size in tokens (`prompt`,
/// the usage's [`crate::tokens::PriceFactors::prompt_tokens`]) and `SESSION` the line's
/// `sessionId` (empty when none), a form of its own so that nothing takes it for a key of
/// the message id alone ([`message_prefix`], [`stored_prefix`]; the index finds a copy of
/// such a response in another session by [`short_prefix`] and its time); else
/// `r:REQUEST_ID`; else `u:UUID` (the line's); else (none written) `l:FILE\u{1f}OFFSET`, the
/// line's place in its file.
///
/// The index stores a row of a Claude Code response under `m:ID\u{1f}REQUEST` with the first
/// `requestId` met of it ([`Response::request_id`]; empty when none), the key builds before
/// this rule gave it, so that an older build sharing the index finds the row again; a row
/// already stored under another key of the same message id (`m:ID\u{1f}…`,
/// [`message_prefix`]) is the response's, whatever its request id.
pub fn response_key(
    event: &Event<'_>,
    message_id: Option<&str>,
    request_id: Option<&str>,
    prompt: u64,
) -> String {
    match crate::ResponseIdentity::of(
        event.agent,
        message_id,
        request_id,
        event.uuid.as_deref(),
        (prompt, event.session_id.as_deref()),
    ) {
        Some(crate::ResponseIdentity::Message { id, request }) => {
            format!("m:{id}\u{1f}{}", request.unwrap_or(""))
        }
        Some(crate::ResponseIdentity::ShortMessage {
            id,
            prompt,
            session,
        }) => format!("p:{id}\u{1f}{prompt}\u{1f}{}", session.unwrap_or("")),
        Some(crate::ResponseIdentity::Request(request)) => format!("r:{request}"),
        Some(crate::ResponseIdentity::Line(uuid)) => format!("u:{uuid}"),
        None => format!("l:{}\u{1f}{}", event.source.file, event.source.offset),
    }
}

/// For a key of a response under a relay's short message id (`p:ID\u{1f}PROMPT\u{1f}SESSION`,
/// [`response_key`]): `p:ID\u{1f}PROMPT\u{1f}`, the prefix the keys of the same response in
/// every session start with (a resumed session's copy of it, under another session id). `None`
/// for a key of another form.
pub fn short_prefix(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("p:")?;
    let session = rest.rfind('\u{1f}')?;
    Some(&key[..2 + session + '\u{1f}'.len_utf8()])
}

/// For an identity key of a message id with no request in it (`m:ID\u{1f}`, [`response_key`]
/// of an agent that does not number requests): the key itself, the prefix every stored key
/// of the same response starts with (`m:ID\u{1f}` and a request id, or none). `None` for any
/// other key (a Codex or OpenCode request's, `r:`, `u:`, `l:`).
pub fn message_prefix(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("m:")?;
    let sep = rest.find('\u{1f}')?;
    let end = 2 + sep + '\u{1f}'.len_utf8();
    (key.len() == end).then_some(key)
}

/// The prefix of a stored key of a message id (`m:ID\u{1f}` of `m:ID\u{1f}REQUEST`), whatever
/// follows it; `None` for a key of another form.
pub fn stored_prefix(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("m:")?;
    let sep = rest.find('\u{1f}')?;
    Some(&key[..2 + sep + '\u{1f}'.len_utf8()])
}

fn owned(text: Option<&str>) -> Option<String> {
    text.map(str::to_owned)
}

/// Whether an API error's text is a usage-limit message.
pub fn is_limit_message(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    (lower.contains("limit") && lower.contains("resets")) || lower.contains("usage limit reached|")
}

impl Renderer for Collector {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        let ts_ms = event.timestamp.as_deref().and_then(parse_millis);
        let file = event.source.file;
        // The line's session, or for a line that names none its file's (as --summary says).
        let session = match event.session_id.as_deref() {
            Some(id) => {
                if !self.file_sessions.contains_key(file) {
                    self.file_sessions.insert(file.to_owned(), id.to_owned());
                }
                id.to_owned()
            }
            None => crate::render::summary::session_of_unnamed_line(
                file,
                self.file_sessions.get(file).map(String::as_str),
            ),
        };
        if let Some(ts) = ts_ms {
            let span = self.spans.entry(session.clone()).or_insert((ts, ts));
            *span = (span.0.min(ts), span.1.max(ts));
        }
        // What the line names or reads of subagents and workflow runs (most lines: neither,
        // a test here).
        if event.agent_id.is_some()
            || matches!(
                event.kind,
                EventKind::ToolResult { .. } | EventKind::Progress { .. }
            )
        {
            let run = self.run_of_file.of(file);
            match self.named.get_mut(&session) {
                Some(named) => named.observe(event, run),
                None => {
                    let mut named = Named::new();
                    named.observe(event, run);
                    if named != Named::new() {
                        self.named.insert(session.clone(), named);
                    }
                }
            }
        }
        match &event.kind {
            EventKind::Usage {
                message_id,
                request_id,
                model,
                tokens,
                increment,
                factors,
                repriced,
                unread,
                ..
            } => {
                let key = response_key(
                    event,
                    message_id.as_deref(),
                    request_id.as_deref(),
                    factors.prompt_tokens,
                );
                let numbered = crate::ResponseIdentity::numbers_requests(event.agent);
                match self.responses.get_mut(&key) {
                    // A later line of a response seen in this run: the correlator gives what
                    // grew, so the sum is the maximum.
                    Some(row) => {
                        if *increment {
                            // Writes counted as 5-minute ones that a later line says were
                            // 1-hour ones move (`tokens::Repriced`).
                            let moved = repriced.as_ref().map_or(0, |r| r.moved_to_1h);
                            row.tokens = row.tokens.saturating_add(*tokens).moved_to_1h(moved);
                        } else {
                            // The correlator forgot the response (over a million later).
                            row.tokens = row.tokens.max(*tokens);
                        }
                        merge_factors(&mut row.factors, factors);
                        if row.request_id.is_none() && !numbered {
                            row.request_id = owned(request_id.as_deref());
                        }
                        row.call |= !*increment;
                        // Any line not read whole leaves its cost unknown (it may be the
                        // final line of a streamed response, with its largest counts).
                        row.unread = row.unread.or(*unread);
                        if row.session.as_deref() != Some(session.as_str())
                            && !row.also.iter().any(|(s, _)| *s == session)
                        {
                            row.also.push((session, owned(event.cwd.as_deref())));
                        }
                    }
                    None => {
                        self.responses.insert(
                            key,
                            Response {
                                ts_ms,
                                session: Some(session),
                                project: owned(event.cwd.as_deref()),
                                model: owned(model.as_deref()),
                                subagent: event.sidechain,
                                agent: event.agent,
                                tokens: *tokens,
                                factors: factors.clone(),
                                also: Vec::new(),
                                call: !*increment,
                                request_id: owned(request_id.as_deref()).filter(|_| !numbered),
                                unread: *unread,
                            },
                        );
                    }
                }
            }
            EventKind::ToolCall {
                tool_use_id: Some(id),
                tool,
                ..
            } => {
                self.tools
                    .entry(id.to_string())
                    .and_modify(|t| {
                        if t.tool.is_none() {
                            t.tool = Some(tool.to_string());
                        }
                    })
                    .or_insert_with(|| ToolUse {
                        ts_ms,
                        session: Some(session),
                        project: owned(event.cwd.as_deref()),
                        tool: Some(tool.to_string()),
                        subagent: event.sidechain,
                        agent: event.agent,
                        is_error: false,
                    });
            }
            EventKind::ToolResult {
                tool_use_id: Some(id),
                is_error: true,
                tool,
                ..
            } => {
                self.tools
                    .entry(id.to_string())
                    .and_modify(|t| t.is_error = true)
                    .or_insert_with(|| ToolUse {
                        ts_ms,
                        session: Some(session),
                        project: owned(event.cwd.as_deref()),
                        tool: owned(tool.as_deref()),
                        subagent: event.sidechain,
                        agent: event.agent,
                        is_error: true,
                    });
            }
            EventKind::ApiError {
                text: Some(text), ..
            } if is_limit_message(text) => {
                if let Some(ts_ms) = ts_ms {
                    let key = match event.uuid.as_deref() {
                        Some(uuid) => format!("u:{uuid}"),
                        None => format!("l:{}\u{1f}{}", event.source.file, event.source.offset),
                    };
                    self.limits.entry(key).or_insert_with(|| LimitHit {
                        ts_ms,
                        session: Some(session),
                        text: text.to_string(),
                    });
                }
            }
            EventKind::Malformed(m)
                if self.awaiting_end && m.reason == crate::event::MalformedReason::Truncated => {}
            EventKind::Malformed(m) if !m.recovered || about_usage(m) => {
                let tally = if !m.recovered {
                    &mut self.unread
                } else if costs_unknown(m) {
                    &mut self.unknown
                } else {
                    &mut self.partly
                };
                if tally.lines == 0 {
                    tally.files += 1;
                }
                tally.lines += 1;
                if tally.first.is_none() {
                    tally.first = Some(super::unread_place(
                        file,
                        event.source.line,
                        m.error_offset,
                        &m.message,
                    ));
                    if m.recovered && self.first_any.is_none() {
                        self.first_any.clone_from(&tally.first);
                    }
                }
            }
            _ => {}
        }
        Ok(ControlFlow::Continue(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{Options, Pipeline};

    fn line(id: &str, output: u64, ts: &str) -> String {
        format!(
            r#"{{"type":"assistant","sessionId":"s1","cwd":"/p","timestamp":"{ts}","requestId":"r-{id}","message":{{"id":"msg_0123456789ab{id}","model":"claude-opus-4-6","content":[],"usage":{{"input_tokens":3,"output_tokens":{output},"cache_read_input_tokens":100}}}}}}"#
        ) + "\n"
    }

    fn problem(message: &str, recovered: bool) -> Malformed {
        Malformed {
            reason: crate::event::MalformedReason::UnexpectedShape,
            message: message.to_owned(),
            error_offset: 0,
            len: 1,
            recovered,
        }
    }

    #[test]
    fn a_problem_is_about_usage_by_its_own_words_not_the_values_it_quotes() {
        // Messages as the decoders write them (decode.rs, count.rs, codex).
        for message in [
            "partly read: `message.usage.output_tokens` \"104\" is not a token count: read as 0",
            "partly read: a `assistant_message` line carries `message.usage`: not counted (only assistant lines are)",
            "partly read: `message.usage` is a string, not an object: no tokens read",
            "partly read: `info` of a token_count event is not token usage (a list): not counted",
            "partly read: `usageMetadata.promptTokenCount` -1 is not a token count: read as 0",
        ] {
            assert!(about_usage(&problem(message, true)), "{message}");
        }
        for message in [
            "invalid UTF-8 (first bad byte here): read with the bad bytes replaced by U+FFFD",
            "partly read: `message.content[2]` is a number, not a content block: skipped",
            // The words are the transcript's, in quotes (with an escaped quote inside).
            "partly read: `message.content[0].text` cannot be read (invalid type: string \"my \\\"usage\\\" tokens\", expected a string): ignored",
            "9000 NUL bytes around the record on this line (crash padding): cut off, 1 record read",
        ] {
            assert!(!about_usage(&problem(message, true)), "{message}");
        }
        // A line lost whole is counted as unread, not here.
        assert!(!about_usage(&problem("`message.usage` cut off", false)));
    }

    #[test]
    fn usage_not_read_whole_is_said_apart_by_the_problems_words() {
        // The Claude decode's messages for usage it counts as a call of unknown cost.
        for message in [
            "partly read: `usage` at the line's top level, not in `message`: aegon reads a response's usage only from `message.usage`: counted as an API call of unknown cost",
            "partly read: `message.usage` holds no token count aegon knows (`input_tokens`, `output_tokens`, `cache_*_input_tokens`, or `iterations` of them), or only zeros: counted as an API call of unknown cost",
            "partly read: `message.usage.cache_creation` holds cache writes of a TTL aegon does not know (not `ephemeral_5m_input_tokens` or `ephemeral_1h_input_tokens`): counted as 5-minute writes, the response's cost unknown",
        ] {
            assert!(costs_unknown(&problem(message, true)), "{message}");
        }
        for (message, recovered) in [
            // Not counted at all, or a count refused: said as not counted.
            ("partly read: `usage` at the line's top level, not in `message`: not read (aegon reads usage only from an assistant line's `message.usage`)", true),
            ("partly read: `message.usage.output_tokens` \"104\" is not a token count: read as 0", true),
            // The words in quotes are the transcript's.
            ("partly read: `message.usage.output_tokens` \"unknown cost\" is not a token count: read as 0", true),
            // A line lost whole is unread, not this.
            ("`message.usage` cut off: counted as an API call of unknown cost", false),
        ] {
            assert!(!costs_unknown(&problem(message, recovered)), "{message}");
        }
    }

    #[test]
    fn the_session_a_response_counts_in_is_where_it_first_occurred() {
        // README "Counting rules", written out: the earlier latest line wins (a resumed copy
        // goes on after its parent ended), then the earlier first line, then the id's bytes;
        // a session with no dated line loses to any with one; a tie keeps the first.
        let (a, b) = ("a", "b");
        assert!(first_occurred((b, Some((5, 10))), (a, Some((1, 20)))));
        assert!(!first_occurred((a, Some((1, 20))), (b, Some((5, 10)))));
        assert!(first_occurred((b, Some((1, 10))), (a, Some((5, 10)))));
        assert!(first_occurred((a, Some((1, 10))), (b, Some((1, 10)))));
        assert!(!first_occurred((b, Some((1, 10))), (a, Some((1, 10)))));
        assert!(first_occurred((b, Some((1, i64::MAX - 1))), (a, None)));
        assert!(!first_occurred((a, None), (b, Some((1, 10)))));
        assert!(first_occurred((a, None), (b, None)));
        assert!(first_occurred((a, Some((1, 10))), (a, Some((1, 10)))));
    }

    #[test]
    fn a_response_is_one_row_at_its_largest_counts() {
        let text = [
            line("a", 10, "2026-01-01T00:00:00Z"),
            line("a", 441, "2026-01-01T00:00:01Z"),
            line("a", 300, "2026-01-01T00:00:02Z"),
            line("b", 5, "2026-01-01T00:00:03Z"),
        ]
        .concat();
        let mut p = Pipeline::new(Options::default(), Collector::new());
        let _ = p.read_to_end("t", text.as_bytes()).unwrap();
        let (c, _) = p.finish().unwrap();
        let a = &c.responses()["m:msg_0123456789aba\u{1f}"];
        // Independent: the largest output of a's lines is 441; input is 3 on each line.
        assert_eq!(
            (a.tokens.output, a.tokens.input, a.tokens.cache_read),
            (441, 3, 100)
        );
        assert_eq!(a.ts_ms, Some(1_767_225_600_000));
        assert_eq!(c.responses().len(), 2);
    }

    #[test]
    fn a_response_takes_the_last_factor_named_and_its_largest_prompt() {
        // Written by hand: a response whose first line names no speed and a shorter cache
        // read, a second line says `fast` and `us`, a third `standard` and `global`: the last
        // stated holds ([`PriceFactors::merge`], the rule of every view).
        let line = |output: u64, cache_read: u64, extra: &str| {
            format!(
                r#"{{"type":"assistant","sessionId":"s1","timestamp":"2026-01-01T00:00:00Z","requestId":"r","message":{{"id":"msg_0123456789aba","model":"claude-opus-4-6","content":[],"usage":{{"input_tokens":3,"output_tokens":{output},"cache_read_input_tokens":{cache_read}{extra}}}}}}}"#
            ) + "\n"
        };
        let text = [
            line(10, 100, ""),
            line(20, 200, r#","speed":"fast","inference_geo":"us""#),
            line(30, 200, r#","speed":"standard","inference_geo":"global""#),
        ]
        .concat();
        let mut p = Pipeline::new(Options::default(), Collector::new());
        let _ = p.read_to_end("t", text.as_bytes()).unwrap();
        let (c, _) = p.finish().unwrap();
        let f = &c.responses()["m:msg_0123456789aba\u{1f}"].factors;
        assert_eq!(f.speed.as_deref(), Some("standard"));
        assert_eq!(f.inference_geo.as_deref(), Some("global"));
        assert_eq!(f.service_tier, None);
        // 3 input + 200 cache read.
        assert_eq!(f.prompt_tokens, 203);
    }
}
