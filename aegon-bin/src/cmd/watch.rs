//! `aegon watch` (and `aegon run`, the same): every session as it is written. Its options are
//! parsed with the main ones ([`crate::args`]); this module holds its help.

/// The command's help (`aegon watch --help`); the options are the main ones that apply to
/// watching, as `aegon --help` gives them.
pub const HELP: &str = "\
aegon watch — every session as it is written (aegon run is the same)

USAGE:
    aegon watch [OPTIONS] [FOLDER]...

    With no FOLDER, Claude Code's folders (projects/ and sessions/ under
    ~/.claude and ~/.config/claude, or $XDG_CONFIG_HOME/claude, both read; or
    under each folder of CLAUDE_CONFIG_DIR, comma-separated) and the other
    agents' (~/.codex/sessions or $CODEX_HOME/sessions, ~/.gemini/tmp,
    OpenCode's under ~/.local/share or $XDG_DATA_HOME, ~/.copilot/session-state,
    ~/.qwen/projects). A default folder that does not exist yet is read once it
    appears (its parent is watched). Transcripts written within --since are read
    from their start; then each line as it is written, and each transcript
    created later (a new session, the one /clear starts, a subagent) from its
    start. File-system notifications wake aegon; a rescan every 30 s catches what
    they miss.

    On a terminal: the live dashboard (? in it lists the keys). With --ndjson or
    --plain, or when the output is not a terminal, the events stream as lines.

OPTIONS:
        --since AGE       Read the history of transcripts written within AGE (30m,
                          2h, 1d, all; 0 for none) [default: 1h].
        --poll            Check the files every 500 ms instead of using file-system
                          notifications (network file systems).
        --ndjson          One JSON object per event (schema in the README, field v).
        --plain           One line per event.
        --detached        Open the dashboard in a new window (tmux, screen,
                          $TERMINAL, or the desktop's terminal) and return.
        --no-index        The dashboard's Usage view (u) reads no usage index.
    -k, --kind KINDS      Only these event kinds (comma-separated; repeatable).
    -x, --skip KINDS      Leave these event kinds out.
        --pricing FILE    Prices that extend or override the built-in table.
        --color WHEN      auto, always or never [default: auto].
        --otlp-endpoint URL, --otlp-export
                          Also send OpenTelemetry traces and metrics to a collector
                          (see aegon --help).
    -q, --quiet           Do not report unreadable files or fallbacks on stderr.
    -h, --help            Print this help.

EXAMPLES:
        aegon watch
        aegon watch --since 0 ~/.claude/projects/-home-me-proj
        aegon watch --ndjson --since 10m | jq -c 'select(.kind==\"tool_result\" and .is_error)'

    Every other option of aegon --help applies too.
";
