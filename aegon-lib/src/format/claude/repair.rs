//! Repairs for damage a line can survive, shared by [`crate::format::claude::decode`].
//!
//! These kinds of damage leave a record readable:
//!
//! - **Lone UTF-16 surrogate escapes** (`\ud83d` with no low half, `\udc00` alone). Claude Code
//!   before 2.1.132 wrote them when it cut text in the middle of an emoji; JSON's grammar allows
//!   them but they are no character, so serde rejects them in strings it decodes and passes
//!   them on in raw values it does not. [`lone_surrogates`] finds them and rewrites each, in a
//!   copy of the line, as `\uFFFD` (the replacement character): six bytes for six, so every
//!   offset in the line stays where it was. Paired surrogates (`\ud83d\ude00`) are left alone,
//!   and a `\u` after an escaped backslash (`\\ud83d`) is text, not an escape.
//! - **Crash padding**: NUL bytes (a pre-allocated file that was never written, a crash that
//!   left zeros) or other C0 control bytes before or after a record on its line. JSON never
//!   allows those bytes raw, inside strings or out, so [`segments`] can cut the line at runs of
//!   them and each piece be read on its own.
//!
//! - **Records run together**: two or more records on one line (`{…}{…}`, JSON whitespace
//!   allowed between), what a lost newline leaves when a file is damaged or two writers
//!   interleave. [`run_together`] cuts the line at each top-level object's end, found by the
//!   scanner's [`crate::format::claude::scan::value_end`], so each is read on its own.
//!
//! - **A record cut off, another after it**: a writer that crashed mid-record (no newline) and
//!   one that resumed on the same line leave a fragment and a whole record on one line.
//!   [`after_cut`] finds where the whole one starts, so it is read and the fragment reported.
//!
//! None costs anything on a clean line. All are looked for only when reading failed
//! somewhere (a line that would not parse, a member serde could not decode), and in the raw
//! JSON values passed on undecoded (tool inputs and results, error objects), which
//! [`has_lone_surrogate`] checks with one SIMD search for `\u` over their bytes alone.

use std::sync::OnceLock;

use memchr::memmem::Finder;

/// A line with its lone surrogate escapes replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repaired {
    /// The line, each lone surrogate escape rewritten as `\uFFFD` (same length as the input).
    pub text: String,
    /// Byte offset of the first lone surrogate escape's backslash.
    pub first: usize,
    /// Lone surrogate escapes replaced.
    pub count: usize,
}

fn escape_finder() -> &'static Finder<'static> {
    static FINDER: OnceLock<Finder<'static>> = OnceLock::new();
    FINDER.get_or_init(|| Finder::new(b"\\u"))
}

/// The value of the four hex digits at `b[at..at + 4]`, if they are four hex digits.
fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let digits = b.get(at..at + 4)?;
    let mut n = 0u32;
    for &d in digits {
        n = n * 16 + char::from(d).to_digit(16)?;
    }
    Some(n)
}

/// Calls `found(offset)` for each lone surrogate escape in `b` (JSON text), in order, until it
/// returns false.
fn each_lone_surrogate(b: &[u8], mut found: impl FnMut(usize) -> bool) {
    let finder = escape_finder();
    let mut pos = 0;
    while let Some(k) = finder.find(&b[pos..]) {
        let at = pos + k;
        pos = at + 2;
        // An odd run of backslashes before this one escapes it: `\\u` is a backslash and a `u`.
        let run = b[..at].iter().rev().take_while(|&&c| c == b'\\').count();
        if run % 2 == 1 {
            continue;
        }
        let lone = match hex4(b, at + 2) {
            Some(0xD800..=0xDBFF) => {
                let paired = b.get(at + 6..at + 8) == Some(b"\\u")
                    && matches!(hex4(b, at + 8), Some(0xDC00..=0xDFFF));
                pos = if paired { at + 12 } else { at + 6 };
                !paired
            }
            Some(0xDC00..=0xDFFF) => {
                pos = at + 6;
                true
            }
            Some(_) => {
                pos = at + 6;
                false
            }
            None => false,
        };
        if lone && !found(at) {
            return;
        }
    }
}

/// True when the JSON text `raw` holds a lone surrogate escape.
pub fn has_lone_surrogate(raw: &str) -> bool {
    let mut any = false;
    each_lone_surrogate(raw.as_bytes(), |_| {
        any = true;
        false
    });
    any
}

/// `text` (a JSON line) with every lone UTF-16 surrogate escape rewritten as `\\uFFFD`, or
/// `None` when it has none (no copy is made). See the [module documentation](self).
pub fn lone_surrogates(text: &str) -> Option<Repaired> {
    let mut lone: Vec<usize> = Vec::new();
    each_lone_surrogate(text.as_bytes(), |at| {
        lone.push(at);
        true
    });
    let first = *lone.first()?;
    let mut fixed = text.to_owned();
    for &at in &lone {
        // Four ASCII hex digits for four: the string stays valid UTF-8 and the same length.
        fixed.replace_range(at + 2..at + 6, "FFFD");
    }
    Some(Repaired {
        text: fixed,
        first,
        count: lone.len(),
    })
}

/// JSON whitespace, as the scanner skips it.
fn is_json_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The records of a line that holds several JSON objects one after another (`{…}{…}{…}`, JSON
/// whitespace allowed between them): what a lost newline leaves. `stopped_at` is the offset at
/// which reading the line as one record failed ([`crate::format::claude::record::RecordError::offset`]).
///
/// `None` unless the line starts with a complete top-level object (its brackets and strings
/// balance, as [`crate::format::claude::scan::value_end`] checks) and `stopped_at` is the first
/// non-whitespace byte after it, with more text there: reading stopped at trailing text after a
/// whole object, not inside one. Otherwise each piece with its offset in `text`, at least two:
/// every complete object in turn, and, when the rest of the line does not start one or breaks
/// off, that rest (trimmed of whitespace) as the last piece, for the caller to try and report.
pub fn run_together(text: &str, stopped_at: usize) -> Option<Vec<(usize, &str)>> {
    use crate::format::claude::scan::value_end;
    let b = text.as_bytes();
    let skip_ws = |mut i: usize| {
        while b.get(i).copied().is_some_and(is_json_ws) {
            i += 1;
        }
        i
    };
    let start = skip_ws(0);
    if b.get(start) != Some(&b'{') {
        return None;
    }
    let end = value_end(text, start).ok()?;
    let mut i = skip_ws(end);
    if i != stopped_at || i >= b.len() {
        return None;
    }
    let mut pieces = vec![(start, text.get(start..end)?)];
    while i < b.len() {
        let end = if b[i] == b'{' {
            value_end(text, i).ok()
        } else {
            None
        };
        match end {
            Some(end) => {
                pieces.push((i, text.get(i..end)?));
                i = skip_ws(end);
            }
            None => {
                let rest = text.get(i..)?.trim_end_matches([' ', '\t', '\n', '\r']);
                pieces.push((i, rest));
                break;
            }
        }
    }
    Some(pieces)
}

/// Bytes [`after_cut`] may scan on a line beyond eight times its length (64 KiB).
pub const CUT_SCAN_BUDGET: usize = 64 * 1024;

/// A line holding a cut-off record and whole ones after it, as [`after_cut`] finds it. Offsets
/// are in the line's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut<'t> {
    /// Where the cut-off part starts (the line's first `{`).
    pub cut: usize,
    /// Where the whole record after it starts (the cut-off part is `cut..record`).
    pub record: usize,
    /// The record, then, as [`run_together`] gives them, any run together after it, each
    /// with its offset.
    pub pieces: Vec<(usize, &'t str)>,
}

/// The record after a cut-off one on the same line: a writer that crashed mid-record (no
/// newline written) and a writer that resumed after it leave `{"type":"assist{"type":…}`. The
/// text from the line's start is then no complete value (it breaks off, or its brackets balance
/// only somewhere inside the record after it), and a later `{"` starts an object that runs, as
/// the scanner's [`crate::format::claude::scan::value_end`] finds it, to the line's end or to
/// another object (records run together after it).
///
/// `None` unless the line starts with `{` (after JSON whitespace) and such an object is found
/// that `is_record` accepts (the caller reads it: a `{"` inside the cut-off part whose brackets
/// happen to balance to the end is no record); otherwise the [`Cut`]. A complete first value (`{…,}{…}`, a record broken
/// in its middle rather than cut) is not this case: that line is lost as before.
///
/// Looked for only on a line that failed to read; each candidate `{"` costs a scan of the
/// object it starts, and a candidate inside the cut part may scan on to the line's end. So the
/// bytes scanned are capped at eight times the line's length plus [`CUT_SCAN_BUDGET`]: a real
/// cut part has a few unclosed objects (the ones the cut fell in), a damaged line of thousands
/// would otherwise cost time quadratic in its length. Past the cap the line is given up.
pub fn after_cut<'t>(text: &'t str, mut is_record: impl FnMut(&str) -> bool) -> Option<Cut<'t>> {
    use crate::format::claude::scan::value_end;
    let b = text.as_bytes();
    let skip_ws = |mut i: usize| {
        while b.get(i).copied().is_some_and(is_json_ws) {
            i += 1;
        }
        i
    };
    let first = skip_ws(0);
    if b.get(first) != Some(&b'{') {
        return None;
    }
    let whole = value_end(text, first).ok();
    let finder = Finder::new(b"{\"");
    let mut from = first + 1;
    let mut budget = CUT_SCAN_BUDGET.saturating_add(b.len().saturating_mul(8));
    while let Some(k) = finder.find(&b[from..]) {
        let start = from + k;
        from = start + 1;
        if whole.is_some_and(|end| end <= start) {
            // The text before is a complete value: not cut off.
            return None;
        }
        let scanned = value_end(text, start);
        let stop = match &scanned {
            Ok(end) => *end,
            Err(e) => e.offset,
        };
        budget = budget.checked_sub(stop.saturating_sub(start))?;
        let Ok(end) = scanned else {
            continue;
        };
        let after = skip_ws(end);
        if after < b.len() && b[after] != b'{' {
            continue;
        }
        let Some(object) = text.get(start..end) else {
            continue;
        };
        if !is_record(object) {
            continue;
        }
        let rest = text.get(start..)?;
        let pieces = match run_together(rest, after - start) {
            Some(run) => run.into_iter().map(|(at, p)| (start + at, p)).collect(),
            None => vec![(start, object)],
        };
        return Some(Cut {
            cut: first,
            record: start,
            pieces,
        });
    }
    None
}

/// True for a byte a crash leaves around records: NUL and the other C0 control bytes but tab,
/// line feed and carriage return (JSON whitespace). JSON never allows these raw.
pub fn is_padding(b: u8) -> bool {
    b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')
}

/// Padding found on a line: where it starts, how much there is, and how much of it is NUL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Padding {
    /// Offset of the first padding byte.
    pub first: usize,
    /// Padding bytes in all (NULs and other control bytes).
    pub bytes: usize,
    /// True when some of them are NUL.
    pub nul: bool,
    /// How many of them are NUL.
    pub nuls: usize,
    /// Offset of the first NUL (meaningless when `nuls` is 0).
    pub first_nul: usize,
}

impl Padding {
    /// The padding in words, NULs told from the other control bytes: "3 NUL bytes", "5
    /// control bytes", "1 NUL byte and 5 other control bytes", and where the first NUL is when
    /// another control byte comes before it: "2 NUL bytes and 81 other control bytes (the
    /// first NUL at byte 8)". Where the padding starts ([`Padding::first`]) is the place of
    /// the problem, said by whoever reports it, not here. `disk` turns an offset in the line's
    /// text into the offset reported (in the file, as it is on disk).
    pub fn describe(&self, disk: impl Fn(usize) -> u64) -> String {
        let s = |n: usize| if n == 1 { "" } else { "s" };
        let others = self.bytes - self.nuls;
        let counts = match (self.nuls, others) {
            (0, n) => format!("{n} control byte{}", s(n)),
            (n, 0) => format!("{n} NUL byte{}", s(n)),
            (n, m) => format!("{n} NUL byte{} and {m} other control byte{}", s(n), s(m)),
        };
        if self.nuls > 0 && self.first_nul != self.first {
            format!("{counts} (the first NUL at byte {})", disk(self.first_nul))
        } else {
            counts
        }
    }
}

/// The pieces of `text` between runs of padding bytes, with their offsets, trimmed of JSON
/// whitespace (empty pieces left out), and what padding there was; `None` when `text` has no
/// padding byte.
pub fn segments(text: &str) -> Option<(Vec<(usize, &str)>, Padding)> {
    let b = text.as_bytes();
    let first = b.iter().position(|&c| is_padding(c))?;
    let mut padding = Padding {
        first,
        bytes: 0,
        nul: false,
        nuls: 0,
        first_nul: 0,
    };
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut push = |start: usize, end: usize| {
        // Padding bytes are ASCII, so both ends are character boundaries.
        if let Some(piece) = text.get(start..end) {
            let trimmed = piece.trim_start_matches([' ', '\t', '\n', '\r']);
            let lead = piece.len() - trimmed.len();
            let trimmed = trimmed.trim_end_matches([' ', '\t', '\n', '\r']);
            if !trimmed.is_empty() {
                pieces.push((start + lead, trimmed));
            }
        }
    };
    for (i, &c) in b.iter().enumerate() {
        if is_padding(c) {
            padding.bytes += 1;
            if c == 0 {
                if !padding.nul {
                    padding.first_nul = i;
                }
                padding.nul = true;
                padding.nuls += 1;
            }
            if start < i {
                push(start, i);
            }
            start = i + 1;
        }
    }
    if start < b.len() {
        push(start, b.len());
    }
    Some((pieces, padding))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(text: &str) -> Option<(String, usize, usize)> {
        lone_surrogates(text).map(|r| (r.text, r.first, r.count))
    }

    #[test]
    fn lone_surrogates_become_replacement_escapes_in_place() {
        assert_eq!(
            fixed(r#"{"a":"cut \ud83d here"}"#),
            Some((r#"{"a":"cut \uFFFD here"}"#.to_owned(), 10, 1))
        );
        // A low half alone, upper-case hex, at the very end of a string.
        assert_eq!(
            fixed(r#"{"a":"\uDC00","b":"x\udfff"}"#),
            Some((r#"{"a":"\uFFFD","b":"x\uFFFD"}"#.to_owned(), 6, 2))
        );
        // Two high halves in a row: both lone; then a real pair, kept.
        assert_eq!(
            fixed(r#""\ud800\ud800\ud83d\ude00""#),
            Some((r#""\uFFFD\uFFFD\ud83d\ude00""#.to_owned(), 1, 2))
        );
        // A high half followed by a non-surrogate escape.
        assert_eq!(
            fixed(r#""\ud83d\u0041""#),
            Some((r#""\uFFFD\u0041""#.to_owned(), 1, 1))
        );
    }

    #[test]
    fn escaped_backslashes_before_u_are_text() {
        // `\\ud83d` is a backslash and the letters `ud83d`; `\\\ud83d` is a backslash and an
        // escape.
        assert_eq!(fixed(r#"{"a":"C:\\ud83d"}"#), None);
        assert_eq!(fixed(r#"{"a":"\\\\ud83d"}"#), None);
        assert_eq!(
            fixed(r#"{"a":"\\\ud83d"}"#),
            Some((r#"{"a":"\\\uFFFD"}"#.to_owned(), 8, 1))
        );
    }

    #[test]
    fn detection_agrees_with_repair() {
        for text in [
            r#""\ud83d""#,
            r#""\\ud83d""#,
            r#""\ud83d\ude00""#,
            r#""x\udc00""#,
            r#""\u0041""#,
        ] {
            assert_eq!(
                has_lone_surrogate(text),
                lone_surrogates(text).is_some(),
                "{text}"
            );
        }
    }

    #[test]
    fn clean_lines_are_not_copied() {
        assert_eq!(fixed(r#"{"a":"\u001b[31m \u00e9 \ud83d\ude00 \u"}"#), None);
        assert_eq!(fixed(""), None);
        assert_eq!(fixed(r#"\u12"#), None);
    }

    #[test]
    fn repaired_lines_parse_as_the_replacement_character() {
        let r = lone_surrogates(r#"{"a":"x\udc00y","b":{"c":"\ud83d"}}"#).unwrap();
        let v: serde_json::Value = serde_json::from_str(&r.text).unwrap();
        assert_eq!(v["a"], "x\u{fffd}y");
        assert_eq!(v["b"]["c"], "\u{fffd}");
    }

    #[test]
    fn records_run_together_are_cut_at_each_objects_end() {
        // Offsets counted by hand: `{"a":1}` is 7 bytes, `{"b":"}{"}` 10.
        let text = r#"{"a":1}{"b":"}{"}  {"c":[{}]}"#;
        assert_eq!(
            run_together(text, 7),
            Some(vec![
                (0, r#"{"a":1}"#),
                (7, r#"{"b":"}{"}"#),
                (19, r#"{"c":[{}]}"#)
            ])
        );
        // Trailing text that is not an object, and an object cut off, are left as the rest.
        assert_eq!(
            run_together(r#"{"a":1} x y "#, 8),
            Some(vec![(0, r#"{"a":1}"#), (8, "x y")])
        );
        assert_eq!(
            run_together(r#"{"a":1}{"b":"#, 7),
            Some(vec![(0, r#"{"a":1}"#), (7, r#"{"b":"#)])
        );
        // Reading stopped inside the first object, or the line is not an object: no cut.
        assert_eq!(run_together(r#"{"a":1,}{"b":2}"#, 6), None);
        assert_eq!(run_together(r#"[1]{"b":2}"#, 3), None);
        assert_eq!(run_together(r#"{"a":1}"#, 7), None);
        assert_eq!(run_together(r#"{"a":1}{"b":2}"#, 3), None);
    }

    #[test]
    fn a_record_after_a_cut_one_on_its_line_is_found() {
        // The scanner only balances brackets and strings: a `{"` in the cut part may balance to
        // the end (`{"id":"m{"type":…}`, the quotes read the other way round); the caller's
        // reading of the candidate tells.
        let any = |p: &str| serde_json::from_str::<serde_json::Value>(p).is_ok();
        let record = r#"{"type":"user","message":{"content":"b {\"}{"}}"#;
        // Cut inside a string, inside a number, after a key's colon, inside a nested object:
        // the record after the cut part is found where it starts.
        for cut in [
            r#"{"type":"assistant","message":{"id":"m"#,
            r#"{"type":"assistant","n":12"#,
            r#"{"type":"assistant","message":"#,
            r#"{"type":"assistant","message":{"content":[{"type":"text","#,
        ] {
            let line = format!("{cut}{record}");
            assert_eq!(
                after_cut(&line, any).map(|c| (c.cut, c.record, c.pieces)),
                Some((0, cut.len(), vec![(cut.len(), record)])),
                "{line}"
            );
        }
        // Records run together after it: each a piece. Trailing whitespace is no piece.
        // Whitespace before the cut part is not part of it.
        let line = format!(r#" {{"a":"x{record}{{"c":1}} "#);
        let at = r#" {"a":"x"#.len();
        assert_eq!(
            after_cut(&line, any).map(|c| (c.cut, c.record, c.pieces)),
            Some((1, at, vec![(at, record), (at + record.len(), r#"{"c":1}"#)]))
        );
        // A candidate the caller does not read as a record is passed over for the next.
        let line = format!(r#"{{"a":{{"b":"c{record}"#);
        let at = r#"{"a":{"b":"c"#.len();
        assert_eq!(
            after_cut(&line, |p: &str| p == record).map(|c| (c.record, c.pieces)),
            Some((at, vec![(at, record)]))
        );
        assert_eq!(after_cut(&line, |_: &str| false), None);
    }

    #[test]
    fn finding_the_record_after_a_cut_is_bounded() {
        let any = |p: &str| serde_json::from_str::<serde_json::Value>(p).is_ok();
        let record = r#"{"type":"user","message":{"content":"b"}}"#;
        // Every `{"x":[` is a candidate that scans on to the line's end and breaks off there.
        let line = |n: usize| format!(r#"{{"a":{}{record}"#, r#"{"x":["#.repeat(n));
        let at = |n: usize| 5 + 6 * n;
        assert_eq!(after_cut(&line(3), any).map(|c| c.record), Some(at(3)));
        // Thousands of them: given up within the budget rather than scanned to the end each.
        let n = 2000;
        let text = line(n);
        assert!(at(n) * n > 8 * text.len() + CUT_SCAN_BUDGET);
        assert_eq!(after_cut(&text, any), None);
    }

    #[test]
    fn a_line_without_a_cut_record_is_no_cut() {
        let any = |_: &str| true;
        // A complete first value (a record broken in its middle, records run together, a
        // record and trailing text): not cut off.
        assert_eq!(after_cut(r#"{"type":"user",}{"b":2}"#, any), None);
        assert_eq!(after_cut(r#"{"a":1}{"b":2}"#, any), None);
        assert_eq!(after_cut(r#"{"a":1} {"b":2"#, any), None);
        // Not starting a record, or nothing whole after the cut.
        assert_eq!(after_cut(r#"[1,{"b":2}"#, any), None);
        assert_eq!(after_cut(r#"{"a":"x{"b":2"#, any), None);
        assert_eq!(after_cut(r#"{"a":{"b":2} x"#, any), None);
        assert_eq!(after_cut(r#"{"a":"#, any), None);
    }

    #[test]
    fn segments_between_padding() {
        let (pieces, padding) = segments("{\"a\":1}\0\0\0").unwrap();
        assert_eq!(pieces, [(0, "{\"a\":1}")]);
        assert_eq!(
            padding,
            Padding {
                first: 7,
                bytes: 3,
                nul: true,
                nuls: 3,
                first_nul: 7,
            }
        );
        let (pieces, padding) = segments("\x01\x1a {\"a\":1} \0{\"b\":").unwrap();
        assert_eq!(pieces, [(3, "{\"a\":1}"), (12, "{\"b\":")]);
        assert_eq!((padding.first, padding.bytes, padding.nul), (0, 3, true));
        assert_eq!((padding.nuls, padding.first_nul), (1, 11));
        let (pieces, padding) = segments("\0\0").unwrap();
        assert!(pieces.is_empty());
        assert_eq!(padding.bytes, 2);
        assert_eq!(segments("{\"a\":\"\t\"}"), None);
    }

    #[test]
    fn padding_tells_nul_bytes_from_other_control_bytes() {
        // The tester's line: one NUL and five other control bytes after a cut record.
        let (_, padding) = segments("{\"type\":\"user\"\0\x01\x02\x03\x04\x05}").unwrap();
        let at = |i: usize| i as u64;
        assert_eq!(padding.describe(at), "1 NUL byte and 5 other control bytes");
        // A gzip header: control bytes first, the NULs later.
        let (_, padding) = segments("\x1f\u{fffd}\x08\x08x\0y\0").unwrap();
        assert_eq!(
            padding.describe(at),
            "2 NUL bytes and 3 other control bytes (the first NUL at byte 7)"
        );
        let (_, padding) = segments("\0\0\0").unwrap();
        assert_eq!(padding.describe(at), "3 NUL bytes");
        let (_, padding) = segments("{}\x01").unwrap();
        assert_eq!(padding.describe(at), "1 control byte");
        // Offsets said are the file's: `disk` maps them.
        let (_, padding) = segments("\x1f\u{fffd}\x08\x08x\0y\0").unwrap();
        assert_eq!(
            padding.describe(|i| i as u64 + 100),
            "2 NUL bytes and 3 other control bytes (the first NUL at byte 107)"
        );
    }
}
