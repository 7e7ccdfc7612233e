#!/usr/bin/env python3
"""Benchmark of the `aegon watch` dashboard, run as a person runs it: in a tmux pane (a real
terminal), the screen read with `capture-pane`.

    python3 bench/dashboard.py                  # history, latency, sustained rate, idle CPU
    BENCH_HISTORY_MB=1024 BENCH_FILES=10000 BENCH_SECONDS=60 python3 bench/dashboard.py

It builds a Claude config folder in a temporary directory: BENCH_HISTORY_MB of real corpus
transcripts (fixtures/corpus, copied, all written "now" so --since loads every byte) spread over
BENCH_FILES files, plus one live session file. Then it measures:

  first frame   aegon started → its header on screen (the first frame does not wait for history)
  history       aegon started → "reading history…" gone from the header
  memory        peak RSS after the history and after the sustained run (VmHWM)
  latency       a prompt appended to the live file → its marker on screen (200 probes;
                capture-pane costs a few ms, which the figures include)
  sustained     BENCH_RATE lines/s for BENCH_SECONDS: the header's event count must reach
                history + appended (nothing lost), and the lag after the last line is printed
  usage view    `u` pressed → the Usage view filled ("By model" on screen): the first read
                indexes the whole history into a usage index in the temporary directory
                (AEGON_DATA_DIR), with peak RSS after it (BENCH_USAGE=0 skips this, for a
                binary without the view)
  idle          aegon's CPU time over 10 s with nothing written

BENCH_AEGON=PATH runs that binary instead of building this checkout's (to compare builds).
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
aegon = os.environ.get("BENCH_AEGON")
if not aegon:
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "aegon-bin"], cwd=root, check=True)
    aegon = os.path.join(root, "target", "release", "aegon")
history_mb = float(os.environ.get("BENCH_HISTORY_MB", "256"))
files_wanted = int(os.environ.get("BENCH_FILES", "1000"))
seconds = float(os.environ.get("BENCH_SECONDS", "10"))
rate = int(os.environ.get("BENCH_RATE", "5000"))
corpus_dir = os.path.join(root, "fixtures", "corpus")
corpus = sorted(os.path.join(corpus_dir, f) for f in os.listdir(corpus_dir) if f.endswith(".jsonl"))
socket = f"aegon-bench-{os.getpid()}"


def tmux(*args):
    return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True).stdout


def screen():
    return tmux("capture-pane", "-p")


def header():
    return screen().split("\n", 1)[0]


def prompt(text):
    return json.dumps({"type": "user", "sessionId": "live-bench", "uuid": text,
                       "timestamp": "2026-11-25T00:00:00Z",
                       "message": {"role": "user", "content": text}}) + "\n"


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def events_on_screen():
    m = re.search(r"([\d,]+) events", header())
    return int(m.group(1).replace(",", "")) if m else -1


def aegon_pid():
    shell = int(tmux("display-message", "-p", "#{pane_pid}").strip())
    out = subprocess.run(["pgrep", "-P", str(shell)], capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else shell


with tempfile.TemporaryDirectory() as tmp:
    projects = os.path.join(tmp, "projects")
    # History: copies of the corpus, one folder per copy, until the size is reached.
    total, files, copy = 0, 0, 0
    target = history_mb * 1e6
    while total < target or files < files_wanted:
        for src in corpus:
            if total >= target and files >= files_wanted:
                break
            d = os.path.join(projects, f"-bench-{files // 100:04d}")
            os.makedirs(d, exist_ok=True)
            dst = os.path.join(d, f"c{copy}-{os.path.basename(src)}")
            if total < target:
                shutil.copyfile(src, dst)
                total += os.path.getsize(dst)
            else:
                with open(src, "rb") as f:  # small files, for the file count only
                    first = f.readline()
                with open(dst, "wb") as f:
                    f.write(first)
                total += len(first)
            files += 1
        copy += 1
    live_dir = os.path.join(projects, "-live")
    os.makedirs(live_dir)
    live = os.path.join(live_dir, "live-bench.jsonl")
    open(live, "w").close()
    # Count the events of the history as aegon will (NDJSON lines).
    counted = subprocess.run([aegon, "--ndjson", "-q", projects], capture_output=True)
    history_events = counted.stdout.count(b"\n")
    print(f"history: {total / 1e6:,.0f} MB in {files + 1:,} files, {history_events:,} events")

    started = time.monotonic()
    tmux("new-session", "-d", "-x", "160", "-y", "45", "-e", f"CLAUDE_CONFIG_DIR={tmp}",
         "-e", f"AEGON_DATA_DIR={os.path.join(tmp, 'data')}", f"{aegon}; sleep 600")
    while " aegon " not in header():
        time.sleep(0.002)
    first_frame = time.monotonic() - started
    pid = aegon_pid()
    while "reading history" in header() or " aegon " not in header():
        time.sleep(0.01)
    history_read = time.monotonic() - started
    while events_on_screen() < history_events:
        time.sleep(0.01)
    print(f"first frame: {first_frame * 1000:.0f} ms; history read in {history_read:.2f} s; "
          f"peak RSS {peak_rss_mb(pid):.1f} MB")

    latencies = []
    with open(live, "a") as f:
        for i in range(200):
            marker = f"probe-{i:04d}-x"
            f.write(prompt(marker))
            f.flush()
            t0 = time.monotonic()
            while marker not in screen():
                if time.monotonic() - t0 > 5:
                    raise SystemExit(f"{marker} not on screen after 5 s")
            latencies.append(time.monotonic() - t0)
            time.sleep(0.01)
    latencies.sort()
    ms = [x * 1000 for x in latencies]
    print(f"latency (append → on screen, {len(ms)} probes): median {statistics.median(ms):.1f} ms, "
          f"p95 {ms[int(len(ms) * 0.95)]:.1f} ms, max {ms[-1]:.1f} ms")

    expected = history_events + len(latencies)
    n = int(rate * seconds)
    batch = max(1, rate // 100)
    with open(live, "a") as f:
        t0 = time.monotonic()
        for i in range(0, n, batch):
            f.write("".join(prompt(f"load-{j}") for j in range(i, min(n, i + batch))))
            f.flush()
            delay = t0 + (i + batch) / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        wrote = time.monotonic() - t0
    expected += n
    t_end = time.monotonic()
    while events_on_screen() < expected and time.monotonic() - t_end < 30:
        time.sleep(0.01)
    lag = time.monotonic() - t_end
    shown = events_on_screen()
    print(f"sustained: {n:,} lines in {wrote:.1f} s ({n / wrote:,.0f}/s); events on screen "
          f"{shown:,} of {expected:,} ({'none lost' if shown == expected else 'LOST'}); "
          f"caught up {lag * 1000:.0f} ms after the last line; peak RSS {peak_rss_mb(pid):.1f} MB")

    if os.environ.get("BENCH_USAGE", "1") == "1":
        t0 = time.monotonic()
        tmux("send-keys", "u")
        while "By model" not in screen() and "No usage index" not in screen():
            if time.monotonic() - t0 > 600:
                raise SystemExit("the Usage view never filled")
            time.sleep(0.05)
        filled = time.monotonic() - t0
        print(f"usage view: filled {filled:.2f} s after u (the first index of the history); "
              f"peak RSS {peak_rss_mb(pid):.1f} MB")
        tmux("send-keys", "Escape")
        time.sleep(1)

    c0 = cpu_seconds(pid)
    time.sleep(10)
    idle = cpu_seconds(pid) - c0
    print(f"idle: {idle:.2f} s CPU in 10 s ({idle / 10 * 100:.2f}%)")
    tmux("kill-server")
