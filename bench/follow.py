#!/usr/bin/env python3
"""Benchmark of `aegon -f`: latency from a line appended to its event on aegon's stdout, and
a sustained append rate with every event counted.

    python3 bench/follow.py                 # 200 latency probes, then 5,000 lines/s for 10 s
    python3 bench/follow.py --poll          # the same, polling
    python3 bench/follow.py watch [--poll]  # aegon watch on the file's folder
    BENCH_SECONDS=60 python3 bench/follow.py

Lines are real corpus lines (a user prompt with a marker in its text); aegon runs the release
build with --ndjson into a pipe this script reads. Prints median / p95 / max latency, lines in
vs events out, and aegon's CPU time while idle.
"""
import json
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
subprocess.run(["cargo", "build", "--release", "-q", "-p", "aegon-bin"], cwd=root, check=True)
aegon = os.path.join(root, "target", "release", "aegon")
seconds = float(os.environ.get("BENCH_SECONDS", "10"))
rate = int(os.environ.get("BENCH_RATE", "5000"))
extra = sys.argv[1:]


def prompt(text):
    return json.dumps({"type": "user", "sessionId": "bench", "uuid": text,
                       "timestamp": "2026-11-25T00:00:00Z",
                       "message": {"role": "user", "content": text}}) + "\n"


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "session.jsonl")
    open(path, "w").close()
    if extra[:1] == ["watch"]:
        # aegon watch on the folder: the file is created after watching began.
        command = [aegon, "watch", "--ndjson", "-q", *extra[1:], tmp]
    else:
        command = [aegon, "-f", "--ndjson", "-q", *extra, path]
    proc = subprocess.Popen(command,
                            stdout=subprocess.PIPE, bufsize=0)
    out = proc.stdout
    buf = b""

    def read_events(timeout):
        """Events that arrive within `timeout` seconds: (arrival time, text)."""
        global buf
        got = []
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([out], [], [], left)[0]:
                return got
            chunk = os.read(out.fileno(), 1 << 20)
            if not chunk:
                return got
            now = time.monotonic()
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                event = json.loads(line)
                if event.get("kind") == "user_prompt":
                    got.append((now, event["text"]))
            if got and timeout < 1:
                return got

    time.sleep(0.5)
    f = open(path, "a")
    # Latency: one line at a time, spaced out.
    latencies = []
    for i in range(200):
        f.write(prompt(f"probe {i}"))
        f.flush()
        sent = time.monotonic()
        got = read_events(2.0 if i == 0 else 0.5)
        if got:
            latencies.append((got[0][0] - sent) * 1000)
        time.sleep(0.02)
    # Idle CPU: nothing appended for 5 s.
    before = cpu_seconds(proc.pid)
    time.sleep(5)
    idle = (cpu_seconds(proc.pid) - before) / 5 * 100
    # Sustained rate.
    sent_n = 0
    received = 0
    start = time.monotonic()
    lag = []
    while time.monotonic() - start < seconds:
        tick = time.monotonic()
        due = int((tick - start) * rate) - sent_n
        if due > 0:
            f.write("".join(prompt(f"load {sent_n + k}") for k in range(due)))
            f.flush()
            sent_n += due
        got = read_events(0.01)
        received += len(got)
        if got:
            last = int(got[-1][1].split()[1])
            lag.append(sent_n - 1 - last)
    received += len(read_events(2.0))
    proc.kill()
    proc.wait()

latencies.sort()
print(f"aegon {' '.join(extra) if extra[:1] == ['watch'] else '-f ' + ' '.join(extra)} benchmark — {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}")
print(f"latency (append -> event on stdout), {len(latencies)} probes: "
      f"median {statistics.median(latencies):.1f} ms, "
      f"p95 {latencies[int(len(latencies) * 0.95) - 1]:.1f} ms, max {latencies[-1]:.1f} ms")
print(f"idle CPU: {idle:.2f}%")
half = len(lag) // 2
print(f"sustained {rate} lines/s for {seconds:.0f} s: {sent_n} lines in, {received} events out, "
      f"lag (lines behind) first half {statistics.mean(lag[:half] or [0]):.0f}, "
      f"second half {statistics.mean(lag[half:] or [0]):.0f}")
