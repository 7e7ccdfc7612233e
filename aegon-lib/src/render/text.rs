//! Text helpers for renderers: terminal-safe one-line summaries, display width, previews of
//! tool results, and number formatting.
//!
//! Transcript text is untrusted: it holds whatever tools printed, escape sequences included
//! (real transcripts contain `\u001b[1m` from slash-command output). [`push_inert`] writes text
//! so that nothing in it can act on a terminal: C0 and C1 control characters become visible
//! Unicode control pictures, and bidirectional overrides become `�`.

use std::fmt::Write as _;

use serde::Deserialize;

use crate::json::RawJson;
use crate::text::PrefixDecoder;

/// Appends the first non-blank line of `text` to `out`, made inert (see the
/// [module documentation](self)), in at most `max_width` columns; returns the columns used.
/// A `…` (within the budget) marks a cut line, or more lines after it.
pub fn push_inert(out: &mut String, text: &str, max_width: usize) -> usize {
    // Fast path: a text that fits and is printable ASCII without blanks at either end is its
    // own first line, shown as it is.
    let b = text.as_bytes();
    if b.len() <= max_width
        && b.first().is_some_and(|&c| c != b' ')
        && b.last().is_some_and(|&c| c != b' ')
        && printable_run(b) == b.len()
    {
        out.push_str(text);
        return text.len();
    }
    push_inert_start(out, text, false, max_width)
}

/// Like [`push_inert`] for the start of a longer text: `continues` says that more text follows
/// `start` (so a `…` is due even when its first line fits).
pub fn push_inert_start(out: &mut String, start: &str, continues: bool, max_width: usize) -> usize {
    let (line, more) = first_line_and_more(start);
    let more = more || continues;
    // Fast path: a head of printable ASCII is shown as is, one column a byte, so it is copied
    // whole rather than a character at a time. The head is the bytes that decide the outcome:
    // the line if it may fit, else the `max_width - 1` bytes kept before the `…`.
    let head = &line.as_bytes()[..line.len().min(max_width.saturating_add(1))];
    if printable_run(head) == head.len() {
        return push_ascii_line(out, line, more, max_width);
    }
    let from = out.len();
    if !more {
        // Shown whole if it fits: pushed until a character would not fit.
        let (used, whole) = push_inert_columns(out, line, max_width);
        if whole {
            return used;
        }
        out.truncate(from);
    }
    if max_width == 0 {
        return 0;
    }
    let (used, _) = push_inert_columns(out, line, max_width - 1);
    out.push('…');
    used + 1
}

/// Appends the characters of `line` made inert ([`inert_char`]) while they fit in `budget`
/// columns; returns the columns used and whether the whole line was appended. Runs of
/// printable ASCII (one column a byte, shown as they are) are copied whole.
fn push_inert_columns(out: &mut String, line: &str, budget: usize) -> (usize, bool) {
    let mut used = 0;
    let mut rest = line;
    loop {
        let run = printable_run(rest.as_bytes());
        let take = run.min(budget - used);
        out.push_str(&rest[..take]); // ASCII: any byte offset is a character boundary
        used += take;
        if take < run {
            return (used, false);
        }
        rest = &rest[run..];
        let Some(c) = rest.chars().next() else {
            return (used, true);
        };
        let shown = inert_char(c);
        let w = char_width(shown);
        if used + w > budget {
            return (used, false);
        }
        out.push(shown);
        used += w;
        rest = &rest[c.len_utf8()..];
    }
}

/// The rule of [`push_inert_start`] for a first line whose first `max_width + 1` bytes are
/// printable ASCII (one column each, shown as they are): the line when it fits and nothing
/// follows, else its start and `…`. Returns the columns used.
pub(crate) fn push_ascii_line(out: &mut String, line: &str, more: bool, max_width: usize) -> usize {
    if !more && line.len() <= max_width {
        out.push_str(line);
        return line.len();
    }
    if max_width == 0 {
        return 0;
    }
    let kept = line.len().min(max_width - 1);
    // Callers guarantee `line[..kept]` is ASCII: any byte offset is a character boundary.
    out.push_str(line.get(..kept).unwrap_or(line));
    out.push('…');
    kept + 1
}

/// `0x01` in every byte of a word.
const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte of a word.
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` (eight bytes, little-endian) that is not printable ASCII
/// (`' '..='~'`), or, with `PLAIN`, is also `"` or `\`; exact, per byte (no carries between
/// bytes), so the lowest marked byte is the first such byte.
#[inline]
fn unwanted<const PLAIN: bool>(w: u64) -> u64 {
    let low = w & !HIGHS;
    // The high bit of `low + (0x80 - n)` is set when the low seven bits are at least `n`.
    let below_space = !(low + 0x60 * ONES) & HIGHS;
    let del = (low + ONES) & HIGHS;
    let mut bad = (w & HIGHS) | below_space | del;
    if PLAIN {
        for c in [b'"', b'\\'] {
            let x = w ^ (u64::from(c) * ONES);
            // The high bit of `(x & 0x7f..) + 0x7f..`, or of `x`, is set when the byte is not 0.
            bad |= !(((x & !HIGHS) + !HIGHS) | x) & HIGHS;
        }
    }
    bad
}

/// Length of the run of printable ASCII (`' '..='~'`) that starts `b`, or, with `PLAIN`, of
/// such bytes other than `"` and `\` (those that stand for themselves in a JSON string).
/// Eight bytes at a time.
#[inline]
fn ascii_run<const PLAIN: bool>(b: &[u8]) -> usize {
    let mut at = 0;
    while let Some(chunk) = b.get(at..at + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let bad = unwanted::<PLAIN>(u64::from_le_bytes(word));
        if bad != 0 {
            return at + (bad.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let wanted = |c: &u8| (b' '..=b'~').contains(c) && !(PLAIN && (*c == b'"' || *c == b'\\'));
    at + b[at..].iter().take_while(|c| wanted(c)).count()
}

/// Length of the run of printable ASCII (`' '..='~'`) that starts `b`.
pub(crate) fn printable_run(b: &[u8]) -> usize {
    ascii_run::<false>(b)
}

/// Length of the run of [`plain_ascii`] bytes that starts `b`.
pub(crate) fn plain_run(b: &[u8]) -> usize {
    ascii_run::<true>(b)
}

/// Whether a byte of a JSON string literal stands for itself and is printable ASCII: not a
/// control character, DEL, `"` or the `\` of an escape.
pub(crate) fn plain_ascii(b: u8) -> bool {
    (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\'
}

/// What [`push_inert_start`] shows of a text given as the JSON string literal `raw` (quotes
/// included), read off the literal without decoding it, when its start makes that possible:
/// the first line is a run of printable ASCII without escapes, starting with a non-blank, and
/// then either more than `max_width` columns of it, the literal's end, or an escaped newline
/// followed by another such character (so text follows). Returns the line (or its first
/// `max_width + 1` bytes) and whether text follows; `None` when the start is anything else
/// (the caller decodes). `cap` is the number of characters the caller would have decoded
/// (`usize::MAX` for all): what lies beyond it does not count.
pub fn literal_first_line(raw: &str, max_width: usize, cap: usize) -> Option<(&str, bool)> {
    let inner = raw.strip_prefix('"')?;
    let bytes = inner.as_bytes();
    let limit = max_width.saturating_add(1);
    if limit > cap || !bytes.first().is_some_and(|&b| b != b' ' && plain_ascii(b)) {
        return None;
    }
    let scanned = &bytes[..bytes.len().min(limit)];
    match Some(plain_run(scanned)).filter(|&end| end < scanned.len()) {
        // A run longer than the columns: cut whatever follows (a trailing blank might be
        // trimmed away with the line's end, so that case is left to the slow path).
        None if scanned.len() == limit => {
            (bytes[limit - 1] != b' ').then(|| (&inner[..limit], true))
        }
        None => None,
        Some(end) => {
            let line = inner[..end].trim_end();
            match (bytes[end], bytes.get(end + 1), bytes.get(end + 2)) {
                (b'"', _, _) => Some((line, false)),
                (b'\\', Some(b'n'), Some(&next)) if next != b' ' && plain_ascii(next) => {
                    (end + 1 < cap).then_some((line, true))
                }
                _ => None,
            }
        }
    }
}

/// [`push_inert_start`] for a text given as a JSON string literal, when
/// [`literal_first_line`] can read its first line without decoding; `None` (and nothing
/// written) otherwise. The same output as decoding the text's start and calling
/// [`push_inert_start`].
pub fn push_literal_start(out: &mut String, raw: &str, max_width: usize) -> Option<usize> {
    let (line, more) = literal_first_line(raw, max_width, usize::MAX)?;
    Some(push_ascii_line(out, line, more, max_width))
}

/// [`push_inert`] of a tool result's preview ([`result_preview`] with `preview_chars`) when
/// the result is a string literal whose first line [`literal_first_line`] can read; `None`
/// (and nothing written) otherwise.
pub fn push_literal_preview(
    out: &mut String,
    raw: &str,
    preview_chars: usize,
    max_width: usize,
) -> Option<usize> {
    let (line, more) = literal_first_line(raw, max_width, preview_chars)?;
    Some(push_ascii_line(out, line, more, max_width))
}

/// Appends the first at most `max` characters of `id` made inert ([`inert_char`]): what the
/// session column shows. Printable ASCII is copied whole.
pub fn push_inert_chars(out: &mut String, id: &str, max: usize) {
    let head = &id.as_bytes()[..id.len().min(max)];
    if printable_run(head) == head.len() {
        out.push_str(id.get(..head.len()).unwrap_or(id));
    } else {
        out.extend(id.chars().take(max).map(inert_char));
    }
}

/// The first line of `text` that is not blank, trimmed (or `""`).
pub fn first_line(text: &str) -> &str {
    first_line_and_more(text).0
}

/// The first non-blank line, trimmed, and whether anything but blanks follows it.
fn first_line_and_more(text: &str) -> (&str, bool) {
    let (line, _, more) = first_line_parts(text);
    (line, more)
}

/// [`first_line_and_more`], with whether a newline ends the line within `text` (the middle
/// value): the first non-blank line, trimmed, whether it ends in `text`, and whether
/// anything but blanks follows it.
fn first_line_parts(text: &str) -> (&str, bool, bool) {
    let mut rest = text;
    loop {
        let (line, after, ended) = match rest.find('\n') {
            Some(i) => (&rest[..i], &rest[i + 1..], true),
            None => (rest, "", false),
        };
        let trimmed = line.trim();
        if !trimmed.is_empty() {
            return (trimmed, ended, !after.trim().is_empty());
        }
        if after.is_empty() {
            return ("", ended, false);
        }
        rest = after;
    }
}

/// Characters of a literal [`literal_summary_start`] decodes first: most first lines (a
/// command, a tool's first line of output) end, and the next line starts, within them.
const FIRST_DECODE: usize = 64;

/// The start of the text of the JSON string literal `raw` (quotes included, valid JSON) for
/// its one-line summary in `max_width` columns: what `crate::text::decode_prefix(raw, cap)`
/// gives (the first `cap` characters, and whether more follow), decoded only as far as the
/// summary depends on it. For the returned `(start, continues)`, `push_inert_start(out,
/// start, c, max_width)` writes what it writes for the whole prefix and `continues`, for
/// `c` = `continues` or `false` alike when the prefix is cut; and `start` is blank
/// (whitespace only) exactly when the prefix is.
///
/// Decoding stops early, after `k < cap` characters, when the first non-blank line is known
/// to end in them with text after it, or when that line (unended) is already wider than
/// `max_width` columns (it is then cut the same way whatever follows); else `k` grows to
/// `max_width + 32`, then to `cap`.
pub(crate) fn literal_summary_start(raw: &str, cap: usize, max_width: usize) -> (String, bool) {
    literal_summary_start_from(raw, FIRST_DECODE, cap, max_width)
}

/// [`literal_summary_start`] decoding at least `first` characters (when the prefix has them)
/// before it looks whether the summary is settled: the start then also holds the text's first
/// `first` characters whenever it is cut (the dashboard's steps list shows that many of a
/// tool call's argument, its feed row the summary).
pub(crate) fn literal_summary_start_from(
    raw: &str,
    first: usize,
    cap: usize,
    max_width: usize,
) -> (String, bool) {
    let mut decoder = PrefixDecoder::new(raw, raw.len().min(first.saturating_mul(2)));
    let mut k = cap.min(first);
    loop {
        let cut = decoder.extend(k);
        if !cut || k >= cap {
            return (decoder.into_text(), cut);
        }
        let (line, ended, more) = first_line_parts(decoder.text());
        let determined = if ended {
            more
        } else {
            !line.is_empty() && shown_width(line) > max_width
        };
        if determined {
            return (decoder.into_text(), true);
        }
        k = cap.min(k.saturating_mul(2));
    }
}

/// [`push_inert_start`] of the text of the JSON string literal `raw` (quotes included, valid
/// JSON) cut to its first `cap` characters, read off the literal in one pass without decoding
/// it into a string of its own: what `push_inert_start(out, &decode_prefix(raw, cap).0, c,
/// max_width)` writes, for `c` either way. Returns the columns used, or `None` (and nothing
/// written) when the literal's start is not of the kinds read here; the caller then decodes.
///
/// Read here: blank lines and blanks before the first line (spaces, `\n`, `\t`, `\r`); in the
/// line, printable ASCII (copied a run at a time), the escapes `\"`, `\\`, `\/` and `\t`
/// (shown as a space), and non-ASCII characters that are not whitespace (made inert, their
/// columns by [`char_width`]); after the line, blanks up to the next character or the
/// literal's end. Declined: other escapes (`\u…`, `\r` or `\b` in the line), non-ASCII
/// whitespace, widths under 2, and a start that the `cap`-th character reaches before the
/// summary is settled. Work is proportional to the columns shown, not to the text's length.
pub(crate) fn push_literal_line(
    out: &mut String,
    raw: &str,
    cap: usize,
    max_width: usize,
) -> Option<usize> {
    let from = out.len();
    let used = LiteralLine::new(out, cap, max_width).read(raw);
    if used.is_none() {
        out.truncate(from);
    }
    used
}

/// The state of [`push_literal_line`]: the first line written so far, its columns, blanks
/// held back (trailing blanks are trimmed), and where the cut form (`max_width - 1` columns,
/// then `…`) ends.
struct LiteralLine<'o> {
    out: &'o mut String,
    /// Characters of the literal read so far; none at or past `cap` may be read.
    read: usize,
    cap: usize,
    max: usize,
    /// Columns written (every one of them made of characters of the line).
    used: usize,
    /// Blanks read after the last non-blank, not yet written (each a space, one column).
    pending: usize,
    /// Where the line's start in `max - 1` columns ends in `out`, and its columns: set once a
    /// character would not fit in them.
    cut: Option<(usize, usize)>,
}

/// How the first line of a literal ended.
enum LineEnd {
    /// At an escaped newline: more text may follow.
    Newline,
    /// At the closing quote.
    Quote,
    /// Wider than the columns: the summary is the cut form, whatever follows.
    Wide,
}

impl<'o> LiteralLine<'o> {
    fn new(out: &'o mut String, cap: usize, max: usize) -> Self {
        LiteralLine {
            out,
            read: 0,
            cap,
            max,
            used: 0,
            pending: 0,
            cut: None,
        }
    }

    /// Counts `n` characters read; `None` when one of them lies at or past the cap.
    fn take(&mut self, n: usize) -> Option<()> {
        (self.cap - self.read >= n).then(|| self.read += n)
    }

    fn read(mut self, raw: &str) -> Option<usize> {
        if self.max < 2 || self.cap == 0 {
            return None;
        }
        let body = raw.strip_prefix('"')?;
        let b = body.as_bytes();
        // Blanks and blank lines before the first line (a blank text is left to the caller).
        let mut i = skip_blanks(b, 0, &mut self)?;
        if b.get(i) == Some(&b'"') {
            return None;
        }
        // The first line.
        let end = loop {
            match *b.get(i)? {
                b'"' => break LineEnd::Quote,
                b'\\' => {
                    let c = match *b.get(i + 1)? {
                        b'n' => {
                            self.take(1)?;
                            i += 2;
                            break LineEnd::Newline;
                        }
                        b't' => {
                            self.take(1)?;
                            self.pending += 1;
                            i += 2;
                            continue;
                        }
                        c @ (b'"' | b'\\' | b'/') => c as char,
                        _ => return None,
                    };
                    self.take(1)?;
                    i += 2;
                    if self.char(c, 1) {
                        break LineEnd::Wide;
                    }
                }
                c if c >= 0x80 => {
                    let ch = body.get(i..)?.chars().next()?;
                    if ch.is_whitespace() {
                        return None;
                    }
                    self.take(1)?;
                    i += ch.len_utf8();
                    let shown = inert_char(ch);
                    if self.char(shown, char_width(shown)) {
                        break LineEnd::Wide;
                    }
                }
                _ => {
                    // A run of printable ASCII, read as far as the columns and the cap matter.
                    let room = (self.cap - self.read).min(
                        (self.max + 1)
                            .saturating_sub(self.used + self.pending)
                            .max(64),
                    );
                    let window = &b[i..b.len().min(i + room)];
                    let n = plain_run(window);
                    if n == 0 {
                        return None; // a control character or DEL: left to the decoder
                    }
                    self.take(n)?;
                    let run = &body[i..i + n];
                    i += n;
                    if self.ascii(run) {
                        break LineEnd::Wide;
                    }
                }
            }
        };
        let more = match end {
            LineEnd::Wide => true,
            LineEnd::Quote => false,
            LineEnd::Newline => {
                // Anything but blanks after the line?
                let at = skip_blanks(b, i, &mut self)?;
                let c = *b.get(at)?;
                let blank = match c {
                    b'"' => return self.end(false),
                    b'\\' => !matches!(*b.get(at + 1)?, b'"' | b'\\' | b'/' | b'b'),
                    c if c >= 0x80 => body.get(at..)?.chars().next()?.is_whitespace(),
                    c => c <= b' ',
                };
                if blank {
                    return None; // an escape or a character the decoder reads
                }
                // A non-blank character, if it lies within the cap.
                self.take(1)?;
                true
            }
        };
        self.end(more)
    }

    /// The summary once the line is read: the line when nothing follows (it fits: a wider
    /// one ended as [`LineEnd::Wide`]), else its start in `max - 1` columns and `…`.
    fn end(&mut self, more: bool) -> Option<usize> {
        if !more {
            return Some(self.used);
        }
        let (at, used) = self.cut.unwrap_or((self.out.len(), self.used));
        self.out.truncate(at);
        self.out.push('…');
        Some(used + 1)
    }

    /// Writes the blanks held back, then a non-blank `shown` of `w` columns; true when the
    /// line is then wider than the columns (the cut form is due, and written).
    fn char(&mut self, shown: char, w: usize) -> bool {
        let (used, pending, max) = (self.used, self.pending, self.max);
        if self.cut.is_none() && used + pending + w > max - 1 {
            // Among the blanks (one byte and one column each), or before `shown`.
            let blanks = pending.min(max - 1 - used);
            self.cut = Some((self.out.len() + blanks, used + blanks));
            if used + pending + w > max {
                // Written only as far as the cut.
                self.out.extend(std::iter::repeat_n(' ', blanks));
                return self.finish_wide();
            }
        }
        if used + pending + w > max {
            return self.finish_wide();
        }
        self.push_blanks();
        self.out.push(shown);
        self.used += w;
        false
    }

    /// Writes the blanks held back and `run` (printable ASCII, one column a byte), holding
    /// back its trailing blanks; true when the line is then wider than the columns (the cut
    /// form is due, and written).
    fn ascii(&mut self, run: &str) -> bool {
        let core = run.trim_end_matches(' ');
        let trailing = run.len() - core.len();
        if core.is_empty() {
            self.pending += trailing;
            return false;
        }
        let (used, pending, max) = (self.used, self.pending, self.max);
        let total = used + pending + core.len();
        if self.cut.is_none() && total > max - 1 {
            let keep = max - 1 - used;
            let pos = self.out.len() + keep;
            self.cut = Some((pos, max - 1));
            if total > max {
                // Written only as far as the cut.
                let blanks = keep.min(pending);
                self.out.extend(std::iter::repeat_n(' ', blanks));
                self.out.push_str(&core[..keep - blanks]);
                return self.finish_wide();
            }
        }
        if total > max {
            return self.finish_wide();
        }
        self.push_blanks();
        self.out.push_str(core);
        self.used = total;
        self.pending = trailing;
        false
    }

    fn push_blanks(&mut self) {
        self.out.extend(std::iter::repeat_n(' ', self.pending));
        self.used += self.pending;
        self.pending = 0;
    }

    /// The cut form over what is written: cut where `max - 1` columns end, then `…`.
    fn finish_wide(&mut self) -> bool {
        if let Some((at, used)) = self.cut {
            self.out.truncate(at);
            self.used = used;
        }
        true
    }
}

/// The offset of the first byte at or after `at` in the literal's body `b` that is not a
/// blank (a space, or the escapes `\n`, `\t`, `\r`), counting the blanks as characters read;
/// `None` when the cap is reached.
fn skip_blanks(b: &[u8], mut at: usize, line: &mut LiteralLine<'_>) -> Option<usize> {
    loop {
        match b.get(at) {
            Some(b' ') => at += 1,
            Some(b'\\') if matches!(b.get(at + 1), Some(b'n' | b't' | b'r')) => at += 2,
            _ => return Some(at),
        }
        line.take(1)?;
    }
}

/// Columns `text` takes once made inert ([`inert_char`], [`char_width`]).
fn shown_width(text: &str) -> usize {
    if printable_run(text.as_bytes()) == text.len() {
        return text.len();
    }
    text.chars().map(|c| char_width(inert_char(c))).sum()
}

/// All of `text`, made inert ([`inert_char`] on every character), on one line.
pub fn inert(text: &str) -> String {
    text.chars().map(inert_char).collect()
}

/// The character shown for `c`: control characters become visible pictures.
pub fn inert_char(c: char) -> char {
    match c {
        '\t' => ' ',
        // C0 controls → U+2400..U+241F ("␛" for ESC).
        '\0'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
        '\u{7f}' => '\u{2421}',
        // C1 controls (CSI, OSC, …) and bidirectional overrides or isolates.
        '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => '\u{fffd}',
        _ => c,
    }
}

/// Columns a character takes in a terminal: 0 for combining marks and zero-width characters,
/// 2 for East Asian wide characters and most emoji, 1 otherwise. An approximation of
/// Unicode's East Asian Width good enough for truncating summaries.
pub fn char_width(c: char) -> usize {
    let u = c as u32;
    if u < 0x0300 {
        return 1; // below the first zero-width range: the common case, decided in one compare
    }
    match u {
        0x0300..=0x036F
        | 0x0483..=0x0489
        | 0x0591..=0x05BD
        | 0x0610..=0x061A
        | 0x064B..=0x065F
        | 0x200B..=0x200F
        | 0x20D0..=0x20FF
        | 0xFE00..=0xFE0F
        | 0xFE20..=0xFE2F
        | 0xE0100..=0xE01EF => 0,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

/// Columns a string takes (see [`char_width`]).
#[inline]
pub fn str_width(s: &str) -> usize {
    if s.is_ascii() {
        return s.len(); // every ASCII character is one column (see `char_width`)
    }
    s.chars().map(char_width).sum()
}

/// Up to `max_chars` characters of what a tool result's `content` says: the string itself, or
/// the text blocks of a list joined by newlines (`[image]` for images). Reads only as much of a
/// string as it needs.
pub fn result_preview(content: RawJson<'_>, max_chars: usize) -> String {
    result_preview_raw(content.get(), max_chars)
}

/// [`result_preview`] of a `content` given as written (valid JSON).
pub(crate) fn result_preview_raw(raw: &str, max_chars: usize) -> String {
    match raw.as_bytes().first() {
        Some(b'"') => crate::text::decode_prefix(raw, max_chars).0,
        Some(b'[') => {
            #[derive(Deserialize)]
            struct PreviewBlock<'a> {
                #[serde(rename = "type", borrow, default)]
                kind: Option<std::borrow::Cow<'a, str>>,
                #[serde(borrow, default)]
                text: Option<std::borrow::Cow<'a, str>>,
            }
            let Ok(blocks) = serde_json::from_str::<Vec<PreviewBlock<'_>>>(raw) else {
                return String::new();
            };
            let mut out = String::new();
            for b in blocks {
                if !out.is_empty() {
                    out.push('\n');
                }
                match (b.kind.as_deref(), b.text) {
                    (_, Some(t)) => out.push_str(&t),
                    (Some("image"), None) => out.push_str("[image]"),
                    (Some(other), None) => {
                        let _ = write!(out, "[{other}]");
                    }
                    (None, None) => {}
                }
                if out.chars().count() >= max_chars {
                    break;
                }
            }
            out.chars().take(max_chars).collect()
        }
        Some(b'n') | None => String::new(),
        Some(_) => raw.chars().take(max_chars).collect(),
    }
}

/// Picodollars in a cent.
const PICO_PER_CENT: u128 = 10_000_000_000;

/// Picodollars in a dollar.
const PICO_PER_DOLLAR: u128 = 1_000_000_000_000;

/// A dollar amount as every report shows it (plain `--summary`, Markdown, HTML, the usage
/// tables, the dashboard, the status line), from the exact amount in whole picodollars
/// (10⁻¹² $, as costs are added up: [`crate::session::pricing::to_pico`]): to the cent,
/// `$12.34`, half a cent rounded up (away from zero: `$0.075` is `$0.08`, `$0.135` `$0.14`,
/// as money is usually shown and as ccusage shows these amounts); an amount above zero too
/// small to show a cent is `<$0.01`, never `$0.00`, so that a session that cost something never
/// reads as free (nor as a different figure in two reports of it). Exact amounts are in the
/// JSON outputs.
pub fn usd_pico(pico: u128) -> String {
    let cents = crate::session::pricing::round_pico(pico, PICO_PER_CENT);
    if pico > 0 && cents == 0 {
        "<$0.01".to_owned()
    } else {
        format!("${}.{:02}", cents / 100, cents % 100)
    }
}

/// [`usd_pico`] of `amount` dollars taken back to whole picodollars
/// ([`crate::session::pricing::to_pico`]): a total that was added up in picodollars and
/// handed on as dollars ([`crate::session::pricing::from_pico`]) is rounded from exactly
/// the amount it was (for any total below $2,000; above, within a picodollar or two).
/// Amounts below half a picodollar, negative ones and NaN are `$0.00`.
pub fn usd(amount: f64) -> String {
    usd_pico(crate::session::pricing::to_pico(amount))
}

/// A dollar amount that is a lower bound, in every report alike: [`usd_pico`] of what has a
/// price, followed by `+` when `lower_bound` (some response has no known price, so the true
/// cost is higher): `$1.23+`, `<$0.01+`; `unknown` when nothing has a price (`$0.00+` read as
/// zero); `$1.23` otherwise.
/// `+` rather than `≥`: it is ASCII, one column in every terminal (`≥` is of East Asian
/// ambiguous width, two columns in CJK locales, which breaks the status line's and the
/// tables' width accounting), and it follows the figure so the amounts still line up.
pub fn usd_at_least_pico(pico: u128, lower_bound: bool) -> String {
    at_least(usd_pico(pico), pico, lower_bound)
}

/// [`usd_at_least_pico`] of `amount` dollars (taken back to picodollars as by [`usd`]).
pub fn usd_at_least(amount: f64, lower_bound: bool) -> String {
    usd_at_least_pico(crate::session::pricing::to_pico(amount), lower_bound)
}

/// A dollar amount for a narrow place (the status line, the dashboard's usage tiles): as
/// [`usd`] while that reads below $100 (cents, `<$0.01`), in whole dollars from there, half a
/// dollar rounded up as [`usd_pico`] rounds half a cent (`$1235` for 1234.5). The choice
/// goes by the figure shown, not the amount: 99.995 rounds to `$100.00` to the cent, so it is
/// `$100`, never seven columns where six were counted on.
pub fn usd_short(amount: f64) -> String {
    usd_short_pico(crate::session::pricing::to_pico(amount))
}

/// [`usd_short`] of `pico` picodollars.
fn usd_short_pico(pico: u128) -> String {
    use crate::session::pricing::round_pico;
    // Rounded to the cent, from $99.995 up that carries into a third whole digit.
    if round_pico(pico, PICO_PER_CENT) >= 100 * 100 {
        format!("${}", round_pico(pico, PICO_PER_DOLLAR))
    } else {
        usd_pico(pico)
    }
}

/// [`usd_short`] with the lower-bound mark of [`usd_at_least`]: `$1235+`, `<$0.01+`,
/// `unknown`.
pub fn usd_short_at_least(amount: f64, lower_bound: bool) -> String {
    let pico = crate::session::pricing::to_pico(amount);
    at_least(usd_short_pico(pico), pico, lower_bound)
}

/// `money` with the one lower-bound mark, `+`, when `lower_bound`.
fn at_least(mut money: String, pico: u128, lower_bound: bool) -> String {
    if lower_bound {
        // Nothing priced: a lower bound of $0 says nothing, and `$0.00+` reads as zero.
        if pico == 0 {
            return "unknown".to_owned();
        }
        money.push('+');
    }
    money
}

/// A percentage as every view writes it (`"7%"`): floored, so 99.6% of a context window or of a
/// rate limit is not shown as full (`"100%"` only once it is reached) and the status line, the
/// dashboard and the HTML and Markdown reports agree on one figure (77,334 of 1,000,000 is
/// `"7%"` in each). Over 100 is kept (`"104%"`); a value that is not finite or below 0 is `"0%"`.
pub fn percent(p: f64) -> String {
    let p = if p.is_finite() {
        p.max(0.0).floor()
    } else {
        0.0
    };
    format!("{p:.0}%")
}

/// A dollar amount on a chart's axis whose ticks are `step` apart: with as many decimals as
/// make neighbouring ticks read differently (at least the cents below $100 a step, whole
/// dollars from there), so a chart of a sub-cent session has `$0.0002`, `$0.0004`, not
/// `$0.00` thrice.
/// Each is rounded from whole picodollars as [`usd_pico`] rounds (half up), so the tick at a
/// total reads what the tables say of it (`$0.08` for $0.075, not `$0.07`).
pub fn usd_tick(value: f64, step: f64) -> String {
    let decimals = if !(step.is_finite() && step > 0.0) || (0.01..100.0).contains(&step) {
        2
    } else if step >= 100.0 {
        0
    } else {
        // 10^-decimals ≤ step: neighbours differ by at least one unit in the last place.
        ((-step.log10()).ceil() as u32).clamp(2, 12)
    };
    format!(
        "${}",
        decimal_pico(crate::session::pricing::to_pico(value), decimals)
    )
}

/// `pico` picodollars in dollars with `decimals` places (at most 12; more are taken as 12),
/// rounded half up from the exact amount ([`crate::session::pricing::round_pico`]), without
/// a sign: `0.075000` for 75,000,000,000 and 6, `0.08` for it and 2, `1` for 0.5 $ and 0.
pub fn decimal_pico(pico: u128, decimals: u32) -> String {
    let decimals = decimals.min(12);
    let units = crate::session::pricing::round_pico(pico, 10u128.pow(12 - decimals));
    if decimals == 0 {
        return units.to_string();
    }
    let per_dollar = 10u128.pow(decimals);
    format!(
        "{}.{:0width$}",
        units / per_dollar,
        units % per_dollar,
        width = decimals as usize
    )
}

/// `url` when it may be a link (in the HTML report and the Markdown output alike): an absolute `http:` or `https:` URL without whitespace,
/// control characters, quotes, angle brackets, backticks or backslashes (none is valid in a
/// URL unencoded) (anything else, `javascript:`, `data:`, relative paths, is shown as
/// text). The caller still escapes it for the attribute.
pub fn safe_url(url: &str) -> Option<&str> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
    let clean = !url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "\\\"'<>`".contains(c));
    (scheme_ok && clean && url.len() > "http://".len()).then_some(url)
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let mut out = String::with_capacity(26);
    push_thousands(&mut out, n);
    out
}

/// Appends `n` in decimal with `,` between groups of three digits ([`thousands`]).
pub fn push_thousands(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let first = fill_digits(&mut digits, n);
    let len = digits.len() - first;
    for (i, &d) in digits[first..].iter().enumerate() {
        if i > 0 && (len - i) % 3 == 0 {
            out.push(',');
        }
        out.push(char::from(d));
    }
}

/// Writes the decimal digits of `n` at the end of `digits`; returns where they start.
pub(crate) fn fill_digits(digits: &mut [u8; 20], mut n: u64) -> usize {
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return i;
        }
    }
}

/// Appends `n` in decimal, zero-padded to `width` digits.
pub fn push_u64(out: &mut String, n: u64, width: usize) {
    let mut digits = [0u8; 20];
    let first = fill_digits(&mut digits, n);
    for _ in digits.len() - first..width {
        out.push('0');
    }
    for &d in &digits[first..] {
        out.push(char::from(d));
    }
}

/// A duration for people: `340ms`, `1.2s`, `2m05s`, `1h02m`.
pub fn duration(ms: u64) -> String {
    let mut out = String::with_capacity(12);
    push_duration(&mut out, ms);
    out
}

/// Appends [`duration`]`(ms)`.
pub fn push_duration(out: &mut String, ms: u64) {
    if ms < 1_000 {
        push_u64(out, ms, 1);
        out.push_str("ms");
    } else if ms < 60_000 {
        // Rounded as the float formatting of `ms as f64 / 1000.0` to one decimal rounds: away
        // from a tie the nearest tenth, in integers; a tie of the decimal value (`…50` ms) is
        // left to the float formatting, as the binary value may lie on either side of it.
        let (tenths, rest) = (ms / 100, ms % 100);
        if rest == 50 {
            let _ = write!(out, "{:.1}s", ms as f64 / 1_000.0);
        } else {
            let tenths = tenths + u64::from(rest > 50);
            push_u64(out, tenths / 10, 1);
            out.push('.');
            push_u64(out, tenths % 10, 1);
            out.push('s');
        }
    } else if ms < 3_600_000 {
        push_u64(out, ms / 60_000, 1);
        out.push('m');
        push_u64(out, (ms / 1_000) % 60, 2);
        out.push('s');
    } else {
        push_u64(out, ms / 3_600_000, 1);
        out.push('h');
        push_u64(out, (ms / 60_000) % 60, 2);
        out.push('m');
    }
}

/// A byte size for people: `512 B`, `3.4 KB`, `1.2 MB`.
pub fn bytes(n: u64) -> String {
    if n < 1_000 {
        format!("{n} B")
    } else if n < 1_000_000 {
        format!("{:.1} KB", n as f64 / 1e3)
    } else {
        format!("{:.1} MB", n as f64 / 1e6)
    }
}

/// The small deterministic generator of the crate's randomised tests (xorshift64 from `seed`,
/// which must not be 0): each call gives the next 64 random bits.
#[cfg(test)]
pub(crate) fn test_words(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// [`test_words`] as picks: each call gives a number below its argument (which must not be
/// 0).
#[cfg(test)]
pub(crate) fn test_picker(seed: u64) -> impl FnMut(usize) -> usize {
    let mut next = test_words(seed);
    move |n: usize| (next() % n as u64) as usize
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_percentage_is_floored_in_every_view() {
        // 77,334 of 1,000,000 (tester14 #8: the status line said 7%, HTML and the dashboard 8%).
        assert_eq!(percent(77_334.0 * 100.0 / 1_000_000.0), "7%");
        assert_eq!(percent(99.6), "99%");
        assert_eq!(percent(100.0), "100%");
        assert_eq!(percent(104.2), "104%");
        assert_eq!(percent(0.4), "0%");
        assert_eq!(percent(-3.0), "0%");
        assert_eq!(percent(f64::NAN), "0%");
        assert_eq!(percent(f64::INFINITY), "0%");
    }

    #[test]
    fn a_rounding_that_carries_is_shown_as_what_it_rounds_to() {
        // The cent's boundary: `<$0.01` is decided on the rounded figure, so half a cent is
        // a cent (0.005 is stored a hair above it), and just below is `<$0.01`.
        assert_eq!(usd(0.005), "$0.01");
        assert_eq!(usd(0.004_999_9), "<$0.01");
        assert_eq!(usd_at_least(0.005, true), "$0.01+");
        assert_eq!(usd_short(0.005), "$0.01");
        // A carry into another digit only widens the figure: nothing is decided on it.
        assert_eq!(usd(9.996), "$10.00");
        assert_eq!(usd(99.996), "$100.00");
        assert_eq!(usd_at_least(99.996, true), "$100.00+");
        // A narrow place goes to whole dollars on the figure it would show: $100.00 is $100.
        assert_eq!(usd_short(99.996), "$100");
        assert_eq!(usd_short(99.999_999), "$100");
        assert_eq!(usd_short_at_least(99.996, true), "$100+");
        assert_eq!(usd_short(99.994_999), "$99.99");
        // Half a cent rounds up, whichever side of it the amount's binary double lies:
        // 99.995 and 9.995 alike (the double of 9.995 is a hair below it; it was `$9.99`).
        assert_eq!(usd_short(99.995), "$100");
        assert_eq!(usd(9.995), "$10.00");
        assert_eq!(usd_short(9.995), "$10.00");
        assert_eq!(usd_short(9.996), "$10.00");
        // Never wider than `$99.99` below $100 shown, whatever the amount rounds to.
        for i in 0..=100_000 {
            let amount = 99.0 + f64::from(i) / 100_000.0;
            let short = usd_short(amount);
            assert!(short.len() <= 6, "{amount} → {short}");
        }
    }

    #[test]
    fn dollar_amounts_never_read_as_free_and_ticks_stay_distinct() {
        assert_eq!(usd(0.0), "$0.00");
        assert_eq!(usd(12.345_678), "$12.35");
        assert_eq!(usd(0.01), "$0.01");
        assert_eq!(usd(0.006), "$0.01");
        // 20 input and 10 output tokens of Opus 4.6 at $5 and $25 a million: $0.00035.
        assert_eq!(usd(20.0 * 5e-6 + 10.0 * 25e-6), "<$0.01");
        assert_eq!(usd(0.004_999), "<$0.01");
        assert_eq!(usd(1234.5), "$1234.50");
        // Lower bounds: the same figure, one mark after it.
        assert_eq!(usd_at_least(1.234, true), "$1.23+");
        assert_eq!(usd_at_least(1.234, false), "$1.23");
        assert_eq!(usd_at_least(0.0004, true), "<$0.01+");
        assert_eq!(usd_at_least(0.0, true), "unknown");
        assert_eq!(usd_at_least(0.0, false), "$0.00");
        assert_eq!(usd_short_at_least(0.0, true), "unknown");
        assert_eq!(usd_short(99.994), "$99.99");
        assert_eq!(usd_short(100.0), "$100");
        assert_eq!(usd_short(1234.4), "$1234");
        assert_eq!(usd_short(0.0004), "<$0.01");
        assert_eq!(usd_short_at_least(1234.4, true), "$1234+");
        assert_eq!(usd_short_at_least(0.0004, true), "<$0.01+");
        // Ticks at 0, half and the whole of a $0.000405 chart, of a $3 one and a $1,250 one.
        for (max, want) in [
            (0.000_405, ["$0.0000", "$0.0002", "$0.0004"]),
            (3.0, ["$0.00", "$1.50", "$3.00"]),
            (1250.0, ["$0", "$625", "$1250"]),
        ] {
            let got = [0.0, 0.5, 1.0].map(|f| usd_tick(max * f, max / 2.0));
            assert_eq!(got, want, "{max}");
        }
        // At any scale the three ticks read differently.
        for e in -9..6 {
            for m in [1.0, 1.3, 2.0, 4.99, 7.0] {
                let max = m * 10f64.powi(e);
                let t = [0.0, 0.5, 1.0].map(|f| usd_tick(max * f, max / 2.0));
                assert!(t[0] != t[1] && t[1] != t[2], "{max}: {t:?}");
            }
        }
    }

    /// `pico` picodollars to the cent, half up, by decimal string arithmetic alone (no
    /// division, no floats): the independent reference for [`usd_pico`].
    fn cents_by_digits(pico: u128) -> String {
        let digits = format!("{pico:013}");
        let (dollars, fraction) = digits.split_at(digits.len() - 12);
        let mut kept: Vec<u8> = format!("{dollars}{}", &fraction[..2]).into_bytes();
        if fraction.as_bytes()[2] >= b'5' {
            // Add one in the last place, carrying through nines.
            let mut i = kept.len();
            loop {
                if i == 0 {
                    kept.insert(0, b'1');
                    break;
                }
                i -= 1;
                if kept[i] == b'9' {
                    kept[i] = b'0';
                } else {
                    kept[i] += 1;
                    break;
                }
            }
        }
        let kept = String::from_utf8(kept).unwrap();
        let (whole, cents) = kept.split_at(kept.len() - 2);
        if pico > 0 && whole.bytes().chain(cents.bytes()).all(|b| b == b'0') {
            return "<$0.01".to_owned();
        }
        format!("${whole}.{cents}")
    }

    #[test]
    fn an_exact_half_cent_rounds_up_whatever_its_double() {
        // tester12 #9: $0.015, $0.045, $0.075, $0.105 were shown a cent down (their doubles
        // lie below), $0.135 up; ten responses of $0.0045 on a day ($0.045) read `$0.04`
        // where ccusage reads `$0.05`.
        for (pico, want) in [
            (15_000_000_000, "$0.02"),
            (45_000_000_000, "$0.05"),
            (75_000_000_000, "$0.08"),
            (105_000_000_000, "$0.11"),
            (135_000_000_000, "$0.14"),
            (5_000_000_000, "$0.01"),
            (4_999_999_999, "<$0.01"),
            (1, "<$0.01"),
            (0, "$0.00"),
            (99_995_000_000_000, "$100.00"),
        ] {
            assert_eq!(usd_pico(pico), want, "{pico}");
            // As handed on in dollars (`from_pico`), the same figure.
            let dollars = crate::session::pricing::from_pico(pico);
            assert_eq!(usd(dollars), want, "{dollars}");
        }
        let ten: u128 = (0..10).map(|_| 4_500_000_000u128).sum();
        assert_eq!(usd(crate::session::pricing::from_pico(ten)), "$0.05");
        assert_eq!(usd_at_least_pico(75_000_000_000, true), "$0.08+");
        assert_eq!(usd_at_least_pico(0, true), "unknown");
        // Whole dollars in a narrow place round half a dollar up too (`{:.0}` gave $100).
        assert_eq!(usd_short(100.5), "$101");
        assert_eq!(usd_short(1234.5), "$1235");
        assert_eq!(usd_short(1_234.499_999), "$1234");
    }

    /// A chart's ticks round money as [`usd_pico`] does: half a cent up from the exact
    /// amount, not the way its double lies (`{:.2}` of 0.075 is `0.07`).
    #[test]
    fn chart_ticks_round_money_as_the_tables_do() {
        for pico in [
            15_000_000_000u128,
            45_000_000_000,
            75_000_000_000,
            105_000_000_000,
            135_000_000_000,
            1_234_565_000_000_000,
        ] {
            let dollars = crate::session::pricing::from_pico(pico);
            assert_eq!(usd_tick(dollars, 0.05), usd_pico(pico), "{dollars}");
        }
        // Below a cent a step, the same rounding at the tick's own last place.
        assert_eq!(usd_tick(0.000_45, 0.000_225), "$0.0005");
        assert_eq!(usd_tick(0.000_449_999, 0.000_225), "$0.0004");
        // Whole dollars from $100 a step: half a dollar up, as `usd_short` rounds.
        assert_eq!(usd_tick(1250.5, 625.25), "$1251");
        for (pico, decimals, want) in [
            (75_000_000_000u128, 6, "0.075000"),
            (75_000_000_000, 2, "0.08"),
            (500_000_000_000, 0, "1"),
            (499_999_999_999, 0, "0"),
            (1, 12, "0.000000000001"),
            (1, 20, "0.000000000001"),
            (5, 11, "0.00000000001"),
            (12_345_678_900_000_000, 4, "12345.6789"),
        ] {
            assert_eq!(decimal_pico(pico, decimals), want, "{pico} {decimals}");
        }
    }

    use proptest::strategy::Strategy as _;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 4000, ..Default::default() })]

        /// Any amount, and amounts near a half cent above all, read as decimal arithmetic on
        /// the exact picodollars rounds them; handed on as dollars below $2,000 they read the
        /// same (the f64 wrappers take them back to the same picodollars).
        #[test]
        fn money_is_the_exact_amount_rounded_half_up(
            pico in proptest::prop_oneof![
                0u128..=u128::MAX / 2,
                0u128..2_000_000_000_000_000,
                (0u128..200_000_000u128, -3i64..=3).prop_map(|(c, d)| {
                    (c * 10_000_000_000 + 5_000_000_000).saturating_add_signed(i128::from(d))
                }),
            ]
        ) {
            proptest::prop_assert_eq!(usd_pico(pico), cents_by_digits(pico));
            if pico < 2_000_000_000_000_000 {
                let dollars = crate::session::pricing::from_pico(pico);
                proptest::prop_assert_eq!(crate::session::pricing::to_pico(dollars), pico);
                proptest::prop_assert_eq!(usd(dollars), cents_by_digits(pico));
            }
        }
    }

    use super::*;

    fn inert(text: &str, width: usize) -> String {
        let mut s = String::new();
        push_inert(&mut s, text, width);
        s
    }

    #[test]
    fn escape_sequences_become_inert() {
        let s = inert("a\u{1b}[31mred\u{1b}]52;c;aGk=\u{7}\u{9b}2J\u{202e}x", 100);
        assert!(!s.chars().any(|c| c.is_control()), "{s:?}");
        assert_eq!(s, "a␛[31mred␛]52;c;aGk=␇�2J�x");
    }

    #[test]
    fn first_non_blank_line_with_ellipsis_when_more_follows() {
        assert_eq!(inert("\n\n  hello  \nworld", 100), "hello…");
        assert_eq!(inert("hello", 100), "hello");
        assert_eq!(inert("hello world", 5), "hell…");
        assert_eq!(inert("hello", 5), "hello");
        assert_eq!(inert("日本語テキスト", 6), "日本…");
    }

    /// The rule written out character by character, without the ASCII fast path: the right
    /// values for `push_inert_start`.
    fn reference(start: &str, continues: bool, max: usize) -> (String, usize) {
        let (line, more) = first_line_and_more(start);
        let shown: Vec<char> = line.chars().map(inert_char).collect();
        let width: usize = shown.iter().map(|&c| char_width(c)).sum();
        if !(more || continues) && width <= max {
            return (shown.into_iter().collect(), width);
        }
        if max == 0 {
            return (String::new(), 0);
        }
        let (mut out, mut used) = (String::new(), 0);
        for c in shown {
            if used + char_width(c) > max - 1 {
                break;
            }
            used += char_width(c);
            out.push(c);
        }
        out.push('…');
        (out, used + 1)
    }

    #[test]
    fn ascii_fast_path_agrees_with_the_character_rule() {
        let texts = [
            "",
            "hello",
            "hello world",
            "  padded  \n",
            "tab\there",
            "ctl\u{1b}[0m",
            "wide 日本語",
            "café au lait",
            "ascii then ✓ later in a long line of text",
            "two\nlines",
            "fits exactly",
            "é then a long ascii run",
            "ab\u{301}cd combining",
            "日本 mixed ascii 日本 again",
            "tab\t\u{1b}[1m and wide 日 at the end 日",
            " lead",
            "trail ",
        ];
        for text in texts {
            for continues in [false, true] {
                for max in 0..16 {
                    let mut out = String::from(">");
                    let used = push_inert_start(&mut out, text, continues, max);
                    let (want, want_used) = reference(text, continues, max);
                    assert_eq!(
                        (&out[1..], used),
                        (want.as_str(), want_used),
                        "{text:?} {continues} {max}"
                    );
                    if !continues {
                        let mut out = String::from(">");
                        let used = push_inert(&mut out, text, max);
                        assert_eq!(
                            (&out[1..], used),
                            (want.as_str(), want_used),
                            "{text:?} {max}"
                        );
                    }
                }
            }
            assert_eq!(
                str_width(text),
                text.chars().map(char_width).sum::<usize>(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn previews_decode_only_a_prefix() {
        let raw = RawJson::parse(r#""line1\nline2 \"q\" \u00e9\ud83d\ude00 tail""#).unwrap();
        assert_eq!(result_preview(raw, 100), "line1\nline2 \"q\" é😀 tail");
        assert_eq!(result_preview(raw, 5), "line1");
        let raw =
            RawJson::parse(r#"[{"type":"text","text":"a"},{"type":"image","source":{}}]"#).unwrap();
        assert_eq!(result_preview(raw, 100), "a\n[image]");
    }

    /// The right values: the text decoded by serde_json, then `push_inert_start` (or, for a
    /// preview, `result_preview` then `push_inert`).
    #[test]
    fn literal_fast_paths_agree_with_decoding() {
        let texts = [
            "hello",
            "hello world and more",
            "short\nnext line",
            "short  \n  indented next",
            "trailing blanks   ",
            "trailing blanks   \nnext",
            "line\n\nafter a blank",
            "line\n",
            " leading blank",
            "tab\there",
            "esc \u{1b}[1m bold",
            "ascii then ✓ later",
            "quote \" inside",
            "back \\ slash",
            "cr\r\nlf",
            "exactly ten",
        ];
        let mut fast = 0;
        for text in texts {
            let literal = serde_json::to_string(text).unwrap();
            for max in 0..24 {
                for cap in [usize::MAX, 8, 12, 40] {
                    let decoded = crate::text::Text::Json(&literal);
                    let mut want = String::from(">");
                    let want_used = if cap == usize::MAX {
                        let (start, continues) = decoded.prefix(max + 256);
                        push_inert_start(&mut want, &start, continues, max)
                    } else {
                        let raw = RawJson::parse(&literal).unwrap();
                        push_inert(&mut want, &result_preview(raw, cap), max)
                    };
                    let mut got = String::from(">");
                    let used = if cap == usize::MAX {
                        push_literal_start(&mut got, &literal, max)
                    } else {
                        push_literal_preview(&mut got, &literal, cap, max)
                    };
                    match used {
                        Some(used) => {
                            fast += 1;
                            assert_eq!((got, used), (want, want_used), "{text:?} {max} {cap}");
                        }
                        None => assert_eq!(got, ">", "nothing written when it declines"),
                    }
                }
            }
        }
        assert!(fast > 300, "the fast path was taken {fast} times");
    }

    /// The byte runs eight at a time agree with a byte-by-byte reading, at every offset.
    #[test]
    fn ascii_runs_agree_with_a_byte_loop() {
        let mut bytes: Vec<u8> = (0u8..=255).collect();
        bytes.extend_from_slice(b"plain ascii text with \"quotes\" and \\ back\x7f\x1f end");
        for start in 0..bytes.len() {
            for end in start..bytes.len().min(start + 40) {
                let b = &bytes[start..end];
                let printable = b.iter().take_while(|c| (b' '..=b'~').contains(*c)).count();
                let plain = b.iter().take_while(|c| plain_ascii(**c)).count();
                assert_eq!(printable_run(b), printable, "{b:?}");
                assert_eq!(plain_run(b), plain, "{b:?}");
            }
        }
    }

    /// `literal_summary_start` shows what decoding the whole prefix shows (`decode_prefix`
    /// at the cap, then `push_inert_start`), for literals whose first line ends early, late,
    /// after blank lines, with wide, zero-width, control and escaped characters, at every
    /// width and several caps.
    #[test]
    fn literal_summary_starts_agree_with_decoding_the_prefix() {
        let pieces = [
            "a",
            "word ",
            r"\n",
            r"\n\n",
            "   ",
            r"\t",
            r"\r\n",
            r"\u00e9",
            "é",
            "日本",
            r"\u0301",
            r"\u001b[1m",
            r"\\",
            r#"\""#,
            r"\ud83d\ude00",
            r"\ud800",
            r"\u2028",
            r"\u00a0",
            "long run of plain ascii words to fill a line ",
        ];
        let mut next = test_picker(0x2545_f491_4f6c_dd1d);
        let mut early = 0;
        for _ in 0..3_000 {
            let mut literal = String::from("\"");
            for _ in 0..next(40) {
                literal.push_str(pieces[next(pieces.len())]);
            }
            literal.push('"');
            for cap in [0, 1, 5, 30, 64, 100, 256, usize::MAX] {
                for max in [0, 1, 2, 3, 7, 20, 40, 63, 64, 65, 100, 240] {
                    let (full, cut) = crate::text::decode_prefix(&literal, cap);
                    let (start, continues) = literal_summary_start(&literal, cap, max);
                    early += usize::from(start.len() < full.len());
                    assert_eq!(start.trim().is_empty(), full.trim().is_empty(), "{literal}");
                    for flag in [false, true] {
                        let mut want = String::new();
                        let want_used = push_inert_start(&mut want, &full, cut && flag, max);
                        let mut got = String::new();
                        let used = push_inert_start(&mut got, &start, continues && flag, max);
                        assert_eq!(
                            (got.as_str(), used),
                            (want.as_str(), want_used),
                            "{literal} cap {cap} max {max} {flag}"
                        );
                    }
                    // Decoding more first holds the first characters too, and a start
                    // settled for `max` columns shows what the whole prefix shows in fewer
                    // (the dashboard keeps one start of a call's argument for its row, whose
                    // tool name takes some of the columns, and its steps list).
                    let (start, continues) = literal_summary_start_from(&literal, 10, cap, max);
                    assert!(!continues || full.starts_with(&start), "{literal}");
                    let head: String = full.chars().take(10).collect();
                    assert!(start.starts_with(&head), "{literal} cap {cap}");
                    // (The whole text: the dashboard reads the argument's whole literal.)
                    let fewer_widths = if cap == usize::MAX {
                        &[0, 1, max / 2, max.saturating_sub(1), max][..]
                    } else {
                        &[][..]
                    };
                    for &fewer in fewer_widths.iter().filter(|&&w| w <= max) {
                        let mut want = String::new();
                        let want_used = push_inert_start(&mut want, &full, cut, fewer);
                        let mut got = String::new();
                        let used = push_inert(&mut got, &start, fewer);
                        assert_eq!(
                            (got.as_str(), used),
                            (want.as_str(), want_used),
                            "{literal} cap {cap} max {max} in {fewer}"
                        );
                    }
                }
            }
        }
        assert!(early > 10_000, "decoded less {early} times");
    }

    /// `push_literal_line` writes what decoding the prefix does (`decode_prefix` at the cap,
    /// then `push_inert_start`, with the cut flag either way) whenever it does not decline:
    /// random literals of blanks, blank lines, tabs, escapes, wide, zero-width, control,
    /// bidi and non-ASCII blank characters and long ASCII runs, at many widths and caps.
    #[test]
    fn literal_lines_agree_with_decoding_the_prefix() {
        let pieces = [
            "a",
            "word ",
            "x",
            r"\n",
            r"\n\n",
            "   ",
            " ",
            r"\t",
            r"\r",
            r"\r\n",
            r"\u00e9",
            "é",
            "日本",
            "😀",
            "\u{301}",
            r"\u0301",
            r"\u001b[1m",
            "\u{9b}",
            "\u{85}",
            "\u{a0}",
            "\u{3000}",
            "\u{202e}",
            "\u{7f}",
            r"\\",
            r#"\""#,
            r"\/",
            r"\b",
            r"\f",
            r"\ud83d\ude00",
            r"\u2028",
            "long run of plain ascii words to fill a line ",
            "averyveryverylongwordwithoutanyblanksinsideitatalltofillaline",
        ];
        let mut next = test_picker(0x9e37_79b9_7f4a_7c15);
        let mut taken = 0;
        for round in 0..2_000 {
            let mut literal = String::from("\"");
            // Half of them start with plain words, as most texts do.
            if round % 2 == 0 {
                literal.push_str(pieces[next(3)]);
            }
            for _ in 0..next(40) {
                literal.push_str(pieces[next(pieces.len())]);
            }
            literal.push('"');
            for cap in [0, 1, 5, 30, 64, 100, 240, 256, usize::MAX] {
                for max in [0, 1, 2, 3, 4, 7, 20, 40, 63, 64, 65, 100, 239, 240] {
                    let (full, cut) = crate::text::decode_prefix(&literal, cap);
                    let mut got = String::from(">");
                    let Some(used) = push_literal_line(&mut got, &literal, cap, max) else {
                        assert_eq!(got, ">", "nothing written when it declines");
                        continue;
                    };
                    taken += 1;
                    for flag in [false, true] {
                        let mut want = String::from(">");
                        let want_used = push_inert_start(&mut want, &full, cut && flag, max);
                        assert_eq!(
                            (got.as_str(), used),
                            (want.as_str(), want_used),
                            "{literal} cap {cap} max {max} {flag}"
                        );
                    }
                    assert!(
                        !full.trim().is_empty(),
                        "a blank text is declined: {literal}"
                    );
                }
            }
        }
        assert!(taken > 30_000, "read off the literal {taken} times");
    }

    #[test]
    fn session_columns_copy_ascii_whole() {
        for (id, max) in [
            ("abcdefghij", 8),
            ("abc", 8),
            ("ab\u{1b}cdefgh", 8),
            ("日本語テキスト", 3),
        ] {
            let mut out = String::new();
            push_inert_chars(&mut out, id, max);
            let want: String = id.chars().take(max).map(inert_char).collect();
            assert_eq!(out, want);
        }
    }

    #[test]
    fn numbers_for_people() {
        for n in [
            0, 7, 999, 1_000, 59_999, 60_000, 61_000, 3_599_999, 3_600_000, 86_400_000,
        ] {
            let mut padded = String::new();
            push_u64(&mut padded, n, 7);
            assert_eq!(padded, format!("{n:07}"));
        }
        for ms in (0..200_000)
            .step_by(37)
            .chain([1_050, 1_150, 1_250, 1_350, 59_950])
        {
            let want = if ms < 1_000 {
                format!("{ms}ms")
            } else if ms < 60_000 {
                format!("{:.1}s", ms as f64 / 1_000.0)
            } else {
                format!("{}m{:02}s", ms / 60_000, (ms / 1_000) % 60)
            };
            assert_eq!(duration(ms), want, "{ms}");
        }
        // Every duration between a second and a minute, as the float formatting writes it.
        for ms in 1_000..60_000u64 {
            assert_eq!(duration(ms), format!("{:.1}s", ms as f64 / 1_000.0), "{ms}");
        }
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(duration(340), "340ms");
        assert_eq!(duration(1_250), "1.2s");
        assert_eq!(duration(125_000), "2m05s");
        assert_eq!(duration(3_720_000), "1h02m");
    }
}
