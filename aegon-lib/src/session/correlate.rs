//! The little state the event stream needs across lines.
//!
//! - **Each entry once, by its identity.** A line is its `uuid`, a tool call its `tool_use`
//!   id, a tool result the call id it answers, an API response its `message.id` (with its
//!   prompt size and session when the id is too short to be one response's, a relay's
//!   constant; without it its `requestId`, without both its line's `uuid`:
//!   [`ResponseIdentity`], whatever subset of the response's lines carries a `requestId`). A
//!   line met before
//!   (by its uuid) of such a response not met in its session is a copy (a resumed session's,
//!   under another session id) that counts nothing either. A line whose `uuid` was seen before (an entry written again: re-appended lines, a resumed
//!   session copied into a new file, the same session in two files) yields no event but its
//!   usage's increase (below); nor does a tool call or result whose id was seen before. A Claude Code line
//!   without `uuid` (`file-history-snapshot`, `queue-operation`, `summary`, `permission-mode`,
//!   `ai-title`… records) is known by its bytes and its place: the uuid of the line before it
//!   that had one ([`bare_line_identity`], given by the pipeline through
//!   [`Correlator::set_bare_line`]). The second copy of a file, or a resumed session's copy of
//!   a snapshot, is a repeat, while a state line Claude Code writes again later in one file
//!   (the same `permission-mode` after a change and back) is not. The first occurrence
//!   on the stream counts; [`Correlator::repeated_lines`] counts the rest. (`--summary` over
//!   files decides "first" by a rule that does not depend on the order they are read in:
//!   see [`Correlator::with_skipped`], [`Correlator::with_counted`] and the binary's
//!   `parallel` module.)
//! - **Usage once per response.** Claude Code writes one API response as several lines sharing
//!   `message.id` (and `requestId`, on all or some of them), each repeating the usage; older
//!   builds write a growing `output_tokens` snapshot. The [`Correlator`] keeps, per response,
//!   the largest count seen of each field and lets through only the increase: the first line's usage as is, later lines'
//!   usage only where a count grew (marked `increment`), nothing where none did. Summing any
//!   field over the stream's usage events gives the deduplicated total (FORMAT.md §6). Cache
//!   writes are a number of writes and their 1-hour share ([`Tokens::max`]): a later line
//!   that says writes counted before as 5-minute ones were 1-hour ones adds no writes, and
//!   carries the move ([`Repriced::moved_to_1h`]).
//! - **One price per response.** An increment carries the response's price factors as its
//!   lines so far state them ([`PriceFactors::merge`]: the last speed, tier and geo stated,
//!   the largest prompt), not its own line's, so it is priced like its response. When they
//!   change what the response's earlier events were priced with (Claude Code 2.1.77 and
//!   2.1.92 write `speed` on a response's last line only: its first line, with the input and
//!   cache tokens, said none), the increment carries the re-pricing ([`Repriced`]): its cost is
//!   the response's whole cost less what was counted before, so the costs of a stream's usage
//!   events still add up to the cost of its responses, each priced as a whole, in every view.
//!   Responses counted elsewhere ([`Correlator::with_counted`]) are known by their counts
//!   only: an increment of one carries its own line's factors.
//!   This holds whatever line carries the usage:
//!   a line whose `uuid` repeats an earlier one (the same line written again with the final
//!   usage, a resumed copy that carries it) yields none of its other events, but its usage
//!   goes through the same rule (an increment where a count grew, nothing otherwise; a
//!   response not met before, under a reused uuid, counts as new). Lines repeated byte for
//!   byte never reach the correlator (the pipeline knows them by their bytes) and need not:
//!   the same bytes carry the same usage.
//! - **Tool timing.** A result is matched to its call by `tool_use_id`; it gets the tool's name
//!   and the time from call to result.
//!
//! Memory: about 64 bytes per distinct API response (a 64-bit hash of its key and its counts)
//! and about 16 bytes per line uuid and tool call id (64-bit hashes), for the latest million
//! or so of each, plus the tool calls still waiting for their result; when recording
//! ([`Correlator::record_identities`]), 8 bytes per identity and about 64 per response met.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};

use crate::hashing::{Generations, PassThroughHasher};

use crate::event::{Event, EventKind, ResponseIdentity};
use crate::timestamp::parse_millis;
use crate::tokens::{PriceFactors, Repriced, Tokens};

/// Calls waiting for a result beyond which the oldest bookkeeping is dropped (calls left open by
/// interrupted sessions would otherwise accumulate forever).
const MAX_PENDING_CALLS: usize = 100_000;

/// A tool call seen on the stream, waiting for its result.
#[derive(Debug)]
struct PendingCall {
    tool: Box<str>,
    started_ms: Option<i64>,
}

/// Cross-line bookkeeping for the event stream. See the [module documentation](self).
#[derive(Debug)]
pub struct Correlator {
    /// Usage seen per API response, for the latest [`RESPONSES_REMEMBERED`] or so (the lines
    /// of one response are written together, so a long-running follow need not remember every
    /// response it ever saw), with the factors they were priced with.
    responses: Generations<Seen>,
    /// By call id, hashed by foldhash (seeded per process, as hashbrown's default) rather
    /// than std's SipHash: a call id is hashed twice (call and result), on every tool call.
    calls: HashMap<Box<str>, PendingCall, foldhash::fast::RandomState>,
    /// Identities of lines, tool calls and tool results seen (64-bit hashes).
    seen: Generations<()>,
    /// Identities that count elsewhere: their entries are skipped (see [`Correlator::with_skipped`]).
    skipped: HashSet<u64, BuildHasherDefault<PassThroughHasher>>,
    /// Usage that counts elsewhere, by response: only a line's increase over it passes (see
    /// [`Correlator::with_counted`]). Grows to the largest counts met here too.
    counted: HashMap<u64, Tokens, BuildHasherDefault<PassThroughHasher>>,
    /// Every identity met for the first time, in order, when asked for.
    recorded: Option<Vec<u64>>,
    /// The largest counts met of each response, when asked for.
    recorded_responses: Option<HashMap<u64, Tokens, BuildHasherDefault<PassThroughHasher>>>,
    /// Whether the line being decoded repeats an earlier one.
    line: LineState,
    /// The identity of the uuid the line being decoded was checked by, once it was.
    line_identity: Option<u64>,
    /// The identity the line being decoded has when it carries no uuid, when known
    /// ([`Correlator::set_bare_line`]).
    bare_line: Option<u64>,
    repeated_lines: u64,
}

/// What the stream has counted of one API response: the largest counts of its lines
/// ([`Tokens::max`]) and the factors they were priced with ([`PriceFactors::merge`] of its
/// lines').
#[derive(Debug)]
struct Seen {
    tokens: Tokens,
    factors: PriceFactors,
}

/// What is known of the line whose events are being applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineState {
    /// No event of it yet.
    Unchecked,
    /// Its first event carried a new uuid, or none.
    Fresh,
    /// Its uuid was seen before: its events are dropped, but for its usage's increase.
    Repeated,
}

/// API responses whose usage the correlator remembers, to count only what a later line of
/// the same response adds: the latest 28,672 (two tables of 2¹⁴ slots of 137 bytes, counts
/// and price factors: 4.5 MB).
/// The lines of one response are written together, so this is far more than needed; a
/// response met again after it was forgotten here is still known as seen ([`IDENTITIES_REMEMBERED`])
/// and yields nothing.
pub const RESPONSES_REMEMBERED: usize = 2 * 14_336;

/// Line uuids, tool call and result ids and API responses the correlator remembers, as 64-bit
/// hashes: the latest 458,752 (two tables of 2¹⁸ slots of 9 bytes: 4.7 MB), about 200,000
/// lines or 400 MB of transcripts. An entry repeated further back than that (a session
/// copied long after, in a stream) is counted again; the parallel `--summary` and `aegon
/// usage` do not forget. Chosen so that the filter's memory stays under 20 MB whatever the
/// input (issue 14).
pub const IDENTITIES_REMEMBERED: usize = 2 * 229_376;

impl Default for Correlator {
    fn default() -> Self {
        Correlator {
            responses: Generations::with_limit(Some(RESPONSES_REMEMBERED)),
            calls: HashMap::default(),
            seen: Generations::with_limit(Some(IDENTITIES_REMEMBERED)),
            skipped: HashSet::default(),
            counted: HashMap::default(),
            recorded: None,
            recorded_responses: None,
            line: LineState::Unchecked,
            line_identity: None,
            bare_line: None,
            repeated_lines: 0,
        }
    }
}

impl Correlator {
    /// A correlator with nothing seen yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A correlator that treats the entries with these identities (from
    /// [`Correlator::take_recorded`] of another read) as already counted elsewhere: their
    /// lines, calls and results yield no event (a line's usage still passes its increase: see
    /// [`Correlator::with_counted`]).
    pub fn with_skipped(skipped: impl IntoIterator<Item = u64>) -> Self {
        Correlator {
            skipped: skipped.into_iter().collect(),
            ..Self::default()
        }
    }

    /// This correlator, treating the API responses given (response key → largest counts, from
    /// [`Correlator::take_recorded_responses`] of other reads) as counted elsewhere up to
    /// those counts: a line of one yields only its increase over them, as an increment, as it
    /// would if the other reads had come first on the same stream. Kept whole, never
    /// forgotten.
    pub fn with_counted(mut self, counted: impl IntoIterator<Item = (u64, Tokens)>) -> Self {
        self.counted.extend(counted);
        self
    }

    /// From now on treats these entries (identities from [`Correlator::take_recorded`]) and
    /// API responses (from [`Correlator::take_recorded_responses`]) as counted elsewhere, as
    /// [`Correlator::with_skipped`] and [`Correlator::with_counted`] do at the start: for a
    /// stream that learns mid-way of files read quietly apart (`aegon watch` reads the older
    /// files of a project before a session file of it, so that a resumed session's copies of
    /// their lines count where they first occurred). A response already counted here keeps
    /// the larger counts, so a later line of it passes only what grew over both. Kept whole,
    /// never forgotten (8 bytes per identity, about 64 per response).
    pub fn count_elsewhere(
        &mut self,
        skipped: impl IntoIterator<Item = u64>,
        counted: impl IntoIterator<Item = (u64, Tokens)>,
    ) {
        self.skipped.extend(skipped);
        for (key, tokens) in counted {
            let here = self
                .responses
                .get(&key)
                .map_or_else(Tokens::default, |s| s.tokens);
            let most = self.counted.entry(key).or_default();
            *most = most.max(tokens).max(here);
        }
    }

    /// Starts recording the identity of every entry met for the first time (line uuids, tool
    /// call and result ids, lines without uuid), as 64-bit hashes, for
    /// [`Correlator::take_recorded`], and the largest counts met of each API response, for
    /// [`Correlator::take_recorded_responses`].
    pub fn record_identities(&mut self) {
        self.recorded.get_or_insert_with(Vec::new);
        self.recorded_responses.get_or_insert_with(HashMap::default);
    }

    /// The identities recorded since [`Correlator::record_identities`], in the order met.
    pub fn take_recorded(&mut self) -> Vec<u64> {
        self.recorded.take().unwrap_or_default()
    }

    /// The API responses met since [`Correlator::record_identities`], each with the largest
    /// of each count over all its lines met (repeated lines included), in no given order:
    /// what [`Correlator::with_counted`] takes.
    pub fn take_recorded_responses(&mut self) -> Vec<(u64, Tokens)> {
        self.recorded_responses
            .take()
            .map(|r| r.into_iter().collect())
            .unwrap_or_default()
    }

    /// Lines skipped because their uuid (or, for a line without uuid, its identity from
    /// [`Correlator::set_bare_line`]) was seen before (or counts elsewhere).
    pub fn repeated_lines(&self) -> u64 {
        self.repeated_lines
    }

    /// Tells the correlator that the events that follow come from a new line.
    pub fn begin_line(&mut self) {
        self.line = LineState::Unchecked;
        self.line_identity = None;
        self.bare_line = None;
    }

    /// Whether applying `event` would decide, with no uuid to go by, whether its line repeats
    /// an earlier one: it is the line's first event that is not a problem report, and it
    /// carries no uuid. The caller then gives the line an identity of its own with
    /// [`Correlator::set_bare_line`] (if it has one) before [`Correlator::apply`].
    pub fn wants_bare_line(&self, event: &Event<'_>) -> bool {
        self.line == LineState::Unchecked
            && event.uuid.is_none()
            && !matches!(event.kind, EventKind::Malformed(_))
    }

    /// Gives the line being decoded, which carries no uuid, the identity `identity` (from
    /// [`bare_line_identity`]): its events are dropped, and it counts as repeated, when that
    /// identity was met before (or counts elsewhere), as for a line whose uuid was. Lasts until
    /// the next [`Correlator::begin_line`].
    pub fn set_bare_line(&mut self, identity: u64) {
        self.bare_line = Some(identity);
    }

    /// The identity of the uuid the current line's first event carried (the one checked to
    /// tell whether the line repeats an earlier one), once an event of it was applied; `None`
    /// before, and for a line without uuid.
    pub fn line_identity(&self) -> Option<u64> {
        self.line_identity
    }

    /// For a line known to carry the uuid of identity `identity` (from
    /// [`Correlator::line_identity`] of a line with the same bytes): when that uuid was met
    /// before (or counts elsewhere), counts the line as repeated, as applying its events
    /// would, and returns true; the line need not be decoded. Returns false, changing
    /// nothing, when the uuid is not known (any more): the line must be decoded.
    pub fn repeat_known_line(&mut self, identity: u64) -> bool {
        if self.skipped.contains(&identity) || self.seen.contains_key(&identity) {
            self.repeated_lines += 1;
            true
        } else {
            false
        }
    }

    /// Whether an event of a JSON document read again was met before: the `ordinal`-th event
    /// without an identity of its own ([`Correlator::has_identity`]) of the entry at byte
    /// `offset` of `file`. A document its agent rewrites keeps the place
    /// of what it held before (it grows at its end, or an entry gains members in place), so a
    /// document followed as it grows yields each of its events once. Notes it if not.
    pub fn seen_document_event(&mut self, file: &str, offset: u64, ordinal: u32) -> bool {
        let id = format!("{file}\u{0}{offset}\u{0}{ordinal}");
        self.known(identity(Entry::DocumentEvent, &id))
    }

    /// Whether `event` is counted once by an identity of its own (its line's `uuid`, a tool
    /// call's or result's id, an API response's [`ResponseIdentity`]), which
    /// [`Correlator::apply`] checks: an event of a document read again needs no place
    /// ([`Correlator::seen_document_event`]) then. Such an event may carry more than it did at
    /// its first reading (a response's usage grown: its increase passes, as an increment), so
    /// it must not be dropped for its place.
    pub fn has_identity(event: &Event<'_>) -> bool {
        event.uuid.is_some()
            || match &event.kind {
                EventKind::ToolCall { tool_use_id, .. }
                | EventKind::ToolResult { tool_use_id, .. } => tool_use_id.is_some(),
                EventKind::Usage { message_id, .. } => message_id.is_some(),
                _ => false,
            }
    }

    /// Whether `key` was met before (or counts elsewhere); notes it if not.
    fn known(&mut self, key: u64) -> bool {
        if self.skipped.contains(&key) || !self.seen.insert_if_absent(key, ()) {
            return true;
        }
        if let Some(recorded) = &mut self.recorded {
            recorded.push(key);
        }
        false
    }

    /// Updates the bookkeeping with `event` and completes it; returns false when the event
    /// carries nothing new and should be dropped: an event of a repeated line (but a usage
    /// whose counts grew), a repeated tool call or result, a usage whose response was met
    /// before with counts as large. Problem reports always pass; a usage that passes holds
    /// only what its response's counts grew by (`increment` then set), or the whole usage of
    /// a response not met before.
    pub fn apply(&mut self, event: &mut Event<'_>) -> bool {
        if matches!(event.kind, EventKind::Malformed(_)) {
            return true;
        }
        if self.line == LineState::Unchecked {
            let line = event
                .uuid
                .as_deref()
                .map(|uuid| identity(Entry::Line, uuid));
            self.line_identity = line;
            self.line = match line.or(self.bare_line) {
                Some(line) if self.known(line) => {
                    self.repeated_lines += 1;
                    LineState::Repeated
                }
                _ => LineState::Fresh,
            };
        }
        let repeated = self.line == LineState::Repeated;
        if repeated && !matches!(event.kind, EventKind::Usage { .. }) {
            return false;
        }
        match &mut event.kind {
            EventKind::Usage {
                message_id,
                request_id,
                tokens,
                increment,
                factors,
                repriced,
                unread,
                ..
            } => {
                // A line whose usage was not read whole passes even when it adds no count: its
                // response's cost is unknown whatever its other lines say (a damaged final line
                // of a streamed response may hold the largest counts).
                let damaged = unread.is_some();
                let identity = ResponseIdentity::of(
                    event.agent,
                    message_id.as_deref(),
                    request_id.as_deref(),
                    event.uuid.as_deref(),
                    (factors.prompt_tokens, event.session_id.as_deref()),
                );
                let short = matches!(identity, Some(ResponseIdentity::ShortMessage { .. }));
                let Some(key) = identity.map(response_key) else {
                    // Nothing to tell its response by: it counts with its line.
                    return !repeated;
                };
                if let Some(recorded) = &mut self.recorded_responses {
                    let most = recorded.entry(key).or_default();
                    *most = most.max(*tokens);
                }
                if let Some(seen) = self.counted.get_mut(&key) {
                    let before = *seen;
                    *seen = seen.max(*tokens);
                    let (delta, moved) = seen.increase_over(before);
                    *tokens = delta;
                    *increment = true;
                    if moved > 0 {
                        // The factors it was counted with elsewhere are not known: its own.
                        *repriced = Some(Box::new(Repriced {
                            before,
                            factors: factors.clone(),
                            moved_to_1h: moved,
                        }));
                    }
                    return !delta.is_zero() || moved > 0 || damaged;
                }
                match self.responses.get_mut(&key) {
                    // A line met before (its uuid) of a response under a relay's short id
                    // not met in this session: a copy in another session (a resumed
                    // session's), whose usage counted with the line's first occurrence.
                    None if short && repeated => false,
                    None => {
                        // Met before, and its usage since forgotten: a repeat (its lines were
                        // written together, long ago).
                        if !self.seen.insert_if_absent(key, ()) {
                            return false;
                        }
                        self.responses.insert(
                            key,
                            Seen {
                                tokens: *tokens,
                                factors: factors.clone(),
                            },
                        );
                        true
                    }
                    Some(seen) => {
                        pass_increase(seen, tokens, factors, repriced, increment) || damaged
                    }
                }
            }
            EventKind::ToolCall {
                tool_use_id: Some(id),
                tool,
                ..
            } => {
                if self.known(identity(Entry::ToolCall, id)) {
                    return false;
                }
                if self.calls.len() >= MAX_PENDING_CALLS {
                    self.calls.clear();
                }
                let started_ms = event.timestamp.as_deref().and_then(parse_millis);
                self.calls.insert(
                    Box::from(id.as_ref()),
                    PendingCall {
                        tool: Box::from(tool.as_ref()),
                        started_ms,
                    },
                );
                true
            }
            EventKind::ToolResult {
                tool_use_id: Some(id),
                tool,
                duration_ms,
                spawned_agent_id,
                raw_result,
                ..
            } => {
                if self.known(identity(Entry::ToolResult, id)) {
                    return false;
                }
                if let Some(call) = self.calls.remove(id.as_ref()) {
                    // Only a subagent call's result names the subagent it ran.
                    if matches!(&*call.tool, "Task" | "Agent") {
                        *spawned_agent_id =
                            raw_result
                                .filter(|raw| raw.starts_with('{'))
                                .and_then(|raw| {
                                    crate::format::claude::record::member_string(raw, "agentId")
                                });
                    }
                    let ended_ms = event.timestamp.as_deref().and_then(parse_millis);
                    // A duration the transcript records (Codex) wins over the timestamps.
                    if let (None, Some(start), Some(end)) =
                        (*duration_ms, call.started_ms, ended_ms)
                    {
                        // Lines are not strictly time-ordered; a result "before" its call took 0 ms.
                        *duration_ms = Some(end.saturating_sub(start).max(0) as u64);
                    }
                    *tool = Some(Cow::Owned(call.tool.into_string()));
                } else if let Some(raw) = raw_result.filter(|raw| raw.starts_with('{')) {
                    // Its call not seen (in another file read later, or a line before it): a
                    // result of a subagent call's shape (`agentId` beside `totalToolUseCount`,
                    // which only the Task/Agent tools write, or beside `isAsync` for one run in
                    // the background: `{"isAsync":true,"status":"async_launched","agentId":…}`,
                    // tester13 #3) still names the subagent it ran,
                    // so that whether a subagent is known does not depend on the order lines
                    // and files are read in (a subagent named and not read makes its
                    // session's cost a lower bound).
                    if raw.contains("\"totalToolUseCount\"") || raw.contains("\"isAsync\"") {
                        *spawned_agent_id =
                            crate::format::claude::record::member_string(raw, "agentId");
                    }
                }
                true
            }
            _ => true,
        }
    }

    /// Number of distinct API responses whose usage is remembered (at most about
    /// [`RESPONSES_REMEMBERED`]).
    pub fn responses_seen(&self) -> usize {
        self.responses.len()
    }

    /// Number of tool calls still waiting for their result.
    pub fn pending_calls(&self) -> usize {
        self.calls.len()
    }
}

/// For a usage `tokens` with price `factors` of a response counted so far as `seen`: raises
/// `seen` to the larger counts ([`Tokens::max`]) and the response's factors
/// ([`PriceFactors::merge`]), leaves in `tokens` what grew and in `factors` the response's,
/// marks it an `increment`, and when the response's factors changed or writes counted before
/// moved to the 1-hour ones, sets `repriced` to what was counted before and how. Returns
/// whether it carries anything: counts that grew, or a re-pricing.
fn pass_increase(
    seen: &mut Seen,
    tokens: &mut Tokens,
    factors: &mut PriceFactors,
    repriced: &mut Option<Box<Repriced>>,
    increment: &mut bool,
) -> bool {
    let grown = seen.tokens.max(*tokens);
    let (delta, moved) = grown.increase_over(seen.tokens);
    let mut merged = seen.factors.clone();
    merged.merge(factors);
    let before = std::mem::replace(&mut seen.tokens, grown);
    if merged != seen.factors || moved > 0 {
        let counted_with = std::mem::replace(&mut seen.factors, merged.clone());
        *repriced = Some(Box::new(Repriced {
            before,
            factors: counted_with,
            moved_to_1h: moved,
        }));
    }
    *factors = merged;
    *tokens = delta;
    *increment = true;
    !delta.is_zero() || repriced.is_some()
}

/// The kinds of entries identified by an id of their own.
#[derive(Debug, Clone, Copy, Hash)]
enum Entry {
    Line,
    ToolCall,
    ToolResult,
    DocumentEvent,
    BareLine,
}

/// The hasher of identities: foldhash's quality variant, with a fixed seed so that identities
/// agree between the correlators of one run (see [`Correlator::with_skipped`]). About a fifth
/// of the instructions of std's SipHash on a uuid; identities are compared within one process,
/// never stored.
fn identity_hasher() -> impl Hasher {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(0x5eed_ae90_1d3e_7117).build_hasher()
}

/// The identity of an entry: a 64-bit hash of its kind and id.
fn identity(entry: Entry, id: &str) -> u64 {
    let mut h = identity_hasher();
    2u8.hash(&mut h);
    entry.hash(&mut h);
    id.hash(&mut h);
    h.finish()
}

/// A 64-bit hash of a line's bytes, with the seed identities are hashed with (so that it
/// agrees between the correlators of one run): the key under which the pipeline counts how
/// often the same bytes came in one input (see [`bare_line_identity`]).
pub fn line_bytes_hash(bytes: &[u8]) -> u64 {
    let mut h = identity_hasher();
    bytes.hash(&mut h);
    h.finish()
}

/// The identity of a line without uuid: `after`, the identity of the uuid of the last line
/// before it in its input that had one (`None` before the first), the hash of its bytes
/// ([`line_bytes_hash`]) and `ordinal`, its rank among the lines of the same bytes since that
/// line (1 for the first). A line is the same entry as another when both hold the same bytes
/// at the same place in the conversation: the same file read twice, or copied, yields the same
/// identities, while a line written again later in one file (after other entries) stays a line
/// of its own.
pub fn bare_line_identity(after: Option<u64>, bytes_hash: u64, ordinal: u32) -> u64 {
    let mut h = identity_hasher();
    2u8.hash(&mut h);
    Entry::BareLine.hash(&mut h);
    after.hash(&mut h);
    bytes_hash.hash(&mut h);
    ordinal.hash(&mut h);
    h.finish()
}

/// The 64-bit key of a response's identity ([`ResponseIdentity`], the rule every view counts
/// responses by), hashed as identities are.
fn response_key(identity: ResponseIdentity<'_>) -> u64 {
    let mut h = identity_hasher();
    match identity {
        ResponseIdentity::Message { id, request } => {
            0u8.hash(&mut h);
            id.hash(&mut h);
            request.hash(&mut h);
        }
        ResponseIdentity::Request(request) => {
            3u8.hash(&mut h);
            request.hash(&mut h);
        }
        ResponseIdentity::Line(uuid) => {
            1u8.hash(&mut h);
            uuid.hash(&mut h);
        }
        ResponseIdentity::ShortMessage {
            id,
            prompt,
            session,
        } => {
            4u8.hash(&mut h);
            id.hash(&mut h);
            prompt.hash(&mut h);
            session.hash(&mut h);
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Source;
    use crate::format::claude::decode::bare_event;

    fn event(kind: EventKind<'static>, ts: &'static str) -> Event<'static> {
        let source = Source {
            file: "t",
            line: 1,
            offset: 0,
        };
        Event {
            timestamp: Some(Cow::Borrowed(ts)),
            ..bare_event(source, kind)
        }
    }

    fn usage(id: &'static str, output: u64) -> Event<'static> {
        event(
            EventKind::Usage {
                message_id: Some(Cow::Borrowed(id)),
                request_id: Some(Cow::Borrowed("req")),
                model: None,
                tokens: Tokens {
                    input: 3,
                    output,
                    cache_read: 100,
                    ..Tokens::default()
                },
                increment: false,
                factors: Default::default(),
                reasoning: None,
                unread: None,
                context: None,
                window: None,
                repriced: None,
            },
            "2026-01-01T00:00:00.000Z",
        )
    }

    fn tokens_of(e: &Event<'_>) -> Tokens {
        match e.kind {
            EventKind::Usage { tokens, .. } => tokens,
            _ => unreachable!(),
        }
    }

    #[test]
    fn a_response_counts_once_and_output_grows_to_its_maximum() {
        let mut c = Correlator::new();
        let mut total = Tokens::default();
        let mut kept = 0;
        for (id, out) in [("a", 10), ("a", 10), ("a", 441), ("b", 5), ("a", 300)] {
            let mut e = usage(id, out);
            if c.apply(&mut e) {
                kept += 1;
                total = total.saturating_add(tokens_of(&e));
            }
        }
        assert_eq!(kept, 3);
        assert_eq!(total.output, 441 + 5);
        assert_eq!(total.input, 6);
        assert_eq!(total.cache_read, 200);
        assert_eq!(c.responses_seen(), 2);
    }

    /// A response's price factors are the response's on its increments, and a later line
    /// that changes them carries what was counted before and how (tester16 #7: Claude Code
    /// 2.1.77 and 2.1.92 write `speed` on a response's last line only), in any order of its
    /// lines: summed, the stream's costs are the response's cost as a whole.
    #[test]
    fn an_increment_carries_its_response_s_factors_and_their_repricing() {
        use crate::session::pricing::Pricing;
        let line = |output: u64, speed: Option<&'static str>, split: Option<u64>| {
            let mut e = usage("a", output);
            if let EventKind::Usage {
                tokens,
                factors,
                model,
                ..
            } = &mut e.kind
            {
                *model = Some(Cow::Borrowed("claude-opus-4-6"));
                factors.speed = speed.map(Cow::Borrowed);
                factors.prompt_tokens = 1_103;
                tokens.cache_write_5m = 1_000;
                if let Some(one_hour) = split {
                    tokens.cache_write_5m -= one_hour;
                    tokens.cache_write_1h = one_hour;
                }
            }
            e
        };
        let pricing = Pricing::default();
        let stream_cost = |lines: Vec<Event<'static>>| {
            let mut c = Correlator::new();
            let (mut cost, mut total) = (0.0, Tokens::default());
            let mut last_speed = None;
            for mut e in lines {
                if c.apply(&mut e) {
                    cost += pricing.usage_cost(&e).expect("priced");
                    if let EventKind::Usage {
                        tokens,
                        repriced,
                        factors,
                        ..
                    } = &e.kind
                    {
                        let moved = repriced.as_ref().map_or(0, |r| r.moved_to_1h);
                        total = total.saturating_add(*tokens).moved_to_1h(moved);
                        last_speed = factors.speed.clone();
                    }
                }
            }
            (cost, total, last_speed)
        };
        let whole = |lines: &[(u64, Option<&'static str>, Option<u64>)]| {
            let (out, speed, split) = lines[lines.len() - 1];
            stream_cost(vec![line(out, speed, split)]).0
        };
        // Speed on the last line only.
        let lines = [(1, None, None), (500, Some("fast"), None)];
        let (cost, total, speed) =
            stream_cost(lines.iter().map(|&(o, s, w)| line(o, s, w)).collect());
        assert!(
            (cost - whole(&lines)).abs() < 1e-12,
            "{cost} vs {}",
            whole(&lines)
        );
        assert_eq!(speed.as_deref(), Some("fast"));
        assert_eq!(total.output, 500);
        // The last line first: the same.
        let (reordered, _, _) =
            stream_cost(vec![line(500, Some("fast"), None), line(1, None, None)]);
        assert!((reordered - whole(&lines)).abs() < 1e-12);
        // The 1-hour split on the last line only: the writes counted once, as 1-hour ones.
        let lines = [(1, None, None), (500, None, Some(1_000))];
        let (cost, total, _) = stream_cost(lines.iter().map(|&(o, s, w)| line(o, s, w)).collect());
        assert_eq!((total.cache_write_5m, total.cache_write_1h), (0, 1_000));
        assert!((cost - whole(&lines)).abs() < 1e-12);
        // Nothing new on a later line (its counts and factors those counted): no event.
        let mut c = Correlator::new();
        assert!(c.apply(&mut line(500, Some("fast"), None)));
        assert!(!c.apply(&mut line(500, None, None)));
        assert!(!c.apply(&mut line(400, Some("fast"), None)));
    }

    /// A response met again long after its usage was forgotten (more than
    /// [`RESPONSES_REMEMBERED`] responses later: a session copied far away in a stream) is
    /// still known as seen and yields nothing, while the usage kept stays bounded.
    #[test]
    fn a_response_met_again_after_its_usage_was_forgotten_counts_once() {
        let mut c = Correlator::new();
        let with_id = |n: usize, output: u64| {
            let mut e = usage("x", output);
            if let EventKind::Usage { message_id, .. } = &mut e.kind {
                *message_id = Some(Cow::Owned(format!("msg_{n}")));
            }
            e
        };
        let n = RESPONSES_REMEMBERED * 2;
        let mut kept = 0;
        for round in 0..2 {
            for i in 0..n {
                let mut e = with_id(i, 7);
                if c.apply(&mut e) {
                    assert_eq!(round, 0, "response {i} counted again");
                    kept += 1;
                }
            }
        }
        assert_eq!(kept, n);
        assert!(c.responses_seen() <= RESPONSES_REMEMBERED);
        // The newest responses' usage is still at hand: a later line of one adds what grew.
        let mut grown = with_id(n - 1, 10);
        assert!(c.apply(&mut grown));
        assert_eq!(tokens_of(&grown).output, 3);
    }

    /// A usage event of the line `uuid`, for the response `id` (`None`: no `message.id`).
    fn usage_on(uuid: &'static str, id: Option<&'static str>, output: u64) -> Event<'static> {
        let mut e = usage("x", output);
        e.uuid = Some(Cow::Borrowed(uuid));
        if let EventKind::Usage { message_id, .. } = &mut e.kind {
            *message_id = id.map(Cow::Borrowed);
        }
        e
    }

    /// `(passed, tokens, increment)` of applying `e` as the only event of a new line.
    fn apply_line(c: &mut Correlator, mut e: Event<'static>) -> (bool, Tokens, bool) {
        c.begin_line();
        let passed = c.apply(&mut e);
        match e.kind {
            EventKind::Usage {
                tokens, increment, ..
            } => (passed, tokens, increment),
            _ => (passed, Tokens::default(), false),
        }
    }

    /// tester5 finding 2: a line written again under the same uuid, only the later copy with
    /// the response's final usage. The copy yields none of its other events, but its usage's
    /// increase counts (FORMAT.md §6: a response's usage is the largest over its lines).
    #[test]
    fn a_repeated_line_passes_its_usage_increase_and_nothing_else() {
        let mut c = Correlator::new();
        let (passed, tokens, increment) = apply_line(
            &mut c,
            usage_on("a1", Some("msg_01RepeatedLineRepeatedLi"), 5),
        );
        assert!(passed && !increment);
        assert_eq!((tokens.input, tokens.output), (3, 5));
        // The copy: its text is dropped, its usage passes what grew.
        c.begin_line();
        let mut text = usage_on("a1", Some("msg_01RepeatedLineRepeatedLi"), 0);
        text.kind = EventKind::System {
            subtype: None,
            level: None,
            text: None,
            duration_ms: None,
        };
        assert!(!c.apply(&mut text));
        let mut copy = usage_on("a1", Some("msg_01RepeatedLineRepeatedLi"), 800);
        assert!(c.apply(&mut copy));
        let EventKind::Usage {
            tokens, increment, ..
        } = copy.kind
        else {
            unreachable!()
        };
        assert!(increment);
        assert_eq!(
            tokens,
            Tokens {
                output: 795,
                ..Tokens::default()
            }
        );
        assert_eq!(c.repeated_lines(), 1);
        // Written a third time: nothing grew, nothing passes.
        assert!(
            !apply_line(
                &mut c,
                usage_on("a1", Some("msg_01RepeatedLineRepeatedLi"), 800)
            )
            .0
        );
        // tester5 finding 6: the uuid reused for another response (another message id):
        // a response of its own, counted whole.
        let (passed, tokens, increment) = apply_line(
            &mut c,
            usage_on("a1", Some("msg_01OtherResponseOtherResp"), 7),
        );
        assert!(passed && !increment);
        assert_eq!((tokens.input, tokens.output), (3, 7));
        assert_eq!(c.repeated_lines(), 3);
    }

    /// tester5 finding 8: lines of one response without `message.id` (behind a gateway) share
    /// its `requestId`: one response. Without both, each line's uuid is a response.
    #[test]
    fn without_a_message_id_the_request_id_is_the_response() {
        let mut c = Correlator::new();
        assert!(!apply_line(&mut c, usage_on("a1", None, 5)).2);
        let (passed, tokens, increment) = apply_line(&mut c, usage_on("a2", None, 300));
        assert!(passed && increment);
        assert_eq!((tokens.input, tokens.output), (0, 295));
        assert_eq!(c.responses_seen(), 1);
        let mut c = Correlator::new();
        for uuid in ["a1", "a2"] {
            let mut e = usage_on(uuid, None, 5);
            if let EventKind::Usage { request_id, .. } = &mut e.kind {
                *request_id = None;
            }
            assert!(apply_line(&mut c, e).0);
        }
        assert_eq!(c.responses_seen(), 2);
    }

    /// tester7 finding 4: a response's lines are one response whichever of them carry its
    /// `requestId` (none, some, all; in any order), in Claude Code's format. Codex and OpenCode
    /// number requests under one message id: there the request id tells them apart.
    #[test]
    fn a_claude_response_is_its_message_id_whatever_lines_carry_the_request_id() {
        let with_request = |request: Option<&'static str>, output: u64| {
            let mut e = usage("m", output);
            if let EventKind::Usage { request_id, .. } = &mut e.kind {
                *request_id = request.map(Cow::Borrowed);
            }
            e
        };
        for order in [
            [None, Some("req"), None],
            [Some("req"), None, None],
            [None, None, Some("req")],
        ] {
            let mut c = Correlator::new();
            let mut total = Tokens::default();
            let mut calls = 0;
            for (i, request) in order.into_iter().enumerate() {
                let mut e = with_request(request, 10 + 100 * i as u64);
                if c.apply(&mut e) {
                    total = total.saturating_add(tokens_of(&e));
                    if let EventKind::Usage { increment, .. } = e.kind {
                        calls += u32::from(!increment);
                    }
                }
            }
            assert_eq!((calls, total.input, total.output), (1, 3, 210), "{order:?}");
            assert_eq!(c.responses_seen(), 1);
        }
        for agent in [crate::Agent::Codex, crate::Agent::OpenCode] {
            let mut c = Correlator::new();
            for request in [Some("step 0"), None] {
                let mut e = with_request(request, 10);
                e.agent = agent;
                assert!(
                    c.apply(&mut e),
                    "{agent:?}: {request:?} is a request of its own"
                );
            }
            assert_eq!(c.responses_seen(), 2);
        }
    }

    /// What the parallel `--summary` relies on: the largest counts of each response recorded
    /// over a read, handed to another read, let only the increase through there.
    #[test]
    fn usage_counted_elsewhere_passes_only_its_increase() {
        let mut first = Correlator::new();
        first.record_identities();
        for (uuid, output) in [("a1", 5), ("a2", 40), ("a3", 20)] {
            apply_line(&mut first, usage_on(uuid, Some("m"), output));
        }
        let _ = apply_line(&mut first, usage_on("b1", Some("n"), 9));
        let mut recorded = first.take_recorded_responses();
        recorded.sort_unstable_by_key(|&(_, t)| t.output);
        assert_eq!(
            recorded.iter().map(|(_, t)| t.output).collect::<Vec<_>>(),
            [9, 40]
        );
        let m = recorded[1];
        let mut second = Correlator::with_skipped([]).with_counted([m]);
        second.record_identities();
        // A line of it with a smaller count than counted elsewhere: nothing.
        assert!(!apply_line(&mut second, usage_on("c1", Some("m"), 30)).0);
        let (passed, tokens, increment) = apply_line(&mut second, usage_on("c2", Some("m"), 100));
        assert!(passed && increment);
        assert_eq!(tokens.output, 60);
        assert_eq!(tokens.input, 0);
        assert!(!apply_line(&mut second, usage_on("c3", Some("m"), 100)).0);
        // Another response is new here, counted whole.
        let (passed, _, increment) = apply_line(&mut second, usage_on("c4", Some("n"), 9));
        assert!(passed && !increment);
        assert_eq!(
            second
                .take_recorded_responses()
                .iter()
                .map(|(_, t)| t.output)
                .max(),
            Some(100)
        );
    }

    /// What `aegon watch` relies on: entries and responses read quietly apart, handed over
    /// mid-stream, count elsewhere from then on; a response already counted on the stream
    /// passes only what grows over both.
    #[test]
    fn counted_elsewhere_mid_stream() {
        let mut quiet = Correlator::new();
        quiet.record_identities();
        apply_line(&mut quiet, usage_on("q1", Some("m"), 40));
        apply_line(&mut quiet, usage_on("q2", Some("n"), 10));
        let mut stream = Correlator::new();
        // Met on the stream before the quiet read is handed over: counted here, 50.
        assert!(apply_line(&mut stream, usage_on("s1", Some("n"), 50)).0);
        stream.count_elsewhere(quiet.take_recorded(), quiet.take_recorded_responses());
        // The quiet read's line again (a resumed copy): nothing, its usage no larger.
        assert!(!apply_line(&mut stream, usage_on("q1", Some("m"), 40)).0);
        // Its response on another line with more output: only the increase.
        let (passed, tokens, increment) = apply_line(&mut stream, usage_on("s2", Some("m"), 70));
        assert!(passed && increment);
        assert_eq!(tokens.output, 30);
        // The response counted here at 50 stays at 50 (not the quiet read's 10).
        assert!(!apply_line(&mut stream, usage_on("s3", Some("n"), 50)).0);
        let (passed, tokens, _) = apply_line(&mut stream, usage_on("s4", Some("n"), 55));
        assert!(passed);
        assert_eq!(tokens.output, 5);
    }

    #[test]
    fn results_get_tool_name_and_duration() {
        let mut c = Correlator::new();
        let mut call = event(
            EventKind::ToolCall {
                message_id: None,
                tool_use_id: Some(Cow::Borrowed("t1")),
                tool: Cow::Borrowed("Bash"),
                input: None,
            },
            "2026-01-01T00:00:00.000Z",
        );
        assert!(c.apply(&mut call));
        let mut result = event(
            EventKind::ToolResult {
                tool_use_id: Some(Cow::Borrowed("t1")),
                is_error: false,
                tool: None,
                duration_ms: None,
                content: None,
                spawned_agent_id: None,
                raw_result: None,
            },
            "2026-01-01T00:00:01.250Z",
        );
        assert!(c.apply(&mut result));
        match &result.kind {
            EventKind::ToolResult {
                tool, duration_ms, ..
            } => {
                assert_eq!(tool.as_deref(), Some("Bash"));
                assert_eq!(*duration_ms, Some(1250));
            }
            _ => unreachable!(),
        }
        assert_eq!(c.pending_calls(), 0);
    }

    /// A line of a relay session (tester16 #3, ccusage#1635: every response under one short
    /// `message.id`, no `requestId`): `uuid`, session `session`, the id `id`, a prompt of
    /// `prompt` uncached input tokens and `output` output tokens, as Claude Code writes it
    /// (the line's price factors state the prompt size).
    fn relay(
        uuid: &'static str,
        session: &'static str,
        id: &'static str,
        prompt: u64,
        output: u64,
    ) -> Event<'static> {
        let mut e = usage_on(uuid, Some(id), output);
        e.session_id = Some(Cow::Borrowed(session));
        if let EventKind::Usage {
            tokens,
            factors,
            request_id,
            ..
        } = &mut e.kind
        {
            *request_id = None;
            *tokens = Tokens {
                input: prompt,
                output,
                ..Tokens::default()
            };
            factors.prompt_tokens = prompt;
        }
        e
    }

    /// Under a relay's short id (`"ocgo"`, `""`), a response is the id, its prompt size and
    /// its session: streamed lines of one response (same prompt, output growing) merge, the
    /// next request (a larger prompt) is a response of its own, and so is one of another
    /// session with a prompt of the same size.
    #[test]
    fn a_relay_short_id_is_one_response_per_prompt_and_session() {
        for id in ["ocgo", ""] {
            let mut c = Correlator::new();
            // One response on two lines (a tool result may sit between them).
            let (passed, tokens, increment) = apply_line(&mut c, relay("u1", "s1", id, 1000, 1));
            assert!(passed && !increment && tokens.input == 1000, "{id:?}");
            let (passed, tokens, increment) = apply_line(&mut c, relay("u2", "s1", id, 1000, 100));
            assert!(passed && increment, "{id:?}");
            assert_eq!((tokens.input, tokens.output), (0, 99), "{id:?}");
            // The next request: a response of its own.
            let (passed, tokens, increment) = apply_line(&mut c, relay("u3", "s1", id, 2000, 200));
            assert!(passed && !increment && tokens.input == 2000, "{id:?}");
            // Another session's request of the same size: its own too.
            let (passed, _, increment) = apply_line(&mut c, relay("u4", "s2", id, 1000, 100));
            assert!(passed && !increment, "{id:?}");
            assert_eq!(c.responses_seen(), 3, "{id:?}");
        }
    }

    /// A 16-byte id is taken as the API's (whatever the prompt sizes of its lines, one
    /// response, as before); a 15-byte one as a relay's.
    #[test]
    fn ids_of_16_bytes_or_more_keep_the_message_id_rule() {
        let long = "msg_0123456789ab";
        assert_eq!(long.len(), crate::event::UNIQUE_ID_MIN);
        let mut c = Correlator::new();
        assert!(!apply_line(&mut c, relay("u1", "s1", long, 1000, 1)).2);
        assert!(apply_line(&mut c, relay("u2", "s1", long, 2000, 100)).2);
        let short = &long[1..];
        assert!(!apply_line(&mut c, relay("u3", "s1", short, 1000, 1)).2);
        assert!(!apply_line(&mut c, relay("u4", "s1", short, 2000, 100)).2);
    }

    /// A resumed session's copy (the same lines, uuids kept, under another session id) of a
    /// relay response counts nothing: the line counted where it was first met. A line
    /// written again in its own session still passes what grew.
    #[test]
    fn a_copy_of_a_relay_response_in_another_session_counts_nothing() {
        let mut c = Correlator::new();
        assert!(apply_line(&mut c, relay("u1", "s1", "ocgo", 1000, 1)).0);
        assert!(!apply_line(&mut c, relay("u1", "s2", "ocgo", 1000, 1)).0);
        let (passed, tokens, increment) = apply_line(&mut c, relay("u1", "s1", "ocgo", 1000, 50));
        assert!(passed && increment && tokens.output == 49);
        assert_eq!(c.repeated_lines(), 2);
    }

    /// A relay's placeholder lines (usage all 0, before each real line; ClaudeCodeUsage#18)
    /// are one response of their session (prompt size 0), of unknown cost: all-zero usage is
    /// also what a usage aegon cannot read gives (`usage: {}`, counts refused), which must
    /// stay a call of unknown cost, and the event does not tell the two apart.
    #[test]
    fn a_sessions_relay_placeholders_are_one_response() {
        let mut c = Correlator::new();
        let placeholder = |uuid| {
            let mut p = relay(uuid, "s1", "ocgo", 0, 0);
            if let EventKind::Usage { unread, .. } = &mut p.kind {
                *unread = Some(crate::tokens::Unread::NoCounts);
            }
            p
        };
        assert!(!apply_line(&mut c, placeholder("p1")).2);
        assert!(!apply_line(&mut c, relay("u1", "s1", "ocgo", 1000, 100)).2);
        // The next placeholder: what it adds is nothing, but its mark passes.
        let (passed, tokens, increment) = apply_line(&mut c, placeholder("p2"));
        assert!(passed && increment && tokens.is_zero());
        assert!(!apply_line(&mut c, relay("u2", "s1", "ocgo", 2000, 100)).2);
        assert_eq!(c.responses_seen(), 3);
    }
}
