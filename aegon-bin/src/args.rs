//! Command-line arguments → a plain [`Config`].

use std::ffi::OsString;
use std::path::PathBuf;

use aegon::pipeline::DEFAULT_MAX_LINE;
use aegon::{Kind, KindSet};

/// What the user asked for.
#[derive(Debug)]
pub enum Command {
    /// Read the inputs and render events.
    Run(Config),
    /// Print the help text.
    Help,
    /// Print a command's own help text (`aegon watch --help`, `aegon help replay`…).
    HelpOf(&'static str),
    /// Print the version.
    Version,
    /// Print a completion script for this shell.
    Completions(String),
    /// Print `aegon completions`' help ([`COMPLETIONS_HELP`]).
    CompletionsHelp,
    /// Print the man page.
    Man,
    /// `aegon html`: a report per session and an index page.
    Html(crate::cmd::html::HtmlCommand),
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One coloured line per event.
    Plain,
    /// One JSON object per event.
    Ndjson,
    /// A summary per session after the input ends.
    Summary,
    /// The summary as one JSON object.
    SummaryJson,
    /// OpenTelemetry traces as OTLP/JSON lines.
    Otlp,
    /// One self-contained HTML document of the sessions read.
    Html,
    /// The sessions as Markdown, at this detail.
    Markdown(aegon::render::markdown::Detail),
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal, `NO_COLOR` is unset and `TERM` is not `dumb`.
    Auto,
    /// Always colour (overrides `NO_COLOR`).
    Always,
    /// Never colour.
    Never,
}

/// An input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputArg {
    /// Standard input (`-`, or no file given).
    Stdin,
    /// A file.
    Path(PathBuf),
}

/// Everything a run needs to know.
#[derive(Debug)]
pub struct Config {
    /// Inputs in order.
    pub inputs: Vec<InputArg>,
    /// Output format.
    pub format: Format,
    /// Colour choice.
    pub color: ColorChoice,
    /// Line length limit in bytes.
    pub max_line: usize,
    /// `--format NAME`: read every input as this transcript format (`None`: told from each
    /// input's content).
    pub input_format: Option<aegon::format::Format>,
    /// `--agent NAME` (repeatable): only these agents' events and sessions (`None`: all).
    pub agents: Option<Vec<aegon::Agent>>,
    /// Kinds of events to output.
    pub kinds: KindSet,
    /// Do not report problem lines one by one on stderr.
    pub quiet: bool,
    /// No input was named: standard input is read by default.
    pub implicit_stdin: bool,
    /// A JSON file of prices that extends or overrides the built-in table.
    pub pricing: Option<PathBuf>,
    /// Follow the files as they grow (`-f`), never ending.
    pub follow: bool,
    /// With `-f`: start at the end of each file (only new lines).
    pub from_end: bool,
    /// With `-f` or `watch`: poll instead of using file-system notifications.
    pub poll: bool,
    /// `aegon watch`: watch directory trees (the inputs, or Claude Code's folders when none).
    pub watch: bool,
    /// With `watch`: transcripts changed within this long are read from their start (`None`:
    /// all of them).
    pub since: Option<std::time::Duration>,
    /// `--since` was given (it goes with `watch`, or bare `aegon` when that opens the
    /// dashboard: `main` refuses it when the run turns out to read a pipe).
    pub since_given: bool,
    /// `--ndjson`, `--plain` or `--summary` was given (a stream, never the dashboard).
    pub format_given: bool,
    /// `aegon replay FILE`: play a recorded session with its own timing.
    pub replay: bool,
    /// `aegon demo`: replay the session shipped inside the binary.
    pub demo: bool,
    /// Replay speed (`--speed`): 2 plays twice as fast.
    pub speed: f64,
    /// `--detached`: open the dashboard in a new terminal window.
    pub detached: bool,
    /// `--otlp-endpoint`, `--otlp-export` and the other `--otlp-*` flags.
    pub otlp: crate::cmd::otlp::Flags,
    /// `--threads N`: worker threads for `--summary` over files (`None`: one per core).
    pub threads: Option<usize>,
    /// `-o FILE`: where `--html` or `--markdown` write (stdout when not given).
    pub output: Option<PathBuf>,
    /// `--no-index` (with `watch`): the dashboard's Usage view reads no usage index.
    pub no_index: bool,
}

impl Config {
    /// Whether this run is one of the dashboard's (watch, run, replay, demo); it shows the
    /// dashboard when its output is a terminal and no stream format was asked for.
    pub fn dashboard_capable(&self) -> bool {
        self.watch || self.replay || self.demo
    }
}

/// Parses the arguments (without the program name).
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, lexopt::Error> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut config = Config {
        inputs: Vec::new(),
        format: Format::Plain,
        color: ColorChoice::Auto,
        max_line: DEFAULT_MAX_LINE,
        input_format: None,
        agents: None,
        kinds: KindSet::ALL,
        quiet: false,
        implicit_stdin: false,
        pricing: None,
        follow: false,
        from_end: false,
        poll: false,
        watch: false,
        since: Some(DEFAULT_SINCE),
        since_given: false,
        format_given: false,
        replay: false,
        demo: false,
        speed: 1.0,
        detached: false,
        otlp: Default::default(),
        threads: None,
        output: None,
        no_index: false,
    };
    let mut speed_given = false;
    let mut detail = None;
    let mut summary = false;
    // The output options given, in order (each is one output; two different ones conflict).
    let mut outputs: Vec<&'static str> = Vec::new();
    let mut json = false;
    let mut only: Option<KindSet> = None;
    let mut skip = KindSet::NONE;
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") if config.watch => {
                return Ok(Command::HelpOf(crate::cmd::watch::HELP))
            }
            Short('h') | Long("help") if config.replay => {
                return Ok(Command::HelpOf(crate::cmd::replay::REPLAY_HELP))
            }
            Short('h') | Long("help") if config.demo => {
                return Ok(Command::HelpOf(crate::cmd::replay::DEMO_HELP))
            }
            Short('h') | Long("help") => return Ok(Command::Help),
            Short('V') | Long("version") => return Ok(Command::Version),
            Long("ndjson") => {
                outputs.push("--ndjson");
                config.format = Format::Ndjson;
                config.format_given = true;
            }
            Long("plain") => {
                outputs.push("--plain");
                config.format = Format::Plain;
                config.format_given = true;
            }
            Short('s') | Long("summary") => {
                outputs.push("--summary");
                summary = true;
                config.format_given = true;
            }
            Long("detached") => config.detached = true,
            Long("html") => {
                outputs.push("--html");
                config.format = Format::Html;
                config.format_given = true;
            }
            Long("markdown") => {
                outputs.push("--markdown");
                config.format = Format::Markdown(Default::default());
                config.format_given = true;
            }
            Long("detail") => detail = Some(crate::cmd::html::parse_detail(&parser.value()?)?),
            Short('o') | Long("output") => config.output = Some(parser.value()?.into()),
            Long("otlp") => {
                outputs.push("--otlp");
                config.format = Format::Otlp;
                config.format_given = true;
            }
            Long("otlp-endpoint") => {
                config.otlp.endpoint = Some(parser.value()?.to_string_lossy().into_owned())
            }
            Long("otlp-export") => config.otlp.export = true,
            Long("otlp-protocol") => {
                config.otlp.protocol = Some(parser.value()?.to_string_lossy().into_owned())
            }
            Long("otlp-compression") => {
                config.otlp.compression = Some(parser.value()?.to_string_lossy().into_owned())
            }
            Long("otlp-ca") => config.otlp.ca = Some(parser.value()?.into()),
            Long("otlp-content") => config.otlp.content = true,
            Long("speed") => {
                let value = parser.value()?;
                config.speed = value
                    .to_str()
                    .and_then(|v| v.trim_end_matches('x').parse::<f64>().ok())
                    .filter(|v| v.is_finite() && *v > 0.0)
                    .ok_or_else(|| {
                        lexopt::Error::Custom(
                            format!(
                                "--speed: '{}' is not a positive number (2 plays twice as fast)",
                                value.to_string_lossy()
                            )
                            .into(),
                        )
                    })?;
                speed_given = true;
            }
            Long("json") => json = true,
            Long("pricing") => config.pricing = Some(parser.value()?.into()),
            Short('j') | Long("threads") => {
                let value = parser.value()?;
                config.threads = Some(
                    value
                        .to_str()
                        .and_then(|v| v.parse::<usize>().ok())
                        .filter(|&n| n > 0)
                        .ok_or_else(|| lexopt::Error::UnexpectedValue {
                            option: "--threads".into(),
                            value: value.clone(),
                        })?,
                );
            }
            Long("color") | Long("colour") => {
                let value = parser.value()?;
                config.color = match value.to_str() {
                    Some("auto") => ColorChoice::Auto,
                    Some("always") => ColorChoice::Always,
                    Some("never") => ColorChoice::Never,
                    _ => {
                        return Err(lexopt::Error::Custom(
                            format!(
                                "--color: unknown choice {:?}; one of: auto, always, never",
                                value.to_string_lossy()
                            )
                            .into(),
                        ))
                    }
                }
            }
            Long("max-line") => {
                let value = parser.value()?;
                config.max_line = parse_size(&value).ok_or_else(|| {
                    lexopt::Error::Custom(
                        format!(
                            "--max-line: '{}' is not a size: a whole number of bytes above 0, or with a K, M or G suffix (512K, 64M, 1G)",
                            value.to_string_lossy()
                        )
                        .into(),
                    )
                })?;
            }
            Long("format") => {
                let value = parser.value()?;
                let format = value
                    .to_str()
                    .and_then(aegon::format::Format::from_name)
                    .ok_or_else(|| {
                        lexopt::Error::Custom(
                            format!(
                                "--format: unknown format {:?}; one of: {}",
                                value.to_string_lossy(),
                                aegon::format::Format::ALL
                                    .iter()
                                    .map(|f| f.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                            .into(),
                        )
                    })?;
                config.input_format = Some(format);
            }
            Long("agent") => {
                let value = parser.value()?;
                let agent = value
                    .to_str()
                    .and_then(aegon::Agent::from_name)
                    .ok_or_else(|| {
                        lexopt::Error::Custom(
                            format!(
                                "--agent: unknown agent {:?}; one of: {}",
                                value.to_string_lossy(),
                                aegon::Agent::ALL
                                    .iter()
                                    .map(|a| a.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                            .into(),
                        )
                    })?;
                config.agents.get_or_insert_with(Vec::new).push(agent);
            }
            Short('k') | Long("kind") => {
                let set = parse_kinds(&parser.value()?)?;
                only = Some(merge(only.unwrap_or(KindSet::NONE), set));
            }
            Short('x') | Long("skip") => skip = merge(skip, parse_kinds(&parser.value()?)?),
            Short('q') | Long("quiet") => config.quiet = true,
            Short('f') | Long("follow") => config.follow = true,
            Long("from-end") => config.from_end = true,
            Long("poll") => config.poll = true,
            Long("no-index") => config.no_index = true,
            Long("since") => {
                let value = parser.value()?;
                config.since_given = true;
                config.since = parse_since(&value).ok_or_else(|| {
                    lexopt::Error::Custom(
                        format!(
                            "--since: '{}' is not a duration (30m, 2h, 1d, or all)",
                            value.to_string_lossy()
                        )
                        .into(),
                    )
                })?;
            }
            Value(value) if config.inputs.is_empty() && !subcommand(&config) => {
                match value.to_str() {
                    Some("completions") => {
                        let shell = parser.value()?.to_string_lossy().into_owned();
                        if matches!(shell.as_str(), "-h" | "--help" | "help") {
                            return Ok(Command::CompletionsHelp);
                        }
                        if crate::completions::script(&shell).is_none() {
                            return Err(lexopt::Error::Custom(
                                format!(
                                    "completions for '{shell}'? aegon has them for {}",
                                    crate::completions::SHELLS.join(", ")
                                )
                                .into(),
                            ));
                        }
                        return Ok(Command::Completions(shell));
                    }
                    Some("man") => {
                        return match parser.next()? {
                            None => Ok(Command::Man),
                            Some(Short('h') | Long("help")) => {
                                Ok(Command::HelpOf(crate::manpage::HELP))
                            }
                            Some(other) => Err(other.unexpected()),
                        }
                    }
                    // As git and cargo: `aegon help [COMMAND]`. Like every subcommand's name,
                    // it is a command only in first place: a file named `help` is `./help`.
                    Some("help") => return help_of(&mut parser),
                    Some("html") => return crate::cmd::html::parse(&mut parser).map(Command::Html),
                    Some("watch" | "run") => config.watch = true,
                    Some("replay") => config.replay = true,
                    Some("demo") => config.demo = true,
                    _ => config.inputs.push(input(value)),
                }
            }
            Value(value) => config.inputs.push(input(value)),
            _ => return Err(arg.unexpected()),
        }
    }
    if let Some(second) = outputs.iter().find(|o| **o != outputs[0]) {
        let first = outputs[0];
        let endpoint = if first == "--otlp" || *second == "--otlp" {
            " (--otlp-endpoint goes with any)"
        } else {
            ""
        };
        return Err(lexopt::Error::Custom(
            format!("{first} and {second} are two outputs; pick one{endpoint}").into(),
        ));
    }
    if summary {
        config.format = if json {
            Format::SummaryJson
        } else {
            Format::Summary
        };
    } else if json {
        return Err(lexopt::Error::Custom(
            "--json goes with --summary (for events as JSON, use --ndjson)".into(),
        ));
    }
    match (config.format, detail) {
        (Format::Markdown(_), Some(d)) => config.format = Format::Markdown(d),
        (_, Some(_)) => {
            return Err(lexopt::Error::Custom(
                "--detail goes with --markdown".into(),
            ))
        }
        _ => {}
    }
    if config.output.is_some() && !matches!(config.format, Format::Html | Format::Markdown(_)) {
        return Err(lexopt::Error::Custom(
            "-o FILE goes with --html or --markdown (other outputs go to stdout)".into(),
        ));
    }
    if matches!(config.format, Format::Html | Format::Markdown(_))
        && (summary || config.follow || config.watch || config.replay || config.demo)
    {
        return Err(lexopt::Error::Custom(
            "--html and --markdown write a document when the input ends: not with --summary, -f, watch, replay or demo".into(),
        ));
    }
    // Bare `aegon --since 2h` may open the dashboard (on a terminal, nothing piped in): main
    // decides. With inputs named or an output chosen it is a stream, which --since does not
    // filter.
    if config.since_given && !config.watch && (!config.inputs.is_empty() || config.format_given) {
        return Err(lexopt::Error::Custom(SINCE_GOES_WITH_WATCH.into()));
    }
    if speed_given && !config.replay && !config.demo {
        return Err(lexopt::Error::Custom(
            "--speed goes with replay and demo".into(),
        ));
    }
    if config.detached && !config.dashboard_capable() && !config.inputs.is_empty() {
        return Err(lexopt::Error::Custom(
            "--detached opens the dashboard (watch, run, replay, demo) in a new window".into(),
        ));
    }
    if config.replay || config.demo {
        if summary || config.follow || config.poll || config.from_end {
            return Err(lexopt::Error::Custom(
                "replay and demo play a recording: -f, --poll, --from-end and --summary do not apply"
                    .into(),
            ));
        }
        match (config.demo, config.inputs.as_slice()) {
            (true, []) | (false, [InputArg::Path(_)]) => {}
            (true, _) => {
                return Err(lexopt::Error::Custom(
                    "demo plays the session shipped in aegon; to play a file, aegon replay FILE"
                        .into(),
                ))
            }
            (false, _) => {
                return Err(lexopt::Error::Custom(
                    "replay plays one transcript file: aegon replay FILE [--speed N]".into(),
                ))
            }
        }
        if config.demo && !speed_given {
            config.speed = DEMO_SPEED;
        }
        return Ok(Command::Run(config_with_kinds(config, only, skip)));
    }
    if config.follow {
        if summary {
            return Err(lexopt::Error::Custom(
                "--summary prints when the input ends, and -f never ends; use one or the other"
                    .into(),
            ));
        }
        if config.inputs.is_empty() || config.inputs.contains(&InputArg::Stdin) {
            return Err(lexopt::Error::Custom(
                "-f follows files: name them (for a pipe, tail -f FILE | aegon)".into(),
            ));
        }
    } else if config.watch {
        if summary {
            return Err(lexopt::Error::Custom(
                "--summary prints when the input ends, and watch never ends".into(),
            ));
        }
        if config.inputs.contains(&InputArg::Stdin) || config.from_end {
            return Err(lexopt::Error::Custom(
                "watch watches folders (not stdin), from their recent history (--since)".into(),
            ));
        }
        return Ok(Command::Run(config_with_kinds(config, only, skip)));
    } else if config.from_end || config.poll {
        return Err(lexopt::Error::Custom(
            "--from-end goes with -f, --poll with -f or watch".into(),
        ));
    } else if config.no_index {
        return Err(lexopt::Error::Custom(
            "--no-index goes with watch (and aegon usage, aegon statusline)".into(),
        ));
    }
    if config.inputs.is_empty() {
        config.inputs.push(InputArg::Stdin);
        config.implicit_stdin = true;
    }
    Ok(Command::Run(config_with_kinds(config, only, skip)))
}

/// The commands `aegon help COMMAND` knows, with their help texts.
const HELP_PAGES: &[(&str, &str)] = &[
    ("watch", crate::cmd::watch::HELP),
    ("run", crate::cmd::watch::HELP),
    ("replay", crate::cmd::replay::REPLAY_HELP),
    ("demo", crate::cmd::replay::DEMO_HELP),
    ("html", crate::cmd::html::HELP),
    ("usage", crate::cmd::usage::HELP),
    ("statusline", crate::cmd::statusline::HELP),
    ("audit", crate::cmd::audit::HELP),
    ("completions", COMPLETIONS_HELP),
    ("man", crate::manpage::HELP),
    ("help", HELP_HELP),
];

/// `aegon help help`.
const HELP_HELP: &str = "\
aegon help — aegon's help, or a command's

USAGE:
    aegon help [COMMAND]

    The same as aegon --help, or aegon COMMAND --help. help is a command only as
    the first argument, as watch, replay and the others are: a file named help is
    read as ./help.
";

/// `aegon help [COMMAND]`, after `help`.
fn help_of(parser: &mut lexopt::Parser) -> Result<Command, lexopt::Error> {
    use lexopt::prelude::*;
    let page = match parser.next()? {
        None => return Ok(Command::Help),
        Some(Value(name)) => {
            let name = name.to_string_lossy().into_owned();
            HELP_PAGES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, page)| *page)
                .ok_or_else(|| {
                    lexopt::Error::Custom(
                        format!(
                            "help: unknown command {name:?}; one of: {}",
                            HELP_PAGES
                                .iter()
                                .map(|(n, _)| *n)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                        .into(),
                    )
                })?
        }
        Some(Short('h') | Long("help")) => HELP_HELP,
        Some(other) => return Err(other.unexpected()),
    };
    match parser.next()? {
        None => Ok(Command::HelpOf(page)),
        Some(other) => Err(other.unexpected()),
    }
}

/// Whether a subcommand (watch, run, replay, demo) was already given.
fn subcommand(config: &Config) -> bool {
    config.watch || config.replay || config.demo
}

/// A positional argument as an input: `-` is stdin.
fn input(value: OsString) -> InputArg {
    if value == "-" {
        InputArg::Stdin
    } else {
        InputArg::Path(value.into())
    }
}

/// How fast `aegon demo` plays unless `--speed` says otherwise (the recording's 22 minutes
/// in about three, long pauses cut).
pub const DEMO_SPEED: f64 = 8.0;

/// Why `--since` is refused outside `watch`.
pub const SINCE_GOES_WITH_WATCH: &str = "--since goes with watch (the history it reads first); it does not filter files read whole (for usage over time, aegon usage --since)";

/// `aegon completions --help`.
pub const COMPLETIONS_HELP: &str = "\
aegon completions — a shell completion script for aegon, on stdout

USAGE:
    aegon completions bash|zsh|fish

    bash: aegon completions bash > ~/.local/share/bash-completion/completions/aegon
    zsh:  aegon completions zsh  > \"${fpath[1]}/_aegon\"
    fish: aegon completions fish > ~/.config/fish/completions/aegon.fish
";

/// History read by `aegon watch` unless `--since` says otherwise.
pub const DEFAULT_SINCE: std::time::Duration = std::time::Duration::from_secs(3600);

/// The event kinds to show: `only` (all when not given) less `skip`.
fn config_with_kinds(mut config: Config, only: Option<KindSet>, skip: KindSet) -> Config {
    let mut kinds = only.unwrap_or(KindSet::ALL);
    for k in Kind::ALL {
        if skip.contains(k) {
            kinds = kinds.without(k);
        }
    }
    config.kinds = kinds;
    config
}

/// `30s`, `30m`, `2h`, `1d`, `0` → a duration; `all` → `Some(None)` (everything).
pub fn parse_since(value: &OsString) -> Option<Option<std::time::Duration>> {
    let text = value.to_str()?.trim();
    if text == "all" {
        return Some(None);
    }
    let (digits, unit) = match text.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 's'),
    };
    let n: u64 = digits.parse().ok()?;
    let seconds = match unit {
        's' => n,
        'm' => n.checked_mul(60)?,
        'h' => n.checked_mul(3600)?,
        'd' => n.checked_mul(86_400)?,
        _ => return None,
    };
    Some(Some(std::time::Duration::from_secs(seconds)))
}

fn merge(a: KindSet, b: KindSet) -> KindSet {
    Kind::ALL
        .into_iter()
        .filter(|k| b.contains(*k))
        .fold(a, KindSet::with)
}

/// `user_prompt,tool_call` → a set; an unknown name is an error listing the valid ones.
fn parse_kinds(value: &OsString) -> Result<KindSet, lexopt::Error> {
    let text = value.to_str().unwrap_or("");
    let mut set = KindSet::NONE;
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match Kind::from_name(name) {
            Some(k) => set = set.with(k),
            None => {
                let valid: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                return Err(lexopt::Error::Custom(
                    format!(
                        "unknown event kind '{name}'; kinds are: {}",
                        valid.join(", ")
                    )
                    .into(),
                ));
            }
        }
    }
    Ok(set)
}

/// `1048576`, `512K`, `16M`, `1G` (powers of 1024; a trailing `B`/`iB` is accepted).
pub fn parse_size(value: &OsString) -> Option<usize> {
    let text = value.to_str()?.trim();
    let text = text
        .strip_suffix("iB")
        .or_else(|| text.strip_suffix('B'))
        .unwrap_or(text);
    let (digits, shift) = match text.char_indices().last()? {
        (i, 'k' | 'K') => (&text[..i], 10),
        (i, 'm' | 'M') => (&text[..i], 20),
        (i, 'g' | 'G') => (&text[..i], 30),
        _ => (text, 0),
    };
    let n: usize = digits.parse().ok()?;
    if n == 0 {
        return None;
    }
    n.checked_mul(1usize.checked_shl(shift)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_durations() {
        let d = |t: &str| parse_since(&OsString::from(t));
        assert_eq!(d("90"), Some(Some(std::time::Duration::from_secs(90))));
        assert_eq!(d("30m"), Some(Some(std::time::Duration::from_secs(1800))));
        assert_eq!(d("2h"), Some(Some(std::time::Duration::from_secs(7200))));
        assert_eq!(d("1d"), Some(Some(std::time::Duration::from_secs(86_400))));
        assert_eq!(d("all"), Some(None));
        assert_eq!(d("2w"), None);
        assert_eq!(d("h"), None);
    }

    #[test]
    fn run_replay_and_demo_subcommands() {
        let c = run(&["run"]);
        assert!(c.watch && c.dashboard_capable() && !c.format_given);
        let c = run(&["replay", "s.jsonl", "--speed", "3"]);
        assert!(c.replay && c.speed == 3.0);
        assert_eq!(c.inputs, [InputArg::Path("s.jsonl".into())]);
        let c = run(&["demo"]);
        assert!(c.demo && c.inputs.is_empty() && c.speed == DEMO_SPEED);
        assert!(run(&["demo", "--ndjson"]).format_given);
        assert!(run(&["watch", "--detached"]).detached);
        for bad in [
            &["replay"][..],
            &["replay", "a", "b"],
            &["demo", "x.jsonl"],
            &["demo", "--speed", "0"],
            &["demo", "--speed", "fast"],
            &["x.jsonl", "--speed", "2"],
            &["replay", "a", "-f"],
            &["x.jsonl", "--detached"],
        ] {
            assert!(parse(bad.iter().map(OsString::from)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn watch_is_a_subcommand_only_in_first_place() {
        let run = |args: &[&str]| match parse(args.iter().map(OsString::from)) {
            Ok(Command::Run(c)) => (c.watch, c.inputs.len()),
            other => panic!("{other:?}"),
        };
        assert_eq!(run(&["watch"]), (true, 0));
        assert_eq!(run(&["watch", "--ndjson", "dir"]), (true, 1));
        assert_eq!(run(&["x.jsonl", "watch"]), (false, 2));
    }

    fn run(args: &[&str]) -> Config {
        match parse(args.iter().map(OsString::from)).unwrap() {
            Command::Run(c) => c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn help_after_watch_is_watchs_own() {
        let parse = |a: &[&str]| parse(a.iter().map(OsString::from)).unwrap();
        assert!(matches!(
            parse(&["watch", "--help"]),
            Command::HelpOf(crate::cmd::watch::HELP)
        ));
        assert!(matches!(
            parse(&["run", "--ndjson", "-h"]),
            Command::HelpOf(crate::cmd::watch::HELP)
        ));
        assert!(matches!(parse(&["--help"]), Command::Help));
        assert!(matches!(parse(&["x.jsonl", "-h"]), Command::Help));
    }

    #[test]
    fn defaults_read_stdin_as_plain() {
        let c = run(&[]);
        assert_eq!(c.inputs, vec![InputArg::Stdin]);
        assert_eq!(c.format, Format::Plain);
        assert_eq!(c.color, ColorChoice::Auto);
        assert_eq!(c.max_line, DEFAULT_MAX_LINE);
    }

    #[test]
    fn files_dash_and_options() {
        let c = run(&[
            "a.jsonl",
            "-",
            "--ndjson",
            "--color=never",
            "--max-line",
            "2M",
            "--",
            "-b",
        ]);
        assert_eq!(
            c.inputs,
            vec![
                InputArg::Path("a.jsonl".into()),
                InputArg::Stdin,
                InputArg::Path("-b".into())
            ]
        );
        assert_eq!(c.format, Format::Ndjson);
        assert_eq!(c.color, ColorChoice::Never);
        assert_eq!(c.max_line, 2 << 20);
    }

    #[test]
    fn kind_filters() {
        let c = run(&[
            "-k",
            "tool_call,tool_result",
            "--kind",
            "usage",
            "-x",
            "usage",
        ]);
        assert!(c.kinds.contains(Kind::ToolCall) && c.kinds.contains(Kind::ToolResult));
        assert!(!c.kinds.contains(Kind::Usage) && !c.kinds.contains(Kind::UserPrompt));
        let c = run(&["--skip", "progress"]);
        assert!(!c.kinds.contains(Kind::Progress) && c.kinds.contains(Kind::UserPrompt));
        assert!(parse(["--kind", "nope"].map(OsString::from)).is_err());
    }

    #[test]
    fn sizes() {
        let s = |t: &str| parse_size(&OsString::from(t));
        assert_eq!(s("100"), Some(100));
        assert_eq!(s("64K"), Some(64 << 10));
        assert_eq!(s("16MiB"), Some(16 << 20));
        assert_eq!(s("1G"), Some(1 << 30));
        assert_eq!(s("0"), None);
        assert_eq!(s("lots"), None);
    }

    #[test]
    fn summary_formats() {
        assert_eq!(run(&["--summary"]).format, Format::Summary);
        assert_eq!(run(&["-s", "--json"]).format, Format::SummaryJson);
        assert!(parse(["--json"].map(OsString::from)).is_err());
        assert_eq!(
            run(&["--pricing", "p.json"]).pricing,
            Some(PathBuf::from("p.json"))
        );
    }

    #[test]
    fn since_goes_with_watch_or_the_bare_dashboard() {
        assert!(run(&["watch", "--since", "2h"]).since_given);
        // Bare: perhaps the dashboard; main refuses it when stdin is read instead.
        assert!(run(&["--since", "2h"]).since_given);
        for bad in [
            &["--since", "1h", "x.jsonl"][..],
            &["x.jsonl", "--since", "1h"],
            &["--summary", "--since", "1h"],
            &["--ndjson", "--since", "all", "-"],
            &["replay", "x.jsonl", "--since", "1h"],
            &["-f", "x.jsonl", "--since", "1h"],
        ] {
            match parse(bad.iter().map(OsString::from)) {
                Err(e) => assert_eq!(e.to_string(), SINCE_GOES_WITH_WATCH, "{bad:?}"),
                Ok(c) => panic!("{bad:?} accepted: {c:?}"),
            }
        }
    }

    #[test]
    fn completions_help_and_shells() {
        for help in ["--help", "-h"] {
            assert!(matches!(
                parse(["completions", help].map(OsString::from)),
                Ok(Command::CompletionsHelp)
            ));
        }
        assert!(matches!(
            parse(["completions", "zsh"].map(OsString::from)),
            Ok(Command::Completions(s)) if s == "zsh"
        ));
        assert!(parse(["completions", "tcsh"].map(OsString::from)).is_err());
    }

    #[test]
    fn a_bad_size_says_what_a_size_is() {
        for bad in ["0", "-1", "1.5M", "lots", "16Q"] {
            let e = parse(["--max-line", bad].map(OsString::from)).unwrap_err();
            let text = e.to_string();
            assert!(
                text.starts_with(&format!("--max-line: '{bad}' is not a size"))
                    && text.contains("64M"),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_color_is_an_error() {
        assert!(parse(["--color", "sometimes"].map(OsString::from)).is_err());
    }
}
