//! `aegon statusline`: Claude Code's `statusLine` command. Reads the status-line JSON on
//! stdin (every field optional), prints one line, and always exits 0 with some text (a failed
//! or empty run blanks the line in Claude Code; shared/usage-over-time.md §1.2).

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use aegon::ledger::{self, Entries, Ledger, LimitReading, Scope};
use aegon::render::text::{char_width, usd_short, usd_short_at_least};
use aegon::session::pricing::Pricing;
use aegon::timestamp::now_ms;
use aegon::usage::blocks::{self, Block};
use aegon::usage::time::{self, TimeZone};
use aegon::usage::Usage;
use serde_json::Value;

use crate::report::warn;

/// The command's help.
pub const HELP: &str = "\
aegon statusline — one line for Claude Code's status line

USAGE:
    aegon statusline [OPTIONS]      (reads Claude Code's status-line JSON on stdin)

    In ~/.claude/settings.json:
        \"statusLine\": {\"type\": \"command\", \"command\": \"aegon statusline\"}

    Shows the model, the session's cost, the context fill, today's cost, the
    active 5-hour block (time left, burn rate; an estimate) and, for Pro/Max
    subscribers, the official 5-hour and 7-day limits Claude Code passes in
    rate_limits. Today's cost and the block are Claude Code's usage alone (the
    5-hour window is Anthropic's limit; other agents' use, such as Codex or
    Gemini CLI on this machine, is in aegon usage --agent NAME) in the folders
    aegon usage reads with no PATH in the same environment (CLAUDE_CONFIG_DIR's,
    else ~/.claude and ~/.config/claude) and the session's own transcripts: not
    another account's folders, nor one once given to aegon usage PATH. A window
    whose reset time has passed shows as \"5h reset\" (its figure, from the last
    API response, no longer holds) until Claude Code passes a new one. Each
    current reading is recorded in the usage index with its time and account
    (Claude Code's folder), so aegon usage blocks can show it later; an account
    reads back its own readings alone. The index is updated with what the
    session's transcript gained; the other transcripts at most once a minute.
    Indexing stops after --index-budget (it goes on at the next run from where
    it stopped); until the index holds everything, the line says
    \"indexing 34%\" and the costs from the index are lower bounds ($1.23+).
    The session's cost is one too when lines of its transcripts could not be
    read, or hold usage aegon could not read, or when it names a subagent or
    workflow run of which no line was read (aegon usage FILE says them); so are
    today's and the block's when one of their sessions names one.
    Always exits 0 with some text.

OPTIONS:
        --format TEMPLATE  Other fields or order: {model} {session_cost} {cc_cost}
                           {context} {today_cost} {block_cost} {block_left}
                           {burn_rate} {cost_rate} {five_hour} {five_hour_reset}
                           {seven_day} {seven_day_reset} {project} {indexing}; an
                           empty field prints as -. {indexing} says \"index
                           read-only\" when a newer aegon owns the index (the
                           session's cost then comes from its transcript).
    -z, --tz NAME          Zone of \"today\" [default: TZ, else /etc/localtime];
                           --timezone is the same (ccusage's -z, --timezone).
        --pricing FILE     Prices that extend or override the built-in table.
        --color WHEN       auto, always or never [default: auto: colours unless
                           NO_COLOR is set; Claude Code's output is never a tty].
        --no-index         Do not read or write the usage index: the session's
                           cost comes from its transcript (transcript_path, and
                           its subagents'), with the other transcripts of its
                           folder (a resumed session's copied lines count where
                           they first occurred, as the index counts them), read
                           within --index-budget ($1.23+ when cut short; none
                           when the folder was not read whole); today's and
                           the block's figures are left out.
        --index-budget MS  Time for indexing per run, in ms [default: 200]; the
                           rest is indexed by the next runs (aegon usage indexes
                           everything at once).
    -h, --help             Print this help.

    {context} is Claude Code's context_window figure; a Claude Code that passes
    none gets the fill from the transcript's last main-chain response (its input,
    cache reads and writes) over the model's window in aegon's price table (1M when
    the response used more than the table's window).

    Only the fields shown are computed (--format '{model}' reads no history).
    When the index is locked by another process for more than 50 ms (or cannot
    be used), the line is made as with --no-index.

    The width is COLUMNS (set by Claude Code since 2.1.153); parts that do not fit are
    left out from the end.
";

/// Whether `s` is a UUID as Claude Code names its sessions (8-4-4-4-12 hex digits).
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Other transcripts are scanned at most this often (the session's own file every run).
const SCAN_EVERY: Duration = Duration::from_secs(60);

/// Stdin read at most (the status-line JSON is a few KB).
const MAX_INPUT: u64 = 1 << 20;

/// Time given to indexing in one run, from when stdin was read, unless `--index-budget` says
/// otherwise. Claude Code cancels a status-line command still running when the next trigger
/// comes (runs are debounced at 300 ms; no timeout is documented: shared/usage-over-time.md
/// §1.2), and a cancelled run prints nothing: the line must come in well under a second.
/// Indexing a big transcript takes longer (a 94 MB one took 0.9–1.4 s on a loaded 2-core
/// machine); what is left is indexed by the next runs.
const INDEX_BUDGET: Duration = Duration::from_millis(200);

/// The longest the status line waits for another process's lock on the index (SQLite's busy
/// timeout; `aegon usage` waits [`ledger::BUSY_TIMEOUT`]), at most the indexing budget.
/// Past it, the line is made from the session's transcript, as with `--no-index`: a run that
/// waited 10 s would be cancelled by the next trigger and blank the line (§1.2).
const BUSY_WAIT: Duration = Duration::from_millis(50);

/// What the line needs from the index and the transcripts: only the fields shown are
/// computed.
#[derive(Debug, Clone, Copy)]
struct Needs {
    /// `{session_cost}`.
    session: bool,
    /// Today's and the block's figures (the recent history).
    history: bool,
    /// `{context}` (read from the transcript when Claude Code's JSON has none).
    context: bool,
}

impl Needs {
    /// What `format` names (the default line shows them all).
    fn of(format: Option<&str>) -> Needs {
        let Some(t) = format else {
            return Needs {
                session: true,
                history: true,
                context: true,
            };
        };
        let history = [
            "today_cost",
            "block_cost",
            "block_left",
            "burn_rate",
            "cost_rate",
        ];
        Needs {
            session: t.contains("{session_cost}"),
            history: history.iter().any(|f| t.contains(&format!("{{{f}}}"))),
            context: t.contains("{context}"),
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Options {
    format: Option<String>,
    tz: Option<String>,
    pricing: Option<PathBuf>,
    color: Option<bool>,
    no_index: bool,
    index_budget: Option<Duration>,
}

pub(crate) fn parse(args: Vec<OsString>) -> Result<Option<Options>, lexopt::Error> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut o = Options::default();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(None),
            Long("format") => o.format = Some(parser.value()?.to_string_lossy().into_owned()),
            Short('z') | Long("tz") | Long("timezone") => {
                o.tz = Some(parser.value()?.to_string_lossy().into_owned())
            }
            Long("pricing") => o.pricing = Some(parser.value()?.into()),
            // What `--color` takes elsewhere; another word is an error (said on stderr; the
            // line is still printed, with the default options, as for any argument error).
            Long("color") | Long("colour") => {
                o.color = crate::cmd::usage::color_value(parser.value()?)?
            }
            Long("no-index") => o.no_index = true,
            Long("index-budget") => {
                let v = parser.value()?;
                let ms = v
                    .to_str()
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .ok_or_else(|| lexopt::Error::UnexpectedValue {
                        option: "index-budget".into(),
                        value: v.clone(),
                    })?;
                o.index_budget = Some(Duration::from_millis(ms));
            }
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(Some(o))
}

/// What the status-line JSON says (every field optional; §1.4 of usage-over-time.md).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Input {
    /// `session_id`.
    pub session_id: Option<String>,
    /// `transcript_path`.
    pub transcript_path: Option<PathBuf>,
    /// `model.display_name`, else `model.id`.
    pub model: Option<String>,
    /// `cost.total_cost_usd`: Claude Code's own estimate.
    pub cc_cost: Option<f64>,
    /// Context fill in percent: `context_window.used_percentage`, else computed from
    /// `current_usage` and `context_window_size`.
    pub context_percent: Option<f64>,
    /// `workspace.project_dir`, else `cwd`, else `workspace.current_dir`.
    pub project: Option<String>,
    /// `rate_limits.*`: (window, used %, resets at ms).
    pub limits: Vec<(String, f64, Option<i64>)>,
}

/// The largest session cost believed from Claude Code's JSON, in USD: beyond it (or below 0)
/// the value is dropped as absurd.
const MAX_COST_USD: f64 = 1e6;

/// How long the status line waits for its JSON on stdin before answering with what it knows.
const STDIN_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// A percentage as given, if sane: finite and 0–1000, else `None`. Over 100 is kept: a
/// window used past its limit (or a context past its size) is news, not noise.
fn percent(p: f64) -> Option<f64> {
    (p.is_finite() && (0.0..=1000.0).contains(&p)).then_some(p)
}

impl Input {
    /// Reads what is there (absurd numbers dropped: a percentage outside 0–1000 (over 100
    /// kept as given); a negative or non-finite cost or one above [`MAX_COST_USD`]); anything missing or of another type is `None`.
    pub fn from_json(v: &Value) -> Input {
        let s = |v: &Value| v.as_str().map(str::to_owned);
        let cw = &v["context_window"];
        let context_percent = cw["used_percentage"]
            .as_f64()
            .and_then(percent)
            .or_else(|| {
                let u = &cw["current_usage"];
                let size = cw["context_window_size"].as_f64().filter(|s| *s > 0.0)?;
                let used = [
                    "input_tokens",
                    "cache_creation_input_tokens",
                    "cache_read_input_tokens",
                ]
                .iter()
                .map(|k| u[*k].as_f64())
                .sum::<Option<f64>>()?;
                percent(used * 100.0 / size)
            });
        let mut limits = Vec::new();
        if let Some(map) = v["rate_limits"].as_object() {
            for (window, w) in map {
                if let Some(used) = w["used_percentage"].as_f64().and_then(percent) {
                    let resets = w["resets_at"]
                        .as_f64()
                        .filter(|secs| secs.is_finite() && (0.0..1e11).contains(secs))
                        .map(|secs| (secs * 1000.0) as i64);
                    limits.push((window.clone(), used, resets));
                }
            }
        }
        Input {
            session_id: s(&v["session_id"]),
            transcript_path: s(&v["transcript_path"]).map(PathBuf::from),
            model: s(&v["model"]["display_name"]).or_else(|| s(&v["model"]["id"])),
            cc_cost: v["cost"]["total_cost_usd"]
                .as_f64()
                .filter(|c| c.is_finite() && (0.0..=MAX_COST_USD).contains(c)),
            context_percent,
            project: s(&v["workspace"]["project_dir"])
                .or_else(|| s(&v["cwd"]))
                .or_else(|| s(&v["workspace"]["current_dir"])),
            limits,
        }
    }
}

/// The figures the line is made of (each `None` when unknown). Costs are aegon's: each API
/// response priced as a request of its own, as `aegon --summary` and `aegon usage` price it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Figures {
    /// The session's cost from the index (of the responses with a known price); `None` when
    /// the index has no response of it (the line then shows Claude Code's own estimate, if
    /// given).
    pub session_cost: Option<f64>,
    /// Some response of the session has no known price: `session_cost` is a lower bound
    /// (shown `$1.23+`, as today's and the block's are); or the index is behind
    /// ([`Figures::indexing`]); or some usage of it is known to be missing: lines not read
    /// (or not wholly), a subagent or workflow run it names of which no line was read
    /// ([`Ledger::named_unread_of`], what `aegon usage` says in a note).
    pub session_partial: bool,
    /// Some response of the session has no known price: with nothing priced, its cost is
    /// `unknown`; while the index is only behind, nothing counted of it yet is `$0.00+`.
    pub session_unpriced: bool,
    /// Today's cost over all of Claude Code's sessions (of the responses with a known price;
    /// other agents' are not counted: the line is Claude Code's).
    pub today_cost: Option<f64>,
    /// `today_cost` is a lower bound (shown `$1.23+`): some response of today has no known
    /// price ([`Figures::today_unpriced`]), or the index does not hold everything yet, or a
    /// session of today's responses names a subagent or workflow run of which no line was
    /// read ([`ledger::Entries::named`]).
    pub today_partial: bool,
    /// Some response of today has no known price: with nothing priced, today's cost is
    /// `unknown`; while the index is only behind, nothing indexed of today is `$0.00+`.
    pub today_unpriced: bool,
    /// Claude Code's active block, when there is one (its responses alone).
    pub block: Option<Block>,
    /// Its cost (of the responses with a known price).
    pub block_cost: Option<f64>,
    /// Some response of the block has no known price, or the index is behind, or a session
    /// of its responses names a subagent or workflow run of which no line was read:
    /// `block_cost` and the $/h rate are lower bounds. While the index is behind, a block not found yet
    /// may exist: its cost is then `$0.00+` (`block` `None`, `block_cost` 0).
    pub block_partial: bool,
    /// Some response of the block has no known price (with nothing priced: `unknown`).
    pub block_unpriced: bool,
    /// Its burn rate: tokens/min, input+output tokens/min, $/h.
    pub burn: Option<(f64, f64, f64)>,
    /// The index does not hold everything yet (this run's indexing time ran out): about how
    /// much of the transcripts' bytes it holds, in percent (0–99, floored). The costs from the
    /// index are then lower bounds (their `*_partial` set), the block and its rates provisional.
    pub indexing: Option<u8>,
    /// The index belongs to a newer aegon that this build may read but not write
    /// ([`Ledger::read_only`]): it cannot catch up, so the session's cost comes from its
    /// transcript (as with `--no-index`), today's and the block's are left out, and the line
    /// says "index read-only" where it would say how far indexing got.
    pub index_read_only: bool,
}

/// Runs `aegon statusline`; always exits 0.
pub fn run(args: Vec<OsString>) -> io::Result<ExitCode> {
    let o = match parse(args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            io::stdout().lock().write_all(HELP.as_bytes())?;
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => {
            // Still a line: the status line must never be blank.
            warn(&format!("statusline: {e}"));
            Options::default()
        }
    };
    let mut text = String::new();
    if crate::inputs::stdin_is_input() {
        // A stdin that never closes must not hang the line: wait a little, then answer with
        // what is known (the reading thread is left behind; the process ends anyway).
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = io::stdin().lock().take(MAX_INPUT).read_to_end(&mut bytes);
            let _ = tx.send(lenient_text(&bytes));
        });
        match rx.recv_timeout(STDIN_WAIT) {
            Ok(t) => text = t,
            Err(_) => warn(&format!(
                "statusline: no complete JSON on stdin within {} s; answering without it",
                STDIN_WAIT.as_secs()
            )),
        }
    }
    let mut input = Input::from_json(&serde_json::from_str(&text).unwrap_or(Value::Null));
    let deadline = Instant::now() + o.index_budget.unwrap_or(INDEX_BUDGET);
    let now = now_ms();
    let tz = time::zone(o.tz.as_deref()).unwrap_or_else(|e| {
        warn(&format!("statusline: {e}; using UTC"));
        TimeZone::UTC
    });
    let pricing = crate::load_pricing_file(o.pricing.as_deref()).unwrap_or_else(|e| {
        warn(&format!("statusline: {e}; using the built-in prices"));
        Pricing::default()
    });
    let needs = Needs::of(o.format.as_deref());
    if needs.context && input.context_percent.is_none() {
        // Claude Code before `context_window` was passed: the transcript's last response.
        input.context_percent = input
            .transcript_path
            .as_deref()
            .and_then(|path| transcript_context_percent(path, &pricing));
    }
    let budget = o.index_budget.unwrap_or(INDEX_BUDGET);
    let figures = if o.no_index {
        transcript_figures(&input, &pricing, deadline, needs)
    } else {
        // A panic or an error costs the index's figures, never the line: the session's are
        // then read from its transcript.
        std::panic::catch_unwind(|| {
            figures(
                &input,
                &tz,
                &pricing,
                now,
                deadline,
                budget.min(BUSY_WAIT),
                needs,
            )
        })
        .unwrap_or(Err("internal error".into()))
        .unwrap_or_else(|e| {
            warn(&format!(
                "statusline: {e}; the session's cost read from its transcript"
            ));
            // Some time to read it even when the index took the whole budget.
            let deadline = deadline.max(Instant::now() + BUSY_WAIT);
            transcript_figures(&input, &pricing, deadline, needs)
        })
    };
    let color = o
        .color
        .unwrap_or_else(|| std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()));
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&w| w > 0);
    let line = render(
        &input,
        &figures,
        o.format.as_deref(),
        color,
        width,
        now,
        &tz,
    );
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
    Ok(ExitCode::SUCCESS)
}

/// How much of a transcript's end [`transcript_context_percent`] reads (1 MiB): a few of the
/// latest responses, read in a few milliseconds whatever the transcript's size.
const CONTEXT_TAIL: u64 = 1 << 20;

/// The context fill in percent after the session's latest main-chain API response, read from
/// the last [`CONTEXT_TAIL`] bytes of its transcript, for a Claude Code whose JSON has no
/// `context_window`: that response's input tokens (uncached + cache reads + cache writes) over
/// its model's window in the price table ([`Pricing::context_window`]; 1M when the tokens are
/// more than the table's window, as `--summary` decides it). A compaction after it gives the
/// tokens left after it (0 when not written). `None` when the tail holds neither, or the file
/// cannot be read or is not a regular file (opening a FIFO would wait for a writer forever,
/// tester7 finding 5; the status line must come within its budget).
fn transcript_context_percent(path: &Path, pricing: &Pricing) -> Option<f64> {
    use aegon::format::claude::decode::decode_line;
    use aegon::source::lines::Line;
    use aegon::EventKind;
    use std::io::{Seek, SeekFrom};
    use std::ops::ControlFlow;
    if !path.is_file() {
        return None;
    }
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let start = len.saturating_sub(CONTEXT_TAIL);
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut tail = Vec::new();
    file.take(CONTEXT_TAIL).read_to_end(&mut tail).ok()?;
    // From the first whole line (the tail may start inside one).
    let from = if start == 0 {
        0
    } else {
        memchr::memchr(b'\n', &tail).map_or(tail.len(), |i| i + 1)
    };
    // (tokens in the context, the model's window)
    let mut fill: Option<(u64, u64)> = None;
    for (i, bytes) in tail[from..].split(|&b| b == b'\n').enumerate() {
        let line = Line {
            bytes: bytes.strip_suffix(b"\r").unwrap_or(bytes),
            number: i as u64 + 1,
            offset: 0,
            terminated: true,
        };
        let _ = decode_line("", line, |e| {
            if e.agent_id.is_none() && !e.sidechain {
                match &e.kind {
                    EventKind::Usage {
                        model,
                        tokens,
                        context,
                        unread,
                        ..
                    } if !unread.is_some_and(aegon::tokens::Unread::counts_unknown) => {
                        // After server-side compaction, the last iteration's input.
                        let tokens = context.unwrap_or_else(|| tokens.total_input());
                        let mut window = pricing.context_window(model.as_deref().unwrap_or(""));
                        if tokens > window {
                            window = window.max(aegon::session::pricing::LARGE_CONTEXT_WINDOW);
                        }
                        fill = Some((tokens, window));
                    }
                    EventKind::Compact { post_tokens, .. } => {
                        if let Some((_, window)) = fill {
                            fill = Some((post_tokens.unwrap_or(0), window));
                        }
                    }
                    _ => {}
                }
            }
            ControlFlow::Continue(())
        });
    }
    let (tokens, window) = fill?;
    percent(tokens as f64 * 100.0 / window.max(1) as f64)
}

/// The session's figures without the index: its cost from its transcript (`transcript_path`
/// and the transcripts below `SESSION/subagents/`, as `--summary SESSION.jsonl` reads them),
/// read until `deadline` (a lower bound, `$1.23+`, when cut short). Today's and the block's
/// figures need every transcript: left out.
fn transcript_figures(
    input: &Input,
    pricing: &Pricing,
    deadline: Instant,
    needs: Needs,
) -> Figures {
    let Some(path) = input.transcript_path.as_ref().filter(|p| p.is_file()) else {
        return Figures::default();
    };
    if !needs.session {
        return Figures::default();
    }
    // With the other transcripts of its folder, where a session it was resumed from is: the
    // lines copied from it count there, as the index and aegon usage count them.
    let own = session_files(path);
    let others = folder_transcripts(path, &own);
    let (entries, exact) = ledger::read_session_fresh_until(
        input.session_id.as_deref(),
        &own,
        &others,
        pricing,
        deadline,
        &mut |_, _| {},
    );
    if entries.rows.is_empty() && entries.undated_rows.is_empty() {
        return Figures::default();
    }
    // The folder not read whole in time: copied lines not found there would be counted, so
    // the figure might be too high; none rather than a wrong one (Claude Code's own estimate
    // shows, when it passes one).
    let Some(complete) = exact else {
        return Figures::default();
    };
    let mut u = Usage::default();
    for e in &entries.rows {
        let model = match entries.name(e.model) {
            "" => "unknown",
            m => m,
        };
        u.add_response(model, e.tokens, e.cost_pico, e.ts_ms, e.call);
    }
    // A response without a time is the session's too, as the index counts it
    // ([`Ledger::session_usage`]; tester14 #10).
    for e in &entries.undated_rows {
        let model = match entries.name(e.model) {
            "" => "unknown",
            m => m,
        };
        u.add_undated_entry(&entries, e, model);
    }
    // Lines whose usage could not be read (or not wholly), or a subagent or workflow run the
    // session names of which no line was read: the cost is a lower bound.
    let not_counted = entries.unread.lines + entries.partly.lines + entries.unknown.lines > 0
        || !entries.named.is_empty();
    Figures {
        session_cost: Some(u.priced_cost()),
        session_partial: !u.unpriced().is_empty() || !complete || not_counted,
        session_unpriced: !u.unpriced().is_empty(),
        ..Figures::default()
    }
}

/// The other transcripts (`*.jsonl`) directly in the folder of `transcript` (Claude Code's
/// project folder, where a session resumed from is), but for `own`, newest first.
fn folder_transcripts(transcript: &Path, own: &[PathBuf]) -> Vec<PathBuf> {
    let Some(dir) = transcript.parent() else {
        return Vec::new();
    };
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(Option<std::time::SystemTime>, PathBuf)> = read
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl") && p.is_file())
        .filter(|p| !own.contains(p))
        .map(|p| (std::fs::metadata(&p).and_then(|m| m.modified()).ok(), p))
        .collect();
    found.sort_by(|a, b| b.cmp(a));
    found.into_iter().map(|(_, p)| p).collect()
}

/// The session's transcript and those of its subagents (`SESSION/subagents/`, Claude Code
/// 2.1's layout), as `--summary SESSION.jsonl` reads them.
fn session_files(transcript: &Path) -> Vec<PathBuf> {
    crate::inputs::expand(
        &[crate::args::InputArg::Path(transcript.to_owned())],
        |_, _| {},
    )
    .into_iter()
    .filter_map(|i| match i {
        crate::args::InputArg::Path(p) => Some(p),
        crate::args::InputArg::Stdin => None,
    })
    .collect()
}

/// The error of a query on the index, as the status line says it; damage is repaired first
/// ([`Ledger::repair_in_place`]), so the next refresh reads the rebuilt index.
fn repaired(ledger: &mut Ledger, e: ledger::Error, note: &mut dyn FnMut(&str)) -> String {
    if e.is_corrupt() {
        if let Err(again) = ledger.repair_in_place(&e, note) {
            return format!("{e}; {again}");
        }
    }
    e.to_string()
}

fn figures(
    input: &Input,
    tz: &TimeZone,
    pricing: &Pricing,
    now: i64,
    deadline: Instant,
    busy: Duration,
    needs: Needs,
) -> Result<Figures, String> {
    let path = ledger::default_path().map_err(|e| e.to_string())?;
    let mut note = |n: &str| warn(n);
    let mut ledger = Ledger::open_waiting(&path, busy, &mut note).map_err(|e| e.to_string())?;
    if ledger.read_only().is_some() {
        // A newer aegon's index, read but never written by this build: "indexing 0%" for ever
        // and every cost a lower bound otherwise (tester15 #9). The session's own transcript
        // gives its cost exactly; aegon usage says why and what to run.
        drop(ledger);
        return Ok(Figures {
            index_read_only: true,
            ..transcript_figures(
                input,
                pricing,
                deadline.max(Instant::now() + BUSY_WAIT),
                needs,
            )
        });
    }
    let result = update_and_read(&mut ledger, input, pricing, now, deadline, needs);
    let (entries, readings, progress) = match result {
        Ok(v) => v,
        Err(e) if e.is_corrupt() => {
            ledger = ledger.repair(&e, &mut note).map_err(|e| e.to_string())?;
            update_and_read(&mut ledger, input, pricing, now, deadline, needs)
                .map_err(|e| e.to_string())?
        }
        Err(e) => return Err(e.to_string()),
    };
    let indexing = progress.percent();
    // Claude Code names the session; without its id, the transcript's name gives it.
    let session_id = input.session_id.clone().or_else(|| {
        input
            .transcript_path
            .as_ref()
            .and_then(|p| p.file_stem())
            .and_then(|stem| stem.to_str())
            .filter(|stem| is_uuid(stem))
            .map(str::to_owned)
    });
    // The session written in its transcript, whatever `session_id` says (a Claude Code that
    // passes another id than its transcript's lines name), as --no-index reads it; the id
    // passed when the index holds nothing of the transcript yet.
    // A regular file only: a FIFO would wait for a writer (tester7 finding 5).
    let transcript = input.transcript_path.as_ref().filter(|p| p.is_file());
    let ids = match transcript.filter(|_| needs.session) {
        Some(path) => ledger
            .sessions_in_files(&session_files(path))
            .map_err(|e| repaired(&mut ledger, e, &mut note))?,
        None => Vec::new(),
    };
    // The one Claude Code names when its transcript holds it (a transcript may also hold
    // lines of the session it was resumed from, under that session's id).
    let ids = match session_id {
        Some(id) if ids.is_empty() || ids.contains(&id) => vec![id],
        _ => ids,
    };
    let (session_cost, session_partial, session_unpriced) =
        match Some(&ids).filter(|i| needs.session && !i.is_empty()) {
            Some(ids) => {
                // From the session's sums (a few groups) when they give it exactly, else row by
                // row: a warm run does not grow with the session's length.
                let mut u = Usage::default();
                for id in ids {
                    let summed = match progress.unsettled_until {
                        None => ledger
                            .session_usage_summed(id, pricing)
                            .map_err(|e| repaired(&mut ledger, e, &mut note))?,
                        Some(_) => None,
                    };
                    let by_model = match summed {
                        Some(m) => m,
                        None => ledger
                            .session_usage_after(id, pricing, progress.unsettled_until)
                            .map_err(|e| repaired(&mut ledger, e, &mut note))?,
                    };
                    for (model, totals) in by_model {
                        u.by_model.entry(model).or_default().merge(&totals);
                    }
                }
                if u.by_model.is_empty() && progress.unsettled_until.is_some() {
                    // All of it may be another session's yet: nothing known but a bound.
                    (Some(0.0), true, false)
                } else if u.by_model.is_empty() {
                    (None, false, false)
                } else {
                    // Lines of the session's transcripts whose usage could not be read (or not
                    // wholly): the cost is a lower bound ($1.23+).
                    let not_counted = match transcript {
                        Some(path) => {
                            ledger
                                .lines_not_counted(&session_files(path))
                                .map_err(|e| repaired(&mut ledger, e, &mut note))?
                                > 0
                        }
                        None => false,
                    };
                    // A subagent or workflow run the session names of which no line was read
                    // anywhere (its usage is not counted, as `aegon usage` says): a lower
                    // bound too.
                    let missing = !ledger
                        .named_unread_of(ids)
                        .map_err(|e| repaired(&mut ledger, e, &mut note))?
                        .is_empty();
                    (
                        Some(u.priced_cost()),
                        !u.unpriced().is_empty() || not_counted || missing,
                        !u.unpriced().is_empty(),
                    )
                }
            }
            None => (None, false, false),
        };
    let today = time::local_date(now, tz);
    let mut today_usage = Usage::default();
    // Some session of today's (or the block's) responses names a subagent or workflow run of
    // which no line was read: that usage is missing, the figure a lower bound.
    let named_unread = |e: &&ledger::Entry| entries.named.contains_key(entries.name(e.session));
    let mut today_missing = false;
    for e in entries
        .rows
        .iter()
        .filter(|e| time::local_date(e.ts_ms, tz) == today)
    {
        today_missing |= named_unread(&e);
        let model = match entries.name(e.model) {
            "" => "unknown",
            m => m,
        };
        today_usage.add_response(model, e.tokens, e.cost_pico, e.ts_ms, e.call);
    }
    let official = readings.iter().find(|r| r.window == "five_hour");
    let all = blocks::blocks(
        &entries,
        &entries.limit_hits,
        official,
        tz,
        now,
        aegon::Agent::ClaudeCode,
        None,
    );
    let block = all.into_iter().rev().find(|b| b.is_active);
    let burn = block.as_ref().and_then(|b| b.burn_rate(now)).map(|r| {
        (
            r.tokens_per_minute,
            r.tokens_per_minute_for_indicator,
            r.cost_per_hour,
        )
    });
    // Responses not indexed yet only add: what the index holds is a lower bound.
    let partial = indexing.is_some();
    let block_unpriced = block
        .as_ref()
        .is_some_and(|b| !b.usage.unpriced().is_empty());
    let block_missing = block.as_ref().is_some_and(|b| {
        entries.rows.iter().filter(named_unread).any(|e| {
            e.agent == aegon::Agent::ClaudeCode && b.start_ms <= e.ts_ms && e.ts_ms < b.end_ms
        })
    });
    Ok(Figures {
        session_cost,
        session_partial: session_partial
            || (session_cost.is_some()
                && (!progress.session_done || progress.unsettled_until.is_some())),
        session_unpriced,
        today_cost: needs.history.then(|| today_usage.priced_cost()),
        today_partial: !today_usage.unpriced().is_empty() || partial || today_missing,
        today_unpriced: !today_usage.unpriced().is_empty(),
        // A block not found while the index is behind may be in what is left: $0.00+.
        block_cost: match &block {
            Some(b) => Some(b.usage.priced_cost()),
            None => (needs.history && partial).then_some(0.0),
        },
        block_partial: block_unpriced || partial || block_missing,
        block_unpriced,
        block,
        burn,
        indexing,
        index_read_only: false,
    })
}

/// How far one run's indexing got.
#[derive(Debug, Clone, Copy)]
struct Progress {
    /// The session's own transcript is indexed to its end (or there is none).
    session_done: bool,
    /// Some other transcript of the session's folder is not indexed to its end, and was last
    /// written at this time (ms since the epoch; the latest of them): the session's responses
    /// up to then may be copies of its lines, which count there. Only the later ones are
    /// counted ([`Ledger::session_usage_after`]): a lower bound.
    unsettled_until: Option<i64>,
    /// When something is left: bytes left and bytes of all the transcripts listed.
    pending: Option<(u64, u64)>,
}

impl Progress {
    /// The share of the transcripts' bytes the index holds, floored, at most 99, when
    /// something is left; `None` when the index holds everything.
    fn percent(&self) -> Option<u8> {
        let (left, total) = self.pending?;
        let done = total.saturating_sub(left) as f64 * 100.0 / total.max(1) as f64;
        Some(done.floor().clamp(0.0, 99.0) as u8)
    }
}

/// Brings the index up to date (the session's transcript always; the other transcripts when
/// the last scan is older than a minute), records the official readings, and reads recent
/// history: the last 48 hours, or further back to the last pause of more than 5 hours when
/// use went on longer ([`blocks::recent`]), so the block running now is the one a report
/// over all history shows.
///
/// Indexing stops once `deadline` has passed (each update still makes some progress), having
/// committed what it read; the next run goes on from there ([`Ledger::update_until`]).
fn update_and_read(
    ledger: &mut Ledger,
    input: &Input,
    pricing: &Pricing,
    now: i64,
    deadline: Instant,
    needs: Needs,
) -> Result<(Entries, Vec<LimitReading>, Progress), ledger::Error> {
    ledger.checkpoint_on_drop(false); // its fsync is most of a run; `aegon usage` does it
    let mut quiet = |_: &Path, _: &str| {};
    let session_file = input.transcript_path.as_ref().filter(|p| p.is_file());
    if let Some(p) = session_file {
        // With its subagents' transcripts, part of the session's cost (as --summary counts
        // it), which the scan of the other transcripts would bring only once a minute.
        ledger.update_until(&[], &session_files(p), &mut quiet, Some(deadline))?;
    }
    // An unfinished scan records no time, so it goes on at the next run.
    let stale = ledger
        .last_scan_ms()?
        .is_none_or(|at| now - at > SCAN_EVERY.as_millis() as i64 || at > now);
    let mut scan = None;
    let roots = aegon::source::watch::default_roots().unwrap_or_default();
    // The other transcripts of the session's folder, where a session it was resumed from is
    // (its copied lines count there): indexed before the rest while the index is behind, so
    // the session's figure is settled first. A complete scan less than a minute old held them.
    let folder = match session_file.filter(|_| stale && needs.session) {
        Some(p) => folder_transcripts(p, &session_files(p)),
        None => Vec::new(),
    };
    if !folder.is_empty() {
        ledger.update_until(&[], &folder, &mut quiet, Some(deadline))?;
    }
    if stale && !roots.is_empty() {
        let s = ledger.update_until(&roots, &[], &mut quiet, Some(deadline))?;
        scan = Some(s);
    }
    // The session's file may have been finished by the scan (newest first): asked at the end.
    let session_left = match session_file {
        Some(p) => ledger.pending_bytes(p)?,
        None => None,
    };
    // The folder's transcripts not indexed to their end yet: a response of the session timed
    // at or before the last time one of them was written may be written in it too, and count
    // there. No file is written before the response it holds: the later ones are settled.
    let mut unsettled_until = None;
    for p in &folder {
        if ledger.pending_bytes(p)?.is_some() {
            let written = std::fs::metadata(p)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .and_then(|d| i64::try_from(d.as_millis()).ok())
                .unwrap_or(i64::MAX);
            unsettled_until = unsettled_until.max(Some(written));
        }
    }
    let progress = Progress {
        session_done: session_left.is_none(),
        unsettled_until,
        // The scan's figures cover the session's file when it is below the roots (as Claude
        // Code's are); else the session's file alone.
        pending: match (&scan, session_left) {
            (Some(s), _) if !s.complete() => Some((s.pending_bytes, s.total_bytes)),
            (_, Some(left_and_size)) => Some(left_and_size),
            _ => None,
        },
    };
    // The account the line runs for: Claude Code's configuration folders in this environment
    // (Claude Code passes its CLAUDE_CONFIG_DIR on). The windows are an account's: its
    // readings are recorded as its own and only its own are read back.
    let account = aegon::source::watch::claude_config_dirs().unwrap_or_default();
    // A reading whose window has already reset says nothing about the window now: not kept.
    let current = |resets: &Option<i64>| resets.is_none_or(|at| at > now);
    for (window, used, resets) in input.limits.iter().filter(|(_, _, r)| current(r)) {
        ledger.record_reading(
            &LimitReading {
                read_ms: now,
                window: window.clone(),
                used_percent: *used,
                resets_at_ms: *resets,
                session: input.session_id.clone(),
            },
            &account,
        )?;
    }
    if !needs.history {
        return Ok((Entries::default(), Vec::new(), progress));
    }
    // What `aegon usage` with no PATH reports in the same environment (README: the line's
    // block is the one `aegon usage blocks` shows): the default folders, those gone from
    // disk too, and the files the scan reached through links below them; not what the index
    // holds of other folders (another account's CLAUDE_CONFIG_DIR, a folder once given to
    // `aegon usage PATH`). And the session's own transcripts, the account's whatever their
    // folder (Claude Code writes them below its CLAUDE_CONFIG_DIR, so they are within the
    // default folders but for an odd set-up).
    // A run that did not scan has no ids of the files reached through links: those links
    // are looked up (Claude Code's folders; a linked project folder is a tested set-up), so
    // that every run counts the same files.
    let (linked_folders, linked_files) = linked_below(
        &account
            .iter()
            .flat_map(|d| [d.join("projects"), d.join("sessions")])
            .collect::<Vec<_>>(),
    );
    let scope = Scope::Paths {
        roots: roots
            .iter()
            .cloned()
            .chain(super::usage::default_gone().into_iter().map(|g| g.path))
            .chain(linked_folders)
            .collect(),
        files: session_file
            .map(|p| session_files(p))
            .unwrap_or_default()
            .into_iter()
            .chain(linked_files)
            .collect(),
        ids: scan.map(|s| s.file_ids).unwrap_or_default(),
    };
    // Claude Code's responses alone: the line runs inside Claude Code, its block is Anthropic's
    // 5-hour window and its "today" is Claude Code's (another agent's use on this machine is
    // in aegon usage --agent NAME).
    let entries = blocks::recent(now, |since| {
        ledger.entries(&scope, since, pricing).map(|mut e| {
            e.rows.retain(|r| r.agent == aegon::Agent::ClaudeCode);
            e
        })
    })?;
    Ok((entries, ledger.latest_readings(&account)?, progress))
}

/// The symbolic links in `roots` and in the folders directly below them (Claude Code's layout:
/// `projects/PROJECT/SESSION.jsonl`) that a walk follows ([`aegon::source::tree::Walker`]):
/// the folders they lead to (resolved) and the transcripts (`*.jsonl`) they name. Found by
/// reading those folders alone (the entries' types come with them: no file is looked at, the
/// sessions' own folders are not read), each real folder once: a few hundred directory reads
/// at most, cheap enough for every run. The index keeps a file reached through a link by that
/// path, below the root; but one it knew first by its real path keeps that one, and only a
/// scan's ids ([`ledger::UpdateStats::file_ids`]) or this finds it from the root.
fn linked_below(roots: &[PathBuf]) -> (Vec<PathBuf>, Vec<PathBuf>) {
    /// Levels of folders read: a root and the folders in it.
    const DEPTH: u8 = 2;
    let mut folders = Vec::new();
    let mut files = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut todo: Vec<(PathBuf, u8)> = roots
        .iter()
        .filter_map(|r| std::fs::canonicalize(r).ok())
        .map(|r| (r, 1))
        .collect();
    while let Some((dir, depth)) = todo.pop() {
        if !seen.insert(dir.clone()) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(kind) = e.file_type() else { continue };
            let path = e.path();
            if kind.is_dir() {
                if depth < DEPTH {
                    todo.push((path, depth + 1));
                }
            } else if kind.is_symlink() {
                let Ok(target) = std::fs::canonicalize(&path) else {
                    continue;
                };
                if target.is_dir() {
                    if !seen.contains(&target) {
                        folders.push(target.clone());
                        if depth < DEPTH {
                            todo.push((target, depth + 1));
                        }
                    }
                } else if target.is_file() && aegon::source::tree::is_transcript(&path) {
                    files.push(target);
                }
            }
        }
    }
    (folders, files)
}

/// Claude Code's status-line JSON as text, read as the transcripts are: a byte-order mark
/// dropped, invalid UTF-8 replaced by U+FFFD, lone UTF-16 surrogate escapes (`\ud800`, which
/// serde_json refuses) rewritten as `\uFFFD`, so one odd character in a field (a model or
/// folder name) does not lose the whole input.
fn lenient_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = String::from_utf8_lossy(bytes).into_owned();
    match aegon::format::claude::repair::lone_surrogates(&text) {
        Some(repaired) => repaired.text,
        None => text,
    }
}

/// A dollar amount as the reports write it, in whole dollars from $100 (the line is short),
/// with `+` when the amount is a lower bound (some response has no known price):
/// [`aegon::render::text::usd_short_at_least`].
fn money_at_least(v: f64, partial: bool) -> String {
    usd_short_at_least(v, partial)
}

/// A cost that is a lower bound when `partial`: [`money_at_least`], but for one only behind
/// (indexing) with nothing counted yet, which is `$0.00+` (all that is known: the --help's
/// promise), not `unknown` (kept for responses with no known price, `unpriced`).
fn bound(v: f64, partial: bool, unpriced: bool) -> String {
    if partial && !unpriced && v <= 0.0 {
        format!("{}+", usd_short(v))
    } else {
        money_at_least(v, partial)
    }
}

fn left(ms: i64) -> String {
    let m = (ms / 60_000).max(0);
    if m >= 60 {
        format!("{}h{:02}m", m / 60, m % 60)
    } else {
        format!("{m}m")
    }
}

fn compact(n: f64) -> String {
    if n >= 1e6 {
        format!("{:.1}M", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1}k", n / 1e3)
    } else {
        format!("{n:.0}")
    }
}

/// ANSI colours by level: 0 plain, 1 green, 2 yellow, 3 red, 4 cyan, 5 dim.
fn paint(text: &str, level: u8, color: bool) -> String {
    let code = match level {
        1 => "32",
        2 => "33",
        3 => "31",
        4 => "36",
        5 => "2",
        _ => return text.to_owned(),
    };
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

fn level_of(percent: f64) -> u8 {
    if percent >= 80.0 {
        3
    } else if percent >= 50.0 {
        2
    } else {
        1
    }
}

/// The named fields of the line, in the default order; each `(name, plain text, coloured)`.
fn fields(
    input: &Input,
    f: &Figures,
    color: bool,
    now: i64,
    tz: &TimeZone,
) -> Vec<(&'static str, Option<String>, Option<String>)> {
    let mut v: Vec<(&'static str, Option<String>, Option<String>)> = Vec::new();
    let mut push = |name, text: Option<String>, level: u8| {
        let painted = text.as_ref().map(|t| paint(t, level, color));
        v.push((name, text, painted));
    };
    let model = input.model.as_ref().map(|m| aegon::render::text::inert(m));
    push("model", model, 4);
    let session = match f.session_cost {
        Some(c) => Some(bound(c, f.session_partial, f.session_unpriced)),
        None => input.cc_cost.map(usd_short),
    };
    push("session_cost", session.map(|c| format!("{c} session")), 0);
    push("cc_cost", input.cc_cost.map(usd_short), 0);
    push(
        "context",
        // Percentages are floored: 99.6% is not yet full, so never shown as 100%.
        input
            .context_percent
            .map(|p| format!("ctx {}", aegon::render::text::percent(p))),
        input.context_percent.map_or(0, level_of),
    );
    push(
        "today_cost",
        f.today_cost
            .map(|c| format!("{} today", bound(c, f.today_partial, f.today_unpriced))),
        0,
    );
    let block = f.block.as_ref();
    push(
        "block_cost",
        f.block_cost
            .map(|c| format!("{} block", bound(c, f.block_partial, f.block_unpriced))),
        0,
    );
    let estimate = block.is_some_and(|b| b.end_source == blocks::EndSource::Estimate);
    push(
        "block_left",
        block.map(|b| {
            format!(
                "{}{} left",
                if estimate { "~" } else { "" },
                left(b.end_ms - now)
            )
        }),
        0,
    );
    // ccusage's thresholds on input+output tokens/min: < 2,000 normal, < 5,000 moderate.
    let burn_level = f.burn.map_or(0, |(_, io, _)| {
        if io < 2000.0 {
            1
        } else if io < 5000.0 {
            2
        } else {
            3
        }
    });
    push(
        "burn_rate",
        f.burn.map(|(t, _, _)| format!("{} tok/min", compact(t))),
        burn_level,
    );
    push(
        "cost_rate",
        f.burn
            .map(|(_, _, c)| format!("{}/h", money_at_least(c, f.block_partial))),
        0,
    );
    // The index is behind (this run's indexing time ran out; the next runs go on).
    push(
        "indexing",
        f.indexing
            .map(|p| format!("indexing {p}%"))
            .or_else(|| f.index_read_only.then(|| "index read-only".to_owned())),
        2,
    );
    for (window, label) in [("five_hour", "5h"), ("seven_day", "7d")] {
        let reading = input.limits.iter().find(|(w, _, _)| w == window);
        // A window whose reset time has passed (Claude Code's JSON repeats the last API
        // response's figures until the next response) starts again from nothing: its figure
        // no longer holds, and is shown as reset, without a percentage or a time.
        let expired = reading.is_some_and(|(_, _, at)| at.is_some_and(|at| at <= now));
        push(
            if window == "five_hour" {
                "five_hour"
            } else {
                "seven_day"
            },
            reading.map(|(_, used, _)| {
                if expired {
                    format!("{label} reset")
                } else {
                    format!("{label} {}", aegon::render::text::percent(*used))
                }
            }),
            reading.map_or(0, |(_, used, _)| if expired { 0 } else { level_of(*used) }),
        );
        push(
            if window == "five_hour" {
                "five_hour_reset"
            } else {
                "seven_day_reset"
            },
            reading
                .and_then(|(_, _, at)| *at)
                .filter(|_| !expired)
                .map(|at| time::format_local(at, tz)),
            5,
        );
    }
    let project = input
        .project
        .as_deref()
        .map(|p| {
            Path::new(p)
                .file_name()
                .map_or(p.to_owned(), |n| n.to_string_lossy().into_owned())
        })
        .map(|p| aegon::render::text::inert(&p));
    push("project", project, 0);
    v
}

/// Terminal columns `s` takes, escapes left out: each character's width as `aegon usage`
/// tables measure it ([`char_width`]: 2 for East Asian wide characters, 0 for combining marks).
fn visible_len(s: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for c in s.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => n += char_width(c),
        }
    }
    n
}

/// The line: the default parts, or `format` filled in; cut to `width` columns.
pub fn render(
    input: &Input,
    f: &Figures,
    format: Option<&str>,
    color: bool,
    width: Option<usize>,
    now: i64,
    tz: &TimeZone,
) -> String {
    let fields = fields(input, f, color, now, tz);
    if let Some(template) = format {
        let mut out = template.to_owned();
        for (name, _, painted) in &fields {
            out = out.replace(&format!("{{{name}}}"), painted.as_deref().unwrap_or("-"));
        }
        return cut(&out, width);
    }
    // Default: the block's time and rate go together; cc_cost, block_cost and the reset
    // times only on request.
    let shown = [
        "model",
        "session_cost",
        "context",
        "today_cost",
        "block_left",
        "burn_rate",
        "cost_rate",
        "indexing",
        "five_hour",
        "seven_day",
    ];
    let mut parts: Vec<String> = shown
        .iter()
        .filter_map(|name| {
            fields
                .iter()
                .find(|(n, _, _)| n == name)
                .and_then(|(_, _, p)| p.clone())
        })
        .collect();
    if parts.is_empty() {
        parts.push("aegon".to_owned());
    }
    let sep = if color { " \x1b[2m·\x1b[0m " } else { " · " };
    let mut line = parts.join(sep);
    if let Some(w) = width {
        while visible_len(&line) > w && parts.len() > 1 {
            parts.pop();
            line = parts.join(sep);
        }
    }
    cut(&line, width)
}

/// Cuts `s` to `width` visible columns (escapes kept whole, colour reset at the end).
fn cut(s: &str, width: Option<usize>) -> String {
    let Some(w) = width else {
        return s.to_owned();
    };
    if visible_len(s) <= w {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut n = 0;
    let mut in_escape = false;
    for c in s.chars() {
        if in_escape {
            out.push(c);
            in_escape = c != 'm';
            continue;
        }
        if c == '\x1b' {
            in_escape = true;
            out.push(c);
            continue;
        }
        // Room for the character and the `…` after it.
        let cw = char_width(c);
        if n + cw + 1 > w {
            out.push('…');
            break;
        }
        out.push(c);
        n += cw;
    }
    if s.contains('\x1b') {
        out.push_str("\x1b[0m");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tester5 item 13: a Claude Code that passes no `context_window` left `{context}` empty
    /// though the transcript's last response says how full the context is.
    #[test]
    fn the_context_fill_comes_from_the_transcript_when_claude_code_passes_none() {
        let response = |uuid: &str, side: bool, input: u64, read: u64, write: u64| {
            format!(
                r#"{{"type":"assistant","uuid":"{uuid}","isSidechain":{side},"sessionId":"s","timestamp":"2026-11-20T10:00:00.000Z","message":{{"id":"m{uuid}","model":"claude-sonnet-4-5-20250929","content":[{{"type":"text","text":"x"}}],"usage":{{"input_tokens":{input},"output_tokens":5,"cache_read_input_tokens":{read},"cache_creation_input_tokens":{write}}}}}}}"#
            )
        };
        let dir = crate::temp_dir::temp_dir("ctx");
        let path = dir.join("s.jsonl");
        let pricing = Pricing::default();
        // The last main-chain response decides (a sidechain's after it does not): 100,000 of
        // Sonnet 4.5's 200,000.
        let lines = [
            response("a", false, 10, 1_000, 0),
            response("b", false, 5_000, 90_000, 5_000),
            response("c", true, 1, 1, 1),
        ];
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        assert_eq!(transcript_context_percent(&path, &pricing), Some(50.0));
        // The tester's response: 215,000 tokens, more than the table's window: the 1M one.
        std::fs::write(&path, response("d", false, 5_000, 150_000, 60_000) + "\n").unwrap();
        assert_eq!(transcript_context_percent(&path, &pricing), Some(21.5));
        // A compaction after it: what is left.
        let compact = r#"{"type":"system","subtype":"compact_boundary","uuid":"e","sessionId":"s","compactMetadata":{"trigger":"auto","preTokens":215000}}"#;
        std::fs::write(
            &path,
            response("d", false, 5_000, 150_000, 60_000) + "\n" + compact + "\n",
        )
        .unwrap();
        assert_eq!(transcript_context_percent(&path, &pricing), Some(0.0));
        // No response: nothing.
        std::fs::write(
            &path,
            "{\"type\":\"user\",\"message\":{\"content\":\"hi\"}}\n",
        )
        .unwrap();
        assert_eq!(transcript_context_percent(&path, &pricing), None);
        assert_eq!(
            transcript_context_percent(&dir.join("none"), &pricing),
            None
        );
        // A transcript longer than the tail: read from the first whole line in it.
        let pad = response("p", false, 1, 1, 1);
        let mut text = String::new();
        while (text.len() as u64) < CONTEXT_TAIL + 10_000 {
            text.push_str(&pad);
            text.push('\n');
        }
        text.push_str(&lines[1]);
        text.push('\n');
        std::fs::write(&path, text).unwrap();
        assert_eq!(transcript_context_percent(&path, &pricing), Some(50.0));
    }

    /// ccusage's `-z, --timezone`: `-z` is `--tz` here too.
    #[test]
    fn z_is_the_short_form_of_the_time_zone() {
        for a in [["-z", "UTC"], ["--timezone", "UTC"], ["--tz", "UTC"]] {
            let o = parse(a.iter().map(OsString::from).collect())
                .unwrap()
                .unwrap();
            assert_eq!(o.tz.as_deref(), Some("UTC"), "{a:?}");
        }
    }

    #[test]
    fn color_takes_what_it_takes_elsewhere_and_refuses_other_words() {
        let color = |v: &str| parse(vec!["--color".into(), v.into()]).map(|o| o.unwrap().color);
        assert_eq!(color("auto").unwrap(), None);
        assert_eq!(color("always").unwrap(), Some(true));
        assert_eq!(color("never").unwrap(), Some(false));
        for bad in ["yes", "Always", ""] {
            let err = color(bad).unwrap_err().to_string();
            assert!(err.contains("auto, always or never"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn indexing_progress_is_floored_and_never_says_100_while_something_is_left() {
        let p = |pending| Progress {
            session_done: true,
            unsettled_until: None,
            pending,
        };
        assert_eq!(p(None).percent(), None);
        // 1 byte left of 1,000: 99.9% held, shown 99%; 340 of 1,000 held: 34%.
        assert_eq!(p(Some((1, 1000))).percent(), Some(99));
        assert_eq!(p(Some((660, 1000))).percent(), Some(34));
        assert_eq!(p(Some((5, 0))).percent(), Some(0));
        let f = Figures {
            today_cost: Some(1.5),
            today_partial: true,
            indexing: p(Some((660, 1000))).percent(),
            ..Figures::default()
        };
        let line = render(&Input::default(), &f, None, false, None, 0, &TimeZone::UTC);
        assert_eq!(line, "$1.50+ today · indexing 34%");
    }

    /// tester12 #4: while the first indexing is cut short with nothing of today indexed yet,
    /// today's cost is the lower bound `$0.00+` the --help promises; `unknown` stays for
    /// today's responses of no known price.
    #[test]
    fn nothing_of_today_indexed_yet_is_a_lower_bound_of_zero() {
        let f = Figures {
            today_cost: Some(0.0),
            today_partial: true,
            indexing: Some(40),
            ..Figures::default()
        };
        let line = |f: &Figures| render(&Input::default(), f, None, false, None, 0, &TimeZone::UTC);
        assert_eq!(line(&f), "$0.00+ today · indexing 40%");
        let unpriced = Figures {
            today_unpriced: true,
            ..f.clone()
        };
        assert_eq!(line(&unpriced), "unknown today · indexing 40%");
        let done = Figures {
            today_cost: Some(0.0),
            ..Figures::default()
        };
        assert_eq!(line(&done), "$0.00 today");
    }

    /// tester12 #10: the width is terminal columns, not characters: a wide (CJK) project
    /// name takes two columns a character, and the line never passes COLUMNS; `{project}`
    /// comes from `workspace.current_dir` too when Claude Code passes no `cwd`.
    #[test]
    fn the_line_fits_columns_of_wide_characters() {
        let v: Value = serde_json::from_str(
            r#"{"model":{"display_name":"Opus"},"workspace":{"current_dir":"/home/u/项目项目项目项目"}}"#,
        )
        .unwrap();
        let input = Input::from_json(&v);
        assert_eq!(input.project.as_deref(), Some("/home/u/项目项目项目项目"));
        let f = Figures::default();
        let template = Some("{model} {project} {today_cost}");
        let whole = render(&input, &f, template, false, None, 0, &TimeZone::UTC);
        assert_eq!(whole, "Opus 项目项目项目项目 -");
        assert_eq!(visible_len(&whole), 23);
        for width in 1..=30 {
            let line = render(&input, &f, template, false, Some(width), 0, &TimeZone::UTC);
            assert!(visible_len(&line) <= width, "{width}: {line}");
            for color in [true, false] {
                let line = render(&input, &f, None, color, Some(width), 0, &TimeZone::UTC);
                assert!(visible_len(&line) <= width.max(4), "{width}: {line:?}");
            }
        }
        // Cut before a wide character that would pass the width: `…` in its place.
        let line = render(&input, &f, template, false, Some(12), 0, &TimeZone::UTC);
        assert_eq!(line, "Opus 项目项…");
        assert_eq!(
            render(&input, &f, template, false, Some(11), 0, &TimeZone::UTC),
            "Opus 项目…"
        );
        // Combining marks take no column.
        assert_eq!(visible_len("e\u{301}"), 1);
    }

    #[test]
    fn every_field_is_optional() {
        assert_eq!(Input::from_json(&Value::Null), Input::default());
        let v: Value = serde_json::from_str(
            r#"{"model":{"id":"claude-opus-4-6"},"context_window":{"context_window_size":200000,
               "current_usage":{"input_tokens":1000,"output_tokens":5,"cache_creation_input_tokens":9000,
               "cache_read_input_tokens":40000}},"rate_limits":{"seven_day":{"used_percentage":41.5,"resets_at":1769644800}}}"#,
        )
        .unwrap();
        let i = Input::from_json(&v);
        assert_eq!(i.model.as_deref(), Some("claude-opus-4-6"));
        // (1,000 + 9,000 + 40,000) / 200,000 = 25%.
        assert_eq!(i.context_percent, Some(25.0));
        assert_eq!(
            i.limits,
            [("seven_day".to_owned(), 41.5, Some(1_769_644_800_000))]
        );
    }

    #[test]
    fn a_window_used_past_its_limit_shows_the_real_figure() {
        // Claude Code's rate_limits can pass 100 (a tester's 7-day window read 101).
        let v: Value = serde_json::from_str(
            r#"{"rate_limits":{"seven_day":{"used_percentage":101},
                               "five_hour":{"used_percentage":250.4}}}"#,
        )
        .unwrap();
        let i = Input::from_json(&v);
        let line = render(
            &i,
            &Figures::default(),
            Some("{five_hour} {seven_day}"),
            false,
            None,
            0,
            &TimeZone::UTC,
        );
        assert_eq!(line, "5h 250% 7d 101%");
        // Beyond 1000 is absurd and dropped, as before.
        let v: Value =
            serde_json::from_str(r#"{"rate_limits":{"seven_day":{"used_percentage":1001}}}"#)
                .unwrap();
        assert_eq!(Input::from_json(&v).limits, []);
    }

    #[test]
    fn percentages_are_floored_so_100_means_the_limit_is_reached() {
        let v: Value = serde_json::from_str(
            r#"{"context_window":{"used_percentage":99.99},
                "rate_limits":{"five_hour":{"used_percentage":99.6},
                               "seven_day":{"used_percentage":100}}}"#,
        )
        .unwrap();
        let line = render(
            &Input::from_json(&v),
            &Figures::default(),
            Some("{context} {five_hour} {seven_day}"),
            false,
            None,
            0,
            &TimeZone::UTC,
        );
        assert_eq!(line, "ctx 99% 5h 99% 7d 100%");
    }

    #[test]
    fn a_window_past_its_reset_time_is_shown_as_reset() {
        // A fixed clock: 2026-01-29 00:00:00 UTC (1,769,644,800 s); the 5-hour window reset a
        // second before it, the 7-day one resets a second after.
        let now = 1_769_644_800_000;
        let v: Value = serde_json::from_str(
            r#"{"rate_limits":{"five_hour":{"used_percentage":87,"resets_at":1769644799},
                               "seven_day":{"used_percentage":41,"resets_at":1769644801}}}"#,
        )
        .unwrap();
        let i = Input::from_json(&v);
        let f = Figures::default();
        let tz = TimeZone::UTC;
        let template = Some("{five_hour} {five_hour_reset} | {seven_day} {seven_day_reset}");
        assert_eq!(
            render(&i, &f, template, false, None, now, &tz),
            format!(
                "5h reset - | 7d 41% {}",
                time::format_local(1_769_644_801_000, &tz)
            )
        );
        assert_eq!(
            render(&i, &f, None, false, None, now, &tz),
            "5h reset · 7d 41%"
        );
        // A reset at the very instant counts as passed; without a reset time, a figure holds.
        let at_reset = render(&i, &f, template, false, None, now + 1000, &tz);
        assert_eq!(at_reset, "5h reset - | 7d reset -");
        let v: Value =
            serde_json::from_str(r#"{"rate_limits":{"five_hour":{"used_percentage":87}}}"#)
                .unwrap();
        let line = render(&Input::from_json(&v), &f, None, false, None, now, &tz);
        assert_eq!(line, "5h 87%");
    }

    #[test]
    fn the_line_fits_the_width_and_never_is_empty() {
        let input = Input {
            model: Some("Opus 4.6".into()),
            cc_cost: Some(1.5),
            context_percent: Some(45.0),
            ..Input::default()
        };
        let f = Figures::default();
        let tz = TimeZone::UTC;
        let line = render(&input, &f, None, false, None, 0, &tz);
        assert_eq!(line, "Opus 4.6 · $1.50 session · ctx 45%");
        let line = render(&input, &f, None, false, Some(20), 0, &tz);
        assert_eq!(line, "Opus 4.6");
        assert_eq!(
            render(&Input::default(), &f, None, false, None, 0, &tz),
            "aegon"
        );
        let line = render(
            &input,
            &f,
            Some("{model} | {today_cost}"),
            false,
            None,
            0,
            &tz,
        );
        assert_eq!(line, "Opus 4.6 | -");
        let coloured = render(&input, &f, None, true, Some(12), 0, &tz);
        assert!(visible_len(&coloured) <= 12, "{coloured:?}");
    }
}
