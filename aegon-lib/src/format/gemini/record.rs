//! The borrowed input types of Gemini CLI's files, parsed with serde: strings borrowed from
//! the input where they hold no escape, texts and tool arguments kept as raw JSON.
//!
//! Every member is optional and unknown members are skipped, so a file of a newer CLI still
//! reads; a member of an unexpected type makes its message unreadable (reported as
//! `unexpected_shape`, the other messages are still read).

use std::borrow::Cow;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::format::Count;

/// One message of a chat (`messages[]` of a JSON chat file, or one line of a JSONL chat file),
/// or one of the JSONL file's other lines: the header (`sessionId`, `projectHash`, `kind`, …)
/// and `{"$set": {…}}` metadata updates.
#[derive(Debug, Default, Deserialize)]
pub struct Message<'a> {
    /// The message's id (a UUID; one 32-hex id seen on an injected `<session_context>`).
    #[serde(borrow)]
    pub id: Option<Cow<'a, str>>,
    /// When it was written (RFC 3339, ms).
    #[serde(borrow)]
    pub timestamp: Option<Cow<'a, str>>,
    /// `user`, `gemini`, `info` or `error`.
    #[serde(rename = "type", borrow)]
    pub kind: Option<Cow<'a, str>>,
    /// A string, or (user messages from 2026-02 on) a list of parts.
    #[serde(borrow)]
    pub content: Option<&'a RawValue>,
    /// What the user typed, when it differs from `content` (a slash command expanded).
    #[serde(rename = "displayContent", borrow)]
    pub display_content: Option<&'a RawValue>,
    /// `gemini` messages: the model.
    #[serde(borrow)]
    pub model: Option<Cow<'a, str>>,
    /// `gemini` messages: thought summaries.
    #[serde(borrow)]
    pub thoughts: Option<Vec<Thought<'a>>>,
    /// `gemini` messages: the API response's tokens.
    pub tokens: Option<TokenCounts>,
    /// `gemini` messages: the tool calls it requested, with their results once run.
    #[serde(rename = "toolCalls", borrow)]
    pub tool_calls: Option<Vec<ToolCall<'a>>>,
    /// JSONL metadata update (`{"$set": {"lastUpdated": …}}`).
    #[serde(rename = "$set")]
    pub set: Option<IgnoredAny>,
    /// JSONL header: the session id.
    #[serde(rename = "sessionId", borrow)]
    pub session_id: Option<Cow<'a, str>>,
    /// JSONL header: SHA-256 of the project path.
    #[serde(rename = "projectHash")]
    pub project_hash: Option<IgnoredAny>,
    /// JSONL header: `main` or `subagent`.
    #[serde(rename = "kind", borrow)]
    pub session_kind: Option<Cow<'a, str>>,
}

/// A thought summary of a `gemini` message.
#[derive(Debug, Default, Deserialize)]
pub struct Thought<'a> {
    /// The thought's title.
    #[serde(borrow)]
    pub subject: Option<Cow<'a, str>>,
    /// What it says.
    #[serde(borrow)]
    pub description: Option<Cow<'a, str>>,
    /// When it was written.
    #[serde(borrow)]
    pub timestamp: Option<Cow<'a, str>>,
}

/// `tokens` of a `gemini` message: one API response's counts (not cumulative). `input`
/// includes `cached`; `total == input + output + thoughts` in every message of the corpus.
/// Read by the token counts' rule ([`crate::format::count`]): a count that is not one is 0
/// and said, the message read.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(default)]
pub struct TokenCounts {
    /// The prompt, cached part included.
    pub input: Count,
    /// The answer, thoughts excluded.
    pub output: Count,
    /// The part of `input` read from the cache.
    pub cached: Count,
    /// Thinking tokens.
    pub thoughts: Count,
    /// Tool-use prompt tokens (0 in every message of the corpus).
    pub tool: Count,
    /// The sum of the above but `cached`.
    pub total: Count,
}

impl TokenCounts {
    /// True when a count was written that is not one ([`Count::Refused`]).
    pub fn refused(&self) -> bool {
        [
            self.input,
            self.output,
            self.cached,
            self.thoughts,
            self.tool,
            self.total,
        ]
        .iter()
        .any(|c| c.is_refused())
    }
}

/// The counts of a message's `tokens`, as paths in the message, for naming a refused one
/// ([`crate::format::count::refused_counts`]).
pub const TOKEN_COUNTS: [&str; 6] = [
    "tokens.input",
    "tokens.output",
    "tokens.cached",
    "tokens.thoughts",
    "tokens.tool",
    "tokens.total",
];

/// One entry of `toolCalls[]`.
#[derive(Debug, Default, Deserialize)]
pub struct ToolCall<'a> {
    /// The call id, matched by its `functionResponse.id`.
    #[serde(borrow)]
    pub id: Option<Cow<'a, str>>,
    /// The tool (`run_shell_command`, `read_file`, …).
    #[serde(borrow)]
    pub name: Option<Cow<'a, str>>,
    /// Its arguments, as written.
    #[serde(borrow)]
    pub args: Option<&'a RawValue>,
    /// The result parts (`functionResponse`, and whatever else the tool returned).
    #[serde(borrow)]
    pub result: Option<Vec<Part<'a>>>,
    /// `success`, `error`, `cancelled` (others while running).
    #[serde(borrow)]
    pub status: Option<Cow<'a, str>>,
    /// When the call finished (between its message and the next in 252 of 260 calls).
    #[serde(borrow)]
    pub timestamp: Option<Cow<'a, str>>,
}

/// A content part (Gemini API `Part`): text, a tool's response, inline data, or another kind
/// kept raw.
#[derive(Debug, Default, Deserialize)]
pub struct Part<'a> {
    /// Text.
    #[serde(borrow)]
    pub text: Option<&'a RawValue>,
    /// A tool's response.
    #[serde(rename = "functionResponse", borrow)]
    pub function_response: Option<FunctionResponse<'a>>,
    /// Inline data (an image).
    #[serde(rename = "inlineData", borrow)]
    pub inline_data: Option<InlineData<'a>>,
    /// A tool call written as a part (Qwen Code's model messages; not observed in Gemini
    /// CLI's chat files, which keep calls in `toolCalls[]`).
    #[serde(rename = "functionCall", borrow)]
    pub function_call: Option<FunctionCall<'a>>,
    /// True on a thought summary part (Gemini API `thought`).
    pub thought: Option<bool>,
    /// A file reference (not observed).
    #[serde(rename = "fileData")]
    pub file_data: Option<IgnoredAny>,
}

/// `functionCall` of a part.
#[derive(Debug, Default, Deserialize)]
pub struct FunctionCall<'a> {
    /// The call id, matched by its `functionResponse.id`.
    #[serde(borrow)]
    pub id: Option<Cow<'a, str>>,
    /// The tool.
    #[serde(borrow)]
    pub name: Option<Cow<'a, str>>,
    /// Its arguments, as written.
    #[serde(borrow)]
    pub args: Option<&'a RawValue>,
}

/// `functionResponse` of a part.
#[derive(Debug, Default, Deserialize)]
pub struct FunctionResponse<'a> {
    /// The call it answers.
    #[serde(borrow)]
    pub id: Option<Cow<'a, str>>,
    /// The tool.
    #[serde(borrow)]
    pub name: Option<Cow<'a, str>>,
    /// `{output}` or `{error}`.
    #[serde(borrow)]
    pub response: Option<Response<'a>>,
}

/// `functionResponse.response`.
#[derive(Debug, Default, Deserialize)]
pub struct Response<'a> {
    /// What the tool returned (a string in the corpus).
    #[serde(borrow)]
    pub output: Option<&'a RawValue>,
    /// Why it failed or was cancelled.
    #[serde(borrow)]
    pub error: Option<&'a RawValue>,
}

/// `inlineData` of a part.
#[derive(Debug, Default, Deserialize)]
pub struct InlineData<'a> {
    /// `image/png`, …
    #[serde(rename = "mimeType", borrow)]
    pub mime_type: Option<Cow<'a, str>>,
    /// Base64 data.
    #[serde(borrow)]
    pub data: Option<&'a RawValue>,
}

/// One entry of `logs.json`.
#[derive(Debug, Default, Deserialize)]
pub struct LogEntry<'a> {
    /// The session: a UUID string, or an integer (Unix seconds) in May–June 2025 files.
    #[serde(rename = "sessionId", borrow)]
    pub session_id: Option<&'a RawValue>,
    /// Counts from 0 within a session.
    #[serde(rename = "messageId")]
    pub message_id: Option<IgnoredAny>,
    /// `user` in every entry seen.
    #[serde(rename = "type", borrow)]
    pub kind: Option<Cow<'a, str>>,
    /// What the user typed.
    #[serde(borrow)]
    pub message: Option<&'a RawValue>,
    /// When.
    #[serde(borrow)]
    pub timestamp: Option<Cow<'a, str>>,
}

/// Members of a chat file's top level that the decoder reads (the messages are read apart).
#[derive(Debug, Default)]
pub struct ChatHeader<'a> {
    /// `sessionId`: a UUID, or a subagent's 6-character id.
    pub session_id: Option<Cow<'a, str>>,
    /// `kind`: `main` or `subagent` (2026-03-30 on).
    pub kind: Option<Cow<'a, str>>,
    /// `summary`: the session's title (main), or the subagent's answer.
    pub summary: Option<&'a RawValue>,
    /// `directories[0]`: a subagent's workspace.
    pub directory: Option<Cow<'a, str>>,
    /// `startTime`.
    pub start_time: Option<Cow<'a, str>>,
}

/// A string member, read leniently: `None` unless it is a JSON string (borrowed when it holds
/// no escape).
pub fn string_of(raw: &RawValue) -> Option<Cow<'_, str>> {
    let s = raw.get();
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('\\') {
        serde_json::from_str::<String>(s).ok().map(Cow::Owned)
    } else {
        Some(Cow::Borrowed(inner))
    }
}
