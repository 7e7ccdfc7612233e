//! What the Usage view shows, as plain data: the binary reads the usage index (off the drawing
//! thread) and hands these figures to the dashboard ([`super::Dashboard::set_usage`]); the
//! widget ([`super::ui::usage`]) only draws them, and tells the age of every figure from
//! `now` at drawing time.
//!
//! With the `ledger` feature, [`UsageFigures::compute`] makes them from the index's entries the
//! way `aegon usage` reports them: local days in the zone given, weeks from Monday, costs from
//! each model's tokens and the price table (a model without a price is left out of a cost,
//! which is then marked as a lower bound), 5-hour blocks by [`crate::usage::blocks`]'s rule.

/// The Usage view's data, or why there is none.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum UsageData {
    /// Not asked for yet (the view was never opened).
    #[default]
    NotRead,
    /// Being read for the first time (the first read indexes every transcript).
    Reading,
    /// There is no usage index to read: why (`--no-index`, a replay, an error).
    Unavailable(String),
    /// The figures.
    Ready(Box<UsageFigures>),
}

/// Dollars and tokens of a group of API responses.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Amount {
    /// Dollars, of the models with a known price.
    pub cost: f64,
    /// All tokens: input, output, cache reads and writes.
    pub tokens: u64,
    /// API responses.
    pub responses: u64,
    /// Some responses are of a model without a price: `cost` is a lower bound.
    pub unpriced: bool,
}

/// The active 5-hour block.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockFigures {
    /// Start, ms since the epoch.
    pub start_ms: i64,
    /// End (the reset), ms since the epoch.
    pub end_ms: i64,
    /// Local `HH:MM` of the start.
    pub start_label: String,
    /// Local `HH:MM` of the end.
    pub end_label: String,
    /// Where the end comes from: `estimate` (start floored to the hour + 5 h), `transcript` (a
    /// limit message's reset), `official` (the status line's `rate_limits`).
    pub end_source: &'static str,
    /// Its usage so far.
    pub amount: Amount,
    /// All tokens per minute over its first response to now
    /// ([`crate::usage::blocks::Block::burn_rate`]; `None` under 10 minutes).
    pub tokens_per_minute: Option<f64>,
    /// Dollars per hour over the same span.
    pub cost_per_hour: Option<f64>,
    /// Dollars at the block's end at the current rate.
    pub projected_cost: Option<f64>,
    /// Tokens at the block's end at the current rate.
    pub projected_tokens: Option<u64>,
}

impl BlockFigures {
    /// Whether the end is an estimate (no reset known from a transcript or the status line).
    pub fn estimated(&self) -> bool {
        self.end_source == "estimate"
    }
}

/// An official limit reading (Claude Code's `rate_limits`, recorded by `aegon statusline`).
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    /// `five_hour`, `seven_day`, `seven_day_opus`, …
    pub window: String,
    /// Used, 0–100.
    pub used_percent: f64,
    /// When the window resets, ms since the epoch.
    pub resets_at_ms: Option<i64>,
    /// Local time of the reset (`HH:MM` today, else `Mon HH:MM`).
    pub resets_label: Option<String>,
    /// When it was read, ms since the epoch.
    pub read_ms: i64,
}

/// Cost in one span of time (an hour, a day).
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// Start, ms since the epoch.
    pub start_ms: i64,
    /// Its local label: the hour (`09`) or the day of the month (`28`).
    pub label: String,
    /// Dollars and tokens.
    pub amount: Amount,
}

/// The share of one model or project.
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    /// The model (short: `opus-4-6`) or the project's folder.
    pub name: String,
    /// Dollars and tokens.
    pub amount: Amount,
}

/// Everything the Usage view shows. See the [module documentation](self).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageFigures {
    /// When these figures were computed, ms since the epoch.
    pub computed_ms: i64,
    /// The zone of days, weeks and months.
    pub zone: String,
    /// Today (local).
    pub today: Amount,
    /// This week, from Monday (local).
    pub week: Amount,
    /// This calendar month (local).
    pub month: Amount,
    /// Claude Code's active 5-hour block, if one is running (its responses alone: the window
    /// is Anthropic's limit; the other figures count every agent).
    pub block: Option<BlockFigures>,
    /// The latest official reading of each window, by window name.
    pub limits: Vec<Limit>,
    /// The last 24 hours, an hour each, oldest first (the last is the hour now running).
    pub hours: Vec<Bucket>,
    /// The last 30 local days, oldest first (the last is today).
    pub days: Vec<Bucket>,
    /// Cost by model over the last 30 days, costliest first.
    pub by_model: Vec<Share>,
    /// Cost by project over the last 30 days, costliest first.
    pub by_project: Vec<Share>,
    /// Things to know (models without a price, transcript lines whose usage is not counted).
    pub notes: Vec<String>,
}

/// Hours in [`UsageFigures::hours`].
pub const HOURS: usize = 24;
/// Days in [`UsageFigures::days`].
pub const DAYS: usize = 30;

#[cfg(feature = "ledger")]
mod compute {
    use std::collections::BTreeMap;

    use jiff::tz::TimeZone;
    use jiff::Timestamp;

    use super::*;
    use crate::ledger::{Entries, LimitReading};
    use crate::usage::blocks::{blocks, Block};
    use crate::usage::render::short_model;
    use crate::usage::time::{local_date, start_of_day_ms, Date};
    use crate::usage::{total_tokens, Usage};

    const HOUR_MS: i64 = 3_600_000;

    fn amount(u: &Usage) -> Amount {
        Amount {
            cost: u.priced_cost(),
            tokens: total_tokens(&u.tokens()),
            responses: u.responses,
            unpriced: !u.unpriced().is_empty(),
        }
    }

    fn local(ms: i64, tz: &TimeZone, format: &str) -> String {
        Timestamp::from_millisecond(ms).map_or_else(
            |_| String::new(),
            |t| t.to_zoned_datetime(tz.clone()).strftime(format).to_string(),
        )
    }

    fn days_back(d: Date, n: i64) -> Date {
        d.checked_sub(jiff::Span::new().days(n)).unwrap_or(d)
    }

    impl UsageFigures {
        /// Where the entries [`UsageFigures::compute`] needs start: the earliest of this
        /// month's first day, this week's Monday and the first of the last 30 days, local to
        /// `tz`, ms since the epoch.
        pub fn since_ms(now_ms: i64, tz: &TimeZone) -> i64 {
            let today = local_date(now_ms, tz);
            let monday = days_back(today, i64::from(today.weekday().to_monday_zero_offset()));
            let first = today.first_of_month();
            let thirty = days_back(today, DAYS as i64 - 1);
            let earliest = first.min(monday).min(thirty);
            start_of_day_ms(earliest, tz).unwrap_or(now_ms - 32 * 24 * HOUR_MS)
        }

        /// The figures at `now_ms` from `entries` (at least from [`UsageFigures::since_ms`]
        /// on, oldest first, as [`crate::ledger::Ledger::entries`] gives them), the latest
        /// official `readings`, prices and the local zone. Responses dated after `now_ms` are
        /// left out.
        pub fn compute(
            entries: &Entries,
            readings: &[LimitReading],
            tz: &TimeZone,
            now_ms: i64,
        ) -> UsageFigures {
            let today = local_date(now_ms, tz);
            let day_start = |d: Date| start_of_day_ms(d, tz).unwrap_or(i64::MIN);
            let today_ms = day_start(today);
            let week_ms = day_start(days_back(
                today,
                i64::from(today.weekday().to_monday_zero_offset()),
            ));
            let month_ms = day_start(today.first_of_month());
            // Day i of the chart starts at day_starts[i]; day_starts[DAYS] is tomorrow.
            let day_dates: Vec<Date> = (0..=DAYS as i64)
                .map(|i| days_back(today, DAYS as i64 - 1 - i))
                .collect();
            let day_starts: Vec<i64> = day_dates.iter().map(|d| day_start(*d)).collect();
            // The hour now running starts at the local hour's start.
            let hour_ms = Timestamp::from_millisecond(now_ms).map_or(now_ms, |t| {
                let z = t.to_zoned_datetime(tz.clone());
                now_ms
                    - (i64::from(z.minute()) * 60 + i64::from(z.second())) * 1_000
                    - i64::from(z.millisecond())
            });
            let first_hour_ms = hour_ms - (HOURS as i64 - 1) * HOUR_MS;

            let (mut today_u, mut week_u, mut month_u) =
                (Usage::default(), Usage::default(), Usage::default());
            let mut hours = vec![Usage::default(); HOURS];
            let mut days = vec![Usage::default(); DAYS];
            let mut models: BTreeMap<String, Usage> = BTreeMap::new();
            let mut projects: BTreeMap<String, Usage> = BTreeMap::new();
            for e in &entries.rows {
                // Responses dated after now (a clock ahead) wait for their time.
                if e.ts_ms > now_ms {
                    continue;
                }
                let model = match entries.name(e.model) {
                    "" => "unknown",
                    m => m,
                };
                // Added by the rule of `aegon usage` (an entry that is no API call, such as
                // Copilot CLI's shutdown totals, adds tokens and cost, not a response).
                let ts = e.ts_ms;
                if ts >= today_ms {
                    today_u.add_entry(entries, e, model);
                }
                if ts >= week_ms {
                    week_u.add_entry(entries, e, model);
                }
                if ts >= month_ms {
                    month_u.add_entry(entries, e, model);
                }
                if ts >= first_hour_ms && ts < hour_ms + HOUR_MS {
                    hours[((ts - first_hour_ms) / HOUR_MS) as usize].add_entry(entries, e, model);
                }
                if ts >= day_starts[0] && ts < day_starts[DAYS] {
                    let i = day_starts.partition_point(|&s| s <= ts) - 1;
                    days[i.min(DAYS - 1)].add_entry(entries, e, model);
                    models
                        .entry(short_model(model))
                        .or_default()
                        .add_entry(entries, e, model);
                    let project = match entries.name(e.project) {
                        "" => "(no folder)",
                        p => p,
                    };
                    projects
                        .entry(project.to_owned())
                        .or_default()
                        .add_entry(entries, e, model);
                }
            }

            let official = readings.iter().find(|r| r.window == "five_hour");
            let cut = entries.rows.partition_point(|e| e.ts_ms <= now_ms);
            let past;
            let until_now = if cut < entries.rows.len() {
                past = Entries {
                    rows: entries.rows[..cut].to_vec(),
                    names: entries.names.clone(),
                    ..Entries::default()
                };
                &past
            } else {
                entries
            };
            // Claude Code's block alone: the window is Anthropic's limit, and the readings
            // beside it are Claude Code's (another agent's use never starts or fills it).
            let all = blocks(
                until_now,
                &entries.limit_hits,
                official,
                tz,
                now_ms,
                crate::event::Agent::ClaudeCode,
                None,
            );
            let block = all
                .iter()
                .rev()
                .find(|b| b.is_active)
                .map(|b| block_figures(b, tz, now_ms));

            let shares = |groups: BTreeMap<String, Usage>| {
                let mut v: Vec<Share> = groups
                    .into_iter()
                    .map(|(name, u)| Share {
                        name,
                        amount: amount(&u),
                    })
                    .filter(|s| s.amount.responses > 0 || s.amount.tokens > 0)
                    .collect();
                v.sort_by(|a, b| {
                    b.amount
                        .cost
                        .total_cmp(&a.amount.cost)
                        .then(b.amount.tokens.cmp(&a.amount.tokens))
                        .then(a.name.cmp(&b.name))
                });
                v
            };
            // Models with no price, not those whose cost is unknown only because a response's
            // usage could not be read whole: the note below says those.
            let no_price: std::collections::BTreeSet<String> = models
                .iter()
                .filter(|(_, u)| !u.no_price().is_empty())
                .map(|(m, _)| m.clone())
                .collect();
            let by_model = shares(models);
            let mut notes = Vec::new();
            let unpriced: Vec<&str> = by_model
                .iter()
                .filter(|s| no_price.contains(&s.name))
                .map(|s| s.name.as_str())
                .collect();
            if !unpriced.is_empty() {
                notes.push(format!(
                    "no price for {}: left out of the costs (+)",
                    unpriced.join(", ")
                ));
            }
            // Lines lost, or read with usage aegon could not read: said as `aegon usage`
            // says them (which names the first).
            let not_counted = entries.unread.lines + entries.partly.lines;
            if not_counted > 0 {
                notes.push(format!(
                    "{not_counted} transcript line{} with usage not counted (aegon usage says where)",
                    if not_counted == 1 { "" } else { "s" }
                ));
            }
            let unknown = entries.unknown.lines;
            if unknown > 0 {
                notes.push(format!(
                    "{unknown} transcript line{} with usage aegon could not read whole: counted, cost unknown (aegon usage says where)",
                    if unknown == 1 { "" } else { "s" }
                ));
            }
            let limits = readings
                .iter()
                .map(|r| Limit {
                    window: r.window.clone(),
                    used_percent: r.used_percent,
                    resets_at_ms: r.resets_at_ms,
                    resets_label: r.resets_at_ms.map(|at| {
                        if local_date(at, tz) == today {
                            local(at, tz, "%H:%M")
                        } else {
                            local(at, tz, "%a %H:%M")
                        }
                    }),
                    read_ms: r.read_ms,
                })
                .collect();
            UsageFigures {
                computed_ms: now_ms,
                zone: crate::usage::time::zone_name(tz),
                today: amount(&today_u),
                week: amount(&week_u),
                month: amount(&month_u),
                block,
                limits,
                hours: hours
                    .iter()
                    .enumerate()
                    .map(|(i, u)| {
                        let start_ms = first_hour_ms + i as i64 * HOUR_MS;
                        Bucket {
                            start_ms,
                            label: local(start_ms, tz, "%H"),
                            amount: amount(u),
                        }
                    })
                    .collect(),
                days: days
                    .iter()
                    .enumerate()
                    .map(|(i, u)| Bucket {
                        start_ms: day_starts[i],
                        label: format!("{:02}", day_dates[i].day()),
                        amount: amount(u),
                    })
                    .collect(),
                by_model,
                by_project: shares(projects),
                notes,
            }
        }
    }

    fn block_figures(b: &Block, tz: &TimeZone, now_ms: i64) -> BlockFigures {
        let rate = b.burn_rate(now_ms);
        let projection = b.projection(now_ms);
        BlockFigures {
            start_ms: b.start_ms,
            end_ms: b.end_ms,
            start_label: local(b.start_ms, tz, "%H:%M"),
            end_label: local(b.end_ms, tz, "%H:%M"),
            end_source: b.end_source.as_str(),
            amount: amount(&b.usage),
            tokens_per_minute: rate.map(|r| r.tokens_per_minute),
            cost_per_hour: rate.map(|r| r.cost_per_hour),
            projected_cost: projection.map(|p| p.total_cost),
            projected_tokens: projection.map(|p| p.total_tokens),
        }
    }
}

#[cfg(all(test, feature = "ledger"))]
mod tests {
    use std::path::Path;

    use jiff::tz::TimeZone;

    use super::*;
    use crate::ledger::{Ledger, Scope};
    use crate::session::pricing::Pricing;

    /// The Usage view counts API calls as `aegon usage` and `--summary` do: Copilot CLI's
    /// `session.shutdown` totals add tokens, not a response (the fresh-user report: the view
    /// counted one call more than the `usage` command).
    #[test]
    fn copilot_shutdown_totals_are_tokens_not_responses() {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "../fixtures/agents/copilot/LAF-US__IDAHO-VAULT__.copilot__session-state__252d6b6b-aaad-4790-8254-7ada091ee9fc__events.jsonl",
        );
        // The right count, from the file's lines: each assistant message is a request, and so
        // is each finished compaction (`aegon::format::copilot`); the shutdown is none.
        let text = std::fs::read_to_string(&file).unwrap();
        let calls = text
            .lines()
            .filter(|l| {
                l.contains(r#""type":"assistant.message""#)
                    || l.contains(r#""type":"session.compaction_complete""#)
            })
            .count() as u64;
        assert_eq!(calls, 17);
        let dir = crate::temp_dir::temp_dir("dashboard-usage");
        let mut ledger = Ledger::open(&dir.join("i.sqlite3"), &mut |_| {}).unwrap();
        ledger
            .update(&[], &[file], &mut |p, e| panic!("{}: {e}", p.display()))
            .unwrap();
        let entries = ledger
            .entries(&Scope::All, None, &Pricing::built_in())
            .unwrap();
        assert!(entries.rows.iter().any(|e| !e.call), "the shutdown's rows");
        let tokens: u64 = entries
            .rows
            .iter()
            .map(|e| crate::usage::total_tokens(&e.tokens))
            .sum();
        let now = entries.rows.iter().map(|e| e.ts_ms).max().unwrap() + 60_000;
        let f = UsageFigures::compute(&entries, &[], &TimeZone::UTC, now);
        assert_eq!((f.today.responses, f.today.tokens), (calls, tokens));
        assert_eq!(f.month.responses, calls);
        let by_model: u64 = f.by_model.iter().map(|s| s.amount.responses).sum();
        assert_eq!(by_model, calls);
        drop(ledger);
    }

    /// Lines lost, or read with usage aegon could not read, are a note of the view, as they
    /// are of `aegon usage`; none without them.
    #[test]
    fn lines_with_usage_not_counted_are_a_note() {
        let mut entries = crate::ledger::Entries::default();
        let f = UsageFigures::compute(&entries, &[], &TimeZone::UTC, 1_767_225_600_000);
        assert!(f.notes.is_empty(), "{:?}", f.notes);
        entries.partly.lines = 6;
        entries.unread.lines = 1;
        let f = UsageFigures::compute(&entries, &[], &TimeZone::UTC, 1_767_225_600_000);
        assert_eq!(
            f.notes,
            ["7 transcript lines with usage not counted (aegon usage says where)"]
        );
    }
}
