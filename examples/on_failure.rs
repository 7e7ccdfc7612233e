//! Follow a transcript and react to tool failures: here, print the failing call and ring the
//! terminal bell; a hook could post to chat or stop a CI job instead.
//!
//! ```sh
//! cargo run --example on_failure -- ~/.claude/projects/-home-me-proj/SESSION.jsonl
//! cargo run --example on_failure -- --once SESSION.jsonl   # read to the end, then exit
//! ```
//!
//! [`Tail`] does the `tail -F` work (appends, truncation, rotation, a file not there yet); the
//! loop decides when to look (every 250 ms here; the aegon binary uses file notifications).

use std::error::Error;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use aegon::render::text::result_preview;
use aegon::render::Flow;
use aegon::source::follow::{Change, Tail};
use aegon::{Event, EventKind, Options, Pipeline, Renderer};

mod quiet;

/// Reacts to failed tool results.
struct OnFailure {
    failures: u64,
}

impl Renderer for OnFailure {
    fn on_event(&mut self, event: &Event<'_>) -> std::io::Result<Flow> {
        if let EventKind::ToolResult {
            is_error: true,
            tool,
            content,
            duration_ms,
            ..
        } = &event.kind
        {
            self.failures += 1;
            let what = content.map(|c| result_preview(c, 120)).unwrap_or_default();
            let first = what.lines().next().unwrap_or("");
            // Transcript text is untrusted: keep control characters off the terminal.
            let first: String = first.chars().filter(|c| !c.is_control()).collect();
            // A closed output fails the write: the error stops the pipeline, and `main`.
            writeln!(
                std::io::stdout(),
                "\x07✗ {} failed after {} ms at {}:{}: {first}",
                tool.as_deref().unwrap_or("a tool"),
                duration_ms.map_or("?".to_owned(), |d| d.to_string()),
                event.source.file,
                event.source.line,
            )?;
        }
        Ok(Flow::Continue(()))
    }
}

fn main() -> ExitCode {
    // A closed output (`| head -1`) stops it quietly.
    quiet::exit(run())
}

fn run() -> Result<ExitCode, Box<dyn Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let once = args.first().is_some_and(|a| a == "--once");
    if once {
        args.remove(0);
    }
    let [path] = args.as_slice() else {
        return Err("usage: on_failure [--once] SESSION.jsonl".into());
    };
    let mut pipeline = Pipeline::new(Options::default(), OnFailure { failures: 0 });
    let mut tail = Tail::new(path, path.clone());
    loop {
        let _ = tail.poll(&mut pipeline, |path, change| {
            if let Change::Truncated { .. } | Change::Replaced = change {
                eprintln!("{}: started over", path.display());
            }
        })?;
        if once {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let _ = tail.close(&mut pipeline)?;
    let (seen, _) = pipeline.finish()?;
    writeln!(std::io::stdout(), "{} failed tool calls", seen.failures)?;
    Ok(ExitCode::SUCCESS)
}
