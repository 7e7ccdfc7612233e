//! GitHub Copilot CLI's session logs, `~/.copilot/session-state/<uuid>/events.jsonl` (corpus
//! FORMAT.md §4): one event per line, `{type, data, id, timestamp, parentId}`, read by
//! [`Decoder`] (it keeps the session's id, folder, branch and model from `session.start`).
//!
//! ## Events
//!
//! - `user.message` → [`EventKind::UserPrompt`] (`content`, what was typed;
//!   `transformedContent`, the prompt with the context Copilot added, is not shown).
//! - `assistant.message` → [`EventKind::Thinking`] (`reasoningText`), then
//!   [`EventKind::AssistantText`] (`content`, when not empty), then one
//!   [`EventKind::ToolCall`] per `toolRequests[]` element (`toolCallId`, `name`, `arguments` as
//!   written), then its [`EventKind::Usage`].
//! - `tool.execution_start` → [`EventKind::Progress`] (the call starts running);
//!   `tool.execution_complete` → [`EventKind::ToolResult`] (`success: false` → `is_error`;
//!   content `result`, else `error`).
//! - `session.compaction_complete` → [`EventKind::Compact`] (`preCompactionTokens`) and its
//!   summary as [`EventKind::CompactSummary`], and the compaction request's own usage.
//! - `session.error` → [`EventKind::ApiError`] (`statusCode`, `message`; `fatal`: Copilot
//!   stops the turn).
//! - `session.start`, `session.resume`, `session.model_change`, `session.shutdown`,
//!   `session.compaction_start`, `assistant.turn_start`/`turn_end` and other `session.*`
//!   lines → [`EventKind::System`] with the type as subtype (a shutdown with model metrics gives
//!   usage events instead); other types → [`EventKind::Unknown`].
//!
//! ## Usage
//!
//! Copilot writes only `outputTokens` per `assistant.message`; input and cache counts exist
//! only as session totals per model in `session.shutdown.modelMetrics[model].usage`
//! (`inputTokens`, `outputTokens`, `cacheReadTokens`, `cacheWriteTokens`). So:
//! - each `assistant.message` → a `Usage` with `message_id` = `messageId`, the current model
//!   (`session.start.selectedModel`, then `session.model_change.newModel`) and only its
//!   output: one API call each (16 messages = `requests.count` 16 in the saved file);
//! - each `session.shutdown` → per model, a `Usage` with `message_id`
//!   `<sessionId>/shutdown/<model>`, `increment: true` (not another API call) and the input
//!   and cache counts. `inputTokens` includes the cache reads (1.88 M input beside 1.50 M cache
//!   reads over 16 requests of a ~116 K-token context, FORMAT.md §4): `tokens.input` =
//!   `inputTokens − cacheReadTokens − cacheWriteTokens` (saturating; writes are assumed to be
//!   inside `inputTokens` too, and 5-minute writes: never non-zero in the saved file). Its
//!   output is what the shutdown counts beyond the messages' outputs seen in this input (0
//!   when they add up, as they do in the saved file: 6,391), so nothing is counted twice.
//!   A resumed session writes a second shutdown under the same identity: the correlator
//!   counts only what grew, which is right if the second shutdown's metrics cover the whole
//!   session (**not determined** from the saved file; if they covered only the resumed part,
//!   the input would be undercounted). A file followed from its end reads its history into
//!   the decoder uncounted ([`Decoder::history_read`]): the outputs seen there count against
//!   the next shutdown's output, and the last shutdown there is taken off the next (which the
//!   correlator, never shown the first, could not do), so the lines after the start give what
//!   they give read from the start.
//! - requests after the last shutdown (a running session, or one that ended without writing
//!   it): at the input's end ([`Decoder::finish`]) one more `Usage`, `increment: true`, no
//!   tokens, identity `<sessionId>/shutdown/pending`, with [`Unread::NotYetWritten`]: the
//!   session's cost is unknown and its tokens a lower bound until the shutdown is written (a
//!   reader that follows the file emits it only when the input ends; the usage index reads a
//!   Copilot file again from its start when it grows, so the marker goes when the shutdown
//!   comes).
//! - `session.compaction_complete.compactionTokensUsed {input, output, cachedInput}` is the
//!   compaction request (not in the shutdown's output, which equals the messages' sum): a
//!   `Usage` with `message_id` = its `requestId`, input = `input − cachedInput`.
//!
//! Header fields: `uuid` = the line's `id` (a line read twice counts once), `timestamp` as
//! written, `session_id`, `cwd` (`context.cwd`), `git_branch` (`context.branch`) and `version`
//! (`copilotVersion`, left out when `"unknown"`) from `session.start`.
//!
//! ## `workspace.yaml`
//!
//! The session folder also holds `workspace.yaml` (FORMAT.md §4: `id`, `cwd`, `git_root`,
//! `repository`, `branch`, `summary`, `created_at`, …), YAML that repeats what `events.jsonl`
//! says. It is not a transcript: an input whose first line is its `id: <uuid>`
//! ([`is_workspace_yaml`]) gives one [`MalformedReason::UnexpectedShape`] event of Copilot CLI
//! saying so ([`workspace_event`]), and nothing else.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::ControlFlow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::event::{Agent, Event, EventKind, MalformedReason, Source};
use crate::format::claude::record::lenient_opt_u64;
use crate::format::Count;
use crate::json::RawJson;
use crate::source::lines::Line;
use crate::text::Text;
use crate::tokens::{PriceFactors, Tokens, Unread};

/// Whether `first`, an input's first non-blank line, begins a Copilot CLI `workspace.yaml`:
/// `id: ` and the session's UUID (8-4-4-4-12 hex digits), as the CLI writes its first line.
pub fn is_workspace_yaml(first: &[u8]) -> bool {
    let line = first
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(first)
        .trim_ascii();
    let Some(id) = line.strip_prefix(b"id:") else {
        return false;
    };
    let id = id.trim_ascii();
    id.len() == 36
        && id.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// The one event an input that is a Copilot CLI `workspace.yaml` gives ([`is_workspace_yaml`]
/// told so from `first`, its first line): a [`MalformedReason::UnexpectedShape`] of Copilot
/// CLI at that line, saying that the file is session metadata, not a transcript, and where
/// the session's events are. Its `len` is the line's.
pub fn workspace_event<'f>(file: &'f str, first: &Line<'_>) -> Event<'f> {
    let source = Source {
        file,
        line: first.number,
        offset: first.offset,
    };
    super::malformed(
        Agent::CopilotCli,
        source,
        MalformedReason::UnexpectedShape,
        "not a transcript: a GitHub Copilot CLI workspace.yaml (the session's metadata: id, folder, branch, summary); the session's events are in events.jsonl in the same folder; not read"
            .to_owned(),
        first.offset,
        first.bytes.len() as u64,
        false,
    )
}

/// Whether a JSONL line (a whole JSON object) is a Copilot CLI event: a dotted `type` among
/// Copilot's (`session.`, `user.`, `assistant.`, `tool.`) beside `data` and `id`.
pub fn sniff_line(line: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Probe<'a> {
        #[serde(borrow, default, rename = "type")]
        kind: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        data: Option<&'a RawValue>,
        #[serde(borrow, default)]
        id: Option<&'a RawValue>,
    }
    if memchr::memmem::find(line, b"\"data\"").is_none() {
        return false;
    }
    match serde_json::from_slice::<Probe<'_>>(line) {
        Ok(Probe {
            kind: Some(kind),
            data: Some(data),
            id: Some(_),
        }) => {
            data.get().starts_with('{')
                && ["session.", "user.", "assistant.", "tool."]
                    .iter()
                    .any(|p| kind.starts_with(p))
        }
        _ => false,
    }
}

/// The kind of a Copilot CLI line as the format names it (its `type`, such as
/// `assistant.message`), for `aegon audit`.
pub fn record_kind(value: &serde_json::Value) -> Option<String> {
    value.get("type")?.as_str().map(str::to_owned)
}

/// The Copilot CLI version a line records: `session.start`'s `data.copilotVersion` (all saved
/// files say `"unknown"`, returned as written).
pub fn cli_version(value: &serde_json::Value) -> Option<String> {
    value
        .get("data")?
        .get("copilotVersion")?
        .as_str()
        .map(str::to_owned)
}

/// One line's envelope.
#[derive(Debug, Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
}

/// `data` of the line types read, all fields together (each type has some).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data<'a> {
    // session.start
    #[serde(borrow, default)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    copilot_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    selected_model: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    context: Option<Context<'a>>,
    // session.model_change
    #[serde(borrow, default)]
    new_model: Option<Cow<'a, str>>,
    // user.message, assistant.message
    #[serde(borrow, default)]
    content: Option<&'a RawValue>,
    #[serde(borrow, default)]
    message_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    reasoning_text: Option<Text<'a>>,
    #[serde(borrow, default)]
    tool_requests: Option<Vec<ToolRequest<'a>>>,
    #[serde(default)]
    output_tokens: Count,
    // tool.execution_*
    #[serde(borrow, default)]
    tool_call_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    tool_name: Option<Cow<'a, str>>,
    #[serde(default)]
    success: Option<bool>,
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
    // session.error
    #[serde(borrow, default)]
    error_type: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    status_code: Option<u64>,
    #[serde(borrow, default)]
    message: Option<Cow<'a, str>>,
    // session.compaction_complete
    #[serde(default)]
    pre_compaction_tokens: Count,
    #[serde(borrow, default)]
    summary_content: Option<Text<'a>>,
    #[serde(default)]
    compaction_tokens_used: Option<CompactionTokens>,
    #[serde(borrow, default)]
    request_id: Option<Cow<'a, str>>,
    // session.shutdown
    #[serde(borrow, default)]
    model_metrics: Option<HashMap<Cow<'a, str>, ModelMetrics>>,
}

#[derive(Debug, Default, Deserialize)]
struct Context<'a> {
    #[serde(borrow, default)]
    cwd: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    branch: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ToolRequest<'a> {
    #[serde(borrow, default)]
    tool_call_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    arguments: Option<&'a RawValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompactionTokens {
    #[serde(default)]
    input: Count,
    #[serde(default)]
    output: Count,
    #[serde(default)]
    cached_input: Count,
}

impl Data<'_> {
    /// True when a token count was written that is not one ([`Count::Refused`]).
    fn refused(&self) -> bool {
        let mut counts = vec![self.output_tokens, self.pre_compaction_tokens];
        if let Some(t) = &self.compaction_tokens_used {
            counts.extend([t.input, t.output, t.cached_input]);
        }
        for m in self.model_metrics.iter().flat_map(HashMap::values) {
            let u = &m.usage;
            counts.extend([
                u.input_tokens,
                u.output_tokens,
                u.cache_read_tokens,
                u.cache_write_tokens,
            ]);
        }
        counts.iter().any(|c| c.is_refused())
    }
}

/// The token counts of a line, as paths in it, for naming a refused one
/// ([`crate::format::count::refused_counts`]).
const COUNTS: [&str; 9] = [
    "data.outputTokens",
    "data.preCompactionTokens",
    "data.compactionTokensUsed.input",
    "data.compactionTokensUsed.output",
    "data.compactionTokensUsed.cachedInput",
    "data.modelMetrics.*.usage.inputTokens",
    "data.modelMetrics.*.usage.outputTokens",
    "data.modelMetrics.*.usage.cacheReadTokens",
    "data.modelMetrics.*.usage.cacheWriteTokens",
];

#[derive(Debug, Default, Deserialize)]
struct ModelMetrics {
    #[serde(default)]
    usage: MetricsUsage,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetricsUsage {
    #[serde(default)]
    input_tokens: Count,
    #[serde(default)]
    output_tokens: Count,
    #[serde(default)]
    cache_read_tokens: Count,
    #[serde(default)]
    cache_write_tokens: Count,
}

/// One input's state: what `session.start` said, the current model, and the output tokens of
/// the messages seen per model (for the shutdown's remainder).
#[derive(Debug, Default)]
pub struct Decoder {
    session_id: Option<String>,
    cwd: Option<String>,
    git_branch: Option<String>,
    version: Option<String>,
    model: Option<String>,
    output_seen: HashMap<String, u64>,
    /// The last `assistant.message` after the last shutdown with model metrics (its line,
    /// byte offset and timestamp): its input is not written yet ([`Decoder::finish`]).
    awaiting_totals: Option<(u64, u64, Option<String>)>,
    /// Per model, the usage the last shutdown with model metrics gave (its totals, output
    /// beyond the messages' outputs seen), before [`Decoder::counted_before`] is taken off.
    last_shutdown: HashMap<String, Tokens>,
    /// Per model, the usage of the last shutdown in the input's history (the lines read by
    /// [`Decoder::history_read`], not counted: a file followed from its end), taken off each
    /// later shutdown's, since a resumed session's second shutdown covers the whole session
    /// and the first was never counted here to be told apart by the correlator.
    counted_before: HashMap<String, Tokens>,
}

impl Decoder {
    /// Decodes one line and emits its events (a [`EventKind::Malformed`] one for a bad line).
    pub fn line<F>(&mut self, file: &str, line: Line<'_>, emit: &mut F) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        let source = line.source(file);
        if line.bytes.iter().all(u8::is_ascii_whitespace) {
            return ControlFlow::Continue(());
        }
        let len = line.bytes.len() as u64;
        let text = match std::str::from_utf8(line.bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(e) => {
                let at = line.offset + e.valid_up_to() as u64;
                emit(self.malformed(
                    source,
                    MalformedReason::InvalidUtf8,
                    "invalid UTF-8 (first bad byte here): read with the bad bytes replaced by U+FFFD"
                        .to_owned(),
                    at,
                    len,
                    true,
                ))?;
                String::from_utf8_lossy(line.bytes)
            }
        };
        let envelope: Envelope<'_> = match serde_json::from_str(&text) {
            Ok(e) => e,
            Err(e) => {
                let at = super::offset_in_line(&line, &text, &text, &e);
                let words = super::json_error_text(&e);
                let (reason, message) = if e.is_eof() && !line.terminated {
                    (
                        MalformedReason::Truncated,
                        format!("input ends inside this line ({words}); it was cut off or is still being written"),
                    )
                } else if e.is_data() {
                    (
                        MalformedReason::UnexpectedShape,
                        format!("not a Copilot CLI event: {words}"),
                    )
                } else {
                    (
                        MalformedReason::InvalidJson,
                        format!("invalid JSON: {words}"),
                    )
                };
                return emit(self.malformed(source, reason, message, at, len, false));
            }
        };
        let data: Data<'_> = match envelope.data.map(|d| (d, serde_json::from_str(d.get()))) {
            Some((_, Ok(d))) => d,
            None => Data::default(),
            Some((raw, Err(e))) => {
                return emit(self.malformed(
                    source,
                    MalformedReason::UnexpectedShape,
                    format!(
                        "`data` of a `{}` line cannot be read: {}",
                        envelope.kind.as_deref().unwrap_or("?"),
                        super::json_error_text(&e)
                    ),
                    super::offset_in_line(&line, &text, raw.get(), &e),
                    len,
                    false,
                ))
            }
        };
        if data.refused() {
            let found = crate::format::count::refused_counts(&text, &COUNTS);
            if let Some(kind) = crate::format::count::refused_kind(line.offset, len, &found) {
                emit(self.event(
                    source,
                    envelope.id.clone(),
                    envelope.timestamp.clone(),
                    kind,
                ))?;
            }
        }
        self.events(source, envelope, data, emit)
    }

    /// Says that the lines decoded so far are the input's history, read but not counted (a
    /// file followed from its end, [`crate::pipeline::Pipeline::skim`]): what they taught is
    /// kept (the session's facts and model, the outputs of the messages seen, which later
    /// shutdowns' output is told from), what they would have counted is not. The last
    /// shutdown's usage becomes what is counted before: a later shutdown (a resumed
    /// session's second, whose totals cover the whole session) gives only what grew since,
    /// as read from the start (tester13 #3: started after the first shutdown, the second was
    /// counted whole, $0.6376 for $0.0675). Requests after that shutdown in the history do not
    /// make the cost pending at the input's end: they are not counted here; a later shutdown
    /// still gives their input.
    pub fn history_read(&mut self) {
        self.counted_before.clone_from(&self.last_shutdown);
        self.awaiting_totals = None;
    }

    /// Ends the input. When requests came after the last `session.shutdown` with model
    /// metrics (the session is running, or ended without writing one), their input and cache
    /// tokens are not in the input yet: emits one `Usage` of no tokens, `increment: true`
    /// (not an API call), identity `<sessionId>/shutdown/pending`, the current model, at the
    /// last such message's line and time, with [`Unread::NotYetWritten`] — so the session's
    /// cost is unknown, its tokens a lower bound. A finished session gives nothing here.
    pub fn finish<F>(&mut self, file: &str, emit: &mut F) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        let Some((line, offset, timestamp)) = self.awaiting_totals.take() else {
            return ControlFlow::Continue(());
        };
        let source = Source { file, line, offset };
        let id = format!(
            "{}/shutdown/pending",
            self.session_id.as_deref().unwrap_or("")
        );
        let mut kind = usage(
            Some(Cow::Owned(id)),
            self.model.clone().map(Cow::Owned),
            Tokens::default(),
            true,
        );
        if let EventKind::Usage { unread, .. } = &mut kind {
            *unread = Some(Unread::NotYetWritten);
        }
        emit(self.event(source, None, timestamp.map(Cow::Owned), kind))
    }

    fn malformed<'a>(
        &self,
        source: Source<'a>,
        reason: MalformedReason,
        message: String,
        error_offset: u64,
        len: u64,
        recovered: bool,
    ) -> Event<'a> {
        let kind = super::malformed_kind(reason, message, error_offset, len, recovered);
        self.event(source, None, None, kind)
    }

    fn event<'a>(
        &self,
        source: Source<'a>,
        uuid: Option<Cow<'a, str>>,
        timestamp: Option<Cow<'a, str>>,
        kind: EventKind<'a>,
    ) -> Event<'a> {
        let own = |s: &Option<String>| s.as_ref().map(|s| Cow::Owned(s.clone()));
        Event {
            agent: Agent::CopilotCli,
            source,
            session_id: own(&self.session_id),
            timestamp,
            uuid,
            agent_id: None,
            sidechain: false,
            copied: false,
            cwd: own(&self.cwd),
            git_branch: own(&self.git_branch),
            version: own(&self.version),
            kind,
        }
    }

    fn events<'a, F>(
        &mut self,
        source: Source<'a>,
        envelope: Envelope<'a>,
        data: Data<'a>,
        emit: &mut F,
    ) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        let kind = envelope.kind.clone().unwrap_or(Cow::Borrowed(""));
        match kind.as_ref() {
            "session.start" => {
                self.session_id = data.session_id.as_deref().map(str::to_owned);
                self.version = data
                    .copilot_version
                    .as_deref()
                    .filter(|v| *v != "unknown")
                    .map(str::to_owned);
                self.model = data.selected_model.as_deref().map(str::to_owned);
                if let Some(c) = &data.context {
                    self.cwd = c.cwd.as_deref().map(str::to_owned);
                    self.git_branch = c.branch.as_deref().map(str::to_owned);
                }
            }
            "session.model_change" => {
                if let Some(m) = &data.new_model {
                    self.model = Some(m.to_string());
                }
            }
            // The per-model totals now cover every request before.
            "session.shutdown" if data.model_metrics.as_ref().is_some_and(|m| !m.is_empty()) => {
                self.awaiting_totals = None;
            }
            _ => {}
        }
        let e = |kind: EventKind<'a>| {
            self.event(
                source,
                envelope.id.clone(),
                envelope.timestamp.clone(),
                kind,
            )
        };
        match kind.as_ref() {
            "user.message" => emit(e(EventKind::UserPrompt {
                text: data.content.and_then(Text::from_raw).unwrap_or_default(),
            })),
            "assistant.message" => {
                let message_id = data.message_id.clone();
                let model = self.model.clone().map(Cow::Owned);
                if let Some(text) = data.reasoning_text {
                    emit(e(EventKind::Thinking {
                        message_id: message_id.clone(),
                        text,
                        redacted: false,
                    }))?;
                }
                if let Some(text) = data.content.and_then(Text::from_raw) {
                    if !text.is_blank() {
                        emit(e(EventKind::AssistantText {
                            message_id: message_id.clone(),
                            model: model.clone(),
                            text,
                        }))?;
                    }
                }
                for request in data.tool_requests.into_iter().flatten() {
                    emit(e(EventKind::ToolCall {
                        message_id: message_id.clone(),
                        tool_use_id: request.tool_call_id,
                        tool: request.name.unwrap_or(Cow::Borrowed("?")),
                        input: request.arguments.map(RawJson::from),
                    }))?;
                }
                let output = data.output_tokens.get();
                self.awaiting_totals = Some((
                    source.line,
                    source.offset,
                    envelope.timestamp.as_deref().map(str::to_owned),
                ));
                if let Some(m) = &self.model {
                    let seen = self.output_seen.entry(m.clone()).or_default();
                    *seen = seen.saturating_add(output);
                }
                let tokens = Tokens {
                    output,
                    ..Tokens::default()
                };
                let e = self.event(
                    source,
                    envelope.id.clone(),
                    envelope.timestamp.clone(),
                    usage(message_id, model, tokens, false),
                );
                emit(e)
            }
            "tool.execution_start" => emit(e(EventKind::Progress {
                data_type: Some(kind.clone()),
                tool_use_id: data.tool_call_id,
                parent_tool_use_id: None,
                agent_id: None,
            })),
            "tool.execution_complete" => {
                let is_error = data.success == Some(false);
                emit(e(EventKind::ToolResult {
                    tool_use_id: data.tool_call_id,
                    is_error,
                    tool: data.tool_name,
                    duration_ms: None,
                    content: data.result.or(data.error).map(RawJson::from),
                    spawned_agent_id: None,
                    raw_result: None,
                }))
            }
            "session.error" => emit(e(EventKind::ApiError {
                status: data.status_code,
                text: data.message.or(data.error_type),
                retry_attempt: None,
                max_retries: None,
                retry_in_ms: None,
                fatal: true,
            })),
            "session.compaction_complete" => {
                emit(e(EventKind::Compact {
                    trigger: None,
                    pre_tokens: data.pre_compaction_tokens.read(),
                    post_tokens: None,
                }))?;
                if let Some(text) = data.summary_content {
                    emit(e(EventKind::CompactSummary { text }))?;
                }
                match data.compaction_tokens_used {
                    Some(t) => {
                        let tokens = Tokens {
                            input: t.input.get().saturating_sub(t.cached_input.get()),
                            output: t.output.get(),
                            cache_read: t.cached_input.get(),
                            ..Tokens::default()
                        };
                        let model = data.model.or_else(|| self.model.clone().map(Cow::Owned));
                        emit(e(usage(data.request_id, model, tokens, false)))
                    }
                    None => ControlFlow::Continue(()),
                }
            }
            "session.shutdown" if data.model_metrics.as_ref().is_some_and(|m| !m.is_empty()) => {
                let mut metrics: Vec<_> = data.model_metrics.into_iter().flatten().collect();
                metrics.sort_by(|a, b| a.0.cmp(&b.0));
                for (model, m) in metrics {
                    let u = m.usage;
                    let seen = self.output_seen.get(model.as_ref()).copied().unwrap_or(0);
                    let tokens = Tokens {
                        input: u
                            .input_tokens
                            .get()
                            .saturating_sub(u.cache_read_tokens.get())
                            .saturating_sub(u.cache_write_tokens.get()),
                        output: u.output_tokens.get().saturating_sub(seen),
                        cache_read: u.cache_read_tokens.get(),
                        cache_write_5m: u.cache_write_tokens.get(),
                        cache_write_1h: 0,
                        web_search: 0,
                    };
                    self.last_shutdown.insert(model.to_string(), tokens);
                    let tokens = match self.counted_before.get(model.as_ref()) {
                        Some(before) => tokens.saturating_sub(*before),
                        None => tokens,
                    };
                    let id = format!(
                        "{}/shutdown/{model}",
                        self.session_id.as_deref().unwrap_or("")
                    );
                    // Not through `e`, which borrows `self`: `last_shutdown` changed above.
                    emit(self.event(
                        source,
                        envelope.id.clone(),
                        envelope.timestamp.clone(),
                        usage(Some(Cow::Owned(id)), Some(model), tokens, true),
                    ))?;
                }
                ControlFlow::Continue(())
            }
            t if t.starts_with("session.") || t.starts_with("assistant.turn_") => {
                emit(e(EventKind::System {
                    subtype: Some(kind.clone()),
                    level: None,
                    text: None,
                    duration_ms: None,
                }))
            }
            _ => emit(e(EventKind::Unknown {
                record_type: envelope.kind.clone(),
                block_type: None,
            })),
        }
    }
}

fn usage<'a>(
    message_id: Option<Cow<'a, str>>,
    model: Option<Cow<'a, str>>,
    tokens: Tokens,
    increment: bool,
) -> EventKind<'a> {
    EventKind::Usage {
        message_id,
        request_id: None,
        model,
        tokens,
        increment,
        factors: PriceFactors::default(),
        reasoning: None,
        unread: None,
        context: None,
        window: None,
        repriced: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn record_kinds_and_versions() {
        let start =
            json!({"type": "session.start", "data": {"copilotVersion": "unknown"}, "id": "x"});
        assert_eq!(record_kind(&start).as_deref(), Some("session.start"));
        assert_eq!(cli_version(&start).as_deref(), Some("unknown"));
        let msg = json!({"type": "assistant.message", "data": {"outputTokens": 3}});
        assert_eq!(record_kind(&msg).as_deref(), Some("assistant.message"));
        assert_eq!(cli_version(&msg), None);
        assert_eq!(record_kind(&json!([1])), None);
    }

    #[test]
    fn sniffing_knows_copilot_lines_and_not_claude_ones() {
        assert!(sniff_line(
            br#"{"type":"session.start","data":{"sessionId":"s"},"id":"b6","timestamp":"t","parentId":null}"#
        ));
        // Claude Code: `type` without a dot, `data` only on progress lines, no `id`.
        assert!(!sniff_line(
            br#"{"type":"progress","data":{"type":"hook_progress"},"uuid":"u"}"#
        ));
        assert!(!sniff_line(br#"{"type":"user","message":{"content":"x"}}"#));
    }

    #[test]
    fn a_workspace_yaml_is_told_by_its_first_line_and_nothing_else_is() {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/agents/copilot");
        let name =
            "LAF-US__IDAHO-VAULT__.copilot__session-state__252d6b6b-aaad-4790-8254-7ada091ee9fc__";
        let yaml = std::fs::read(root.join(format!("{name}workspace.yaml"))).expect("fixture");
        let mut lines = yaml.split(|&b| b == b'\n');
        assert!(is_workspace_yaml(lines.next().expect("a line")));
        // Its other lines, the events beside it and Claude Code's lines are not its start.
        assert!(lines.all(|l| !is_workspace_yaml(l)));
        let events = std::fs::read(root.join(format!("{name}events.jsonl"))).expect("fixture");
        assert!(events.split(|&b| b == b'\n').all(|l| !is_workspace_yaml(l)));
        assert!(!is_workspace_yaml(
            br#"{"id: 252d6b6b-aaad-4790-8254-7ada091ee9fc"}"#
        ));
        assert!(!is_workspace_yaml(
            b"id: 252d6b6b-aaad-4790-8254-7ada091ee9fcX"
        ));
        assert!(!is_workspace_yaml(
            b"id: 252d6b6b_aaad-4790-8254-7ada091ee9fc"
        ));
        assert!(is_workspace_yaml(
            b"\xEF\xBB\xBFid:252d6b6b-aaad-4790-8254-7ada091ee9fc\r"
        ));
    }
}
