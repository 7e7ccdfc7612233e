//! Reading a JSON document's top level by hand, each member and array element with serde:
//! where each message starts is known exactly (for `source.line`/`offset`), and a document cut
//! off in the middle still gives the messages before the cut.
//!
//! An element of the array that is not valid JSON (a damaged message) is skipped when the
//! document is pretty-printed, as the agents write it: the next element is the next line
//! that starts with the elements' indentation and opening byte, and reads as a whole element
//! (followed by `,` or `]`). The elements after it are read, and the damaged one is reported
//! ([`Skipped`]). A damage that leaves no such line ends the reading there.
//!
//! In a pretty-printed array (its first element starts a line of its own) each element must
//! also sit where the layout puts it: starting at the elements' indentation, and, when it
//! spans lines, closing on a line of its own at that indentation. An element that closes
//! elsewhere was closed early by an extra closing bracket inside it (what follows of it would
//! otherwise be read as elements, or stop the reading): it is skipped as damaged. Bytes
//! between two elements that are neither `,` nor the array's end (an extra bracket after an
//! element, or a `]` not on a line of its own) are skipped to the next element, the element
//! before them kept.

use serde::Deserialize;
use serde_json::value::RawValue;

/// Where and why reading a document stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    /// Byte offset of the problem in the document.
    pub offset: usize,
    /// What is wrong (serde's message, without its line and column).
    pub message: String,
    /// The document ended too early (cut off).
    pub eof: bool,
}

/// A document's top level: its members (the array's elements, for an array), each raw, and
/// the error that stopped the reading, if any.
#[derive(Debug, Default)]
pub struct TopLevel<'a> {
    /// True when the document is an array (its elements are in `elements`).
    pub array: bool,
    /// Members other than `array_member`, in order: name and value.
    pub members: Vec<(std::borrow::Cow<'a, str>, &'a RawValue)>,
    /// The elements of the top-level array, or of the object's member named `array_member`.
    pub elements: Vec<&'a RawValue>,
    /// Whether the object had the member `array_member` (always true for an array).
    pub has_array: bool,
    /// Damaged elements that were skipped, the elements after them read.
    pub skipped: Vec<Skipped>,
    /// Why the reading stopped before the document's end, if it did.
    pub error: Option<ScanError>,
}

/// Bytes of an array skipped because they are not valid JSON: a damaged element, or stray
/// bytes between two elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Its place among the elements: the number of elements read before it.
    pub index: usize,
    /// Byte offsets of its start and of the next element's start (where reading resumed).
    pub start: usize,
    /// See `start`.
    pub end: usize,
    /// What is wrong with it; `error.offset` is where the damage is.
    pub error: ScanError,
    /// True when an element was lost (a damaged element); false for stray bytes after a whole
    /// element, which is read.
    pub lost: bool,
}

/// How a pretty-printed array lays out its elements, learnt from its first one: the
/// indentation before each element and the byte it opens with.
#[derive(Debug, Clone, Copy)]
struct Layout<'a> {
    indent: &'a [u8],
    open: u8,
}

/// Reads `text` (one JSON document) as a top-level object whose member `array_member` is an
/// array read element by element, or as a top-level array read likewise. Never fails: what
/// could be read is returned with the error that stopped it.
pub fn scan<'a>(text: &'a str, array_member: &str) -> TopLevel<'a> {
    let mut s = Scanner { text, pos: 0 };
    let mut top = TopLevel::default();
    if let Err(e) = s.top(array_member, &mut top) {
        top.error = Some(e);
    }
    top
}

struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn top(&mut self, array_member: &str, top: &mut TopLevel<'a>) -> Result<(), ScanError> {
        self.ws();
        match self.peek() {
            Some(b'[') => {
                top.array = true;
                top.has_array = true;
                self.elements(&mut top.elements, &mut top.skipped)?;
            }
            Some(b'{') => {
                self.pos += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                } else {
                    loop {
                        self.ws();
                        let key = self.value()?;
                        let Some(name) = super::record::string_of(key) else {
                            return Err(self.error_at(
                                offset_of(self.text, key),
                                "key must be a string".to_owned(),
                            ));
                        };
                        self.ws();
                        self.expect(b':', "expected `:`")?;
                        self.ws();
                        if name == array_member && self.peek() == Some(b'[') {
                            top.has_array = true;
                            self.elements(&mut top.elements, &mut top.skipped)?;
                        } else {
                            let value = self.value()?;
                            top.members.push((name, value));
                        }
                        self.ws();
                        match self.peek() {
                            Some(b',') => self.pos += 1,
                            Some(b'}') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err(self.here("expected `,` or `}`")),
                        }
                    }
                }
            }
            _ => {
                // Not an object or array: let serde say what it is (or what is wrong).
                self.value()?;
                return Err(ScanError {
                    offset: 0,
                    message: "not a JSON object or array".to_owned(),
                    eof: false,
                });
            }
        }
        self.ws();
        if self.pos < self.text.len() {
            return Err(self.here("trailing characters after the document"));
        }
        Ok(())
    }

    /// Reads an array at the current position into `out`, element by element; a damaged
    /// element, or stray bytes after one, are skipped when the next element can be found
    /// ([`Scanner::resume`]).
    fn elements(
        &mut self,
        out: &mut Vec<&'a RawValue>,
        skipped: &mut Vec<Skipped>,
    ) -> Result<(), ScanError> {
        self.expect(b'[', "expected `[`")?;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        let mut layout: Option<Layout<'a>> = None;
        loop {
            self.ws();
            let start = self.pos;
            // The first element is held to its own layout (it must close at its indentation).
            let value = match self.element(layout.or_else(|| self.layout_at(start)), start) {
                Ok(value) => {
                    layout = layout.or_else(|| self.layout_at(start));
                    value
                }
                Err(error) => {
                    let found = layout
                        .or_else(|| self.layout_at(start))
                        .and_then(|l| self.resume(l, start));
                    let Some((end, value)) = found else {
                        return Err(error);
                    };
                    skipped.push(Skipped {
                        index: out.len(),
                        start,
                        end,
                        error,
                        lost: true,
                    });
                    value
                }
            };
            out.push(value);
            // What follows an element: `,`, the array's end, or stray bytes to skip.
            loop {
                self.ws();
                let at = self.pos;
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        break;
                    }
                    Some(b']') if layout.is_none() || self.starts_line(at) => {
                        self.pos += 1;
                        return Ok(());
                    }
                    _ => {
                        let error = self.here("expected `,` or `]` after an element");
                        match layout.and_then(|l| self.resume(l, at)) {
                            Some((end, value)) => {
                                skipped.push(Skipped {
                                    index: out.len(),
                                    start: at,
                                    end,
                                    error,
                                    lost: false,
                                });
                                out.push(value);
                            }
                            // A `]` out of its place with nothing after it: the end after all.
                            None if self.peek() == Some(b']') => {
                                self.pos = at + 1;
                                return Ok(());
                            }
                            None => {
                                self.pos = at;
                                return Err(error);
                            }
                        }
                    }
                }
            }
        }
    }

    /// One element at `start` (the current position), which must sit where `layout` (when
    /// known) puts elements: starting at its indentation and, when it spans lines, closing on
    /// a line of its own at that indentation.
    fn element(
        &mut self,
        layout: Option<Layout<'a>>,
        start: usize,
    ) -> Result<&'a RawValue, ScanError> {
        let value = self.value()?;
        let Some(layout) = layout else {
            return Ok(value);
        };
        let bytes = self.text.as_bytes();
        let line_start = memchr::memrchr(b'\n', &bytes[..start]).map_or(0, |nl| nl + 1);
        if &bytes[line_start..start] != layout.indent || bytes[start] != layout.open {
            return Err(self.error_at(
                start,
                "an element that does not start where the array's elements do (on a line of its own, at their indentation)".to_owned(),
            ));
        }
        let end = self.pos;
        let last = end.saturating_sub(1);
        if memchr::memchr(b'\n', &bytes[start..end]).is_some() {
            let last_line = memchr::memrchr(b'\n', &bytes[..last]).map_or(0, |nl| nl + 1);
            if &bytes[last_line..last] != layout.indent {
                return Err(self.error_at(
                    last,
                    "the element is closed here, not on a line of its own at its indentation (an extra closing bracket?)".to_owned(),
                ));
            }
        }
        Ok(value)
    }

    /// The layout of an array whose element starts at `start`: the indentation before it, when
    /// it starts a line of its own (not the document's first line), and its first byte.
    fn layout_at(&self, start: usize) -> Option<Layout<'a>> {
        let bytes = self.text.as_bytes();
        let line_start = memchr::memrchr(b'\n', &bytes[..start]).map_or(0, |nl| nl + 1);
        let indent = &bytes[line_start..start];
        if line_start == 0 || !indent.iter().all(|b| matches!(b, b' ' | b'\t')) {
            return None;
        }
        Some(Layout {
            indent,
            open: *bytes.get(start)?,
        })
    }

    /// Whether only spaces and tabs come before byte `at` on its line.
    fn starts_line(&self, at: usize) -> bool {
        let bytes = self.text.as_bytes();
        let line_start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |nl| nl + 1);
        bytes[line_start..at]
            .iter()
            .all(|b| matches!(b, b' ' | b'\t'))
    }

    /// After damage at `from`: the start of the next element and the element, read, when a
    /// later line begins with `layout`'s indentation and opening byte and holds a whole
    /// element, in its place, followed by `,` or `]`; `None` when no such line follows. The
    /// position is left after the element.
    fn resume(&mut self, layout: Layout<'a>, from: usize) -> Option<(usize, &'a RawValue)> {
        let bytes = self.text.as_bytes();
        let mut from = from;
        while let Some(nl) = memchr::memchr(b'\n', &bytes[from..]) {
            let at = from + nl + 1;
            from = at;
            let candidate = at + layout.indent.len();
            if bytes.get(at..candidate) != Some(layout.indent)
                || bytes.get(candidate) != Some(&layout.open)
            {
                continue;
            }
            self.pos = candidate;
            if let Ok(value) = self.element(Some(layout), candidate) {
                let after = self.pos;
                self.ws();
                if matches!(self.peek(), Some(b',' | b']')) {
                    self.pos = after;
                    return Some((candidate, value));
                }
            }
        }
        None
    }

    /// One JSON value at the current position, checked by serde.
    fn value(&mut self) -> Result<&'a RawValue, ScanError> {
        let rest = &self.text[self.pos..];
        let mut de = serde_json::Deserializer::from_str(rest);
        match <&'a RawValue>::deserialize(&mut de) {
            Ok(raw) => {
                self.pos = offset_of(self.text, raw) + raw.get().len();
                Ok(raw)
            }
            Err(e) => Err(self.serde_error(&e)),
        }
    }

    fn serde_error(&self, e: &serde_json::Error) -> ScanError {
        let message = crate::format::json_error_text(e);
        let eof = e.classify() == serde_json::error::Category::Eof;
        let offset = if eof {
            self.text.len()
        } else {
            // serde's line and column (1-based, the column in bytes) from the value's start.
            let rest = &self.text.as_bytes()[self.pos..];
            let line_start = if e.line() <= 1 {
                0
            } else {
                memchr::memchr_iter(b'\n', rest)
                    .nth(e.line() - 2)
                    .map_or(rest.len(), |at| at + 1)
            };
            (self.pos + line_start + e.column().saturating_sub(1)).min(self.text.len())
        };
        ScanError {
            offset,
            message,
            eof,
        }
    }

    fn ws(&mut self) {
        let bytes = self.text.as_bytes();
        while self.pos < bytes.len() && matches!(bytes[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), ScanError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.here(what))
        }
    }

    fn here(&self, what: &str) -> ScanError {
        self.error_at(self.pos, what.to_owned())
    }

    fn error_at(&self, offset: usize, message: String) -> ScanError {
        let eof = offset >= self.text.len();
        ScanError {
            offset,
            message: if eof {
                format!("EOF while parsing ({message})")
            } else {
                message
            },
            eof,
        }
    }
}

/// Byte offset of `raw` (a value borrowed from `text`) in `text`.
pub fn offset_of(text: &str, raw: &RawValue) -> usize {
    (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize)
}

/// Counts lines incrementally: the 1-based line of increasing byte offsets in a text.
#[derive(Debug)]
pub struct LineCounter<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    /// A counter over `text` whose first byte is on line `first_line`.
    pub fn new(text: &'a str, first_line: u64) -> Self {
        LineCounter {
            bytes: text.as_bytes(),
            at: 0,
            line: first_line,
        }
    }

    /// The line of byte `offset` (offsets must not decrease between calls; a smaller one
    /// gives the line of the last).
    pub fn line_of(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.bytes.len());
        if offset > self.at {
            self.line += memchr::memchr_iter(b'\n', &self.bytes[self.at..offset]).count() as u64;
            self.at = offset;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_elements_with_their_offsets() {
        let text = "{\n  \"a\": 1,\n  \"messages\": [\n    {\"id\": \"x\"},\n    {\"id\": \"y\"}\n  ],\n  \"kind\": \"main\"\n}";
        let top = scan(text, "messages");
        assert!(top.error.is_none(), "{:?}", top.error);
        assert!(top.has_array && !top.array);
        assert_eq!(top.members.len(), 2);
        assert_eq!(top.members[1].0, "kind");
        assert_eq!(top.elements.len(), 2);
        let second = offset_of(text, top.elements[1]);
        assert_eq!(&text[second..second + 11], "{\"id\": \"y\"}");
        let mut lines = LineCounter::new(text, 1);
        assert_eq!(lines.line_of(offset_of(text, top.elements[0])), 4);
        assert_eq!(lines.line_of(second), 5);
    }

    #[test]
    fn a_cut_document_keeps_what_came_before_the_cut() {
        let text = "[{\"a\": 1}, {\"b\": 2}, {\"c\": ";
        let top = scan(text, "messages");
        assert!(top.array);
        assert_eq!(top.elements.len(), 2);
        let e = top.error.expect("an error");
        assert!(e.eof);
        assert_eq!(e.offset, text.len());
    }

    #[test]
    fn the_layout_of_a_pretty_array_tells_stray_and_early_closing_brackets() {
        let element = |id: &str| format!("  {{\n    \"id\": \"{id}\"\n  }}");
        let (a, b, c) = (element("a"), element("b"), element("c"));
        // A `}` closing `b` early: `b` lost, `a` and `c` read, the damage at the bracket.
        let early = b.replace("\"b\"\n", "\"b\"}\n");
        let text = format!("[\n{a},\n{early},\n{c}\n]");
        let top = scan(&text, "messages");
        assert!(top.error.is_none(), "{:?}", top.error);
        assert_eq!(top.elements.len(), 2);
        assert_eq!(top.skipped.len(), 1);
        let skip = &top.skipped[0];
        assert!(skip.lost);
        assert_eq!(skip.index, 1);
        assert_eq!(skip.error.offset, text.find("\"b\"}").unwrap() + 3);
        // A `]` after `a`: skipped, all three read.
        let text = format!("[\n{a}],\n{b},\n{c}\n]");
        let top = scan(&text, "messages");
        assert!(top.error.is_none(), "{:?}", top.error);
        assert_eq!(top.elements.len(), 3);
        assert!(!top.skipped[0].lost);
        assert_eq!(top.skipped[0].start, a.len() + 2);
        // On one line there is no layout to go by: the `]` ends the array (as before).
        let top = scan("[{\"id\": 1}], {\"id\": 2}]", "messages");
        assert_eq!(top.elements.len(), 1);
        assert!(top.error.is_some());
    }

    #[test]
    fn a_syntax_error_is_placed_where_it_is() {
        let text = "{\"messages\": [\n{\"a\": 1},\n{\"b\": x}\n]}";
        let top = scan(text, "messages");
        assert_eq!(top.elements.len(), 1);
        let e = top.error.expect("an error");
        assert!(!e.eof);
        assert_eq!(&text[e.offset..e.offset + 1], "x", "{e:?}");
        let text = "{\"messages\": []} trailing";
        let e = scan(text, "messages").error.expect("an error");
        assert_eq!(e.offset, 17);
    }
}
