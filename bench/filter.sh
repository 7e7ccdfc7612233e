#!/usr/bin/env bash
# Benchmark of the streaming filter: MB/s, peak RSS and ratios of `aegon --ndjson` and the plain
# renderer reading ~100 MB of real transcripts (the corpus repeated), beside a bare borrowed
# serde_json parse of the same lines (bench/bareparse.rs), cat, cat | cat and jq, all in one run.
# Speed and memory targets live here, not in tests.
#
#   bash bench/filter.sh               # BENCH_MB=100 BENCH_RUNS=7 BENCH_JQ_MB=10 BENCH_UNIQUE_MB=600
#   bash bench/filter.sh profile       # callgrind: per stage and per function, the corpus once and twice
#
# The machine may be shared, so the commands are run interleaved (round after round, each command
# once per round) and the best of the rounds is kept: a ratio then compares runs taken under the
# same load. aegon and the bare parse are pinned to one core (taskset); `cat | …` rows are two
# processes, as a real pipe is. The input lives in $BENCH_DIR (default /tmp/aegon-bench).
#
# Where the instructions go (callgrind, `bash bench/filter.sh profile`; instructions executed per
# input byte, inclusive, by stage, `--ndjson`; 2026-11-29, issue 14). Three inputs: ONCE = the
# shared corpus once (12.25 MB, 6,867 lines, no line repeats another: every line is parsed),
# TWICE = it twice (the second copy's lines all repeat the first's), FILE = the benchmark input
# (110 MB, the corpus 9 times: 45,416 of 61,803 lines repeat an earlier uuid). The bare
# serde_json parse is 7.0 per byte on each. "before" is the build before issue 14's parse work
# (c24a13a), "after" this one.
#
#   stage                              ONCE before  after   TWICE before  after   FILE before  after
#   line split (memchr, carry)                0.22   0.21            0.22   0.22          0.22   0.22
#   line hash (foldhash)                         -   0.45               -   0.45             -   0.45
#   UTF-8 check (simdutf8)                    0.28   0.28            0.28   0.15          0.28   0.05
#   record parse (scan + serde message)       9.64   9.67            9.64   5.16          9.64   1.65
#   decode to events                          0.60   0.60            0.60   0.33          0.60   0.12
#   correlate (ids, dedup)                    0.72   0.39            0.48   0.20          0.30   0.05
#   render (NDJSON line)                      3.58   3.58            1.91   1.91          0.60   0.60
#   whole process                            15.79  16.04           13.84   8.91         12.30   3.37
#
# A line met again byte for byte (a resumed session's copy, a file read twice, the corpus
# repeated here) is known by a hash of its bytes and counted as repeated without being parsed
# (`pipeline::CleanLines`): it costs the hash (0.45 per byte, paid by every line) instead of a
# parse and decode (~10.5) whose events the correlator would drop. Lines with a problem report,
# without uuid, or with a uuid the correlator has forgotten are read whole as before. The
# correlator's identities moved from SipHash to foldhash (correlate 0.72 -> 0.39), which pays
# for most of the hash on input without repeats: ONCE is 1.6% more instructions than before.
#
# Scanner by masks (parse branch, 2026-11-29, issue 14; same stages, callgrind; "before" is
# b887e78, main with the render work, "after" this build):
#
#   stage                              ONCE before  after   TWICE before  after   FILE before  after
#   record parse (scan + serde message)       9.66   9.02            5.16   4.78          1.65   1.48
#   render (NDJSON line)                      2.21   2.21            1.17   1.17          0.36   0.36
#   whole process                            14.68  14.04            8.18   7.81          3.13   2.95
#   (split 0.22, hash 0.45, UTF-8 0.28/0.15/0.05, decode 0.60/0.33/0.12, correlate
#   0.39/0.20/0.05: unchanged)
#
# The scanner reads a long string, and an object or array it skips (`toolUseResult`, `data`,
# …), 64 bytes at a time as bit masks of quotes, backslashes and brackets (the `wide` crate's
# 16-byte SIMD compares), as simdjson does: escaped bytes from the runs of backslashes, the
# bytes inside strings by a prefix xor of the unescaped quotes, nesting counted on the brackets
# outside strings. Before, skip_string searched a 64-byte window a word at a time, then memchr,
# restarted after every escaped quote, and objects were walked a byte at a time between strings.
# On ONCE skip_string went from 32.8M to 16.8M Ir and skip_value from 28.5M to 22.5M
# (inclusive; the whole process 179.9M -> 172.0M).
#
# What is left on ONCE (after): serde's parse of `message` is ~4.1 per byte (Content and its
# blocks 2.2, of which the `&RawValue` of tool inputs and tool results 1.3; usage 1.1, ~6,300
# Ir per usage object through the derive and lenient visitors; serde's skip_to_escape ~2.0 in
# all), the scanner's per-member cost (~80-120 Ir a key or short string value: ~160,000 of
# them) ~1.3, decode_string and member lookups ~1.2, render 2.2. The bare parse is 7.0 per byte,
# so 0.8x of it means ~8.75 per byte for the whole process: the next steps are a structural
# index of each line built once (so the top-level walk jumps from bit to bit instead of calling
# a search per string), and reading `message` by that index with serde only on the small values
# it keeps; that needs a validator as strict as serde_json for the raw values passed through
# (tool inputs and results: escapes, control characters, numbers, depth 128), or the lines it
# is unsure of read by serde as now. Syscalls are not in these counts.
#
# Message by the scanner (issue 14, third stop; callgrind, `--ndjson`, corpus once; "before" is
# 0b9918c, "after" this build): the `message` walked member by member by the scanner in one
# pass (blocks, usage; unread members such as thinking signatures skipped undecoded), and the
# raw values kept (tool inputs and results, text literals) checked by format/claude/validate.rs
# (strings 64 bytes at a time as masks of quotes, backslashes and control bytes; 2.15 Ir per
# byte on the corpus' tool values against serde_json's 6.29, `bash bench/validate.sh`).
#
#   stage                              ONCE before  after
#   record parse (scan + message)             9.02   8.49
#   decode to events                          0.75   0.78
#   render (NDJSON line)                      2.04   1.99
#   whole process                            14.06  13.49   (172.2M -> 165.3M Ir)
#   (split, hash, UTF-8 and correlate unchanged)
#
# Alone, the scanner-first reader was 3% slower (177.4M): serde's check of the raw values it
# found the end of read them a second time; the validator is what pays. What is left: the
# scanner's cost per member (~100 Ir a key or short value), the line hash (0.45), decode and
# correlation (~1.2), ~5M Ir of memcpy moving the large `Record` struct.
#
# Output stage (render branch, callgrind, 2026-11-29): Ir inclusive of the renderer's on_event.
#   input                       --ndjson before  after    plain before  after   colour before  after
#   corpus once (12.25 MB)            45.3M    27.1M          49.3M   31.7M           50.8M  32.9M
#   bench input (110 MB)              66.6M    39.8M          80.8M   45.2M           83.0M  47.5M
#   whole process, bench input      1356.3M  1329.5M        1370.4M 1335.2M         1372.7M 1337.4M
# NDJSON: 7.9 -> 4.7 Ir per output byte (8.4 MB out of the bench input; the cache tracker's
# 4.6M for the corpus once is in both). Strings are escaped a word at a time by our own writer
# (serde_json's byte-wise serialize_str was the largest part), line separators escaped in the
# same pass instead of a second search of every event, the input's name escaped once per input,
# previews counted a word at a time. Plain: first lines read off the JSON literal when they are
# printable ASCII, ASCII runs copied whole, numbers without fmt. What is left of plain above
# NDJSON is key_argument (a serde parse of each tool call's input, ~7.9M for the corpus once).
# key_argument, then (callgrind, corpus once, same day; whole-process Ir): plain 184.7M -> 181.7M,
# colour 185.9M -> 182.9M, --ndjson 179.9M -> 177.8M. key_argument 7.9M -> 4.6M: the record
# scanner walks the call's top-level members (other values skipped undecoded) and the chosen
# literal's first line is shown off the literal when plain ASCII; the rest (3.6M) is skipping
# large values (a Write's content, an Edit's text), which a same-output rule must read to see
# a duplicated or mistyped wanted member. NDJSON: the cache tracker parses the model id only
# when it changes (observe 4.6M -> 2.5M). By Ir plain/colour now cost 1.02/1.03x NDJSON; colour
# is 1.1M Ir above plain (style and reset strings per span) and writes fewer bytes than NDJSON
# (1.07 MB vs 5.18 MB), so the 0.81 colour ratio seen once in wall time is not in the counts.
# Plain renderer at or under NDJSON (plain branch, 2026-11-29, issue 14; callgrind, Ir; "before"
# is 0b9918c, "after" this build; ONCE and FILE as above; whole process and the renderer's
# on_event inclusive; --ndjson unchanged):
#   input, measure                  --ndjson    plain before  after    colour before  after
#   corpus once, whole process        172.2M          175.9M  166.9M           177.1M  167.4M
#   corpus once, on_event              25.0M           28.7M   19.7M            29.8M   20.1M
#   bench input, whole process        319.8M          323.5M  314.5M           324.7M  315.0M
#   bench input, on_event              25.0M           28.7M   19.7M            29.8M   20.1M
# (The bench input's repeated lines are no longer parsed, so it renders what ONCE renders.)
# Texts, results and call arguments whose first line is not plain ASCII were decoded to 496
# characters (a call's argument: all of it) to show one line; a resumable decoder
# (decode_prefix's rule) now decodes 64, 128, ... characters until the line is settled (it ends
# and text follows, or it is wider than the columns): those decodes (text prefix 2.5M, result
# previews 3.3M, arguments by serde 1.0M) are now 5.1M in all, inclusive. Runs of printable
# ASCII are found eight bytes at a time (the literal fast path 2.8M -> 1.0M); the time, label and
# session column are one copy each (heads precomputed plain and coloured: colour is now 0.4M
# above plain, not 1.1M); usage, progress and snapshot summaries are written in place, not by
# format!; durations under a minute without float formatting (except on ties). key_argument's
# scan of a call's whole input (~2.4M, a duplicated wanted member must be seen) is unchanged.
# Pipe: `strace -c` counts the same syscalls from a pipe as from the file (433 vs 429 reads of
# 256 KiB, 441 vs 444 writes) and aegon's user+sys time is the same; the gap is cat's CPU and
# scheduling on a loaded 2-core machine, not work aegon does.
# Scanner, cheaper strings and skips (scan branch, 2026-11-30, issue 14; callgrind, `--ndjson`,
# corpus once without repeated lines, 12.25 MB; "before" is main a436689, "after" this build;
# exclusive Ir summed over the inlined copies):
#   function                                   before   after
#   skip_string + Blocks::next_masks + skip_value  48.7M   26.6M   (all inlined in skip_value now)
#   scan.rs code inlined into parse_members         5.2M    6.5M   (skip_string for keys now inline)
#   parse_record, inclusive                       100.2M   81.9M
#   validate::string_end                            5.6M    5.6M   (unchanged)
#   whole process                                 161.5M  143.1M   (-11.4%)
# A string is read 16 bytes at a time by two SSE2 compares (quote, backslash) and a movemask
# each: most end in the first chunk at a quote with no backslash before it; escapes in longer
# ones by simdjson's run arithmetic on 16 bits (no backward backslash count, no SWAR window
# then a restart by masks). A skipped object or array is walked by its structure: the next
# quote or bracket found by one 16-byte mask, strings passed over by skip_string, instead of
# four compares per 16 bytes and a prefix xor for every 64-byte block (3.1 of the 3.9 MB in
# skipped toolUseResult/data/attachment/snapshot values are in strings of 64+ bytes). Numbers
# and literals end at a table lookup. Not done, next to measure: 64-byte quote/backslash masks
# for strings past their first 64 bytes (about a third fewer Ir per long-string byte, by
# estimate), fusing skip_ws with the `:`/`,` check that follows it (~3.8M on that line, most
# calls see no whitespace), AVX2 (the `wide` crate picks SSE2 at compile time; runtime
# dispatch would need `core::arch` loads, which are `unsafe`).
# Skipped containers by 64-byte blocks (skip branch, 2026-11-30, issue 14; callgrind
# --branch-sim=yes, `--ndjson`, corpus once; "before" is main 7288a9e, "after" this build):
#   measure                                   before Ir / Bcm        after Ir / Bcm
#   skip_value, inclusive                      26.6M / 416k           24.2M / 285k
#     from parse_record_into (top level)       15.5M / 241k           13.5M / 141k
#     from raw_at (tool inputs, results)        4.5M /  73k            4.2M /  49k
#   whole process                             135.1M / 1.487M        132.7M / 1.360M  (Bim 0.22M)
# A skipped object or array is read as simdjson reads a document: quote, backslash and bracket
# masks per 64 bytes, escapes by the backslash-run arithmetic and strings by a prefix xor (both
# carried across blocks), depth by popcounts; only a block that may close the value is walked
# bracket by bracket, branch-free on the kind; a block wholly inside one string builds only its
# quote and backslash masks (without that, blocks cost 29.7M Ir / 263k Bcm: more Ir on long
# strings than the 16-byte string loop). Wall clock (perf stat -r 40 task-clock, taskset, five
# interleaved rounds, load average 10-13 on 2 cores, so noisy): aegon took 0.66-0.95x the
# time of before in each round, best of rounds 33.9 -> 26.6 ms against the bare parse's 12.9.
# The output stage without memcpy calls (ndjson branch, 2026-11-30, issue 14; callgrind
# --branch-sim=yes, `--ndjson`; "before" is main dc5895f, "after" this build; Ir / Bcm / Bim,
# inclusive; decode is record_events less the sink's event_in_place):
#   stage                     ONCE before             after                FILE before              after
#   decode to events        6.82M / 58.6k / 25.0k   6.82M / 50.9k / 22.1k   16.10M / 100.1k / 34.4k  16.10M / 79.3k / 28.5k
#   correlate               4.78M / 36.0k /  1.7k   4.79M / 35.5k /  3.7k    5.74M /  35.9k /  1.7k   5.74M / 38.4k /  3.7k
#   render (NDJSON line)   21.40M / 226k  / 35.0k  21.44M / 156k  / 24.4k   21.37M / 222k  / 35.0k   21.73M / 170k  / 24.4k
#   whole process         123.57M / 984k  / 212k  123.62M / 907k  / 202k   254.88M / 1503k / 256k   255.26M / 1443k / 245k
#   (split 2.83M, hash 5.52M, UTF-8 and the record parse unchanged)
# The renderer's mispredictions were mostly not its own: its short copies of varying length
# (kind, agent, file name, ids, timestamps, itoa's digits, "true"/"false") were memcpy calls,
# whose size-class branches, shared by every caller, mispredicted about once in 1.3 calls (43.6k
# from write_object, 18.9k from push_str); a literal's text was searched by memchr2_iter for
# `\` and 0xE2, a call resumed after every backslash (texts hold many `\n`). Now: copies of 4 to
# 64 bytes are fixed-size overlapping moves in line (`put`: the tail piece overlaps, the bytes
# past the end dropped by truncate), so each field's length branches are its own; push_str
# tests and copies a string in the same pass (16-byte SIMD chunks, two overlapping words under
# 16 bytes; the escaping loop out of line, from the first chunk that needs it); integers under
# 10^8 are four digit pairs shifted to their digit count (bit length x 1233 >> 12 and a power
# of ten) with no branch on the value; booleans without a branch; floats by zmij directly; a
# literal is one memmem search for `\u` and one memchr for 0xE2. A first version that scanned
# literals by 16-byte SIMD chunks (two loads and five compares per chunk) cut mispredictions as
# much but cost 2.5M Ir more than memchr's AVX2 searches and measured no faster. Wall clock
# (CPU time of 100 interleaved runs each, pinned, load average 13 on 2 cores): median 25.5 ->
# 24.5 ms. Left: the Event copies (Header::event, ~8k Bcm in memcpy), the renderer's match on
# the kind (jump table), CacheTracker::observe (2.5M Ir, 28k Bcm), literal_prefix's word loop
# for previews (~21k Bcm).
# Record parse, fewer searches and no serde on common shapes (parse branch, 2026-11-30, issue
# 14; callgrind --branch-sim=yes, corpus once; "before" is main 76f146f, "after" this build;
# Ir / Bcm / Bim, inclusive):
#   measure                                 before                  after
#   parse_record_into                69.35M / 527k / 143.3k   58.66M / 439k / 133.4k
#   whole process, --ndjson         124.24M / 895k / 209.0k  113.46M / 781k / 194.3k  (-8.7% Ir)
#   whole process, --color never    116.54M / 928k / 205.7k  105.77M / 802k / 192.3k  (-9.2% Ir)
#   Reader::string_member              9.76M /  67k          4.23M /  21k
#   usage_at (counts)                 10.38M / 100k          8.45M /  66k
#   data/attachment/origin objects     4.70M /  60k          2.71M /  40k
#   snapshot (serde -> scanner)        2.58M /  26k          0.38M (23 left to serde) + the walk
#   escaped top-level strings (serde)  1.72M                 0.54M (unescape; 681 Windows cwds)
# Ids and timestamps of their usual length (uuid 36, timestamp 24, request id 28, tool call id
# 30) are taken by one branch-free check of overlapping 16-byte chunks and the closing quote at
# its place (validate::sized_string_end), not a search of 16 then 64 bytes; a count of one to
# seven digits before a delimiter is read from one 8-byte word (non-digit mask, three
# multiplications) instead of a token skip, then a digit check, then a fold; `data`,
# `attachment` and `origin` are walked once where the walk reads what skip-then-walk read (no
# token with a quote, backslash or bracket: `{"type":todo_reminder",...}` is left to the two
# passes); a snapshot that serde_json would read exactly so (checked by the validator, plain
# keys, no duplicate or odd timestamp) has its backups counted by the scanner; a checked string
# with escapes is unescaped by hand unless a surrogate escape is irregular (serde then decides);
# whitespace is skipped after one compare (every byte of it is at or below a space). Wall clock
# (perf stat -r 40 task-clock, pinned, six interleaved rounds, load average 14-15 on 2 cores
# with a build running: too noisy to say more): best of rounds 22.2 -> 21.6 ms, the bare parse
# 11.2. Not done: key dispatch (the jump tables on key length are ~45% of the parse's Bim in
# callgrind's model, but a perfect hash measured worse before); snapshots whose backup keys hold
# escapes (Windows paths, 23 of 191) still go through serde.
#
# Line hash and kind names (pipe branch, 2026-11-30, issue 14; callgrind --branch-sim=yes, whole
# process, corpus once; "before" is main 76f146f, "after" this build; Ir / Bcm / Bim):
#   mode              before                      after
#   --ndjson          124.24M / 895k / 209.0k     122.90M / 928k / 201.6k
#   --color never     116.55M / 928k / 205.7k     115.08M / 932k / 213.0k
#   --color always    117.01M / 939k / 205.8k     115.55M / 963k / 207.8k
#   CleanLines::key     5.52M /  10.8k /   -        4.07M /  14.0k /   -    (all modes)
# The clean-line key is XXH3 (twox-hash, AVX2 chosen at run time, a secret and seed drawn per
# process) instead of foldhash: 0.33 instead of 0.45 Ir per byte, every line hashed whole. Kind
# and agent names are read from tables built at compile time from their `match`: the match
# compiled to a jump table (a table of string pointers needs relocations), whose indirect branch
# mispredicted on nearly every event (write_object's 9.6k Bim from event.rs are gone). The
# whole-process Bcm and Bim move by +-5% with code layout alone (the same memcpy gave 49.8k and
# 59.8k Bcm in two builds that differ elsewhere): changes of that size are not read from them.
# Wall clock (perf stat -r 40 -e task-clock, taskset -c 0, --ndjson ONCE, three interleaved A/B
# rounds, load average 17-19 on 2 cores, so noisy): before 35.5 / 26.3 / 25.7 ms, after
# 25.6 / 24.5 / 23.9 ms. Peak RSS on FILE 8.8 MB.
# Tried and dropped: simdutf8's `basic` check first, `compat` only on an error (3.37M Ir against
# 3.21M, the same 35k Bcm: the mispredictions are in its ASCII/non-ASCII block switches, not its
# error tracking). Left, each under 1% of the process: the Event moved into the sink's closure
# (686k Ir of memcpy, decode.rs's callback), the Event's drop glue (581k Ir, a jump table on the
# kind), pricing's BTreeMap lookups per usage event (request_cost_of 1.03M Ir for 1,352
# events), two allocations per tool call in the correlator (id and tool name), parse_millis
# (~280 Ir a timestamp, 1.0M). The pipe: F_SETPIPE_SZ (1 MiB) and 256 KiB reads are in place
# (bc7da1d); aegon's syscalls are the same from a pipe as from the file, so the remaining gap
# is cat's two copies and scheduling on a shared 2-core machine, not measured again here.
# Distinct lines, where the cycles go (parse branch, 2026-11-30, issue 14; "before" is main
# a761f5b, "after" this build; UNIQUE = /tmp/aegon-bench/unique-600MB.jsonl, 605 MB, every
# line parsed, 259 MB of NDJSON out). Callgrind with --cache-sim=yes --branch-sim=yes, corpus
# once, whole process (the bare parse / before / after):
#   Ir 86.2M / 112.4M / 111.3M; I1 misses 1.8k / 3.79M / 3.83M; D1 read misses 202k / 315k
#   / 307k; D1 write misses 2.8k / 154k / 151k; LL write misses 0.8k / 22.0k / 22.0k; Bcm
#   765k / 822k / 796k; Bim 23k / 218k / 210k.
# The IPC gap is not mispredicted conditional branches (aegon's are within 7% of the bare
# parse's) but (1) instruction fetch: the per-line path (scan, message walk, decode, correlate,
# NDJSON writer, ~30 functions inlined into a few large ones) does not fit a 32 KiB L1i, and
# callgrind's model misses on 3.3% of fetches (write_object 248k, parse_members 151k, its
# inlined Vec growth 224k, decode_line 90k, parse_record_into 74k, malloc/free 100k) against
# none for the bare parse; (2) indirect branches (key dispatch by jump table in parse_members,
# usage_at, MessageKey::of, block_at: ~120k of the ~200k Bim); (3) cache misses in the sets of
# identities once they fill (perf on UNIQUE, self time: Generations::insert_if_absent 8-9%
# under load, 3.7% quiet, nearly all on the load of a control group or of a slot's key: two
# tables of 2^18 slots at 7/8 load, 4.7 MB, probed previous then current). Kernel time is the
# bare parse's (_copy_to_iter and filemap_get_read_batch: about 1.1x its samples; same 256 KiB
# reads, 2,316 of them; the 4,975 writes to /dev/null cost nothing); page faults are 3,021
# against 134 whatever the input's size (startup and tables; they do not grow with input).
# Done: a usage event's price is looked up once per model and factors (CacheTracker keeps the
# last RequestPrice), not per event: Pricing::request_cost_of was 2.6% of UNIQUE's samples
# (B-tree lookups of string keys, each node cold by the next usage event: libc memcmp), now
# 0.13% (request_price, 240 calls instead of 1,352 on the corpus; observe inclusive 2.54M ->
# 1.84M Ir); the pending tool calls hashed by foldhash, not SipHash (sip::Hasher::write 0.6%
# -> 0). Whole process, corpus once: 112.38M -> 111.26M Ir (-1.0%). Wall (perf stat -r 3
# task-clock per command, taskset -c 0, four interleaved rounds on UNIQUE, load average 7-9
# on 2 cores): bare 313-320 ms, before 591-641, after 587-620 (ratio 0.51-0.53 -> 0.52-0.54:
# within the noise). Tried and dropped: the clean-line hashes in a set-associative cache
# (8-way buckets, 16-bit tags in a 128 KiB array, entries read only on a tag match, filled
# in turn) instead of two generations of hash tables: on UNIQUE its lookup and insert took
# 6.3% of samples against the tables' 6.5% (the tag load misses as the control bytes did);
# a first version with whole 64-byte buckets and FIFO shifting took 9.6%. Next, by this
# profile: the `seen` set (one probe of one table for a fresh key, e.g. a filter of the
# previous generation that fits L2, 256 KiB for 229k keys at ~10% false positives, saves
# one of its two or three misses), the content blocks' Vec grown from empty per message
# (3,407 malloc+free on the corpus, ~1.4M Ir and their I1 misses), and the I-cache footprint
# (reserve once per event in write_object instead of a capacity check and grow path per
# field; key dispatch without jump tables).
# Smaller hot path, and a sieve that did not pay (filt branch, 2026-11-30, issue 14; "before"
# is main eacf8a3, "after" this build; UNIQUE and ONCE as above). Callgrind --cache-sim=yes
# --branch-sim=yes, `--ndjson`, corpus once, whole process (before / after):
#   Ir 111.19M / 111.40M (+0.2%); I1 misses 3.84M / 3.30M (-14%); D1 misses 456k / 455k;
#   Bcm 807k / 796k; Bim 227k / 227k. Code: write_object 81.9 KB -> 34.4 KB; decode_line's
#   instance for the pipeline ~22 KB -> the clean path only (the repair path, 6.1-6.6 KB per
#   instance, and the byte-order-mark path with its second copy of decode_clean, out of line).
# Wall (perf stat -r 3 -e task-clock per command, taskset -c 0, five interleaved rounds on
# UNIQUE, load average 15 on 2 cores, so noisy): bare parse 322-336 ms, before 647-674, after
# 624-653 (after/before per round 0.97, 1.01, 0.99, 0.95, 0.94); best of rounds 0.499x ->
# 0.516x the bare parse. ONCE (perf stat -r 20, three rounds): bare 7.1-7.6 ms, before
# 12.4-14.0, after 12.2-12.4 (best 0.58x both). The lead's 0.61x on a quiet machine is out of
# reach by this kind of change: what is left is not fetch but memory (below).
# Done: the string, text and raw writers of the NDJSON object out of line (their inlined
# copies per field and kind were most of write_object's 82 KB); decode_clean's repair path
# (crash padding, records run together, cut records: recover_line) and the byte-order-mark path
# `#[cold]` and out of line. Perf on UNIQUE (cpu-clock samples, self): write_object 9.5% ->
# 6.7% + Obj::str 2.4%. A fifth of write_object's samples before sat on one instruction
# after the 8-byte load of a 8-12 byte field in `put` (a data miss, by the look of it; which
# field was not found).
# Tried and dropped: (1) a blocked Bloom filter in front of each generation of the sets of
# identities and of clean lines (two bits of one word per key, 8 bits a key, both generations'
# words side by side: 512 KiB for `seen`, 32 KiB for clean lines), so a key met for the first
# time skips the table probes: UNIQUE's samples in Generations went from 10.7% to 15.7%. The
# sieve word missed as the tables' control bytes do: between two reads of one sieve line the
# parse streams ~14 MB of input through the 1 MiB L2, so nothing probed at random stays in L2
# and a sieve only adds a miss. (2) Both generations probed before either answer is looked at
# (to overlap their misses): no change within the noise (626-654 ms against 598-670). The
# misses in the sets of identities (Generations::insert_if_absent 6-10% of UNIQUE's samples,
# more the busier the machine: they go to DRAM when other processes hold L3) are the largest
# single item left in aegon's own code; next would be one probe per key (a single table of
# keys in 64-byte buckets, both generations' buckets loaded together) or prefetching the clean
# line's key for the lines of a read buffer before they are decoded; both need a table of our
# own, not hashbrown's. Not done, by time: stage batching, content blocks' Vec reuse, key
# dispatch without jump tables.
# Passes folded, and a buffer kept (filt3 branch, 2026-11-30, issue 14; "before" is main
# f0034ea, "after" this build; ONCE, FILE, UNIQUE as above). Callgrind, `--ndjson`, ONCE,
# inclusive Ir by stage (before / after):
#   line split 2.76M / 2.82M; line hash 4.07M / 4.07M; UTF-8 3.41M / 3.41M;
#   parse_record_into 59.29M / 58.42M; lone-surrogate search 1.19M / 0.04M;
#   decode (record_events less the sink) 6.87M / 6.47M; correlate 4.47M / 4.47M;
#   render 21.48M / 21.48M; whole process 112.20M / 109.67M (-2.3%; 9.16 -> 8.95 Ir per
#   input byte, the bare parse 7.04); I1 misses (--cache-sim) 3.39M -> 3.34M, Bcm 841k ->
#   795k, Bim 217k -> 219k (code layout alone moves these by ~5%). --color never, ONCE
#   104.54M -> 102.14M; FILE --ndjson 230.69M -> 228.33M, FILE --color never 223.05M ->
#   220.82M (plain is 3.3% under NDJSON by Ir on FILE, 7% on ONCE).
# Done: (1) the search of every tool input and result for `\u` after the parse (to find lone
# surrogate escapes, has_lone_surrogate: a memmem pass over 2,412 raw values) runs only when
# the parse's validator met a surrogate escape (it reads every escape anyway and now counts
# \uD800-\uDFFF in a thread-local; a RawJson made from serde's RawValue counts as one). (2)
# The content blocks of a message are read into the buffer of the last message's blocks,
# handed back once their events are made (a thread-local spare), instead of a Vec grown from
# empty and freed per message (3,407 malloc+free on ONCE, and their code's I1 misses).
# Wall, on a machine at load average 11-13 (2 cores): not readable; CPU time is. UNIQUE,
# hyperfine -N -r 3, taskset -c 0, four rounds, the order alternated: user time before
# 511/557/552/551 ms, after 504/537/544/534 (after/before 0.986, 0.965, 0.986, 0.969), the
# bare parse 239-246 (so 0.44x -> 0.45x of the bare parse by user time). ONCE and FILE (perf
# stat task-clock, -r 20 / -r 5, three rounds): within the noise (ONCE 13.6-15.2 ms both,
# FILE plain and NDJSON within 2% of each other in each round, either way). Outputs
# byte-identical to f0034ea (--ndjson, --color never) on ONCE, UNIQUE, /work/shared/bugs/*
# and every file of /work/shared/corpus-agents.
# Tried and dropped: string_end_escaped by escape masks (quote-or-control and backslash masks
# per chunk, the letters from simdjson's run arithmetic, each checked in a loop with no
# branch but its own): 10.19M -> 10.69M Ir on ONCE with the same mispredictions (82.7k vs
# 82.4k Bcm; 10.95M / 98.0k when the backslash mask is made only for blocks holding one: most
# 64-byte blocks of a long string do). Its test against a byte-by-byte reading stays.
# Looked at and left: the NUL search after each parse (memchr over every line, 1.95M Ir on
# ONCE) could ride on the line split (memchr2 of `\n` and NUL, ~0.1 Ir a byte saved), but
# that means a field in the public `Line`; a prefetch of the sets' buckets needs `unsafe`
# (core::arch::_mm_prefetch is a `#[target_feature]` fn: unsafe to call even on rust 1.95, and
# safe `#[target_feature]` fns need 1.86 > the 1.85 MSRV) and a table of our own (hashbrown
# has no prefetch). Plain vs NDJSON on FILE: same syscalls (430 reads, 51 vs 105 writes),
# fewer Ir for plain; the lead's 0.96x is not in the counts (1.06x in a hyperfine run here).
# Set probes and memcmp (filt4 branch, 2026-11-30, issue 14; "before" is main 7bcb9fb =
# /tmp/aegon-main-final, "after" this build; UNIQUE and ONCE as above). The machine was at load
# average 12-19 on 2 cores throughout: wall clock was 3.1-4.3 s for 0.55 s of CPU, so figures
# here are perf shares (cpu-clock samples, self, one run each, pinned) and callgrind Ir.
# Done: (1) parse_millis' memory of the last timestamp compared by a memcmp call (and stored by
# memcpy) per read, nearly always a mismatch on distinct history; now kept as its first and last
# 16 bytes (u128s) and length, compared in line. A first version kept the padded bytes and read
# the tail piece back from the stack across two 16-byte stores: the store-forwarding stall made
# parse_millis 1.8% of samples, as much as the calls it replaced. (2) The cache tracker keeps
# the two latest request prices (a session's main model and its subagents' take turns):
# request_price 240 -> 80 calls on ONCE. Perf on UNIQUE, self: memcmp 2.83% -> 0.79%,
# parse_millis 0.46% -> 0.03%, request_price 0.14% -> 0.10%, observe 0.29% -> 0.50% (its
# model compare now in line); the four 3.72% -> 1.42%. Callgrind, --ndjson ONCE: 110.24M ->
# 109.98M Ir (-0.24%), observe inclusive 1.88M -> 1.71M. User time on UNIQUE (hyperfine -N -r 3,
# taskset -c 0, three rounds, order alternated): before 616/543/547 ms, after 550/558/533, the
# bare parse 231-233 (bare ÷ aegon by user time 0.41x before, 0.42x after); a fourth round at
# load 11: user 543 -> 497 ms, wall 1.67 -> 1.95 s (the bare parse 1.10 s, run first; the
# wall followed the load): within the noise. Outputs byte-identical to before (--ndjson, --color
# never, stdout and stderr) on ONCE, UNIQUE, every /work/shared/bugs input and every file of
# /work/shared/corpus-agents.
# Tried and dropped: the repeat set (`seen`, 458,752 ids) as a table of our own, in two layouts,
# each against hashbrown's Generations (10.8-10.9% of UNIQUE's samples in the same session):
# (a) one probe per key: 64-byte buckets of 8 keys, both generations' buckets of an index side by
# side in one 128-byte pair (5.2 MB at 70% load): 14.3%, 86% of it on the two bucket loads;
# (b) one 64-byte line of 8-bit tags per index, 32 per generation, the keys read only on a tag
# match (0.6 MB of tags, 4.6 MB of keys, 80% load): 11.0%, 61% on the tag-line load. hashbrown's
# two control-byte loads (two 256 KiB arrays) are independent and issued together, so their
# misses overlap: one line per key costs what two did, and 5 MB of keys read at random miss
# further out than 0.5 MB of control bytes. What would pay is hiding the latency (a prefetch a
# line ahead: `unsafe` and MSRV, see above) or probing several lines' keys back to back so their
# misses overlap (a line split that looks ahead, the clean-line keys of a read buffer probed
# together); not done. EventSink::line's own 5% of samples is ~70% the clean-line table's probe
# (control load and key compare), the same kind of miss. Left: Reporting::note_read's pointer
# test compares with its own copy's pointer, so it never holds and every event's input name is
# compared by memcmp (0.14% with NdjsonRenderer's same compare); the model names compared per
# usage event in observe (0.8% in a call-graph profile, 0.2% before: a request that misses the
# latest price now compares its model with the other kept one too).
# The lead's quiet run after stop 22's merges (2026-11-30 22:00-22:03, load ~1.6, nothing else
# running; before = /tmp/aegon-main-final (stop 21's final build), after = main 9114ce7, which
# also holds the day's correctness fixes). hyperfine -N, 7 runs, taskset -c 0, same run: UNIQUE
# bare 306 ms, before 535.5 ms (0.571x), after 512.7 ms (0.597x): -4.3% wall, user 436 -> 414
# ms. FILE 27.1 -> 25.6 ms median (15 runs). `bash bench/filter.sh` (5 rounds) on the after
# build: FILE ÷ bare 1.78x, ONCE 0.68x, UNIQUE 0.61x, cat FILE | aegon ÷ aegon FILE 0.81x (÷
# cat | cat 0.92x), cat UNIQUE | aegon ÷ aegon UNIQUE 0.99x, plain ÷ NDJSON 1.06x (ONCE 1.04x),
# peak RSS 8.6 / 15.9 MB.
# The pipe, where `cat FILE | aegon` loses to `aegon FILE` (pipe2 branch, 2026-12-01, issue 14;
# main 2581901; load average 8-17 on 2 cores throughout, so wall clock was unreadable: `aegon
# FILE` pinned to core 0 took 35-115 ms at best against 25.6 ms quiet; figures below are CPU
# time, syscalls and samples, which the load moves less). Nothing of it is aegon's own code:
#   - One thread reads stdin, blocking reads, no poll, no second buffer: BufReader (256 KiB)
#     over StdinLock (8 KiB), both passed by for 256 KiB reads straight into the pipeline's
#     buffer (the first fill_buf's 256 KiB, taken for the UTF-16 look, is copied out once).
#     Syscalls (strace -c): 429 reads from the pipe, 442 from the file; 102 / 105 writes.
#   - Reads by size over time (perf record -e syscalls:sys_exit_read, one run): 536 reads, 308
#     of 256 KiB. Through the first ~15 MB (the corpus' first copy, every line parsed at ~1
#     GB/s) every read is full: aegon is the slower, the 1 MiB pipe is full and cat waits. After
#     it (lines repeated, hashed not parsed: ~4 GB/s) most reads return 128 KiB, cat's write
#     size: aegon waits for cat. The pipe holds 1 MiB, so cat cannot bank the first phase's
#     slack for the second: the two add up instead of overlapping.
#   - aegon's CPU (perf stat, task-clock, runs alternated file / pipe): 20 each at load 8-11,
#     mean 31.6 ms from the file, 33.3 from the pipe; 15 each at load 14, median 39.0 / 37.8.
#     Context switches 10-11 -> 339-358: the blocking reads on an empty pipe. cpu-migrations
#     0.55 / 0.20. Startup (an empty file) 1.33 ms task-clock, cat's 0.60.
#   - Where aegon's CPU goes (perf record, cpu-clock, 8 runs each, aegon's samples): user
#     4808 (file) / 4502 (pipe); kernel ~3.15k (file: _copy_to_iter 1986,
#     filemap_get_read_batch 947) / ~4.2k (pipe: _copy_to_iter 2591, and ~1.2k freeing the
#     pipe's pages and uncharging them from the memory cgroup: uncharge_folio,
#     page_counter_uncharge, __free_frozen_pages, anon_pipe_buf_release...). A pipe's reader
#     frees the pages its writer filled, and copies them from the other core's cache: about a
#     third more kernel time per byte than the page cache, paid by any reader (cat | cat's too).
#   - cat's side: its CPU as the writer into a drained 1 MiB pipe (15 runs) 24.2-25.6 ms,
#     against 14.0-14.4 ms for `cat FILE > /dev/null`: the writer alone costs about what aegon's
#     whole run from the file takes on a quiet machine (25.6 ms, the lead's 22:00 run).
# The floor: in the lead's quiet run `cat FILE | aegon` was 0.81x `aegon FILE` and 0.92x `cat
# FILE | cat`, so `cat FILE | cat` was 0.81 / 0.92 = 0.88x `aegon FILE`: a reader that does
# nothing but drain the pipe is under the 0.9 target on FILE. The target as written is above
# what any reader of cat's pipe reaches here; UNIQUE (every line parsed, aegon the slower
# throughout) is at 0.99. The ratios now print that ceiling beside the target (`cat FILE | cat
# ÷ aegon FILE`, and the same for UNIQUE) and `cat FILE | cat ÷ cat FILE`, what a pipe costs.
# Done: stdin's pipe is widened only when narrower than 1 MiB (F_GETPIPE_SZ first): the call
# also shrinks, and cut a wider pipe (a privileged writer's, or under a raised pipe-max-size)
# back to 1 MiB. Outputs (stdout and stderr, --ndjson and --color never, from the file and
# through cat) byte-identical to /tmp/aegon-stop22final on ONCE, FILE, UNIQUE,
# /work/shared/bugs/* and every file of /work/shared/corpus-agents; a writer that sends each
# line in two halves 20 ms apart sees its event 0.1 ms (median, max 0.25) after the second.
# Looked at and left: a read-ahead thread draining the pipe into more buffers would let cat run
# ahead through the parse phase, but only by what it holds: ~0.24 ms per MiB at cat's rate
# (8 MiB: ~2 ms of ~31), for +8 MiB of RSS (cat UNIQUE | aegon is 15.9 MB against the 20 MB
# target) and a third runnable thread on two cores; a pipe wider than 1 MiB needs
# CAP_SYS_RESOURCE (pipe-max-size). An experiment build of the thread could not be timed at
# this load. Widening the pipe earlier (before startup) frees cat at most ~1 ms, and on FILE
# cat waits for the full pipe in the parse phase anyway.
# Looking ahead at a read buffer's lines, tried and dropped (filt5 branch, 2026-11-30/12-01,
# issue 14; "before" is main 2581901 (= the lead's 9114ce7 filter code), the experiment is commit
# 3f1b30d, reverted by the next one; UNIQUE and ONCE as above; load average 10-17 on 2 cores
# throughout). The idea (filt4's conclusion): probe several lines' keys back to back so their
# cache misses overlap, instead of each line's probe being waited on alone while the line is
# parsed. Built: for the chunk being split, the next 16 lines (refilled when 8 are left) found
# by memchr, hashed (the clean-line key, then reused by the line, matched by address), their
# keys probed in both clean-line generations in a tight loop, and (variant 3) their uuids
# found in each line's last 512 bytes (memmem for `"uuid":"`), hashed to the line identity and
# probed in the correlator's `seen` in a second tight loop; the answers thrown away (plain
# safe loads; the real lookups line by line then find the tables' lines in cache). A first
# version hashed and probed a whole 256 KiB buffer at once: the lines warmed first were evicted
# by the buffer's own parse before their turn.
# Perf on UNIQUE (cpu-clock samples, self, pinned, one run each, same session), off / clean keys
# ahead / + uuids ahead: Generations::insert_if_absent 8.49 / 7.02 / 5.59%, EventSink::line
# 4.27 / 1.47 / 1.45%, the look-ahead (CleanLines::key_of, probes inlined) 0.10 / 2.15 / 4.03%,
# memchr 3.01 / 4.52 / 4.62%, memmem (packedpair) 0.11 / 0.18 / 1.00%, XXH3 2.23 / 2.23 /
# 2.12%, Generations::insert 1.02 / 0.97 / 1.00%: 19.2 / 18.5 / 19.8% in all, a change within
# one profile's noise. The warming works (the sets' probes line by line lose ~45% of their
# samples) but costs what it saves: (1) a load that misses holds up retirement whether its
# value is used or not, so a touch stalls as the probe it replaces unless several are in
# flight, and in the probe loops they overlap only partly (53-64% of the loop's samples sit on
# the slot-key load after a tag match: ~11% of probes at 7/8 load with hashbrown's 7-bit tags,
# each a random read of a 0.5-2 MB slot array); (2) the lines must be found before the
# splitter hands them over: a second memchr pass over every byte (+1.5%), and for the uuid a
# search of each line's tail (+1.5%). Callgrind --cache-sim=yes, --ndjson ONCE (where the sets
# fit in cache, so only the cost shows): Ir 110.12M before / 110.56M off / 113.15M clean keys
# ahead (+2.8%) / 116.79M + uuids (+6.1%); D1 read misses 306k / 312k / 520k / 529k (the
# lines hashed 16 ahead are read back from L2 by the parse). Task-clock (perf stat, taskset -c
# 0, six interleaved rounds, order rotated, UNIQUE), min / mean ms: before 564 / 613, off 596 /
# 610, clean keys ahead 595 / 620, + uuids 590 / 618, a 64-line window 590 / 613, the bare parse
# 316 / 325: no variant faster. What would change the sums: the splitter handing over a read
# buffer's line boundaries (source/lines.rs) so the look-ahead searches nothing again, and a
# uuid position known without a search; or a real prefetch (`unsafe`, MSRV 1.86+; see above).
# The slot-key loads after false tag matches are also most of insert_if_absent's own samples
# (30% on that one load before): a table with wider tags (16 bits: 1 false match in ~4,700
# probes) would cut them, but filt4's two tables of our own missed on the tag load instead.
# One probe per line, the output buffer and half-loaded clean-line tables, tried and dropped
# (filt6 branch, 2026-12-01, issue 14; "before" is /tmp/aegon-stop23 = main 540db4b's filter
# code; UNIQUE, ONCE, FILE as above; load average 7-15 on 2 cores throughout, so wall clock
# was unreadable: 2.0-3.3 s elapsed for 0.6-0.7 s of CPU; figures are perf shares (cpu-clock samples, self, pinned,
# one run each, same session), task-clock and callgrind). The lead's quiet baseline the same
# morning (02:22, load 1.1, `bash bench/filter.sh` defaults): UNIQUE bare 0.288 s, aegon
# --ndjson 0.471 s (0.61x); ONCE 0.68x; FILE 1.73x; plain ÷ --ndjson 0.90x on FILE, 1.03x on
# ONCE.
# Where UNIQUE's time goes (before; perf shares of aegon's samples, grouped by stage; the bare
# parse took 0.61x of aegon's samples in the same session, 40% of them kernel):
#   record parse (scanner, message walk, validator)   30.1%   kernel (read, copy to user)  16.2%
#   correlate (seen, responses, calls: probes)        13.5%   render NDJSON (+ cost)       11.9%
#   clean-line table (EventSink::line's probe, insert) 6.9%   libc (memcpy, malloc...)      4.6%
#   decode to events  4.6%   memchr (line split, NUL search) 4.0%   UTF-8 2.9%   XXH3 2.4%
# In samples (18,214 aegon, 11,292 the bare parse), aegon's parse alone (5.5k) is already
# below the bare parse's user time (6.7k; its kernel time 4.5k); the rest of aegon's user
# time (correlate, clean lines, render, decode, copies, split, UTF-8, hash: ~9.8k) is 0.87x
# the bare parse's whole run. 0.8x on UNIQUE means aegon at 1.25x the bare parse's time,
# ~14.1k samples: ~4.1k gone, more than all of the two sets' probes (3.7k). The probes are
# cache misses to L3/DRAM on distinct input (4.7 MB and 1.1 MB of tables touched at random
# while each line streams ~2 KB through the 1 MiB L2):
# Generations::insert_if_absent's samples sit on the two control-group loads (24% and 34% of
# them) and on the slot-key loads after a false 7-bit tag match (16% and 6%); EventSink::line's
# on the clean-line table's control loads (24%, 5%) and its key loads (12%, 30%).
# Tried: (1) one probe per line (the brief's idea 1). The clean-line table dropped; `seen`
# became a Generations<u64> holding, per line identity, the key of the first clean line read
# under it; before a parse the line's uuid was guessed from its bytes (the last `"uuid":"` in
# the last 512 bytes, else the first before them; a wrong guess can only miss, since a key is
# noted under the identity the line was read with and the same bytes have the same identity)
# and `seen` probed once; the correlator's own probe of the line identity then hit in cache.
# Outputs (stdout and stderr, --ndjson and --color never) were byte-identical to before on
# ONCE, FILE, UNIQUE, `cat FILE | aegon`, the corpus twice, every /work/shared/bugs input and
# every file of /work/shared/corpus-agents (and --summary --json on the three bench homes).
# Callgrind, ONCE: 110.18M -> 116.51M Ir (the guess: 6.65M). It moved the miss rather
# than removing it: perf shares before / after, insert_if_absent 10.1 / 7.7%, the clean-line
# probe (EventSink::line, then repeat_clean_line) 5.4 / 6.2% (`seen` with 16-byte slots is
# 8.9 MB instead of 4.7, against the clean-line table's 1.1 MB), note_clean_line 0.4%;
# correlate + clean lines 20.3 -> 18.7%; and the guess cost more than that: 2.9% of samples
# with memmem's FinderRev (Two-Way backwards, no SIMD) on the tail, 4.0% with memrchr over the
# tail's colons (6.65M Ir on ONCE, ~970 Ir a line: a call per colon) plus the forward search
# and the uuid's foldhash. Task-clock on UNIQUE (perf stat -r 3, taskset -c 0, three
# interleaved rounds): before 668 / 677 / 633 ms, after 722 / 694 / 640, the bare parse
# 332 / 340 / 335. Peak RSS on UNIQUE 16.1 -> 21.8 MB (through cat 16.6 -> 21.8): over the
# filter's 20 MB target. A 32-bit key beside the identity would fit in 12-byte slots but
# would skip a same-uuid line of other bytes (a re-written line with its final usage) with
# odds of 2^-32 a line, dropping its usage increase silently. Dropped; its test of lines
# whose uuid is hard to find (nested `uuid` members, escaped, far from the end, across the
# 512-byte boundary) stays in tests/repeated_lines.rs, for any later look-ahead.
# (2) The output buffer (the brief's idea 2), NDJSON flushed at other sizes than 64 KiB (an
# environment variable in an experiment build). Callgrind --cache-sim=yes, ONCE, 8 / 16 / 32 /
# 64 KiB: D1 write misses 118.9k / 145.8k / 146.5k / 146.6k; LL write misses 21.0k / 21.1k / 21.1k /
# 21.1k: the output's write misses stop at L2 whatever the size, and only a buffer that fits
# L1 beside everything else (8 KiB) saves some (19%), for 8x the write calls (and as many
# wake-ups of a reader through a pipe). Most of the 147k are the output's own bytes, each
# 64-byte line written once per flush: push_scanned's memcpy of long strings 27.5k,
# write_object 22.8k, Obj::str 19.6k + 9.0k (the bare parse writes nothing: 2.8k).
# Task-clock on UNIQUE to /dev/null, 16 / 32 / 64 / 256 KiB, three rounds: 731 / 722 / 765 /
# 719, 709 / 735 / 724 / 712, 712 / 723 / 680 / 709 ms; through `| cat`: no order either.
# Kept at 64 KiB.
# (3) The clean-line tables at half their load: each generation, from its first rotation on,
# made room for twice the keys it holds (2^16 slots instead of 2^15, +1.1 MB; what is
# remembered unchanged), so that hashbrown's 7-bit tags match falsely half as often (each
# false match a load of a slot's key: 12% and 30% of EventSink::line's samples before). It
# did halve the key loads' share of EventSink::line's samples (40% -> 17-24%), but the
# control loads' share grew as much (32% -> 47-65%: a 64 KiB control array per generation
# misses more than 32 KiB): EventSink::line + Generations::insert, six perf records each,
# alternated, UNIQUE: before 5.59 / 5.75 / 6.99 / 6.12 / 4.74 / 5.20% (mean 5.73), after
# 6.03 / 4.88 / 6.67 / 7.58 / 5.72 / 6.27% (mean 6.19). Dropped. For `seen` it would also
# cost +4.7 MB (over 20 MB).
# Not tried: the NUL search after every parse (memchr over each line, 1.95M Ir on ONCE, half of
# the memchr row above) could ride on the line split as memchr2 (`\n` and NUL, ~0.06 Ir a
# byte more for the split): a field in the public `Line`, built in ~20 places.
# The clean-line memory sampled on distinct history (filt7 branch, 2026-12-01, issue 14;
# "before" is /tmp/aegon-stop24, "always on" and "after" one experiment build of this branch
# whose threshold an environment variable set; UNIQUE, ONCE, FILE as above; U60 = the first
# 34,335 lines of UNIQUE, 61.6 MB, for callgrind; load average 10-17 on 2 cores throughout).
# On distinct input the memory of clean lines (pipeline::CleanLines) only ever misses: every
# line paid XXH3 over its bytes, a probe of two tables and an insert, cache misses for the
# most part. Now, after DENSE_LINES (8,192) Claude Code lines in a row without a repeated
# uuid, only lines sampled by their bytes (a hash of the length and the first and last 64
# bytes, one in 16; lines up to 128 bytes always) are hashed, looked up and remembered; the
# first repeated uuid (a sampled line found, or any line the correlator finds repeated)
# brings every line back. Output cannot change (a line the memory does not know is parsed and
# dropped by the correlator, as before) and did not: stdout and stderr, --ndjson and --color
# never, on ONCE, FILE, UNIQUE, the corpus twice, every /work/shared/bugs input, every file of
# /work/shared/corpus-agents, `cat FILE | aegon`, and --summary / --summary --json on
# home-40, home-distinct-40b and home-unique: identical with the memory forced on for every
# line and adaptive at 8,192, and again at a threshold of 16 (sampling nearly throughout:
# every copy met while sampling); 112 comparisons each, none differing.
# Perf on UNIQUE (cpu-clock every 50 us, pinned, two runs each alternated): samples always on
# 18,135 / 18,159, after 16,694 / 16,477 (-8.6%; aegon's own code 14,973 / 14,895 -> 13,490 /
# 13,387, the kernel's unchanged): EventSink::line 1,048 / 998 -> 206 / 226, XXH3 390 / 396
# -> under 0.3%, the memory's Generations::insert 244 / 224 -> 60 / 50, the sample's hash
# (CleanLines::sampled) 62 / 80. Task-clock on UNIQUE (perf stat -r 3, taskset -c 0, three
# interleaved rounds): before 617 / 627 / 640 ms, always on 615 / 616 / 631, after 544 / 592 /
# 595 (threshold 4,096: 591 / 577 / 589). Callgrind, Ir (before / always on / after):
#   ONCE  110.19M / 110.55M / 110.56M   (6,867 lines: never past the threshold)
#   FILE  228.61M / 231.51M / 231.49M   (a copy every 6,867 lines: never past it)
#   U60   549.91M / 551.76M / 536.53M   (-2.8%; CleanLines::key 20.7M -> 6.1M)
# (before -> always on on FILE and ONCE is main's other changes since stop24, not this one.)
# The threshold: at 4,096 FILE re-parses most of its second copy's last 2,771 lines (read
# while sampling, so not remembered; found by the correlator) and costs 254.72M Ir, +10%; at
# 8,192 (~14 MB of transcripts; the memory holds seven times as many lines) a copy is always
# found whole when it comes within 8,192 lines of the last repeat, and otherwise from its first
# sampled line on (~16 lines in), the lines read while sampling then parsed once and remembered
# for the next copy. Peak RSS unchanged (the tables only fill less): UNIQUE 16.2 -> 15.5 MB.
# CPU time on UNIQUE (perf stat -r 3 -e task-clock, taskset -c 0, four interleaved rounds of
# the bare parse, before, after; load average 15): bare 331 / 325 / 319 / 317 ms, before 654 /
# 656 / 629 / 633, after 615 / 574 / 575 / 589 (after ÷ before 0.94, 0.88, 0.91, 0.93; bare ÷
# aegon by CPU time 0.50-0.51 before, 0.54-0.55 after). `bash bench/filter.sh` with
# BENCH_BEFORE (7 rounds, load 14.6, the after build of this commit's code but for comments)
# gave UNIQUE ÷ bare 0.60x after, 0.53x before (after ÷ before 1.14x), but also ONCE 1.68x
# before and `cat UNIQUE | aegon` 2.6x `aegon UNIQUE`: wall clock at that load is not read.
# Looked at and left: the NUL search after each parse (memchr over each line) is 9.9M Ir of
# U60's 536.5M (1.85%), the line split's memchr 9.7M; memchr2 (`\n`, NUL) in the split would
# cost ~0.07 Ir a byte more than memchr (an estimate), so the saving is ~1% of Ir, for a new field in the
# public `Line` (built in ~25 places) or a flag passed beside it: not done.
#
# The filter moved with the summary's parse (summ7 branch, 2026-12-01, issue 14; before =
# /tmp/aegon-stop24): usage objects read by a compact path (record.rs compact_usage_at) and
# strings of up to 15 plain bytes ended inline by the validator (validate.rs short_string_end).
# callgrind, `--ndjson` over the corpus once (corpus-once.jsonl, 12.3 MB): 110.19M -> 103.49M
# (-6.1%). Outputs identical. Not timed here (load 14-18).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

mb=${BENCH_MB:-100}
runs=${BENCH_RUNS:-7}
jq_mb=${BENCH_JQ_MB:-10}
corpus=${AEGON_CORPUS:-/work/shared/corpus}
[ -d "$corpus" ] || corpus=$root/fixtures/corpus
dir=${BENCH_DIR:-/tmp/aegon-bench}

need() { command -v "$1" >/dev/null || { echo "bench: needs $1 ($2)" >&2; exit 1; }; }
need /usr/bin/time "GNU time: apt-get install time"
pin=""; command -v taskset >/dev/null && pin="taskset -c 0"

cargo build --release -q -p aegon-bin
cargo build --release -q -p aegon-lib --example bareparse
aegon=$root/target/release/aegon
bare=$root/target/release/examples/bareparse

# build_input SIZE_MB PATH: the corpus concatenated (whole files, sorted) until SIZE_MB.
build_input() {
  if [ ! -f "$2" ] || [ "$(stat -c %s "$2")" -lt $(($1 * 1000000)) ]; then
    : > "$2"
    while [ "$(stat -c %s "$2")" -lt $(($1 * 1000000)) ]; do
      cat "$corpus"/*.jsonl >> "$2"
    done
  fi
}
mkdir -p "$dir"

once=$dir/corpus-once.jsonl  # the corpus once (~12 MB): every transcript, each once
cat "$corpus"/*.jsonl > "$once"
once_bytes=$(stat -c %s "$once")

# stages OUT BYTES: instructions per input byte by stage (inclusive counts of the functions
# that begin each stage; the table at the top of this file).
stages() {
  # Run from / : from the repository, callgrind_annotate shortens paths and splits the counts.
  local incl f; f=$(realpath "$1")
  incl=$(cd / && callgrind_annotate --inclusive=yes --threshold=100 "$f" 2>/dev/null | grep -E '\[/')
  get() { grep -F ":$1 [" <<< "$incl" | head -1 | awk '{gsub(",","",$1); print $1}'; }
  local push line key utf parse rec ev cor ren bytes=$2
  push=$(get 'aegon::pipeline::Pipeline<R>::push'); line=$(get 'aegon::pipeline::EventSink<R>::line')
  key=$(get 'aegon::pipeline::CleanLines::key'); utf=$(get 'aegon::source::utf8::validate')
  parse=$(get 'aegon::format::claude::record::parse_record')
  rec=$(get 'aegon::format::claude::decode::record_events'); ev=$(get 'aegon::pipeline::EventSink<R>::event')
  cor=$(get 'aegon::session::correlate::Correlator::apply')
  ren=$(get '<aegon::render::ndjson::NdjsonRenderer<W> as aegon::render::Renderer>::on_event')
  row() { awk -v a="${2:-0}" -v b="$bytes" -v n="$1" 'BEGIN{printf "   %-36s %6.2f\n", n, a/b}'; }
  row "line split (memchr, carry)" $(( ${push:-0} - ${line:-0} ))
  row "line hash (XXH3)" "${key:-0}"
  row "UTF-8 check (simdutf8)" "${utf:-0}"
  row "record parse (scan + serde message)" "${parse:-0}"
  row "decode to events" $(( ${rec:-0} - ${ev:-0} ))
  row "correlate (ids, dedup)" "${cor:-0}"
  row "render (NDJSON line)" "${ren:-0}"
}

if [ "${1:-}" = profile ]; then
  need valgrind "apt-get install valgrind"
  twice=$dir/corpus-twice.jsonl  # the corpus twice: the second copy's lines all repeat
  cat "$once" "$once" > "$twice"
  for run in "--ndjson once" "--color never once" "--color always once" "bare once" "--ndjson twice" "bare twice"; do
    read -r -a words <<< "$run"
    input=$once; [ "${words[-1]}" = twice ] && input=$twice
    bytes=$(stat -c %s "$input")
    mode=("${words[@]:0:${#words[@]}-1}")
    out=$dir/callgrind.$(echo "$run" | tr -dc a-z)
    if [ "${mode[0]}" = bare ]; then cmd=("$bare" "$input"); else cmd=("$aegon" "${mode[@]}" "$input"); fi
    valgrind --tool=callgrind --callgrind-out-file="$out" "${cmd[@]}" > /dev/null 2>&1
    total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",","",$1); print $1}')
    printf '\n== %s (%s bytes): %s Ir, %.2f Ir per input byte\n' "$run" "$bytes" "$total" "$(awk -v t="$total" -v b="$bytes" 'BEGIN{print t/b}')"
    if [ "${mode[0]}" = --ndjson ]; then stages "$out" "$bytes"; fi
    if [ "${mode[0]}" != bare ]; then
      # The output stage: the renderer's on_event, inclusive (the table "Output stage" above).
      renderer=NdjsonRenderer; [ "${mode[0]}" = --color ] && renderer=PlainRenderer
      (cd / && callgrind_annotate --inclusive=yes --threshold=100 "$(realpath "$out")" 2>/dev/null) |
        grep -F "render::Renderer>::on_event" | grep -F "$renderer" | head -1 |
        awk '{gsub(",","",$1); printf "   output stage (renderer on_event, inclusive): %.1fM Ir\n", $1/1e6}'
    fi
    callgrind_annotate "$out" 2>/dev/null | sed -n '/^Ir/,$p' | sed -n '3,30p' || true
  done
  exit 0
fi

# UNIQUE: distinct entries. FILE repeats the corpus, so most of its lines repeat an earlier one
# and are hashed, not parsed (pipeline.rs, CleanLines); in UNIQUE every copy's ids (line uuids,
# message, request and tool ids, session ids) are made its own, as in years of real history:
# every line is parsed and rendered, and the sets of ids the filter keeps to drop repeats fill
# to their limits (session/correlate.rs). BENCH_UNIQUE_MB (default 600; 0 skips) of it.
unique_mb=${BENCH_UNIQUE_MB:-600}
if [ "$unique_mb" != 0 ]; then
  unique=$dir/unique-${unique_mb}MB.jsonl
  if [ ! -f "$unique" ] || [ "$(stat -c %s "$unique")" -lt $((unique_mb * 1000000)) ]; then
    : > "$unique"; copy=0
    while [ "$(stat -c %s "$unique")" -lt $((unique_mb * 1000000)) ]; do
      copy=$((copy + 1))
      sed -e "s/\"uuid\":\"/\"uuid\":\"c$copy-/g; s/\"parentUuid\":\"/\"parentUuid\":\"c$copy-/g" \
        -e "s/\"id\":\"msg_/\"id\":\"msg_c$copy/g; s/\"requestId\":\"req_/\"requestId\":\"req_c$copy/g" \
        -e "s/\"tool_use_id\":\"toolu_/\"tool_use_id\":\"toolu_c$copy/g; s/\"id\":\"toolu_/\"id\":\"toolu_c$copy/g" \
        -e "s/\"sessionId\":\"/\"sessionId\":\"c$copy-/g" "$once" >> "$unique"
    done
  fi
  unique_bytes=$(stat -c %s "$unique")
fi
input=$dir/input-${mb}MB.jsonl
build_input "$mb" "$input"
bytes=$(stat -c %s "$input")
slice=$dir/slice-${jq_mb}MB.jsonl
build_input "$jq_mb" "$slice"
slice_bytes=$(stat -c %s "$slice")
cat "$input" "$slice" > /dev/null  # warm the page cache
timing=$(mktemp); trap 'rm -f "$timing"' EXIT

names=(); cmds=(); sizes=()
add() { names+=("$1"); cmds+=("$2"); sizes+=("${3:-$bytes}"); }
add "cat FILE"                         "cat $input"
add "cat FILE | cat"                   "cat $input | cat"
add "bare serde_json parse FILE"       "$pin $bare $input"
add "aegon --ndjson FILE"              "$pin $aegon --ndjson $input"
add "cat FILE | aegon --ndjson"        "cat $input | $pin $aegon --ndjson"
add "aegon --color never FILE (plain)" "$pin $aegon --color never $input"
add "aegon --color always FILE"        "$pin $aegon --color always $input"
# The corpus once: no line repeats an earlier one, so every line is parsed (FILE repeats the
# corpus, and its repeated lines are known by their bytes without a parse).
add "bare serde_json parse ONCE"       "$pin $bare $once" "$once_bytes"
add "aegon --ndjson ONCE"              "$pin $aegon --ndjson $once" "$once_bytes"
add "aegon --color never ONCE"         "$pin $aegon --color never $once" "$once_bytes"
if [ "$unique_mb" != 0 ]; then
  add "bare serde_json parse UNIQUE"    "$pin $bare $unique" "$unique_bytes"
  add "aegon --ndjson UNIQUE"           "$pin $aegon -q --ndjson $unique" "$unique_bytes"
  add "cat UNIQUE | aegon --ndjson"     "cat $unique | $pin $aegon -q --ndjson" "$unique_bytes"
  add "cat UNIQUE | cat"                "cat $unique | cat" "$unique_bytes"
fi
# BENCH_BEFORE=path/to/an/older/aegon adds its rows to the same rounds, for a before/after.
before=${BENCH_BEFORE:-}
if [ -n "$before" ]; then
  add "before: aegon --ndjson FILE"       "$pin $before --ndjson $input"
  add "before: cat FILE | aegon --ndjson" "cat $input | $pin $before --ndjson"
  add "before: aegon --color never FILE"  "$pin $before --color never $input"
  add "before: aegon --ndjson ONCE"       "$pin $before --ndjson $once" "$once_bytes"
  if [ "$unique_mb" != 0 ]; then
    add "before: aegon --ndjson UNIQUE"   "$pin $before -q --ndjson $unique" "$unique_bytes"
  fi
fi
has_jq=0
if command -v jq >/dev/null && [ "$jq_mb" != 0 ]; then
  has_jq=1; add "jq -c . SLICE (${jq_mb} MB, 1 run)" "jq -c . $slice" "$slice_bytes"
fi

declare -A best rss
for round in $(seq "$runs"); do
  for i in "${!names[@]}"; do
    name=${names[$i]}
    [[ $name == jq* ]] && [ "$round" -gt 1 ] && continue
    start=$EPOCHREALTIME
    /usr/bin/time -o "$timing" -f '%M' bash -c "${cmds[$i]}" > /dev/null 2>&1
    t=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.4f", b-a}')
    m=$(tail -1 "$timing")
    if [ -z "${best[$name]:-}" ] || awk -v a="$t" -v b="${best[$name]}" 'BEGIN{exit !(a<b)}'; then best[$name]=$t; fi
    [ "$m" -gt "${rss[$name]:-0}" ] && rss[$name]=$m
  done
done

mbps() { awk -v b="$2" -v t="${best[$1]}" 'BEGIN{printf "%.0f", b/t/1e6}'; }
ratio() { awk -v a="${best[$2]}" -v b="${best[$1]}" 'BEGIN{printf "%.2f", a/b}'; }  # speed of $1 / speed of $2

printf 'aegon filter benchmark — %s, %d cores (load %s), input %.1f MB (%s lines), best of %d interleaved rounds\n\n' \
  "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)" "$(echo "$bytes / 1000000" | bc -l)" \
  "$(wc -l < "$input")" "$runs"
printf '%-38s %9s %8s %12s\n' command seconds MB/s "peak RSS MB"
for i in "${!names[@]}"; do
  name=${names[$i]}
  printf '%-38s %9s %8s %12s\n' "$name" "${best[$name]}" "$(mbps "$name" "${sizes[$i]}")" \
    "$(awk -v m="${rss[$name]}" 'BEGIN{printf "%.1f", m/1024}')"
done
echo
printf '%-58s %6s  %s\n' "ratio (speed ÷ speed, same run)" "" target
printf '%-58s %5s×  %s\n' "aegon --ndjson FILE ÷ bare serde_json parse" "$(ratio "aegon --ndjson FILE" "bare serde_json parse FILE")" ">= 0.8"
printf '%-58s %5s×\n' "aegon --ndjson ONCE ÷ bare (the corpus once, no repeats)" "$(ratio "aegon --ndjson ONCE" "bare serde_json parse ONCE")"
printf '%-58s %5s×  %s\n' "cat FILE | aegon --ndjson ÷ aegon --ndjson FILE" "$(ratio "cat FILE | aegon --ndjson" "aegon --ndjson FILE")" \
  ">= 0.9; ceiling $(ratio "cat FILE | cat" "aegon --ndjson FILE") (cat FILE | cat ÷ aegon FILE)"
printf '%-58s %5s×  %s\n' "cat FILE | aegon --ndjson ÷ cat FILE | cat" "$(ratio "cat FILE | aegon --ndjson" "cat FILE | cat")" ""
printf '%-58s %5s×  %s\n' "cat FILE | cat ÷ cat FILE (a pipe, any reader)" "$(ratio "cat FILE | cat" "cat FILE")" ""
if [ "$unique_mb" != 0 ]; then
  printf '%-58s %5s×  %s\n' "aegon --ndjson UNIQUE ÷ bare (every line parsed)" "$(ratio "aegon --ndjson UNIQUE" "bare serde_json parse UNIQUE")" ">= 0.8"
  printf '%-58s %5s×  %s\n' "cat UNIQUE | aegon --ndjson ÷ aegon --ndjson UNIQUE" "$(ratio "cat UNIQUE | aegon --ndjson" "aegon --ndjson UNIQUE")" \
    ">= 0.9; ceiling $(ratio "cat UNIQUE | cat" "aegon --ndjson UNIQUE") (cat UNIQUE | cat ÷ aegon UNIQUE)"
  printf '%-58s %5s×\n' "cat UNIQUE | aegon --ndjson ÷ cat UNIQUE | cat" "$(ratio "cat UNIQUE | aegon --ndjson" "cat UNIQUE | cat")"
fi
printf '%-58s %5s×  %s\n' "aegon plain ÷ aegon --ndjson" "$(ratio "aegon --color never FILE (plain)" "aegon --ndjson FILE")" ">= 1"
printf '%-58s %5s×  %s\n' "aegon plain ÷ aegon --ndjson, ONCE (every line rendered)" "$(ratio "aegon --color never ONCE" "aegon --ndjson ONCE")" ">= 1"
printf '%-58s %5s×  %s\n' "aegon --color always ÷ aegon --ndjson" "$(ratio "aegon --color always FILE" "aegon --ndjson FILE")" ">= 1"
if [ -n "$before" ]; then
  printf '%-58s %5s×\n' "aegon --ndjson FILE ÷ before" "$(ratio "aegon --ndjson FILE" "before: aegon --ndjson FILE")"
  printf '%-58s %5s×\n' "cat FILE | aegon --ndjson ÷ before" "$(ratio "cat FILE | aegon --ndjson" "before: cat FILE | aegon --ndjson")"
  printf '%-58s %5s×\n' "aegon plain ÷ before" "$(ratio "aegon --color never FILE (plain)" "before: aegon --color never FILE")"
  printf '%-58s %5s×\n' "before: ndjson ÷ bare" "$(ratio "before: aegon --ndjson FILE" "bare serde_json parse FILE")"
  printf '%-58s %5s×\n' "aegon --ndjson ONCE ÷ before" "$(ratio "aegon --ndjson ONCE" "before: aegon --ndjson ONCE")"
  printf '%-58s %5s×\n' "before: ndjson ONCE ÷ bare ONCE" "$(ratio "before: aegon --ndjson ONCE" "bare serde_json parse ONCE")"
  if [ "$unique_mb" != 0 ]; then
    printf '%-58s %5s×\n' "aegon --ndjson UNIQUE ÷ before" "$(ratio "aegon --ndjson UNIQUE" "before: aegon --ndjson UNIQUE")"
    printf '%-58s %5s×\n' "before: ndjson UNIQUE ÷ bare UNIQUE" "$(ratio "before: aegon --ndjson UNIQUE" "bare serde_json parse UNIQUE")"
  fi
fi
if [ "$has_jq" = 1 ]; then
  jqn="jq -c . SLICE (${jq_mb} MB, 1 run)"
  printf '%-58s %5s×\n' "aegon --ndjson ÷ jq -c ." \
    "$(awk -v a="$(mbps "aegon --ndjson FILE" "$bytes")" -v b="$(mbps "$jqn" "$slice_bytes")" 'BEGIN{printf "%.1f", a/b}')"
fi
printf 'peak RSS of the filter: %s MB from a file, %s MB from a pipe (target < 20)\n' \
  "$(awk -v m="${rss["aegon --ndjson FILE"]}" 'BEGIN{printf "%.1f", m/1024}')" \
  "$(awk -v m="${rss["cat FILE | aegon --ndjson"]}" 'BEGIN{printf "%.1f", m/1024}')"

# Memory on distinct entries (UNIQUE, built before the timing rounds): peak RSS of the runs
# timed above, and of --color never once.
if [ "$unique_mb" != 0 ]; then
  /usr/bin/time -o "$timing" -f '%M' "$aegon" -q --color never "$unique" > /dev/null 2>&1 || true
  printf 'peak RSS of aegon --ndjson on %.0f MB of distinct entries: %s MB (target < 20)\n' \
    "$(echo "$unique_bytes / 1000000" | bc -l)" "$(awk -v m="${rss["aegon --ndjson UNIQUE"]}" 'BEGIN{printf "%.1f", m/1024}')"
  printf 'peak RSS of aegon --color never on the same: %.1f MB (target < 20)\n' \
    "$(awk -v m="$(tail -1 "$timing")" 'BEGIN{print m/1024}')"
  printf 'peak RSS of cat | aegon --ndjson on the same: %s MB (target < 20)\n' \
    "$(awk -v m="${rss["cat UNIQUE | aegon --ndjson"]}" 'BEGIN{printf "%.1f", m/1024}')"
fi
