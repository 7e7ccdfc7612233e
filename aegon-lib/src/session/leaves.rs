//! Which session a `summary` line describes.
//!
//! 1.0.x–2.0.x `summary` lines name no session: their `leafUuid` is the `uuid` of the last
//! message of the conversation they sum up, usually in *another* session's file (a resumed
//! session's new file, or a one-line file of its own). In the corpus 8 of 10 summaries point
//! at sessions that are not there at all, so the file a summary sits in says nothing about
//! whose title it is. [`LeafIndex`] remembers which session every line uuid belongs to and
//! parks summaries whose leaf has not been seen yet until it is.
//!
//! A leaf matches a line's uuid exactly ([`LineKey`]): a canonical UUID is kept as its 128
//! bits, which the text maps to one to one, and any other id as its text. (Until 0.1.0 a line
//! was known by the last 16 hex digits of its uuid only, so a summary could title the session of
//! another line whose uuid ended alike.)
//!
//! Memory: the 16 bytes of its uuid and a 32-bit session slot per line that has a `uuid`: a
//! 20-byte table entry (16 when a 64-bit part of the uuid was the key), 21 with the table's
//! control byte, and up to twice that right after the table grows. Real transcripts hold about
//! 463,000 uuid lines per GB (`fixtures/corpus` and the shared corpus), so 10–20 MB per GB read;
//! measured on one file of a million uuid lines, `--summary` peaks at 12 MB more than with the
//! 64-bit key. Plus the text of ids that are not canonical UUIDs (none in Claude Code's
//! transcripts) and the parked summaries. It is the one part of the session state that grows
//! with the lines read; it holds no message text. A long-running process bounds it with
//! [`LeafIndex::set_limit`].

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

use crate::hashing::{Generations, PassThroughHasher};

/// A line uuid, exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LineKey {
    /// A canonical UUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lowercase hex, as Claude Code
    /// writes them): its 128 bits.
    Uuid(UuidBits),
    /// Anything else (uppercase, braces, other tools' ids): the text itself.
    Text(Box<str>),
}

impl LineKey {
    /// The exact key of `uuid`: two keys are equal exactly when the texts are.
    pub fn of(uuid: &str) -> LineKey {
        match UuidBits::parse(uuid) {
            Some(bits) => LineKey::Uuid(bits),
            None => LineKey::Text(uuid.into()),
        }
    }
}

/// The 128 bits of a canonical lowercase UUID, kept as four 32-bit words (4-byte aligned, so a
/// table entry with a 32-bit value takes 20 bytes: 24 with two `u64` halves, 32 with a `u128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UuidBits([u32; 4]);

impl Hash for UuidBits {
    /// One `u64` (for the pass-through hasher): all 128 bits folded, so that UUIDs that differ
    /// in one half only still spread.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let [a, b, c, d] = self.0.map(u64::from);
        state.write_u64((c << 32 | d) ^ (a << 32 | b).rotate_left(29));
    }
}

impl UuidBits {
    /// The bits of `text` if it is a canonical lowercase UUID: 36 characters, hyphens at 8,
    /// 13, 18 and 23, lowercase hex digits elsewhere. Only that form, so that each value has
    /// one text: an uppercase UUID is kept as text, and matches only the same text.
    pub fn parse(text: &str) -> Option<UuidBits> {
        let b: &[u8; 36] = text.as_bytes().try_into().ok()?;
        if b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
            return None;
        }
        // Eight digits at a time in a u64 (SWAR): every line with a uuid is parsed, and one
        // table lookup per digit took ~450 instructions a uuid, 2.2% of a summary's
        // (callgrind, 2026-12-01); a branch per character before that, 1.8%.
        let be32 =
            |at: usize| u64::from(u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]));
        let (w0, bad0) = hex8(be32(0) << 32 | be32(4));
        let (w1, bad1) = hex8(be32(9) << 32 | be32(14));
        let (w2, bad2) = hex8(be32(19) << 32 | be32(24));
        let (w3, bad3) = hex8(be32(28) << 32 | be32(32));
        (bad0 | bad1 | bad2 | bad3 == 0).then_some(UuidBits([w0, w1, w2, w3]))
    }

    /// The UUID whose 32 hex digits, read as one number, are `value`.
    pub fn from_u128(value: u128) -> UuidBits {
        UuidBits([
            (value >> 96) as u32,
            (value >> 64) as u32,
            (value >> 32) as u32,
            value as u32,
        ])
    }

    /// The 32 hex digits read as one number.
    pub fn as_u128(&self) -> u128 {
        self.0
            .iter()
            .fold(0u128, |acc, &w| acc << 32 | u128::from(w))
    }
}

/// A byte repeated in each of a u64's eight bytes.
const fn each_byte(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// The eight lowercase hex digits (`0`–`9`, `a`–`f`) of `x`, its first digit in its most
/// significant byte, read as one number, and a mark: 0 exactly when every byte is such a
/// digit. Each byte's tests are done in its own byte: a byte below 0x80 plus at most 0x7F
/// does not carry into the next, and any byte of 0x80 or more is marked (what its carries
/// give then does not matter).
fn hex8(x: u64) -> (u32, u64) {
    const HIGH: u64 = each_byte(0x80);
    // Bit 7 of a byte: at least `lo` (byte + 0x80 - lo) and at most `hi` (byte + 0x7F - hi
    // below 0x80).
    let digit = x.wrapping_add(each_byte(0x80 - b'0')) & !x.wrapping_add(each_byte(0x7F - b'9'));
    let letter = x.wrapping_add(each_byte(0x80 - b'a')) & !x.wrapping_add(each_byte(0x7F - b'f'));
    let bad = (x & HIGH) | ((digit | letter) & HIGH ^ HIGH);
    // '0'–'9' are 0x30–0x39, 'a'–'f' 0x61–0x66: the low nibble, plus 9 for a letter.
    let nibbles = (x & each_byte(0x0F)) + ((letter & HIGH) >> 7) * 9;
    // Pairs of nibbles into bytes, bytes into 16-bit halves, halves into the 32 bits.
    let v = (nibbles >> 4 | nibbles) & 0x00FF_00FF_00FF_00FF;
    let v = (v >> 8 | v) & 0x0000_FFFF_0000_FFFF;
    let v = (v >> 16 | v) & 0xFFFF_FFFF;
    (v as u32, bad)
}

/// Line uuids → the slot of their session, exactly, forgetting the oldest beyond a limit.
#[derive(Debug, Default)]
struct Owners {
    /// Canonical UUIDs (all of Claude Code's).
    uuids: Generations<u32, UuidBits, BuildHasherDefault<PassThroughHasher>>,
    /// Other ids, by their text (hashed with [`TextHasher`]: the text is not random).
    texts: Generations<u32, Box<str>, TextHasher>,
}

/// The hasher of ids kept as text: foldhash with its fixed default seed, so that a run's tables
/// do not depend on a per-process key, as with std's fixed-key SipHash used before, which took
/// about 9% of `--summary`'s time on a history whose line uuids are not canonical UUIDs;
/// foldhash hashes a 40-byte id in a fraction of its instructions.
type TextHasher = foldhash::quality::FixedState;

impl Owners {
    fn get(&self, key: &LineKey) -> Option<&u32> {
        match key {
            LineKey::Uuid(bits) => self.uuids.get(bits),
            LineKey::Text(text) => self.texts.get(text),
        }
    }

    fn contains_key(&self, key: &LineKey) -> bool {
        match key {
            LineKey::Uuid(bits) => self.uuids.contains_key(bits),
            LineKey::Text(text) => self.texts.contains_key(text),
        }
    }

    /// Keys held (a key in both generations counts twice).
    fn len(&self) -> usize {
        self.uuids.len() + self.texts.len()
    }

    /// The keys of `waited` this table holds, with a probe per key of the smaller side: the
    /// table's for each waited leaf, or the waited set's for each key of the table.
    /// (A key in both generations, which only a limited table has, would come twice.)
    fn held_of(&self, waited: &WaitedLeaves) -> Vec<LineKey> {
        let mut held: Vec<LineKey> = Vec::new();
        if waited.uuids.len() <= self.uuids.len() {
            held.extend(
                waited
                    .uuids
                    .iter()
                    .filter(|bits| self.uuids.contains_key(bits))
                    .map(|bits| LineKey::Uuid(*bits)),
            );
        } else {
            held.extend(
                self.uuids
                    .keys()
                    .filter(|bits| waited.uuids.contains(*bits))
                    .map(|bits| LineKey::Uuid(*bits)),
            );
        }
        if waited.texts.len() <= self.texts.len() {
            held.extend(
                waited
                    .texts
                    .iter()
                    .filter(|text| self.texts.contains_key(text))
                    .map(|text| LineKey::Text(text.clone())),
            );
        } else {
            held.extend(
                self.texts
                    .keys()
                    .filter(|text| waited.texts.contains(&***text))
                    .map(|text| LineKey::Text(text.clone())),
            );
        }
        held
    }

    fn insert(&mut self, key: LineKey, slot: u32) {
        match key {
            LineKey::Uuid(bits) => self.uuids.insert(bits, slot),
            LineKey::Text(text) => self.texts.insert(text, slot),
        }
    }

    /// [`Owners::insert`] unless `key` is held: one probe, where `contains_key` then `insert`
    /// took two.
    fn insert_if_absent(&mut self, key: LineKey, slot: u32) {
        match key {
            LineKey::Uuid(bits) => self.uuids.insert_if_absent(bits, slot),
            LineKey::Text(text) => self.texts.insert_if_absent(text, slot),
        };
    }

    fn set_limit(&mut self, limit: Option<usize>) {
        self.uuids.set_limit(limit);
        self.texts.set_limit(limit);
    }

    fn into_entries(self) -> impl Iterator<Item = (LineKey, u32)> {
        self.uuids
            .into_entries()
            .map(|(bits, slot)| (LineKey::Uuid(bits), slot))
            .chain(
                self.texts
                    .into_entries()
                    .map(|(text, slot)| (LineKey::Text(text), slot)),
            )
    }
}

/// A merged index's line uuids, with its session slots mapped to the merging index's.
#[derive(Debug)]
struct Layer {
    owner: Owners,
    /// Its slot → ours.
    slots: Vec<u32>,
}

/// A `summary` title whose leaf has not been seen yet, and when it was parked.
#[derive(Debug, Clone)]
struct Parked {
    order: u64,
    title: String,
}

/// Leaf → the summaries waiting for it.
type ParkedByLeaf = HashMap<LineKey, Vec<Parked>>;

/// The leaves the summaries parked in a set of indexes wait for ([`WaitedLeaves::of`]): what
/// [`LeafIndex::find_waited`] looks for in each of them before they are merged.
#[derive(Debug, Default)]
pub struct WaitedLeaves {
    uuids: HashSet<UuidBits, BuildHasherDefault<PassThroughHasher>>,
    texts: HashSet<Box<str>, TextHasher>,
}

impl WaitedLeaves {
    /// The leaves of every summary parked in `indexes`.
    pub fn of<'a>(indexes: impl IntoIterator<Item = &'a LeafIndex>) -> WaitedLeaves {
        let mut waited = WaitedLeaves::default();
        for index in indexes {
            for leaf in index.parked.keys() {
                match leaf {
                    LineKey::Uuid(bits) => waited.uuids.insert(*bits),
                    LineKey::Text(text) => waited.texts.insert(text.clone()),
                };
            }
        }
        waited
    }

    /// Number of leaves.
    pub fn len(&self) -> usize {
        self.uuids.len() + self.texts.len()
    }

    /// Whether no summary waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn contains(&self, leaf: &LineKey) -> bool {
        match leaf {
            LineKey::Uuid(bits) => self.uuids.contains(bits),
            LineKey::Text(text) => self.texts.contains(text),
        }
    }
}

/// Which of a [`WaitedLeaves`] an index holds, found with [`LeafIndex::find_waited`] (on any
/// thread) before the index is merged, and given back to it with [`LeafIndex::set_held`].
///
/// Merging indexes that all carry the held leaves of one [`WaitedLeaves`] built from all of
/// them looks up only those: each parked summary in one table (the first merged index that
/// holds its leaf), not in every index merged before, whose count grows with the files read
/// (a merge of G groups with P parked summaries took G × P probes on one thread, 21.4M
/// instructions for a distinct history of 1,040 files).
#[derive(Debug, Clone)]
pub struct HeldLeaves {
    waited: Arc<WaitedLeaves>,
    /// The waited leaves the index's own table holds.
    in_owner: Vec<LineKey>,
    /// Each waited leaf its merged indexes hold → the first of them ([`LeafIndex::merged`])
    /// that holds it.
    in_layers: HashMap<LineKey, usize>,
    /// The index's state when they were found (keys, merged indexes, summaries ever parked):
    /// [`LeafIndex::set_held`] ignores what another state gave.
    state: (usize, usize, u64),
}

/// Line uuid → session, and the summaries waiting for their leaf.
#[derive(Debug, Default)]
pub struct LeafIndex {
    /// Session ids by slot.
    names: Vec<String>,
    /// Session id → slot.
    slots: HashMap<String, u32>,
    /// Line uuid → the slot of its session.
    owner: Owners,
    /// Indexes merged in ([`LeafIndex::merge`]), looked up after `owner` in the order they
    /// were merged: what one table filled key by key (ours first, each key's first holder
    /// kept) would answer, without the pass over every line uuid of every merged index.
    merged: Vec<Layer>,
    /// The session and text of the last uuid noted (a line's events share its uuid): the text
    /// is compared, not a key built from it, and its buffer reused, so that a uuid that is not
    /// a canonical UUID costs one allocation per line (its key), not three.
    last: Option<(u32, String)>,
    /// The limit set with [`LeafIndex::set_limit`].
    limit: Option<usize>,
    /// Summaries waiting for their leaf, by leaf: a new line looks up only its own key (with
    /// thousands of summaries whose sessions are not in the input, scanning them all on every
    /// line made reading quadratic).
    parked: ParkedByLeaf,
    parked_count: usize,
    next_order: u64,
    /// The waited leaves this index holds ([`LeafIndex::set_held`]), while it is merged or
    /// merged into: forgotten by any other change.
    held: Option<HeldLeaves>,
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
        // Equal texts are equal keys and the other way round ([`LineKey::of`]).
        let slot = match &self.last {
            Some((slot, last_uuid)) if self.names[*slot as usize] == session_id => {
                if last_uuid == uuid {
                    return Vec::new();
                }
                *slot
            }
            _ => self.slot(session_id),
        };
        if self.held.is_some() {
            self.held = None;
        }
        match &mut self.last {
            Some((last_slot, last_uuid)) => {
                *last_slot = slot;
                last_uuid.clear();
                last_uuid.push_str(uuid);
            }
            None => self.last = Some((slot, uuid.to_owned())),
        }
        let key = LineKey::of(uuid);
        if self.parked.is_empty() {
            self.owner.insert(key, slot);
            return Vec::new();
        }
        let waiting = self.parked.remove(&key);
        self.owner.insert(key, slot);
        match waiting {
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
        let leaf = LineKey::of(leaf_uuid);
        match self.owner_of(&leaf) {
            Some(slot) => Some(self.names[slot as usize].clone()),
            None => {
                self.held = None;
                self.park(leaf, title.to_owned());
                None
            }
        }
    }

    /// Remembers only about the latest `limit` line uuids (`None`: all), so a process that
    /// runs for days holds bounded memory; a summary whose leaf is older is not placed.
    pub fn set_limit(&mut self, limit: Option<usize>) {
        if limit.is_some() {
            // A limit forgets the oldest entries of one table: the merged ones join it first,
            // as a merge into a limited index copies them.
            self.flatten();
            self.held = None;
        }
        self.limit = limit;
        self.owner.set_limit(limit);
    }

    /// The slot of the session `key` belongs to: ours, else the first merged index's that
    /// holds it.
    fn owner_of(&self, key: &LineKey) -> Option<u32> {
        if let Some(&slot) = self.owner.get(key) {
            return Some(slot);
        }
        let in_layer = |layer: &Layer| {
            let theirs = *layer.owner.get(key)?;
            layer.slots.get(theirs as usize).copied()
        };
        match &self.held {
            // A waited leaf: the one merged index that holds it first, if any.
            Some(held) if held.waited.contains(key) => {
                let first = *held.in_layers.get(key)?;
                self.merged.get(first).and_then(in_layer)
            }
            _ => self.merged.iter().find_map(in_layer),
        }
    }

    /// Copies the merged indexes into ours, key by key (the first holder of each key kept).
    fn flatten(&mut self) {
        for layer in std::mem::take(&mut self.merged) {
            for (key, slot) in layer.owner.into_entries() {
                if let Some(&ours) = layer.slots.get(slot as usize) {
                    self.owner.insert_if_absent(key, ours);
                }
            }
        }
    }

    /// Which of `waited` this index holds, in its own table and in the indexes merged into it:
    /// `None` if one of its summaries waits for a leaf not in `waited` (then `waited` was not
    /// built from it) or it is limited ([`LeafIndex::set_limit`]). Reads the index only, so the
    /// indexes about to be merged can be searched on several threads. Each table is searched
    /// from its smaller side: a probe of it per waited leaf, or a probe of `waited` per key it
    /// holds, so a history's indexes take at most one probe per line uuid all told.
    pub fn find_waited(&self, waited: &Arc<WaitedLeaves>) -> Option<HeldLeaves> {
        if self.limit.is_some() || !self.parked.keys().all(|leaf| waited.contains(leaf)) {
            return None;
        }
        let mut in_layers: HashMap<LineKey, usize> = HashMap::new();
        for (at, layer) in self.merged.iter().enumerate() {
            for leaf in layer.owner.held_of(waited) {
                in_layers.entry(leaf).or_insert(at);
            }
        }
        Some(HeldLeaves {
            waited: Arc::clone(waited),
            in_owner: self.owner.held_of(waited),
            in_layers,
            state: self.state(),
        })
    }

    /// Keeps `held` (from [`LeafIndex::find_waited`] on this index, unchanged since) for the
    /// merges to come; ignored if the index changed since it was found.
    pub fn set_held(&mut self, held: HeldLeaves) {
        if held.state == self.state() {
            self.held = Some(held);
        }
    }

    /// What [`HeldLeaves`] depend on: keys held (which only grows without a limit), indexes
    /// merged, summaries ever parked.
    fn state(&self) -> (usize, usize, u64) {
        (self.owner.len(), self.merged.len(), self.next_order)
    }

    /// Number of summaries whose leaf has not been seen.
    pub fn parked(&self) -> usize {
        self.parked_count
    }

    fn park(&mut self, leaf: LineKey, title: String) {
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
    ///
    /// Our keys win over theirs, and theirs over those of indexes merged after them. The
    /// other's table is kept as it is and looked up after ours (and after those merged
    /// before it), not copied key by key: a parallel read merges every group's index on one
    /// thread while the other cores wait, and copying made that pass grow with every line
    /// read (about 3% of a summary of a distinct history of 1,040 files). A limited index
    /// ([`LeafIndex::set_limit`]) copies them, so that its limit holds. Into an index that has
    /// noted and parked nothing the other is moved.
    pub fn merge(&mut self, mut other: LeafIndex) -> Vec<Resolved> {
        if self.names.is_empty()
            && self.parked.is_empty()
            && self.limit.is_none()
            && self.merged.is_empty()
        {
            *self = other;
            self.set_limit(None);
            self.last = None;
            return self.take_resolved();
        }
        // Both carry the leaves they hold of the same waited set: only those are looked up.
        let theirs_held = match (&self.held, other.held.take()) {
            (Some(ours), Some(theirs))
                if Arc::ptr_eq(&ours.waited, &theirs.waited) && self.limit.is_none() =>
            {
                Some(theirs)
            }
            _ => {
                self.held = None;
                None
            }
        };
        let remap: Vec<u32> = other.names.iter().map(|n| self.slot(n)).collect();
        let first_new = self.merged.len();
        self.merged.push(Layer {
            owner: std::mem::take(&mut other.owner),
            slots: remap.clone(),
        });
        for layer in std::mem::take(&mut other.merged) {
            let slots = layer
                .slots
                .iter()
                .map(|&s| remap.get(s as usize).copied().unwrap_or(u32::MAX))
                .collect();
            self.merged.push(Layer {
                owner: layer.owner,
                slots,
            });
        }
        // Ours waited for none of the keys we held before: only the new ones can resolve them.
        let mut ready: Vec<LineKey> = Vec::new();
        match (theirs_held, &mut self.held) {
            (Some(theirs), Some(ours)) => {
                // Ours wait for waited leaves only: those the new indexes hold are all there is
                // to look at, and each is noted with the first new index that holds it.
                let found = theirs
                    .in_owner
                    .into_iter()
                    .map(|leaf| (leaf, first_new))
                    .chain(
                        theirs
                            .in_layers
                            .into_iter()
                            .map(|(leaf, at)| (leaf, first_new + 1 + at)),
                    );
                for (leaf, at) in found {
                    if self.parked.contains_key(&leaf) {
                        ready.push(leaf.clone());
                    }
                    ours.in_layers.entry(leaf).or_insert(at);
                }
            }
            _ => ready.extend(
                self.parked
                    .keys()
                    .filter(|leaf| {
                        self.merged[first_new..]
                            .iter()
                            .any(|layer| layer.owner.contains_key(leaf))
                    })
                    .cloned(),
            ),
        }
        let mut theirs: Vec<(LineKey, Parked)> = other
            .parked
            .into_iter()
            .flat_map(|(leaf, list)| list.into_iter().map(move |p| (leaf.clone(), p)))
            .collect();
        theirs.sort_by_key(|(_, p)| p.order);
        for (leaf, p) in theirs {
            if self.owner_of(&leaf).is_some() {
                ready.push(leaf.clone());
            }
            self.park(leaf, p.title);
        }
        if self.limit.is_some() {
            self.flatten();
        }
        self.last = None;
        self.resolve_parked(ready)
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
        let ready: Vec<LineKey> = self
            .parked
            .keys()
            .filter(|leaf| self.owner_of(leaf).is_some())
            .cloned()
            .collect();
        self.resolve_parked(ready)
    }

    /// The summaries parked under the known leaves among `ready`, in the order they were
    /// parked (a leaf listed twice, or not known, gives nothing more).
    fn resolve_parked(&mut self, ready: Vec<LineKey>) -> Vec<Resolved> {
        let mut resolved: Vec<(u64, Resolved)> = Vec::new();
        for leaf in ready {
            let Some(slot) = self.owner_of(&leaf) else {
                continue;
            };
            let Some(waiting) = self.parked.remove(&leaf) else {
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
    fn uuids_that_end_alike_do_not_match() {
        // Until 0.1.0 a line was known by its uuid's last 16 hex digits: these two, which
        // share them, were one key, and a summary of one titled the other's session.
        let a = "aaaaaaaa-aaaa-4aaa-91e0-3dbc20125e6e";
        let b = "bbbbbbbb-bbbb-4bbb-91e0-3dbc20125e6e";
        assert_eq!(a[19..], b[19..]);
        let mut index = LeafIndex::default();
        index.note("session-a", a);
        assert_eq!(index.resolve(b, "about b"), None, "b is not a line seen");
        assert_eq!(index.parked(), 1);
        assert_eq!(index.resolve(a, "about a").as_deref(), Some("session-a"));
        // b's own line resolves the parked title to b's session.
        let got = index.note("session-b", b);
        assert_eq!(
            got,
            [Resolved {
                session_id: "session-b".into(),
                title: "about b".into()
            }]
        );
        // And the same through a merge of indexes read in other threads.
        let mut ours = LeafIndex::default();
        ours.note("session-a", a);
        let mut theirs = LeafIndex::default();
        assert_eq!(theirs.resolve(b, "about b"), None);
        assert!(ours.merge(theirs).is_empty());
        assert_eq!(ours.parked(), 1);
    }

    /// Every byte at every place of a canonical UUID: taken exactly when the hyphens stay
    /// hyphens and the digits lowercase hex digits, with the value the digits read in base 16
    /// give (std's parser, independent of the table).
    #[test]
    fn a_uuid_is_parsed_exactly_whatever_byte_is_changed() {
        let base = A1.as_bytes();
        for at in 0..36 {
            for byte in 0..=255u8 {
                let mut b = base.to_vec();
                b[at] = byte;
                let Ok(text) = std::str::from_utf8(&b) else {
                    continue;
                };
                let hyphen = matches!(at, 8 | 13 | 18 | 23);
                let valid = if hyphen {
                    byte == b'-'
                } else {
                    byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte)
                };
                let digits: String = text.chars().filter(|&c| c != '-').collect();
                let want = valid.then(|| u128::from_str_radix(&digits, 16).unwrap());
                assert_eq!(UuidBits::parse(text).map(|u| u.as_u128()), want, "{text:?}");
            }
        }
        assert_eq!(UuidBits::parse(&A1[..35]), None);
        assert_eq!(UuidBits::parse(&format!("{A1}0")), None);
    }

    /// Bytes of 0x80 and more (a character of two to four bytes in place of digits, where the
    /// eight-digit reading could carry into the next byte) are never digits, at every place.
    #[test]
    fn a_uuid_with_a_wide_character_is_not_one() {
        for wide in ["é", "\u{7ff}", "€", "\u{ffff}", "😀", "\u{10ffff}"] {
            for at in 0..=36 - wide.len() {
                let text = format!("{}{wide}{}", &A1[..at], &A1[at + wide.len()..]);
                assert_eq!(text.len(), 36);
                assert_eq!(UuidBits::parse(&text), None, "{text:?}");
            }
        }
    }

    #[test]
    fn keys_are_exact_for_uuids_and_for_other_ids() {
        // Canonical lowercase UUIDs: their bits, read independently of the parser.
        let LineKey::Uuid(bits) = LineKey::of(A1) else {
            panic!("{A1} is a canonical UUID")
        };
        assert_eq!(bits.as_u128(), 0x77bbcba8_0d9a_4a90_91e0_3dbc20125e6e);
        assert_eq!(UuidBits::from_u128(bits.as_u128()), bits);
        // Anything else is its text: uppercase, braces, other tools' ids, near-UUIDs.
        let upper = A1.to_uppercase();
        for other in [
            upper.as_str(),
            "not-a-uuid",
            "{77bbcba8-0d9a-4a90-91e0-3dbc20125e6e}",
            "77bbcba8-0d9a-4a90-91e0-3dbc20125e6g",
            "77bbcba80d9a-4a90-91e0-3dbc20125e6e-",
        ] {
            assert_eq!(LineKey::of(other), LineKey::Text(other.into()), "{other}");
        }
        let mut index = LeafIndex::default();
        index.note("a", "not-a-uuid");
        index.note("u", &upper);
        assert_eq!(index.resolve("not-a-uuid2", "t"), None);
        assert_eq!(index.resolve("not-a-uui", "t"), None);
        assert_eq!(
            index.resolve(A1, "t"),
            None,
            "the lowercase text is another id"
        );
        assert_eq!(index.resolve("not-a-uuid", "t").as_deref(), Some("a"));
        assert_eq!(index.resolve(&upper, "t").as_deref(), Some("u"));
    }

    /// The first merge of a parallel read moves the other index instead of copying it: it
    /// must answer as the copy did, keep its parked summaries in order, and a limited index
    /// must still be copied into (its limit kept).
    #[test]
    fn merging_into_an_empty_index_answers_as_the_index_merged() {
        const C1: &str = "c1-77bbcba8-0d9a-4a90-91e0-3dbc20125e6e";
        let mut theirs = LeafIndex::default();
        theirs.note("b", B1);
        theirs.note("c", C1);
        assert_eq!(theirs.resolve(A1, "first"), None);
        assert_eq!(theirs.resolve(A2, "second"), None);
        assert_eq!(theirs.resolve(A1, "third"), None);
        let mut ours = LeafIndex::default();
        assert!(ours.merge(theirs).is_empty());
        assert_eq!(ours.parked(), 3);
        assert_eq!(ours.resolve(B1, "t").as_deref(), Some("b"));
        assert_eq!(ours.resolve(C1, "t").as_deref(), Some("c"));
        let got = ours.note("a", A1);
        let titles: Vec<&str> = got.iter().map(|r| r.title.as_str()).collect();
        assert_eq!(titles, ["first", "third"], "in the order parked");
        assert_eq!(ours.parked(), 1);
        // A later merge goes key by key, ours first.
        let mut more = LeafIndex::default();
        more.note("other", B1);
        more.note("a2", A2);
        let got = ours.merge(more);
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].session_id.as_str(), got[0].title.as_str()),
            ("a2", "second")
        );
        assert_eq!(ours.resolve(B1, "t").as_deref(), Some("b"), "ours wins");

        let mut limited = LeafIndex::default();
        limited.set_limit(Some(100));
        let mut many = LeafIndex::default();
        for i in 0..1_000 {
            many.note("s", &format!("00000000-0000-4000-8000-{i:012}"));
        }
        assert!(limited.merge(many).is_empty());
        assert!(limited.owner.uuids.len() <= 100, "the limit holds");
    }

    /// A line's events note its uuid once per event: the same text again is a no-op, and
    /// ids that are not canonical UUIDs are kept exactly, however many there are.
    #[test]
    fn ids_that_are_not_uuids_are_noted_once_and_exactly() {
        let mut index = LeafIndex::default();
        for copy in 0..50 {
            let id = format!("c{copy}-{A1}");
            for _ in 0..3 {
                assert!(index.note(&format!("s{copy}"), &id).is_empty());
            }
        }
        assert_eq!(index.owner.texts.len(), 50);
        assert_eq!(index.owner.uuids.len(), 0);
        for copy in [0, 7, 49] {
            let id = format!("c{copy}-{A1}");
            assert_eq!(index.resolve(&id, "t"), Some(format!("s{copy}")));
        }
        assert_eq!(index.resolve(&format!("c50-{A1}"), "t"), None);
    }

    /// Indexes merged one after another, with keys held by several of them, summaries parked
    /// in each and lines noted between merges, answer as one table filled key by key (what a
    /// limited index still does, and every merge did before 0.1.0's merged layers).
    #[test]
    fn merged_layers_answer_as_a_table_filled_key_by_key() {
        let key = |i: u32| format!("00000000-0000-4000-8000-{i:012}");
        let index_of = |n: u32| {
            let mut index = LeafIndex::default();
            // Each index holds 40 keys, 20 of them shared with the next one.
            for i in n * 20..n * 20 + 40 {
                index.note(&format!("s{n}-{}", i % 3), &key(i));
            }
            // And waits for a key of the next index, one of its own past, one of nobody's.
            assert_eq!(index.resolve(&key(n * 20 + 50), &format!("next {n}")), None);
            assert_eq!(index.resolve(&key(9_000 + n), &format!("nobody {n}")), None);
            index
        };
        let mut layered = LeafIndex::default();
        let mut flat = LeafIndex::default();
        flat.set_limit(Some(1_000_000));
        let (mut got_layered, mut got_flat) = (Vec::new(), Vec::new());
        for n in 0..6 {
            if n == 3 {
                // Nested: an index that merged another one first.
                let mut nested = index_of(30);
                nested.merge(index_of(31));
                got_layered.extend(layered.merge(nested));
                let mut nested = index_of(30);
                nested.merge(index_of(31));
                got_flat.extend(flat.merge(nested));
            }
            got_layered.extend(layered.merge(index_of(n)));
            got_flat.extend(flat.merge(index_of(n)));
            // A line noted between merges takes a key a merged index holds.
            got_layered.extend(layered.note("late", &key(n * 20 + 5)));
            got_flat.extend(flat.note("late", &key(n * 20 + 5)));
        }
        assert!(!layered.merged.is_empty() && flat.merged.is_empty());
        assert!(!got_flat.is_empty());
        assert_eq!(got_layered, got_flat);
        assert_eq!(layered.parked(), flat.parked());
        for i in (0..800).chain(9_000..9_010) {
            assert_eq!(
                layered.resolve(&key(i), "t"),
                flat.resolve(&key(i), "t"),
                "{}",
                key(i)
            );
        }
        // A limit set later copies the layers first: the same answers.
        layered.set_limit(Some(1_000_000));
        assert!(layered.merged.is_empty());
        for i in 0..800 {
            assert_eq!(layered.resolve(&key(i), "t"), flat.resolve(&key(i), "t"));
        }
    }

    #[test]
    fn a_line_key_takes_20_bytes_in_the_table() {
        assert_eq!(std::mem::size_of::<(UuidBits, u32)>(), 20);
    }

    /// One step building an index: a line noted, or a summary placed (or parked).
    #[derive(Debug, Clone)]
    enum Step {
        Note { session: u8, key: u8 },
        Summary { leaf: u8, title: u8 },
    }

    /// Keys 0–29 are canonical UUIDs, 30–39 other ids; leaves go up to 44, so some summaries
    /// wait for a line no index holds.
    fn key_text(key: u8) -> String {
        if key < 30 {
            format!("00000000-0000-4000-8000-{key:012}")
        } else {
            format!("tool-{key}")
        }
    }

    fn build(steps: &[Step], tag: usize) -> (LeafIndex, Vec<Resolved>) {
        let mut index = LeafIndex::default();
        let mut got = Vec::new();
        for step in steps {
            match *step {
                Step::Note { session, key } => {
                    got.extend(index.note(&format!("s{}", session % 6), &key_text(key)));
                }
                Step::Summary { leaf, title } => {
                    let title = format!("{tag}-{title}");
                    if let Some(session_id) = index.resolve(&key_text(leaf), &title) {
                        got.push(Resolved { session_id, title });
                    }
                }
            }
        }
        (index, got)
    }

    fn step() -> impl proptest::strategy::Strategy<Value = Step> {
        use proptest::prelude::*;
        prop_oneof![
            4 => (0u8..8, 0u8..40).prop_map(|(session, key)| Step::Note { session, key }),
            1 => (0u8..45, 0u8..100).prop_map(|(leaf, title)| Step::Summary { leaf, title }),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 500, ..Default::default() })]

        /// Indexes merged with the waited leaves each holds ([`LeafIndex::find_waited`]) place
        /// every summary as merging them without does (each parked leaf looked up in every
        /// index merged before): the same summaries resolved at each merge, in the same order,
        /// to the same sessions; the same left parked; the same answers afterwards. Some
        /// indexes merged another one first (nested layers).
        #[test]
        fn merging_with_held_leaves_places_summaries_as_without(
            groups in proptest::collection::vec(
                (proptest::collection::vec(step(), 0..25), proptest::option::of(proptest::collection::vec(step(), 0..15))),
                1..8,
            ),
        ) {
            let make = || -> Vec<LeafIndex> {
                groups
                    .iter()
                    .enumerate()
                    .map(|(g, (steps, nested))| {
                        let (mut index, _) = build(steps, g);
                        if let Some(nested) = nested {
                            let (inner, _) = build(nested, 100 + g);
                            index.merge(inner);
                        }
                        index
                    })
                    .collect()
            };
            let plain = make();
            let mut hinted = make();
            let waited = Arc::new(WaitedLeaves::of(hinted.iter()));
            let held: Vec<Option<HeldLeaves>> =
                hinted.iter().map(|index| index.find_waited(&waited)).collect();
            for (index, held) in hinted.iter_mut().zip(held) {
                let held = held.expect("waited was built from every index");
                index.set_held(held);
                proptest::prop_assert!(index.held.is_some());
            }
            let (mut slow, mut fast) = (LeafIndex::default(), LeafIndex::default());
            for (a, b) in plain.into_iter().zip(hinted) {
                let (got_slow, got_fast) = (slow.merge(a), fast.merge(b));
                proptest::prop_assert_eq!(got_slow, got_fast);
                proptest::prop_assert_eq!(slow.parked(), fast.parked());
            }
            proptest::prop_assert!(fast.held.is_some(), "every merge looked up held leaves only");
            for key in 0..45u8 {
                let text = key_text(key);
                proptest::prop_assert_eq!(slow.owner_of(&LineKey::of(&text)), fast.owner_of(&LineKey::of(&text)));
            }
            // And after a line noted (which forgets the held leaves), as one index.
            let (got_slow, got_fast) = (slow.note("late", &key_text(44)), fast.note("late", &key_text(44)));
            proptest::prop_assert_eq!(got_slow, got_fast);
            proptest::prop_assert!(fast.held.is_none());
            for key in 0..45u8 {
                let text = key_text(key);
                proptest::prop_assert_eq!(slow.resolve(&text, "t"), fast.resolve(&text, "t"));
            }
        }
    }

    /// Held leaves are kept only by the index they were found in, unchanged since, and only
    /// while both sides of a merge carry those of the same waited set: anything else merges
    /// by looking every leaf up, with the same answers.
    #[test]
    fn held_leaves_apply_only_to_the_index_and_waited_set_they_were_found_for() {
        let mut a = LeafIndex::default();
        a.note("a", A1);
        assert_eq!(a.resolve(B1, "about b"), None);
        let mut b = LeafIndex::default();
        b.note("b", B1);
        assert_eq!(b.resolve(A2, "about a2"), None);
        let waited = Arc::new(WaitedLeaves::of([&a, &b]));
        assert_eq!(waited.len(), 2);
        // Found, then the index changed: ignored.
        let stale = a.find_waited(&waited).unwrap();
        a.note("a", A2);
        a.set_held(stale);
        assert!(a.held.is_none());
        // Found for a waited set that lacks one of its leaves: none.
        let other = Arc::new(WaitedLeaves::of([&b]));
        assert!(a.find_waited(&other).is_none());
        // A waited set of both, but `b`'s held leaves from another one: looked up one by one.
        let waited = Arc::new(WaitedLeaves::of([&a, &b]));
        let held_a = a.find_waited(&waited).unwrap();
        assert_eq!(held_a.in_owner, [LineKey::of(A2)]);
        a.set_held(held_a);
        let held_b = b
            .find_waited(&Arc::new(WaitedLeaves::of([&a, &b])))
            .unwrap();
        assert_eq!(held_b.in_owner, [LineKey::of(B1)]);
        b.set_held(held_b);
        let mut ours = LeafIndex::default();
        assert!(ours.merge(a).is_empty());
        assert!(ours.held.is_some());
        let got = ours.merge(b);
        assert!(ours.held.is_none(), "different waited sets");
        let got: Vec<(&str, &str)> = got
            .iter()
            .map(|r| (r.session_id.as_str(), r.title.as_str()))
            .collect();
        assert_eq!(got, [("b", "about b"), ("a", "about a2")]);
        assert_eq!(ours.parked(), 0);
    }
}
