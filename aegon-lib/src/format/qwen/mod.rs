//! Qwen Code's JSONL chat files (`~/.qwen/projects/<encoded-cwd>/chats/<uuid>.jsonl`),
//! described in the corpus-agents `FORMAT.md` §5 (one file, v0.5.1, 2025-12: what is said
//! here beyond it is Gemini API semantics, which Qwen Code, a Gemini CLI fork, keeps).
//!
//! A Claude-Code-like chain, one record per line: `uuid`, `parentUuid`, `sessionId`,
//! `timestamp`, `type`, `cwd`, `version`, and `message{role: "user"|"model", parts[]}` with
//! Gemini API parts.
//!
//! - `user`: its text parts are a [`EventKind::UserPrompt`] (joined with newlines); each
//!   `functionResponse` part a [`EventKind::ToolResult`] (`is_error` when the response is an
//!   `error`); `inlineData` parts [`EventKind::Image`]s.
//! - `assistant`: `thought: true` parts are [`EventKind::Thinking`], other text parts an
//!   [`EventKind::AssistantText`], `functionCall` parts [`EventKind::ToolCall`]s, and its
//!   `usageMetadata` a [`EventKind::Usage`]: `promptTokenCount` includes
//!   `cachedContentTokenCount` (input = prompt − cached, cache read = cached), output is
//!   `candidatesTokenCount + thoughtsTokenCount` (`reasoning` = thoughts), tool-use prompt
//!   tokens count as input. The usage's `message_id` is the line's `uuid` (no response id is
//!   written on it): one usage per assistant line.
//! - `system` with `subtype: "ui_telemetry"`: the UI's telemetry repeats each API response's
//!   numbers (`input_token_count`, …): not counted again, a [`EventKind::System`]; a
//!   `qwen-code.api_error` event is an [`EventKind::ApiError`]. Other `system` lines are
//!   [`EventKind::System`] too, other types [`EventKind::Unknown`].
//!
//! Events carry the line's `uuid` (lines are not written twice here, so the correlator drops
//! only a line read again), `sessionId`, `timestamp`, `cwd` and `version`.

use std::borrow::Cow;
use std::ops::ControlFlow;

use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::event::{Agent, Event, EventKind, Source};
use crate::format::gemini::decode::{texts_of, tool_result};
use crate::format::gemini::record::Part;
use crate::format::Count;
use crate::json::RawJson;
use crate::source::lines::Line;
use crate::text::Text;
use crate::tokens::{PriceFactors, Tokens};

/// One line of a Qwen Code chat file.
#[derive(Debug, Default, Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    uuid: Option<Cow<'a, str>>,
    #[serde(rename = "sessionId", borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    subtype: Option<Cow<'a, str>>,
    #[serde(borrow)]
    cwd: Option<Cow<'a, str>>,
    #[serde(borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow)]
    message: Option<Message<'a>>,
    #[serde(rename = "usageMetadata")]
    usage: Option<UsageMetadata>,
    #[serde(rename = "systemPayload", borrow)]
    system_payload: Option<SystemPayload<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    parts: Option<Vec<Part<'a>>>,
}

/// Gemini API `usageMetadata`.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct UsageMetadata {
    prompt_token_count: Count,
    candidates_token_count: Count,
    thoughts_token_count: Count,
    cached_content_token_count: Count,
    tool_use_prompt_token_count: Count,
}

impl UsageMetadata {
    /// True when a count was written that is not one ([`Count::Refused`]).
    fn refused(&self) -> bool {
        [
            self.prompt_token_count,
            self.candidates_token_count,
            self.thoughts_token_count,
            self.cached_content_token_count,
            self.tool_use_prompt_token_count,
        ]
        .iter()
        .any(|c| c.is_refused())
    }
}

/// The counts of a line's `usageMetadata`, as paths, for naming a refused one
/// ([`crate::format::count::refused_counts`]).
const COUNTS: [&str; 5] = [
    "usageMetadata.promptTokenCount",
    "usageMetadata.candidatesTokenCount",
    "usageMetadata.thoughtsTokenCount",
    "usageMetadata.cachedContentTokenCount",
    "usageMetadata.toolUsePromptTokenCount",
];

#[derive(Debug, Default, Deserialize)]
struct SystemPayload<'a> {
    #[serde(rename = "uiEvent", borrow)]
    ui_event: Option<UiEvent<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct UiEvent<'a> {
    #[serde(rename = "event.name", borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    status_code: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    error: Option<Cow<'a, str>>,
}

/// The Qwen Code decoder (stateless: each line stands alone).
#[derive(Debug, Default)]
pub struct Decoder;

impl Decoder {
    /// Decodes one line, emitting its events.
    pub fn line<F>(&mut self, file: &str, line: Line<'_>, emit: &mut F) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        let source = line.source(file);
        if line.bytes.iter().all(u8::is_ascii_whitespace) {
            return ControlFlow::Continue(());
        }
        let text = crate::format::utf8::line_text(Agent::QwenCode, source, line.bytes, emit)?;
        let record: Record<'_> = match serde_json::from_str(&text) {
            Ok(r) => r,
            Err(e) => {
                let mut event =
                    crate::format::gemini::line_error(source, &line, &e, "a Qwen Code record");
                event.agent = Agent::QwenCode;
                return emit(event);
            }
        };
        if record.usage.is_some_and(|u| u.refused()) {
            let found = crate::format::count::refused_counts(&text, &COUNTS);
            let len = line.bytes.len() as u64;
            let said = crate::format::count::refused_event(
                Agent::QwenCode,
                source,
                line.offset,
                len,
                &found,
            );
            if let Some(e) = said {
                emit(e)?;
            }
        }
        record_events(source, record, emit)
    }

    /// Ends the input (nothing is held back).
    pub fn finish<F>(&mut self, file: &str, emit: &mut F) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        let _ = (file, emit);
        ControlFlow::Continue(())
    }
}

fn record_events<'a, F>(source: Source<'a>, r: Record<'a>, emit: &mut F) -> ControlFlow<()>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    let header = |kind: EventKind<'a>| Event {
        agent: Agent::QwenCode,
        source,
        session_id: r.session_id.clone(),
        timestamp: r.timestamp.clone(),
        uuid: r.uuid.clone(),
        agent_id: None,
        sidechain: false,
        copied: false,
        cwd: r.cwd.clone(),
        git_branch: None,
        version: r.version.clone(),
        kind,
    };
    let parts = r.message.and_then(|m| m.parts);
    match r.kind.as_deref() {
        Some("user") => {
            let parts = parts.unwrap_or_default();
            if let Some(text) = texts_of(&parts) {
                emit(header(EventKind::UserPrompt { text }))?;
            } else if parts.is_empty() {
                return emit(header(unknown("user", None)));
            }
            for part in parts {
                if let Some(response) = part.function_response {
                    let is_error = response
                        .response
                        .as_ref()
                        .is_some_and(|r| r.error.is_some());
                    emit(header(tool_result(response, is_error)))?;
                } else if let Some(data) = part.inline_data {
                    let inner = data
                        .data
                        .map(|d| d.get())
                        .and_then(|s| s.strip_prefix('"'))
                        .and_then(|s| s.strip_suffix('"'));
                    emit(header(EventKind::Image {
                        media_type: data.mime_type,
                        data_len: inner.map_or(0, |s| s.len() as u64),
                        data: inner.filter(|s| !s.contains('\\')),
                    }))?;
                } else if part.text.is_none() {
                    emit(header(unknown("user", part_kind(&part))))?;
                }
            }
            ControlFlow::Continue(())
        }
        Some("assistant") => {
            let message_id = r.uuid.clone();
            let parts = parts.unwrap_or_default();
            for part in parts.iter().filter(|p| p.thought == Some(true)) {
                if let Some(text) = part.text.and_then(Text::from_raw) {
                    emit(header(EventKind::Thinking {
                        message_id: message_id.clone(),
                        text,
                        redacted: false,
                    }))?;
                }
            }
            if let Some(text) = texts_of(&parts).filter(|t| !t.is_blank()) {
                emit(header(EventKind::AssistantText {
                    message_id: message_id.clone(),
                    model: r.model.clone(),
                    text,
                }))?;
            }
            for part in parts {
                if let Some(call) = part.function_call {
                    emit(header(EventKind::ToolCall {
                        message_id: message_id.clone(),
                        tool_use_id: call.id,
                        tool: call.name.unwrap_or(Cow::Borrowed("")),
                        input: call.args.map(RawJson::from),
                    }))?;
                } else if part.text.is_none() {
                    emit(header(unknown("assistant", part_kind(&part))))?;
                }
            }
            if let Some(u) = r.usage {
                let prompt = u
                    .prompt_token_count
                    .get()
                    .saturating_add(u.tool_use_prompt_token_count.get());
                emit(header(EventKind::Usage {
                    message_id,
                    request_id: None,
                    model: r.model.clone(),
                    tokens: Tokens {
                        input: prompt.saturating_sub(u.cached_content_token_count.get()),
                        output: u
                            .candidates_token_count
                            .get()
                            .saturating_add(u.thoughts_token_count.get()),
                        cache_read: u.cached_content_token_count.get(),
                        cache_write_5m: 0,
                        cache_write_1h: 0,
                        web_search: 0,
                    },
                    increment: false,
                    factors: PriceFactors {
                        prompt_tokens: prompt,
                        ..PriceFactors::default()
                    },
                    reasoning: Some(u.thoughts_token_count.get()),
                    unread: None,
                    context: None,
                    window: None,
                    repriced: None,
                }))?;
            }
            ControlFlow::Continue(())
        }
        Some("system") => {
            let ui = r
                .system_payload
                .and_then(|p| p.ui_event)
                .unwrap_or_default();
            if ui.name.as_deref() == Some("qwen-code.api_error") {
                let status = ui
                    .status_code
                    .and_then(|raw| raw.get().trim_matches('"').parse().ok());
                return emit(header(EventKind::ApiError {
                    status,
                    text: ui.error,
                    retry_attempt: None,
                    max_retries: None,
                    retry_in_ms: None,
                    fatal: false,
                }));
            }
            emit(header(EventKind::System {
                subtype: r.subtype.clone(),
                level: None,
                text: None,
                duration_ms: None,
            }))
        }
        other => emit(header(EventKind::Unknown {
            record_type: other.map(|t| Cow::Owned(t.to_owned())),
            block_type: None,
        })),
    }
}

fn unknown(record: &'static str, block: Option<&'static str>) -> EventKind<'static> {
    EventKind::Unknown {
        record_type: Some(Cow::Borrowed(record)),
        block_type: block.map(Cow::Borrowed),
    }
}

/// The kind of a part aegon shows no event for.
fn part_kind(part: &Part<'_>) -> Option<&'static str> {
    if part.function_call.is_some() {
        Some("functionCall")
    } else if part.function_response.is_some() {
        Some("functionResponse")
    } else if part.file_data.is_some() {
        Some("fileData")
    } else {
        None
    }
}

/// Whether a first line (a whole JSON object) is Qwen Code's: a record with a `uuid` whose
/// `message` has Gemini API `parts` (Claude Code's have `content`), or `usageMetadata`, or a
/// `systemPayload`.
pub fn sniff_line(first: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct First {
        uuid: Option<IgnoredAny>,
        message: Option<FirstMessage>,
        #[serde(rename = "usageMetadata")]
        usage: Option<IgnoredAny>,
        #[serde(rename = "systemPayload")]
        system_payload: Option<IgnoredAny>,
    }
    #[derive(Deserialize)]
    struct FirstMessage {
        parts: Option<IgnoredAny>,
        content: Option<IgnoredAny>,
    }
    let Ok(line) = serde_json::from_slice::<First>(first) else {
        return false;
    };
    let parts = line
        .message
        .is_some_and(|m| m.parts.is_some() && m.content.is_none());
    line.uuid.is_some() && (parts || line.usage.is_some() || line.system_payload.is_some())
}

/// The kind of a Qwen Code record as the format names it, for `aegon audit`: its `type`, with
/// the `subtype` after a `/` when it has one (`system/ui_telemetry`).
pub fn record_kind(value: &serde_json::Value) -> Option<String> {
    let kind = value.get("type")?.as_str()?;
    Some(
        match value.get("subtype").and_then(serde_json::Value::as_str) {
            Some(sub) => format!("{kind}/{sub}"),
            None => kind.to_owned(),
        },
    )
}

/// The Qwen Code version a record was written by: its `version`.
pub fn cli_version(value: &serde_json::Value) -> Option<String> {
    value.get("version")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn record_kinds_and_versions() {
        let telemetry = json!({"type": "system", "subtype": "ui_telemetry", "version": "0.5.1"});
        assert_eq!(
            record_kind(&telemetry).as_deref(),
            Some("system/ui_telemetry")
        );
        assert_eq!(
            record_kind(&json!({"type": "assistant"})).as_deref(),
            Some("assistant")
        );
        assert_eq!(record_kind(&json!({"parts": []})), None);
        assert_eq!(cli_version(&telemetry).as_deref(), Some("0.5.1"));
        assert_eq!(cli_version(&json!({"type": "user"})), None);
    }

    /// Lines written by this test in the shape of FORMAT.md §5 (the saved file has no tool
    /// call): a call in a model message, its response in the next user message.
    #[test]
    fn a_function_call_and_its_response_pair_up() {
        let lines = [
            r#"{"uuid":"a","sessionId":"s","timestamp":"2025-12-20T08:00:00.000Z","type":"assistant","model":"m","message":{"role":"model","parts":[{"text":"plan","thought":true},{"functionCall":{"id":"c1","name":"read_file","args":{"path":"x"}}}]},"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":5,"thoughtsTokenCount":7,"totalTokenCount":112,"cachedContentTokenCount":60}}"#,
            r#"{"uuid":"b","sessionId":"s","timestamp":"2025-12-20T08:00:01.500Z","type":"user","message":{"role":"user","parts":[{"functionResponse":{"id":"c1","name":"read_file","response":{"error":"no such file"}}}]}}"#,
        ];
        let mut got = Vec::new();
        let mut decoder = Decoder;
        for (i, l) in lines.iter().enumerate() {
            let line = Line {
                bytes: l.as_bytes(),
                number: i as u64 + 1,
                offset: 0,
                terminated: true,
            };
            let _ = decoder.line("t", line, &mut |e: Event<'_>| {
                got.push(match &e.kind {
                    EventKind::Usage {
                        tokens, reasoning, ..
                    } => format!(
                        "usage {} {} {} {:?}",
                        tokens.input, tokens.output, tokens.cache_read, reasoning
                    ),
                    EventKind::ToolCall {
                        tool_use_id, tool, ..
                    } => format!("call {tool_use_id:?} {tool}"),
                    EventKind::ToolResult {
                        tool_use_id,
                        is_error,
                        ..
                    } => format!("result {tool_use_id:?} {is_error}"),
                    other => format!("{:?}", other.kind()),
                });
                ControlFlow::Continue(())
            });
        }
        assert_eq!(
            got,
            [
                "Thinking",
                "call Some(\"c1\") read_file",
                "usage 40 12 60 Some(7)",
                "result Some(\"c1\") true",
            ]
        );
    }

    #[test]
    fn sniffing() {
        assert!(sniff_line(
            br#"{"uuid":"u","sessionId":"s","type":"user","message":{"role":"user","parts":[{"text":"hi"}]}}"#
        ));
        assert!(!sniff_line(
            br#"{"uuid":"u","sessionId":"s","type":"user","message":{"role":"user","content":"hi"}}"#
        ));
        assert!(!sniff_line(br#"{"type":"summary","summary":"x"}"#));
    }
}
