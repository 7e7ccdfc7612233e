//! The dashboard's state: sessions, the feed, pull-request links and notices.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::ops::ControlFlow;
use std::sync::Arc;

use memchr::memmem;

use super::feed::{
    call_summary, ArgForm, CallId, Feed, FeedItem, KeyArg, NameId, RowOrigin, Summary,
    SummarySource, TextRange, NO_DURATION, NO_TIME, SUMMARY_COLUMNS,
};
use super::series::{ContextSample, Series, SessionSeries};
use super::usage::UsageData;
use crate::event::{Event, EventKind, Kind, KindSet};
use crate::render::plain::{
    key_argument_raw, plainly_not_blank, push_summary, text_summary_chars, KeyArgument,
    RESULT_SUMMARY_CHARS,
};
use crate::render::summary::apply_to_its_session;
use crate::render::text::{literal_summary_start_from, plain_ascii};
use crate::render::{Flow, Renderer};
use crate::session::pricing::Pricing;
use crate::session::Sessions;
use crate::timestamp::{clock_part, parse_millis};

/// Kinds shown in the feed by default: all but the chatter that says little to a person
/// (progress ticks, file snapshots, last-prompt and attachment records, token usage, which
/// the session panel sums up). Sessions are built from every event whatever the feed shows.
pub const FEED_KINDS: KindSet = KindSet::ALL
    .without(Kind::Progress)
    .without(Kind::FileSnapshot)
    .without(Kind::LastPrompt)
    .without(Kind::Attachment)
    .without(Kind::Usage);

/// Line uuids the sessions remember (to place `summary` titles): the latest 114,688 (two
/// tables of 2¹⁶ slots of 21 bytes: 2.8 MB; half a million took 22 MB), about 200 MB of
/// transcripts. A title whose leaf was forgotten is not placed.
pub const LINES_REMEMBERED: usize = 2 * 57_344;

/// Notices kept (the newest).
const NOTICES: usize = 50;

/// Pull-request links kept per session (the first seen).
const PULL_REQUESTS: usize = 8;

/// Tool calls whose key argument is remembered for the steps list (the latest).
const STEP_ARGUMENTS: usize = 4_096;

/// Characters of a key argument kept.
const STEP_ARGUMENT_CHARS: usize = 120;

/// Bytes of a tool call's input a feed row keeps as written, to find its key argument in when
/// the summary is written; of a longer input the key argument is found at once, and kept as
/// written (a JSON string literal) up to as many bytes, decoded when the summary is written;
/// of a longer one only the start the summary and the steps list read is decoded (at once).
const CALL_ARGUMENT_BYTES: usize = 1024;

/// The maps keyed by session and call ids: foldhash (seeded per process), a fraction of std's
/// SipHash per lookup on ids of 20 to 40 bytes.
type IdHasher = foldhash::fast::RandomState;

/// The time now, in milliseconds since the Unix epoch, as the dashboard sees it (a replay
/// runs its own clock).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system's clock.
pub fn system_clock() -> Clock {
    Arc::new(crate::timestamp::now_ms)
}

/// A pull request mentioned by a session (in a tool's output or the model's text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// `owner/repo#123`.
    pub label: String,
    /// `https://github.com/owner/repo/pull/123`.
    pub url: String,
}

/// Something the person should know that is not an event: a file that could not be read,
/// notifications falling back to polling, the end of a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// When it was noted (the dashboard's clock).
    pub at_ms: i64,
    /// What happened.
    pub text: String,
}

/// Everything the dashboard shows. See the [module documentation](super).
pub struct Dashboard {
    sessions: Sessions,
    feed: Feed,
    feed_kinds: KindSet,
    pull_requests: HashMap<String, Vec<PullRequest>, IdHasher>,
    /// Call id → what the call does (command, path, pattern), for the latest calls: the key
    /// argument as the call's row keeps it (a literal of [`CALL_ARGUMENT_BYTES`] at most, the
    /// same copy), or the first [`STEP_ARGUMENT_CHARS`] characters or more of a longer one
    /// (decoded and made inert when asked for).
    step_arguments: StepArguments,
    notices: VecDeque<Notice>,
    clock: Clock,
    events: u64,
    malformed: u64,
    generation: u64,
    status: Option<String>,
    /// The file of the previous event (as the feed names it) and its line, to number the
    /// events of one line.
    last_origin: Option<(NameId, u64, u32)>,
    /// The session id of the previous feed row (as the feed names it).
    last_session: Option<NameId>,
    /// Tokens per minute and context fill of the latest sessions.
    series: Series,
    /// The Usage view's figures, handed in by the binary.
    usage: UsageData,
    /// History is being read: feed rows are put by their time, not appended.
    history: bool,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard")
            .field("sessions", &self.sessions.len())
            .field("feed", &self.feed.len())
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

impl Default for Dashboard {
    fn default() -> Self {
        Self::new()
    }
}

impl Dashboard {
    /// An empty dashboard with the built-in prices and the system clock.
    pub fn new() -> Self {
        Self::with(Pricing::built_in(), system_clock())
    }

    /// An empty dashboard pricing with `pricing` and telling time with `clock`.
    pub fn with(pricing: Pricing, clock: Clock) -> Self {
        // The dashboard shows no cost per prompt: keep memory flat as prompts are read.
        let mut sessions = Sessions::with_pricing(pricing).without_prompt_costs();
        sessions.remember_lines(LINES_REMEMBERED);
        Dashboard {
            sessions,
            feed: Feed::new(),
            feed_kinds: FEED_KINDS,
            pull_requests: HashMap::default(),
            step_arguments: StepArguments::new(),
            notices: VecDeque::new(),
            clock,
            events: 0,
            malformed: 0,
            generation: 0,
            status: None,
            last_origin: None,
            last_session: None,
            series: Series::default(),
            usage: UsageData::NotRead,
            history: false,
        }
    }

    /// Whether the events applied from now on are history (`true`: files read one after the
    /// other, whose events are not in time order across files; each feed row is put among
    /// the others by its time) or live (`false`, the default: rows are appended as they come,
    /// whatever their time).
    pub fn set_history(&mut self, history: bool) {
        self.history = history;
    }

    /// Shows only these kinds in the feed (sessions still see every event).
    pub fn set_feed_kinds(&mut self, kinds: KindSet) {
        self.feed_kinds = kinds;
        self.generation += 1;
    }

    /// Replaces the clock (a replay sets its own).
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    /// The time now, by the dashboard's clock.
    pub fn now_ms(&self) -> i64 {
        (self.clock)()
    }

    /// The sessions.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// The feed.
    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    /// Pull requests a session mentioned, first seen first.
    pub fn pull_requests(&self, session: &str) -> &[PullRequest] {
        self.pull_requests.get(session).map_or(&[], Vec::as_slice)
    }

    /// What a recent tool call does (its command, path or pattern), by call id: its first
    /// 120 characters, made inert.
    pub fn step_argument(&self, call_id: &str) -> Option<String> {
        let text = self.step_arguments.get(call_id)?.text()?;
        Some(
            text.chars()
                .take(STEP_ARGUMENT_CHARS)
                .map(crate::render::text::inert_char)
                .collect(),
        )
    }

    /// Notices, oldest first.
    pub fn notices(&self) -> impl DoubleEndedIterator<Item = &Notice> {
        self.notices.iter()
    }

    /// Notes something that is not an event (shown in the footer, kept for the log).
    pub fn notice(&mut self, text: impl Into<String>) {
        if self.notices.len() == NOTICES {
            self.notices.pop_front();
        }
        let at_ms = self.now_ms();
        self.notices.push_back(Notice {
            at_ms,
            text: text.into(),
        });
        self.generation += 1;
    }

    /// What the source is doing, when worth saying (`reading history…`); `None` clears it.
    pub fn set_status(&mut self, status: Option<String>) {
        self.status = status;
        self.generation += 1;
    }

    /// The source's status.
    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    /// The time series of session `id` (tokens per minute, context fill), when it keeps one
    /// (the [`super::SERIES_SESSIONS`] most recently active sessions do).
    pub fn series(&self, id: &str) -> Option<&SessionSeries> {
        self.series.get(id)
    }

    /// What the Usage view shows.
    pub fn usage(&self) -> &UsageData {
        &self.usage
    }

    /// Hands the Usage view its figures (or why there are none).
    pub fn set_usage(&mut self, usage: UsageData) {
        self.usage = usage;
        self.generation += 1;
    }

    /// Events applied.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Lines that could not be read.
    pub fn malformed(&self) -> u64 {
        self.malformed
    }

    /// A number that changes whenever anything shown changes: draw again when it differs.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Applies one event: to its session, and to the feed if its kind is shown.
    pub fn apply(&mut self, event: &Event<'_>) {
        self.events += 1;
        self.generation += 1;
        let timestamp_ms = event.timestamp.as_deref().and_then(parse_millis);
        let now_ms = timestamp_ms.unwrap_or_else(|| self.now_ms());
        apply_to_its_session(&mut self.sessions, event, now_ms);
        self.note_series(event, now_ms);
        if let EventKind::Malformed(_) = event.kind {
            self.malformed += 1;
        }
        if let Some(id) = event.session_id.as_deref() {
            self.note_pull_requests(id, &event.kind);
        }
        // A call's key argument, one copy for both the steps list and the feed row, worked
        // out when shown: a short input is kept as written; a long one (a whole file being
        // written) is read now, its argument kept as written unless long too (then the start
        // of it that is shown is decoded).
        let argument: Option<KeyArg> = match &event.kind {
            EventKind::ToolCall {
                input: Some(input), ..
            } if input.get().len() <= CALL_ARGUMENT_BYTES => {
                Some(KeyArg::new(ArgForm::Input, input.get()))
            }
            EventKind::ToolCall {
                input: Some(input), ..
            } => match key_argument_raw(input.get()) {
                Some(KeyArgument::Literal(raw)) if raw.len() <= CALL_ARGUMENT_BYTES => {
                    Some(KeyArg::new(ArgForm::Literal, raw))
                }
                Some(KeyArgument::Literal(raw)) => {
                    // Decoded only as far as the row's summary and the steps list read it
                    // (the whole of a heredoc or a long prompt was decoded and copied).
                    let (start, _) = literal_summary_start_from(
                        raw,
                        STEP_ARGUMENT_CHARS,
                        usize::MAX,
                        SUMMARY_COLUMNS,
                    );
                    Some(KeyArg::new(ArgForm::Text, start))
                }
                Some(KeyArgument::Text(text)) => Some(KeyArg::new(ArgForm::Text, text)),
                None => None,
            },
            _ => None,
        };
        // The call id: the steps list keeps it in place (a short one), a row in the feed's
        // text.
        let call_id: Option<&str> = match &event.kind {
            EventKind::ToolCall { tool_use_id, .. } | EventKind::ToolResult { tool_use_id, .. } => {
                tool_use_id.as_deref()
            }
            _ => None,
        };
        if let (EventKind::ToolCall { .. }, Some(id), Some(argument)) =
            (&event.kind, call_id, &argument)
        {
            self.note_step_argument(CallId::new(id), argument);
        }
        let index = self.note_position(event);
        if self.feed_kinds.contains(event.kind()) {
            let origin = self.origin(event, index);
            let session = event
                .session_id
                .as_deref()
                .map(|id| match self.last_session {
                    Some(last) if self.feed.name_of(last) == id => last,
                    _ => {
                        let new = self.feed.name(id);
                        self.last_session = Some(new);
                        new
                    }
                });
            let summary = self.summary(event, argument);
            let agent = match (event.agent_id.as_deref(), event.sidechain) {
                (Some(agent), _) => self.feed.keep(&[agent]),
                (None, true) => self.feed.keep(&[crate::session::INLINE_SIDECHAIN]),
                (None, false) => TextRange::NONE,
            };
            let call_id = call_id.map_or(TextRange::NONE, |id| self.feed.keep(&[id]));
            let item = feed_item(
                event,
                timestamp_ms,
                origin,
                session,
                agent,
                summary,
                call_id,
            );
            if self.history {
                self.feed.insert_by_time(item);
            } else {
                self.feed.push(item);
            }
        }
    }

    /// Notes where `event` sits (its file and line, kept for the next event); returns its
    /// index within its line. The file is named in the feed's table when it changes.
    fn note_position(&mut self, event: &Event<'_>) -> u32 {
        let source = &event.source;
        match &mut self.last_origin {
            Some((file, line, index)) if self.feed.name_of(*file) == source.file => {
                *index = if *line == source.line { *index + 1 } else { 0 };
                *line = source.line;
                *index
            }
            _ => {
                let file = self.feed.name(source.file);
                self.last_origin = Some((file, source.line, 0));
                0
            }
        }
    }

    /// Where `event` sits, `index` its place in its line ([`Dashboard::note_position`]).
    fn origin(&mut self, event: &Event<'_>, index: u32) -> RowOrigin {
        let source = &event.source;
        let file = match self.last_origin {
            Some((file, _, _)) => file,
            None => self.feed.name(source.file),
        };
        RowOrigin {
            file,
            line: source.line,
            offset: source.offset,
            index,
        }
    }

    /// Tokens per minute and the context fill after `event` (at `at_ms`), for sessions named
    /// by the event (a line without a session id is left out of the series).
    fn note_series(&mut self, event: &Event<'_>, at_ms: i64) {
        let tokens = match &event.kind {
            EventKind::Usage { tokens, .. } => Some(*tokens),
            EventKind::Compact { .. } | EventKind::CompactSummary { .. } => None,
            _ => return,
        };
        let Some(id) = event.session_id.as_deref() else {
            return;
        };
        let context = self.sessions.get(id).and_then(|s| s.context.as_ref());
        let series = self.series.entry(id, at_ms);
        if let Some(t) = tokens {
            series.add_tokens(at_ms, t.total_input().saturating_add(t.output));
        }
        if let Some(c) = context {
            series.add_context(ContextSample::new(at_ms, c.tokens, c.window, c.compacted));
        }
    }

    /// A feed row's summary of `event`, or what to write it from when asked for;
    /// `argument` is a tool call's key argument.
    fn summary(&mut self, event: &Event<'_>, argument: Option<KeyArg>) -> Summary {
        let text = match &event.kind {
            EventKind::UserPrompt { text }
            | EventKind::UserMeta { text }
            | EventKind::CompactSummary { text }
            | EventKind::Interrupt { text, .. }
            | EventKind::AssistantText { text, .. } => Some(text),
            // Redacted and signature-only thinking are summed up at once.
            EventKind::Thinking {
                text,
                redacted: false,
                ..
            } if plainly_not_blank(text) => Some(text),
            _ => None,
        };
        if let Some(crate::text::Text::Json(raw)) = text {
            let need = text_summary_chars(SUMMARY_COLUMNS) + 1;
            let start =
                settled_start(raw, SUMMARY_COLUMNS, need).or_else(|| literal_start(raw, need));
            if let Some(start) = start {
                return Summary::later(SummarySource::Text(self.feed.keep(&start)));
            }
        }
        match &event.kind {
            EventKind::ToolCall { tool, .. }
                if argument
                    .as_ref()
                    .is_none_or(|a| a.len() <= CALL_ARGUMENT_BYTES) =>
            {
                let tool = self.feed.keep(&[tool]);
                return Summary::later(SummarySource::call(tool, argument));
            }
            EventKind::ToolCall { tool, .. } => {
                let argument = argument.as_ref().and_then(KeyArg::text);
                return Summary::Written(
                    self.feed
                        .keep_with(|out| call_summary(out, tool, argument.as_deref())),
                );
            }
            EventKind::ToolResult {
                tool_use_id,
                is_error,
                tool,
                duration_ms,
                content,
                ..
            } => {
                let content = match content {
                    None => Some(None),
                    Some(c) => {
                        settled_start(c.get(), RESULT_SUMMARY_CHARS, RESULT_SUMMARY_CHARS + 1)
                            .or_else(|| literal_start(c.get(), RESULT_SUMMARY_CHARS + 1))
                            .map(Some)
                    }
                };
                if let Some(content) = content {
                    let name = match (tool.as_deref(), tool_use_id.as_deref()) {
                        (Some(tool), _) => tool,
                        (None, Some(id)) => id,
                        (None, None) => "?",
                    };
                    let name = self.feed.keep(&[name]);
                    let content = content.map_or(TextRange::NONE, |c| self.feed.keep(&c));
                    return Summary::later(SummarySource::Result {
                        is_error: *is_error,
                        name,
                        duration_ms: duration_ms.map_or(NO_DURATION, |d| d.min(NO_DURATION - 1)),
                        content,
                    });
                }
            }
            _ => {}
        }
        // Written into the feed's text: no allocation of its own (1,067 rows of the shared
        // corpus are summed up here).
        Summary::Written(self.feed.keep_with(|out| match &event.kind {
            EventKind::Malformed(m) => {
                use std::fmt::Write as _;
                let _ = write!(
                    out,
                    "{}:{}: byte {}: {}",
                    event.source.file, event.source.line, m.error_offset, m.message
                );
            }
            kind => {
                push_summary(out, kind, SUMMARY_COLUMNS);
            }
        }))
    }

    fn note_step_argument(&mut self, id: CallId, argument: &KeyArg) {
        // Enough bytes for the characters shown (at most 4 bytes each); an input or a literal
        // is short (see `CALL_ARGUMENT_BYTES`) and the row's own copy.
        let keep = STEP_ARGUMENT_CHARS * 4;
        let argument = match argument {
            KeyArg {
                form: ArgForm::Text,
                text,
            } if text.len() > keep => {
                KeyArg::new(ArgForm::Text, &text[..floor_char_boundary(text, keep)])
            }
            kept => kept.clone(),
        };
        self.step_arguments.insert(id, argument);
    }

    /// The pull requests kept for `session`, an empty list made if none (the id copied only
    /// then).
    fn known_pull_requests(&mut self, session: &str) -> &mut Vec<PullRequest> {
        if !self.pull_requests.contains_key(session) {
            self.pull_requests.insert(session.to_owned(), Vec::new());
        }
        self.pull_requests
            .get_mut(session)
            .unwrap_or_else(|| unreachable!("inserted above"))
    }

    fn note_pull_requests(&mut self, session: &str, kind: &EventKind<'_>) {
        if let EventKind::PrLink {
            number,
            url,
            repository,
        } = kind
        {
            // Claude Code's own record of the link: the surest source, written again on
            // resume, so kept once.
            let Some(pr) = linked_pull_request(*number, url.as_deref(), repository.as_deref())
            else {
                return;
            };
            let known = self.known_pull_requests(session);
            if known.len() < PULL_REQUESTS && !known.contains(&pr) {
                known.push(pr);
            }
            return;
        }
        let haystack = match kind {
            EventKind::ToolResult {
                content: Some(c), ..
            } => c.get(),
            EventKind::AssistantText {
                text: crate::text::Text::Json(raw),
                ..
            } => raw,
            EventKind::AssistantText {
                text: crate::text::Text::Plain(text),
                ..
            } => text,
            _ => return,
        };
        let found = pull_request_links(haystack);
        if found.is_empty() {
            return;
        }
        let known = self.known_pull_requests(session);
        for pr in found {
            if known.len() < PULL_REQUESTS && !known.contains(&pr) {
                known.push(pr);
            }
        }
    }
}

impl Renderer for Dashboard {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        self.apply(event);
        Ok(ControlFlow::Continue(()))
    }
}

/// The key arguments of the latest [`STEP_ARGUMENTS`] tool calls, by call id: the calls in
/// the order they came (a ring: the oldest is forgotten first), and an index from the hash of
/// each call id to the call's place in the ring. A lookup checks the id the ring keeps, so two
/// ids of one hash never mix (the older is forgotten). Sixteen bytes a call in the index, where
/// a map keyed by the ids themselves took a slot of id and argument per bucket (512 KiB for
/// the 4,096 calls, every page of it touched).
#[derive(Debug)]
struct StepArguments {
    /// The calls remembered, oldest first.
    calls: VecDeque<(CallId, KeyArg)>,
    /// The number (counted from 0 since the dashboard began) of the front of `calls`.
    first: u64,
    /// Hash of a call id → the number of its latest call.
    index: HashMap<u64, u64, std::hash::BuildHasherDefault<crate::hashing::PassThroughHasher>>,
    /// Hashes the call ids (seeded per process).
    hasher: IdHasher,
}

impl StepArguments {
    fn new() -> Self {
        StepArguments {
            // Sized for the calls remembered: growing step by step costs copies and rehashes
            // (the ring's room is address space until calls fill it).
            calls: VecDeque::with_capacity(STEP_ARGUMENTS),
            first: 0,
            // Grown as calls come: sized for all at once, its 136 KiB of slots were all
            // touched by the first few hundred ids (hashes spread them), a fresh page each.
            index: HashMap::default(),
            hasher: IdHasher::default(),
        }
    }

    fn hash(&self, id: &str) -> u64 {
        use std::hash::BuildHasher as _;
        self.hasher.hash_one(id)
    }

    /// The argument of the latest call `id`, if remembered.
    fn get(&self, id: &str) -> Option<&KeyArg> {
        let number = *self.index.get(&self.hash(id))?;
        let at = usize::try_from(number.checked_sub(self.first)?).ok()?;
        let (kept, argument) = self.calls.get(at)?;
        (kept.as_str() == id).then_some(argument)
    }

    /// Remembers `argument` for the call `id`, forgetting the oldest call when full.
    fn insert(&mut self, id: CallId, argument: KeyArg) {
        if self.calls.len() >= STEP_ARGUMENTS {
            if let Some((oldest, _)) = self.calls.pop_front() {
                let hash = self.hash(oldest.as_str());
                // Unless a later call of that id (or hash) took its place.
                if self.index.get(&hash) == Some(&self.first) {
                    self.index.remove(&hash);
                }
                self.first += 1;
            }
        }
        let number = self.first + self.calls.len() as u64;
        let hash = self.hash(id.as_str());
        self.calls.push_back((id, argument));
        self.index.insert(hash, number);
    }
}

/// The largest character boundary of `s` at or before byte `at`.
fn floor_char_boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The start of the JSON string literal `raw` (quotes included) that holds at least `need`
/// of its characters, closed by a `"` (the pieces to join); the literal itself when short
/// (one piece and an empty one). `None` when a start of
/// a few times `need` bytes cannot be shown to hold that many (many escapes, wide
/// characters): the caller writes the summary at once.
///
/// A summary that reads at most `need - 1` characters of a text (and whether more follow)
/// comes out the same from this start as from the whole literal: the decoder stops before
/// the cut. Characters are counted from below without decoding: every byte that begins a
/// UTF-8 character counts one, less one for each `\` and five more for each `\u` (an escape
/// of two to twelve bytes stands for one character at least, or half of a surrogate pair).
fn literal_start(raw: &str, need: usize) -> Option<[&str; 2]> {
    if !raw.starts_with('"') {
        return None;
    }
    for cap in [need + need / 4, need * 4] {
        // The opening quote, `cap` bytes of text, the closing quote.
        if raw.len() <= cap + 2 {
            return Some([raw, ""]);
        }
        let cut = floor_char_boundary(raw, cap + 1);
        let inner = &raw.as_bytes()[1..cut];
        // ASCII (most text) is checked a word at a time; else the bytes are counted.
        let starts = if inner.is_ascii() {
            inner.len()
        } else {
            inner.iter().filter(|&&b| (b as i8) >= -0x40).count()
        };
        let mut less = 0;
        for at in memchr::memchr_iter(b'\\', inner) {
            less += if inner.get(at + 1) == Some(&b'u') {
                6
            } else {
                1
            };
        }
        let held = starts.saturating_sub(less);
        if held >= need {
            // Cut back by what it holds beyond `need`: each byte cut takes at most one
            // character start away, and cutting never raises `less`, so the count still
            // reaches `need`, in fewer bytes kept (a page of the feed's text per ~30 rows).
            let cut = floor_char_boundary(raw, cut - (held - need)).max(1);
            return Some([&raw[..cut], "\""]);
        }
    }
    None
}

/// The start of the JSON string literal `raw` (quotes included) that settles its summary in
/// `max` columns ([`crate::render::plain::push_text_summary`]; a tool result's preview with
/// `max` [`RESULT_SUMMARY_CHARS`], in fewer columns), closed by a `"` (the pieces to join, as
/// [`literal_start`]), when its first line reads so without decoding, within the first
/// `within` bytes:
///
/// - a first line of plain ASCII (no escape, no quote) that does not start with a space and
///   is wider than `max`: its first `max + 1` characters, the last not a space (the summary is
///   that line cut to `max - 1` columns and a `…`, whatever follows), or
/// - blanks (spaces, `\n`, `\t`, `\r`), a plain character, the rest of a line (any character
///   or escape but `\n` and `\u`, which may be a line break), `\n`, then blanks and a plain
///   character: the summary is that line (trimmed) and a `…`, whatever follows.
///
/// `None` otherwise ([`literal_start`] keeps more). Most texts' first lines are one of the
/// two: a row keeps tens of bytes of them, not the hundreds [`literal_start`] keeps, and the
/// feed's text takes that many fewer fresh pages.
fn settled_start(raw: &str, max: usize, within: usize) -> Option<[&str; 2]> {
    use crate::render::text::plain_run;
    if !raw.starts_with('"') {
        return None;
    }
    let inner = raw.as_bytes().get(1..)?;
    let inner = &inner[..inner.len().min(within)];
    if inner.first().is_some_and(|&b| b != b' ') {
        let line = plain_run(inner);
        if line > max {
            // Plain ASCII: byte `max + 2` is a character boundary.
            return (inner.get(max) != Some(&b' ')).then(|| [&raw[..max + 2], "\""]);
        }
        if line > 0 && inner.get(line..line + 2) == Some(&b"\\n"[..]) {
            return blanks_then_plain(raw, inner, line + 2);
        }
    }
    // Blank lines and blanks, then a line that is not blank (it starts with a plain
    // character), read escape by escape to its end: every escape but `\n` and `\u` (which may
    // stand for a line break) stands for a character of the line.
    let mut at = blanks(inner, 0);
    if !inner.get(at).copied().is_some_and(plain_ascii) {
        return None;
    }
    loop {
        at += memchr::memchr2(b'\\', b'"', inner.get(at..)?)?;
        match inner.get(at..at + 2)? {
            [b'\\', b'n'] => return blanks_then_plain(raw, inner, at + 2),
            [b'\\', b'u'] | [b'"', _] => return None,
            _ => at += 2,
        }
    }
}

/// Where the blanks (spaces, `\n`, `\t`, `\r`) of the literal's body `inner` from byte `at`
/// end.
fn blanks(inner: &[u8], mut at: usize) -> usize {
    loop {
        match inner.get(at..) {
            Some([b' ', ..]) => at += 1,
            Some([b'\\', b'n' | b't' | b'r', ..]) => at += 2,
            _ => return at,
        }
    }
}

/// The start of the literal `raw` (body `inner`) up to the first character after byte `at`'s
/// blanks, closed by a `"`, when that is a plain character (the text goes on after the line
/// that ended at `at`); `None` otherwise.
fn blanks_then_plain<'a>(raw: &'a str, inner: &[u8], at: usize) -> Option<[&'a str; 2]> {
    let at = blanks(inner, at);
    // The quote, `at` bytes, then the plain character (ASCII: a boundary after it).
    plain_ascii(*inner.get(at)?).then(|| [&raw[..at + 2], "\""])
}

/// A feed row for `event` with `summary` and its call id (calls and results).
fn feed_item(
    event: &Event<'_>,
    timestamp_ms: Option<i64>,
    origin: RowOrigin,
    session: Option<NameId>,
    agent: TextRange,
    summary: Summary,
    tool_use_id: TextRange,
) -> FeedItem {
    let failed = match &event.kind {
        EventKind::ToolResult { is_error, .. } => *is_error,
        EventKind::ApiError { .. } | EventKind::Malformed(_) => true,
        _ => false,
    };
    FeedItem {
        seq: 0,
        kind: event.kind(),
        // `clock_part` is 8 ASCII bytes (digits and colons: never a zero first).
        clock: event
            .timestamp
            .as_deref()
            .and_then(clock_part)
            .and_then(|c| c.as_bytes().try_into().ok())
            .unwrap_or([0; 8]),
        // A four-digit year parses far from `i64::MIN` ms (some 292 million years back).
        timestamp_ms: timestamp_ms.unwrap_or(NO_TIME),
        session: session.unwrap_or(NameId::NONE),
        agent,
        summary,
        failed,
        tool_use_id,
        origin,
    }
}

/// The pull request a `pr-link` record names: from its URL when that is a GitHub pull-request
/// address, else from its repository and number; `None` when it names none.
fn linked_pull_request(
    number: Option<u64>,
    url: Option<&str>,
    repository: Option<&str>,
) -> Option<PullRequest> {
    if let Some(pr) = url.and_then(|u| pull_request_links(u).into_iter().next()) {
        return Some(pr);
    }
    let number = number?;
    match (url, repository) {
        (Some(url), Some(repo)) => Some(PullRequest {
            label: format!("{repo}#{number}"),
            url: url.to_owned(),
        }),
        (None, Some(repo)) => {
            let url = format!("https://github.com/{repo}/pull/{number}");
            pull_request_links(&url).into_iter().next()
        }
        (Some(url), None) => Some(PullRequest {
            label: format!("#{number}"),
            url: url.to_owned(),
        }),
        (None, None) => None,
    }
}

/// GitHub pull-request URLs in `text` (JSON-escaped text is fine: the URL has no escapes).
pub(crate) fn pull_request_links(text: &str) -> Vec<PullRequest> {
    const HOST: &str = "github.com/";
    // Built once: a searcher costs more to build than most texts take to search.
    static FINDER: std::sync::LazyLock<memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memmem::Finder::new(HOST));
    let mut found = Vec::new();
    for start in FINDER.find_iter(text.as_bytes()) {
        let rest = &text[start + HOST.len()..];
        let mut parts = rest.splitn(4, '/');
        let (Some(owner), Some(repo), Some("pull"), Some(tail)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let number: String = tail.chars().take_while(char::is_ascii_digit).collect();
        let name_ok = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        };
        if number.is_empty() || number.len() > 9 || !name_ok(owner) || !name_ok(repo) {
            continue;
        }
        let pr = PullRequest {
            label: format!("{owner}/{repo}#{number}"),
            url: format!("https://github.com/{owner}/{repo}/pull/{number}"),
        };
        if !found.contains(&pr) {
            found.push(pr);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pr_link_records_name_their_pull_request() {
        let pr = linked_pull_request(
            Some(55),
            Some("https://github.com/episode6/collins/pull/55"),
            Some("episode6/collins"),
        );
        assert_eq!(
            pr.map(|p| (p.label, p.url)),
            Some((
                "episode6/collins#55".to_owned(),
                "https://github.com/episode6/collins/pull/55".to_owned()
            ))
        );
        // No URL: built from the repository; a URL elsewhere than GitHub is kept as written.
        assert_eq!(
            linked_pull_request(Some(7), None, Some("o/r")).map(|p| p.url),
            Some("https://github.com/o/r/pull/7".to_owned())
        );
        assert_eq!(
            linked_pull_request(
                Some(3),
                Some("https://git.example/o/r/-/merge_requests/3"),
                Some("o/r")
            )
            .map(|p| p.label),
            Some("o/r#3".to_owned())
        );
        assert_eq!(linked_pull_request(None, None, Some("o/r")), None);
        assert_eq!(linked_pull_request(Some(1), None, Some("bad repo")), None);
    }

    /// The feed's tool-call summary, built from the key argument parsed once, is what the
    /// plain renderer's summary writes, for every tool call of the real corpus.
    #[test]
    fn call_summaries_are_the_plain_summaries() {
        struct Compare {
            calls: usize,
        }
        impl Renderer for Compare {
            fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
                if let EventKind::ToolCall { tool, input, .. } = &event.kind {
                    let mut plain = String::new();
                    push_summary(&mut plain, &event.kind, SUMMARY_COLUMNS);
                    let argument = input.and_then(crate::render::plain::key_argument);
                    let mut ours = String::new();
                    call_summary(&mut ours, tool, argument.as_deref());
                    assert_eq!(ours, plain, "{}:{}", event.source.file, event.source.line);
                    self.calls += 1;
                }
                Ok(ControlFlow::Continue(()))
            }
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/corpus");
        let mut pipeline = crate::pipeline::Pipeline::new(
            crate::pipeline::Options::default(),
            Compare { calls: 0 },
        );
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "jsonl") {
                let file = std::fs::File::open(&path).unwrap();
                let _ = pipeline
                    .read_to_end(&path.display().to_string(), file)
                    .unwrap();
            }
        }
        let (compare, _) = pipeline.finish().unwrap();
        assert!(compare.calls > 1_000, "{} calls", compare.calls);
        // Edge cases: a wide argument cut with `…`, control characters, no argument.
        let long = "x".repeat(400);
        let mut s = String::new();
        call_summary(&mut s, "Bash", Some(&long));
        assert_eq!(s.chars().count(), SUMMARY_COLUMNS);
        assert!(s.ends_with('…') && s.starts_with("Bash xx"));
        s.clear();
        call_summary(&mut s, "Read", None);
        assert_eq!(s, "Read");
    }

    /// Applies `lines` (JSONL) to a dashboard showing every kind, and checks that each row's
    /// summary, written when asked for, is what the plain renderer's summary of its event
    /// writes (a malformed line: its place and error), computed from the whole event as it is
    /// applied. Returns the rows checked.
    fn rows_match_plain_summaries(name: &str, lines: &[u8]) -> usize {
        struct Check {
            dashboard: Dashboard,
            rows: usize,
        }
        impl Renderer for Check {
            fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
                let mut plain = String::new();
                match &event.kind {
                    EventKind::Malformed(m) => plain.push_str(&format!(
                        "{}:{}: byte {}: {}",
                        event.source.file, event.source.line, m.error_offset, m.message
                    )),
                    kind => {
                        push_summary(&mut plain, kind, SUMMARY_COLUMNS);
                    }
                }
                let before = self.dashboard.feed().newest_seq();
                self.dashboard.apply(event);
                let feed = self.dashboard.feed();
                let row = feed.newest_first().next().unwrap();
                assert_ne!(Some(row.seq), before, "every kind is shown");
                assert_eq!(
                    feed.summary(row),
                    plain,
                    "{}:{}",
                    event.source.file,
                    event.source.line
                );
                // The steps list's argument: the first characters of the key argument, inert.
                if let EventKind::ToolCall {
                    tool_use_id: Some(id),
                    input: Some(input),
                    ..
                } = &event.kind
                {
                    let expected = crate::render::plain::key_argument(*input).map(|a| {
                        a.chars()
                            .take(STEP_ARGUMENT_CHARS)
                            .map(crate::render::text::inert_char)
                            .collect::<String>()
                    });
                    assert_eq!(self.dashboard.step_argument(id), expected);
                }
                self.rows += 1;
                Ok(ControlFlow::Continue(()))
            }
        }
        let mut dashboard = Dashboard::new();
        dashboard.set_feed_kinds(KindSet::ALL);
        let mut pipeline = crate::pipeline::Pipeline::new(
            crate::pipeline::Options::default(),
            Check { dashboard, rows: 0 },
        );
        let mut input = pipeline.open(name);
        let _ = pipeline.push(&mut input, lines).unwrap();
        let _ = pipeline.close(input).unwrap();
        pipeline.finish().unwrap().0.rows
    }

    /// A row keeps the start of a long text (closed by a quote), the whole of a short one,
    /// and nothing when escapes leave too few characters in a few times the bytes needed.
    #[test]
    fn keeps_the_start_of_long_literals_only_when_it_holds_enough() {
        let need = 100;
        let literal_start = |raw, need| literal_start(raw, need).map(|parts| parts.concat());
        let short = format!("\"{}\"", "a".repeat(120));
        assert_eq!(literal_start(&short, need).as_deref(), Some(short.as_str()));
        let long = format!("\"{}\"", "a".repeat(5_000));
        let start = literal_start(&long, need).unwrap();
        // The first cut (125 bytes) holds 125: cut back to the 100 needed.
        assert_eq!(&*start, format!("\"{}\"", "a".repeat(100)));
        // `\n` is two bytes for a character: the first cut (125 bytes) holds 62, the second
        // (400 bytes) 200, cut back by the 100 beyond those needed (300 bytes: 150).
        let lines = format!("\"{}\"", "\\n".repeat(1_000));
        assert_eq!(literal_start(&lines, need).map(|s| s.len()), Some(300 + 2));
        // `\u00e9` is six: 400 bytes hold 66, not enough.
        let escaped = format!("\"{}\"", "\\u00e9".repeat(1_000));
        assert_eq!(literal_start(&escaped, need), None);
        // Cut on a character boundary: `日` is three bytes; the first cut holds 41 of them
        // (too few), the second 133 (399 bytes: cut back from 400 to a boundary), cut back by
        // the 33 bytes beyond those needed to a boundary (366 bytes: 122).
        let wide = format!("\"{}\"", "日".repeat(1_000));
        let start = literal_start(&wide, need).unwrap();
        assert_eq!(&*start, format!("\"{}\"", "日".repeat(122)));
        // Not a string literal.
        assert_eq!(literal_start("[1]", need), None);
    }

    /// A first line that settles the summary is kept up to where it does; others are not.
    #[test]
    fn keeps_a_plain_first_line_up_to_where_it_settles_the_summary() {
        let settled = |raw: &str| settled_start(raw, 10, 100).map(|parts| parts.concat());
        // Wider than 10 columns: its first 11 characters.
        assert_eq!(
            settled(r#""abcdefghijklmnop""#).as_deref(),
            Some(r#""abcdefghijk""#)
        );
        // The 11th a space: trimmed, the line may fit; not settled here.
        assert_eq!(settled(r#""abcdefghij klmnop""#), None);
        // Ended, then blanks and a plain character.
        let text = r#""short line\n\n \t\r next and more""#;
        assert_eq!(settled(text).as_deref(), Some(r#""short line\n\n \t\r n""#));
        // Ended, then only blanks, an escape or a non-ASCII character: not settled here.
        assert_eq!(settled(r#""short\n\n  ""#), None);
        assert_eq!(settled(r#""short\n\u00e9""#), None);
        assert_eq!(settled(r#""short\né""#), None);
        // Blanks and blank lines first, then a line of any characters and escapes but a
        // `\u` (which may be a line break) or the literal's end.
        assert_eq!(
            settled(r#"" short\nnext""#).as_deref(),
            Some(r#"" short\nn""#)
        );
        assert_eq!(
            settled(r#""\n \t\r\nshort\nnext""#).as_deref(),
            Some(r#""\n \t\r\nshort\nn""#)
        );
        assert_eq!(
            settled(r#""a \"quoted\" line — über\t\\\r\n  next""#).as_deref(),
            Some(r#""a \"quoted\" line — über\t\\\r\n  n""#)
        );
        assert_eq!(settled(r#""a\u000anext\nmore""#), None);
        assert_eq!(settled(r#""é first\nnext""#), None);
        assert_eq!(settled(r#""one line — über""#), None);
        assert_eq!(settled(r#""\n\n  ""#), None);
        assert_eq!(settled("[1]"), None);
        // The plain character beyond `within` bytes.
        assert_eq!(settled_start(r#""ab\n\n\n\nc""#, 10, 8), None);
        assert!(settled_start(r#""ab\n\n\n\nc""#, 10, 11).is_some());
    }

    /// Every event of the real corpus: rows summed up later read the same as at once. Also
    /// the transcripts of `$AEGON_CORPUS` when it names a folder (as `bench/history.rs` reads
    /// it), for a larger corpus at hand.
    #[test]
    fn rows_summed_up_later_read_as_the_plain_summary() {
        let check = |dir: &std::path::Path| {
            let mut rows = 0;
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "jsonl") {
                    let bytes = std::fs::read(&path).unwrap();
                    rows += rows_match_plain_summaries(&path.display().to_string(), &bytes);
                }
            }
            rows
        };
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/corpus");
        let rows = check(&dir);
        assert!(rows > 5_000, "{rows} rows");
        if let Some(more) = std::env::var_os("AEGON_CORPUS").map(std::path::PathBuf::from) {
            if more.is_dir() {
                assert!(check(&more) > 0, "{}", more.display());
            }
        }
    }

    /// Texts whose first line ends early (or not), after blanks and blank lines, with escapes,
    /// quotes, non-ASCII, wide, zero-width and blank characters and escaped line breaks in
    /// it, cut where the row's kept start would end or anywhere else: each row reads as the
    /// plain renderer's summary (prompts, answers, thinking and results alike).
    #[test]
    fn rows_of_texts_whose_first_line_ends_early_read_as_the_plain_summary() {
        // Pieces as written in a JSON string literal.
        let pieces = [
            " ",
            "\\n",
            "\\t",
            "\\r",
            "a",
            "word",
            "é",
            "日",
            "\\\"",
            "\\\\",
            "\\/",
            "\\b",
            "\\f",
            "\\u000a",
            "\\u000A",
            "\\u00a0",
            "\\u2028",
            "\\u0301",
            "\\u001b",
            "\\ud83d\\ude00",
            "\u{a0}",
        ];
        let mut next = crate::render::text::test_picker(0x51_7cc1_b727_220a);
        let long = "z".repeat(600);
        let mut lines = String::new();
        for count in 0..3_000 {
            let mut text = String::new();
            for _ in 0..next(40) {
                text.push_str(pieces[next(pieces.len())]);
            }
            // Sometimes a long tail, past the bytes a start is looked for in.
            let tail = ["", "x", "tail\\nmore", &long][next(4)];
            text.push_str(tail);
            lines.push_str(&format!(
                r#"{{"type":"user","sessionId":"s","message":{{"role":"user","content":"{text}"}}}}"#
            ));
            lines.push('\n');
            lines.push_str(&format!(
                r#"{{"type":"assistant","sessionId":"s","message":{{"role":"assistant","content":[{{"type":"text","text":"{text}"}},{{"type":"thinking","thinking":"{text}"}}]}}}}"#
            ));
            lines.push('\n');
            lines.push_str(&format!(
                r#"{{"type":"user","sessionId":"s","message":{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"t{count}","content":"{text}"}}]}}}}"#
            ));
            lines.push('\n');
        }
        let rows = rows_match_plain_summaries("first-lines.jsonl", lines.as_bytes());
        assert!(rows >= 3_000 * 2, "{rows} rows");
    }

    /// Texts cut near where a row's kept start ends: escapes, wide and multi-byte characters,
    /// surrogate pairs and blank lines around the cut, in prompts, answers and results.
    #[test]
    fn rows_of_long_texts_read_as_the_plain_summary() {
        // Pieces as written in a JSON string literal.
        let pieces = [
            "a",
            "\\n",
            "\\\\",
            "\\\"",
            "é",
            "日",
            "😀",
            "\\ud83d\\ude00",
            "\\u00e9",
            " ",
            "\\t",
            "\\u001b",
            "\\n\\n",
            "\\ud83d",
        ];
        let mut lines = String::new();
        let mut count = 0;
        for (i, piece) in pieces.iter().enumerate() {
            for &(lead, n) in &[
                (0, 200),
                (0, 240),
                (0, 300),
                (0, 500),
                (0, 700),
                (150, 600),
                (230, 50),
                (480, 40),
                (600, 400),
                (0, 2_100),
            ] {
                // `lead` plain characters, then `n` pieces, then a tail.
                let text = format!("{}{}tail", "x".repeat(lead), piece.repeat(n));
                for other in pieces.iter().take(3) {
                    let text = format!("{text}{other}{}", "y".repeat(i * 7));
                    lines.push_str(&format!(
                        r#"{{"type":"user","sessionId":"s","message":{{"role":"user","content":"{text}"}}}}"#
                    ));
                    lines.push('\n');
                    lines.push_str(&format!(
                        r#"{{"type":"assistant","sessionId":"s","message":{{"role":"assistant","content":[{{"type":"text","text":"{text}"}},{{"type":"thinking","thinking":"{text}"}}]}}}}"#
                    ));
                    lines.push('\n');
                    lines.push_str(&format!(
                        r#"{{"type":"user","sessionId":"s","message":{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"t{count}","content":"{text}","is_error":{}}}]}}}}"#,
                        count % 2 == 0
                    ));
                    lines.push('\n');
                    lines.push_str(&format!(
                        r#"{{"type":"assistant","sessionId":"s","message":{{"role":"assistant","content":[{{"type":"tool_use","id":"c{count}","name":"Bash","input":{{"command":"{text}"}}}}]}}}}"#
                    ));
                    lines.push('\n');
                    count += 1;
                }
            }
        }
        let rows = rows_match_plain_summaries("long.jsonl", lines.as_bytes());
        assert!(rows >= count * 5, "{rows} rows of {count} texts");
    }

    /// Tool calls whose key argument the rows and the steps list work out when shown, short
    /// inputs (kept as written) and long ones (read at once) alike: duplicated members, keys
    /// with escapes, inputs that are not objects, todos, patterns with a path, nulls.
    #[test]
    fn calls_read_later_read_as_the_plain_summary() {
        let long = "x".repeat(1_500);
        let inputs = [
            r#"{"command":"ls -la"}"#.to_owned(),
            r#"{"command":"a","command":"b"}"#.to_owned(),
            r#"{"comm\u0061nd":"escaped key"}"#.to_owned(),
            r#"["positional"]"#.to_owned(),
            r#" {"file_path":"/tmp/a\nb","content":"x"}"#.to_owned(),
            r#"{"todos":[{"content":"a"},{"content":"b"}]}"#.to_owned(),
            r#"{"pattern":"fn main","path":"src"}"#.to_owned(),
            r#"{"command":null,"path":"p"}"#.to_owned(),
            r#"{"command":"\ud800"}"#.to_owned(),
            r#"{"command":3}"#.to_owned(),
            r#"{}"#.to_owned(),
            format!(r#"{{"file_path":"/f","content":"{long}"}}"#),
            format!(r#"{{"file_path":"/f","content":"{long}","file_path":"/g"}}"#),
            format!(r#"{{"command":"{long}"}}"#),
            format!(r#"{{"command":"{}"}}"#, "\\u00e9".repeat(300)),
            format!(r#"{{"content":"{long}","pattern":"p","path":"q"}}"#),
            // Long literals decoded only as far as the row and the steps list read them: a
            // heredoc, blank lines or blanks beyond the first characters decoded, zero-width
            // marks that keep a long line narrow, control characters, a short first line.
            format!(r#"{{"command":"cat <<'EOF'\n{long}\nEOF"}}"#),
            format!(r#"{{"command":"{}x{long}"}}"#, "\\n".repeat(700)),
            format!(r#"{{"command":"{}x{long}"}}"#, " ".repeat(300)),
            format!(r#"{{"prompt":"a{}b{long}"}}"#, "\\u0301".repeat(400)),
            format!(r#"{{"prompt":"\u001b[1m{long}"}}"#),
            format!(r#"{{"description":"short\n\n   {long}"}}"#),
            format!(r#"{{"command":"{}\n\n  \n"}}"#, "s ".repeat(600)),
            format!(r#"{{"command":"short\n{}"}}"#, " ".repeat(1_200)),
        ];
        let mut lines = String::new();
        for (i, input) in inputs.iter().enumerate() {
            lines.push_str(&format!(
                r#"{{"type":"assistant","sessionId":"s","message":{{"role":"assistant","content":[{{"type":"tool_use","id":"c{i}","name":"Bash","input":{input}}}]}}}}"#
            ));
            lines.push('\n');
        }
        let rows = rows_match_plain_summaries("calls.jsonl", lines.as_bytes());
        assert_eq!(rows, inputs.len());
    }

    /// The steps list remembers the latest calls' arguments: the oldest forgotten first, a
    /// call seen again answered by its latest argument (also once its first sight is
    /// forgotten), an id never seen by none.
    #[test]
    fn step_arguments_remember_the_latest_calls() {
        let text = |a: Option<&KeyArg>| a.and_then(KeyArg::text).map(|t| t.into_owned());
        let mut steps = StepArguments::new();
        let arg = |s: &str| KeyArg::new(ArgForm::Text, s);
        steps.insert(CallId::new("again"), arg("first"));
        for i in 0..STEP_ARGUMENTS + 10 {
            let id = format!("toolu_{i:030}");
            steps.insert(CallId::new(&id), arg(&i.to_string()));
            if i == 100 {
                steps.insert(CallId::new("again"), arg("second"));
            }
        }
        assert_eq!(steps.calls.len(), STEP_ARGUMENTS);
        // 4,108 calls: the first 12 forgotten (the first `again`, then calls 0 to 10).
        assert_eq!(text(steps.get(&format!("toolu_{:030}", 10))), None);
        assert_eq!(
            text(steps.get(&format!("toolu_{:030}", 11))),
            Some("11".into())
        );
        let last = STEP_ARGUMENTS + 9;
        assert_eq!(
            text(steps.get(&format!("toolu_{last:030}"))),
            Some(last.to_string())
        );
        // Its first sight (before call 0) is forgotten; its second (after call 100) is not.
        assert_eq!(text(steps.get("again")), Some("second".into()));
        assert_eq!(text(steps.get("never")), None);
        // Long ids too.
        let long = "x".repeat(100);
        steps.insert(CallId::new(&long), arg("long"));
        assert_eq!(text(steps.get(&long)), Some("long".into()));
    }

    #[test]
    fn finds_pull_request_links_once_each() {
        let text = r#"Created https://github.com/acme/web-app/pull/42\nsee github.com/acme/web-app/pull/42 and https://github.com/o/r/pull/7."#;
        let prs = pull_request_links(text);
        assert_eq!(
            prs.iter().map(|p| p.label.as_str()).collect::<Vec<_>>(),
            ["acme/web-app#42", "o/r#7"]
        );
        assert_eq!(prs[0].url, "https://github.com/acme/web-app/pull/42");
        assert!(pull_request_links("github.com/acme/web-app/issues/42").is_empty());
        assert!(pull_request_links("github.com/a b/c/pull/1").is_empty());
        assert!(pull_request_links("github.com/a/b/pull/").is_empty());
    }
}
