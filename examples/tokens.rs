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
use aegon::session::cost_explained::Charge;
use aegon::session::pricing::Pricing;
use aegon::{Event, EventKind, Options, Pipeline, Renderer, Tokens};

mod quiet;

/// A renderer that only adds up usage events (each API response counts once), pricing each
/// as it comes: a response's price depends on its own speed, size and date, not only on its
/// model. A [`Charge`] keeps what has a price apart from what has none, so that an unknown
/// cost stays unknown (or the priced part a lower bound), never $0.
#[derive(Default)]
struct PerModel {
    prices: Pricing,
    models: BTreeMap<String, (Tokens, Charge)>,
}

impl Renderer for PerModel {
    fn on_event(&mut self, event: &Event<'_>) -> std::io::Result<Flow> {
        if let EventKind::Usage { model, tokens, .. } = &event.kind {
            // aegon's price of the response: `None` for a model without a price, or a usage
            // aegon could not read whole (`unread`).
            let cost = self.prices.usage_cost(event);
            let model = model.as_deref().unwrap_or("?");
            let (sum, charge) = self.models.entry(model.to_owned()).or_default();
            *sum = sum.saturating_add(*tokens);
            charge.add(cost);
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
    let mut total = Charge::default();
    for (model, (t, charge)) in models {
        total.add_charge(charge);
        writeln!(
            out,
            "{model}: input {} output {} cache read {} write 5m {} write 1h {}  cost {}",
            t.input,
            t.output,
            t.cache_read,
            t.cache_write_5m,
            t.cache_write_1h,
            cost(&charge)
        )?;
    }
    writeln!(
        out,
        "total {}; {} lines, {} malformed",
        cost(&total),
        stats.lines,
        stats.malformed.total()
    )?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A cost as aegon shows it: `$0.1234`; `at least $0.1234` when part of it has no known price;
/// `unknown` when nothing has.
fn cost(charge: &Charge) -> String {
    match charge.cost_usd() {
        Some(c) => format!("${c:.4}"),
        None if charge.priced_usd() > 0.0 => format!("at least ${:.4}", charge.priced_usd()),
        None => "unknown".to_owned(),
    }
}
