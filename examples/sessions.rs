//! Calls and cost per session over several transcripts (a `~/.claude/projects` folder, Codex
//! rollouts, …), the way the `aegon` binary counts them, in any order the files come in.
//!
//! ```sh
//! cargo run --example sessions -- fixtures/bugs/08-resume-copy/*.jsonl
//! ```
//!
//! A resumed session's file copies the lines of the session it resumes: read first, it would
//! take that session's entries (each counts once, in the first file that gives it).
//! [`in_first_occurred_order`] orders the files so that each entry counts where it first
//! occurred.

use std::error::Error;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use aegon::render::Flow;
use aegon::session::Sessions;
use aegon::source::order::in_first_occurred_order;
use aegon::{Event, Options, Pipeline, Renderer};

mod quiet;

/// A renderer that applies every event to a registry of sessions.
struct Collect(Sessions);

impl Renderer for Collect {
    fn on_event(&mut self, event: &Event<'_>) -> std::io::Result<Flow> {
        // The clock (0 here) only matters for a live view's "active" and "idle".
        self.0.apply(event, 0);
        Ok(Flow::Continue(()))
    }
}

fn main() -> ExitCode {
    // A closed output (`| head -1`) stops it quietly.
    quiet::exit(run())
}

fn run() -> Result<ExitCode, Box<dyn Error>> {
    let files: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let files = in_first_occurred_order(&files, workers, Options::default());
    let mut pipeline = Pipeline::new(Options::default(), Collect(Sessions::new()));
    let mut failed = false;
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
    let (Collect(sessions), _) = pipeline.finish()?;
    let mut out = std::io::stdout().lock();
    for s in sessions.iter() {
        let cost = s
            .cost()
            .map_or("unknown".to_owned(), |c| format!("${c:.4}"));
        writeln!(out, "{}: {} API calls, {cost}", s.id, s.api_calls())?;
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
