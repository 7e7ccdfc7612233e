//! [`Text`]: a string from a transcript, kept as the JSON literal it was written as.
//!
//! Prompts, answers and thinking are most of what aegon shows, and most of them are never
//! needed whole: NDJSON passes them through as written, the plain renderer shows one line. So
//! the parser does not unescape them; [`Text`] decodes on demand ([`Text::to_str`] for all of
//! it, [`Text::prefix`] for the start) and writes itself as JSON without decoding
//! ([`Text::write_json`]).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::json::RawJson;

/// A transcript string: a JSON string literal as written, or text already decoded.
#[derive(Clone, PartialEq, Eq)]
pub enum Text<'a> {
    /// A JSON string literal exactly as written in the line, quotes included (checked by the
    /// JSON parser).
    Json(&'a str),
    /// Decoded text.
    Plain(Cow<'a, str>),
}

impl<'a> Text<'a> {
    /// Text from a raw JSON value (a [`RawJson`], or serde_json's `&RawValue`), if it is a
    /// string.
    pub fn from_raw(raw: impl Into<RawJson<'a>>) -> Option<Text<'a>> {
        let s = raw.into().get();
        s.starts_with('"').then_some(Text::Json(s))
    }

    /// The whole text, decoded (borrowed when it has no escapes). Invalid escapes (a lone
    /// surrogate) become U+FFFD.
    pub fn to_str(&self) -> Cow<'a, str> {
        match self {
            Text::Plain(s) => s.clone(),
            Text::Json(raw) => match inner(raw) {
                Some(inner) if !inner.as_bytes().contains(&b'\\') => Cow::Borrowed(inner),
                _ => Cow::Owned(decode_prefix(raw, usize::MAX).0),
            },
        }
    }

    /// Up to `max_chars` characters from the start, and whether the text goes on after them.
    pub fn prefix(&self, max_chars: usize) -> (Cow<'_, str>, bool) {
        match self {
            Text::Plain(s) => match s.char_indices().nth(max_chars) {
                Some((at, _)) => (Cow::Borrowed(&s[..at]), true),
                None => (Cow::Borrowed(s.as_ref()), false),
            },
            Text::Json(raw) => {
                let (text, cut) = decode_prefix(raw, max_chars);
                (Cow::Owned(text), cut)
            }
        }
    }

    /// True when the text is empty or only whitespace (judged on its first 256 characters).
    pub fn is_blank(&self) -> bool {
        let (start, cut) = self.prefix(256);
        !cut && start.trim().is_empty()
    }

    /// Appends the text as a JSON string: the literal as written when that is safe to pass
    /// through, else encoded anew.
    pub fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            // `\u` escapes are re-encoded: a lone surrogate must not reach the output.
            Text::Json(raw) if !raw.contains("\\u") => {
                out.extend_from_slice(raw.as_bytes());
                Ok(())
            }
            other => serde_json::to_writer(out, other.to_str().as_ref()),
        }
    }
}

impl Default for Text<'_> {
    fn default() -> Self {
        Text::Plain(Cow::Borrowed(""))
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_str())
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.to_str().as_ref(), f)
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(s: &'a str) -> Self {
        Text::Plain(Cow::Borrowed(s))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <&'de RawValue>::deserialize(deserializer)?;
        Text::from_raw(raw).ok_or_else(|| {
            de::Error::invalid_type(de::Unexpected::Other("a non-string"), &"a string")
        })
    }
}

/// The start of the JSON string literal `raw` covering up to `max_chars` characters, as written
/// (opening quote included, closing quote not), when it can be passed through as it is: it ends
/// on a character boundary outside any escape and holds no `\u` escape. `None` otherwise.
pub fn raw_prefix(raw: &str, max_chars: usize) -> Option<&str> {
    let b = raw.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    let mut count = 0;
    while i < b.len() && count < max_chars {
        match b[i] {
            b'"' => break,
            b'\\' => {
                if b.get(i + 1) == Some(&b'u') {
                    return None;
                }
                i += 2;
            }
            // Skip a whole UTF-8 sequence: its length comes from the leading byte.
            c => i += utf8_len(c),
        }
        count += 1;
    }
    raw.get(..i.min(b.len()))
}

fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// The literal without its quotes.
fn inner(raw: &str) -> Option<&str> {
    raw.strip_prefix('"')?.strip_suffix('"')
}

/// Decodes up to `max_chars` characters of the JSON string literal `raw` (which starts with a
/// quote); returns them and whether the string goes on. Lone surrogates become U+FFFD.
pub fn decode_prefix(raw: &str, max_chars: usize) -> (String, bool) {
    let mut decoder = PrefixDecoder::new(raw, raw.len().min(max_chars.saturating_add(16)));
    let cut = decoder.extend(max_chars);
    (decoder.into_text(), cut)
}

/// [`decode_prefix`] made resumable (the one decoder of JSON string escapes for previews):
/// [`PrefixDecoder::extend`] to `n` characters, then to `m > n`, decodes what one call with
/// `m` decodes (the same text and `cut`), reading each byte once. Runs without escapes are
/// copied whole, and runs of ASCII counted without decoding them.
pub(crate) struct PrefixDecoder<'a> {
    /// What is left of the literal's body (after its opening quote).
    rest: &'a str,
    /// The text decoded so far.
    out: String,
    /// Characters in `out`.
    count: usize,
    /// A high surrogate escape waiting for its low half.
    pending_high: Option<u32>,
    /// The closing quote (or the end) was reached.
    done: bool,
}

impl<'a> PrefixDecoder<'a> {
    /// A decoder at the start of the literal `raw` (quote included), with room for
    /// `capacity` bytes of text before it grows.
    pub(crate) fn new(raw: &'a str, capacity: usize) -> Self {
        PrefixDecoder {
            rest: raw.strip_prefix('"').unwrap_or(raw),
            out: String::with_capacity(capacity),
            count: 0,
            pending_high: None,
            done: false,
        }
    }

    /// The text decoded so far.
    pub(crate) fn text(&self) -> &str {
        &self.out
    }

    /// The text decoded so far, taken.
    pub(crate) fn into_text(self) -> String {
        self.out
    }

    /// Decodes until `max_chars` characters are out or the literal ends; returns whether the
    /// text goes on after them (`decode_prefix`'s second value).
    pub(crate) fn extend(&mut self, max_chars: usize) -> bool {
        if self.done {
            return false;
        }
        loop {
            if self.pending_high.is_none() {
                // A run without escapes is copied whole, as far as the budget goes; what ends
                // it (an escape, the closing quote) is handled below.
                let rest = self.rest;
                let stop = memchr::memchr2(b'\\', b'"', rest.as_bytes()).unwrap_or(rest.len());
                let room = max_chars.saturating_sub(self.count);
                let (taken, at) = take_chars(&rest[..stop], room);
                self.out.push_str(&rest[..at]);
                self.count += taken;
                self.rest = &rest[at..];
            }
            let mut chars = self.rest.chars();
            let c = match chars.next() {
                None | Some('"') => {
                    if self.pending_high.take().is_some() {
                        self.out.push('\u{fffd}');
                    }
                    self.done = true;
                    return false;
                }
                Some(c) => c,
            };
            if self.count >= max_chars {
                // `c` is left unread for the next call.
                return true;
            }
            let decoded = if c == '\\' {
                match chars.next() {
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('r') => '\r',
                    Some('b') => '\u{8}',
                    Some('f') => '\u{c}',
                    Some('u') => {
                        let digits = chars.as_str();
                        let end = digits
                            .char_indices()
                            .nth(4)
                            .map_or(digits.len(), |(i, _)| i);
                        let unit = u32::from_str_radix(&digits[..end], 16).unwrap_or(0xFFFD);
                        chars = digits[end..].chars();
                        match unit {
                            0xD800..=0xDBFF => {
                                if self.pending_high.replace(unit).is_some() {
                                    self.out.push('\u{fffd}');
                                    self.count += 1;
                                }
                                self.rest = chars.as_str();
                                continue;
                            }
                            0xDC00..=0xDFFF => match self.pending_high.take() {
                                Some(high) => char::from_u32(
                                    0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00),
                                )
                                .unwrap_or('\u{fffd}'),
                                None => '\u{fffd}',
                            },
                            _ => char::from_u32(unit).unwrap_or('\u{fffd}'),
                        }
                    }
                    Some(other) => other,
                    None => {
                        self.done = true;
                        return false;
                    }
                }
            } else {
                c
            };
            self.rest = chars.as_str();
            if self.pending_high.take().is_some() {
                self.out.push('\u{fffd}');
                self.count += 1;
            }
            self.out.push(decoded);
            self.count += 1;
        }
    }
}

/// Characters of `s` taken for a budget of `room`: how many, and the byte offset they end at.
fn take_chars(s: &str, room: usize) -> (usize, usize) {
    let n = s.len().min(room);
    if s.as_bytes()[..n].is_ascii() {
        return (n, n);
    }
    let mut taken = 0;
    for (i, _) in s.char_indices() {
        if taken == room {
            return (taken, i);
        }
        taken += 1;
    }
    (taken, s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(s: &str) -> Text<'_> {
        Text::Json(s)
    }

    #[test]
    fn prefixes_agree_with_serde_json_at_every_length() {
        // Right values from serde_json's own decoding of the literal, cut at n characters.
        let literals = [
            r#""""#,
            r#""plain ascii text""#,
            r#""caf\u00e9 \"quoted\"\\back\tslash\nnext line""#,
            r#""日本語 mixed with ascii and 😀 emoji\u00e9""#,
            r#""\ud83d\ude00 pair first, then text""#,
            r#""ends with escape\n""#,
        ];
        for literal in literals {
            let decoded: String = serde_json::from_str(literal).unwrap();
            let total = decoded.chars().count();
            for n in 0..=total + 1 {
                let want: String = decoded.chars().take(n).collect();
                assert_eq!(
                    decode_prefix(literal, n),
                    (want, total > n),
                    "{literal} {n}"
                );
            }
        }
    }

    #[test]
    fn decodes_on_demand() {
        let t = json(r#""line1\nline2 \"q\" \u00e9\ud83d\ude00 tail""#);
        assert_eq!(t.to_str(), "line1\nline2 \"q\" é😀 tail");
        assert_eq!(t.prefix(5), (Cow::Borrowed("line1"), true));
        assert!(matches!(
            json(r#""plain""#).to_str(),
            Cow::Borrowed("plain")
        ));
        assert_eq!(json(r#""x\ud800y""#).to_str(), "x\u{fffd}y");
        assert_eq!(json(r#""x\ud800""#).to_str(), "x\u{fffd}");
        assert_eq!(
            json(r#""\udc00\ud800\ud800\udc00""#).to_str(),
            "\u{fffd}\u{fffd}\u{10000}"
        );
    }

    #[test]
    fn blank_texts() {
        assert!(json(r#""""#).is_blank());
        assert!(json(r#""\n  \n""#).is_blank());
        assert!(!json(r#""\n a""#).is_blank());
        assert!(Text::from("").is_blank());
    }

    /// The resumable decoder, extended in steps, decodes at each step what one call of
    /// `decode_prefix` decodes (itself checked against serde_json above; lone surrogates,
    /// which serde_json refuses, included here).
    #[test]
    fn resumed_decoding_agrees_with_one_call() {
        let literals = [
            r#""""#,
            r#""plain ascii text""#,
            r#""caf\u00e9 \"quoted\"\\back\tslash\nnext line""#,
            r#""日本語 mixed with ascii and 😀 emoji\u00e9""#,
            r#""\ud83d\ude00 pair first, then text""#,
            r#""lone \ud800 high, \udc00 low, \ud800\ud800 two highs, \ud800\n""#,
            r#""ends with escape\n""#,
            r#""ends with a high surrogate \ud83d""#,
        ];
        for literal in literals {
            let total = literal.chars().count() + 2;
            for step in 1..6 {
                let mut decoder = PrefixDecoder::new(literal, 0);
                let mut n = 0;
                while n <= total {
                    let cut = decoder.extend(n);
                    let (want, want_cut) = decode_prefix(literal, n);
                    assert_eq!(
                        (decoder.text(), cut),
                        (want.as_str(), want_cut),
                        "{literal} {n} by {step}"
                    );
                    n += step;
                }
            }
        }
    }

    #[test]
    fn writes_json_as_written_or_anew() {
        let mut out = Vec::new();
        json(r#""a\n\"b\"""#).write_json(&mut out).unwrap();
        out.push(b' ');
        json(r#""lone \ud800""#).write_json(&mut out).unwrap();
        out.push(b' ');
        Text::from("c\td").write_json(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#""a\n\"b\"" "lone �" "c\td""#
        );
    }

    #[test]
    fn raw_prefixes_stop_on_character_boundaries() {
        assert_eq!(raw_prefix(r#""ab\ncd""#, 3), Some(r#""ab\n"#));
        assert_eq!(raw_prefix(r#""éé""#, 1), Some("\"é"));
        assert_eq!(raw_prefix(r#""ab""#, 10), Some(r#""ab"#));
        assert_eq!(raw_prefix(r#""a\u00e9""#, 10), None);
        assert_eq!(raw_prefix("[1]", 10), None);
    }

    #[test]
    fn deserializes_only_strings() {
        let t: Text<'_> = serde_json::from_str(r#""a\tb""#).unwrap();
        assert_eq!(t, Text::Json(r#""a\tb""#));
        assert!(serde_json::from_str::<Text<'_>>("5").is_err());
    }
}
