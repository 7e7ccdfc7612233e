//! The driver: bytes in, events pushed to a renderer.
//!
//! A [`Pipeline`] owns the cross-line state ([`Correlator`]), the counters ([`Stats`]) and the
//! renderer. Each input is an [`Input`] (a name and its own [`LineSplitter`]), so any number of
//! inputs can be fed chunk by chunk, interleaved, in whatever sizes arrive: a file read to the
//! end with [`Pipeline::read_to_end`], or a followed file pushed as it grows with
//! [`Pipeline::push`].

use std::collections::HashMap;
use std::io::{self, Read};
use std::ops::ControlFlow;

use crate::event::{Agent, AgentSet, Event, EventKind, MalformedReason};
use crate::format::claude::decode::too_long_event;
use crate::format::{Decoder, Format};
use crate::hashing::Generations;
use crate::render::{Flow, Renderer};
use crate::session::correlate::{bare_line_identity, line_bytes_hash, Correlator};
use crate::source::lines::{LineItem, LineSplitter};

/// Default `--max-line`: 16 MiB, 20 times the largest line seen in real transcripts (0.8 MB of
/// pasted images). A longer line is reported and skipped without being held in memory.
pub const DEFAULT_MAX_LINE: usize = 16 << 20;

/// Size of the buffer inputs are read with.
const READ_CHUNK: usize = 256 << 10;

/// Clean lines remembered by their bytes (see [`CleanLines`]): the latest 57,344 or so (two
/// tables of 2¹⁵ slots of 17 bytes: 1.1 MB), about 100 MB of transcripts. Only a speed-up:
/// a repeat met after it was forgotten is parsed, and the correlator still knows it.
const CLEAN_LINES_REMEMBERED: usize = 2 * 28_672;

/// Claude Code lines read in a row without one that repeats an earlier line with a uuid (known
/// by its bytes in [`CleanLines`], or by its uuid in the correlator), after which
/// [`CleanLines`] looks up and remembers only sampled lines (one in [`SAMPLE_ONE_IN`]), until
/// such a line repeats again. About 14 MB of transcripts (1.8 KB a line on the corpus); the
/// memory holds seven times as many lines.
const DENSE_LINES: u32 = 8_192;

/// Out of dense mode, one line in this many (chosen by its bytes, see
/// [`CleanLines::sampled`]) is looked up and remembered.
const SAMPLE_ONE_IN: u64 = 16;

/// Lines up to this many bytes are always sampled: hashing them is as cheap as choosing.
const SAMPLE_WHOLE: usize = 128;

/// Lines already read whole, known by a 64-bit hash of their bytes, so that the same bytes
/// met again are known to repeat an entry without being parsed.
///
/// A Claude Code line is decoded without state (the same bytes give the same events), and a
/// line whose uuid was met before yields no event but its problem report. So a line that
/// (1) decoded without a problem report, (2) had its uuid checked by the correlator, is
/// remembered here with that uuid's identity; when the same bytes come again and the
/// correlator still knows the identity, reading the line would only find it repeated, and
/// that is all that is done ([`Correlator::repeat_known_line`]). Same output, same counters;
/// the line costs a hash of its bytes instead of a parse (transcripts copied into a resumed
/// session, a file read twice, the same session in two folders).
///
/// The hash is XXH3's (the `twox-hash` crate: AVX2 where the CPU has it, chosen at run time)
/// with a seed and a secret drawn per process, so lines cannot be made to collide on purpose;
/// two different lines collide by chance with odds of about n²/2⁶⁴.
///
/// On history without repeats the memory only ever misses, and its hash, probe and insert
/// (random reads of a 1.1 MB table, missing the caches, for every line) took 8% of the CPU
/// time (bench/filter.sh, UNIQUE). So it adapts ([`CleanLines::looked_up`]): after
/// [`DENSE_LINES`] lines in a row without a repeat, only lines sampled by their bytes (one in
/// [`SAMPLE_ONE_IN`]) are hashed, looked up and remembered; the first line with a uuid that
/// repeats (a sampled one found here, or any the correlator finds repeated) brings every line
/// back. The sample depends on the bytes alone and sampled lines are always remembered, so a
/// copy met while sampling is known from its first sampled line on (about [`SAMPLE_ONE_IN`]
/// lines in); from there every line is looked up, and those that were read while sampling
/// and not sampled are parsed (the correlator drops them, as it does every repeat this memory
/// misses) and remembered, for the next copy. Lines read within [`DENSE_LINES`] lines of a
/// repeat are all remembered, as before.
#[derive(Debug)]
struct CleanLines {
    /// XXH3's seed (lines up to 240 bytes) and secret (longer lines), drawn per process.
    seed: u64,
    secret: Box<[u8; SECRET_BYTES]>,
    /// The hasher of a line if XXH3 refused the secret (it cannot: the secret has the length
    /// XXH3's own has).
    fallback: foldhash::fast::RandomState,
    /// Hash of a line's bytes → identity of its uuid.
    lines: Generations<u64>,
    /// Claude Code lines read since the last that repeated an earlier one with a uuid.
    since_repeat: u32,
    /// Every line is looked up while `since_repeat` is under this ([`DENSE_LINES`]; tests
    /// set other values, `u32::MAX` for every line always).
    dense_lines: u32,
    /// Lines known here as repeats, not parsed.
    hits: u64,
}

/// Bytes of XXH3's secret: the length of its default one.
const SECRET_BYTES: usize = twox_hash::xxhash3_64::DEFAULT_SECRET_LENGTH;

impl Default for CleanLines {
    fn default() -> Self {
        use std::hash::BuildHasher;
        // Random words from the standard library's per-process keys (SipHash of counters).
        let keys = std::collections::hash_map::RandomState::new();
        let mut secret = Box::new([0u8; SECRET_BYTES]);
        for (i, word) in secret.chunks_exact_mut(8).enumerate() {
            word.copy_from_slice(&keys.hash_one(i).to_le_bytes());
        }
        CleanLines {
            seed: keys.hash_one(u64::MAX),
            secret,
            fallback: foldhash::fast::RandomState::default(),
            lines: Generations::with_limit(Some(CLEAN_LINES_REMEMBERED)),
            since_repeat: 0,
            hits: 0,
            dense_lines: DENSE_LINES,
        }
    }
}

impl CleanLines {
    /// The line's hash. XXH3 reads a long line 32 bytes a step with AVX2 (about 0.25
    /// instructions a byte); foldhash, used before, about 0.45.
    fn key(&self, bytes: &[u8]) -> u64 {
        use std::hash::BuildHasher;
        twox_hash::XxHash3_64::oneshot_with_seed_and_secret(self.seed, &self.secret[..], bytes)
            .unwrap_or_else(|_| self.fallback.hash_one(bytes))
    }

    /// Whether the line `bytes` is hashed, looked up and, once read, remembered: every line
    /// until [`DENSE_LINES`] in a row went by without a repeat, then sampled ones.
    #[inline]
    fn looked_up(&self, bytes: &[u8]) -> bool {
        self.since_repeat < self.dense_lines || Self::sampled(self.seed, bytes)
    }

    /// Whether the line `bytes` is one of the sample: about one in [`SAMPLE_ONE_IN`], by a
    /// hash of its length, its first 64 bytes and its last 64 (every line up to
    /// [`SAMPLE_WHOLE`] bytes). On the corpus (6,867 lines) lines alike in those are alike
    /// whole: the lines that differ only in between (the same progress record but for its
    /// uuids, a title written again) differ in their first bytes (`parentUuid`) or their last
    /// (`uuid`, `timestamp`), so the sample is not a family of lines that is always out.
    fn sampled(seed: u64, bytes: &[u8]) -> bool {
        use twox_hash::XxHash3_64;
        let n = bytes.len();
        if n <= SAMPLE_WHOLE {
            return true;
        }
        let (Some(head), Some(tail)) = (bytes.get(..64), bytes.get(n - 64..)) else {
            return true;
        };
        let seed = seed ^ n as u64;
        let h = XxHash3_64::oneshot_with_seed(seed, head)
            ^ XxHash3_64::oneshot_with_seed(seed.rotate_left(32), tail);
        h % SAMPLE_ONE_IN == 0
    }

    /// Notes a Claude Code line read: `repeated` whether it repeated an earlier line with a
    /// uuid.
    #[inline]
    fn note(&mut self, repeated: bool) {
        self.since_repeat = if repeated {
            0
        } else {
            self.since_repeat.saturating_add(1)
        };
    }
}

/// Counters over everything a pipeline has read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Inputs started.
    pub inputs: u64,
    /// Inputs that held no bytes at all.
    pub empty_inputs: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Lines read (blank and malformed ones included).
    pub lines: u64,
    /// Lines holding only whitespace (skipped).
    pub blank_lines: u64,
    /// Events produced (before any renderer-side filtering), malformed ones included.
    pub events: u64,
    /// Lines that repeat an earlier line (the same `uuid`): read, and skipped, since the
    /// entry they hold counts once, where it first occurred (see [`crate::session::correlate`]).
    pub repeated_lines: u64,
    /// Lines with a problem, by reason (a line whose invalid UTF-8 was repaired counts here too).
    pub malformed: MalformedCounts,
    /// Of the lines skipped for `--max-line` (`malformed.too_long`), those that may hold an
    /// API response's usage ([`crate::source::lines::LineItem::TooLong`]'s `may_hold_usage`):
    /// while there are any, every cost read is a lower bound (tester15 #5).
    pub too_long_usage: u64,
}

/// Problem lines by [`MalformedReason`]. Non-exhaustive, as the reasons are: a new reason
/// brings a new counter; [`MalformedCounts::nonzero`] lists them all by reason.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MalformedCounts {
    /// Not valid JSON.
    pub invalid_json: u64,
    /// Valid JSON but not a transcript record.
    pub unexpected_shape: u64,
    /// Invalid UTF-8 (read anyway, with replacements).
    pub invalid_utf8: u64,
    /// NUL bytes.
    pub nul_bytes: u64,
    /// Over the line limit.
    pub too_long: u64,
    /// Cut off at the end of input.
    pub truncated: u64,
    /// Records run together on one line (a lost newline); each read.
    pub run_together: u64,
    /// A byte-order mark at the start of a line other than the first (files joined together).
    pub byte_order_mark: u64,
    /// Of all the above, lines still read (`recovered: true`: invalid UTF-8 replaced, crash
    /// padding cut off, a member that could not be read skipped).
    pub recovered: u64,
}

impl Stats {
    /// Adds another run's counters (from another thread) to these.
    pub fn merge(&mut self, other: &Stats) {
        self.inputs += other.inputs;
        self.empty_inputs += other.empty_inputs;
        self.bytes += other.bytes;
        self.lines += other.lines;
        self.blank_lines += other.blank_lines;
        self.events += other.events;
        self.repeated_lines += other.repeated_lines;
        self.too_long_usage += other.too_long_usage;
        let (a, b) = (&mut self.malformed, &other.malformed);
        a.invalid_json += b.invalid_json;
        a.unexpected_shape += b.unexpected_shape;
        a.invalid_utf8 += b.invalid_utf8;
        a.nul_bytes += b.nul_bytes;
        a.too_long += b.too_long;
        a.truncated += b.truncated;
        a.run_together += b.run_together;
        a.byte_order_mark += b.byte_order_mark;
        a.recovered += b.recovered;
    }
}

impl MalformedCounts {
    /// All problem lines.
    pub fn total(&self) -> u64 {
        self.invalid_json
            + self.unexpected_shape
            + self.invalid_utf8
            + self.nul_bytes
            + self.too_long
            + self.truncated
            + self.run_together
            + self.byte_order_mark
    }

    /// Lines whose events were lost (all problem lines but those still read).
    pub fn lost(&self) -> u64 {
        self.total().saturating_sub(self.recovered)
    }

    fn count(&mut self, reason: MalformedReason, recovered: bool) {
        if recovered {
            self.recovered += 1;
        }
        let slot = match reason {
            MalformedReason::InvalidJson => &mut self.invalid_json,
            MalformedReason::UnexpectedShape => &mut self.unexpected_shape,
            MalformedReason::InvalidUtf8 => &mut self.invalid_utf8,
            MalformedReason::NulBytes => &mut self.nul_bytes,
            MalformedReason::TooLong => &mut self.too_long,
            MalformedReason::Truncated => &mut self.truncated,
            MalformedReason::RunTogether => &mut self.run_together,
            MalformedReason::ByteOrderMark => &mut self.byte_order_mark,
        };
        *slot += 1;
    }

    /// `(reason, count)` for each reason with a non-zero count.
    pub fn nonzero(&self) -> Vec<(MalformedReason, u64)> {
        [
            (MalformedReason::InvalidJson, self.invalid_json),
            (MalformedReason::UnexpectedShape, self.unexpected_shape),
            (MalformedReason::InvalidUtf8, self.invalid_utf8),
            (MalformedReason::NulBytes, self.nul_bytes),
            (MalformedReason::TooLong, self.too_long),
            (MalformedReason::Truncated, self.truncated),
            (MalformedReason::RunTogether, self.run_together),
            (MalformedReason::ByteOrderMark, self.byte_order_mark),
        ]
        .into_iter()
        .filter(|&(_, n)| n > 0)
        .collect()
    }
}

/// Options of a [`Pipeline`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Lines longer than this many bytes are reported and skipped.
    pub max_line: usize,
    /// Read every input as this format instead of telling it from the content
    /// (see [`crate::format`]).
    pub format: Option<Format>,
    /// Only these agents' events are kept (problem-line events always are).
    pub agents: AgentSet,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_line: DEFAULT_MAX_LINE,
            format: None,
            agents: AgentSet::ALL,
        }
    }
}

/// One input being read: its name and its line state.
#[derive(Debug)]
pub struct Input {
    name: String,
    splitter: LineSplitter,
    decoder: Decoder,
    /// Where its lines without uuid stand (Claude Code's), which gives them their identity.
    bare_lines: BareLines,
}

/// Of one input: what gives its Claude Code lines without uuid their identity
/// ([`crate::session::correlate::bare_line_identity`]): the uuid of the last line before them
/// that had one, their bytes, and how many lines of the same bytes came since that line.
///
/// So the same lines read twice (a file and its copy, the same bytes pushed twice into one
/// input, entries re-appended after a line with a uuid, a resumed session's copy) get the
/// same identities and count once, while a line written again later in the same session (the
/// same `permission-mode` after a change and back) follows another uuid and stays a line of
/// its own. Lines before the input's first line with a uuid follow none: in a second copy of
/// a file pushed into the same input they follow the first copy's last line, and come again.
#[derive(Debug, Default)]
struct BareLines {
    /// Identity of the uuid of the last line that had one.
    after: Option<u64>,
    /// Hash of a line's bytes → lines of those bytes since `after` (a few entries at most).
    since: HashMap<u64, u32>,
}

impl BareLines {
    /// A line with the uuid of identity `identity` was read.
    fn uuid_line(&mut self, identity: u64) {
        self.after = Some(identity);
        if !self.since.is_empty() {
            self.since.clear();
        }
    }

    /// The identity of the next line without uuid, whose bytes are `bytes`.
    fn identity(&mut self, bytes: &[u8]) -> u64 {
        let hash = line_bytes_hash(bytes);
        let seen = self.since.entry(hash).or_insert(0);
        *seen = seen.saturating_add(1);
        bare_line_identity(self.after, hash, *seen)
    }
}

impl Input {
    /// The input's name, as events report it in `source.file`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Bytes pushed so far.
    pub fn bytes(&self) -> u64 {
        self.splitter.bytes_seen()
    }

    /// Whether a partial line is waiting for its newline.
    pub fn has_partial_line(&self) -> bool {
        self.splitter.has_partial()
    }

    /// The input's format, once its first line told it (or when it was forced).
    pub fn format(&self) -> Option<Format> {
        self.decoder.format()
    }

    /// Whether the input is a JSON document gathered whole, decoded when it is closed (its
    /// format may be known only then).
    pub fn is_document(&self) -> bool {
        self.decoder.is_document()
    }

    /// Gives back the buffer kept from earlier long lines, when no line is pending.
    pub fn release_memory(&mut self) {
        self.splitter.release_memory();
    }
}

/// What [`Pipeline::end_document`] did with an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentEnd {
    /// The input is read line by line, not as a document: nothing was done.
    NotDocument,
    /// The document was decoded (the renderer's answer), and the input started over.
    Decoded(Flow),
    /// The document ends before its JSON value does (read while still being written): kept
    /// undecoded.
    CutOff,
}

/// Where a [`Pipeline::read_to_end`] failed.
#[derive(Debug)]
pub enum ReadError {
    /// Reading the input failed (the renderer still has everything read before). From
    /// [`Pipeline::read_to_end`] the error names the input and where it failed: its inner
    /// error is a [`crate::source::InputError`] (reach it with
    /// [`InputError::of`](crate::source::InputError::of)), its kind the underlying one's.
    Input(io::Error),
    /// Writing output failed (a closed pipe, a full disk): stop.
    Output(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Input(e) if crate::source::InputError::of(e).is_some() => {
                write!(f, "cannot read {e}")
            }
            ReadError::Input(e) => write!(f, "cannot read the input: {e}"),
            ReadError::Output(e) => write!(f, "cannot write the output: {e}"),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Input(e) | ReadError::Output(e) => Some(e),
        }
    }
}

/// Bytes → lines → events → renderer. See the [module documentation](self).
#[derive(Debug)]
pub struct Pipeline<R> {
    options: Options,
    correlator: Correlator,
    clean_lines: CleanLines,
    stats: Stats,
    renderer: R,
    /// The buffer [`Pipeline::read_to_end`] reads with, kept for the next input (zeroing
    /// 256 KiB per file cost more than reading a small file).
    read_buf: Vec<u8>,
}

impl<R: Renderer> Pipeline<R> {
    /// A pipeline that pushes events to `renderer`.
    pub fn new(options: Options, renderer: R) -> Self {
        Self::with_correlator(options, renderer, Correlator::new())
    }

    /// A pipeline whose cross-line bookkeeping starts from `correlator` (for instance one
    /// that skips entries counted elsewhere: [`Correlator::with_skipped`]).
    pub fn with_correlator(options: Options, renderer: R, correlator: Correlator) -> Self {
        Pipeline {
            options,
            correlator,
            clean_lines: CleanLines::default(),
            stats: Stats::default(),
            renderer,
            read_buf: Vec::new(),
        }
    }

    /// Hands the pipeline a buffer for [`Pipeline::read_to_end`] to read with (whatever its
    /// length and contents), for instance one a finished pipeline gave back
    /// ([`Pipeline::take_read_buffer`]): a worker reading many groups of files, each with a
    /// pipeline of its own, allocates and zeroes its 256 KiB once, not once per group (fresh
    /// pages each time: 4% of the instructions and a page fault per 4 KiB of a summary of
    /// distinct history).
    pub fn with_read_buffer(mut self, buf: Vec<u8>) -> Self {
        self.read_buf = buf;
        self
    }

    /// Takes back the buffer [`Pipeline::read_to_end`] reads with (empty if it never read),
    /// for [`Pipeline::with_read_buffer`].
    pub fn take_read_buffer(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.read_buf)
    }

    /// The cross-line bookkeeping (which entries were seen, tool calls awaiting a result).
    pub fn correlator_mut(&mut self) -> &mut Correlator {
        &mut self.correlator
    }

    /// The options it was made with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Counters so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The renderer.
    pub fn renderer(&mut self) -> &mut R {
        &mut self.renderer
    }

    /// Starts an input called `name` (a path, or `<stdin>`).
    pub fn open(&mut self, name: impl Into<String>) -> Input {
        self.stats.inputs += 1;
        Input {
            name: name.into(),
            splitter: LineSplitter::new(self.options.max_line),
            decoder: Decoder::new(self.options.format),
            bare_lines: BareLines::default(),
        }
    }

    /// The pipeline's parts lent to the line splitter's callback, with the input's
    /// `bare_lines`.
    fn sink<'p>(&'p mut self, bare_lines: &'p mut BareLines) -> EventSink<'p, R> {
        EventSink {
            max_line: self.options.max_line,
            agents: self.options.agents,
            document: None,
            correlator: &mut self.correlator,
            clean_lines: &mut self.clean_lines,
            bare_lines,
            line_reported: false,
            stats: &mut self.stats,
            renderer: &mut self.renderer,
            error: None,
        }
    }

    /// Feeds a chunk of `input`'s bytes; complete lines are decoded and rendered.
    pub fn push(&mut self, input: &mut Input, chunk: &[u8]) -> io::Result<Flow> {
        self.stats.bytes += chunk.len() as u64;
        let Input {
            name,
            splitter,
            decoder,
            bare_lines,
        } = input;
        let mut sink = self.sink(bare_lines);
        let flow = splitter.push(chunk, |item| sink.line(name, decoder, item));
        sink.done(flow)
    }

    /// Starts `input` over, as when its file was truncated or rewritten: a partial line
    /// waiting for its newline is dropped (its end will never come), and line numbers and
    /// offsets count from the start again. Returns the bytes of partial line dropped.
    pub fn rewind(&mut self, input: &mut Input) -> u64 {
        let dropped = input.splitter.partial_len();
        input.splitter.reset(0, 1);
        input.decoder = Decoder::new(self.options.format);
        // Read again from its start, its lines without uuid are met again as they were.
        input.bare_lines = BareLines::default();
        dropped
    }

    /// Reads `chunk`, the next bytes of `input`'s history (what comes before the lines that
    /// count, from the input's start: a file followed from its end), into its decoder (and, for
    /// Gemini CLI, the correlator),
    /// where the decoder [learns from it](Decoder::learns_from_history): nothing is emitted,
    /// counted or reported. A Codex rollout followed from between a `token_count` and its
    /// repeat (Codex writes each twice) then knows the repeat for one (tester11 #6: without,
    /// the repeat of the last request before the start was counted as a new one); a resumed
    /// Copilot CLI session followed from after its first shutdown counts only what its second
    /// adds (tester13 #3); a Gemini CLI chat followed from between a message and its repeat
    /// (written again once its calls finish) counts the repeat's calls, not its response again:
    /// the history's Gemini events go through the correlator (known as met, not counted), as
    /// in a read from the start. Returns
    /// whether more history is of use (false once the format is known and its decoder carries
    /// nothing across lines): the caller stops there. Then [`Pipeline::start_at`] where the
    /// counted lines begin (a partial line of the history is dropped).
    pub fn skim(&mut self, input: &mut Input, chunk: &[u8]) -> bool {
        let Input {
            name,
            splitter,
            decoder,
            ..
        } = input;
        if !decoder.learns_from_history() {
            return false;
        }
        let (correlator, agents) = (&mut self.correlator, self.options.agents);
        let flow = splitter.push(chunk, |item| {
            if let LineItem::Line(line) = item {
                if !line.bytes.iter().all(u8::is_ascii_whitespace) {
                    // What the history's entries are, known as met (nothing is counted).
                    correlator.begin_line();
                    decoder.history_line(name, line, &mut |mut event| {
                        if agents.contains(event.agent) {
                            correlator.apply(&mut event);
                        }
                    });
                }
            }
            if decoder.learns_from_history() {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(())
            }
        });
        flow.is_continue() && decoder.learns_from_history()
    }

    /// Reads `tail`, the end of a Claude Code transcript's history just before where a
    /// follower starts (`-f --from-end`, a watched folder's older file once it grows), into the
    /// correlator alone: nothing is emitted, counted or reported, but the lines, API responses
    /// and tool calls it holds are known. Claude Code writes one API response as several lines
    /// seconds apart (one per content block, each repeating the usage: FORMAT.md §6), so a
    /// follower started between two of them counted the later one as a new response with its
    /// whole prompt (tester15 #1: $0.6113 for the $0.5371 the same lines give read from the
    /// start); with the tail known it is the increment it is read from the start, and a tool
    /// result after the start finds its call. `tail` holds whole lines, newline-separated,
    /// starting at byte `offset` of the input (the caller drops a partial first line). Does
    /// nothing for another format: their decoders learn through [`Pipeline::skim`].
    pub fn skim_tail(&mut self, input: &mut Input, tail: &[u8], offset: u64) {
        if input.decoder.format() != Some(Format::Claude) || input.decoder.is_document() {
            return;
        }
        let correlator = &mut self.correlator;
        let mut at = offset;
        for bytes in tail.split(|&b| b == b'\n') {
            let line_offset = at;
            at += bytes.len() as u64 + 1;
            let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            correlator.begin_line();
            let line = crate::source::lines::Line {
                bytes,
                number: 0,
                offset: line_offset,
                terminated: true,
            };
            let _ = input.decoder.line(&input.name, line, &mut |mut event| {
                correlator.apply(&mut event);
                ControlFlow::Continue(())
            });
        }
    }

    /// Makes `input` start mid-file: at byte `offset`, which begins line `number`.
    pub fn start_at(&mut self, input: &mut Input, offset: u64, number: u64) {
        input.splitter.reset(offset, number);
        input.bare_lines = BareLines::default();
    }

    /// Ends `input`: a last line without a newline is decoded (and reported if it is cut off).
    pub fn close(&mut self, mut input: Input) -> io::Result<Flow> {
        if input.splitter.bytes_seen() == 0 {
            self.stats.empty_inputs += 1;
        }
        self.finish_input(&mut input)
    }

    /// For an input read whole as one JSON document ([`Format::is_document`], a chat file
    /// that its agent rewrites as it grows): decodes the document gathered so far, then
    /// starts the input over as [`Pipeline::rewind`] does, ready for the file to be read again
    /// from its start once it changes. Entries already seen count once (the correlator knows
    /// their identities).
    ///
    /// A document that ends before its JSON value does ([`DocumentEnd::CutOff`]: read while
    /// its agent was still writing it) is kept, not decoded: the caller reads the file again
    /// from its start (after [`Pipeline::rewind`]) when it changes, and if it never does,
    /// [`Pipeline::close`] decodes and reports it as it stands.
    pub fn end_document(&mut self, input: &mut Input) -> io::Result<DocumentEnd> {
        if !input.is_document() {
            return Ok(DocumentEnd::NotDocument);
        }
        // The last line, which a chat file does not end with a newline, joins the document.
        let flow = self.finish_last_line(input)?;
        if flow.is_continue() && input.decoder.document_ends_early() {
            return Ok(DocumentEnd::CutOff);
        }
        let flow = match flow {
            ControlFlow::Continue(()) => self.finish_input(input)?,
            stop => stop,
        };
        self.rewind(input);
        Ok(DocumentEnd::Decoded(flow))
    }

    /// Decodes `input`'s pending last line (one without a newline), if any; a document
    /// gathers it.
    fn finish_last_line(&mut self, input: &mut Input) -> io::Result<Flow> {
        let Input {
            name,
            splitter,
            decoder,
            bare_lines,
        } = input;
        let mut sink = self.sink(bare_lines);
        let flow = splitter.finish(|item| sink.line(name, decoder, item));
        sink.done(flow)
    }

    /// Decodes `input`'s last line and a gathered document.
    fn finish_input(&mut self, input: &mut Input) -> io::Result<Flow> {
        if self.finish_last_line(input)?.is_break() {
            return Ok(ControlFlow::Break(()));
        }
        let Input {
            name,
            decoder,
            bare_lines,
            ..
        } = input;
        let mut sink = self.sink(bare_lines);
        if decoder.is_document() {
            sink.document = Some((u64::MAX, 0));
        }
        let flow = decoder.finish(name, &mut |event| sink.event(event));
        sink.done(flow)
    }

    /// Reads `reader` to its end as the input `name`, flushing the renderer after each chunk
    /// (so a pipe fed slowly shows events as they come).
    pub fn read_to_end(&mut self, name: &str, mut reader: impl Read) -> Result<Flow, ReadError> {
        let mut buf = std::mem::take(&mut self.read_buf);
        buf.resize(READ_CHUNK, 0);
        let flow = self.read_all(name, &mut reader, &mut buf);
        self.read_buf = buf;
        flow
    }

    /// [`Pipeline::read_to_end`] with the buffer given.
    fn read_all(
        &mut self,
        name: &str,
        reader: &mut impl Read,
        buf: &mut [u8],
    ) -> Result<Flow, ReadError> {
        let mut input = self.open(name);
        loop {
            let n = match reader.read(buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let (offset, line) = (input.bytes(), input.splitter.lines_seen() + 1);
                    // Render what was read; the caller reports the error.
                    let _ = self.close(input).map_err(ReadError::Output)?;
                    self.renderer.flush().map_err(ReadError::Output)?;
                    let e = crate::source::InputError::wrap(name, Some(offset), Some(line), e);
                    return Err(ReadError::Input(e));
                }
            };
            if self
                .push(&mut input, &buf[..n])
                .map_err(ReadError::Output)?
                .is_break()
            {
                return Ok(ControlFlow::Break(()));
            }
            self.renderer.flush().map_err(ReadError::Output)?;
        }
        let flow = self.close(input).map_err(ReadError::Output)?;
        self.renderer.flush().map_err(ReadError::Output)?;
        Ok(flow)
    }

    /// Ends the run: the renderer's `finish` gets the final counters. Returns the renderer and
    /// the counters.
    pub fn finish(mut self) -> io::Result<(R, Stats)> {
        self.renderer.finish(&self.stats)?;
        Ok((self.renderer, self.stats))
    }
}

/// Borrowed pieces of a pipeline, lent to the splitter's callback.
struct EventSink<'p, R> {
    max_line: usize,
    agents: AgentSet,
    /// The events come from a JSON document read whole: those without an identity of their
    /// own ([`Correlator::has_identity`]) are known by their place
    /// ([`Correlator::seen_document_event`]: the offset of their entry and their number among
    /// its placed events), so a document read again as it is rewritten yields each once; the
    /// others are counted by their identity, as on any input.
    document: Option<(u64, u32)>,
    correlator: &'p mut Correlator,
    clean_lines: &'p mut CleanLines,
    /// The input's lines without uuid met so far (see [`Input`]).
    bare_lines: &'p mut BareLines,
    /// Whether the line being decoded yielded a problem report (`Malformed` event).
    line_reported: bool,
    stats: &'p mut Stats,
    renderer: &'p mut R,
    error: Option<io::Error>,
}

impl<R: Renderer> EventSink<'_, R> {
    fn line(&mut self, file: &str, decoder: &mut Decoder, item: LineItem<'_>) -> ControlFlow<()> {
        self.stats.lines += 1;
        self.correlator.begin_line();
        match item {
            LineItem::Line(line) => {
                if line.bytes.iter().all(u8::is_ascii_whitespace) {
                    self.stats.blank_lines += 1;
                    return ControlFlow::Continue(());
                }
                // Only Claude Code lines are decoded without state (see `CleanLines`).
                let stateless = decoder.format() == Some(Format::Claude) && !decoder.is_document();
                let key = (stateless && self.clean_lines.looked_up(line.bytes))
                    .then(|| self.clean_lines.key(line.bytes));
                if let Some(&identity) = key.and_then(|key| self.clean_lines.lines.get(&key)) {
                    if self.correlator.repeat_known_line(identity) {
                        self.bare_lines.uuid_line(identity);
                        self.stats.repeated_lines += 1;
                        self.clean_lines.note(true);
                        self.clean_lines.hits += 1;
                        return ControlFlow::Continue(());
                    }
                }
                let repeated = self.correlator.repeated_lines();
                self.line_reported = false;
                let bytes = line.bytes;
                let flow = decoder.line(file, line, &mut |event| self.line_event(event, bytes));
                let repeated = self.correlator.repeated_lines() > repeated;
                if repeated {
                    self.stats.repeated_lines += 1;
                }
                if stateless {
                    // A line without uuid that repeats (known by its bytes and the entry
                    // before it, see `Input`) is no copy this memory could have known.
                    let copied = repeated && self.correlator.line_identity().is_some();
                    self.clean_lines.note(copied);
                }
                if let Some(identity) = self.correlator.line_identity() {
                    self.bare_lines.uuid_line(identity);
                }
                if let (Some(key), Some(identity), false, true) = (
                    key,
                    self.correlator.line_identity(),
                    self.line_reported,
                    flow.is_continue(),
                ) {
                    self.clean_lines.lines.insert(key, identity);
                }
                flow
            }
            LineItem::TooLong {
                number,
                offset,
                len,
                may_hold_usage,
                ..
            } => {
                self.stats.too_long_usage += u64::from(may_hold_usage);
                let mut event = too_long_event(file, number, offset, len, self.max_line);
                // The input's agent, once its format is known (the line itself is not read).
                if let Some(format) = decoder.format() {
                    event.agent = format.agent();
                }
                self.event(event)
            }
        }
    }

    /// [`EventSink::event`] for an event of the line `bytes`. A Claude Code line without uuid
    /// is known by its bytes and their rank in the input (see [`Input`]); it is decoded
    /// without state, so the same bytes give the same events. Other formats' lines are not:
    /// their decoders keep state across lines, and some of their records repeat the same
    /// bytes in unrelated sessions.
    fn line_event(&mut self, mut event: Event<'_>, bytes: &[u8]) -> ControlFlow<()> {
        if event.agent == Agent::ClaudeCode
            && self.agents.contains(event.agent)
            && self.correlator.wants_bare_line(&event)
        {
            let identity = self.bare_lines.identity(bytes);
            self.correlator.set_bare_line(identity);
        }
        self.event_in_place(&mut event)
    }

    fn event(&mut self, mut event: Event<'_>) -> ControlFlow<()> {
        self.event_in_place(&mut event)
    }

    /// [`EventSink::event`] for an event lent, not moved (an `Event` is some 400 bytes, and
    /// every event of every line comes through here).
    fn event_in_place(&mut self, event: &mut Event<'_>) -> ControlFlow<()> {
        if let EventKind::Malformed(m) = &event.kind {
            self.line_reported = true;
            self.stats.malformed.count(m.reason, m.recovered);
        } else if !self.agents.contains(event.agent) {
            return ControlFlow::Continue(());
        } else if let (Some((offset, ordinal)), false) =
            (&mut self.document, Correlator::has_identity(event))
        {
            // Only events without an identity of their own are known by their place (and
            // numbered within it): a tool call, a result or a usage is counted by its id, so
            // one added to an entry in a rewrite (Gemini CLI adds a message's `toolCalls` and
            // grows its `tokens` after writing it) moves no other event's place, and a usage
            // grown in the rewrite passes as its increase.
            if *offset == event.source.offset {
                *ordinal += 1;
            } else {
                (*offset, *ordinal) = (event.source.offset, 0);
            }
            let (file, at) = (event.source.file, event.source.offset);
            if self.correlator.seen_document_event(file, at, *ordinal) {
                return ControlFlow::Continue(());
            }
        }
        if !self.correlator.apply(event) {
            return ControlFlow::Continue(());
        }
        self.stats.events += 1;
        match self.renderer.on_event(event) {
            Ok(flow) => flow,
            Err(e) => {
                self.error = Some(e);
                ControlFlow::Break(())
            }
        }
    }

    fn done(self, flow: ControlFlow<()>) -> io::Result<Flow> {
        // Every event of this call is handed over: the caller may wait or report next.
        self.renderer.pause();
        match self.error {
            Some(e) => Err(e),
            None => Ok(flow),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CleanLines;
    use crate::render::ndjson::NdjsonRenderer;
    use proptest::prelude::*;

    /// Every call that hands events over ends with a pause, after its last event (the
    /// dashboard lets go of its lock there: a source that then waits must not hold it).
    #[test]
    fn each_push_and_close_ends_with_a_pause() {
        use crate::render::{Flow, Renderer};
        use crate::Event;
        #[derive(Default)]
        struct Log(Vec<char>);
        impl Renderer for Log {
            fn on_event(&mut self, _: &Event<'_>) -> std::io::Result<Flow> {
                self.0.push('e');
                Ok(Flow::Continue(()))
            }
            fn pause(&mut self) {
                self.0.push('p');
            }
        }
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/corpus/AlexandreVassard__will-it-rain__claude.jsonl");
        let bytes = std::fs::read(&path).unwrap();
        // The file without its last newline: `close` decodes the last line.
        let bytes = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        let mut pipeline = super::Pipeline::new(super::Options::default(), Log::default());
        let mut input = pipeline.open("f");
        let mut calls = 0;
        for chunk in bytes.chunks(4096) {
            pipeline.renderer().0.clear();
            let _ = pipeline.push(&mut input, chunk).unwrap();
            let log = &pipeline.renderer().0;
            assert_eq!(log.last(), Some(&'p'), "{log:?}");
            assert_eq!(log.iter().filter(|&&c| c == 'p').count(), 1);
            calls += 1;
        }
        pipeline.renderer().0.clear();
        let _ = pipeline.close(input).unwrap();
        let log = &pipeline.renderer().0;
        assert!(log.contains(&'e'), "the last line is decoded at close");
        assert_eq!(log.last(), Some(&'p'), "{log:?}");
        assert!(calls > 10, "{calls} chunks");
    }

    /// A line of `n` bytes, each from a simple generator (no two neighbours alike).
    fn line(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 56) as u8
            })
            .collect()
    }

    /// A line's key is a function of all its bytes: the same bytes (another copy) give the
    /// same key, and a line differing in any one byte, or one byte longer, another; at every
    /// length the hash reads differently (XXH3: up to 16, 128 and 240 bytes, then by stripes
    /// and 1 KiB blocks with a tail).
    #[test]
    fn clean_line_keys_see_every_byte() {
        let lines = CleanLines::default();
        let lengths = (0..=260).chain([511, 512, 1023, 1024, 1025, 1100, 4096, 5000]);
        for n in lengths {
            let bytes = line(n, n as u64 + 7);
            let key = lines.key(&bytes);
            assert_eq!(lines.key(&bytes.clone()), key, "length {n}");
            let mut longer = bytes.clone();
            longer.push(0);
            assert_ne!(lines.key(&longer), key, "length {n} and one byte more");
            let step = if n > 300 { 37 } else { 1 };
            for at in (0..n).step_by(step).chain(n.checked_sub(1)) {
                let mut other = bytes.clone();
                other[at] ^= 0x20;
                assert_ne!(lines.key(&other), key, "length {n}, byte {at} changed");
            }
        }
        // Drawn per pipeline: another pipeline's keys differ.
        let other = CleanLines::default();
        assert_ne!(
            other.key(b"{\"uuid\":\"a\"}"),
            lines.key(b"{\"uuid\":\"a\"}")
        );
    }

    /// The fixture corpus (fixtures/corpus, every transcript, each once: no line repeats
    /// another), its files in name order.
    fn corpus() -> Vec<u8> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/corpus");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
            .collect();
        files.sort();
        files
            .iter()
            .flat_map(|f| std::fs::read(f).unwrap())
            .collect()
    }

    /// The first `n` lines of `text`, each with its newline.
    fn first_lines(text: &str, n: usize) -> String {
        text.split_inclusive('\n').take(n).collect()
    }

    /// Lines `from..to` of `text`.
    fn lines_of(text: &str, from: usize, to: usize) -> String {
        text.split_inclusive('\n')
            .skip(from)
            .take(to - from)
            .collect()
    }

    /// Copy `k` of `text` made distinct as bench/filter.sh makes its UNIQUE input: every
    /// uuid, session, message, request and tool call id given the prefix `c{k}`, so no line
    /// of one copy repeats a line or an entry of another.
    fn distinct(text: &str, k: usize) -> String {
        [
            ("\"uuid\":\"", "-"),
            ("\"parentUuid\":\"", "-"),
            ("\"sessionId\":\"", "-"),
            ("\"id\":\"msg_", ""),
            ("\"requestId\":\"req_", ""),
            ("\"tool_use_id\":\"toolu_", ""),
            ("\"id\":\"toolu_", ""),
        ]
        .iter()
        .fold(text.to_owned(), |t, (at, sep)| {
            t.replace(at, &format!("{at}c{k}{sep}"))
        })
    }

    /// One run over `inputs` (each an input of its own) with clean lines looked up densely
    /// for `dense_lines` lines after a repeat: the NDJSON output, the counters, and after
    /// each input, the lines known by their bytes so far and the keys remembered.
    fn read_with(dense_lines: u32, inputs: &[&[u8]]) -> (String, super::Stats, Vec<(u64, usize)>) {
        let mut pipeline =
            super::Pipeline::new(super::Options::default(), NdjsonRenderer::new(Vec::new()));
        pipeline.clean_lines.dense_lines = dense_lines;
        let mut after = Vec::new();
        for bytes in inputs {
            let mut input = pipeline.open("input");
            for chunk in bytes.chunks(100_000) {
                let _ = pipeline.push(&mut input, chunk).unwrap();
            }
            let _ = pipeline.close(input).unwrap();
            let lines = &pipeline.clean_lines;
            after.push((lines.hits, lines.lines.len()));
        }
        let (renderer, stats) = pipeline.finish().unwrap();
        let out = String::from_utf8(renderer.into_inner()).unwrap();
        (out, stats, after)
    }

    /// A history that turns from distinct to copies (a resumed session's copy of lines read
    /// while only sampled ones were remembered, the same copy again, a copy of lines read
    /// while every line was): the output and the counters are those of the memory looking up
    /// every line, and each copy is known by its bytes from its first sampled line on.
    #[test]
    fn sampled_clean_lines_read_as_every_line_looked_up() {
        let corpus = String::from_utf8(corpus()).unwrap();
        let base = first_lines(&corpus, 1_500);
        let d: Vec<String> = (1..=4).map(|k| distinct(&base, k)).collect();
        // Lines 300..1,100 of the second copy: read after 1,500 + 300 lines without a repeat.
        let resumed = lines_of(&d[1], 300, 1_100);
        let early = first_lines(&d[0], 300);
        let inputs = [&d[0], &d[1], &d[2], &resumed, &d[3], &resumed, &early].map(String::as_bytes);
        let dense = 512;
        let (out_all, stats_all, all) = read_with(u32::MAX, &inputs);
        let (out, stats, sampled) = read_with(dense, &inputs);
        assert_eq!(stats, stats_all);
        assert!(out == out_all, "the outputs differ");
        assert!(stats.repeated_lines > 1_500, "{stats:?}");
        // Distinct lines: nothing known; past `dense` lines only sampled ones remembered.
        let (hits, kept) = sampled[2];
        assert_eq!(hits, 0);
        assert!(all[2].1 > 3_500, "{all:?}");
        assert!(kept < dense as usize + 3 * 4_000 / 16, "{kept} keys kept");
        // The copy of lines read while sampling: its sampled lines known, then each line
        // looked up (and the rest parsed, remembered for the next copy).
        let copy = |run: &[(u64, usize)], i: usize| run[i].0 - run[i - 1].0;
        let all_known = copy(&all, 3);
        assert!(all_known > 600, "{all:?}");
        assert!(
            (1..all_known / 4).contains(&copy(&sampled, 3)),
            "{sampled:?} {all:?}"
        );
        // The same copy again, after more distinct lines, and a copy of lines read while
        // every line was looked up: known from their first sampled line on (a line is out
        // of the sample with odds 15/16: 300 in a row, 4e-9).
        for i in [5, 6] {
            assert!(
                copy(&sampled, i) + 300 >= copy(&all, i),
                "{i}: {sampled:?} {all:?}"
            );
        }
    }

    /// A copy whose lines are altered (other bytes under the same uuid), some dropped and
    /// new ones among them, after distinct lines: read as with every line looked up.
    #[test]
    fn an_altered_copy_reads_as_with_every_line_looked_up() {
        let corpus = String::from_utf8(corpus()).unwrap();
        let base = first_lines(&corpus, 1_200);
        let (one, two) = (distinct(&base, 1), distinct(&base, 2));
        let mut altered = String::new();
        for (i, line) in one.split_inclusive('\n').enumerate().skip(200) {
            match i % 11 {
                3 => continue,
                5 => altered.push_str(&line.replacen('{', "{ ", 1)),
                7 => {
                    altered.push_str(line);
                    altered.push_str(two.split_inclusive('\n').nth(i).unwrap_or(""));
                }
                _ => altered.push_str(line),
            }
        }
        let inputs = [&one, &altered, &two, &altered].map(String::as_bytes);
        let (out_all, stats_all, _) = read_with(u32::MAX, &inputs);
        for dense in [1, 64, 700] {
            let (out, stats, _) = read_with(dense, &inputs);
            assert_eq!(stats, stats_all, "dense for {dense}");
            assert!(out == out_all, "the outputs differ, dense for {dense}");
            assert!(stats.repeated_lines > 1_500, "{stats:?}");
        }
    }

    /// At the real threshold: 10,000 distinct lines and more, then a resumed copy of lines
    /// from the first thousands and from the last: the same output as with every line looked
    /// up, the copy known by its bytes once its first sampled line is met.
    #[test]
    fn a_history_distinct_for_ten_thousand_lines_then_copied() {
        let corpus = String::from_utf8(corpus()).unwrap();
        let base = first_lines(&corpus, 5_200);
        let history = distinct(&base, 1) + &distinct(&base, 2);
        let resumed = lines_of(&history, 2_000, 2_600) + &lines_of(&history, 9_800, 10_400);
        let inputs = [&history, &resumed, &resumed].map(String::as_bytes);
        let (out_all, stats_all, all) = read_with(u32::MAX, &inputs);
        let (out, stats, sampled) = read_with(super::DENSE_LINES, &inputs);
        assert_eq!(stats, stats_all);
        assert!(out == out_all, "the outputs differ");
        assert!(sampled[0].1 + 1_000 < all[0].1, "{sampled:?} {all:?}");
        let copy = |run: &[(u64, usize)], i: usize| run[i].0 - run[i - 1].0;
        // The first copy: lines 2,000.. were remembered (read while every line was), those
        // from 9,800 only when sampled; the second copy: every line.
        assert!(
            copy(&sampled, 1) + 300 >= copy(&all, 1) / 2,
            "{sampled:?} {all:?}"
        );
        assert!(copy(&sampled, 1) < copy(&all, 1), "{sampled:?} {all:?}");
        assert!(
            copy(&sampled, 2) + 300 >= copy(&all, 2),
            "{sampled:?} {all:?}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Chunk invariance where only sampled lines are looked up: a transcript with
        /// hostile lines, then a distinct copy, then the first again, read in any chunks with
        /// a dense run of a few lines, gives what every line looked up gives read whole.
        #[test]
        fn sampled_clean_lines_do_not_depend_on_chunking(
            cuts in proptest::collection::vec(any::<usize>(), 0..32),
            dense in 0u32..6,
        ) {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../fixtures/corpus/marot__spotter__test__fixtures__transcripts__tool_heavy.jsonl");
            let mut once = std::fs::read(path).unwrap();
            once.extend_from_slice(b"{\"a\":\"\0\0\"}\nnot json\n\xff{\"type\":\"user\",\"uuid\":\"x\"}\n");
            let copy = distinct(&String::from_utf8_lossy(&once), 1);
            let input = [once.as_slice(), copy.as_bytes(), &once].concat();
            let (want, want_stats, _) = read_with(u32::MAX, &[&input]);
            let mut pipeline =
                super::Pipeline::new(super::Options::default(), NdjsonRenderer::new(Vec::new()));
            pipeline.clean_lines.dense_lines = dense;
            let mut reading = pipeline.open("input");
            let bytes = input.as_slice();
            let mut at: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
            at.sort_unstable();
            let mut from = 0;
            for to in at.into_iter().chain([bytes.len()]) {
                let _ = pipeline.push(&mut reading, &bytes[from..to]).unwrap();
                from = to;
            }
            let _ = pipeline.close(reading).unwrap();
            let (renderer, stats) = pipeline.finish().unwrap();
            prop_assert_eq!(stats, want_stats);
            prop_assert!(String::from_utf8(renderer.into_inner()).unwrap() == want);
        }
    }
}
