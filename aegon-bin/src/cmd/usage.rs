//! `aegon usage daily|weekly|monthly|sessions|projects|blocks`: usage over time, from the
//! usage index (`aegon::ledger`), updated first with what was appended since the last run.

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aegon::ledger::{self, Entries, Ledger, LimitReading, Scope};
use aegon::render::text::usd_at_least;
use aegon::session::pricing::Pricing;
use aegon::timestamp::now_ms;
use aegon::usage::blocks::{self, Block};
use aegon::usage::render::{report_json, report_table, rfc3339, short_model, TableOptions};
use aegon::usage::table::{fit, table_width, wrap, Column, Row, Style};
use aegon::usage::time::{self, Bound, Period, TimeZone, Weekday};
use aegon::usage::{report, total_tokens, By, Filter, ReportKind};
use serde_json::{json, Value};

use crate::report::{warn, warn_lines};

/// The command's help (also in `aegon --help`'s USAGE REPORTS section).
pub const HELP: &str = "\
aegon usage — tokens and cost over time, from a durable index of the transcripts

USAGE:
    aegon usage [daily|weekly|monthly|sessions|projects|blocks] [OPTIONS] [PATH]...

    Reads Claude Code's folders (projects/ and sessions/ under CLAUDE_CONFIG_DIR, else
    under ~/.claude and ~/.config/claude, or $XDG_CONFIG_HOME/claude: both read, a
    file reached through both counted once) and the other agents' that exist
    (~/.codex/sessions, ~/.gemini/tmp, OpenCode's, ~/.copilot/session-state,
    ~/.qwen/projects), or the folders and files given (a session file
    SESSION.jsonl brings SESSION/subagents/, as in aegon FILE). Each run first
    adds to the usage index what was appended since the last one, then reports from the index, so history
    survives Claude Code deleting transcripts after cleanupPeriodDays (30 by default).
    The index is $AEGON_DATA_DIR/usage.sqlite3, else in the data directory
    ($XDG_DATA_HOME/aegon or ~/.local/share/aegon on Linux).
    A folder or file no longer on disk (a default folder removed, or a PATH given),
    or a folder given with no .jsonl transcript below it any more, whose history the
    index holds is reported from the index, with a note. A
    transcript rewritten shorter or replaced since it was indexed counts what it holds
    now (as --no-index counts it): the responses it no longer holds leave the reports,
    said once by a note in the next report (exit status 0), also when the status line
    read it again (it may be about a transcript outside this report's PATHs). A PATH
    that does not exist, or a folder with no .jsonl transcript below it, is otherwise
    said on stderr and the exit status is 2, as for the other commands; the other
    paths are still reported, and no report is made when none is left. With no PATH,
    default folders that hold no transcript yet (a fresh install) are not an error:
    the report is empty, exit status 0; when none of them exists, that is said and
    the exit status is 2. When
    the index cannot be written (disk full), the report is what it holds, a note
    (stderr and JSON notes) says what may be missing, and the exit status is 2. A
    damaged index (found by any query; by one process at a time, the others waiting
    for it) is moved aside and rebuilt with what it can still be read for; while
    history of deleted transcripts may be missing from it, a note says so and the exit
    status is 2, until the damaged copy the note names is removed. An index written by
    a newer aegon is never moved aside nor changed: reported from without updating it
    when this aegon may read it (a note says so; exit status 2 when transcripts hold
    lines it lacks), else refused with a note, reading the transcripts afresh (exit
    status 2). PATH - reads
    one transcript from standard input (cat a.jsonl | aegon usage -); a stream cannot
    be indexed, so a run given - reads all its paths afresh, as with --no-index.
    Lines that could not be read, and lines whose usage aegon could not read (a
    token count it refuses, read as 0; usage on a record type it does not count; usage
    in a shape it does not read whole, whose response counts as a call of unknown
    cost), are said in a note (stderr and JSON notes) with the first one's place, also
    when the report comes from the index, and the exit status is 1, as aegon
    --summary's for problem lines (2 when one of the above applies). So is a
    session of the report that names a subagent (Task results, agent_progress
    lines) or a workflow run of which no line of transcript was read: its usage
    is not counted (the note is --summary's).

REPORTS:
    daily      one row per local day (the default)
    weekly     one row per week, keyed by its first day (--week-start)
    monthly    one row per month
    sessions   one row per session, by last activity
    projects   one row per project (the working directory)
    blocks     5-hour blocks of Claude Code's usage alone (the window is Anthropic's
               subscription limit; Codex's or Gemini's use never starts or fills one, as
               ccusage's blocks are Claude Code's); --agent NAME gives that agent's
               blocks instead (by the same rule; its vendor's limits are its own), and
               several --agent give each agent's blocks in a table of its own (in JSON,
               one list, each block with its agent), never mixed.
               Estimates by ccusage's rule: a block starts at its first
               response floored to the UTC hour and lasts 5 h; more than 5 h without
               use starts a new one: a gap row, from the last response + 5 h to the next
               block's start; in JSON to the next response, ccusage's endTime); a reset
               written in a transcript (\"You've hit your limit · resets 1am
               (Europe/Paris)\") ends its block there, and an official
               reading recorded by aegon statusline (this account's: CLAUDE_CONFIG_DIR's,
               else ~/.claude's and ~/.config/claude's) gives its window whole: the block is
               [resets_at - 5 h, resets_at), earlier responses belong to the block before.
               The active block shows time left, burn rate (tokens/min, $/h: its tokens
               and cost over the time from its first response to now, once that is 10
               minutes or more; ccusage measures first to last response) and the
               projection to its end at that rate. A block whose responses
               are dated after now (a clock set wrong) is shown IN THE FUTURE, never
               active; the block running now stays active.

OPTIONS:
        --json            One JSON object (schema schemas/usage.v1.schema.json;
                          version in v), with ccusage's older field names, as its
                          field reference describes them: daily[].date,
                          weekly[].week, monthly[].month, sessions[].sessionId.
                          ccusage 20.0.24 writes period and session for these.
    -z, --tz NAME         Group by local dates of this IANA zone (Asia/Kolkata, UTC);
                          default: TZ, else /etc/localtime. An unknown zone is an error.
                          --timezone is the same (ccusage's -z, --timezone).
        --since WHEN      From this local date (YYYY-MM-DD or YYYYMMDD) or age (12h,
                          7d, 4w) on, inclusive. With sessions: the whole sessions
                          whose last activity is then or later (ccusage's rule).
        --until WHEN      Up to this local date or age, inclusive. With sessions: the
                          whole sessions whose last activity is then or earlier (a
                          session is never cut in two). With blocks: the
                          blocks overlapping that span (the one running at --since
                          however early it started), without a leading gap.
        --week-start DAY  First day of weeks: monday…sunday [default: monday, ISO 8601].
        --breakdown       A sub-row per model under each row (JSON always has
                          modelBreakdowns).
        --by WHAT         Split each row by project, model, agent (claude-code, codex,
                          gemini-cli, opencode, …) or subagent (main/subagent).
        --project TEXT    Only projects whose path contains TEXT.
        --agent NAME      Only this coding agent's usage (repeatable). With blocks: that
                          agent's blocks (default: Claude Code's alone).
        --token-limit N   With blocks: a token limit per block (N > 0), or max (the largest
                          completed block); shows % used and ok/warning/exceeds.
        --active          With blocks: only the active block.
        --no-index        Read the transcripts afresh, without the index (history
                          deleted from disk is then missing).
        --pricing FILE    Prices that extend or override the built-in table.
        --color WHEN      auto, always or never [default: auto]; auto honours NO_COLOR.
    -q, --quiet           Do not report unreadable files one by one.
    -v, --verbose         Say on stderr what the index update did: transcripts looked
                          at, read (bytes), read again from their start (which and
                          why), gone from disk (history kept).
    -h, --help            Print this help.

Each API response is priced as the request it was (its model, tokens, speed, service
tier, inference geo and prompt size; as aegon --summary prices it) with the price
table given at report time, at the rates that applied at the response's own time (UTC;
no timestamp: the current rates). A response with no known price is named by its model and its
cost left out (marked +), never counted as $0: in JSON its row's and the totals' totalCost (a
block's costUSD) is null, as --summary --json's cost_usd, and pricedCost (pricedCostUSD) the
part that has a price.
A response whose time aegon cannot read (no timestamp, or one without a zone) has no
day nor block: the reports by period and blocks leave it out with a note; sessions and
projects count it in its session and project (as --summary and the status line do),
unless --since or --until is given: then sessions keeps it with its session, and
projects leaves it out with the note.
Usage on claude.ai, the desktop and mobile apps and other machines is not in local
transcripts, so it is not here either.

TABLE WIDTH:
    Tables fit COLUMNS when it is set (as ls and ccusage read it), else the terminal's
    width; piped output without COLUMNS is written whole (scripts read that layout).
    A table wider than that width gives way step by step: the compact layout leaves
    out Cache write, Cache read and Total tokens (as ccusage's does) and shortens block
    times (no year) and statuses; then Models (and a project path) are cut with …;
    then Models, Input and Output are left out, in that order, as many as it takes
    (a --breakdown row's model then goes under its blank date). A row is never
    wrapped; the footer says what was left out. COLUMNS=200 aegon usage | less -S shows every column.
";

/// The options of one `aegon usage` run.
#[derive(Debug)]
pub(crate) struct Options {
    kind: Kind,
    json: bool,
    tz: Option<String>,
    since: Option<Bound>,
    until: Option<Bound>,
    week_start: Weekday,
    breakdown: bool,
    by: By,
    project: Option<String>,
    agents: Option<aegon::AgentSet>,
    token_limit: Option<TokenLimit>,
    active: bool,
    no_index: bool,
    pricing: Option<PathBuf>,
    color: Option<bool>,
    quiet: bool,
    verbose: bool,
    paths: Vec<PathBuf>,
    /// The width tables are fitted to (`COLUMNS`, else the terminal's; not an option).
    width: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Daily,
    Weekly,
    Monthly,
    Sessions,
    Projects,
    Blocks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenLimit {
    Max,
    Tokens(u64),
}

/// An option error with `message`.
pub(crate) fn custom(message: String) -> lexopt::Error {
    lexopt::Error::Custom(message.into())
}

/// `--color`'s value for a subcommand that writes a table: `auto` (`None`: colour on a
/// terminal unless NO_COLOR), `always` or `never`; anything else is a usage error.
pub(crate) fn color_value(v: OsString) -> Result<Option<bool>, lexopt::Error> {
    match v.to_string_lossy().as_ref() {
        "auto" => Ok(None),
        "always" => Ok(Some(true)),
        "never" => Ok(Some(false)),
        v => Err(custom(format!("--color: '{v}'? auto, always or never"))),
    }
}

/// The report names `aegon usage` takes, as the unknown-report error lists them.
const REPORTS: &str = "daily, weekly, monthly, sessions, projects, blocks";

/// Whether the first word, not a report's name, was meant as one: a bare word (letters,
/// digits, `-`, `_`) that names no file or folder. A real file of that name is still a path.
fn looks_like_a_report(v: &std::ffi::OsStr) -> bool {
    let word = v.to_str().is_some_and(|w| {
        w.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    });
    word && !Path::new(v).exists()
}

pub(crate) fn parse(args: Vec<OsString>, now: i64) -> Result<Option<Options>, lexopt::Error> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut o = Options {
        kind: Kind::Daily,
        json: false,
        tz: None,
        since: None,
        until: None,
        week_start: Weekday::Monday,
        breakdown: false,
        by: By::Nothing,
        project: None,
        agents: None,
        token_limit: None,
        active: false,
        no_index: false,
        pricing: None,
        color: None,
        quiet: false,
        verbose: false,
        paths: Vec::new(),
        width: None,
    };
    let mut kind_given = false;
    let bound = |name: &str, v: OsString| -> Result<Bound, lexopt::Error> {
        let text = v.to_string_lossy();
        time::parse_bound(&text, now).ok_or_else(|| {
            custom(format!(
                "{name}: '{text}' is neither a date (2026-01-28, 20260128) nor an age (12h, 7d, 4w)"
            ))
        })
    };
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(None),
            Long("json") => o.json = true,
            Short('z') | Long("tz") | Long("timezone") => {
                o.tz = Some(parser.value()?.to_string_lossy().into_owned())
            }
            Long("since") => o.since = Some(bound("--since", parser.value()?)?),
            Long("until") => o.until = Some(bound("--until", parser.value()?)?),
            Long("week-start") => {
                let v = parser.value()?.to_string_lossy().into_owned();
                o.week_start = time::parse_weekday(&v).ok_or_else(|| {
                    custom(format!(
                        "--week-start: '{v}' is not a weekday (monday … sunday)"
                    ))
                })?;
            }
            Long("breakdown") => o.breakdown = true,
            Long("by") => {
                let v = parser.value()?.to_string_lossy().into_owned();
                o.by = match v.as_str() {
                    "project" => By::Project,
                    "model" => By::Model,
                    "agent" => By::Agent,
                    "subagent" => By::Subagent,
                    _ => {
                        return Err(custom(format!(
                            "--by: '{v}'? rows split by project, model, agent or subagent"
                        )))
                    }
                };
            }
            Long("project") => {
                // Reports name a Windows project with its drive letter upper-case.
                let text = parser.value()?.to_string_lossy().into_owned();
                o.project = Some(ledger::upper_drive_letter(&text).unwrap_or(text));
            }
            Long("agent") => {
                let v = parser.value()?.to_string_lossy().into_owned();
                let agent = aegon::Agent::from_name(&v).ok_or_else(|| {
                    custom(format!(
                        "--agent: '{v}'? one of {}",
                        aegon::Agent::ALL.map(|a| a.as_str()).join(", ")
                    ))
                })?;
                o.agents = Some(o.agents.unwrap_or(aegon::AgentSet::NONE).with(agent));
            }
            Long("token-limit") => {
                let v = parser.value()?.to_string_lossy().into_owned();
                o.token_limit = Some(match v.as_str() {
                    "max" => TokenLimit::Max,
                    // 0 would be a limit every block exceeds at once: a slip, not a limit.
                    n => TokenLimit::Tokens(
                        n.replace([',', '_'], "")
                            .parse()
                            .ok()
                            .filter(|&n: &u64| n > 0)
                            .ok_or_else(|| {
                                custom(format!(
                                    "--token-limit: '{v}' is not a positive number of tokens \
                                     or max"
                                ))
                            })?,
                    ),
                });
            }
            Long("active") => o.active = true,
            Long("no-index") => o.no_index = true,
            Long("pricing") => o.pricing = Some(parser.value()?.into()),
            Long("color") | Long("colour") => o.color = color_value(parser.value()?)?,
            Short('q') | Long("quiet") => o.quiet = true,
            Short('v') | Long("verbose") => o.verbose = true,
            Value(v) if !kind_given && o.paths.is_empty() => {
                let kind = match v.to_str() {
                    Some("daily") => Some(Kind::Daily),
                    Some("weekly") => Some(Kind::Weekly),
                    Some("monthly") => Some(Kind::Monthly),
                    Some("sessions" | "session") => Some(Kind::Sessions),
                    Some("projects" | "project") => Some(Kind::Projects),
                    Some("blocks") => Some(Kind::Blocks),
                    _ => None,
                };
                match kind {
                    Some(k) => o.kind = k,
                    None if looks_like_a_report(&v) => {
                        return Err(custom(format!(
                            "unknown report `{}`: the reports are {REPORTS} (and no file or folder of that name exists)",
                            v.to_string_lossy()
                        )))
                    }
                    None => o.paths.push(v.into()),
                }
                kind_given = true;
            }
            Value(v) => o.paths.push(v.into()),
            _ => return Err(arg.unexpected()),
        }
    }
    let empty = match (&o.since, &o.until) {
        (Some(Bound::Date(a)), Some(Bound::Date(b))) => a > b,
        (Some(Bound::Instant(a)), Some(Bound::Instant(b))) => a > b,
        _ => false,
    };
    if empty {
        return Err(custom(
            "--since is after --until: no day can be in both".into(),
        ));
    }
    if (o.token_limit.is_some() || o.active) && o.kind != Kind::Blocks {
        return Err(custom("--token-limit and --active go with blocks".into()));
    }
    Ok(Some(o))
}

/// Runs `aegon usage` with `args` (after the word `usage`).
pub fn run(args: Vec<OsString>) -> io::Result<ExitCode> {
    let now = now_ms();
    let mut o = match parse(args, now) {
        Ok(Some(o)) => o,
        Ok(None) => {
            io::stdout().lock().write_all(HELP.as_bytes())?;
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => {
            warn_lines(&[&format!("usage: {e}"), "Try 'aegon usage --help'."]);
            return Ok(ExitCode::from(2));
        }
    };
    let tz = match time::zone(o.tz.as_deref()) {
        Ok(tz) => tz,
        Err(message) => {
            warn(&message);
            return Ok(ExitCode::from(2));
        }
    };
    let pricing = match crate::load_pricing_file(o.pricing.as_deref()) {
        Ok(p) => p,
        Err(message) => {
            warn(&message);
            return Ok(ExitCode::from(2));
        }
    };
    let mut failed = false;
    let quiet = o.quiet;
    let mut problem = |p: &Path, e: &str| {
        failed = true;
        if !quiet {
            warn(&format!("{}: {e}", p.display()));
        }
    };
    // `-` is standard input; a path that does not exist is an error said like ripgrep says
    // it (the others are still reported; nothing is when no path given is left).
    let stdin = o.paths.iter().any(|p| p.as_os_str() == "-");
    let named = !o.paths.is_empty();
    let indexing = !o.no_index && !stdin;
    let mut paths = Vec::new();
    // Paths gone from disk whose history the index may still hold (`load` reports it, or says
    // the error when it holds none).
    let mut gone: Vec<Gone> = Vec::new();
    for p in o.paths.iter().filter(|p| p.as_os_str() != "-") {
        let e = match std::fs::metadata(p) {
            Ok(_) => {
                paths.push(p.clone());
                continue;
            }
            Err(e) => e,
        };
        // A session file gone whose subagents' folder is still there: the folder is read,
        // and the error says so, as the filter and `--summary` say it.
        let e = match crate::inputs::gone_session(p) {
            Some((error, folder)) => {
                paths.push(folder);
                error
            }
            None => e,
        };
        if indexing && e.kind() == io::ErrorKind::NotFound {
            gone.push(Gone {
                path: p.clone(),
                error: Some(e.to_string()),
            });
        } else {
            problem(p, &e.to_string());
        }
    }
    // A folder named with no transcript below it is most likely a wrong path (a typo, a disk
    // not mounted): said, exit status 2, as every other command says it. When the index holds
    // history for it (its transcripts deleted since), that history is reported, with a note.
    // The walk that tells it is the one the index update or the fresh read goes through.
    let mut walked: Vec<Walk> = Vec::new();
    paths.retain(|p| {
        if !p.is_dir() {
            return true;
        }
        let walk = Walk::of(p);
        if !walk.transcripts.is_empty() {
            walked.push(walk);
            return true;
        }
        if indexing {
            gone.push(Gone {
                path: p.clone(),
                error: Some(crate::inputs::NO_TRANSCRIPT.to_owned()),
            });
        } else {
            problem(p, crate::inputs::NO_TRANSCRIPT);
        }
        false
    });
    if named && paths.is_empty() && gone.is_empty() && !stdin {
        return Ok(ExitCode::from(2));
    }
    // With no default folder on disk, the index's history of them is still reported; this
    // is said when the index holds none either.
    let mut none_found = None;
    // Only standard input, or only paths gone from disk: nothing to walk.
    let (roots, files) = if paths.is_empty() && (stdin || named) {
        (Vec::new(), Vec::new())
    } else {
        match split_paths(&paths) {
            Ok(v) => v,
            Err(message) if indexing && !named => {
                none_found = Some(message);
                (Vec::new(), Vec::new())
            }
            Err(message) => {
                warn(&message);
                return Ok(ExitCode::from(2));
            }
        }
    };
    if indexing && !named {
        gone.extend(default_gone());
    }
    let how = Load {
        no_index: o.no_index,
        stdin,
        verbose: o.verbose,
    };
    let Loaded {
        entries,
        readings,
        held,
        notes,
        incomplete,
    } = load(&roots, &files, &walked, &gone, how, &pricing, &mut problem);
    if held == 0 && ((named && paths.is_empty() && !stdin) || none_found.is_some()) {
        if let Some(message) = none_found {
            warn(&message);
        }
        return Ok(ExitCode::from(2));
    }
    for note in &notes {
        warn(note);
    }
    // Lines not counted, or counted only in part: in the JSON notes, and said last on stderr.
    let lines_notes: Vec<String> = unread_note(&entries.unread)
        .into_iter()
        .chain(partly_note(&entries.partly))
        .chain(unknown_cost_note(&entries.unknown))
        .collect();
    // Said in the JSON notes (a table's footer says it); not a problem: the exit status stays.
    let waiting = waiting_note(&entries);
    let all_notes: Vec<String> = notes
        .iter()
        .chain(&waiting)
        .chain(&lines_notes)
        .cloned()
        .collect();
    let color = o.color.unwrap_or_else(|| {
        io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    });
    o.width = table_width(
        std::env::var_os("COLUMNS").as_deref(),
        io::stdout()
            .is_terminal()
            .then(|| {
                crossterm::terminal::size()
                    .ok()
                    .map(|(w, _)| usize::from(w))
            })
            .flatten(),
    );
    let width = o.width;
    let mut out = io::stdout().lock();
    // Usage known to be missing from what the report covers (subagents or workflow runs its
    // sessions name and no line of which was read): said as `lines_notes` are, and as
    // `aegon --summary` says it (exit status 1).
    let missing: Vec<String>;
    if o.kind == Kind::Blocks {
        missing = write_blocks(
            &mut out, &o, &entries, &readings, &all_notes, &tz, now, color,
        )?;
    } else {
        let kind = match o.kind {
            Kind::Daily => ReportKind::Period(Period::Day),
            Kind::Weekly => ReportKind::Period(Period::Week(o.week_start)),
            Kind::Monthly => ReportKind::Period(Period::Month),
            Kind::Sessions => ReportKind::Sessions,
            _ => ReportKind::Projects,
        };
        let filter = Filter {
            since: o.since,
            until: o.until,
            project: o.project.clone(),
            agents: o.agents,
        };
        let mut r = report(&entries, kind, o.by, &filter, &tz);
        missing = std::mem::take(&mut r.missing);
        if o.json {
            // On stderr too; a table's notes would say them twice on a terminal.
            r.notes.extend(all_notes.iter().chain(&missing).cloned());
        }
        if o.json {
            serde_json::to_writer_pretty(&mut out, &report_json(&r))?;
            writeln!(out)?;
        } else {
            let options = TableOptions {
                color,
                breakdown: o.breakdown,
                width,
            };
            out.write_all(report_table(&r, options).as_bytes())?;
        }
    }
    out.flush()?;
    if !quiet {
        for note in lines_notes.iter().chain(&missing) {
            warn(note);
        }
    }
    Ok(if failed || incomplete {
        ExitCode::from(2)
    } else if !lines_notes.is_empty() || !missing.is_empty() {
        // As `aegon --summary` exits for problem lines and for subagents named but not read.
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The default folders not on disk (removed with their transcripts, or never there), whose
/// history the index may hold: with [`aegon::source::watch::default_roots`], what a report
/// with no PATH covers (the status line's today and block cover the same).
pub fn default_gone() -> Vec<Gone> {
    aegon::source::watch::default_root_candidates()
        .unwrap_or_default()
        .into_iter()
        .filter(|c| !c.exists())
        .map(|path| Gone { path, error: None })
        .collect()
}

/// A path not on disk, or a folder with no transcript below it, whose history the index may
/// hold.
#[derive(Debug, Clone)]
pub struct Gone {
    /// The folder or file, as named (or a default folder).
    pub path: PathBuf,
    /// The error said when the index holds nothing for it (`None`: a default folder, then
    /// nothing is said).
    pub error: Option<String>,
}

/// What [`load`] found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The responses, priced.
    pub entries: Entries,
    /// The latest official limit readings (none when read afresh).
    pub readings: Vec<LimitReading>,
    /// How many of the paths gone from disk the index holds history for (reported).
    pub held: usize,
    /// What the report may lack and why, for stderr and the JSON `notes`.
    pub notes: Vec<String>,
    /// Whether the index could not be brought up to date, so that what was written to the
    /// transcripts since may be missing (then `aegon usage` exits with 2).
    pub incomplete: bool,
}

/// `one` or `many` by `n`: the closing notes' agreement of words with their counts.
fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// "N line(s) in M transcript(s)": how the closing notes count the lines they are about.
fn lines_in(counted: &ledger::Unread) -> String {
    format!(
        "{} line{} in {} transcript{}",
        counted.lines,
        plural(counted.lines, "", "s"),
        counted.files,
        plural(counted.files, "", "s"),
    )
}

/// The closing line about transcript lines that could not be read, if any: a report is
/// complete only for the lines that could be.
pub fn unread_note(unread: &ledger::Unread) -> Option<String> {
    if unread.lines == 0 {
        return None;
    }
    Some(format!(
        "{} could not be read and {} not counted (first: {}); `aegon audit FILE` lists every one",
        lines_in(unread),
        plural(unread.lines, "is", "are"),
        unread.first.as_deref().unwrap_or("?"),
    ))
}

/// The closing line about transcript lines read with a problem in their usage, if any (a
/// token count refused and read as 0, usage on a record type that is not counted, usage in a
/// shape aegon does not read: [`ledger::collect::about_usage`]): their usage is counted only
/// in part, as `aegon --summary` says them line by line.
pub fn partly_note(partly: &ledger::Unread) -> Option<String> {
    if partly.lines == 0 {
        return None;
    }
    Some(format!(
        "{} {} usage aegon could not read, not counted (first: {}); \
         `aegon --summary FILE` says each one",
        lines_in(partly),
        plural(partly.lines, "holds", "hold"),
        partly.first.as_deref().unwrap_or("?"),
    ))
}

/// The closing line about transcript lines whose usage aegon could not read whole (a shape it
/// does not know: [`ledger::collect::costs_unknown`]), if any: their responses are counted as
/// API calls, their known tokens too, and their cost is unknown (reports give none, and totals
/// are lower bounds), as `aegon --summary` counts them.
pub fn unknown_cost_note(unknown: &ledger::Unread) -> Option<String> {
    if unknown.lines == 0 {
        return None;
    }
    Some(format!(
        "{} {} usage aegon could not read whole: counted as API calls, their cost unknown \
         (first: {}); `aegon --summary FILE` says each one",
        lines_in(unknown),
        plural(unknown.lines, "holds", "hold"),
        unknown.first.as_deref().unwrap_or("?"),
    ))
}

/// The note about sessions whose counts are not written yet (a running Copilot CLI session:
/// [`aegon::tokens::Unread::NotYetWritten`]), if any: why their cost is unknown for now, when
/// nothing in their lines is wrong.
pub fn waiting_note(entries: &ledger::Entries) -> Option<String> {
    let why = aegon::tokens::Unread::NotYetWritten.describe();
    let sessions: std::collections::BTreeSet<u32> = entries
        .rows
        .iter()
        .filter(|e| e.unpriced != 0 && entries.name(e.unpriced) == why)
        .map(|e| e.session)
        .collect();
    let n = sessions.len() as u64;
    (n > 0).then(|| {
        format!(
            "{n} session{} still running: {why}; {} cost is unknown until then",
            plural(n, "", "s"),
            plural(n, "its", "their"),
        )
    })
}

/// Folders and files named, or Claude Code's folders when none. A session file named brings
/// its subagents' folder (`SESSION.jsonl` → `SESSION/subagents/`, as the filter reads it:
/// [`crate::inputs::subagents_of`]) as one more folder, and its subagents' files of before
/// Claude Code 2.1 beside it ([`crate::inputs::agents_beside`]) as more files; a file met
/// twice counts once.
pub fn split_paths(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<PathBuf>), String> {
    if paths.is_empty() {
        return Ok((aegon::source::watch::default_roots()?, Vec::new()));
    }
    let (mut roots, mut files): (Vec<PathBuf>, Vec<PathBuf>) =
        paths.iter().cloned().partition(|p| p.is_dir());
    roots.extend(files.iter().filter_map(|f| crate::inputs::subagents_of(f)));
    let beside: Vec<PathBuf> = files
        .iter()
        .flat_map(|f| crate::inputs::agents_beside(f))
        .collect();
    files.extend(beside);
    Ok((roots, files))
}

/// A folder named, walked once for its transcripts (as named: `DIR/…`), with what could not
/// be read below it, to be said when it is read.
#[derive(Debug, Default)]
pub struct Walk {
    /// The folder, as named.
    pub folder: PathBuf,
    /// Its transcripts ([`aegon::source::tree::transcripts_below`]).
    pub transcripts: Vec<PathBuf>,
    /// What could not be read, and why.
    pub problems: Vec<(PathBuf, String)>,
}

impl Walk {
    /// Walks `folder`.
    pub fn of(folder: &Path) -> Walk {
        let mut problems = Vec::new();
        let transcripts = aegon::source::tree::transcripts_below(folder, |p, e| {
            problems.push((p.to_owned(), e.to_string()))
        });
        Walk {
            folder: folder.to_owned(),
            transcripts,
            problems,
        }
    }

    /// The walk of `root` in `walked`, if it was walked.
    fn find<'a>(walked: &'a [Walk], root: &Path) -> Option<&'a Walk> {
        walked.iter().find(|w| w.folder == root)
    }

    /// Tells `problem` what could not be read below the folder.
    fn say(&self, problem: &mut dyn FnMut(&Path, &str)) {
        for (p, e) in &self.problems {
            problem(p, e);
        }
    }

    /// The walk as [`Ledger::update_walked`] takes it (below the folder's canonical path, as
    /// the index keys files); what it could not read, spelled the same way.
    fn indexed(&self) -> (ledger::Walked, Vec<(PathBuf, String)>) {
        let root = ledger::canonical(&self.folder);
        let respell = |p: &Path| match p.strip_prefix(&self.folder) {
            Ok(rest) if rest.as_os_str().is_empty() => root.clone(),
            Ok(rest) => root.join(rest),
            Err(_) => p.to_owned(),
        };
        let walked = ledger::Walked {
            transcripts: self.transcripts.iter().map(|p| respell(p)).collect(),
            root: root.clone(),
        };
        let problems = self
            .problems
            .iter()
            .map(|(p, e)| (respell(p), e.clone()))
            .collect();
        (walked, problems)
    }
}

/// How [`load`] reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Load {
    /// Read the transcripts afresh, without the index.
    pub no_index: bool,
    /// Read one transcript from standard input too (then everything is read afresh).
    pub stdin: bool,
    /// Say on stderr what the index update did ([`update_note`]).
    pub verbose: bool,
}

/// The responses of `roots` and `files` (and standard input, with `how.stdin`; a root in
/// `walked` is not walked again), from the
/// index brought up to date (or read afresh with `how.no_index` or `how.stdin`, or when the
/// index cannot be used: then a note says so), each priced with `pricing`, the latest
/// official limit readings, and how many of `gone` the index holds history for (that history
/// is reported, with a note each; `problem` is told the error of a named one it holds none
/// for). When the index cannot be written (disk full, read-only), the report is what it
/// holds, and a note says what is missing; when it cannot be opened at all, the transcripts
/// are read afresh and a note says so (the exit status stays 0 then, unless the index is
/// a newer aegon's or damaged past repair: its history is missing, status 2). Damage met by
/// any query is repaired and the run done again ([`Ledger::repair`]).
pub fn load(
    roots: &[PathBuf],
    files: &[PathBuf],
    walked: &[Walk],
    gone: &[Gone],
    how: Load,
    pricing: &Pricing,
    problem: &mut dyn FnMut(&Path, &str),
) -> Loaded {
    let mut notes = Vec::new();
    let mut refused = false;
    if !how.no_index && !how.stdin {
        match indexed(
            Named {
                roots,
                walked,
                files,
            },
            gone,
            how.verbose,
            pricing,
            problem,
            &mut notes,
        ) {
            Ok(mut v) => {
                v.notes.splice(0..0, notes);
                return v;
            }
            Err(e) => {
                notes.clear();
                notes.push(format!(
                "{e}; reading the transcripts afresh instead (history deleted from disk is missing)"
            ));
                // A newer aegon's index this one cannot read, or a damaged one that could not
                // be repaired, holds history this report lacks.
                refused = e.is_newer() || e.is_corrupt();
            }
        }
    }
    // An index that cannot be opened (most often locked past the busy timeout by other
    // writers) is said in the notes; the exit status stays 0, as before.
    for g in gone {
        if let Some(error) = &g.error {
            problem(&g.path, error);
        }
    }
    let mut all: Vec<PathBuf> = Vec::new();
    for root in roots {
        match Walk::find(walked, root) {
            Some(walk) => {
                walk.say(problem);
                all.extend(walk.transcripts.iter().cloned());
            }
            None => all.extend(aegon::source::tree::transcripts_below(root, |p, e| {
                problem(p, &e.to_string())
            })),
        }
    }
    all.extend(files.iter().cloned());
    let mut input = io::stdin().lock();
    let stdin: Option<&mut dyn io::Read> = if how.stdin { Some(&mut input) } else { None };
    Loaded {
        entries: ledger::read_fresh_with_stdin(&all, stdin, pricing, problem),
        notes,
        incomplete: refused,
        ..Loaded::default()
    }
}

/// What an index update did, for `--verbose`: one line of counts, then one line per file read
/// again from its start, named as the user named it (`roots`, `files`) where it can be.
pub fn update_note(
    stats: &ledger::UpdateStats,
    roots: &[PathBuf],
    files: &[PathBuf],
) -> Vec<String> {
    let mut note = vec![format!(
        "index: {} transcript{} looked at, {} read ({} bytes), {} read again from the start, \
         {} gone from disk (history kept)",
        stats.files,
        if stats.files == 1 { "" } else { "s" },
        stats.files_read,
        aegon::usage::render::thousands(stats.bytes),
        stats.rereads.len(),
        stats.gone,
    )];
    for (path, why) in &stats.rereads {
        let why = match why {
            ledger::Reread::Truncated => "shorter than what was read",
            ledger::Reread::Replaced => "another file now (device or inode changed)",
            ledger::Reread::Rewritten => "rewritten whole by its agent",
            ledger::Reread::Overwritten => "written over in place",
        };
        let shown = ledger::as_named(path, roots, files).unwrap_or_else(|| PathBuf::from(path));
        note.push(format!(
            "  read again from the start: {}: {why}",
            shown.display()
        ));
    }
    note
}

/// What [`indexed`] reads: folders (with the walk of those walked already) and files.
#[derive(Clone, Copy)]
struct Named<'a> {
    roots: &'a [PathBuf],
    walked: &'a [Walk],
    files: &'a [PathBuf],
}

fn indexed(
    named: Named,
    gone: &[Gone],
    verbose: bool,
    pricing: &Pricing,
    problem: &mut dyn FnMut(&Path, &str),
    notes: &mut Vec<String>,
) -> Result<Loaded, ledger::Error> {
    let path = ledger::default_path()?;
    let mut note = |n: &str| warn(n);
    let mut ledger = Ledger::open(&path, &mut note)?;
    // Damage met by any query (whichever first reaches a damaged page, wherever it is) takes
    // one path: the index is repaired (set aside and rebuilt with what it still holds, or
    // found rebuilt by another process meanwhile) and the run done again on it, once.
    let mut repaired = false;
    loop {
        let mut these = Vec::new();
        match indexed_in(
            &mut ledger,
            named,
            gone,
            verbose,
            pricing,
            problem,
            &mut these,
        ) {
            Err(e) if e.is_corrupt() && !repaired => {
                repaired = true;
                ledger = match ledger.repair(&e, &mut note) {
                    Ok(l) => l,
                    // Not rebuilt (the data folder read-only, the rebuild lock held too long):
                    // the damage is what the report says (read afresh, exit status 2).
                    Err(again) => {
                        note(&format!(
                            "{}: could not be rebuilt: {again}",
                            path.display()
                        ));
                        return Err(e);
                    }
                };
            }
            result => {
                notes.extend(these);
                return result;
            }
        }
    }
}

/// [`indexed`] on the index open.
fn indexed_in(
    ledger: &mut Ledger,
    named: Named,
    gone: &[Gone],
    verbose: bool,
    pricing: &Pricing,
    problem: &mut dyn FnMut(&Path, &str),
    notes: &mut Vec<String>,
) -> Result<Loaded, ledger::Error> {
    let Named {
        roots,
        walked,
        files,
    } = named;
    // What is gone from disk is not read, but its history in the index is reported.
    let mut scope_roots = roots.to_vec();
    let mut scope_files = files.to_vec();
    let mut held = 0;
    for g in gone {
        if ledger.holds(&g.path)? {
            held += 1;
            let why = if g.path.is_dir() {
                "no .jsonl transcript below this directory now"
            } else {
                "no longer on disk"
            };
            notes.push(format!(
                "{}: {why}; reporting the history the index holds for it",
                g.path.display()
            ));
            // A folder's files are found below it, a file by its row; the other finds nothing.
            scope_roots.push(g.path.clone());
            scope_files.push(g.path.clone());
        } else if let Some(error) = &g.error {
            problem(&g.path, error);
        }
    }
    let scope = |ids: Vec<i64>| Scope::Paths {
        roots: scope_roots.clone(),
        files: scope_files.clone(),
        ids,
    };
    // A newer aegon's index read without being written: said, and the report is partial
    // (exit status 2) when the transcripts hold lines it has not indexed.
    let mut pending = 0;
    let mut said = |stats: ledger::UpdateStats| {
        pending += stats.pending_files;
        if verbose {
            let note = update_note(&stats, roots, files);
            crate::report::warn_lines(&note.iter().map(String::as_str).collect::<Vec<_>>());
        }
        stats.file_ids
    };
    // Each folder walked once (those walked already are not walked again), for both updates
    // below when the first finds the index damaged.
    let walks: Vec<ledger::Walked> = roots
        .iter()
        .map(|root| match Walk::find(walked, root) {
            Some(walk) => {
                let (walked, problems) = walk.indexed();
                for (p, e) in &problems {
                    problem(p, e);
                }
                walked
            }
            None => ledger::Walked::walk(root, &mut *problem),
        })
        .collect();
    let result = ledger
        .update_walked(&walks, files, problem, None)
        .and_then(|stats| ledger.entries(&scope(said(stats)), None, pricing));
    let mut incomplete = false;
    let entries = match result {
        Ok(e) => e,
        Err(e) if e.is_corrupt() => return Err(e),
        Err(e) => {
            // The index cannot be written (disk full, read-only): what it holds is still the
            // history, so it is reported as it is, and what could not be added is said.
            let entries = ledger.entries(&scope(Vec::new()), None, pricing)?;
            incomplete = true;
            notes.push(format!(
                "usage index: could not be brought up to date ({}): this report is what it \
                 holds; what was written to the transcripts since it was last brought up to \
                 date may be missing",
                e.to_string().trim_start_matches("usage index: ")
            ));
            entries
        }
    };
    // Responses that files read again no longer hold, which left the index, recorded by
    // whichever run read them again (this one, or the status line): said once, by the run
    // that takes them. One that cannot be written keeps them for the next run.
    let dropped = match ledger.take_dropped() {
        Ok(d) => d,
        Err(e) if e.is_corrupt() => return Err(e),
        Err(_) => Vec::new(),
    };
    for d in &dropped {
        let shown =
            ledger::as_named(&d.path, roots, files).unwrap_or_else(|| PathBuf::from(&d.path));
        notes.push(d.note(&shown, pricing));
    }
    // A damaged index rebuilt from what it still held: said on every report while its
    // damaged copy exists and history may be missing (exit status 2), once when nothing is.
    for damage in ledger.damage()? {
        incomplete |= !damage.complete;
        notes.push(damage.note());
    }
    if let Some(why) = ledger.read_only() {
        if pending > 0 {
            incomplete = true;
            notes.push(format!(
                "{why}; {pending} transcript{} lines not in it, missing from this report",
                if pending == 1 { " has" } else { "s have" }
            ));
        } else {
            notes.push(why.to_owned());
        }
    }
    let readings =
        ledger.latest_readings(&aegon::source::watch::claude_config_dirs().unwrap_or_default())?;
    Ok(Loaded {
        entries,
        readings,
        held,
        notes: Vec::new(),
        incomplete,
    })
}

fn hm(minutes: i64) -> String {
    let m = minutes.max(0);
    if m >= 60 {
        format!("{}h{:02}m", m / 60, m % 60)
    } else {
        format!("{m}m")
    }
}

fn local_time(ms: i64, tz: &TimeZone) -> String {
    time::format_local(ms, tz)
}

/// Whether an official reading no longer holds at `now`: its window has reset since (at its
/// reset time or later), so its figure is of a window that is over.
fn expired(r: &LimitReading, now: i64) -> bool {
    r.resets_at_ms.is_some_and(|at| at <= now)
}

/// The agents whose blocks a report shows, in [`aegon::Agent::ALL`]'s order: those of
/// `--agent`, else Claude Code's alone (the 5-hour window is Anthropic's subscription limit,
/// as ccusage's blocks are Claude Code's).
fn block_agents(agents: Option<aegon::AgentSet>) -> Vec<aegon::Agent> {
    match agents {
        Some(set) => aegon::Agent::ALL
            .into_iter()
            .filter(|a| set.contains(*a))
            .collect(),
        None => vec![aegon::Agent::ClaudeCode],
    }
}

// What a blocks report is made of, each its own: bundling them would only rename them.
#[allow(clippy::too_many_arguments)]
fn write_blocks(
    out: &mut impl Write,
    o: &Options,
    entries: &Entries,
    readings: &[LimitReading],
    notes: &[String],
    tz: &TimeZone,
    now: i64,
    color: bool,
) -> io::Result<Vec<String>> {
    // Responses without a time belong to no block: left out, and said, as the other reports
    // say them (tester14 #10: the blocks report left them out silently).
    let mut notes = notes.to_vec();
    if entries.undated > 0 {
        notes.insert(
            0,
            aegon::usage::undated_note(
                entries.undated,
                aegon::usage::total_tokens(&entries.undated_tokens),
            ),
        );
    }
    let agents = block_agents(o.agents);
    // Official readings are Claude Code's (its status line's rate_limits).
    let readings = if agents.contains(&aegon::Agent::ClaudeCode) {
        readings
    } else {
        &[]
    };
    let official = readings.iter().find(|r| r.window == "five_hour");
    // Each agent's blocks on their own: one agent's responses never start or fill another's.
    let mut groups: Vec<(aegon::Agent, Vec<Block>, Option<u64>)> = Vec::new();
    for &agent in &agents {
        let all = blocks::blocks(
            entries,
            &entries.limit_hits,
            official,
            tz,
            now,
            agent,
            o.project.as_deref(),
        );
        // max over every completed block of the agent, before filters (ccusage's v20
        // computes it after).
        let limit = o.token_limit.map(|l| match l {
            TokenLimit::Max => blocks::max_completed_tokens(&all),
            TokenLimit::Tokens(n) => n,
        });
        let mut shown = blocks::filter_overlapping(all, o.since, o.until, tz);
        if o.active {
            shown.retain(|b| b.is_active);
        }
        groups.push((agent, shown, limit));
    }
    // The sessions of the responses in the blocks shown, when some session's usage is known
    // to be missing: their notes (in the JSON's notes, and given back for stderr).
    let mut covered = std::collections::BTreeSet::new();
    if !entries.named.is_empty() {
        for (agent, shown, _) in &groups {
            let rows = entries.rows.iter().filter(|e| {
                e.agent == *agent
                    && entries.named.contains_key(entries.name(e.session))
                    && o.project
                        .as_deref()
                        .is_none_or(|want| entries.name(e.project).contains(want))
            });
            for e in rows {
                let within = |b: &Block| !b.is_gap && b.start_ms <= e.ts_ms && e.ts_ms < b.end_ms;
                if shown.iter().any(within) {
                    covered.insert(e.session);
                }
            }
        }
    }
    let missing = aegon::usage::missing_notes(entries, &covered);
    let readings_json: Vec<Value> = readings
        .iter()
        .map(|r| {
            json!({
                "window": r.window,
                "usedPercent": r.used_percent,
                "resetsAt": r.resets_at_ms.map(rfc3339),
                "readAt": rfc3339(r.read_ms),
                "ageSeconds": (now - r.read_ms) / 1000,
                "expired": expired(r, now),
            })
        })
        .collect();
    if o.json {
        let list: Vec<Value> = groups
            .iter()
            .flat_map(|(agent, shown, limit)| {
                shown.iter().map(move |b| {
                    let mut v = block_json(b, now, *limit);
                    v["agent"] = json!(agent.as_str());
                    v
                })
            })
            .collect();
        let mut doc = json!({
            "v": aegon::usage::render::USAGE_SCHEMA_VERSION,
            "report": "blocks",
            "timezone": time::zone_name(tz),
            "estimate": true,
            "blocks": list,
            "official": readings_json,
        });
        let notes: Vec<&String> = notes.iter().chain(&missing).collect();
        if !notes.is_empty() {
            doc["notes"] = json!(notes);
        }
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
        return Ok(missing);
    }
    let several = groups.len() > 1;
    for (i, (agent, shown, limit)) in groups.iter().enumerate() {
        if several {
            if i > 0 {
                writeln!(out)?;
            }
            let (bold, reset) = if color {
                ("\x1b[1m", "\x1b[0m")
            } else {
                ("", "")
            };
            writeln!(out, "{bold}{}{reset}", agent.display_name())?;
        }
        write_agent_blocks(out, o.width, *agent, shown, *limit, tz, now, color)?;
    }
    write_readings(out, o.width, readings, tz, now, color)?;
    // What the blocks leave out, under them (the JSON's notes), as the other tables end.
    if let Some(note) = notes.first().filter(|_| entries.undated > 0) {
        let (_, dim, reset) = block_styles(color);
        writeln!(out, "{dim}note: {note}{reset}")?;
    }
    Ok(missing)
}

/// The bold, dim and reset sequences of the blocks report (empty without colour).
fn block_styles(color: bool) -> (&'static str, &'static str, &'static str) {
    if color {
        ("\x1b[1m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "")
    }
}

/// The table of one agent's blocks and its active block's figures.
#[allow(clippy::too_many_arguments)]
fn write_agent_blocks(
    out: &mut impl Write,
    width: Option<usize>,
    agent: aegon::Agent,
    shown: &[Block],
    limit: Option<u64>,
    tz: &TimeZone,
    now: i64,
    color: bool,
) -> io::Result<()> {
    let (bold, dim, reset) = block_styles(color);
    // Fitted to the width (aegon::usage::table): the compact layout shortens times and
    // statuses (ccusage's narrow layout writes its block times shorter too), then Models is
    // cut, then Models, Tokens and % of limit are left out (the cost stays, as in the other
    // reports).
    let mut columns = vec![
        Column::new("Block start", false),
        Column::new("Duration/Status", false).cut(12, false),
        Column::new("Models", false).cut(6, false).drop_rank(1),
        Column::new("Tokens", true).drop_rank(2),
        Column::new(if limit.is_some() { "% of limit" } else { "" }, true).drop_rank(3),
        Column::new("Cost", true),
    ];
    if limit.is_none() && width.is_some() {
        // An empty column (no limit) is not kept where the width counts.
        columns[4] = columns[4].clone().compact();
    }
    let mut rows: Vec<Row> = Vec::new();
    for b in shown {
        let tokens = total_tokens(&b.usage.tokens());
        let (status, short) = if b.is_gap {
            let gap = format!("({} gap)", hm((b.end_ms - b.start_ms) / 60_000));
            (gap.clone(), gap)
        } else if b.is_active {
            let left = hm((b.end_ms - now) / 60_000);
            (format!("ACTIVE, {left} left"), format!("ACTIVE {left}"))
        } else if b.is_future(now) {
            (
                "IN THE FUTURE (a clock is wrong)".to_owned(),
                "IN THE FUTURE".to_owned(),
            )
        } else {
            let d = hm((b.actual_end_ms.unwrap_or(b.start_ms) - b.start_ms) / 60_000);
            (d.clone(), d)
        };
        let (end_mark, short_mark) = match b.end_source {
            blocks::EndSource::Estimate => ("", ""),
            blocks::EndSource::Transcript => (" (reset from transcript)", " (transcript)"),
            blocks::EndSource::Official => (" (official reset)", " (official)"),
        };
        let models: Vec<String> = b.usage.models().iter().map(|m| short_model(m)).collect();
        let percent = match limit {
            Some(l) if l > 0 && !b.is_gap => format!("{:.1}%", tokens as f64 * 100.0 / l as f64),
            _ => String::new(),
        };
        let (tokens, cost) = if b.is_gap {
            (String::new(), String::new())
        } else {
            (
                aegon::usage::render::thousands(tokens),
                aegon::usage::render::money(&b.usage),
            )
        };
        let cells = vec![
            local_time(b.start_ms, tz),
            format!("{status}{end_mark}"),
            models.join(", "),
            tokens,
            percent,
            cost,
        ];
        let mut short_cells = cells.clone();
        short_cells[0] = time::format_local_short(b.start_ms, tz);
        short_cells[1] = format!("{short}{short_mark}");
        rows.push(Row {
            short: Some(short_cells),
            ..Row::new(cells, if b.is_gap { Style::Dim } else { Style::Plain })
        });
    }
    let fitted = fit(&columns, &rows, width, color);
    out.write_all(fitted.text.as_bytes())?;
    let whose = if agent == aegon::Agent::ClaudeCode {
        "Claude Code's usage alone (Anthropic's 5-hour limit; other agents: --agent NAME)"
    } else {
        "this agent's usage alone, by the same rule (its vendor's limits are its own)"
    };
    let mut footer = vec![format!(
        "Blocks are estimates (start floored to the UTC hour, 5 h long) of {whose}; times in {}.",
        time::zone_name(tz)
    )];
    footer.extend(width.and_then(|w| fitted.note(w)));
    for line in footer {
        let text = wrap(&line, width);
        writeln!(out, "{dim}{}{reset}", text.trim_end_matches('\n'))?;
    }
    let say = |out: &mut dyn Write, style: &str, text: &str| say(out, width, reset, style, text);
    if let Some(b) = shown.iter().find(|b| b.is_active) {
        let tokens = total_tokens(&b.usage.tokens());
        writeln!(out)?;
        say(
            out,
            bold,
            &format!("Active block ({} end)", b.end_source.as_str()),
        )?;
        say(
            out,
            "",
            &format!(
                "  started {}  elapsed {}  remaining {}  ends {}",
                local_time(b.start_ms, tz),
                hm((now - b.start_ms) / 60_000),
                hm((b.end_ms - now) / 60_000),
                local_time(b.end_ms, tz)
            ),
        )?;
        say(
            out,
            "",
            &format!(
                "  tokens {}  cost {}",
                aegon::usage::render::thousands(tokens),
                aegon::usage::render::money(&b.usage)
            ),
        )?;
        // Dollars as in the table: `<$0.01` under a cent, `+` when a model has no price.
        let partial = !b.usage.unpriced().is_empty();
        match b.burn_rate(now) {
            Some(rate) => say(out, "", &format!(
                                "  burn rate {:.0} tokens/min ({:.0} input+output)  {}/h  over {} since the first response",
                rate.tokens_per_minute,
                rate.tokens_per_minute_for_indicator,
                usd_at_least(rate.cost_per_hour, partial),
                hm(rate.minutes as i64)
            ))?,
            None => say(out, "", &format!(
                                "  burn rate and projection: after {} of use",
                hm(blocks::MIN_RATE_MS / 60_000)
            ))?,
        }
        if let Some(p) = b.projection(now) {
            let status = limit
                .map(|l| {
                    format!(
                        "  limit {}: {}",
                        aegon::usage::render::thousands(l),
                        blocks::limit_status(p.total_tokens, l)
                    )
                })
                .unwrap_or_default();
            say(
                out,
                "",
                &format!(
                    "  projection {} tokens  {} at the block's end{status}",
                    aegon::usage::render::thousands(p.total_tokens),
                    usd_at_least(p.total_cost, partial)
                ),
            )?;
        }
    }
    Ok(())
}

/// The prose under a table, fitted to `width` as its footer is (a line is never wider, its
/// indent kept on every line), each line in `style` (an SGR sequence, or empty).
fn say(
    out: &mut dyn Write,
    width: Option<usize>,
    reset: &str,
    style: &str,
    text: &str,
) -> io::Result<()> {
    let body = text.trim_start_matches(' ');
    let indent = &text[..text.len() - body.len()];
    let end = if style.is_empty() { "" } else { reset };
    let wrapped = wrap(body, width.map(|w| w.saturating_sub(indent.len()).max(1)));
    for line in wrapped.lines() {
        writeln!(out, "{style}{indent}{line}{end}")?;
    }
    Ok(())
}

/// The official limit readings under a blocks report (Claude Code's).
fn write_readings(
    out: &mut impl Write,
    width: Option<usize>,
    readings: &[LimitReading],
    tz: &TimeZone,
    now: i64,
    color: bool,
) -> io::Result<()> {
    let (bold, dim, reset) = block_styles(color);
    let say = |out: &mut dyn Write, style: &str, text: &str| say(out, width, reset, style, text);
    if !readings.is_empty() {
        writeln!(out)?;
        say(
            out,
            bold,
            "Official limits (Claude Code's rate_limits, as last read by aegon statusline)",
        )?;
        for r in readings {
            match r.resets_at_ms.filter(|_| expired(r, now)) {
                Some(at) => say(
                    out,
                    dim,
                    &format!(
                        "  {:<10} expired: reset at {} since it was read {} ago ({:.1}% used then)",
                        r.window,
                        local_time(at, tz),
                        hm((now - r.read_ms) / 60_000),
                        r.used_percent,
                    ),
                )?,
                None => say(
                    out,
                    "",
                    &format!(
                        "  {:<10} {:>5.1}% used  resets {}  read {} ago",
                        r.window,
                        r.used_percent,
                        r.resets_at_ms
                            .map_or_else(|| "unknown".to_owned(), |ms| local_time(ms, tz)),
                        hm((now - r.read_ms) / 60_000)
                    ),
                )?,
            }
        }
    }
    Ok(())
}

fn block_json(b: &Block, now: i64, limit: Option<u64>) -> Value {
    let t = b.usage.tokens();
    let total = total_tokens(&t);
    // ccusage's id: the start with milliseconds, `gap-` before a gap's; its times likewise.
    let id = if b.is_gap {
        format!("gap-{}", rfc3339(b.start_ms))
    } else {
        rfc3339(b.start_ms)
    };
    let known = b.usage.cost().is_some();
    let mut v = json!({
        "id": id,
        "startTime": rfc3339(b.start_ms),
        // A gap's is ccusage's, when use resumed (the table's gap ends where the next block
        // starts, up to an hour before: rows do not overlap there).
        "endTime": rfc3339(b.resumed_ms.unwrap_or(b.end_ms)),
        "endSource": b.end_source.as_str(),
        "actualEndTime": b.actual_end_ms.map(rfc3339),
        "isActive": b.is_active,
        "isGap": b.is_gap,
        "isFuture": b.is_future(now),
        "entries": b.usage.responses,
        "tokenCounts": {
            "inputTokens": t.input,
            "outputTokens": t.output,
            "cacheCreationInputTokens": t.cache_write_5m.saturating_add(t.cache_write_1h),
            "cacheReadInputTokens": t.cache_read,
        },
        "totalTokens": total,
        // Unknown (null) when a response has no known price; the priced part beside it.
        "costUSD": b.usage.cost(),
        "pricedCostUSD": b.usage.priced_cost(),
        "unpricedModels": b.usage.no_price(),
        "models": b.usage.models(),
        // The rate and projection's dollars are unknown (null) with the block's, the priced
        // part beside them (tester8 finding 7: they were $0, or the priced part, unflagged).
        "burnRate": b.burn_rate(now).map(|r| json!({
            "tokensPerMinute": r.tokens_per_minute,
            "tokensPerMinuteForIndicator": r.tokens_per_minute_for_indicator,
            "costPerHour": known.then_some(r.cost_per_hour),
            "pricedCostPerHour": r.cost_per_hour,
            "minutes": r.minutes,
        })),
        "projection": b.projection(now).map(|p| {
            // To the cent, as ccusage writes it.
            let cents = (p.total_cost * 100.0).round() / 100.0;
            json!({
                "totalTokens": p.total_tokens,
                "totalCost": known.then_some(cents),
                "pricedTotalCost": cents,
                "remainingMinutes": p.remaining_minutes,
            })
        }),
    });
    if let (Some(l), false) = (limit, b.is_gap) {
        let projected = b.projection(now).map_or(total, |p| p.total_tokens);
        v["tokenLimitStatus"] = json!({
            "limit": l,
            "projectedUsage": projected,
            "percentUsed": if l > 0 { projected as f64 * 100.0 / l as f64 } else { 0.0 },
            "status": blocks::limit_status(projected, l),
        });
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn an_official_reading_past_its_reset_is_shown_expired() {
        // A fixed clock: 2026-01-29 00:00:00 UTC. The 5-hour reading (read 3 h before) reset an
        // hour ago; the 7-day one (read then too) resets in two days.
        let now = 1_769_644_800_000;
        let hour = 3_600_000;
        let reading = |window: &str, used: f64, resets: i64| LimitReading {
            read_ms: now - 3 * hour,
            window: window.to_owned(),
            used_percent: used,
            resets_at_ms: Some(resets),
            session: None,
        };
        let readings = [
            reading("five_hour", 92.0, now - hour),
            reading("seven_day", 41.5, now + 48 * hour),
        ];
        let tz = TimeZone::UTC;
        let entries = Entries::default();
        let o = parse(args(&["blocks"]), 0).unwrap().unwrap();
        let mut out = Vec::new();
        write_blocks(&mut out, &o, &entries, &readings, &[], &tz, now, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        let five = text.lines().find(|l| l.contains("five_hour")).unwrap();
        assert!(five.contains("expired: reset at"), "{text}");
        assert!(
            five.contains(&time::format_local(now - hour, &tz)),
            "{text}"
        );
        assert!(five.contains("read 3h00m ago (92.0% used then)"), "{text}");
        assert!(!five.contains("92.0% used  resets"), "{text}");
        let seven = text.lines().find(|l| l.contains("seven_day")).unwrap();
        assert!(seven.contains("41.5% used  resets"), "{text}");

        let o = parse(args(&["blocks", "--json"]), 0).unwrap().unwrap();
        let mut out = Vec::new();
        write_blocks(&mut out, &o, &entries, &readings, &[], &tz, now, false).unwrap();
        let doc: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["official"][0]["window"], "five_hour");
        assert_eq!(doc["official"][0]["expired"], true);
        assert_eq!(doc["official"][1]["expired"], false);
    }

    #[test]
    fn an_unknown_report_is_named_unless_a_file_has_that_name() {
        let err = parse(args(&["fortnightly"]), 0).unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown report `fortnightly`: the reports are daily, weekly, monthly, sessions, \
             projects, blocks (and no file or folder of that name exists)"
        );
        // A path-like word that does not exist is still taken as a path (its error says so).
        let o = parse(args(&["no/such.jsonl"]), 0).unwrap().unwrap();
        assert_eq!(o.paths, [PathBuf::from("no/such.jsonl")]);
        // A bare word that names a real folder (tests run in the crate's folder): a path.
        assert!(Path::new("src").is_dir());
        let o = parse(args(&["src"]), 0).unwrap().unwrap();
        assert_eq!(o.paths, [PathBuf::from("src")]);
        assert!(looks_like_a_report("fortnightly".as_ref()));
        assert!(!looks_like_a_report("src".as_ref()));
    }

    /// The fresh-user report: a gap row ran to the next response, into the block after it;
    /// it ends where that block starts, and its duration says so. Responses (generated) at
    /// 00:20, 05:01 and 12:30 UTC: blocks 00:00, 05:00 and 12:00; the gap runs 10:01
    /// (05:01 + 5 h) → 12:00, 1h59m (ccusage: → 12:30, 2h29m). Whole, and at 40 columns.
    /// The JSON's `endTime` keeps ccusage's field its meaning: 12:30.
    #[test]
    fn a_gap_row_ends_where_the_next_block_starts() {
        let (h, m) = (3_600_000i64, 60_000i64);
        let t0 = 1_769_558_400_000; // 2026-01-28T00:00:00Z
        let entries = Entries {
            names: vec![String::new(), "claude-sonnet-4-5".into()],
            rows: [t0 + 20 * m, t0 + 5 * h + m, t0 + 12 * h + 30 * m]
                .iter()
                .map(|&ts_ms| aegon::ledger::Entry {
                    ts_ms,
                    session: 0,
                    project: 0,
                    model: 1,
                    subagent: false,
                    agent: aegon::Agent::ClaudeCode,
                    tokens: aegon::tokens::Tokens {
                        input: 10,
                        output: 90,
                        ..Default::default()
                    },
                    cost_pico: Some(1_380_000_000),
                    estimated: false,
                    unpriced: 0,
                    call: true,
                })
                .collect(),
            ..Entries::default()
        };
        let mut o = parse(args(&["blocks"]), 0).unwrap().unwrap();
        for width in [None, Some(40)] {
            o.width = width;
            let mut out = Vec::new();
            let now = t0 + 100 * h;
            write_blocks(&mut out, &o, &entries, &[], &[], &TimeZone::UTC, now, false).unwrap();
            let text = String::from_utf8(out).unwrap();
            let gap = text.lines().find(|l| l.contains("gap)")).unwrap();
            assert!(gap.contains("10:01  (1h59m gap)"), "{width:?}: {text}");
            let next = text.lines().skip_while(|l| *l != gap).nth(1).unwrap();
            assert!(next.contains("12:00  "), "{width:?}: {text}");
        }
        let o = parse(args(&["blocks", "--json"]), 0).unwrap().unwrap();
        let mut out = Vec::new();
        write_blocks(
            &mut out,
            &o,
            &entries,
            &[],
            &[],
            &TimeZone::UTC,
            t0 + 100 * h,
            false,
        )
        .unwrap();
        let doc: Value = serde_json::from_slice(&out).unwrap();
        let ids: Vec<&str> = doc["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [
                "2026-01-28T00:00:00.000Z",
                "2026-01-28T05:00:00.000Z",
                "gap-2026-01-28T10:01:00.000Z",
                "2026-01-28T12:00:00.000Z"
            ]
        );
        // The JSON's gap ends when use resumed, as ccusage's: the response at 12:30.
        assert_eq!(doc["blocks"][2]["endTime"], "2026-01-28T12:30:00.000Z");
    }

    /// ccusage's `-z, --timezone`: `-z` is the short form of `--tz` (no other option of
    /// `aegon usage` has `z`).
    #[test]
    fn z_is_the_short_form_of_the_time_zone() {
        for a in [
            &["-z", "Asia/Kolkata"][..],
            &["-zAsia/Kolkata"][..],
            &["--timezone", "Asia/Kolkata"][..],
            &["--tz=Asia/Kolkata"][..],
            &["blocks", "-z", "Asia/Kolkata"][..],
        ] {
            let o = parse(args(a), 0).unwrap().unwrap();
            assert_eq!(o.tz.as_deref(), Some("Asia/Kolkata"), "{a:?}");
        }
        assert!(HELP.contains("-z, --tz NAME"));
    }

    #[test]
    fn reports_options_and_paths() {
        let o = parse(args(&["weekly", "--week-start", "sun", "dir"]), 0)
            .unwrap()
            .unwrap();
        assert_eq!(o.kind, Kind::Weekly);
        assert_eq!(o.week_start, Weekday::Sunday);
        assert_eq!(o.paths, [PathBuf::from("dir")]);
        let o = parse(args(&["some/file.jsonl"]), 0).unwrap().unwrap();
        assert_eq!(o.kind, Kind::Daily);
        assert!(parse(args(&["daily", "--token-limit", "max"]), 0).is_err());
        for zero in ["0", "0_000", "-1"] {
            let e = parse(args(&["blocks", "--token-limit", zero]), 0).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("--token-limit: '{zero}' is not a positive number of tokens or max")
            );
        }
        let o = parse(args(&["blocks", "--token-limit", "1,000"]), 0)
            .unwrap()
            .unwrap();
        assert_eq!(o.token_limit, Some(TokenLimit::Tokens(1000)));
        assert!(parse(args(&["--since", "soon"]), 0).is_err());
        assert!(parse(args(&["--by", "color"]), 0).is_err());
        // An empty range is a mistake, not an empty report.
        assert!(parse(args(&["--since", "2026-08-01", "--until", "2026-01-01"]), 0).is_err());
        assert!(parse(args(&["--since", "2026-01-01", "--until", "2026-01-01"]), 0).is_ok());
    }
}
