//! One Gemini CLI message → events, shared by the JSON chat file, the JSONL chat file and
//! `logs.json`. The rules are in the [module documentation](super).

use std::borrow::Cow;
use std::ops::ControlFlow;

use serde_json::value::RawValue;

use super::record::{string_of, FunctionResponse, LogEntry, Message, Part, ToolCall};
use crate::event::{Agent, Event, EventKind, Source, TitleSource};
use crate::json::RawJson;
use crate::text::Text;
use crate::tokens::{PriceFactors, Tokens};

/// What every event of one session carries: the session, and the subagent it belongs to.
#[derive(Debug, Default, Clone, Copy)]
pub struct Context<'a> {
    /// `session_id` of the events: the session's, or a subagent's parent session.
    pub session_id: Option<&'a str>,
    /// A subagent's own id (its file's `sessionId`).
    pub agent_id: Option<&'a str>,
    /// True in a subagent's file.
    pub sidechain: bool,
    /// The working directory, when the file names one (a subagent's `directories[0]`).
    pub cwd: Option<&'a str>,
}

impl<'a> Context<'a> {
    /// An event of this session at `source`.
    pub fn event(
        &self,
        source: Source<'a>,
        timestamp: Option<Cow<'a, str>>,
        kind: EventKind<'a>,
    ) -> Event<'a> {
        Event {
            agent: Agent::GeminiCli,
            source,
            session_id: self.session_id.map(Cow::Borrowed),
            timestamp,
            uuid: None,
            agent_id: self.agent_id.map(Cow::Borrowed),
            sidechain: self.sidechain,
            copied: false,
            cwd: self.cwd.map(Cow::Borrowed),
            git_branch: None,
            version: None,
            kind,
        }
    }
}

/// Starts of user text that the CLI wrote, not the user: context injected at the start of a
/// session, mode switches, a subagent's last-chance notice. Told apart as
/// [`EventKind::UserMeta`].
const INJECTED: &[&str] = &[
    "<session_context>",
    "User has manually exited Plan Mode",
    "You have exceeded the maximum number of turns",
];

/// The text of `content`: a string as written, or the text parts of a list joined with
/// newlines (`None` when it has no text at all).
fn text_of(content: &RawValue) -> Option<Text<'_>> {
    if let Some(text) = Text::from_raw(content) {
        return Some(text);
    }
    let parts: Vec<Part<'_>> = serde_json::from_str(content.get()).ok()?;
    texts_of(&parts)
}

/// The text parts of `parts` (thought parts left out): one borrowed as written, several
/// joined with newlines.
pub(crate) fn texts_of<'a>(parts: &[Part<'a>]) -> Option<Text<'a>> {
    let mut texts = parts
        .iter()
        .filter(|p| p.thought != Some(true))
        .filter_map(|p| p.text.and_then(Text::from_raw));
    let first = texts.next()?;
    let Some(second) = texts.next() else {
        return Some(first);
    };
    let mut joined = first.to_str().into_owned();
    for t in std::iter::once(second).chain(texts) {
        joined.push('\n');
        joined.push_str(&t.to_str());
    }
    Some(Text::Plain(Cow::Owned(joined)))
}

/// The events of one message. `repeat` is true for a JSONL message written again with the
/// same `id` (once its tool calls finished): then only its usage and tool calls and results
/// are emitted (the correlator lets through those not seen yet).
pub fn message_events<'a, F>(
    ctx: &Context<'a>,
    source: Source<'a>,
    msg: Message<'a>,
    repeat: bool,
    emit: &mut F,
) -> ControlFlow<()>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    let ts = msg.timestamp.clone();
    let mut out = |ts: Option<Cow<'a, str>>, kind: EventKind<'a>| emit(ctx.event(source, ts, kind));
    match msg.kind.as_deref() {
        Some("user") => user_events(msg, repeat, &mut out),
        Some("gemini") => gemini_events(msg, repeat, &mut out),
        Some("info") if !repeat => {
            let text = msg.content.and_then(Text::from_raw);
            match text {
                Some(text) if text.to_str().trim() == "Request cancelled." => out(
                    ts,
                    EventKind::Interrupt {
                        text,
                        during_tool: false,
                    },
                ),
                text => out(
                    ts,
                    EventKind::System {
                        subtype: Some(Cow::Borrowed("info")),
                        level: Some(Cow::Borrowed("info")),
                        text,
                        duration_ms: None,
                    },
                ),
            }
        }
        Some("error") if !repeat => {
            let text = msg.content.and_then(string_of);
            match text {
                Some(text) if text.starts_with("[API Error") => {
                    let status = status_of(&text);
                    out(
                        ts,
                        EventKind::ApiError {
                            status,
                            text: Some(text),
                            retry_attempt: None,
                            max_retries: None,
                            retry_in_ms: None,
                            fatal: true,
                        },
                    )
                }
                _ => out(
                    ts,
                    EventKind::System {
                        subtype: Some(Cow::Borrowed("error")),
                        level: Some(Cow::Borrowed("error")),
                        text: msg.content.and_then(Text::from_raw),
                        duration_ms: None,
                    },
                ),
            }
        }
        Some("info" | "error") => ControlFlow::Continue(()),
        other => out(
            ts,
            EventKind::Unknown {
                record_type: other.map(|t| Cow::Owned(t.to_owned())),
                block_type: None,
            },
        ),
    }
}

/// The HTTP status of an `[API Error: …]` text: its `"code": N`.
fn status_of(text: &str) -> Option<u64> {
    let at = text.find("\"code\":")? + "\"code\":".len();
    let digits: String = text[at..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn user_events<'a, O>(msg: Message<'a>, repeat: bool, out: &mut O) -> ControlFlow<()>
where
    O: FnMut(Option<Cow<'a, str>>, EventKind<'a>) -> ControlFlow<()>,
{
    let ts = msg.timestamp;
    let Some(content) = msg.content else {
        return if repeat {
            ControlFlow::Continue(())
        } else {
            out(
                ts,
                EventKind::Unknown {
                    record_type: Some(Cow::Borrowed("user")),
                    block_type: None,
                },
            )
        };
    };
    let parts: Vec<Part<'a>> = if content.get().starts_with('[') {
        serde_json::from_str(content.get()).unwrap_or_default()
    } else {
        Vec::new()
    };
    let typed = Text::from_raw(content).or_else(|| texts_of(&parts));
    let only_results = !parts.is_empty()
        && parts
            .iter()
            .all(|p| p.function_response.is_some() && p.text.is_none());
    if !repeat && !only_results {
        let text = typed.unwrap_or_default();
        let (start, _) = text.prefix(64);
        let injected = INJECTED.iter().any(|p| start.trim_start().starts_with(p));
        let kind = if injected {
            EventKind::UserMeta { text }
        } else {
            // What the user typed, when the CLI expanded it (a slash command, a skill).
            let shown = msg.display_content.and_then(text_of);
            EventKind::UserPrompt {
                text: shown.unwrap_or(text),
            }
        };
        out(ts.clone(), kind)?;
    }
    for part in parts {
        if let Some(response) = part.function_response {
            // Tool results written again as a user message (2026-06): the same call ids as the
            // `toolCalls[]` results, so the correlator counts each once.
            let is_error = response
                .response
                .as_ref()
                .is_some_and(|r| r.error.is_some());
            out(ts.clone(), tool_result(response, is_error))?;
        } else if repeat || part.text.is_some() {
            continue;
        } else if let Some(data) = part.inline_data {
            let raw = data.data.map(RawValue::get);
            let inner = raw
                .and_then(|s| s.strip_prefix('"'))
                .and_then(|s| s.strip_suffix('"'));
            out(
                ts.clone(),
                EventKind::Image {
                    media_type: data.mime_type,
                    data_len: inner.map_or(0, |s| s.len() as u64),
                    data: inner.filter(|s| !s.contains('\\')),
                },
            )?;
        } else {
            let block = if part.function_call.is_some() {
                Some("functionCall")
            } else if part.file_data.is_some() {
                Some("fileData")
            } else {
                None
            };
            out(
                ts.clone(),
                EventKind::Unknown {
                    record_type: Some(Cow::Borrowed("user")),
                    block_type: block.map(Cow::Borrowed),
                },
            )?;
        }
    }
    ControlFlow::Continue(())
}

/// A tool result from a `functionResponse`: the output (or error) as written.
pub(crate) fn tool_result(response: FunctionResponse<'_>, is_error: bool) -> EventKind<'_> {
    let content = response.response.and_then(|r| r.output.or(r.error));
    EventKind::ToolResult {
        tool_use_id: response.id,
        is_error,
        tool: response.name,
        duration_ms: None,
        content: content.map(RawJson::from),
        spawned_agent_id: None,
        raw_result: None,
    }
}

fn gemini_events<'a, O>(msg: Message<'a>, repeat: bool, out: &mut O) -> ControlFlow<()>
where
    O: FnMut(Option<Cow<'a, str>>, EventKind<'a>) -> ControlFlow<()>,
{
    let ts = msg.timestamp;
    let id = msg.id;
    if !repeat {
        for thought in msg.thoughts.unwrap_or_default() {
            let subject = thought.subject.unwrap_or_default();
            let description = thought.description.unwrap_or_default();
            // As the model wrote it before the CLI split it: a bold subject, then the text.
            let text = match (subject.is_empty(), description.is_empty()) {
                (true, _) => description,
                (false, true) => Cow::Owned(format!("**{subject}**")),
                (false, false) => Cow::Owned(format!("**{subject}**\n\n{description}")),
            };
            out(
                thought.timestamp.or_else(|| ts.clone()),
                EventKind::Thinking {
                    message_id: id.clone(),
                    text: Text::Plain(text),
                    redacted: false,
                },
            )?;
        }
        if let Some(text) = msg.content.and_then(text_of) {
            if !text.is_blank() {
                out(
                    ts.clone(),
                    EventKind::AssistantText {
                        message_id: id.clone(),
                        model: msg.model.clone(),
                        text,
                    },
                )?;
            }
        }
    }
    let calls = msg.tool_calls.unwrap_or_default();
    for call in &calls {
        out(
            ts.clone(),
            EventKind::ToolCall {
                message_id: id.clone(),
                tool_use_id: call.id.clone(),
                tool: call.name.clone().unwrap_or(Cow::Borrowed("")),
                input: call.args.map(RawJson::from),
            },
        )?;
    }
    if let Some(t) = msg.tokens {
        out(
            ts.clone(),
            EventKind::Usage {
                message_id: id.clone(),
                request_id: None,
                model: msg.model.clone(),
                tokens: tokens_of(&t),
                increment: false,
                factors: PriceFactors {
                    prompt_tokens: t.input.get().saturating_add(t.tool.get()),
                    ..PriceFactors::default()
                },
                reasoning: Some(t.thoughts.get()),
                unread: None,
                context: None,
                window: None,
                repriced: None,
            },
        )?;
    }
    for call in calls {
        if let Some((kind, finished)) = call_result(call) {
            // The call's `timestamp` is when it finished.
            out(finished.or_else(|| ts.clone()), kind)?;
        }
    }
    ControlFlow::Continue(())
}

/// Gemini's `tokens` as aegon counts them: `input` includes `cached`, so uncached input is
/// `input − cached` and cache reads are `cached`; output includes the thoughts (as Claude's
/// does); tool-use prompt tokens (`tool`, 0 in every message seen) count as input.
pub fn tokens_of(t: &super::record::TokenCounts) -> Tokens {
    Tokens {
        input: t
            .input
            .get()
            .saturating_sub(t.cached.get())
            .saturating_add(t.tool.get()),
        output: t.output.get().saturating_add(t.thoughts.get()),
        cache_read: t.cached.get(),
        cache_write_5m: 0,
        cache_write_1h: 0,
        web_search: 0,
    }
}

/// The result of a finished call (`status` `success`, `error` or `cancelled`, or a
/// `functionResponse` written), with the time it finished; `None` while it runs.
fn call_result(call: ToolCall<'_>) -> Option<(EventKind<'_>, Option<Cow<'_, str>>)> {
    let failed = matches!(call.status.as_deref(), Some("error" | "cancelled"));
    let finished = failed || call.status.as_deref() == Some("success");
    let response = call
        .result
        .unwrap_or_default()
        .into_iter()
        .find_map(|p| p.function_response);
    let response = match response {
        Some(r) => r,
        None if finished => FunctionResponse::default(),
        None => return None,
    };
    let is_error = failed
        || response
            .response
            .as_ref()
            .is_some_and(|r| r.error.is_some());
    let mut kind = tool_result(response, is_error);
    if let EventKind::ToolResult {
        tool_use_id, tool, ..
    } = &mut kind
    {
        // The call's own id and name count (the response repeats them).
        if call.id.is_some() {
            *tool_use_id = call.id;
        }
        if call.name.is_some() {
            *tool = call.name;
        }
    }
    Some((kind, call.timestamp))
}

/// The events of one `logs.json` entry: a prompt.
pub fn log_events<'a, F>(source: Source<'a>, entry: LogEntry<'a>, emit: &mut F) -> ControlFlow<()>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    // An integer session id (Unix seconds, 2025-05/06) is kept as its digits.
    let session_id = entry.session_id.and_then(|raw| {
        string_of(raw).or_else(|| {
            let s = raw.get();
            s.bytes()
                .all(|b| b.is_ascii_digit())
                .then_some(Cow::Borrowed(s))
        })
    });
    let kind = match (
        entry.kind.as_deref(),
        entry.message.and_then(Text::from_raw),
    ) {
        (Some("user") | None, Some(text)) => EventKind::UserPrompt { text },
        (kind, _) => EventKind::Unknown {
            record_type: kind.map(|k| Cow::Owned(format!("log/{k}"))),
            block_type: None,
        },
    };
    emit(Event {
        agent: Agent::GeminiCli,
        source,
        session_id,
        timestamp: entry.timestamp,
        uuid: None,
        agent_id: None,
        sidechain: false,
        copied: false,
        cwd: None,
        git_branch: None,
        version: None,
        kind,
    })
}

/// A `Title` event for a main session's `summary`.
pub fn title_event<'a>(
    ctx: &Context<'a>,
    source: Source<'a>,
    summary: &'a RawValue,
) -> Option<Event<'a>> {
    let title = string_of(summary)?;
    if title.trim().is_empty() {
        return None;
    }
    Some(ctx.event(
        source,
        None,
        EventKind::Title {
            title,
            source: TitleSource::Ai,
            leaf_uuid: None,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_of_an_api_error() {
        let text = "[API Error: [{\n  \"error\": {\n    \"code\": 403,\n    \"message\": \"no\"";
        assert_eq!(status_of(text), Some(403));
        assert_eq!(status_of("[API Error: fetch failed]"), None);
    }

    #[test]
    fn gemini_tokens_split_cached_input_and_count_thoughts_as_output() {
        use crate::format::Count::Read;
        let t = super::super::record::TokenCounts {
            input: Read(1000),
            output: Read(50),
            cached: Read(800),
            thoughts: Read(30),
            tool: Read(0),
            total: Read(1080),
        };
        let got = tokens_of(&t);
        assert_eq!((got.input, got.cache_read, got.output), (200, 800, 80));
    }
}
