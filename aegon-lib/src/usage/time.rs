//! Time zones, periods and date bounds for reports.
//!
//! Every instant is kept in UTC (ms since the epoch) and turned into a local date only when
//! grouped, in one zone chosen once: `--tz NAME`, else the system's (`TZ`, then
//! `/etc/localtime`), through jiff (shared/usage-over-time.md §5). An unknown zone name is an
//! error, never a silent fallback to UTC.

pub use jiff::civil::{Date, Weekday};
pub use jiff::tz::TimeZone;
use jiff::Timestamp;

/// The zone named `name` (an IANA name such as `Asia/Kolkata`, or `UTC`), or the system's when
/// `None`. Errors name the zone and say why.
pub fn zone(name: Option<&str>) -> Result<TimeZone, String> {
    match name {
        Some(n) if n.eq_ignore_ascii_case("utc") || n == "Z" => Ok(TimeZone::UTC),
        Some(n) => TimeZone::get(n).map_err(|e| {
            format!("unknown time zone '{n}' ({e}); give an IANA name such as Europe/Paris")
        }),
        None => TimeZone::try_system().map_err(|e| {
            format!("cannot tell the system time zone ({e}); set TZ or give --tz NAME")
        }),
    }
}

/// The zone's name for reports (`Asia/Kolkata`, or the offset when it has no name).
pub fn zone_name(tz: &TimeZone) -> String {
    match tz.iana_name() {
        Some(n) => n.to_owned(),
        None => {
            let offset = tz.to_offset(Timestamp::now());
            format!("UTC{offset}")
        }
    }
}

/// The local date of `ts_ms` in `tz`.
pub fn local_date(ts_ms: i64, tz: &TimeZone) -> Date {
    match Timestamp::from_millisecond(ts_ms) {
        Ok(ts) => ts.to_zoned_datetime(tz.clone()).date(),
        Err(_) => Date::default(),
    }
}

/// `ms` as local `YYYY-MM-DD HH:MM` in `tz`.
pub fn format_local(ms: i64, tz: &TimeZone) -> String {
    Timestamp::from_millisecond(ms).map_or_else(
        |_| ms.to_string(),
        |t| {
            t.to_zoned_datetime(tz.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        },
    )
}

/// `ms` as a local time without its year, `01-28 10:00` (`%m-%d %H:%M`), in `tz`: the compact
/// layout's block start.
pub fn format_local_short(ms: i64, tz: &TimeZone) -> String {
    Timestamp::from_millisecond(ms).map_or_else(
        |_| ms.to_string(),
        |t| {
            t.to_zoned_datetime(tz.clone())
                .strftime("%m-%d %H:%M")
                .to_string()
        },
    )
}

/// How reports group time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Local calendar days (`2026-01-28`).
    Day,
    /// Local weeks, keyed by the date of their first day, which is this weekday.
    Week(Weekday),
    /// Local calendar months (`2026-01`).
    Month,
}

impl Period {
    /// The key of the period holding local date `d`: `YYYY-MM-DD` for days and weeks (the
    /// week's first day), `YYYY-MM` for months.
    pub fn key(self, d: Date) -> String {
        match self {
            Period::Day => d.to_string(),
            Period::Week(start) => {
                let back = i64::from(d.weekday().since(start));
                d.checked_sub(jiff::Span::new().days(back))
                    .unwrap_or(d)
                    .to_string()
            }
            Period::Month => format!("{:04}-{:02}", d.year(), d.month()),
        }
    }
}

/// A weekday from its English name or its first three letters (`monday`, `mon`, `Sun`).
pub fn parse_weekday(text: &str) -> Option<Weekday> {
    let t = text.to_ascii_lowercase();
    let all = [
        ("monday", Weekday::Monday),
        ("tuesday", Weekday::Tuesday),
        ("wednesday", Weekday::Wednesday),
        ("thursday", Weekday::Thursday),
        ("friday", Weekday::Friday),
        ("saturday", Weekday::Saturday),
        ("sunday", Weekday::Sunday),
    ];
    all.iter()
        .find(|(name, _)| t.len() >= 3 && name.starts_with(t.as_str()))
        .map(|&(_, w)| w)
}

/// The lowercase English name of `w`.
pub fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    }
}

/// A bound of `--since` / `--until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// A local date, inclusive (`2026-01-28` or `20260128`).
    Date(Date),
    /// An instant (from an age such as `7d`: that long before now), ms since the epoch.
    Instant(i64),
}

/// Parses a date (`YYYY-MM-DD`, `YYYYMMDD`) or an age (`30m`, `12h`, `7d`, `2w`: that long
/// before `now_ms`).
pub fn parse_bound(text: &str, now_ms: i64) -> Option<Bound> {
    let t = text.trim();
    if let Some((n, unit)) = t
        .char_indices()
        .last()
        .and_then(|(i, c)| Some((t[..i].parse::<u64>().ok()?, c)))
    {
        let ms = match unit {
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            'w' => 7 * 86_400_000,
            _ => 0,
        };
        if ms > 0 {
            let back = i64::try_from(n.checked_mul(ms)?).ok()?;
            return Some(Bound::Instant(now_ms.saturating_sub(back)));
        }
    }
    let digits: String = t.chars().filter(|c| *c != '-').collect();
    if digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()) {
        let y = digits[0..4].parse().ok()?;
        let m = digits[4..6].parse().ok()?;
        let d = digits[6..8].parse().ok()?;
        return Date::new(y, m, d).ok().map(Bound::Date);
    }
    None
}

/// Whether the instant `ts_ms` (local date `d`) is on or after `since` and on or before
/// `until`.
pub fn within(ts_ms: i64, d: Date, since: Option<Bound>, until: Option<Bound>) -> bool {
    let after = match since {
        None => true,
        Some(Bound::Date(s)) => d >= s,
        Some(Bound::Instant(s)) => ts_ms >= s,
    };
    let before = match until {
        None => true,
        Some(Bound::Date(u)) => d <= u,
        Some(Bound::Instant(u)) => ts_ms <= u,
    };
    after && before
}

/// The start of local date `d` in `tz`, ms since the epoch (for index queries).
pub fn start_of_day_ms(d: Date, tz: &TimeZone) -> Option<i64> {
    d.to_zoned_datetime(tz.clone())
        .ok()
        .map(|z| z.timestamp().as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kolkata_days_start_at_1830_utc() {
        let tz = zone(Some("Asia/Kolkata")).unwrap();
        // 2026-01-28T18:29:59.999Z is 23:59:59.999 in Kolkata (+05:30); a millisecond later
        // is the next day. Computed by hand: 18:30 + 5:30 = 24:00.
        let before = 1_769_624_999_999; // 2026-01-28T18:29:59.999Z
        assert_eq!(local_date(before, &tz).to_string(), "2026-01-28");
        assert_eq!(local_date(before + 1, &tz).to_string(), "2026-01-29");
    }

    #[test]
    fn unknown_zones_are_errors() {
        assert!(zone(Some("Mars/Olympus_Mons")).is_err());
    }

    #[test]
    fn weeks_and_months() {
        let d: Date = "2026-01-28".parse().unwrap(); // a Wednesday
        assert_eq!(Period::Week(Weekday::Monday).key(d), "2026-01-26");
        assert_eq!(Period::Week(Weekday::Sunday).key(d), "2026-01-25");
        assert_eq!(Period::Week(Weekday::Wednesday).key(d), "2026-01-28");
        assert_eq!(Period::Month.key(d), "2026-01");
    }

    #[test]
    fn bounds() {
        let now = 1_000_000_000_000;
        assert_eq!(
            parse_bound("7d", now),
            Some(Bound::Instant(now - 7 * 86_400_000))
        );
        assert_eq!(
            parse_bound("20260128", now),
            Some(Bound::Date("2026-01-28".parse().unwrap()))
        );
        assert_eq!(parse_bound("2026-01-28", now), parse_bound("20260128", now));
        assert_eq!(parse_bound("yesterday", now), None);
        assert_eq!(parse_bound("2026-02-30", now), None);
    }
}
