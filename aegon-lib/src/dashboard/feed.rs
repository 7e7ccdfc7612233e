//! The feed: the latest events, as short owned rows, at most a fixed number of them.
//!
//! A row's summary is written when it is first asked for (the row drawn, or searched by the
//! filter), not when its event is applied: while history is read most rows are never drawn.
//! Until then the row holds what its summary is made from ([`SummarySource`]): the start of
//! the event's text as written (enough characters of it that the summary comes out the same
//! as from the whole text), or a tool call's name and key argument. Kinds whose summary is
//! cheap or whose text cannot be cut so are written at once. The texts rows keep live in one
//! buffer of the [`Feed`] (rows hold ranges of it), and the names they give (files, sessions)
//! in a table of it: making a row touches no shared count and allocates nothing. What a row
//! may lack (a time, a session, a subagent, a call id) is marked in place rather than by an
//! `Option` of its own, so a row is 120 bytes: the rows are the largest part of the fresh
//! pages a history takes.

use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};

use crate::event::Kind;

/// Events the feed keeps (older ones are dropped). A row is a few hundred bytes: its fields
/// (120 bytes), its call id (calls and results), the start of its event's text (up to where
/// its first line settles the summary, tens of bytes for most; else up to 623 bytes, 1,990
/// when the start has many escapes; a call's argument up to 1 KiB), then its summary once
/// written. On the shared
/// corpus the dashboard's state takes under 500 bytes a row all told, so the feed stays under
/// about 5 MB whatever the history, 30 MB at worst (the feed's text buffer may hold as much
/// again of dropped rows' texts before it is compacted); an event's full text is read back
/// from its file when its detail is opened ([`super::read_line_at`]).
pub const FEED_CAPACITY: usize = 10_000;

/// Bytes of text the feed reserves at its first row (see [`Feed::keep_with`]).
const TEXT_RESERVED: usize = 1 << 20;

/// Columns of summary kept per row (wider terminals show no more than this).
pub const SUMMARY_COLUMNS: usize = 240;

/// Where an event came from: enough to read its line again for the detail view (see
/// [`Feed::origin`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The input's name (a path for files).
    pub file: Arc<str>,
    /// Line number (1-based).
    pub line: u64,
    /// Byte offset of the line in the input.
    pub offset: u64,
    /// Which event of that line (a line can hold several: thinking, text, tool calls).
    pub index: u32,
}

/// A name the feed keeps once for all the rows that give it (a file's, a session's): its
/// place in the feed's table of names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NameId(u32);

impl NameId {
    /// No name (a row without a session id): a place the table never gives (it holds files
    /// and sessions, far fewer than 2³² − 1).
    pub(crate) const NONE: NameId = NameId(u32::MAX);

    /// This name, unless it is [`NameId::NONE`].
    pub(crate) fn get(self) -> Option<NameId> {
        (self != NameId::NONE).then_some(self)
    }
}

/// Bytes of the feed's text buffer (see [`Feed`]): where a row keeps a text start, a tool's
/// name, a subagent's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct TextRange {
    start: u32,
    len: u32,
}

impl TextRange {
    /// No text (a row without a subagent, a call id or a result's content): a start the
    /// feed never gives (its text stays far below 4 GiB).
    pub(crate) const NONE: TextRange = TextRange {
        start: u32::MAX,
        len: 0,
    };

    /// This range, unless it is [`TextRange::NONE`].
    pub(crate) fn get(self) -> Option<TextRange> {
        (self.start != u32::MAX).then_some(self)
    }
}

/// Where a row's event sits: its file (by name), line, offset and place in its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RowOrigin {
    pub(crate) file: NameId,
    pub(crate) line: u64,
    pub(crate) offset: u64,
    pub(crate) index: u32,
}

/// Bytes of a call id kept in the row itself (Claude Code's `toolu_…` ids are 30); a longer
/// one gets its own copy.
const CALL_ID_INLINE: usize = 38;

/// A tool call's id as a row and the steps list keep it: in place when short (no allocation,
/// no shared count to touch), else a copy of its own.
#[derive(Clone)]
pub(crate) enum CallId {
    /// `len` bytes of `bytes`, copied whole from a `&str`.
    Short {
        /// Bytes used.
        len: u8,
        /// The id's bytes, then zeros.
        bytes: [u8; CALL_ID_INLINE],
    },
    /// A longer id.
    Long(Box<str>),
}

impl CallId {
    /// The id `id`, kept.
    pub(crate) fn new(id: &str) -> CallId {
        if id.len() <= CALL_ID_INLINE {
            let mut bytes = [0; CALL_ID_INLINE];
            bytes[..id.len()].copy_from_slice(id.as_bytes());
            // At most 38: fits in a u8.
            CallId::Short {
                len: id.len() as u8,
                bytes,
            }
        } else {
            CallId::Long(id.into())
        }
    }

    /// The id.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Copied whole from a `&str`: always UTF-8.
            CallId::Short { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            CallId::Long(id) => id,
        }
    }
}

impl std::fmt::Debug for CallId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

impl PartialEq for CallId {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for CallId {}

impl std::hash::Hash for CallId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // As `str` hashes, so that a map keyed by ids is looked up with a `&str`.
        self.as_str().hash(state);
    }
}

impl std::borrow::Borrow<str> for CallId {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

/// One row of the feed. Its file, session, subagent, call id and summary are read through
/// the [`Feed`] that holds it ([`Feed::origin`], [`Feed::session`], [`Feed::agent`],
/// [`Feed::tool_use_id`], [`Feed::summary`]): a row names them by their place in the feed's
/// tables and text, so that adding a row copies no shared name (no reference count is
/// touched) and allocates nothing until it is drawn. A row is 120 bytes (what it may lack is
/// marked in place, not by an `Option` of its own), so a feed of history takes few fresh
/// pages (each ~2.5 µs of the kernel's on first touch).
#[derive(Debug, Clone)]
pub struct FeedItem {
    /// Position in the stream (1 for the first event); never reused.
    pub seq: u64,
    /// The event's kind.
    pub kind: Kind,
    /// A failed tool result, an API error or a malformed line.
    pub failed: bool,
    /// Milliseconds since the epoch, [`NO_TIME`] when the event has no timestamp: see
    /// [`FeedItem::timestamp_ms`].
    pub(crate) timestamp_ms: i64,
    /// `HH:MM:SS` (UTC, as written), zeros when the event has no timestamp: see
    /// [`FeedItem::clock`].
    pub(crate) clock: [u8; 8],
    /// The session id ([`NameId::NONE`] if none): see [`Feed::session`].
    pub(crate) session: NameId,
    /// The subagent (agent id, or `sidechain` for 1.0.x inline runs) whose event this is
    /// ([`TextRange::NONE`] if none): see [`Feed::agent`].
    pub(crate) agent: TextRange,
    /// One-line summary, inert, at most [`SUMMARY_COLUMNS`] wide: see [`Feed::summary`].
    pub(crate) summary: Summary,
    /// Tool call id (calls and results; [`TextRange::NONE`] for other rows): see
    /// [`Feed::tool_use_id`].
    pub(crate) tool_use_id: TextRange,
    /// Where to read the event again: see [`Feed::origin`].
    pub(crate) origin: RowOrigin,
}

/// A row's [`FeedItem::timestamp_ms`] when its event has none.
pub(crate) const NO_TIME: i64 = i64::MIN;

/// A row's summary: written at once, or written when first asked for from its source.
#[derive(Debug, Clone)]
pub(crate) enum Summary {
    /// Written when the row was made (in the feed's text).
    Written(TextRange),
    /// Written from `source` when first asked for.
    Later {
        /// The summary, once written (a thin pointer: a row not drawn pays 16 bytes for it,
        /// not 24; the second allocation is made only for rows drawn or searched).
        #[allow(clippy::box_collection)]
        written: OnceLock<Box<String>>,
        /// What it is written from.
        source: SummarySource,
    },
}

impl Summary {
    /// A summary to write from `source` when asked for.
    pub(crate) fn later(source: SummarySource) -> Self {
        Summary::Later {
            written: OnceLock::new(),
            source,
        }
    }

    /// The summary, `text` the feed's text buffer its source points into.
    fn get<'a>(&'a self, text: &'a str) -> &'a str {
        match self {
            Summary::Written(summary) => summary.of(text),
            Summary::Later { written, source } => written.get_or_init(|| {
                let mut out = String::new();
                source.write(text, &mut out);
                Box::new(out)
            }),
        }
    }
}

/// What a row's summary is written from, held until it is asked for. What a source may lack
/// is marked in place ([`TextRange::NONE`], [`NO_DURATION`]): 32 bytes in all.
#[derive(Debug, Clone)]
pub(crate) enum SummarySource {
    /// A text event's text: a JSON string literal as written, or its start closed by a `"`
    /// when that start holds more characters than the summary reads
    /// ([`crate::render::plain::text_summary_chars`]).
    Text(TextRange),
    /// A tool result: whether it failed, the tool's name (or call id), its duration, and its
    /// content when that is a string (kept as for [`SummarySource::Text`], to
    /// [`crate::render::plain::RESULT_SUMMARY_CHARS`]).
    Result {
        /// A failed result.
        is_error: bool,
        /// The tool's name, else the call id.
        name: TextRange,
        /// Milliseconds the tool ran, [`NO_DURATION`] when not known.
        duration_ms: u64,
        /// The content as written (a JSON string literal or its start), [`TextRange::NONE`]
        /// when there is none.
        content: TextRange,
    },
    /// A tool call: the tool's name and its key argument, whole
    /// ([`crate::render::plain::key_argument`]), decoded when the summary is written.
    Call {
        /// The tool's name.
        tool: TextRange,
        /// What `argument` holds (a [`KeyArg`]'s form, kept beside it so the row stays small).
        form: ArgForm,
        /// What the call does (command, path, …), when it says: a [`KeyArg`]'s text.
        argument: Option<Arc<str>>,
    },
}

/// A tool result's [`SummarySource::Result`] duration when it is not known.
pub(crate) const NO_DURATION: u64 = u64::MAX;

/// What a [`KeyArg`]'s text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArgForm {
    /// The call's whole input, JSON text as written (a short one), not yet read.
    Input,
    /// A JSON string literal as written (quotes included), known to decode.
    Literal,
    /// The argument's text (`3 todos`, `pattern in path`, or decoded already).
    Text,
}

impl ArgForm {
    /// The argument's text from `kept`, text of this form: what
    /// [`crate::render::plain::key_argument`] returns (`None` where it does).
    fn read(self, kept: &str) -> Option<std::borrow::Cow<'_, str>> {
        use crate::render::plain::{json_str, key_argument_raw, KeyArgument};
        match self {
            ArgForm::Input => match key_argument_raw(kept)? {
                KeyArgument::Literal(raw) => json_str(raw),
                KeyArgument::Text(text) => Some(text),
            },
            ArgForm::Literal => json_str(kept),
            ArgForm::Text => Some(std::borrow::Cow::Borrowed(kept)),
        }
    }
}

/// A tool call's key argument ([`crate::render::plain::key_argument`]) as the dashboard keeps
/// it for a row's summary and the steps list, worked out when shown (most are never shown
/// while history is read): a short input as written, one member's value as written, or text
/// made already ([`ArgForm`]); one copy shared by the row and the steps list.
#[derive(Debug, Clone)]
pub(crate) struct KeyArg {
    /// What `text` is.
    pub(crate) form: ArgForm,
    /// The text kept.
    pub(crate) text: Arc<str>,
}

impl KeyArg {
    /// `text`, of form `form`.
    pub(crate) fn new(form: ArgForm, text: impl Into<Arc<str>>) -> KeyArg {
        KeyArg {
            form,
            text: text.into(),
        }
    }

    /// The argument's text: what [`crate::render::plain::key_argument`] returns (`None` where
    /// it does).
    pub(crate) fn text(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.form.read(&self.text)
    }

    /// Bytes kept.
    pub(crate) fn len(&self) -> usize {
        self.text.len()
    }
}

impl SummarySource {
    /// A tool call's source: its name `tool` (in the feed's text) and its key argument.
    pub(crate) fn call(tool: TextRange, argument: Option<KeyArg>) -> SummarySource {
        match argument {
            Some(KeyArg { form, text }) => SummarySource::Call {
                tool,
                form,
                argument: Some(text),
            },
            None => SummarySource::Call {
                tool,
                form: ArgForm::Text,
                argument: None,
            },
        }
    }

    /// Writes the summary; `text` is the feed's text buffer the ranges point into.
    fn write(&self, text: &str, out: &mut String) {
        use crate::render::plain::{push_result_summary, push_text_summary};
        let at = |range: TextRange| range.of(text);
        match self {
            SummarySource::Text(raw) => {
                push_text_summary(out, &crate::text::Text::Json(at(*raw)), SUMMARY_COLUMNS);
            }
            SummarySource::Result {
                is_error,
                name,
                duration_ms,
                content,
            } => {
                push_result_summary(
                    out,
                    *is_error,
                    at(*name),
                    (*duration_ms != NO_DURATION).then_some(*duration_ms),
                    content.get().map(at),
                    SUMMARY_COLUMNS,
                );
            }
            SummarySource::Call {
                tool,
                form,
                argument,
            } => {
                let argument = argument.as_deref().and_then(|a| form.read(a));
                call_summary(out, at(*tool), argument.as_deref());
            }
        }
    }

    /// The ranges of the feed's text it points to.
    fn ranges_mut(&mut self, f: &mut impl FnMut(&mut TextRange)) {
        match self {
            SummarySource::Text(raw) => f(raw),
            SummarySource::Result { name, content, .. } => {
                f(name);
                f(content);
            }
            SummarySource::Call { tool, .. } => f(tool),
        }
    }
}

impl TextRange {
    /// These bytes of `text` (empty if out of it, which a range made by the feed is not).
    fn of(self, text: &str) -> &str {
        let start = self.start as usize;
        text.get(start..start + self.len as usize)
            .unwrap_or_default()
    }
}

/// The feed's summary of a tool call: what [`crate::render::plain::push_summary`] writes for
/// it (the tool, a space and the key argument, inert, in [`SUMMARY_COLUMNS`]), from the key
/// argument already parsed.
pub(crate) fn call_summary(out: &mut String, tool: &str, argument: Option<&str>) {
    use crate::render::text::push_inert;
    let used = push_inert(out, tool, SUMMARY_COLUMNS);
    if let Some(argument) = argument {
        out.push(' ');
        push_inert(out, argument, SUMMARY_COLUMNS.saturating_sub(used + 1));
    }
}

impl FeedItem {
    /// `HH:MM:SS` (UTC, as written), when the event has a timestamp.
    pub fn clock(&self) -> Option<&str> {
        if self.clock[0] == 0 {
            return None;
        }
        std::str::from_utf8(&self.clock).ok()
    }

    /// Milliseconds since the epoch, when the event has a timestamp.
    pub fn timestamp_ms(&self) -> Option<i64> {
        (self.timestamp_ms != NO_TIME).then_some(self.timestamp_ms)
    }

    /// Its label (`USER`, `CALL`, …), as the plain renderer writes it
    /// ([`crate::render::plain::kind_label`]).
    pub fn label(&self) -> &'static str {
        crate::render::plain::kind_label_of(self.kind)
    }

    /// The ranges of the feed's text the row points to (not those it lacks).
    fn ranges_mut(&mut self, mut f: impl FnMut(&mut TextRange)) {
        let mut f = |range: &mut TextRange| {
            if range.get().is_some() {
                f(range);
            }
        };
        f(&mut self.agent);
        f(&mut self.tool_use_id);
        match &mut self.summary {
            Summary::Written(summary) => f(summary),
            Summary::Later { source, .. } => source.ranges_mut(&mut f),
        }
    }

    /// Bytes of the feed's text the row holds.
    fn text_bytes(&mut self) -> usize {
        let mut bytes = 0;
        self.ranges_mut(|r| bytes += r.len as usize);
        bytes
    }
}

/// Case-insensitive substring test (`needle` lowercase); allocation-free for ASCII text.
fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle.as_bytes());
        return n.len() <= h.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    haystack.to_lowercase().contains(needle)
}

/// The latest [`FEED_CAPACITY`] events, oldest first.
///
/// Two ways in: [`Feed::push`] appends (live events, shown as they come), and
/// [`Feed::insert_by_time`] puts a row among the others by its time (history, read file after
/// file: a file read later can hold older events, which must not show above newer ones). Rows
/// are then ordered by their time key: the event's timestamp, or for an event without one the
/// key of the row added before it (it stays after its neighbour in the stream).
///
/// Rows stay where they were stored (a dropped row's slot takes the next row); their order is
/// a list of (time key, slot) pairs, kept as two runs around the place the last row went:
/// the next row of a file read in time order goes there too, so putting it costs no move,
/// and moving to another place moves pairs of 16 bytes, not rows (a history of many files
/// used to move megabytes of rows per row).
///
/// The names rows give (files, sessions) are kept once in a table, and what rows keep of
/// their events' texts until drawn (text starts, tool names, subagent ids) in one text buffer
/// (compacted when more of it belongs to dropped rows than to rows held): a row is made
/// without an allocation or a shared count of its own.
#[derive(Debug, Default)]
pub struct Feed {
    /// Names rows give, each once ([`NameId`]: its index).
    names: Vec<Arc<str>>,
    /// Where each name sits in `names`.
    name_ids: std::collections::HashMap<Arc<str>, NameId, foldhash::fast::RandomState>,
    /// What rows keep of their texts ([`TextRange`]s into it).
    text: String,
    /// Bytes of `text` no row held points to any more.
    garbage: usize,
    /// The rows held, in slots: the first [`FEED_CAPACITY`] rows in the order they came, then
    /// each in the slot of the row it pushed out.
    items: Vec<FeedItem>,
    /// The order of the rows, oldest first, up to where the last row went.
    before: VecDeque<Place>,
    /// The order of the rows after that (every place here is later than those of `before`).
    after: VecDeque<Place>,
    /// The key of the row added last, for the next row without a timestamp.
    last_key: i64,
    next_seq: u64,
}

/// The places `range` of `run`, as the (up to) two slices its ring holds them in.
fn range_slices(run: &VecDeque<Place>, range: std::ops::Range<usize>) -> (&[Place], &[Place]) {
    let (front, back) = run.as_slices();
    let split = front.len();
    // The part of `from..to` within a slice of `len` places.
    let part = |len: usize, from: usize, to: usize| from.min(len)..to.min(len);
    let in_front = part(split, range.start, range.end);
    let in_back = part(
        back.len(),
        range.start.saturating_sub(split),
        range.end.saturating_sub(split),
    );
    (&front[in_front], &back[in_back])
}

/// A row's place in the order: its time key and its slot in [`Feed::items`].
#[derive(Debug, Clone, Copy)]
struct Place {
    key: i64,
    slot: u32,
}

impl Feed {
    /// An empty feed.
    pub fn new() -> Self {
        Feed {
            next_seq: 1,
            ..Feed::default()
        }
    }

    /// The sequence number the next row will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq.max(1)
    }

    /// The name `name`, kept once.
    pub(crate) fn name(&mut self, name: &str) -> NameId {
        if let Some(&id) = self.name_ids.get(name) {
            return id;
        }
        // Names are files and sessions: far fewer than 2³² in a process.
        let id = NameId(u32::try_from(self.names.len()).unwrap_or(u32::MAX));
        let name = Arc::<str>::from(name);
        self.names.push(name.clone());
        self.name_ids.insert(name, id);
        id
    }

    /// The name kept as `id` (empty if `id` was not made by this feed).
    pub(crate) fn name_of(&self, id: NameId) -> &str {
        self.names.get(id.0 as usize).map_or("", |n| n)
    }

    /// Keeps `parts`, one after the other, in the feed's text for a row about to be added.
    pub(crate) fn keep(&mut self, parts: &[&str]) -> TextRange {
        self.keep_with(|text| {
            for part in parts {
                text.push_str(part);
            }
        })
    }

    /// Keeps what `write` appends to the feed's text, for a row about to be added.
    pub(crate) fn keep_with(&mut self, write: impl FnOnce(&mut String)) -> TextRange {
        if self.text.capacity() == 0 {
            // Room for the texts of a few thousand rows at once: grown step by step, the text
            // was copied over and over (address space: pages are taken as the text fills them).
            self.text.reserve(TEXT_RESERVED);
        }
        let start = self.text.len();
        write(&mut self.text);
        // The text holds what the rows held keep (10,000 rows of at most a few KiB) and at
        // most as much again of dropped rows': far below 4 GiB.
        TextRange {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            len: u32::try_from(self.text.len() - start).unwrap_or(0),
        }
    }

    /// The summary of `item` (a row of this feed): one line, inert, at most
    /// [`SUMMARY_COLUMNS`] wide (what the plain renderer writes for the event). Written on the
    /// first call, kept after.
    pub fn summary<'a>(&'a self, item: &'a FeedItem) -> &'a str {
        item.summary.get(&self.text)
    }

    /// The session id of `item` (a row of this feed).
    pub fn session(&self, item: &FeedItem) -> Option<&str> {
        item.session.get().map(|id| self.name_of(id))
    }

    /// The subagent (agent id, or `sidechain` for 1.0.x inline runs) whose event `item` (a
    /// row of this feed) is, when a subagent's.
    pub fn agent(&self, item: &FeedItem) -> Option<&str> {
        item.agent.get().map(|range| range.of(&self.text))
    }

    /// The tool call id of `item` (a row of this feed; calls and results), to pair a call
    /// with its result.
    pub fn tool_use_id(&self, item: &FeedItem) -> Option<&str> {
        item.tool_use_id.get().map(|range| range.of(&self.text))
    }

    /// Where to read the event of `item` (a row of this feed) again.
    pub fn origin(&self, item: &FeedItem) -> Origin {
        let at = &item.origin;
        Origin {
            file: self
                .names
                .get(at.file.0 as usize)
                .cloned()
                .unwrap_or_else(|| Arc::from("")),
            line: at.line,
            offset: at.offset,
            index: at.index,
        }
    }

    /// Whether `needle` (already lowercase) occurs in the label, session, agent or summary of
    /// `item` (a row of this feed), ignoring case.
    pub fn matches(&self, item: &FeedItem, needle: &str) -> bool {
        if needle.is_empty() {
            return true;
        }
        let has = |s: &str| contains_ignoring_case(s, needle);
        has(item.label())
            || has(self.summary(item))
            || self.session(item).is_some_and(has)
            || self.agent(item).is_some_and(has)
    }

    /// Notes that `item` is dropped (or never added): its text becomes garbage.
    fn dropped(&mut self, mut item: FeedItem) {
        self.garbage += item.text_bytes();
    }

    /// Copies the text the rows held point to into a new buffer, when more of the text is
    /// garbage than not (and it is worth it): the text stays under twice what the rows hold,
    /// at a copy of each byte kept once per byte dropped.
    fn compact_text(&mut self) {
        if self.garbage < (64 << 10) || self.garbage * 2 < self.text.len() {
            return;
        }
        let old = std::mem::take(&mut self.text);
        let mut text = String::with_capacity(old.len().saturating_sub(self.garbage) * 2);
        for item in &mut self.items {
            item.ranges_mut(|range| {
                let kept = range.of(&old);
                let start = u32::try_from(text.len()).unwrap_or(u32::MAX);
                text.push_str(kept);
                range.start = start;
            });
        }
        self.text = text;
        self.garbage = 0;
    }

    /// Adds a row as the newest (its `seq` is set here), dropping the oldest when full.
    pub fn push(&mut self, mut item: FeedItem) {
        let key = self.key_of(&item);
        item.seq = self.take_seq();
        // After every row, whatever its time.
        while let Some(place) = self.after.pop_front() {
            self.before.push_back(place);
        }
        let slot = self.slot_for(item);
        self.before.push_back(Place { key, slot });
    }

    /// Adds a row where its time puts it (its `seq` is set here): after every row whose time
    /// key is not later than its own, so rows of equal time keep their order of arrival. When
    /// full, the oldest row is dropped, which is this one if it is older than all held.
    pub fn insert_by_time(&mut self, mut item: FeedItem) {
        let key = self.key_of(&item);
        item.seq = self.take_seq();
        let oldest = self.before.front().or(self.after.front());
        if self.items.len() >= FEED_CAPACITY && oldest.is_some_and(|o| key < o.key) {
            self.dropped(item);
            self.compact_text();
            return;
        }
        let slot = self.slot_for(item);
        // Where the rows not later than `key` end: the two runs meet there.
        if self.before.back().is_some_and(|p| p.key > key) {
            // `before`'s places from `at` on go to the front of `after`, in one block:
            // appended, then rotated round to the front (copies of whole runs, not a
            // place at a time).
            let at = self.before.partition_point(|p| p.key <= key);
            let moved = self.before.len() - at;
            let (first, second) = range_slices(&self.before, at..self.before.len());
            self.after.extend(first);
            self.after.extend(second);
            self.after.rotate_right(moved);
            self.before.truncate(at);
        } else if self.after.front().is_some_and(|p| p.key <= key) {
            // `after`'s places before `at` go to the back of `before`, in one block.
            let at = self.after.partition_point(|p| p.key <= key);
            let (first, second) = range_slices(&self.after, 0..at);
            self.before.extend(first);
            self.before.extend(second);
            self.after.drain(..at);
        }
        self.before.push_back(Place { key, slot });
    }

    /// Stores `item`: in the slot of the oldest row when full (that row dropped, its place
    /// taken out of the order), else in a new slot. Returns the slot.
    fn slot_for(&mut self, item: FeedItem) -> u32 {
        if self.items.len() >= FEED_CAPACITY {
            let oldest = self.before.pop_front().or_else(|| self.after.pop_front());
            if let Some(oldest) = oldest {
                if let Some(row) = self.items.get_mut(oldest.slot as usize) {
                    let old = std::mem::replace(row, item);
                    self.dropped(old);
                    self.compact_text();
                    return oldest.slot;
                }
            }
        }
        if self.items.capacity() == 0 {
            // Room for every row at once: growing step by step copied the rows ~11 times over
            // (reserved address space: pages are only taken as rows fill them).
            self.items.reserve_exact(FEED_CAPACITY);
            // The order too (16 bytes a row): grown by doubling, each run was copied into
            // fresh pages ~12 times over.
            self.before.reserve_exact(FEED_CAPACITY);
            self.after.reserve_exact(FEED_CAPACITY);
        }
        // Below the capacity (10,000) a slot fits in a u32.
        let slot = self.items.len() as u32;
        self.items.push(item);
        slot
    }

    /// The time key of a row about to be added (see [`Feed`]).
    fn key_of(&mut self, item: &FeedItem) -> i64 {
        if let Some(ms) = item.timestamp_ms() {
            self.last_key = ms;
        }
        self.last_key
    }

    fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq();
        self.next_seq = seq + 1;
        seq
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no row is held.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Rows newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = &FeedItem> {
        self.after
            .iter()
            .rev()
            .chain(self.before.iter().rev())
            .filter_map(|p| self.items.get(p.slot as usize))
    }

    /// The row with sequence number `seq`, if still held.
    pub fn get(&self, seq: u64) -> Option<&FeedItem> {
        // Rows only appended sit in slot `(seq − 1) mod capacity`; others are looked for.
        let slot = usize::try_from(seq.wrapping_sub(1))
            .ok()
            .map(|s| s % FEED_CAPACITY);
        slot.and_then(|slot| self.items.get(slot))
            .filter(|item| item.seq == seq)
            .or_else(|| self.items.iter().find(|item| item.seq == seq))
    }

    /// The sequence number of the row added last (the highest), if any row is held: rows
    /// with a higher one came after it, wherever their time put them.
    pub fn newest_seq(&self) -> Option<u64> {
        (!self.items.is_empty()).then(|| self.next_seq() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(feed: &mut Feed, summary: &str) -> FeedItem {
        FeedItem {
            seq: 0,
            kind: Kind::UserPrompt,
            clock: [0; 8],
            timestamp_ms: NO_TIME,
            session: NameId::NONE,
            agent: TextRange::NONE,
            summary: Summary::Written(feed.keep(&[summary])),
            failed: false,
            tool_use_id: TextRange::NONE,
            origin: RowOrigin {
                file: NameId(0),
                line: 1,
                offset: 0,
                index: 0,
            },
        }
    }

    #[test]
    fn drops_the_oldest_beyond_capacity_and_finds_by_seq() {
        let mut feed = Feed::new();
        for i in 0..FEED_CAPACITY + 5 {
            push(&mut feed, &i.to_string(), None);
        }
        assert_eq!(feed.len(), FEED_CAPACITY);
        assert!(feed.get(5).is_none(), "dropped");
        let newest = feed.newest_seq().unwrap();
        assert_eq!(newest, FEED_CAPACITY as u64 + 5);
        assert_eq!(feed.summary(feed.get(6).unwrap()), "5");
        assert_eq!(
            feed.summary(feed.get(newest).unwrap()),
            (FEED_CAPACITY + 4).to_string()
        );
        assert_eq!(feed.newest_first().next().unwrap().seq, newest);
    }

    fn at(feed: &mut Feed, summary: &str, ms: Option<i64>) -> FeedItem {
        FeedItem {
            timestamp_ms: ms.unwrap_or(NO_TIME),
            ..item(feed, summary)
        }
    }

    fn push(feed: &mut Feed, summary: &str, ms: Option<i64>) {
        let row = at(feed, summary, ms);
        feed.push(row);
    }

    fn insert(feed: &mut Feed, summary: &str, ms: Option<i64>) {
        let row = at(feed, summary, ms);
        feed.insert_by_time(row);
    }

    fn order(feed: &Feed) -> Vec<String> {
        feed.newest_first()
            .map(|r| feed.summary(r).to_owned())
            .collect()
    }

    #[test]
    fn rows_put_by_time_sit_among_the_others_and_keep_their_numbers() {
        let mut feed = Feed::new();
        // A newer file read first, then an older one, then a line without a time.
        insert(&mut feed, "b1", Some(2_000));
        insert(&mut feed, "b2", Some(3_000));
        insert(&mut feed, "a1", Some(1_000));
        insert(&mut feed, "a2", Some(2_000));
        insert(&mut feed, "a3", None);
        // Equal times keep their order of arrival; the untimed row follows its neighbour.
        assert_eq!(order(&feed), ["b2", "a3", "a2", "b1", "a1"]);
        // Numbers are those of arrival: found wherever the row sits.
        assert_eq!(feed.summary(feed.get(3).unwrap()), "a1");
        assert_eq!(feed.summary(feed.get(5).unwrap()), "a3");
        assert_eq!(feed.newest_seq(), Some(5));
        // Live rows are appended whatever their time.
        push(&mut feed, "live", Some(500));
        assert_eq!(order(&feed)[0], "live");
        assert_eq!(feed.summary(feed.get(6).unwrap()), "live");
    }

    #[test]
    fn a_full_feed_put_by_time_drops_the_oldest() {
        let mut feed = Feed::new();
        for i in 0..FEED_CAPACITY {
            insert(&mut feed, &i.to_string(), Some(10 + i as i64));
        }
        insert(&mut feed, "older than all", Some(0));
        assert_eq!(feed.len(), FEED_CAPACITY);
        assert!(feed
            .newest_first()
            .all(|r| feed.summary(r) != "older than all"));
        insert(&mut feed, "middle", Some(10 + 500));
        assert_eq!(feed.len(), FEED_CAPACITY);
        assert!(
            feed.newest_first().all(|r| feed.summary(r) != "0"),
            "oldest dropped"
        );
        let times: Vec<i64> = feed
            .newest_first()
            .filter_map(|r| r.timestamp_ms())
            .collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]));
    }

    /// The feed as it was kept before its order index (rows moved aside in a `VecDeque` for
    /// each row put by time): row numbers oldest first.
    #[derive(Default)]
    struct Reference {
        rows: std::collections::VecDeque<(i64, u64)>,
        last_key: i64,
        next: u64,
    }

    impl Reference {
        fn add(&mut self, ms: Option<i64>, by_time: bool) {
            if let Some(ms) = ms {
                self.last_key = ms;
            }
            let (key, seq) = (self.last_key, self.next + 1);
            self.next = seq;
            let full = self.rows.len() == FEED_CAPACITY;
            if !by_time {
                if full {
                    self.rows.pop_front();
                }
                self.rows.push_back((key, seq));
                return;
            }
            let at = self.rows.partition_point(|&(k, _)| k <= key);
            if full {
                if at == 0 {
                    return;
                }
                self.rows.pop_front();
                self.rows.insert(at - 1, (key, seq));
            } else {
                self.rows.insert(at, (key, seq));
            }
        }
    }

    #[test]
    fn rows_put_by_time_keep_the_order_and_drops_of_moving_them_aside() {
        // Files of rows in time order, read in no time order (some overlapping, some rows
        // without a time, ties), past the capacity; then live rows appended.
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        let (mut feed, mut reference) = (Feed::new(), Reference::default());
        let check = |feed: &Feed, reference: &Reference| {
            let seqs: Vec<u64> = feed.newest_first().map(|r| r.seq).collect();
            let want: Vec<u64> = reference.rows.iter().rev().map(|&(_, s)| s).collect();
            assert_eq!(seqs, want);
            for &(_, seq) in &reference.rows {
                assert_eq!(feed.get(seq).map(|r| r.seq), Some(seq));
            }
        };
        while reference.next < FEED_CAPACITY as u64 * 3 / 2 {
            // On a grid of 500 ms, so rows of different files tie too.
            let mut ms = next(2_000) as i64 * 500;
            for _ in 0..next(600) {
                ms += next(3) as i64 * 500;
                let ms = (next(20) != 0).then_some(ms);
                insert(&mut feed, "", ms);
                reference.add(ms, true);
            }
            if next(4) == 0 {
                check(&feed, &reference);
            }
        }
        check(&feed, &reference);
        let dropped = (1..=reference.next)
            .find(|s| reference.rows.iter().all(|&(_, r)| r != *s))
            .unwrap();
        assert!(feed.get(dropped).is_none());
        for _ in 0..FEED_CAPACITY + 10 {
            let ms = Some(next(1_000_000) as i64);
            push(&mut feed, "", ms);
            reference.add(ms, false);
        }
        check(&feed, &reference);
        assert_eq!(feed.len(), FEED_CAPACITY);
        assert_eq!(feed.newest_seq(), Some(reference.next));
    }

    /// Rows keep their texts in the feed's buffer: past the capacity, appended and put by
    /// time, each row held still reads its own text, and the buffer stays within twice what
    /// the rows held keep (plus the slack before a compaction pays).
    #[test]
    fn rows_texts_stay_their_own_and_bounded_past_capacity() {
        let mut feed = Feed::new();
        for i in 0..FEED_CAPACITY * 4 {
            let mut row = at(&mut feed, "", Some((i as i64 * 7_919) % 100_000));
            let literal = format!("\"row {i}:{}\"", "x".repeat(i % 50));
            row.summary = Summary::later(SummarySource::Text(feed.keep(&[&literal])));
            row.agent = feed.keep(&["agent ", &i.to_string()]);
            if i % 4 == 0 {
                row.tool_use_id = feed.keep(&["toolu_", &i.to_string()]);
            }
            // Some rows summed up before they are dropped or the text is compacted.
            if i % 3 == 0 {
                let _ = feed.summary(&row);
            }
            if i % 2 == 0 {
                feed.insert_by_time(row);
            } else {
                feed.push(row);
            }
            let held: usize = feed.items.iter_mut().map(FeedItem::text_bytes).sum();
            assert!(feed.text.len() <= 2 * held + (64 << 10) + 100, "{i}");
        }
        assert_eq!(feed.len(), FEED_CAPACITY);
        for row in feed.newest_first() {
            let i = row.seq - 1;
            let summary = feed.summary(row);
            assert!(summary.starts_with(&format!("row {i}:")), "{i}: {summary}");
            assert_eq!(feed.agent(row), Some(format!("agent {i}").as_str()));
            let id = (i % 4 == 0).then(|| format!("toolu_{i}"));
            assert_eq!(feed.tool_use_id(row), id.as_deref());
        }
    }

    #[test]
    fn matches_ignoring_case_in_any_column() {
        let mut feed = Feed::new();
        let mut row = item(&mut feed, "Run the Tests");
        row.session = feed.name("abc");
        row.agent = feed.keep(&["Helper"]);
        assert_eq!(feed.session(&row), Some("abc"));
        assert!(feed.matches(&row, "tests"));
        assert!(feed.matches(&row, "user"));
        assert!(feed.matches(&row, "ab"));
        assert!(feed.matches(&row, "helper"));
        assert!(!feed.matches(&row, "lint"));
        let other = item(&mut feed, "Überprüfung");
        assert!(feed.matches(&other, "überp"));
    }

    /// What a row lacks (time, session, subagent, call id) reads as nothing, though marked in
    /// place; and a row stays small: the feed's rows are most of the fresh pages a history
    /// takes.
    #[test]
    fn a_row_lacking_a_time_session_agent_or_call_id_reads_nothing_and_is_small() {
        let mut feed = Feed::new();
        let row = item(&mut feed, "x");
        assert_eq!(row.timestamp_ms(), None);
        assert_eq!(row.clock(), None);
        assert_eq!(row.label(), "USER");
        assert_eq!(feed.session(&row), None);
        assert_eq!(feed.agent(&row), None);
        assert_eq!(feed.tool_use_id(&row), None);
        let timed = FeedItem {
            timestamp_ms: 0,
            clock: *b"00:00:00",
            ..row
        };
        assert_eq!(timed.timestamp_ms(), Some(0));
        assert_eq!(timed.clock(), Some("00:00:00"));
        #[cfg(target_pointer_width = "64")]
        assert!(std::mem::size_of::<FeedItem>() <= 120);
    }
}
