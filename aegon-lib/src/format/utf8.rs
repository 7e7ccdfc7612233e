//! Input that is not valid UTF-8, read on anyway: each adapter validates a line (or a gathered
//! document), reports the first bad byte in one recovered [`EventKind::Malformed`] event and
//! reads the text with every bad sequence replaced by U+FFFD, as [`String::from_utf8_lossy`]
//! does (one U+FFFD per maximal invalid sequence).
//!
//! A document's replacement changes lengths (U+FFFD is 3 bytes, a bad sequence 1 to 3), so a
//! [`DocumentText`] keeps where they are and maps a position in the text back to the input's
//! byte offset ([`DocumentText::input_offset`]); lines are unchanged (no bad byte is a `\n`).

use std::borrow::Cow;
use std::ops::ControlFlow;

#[cfg(doc)]
use crate::event::EventKind;
use crate::event::{Agent, Event, MalformedReason, Source};

/// The message of the event for invalid UTF-8. Where the first bad byte is, is the event's
/// place (its line and `error_offset`), not repeated here.
const MESSAGE: &str =
    "invalid UTF-8 (first bad byte here): read with the bad bytes replaced by U+FFFD";

/// `bytes` (one line at `source`) as text: borrowed when valid UTF-8; otherwise one recovered
/// `invalid_utf8` [`super::malformed`] event of `agent` is emitted (the first bad byte's offset
/// in the input) and the text is read with U+FFFD in place of the bad sequences. `Break` when
/// `emit` says stop.
pub fn line_text<'t, F>(
    agent: Agent,
    source: Source<'_>,
    bytes: &'t [u8],
    emit: &mut F,
) -> ControlFlow<(), Cow<'t, str>>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    match crate::source::utf8::validate(bytes) {
        Ok(s) => ControlFlow::Continue(Cow::Borrowed(s)),
        Err(valid) => {
            let at = source.offset + valid as u64;
            emit(super::malformed(
                agent,
                source,
                MalformedReason::InvalidUtf8,
                MESSAGE.to_owned(),
                at,
                bytes.len() as u64,
                true,
            ))?;
            ControlFlow::Continue(String::from_utf8_lossy(bytes))
        }
    }
}

/// A gathered document as text, with what maps its positions back to the input's offsets.
#[derive(Debug)]
pub struct DocumentText<'t> {
    /// The text: the document's bytes, bad sequences replaced by U+FFFD.
    pub text: Cow<'t, str>,
    /// Per replacement, in order: the position in `text` just past its U+FFFD, and the bytes
    /// the text has gained over the input up to there (negative when it lost some).
    shifts: Vec<(usize, i64)>,
}

impl DocumentText<'_> {
    /// The byte offset in the document's input bytes of position `pos` of the text (a
    /// position inside a U+FFFD maps to the bad sequence's end).
    pub fn input_offset(&self, pos: usize) -> u64 {
        let before = self.shifts.partition_point(|&(end, _)| end <= pos);
        let shift = before.checked_sub(1).map_or(0, |i| self.shifts[i].1);
        (pos as i64 - shift).max(0) as u64
    }
}

/// The document `bytes`, which starts at line `line` and byte `offset` of the input `file`,
/// as text: when it is not valid UTF-8, one recovered `invalid_utf8` event of `agent` is
/// emitted at the line and offset of the first bad byte and the text
/// is read with U+FFFD in place of each bad sequence. `Break` when `emit` says stop.
pub fn document_text<'t, F>(
    agent: Agent,
    file: &str,
    bytes: &'t [u8],
    line: u64,
    offset: u64,
    emit: &mut F,
) -> ControlFlow<(), DocumentText<'t>>
where
    F: for<'e> FnMut(Event<'e>) -> ControlFlow<()>,
{
    let valid = match crate::source::utf8::validate(bytes) {
        Ok(s) => {
            return ControlFlow::Continue(DocumentText {
                text: Cow::Borrowed(s),
                shifts: Vec::new(),
            })
        }
        Err(valid) => valid,
    };
    let before = &bytes[..valid];
    let bad_line = line + memchr::memchr_iter(b'\n', before).count() as u64;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |nl| nl + 1);
    let at = offset + valid as u64;
    let source = Source {
        file,
        line: bad_line,
        offset: offset + line_start as u64,
    };
    emit(super::malformed(
        agent,
        source,
        MalformedReason::InvalidUtf8,
        MESSAGE.to_owned(),
        at,
        bytes.len() as u64,
        true,
    ))?;
    let mut text = String::with_capacity(bytes.len() + 16);
    let mut shifts = Vec::new();
    let mut shift = 0i64;
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        let bad = chunk.invalid().len();
        if bad > 0 {
            text.push(char::REPLACEMENT_CHARACTER);
            shift += char::REPLACEMENT_CHARACTER.len_utf8() as i64 - bad as i64;
            shifts.push((text.len(), shift));
        }
    }
    ControlFlow::Continue(DocumentText {
        text: Cow::Owned(text),
        shifts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;

    #[test]
    fn a_document_with_bad_bytes_reads_with_u_fffd_and_maps_offsets_back() {
        // Line 3 (from byte 10) holds the first bad byte, at byte 16; a second bad sequence of
        // two bytes (a cut 3-byte character) follows on line 4.
        let bytes = b"{\n\"a\": 1,\n\"b\": \"\xff\",\n\"c\": \"\xe2\x82\", \"d\": 2}";
        let mut events = Vec::new();
        let doc = match document_text(Agent::GeminiCli, "f", bytes, 10, 1000, &mut |e| {
            if let EventKind::Malformed(m) = &e.kind {
                events.push((e.source.line, e.source.offset, m.clone()));
            }
            ControlFlow::Continue(())
        }) {
            ControlFlow::Continue(doc) => doc,
            ControlFlow::Break(()) => panic!("stopped"),
        };
        assert_eq!(doc.text, String::from_utf8_lossy(bytes));
        assert_eq!(events.len(), 1);
        let (line, offset, m) = &events[0];
        // Line 10 + 2 newlines before the `\xff`; that line starts at byte 10.
        assert_eq!((*line, *offset), (12, 1010));
        assert_eq!(bytes[16], 0xff);
        assert_eq!(m.error_offset, 1016);
        assert!(m.recovered && m.message.contains("U+FFFD") && !m.message.contains("1016"));
        // `"d"` is at byte 31 of the input; in the text it moved by +2 (one byte → 3) and
        // +1 (two bytes → 3).
        let input_d = memchr::memmem::find(bytes, b"\"d\"").unwrap();
        let text_d = doc.text.find("\"d\"").unwrap();
        assert_eq!(text_d, input_d + 3);
        assert_eq!(doc.input_offset(text_d), input_d as u64);
        assert_eq!(doc.input_offset(3), 3);
    }

    #[test]
    fn a_valid_document_is_borrowed() {
        let doc = match document_text(Agent::OpenCode, "f", b"{}", 1, 0, &mut |_| {
            ControlFlow::Break(())
        }) {
            ControlFlow::Continue(doc) => doc,
            ControlFlow::Break(()) => panic!("an event for valid text"),
        };
        assert!(matches!(doc.text, Cow::Borrowed("{}")));
        assert_eq!(doc.input_offset(2), 2);
    }
}
