//! Hashing of keys that are already hashes ([`PassThroughHasher`]), and, inside the crate,
//! `Generations`: a map keyed by hashes that forgets its oldest keys beyond a limit.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// For keys that are already well mixed (random UUID bits, 64-bit hashes such as the
/// [`crate::session::correlate::Correlator`]'s identities): `write_u64` keeps the key as the
/// hash; other writes fold their bytes in (8 bits a byte), for keys that are not one `u64`.
/// Use it as `BuildHasherDefault<PassThroughHasher>`.
#[derive(Debug, Default)]
pub struct PassThroughHasher(u64);

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

/// The default hasher of [`Generations`]: keys used as they are.
type PassThrough = BuildHasherDefault<PassThroughHasher>;

/// A map keyed by hashes that remembers at most about `limit` keys: the newest. Keys go to a
/// current generation; when it holds half the limit it becomes the previous one (the one
/// before is dropped). Lookups see both, so a key is remembered for at least `limit / 2`
/// insertions after its own. Unbounded when no limit is set. Keys are `u64` hashes unless
/// said otherwise (`K`, hashed by `S`).
#[derive(Debug)]
pub(crate) struct Generations<V, K = u64, S = PassThrough> {
    current: HashMap<K, V, S>,
    previous: HashMap<K, V, S>,
    limit: Option<usize>,
}

impl<V, K, S: Default> Default for Generations<V, K, S> {
    fn default() -> Self {
        Generations {
            current: HashMap::default(),
            previous: HashMap::default(),
            limit: None,
        }
    }
}

impl<V, K: Hash + Eq, S: std::hash::BuildHasher + Default> Generations<V, K, S> {
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

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.current.get(key).or_else(|| self.previous.get(key))
    }

    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        match self.current.get_mut(key) {
            Some(v) => Some(v),
            None => self.previous.get_mut(key),
        }
    }

    pub(crate) fn contains_key(&self, key: &K) -> bool {
        self.current.contains_key(key) || self.previous.contains_key(key)
    }

    pub(crate) fn insert(&mut self, key: K, value: V) {
        if let Some(limit) = self.limit {
            if self.current.len() >= limit / 2 {
                self.rotate();
            }
        }
        self.current.insert(key, value);
    }

    /// The current generation becomes the previous one; the one before is emptied and, its
    /// table kept, becomes the current one: after the first rotation no table grows again,
    /// so memory stays at two tables of `limit / 2` keys, without the copies and the freed
    /// half-size tables a table growing from empty leaves behind.
    fn rotate(&mut self) {
        let mut oldest = std::mem::take(&mut self.previous);
        oldest.clear();
        // The first time there is no oldest table yet: one of the same size, at once.
        oldest.reserve(self.current.len());
        self.previous = std::mem::replace(&mut self.current, oldest);
    }

    /// Inserts `key` unless it is held (in either generation); returns whether it was
    /// inserted. [`Generations::contains_key`] then [`Generations::insert`] in one: the current
    /// generation is probed once.
    pub(crate) fn insert_if_absent(&mut self, key: K, value: V) -> bool {
        use std::collections::hash_map::Entry;
        if self.previous.contains_key(&key) {
            return false;
        }
        if let Some(limit) = self.limit {
            if self.current.len() >= limit / 2 {
                if self.current.contains_key(&key) {
                    return false;
                }
                self.rotate();
                self.current.insert(key, value);
                return true;
            }
        }
        match self.current.entry(key) {
            Entry::Occupied(_) => false,
            Entry::Vacant(slot) => {
                slot.insert(value);
                true
            }
        }
    }

    /// Keys held (a key in both generations counts twice).
    pub(crate) fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }

    /// Every key held, older generation first (a key in both generations comes twice).
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.previous.keys().chain(self.current.keys())
    }

    /// Every entry, older generation first.
    pub(crate) fn into_entries(self) -> impl Iterator<Item = (K, V)> {
        self.previous.into_iter().chain(self.current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After the first rotation no table grows again: the emptied oldest table is reused, so
    /// the memory held stays at two tables sized for `limit / 2` keys.
    #[test]
    fn generations_reuse_their_tables_instead_of_growing_new_ones() {
        let limit = 2 * 28_672;
        let mut map: Generations<()> = Generations::with_limit(Some(limit));
        // A table holding `limit / 2` keys has at most this many slots (hashbrown's 7/8 load).
        let one = (limit / 2 * 8 / 7).next_power_of_two();
        let mut most = 0;
        for k in 0..(10 * limit as u64) {
            if k % 2 == 0 {
                map.insert(k.wrapping_mul(0x9E37_79B9_7F4A_7C15), ());
            } else {
                map.insert_if_absent(k.wrapping_mul(0x9E37_79B9_7F4A_7C15), ());
            }
            most = most.max(map.current.capacity() + map.previous.capacity());
            if !map.previous.is_empty() {
                // Rotated: the current table is the reused oldest one, not a new empty table
                // growing again by doubling.
                assert!(map.current.capacity() >= limit / 2, "key {k}");
            }
        }
        assert!(most <= 2 * one, "{most} slots held, {one} per table");
        assert!(map.len() <= limit);
    }

    #[test]
    fn generations_forget_the_oldest_keys_beyond_the_limit() {
        let mut map: Generations<u64> = Generations::with_limit(Some(100));
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
        let mut unbounded: Generations<()> = Generations::default();
        for k in 0..1_000u64 {
            unbounded.insert(k, ());
        }
        assert_eq!(unbounded.len(), 1_000);
        assert_eq!(unbounded.into_entries().count(), 1_000);
    }

    #[test]
    fn inserting_if_absent_holds_what_contains_then_insert_holds() {
        let mut one: Generations<u64> = Generations::with_limit(Some(100));
        let mut two: Generations<u64> = Generations::with_limit(Some(100));
        // Keys that come back after a while, some after being forgotten.
        for k in (0..3_000u64).map(|k| k * 7 % 130) {
            let held = one.contains_key(&k);
            if !held {
                one.insert(k, k * 2);
            }
            assert_eq!(two.insert_if_absent(k, k * 2), !held, "key {k}");
            assert_eq!(two.len(), one.len());
        }
    }
}
