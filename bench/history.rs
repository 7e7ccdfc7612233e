//! The dashboard's history load beside the session core alone (issue 14): the same transcripts,
//! read from memory through the same pipeline into
//!
//! - **core**: the session core alone ([`SessionCollector`], what `aegon --summary` feeds), and
//! - **dashboard**: the dashboard's history path, as `aegon watch` runs it while it reads
//!   history: each event applied to a [`Dashboard`] behind the binary's mutex, taken at the
//!   first event of a batch (what the pipeline makes of one chunk pushed) and let go at its
//!   end ([`Renderer::pause`]) as the binary's source does, with the binary's per-event checks
//!   and wake-up (see `Feeder` in `aegon-bin/src/dashboard.rs`),
//!   each feed row put among the others by its time ([`Dashboard::set_history`], as the
//!   binary reads history; `--live` appends rows instead, as a replay or live events do).
//!   No frame is drawn unless `--frames` is given: then one is drawn every 33 ms, as the
//!   screen thread does, and counted against the dashboard (the source waits for the lock
//!   while a frame is drawn).
//!
//! Rounds are interleaved (core, dashboard, core, dashboard, …) and the best round of each is
//! kept, so the ratio compares runs taken under the same load. Each round reads every file once
//! `--passes` times (a fresh pipeline and state per pass). Figures: events applied per second
//! (parse included, as in the dashboard's header count), their ratio, and the peak RSS and page
//! faults of each path alone (a child process per path, one pass: the transcripts held in
//! memory are counted in both, and given apart; the faults are those of the pass, each a
//! fresh page, as `aegon watch` reads history into, exact where times are noisy).
//!
//! ```sh
//! cargo build --release -p aegon-lib --features tui --example history
//! target/release/examples/history [--rounds 7] [--passes 5] [--frames] [--live] [--free] [DIR|FILE.jsonl]…
//! # instructions per event, one path once (callgrind is repeatable on a busy machine):
//! valgrind --tool=callgrind target/release/examples/history --only core --rounds 1 --passes 1
//! valgrind --tool=callgrind target/release/examples/history --only dashboard --rounds 1 --passes 1
//! ```
//!
//! Without paths it reads `$AEGON_CORPUS` or `/work/shared/corpus` if there, else
//! `fixtures/corpus` (every `*.jsonl` of a folder, not its subfolders).
//!
//! Built as an example of aegon-lib (declared in its Cargo.toml, feature `tui`) so it shares
//! aegon's lockfile and adds no crate; it lives in `bench/` because it is a benchmark.
//!
//! Figures (2026-11-29, 2 shared cores; the shared corpus: 26 files, 12.25 MB, 6,867 lines,
//! 8,233 events, 4,544 of them feed rows). Instructions (callgrind, whole process, one pass,
//! `--only core|dashboard --rounds 1 --passes 1`) decide; events/s are noisy on this machine.
//! "Before" is the code before rows wrote their summaries lazily, measured again in the same
//! session as "after" (the pipeline had changed since the previous figures: 184.35 M core,
//! 233.62 M dashboard then):
//!
//! | | core | dashboard before | dashboard after |
//! |---|---|---|---|
//! | instructions (M) | 187.50 | 228.03 | 207.80 |
//! | instructions per event | 22,774 | 27,697 | 25,240 |
//! | ratio core/dashboard by instructions | | 0.822 | 0.902 |
//! | ratio of events/s, same run (5 rounds of 5 passes, 4 runs) | | 0.68–0.76 | 0.76–1.02 |
//! | peak RSS (of which 15.1 MB the transcripts) | 16.8 MB | 18.4 MB | 19.0 MB |
//!
//! Where the dashboard's extra instructions went before (40.5 M, ~4,900 per event): the feed
//! rows' summaries 13.4 M (text prefixes decoded and made inert 5.9 M, result previews 4.8 M,
//! the rest inert copies), the tool calls' key argument 7.8 M (serde reading past a file
//! being written), the steps list's copy of it made inert 4.2 M, freeing the state at the end
//! 3.4 M, series 1.5 M, pull-request links 1.2 M, allocations per row ~2.5 M.
//!
//! What changed: a row writes its summary when first drawn or searched (and keeps it), from
//! what it keeps of its event: the start of the text as written, cut where a count from below
//! (bytes that start a character, less the escapes) shows it holds more characters than the
//! summary reads, so the summary is the same as from the whole text (every event of the
//! corpus is checked); or a tool call's name (shared) and key argument. The key argument is
//! found with the transcript scanner (memchr over the members skipped) and parsed as serde
//! did; the call id and argument are one copy for the row and the steps list; a row's clock
//! sits in place.
//!
//! Where they go after (20.3 M, ~2,470 per event): the key argument 5.7 M, keeping the texts'
//! starts 2.0 M, freeing the state at the end 2.1 M, series 1.5 M, pull-request links 1.2 M,
//! the 1,275 rows written at once (kinds whose summary is cheap, texts with too many escapes
//! in their start) and the binary's lock and wake-up per event for most of the rest. Memory:
//! a row keeps 623 bytes of a text's start (497 characters are read; 1,990 when its start
//! has many escapes) or 303 of a result's (966) until it is drawn, and a call's argument up to
//! 1 KiB (longer ones are written at once); a filter
//! writes every row's summary once (10,000 rows at most), then searches the kept text.
//!
//! Next step (2026-11-30, same corpus and machine, callgrind, whole process, one pass). A
//! pass's end state is no longer freed in the last round unless `--free` is given: freeing is
//! not applying events, and `aegon watch` never frees the dashboard (its source thread holds
//! it until the process ends); both paths leave it out alike (the core's costs 0.63 M, the
//! dashboard's 2.06 M). "Before" is the previous commit with this bench:
//!
//! | | core | dashboard before | dashboard after |
//! |---|---|---|---|
//! | instructions (M), state not freed (the default) | 171.24 | 189.63 | 184.81 * |
//! | ratio core/dashboard | | 0.903 | 0.927 * |
//! | instructions (M) with `--free` (as measured before) | 171.88 | 191.94 | 186.87 * |
//! | ratio core/dashboard with `--free` | | 0.896 | 0.920 * |
//! | peak RSS (of which ~15 MB the transcripts), 3 rounds of 3 passes | 16.9–17.3 MB | 19.4 MB | 19.0 MB |
//!
//! \* Measured with the branch-free counting below still in (187.67 M, 189.73 M with
//! `--free`), less what that counting cost over the memchr count it replaced (callgrind, the
//! two profiles: 3.30 M more in `literal_start`, 0.44 M less in memchr). Measured whole on
//! main after the merge (with the parse work of the same day, which made the core cheaper
//! too): core 147.61 M, dashboard 161.01 M, ratio **0.917**; with `--free` 148.25 M and
//! 163.08 M, **0.909**.
//!
//! What changed: a tool call's key argument is worked out when its row or step is shown.
//! An input of 1 KiB or less (the bound a row kept its argument to already) is kept as
//! written, shared by the row and the steps list, and read when drawn; a longer one (a file
//! being written) is scanned at once and its argument kept as a literal, decoded when drawn
//! (key argument 5.45 M before, 1.1 M after, for the 194 inputs over 1 KiB). A result's row
//! shares its call's id. The maps keyed by session and call ids (steps, pull requests,
//! series) hash with foldhash instead of SipHash (~1.3 M); a series is looked up twice per
//! usage event instead of three times. Tried and left out: counting a text's start in
//! branch-free passes instead of memchr (3.3 M more). What is left (~13.6 M): texts'
//! starts 2.3 M, pull-request links 1.2 M, the rows written at once, allocations per row,
//! the binary's lock and wake-up per event.
//!
//! History put by time (2026-11-30, same corpus and machine, callgrind, whole process, one
//! pass). The figures above were of a feed whose rows are appended (a replay's): this bench
//! left out [`Dashboard::set_history`], which `aegon watch` sets while it reads history, so
//! each row is put among the others by its time. That path was far slower: the feed's
//! `VecDeque::insert` moved every row after the new one (~230 bytes each), 300 M of its
//! 438 M instructions in memmove. It is now the default here (`--live` appends, as before).
//! "Before" is the code of the previous figures with this bench; "after" is this commit's:
//!
//! | | core | dashboard before | dashboard after |
//! |---|---|---|---|
//! | instructions (M), history put by time (the default) | 124.19 | 438.32 | 137.91 |
//! | ratio core/dashboard | | 0.283 | **0.901** |
//! | instructions (M), rows appended (`--live`) | 124.19 | 137.61 | 137.26 |
//! | ratio core/dashboard, `--live` | | 0.902 | 0.905 |
//! | ratio of events/s, same run, history (7 rounds × 3 passes, 4 runs) | | 0.39–0.61 | 0.79–0.85 |
//! | ratio of events/s, same run, `--live` (same runs) | | 0.70–0.94 | 0.72–1.03 |
//! | peak RSS, one pass, history (14.8–14.9 MB of it the transcripts) | 17.0–17.1 MB | 19.2–19.3 MB | 19.4 MB |
//!
//! Wall figures were taken with 10–13 runnable jobs on the 2 cores (other helpers' builds):
//! only the instruction counts are repeatable; the lead's quiet-machine run before this work
//! (12:20, `--rounds 7 --passes 5`, then the appended feed) gave 0.830.
//!
//! What changed: the feed's rows stay in the slot they were stored in (a dropped row's slot
//! takes the next; room for all reserved at once, address space only) and their order is
//! kept as two runs of (time key, slot) pairs meeting where the last row went, so the next
//! row of a file read in time order costs a push, and a jump to another file's time moves
//! 16-byte pairs (a B-tree of the same pairs, tried first, cost ~65 ns a row in perf
//! samples: 139.43 M). Beyond instructions, perf (`-e cpu-clock`, dashboard against core)
//! put much of the wall gap on locked instructions: each waits for the event's fresh stores
//! to drain (~15 ns alone on this VM, 50–70 ns where it follows a row's stores). Cut: the
//! row's file `Arc` cloned twice and dropped once per event, rows or not (now once per row),
//! and in the binary's source the empty export slot locked per event without `--otlp` and
//! the wake-up flag swapped per event (now read first).
//!
//! Where the wall gap goes after (perf samples, 3 rounds of 5 passes: the dashboard's 6,648
//! less the core's 5,206, 1,442): `Dashboard::apply`'s own time 244 (a third on the first
//! locked instruction of a row, its session and file `Arc`s), the binary's mutex per event
//! 180, allocation and free ~160 (rows' text starts, call inputs and ids), memmove ~100,
//! page faults ~50, pull-request links ~57, the feed's order 43. Left: holding the mutex across
//! the events of one chunk (the source would have to hand it back before a warning locks it,
//! and when the watcher waits), and rows naming their file and session without an `Arc`
//! each (public fields of `FeedItem`).
//!
//! The lock per batch (2026-11-30, same corpus and machine). `aegon watch`'s source took the
//! dashboard's mutex for each event; it now holds it across the events of a batch: from the
//! first event of what the pipeline makes of one chunk to the end of that call, which the
//! pipeline now says ([`Renderer::pause`], at the end of every push, close or document, so the
//! source never holds it while it reads, waits or warns), or until another thread asks for it
//! (the screen, the usage reader and warnings take it announced, and the source lets go before
//! its next event). This bench's `Feeder` does the same (one batch per 256 KiB chunk pushed;
//! with `--frames` it lets go before drawing). Also cut: a label's trim through the Unicode
//! whitespace table per row (0.35 M), and the summaries written at once grown from an empty
//! string (five copies each; 0.14 M). "Before" is main at eacf8a3, "after" this commit, both
//! measured in this session (callgrind, whole process, one pass):
//!
//! | | core | dashboard before | dashboard after |
//! |---|---|---|---|
//! | instructions (M), history put by time (the default) | 117.94 | 131.70 | 131.21 |
//! | ratio core/dashboard | | 0.8955 | 0.8989 |
//! | instructions (M), `--live` | 117.94 | 131.04 | 130.55 |
//!
//! The lock was few instructions but two locked ones per event, each waiting for the event's
//! stores to drain: in perf samples (`-e cpu-clock`, 3 rounds of 5 passes) the feeder's own
//! code was 140 of the dashboard's 6,140 samples (the core's counter in the same place: 12),
//! 85% of them on the lock's `cmpxchg` and the unlock's `xchg`; after, 13 of 5,513 (9).
//!
//! Wall figures could not be taken: the machine ran at load 14 on its 2 cores (other helpers'
//! builds). CPU time (`perf stat -e task-clock`, each path alone, 2 rounds of 10 passes, the
//! two builds alternated 10 times; whole process, so reading the transcripts and freeing the
//! states between rounds are in both): the dashboard 323.8 ms before, 319.9 ms after on
//! average (−1.2%, paired differences −13.7 to +7.5 ms), the core 243–248 ms in both. The
//! ratio wants the bench on a quiet machine.
//!
//! Where the wall gap goes after (perf samples, 5 rounds of 6 passes, a machine at load 14:
//! the dashboard's 5,513 less the core's 4,198): `Dashboard::apply`'s own time 215 (a third on
//! the first locked instruction of a row: its file's `Arc`, then its session's, a call's id
//! and argument), allocation ~180 (`_int_malloc` 103: ~5,100 more allocations a pass than the
//! core, the rows' text starts 2,280 of them, call ids and inputs most of the rest; the rest
//! of `_int_free`, `cfree` and the drops is the states freed between rounds, outside the
//! clock), memmove 59, the transcripts' scan of long call inputs 68, the feed's order 24,
//! pull-request links 40, page faults ~40. Left: rows naming their file and session without
//! an `Arc` each (public fields of `FeedItem` and `Origin`: an index into tables the dashboard
//! keeps would take every locked instruction out of a row), and the rows' allocations (text
//! starts in one arena per feed).
//!
//! Rows without shared counts or allocations of their own (2026-11-30, same corpus; machine at
//! load 9 to 12 on its 2 cores all along). The lead's quiet run before this work (17:42, main
//! f0034ea, defaults): core 813,539 events/s, dashboard 676,721, ratio 0.832. What changed:
//! a feed row names its file and session by index into a table of names the feed keeps (it
//! cloned an `Arc` of each: a locked instruction waiting for the event's stores, a third of
//! `Dashboard::apply`'s own perf samples); what it keeps of its event's text (text starts,
//! tool names, subagent ids, and the summaries written at once) goes into one `String` per
//! feed, the row holding ranges (compacted when dropped rows' bytes outweigh the held rows');
//! call ids sit in the row (38 bytes in place); written summaries no longer set a `OnceLock`
//! (two locked instructions each); the steps list's arguments sit in a ring in the order the
//! calls came, found through a map of 16-byte slots from an id's hash (the map keyed by ids
//! held 64-byte buckets: 512 KiB, every page touched). "Before" is main at f0034ea, "after"
//! this commit, both measured in this session:
//!
//! | | core | dashboard before | dashboard after |
//! |---|---|---|---|
//! | instructions (M), callgrind, one pass, history (the default) | 114.37 | 127.28 | 125.90 |
//! | ratio core/dashboard by instructions | | 0.899 | 0.908 |
//! | instructions (M), `--live` | 114.38 | 126.69 | 125.24 |
//! | allocations a pass (malloc + realloc calls, whole process) | 22,638 | 30,820 | 24,499 |
//! | locked instructions a row (reference counts, `OnceLock`) | | 2 to 6 | 0 (1 a call) |
//! | CPU time a pass (ms; see below), 4 runs | 11.56–11.90 | 15.09–15.19 | 14.30–14.53 |
//! | ratio core/dashboard by CPU time a pass, same runs | | 0.779–0.785 | 0.796–0.809 |
//! | the same at load 3.5–4 (18:46, one run of 7) | | 0.794 | 0.821 |
//! | ratio of events/s, the bench's defaults, load 3.5–4, 9 runs alternated: median (range) | | 0.826 (0.736–0.868) | 0.861 (0.779–0.900) |
//!
//! CPU time a pass: the task clock of 21 passes less that of 1 (the transcripts' loading
//! cancels), divided by 20, medians of 7 or 9 runs, the two builds alternated:
//!
//! ```sh
//! for p in core dashboard; do for k in 1 21; do
//!   perf stat -e task-clock -x, target/release/examples/history --only $p --rounds 1 --passes $k
//! done; done
//! ```
//!
//! On the loaded machine the dashboard's extra time is mostly its extra instructions; wall
//! ratios from the bench itself ranged 0.57–0.97 for either build at load 9 to 12 and said
//! nothing; at load 3.5 to 4 (the last rows) they moved from 0.826 to 0.861 (medians). The
//! target (0.9 of wall time) is not reached: the gap left is mostly instructions (below).
//!
//! Where the gap goes after (11.5 M instructions a pass, callgrind): `Dashboard::apply`'s own
//! 3.0 M (a row of 200 bytes built and copied; in perf samples a third of its own time is the
//! row's construction and the call id's copy), the key argument of the 192 inputs over 1 KiB
//! ~2 M (scan 1.29 M, decoding long literals 0.42 M), the rows written at once 1.32 M (of which
//! 0.79 M the 22 results whose content is an array of blocks, decoded by serde), the texts'
//! starts 1.62 M, pull-request links 1.22 M (SIMD `memmem` over every result's content),
//! the feed's order 1.26 M, series 0.52 M; and in perf samples the state's fresh pages
//! (page faults ~5% of the dashboard's samples, ~3% of the core's). Tried and left out:
//! rows built in place by inlining the feed's insertion (no change), counting `\u` escapes
//! exactly in a text's start (0.18 M more: the results written at once are not escaped
//! texts).
//!
//! Fresh pages (2026-11-30/12-01, same corpus; the machine at load 6 at first, then 10 to 15
//! on its 2 cores). Profile first. CPU time a pass (as above, pinned with `taskset -c 1`,
//! medians of 5 runs; `perf stat -e task-clock,page-faults`, user and system time as perf
//! gives them; this VM has no hardware counters, so no cache-miss figures):
//!
//! | a pass, main at 2581901 | core | dashboard | gap |
//! |---|---|---|---|
//! | CPU time (ms) | 9.14 | 11.47 | 2.33 |
//! | of which the kernel's (ms) | 0.16 | 1.46 | 1.30 |
//! | of which user (ms) | 8.78 | 10.06 | 1.28 |
//! | page faults (exact, every run) | 200 | 719 | 519 |
//!
//! So over half of the gap by CPU time is the kernel's, and that is page faults: the state's
//! first touch of fresh pages, ~2.5 µs a fault here (memory-cgroup charge, the page
//! allocator, zeroing, the exception itself). `perf record -g -e cpu-clock` (3 rounds of 10
//! passes) agrees: under `asm_exc_page_fault` 11.2% of the dashboard's samples, 3.0% of the
//! core's. Instruction counts never see this; the user-time gap is about the 11.5 M
//! instructions (~10%) counted above. Where the dashboard's extra fresh pages come from
//! (DHAT, one pass): the feed's rows (4,544 × 200 bytes: 222 pages), the feed's text (what
//! rows keep until drawn, 549 KB: 134), short call inputs kept whole (998 `Arc<str>`,
//! 282 KB: 69), the steps' id index sized for 4,096 calls at once (136 KiB of slots that
//! hashes spread the first few hundred ids over: ~34), the feed's order grown by doubling
//! (each growth copied into fresh pages: up to ~96 allocated in all), the steps' ring (19).
//!
//! What changed: the feed's order is reserved at once like its rows (address space until
//! filled); the steps' id index grows as calls come; and a row keeps a text's or result's
//! start only up to where it settles the summary: when the first line is plain ASCII not
//! starting with a space and either wider than the columns or ended by `\n`, blanks and a
//! plain character, those bytes decide the summary whatever follows (tens of bytes for most
//! texts instead of ~500 characters); otherwise the start counted as before is cut back by
//! what its count holds beyond the characters needed. Every row's summary still reads as the
//! plain renderer's (the corpus tests, run once on this corpus too), and tmux captures of
//! `aegon watch --since all` on this corpus (the feed, a detail, the sessions and steps
//! panes, a filter) are the same before and after. "Before" is main at 2581901:
//!
//! | | core | dashboard before | dashboard after |
//! |---|---|---|---|
//! | page faults a pass (exact) | 200 | 719 | 652 |
//! | the feed's text at the end of a pass | | 549 KB | 388 KB |
//! | instructions (M), callgrind, one pass, history | 109.22 | 120.71 | 120.74 |
//! | ratio core/dashboard by instructions | | 0.905 | 0.905 |
//! | CPU time a pass (ms), load 12–13, 5 runs alternated | 10.13 | 12.91 | 12.92 |
//! | ratio of events/s, bench defaults, load 11–15, 6 runs alternated: median (range) | | 0.817 (0.485–0.889) | 0.835 (0.337–1.032) |
//! | peak RSS (14.7 MB of it the transcripts) | 16.8 MB | 18.8–18.9 MB | 18.6–18.9 MB |
//!
//! By the faults' cost the change is worth ~0.17 ms a pass (67 × ~2.5 µs, ~1.3% of the
//! dashboard's CPU time): below what CPU or wall time resolve at that load, so the figures
//! that decide are the exact fault and instruction counts (the steps: the order and the index
//! 27 faults fewer, the tighter starts 40). Not tried (time): rows of fewer bytes (a
//! `OnceCell` for a written summary saves 8 of 200, a call id in the feed's text 28 but its
//! 30 bytes go to the text instead); transparent huge pages for the rows (`madvise`: `unsafe`
//! or a new crate, and 2 MB resident at once). Left out: a call's key argument worked out at
//! once to drop the kept inputs (69 pages, ~0.17 ms, against ~4 M instructions). What is
//! left of the gap: the user time of the extra instructions, and ~450 fresh pages (~1.1 ms)
//! of a state that holds 4,544 rows of 200 bytes, their texts' starts and the calls' inputs.
//!
//! Rows of 120 bytes (2026-12-01, same corpus; the machine at load 6 to 14 on its 2 cores).
//! The lead's quiet run before this work (02:22, load 1.1, `--rounds 7 --passes 3`): core
//! 973,417 events/s, dashboard 823,627, ratio 0.846; peak RSS 16.8 and 18.6 MB. Profile
//! first, main at 540db4b, pinned with `taskset -c 1`, a pass as above (21 passes less 1;
//! `perf stat -e task-clock,page-faults,cache-misses`: this VM counts no cache misses):
//! CPU time 9.82 ms the core, 11.88 ms the dashboard (load 7); page faults 200 and 652. Where
//! the dashboard's extra faults come from (`perf record -e page-faults -c 1 --call-graph
//! dwarf`, 3 passes, by the first frame of ours; a record that lost no samples): the feed's
//! rows ~222 a pass (4,544 rows of 200 bytes), the feed's text ~95, the feed's order 31, the
//! session core's own hash tables ~33 more than in the core alone (the dashboard's allocations
//! take the holes their growth frees), the steps' ring 12, the rest a few each. Instructions
//! (callgrind, one pass): 111.53 M the core, 123.02 M the dashboard (0.907).
//!
//! What changed: a feed row marks what it lacks in place instead of an `Option` each (no
//! time: `i64::MIN` ms, which no four-digit year parses to; no session: a name id the table
//! never gives; no subagent, call id or result content: a range the text never gives; no
//! clock: zeros); its label is read from its kind when drawn (a label names the kind alone);
//! its call id sits in the feed's text like its other strings (32 bytes less in every row, 30
//! more in the text for calls and results); a later summary's cache is a thin pointer (16
//! bytes, not 24); a result's duration and content and a call's argument are kept flat (the
//! argument's form beside it, not in an enum around it). Public API: `FeedItem::label`,
//! `FeedItem::timestamp_ms` are methods, not fields, and a row's call id is read with
//! `Feed::tool_use_id(&row)`. The dashboard's tests pass, and tmux captures of `aegon watch
//! --since all --no-index` on this corpus at 200 × 50 (20 screens: the feed, moved down and
//! by pages, the oldest rows, details of a result, a call, an interrupt and a mode row,
//! filters by text, call id and `ERROR`, the sessions list moved through and a session's
//! feed) are the same as `/tmp/aegon-stop23`'s, byte for byte. "Before" is main at 540db4b:
//!
//! | | core | dashboard before | dashboard after |
//! |---|---|---|---|
//! | a feed row (bytes) | | 200 | 120 |
//! | page faults a pass (exact, every run) | 200 | 652 | 582 |
//! | of which the feed's rows (4,544 rows; perf counts 133 after) | | ~222 | 133 |
//! | instructions (M), callgrind, one pass, history | 111.52 | 123.02 | 122.66 |
//! | ratio core/dashboard by instructions | | 0.907 | 0.909 |
//! | CPU time a pass (ms), load 13–14, 9 runs alternated: medians | 11.24–11.50 | 14.01 | 13.73 |
//! | ratio core/dashboard by CPU time a pass, same runs: median (range) | | 0.813 (0.789–0.992) | 0.811 (0.758–0.876) |
//! | peak RSS (15.2–15.4 MB of it the transcripts), 3 runs | 16.9–17.2 MB | 18.7–18.8 MB | 18.6–18.7 MB |
//!
//! By the faults' cost (~2.5 µs each) the change is worth ~0.18 ms a pass (~1.5% of the
//! dashboard's CPU time), below what CPU time resolves at load 13; wall ratios from the bench
//! ranged 0.43–1.07 for either build at load 12 and said nothing. The bench's best round is
//! also not the fresh state `aegon watch` reads history into: from the second round the
//! states freed between rounds leave pages the next round's allocations take without a fault,
//! more for the core's small allocations than for the dashboard's large reserved ones (the
//! rows, the text, the order, the steps' ring: fresh mappings each pass), and by chance:
//! the dashboard alone, `--rounds 7 --passes 3`, took 7,491 to 10,535 faults in all over three
//! runs of one build. The fresh figures above (one round, 21 passes less 1) are exact.
//!
//! Tried and left out: the order's places packed to 12 bytes (`repr(packed(4))`): 590 faults,
//! not 582 (each run of the order, 120 KB reserved, falls under glibc's 128 KiB mmap threshold
//! into the heap, whose pages the rows' neighbours touch anyway). What is left of the gap:
//! ~380 fresh pages (~0.95 ms at ~2.5 µs) — the rows 133, the feed's text ~110 (on this corpus
//! 457 KB: results' content starts 159 KB in 1,173 rows, texts kept whole 104 KB in 765, text
//! starts 76 KB in 342, call ids 72 KB in 2,392, summaries written at once 29 KB in 1,067,
//! tool names and subagents 17 KB), the order 31, the steps' ring 12 — and the user time of
//! ~11 M more instructions (the key argument's scan of 192 long inputs 1.3 M, summaries
//! written at once 1.3 M of which 0.78 M the 22 results whose content is an array, pull-request
//! links 1.2 M, texts' starts 1.5 M, the feed's order 1.0 M, long literal arguments decoded
//! whole 0.8 M where the row and the steps list read ~500 characters). Fewer faults would need
//! the rows' pages taken in bulk (`madvise(MADV_POPULATE_WRITE)` or huge pages: `unsafe`,
//! which aegon has none of) or rows that keep less of their texts.
//!
//! The bench now also gives each path's page faults in its one pass alone (the child that
//! measures its peak RSS; `/proc/self/stat`'s `minflt` after the transcripts are loaded), so
//! every run shows the exact figure wall times at this load cannot: after this change 313–314
//! the core, 681–683 the dashboard (the first pass of a process, one-time costs included).
//!
//! Fewer bytes kept and fewer moves (2026-12-01, same corpus; the machine at load 14 to 18 on
//! its 2 cores throughout: other helpers' builds). Profile first (callgrind, one pass, main
//! at 97bb76f): the dashboard's own work beyond the session core is still many small items,
//! the largest pull-request links 1.22 M (SIMD `memmem` over every result and answer: at
//! ~0.2 instructions a byte, nothing to cut), texts' starts 1.80 M, the feed's order 0.99 M,
//! long literal arguments decoded whole 0.41 M. What changed:
//!
//! - a text's or result's first line settles its row's summary in more cases: after blanks
//!   and blank lines, with any character or escape in the line but `\n` and `\u` (a `\u`
//!   may stand for a line break), when `\n`, blanks and a plain character follow within the
//!   bytes looked at (the plain renderer reads at least that many characters: the `\n`
//!   escape is two bytes for one). It read only a first line of plain ASCII not starting
//!   with a space; a Read tool's result (leading spaces, `→`), a quote, a tab or an accent
//!   in the first line kept ~500 characters (241 of a result). 938 of the corpus's starts
//!   now settle so instead of 555 (by a model of the rule in Python: the feed's text ~80 KB
//!   smaller);
//! - a call's key argument over 1 KiB (27 on the corpus: heredocs, subagents' prompts) is
//!   decoded only as far as its row's summary and the steps list read it
//!   (`literal_summary_start_from`: at least 120 characters, then as far as the summary is
//!   settled in 240 columns, which settles it in the row's fewer), not whole by serde and
//!   copied;
//! - the feed's order moves its (time key, slot) places between its two runs as slices
//!   (appended and rotated, or appended and drained), not a pop and a push each.
//!
//! Every row of the shared corpus reads as before (the corpus test, which now also reads
//! `$AEGON_CORPUS` when set, run on it), with a random test of such first lines against the
//! plain renderer. tmux captures as above (the 21 screens of dash4's two scripts, each
//! binary three times, alternated): at load 14 to 17 keys sent in a row are sometimes taken
//! as one (a page or an `Esc` short), so a screen may differ between two runs of one binary;
//! every screen this build showed, byte for byte, is one `/tmp/aegon-stop24` showed in one of
//! its runs. "Before" is main at 97bb76f, "after" this commit, both measured in this
//! session:
//!
//! | | core | dashboard before | dashboard after |
//! |---|---|---|---|
//! | instructions (M), callgrind, one pass, history | 109.56 | 120.69 | 119.67 |
//! | ratio core/dashboard by instructions | | 0.908 | **0.915** |
//! | of which texts' starts (settled, counted) | | 0.62 + 1.18 | 1.01 + 0.40 |
//! | of which the feed's order | | 0.99 | 0.82 |
//! | of which long literal arguments decoded | | 0.41 | 0.04 |
//! | page faults a pass (21 passes less 1, exact, every run) | 200.5 | 582.6 | 565.2 |
//! | page faults, the bench's one fresh pass (4 runs) | 305–308 | 674–676 | 654–657 |
//! | CPU time a pass (ms), pinned, load 14–17, 7 runs alternated: medians | 10.26–10.46 | 12.85 | 12.38 |
//! | ratio core/dashboard by CPU time a pass, same runs: median (range) | | 0.814 (0.793–0.833) | 0.827 (0.799–0.844) |
//! | peak RSS, the bench's one pass (of it ~15.4 MB the transcripts), 4 runs | 17.3–17.6 MB | 18.8–19.1 MB | 19.0–19.1 MB |
//!
//! Tried and left out: a tool result whose content is a list of blocks (22 on the corpus,
//! written at once: 0.78 M) previewed with each text read as a `RawValue` and decoded only as
//! far as the preview reads it: 0.20 M more, not less (serde skipping a `RawValue` and the
//! check that its `\u` escapes decode cost more than decoding the few texts whole).
//!
//! What is left of the gap (~10.1 M instructions, ~365 fresh pages a pass): the rows
//! (4,544 × 120 bytes: 133 pages), the feed's text (~90), short call inputs kept whole for
//! their key argument (~69: finding the argument at once costs ~4 M instructions), the order
//! (31), the steps' ring (12); the key argument's scan of long inputs 1.29 M, pull-request
//! links 1.22 M, the 1,067 summaries written at once 1.31 M (0.78 M the 22 lists of blocks),
//! texts' starts 1.41 M, the order 0.82 M, series 0.52 M. A pass runs ~10 instructions a
//! nanosecond here and a fault costs ~2.5 µs, so the fresh pages (~0.9 ms) weigh as much as
//! the instructions (~1 ms): a ratio of 0.9 by CPU time wants both about halved (rows that
//! keep less, or pages taken in bulk, which needs `unsafe` or a new crate).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use aegon::dashboard::Dashboard;
use aegon::pipeline::{Options, Pipeline};
use aegon::render::summary::SessionCollector;
use aegon::render::{Flow, Renderer};
use aegon::session::pricing::Pricing;
use aegon::Event;

/// Which path a run takes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Path_ {
    Core,
    Dashboard,
}

impl Path_ {
    fn name(self) -> &'static str {
        match self {
            Path_::Core => "core",
            Path_::Dashboard => "dashboard",
        }
    }
}

/// Counts events, then hands them on (both paths pay it alike).
struct Counting<R> {
    events: u64,
    inner: R,
}

impl<R: Renderer> Renderer for Counting<R> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        self.events += 1;
        self.inner.on_event(event)
    }
    fn on_skipped(&mut self, event: &Event<'_>) {
        self.inner.on_skipped(event);
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
    fn finish(&mut self, stats: &aegon::Stats) -> io::Result<()> {
        self.inner.finish(stats)
    }
    fn pause(&mut self) {
        self.inner.pause();
    }
}

/// What the binary's source thread shares with its screen thread (`Shared` there).
struct Shared {
    model: Mutex<Dashboard>,
    waiting: AtomicUsize,
    wake_pending: AtomicBool,
    quit: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Dashboard> {
        self.model.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The binary's `Feeder`, per event what it does while history is read: the lock held across
/// the events of a batch (one chunk pushed; [`Renderer::pause`] ends it), the checks and the
/// wake-up per event. With `frames`, also the screen thread's frames: one drawn (to a
/// 160 × 48 `TestBackend`) every [`FRAME`] of wall time, on this thread, the lock let go
/// first, as the binary's source lets go of it when the screen asks and waits while it draws.
struct Feeder<'a> {
    shared: &'a Shared,
    held: Option<MutexGuard<'a, Dashboard>>,
    tx: Sender<()>,
    frames: Option<Frames>,
}

/// The binary's shortest time between two frames.
const FRAME: Duration = Duration::from_millis(33);

struct Frames {
    terminal: ratatui::Terminal<ratatui::backend::TestBackend>,
    view: aegon::dashboard::View,
    last: Instant,
    events: u32,
    drawn: u64,
}

impl Frames {
    fn new() -> Frames {
        Frames {
            terminal: ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48))
                .unwrap_or_else(|e| panic!("{e}")),
            view: aegon::dashboard::View::default(),
            last: Instant::now(),
            events: 0,
            drawn: 0,
        }
    }

    /// Whether a frame is due (the clock is read every 64 events).
    fn due(&mut self) -> bool {
        self.events += 1;
        self.events % 64 == 0 && self.last.elapsed() >= FRAME
    }

    /// Draws a frame.
    fn draw(&mut self, shared: &Shared) {
        let model = shared.lock();
        let view = &mut self.view;
        let _ = self
            .terminal
            .draw(|frame| aegon::dashboard::ui::draw(frame, &model, view));
        drop(model);
        self.drawn += 1;
        self.last = Instant::now();
    }
}

impl Renderer for Feeder<'_> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        if self.shared.quit.load(Ordering::Relaxed) {
            self.held = None;
            return Ok(Flow::Break(()));
        }
        if self.shared.waiting.load(Ordering::Acquire) != 0 {
            self.held = None;
            while self.shared.waiting.load(Ordering::Acquire) != 0 {
                std::thread::yield_now();
            }
        }
        let shared = self.shared;
        self.held.get_or_insert_with(|| shared.lock()).apply(event);
        if !self.shared.wake_pending.load(Ordering::Acquire)
            && !self.shared.wake_pending.swap(true, Ordering::AcqRel)
        {
            let _ = self.tx.send(());
        }
        // Without an export (as here) its slot is not locked.
        if let Some(frames) = &mut self.frames {
            if frames.due() {
                self.held = None;
                frames.draw(self.shared);
            }
        }
        Ok(Flow::Continue(()))
    }
    fn flush(&mut self) -> io::Result<()> {
        self.held = None;
        Ok(())
    }
    fn finish(&mut self, _stats: &aegon::Stats) -> io::Result<()> {
        self.held = None;
        Ok(())
    }
    fn pause(&mut self) {
        self.held = None;
    }
}

/// The state a pass leaves (the session core's, or the dashboard's), freed or not by the
/// caller (see `--free`).
type State = Box<dyn std::any::Any>;

/// One pass over every file through `path`; returns events applied, a figure of the end state
/// (sessions) so the work cannot be left out, and the state itself.
fn pass(path: Path_, files: &[(String, Vec<u8>)], frames: bool, live: bool) -> (u64, usize, State) {
    fn feed<R: Renderer>(files: &[(String, Vec<u8>)], renderer: R) -> Counting<R> {
        let mut pipeline = Pipeline::new(
            Options::default(),
            Counting {
                events: 0,
                inner: renderer,
            },
        );
        for (name, bytes) in files {
            let mut input = pipeline.open(name.clone());
            // The watcher reads a file in chunks of its buffer; the pipeline splits lines the
            // same whatever the chunks (its chunk-invariance property).
            for chunk in bytes.chunks(256 << 10) {
                let _ = pipeline.push(&mut input, chunk);
            }
            let _ = pipeline.close(input);
        }
        match pipeline.finish() {
            Ok((renderer, _)) => renderer,
            Err(e) => panic!("pipeline: {e}"),
        }
    }
    match path {
        Path_::Core => {
            let done = feed(files, SessionCollector::new(Pricing::built_in()));
            let sessions = done.inner.sessions().len();
            (done.events, sessions, Box::new(done))
        }
        Path_::Dashboard => {
            let mut model = Dashboard::with(Pricing::built_in(), aegon::dashboard::system_clock());
            model.set_status(Some("reading history…".to_owned()));
            // As `aegon watch` reads history: each row put among the others by its time.
            model.set_history(!live);
            let shared = Arc::new(Shared {
                model: Mutex::new(model),
                waiting: AtomicUsize::new(0),
                wake_pending: AtomicBool::new(false),
                quit: AtomicBool::new(false),
            });
            let (tx, rx) = mpsc::channel();
            let done = feed(
                files,
                Feeder {
                    shared: &shared,
                    held: None,
                    tx,
                    frames: frames.then(Frames::new),
                },
            );
            drop(rx);
            let model = shared.lock();
            assert_eq!(model.events(), done.events, "the dashboard saw every event");
            let sessions = model.sessions().len();
            drop(model);
            // The feeder's handle goes with the pipeline's renderer; the state stays.
            let events = done.events;
            drop(done);
            (events, sessions, Box::new(shared))
        }
    }
}

fn jsonl_in(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut found: Vec<PathBuf> = std::fs::read_dir(path)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        found.retain(|p| p.extension().is_some_and(|e| e == "jsonl") && p.is_file());
        found.sort();
        out.extend(found);
    } else {
        out.push(path.to_owned());
    }
}

/// Minor page faults of this process so far (Linux `/proc/self/stat`, field 10), if known:
/// each a fresh page touched (~2.5 µs of the kernel's on this machine), which instruction
/// counts never see.
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command's name in parentheses (which may hold spaces): state, then fields
    // 4 on; `minflt` is field 10.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(7)?.parse().ok()
}

/// Peak resident memory of this process, in KiB (Linux `VmHWM`), if known.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut rounds, mut passes, mut only, mut rss) = (7usize, 5usize, None, false);
    let (mut frames, mut free, mut live) = (false, false, false);
    let mut paths = Vec::new();
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> usize {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} wants a number"))
        };
        match arg.as_str() {
            "--rounds" => rounds = number("--rounds").max(1),
            "--passes" => passes = number("--passes").max(1),
            "--only" => {
                only = match args.next().as_deref() {
                    Some("core") => Some(Path_::Core),
                    Some("dashboard") => Some(Path_::Dashboard),
                    other => panic!("--only core|dashboard, not {other:?}"),
                }
            }
            "--rss" => rss = true,
            "--frames" => frames = true,
            "--free" => free = true,
            "--live" => live = true,
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    if paths.is_empty() {
        let shared = PathBuf::from(
            std::env::var_os("AEGON_CORPUS").unwrap_or_else(|| "/work/shared/corpus".into()),
        );
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/corpus");
        paths.push(if shared.is_dir() { shared } else { fixtures });
    }
    let mut files_found = Vec::new();
    for p in &paths {
        jsonl_in(p, &mut files_found);
    }
    let files: Vec<(String, Vec<u8>)> = files_found
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.display().to_string(), bytes)
        })
        .collect();
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let loaded_kib = peak_rss_kib();
    let loaded_faults = minor_faults();

    let chosen: Vec<Path_> = match only {
        Some(p) => vec![p],
        None => vec![Path_::Core, Path_::Dashboard],
    };
    if !rss {
        println!(
            "{} files, {:.2} MB; {rounds} rounds of {passes} passes, interleaved, best kept",
            files.len(),
            bytes as f64 / 1e6
        );
    }
    let mut best = vec![Duration::MAX; chosen.len()];
    let mut events = vec![0u64; chosen.len()];
    for round in 0..rounds {
        for (i, &path) in chosen.iter().enumerate() {
            let start = Instant::now();
            let mut seen = 0;
            let mut states = Vec::with_capacity(passes);
            for _ in 0..passes {
                let (n, sessions, state) = pass(path, &files, frames, live);
                std::hint::black_box(sessions);
                seen += n;
                if free {
                    drop(state);
                } else {
                    states.push(state);
                }
            }
            best[i] = best[i].min(start.elapsed());
            events[i] = seen / passes as u64;
            // Freeing is not applying: the states go after the clock stops, and the last
            // round's not at all, as a process ends (so a whole-process instruction count
            // leaves it out for both paths), unless `--free`.
            if round + 1 < rounds {
                drop(states);
            } else {
                std::mem::forget(states);
            }
        }
    }
    if rss {
        // One path alone in this process: its peak, what the transcripts took before, and
        // the page faults of its passes (fresh pages, as `aegon watch` reads history into).
        let faults = minor_faults()
            .zip(loaded_faults)
            .map_or(0, |(now, loaded)| now.saturating_sub(loaded));
        println!(
            "{} {} {}",
            peak_rss_kib().unwrap_or(0),
            loaded_kib.unwrap_or(0),
            faults
        );
        return;
    }
    let rate = |i: usize| (events[i] * passes as u64) as f64 / best[i].as_secs_f64();
    for (i, path) in chosen.iter().enumerate() {
        println!(
            "{:<10} {:>9} events/pass  {:>12.0} events/s  {:>8.1} MB/s",
            path.name(),
            events[i],
            rate(i),
            (bytes * passes) as f64 / best[i].as_secs_f64() / 1e6
        );
    }
    if chosen.len() == 2 {
        assert_eq!(events[0], events[1], "both paths see the same events");
        println!("ratio      dashboard / core = {:.3}", rate(1) / rate(0));
        // Peak RSS and page faults of each path alone, one pass, in a child process each.
        if let Ok(me) = std::env::current_exe() {
            for path in &chosen {
                let out = std::process::Command::new(&me)
                    .args([
                        "--only",
                        path.name(),
                        "--rounds",
                        "1",
                        "--passes",
                        "1",
                        "--rss",
                    ])
                    .args(live.then_some("--live"))
                    .args(&files_found)
                    .output();
                let text = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
                let mut figures = text.as_deref().unwrap_or("").split_whitespace();
                let peak: u64 = figures.next().and_then(|v| v.parse().ok()).unwrap_or(0);
                let loaded: u64 = figures.next().and_then(|v| v.parse().ok()).unwrap_or(0);
                let faults: u64 = figures.next().and_then(|v| v.parse().ok()).unwrap_or(0);
                println!(
                    "peak RSS   {:<10} {:>7.1} MB ({:.1} MB before the pass: the transcripts in memory); {} page faults in the pass",
                    path.name(),
                    peak as f64 / 1024.0,
                    loaded as f64 / 1024.0,
                    faults
                );
            }
        }
    }
}
