//! Reading the `timestamp` strings of transcript lines.
//!
//! Claude Code writes `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC, milliseconds). This parser also accepts
//! any number of fractional digits (or none), a lowercase `t`/`z`, a space instead of `T`, and a
//! `±HH:MM` offset, and returns `None` for anything else rather than guessing.

/// The system clock now, in milliseconds since the Unix epoch (0 before 1970).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Bytes of the longest timestamp [`parse_millis`] remembers (Claude Code's are 24).
const REMEMBERED_BYTES: usize = 32;

thread_local! {
    /// The last timestamp [`parse_millis`] read on this thread (its first and last 16 bytes,
    /// or its bytes zero-padded when shorter, and its length) and what it gave. An event's
    /// timestamp is read by the session core, the correlator and the renderers, each from
    /// the same text: three reads of about 280 instructions each were 5% of a summary of
    /// distinct history.
    static LAST_PARSED: std::cell::Cell<(Remembered, Option<i64>)> =
        const { std::cell::Cell::new(((0, 0, usize::MAX), None)) };
}

/// A timestamp as [`LAST_PARSED`] keeps it: its first and last 16 bytes (`u128`s; bytes
/// zero-padded and `0` when shorter than 16) and its length.
type Remembered = (u128, u128, usize);

/// `text` as [`LAST_PARSED`] keeps it, if at most [`REMEMBERED_BYTES`] long. From 16 bytes on
/// (Claude Code's 24) two overlapping 16-byte pieces cover the text, read and compared as
/// fixed-size values in line, not by calls to the C library's `memcmp` and `memcpy` (two a
/// timestamp read, nearly every one a mismatch on distinct history: 1.6% of the filter's
/// time, issue 14), nor by pieces stored to the stack and read back across two stores.
fn remembered(text: &[u8]) -> Option<Remembered> {
    let n = text.len();
    if n > REMEMBERED_BYTES {
        return None;
    }
    let piece = |at: usize| {
        let bytes: [u8; 16] = text.get(at..at + 16)?.try_into().ok()?;
        Some(u128::from_ne_bytes(bytes))
    };
    match (piece(0), n.checked_sub(16).and_then(piece)) {
        (Some(head), Some(tail)) => Some((head, tail, n)),
        _ => {
            let mut bytes = [0u8; 16];
            bytes.get_mut(..n)?.copy_from_slice(text);
            Some((u128::from_ne_bytes(bytes), 0, n))
        }
    }
}

/// Milliseconds since the Unix epoch (UTC) of an RFC 3339 timestamp, or `None` when the text is
/// not one.
pub fn parse_millis(text: &str) -> Option<i64> {
    let Some(key) = remembered(text.as_bytes()) else {
        return parse_millis_uncached(text);
    };
    let (last, ms) = LAST_PARSED.get();
    if last == key {
        return ms;
    }
    let ms = parse_millis_uncached(text);
    LAST_PARSED.set((key, ms));
    ms
}

/// [`parse_millis`] without the memory of the last timestamp read.
fn parse_millis_uncached(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 3 {
                millis = millis * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..3 {
            millis *= 10;
        }
    }
    let offset_minutes = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let oh = digits(b, i + 1, 2)?;
            let om = digits(b, i + 4, 2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let m = oh * 60 + om;
            if *sign == b'-' {
                -m
            } else {
                m
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1_000 + millis)
}

/// The `HH:MM:SS` part of a timestamp as written, when it has the expected shape (digits and
/// colons only: the text comes from a transcript and is written to terminals as it is).
pub fn clock_part(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let shaped = b.len() >= 19
        && matches!(b[10], b'T' | b't' | b' ')
        && b[11..19].iter().enumerate().all(|(i, c)| {
            if i == 2 || i == 5 {
                *c == b':'
            } else {
                c.is_ascii_digit()
            }
        });
    if shaped {
        text.get(11..19)
    } else {
        None
    }
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let mut v = 0i64;
    for &c in b.get(at..at + n)? {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An epoch-milliseconds time (UTC) as RFC 3339 in Claude Code's shape,
/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, for formats that write epoch milliseconds (OpenCode). `None`
/// outside the years 0000–9999, which that shape cannot write.
pub fn format_millis(ms: i64) -> Option<String> {
    let days = ms.div_euclid(86_400_000);
    let rest = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return None;
    }
    let (h, m, s, milli) = (
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1_000 % 60,
        rest % 1_000,
    );
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z"
    ))
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm,
/// the inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The remembered last timestamp never answers for another text: repeats, prefixes, texts
    /// that differ in one byte, invalid ones and texts too long to remember all read as they
    /// do uncached, in any order.
    #[test]
    fn the_last_timestamp_remembered_answers_only_for_itself() {
        let texts = [
            "2026-11-30T14:41:00.123Z",
            "2026-11-30T14:41:00.123Z",
            "2026-11-30T14:41:00.123",
            "2026-11-30T14:41:00.124Z",
            "2026-11-30T14:41:00Z",
            "2026-11-30T14:41:00.123456789+01:00",
            "2026-11-30T14:41:00.123456789+01:00",
            "2026-11-30T14:41:00.123Z\0",
            "not a timestamp",
            "not a timestamp",
            "",
            "2026-11-30T14:41:00.123Z",
            "2026-02-30T14:41:00.123Z",
            "2026-11-30T14:41:00.123Z",
        ];
        for round in 0..2 {
            for (i, text) in texts.iter().enumerate() {
                let want = parse_millis_uncached(text);
                assert_eq!(
                    parse_millis(text),
                    want,
                    "round {round}, text {i}: {text:?}"
                );
            }
        }
        assert_eq!(
            parse_millis("2026-11-30T14:41:00.124Z"),
            Some(1_796_049_660_124)
        );
        assert_eq!(parse_millis("2026-11-30T14:41:00.123"), None);
        // Texts of one length (16 to 32 bytes: compared by two overlapping 16-byte pieces)
        // that differ in one byte, wherever it is, read as they do uncached.
        for base in [
            "2026-11-30T14:41",
            "2026-11-30T14:41:00Z",
            "2026-11-30T14:41:00.123Z",
            "2026-11-30T14:41:00.123+01:00",
            "2026-11-30T14:41:00.123456+01:00",
        ] {
            for at in 0..base.len() {
                let mut other = base.as_bytes().to_vec();
                other[at] = if other[at] == b'1' { b'2' } else { b'1' };
                let other = String::from_utf8(other).unwrap();
                for text in [base, &other, base, &other, &other] {
                    assert_eq!(parse_millis(text), parse_millis_uncached(text), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn claude_code_format() {
        assert_eq!(parse_millis("1970-01-01T00:00:00.000Z"), Some(0));
        // date -d 2026-02-10T21:11:56.846Z +%s%3N
        assert_eq!(
            parse_millis("2026-02-10T21:11:56.846Z"),
            Some(1_770_757_916_846)
        );
        assert_eq!(parse_millis("2000-02-29T12:00:00Z"), Some(951_825_600_000));
    }

    #[test]
    fn fractions_and_offsets() {
        assert_eq!(parse_millis("1970-01-01T00:00:01.5Z"), Some(1_500));
        assert_eq!(parse_millis("1970-01-01T00:00:01.123456Z"), Some(1_123));
        assert_eq!(parse_millis("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_millis("1969-12-31T23:00:00-01:00"), Some(0));
    }

    #[test]
    fn rejects_what_is_not_a_timestamp() {
        for bad in [
            "",
            "yesterday",
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00Zjunk",
            "２026-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_millis(bad), None, "{bad}");
        }
    }

    #[test]
    fn clock() {
        assert_eq!(clock_part("2026-02-10T21:11:56.846Z"), Some("21:11:56"));
        assert_eq!(clock_part("garbage"), None);
        assert_eq!(clock_part("2026-02-10T21:11:\0\0.846Z"), None);
        assert_eq!(clock_part("2026-02-10T21:1\u{1b}:56.846Z"), None);
    }

    #[test]
    fn epoch_millis_are_written_as_rfc3339() {
        // Known values: the epoch; `date -u -d @1768650688.078` = 2026-01-17 11:51:28.078 UTC
        // (the OpenCode session created at "New session - 2026-01-17T11:51:28.078Z"); a leap
        // day; the day before the epoch.
        assert_eq!(
            format_millis(0).as_deref(),
            Some("1970-01-01T00:00:00.000Z")
        );
        assert_eq!(
            format_millis(1_768_650_688_078).as_deref(),
            Some("2026-01-17T11:51:28.078Z")
        );
        assert_eq!(
            format_millis(951_825_600_001).as_deref(),
            Some("2000-02-29T12:00:00.001Z")
        );
        assert_eq!(
            format_millis(-1).as_deref(),
            Some("1969-12-31T23:59:59.999Z")
        );
        assert_eq!(format_millis(i64::MAX), None);
        for ms in [
            0,
            1_768_650_688_078,
            951_825_600_001,
            -1,
            253_402_300_799_999,
        ] {
            assert_eq!(parse_millis(&format_millis(ms).unwrap()), Some(ms));
        }
    }
}
