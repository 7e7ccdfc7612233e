#!/usr/bin/env python3
"""Checks that lib.rs and the README name exactly the crates the library depends on without
its default features.

    python3 scripts/check_lib_deps.py

Compares `cargo tree -p aegon-lib -e normal --no-default-features --depth 1` with the crates
named in backquotes in the paragraph of aegon-lib/src/lib.rs and of README.md that says "CI
keeps this list true" (tester10 finding 5: "only serde, serde_json and memchr" had been false
for a while). Exits 1 and says which crates are missing or extra otherwise.
"""

import re
import subprocess
import sys

MARK = "CI keeps this list true):"


def listed(path):
    """The crate names in backquotes after MARK, up to the end of its paragraph (or "They
    bring in", where lib.rs goes on to name the dependencies' own)."""
    lines = [re.sub(r"^\s*//!\s?", "", line).strip() for line in open(path, encoding="utf-8")]
    for i, line in enumerate(lines):
        if MARK in " ".join(lines[i:i + 2]):
            break
    else:
        sys.exit(f"{path}: no paragraph saying {MARK!r}")
    paragraph = []
    for line in lines[i:]:
        if not line:
            break
        paragraph.append(line)
    text = " ".join(paragraph)
    part = text[text.index(MARK) + len(MARK):].split("They bring in")[0]
    return set(re.findall(r"`([A-Za-z0-9_-]+)`", part))


def main():
    out = subprocess.run(
        ["cargo", "tree", "-q", "--locked", "-p", "aegon-lib", "-e", "normal",
         "--no-default-features", "--depth", "1", "--prefix", "none"],
        stdout=subprocess.PIPE, check=True, text=True,
    ).stdout.splitlines()
    deps = {line.split()[0] for line in out[1:] if line.strip()}
    bad = False
    for path in ["aegon-lib/src/lib.rs", "README.md"]:
        names = listed(path)
        if names != deps:
            bad = True
            print(f"{path}: not named: {sorted(deps - names)}; named but not a dependency: {sorted(names - deps)}")
    if bad:
        sys.exit(1)
    print(f"the library without default features depends on {', '.join(sorted(deps))}, as documented")


if __name__ == "__main__":
    main()
