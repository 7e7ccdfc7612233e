#!/usr/bin/env bash
# Size and speed of the HTML report and the Markdown of the largest fixture: bytes written and
# the best wall time of a few runs (release build; the input is in the page cache after the
# first run).
#
#   bash bench/html.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${BENCH_RUNS:-5}
cargo build --release -q -p aegon-bin
aegon=$root/target/release/aegon
fixture=$(ls -S fixtures/corpus/*.jsonl | head -1)
out=$(mktemp); trap 'rm -f "$out"' EXIT
# run NAME ARGS...: best wall time of $runs runs, and the output's size.
run() {
  local name=$1 best="" start t
  shift
  for _ in $(seq "$runs"); do
    start=$EPOCHREALTIME
    "$aegon" "$@" "$fixture" > "$out"
    t=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}')
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; fi
  done
  printf '%-28s %8s s %10.2f MB\n' "$name" "$best" "$(awk -v b="$(stat -c %s "$out")" 'BEGIN{print b/1e6}')"
}
printf 'aegon reports of the largest fixture — %s, %s (%.1f MB), best of %d\n\n' \
  "$(date -u +%Y-%m-%dT%H:%MZ)" "$(basename "$fixture")" \
  "$(awk -v b="$(stat -c %s "$fixture")" 'BEGIN{print b/1e6}')" "$runs"
printf '%-28s %10s %13s\n' command wall output
run "aegon --html" --html
run "aegon --markdown" --markdown
run "aegon --markdown --detail tools" --markdown --detail tools
