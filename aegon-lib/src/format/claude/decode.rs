//! Turning one line into events.
//!
//! [`decode_line`] checks the line (UTF-8, NUL bytes, JSON), parses it into a borrowed
//! [`Record`] and walks it, calling `emit` for each event. It keeps no state between lines: the
//! usage of a response is reported as written on every line, and tool results carry no
//! duration; [`crate::session::correlate::Correlator`] does the work that spans lines.

use std::borrow::Cow;
use std::ops::ControlFlow;

use crate::event::{Event, EventKind, Malformed, MalformedReason, Source, TitleSource};
use crate::format::claude::record::{
    parse_record_into, Block, BlockShape, Content, Message, Record, RecordError, Usage,
};
use crate::json::RawJson;
use crate::source::lines::Line;
use crate::text::Text;
use crate::tokens::{PriceFactors, Tokens, Unread};
use serde::Deserialize;

/// Model name Claude Code gives to locally generated error messages.
const SYNTHETIC_MODEL: &str = "<synthetic>";

/// Decodes one line and emits its events (a [`EventKind::Malformed`] one for a bad line).
/// Blank lines (only whitespace) yield nothing.
///
/// Damage a line can survive does not lose it: invalid UTF-8 is replaced by U+FFFD, lone
/// surrogate escapes become U+FFFD in every string of the line ([`crate::format::claude::repair::lone_surrogates`],
/// silently: the text is what Claude Code meant to write; looked for only when reading failed
/// somewhere or in the raw values passed on undecoded, so a clean line pays nothing), records padded with NUL or other control bytes on their
/// line are cut out and read ([`crate::format::claude::repair::segments`]), records run
/// together on one line (`{…}{…}`, a lost newline) are cut at each object's end and each read
/// on its own ([`crate::format::claude::repair::run_together`]), a record cut off mid-write with a
/// whole one written after it on its line is skipped and the whole one read
/// ([`crate::format::claude::repair::after_cut`]), and members that cannot be read are
/// skipped ([`crate::format::claude::record::Record::problems`]). Each of these but the surrogates is said in
/// one `Malformed` event with `recovered: true`, before the line's other events.
pub fn decode_line<F>(file: &str, line: Line<'_>, emit: F) -> ControlFlow<()>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    // A byte-order mark on a line but the first (the splitter drops that one): files joined
    // together. Named, skipped, and the rest of the line read as a line of its own.
    if let Some(rest) = line.bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return decode_after_mark(file, line, rest, emit);
    }
    decode_clean(file, line, emit)
}

/// [`decode_line`] for a line that starts with a byte-order mark (`rest` is what follows it).
/// Out of line and cold: rare, and it holds a second copy of [`decode_clean`].
#[cold]
#[inline(never)]
fn decode_after_mark<F>(file: &str, line: Line<'_>, rest: &[u8], mut emit: F) -> ControlFlow<()>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    let len = line.bytes.len() as u64;
    let inner = Line {
        bytes: rest,
        offset: line.offset + 3,
        ..line
    };
    let mut first = true;
    let flow = decode_clean(file, inner, |mut e| {
        if std::mem::take(&mut first) {
            if let EventKind::Malformed(m) = &mut e.kind {
                // The line's own fault: said together with the mark, as one problem
                // whose reason and place are the fault's (what lost or damaged the line).
                m.message = format!(
                    "{}; byte {}: a byte-order mark (U+FEFF) starts the line (files joined together?): skipped",
                    m.message, line.offset
                );
                m.len = len;
                return emit(e);
            }
            emit(bom_event(
                line.source(file),
                line.offset,
                len,
                "a byte-order mark (U+FEFF) in mid-file, at the start of this line (files joined together?): skipped, the rest of the line read",
                true,
            ))?;
        }
        emit(e)
    });
    if first {
        // Nothing after the mark.
        return emit(bom_event(
            line.source(file),
            line.offset,
            len,
            "a byte-order mark (U+FEFF) in mid-file, alone on its line (files joined together?): skipped",
            false,
        ));
    }
    flow
}

/// The event for a byte-order mark in mid-file; `recovered` when the rest of its line was read.
fn bom_event<'e>(
    source: Source<'e>,
    at: u64,
    len: u64,
    message: &str,
    recovered: bool,
) -> Event<'e> {
    bare_event(
        source,
        EventKind::Malformed(Malformed {
            reason: MalformedReason::ByteOrderMark,
            message: message.to_owned(),
            error_offset: at,
            len,
            recovered,
        }),
    )
}

/// [`decode_line`] for a line without a byte-order mark at its start.
fn decode_clean<F>(file: &str, line: Line<'_>, mut emit: F) -> ControlFlow<()>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    let source = line.source(file);
    if line.bytes.iter().all(u8::is_ascii_whitespace) {
        return ControlFlow::Continue(());
    }
    let mut report = Report::default();
    // Keep what can be kept: read a line with invalid UTF-8 with the bad bytes replaced; an
    // offset in the repaired text is reported as where its byte is on disk (`at`).
    let mut lossy = None;
    let text = match crate::source::utf8::validate(line.bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(valid) => {
            let bad_at = line.offset + valid as u64;
            report.add(
                MalformedReason::InvalidUtf8,
                bad_at,
                "invalid UTF-8 (first bad byte here): read with the bad bytes replaced by U+FFFD"
                    .to_owned(),
            );
            let (text, map) = crate::source::utf8::lossy(line.bytes);
            lossy = Some(map);
            Cow::Owned(text)
        }
    };
    let lossy = lossy.as_ref();
    let at = |i: usize| line.offset + lossy.map_or(i, |l| l.disk(i)) as u64;
    // The record is read where it stays (it is large: see `parse_record_into`) and lent on.
    // `repaired` is declared before it: read again from the repaired text, the record borrows
    // it, so it must outlive the record.
    #[allow(clippy::needless_late_init)]
    let repaired;
    let mut record = Record::default();
    let surrogates = crate::json::surrogate_escapes();
    let mut parsed = parse_record_into(&text, &mut record);
    // Lone surrogate escapes, looked for only where they would do harm: when reading failed
    // somewhere, or in raw values passed on undecoded (when the parse's validator met a
    // surrogate escape or a raw value was made without it). Repaired in a copy of the same
    // length, read again.
    let raw_surrogates = crate::json::surrogate_escapes() != surrogates;
    repaired = if may_hold_lone_surrogates(&parsed, &record, raw_surrogates) {
        crate::format::claude::repair::lone_surrogates(&text)
    } else {
        None
    };
    if let Some(r) = &repaired {
        record = Record::default();
        parsed = parse_record_into(&r.text, &mut record);
    }
    let text: &str = repaired.as_ref().map_or(&text, |r| &r.text);
    match parsed {
        Ok(()) => {
            // JSON forbids raw NUL bytes; the lenient scan only skips over ignored members,
            // so look for them explicitly, report them, and keep what was read.
            if let Some(at) = memchr::memchr(0, line.bytes) {
                report.add(
                    MalformedReason::NulBytes,
                    line.offset + at as u64,
                    "NUL byte inside a member aegon does not read; the rest was read".to_owned(),
                );
            }
            report.problems(&at, 0, &record);
            report.emit(source, &line, &mut emit)?;
            record_events(source, &mut record, &mut emit)
        }
        Err(err) => recover_line(
            source,
            &line,
            text,
            &at,
            err,
            repaired.as_ref(),
            report,
            emit,
        ),
    }
}

/// [`decode_clean`] for a line that did not read as one record: crash padding, records run
/// together, a record cut off with whole ones after it, or no record at all (reported). Out
/// of line and cold: it is rare, and kept out of the code every clean line runs through (the
/// per-line path is larger than the instruction cache as it is).
#[cold]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn recover_line<F>(
    source: Source<'_>,
    line: &Line<'_>,
    text: &str,
    at: &dyn Fn(usize) -> u64,
    err: RecordError,
    repaired: Option<&crate::format::claude::repair::Repaired>,
    mut report: Report,
    mut emit: F,
) -> ControlFlow<()>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    use crate::format::claude::repair::segments;
    // Crash padding cut first: the records between the runs of control bytes. Then
    // records run together (a lost newline) or a record cut off with whole ones after
    // it (a crash, then a resumed writer), in the line or in a piece of it.
    // Per cut-off record: where it starts and where the record after it starts.
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let (pieces, padding) = match segments(text) {
        Some((pieces, padding)) => (pieces, Some(padding)),
        None => match split_line(text, err.offset, line.terminated) {
            Some((pieces, cut)) => {
                cuts.extend(cut);
                (pieces, None)
            }
            None => return emit(malformed_event(source, line, &at, &err, repaired)),
        },
    };
    let mut records = Vec::new();
    let mut lost = Vec::new();
    // Per run of records on one line: where each record after the first starts.
    let mut joins: Vec<Vec<usize>> = Vec::new();
    // Only a piece that starts an object says a newline was lost; other text after a
    // record (`{…}]`) is reported as not a record, below.
    let objects = |run: &[(usize, &str)], base: usize| -> Vec<usize> {
        run.iter()
            .filter(|(_, p)| p.starts_with('{'))
            .map(|(at, _)| base + at)
            .collect()
    };
    if padding.is_none() {
        joins.push(objects(&pieces[1..], 0));
    }
    for (start, piece) in pieces {
        match crate::format::claude::record::parse_record(piece) {
            Ok(record) => records.push((start, record)),
            // A piece between padding may hold records run together; a piece cut
            // from such a run is one object or the rest, and is not cut again.
            Err(e) => match padding.and_then(|_| split_line(piece, e.offset, line.terminated)) {
                Some((run, cut)) => {
                    cuts.extend(cut.map(|(c, r)| (start + c, start + r)));
                    joins.push(objects(&run[1..], start));
                    for (at, p) in run {
                        match crate::format::claude::record::parse_record(p) {
                            Ok(record) => records.push((start + at, record)),
                            Err(e) => lost.push((start + at, e)),
                        }
                    }
                }
                None => lost.push((start, e)),
            },
        }
    }
    if records.is_empty() {
        return match padding {
            Some(padding) => emit(padding_event(source, line, &at, padding, &lost)),
            None => emit(malformed_event(source, line, &at, &err, repaired)),
        };
    }
    if let Some(padding) = padding {
        report.add(
            if padding.nul {
                MalformedReason::NulBytes
            } else {
                MalformedReason::InvalidJson
            },
            at(padding.first),
            format!(
                "{} around the record{} on this line (crash padding): cut off, {} record{} read",
                padding.describe(at),
                plural(records.len()),
                records.len(),
                plural(records.len()),
            ),
        );
    }
    report.lost = !cuts.is_empty() || !lost.is_empty();
    for &(cut, record) in &cuts {
        report.add(
            MalformedReason::InvalidJson,
            at(cut),
            format!(
                "partly read: a record cut off after {} bytes (a crash mid-write?) and another written right after it on this line: the cut part skipped, the record from byte {} read",
                at(record) - at(cut),
                at(record),
            ),
        );
    }
    for run in joins.iter().filter(|run| !run.is_empty()) {
        report.add(
            MalformedReason::RunTogether,
            at(run[0]),
            run_together_message(run, &at),
        );
    }
    for (start, e) in &lost {
        let at = at(*start + e.offset);
        report.add(
            MalformedReason::InvalidJson,
            at,
            format!(
                "the text from here is not a record ({}): skipped",
                e.message
            ),
        );
    }
    for (start, record) in &records {
        report.problems(&at, *start, record);
    }
    report.emit(source, line, &mut emit)?;
    for (_, mut record) in records {
        record_events(source, &mut record, &mut emit)?;
    }
    ControlFlow::Continue(())
}

/// The pieces of a line (or of a piece between crash padding) that did not read as one record,
/// reading stopped at `stopped_at`: records run together
/// ([`crate::format::claude::repair::run_together`]), or a record cut off and whole ones after
/// it ([`crate::format::claude::repair::after_cut`]), then with where the cut part and the
/// record after it start. Records run together are taken when the first reads as a record: the
/// scanner only balances brackets and strings, so a cut inside a string can make the whole
/// line balance, quotes read the other way round, up to the parser's stop.
///
/// A piece "reads as a record" when it is valid JSON throughout: the record parser keeps the
/// members before a syntax error in a member it skips (a problem, not an error), which a
/// misread cut part would pass.
///
/// A record after a cut one is looked for only on a line that ended with a newline (`terminated`:
/// the last line of a file being written is not cut, only not finished), and must carry a
/// record's envelope (`uuid`, `sessionId` or `timestamp`): a line cut just after a nested
/// object closes (`{"type":"assistant","message":{…}`) has an object running to its end that
/// is a message, not a record.
fn split_line(text: &str, stopped_at: usize, terminated: bool) -> Option<SplitLine<'_>> {
    use crate::format::claude::repair::{after_cut, run_together};
    let reads = |piece: &str| {
        crate::format::claude::record::parse_record(piece)
            .is_ok_and(|r| r.problems.iter().all(|p| !p.syntax))
    };
    let record_after_cut = |piece: &str| {
        crate::format::claude::record::parse_record(piece).is_ok_and(|r| {
            r.problems.iter().all(|p| !p.syntax)
                && (r.uuid.is_some() || r.session_id.is_some() || r.timestamp.is_some())
        })
    };
    let run = run_together(text, stopped_at);
    match run {
        Some(run) if reads(run[0].1) => Some((run, None)),
        run => match after_cut(text, record_after_cut).filter(|_| terminated) {
            Some(cut) => Some((cut.pieces, Some((cut.cut, cut.record)))),
            None => run.map(|run| (run, None)),
        },
    }
}

/// What [`split_line`] finds: the pieces with their offsets, and for a cut-off record where it
/// and the record after it start.
type SplitLine<'t> = (Vec<(usize, &'t str)>, Option<(usize, usize)>);

/// What a run of records on one line is said as, at the start of the second (the problem's
/// place): "a newline seems missing here: 2 JSON texts run together on this line, each read on
/// its own", or with more, "a newline seems missing here and before byte 900: 3 JSON texts …";
/// `starts` are where the texts after the first start in the line's text, `disk` turns them
/// into file offsets.
fn run_together_message(starts: &[usize], disk: &dyn Fn(usize) -> u64) -> String {
    let more: Vec<String> = starts
        .iter()
        .skip(1)
        .map(|&s| disk(s).to_string())
        .collect();
    let also = match more.len() {
        0 => String::new(),
        n => format!(" and before byte{} {}", plural(n), more.join(", ")),
    };
    format!(
        "a newline seems missing here{also}: {} JSON texts run together on this line, each read on its own",
        starts.len() + 1,
    )
}

/// Whether a line read as `parsed` may hold lone surrogate escapes that matter: it failed, a
/// member could not be decoded, or a raw value passed on undecoded (a tool input or result, an
/// error object) holds one. The raw values are searched only when `raw_surrogates` (the parse
/// met a surrogate escape, or made a raw value its validator did not check: see
/// [`crate::json::surrogate_escapes`]); otherwise none can hold one.
fn may_hold_lone_surrogates(
    parsed: &Result<(), RecordError>,
    record: &Record<'_>,
    raw_surrogates: bool,
) -> bool {
    use crate::format::claude::repair::has_lone_surrogate;
    if parsed.is_err() || !record.problems.is_empty() {
        return true;
    }
    if !raw_surrogates {
        return false;
    }
    if record
        .error
        .is_some_and(|raw| has_lone_surrogate(raw.get()))
    {
        return true;
    }
    let Some(Content::Blocks(blocks)) = record.message.as_ref().and_then(|m| m.content.as_ref())
    else {
        return false;
    };
    blocks.iter().any(|b| {
        [b.input, b.content]
            .into_iter()
            .flatten()
            .any(|raw| has_lone_surrogate(raw.get()))
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// What went wrong on a line that was still read: said in one `Malformed` event, with the
/// reason and offset of the first fault (the event's place, so its message does not repeat
/// it) and every fault's message, each after the first with its own place where that is
/// another ("…; byte 912: partly read: …").
#[derive(Default)]
struct Report {
    first: Option<(MalformedReason, u64)>,
    messages: Vec<String>,
    /// Some text of the line was skipped as no record: a record cut off by a crash, or text
    /// that is none. What it held is lost, so the line is not `recovered` (its other records
    /// are still read): every view says it as a line that could not be read (tester14 #1).
    lost: bool,
}

impl Report {
    /// A fault at file offset `offset`; `message` says what is wrong and what was kept, not
    /// where.
    fn add(&mut self, reason: MalformedReason, offset: u64, message: String) {
        let (_, first) = *self.first.get_or_insert((reason, offset));
        self.messages.push(if offset == first {
            message
        } else {
            format!("byte {offset}: {message}")
        });
    }

    /// The record's problems; `at` is where the record starts in the line's text, `disk`
    /// turns an offset in that text into the offset reported.
    fn problems(&mut self, disk: &dyn Fn(usize) -> u64, at: usize, record: &Record<'_>) {
        for p in &record.problems {
            let reason = if p.syntax {
                MalformedReason::InvalidJson
            } else {
                MalformedReason::UnexpectedShape
            };
            // A count of a response's usage that could not be read leaves its cost unknown
            // ([`unread`]), said in the words `aegon usage` tells such lines by
            // (`ledger::collect::costs_unknown`).
            let message = if p.count && is_response(record) {
                format!("partly read: {}, the response's cost unknown", p.message)
            } else {
                format!("partly read: {}", p.message)
            };
            self.add(reason, disk(at + p.offset), message);
        }
        if let Some(note) = usage_not_counted(record) {
            self.add(
                MalformedReason::UnexpectedShape,
                disk(at),
                format!("partly read: {note}"),
            );
        }
        if record.usage_elsewhere.is_some() || record.message.as_ref().is_some_and(odd_usage) {
            self.usage_shapes(disk, at, record);
        }
    }

    /// The problems of a usage aegon cannot read as written ([`unread`]) and of a cache-write
    /// split that disagrees with the flat count ([`Tokens::cache_writes`]). Out of line: the
    /// shapes are rare, told apart from the usual one by [`odd_usage`] in a few comparisons.
    #[cold]
    #[inline(never)]
    fn usage_shapes(&mut self, disk: &dyn Fn(usize) -> u64, at: usize, record: &Record<'_>) {
        let message = record.message.as_ref();
        let response = is_response(record);
        let usage = message.and_then(|m| m.usage.as_ref());
        if let Some(offset) = record.usage_elsewhere {
            let what = if response && usage.is_none() {
                "aegon reads a response's usage only from `message.usage`: counted as an API call of unknown cost"
            } else {
                "not read (aegon reads usage only from an assistant line's `message.usage`)"
            };
            self.add(
                MalformedReason::UnexpectedShape,
                disk(at + offset),
                format!("partly read: `usage` at the line's top level, not in `message`: {what}"),
            );
        }
        if !response {
            return;
        }
        let Some(usage) = usage else { return };
        match unread(Some(usage), None) {
            Some(Unread::NoCounts) => self.add(
                MalformedReason::UnexpectedShape,
                disk(at),
                "partly read: `message.usage` holds no token count aegon knows (`input_tokens`, `output_tokens`, `cache_*_input_tokens`, or `iterations` of them), or only zeros: counted as an API call of unknown cost".to_owned(),
            ),
            Some(Unread::CacheTtl) => self.add(
                MalformedReason::UnexpectedShape,
                disk(at),
                "partly read: `message.usage.cache_creation` holds cache writes of a TTL aegon does not know (not `ephemeral_5m_input_tokens` or `ephemeral_1h_input_tokens`): counted as 5-minute writes, the response's cost unknown".to_owned(),
            ),
            _ => {}
        }
        // The objects counted: the iterations when there are any, else the usage itself.
        let counted: Vec<(String, &Usage)> = match usage.iterations.as_deref() {
            Some(items) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, u)| (format!("message.usage.iterations[{i}]"), u))
                .collect(),
            _ => vec![("message.usage".to_owned(), usage)],
        };
        for (path, u) in counted {
            let Some((flat, split_5m, split_1h)) = split_disagreement(u) else {
                continue;
            };
            let (w5, w1) = Tokens::cache_writes(u);
            self.add(
                MalformedReason::UnexpectedShape,
                disk(at),
                format!(
                    "partly read: `{path}.cache_creation` splits {} cache writes by TTL (5m {split_5m} + 1h {split_1h}) but `cache_creation_input_tokens` says {flat}: counted as {flat} ({w5} 5-minute, {w1} 1-hour; the flat count is the number of writes, the split says how many were 1-hour)",
                    split_5m.saturating_add(split_1h),
                ),
            );
        }
    }

    fn emit<'a, F>(self, source: Source<'a>, line: &Line<'_>, emit: &mut F) -> ControlFlow<()>
    where
        F: FnMut(Event<'a>) -> ControlFlow<()>,
    {
        let Some((reason, error_offset)) = self.first else {
            return ControlFlow::Continue(());
        };
        let message = self.messages.join("; ");
        emit(bare_event(
            source,
            EventKind::Malformed(Malformed {
                reason,
                message,
                error_offset,
                len: line.bytes.len() as u64,
                recovered: !self.lost,
            }),
        ))
    }
}

/// Whether the line is an API response: an assistant line, not a synthetic error.
fn is_response(record: &Record<'_>) -> bool {
    record.kind.as_deref() == Some("assistant")
        && !record.is_api_error_message
        && record.message.as_ref().and_then(|m| m.model.as_deref()) != Some(SYNTHETIC_MODEL)
}

/// Why a line that holds `message.usage` yields no usage event, if it does not: nothing with
/// usage is dropped without a word.
fn usage_not_counted(record: &Record<'_>) -> Option<String> {
    let message = record.message.as_ref()?;
    let usage = message.usage.as_ref()?;
    match record.kind.as_deref() {
        Some("assistant") => {
            let synthetic =
                record.is_api_error_message || message.model.as_deref() == Some(SYNTHETIC_MODEL);
            (synthetic && Tokens::from_usage(usage) != Tokens::default()).then(|| {
                "a locally generated error line carries non-zero `message.usage`: not counted"
                    .to_owned()
            })
        }
        Some(kind) => Some(format!(
            "a `{kind}` line carries `message.usage`: not counted (only assistant lines are)"
        )),
        None => Some(
            "a line without `type` or `message.role` carries `message.usage`: not counted"
                .to_owned(),
        ),
    }
}

/// Whether a message's usage may be of a shape [`Report::usage_shapes`] reports: no output
/// tokens in its outer counts (every real response has some, unless `iterations` hold them),
/// or a cache-write split with a TTL aegon does not know or that differs from the flat
/// count. A few comparisons, on every assistant line.
#[inline]
fn odd_usage(message: &Message<'_>) -> bool {
    let Some(u) = &message.usage else {
        return false;
    };
    let odd_split = |u: &Usage| {
        u.cache_creation.as_ref().is_some_and(|c| {
            c.other_ttl
                || (u.cache_creation_input_tokens != 0
                    && c.ephemeral_5m_input_tokens
                        .saturating_add(c.ephemeral_1h_input_tokens)
                        != u.cache_creation_input_tokens
                    && (c.ephemeral_5m_input_tokens | c.ephemeral_1h_input_tokens) != 0)
        })
    };
    u.output_tokens == 0
        || odd_split(u)
        || u.iterations
            .as_deref()
            .is_some_and(|i| i.iter().any(odd_split))
}

/// `(flat, 5m, 1h)` of a usage object (outer or one iteration) whose `cache_creation` split
/// is not 0/0 and differs from a non-zero `cache_creation_input_tokens`: counted by the rule
/// of [`Tokens::cache_writes`], and reported. A 0/0 split beside a flat count (a real gateway
/// file) is not a disagreement: the split is not given.
fn split_disagreement(u: &Usage) -> Option<(u64, u64, u64)> {
    let c = u.cache_creation.as_ref()?;
    let flat = crate::format::count_of(u.cache_creation_input_tokens).unwrap_or(0);
    let split_5m = crate::format::count_of(c.ephemeral_5m_input_tokens).unwrap_or(0);
    let split_1h = crate::format::count_of(c.ephemeral_1h_input_tokens).unwrap_or(0);
    let split = split_5m.saturating_add(split_1h);
    (flat != 0 && split != 0 && split != flat).then_some((flat, split_5m, split_1h))
}

/// What of an API response's usage aegon cannot read (its cost is then unknown, never $0),
/// for a line that is a response (an assistant line, not a synthetic error): `usage` its
/// `message.usage`, `elsewhere` where a `usage` member at the line's top level starts.
/// Only synthetic error lines carry zero usage (FORMAT.md §5): a response whose usage reads
/// as no token at all holds its counts under names aegon does not know (camelCase, OpenAI's
/// `prompt_tokens`, `{}`). Otherwise, in this order: an input count refused (the context is
/// then unknown too), another count refused, a `*_tokens` count aegon does not know, writes
/// of an unknown TTL; each looked at in the usage and its iterations (the counted objects).
fn unread(usage: Option<&Usage>, elsewhere: Option<usize>) -> Option<Unread> {
    let Some(usage) = usage else {
        return elsewhere.map(|_| Unread::Elsewhere);
    };
    if usage.output_tokens == 0 && Tokens::from_usage(usage).is_zero() {
        return Some(Unread::NoCounts);
    }
    let any = |f: fn(&Usage) -> bool| {
        f(usage) || usage.iterations.as_deref().is_some_and(|i| i.iter().any(f))
    };
    if any(|u| u.refused_input) {
        Some(Unread::RefusedInput)
    } else if any(|u| u.refused_other) {
        Some(Unread::Refused)
    } else if any(|u| u.other_counts) {
        Some(Unread::OtherCounts)
    } else if any(|u| u.cache_creation.as_ref().is_some_and(|c| c.other_ttl)) {
        Some(Unread::CacheTtl)
    } else {
        None
    }
}

/// The event for a line with padding bytes and no record in it.
fn padding_event<'e>(
    source: Source<'e>,
    line: &Line<'_>,
    disk: &dyn Fn(usize) -> u64,
    padding: crate::format::claude::repair::Padding,
    lost: &[(usize, RecordError)],
) -> Event<'e> {
    let len = line.bytes.len();
    let message = if lost.is_empty() {
        format!(
            "{} and nothing else in the line's {len} bytes: a file pre-allocated and never written, or zeros a crash left",
            padding.describe(disk),
        )
    } else {
        let (_, e) = &lost[0];
        format!(
            "{} and no complete record ({}): the line is lost",
            padding.describe(disk),
            describe_error(e, line)
        )
    };
    bare_event(
        source,
        EventKind::Malformed(Malformed {
            reason: if padding.nul {
                MalformedReason::NulBytes
            } else {
                MalformedReason::InvalidJson
            },
            message,
            error_offset: disk(padding.first),
            len: len as u64,
            recovered: false,
        }),
    )
}

/// What a parse error means, in words (not where: the event's place is the padding's).
fn describe_error(err: &RecordError, line: &Line<'_>) -> String {
    if err.eof && !line.terminated {
        format!(
            "input ends inside this line: {}; it was cut off or is still being written",
            err.message
        )
    } else if err.eof {
        format!("the record is cut off: {}", err.message)
    } else if err.syntax {
        format!("invalid JSON: {}", err.message)
    } else {
        format!("not a transcript record: {}", err.message)
    }
}

/// The event for a line longer than the limit, which was skipped unread.
pub fn too_long_event(file: &str, number: u64, offset: u64, len: u64, max: usize) -> Event<'_> {
    let source = Source {
        file,
        line: number,
        offset,
    };
    bare_event(
        source,
        EventKind::Malformed(Malformed {
            reason: MalformedReason::TooLong,
            message: format!(
                "line of {len} bytes is longer than the limit of {max} bytes (--max-line); skipped"
            ),
            error_offset: offset,
            len,
            recovered: false,
        }),
    )
}

/// A Claude Code event of `kind` at `source` with no header (no session, time, uuid, agent,
/// cwd, branch or version); tests fill in what they need with `..bare_event(…)`.
pub(crate) fn bare_event<'a>(source: Source<'a>, kind: EventKind<'static>) -> Event<'a> {
    Event {
        agent: crate::event::Agent::ClaudeCode,
        source,
        session_id: None,
        timestamp: None,
        uuid: None,
        agent_id: None,
        sidechain: false,
        copied: false,
        cwd: None,
        git_branch: None,
        version: None,
        kind,
    }
}

fn malformed_event<'e>(
    source: Source<'e>,
    line: &Line<'_>,
    disk: &dyn Fn(usize) -> u64,
    err: &RecordError,
    repaired: Option<&crate::format::claude::repair::Repaired>,
) -> Event<'e> {
    let len = line.bytes.len() as u64;
    let (reason, mut message) = if err.eof && !line.terminated {
        (
            MalformedReason::Truncated,
            format!(
                "input ends inside this line ({}); it was cut off or is still being written",
                err.message
            ),
        )
    } else if err.syntax {
        (
            MalformedReason::InvalidJson,
            format!("invalid JSON: {}", err.message),
        )
    } else {
        (
            MalformedReason::UnexpectedShape,
            format!("not a transcript record: {}", err.message),
        )
    };
    if let Some(r) = repaired {
        message.push_str(&format!(
            " (and {} lone surrogate escape{}, first at byte {}, replaced by U+FFFD)",
            r.count,
            plural(r.count),
            disk(r.first)
        ));
    }
    bare_event(
        source,
        EventKind::Malformed(Malformed {
            reason,
            message,
            error_offset: disk(err.offset).min(line.offset + len),
            len,
            recovered: false,
        }),
    )
}

/// The envelope shared by all events of one line.
struct Header<'a> {
    source: Source<'a>,
    session_id: Option<Cow<'a, str>>,
    timestamp: Option<Cow<'a, str>>,
    uuid: Option<Cow<'a, str>>,
    agent_id: Option<Cow<'a, str>>,
    sidechain: bool,
    /// The events are read from a copy of another line ([`Event::copied`]).
    copied: bool,
    cwd: Option<Cow<'a, str>>,
    git_branch: Option<Cow<'a, str>>,
    version: Option<Cow<'a, str>>,
}

impl<'a> Header<'a> {
    fn event(&self, kind: EventKind<'a>) -> Event<'a> {
        Event {
            agent: crate::event::Agent::ClaudeCode,
            source: self.source,
            session_id: self.session_id.clone(),
            timestamp: self.timestamp.clone(),
            uuid: self.uuid.clone(),
            agent_id: self.agent_id.clone(),
            sidechain: self.sidechain,
            copied: self.copied,
            cwd: self.cwd.clone(),
            git_branch: self.git_branch.clone(),
            version: self.version.clone(),
            kind,
        }
    }
}

/// Emits the events of a parsed record, taking what they carry out of it (it is lent, not
/// given: a `Record` is large, and moving it costs more than reading most of its fields).
pub fn record_events<'a, F>(
    source: Source<'a>,
    record: &mut Record<'a>,
    emit: &mut F,
) -> ControlFlow<()>
where
    F: FnMut(Event<'a>) -> ControlFlow<()>,
{
    // `file-history-snapshot` lines keep their time inside the snapshot.
    let timestamp = record
        .timestamp
        .take()
        .or_else(|| record.snapshot.as_mut().and_then(|s| s.timestamp.take()));
    let header = Header {
        source,
        session_id: record.session_id.take(),
        timestamp,
        uuid: record.uuid.take(),
        sidechain: record.is_sidechain || record.agent_id.is_some(),
        agent_id: record.agent_id.take(),
        copied: false,
        cwd: record.cwd.take(),
        git_branch: record.git_branch.take(),
        version: record.version.take(),
    };
    let kind = record.kind.take();
    if kind.as_deref() == Some("progress") {
        return progress_events(&header, record, emit);
    }
    let mut emit = |kind: EventKind<'a>| emit(header.event(kind));
    match kind.as_deref() {
        Some("user") => user_events(record, &mut emit),
        Some("assistant") => assistant_events(record, &mut emit),
        Some("system") => emit(system_event(record)),
        Some("attachment") => emit(EventKind::Attachment {
            attachment_type: record.attachment.take().and_then(|a| a.kind),
        }),
        Some("summary") => title_event(
            record.summary.take(),
            TitleSource::Summary,
            record.leaf_uuid.take(),
            kind,
            &mut emit,
        ),
        Some("ai-title") => title_event(
            record.ai_title.take(),
            TitleSource::Ai,
            None,
            kind,
            &mut emit,
        ),
        Some("custom-title") => title_event(
            record.custom_title.take(),
            TitleSource::Custom,
            None,
            kind,
            &mut emit,
        ),
        Some("file-history-snapshot") => emit(EventKind::FileSnapshot {
            message_id: record.message_id.take(),
            files: record.snapshot.as_ref().map_or(0, |s| s.tracked_files),
            update: record.is_snapshot_update,
        }),
        Some("queue-operation") => emit(EventKind::Queue {
            operation: record.operation.take(),
            text: record.content.and_then(Text::from_raw),
        }),
        Some("last-prompt") => emit(EventKind::LastPrompt {
            text: record.last_prompt.take(),
            leaf_uuid: record.leaf_uuid.take(),
        }),
        Some("mode") => match record.mode.take() {
            Some(mode) => emit(EventKind::Mode { mode }),
            None => emit(unknown(kind, None)),
        },
        Some("pr-link") => emit(EventKind::PrLink {
            number: record.pr_number,
            url: record.pr_url.take(),
            repository: record.pr_repository.take(),
        }),
        Some("permission-mode") => match record.permission_mode.take() {
            Some(mode) => emit(EventKind::PermissionMode { mode }),
            None => emit(unknown(kind, None)),
        },
        _ => emit(unknown(kind, None)),
    }
}

fn unknown<'a>(
    record_type: Option<Cow<'a, str>>,
    block_type: Option<Cow<'a, str>>,
) -> EventKind<'a> {
    EventKind::Unknown {
        record_type,
        block_type,
    }
}

fn title_event<'a, F>(
    title: Option<Cow<'a, str>>,
    source: TitleSource,
    leaf_uuid: Option<Cow<'a, str>>,
    kind: Option<Cow<'a, str>>,
    emit: &mut F,
) -> ControlFlow<()>
where
    F: FnMut(EventKind<'a>) -> ControlFlow<()>,
{
    match title {
        Some(title) => emit(EventKind::Title {
            title,
            source,
            leaf_uuid,
        }),
        None => emit(unknown(kind, None)),
    }
}

/// How a piece of user-role text is classified.
fn user_text_event<'a>(record: &Record<'_>, text: Text<'a>) -> EventKind<'a> {
    if record.is_compact_summary {
        return EventKind::CompactSummary { text };
    }
    // The markers that classify text are at its start.
    let (start, _) = text.prefix(CLASSIFY_CHARS);
    let trimmed = start.trim_start();
    if trimmed.starts_with("[Request interrupted by user") {
        let during_tool = trimmed.contains("for tool use");
        return EventKind::Interrupt { text, during_tool };
    }
    let injected = record.is_meta
        || record.prompt_source.as_deref() == Some("system")
        || record
            .origin
            .as_ref()
            .and_then(|o| o.kind.as_deref())
            .is_some_and(|k| k != "human")
        || INJECTED_PREFIXES.iter().any(|p| trimmed.starts_with(p));
    drop(start);
    if injected {
        EventKind::UserMeta { text }
    } else {
        EventKind::UserPrompt { text }
    }
}

/// Characters of user text read to classify it: more than the longest marker.
const CLASSIFY_CHARS: usize = 128;

/// Openings of user-role text that Claude Code injects (FORMAT.md §11).
const INJECTED_PREFIXES: &[&str] = &[
    "<command-name>",
    "<command-message>",
    "<command-args>",
    "<local-command-stdout>",
    "<local-command-stderr>",
    "<local-command-caveat>",
    "Caveat: The messages below were generated by the user while running local commands",
    "<task-notification>",
    "<ide_opened_file>",
    "<ide_selection>",
    "<system-reminder>",
    "<bash-input>",
    "<bash-stdout>",
    "<bash-stderr>",
    "<user-prompt-submit-hook>",
];

fn user_events<'a, F>(record: &mut Record<'a>, emit: &mut F) -> ControlFlow<()>
where
    F: FnMut(EventKind<'a>) -> ControlFlow<()>,
{
    let content = record.message.as_mut().and_then(|m| m.content.take());
    match content {
        Some(Content::Text(text)) => emit(user_text_event(record, text)),
        Some(Content::Blocks(mut blocks)) => {
            if blocks.is_empty() {
                return emit(unknown(Some(Cow::Borrowed("user")), None));
            }
            // Blocks are lent, their fields taken (a block is some 250 bytes).
            for block in &mut blocks {
                if let BlockShape::Other(_) = block.shape {
                    continue; // reported with the line's problems
                }
                let kind = match block.kind.as_deref() {
                    Some("text") => user_text_event(record, block.text.take().unwrap_or_default()),
                    Some("tool_result") => EventKind::ToolResult {
                        tool_use_id: block.tool_use_id.take(),
                        is_error: block.is_error,
                        tool: None,
                        duration_ms: None,
                        content: block.content,
                        spawned_agent_id: None,
                        raw_result: record.tool_use_result,
                    },
                    Some("image") => {
                        let source = block.source.take().unwrap_or_default();
                        EventKind::Image {
                            media_type: source.media_type,
                            data_len: source.data.len,
                            data: source.data.base64,
                        }
                    }
                    _ => unknown(Some(Cow::Borrowed("user")), block.kind.take()),
                };
                emit(kind)?;
            }
            crate::format::claude::record::give_back_blocks(blocks);
            ControlFlow::Continue(())
        }
        Some(Content::Other) | None => emit(unknown(Some(Cow::Borrowed("user")), None)),
    }
}

fn assistant_events<'a, F>(record: &mut Record<'a>, emit: &mut F) -> ControlFlow<()>
where
    F: FnMut(EventKind<'a>) -> ControlFlow<()>,
{
    let Message {
        model,
        id: message_id,
        content,
        usage,
        ..
    } = record.message.get_or_insert_with(Message::default);
    let (model, message_id, content, usage) = (
        model.take(),
        message_id.take(),
        content.take(),
        usage.as_ref(),
    );
    let synthetic = record.is_api_error_message || model.as_deref() == Some(SYNTHETIC_MODEL);
    if synthetic {
        // A locally generated error: no API call was billed; the text says what failed.
        let text = match content {
            Some(Content::Text(t)) => Some(t.to_str()),
            Some(Content::Blocks(blocks)) => {
                blocks.into_iter().find_map(|b| b.text).map(|t| t.to_str())
            }
            _ => None,
        };
        let text = text.or_else(|| record.error.and_then(raw_str));
        return emit(EventKind::ApiError {
            status: record.api_error_status,
            text,
            retry_attempt: None,
            max_retries: None,
            retry_in_ms: None,
            fatal: true,
        });
    }
    let mut emitted = false;
    match content {
        Some(Content::Text(text)) => {
            emitted = true;
            emit(EventKind::AssistantText {
                message_id: message_id.clone(),
                model: model.clone(),
                text,
            })?
        }
        Some(Content::Blocks(mut blocks)) => {
            for block in &mut blocks {
                if let BlockShape::Other(_) = block.shape {
                    continue; // reported with the line's problems
                }
                emitted = true;
                emit(assistant_block(block, &message_id, &model))?;
            }
            crate::format::claude::record::give_back_blocks(blocks);
        }
        Some(Content::Other) | None => {}
    }
    match usage {
        Some(usage) => emit(EventKind::Usage {
            message_id,
            request_id: record.request_id.take(),
            model,
            tokens: Tokens::from_usage(usage),
            increment: false,
            factors: PriceFactors::from_usage(usage),
            reasoning: None,
            unread: unread(Some(usage), None),
            context: Tokens::last_request_input(usage),
            window: None,
            repriced: None,
        }),
        // Usage where aegon reads none: still an API call, of unknown cost (reported). Not
        // on a line whose JSON is damaged: its top level may be another record's members.
        None if record.usage_elsewhere.is_some() && !record.problems.iter().any(|p| p.syntax) => {
            emit(EventKind::Usage {
                message_id,
                request_id: record.request_id.take(),
                model,
                tokens: Tokens::default(),
                increment: false,
                factors: PriceFactors::default(),
                reasoning: None,
                unread: Some(Unread::Elsewhere),
                context: None,
                window: None,
                repriced: None,
            })
        }
        // Nothing to show and no usage (no message, or an empty one): still one event, so
        // that no line disappears without a trace.
        None if !emitted => emit(unknown(Some(Cow::Borrowed("assistant")), None)),
        None => ControlFlow::Continue(()),
    }
}

/// The events of a `progress` line: its [`EventKind::Progress`]; then, for an `agent_progress`
/// line whose copy of its subagent's line (`data.message`, FORMAT.md §3.2) is an API response's
/// line with usage read whole, that response's [`EventKind::Usage`] as the subagent's
/// (`agent_id` `data.agentId`, in the progress line's session, at the copy's time, marked
/// [`Event::copied`]). The copy counts under the response's identity as any line of it does
/// (the correlator keeps each count's largest: it adds nothing to the subagent's own lines,
/// read before or after it), so it counts only what no line of the subagent read gives: its
/// transcript missing, the usage its parent's transcript copied. A copy the correlator could
/// not tell from its original (no message id and no request id), a user or other line's copy,
/// a synthetic error line's and one whose usage is not read whole (its own line says what)
/// add nothing.
fn progress_events<'a, F>(
    header: &Header<'a>,
    record: &mut Record<'a>,
    emit: &mut F,
) -> ControlFlow<()>
where
    F: FnMut(Event<'a>) -> ControlFlow<()>,
{
    let agent_id = record.progress_agent_id.take();
    emit(header.event(EventKind::Progress {
        data_type: record.data.take().and_then(|d| d.kind),
        tool_use_id: record.tool_use_id.take(),
        parent_tool_use_id: record.parent_tool_use_id.take(),
        agent_id: agent_id.clone(),
    }))?;
    let (Some(agent_id), Some(copy)) = (agent_id, record.progress_copy.take()) else {
        return ControlFlow::Continue(());
    };
    let Ok(mut copy) = crate::format::claude::record::parse_record(copy) else {
        return ControlFlow::Continue(());
    };
    let Some(message) = copy.message.as_mut() else {
        return ControlFlow::Continue(());
    };
    if let Some(Content::Blocks(blocks)) = message.content.take() {
        crate::format::claude::record::give_back_blocks(blocks);
    }
    let (model, message_id, request_id) = (
        message.model.take(),
        message.id.take(),
        copy.request_id.take(),
    );
    let Some(usage) = message.usage.as_ref() else {
        return ControlFlow::Continue(());
    };
    let response = copy.kind.as_deref() == Some("assistant")
        && !copy.is_api_error_message
        && model.as_deref() != Some(SYNTHETIC_MODEL)
        && (message_id.is_some() || request_id.is_some())
        && copy.problems.is_empty()
        && unread(Some(usage), None).is_none();
    if !response {
        return ControlFlow::Continue(());
    }
    let copied = Header {
        source: header.source,
        session_id: header.session_id.clone(),
        timestamp: copy.timestamp.take().or_else(|| header.timestamp.clone()),
        uuid: header.uuid.clone(),
        agent_id: Some(agent_id),
        sidechain: true,
        copied: true,
        cwd: header.cwd.clone(),
        git_branch: header.git_branch.clone(),
        version: header.version.clone(),
    };
    emit(copied.event(EventKind::Usage {
        message_id,
        request_id,
        model,
        tokens: Tokens::from_usage(usage),
        increment: false,
        factors: PriceFactors::from_usage(usage),
        repriced: None,
        reasoning: None,
        unread: None,
        context: Tokens::last_request_input(usage),
        window: None,
    }))
}

fn assistant_block<'a>(
    block: &mut Block<'a>,
    message_id: &Option<Cow<'a, str>>,
    model: &Option<Cow<'a, str>>,
) -> EventKind<'a> {
    match block.kind.as_deref() {
        Some("text") => EventKind::AssistantText {
            message_id: message_id.clone(),
            model: model.clone(),
            text: block.text.take().unwrap_or_default(),
        },
        Some("thinking") => EventKind::Thinking {
            message_id: message_id.clone(),
            text: block.thinking.take().unwrap_or_default(),
            redacted: false,
        },
        Some("redacted_thinking") => EventKind::Thinking {
            message_id: message_id.clone(),
            text: Text::default(),
            redacted: true,
        },
        Some("tool_use") => EventKind::ToolCall {
            message_id: message_id.clone(),
            tool_use_id: block.id.take(),
            tool: block.name.take().unwrap_or(Cow::Borrowed("?")),
            input: block.input,
        },
        _ => unknown(Some(Cow::Borrowed("assistant")), block.kind.take()),
    }
}

fn system_event<'a>(record: &mut Record<'a>) -> EventKind<'a> {
    match record.subtype.as_deref() {
        Some("compact_boundary") => {
            let meta = record.compact_metadata.take().unwrap_or_default();
            EventKind::Compact {
                trigger: meta.trigger,
                pre_tokens: meta.pre_tokens,
                post_tokens: meta.post_tokens,
            }
        }
        Some("api_error") => {
            let (status, text) = record.error.map(api_error_details).unwrap_or_default();
            EventKind::ApiError {
                status,
                text,
                retry_attempt: record.retry_attempt,
                max_retries: record.max_retries,
                retry_in_ms: record.retry_in_ms,
                fatal: false,
            }
        }
        _ => EventKind::System {
            subtype: record.subtype.take(),
            level: record.level.take(),
            text: record.content.and_then(Text::from_raw),
            duration_ms: record.duration_ms,
        },
    }
}

/// Status and message of a `system/api_error` line's `error` object, whose shape varies:
/// `{status, error:{type, error:{type, message}}}`, `{status, message}`, `{formatted}`, …
fn api_error_details(raw: RawJson<'_>) -> (Option<u64>, Option<Cow<'static, str>>) {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(raw.get()) else {
        return (None, None);
    };
    let status = value.get("status").and_then(serde_json::Value::as_u64);
    let text = [
        &value["error"]["error"]["message"],
        &value["error"]["message"],
        &value["message"],
        &value["formatted"],
        &value["error"]["type"],
    ]
    .into_iter()
    .find_map(|v| v.as_str())
    .or_else(|| value.as_str())
    .map(|s| Cow::Owned(s.to_owned()));
    (status, text)
}

/// A raw JSON value read as a string, borrowed when it has no escapes; `None` if it is not a
/// string. A string serde cannot decode (a lone surrogate) is decoded leniently, the bad
/// escapes as U+FFFD, rather than dropped.
pub fn raw_str(raw: RawJson<'_>) -> Option<Cow<'_, str>> {
    #[derive(Deserialize)]
    struct Str<'a>(#[serde(borrow)] Cow<'a, str>);
    let text = raw.get();
    match serde_json::from_str::<Str<'_>>(text) {
        Ok(s) => Some(s.0),
        Err(_) if text.starts_with('"') => {
            Some(Cow::Owned(crate::text::decode_prefix(text, usize::MAX).0))
        }
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let line = Line {
            bytes: text.as_bytes(),
            number: 1,
            offset: 0,
            terminated: true,
        };
        let _ = decode_line("t", line, |e| {
            out.push(describe(&e));
            ControlFlow::Continue(())
        });
        out
    }

    fn describe(e: &Event<'_>) -> String {
        match &e.kind {
            EventKind::UserPrompt { text } => format!("user_prompt {text}"),
            EventKind::UserMeta { text } => format!("user_meta {text}"),
            EventKind::Interrupt { during_tool, .. } => format!("interrupt {during_tool}"),
            EventKind::AssistantText { text, .. } => format!("assistant_text {text}"),
            EventKind::ToolCall { tool, input, .. } => {
                format!("tool_call {tool} {}", input.map_or("-", |i| i.get()))
            }
            EventKind::ToolResult {
                is_error, content, ..
            } => {
                format!(
                    "tool_result {is_error} {}",
                    content.map_or("-", |c| c.get())
                )
            }
            EventKind::Usage { tokens, .. } => format!("usage {tokens:?}"),
            EventKind::ApiError {
                status,
                text,
                fatal,
                ..
            } => {
                format!(
                    "api_error {status:?} {} {fatal}",
                    text.as_deref().unwrap_or("-")
                )
            }
            EventKind::Unknown {
                record_type,
                block_type,
            } => format!("unknown {record_type:?} {block_type:?}"),
            EventKind::Malformed(m) => {
                format!("malformed {} @{}", m.reason.as_str(), m.error_offset)
            }
            other => other.kind().as_str().to_owned(),
        }
    }

    #[test]
    fn user_string_content_is_a_prompt_unless_injected() {
        assert_eq!(
            decode(r#"{"type":"user","message":{"role":"user","content":"fix the \"bug\""}}"#),
            ["user_prompt fix the \"bug\""]
        );
        assert_eq!(
            decode(r#"{"type":"user","isMeta":true,"message":{"content":"Caveat: x"}}"#),
            ["user_meta Caveat: x"]
        );
        assert_eq!(
            decode(
                r#"{"type":"user","message":{"content":"<command-name>/model</command-name>"}}"#
            ),
            ["user_meta <command-name>/model</command-name>"]
        );
        assert_eq!(
            decode(
                r#"{"type":"user","message":{"content":[{"type":"text","text":"[Request interrupted by user for tool use]"}]}}"#
            ),
            ["interrupt true"]
        );
    }

    #[test]
    fn an_assistant_line_without_message_is_still_an_event() {
        for line in [
            r#"{"type":"assistant","uuid":"u"}"#,
            r#"{"type":"assistant","message":{"id":"m","content":[]}}"#,
        ] {
            assert_eq!(
                decode(line),
                [r#"unknown Some("assistant") None"#],
                "{line}"
            );
        }
    }

    #[test]
    fn assistant_blocks_then_usage() {
        let line = r#"{"type":"assistant","requestId":"r","message":{"id":"m","model":"claude-opus-4-6","content":[{"type":"text","text":"hi"},{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls"}},{"type":"server_tool_use"}],"usage":{"input_tokens":3,"output_tokens":10,"cache_read_input_tokens":5,"cache_creation_input_tokens":7,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":7}}}}"#;
        assert_eq!(
            decode(line),
            [
                "assistant_text hi",
                r#"tool_call Bash {"command":"ls"}"#,
                r#"unknown Some("assistant") Some("server_tool_use")"#,
                "usage Tokens { input: 3, output: 10, cache_read: 5, cache_write_5m: 0, cache_write_1h: 7, web_search: 0 }",
            ]
        );
    }

    /// The `agent_progress` lines of a real session (marot/spotter 258c7280, Claude Code
    /// 2.1.39, fixtures/corpus): the two that copy a response's line of subagent a881341 give
    /// its usage as the subagent's, at the copy's time, under the progress line's uuid, marked
    /// copied; the three copies of user lines give the progress event alone.
    #[test]
    fn an_agent_progress_copy_of_a_response_gives_the_subagents_usage() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/corpus/marot__spotter__test__fixtures__transcripts__",
            "258c7280-ae70-4798-800f-63464d01a85d.jsonl"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let mut got = Vec::new();
        for line in text.lines().filter(|l| l.contains(r#""agent_progress""#)) {
            let line = Line {
                bytes: line.as_bytes(),
                number: 1,
                offset: 0,
                terminated: true,
            };
            let _ = decode_line("t", line, |e| {
                let what = match &e.kind {
                    EventKind::Progress { agent_id, .. } => {
                        format!("progress {}", agent_id.as_deref().unwrap_or("-"))
                    }
                    EventKind::Usage {
                        message_id,
                        model,
                        tokens,
                        ..
                    } => format!(
                        "usage {} {} in {} out {} read {} write {}",
                        message_id.as_deref().unwrap_or("-"),
                        model.as_deref().unwrap_or("-"),
                        tokens.input,
                        tokens.output,
                        tokens.cache_read,
                        tokens.cache_write_1h
                    ),
                    other => other.kind().as_str().to_owned(),
                };
                got.push(format!(
                    "{what} | {} {} {} {} {}",
                    e.agent_id.as_deref().unwrap_or("-"),
                    e.sidechain,
                    e.copied,
                    e.timestamp.as_deref().unwrap_or("-"),
                    &e.uuid.as_deref().unwrap_or("-")[..8],
                ));
                ControlFlow::Continue(())
            });
        }
        assert_eq!(
            got,
            [
                "progress a881341 | - false false 2026-02-11T21:24:19.367Z fdcbaf5d",
                "progress a881341 | - false false 2026-02-11T21:24:22.960Z 295af996",
                "usage msg_013qape6Zy3q8eZYgN4M39ym claude-sonnet-4-5-20250929 in 3 out 1 \
                 read 0 write 12118 | a881341 true true 2026-02-11T21:24:22.960Z 295af996",
                "progress a881341 | - false false 2026-02-11T21:24:23.492Z 0f8b13a7",
                "progress a881341 | - false false 2026-02-11T21:24:28.328Z 8e49228f",
                "usage msg_01QkE2ptzZ6JmveaGTood3UR claude-sonnet-4-5-20250929 in 6 out 1 \
                 read 12118 write 9923 | a881341 true true 2026-02-11T21:24:28.327Z 8e49228f",
                "progress a881341 | - false false 2026-02-11T21:24:28.860Z 54fe7e17",
            ]
        );
    }

    /// A copy adds nothing when it is no response's line the correlator can tell from its
    /// original: a user line's, one with neither message id nor request id, a synthetic error
    /// line's, one whose usage is not read whole; nor when `data.message` is not an object.
    #[test]
    fn an_agent_progress_copy_without_a_response_identity_adds_nothing() {
        let progress = |copy: &str| {
            format!(
                r#"{{"type":"progress","uuid":"p","data":{{"type":"agent_progress","agentId":"a1","message":{copy}}}}}"#
            )
        };
        let usage = r#""usage":{"input_tokens":3,"output_tokens":1}"#;
        for copy in [
            format!(r#"{{"type":"user","uuid":"u","message":{{"role":"user","content":"x",{usage}}}}}"#),
            format!(r#"{{"type":"assistant","uuid":"u","message":{{"model":"m",{usage}}}}}"#),
            format!(r#"{{"type":"assistant","requestId":"r","message":{{"id":"x","model":"<synthetic>",{usage}}}}}"#),
            r#"{"type":"assistant","requestId":"r","message":{"id":"x","usage":{"input_tokens":3,"output_tokens":1,"audio_input_tokens":9}}}"#.to_owned(),
            r#"{"type":"assistant","requestId":"r","message":{"id":"x","usage":{"input_tokens":"3"}}}"#.to_owned(),
            r#""a string""#.to_owned(),
        ] {
            assert_eq!(decode(&progress(&copy)), ["progress"], "{copy}");
        }
        // With a request id alone it counts (as a line of it with no message id would).
        let copy =
            format!(r#"{{"type":"assistant","requestId":"r","message":{{"model":"m",{usage}}}}}"#);
        assert_eq!(
            decode(&progress(&copy)),
            ["progress", "usage Tokens { input: 3, output: 1, cache_read: 0, cache_write_5m: 0, cache_write_1h: 0, web_search: 0 }"]
        );
    }

    #[test]
    fn synthetic_errors_count_no_usage() {
        let line = r#"{"type":"assistant","isApiErrorMessage":true,"apiErrorStatus":429,"message":{"id":"x","model":"<synthetic>","content":[{"type":"text","text":"API Error: 429"}],"usage":{"input_tokens":0,"output_tokens":0}}}"#;
        assert_eq!(decode(line), ["api_error Some(429) API Error: 429 true"]);
    }

    #[test]
    fn tool_results_keep_raw_content() {
        let line = r#"{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t1","content":"a\nb","is_error":true}]}}"#;
        assert_eq!(decode(line), [r#"tool_result true "a\nb""#]);
    }

    #[test]
    fn unknown_records_and_blocks_are_events_not_errors() {
        assert_eq!(
            decode(r#"{"type":"brand-new","x":1}"#),
            [r#"unknown Some("brand-new") None"#]
        );
        assert_eq!(decode(r#"{"no_type":true}"#), ["unknown None None"]);
    }

    #[test]
    fn bad_lines_become_malformed_with_offsets() {
        assert_eq!(
            decode(r#"{"type":"user",}"#),
            ["malformed invalid_json @15"]
        );
        assert_eq!(decode("[1,2]"), ["malformed unexpected_shape @0"]);
        // A NUL inside a member aegon skips is reported, and the line still read.
        assert_eq!(
            decode("{\"a\":\"\0\"}"),
            ["malformed nul_bytes @6", "unknown None None"]
        );
        // A line of NULs (a pre-allocated file) is lost.
        assert_eq!(decode("\0\0\0"), ["malformed nul_bytes @0"]);
        assert_eq!(decode("   "), Vec::<String>::new());
    }

    #[test]
    fn truncated_last_line() {
        let mut out = Vec::new();
        let line = Line {
            bytes: br#"{"type":"user","mess"#,
            number: 9,
            offset: 100,
            terminated: false,
        };
        let _ = decode_line("t", line, |e| {
            out.push(describe(&e));
            ControlFlow::Continue(())
        });
        assert_eq!(out, ["malformed truncated @120"]);
    }

    #[test]
    fn invalid_utf8_is_reported_and_the_line_still_read() {
        let mut bytes = br#"{"type":"user","message":{"content":"caf"#.to_vec();
        bytes.push(0xE9);
        bytes.extend_from_slice(br#""}}"#);
        let mut out = Vec::new();
        let line = Line {
            bytes: &bytes,
            number: 1,
            offset: 0,
            terminated: true,
        };
        let _ = decode_line("t", line, |e| {
            out.push(describe(&e));
            ControlFlow::Continue(())
        });
        assert_eq!(
            out,
            ["malformed invalid_utf8 @40", "user_prompt caf\u{FFFD}"]
        );
    }

    fn decode_bytes(bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        let line = Line {
            bytes,
            number: 1,
            offset: 1000,
            terminated: true,
        };
        let _ = decode_line("t", line, |e| {
            out.push(describe(&e));
            ControlFlow::Continue(())
        });
        out
    }

    /// The header fields of every event of a line.
    fn headers(text: &str) -> Vec<(Option<String>, Option<String>, Option<String>)> {
        let mut out = Vec::new();
        let line = Line {
            bytes: text.as_bytes(),
            number: 1,
            offset: 0,
            terminated: true,
        };
        let _ = decode_line("t", line, |e| {
            let s = |v: &Option<Cow<'_, str>>| v.as_deref().map(str::to_owned);
            out.push((s(&e.session_id), s(&e.uuid), s(&e.cwd)));
            ControlFlow::Continue(())
        });
        out
    }

    #[test]
    fn lone_surrogates_in_top_level_strings_are_read_as_replacement_characters() {
        // `record::string()` used to drop these to `None` without a word.
        let line = r#"{"type":"user","sessionId":"s\ud83d","uuid":"u\udc00","cwd":"/x\ud800y","message":{"content":"p"}}"#;
        assert_eq!(
            headers(line),
            [(
                Some("s\u{fffd}".to_owned()),
                Some("u\u{fffd}".to_owned()),
                Some("/x\u{fffd}y".to_owned())
            )]
        );
        assert_eq!(decode(line), ["user_prompt p"]);
        assert_eq!(
            decode(r#"{"type":"ai-title","aiTitle":"t\ud83d"}"#),
            ["title"]
        );
    }

    #[test]
    fn lone_surrogates_in_tool_input_and_results_are_repaired_in_the_raw_json() {
        let line = r#"{"type":"assistant","message":{"id":"m","content":[{"type":"tool_use","id":"t\udbff","name":"Bash","input":{"command":"echo \ud83d"}}]}}"#;
        assert_eq!(
            decode(line),
            [r#"tool_call Bash {"command":"echo \uFFFD"}"#]
        );
        let line = r#"{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t","content":"a\udc00b"}]}}"#;
        assert_eq!(decode(line), [r#"tool_result false "a\uFFFDb""#]);
        // An escaped backslash before `u` is text: nothing to repair, and no report.
        let line = r#"{"type":"user","message":{"content":"C:\\ud83d\\"}}"#;
        assert_eq!(decode(line), [r#"user_prompt C:\ud83d\"#]);
    }

    #[test]
    fn padding_before_and_after_a_record_is_cut_off_and_reported() {
        let record = br#"{"type":"user","message":{"content":"hi"}}"#;
        let mut after = record.to_vec();
        after.extend_from_slice(&[0; 10]);
        assert_eq!(
            decode_bytes(&after),
            [
                format!("malformed nul_bytes @{}", 1000 + record.len()),
                "user_prompt hi".to_owned()
            ]
        );
        let mut before = vec![0u8; 3];
        before.extend_from_slice(b" \x01");
        before.extend_from_slice(record);
        assert_eq!(
            decode_bytes(&before),
            ["malformed nul_bytes @1000", "user_prompt hi"]
        );
        // Control bytes without NUL: reported as such, still read.
        let mut ctrl = record.to_vec();
        ctrl.extend_from_slice(b"\x1a\x1a");
        assert_eq!(
            decode_bytes(&ctrl),
            [
                format!("malformed invalid_json @{}", 1000 + record.len()),
                "user_prompt hi".to_owned()
            ]
        );
        // Padding and a broken record only: lost, and said so.
        assert_eq!(
            decode_bytes(b"{\"type\":\0\0"),
            ["malformed nul_bytes @1008"]
        );
    }

    /// The message of the first event of a line at offset 1000, if it is `Malformed`.
    fn first_message(bytes: &[u8]) -> Option<String> {
        first_malformed(bytes).map(|m| m.message)
    }

    /// The first problem reported on `bytes`, a terminated line at byte 1000.
    fn first_malformed(bytes: &[u8]) -> Option<Malformed> {
        let mut out = None;
        let line = Line {
            bytes,
            number: 1,
            offset: 1000,
            terminated: true,
        };
        let _ = decode_line("t", line, |e| {
            if let EventKind::Malformed(m) = &e.kind {
                out.get_or_insert_with(|| m.clone());
            }
            ControlFlow::Continue(())
        });
        out
    }

    #[test]
    fn a_byte_order_mark_in_mid_file_is_named_and_skipped() {
        let record = r#"{"type":"user","message":{"content":"b"}}"#;
        let mut line = b"\xEF\xBB\xBF".to_vec();
        line.extend_from_slice(record.as_bytes());
        assert_eq!(
            decode_bytes(&line),
            ["malformed byte_order_mark @1000", "user_prompt b"]
        );
        // Where is the event's offset: the message says what, once.
        let message = first_message(&line).unwrap();
        assert_eq!(
            message,
            "a byte-order mark (U+FEFF) in mid-file, at the start of this line (files joined together?): skipped, the rest of the line read"
        );
        // A mark before a broken record: one problem, under the record's fault (which lost
        // the line) and at its place; the mark named with its own place.
        let mut line = b"\xEF\xBB\xBF".to_vec();
        line.extend_from_slice(br#"{"type":"user",}"#);
        assert_eq!(decode_bytes(&line), ["malformed invalid_json @1018"]);
        let message = first_message(&line).unwrap();
        assert!(message.starts_with("invalid JSON"), "{message}");
        assert!(!message.contains("1018"), "{message}");
        assert!(
            message.ends_with("; byte 1000: a byte-order mark (U+FEFF) starts the line (files joined together?): skipped"),
            "{message}"
        );
        // A mark alone.
        assert_eq!(
            decode_bytes(b"\xEF\xBB\xBF"),
            ["malformed byte_order_mark @1000"]
        );
    }

    #[test]
    fn records_run_together_on_one_line_are_each_read_and_reported() {
        let a = r#"{"type":"user","message":{"content":"a"}}"#;
        let b = r#"{"type":"user","message":{"content":"b {\"}{"}}"#;
        let c = r#"{"type":"user","message":{"content":"c"}}"#;
        // Three records, a newline lost after the first and the second (with a space left).
        let line = format!("{a}{b} \t{c}");
        let (second, third) = (1000 + a.len(), 1000 + a.len() + b.len() + 2);
        assert_eq!(
            decode_bytes(line.as_bytes()),
            [
                format!("malformed run_together @{second}"),
                "user_prompt a".to_owned(),
                "user_prompt b {\"}{".to_owned(),
                "user_prompt c".to_owned(),
            ]
        );
        // The event is at the second record; the message gives the third's place, not the
        // second's again.
        assert_eq!(
            first_message(line.as_bytes()).as_deref(),
            Some(
                format!(
                    "a newline seems missing here and before byte {third}: 3 JSON texts run together on this line, each read on its own"
                )
                .as_str()
            )
        );
        // Two records: no offset in the message at all.
        let two = format!("{a}{c}");
        assert_eq!(
            decode_bytes(two.as_bytes()),
            [
                format!("malformed run_together @{second}"),
                "user_prompt a".to_owned(),
                "user_prompt c".to_owned(),
            ]
        );
        assert_eq!(
            first_message(two.as_bytes()).as_deref(),
            Some("a newline seems missing here: 2 JSON texts run together on this line, each read on its own")
        );
        // A record and then text that is not one: the record is read, the rest reported.
        let line = format!("{a} x");
        assert_eq!(
            decode_bytes(line.as_bytes()),
            [
                format!("malformed invalid_json @{}", second + 1),
                "user_prompt a".to_owned()
            ]
        );
        // Said as text that is not a record, not as a lost newline (no second object).
        let said = first_message(line.as_bytes()).unwrap_or_default();
        assert!(
            said.contains("is not a record") && !said.contains("newline"),
            "{said}"
        );
        // Records run together between crash padding: both read.
        let mut padded = format!("{a}{c}").into_bytes();
        padded.extend_from_slice(&[0; 4]);
        assert_eq!(
            decode_bytes(&padded),
            [
                format!("malformed nul_bytes @{}", 1000 + a.len() + c.len()),
                "user_prompt a".to_owned(),
                "user_prompt c".to_owned(),
            ]
        );
        // A broken first record is not cut: the line is lost as before.
        assert_eq!(
            decode_bytes(format!(r#"{{"type":"user",}}{c}"#).as_bytes()),
            ["malformed invalid_json @1015"]
        );
    }

    #[test]
    fn a_record_after_a_cut_one_on_its_line_is_read_and_the_cut_part_reported() {
        // The tester's shape (tester5 item 3): a response cut after 150 bytes by a crash, no
        // newline, and the next response appended right after it by the resumed writer.
        let record = r#"{"type":"assistant","uuid":"a2","message":{"id":"msg_b","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"b {\"}{"}],"usage":{"input_tokens":200,"output_tokens":60}}}"#;
        let cut = &record[..150];
        let line = format!("{cut}{record}");
        let events = decode_bytes(line.as_bytes());
        assert_eq!(events[0], "malformed invalid_json @1000");
        assert_eq!(events[1], "assistant_text b {\"}{");
        assert!(events[2].starts_with("usage "), "{events:?}");
        assert_eq!(events.len(), 3, "{events:?}");
        // At the cut part's start, with the record's place; not `recovered`: the cut record
        // is lost (the views say a line that could not be read, tester14 #1), though the
        // record after it is read.
        let m = first_malformed(line.as_bytes()).unwrap();
        assert_eq!(
            m.message,
            "partly read: a record cut off after 150 bytes (a crash mid-write?) and another written right after it on this line: the cut part skipped, the record from byte 1150 read"
        );
        assert!(!m.recovered);
        // Records run together with nothing lost: recovered.
        assert!(
            first_malformed(format!("{record}{record}").as_bytes())
                .unwrap()
                .recovered
        );
        // A record run together after it is read too, and said.
        let c = r#"{"type":"user","message":{"content":"c"}}"#;
        let line = format!("{cut}{record}{c}");
        let events = decode_bytes(line.as_bytes());
        assert_eq!(
            events.first().map(String::as_str),
            Some("malformed invalid_json @1000")
        );
        assert_eq!(events.last().map(String::as_str), Some("user_prompt c"));
        let message = first_message(line.as_bytes()).unwrap_or_default();
        assert!(
            message.ends_with(&format!(
                "; byte {}: a newline seems missing here: 2 JSON texts run together on this line, each read on its own",
                1000 + cut.len() + record.len()
            )),
            "{message}"
        );
        // Between crash padding: the same.
        let mut padded = b"\0\0".to_vec();
        padded.extend_from_slice(format!("{cut}{record}").as_bytes());
        let events = decode_bytes(&padded);
        assert_eq!(events[0], "malformed nul_bytes @1000");
        assert_eq!(events[1], "assistant_text b {\"}{");
        let message = first_message(&padded).unwrap_or_default();
        assert!(
            message.contains("; byte 1002: partly read: a record cut off after 150 bytes"),
            "{message}"
        );
        assert!(!first_malformed(&padded).unwrap().recovered);
        // Padding alone around whole records loses nothing: recovered.
        let mut padded = b"\0\0".to_vec();
        padded.extend_from_slice(record.as_bytes());
        assert!(first_malformed(&padded).unwrap().recovered);
        // Padding over a record's end, the next record after it (tester14 #1's shape).
        let mut padded = cut.as_bytes().to_vec();
        padded.extend_from_slice(&[0; 40]);
        padded.extend_from_slice(record.as_bytes());
        let m = first_malformed(&padded).unwrap();
        assert!(!m.recovered, "{m:?}");
        assert!(decode_bytes(&padded)
            .iter()
            .any(|e| e.starts_with("usage ")));
        // A cut part alone at the end of the file is still a cut line, not this repair.
        assert_eq!(
            decode_bytes(cut.as_bytes()),
            ["malformed invalid_json @1150"]
        );
        // A line cut just after a nested object closes: the object running to its end is a
        // message, not a record (no envelope); the line is lost as before.
        let nested = r#"{"type":"assistant","uuid":"a3","message":{"id":"m","content":[],"usage":{"input_tokens":1}}"#;
        let events = decode_bytes(nested.as_bytes());
        assert_eq!(events.len(), 1, "{events:?}");
        assert!(events[0].starts_with("malformed"), "{events:?}");
        // The last line of a file still being written is not cut, only unfinished: the record
        // after a cut part is not looked for there.
        let line = format!("{cut}{record}");
        let unfinished = Line {
            bytes: line.as_bytes(),
            number: 1,
            offset: 1000,
            terminated: false,
        };
        let mut events = Vec::new();
        let _ = decode_line("t", unfinished, |e| {
            events.push(describe(&e));
            ControlFlow::Continue(())
        });
        assert!(events[0].starts_with("malformed"), "{events:?}");
        assert!(!events.iter().any(|e| e.starts_with("usage")), "{events:?}");
    }

    #[test]
    fn a_bare_string_message_keeps_the_envelope_and_is_its_text() {
        let line = r#"{"type":"user","sessionId":"s","uuid":"u","message":"hello"}"#;
        assert_eq!(
            decode(line),
            ["malformed unexpected_shape @52", "user_prompt hello"]
        );
        assert_eq!(
            headers(line),
            [
                (None, None, None),
                (Some("s".to_owned()), Some("u".to_owned()), None)
            ]
        );
        // Items that are not blocks: strings are text, the rest skipped; all said.
        let line = r#"{"type":"assistant","message":{"id":"m","content":["a",null,{"type":"text","text":"b"}]}}"#;
        assert_eq!(
            decode(line),
            [
                "malformed unexpected_shape @30",
                "assistant_text a",
                "assistant_text b"
            ]
        );
        // A member of an unexpected type is absent, with no report (the format evolves).
        let line = r#"{"type":"assistant","message":{"id":5,"content":[{"type":"tool_use","id":7,"name":"Read","input":{}}]}}"#;
        assert_eq!(decode(line), ["tool_call Read {}"]);
    }

    #[test]
    fn undecodable_strings_are_reported_not_dropped() {
        // A bad escape in a top-level string: the member is skipped and the line said.
        let line = r#"{"type":"user","cwd":"a\qb","message":{"content":"p"}}"#;
        assert_eq!(
            decode(line),
            ["malformed invalid_json @24", "user_prompt p"]
        );
    }

    #[test]
    fn lines_without_type_are_read_by_role() {
        let line = r#"{"requestId":"r","message":{"role":"assistant","id":"m","model":"x","usage":{"input_tokens":3,"output_tokens":2}}}"#;
        assert_eq!(
            decode(line),
            ["usage Tokens { input: 3, output: 2, cache_read: 0, cache_write_5m: 0, cache_write_1h: 0, web_search: 0 }"]
        );
        assert_eq!(
            decode(r#"{"message":{"role":"user","content":"hi"}}"#),
            ["user_prompt hi"]
        );
        // Usage on a line that is not an API response is said, not counted.
        assert_eq!(
            decode(r#"{"message":{"role":"system","usage":{"input_tokens":1}}}"#),
            ["malformed unexpected_shape @0", "unknown None None"]
        );
    }

    /// The line's events, a malformed one with its message and offset.
    fn decode_said(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let line = Line {
            bytes: text.as_bytes(),
            number: 1,
            offset: 1000,
            terminated: true,
        };
        let _ = decode_line("t", line, |e| {
            out.push(match &e.kind {
                EventKind::Malformed(m) => format!(
                    "malformed {} @{} recovered={} {}",
                    m.reason.as_str(),
                    m.error_offset,
                    m.recovered,
                    m.message
                ),
                _ => describe(&e),
            });
            ControlFlow::Continue(())
        });
        out
    }

    /// The `unread` of the usage event of `line`, and its problems' messages.
    fn unread_of(line: &str) -> (Option<Unread>, Vec<String>) {
        let (mut unread, mut said) = (None, Vec::new());
        let line = Line {
            bytes: line.as_bytes(),
            number: 1,
            offset: 0,
            terminated: true,
        };
        let _ = decode_line("t", line, |e| {
            match &e.kind {
                EventKind::Usage { unread: u, .. } => unread = *u,
                EventKind::Malformed(m) => said.push(m.message.clone()),
                _ => {}
            }
            ControlFlow::Continue(())
        });
        (unread, said)
    }

    #[test]
    fn counts_that_cannot_be_read_leave_the_cost_unknown_each_said_why() {
        let response = |usage: &str| {
            format!(
                r#"{{"type":"assistant","message":{{"id":"m","model":"claude-opus-5","content":[],"usage":{usage}}}}}"#
            )
        };
        // tester8 #1: a count of a kind aegon does not know, outer or in an iteration.
        for usage in [
            r#"{"input_tokens":1,"output_tokens":2,"audio_input_tokens":5000}"#,
            r#"{"input_tokens":1,"output_tokens":2,"iterations":[{"input_tokens":1,"output_tokens":2,"cache_creation_24h_input_tokens":9}]}"#,
        ] {
            let (unread, said) = unread_of(&response(usage));
            assert_eq!(unread, Some(Unread::OtherCounts), "{usage}");
            assert!(
                said.len() == 1
                    && said[0].contains("is a token count aegon does not know: not counted, the response's cost unknown"),
                "{said:?}"
            );
        }
        // A zero there, or a number under another name: read whole, nothing said.
        let (unread, said) = unread_of(&response(
            r#"{"input_tokens":1,"output_tokens":2,"audio_input_tokens":0,"web_fetch_requests":3}"#,
        ));
        assert_eq!((unread, said.len()), (None, 0));
        // tester8 #2: a refused count; an input one leaves the context unknown too.
        for (usage, want) in [
            (
                r#"{"input_tokens":1,"output_tokens":"71"}"#,
                Unread::Refused,
            ),
            (
                r#"{"input_tokens":1.5,"output_tokens":71}"#,
                Unread::RefusedInput,
            ),
            (
                r#"{"input_tokens":1,"output_tokens":71,"server_tool_use":{"web_search_requests":-1}}"#,
                Unread::Refused,
            ),
            // Both: the input's, which says more.
            (
                r#"{"input_tokens":"1","output_tokens":-71,"cache_read_input_tokens":5}"#,
                Unread::RefusedInput,
            ),
        ] {
            let (unread, said) = unread_of(&response(usage));
            assert_eq!(unread, Some(want), "{usage}");
            assert_eq!(want.counts_unknown(), want == Unread::RefusedInput);
            assert!(
                said.len() == 1
                    && said[0]
                        .contains("is not a token count: read as 0, the response's cost unknown"),
                "{said:?}"
            );
        }
        // Nothing readable at all stays "no token count" (its context unknown).
        let (unread, _) = unread_of(&response(r#"{"output_tokens":"71"}"#));
        assert_eq!(unread, Some(Unread::NoCounts));
        // On a line that is no response, the count is said without a cost.
        let (_, said) = unread_of(
            r#"{"type":"user","message":{"role":"user","content":"x","usage":{"output_tokens":"7"}}}"#,
        );
        assert!(
            said.len() == 1 && !said[0].contains("cost unknown"),
            "{said:?}"
        );
    }

    #[test]
    fn refused_counts_are_no_count_and_said() {
        // On a response, a count read as 0 leaves its cost unknown (tester8 #2).
        const COST: &str = ", the response's cost unknown";
        // Each kind of count that is not one: the line kept, that count 0, the others read, and
        // the line said as partly read at the count, naming it (on the one-pass reading, and
        // on the member-by-member one a message with a bad escape falls back to).
        for text in ["ok", "bad \\q escape"] {
            let text = text.replace("\\\\", "\\");
            let line = format!(
                r#"{{"type":"assistant","message":{{"id":"m","model":"x","content":[{{"type":"text","text":"{text}"}}],"usage":{{"input_tokens":1e40,"output_tokens":-5,"cache_read_input_tokens":"lots","cache_creation_input_tokens":7,"cache_creation":{{"ephemeral_5m_input_tokens":12.5}}}}}}}}"#
            );
            let got = decode_said(&line);
            let at = |s: &str| 1000 + line.find(s).unwrap() + s.len();
            let said = got
                .iter()
                .find(|e| e.starts_with("malformed"))
                .unwrap_or_else(|| panic!("{got:?}"));
            let counts = format!(
                "partly read: `message.usage.input_tokens` 1e40 is not a token count: read as 0{COST}; byte {}: partly read: `message.usage.output_tokens` -5 is not a token count: read as 0{COST}; byte {}: partly read: `message.usage.cache_read_input_tokens` \"lots\" is not a token count: read as 0{COST}; byte {}: partly read: `message.usage.cache_creation.ephemeral_5m_input_tokens` 12.5 is not a token count: read as 0{COST}",
                at("\"output_tokens\":"),
                at("\"cache_read_input_tokens\":"),
                at("\"ephemeral_5m_input_tokens\":"),
            );
            if text == "ok" {
                assert_eq!(
                    said,
                    &format!(
                        "malformed unexpected_shape @{} recovered=true {counts}",
                        at("\"input_tokens\":")
                    )
                );
            } else {
                // The bad escape first, then the counts.
                assert!(said.ends_with(&counts), "{said}");
                assert!(said.contains("recovered=true"), "{said}");
            }
            // 7 written, 0 of them split: all 5-minute writes (the 12.5 refused).
            assert!(
                got.iter().any(|e| e
                    == "usage Tokens { input: 0, output: 0, cache_read: 0, cache_write_5m: 7, cache_write_1h: 0, web_search: 0 }"),
                "{got:?}"
            );
        }
        // Up to 2^53 (written out: 9007199254740992) a count, whole floats too; beyond it,
        // fractions, negatives and strings are refused, said, and 0.
        for (written, read) in [
            ("9007199254740992", Some(9_007_199_254_740_992_u64)),
            ("9007199254740992.0", Some(9_007_199_254_740_992)),
            ("1e3", Some(1000)),
            ("null", Some(0)),
            ("1e300", None),
            ("18446744073709551615", None),
            ("9007199254740993", None),
            ("9.1e15", None),
            ("12.7", None),
            ("-0.5", None),
            ("\"12\"", None),
        ] {
            let line = format!(
                r#"{{"type":"assistant","message":{{"id":"m","model":"x","content":[],"usage":{{"input_tokens":1,"output_tokens":{written}}}}}}}"#
            );
            let got = decode(&line);
            let usage = format!("usage Tokens {{ input: 1, output: {}, ", read.unwrap_or(0));
            match read {
                Some(_) => {
                    assert_eq!(got.len(), 1, "{written}: {got:?}");
                    assert!(got[0].starts_with(&usage), "{written}: {got:?}");
                }
                None => {
                    assert_eq!(got.len(), 2, "{written}: {got:?}");
                    let at = line.find("\"output_tokens\":").unwrap() + 16;
                    assert_eq!(got[0], format!("malformed unexpected_shape @{at}"));
                    assert!(got[1].starts_with(&usage), "{written}: {got:?}");
                }
            }
        }
    }
}
