//! `--summary` over many files on every core, with the same answer on every run.
//!
//! Files are grouped by session ([`aegon::source::order::groups`]). Each group is read on its
//! own (files in path order, with a pipeline of its own), on whichever worker is free, and
//! notes the identity of every entry it counted: line uuids, tool call and result ids
//! ([`aegon::session::correlate`]), and for each API response the largest counts its lines
//! held.
//!
//! An entry can be in several groups: a session resumed into a new session id copies its
//! lines into the new file, a session can be copied whole. It counts once, in the group where
//! it **first occurred**, decided by the library's rule ([`aegon::source::order`], which
//! embedders use too), which depends only on what the files hold. An API response's usage is
//! the largest of each count over all its lines, wherever they are (FORMAT.md §6): a resumed
//! session can hold the final line of a response whose partial line ended the session it
//! resumes. So the groups are ranked, and each group that holds entries of a group ranked
//! before it is read again with those entries skipped and, for each response an earlier group
//! holds, the largest counts the earlier groups held of it: only a line's increase over them
//! counts there, as an increment ([`Correlator::with_counted`]). That is what one stream
//! reading the groups in rank order gives ([`aegon::source::order::in_first_occurred_order`],
//! `--ndjson`), in totals and per session. The groups' sessions are then merged in group-key
//! order, so the summary does not depend on the order files are named in, the number of
//! workers or timing.
//!
//! Only regular files are read this way: a pipe, a FIFO or a device can be read only once (a
//! group may be read twice, and its key is sniffed from the file's start first), so a run
//! that names one reads all its inputs once, in order, on one thread
//! ([`crate::inputs::is_stream`]).
//!
//! Memory: besides the sessions, 8 bytes per identity and about 50 per API response while the
//! groups are read (twice that while the owners are decided).
//!
//! Deciding the owners takes one pass over the identities and responses, each counted in a
//! table; only those held more than once (a resumed or copied session's) are then sorted. (All
//! of them were sorted before: about 7% of a one-thread read of a distinct history, on the main
//! thread while the other cores waited.) The pass runs on every worker, each counting a shard
//! of the identities (split by their bits, so the shards are disjoint and the answer does not
//! depend on the number of workers).

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aegon::hashing::PassThroughHasher;
use aegon::pipeline::{Options, Pipeline, Stats};
use aegon::render::summary::SessionCollector;
use aegon::session::correlate::Correlator;
use aegon::session::leaves::WaitedLeaves;
use aegon::session::pricing::Pricing;
use aegon::session::Sessions;
use aegon::source::order::{first_occurred_rank, groups, Span, SpanRecorder};
use aegon::tokens::Tokens;

use crate::args::InputArg;
use crate::report::Reporting;

/// What a parallel read produced.
pub struct Collected {
    /// All sessions, merged.
    pub sessions: Sessions,
    /// All counters, merged.
    pub stats: Stats,
    /// Whether an input could not be read.
    pub failed: bool,
}

/// What reading one group gave.
struct GroupRead {
    sessions: Sessions,
    stats: Stats,
    failed: bool,
    /// Identities of the entries it counted.
    identities: Vec<u64>,
    /// The API responses it met, each with the largest counts its lines held.
    responses: Vec<(u64, Tokens)>,
    /// When its events happened: its place in the "first occurred" order.
    span: Span,
}

/// The first holder of each identity met so far: the place of its group, and the identity's
/// index among the group's with [`LISTED`] set once it was met again (so that the first holder
/// is listed once). 16 bytes an entry, as the count it replaces.
type FirstHolders = HashMap<u64, (u32, u32), BuildHasherDefault<PassThroughHasher>>;

/// The bit of a [`FirstHolders`] index set when the first holder was listed.
const LISTED: u32 = 1 << 31;

/// Lists in `shared`, for each of `items` (a group's, at `place`: index among the group's,
/// identity, item) whose identity was met before, the item with `place`, and once the first
/// holder's (`first(place, index)` gives it back); one probe of `firsts` per item.
fn note_holders<T>(
    firsts: &mut FirstHolders,
    items: impl Iterator<Item = (usize, u64, T)>,
    place: u32,
    shared: &mut Vec<(u64, u32, T)>,
    first: impl Fn(u32, u32) -> Option<T>,
) {
    use std::collections::hash_map::Entry;
    for (index, id, item) in items {
        match firsts.entry(id) {
            Entry::Vacant(v) => {
                // 2^31 identities in one group would take a transcript of terabytes.
                v.insert((place, index as u32 & !LISTED));
            }
            Entry::Occupied(mut o) => {
                let (first_place, first_index) = o.get_mut();
                if *first_index & LISTED == 0 {
                    *first_index |= LISTED;
                    if let Some(its) = first(*first_place, *first_index & !LISTED) {
                        shared.push((id, *first_place, its));
                    }
                }
                shared.push((id, place, item));
            }
        }
    }
}

/// What of a group counts in groups ranked before it.
#[derive(Default)]
struct Elsewhere {
    /// Identities of lines, tool calls and results.
    skipped: HashSet<u64>,
    /// API responses, with the largest counts the earlier groups held.
    counted: HashMap<u64, Tokens>,
}

impl Elsewhere {
    fn is_empty(&self) -> bool {
        self.skipped.is_empty() && self.counted.is_empty()
    }
}

thread_local! {
    /// The worker's read buffer, handed from each group's pipeline to the next one
    /// ([`Pipeline::with_read_buffer`]).
    static READ_BUFFER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Reads one group's files with a pipeline of its own; what `elsewhere` holds counts in
/// groups ranked before it. `others`: other groups are read too, so the group's identities
/// and responses are recorded to find what it shares with them (with one group alone they
/// would only take memory: 8 bytes a line, and a table of them in the sharing pass).
fn read_group(
    files: &[PathBuf],
    elsewhere: Option<&Elsewhere>,
    others: bool,
    options: Options,
    pricing: &Pricing,
    quiet: bool,
) -> io::Result<GroupRead> {
    let collector = Reporting::new(
        SpanRecorder::new(SessionCollector::new(pricing.clone())),
        quiet,
    )
    .without_summary();
    let correlator = match elsewhere {
        Some(e) => Correlator::with_skipped(e.skipped.iter().copied())
            .with_counted(e.counted.iter().map(|(&k, &t)| (k, t))),
        None => Correlator::new(),
    };
    let mut pipeline = Pipeline::with_correlator(options, collector, correlator)
        .with_read_buffer(READ_BUFFER.take());
    if others {
        pipeline.correlator_mut().record_identities();
    }
    let inputs: Vec<InputArg> = files.iter().cloned().map(InputArg::Path).collect();
    let failed = crate::read_inputs(&inputs, quiet, &mut pipeline);
    READ_BUFFER.set(pipeline.take_read_buffer());
    let failed = failed?;
    let mut identities = pipeline.correlator_mut().take_recorded();
    identities.shrink_to_fit();
    let responses = pipeline.correlator_mut().take_recorded_responses();
    let (reporting, stats) = pipeline.finish()?;
    let recorder = reporting.into_inner();
    let span = recorder.span();
    let mut sessions = recorder.into_inner().into_sessions();
    // Kept until all groups are read, then merged into a registry with the prices.
    sessions.release_pricing();
    Ok(GroupRead {
        sessions,
        stats,
        failed,
        identities,
        responses,
        span,
    })
}

/// Runs `job` on each of `items` on up to `workers` threads; results in the items' order.
fn on_workers<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    job: impl Fn(&T) -> io::Result<R> + Sync,
) -> io::Result<Vec<R>> {
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.clamp(1, items.len().max(1)))
            .map(|_| {
                let (next, job) = (&next, &job);
                scope.spawn(move || {
                    let mut out = Vec::new();
                    while let Some(i) =
                        Some(next.fetch_add(1, Ordering::Relaxed)).filter(|&i| i < items.len())
                    {
                        out.push((i, job(&items[i])?));
                    }
                    Ok::<_, io::Error>(out)
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in handles {
            let part = h
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("a worker thread panicked")))?;
            all.extend(part);
        }
        Ok::<_, io::Error>(all)
    })?;
    done.sort_unstable_by_key(|(i, _)| *i);
    Ok(done.into_iter().map(|(_, r)| r).collect())
}

/// The shard of `id` among `shards` (its bits 40 to 55: not those a pass-through hash
/// table takes its slot and tag from, so each shard's table fills all its slots).
fn shard_of(id: u64, shards: usize) -> usize {
    ((id >> 40) & 0xFFFF) as usize % shards
}

/// What of one shard of the identities and responses more than one group holds: (identity,
/// place of a group holding it) and (response, place, its largest counts there), each sorted.
type SharedInShard = (Vec<(u64, u32)>, Vec<(u64, u32, Tokens)>);

/// The identities and responses of shard `shard` (of `shards`) that more than one group holds,
/// with the place of each group holding them (`place[group]`).
///
/// One probe per identity: the first holder of each is remembered, and listed when a second
/// one turns up. (Counting the occurrences first, then looking each identity up again to keep
/// those counted twice, took two; the pass is serial work of the summary, on every core.)
fn shared_in_shard(
    reads: &[GroupRead],
    place: &[u32],
    shard: usize,
    shards: usize,
) -> SharedInShard {
    let mine = |id: &u64| shard_of(*id, shards) == shard;
    // Group by place, to rebuild a first holder's entry from its place.
    let mut group_at = vec![0usize; reads.len()];
    for (group, &p) in place.iter().enumerate() {
        if let Some(slot) = group_at.get_mut(p as usize) {
            *slot = group;
        }
    }
    let mut firsts = FirstHolders::with_capacity_and_hasher(
        reads.iter().map(|r| r.identities.len()).sum::<usize>() / shards + 1,
        Default::default(),
    );
    // (identity, place of the group holding it): sorted, each run's first holder owns it.
    let mut held: Vec<(u64, u32, ())> = Vec::new();
    for (group, read) in reads.iter().enumerate() {
        let ids = read.identities.iter().copied().enumerate();
        let ids = ids.filter(|(_, id)| mine(id)).map(|(i, id)| (i, id, ()));
        note_holders(&mut firsts, ids, place[group], &mut held, |_, _| Some(()));
    }
    let mut held: Vec<(u64, u32)> = held.into_iter().map(|(id, p, ())| (id, p)).collect();
    held.sort_unstable();
    firsts.clear();
    // The largest counts a group held of a response, found again from its place.
    let counts_at = |p: u32, index: u32| -> Option<Tokens> {
        let read = reads.get(*group_at.get(p as usize)?)?;
        read.responses.get(index as usize).map(|&(_, t)| t)
    };
    let mut responses: Vec<(u64, u32, Tokens)> = Vec::new();
    for (group, read) in reads.iter().enumerate() {
        let theirs = read.responses.iter().copied().enumerate();
        let theirs = theirs
            .filter(|(_, (id, _))| mine(id))
            .map(|(i, (id, t))| (i, id, t));
        note_holders(&mut firsts, theirs, place[group], &mut responses, counts_at);
    }
    responses.sort_unstable_by_key(|&(id, position, _)| (id, position));
    (held, responses)
}

/// For each group, what it holds that counts in groups ranked before it (empty for most):
/// the identities they hold, and for each response they hold the largest counts they held.
///
/// The identities are counted on `workers` threads, each for a shard of them (on the main
/// thread, counting all of them took 5% of a summary's instructions over a distinct history
/// of 1,040 files, while the other cores waited); only those more than one group holds come
/// back to be assigned.
fn entries_owned_elsewhere(
    reads: &[GroupRead],
    keys: &[String],
    workers: usize,
) -> io::Result<Vec<Elsewhere>> {
    let spans: Vec<Span> = reads.iter().map(|r| r.span).collect();
    let rank = first_occurred_rank(&spans, keys);
    let mut place = vec![0u32; reads.len()];
    for (position, &group) in rank.iter().enumerate() {
        place[group] = position as u32;
    }
    let shards: Vec<usize> = (0..workers.max(1)).collect();
    let shared = on_workers(&shards, workers, |&shard| {
        Ok(shared_in_shard(reads, &place, shard, shards.len()))
    })?;
    let mut elsewhere: Vec<Elsewhere> = (0..reads.len()).map(|_| Elsewhere::default()).collect();
    // Shards hold disjoint identities: each run of one identity is within one shard.
    for (held, responses) in shared {
        for run in held.chunk_by(|a, b| a.0 == b.0) {
            for &(id, position) in &run[1..] {
                elsewhere[rank[position as usize]].skipped.insert(id);
            }
        }
        // Each holder after the first counts only what grew beyond the holders before it.
        for run in responses.chunk_by(|a, b| a.0 == b.0) {
            let mut most = run[0].2;
            for &(id, position, tokens) in &run[1..] {
                elsewhere[rank[position as usize]].counted.insert(id, most);
                most = most.max(tokens);
            }
        }
    }
    Ok(elsewhere)
}

/// Reads `files` on `workers` threads into one merged set of sessions, each entry counted
/// once, where it first occurred (see the [module documentation](self)).
pub fn collect(
    files: &[PathBuf],
    workers: usize,
    options: Options,
    pricing: &Pricing,
    quiet: bool,
) -> io::Result<Collected> {
    let (keys, groups): (Vec<String>, Vec<Vec<PathBuf>>) =
        groups(files, workers).into_iter().unzip();
    let others = groups.len() > 1;
    let mut reads = on_workers(&groups, workers, |group| {
        read_group(group, None, others, options, pricing, quiet)
    })?;
    // One group alone shares nothing with another: the sharing pass is skipped (its table of
    // every line's identity was 35 of the 46 MB of heap for a transcript of a million lines).
    let elsewhere = if others {
        entries_owned_elsewhere(&reads, &keys, workers)?
    } else {
        reads.iter().map(|_| Elsewhere::default()).collect()
    };
    let again: Vec<usize> = (0..groups.len())
        .filter(|&g| !elsewhere[g].is_empty())
        .collect();
    // Read again, quietly: their problem lines were reported the first time.
    let reread = on_workers(&again, workers, |&g| {
        read_group(
            &groups[g],
            Some(&elsewhere[g]),
            others,
            options,
            pricing,
            true,
        )
    })?;
    for (g, read) in again.into_iter().zip(reread) {
        let failed = reads[g].failed;
        reads[g] = GroupRead { failed, ..read };
    }
    // The leaves the groups' summaries wait for, and which of them each group holds, found on
    // the workers: the merge below then looks each summary up once, not in every group merged
    // before it (that grew with groups × summaries, on this thread while the others waited).
    let waited = Arc::new(WaitedLeaves::of(
        reads.iter().map(|read| read.sessions.leaf_index()),
    ));
    if !waited.is_empty() {
        let held = on_workers(&reads, workers, |read| {
            Ok(read.sessions.leaf_index().find_waited(&waited))
        })?;
        for (read, held) in reads.iter_mut().zip(held) {
            if let Some(held) = held {
                read.sessions.set_held_leaves(held);
            }
        }
    }
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by(|&a, &b| {
        keys[a]
            .cmp(&keys[b])
            .then_with(|| groups[a].cmp(&groups[b]))
    });
    let mut out = Collected {
        sessions: Sessions::with_pricing(pricing.clone()),
        stats: Stats::default(),
        failed: false,
    };
    let mut slots: Vec<Option<GroupRead>> = reads.into_iter().map(Some).collect();
    for g in order {
        if let Some(read) = slots[g].take() {
            out.sessions.merge(read.sessions);
            out.stats.merge(&read.stats);
            out.failed |= read.failed;
        }
    }
    Ok(out)
}
