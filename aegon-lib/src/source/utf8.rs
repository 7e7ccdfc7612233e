//! UTF-8 validation of whole lines, the one pass over every byte that parsing cannot skip.

/// The line as text, or the length of its longest valid prefix (where the first bad byte is).
///
/// With the `simd-utf8` feature (on by default) this uses SIMD instructions where the CPU has
/// them; the answer is the same either way.
pub fn validate(bytes: &[u8]) -> Result<&str, usize> {
    #[cfg(feature = "simd-utf8")]
    {
        simdutf8::compat::from_utf8(bytes).map_err(|e| e.valid_up_to())
    }
    #[cfg(not(feature = "simd-utf8"))]
    {
        std::str::from_utf8(bytes).map_err(|e| e.valid_up_to())
    }
}

/// Where each byte of a line repaired by [`lossy`] was in the line.
///
/// U+FFFD takes three bytes where the bad sequence took one to three, so an offset in the
/// repaired text is not the offset on disk: [`Lossy::disk`] translates it, so that what is
/// reported ("at byte N") points into the file as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lossy {
    /// For each replacement, in order: (its offset in the text, the bad sequence's offset in
    /// the line, the bad sequence's length in bytes).
    replaced: Vec<(usize, usize, usize)>,
}

/// `bytes` (one line) as text with each bad UTF-8 sequence replaced by U+FFFD (the text
/// [`String::from_utf8_lossy`] makes), and where the replacements are.
pub fn lossy(bytes: &[u8]) -> (String, Lossy) {
    Lossy::new(bytes)
}

impl Lossy {
    fn new(bytes: &[u8]) -> (String, Lossy) {
        let mut text = String::with_capacity(bytes.len() + 16);
        let mut replaced = Vec::new();
        let mut at = 0;
        for chunk in bytes.utf8_chunks() {
            text.push_str(chunk.valid());
            at += chunk.valid().len();
            let bad = chunk.invalid().len();
            if bad > 0 {
                replaced.push((text.len(), at, bad));
                text.push(char::REPLACEMENT_CHARACTER);
                at += bad;
            }
        }
        (text, Lossy { replaced })
    }

    /// The offset in the line of the byte at `offset` in the repaired text; inside a
    /// replacement character, the offset of the bad sequence it replaced. Offsets past the
    /// end keep their distance from the end.
    pub fn disk(&self, offset: usize) -> usize {
        // The last replacement starting at or before `offset`.
        let k = self.replaced.partition_point(|&(t, _, _)| t <= offset);
        let Some(&(t, d, bad)) = k.checked_sub(1).and_then(|k| self.replaced.get(k)) else {
            return offset;
        };
        let utf8_len = char::REPLACEMENT_CHARACTER.len_utf8();
        if offset < t + utf8_len {
            d
        } else {
            d + bad + (offset - t - utf8_len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{lossy, validate};

    #[test]
    fn lossy_text_is_std_s_and_its_offsets_point_into_the_line() {
        // Five bad bytes at 3..8 (each its own sequence), a cut 3-byte sequence (E2 82: one
        // replacement for two bytes) at 9, then a control byte at 12.
        let line = b"ab\"\xff\xff\xff\xff\xffX\xe2\x82Y\x01Z";
        let (text, map) = lossy(line);
        assert_eq!(text, String::from_utf8_lossy(line));
        // Each byte of plain text maps back to the same byte on disk.
        for (i, c) in text.char_indices() {
            if c != char::REPLACEMENT_CHARACTER {
                assert_eq!(line[map.disk(i)], c as u8, "text offset {i}");
            }
        }
        assert_eq!(map.disk(text.find('\u{1}').unwrap()), 12);
        assert_eq!(map.disk(3), 3); // the first replacement
        assert_eq!(map.disk(4), 3); // inside it
        assert_eq!(map.disk(6), 4); // the second
        assert_eq!(map.disk(text.len()), line.len());
        // Valid text: the identity.
        let (clean, map) = lossy(b"plain");
        assert_eq!((clean.as_str(), map.disk(3)), ("plain", 3));
    }

    #[test]
    fn agrees_with_std_on_valid_and_invalid_text() {
        let long_ascii = "a".repeat(100);
        let cases: [&[u8]; 6] = [
            b"",
            b"plain ascii",
            "caf\u{e9} \u{1F600} long enough to reach the SIMD path of the validator".as_bytes(),
            b"bad \xff byte after a prefix that is long enough for the vector loop to run",
            b"truncated \xe2\x82",
            long_ascii.as_bytes(),
        ];
        for bytes in cases {
            let std = std::str::from_utf8(bytes).map_err(|e| e.valid_up_to());
            assert_eq!(validate(bytes), std, "{bytes:?}");
        }
    }
}
