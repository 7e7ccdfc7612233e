//! 5-hour blocks: an estimate of Claude's session-limit windows from local usage.
//!
//! The rule is ccusage's (v20 `blocks.rs`; shared/usage-over-time.md §2.1), so numbers can be
//! compared:
//!
//! - responses are taken in time order; a block starts at its first response's time **floored
//!   to the UTC hour** and lasts 5 hours;
//! - a response more than 5 h after the block's start, or more than 5 h after the previous
//!   response, starts a new block (both tests strict);
//! - when the previous response is more than 5 h back, a gap block runs from it + 5 h to the
//!   start of the new block (ccusage's runs to the new response, so it overlapped the block
//!   it precedes; here every span is half-open, `[start, end)`, and a gap never overlaps);
//!   the new response's time is kept as [`Block::resumed_ms`], which the JSON gives as the
//!   gap's `endTime`, ccusage's;
//! - a block is active when its last response is less than 5 h ago and now is before its end;
//!   a block whose first response is dated after now is not active but **in the future**
//!   ([`Block::is_future`]: a clock set wrong here or where the responses were written), and
//!   has no projection. Such a block never ends the block running now, which stays active,
//!   with no gap row after it (its end is not known yet).
//!
//! Anthropic does not document the window; these blocks are **estimates** and are labelled so.
//! Where the truth is known it wins (`end_source`):
//!
//! - `transcript`: a limit message in a transcript ("You've hit your limit · resets 1am
//!   (Europe/Paris)", [`super::limits`]) written inside the block, announcing a reset at most
//!   5 h later, sets the block's end to that reset; responses before it stay in the block;
//! - `official`: a `five_hour` reading recorded by `aegon statusline` (Claude Code's
//!   `rate_limits.five_hour.resets_at`, taken inside the window it describes) gives that
//!   window whole: the block is [`resets_at` − 5 h, `resets_at`), the 5-hour window Anthropic
//!   documents ("resets every five hours", shared/usage-over-time.md §2.4). Responses before
//!   its start belong to the block before, which ends at that start (its end is `official`
//!   too); a gap before the window ends at its start.
//!
//! Burn rate: all tokens (cache included) per minute and dollars per hour over the time the
//! block has been in use: from its first response to **now** for the active block (so a pause
//! slows the rate down), to its last response for the others; also input + output per minute
//! (ccusage's "indicator"). None until that span reaches [`MIN_RATE_MS`] (10 minutes): two
//! responses seconds apart say nothing about a rate. Projection (active block only, once it
//! has a rate): the current figures plus the rate times the minutes left to the block's end.
//!
//! This departs from ccusage on purpose: ccusage measures first → last response only, even for
//! the active block, with no minimum, so two responses 4 s apart gave 3.7M tokens/min and a
//! projection of $598 for $0.15 spent in 32 minutes. The JSON fields keep ccusage's names.

use jiff::tz::TimeZone;

use super::limits::reset_after;
use super::time::{local_date, within, Bound};
use super::{total_tokens, Usage};
use crate::event::Agent;
use crate::ledger::{Entries, LimitReading};

/// Length of a block: 5 hours, in ms.
pub const BLOCK_MS: i64 = 5 * 3_600_000;

/// The shortest span a burn rate is measured over: 10 minutes, in ms. Shorter, a block has
/// no burn rate and no projection (aegon's choice; ccusage has no minimum).
pub const MIN_RATE_MS: i64 = 10 * 60_000;

/// ccusage's warning threshold: a projection above 80% of the token limit.
pub const WARNING_THRESHOLD: f64 = 0.8;

/// Where a block's end comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndSource {
    /// Start (floored to the hour) + 5 h: an estimate.
    Estimate,
    /// A limit message in a transcript gave the reset.
    Transcript,
    /// The status line's official `rate_limits.five_hour.resets_at`.
    Official,
}

impl EndSource {
    /// `estimate`, `transcript`, `official`.
    pub fn as_str(self) -> &'static str {
        match self {
            EndSource::Estimate => "estimate",
            EndSource::Transcript => "transcript",
            EndSource::Official => "official",
        }
    }
}

/// One block (or a gap between blocks).
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Start, ms since the epoch (a whole UTC hour for a usage block).
    pub start_ms: i64,
    /// End, ms since the epoch.
    pub end_ms: i64,
    /// Where the end comes from.
    pub end_source: EndSource,
    /// The last response's time (usage blocks only).
    pub actual_end_ms: Option<i64>,
    /// A gap without usage.
    pub is_gap: bool,
    /// For a gap: when use resumed, the time of the response after it, in ms since the epoch
    /// (ccusage's gap `endTime`; not before [`Block::end_ms`], the start of the block after
    /// it); `None` for usage blocks.
    pub resumed_ms: Option<i64>,
    /// The block now running.
    pub is_active: bool,
    /// Its usage.
    pub usage: Usage,
}

/// Burn rate of a block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurnRate {
    /// All tokens per minute.
    pub tokens_per_minute: f64,
    /// Input + output tokens per minute.
    pub tokens_per_minute_for_indicator: f64,
    /// Dollars per hour (models with a known price).
    pub cost_per_hour: f64,
    /// The span measured, in minutes: first response → now (active block) or → last response.
    pub minutes: f64,
}

/// Where an active block is heading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    /// Tokens at the block's end at the current rate.
    pub total_tokens: u64,
    /// Dollars at the block's end (models with a known price), unrounded: the reports round
    /// it as they write it (`aegon usage blocks --json` to cents, as ccusage does; the text
    /// with [`crate::render::text::usd`], so a projection under a cent reads `<$0.01`).
    pub total_cost: f64,
    /// Minutes left.
    pub remaining_minutes: i64,
}

impl Block {
    /// Whether this usage block's first response is dated after `now_ms`: a clock set wrong
    /// here or on the machine that wrote it. Such a block is never active; gaps are never in
    /// the future.
    pub fn is_future(&self, now_ms: i64) -> bool {
        !self.is_gap && self.usage.first_ms.is_some_and(|first| first > now_ms)
    }

    /// Whether this usage block runs at `now_ms` (ccusage's rule, whichever block it is, so
    /// a later block dated in the future leaves it running): its last response is less than
    /// 5 h before `now_ms` (or after it), `now_ms` is before its end, and it is not
    /// [in the future](Block::is_future). Sets nothing: [`blocks`] fills [`Block::is_active`].
    pub fn is_active_at(&self, now_ms: i64) -> bool {
        let last = self.usage.last_ms.unwrap_or(self.start_ms);
        !self.is_gap && !self.is_future(now_ms) && now_ms - last < BLOCK_MS && now_ms < self.end_ms
    }

    /// The burn rate over the block's first response → `now_ms` (the active block, even when
    /// a response is dated after now: a clock ahead never stretches the span past the time
    /// elapsed) or → its last response (the others); `None` for gaps and while that span is
    /// shorter than [`MIN_RATE_MS`].
    pub fn burn_rate(&self, now_ms: i64) -> Option<BurnRate> {
        let (first, last) = (self.usage.first_ms?, self.usage.last_ms?);
        let end = if self.is_active { now_ms } else { last };
        if self.is_gap || end - first < MIN_RATE_MS {
            return None;
        }
        let minutes = (end - first) as f64 / 60_000.0;
        let t = self.usage.tokens();
        Some(BurnRate {
            tokens_per_minute: total_tokens(&t) as f64 / minutes,
            tokens_per_minute_for_indicator: t.input.saturating_add(t.output) as f64 / minutes,
            cost_per_hour: self.usage.priced_cost() / minutes * 60.0,
            minutes,
        })
    }

    /// The projection to the block's end, for the active block once it has a burn rate.
    pub fn projection(&self, now_ms: i64) -> Option<Projection> {
        if !self.is_active {
            return None;
        }
        let rate = self.burn_rate(now_ms)?;
        let remaining = (self.end_ms - now_ms).max(0) as f64 / 60_000.0;
        let tokens = total_tokens(&self.usage.tokens()) as f64 + rate.tokens_per_minute * remaining;
        let cost = self.usage.priced_cost() + rate.cost_per_hour / 60.0 * remaining;
        Some(Projection {
            total_tokens: tokens.round() as u64,
            total_cost: cost,
            remaining_minutes: remaining.round() as i64,
        })
    }
}

/// `ts_ms` floored to the UTC hour.
pub fn floor_hour(ts_ms: i64) -> i64 {
    ts_ms.div_euclid(3_600_000) * 3_600_000
}

/// Splits the responses of `agent` in `entries` (oldest first) into blocks by the rule in the
/// [module documentation](self); with `project`, only those of projects whose path contains
/// it. `hits` are limit messages `(written ms, text)`; `official` the latest `five_hour`
/// reading; `local` the zone assumed for reset texts that name none; `now_ms` decides the
/// active block.
///
/// A block is one agent's: the 5-hour window is a vendor's subscription limit (Anthropic's for
/// Claude Code: shared/usage-over-time.md §2; OpenAI's Codex usage does not count toward it),
/// so another agent's responses neither start nor fill a Claude Code block. Limit messages and
/// official readings are Claude Code's (its "You've hit your limit" text, its status line's
/// `rate_limits`): they set the ends of [`Agent::ClaudeCode`]'s blocks only; another agent's
/// blocks are estimates by the same rule.
pub fn blocks(
    entries: &Entries,
    hits: &[(i64, String)],
    official: Option<&LimitReading>,
    local: &TimeZone,
    now_ms: i64,
    agent: Agent,
    project: Option<&str>,
) -> Vec<Block> {
    let claude = agent == Agent::ClaudeCode;
    let (hits, official) = if claude {
        (hits, official)
    } else {
        (&[][..], None)
    };
    // Resets announced by limit messages, (written, reset), in time order; only those within
    // a 5-hour window of the message (weekly-limit messages are not about this window).
    let mut resets: Vec<(i64, i64)> = hits
        .iter()
        .filter_map(|(written, text)| {
            let reset = reset_after(text, *written, local)?;
            (reset > *written && reset - written <= BLOCK_MS).then_some((*written, reset))
        })
        .collect();
    resets.sort_unstable();
    // The official window [resets_at − 5 h, resets_at), when the reading was taken inside it.
    let window = official.and_then(|r| {
        let at = r.resets_at_ms?;
        (r.read_ms < at && at - r.read_ms <= BLOCK_MS).then_some((at - BLOCK_MS, at))
    });
    let in_window = |ts: i64| window.filter(|&(ws, we)| ts >= ws && ts < we);
    let mut out: Vec<Block> = Vec::new();
    let mut current: Option<Block> = None;
    let mut next_reset = 0;
    for e in entries.rows.iter().filter(|e| e.agent == agent) {
        if let Some(p) = project {
            if !entries.name(e.project).contains(p) {
                continue;
            }
        }
        let model = match entries.name(e.model) {
            "" => "unknown",
            m => m,
        };
        // Limit messages up to this response adjust the block they were written in.
        while let Some(&(written, reset)) = resets.get(next_reset) {
            if written > e.ts_ms {
                break;
            }
            if let Some(b) = current.as_mut() {
                if written >= b.start_ms
                    && written <= b.end_ms
                    && b.end_source != EndSource::Official
                {
                    b.end_ms = reset;
                    b.end_source = EndSource::Transcript;
                }
            }
            next_reset += 1;
        }
        let starts_new = match &current {
            None => true,
            Some(b) => {
                let since_last = e.ts_ms - b.usage.last_ms.unwrap_or(b.start_ms);
                let past_end = match b.end_source {
                    EndSource::Estimate => e.ts_ms - b.start_ms > BLOCK_MS,
                    _ => e.ts_ms >= b.end_ms,
                };
                // The first response inside the official window starts it.
                let enters_window = in_window(e.ts_ms).is_some_and(|(ws, _)| b.start_ms != ws);
                past_end || since_last > BLOCK_MS || enters_window
            }
        };
        if starts_new {
            let mut start = floor_hour(e.ts_ms);
            if let Some(prev) = current.as_ref() {
                if prev.end_source != EndSource::Estimate {
                    start = start.max(prev.end_ms);
                }
            }
            // An estimate ends where the official window starts; the window is itself.
            let (start, end, end_source) = match (in_window(e.ts_ms), window) {
                (Some((ws, we)), _) => (ws, we, EndSource::Official),
                (None, Some((ws, _))) if start < ws && ws < start + BLOCK_MS => {
                    (start, ws, EndSource::Official)
                }
                _ => (start, start + BLOCK_MS, EndSource::Estimate),
            };
            if let Some(prev) = current.take() {
                let last = prev.usage.last_ms.unwrap_or(prev.start_ms);
                // The gap runs from the block's end: a known reset, else the estimate's
                // last response + 5 h (ccusage's rule).
                let gap_start = match prev.end_source {
                    EndSource::Estimate => last + BLOCK_MS,
                    _ => prev.end_ms,
                };
                let running = prev.is_active_at(now_ms);
                out.push(Block {
                    is_active: running,
                    ..prev
                });
                // After the block running now (a later response is dated in the future: a
                // clock set wrong), no gap: its end is not known yet.
                // The gap ends where the next block starts (times are half-open, [start, end)),
                // not at the next response as ccusage's does (its gap overlapped the block
                // after it by the minutes from the floored hour to that response). None when
                // the block starts before the gap would (a response 5 h 1 min after the last
                // one can floor to before last + 5 h).
                if e.ts_ms - last > BLOCK_MS && gap_start < start && !running {
                    out.push(Block {
                        start_ms: gap_start,
                        end_ms: start,
                        end_source: EndSource::Estimate,
                        actual_end_ms: None,
                        is_gap: true,
                        resumed_ms: Some(e.ts_ms),
                        is_active: false,
                        usage: Usage::default(),
                    });
                }
            }
            current = Some(Block {
                start_ms: start,
                end_ms: end,
                end_source,
                actual_end_ms: None,
                is_gap: false,
                resumed_ms: None,
                is_active: false,
                usage: Usage::default(),
            });
        }
        if let Some(b) = current.as_mut() {
            b.usage.add_entry(entries, e, model);
            b.actual_end_ms = b.usage.last_ms;
        }
    }
    // Messages after the last response still adjust the last block.
    if let Some(b) = current.as_mut() {
        for &(written, reset) in &resets[next_reset.min(resets.len())..] {
            if written >= b.start_ms && written <= b.end_ms && b.end_source != EndSource::Official {
                b.end_ms = reset;
                b.end_source = EndSource::Transcript;
            }
        }
    }
    if let Some(mut b) = current {
        b.is_active = b.is_active_at(now_ms);
        out.push(b);
    }
    out
}

/// Keeps the blocks that overlap the bounds (`--since`, `--until`): a block is kept when it
/// ends after `since` starts (its last instant, local date for a date bound, is on or after
/// it) and starts on or before `until`, so the block running at `since` is shown however long
/// before it started. Gaps left first or last (their block filtered out) are dropped.
pub fn filter_overlapping(
    blocks: Vec<Block>,
    since: Option<Bound>,
    until: Option<Bound>,
    tz: &TimeZone,
) -> Vec<Block> {
    let mut kept: Vec<Block> = blocks
        .into_iter()
        .filter(|b| {
            let last = b.end_ms.max(b.start_ms + 1) - 1;
            within(last, local_date(last, tz), since, None)
                && within(b.start_ms, local_date(b.start_ms, tz), None, until)
        })
        .collect();
    while kept.last().is_some_and(|b| b.is_gap) {
        kept.pop();
    }
    let first_usage = kept.iter().position(|b| !b.is_gap).unwrap_or(kept.len());
    kept.drain(..first_usage);
    kept
}

/// The largest token total of a completed usage block (ccusage's `--token-limit max`),
/// computed over all blocks before any filter.
pub fn max_completed_tokens(blocks: &[Block]) -> u64 {
    blocks
        .iter()
        .filter(|b| !b.is_gap && !b.is_active)
        .map(|b| total_tokens(&b.usage.tokens()))
        .max()
        .unwrap_or(0)
}

/// Whether the blocks of `entries`, the responses from `since_ms` on in time order, are the
/// blocks a read of all history gives: true when some response in them starts a block
/// whatever came before it, because it is more than 5 h after the response before it, or,
/// for the first, at least 5 h after `since_ms` (every earlier response is before
/// `since_ms`). False also when there are no responses: nothing shows where a block starts.
/// A reader of recent history (the status line) reads further back until this holds.
pub fn settled_since(entries: &Entries, since_ms: i64) -> bool {
    let mut previous = None;
    for e in &entries.rows {
        let gap = match previous {
            None => e.ts_ms.saturating_sub(since_ms) >= BLOCK_MS,
            Some(p) => e.ts_ms.saturating_sub(p) > BLOCK_MS,
        };
        if gap {
            return true;
        }
        previous = Some(e.ts_ms);
    }
    false
}

/// How far back [`recent`] reads at first: 48 h, enough for today in any time zone.
const RECENT_FIRST_MS: i64 = 48 * 3_600_000;

/// How far back [`recent`] reads before it reads all history: 32 days.
const RECENT_MAX_MS: i64 = 32 * 24 * 3_600_000;

/// The responses a reader of recent history needs (today's, and the blocks running now, as
/// a read of all history gives them): `read(since)` gives the responses from `since` on, in
/// time order (`None`: all of them). The window starts 48 h before `now_ms` and doubles
/// until [`settled_since`] holds (use without a pause of more than 5 h can start the block
/// running now days back), or until it holds no response at all: a block lasts at most 5 h,
/// so none that began before a window of 5 h or more without use runs now (and there is no
/// use today). Past 32 days, all history is read. Errors are `read`'s.
pub fn recent<E>(
    now_ms: i64,
    mut read: impl FnMut(Option<i64>) -> Result<Entries, E>,
) -> Result<Entries, E> {
    let mut back = RECENT_FIRST_MS;
    while back <= RECENT_MAX_MS {
        let since = now_ms.saturating_sub(back);
        let entries = read(Some(since))?;
        // Nothing from `since` on (the 48 h window is longer than a block): nothing runs now.
        if settled_since(&entries, since) || entries.rows.is_empty() {
            return Ok(entries);
        }
        back *= 2;
    }
    read(None)
}

/// `ok`, `warning` (above 80% of `limit`) or `exceeds`, for `tokens` (projected, or current).
pub fn limit_status(tokens: u64, limit: u64) -> &'static str {
    if limit == 0 {
        "ok"
    } else if tokens > limit {
        "exceeds"
    } else if tokens as f64 > limit as f64 * WARNING_THRESHOLD {
        "warning"
    } else {
        "ok"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Entry;
    use crate::tokens::Tokens;

    const H: i64 = 3_600_000;
    const M: i64 = 60_000;

    fn entries(times: &[i64]) -> Entries {
        Entries {
            names: vec![String::new(), "claude-sonnet-4-5".into()],
            rows: times
                .iter()
                .map(|&ts_ms| Entry {
                    ts_ms,
                    session: 0,
                    project: 0,
                    model: 1,
                    subagent: false,
                    agent: crate::event::Agent::ClaudeCode,
                    tokens: Tokens {
                        input: 10,
                        output: 90,
                        ..Tokens::default()
                    },
                    // $0.00138 each (10 × $3 + 90 × $15 a million).
                    cost_pico: Some(1_380_000_000),
                    estimated: false,
                    unpriced: 0,
                    call: true,
                })
                .collect(),
            ..Entries::default()
        }
    }

    /// `entries` of the `times` at or after `since` (all of them for `None`): what the index
    /// gives [`recent`] for a read from `since`.
    fn entries_since(times: &[i64], since: Option<i64>) -> Entries {
        let kept: Vec<i64> = times
            .iter()
            .copied()
            .filter(|&t| since.is_none_or(|s| t >= s))
            .collect();
        entries(&kept)
    }

    /// [`blocks`] over `entries(times)` in UTC, for no project.
    fn utc_blocks(
        times: &[i64],
        hits: &[(i64, String)],
        official: Option<&LimitReading>,
        now: i64,
    ) -> Vec<Block> {
        blocks(
            &entries(times),
            hits,
            official,
            &TimeZone::UTC,
            now,
            Agent::ClaudeCode,
            None,
        )
    }

    #[test]
    fn recent_history_is_settled_only_after_a_pause_of_more_than_a_block() {
        let t0 = 1_000 * H;
        // Use every 4 h since t0: no pause long enough, whatever the window.
        let steady: Vec<i64> = (0..30).map(|i| t0 + i * 4 * H).collect();
        for back in [0, 2, 10, 20] {
            let since = steady[back] - H;
            let window = entries(&steady[back..]);
            assert!(!settled_since(&window, since), "window from {back}");
        }
        // A pause of 5 h 1 min settles the blocks after it; exactly 5 h does not (strict).
        let paused = [t0, t0 + H, t0 + 6 * H + M, t0 + 7 * H];
        assert!(settled_since(&entries(&paused), t0 - H));
        let exact = [t0, t0 + H, t0 + 6 * H, t0 + 7 * H];
        assert!(!settled_since(&entries(&exact), t0 - H));
        // The first response 5 h after the window's start: anything earlier is further back.
        assert!(settled_since(&entries(&[t0 + 5 * H]), t0));
        assert!(!settled_since(&entries(&[t0 + 5 * H - 1]), t0));
        assert!(!settled_since(&entries(&[]), t0));
    }

    /// Use without a pause of more than 5 h for longer than 48 h: the last 48 h alone give
    /// the wrong block running now; [`recent`] reads back to the pause and gets it right.
    #[test]
    fn recent_history_reads_back_to_a_pause() {
        let t0 = 1_000 * H;
        // A 6 h pause, then 70 h of use every 3 h 10 min, which starts blocks at 17 min past
        // an hour at first and drifts.
        let mut times = vec![t0 - 6 * H - 30 * M];
        times.extend((0..23).map(|i| t0 + 17 * M + i * (3 * H + 10 * M)));
        let now = *times.last().unwrap_or(&t0) + 20 * M;
        let all = entries(&times);
        let active = |e: &Entries| {
            blocks(e, &[], None, &TimeZone::UTC, now, Agent::ClaudeCode, None)
                .into_iter()
                .find(|b| b.is_active)
                .map(|b| (b.start_ms, b.end_ms, b.usage.responses))
        };
        let truth = active(&all);
        assert!(truth.is_some());
        let read = |since: Option<i64>| -> Result<Entries, ()> { Ok(entries_since(&times, since)) };
        let last_48h = read(Some(now - 48 * H)).unwrap_or_default();
        assert_ne!(
            active(&last_48h),
            truth,
            "the case must need more than 48 h"
        );
        let got = recent(now, read).unwrap_or_default();
        assert_eq!(active(&got), truth);
        assert!(got.rows.len() < times.len() + 1);
        // With a pause inside the last 48 h, 48 h are read and suffice.
        let short = [now - 30 * H, now - 20 * H, now - H];
        let read_short =
            |since: Option<i64>| -> Result<Entries, ()> { Ok(entries_since(&short, since)) };
        assert_eq!(recent(now, read_short).map(|e| e.rows.len()), Ok(3));
    }

    #[test]
    fn recent_history_without_use_in_48_h_reads_48_h_only() {
        // The fresh-user report: the first session after a weekend read the whole index on
        // every status line. Use up to 3 days ago, none since: no block runs now (as all of
        // history says) and one 48 h read is enough.
        let t0 = 1_000 * H;
        let times: Vec<i64> = (0..40).map(|i| t0 + i * H).collect();
        let now = t0 + 39 * H + 72 * H;
        let all_blocks = blocks(
            &entries(&times),
            &[],
            None,
            &TimeZone::UTC,
            now,
            Agent::ClaudeCode,
            None,
        );
        assert!(all_blocks.iter().all(|b| !b.is_active));
        let mut asked = Vec::new();
        let got = recent(now, |since: Option<i64>| -> Result<Entries, ()> {
            asked.push(since);
            Ok(entries_since(&times, since))
        })
        .unwrap_or_default();
        assert_eq!(asked, [Some(now - 48 * H)]);
        assert!(got.rows.is_empty());
    }

    #[test]
    fn a_response_dated_after_now_does_not_stretch_the_active_rate() {
        // The fresh-user report: first response 30 min ago, another dated 2 h ahead (a clock
        // ahead): the rate is over the 30 minutes elapsed, not 2 h 30.
        let t0 = 1_000 * H;
        let now = t0 + 40 * M;
        let b = utc_blocks(&[t0 + 10 * M, t0 + 2 * H + 40 * M], &[], None, now);
        assert_eq!(b.len(), 1);
        assert!(b[0].is_active);
        let rate = b[0].burn_rate(now).unwrap();
        assert_eq!(rate.minutes, 30.0);
        // Two responses of 10 + 90 tokens.
        assert_eq!(rate.tokens_per_minute, 200.0 / 30.0);
    }

    #[test]
    fn the_ccusage_rule_by_hand() {
        let t0 = 1_000 * H; // a whole hour
                            // 10:20 → block 10:00–15:00; 14:59 stays (4h39 after the floored start); 15:01 is past
                            // the floored end → new block from 15:00; 20:30 is > 5 h after 15:01 → new block from
                            // 20:00. ccusage adds a gap 20:01–20:30 there, inside the block 20:00–01:00; the gap
                            // would start (15:01 + 5 h) after that block starts, so there is none.
        let times = [
            t0 + 20 * M,
            t0 + 4 * H + 59 * M,
            t0 + 5 * H + M,
            t0 + 10 * H + 30 * M,
        ];
        let b = utc_blocks(&times, &[], None, t0 + 100 * H);
        let shape: Vec<(i64, i64, bool, u64)> = b
            .iter()
            .map(|b| (b.start_ms - t0, b.end_ms - t0, b.is_gap, b.usage.responses))
            .collect();
        assert_eq!(
            shape,
            [
                (0, 5 * H, false, 2),
                (5 * H, 10 * H, false, 1),
                (10 * H, 15 * H, false, 1),
            ]
        );
        assert!(b.iter().all(|b| !b.is_active));
    }

    /// The fresh-user report: a gap ran to the next response (ccusage's rule), past the start
    /// of the block after it (floored to the hour). Spans are half-open: the gap ends where
    /// that block starts.
    #[test]
    fn a_gap_ends_where_the_next_block_starts() {
        let t0 = 1_000 * H; // a whole hour, 00:00 here
                            // Last response 05:01; next 12:30 (7 h 29 min later) → block 12:00–17:00; the gap runs
                            // 10:01 (05:01 + 5 h) → 12:00, 1 h 59 min (ccusage: → 12:30, 2 h 29 min).
        let times = [t0 + 20 * M, t0 + 5 * H + M, t0 + 12 * H + 30 * M];
        let b = blocks(
            &entries(&times),
            &[],
            None,
            &TimeZone::UTC,
            t0 + 100 * H,
            Agent::ClaudeCode,
            None,
        );
        let shape: Vec<(i64, i64, bool)> = b
            .iter()
            .map(|b| (b.start_ms - t0, b.end_ms - t0, b.is_gap))
            .collect();
        assert_eq!(
            shape,
            [
                (0, 5 * H, false),
                (5 * H, 10 * H, false),
                (10 * H + M, 12 * H, true),
                (12 * H, 17 * H, false),
            ]
        );
        assert_eq!(b[2].end_ms - b[2].start_ms, H + 59 * M);
        // No span overlaps the next one.
        assert!(b.windows(2).all(|w| w[0].end_ms <= w[1].start_ms));
    }

    #[test]
    fn the_gap_after_a_block_ended_by_a_known_reset_starts_at_the_reset() {
        let t0 = 1_000 * 24 * H + 18 * H; // 18:00 UTC
                                          // Responses at 18:10 and 18:42; a limit hit at 18:45 says it resets at 10pm; the next
                                          // response comes the next day at 09:00: the gap runs 22:00 → 09:00, not 23:42 → 09:00.
        let hits = vec![(
            t0 + 45 * M,
            "You've hit your limit · resets 10pm (UTC)".to_owned(),
        )];
        let times = [t0 + 10 * M, t0 + 42 * M, t0 + 15 * H];
        let b = utc_blocks(&times, &hits, None, t0 + 100 * H);
        let shape: Vec<(i64, i64, bool)> = b
            .iter()
            .map(|b| (b.start_ms - t0, b.end_ms - t0, b.is_gap))
            .collect();
        assert_eq!(
            shape,
            [
                (0, 4 * H, false),
                (4 * H, 15 * H, true),
                (15 * H, 20 * H, false)
            ]
        );
        assert_eq!(b[0].end_source, EndSource::Transcript);
    }

    #[test]
    fn a_reset_in_a_transcript_wins_and_the_active_block_projects() {
        // 1_000 * 24 hours: a UTC midnight; the block runs from 10:00.
        let t0 = 1_000 * 24 * H + 10 * H;
        // A limit hit at 10:30 says the window resets at 12:00 UTC: the block ends then, and
        // a response at 12:10 starts a new block at 12:00.
        let hits = vec![(
            t0 + 30 * M,
            "You've hit your limit · resets 12pm (UTC)".to_owned(),
        )];
        let times = [
            t0 + 10 * M,
            t0 + 20 * M,
            t0 + 2 * H + 10 * M,
            t0 + 2 * H + 40 * M,
        ];
        let now = t0 + 2 * H + 50 * M;
        let b = utc_blocks(&times, &hits, None, now);
        assert_eq!(b.len(), 2);
        assert_eq!(
            (b[0].end_ms, b[0].end_source),
            (t0 + 2 * H, EndSource::Transcript)
        );
        assert_eq!(b[1].start_ms, t0 + 2 * H);
        assert!(b[1].is_active);
        // 2 responses of 100 tokens, the first at 12:10, now 12:50: 200/40 tokens a minute
        // (the active block's rate runs to now); 12:50 → 17:00 is 4h10.
        let rate = b[1].burn_rate(now).unwrap();
        assert!((rate.tokens_per_minute - 200.0 / 40.0).abs() < 1e-9);
        // $0.00276 over 40 minutes: $0.00414 an hour.
        assert!((rate.cost_per_hour - 0.00414).abs() < 1e-12);
        let proj = b[1].projection(now).unwrap();
        assert_eq!(proj.remaining_minutes, 250);
        assert_eq!(proj.total_tokens, 200 + 5 * 250);
    }

    /// The fresh-user report: two responses dated 2026-12-31T23:59:59.999Z and
    /// 2027-01-01T00:00:00Z (a clock set ahead; times generated, as the corpus has none in
    /// the future) read on 2026-11-29T21:35Z. Epoch values computed with Python's datetime.
    #[test]
    fn a_block_dated_after_now_is_in_the_future_not_active() {
        let now = 1_795_988_100_000; // 2026-11-29T21:35:00Z
        let times = [1_798_761_599_999, 1_798_761_600_000];
        let b = utc_blocks(&times, &[], None, now);
        let usage: Vec<&Block> = b.iter().filter(|b| !b.is_gap).collect();
        assert_eq!(usage.len(), 1);
        // The block 2026-12-31T23:00Z: not active, in the future, no projection.
        assert_eq!(usage[0].start_ms, 1_798_761_600_000 - 3_600_000);
        assert!(!usage[0].is_active);
        assert!(usage[0].is_future(now));
        assert_eq!(usage[0].projection(now), None);
        // Read a day after the responses, the same block is past, not future.
        assert!(!usage[0].is_future(1_798_761_600_000 + 24 * H));
        // One response in the past and the block is active again by the usual rule.
        let b = utc_blocks(&[now - 10 * M], &[], None, now);
        assert!(b[0].is_active && !b[0].is_future(now));
    }

    /// The fresh-user report (tester4 M4): responses 20 minutes ago and a second transcript
    /// dated 3 days ahead. The block running now stays active (ccusage's rule, block by block:
    /// now − its last response < 5 h and now < its end) with its time left and projection;
    /// the later block is in the future; no gap row follows the running block. A response 2
    /// minutes ahead inside the running block keeps it active too.
    #[test]
    fn a_block_dated_days_ahead_leaves_the_block_running_now_active() {
        let now = 1_795_988_100_000; // 2026-11-29T21:35:00Z
        let hour = 1_795_986_000_000; // 2026-11-29T21:00:00Z, the running block's start
        let past = [now - 20 * M, now - 15 * M, now - 10 * M];
        let ahead = now + 3 * 24 * H;
        let mut times = past.to_vec();
        times.extend([ahead, ahead + M]);
        let b = utc_blocks(&times, &[], None, now);
        let shape: Vec<(i64, i64, bool, bool, bool)> = b
            .iter()
            .map(|b| {
                (
                    b.start_ms,
                    b.end_ms,
                    b.is_gap,
                    b.is_active,
                    b.is_future(now),
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                (hour, hour + 5 * H, false, true, false),
                (
                    floor_hour(ahead),
                    floor_hour(ahead) + 5 * H,
                    false,
                    false,
                    true
                ),
            ]
        );
        assert_eq!(b[0].usage.last_ms, Some(now - 10 * M));
        // Time left: 21:35 → 02:00, 265 minutes; the projection is there.
        assert_eq!(b[0].projection(now).map(|p| p.remaining_minutes), Some(265));
        // A response 2 minutes ahead, inside the running block: one block, active.
        let mut times = past.to_vec();
        times.push(now + 2 * M);
        let b = utc_blocks(&times, &[], None, now);
        assert_eq!(b.len(), 1);
        assert!(b[0].is_active && !b[0].is_future(now));
        assert_eq!(b[0].usage.last_ms, Some(now + 2 * M));
    }

    fn reading(read_ms: i64, resets_at_ms: i64) -> LimitReading {
        LimitReading {
            read_ms,
            window: "five_hour".into(),
            used_percent: 23.5,
            resets_at_ms: Some(resets_at_ms),
            session: None,
        }
    }

    /// The fresh-user report: an official reset at 23:28 and a first response at 18:09 gave
    /// one block "started 18:00" ending 23:28, 5 h 28 min long. The official window is
    /// [23:28 − 5 h, 23:28) = [18:28, 23:28); responses before 18:28 belong to the block
    /// before, which ends at 18:28. (Times generated: the corpus holds no official readings.)
    #[test]
    fn an_official_reset_gives_the_whole_window_and_earlier_responses_the_block_before() {
        let t0 = 1_000 * 24 * H; // a UTC midnight
        let reset = t0 + 23 * H + 28 * M;
        let times = [
            t0 + 18 * H + 9 * M,
            t0 + 18 * H + 20 * M,
            t0 + 18 * H + 40 * M,
            t0 + 21 * H,
        ];
        let now = t0 + 21 * H + 35 * M;
        let official = reading(t0 + 21 * H + 30 * M, reset);
        let b = utc_blocks(&times, &[], Some(&official), now);
        let shape: Vec<(i64, i64, bool, u64, bool)> = b
            .iter()
            .map(|b| {
                (
                    b.start_ms - t0,
                    b.end_ms - t0,
                    b.is_gap,
                    b.usage.responses,
                    b.is_active,
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                (18 * H, 18 * H + 28 * M, false, 2, false),
                (18 * H + 28 * M, 23 * H + 28 * M, false, 2, true),
            ]
        );
        assert!(b.iter().all(|b| b.end_source == EndSource::Official));
        assert_eq!(b[1].end_ms - b[1].start_ms, BLOCK_MS);

        // After a pause of more than 5 h, the gap ends where the window starts, not at the
        // first response inside it.
        let times = [t0 + 10 * H, t0 + 19 * H];
        let b = utc_blocks(&times, &[], Some(&official), now);
        let shape: Vec<(i64, i64, bool)> = b
            .iter()
            .map(|b| (b.start_ms - t0, b.end_ms - t0, b.is_gap))
            .collect();
        assert_eq!(
            shape,
            [
                (10 * H, 15 * H, false),
                (15 * H, 18 * H + 28 * M, true),
                (18 * H + 28 * M, 23 * H + 28 * M, false),
            ]
        );

        // Once the window has passed, the next response starts a block no earlier than its
        // end: 23:40 floors to 23:00, but the block starts at 23:28.
        let times = [t0 + 21 * H, t0 + 23 * H + 40 * M];
        let b = utc_blocks(&times, &[], Some(&official), t0 + 23 * H + 50 * M);
        let shape: Vec<(i64, i64, bool)> = b
            .iter()
            .map(|b| (b.start_ms - t0, b.end_ms - t0, b.is_active))
            .collect();
        assert_eq!(
            shape,
            [
                (18 * H + 28 * M, 23 * H + 28 * M, false),
                (23 * H + 28 * M, 28 * H + 28 * M, true),
            ]
        );
    }

    /// The fresh-user report: `blocks --since 1h` showed nothing while a block that started
    /// 3.5 h earlier was active, and `--since 1d` began with the gap after a block it had
    /// removed. (Times generated; the shape is what counts.)
    #[test]
    fn since_keeps_the_blocks_overlapping_it_and_no_leading_gap() {
        // A UTC midnight; a block at 02:00 (one response at 02:10), a pause, a block at 18:00
        // still running.
        let t0 = 1_000 * 24 * H;
        let times = [
            t0 + 2 * H + 10 * M,
            t0 + 18 * H + 5 * M,
            t0 + 21 * H + 20 * M,
        ];
        let now = t0 + 21 * H + 30 * M;
        let all = utc_blocks(&times, &[], None, now);
        let starts = |v: &[Block]| -> Vec<(i64, bool)> {
            v.iter().map(|b| (b.start_ms - t0, b.is_gap)).collect()
        };
        assert_eq!(
            starts(&all),
            [(2 * H, false), (7 * H + 10 * M, true), (18 * H, false)]
        );
        // --since 1h: the active block (started 3.5 h before now) is kept.
        let since = Some(Bound::Instant(now - H));
        let kept = filter_overlapping(all.clone(), since, None, &TimeZone::UTC);
        assert_eq!(starts(&kept), [(18 * H, false)]);
        assert!(kept[0].is_active);
        // --since 17:00: the gap 07:10–18:00 overlaps it, but its block before is gone.
        let since = Some(Bound::Instant(t0 + 17 * H));
        let kept = filter_overlapping(all.clone(), since, None, &TimeZone::UTC);
        assert_eq!(starts(&kept), [(18 * H, false)]);
        // --until 03:00: the first block only, no trailing gap.
        let until = Some(Bound::Instant(t0 + 3 * H));
        let kept = filter_overlapping(all.clone(), None, until, &TimeZone::UTC);
        assert_eq!(starts(&kept), [(2 * H, false)]);
        // A date bound: the whole day keeps all three; the next day none.
        let day = local_date(t0, &TimeZone::UTC);
        let kept = filter_overlapping(all.clone(), Some(Bound::Date(day)), None, &TimeZone::UTC);
        assert_eq!(kept.len(), 3);
        let next = day.tomorrow().unwrap_or(day);
        let kept = filter_overlapping(all, Some(Bound::Date(next)), None, &TimeZone::UTC);
        assert!(kept.is_empty());
    }

    /// The fresh-user report: two responses 4 s apart gave 3.7M tokens/min and a projection
    /// of $598.55 for $0.15 spent in 32 minutes, the rate measured between the two responses
    /// only. (Times generated; the shape is what counts.)
    #[test]
    fn a_young_block_has_no_rate_and_the_active_rate_runs_to_now() {
        let t0 = 1_000 * 24 * H + 21 * H; // 21:00 UTC
        let first = t0 + 31 * M + 34_000;
        let times = [first, first + 4_000];
        let at = |now: i64| utc_blocks(&times, &[], None, now);
        // 5 minutes after the first response: too early for a rate or a projection.
        let b = at(first + 5 * M);
        assert!(b[0].is_active);
        assert_eq!(b[0].burn_rate(first + 5 * M), None);
        assert_eq!(b[0].projection(first + 5 * M), None);
        // 32 minutes after: 200 tokens over 32 minutes, $0.00276 over 32 minutes.
        let now = first + 32 * M;
        let b = at(now);
        let rate = b[0].burn_rate(now).unwrap();
        assert!((rate.tokens_per_minute - 200.0 / 32.0).abs() < 1e-9);
        assert!((rate.cost_per_hour - 0.00276 / 32.0 * 60.0).abs() < 1e-12);
        assert!((rate.minutes - 32.0).abs() < 1e-9);
        // The block ends at 02:00; now is 22:03:34: 236 minutes left (rounded).
        let proj = b[0].projection(now).unwrap();
        assert_eq!(proj.remaining_minutes, 236);
        let left = (t0 + 5 * H - now) as f64 / 60_000.0;
        assert_eq!(
            proj.total_tokens,
            (200.0 + 200.0 / 32.0 * left).round() as u64
        );
        // $0.00276 so far and as much again every 32 minutes left.
        assert!(
            (proj.total_cost - 0.00276 * (1.0 + left / 32.0)).abs() < 1e-12,
            "{proj:?}"
        );
        // Once past, the block's own span (4 s) is too short for a rate; 20 minutes is not.
        let later = first + 10 * H;
        assert_eq!(at(later)[0].burn_rate(later), None);
        let spread = [first, first + 20 * M];
        let b = utc_blocks(&spread, &[], None, later);
        let rate = b[0].burn_rate(later).unwrap();
        assert!((rate.tokens_per_minute - 10.0).abs() < 1e-9);
    }

    /// tester6 §1: a Codex request 90 minutes ago and a Claude Code request 30 minutes ago
    /// made one block, started at the Codex request's hour, $1.3525 of which $1.30 Codex.
    /// Each agent's blocks are its own. Times as in the tester's run: now 15:11:57 UTC, Codex at
    /// 13:41:57, Claude at 14:41:57 (a UTC midnight + those hours; the shape is what counts).
    /// Costs as aegon prices them: Opus 4.6 10,000 in × $5 + 100 out × $25 a million =
    /// $0.0525; GPT-5.5 200,000 in × $5 + 10,000 out × $30 a million = $1.30.
    #[test]
    fn a_block_is_one_agents_and_another_agents_use_never_starts_or_fills_it() {
        let t0 = 1_000 * 24 * H; // a UTC midnight
        let (codex_at, claude_at) = (t0 + 13 * H + 41 * M + 57_000, t0 + 14 * H + 41 * M + 57_000);
        let now = t0 + 15 * H + 11 * M + 57_000;
        let mut e = entries(&[codex_at, claude_at]);
        e.rows[0].agent = Agent::Codex;
        e.rows[0].cost_pico = Some(1_300_000_000_000);
        e.rows[1].cost_pico = Some(52_500_000_000);
        // A limit message of Claude Code's at 14:50 announcing a reset at 17:00 UTC.
        let hits = vec![(
            t0 + 14 * H + 50 * M,
            "You've hit your limit · resets 5pm (UTC)".to_owned(),
        )];
        let of = |agent| blocks(&e, &hits, None, &TimeZone::UTC, now, agent, None);
        let claude = of(Agent::ClaudeCode);
        assert_eq!(claude.len(), 1);
        // From the Claude request's hour, 14:00, to the reset the message gave.
        assert_eq!(
            (claude[0].start_ms, claude[0].end_ms),
            (t0 + 14 * H, t0 + 17 * H)
        );
        assert_eq!(claude[0].end_source, EndSource::Transcript);
        assert_eq!(claude[0].usage.models(), ["claude-sonnet-4-5"]);
        assert_eq!(claude[0].usage.responses, 1);
        assert!((claude[0].usage.priced_cost() - 0.0525).abs() < 1e-12);
        assert!(claude[0].is_active);
        // Its rate is Claude's alone: $0.0525 over the 30 minutes since its first response.
        let rate = claude[0].burn_rate(now).unwrap();
        assert!((rate.cost_per_hour - 0.105).abs() < 1e-9, "{rate:?}");
        // Codex's block: 13:00 → 18:00, an estimate (Claude Code's limit message is not its).
        let codex = of(Agent::Codex);
        assert_eq!(codex.len(), 1);
        assert_eq!(
            (codex[0].start_ms, codex[0].end_ms),
            (t0 + 13 * H, t0 + 18 * H)
        );
        assert_eq!(codex[0].end_source, EndSource::Estimate);
        assert!((codex[0].usage.priced_cost() - 1.30).abs() < 1e-12);
        // An official five_hour reading is Claude Code's too: it never shapes Codex's block.
        let official = reading(now - M, t0 + 18 * H + 30 * M);
        let codex = blocks(
            &e,
            &[],
            Some(&official),
            &TimeZone::UTC,
            now,
            Agent::Codex,
            None,
        );
        assert_eq!(
            (codex[0].start_ms, codex[0].end_ms),
            (t0 + 13 * H, t0 + 18 * H)
        );
        // An agent without responses has no block.
        assert!(of(Agent::GeminiCli).is_empty());
    }

    #[test]
    fn limits() {
        assert_eq!(limit_status(81, 100), "warning");
        assert_eq!(limit_status(80, 100), "ok");
        assert_eq!(limit_status(101, 100), "exceeds");
    }
}
