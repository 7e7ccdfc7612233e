//! Borrowed input types: OpenCode's session, message and part objects (corpus FORMAT.md §3).
//!
//! The same three shapes appear in an `opencode export` document (`{info, messages: [{info,
//! parts}]}`) and as separate files of the storage folder (`session/…/<ses>.json`,
//! `message/<ses>/<msg>.json`, `part/…/<prt>.json`). Strings are borrowed from the document
//! unless they hold escapes; tool inputs, outputs and errors are kept as borrowed
//! [`RawValue`]s; token counts by [`crate::format::count`]'s rule (a refused one 0, and said),
//! epoch-ms times by the same rule (a refused one absent, and said: [`Time`]).
//! Unknown fields are ignored.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::format::claude::record::lenient_opt_u64;
use crate::format::Count;
use crate::text::Text;

/// The top level of any OpenCode JSON document, read just far enough to tell which of the
/// four shapes it is ([`Top::shape`]).
#[derive(Debug, Deserialize)]
pub struct Top<'a> {
    /// `id` of a session (`ses_…`), message (`msg_…`) or part (`prt_…`) object.
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    /// An export's session info.
    #[serde(borrow, default)]
    pub info: Option<&'a RawValue>,
    /// An export's messages, each `{info, parts}`, unread.
    #[serde(borrow, default)]
    pub messages: Option<Vec<&'a RawValue>>,
    /// A message's role.
    #[serde(borrow, default)]
    pub role: Option<Cow<'a, str>>,
    /// A part's message.
    #[serde(borrow, default, rename = "messageID")]
    pub message_id: Option<Cow<'a, str>>,
    /// A part's type.
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Cow<'a, str>>,
}

/// Which OpenCode object a document holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `opencode export`: `{info, messages}`.
    Export,
    /// A session info file (`id` = `ses_…`).
    Session,
    /// A message file (`id` = `msg_…`, or a `role`).
    Message,
    /// A part file (`id` = `prt_…`, or `messageID` and `type`).
    Part,
}

impl Top<'_> {
    /// The shape of the document, from its keys (FORMAT.md §3.1–3.3); `None` when it has none
    /// of them.
    pub fn shape(&self) -> Option<Shape> {
        let id = self.id.as_deref().unwrap_or("");
        if self.messages.is_some() && self.info.is_some() {
            Some(Shape::Export)
        } else if id.starts_with("prt_") || (self.message_id.is_some() && self.kind.is_some()) {
            Some(Shape::Part)
        } else if id.starts_with("msg_") || self.role.is_some() {
            Some(Shape::Message)
        } else if id.starts_with("ses_") {
            Some(Shape::Session)
        } else {
            None
        }
    }
}

/// Epoch-millisecond times of an object: sessions have `created`/`updated`, messages
/// `created`/`completed`, parts and tool states `start`/`end`. Each is read by the token
/// counts' rule ([`crate::format::count`]: a whole number from 0 to 2^53, which every epoch-ms
/// time is): anything else (negative, fractional, a string) is no time, and `refused` says
/// one was written, for a partly-read note. (Read as a number at any price, a negative time
/// was 0, stamping events 1970-01-01 and making a tool call last 55 years.)
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(from = "TimeWritten")]
pub struct Time {
    /// Creation.
    pub created: Option<u64>,
    /// Last update (sessions).
    pub updated: Option<u64>,
    /// Completion (assistant messages).
    pub completed: Option<u64>,
    /// Start (parts, tool states).
    pub start: Option<u64>,
    /// End (parts, tool states).
    pub end: Option<u64>,
    /// True when a time was written that is not one (then read as absent).
    pub refused: bool,
}

/// [`Time`] as written.
#[derive(Default, Deserialize)]
struct TimeWritten {
    #[serde(default)]
    created: Count,
    #[serde(default)]
    updated: Count,
    #[serde(default)]
    completed: Count,
    #[serde(default)]
    start: Count,
    #[serde(default)]
    end: Count,
}

impl From<TimeWritten> for Time {
    fn from(t: TimeWritten) -> Time {
        let all = [t.created, t.updated, t.completed, t.start, t.end];
        Time {
            created: t.created.read(),
            updated: t.updated.read(),
            completed: t.completed.read(),
            start: t.start.read(),
            end: t.end.read(),
            refused: all.iter().any(|c| c.is_refused()),
        }
    }
}

/// The members of [`Time`], as paths in `time`, for naming a refused one
/// ([`crate::format::count::refused_counts`]).
pub const TIMES: [&str; 5] = ["created", "updated", "completed", "start", "end"];

/// Session info: an export's `info`, or a storage `session/…/<ses>.json` file.
#[derive(Debug, Default, Deserialize)]
pub struct Session<'a> {
    /// `ses_…`.
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    /// The session that started this one (a subagent's child session).
    #[serde(borrow, default, rename = "parentID")]
    pub parent_id: Option<Cow<'a, str>>,
    /// The OpenCode version that wrote the session.
    #[serde(borrow, default)]
    pub version: Option<Cow<'a, str>>,
    /// The session's title (generated, or `New session - <time>` until it is).
    #[serde(borrow, default)]
    pub title: Option<Cow<'a, str>>,
    /// The project folder (1.x).
    #[serde(borrow, default)]
    pub directory: Option<Cow<'a, str>>,
    /// Created and updated.
    #[serde(default)]
    pub time: Time,
}

/// `info.tokens` of an assistant message (and of `step-finish` parts and the session), by the
/// token counts' rule ([`crate::format::count`]: a refused count is 0, and said).
#[derive(Debug, Default, Clone, Copy, Deserialize)]
pub struct TokenCounts {
    /// Everything, as the provider (or OpenCode) totalled it; not always written.
    #[serde(default)]
    pub total: Count,
    /// Input not read from or written to the cache.
    #[serde(default)]
    pub input: Count,
    /// Output (see [`crate::format::opencode`] for whether it holds the reasoning).
    #[serde(default)]
    pub output: Count,
    /// Reasoning tokens.
    #[serde(default)]
    pub reasoning: Count,
    /// Cache reads and writes.
    #[serde(default)]
    pub cache: CacheCounts,
}

impl TokenCounts {
    /// True when a count was written that is not one ([`Count::Refused`]).
    pub fn refused(&self) -> bool {
        [
            self.total,
            self.input,
            self.output,
            self.reasoning,
            self.cache.read,
            self.cache.write,
        ]
        .iter()
        .any(|c| c.is_refused())
    }
}

/// The counts of [`TokenCounts`], as paths in `tokens`, for naming a refused one
/// ([`crate::format::count::refused_counts`]).
pub const TOKEN_COUNTS: [&str; 6] = [
    "total",
    "input",
    "output",
    "reasoning",
    "cache.read",
    "cache.write",
];

/// `tokens.cache`.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
pub struct CacheCounts {
    /// Read from the cache.
    #[serde(default)]
    pub read: Count,
    /// Written to the cache.
    #[serde(default)]
    pub write: Count,
}

/// `path` of an assistant message.
#[derive(Debug, Default, Deserialize)]
pub struct MessagePath<'a> {
    /// The working directory.
    #[serde(borrow, default)]
    pub cwd: Option<Cow<'a, str>>,
}

/// `model` of a user message: what the prompt was sent to.
#[derive(Debug, Default, Deserialize)]
pub struct ModelRef<'a> {
    /// `zhipuai-coding-plan`, `anthropic`, …
    #[serde(borrow, default, rename = "providerID")]
    pub provider_id: Option<Cow<'a, str>>,
    /// The model's id at that provider.
    #[serde(borrow, default, rename = "modelID")]
    pub model_id: Option<Cow<'a, str>>,
}

/// A message's `info`, or a storage `message/<ses>/<msg>.json` file.
#[derive(Debug, Default, Deserialize)]
pub struct MessageInfo<'a> {
    /// `msg_…`.
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    /// `ses_…`.
    #[serde(borrow, default, rename = "sessionID")]
    pub session_id: Option<Cow<'a, str>>,
    /// `user` or `assistant`.
    #[serde(borrow, default)]
    pub role: Option<Cow<'a, str>>,
    /// Created and (assistant) completed.
    #[serde(default)]
    pub time: Time,
    /// Assistant: the model's id, without the provider.
    #[serde(borrow, default, rename = "modelID")]
    pub model_id: Option<Cow<'a, str>>,
    /// Assistant: the provider.
    #[serde(borrow, default, rename = "providerID")]
    pub provider_id: Option<Cow<'a, str>>,
    /// User: the model the prompt went to.
    #[serde(borrow, default)]
    pub model: Option<ModelRef<'a>>,
    /// Assistant: the working directory.
    #[serde(borrow, default)]
    pub path: Option<MessagePath<'a>>,
    /// Assistant: the tokens.
    #[serde(default)]
    pub tokens: Option<TokenCounts>,
    /// Assistant: `{name, data}` when the request failed or was aborted.
    #[serde(borrow, default)]
    pub error: Option<&'a RawValue>,
}

/// `error` of an assistant message.
#[derive(Debug, Default, Deserialize)]
pub struct MessageError<'a> {
    /// `MessageAbortedError`, `UnknownError`, `APIError`, `ProviderAuthError`, …
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    /// Details.
    #[serde(borrow, default)]
    pub data: Option<ErrorData<'a>>,
}

/// `error.data`.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorData<'a> {
    /// What went wrong.
    #[serde(borrow, default)]
    pub message: Option<Cow<'a, str>>,
    /// HTTP status (`APIError`).
    #[serde(default, rename = "statusCode", deserialize_with = "lenient_opt_u64")]
    pub status_code: Option<u64>,
}

/// One element of an export's `messages`.
#[derive(Debug, Deserialize)]
pub struct ExportMessage<'a> {
    /// The message.
    #[serde(borrow, default)]
    pub info: MessageInfo<'a>,
    /// Its parts, in order.
    #[serde(borrow, default)]
    pub parts: Vec<Part<'a>>,
}

/// A part: an element of an export message's `parts`, or a storage `part/…/<prt>.json` file.
#[derive(Debug, Default, Deserialize)]
pub struct Part<'a> {
    /// `prt_…`.
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    /// `ses_…`.
    #[serde(borrow, default, rename = "sessionID")]
    pub session_id: Option<Cow<'a, str>>,
    /// `msg_…`.
    #[serde(borrow, default, rename = "messageID")]
    pub message_id: Option<Cow<'a, str>>,
    /// `text`, `reasoning`, `tool`, `step-start`, `step-finish`, `file`, …
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Cow<'a, str>>,
    /// `text` and `reasoning` parts.
    #[serde(borrow, default)]
    pub text: Option<Text<'a>>,
    /// A `text` part OpenCode added to the user's message itself.
    #[serde(default)]
    pub synthetic: Option<bool>,
    /// Start and end (assistant `text` and `reasoning` parts; user text parts have none).
    #[serde(default)]
    pub time: Option<Time>,
    /// `tool` parts: the call id.
    #[serde(borrow, default, rename = "callID")]
    pub call_id: Option<Cow<'a, str>>,
    /// `tool` parts: the tool's name.
    #[serde(borrow, default)]
    pub tool: Option<Cow<'a, str>>,
    /// `tool` parts: status, input, output or error, times.
    #[serde(borrow, default)]
    pub state: Option<ToolState<'a>>,
    /// `file` parts: the media type.
    #[serde(borrow, default)]
    pub mime: Option<Cow<'a, str>>,
    /// `file` parts: the data (a `data:` URL) or its address.
    #[serde(borrow, default)]
    pub url: Option<&'a RawValue>,
    /// `compaction` parts: whether compaction was automatic.
    #[serde(default)]
    pub auto: Option<bool>,
    /// `step-finish` parts: the tokens of that step (one API request) alone.
    #[serde(default)]
    pub tokens: Option<TokenCounts>,
}

/// `state` of a `tool` part.
#[derive(Debug, Default, Deserialize)]
pub struct ToolState<'a> {
    /// `pending`, `running`, `completed` or `error`.
    #[serde(borrow, default)]
    pub status: Option<Cow<'a, str>>,
    /// The tool's input, as written.
    #[serde(borrow, default)]
    pub input: Option<&'a RawValue>,
    /// `completed`: what the tool returned.
    #[serde(borrow, default)]
    pub output: Option<&'a RawValue>,
    /// `error`: the error text.
    #[serde(borrow, default)]
    pub error: Option<&'a RawValue>,
    /// Start and end.
    #[serde(default)]
    pub time: Option<Time>,
    /// Tool metadata; the `task` tool's names the child session (`sessionId`).
    #[serde(borrow, default)]
    pub metadata: Option<&'a RawValue>,
}
