//! Tokens and cost of transcripts, per model, in a few lines of aegon-lib.
//!
//! ```sh
//! cargo run --example tokens -- fixtures/corpus/apanloco__random__session.jsonl
//! ```

use std::collections::BTreeMap;
use std::error::Error;
use std::fs::File;
use std::io::Write;
use std::process::ExitCode;

use aegon::render::Flow;
use aegon::session::pricing::Pricing;
use aegon::{Event, EventKind, Options, Pipeline, Renderer, Tokens};

mod quiet;

/// A renderer that only adds up usage events (each API response counts once), pricing each
/// as it comes: a response's price depends on its own speed and size, not only on its model.
#[derive(Default)]
struct PerModel {
    prices: Pricing,
    models: BTreeMap<String, (Tokens, Option<f64>)>,
}

impl Renderer for PerModel {
    fn on_event(&mut self, event: &Event<'_>) -> std::io::Result<Flow> {
        if let EventKind::Usage {
            model,
            tokens,
            factors,
            ..
        } = &event.kind
        {
            let model = model.as_deref().unwrap_or("?");
            let cost = self.prices.request_cost(model, tokens, factors);
            let (sum, total) = self
                .models
                .entry(model.to_owned())
                .or_insert((Tokens::default(), Some(0.0)));
            *sum = sum.saturating_add(*tokens);
            // A model without a price has an unknown cost, not $0.
            *total = total.zip(cost).map(|(a, b)| a + b);
        }
        Ok(Flow::Continue(()))
    }
}

fn main() -> ExitCode {
    // A closed output (`| head -1`) stops it quietly.
    quiet::exit(run())
}

fn run() -> Result<ExitCode, Box<dyn Error>> {
    let mut pipeline = Pipeline::new(Options::default(), PerModel::default());
    let mut failed = false;
    for path in std::env::args().skip(1) {
        // Say which input failed: an `io::Error` from `File::open` does not name its path.
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) => {
                eprintln!("{path}: {e}");
                failed = true;
                continue;
            }
        };
        // A read error names the input and where it failed (`source::InputError`).
        if let Err(e) = pipeline.read_to_end(&path, file) {
            eprintln!("{e}");
            failed = true;
        }
    }
    let (PerModel { models, .. }, stats) = pipeline.finish()?;
    let mut out = std::io::stdout().lock();
    let mut total = 0.0;
    for (model, (t, cost)) in models {
        total += cost.unwrap_or(0.0);
        writeln!(
            out,
            "{model}: input {} output {} cache read {} write 5m {} write 1h {}  cost {}",
            t.input,
            t.output,
            t.cache_read,
            t.cache_write_5m,
            t.cache_write_1h,
            cost.map_or("unknown".to_owned(), |c| format!("${c:.4}"))
        )?;
    }
    writeln!(
        out,
        "total ${total:.4}; {} lines, {} malformed",
        stats.lines,
        stats.malformed.total()
    )?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
