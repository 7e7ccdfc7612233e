//! Token counts of an API response, split the way they are priced.

use crate::record::Usage;

/// Token counts by kind. Arithmetic saturates: absurd counts never wrap around.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tokens {
    /// Uncached input tokens.
    pub input: u64,
    /// Output tokens (thinking included).
    pub output: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the cache with the 5-minute TTL.
    pub cache_write_5m: u64,
    /// Input tokens written to the cache with the 1-hour TTL.
    pub cache_write_1h: u64,
}

impl Tokens {
    /// The response's tokens as recorded on one line.
    ///
    /// When `usage.iterations` is non-empty its elements add up to the response (one real
    /// response has all-zero outer counts). Cache writes are split by `cache_creation`; a total
    /// larger than the split (or no split at all, as in 1.0.17) is counted as 5-minute writes.
    pub fn from_usage(usage: &Usage) -> Tokens {
        match usage.iterations.as_deref() {
            Some(iterations) if !iterations.is_empty() => iterations
                .iter()
                .map(Tokens::from_single)
                .fold(Tokens::default(), Tokens::saturating_add),
            _ => Tokens::from_single(usage),
        }
    }

    fn from_single(usage: &Usage) -> Tokens {
        let (split_5m, split_1h) = usage.cache_creation.as_ref().map_or((0, 0), |c| {
            (c.ephemeral_5m_input_tokens, c.ephemeral_1h_input_tokens)
        });
        let unsplit = usage
            .cache_creation_input_tokens
            .saturating_sub(split_5m.saturating_add(split_1h));
        Tokens {
            input: usage.input_tokens,
            output: usage.output_tokens,
            cache_read: usage.cache_read_input_tokens,
            cache_write_5m: split_5m.saturating_add(unsplit),
            cache_write_1h: split_1h,
        }
    }

    /// Field-wise sum.
    pub fn saturating_add(self, other: Tokens) -> Tokens {
        Tokens {
            input: self.input.saturating_add(other.input),
            output: self.output.saturating_add(other.output),
            cache_read: self.cache_read.saturating_add(other.cache_read),
            cache_write_5m: self.cache_write_5m.saturating_add(other.cache_write_5m),
            cache_write_1h: self.cache_write_1h.saturating_add(other.cache_write_1h),
        }
    }

    /// Field-wise maximum.
    pub fn max(self, other: Tokens) -> Tokens {
        Tokens {
            input: self.input.max(other.input),
            output: self.output.max(other.output),
            cache_read: self.cache_read.max(other.cache_read),
            cache_write_5m: self.cache_write_5m.max(other.cache_write_5m),
            cache_write_1h: self.cache_write_1h.max(other.cache_write_1h),
        }
    }

    /// Field-wise `self - other`, 0 where `other` is larger.
    pub fn saturating_sub(self, other: Tokens) -> Tokens {
        Tokens {
            input: self.input.saturating_sub(other.input),
            output: self.output.saturating_sub(other.output),
            cache_read: self.cache_read.saturating_sub(other.cache_read),
            cache_write_5m: self.cache_write_5m.saturating_sub(other.cache_write_5m),
            cache_write_1h: self.cache_write_1h.saturating_sub(other.cache_write_1h),
        }
    }

    /// Whether every count is 0.
    pub fn is_zero(&self) -> bool {
        *self == Tokens::default()
    }

    /// All input tokens: uncached, cache reads and cache writes.
    pub fn total_input(&self) -> u64 {
        self.input
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_write_5m)
            .saturating_add(self.cache_write_1h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::CacheCreation;

    fn usage(input: u64, output: u64, write: u64, split: Option<(u64, u64)>) -> Usage {
        Usage {
            input_tokens: input,
            output_tokens: output,
            cache_creation_input_tokens: write,
            cache_read_input_tokens: 7,
            cache_creation: split.map(|(a, b)| CacheCreation {
                ephemeral_5m_input_tokens: a,
                ephemeral_1h_input_tokens: b,
            }),
            iterations: None,
        }
    }

    #[test]
    fn cache_writes_follow_the_ttl_split() {
        let t = Tokens::from_usage(&usage(3, 13, 13835, Some((0, 13835))));
        assert_eq!((t.cache_write_5m, t.cache_write_1h), (0, 13835));
        // 1.0.17: no split, everything at the 5-minute rate.
        let t = Tokens::from_usage(&usage(3, 13, 500, None));
        assert_eq!((t.cache_write_5m, t.cache_write_1h), (500, 0));
    }

    #[test]
    fn iterations_add_up_when_present() {
        let mut outer = usage(0, 0, 0, Some((0, 900)));
        outer.iterations = Some(vec![
            usage(1, 10, 100, Some((0, 100))),
            usage(2, 20, 0, None),
        ]);
        let t = Tokens::from_usage(&outer);
        assert_eq!(
            t,
            Tokens {
                input: 3,
                output: 30,
                cache_read: 14,
                cache_write_5m: 0,
                cache_write_1h: 100
            }
        );
    }

    #[test]
    fn arithmetic_saturates() {
        let big = Tokens {
            input: u64::MAX,
            ..Tokens::default()
        };
        assert_eq!(big.saturating_add(big).input, u64::MAX);
        assert_eq!(Tokens::default().saturating_sub(big).input, 0);
    }
}
