//! OpenTelemetry traces and metrics of sessions, as OTLP/JSON (`aegon --otlp`).
//!
//! **Traces.** One trace per session (its resource names the session, folder, branch and
//! Claude Code version); under the session's root span, a span for each API response
//! (`chat MODEL`), each tool call (`execute_tool TOOL`) and each subagent (`invoke_agent ID`),
//! with token counts and tool names as attributes following the OpenTelemetry GenAI semantic
//! conventions (`gen_ai.usage.input_tokens`, `gen_ai.tool.name`, …). A response is its
//! [`ResponseIdentity`], as the correlator and `--summary` key it (a Codex counter reset names
//! `<session>:0` again: two responses, two spans), so the chat spans are `--summary`'s API
//! calls; usage reported beyond the responses (Copilot CLI's shutdown totals, an increment of
//! no response) is a `usage MODEL` span, not a chat span. Ids are derived from the session,
//! message, request and call ids, so exporting the same transcript twice gives the same spans.
//!
//! **Cost explained** ([`crate::session::cost_explained`]), in aegon's own `aegon.` namespace
//! (the GenAI conventions have no cost or cache-efficiency attributes): a chat span has
//! [`COST_USD`] (the response's cost, increments included, as `--summary` prices it),
//! [`HIT_RATIO`], [`WEB_SEARCH_REQUESTS`] when it ran web searches (their fee is in its
//! cost), and when the response rebuilt the cache [`REBUILD_CAUSE`],
//! [`REBUILD_TOKENS`] and [`REBUILD_COST_USD`]; an `invoke_agent` span the subagent's cost;
//! the root span the trace's cost (left out when the session names a subagent of which no
//! line was read: its usage is missing, [`crate::tokens::Unread::Subagent`]), hit ratio, `aegon.cache.rebuilds`, their tokens and cost,
//! and `aegon.cache.rebuild.lost_usd.<cause>` for each cause that happened. The figures come
//! from a [`CacheTracker`] fed every event, as the NDJSON renderer's is, so the stream, the
//! spans and the summary agree. A cost with no price is left out, never sent as 0; costs
//! and ratios are doubles.
//!
//! **Metrics.** The counters Claude Code's own telemetry exports, with its metric names,
//! units and attribute keys (Claude Code's monitoring documentation, "Metrics" and "Metric
//! details", read 2026-08 from code.claude.com/docs/en/monitoring-usage), so dashboards built
//! for Claude Code's live telemetry read aegon's too, history included. See [`METRICS`]:
//! `claude_code.session.count` (one per session, at its first event),
//! `claude_code.token.usage` (`type` = `input` | `output` | `cacheRead` | `cacheCreation`,
//! `model`), `claude_code.cost.usage` (USD, `model`; only where the price is known: an
//! unknown price is never sent as 0; a Copilot CLI request's, whose input comes only with
//! the session's `session.shutdown` totals, only once they come: a running session sends
//! none, as `--summary` calls its cost unknown) and `claude_code.lines_of_code.count` (`type` = `added` |
//! `removed`, `model`; from the diffs Edit, MultiEdit and Write results carry). Every point
//! also has `session.id`, `query_source` (`main` or `subagent`) where Claude Code has it, and
//! `speed=fast` for fast-mode requests. Each is a monotonic sum, delta temporality by default
//! (Claude Code's default) or cumulative ([`Temporality`]); a point's time is the transcript's
//! time of what it counts (a backfill keeps the original timestamps). Within one series
//! (metric and attributes) point times strictly increase: two points on the same millisecond
//! are a nanosecond apart.
//!
//! **Other agents.** A session of another agent (Codex, Gemini CLI, OpenCode, Copilot CLI,
//! Qwen Code) is not Claude Code's: its resource's `service.name` is the one that agent's own
//! telemetry uses ([`service_name`]: `codex_cli_rs`, `gemini-cli`, `opencode`, `qwen-code`;
//! `aegon` for Copilot CLI), its metrics the same four under aegon's names
//! ([`AEGON_METRICS`]: `aegon.session.count`, `aegon.token.usage`, `aegon.cost.usage`,
//! `aegon.lines_of_code.count`, same units and attributes) and its root span
//! `aegon.session`, so a dashboard built on Claude Code's telemetry never adds their tokens
//! and dollars to Claude Code's.
//!
//! **What is sent.** Counts, times, ids, model and tool names, the working folder and branch;
//! each value taken from a transcript is cut to [`ATTRIBUTE_MAX`] bytes. Prompt, response and
//! tool text is never sent unless [`OtlpOptions::content`] (`--otlp-content`) asks for it:
//! then tool spans carry `gen_ai.tool.call.arguments` and `gen_ai.tool.call.result`, and the
//! session's root span a `gen_ai.user.message` event per prompt (at most
//! [`CONTENT_EVENTS`]), each cut to [`CONTENT_MAX`] bytes.
//!
//! Spans are written as they complete: a tool call when its result comes, a response when the
//! session moves on, subagents and the session's root span when the input ends or, live, when
//! the session goes idle ([`OtlpRenderer::close_idle`]; a session that resumes after that
//! starts a new trace). Each write is one `ExportTraceServiceRequest` or
//! `ExportMetricsServiceRequest` (what completed since the last), through an [`OtlpSink`]:
//! [`LineSink`] writes one JSON object per line, the format the OpenTelemetry Collector's
//! `otlpjsonfile` receiver reads; the `aegon` binary also has an HTTP sink.
//!
//! Times come from the transcript's timestamps: a response's span runs from the session's
//! previous event to the response's last line, a tool call's from the call to its result.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Write};
use std::ops::ControlFlow;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::event::{Event, EventKind, ResponseIdentity};
use crate::pipeline::Stats;
use crate::render::{Flow, Renderer};
use crate::session::cost_explained::{
    CacheFigures, CacheTracker, CauseTally, Charge, RebuildCause,
};
use crate::session::pricing::Pricing;
use crate::session::{IDLE_AFTER_MS, RUNNING_LIVE_MS};
use crate::timestamp::parse_millis;
use crate::tokens::Tokens;

/// Longest attribute value taken from a transcript (model, tool and agent names, ids, folder,
/// branch), in bytes; longer ones are cut at a character boundary.
pub const ATTRIBUTE_MAX: usize = 256;

/// Longest prompt or tool text sent with `--otlp-content`, in bytes.
pub const CONTENT_MAX: usize = 8192;

/// Most prompt events on one root span with `--otlp-content` (the OpenTelemetry SDKs'
/// default limit of events per span).
pub const CONTENT_EVENTS: usize = 128;

/// The metrics aegon exports: name, unit and description, as Claude Code's monitoring
/// documentation gives them (its "Metrics" table; count metrics carry no unit), under Claude
/// Code's names for Claude Code sessions and under aegon's own namespace for other agents'
/// ([`MetricNames::of`]).
pub const METRICS: [(&str, &str, &str); 8] = [
    (
        CLAUDE_METRICS.session_count,
        "",
        "Count of CLI sessions started",
    ),
    (
        CLAUDE_METRICS.lines_of_code,
        "",
        "Count of lines of code modified",
    ),
    (
        CLAUDE_METRICS.cost_usage,
        "USD",
        "Cost of the Claude Code session",
    ),
    (
        CLAUDE_METRICS.token_usage,
        "tokens",
        "Number of tokens used",
    ),
    (
        AEGON_METRICS.session_count,
        "",
        "Count of agent sessions started",
    ),
    (
        AEGON_METRICS.lines_of_code,
        "",
        "Count of lines of code modified",
    ),
    (AEGON_METRICS.cost_usage, "USD", "Cost of the agent session"),
    (AEGON_METRICS.token_usage, "tokens", "Number of tokens used"),
];

/// The names of the four metrics in one namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricNames {
    /// Sessions started (one point per session).
    pub session_count: &'static str,
    /// Lines added and removed (`type` = `added` | `removed`).
    pub lines_of_code: &'static str,
    /// Cost in USD, where the price is known.
    pub cost_usage: &'static str,
    /// Tokens (`type` = `input` | `output` | `cacheRead` | `cacheCreation`).
    pub token_usage: &'static str,
}

/// Claude Code's own metric names (its monitoring documentation).
pub const CLAUDE_METRICS: MetricNames = MetricNames {
    session_count: "claude_code.session.count",
    lines_of_code: "claude_code.lines_of_code.count",
    cost_usage: "claude_code.cost.usage",
    token_usage: "claude_code.token.usage",
};

/// The same metrics under aegon's namespace, for the sessions of agents other than Claude
/// Code. Their own telemetry has no counterpart of the same meaning: Gemini CLI's
/// `gemini_cli.token.usage` counts `input` with the cached tokens in it and `thought` apart
/// from `output` (and has no cost metric), Qwen Code's is Gemini CLI's, Codex exports
/// per-turn events and `codex.*` metrics of its own shape, OpenCode only traces and logs
/// (sources at [`service_name`]). Sending aegon's counts under their names would mix two
/// meanings in one series, and add up twice where the agent's telemetry is also on; under
/// Claude Code's, a Claude Code dashboard added other agents' dollars (tester9 #4).
pub const AEGON_METRICS: MetricNames = MetricNames {
    session_count: "aegon.session.count",
    lines_of_code: "aegon.lines_of_code.count",
    cost_usage: "aegon.cost.usage",
    token_usage: "aegon.token.usage",
};

impl Default for MetricNames {
    /// Claude Code's.
    fn default() -> Self {
        CLAUDE_METRICS
    }
}

impl MetricNames {
    /// The names a session of `agent` is exported under: Claude Code's own for Claude Code,
    /// aegon's for any other agent.
    pub fn of(agent: crate::event::Agent) -> &'static MetricNames {
        match agent {
            crate::event::Agent::ClaudeCode => &CLAUDE_METRICS,
            _ => &AEGON_METRICS,
        }
    }
}

/// The `service.name` of a session of `agent`: the name the agent's own OpenTelemetry export
/// uses, so that a backend files each agent's sessions under that agent, and aegon's name
/// where the agent exports none. Sources (read 2026-11-30):
/// - Claude Code: `claude-code` (code.claude.com/docs/en/monitoring-usage);
/// - Codex: `codex_cli_rs`, its default originator, which `codex-rs/core/src/otel_init.rs`
///   passes as `service_name` (`DEFAULT_ORIGINATOR` in `default_client.rs`; openai/codex
///   PR #2103 first named it `codex-cli`);
/// - Gemini CLI: `gemini-cli` (`SERVICE_NAME` in `packages/core/src/telemetry/constants.ts`,
///   docs/cli/telemetry.md);
/// - OpenCode: `opencode` (the OTLP resource of its observability layer,
///   `serviceName: "opencode"`; anomalyco/opencode PR #22526);
/// - Qwen Code: `qwen-code` (`SERVICE_NAME` in its telemetry `constants.ts`, Gemini CLI's
///   fork);
/// - Copilot CLI: no OpenTelemetry export known: `aegon`.
pub fn service_name(agent: crate::event::Agent) -> &'static str {
    use crate::event::Agent;
    match agent {
        Agent::ClaudeCode => "claude-code",
        Agent::Codex => "codex_cli_rs",
        Agent::GeminiCli => "gemini-cli",
        Agent::OpenCode => "opencode",
        Agent::QwenCode => "qwen-code",
        Agent::CopilotCli => "aegon",
    }
}

/// Span attributes of cost explained ([`crate::session::cost_explained`]): a span's cost in
/// dollars (a chat span's response, a subagent's responses, a session's), as `--summary`
/// prices it.
pub const COST_USD: &str = "aegon.cost.usd";
/// Cache reads / all input (a double from 0 to 1).
pub const HIT_RATIO: &str = "aegon.cache.hit_ratio";
/// A chat span's rebuild cause ([`RebuildCause::as_str`]).
pub const REBUILD_CAUSE: &str = "aegon.cache.rebuild.cause";
/// Tokens written again (a chat span's rebuild; a session's, added up).
pub const REBUILD_TOKENS: &str = "aegon.cache.rebuild.tokens";
/// What the rebuilt tokens cost beyond reading them from the cache, in dollars.
pub const REBUILD_COST_USD: &str = "aegon.cache.rebuild.cost_usd";
/// Web searches the API ran for a chat span's response (`usage.server_tool_use`), billed
/// per search and included in [`COST_USD`]; set only when there were some. Not a
/// `claude_code.token.usage` type: searches are not tokens, and dashboards add those types up.
pub const WEB_SEARCH_REQUESTS: &str = "aegon.web_search.requests";

/// Which kind of telemetry a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// An `ExportTraceServiceRequest` (`resourceSpans`), sent to `/v1/traces`.
    Traces,
    /// An `ExportMetricsServiceRequest` (`resourceMetrics`), sent to `/v1/metrics`.
    Metrics,
}

/// How metric points add up (OTLP `AggregationTemporality`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Temporality {
    /// Each point counts what happened since the series' previous point (OTLP value 1;
    /// Claude Code's default).
    #[default]
    Delta,
    /// Each point is the series' running total since its first point (OTLP value 2).
    Cumulative,
}

impl Temporality {
    fn otlp(self) -> u8 {
        match self {
            Temporality::Delta => 1,
            Temporality::Cumulative => 2,
        }
    }
}

/// What the export contains and how it is labelled.
#[derive(Debug, Clone)]
pub struct OtlpOptions {
    /// Resource attributes given by the user (`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_SERVICE_NAME`),
    /// in order. `service.name` here replaces the default `claude-code`; other keys never
    /// replace the ones aegon sets (`session.id`, …). Keys other than `service.name` are also
    /// set on every metric point, as Claude Code does, so they can be grouped by.
    pub resource: Vec<(String, String)>,
    /// Send prompt and tool text (`--otlp-content`); off by default.
    pub content: bool,
    /// Export spans (off for `OTEL_TRACES_EXPORTER=none`).
    pub traces: bool,
    /// Export metrics (off for `OTEL_METRICS_EXPORTER=none`).
    pub metrics: bool,
    /// How metric points add up.
    pub temporality: Temporality,
    /// Prices for `claude_code.cost.usage`.
    pub pricing: Pricing,
}

impl Default for OtlpOptions {
    /// Traces and metrics, no content, delta temporality, the built-in prices.
    fn default() -> Self {
        OtlpOptions {
            resource: Vec::new(),
            content: false,
            traces: true,
            metrics: true,
            temporality: Temporality::Delta,
            pricing: Pricing::built_in(),
        }
    }
}

/// Where finished export requests go.
pub trait OtlpSink {
    /// Takes one export request as OTLP/JSON: an `ExportTraceServiceRequest` for
    /// [`Signal::Traces`], an `ExportMetricsServiceRequest` for [`Signal::Metrics`].
    fn export(&mut self, signal: Signal, request: &Value) -> io::Result<()>;

    /// Called when no more requests are due for a while (after each chunk read).
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Called once after the last request (a sender can wait for its queue here).
    fn close(&mut self) -> io::Result<()> {
        self.flush()
    }
}

/// Writes each request as one line of JSON (the `otlpjsonfile` receiver's format, which
/// takes trace and metric requests in one file).
#[derive(Debug)]
pub struct LineSink<W: Write>(pub W);

impl<W: Write> OtlpSink for LineSink<W> {
    fn export(&mut self, _signal: Signal, request: &Value) -> io::Result<()> {
        let line = crate::render::json_bytes(request, false)?;
        self.0.write_all(&line)?;
        self.0.write_all(b"\n")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// A span event: time (Unix ms), name and attributes.
type SpanEvent = (i64, String, Vec<(String, Value)>);

/// A metric series: the metric and its point attributes.
type SeriesKey = (&'static str, Vec<(String, String)>);

/// The chain key of a 1.0.x inline sidechain's lines (they carry no agent id); not an id
/// Claude Code writes.
const INLINE_SIDECHAIN: &str = "<inline sidechain>";

/// A span being built.
#[derive(Debug, Clone)]
struct SpanDraft {
    /// The session's segment (its trace) the span belongs to.
    segment: u32,
    span_id: u64,
    parent: Option<u64>,
    name: String,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
    attributes: Vec<(String, Value)>,
    events: Vec<SpanEvent>,
    error: Option<String>,
}

/// An API response whose lines are still coming.
#[derive(Debug)]
struct OpenResponse {
    /// The session's event count when its first line came: responses still open at a
    /// trace's end are closed in this order (the order they began), not a hash map's.
    seq: u64,
    message_id: String,
    /// The request its identity names under the message id ([`identity_request`]): with the
    /// message id, the response's identity, as the correlator and `--summary` key it
    /// ([`response_identity`]).
    request_id: Option<String>,
    /// Its span's id ([`response_span_id`]).
    span_id: u64,
    model: Option<String>,
    agent: Option<String>,
    tokens: Tokens,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
    /// The cost of its usage events (an increment's too), as `--summary` adds it up.
    cost: Charge,
    /// The cache figures of its first usage event (the NDJSON stream's).
    cache: Option<CacheFigures>,
}

/// A tool call waiting for its result.
#[derive(Debug)]
struct OpenCall {
    /// The session's event count when the call came: calls left without a result at a
    /// trace's end are written in this order (the order they were made), not a hash map's.
    seq: u64,
    tool: String,
    agent: Option<String>,
    start_ms: Option<i64>,
    /// The model of the response that made the call (for lines of code).
    model: Option<String>,
    /// The call's input, kept only with `--otlp-content` (cut to [`CONTENT_MAX`]).
    arguments: Option<String>,
}

/// A subagent's first and last event times, the Task call that started it, and when it was
/// first met (the session's event count then: its spans are written in that order).
#[derive(Debug)]
struct AgentSpan {
    first_ms: Option<i64>,
    last_ms: Option<i64>,
    spawned_by: Option<String>,
    seq: u64,
}

impl AgentSpan {
    fn new(seq: u64) -> Self {
        AgentSpan {
            first_ms: None,
            last_ms: None,
            spawned_by: None,
            seq,
        }
    }
}

/// One metric series' state: its first start and last point time (ns), and running total.
#[derive(Debug, Default)]
struct SeriesState {
    start_ns: u64,
    last_ns: u64,
    total: f64,
    total_int: u64,
}

/// A metric point waiting to be exported.
#[derive(Debug)]
struct Point {
    metric: &'static str,
    attributes: Vec<(String, Value)>,
    start_ns: u64,
    time_ns: u64,
    value: Number,
}

#[derive(Debug, Clone, Copy)]
enum Number {
    Int(u64),
    Double(f64),
}

/// What is known of one session.
#[derive(Debug, Default)]
struct SessionTrace {
    /// Which active period of the session this is: 0 until it first goes idle live.
    segment: u32,
    first_ms: Option<i64>,
    last_ms: Option<i64>,
    resource: Vec<(String, Value)>,
    /// Its metrics' names ([`MetricNames::of`] its agent).
    names: MetricNames,
    /// The response being written, per chain (a subagent's id, [`INLINE_SIDECHAIN`], or
    /// `None`: the main chain): parallel subagents interleave their lines.
    responses_open: HashMap<Option<String>, OpenResponse>,
    /// Responses already exported ([`response_identity`]): a late line of one is not a new
    /// span.
    closed: HashSet<u64>,
    /// The request id (hashed) of the first response of each message id (hashed): a later
    /// response under the same message id with another request id (a Codex counter reset
    /// names `<session>:0` again) gets a span id of its own ([`response_span_id`]).
    first_request: HashMap<u64, u64>,
    calls: HashMap<String, OpenCall>,
    /// Agent id → its first and last timestamps, the Task call that started it, when met.
    agents: HashMap<String, AgentSpan>,
    /// Spans finished and not yet exported.
    done: Vec<SpanDraft>,
    responses: u64,
    tokens: Tokens,
    /// The segment's cost explained: its responses' cost, cache reads and all input of their
    /// first usage events, rebuilds by cause (in [`RebuildCause::ALL`] order), and each
    /// subagent's cost.
    cost: Charge,
    cache_read: u64,
    input: u64,
    causes: [CauseTally; 8],
    agent_costs: HashMap<String, Charge>,
    /// Per chain (main or subagent): the latest API response id seen and the chain's last
    /// time before its first line. Per chain because a subagent's lines interleave with the
    /// main chain's, or come from another file read before or after it.
    message_start: HashMap<Option<String>, (String, Option<i64>)>,
    /// Per chain: the time of its latest timed event (the session's [`Self::last_ms`] is the
    /// latest of all chains, later than a subagent's request when the parent goes on).
    chain_last_ms: HashMap<Option<String>, i64>,
    /// The latest model per chain (main or subagent), for the calls its responses make.
    models: HashMap<Option<String>, String>,
    /// Prompt events for the root span (`--otlp-content` only).
    prompts: Vec<SpanEvent>,
    /// Events seen, and that count at the last [`OtlpRenderer::close_idle`].
    events: u64,
    events_at_tick: u64,
    /// The count of events when the last segment ended.
    events_at_end: u64,
    /// The session's `session.count` point is out.
    counted: bool,
    /// Metric series of this session, by metric and attributes.
    series: HashMap<SeriesKey, SeriesState>,
    /// Metric points not yet exported.
    points: Vec<Point>,
    /// The subagents and workflow runs the session names and which were read, over all its
    /// segments, by the session core's rule ([`crate::session::Named`]): one named and not
    /// read leaves the root span without a cost ([`session_cost_attributes`]).
    named: crate::session::Named,
    /// Cost points waiting for the session's totals ([`crate::event::Event::awaits_totals`]),
    /// in the order they came.
    held_costs: Vec<HeldCost>,
}

/// A cost point held back: the cost of a request whose input is written only in the
/// session's totals (Copilot CLI's `session.shutdown`) is not known before they come. When
/// they come, the held points go out as they would have (same times, same order); when the
/// input ends without them (the [`crate::tokens::Unread::NotYetWritten`] marker, or the end of
/// the export), they are dropped: an unknown cost is never sent, as for a usage aegon could
/// not read whole.
#[derive(Debug)]
struct HeldCost {
    /// The point's attributes.
    attributes: Vec<(String, String)>,
    /// Its time (Unix ms).
    at_ms: i64,
    /// Its cost in dollars.
    usd: f64,
}

/// Turns events into OTLP/JSON trace and metric requests. See the
/// [module documentation](self).
#[derive(Debug)]
pub struct OtlpRenderer<S: OtlpSink> {
    sink: S,
    options: OtlpOptions,
    sessions: BTreeMap<String, SessionTrace>,
    /// Each usage event's cost and cache figures, by the rules the NDJSON stream and
    /// `--summary` use ([`crate::session::cost_explained`]).
    tracker: CacheTracker,
    /// The workflow run of the latest subagent line's file, found once per file.
    file_run: crate::session::RunOfFile,
}

impl<S: OtlpSink> OtlpRenderer<S> {
    /// A renderer exporting traces and metrics to `sink` with the default options.
    pub fn new(sink: S) -> Self {
        Self::with_options(sink, OtlpOptions::default())
    }

    /// A renderer exporting to `sink` as `options` say.
    pub fn with_options(sink: S, options: OtlpOptions) -> Self {
        OtlpRenderer {
            sink,
            tracker: CacheTracker::new(options.pricing.clone()),
            options,
            sessions: BTreeMap::new(),
            file_run: crate::session::RunOfFile::default(),
        }
    }

    /// The sink.
    pub fn into_inner(self) -> S {
        self.sink
    }

    /// Ends the current trace of each session that has gone idle by `now_ms` (Unix ms, the
    /// clock the caller lives by): its last event is [`IDLE_AFTER_MS`] old, no tool call
    /// started within [`RUNNING_LIVE_MS`] waits for its result, and no event of it came since
    /// the previous call (so a history still being read is not cut). Its root span and
    /// whatever is still open go out now; if the session resumes, its next events start a
    /// new trace under a new root. Returns how many sessions were ended. Call it every few
    /// seconds on a live stream; never needed for files read to their end.
    pub fn close_idle(&mut self, now_ms: i64) -> io::Result<usize> {
        let mut ended = 0;
        for (id, s) in &mut self.sessions {
            let fresh = s.events != s.events_at_tick;
            s.events_at_tick = s.events;
            if fresh || s.events == s.events_at_end {
                continue;
            }
            let quiet = s.last_ms.is_none_or(|t| now_ms - t >= IDLE_AFTER_MS);
            let running = s
                .calls
                .values()
                .any(|c| c.start_ms.is_some_and(|t| now_ms - t < RUNNING_LIVE_MS));
            if quiet && !running {
                end_segment(id, s, &self.options);
                ended += 1;
            }
        }
        if ended > 0 {
            self.export_done()?;
            self.sink.flush()?;
        }
        Ok(ended)
    }

    /// Exports the spans and metric points finished since the last export: one request per
    /// signal for all sessions.
    fn export_done(&mut self) -> io::Result<()> {
        let scope = json!({"name": "aegon", "version": env!("CARGO_PKG_VERSION")});
        let mut resource_spans = Vec::new();
        let mut resource_metrics = Vec::new();
        for (id, s) in &mut self.sessions {
            let resource = json!({"attributes": attributes(&s.resource)});
            if !s.done.is_empty() {
                let spans: Vec<Value> = s.done.drain(..).map(|d| span_json(id, &d)).collect();
                resource_spans.push(json!({
                    "resource": resource.clone(),
                    "scopeSpans": [{"scope": scope.clone(), "spans": spans}],
                }));
            }
            if !s.points.is_empty() {
                let metrics = metrics_json(&mut s.points, self.options.temporality);
                resource_metrics.push(json!({
                    "resource": resource,
                    "scopeMetrics": [{"scope": scope.clone(), "metrics": metrics}],
                }));
            }
        }
        if !resource_spans.is_empty() {
            self.sink
                .export(Signal::Traces, &json!({ "resourceSpans": resource_spans }))?;
        }
        if !resource_metrics.is_empty() {
            self.sink.export(
                Signal::Metrics,
                &json!({ "resourceMetrics": resource_metrics }),
            )?;
        }
        Ok(())
    }
}

impl<S: OtlpSink> Renderer for OtlpRenderer<S> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        // Every event, as the NDJSON renderer feeds its tracker: the same stream gives the
        // same figures.
        let usage_cost = self.tracker.observe(event);
        let Some(session_id) = event.session_id.as_deref() else {
            return Ok(ControlFlow::Continue(()));
        };
        let at = event.timestamp.as_deref().and_then(parse_millis);
        let options = &self.options;
        let s = self.sessions.entry(session_id.to_owned()).or_default();
        s.events += 1;
        if s.resource.is_empty() {
            s.resource = base_resource(session_id, event.agent, options);
            s.names = *MetricNames::of(event.agent);
        }
        // Claude Code's version keeps Claude Code's own key; another agent is named, with its
        // version, in aegon's namespace.
        let (version_key, agent) = match event.agent {
            crate::event::Agent::ClaudeCode => ("claude_code.version", None),
            other => ("aegon.agent.version", Some(other.as_str())),
        };
        for (key, value) in [
            ("process.working_directory", event.cwd.as_deref()),
            ("vcs.ref.head.name", event.git_branch.as_deref()),
            (version_key, event.version.as_deref()),
            ("aegon.agent", agent),
        ] {
            if let Some(v) = value {
                let v = json!(bounded(v, ATTRIBUTE_MAX));
                match s.resource.iter_mut().find(|(k, _)| k == key) {
                    Some(slot) => slot.1 = v,
                    None => s.resource.push((key.to_owned(), v)),
                }
            }
        }
        if !s.counted && options.metrics {
            if let Some(t) = at {
                s.counted = true;
                let attrs = metric_attributes(session_id, options, &[]);
                let metric = s.names.session_count;
                push_point(s, metric, attrs, t, Number::Int(1), options);
            }
        }
        let agent = event.agent_id.as_deref().map(|a| bounded(a, ATTRIBUTE_MAX));
        // The run of a subagent line's file is found once per file.
        let run = match event.agent_id {
            Some(_) => self.file_run.of(event.source.file),
            None => None,
        };
        s.named.observe(event, run);
        if let Some(a) = &agent {
            let seq = s.events;
            let entry = s
                .agents
                .entry(a.clone())
                .or_insert_with(|| AgentSpan::new(seq));
            entry.first_ms = min_time(entry.first_ms, at);
            entry.last_ms = max_time(entry.last_ms, at);
        }
        // A response ends when its chain (main or subagent) starts another one, or a human
        // prompt or an interruption comes; a tool result or a progress line between its lines
        // does not end it.
        let message_id = match &event.kind {
            EventKind::Usage { message_id, .. }
            | EventKind::AssistantText { message_id, .. }
            | EventKind::Thinking { message_id, .. }
            | EventKind::ToolCall { message_id, .. } => message_id.as_deref(),
            _ => None,
        };
        // The chain whose responses follow one another: the subagent's, or for a 1.0.x inline
        // sidechain (no agent id) the sidechain's, apart from the main chain it interleaves with.
        let chain = match &agent {
            None if event.sidechain => Some(INLINE_SIDECHAIN.to_owned()),
            _ => agent.clone(),
        };
        // A usage event is a new response when the request its identity names differs too
        // (Codex, OpenCode: several requests under one message id), as `--summary` counts it
        // (other lines carry no request id; Claude Code's `requestId` names no other response).
        let request_id = match &event.kind {
            EventKind::Usage { .. } => Some(identity_request(event)),
            _ => None,
        };
        let ends = match (message_id, s.responses_open.get(&chain)) {
            (Some(m), Some(open)) => {
                open.message_id != m
                    || request_id
                        .as_ref()
                        .is_some_and(|r| open.request_id.as_deref() != r.as_deref())
            }
            (None, Some(_)) => matches!(
                event.kind,
                EventKind::UserPrompt { .. }
                    | EventKind::Interrupt { .. }
                    | EventKind::Compact { .. }
            ),
            _ => false,
        };
        if ends {
            close_response(session_id, s, &chain, options);
        }
        // A response lasts until its last line (its usage comes once, on its first).
        if let (Some(m), Some(open)) = (message_id, s.responses_open.get_mut(&chain)) {
            if open.message_id == m {
                open.end_ms = max_time(open.end_ms, at);
            }
        }
        // The chain's last time before this event: a request went out after its own chain's
        // previous event (falling back to the session's when the chain has none yet).
        let chain_last = s.chain_last_ms.get(&chain).copied();
        if let Some(m) = message_id {
            if s.message_start
                .get(&chain)
                .is_none_or(|(seen, _)| seen != m)
            {
                // Never after the response's first line (timestamps are not always in order).
                let start = min_time(chain_last, at).or(s.last_ms);
                s.message_start.insert(chain.clone(), (m.to_owned(), start));
            }
        }
        match &event.kind {
            EventKind::AssistantText {
                model: Some(model), ..
            } => {
                s.models
                    .insert(agent.clone(), bounded(model, ATTRIBUTE_MAX));
            }
            EventKind::UserPrompt { text }
                if options.content && options.traces && s.prompts.len() < CONTENT_EVENTS =>
            {
                let text = text.to_str();
                s.prompts.push((
                    at.or(s.last_ms).unwrap_or(0),
                    "gen_ai.user.message".to_owned(),
                    vec![("content".into(), json!(bounded(&text, CONTENT_MAX)))],
                ));
            }
            EventKind::Usage {
                message_id,
                model,
                tokens,
                factors,
                increment,
                unread,
                ..
            } => {
                let model_name = model.as_deref().unwrap_or("unknown");
                s.models
                    .insert(agent.clone(), bounded(model_name, ATTRIBUTE_MAX));
                if options.metrics {
                    let t = at.or(s.last_ms).unwrap_or(0);
                    let mut extra = vec![
                        ("model".to_owned(), bounded(model_name, ATTRIBUTE_MAX)),
                        (
                            "query_source".to_owned(),
                            if agent.is_some() { "subagent" } else { "main" }.to_owned(),
                        ),
                    ];
                    if factors.speed.as_deref() == Some("fast") {
                        extra.push(("speed".to_owned(), "fast".to_owned()));
                    }
                    for (kind, n) in [
                        ("input", tokens.input),
                        ("output", tokens.output),
                        ("cacheRead", tokens.cache_read),
                        (
                            "cacheCreation",
                            tokens.cache_write_5m.saturating_add(tokens.cache_write_1h),
                        ),
                    ] {
                        if n > 0 {
                            let mut more = vec![("type".to_owned(), kind.to_owned())];
                            more.extend(extra.iter().cloned());
                            let attrs = metric_attributes(session_id, options, &more);
                            let metric = s.names.token_usage;
                            push_point(s, metric, attrs, t, Number::Int(n), options);
                        }
                    }
                    // A request whose input comes only with the session's totals (Copilot
                    // CLI) has a cost known only once they come: its point, and every later
                    // one of the session (their times stay in order), wait for them; the
                    // marker that they were never written drops them ([`HeldCost`]).
                    let awaits = event.awaits_totals();
                    if awaits == Some(false) {
                        for held in std::mem::take(&mut s.held_costs) {
                            let metric = s.names.cost_usage;
                            let value = Number::Double(held.usd);
                            push_point(s, metric, held.attributes, held.at_ms, value, options);
                        }
                    } else if *unread == Some(crate::tokens::Unread::NotYetWritten) {
                        s.held_costs.clear();
                    }
                    // A usage aegon could not read whole has no known cost: no point.
                    if let Some(cost) = options
                        .pricing
                        .usage_cost(event)
                        .filter(|_| unread.is_none())
                    {
                        // A response re-priced by a later line (`tokens::Repriced`) has its
                        // difference on that line's point. A negative one (a later line's
                        // cheaper tier, no real shape) is no point: the sum is monotonic.
                        if cost > 0.0 {
                            let attrs = metric_attributes(session_id, options, &extra);
                            if awaits == Some(true) || !s.held_costs.is_empty() {
                                s.held_costs.push(HeldCost {
                                    attributes: attrs,
                                    at_ms: t,
                                    usd: cost,
                                });
                            } else {
                                let metric = s.names.cost_usage;
                                push_point(s, metric, attrs, t, Number::Double(cost), options);
                            }
                        }
                    }
                }
                let cost = usage_cost.and_then(|u| u.cost_usd);
                let cache = usage_cost.and_then(|u| u.cache);
                s.cost.add(cost);
                if let Some(a) = &agent {
                    s.agent_costs.entry(a.clone()).or_default().add(cost);
                }
                if let Some(figures) = &cache {
                    s.cache_read = s.cache_read.saturating_add(tokens.cache_read);
                    s.input = s.input.saturating_add(tokens.total_input());
                    if let Some(rebuild) = &figures.rebuild {
                        s.causes[rebuild.cause.index()].add(rebuild);
                    }
                }
                if let Some(message_id) = message_id {
                    s.tokens = s.tokens.saturating_add(*tokens);
                    let request = identity_request(event);
                    let request_id = request.as_deref();
                    let closed = s
                        .closed
                        .contains(&response_identity(message_id, request_id));
                    match s.responses_open.get_mut(&chain) {
                        Some(open)
                            if open.message_id == *message_id
                                && open.request_id.as_deref() == request_id =>
                        {
                            open.tokens = open.tokens.saturating_add(*tokens);
                            open.end_ms = max_time(open.end_ms, at);
                            open.cost.add(cost);
                        }
                        // A late line of a response already exported: its span is out.
                        _ if closed => {}
                        // An increment of no response seen: usage the transcript reports
                        // beyond its API responses (Copilot CLI's shutdown totals), which
                        // `--summary` counts in tokens and cost but not as an API call.
                        _ if *increment => {
                            if options.traces {
                                let draft = usage_span(
                                    session_id,
                                    s.segment,
                                    agent.as_deref(),
                                    (message_id, request_id),
                                    model_name,
                                    tokens,
                                    cost,
                                    at.or(s.last_ms),
                                );
                                s.done.push(draft);
                            }
                        }
                        _ => {
                            let open = OpenResponse {
                                seq: s.events,
                                span_id: response_span_id(
                                    session_id,
                                    &mut s.first_request,
                                    message_id,
                                    request_id,
                                ),
                                message_id: message_id.to_string(),
                                request_id: request_id.map(str::to_owned),
                                model: model.as_deref().map(|m| bounded(m, ATTRIBUTE_MAX)),
                                agent: agent.clone(),
                                tokens: *tokens,
                                // The request went out after the session's previous event.
                                start_ms: match s.message_start.get(&chain) {
                                    Some((m, start)) if m == message_id.as_ref() => *start,
                                    _ => min_time(chain_last, at).or(s.last_ms),
                                },
                                end_ms: at,
                                cost: {
                                    let mut c = Charge::default();
                                    c.add(cost);
                                    c
                                },
                                cache,
                            };
                            s.responses_open.insert(chain.clone(), open);
                        }
                    }
                }
            }
            EventKind::ToolCall {
                tool_use_id: Some(id),
                tool,
                input,
                ..
            } => {
                let arguments = input
                    .filter(|_| options.content)
                    .map(|raw| bounded(raw.get(), CONTENT_MAX));
                s.calls.insert(
                    id.to_string(),
                    OpenCall {
                        seq: s.events,
                        tool: bounded(tool, ATTRIBUTE_MAX),
                        agent: agent.clone(),
                        start_ms: at,
                        model: s.models.get(&agent).cloned(),
                        arguments,
                    },
                );
            }
            EventKind::ToolResult {
                tool_use_id: Some(id),
                is_error,
                spawned_agent_id,
                content,
                raw_result,
                ..
            } => {
                if let Some(call) = s.calls.remove(id.as_ref()) {
                    if options.metrics && !is_error {
                        if let Some((added, removed)) = raw_result.and_then(lines_changed) {
                            let t = at.or(s.last_ms).unwrap_or(0);
                            for (kind, n) in [("added", added), ("removed", removed)] {
                                if n > 0 {
                                    let mut more = vec![("type".to_owned(), kind.to_owned())];
                                    if let Some(m) = &call.model {
                                        more.push(("model".to_owned(), m.clone()));
                                    }
                                    let attrs = metric_attributes(session_id, options, &more);
                                    let metric = s.names.lines_of_code;
                                    push_point(s, metric, attrs, t, Number::Int(n), options);
                                }
                            }
                        }
                    }
                    let mut attrs = tool_attributes(id, &call);
                    if options.content {
                        if let Some(text) = content.and_then(result_text) {
                            attrs.push((
                                "gen_ai.tool.call.result".into(),
                                json!(bounded(&text, CONTENT_MAX)),
                            ));
                        }
                    }
                    if let Some(spawned) = spawned_agent_id {
                        let spawned = bounded(spawned, ATTRIBUTE_MAX);
                        attrs.push(("gen_ai.agent.id".into(), json!(spawned)));
                        let call_id = bounded(id, ATTRIBUTE_MAX);
                        let seq = s.events;
                        s.agents
                            .entry(spawned)
                            .or_insert_with(|| AgentSpan::new(seq))
                            .spawned_by = Some(call_id);
                    }
                    if options.traces {
                        s.done.push(SpanDraft {
                            segment: s.segment,
                            span_id: span_id(session_id, "tool", id),
                            parent: Some(parent_of(session_id, s.segment, call.agent.as_deref())),
                            name: format!("execute_tool {}", call.tool),
                            start_ms: call.start_ms,
                            end_ms: at.or(call.start_ms),
                            attributes: attrs,
                            events: Vec::new(),
                            error: is_error.then(|| "the tool call failed".to_owned()),
                        });
                    }
                }
            }
            _ => {}
        }
        s.first_ms = min_time(s.first_ms, at);
        s.last_ms = max_time(s.last_ms, at);
        if let Some(t) = at {
            let last = s.chain_last_ms.entry(chain).or_insert(t);
            *last = (*last).max(t);
        }
        Ok(ControlFlow::Continue(()))
    }

    /// An event left out (`-k`, `-x`) makes no span, but still counts for the cache rules,
    /// as in the NDJSON stream.
    fn on_skipped(&mut self, event: &Event<'_>) {
        let _ = self.tracker.observe(event);
    }

    fn flush(&mut self) -> io::Result<()> {
        self.export_done()?;
        self.sink.flush()
    }

    fn finish(&mut self, _stats: &Stats) -> io::Result<()> {
        // A subagent read in any session of the run is read: a resumed session's copied lines
        // name its original's subagents, whose lines carry the original's session id (as
        // `Sessions::end_of_input` settles it for `--summary`).
        crate::session::Named::settle(self.sessions.values_mut().map(|s| &mut s.named));
        for (id, s) in &mut self.sessions {
            end_segment(id, s, &self.options);
        }
        self.export_done()?;
        self.sink.close()
    }
}

/// The OpenTelemetry GenAI provider name (`gen_ai.provider.name`'s well-known values) of a
/// model, from its name: `anthropic` for Claude models, `openai` for GPT, o-series and Codex
/// models, `gcp.gemini` for Gemini models; `None` for others (the span says `_OTHER`, as the
/// conventions ask for a provider they do not list).
fn provider_of(model: &str) -> Option<&'static str> {
    let name = model
        .rsplit('/')
        .next()
        .unwrap_or(model)
        .to_ascii_lowercase();
    if name.contains("claude") {
        Some("anthropic")
    } else if name.starts_with("gpt-")
        || name.contains("codex")
        || ["o1", "o3", "o4"].iter().any(|p| name.starts_with(p))
    {
        Some("openai")
    } else if name.starts_with("gemini") {
        Some("gcp.gemini")
    } else {
        None
    }
}

/// The resource of a session's telemetry: aegon's keys, then the user's (which replace only
/// `service.name`).
fn base_resource(
    session_id: &str,
    agent: crate::event::Agent,
    options: &OtlpOptions,
) -> Vec<(String, Value)> {
    let session_id = bounded(session_id, ATTRIBUTE_MAX);
    let mut resource = vec![
        ("service.name".to_owned(), json!(service_name(agent))),
        ("session.id".to_owned(), json!(session_id)),
        ("gen_ai.conversation.id".to_owned(), json!(session_id)),
    ];
    for (key, value) in &options.resource {
        match resource.iter_mut().find(|(k, _)| k == key) {
            Some(slot) if key == "service.name" => slot.1 = json!(value),
            Some(_) => {}
            None => resource.push((key.clone(), json!(value))),
        }
    }
    resource
}

/// A metric point's attributes: `session.id`, the metric's own, then the user's resource
/// keys (never replacing one already set; `service.name` left to the resource).
fn metric_attributes(
    session_id: &str,
    options: &OtlpOptions,
    own: &[(String, String)],
) -> Vec<(String, String)> {
    let mut attrs = vec![("session.id".to_owned(), bounded(session_id, ATTRIBUTE_MAX))];
    attrs.extend(own.iter().cloned());
    for (key, value) in &options.resource {
        if key != "service.name" && !attrs.iter().any(|(k, _)| k == key) {
            attrs.push((key.clone(), value.clone()));
        }
    }
    attrs
}

/// Adds a point to a session's series: its interval starts where the series' previous point
/// ended (delta) or at the series' first start (cumulative), its time strictly after the
/// previous one's.
fn push_point(
    s: &mut SessionTrace,
    metric: &'static str,
    attributes: Vec<(String, String)>,
    at_ms: i64,
    value: Number,
    options: &OtlpOptions,
) {
    let at_ns = u64::try_from(at_ms).unwrap_or(0).saturating_mul(1_000_000);
    let session_start = s
        .first_ms
        .map_or(at_ns, |t| {
            u64::try_from(t).unwrap_or(0).saturating_mul(1_000_000)
        })
        .min(at_ns);
    let key = (metric, attributes);
    let (start_ns, time_ns, value) = match s.series.get_mut(&key) {
        None => {
            let state = SeriesState {
                start_ns: session_start,
                last_ns: at_ns,
                total: number_f64(value),
                total_int: number_u64(value),
            };
            s.series.insert(key.clone(), state);
            (session_start, at_ns, value)
        }
        Some(state) => {
            let time = at_ns.max(state.last_ns.saturating_add(1));
            let start = match options.temporality {
                Temporality::Delta => state.last_ns,
                Temporality::Cumulative => state.start_ns,
            };
            state.last_ns = time;
            state.total += number_f64(value);
            state.total_int = state.total_int.saturating_add(number_u64(value));
            let value = match (options.temporality, value) {
                (Temporality::Delta, v) => v,
                (Temporality::Cumulative, Number::Int(_)) => Number::Int(state.total_int),
                (Temporality::Cumulative, Number::Double(_)) => Number::Double(state.total),
            };
            (start, time, value)
        }
    };
    let (metric, attributes) = key;
    s.points.push(Point {
        metric,
        attributes: attributes
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
        start_ns,
        time_ns,
        value,
    });
}

fn number_f64(n: Number) -> f64 {
    match n {
        // Token counts are far below 2^53: exact as f64.
        Number::Int(i) => i as f64,
        Number::Double(d) => d,
    }
}

fn number_u64(n: Number) -> u64 {
    match n {
        Number::Int(i) => i,
        Number::Double(_) => 0,
    }
}

/// The `metrics` of one scope: the points grouped by metric, each a monotonic sum.
fn metrics_json(points: &mut Vec<Point>, temporality: Temporality) -> Vec<Value> {
    let mut by_metric: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    for p in points.drain(..) {
        let mut point = json!({
            "attributes": attributes(&p.attributes),
            "startTimeUnixNano": p.start_ns.to_string(),
            "timeUnixNano": p.time_ns.to_string(),
        });
        match p.value {
            Number::Int(i) => point["asInt"] = json!(i.to_string()),
            Number::Double(d) => point["asDouble"] = json!(d),
        }
        by_metric.entry(p.metric).or_default().push(point);
    }
    by_metric
        .into_iter()
        .map(|(name, data_points)| {
            let (_, unit, description) = METRICS
                .iter()
                .find(|(n, _, _)| *n == name)
                .copied()
                .unwrap_or((name, "", ""));
            json!({
                "name": name,
                "description": description,
                "unit": unit,
                "sum": {
                    "aggregationTemporality": temporality.otlp(),
                    "isMonotonic": true,
                    "dataPoints": data_points,
                },
            })
        })
        .collect()
}

/// Lines added and removed by an Edit, MultiEdit or Write, from its `toolUseResult`: the `+`
/// and `-` lines of `structuredPatch`, or every line of a created file's `content` when the
/// patch is empty. `None` for any other result.
fn lines_changed(raw: &str) -> Option<(u64, u64)> {
    #[derive(Deserialize)]
    struct Hunk<'a> {
        #[serde(borrow, default)]
        lines: Vec<std::borrow::Cow<'a, str>>,
    }
    #[derive(Deserialize)]
    struct Changed<'a> {
        #[serde(borrow, default, rename = "structuredPatch")]
        patch: Option<Vec<Hunk<'a>>>,
        #[serde(borrow, default, rename = "type")]
        kind: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow, default)]
        content: Option<std::borrow::Cow<'a, str>>,
    }
    // Most results are not edits: look before parsing.
    if !raw.contains("\"structuredPatch\"") {
        return None;
    }
    let changed: Changed<'_> = serde_json::from_str(raw).ok()?;
    let patch = changed.patch?;
    let (mut added, mut removed) = (0u64, 0u64);
    for line in patch.iter().flat_map(|h| &h.lines) {
        match line.as_bytes().first() {
            Some(b'+') => added += 1,
            Some(b'-') => removed += 1,
            _ => {}
        }
    }
    if patch.is_empty() && changed.kind.as_deref() == Some("create") {
        if let Some(content) = &changed.content {
            added = content.lines().count() as u64;
        }
    }
    Some((added, removed))
}

/// A tool result's text, for `--otlp-content`: a string as is, or the text blocks of a list
/// joined by newlines.
fn result_text(raw: crate::json::RawJson<'_>) -> Option<String> {
    match serde_json::from_str::<Value>(raw.get()).ok()? {
        Value::String(s) => Some(s),
        Value::Array(blocks) => {
            let texts: Vec<&str> = blocks
                .iter()
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect();
            (!texts.is_empty()).then(|| texts.join("\n"))
        }
        _ => None,
    }
}

fn tool_attributes(call_id: &str, call: &OpenCall) -> Vec<(String, Value)> {
    let mut attrs = vec![
        ("gen_ai.operation.name".into(), json!("execute_tool")),
        ("gen_ai.tool.name".into(), json!(call.tool)),
        (
            "gen_ai.tool.call.id".into(),
            json!(bounded(call_id, ATTRIBUTE_MAX)),
        ),
    ];
    if let Some(arguments) = &call.arguments {
        attrs.push(("gen_ai.tool.call.arguments".into(), json!(arguments)));
    }
    attrs
}

/// Ends a session's current trace: open responses, calls never answered (ending where the
/// session did), subagents and the root span go to the finished spans; the trace state is
/// reset for a next segment (metric series go on).
fn end_segment(id: &str, s: &mut SessionTrace, options: &OtlpOptions) {
    if s.events == s.events_at_end {
        // Nothing came since the segment before ended.
        return;
    }
    s.events_at_end = s.events;
    // In the order the responses and calls began: the maps' own order is a random hasher's,
    // and the output must be the same on every run.
    let mut chains: Vec<(u64, Option<String>)> = s
        .responses_open
        .iter()
        .map(|(chain, r)| (r.seq, chain.clone()))
        .collect();
    chains.sort_unstable();
    for (_, chain) in chains {
        close_response(id, s, &chain, options);
    }
    let segment = s.segment;
    let mut calls: Vec<(String, OpenCall)> = s.calls.drain().collect();
    calls.sort_unstable_by(|(a_id, a), (b_id, b)| (a.seq, a_id).cmp(&(b.seq, b_id)));
    // In the order the subagents were first met (their ids break a tie), not their ids'.
    let mut agents: Vec<(String, AgentSpan)> = s.agents.drain().collect();
    agents.sort_unstable_by(|(a_id, a), (b_id, b)| (a.seq, a_id).cmp(&(b.seq, b_id)));
    let agent_costs = std::mem::take(&mut s.agent_costs);
    let prompts = std::mem::take(&mut s.prompts);
    if options.traces {
        for (call_id, call) in calls {
            s.done.push(SpanDraft {
                segment,
                span_id: span_id(id, "tool", &call_id),
                parent: Some(parent_of(id, segment, call.agent.as_deref())),
                name: format!("execute_tool {}", call.tool),
                start_ms: call.start_ms,
                end_ms: s.last_ms.or(call.start_ms),
                attributes: tool_attributes(&call_id, &call),
                events: Vec::new(),
                error: Some("no result".to_owned()),
            });
        }
        for (agent, span) in &agents {
            let mut attributes = vec![
                ("gen_ai.operation.name".into(), json!("invoke_agent")),
                ("gen_ai.agent.id".into(), json!(agent)),
            ];
            if let Some(cost) = agent_costs.get(agent).and_then(Charge::cost_usd) {
                attributes.push((COST_USD.into(), json!(cost)));
            }
            s.done.push(SpanDraft {
                segment,
                span_id: span_id(id, "agent", agent),
                parent: Some(match &span.spawned_by {
                    Some(call) => span_id(id, "tool", call),
                    None => root_id(id, segment),
                }),
                name: format!("invoke_agent {agent}"),
                start_ms: span.first_ms,
                end_ms: span.last_ms,
                attributes,
                events: Vec::new(),
                error: None,
            });
        }
        let mut attributes = vec![
            ("session.id".into(), json!(bounded(id, ATTRIBUTE_MAX))),
            ("aegon.api_calls".into(), json!(s.responses)),
            (
                "gen_ai.usage.input_tokens".into(),
                json!(s.tokens.total_input()),
            ),
            ("gen_ai.usage.output_tokens".into(), json!(s.tokens.output)),
        ];
        session_cost_attributes(s, &mut attributes);
        if segment > 0 {
            attributes.push(("aegon.segment".into(), json!(segment)));
        }
        s.done.push(SpanDraft {
            segment,
            span_id: root_id(id, segment),
            parent: None,
            name: if s.names == CLAUDE_METRICS {
                "claude_code.session"
            } else {
                "aegon.session"
            }
            .to_owned(),
            start_ms: s.first_ms,
            end_ms: s.last_ms,
            attributes,
            events: prompts,
            error: None,
        });
    }
    s.segment = segment.saturating_add(1);
    s.first_ms = None;
    s.last_ms = None;
    s.responses = 0;
    s.tokens = Tokens::default();
    s.cost = Charge::default();
    s.cache_read = 0;
    s.input = 0;
    s.causes = Default::default();
    s.message_start.clear();
    s.chain_last_ms.clear();
}

/// The cost explained of a session's trace on its root span: its cost, cache hit ratio,
/// rebuilds, their tokens and cost beyond cache hits, and that cost by cause (each cause that
/// happened). Costs only where every part has a price (an unknown price is never sent as 0).
fn session_cost_attributes(s: &SessionTrace, attributes: &mut Vec<(String, Value)>) {
    // A subagent the session names of which no line was read: its usage is missing, so the
    // session's cost is not known ([`crate::tokens::Unread::Subagent`]), as `--summary` says.
    let missing = !s.named.all_read();
    if let Some(cost) = s.cost.cost_usd().filter(|_| !missing) {
        attributes.push((COST_USD.into(), json!(cost)));
    }
    if s.input > 0 {
        let ratio = s.cache_read as f64 / s.input as f64;
        attributes.push((HIT_RATIO.into(), json!(ratio)));
    }
    let mut all = CauseTally::default();
    for t in &s.causes {
        all.rebuilds += t.rebuilds;
        all.tokens = all.tokens.saturating_add(t.tokens);
        all.cost.add_charge(t.cost);
    }
    attributes.push(("aegon.cache.rebuilds".into(), json!(all.rebuilds)));
    if all.rebuilds == 0 {
        return;
    }
    attributes.push((REBUILD_TOKENS.into(), json!(all.tokens)));
    if let Some(cost) = all.cost.cost_usd() {
        attributes.push((REBUILD_COST_USD.into(), json!(cost)));
    }
    for (cause, t) in RebuildCause::ALL.iter().zip(&s.causes) {
        if t.rebuilds == 0 {
            continue;
        }
        if let Some(cost) = t.cost.cost_usd() {
            attributes.push((
                format!("aegon.cache.rebuild.lost_usd.{}", cause.as_str()),
                json!(cost),
            ));
        }
    }
}

/// Moves the open response of a chain (main or subagent), if any, to the finished spans.
fn close_response(
    session_id: &str,
    s: &mut SessionTrace,
    chain: &Option<String>,
    options: &OtlpOptions,
) {
    let Some(r) = s.responses_open.remove(chain) else {
        return;
    };
    s.responses += 1;
    if s.closed.len() >= 100_000 {
        s.closed.clear();
    }
    s.closed
        .insert(response_identity(&r.message_id, r.request_id.as_deref()));
    if !options.traces {
        return;
    }
    let model = r.model.clone().unwrap_or_else(|| "unknown".to_owned());
    let mut attrs = vec![
        ("gen_ai.operation.name".into(), json!("chat")),
        (
            "gen_ai.provider.name".into(),
            json!(provider_of(&model).unwrap_or("_OTHER")),
        ),
        ("gen_ai.request.model".into(), json!(model)),
        ("gen_ai.response.model".into(), json!(model)),
        (
            "gen_ai.response.id".into(),
            json!(bounded(&r.message_id, ATTRIBUTE_MAX)),
        ),
        // Input as the API bills it: uncached, cache reads and cache writes.
        (
            "gen_ai.usage.input_tokens".into(),
            json!(r.tokens.total_input()),
        ),
        ("gen_ai.usage.output_tokens".into(), json!(r.tokens.output)),
        (
            "gen_ai.usage.cache_read.input_tokens".into(),
            json!(r.tokens.cache_read),
        ),
        (
            "gen_ai.usage.cache_creation.input_tokens".into(),
            json!(r
                .tokens
                .cache_write_5m
                .saturating_add(r.tokens.cache_write_1h)),
        ),
    ];
    if r.tokens.web_search > 0 {
        attrs.push((WEB_SEARCH_REQUESTS.into(), json!(r.tokens.web_search)));
    }
    if let Some(agent) = &r.agent {
        attrs.push(("gen_ai.agent.id".into(), json!(agent)));
    }
    if let Some(cost) = r.cost.cost_usd() {
        attrs.push((COST_USD.into(), json!(cost)));
    }
    if let Some(cache) = &r.cache {
        if let Some(ratio) = cache.hit_ratio {
            attrs.push((HIT_RATIO.into(), json!(ratio)));
        }
        if let Some(rebuild) = &cache.rebuild {
            attrs.push((REBUILD_CAUSE.into(), json!(rebuild.cause.as_str())));
            attrs.push((REBUILD_TOKENS.into(), json!(rebuild.tokens)));
            if let Some(cost) = rebuild.cost_usd {
                attrs.push((REBUILD_COST_USD.into(), json!(cost)));
            }
        }
    }
    s.done.push(SpanDraft {
        segment: s.segment,
        span_id: r.span_id,
        parent: Some(parent_of(session_id, s.segment, r.agent.as_deref())),
        name: format!("chat {model}"),
        start_ms: r.start_ms,
        end_ms: r.end_ms,
        attributes: attrs,
        events: Vec::new(),
        error: None,
    });
}

/// The span of usage reported beyond a session's API responses (an increment of no response:
/// Copilot CLI's `session.shutdown` totals): `usage MODEL`, not a `chat` span (it is no API
/// call), with the token attributes and [`COST_USD`] of a chat span, so that the chat and
/// usage spans' costs add up to the session's. Its id is derived from its identity.
#[allow(clippy::too_many_arguments)]
fn usage_span(
    session_id: &str,
    segment: u32,
    agent: Option<&str>,
    (message_id, request_id): (&str, Option<&str>),
    model: &str,
    tokens: &Tokens,
    cost: Option<f64>,
    at: Option<i64>,
) -> SpanDraft {
    let model = bounded(model, ATTRIBUTE_MAX);
    let mut attrs = vec![
        ("gen_ai.request.model".into(), json!(model)),
        (
            "gen_ai.usage.input_tokens".into(),
            json!(tokens.total_input()),
        ),
        ("gen_ai.usage.output_tokens".into(), json!(tokens.output)),
        (
            "gen_ai.usage.cache_read.input_tokens".into(),
            json!(tokens.cache_read),
        ),
        (
            "gen_ai.usage.cache_creation.input_tokens".into(),
            json!(tokens.cache_write_5m.saturating_add(tokens.cache_write_1h)),
        ),
    ];
    if tokens.web_search > 0 {
        attrs.push((WEB_SEARCH_REQUESTS.into(), json!(tokens.web_search)));
    }
    if let Some(agent) = agent {
        attrs.push(("gen_ai.agent.id".into(), json!(agent)));
    }
    if let Some(cost) = cost {
        attrs.push((COST_USD.into(), json!(cost)));
    }
    SpanDraft {
        segment,
        span_id: fnv(&[session_id, "usage", message_id, request_id.unwrap_or("")]),
        parent: Some(parent_of(session_id, segment, agent)),
        name: format!("usage {model}"),
        start_ms: at,
        end_ms: at,
        attributes: attrs,
        events: Vec::new(),
        error: None,
    }
}

/// The root span of a session's trace (segment 0 keeps the id of a whole-file export).
fn root_id(session_id: &str, segment: u32) -> u64 {
    match segment {
        0 => span_id(session_id, "session", ""),
        n => span_id(session_id, "session", &n.to_string()),
    }
}

/// The span a session's event hangs under: its subagent's span, else the session's root.
fn parent_of(session_id: &str, segment: u32, agent: Option<&str>) -> u64 {
    match agent {
        Some(a) => span_id(session_id, "agent", a),
        None => root_id(session_id, segment),
    }
}

fn span_json(session_id: &str, d: &SpanDraft) -> Value {
    let start = d.start_ms.or(d.end_ms).unwrap_or(0);
    let end = d.end_ms.unwrap_or(start).max(start);
    let mut span = json!({
        "traceId": trace_id(session_id, d.segment),
        "spanId": format!("{:016x}", d.span_id),
        "name": d.name,
        "kind": if d.name.starts_with("chat ") { 3 } else { 1 },
        "startTimeUnixNano": nanos(start),
        "endTimeUnixNano": nanos(end),
        "attributes": attributes(&d.attributes),
        "status": match &d.error {
            Some(message) => json!({"code": 2, "message": message}),
            None => json!({"code": 0}),
        },
    });
    if let Some(parent) = d.parent {
        span["parentSpanId"] = json!(format!("{parent:016x}"));
    }
    if !d.events.is_empty() {
        span["events"] = d
            .events
            .iter()
            .map(|(at, name, attrs)| {
                json!({
                    "timeUnixNano": nanos(*at),
                    "name": name,
                    "attributes": attributes(attrs),
                })
            })
            .collect();
    }
    span
}

/// OTLP attributes: strings, booleans, integers (as decimal strings, as OTLP/JSON writes
/// 64-bit integers) and doubles (a JSON number; a float value in `pairs`).
fn attributes(pairs: &[(String, Value)]) -> Vec<Value> {
    pairs
        .iter()
        .map(|(key, value)| {
            let value = match value {
                Value::Bool(b) => json!({ "boolValue": b }),
                Value::Number(n) => match n.as_f64().filter(|_| n.is_f64()) {
                    Some(d) => json!({ "doubleValue": d }),
                    None => json!({ "intValue": n.to_string() }),
                },
                Value::String(s) => json!({ "stringValue": s }),
                other => json!({ "stringValue": other.to_string() }),
            };
            json!({"key": key, "value": value})
        })
        .collect()
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn bounded(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

fn nanos(ms: i64) -> String {
    (u64::try_from(ms).unwrap_or(0).saturating_mul(1_000_000)).to_string()
}

fn min_time(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) | (None, x) => x,
    }
}

fn max_time(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) | (None, x) => x,
    }
}

/// FNV-1a, 64-bit: stable across runs and versions (ids must not change between exports).
fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    // Zero is an invalid span id.
    h.max(1)
}

/// 32 hex digits for a session's trace (segment 0: the whole-file export's).
fn trace_id(session_id: &str, segment: u32) -> String {
    let segment = match segment {
        0 => String::new(),
        n => format!("\u{0}{n}"),
    };
    let key = format!("{session_id}{segment}");
    format!(
        "{:016x}{:016x}",
        fnv(&["trace", &key]),
        fnv(&["trace-low", &key])
    )
}

fn span_id(session_id: &str, kind: &str, id: &str) -> u64 {
    fnv(&[session_id, kind, id])
}

/// The request under a usage's message id that is part of its response's identity
/// ([`ResponseIdentity`]: Codex's and OpenCode's; `None` for Claude Code, whose `requestId`
/// names the same response as its message id, on all of its lines or some).
///
/// For a relay's message id too short to be one response's
/// ([`ResponseIdentity::ShortMessage`]), `\u{1f}` and the request's prompt size: what tells
/// its responses apart.
fn identity_request<'e>(event: &'e Event<'_>) -> Option<Cow<'e, str>> {
    match event.response_identity() {
        Some(ResponseIdentity::Message { request, .. }) => request.map(Cow::Borrowed),
        Some(ResponseIdentity::ShortMessage { prompt, .. }) => {
            Some(Cow::Owned(format!("\u{1f}{prompt}")))
        }
        _ => None,
    }
}

/// An API response's identity: its message id and the request under it ([`identity_request`];
/// `None` apart from any string), as the correlator and `--summary` key a response.
fn response_identity(message_id: &str, request_id: Option<&str>) -> u64 {
    match request_id {
        Some(r) => fnv(&["response", message_id, r]),
        None => fnv(&["response", message_id]),
    }
}

/// The span id of a response being opened: from the session and message id, as ever, for
/// the first response of a message id (and again for a later line of it); from the request
/// id too for a later response under the same message id with another request id, which
/// would otherwise take the first one's id. `first_request` remembers each message id's
/// first request id (both hashed; forgotten past 100,000 message ids, as `closed` is).
fn response_span_id(
    session_id: &str,
    first_request: &mut HashMap<u64, u64>,
    message_id: &str,
    request_id: Option<&str>,
) -> u64 {
    let message = fnv(&[message_id]);
    let request = response_identity(message_id, request_id);
    if first_request.len() >= 100_000 && !first_request.contains_key(&message) {
        first_request.clear();
    }
    match *first_request.entry(message).or_insert(request) {
        // Cut as the id attribute is (span ids have always been of the cut id).
        first if first == request => {
            span_id(session_id, "response", &bounded(message_id, ATTRIBUTE_MAX))
        }
        _ => fnv(&[session_id, "response", message_id, request_id.unwrap_or("")]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{Options, Pipeline};

    fn export(transcript: &str) -> Vec<Value> {
        let mut pipeline =
            Pipeline::new(Options::default(), OtlpRenderer::new(LineSink(Vec::new())));
        let _ = pipeline.read_to_end("t", transcript.as_bytes()).unwrap();
        let (renderer, _) = pipeline.finish().unwrap();
        let out = renderer.into_inner().0;
        String::from_utf8(out)
            .unwrap()
            .lines()
            .flat_map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                v["resourceSpans"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .flat_map(|r| r["scopeSpans"][0]["spans"].as_array().unwrap().clone())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn attr<'a>(span: &'a Value, key: &str) -> Option<&'a Value> {
        span["attributes"]
            .as_array()?
            .iter()
            .find(|a| a["key"] == key)
            .map(|a| &a["value"])
    }

    #[test]
    fn responses_tools_and_the_session_become_spans() {
        let t = concat!(
            r#"{"type":"user","sessionId":"s","timestamp":"2026-01-01T10:00:00.000Z","message":{"role":"user","content":"hi"}}"#,
            "\n",
            r#"{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T10:00:02.000Z","message":{"id":"m1","model":"claude-opus-4-6","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls"}}],"usage":{"input_tokens":10,"output_tokens":5,"cache_read_input_tokens":100}}}"#,
            "\n",
            r#"{"type":"user","sessionId":"s","timestamp":"2026-01-01T10:00:03.500Z","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"boom","is_error":true}]}}"#,
            "\n",
        );
        let spans = export(t);
        let names: Vec<&str> = spans.iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "execute_tool Bash",
                "chat claude-opus-4-6",
                "claude_code.session"
            ]
        );
        let tool = &spans[0];
        assert_eq!(tool["status"]["code"], 2);
        assert_eq!(tool["startTimeUnixNano"], "1767261602000000000");
        assert_eq!(tool["endTimeUnixNano"], "1767261603500000000");
        let chat = &spans[1];
        assert_eq!(
            attr(chat, "gen_ai.usage.input_tokens").unwrap()["intValue"],
            "110"
        );
        assert_eq!(
            attr(chat, "gen_ai.usage.output_tokens").unwrap()["intValue"],
            "5"
        );
        assert_eq!(
            chat["startTimeUnixNano"], "1767261600000000000",
            "from the prompt"
        );
        let root = &spans[2];
        assert!(root.get("parentSpanId").is_none());
        for child in &spans[..2] {
            assert_eq!(child["parentSpanId"], root["spanId"]);
            assert_eq!(child["traceId"], root["traceId"]);
        }
        assert_eq!(root["traceId"].as_str().unwrap().len(), 32);
        // The same input gives the same ids.
        assert_eq!(export(t), spans);
    }

    #[test]
    fn subagent_spans_follow_their_first_appearance_not_their_ids() {
        // The two real subagent transcripts of one session (marot/spotter, Claude Code 2.1's
        // subagents/ layout), read one after the other in either order: the invoke_agent
        // spans come in the order the subagents were met. By id, `a881341` would always
        // come before `acompact-fffbd0`.
        let read = |name: &str| {
            std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
                    "../fixtures/corpus/marot__spotter__test__fixtures__transcripts__258c7280-ae70-4798-800f-63464d01a85d__subagents__agent-{name}.jsonl"
                )),
            )
            .expect("fixture")
        };
        let (task, compact) = (read("a881341"), read("acompact-fffbd0"));
        let agents = |transcript: &str| -> Vec<String> {
            export(transcript)
                .iter()
                .filter_map(|s| {
                    s["name"]
                        .as_str()?
                        .strip_prefix("invoke_agent ")
                        .map(str::to_owned)
                })
                .collect()
        };
        let compact_first = format!("{compact}{task}");
        assert_eq!(agents(&compact_first), ["acompact-fffbd0", "a881341"]);
        assert_eq!(
            agents(&format!("{task}{compact}")),
            ["a881341", "acompact-fffbd0"]
        );
        // The same input gives the same spans, in the same order.
        assert_eq!(export(&compact_first), export(&compact_first));
    }

    #[test]
    fn a_subagent_response_is_timed_by_its_own_chain() {
        // The subagent's lines come after a later line of the main chain, as when its file is
        // read after the parent's: its response's span is still at its own lines' times.
        let t = concat!(
            r#"{"type":"user","sessionId":"s","timestamp":"2026-01-01T10:00:00.000Z","message":{"role":"user","content":"hi"}}"#,
            "\n",
            r#"{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T10:00:02.000Z","message":{"id":"m1","model":"claude-opus-4-6","content":[{"type":"text","text":"on it"}],"usage":{"input_tokens":10,"output_tokens":5}}}"#,
            "\n",
            r#"{"type":"user","sessionId":"s","timestamp":"2026-01-01T10:04:00.000Z","message":{"role":"user","content":"and?"}}"#,
            "\n",
            r#"{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T10:05:00.000Z","message":{"id":"m2","model":"claude-opus-4-6","content":[{"type":"text","text":"done"}],"usage":{"input_tokens":10,"output_tokens":5}}}"#,
            "\n",
            // A later line of the same response (its usage repeated): the response lasts to it.
            r#"{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T10:05:30.000Z","message":{"id":"m2","model":"claude-opus-4-6","content":[{"type":"text","text":"more"}],"usage":{"input_tokens":10,"output_tokens":5}}}"#,
            "\n",
            r#"{"type":"user","sessionId":"s","agentId":"a1","isSidechain":true,"timestamp":"2026-01-01T10:00:03.000Z","message":{"role":"user","content":"look"}}"#,
            "\n",
            r#"{"type":"assistant","sessionId":"s","agentId":"a1","isSidechain":true,"timestamp":"2026-01-01T10:00:10.000Z","message":{"id":"s1","model":"claude-haiku-4-5","content":[{"type":"text","text":"seen"}],"usage":{"input_tokens":10,"output_tokens":5}}}"#,
            "\n",
        );
        let spans = export(t);
        let span = |name: &str| -> (String, String) {
            let s = spans
                .iter()
                .find(|s| s["name"] == name)
                .unwrap_or_else(|| panic!("no span {name}: {spans:?}"));
            (
                s["startTimeUnixNano"].as_str().unwrap().to_owned(),
                s["endTimeUnixNano"].as_str().unwrap().to_owned(),
            )
        };
        let ns = |hms: &str| {
            let ms = parse_millis(&format!("2026-01-01T{hms}.000Z")).unwrap();
            nanos(ms)
        };
        // From the chain's previous event (its prompt) to the response's line.
        assert_eq!(
            span("chat claude-haiku-4-5"),
            (ns("10:00:03"), ns("10:00:10"))
        );
        let main: Vec<(String, String)> = spans
            .iter()
            .filter(|s| s["name"] == "chat claude-opus-4-6")
            .map(|s| {
                (
                    s["startTimeUnixNano"].as_str().unwrap().to_owned(),
                    s["endTimeUnixNano"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            main,
            [
                (ns("10:00:00"), ns("10:00:02")),
                (ns("10:04:00"), ns("10:05:30"))
            ]
        );
    }

    #[test]
    fn an_inline_sidechain_does_not_end_the_main_response() {
        // 1.0.x: sidechain lines (no agent id) interleave with the main chain's response.
        let t = concat!(
            r#"{"type":"user","sessionId":"s","timestamp":"2026-01-01T10:00:00.000Z","message":{"role":"user","content":"hi"}}"#,
            "\n",
            r#"{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T10:00:02.000Z","message":{"id":"m1","model":"claude-opus-4-6","content":[{"type":"text","text":"a"}],"usage":{"input_tokens":10,"output_tokens":5}}}"#,
            "\n",
            r#"{"type":"user","sessionId":"s","isSidechain":true,"timestamp":"2026-01-01T10:00:04.000Z","message":{"role":"user","content":"look"}}"#,
            "\n",
            r#"{"type":"assistant","sessionId":"s","isSidechain":true,"timestamp":"2026-01-01T10:00:05.000Z","message":{"id":"s1","model":"claude-haiku-4-5","content":[{"type":"text","text":"b"}],"usage":{"input_tokens":10,"output_tokens":5}}}"#,
            "\n",
            r#"{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T10:00:20.000Z","message":{"id":"m1","model":"claude-opus-4-6","content":[{"type":"text","text":"c"}],"usage":{"input_tokens":10,"output_tokens":5}}}"#,
            "\n",
        );
        let spans = export(t);
        let times = |name: &str| -> Vec<(String, String)> {
            spans
                .iter()
                .filter(|s| s["name"] == name)
                .map(|s| {
                    (
                        s["startTimeUnixNano"].as_str().unwrap().to_owned(),
                        s["endTimeUnixNano"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        };
        let ns = |hms: &str| nanos(parse_millis(&format!("2026-01-01T{hms}.000Z")).unwrap());
        assert_eq!(
            times("chat claude-opus-4-6"),
            [(ns("10:00:00"), ns("10:00:20"))]
        );
        assert_eq!(
            times("chat claude-haiku-4-5"),
            [(ns("10:00:04"), ns("10:00:05"))]
        );
    }

    /// Every line of a renderer's output, parsed.
    fn lines(out: &[u8]) -> Vec<Value> {
        String::from_utf8(out.to_vec())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn spans_in(requests: &[Value]) -> Vec<Value> {
        requests
            .iter()
            .filter_map(|r| r["resourceSpans"].as_array())
            .flatten()
            .flat_map(|rs| rs["scopeSpans"][0]["spans"].as_array().unwrap().clone())
            .collect()
    }

    #[test]
    fn an_idle_session_ends_its_trace_and_a_resumed_one_starts_another() {
        let first = concat!(
            r#"{"type":"user","sessionId":"s","timestamp":"2026-01-01T10:00:00.000Z","message":{"role":"user","content":"hi"}}"#,
            "\n",
            r#"{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T10:00:02.000Z","message":{"id":"m1","model":"claude-opus-4-6","content":[{"type":"text","text":"yes"}],"usage":{"input_tokens":10,"output_tokens":5}}}"#,
            "\n",
        );
        let later = concat!(
            r#"{"type":"user","sessionId":"s","timestamp":"2026-01-01T12:00:00.000Z","message":{"role":"user","content":"again"}}"#,
            "\n",
            r#"{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T12:00:01.000Z","message":{"id":"m2","model":"claude-opus-4-6","content":[{"type":"text","text":"ok"}],"usage":{"input_tokens":1,"output_tokens":1}}}"#,
            "\n",
        );
        let at = |t: &str| parse_millis(t).unwrap();
        let mut pipeline =
            Pipeline::new(Options::default(), OtlpRenderer::new(LineSink(Vec::new())));
        let _ = pipeline.read_to_end("t", first.as_bytes()).unwrap();
        let r = pipeline.renderer();
        // Events came since the last look: not yet, however old they are.
        assert_eq!(r.close_idle(at("2026-01-01T11:00:00.000Z")).unwrap(), 0);
        // Quiet since, but not for two minutes yet.
        assert_eq!(r.close_idle(at("2026-01-01T10:01:00.000Z")).unwrap(), 0);
        assert_eq!(r.close_idle(at("2026-01-01T10:02:02.000Z")).unwrap(), 1);
        assert_eq!(
            r.close_idle(at("2026-01-01T11:00:00.000Z")).unwrap(),
            0,
            "once"
        );
        let roots_so_far: Vec<Value> = spans_in(&lines(&r.sink.0))
            .into_iter()
            .filter(|s| s["name"] == "claude_code.session")
            .collect();
        assert_eq!(roots_so_far.len(), 1);
        let _ = pipeline.read_to_end("t", later.as_bytes()).unwrap();
        let (renderer, _) = pipeline.finish().unwrap();
        let spans = spans_in(&lines(&renderer.into_inner().0));
        let roots: Vec<&Value> = spans
            .iter()
            .filter(|s| s["name"] == "claude_code.session")
            .collect();
        assert_eq!(roots.len(), 2, "one root per active period");
        assert_ne!(roots[0]["traceId"], roots[1]["traceId"]);
        assert_ne!(roots[0]["spanId"], roots[1]["spanId"]);
        assert_eq!(roots[0]["endTimeUnixNano"], "1767261602000000000");
        assert_eq!(roots[1]["startTimeUnixNano"], "1767268800000000000");
        // Each chat span hangs under the root of its own period.
        for chat in spans.iter().filter(|s| s["name"] == "chat claude-opus-4-6") {
            let root = roots
                .iter()
                .find(|r| r["traceId"] == chat["traceId"])
                .unwrap();
            assert_eq!(chat["parentSpanId"], root["spanId"]);
        }
        // The first period keeps the ids a whole-file export gives.
        let whole = export(&format!("{first}{later}"));
        let whole_root = whole
            .iter()
            .find(|s| s["name"] == "claude_code.session")
            .unwrap();
        assert_eq!(whole_root["spanId"], roots[0]["spanId"]);
        assert_eq!(whole_root["traceId"], roots[0]["traceId"]);
    }

    #[test]
    fn points_on_one_millisecond_follow_one_another() {
        // Two responses of one model written on the same millisecond.
        let t = concat!(
            r#"{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T10:00:00.000Z","message":{"id":"a","model":"claude-opus-4-6","content":[],"usage":{"input_tokens":10,"output_tokens":5}}}"#,
            "\n",
            r#"{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T10:00:00.000Z","message":{"id":"b","model":"claude-opus-4-6","content":[],"usage":{"input_tokens":7,"output_tokens":3}}}"#,
            "\n",
        );
        let mut pipeline =
            Pipeline::new(Options::default(), OtlpRenderer::new(LineSink(Vec::new())));
        let _ = pipeline.read_to_end("t", t.as_bytes()).unwrap();
        let (renderer, _) = pipeline.finish().unwrap();
        let requests = lines(&renderer.into_inner().0);
        let mut input = Vec::new();
        for r in &requests {
            for rm in r["resourceMetrics"].as_array().into_iter().flatten() {
                for m in rm["scopeMetrics"][0]["metrics"].as_array().unwrap() {
                    for p in m["sum"]["dataPoints"].as_array().unwrap() {
                        let kind = p["attributes"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .find(|a| a["key"] == "type")
                            .map(|a| a["value"]["stringValue"].clone());
                        if m["name"] == "claude_code.token.usage" && kind == Some(json!("input")) {
                            input.push(p.clone());
                        }
                    }
                }
            }
        }
        assert_eq!(input.len(), 2);
        assert_eq!(input[0]["asInt"], "10");
        assert_eq!(input[1]["asInt"], "7");
        assert_eq!(input[0]["timeUnixNano"], "1767261600000000000");
        assert_eq!(input[1]["startTimeUnixNano"], "1767261600000000000");
        assert_eq!(input[1]["timeUnixNano"], "1767261600000000001");
    }

    #[test]
    fn cost_and_rebuilds_are_span_attributes() {
        // Opus 4.6: 5-minute writes $6.25, reads $0.50 per million. Two responses ten
        // minutes apart, each writing its whole prefix: a first request, then an expiry.
        let t = concat!(
            r#"{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T10:00:00.000Z","message":{"id":"m1","model":"claude-opus-4-6","content":[],"usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":20000,"cache_creation":{"ephemeral_5m_input_tokens":20000,"ephemeral_1h_input_tokens":0}}}}"#,
            "\n",
            r#"{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T10:10:00.000Z","message":{"id":"m2","model":"claude-opus-4-6","content":[],"usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":21000,"cache_creation":{"ephemeral_5m_input_tokens":21000,"ephemeral_1h_input_tokens":0}}}}"#,
            "\n",
        );
        let spans = export(t);
        let double = |span: &Value, key: &str| attr(span, key).unwrap()["doubleValue"].as_f64();
        let near = |got: Option<f64>, want: f64| assert!((got.unwrap() - want).abs() < 1e-9);
        let (m1, m2, root) = (&spans[0], &spans[1], &spans[2]);
        near(double(m1, COST_USD), 20_000.0 * 6.25e-6);
        near(double(m2, COST_USD), 21_000.0 * 6.25e-6);
        near(double(m1, HIT_RATIO), 0.0);
        assert_eq!(
            attr(m1, REBUILD_CAUSE).unwrap()["stringValue"],
            "first_request"
        );
        assert_eq!(attr(m2, REBUILD_CAUSE).unwrap()["stringValue"], "expired");
        // The second missed the 20,000 cached and wrote 21,000: 20,000 rebuilt.
        assert_eq!(attr(m2, REBUILD_TOKENS).unwrap()["intValue"], "20000");
        near(double(m2, REBUILD_COST_USD), 20_000.0 * (6.25 - 0.5) * 1e-6);
        assert_eq!(root["name"], "claude_code.session");
        near(double(root, COST_USD), 41_000.0 * 6.25e-6);
        assert_eq!(attr(root, "aegon.cache.rebuilds").unwrap()["intValue"], "2");
        for cause in ["first_request", "expired"] {
            let key = format!("aegon.cache.rebuild.lost_usd.{cause}");
            near(double(root, &key), 20_000.0 * 5.75e-6);
        }
        assert_eq!(attr(root, "aegon.cache.rebuild.lost_usd.compaction"), None);
    }

    /// The OTLP lines of a fixture of `fixtures/corpus/`, read as the binary reads a file.
    fn export_fixture(name: &str) -> (Vec<u8>, Vec<u8>) {
        let path = format!("{}/../fixtures/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
        let input = std::fs::read(&path).unwrap();
        let mut pipeline =
            Pipeline::new(Options::default(), OtlpRenderer::new(LineSink(Vec::new())));
        let _ = pipeline.read_to_end(&path, &input[..]).unwrap();
        let (renderer, _) = pipeline.finish().unwrap();
        (renderer.into_inner().0, input)
    }

    /// Two runs over the same input write the same bytes. These fixtures end with several tool
    /// calls and responses still open, once written in the order of a hash map with a random
    /// seed (each map in a process gets another): 12 runs of `aegon --otlp` gave 12 different
    /// outputs for the first, 2 for the second.
    #[test]
    fn the_same_input_gives_the_same_bytes_every_run() {
        for name in [
            "leolin84200704__posthog-impact-dashboard__claude-session.jsonl",
            "d-kimuson__claude-code-viewer__mock-global-claude-dir__projects__sample-project__fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl",
        ] {
            let (first, _) = export_fixture(name);
            for run in 1..8 {
                let (again, _) = export_fixture(name);
                assert!(first == again, "{name}: run {run} wrote other bytes than run 0");
            }
        }
    }

    /// Calls left without a result when the input ends are written in the order they were
    /// made: here five whose results came on earlier lines than the calls (so none follows
    /// them), found independently by walking the file's `tool_use` and `tool_result` blocks.
    #[test]
    fn calls_without_a_result_are_written_in_the_order_they_were_made() {
        let (out, input) =
            export_fixture("leolin84200704__posthog-impact-dashboard__claude-session.jsonl");
        let mut pending: Vec<String> = Vec::new();
        for line in input.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let record: Value = serde_json::from_slice(line).unwrap();
            let Some(blocks) = record["message"]["content"].as_array() else {
                continue;
            };
            for b in blocks {
                match b["type"].as_str() {
                    Some("tool_use") => {
                        let id = b["id"].as_str().unwrap().to_owned();
                        pending.retain(|p| *p != id);
                        pending.push(id);
                    }
                    Some("tool_result") => {
                        pending.retain(|p| Some(p.as_str()) != b["tool_use_id"].as_str());
                    }
                    _ => {}
                }
            }
        }
        assert_eq!(pending.len(), 5);
        let written: Vec<String> = spans_in(&lines(&out))
            .iter()
            .filter(|s| s["status"]["message"] == "no result")
            .map(|s| {
                attr(s, "gen_ai.tool.call.id").unwrap()["stringValue"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(written, pending);
    }

    /// The `aegon.cost.usage` points (time in ns, dollars) of OTLP lines.
    fn cost_points(out: &[u8]) -> Vec<(String, f64)> {
        let mut points = Vec::new();
        for request in lines(out) {
            for r in request["resourceMetrics"].as_array().into_iter().flatten() {
                for m in r["scopeMetrics"][0]["metrics"].as_array().unwrap() {
                    if m["name"] == AEGON_METRICS.cost_usage {
                        for p in m["sum"]["dataPoints"].as_array().unwrap() {
                            let time = p["timeUnixNano"].as_str().unwrap().to_owned();
                            points.push((time, p["asDouble"].as_f64().unwrap()));
                        }
                    }
                }
            }
        }
        points
    }

    /// A Copilot CLI request's cost is known only with the session's `session.shutdown`
    /// totals (its input is written only there): a running session exports no cost point,
    /// as `--summary` calls its cost unknown, whether the input ends (the pending marker)
    /// or is followed (flushed, no end); when the shutdown comes, every point goes out as a
    /// finished session's do (tester11 #5: 17 points, $0.2174, for a session `--summary`
    /// called "at least $0.2174").
    #[test]
    fn a_copilot_sessions_cost_points_wait_for_its_shutdown_totals() {
        // The real session (fixtures/agents/README.md), finished; running: without its
        // last line, the shutdown.
        let path = format!(
            "{}/../fixtures/agents/copilot/LAF-US__IDAHO-VAULT__.copilot__session-state__252d6b6b-aaad-4790-8254-7ada091ee9fc__events.jsonl",
            env!("CARGO_MANIFEST_DIR")
        );
        let whole = std::fs::read_to_string(&path).unwrap();
        let at = whole.find(r#"{"type":"session.shutdown""#).unwrap();
        let (running, shutdown) = whole.split_at(at);
        assert!(!running.is_empty() && shutdown.lines().count() == 1);
        let read = |text: &str| {
            let mut pipeline =
                Pipeline::new(Options::default(), OtlpRenderer::new(LineSink(Vec::new())));
            let _ = pipeline
                .read_to_end("events.jsonl", text.as_bytes())
                .unwrap();
            let (renderer, _) = pipeline.finish().unwrap();
            renderer.into_inner().0
        };
        let finished = cost_points(&read(&whole));
        assert_eq!(finished.len(), 18);
        let sum: f64 = finished.iter().map(|p| p.1).sum();
        assert!((sum - 0.7555324).abs() < 1e-9, "{sum}");
        // Read to its end while running: no cost point, though tokens are sent.
        let out = read(running);
        assert_eq!(cost_points(&out), []);
        assert!(String::from_utf8_lossy(&out).contains(AEGON_METRICS.token_usage));
        // Followed: nothing while it runs; the shutdown brings the finished session's points.
        let mut pipeline =
            Pipeline::new(Options::default(), OtlpRenderer::new(LineSink(Vec::new())));
        let mut input = pipeline.open("events.jsonl");
        let _ = pipeline.push(&mut input, running.as_bytes()).unwrap();
        pipeline.renderer().flush().unwrap();
        assert!(!pipeline.renderer().sink.0.is_empty(), "something went out");
        assert_eq!(cost_points(&pipeline.renderer().sink.0), []);
        let _ = pipeline.push(&mut input, shutdown.as_bytes()).unwrap();
        pipeline.renderer().flush().unwrap();
        let mut followed = cost_points(&pipeline.renderer().sink.0);
        let mut finished = finished;
        followed.sort_by(|a, b| a.0.cmp(&b.0));
        finished.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(followed, finished);
    }

    /// A session read without the transcript of a subagent it names (kfischer's parent and
    /// its `agent-a434715.jsonl`, fixtures/corpus): that usage is missing, so its root span
    /// has no cost, as `--summary` calls it unknown; read with it, the cost is there.
    #[test]
    fn a_session_missing_a_subagents_transcript_has_no_cost_on_its_root_span() {
        let root_cost = |names: &[&str]| {
            let mut pipeline =
                Pipeline::new(Options::default(), OtlpRenderer::new(LineSink(Vec::new())));
            for name in names {
                let path = format!("{}/../fixtures/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
                let input = std::fs::read(&path).unwrap();
                let _ = pipeline.read_to_end(&path, &input[..]).unwrap();
            }
            let (renderer, _) = pipeline.finish().unwrap();
            let spans = spans_in(&lines(&renderer.into_inner().0));
            let root = spans
                .iter()
                .find(|s| s["name"] == "claude_code.session")
                .unwrap()
                .clone();
            attr(&root, COST_USD).and_then(|v| v["doubleValue"].as_f64())
        };
        let parent = "kfischer-okarin__scripts-and-tools__src__claude-history__test__fixtures__claude-projects__-Users-user-project__b3edadab-bca0-4054-9b41-f7ffa6941260.jsonl";
        let subagent = "kfischer-okarin__scripts-and-tools__src__claude-history__test__fixtures__claude-projects__-Users-user-project__agent-a434715.jsonl";
        assert_eq!(root_cost(&[parent]), None);
        let whole = root_cost(&[parent, subagent]).expect("a cost with the subagent read");
        assert!(whole > 0.38, "{whole}");
    }

    #[test]
    fn lines_changed_reads_patches_and_created_files() {
        let edit = r#"{"filePath":"a","structuredPatch":[{"oldStart":1,"oldLines":2,"newStart":1,"newLines":3,"lines":[" keep","-old","+new","+more"]}]}"#;
        assert_eq!(lines_changed(edit), Some((2, 1)));
        let create = r#"{"type":"create","filePath":"b","content":"one\ntwo\nthree\n","structuredPatch":[]}"#;
        assert_eq!(lines_changed(create), Some((3, 0)));
        assert_eq!(lines_changed(r#"{"stdout":"structuredPatch"}"#), None);
        assert_eq!(lines_changed("\"Error: no such file\""), None);
    }
}
