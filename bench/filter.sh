#!/usr/bin/env bash
# Benchmark of the streaming filter: MB/s and peak RSS of `aegon --ndjson` reading a ~100 MB
# input built from real transcripts, from a file and from a pipe, beside cat and jq in the same
# run. Speed and memory targets live here, not in tests.
#
#   bash bench/filter.sh               # BENCH_MB=100 BENCH_RUNS=5 BENCH_JQ=1
#
# aegon is pinned to one core (taskset) when possible; `cat | cat` and `cat | aegon` use two
# processes, as a real pipe does.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

mb=${BENCH_MB:-100}
runs=${BENCH_RUNS:-5}
corpus=${AEGON_CORPUS:-$root/../shared/corpus}
[ -d "$corpus" ] || corpus=$root/fixtures/corpus

need() { command -v "$1" >/dev/null || { echo "bench: needs $1 ($2)" >&2; exit 1; }; }
need /usr/bin/time "GNU time: apt-get install time"
have_jq=1; command -v jq >/dev/null || have_jq=0
[ "${BENCH_JQ:-1}" = 1 ] || have_jq=0
pin=""; command -v taskset >/dev/null && pin="taskset -c 0"

cargo build --release -q -p aegon-bin
aegon=$root/target/release/aegon

# The input: the corpus concatenated until it reaches the size asked for.
mkdir -p bench/data
input=bench/data/input-${mb}MB.jsonl
if [ ! -f "$input" ] || [ "$(stat -c %s "$input")" -lt $((mb * 1000000)) ]; then
  : > "$input"
  while [ "$(stat -c %s "$input")" -lt $((mb * 1000000)) ]; do
    cat "$corpus"/*.jsonl >> "$input"
  done
fi
bytes=$(stat -c %s "$input")
cat "$input" > /dev/null  # warm the page cache
timing=$(mktemp); trap 'rm -f "$timing"' EXIT

# best_of CMD: runs a shell command $runs times; prints "best_seconds max_rss_kb" (wall time
# from bash's clock, which includes starting the processes; RSS from GNU time).
best_of() {
  local best="" rss=0 line t m
  for _ in $(seq "$runs"); do
    local start=$EPOCHREALTIME
    /usr/bin/time -o "$timing" -f '%M' bash -c "$1" > /dev/null 2>&1
    t=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.4f", b-a}')
    m=$(tail -1 "$timing")
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; fi
    [ "$m" -gt "$rss" ] && rss=$m
  done
  echo "$best $rss"
}

printf 'aegon filter benchmark — %s, %d cores, input %.1f MB (%s lines), best of %d\n\n' \
  "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$(echo "$bytes / 1000000" | bc -l)" \
  "$(wc -l < "$input")" "$runs"
printf '%-44s %9s %10s %12s\n' command seconds MB/s "peak RSS MB"

declare -A speed rss
row() {
  local name=$1 cmd=$2 r t m
  r=$(best_of "$cmd"); t=${r% *}; m=${r#* }
  speed[$name]=$(awk -v b="$bytes" -v t="$t" 'BEGIN{printf "%.0f", b/t/1e6}')
  rss[$name]=$(awk -v m="$m" 'BEGIN{printf "%.1f", m/1024}')
  printf '%-44s %9s %10s %12s\n' "$name" "$t" "${speed[$name]}" "${rss[$name]}"
}

row "cat FILE"                          "cat $input"
row "cat FILE | cat"                    "cat $input | cat"
row "aegon --ndjson FILE"               "$pin $aegon --ndjson $input"
row "cat FILE | aegon --ndjson"         "cat $input | $pin $aegon --ndjson"
row "aegon --color never FILE (plain)"  "$pin $aegon --color never $input"
if [ "$have_jq" = 1 ]; then
  runs_saved=$runs; runs=1
  row "jq -c . FILE (1 run)"            "jq -c . $input"
  runs=$runs_saved
fi

file=${speed["aegon --ndjson FILE"]}; pipe=${speed["cat FILE | aegon --ndjson"]}; base=${speed["cat FILE | cat"]}
echo
printf 'aegon --ndjson from a file: %s MB/s (target >= 1000)\n' "$file"
printf 'aegon --ndjson from a pipe: %s MB/s = %s%% of cat | cat (target >= 90%%)\n' \
  "$pipe" "$(awk -v a="$pipe" -v b="$base" 'BEGIN{printf "%.0f", 100*a/b}')"
printf 'peak RSS: %s MB from a file, %s MB from a pipe (target < 20)\n' \
  "${rss["aegon --ndjson FILE"]}" "${rss["cat FILE | aegon --ndjson"]}"
