//! Reset times written in transcripts when a usage limit is hit.
//!
//! Claude Code writes a synthetic assistant line (`isApiErrorMessage`, model `<synthetic>`) with
//! texts like these (shared/corpus FORMAT.md §API errors; shared/usage-over-time.md §3.3):
//!
//! - `You've hit your limit · resets 1am (Europe/Paris)`
//! - `Limit reached · resets 7pm (America/Sao_Paulo)`
//! - `You've hit your session limit · resets 3:45pm` (no zone: the local zone is assumed)
//! - `You've hit your weekly limit · resets Mon 12:00am`
//! - `Claude AI usage limit reached|1735689600` (2025: the reset as Unix seconds)
//!
//! [`reset_after`] turns one into the instant of the reset: the first time after the line was
//! written at which the wall clock of the named zone shows that time (on that weekday, if one
//! is given).

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::time::parse_weekday;

/// The reset instant (ms since the epoch) a limit message written at `written_ms` announces, or
/// `None` when the text holds no reset time aegon can read. `local` is the zone assumed when
/// the text names none.
pub fn reset_after(text: &str, written_ms: i64, local: &TimeZone) -> Option<i64> {
    if let Some((_, rest)) = text.split_once("usage limit reached|") {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let n: i64 = digits.parse().ok()?;
        // Seconds in the messages seen; a 13-digit value is already milliseconds.
        return Some(if n > 100_000_000_000 { n } else { n * 1000 });
    }
    let (_, rest) = text.split_once("resets ")?;
    let (when, zone) = match rest.split_once('(') {
        Some((when, z)) => (when.trim(), z.split(')').next().map(str::trim)),
        None => (rest.trim(), None),
    };
    let tz = match zone {
        Some(name) => TimeZone::get(name).ok()?,
        None => local.clone(),
    };
    let mut words = when.split_whitespace();
    let mut first = words.next()?;
    let weekday = parse_weekday(first).filter(|_| first.len() <= 9 && !first.contains(':'));
    if weekday.is_some() {
        first = words.next()?;
    }
    let (hour, minute) = clock(first)?;
    next_wall_time(written_ms, &tz, weekday, hour, minute)
}

/// `1am`, `7pm`, `3:45pm`, `12:00am`, `19:00` → (hour 0–23, minute).
fn clock(text: &str) -> Option<(i8, i8)> {
    let t = text.trim_end_matches([',', '.']).to_ascii_lowercase();
    let (digits, meridiem) = if let Some(d) = t.strip_suffix("am") {
        (d, Some(false))
    } else if let Some(d) = t.strip_suffix("pm") {
        (d, Some(true))
    } else {
        (t.as_str(), None)
    };
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) => (h.parse::<i8>().ok()?, m.parse::<i8>().ok()?),
        None => (digits.parse::<i8>().ok()?, 0),
    };
    if !(0..60).contains(&m) {
        return None;
    }
    let hour = match meridiem {
        Some(pm) if (1..=12).contains(&h) => (h % 12) + if pm { 12 } else { 0 },
        Some(_) => return None,
        None if (0..24).contains(&h) => h,
        None => return None,
    };
    Some((hour, m))
}

fn next_wall_time(
    after_ms: i64,
    tz: &TimeZone,
    weekday: Option<Weekday>,
    hour: i8,
    minute: i8,
) -> Option<i64> {
    let start = Timestamp::from_millisecond(after_ms).ok()?;
    let date: Date = start.to_zoned_datetime(tz.clone()).date();
    for add in 0..9i64 {
        let d = date.checked_add(jiff::Span::new().days(add)).ok()?;
        if weekday.is_some_and(|w| d.weekday() != w) {
            continue;
        }
        let at = d
            .at(hour, minute, 0, 0)
            .to_zoned_datetime(tz.clone())
            .ok()?;
        let ms = at.timestamp().as_millisecond();
        if ms > after_ms {
            return Some(ms);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_messages() {
        let utc = TimeZone::UTC;
        // Written 2026-01-28T20:29:11.494Z = 21:29 in Paris (+01:00 in winter); the next 1am
        // in Paris is 2026-01-29T01:00+01:00 = 2026-01-29T00:00:00Z.
        let written = 1_769_632_151_494;
        assert_eq!(
            reset_after(
                "You've hit your limit · resets 1am (Europe/Paris)",
                written,
                &utc
            ),
            Some(1_769_644_800_000)
        );
        // Written 2025-12-06T18:46:29.243Z = 15:46 in São Paulo (-03:00); 7pm there is
        // 2025-12-06T22:00:00Z.
        assert_eq!(
            reset_after(
                "Limit reached · resets 7pm (America/Sao_Paulo)",
                1_765_046_789_243,
                &utc
            ),
            Some(1_765_058_400_000)
        );
    }

    #[test]
    fn other_forms() {
        let utc = TimeZone::UTC;
        // 2026-01-28 is a Wednesday; 12:00 UTC.
        let wed_noon = 1_769_601_600_000;
        assert_eq!(
            reset_after("resets 3:45pm", wed_noon, &utc),
            Some(wed_noon + (3 * 60 + 45) * 60_000)
        );
        // Next Monday 00:00 UTC: 2026-02-02, 4.5 days later.
        assert_eq!(
            reset_after(
                "You've hit your weekly limit · resets Mon 12:00am",
                wed_noon,
                &utc
            ),
            Some(wed_noon + 4 * 86_400_000 + 12 * 3_600_000)
        );
        assert_eq!(
            reset_after("Claude AI usage limit reached|1735689600", 0, &utc),
            Some(1_735_689_600_000)
        );
        assert_eq!(reset_after("resets soon", 0, &utc), None);
        assert_eq!(reset_after("resets 1am (Nowhere/Land)", 0, &utc), None);
    }
}
