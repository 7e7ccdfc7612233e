//! Durations kept as a log-scale histogram, for percentiles in bounded memory.
//!
//! Exact below 100 ms; above, buckets grow by 2 % and report their geometric middle, so a
//! reported percentile is within 1 % of the true value. Memory grows with the number of distinct buckets used (at most ~900 for
//! durations up to a day), never with the number of durations recorded.

use std::collections::BTreeMap;

/// Durations below this are kept exactly (one bucket per millisecond).
const EXACT_BELOW: u64 = 100;

/// Relative width of a bucket above [`EXACT_BELOW`].
const GROWTH: f64 = 1.02;

/// A histogram of durations in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    buckets: BTreeMap<u32, u64>,
    count: u64,
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one duration.
    pub fn record(&mut self, ms: u64) {
        *self.buckets.entry(bucket_of(ms)).or_insert(0) += 1;
        self.count += 1;
    }

    /// Number of durations recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The `p`-th percentile (0–100, nearest rank): the smallest recorded duration (to within
    /// a bucket) that at least `p` % of the durations do not exceed. `None` when empty.
    pub fn percentile(&self, p: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((p / 100.0) * self.count as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (&bucket, &n) in &self.buckets {
            seen += n;
            if seen >= rank {
                return Some(value_of(bucket));
            }
        }
        self.buckets.keys().next_back().map(|&b| value_of(b))
    }

    /// Adds another histogram's durations to this one.
    pub fn merge(&mut self, other: &Histogram) {
        for (&b, &n) in &other.buckets {
            *self.buckets.entry(b).or_insert(0) += n;
        }
        self.count += other.count;
    }
}

fn bucket_of(ms: u64) -> u32 {
    if ms < EXACT_BELOW {
        ms as u32
    } else {
        let steps = ((ms as f64) / EXACT_BELOW as f64).ln() / GROWTH.ln();
        EXACT_BELOW as u32 + steps.floor() as u32
    }
}

/// The value a bucket reports: exact below 100 ms, else its geometric middle (within 1 % of
/// any value in it).
fn value_of(bucket: u32) -> u64 {
    if u64::from(bucket) < EXACT_BELOW {
        u64::from(bucket)
    } else {
        let steps = f64::from(bucket - EXACT_BELOW as u32) + 0.5;
        (EXACT_BELOW as f64 * GROWTH.powf(steps)).round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nearest-rank percentile of a sorted list, for comparison.
    fn exact(sorted: &[u64], p: f64) -> u64 {
        let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
        sorted[rank - 1]
    }

    #[test]
    fn small_durations_are_exact() {
        let mut h = Histogram::new();
        for ms in [5, 1, 3, 2, 4] {
            h.record(ms);
        }
        assert_eq!(h.percentile(50.0), Some(3));
        assert_eq!(h.percentile(95.0), Some(5));
        assert_eq!(h.percentile(0.0), Some(1));
        assert_eq!(Histogram::new().percentile(50.0), None);
    }

    #[test]
    fn large_durations_are_within_two_percent() {
        let mut values: Vec<u64> = (0..5000u64).map(|i| (i * 7919) % 1_833_000 + 1).collect();
        let mut h = Histogram::new();
        for &v in &values {
            h.record(v);
        }
        values.sort_unstable();
        for p in [50.0, 90.0, 95.0, 99.0] {
            let want = exact(&values, p) as f64;
            let got = h.percentile(p).unwrap() as f64;
            assert!((got - want).abs() / want <= 0.01, "p{p}: {got} vs {want}");
        }
        assert!(h.buckets.len() < 700, "{} buckets", h.buckets.len());
    }

    #[test]
    fn merging_adds_up() {
        let mut a = Histogram::new();
        let mut b = Histogram::new();
        a.record(10);
        b.record(20);
        b.record(30);
        a.merge(&b);
        assert_eq!(a.count(), 3);
        assert_eq!(a.percentile(50.0), Some(20));
    }
}
