//! OpenAI Codex CLI rollouts (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`): one JSON
//! object per line, described in the agents corpus's FORMAT.md §1.
//!
//! Two generations are read, told apart line by line:
//!
//! - **Envelope** (cli 0.35 → 0.144): `{"timestamp","type","payload"}`, `type` one of
//!   `session_meta`, `turn_context`, `response_item`, `event_msg`, `compacted`, `world_state`.
//! - **Legacy** (2025-08): a header `{"id","timestamp","instructions","git"}`, then bare
//!   Responses-API items (`message`, `reasoning`, `function_call`, `function_call_output`) and
//!   `{"record_type":"state"}` lines. No per-line timestamp, no model, no usage: none is
//!   invented.
//!
//! ## Events
//!
//! | record | event |
//! |---|---|
//! | `session_meta` (the first) | `System{subtype:"session_meta"}`; sets the header fields below |
//! | `turn_context` | none: sets the model (and cwd) of what follows |
//! | `event_msg/user_message` | `UserPrompt` (what the user typed); `UserMeta` inside review mode |
//! | `response_item/message` `user`, `developer` | `UserMeta` (injected context); legacy `user`: `UserPrompt` unless it starts with a `<tag>` or `# AGENTS.md instructions` |
//! | `response_item/message` `assistant` | `AssistantText` per `output_text` part (`event_msg/agent_message`, its mirror, gives none) |
//! | `response_item/reasoning` | `Thinking` per summary part; one empty `Thinking` (`redacted` when `encrypted_content` is kept) when there is no summary (`event_msg/agent_reasoning`, its mirror, gives none) |
//! | `input_image` parts | `Image` (`event_msg/user_message.images`, the same image again, gives none) |
//! | `function_call`, `custom_tool_call` | `ToolCall`: `input` is `arguments` (a JSON string) or `input` (raw text, a JSON string) exactly as written |
//! | `function_call_output`, `custom_tool_call_output` | `ToolResult` paired by `call_id`, `content` = `output` as written, `duration_ms` the run time the output records (below); none when the call's `exec_command_end` gave its result |
//! | `event_msg/exec_command_end` of a call without a result yet | `ToolResult` (below) |
//! | `event_msg/token_count` | `Usage`, by the rule below |
//! | `event_msg/error` | `ApiError{fatal:true}` (retries exhausted); `stream_error`: `ApiError{fatal:false}` |
//! | `event_msg/turn_aborted` | `Interrupt` (`during_tool` when a call had no output yet) |
//! | `event_msg/thread_name_updated` | `Title` (source `custom`: the file does not say who named it) |
//! | `compacted` | `Compact`, and `CompactSummary` with its `message` |
//! | `task_complete` (with `duration_ms`), `entered_review_mode`, `exited_review_mode`, `ghost_snapshot`, `world_state`, `context_compacted`, `web_search_end`, `web_search_call`, `view_image_tool_call`, `thread_settings_applied`, `item_completed` | `System{subtype}` |
//! | `agent_message`, `agent_reasoning*`, `task_started`, `exec_command_begin`, `exec_command_end` of no open call, `patch_apply_begin/end`, legacy `record_type` lines | none (mirrors, or read into state) |
//! | anything else | `Unknown{record_type:"event_msg/…"}` (or `response_item/…`, or the top-level type) |
//!
//! **Shell results.** A call's `event_msg/exec_command_end` (0.121+ in the corpus) is its
//! result, emitted when it is read: `is_error` = `exit_code != 0`, `duration_ms` from
//! `duration` (`{"secs","nanos"}`), `content` = `aggregated_output` (else `stdout`) as
//! written. An `exit_code` that is not an integer, or a `duration` that is not a non-negative
//! `{"secs","nanos"}`, is damage that feeds the error counts and timings: read as before (a
//! success, no duration of its own) and said, the line partly read at each value.
//! The call's `function_call_output` that follows (it came after the `*_end` event in
//! 151 of 151 pairs of the corpus) is the same result as the model saw it and yields nothing,
//! so a call has one result. Files copied while the session ran end between the two (FORMAT.md
//! §1.1): their last calls keep the result the `*_end` event gives. Deciding each line on what
//! came before it (never on what may follow) keeps a follower of a growing rollout and a read
//! of the whole file in agreement, whatever the chunks. An `exec_command_end` arriving after
//! the output, or for no call of this input (a user's own shell command), is ignored.
//!
//! **Tool durations.** A result's `duration_ms` is the run time the rollout records for the
//! call, whenever it records one: `exec_command_end.duration` (above), else the output's own
//! `metadata.duration_seconds` (JSON-text outputs, legacy → 0.58 and 0.121) or its
//! `Wall time: F seconds` header line (text outputs, 0.77+; `Wall time F seconds` in 0.144's
//! script cells, `aborted by user after Fs` for an interrupted one), in whole milliseconds,
//! truncated. Only an output that records none (an
//! `apply_patch` result in plain text, a call cut off) leaves it unset, and the session core
//! then takes the time between the call's line and the result's. **The recorded time wins**
//! over the timestamps: it is what the CLI measured around the command, while the line
//! timestamps say when lines were written — in 0.58 a call and its output carry the same
//! timestamp (every duration would be 0), and elsewhere they add the CLI's own work and, for
//! parallel calls, the wait behind the other calls. Its precision is the file's (tenths of a second or
//! finer in `Wall time` lines and `duration_seconds`, nanoseconds in `duration`).
//!
//! **Tool errors.** `is_error` of an output record's result is, in order:
//! `patch_apply_end.success == false` for its `call_id` (it comes before the output); else the
//! exit code the output itself starts with (`Exit code: N`, 0.77+) or ends with
//! (`{"output":…,"metadata":{"exit_code":N}}` as a JSON string, up to 0.58); else false.
//!
//! **Header fields.** `session_id`: `session_meta.payload.id` (legacy: the header's `id`) — for a
//! spawned subagent (`source.subagent.thread_spawn.parent_thread_id`, or a top-level
//! `parent_thread_id` in later versions) the **parent thread's** id, with `agent_id` = the
//! child's id and `sidechain` set, as Claude Code's subagent files are attributed to their
//! parent. A review child (`source: {"subagent":"review"}`) names no parent: it keeps its own id
//! as `session_id`, with `agent_id` = that id and `sidechain` set. Either way its usage is counted
//! once: its own file holds it, and the parent's copy is skipped (below). `version`:
//! `cli_version`; `cwd`: `session_meta`, then each `turn_context`; `git_branch`: `git.branch`;
//! `timestamp`: the line's, as written (legacy items have none; the header's is its own). No
//! event has a `uuid` (Codex writes none).
//!
//! ## Usage
//!
//! `event_msg/token_count.info` holds `total_token_usage` (cumulative for the thread) and
//! `last_token_usage` (the request just made). An event is **counted** (one `Usage` of its
//! `last_token_usage`) when its `total_token_usage.total_tokens` differs from the previous
//! event's: repeats are exact copies, and a drop of the total starts a new segment (its
//! event differs, so it counts). `info: null` events (rate limits only) carry nothing.
//! `tokens.input` = `input_tokens − cached_input_tokens − cache writes`, `cache_read` =
//! `cached_input_tokens`, `cache_write_5m` = the cache writes (`cache_write_input_tokens`, or
//! `cache_creation_input_tokens`: a part of `input_tokens`, priced at the model's cache-write
//! rate; not split out of a request told by its totals only, which keeps them in `input`),
//! `output` = `output_tokens` (reasoning included), `reasoning` = `reasoning_output_tokens`;
//! `factors.prompt_tokens` = `input_tokens`. The model is the latest `turn_context.model`.
//!
//! **Service tier.** `factors.service_tier` is the tier in force when the request ran: the
//! latest `thread_settings_applied.thread_settings.service_tier` (0.144; sticky, it may change
//! mid-thread) or `turn_context.service_tier`, replayed lines included. `default` (or none
//! written) is the standard tier and is left unset; `priority` (Codex's Fast mode: Codex's
//! `ServiceTier::Fast` sends `"priority"`) or any other is passed on as written, and the price
//! table, which has no OpenAI multiplier for it, leaves such a request's cost unknown.
//!
//! **Context window.** A `Usage` carries as its `window` the `info.model_context_window` of
//! the latest token_count that states one (every token_count with `info` in the corpus does:
//! 258,400 for gpt-5.x-codex, 353,400 for gpt-5.6-sol, 272,000 in 0.5x files): the window
//! Codex itself measures the context against and compacts near, which the session's context
//! fill then uses instead of the price table's (1,050,000 for gpt-5.5/5.6).
//!
//! **Totals only.** An event whose `info` holds `total_token_usage` but no `last_token_usage`
//! (not in the corpus; ccusage documents the same rule for such files) is counted the same
//! way, its request's usage being the difference, field by field, of its totals from the
//! previous counted event's (the session's first: from zero; a fork's first: from the
//! replay's last). Stripping `last_token_usage` from every rollout of the corpus gives the
//! same calls and tokens. A difference that is no request's usage is counted as an API call of
//! unknown cost ([`Unread::Cumulative`]) and said at `info`: `total_tokens` fell (a reset: the
//! new totals are taken as the request's, which on the corpus's 0.77.0 file are exactly its
//! `last_token_usage`, 4 of 4), a part fell while the total grew or grew more than its whole
//! (the parts that grew are kept), or there are no earlier totals (an input read from its
//! middle: no tokens).
//!
//! **Usage aegon cannot read.** A token_count whose `info` is not an object of usage, holds
//! neither member, or which writes counts beside `type` instead of in `info` (`input_tokens`,
//! `total_token_usage`, …, [`record::FLAT_USAGE`]) is said and counted as an API call of
//! unknown cost without tokens ([`Unread::NoCounts`]), keyed `<session>:<total so far>` /
//! `unread:<XXH3 of the usage as written>`; an exact repeat of the previous such event is not
//! another call (Codex repeats its events).
//!
//! **Identity.** A counted request is `message_id` = `<session>:<before>` and `request_id` =
//! `<after>`, where `<after>` is its `total_tokens` (the thread's cumulative total after it),
//! `<before>` = `<after> − last_token_usage.total_tokens` (the total before it) and
//! `<session>` the file's own session id (`session_meta.id`; without one, the UUID its file name
//! ends with). Within a segment totals only grow, so the pair is unique; across segments it
//! differs unless two requests have both the same start and the same size. It is computed from
//! the event alone, so the same request read from two files (a copy, a file committed as it
//! grew) or from the middle of a file (the ledger's incremental reads) counts once. Calls,
//! answers and reasoning get `message_id` = `<session>:<total so far>`, which is the `<before>`
//! of the request that produced them (its `token_count` comes after them): the session core
//! charges a response's cost to the tools it called by this shared id.
//!
//! **A lost request.** When a line that could not be read (reported as usual) came since the
//! previous counted event and this event's cumulative total, less its `last_token_usage`, is
//! above the previous event's total, the difference, field by field, is the usage of the
//! request(s) whose `token_count` line was lost: one more `Usage`, keyed `<session>:<previous
//! total>` / `<total before this request>` (as that request's own event would have been when
//! one was lost), with the latest model, before this event's. Nothing is recovered without a
//! damaged line (the totals then always agree on the corpus) or across a drop of the totals.
//!
//! **Review mode.** Between `event_msg/entered_review_mode` and `exited_review_mode` a parent
//! file's `token_count` events carry the review child's counter (its own file's totals): they
//! are skipped and do not become "the previous event", so the parent's first event after the
//! review, an exact repeat of its last one before, is not new usage. The `user_message` of
//! that window (the review request) is `UserMeta`.
//!
//! **Forks and spawned subagents.** A forked rollout holds two `session_meta` lines (the
//! child's, with `forked_from_id`, then its parent's) and then a replay of the parent's
//! history, token counts included. A spawned subagent's rollout (the parent named by
//! `source.subagent.thread_spawn.parent_thread_id`) may start the same way (codex-rs
//! `agent/control/spawn.rs`; vibe-usage PR #34, codeburn PR #1383, ccusage#950). The replay
//! starts at a `session_meta` whose `id` is the child's `forked_from_id` or parent thread,
//! written right after the child's own (a parent's own rollout joined after its child's is
//! read as itself), and takes every line dated before the child's `session_meta` (a replay
//! keeping the parent's timestamps); a replay re-stamped at the child's start (the corpus's
//! fork, in one ~30 ms burst) goes on until the first line whose timestamp is more than
//! [`FORK_REPLAY_GAP_MS`] after the line before it (the child's first request needs a model
//! round trip; a child's own first lines written within that gap are taken as replayed, their
//! usage still measured right), and one dated by the parent ends at the first line dated at
//! or after the child's start. An ancestor's `session_meta` inside it (a fork of a fork) is
//! part of it. Replayed lines yield **no** events (the
//! parent's own file has them): the model, review windows and the cumulative total are followed
//! through them, so the child's first request is measured from the parent's final total and
//! the child's usage is its final total minus the total at the end of the replay. The parent's
//! `session_meta` yields one `System{subtype:"fork_replay"}` saying so. Malformed replayed
//! lines are still reported.
//!
//! **Joined inputs.** A `session_meta` (or legacy header) of another session that is not the
//! fork's parent starts that session afresh (`cat rollout-*.jsonl | aegon`): each session is
//! read as if alone.
//!
//! Lines that cannot be read give [`EventKind::Malformed`] with Claude Code's reasons
//! (invalid UTF-8 is read with the bad bytes replaced, lone surrogate escapes are replaced,
//! invalid JSON, truncated last line, not an object).

pub mod record;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{malformed, malformed_kind};
use crate::event::{Agent, Event, EventKind, MalformedReason, Source, TitleSource};
use crate::json::RawJson;
use crate::source::lines::Line;
use crate::text::Text;
use crate::timestamp::parse_millis;
use crate::tokens::{PriceFactors, Tokens, Unread};
use record::{Info, Item, Part, Str, ThreadSettings, Usage};

/// The largest gap between two lines of a fork's replay of its parent, in milliseconds: the
/// replay ends at the first line written later than this after the one before it. The corpus's
/// fork replayed its parent within ~30 ms; ccusage uses the same one-second bound.
pub const FORK_REPLAY_GAP_MS: i64 = 1000;

/// Tool calls remembered while they wait for their output (calls left open by interrupted
/// sessions would otherwise accumulate); beyond it the bookkeeping starts again.
const MAX_PENDING: usize = 10_000;

/// Whether `first` (the first non-blank line of an input, a whole JSON object) is a Codex
/// rollout line: an envelope line of a known type, a legacy header, a legacy `record_type`
/// line, or a bare Responses-API item (an input read from the middle of a legacy file).
pub fn sniff(first: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Probe<'a> {
        #[serde(borrow, default, rename = "type")]
        kind: Str<'a>,
        #[serde(default)]
        payload: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        id: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        instructions: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        git: Option<serde::de::IgnoredAny>,
        #[serde(borrow, default)]
        record_type: Str<'a>,
        #[serde(default, rename = "sessionId")]
        session_id: Option<serde::de::IgnoredAny>,
    }
    let Ok(text) = std::str::from_utf8(first) else {
        return false;
    };
    let Ok(probe) = serde_json::from_str::<Probe<'_>>(text) else {
        return false;
    };
    if probe.session_id.is_some() {
        return false;
    }
    match probe.kind.as_deref() {
        Some(kind) if probe.payload.is_some() => ENVELOPE_TYPES.contains(&kind),
        Some(kind) => LEGACY_ITEM_TYPES.contains(&kind),
        None => {
            probe.record_type.as_deref() == Some("state")
                || (probe.id.is_some() && (probe.instructions.is_some() || probe.git.is_some()))
        }
    }
}

/// Top-level `type`s of envelope lines.
const ENVELOPE_TYPES: &[&str] = &[
    "session_meta",
    "turn_context",
    "response_item",
    "event_msg",
    "compacted",
    "world_state",
];

/// Responses-API item types written bare by the legacy generation.
const LEGACY_ITEM_TYPES: &[&str] = &[
    "message",
    "reasoning",
    "function_call",
    "function_call_output",
    "custom_tool_call",
    "custom_tool_call_output",
];

/// The record's kind as FORMAT.md names it, for `aegon audit`: `session_meta`,
/// `turn_context`, `event_msg/token_count`, `response_item/function_call`, … for envelope
/// lines; for legacy lines the bare item's `type` (`message`, …), `record_type/state`, or
/// `header` (the first line). `None` for a value that is none of these.
pub fn record_kind(value: &serde_json::Value) -> Option<String> {
    let obj = value.as_object()?;
    let kind = obj.get("type").and_then(serde_json::Value::as_str);
    match (kind, obj.get("payload")) {
        (Some(kind), Some(payload)) => {
            match payload.get("type").and_then(serde_json::Value::as_str) {
                Some(sub) if kind == "event_msg" || kind == "response_item" => {
                    Some(format!("{kind}/{sub}"))
                }
                _ => Some(kind.to_owned()),
            }
        }
        (Some(kind), None) => Some(kind.to_owned()),
        (None, _) => {
            if let Some(rt) = obj.get("record_type").and_then(serde_json::Value::as_str) {
                Some(format!("record_type/{rt}"))
            } else if obj.contains_key("id") {
                Some("header".to_owned())
            } else {
                None
            }
        }
    }
}

/// The CLI version a record carries: `session_meta.payload.cli_version` (legacy files carry
/// none).
pub fn cli_version(value: &serde_json::Value) -> Option<String> {
    if value.get("type")?.as_str()? != "session_meta" {
        return None;
    }
    Some(
        value
            .get("payload")?
            .get("cli_version")?
            .as_str()?
            .to_owned(),
    )
}

/// One input's decoding state. See the [module documentation](self) for the rules.
#[derive(Debug, Default)]
pub struct Decoder {
    started: bool,
    /// The file's own session id: the first `session_meta.id` (or legacy header `id`).
    session: Option<String>,
    /// The UUID the input's name ends with, for message ids before any `session_meta`.
    file_session: Option<String>,
    /// The input's first line is not its file's first (a follower starting at the end): the
    /// cumulative totals before it are unknown, until a `session_meta` starts a session.
    from_middle: bool,
    /// The parent thread of a spawned subagent: the events' `session_id`.
    parent: Option<String>,
    /// The file is a subagent's (review or spawned).
    subagent: bool,
    cwd: Option<String>,
    branch: Option<String>,
    version: Option<String>,
    model: Option<String>,
    /// `total_tokens` of the previous token_count event (outside review windows).
    previous_total: Option<u64>,
    /// The previous token_count event's `total_token_usage`, whole (to recover a request
    /// whose event was lost).
    previous_usage: Option<Usage>,
    /// A line since the previous token_count event could not be read (it may have been one).
    damaged: bool,
    /// A request recovered from the totals ([`Decoder::count`]), emitted before the event
    /// that told it.
    recovered: Option<EventKind<'static>>,
    /// The thread's cumulative total after the latest request.
    current_total: u64,
    /// The context window the latest token_count stated (`info.model_context_window`): the
    /// window of the requests counted from then on.
    window: Option<u64>,
    /// Inside `entered_review_mode` … `exited_review_mode`.
    review: bool,
    /// The line being read: the address of its text (to place a value borrowed from it) and
    /// its length in bytes.
    line: (usize, u64),
    /// The latest token_count's `info` held a count that is not one (to be said).
    refused: bool,
    /// A problem of the latest token_count's usage, to be said before it: where in the line
    /// (bytes from its start) and what.
    problem: Option<(u64, String)>,
    /// The usage as written of the latest token_count aegon could not read, until a readable
    /// one is counted: an exact repeat of it is not another request.
    previous_unread: Option<String>,
    /// `forked_from_id` of the file's session: the `session_meta` that starts the replay.
    forked_from: Option<String>,
    /// Inside a fork's (or spawned subagent's) replay of its parent: the latest replayed
    /// line's time.
    replay: Option<Option<i64>>,
    /// A line of the replay was dated before the file's own `session_meta`: the replay keeps
    /// its original timestamps, so the first line dated at or after it ends the replay.
    replay_dated: bool,
    /// The time of the file's own (first) `session_meta` line, in ms since the epoch.
    started_at: Option<i64>,
    /// The previous record was the session's own `session_meta`: only there can the parent's
    /// copied `session_meta` start a replay (a parent's own rollout joined after its child's
    /// is read as itself).
    fresh: bool,
    /// The OpenAI service tier in force (`thread_settings_applied.thread_settings.service_tier`,
    /// or `turn_context.service_tier`), when not the standard one (`default`): the
    /// `factors.service_tier` of the requests counted from then on.
    tier: Option<String>,
    /// Failure of a call told by its `patch_apply_end` event, until its output comes.
    ended: HashMap<Box<str>, bool>,
    /// Calls without a result yet.
    open: HashSet<Box<str>>,
    /// Calls whose result was their `exec_command_end`: their output record, when it comes,
    /// is the same result again and yields nothing.
    answered: HashSet<Box<str>>,
}

impl Decoder {
    /// Decodes one line, emitting its events (a [`EventKind::Malformed`] one for a line that
    /// cannot be read). Blank lines yield nothing.
    pub fn line<F>(&mut self, file: &str, line: Line<'_>, emit: &mut F) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        let source = line.source(file);
        if line.bytes.iter().all(u8::is_ascii_whitespace) {
            return ControlFlow::Continue(());
        }
        if !self.started {
            self.started = true;
            self.from_middle = line.offset > 0;
            self.file_session = uuid_suffix(file);
        }
        let len = line.bytes.len() as u64;
        let text = super::utf8::line_text(Agent::Codex, source, line.bytes, emit)?;
        let trimmed = text.trim_start();
        if !trimmed.starts_with('{') {
            let what = if trimmed.starts_with('[') || trimmed.starts_with('"') {
                "not a rollout record: a JSON value that is not an object"
            } else {
                "invalid JSON: expected a JSON object"
            };
            let reason = if what.starts_with("invalid") {
                MalformedReason::InvalidJson
            } else {
                MalformedReason::UnexpectedShape
            };
            self.damaged = true;
            return emit(malformed(
                Agent::Codex,
                source,
                reason,
                what.to_owned(),
                line.offset,
                len,
                false,
            ));
        }
        let first = serde_json::from_str::<Item<'_>>(&text);
        let repaired = match &first {
            Err(_) => crate::format::claude::repair::lone_surrogates(&text),
            Ok(_) => None,
        };
        let parsed = match (&repaired, first) {
            (Some(r), Err(_)) => {
                self.line = (r.text.as_ptr() as usize, len);
                serde_json::from_str::<Item<'_>>(&r.text)
            }
            (_, first) => {
                self.line = (text.as_ptr() as usize, len);
                first
            }
        };
        match parsed {
            Ok(item) => self.record(source, item, emit),
            Err(err) => {
                self.damaged = true;
                emit(json_error(source, &line, &err))
            }
        }
    }

    /// Ends the input (nothing is pending between lines).
    pub fn finish<F>(&mut self, file: &str, emit: &mut F) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        let _ = (file, emit);
        ControlFlow::Continue(())
    }

    fn record<'l, F>(&mut self, source: Source<'l>, item: Item<'l>, emit: &mut F) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        let Item {
            kind,
            timestamp,
            payload,
            record_type,
            ..
        } = &item;
        let Some(payload) = payload else {
            // Legacy generation.
            if let Some(rt) = record_type.as_deref() {
                if rt == "state" {
                    return ControlFlow::Continue(());
                }
                let name = format!("record_type/{rt}");
                return emit(self.event(source, None, unknown(name)));
            }
            if kind.0.is_none() && item.id.0.is_some() {
                return self.legacy_header(source, &item, emit);
            }
            return match kind.as_deref() {
                Some(_) => self.response_item(source, None, &item, true, emit),
                None => emit(malformed(
                    Agent::Codex,
                    source,
                    MalformedReason::UnexpectedShape,
                    "not a rollout record: no `type`, `payload`, `record_type` or `id`".to_owned(),
                    source.offset,
                    0,
                    false,
                )),
            };
        };
        let top = kind.as_deref().unwrap_or("");
        let ts = timestamp.0.clone();
        if let Some(last) = &mut self.replay {
            let ms = ts.as_deref().and_then(parse_millis);
            let before_start =
                matches!((ms, self.started_at), (Some(ms), Some(start)) if ms < start);
            match (ms, *last) {
                // Written before this file's session began: the parent's, with its own time.
                (Some(ms), _) if before_start => {
                    *last = Some(ms);
                    self.replay_dated = true;
                    self.replayed(top, payload);
                    return ControlFlow::Continue(());
                }
                (Some(_), _) if self.replay_dated => {
                    self.replay = None;
                }
                (Some(ms), Some(prev)) if ms.saturating_sub(prev) > FORK_REPLAY_GAP_MS => {
                    self.replay = None;
                }
                (Some(ms), _) => {
                    *last = Some(ms);
                    self.replayed(top, payload);
                    return ControlFlow::Continue(());
                }
                (None, _) => {
                    self.replayed(top, payload);
                    return ControlFlow::Continue(());
                }
            }
        }
        let fresh = std::mem::take(&mut self.fresh);
        match top {
            "session_meta" => self.session_meta(source, ts, payload, fresh, emit),
            "turn_context" => {
                self.turn_context(payload);
                ControlFlow::Continue(())
            }
            "response_item" => self.response_item(source, ts, payload, false, emit),
            "event_msg" => self.event_msg(source, ts, payload, emit),
            "compacted" => {
                let compact = EventKind::Compact {
                    trigger: None,
                    pre_tokens: None,
                    post_tokens: None,
                };
                emit(self.event(source, ts.clone(), compact))?;
                match payload.message.and_then(Text::from_raw) {
                    Some(text) if !text.is_blank() => {
                        emit(self.event(source, ts, EventKind::CompactSummary { text }))
                    }
                    _ => ControlFlow::Continue(()),
                }
            }
            "world_state" => emit(self.event(source, ts, system("world_state", None, None))),
            _ => emit(self.event(source, ts, unknown(top.to_owned()))),
        }
    }

    /// Forgets the session read so far (another one follows on the same input).
    fn restart(&mut self) {
        let file_session = self.file_session.take();
        *self = Decoder {
            started: true,
            file_session,
            ..Decoder::default()
        };
    }

    /// State kept from a replayed line (no event); an ancestor's `session_meta` (a fork of a
    /// fork) is part of the replay.
    fn replayed(&mut self, top: &str, payload: &Item<'_>) {
        match (top, payload.kind.as_deref()) {
            ("turn_context", _) => self.turn_context(payload),
            ("event_msg", Some("thread_settings_applied")) => self.thread_settings(payload),
            ("event_msg", Some("entered_review_mode")) => self.review = true,
            ("event_msg", Some("exited_review_mode")) => self.review = false,
            ("event_msg", Some("token_count")) => {
                let _ = self.count(payload);
                self.recovered = None;
                self.refused = false;
                self.problem = None;
            }
            _ => {}
        }
    }

    /// Takes the service tier a `turn_context` or `thread_settings_applied` states (absent:
    /// unchanged, the tier is sticky); `default` (or `""`) is the standard tier.
    fn set_tier(&mut self, tier: Option<&str>) {
        match tier {
            None => {}
            Some("default" | "") => self.tier = None,
            Some(tier) if self.tier.as_deref() != Some(tier) => self.tier = Some(tier.to_owned()),
            Some(_) => {}
        }
    }

    /// The service tier of a `thread_settings_applied` event.
    fn thread_settings(&mut self, payload: &Item<'_>) {
        if let Some(settings) = payload.thread_settings {
            if let Ok(settings) = serde_json::from_str::<ThreadSettings<'_>>(settings.get()) {
                self.set_tier(settings.service_tier.as_deref());
            }
        }
    }

    fn turn_context(&mut self, payload: &Item<'_>) {
        self.set_tier(payload.service_tier.as_deref());
        if let Some(model) = payload.model.as_deref() {
            if self.model.as_deref() != Some(model) {
                self.model = Some(model.to_owned());
            }
        }
        if let Some(cwd) = payload.cwd.as_deref() {
            if self.cwd.as_deref() != Some(cwd) {
                self.cwd = Some(cwd.to_owned());
            }
        }
    }

    fn session_meta<'l, F>(
        &mut self,
        source: Source<'l>,
        ts: Option<Cow<'l, str>>,
        payload: &Item<'l>,
        fresh: bool,
        emit: &mut F,
    ) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        let id = payload.id.as_deref();
        if let Some(own) = self.session.as_deref() {
            let parent = self.forked_from.as_deref() == id || self.parent.as_deref() == id;
            if id.is_some() && fresh && parent {
                // A fork or a spawned subagent: the parent's history follows, replayed.
                self.replay = Some(ts.as_deref().and_then(parse_millis));
                self.replay_dated = false;
                let text = format!(
                    "the history of session {} follows, replayed into this fork: not read as this session's",
                    id.unwrap_or("?")
                );
                let kind = system("fork_replay", Some(Text::Plain(Cow::Owned(text))), None);
                return emit(self.event(source, ts, kind));
            }
            if id.is_none_or(|id| id == own) {
                return emit(self.event(source, ts, system("session_meta", None, None)));
            }
            // Another session's rollout follows (inputs joined): start again.
            self.restart();
        }
        match &self.session {
            None => {
                self.session = id.map(str::to_owned);
                self.started_at = ts.as_deref().and_then(parse_millis);
                self.fresh = true;
                self.forked_from = payload.forked_from_id.as_deref().map(str::to_owned);
                self.cwd = payload.cwd.as_deref().map(str::to_owned);
                self.version = payload.cli_version.as_deref().map(str::to_owned);
                self.branch = branch(payload.git);
                let (subagent, parent) = payload
                    .source
                    .map_or((false, None), record::subagent_source);
                self.subagent = subagent || payload.thread_source.as_deref() == Some("subagent");
                self.parent = parent.or_else(|| {
                    payload
                        .parent_thread_id
                        .as_deref()
                        .filter(|p| Some(*p) != id)
                        .map(str::to_owned)
                });
                if self.parent.is_some() {
                    self.subagent = true;
                }
                emit(self.event(source, ts, system("session_meta", None, None)))
            }
            Some(_) => emit(self.event(source, ts, system("session_meta", None, None))),
        }
    }

    fn legacy_header<'l, F>(
        &mut self,
        source: Source<'l>,
        item: &Item<'l>,
        emit: &mut F,
    ) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        let id = item.id.as_deref();
        if self.session.is_some() && id.is_some() && self.session.as_deref() != id {
            self.restart();
        }
        if self.session.is_none() {
            self.session = item.id.as_deref().map(str::to_owned);
            self.branch = branch(item.git);
        }
        emit(self.event(
            source,
            item.timestamp.0.clone(),
            system("session_meta", None, None),
        ))
    }

    /// The id shared by the request being produced and its calls, answers and reasoning.
    fn response_id(&self) -> String {
        format!("{}:{}", self.own_id(), self.current_total)
    }

    fn own_id(&self) -> &str {
        self.session
            .as_deref()
            .or(self.file_session.as_deref())
            .unwrap_or("")
    }

    fn response_item<'l, F>(
        &mut self,
        source: Source<'l>,
        ts: Option<Cow<'l, str>>,
        item: &Item<'l>,
        legacy: bool,
        emit: &mut F,
    ) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        let kind = item.kind.as_deref().unwrap_or("");
        // Legacy files have no usage to share an id with: the item's own id.
        let message_id = if legacy {
            item.id.0.clone()
        } else {
            Some(Cow::Owned(self.response_id()))
        };
        match kind {
            "message" => {
                let role = item.role.as_deref().unwrap_or("");
                let Some(content) = item.content else {
                    return emit(self.event(source, ts, unknown_block("message", "<no content>")));
                };
                let parts: Vec<Part<'l>> = match serde_json::from_str(content.get()) {
                    Ok(parts) => parts,
                    Err(e) => {
                        return emit(self.event(
                            source,
                            ts,
                            malformed_kind(
                                MalformedReason::UnexpectedShape,
                                format!(
                                "partly read: `content` of a message is not a list of parts ({})",
                                super::json_error_text(&e)
                            ),
                                source.offset,
                                0,
                                true,
                            ),
                        ))
                    }
                };
                let model = self.model.as_deref().map(Cow::Borrowed);
                let id = message_id;
                for part in parts {
                    let kind = match (part.kind.as_deref(), part.text.and_then(Text::from_raw)) {
                        (Some("output_text"), Some(text)) if role == "assistant" => {
                            EventKind::AssistantText {
                                message_id: id.clone(),
                                model: model.clone(),
                                text,
                            }
                        }
                        (Some("input_text"), Some(text)) => {
                            if legacy && role == "user" && !is_injected(&text) {
                                EventKind::UserPrompt { text }
                            } else {
                                EventKind::UserMeta { text }
                            }
                        }
                        (Some("input_image"), _) => image(part.image_url),
                        (other, _) => unknown_block(
                            "message",
                            &format!("{role}/{}", other.unwrap_or("<no type>")),
                        ),
                    };
                    emit(self.event(source, ts.clone(), kind))?;
                }
                ControlFlow::Continue(())
            }
            "reasoning" => {
                let parts: Vec<Part<'l>> = item
                    .summary
                    .and_then(|s| serde_json::from_str(s.get()).ok())
                    .unwrap_or_default();
                let id = message_id;
                let mut any = false;
                for part in parts {
                    if let Some(text) = part.text.and_then(Text::from_raw) {
                        any = true;
                        let kind = EventKind::Thinking {
                            message_id: id.clone(),
                            text,
                            redacted: false,
                        };
                        emit(self.event(source, ts.clone(), kind))?;
                    }
                }
                if any {
                    return ControlFlow::Continue(());
                }
                let kind = EventKind::Thinking {
                    message_id: id,
                    text: Text::default(),
                    redacted: item.encrypted_content.is_some(),
                };
                emit(self.event(source, ts, kind))
            }
            "function_call" | "custom_tool_call" => {
                let call_id = item.call_id.0.clone();
                if let Some(id) = call_id.as_deref() {
                    if self.open.len() >= MAX_PENDING {
                        self.open.clear();
                    }
                    self.open.insert(Box::from(id));
                }
                let input = if kind == "function_call" {
                    item.arguments
                } else {
                    item.input
                };
                let tool = item.name.0.clone().unwrap_or(Cow::Borrowed("?"));
                let event = EventKind::ToolCall {
                    message_id,
                    tool_use_id: call_id,
                    tool,
                    input: input.map(RawJson::from),
                };
                emit(self.event(source, ts, event))
            }
            "function_call_output" | "custom_tool_call_output" => {
                let call_id = item.call_id.0.clone();
                if call_id
                    .as_deref()
                    .is_some_and(|id| self.answered.remove(id))
                {
                    // Its result came from its exec_command_end.
                    return ControlFlow::Continue(());
                }
                let told = call_id.as_deref().and_then(|id| {
                    self.open.remove(id);
                    self.ended.remove(id)
                });
                let is_error = told.unwrap_or_else(|| item.output.is_some_and(output_failed));
                let event = EventKind::ToolResult {
                    tool_use_id: call_id,
                    is_error,
                    tool: None,
                    duration_ms: item.output.and_then(output_duration_ms),
                    content: item.output.map(RawJson::from),
                    spawned_agent_id: None,
                    raw_result: None,
                };
                emit(self.event(source, ts, event))
            }
            "ghost_snapshot" | "web_search_call" => {
                emit(self.event(source, ts, system(kind, None, None)))
            }
            _ if legacy => emit(self.event(source, ts, unknown(kind.to_owned()))),
            _ => emit(self.event(source, ts, unknown(format!("response_item/{kind}")))),
        }
    }

    fn event_msg<'l, F>(
        &mut self,
        source: Source<'l>,
        ts: Option<Cow<'l, str>>,
        payload: &Item<'l>,
        emit: &mut F,
    ) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        let kind = payload.kind.as_deref().unwrap_or("");
        match kind {
            "token_count" => {
                let counted = self.count(payload);
                if let Some(lost) = self.recovered.take() {
                    emit(self.event(source, ts.clone(), lost))?;
                }
                if std::mem::take(&mut self.refused) {
                    self.refused_said(source, ts.clone(), payload, emit)?;
                }
                if let Some((at, message)) = self.problem.take() {
                    let (_, len) = self.line;
                    let kind = malformed_kind(
                        MalformedReason::UnexpectedShape,
                        message,
                        source.offset + at,
                        len,
                        true,
                    );
                    emit(self.event(source, ts.clone(), kind))?;
                }
                match counted {
                    Some(usage) => emit(self.event(source, ts, usage)),
                    None => ControlFlow::Continue(()),
                }
            }
            "user_message" => match payload.message.and_then(Text::from_raw) {
                Some(text) => {
                    let kind = if self.review {
                        EventKind::UserMeta { text }
                    } else {
                        EventKind::UserPrompt { text }
                    };
                    emit(self.event(source, ts, kind))
                }
                None => emit(self.event(
                    source,
                    ts,
                    unknown_block("event_msg/user_message", "<no message>"),
                )),
            },
            "agent_message"
            | "agent_reasoning"
            | "agent_reasoning_raw_content"
            | "agent_reasoning_section_break"
            | "task_started"
            | "exec_command_begin"
            | "patch_apply_begin" => ControlFlow::Continue(()),
            "exec_command_end" => {
                let call_id = payload.call_id.0.clone();
                let Some(id) = call_id.as_deref() else {
                    return ControlFlow::Continue(());
                };
                if !self.open.remove(id) {
                    // Not a call of this input (a user's shell command, a call before the
                    // read started) or one already answered.
                    return ControlFlow::Continue(());
                }
                self.ended.remove(id);
                if self.answered.len() >= MAX_PENDING {
                    self.answered.clear();
                }
                self.answered.insert(Box::from(id));
                fn written(raw: Option<&RawValue>) -> Option<&RawValue> {
                    raw.filter(|r| r.get() != "null")
                }
                let exit_code = written(payload.exit_code);
                let code = exit_code.map(|raw| raw.get().parse::<i64>().ok());
                let is_error = matches!(code, Some(Some(c)) if c != 0);
                let duration = written(payload.duration);
                let duration_ms = duration.and_then(record::Duration::millis);
                // An exit code or a duration written but not one feeds the error counts and
                // the timings: said, as a refused token count is.
                let mut faults = Vec::new();
                if let (Some(raw), Some(None)) = (exit_code, code) {
                    faults.push((raw, "payload.exit_code", "is not an exit code: read as 0"));
                }
                if let (Some(raw), None) = (duration, duration_ms) {
                    faults.push((raw, "payload.duration", "is not a duration: not read"));
                }
                if !faults.is_empty() {
                    self.faults_said(source, ts.clone(), &faults, emit)?;
                }
                let event = EventKind::ToolResult {
                    tool_use_id: call_id,
                    is_error,
                    tool: None,
                    duration_ms,
                    content: payload
                        .aggregated_output
                        .or(payload.stdout)
                        .map(RawJson::from),
                    spawned_agent_id: None,
                    raw_result: None,
                };
                emit(self.event(source, ts, event))
            }
            "patch_apply_end" => {
                let failed = payload.success.map(|raw| raw.get() == "false");
                if let (Some(id), Some(failed)) = (payload.call_id.as_deref(), failed) {
                    if self.open.contains(id) {
                        if self.ended.len() >= MAX_PENDING {
                            self.ended.clear();
                        }
                        self.ended.insert(Box::from(id), failed);
                    }
                }
                ControlFlow::Continue(())
            }
            "error" | "stream_error" => {
                let text = payload.message.and_then(|raw| {
                    serde_json::from_str::<Cow<'_, str>>(raw.get())
                        .ok()
                        .map(|t| Cow::Owned(t.into_owned()))
                });
                let event = EventKind::ApiError {
                    status: None,
                    text,
                    retry_attempt: None,
                    max_retries: None,
                    retry_in_ms: None,
                    fatal: kind == "error",
                };
                emit(self.event(source, ts, event))
            }
            "turn_aborted" => {
                let text = payload
                    .reason
                    .and_then(Text::from_raw)
                    .unwrap_or(Text::Plain(Cow::Borrowed("aborted")));
                let event = EventKind::Interrupt {
                    text,
                    during_tool: !self.open.is_empty(),
                };
                self.open.clear();
                self.ended.clear();
                emit(self.event(source, ts, event))
            }
            "entered_review_mode" | "exited_review_mode" => {
                self.review = kind == "entered_review_mode";
                let text = payload.user_facing_hint.and_then(Text::from_raw);
                emit(self.event(source, ts, system(kind, text, None)))
            }
            "task_complete" => {
                let d = payload.duration_ms.0;
                emit(self.event(source, ts, system(kind, None, d)))
            }
            "thread_name_updated" => match payload.thread_name.0.clone() {
                Some(title) => emit(self.event(
                    source,
                    ts,
                    EventKind::Title {
                        title,
                        source: TitleSource::Custom,
                        leaf_uuid: None,
                    },
                )),
                None => emit(self.event(
                    source,
                    ts,
                    unknown_block("event_msg/thread_name_updated", "<no thread_name>"),
                )),
            },
            "context_compacted" | "web_search_end" | "view_image_tool_call" | "item_completed" => {
                emit(self.event(source, ts, system(kind, None, None)))
            }
            "thread_settings_applied" => {
                self.thread_settings(payload);
                emit(self.event(source, ts, system(kind, None, None)))
            }
            _ => emit(self.event(source, ts, unknown(format!("event_msg/{kind}")))),
        }
    }

    /// Applies a `token_count` event: the `Usage` to emit when it is counted, `None` when it
    /// is not (no info, a repeat, review mode). A problem to say with it (usage it could not
    /// read, totals that do not add up) is left in `self.problem`.
    fn count(&mut self, payload: &Item<'_>) -> Option<EventKind<'static>> {
        let Some(raw) = payload.info else {
            let flat = payload.flat_usage();
            let (_, first) = *flat.first()?;
            let names: Vec<String> = flat.iter().map(|(n, _)| format!("`{n}`")).collect();
            let key: String = flat
                .iter()
                .map(|(n, raw)| format!("{n}={};", raw.get()))
                .collect();
            let what = format!(
                "a token_count event holds {} beside `type`, not in `info`: usage in a shape aegon does not read",
                names.join(", ")
            );
            return self.unreadable(first, &key, what);
        };
        let info: Info = match serde_json::from_str(raw.get()) {
            Ok(info) => info,
            Err(e) => {
                self.damaged = true;
                let what = format!(
                    "`info` of a token_count event is not token usage ({})",
                    super::json_error_text(&e)
                );
                return self.unreadable(raw, raw.get(), what);
            }
        };
        if let Some(window) = info.model_context_window.0.filter(|w| *w > 0) {
            self.window = Some(window);
        }
        self.refused = [info.total_token_usage, info.last_token_usage]
            .iter()
            .flatten()
            .any(Usage::refused);
        if self.review {
            return None;
        }
        let (before, after, last) = match (info.total_token_usage, info.last_token_usage) {
            (Some(total), last) => {
                let after = total.total();
                if self.previous_total == Some(after) {
                    return None;
                }
                let previous = self.previous_usage.replace(total);
                self.previous_total = Some(after);
                self.current_total = after;
                self.previous_unread = None;
                let damaged = std::mem::take(&mut self.damaged);
                let Some(last) = last else {
                    return Some(self.by_totals(previous, &total, raw));
                };
                if damaged {
                    self.recovered = previous.and_then(|p| self.lost(&p, &total, &last));
                }
                (after.saturating_sub(last.total()), after, last)
            }
            (None, Some(last)) => {
                let before = self.current_total;
                let after = before.saturating_add(last.total());
                self.current_total = after;
                self.previous_unread = None;
                (before, after, last)
            }
            (None, None) => {
                let what = "`info` of a token_count event holds neither `total_token_usage` nor `last_token_usage`: usage in a shape aegon does not read".to_owned();
                return self.unreadable(raw, raw.get(), what);
            }
        };
        let input = last.input_tokens.get();
        let cached = last.cached_input_tokens.get();
        let writes = last.cache_writes().min(input.saturating_sub(cached));
        let tokens = Tokens {
            input: input.saturating_sub(cached) - writes,
            output: last.output_tokens.get(),
            cache_read: cached,
            cache_write_5m: writes,
            cache_write_1h: 0,
            web_search: 0,
        };
        Some(self.usage(
            format!("{before}"),
            after.to_string(),
            tokens,
            input,
            last.reasoning_output_tokens.read(),
            None,
        ))
    }

    /// A `Usage` of this input's session: `message_id` `<session>:<before>`, `request_id`
    /// `request`, the latest model; `prompt` the request's whole input.
    fn usage(
        &self,
        before: String,
        request: String,
        tokens: Tokens,
        prompt: u64,
        reasoning: Option<u64>,
        unread: Option<Unread>,
    ) -> EventKind<'static> {
        EventKind::Usage {
            message_id: Some(Cow::Owned(format!("{}:{before}", self.own_id()))),
            request_id: Some(Cow::Owned(request)),
            model: self.model.clone().map(Cow::Owned),
            tokens,
            increment: false,
            factors: PriceFactors {
                prompt_tokens: prompt,
                service_tier: self.tier.clone().map(Cow::Owned),
                ..PriceFactors::default()
            },
            reasoning,
            unread,
            context: None,
            window: self.window,
            repriced: None,
        }
    }

    /// The request a token_count event tells only by the thread's cumulative `total` (no
    /// `last_token_usage`): the difference, field by field, from `previous`, the totals of the
    /// previous counted event (none: the session's first, measured from zero), keyed as a
    /// request told by its `last_token_usage` would be. When that difference is no request's
    /// usage, the request is still counted, its cost unknown ([`Unread::Cumulative`]), and
    /// said at `info`: `total_tokens` fell (a reset of the counter: the new totals are taken as
    /// the request's, as a drop starts a new segment), a part fell while the total grew, or
    /// cached input grew more than input or reasoning more than output (in both, the parts
    /// that grew are kept), or the input was read from its middle (no previous totals to
    /// subtract: no tokens). A line lost since the previous
    /// event (reported) puts its request(s) in this difference too.
    fn by_totals(
        &mut self,
        previous: Option<Usage>,
        total: &Usage,
        info: &RawValue,
    ) -> EventKind<'static> {
        type Part = (&'static str, fn(&Usage) -> u64);
        const PARTS: [Part; 4] = [
            ("input_tokens", |u| u.input_tokens.get()),
            ("cached_input_tokens", |u| u.cached_input_tokens.get()),
            ("output_tokens", |u| u.output_tokens.get()),
            ("reasoning_output_tokens", |u| {
                u.reasoning_output_tokens.get()
            }),
        ];
        let after = total.total();
        let now = PARTS.map(|(_, f)| f(total));
        let Some(previous) = previous.or(if self.from_middle {
            None
        } else {
            Some(Usage::default())
        }) else {
            let why = "is the first read of an input read from its middle: there are no earlier totals to take it from, so the request's usage is unknown";
            self.problem = Some((self.at(info), format!("partly read: the token_count has no `last_token_usage`, and the cumulative `total_token_usage` {why}: counted as an API call of unknown cost")));
            return self.usage(
                "?".to_owned(),
                after.to_string(),
                Tokens::default(),
                0,
                None,
                Some(Unread::Cumulative),
            );
        };
        let was = PARTS.map(|(_, f)| f(&previous));
        let before = previous.total();
        let fell: Vec<String> = PARTS
            .iter()
            .enumerate()
            .filter(|(i, _)| now[*i] < was[*i])
            .map(|(i, (name, _))| format!("`{name}` {} → {}", was[i], now[i]))
            .collect();
        let (grew, why, before) = if after < before {
            // A reset: the counter starts again, as a drop starts a new segment.
            let why = format!(
                "fell (`total_tokens` {before} → {after}): the counter was reset, so its new totals are taken as this request's usage"
            );
            (
                now,
                Some(why),
                after.saturating_sub(now[0].saturating_add(now[2])),
            )
        } else {
            let grew = [0, 1, 2, 3].map(|i| now[i].saturating_sub(was[i]));
            let why = if !fell.is_empty() {
                Some(format!(
                    "grew while a part of it fell ({}): only the parts that grew are kept",
                    fell.join(", ")
                ))
            } else if grew[1] > grew[0] || grew[3] > grew[2] {
                Some(format!(
                    "grew by input {}, cached input {}, output {}, reasoning {}: a part beyond its whole is no request's usage (the parts are kept)",
                    grew[0], grew[1], grew[2], grew[3]
                ))
            } else {
                None
            };
            (grew, why, before)
        };
        let [input, cached, output, reasoning] = grew;
        let tokens = Tokens {
            input: input.saturating_sub(cached),
            output,
            cache_read: cached.min(input),
            ..Tokens::default()
        };
        let unread = why.map(|why| {
            self.problem = Some((
                self.at(info),
                format!(
                    "partly read: the token_count has no `last_token_usage`, and the cumulative `total_token_usage` {why}: counted as an API call of unknown cost"
                ),
            ));
            Unread::Cumulative
        });
        self.usage(
            before.to_string(),
            after.to_string(),
            tokens,
            input,
            Some(reasoning.min(output)),
            unread,
        )
    }

    /// A token_count whose usage aegon cannot read (`what`, said at `raw`): one API call of
    /// unknown cost with no tokens ([`Unread::NoCounts`]), keyed by a hash of `key` (the
    /// usage as written) under the total so far; an exact repeat of the previous such event
    /// (Codex writes repeats) and an event in review mode (the review's own rollout holds
    /// it) are not counted, the latter only said.
    fn unreadable(
        &mut self,
        raw: &RawValue,
        key: &str,
        what: String,
    ) -> Option<EventKind<'static>> {
        let at = self.at(raw);
        if self.review {
            self.problem = Some((
                at,
                format!("partly read: {what}: not counted (in review mode: the review's own rollout holds its usage)"),
            ));
            return None;
        }
        if self.previous_unread.as_deref() == Some(key) {
            return None;
        }
        self.previous_unread = Some(key.to_owned());
        self.problem = Some((
            at,
            format!("partly read: {what}: counted as an API call of unknown cost"),
        ));
        let hash = twox_hash::XxHash3_64::oneshot(key.as_bytes());
        Some(self.usage(
            self.current_total.to_string(),
            format!("unread:{hash:016x}"),
            Tokens::default(),
            0,
            None,
            Some(Unread::NoCounts),
        ))
    }

    /// Where `raw` (borrowed from the line being read) starts, in bytes from the line's start.
    fn at(&self, raw: &RawValue) -> u64 {
        (raw.get().as_ptr() as usize).saturating_sub(self.line.0) as u64
    }

    /// The request(s) a damaged line took with it, told by the cumulative totals: this event's
    /// `total` holds the previous event's `previous`, the lost request(s), then `last`. `None`
    /// when nothing is missing, or when a count fell (a new segment: nothing to tell). The
    /// usage is keyed as its request would have been (`<session>:<previous total>` and the
    /// total before `last`), so the same file read undamaged counts it once (one lost request;
    /// several are one usage here). The model is the latest known.
    fn lost(&self, previous: &Usage, total: &Usage, last: &Usage) -> Option<EventKind<'static>> {
        let between = |f: fn(&Usage) -> u64| {
            f(total)
                .checked_sub(f(last))
                .and_then(|before| before.checked_sub(f(previous)))
        };
        let input = between(|u| u.input_tokens.get())?;
        let cached = between(|u| u.cached_input_tokens.get())?;
        let output = between(|u| u.output_tokens.get())?;
        let reasoning = between(|u| u.reasoning_output_tokens.get())?;
        let from = previous.total();
        let to = total.total().checked_sub(last.total())?;
        if to <= from || cached > input {
            return None;
        }
        let writes = between(Usage::cache_writes)
            .unwrap_or(0)
            .min(input - cached);
        let tokens = Tokens {
            input: input - cached - writes,
            output,
            cache_read: cached,
            cache_write_5m: writes,
            ..Tokens::default()
        };
        Some(self.usage(
            from.to_string(),
            to.to_string(),
            tokens,
            input,
            Some(reasoning),
            None,
        ))
    }

    /// Says the members of this line's payload that are not what they should be (`faults`:
    /// the value, its path, what is said of it): one event, before the line's own, at the
    /// first value's byte, the others with theirs (as a Claude Code line says several).
    #[cold]
    fn faults_said<'l, F>(
        &self,
        source: Source<'l>,
        ts: Option<Cow<'l, str>>,
        faults: &[(&RawValue, &str, &str)],
        emit: &mut F,
    ) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        let (line_at, len) = self.line;
        let at = |raw: &RawValue| {
            source.offset + (raw.get().as_ptr() as usize).saturating_sub(line_at) as u64
        };
        let Some(first) = faults.first().map(|f| at(f.0)) else {
            return ControlFlow::Continue(());
        };
        let message = faults
            .iter()
            .map(|(raw, field, says)| {
                let mut shown: String = raw.get().chars().take(40).collect();
                if shown.len() < raw.get().len() {
                    shown.push('…');
                }
                let said = format!("partly read: `{field}` {shown} {says}");
                match at(raw) {
                    here if here == first => said,
                    here => format!("byte {here}: {said}"),
                }
            })
            .collect::<Vec<_>>()
            .join("; ");
        let kind = malformed_kind(MalformedReason::UnexpectedShape, message, first, len, true);
        emit(self.event(source, ts, kind))
    }

    /// Says the counts of a token_count event's `info` that are not counts (read as 0): one
    /// event, before the usage, naming each where it is in the line.
    #[cold]
    fn refused_said<'l, F>(
        &self,
        source: Source<'l>,
        ts: Option<Cow<'l, str>>,
        payload: &Item<'l>,
        emit: &mut F,
    ) -> ControlFlow<()>
    where
        F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
    {
        let Some(info) = payload.info else {
            return ControlFlow::Continue(());
        };
        let text = info.get();
        let mut found = crate::format::count::refused_counts(text, &record::INFO_COUNTS);
        for r in &mut found {
            r.field.insert_str(0, "payload.info.");
        }
        let (line_at, len) = self.line;
        let base = source.offset + (text.as_ptr() as usize).saturating_sub(line_at) as u64;
        match crate::format::count::refused_kind(base, len, &found) {
            Some(kind) => emit(self.event(source, ts, kind)),
            None => ControlFlow::Continue(()),
        }
    }

    /// An event of this input with its header fields.
    fn event<'e>(
        &'e self,
        source: Source<'e>,
        timestamp: Option<Cow<'e, str>>,
        kind: EventKind<'e>,
    ) -> Event<'e> {
        let own = self.session.as_deref().map(Cow::Borrowed);
        Event {
            agent: Agent::Codex,
            source,
            session_id: self.parent.as_deref().map(Cow::Borrowed).or(own.clone()),
            timestamp,
            uuid: None,
            agent_id: if self.subagent { own } else { None },
            sidechain: self.subagent,
            copied: false,
            cwd: self.cwd.as_deref().map(Cow::Borrowed),
            git_branch: self.branch.as_deref().map(Cow::Borrowed),
            version: self.version.as_deref().map(Cow::Borrowed),
            kind,
        }
    }
}

fn branch(git: Option<&RawValue>) -> Option<String> {
    let git: record::Git<'_> = serde_json::from_str(git?.get()).ok()?;
    git.branch.0.map(Cow::into_owned)
}

fn system<'a>(subtype: &str, text: Option<Text<'a>>, duration_ms: Option<u64>) -> EventKind<'a> {
    EventKind::System {
        subtype: Some(Cow::Owned(subtype.to_owned())),
        level: None,
        text,
        duration_ms,
    }
}

fn unknown(record_type: String) -> EventKind<'static> {
    EventKind::Unknown {
        record_type: Some(Cow::Owned(record_type)),
        block_type: None,
    }
}

fn unknown_block(record_type: &str, block_type: &str) -> EventKind<'static> {
    EventKind::Unknown {
        record_type: Some(Cow::Owned(record_type.to_owned())),
        block_type: Some(Cow::Owned(block_type.to_owned())),
    }
}

/// An `input_image` part: a `data:<media type>;base64,<data>` URL (or another URL).
fn image(url: Str<'_>) -> EventKind<'_> {
    let Some(url) = url.0 else {
        return EventKind::Image {
            media_type: None,
            data_len: 0,
            data: None,
        };
    };
    let split = |s: &str| -> Option<(usize, usize)> {
        let rest = s.strip_prefix("data:")?;
        let semi = rest.find(';')?;
        let comma = rest.find(',')?;
        Some((5 + semi, 5 + comma + 1))
    };
    match (&url, split(&url)) {
        (Cow::Borrowed(s), Some((semi, data))) => EventKind::Image {
            media_type: Some(Cow::Borrowed(&s[5..semi])),
            data_len: (s.len() - data) as u64,
            data: Some(&s[data..]),
        },
        (s, Some((semi, data))) => EventKind::Image {
            media_type: Some(Cow::Owned(s[5..semi].to_owned())),
            data_len: (s.len() - data) as u64,
            data: None,
        },
        (_, None) => EventKind::Image {
            media_type: None,
            data_len: 0,
            data: None,
        },
    }
}

/// Whether a legacy user message is injected context rather than typed: it starts with a
/// `<tag>` (`<environment_context>`, `<user_instructions>`, …) or `# AGENTS.md instructions`.
fn is_injected(text: &Text<'_>) -> bool {
    let (start, _) = text.prefix(64);
    let start = start.trim_start();
    let tag = start.strip_prefix('<').is_some_and(|rest| {
        rest.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
    });
    tag || start.starts_with("# AGENTS.md instructions")
}

/// Whether a tool output (a JSON value as written) says its command failed: it starts with
/// `Exit code: N` or ends with the metadata `"exit_code":N` (an escaped JSON object in a
/// string), N ≠ 0. Only the start and the last bytes are looked at.
fn output_failed(raw: &RawValue) -> bool {
    let bytes = raw.get().as_bytes();
    if let Some(rest) = bytes.strip_prefix(b"\"Exit code: ") {
        return leading_int(rest).is_some_and(|n| n != 0);
    }
    if bytes.starts_with(b"\"{") {
        let tail = &bytes[bytes.len().saturating_sub(200)..];
        const KEY: &[u8] = br#"\"exit_code\":"#;
        if let Some(at) = memchr::memmem::rfind(tail, KEY) {
            return leading_int(&tail[at + KEY.len()..]).is_some_and(|n| n != 0);
        }
    }
    false
}

/// How many raw bytes at the start of an output are searched for its `Wall time` header line.
const HEADER_BYTES: usize = 256;

/// The run time a tool output records, in whole milliseconds (truncated, as `exec_command_end`'s
/// `duration`), from the output as written (a JSON string or a list of `input_text` parts):
///
/// - a JSON-text output `{"output":…,"metadata":{"exit_code":N,"duration_seconds":F}}` (legacy,
///   0.35 → 0.58, and 0.121's): `duration_seconds`, the object's last member (213 of 213 in the
///   corpus), read from the output's tail like the exit code;
/// - a text output whose header (the lines before `Output:`) has a line
///   `Wall time: F seconds` (0.77+ shell results after `Exit code: N`, unified exec results
///   after `Chunk ID: …`) or `Wall time F seconds` (0.144's script cells, in the first
///   `input_text` part);
/// - `aborted by user after Fs` (a call the user interrupted, 0.144).
///
/// `None` for any other output (e.g. `apply_patch`'s plain text), so the call's duration falls
/// back to the time between its lines.
fn output_duration_ms(raw: &RawValue) -> Option<u64> {
    let bytes = raw.get().as_bytes();
    if bytes.starts_with(b"\"{") {
        let tail = &bytes[bytes.len().saturating_sub(200)..];
        const KEY: &[u8] = br#"\"duration_seconds\":"#;
        let at = memchr::memmem::rfind(tail, KEY)?;
        return seconds_to_ms(&tail[at + KEY.len()..]);
    }
    if let Some(rest) = bytes.strip_prefix(b"\"aborted by user after ") {
        return rest.strip_suffix(b"s\"").and_then(|n| {
            seconds_to_ms(n).filter(|_| n.iter().all(|b| b.is_ascii_digit() || *b == b'.'))
        });
    }
    let head = &bytes[..bytes.len().min(HEADER_BYTES)];
    let at = memchr::memmem::find(head, b"Wall time")?;
    if memchr::memmem::find(&head[..at], b"Output:").is_some() {
        return None;
    }
    // At the start of the text (after its opening quote) or of a line (an escaped `\n`).
    let before = &head[..at];
    if !(before.ends_with(b"\\n") || before.ends_with(b"\"")) {
        return None;
    }
    let rest = &head[at + b"Wall time".len()..];
    let rest = rest.strip_prefix(b":").unwrap_or(rest);
    let rest = rest.strip_prefix(b" ")?;
    let end = rest
        .iter()
        .position(|b| !(b.is_ascii_digit() || *b == b'.'))
        .unwrap_or(rest.len());
    if !rest[end..].starts_with(b" seconds") {
        return None;
    }
    seconds_to_ms(&rest[..end])
}

/// Whole milliseconds (truncated) of a non-negative decimal number of seconds at the start of
/// `bytes` (`0.0525` → 52), computed on the decimal digits so that no binary rounding creeps
/// in; a number with an exponent (`1e-5`) is read as a float. `None` when no number starts
/// `bytes`, it is negative or it overflows.
fn seconds_to_ms(bytes: &[u8]) -> Option<u64> {
    let end = bytes
        .iter()
        .position(|b| !(b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')))
        .unwrap_or(bytes.len());
    let number = std::str::from_utf8(&bytes[..end]).ok()?;
    if number.contains(['e', 'E']) {
        let secs: f64 = number.parse().ok()?;
        let ms = (secs * 1000.0).floor();
        return (ms.is_finite() && ms >= 0.0 && ms < u64::MAX as f64).then_some(ms as u64);
    }
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = whole.parse().ok()?;
    let mut ms: u64 = 0;
    for i in 0..3 {
        let digit = frac.as_bytes().get(i).map_or(0, |b| u64::from(b - b'0'));
        ms = ms * 10 + digit;
    }
    whole.checked_mul(1000)?.checked_add(ms)
}

fn leading_int(bytes: &[u8]) -> Option<i64> {
    let (neg, digits) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        _ => (false, bytes),
    };
    let end = digits
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    let n: i64 = std::str::from_utf8(&digits[..end]).ok()?.parse().ok()?;
    Some(if neg { -n } else { n })
}

/// The UUID an input's file name ends with (`rollout-…-<uuid>.jsonl`), if any.
fn uuid_suffix(file: &str) -> Option<String> {
    let name = file.rsplit(['/', '\\']).next()?;
    let stem = name.strip_suffix(".jsonl").unwrap_or(name);
    let b = stem.as_bytes();
    let candidate = b.get(b.len().checked_sub(36)?..)?;
    let uuid = candidate.iter().enumerate().all(|(i, &c)| match i {
        8 | 13 | 18 | 23 => c == b'-',
        _ => c.is_ascii_hexdigit(),
    });
    uuid.then(|| String::from_utf8_lossy(candidate).into_owned())
}

/// The event for a line that is not valid JSON (reasons and words as Claude Code's decoder).
fn json_error<'e>(source: Source<'e>, line: &Line<'_>, err: &serde_json::Error) -> Event<'e> {
    use serde_json::error::Category;
    let len = line.bytes.len() as u64;
    // serde_json counts columns in bytes on a one-line input; a line cut off is at its end.
    let at = if err.classify() == Category::Eof {
        line.offset + len
    } else {
        line.offset + (err.column().saturating_sub(1) as u64).min(len)
    };
    let nul = memchr::memchr(0, line.bytes).is_some();
    let words = super::json_error_text(err);
    let (reason, message) = match err.classify() {
        Category::Eof if !line.terminated => (
            MalformedReason::Truncated,
            format!(
                "input ends inside this line ({words}); it was cut off or is still being written"
            ),
        ),
        _ if nul => (
            MalformedReason::NulBytes,
            format!("NUL bytes in the line: invalid JSON ({words})"),
        ),
        Category::Eof | Category::Syntax | Category::Io => (
            MalformedReason::InvalidJson,
            format!("invalid JSON: {words}"),
        ),
        Category::Data => (
            MalformedReason::UnexpectedShape,
            format!("not a rollout record: {words}"),
        ),
    };
    malformed(Agent::Codex, source, reason, message, at, len, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn record_kinds() {
        let tc = json!({"timestamp":"t","type":"event_msg","payload":{"type":"token_count"}});
        assert_eq!(record_kind(&tc).as_deref(), Some("event_msg/token_count"));
        let fc = json!({"type":"response_item","payload":{"type":"function_call"}});
        assert_eq!(
            record_kind(&fc).as_deref(),
            Some("response_item/function_call")
        );
        let tcx = json!({"type":"turn_context","payload":{"model":"gpt-5"}});
        assert_eq!(record_kind(&tcx).as_deref(), Some("turn_context"));
        let st = json!({"record_type":"state"});
        assert_eq!(record_kind(&st).as_deref(), Some("record_type/state"));
        let header = json!({"id":"x","timestamp":"t","instructions":"","git":null});
        assert_eq!(record_kind(&header).as_deref(), Some("header"));
        let bare = json!({"type":"reasoning","id":"rs_1","summary":[]});
        assert_eq!(record_kind(&bare).as_deref(), Some("reasoning"));
        assert_eq!(record_kind(&json!([1])), None);
    }

    #[test]
    fn cli_versions() {
        let meta = json!({"type":"session_meta","payload":{"id":"a","cli_version":"0.77.0"}});
        assert_eq!(cli_version(&meta).as_deref(), Some("0.77.0"));
        let other = json!({"type":"turn_context","payload":{"cli_version":"1"}});
        assert_eq!(cli_version(&other), None);
        let legacy = json!({"id":"a","timestamp":"t","instructions":""});
        assert_eq!(cli_version(&legacy), None);
    }

    #[test]
    fn sniffs_both_generations_and_not_claude() {
        assert!(sniff(
            br#"{"timestamp":"t","type":"session_meta","payload":{"id":"a"}}"#
        ));
        assert!(sniff(
            br#"{"timestamp":"t","type":"event_msg","payload":{"type":"token_count"}}"#
        ));
        assert!(sniff(
            br#"{"id":"a","timestamp":"t","instructions":"x","git":null}"#
        ));
        assert!(sniff(br#"{"record_type":"state"}"#));
        assert!(sniff(br#"{"type":"message","role":"user","content":[]}"#));
        assert!(!sniff(
            br#"{"type":"user","sessionId":"s","uuid":"u","message":{}}"#
        ));
        assert!(!sniff(
            br#"{"type":"summary","summary":"x","leafUuid":"u"}"#
        ));
        assert!(!sniff(
            br#"{"type":"session_meta","payload":{},"sessionId":"s"}"#
        ));
        assert!(!sniff(b"not json"));
    }

    #[test]
    fn output_exit_codes() {
        let raw = |s: &str| RawValue::from_string(s.to_owned()).unwrap();
        assert!(!output_failed(&raw(
            r#""Exit code: 0\nWall time: 0 seconds""#
        )));
        assert!(output_failed(&raw(
            r#""Exit code: 127\nWall time: 0 seconds""#
        )));
        assert!(output_failed(&raw(
            r#""{\"output\":\"x\",\"metadata\":{\"exit_code\":1,\"duration_seconds\":0.2}}""#
        )));
        assert!(!output_failed(&raw(
            r#""{\"output\":\"x\",\"metadata\":{\"exit_code\":0,\"duration_seconds\":0.2}}""#
        )));
        assert!(!output_failed(&raw(
            r#"[{"type":"input_text","text":"x"}]"#
        )));
    }

    #[test]
    fn output_durations() {
        let raw = |s: &str| RawValue::from_string(s.to_owned()).unwrap();
        let d = |s: &str| output_duration_ms(&raw(s));
        // Each shape of the corpus (FORMAT.md §1.3), as written.
        assert_eq!(
            d(r#""{\"output\":\"x\",\"metadata\":{\"exit_code\":0,\"duration_seconds\":1.5}}""#),
            Some(1500)
        );
        assert_eq!(
            d(r#""Exit code: 0\nWall time: 2.2 seconds\nOutput:\nx""#),
            Some(2200)
        );
        assert_eq!(
            d(r#""Exit code: 0\nWall time: 0 seconds\nOutput:\n""#),
            Some(0)
        );
        assert_eq!(
            d(
                r#""Chunk ID: e51b9b\nWall time: 0.0525 seconds\nProcess exited with code 0\nOutput:\n""#
            ),
            Some(52)
        );
        assert_eq!(
            d(
                r#"[{"type":"input_text","text":"Script completed\nWall time 10.1 seconds\nOutput:\n"},{"type":"input_text","text":"{}"}]"#
            ),
            Some(10100)
        );
        assert_eq!(
            d(r#""Wall time: 17.0 seconds\naborted by user""#),
            Some(17000)
        );
        assert_eq!(d(r#""aborted by user after 77.1s""#), Some(77100));
        // A command's own output saying "Wall time" is not the header's.
        assert_eq!(d(r#""Exit code: 0\nOutput:\nWall time: 3 seconds""#), None);
        assert_eq!(d(r#""the Wall time: 3 seconds""#), None);
        // A nested object's member is not the metadata's.
        assert_eq!(
            d(r#""{\"output\":\"{\\\"duration_seconds\\\":9}\",\"metadata\":{\"exit_code\":0}}""#),
            None
        );
        assert_eq!(d(r#""Plan updated""#), None);
        assert_eq!(seconds_to_ms(b"0.0009"), Some(0));
        assert_eq!(seconds_to_ms(b"1e-2}}"), Some(10));
        assert_eq!(seconds_to_ms(b"-1"), None);
        assert_eq!(seconds_to_ms(b"99999999999999999999"), None);
    }

    #[test]
    fn uuid_from_file_names() {
        assert_eq!(
            uuid_suffix("a/rollout-2025-12-25T22-45-23-019b55c1-d022-7061-bbb9-b0c90708472b.jsonl")
                .as_deref(),
            Some("019b55c1-d022-7061-bbb9-b0c90708472b")
        );
        assert_eq!(uuid_suffix("codex-session.jsonl"), None);
    }

    #[test]
    fn a_totals_only_request_read_from_the_middle_has_no_earlier_totals_to_subtract() {
        // Line 24 of the real 0.98.0 rollout (fixtures/agents/codex/nileshteji…, its second
        // request) without `last_token_usage`: read from the file's start its request is the
        // difference from zero (the whole totals, as the file's first request is measured);
        // read as the first line of a follower started in the middle, unknown.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/agents/codex/nileshteji__rig__codex__sessions__2026__02__09__rollout-2026-02-09T23-00-30-019c4374-701c-7042-aa87-dcedb8f04ede.jsonl"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let line = text.lines().nth(23).unwrap();
        let at = line.find(r#","last_token_usage":"#).unwrap();
        let end = at + line[at..].find('}').unwrap() + 1;
        let line = format!("{}{}", &line[..at], &line[end..]);
        assert!(line.contains(r#""total_tokens":59357},"model_context_window""#));
        for (offset, unknown) in [(0, false), (51_754, true)] {
            let mut d = Decoder::default();
            let mut got: Vec<(Tokens, Option<Unread>)> = Vec::new();
            let mut problems = 0;
            let input = Line {
                bytes: line.as_bytes(),
                number: 1,
                offset,
                terminated: true,
            };
            let _ = d.line("f", input, &mut |e: Event<'_>| {
                match e.kind {
                    EventKind::Usage { tokens, unread, .. } => got.push((tokens, unread)),
                    EventKind::Malformed(_) => problems += 1,
                    _ => {}
                }
                ControlFlow::Continue(())
            });
            let (tokens, unread) = got[0];
            assert_eq!(got.len(), 1);
            if unknown {
                assert_eq!(
                    (tokens, unread, problems),
                    (Tokens::default(), Some(Unread::Cumulative), 1)
                );
            } else {
                assert_eq!(
                    (tokens.input, tokens.cache_read, tokens.output),
                    (59_099 - 32_896, 32_896, 258)
                );
                assert_eq!((unread, problems), (None, 0));
            }
        }
    }

    #[test]
    fn injected_context_is_not_a_prompt() {
        let t = |s: &'static str| Text::Plain(Cow::Borrowed(s));
        assert!(is_injected(&t("<environment_context>\n  <cwd>/x</cwd>")));
        assert!(is_injected(&t("# AGENTS.md instructions for /x")));
        assert!(!is_injected(&t("fix the bug")));
        assert!(!is_injected(&t("< 3 items please")));
    }
}
