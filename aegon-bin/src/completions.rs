//! `aegon completions SHELL`: completion scripts for bash, zsh and fish, from one table of the
//! options (a test holds the table to the help text and to the parser).

/// A command-line option.
pub struct Flag {
    /// `--long` name, without dashes.
    pub long: &'static str,
    /// `-s` short name.
    pub short: Option<char>,
    /// The values it takes (`&[]`: any value when `value` is set).
    pub choices: &'static [&'static str],
    /// The name of its value, if it takes one (`FILE`, `WHEN`, …).
    pub value: Option<&'static str>,
    /// One line of help.
    pub help: &'static str,
}

const fn flag(long: &'static str, short: Option<char>, help: &'static str) -> Flag {
    Flag {
        long,
        short,
        choices: &[],
        value: None,
        help,
    }
}

const fn valued(
    long: &'static str,
    short: Option<char>,
    value: &'static str,
    choices: &'static [&'static str],
    help: &'static str,
) -> Flag {
    Flag {
        long,
        short,
        choices,
        value: Some(value),
        help,
    }
}

/// Event kinds, for `-k` and `-x`.
const KINDS: &[&str] = &[
    "user_prompt",
    "user_meta",
    "interrupt",
    "compact_summary",
    "image",
    "assistant_text",
    "thinking",
    "tool_call",
    "tool_result",
    "usage",
    "system",
    "compact",
    "api_error",
    "title",
    "progress",
    "attachment",
    "file_snapshot",
    "queue",
    "last_prompt",
    "mode",
    "permission_mode",
    "unknown",
    "malformed",
];

/// Every option `aegon` takes.
pub const FLAGS: &[Flag] = &[
    flag("ndjson", None, "one JSON object per event"),
    flag("plain", None, "one line per event"),
    flag("summary", Some('s'), "a summary per session at the end"),
    flag("json", None, "with --summary: one JSON object"),
    valued(
        "threads",
        Some('j'),
        "N",
        &[],
        "with --summary: threads to read files on",
    ),
    valued(
        "pricing",
        None,
        "FILE",
        &[],
        "prices that extend the built-in table",
    ),
    valued(
        "color",
        None,
        "WHEN",
        &["auto", "always", "never"],
        "when to colour",
    ),
    valued(
        "kind",
        Some('k'),
        "KINDS",
        KINDS,
        "output only these event kinds",
    ),
    valued(
        "skip",
        Some('x'),
        "KINDS",
        KINDS,
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
        "AGE",
        &["10m", "1h", "1d", "all", "0"],
        "with watch: history to read",
    ),
    valued(
        "speed",
        None,
        "N",
        &[],
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
        "URL",
        &[],
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
        "PROTOCOL",
        &["http/protobuf", "http/json"],
        "OTLP/HTTP body encoding",
    ),
    valued(
        "otlp-compression",
        None,
        "COMPRESSION",
        &["gzip", "none"],
        "compress OTLP requests",
    ),
    valued(
        "otlp-ca",
        None,
        "FILE",
        &[],
        "also trust this PEM file's certificates",
    ),
    flag("otlp-content", None, "include prompt and tool text in OTLP"),
    flag("html", None, "one self-contained HTML report"),
    flag("markdown", None, "the transcript as Markdown"),
    valued(
        "detail",
        None,
        "LEVEL",
        &["full", "tools", "prompts"],
        "with --markdown: how much to write",
    ),
    valued(
        "output",
        Some('o'),
        "FILE",
        &[],
        "with --html or --markdown: the file to write",
    ),
    valued(
        "format",
        None,
        "NAME",
        &[
            "claude",
            "codex",
            "gemini-json",
            "gemini-jsonl",
            "gemini-logs",
            "qwen",
            "opencode",
            "copilot",
        ],
        "read every input as this transcript format",
    ),
    valued(
        "agent",
        None,
        "NAME",
        &[
            "claude-code",
            "codex",
            "gemini-cli",
            "opencode",
            "copilot-cli",
            "qwen-code",
        ],
        "only this agent's sessions",
    ),
    valued("max-line", None, "SIZE", &[], "longest line read"),
    flag("quiet", Some('q'), "do not report problem lines one by one"),
    flag("help", Some('h'), "print the help"),
    flag("version", Some('V'), "print the version"),
];

/// Subcommands, in first place.
pub const SUBCOMMANDS: &[(&str, &str)] = &[
    (
        "watch",
        "every session as it is written (the dashboard on a terminal)",
    ),
    ("run", "the same as watch"),
    ("replay", "play a recorded transcript"),
    ("demo", "replay a session shipped with aegon"),
    (
        "usage",
        "tokens and cost by day, week, month, session, project or 5-hour block",
    ),
    (
        "statusline",
        "a status line for Claude Code (reads its JSON on stdin)",
    ),
    (
        "completions",
        "print a completion script: bash, zsh or fish",
    ),
    ("man", "print the man page"),
    ("help", "print aegon's help, or a command's"),
    (
        "audit",
        "record kinds, new fields, unknown kinds, malformed lines and versions per format",
    ),
    (
        "html",
        "a report per session and an index page: html DIR -o OUT/",
    ),
];

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

fn bash() -> String {
    let mut words: Vec<String> = Vec::new();
    for f in FLAGS {
        words.push(format!("--{}", f.long));
        if let Some(s) = f.short {
            words.push(format!("-{s}"));
        }
    }
    let subcommands: Vec<&str> = SUBCOMMANDS.iter().map(|(name, _)| *name).collect();
    let mut cases = String::new();
    for f in FLAGS.iter().filter(|f| f.value.is_some()) {
        let mut names = format!("--{}", f.long);
        if let Some(s) = f.short {
            names.push_str(&format!("|-{s}"));
        }
        let action = if f.value == Some("FILE") {
            "COMPREPLY=($(compgen -f -- \"$cur\")); return".to_owned()
        } else if f.choices.is_empty() {
            "return".to_owned()
        } else {
            format!(
                "COMPREPLY=($(compgen -W \"{}\" -- \"$cur\")); return",
                f.choices.join(" ")
            )
        };
        cases.push_str(&format!("        {names}) {action} ;;\n"));
    }
    format!(
        r#"# bash completion for aegon (generated by: aegon completions bash)
_aegon() {{
    local cur prev
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    case "$prev" in
{cases}        completions) COMPREPLY=($(compgen -W "{shells}" -- "$cur")); return ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "{words}" -- "$cur"))
    elif [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W "{subcommands}" -- "$cur") $(compgen -f -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}}
complete -o filenames -F _aegon aegon
"#,
        shells = SHELLS.join(" "),
        words = words.join(" "),
        subcommands = subcommands.join(" "),
    )
}

fn zsh() -> String {
    let mut specs = String::new();
    for f in FLAGS {
        let help = f.help.replace('\'', "'\\''").replace(':', "\\:");
        let action = match (f.value, f.choices) {
            (None, _) => String::new(),
            (Some("FILE"), _) => ":file:_files".to_owned(),
            (Some(v), []) => format!(":{}: ", v.to_lowercase()),
            (Some(v), choices) => format!(":{}:({})", v.to_lowercase(), choices.join(" ")),
        };
        match f.short {
            Some(s) => specs.push_str(&format!(
                "    '(-{s} --{l})'{{-{s},--{l}}}'[{help}]{action}' \\\n",
                l = f.long
            )),
            None => specs.push_str(&format!("    '--{}[{help}]{action}' \\\n", f.long)),
        }
    }
    let subcommands: Vec<String> = SUBCOMMANDS
        .iter()
        .map(|(name, help)| format!("'{name}:{}'", help.replace('\'', "'\\''")))
        .collect();
    format!(
        r#"#compdef aegon
# zsh completion for aegon (generated by: aegon completions zsh)
_aegon() {{
  local -a subcommands
  subcommands=({subcommands})
  _arguments -s \
{specs}    '1: :->first' \
    '*:file:_files'
  case $state in
    first)
      _describe 'command' subcommands
      _files
      ;;
  esac
}}
_aegon "$@"
"#,
        subcommands = subcommands.join(" "),
    )
}

fn fish() -> String {
    let mut out = String::from(
        "# fish completion for aegon (generated by: aegon completions fish)\ncomplete -c aegon -f\n",
    );
    for (name, help) in SUBCOMMANDS {
        out.push_str(&format!(
            "complete -c aegon -n __fish_use_subcommand -a {name} -d '{}'\n",
            help.replace('\'', "\\'")
        ));
    }
    out.push_str(&format!(
        "complete -c aegon -n '__fish_seen_subcommand_from completions' -a '{}'\n",
        SHELLS.join(" ")
    ));
    for f in FLAGS {
        let mut line = format!("complete -c aegon -l {}", f.long);
        if let Some(s) = f.short {
            line.push_str(&format!(" -s {s}"));
        }
        match (f.value, f.choices) {
            (None, _) => {}
            (Some("FILE"), _) => line.push_str(" -r -F"),
            (Some(_), []) => line.push_str(" -r"),
            (Some(_), choices) => line.push_str(&format!(" -x -a '{}'", choices.join(" "))),
        }
        line.push_str(&format!(" -d '{}'\n", f.help.replace('\'', "\\'")));
        out.push_str(&line);
    }
    // Files are arguments too (transcripts, folders).
    out.push_str("complete -c aegon -n 'not __fish_seen_subcommand_from completions man' -F\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `--options` the help text lists in its OPTIONS section.
    fn help_options() -> Vec<String> {
        let help = crate::HELP;
        let section = help
            .split("\nOPTIONS:\n")
            .nth(1)
            .and_then(|rest| rest.split("\n\n").next())
            .unwrap_or("");
        let mut found = Vec::new();
        for line in section.lines() {
            let trimmed = line.trim_start();
            if !trimmed.starts_with('-') {
                continue;
            }
            let names = trimmed.split("  ").next().unwrap_or("");
            for word in names.split([' ', ',']) {
                if let Some(long) = word.strip_prefix("--") {
                    found.push(long.to_owned());
                }
            }
        }
        found
    }

    #[test]
    fn the_table_lists_what_the_help_lists_and_the_parser_takes() {
        let listed: Vec<&str> = FLAGS.iter().map(|f| f.long).collect();
        let mut in_help = help_options();
        in_help.sort();
        let mut table: Vec<String> = listed.iter().map(|s| (*s).to_owned()).collect();
        table.sort();
        assert_eq!(table, in_help, "FLAGS and the help's OPTIONS differ");
        for f in FLAGS {
            let mut args = vec![format!("--{}", f.long)];
            if let Some(v) = f.value {
                args.push(
                    f.choices
                        .first()
                        .map_or(
                            match v {
                                "N" => "2",
                                "SIZE" => "1M",
                                _ => "x",
                            },
                            |c| c,
                        )
                        .to_owned(),
                );
            }
            // Options that only go with others are checked with them.
            let context: &[&str] = match f.long {
                "speed" => &["demo"],
                "detached" | "since" | "poll" | "no-index" => &["watch"],
                "from-end" => &["-f", "x.jsonl"],
                "json" => &["--summary"],
                "detail" => &["--markdown"],
                "output" => &["--html"],
                "follow" => &["x.jsonl"],
                _ => &[],
            };
            let all: Vec<std::ffi::OsString> = context
                .iter()
                .map(|s| (*s).into())
                .chain(args.iter().map(Into::into))
                .collect();
            let parsed = crate::args::parse(all.clone());
            assert!(parsed.is_ok(), "{all:?}: {:?}", parsed.err());
        }
    }

    #[test]
    fn scripts_name_every_option_and_subcommand() {
        for shell in SHELLS {
            let text = script(shell).unwrap();
            for f in FLAGS {
                assert!(text.contains(f.long), "{shell}: --{}", f.long);
            }
            for (name, _) in SUBCOMMANDS {
                assert!(text.contains(name), "{shell}: {name}");
            }
        }
        assert!(script("powershell").is_none());
    }

    #[test]
    fn the_bash_script_is_valid_bash() {
        let mut child = std::process::Command::new("bash")
            .arg("-n")
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script("bash").unwrap().as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
    }
}
