//! Problems reported on stderr: a renderer wrapper that tells about malformed lines as they are
//! met (file, line, byte offset), up to a limit, then a summary at the end.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use aegon::pipeline::Stats;
use aegon::render::Flow;
use aegon::{Event, EventKind, Renderer};

/// Problem lines reported one by one before the rest are only counted.
pub const REPORT_LIMIT: u64 = 10;

/// Problem lines reported so far, in the whole process (workers share the limit).
static REPORTED: AtomicU64 = AtomicU64::new(0);

/// Inputs of which nothing was read (every event a problem report, none still read: a file
/// that is no transcript, refused whole or line by line), and their problem lines, in the
/// whole process (workers add theirs when they finish): the closing summary says these files
/// were not read instead of counting their lines as lost lines of a transcript.
static UNREAD_FILES: AtomicU64 = AtomicU64::new(0);
static UNREAD_PROBLEMS: AtomicU64 = AtomicU64::new(0);

/// Reports malformed lines on stderr and passes every event on to `R`.
#[derive(Debug)]
pub struct Reporting<R> {
    inner: R,
    quiet: bool,
    summary: bool,
    /// Inputs with problem lines: how many, and whether one was still read (recovered).
    problems: HashMap<String, (u64, bool)>,
    /// Inputs that gave an event other than a problem report, and the latest of them.
    read: HashSet<String>,
    last_read: String,
}

impl<R> Reporting<R> {
    /// Wraps `inner`; `quiet` keeps the per-line reports (not the summary) off.
    pub fn new(inner: R, quiet: bool) -> Self {
        Reporting {
            inner,
            quiet,
            summary: true,
            problems: HashMap::new(),
            read: HashSet::new(),
            last_read: String::new(),
        }
    }

    /// Leaves the closing summary to the caller (which merges several runs' counters).
    pub fn without_summary(mut self) -> Self {
        self.summary = false;
        self
    }

    /// The wrapped renderer.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Notes that something of `file` was read (an event other than a problem report).
    fn note_read(&mut self, file: &str) {
        // The same input as the event before, most of the time: its name is the same string.
        let same = std::ptr::eq(file.as_ptr(), self.last_read.as_ptr())
            && file.len() == self.last_read.len();
        if !same && file != self.last_read {
            self.last_read = file.to_owned();
            self.read.insert(file.to_owned());
        }
    }
}

impl<R: Renderer> Renderer for Reporting<R> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        if let EventKind::Malformed(m) = &event.kind {
            let tally = match self.problems.get_mut(event.source.file) {
                Some(tally) => tally,
                None => self
                    .problems
                    .entry(event.source.file.to_owned())
                    .or_default(),
            };
            tally.0 += 1;
            tally.1 |= m.recovered;
            if !self.quiet {
                let reported = REPORTED.fetch_add(1, Ordering::Relaxed) + 1;
                if reported <= REPORT_LIMIT {
                    warn(&format!(
                        "{}:{}: byte {}: {}",
                        event.source.file, event.source.line, m.error_offset, m.message
                    ));
                } else if reported == REPORT_LIMIT + 1 {
                    warn("more problem lines: counted, not shown one by one (see the summary at the end)");
                }
            }
        } else {
            self.note_read(event.source.file);
        }
        self.inner.on_event(event)
    }

    fn on_skipped(&mut self, event: &Event<'_>) {
        self.note_read(event.source.file);
        self.inner.on_skipped(event)
    }

    fn pause(&mut self) {
        self.inner.pause()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    fn finish(&mut self, stats: &Stats) -> io::Result<()> {
        for (file, &(problems, recovered)) in &self.problems {
            if !recovered && !self.read.contains(file) {
                UNREAD_FILES.fetch_add(1, Ordering::Relaxed);
                UNREAD_PROBLEMS.fetch_add(problems, Ordering::Relaxed);
            }
        }
        self.problems.clear();
        // Output first, so the summary is the last thing on a shared terminal.
        self.inner.finish(stats)?;
        if self.summary {
            print_summary(stats);
        }
        Ok(())
    }
}

/// The closing lines about repeated and problem lines, if there were any. Inputs of which
/// nothing was read (no transcript: a Copilot CLI `workspace.yaml`, a binary file, a JSON
/// document no format knows) are said as such, not as lost lines; the problem lines of the
/// others as before.
pub fn print_summary(stats: &Stats) {
    if stats.repeated_lines > 0 {
        warn(&format!(
            "{} line{} repeated earlier entries (same uuid, or for a line without one the same bytes after the same entry: re-appended, resumed or copied sessions) and counted once",
            stats.repeated_lines,
            plural(stats.repeated_lines),
        ));
    }
    let problems = stats.malformed.total();
    if problems == 0 {
        return;
    }
    let unread = UNREAD_FILES.load(Ordering::Relaxed);
    let unread_problems = UNREAD_PROBLEMS.load(Ordering::Relaxed).min(problems);
    let parts: Vec<String> = stats
        .malformed
        .nonzero()
        .into_iter()
        .map(|(reason, n)| format!("{n} {}", reason.as_str()))
        .collect();
    if unread > 0 {
        let rest = problems - unread_problems;
        let (it, what) = if unread == 1 {
            ("it", "")
        } else {
            ("them", "s")
        };
        let said = if rest == 0 {
            // Every problem line is theirs: the counts by reason are theirs too.
            format!(
                ": {problems} problem line{} ({})",
                plural(problems),
                parts.join(", ")
            )
        } else {
            // The others' problem lines, which the counts by reason do not tell apart.
            let lost = stats.malformed.lost().saturating_sub(unread_problems);
            format!(
                " ({unread_problems} problem line{}); in the others {rest} problem line{} ({lost} lost, the rest read)",
                plural(unread_problems),
                plural(rest)
            )
        };
        warn(&format!(
            "{unread} file{what} not read, nothing in {it} is a transcript{said}"
        ));
        return;
    }
    let lost = stats.malformed.lost();
    warn(&format!(
        "{problems} problem line{} of {} ({}); {} line{} lost, the rest read",
        plural(problems),
        stats.lines,
        parts.join(", "),
        lost,
        plural(lost),
    ));
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// What the library's followers and watchers say about files, as warnings (none when `quiet`).
pub fn notes(quiet: bool) -> impl FnMut(&str) {
    move |note: &str| {
        if !quiet {
            warn(note);
        }
    }
}

/// Where warnings go instead of stderr while the dashboard owns the terminal.
type Diverter = Box<dyn Fn(&str) + Send + Sync>;

static DIVERTED: Mutex<Option<Diverter>> = Mutex::new(None);

/// Sends warnings to `to` instead of stderr (`None`: back to stderr). The dashboard shows them
/// while it owns the screen, where stderr would tear its drawing.
pub fn divert_warnings(to: Option<Diverter>) {
    if let Ok(mut slot) = DIVERTED.lock() {
        *slot = to;
    }
}

/// Writes `aegon: {message}` to stderr, made inert (file names and parser messages can quote
/// transcript bytes: a newline in them shows as `␊`, so one message stays one line), ignoring a
/// failure to write: there is nowhere else to say it.
pub fn warn(message: &str) {
    warn_lines(&[message]);
}

/// Writes a message of several lines, each given apart and made inert on its own: the first
/// after `aegon: `, the others as they are (`Try 'aegon --help' for usage.`). For aegon's own
/// messages, whose line breaks are meant, around parts that may quote input.
pub fn warn_lines(lines: &[&str]) {
    let inert: Vec<String> = lines
        .iter()
        .map(|line| aegon::render::text::inert(line))
        .collect();
    if let Ok(slot) = DIVERTED.lock() {
        if let Some(divert) = slot.as_ref() {
            for line in &inert {
                divert(line);
            }
            return;
        }
    }
    let mut err = io::stderr().lock();
    for (i, line) in inert.iter().enumerate() {
        let _ = if i == 0 {
            writeln!(err, "aegon: {line}")
        } else {
            writeln!(err, "{line}")
        };
    }
}
