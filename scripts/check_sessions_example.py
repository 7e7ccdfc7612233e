#!/usr/bin/env python3
"""Checks that the library's documented way to per-session figures gives the binary's.

    python3 scripts/check_sessions_example.py AEGON SESSIONS_EXAMPLE INPUT...

Runs `SESSIONS_EXAMPLE INPUT...` (examples/sessions.rs, the pattern lib.rs "Several files into
sessions" documents) and `AEGON --summary --json INPUT...` on the same inputs, and checks they
list the same sessions in the same order with the same API calls, cost (known, a lower bound,
or unknown, to the 1/100 of a cent) and title. Exits 1 and says where they differ otherwise.
(tester10 finding 2: the documented pattern had dropped lines that name no session and old
`summary` titles, and listed a warm-up file's empty session the binary leaves out.)
"""

import json
import re
import subprocess
import sys

LINE = re.compile(r"^(?P<id>.+?): (?P<calls>\d+) API calls, (?P<cost>unknown|at least \$\d+\.\d{4}|\$\d+\.\d{4})(?: \((?P<title>.*)\))?$")


def cost_text(session):
    """The cost as the example writes it, from the summary's `cost_usd` and `priced_cost_usd`."""
    if session["cost_usd"] is not None:
        return f"${session['cost_usd']:.4f}"
    if session["priced_cost_usd"] > 0:
        return f"at least ${session['priced_cost_usd']:.4f}"
    return "unknown"


def main():
    aegon, example, *inputs = sys.argv[1:]
    summary = json.loads(subprocess.run([aegon, "--summary", "--json", *inputs], stdout=subprocess.PIPE, check=False).stdout)
    # The example fails (exit 1) on an unreadable input, as the binary does; both are compared.
    lines = subprocess.run([example, *inputs], stdout=subprocess.PIPE, check=False).stdout.decode().splitlines()
    want = [
        (s["session_id"], s["api_calls"], cost_text(s), s["title"])
        for s in summary["sessions"]
    ]
    got = []
    for line in lines:
        m = LINE.match(line)
        if not m:
            sys.exit(f"{' '.join(inputs)}: the example wrote a line the check cannot read: {line!r}")
        got.append((m["id"], int(m["calls"]), m["cost"], m["title"]))
    if got != want:
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                sys.exit(f"{' '.join(inputs)}: session {i + 1}: example {g}, aegon --summary {w}")
        sys.exit(f"{' '.join(inputs)}: example {len(got)} sessions, aegon --summary {len(want)}")
    print(f"{' '.join(inputs)}: {len(got)} sessions, {sum(s[1] for s in got)} API calls, as aegon --summary")


if __name__ == "__main__":
    main()
