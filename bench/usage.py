#!/usr/bin/env python3
"""Benchmark of the usage index, `aegon usage` and `aegon statusline`, beside ccusage on the same
data in the same run (not a timed test; prints figures).

    python3 bench/usage.py                 # BENCH_GB=1 (about 1 GB of transcripts)

The history is the corpus (fixtures/corpus, or AEGON_CORPUS) copied under a temporary
CLAUDE_CONFIG_DIR/projects/<project>/ as Claude Code lays it out (like bench/summary.sh), each
copy with its own message ids, request ids and uuids (a suffix per copy), so every copy counts
as new usage and the index holds as many rows as 1 GB of real history would.

Measured:
- the first index of the whole history (`aegon usage daily`, cold), and its size per GB;
- report time over it: `aegon usage daily` from the index (warm), `--no-index`, and
  `ccusage daily --offline`;
- status-line latency p50/p95: warm (history indexed, the session's file unchanged), and cold
  (each run after a new append of BENCH_APPEND_MB to the session's transcript), beside
  `ccusage statusline --offline` on the same input.

ccusage: `npm i -g ccusage@20.0.24` (reads CLAUDE_CONFIG_DIR); without it only aegon runs.
"""
import atexit
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("AEGON_CORPUS", ROOT / "fixtures" / "corpus"))
GB = float(os.environ.get("BENCH_GB", "1"))
RUNS = int(os.environ.get("BENCH_RUNS", "30"))
APPEND_MB = float(os.environ.get("BENCH_APPEND_MB", "4"))
KEEP = os.environ.get("BENCH_KEEP")  # a folder to keep (and reuse) the data in

IDS = re.compile(rb'("(?:id|requestId|uuid|parentUuid|tool_use_id|sessionId)":")')


def build_tree(base: Path) -> tuple[Path, int, Path]:
    projects = base / "projects"
    marker = base / "bytes"
    if marker.exists():
        return projects, int(marker.read_text()), Path((base / "session").read_text())
    files = sorted(CORPUS.glob("*.jsonl"))
    blobs = [(f.name, f.read_bytes()) for f in files]
    corpus_bytes = sum(len(b) for _, b in blobs)
    copies = max(1, int(GB * 1e9 / corpus_bytes))
    total = 0
    for c in range(copies):
        d = projects / f"-bench-project-{c % 50}"
        d.mkdir(parents=True, exist_ok=True)
        tag = f"c{c}-".encode()
        for name, blob in blobs:
            out = IDS.sub(lambda m: m.group(1) + tag, blob)
            (d / f"{c}-{name}").write_bytes(out)
            total += len(out)
    session = projects / "-bench-project-0" / "0-AlexandreVassard__will-it-rain__claude.jsonl"
    marker.write_text(str(total))
    (base / "session").write_text(str(session))
    return projects, total, session


def timed(cmd, env, stdin=None):
    start = time.perf_counter()
    p = subprocess.run(cmd, env=env, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    return elapsed, p


def pct(values, q):
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(q / 100 * (len(values) - 1)))))
    return values[k]


def main():
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "aegon-bin"], cwd=ROOT, check=True)
    aegon = str(ROOT / "target" / "release" / "aegon")
    base = Path(KEEP) if KEEP else Path(tempfile.mkdtemp(prefix="aegon-bench-usage-"))
    base.mkdir(parents=True, exist_ok=True)
    if not KEEP:
        # Removed however the run ends, an exception included.
        atexit.register(shutil.rmtree, base, ignore_errors=True)
    print(f"building ~{GB} GB of history in {base} …", file=sys.stderr)
    projects, total, session = build_tree(base)
    data = base / "aegon-data"
    shutil.rmtree(data, ignore_errors=True)
    env = dict(os.environ, CLAUDE_CONFIG_DIR=str(base), AEGON_DATA_DIR=str(data), NO_COLOR="1")
    ccusage = shutil.which("ccusage")
    files = sum(1 for _ in projects.rglob("*.jsonl"))
    print(f"aegon usage benchmark — {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}, "
          f"{os.cpu_count()} cores, {files} files, {total / 1e9:.2f} GB")
    print()

    t, p = timed([aegon, "usage", "daily", "--json"], env)
    assert p.returncode == 0, p.stderr
    aegon_totals = json.loads(p.stdout)["totals"]
    index = data / "usage.sqlite3"
    size = sum(f.stat().st_size for f in data.iterdir() if f.name.startswith("usage.sqlite3"))
    print(f"first index of the whole history        {t:8.2f} s   ({total / 1e6 / t:.0f} MB/s)")
    print(f"index size                               {size / 1e6:8.1f} MB  "
          f"({size / 1e6 / (total / 1e9):.1f} MB per GB of transcripts)")
    print()
    print("report over the whole history (best of 3)")
    rows = [("aegon usage daily (index, warm)", [aegon, "usage", "daily"]),
            ("aegon usage daily --json (index, warm)", [aegon, "usage", "daily", "--json"]),
            ("aegon usage blocks (index, warm)", [aegon, "usage", "blocks"]),
            ("aegon usage daily --no-index", [aegon, "usage", "daily", "--no-index"])]
    if ccusage:
        rows.append(("ccusage daily --offline", [ccusage, "daily", "--offline"]))
        rows.append(("ccusage daily --json --offline", [ccusage, "daily", "--json", "--offline"]))
        rows.append(("ccusage blocks --offline", [ccusage, "blocks", "--offline"]))
    for name, cmd in rows:
        best = min(timed(cmd, env)[0] for _ in range(3))
        print(f"  {name:<40} {best * 1000:8.0f} ms")
    if ccusage:
        p = subprocess.run([ccusage, "daily", "--json", "--offline"], env=env, capture_output=True)
        if p.returncode == 0:
            c = json.loads(p.stdout)["totals"]
            print()
            print("totals   aegon: input {inputTokens} output {outputTokens} cache write "
                  "{cacheCreationTokens} cache read {cacheReadTokens}".format(**aegon_totals))
            print("totals ccusage: input {inputTokens} output {outputTokens} cache write "
                  "{cacheCreationTokens} cache read {cacheReadTokens}".format(**c))

    status = json.dumps({
        "session_id": "c0-33c772d9-b322-4f61-a37d-7d5634a80b45",
        "transcript_path": str(session),
        "cwd": "/bench",
        "model": {"id": "claude-opus-4-6", "display_name": "Opus 4.6"},
        "cost": {"total_cost_usd": 1.23},
        "version": "2.1.239",
        "workspace": {"current_dir": "/bench", "project_dir": "/bench"},
        "context_window": {"total_input_tokens": 420000, "total_output_tokens": 1200,
                           "context_window_size": 1000000, "used_percentage": 42,
                           "remaining_percentage": 58,
                           "current_usage": {"input_tokens": 10, "output_tokens": 1200,
                                             "cache_creation_input_tokens": 9990,
                                             "cache_read_input_tokens": 410000}},
        "rate_limits": {"five_hour": {"used_percentage": 23.5, "resets_at": int(time.time()) + 3600},
                        "seven_day": {"used_percentage": 41}},
    }).encode()
    print()
    print(f"status line latency ({RUNS} runs)                 p50        p95")
    # Warm: everything indexed, a scan of the tree at most once a minute.
    subprocess.run([aegon, "statusline"], env=env, input=status, capture_output=True)
    warm = [timed([aegon, "statusline"], env, status)[0] for _ in range(RUNS)]
    print(f"  aegon statusline, warm                  {pct(warm, 50) * 1000:6.1f} ms  {pct(warm, 95) * 1000:6.1f} ms")
    # Cold: a new append of a few MB to the session's transcript before each run.
    blob = (CORPUS / "AlexandreVassard__will-it-rain__claude.jsonl").read_bytes()
    cold = []
    for r in range(max(5, RUNS // 3)):
        chunk = b""
        n = 0
        while len(chunk) < APPEND_MB * 1e6:
            chunk += IDS.sub(lambda m: m.group(1) + f"a{r}-{n}-".encode(), blob)
            n += 1
        with open(session, "ab") as f:
            f.write(chunk)
        cold.append(timed([aegon, "statusline"], env, status)[0])
    print(f"  aegon statusline, after {APPEND_MB:.0f} MB appended  {pct(cold, 50) * 1000:6.1f} ms  {pct(cold, 95) * 1000:6.1f} ms")
    # The periodic scan of the whole tree (once a minute): forced by an old last scan.
    scans = []
    for _ in range(5):
        subprocess.run(["python3", "-c", "import sqlite3,sys;c=sqlite3.connect(sys.argv[1]);"
                        "c.execute(\"UPDATE meta SET value='0' WHERE key='last_scan_ms'\");c.commit()",
                        str(index)], check=True)
        scans.append(timed([aegon, "statusline"], env, status)[0])
    print(f"  aegon statusline, with the minute's scan {pct(scans, 50) * 1000:6.1f} ms  {pct(scans, 95) * 1000:6.1f} ms")
    if ccusage:
        runs = [timed([ccusage, "statusline", "--offline"], env, status) for _ in range(max(5, RUNS // 3))]
        if any(p.returncode != 0 for _, p in runs):
            print("  ccusage statusline failed:", runs[0][1].stderr.decode().strip()[:200])
        cc = [t for t, _ in runs]
        print(f"  ccusage statusline --offline            {pct(cc, 50) * 1000:6.1f} ms  {pct(cc, 95) * 1000:6.1f} ms")
    p = subprocess.run([aegon, "statusline"], env=env, input=status, capture_output=True)
    print()
    print("aegon statusline says:", p.stdout.decode().strip())
    if ccusage:
        p = subprocess.run([ccusage, "statusline", "--offline"], env=env, input=status, capture_output=True)
        print("ccusage statusline says:", p.stdout.decode().strip())


if __name__ == "__main__":
    main()
