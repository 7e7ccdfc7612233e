//! A lenient scanner for the top level of a JSON object.
//!
//! Most bytes of a transcript line sit in members aegon never reads (`toolUseResult` alone holds
//! a quarter of them: whole files, patches, command output). [`for_each_member`] walks the top
//! level of an object and lends each member's key and value span, skipping over values without
//! decoding them: strings are jumped over with SIMD `memchr` from quote to quote (one after an
//! odd run of backslashes is escaped), nesting is tracked by counting brackets outside strings. The caller parses only
//! the values it wants (with serde, from the lent slice).
//!
//! Lenient by design: a skipped value is checked for balanced strings and brackets, not for
//! being valid JSON in every detail (`tru` in an ignored member is not noticed). A truncated
//! line, an unterminated string or unbalanced brackets are errors, with their byte offset.

/// Why a line is not a JSON object, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    /// Byte offset in the line.
    pub offset: usize,
    /// What was expected or found.
    pub message: &'static str,
    /// True when the line ended too early (a truncated line).
    pub eof: bool,
}

impl ScanError {
    fn at(offset: usize, message: &'static str) -> ScanError {
        ScanError {
            offset,
            message,
            eof: false,
        }
    }

    fn eof(offset: usize, message: &'static str) -> ScanError {
        ScanError {
            offset,
            message,
            eof: true,
        }
    }
}

/// Calls `member(key, value, value_offset)` for each member of the object `line` holds, in
/// order. `key` is the key's text between its quotes (escapes left as written); `value` the
/// value's exact text. Stops at the first error, the scanner's or `member`'s.
pub fn for_each_member<'a, E>(
    line: &'a str,
    mut member: impl FnMut(&'a str, &'a str, usize) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<ScanError>,
{
    for_each_member_at(line, |key, at| {
        let end = value_end(line, at)?;
        member(key, &line[at..end], at)?;
        Ok(end)
    })
}

/// Like [`for_each_member`], but the caller finds each value's end: `member(key, at)` is given
/// the offset in `line` where the value starts and returns the offset just past it, either by
/// calling [`value_end`] or by reading the value itself (a serde parse of the same bytes, which
/// then spares the scanner a pass over them). Stops at the first error, the scanner's or
/// `member`'s.
pub fn for_each_member_at<'a, E>(
    line: &'a str,
    mut member: impl FnMut(&'a str, usize) -> Result<usize, E>,
) -> Result<(), E>
where
    E: From<ScanError>,
{
    let b = line.as_bytes();
    let mut i = skip_ws(b, 0);
    match b.get(i) {
        Some(b'{') => i += 1,
        Some(_) => return Err(ScanError::at(i, "expected a JSON object").into()),
        None => return Err(ScanError::eof(i, "expected a JSON object").into()),
    }
    i = skip_ws(b, i);
    if b.get(i) == Some(&b'}') {
        return trailing(b, i + 1).map_err(E::from);
    }
    loop {
        match b.get(i) {
            Some(b'"') => {}
            Some(_) => return Err(ScanError::at(i, "expected a key").into()),
            None => return Err(ScanError::eof(i, "expected a key").into()),
        }
        let key_end = skip_string(b, i)?;
        let key = &line[i + 1..key_end - 1];
        i = skip_ws(b, key_end);
        match b.get(i) {
            Some(b':') => i = skip_ws(b, i + 1),
            Some(_) => return Err(ScanError::at(i, "expected ':'").into()),
            None => return Err(ScanError::eof(i, "expected ':'").into()),
        }
        let value_end = member(key, i)?;
        i = skip_ws(b, value_end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return trailing(b, i + 1).map_err(E::from),
            Some(_) => return Err(ScanError::at(i, "expected ',' or '}'").into()),
            None => return Err(ScanError::eof(i, "expected ',' or '}'").into()),
        }
    }
}

/// The offset just past the JSON value starting at byte `at` of `line` (skipped as
/// [`for_each_member`] skips values: balanced strings and brackets), or where it breaks off.
pub fn value_end(line: &str, at: usize) -> Result<usize, ScanError> {
    skip_value(line.as_bytes(), at)
}

/// Calls `element(value, value_offset)` for each element of the array `text` holds, in order,
/// lending each element's exact text (skipped, not decoded, as members are by
/// [`for_each_member`]). Stops at the first error, the scanner's or `element`'s.
pub fn for_each_element<'a, E>(
    text: &'a str,
    mut element: impl FnMut(&'a str, usize) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<ScanError>,
{
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    match b.get(i) {
        Some(b'[') => i += 1,
        Some(_) => return Err(ScanError::at(i, "expected a JSON array").into()),
        None => return Err(ScanError::eof(i, "expected a JSON array").into()),
    }
    i = skip_ws(b, i);
    if b.get(i) == Some(&b']') {
        return trailing(b, i + 1).map_err(E::from);
    }
    loop {
        let value_end = skip_value(b, i)?;
        element(&text[i..value_end], i)?;
        i = skip_ws(b, value_end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b']') => return trailing(b, i + 1).map_err(E::from),
            Some(_) => return Err(ScanError::at(i, "expected ',' or ']'").into()),
            None => return Err(ScanError::eof(i, "expected ',' or ']'").into()),
        }
    }
}

/// Only whitespace may follow the object.
fn trailing(b: &[u8], i: usize) -> Result<(), ScanError> {
    let j = skip_ws(b, i);
    if j < b.len() {
        Err(ScanError::at(j, "trailing characters after the object"))
    } else {
        Ok(())
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// `b[i]` is `"`: returns the offset just past the closing quote.
///
/// Only quotes are searched for: a quote preceded by an odd run of backslashes is escaped,
/// any other ends the string. Escapes such as `\n` (on every line of code in a tool result)
/// are far more common than escaped quotes, and this way they do not interrupt the search.
fn skip_string(b: &[u8], i: usize) -> Result<usize, ScanError> {
    let mut j = i + 1;
    loop {
        let Some(q) = find_quote(b, j) else {
            return Err(ScanError::eof(b.len(), "unterminated string"));
        };
        let backslashes = b[i + 1..q]
            .iter()
            .rev()
            .take_while(|&&c| c == b'\\')
            .count();
        if backslashes % 2 == 0 {
            return Ok(q + 1);
        }
        j = q + 1;
    }
}

/// Bytes searched 8 at a time in a register before handing the rest of a string to SIMD
/// `memchr`: most strings (keys, ids, short values) end within them, and a call costs more.
const SWAR_BYTES: usize = 64;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
const QUOTES: u64 = ONES * b'"' as u64;

/// Offset of the first `"` at or after `from`.
#[inline]
fn find_quote(b: &[u8], from: usize) -> Option<usize> {
    let mut j = from;
    let swar_end = from.saturating_add(SWAR_BYTES).min(b.len());
    while j + 8 <= swar_end {
        let mut word = [0u8; 8];
        word.copy_from_slice(&b[j..j + 8]);
        let v = u64::from_le_bytes(word) ^ QUOTES;
        // Bytes equal to the needle become zero; the lowest flagged byte is exact.
        let hits = v.wrapping_sub(ONES) & !v & HIGHS;
        if hits != 0 {
            return Some(j + (hits.trailing_zeros() / 8) as usize);
        }
        j += 8;
    }
    let rest = b.get(j..)?;
    memchr::memchr(b'"', rest).map(|k| j + k)
}

/// Returns the offset just past the value starting at `b[i]`.
fn skip_value(b: &[u8], i: usize) -> Result<usize, ScanError> {
    match b.get(i) {
        None => Err(ScanError::eof(i, "expected a value")),
        Some(b'"') => skip_string(b, i),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while let Some(&c) = b.get(j) {
                match c {
                    b'"' => {
                        j = skip_string(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            Err(ScanError::eof(b.len(), "unterminated object or array"))
        }
        Some(b'}' | b']' | b',' | b':') => Err(ScanError::at(i, "expected a value")),
        Some(_) => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n')
            {
                j += 1;
            }
            Ok(j)
        }
    }
}

/// The text of a JSON string value without its quotes, when it has no escapes; `None` for a
/// string with escapes or a value that is not a string.
pub fn plain_str(value: &str) -> Option<&str> {
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    if inner.as_bytes().contains(&b'\\') {
        None
    } else {
        Some(inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(line: &str) -> Result<Vec<(String, String, usize)>, ScanError> {
        let mut out = Vec::new();
        for_each_member(line, |k, v, at| {
            out.push((k.to_owned(), v.to_owned(), at));
            Ok::<(), ScanError>(())
        })?;
        Ok(out)
    }

    #[test]
    fn members_and_offsets() {
        let got = members(r#" {"a":1, "b" : "x\"}y" ,"c":{"d":[1,{"e":"]"}]},"f":null} "#).unwrap();
        let keys: Vec<_> = got.iter().map(|(k, v, _)| format!("{k}={v}")).collect();
        assert_eq!(
            keys,
            ["a=1", r#"b="x\"}y""#, r#"c={"d":[1,{"e":"]"}]}"#, "f=null"]
        );
        assert_eq!(got[0].2, 6);
        assert_eq!(members("{}").unwrap(), vec![]);
    }

    #[test]
    fn errors_say_where() {
        assert_eq!(members("[1]").unwrap_err().offset, 0);
        let e = members(r#"{"a":"unterminated"#).unwrap_err();
        assert!(e.eof);
        let e = members(r#"{"a":{"b":[1,2}"#).unwrap_err();
        assert!(e.eof);
        let e = members(r#"{"a":1 "b":2}"#).unwrap_err();
        assert_eq!((e.offset, e.eof), (7, false));
        let e = members(r#"{"a":1} x"#).unwrap_err();
        assert_eq!(e.offset, 8);
        let e = members(r#"{"a":}"#).unwrap_err();
        assert_eq!(e.offset, 5);
        assert!(members("").unwrap_err().eof);
        assert!(members(r#"{"a\"#).unwrap_err().eof);
    }

    #[test]
    fn quote_search_agrees_with_memchr_at_every_length_and_position() {
        for len in 0..80 {
            for at in 0..len {
                let mut b = vec![b'x'; len];
                b[at] = b'"';
                // `#` is `"` ^ 1: a search flagging more than the exact byte would stop there.
                if at > 0 {
                    b[at - 1] = b'#';
                }
                for from in 0..=at {
                    assert_eq!(
                        find_quote(&b, from),
                        Some(at),
                        "len {len} at {at} from {from}"
                    );
                }
            }
            assert_eq!(find_quote(&vec![b'x'; len], 0), None);
        }
    }

    /// The byte-by-byte meaning of a JSON string's end, to hold the fast search to.
    fn reference_string_end(b: &[u8], i: usize) -> Option<usize> {
        let mut j = i + 1;
        while j < b.len() {
            match b[j] {
                b'\\' => j += 2,
                b'"' => return Some(j + 1),
                _ => j += 1,
            }
        }
        None
    }

    #[test]
    fn string_end_agrees_with_a_byte_by_byte_reading() {
        // Bytes next to the needles in value (`#` = `"`^1, `]` = `\\`^1) catch a search that
        // flags more than the exact bytes; high bytes catch sign mistakes.
        let alphabet = [b'x', b'"', b'\\', b'#', b']', 0x80, 0xff, b'\n'];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for case in 0..20_000 {
            let len = case % 160;
            let mut b = vec![b'"'];
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Mostly plain bytes, as in real strings, so the ends fall everywhere.
                let pick = (state % 40) as usize;
                b.push(if pick < alphabet.len() {
                    alphabet[pick]
                } else {
                    b'a'
                });
            }
            let want = reference_string_end(&b, 0);
            assert_eq!(
                skip_string(&b, 0).ok(),
                want,
                "{:?}",
                String::from_utf8_lossy(&b)
            );
        }
        for len in 0..80 {
            for at in 1..len {
                for needle in [b'"', b'\\'] {
                    let mut b = vec![b'x'; len];
                    b[0] = b'"';
                    b[at] = needle;
                    assert_eq!(skip_string(&b, 0).ok(), reference_string_end(&b, 0));
                }
            }
        }
    }

    #[test]
    fn elements_and_offsets() {
        let mut got = Vec::new();
        for_each_element(r#" [1, "a]\"", {"b":[2]} ,[]] "#, |v, at| {
            got.push((v.to_owned(), at));
            Ok::<(), ScanError>(())
        })
        .unwrap();
        assert_eq!(
            got,
            [
                ("1".to_owned(), 2),
                (r#""a]\"""#.to_owned(), 5),
                (r#"{"b":[2]}"#.to_owned(), 13),
                ("[]".to_owned(), 24)
            ]
        );
        let none = for_each_element("[]", |_, _| Err(ScanError::at(0, "called")));
        assert!(none.is_ok());
        let e = for_each_element("[1 2]", |_, _| Ok::<(), ScanError>(())).unwrap_err();
        assert_eq!(e.offset, 3);
        assert!(for_each_element("{}", |_, _| Ok::<(), ScanError>(())).is_err());
    }

    #[test]
    fn plain_strings() {
        assert_eq!(plain_str(r#""abc""#), Some("abc"));
        assert_eq!(plain_str(r#""a\nb""#), None);
        assert_eq!(plain_str("12"), None);
    }
}
