//! Which session a `summary` line describes.
//!
//! 1.0.x–2.0.x `summary` lines name no session: their `leafUuid` is the `uuid` of the last
//! message of the conversation they sum up, usually in *another* session's file (a resumed
//! session's new file, or a one-line file of its own). In the corpus 8 of 10 summaries point
//! at sessions that are not there at all, so the file a summary sits in says nothing about
//! whose title it is. [`LeafIndex`] remembers which session every line uuid belongs to and
//! parks summaries whose leaf has not been seen yet until it is.
//!
//! Memory: one 64-bit key and a 32-bit session slot per line that has a `uuid` (about 16 bytes
//! with the table's overhead; roughly 8 MB per GB of transcripts), plus the parked summaries.
//! It is the one part of the session state that grows with the lines read; it holds no text.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::hashing::{Generations, PassThroughHasher};

/// A `summary` title whose leaf has not been seen yet, and when it was parked.
#[derive(Debug, Clone)]
struct Parked {
    order: u64,
    title: String,
}

/// Leaf key → the summaries waiting for it.
type ParkedByLeaf = HashMap<u64, Vec<Parked>, BuildHasherDefault<PassThroughHasher>>;

/// Line uuid → session, and the summaries waiting for their leaf.
#[derive(Debug, Default)]
pub struct LeafIndex {
    /// Session ids by slot.
    names: Vec<String>,
    /// Session id → slot.
    slots: HashMap<String, u32>,
    /// Key of a line uuid → the slot of its session.
    owner: Generations<u32>,
    /// The session and key of the last uuid noted (a line's events share its uuid).
    last: Option<(u32, u64)>,
    /// Summaries waiting for their leaf, by leaf: a new line looks up only its own key (with
    /// thousands of summaries whose sessions are not in the input, scanning them all on every
    /// line made reading quadratic).
    parked: ParkedByLeaf,
    parked_count: usize,
    next_order: u64,
}

/// A summary title matched to the session it describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The session the leaf belongs to.
    pub session_id: String,
    /// The summary's title.
    pub title: String,
}

impl LeafIndex {
    /// Records that line `uuid` belongs to `session_id`; returns the parked summaries that
    /// were waiting for it.
    pub fn note(&mut self, session_id: &str, uuid: &str) -> Vec<Resolved> {
        let key = uuid_key(uuid);
        let slot = match self.last {
            Some((slot, last_key)) if self.names[slot as usize] == session_id => {
                if last_key == key {
                    return Vec::new();
                }
                slot
            }
            _ => self.slot(session_id),
        };
        self.last = Some((slot, key));
        self.owner.insert(key, slot);
        if self.parked.is_empty() {
            return Vec::new();
        }
        match self.parked.remove(&key) {
            Some(waiting) => {
                self.parked_count -= waiting.len();
                let session_id = &self.names[slot as usize];
                waiting
                    .into_iter()
                    .map(|p| Resolved {
                        session_id: session_id.clone(),
                        title: p.title,
                    })
                    .collect()
            }
            None => Vec::new(),
        }
    }

    /// The session a summary with this leaf describes, if its leaf was seen; else the title
    /// is parked until it is.
    pub fn resolve(&mut self, leaf_uuid: &str, title: &str) -> Option<String> {
        let leaf = uuid_key(leaf_uuid);
        match self.owner.get(&leaf) {
            Some(&slot) => Some(self.names[slot as usize].clone()),
            None => {
                self.park(leaf, title.to_owned());
                None
            }
        }
    }

    /// Remembers only about the latest `limit` line uuids (`None`: all), so a process that
    /// runs for days holds bounded memory; a summary whose leaf is older is not placed.
    pub fn set_limit(&mut self, limit: Option<usize>) {
        self.owner.set_limit(limit);
    }

    /// Number of summaries whose leaf has not been seen.
    pub fn parked(&self) -> usize {
        self.parked_count
    }

    fn park(&mut self, leaf: u64, title: String) {
        let order = self.next_order;
        self.next_order += 1;
        self.parked_count += 1;
        self.parked
            .entry(leaf)
            .or_default()
            .push(Parked { order, title });
    }

    /// Adds another index (built from other files); returns the parked summaries of either
    /// that the other's lines resolve, in the order they were parked (ours first).
    pub fn merge(&mut self, other: LeafIndex) -> Vec<Resolved> {
        let remap: Vec<u32> = other.names.iter().map(|n| self.slot(n)).collect();
        for (key, slot) in other.owner.into_entries() {
            if !self.owner.contains_key(&key) {
                self.owner.insert(key, remap[slot as usize]);
            }
        }
        let mut theirs: Vec<(u64, Parked)> = other
            .parked
            .into_iter()
            .flat_map(|(leaf, list)| list.into_iter().map(move |p| (leaf, p)))
            .collect();
        theirs.sort_by_key(|(_, p)| p.order);
        for (leaf, p) in theirs {
            self.park(leaf, p.title);
        }
        self.last = None;
        self.take_resolved()
    }

    fn slot(&mut self, session_id: &str) -> u32 {
        if let Some(&slot) = self.slots.get(session_id) {
            return slot;
        }
        let slot = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(session_id.to_owned());
        self.slots.insert(session_id.to_owned(), slot);
        slot
    }

    /// Every parked summary whose leaf is now known, in the order they were parked.
    fn take_resolved(&mut self) -> Vec<Resolved> {
        let ready: Vec<u64> = self
            .parked
            .keys()
            .filter(|leaf| self.owner.contains_key(leaf))
            .copied()
            .collect();
        let mut resolved: Vec<(u64, Resolved)> = Vec::new();
        for leaf in ready {
            let (Some(waiting), Some(&slot)) = (self.parked.remove(&leaf), self.owner.get(&leaf))
            else {
                continue;
            };
            self.parked_count -= waiting.len();
            for p in waiting {
                resolved.push((
                    p.order,
                    Resolved {
                        session_id: self.names[slot as usize].clone(),
                        title: p.title,
                    },
                ));
            }
        }
        resolved.sort_by_key(|(order, _)| *order);
        resolved.into_iter().map(|(_, r)| r).collect()
    }
}

/// A 64-bit key for a line uuid: the last 16 hex digits of a canonical UUID (random bits in the
/// version 4 UUIDs Claude Code writes), else a hash of the text.
pub fn uuid_key(uuid: &str) -> u64 {
    let b = uuid.as_bytes();
    if b.len() == 36 && b[23] == b'-' {
        // `xxxxxxxx-xxxx-xxxx-YYYY-ZZZZZZZZZZZZ`: YYYY and ZZZZZZZZZZZZ are 16 hex digits.
        let digits = b[19..23].iter().chain(&b[24..36]);
        let mut key = 0u64;
        let mut hex = true;
        for &c in digits {
            let v = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => {
                    hex = false;
                    break;
                }
            };
            key = key << 4 | u64::from(v);
        }
        if hex {
            return key;
        }
    }
    use std::hash::Hash;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    uuid.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A1: &str = "77bbcba8-0d9a-4a90-91e0-3dbc20125e6e";
    const A2: &str = "18995c25-1b36-43a8-8e0b-b57733f84fcb";
    const B1: &str = "ed356c9b-5106-4a60-b082-60e90997ce2b";

    #[test]
    fn a_leaf_seen_before_resolves_at_once() {
        let mut index = LeafIndex::default();
        assert!(index.note("a", A1).is_empty());
        assert!(index.note("a", A2).is_empty());
        assert!(index.note("b", B1).is_empty());
        assert_eq!(index.resolve(A1, "t").as_deref(), Some("a"));
        assert_eq!(index.resolve(B1, "t").as_deref(), Some("b"));
        assert_eq!(index.parked(), 0);
    }

    #[test]
    fn a_leaf_seen_later_resolves_when_it_comes() {
        let mut index = LeafIndex::default();
        assert_eq!(index.resolve(A2, "Title"), None);
        assert_eq!(index.parked(), 1);
        assert!(index.note("a", A1).is_empty());
        let got = index.note("a", A2);
        assert_eq!(
            got,
            vec![Resolved {
                session_id: "a".into(),
                title: "Title".into()
            }]
        );
        assert_eq!(index.parked(), 0);
    }

    #[test]
    fn a_limited_index_forgets_old_leaves_only() {
        let mut index = LeafIndex::default();
        index.set_limit(Some(1_000));
        for i in 0..10_000 {
            index.note("s", &format!("00000000-0000-4000-8000-{i:012}"));
        }
        let old = "00000000-0000-4000-8000-000000000001";
        let recent = "00000000-0000-4000-8000-000000009999";
        assert_eq!(index.resolve(recent, "t").as_deref(), Some("s"));
        assert_eq!(index.resolve(old, "t"), None, "forgotten, so parked");
        assert_eq!(index.parked(), 1);
    }

    #[test]
    fn a_leaf_never_seen_stays_parked() {
        let mut index = LeafIndex::default();
        index.note("a", A1);
        assert_eq!(index.resolve(B1, "elsewhere"), None);
        assert_eq!(index.parked(), 1);
    }

    #[test]
    fn merging_resolves_across_indexes_and_remaps_sessions() {
        let mut ours = LeafIndex::default();
        ours.note("x", A1);
        assert_eq!(ours.resolve(B1, "about b"), None);
        let mut theirs = LeafIndex::default();
        theirs.note("b", B1);
        assert_eq!(theirs.resolve(A1, "about x"), None);
        let got = ours.merge(theirs);
        let got: Vec<(&str, &str)> = got
            .iter()
            .map(|r| (r.session_id.as_str(), r.title.as_str()))
            .collect();
        assert_eq!(got, [("b", "about b"), ("x", "about x")]);
        assert_eq!(ours.resolve(B1, "again").as_deref(), Some("b"));
    }

    #[test]
    fn uuid_keys_use_the_random_digits_and_hash_anything_else() {
        assert_eq!(uuid_key(A1), 0x91e0_3dbc_2012_5e6e);
        assert_eq!(uuid_key(&A1.to_uppercase()), 0x91e0_3dbc_2012_5e6e);
        assert_ne!(uuid_key("not-a-uuid"), uuid_key("not-a-uuid2"));
        assert_eq!(uuid_key("x"), uuid_key("x"));
    }
}
