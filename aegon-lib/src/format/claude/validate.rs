//! A JSON validator exactly as strict as serde_json, for values aegon passes through untouched.
//!
//! Tool inputs, tool results and text literals are kept as the line's own bytes; they must still
//! be JSON, as `serde_json::from_str::<&RawValue>` would check them. [`is_json_value`] gives the
//! same answer for every `&str` (serde_json 1.0.154, the version in Cargo.lock; its
//! `Deserializer::ignore_value`, `ignore_integer`, `SliceRead::ignore_str` and `ignore_escape`
//! are the rules followed here):
//!
//! - whitespace is space, `\t`, `\n`, `\r`, before and after the value;
//! - strings: no byte below 0x20, escapes `\" \\ \/ \b \f \n \r \t` and `\u` with four hex
//!   digits of either case; the code point is not checked, so a lone surrogate (`\ud800`) is
//!   accepted (serde decides only when a string is decoded, never for an ignored one);
//! - numbers by the JSON grammar (`-`, no leading zero, a digit on each side of `.`, an exponent
//!   with an optional sign and a digit), of any length and size: nothing is converted;
//! - `true`, `false`, `null`; objects with string keys (duplicates allowed) and arrays, no
//!   trailing comma;
//! - no depth limit: serde's recursion limit (128) guards its recursive `deserialize_*` calls,
//!   and a `RawValue` is read by the iterative `ignore_value`, which has none.
//!
//! The record parse uses it in one pass per value: [`value_end_in`] and [`string_end_in`] check
//! a value where it starts in its line and give its end (and, for a string, whether it holds
//! escapes), the end the lenient scanner would find for it, so a value is not first skipped by
//! the scanner and then walked again here.
//!
//! Strings, most of the bytes in real values, are read 64 bytes at a time as SIMD bit masks of
//! their special bytes, quotes, backslashes and control bytes (the `wide` crate, as
//! [`super::scan`] reads strings), and only the special bytes are visited: the first
//! unescaped quote ends the string, a control byte before it is an error, each escape is checked
//! at its backslash. The structure between strings (brackets,
//! commas, colons, numbers, literals) is walked a byte at a time with a stack of open brackets
//! kept as bits.

use wide::u8x16;

/// True when `s` is one JSON value with optional whitespace around it: exactly when
/// `serde_json::from_str::<&serde_json::value::RawValue>(s)` succeeds (see the module docs for
/// the rules).
pub(crate) fn is_json_value(s: &str) -> bool {
    let b = s.as_bytes();
    match value_end(b, skip_ws(b, 0)) {
        Some(end) => skip_ws(b, end) == b.len(),
        None => false,
    }
}

/// True when `s` is one JSON string literal, starting at its first byte, with optional
/// whitespace after it: `s.starts_with('"') && is_json_value(s)`, without the walk of the
/// structure.
pub(crate) fn is_json_string(s: &str) -> bool {
    let b = s.as_bytes();
    b.first() == Some(&b'"') && matches!(string_end(b, 1), Some(end) if skip_ws(b, end) == b.len())
}

#[inline]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// The open brackets, one bit each (1 for `{`), the innermost in bit 0 of `top`; every 64 levels
/// the word is pushed on `spill` (no allocation below 64 levels).
struct Stack {
    top: u64,
    depth: usize,
    spill: Vec<u64>,
}

impl Stack {
    #[inline]
    fn push(&mut self, object: bool) {
        if self.depth > 0 && self.depth % 64 == 0 {
            self.spill.push(self.top);
            self.top = 0;
        }
        self.top = self.top << 1 | u64::from(object);
        self.depth += 1;
    }

    #[inline]
    fn pop(&mut self) {
        self.depth -= 1;
        self.top >>= 1;
        if self.depth > 0 && self.depth % 64 == 0 {
            self.top = self.spill.pop().unwrap_or(0);
        }
    }

    #[inline]
    fn in_object(&self) -> bool {
        self.top & 1 == 1
    }
}

/// The offset just past the value starting at `b[i]` (whitespace before it already skipped),
/// or `None` when it is not JSON.
fn value_end(b: &[u8], mut i: usize) -> Option<usize> {
    let mut stack = Stack {
        top: 0,
        depth: 0,
        spill: Vec::new(),
    };
    loop {
        // A value starts at `i`.
        match *b.get(i)? {
            b'"' => i = string_end(b, i + 1)?,
            b'{' => {
                i = skip_ws(b, i + 1);
                if b.get(i) == Some(&b'}') {
                    i += 1;
                } else {
                    stack.push(true);
                    i = skip_ws(b, key_end(b, i)?);
                    continue;
                }
            }
            b'[' => {
                i = skip_ws(b, i + 1);
                if b.get(i) == Some(&b']') {
                    i += 1;
                } else {
                    stack.push(false);
                    continue;
                }
            }
            b't' => i = literal_end(b, i, b"true")?,
            b'f' => i = literal_end(b, i, b"false")?,
            b'n' => i = literal_end(b, i, b"null")?,
            b'-' | b'0'..=b'9' => i = number_end(b, i)?,
            _ => return None,
        }
        // After a value: close brackets until a comma starts the next one.
        loop {
            if stack.depth == 0 {
                return Some(i);
            }
            i = skip_ws(b, i);
            match (*b.get(i)?, stack.in_object()) {
                (b',', true) => {
                    i = skip_ws(b, key_end(b, skip_ws(b, i + 1))?);
                    break;
                }
                (b',', false) => {
                    i = skip_ws(b, i + 1);
                    break;
                }
                (b'}', true) | (b']', false) => {
                    stack.pop();
                    i += 1;
                }
                _ => return None,
            }
        }
    }
}

/// The value starting at byte `at` of `line` (a member's or an element's, whitespace before it
/// skipped), when it is JSON exactly as serde_json reads a `RawValue` and is followed by the end
/// of the line or a byte that may follow a value (`,`, `}`, `]`, whitespace): the offset just
/// past it. `None` otherwise (not JSON, or a token running on: `1x`, `truex`).
///
/// One pass that both checks the value and finds its end. For a value so accepted, the end is
/// the one the lenient scanner ([`super::scan::value_end`]) finds: strings end at the same
/// quote, containers at the same bracket (a valid value's brackets balance), and a number or
/// literal followed by a delimiter ends at it for both. The caller falls back to the scanner
/// (and serde, for the fault's words) when this says `None`.
pub(crate) fn value_end_in(line: &str, at: usize) -> Option<usize> {
    let b = line.as_bytes();
    let end = value_end(b, at)?;
    match b.get(end) {
        None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') => Some(end),
        Some(_) => None,
    }
}

/// The string literal starting at byte `at` of `line` (`line[at]` should be its opening quote),
/// when it is one as serde_json reads a `RawValue` (no control byte, escapes well formed; a lone
/// surrogate escape let through): the offset just past its closing quote, and whether it holds
/// an escape (a backslash). `None` otherwise. One pass over the string's bytes.
#[inline]
pub(crate) fn string_end_in(line: &str, at: usize) -> Option<(usize, bool)> {
    let b = line.as_bytes();
    if b.get(at) != Some(&b'"') {
        return None;
    }
    if let Some(end) = short_string_end(b, at + 1) {
        return Some((end, false));
    }
    string_end_escaped(b, at + 1)
}

/// `b[start - 1]` is the opening quote: the offset just past the closing quote when it is the
/// first byte of the 16 from `start` on that is a quote, a backslash or a control byte (a
/// string of up to 15 plain bytes: most keys, ids, names, labels); `None` otherwise, where
/// [`string_end_escaped`] reads the string. This is the first step of
/// [`string_end_escaped`], taken inline: a call, its loop set up and its answer returned cost
/// as much as the step itself, on some 230,000 strings a 48 MB corpus (callgrind).
#[inline(always)]
fn short_string_end(b: &[u8], start: usize) -> Option<usize> {
    let chunk = b.get(start..)?.first_chunk::<16>()?;
    let k = special16(*chunk).trailing_zeros() as usize;
    (chunk.get(k) == Some(&b'"')).then_some(start + k + 1)
}

/// The string literal of exactly `N` bytes between its quotes starting at byte `at` of `line`
/// (`line[at]` its opening quote, `line[at + N + 1]` its closing one), when none of those bytes
/// is a quote, a backslash or a control byte: the offset just past the closing quote. `None`
/// otherwise (another length, an escape, a fault: the caller reads it with
/// [`string_end_in`]). For values of a fixed shape (a uuid's 36 bytes, a timestamp's 24): the
/// bytes are read as overlapping 16-byte chunks, with no branch but the answer, where
/// [`string_end_in`] searches 16 then 64 bytes for the end. Where this says `Some(end)`,
/// [`string_end_in`] says `Some((end, false))`: the first unescaped quote is the one at
/// `at + N + 1`, and there is no escape.
#[inline]
pub(crate) fn sized_string_end<const N: usize>(line: &str, at: usize) -> Option<usize> {
    const { assert!(N >= 16) };
    let b = line.as_bytes();
    let body = b.get(at + 1..at + N + 1)?;
    if b.get(at) != Some(&b'"') || b.get(at + N + 1) != Some(&b'"') {
        return None;
    }
    let mut special = 0;
    let mut k = 0;
    loop {
        // The last chunk ends at the body's end, overlapping the one before it.
        let start = k.min(N - 16);
        let chunk = body
            .get(start..start + 16)
            .and_then(<[u8]>::first_chunk::<16>)?;
        special |= special16(*chunk);
        if start == N - 16 {
            break;
        }
        k += 16;
    }
    (special == 0).then_some(at + N + 2)
}

/// `b[i]` should start a key: the offset just past the `:` after it.
#[inline]
fn key_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let j = skip_ws(b, string_end(b, i + 1)?);
    (b.get(j) == Some(&b':')).then_some(j + 1)
}

#[inline]
fn literal_end(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    let end = i + word.len();
    (b.get(i..end) == Some(word)).then_some(end)
}

#[inline]
fn digits_end(b: &[u8], mut i: usize) -> usize {
    while let Some(b'0'..=b'9') = b.get(i) {
        i += 1;
    }
    i
}

/// `b[i]` is `-` or a digit: the offset just past the number, by the JSON grammar.
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    if b[i] == b'-' {
        i += 1;
    }
    match b.get(i)? {
        b'0' => {
            i += 1;
            if let Some(b'0'..=b'9') = b.get(i) {
                return None;
            }
        }
        b'1'..=b'9' => i = digits_end(b, i + 1),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let end = digits_end(b, i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let end = digits_end(b, i);
        if end == i {
            return None;
        }
        i = end;
    }
    Some(i)
}

/// The bytes of 16 that end a run of plain string bytes, as bits (bit `k` for byte `k`): quotes,
/// backslashes and the bytes below 0x20, which a JSON string may not hold, escaped or not.
#[inline]
fn special16(chunk: [u8; 16]) -> u64 {
    let v = u8x16::new(chunk);
    // x = v ^ 2 permutes 0x00..=0x1f among themselves and takes `"` (0x22) to 0x20, and no
    // other byte to 0x20 or below: x <= 0x20, that is min(x, 0x20) == x, finds control bytes
    // and quotes in one unsigned compare.
    let x = v ^ u8x16::splat(2);
    let quote_or_control = x.min(u8x16::splat(0x20)).cmp_eq(x);
    let special = quote_or_control | v.cmp_eq(u8x16::splat(b'\\'));
    u64::from(special.move_mask() as u16)
}

/// [`special16`] of 64 bytes.
#[inline]
fn special64(block: &[u8; 64]) -> u64 {
    let mut bits = 0;
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        bits |= special16(<[u8; 16]>::try_from(chunk).unwrap_or([b' '; 16])) << (16 * k);
    }
    bits
}

/// The escape characters after a backslash: 1 for the one-letter escapes, 2 for `u` (four
/// hex digits follow), 0 for anything else (an error).
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'"' as usize] = 1;
    t[b'\\' as usize] = 1;
    t[b'/' as usize] = 1;
    t[b'b' as usize] = 1;
    t[b'f' as usize] = 1;
    t[b'n' as usize] = 1;
    t[b'r' as usize] = 1;
    t[b't' as usize] = 1;
    t[b'u' as usize] = 2;
    t
};

/// Whether the four hex digits at `b[at..]` (checked by [`is_hex4`]) name a UTF-16 surrogate,
/// `D800` to `DFFF` in either case (counted for [`crate::json::surrogate_escapes`]).
#[inline]
fn is_surrogate_escape(b: &[u8], at: usize) -> bool {
    matches!(
        b.get(at..at + 2),
        Some([b'd' | b'D', b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F'])
    )
}

#[inline]
fn is_hex4(b: &[u8], at: usize) -> bool {
    match b.get(at..at + 4) {
        Some(digits) => digits.iter().all(u8::is_ascii_hexdigit),
        None => false,
    }
}

/// `b[start - 1]` is the opening quote: the offset just past the closing quote, or `None` when
/// the string is not JSON (unterminated, a control byte, a bad escape).
///
/// The string is read as bit masks of its special bytes ([`special16`]), 16 bytes at first
/// (most keys and short values end there), then 64 at a time; only the special bytes are
/// visited: a quote ends the string, a control byte is an error, a backslash has its escape
/// checked and the escaped byte (a quote or backslash itself, maybe) taken off the mask.
#[inline]
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    if let Some(end) = short_string_end(b, start) {
        return Some(end);
    }
    string_end_escaped(b, start).map(|(end, _)| end)
}

/// [`string_end`], and whether the string holds an escape (a backslash).
fn string_end_escaped(b: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut at = start;
    let mut escaped = false;
    // 1 when the byte at `at` is an escape's letter, already checked.
    let mut skip = 0u64;
    let mut first = true;
    loop {
        let rest = b.get(at..).filter(|r| !r.is_empty())?;
        let (mut special, width) = match rest.first_chunk::<64>() {
            Some(block) if !first => (special64(block), 64),
            _ => match rest.first_chunk::<16>() {
                Some(chunk) => (special16(*chunk), 16),
                None => {
                    // Past the end read as spaces, which are not special.
                    let mut padded = [b' '; 16];
                    padded[..rest.len()].copy_from_slice(rest);
                    (special16(padded), 16)
                }
            },
        };
        first = false;
        special &= !skip;
        skip = 0;
        while special != 0 {
            let k = special.trailing_zeros() as usize;
            let p = at + k;
            match *b.get(p)? {
                b'"' => return Some((p + 1, escaped)),
                b'\\' => {
                    escaped = true;
                    match ESCAPE[usize::from(*b.get(p + 1)?)] {
                        1 => {}
                        2 if is_hex4(b, p + 2) => {
                            if is_surrogate_escape(b, p + 2) {
                                crate::json::note_surrogate_escape();
                            }
                        }
                        _ => return None,
                    }
                    // The escaped byte is no quote, backslash or control byte of the string's.
                    special &= !(3u64 << k);
                    skip = u64::from(k + 1 == width);
                }
                _ => return None,
            }
        }
        at += width;
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::{BTreeMap, HashSet};
    use std::path::{Path, PathBuf};

    use proptest::prelude::*;
    use serde_json::value::RawValue;

    use super::*;

    /// The right answer: serde_json's own.
    fn serde(s: &str) -> bool {
        serde_json::from_str::<&RawValue>(s).is_ok()
    }

    #[track_caller]
    fn agree(s: &str) {
        let want = serde(s);
        assert_eq!(is_json_value(s), want, "is_json_value({s:?})");
        assert_eq!(
            is_json_string(s),
            s.starts_with('"') && want,
            "is_json_string({s:?})"
        );
    }

    #[test]
    fn examples() {
        for s in [
            "",
            " ",
            "1",
            " 1 ",
            "-0",
            "01",
            "-",
            "1.",
            ".5",
            "+1",
            "1e",
            "1e+",
            "1E-7",
            "1.5e3",
            "true",
            "tru",
            "truex",
            "nul",
            "null ",
            "[]",
            "[1,]",
            "[,1]",
            "{}",
            "{,}",
            r#"{"a"}"#,
            r#"{"a":}"#,
            r#"{"a":1,}"#,
            r#"{"a":1,"a":2}"#,
            r#""\ud800""#,
            r#""\u12"#,
            r#""\x""#,
            "\"a\u{1}\"",
            "\"\\\n\"",
            r#""\/\b\f\n\r\t\"\\""#,
            "[1}",
            "{\"a\":1]",
            "\u{a0}1",
            "1\u{a0}",
            "\"é\"",
            "[1 2]",
            "\"a\" ",
            " \"a\"",
            "\"\u{7f}\"",
            "123456789012345678901234567890e99999999999",
            "-0.0e-0",
            "[-]",
            "{\"a\" : 1 }",
            "\u{feff}1",
            "1\0",
            "\"a\"\"b\"",
        ] {
            agree(s);
        }
        // What serde accepts that a stricter reader might not: lone surrogates, huge numbers,
        // duplicate keys, `\/`; and what it refuses: a raw DEL is fine, a raw tab is not.
        assert!(is_json_value(
            r#"["\udc00\ud800", 1e400, {"a":1,"a":2}, "\/"]"#
        ));
        assert!(is_json_value("\"\u{7f}\""));
        assert!(!is_json_value("\"\t\""));
    }

    #[test]
    fn special_bytes_are_quotes_backslashes_and_control_bytes() {
        for byte in 0..=255u8 {
            let want = u64::from(byte < 0x20 || byte == b'"' || byte == b'\\');
            for k in 0..16 {
                let mut chunk = [b'a'; 16];
                chunk[k] = byte;
                assert_eq!(special16(chunk), want << k, "byte {byte:#04x} at {k}");
            }
        }
    }

    /// Every input of up to 4 bytes from an alphabet of the grammar's bytes (and a few it
    /// refuses): every way the structure, numbers, literals and short strings can go wrong.
    #[test]
    fn every_short_input() {
        let alphabet = b"{}[],:\"\\0 1-.eE+tu\nxa/\x01";
        let mut input = Vec::new();
        fn walk(alphabet: &[u8], input: &mut Vec<u8>, left: usize) {
            if let Ok(s) = std::str::from_utf8(input) {
                agree(s);
            }
            if left == 0 {
                return;
            }
            for &c in alphabet {
                input.push(c);
                walk(alphabet, input, left - 1);
                input.pop();
            }
        }
        walk(alphabet, &mut input, 4);
    }

    /// Strings whose interesting bytes (escapes, quotes, control bytes, a run of backslashes)
    /// fall at every offset around the 64-byte blocks.
    #[test]
    fn strings_across_blocks() {
        let tails: &[&str] = &[
            "\"",
            "\\\"\"",
            "\\\\\"",
            "\\\\\\\"\"",
            "\\u00e9\"",
            "\\uD83D\\uDE00\"",
            "\\u12\"",
            "\\u12g4\"",
            "\\x\"",
            "\u{1}\"",
            "\u{1f}\"",
            " \"",
            "\\",
            "\\u",
            "\\u0",
            "\\\\\\\\",
            "\\/\\b\\f\\n\\r\\t\"",
            "\\\n\"",
            "é\"",
            "\\\"",
            "\"x",
            "\" ",
            "\"\n\t\r ",
            "\\\"\\",
        ];
        for lead in 0..140 {
            for tail in tails {
                for prefix in ["\"", " \""] {
                    let s = format!("{prefix}{}{tail}", "a".repeat(lead));
                    agree(&s);
                    agree(&format!("[{s}]"));
                    agree(&format!("{{{s}:1}}"));
                }
            }
        }
    }

    /// serde_json's recursion limit (128) is for its recursive parse; a `RawValue` is read by an
    /// iterative walk without a limit, and so is this one.
    /// The end and the escape flag of strings dense in backslash runs, quotes, escapes and
    /// control bytes, of every length around the 16- and 64-byte chunks, against a byte-by-byte
    /// reading (and serde's answer on whether the literal is JSON).
    #[test]
    fn string_ends_agree_with_a_byte_by_byte_reading() {
        fn reference(b: &[u8], start: usize) -> Option<(usize, bool)> {
            let (mut i, mut escaped) = (start, false);
            loop {
                match *b.get(i)? {
                    b'"' => return Some((i + 1, escaped)),
                    b'\\' => {
                        escaped = true;
                        match *b.get(i + 1)? {
                            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                            b'u' if is_hex4(b, i + 2) => i += 6,
                            _ => return None,
                        }
                    }
                    0..=0x1f => return None,
                    _ => i += 1,
                }
            }
        }
        let alphabet: &[&str] = &[
            "a", "a", "a", "\\", "\\", "\"", "n", "u", "0", "d", "8", "/", "\u{1}", "é", "x",
        ];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for round in 0..20_000 {
            let len = round % 150;
            let mut body = String::new();
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                body.push_str(alphabet[(x % alphabet.len() as u64) as usize]);
            }
            for line in [format!("\"{body}"), format!("\"{body}\"")] {
                let want = reference(line.as_bytes(), 1);
                assert_eq!(string_end_in(&line, 0), want, "{line:?}");
                if let Some((end, _)) = want {
                    assert!(serde(&line[..end]), "{line:?}");
                } else if !line[1..].contains('"') {
                    assert!(!serde(&line), "{line:?}");
                }
            }
        }
    }

    /// The count of surrogate escapes moves for each `\uD800`..`\uDFFF` the validator reads
    /// (either case, paired or not), and for nothing else: other `\u` escapes, a `\\u` (an
    /// escaped backslash, then text), a surrogate-looking text without a backslash.
    #[test]
    fn surrogate_escapes_are_counted() {
        let moved = |s: &str| {
            let before = crate::json::surrogate_escapes();
            assert!(is_json_value(s), "{s}");
            crate::json::surrogate_escapes().wrapping_sub(before)
        };
        assert_eq!(moved(r#""\ud83d""#), 1);
        assert_eq!(moved(r#""\uD83D\uDE00""#), 2);
        assert_eq!(moved(r#"{"a":["x\udfff"]}"#), 1);
        assert_eq!(moved(&format!(r#""{}\uDc00""#, "a".repeat(100))), 1);
        assert_eq!(moved(r#""\u00e9 \ud7ff \ue000 \\ud83d ud83d""#), 0);
        assert_eq!(moved(r#"{"ud800":1}"#), 0);
    }

    #[test]
    fn deep_nesting() {
        for depth in [1, 63, 64, 65, 126, 127, 128, 129, 130, 1000, 20_000] {
            let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
            let mixed = format!("{}0{}", "[{\"k\":".repeat(depth), "}]".repeat(depth));
            for s in [&arrays, &objects, &mixed] {
                assert!(serde(s), "depth {depth}");
                agree(s);
                // One bracket short, one too many, a closing bracket of the wrong kind.
                agree(&s[..s.len() - 1]);
                agree(&format!("{s}]"));
                agree(&format!("{}}}", &s[..s.len() - 1]));
                agree(&format!("{}]", &s[..s.len() - 1]));
            }
        }
    }

    /// The text files to compare on: the corpus, the fault fixtures, the fuzz regressions (and
    /// the shared corpus and bugs when this machine has them), each once by content.
    pub(in crate::format::claude) fn inputs() -> Vec<(PathBuf, String)> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_none_or(|e| e != "md" && e != "tsv") {
                    out.push(path);
                }
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let shared = std::env::var_os("AEGON_CORPUS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/work/shared/corpus"));
        let mut paths = Vec::new();
        for dir in [
            root.join("fixtures/corpus"),
            root.join("fixtures/bugs"),
            root.join("fuzz/regressions"),
            shared,
            PathBuf::from("/work/shared/bugs"),
        ] {
            walk(&dir, &mut paths);
        }
        let mut seen = HashSet::new();
        paths
            .into_iter()
            .filter_map(|p| {
                let bytes = std::fs::read(&p).ok()?;
                let text = String::from_utf8_lossy(&bytes).into_owned();
                seen.insert(text.clone()).then_some((p, text))
            })
            .collect()
    }

    /// `raw` and every value inside it, as slices of the same text.
    fn sub_values<'a>(raw: &'a RawValue, out: &mut Vec<&'a str>) {
        let s = raw.get();
        out.push(s);
        match s.as_bytes().first() {
            Some(b'{') => {
                if let Ok(map) = serde_json::from_str::<BTreeMap<String, &RawValue>>(s) {
                    map.values().for_each(|v| sub_values(v, out));
                }
            }
            Some(b'[') => {
                if let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(s) {
                    items.iter().for_each(|v| sub_values(v, out));
                }
            }
            _ => {}
        }
    }

    /// The slices from each `{`, `[` or `"` to its match, found by a plain byte walk that
    /// knows nothing of JSON beyond strings and brackets (for inputs serde refuses, whose
    /// values it cannot lend).
    fn bracketed(s: &str, out: &mut Vec<String>) {
        let b = s.as_bytes();
        for start in 0..b.len() {
            if !matches!(b[start], b'{' | b'[' | b'"') {
                continue;
            }
            let (mut depth, mut j, mut in_string) = (0usize, start, false);
            while j < b.len() && j < start + 4096 {
                match (b[j], in_string) {
                    (b'\\', true) => j += 1,
                    (b'"', _) => in_string = !in_string,
                    (b'{' | b'[', false) => depth += 1,
                    (b'}' | b']', false) => depth = depth.saturating_sub(1),
                    _ => {}
                }
                j += 1;
                if depth == 0 && !in_string {
                    if let Some(slice) = s.get(start..j.min(b.len())) {
                        out.push(slice.to_owned());
                    }
                    break;
                }
            }
        }
    }

    /// Every line of the real inputs, every value inside each line serde accepts, and the
    /// bracketed slices of the small (fault and fuzz) inputs.
    #[test]
    fn agrees_with_serde_on_real_lines_and_their_values() {
        let (mut lines, mut values, mut bytes) = (0, 0, 0);
        let mut slices = Vec::new();
        for (path, text) in inputs() {
            let small = text.len() < 200_000;
            for line in text.split('\n') {
                agree(line);
                lines += 1;
                if let Ok(raw) = serde_json::from_str::<&RawValue>(line) {
                    let mut all = Vec::new();
                    sub_values(raw, &mut all);
                    for v in all {
                        agree(v);
                        values += 1;
                        bytes += v.len();
                    }
                }
                if small {
                    slices.clear();
                    bracketed(line, &mut slices);
                    slices.iter().for_each(|s| agree(s));
                    values += slices.len();
                }
            }
            let _ = path;
        }
        assert!(
            lines > 5_000 && values > 100_000,
            "{lines} lines, {values} values"
        );
        eprintln!("{lines} lines, {values} values, {bytes} bytes compared");
    }

    /// A small xorshift generator for the mutations of real values.
    pub(in crate::format::claude) fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// Bytes a mutation puts in: the grammar's, the escape letters, control bytes.
    const NASTY: &[u8] = b"\\\"\x00\x01\x1f\x7f 0129-+.eE{}[],:utfnabx/";

    /// One damaged copy of `s`: a byte replaced, inserted or removed, the text cut short, a
    /// stretch doubled, or digits put next to a number; made UTF-8 again if the damage broke it.
    pub(in crate::format::claude) fn mutate(s: &str, state: &mut u64) -> String {
        let mut b = s.as_bytes().to_vec();
        let pick = |state: &mut u64, n: usize| (next(state) % (n as u64).max(1)) as usize;
        let at = pick(state, b.len() + 1);
        let nasty = NASTY[pick(state, NASTY.len())];
        match next(state) % 6 {
            0 if at < b.len() => b[at] = nasty,
            1 => b.insert(at, nasty),
            2 if at < b.len() => {
                b.remove(at);
            }
            3 => b.truncate(at),
            4 => {
                let len = pick(state, 16).min(b.len() - at);
                let copy = b[at..at + len].to_vec();
                b.splice(at..at, copy);
            }
            _ => {
                if let Some(d) = b.iter().position(u8::is_ascii_digit) {
                    b.insert(d, b"0-.e"[pick(state, 4)]);
                }
            }
        }
        String::from_utf8_lossy(&b).into_owned()
    }

    /// Damaged copies of real values: a sample of the corpus's values, each damaged a few ways.
    #[test]
    fn agrees_with_serde_on_damaged_real_values() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut n = 0;
        for (_, text) in inputs() {
            for line in text.split('\n') {
                let Ok(raw) = serde_json::from_str::<&RawValue>(line) else {
                    continue;
                };
                let mut all = Vec::new();
                sub_values(raw, &mut all);
                for v in all {
                    if v.len() > 8192 || next(&mut state) % 8 != 0 {
                        continue;
                    }
                    for _ in 0..4 {
                        agree(&mutate(v, &mut state));
                        n += 1;
                    }
                }
            }
        }
        assert!(n > 10_000, "{n} damaged values");
    }

    /// The one-pass readings at byte `at` of `line`, held to what they replace: the scanner's
    /// end ([`super::super::scan::value_end`]) and serde's check of the slice up to it.
    /// [`value_end_in`] gives that end exactly when serde accepts the slice and a delimiter (or
    /// the line's end) follows it; [`string_end_in`] gives it, with whether the string holds a
    /// backslash, exactly when the slice is a string serde accepts.
    #[track_caller]
    fn one_pass_agrees(line: &str, at: usize) {
        let scanned = super::super::scan::value_end(line, at).ok();
        let valid = scanned.filter(|&end| line.get(at..end).is_some_and(serde));
        let delimited = valid.filter(|&end| {
            matches!(
                line.as_bytes().get(end),
                None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n')
            )
        });
        assert_eq!(value_end_in(line, at), delimited, "{at} in {line:?}");
        let string = valid
            .filter(|_| line.as_bytes().get(at) == Some(&b'"'))
            .map(|end| (end, line[at..end].contains('\\')));
        assert_eq!(string_end_in(line, at), string, "{at} in {line:?}");
    }

    /// The offsets in `line` where a value may start (a byte that starts one, or that a
    /// damaged line might hold there).
    fn starts(line: &str) -> impl Iterator<Item = usize> + '_ {
        line.bytes()
            .enumerate()
            .filter(|(_, c)| b"\"{[-0123456789tfnx ".contains(c))
            .map(|(i, _)| i)
    }

    /// Every value of every real line at its offset in the line (and, in the small inputs,
    /// every offset a value may start at); damaged copies of a sample of lines at every such
    /// offset; a few lines cut at every length, at every such offset before the cut.
    #[test]
    fn one_pass_ends_agree_with_the_scanner_and_serde() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let (mut values, mut damaged, mut cut_offsets) = (0, 0, 0);
        for (_, text) in inputs() {
            let small = text.len() < 200_000;
            for line in text.split('\n') {
                if let Ok(raw) = serde_json::from_str::<&RawValue>(line) {
                    let mut all = Vec::new();
                    sub_values(raw, &mut all);
                    for v in all {
                        one_pass_agrees(line, v.as_ptr() as usize - line.as_ptr() as usize);
                        values += 1;
                    }
                }
                if small && line.len() <= 4_000 {
                    starts(line).for_each(|at| one_pass_agrees(line, at));
                }
                if line.len() <= 2_000 && next(&mut state) % 8 == 0 {
                    let mut copy = line.to_owned();
                    for _ in 0..4 {
                        copy = mutate(&copy, &mut state);
                        starts(&copy).for_each(|at| one_pass_agrees(&copy, at));
                        damaged += 1;
                    }
                }
                if line.len() <= 600 && next(&mut state) % 30 == 0 {
                    for cut in (0..=line.len()).filter(|&c| line.is_char_boundary(c)) {
                        let part = &line[..cut];
                        starts(part).for_each(|at| one_pass_agrees(part, at));
                        cut_offsets += 1;
                    }
                }
            }
        }
        assert!(
            values > 100_000 && damaged > 2_000 && cut_offsets > 1_000,
            "{values} values, {damaged} damaged lines, {cut_offsets} cuts"
        );
    }

    /// JSON text as a writer might produce it: any whitespace, escapes of every kind (lone
    /// surrogates too), numbers in every form the grammar has, strings long enough to cross
    /// blocks.
    fn json_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("null".to_owned()),
            "-?(0|[1-9][0-9]{0,3})(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,3})?",
            string_literal(),
        ];
        leaf.prop_recursive(6, 48, 5, |inner| {
            let ws = || prop::sample::select(vec!["", "", "", " ", "\n", "\t", "\r\n  "]);
            prop_oneof![
                prop::collection::vec((ws(), inner.clone(), ws()), 0..5).prop_map(|items| {
                    let items: Vec<String> = items
                        .into_iter()
                        .map(|(a, v, b)| format!("{a}{v}{b}"))
                        .collect();
                    format!("[{}]", items.join(","))
                }),
                prop::collection::vec((ws(), string_literal(), ws(), inner, ws()), 0..5).prop_map(
                    |members| {
                        let members: Vec<String> = members
                            .into_iter()
                            .map(|(a, k, b, v, c)| format!("{a}{k}{b}:{v}{c}"))
                            .collect();
                        format!("{{{}}}", members.join(","))
                    }
                ),
            ]
        })
    }

    fn string_literal() -> impl Strategy<Value = String> {
        prop_oneof![
            "\"([^\"\\\\\\x00-\\x1f]|\\\\[\"\\\\/bfnrt]|\\\\u[0-9a-fA-F]{4}){0,12}\"",
            "\"([a-z ]{0,20}|\\\\[\"\\\\n]|\\\\u[dD][89a-fA-F][0-9a-f]{2}|é){0,60}\"",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

        #[test]
        fn agrees_with_serde_on_generated_json(
            text in json_text(),
            before in "[ \t\r\n]{0,2}",
            after in "[ \t\r\n]{0,2}",
            depth in prop_oneof![Just(0usize), 120usize..135],
            seed in any::<u64>(),
        ) {
            let nested = format!("{}{text}{}", "[".repeat(depth), "]".repeat(depth));
            let whole = format!("{before}{nested}{after}");
            prop_assert!(serde(&whole), "generated text serde refuses: {whole:?}");
            agree(&whole);
            for line in [format!("{{\"k\":{whole},\"z\":1}}"), format!("[{whole}]")] {
                starts(&line).for_each(|at| one_pass_agrees(&line, at));
            }
            let mut state = seed | 1;
            let mut damaged = whole;
            for _ in 0..3 {
                damaged = mutate(&damaged, &mut state);
                agree(&damaged);
            }
        }
    }

    /// The values the lead will check with this module in the record parse: each tool call's
    /// `input` and each tool result's `content` of every line of the corpus, as slices of their
    /// lines.
    fn tool_values(texts: &[(PathBuf, String)]) -> Vec<&str> {
        type Map<'a> = BTreeMap<String, &'a RawValue>;
        let mut out = Vec::new();
        for (_, text) in texts {
            for line in text.split('\n') {
                let Ok(record) = serde_json::from_str::<Map>(line) else {
                    continue;
                };
                let Some(message) = record.get("message") else {
                    continue;
                };
                let Ok(message) = serde_json::from_str::<Map>(message.get()) else {
                    continue;
                };
                let Some(content) = message.get("content") else {
                    continue;
                };
                let Ok(blocks) = serde_json::from_str::<Vec<&RawValue>>(content.get()) else {
                    continue;
                };
                for block in blocks {
                    let Ok(block) = serde_json::from_str::<Map>(block.get()) else {
                        continue;
                    };
                    let key = match block.get("type").map(|t| t.get()) {
                        Some(r#""tool_use""#) => "input",
                        Some(r#""tool_result""#) => "content",
                        _ => continue,
                    };
                    out.extend(block.get(key).map(|v| v.get()));
                }
            }
        }
        out
    }

    #[inline(never)]
    fn all_by_serde(values: &[&str]) -> usize {
        values.iter().filter(|v| serde(v)).count()
    }

    #[inline(never)]
    fn all_by_masks(values: &[&str]) -> usize {
        values.iter().filter(|v| is_json_value(v)).count()
    }

    /// For `bench/validate.sh`, under callgrind in a release build: checks every tool input
    /// and tool result of the corpus once by serde and once by this module (the two
    /// functions' inclusive instruction counts are the figures) and prints their bytes.
    #[test]
    #[ignore = "a benchmark: run by bench/validate.sh under callgrind"]
    fn tool_values_once_each_way() {
        let texts = inputs();
        let values = tool_values(&texts);
        let bytes: usize = values.iter().map(|v| v.len()).sum();
        let by_serde = all_by_serde(&values);
        let by_masks = all_by_masks(&values);
        assert_eq!(by_serde, by_masks);
        println!("tool values: {} values, {bytes} bytes", values.len());
    }

    /// Strings of every length from 0 to 60 bytes at every cut of their line, with quotes,
    /// backslashes, control bytes and multi-byte characters anywhere: where the fixed-length
    /// reading takes a string, the search takes it too, ending at the same byte and without
    /// an escape; and a plain string of that length that the search takes is taken.
    #[test]
    fn sized_string_end_agrees_with_the_search() {
        fn check<const N: usize>(line: &str, at: usize) {
            let sized = sized_string_end::<N>(line, at);
            let searched = string_end_in(line, at);
            if let Some(end) = sized {
                assert_eq!(searched, Some((end, false)), "{line:?}");
            }
            if searched == Some((at + N + 2, false)) {
                assert_eq!(sized, Some(at + N + 2), "{line:?}");
            }
        }
        let pieces = [
            "a",
            "a",
            "a",
            "a",
            "a",
            "7",
            "-",
            "\\",
            "\"",
            "\u{1}",
            "\t",
            "é",
            "\u{1f600}",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut taken = 0;
        for case in 0..40_000 {
            let len = case % 61;
            let mut body = String::new();
            while body.len() < len {
                // Mostly plain bytes; now and then one special.
                let piece = match next(&mut state) % 8 {
                    0 => pieces[(next(&mut state) % pieces.len() as u64) as usize],
                    _ => "a",
                };
                body.push_str(piece);
            }
            let after = ["\"", "\",", "\"}", "", "x\""][case % 5];
            let line = format!(" \"{body}{after}");
            for cut in (1..=line.len()).filter(|&c| line.is_char_boundary(c)) {
                let line = &line[..cut];
                check::<16>(line, 1);
                check::<24>(line, 1);
                check::<28>(line, 1);
                check::<30>(line, 1);
                check::<36>(line, 1);
                taken += usize::from(sized_string_end::<36>(line, 1).is_some());
            }
        }
        assert!(taken > 100, "{taken}");
        // The opening quote is required, and the closing one at its place.
        assert_eq!(sized_string_end::<16>(r#""0123456789abcdef""#, 0), Some(18));
        assert_eq!(sized_string_end::<16>(r#"x0123456789abcdef""#, 0), None);
        assert_eq!(sized_string_end::<16>(r#""0123456789abcdefg"#, 0), None);
        assert_eq!(sized_string_end::<16>(r#""0123456789abcde\""#, 0), None);
    }
}
