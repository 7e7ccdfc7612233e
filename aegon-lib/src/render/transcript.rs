//! The whole transcript of each session, kept until the input ends: the model behind the
//! documents that are written in one piece (`aegon --html`, `aegon --markdown`).
//!
//! Events borrow from the line they came from, and a document needs all of them at the end
//! (subagent runs are written under the call that started them, which can come from another
//! file), so a [`TranscriptCollector`] keeps an owned copy of what a reader sees: prompts,
//! answers, thinking, tool calls with their input and result, images, compactions, errors. The
//! numbers (tokens, cost, tool statistics, subagents and which call spawned them) come from
//! the session core ([`Sessions`]), fed the same events; the collector adds only the time
//! series the charts need. Long texts are cut at [`Limits`] (their full size is kept), so the
//! memory held is bounded by the transcript's size and usually far below it.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::ops::ControlFlow;

use crate::event::{Event, EventKind, ResponseIdentity};
use crate::json::RawJson;
use crate::render::summary::SessionCollector;
use crate::render::{Flow, Renderer};
use crate::session::pricing::{Pricing, LARGE_CONTEXT_WINDOW};
use crate::session::{Session, Sessions, INLINE_SIDECHAIN};
use crate::text::Text;
use crate::timestamp::parse_millis;
use crate::tokens::Tokens;
use serde::Deserialize;

/// How much of each text is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes kept of a prompt, an answer or thinking (cut on a character boundary).
    pub text: usize,
    /// Bytes kept of one tool input field or one tool result.
    pub tool: usize,
}

impl Default for Limits {
    /// 256 KB of prose, 64 KB of each tool input field and result: whole answers, and the
    /// start of a large file read.
    fn default() -> Self {
        Limits {
            text: 256 << 10,
            tool: 64 << 10,
        }
    }
}

/// A text kept up to a limit, with the size it had.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clipped {
    /// The start of the text (all of it when `full_len` equals its length).
    pub text: String,
    /// Length of the whole text in bytes.
    pub full_len: usize,
}

impl Clipped {
    /// Keeps up to `limit` bytes of `text`, cut on a character boundary.
    pub fn new(text: &str, limit: usize) -> Clipped {
        let mut end = text.len().min(limit);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        Clipped {
            text: text[..end].to_owned(),
            full_len: text.len(),
        }
    }

    /// True when only part of the text is kept.
    pub fn is_cut(&self) -> bool {
        self.full_len > self.text.len()
    }

    /// Lines of the kept text.
    pub fn lines(&self) -> usize {
        self.text.lines().count()
    }
}

/// One field of a tool call's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputField {
    /// The field's name.
    pub name: String,
    /// A string field's text; any other value as indented JSON.
    pub value: Clipped,
    /// True when the value is a string (shown as text, not as JSON).
    pub is_text: bool,
}

/// One part of a tool result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultPart {
    /// Text the tool returned.
    Text(Clipped),
    /// An image the tool returned.
    Image(Image),
    /// A block of another type (`tool_reference`, …), by its type.
    Other(String),
}

/// An image, with its data when it can be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// `image/png`, `image/jpeg`, … as written.
    pub media_type: Option<String>,
    /// Size of the base64 data in bytes.
    pub len: u64,
    /// The base64 data, only when the media type is PNG, JPEG, GIF or WebP and the data is
    /// plain base64 (so that it can go into a `data:` URL as it is).
    pub base64: Option<String>,
}

impl Image {
    /// An image from its media type and data, keeping the data only when it is safe to show
    /// (see [`Image::base64`]).
    pub fn new(media_type: Option<&str>, len: u64, data: Option<&str>) -> Image {
        let shown = media_type.is_some_and(|m| SHOWN_IMAGE_TYPES.contains(&m))
            && data.is_some_and(is_base64);
        Image {
            media_type: media_type.map(str::to_owned),
            len,
            base64: if shown { data.map(str::to_owned) } else { None },
        }
    }
}

/// Image types shown from their data (others are listed by type and size only).
pub const SHOWN_IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Whether `s` is base64 (the standard alphabet, `=` padding only at the end), non-empty.
pub fn is_base64(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !s.is_empty()
        && s.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// A tool call and what came of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolEntry {
    /// Call id (`toolu_…`), if written.
    pub id: Option<String>,
    /// Tool name.
    pub tool: String,
    /// The input's fields, in the order written (a non-object input is one field, `input`).
    pub input: Vec<InputField>,
    /// The result, once seen.
    pub result: Option<ToolResultEntry>,
}

/// A tool call's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolResultEntry {
    /// True when the call failed or was rejected.
    pub is_error: bool,
    /// Call → result in milliseconds, when both times are known.
    pub duration_ms: Option<u64>,
    /// What the model saw.
    pub parts: Vec<ResultPart>,
    /// When the result was written (ms since the epoch).
    pub at: Option<i64>,
}

/// What one transcript entry says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A prompt typed by the human.
    Prompt(Clipped),
    /// User-role text not typed by the human (command output, reminders, …).
    Meta(Clipped),
    /// An interruption by the user.
    Interrupt(String),
    /// The summary that continues a compacted conversation.
    CompactSummary(Clipped),
    /// An image pasted into a prompt.
    Image(Image),
    /// Text written by the model (Markdown).
    Assistant {
        /// The text.
        text: Clipped,
        /// Model name.
        model: Option<String>,
    },
    /// Extended thinking.
    Thinking {
        /// The text (empty when redacted or only a signature was kept).
        text: Clipped,
        /// True for a `redacted_thinking` block.
        redacted: bool,
    },
    /// A tool call, with its result once seen.
    Tool(ToolEntry),
    /// A tool result whose call was not seen.
    OrphanResult {
        /// The call id it answers.
        id: Option<String>,
        /// The result.
        result: ToolResultEntry,
    },
    /// A `system` line with text.
    System {
        /// `local_command`, `informational`, … as written.
        subtype: Option<String>,
        /// `info`, `warning`, `error`, … as written.
        level: Option<String>,
        /// The text.
        text: Clipped,
    },
    /// The conversation was compacted.
    Compact {
        /// `auto` or `manual`.
        trigger: Option<String>,
        /// Context tokens before.
        pre_tokens: Option<u64>,
        /// Context tokens after.
        post_tokens: Option<u64>,
    },
    /// An API request failed (`fatal`: shown to the user; otherwise a retry notice).
    ApiError {
        /// HTTP status, when known.
        status: Option<u64>,
        /// What went wrong.
        text: Option<String>,
        /// True when Claude Code gave up and showed the error.
        fatal: bool,
    },
    /// Where a subagent's first line came in the stream (its run is written here unless it
    /// is written under the call that started it).
    Agent(String),
}

/// One entry of a chain (the main conversation or a subagent's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// When it was written (ms since the epoch), if known.
    pub at: Option<i64>,
    /// What it says.
    pub kind: EntryKind,
}

/// One API response, for the chart of tokens per response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponsePoint {
    /// When its first line was written (ms since the epoch).
    pub at: Option<i64>,
    /// Its tokens (deduplicated).
    pub tokens: Tokens,
    /// True when a subagent made it.
    pub subagent: bool,
}

/// The time series behind a session's charts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// The cost of each priced usage event: (ms, dollars), in stream order (a subagent's file
    /// read after its parent's comes later with earlier times: sort before adding up).
    pub cost: Vec<(i64, f64)>,
    /// True when some usage had no known price (the cost series is then a lower bound).
    pub cost_incomplete: bool,
    /// Context fill after each main-chain response and compaction: (ms, tokens, window), in
    /// stream order.
    pub context: Vec<(i64, u64, u64)>,
    /// Compactions: (ms, tokens before, tokens after).
    pub compactions: Vec<(i64, Option<u64>, Option<u64>)>,
    /// API responses in stream order.
    pub responses: Vec<ResponsePoint>,
}

/// Everything kept of one session.
#[derive(Debug, Clone, Default)]
pub struct SessionLog {
    /// Session id.
    pub id: String,
    /// The main conversation.
    pub main: Vec<Entry>,
    /// Subagent runs by agent key (the session core's key: `agentId`, or `sidechain-N` for
    /// 1.0.x inline runs).
    pub agents: BTreeMap<String, Vec<Entry>>,
    /// The charts' data.
    pub series: Series,
    /// Call id → (chain, index) of its entry (`None`: the main chain).
    calls: HashMap<String, (Option<String>, usize)>,
    /// API response identity (message id and request id, as `--summary` keys a response; for
    /// a relay's short message id, `\u{1f}` and the prompt size in the request's place)
    /// → index in `series.responses`.
    responses: HashMap<(String, Option<String>), usize>,
    /// Inline sidechain runs started (mirrors the session core's numbering).
    inline_runs: u32,
    /// Latest timestamp seen.
    last_ms: Option<i64>,
}

impl SessionLog {
    /// An empty log for session `id`.
    pub fn new(id: &str) -> Self {
        SessionLog {
            id: id.to_owned(),
            ..SessionLog::default()
        }
    }

    /// The chain of agent `key` (`None`: the main chain).
    pub fn chain(&self, key: Option<&str>) -> &[Entry] {
        match key {
            None => &self.main,
            Some(k) => self.agents.get(k).map_or(&[], Vec::as_slice),
        }
    }

    /// Number of tool call entries in all chains.
    pub fn tool_entries(&self) -> usize {
        std::iter::once(&self.main)
            .chain(self.agents.values())
            .flatten()
            .filter(|e| matches!(e.kind, EntryKind::Tool(_)))
            .count()
    }

    /// The ids of every tool call in all chains.
    pub fn tool_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(&self.main)
            .chain(self.agents.values())
            .flatten()
            .filter_map(|e| match &e.kind {
                EntryKind::Tool(t) => t.id.as_deref(),
                _ => None,
            })
    }

    /// The subagent an event belongs to, numbered as the session core numbers them.
    fn agent_key(&mut self, event: &Event<'_>) -> Option<String> {
        match (&event.agent_id, event.sidechain) {
            (Some(id), _) => Some(id.to_string()),
            (None, true) => {
                if matches!(
                    event.kind,
                    EventKind::UserPrompt { .. } | EventKind::UserMeta { .. }
                ) {
                    self.inline_runs += 1;
                }
                Some(format!("{INLINE_SIDECHAIN}-{}", self.inline_runs.max(1)))
            }
            (None, false) => None,
        }
    }

    fn push(&mut self, agent: &Option<String>, entry: Entry) {
        match agent {
            None => self.main.push(entry),
            Some(key) => {
                if !self.agents.contains_key(key) {
                    self.main.push(Entry {
                        at: entry.at,
                        kind: EntryKind::Agent(key.clone()),
                    });
                }
                self.agents.entry(key.clone()).or_default().push(entry);
            }
        }
    }

    /// Takes in one event of this session.
    pub fn apply(&mut self, event: &Event<'_>, pricing: &Pricing, limits: Limits) {
        let parsed = event.timestamp.as_deref().and_then(parse_millis);
        if parsed.is_some() {
            self.last_ms = parsed;
        }
        let at = parsed.or(self.last_ms);
        let agent = self.agent_key(event);
        let text = |t: &Text<'_>| Clipped::new(&t.to_str(), limits.text);
        let kind = match &event.kind {
            EventKind::UserPrompt { text: t } => EntryKind::Prompt(text(t)),
            EventKind::UserMeta { text: t } => EntryKind::Meta(text(t)),
            EventKind::Interrupt { text: t, .. } => EntryKind::Interrupt(t.to_str().into_owned()),
            EventKind::CompactSummary { text: t } => EntryKind::CompactSummary(text(t)),
            EventKind::Image {
                media_type,
                data_len,
                data,
            } => EntryKind::Image(Image::new(media_type.as_deref(), *data_len, *data)),
            EventKind::AssistantText { text: t, model, .. } => {
                if t.is_blank() {
                    return;
                }
                EntryKind::Assistant {
                    text: text(t),
                    model: model.as_deref().map(str::to_owned),
                }
            }
            EventKind::Thinking {
                text: t, redacted, ..
            } => EntryKind::Thinking {
                text: text(t),
                redacted: *redacted,
            },
            EventKind::ToolCall {
                tool_use_id,
                tool,
                input,
                ..
            } => {
                let entry = ToolEntry {
                    id: tool_use_id.as_deref().map(str::to_owned),
                    tool: tool.to_string(),
                    input: input.map_or_else(Vec::new, |i| input_fields(i, limits.tool)),
                    result: None,
                };
                if let Some(id) = tool_use_id {
                    let index = self.chain(agent.as_deref()).len();
                    self.calls.insert(id.to_string(), (agent.clone(), index));
                }
                EntryKind::Tool(entry)
            }
            EventKind::ToolResult {
                tool_use_id,
                is_error,
                duration_ms,
                content,
                ..
            } => {
                let result = ToolResultEntry {
                    is_error: *is_error,
                    duration_ms: *duration_ms,
                    parts: content.map_or_else(Vec::new, |c| result_parts(c, limits.tool)),
                    at,
                };
                let place = tool_use_id.as_deref().and_then(|id| self.calls.remove(id));
                if let Some((chain, index)) = place {
                    let entries = match &chain {
                        None => Some(&mut self.main),
                        Some(k) => self.agents.get_mut(k),
                    };
                    if let Some(Entry {
                        kind: EntryKind::Tool(call),
                        ..
                    }) = entries.and_then(|e| e.get_mut(index))
                    {
                        call.result = Some(result);
                        return;
                    }
                }
                EntryKind::OrphanResult {
                    id: tool_use_id.as_deref().map(str::to_owned),
                    result,
                }
            }
            EventKind::Usage {
                model,
                tokens,
                increment,
                unread,
                context,
                window,
                ..
            } => {
                self.usage(
                    at,
                    agent.is_some(),
                    // The response, by the rule every view counts by.
                    match event.response_identity() {
                        Some(ResponseIdentity::Message { id, request }) => {
                            Some((id, request.map(Cow::Borrowed)))
                        }
                        // A relay's short id: the prompt size tells its responses apart.
                        Some(ResponseIdentity::ShortMessage { id, prompt, .. }) => {
                            Some((id, Some(Cow::Owned(format!("\u{1f}{prompt}")))))
                        }
                        _ => None,
                    },
                    model.as_deref(),
                    (tokens, *context, *window, unread.is_some()),
                    // Priced as the session core prices it: per request, with its
                    // response's modifiers and re-pricing, at the rates of its own time; a
                    // usage not read whole has no known cost.
                    pricing.usage_cost(event),
                    *increment,
                    pricing,
                );
                return;
            }
            EventKind::System {
                subtype,
                level,
                text: Some(t),
                ..
            } if !t.is_blank() => EntryKind::System {
                subtype: subtype.as_deref().map(str::to_owned),
                level: level.as_deref().map(str::to_owned),
                text: text(t),
            },
            EventKind::Compact {
                trigger,
                pre_tokens,
                post_tokens,
            } => {
                if let Some(ms) = at {
                    self.series
                        .compactions
                        .push((ms, *pre_tokens, *post_tokens));
                    if agent.is_none() {
                        let window = self.series.context.last().map_or(0, |c| c.2);
                        self.series
                            .context
                            .push((ms, post_tokens.unwrap_or(0), window));
                    }
                }
                EntryKind::Compact {
                    trigger: trigger.as_deref().map(str::to_owned),
                    pre_tokens: *pre_tokens,
                    post_tokens: *post_tokens,
                }
            }
            EventKind::ApiError {
                status,
                text: t,
                fatal,
                ..
            } => EntryKind::ApiError {
                status: *status,
                text: t.as_deref().map(str::to_owned),
                fatal: *fatal,
            },
            _ => return,
        };
        self.push(&agent, Entry { at, kind });
    }

    #[allow(clippy::too_many_arguments)]
    fn usage(
        &mut self,
        at: Option<i64>,
        subagent: bool,
        identity: Option<(&str, Option<Cow<'_, str>>)>,
        model: Option<&str>,
        (tokens, context, stated_window, unread): (&Tokens, Option<u64>, Option<u64>, bool),
        cost: Option<f64>,
        increment: bool,
        pricing: &Pricing,
    ) {
        let model = model.unwrap_or("unknown");
        match (cost, at) {
            (Some(c), Some(ms)) => self.series.cost.push((ms, c)),
            (Some(_), None) => {}
            (None, _) => self.series.cost_incomplete |= unread || !tokens.is_zero(),
        }
        let key = identity.map(|(m, r)| (m.to_owned(), r.map(Cow::into_owned)));
        let known = key.as_ref().and_then(|k| self.responses.get(k).copied());
        match (increment, known) {
            (true, Some(i)) => {
                let point = &mut self.series.responses[i];
                point.tokens = point.tokens.saturating_add(*tokens);
            }
            // An increment of no response of this session: usage beyond its API responses
            // (Copilot CLI's shutdown totals), or what grew of a response counted in another
            // session. No API call, so no response of its own: in the cost series only.
            (true, None) => {}
            (false, _) => {
                if let Some(key) = key {
                    self.responses.insert(key, self.series.responses.len());
                }
                self.series.responses.push(ResponsePoint {
                    at,
                    tokens: *tokens,
                    subagent,
                });
            }
        }
        if !subagent && !increment {
            if let Some(ms) = at {
                let fill = context.unwrap_or_else(|| tokens.total_input());
                // The window the transcript states wins over the price table's.
                let window = stated_window.unwrap_or_else(|| {
                    let window = pricing.context_window(model);
                    if fill > window && window < LARGE_CONTEXT_WINDOW {
                        LARGE_CONTEXT_WINDOW
                    } else {
                        window
                    }
                });
                self.series.context.push((ms, fill, window));
            }
        }
    }
}

/// A tool input's fields, in the order written.
fn input_fields(input: RawJson<'_>, limit: usize) -> Vec<InputField> {
    struct Fields<'a>(Vec<(String, RawJson<'a>)>);
    impl<'de> Deserialize<'de> for Fields<'de> {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Fields<'de>;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Self::Value, A::Error> {
                    let mut v = Vec::new();
                    while let Some((k, val)) = map.next_entry::<String, RawJson<'de>>()? {
                        v.push((k, val));
                    }
                    Ok(Fields(v))
                }
            }
            d.deserialize_map(V)
        }
    }
    match serde_json::from_str::<Fields<'_>>(input.get()) {
        Ok(Fields(fields)) => fields
            .into_iter()
            .map(|(name, raw)| field(name, raw, limit))
            .collect(),
        Err(_) => vec![field("input".to_owned(), input, limit)],
    }
}

fn field(name: String, raw: RawJson<'_>, limit: usize) -> InputField {
    match Text::from_raw(raw) {
        Some(t) => InputField {
            name,
            value: Clipped::new(&t.to_str(), limit),
            is_text: true,
        },
        None => {
            let pretty = serde_json::from_str::<serde_json::Value>(raw.get())
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or_else(|| raw.get().to_owned());
            InputField {
                name,
                value: Clipped::new(&pretty, limit),
                is_text: false,
            }
        }
    }
}

/// A tool result's `content`: a string, or a list of text, image and other blocks.
fn result_parts(content: RawJson<'_>, limit: usize) -> Vec<ResultPart> {
    if let Some(t) = Text::from_raw(content) {
        return vec![ResultPart::Text(Clipped::new(&t.to_str(), limit))];
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Source<'a> {
        #[serde(borrow)]
        media_type: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow)]
        data: Option<std::borrow::Cow<'a, str>>,
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Block<'a> {
        #[serde(rename = "type", borrow)]
        kind: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow)]
        text: Option<Text<'a>>,
        #[serde(borrow)]
        source: Option<Source<'a>>,
    }
    match serde_json::from_str::<Vec<Block<'_>>>(content.get()) {
        Ok(blocks) => blocks
            .into_iter()
            .map(|b| match (b.kind.as_deref(), b.text, b.source) {
                (_, Some(t), _) => ResultPart::Text(Clipped::new(&t.to_str(), limit)),
                (Some("image"), None, Some(s)) => {
                    let data = s.data.as_deref();
                    ResultPart::Image(Image::new(
                        s.media_type.as_deref(),
                        data.map_or(0, |d| d.len() as u64),
                        data,
                    ))
                }
                (kind, _, _) => ResultPart::Other(kind.unwrap_or("block").to_owned()),
            })
            .collect(),
        // `null` or a value of another shape: shown as written.
        Err(_) if content.get() == "null" => Vec::new(),
        Err(_) => vec![ResultPart::Text(Clipped::new(content.get(), limit))],
    }
}

/// Keeps every session's transcript and numbers until the input ends. See the
/// [module documentation](self).
#[derive(Debug, Default)]
pub struct TranscriptCollector {
    sessions: SessionCollector,
    logs: BTreeMap<String, SessionLog>,
    limits: Limits,
}

impl TranscriptCollector {
    /// A collector pricing with `pricing`, keeping texts up to `limits`.
    pub fn new(pricing: Pricing, limits: Limits) -> Self {
        TranscriptCollector {
            sessions: SessionCollector::new(pricing),
            logs: BTreeMap::new(),
            limits,
        }
    }

    /// The session core's view.
    pub fn sessions(&self) -> &Sessions {
        self.sessions.sessions()
    }

    /// The transcripts, by session id.
    pub fn logs(&self) -> &BTreeMap<String, SessionLog> {
        &self.logs
    }

    /// The session core (with running steps closed) and the transcripts, for writing.
    pub fn into_parts(self) -> (Sessions, BTreeMap<String, SessionLog>) {
        let mut sessions = self.sessions.into_sessions();
        sessions.end_of_input();
        (sessions, self.logs)
    }
}

impl Renderer for TranscriptCollector {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        let _ = self.sessions.on_event(event)?;
        if let Some(id) = event.session_id.as_deref() {
            let pricing = self.sessions.sessions().pricing();
            let log = match self.logs.get_mut(id) {
                Some(log) => log,
                None => self
                    .logs
                    .entry(id.to_owned())
                    .or_insert_with(|| SessionLog::new(id)),
            };
            log.apply(event, pricing, self.limits);
        }
        Ok(ControlFlow::Continue(()))
    }
}

/// The sessions worth a report, in the order they started: those with anything of their own
/// (not the empty warm-up sessions), each with its transcript.
pub fn report_sessions<'a>(
    sessions: &'a Sessions,
    logs: &'a BTreeMap<String, SessionLog>,
) -> Vec<(&'a Session, &'a SessionLog)> {
    let mut v: Vec<(&Session, &SessionLog)> = sessions
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| logs.get(&s.id).map(|l| (s, l)))
        .collect();
    v.sort_by_key(|(s, _)| {
        (
            s.first.is_none(),
            s.first.as_ref().map(|f| f.0),
            s.id.clone(),
        )
    });
    v
}

/// A session's display title: its title, else its first prompt in quotes, else `(untitled)`.
pub fn session_title(s: &Session) -> String {
    match (&s.title, &s.first_prompt) {
        (Some(t), _) => crate::render::text::first_line(&t.text).to_owned(),
        (None, Some(p)) if !p.is_empty() => format!("“{p}”"),
        _ => "(untitled)".to_owned(),
    }
}

/// Subagent keys by the call id that spawned them, from the session core (links written as
/// `toolUseResult.agentId`, and 1.0.x inline runs matched by their prompt).
pub fn spawned_by_call(session: &Session) -> HashMap<&str, Vec<&str>> {
    let mut map: HashMap<&str, Vec<&str>> = HashMap::new();
    for (key, sub) in &session.subagents {
        if let Some(call) = sub.spawned_by.as_deref() {
            map.entry(call).or_default().push(key.as_str());
        }
    }
    map
}

/// `HH:MM:SS` (UTC) of a time in ms since the epoch.
pub fn clock(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let day = secs.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", day / 3600, day / 60 % 60, day % 60)
}

/// `YYYY-MM-DD HH:MM UTC` of a time in ms since the epoch.
pub fn date_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let day = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        day / 3600,
        day / 60 % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipped_texts_cut_on_character_boundaries() {
        let c = Clipped::new("héllo", 2);
        assert_eq!((c.text.as_str(), c.full_len, c.is_cut()), ("h", 6, true));
        assert!(!Clipped::new("abc", 10).is_cut());
    }

    #[test]
    fn base64_is_checked() {
        assert!(is_base64("iVBORw0KGgo="));
        assert!(is_base64("ab+/"));
        assert!(!is_base64(""));
        assert!(!is_base64("a\"b"));
        assert!(!is_base64("ab=c"));
        assert!(!is_base64("a b"));
        let img = Image::new(Some("image/svg+xml"), 4, Some("PHN2"));
        assert_eq!(img.base64, None, "SVG can carry script: never shown");
        let img = Image::new(Some("image/png"), 4, Some("iVBO"));
        assert_eq!(img.base64.as_deref(), Some("iVBO"));
    }

    #[test]
    fn dates() {
        // 2026-01-02T03:04:05Z, from `date -u -d 2026-01-02T03:04:05Z +%s`.
        let ms = 1_767_323_045_000;
        assert_eq!(date_time(ms), "2026-01-02 03:04 UTC");
        assert_eq!(clock(ms), "03:04:05");
        assert_eq!(date_time(0), "1970-01-01 00:00 UTC");
        // 2024-02-29T23:59:00Z (a leap day): 1709251140.
        assert_eq!(date_time(1_709_251_140_000), "2024-02-29 23:59 UTC");
    }
}
