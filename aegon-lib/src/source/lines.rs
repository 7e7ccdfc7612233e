//! Splitting a byte stream into lines.
//!
//! [`LineSplitter`] is pushed chunks of bytes in whatever sizes the source hands out and lends
//! each complete line to a callback, with its absolute byte offset and line number. Lines that
//! lie wholly inside a chunk are lent straight from it (no copy); only a line that straddles two
//! chunks is carried over in an internal buffer. A line longer than the configured maximum is
//! never held in memory: its bytes are counted and dropped, and it is reported as
//! [`LineItem::TooLong`] when its newline (or the end of input) arrives.
//!
//! The output does not depend on how the input was chunked: one byte at a time or all at once
//! gives the same items.

use std::ops::ControlFlow;

/// The UTF-8 byte order mark, tolerated (and skipped) at the start of a stream.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A complete line lent by [`LineSplitter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// The line's bytes, without the trailing `\n` or `\r\n` (and without a leading UTF-8 BOM on
    /// the first line).
    pub bytes: &'a [u8],
    /// 1-based line number.
    pub number: u64,
    /// Absolute byte offset of `bytes[0]` in the stream.
    pub offset: u64,
    /// False for a last line that ended without a newline (a truncated or still-growing line).
    pub terminated: bool,
}

impl Line<'_> {
    /// Where the line stands in the input `file`: its number and the byte offset of its start.
    pub fn source<'f>(&self, file: &'f str) -> crate::event::Source<'f> {
        crate::event::Source {
            file,
            line: self.number,
            offset: self.offset,
        }
    }
}

/// What the splitter hands to its callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineItem<'a> {
    /// A line within the length limit.
    Line(Line<'a>),
    /// A line longer than the limit; its bytes were skipped.
    TooLong {
        /// 1-based line number.
        number: u64,
        /// Absolute byte offset where the line starts.
        offset: u64,
        /// Length of the line in bytes (without its line terminator).
        len: u64,
        /// False when the input ended before the line's newline.
        terminated: bool,
        /// Whether its bytes hold `usage"` (the end of a key such as Claude Code's `"usage"`
        /// or Codex's `"last_token_usage"`): the line may hold an API response's usage, which
        /// is then missing from every figure ([`crate::pipeline::Stats::too_long_usage`]).
        may_hold_usage: bool,
    },
}

/// What [`LineItem::TooLong::may_hold_usage`] looks for.
const USAGE_KEY: &[u8] = b"usage\"";

/// Looks for [`USAGE_KEY`] in the bytes of a line being skipped, pushed in pieces: found
/// whatever the pieces (it may straddle two).
#[derive(Debug, Default)]
struct UsageScan {
    found: bool,
    /// The last bytes seen (fewer than the key's length).
    tail: Vec<u8>,
}

impl UsageScan {
    fn push(&mut self, bytes: &[u8]) {
        if self.found || bytes.is_empty() {
            return;
        }
        let head = &bytes[..bytes.len().min(USAGE_KEY.len() - 1)];
        let mut across = std::mem::take(&mut self.tail);
        across.extend_from_slice(head);
        self.found = memchr::memmem::find(&across, USAGE_KEY).is_some()
            || memchr::memmem::find(bytes, USAGE_KEY).is_some();
        let keep = USAGE_KEY.len() - 1;
        if bytes.len() >= keep {
            across.clear();
            across.extend_from_slice(&bytes[bytes.len() - keep..]);
        } else if across.len() > keep {
            across.drain(..across.len() - keep);
        }
        self.tail = across;
    }
}

/// A rolling-buffer line splitter. See the [module documentation](self).
#[derive(Debug)]
pub struct LineSplitter {
    /// Bytes of a line that began in an earlier chunk (empty when none is pending).
    carry: Vec<u8>,
    max_line: usize,
    /// Number the next line will get.
    next_number: u64,
    /// Absolute offset of the first byte of the pending line.
    line_start: u64,
    /// Absolute offset of the next byte to be pushed.
    position: u64,
    /// `Some(len)` while skipping an over-long line: bytes seen so far and whether the last was `\r`.
    skipping: Option<(u64, bool)>,
    /// Of the line being skipped: whether it may hold usage.
    scan: UsageScan,
}

impl LineSplitter {
    /// A splitter that reports lines longer than `max_line` bytes as [`LineItem::TooLong`].
    pub fn new(max_line: usize) -> Self {
        LineSplitter {
            carry: Vec::new(),
            max_line,
            next_number: 1,
            line_start: 0,
            position: 0,
            skipping: None,
            scan: UsageScan::default(),
        }
    }

    /// Total bytes pushed so far.
    pub fn bytes_seen(&self) -> u64 {
        self.position
    }

    /// Lines completed so far (including over-long ones).
    pub fn lines_seen(&self) -> u64 {
        self.next_number - 1
    }

    /// Whether bytes of an unfinished line are pending (kept until its newline arrives).
    pub fn has_partial(&self) -> bool {
        !self.carry.is_empty() || self.skipping.is_some()
    }

    /// Gives back the memory kept from the longest line that spanned chunks, when no line is
    /// pending (a splitter kept for a quiet file then holds nothing).
    pub fn release_memory(&mut self) {
        if self.carry.is_empty() {
            self.carry = Vec::new();
        }
    }

    /// Bytes of the unfinished line pending (0 when none).
    pub fn partial_len(&self) -> u64 {
        match self.skipping {
            Some((len, _)) => len,
            None => self.carry.len() as u64,
        }
    }

    /// Forgets any partial line and starts counting again from `offset` with line `number`.
    /// Used when a followed file is truncated or replaced.
    pub fn reset(&mut self, offset: u64, number: u64) {
        self.carry.clear();
        self.skipping = None;
        self.scan = UsageScan::default();
        self.position = offset;
        self.line_start = offset;
        self.next_number = number;
    }

    /// Feeds a chunk; calls `emit` for each line completed by it. Stops early (and returns
    /// `Break`) when `emit` does; the rest of the chunk is then dropped.
    pub fn push<F>(&mut self, chunk: &[u8], mut emit: F) -> ControlFlow<()>
    where
        F: FnMut(LineItem<'_>) -> ControlFlow<()>,
    {
        let mut rest = chunk;
        // Finish a line carried over from earlier chunks first.
        if self.has_partial() {
            match memchr::memchr(b'\n', rest) {
                None => {
                    self.extend_partial(rest);
                    self.position += rest.len() as u64;
                    return ControlFlow::Continue(());
                }
                Some(nl) => {
                    self.extend_partial(&rest[..nl]);
                    self.position += nl as u64 + 1;
                    rest = &rest[nl + 1..];
                    let flow = self.finish_carried(true, &mut emit);
                    flow?;
                }
            }
        }
        // Lines wholly inside this chunk are lent from it directly.
        while let Some(nl) = memchr::memchr(b'\n', rest) {
            let line = &rest[..nl];
            self.position += nl as u64 + 1;
            rest = &rest[nl + 1..];
            self.emit_line(line, true, &mut emit)?;
        }
        // Keep the tail for the next chunk (or count it, if it is already too long).
        if !rest.is_empty() {
            self.extend_partial(rest);
            self.position += rest.len() as u64;
        }
        ControlFlow::Continue(())
    }

    /// Ends the input: a pending last line without a newline is emitted with
    /// `terminated: false`.
    pub fn finish<F>(&mut self, mut emit: F) -> ControlFlow<()>
    where
        F: FnMut(LineItem<'_>) -> ControlFlow<()>,
    {
        if self.has_partial() {
            self.finish_carried(false, &mut emit)
        } else {
            ControlFlow::Continue(())
        }
    }

    /// Appends bytes of a not yet finished line, switching to skipping once it is too long.
    fn extend_partial(&mut self, bytes: &[u8]) {
        if let Some((len, last_cr)) = &mut self.skipping {
            if let Some(&last) = bytes.last() {
                *len += bytes.len() as u64;
                *last_cr = last == b'\r';
            }
            self.scan.push(bytes);
            return;
        }
        // Slack for a `\r` that may turn out to belong to a `\r\n` terminator, and for a BOM
        // that the first line may start with: neither counts toward the limit.
        let slack = if self.next_number == 1 {
            1 + UTF8_BOM.len()
        } else {
            1
        };
        if self.carry.len() + bytes.len() > self.max_line.saturating_add(slack) {
            let len = (self.carry.len() + bytes.len()) as u64;
            let last_cr = bytes.last().or(self.carry.last()) == Some(&b'\r');
            self.skipping = Some((len, last_cr));
            self.scan.push(&self.carry);
            self.scan.push(bytes);
            self.carry = Vec::new();
        } else {
            self.carry.extend_from_slice(bytes);
        }
    }

    fn finish_carried<F>(&mut self, terminated: bool, emit: &mut F) -> ControlFlow<()>
    where
        F: FnMut(LineItem<'_>) -> ControlFlow<()>,
    {
        if let Some((len, last_cr)) = self.skipping.take() {
            let len = if last_cr { len - 1 } else { len };
            let item = self.too_long(len, terminated);
            return emit(item);
        }
        let carry = std::mem::take(&mut self.carry);
        let flow = self.emit_line(&carry, terminated, emit);
        // Keep the allocation for the next straddling line, unless it grew unusually large.
        if carry.capacity() <= 1 << 20 {
            self.carry = carry;
            self.carry.clear();
        }
        flow
    }

    /// Emits one complete line whose bytes (without `\n`) are `line`; `self.position` is already
    /// past its terminator.
    fn emit_line<F>(&mut self, line: &[u8], terminated: bool, emit: &mut F) -> ControlFlow<()>
    where
        F: FnMut(LineItem<'_>) -> ControlFlow<()>,
    {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut bytes = line;
        let mut offset = self.line_start;
        if self.next_number == 1 {
            if let Some(stripped) = bytes.strip_prefix(UTF8_BOM) {
                bytes = stripped;
                offset += UTF8_BOM.len() as u64;
            }
        }
        if bytes.len() > self.max_line {
            self.scan.push(line);
            let item = self.too_long(line.len() as u64, terminated);
            return emit(item);
        }
        let number = self.next_number;
        self.next_number += 1;
        self.line_start = self.position;
        emit(LineItem::Line(Line {
            bytes,
            number,
            offset,
            terminated,
        }))
    }

    fn too_long(&mut self, len: u64, terminated: bool) -> LineItem<'static> {
        let item = LineItem::TooLong {
            number: self.next_number,
            offset: self.line_start,
            len,
            terminated,
            may_hold_usage: std::mem::take(&mut self.scan).found,
        };
        self.next_number += 1;
        self.line_start = self.position;
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Owned copy of an item, for comparing runs.
    #[derive(Debug, PartialEq, Eq)]
    enum Owned {
        Line(Vec<u8>, u64, u64, bool),
        TooLong(u64, u64, u64, bool),
        /// An over-long line whose bytes hold `usage"`.
        TooLongUsage(u64, u64, u64, bool),
    }

    fn split(chunks: &[&[u8]], max: usize) -> Vec<Owned> {
        let mut out = Vec::new();
        let mut s = LineSplitter::new(max);
        let mut sink = |item: LineItem<'_>| {
            out.push(match item {
                LineItem::Line(l) => {
                    Owned::Line(l.bytes.to_vec(), l.number, l.offset, l.terminated)
                }
                LineItem::TooLong {
                    number,
                    offset,
                    len,
                    terminated,
                    may_hold_usage: false,
                } => Owned::TooLong(number, offset, len, terminated),
                LineItem::TooLong {
                    number,
                    offset,
                    len,
                    terminated,
                    may_hold_usage: true,
                } => Owned::TooLongUsage(number, offset, len, terminated),
            });
            ControlFlow::Continue(())
        };
        for c in chunks {
            let _ = s.push(c, &mut sink);
        }
        let _ = s.finish(&mut sink);
        out
    }

    #[test]
    fn offsets_numbers_and_terminators() {
        let got = split(&[b"ab\r\ncd\n\nlast"], 100);
        assert_eq!(
            got,
            vec![
                Owned::Line(b"ab".to_vec(), 1, 0, true),
                Owned::Line(b"cd".to_vec(), 2, 4, true),
                Owned::Line(b"".to_vec(), 3, 7, true),
                Owned::Line(b"last".to_vec(), 4, 8, false),
            ]
        );
    }

    #[test]
    fn bom_is_skipped_on_the_first_line_only() {
        let got = split(&[b"\xEF\xBB", b"\xBF{}\n\xEF\xBB\xBF{}\n"], 100);
        assert_eq!(
            got,
            vec![
                Owned::Line(b"{}".to_vec(), 1, 3, true),
                Owned::Line(b"\xEF\xBB\xBF{}".to_vec(), 2, 6, true),
            ]
        );
    }

    #[test]
    fn too_long_lines_are_reported_not_kept() {
        let long = vec![b'x'; 50];
        let mut input = b"ok\n".to_vec();
        input.extend_from_slice(&long);
        input.extend_from_slice(b"\r\nafter\n");
        let whole = split(&[&input], 10);
        assert_eq!(
            whole,
            vec![
                Owned::Line(b"ok".to_vec(), 1, 0, true),
                Owned::TooLong(2, 3, 50, true),
                Owned::Line(b"after".to_vec(), 3, 55, true),
            ]
        );
        let bytewise: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(split(&bytewise, 10), whole);
    }

    /// An over-long line is said to hold `usage"` wherever the key lies (in the part carried
    /// before the line was known too long, straddling two chunks, in its last chunk), however
    /// the input is cut; an over-long line without it, or one after it, is not.
    #[test]
    fn an_over_long_line_holding_usage_is_told_apart_in_any_chunks() {
        let pad = "x".repeat(40);
        let input = format!(
            "{{\"usage\":1}}{pad}\n{pad}\"usage\":{{}}\r\n{pad}\n{pad}\"last_token_usage\"\nok\n{pad}usage"
        );
        let want = vec![
            Owned::TooLongUsage(1, 0, 51, true),
            Owned::TooLongUsage(2, 52, 50, true),
            Owned::TooLong(3, 104, 40, true),
            Owned::TooLongUsage(4, 145, 58, true),
            Owned::Line(b"ok".to_vec(), 5, 204, true),
            Owned::TooLong(6, 207, 45, false),
        ];
        let bytes = input.as_bytes();
        assert_eq!(split(&[bytes], 20), want);
        for size in 1..=12 {
            let chunks: Vec<&[u8]> = bytes.chunks(size).collect();
            assert_eq!(split(&chunks, 20), want, "chunks of {size}");
        }
    }

    #[test]
    fn a_line_of_exactly_the_limit_with_crlf_is_kept() {
        let got = split(&[b"12345", b"67890\r", b"\n"], 10);
        assert_eq!(got, vec![Owned::Line(b"1234567890".to_vec(), 1, 0, true)]);
        let got = split(&[b"12345", b"678901", b"\n"], 10);
        assert_eq!(got, vec![Owned::TooLong(1, 0, 11, true)]);
    }

    #[test]
    fn unterminated_too_long_tail() {
        let got = split(&[b"a\n", &[b'y'; 30]], 10);
        assert_eq!(
            got,
            vec![
                Owned::Line(b"a".to_vec(), 1, 0, true),
                Owned::TooLong(2, 2, 30, false)
            ]
        );
    }

    #[test]
    fn break_stops_the_chunk() {
        let mut s = LineSplitter::new(100);
        let mut n = 0;
        let flow = s.push(b"a\nb\nc\n", |_| {
            n += 1;
            if n == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        assert_eq!(flow, ControlFlow::Break(()));
        assert_eq!(n, 2);
    }
}
