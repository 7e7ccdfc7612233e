#!/bin/sh
# Regenerates Claude Code's list of known key paths (what `aegon audit` does not report as a
# new field) from the real transcripts in fixtures/corpus/ and any more files or folders
# given. The list only grows: paths already in it are kept, with its header and .* lines.
# Usage: scripts/known_fields.sh [PATH...]   (from anywhere in the repository)
set -eu
cd "$(dirname "$0")/.."
list=aegon-lib/src/format/claude/known_fields.txt
cargo build --quiet -p aegon-bin
./target/debug/aegon audit --write-known claude fixtures/corpus "$@" > "$list.new"
mv "$list.new" "$list"
git diff --stat -- "$list" 2>/dev/null || true
