//! Reports to read and share: `aegon --html`, `aegon --markdown` and `aegon html DIR -o OUT/`.
//!
//! `--html` and `--markdown` are outputs of the ordinary run (one document of every session
//! read, on stdout or in `-o FILE`); `aegon html` is a command of its own, with its own
//! options, that writes one report per session and an index page into a folder.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aegon::pipeline::{Options, Pipeline, DEFAULT_MAX_LINE};
use aegon::render::html::{document, index_document, report_file_name, HtmlRenderer, IndexRow};
use aegon::render::markdown::{Detail, MarkdownRenderer};
use aegon::render::transcript::{report_sessions, Limits, TranscriptCollector};
use aegon::render::Renderer;
use aegon::session::pricing::Pricing;

use crate::args::InputArg;
use crate::report::{warn, Reporting};

/// Help of `aegon html`.
pub const HELP: &str = "\
aegon html — one self-contained HTML report per session, and an index page

USAGE:
    aegon html [OPTIONS] PATH... -o OUT/

    Reads the transcripts named (a directory stands for every *.jsonl below it,
    subagent transcripts included) and writes OUT/<session-id>.html for each session
    with anything in it (a suffix, -2, -3…, when two would share a name, case
    ignored), and OUT/index.html linking them, newest first. Subagent
    runs go into their parent session's report, under the call that started them.
    The reports load nothing from anywhere: open them from disk, attach them to a
    pull request or keep them as CI artifacts. For one session on stdout:
    aegon --html FILE (and aegon --markdown FILE for Markdown).

OPTIONS:
    -o, --output DIR    The folder to write into (created if missing).
        --pricing FILE  Prices that extend or override the built-in table.
        --max-line SIZE Report and skip longer lines [default: 16M].
    -q, --quiet         Do not report problem lines one by one.
    -h, --help          Print this help.
";

/// The options of `aegon html`.
#[derive(Debug)]
pub struct HtmlArgs {
    /// Transcripts and folders to read.
    pub inputs: Vec<InputArg>,
    /// The folder the reports go into.
    pub out_dir: PathBuf,
    /// `--pricing FILE`.
    pub pricing: Option<PathBuf>,
    /// `--max-line`.
    pub max_line: usize,
    /// `-q`.
    pub quiet: bool,
}

/// What `aegon html …` asked for.
#[derive(Debug)]
pub enum HtmlCommand {
    /// Write the reports.
    Run(HtmlArgs),
    /// Print [`HELP`].
    Help,
}

/// Parses the arguments after `html`.
pub fn parse(parser: &mut lexopt::Parser) -> Result<HtmlCommand, lexopt::Error> {
    use lexopt::prelude::*;
    let mut inputs = Vec::new();
    let mut out_dir = None;
    let mut pricing = None;
    let mut max_line = DEFAULT_MAX_LINE;
    let mut quiet = false;
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(HtmlCommand::Help),
            Short('o') | Long("output") => out_dir = Some(PathBuf::from(parser.value()?)),
            Long("pricing") => pricing = Some(PathBuf::from(parser.value()?)),
            Long("max-line") => {
                let value = parser.value()?;
                max_line = crate::args::parse_size(&value).ok_or_else(|| {
                    lexopt::Error::UnexpectedValue {
                        option: "--max-line".into(),
                        value: value.clone(),
                    }
                })?;
            }
            Short('q') | Long("quiet") => quiet = true,
            Value(v) if v == "-" => inputs.push(InputArg::Stdin),
            Value(v) => inputs.push(InputArg::Path(v.into())),
            _ => return Err(arg.unexpected()),
        }
    }
    let Some(out_dir) = out_dir else {
        return Err(lexopt::Error::Custom(
            "aegon html writes a folder of reports: give it with -o OUT/ (for one report on stdout, aegon --html FILE)".into(),
        ));
    };
    if inputs.is_empty() {
        return Err(lexopt::Error::Custom(
            "aegon html reads transcripts: name files or folders (aegon html ~/.claude/projects -o OUT/)".into(),
        ));
    }
    Ok(HtmlCommand::Run(HtmlArgs {
        inputs,
        out_dir,
        pricing,
        max_line,
        quiet,
    }))
}

/// `--html` or `--markdown` of an ordinary run: the renderer, writing to `output` (a file) or
/// stdout. A file is written beside `output` under another name, and takes its name only when
/// [`PendingOutput::replace`] says so (a report of nothing never replaces an earlier one).
///
/// Errors: a sentence naming the file when it cannot be created.
pub fn renderer(
    markdown: Option<Detail>,
    output: Option<&Path>,
    pricing: Pricing,
) -> Result<(Box<dyn Renderer>, Option<PendingOutput>), String> {
    let (out, pending): (Box<dyn Write>, _) = match output {
        Some(path) => {
            let (file, pending) =
                PendingOutput::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
            (Box::new(BufWriter::new(file)), Some(pending))
        }
        None => (Box::new(BufWriter::new(io::stdout())), None),
    };
    let renderer: Box<dyn Renderer> = match markdown {
        Some(detail) => Box::new(MarkdownRenderer::new(out, detail, pricing)),
        None => Box::new(HtmlRenderer::new(out, pricing)),
    };
    Ok((renderer, pending))
}

/// An `-o FILE` being written: a file beside it (`.NAME.aegon-PID.tmp`, in the same folder so
/// that renaming it is one atomic step) that becomes FILE with [`PendingOutput::replace`], and
/// is removed if dropped before. When FILE is a symbolic link, the file it leads to is the one
/// written (beside it, and renamed there), as editors write through a link: the link stays a
/// link. A file replaced keeps its permissions.
#[derive(Debug)]
pub struct PendingOutput {
    temp: PathBuf,
    /// The file replaced: FILE, or where its links lead.
    target: PathBuf,
    /// FILE as given (for messages).
    dest: PathBuf,
}

/// Most links followed from one path (Linux's limit, `ELOOP` past it).
const MAX_LINKS: usize = 40;

/// The path `path` leads to through symbolic links: each link's target read (a relative one
/// from the link's folder) until a path is no link, or names nothing yet (a dangling link:
/// writing through it creates its target, as the shell's `>` does). `path` itself when it is
/// no link. Errors: a link that cannot be read, or more than [`MAX_LINKS`] in a row (a loop).
pub fn through_links(path: &Path) -> io::Result<PathBuf> {
    let mut at = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&at)?;
                at = match at.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(at),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

impl PendingOutput {
    /// Creates the file beside `dest`, or beside the file `dest` leads to when it is a link
    /// (the folder must exist, as for that file itself).
    fn create(dest: &Path) -> io::Result<(File, PendingOutput)> {
        let target = through_links(dest)?;
        let name = target
            .file_name()
            .ok_or_else(|| io::Error::other("not a file name"))?;
        let mut temp_name = OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".aegon-{}.tmp", std::process::id()));
        let temp = target.with_file_name(temp_name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)?;
        let pending = PendingOutput {
            temp,
            target,
            dest: dest.to_path_buf(),
        };
        // The file replaced keeps its permissions (a report kept private stays so).
        if let Ok(meta) = std::fs::metadata(&pending.target) {
            file.set_permissions(meta.permissions())?;
        }
        Ok((file, pending))
    }

    /// Gives the written report its name (the file was flushed and closed by then).
    ///
    /// Errors: a sentence naming the file when the rename fails (the report is removed).
    pub fn replace(self) -> Result<(), String> {
        std::fs::rename(&self.temp, &self.target)
            .map_err(|e| format!("{}: {e}", self.dest.display()))
        // Drop removes the temporary file when the rename failed (and finds none otherwise).
    }

    /// The file that was to be written.
    pub fn dest(&self) -> &Path {
        &self.dest
    }
}

impl Drop for PendingOutput {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.temp);
    }
}

/// Parses `--detail`.
pub fn parse_detail(value: &OsString) -> Result<Detail, lexopt::Error> {
    value
        .to_str()
        .and_then(Detail::from_name)
        .ok_or_else(|| lexopt::Error::UnexpectedValue {
            option: "--detail".into(),
            value: value.clone(),
        })
}

/// Runs `aegon html`.
pub fn run(command: HtmlCommand) -> io::Result<ExitCode> {
    let args = match command {
        HtmlCommand::Help => {
            io::stdout().lock().write_all(HELP.as_bytes())?;
            return Ok(ExitCode::SUCCESS);
        }
        HtmlCommand::Run(args) => args,
    };
    let mut pricing = Pricing::built_in();
    if let Some(path) = &args.pricing {
        let loaded = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| pricing.merge_json(&text).map_err(|e| e.to_string()));
        if let Err(e) = loaded {
            warn(&format!("{}: {e}", path.display()));
            return Ok(ExitCode::from(2));
        }
    }
    let mut unreadable = false;
    let inputs = crate::inputs::expand(&args.inputs, |path, e| {
        warn(&format!("{}: {e}", path.display()));
        unreadable = true;
    });
    let options = Options {
        max_line: args.max_line,
        ..Options::default()
    };
    // Each entry in the session where it first occurred, as `--summary` counts it.
    let inputs = crate::first_occurred_inputs(inputs, None, options, &pricing)?;
    let collector = TranscriptCollector::new(pricing, Limits::default());
    let mut pipeline = Pipeline::new(options, Reporting::new(collector, args.quiet));
    let failed = crate::read_inputs(&inputs, args.quiet, &mut pipeline)? || unreadable;
    let (reporting, stats) = pipeline.finish()?;
    let (sessions, logs) = reporting.into_inner().into_parts();
    if let Err(e) = std::fs::create_dir_all(&args.out_dir) {
        warn(&format!("{}: {e}", args.out_dir.display()));
        return Ok(ExitCode::from(2));
    }
    let mut rows = Vec::new();
    // The index's name is taken first, so no report can overwrite it.
    let mut used = std::collections::HashSet::from(["index.html".to_owned()]);
    for (n, (s, log)) in report_sessions(&sessions, &logs).into_iter().enumerate() {
        let file = unique_name(report_file_name(&s.id, n + 1), &mut used);
        let html = document(&[(s, log)]);
        write_file(&args.out_dir.join(&file), html.as_bytes())?;
        rows.push(IndexRow::new(s, file));
    }
    let index = args.out_dir.join("index.html");
    write_file(&index, index_document(&rows).as_bytes())?;
    writeln!(
        io::stdout().lock(),
        "{} ({} session report{})",
        index.display(),
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    )?;
    Ok(if failed {
        ExitCode::from(2)
    } else if stats.malformed.total() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `file` (a name ending in `.html`), or `stem-2.html`, `stem-3.html`… when that name is in
/// `used` ignoring ASCII case (case-insensitive file systems, macOS's and Windows' by default,
/// would otherwise write two reports into one file); the name returned is added to `used`.
fn unique_name(file: String, used: &mut std::collections::HashSet<String>) -> String {
    if used.insert(file.to_ascii_lowercase()) {
        return file;
    }
    let stem = file.strip_suffix(".html").unwrap_or(&file);
    let mut k = 2usize;
    loop {
        let candidate = format!("{stem}-{k}.html");
        if used.insert(candidate.to_ascii_lowercase()) {
            return candidate;
        }
        k += 1;
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    std::fs::write(path, bytes)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}
