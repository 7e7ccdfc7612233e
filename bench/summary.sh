#!/usr/bin/env bash
# Benchmark of `aegon --summary` over a tree of many transcripts, beside ccusage on the same
# data in the same run: wall time, throughput, peak RSS, and the token totals each reports.
#
#   bash bench/summary.sh              # BENCH_COPIES=40 (the corpus, ~12 MB, copied 40 times)
#
# The tree is laid out as Claude Code does (HOME/.claude/projects/<project>/<session>.jsonl,
# subagents under <session>/subagents/), in a temporary HOME so ccusage reads only it.
# Copies repeat message ids, so both tools' deduplicated totals equal one copy's.
# ccusage comes from npm (`npm install -g ccusage@20.0.24`: 20.0.26's native linux-x64 package
# was never published); without it only aegon is measured.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

copies=${BENCH_COPIES:-40}
corpus=${AEGON_CORPUS:-$root/fixtures/corpus}
runs=${BENCH_RUNS:-3}

cargo build --release -q -p aegon-bin
aegon=$root/target/release/aegon

home=$root/bench/data/home-$copies
projects=$home/.claude/projects
if [ ! -d "$projects" ]; then
  for c in $(seq "$copies"); do
    dir=$projects/-bench-project-$c
    mkdir -p "$dir"
    for f in "$corpus"/*.jsonl; do
      cp "$f" "$dir/$(basename "$f")"
    done
  done
fi
bytes=$(du -sb "$projects" | cut -f1)
files=$(find "$projects" -name '*.jsonl' | wc -l)

timing=$(mktemp); trap 'rm -f "$timing"' EXIT
# run NAME CMD: best wall time of $runs runs, and peak RSS.
run() {
  local best="" rss=0 start t m
  for _ in $(seq "$runs"); do
    start=$EPOCHREALTIME
    /usr/bin/time -o "$timing" -f '%M' bash -c "$2" > /dev/null 2>&1 || { echo "  $1: failed" >&2; return 0; }
    t=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}')
    m=$(tail -1 "$timing")
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; fi
    [ "$m" -gt "$rss" ] && rss=$m
  done
  printf '%-46s %8s s %9.0f MB/s %9.1f MB\n' "$1" "$best" "$(awk -v b="$bytes" -v t="$best" 'BEGIN{print b/t/1e6}')" "$(awk -v m="$rss" 'BEGIN{print m/1024}')"
}

printf 'aegon --summary benchmark — %s, %d cores, %d files, %.1f MB, best of %d\n\n' \
  "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$files" "$(awk -v b="$bytes" 'BEGIN{print b/1e6}')" "$runs"
printf '%-46s %10s %14s %12s\n' command wall throughput "peak RSS"
run "aegon --summary --json DIR" "$aegon --summary --json $projects"
run "aegon --summary --json DIR (one core)" "taskset -c 0 $aegon --summary --json $projects"
have_ccusage=0
if command -v ccusage >/dev/null && HOME=$home ccusage --version >/dev/null 2>&1; then
  have_ccusage=1
  runs=1 run "ccusage session --json --offline (1 run)" "HOME=$home ccusage session --json --offline"
fi

echo
echo "Token totals (deduplicated; copies share message ids):"
"$aegon" --summary --json "$projects" | jq -r '.totals | "  aegon    input \(.tokens.input)  output \(.tokens.output)  cache read \(.tokens.cache_read)  cache write \(.tokens.cache_write_5m + .tokens.cache_write_1h)  cost \(.cost_usd // "unknown") (priced \(.priced_cost_usd))"'
if [ "$have_ccusage" = 1 ]; then
  HOME=$home ccusage session --json --offline 2>/dev/null | jq -r '.totals | "  ccusage  input \(.inputTokens)  output \(.outputTokens)  cache read \(.cacheReadTokens)  cache write \(.cacheCreationTokens)  cost \(.totalCost)"'
fi
