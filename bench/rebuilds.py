#!/usr/bin/env python3
"""Share of each session's cost lost to prompt-cache rebuilds, and the cause breakdown, from
`aegon --summary --json` (its `cost_explained`: the rules in aegon-lib/src/session/cost_explained.rs).

    python3 bench/rebuilds.py [DIR_OR_FILE...]      # default: fixtures/corpus
    AEGON=target/release/aegon python3 bench/rebuilds.py /work/shared/corpus

Per session with a known cost above zero: rebuild cost (beyond cache hits) / session cost, with
and without first requests (a chain's first request has no earlier cache to read: it is a cost
of starting, not a loss); the distribution over sessions (median, p90, max; nearest-rank
percentiles); then each cause's rebuilds and dollars summed over the input, and the share of
the whole input's cost they are. Sessions with an unpriced model are counted apart (their
rebuild cost is unknown) and left out of the shares.
"""
import json
import math
import os
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
aegon = os.environ.get("AEGON") or os.path.join(root, "target", "release", "aegon")
inputs = sys.argv[1:] or [os.path.join(root, "fixtures", "corpus")]
if not os.path.exists(aegon):
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "aegon-bin"], cwd=root, check=True)

run = subprocess.run([aegon, "--summary", "--json", "-q", *inputs], capture_output=True, check=True)
summary = json.loads(run.stdout)


def nearest_rank(values, p):
    """The p-th percentile (0-100) by nearest rank: the smallest value with p% at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def pct(x):
    return f"{100 * x:.1f} %"


shares, shares_after_first = [], []
unpriced = 0
by_cause = {}
total_cost = 0.0
for s in summary["sessions"]:
    e = s.get("cost_explained") or {}
    cost = s["cost_usd"]
    if cost is None or e.get("rebuild_cost_usd") is None:
        unpriced += 1
        continue
    for cause, t in e["by_cause"].items():
        c = by_cause.setdefault(cause, [0, 0, 0.0])
        c[0] += t["rebuilds"]
        c[1] += t["tokens"]
        c[2] += t["cost_usd"] or 0.0
    total_cost += cost
    if cost <= 0:
        continue
    lost = e["rebuild_cost_usd"]
    first = e["by_cause"]["first_request"]["cost_usd"] or 0.0
    shares.append((lost / cost, s["session_id"], cost, lost))
    shares_after_first.append((lost - first) / cost)

n = len(shares)
print(f"{len(summary['sessions'])} sessions in {', '.join(inputs)}: {n} with a known cost above $0, "
      f"{unpriced} with an unpriced model (left out); ${total_cost:.2f} in all")
if not n:
    sys.exit(0)
values = [x[0] for x in shares]
for name, v in [("all rebuilds", values), ("rebuilds other than first requests", shares_after_first)]:
    zero = sum(1 for x in v if x == 0)
    print(f"share of a session's cost lost to {name}: median {pct(nearest_rank(v, 50))}, "
          f"p90 {pct(nearest_rank(v, 90))}, max {pct(max(v))}; 0 in {zero} of {n}")
top = max(shares)
print(f"largest share: session {top[1]} lost ${top[3]:.2f} of ${top[2]:.2f}")
big = [x for x in shares if x[2] >= 10]
if big:
    print(f"sessions above $10: {len(big)}, their shares: "
          + ", ".join(pct(x[0]) for x in sorted(big, reverse=True)))
print("\ncause                  rebuilds      tokens    dollars  of all cost")
lost_all = 0.0
for cause, (count, tokens, dollars) in sorted(by_cause.items(), key=lambda kv: -kv[1][2]):
    lost_all += dollars
    print(f"{cause:<22} {count:>8} {tokens:>11,} {dollars:>10.2f}  {pct(dollars / total_cost) if total_cost else '-':>8}")
print(f"{'all':<22} {sum(c[0] for c in by_cause.values()):>8} "
      f"{sum(c[1] for c in by_cause.values()):>11,} {lost_all:>10.2f}  {pct(lost_all / total_cost) if total_cost else '-':>8}")
