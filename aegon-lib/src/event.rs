//! Typed events: what a transcript line means.
//!
//! One line yields zero or more [`Event`]s (an assistant line can hold text and a tool call; a
//! response's usage comes as its own event). Events borrow from the line they came from; call
//! [`Event::kind`] to dispatch, or match on [`EventKind`]. The [`Kind`] names are also the
//! `kind` field of the NDJSON output.

use std::borrow::Cow;

use crate::json::RawJson;
use crate::text::Text;
use crate::tokens::{PriceFactors, Tokens};

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source<'a> {
    /// The input's name as given (a path, or `<stdin>`).
    pub file: &'a str,
    /// 1-based line number.
    pub line: u64,
    /// Byte offset of the line's start in the input.
    pub offset: u64,
}

/// The coding agent whose transcript an event comes from.
///
/// The names ([`Agent::as_str`]) are the `agent` field of the NDJSON output and of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[non_exhaustive]
pub enum Agent {
    /// Anthropic's Claude Code (`~/.claude/projects/**/*.jsonl`).
    #[default]
    ClaudeCode,
    /// OpenAI's Codex CLI (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`).
    Codex,
    /// Google's Gemini CLI (`~/.gemini/tmp/<project>/chats/session-*.json[l]`).
    GeminiCli,
    /// OpenCode (`opencode export` files and its storage folder).
    OpenCode,
    /// GitHub Copilot CLI (`~/.copilot/session-state/<uuid>/events.jsonl`).
    CopilotCli,
    /// Qwen Code (`~/.qwen/projects/<cwd>/chats/<uuid>.jsonl`).
    QwenCode,
}

/// [`Agent::name`] of each agent, by its discriminant ([`Agent::ALL`] lists them in that
/// order: checked here at compile time).
const AGENT_NAMES: [&str; Agent::ALL.len()] = {
    let mut names = [""; Agent::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        assert!(
            Agent::ALL[i] as usize == i,
            "Agent::ALL is in declaration order"
        );
        names[i] = Agent::ALL[i].name();
        i += 1;
    }
    names
};

impl Agent {
    /// Every agent, in the order of the enum.
    pub const ALL: [Agent; 6] = [
        Agent::ClaudeCode,
        Agent::Codex,
        Agent::GeminiCli,
        Agent::OpenCode,
        Agent::CopilotCli,
        Agent::QwenCode,
    ];

    /// The agent's name in outputs: `claude-code`, `codex`, `gemini-cli`, `opencode`,
    /// `copilot-cli`, `qwen-code`.
    pub fn as_str(self) -> &'static str {
        AGENT_NAMES[self as usize]
    }

    /// [`Agent::as_str`] as a `match` (the source of [`AGENT_NAMES`]; the lookup avoids a
    /// jump table's indirect branch per event).
    const fn name(self) -> &'static str {
        match self {
            Agent::ClaudeCode => "claude-code",
            Agent::Codex => "codex",
            Agent::GeminiCli => "gemini-cli",
            Agent::OpenCode => "opencode",
            Agent::CopilotCli => "copilot-cli",
            Agent::QwenCode => "qwen-code",
        }
    }

    /// Whether the agent's transcripts count the tokens written to the prompt cache: Claude
    /// Code (`cache_creation_input_tokens`), OpenCode (`tokens.cache.write`) and Copilot CLI
    /// (`cacheWriteTokens`) do. Codex CLI (`cached_input_tokens`), Gemini CLI (`tokens.cached`)
    /// and Qwen Code (`cachedContentTokenCount`) count only the input read from the cache:
    /// their providers cache prompts without a write to count or bill (corpus-agents
    /// FORMAT.md §1.4, §2.2, §5), so a lost cache shows only as cached input that fell
    /// ([`crate::session::cost_explained`]).
    pub fn counts_cache_writes(self) -> bool {
        match self {
            Agent::ClaudeCode | Agent::OpenCode | Agent::CopilotCli => true,
            Agent::Codex | Agent::GeminiCli | Agent::QwenCode => false,
        }
    }

    /// Whether the agent writes its requests' input and cache counts only later, as session
    /// totals: Copilot CLI (per `assistant.message` only `outputTokens`; input and cache
    /// per model in `session.shutdown.modelMetrics`, corpus-agents FORMAT.md §4). Every other
    /// agent writes each request's usage whole. See [`Event::awaits_totals`].
    pub fn writes_input_later(self) -> bool {
        matches!(self, Agent::CopilotCli)
    }

    /// The agent's name for people: `Claude Code`, `Codex CLI`, `Gemini CLI`, `OpenCode`,
    /// `Copilot CLI`, `Qwen Code`.
    pub fn display_name(self) -> &'static str {
        match self {
            Agent::ClaudeCode => "Claude Code",
            Agent::Codex => "Codex CLI",
            Agent::GeminiCli => "Gemini CLI",
            Agent::OpenCode => "OpenCode",
            Agent::CopilotCli => "Copilot CLI",
            Agent::QwenCode => "Qwen Code",
        }
    }

    /// Who answers in the agent's transcripts, as reports label the answers: `Claude`,
    /// `Codex`, `Gemini`, `OpenCode`, `Copilot`, `Qwen`.
    pub fn assistant_name(self) -> &'static str {
        match self {
            Agent::ClaudeCode => "Claude",
            Agent::Codex => "Codex",
            Agent::GeminiCli => "Gemini",
            Agent::OpenCode => "OpenCode",
            Agent::CopilotCli => "Copilot",
            Agent::QwenCode => "Qwen",
        }
    }

    /// The agent named `name` (as [`Agent::as_str`] writes it; `claude` and `gemini` are
    /// accepted too), or `None`.
    pub fn from_name(name: &str) -> Option<Agent> {
        match name {
            "claude" | "claude-code" => Some(Agent::ClaudeCode),
            "gemini" => Some(Agent::GeminiCli),
            "copilot" => Some(Agent::CopilotCli),
            "qwen" => Some(Agent::QwenCode),
            _ => Agent::ALL.into_iter().find(|a| a.as_str() == name),
        }
    }
}

/// A set of [`Agent`]s (a bit set): what `--agent` keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AgentSet(u8);

impl AgentSet {
    /// Every agent.
    pub const ALL: AgentSet = AgentSet(u8::MAX);
    /// No agent.
    pub const NONE: AgentSet = AgentSet(0);

    /// Whether `agent` is in the set.
    pub fn contains(self, agent: Agent) -> bool {
        self.0 & (1 << agent as u8) != 0
    }

    /// The set with `agent` added.
    pub fn with(self, agent: Agent) -> AgentSet {
        AgentSet(self.0 | (1 << agent as u8))
    }
}

impl Default for AgentSet {
    fn default() -> Self {
        AgentSet::ALL
    }
}

impl FromIterator<Agent> for AgentSet {
    fn from_iter<I: IntoIterator<Item = Agent>>(iter: I) -> Self {
        iter.into_iter().fold(AgentSet::NONE, AgentSet::with)
    }
}

impl std::fmt::Display for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event. The header fields come from the line's envelope; `kind` says what happened.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// The agent whose transcript this is.
    pub agent: Agent,
    /// Where the line is.
    pub source: Source<'a>,
    /// `sessionId` of the line (the parent session's, for subagent lines), if it has one.
    pub session_id: Option<Cow<'a, str>>,
    /// `timestamp` of the line, as written.
    pub timestamp: Option<Cow<'a, str>>,
    /// `uuid` of the line.
    pub uuid: Option<Cow<'a, str>>,
    /// `agentId` of a subagent's line.
    pub agent_id: Option<Cow<'a, str>>,
    /// True when the line belongs to a subagent (an inline sidechain or a subagent file).
    pub sidechain: bool,
    /// True for an event read from a copy of a line kept in another transcript, not from the
    /// line itself: the usage of a subagent's response that an `agent_progress` line of its
    /// parent carries (`data.message`, Claude Code 2.1.22–2.1.77, FORMAT.md §3.2), given the
    /// subagent's `agent_id`. It counts under the response's identity like any line of the
    /// response ([`ResponseIdentity`]: once, whichever of the copy and the subagent's own lines
    /// is read first), but it is no line of the subagent's own transcript, which may be
    /// missing ([`crate::session::Named`]). False for every other event.
    pub copied: bool,
    /// `cwd` of the line: the working directory.
    pub cwd: Option<Cow<'a, str>>,
    /// `gitBranch` of the line (`""` outside git).
    pub git_branch: Option<Cow<'a, str>>,
    /// `version` of the line: the Claude Code version.
    pub version: Option<Cow<'a, str>>,
    /// What happened.
    pub kind: EventKind<'a>,
}

impl Event<'_> {
    /// The event's kind, without its data.
    pub fn kind(&self) -> Kind {
        self.kind.kind()
    }

    /// The API response a [`EventKind::Usage`] belongs to, by the one rule every view counts
    /// responses by (the correlator, so the stream, `--summary` with any number of threads and
    /// the usage index; OTLP; the transcript renderers): see [`ResponseIdentity`]. `None` for
    /// another kind, or a usage with no message id, request id or line uuid (it counts with
    /// its line). The same before and after the correlator made the usage an increment: the
    /// prompt size it may take is its price factors' ([`PriceFactors::prompt_tokens`], the
    /// line's full usage), which an increment keeps.
    ///
    /// [`PriceFactors::prompt_tokens`]: crate::tokens::PriceFactors::prompt_tokens
    pub fn response_identity(&self) -> Option<ResponseIdentity<'_>> {
        let EventKind::Usage {
            message_id,
            request_id,
            factors,
            ..
        } = &self.kind
        else {
            return None;
        };
        ResponseIdentity::of(
            self.agent,
            message_id.as_deref(),
            request_id.as_deref(),
            self.uuid.as_deref(),
            (factors.prompt_tokens, self.session_id.as_deref()),
        )
    }

    /// For an agent whose requests' input is written only later, in the session's totals
    /// ([`Agent::writes_input_later`]: Copilot CLI, whose `assistant.message` counts only
    /// `outputTokens`; FORMAT.md §4): `Some(true)` for a request's usage that carries no
    /// input count (its cost is a lower bound until the totals come), `Some(false)` for the
    /// totals read whole (an increment with nothing unread: `session.shutdown`'s per-model
    /// metrics, which cover every request before). `None` for any other event, and for the
    /// totals' [`crate::tokens::Unread::NotYetWritten`] marker ([`crate::format::copilot`]
    /// emits it when the input ends before them). What a reader that never reaches the
    /// input's end (a followed file: the dashboard, live OTLP) goes by, where the marker is
    /// not written yet.
    pub fn awaits_totals(&self) -> Option<bool> {
        let EventKind::Usage {
            tokens,
            increment,
            unread,
            ..
        } = &self.kind
        else {
            return None;
        };
        if !self.agent.writes_input_later() {
            return None;
        }
        match (increment, unread) {
            (false, _) => (tokens.total_input() == 0).then_some(true),
            (true, None) => Some(false),
            (true, Some(_)) => None,
        }
    }
}

/// Which API response a usage belongs to: the lines (and copies of lines, in any file) with
/// the same identity are one response, whose usage counts once (FORMAT.md §6).
///
/// - A **message id** names the response. Claude Code's `requestId` names the same response
///   (1:1 with `message.id` in every corpus response, FORMAT.md §6), is absent behind gateways
///   and may be written on only some of a response's lines: it is not part of the identity,
///   so a response is one whatever subset of its lines carries it, in whatever order and
///   files. Only the agents whose decoders make several requests under one message id
///   ([`ResponseIdentity::numbers_requests`]: Codex, OpenCode) give the request as part of it.
/// - A Claude Code message id too short to name one response
///   ([`ResponseIdentity::names_one_response`]: `""`, or under [`UNIQUE_ID_MIN`] bytes, as a
///   relay that answers every response with the same id writes it: `"ocgo"`, ccusage#1635)
///   is the response's only with its **prompt size** and **session**
///   ([`ResponseIdentity::ShortMessage`]): every line of one response repeats the request's
///   input, cache-write and cache-read counts (only `output_tokens` grows: 680 of 680
///   multi-line responses of the shared corpus, ccusage#938), while the next request of a
///   conversation sends a larger prompt; two sessions may send prompts of one size. (A
///   resumed session's copy of such a response, under another session id, is known by its
///   lines' uuids instead: [`crate::session::correlate`].)
/// - Without a message id (gateways), the **request id**: one API request.
/// - Without both, the line's **uuid**.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseIdentity<'e> {
    /// By its message id; `request`: the request under it, for an agent that
    /// [numbers requests](ResponseIdentity::numbers_requests) (else `None`).
    Message {
        /// The message id.
        id: &'e str,
        /// The request under the message id, for an agent that numbers them.
        request: Option<&'e str>,
    },
    /// A Claude Code message id that does not [name one
    /// response](ResponseIdentity::names_one_response) alone: by the id, the request's
    /// prompt size in tokens (uncached input + cache writes + cache reads, as the line's
    /// usage states it: [`crate::tokens::PriceFactors::prompt_tokens`]) and the line's
    /// session.
    ShortMessage {
        /// The message id (`""` included).
        id: &'e str,
        /// The request's prompt size, in tokens.
        prompt: u64,
        /// The line's `sessionId`, if it has one.
        session: Option<&'e str>,
    },
    /// No message id: by its request id.
    Request(&'e str),
    /// Neither: by its line's uuid.
    Line(&'e str),
}

/// The length in bytes under which a Claude Code `message.id` cannot be one response's unique
/// id: the API's are `msg_` and 24 characters (28 bytes), gateways write `gen-…` ids, UUIDs
/// (36) or 32 hex digits (shared corpus FORMAT.md §4); a relay that reuses one id for every
/// response writes a short constant (`"ocgo"`, ccusage#1635) or `""`.
pub const UNIQUE_ID_MIN: usize = 16;

impl<'e> ResponseIdentity<'e> {
    /// The identity of a usage of `agent` with these ids (see the type's documentation);
    /// `(prompt, session)`, the request's prompt size in tokens and the line's `sessionId`,
    /// count only for a message id that does not [name one
    /// response](ResponseIdentity::names_one_response). `None` when it has none of the ids.
    pub fn of(
        agent: Agent,
        message_id: Option<&'e str>,
        request_id: Option<&'e str>,
        uuid: Option<&'e str>,
        (prompt, session): (u64, Option<&'e str>),
    ) -> Option<Self> {
        match (message_id, request_id, uuid) {
            (Some(id), _, _) if !Self::names_one_response(agent, id) => {
                Some(ResponseIdentity::ShortMessage {
                    id,
                    prompt,
                    session,
                })
            }
            (Some(id), _, _) => Some(ResponseIdentity::Message {
                id,
                request: request_id.filter(|_| Self::numbers_requests(agent)),
            }),
            (None, Some(request), _) => Some(ResponseIdentity::Request(request)),
            (None, None, Some(uuid)) => Some(ResponseIdentity::Line(uuid)),
            (None, None, None) => None,
        }
    }

    /// Whether `agent`'s message id `id` names one response alone: any other agent's, and a
    /// Claude Code id of at least [`UNIQUE_ID_MIN`] bytes. A shorter one (`""` included) is
    /// a relay's constant, not the API's id.
    pub fn names_one_response(agent: Agent, id: &str) -> bool {
        agent != Agent::ClaudeCode || id.len() >= UNIQUE_ID_MIN
    }

    /// Whether `agent`'s decoder makes several requests under one message id, told apart by
    /// their `request_id`: a Codex rollout's usage (`<session>:<total before>`, the total
    /// after), an OpenCode message's steps before its last (the step's part id). Claude
    /// Code's `requestId` is an attribute of the response instead (see the type).
    pub fn numbers_requests(agent: Agent) -> bool {
        matches!(agent, Agent::Codex | Agent::OpenCode)
    }
}

/// Where a title came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TitleSource {
    /// A `custom-title` record: set by the user.
    Custom,
    /// An `ai-title` record: generated by Claude Code.
    Ai,
    /// A `summary` record (1.0.x–2.0.x); it often describes another session (see `leaf_uuid`).
    Summary,
}

impl TitleSource {
    /// Name used in NDJSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TitleSource::Custom => "custom",
            TitleSource::Ai => "ai",
            TitleSource::Summary => "summary",
        }
    }
}

/// Why a line could not be turned into events (or was only partly).
///
/// Non-exhaustive: new kinds of damage get reasons of their own in later versions. A consumer
/// that matches on it needs an arm for reasons it does not know (the NDJSON `reason` field may
/// likewise hold names added later); [`MalformedReason::as_str`] names each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MalformedReason {
    /// Not valid JSON.
    InvalidJson,
    /// Valid JSON, but not an object, or a field has a type the format never uses; also an
    /// input that is no transcript (a JSON document no format recognises, a Copilot CLI
    /// `workspace.yaml`).
    UnexpectedShape,
    /// Invalid UTF-8; the line was read with the bad bytes replaced by U+FFFD.
    InvalidUtf8,
    /// NUL bytes (binary data, or a file pre-allocated and never written).
    NulBytes,
    /// Longer than the line limit; skipped without being read.
    TooLong,
    /// The input ended in the middle of this line, which is not valid JSON on its own.
    Truncated,
    /// Two or more records on one line (`{…}{…}`, JSON whitespace allowed between): a newline
    /// was lost (a damaged file, or two writers interleaving). Each record is read on its own
    /// (`recovered`); the offset is where the second record starts.
    RunTogether,
    /// A UTF-8 byte-order mark (U+FEFF, bytes `EF BB BF`) at the start of a line other than
    /// the first: files joined together. The mark is skipped and the rest of the line read as
    /// a line of its own (`recovered` when it held a record); the offset is the mark's. When
    /// the rest of the line has a fault of its own, the line is reported under that fault
    /// (what damaged or lost it), and its message names the mark too.
    ByteOrderMark,
}

impl MalformedReason {
    /// Name used in NDJSON and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            MalformedReason::InvalidJson => "invalid_json",
            MalformedReason::UnexpectedShape => "unexpected_shape",
            MalformedReason::InvalidUtf8 => "invalid_utf8",
            MalformedReason::NulBytes => "nul_bytes",
            MalformedReason::TooLong => "too_long",
            MalformedReason::Truncated => "truncated",
            MalformedReason::RunTogether => "run_together",
            MalformedReason::ByteOrderMark => "byte_order_mark",
        }
    }
}

/// A line that could not be read as a transcript record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// What is wrong.
    pub reason: MalformedReason,
    /// A human-readable explanation (from the JSON parser where there is one).
    pub message: String,
    /// Absolute byte offset of the problem in the input (the line's start if unknown).
    pub error_offset: u64,
    /// Length of the line in bytes.
    pub len: u64,
    /// True when events were still recovered from the line (invalid UTF-8 replaced).
    pub recovered: bool,
}

/// What an event says.
#[derive(Debug, Clone)]
pub enum EventKind<'a> {
    /// A prompt typed by the human.
    UserPrompt {
        /// The prompt.
        text: Text<'a>,
    },
    /// User-role text not typed by the human: slash-command wrappers, command output,
    /// caveats, skill bodies, task notifications, system reminders.
    UserMeta {
        /// The text.
        text: Text<'a>,
    },
    /// `[Request interrupted by user]` (during generation) or `… for tool use` (during a tool).
    Interrupt {
        /// The marker text.
        text: Text<'a>,
        /// True when a tool call was interrupted.
        during_tool: bool,
    },
    /// The summary that continues a compacted conversation.
    CompactSummary {
        /// The summary.
        text: Text<'a>,
    },
    /// An image pasted into a prompt.
    Image {
        /// `image/png`, `image/jpeg`, …
        media_type: Option<Cow<'a, str>>,
        /// Size of the base64 data in bytes.
        data_len: u64,
        /// The base64 data as written, borrowed from the line (`None` when not a plain
        /// string): for renderers that show the image.
        data: Option<&'a str>,
    },
    /// Text written by the model.
    AssistantText {
        /// API response id.
        message_id: Option<Cow<'a, str>>,
        /// Model name.
        model: Option<Cow<'a, str>>,
        /// The text.
        text: Text<'a>,
    },
    /// Extended thinking.
    Thinking {
        /// API response id.
        message_id: Option<Cow<'a, str>>,
        /// The thinking text (empty when only a signature was kept, or when redacted).
        text: Text<'a>,
        /// True for a `redacted_thinking` block.
        redacted: bool,
    },
    /// The model calls a tool.
    ToolCall {
        /// API response id; calls of one response ran in parallel.
        message_id: Option<Cow<'a, str>>,
        /// Call id, matched by the result's `tool_use_id`.
        tool_use_id: Option<Cow<'a, str>>,
        /// Tool name (`Bash`, `Read`, `mcp__server__tool`, …).
        tool: Cow<'a, str>,
        /// The input, exactly as written.
        input: Option<RawJson<'a>>,
    },
    /// A tool call's result.
    ToolResult {
        /// The call this answers.
        tool_use_id: Option<Cow<'a, str>>,
        /// True when the call failed or was rejected.
        is_error: bool,
        /// Tool name, when the call was seen earlier on the stream.
        tool: Option<Cow<'a, str>>,
        /// The call's run time in milliseconds: the one the transcript records when it records
        /// one (Codex: `exec_command_end.duration`, an output's `duration_seconds` or
        /// `Wall time`), else the time from the call's line to the result's, when the call was
        /// seen (the recorded time wins: line timestamps say when lines were written).
        duration_ms: Option<u64>,
        /// What the model saw: a JSON string or a list of blocks, exactly as written.
        content: Option<RawJson<'a>>,
        /// The subagent this call started (`toolUseResult.agentId` of a `Task`/`Agent` call),
        /// filled in by the correlator when the call was seen.
        spawned_agent_id: Option<Cow<'a, str>>,
        /// The line's `toolUseResult` exactly as written, unread (it can be large).
        raw_result: Option<&'a str>,
    },
    /// Tokens used by an API response. Lines of one response repeat its usage; the stream
    /// carries it once: summing a field over all `Usage` events gives the deduplicated total.
    Usage {
        /// API response id.
        message_id: Option<Cow<'a, str>>,
        /// Anthropic request id, when written.
        request_id: Option<Cow<'a, str>>,
        /// Model name.
        model: Option<Cow<'a, str>>,
        /// The tokens.
        tokens: Tokens,
        /// False on the first usage event of a response (count these for API calls); true on
        /// a later one that only adds what a later line of the response reported.
        increment: bool,
        /// What else decides the price (speed, service tier, inference geo, the request's
        /// whole input), from this line's full usage; on an increment, the response's as its
        /// lines so far state them ([`PriceFactors::merge`], set by the correlator): an
        /// increment is priced like its response.
        factors: PriceFactors,
        /// Set by the correlator on an increment that changes how the response's tokens
        /// counted before it are priced (a factor stated only on a later line, writes found
        /// to be 1-hour writes): what was counted before and how, so that this event's cost
        /// carries the difference ([`crate::tokens::Repriced`]). `None` on every other event.
        repriced: Option<Box<crate::tokens::Repriced>>,
        /// Output tokens spent on reasoning (a part of `tokens.output`), when the agent reports
        /// them apart (Codex `reasoning_output_tokens`, Gemini `thoughts`, OpenCode `reasoning`);
        /// `None` for Claude Code, whose thinking tokens are not reported apart.
        reasoning: Option<u64>,
        /// Set when part of the response's usage could not be read (a shape aegon does not
        /// know, reported with the line): `tokens` holds what could be, and the cost is
        /// unknown, never $0. `None` for a usage read whole.
        unread: Option<crate::tokens::Unread>,
        /// The context after the response, in tokens, when it is not `tokens`' whole input:
        /// the last of several iterations' input (server-side compaction: the first
        /// iteration read the old context, the last the compacted one). `None`: the whole
        /// input ([`crate::tokens::Tokens::total_input`]).
        context: Option<u64>,
        /// The model's context window in tokens as the transcript states it for this request
        /// (Codex: `token_count.info.model_context_window`), which the context fill is measured
        /// against; `None` when it states none: the price table's window for the model
        /// ([`crate::session::pricing::Pricing::context_window`]).
        window: Option<u64>,
    },
    /// A `system` line not covered by a more specific kind.
    System {
        /// `turn_duration`, `local_command`, `stop_hook_summary`, … (`None` on old versions).
        subtype: Option<Cow<'a, str>>,
        /// `info`, `warning`, `error`, …
        level: Option<Cow<'a, str>>,
        /// The text, when it is a string.
        text: Option<Text<'a>>,
        /// `turn_duration`: the turn's wall time.
        duration_ms: Option<u64>,
    },
    /// The conversation was compacted (`system/compact_boundary`).
    Compact {
        /// `auto` or `manual`.
        trigger: Option<Cow<'a, str>>,
        /// Context tokens before.
        pre_tokens: Option<u64>,
        /// Context tokens after.
        post_tokens: Option<u64>,
    },
    /// An API request failed: a retry notice (`system/api_error`) or the final error shown to
    /// the user (a synthetic assistant line).
    ApiError {
        /// HTTP status, when known.
        status: Option<u64>,
        /// What went wrong.
        text: Option<Cow<'a, str>>,
        /// Which retry this is (retry notices only).
        retry_attempt: Option<u64>,
        /// Retries allowed (retry notices only).
        max_retries: Option<u64>,
        /// Wait before the next retry (retry notices only).
        retry_in_ms: Option<u64>,
        /// True when Claude Code gave up and showed the error (synthetic assistant line).
        fatal: bool,
    },
    /// A session title.
    Title {
        /// The title.
        title: Cow<'a, str>,
        /// Where it came from.
        source: TitleSource,
        /// `summary` records: the line the summary describes (often in another session).
        leaf_uuid: Option<Cow<'a, str>>,
    },
    /// A `progress` line (hooks and tools running; 2.1.2x–2.1.7x).
    Progress {
        /// `hook_progress`, `bash_progress`, `agent_progress`, …
        data_type: Option<Cow<'a, str>>,
        /// The tool call being executed.
        tool_use_id: Option<Cow<'a, str>>,
        /// The enclosing tool call.
        parent_tool_use_id: Option<Cow<'a, str>>,
        /// `agent_progress`: the subagent it reports on (`data.agentId`), whose own transcript
        /// holds its lines.
        agent_id: Option<Cow<'a, str>>,
    },
    /// An `attachment` line (2.1.92+): hook results, reminders, file references, …
    Attachment {
        /// `hook_success`, `queued_command`, `skill_listing`, …
        attachment_type: Option<Cow<'a, str>>,
    },
    /// A `file-history-snapshot` line.
    FileSnapshot {
        /// The user line the snapshot belongs to.
        message_id: Option<Cow<'a, str>>,
        /// Number of files backed up.
        files: u64,
        /// True when it restates an earlier snapshot.
        update: bool,
    },
    /// A `queue-operation` line: a prompt typed while Claude was working.
    Queue {
        /// `enqueue`, `dequeue`, `remove`.
        operation: Option<Cow<'a, str>>,
        /// The queued prompt.
        text: Option<Text<'a>>,
    },
    /// A `last-prompt` line.
    LastPrompt {
        /// The prompt (some lines carry only the leaf).
        text: Option<Cow<'a, str>>,
        /// The line it refers to.
        leaf_uuid: Option<Cow<'a, str>>,
    },
    /// A `mode` line.
    Mode {
        /// The mode (`normal`, …).
        mode: Cow<'a, str>,
    },
    /// A `permission-mode` line.
    PermissionMode {
        /// `default`, `acceptEdits`, `bypassPermissions`, `plan`, `auto`, …
        mode: Cow<'a, str>,
    },
    /// A `pr-link` line: Claude Code linked the session to a pull request (written when one
    /// shows up in tool output, and again on resume or compaction).
    PrLink {
        /// The pull request's number (`prNumber`).
        number: Option<u64>,
        /// Its address (`prUrl`, `https://github.com/owner/repo/pull/N`).
        url: Option<Cow<'a, str>>,
        /// `owner/repo` (`prRepository`).
        repository: Option<Cow<'a, str>>,
    },
    /// A record or content block of a type aegon does not know (yet).
    Unknown {
        /// The record's `type`.
        record_type: Option<Cow<'a, str>>,
        /// The content block's `type`, when the unknown thing is a block.
        block_type: Option<Cow<'a, str>>,
    },
    /// A line that could not be read.
    Malformed(Malformed),
}

/// Event kinds without data, as named in NDJSON's `kind` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Kind {
    UserPrompt,
    UserMeta,
    Interrupt,
    CompactSummary,
    Image,
    AssistantText,
    Thinking,
    ToolCall,
    ToolResult,
    Usage,
    System,
    Compact,
    ApiError,
    Title,
    Progress,
    Attachment,
    FileSnapshot,
    Queue,
    LastPrompt,
    Mode,
    PermissionMode,
    PrLink,
    Unknown,
    Malformed,
}

impl Kind {
    /// Every kind, in documentation order.
    pub const ALL: [Kind; 24] = [
        Kind::UserPrompt,
        Kind::UserMeta,
        Kind::Interrupt,
        Kind::CompactSummary,
        Kind::Image,
        Kind::AssistantText,
        Kind::Thinking,
        Kind::ToolCall,
        Kind::ToolResult,
        Kind::Usage,
        Kind::System,
        Kind::Compact,
        Kind::ApiError,
        Kind::Title,
        Kind::Progress,
        Kind::Attachment,
        Kind::FileSnapshot,
        Kind::Queue,
        Kind::LastPrompt,
        Kind::Mode,
        Kind::PermissionMode,
        Kind::PrLink,
        Kind::Unknown,
        Kind::Malformed,
    ];

    /// The NDJSON name (`user_prompt`, `tool_call`, …).
    ///
    /// A lookup in a table built at compile time from a `match` on the kind: the `match` itself
    /// compiles to a jump table (a table of string pointers would need relocations), whose
    /// indirect branch mispredicted on about every event of a mixed stream.
    pub fn as_str(self) -> &'static str {
        KIND_NAMES[self as usize]
    }

    /// [`Kind::as_str`] as a `match` (every kind named; the source of [`KIND_NAMES`]).
    const fn name(self) -> &'static str {
        match self {
            Kind::UserPrompt => "user_prompt",
            Kind::UserMeta => "user_meta",
            Kind::Interrupt => "interrupt",
            Kind::CompactSummary => "compact_summary",
            Kind::Image => "image",
            Kind::AssistantText => "assistant_text",
            Kind::Thinking => "thinking",
            Kind::ToolCall => "tool_call",
            Kind::ToolResult => "tool_result",
            Kind::Usage => "usage",
            Kind::System => "system",
            Kind::Compact => "compact",
            Kind::ApiError => "api_error",
            Kind::Title => "title",
            Kind::Progress => "progress",
            Kind::Attachment => "attachment",
            Kind::FileSnapshot => "file_snapshot",
            Kind::Queue => "queue",
            Kind::LastPrompt => "last_prompt",
            Kind::Mode => "mode",
            Kind::PermissionMode => "permission_mode",
            Kind::PrLink => "pr_link",
            Kind::Unknown => "unknown",
            Kind::Malformed => "malformed",
        }
    }

    /// The kind with this NDJSON name.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// A bit for sets of kinds.
    pub const fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// [`Kind::name`] of each kind, by its discriminant ([`Kind::ALL`] lists them in that order:
/// checked here at compile time).
const KIND_NAMES: [&str; Kind::ALL.len()] = {
    let mut names = [""; Kind::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        assert!(
            Kind::ALL[i] as usize == i,
            "Kind::ALL is in declaration order"
        );
        names[i] = Kind::ALL[i].name();
        i += 1;
    }
    names
};

impl EventKind<'_> {
    /// The kind, without its data.
    pub fn kind(&self) -> Kind {
        match self {
            EventKind::UserPrompt { .. } => Kind::UserPrompt,
            EventKind::UserMeta { .. } => Kind::UserMeta,
            EventKind::Interrupt { .. } => Kind::Interrupt,
            EventKind::CompactSummary { .. } => Kind::CompactSummary,
            EventKind::Image { .. } => Kind::Image,
            EventKind::AssistantText { .. } => Kind::AssistantText,
            EventKind::Thinking { .. } => Kind::Thinking,
            EventKind::ToolCall { .. } => Kind::ToolCall,
            EventKind::ToolResult { .. } => Kind::ToolResult,
            EventKind::Usage { .. } => Kind::Usage,
            EventKind::System { .. } => Kind::System,
            EventKind::Compact { .. } => Kind::Compact,
            EventKind::ApiError { .. } => Kind::ApiError,
            EventKind::Title { .. } => Kind::Title,
            EventKind::Progress { .. } => Kind::Progress,
            EventKind::Attachment { .. } => Kind::Attachment,
            EventKind::FileSnapshot { .. } => Kind::FileSnapshot,
            EventKind::Queue { .. } => Kind::Queue,
            EventKind::LastPrompt { .. } => Kind::LastPrompt,
            EventKind::Mode { .. } => Kind::Mode,
            EventKind::PermissionMode { .. } => Kind::PermissionMode,
            EventKind::PrLink { .. } => Kind::PrLink,
            EventKind::Unknown { .. } => Kind::Unknown,
            EventKind::Malformed(_) => Kind::Malformed,
        }
    }
}

/// A set of [`Kind`]s (for filtering).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSet(u32);

impl KindSet {
    /// Every kind.
    pub const ALL: KindSet = KindSet(u32::MAX);
    /// No kind.
    pub const NONE: KindSet = KindSet(0);

    /// This set with `kind` added.
    pub const fn with(self, kind: Kind) -> KindSet {
        KindSet(self.0 | kind.bit())
    }

    /// This set with `kind` removed.
    pub const fn without(self, kind: Kind) -> KindSet {
        KindSet(self.0 & !kind.bit())
    }

    /// Whether `kind` is in the set.
    pub const fn contains(self, kind: Kind) -> bool {
        self.0 & kind.bit() != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip_and_are_unique() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_name(k.as_str()), Some(k));
        }
        let mut names: Vec<_> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len());
    }

    #[test]
    fn kind_sets() {
        let s = KindSet::NONE.with(Kind::ToolCall).with(Kind::Malformed);
        assert!(s.contains(Kind::ToolCall) && s.contains(Kind::Malformed));
        assert!(!s.contains(Kind::Usage));
        assert!(!KindSet::ALL.without(Kind::Usage).contains(Kind::Usage));
    }
}
