#!/usr/bin/env bash
# Instructions per byte of the JSON check of passed-through values, serde_json beside aegon's
# validator (aegon-lib/src/format/claude/validate.rs), in the same run: every tool call's `input`
# and every tool result's `content` of the corpus, checked once by
# `serde_json::from_str::<&RawValue>` and once by `is_json_value`, in a release build under
# callgrind (instruction counts are repeatable on a shared machine; wall time is not).
#
#   bash bench/validate.sh        # AEGON_CORPUS=/work/shared/corpus (default), else fixtures/corpus
#
# The figures are the inclusive counts of the two functions of the ignored test
# `format::claude::validate::tests::tool_values_once_each_way` that do the checking, divided by
# the bytes checked (the test collects the values first; that part is in neither figure).
#
# 2026-11-29 (issue 14), the shared corpus: 2,405 values, 2,445,488 bytes (code and command
# output: an escape every ~29 bytes). serde_json 6.29 Ir/byte; is_json_value 2.15 Ir/byte
# (0.34x). Of the latter ~0.9 is the masks (~56 Ir per 64-byte block: SSE2 through `wide`,
# 16-byte compares), ~0.6 the escapes (~17 Ir each: one table look-up at each backslash), the
# rest the loop, the short strings and the structure. A first version that took the escaped
# bytes from scan.rs's backslash-run masks and kept three masks per block was 2.54.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v valgrind >/dev/null || { echo "bench: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
dir=${BENCH_DIR:-/tmp/aegon-bench}
mkdir -p "$dir"

test_bin=$(cargo test --release -q -p aegon-lib --lib --no-run --message-format=json 2>/dev/null |
  grep -F '"compiler-artifact"' | grep -F '"test":true' | grep -o '"executable":"[^"]*"' | cut -d'"' -f4 | tail -1)
[ -x "$test_bin" ] || { echo "bench: no test binary built" >&2; exit 1; }

out=$dir/callgrind.validate
name=format::claude::validate::tests::tool_values_once_each_way
summary=$(valgrind --tool=callgrind --callgrind-out-file="$out" "$test_bin" --ignored --exact "$name" \
  --test-threads=1 --nocapture 2>/dev/null | grep -o "tool values:.*")
bytes=$(sed -E 's/.* ([0-9]+) bytes.*/\1/' <<< "$summary")
# Run from / : from the repository, callgrind_annotate shortens paths and splits the counts.
incl=$(cd / && callgrind_annotate --inclusive=yes --threshold=100 "$(realpath "$out")" 2>/dev/null)
get() { grep -F "validate::tests::$1" <<< "$incl" | head -1 | awk '{gsub(",","",$1); print $1}'; }
serde=$(get all_by_serde); masks=$(get all_by_masks)
echo "$summary ($(date -u +%Y-%m-%dT%H:%MZ), callgrind, release build)"
awk -v s="$serde" -v m="$masks" -v b="$bytes" 'BEGIN{
  printf "  serde_json::from_str::<&RawValue>  %12d Ir  %5.2f Ir/byte\n", s, s/b
  printf "  validate::is_json_value           %12d Ir  %5.2f Ir/byte\n", m, m/b
  printf "  is_json_value / serde: %.2fx the instructions\n", m/s }'
