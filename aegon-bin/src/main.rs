//! `aegon`: observability for Claude Code sessions, as a Unix filter.
//!
//! Thin wiring: arguments → [`args::Config`] → inputs and a renderer → the library's pipeline.

mod args;
mod closed;
mod cmd;
mod completions;
mod dashboard;
mod detach;
mod inputs;
mod manpage;
mod otlp_http;
mod output;
mod parallel;
mod replay;
mod report;

// Tests' temporary folders (one file for the whole workspace's tests).
#[cfg(test)]
#[path = "../../aegon-lib/tests/support/temp_dir.rs"]
mod temp_dir;

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use aegon::pipeline::{Options, Pipeline, ReadError};
use aegon::render::ndjson::NdjsonRenderer;
use aegon::render::otlp::{LineSink, OtlpRenderer};
use aegon::render::plain::{PlainOptions, PlainRenderer};
use aegon::render::summary::{SummaryFormat, SummaryRenderer};
use aegon::render::{Filtered, Renderer, Tee};
use aegon::session::pricing::Pricing;

use args::{ColorChoice, Command, Config, Format, InputArg};
use report::{warn, Reporting};

const HELP: &str = "\
aegon — observability for Claude Code sessions (and other coding agents')

Reads Claude Code transcripts (the JSONL files under ~/.claude/projects/) and prints
one line per event: prompts, thinking, tool calls and results with their timing,
token usage counted once per API response, compactions, API errors. Codex CLI,
Gemini CLI, OpenCode, Copilot CLI and Qwen Code session files are read the same way,
told by their content.

USAGE:
    aegon [OPTIONS] [FILE]...
    aegon -f [OPTIONS] FILE...
    aegon watch [OPTIONS] [FOLDER]...      (aegon run is the same)
    aegon replay [OPTIONS] FILE
    aegon demo [OPTIONS]
    aegon html [OPTIONS] PATH... -o OUT/  (a report per session; aegon html --help)
    aegon usage [daily|weekly|monthly|sessions|projects|blocks] [OPTIONS] [PATH]...
    aegon statusline [OPTIONS]            (Claude Code's statusLine command)
    aegon audit [OPTIONS] [PATH]...       (what transcripts hold that aegon does not know)
    aegon completions bash|zsh|fish      (a completion script)
    aegon man                             (this help as a man page)
    aegon help [COMMAND]                  (this help, or COMMAND --help's)

    With no FILE, or where FILE is -, reads standard input. When nothing is piped in
    (standard input is not a pipe, a file or a socket: a terminal, or /dev/null as
    cron, CI and systemd give) and no FILE is named, aegon opens the dashboard if its
    output is a terminal, and otherwise says so and exits with 2 rather than wait.
    A directory stands for every *.jsonl file below it, subagent transcripts
    included, and every *.json file a transcript format recognises (Gemini CLI
    chats, OpenCode files). A session file SESSION.jsonl brings the subagent
    transcripts below SESSION/subagents/ (Claude Code 2.1's layout), and a Gemini
    CLI chat file chats/session-*.json its subagents' chats in chats/<sessionId>/;
    a file met twice is read once. A command's name is a command only as the first argument:
    a file named watch, help or html is read as ./watch, ./help, ./html.

DASHBOARD:
    On a terminal, aegon watch (or aegon run, or aegon alone with nothing piped in)
    opens a live dashboard: the event feed, newest first, beside the selected
    session (title, LIVE/IDLE, model, permission mode, PR links, errors and
    retries, context gauge, tokens and cost, the flow, running and finished steps)
    and the list of sessions. Keys: ↑↓/jk move, Enter opens an event (full tool
    input and output), Tab switches between feed and sessions, / filters, space
    pauses, u shows usage over time (today, week, month, the 5-hour block, cost
    per hour and per day, by model and project, from the usage index), ? helps,
    q or Esc quits, Ctrl-Z suspends (fg resumes). With --ndjson or --plain, or
    when the output is not a terminal, the same events stream as lines instead.
        aegon demo                  a real session shipped in aegon, replayed
        aegon replay s.jsonl --speed 4
        aegon watch --detached      in a new tmux/screen/terminal window

USAGE OVER TIME:
    Reports come from a durable index of every API response (SQLite, in
    $AEGON_DATA_DIR or ~/.local/share/aegon), updated with what was appended since
    the last run, so reports outlive Claude Code's 30-day cleanup. Reports by local
    day, week, month, session, project, and 5-hour block (estimates; a real reset
    wins), as tables or --json with ccusage's field names; the options (since,
    until, tz, week-start, by, breakdown, project, token-limit, no-index) are
    in aegon usage --help. Tables fit COLUMNS (else the terminal's width; piped
    output without COLUMNS is written whole): narrower, they leave out the cache
    and total-token columns first, as ccusage's compact layout does.
        aegon usage                       today and every day before, by day
        aegon usage weekly --since 4w --by model
        aegon usage blocks --token-limit max
        aegon usage daily --json | jq '.totals.totalCost'
    For Claude Code's status line (model, session cost, context, today's cost,
    the active block, official 5h/7d limits), aegon statusline; in
    ~/.claude/settings.json: \"statusLine\": {\"type\": \"command\", \"command\": \"aegon statusline\"}.
    With --summary and no file named (nothing piped in), aegon summarises Claude
    Code's folders.

EXAMPLES:
    Follow the session you are working in (like tail -F: survives truncation,
    rotation and re-creation, waits for a file that does not exist yet):
        aegon -f ~/.claude/projects/-home-me-proj/SESSION.jsonl
        tail -f ~/.claude/projects/-home-me-proj/SESSION.jsonl | aegon

    Every session as it is written, all projects (Claude Code's folders, or
    CLAUDE_CONFIG_DIR's), with the last hour of history:
        aegon watch
        aegon watch --ndjson --since 10m | jq -c 'select(.kind==\"tool_result\" and .is_error)'

    Read transcripts, subagents included, in order:
        aegon ~/.claude/projects/-home-me-proj/*.jsonl

    Tokens per model, as JSON (usage events sum to the deduplicated totals):
        aegon --ndjson s.jsonl | jq -s 'map(select(.kind==\"usage\"))
            | group_by(.model) | map({model: .[0].model, output: (map(.output) | add)})'

    Failing tool calls:
        aegon --ndjson s.jsonl | jq -c 'select(.kind==\"tool_result\" and .is_error)
            | {tool, preview}'

    Only tool calls and results:
        aegon -k tool_call,tool_result s.jsonl

    OpenTelemetry traces, to a file an OpenTelemetry Collector reads, or live to one:
        aegon --otlp ~/.claude/projects/-home-me-proj > traces.jsonl
        aegon watch --otlp-endpoint http://localhost:4318
        OTEL_EXPORTER_OTLP_ENDPOINT=https://api.honeycomb.io \\
        OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-team=KEY aegon watch --otlp-export

    A session to read or share: one HTML file (no network, nothing loaded from
    elsewhere), Markdown for an issue, or a report per session with an index:
        aegon --html SESSION.jsonl -o session.html
        aegon --markdown --detail tools SESSION.jsonl | pbcopy
        aegon html ~/.claude/projects/-home-me-proj -o reports/

    Tokens, cost, tools and timing of every session of a project (subagents included):
        aegon --summary ~/.claude/projects/-home-me-proj
        aegon --summary --json ~/.claude/projects | jq '.totals'

OPTIONS:
        --ndjson          One JSON object per event (schema in the README, field v).
        --plain           One line per event (the default).
    -s, --summary         After the input ends, a summary per session: tokens by kind,
                          cost, API calls, tool calls and errors, top tools with p50/p95.
        --json            With --summary: one JSON object (schema in the README).
    -j, --threads N       With --summary over files: read on N threads [default: one per
                          core]. The answer is the same with any N: an entry written twice
                          (resumed or copied sessions) counts once, where it first occurred.
        --pricing FILE    Prices that extend or override the built-in table (Anthropic's,
                          OpenAI's, Google's and Z.ai's lists read 2026-11-29), as JSON
                          ($ per million tokens):
                          {\"MODEL\": {\"input\": 3, \"output\": 15, \"cache_write_5m\": 3.75,
                          \"cache_write_1h\": 6, \"cache_read\": 0.3, \"speed\": {\"fast\": 6},
                          \"long_context\": {\"above\": 200000, \"input\": 6, ...},
                          \"web_search\": 0.01},
                          \"modifiers\": {\"service_tier\": {\"batch\": 0.5},
                          \"inference_geo\": {\"us\": 1.1}, \"regional_endpoint\": 1.1}}.
                          Each response is priced with its own speed, tier, geo and
                          size, plus its web searches ($0.01 each on Claude models,
                          outside every multiplier). An unknown model, speed, tier or
                          geo, or searches with no fee known, has an unknown cost,
                          never $0.
        --color WHEN      auto, always or never [default: auto]. auto colours a
                          terminal unless NO_COLOR is set or TERM is dumb (the
                          dashboard then keeps only bold and reverse).
    -k, --kind KINDS      Output only these event kinds (comma-separated; repeatable);
                          in the dashboard, the feed's kinds (default: all but
                          progress, file_snapshot, last_prompt, attachment, usage).
    -x, --skip KINDS      Leave these event kinds out (e.g. -x progress,file_snapshot).
    -f, --follow          Keep reading the files as they grow, like tail -F (from
                          their start; reports truncation, rotation, removal). A
                          session file brings its subagents' files, those created
                          later too. For a folder, every transcript below it, and
                          those created in it later (a new session, the one /clear
                          starts), from their start.
        --from-end        With -f: only lines appended from now on.
        --poll            With -f or watch: check files on a timer instead of using
                          file-system notifications (network file systems).
        --since AGE       With watch: read the history of transcripts written within
                          AGE (30m, 2h, 1d, all; 0 for none) [default: 1h]; the
                          others show only what is written from now on.
        --no-index        With watch: the Usage view (u) reads no usage index.
        --speed N         With replay and demo: play N times as fast as recorded
                          (pauses cut to 3 s) [default: 1; demo: 8].
        --detached        Open the dashboard in a new window (tmux, screen,
                          $TERMINAL, or the desktop's terminal) and return.
        --otlp            OpenTelemetry instead of events, as OTLP/JSON lines (the
                          collector's otlpjsonfile format): one trace per session,
                          spans for API responses, tool calls and subagents with
                          GenAI attributes (gen_ai.usage.*), and Claude Code's own
                          metrics (claude_code.token.usage, .cost.usage,
                          .session.count, .lines_of_code.count) at the transcript's
                          times, so its dashboards work on history too. Other
                          agents: their own service.name (codex_cli_rs, gemini-cli,
                          opencode, qwen-code; aegon for Copilot CLI) and aegon.*
                          metrics of the same names.
        --otlp-endpoint URL
                          Also send them to a collector or backend over OTLP/HTTP
                          (http or https; URL/v1/traces and URL/v1/metrics), in the
                          background, retrying with backoff. Nothing is sent unless
                          this or --otlp-export is given.
        --otlp-export     Send to where the OTEL_EXPORTER_OTLP_* variables say
                          (ENDPOINT, HEADERS, PROTOCOL, COMPRESSION, TIMEOUT,
                          CERTIFICATE; OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES).
                          Flags win over them; headers are never printed.
        --otlp-protocol P http/protobuf (default) or http/json.
        --otlp-compression C
                          gzip or none (default).
        --otlp-ca FILE    Also trust the certificates of this PEM file (a private CA).
        --otlp-content    Include prompt and tool text (never sent otherwise).
        --html            One self-contained HTML report of the sessions read, when the
                          input ends: header with tokens, cost and tools, charts, and
                          the transcript with tool calls and subagents folded.
        --markdown        The same transcript as GitHub-flavoured Markdown.
        --detail LEVEL    With --markdown: full (default), tools (prompts, answers and
                          one line per tool call) or prompts (prompts and answers).
    -o, --output FILE     With --html or --markdown: write FILE instead of stdout.
        --format NAME     Read every input as this transcript format instead of telling
                          it from the content: claude, codex, gemini-json, gemini-jsonl,
                          gemini-logs, qwen, opencode, copilot (an agent's name, such as
                          gemini-cli, names its main format). An input whose first
                          JSON line is another agent's is not read: reported with its
                          line and byte offset, exit 2.
        --agent NAME      Only this agent's sessions (repeatable): claude-code, codex,
                          gemini-cli, opencode, copilot-cli, qwen-code.
        --max-line SIZE   Report and skip lines longer than SIZE bytes, without
                          holding them in memory (K, M, G suffixes) [default: 16M].
    -q, --quiet           Do not report problem lines one by one (the summary stays).
    -h, --help            Print this help.
    -V, --version         Print the version.

EVENT KINDS:
{EVENT_KINDS}

BAD INPUT:
    A malformed, truncated, over-long, non-UTF-8 or binary line is reported on
    stderr as FILE:LINE: byte OFFSET: what is wrong (the first 10, then a count),
    becomes a `malformed` event in NDJSON, and reading goes on. A line with invalid
    UTF-8 is still read, with the bad bytes replaced.

EXIT STATUS:
    0  every input was read and every line was well-formed
    1  every input was read, but some lines had problems, or --summary found
       usage it did not read: a subagent named whose transcript was not read (or
       only its prompt), a workflow run of which no agent was read (on stderr)
    2  a usage error, an input could not be read (the others still were), or
       --otlp-endpoint/--otlp-export could not deliver everything (said on stderr)
    aegon --summary with no FILE reads the agents' default folders (Claude Code's:
    projects/ and sessions/ under CLAUDE_CONFIG_DIR, else under ~/.claude and
    ~/.config/claude, as aegon watch): one without a transcript (an empty
    ~/.claude/projects) is said on stderr, and is an error (status 2) only when
    no folder held one.
    A closed output pipe (aegon ... | head) ends aegon quietly with status 0.
    The dashboard ended by SIGINT (or the Ctrl-C key), SIGTERM or SIGHUP restores
    the terminal and exits with 128 + the signal's number (130, 143, 129), as a
    shell reports it; q and Esc exit with 0.
";

/// [`HELP`] with its list of event kinds filled in from [`aegon::Kind::ALL`], the table `-k`
/// and `--skip` read names from, so the list cannot drift from what they accept.
fn help() -> String {
    HELP.replace("{EVENT_KINDS}", &event_kinds(84))
}

/// The NDJSON names of every event kind, in [`aegon::Kind::ALL`]'s order, indented by four
/// spaces and wrapped to lines of at most `width` columns.
fn event_kinds(width: usize) -> String {
    let mut out = String::new();
    let mut line = String::from("   ");
    for kind in aegon::Kind::ALL {
        let name = kind.as_str();
        if line.len() + 1 + name.len() > width {
            out.push_str(&line);
            out.push('\n');
            line = String::from("   ");
        }
        line.push(' ');
        line.push_str(name);
    }
    out.push_str(&line);
    out
}

fn main() -> ExitCode {
    // Before any thread starts: the variables `--detached` kept off the command line.
    detach::take_env_file();
    match run() {
        Ok(code) => code,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            warn(&format!("cannot write output: {e}"));
            ExitCode::from(2)
        }
    }
}

fn run() -> io::Result<ExitCode> {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    match args.first().and_then(|a| a.to_str()) {
        Some("usage") => return cmd::usage::run(args.split_off(1)),
        Some("audit") => return cmd::audit::run(args.split_off(1)),
        Some("statusline") => return cmd::statusline::run(args.split_off(1)),
        _ => {}
    }
    let mut config = match args::parse(args) {
        Ok(Command::Run(config)) => config,
        Ok(Command::Help) => {
            io::stdout().lock().write_all(help().as_bytes())?;
            return Ok(ExitCode::SUCCESS);
        }
        Ok(Command::HelpOf(page)) => {
            io::stdout().lock().write_all(page.as_bytes())?;
            return Ok(ExitCode::SUCCESS);
        }
        Ok(Command::Version) => {
            writeln!(io::stdout().lock(), "aegon {}", env!("CARGO_PKG_VERSION"))?;
            return Ok(ExitCode::SUCCESS);
        }
        Ok(Command::Completions(shell)) => {
            let script = completions::script(&shell).unwrap_or_default();
            io::stdout().lock().write_all(script.as_bytes())?;
            return Ok(ExitCode::SUCCESS);
        }
        Ok(Command::CompletionsHelp) => {
            io::stdout()
                .lock()
                .write_all(args::COMPLETIONS_HELP.as_bytes())?;
            return Ok(ExitCode::SUCCESS);
        }
        Ok(Command::Html(command)) => return cmd::html::run(command),
        Ok(Command::Man) => {
            let page = manpage::roff(&help(), env!("CARGO_PKG_VERSION"));
            io::stdout().lock().write_all(page.as_bytes())?;
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => {
            report::warn_lines(&[&e.to_string(), "Try 'aegon --help' for usage."]);
            return Ok(ExitCode::from(2));
        }
    };
    let on_terminal = io::stdout().is_terminal();
    // Whether the stdin aegon reads when no file is named holds input (a pipe or a file, not
    // a terminal nor /dev/null): one rule for every mode that chooses (inputs::stdin_is_input).
    let stdin_is_input = inputs::stdin_is_input();
    // The inputs are the agents' default folders (`aegon --summary` alone).
    let mut default_folders = false;
    if config.implicit_stdin
        && !stdin_is_input
        && matches!(config.format, Format::Summary | Format::SummaryJson)
    {
        // `aegon --summary` alone: Claude Code's folders, as a ccusage user expects.
        match aegon::source::watch::default_roots() {
            Ok(roots) => {
                config.inputs = roots.into_iter().map(InputArg::Path).collect();
                config.implicit_stdin = false;
                default_folders = true;
            }
            Err(message) => {
                warn(&message);
                return Ok(ExitCode::from(2));
            }
        }
    }
    if config.implicit_stdin && !stdin_is_input {
        if !on_terminal || config.format_given {
            // Nothing piped in and no file named: waiting on the keyboard would look like a hang.
            warn("no input: give transcript files, or pipe one in (tail -f SESSION.jsonl | aegon). See aegon --help.");
            return Ok(ExitCode::from(2));
        }
        // Bare `aegon` on a terminal: the dashboard over Claude Code's folders.
        config.watch = true;
        config.inputs.clear();
        config.implicit_stdin = false;
    }
    if config.since_given && !config.watch {
        // `cat s.jsonl | aegon --since 1h`, `aegon demo --since 1h`: nothing it would filter.
        report::warn_lines(&[args::SINCE_GOES_WITH_WATCH, "Try 'aegon --help' for usage."]);
        return Ok(ExitCode::from(2));
    }
    if config.detached {
        return Ok(detach::run());
    }
    let pricing = match load_pricing(&config) {
        Ok(p) => p,
        Err(message) => {
            warn(&message);
            return Ok(ExitCode::from(2));
        }
    };
    let watch_roots = if config.watch {
        match watch_roots(&config) {
            Ok(roots) => roots,
            Err(message) => {
                warn(&message);
                return Ok(ExitCode::from(2));
            }
        }
    } else {
        Vec::new()
    };
    // `-f FOLDER…`: the folders are watched, so files created in them later are followed too.
    let follow_folders = match follow_folders(&config) {
        Ok(folders) => folders,
        Err(message) => {
            warn(&message);
            return Ok(ExitCode::from(2));
        }
    };
    let mut unreadable = false;
    // Default folders without a transcript (an empty ~/.claude/projects after Claude Code's
    // cleanup, beside Codex's sessions): said, but an error only when no folder held one.
    let mut empty_defaults = false;
    let inputs = if config.watch || config.replay || config.demo || !follow_folders.is_empty() {
        Vec::new()
    } else {
        inputs::expand(&config.inputs, |path, e| {
            warn(&format!("{}: {e}", path.display()));
            let empty_default = default_folders
                && e.to_string() == inputs::NO_TRANSCRIPT
                && config
                    .inputs
                    .iter()
                    .any(|i| matches!(i, InputArg::Path(p) if p == path));
            if empty_default {
                empty_defaults = true;
            } else {
                unreadable = true;
            }
        })
    };
    if empty_defaults && inputs.is_empty() {
        unreadable = true;
    }
    let options = Options {
        max_line: config.max_line,
        format: config.input_format,
        agents: config
            .agents
            .as_ref()
            .map_or(aegon::AgentSet::ALL, |a| a.iter().copied().collect()),
    };
    // The OpenTelemetry settings, read (environment included) only when asked for.
    let otlp = if config.otlp.sends() || config.format == Format::Otlp {
        match cmd::otlp::resolve(&config.otlp, &|name| std::env::var(name).ok()) {
            Ok(settings) => Some(settings),
            Err(message) => {
                warn(&message);
                return Ok(ExitCode::from(2));
            }
        }
    } else {
        None
    };
    let sending = otlp.as_ref().filter(|o| o.sends());
    if sending.is_none() {
        if let Some(code) = parallel_summary(&config, &inputs, options, &pricing, unreadable)? {
            return Ok(code);
        }
    }
    // Per-session outputs read files in the order that gives each entry to the session it
    // first occurred in, as `--summary` counts it (a stream shows files in path order).
    let per_session = matches!(
        config.format,
        Format::Html | Format::Markdown(_) | Format::Otlp
    );
    let inputs = if (per_session || sending.is_some()) && !config.follow {
        first_occurred_inputs(inputs, config.threads, options)?
    } else {
        inputs
    };
    let recording = match recording(&config) {
        Ok(r) => r,
        Err(message) => {
            warn(&message);
            return Ok(ExitCode::from(2));
        }
    };
    if config.dashboard_capable() && !config.format_given && on_terminal {
        let usage = match (&recording, config.no_index) {
            (Some(_), _) => dashboard::UsageSource::Off(
                "a replay has no usage index (aegon watch reads it)".to_owned(),
            ),
            (None, true) => dashboard::UsageSource::Off("--no-index".to_owned()),
            // The index reads the folders that exist (watch also waits for the others).
            (None, false) => dashboard::UsageSource::Index {
                roots: watch_roots.iter().filter(|r| r.exists()).cloned().collect(),
            },
        };
        let source = match recording {
            Some((name, bytes)) => dashboard::Source::Replay {
                name,
                bytes,
                speed: config.speed,
            },
            None => dashboard::Source::Watch {
                roots: watch_roots,
                since: config.since,
                poll: config.poll,
            },
        };
        let feed_kinds = if config.kinds == aegon::KindSet::ALL {
            aegon::dashboard::FEED_KINDS
        } else {
            config.kinds
        };
        let settings = dashboard::Settings {
            options,
            pricing,
            feed_kinds,
            color: use_color(config.color, true),
            export: sending.cloned(),
            usage,
        };
        return dashboard::run(source, settings);
    }
    let export_pricing = sending.map(|_| pricing.clone());
    let stdout = io::stdout();
    // `--html`/`--markdown -o FILE`: named FILE only once the report is written.
    let mut pending_output = None;
    let renderer: Box<dyn Renderer> = match config.format {
        Format::Ndjson => Box::new(NdjsonRenderer::with_pricing(stdout.lock(), pricing)),
        Format::Summary => Box::new(
            SummaryRenderer::new(stdout.lock(), SummaryFormat::Table, pricing)
                .with_notes(warn_uncounted),
        ),
        Format::SummaryJson => Box::new(
            SummaryRenderer::new(stdout.lock(), SummaryFormat::Json, pricing)
                .with_notes(warn_uncounted),
        ),
        Format::Html | Format::Markdown(_) => {
            let markdown = match config.format {
                Format::Markdown(detail) => Some(detail),
                _ => None,
            };
            match cmd::html::renderer(markdown, config.output.as_deref(), pricing) {
                Ok((r, pending)) => {
                    pending_output = pending;
                    r
                }
                Err(message) => {
                    warn(&message);
                    return Ok(ExitCode::from(2));
                }
            }
        }
        Format::Otlp => Box::new(OtlpRenderer::with_options(
            LineSink(BufWriter::with_capacity(64 << 10, stdout.lock())),
            otlp.as_ref()
                .map(|o| o.options(pricing.clone()))
                .unwrap_or_default(),
        )),
        Format::Plain => {
            let terminal = stdout.is_terminal();
            let options = PlainOptions {
                color: use_color(config.color, terminal),
                width: if terminal { terminal_width() } else { None },
            };
            Box::new(PlainRenderer::new(
                BufWriter::with_capacity(64 << 10, stdout.lock()),
                options,
            ))
        }
    };
    let renderer: Box<dyn Renderer> = match (sending, export_pricing) {
        // Live streams end each session's trace when it goes idle; files when they end.
        (Some(o), Some(prices)) if config.watch || config.follow => {
            Box::new(Tee(renderer, cmd::otlp::Live::start(o, prices)))
        }
        (Some(o), Some(prices)) => Box::new(Tee(renderer, o.http_renderer(prices))),
        _ => renderer,
    };
    let renderer = Reporting::new(Filtered::new(config.kinds, renderer), config.quiet);
    let mut pipeline = Pipeline::new(options, renderer);
    // A run that does not end by itself ends with its reader (`aegon -f FILE | head`); one
    // that sends OpenTelemetry data keeps going until it has sent what it read.
    let endless =
        config.watch || config.follow || inputs.iter().any(|i| matches!(i, InputArg::Stdin));
    if endless && sending.is_none() && recording.is_none() {
        closed::end_when_output_closes();
    }
    if let Some((name, bytes)) = recording {
        replay::run(&name, &bytes, config.speed, None, &mut pipeline)?;
        let (_, stats) = pipeline.finish()?;
        return Ok(exit_code(false, stats.malformed.total() > 0));
    }
    // `watch`, or `-f FOLDER…`: everything in the folders from its start (`-f --from-end`:
    // from now on; `watch`: its recent history), and each file created in them later (a new
    // session, one /clear starts, a subagent) from its start.
    let folders = if config.watch {
        Some((&watch_roots, config.since))
    } else if !follow_folders.is_empty() {
        let since = config.from_end.then_some(std::time::Duration::ZERO);
        Some((&follow_folders, since))
    } else {
        None
    };
    if folders.is_some() || config.follow {
        raise_open_file_limit();
    }
    if let Some((roots, since)) = folders {
        let options = aegon::source::watch::FolderOptions {
            since,
            poll: config.poll,
            // `-f FOLDER` says a file renamed away or removed, as `-f FILE` does (the help
            // promises it of -f); `aegon watch` does not: old transcripts are deleted there.
            removals: config.follow,
        };
        let mut notes = report::notes(config.quiet);
        aegon::source::watch::watch_folders(roots, options, &mut pipeline, &mut notes, || {})?;
        pipeline.finish()?;
        return Ok(exit_code(false, false));
    }
    if config.follow {
        let paths: Vec<_> = inputs
            .into_iter()
            .filter_map(|i| match i {
                InputArg::Path(p) => Some(p),
                InputArg::Stdin => None,
            })
            .collect();
        let mut notes = report::notes(config.quiet);
        // A session file's subagents' transcripts are created while it is written (each when
        // its subagent starts): listed again as the filter found them at the start.
        let mut list = || {
            inputs::expand(&config.inputs, |_, _| {})
                .into_iter()
                .filter_map(|i| match i {
                    InputArg::Path(p) => Some(p),
                    InputArg::Stdin => None,
                })
                .collect()
        };
        let growing = aegon::source::watch::Growing {
            folders: session_folders(&config.inputs),
            list: &mut list,
        };
        aegon::source::watch::follow_growing_files(
            &paths,
            growing,
            config.from_end,
            config.poll,
            &mut pipeline,
            &mut notes,
        )?;
        pipeline.finish()?;
        return Ok(exit_code(false, false));
    }
    let input_failed = read_inputs(&inputs, config.quiet, &mut pipeline)? || unreadable;
    let (_, stats) = pipeline.finish()?;
    if let Some(pending) = pending_output {
        if input_failed && stats.bytes == 0 {
            // Nothing could be read: an earlier report stays as it was.
            if !config.quiet {
                warn(&format!(
                    "{}: not written (no input could be read)",
                    pending.dest().display()
                ));
            }
        } else if let Err(message) = pending.replace() {
            warn(&message);
            return Ok(ExitCode::from(2));
        }
    }
    Ok(exit_code(input_failed, stats.malformed.total() > 0))
}

/// Set once usage aegon knows of was said not to be counted ([`warn_uncounted`]): the run
/// exits with 1, as when a line could not be read whole.
static UNCOUNTED: AtomicBool = AtomicBool::new(false);

/// Says on stderr that some usage is not counted (a subagent named whose transcript was not
/// read: [`aegon::render::summary::unread_subagent_notes`]), and makes the exit status 1
/// ([`exit_code`]): the figures are a lower bound, as with a usage line not read whole.
fn warn_uncounted(message: &str) {
    UNCOUNTED.store(true, Ordering::Relaxed);
    warn(message);
}

/// The folders where the subagents of the session files among `inputs` are written, watched
/// while following (`aegon -f SESSION.jsonl`): each `.jsonl` file's `SESSION/` (its
/// `subagents/` and the other layouts [`inputs::subagents_of`] reads, created with the first
/// subagent). Subagents' files beside the session file (Claude Code before 2.1) are in the
/// folder of the file, watched already.
fn session_folders(inputs: &[InputArg]) -> Vec<std::path::PathBuf> {
    inputs
        .iter()
        .filter_map(|i| match i {
            InputArg::Path(p) if p.extension().is_some_and(|e| e == "jsonl") => {
                Some(p.with_extension(""))
            }
            _ => None,
        })
        .collect()
}

/// Raises the soft limit on open files to the hard one (Linux), for following many files: the
/// followers close quiet files' handles and retry a file they could not open, so this only
/// spares them reopening. Where it cannot be raised (or elsewhere than Linux) nothing changes.
fn raise_open_file_limit() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
        let limit = getrlimit(Resource::Nofile);
        if limit.current.is_some() && limit.current != limit.maximum {
            let _ = setrlimit(
                Resource::Nofile,
                Rlimit {
                    current: limit.maximum,
                    maximum: limit.maximum,
                },
            );
        }
    }
}

/// The exit status of a run that read its inputs: 2 when one could not be read or an OTLP/HTTP
/// export left requests undelivered ([`otlp_http::undelivered`]), 1 when some lines were
/// malformed or some usage was said not to be counted ([`warn_uncounted`]), else 0.
fn exit_code(input_failed: bool, malformed: bool) -> ExitCode {
    if input_failed || otlp_http::undelivered() {
        ExitCode::from(2)
    } else if malformed || UNCOUNTED.load(Ordering::Relaxed) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// A recording's name and bytes.
type Recording = (String, std::sync::Arc<[u8]>);

/// The recording `replay` or `demo` plays (`None` for other runs).
fn recording(config: &Config) -> Result<Option<Recording>, String> {
    if config.demo {
        return Ok(Some((replay::DEMO_NAME.to_owned(), replay::DEMO.into())));
    }
    if !config.replay {
        return Ok(None);
    }
    let Some(InputArg::Path(path)) = config.inputs.first() else {
        return Err("replay plays one transcript file: aegon replay FILE".to_owned());
    };
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Some((path.display().to_string(), bytes.into())))
}

/// The folders `aegon watch` watches: those named (each must be a folder), else Claude Code's
/// and the other agents' (those that do not exist yet too: each is read once it appears).
fn watch_roots(config: &Config) -> Result<Vec<std::path::PathBuf>, String> {
    if config.inputs.is_empty() {
        return aegon::source::watch::default_roots_to_watch();
    }
    config
        .inputs
        .iter()
        .map(|input| match input {
            InputArg::Path(p) if p.is_dir() => Ok(p.clone()),
            InputArg::Path(p) => Err(format!(
                "{}: not a folder (watch takes folders; to follow files, aegon -f FILE)",
                p.display()
            )),
            InputArg::Stdin => Err("watch watches folders, not stdin".to_owned()),
        })
        .collect()
}

/// The folders `-f` follows: none when it is not given or names only files; every input when
/// they are all folders (each file in them, and each created in them later, is followed, as
/// `aegon watch` does). Folders and files together are refused: one run watches folders or
/// follows files.
fn follow_folders(config: &Config) -> Result<Vec<std::path::PathBuf>, String> {
    if !config.follow {
        return Ok(Vec::new());
    }
    let folders: Vec<std::path::PathBuf> = config
        .inputs
        .iter()
        .filter_map(|input| match input {
            InputArg::Path(p) if p.is_dir() => Some(p.clone()),
            _ => None,
        })
        .collect();
    if !folders.is_empty() && folders.len() < config.inputs.len() {
        return Err(
            "-f follows folders (and the files created in them) or files, not both at once: run one aegon -f for each"
                .to_owned(),
        );
    }
    Ok(folders)
}

/// `inputs` reordered for a read whose sessions must match `--summary`'s: groups of files in
/// the "first occurred" order ([`aegon::source::order::in_first_occurred_order`]), on `threads` workers
/// (all cores when `None`). Left as given when one is standard input or not a regular file (a
/// pipe is read once, in its place).
///
/// # Errors
/// What the quiet first read of the files gives (see
/// [`aegon::source::order::in_first_occurred_order`]).
pub(crate) fn first_occurred_inputs(
    inputs: Vec<InputArg>,
    threads: Option<usize>,
    options: Options,
) -> io::Result<Vec<InputArg>> {
    let files: Option<Vec<std::path::PathBuf>> = inputs
        .iter()
        .map(|i| match i {
            InputArg::Path(p) if std::fs::metadata(p).is_ok_and(|m| m.is_file()) => Some(p.clone()),
            _ => None,
        })
        .collect();
    let Some(files) = files.filter(|f| f.len() > 1) else {
        return Ok(inputs);
    };
    let workers =
        threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    Ok(
        aegon::source::order::in_first_occurred_order(&files, workers, options)
            .into_iter()
            .map(InputArg::Path)
            .collect(),
    )
}

/// Reads every input in order; returns whether one could not be read. Output errors end the run.
pub(crate) fn read_inputs<R: Renderer>(
    inputs: &[InputArg],
    quiet: bool,
    pipeline: &mut Pipeline<R>,
) -> io::Result<bool> {
    let mut failed = false;
    let forced = pipeline.options().format;
    for input in inputs {
        let (name, result) = match input {
            InputArg::Stdin => {
                widen_stdin_pipe();
                // Stdin's own buffer is 8 KiB; reads this size go past it, a syscall per 256 KiB.
                let stdin = BufReader::with_capacity(256 << 10, io::stdin().lock());
                (
                    "<stdin>".to_owned(),
                    read_one("<stdin>", quiet, forced, stdin, pipeline),
                )
            }
            InputArg::Path(path) => {
                let name = path.display().to_string();
                let result = match File::open(path) {
                    Ok(file) if file.metadata().is_ok_and(|m| m.is_dir()) => Err(ReadError::Input(
                        io::Error::other("is a directory (give the .jsonl files in it)"),
                    )),
                    // A small buffer, for the look at the file's first bytes: the pipeline reads
                    // past it in its own 256 KiB chunks (a 256 KiB one was filled, then copied
                    // out, for every file: more than a small file's own bytes).
                    Ok(file) => read_one(
                        &name,
                        quiet,
                        forced,
                        BufReader::with_capacity(8 << 10, file),
                        pipeline,
                    ),
                    Err(e) => Err(ReadError::Input(e)),
                };
                (name, result)
            }
        };
        match result {
            Ok(flow) if flow.is_break() => break,
            Ok(_) => {}
            Err(ReadError::Output(e)) => return Err(e),
            Err(ReadError::Input(e)) => {
                // A read error from the library names the input (and where) itself.
                match aegon::source::InputError::of(&e) {
                    Some(_) => warn(&e.to_string()),
                    None => warn(&format!("{name}: {e}")),
                }
                failed = true;
            }
        }
    }
    Ok(failed)
}

/// Bytes asked for stdin's pipe buffer: 1 MiB, the default limit for unprivileged processes
/// (`/proc/sys/fs/pipe-max-size`), instead of the usual 64 KiB.
#[cfg(target_os = "linux")]
const STDIN_PIPE_BYTES: usize = 1 << 20;

/// When stdin is a pipe narrower than [`STDIN_PIPE_BYTES`], asks the kernel for a larger pipe
/// buffer (`F_SETPIPE_SZ`), so the writer (`cat`, a shell loop…) runs ahead in bigger strides
/// and wakes us less often. A pipe already that wide or wider (its writer, or a privileged
/// user, widened it) is left as it is: `F_SETPIPE_SZ` also shrinks. A refusal (limit lowered,
/// another kernel) changes nothing but speed and is ignored.
fn widen_stdin_pipe() {
    #[cfg(target_os = "linux")]
    {
        let stdin = io::stdin();
        let is_pipe = rustix::fs::fstat(&stdin).is_ok_and(|st| {
            rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Fifo
        });
        if is_pipe
            && rustix::pipe::fcntl_getpipe_size(&stdin).is_ok_and(|now| now < STDIN_PIPE_BYTES)
        {
            let _ = rustix::pipe::fcntl_setpipe_size(&stdin, STDIN_PIPE_BYTES);
        }
    }
}

/// Reads one input, after checking that it is not UTF-16 (which Windows tools can produce)
/// and, when a format is `forced`, that its first JSON line is not another agent's
/// ([`aegon::format::fit`]; reading on to that line's end, at most `--max-line` bytes, which
/// are then read first).
fn read_one<R: Renderer>(
    name: &str,
    quiet: bool,
    forced: Option<aegon::format::Format>,
    mut reader: impl BufRead,
    pipeline: &mut Pipeline<R>,
) -> Result<aegon::render::Flow, ReadError> {
    let head = loop {
        match reader.fill_buf() {
            Ok(head) => break head,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError::Input(e)),
        }
    };
    if aegon::source::is_utf16(head) {
        return Err(ReadError::Input(io::Error::other(
            aegon::source::UTF16_REFUSAL,
        )));
    }
    let empty = head.is_empty();
    // With a forced format, the first JSON line decides however long it is: the bytes read to
    // reach its end are kept and read first.
    let mut ahead = Vec::new();
    if let Some(forced) = forced {
        let max = pipeline.options().max_line;
        let mut verdict = aegon::format::fit(forced, head, false);
        if verdict == aegon::format::Fit::NeedMore {
            let n = head.len();
            ahead.extend_from_slice(head);
            reader.consume(n);
        }
        // Reads of growing size (what a pipe holds comes at once, never waiting for more than
        // a byte), asked again when a line ended: a long line is scanned a few times, not once
        // per 8 KiB.
        let mut step = 64 << 10;
        while verdict == aegon::format::Fit::NeedMore && ahead.len() <= max {
            let from = ahead.len();
            ahead.resize(from + step, 0);
            let got = loop {
                match reader.read(&mut ahead[from..]) {
                    Ok(got) => break got,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(ReadError::Input(e)),
                }
            };
            ahead.truncate(from + got);
            let at_end = got == 0;
            if at_end || memchr::memchr(b'\n', &ahead[from..]).is_some() {
                verdict = aegon::format::fit(forced, &ahead, at_end);
            }
            if at_end {
                break;
            }
            step = (step * 2).min(1 << 20);
        }
        if let aegon::format::Fit::Misfit(misfit) = verdict {
            // Read as the wrong format it would yield nothing, silently: an input error instead.
            return Err(ReadError::Input(io::Error::other(misfit.to_string())));
        }
    }
    let flow = pipeline.read_to_end(name, io::Cursor::new(ahead).chain(reader))?;
    if empty && !quiet {
        // Normal (Claude Code leaves 0-byte session files), but worth a note: nothing was shown.
        warn(&format!("{name}: empty (0 bytes)"));
    }
    Ok(flow)
}

/// `--summary` over regular files (no stdin, pipe, FIFO or device) reads them on every core
/// (`--threads`), each entry counted where it first occurred whatever the order of the files
/// ([`parallel`]); `None` when the run is not such a one.
fn parallel_summary(
    config: &Config,
    inputs: &[InputArg],
    options: Options,
    pricing: &Pricing,
    unreadable: bool,
) -> io::Result<Option<ExitCode>> {
    let format = match config.format {
        Format::Summary => SummaryFormat::Table,
        Format::SummaryJson => SummaryFormat::Json,
        _ => return Ok(None),
    };
    let files: Option<Vec<std::path::PathBuf>> = inputs
        .iter()
        .map(|i| match i {
            InputArg::Path(p) => Some(p.clone()),
            InputArg::Stdin => None,
        })
        .collect();
    let workers = config
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let Some(files) = files.filter(|f| !f.is_empty() && config.kinds == aegon::KindSet::ALL) else {
        return Ok(None);
    };
    // A pipe, a FIFO or a device can be read only once, and has no size: the parallel read
    // would sniff it, then open it again (empty, or waiting forever on a FIFO whose writer is
    // gone). Such a run reads every input once, in order, on one thread, as stdin is read.
    if files.iter().any(|f| inputs::is_stream(f)) {
        return Ok(None);
    }
    let mut collected = parallel::collect(&files, workers, options, pricing, config.quiet)?;
    let mut out = io::stdout().lock();
    aegon::render::summary::write_summary_on(
        &mut out,
        format,
        &mut collected.sessions,
        &collected.stats,
        workers,
    )?;
    for note in aegon::render::summary::unread_subagent_notes(&collected.sessions) {
        warn_uncounted(&note);
    }
    report::print_summary(&collected.stats);
    let code = if collected.failed || unreadable {
        ExitCode::from(2)
    } else if collected.stats.malformed.total() > 0 || UNCOUNTED.load(Ordering::Relaxed) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // The process ends with this answer: its memory goes back whole. Freeing every session,
    // map node and string one by one took 1.5% of a summary of distinct history, on the main
    // thread after the output was written.
    std::mem::forget(collected);
    Ok(Some(code))
}

/// The built-in prices, extended or overridden by `--pricing FILE`.
fn load_pricing(config: &Config) -> Result<Pricing, String> {
    load_pricing_file(config.pricing.as_deref())
}

/// The built-in prices, extended or overridden by the price file at `path`.
pub(crate) fn load_pricing_file(path: Option<&std::path::Path>) -> Result<Pricing, String> {
    let mut pricing = Pricing::built_in();
    if let Some(path) = path {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        pricing.merge_json(&text).map_err(|e| {
            format!(
                "{}: not a price table ({e}); see aegon --help",
                path.display()
            )
        })?;
    }
    Ok(pricing)
}

fn use_color(choice: ColorChoice, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            terminal
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    }
}

/// Columns of the terminal on stdout (`COLUMNS` wins, as in most tools).
fn terminal_width() -> Option<usize> {
    if let Some(cols) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return Some(cols);
    }
    crossterm::terminal::size()
        .ok()
        .map(|(cols, _)| usize::from(cols))
        .filter(|&c| c > 0)
}
