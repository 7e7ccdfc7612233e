//! `aegon replay FILE` and `aegon demo`: a recorded session played with its own timing (the
//! player is [`crate::replay`]). Their options are parsed with the main ones
//! ([`crate::args`]); this module holds their help.

/// `aegon replay --help`.
pub const REPLAY_HELP: &str = "\
aegon replay — play a recorded transcript with its own timing

USAGE:
    aegon replay [OPTIONS] FILE

    Each line of FILE comes after the time its timestamp says, divided by --speed;
    a pause longer than 3 s (someone went for lunch) is cut to 3 s. On a terminal:
    the live dashboard, as aegon watch shows a session being written (? in it lists
    the keys). With --ndjson or --plain, or when the output is not a terminal, the
    events stream as lines.

OPTIONS:
        --speed N         Play N times as fast as recorded (2 or 2x) [default: 1].
        --ndjson          One JSON object per event (schema in the README, field v).
        --plain           One line per event.
        --detached        Open the dashboard in a new window (tmux, screen,
                          $TERMINAL, or the desktop's terminal) and return.
    -k, --kind KINDS      Only these event kinds (comma-separated; repeatable).
    -x, --skip KINDS      Leave these event kinds out.
        --pricing FILE    Prices that extend or override the built-in table.
        --color WHEN      auto, always or never [default: auto].
    -q, --quiet           Do not report problem lines one by one.
    -h, --help            Print this help.

EXAMPLES:
        aegon replay ~/.claude/projects/-home-me-proj/SESSION.jsonl --speed 4
        aegon replay s.jsonl --speed 100 --ndjson | jq -c 'select(.kind==\"api_error\")'

    -f, --since and --summary do not apply; every other option of aegon --help does.
";

/// `aegon demo --help`.
pub const DEMO_HELP: &str = "\
aegon demo — a real session shipped in aegon, replayed

USAGE:
    aegon demo [OPTIONS]

    Plays a 22-minute Claude Code session (from aegon's test corpus) as aegon
    replay would, 8 times as fast unless --speed says otherwise: on a terminal in
    the live dashboard (? in it lists the keys, q quits), else as lines.

OPTIONS:
        --speed N         Play N times as fast as recorded (2 or 2x) [default: 8].
        --ndjson          One JSON object per event (schema in the README, field v).
        --plain           One line per event.
        --detached        Open the dashboard in a new window (tmux, screen,
                          $TERMINAL, or the desktop's terminal) and return.
    -k, --kind KINDS      Only these event kinds (comma-separated; repeatable).
    -x, --skip KINDS      Leave these event kinds out.
        --color WHEN      auto, always or never [default: auto].
    -h, --help            Print this help.

EXAMPLES:
        aegon demo
        aegon demo --speed 1000000 --ndjson | wc -l
";
