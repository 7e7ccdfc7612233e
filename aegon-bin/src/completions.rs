//! `aegon completions SHELL`: completion scripts for bash, zsh and fish, from one table per
//! command of the options it takes and the words it takes first (tests hold each table to
//! that command's `--help` and to its parser, and run the scripts in bash, fish and zsh).

/// What an option's value is, for completing it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Value {
    /// The option takes no value.
    No,
    /// Any text, not completed; the name says what (`N`, `SIZE`, `NAME`, …).
    Any(&'static str),
    /// A file.
    File,
    /// A folder.
    Dir,
    /// One of these words.
    Words(&'static [&'static str]),
    /// Event kinds, comma-separated ([`aegon::Kind::ALL`]).
    Kinds,
    /// A coding agent ([`aegon::Agent::ALL`]).
    Agents,
    /// A transcript format ([`aegon::format::Format::ALL`]).
    Formats,
}

impl Value {
    /// The words to complete for this value (empty for none, any text, files and folders).
    pub fn choices(self) -> Vec<String> {
        match self {
            Value::No | Value::Any(_) | Value::File | Value::Dir => Vec::new(),
            Value::Words(words) => words.iter().map(|w| (*w).to_owned()).collect(),
            Value::Kinds => aegon::Kind::ALL
                .iter()
                .map(|k| k.as_str().to_owned())
                .collect(),
            Value::Agents => aegon::Agent::ALL
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
            Value::Formats => aegon::format::Format::ALL
                .iter()
                .map(|f| f.as_str().to_owned())
                .collect(),
        }
    }
}

/// A command-line option.
pub struct Flag {
    /// `--long` name, without dashes.
    pub long: &'static str,
    /// `-s` short name.
    pub short: Option<char>,
    /// Its value.
    pub value: Value,
    /// One line of help.
    pub help: &'static str,
}

const fn flag(long: &'static str, short: Option<char>, help: &'static str) -> Flag {
    Flag {
        long,
        short,
        value: Value::No,
        help,
    }
}

const fn valued(long: &'static str, short: Option<char>, value: Value, help: &'static str) -> Flag {
    Flag {
        long,
        short,
        value,
        help,
    }
}

const COLOR: Flag = valued(
    "color",
    None,
    Value::Words(&["auto", "always", "never"]),
    "when to colour",
);
const HELP: Flag = flag("help", Some('h'), "print the help");
const PRICING: Flag = valued(
    "pricing",
    None,
    Value::File,
    "prices that extend the built-in table",
);
const QUIET: Flag = flag("quiet", Some('q'), "do not report problem lines one by one");
const TZ: Flag = valued("tz", Some('z'), Value::Any("NAME"), "IANA time zone");

/// The options of `aegon` without a subcommand (and, less those a command leaves out, of
/// watch, run, replay and demo, which the same parser reads).
pub const FLAGS: &[Flag] = &[
    flag("ndjson", None, "one JSON object per event"),
    flag("plain", None, "one line per event"),
    flag("summary", Some('s'), "a summary per session at the end"),
    flag("json", None, "with --summary: one JSON object"),
    valued(
        "threads",
        Some('j'),
        Value::Any("N"),
        "with --summary: threads to read files on",
    ),
    PRICING,
    COLOR,
    valued(
        "kind",
        Some('k'),
        Value::Kinds,
        "output only these event kinds",
    ),
    valued(
        "skip",
        Some('x'),
        Value::Kinds,
        "leave these event kinds out",
    ),
    flag("follow", Some('f'), "keep reading files as they grow"),
    flag("from-end", None, "with -f: only new lines"),
    flag("poll", None, "poll instead of file notifications"),
    flag(
        "no-index",
        None,
        "with watch: the Usage view reads no usage index",
    ),
    valued(
        "since",
        None,
        Value::Words(&["10m", "1h", "1d", "all"]),
        "with watch: history to read",
    ),
    valued(
        "speed",
        None,
        Value::Any("N"),
        "with replay and demo: playback speed",
    ),
    flag("detached", None, "open the dashboard in a new window"),
    flag(
        "otlp",
        None,
        "OpenTelemetry traces and metrics as OTLP/JSON lines",
    ),
    valued(
        "otlp-endpoint",
        None,
        Value::Any("URL"),
        "also send traces and metrics to a collector",
    ),
    flag(
        "otlp-export",
        None,
        "send where the OTEL_EXPORTER_OTLP_* variables say",
    ),
    valued(
        "otlp-protocol",
        None,
        Value::Words(&["http/protobuf", "http/json"]),
        "OTLP/HTTP body encoding",
    ),
    valued(
        "otlp-compression",
        None,
        Value::Words(&["gzip", "none"]),
        "compress OTLP requests",
    ),
    valued(
        "otlp-ca",
        None,
        Value::File,
        "also trust this PEM file's certificates",
    ),
    flag("otlp-content", None, "include prompt and tool text in OTLP"),
    flag("html", None, "one self-contained HTML report"),
    flag("markdown", None, "the transcript as Markdown"),
    valued(
        "detail",
        None,
        Value::Words(&["full", "tools", "prompts"]),
        "with --markdown: how much to write",
    ),
    valued(
        "output",
        Some('o'),
        Value::File,
        "with --html or --markdown: the file to write",
    ),
    valued(
        "format",
        None,
        Value::Formats,
        "read every input as this transcript format",
    ),
    valued("agent", None, Value::Agents, "only this agent's sessions"),
    valued("max-line", None, Value::Any("SIZE"), "longest line read"),
    QUIET,
    HELP,
    flag("version", Some('V'), "print the version"),
];

/// `aegon usage`'s options.
const USAGE_FLAGS: &[Flag] = &[
    flag("json", None, "one JSON object"),
    TZ,
    valued(
        "since",
        None,
        Value::Words(&["12h", "1d", "7d", "4w"]),
        "from this local date (YYYY-MM-DD) or age",
    ),
    valued(
        "until",
        None,
        Value::Words(&["12h", "1d", "7d", "4w"]),
        "up to this local date (YYYY-MM-DD) or age",
    ),
    valued(
        "week-start",
        None,
        Value::Words(&[
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ]),
        "first day of weeks",
    ),
    flag("breakdown", None, "a sub-row per model"),
    valued(
        "by",
        None,
        Value::Words(&["project", "model", "agent", "subagent"]),
        "split each row",
    ),
    valued(
        "project",
        None,
        Value::Any("TEXT"),
        "only projects whose path contains TEXT",
    ),
    valued(
        "agent",
        None,
        Value::Agents,
        "only this coding agent's usage",
    ),
    valued(
        "token-limit",
        None,
        Value::Words(&["max"]),
        "with blocks: a token limit per block, or max",
    ),
    flag("active", None, "with blocks: only the active block"),
    flag("no-index", None, "read the transcripts afresh"),
    PRICING,
    COLOR,
    QUIET,
    flag("verbose", Some('v'), "say what the index update did"),
    HELP,
];

/// `aegon statusline`'s options.
const STATUSLINE_FLAGS: &[Flag] = &[
    valued(
        "format",
        None,
        Value::Any("TEMPLATE"),
        "fields and order: {model} {session_cost} …",
    ),
    TZ,
    PRICING,
    COLOR,
    flag("no-index", None, "do not read or write the usage index"),
    valued(
        "index-budget",
        None,
        Value::Any("MS"),
        "time for indexing per run, in ms",
    ),
    HELP,
];

/// `aegon audit`'s options.
const AUDIT_FLAGS: &[Flag] = &[
    flag("json", None, "one JSON object"),
    flag("strict", None, "exit with 1 when anything is new"),
    valued(
        "format",
        None,
        Value::Formats,
        "read every input as this format",
    ),
    valued("max-line", None, Value::Any("SIZE"), "longest line read"),
    COLOR,
    QUIET,
    HELP,
];

/// `aegon html`'s options.
const HTML_FLAGS: &[Flag] = &[
    valued("output", Some('o'), Value::Dir, "the folder to write into"),
    PRICING,
    valued("max-line", None, Value::Any("SIZE"), "longest line read"),
    QUIET,
    HELP,
];

/// Which options a command takes.
pub enum Options {
    /// Its own.
    Own(&'static [Flag]),
    /// Those of [`FLAGS`] but these.
    TopBut(&'static [&'static str]),
}

/// A subcommand.
pub struct Command {
    /// Its name, in first place.
    pub name: &'static str,
    /// One line of help.
    pub help: &'static str,
    /// Its options.
    pub options: Options,
    /// The words it takes as its first argument (report names, shells, …).
    pub words: &'static [&'static str],
    /// Whether it reads files or folders named as arguments.
    pub files: bool,
}

/// What the dashboard commands leave out of [`FLAGS`].
const NOT_WATCH: &[&str] = &[
    "summary", "json", "threads", "follow", "from-end", "speed", "html", "markdown", "detail",
    "output", "version",
];
/// What replay and demo leave out of [`FLAGS`].
const NOT_REPLAY: &[&str] = &[
    "summary", "json", "threads", "follow", "from-end", "poll", "since", "no-index", "html",
    "markdown", "detail", "output", "version",
];

/// The subcommands, in first place.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "watch",
        help: "every session as it is written (the dashboard on a terminal)",
        options: Options::TopBut(NOT_WATCH),
        words: &[],
        files: true,
    },
    Command {
        name: "run",
        help: "the same as watch",
        options: Options::TopBut(NOT_WATCH),
        words: &[],
        files: true,
    },
    Command {
        name: "replay",
        help: "play a recorded transcript",
        options: Options::TopBut(NOT_REPLAY),
        words: &[],
        files: true,
    },
    Command {
        name: "demo",
        help: "replay a session shipped with aegon",
        options: Options::TopBut(NOT_REPLAY),
        words: &[],
        files: false,
    },
    Command {
        name: "usage",
        help: "tokens and cost by day, week, month, session, project or 5-hour block",
        options: Options::Own(USAGE_FLAGS),
        words: &[
            "daily", "weekly", "monthly", "sessions", "projects", "blocks",
        ],
        files: true,
    },
    Command {
        name: "statusline",
        help: "a status line for Claude Code (reads its JSON on stdin)",
        options: Options::Own(STATUSLINE_FLAGS),
        words: &[],
        files: false,
    },
    Command {
        name: "completions",
        help: "print a completion script: bash, zsh or fish",
        options: Options::Own(&[HELP]),
        words: SHELLS,
        files: false,
    },
    Command {
        name: "man",
        help: "print the man page",
        options: Options::Own(&[HELP]),
        words: &[],
        files: false,
    },
    Command {
        name: "help",
        help: "print aegon's help, or a command's",
        options: Options::Own(&[HELP]),
        words: &[
            "watch",
            "run",
            "replay",
            "demo",
            "html",
            "usage",
            "statusline",
            "audit",
            "completions",
            "man",
            "help",
        ],
        files: false,
    },
    Command {
        name: "audit",
        help: "record kinds, new fields, unknown kinds, malformed lines and versions per format",
        options: Options::Own(AUDIT_FLAGS),
        words: &[],
        files: true,
    },
    Command {
        name: "html",
        help: "a report per session and an index page: html DIR -o OUT/",
        options: Options::Own(HTML_FLAGS),
        words: &[],
        files: true,
    },
];

/// `aegon` without a subcommand: [`FLAGS`], the subcommands' names in first place, files.
const BARE: Command = Command {
    name: "",
    help: "",
    options: Options::TopBut(&[]),
    words: &[],
    files: true,
};

impl Command {
    /// The options this command takes.
    pub fn flags(&self) -> Vec<&'static Flag> {
        match self.options {
            Options::Own(flags) => flags.iter().collect(),
            Options::TopBut(except) => FLAGS.iter().filter(|f| !except.contains(&f.long)).collect(),
        }
    }
}

/// Shells with a completion script.
pub const SHELLS: &[&str] = &["bash", "zsh", "fish"];

/// The completion script for `shell`, if it is one of [`SHELLS`].
pub fn script(shell: &str) -> Option<String> {
    match shell {
        "bash" => Some(bash()),
        "zsh" => Some(zsh()),
        "fish" => Some(fish()),
        _ => None,
    }
}

/// `--long|-s`, as a bash case pattern.
fn bash_names(f: &Flag) -> String {
    match f.short {
        Some(s) => format!("--{}|-{s}", f.long),
        None => format!("--{}", f.long),
    }
}

/// One command's branch of the bash function: values, options, first words, files.
fn bash_branch(c: &Command) -> String {
    let flags = c.flags();
    let mut cases = String::new();
    let mut valued = Vec::new();
    for f in &flags {
        let action = match f.value {
            Value::No => continue,
            Value::File => "COMPREPLY=($(compgen -f -- \"$cur\"))".to_owned(),
            Value::Dir => "COMPREPLY=($(compgen -d -- \"$cur\"))".to_owned(),
            Value::Any(_) => String::new(),
            Value::Kinds => format!(
                "local p=\"${{cur%\"${{cur##*,}}\"}}\"; COMPREPLY=($(compgen -P \"$p\" -W \"{}\" -- \"${{cur##*,}}\"))",
                Value::Kinds.choices().join(" ")
            ),
            v => format!(
                "COMPREPLY=($(compgen -W \"{}\" -- \"$cur\"))",
                v.choices().join(" ")
            ),
        };
        let action = if action.is_empty() {
            "return".to_owned()
        } else {
            format!("{action}; return")
        };
        valued.push(bash_names(f));
        cases.push_str(&format!("                {}) {action} ;;\n", bash_names(f)));
    }
    let mut words: Vec<String> = Vec::new();
    for f in &flags {
        words.push(format!("--{}", f.long));
        if let Some(s) = f.short {
            words.push(format!("-{s}"));
        }
    }
    let first = if c.name.is_empty() {
        let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
        format!(
            "            [[ $COMP_CWORD -eq 1 ]] && COMPREPLY=($(compgen -W \"{}\" -- \"$cur\"))\n",
            names.join(" ")
        )
    } else if c.words.is_empty() {
        String::new()
    } else {
        let valued = if valued.is_empty() {
            "--".to_owned()
        } else {
            valued.join("|")
        };
        format!(
            r#"            local i seen=0
            for ((i = 2; i < COMP_CWORD; i++)); do
                case "${{COMP_WORDS[i]}}" in -*) continue ;; esac
                case "${{COMP_WORDS[i-1]}}" in {valued}) ;; *) seen=1 ;; esac
            done
            [[ $seen -eq 0 ]] && COMPREPLY=($(compgen -W "{}" -- "$cur"))
"#,
            c.words.join(" ")
        )
    };
    let files = if c.files {
        "            COMPREPLY+=($(compgen -f -- \"$cur\"))\n"
    } else {
        ""
    };
    let pattern = if c.name.is_empty() { "''" } else { c.name };
    format!(
        r#"        {pattern})
            case "$prev" in
{cases}            esac
            if [[ "$cur" == -* ]]; then
                COMPREPLY=($(compgen -W "{words}" -- "$cur"))
                return
            fi
{first}{files}            ;;
"#,
        words = words.join(" ")
    )
}

fn bash() -> String {
    let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
    let mut branches = String::new();
    for c in COMMANDS.iter().chain([&BARE]) {
        branches.push_str(&bash_branch(c));
    }
    format!(
        r#"# bash completion for aegon (generated by: aegon completions bash)
_aegon() {{
    local cur prev cmd=''
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    COMPREPLY=()
    if [[ $COMP_CWORD -gt 1 ]]; then
        case "${{COMP_WORDS[1]}}" in
            {names}) cmd="${{COMP_WORDS[1]}}" ;;
        esac
    fi
    case "$cmd" in
{branches}    esac
}}
complete -o filenames -F _aegon aegon
"#,
        names = names.join("|"),
    )
}

/// `_arguments` specs for these options.
fn zsh_specs(flags: &[&Flag]) -> Vec<String> {
    let mut specs = Vec::new();
    for f in flags {
        let help = f
            .help
            .replace('\'', "'\\''")
            .replace(':', "\\:")
            .replace('[', "\\[")
            .replace(']', "\\]");
        let action = match f.value {
            Value::No => String::new(),
            Value::File => ":file:_files".to_owned(),
            Value::Dir => ":folder:_files -/".to_owned(),
            Value::Any(name) => format!(":{}: ", name.to_lowercase()),
            Value::Kinds => format!(
                ":kinds:_values -s , kind {}",
                Value::Kinds.choices().join(" ")
            ),
            v => format!(":{}:({})", f.long, v.choices().join(" ")),
        };
        match f.short {
            Some(s) => specs.push(format!(
                "'(-{s} --{l})'{{-{s},--{l}}}'[{help}]{action}'",
                l = f.long
            )),
            None => specs.push(format!("'--{}[{help}]{action}'", f.long)),
        }
    }
    specs
}

fn zsh() -> String {
    let subcommands: Vec<String> = COMMANDS
        .iter()
        .map(|c| format!("'{}:{}'", c.name, c.help.replace('\'', "'\\''")))
        .collect();
    let mut branches = String::new();
    for c in COMMANDS {
        let mut specs = zsh_specs(&c.flags());
        match (c.words.is_empty(), c.files) {
            (false, true) => {
                specs.push(format!(
                    "'1: :{{compadd -- {}; _files}}'",
                    c.words.join(" ")
                ));
                specs.push("'*:file:_files'".to_owned());
            }
            (false, false) => specs.push(format!("'1: :({})'", c.words.join(" "))),
            (true, true) => specs.push("'*:file:_files'".to_owned()),
            (true, false) => {}
        }
        branches.push_str(&format!(
            "    {})\n      shift words; (( CURRENT-- ))\n      _arguments -s \\\n        {}\n      return\n      ;;\n",
            c.name,
            specs.join(" \\\n        "),
        ));
    }
    format!(
        r#"#compdef aegon
# zsh completion for aegon (generated by: aegon completions zsh)
_aegon() {{
  local -a subcommands
  subcommands=({subcommands})
  if (( CURRENT > 2 )); then
    case $words[2] in
{branches}    esac
  fi
  _arguments -s \
    {specs} \
    '1: :{{_describe command subcommands; _files}}' \
    '*:file:_files'
}}
_aegon "$@"
"#,
        subcommands = subcommands.join(" "),
        specs = zsh_specs(&BARE.flags()).join(" \\\n    "),
    )
}

/// A fish condition: the command is `name` (`''`: none).
fn fish_is(name: &str) -> String {
    if name.is_empty() {
        "__aegon_is ''".to_owned()
    } else {
        format!("__aegon_is {name}")
    }
}

fn fish() -> String {
    let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
    let mut out = format!(
        r#"# fish completion for aegon (generated by: aegon completions fish)
function __aegon_is
    set -l w (commandline -opc)
    set -l cmd ''
    if test (count $w) -ge 2; and contains -- $w[2] {names}
        set cmd $w[2]
    end
    test "$cmd" = "$argv[1]"
end
# No word yet after the command but options and their values (the options taking a value
# are the arguments): the place of a command's first word.
function __aegon_first
    set -l w (commandline -opc)
    set -l i 3
    while test $i -le (count $w)
        if string match -q -- '-*' $w[$i]
            contains -- $w[$i] $argv; and set i (math $i + 1)
        else
            return 1
        end
        set i (math $i + 1)
    end
end
complete -c aegon -f
"#,
        names = names.join(" ")
    );
    for c in COMMANDS {
        out.push_str(&format!(
            "complete -c aegon -n \"__aegon_is ''; and test (count (commandline -opc)) -eq 1\" -a {} -d '{}'\n",
            c.name,
            c.help.replace('\'', "\\'")
        ));
    }
    for c in COMMANDS.iter().chain([&BARE]) {
        let is = fish_is(c.name);
        if !c.words.is_empty() {
            let mut valued = Vec::new();
            for f in c.flags().iter().filter(|f| f.value != Value::No) {
                valued.push(format!("--{}", f.long));
                valued.extend(f.short.map(|s| format!("-{s}")));
            }
            out.push_str(&format!(
                "complete -c aegon -n \"{is}; and __aegon_first {}\" -a '{}'\n",
                valued.join(" "),
                c.words.join(" ")
            ));
        }
        if c.files {
            out.push_str(&format!("complete -c aegon -n \"{is}\" -F\n"));
        }
        for f in c.flags() {
            let mut line = format!("complete -c aegon -n \"{is}\" -l {}", f.long);
            if let Some(s) = f.short {
                line.push_str(&format!(" -s {s}"));
            }
            match f.value {
                Value::No => {}
                Value::File => line.push_str(" -r -F"),
                // `-F` would offer files too.
                Value::Dir => {
                    line.push_str(" -x -a '(__fish_complete_directories (commandline -ct))'")
                }
                Value::Any(_) => line.push_str(" -x"),
                v => line.push_str(&format!(" -x -a '{}'", v.choices().join(" "))),
            }
            line.push_str(&format!(" -d '{}'\n", f.help.replace('\'', "\\'")));
            out.push_str(&line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    /// The `--options` a help text lists in its OPTIONS section: the names on lines indented
    /// as options are (at most 8 spaces), not those in the prose under them.
    fn help_options(help: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut in_options = false;
        for line in help.lines() {
            if !line.is_empty() && !line.starts_with(' ') {
                in_options = line == "OPTIONS:";
                continue;
            }
            let trimmed = line.trim_start();
            if !in_options || !trimmed.starts_with('-') || line.len() - trimmed.len() > 8 {
                continue;
            }
            let names = trimmed.split("  ").next().unwrap_or("");
            for word in names.split([' ', ',']) {
                if let Some(long) = word.strip_prefix("--") {
                    found.push(long.split('=').next().unwrap_or(long).to_owned());
                }
            }
        }
        found
    }

    /// A command's help text, as `aegon help NAME` prints it (`aegon --help` for `""`).
    fn help_of(name: &str) -> &'static str {
        if name.is_empty() {
            return crate::HELP;
        }
        match crate::args::parse(["help", name].map(OsString::from)) {
            Ok(crate::args::Command::HelpOf(page)) => page,
            other => panic!("help {name}: {other:?}"),
        }
    }

    /// Whether `aegon NAME ARGS…` parses (`""`: no subcommand).
    fn parses(name: &str, args: &[String]) -> Result<(), String> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let err = |e: lexopt::Error| e.to_string();
        match name {
            "usage" => crate::cmd::usage::parse(args, aegon::timestamp::now_ms())
                .map(drop)
                .map_err(err),
            "statusline" => crate::cmd::statusline::parse(args).map(drop).map_err(err),
            "audit" => crate::cmd::audit::parse(args).map(drop).map_err(err),
            "" => crate::args::parse(args).map(drop).map_err(err),
            _ => crate::args::parse(std::iter::once(name.into()).chain(args))
                .map(drop)
                .map_err(err),
        }
    }

    fn all() -> impl Iterator<Item = &'static Command> {
        COMMANDS.iter().chain([&BARE])
    }

    #[test]
    fn each_commands_table_lists_what_its_help_lists() {
        for c in all() {
            let table: Vec<&str> = c.flags().iter().map(|f| f.long).collect();
            let in_help = help_options(help_of(c.name));
            // Not a vacuous check: every help with options lists --help among them.
            assert!(
                in_help.contains(&"help".to_owned()) || table == ["help"],
                "{}: {in_help:?}",
                c.name
            );
            for long in &in_help {
                assert!(
                    table.contains(&long.as_str()),
                    "aegon {} --help lists --{long}; its completions do not",
                    c.name
                );
            }
            // A table of its own lists only what the help does (watch, replay and demo
            // take the other options of aegon --help, as their help says).
            if matches!(c.options, Options::Own(_)) || c.name.is_empty() {
                for long in table.iter().filter(|l| **l != "help") {
                    assert!(
                        in_help.contains(&(*long).to_owned()),
                        "aegon {}: --{long} is completed, not in its --help",
                        c.name
                    );
                }
            }
        }
    }

    #[test]
    fn every_completed_option_and_value_is_taken_by_the_parser() {
        for c in all() {
            for f in c.flags() {
                let mut values = f.value.choices();
                match f.value {
                    Value::Kinds => values.push(values.join(",")),
                    Value::Any("N") => values.push("2".into()),
                    Value::Any("SIZE") => values.push("1M".into()),
                    Value::Any("MS") => values.push("100".into()),
                    Value::Any(_) | Value::File | Value::Dir => values.push("x".into()),
                    _ => {}
                }
                // Options that go with another command or option are tried with it.
                let (before, after): (&[&str], &[&str]) = match (c.name, f.long) {
                    ("", "speed") => (&[], &["demo"]),
                    ("", "detached" | "since" | "poll" | "no-index") => (&["watch"], &[]),
                    ("", "from-end") => (&["-f", "x.jsonl"], &[]),
                    ("", "json") => (&["--summary"], &[]),
                    ("", "detail") => (&["--markdown"], &[]),
                    ("", "output") => (&["--html"], &[]),
                    ("", "follow") => (&["x.jsonl"], &[]),
                    ("usage", "token-limit" | "active") => (&["blocks"], &[]),
                    ("replay", _) => (&["x.jsonl"], &[]),
                    ("html", "output") => (&["x"], &[]),
                    ("html", _) => (&["x", "-o", "out"], &[]),
                    _ => (&[], &[]),
                };
                let mut tries: Vec<Vec<String>> = Vec::new();
                let mut names = vec![format!("--{}", f.long)];
                names.extend(f.short.map(|s| format!("-{s}")));
                for name in &names {
                    if values.is_empty() {
                        tries.push(vec![name.clone()]);
                    }
                    for v in &values {
                        tries.push(vec![name.clone(), v.clone()]);
                    }
                }
                for t in tries {
                    let args: Vec<String> = before
                        .iter()
                        .map(|s| (*s).to_owned())
                        .chain(t)
                        .chain(after.iter().map(|s| (*s).to_owned()))
                        .collect();
                    if let Err(e) = parses(c.name, &args) {
                        panic!("aegon {} {args:?} is completed, and refused: {e}", c.name);
                    }
                }
            }
            for word in c.words {
                let parsed = parses(c.name, &[(*word).to_owned()]);
                assert!(parsed.is_ok(), "aegon {} {word}: {parsed:?}", c.name);
            }
        }
    }

    /// Runs bash's completion for each line of `cases` (the words after `aegon`, the last
    /// one being completed) in an empty folder; the offers, sorted, per case.
    fn bash_completes(cases: &[Vec<String>]) -> Vec<Vec<String>> {
        bash_completes_in(&crate::temp_dir::temp_dir("compl"), cases)
    }

    /// [`bash_completes`] in `dir`.
    fn bash_completes_in(dir: &std::path::Path, cases: &[Vec<String>]) -> Vec<Vec<String>> {
        let mut program = script("bash").unwrap();
        for words in cases {
            let quoted: Vec<String> = words
                .iter()
                .map(|w| format!("'{}'", w.replace('\'', "'\\''")))
                .collect();
            program.push_str(&format!(
                "COMP_WORDS=(aegon {}); COMP_CWORD={}; _aegon; printf '%s\\n' \"${{COMPREPLY[*]}}\"\n",
                quoted.join(" "),
                words.len()
            ));
        }
        let out = std::process::Command::new("bash")
            .args(["--norc", "-c", &program])
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<Vec<String>> = text
            .lines()
            .map(|l| {
                let mut w: Vec<String> = l.split_whitespace().map(str::to_owned).collect();
                w.sort();
                w
            })
            .collect();
        assert_eq!(lines.len(), cases.len(), "{text}");
        lines
    }

    fn sorted(mut v: Vec<String>) -> Vec<String> {
        v.sort();
        v
    }

    #[test]
    fn bash_offers_each_commands_own_options_and_values() {
        let mut cases = Vec::new();
        let mut expected = Vec::new();
        for c in all() {
            let head: Vec<String> = if c.name.is_empty() {
                vec!["x.jsonl".into()]
            } else {
                vec![c.name.into()]
            };
            let mut words = head.clone();
            words.push("--".into());
            cases.push(words);
            expected.push(sorted(
                c.flags().iter().map(|f| format!("--{}", f.long)).collect(),
            ));
            for f in c.flags() {
                let choices = f.value.choices();
                if choices.is_empty() {
                    continue;
                }
                let mut words = head.clone();
                words.extend([format!("--{}", f.long), String::new()]);
                cases.push(words);
                expected.push(sorted(choices));
            }
            let mut words = head.clone();
            if !c.name.is_empty() {
                words.push(String::new());
                cases.push(words);
                expected.push(sorted(c.words.iter().map(|w| (*w).to_owned()).collect()));
            }
        }
        cases.push(vec![String::new()]);
        expected.push(sorted(COMMANDS.iter().map(|c| c.name.to_owned()).collect()));
        // A kind list goes on after its comma; report names only in first place.
        cases.push(vec!["-k".into(), "tool_call,pr_".into()]);
        expected.push(vec!["tool_call,pr_link".into()]);
        cases.push(vec!["usage".into(), "--tz".into(), "UTC".into(), "".into()]);
        expected.push(sorted(
            [
                "daily", "weekly", "monthly", "sessions", "projects", "blocks",
            ]
            .map(String::from)
            .to_vec(),
        ));
        cases.push(vec!["usage".into(), "blocks".into(), "".into()]);
        expected.push(Vec::new());
        let got = bash_completes(&cases);
        for ((case, want), got) in cases.iter().zip(&expected).zip(&got) {
            assert_eq!(got, want, "aegon {}<TAB>", case.join(" "));
        }
    }

    #[test]
    fn fish_offers_each_commands_own_options() {
        // fish is not everywhere; where it is, its own completer reads the script.
        if std::process::Command::new("fish")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("fish not installed: not checked");
            return;
        }
        let dir = crate::temp_dir::temp_dir("compl-fish");
        let path = dir.join("aegon.fish");
        std::fs::write(&path, script("fish").unwrap()).unwrap();
        for c in COMMANDS {
            let out = std::process::Command::new("fish")
                .args(["--no-config", "-c"])
                .arg(format!(
                    "source {}; complete -C'aegon {} --'",
                    path.display(),
                    c.name
                ))
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let mut got: Vec<String> = text
                .lines()
                .map(|l| l.split('\t').next().unwrap_or("").to_owned())
                .collect();
            got.sort();
            let want = sorted(c.flags().iter().map(|f| format!("--{}", f.long)).collect());
            assert_eq!(got, want, "fish: aegon {} --<TAB>", c.name);
        }
    }

    /// Whether `shell` runs here (fish and zsh are not everywhere; bash is needed).
    fn have(shell: &str) -> bool {
        let here = std::process::Command::new(shell)
            .arg("--version")
            .output()
            .is_ok();
        assert!(here || shell != "bash", "bash is needed");
        if !here {
            eprintln!("{shell} not installed: not checked");
        }
        here
    }

    /// What fish's own completer offers for `aegon WORDS` (the last word being completed,
    /// trailing `/` of folders dropped) in `dir`, sorted.
    fn fish_completes(dir: &std::path::Path, words: &str) -> Vec<String> {
        let home = crate::temp_dir::temp_dir("compl-fish");
        let script = home.join("aegon.fish");
        std::fs::write(&script, script_text("fish")).unwrap();
        let out = std::process::Command::new("fish")
            .args(["--no-config", "-c"])
            .arg(format!(
                "source {}; complete -C'aegon {words}'",
                script.display()
            ))
            .current_dir(dir)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        sorted(
            text.lines()
                .map(|l| l.split('\t').next().unwrap_or("").trim_end_matches('/'))
                .map(str::to_owned)
                .collect(),
        )
    }

    /// Drives an interactive zsh in a pseudo-terminal (`zsh/zpty`): loads the script as
    /// `_aegon` with `compinit`, types `aegon WORDS` and a tab, logs what the completion
    /// system adds (`compadd` wrapped), then ends at a marker, so nothing waits on a clock.
    const ZSH_DRIVER: &str = r#"
zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z "PS1='' PROMPT='' RPROMPT=''; fpath=($1 \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "compadd () { local -a h; builtin compadd -O h \"\$@\"; print -rl -- \$h >> $2; builtin compadd \"\$@\" }"
zpty -w z "aegon $3"$'\t'
zpty -w z $'\C-u'"print -r -- DO''NE"
zpty -r z out '*DONE*'
zpty -d z
"#;

    /// What zsh's completion system offers for `aegon WORDS` in `dir`, sorted.
    fn zsh_completes(dir: &std::path::Path, words: &str) -> Vec<String> {
        let fpath = crate::temp_dir::temp_dir("compl-zsh");
        std::fs::write(fpath.join("_aegon"), script_text("zsh")).unwrap();
        let log = fpath.join("offers");
        std::fs::write(&log, "").unwrap();
        let status = std::process::Command::new("timeout")
            .args(["120", "zsh", "-f", "-c", ZSH_DRIVER, "zsh"])
            .arg(fpath.path())
            .arg(&log)
            .arg(words)
            .current_dir(dir)
            .status()
            .unwrap();
        assert!(status.success(), "zsh: aegon {words}<TAB>: {status}");
        let mut offers: Vec<String> = std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        offers.sort();
        offers.dedup();
        offers
    }

    fn script_text(shell: &str) -> String {
        script(shell).unwrap()
    }

    /// The report names come after options and their values, not only right after `usage`;
    /// `aegon html -o` takes a folder and offers folders only; `--html -o` takes a file.
    #[test]
    fn report_names_after_options_and_folders_for_html_output_in_every_shell() {
        let dir = crate::temp_dir::temp_dir("compl-places");
        std::fs::create_dir(dir.join("out")).unwrap();
        std::fs::write(dir.join("a.jsonl"), "").unwrap();
        let reports = [
            "blocks", "daily", "monthly", "projects", "sessions", "weekly",
        ];
        let with = |extra: &[&str]| {
            let mut v: Vec<String> = reports.iter().chain(extra).map(|w| (*w).into()).collect();
            v.sort();
            v
        };
        let files = vec!["a.jsonl".to_owned(), "out".to_owned()];
        let cases: Vec<(&str, Vec<String>)> = vec![
            ("usage ", with(&["a.jsonl", "out"])),
            ("usage --json ", with(&["a.jsonl", "out"])),
            ("usage --tz UTC ", with(&["a.jsonl", "out"])),
            ("usage -z UTC --breakdown ", with(&["a.jsonl", "out"])),
            ("usage daily ", files.clone()),
            ("usage --json out ", files.clone()),
            ("html -o ", vec!["out".to_owned()]),
            ("html a.jsonl --output ", vec!["out".to_owned()]),
            ("--html -o ", files.clone()),
        ];
        for (words, want) in &cases {
            let bash: Vec<String> = {
                let mut split: Vec<String> = words.split(' ').map(str::to_owned).collect();
                let got = bash_completes_in(&dir, &[std::mem::take(&mut split)]);
                got.into_iter().next().unwrap()
            };
            assert_eq!(&bash, want, "bash: aegon {words}<TAB>");
            if have("fish") {
                assert_eq!(
                    &fish_completes(&dir, words),
                    want,
                    "fish: aegon {words}<TAB>"
                );
            }
            if have("zsh") {
                assert_eq!(&zsh_completes(&dir, words), want, "zsh: aegon {words}<TAB>");
            }
        }
    }

    #[test]
    fn scripts_name_every_option_and_subcommand() {
        for shell in SHELLS {
            let text = script(shell).unwrap();
            for c in all() {
                for f in c.flags() {
                    assert!(text.contains(f.long), "{shell}: --{}", f.long);
                }
                assert!(text.contains(c.name), "{shell}: {}", c.name);
            }
            assert!(text.contains("pr_link"), "{shell}");
        }
        assert!(script("powershell").is_none());
    }

    #[test]
    fn the_scripts_are_valid_for_their_shells() {
        for (shell, check) in [("bash", "-n"), ("zsh", "-n"), ("fish", "--no-execute")] {
            let child = std::process::Command::new(shell)
                .arg(check)
                .stdin(std::process::Stdio::piped())
                .spawn();
            let Ok(mut child) = child else {
                assert_ne!(shell, "bash", "bash is needed");
                continue;
            };
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(script(shell).unwrap().as_bytes())
                .unwrap();
            assert!(child.wait().unwrap().success(), "{shell}");
        }
    }
}
