//! A custom renderer: a one-line status of a session for a shell prompt or a status bar.
//!
//! ```sh
//! cargo run --example status_line -- ~/.claude/projects/-home-me-proj/SESSION.jsonl
//! # opus-4-6 · ctx 27% · $0.61 · 12 tools (0 failed) · idle
//! ```
//!
//! The renderer keeps only what the line needs (no session core): the model and context fill
//! of the latest response, the cost of every response counted once, tool calls and failures,
//! and whether a call is still waiting for its result.

use std::collections::HashSet;
use std::error::Error;
use std::fs::File;
use std::io::Write;
use std::process::ExitCode;

use aegon::render::text::usd_short_at_least;
use aegon::render::Flow;
use aegon::session::cost_explained::Charge;
use aegon::session::pricing::Pricing;
use aegon::{Event, EventKind, Options, Pipeline, Renderer};

mod quiet;

#[derive(Default)]
struct Status {
    prices: Pricing,
    model: Option<String>,
    context: u64,
    /// What has a price, and how many responses have none (the cost is then a lower bound).
    cost: Charge,
    tools: u64,
    failed: u64,
    waiting: HashSet<String>,
}

impl Renderer for Status {
    fn on_event(&mut self, event: &Event<'_>) -> std::io::Result<Flow> {
        match &event.kind {
            EventKind::Usage {
                model,
                tokens,
                increment,
                ..
            } => {
                // Each response is priced as a request of its own (speed, long context, the
                // rates of its date); `None`, an unknown cost: a model without a price, or a
                // usage aegon could not read whole.
                self.cost.add(self.prices.usage_cost(event));
                let model = model.as_deref().unwrap_or("?");
                // The context is what the latest main-chain response read (not subagents').
                if !increment && event.agent_id.is_none() && !event.sidechain {
                    self.context = tokens.input
                        + tokens.cache_read
                        + tokens.cache_write_5m
                        + tokens.cache_write_1h;
                    self.model = Some(model.to_owned());
                }
            }
            EventKind::ToolCall { tool_use_id, .. } => {
                self.tools += 1;
                if let Some(id) = tool_use_id {
                    self.waiting.insert(id.to_string());
                }
            }
            EventKind::ToolResult {
                tool_use_id,
                is_error,
                ..
            } => {
                self.failed += u64::from(*is_error);
                if let Some(id) = tool_use_id {
                    self.waiting.remove(id.as_ref());
                }
            }
            _ => {}
        }
        Ok(Flow::Continue(()))
    }
}

fn main() -> ExitCode {
    // A closed output (`| head -1`) stops it quietly.
    quiet::exit(run())
}

fn run() -> Result<ExitCode, Box<dyn Error>> {
    let Some(path) = std::env::args().nth(1) else {
        return Err("usage: status_line SESSION.jsonl".into());
    };
    let mut pipeline = Pipeline::new(Options::default(), Status::default());
    let _ = pipeline.read_to_end(&path, File::open(&path)?)?;
    let (s, _) = pipeline.finish()?;
    let model = s.model.as_deref().unwrap_or("no model yet");
    let window = s.prices.context_window(model).max(1);
    writeln!(
        std::io::stdout(),
        "{} · ctx {}% · {} · {} tools ({} failed) · {}",
        model.trim_start_matches("claude-"),
        s.context * 100 / window,
        // `$0.61`; `$0.61+` when part of the cost is unknown; `unknown` when all of it is.
        usd_short_at_least(s.cost.priced_usd(), s.cost.unpriced > 0),
        s.tools,
        s.failed,
        if s.waiting.is_empty() {
            "idle"
        } else {
            "running"
        }
    )?;
    Ok(ExitCode::SUCCESS)
}
