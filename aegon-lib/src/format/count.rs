//! Token counts: the one rule every format reads them by, and how a count it refuses is said.
//!
//! A token count is a JSON number that is a whole number from 0 to [`MAX_COUNT`] (2^53):
//! written as an integer (`1234`) or as a float with no fraction (`1234.0`, `1e3`: Python's
//! `json` writes whole floats so). Anything else in a count's place is damage, never a count
//! an API returned:
//!
//! - beyond 2^53 (`1e300`, `18446744073709551615`): read as a count it would price one line at
//!   trillions of dollars and poison every total;
//! - negative (`-5`), fractional (`12.7`), or not a number (`"12"`, `true`, `[]`, `{}`).
//!
//! Such a count is **refused**: read as 0 (no count), the rest of its record read as written,
//! and the record reported as partly read (a [`MalformedReason::UnexpectedShape`] with
//! `recovered: true`), naming the field, the value as written and its byte offset
//! ([`RefusedCount::message`]: `` `usage.output_tokens` 1e300 is not a token count: read as 0 ``).
//! `null` (and an absent member) is no count and no problem.
//!
//! Each format reads its counts as [`Count`] (serde), or through [`count_of`] and
//! [`count_of_float`] where it reads numbers itself (Claude Code's one-pass reader). What a
//! refused count is called and where it is, is found afterwards, only for a record that has
//! one, by walking the record's text ([`refused_counts`]): the hot path pays one comparison a
//! count.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::event::{EventKind, MalformedReason};
use crate::format::claude::scan::{for_each_element, for_each_member, ScanError};

pub use super::MAX_COUNT;

/// `n` as a token count: `Some(n)` up to [`MAX_COUNT`], `None` (refused) beyond it.
#[inline]
pub fn count_of(n: u64) -> Option<u64> {
    (n <= MAX_COUNT).then_some(n)
}

/// A number JSON holds as a float (`12.0`, `1e3`, `1e300`, `-5.5`) as a token count: `Some`
/// for a whole number from 0 to [`MAX_COUNT`], `None` (refused) for anything else (a fraction,
/// a negative number, beyond 2^53, NaN).
#[inline]
pub fn count_of_float(v: f64) -> Option<u64> {
    // `-0.0` is 0; NaN fails every comparison.
    let whole = v >= 0.0 && v <= MAX_COUNT as f64 && v.fract() == 0.0;
    whole.then_some(v as u64)
}

/// A token count as read from JSON by [`count_of`]'s rule (see the module docs).
///
/// Deserialize it from any JSON value: a count is [`Count::Read`], `null` [`Count::Absent`]
/// (also the default, for a member not written), anything else [`Count::Refused`]. It never
/// fails, so one damaged count never loses its record.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// Not written, or `null`.
    #[default]
    Absent,
    /// A count, from 0 to [`MAX_COUNT`].
    Read(u64),
    /// Written, but not a token count: read as 0 and to be reported ([`refused_counts`]).
    Refused,
}

impl Count {
    /// The count, 0 when absent or refused.
    #[inline]
    pub fn get(self) -> u64 {
        match self {
            Count::Read(n) => n,
            Count::Absent | Count::Refused => 0,
        }
    }

    /// The count, `None` when absent or refused.
    #[inline]
    pub fn read(self) -> Option<u64> {
        match self {
            Count::Read(n) => Some(n),
            Count::Absent | Count::Refused => None,
        }
    }

    /// True when something was written that is not a token count.
    #[inline]
    pub fn is_refused(self) -> bool {
        self == Count::Refused
    }

    /// The JSON value `text` (exactly one value, JSON whitespace around it allowed) as a
    /// count; text that is not one JSON value is [`Count::Refused`].
    pub fn of_json(text: &str) -> Count {
        let t = text.trim_matches([' ', '\t', '\r', '\n']);
        if let Ok(n) = t.parse::<u64>() {
            // JSON has no leading zeros or signs; `parse` takes `+1` and `01`.
            if t.as_bytes()[0].is_ascii_digit() && (t.len() == 1 || !t.starts_with('0')) {
                return count_of(n).map_or(Count::Refused, Count::Read);
            }
        }
        let mut de = serde_json::Deserializer::from_str(t);
        Count::deserialize(&mut de)
            .and_then(|c| de.end().map(|()| c))
            .unwrap_or(Count::Refused)
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountVisitor;
        impl<'de> Visitor<'de> for CountVisitor {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a token count")
            }
            fn visit_u64<E>(self, v: u64) -> Result<Count, E> {
                Ok(count_of(v).map_or(Count::Refused, Count::Read))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Count, E> {
                Ok(u64::try_from(v)
                    .ok()
                    .and_then(count_of)
                    .map_or(Count::Refused, Count::Read))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Count, E> {
                Ok(count_of_float(v).map_or(Count::Refused, Count::Read))
            }
            fn visit_unit<E>(self) -> Result<Count, E> {
                Ok(Count::Absent)
            }
            fn visit_none<E>(self) -> Result<Count, E> {
                Ok(Count::Absent)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Count, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Count, E> {
                Ok(Count::Refused)
            }
            fn visit_str<E>(self, _: &str) -> Result<Count, E> {
                Ok(Count::Refused)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Count, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Count::Refused)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Count, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Count::Refused)
            }
        }
        deserializer.deserialize_any(CountVisitor)
    }
}

/// What [`RefusedCount::message`] says of a refused token count, after its field and value.
pub const NOT_A_COUNT: &str = "is not a token count: read as 0";

/// A token count refused in a record's text (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedCount {
    /// Byte offset of the value in the text walked.
    pub offset: usize,
    /// The field, as a path from the text walked: `message.usage.output_tokens`,
    /// `usage.iterations[1].input_tokens`, `data.modelMetrics.gpt-5.usage.inputTokens`.
    pub field: String,
    /// The value as written (cut to 40 bytes, `…` marking the cut).
    pub written: String,
}

impl RefusedCount {
    /// What is wrong and what was kept, not where: `` `message.usage.output_tokens` 1e300 is
    /// not a token count: read as 0 ``.
    pub fn message(&self) -> String {
        self.message_saying(NOT_A_COUNT)
    }

    /// The field and the value as written, then `says`: `` `time.end` -5 is not a time … ``.
    pub fn message_saying(&self, says: &str) -> String {
        format!("`{}` {} {says}", self.field, self.written)
    }
}

/// The token counts [`Count`] refuses in the JSON value `text` (a record, a message), at the
/// places `fields` name, in the order written. A field is a path of member names joined by
/// `.`; `*` stands for any one member name (a map keyed by model), and `[]` after a name for
/// each element of that member's array (`usage.iterations[].input_tokens`). Text that is not
/// JSON is walked as far as it can be. Called only for a record known to hold a refused count:
/// this is the cold path that names them.
pub fn refused_counts(text: &str, fields: &[&str]) -> Vec<RefusedCount> {
    let patterns: Vec<Vec<&str>> = fields.iter().map(|f| segments(f)).collect();
    let live: Vec<(usize, usize)> = (0..patterns.len()).map(|p| (p, 0)).collect();
    let start = text.len() - text.trim_start_matches([' ', '\t', '\r', '\n']).len();
    let mut out = Vec::new();
    walk(
        &text[start..],
        start,
        &patterns,
        &live,
        &mut String::new(),
        &mut out,
    );
    out
}

/// `a.b[].c` as `["a", "b", "[]", "c"]`.
fn segments(field: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for part in field.split('.') {
        match part.strip_suffix("[]") {
            Some(name) => {
                out.push(name);
                out.push("[]");
            }
            None => out.push(part),
        }
    }
    out
}

/// Walks `value` (at `base` in the text), where the patterns `live` (pattern, segments
/// matched) have matched the path `name` so far.
fn walk(
    value: &str,
    base: usize,
    patterns: &[Vec<&str>],
    live: &[(usize, usize)],
    name: &mut String,
    out: &mut Vec<RefusedCount>,
) {
    let step = |segment: &dyn Fn(&str) -> bool| -> (Vec<(usize, usize)>, bool) {
        let mut next = Vec::new();
        let mut leaf = false;
        for &(p, i) in live {
            if patterns[p].get(i).is_some_and(|s| segment(s)) {
                if i + 1 == patterns[p].len() {
                    leaf = true;
                } else {
                    next.push((p, i + 1));
                }
            }
        }
        (next, leaf)
    };
    match value.as_bytes().first() {
        Some(b'{') => {
            let _ = for_each_member(value, |key, v, off| {
                // A key written with escapes (`"\u0069nput_tokens"`) is the name it decodes to.
                let key: Cow<'_, str> = if key.contains('\\') {
                    serde_json::from_str::<String>(&format!("\"{key}\""))
                        .map_or(Cow::Borrowed(key), Cow::Owned)
                } else {
                    Cow::Borrowed(key)
                };
                let key = key.as_ref();
                let (next, leaf) = step(&|s| s == key || s == "*");
                if !leaf && next.is_empty() {
                    return Ok::<(), ScanError>(());
                }
                let len = name.len();
                if !name.is_empty() {
                    name.push('.');
                }
                name.push_str(key);
                child(v, base + off, leaf, patterns, &next, name, out);
                name.truncate(len);
                Ok(())
            });
        }
        Some(b'[') => {
            let (next, leaf) = step(&|s| s == "[]");
            if !leaf && next.is_empty() {
                return;
            }
            let mut i = 0;
            let _ = for_each_element(value, |item, off| {
                let len = name.len();
                name.push_str(&format!("[{i}]"));
                child(item, base + off, leaf, patterns, &next, name, out);
                name.truncate(len);
                i += 1;
                Ok::<(), ScanError>(())
            });
        }
        _ => {}
    }
}

/// A member or element `v` at `at` reached by the path `name`: a count when a pattern ends
/// there (`leaf`), walked further for the patterns that go on (`next`).
fn child(
    v: &str,
    at: usize,
    leaf: bool,
    patterns: &[Vec<&str>],
    next: &[(usize, usize)],
    name: &mut String,
    out: &mut Vec<RefusedCount>,
) {
    if leaf && Count::of_json(v).is_refused() {
        out.push(RefusedCount {
            offset: at,
            field: name.clone(),
            written: cut(v, 40),
        });
    }
    if !next.is_empty() {
        walk(v, at, patterns, next, name, out);
    }
}

/// `s` cut to at most `max` bytes on a character boundary, `…` marking a cut.
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// What says a record's refused counts: a [`MalformedReason::UnexpectedShape`] with
/// `recovered: true` (the record is read, the counts as 0), at the first count's place (`base`
/// plus its offset: `base` is the file offset of the text walked), each count's message after
/// `partly read: `, those after the first with their own byte (as a Claude Code line says
/// several faults). `len` is the record's length in bytes. `None` when `refused` is empty.
/// Each format gives it the header of its events.
pub fn refused_kind(base: u64, len: u64, refused: &[RefusedCount]) -> Option<EventKind<'static>> {
    refused_kind_saying(base, len, refused, NOT_A_COUNT)
}

/// [`refused_kind`] for values of another kind found by the same rule (epoch-ms times, which
/// are whole numbers from 0 to 2^53 too), each said with `says` after its field and value
/// ([`RefusedCount::message_saying`]).
pub fn refused_kind_saying(
    base: u64,
    len: u64,
    refused: &[RefusedCount],
    says: &str,
) -> Option<EventKind<'static>> {
    let first = refused.first()?;
    let at = base + first.offset as u64;
    let message = refused
        .iter()
        .map(|r| {
            let here = base + r.offset as u64;
            if here == at {
                format!("partly read: {}", r.message_saying(says))
            } else {
                format!("byte {here}: partly read: {}", r.message_saying(says))
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    Some(super::malformed_kind(
        MalformedReason::UnexpectedShape,
        message,
        at,
        len,
        true,
    ))
}

/// The source of the first of `refused`, found in the JSON value `text` that starts at
/// `start` (its line, and its input offset `base`): on its own line, which is `start`'s in a
/// JSONL line but may be many lines on in a pretty-printed document (a message's `tokens`
/// below its text), at that line's start (as a JSONL line's fault is at the line, its byte
/// in the message). `start` itself when `refused` is empty or the count is on the first line.
pub fn refused_source<'a>(
    start: crate::event::Source<'a>,
    base: u64,
    text: &str,
    refused: &[RefusedCount],
) -> crate::event::Source<'a> {
    let Some(first) = refused.first() else {
        return start;
    };
    let before = &text.as_bytes()[..first.offset.min(text.len())];
    let newlines = memchr::memchr_iter(b'\n', before).count() as u64;
    match memchr::memrchr(b'\n', before) {
        Some(nl) => crate::event::Source {
            line: start.line + newlines,
            offset: base + nl as u64 + 1,
            ..start
        },
        None => start,
    }
}

/// [`refused_kind`] as an event of `agent` at `source` with no header (as a line's other
/// recovered faults are said).
pub fn refused_event<'a>(
    agent: crate::event::Agent,
    source: crate::event::Source<'a>,
    base: u64,
    len: u64,
    refused: &[RefusedCount],
) -> Option<crate::event::Event<'a>> {
    let kind = refused_kind(base, len, refused)?;
    let mut e = super::malformed(
        agent,
        source,
        MalformedReason::UnexpectedShape,
        String::new(),
        0,
        0,
        true,
    );
    e.kind = kind;
    Some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule() {
        // Values written out, not computed from MAX_COUNT: 2^53 = 9007199254740992.
        for (written, read) in [
            ("0", Count::Read(0)),
            ("1234", Count::Read(1234)),
            ("9007199254740992", Count::Read(9_007_199_254_740_992)),
            ("9007199254740992.0", Count::Read(9_007_199_254_740_992)),
            ("1e3", Count::Read(1000)),
            ("12.0", Count::Read(12)),
            ("-0", Count::Read(0)),
            ("null", Count::Absent),
            (" 7 ", Count::Read(7)),
            ("9007199254740993", Count::Refused),
            ("18446744073709551615", Count::Refused),
            ("99999999999999999999", Count::Refused),
            ("1e300", Count::Refused),
            ("9.1e15", Count::Refused),
            ("-5", Count::Refused),
            ("-0.5", Count::Refused),
            ("12.7", Count::Refused),
            ("\"12\"", Count::Refused),
            ("true", Count::Refused),
            ("[1]", Count::Refused),
            ("{\"a\":1}", Count::Refused),
            ("01", Count::Refused),
            ("+1", Count::Refused),
            ("", Count::Refused),
        ] {
            assert_eq!(Count::of_json(written), read, "{written}");
            if !written.trim().is_empty() && !["01", "+1"].contains(&written) {
                let c: Count = serde_json::from_str(written).unwrap();
                assert_eq!(c, read, "serde: {written}");
            }
        }
        assert_eq!(count_of(9_007_199_254_740_992), Some(9_007_199_254_740_992));
        assert_eq!(count_of(9_007_199_254_740_993), None);
        assert_eq!(count_of_float(f64::NAN), None);
        assert_eq!(count_of_float(f64::INFINITY), None);
    }

    #[test]
    fn refused_counts_are_named_and_placed() {
        let text = r#"{"a":1,"message":{"usage":{"input_tokens":5,"output_tokens":1e300,"iterations":[{"input_tokens":"x"},{"input_tokens":2}],"cache_creation":{"ephemeral_5m_input_tokens":-3}}},"data":{"m":{"gpt-5":{"usage":{"n":12.5}}}}}"#;
        let got = refused_counts(
            text,
            &[
                "message.usage.input_tokens",
                "message.usage.output_tokens",
                "message.usage.iterations[].input_tokens",
                "message.usage.cache_creation.ephemeral_5m_input_tokens",
                "data.m.*.usage.n",
            ],
        );
        let shown: Vec<(usize, &str, &str)> = got
            .iter()
            .map(|r| (r.offset, r.field.as_str(), r.written.as_str()))
            .collect();
        let at = |s: &str| text.find(s).unwrap() + s.len();
        assert_eq!(
            shown,
            vec![
                (
                    at("\"output_tokens\":"),
                    "message.usage.output_tokens",
                    "1e300"
                ),
                (
                    at("[{\"input_tokens\":"),
                    "message.usage.iterations[0].input_tokens",
                    "\"x\""
                ),
                (
                    at("\"ephemeral_5m_input_tokens\":"),
                    "message.usage.cache_creation.ephemeral_5m_input_tokens",
                    "-3"
                ),
                (at("\"n\":"), "data.m.gpt-5.usage.n", "12.5"),
            ]
        );
        assert_eq!(
            got[0].message(),
            "`message.usage.output_tokens` 1e300 is not a token count: read as 0"
        );
        // A key written with escapes is the name it decodes to.
        let text = r#"{"tokens":{"\u006futput":-1}}"#;
        let got = refused_counts(text, &["tokens.output"]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].field, "tokens.output");
        assert_eq!(&text[got[0].offset..], "-1}}");
        // Pretty-printed, whitespace before the record.
        let text = "  {\n  \"tokens\": {\n    \"output\": -1\n  }\n}";
        let got = refused_counts(text, &["tokens.output"]);
        assert_eq!(got.len(), 1);
        assert_eq!(&text[got[0].offset..got[0].offset + 2], "-1");
    }
}
