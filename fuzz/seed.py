#!/usr/bin/env python3
"""Seed corpora for the fuzz targets from the real transcripts in fixtures/corpus.

    python3 fuzz/seed.py        # writes fuzz/corpus/<target>/ (git-ignored)

Each fixture is cut into pieces of up to 24 lines and 48 KiB (whole lines, so the fuzzer
starts from real records: every record type, content block and version in the corpus); the
line splitter also gets each piece with a line limit byte in front (its input format), and the
saved regressions of each target are added.
"""
import os

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
corpus = os.path.join(root, "fixtures", "corpus")
targets = ["record", "sessions", "pipeline", "dashboard", "split_lines", "audit"]
MAX_LINES, MAX_BYTES = 24, 48 << 10

pieces = []
for name in sorted(os.listdir(corpus)):
    if not name.endswith(".jsonl"):
        continue
    with open(os.path.join(corpus, name), "rb") as f:
        lines = f.read().splitlines(keepends=True)
    piece = b""
    count = 0
    for line in lines:
        if len(line) > MAX_BYTES:
            line = line[:MAX_BYTES]  # a cut line is a seed too: truncated JSON
        if count == MAX_LINES or len(piece) + len(line) > MAX_BYTES:
            pieces.append(piece)
            piece, count = b"", 0
        piece += line
        count += 1
    if piece:
        pieces.append(piece)

for target in targets:
    out = os.path.join(root, "fuzz", "corpus", target)
    os.makedirs(out, exist_ok=True)
    for i, piece in enumerate(pieces):
        data = bytes([64]) + piece if target == "split_lines" else piece
        with open(os.path.join(out, f"seed-{i:05d}"), "wb") as f:
            f.write(data)
    saved = os.path.join(root, "fuzz", "regressions", target)
    if os.path.isdir(saved):
        for name in os.listdir(saved):
            with open(os.path.join(saved, name), "rb") as src, \
                    open(os.path.join(out, f"regression-{name}"), "wb") as dst:
                dst.write(src.read())
    print(f"{target}: {len(pieces)} seeds in {out}")
