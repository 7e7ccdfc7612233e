//! Hash maps keyed by values that are already hashes, and [`Generations`]: such a map that
//! forgets its oldest keys beyond a limit.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// For keys that are already well mixed (random UUID bits, hashes): uses them as they are.
#[derive(Debug, Default)]
pub(crate) struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A map keyed by hashes that remembers at most about `limit` keys: the newest. Keys go to a
/// current generation; when it holds half the limit it becomes the previous one (the one
/// before is dropped). Lookups see both, so a key is remembered for at least `limit / 2`
/// insertions after its own. Unbounded when no limit is set.
#[derive(Debug)]
pub(crate) struct Generations<V> {
    current: HashMap<u64, V, BuildHasherDefault<PassThroughHasher>>,
    previous: HashMap<u64, V, BuildHasherDefault<PassThroughHasher>>,
    limit: Option<usize>,
}

impl<V> Default for Generations<V> {
    fn default() -> Self {
        Generations {
            current: HashMap::default(),
            previous: HashMap::default(),
            limit: None,
        }
    }
}

impl<V> Generations<V> {
    /// A map remembering about `limit` keys (`None`: all of them).
    pub(crate) fn with_limit(limit: Option<usize>) -> Self {
        Generations {
            limit: limit.map(|l| l.max(2)),
            ..Self::default()
        }
    }

    /// Sets the limit (applies from the next insertion on).
    pub(crate) fn set_limit(&mut self, limit: Option<usize>) {
        self.limit = limit.map(|l| l.max(2));
    }

    pub(crate) fn get(&self, key: &u64) -> Option<&V> {
        self.current.get(key).or_else(|| self.previous.get(key))
    }

    pub(crate) fn get_mut(&mut self, key: &u64) -> Option<&mut V> {
        match self.current.get_mut(key) {
            Some(v) => Some(v),
            None => self.previous.get_mut(key),
        }
    }

    pub(crate) fn contains_key(&self, key: &u64) -> bool {
        self.current.contains_key(key) || self.previous.contains_key(key)
    }

    pub(crate) fn insert(&mut self, key: u64, value: V) {
        if let Some(limit) = self.limit {
            if self.current.len() >= limit / 2 {
                self.previous = std::mem::take(&mut self.current);
            }
        }
        self.current.insert(key, value);
    }

    /// Keys held (a key in both generations counts twice).
    pub(crate) fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }

    /// Every entry, older generation first.
    pub(crate) fn into_entries(self) -> impl Iterator<Item = (u64, V)> {
        self.previous.into_iter().chain(self.current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_forget_the_oldest_keys_beyond_the_limit() {
        let mut map = Generations::with_limit(Some(100));
        for k in 0..1_000u64 {
            map.insert(k, k * 2);
            assert!(map.len() <= 100, "{} keys held", map.len());
            // The last 50 keys are always remembered.
            for recent in k.saturating_sub(49)..=k {
                assert_eq!(map.get(&recent), Some(&(recent * 2)));
            }
        }
        assert!(!map.contains_key(&0));
        *map.get_mut(&999).unwrap() = 1;
        assert_eq!(map.get(&999), Some(&1));
        let mut unbounded = Generations::default();
        for k in 0..1_000u64 {
            unbounded.insert(k, ());
        }
        assert_eq!(unbounded.len(), 1_000);
        assert_eq!(unbounded.into_entries().count(), 1_000);
    }
}
