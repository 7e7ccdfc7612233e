//! Calls, cost and title per session over several transcripts (a `~/.claude/projects` folder,
//! Codex rollouts, …), the way the `aegon` binary counts them, in any order the files come in:
//! the sessions and figures of `aegon --summary --json` on the same files.
//!
//! ```sh
//! cargo run --example sessions -- fixtures/bugs/08-resume-copy/*.jsonl
//! cargo run --example sessions -- ~/.claude/projects
//! ```
//!
//! A resumed session's file copies the lines of the session it resumes: read first, it would
//! take that session's entries (each counts once, in the first file that gives it).
//! [`in_first_occurred_order`] orders the files so that each entry counts where it first
//! occurred. [`SessionCollector`] applies each event to its session as the binary does, lines
//! that name no session (trimmed exports) and old `summary` titles included, and
//! [`SessionCollector::listed`] leaves out the sessions the binary leaves out (a warm-up file's).

use std::error::Error;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use aegon::render::summary::SessionCollector;
use aegon::source::order::in_first_occurred_order;
use aegon::{Options, Pipeline};

mod quiet;

fn main() -> ExitCode {
    // A closed output (`| head -1`) stops it quietly.
    quiet::exit(run())
}

fn run() -> Result<ExitCode, Box<dyn Error>> {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut failed = false;
    for arg in std::env::args_os().skip(1).map(PathBuf::from) {
        if arg.is_dir() {
            // Every transcript below a folder (a `~/.claude/projects`), as the binary finds them.
            files.extend(aegon::source::tree::transcripts_below(&arg, |path, e| {
                eprintln!("{}: {e}", path.display());
                failed = true;
            }));
        } else {
            files.push(arg);
        }
    }
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let files = in_first_occurred_order(&files, workers, Options::default());
    let mut pipeline = Pipeline::new(Options::default(), SessionCollector::default());
    for path in &files {
        let name = path.display().to_string();
        let read = File::open(path)
            .map_err(|e| e.to_string())
            .and_then(|f| pipeline.read_to_end(&name, f).map_err(|e| e.to_string()));
        if let Err(e) = read {
            eprintln!("{name}: {e}");
            failed = true;
        }
    }
    let (sessions, _) = pipeline.finish()?;
    let mut out = std::io::stdout().lock();
    for s in sessions.listed() {
        // A response without a known price (a model the table lacks, usage not read whole)
        // makes the cost unknown, never $0: what has a price is then a lower bound.
        let cost = match (s.cost(), s.priced_cost()) {
            (Some(c), _) => format!("${c:.4}"),
            (None, p) if p > 0.0 => format!("at least ${p:.4}"),
            (None, _) => "unknown".to_owned(),
        };
        write!(out, "{}: {} API calls, {cost}", s.id, s.api_calls())?;
        match &s.title {
            Some(title) => writeln!(out, " ({})", title.text)?,
            None => writeln!(out)?,
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
