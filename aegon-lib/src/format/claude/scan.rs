//! A lenient scanner for the top level of a JSON object.
//!
//! Most bytes of a transcript line sit in members aegon never reads (`toolUseResult` alone holds
//! a quarter of them: whole files, patches, command output). [`for_each_member`] walks the top
//! level of an object and lends each member's key and value span, skipping over values without
//! decoding them. A string is read 16 bytes at a time as SIMD bit masks of its quotes and
//! backslashes (the `wide` crate): the first chunk settles most strings (keys, ids,
//! timestamps), and in longer ones the escaped bytes follow from the runs of backslashes by
//! simdjson's arithmetic (a quote after an odd run is escaped), without a loop over the bytes.
//! A skipped object or array is read 64 bytes at a time as simdjson reads a document: masks of
//! the block's quotes, backslashes and brackets (four 16-byte compares each), the escaped bytes
//! from the runs of backslashes and the bytes inside strings by a prefix xor of the unescaped
//! quotes (both carried from block to block), nesting counted by popcounts of the brackets
//! outside strings; only a block that may close the value is walked bracket by bracket, without
//! a branch on which kind. A block wholly inside one string (no unescaped quote) costs only its
//! quote and backslash masks. So a value full of short strings (`structuredPatch` lines, text
//! blocks) costs no data-dependent branch per string or bracket, where a walk from one quote or
//! bracket to the next mispredicted on most of them. A value with a backslash outside its
//! strings (not JSON) is walked that way instead, since the masks would read it as an escape.
//! The caller parses only the values it wants (with serde, from the lent slice).
//!
//! Lenient by design: a skipped value is checked for balanced strings and brackets, not for
//! being valid JSON in every detail (`tru` in an ignored member is not noticed). A truncated
//! line, an unterminated string or unbalanced brackets are errors, with their byte offset.

use wide::u8x16;

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
    member: impl FnMut(&'a str, usize) -> Result<usize, E>,
) -> Result<(), E>
where
    E: From<ScanError>,
{
    let b = line.as_bytes();
    let end = object_end_by_members(line, skip_ws(b, 0), member)?;
    trailing(b, end).map_err(E::from)
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
    let end = array_end_by_elements(text, skip_ws(b, 0), |at| -> Result<usize, E> {
        let end = skip_value(b, at)?;
        element(&text[at..end], at)?;
        Ok(end)
    })?;
    trailing(b, end).map_err(E::from)
}

/// Walks the object that starts at byte `at` of `line` (`line[at]` is `{`), member by member,
/// as [`for_each_member_at`] walks a line: `member(key, value_at)` is given each key (its text
/// between the quotes, escapes as written) and the offset where its value starts, and returns
/// the offset just past the value (by [`value_end`], or by reading the value itself, an object
/// inside through this same function). Returns the offset just past the object's closing brace,
/// so a caller walking the enclosing object goes on from there without passing over it again;
/// what follows is not looked at. Stops at the first error, the scanner's or `member`'s.
pub fn object_end_by_members<'a, E>(
    line: &'a str,
    at: usize,
    mut member: impl FnMut(&'a str, usize) -> Result<usize, E>,
) -> Result<usize, E>
where
    E: From<ScanError>,
{
    let b = line.as_bytes();
    let mut i = at;
    match b.get(i) {
        Some(b'{') => i = skip_ws(b, i + 1),
        Some(_) => return Err(ScanError::at(i, "expected a JSON object").into()),
        None => return Err(ScanError::eof(i, "expected a JSON object").into()),
    }
    if b.get(i) == Some(&b'}') {
        return Ok(i + 1);
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
            Some(b'}') => return Ok(i + 1),
            Some(_) => return Err(ScanError::at(i, "expected ',' or '}'").into()),
            None => return Err(ScanError::eof(i, "expected ',' or '}'").into()),
        }
    }
}

/// Walks the array that starts at byte `at` of `line` (`line[at]` is `[`), element by element:
/// `element(value_at)` is given the offset where each element starts and returns the offset
/// just past it (as for [`object_end_by_members`]). Returns the offset just past the closing
/// bracket; what follows is not looked at. Stops at the first error, the scanner's or
/// `element`'s.
pub fn array_end_by_elements<E>(
    line: &str,
    at: usize,
    mut element: impl FnMut(usize) -> Result<usize, E>,
) -> Result<usize, E>
where
    E: From<ScanError>,
{
    let b = line.as_bytes();
    let mut i = at;
    match b.get(i) {
        Some(b'[') => i = skip_ws(b, i + 1),
        Some(_) => return Err(ScanError::at(i, "expected a JSON array").into()),
        None => return Err(ScanError::eof(i, "expected a JSON array").into()),
    }
    if b.get(i) == Some(&b']') {
        return Ok(i + 1);
    }
    loop {
        if b.get(i).is_none() {
            return Err(ScanError::eof(i, "expected a value").into());
        }
        let value_end = element(i)?;
        i = skip_ws(b, value_end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b']') => return Ok(i + 1),
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

/// The offset of the first byte from `i` on that is not JSON whitespace (space, `\t`, `\n`,
/// `\r`), or the line's end. Called four times a member (after the key, the colon, the value,
/// the comma), almost always at a byte that is no whitespace (Claude Code writes compact JSON):
/// one compare settles that case (whitespace is below `!`), and only a byte at or below a space
/// is looked at further, out of line.
#[inline(always)]
fn skip_ws(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(&c) if c <= b' ' => skip_ws_from(b, i),
        _ => i,
    }
}

/// [`skip_ws`] past its first byte.
#[inline(never)]
fn skip_ws_from(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// `b[i]` is `"`: returns the offset just past the closing quote.
///
/// A quote preceded by an odd run of backslashes is escaped, any other ends the string. The
/// string is read 16 bytes at a time as SIMD bit masks of its quotes and backslashes
/// ([`string_masks`]): most strings (keys, ids, timestamps) end in the first 16 bytes, at a
/// quote with no backslash before it; a longer one (file contents, command output, with `\n`
/// and `\"` on every line) goes on 16 bytes at a time, its escaped bytes found from the runs
/// of backslashes ([`escaped16`]), so neither escapes nor escaped quotes interrupt the search.
/// The last bytes of a line, fewer than 16, are read one at a time (a load never reads past
/// the slice).
fn skip_string(b: &[u8], i: usize) -> Result<usize, ScanError> {
    let mut at = i + 1;
    // 1 when the byte at `at` is escaped (the chunk before ended in an odd run of backslashes).
    let mut carry = 0u32;
    while let Some(chunk) = b.get(at..).and_then(<[u8]>::first_chunk::<16>) {
        let (quote, backslash) = string_masks(chunk);
        let ends = if backslash | carry == 0 {
            quote
        } else {
            quote & !escaped16(backslash, &mut carry)
        };
        if ends != 0 {
            return Ok(at + ends.trailing_zeros() as usize + 1);
        }
        at += 16;
    }
    let mut j = at + carry as usize;
    while let Some(&c) = b.get(j) {
        match c {
            b'\\' => j += 2,
            b'"' => return Ok(j + 1),
            _ => j += 1,
        }
    }
    Err(ScanError::eof(b.len(), "unterminated string"))
}

/// The quotes and the backslashes of 16 bytes, as bits (bit `k` for byte `k`).
#[inline]
fn string_masks(chunk: &[u8; 16]) -> (u32, u32) {
    let v = u8x16::new(*chunk);
    let bits = |x: u8x16| u32::from(x.move_mask() as u16);
    (
        bits(v.cmp_eq(u8x16::splat(b'"'))),
        bits(v.cmp_eq(u8x16::splat(b'\\'))),
    )
}

/// The escaped bytes of 16 whose backslashes are `backslash` (a byte after an odd run of
/// backslashes), by simdjson's arithmetic, without a loop over the runs: adding the starts of
/// the runs that begin on an odd bit to the backslashes carries each such run off its end,
/// and the parity of where a run ends, against the even bits, says whether the byte after it
/// is escaped. `carry` is 1 when the first byte is escaped (the chunk before ended in an odd
/// run), and becomes 1 when this chunk so ends.
#[inline]
fn escaped16(backslash: u32, carry: &mut u32) -> u32 {
    const EVEN: u32 = 0x5555;
    let backslash = backslash & !*carry;
    let follows_escape = (backslash << 1) | *carry;
    let odd_starts = backslash & !EVEN & !follows_escape;
    // A run starting at an odd bit carries past its end; one reaching bit 15 carries into bit
    // 16, the next chunk's first byte.
    let even_starts = odd_starts + backslash;
    *carry = (even_starts >> 16) & 1;
    let invert = even_starts << 1;
    (EVEN ^ invert) & follows_escape & 0xffff
}

/// `b[i]` is `{` or `[`: the offset just past the bracket that closes it.
///
/// Read 64 bytes at a time as simdjson reads a document ([`block_at`]): bit masks of the
/// block's quotes and backslashes ([`string_masks64`]); the escaped bytes from the runs of
/// backslashes ([`escaped64`], carried between blocks); a block that lies wholly inside one
/// string (no unescaped quote, begun inside a string: file contents, command output) is
/// passed over with no more work. Otherwise the bytes inside strings follow by a prefix xor
/// of the unescaped quotes ([`prefix_xor`], carried between blocks), and the brackets outside
/// them ([`bracket_masks64`]) are counted by popcounts. Only a block whose closing brackets
/// could bring the depth to 0 is walked bracket by bracket (branch-free on which kind) to find
/// the one that does. So a value full of short strings costs no branch per string or per
/// bracket, where a walk from one quote or bracket to the next mispredicts on most of them.
///
/// A backslash outside strings (not JSON) would be read by the masks as an escape where the
/// byte-by-byte reading passes over it: the first such backslash is seen in its block (up to
/// it the two readings agree, so the masks place it outside strings), and the value is then
/// read again by [`skip_container_by_structure`], which passes over it.
fn skip_container(b: &[u8], i: usize) -> Result<usize, ScanError> {
    match skip_container_by_blocks(b, i) {
        Some(end) => end,
        None => skip_container_by_structure(b, i),
    }
}

/// [`skip_container`] by 64-byte blocks; `None` at a backslash outside strings.
#[inline]
fn skip_container_by_blocks(b: &[u8], i: usize) -> Option<Result<usize, ScanError>> {
    let mut at = i;
    // Nesting before the block at `at`.
    let mut depth = 0usize;
    // 1 when the byte at `at` is escaped.
    let mut escape_carry = 0u64;
    // All ones when the byte at `at` is inside a string.
    let mut string_carry = 0u64;
    let mut padded = [b' '; 64];
    while at < b.len() {
        let (block, shift) = block_at(b, at, &mut padded);
        let (quote, backslash) = string_masks64(block);
        let (quote, backslash) = (quote >> shift, backslash >> shift);
        let escaped = if backslash | escape_carry == 0 {
            0
        } else {
            escaped64(backslash, &mut escape_carry)
        };
        let quote = quote & !escaped;
        if quote == 0 && string_carry != 0 {
            // The whole block inside one string (file contents, command output): no bracket
            // of it counts, so its bracket masks are not built.
            at += 64;
            continue;
        }
        let inside = prefix_xor(quote) ^ string_carry;
        string_carry = ((inside as i64) >> 63) as u64;
        if backslash & !inside != 0 {
            return None;
        }
        let (open, close) = bracket_masks64(block);
        let open = (open >> shift) & !inside;
        let close = (close >> shift) & !inside;
        let closes = close.count_ones() as usize;
        if closes >= depth {
            let mut d = depth;
            let mut brackets = open | close;
            while brackets != 0 {
                let k = brackets.trailing_zeros();
                // +1 for an opening bracket, -1 for a closing one, without a branch on which.
                d = (d + 1).wrapping_sub(((close >> k) & 1) as usize * 2);
                if d == 0 {
                    return Some(Ok(at + k as usize + 1));
                }
                brackets &= brackets - 1;
            }
            depth = d;
        } else {
            depth = depth + open.count_ones() as usize - closes;
        }
        at += 64;
    }
    Some(Err(ScanError::eof(
        b.len(),
        if string_carry != 0 {
            "unterminated string"
        } else {
            "unterminated object or array"
        },
    )))
}

/// The 64 bytes from `b[at]` (`at < b.len()`) as a block and the shift that brings bit `k`
/// of its masks to `b[at + k]`, with no bits past the line's end. A load never reads past the
/// slice: near the end of a line of 64 bytes or more, the line's last 64 bytes, whose masks
/// are shifted down to `at`; a shorter line is copied into `padded` (spaces, no bits).
#[inline]
fn block_at<'b>(b: &'b [u8], at: usize, padded: &'b mut [u8; 64]) -> (&'b [u8; 64], u32) {
    if let Some(block) = b.get(at..).and_then(<[u8]>::first_chunk::<64>) {
        return (block, 0);
    }
    if let Some(last) = b.last_chunk::<64>() {
        // `at` is within the last 64 bytes: 1 ..= 63 bytes of them lie before it.
        return (last, (at + 64 - b.len()) as u32);
    }
    let rest = b.get(at..).unwrap_or_default();
    if let Some(head) = padded.get_mut(..rest.len()) {
        head.copy_from_slice(rest);
    }
    (padded, 0)
}

/// The 16-byte chunks of a block, as SIMD vectors.
#[inline]
fn chunks64(block: &[u8; 64]) -> [u8x16; 4] {
    let chunk = |k: usize| {
        let mut c = [0u8; 16];
        c.copy_from_slice(&block[16 * k..16 * k + 16]);
        u8x16::new(c)
    };
    [chunk(0), chunk(1), chunk(2), chunk(3)]
}

/// The bytes of a block where a compare of its 16-byte chunks holds, as bits (bit `k` for
/// byte `k`).
#[inline]
fn mask64(block: &[u8; 64], hit: impl Fn(u8x16) -> u8x16) -> u64 {
    let [a, b, c, d] = chunks64(block).map(|v| u64::from(hit(v).move_mask() as u16));
    a | (b << 16) | (c << 32) | (d << 48)
}

/// The quotes and the backslashes of a block, as bits (bit `k` for byte `k`).
#[inline]
fn string_masks64(block: &[u8; 64]) -> (u64, u64) {
    (
        mask64(block, |v| v.cmp_eq(u8x16::splat(b'"'))),
        mask64(block, |v| v.cmp_eq(u8x16::splat(b'\\'))),
    )
}

/// The opening (`{`, `[`) and closing (`}`, `]`) brackets of a block, as bits.
#[inline]
fn bracket_masks64(block: &[u8; 64]) -> (u64, u64) {
    // `[` | 0x20 is `{`, `]` | 0x20 is `}`; no other byte becomes either.
    let folded = |v: u8x16| v | u8x16::splat(0x20);
    (
        mask64(block, |v| folded(v).cmp_eq(u8x16::splat(b'{'))),
        mask64(block, |v| folded(v).cmp_eq(u8x16::splat(b'}'))),
    )
}

/// [`escaped16`] on 64 bits: the escaped bytes of a block whose backslashes are `backslash`;
/// `carry` is 1 when the block's first byte is escaped, and becomes 1 when the block ends in
/// an odd run of backslashes (the add carries off bit 63).
#[inline]
fn escaped64(backslash: u64, carry: &mut u64) -> u64 {
    const EVEN: u64 = 0x5555_5555_5555_5555;
    let backslash = backslash & !*carry;
    let follows_escape = (backslash << 1) | *carry;
    let odd_starts = backslash & !EVEN & !follows_escape;
    let (even_starts, overflow) = odd_starts.overflowing_add(backslash);
    *carry = u64::from(overflow);
    let invert = even_starts << 1;
    (EVEN ^ invert) & follows_escape
}

/// Bit `k` of the result is the xor of bits `0..=k` of `x`: given a block's unescaped
/// quotes, the bytes inside strings (an opening quote and what follows it, up to but not
/// including the closing quote).
#[inline]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// [`skip_container`] by the structure alone, for a value with a backslash outside its
/// strings.
///
/// Only the structure is visited: the next quote or bracket is found 16 bytes at a time by a
/// SIMD bit mask ([`structure_mask`]; fewer than 16 bytes at the line's end one at a time); a
/// quote starts a string, passed over by [`skip_string`] (most bytes of a skipped value sit in
/// its strings: file contents, patches, command output), a bracket opens or closes a level.
/// Any other byte outside strings (a backslash too, which is not JSON) is passed over.
fn skip_container_by_structure(b: &[u8], i: usize) -> Result<usize, ScanError> {
    let mut depth = 0usize;
    let mut at = i;
    loop {
        let k = if let Some(chunk) = b.get(at..).and_then(<[u8]>::first_chunk::<16>) {
            let hits = structure_mask(chunk);
            if hits == 0 {
                at += 16;
                continue;
            }
            at + hits.trailing_zeros() as usize
        } else {
            let rest = b.get(at..).unwrap_or_default();
            match rest
                .iter()
                .position(|c| matches!(c, b'"' | b'{' | b'[' | b'}' | b']'))
            {
                Some(k) => at + k,
                None => return Err(ScanError::eof(b.len(), "unterminated object or array")),
            }
        };
        match b.get(k) {
            Some(b'"') => at = skip_string(b, k)?,
            Some(b'{' | b'[') => {
                depth += 1;
                at = k + 1;
            }
            _ => {
                depth -= 1;
                if depth == 0 {
                    return Ok(k + 1);
                }
                at = k + 1;
            }
        }
    }
}

/// The quotes and brackets of 16 bytes, as bits (bit `k` for byte `k`).
#[inline]
fn structure_mask(chunk: &[u8; 16]) -> u32 {
    let v = u8x16::new(*chunk);
    // `[` | 0x20 is `{`, `]` | 0x20 is `}`; no other byte becomes either.
    let folded = v | u8x16::splat(0x20);
    let hits = v.cmp_eq(u8x16::splat(b'"'))
        | folded.cmp_eq(u8x16::splat(b'{'))
        | folded.cmp_eq(u8x16::splat(b'}'));
    u32::from(hits.move_mask() as u16)
}

/// Returns the offset just past the value starting at `b[i]`.
fn skip_value(b: &[u8], i: usize) -> Result<usize, ScanError> {
    match b.get(i) {
        None => Err(ScanError::eof(i, "expected a value")),
        Some(b'"') => skip_string(b, i),
        Some(b'{' | b'[') => skip_container(b, i),
        Some(b'}' | b']' | b',' | b':') => Err(ScanError::at(i, "expected a value")),
        Some(_) => {
            let mut j = i;
            while let Some(&c) = b.get(j) {
                if ENDS_TOKEN[usize::from(c)] {
                    break;
                }
                j += 1;
            }
            Ok(j)
        }
    }
}

/// The bytes that end a number or a literal (`true`, `null`): what may follow a value.
const ENDS_TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    t[b',' as usize] = true;
    t[b'}' as usize] = true;
    t[b']' as usize] = true;
    t[b' ' as usize] = true;
    t[b'\t' as usize] = true;
    t[b'\r' as usize] = true;
    t[b'\n' as usize] = true;
    t
};

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
    use crate::render::text::{test_picker, test_words};

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
    fn string_masks_are_exactly_quotes_and_backslashes() {
        for byte in 0..=255u8 {
            let want = (u32::from(byte == b'"'), u32::from(byte == b'\\'));
            for k in 0..16 {
                let mut chunk = [b'a'; 16];
                chunk[k] = byte;
                assert_eq!(
                    string_masks(&chunk),
                    (want.0 << k, want.1 << k),
                    "byte {byte:#04x} at {k}"
                );
            }
        }
    }

    /// Every placement of backslashes in 16 bytes, with and without an escape carried in: the
    /// escaped bytes and the carry out agree with a walk that takes a backslash and the byte
    /// after it as a pair.
    #[test]
    fn escaped16_agrees_with_a_byte_by_byte_reading_for_every_mask() {
        for backslash in 0..=0xffffu32 {
            for carry_in in 0..2u32 {
                let (mut want, mut k) = (0u32, carry_in);
                if carry_in == 1 {
                    want |= 1;
                }
                while k < 16 {
                    if backslash >> k & 1 == 1 {
                        want |= 2 << k;
                        k += 2;
                    } else {
                        k += 1;
                    }
                }
                let mut carry = carry_in;
                let got = escaped16(backslash, &mut carry);
                assert_eq!(got, want & 0xffff, "{backslash:#06x} carry {carry_in}");
                assert_eq!(
                    carry,
                    u32::from(k == 17),
                    "{backslash:#06x} carry {carry_in}"
                );
            }
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

    /// Random test bytes from `pick` (the crate's [`test_picker`]): mostly `a`, one of
    /// `alphabet` one time in `1 + plain_weight / alphabet.len()`.
    fn random_bytes(
        pick: &mut impl FnMut(usize) -> usize,
        len: usize,
        alphabet: &[u8],
        plain_weight: usize,
    ) -> Vec<u8> {
        (0..len)
            .map(|_| {
                let i = pick(alphabet.len() + plain_weight);
                alphabet.get(i).copied().unwrap_or(b'a')
            })
            .collect()
    }

    #[test]
    fn string_end_agrees_with_a_byte_by_byte_reading() {
        // Bytes next to the needles in value (`#` = `"`^1, `]` = `\\`^1) catch a search that
        // flags more than the exact bytes; high bytes catch sign mistakes. Lengths up to 400
        // put the ends, and runs of backslashes, across several 64-byte blocks.
        let alphabet = [b'x', b'"', b'\\', b'#', b']', 0x80, 0xff, b'\n'];
        let mut pick = test_picker(0x2545_f491_4f6c_dd1d);
        for case in 0..40_000 {
            let len = case % 400;
            // Sparse needles (long strings read by masks) and dense ones (long backslash runs).
            let weight = if case % 3 == 0 { 4 } else { 200 };
            let mut b = vec![b'"'];
            b.extend(random_bytes(&mut pick, len, &alphabet, weight));
            let want = reference_string_end(&b, 0);
            assert_eq!(
                skip_string(&b, 0).ok(),
                want,
                "{:?}",
                String::from_utf8_lossy(&b)
            );
        }
        for len in 0..200 {
            for at in 1..len {
                for needle in [b'"', b'\\'] {
                    let mut b = vec![b'x'; len];
                    b[0] = b'"';
                    b[at] = needle;
                    assert_eq!(skip_string(&b, 0).ok(), reference_string_end(&b, 0));
                }
            }
        }
        // A run of backslashes ending exactly at a block's end, before a quote.
        for run in 0..140 {
            for lead in 0..70 {
                let mut b = vec![b'"'];
                b.extend(std::iter::repeat_n(b'a', lead));
                b.extend(std::iter::repeat_n(b'\\', run));
                b.extend_from_slice(b"\"tail\"");
                assert_eq!(skip_string(&b, 0).ok(), reference_string_end(&b, 0));
            }
        }
    }

    /// Escapes and runs of backslashes at every offset around the 16-byte chunks, in a string
    /// that starts at several offsets of its line, and the line cut short at every length
    /// (in the middle of an escape too): the chunks, the carry between them and the last bytes
    /// read one at a time agree with the byte-by-byte reading.
    #[test]
    fn string_end_agrees_at_every_offset_and_every_cut() {
        let bodies: [&[u8]; 9] = [
            b"\\\"",
            b"\\\\",
            b"\\n",
            b"\\\\\\\"",
            b"\\\\\\\\",
            b"\\",
            b"\"",
            b"\\\\\"",
            b"\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\",
        ];
        for prefix in [&b""[..], b"{", b"{\"key\":"] {
            for lead in 0..40 {
                for body in bodies {
                    for trail in [0, 1, 15, 16, 17] {
                        let mut b = prefix.to_vec();
                        b.push(b'"');
                        b.extend(std::iter::repeat_n(b'a', lead));
                        b.extend_from_slice(body);
                        b.extend(std::iter::repeat_n(b'b', trail));
                        b.extend_from_slice(b"\"}");
                        let i = prefix.len();
                        for cut in i + 1..=b.len() {
                            let line = &b[..cut];
                            let got = skip_string(line, i);
                            assert_eq!(
                                got.as_ref().ok().copied(),
                                reference_string_end(line, i),
                                "{:?}",
                                String::from_utf8_lossy(line)
                            );
                            if let Err(e) = got {
                                assert_eq!((e.offset, e.eof), (cut, true));
                            }
                        }
                    }
                }
            }
        }
    }

    /// The byte-by-byte meaning of a bracketed value's end, to hold the masks to: brackets
    /// counted outside strings, strings read by [`reference_string_end`], anything else passed
    /// over (a backslash outside a string included).
    fn reference_value_end(b: &[u8], i: usize) -> Result<usize, (usize, &'static str)> {
        let mut depth = 0usize;
        let mut j = i;
        while j < b.len() {
            match b[j] {
                b'"' => match reference_string_end(b, j) {
                    Some(end) => {
                        j = end;
                        continue;
                    }
                    None => return Err((b.len(), "unterminated string")),
                },
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
        Err((b.len(), "unterminated object or array"))
    }

    #[test]
    fn structure_mask_is_exactly_quotes_and_brackets() {
        for byte in 0..=255u8 {
            let want = u32::from(matches!(byte, b'"' | b'{' | b'[' | b'}' | b']'));
            for k in 0..16 {
                let mut chunk = [b'a'; 16];
                chunk[k] = byte;
                assert_eq!(structure_mask(&chunk), want << k, "byte {byte:#04x} at {k}");
            }
        }
    }

    /// A real-shaped value (keys, nested levels, strings with escaped quotes and brackets, a
    /// backslash outside strings) at every offset of its line and cut short at every length:
    /// the 16-byte chunks and the last bytes read one at a time agree with the byte-by-byte
    /// reading, errors and their offsets too.
    #[test]
    fn bracketed_value_end_agrees_at_every_offset_and_every_cut() {
        let value = br#"{"type":"text","a":[1,{"b":"x\"]}\\"},[],{}],"c":{"d":"{[\"\n"}, "e" : [ "]" ] ,"f":\}"#;
        for lead in 0..20 {
            let mut b = vec![b' '; lead];
            b.extend_from_slice(value);
            b.extend_from_slice(b",\"g\":1}");
            for cut in lead + 1..=b.len() {
                let line = &b[..cut];
                let want = reference_value_end(line, lead);
                let got = skip_value(line, lead).map_err(|e| (e.offset, e.message));
                assert_eq!(got, want, "{:?}", String::from_utf8_lossy(line));
            }
        }
    }

    #[test]
    fn bracketed_value_end_agrees_with_a_byte_by_byte_reading() {
        // `{` ^ 0x20 = `[`, `}` ^ 0x20 = `]`; `;`/`=` and `{`/`}` - 0x20 next to them catch a
        // folded compare that takes more than the four brackets.
        let alphabet = [
            b'{', b'}', b'[', b']', b'"', b'\\', b'"', b'{', b'}', b';', b'=', b'\n', 0xfb, 0xdd,
        ];
        let mut pick = test_picker(0x9e37_79b9_7f4a_7c15);
        for case in 0..40_000 {
            let len = case % 500;
            let weight = [2, 30, 300][case % 3];
            let mut b = vec![if case % 2 == 0 { b'{' } else { b'[' }];
            b.extend(random_bytes(&mut pick, len, &alphabet, weight));
            let want = reference_value_end(&b, 0);
            let got = skip_value(&b, 0).map_err(|e| (e.offset, e.message));
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&b));
        }
    }

    /// `b` with each backslash that stands outside strings (by the byte-by-byte reading)
    /// replaced by `x`, so the 64-byte blocks read all of it.
    fn without_stray_backslashes(mut b: Vec<u8>) -> Vec<u8> {
        let mut j = 0;
        while j < b.len() {
            match b[j] {
                b'"' => match reference_string_end(&b, j) {
                    Some(end) => j = end,
                    None => break,
                },
                b'\\' => {
                    b[j] = b'x';
                    j += 1;
                }
                _ => j += 1,
            }
        }
        b
    }

    /// The quotes, backslashes, opening and closing brackets of 64 bytes, as bits.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Masks {
        quote: u64,
        backslash: u64,
        open: u64,
        close: u64,
    }

    fn masks64(block: &[u8; 64]) -> Masks {
        let (quote, backslash) = string_masks64(block);
        let (open, close) = bracket_masks64(block);
        Masks {
            quote,
            backslash,
            open,
            close,
        }
    }

    /// The masks of the 64 bytes from `b[at]` as [`skip_container_by_blocks`] reads them.
    fn block_masks(b: &[u8], at: usize) -> Masks {
        let mut padded = [b' '; 64];
        let (block, shift) = block_at(b, at, &mut padded);
        let m = masks64(block);
        Masks {
            quote: m.quote >> shift,
            backslash: m.backslash >> shift,
            open: m.open >> shift,
            close: m.close >> shift,
        }
    }

    #[test]
    fn masks64_are_exactly_quotes_backslashes_and_brackets() {
        for byte in 0..=255u8 {
            let bit = |on: bool| u64::from(on);
            let want = Masks {
                quote: bit(byte == b'"'),
                backslash: bit(byte == b'\\'),
                open: bit(matches!(byte, b'{' | b'[')),
                close: bit(matches!(byte, b'}' | b']')),
            };
            for k in 0..64 {
                let mut block = [b'a'; 64];
                block[k] = byte;
                let shifted = Masks {
                    quote: want.quote << k,
                    backslash: want.backslash << k,
                    open: want.open << k,
                    close: want.close << k,
                };
                assert_eq!(masks64(&block), shifted, "byte {byte:#04x} at {k}");
            }
        }
    }

    /// The masks from every offset of lines of every length up to 140 (shorter than a block,
    /// one block, several): bit `k` for byte `at + k`, nothing past the line's end, by all
    /// three loads (a whole block, the line's last block shifted, a padded copy).
    #[test]
    fn block_masks_agree_with_the_bytes_at_every_offset() {
        let alphabet = [b'"', b'\\', b'{', b'}', b'[', b']', b' '];
        let mut pick = test_picker(0x1234_5678_9abc_def1);
        for len in 0..=140 {
            let b = random_bytes(&mut pick, len, &alphabet, 7);
            for at in 0..len {
                let mut want = Masks {
                    quote: 0,
                    backslash: 0,
                    open: 0,
                    close: 0,
                };
                for (k, &c) in b[at..].iter().take(64).enumerate() {
                    want.quote |= u64::from(c == b'"') << k;
                    want.backslash |= u64::from(c == b'\\') << k;
                    want.open |= u64::from(matches!(c, b'{' | b'[')) << k;
                    want.close |= u64::from(matches!(c, b'}' | b']')) << k;
                }
                assert_eq!(block_masks(&b, at), want, "len {len} at {at}");
            }
        }
    }

    /// Escaped bytes and the carry out of 64 bits agree with a walk that takes a backslash
    /// and the byte after it as a pair: random masks of every density, runs of backslashes
    /// reaching bit 63 (the carry into the next block), with and without an escape carried in.
    #[test]
    fn escaped64_agrees_with_a_byte_by_byte_reading() {
        let mut next = test_words(0x0ddc_0ffe_e0dd_f00d);
        for case in 0..200_000u32 {
            let r = next();
            let backslash = match case % 5 {
                0 => r,
                1 => r & next(),
                2 => r | next(),
                3 => r & next() & next(),
                // A run of backslashes up to bit 63, of every length.
                _ => (r & !(u64::MAX << (case % 64))) | (u64::MAX << (case / 5 % 64)),
            };
            for carry_in in 0..2u64 {
                let (mut want, mut k) = (carry_in, carry_in);
                while k < 64 {
                    if backslash >> k & 1 == 1 {
                        if k < 63 {
                            want |= 2 << k;
                        }
                        k += 2;
                    } else {
                        k += 1;
                    }
                }
                let mut carry = carry_in;
                let got = escaped64(backslash, &mut carry);
                assert_eq!(got, want, "{backslash:#018x} carry {carry_in}");
                assert_eq!(
                    carry,
                    u64::from(k == 65),
                    "{backslash:#018x} carry {carry_in}"
                );
            }
        }
    }

    #[test]
    fn prefix_xor_is_the_parity_of_the_bits_up_to_each() {
        let mut pick = test_picker(0x5eed_5eed_5eed_5eed);
        for _ in 0..10_000 {
            let bits = random_bytes(&mut pick, 8, &[0xff, 0x01, 0x80], 2);
            let x = u64::from_le_bytes(bits.try_into().unwrap());
            let mut want = 0u64;
            let mut parity = 0u64;
            for k in 0..64 {
                parity ^= x >> k & 1;
                want |= parity << k;
            }
            assert_eq!(prefix_xor(x), want, "{x:#018x}");
        }
    }

    /// Values whose strings, escape runs, nesting and closing bracket fall on every offset
    /// around the 64-byte blocks (a closing bracket at bit 63 and at bit 0, depth back to 0
    /// mid-block, a string or a run of backslashes across a block's end, nesting deeper than
    /// a block's 64 closing brackets), starting at several offsets of their line, the line
    /// cut short at every length (so the last block is every length from 1 to 64, shorter
    /// lines than a block too): the blocks and the structure walk both agree with the
    /// byte-by-byte reading, errors and their offsets too.
    #[test]
    fn bracketed_value_end_agrees_around_every_block_boundary_and_every_cut() {
        let deep = format!("{}\"]\\\"\"{}", "[".repeat(70), "]".repeat(70));
        let bodies: [&[u8]; 8] = [
            b"",
            br#","a":[1,{"b":"x\"]}\\"},[],{}]"#,
            br#","s":"\\\\\\\\\\\\\\\"}""#,
            br#","t":"\\\\\\\\\\\\\\\\"}"#,
            b",[[[]]],{}",
            br#","u":"{[\"]}\n""#,
            br#"}"#,
            deep.as_bytes(),
        ];
        for lead in [0, 1, 30, 64, 70] {
            for pad in 0..=130 {
                for body in bodies {
                    let mut b = vec![b' '; lead];
                    b.extend_from_slice(b"{\"k\":\"");
                    b.extend(std::iter::repeat_n(b'p', pad));
                    b.push(b'"');
                    b.extend_from_slice(body);
                    b.extend_from_slice(b"}, \"g\":1}");
                    for cut in lead + 1..=b.len() {
                        let line = &b[..cut];
                        let want = reference_value_end(line, lead);
                        let by_blocks = skip_container_by_blocks(line, lead)
                            .map(|r| r.map_err(|e| (e.offset, e.message)));
                        assert_eq!(by_blocks, Some(want), "{:?}", String::from_utf8_lossy(line));
                        let walked = skip_container_by_structure(line, lead)
                            .map_err(|e| (e.offset, e.message));
                        assert_eq!(walked, want, "{:?}", String::from_utf8_lossy(line));
                    }
                }
            }
        }
    }

    /// Random bracketed values, with their stray backslashes (outside strings) kept, where the
    /// structure walk reads the value, and removed, where the blocks do: both agree with the
    /// byte-by-byte reading, and the blocks give up when a stray backslash comes before the
    /// value's end.
    #[test]
    fn bracketed_value_end_by_blocks_agrees_with_a_byte_by_byte_reading() {
        let alphabet = [
            b'{', b'}', b'[', b']', b'"', b'\\', b'"', b'{', b'}', b';', b'=', b'\n', 0xfb, 0xdd,
        ];
        let mut pick = test_picker(0x7f4a_7c15_9e37_79b9);
        for case in 0..40_000 {
            let len = case % 600;
            let weight = [2, 30, 300][case % 3];
            let mut raw = vec![if case % 2 == 0 { b'{' } else { b'[' }];
            raw.extend(random_bytes(&mut pick, len, &alphabet, weight));
            let clean = without_stray_backslashes(raw.clone());
            for b in [&raw, &clean] {
                let want = reference_value_end(b, 0);
                let end = match want {
                    Ok(end) => end,
                    Err(_) => b.len(),
                };
                let stray_before_end = without_stray_backslashes(b[..end].to_vec()) != b[..end];
                let stray = without_stray_backslashes(b.clone()) != *b;
                let by_blocks =
                    skip_container_by_blocks(b, 0).map(|r| r.map_err(|e| (e.offset, e.message)));
                let text = String::from_utf8_lossy(b);
                if stray_before_end {
                    assert_eq!(by_blocks, None, "{text:?}");
                } else if stray {
                    // One after the end, in the end's block, is seen too; the walk then decides.
                    assert!(by_blocks.is_none() || by_blocks == Some(want), "{text:?}");
                } else {
                    assert_eq!(by_blocks, Some(want), "{text:?}");
                }
                let walked = skip_container_by_structure(b, 0).map_err(|e| (e.offset, e.message));
                assert_eq!(walked, want, "{:?}", String::from_utf8_lossy(b));
            }
        }
    }

    /// Every object and array of every line of the real transcripts in fixtures/corpus (the
    /// top-level values aegon skips, tool inputs and results, message members, the line
    /// itself), skipped by blocks from where it starts: the end agrees with the byte-by-byte
    /// reading, and a line that is valid JSON (no backslash outside strings) is read by the
    /// blocks alone.
    #[test]
    fn real_values_end_by_blocks_where_the_byte_by_byte_reading_ends() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/corpus");
        let mut values = 0usize;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "jsonl") {
                continue;
            }
            let text = std::fs::read(&path).unwrap();
            for b in text.split(|&c| c == b'\n') {
                let valid = serde_json::from_slice::<serde::de::IgnoredAny>(b).is_ok();
                let mut j = 0;
                while j < b.len() {
                    match b[j] {
                        b'"' => match reference_string_end(b, j) {
                            Some(end) => j = end,
                            None => break,
                        },
                        b'{' | b'[' => {
                            let want = reference_value_end(b, j);
                            let got = skip_value(b, j).map_err(|e| (e.offset, e.message));
                            assert_eq!(got, want, "{} at {j}", path.display());
                            if valid {
                                let by_blocks = skip_container_by_blocks(b, j)
                                    .map(|r| r.map_err(|e| (e.offset, e.message)));
                                assert_eq!(by_blocks, Some(want), "{} at {j}", path.display());
                            }
                            values += 1;
                            j += 1;
                        }
                        _ => j += 1,
                    }
                }
            }
        }
        assert!(values > 10_000, "{values} values in {}", dir.display());
    }

    /// A number or literal ends at the first byte that may follow a value, or at the line's
    /// end; any other byte (a quote, a colon, a letter, a high byte) is part of it.
    #[test]
    fn token_ends_at_the_first_delimiter() {
        for byte in 0..=255u8 {
            let line = [b'1', b'2', byte, b'3'];
            let delimiter = matches!(byte, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n');
            let want = if delimiter { 2 } else { 4 };
            assert_eq!(skip_value(&line, 0), Ok(want), "byte {byte:#04x}");
            assert_eq!(skip_value(&line[..3], 1), Ok(if delimiter { 2 } else { 3 }));
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
    fn objects_and_arrays_walked_in_place_end_where_they_end() {
        let line = r#"{"m": {"a" : [1, {"b":"}"}], "c":"x\"]"} ,"n":2}"#;
        let at = line.find(": {").unwrap() + 2;
        let mut keys = Vec::new();
        let mut elements = Vec::new();
        let end = object_end_by_members(line, at, |k, v| {
            keys.push(k);
            if k == "a" {
                return array_end_by_elements(line, v, |e| {
                    let end = value_end(line, e)?;
                    elements.push(&line[e..end]);
                    Ok::<usize, ScanError>(end)
                });
            }
            value_end(line, v)
        })
        .unwrap();
        assert_eq!(keys, ["a", "c"]);
        assert_eq!(elements, ["1", r#"{"b":"}"}"#]);
        // Just past the message's `}`, where the enclosing walk goes on (`,"n":2}` remains).
        assert_eq!(&line[end..], r#" ,"n":2}"#);
        let skip = |line: &str| {
            object_end_by_members(line, 0, |_, v| value_end(line, v)).map_err(|e| e.offset)
        };
        assert_eq!(skip("{}x"), Ok(2));
        assert_eq!(skip(r#"{"a":1 "b":2}"#), Err(7));
        assert!(skip(r#"{"a":1"#).is_err());
        let items = |line: &str| array_end_by_elements(line, 0, |e| value_end(line, e));
        assert_eq!(items("[ ] tail"), Ok(3));
        assert_eq!(items("[1,[2]]"), Ok(7));
        assert_eq!(items("[1 2]").map_err(|e| e.offset), Err(3));
        assert!(items("[1,").unwrap_err().eof);
    }

    #[test]
    fn plain_strings() {
        assert_eq!(plain_str(r#""abc""#), Some("abc"));
        assert_eq!(plain_str(r#""a\nb""#), None);
        assert_eq!(plain_str("12"), None);
    }

    /// Whitespace is exactly space, tab, line feed and carriage return, skipped from every
    /// offset up to the line's end (form feed, vertical tab, NUL and the other bytes below a
    /// space are not whitespace).
    #[test]
    fn whitespace_is_what_json_calls_whitespace() {
        let some = [
            b' ', b'\t', b'\n', b'\r', 0x0b, 0x0c, 0, 0x1f, b'x', b'"', 0xc3,
        ];
        for a in 0..=255u8 {
            for b in some {
                for c in some {
                    let line = [a, b, c];
                    for i in 0..=line.len() {
                        let mut want = i;
                        while want < line.len() && b" \t\n\r".contains(&line[want]) {
                            want += 1;
                        }
                        assert_eq!(skip_ws(&line, i), want, "{line:?} from {i}");
                    }
                }
            }
        }
    }
}
