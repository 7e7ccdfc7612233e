//! OpenTelemetry traces of sessions, as OTLP/JSON (`aegon --otlp`).
//!
//! One trace per session (its resource names the session, folder, branch and Claude Code
//! version); under the session's root span, a span for each API response (`chat MODEL`), each
//! tool call (`execute_tool TOOL`) and each subagent (`invoke_agent ID`), with token counts
//! and tool names as attributes following the OpenTelemetry GenAI semantic conventions
//! (`gen_ai.usage.input_tokens`, `gen_ai.tool.name`, …). Ids are derived from the session,
//! message and call ids, so exporting the same transcript twice gives the same spans.
//!
//! Spans are written as they complete: a tool call when its result comes, a response when the
//! session moves on, subagents and the session's root span when the input ends. Each write is
//! one `ExportTraceServiceRequest` (the spans completed since the last), through an
//! [`OtlpSink`]: [`LineSink`] writes one JSON object per line, the format the OpenTelemetry
//! Collector's `otlpjsonfile` receiver reads; the `aegon` binary also has an HTTP sink.
//!
//! Times come from the transcript's timestamps: a response's span runs from the session's
//! previous event to the response's last line, a tool call's from the call to its result.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::ops::ControlFlow;

use serde_json::{json, Value};

use crate::event::{Event, EventKind};
use crate::pipeline::Stats;
use crate::render::{Flow, Renderer};
use crate::timestamp::parse_millis;
use crate::tokens::Tokens;

/// Where finished export requests go.
pub trait OtlpSink {
    /// Takes one `ExportTraceServiceRequest` as JSON.
    fn export(&mut self, request: &Value) -> io::Result<()>;

    /// Called when no more requests are due for a while (after each chunk read).
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Called once after the last request (a sender can wait for its queue here).
    fn close(&mut self) -> io::Result<()> {
        self.flush()
    }
}

/// Writes each request as one line of JSON (the `otlpjsonfile` receiver's format).
#[derive(Debug)]
pub struct LineSink<W: Write>(pub W);

impl<W: Write> OtlpSink for LineSink<W> {
    fn export(&mut self, request: &Value) -> io::Result<()> {
        let line = crate::render::json_bytes(request, false)?;
        self.0.write_all(&line)?;
        self.0.write_all(b"\n")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// A span being built.
#[derive(Debug, Clone)]
struct SpanDraft {
    span_id: u64,
    parent: Option<u64>,
    name: String,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
    attributes: Vec<(String, Value)>,
    error: Option<String>,
}

/// An API response whose lines are still coming.
#[derive(Debug)]
struct OpenResponse {
    message_id: String,
    model: Option<String>,
    agent: Option<String>,
    tokens: Tokens,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
}

/// A tool call waiting for its result.
#[derive(Debug)]
struct OpenCall {
    tool: String,
    agent: Option<String>,
    start_ms: Option<i64>,
}

/// A subagent's first and last event times, and the Task call that started it.
type AgentSpan = (Option<i64>, Option<i64>, Option<String>);

/// What is known of one session.
#[derive(Debug, Default)]
struct SessionTrace {
    first_ms: Option<i64>,
    last_ms: Option<i64>,
    resource: Vec<(String, Value)>,
    /// The response being written, per subagent (`None`: the main chain): parallel subagents
    /// interleave their lines.
    responses_open: HashMap<Option<String>, OpenResponse>,
    /// Responses already exported (hashed): a late line of one is not a new span.
    closed: std::collections::HashSet<u64>,
    calls: HashMap<String, OpenCall>,
    /// Agent id → (first, last) timestamps, and the Task call that started it.
    agents: BTreeMap<String, AgentSpan>,
    /// Spans finished and not yet exported.
    done: Vec<SpanDraft>,
    responses: u64,
    tokens: Tokens,
    /// The latest API response id seen and the session's last time before its first line.
    message_start: Option<(String, Option<i64>)>,
}

/// Turns events into OTLP/JSON trace requests. See the [module documentation](self).
#[derive(Debug)]
pub struct OtlpRenderer<S: OtlpSink> {
    sink: S,
    sessions: BTreeMap<String, SessionTrace>,
}

impl<S: OtlpSink> OtlpRenderer<S> {
    /// A renderer exporting to `sink`.
    pub fn new(sink: S) -> Self {
        OtlpRenderer {
            sink,
            sessions: BTreeMap::new(),
        }
    }

    /// The sink.
    pub fn into_inner(self) -> S {
        self.sink
    }

    /// Exports the spans finished since the last export, one request for all sessions.
    fn export_done(&mut self) -> io::Result<()> {
        let mut resource_spans = Vec::new();
        for (id, s) in &mut self.sessions {
            if s.done.is_empty() {
                continue;
            }
            let spans: Vec<Value> = s.done.drain(..).map(|d| span_json(id, &d)).collect();
            resource_spans.push(json!({
                "resource": {"attributes": attributes(&s.resource)},
                "scopeSpans": [{
                    "scope": {"name": "aegon", "version": env!("CARGO_PKG_VERSION")},
                    "spans": spans,
                }],
            }));
        }
        if resource_spans.is_empty() {
            return Ok(());
        }
        self.sink
            .export(&json!({ "resourceSpans": resource_spans }))
    }
}

impl<S: OtlpSink> Renderer for OtlpRenderer<S> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        let Some(session_id) = event.session_id.as_deref() else {
            return Ok(ControlFlow::Continue(()));
        };
        let at = event.timestamp.as_deref().and_then(parse_millis);
        let s = self.sessions.entry(session_id.to_owned()).or_default();
        if s.resource.is_empty() {
            s.resource = vec![
                ("service.name".into(), json!("claude-code")),
                ("session.id".into(), json!(session_id)),
                ("gen_ai.conversation.id".into(), json!(session_id)),
            ];
        }
        for (key, value) in [
            ("process.working_directory", event.cwd.as_deref()),
            ("vcs.ref.head.name", event.git_branch.as_deref()),
            ("claude_code.version", event.version.as_deref()),
        ] {
            if let Some(v) = value {
                match s.resource.iter_mut().find(|(k, _)| k == key) {
                    Some(slot) => slot.1 = json!(v),
                    None => s.resource.push((key.to_owned(), json!(v))),
                }
            }
        }
        let agent = event.agent_id.as_deref().map(str::to_owned);
        if let Some(a) = &agent {
            let entry = s.agents.entry(a.clone()).or_default();
            entry.0 = min_time(entry.0, at);
            entry.1 = max_time(entry.1, at);
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
        let ends = match (message_id, s.responses_open.get(&agent)) {
            (Some(m), Some(open)) => open.message_id != m,
            (None, Some(_)) => matches!(
                event.kind,
                EventKind::UserPrompt { .. }
                    | EventKind::Interrupt { .. }
                    | EventKind::Compact { .. }
            ),
            _ => false,
        };
        if ends {
            close_response(session_id, s, &agent);
        }
        if let Some(m) = message_id {
            if s.message_start.as_ref().is_none_or(|(seen, _)| seen != m) {
                s.message_start = Some((m.to_owned(), s.last_ms.or(at)));
            }
        }
        match &event.kind {
            EventKind::Usage {
                message_id: Some(message_id),
                model,
                tokens,
                ..
            } => {
                s.tokens = s.tokens.saturating_add(*tokens);
                let closed = s
                    .closed
                    .contains(&span_id(session_id, "response", message_id));
                match s.responses_open.get_mut(&agent) {
                    Some(open) if open.message_id == *message_id => {
                        open.tokens = open.tokens.saturating_add(*tokens);
                        open.end_ms = max_time(open.end_ms, at);
                    }
                    // A late line of a response already exported: its span is out.
                    _ if closed => {}
                    _ => {
                        let open = OpenResponse {
                            message_id: message_id.to_string(),
                            model: model.as_deref().map(str::to_owned),
                            agent: agent.clone(),
                            tokens: *tokens,
                            // The request went out after the session's previous event.
                            start_ms: match &s.message_start {
                                Some((m, start)) if m == message_id.as_ref() => *start,
                                _ => s.last_ms.or(at),
                            },
                            end_ms: at,
                        };
                        s.responses_open.insert(agent.clone(), open);
                    }
                }
            }
            EventKind::ToolCall {
                tool_use_id: Some(id),
                tool,
                ..
            } => {
                s.calls.insert(
                    id.to_string(),
                    OpenCall {
                        tool: tool.to_string(),
                        agent: agent.clone(),
                        start_ms: at,
                    },
                );
            }
            EventKind::ToolResult {
                tool_use_id: Some(id),
                is_error,
                spawned_agent_id,
                ..
            } => {
                if let Some(call) = s.calls.remove(id.as_ref()) {
                    let mut attrs = vec![
                        ("gen_ai.operation.name".into(), json!("execute_tool")),
                        ("gen_ai.tool.name".into(), json!(call.tool)),
                        ("gen_ai.tool.call.id".into(), json!(id)),
                    ];
                    if let Some(spawned) = spawned_agent_id {
                        attrs.push(("gen_ai.agent.id".into(), json!(spawned)));
                        if let Some(entry) = s.agents.get_mut(spawned.as_ref()) {
                            entry.2 = Some(id.to_string());
                        } else {
                            s.agents
                                .insert(spawned.to_string(), (None, None, Some(id.to_string())));
                        }
                    }
                    s.done.push(SpanDraft {
                        span_id: span_id(session_id, "tool", id),
                        parent: Some(parent_of(session_id, call.agent.as_deref())),
                        name: format!("execute_tool {}", call.tool),
                        start_ms: call.start_ms,
                        end_ms: at.or(call.start_ms),
                        attributes: attrs,
                        error: is_error.then(|| "the tool call failed".to_owned()),
                    });
                }
            }
            _ => {}
        }
        s.first_ms = min_time(s.first_ms, at);
        s.last_ms = max_time(s.last_ms, at);
        Ok(ControlFlow::Continue(()))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.export_done()?;
        self.sink.flush()
    }

    fn finish(&mut self, _stats: &Stats) -> io::Result<()> {
        for (id, s) in &mut self.sessions {
            let chains: Vec<Option<String>> = s.responses_open.keys().cloned().collect();
            for chain in chains {
                close_response(id, s, &chain);
            }
            // Calls never answered end where the session ended.
            for (call_id, call) in s.calls.drain() {
                s.done.push(SpanDraft {
                    span_id: span_id(id, "tool", &call_id),
                    parent: Some(parent_of(id, call.agent.as_deref())),
                    name: format!("execute_tool {}", call.tool),
                    start_ms: call.start_ms,
                    end_ms: s.last_ms.or(call.start_ms),
                    attributes: vec![
                        ("gen_ai.operation.name".into(), json!("execute_tool")),
                        ("gen_ai.tool.name".into(), json!(call.tool)),
                        ("gen_ai.tool.call.id".into(), json!(call_id)),
                    ],
                    error: Some("no result".to_owned()),
                });
            }
            for (agent, (first, last, spawned_by)) in &s.agents {
                s.done.push(SpanDraft {
                    span_id: span_id(id, "agent", agent),
                    parent: Some(match spawned_by {
                        Some(call) => span_id(id, "tool", call),
                        None => span_id(id, "session", ""),
                    }),
                    name: format!("invoke_agent {agent}"),
                    start_ms: *first,
                    end_ms: *last,
                    attributes: vec![
                        ("gen_ai.operation.name".into(), json!("invoke_agent")),
                        ("gen_ai.agent.id".into(), json!(agent)),
                    ],
                    error: None,
                });
            }
            s.done.push(SpanDraft {
                span_id: span_id(id, "session", ""),
                parent: None,
                name: "claude_code.session".to_owned(),
                start_ms: s.first_ms,
                end_ms: s.last_ms,
                attributes: vec![
                    ("session.id".into(), json!(id)),
                    ("aegon.api_calls".into(), json!(s.responses)),
                    (
                        "gen_ai.usage.input_tokens".into(),
                        json!(s.tokens.total_input()),
                    ),
                    ("gen_ai.usage.output_tokens".into(), json!(s.tokens.output)),
                ],
                error: None,
            });
        }
        self.export_done()?;
        self.sink.close()
    }
}

/// Moves the open response of a chain (main or subagent), if any, to the finished spans.
fn close_response(session_id: &str, s: &mut SessionTrace, chain: &Option<String>) {
    let Some(r) = s.responses_open.remove(chain) else {
        return;
    };
    s.responses += 1;
    if s.closed.len() >= 100_000 {
        s.closed.clear();
    }
    s.closed
        .insert(span_id(session_id, "response", &r.message_id));
    let model = r.model.clone().unwrap_or_else(|| "unknown".to_owned());
    let mut attrs = vec![
        ("gen_ai.operation.name".into(), json!("chat")),
        ("gen_ai.provider.name".into(), json!("anthropic")),
        ("gen_ai.request.model".into(), json!(model)),
        ("gen_ai.response.model".into(), json!(model)),
        ("gen_ai.response.id".into(), json!(r.message_id)),
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
    if let Some(agent) = &r.agent {
        attrs.push(("gen_ai.agent.id".into(), json!(agent)));
    }
    s.done.push(SpanDraft {
        span_id: span_id(session_id, "response", &r.message_id),
        parent: Some(parent_of(session_id, r.agent.as_deref())),
        name: format!("chat {model}"),
        start_ms: r.start_ms,
        end_ms: r.end_ms,
        attributes: attrs,
        error: None,
    });
}

/// The span a session's event hangs under: its subagent's span, else the session's root.
fn parent_of(session_id: &str, agent: Option<&str>) -> u64 {
    match agent {
        Some(a) => span_id(session_id, "agent", a),
        None => span_id(session_id, "session", ""),
    }
}

fn span_json(session_id: &str, d: &SpanDraft) -> Value {
    let start = d.start_ms.or(d.end_ms).unwrap_or(0);
    let end = d.end_ms.unwrap_or(start).max(start);
    let mut span = json!({
        "traceId": trace_id(session_id),
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
    span
}

/// OTLP attributes: strings, booleans, and integers (as decimal strings, as OTLP/JSON writes
/// 64-bit integers).
fn attributes(pairs: &[(String, Value)]) -> Vec<Value> {
    pairs
        .iter()
        .map(|(key, value)| {
            let value = match value {
                Value::Bool(b) => json!({ "boolValue": b }),
                Value::Number(n) => json!({ "intValue": n.to_string() }),
                Value::String(s) => json!({ "stringValue": s }),
                other => json!({ "stringValue": other.to_string() }),
            };
            json!({"key": key, "value": value})
        })
        .collect()
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

/// 32 hex digits for a session.
fn trace_id(session_id: &str) -> String {
    format!(
        "{:016x}{:016x}",
        fnv(&["trace", session_id]),
        fnv(&["trace-low", session_id])
    )
}

fn span_id(session_id: &str, kind: &str, id: &str) -> u64 {
    fnv(&[session_id, kind, id])
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
                    .unwrap()
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
}
