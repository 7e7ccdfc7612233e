//! `aegon audit [PATH…]`: per transcript format found, the record and block kinds with counts,
//! key paths never seen before, unknown kinds, malformed lines and the agent versions seen
//! (the measuring is [`aegon::format::audit`]; this module owns the options, the help and the
//! table).

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use aegon::format::audit::{sorted_versions, Audit, Report, Tally};
use aegon::format::Format;
use aegon::render::text::{inert, str_width, thousands};
use aegon::source::tree::JsonSkip;

use crate::args::InputArg;
use crate::cmd::usage::{color_value, custom};
use crate::report::{warn, warn_lines};

/// The command's help.
pub const HELP: &str = "\
aegon audit — what transcripts hold that aegon does not know yet

USAGE:
    aegon audit [OPTIONS] [PATH]...

    Run it when an agent update changes its transcript format. For each format found
    in the files and folders given (a folder stands for the transcripts below it; -
    reads standard input; with no PATH, the agents' default folders that exist, as
    aegon watch and aegon usage read them), it reports: the files, lines and records
    read; the record kinds (Claude Code: type, system/SUBTYPE, attachment/TYPE,
    progress/TYPE; Codex CLI: event_msg/TYPE, response_item/TYPE, …) and the content
    block kinds (assistant/tool_use, user/tool_result, …) with counts; the fields
    never seen before (key paths up to four keys deep, array elements as [], that are
    not in the format's list of known fields, e.g.
    message.usage.cache_creation.ephemeral_1h_input_tokens); the kinds aegon reads as
    unknown; malformed lines by reason with their first places (FILE:LINE:OFFSET, the
    offset in bytes of the problem); and the agent versions seen, with their records
    and first and last timestamps. Formats are told from the content, as everywhere in
    aegon.

OPTIONS:
        --json            One JSON object (schema schemas/audit.v1.schema.json;
                          version in v).
        --strict          Exit with 1 when anything is new: a new field, an unknown
                          kind or a malformed line (for CI).
        --format NAME     Read every input as this format instead of telling it from
                          the content.
        --max-line SIZE   Report and skip lines longer than SIZE bytes (K, M, G
                          suffixes) [default: 16M].
        --color WHEN      auto, always or never [default: auto]; auto honours NO_COLOR.
    -q, --quiet           Do not report unreadable files one by one.
    -h, --help            Print this help.

EXIT STATUS:
    0  every input was read and every line was well-formed (new fields and unknown
       kinds are findings, not errors, unless --strict)
    1  some lines were malformed, or with --strict anything was new
    2  a usage error, or an input could not be read (the others still were)
";

/// The options of one `aegon audit` run.
#[derive(Debug, Default)]
pub(crate) struct Options {
    json: bool,
    strict: bool,
    format: Option<Format>,
    max_line: Option<usize>,
    color: Option<bool>,
    quiet: bool,
    /// Maintainers: print FORMAT's known-fields list extended with what was seen.
    write_known: Option<Format>,
    paths: Vec<InputArg>,
}

fn format_named(option: &str, value: OsString) -> Result<Format, lexopt::Error> {
    value.to_str().and_then(Format::from_name).ok_or_else(|| {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
        custom(format!(
            "{option}: unknown format {:?}; one of: {}",
            value.to_string_lossy(),
            names.join(", ")
        ))
    })
}

pub(crate) fn parse(args: Vec<OsString>) -> Result<Option<Options>, lexopt::Error> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut o = Options::default();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(None),
            Long("json") => o.json = true,
            Long("strict") => o.strict = true,
            Long("format") => o.format = Some(format_named("--format", parser.value()?)?),
            Long("write-known") => {
                o.write_known = Some(format_named("--write-known", parser.value()?)?)
            }
            Long("max-line") => {
                let v = parser.value()?;
                o.max_line = Some(crate::args::parse_size(&v).ok_or_else(|| {
                    custom(format!(
                        "--max-line: '{}' is not a size (16M, 512K)",
                        v.to_string_lossy()
                    ))
                })?);
            }
            Long("color") | Long("colour") => o.color = color_value(parser.value()?)?,
            Short('q') | Long("quiet") => o.quiet = true,
            Value(v) if v == "-" => o.paths.push(InputArg::Stdin),
            Value(v) => o.paths.push(InputArg::Path(PathBuf::from(v))),
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(Some(o))
}

/// Runs `aegon audit` with `args` (after the word `audit`).
pub fn run(args: Vec<OsString>) -> io::Result<ExitCode> {
    let o = match parse(args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            io::stdout().lock().write_all(HELP.as_bytes())?;
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => {
            warn_lines(&[&format!("audit: {e}"), "Try 'aegon audit --help'."]);
            return Ok(ExitCode::from(2));
        }
    };
    let named = if o.paths.is_empty() {
        match aegon::source::watch::default_roots() {
            Ok(roots) => roots.into_iter().map(InputArg::Path).collect(),
            Err(message) => {
                warn(&message);
                return Ok(ExitCode::from(2));
            }
        }
    } else {
        o.paths.clone()
    };
    let mut failed = false;
    let quiet = o.quiet;
    let mut skipped = Vec::new();
    let mut inputs = crate::inputs::expand_noting_skipped(
        &named,
        |path, e| {
            failed = true;
            if !quiet {
                warn(&format!("{}: {e}", path.display()));
            }
        },
        |path, why| skipped.push((path.to_path_buf(), why)),
    );
    let mut audit = Audit::new(
        o.max_line.unwrap_or(aegon::pipeline::DEFAULT_MAX_LINE),
        o.format,
    );
    // Files a folder walk leaves out are findings too: an empty chat is read (an empty
    // file, as an empty .jsonl is), the others are listed with why.
    for (path, why) in skipped {
        match why {
            JsonSkip::Empty => inputs.push(InputArg::Path(path)),
            _ => audit.skip(path.display().to_string(), why.to_string()),
        }
    }
    for input in &inputs {
        let (name, result) = match input {
            InputArg::Stdin => (
                "<stdin>".to_owned(),
                audit.read("<stdin>", io::stdin().lock()),
            ),
            InputArg::Path(path) => {
                let name = path.display().to_string();
                let result = File::open(path).and_then(|f| audit.read(&name, f));
                (name, result)
            }
        };
        if let Err(e) = result {
            failed = true;
            if !quiet {
                warn(&format!("{name}: {e}"));
            }
        }
    }
    let mut out = io::stdout().lock();
    if let Some(format) = o.write_known {
        out.write_all(audit.known_list(format).as_bytes())?;
        out.flush()?;
        return Ok(if failed {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        });
    }
    if o.json {
        serde_json::to_writer_pretty(&mut out, &audit.to_json())?;
        writeln!(out)?;
    } else {
        let color = o.color.unwrap_or_else(|| {
            io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        });
        out.write_all(table(&audit, color).as_bytes())?;
    }
    out.flush()?;
    let reports = audit.reports();
    let malformed = reports.iter().any(|r| r.tally.malformed_total() > 0)
        || audit.unrecognised.malformed_total() > 0;
    let new = reports.iter().any(Report::anything_new);
    Ok(if failed {
        ExitCode::from(2)
    } else if malformed || (o.strict && new) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Escape sequences of the table: bold, yellow (new), red (malformed), reset.
struct Style {
    bold: &'static str,
    new: &'static str,
    bad: &'static str,
    reset: &'static str,
}

/// The findings as aligned tables, a section per format.
fn table(audit: &Audit, color: bool) -> String {
    let style = if color {
        Style {
            bold: "\x1b[1m",
            new: "\x1b[33m",
            bad: "\x1b[31m",
            reset: "\x1b[0m",
        }
    } else {
        Style {
            bold: "",
            new: "",
            bad: "",
            reset: "",
        }
    };
    let mut out = String::new();
    let reports = audit.reports();
    if reports.is_empty() {
        out.push_str("No transcript records read.\n");
    }
    for (i, r) in reports.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        format_section(&mut out, r, &style);
    }
    if audit.unrecognised.files > 0 {
        out.push_str(&format!(
            "\n{}Not recognised{}: {} file{} that no format recognises (try --format)\n",
            style.bold,
            style.reset,
            audit.unrecognised.files,
            plural(audit.unrecognised.files)
        ));
        if !audit.unrecognised.malformed.is_empty() {
            push_malformed(&mut out, &audit.unrecognised, &style);
        }
    }
    if audit.empty_files > 0 {
        out.push_str(&format!(
            "\n{} empty file{} (no records).\n",
            audit.empty_files,
            plural(audit.empty_files)
        ));
    }
    if !audit.skipped.is_empty() {
        let n = audit.skipped.len() as u64;
        out.push_str(&format!(
            "\n{}Skipped{}: {n} file{} met in folders and not read:\n",
            style.bold,
            style.reset,
            plural(n)
        ));
        for (file, why) in &audit.skipped {
            out.push_str(&format!("  {}: {}\n", inert(file), why));
        }
    }
    out
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn format_section(out: &mut String, r: &Report<'_>, style: &Style) {
    let t = r.tally;
    out.push_str(&format!(
        "{}{}{} ({}): {} file{}, {} lines, {} records, {}\n",
        style.bold,
        r.format.as_str(),
        style.reset,
        r.format.agent().as_str(),
        thousands(t.files),
        plural(t.files),
        thousands(t.lines),
        thousands(t.records),
        aegon::render::text::bytes(t.bytes),
    ));
    let counted = |title: &str, map: &std::collections::BTreeMap<String, u64>| {
        let mut rows = vec![vec![title.to_owned(), "Count".to_owned()]];
        rows.extend(map.iter().map(|(k, n)| vec![inert(k), thousands(*n)]));
        rows
    };
    if !t.kinds.is_empty() {
        out.push('\n');
        push_aligned(
            out,
            &counted("Record kind", &t.kinds),
            &[false, true],
            style,
            "",
        );
    }
    if !t.blocks.is_empty() {
        out.push('\n');
        push_aligned(
            out,
            &counted("Block kind", &t.blocks),
            &[false, true],
            style,
            "",
        );
    }
    out.push('\n');
    let versions = sorted_versions(t);
    if versions.is_empty() {
        out.push_str("  No agent version named.\n");
    } else {
        let mut rows = vec![vec![
            "Version".to_owned(),
            "Records".to_owned(),
            "First".to_owned(),
            "Last".to_owned(),
        ]];
        for (name, v) in versions {
            let time =
                |t: &Option<(i64, String)>| t.as_ref().map_or("-".to_owned(), |t| inert(&t.1));
            rows.push(vec![
                inert(name),
                thousands(v.records),
                time(&v.first),
                time(&v.last),
            ]);
        }
        push_aligned(out, &rows, &[false, true, false, false], style, "");
        if t.without_version > 0 {
            out.push_str(&format!(
                "  ({} record{} before any version was named)\n",
                thousands(t.without_version),
                plural(t.without_version)
            ));
        }
    }
    // Tables for what was found, each after a blank line; then one line for what was not.
    let mut nothing: Vec<&str> = Vec::new();
    if !r.fields_checked {
        nothing.push("fields not checked (no list of known fields for this format yet)");
    } else if r.new_fields.is_empty() {
        nothing.push("no new fields");
    } else {
        let mut rows = vec![vec![
            "New field".to_owned(),
            "Count".to_owned(),
            "First seen".to_owned(),
        ]];
        for (path, seen) in &r.new_fields {
            rows.push(vec![
                inert(path),
                thousands(seen.count),
                inert(&seen.first.to_string()),
            ]);
        }
        out.push('\n');
        push_rows_mixed(out, &rows, style, style.new);
    }
    if t.unknown.is_empty() {
        nothing.push("no unknown kinds");
    } else {
        let mut rows = vec![vec![
            "Unknown kind".to_owned(),
            "Count".to_owned(),
            "First seen".to_owned(),
        ]];
        for (kind, seen) in &t.unknown {
            rows.push(vec![
                inert(kind),
                thousands(seen.count),
                inert(&seen.first.to_string()),
            ]);
        }
        out.push('\n');
        push_rows_mixed(out, &rows, style, style.new);
    }
    if t.malformed.is_empty() {
        nothing.push("no malformed lines");
    } else {
        push_malformed(out, t, style);
    }
    push_nothing(out, &nothing);
}

/// `  No new fields, no unknown kinds.` after a blank line (nothing when `what` is empty).
fn push_nothing(out: &mut String, what: &[&str]) {
    let text = what.join(", ");
    let mut chars = text.chars();
    if let Some(first) = chars.next() {
        out.push_str(&format!(
            "\n  {}{}.\n",
            first.to_uppercase(),
            chars.as_str()
        ));
    }
}

/// The malformed lines table (after a blank line) and the first problem's explanation.
fn push_malformed(out: &mut String, t: &Tally, style: &Style) {
    out.push('\n');
    let mut rows = vec![vec![
        "Malformed".to_owned(),
        "Count".to_owned(),
        "First places".to_owned(),
    ]];
    for (reason, p) in &t.malformed {
        let places: Vec<String> = p
            .examples
            .iter()
            .map(|(at, _)| inert(&at.to_string()))
            .collect();
        rows.push(vec![
            (*reason).to_owned(),
            thousands(p.count),
            places.join(" "),
        ]);
    }
    push_rows_mixed(out, &rows, style, style.bad);
    if let Some((at, message)) = t.malformed.values().flat_map(|p| p.examples.first()).next() {
        let mut line = String::new();
        aegon::render::text::push_inert(&mut line, message, 200);
        out.push_str(&format!("  first: {}: {line}\n", inert(&at.to_string())));
    }
}

/// Rows of a name, a count and a text: name left, count right, text left.
fn push_rows_mixed(out: &mut String, rows: &[Vec<String>], style: &Style, tint: &str) {
    push_aligned(out, rows, &[false, true, false], style, tint);
}

/// Rows with their columns aligned, two spaces apart (`right[i]`: column `i` right-aligned),
/// indented by two; the first row is a bold heading, the others tinted with `tint`.
fn push_aligned(out: &mut String, rows: &[Vec<String>], right: &[bool], style: &Style, tint: &str) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(str_width(cell));
        }
    }
    for (n, row) in rows.iter().enumerate() {
        let mut line = String::from("  ");
        for (i, cell) in row.iter().enumerate() {
            let pad = " ".repeat(widths[i].saturating_sub(str_width(cell)));
            if i > 0 {
                line.push_str("  ");
            }
            if right.get(i).copied().unwrap_or(false) {
                line.push_str(&pad);
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&pad);
            }
        }
        let line = line.trim_end();
        if n == 0 {
            out.push_str(&format!("{}{line}{}\n", style.bold, style.reset));
        } else if !tint.is_empty() {
            out.push_str(&format!("{tint}{line}{}\n", style.reset));
        } else {
            out.push_str(&format!("{line}\n"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn options_and_paths() {
        let o = parse(args(&[
            "--json", "--strict", "a", "-", "--format", "claude",
        ]))
        .unwrap()
        .unwrap();
        assert!(o.json && o.strict);
        assert_eq!(o.format, Some(Format::Claude));
        assert_eq!(
            o.paths,
            [InputArg::Path(PathBuf::from("a")), InputArg::Stdin]
        );
        assert!(parse(args(&["--format", "nope"])).is_err());
        assert!(parse(args(&["--color", "sometimes"])).is_err());
        assert!(parse(args(&["--max-line", "big"])).is_err());
        assert!(parse(args(&["--help"])).unwrap().is_none());
        let o = parse(args(&["--write-known", "claude-code"]))
            .unwrap()
            .unwrap();
        assert_eq!(o.write_known, Some(Format::Claude));
    }

    #[test]
    fn the_help_lists_every_option_the_parser_takes() {
        let section = HELP.split("\nOPTIONS:\n").nth(1).unwrap_or("");
        for option in [
            "json", "strict", "format", "max-line", "color", "quiet", "help",
        ] {
            assert!(section.contains(&format!("--{option}")), "--{option}");
        }
    }
}
