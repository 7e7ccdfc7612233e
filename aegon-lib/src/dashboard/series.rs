//! Per-session time series for the session panel: tokens per minute and the context fill over
//! the session's life, in memory bounded whatever the history.
//!
//! - **Tokens per minute**: a fixed ring of [`MINUTES`] buckets (4 bytes each) ending at the
//!   newest minute with usage; every token of every API response counts (input, output, cache
//!   reads and writes, subagents included: what the session's tokens total sums), in the
//!   minute of the response's timestamp. A response older than the ring is left out.
//! - **Context fill**: at most [`CONTEXT_SAMPLES`] samples (16 bytes each), one per change of
//!   the session core's context fill (each main-chain response, each compaction). When full,
//!   neighbours are merged in pairs, so the samples always span the session's whole life at a
//!   coarser step: a pair keeps its compaction sample if it has one (so every compaction stays a
//!   visible drop), else its fuller sample (so peaks stay).
//! - **Sessions**: the [`SERIES_SESSIONS`] most recently active sessions keep series; beyond
//!   that the least recently active one's are dropped (its panel then says so).
//!
//! At most about 2.3 KB per session, 2.4 MB in all.

use std::collections::HashMap;

/// Minutes of tokens kept per session (the sparkline's span at most).
pub const MINUTES: usize = 60;

/// Context samples kept per session before pairs are merged.
pub const CONTEXT_SAMPLES: usize = 128;

/// Sessions that keep series (the most recently active).
pub const SERIES_SESSIONS: usize = 1_024;

const MINUTE_MS: i64 = 60_000;

/// The context fill at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextSample {
    /// When, ms since the Unix epoch (the event's timestamp).
    pub at_ms: i64,
    /// Tokens in the context (saturating at `u32::MAX`).
    tokens: u32,
    /// The model's window in thousands of tokens (200 for 200K, 1000 for 1M).
    window_k: u16,
    /// This sample is the drop of a compaction.
    pub compacted: bool,
}

impl ContextSample {
    /// A sample of `tokens` in a window of `window` tokens.
    pub fn new(at_ms: i64, tokens: u64, window: u64, compacted: bool) -> ContextSample {
        ContextSample {
            at_ms,
            tokens: u32::try_from(tokens).unwrap_or(u32::MAX),
            window_k: u16::try_from(window.div_ceil(1_000)).unwrap_or(u16::MAX),
            compacted,
        }
    }

    /// Tokens in the context.
    pub fn tokens(&self) -> u64 {
        u64::from(self.tokens)
    }

    /// The window, in tokens (to the thousand).
    pub fn window(&self) -> u64 {
        u64::from(self.window_k) * 1_000
    }

    /// Fill as a percentage of the window (0–100, more if over).
    pub fn percent(&self) -> f64 {
        self.tokens() as f64 * 100.0 / self.window().max(1) as f64
    }
}

/// One session's series. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct SessionSeries {
    minutes: [u32; MINUTES],
    /// The newest minute in the ring (ms / 60,000), once a token was counted.
    last_minute: Option<i64>,
    samples: Vec<ContextSample>,
    /// Latest event applied (ms), for choosing which sessions keep series.
    last_ms: i64,
}

impl Default for SessionSeries {
    fn default() -> Self {
        SessionSeries {
            minutes: [0; MINUTES],
            last_minute: None,
            samples: Vec::new(),
            last_ms: i64::MIN,
        }
    }
}

impl SessionSeries {
    /// Counts `tokens` in the minute of `at_ms`.
    pub fn add_tokens(&mut self, at_ms: i64, tokens: u64) {
        let minute = at_ms.div_euclid(MINUTE_MS);
        let span = MINUTES as i64;
        match self.last_minute {
            Some(last) if minute > last => {
                for m in (last + 1)..=minute.min(last + span) {
                    self.minutes[slot(m)] = 0;
                }
                // A jump of more than the ring clears it all (above), whatever the distance.
                self.last_minute = Some(minute);
            }
            Some(last) if minute <= last - span => return,
            Some(_) => {}
            None => self.last_minute = Some(minute),
        }
        let bucket = &mut self.minutes[slot(minute)];
        *bucket = bucket.saturating_add(u32::try_from(tokens).unwrap_or(u32::MAX));
    }

    /// Tokens in each of the `n` minutes (at most [`MINUTES`]) ending with minute `end_minute`
    /// (ms / 60,000), oldest first; minutes outside the ring count 0.
    pub fn per_minute(&self, end_minute: i64, n: usize) -> Vec<u64> {
        let n = n.min(MINUTES) as i64;
        let Some(last) = self.last_minute else {
            return vec![0; n as usize];
        };
        ((end_minute - n + 1)..=end_minute)
            .map(|m| {
                if m <= last && m > last - MINUTES as i64 {
                    u64::from(self.minutes[slot(m)])
                } else {
                    0
                }
            })
            .collect()
    }

    /// The newest minute with tokens counted (ms / 60,000).
    pub fn last_minute(&self) -> Option<i64> {
        self.last_minute
    }

    /// Records the context fill at `at_ms`, when it differs from the latest sample's.
    pub fn add_context(&mut self, sample: ContextSample) {
        let same = |s: &ContextSample| {
            s.tokens == sample.tokens
                && s.window_k == sample.window_k
                && s.compacted == sample.compacted
        };
        if self.samples.last().is_some_and(same) {
            return;
        }
        if self.samples.len() == CONTEXT_SAMPLES {
            self.halve();
        }
        // Files of one session can be read out of time order: keep the samples in order.
        let at = self.samples.partition_point(|s| s.at_ms <= sample.at_ms);
        self.samples.insert(at, sample);
    }

    /// Merges neighbours in pairs (see the [module documentation](self)).
    fn halve(&mut self) {
        let merged: Vec<ContextSample> = self
            .samples
            .chunks(2)
            .map(|pair| match pair {
                [a, b] if b.compacted && !a.compacted => *b,
                [a, b] if a.compacted && !b.compacted => *a,
                [a, b] if b.tokens >= a.tokens => *b,
                [a, _] => *a,
                [a] => *a,
                _ => unreachable!("chunks of two"),
            })
            .collect();
        self.samples = merged;
    }

    /// The context samples, oldest first.
    pub fn context(&self) -> &[ContextSample] {
        &self.samples
    }
}

fn slot(minute: i64) -> usize {
    minute.rem_euclid(MINUTES as i64) as usize
}

/// The series of the most recently active sessions, by session id.
#[derive(Debug, Default)]
pub struct Series {
    /// Hashed with foldhash: looked up for every usage event, by an id of some 36 bytes.
    sessions: HashMap<Box<str>, SessionSeries, foldhash::fast::RandomState>,
}

impl Series {
    /// The series of session `id`, made if needed (dropping the least recently active
    /// session's when [`SERIES_SESSIONS`] already have one); `at_ms` is the event's time.
    pub fn entry(&mut self, id: &str, at_ms: i64) -> &mut SessionSeries {
        // Looked up first: the key is allocated only for a new session.
        if !self.sessions.contains_key(id) {
            if self.sessions.len() >= SERIES_SESSIONS {
                let oldest = self
                    .sessions
                    .iter()
                    .min_by_key(|(_, s)| s.last_ms)
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    self.sessions.remove(&oldest);
                }
            }
            self.sessions.insert(id.into(), SessionSeries::default());
        }
        let series = self
            .sessions
            .get_mut(id)
            .unwrap_or_else(|| unreachable!("inserted above"));
        series.last_ms = series.last_ms.max(at_ms);
        series
    }

    /// The series of session `id`, if it keeps one.
    pub fn get(&self, id: &str) -> Option<&SessionSeries> {
        self.sessions.get(id)
    }

    /// Sessions with series.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether no session has series.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minute_ring_keeps_the_latest_hour() {
        let mut s = SessionSeries::default();
        let t0 = 1_000 * MINUTE_MS;
        s.add_tokens(t0, 10);
        s.add_tokens(t0 + 30_000, 5); // same minute
        s.add_tokens(t0 + 2 * MINUTE_MS, 7);
        assert_eq!(s.per_minute(1_002, 4), [0, 15, 0, 7]);
        // An hour and more later: the old minutes are gone from the ring.
        s.add_tokens(t0 + 70 * MINUTE_MS, 1);
        assert_eq!(s.per_minute(1_070, 60).iter().sum::<u64>(), 1);
        assert_eq!(s.per_minute(1_002, 3), [0, 0, 0], "outside the ring");
        // Too old to fit: left out; a late one inside the ring counts.
        s.add_tokens(t0, 100);
        s.add_tokens(t0 + 69 * MINUTE_MS, 2);
        assert_eq!(s.per_minute(1_070, 2), [2, 1]);
        assert_eq!(s.per_minute(1_070, 500).len(), MINUTES);
    }

    #[test]
    fn full_samples_halve_and_keep_compactions_and_peaks() {
        let mut s = SessionSeries::default();
        for i in 0..CONTEXT_SAMPLES as i64 {
            // Rising, with a compaction at sample 51 (an odd index: the second of its pair).
            let compacted = i == 51;
            let tokens = if compacted { 10 } else { 1_000 + i as u64 };
            s.add_context(ContextSample::new(i * 1_000, tokens, 200_000, compacted));
        }
        assert_eq!(s.context().len(), CONTEXT_SAMPLES);
        s.add_context(ContextSample::new(200_000, 5_000, 200_000, false));
        assert_eq!(s.context().len(), CONTEXT_SAMPLES / 2 + 1);
        let c: Vec<_> = s.context().iter().filter(|x| x.compacted).collect();
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].at_ms, c[0].tokens()), (51_000, 10));
        // Other pairs keep their fuller (later) sample; the span is the whole life.
        assert_eq!(s.context()[0].tokens(), 1_001);
        assert_eq!(s.context().last().unwrap().at_ms, 200_000);
        // Repeats are not samples.
        s.add_context(ContextSample::new(300_000, 5_000, 200_000, false));
        assert_eq!(s.context().len(), CONTEXT_SAMPLES / 2 + 1);
    }

    #[test]
    fn only_the_latest_sessions_keep_series() {
        let mut all = Series::default();
        for i in 0..(SERIES_SESSIONS + 10) as i64 {
            all.entry(&format!("s{i}"), i).add_tokens(i * MINUTE_MS, 1);
        }
        assert_eq!(all.len(), SERIES_SESSIONS);
        assert!(all.get("s0").is_none() && all.get("s9").is_none());
        assert!(all.get("s10").is_some());
        assert!(all.get(&format!("s{}", SERIES_SESSIONS + 9)).is_some());
    }

    #[test]
    fn samples_stay_in_time_order() {
        let mut s = SessionSeries::default();
        s.add_context(ContextSample::new(3_000, 30, 200_000, false));
        s.add_context(ContextSample::new(1_000, 10, 200_000, false));
        s.add_context(ContextSample::new(2_000, 20, 200_000, false));
        let at: Vec<i64> = s.context().iter().map(|c| c.at_ms).collect();
        assert_eq!(at, [1_000, 2_000, 3_000]);
        let c = ContextSample::new(0, 50_000, 200_000, false);
        assert_eq!((c.window(), c.percent()), (200_000, 25.0));
    }
}
